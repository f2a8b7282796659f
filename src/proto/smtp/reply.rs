//! RFC 5321 §4.2 replies: the bounded, incremental reply parser, what a
//! reply means (class, RFC 3463 enhanced status), EHLO extensions and the
//! "does this server require TLS" classifier.
//!
//! Pure and synchronous: bytes in, typed replies or typed errors out. No IO,
//! no clocks, no tokio; the socket side is `net::smtp`. Every byte here
//! comes from a possibly hostile server, so memory is bounded by
//! [`MAX_LINE_LEN`] × [`MAX_REPLY_LINES`] and nothing panics on input.

use std::fmt;

/// The longest reply line accepted, in bytes, without its line ending.
///
/// RFC 5321 §4.5.3.1.5 caps a reply line at 512 octets including CRLF, but
/// real servers exceed it with long policy texts and URLs in rejections.
/// The bound exists to stop a hostile or broken peer from growing our
/// memory, not to enforce the RFC, so it is four times the RFC's figure.
pub const MAX_LINE_LEN: usize = 2048;

/// The most lines one reply may have.
///
/// RFC 5321 sets no limit on multi-line replies. An EHLO reply of a busy MTA
/// has 10–20 lines; 128 leaves room for verbose banners while keeping a
/// reply under [`MAX_LINE_LEN`] × 128 = 256 KiB.
pub const MAX_REPLY_LINES: usize = 128;

/// How many bytes of a non-SMTP line are kept for the error message.
pub const NOT_SMTP_KEEP: usize = 64;

/// Why bytes from the server are not a valid SMTP reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// A line grew past [`MAX_LINE_LEN`] without a line ending.
    #[error("reply line longer than {max} bytes")]
    LineTooLong {
        /// The limit that was passed.
        max: usize,
    },
    /// A multi-line reply grew past [`MAX_REPLY_LINES`].
    #[error("reply longer than {max} lines")]
    TooManyLines {
        /// The limit that was passed.
        max: usize,
    },
    /// A line does not start with a reply code `2yz`–`5yz` followed by
    /// `-`, space or the end of the line: another protocol (an HTTP or SSH
    /// banner, TLS records) or junk.
    #[error("not an SMTP reply: \"{}\"", .first_bytes.escape_ascii())]
    NotSmtp {
        /// The first bytes of the offending line (at most
        /// [`NOT_SMTP_KEEP`]), raw.
        first_bytes: Vec<u8>,
    },
    /// A line of a multi-line reply carries another code than the first
    /// line (RFC 5321 §4.2.1 requires the same code on every line).
    #[error("multi-line reply changed its code from {first} to {found} on line {line}")]
    CodeMismatch {
        /// The code of the first line.
        first: u16,
        /// The code of the offending line.
        found: u16,
        /// The offending line's number, counting from 1.
        line: usize,
    },
}

impl ReplyError {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::LineTooLong { .. } => "line_too_long",
            Self::TooManyLines { .. } => "too_many_lines",
            Self::NotSmtp { .. } => "not_smtp",
            Self::CodeMismatch { .. } => "code_mismatch",
        }
    }
}

/// The result type of this module.
pub type Result<T> = std::result::Result<T, ReplyError>;

/// One complete SMTP reply (all its lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// The text of each line after the code and separator, exactly as sent
    /// (invalid UTF-8 replaced), without CRLF.
    pub lines: Vec<String>,
}

impl Reply {
    /// A one-line reply, mostly for tests and hand-built observations.
    pub fn single(code: u16, text: &str) -> Reply {
        Reply {
            code,
            lines: vec![text.to_owned()],
        }
    }

