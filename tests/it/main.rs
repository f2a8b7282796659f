//! The one integration-test binary: in-process servers on loopback and the
//! probes that run against them.

mod legacy;
mod servers;
