//! The one integration-test binary: in-process servers on loopback and the
//! tests that talk to them.

mod dns;
mod servers;
