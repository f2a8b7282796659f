//! The I/O layer: async code at the edges. DNS lookups, the SMTP client,
//! TLS handshakes (tlscheck's own hello and rustls), the probe that runs
//! them per server, the `listen` server, the policy fetches, and the live
//! Windows registry. Everything here turns what it saw into `model` values;
//! a server's behaviour is data, not an `Err`. Nothing here prints or
//! judges.

pub mod dns;
pub mod listen;
pub mod policy;
pub mod probe;
pub mod registry;
pub mod smtp;
pub mod status;
pub mod tls;
#[cfg(windows)]
pub mod windows;
