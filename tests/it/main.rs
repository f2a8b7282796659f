//! The one integration-test binary: one `mod` per area.

mod dns;
mod probe;
mod schannel;
mod servers;
