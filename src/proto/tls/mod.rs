//! The TLS wire codec: records, handshake messages, alerts; bytes in, typed
//! values or a typed [`WireError`] out.
//!
//! Pure and synchronous: no IO, no clocks, no tokio, no printing. Every byte
//! handed to it is treated as hostile: every stated length is checked
//! against the bytes left and against a protocol maximum, no `Vec` is sized
//! from a count on the wire, and no accessor can panic. The socket side lives
//! in [`crate::net::tls::legacy`].
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

pub mod client_hello;
pub mod enums;
pub mod names;
pub mod profiles;
pub mod reader;
pub mod record;
pub mod server_msgs;
pub mod suites;
pub mod version;
pub mod writer;

pub use client_hello::{ClientExtension, ClientHello, KeyShareEntry, ServerNameEntry};
pub use enums::{AlertLevel, Compression, EcPointFormat, ExtensionType};
pub use names::{alert_name, cipher_name, group_name, scheme_name};
pub use reader::Reader;
pub use record::{Alert, HandshakeMessage, Item, RecordHeader, RecordReader};
pub use server_msgs::{
    parse_server_flight, Certificate, ServerExtension, ServerFlight, ServerHello, ServerHelloDone,
    ServerMessage,
};
pub use version::{wire_version_name, TlsVersion};

/// A message that can be written to and read from the wire.
///
/// `read` consumes exactly the message from a [`Reader`] and leaves the rest;
/// `read_bytes` reads a whole buffer and rejects anything left over.
pub trait Codec: Sized {
    /// The structure's RFC name, used in errors (`Truncated("ServerHello")`).
    const NAME: &'static str;

    /// Appends the wire form to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value from `r`, leaving any following bytes unread.
    fn read(r: &mut Reader<'_>) -> Result<Self>;

    /// Reads one value that must fill `bytes` exactly.
    fn read_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let value = Self::read(&mut r)?;
        r.expect_empty(Self::NAME)?;
        Ok(value)
    }

    /// The wire form as a fresh buffer.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Why bytes could not be decoded. Each variant names the structure and the
/// fault, so a report can say "truncated ServerHello" rather than "parse
/// error".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ended inside the named structure.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// Bytes were left after the named structure.
    #[error("trailing data after {0}")]
    TrailingData(&'static str),
    /// A length field claims more bytes than its enclosing vector holds.
    #[error("{what}: stated length {stated} does not fit the {actual} bytes left")]
    LengthMismatch {
        /// The field whose length lies.
        what: &'static str,
        /// The length it states.
        stated: usize,
        /// The bytes actually left in the enclosing vector.
        actual: usize,
    },
    /// A length or count exceeds the protocol's (or tlscheck's) maximum.
    #[error("{what}: length {len} exceeds the maximum of {max}")]
    TooLarge {
        /// The structure.
        what: &'static str,
        /// The length (or count) found.
        len: usize,
        /// The maximum allowed.
        max: usize,
    },
    /// A vector of fixed-size entries whose length is not a multiple of the
    /// entry size.
    #[error("{what}: length {len} is not a multiple of {unit}")]
    PartialEntry {
        /// The vector.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The size of one entry.
        unit: usize,
    },
    /// A vector that must have at least one entry is empty.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// The same extension appears twice (RFC 8446 §4.2).
    #[error("duplicate extension 0x{0:04x}")]
    DuplicateExtension(u16),
    /// A record's content type is none of the TLS ones (RFC 8446 §5.1): the
    /// peer is probably not speaking TLS at all.
    #[error("unknown record content type 0x{0:02x}")]
    UnknownContentType(u8),
    /// A field holds a value the RFC forbids here.
    #[error("{what}: illegal value 0x{value:x}")]
    IllegalValue {
        /// The field.
        what: &'static str,
        /// The value found.
        value: u32,
    },
}

impl WireError {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Truncated(_) => "truncated",
            Self::TrailingData(_) => "trailing_data",
            Self::LengthMismatch { .. } => "length_mismatch",
            Self::TooLarge { .. } => "too_large",
            Self::PartialEntry { .. } => "partial_entry",
            Self::Empty(_) => "empty",
            Self::DuplicateExtension(_) => "duplicate_extension",
            Self::UnknownContentType(_) => "unknown_content_type",
            Self::IllegalValue { .. } => "illegal_value",
        }
    }
}

/// The codec's result type.
pub type Result<T> = std::result::Result<T, WireError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_labels_are_snake_case_and_distinct() {
        let errors = [
            WireError::Truncated("x"),
            WireError::TrailingData("x"),
            WireError::LengthMismatch {
                what: "x",
                stated: 1,
                actual: 0,
            },
            WireError::TooLarge {
                what: "x",
                len: 2,
                max: 1,
            },
            WireError::PartialEntry {
                what: "x",
                len: 3,
                unit: 2,
            },
            WireError::Empty("x"),
            WireError::DuplicateExtension(1),
            WireError::UnknownContentType(0x32),
            WireError::IllegalValue {
                what: "x",
                value: 1,
            },
        ];
        let mut labels: Vec<_> = errors.iter().map(WireError::label).collect();
        assert!(labels
            .iter()
            .all(|l| l.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), errors.len());
    }

    #[test]
    fn errors_print_values_as_hex() {
        assert_eq!(
            WireError::DuplicateExtension(0xff01).to_string(),
            "duplicate extension 0xff01"
        );
        assert_eq!(
            WireError::UnknownContentType(0x32).to_string(),
            "unknown record content type 0x32"
        );
    }
}
