//! RFC 5321 §4.2 replies. Pure and bounded: bytes in, typed replies or
//! typed errors out. No tokio, no clocks; `smtp::client` does the IO.

use std::fmt;

/// Longest reply line accepted, CRLF included. RFC 5321 §4.5.3.1.5 says
/// 512, but real servers (Exchange's EHLO, long 5xx texts) exceed it, so
/// four times that is allowed before the line counts as endless.
pub const MAX_LINE_LEN: usize = 2048;

/// Most lines in one reply. EHLO replies carry one line per extension
/// (about 20 in practice); more than this is an endless reply.
pub const MAX_REPLY_LINES: usize = 128;

/// Bytes of a non-SMTP answer kept for the error message.
const NOT_SMTP_SAMPLE: usize = 64;

/// Why bytes are not a valid reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// A line passed [`MAX_LINE_LEN`] without CRLF.
    #[error("a reply line is longer than {max} bytes (endless line)")]
    LineTooLong {
        /// The bound.
        max: usize,
    },
    /// A reply passed [`MAX_REPLY_LINES`].
    #[error("a reply has more than {max} lines (endless reply)")]
    TooManyLines {
        /// The bound.
        max: usize,
    },
    /// The line does not start with a three-digit code.
    #[error("not an SMTP reply: {sample:?}")]
    NotSmtp {
        /// The first bytes, lossily decoded.
        sample: String,
    },
    /// A continuation line carries another code than the first line.
    #[error("reply lines disagree on the code: {first} then {other}")]
    InconsistentCode {
        /// The first line's code.
        first: u16,
        /// The other code.
        other: u16,
    },
}

/// Result alias of this module.
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

/// An RFC 3463 enhanced status code (`5.7.3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnhancedStatus {
    /// 2, 4 or 5.
    pub class: u8,
    /// Subject.
    pub subject: u16,
    /// Detail.
    pub detail: u16,
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl Reply {
    /// 2xx.
    pub fn is_positive_completion(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4xx.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The first line's text.
    pub fn first_line(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }

    /// All lines' text joined with a space.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// The enhanced status code at the start of the first line, if any.
    pub fn enhanced_status(&self) -> Option<EnhancedStatus> {
        let word = self.first_line().split_whitespace().next()?;
        let mut parts = word.split('.');
        let class: u8 = parts.next()?.parse().ok()?;
        let subject: u16 = parts.next()?.parse().ok()?;
        let detail: u16 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(EnhancedStatus {
            class,
            subject,
            detail,
        })
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.text())
    }
}

/// Incremental parser: feed it bytes as they arrive; it returns a reply
/// once the last line is complete. Its buffer never grows past one line
/// plus the lines of one reply, both bounded.
#[derive(Debug, Default)]
pub struct ReplyParser {
    /// Bytes of the current, incomplete line.
    partial: Vec<u8>,
    /// Code and lines of the reply so far.
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyParser {
    /// A fresh parser.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses from `input`; returns the reply and how many bytes of
    /// `input` it used, or `None` when more bytes are needed (all of
    /// `input` was used).
    pub fn push(&mut self, input: &[u8]) -> Result<Option<(Reply, usize)>> {
        let mut used = 0usize;
        for &b in input {
            used += 1;
            if b == b'\n' {
                if let Some(reply) = self.end_line()? {
                    return Ok(Some((reply, used)));
                }
                continue;
            }
            if self.partial.len() + 1 >= MAX_LINE_LEN {
                return Err(ReplyError::LineTooLong { max: MAX_LINE_LEN });
            }
            self.partial.push(b);
            // Reject junk as soon as the first bytes show it is not SMTP.
            if self.partial.len() <= 4 {
                self.check_prefix()?;
            }
        }
        Ok(None)
    }

    /// True when no bytes of an unfinished reply are held.
    pub fn is_idle(&self) -> bool {
        self.partial.is_empty() && self.code.is_none()
    }

    fn not_smtp(&self) -> ReplyError {
        let n = self.partial.len().min(NOT_SMTP_SAMPLE);
        ReplyError::NotSmtp {
            sample: String::from_utf8_lossy(self.partial.get(..n).unwrap_or_default()).into_owned(),
        }
    }

    fn check_prefix(&self) -> Result<()> {
        for (i, b) in self.partial.iter().enumerate() {
            let ok = match i {
                0 => (b'2'..=b'5').contains(b),
                1 | 2 => b.is_ascii_digit(),
                _ => matches!(b, b' ' | b'-' | b'\r'),
            };
            if !ok {
                return Err(self.not_smtp());
            }
        }
        Ok(())
    }

    fn end_line(&mut self) -> Result<Option<Reply>> {
        let mut line = std::mem::take(&mut self.partial);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let code_bytes = line.get(..3).ok_or_else(|| ReplyError::NotSmtp {
            sample: String::from_utf8_lossy(&line).into_owned(),
        })?;
        let code = std::str::from_utf8(code_bytes)
            .ok()
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|c| (200..600).contains(c))
            .ok_or_else(|| ReplyError::NotSmtp {
                sample: String::from_utf8_lossy(&line).into_owned(),
            })?;
        let more = match line.get(3) {
            None | Some(b' ') => false,
            Some(b'-') => true,
            Some(_) => {
                return Err(ReplyError::NotSmtp {
                    sample: String::from_utf8_lossy(&line).into_owned(),
                })
            }
        };
        let body = String::from_utf8_lossy(line.get(4..).unwrap_or_default()).into_owned();
        match self.code {
            Some(first) if first != code => {
                return Err(ReplyError::InconsistentCode { first, other: code })
            }
            _ => self.code = Some(code),
        }
        if self.lines.len() >= MAX_REPLY_LINES {
            return Err(ReplyError::TooManyLines {
                max: MAX_REPLY_LINES,
            });
        }
        self.lines.push(body);
        if more {
            return Ok(None);
        }
        self.code = None;
        Ok(Some(Reply {
            code,
            lines: std::mem::take(&mut self.lines),
        }))
    }
}

