//! One home per command: what each command sets up, runs and hands to its
//! renderer. Everything below (net, diagnose, report) is shared.

pub mod check;
#[cfg(unix)]
pub mod demo;
