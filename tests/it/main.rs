//! The one integration-test binary: one `mod` per area.

mod cli;
mod dns;
mod probe;
mod schannel;
mod servers;