    /// True for `2yz`, positive completion (RFC 5321 §4.2.1).
    pub fn is_positive_completion(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// True for `4yz`, transient negative completion: try again later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// True for `5yz`, permanent negative completion.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The text of the first line (empty for a reply without lines).
    pub fn first_line(&self) -> &str {
        self.lines.first().map_or("", String::as_str)
    }

    /// All lines' text joined with a space.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// The RFC 3463 enhanced status code at the start of the first line
    /// (`5.7.3` in `451 5.7.3 Must issue a STARTTLS command first`).
    ///
    /// Its class is not checked against the reply code: Exchange answers
    /// `451` with `5.7.3`, and tlscheck reports what the server said.
    pub fn enhanced_status(&self) -> Option<EnhancedStatus> {
        let token = self.first_line().split_ascii_whitespace().next()?;
        EnhancedStatus::parse(token)
    }

    /// The reply as it travels on the wire: `250-…` lines, then `250 …`,
    /// each ending in CRLF. Parsing it gives back the same reply.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i < last { '-' } else { ' ' };
            out.extend_from_slice(format!("{}{sep}{line}\r\n", self.code).as_bytes());
        }
        if self.lines.is_empty() {
            out.extend_from_slice(format!("{}\r\n", self.code).as_bytes());
        }
        out
    }

    /// Each line as the server sent it (`250-SIZE 35882577`, last one
    /// `250 SMTPUTF8`), without line endings: the form of a transcript.
    pub fn wire_lines(&self) -> Vec<String> {
        let last = self.lines.len().saturating_sub(1);
        let mut out: Vec<String> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, text)| match (i < last, text.is_empty()) {
                (true, _) => format!("{}-{text}", self.code),
                (false, true) => self.code.to_string(),
                (false, false) => format!("{} {text}", self.code),
            })
            .collect();
        if out.is_empty() {
            out.push(self.code.to_string());
        }
        out
    }
}

impl fmt::Display for Reply {
    /// `"{code} {text}"`, all lines joined with a space; just the code when
    /// the reply has no text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.text();
        if text.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{} {text}", self.code)
        }
    }
}

/// An RFC 3463 enhanced mail system status code, `class.subject.detail`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent).
    pub class: u8,
    /// The subject, e.g. 7 for security or policy status (RFC 3463 §3.8).
    pub subject: u16,
    /// The detail within the subject.
    pub detail: u16,
}

impl EnhancedStatus {
    /// Parses `class "." subject "." detail` (RFC 3463 §2: class is 2, 4
    /// or 5; subject and detail have 1–3 digits). Anything else is `None`.
    pub fn parse(token: &str) -> Option<EnhancedStatus> {
        let mut parts = token.split('.');
        let class = match parts.next()? {
            "2" => 2,
            "4" => 4,
            "5" => 5,
            _ => return None,
        };
        let subject = parse_status_number(parts.next()?)?;
        let detail = parse_status_number(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        Some(EnhancedStatus {
            class,
            subject,
            detail,
        })
    }

    /// True for subject 7, security or policy status (RFC 3463 §3.8).
    pub fn is_security(&self) -> bool {
        self.subject == 7
    }
}

/// One to three ASCII digits (RFC 3463 §2 `1*3digit`).
fn parse_status_number(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// Incremental reply parser: feed it bytes as they arrive, get a [`Reply`]
/// when its last line is complete.
///
/// Lines end in CRLF; a bare LF is accepted too, since some servers and
/// test tools send it. Each line is `DDD` + (`-` | space | end of line) +
/// text, where `-` means another line follows (RFC 5321 §4.2.1). The state
/// kept between calls is one partial line (≤ [`MAX_LINE_LEN`] + 1 bytes)
/// and the lines of the current reply (≤ [`MAX_REPLY_LINES`]).
///
/// Reply codes must start with 2–5 (RFC 5321 §4.2 `%x32-35`); the other two
/// digits may be any digit, as no server is refused for an odd code.
#[derive(Clone, Debug, Default)]
pub struct ReplyParser {
    /// The bytes of the line being read, without its LF.
    line: Vec<u8>,
    /// The code of the first line of the current reply.
    code: Option<u16>,
    /// The text of the complete lines of the current reply.
    lines: Vec<String>,
}

/// Whether a line says more lines follow.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Separator {
    /// `-`: a continuation line.
    More,
    /// Space or end of line: the last line.
    Last,
}

impl ReplyParser {
    /// A parser waiting for the first byte of a reply.
    pub fn new() -> ReplyParser {
        ReplyParser::default()
    }

    /// What arrived of a reply that is not complete yet: its complete
    /// lines and the partial last line (lossy UTF-8), for a transcript
    /// when the wait for the rest ran out.
    pub fn partial(&self) -> Vec<String> {
        let mut out: Vec<String> = match self.code {
            Some(code) => self.lines.iter().map(|l| format!("{code}-{l}")).collect(),
            None => Vec::new(),
        };
        if !self.line.is_empty() {
            out.push(String::from_utf8_lossy(&self.line).into_owned());
        }
        out
    }

