//! SMTP: the pure reply parser (`reply`) and the async client dialogue
//! (`client`). Nothing here does TLS, DNS or printing, and nothing here
//! decides what a reply means for the diagnosis.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

pub mod client;
pub mod reply;

pub use client::{SmtpClient, SmtpError, Timeouts};
pub use reply::{Reply, ReplyError, ReplyParser};
