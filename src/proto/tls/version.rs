//! TLS protocol versions as tlscheck names them, and their wire numbers.

use std::fmt;

/// A TLS protocol version tlscheck probes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.0, RFC 2246 (wire 0x0301).
    Tls10,
    /// TLS 1.1, RFC 4346 (wire 0x0302).
    Tls11,
    /// TLS 1.2, RFC 5246 (wire 0x0303).
    Tls12,
    /// TLS 1.3, RFC 8446 (wire 0x0304 in supported_versions).
    Tls13,
}

impl TlsVersion {
    /// Every version, oldest first: the order of every version table.
    pub const ALL: [TlsVersion; 4] = [Self::Tls10, Self::Tls11, Self::Tls12, Self::Tls13];

    /// The short label used as JSON key and table header: `"1.0"` … `"1.3"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Tls10 => "1.0",
            Self::Tls11 => "1.1",
            Self::Tls12 => "1.2",
            Self::Tls13 => "1.3",
        }
    }

    /// The version number on the wire (RFC 8446 §4.1.2 `ProtocolVersion`).
    pub fn wire(self) -> u16 {
        match self {
            Self::Tls10 => 0x0301,
            Self::Tls11 => 0x0302,
            Self::Tls12 => 0x0303,
            Self::Tls13 => 0x0304,
        }
    }

    /// The version for a wire number, if it is one tlscheck knows.
    pub fn from_wire(v: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.wire() == v)
    }

    /// True for the versions Office 365 no longer accepts (1.0, 1.1).
    pub fn is_legacy(self) -> bool {
        self < Self::Tls12
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLS {}", self.label())
    }
}

/// Formats a wire version number: `TLS 1.2` when known, else `0x0305`.
pub fn wire_version_name(v: u16) -> String {
    match TlsVersion::from_wire(v) {
        Some(t) => t.to_string(),
        None if v == 0x0300 => "SSL 3.0".to_owned(),
        None => format!("0x{v:04x}"),
    }
}