/// Parses one complete reply from `bytes` (tests, fuzzing).
pub fn parse(bytes: &[u8]) -> Result<Option<(Reply, usize)>> {
    ReplyParser::new().push(bytes)
}

/// The EHLO extensions: every line after the first (the greeting name),
/// keyword upper-cased, parameters kept.
pub fn ehlo_extensions(reply: &Reply) -> Vec<String> {
    reply
        .lines
        .iter()
        .skip(1)
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let keyword = words.next()?.to_ascii_uppercase();
            let params: Vec<&str> = words.collect();
            Some(if params.is_empty() {
                keyword
            } else {
                format!("{keyword} {}", params.join(" "))
            })
        })
        .collect()
}

/// True when `extensions` lists `keyword` (case-insensitive).
pub fn has_extension(extensions: &[String], keyword: &str) -> bool {
    extensions.iter().any(|e| {
        e.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
    })
}

/// What a reply to `MAIL FROM:<>` sent before STARTTLS says about the
/// server's TLS policy: `Some(true)` when it demands STARTTLS first
/// (Exchange `451 5.7.3`, Postfix `530 5.7.0`), `Some(false)` when the
/// sender was accepted, `None` when the reply says neither.
pub fn requires_tls(reply: &Reply) -> Option<bool> {
    if reply.is_positive_completion() {
        return Some(false);
    }
    let text = reply.text().to_ascii_lowercase();
    let names_tls = text.contains("starttls") || text.contains("tls") || text.contains("encrypt");
    let status = reply.enhanced_status();
    let policy_status = status.is_some_and(|s| {
        (s.class == 4 || s.class == 5) && s.subject == 7 && matches!(s.detail, 0 | 3 | 10 | 11)
    });
    match reply.code {
        530 | 451 | 550 | 554 | 454 if names_tls && (policy_status || reply.code == 530) => {
            Some(true)
        }
        _ => None,
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Reply {
        parse(bytes).unwrap().unwrap().0
    }

    #[test]
    fn parses_single_and_multi_line_replies() {
        let r = one(b"220 mx.example.test ESMTP\r\n");
        assert_eq!(r.code, 220);
        assert_eq!(r.lines, ["mx.example.test ESMTP"]);
        let r = one(b"250-mx.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
        assert_eq!(r.lines.len(), 3);
        assert_eq!(ehlo_extensions(&r), ["PIPELINING", "STARTTLS"]);
    }

    #[test]
    fn accepts_bare_lf_and_code_only_lines() {
        assert_eq!(one(b"250\n").lines, [""]);
        assert_eq!(one(b"250-a\n250 b\n").lines, ["a", "b"]);
    }

    #[test]
    fn every_prefix_of_a_reply_is_incomplete_not_an_error() {
        let full = b"250-mx.example.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n";
        for n in 0..full.len() {
            assert_eq!(parse(&full[..n]).unwrap(), None, "prefix {n}");
        }
        let (_, used) = parse(full).unwrap().unwrap();
        assert_eq!(used, full.len());
    }

    #[test]
    fn incremental_pushes_give_the_same_reply() {
        let mut p = ReplyParser::new();
        assert!(p.push(b"250-a\r").unwrap().is_none());
        assert!(p.push(b"\n250 ").unwrap().is_none());
        let (r, used) = p.push(b"b\r\nNEXT").unwrap().unwrap();
        assert_eq!(r.lines, ["a", "b"]);
        assert_eq!(used, 3);
        assert!(p.is_idle());
    }

    #[test]
    fn rejects_an_endless_line() {
        let line = vec![b'2'; MAX_LINE_LEN + 10];
        assert_eq!(
            parse(&line).unwrap_err(),
            ReplyError::NotSmtp {
                sample: "2222".to_owned()
            }
        );
        let mut line = b"250 ".to_vec();
        line.extend(std::iter::repeat_n(b'a', MAX_LINE_LEN));
        assert_eq!(
            parse(&line).unwrap_err(),
            ReplyError::LineTooLong { max: MAX_LINE_LEN }
        );
    }

    #[test]
    fn rejects_an_endless_reply() {
        let bytes = b"250-x\r\n".repeat(MAX_REPLY_LINES + 1);
        assert_eq!(
            parse(&bytes).unwrap_err(),
            ReplyError::TooManyLines {
                max: MAX_REPLY_LINES
            }
        );
    }

    #[test]
    fn rejects_mixed_codes() {
        assert_eq!(
            parse(b"250-a\r\n550 b\r\n").unwrap_err(),
            ReplyError::InconsistentCode {
                first: 250,
                other: 550
            }
        );
    }

    #[test]
    fn recognises_non_smtp_banners_at_once() {
        for junk in [
            &b"HTTP/1.1 400 Bad Request\r\n"[..],
            b"SSH-2.0-OpenSSH_9.2\r\n",
            b"\x16\x03\x01\x00",
        ] {
            assert!(
                matches!(parse(junk), Err(ReplyError::NotSmtp { .. })),
                "{junk:?}"
            );
        }
        assert!(matches!(parse(b"2"), Ok(None)));
        assert!(matches!(
            parse(b"199 x\r\n"),
            Err(ReplyError::NotSmtp { .. })
        ));
        assert!(matches!(parse(b"25x"), Err(ReplyError::NotSmtp { .. })));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_an_error() {
        assert_eq!(one(b"220 caf\xe9\r\n").lines, ["caf\u{fffd}"]);
    }

    #[test]
    fn pseudo_random_bytes_never_panic() {
        let mut x: u32 = 0x1234_5678;
        for _ in 0..2000 {
            let mut buf = Vec::new();
            for _ in 0..(x % 64) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                buf.push(if x % 3 == 0 {
                    b"25- \r\n"[(x as usize / 3) % 6]
                } else {
                    x as u8
                });
            }
            let _ = parse(&buf);
        }
    }

    #[test]
    fn enhanced_status_is_read_from_the_first_line() {
        let r = one(b"451 5.7.3 Must issue a STARTTLS command first\r\n");
        assert_eq!(r.enhanced_status().unwrap().to_string(), "5.7.3");
        assert!(one(b"250 ok\r\n").enhanced_status().is_none());
        assert!(one(b"250 1.2.3 x\r\n").enhanced_status().is_none());
    }

    #[test]
    fn tls_policy_replies_are_recognised_and_others_are_unknown() {
        let cases: [(&[u8], Option<bool>); 7] = [
            (
                b"451 5.7.3 Must issue a STARTTLS command first\r\n",
                Some(true),
            ),
            (
                b"530 5.7.0 Must issue a STARTTLS command first\r\n",
                Some(true),
            ),
            (b"530 Must issue a STARTTLS command first\r\n", Some(true)),
            (
                b"550 5.7.10 Encryption needed: TLS required\r\n",
                Some(true),
            ),
            (b"250 2.1.0 Ok\r\n", Some(false)),
            (b"421 4.7.0 too many connections\r\n", None),
            (b"554 5.7.1 Access denied\r\n", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                requires_tls(&one(bytes)),
                want,
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn has_extension_ignores_case_and_parameters() {
        let exts = vec!["SIZE 1000".to_owned(), "starttls".to_owned()];
        assert!(has_extension(&exts, "STARTTLS"));
        assert!(has_extension(&exts, "size"));
        assert!(!has_extension(&exts, "AUTH"));
    }
}
