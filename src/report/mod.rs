//! Rendering: turns audits and diagnoses into text, Markdown and JSON.
//! Renderers return strings; only `main.rs` writes to stdout.

pub mod schannel;
