//! The protocol layer: pure, synchronous parsers and codecs, fuzzed. Bytes
//! or text in, typed values or typed errors out; no tokio, no clocks, no I/O,
//! no printing. Everything above builds on these types.

pub mod policy;
pub mod registry;
pub mod smtp;
pub mod target;
pub mod tls;