    /// True when no byte of a reply has been fed since the last complete
    /// reply (or since creation).
    pub fn is_idle(&self) -> bool {
        self.line.is_empty() && self.code.is_none()
    }

    /// Feeds bytes to the parser.
    ///
    /// Returns `Ok(None)` when all of `bytes` were taken and the reply is
    /// not complete yet, and `Ok(Some((reply, consumed)))` when a reply
    /// ended after `consumed` bytes: `bytes[consumed..]` were not looked at
    /// and belong to whatever follows. The parser is then ready for the next
    /// reply. An error is returned as soon as a limit is passed or a line
    /// cannot be SMTP; the parser is reset, but the stream it was reading
    /// should be treated as lost.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Option<(Reply, usize)>> {
        let result = self.push_inner(bytes);
        if result.is_err() {
            self.reset();
        }
        result
    }

    fn push_inner(&mut self, bytes: &[u8]) -> Result<Option<(Reply, usize)>> {
        let mut rest = bytes;
        let mut consumed = 0usize;
        while !rest.is_empty() {
            let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
                self.append(rest)?;
                return Ok(None);
            };
            let (head, tail) = rest.split_at_checked(lf).unwrap_or((rest, &[]));
            self.append(head)?;
            // `tail` starts with the LF itself.
            rest = tail.get(1..).unwrap_or_default();
            consumed = consumed.saturating_add(lf.saturating_add(1));
            let line = std::mem::take(&mut self.line);
            let finished = self.finish_line(&line);
            self.line = line;
            self.line.clear();
            if let Some(reply) = finished? {
                return Ok(Some((reply, consumed)));
            }
        }
        Ok(None)
    }

    /// Adds bytes of the current line (no LF among them), enforcing the
    /// length bound before anything is stored, then rejects the line early
    /// if its first bytes already show it is not SMTP, so a binary or
    /// HTTP peer fails at once instead of at the timeout.
    fn append(&mut self, chunk: &[u8]) -> Result<()> {
        let total = self.line.len().saturating_add(chunk.len());
        // A trailing CR may be the first half of the CRLF still to come.
        let ends_in_cr = chunk.last().or(self.line.last()) == Some(&b'\r');
        let content = if ends_in_cr {
            total.saturating_sub(1)
        } else {
            total
        };
        if content > MAX_LINE_LEN {
            return Err(ReplyError::LineTooLong { max: MAX_LINE_LEN });
        }
        self.line.extend_from_slice(chunk);
        if !prefix_may_be_smtp(&self.line) {
            return Err(not_smtp(&self.line));
        }
        Ok(())
    }

    /// Handles one complete line (LF removed); returns the reply if it was
    /// the last line.
    fn finish_line(&mut self, raw: &[u8]) -> Result<Option<Reply>> {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (code, separator, text) = split_line(line).ok_or_else(|| not_smtp(line))?;
        let number = self.lines.len().saturating_add(1);
        match self.code {
            None => self.code = Some(code),
            Some(first) if first != code => {
                return Err(ReplyError::CodeMismatch {
                    first,
                    found: code,
                    line: number,
                });
            }
            Some(_) => {}
        }
        if self.lines.len() >= MAX_REPLY_LINES {
            return Err(ReplyError::TooManyLines {
                max: MAX_REPLY_LINES,
            });
        }
        self.lines.push(String::from_utf8_lossy(text).into_owned());
        match separator {
            Separator::More => Ok(None),
            Separator::Last => {
                let reply = Reply {
                    code,
                    lines: std::mem::take(&mut self.lines),
                };
                self.reset();
                Ok(Some(reply))
            }
        }
    }

    fn reset(&mut self) {
        self.line.clear();
        self.code = None;
        self.lines.clear();
    }
}

/// Parses one reply from the start of `buf`: `Ok(None)` when `buf` holds
/// only part of a reply, `Ok(Some((reply, consumed)))` when it holds a whole
/// one. A one-shot [`ReplyParser`]; also the fuzzing entry point.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>> {
    ReplyParser::new().push(buf)
}

