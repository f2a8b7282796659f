//! tlscheck: why mail between a server and Office 365 fails over TLS, and
//! what to change.
//!
//! Data flows one way: target → DNS → SMTP → TLS probes → observations →
//! diagnosis → report. Only `main.rs` prints.
#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod clock;
pub mod command;
pub mod diagnose;
pub mod exit;
pub mod manpage;
pub mod model;
pub mod net;
pub mod proto;
pub mod report;
