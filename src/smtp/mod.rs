//! SMTP client dialogue (async). Nothing here does TLS, DNS or printing, and
//! nothing here decides what a reply means for the diagnosis.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

pub mod client;

pub use crate::proto::smtp::{Reply, ReplyError, ReplyParser};
pub use client::{SmtpClient, SmtpError, Timeouts};
