//! `tlscheck CHECK`: from the command line to a report. `config` turns the
//! arguments into a validated [`config::Config`]; `run` is the pipeline:
//! resolve → plan → probe → diagnose → report.

pub mod config;
pub mod run;
