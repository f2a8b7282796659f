//! The one integration-test binary: one `mod` per area.

mod cli;
mod dns;
mod hostile;
mod probe;
mod schannel;
mod servers;
