//! `tlscheck listen`: an SMTP *server* that a sending mail server is pointed
//! at, so the admin sees what that sender offers when it starts TLS (issue
//! #7). Probing from outside cannot see a sender's client side; this can.
//!
//! The listener greets, answers EHLO with STARTTLS, reads the sender's
//! ClientHello with tlscheck's own codec (`proto::tls`) and records every
//! version, cipher suite and group it offers. A sender offering TLS 1.2 or
//! 1.3 gets a full rustls handshake (so its own log shows TLS success), then
//! its message is refused at RCPT. A sender offering only TLS 1.0/1.1 is
//! closed on right after its ClientHello, exactly as Office 365 does. No
//! mail is ever accepted: DATA is never answered with 354 and no message
//! content is read or kept.
//!
//! This module owns the socket side; the plain-data result is
//! `model::listen::SenderSession`; the verdict is `diagnose::sender`, the words are
//! `report::listen`. Nothing here prints. Every byte from the sender is
//! hostile: lines and ClientHello bytes are bounded, every stage has a
//! timeout, and the whole session a budget.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

pub mod server;
pub mod session;

use std::net::SocketAddr;

pub use server::{Listener, ServeEnd, ServeOptions, ServerIdentity, SessionSetup};
pub use session::session;

/// Why the listener itself could not run (the sender's behaviour is data,
/// never an error).
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// The address could not be bound (in use, or port 25 needs root).
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The socket error.
        error: std::io::Error,
    },
    /// The bound address could not be read back.
    #[error("reading the bound address: {0}")]
    LocalAddr(std::io::Error),
    /// The certificate or key is unusable.
    #[error("certificate: {0}")]
    Identity(String),
}

/// The listener's result type.
pub type Result<T> = std::result::Result<T, ListenError>;
