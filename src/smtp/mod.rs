//! SMTP: the reply parser (pure) and the async client dialogue.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

pub mod client;
pub mod reply;
