//! RFC 5321 §4.2 replies. Pure: bytes in, typed replies out.

/// One complete SMTP reply (all its lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// The text of each line after the code and separator, exactly as sent
    /// (invalid UTF-8 replaced), without CRLF.
    pub lines: Vec<String>,
}
