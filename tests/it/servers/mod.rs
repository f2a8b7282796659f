//! In-process servers bound to loopback, one function per behaviour.

pub mod dns;
pub mod smtp;
pub mod tls;
