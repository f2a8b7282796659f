//! Windows-only code, compiled only for Windows targets: reading the live
//! registry for `schannel --local`, and turning on ANSI colour in consoles.
//! Everything platform-neutral about these (value decoding, OS detection,
//! colour decisions) lives with its command and is tested on every OS; this
//! module only calls the Windows APIs, through maintained crates
//! (`windows-registry`, `anstyle-query`), without `unsafe`.

pub mod console;
pub mod registry;
