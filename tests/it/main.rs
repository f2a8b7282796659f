//! The one integration-test binary: one `mod` per area.

mod dns;
mod schannel;
mod servers;
