//! SMTP as bytes: the reply parser a client reads servers with (`reply`) and
//! the command parser `listen` reads senders with (`command`). Pure and
//! synchronous; nothing here does I/O or decides what a reply means.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

pub mod command;
pub mod reply;

pub use reply::{Reply, ReplyError, ReplyParser};