/// Checks the bytes seen so far of a line against `[2-5] DIGIT DIGIT
/// ( "-" / SP / CR )`. A CR in fourth place is the `DDD CRLF` form.
fn prefix_may_be_smtp(line: &[u8]) -> bool {
    line.iter().take(4).enumerate().all(|(i, &b)| match i {
        0 => (b'2'..=b'5').contains(&b),
        1 | 2 => b.is_ascii_digit(),
        _ => matches!(b, b'-' | b' ' | b'\r'),
    })
}

/// Splits a complete line (no line ending) into code, separator and text.
fn split_line(line: &[u8]) -> Option<(u16, Separator, &[u8])> {
    let (digits, rest) = line.split_at_checked(3)?;
    if !prefix_may_be_smtp(digits) {
        return None;
    }
    let code = digits.iter().try_fold(0u16, |acc, &d| {
        Some(acc * 10 + u16::from(d.checked_sub(b'0')?))
    })?;
    match rest.split_first() {
        None => Some((code, Separator::Last, &[])),
        Some((b' ', text)) => Some((code, Separator::Last, text)),
        Some((b'-', text)) => Some((code, Separator::More, text)),
        Some(_) => None,
    }
}

fn not_smtp(line: &[u8]) -> ReplyError {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    ReplyError::NotSmtp {
        first_bytes: line.iter().take(NOT_SMTP_KEEP).copied().collect(),
    }
}

/// The extensions an EHLO reply advertises (RFC 5321 §4.1.1.1): every line
/// after the first (which names the server), keyword upper-cased, its
/// parameters kept as sent (`SIZE 35882577`, `AUTH LOGIN PLAIN`). Empty when
/// the reply is not 2yz, so a refused EHLO advertises nothing.
pub fn ehlo_extensions(reply: &Reply) -> Vec<String> {
    if !reply.is_positive_completion() {
        return Vec::new();
    }
    reply
        .lines
        .iter()
        .skip(1)
        .filter_map(|line| {
            let line = line.trim();
            let (keyword, params) = match line.split_once(|c: char| c.is_ascii_whitespace()) {
                Some((k, p)) => (k, p.trim_start()),
                None => (line, ""),
            };
            if keyword.is_empty() {
                return None;
            }
            let keyword = keyword.to_ascii_uppercase();
            Some(if params.is_empty() {
                keyword
            } else {
                format!("{keyword} {params}")
            })
        })
        .collect()
}

/// True when `extensions` (as returned by [`ehlo_extensions`]) lists
/// `keyword`, compared without regard to case and ignoring parameters.
pub fn has_extension(extensions: &[String], keyword: &str) -> bool {
    extensions.iter().any(|ext| {
        ext.split_ascii_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
    })
}

/// Reply code of "service not available, closing transmission channel"
/// (RFC 5321 §4.2.3): the server leaves, whatever its text says.
const CLOSING: u16 = 421;

/// Reply code RFC 3207 §4 uses for "Must issue a STARTTLS command first".
const MUST_STARTTLS: u16 = 530;

/// Reads the reply to `MAIL FROM:<>` sent before STARTTLS: does the server
/// refuse plain-text mail?
///
/// - `Some(false)`: the sender was accepted (2yz).
/// - `Some(true)`: refused with words about TLS, and either code 530
///   (Postfix `530 5.7.0 Must issue a STARTTLS command first`, RFC 3207 §4)
///   or an enhanced status of subject 7, security (Exchange
///   `451 5.7.3 Must issue a STARTTLS command first`,
///   `550 5.7.1 TLS required`).
/// - `None`: anything else (`421` closing, `554` policy, `530`
///   authentication required, …). Never guessed.
pub fn requires_tls(reply: &Reply) -> Option<bool> {
    if reply.is_positive_completion() {
        return Some(false);
    }
    if !(reply.is_transient() || reply.is_permanent()) || reply.code == CLOSING {
        return None;
    }
    if !mentions_tls(&reply.text()) {
        return None;
    }
    let security = reply
        .enhanced_status()
        .is_some_and(|status| status.is_security());
    (reply.code == MUST_STARTTLS || security).then_some(true)
}

/// True when the text has a word `TLS`, `STARTTLS` or `TLSv…` (any case),
/// so that words merely containing the letters do not count.
fn mentions_tls(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .map(|word| word.trim_matches('.').to_ascii_uppercase())
        .any(|word| word == "TLS" || word == "STARTTLS" || word.starts_with("TLSV"))
}

#[cfg(test)]
mod tests;
