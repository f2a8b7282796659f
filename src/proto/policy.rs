//! Pure parsers for the policy records: the MTA-STS TXT record and policy
//! body (RFC 8461 §3.1, §3.2), the TLS-RPT TXT record (RFC 8460 §3) and
//! MX pattern matching (RFC 8461 §4.1). Bytes or text in, typed values or
//! typed errors out: no IO, no clocks. Every input is hostile and bounded
//! by the caller; nothing here panics on it.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::fmt;

/// The MTA-STS TXT record's version tag (RFC 8461 §3.1 `sts-version`).
pub const STS_VERSION: &str = "v=STSv1";
/// The TLS-RPT record's version tag (RFC 8460 §3 `tlsrpt-version`).
pub const TLSRPT_VERSION: &str = "v=TLSRPTv1";
/// Longest `id=` value (RFC 8461 §3.1: `1*32(ALPHA / DIGIT)`).
const MAX_STS_ID: usize = 32;
/// Longest `max_age` (RFC 8461 §3.2: "up to 31557600", one year).
pub const MAX_MAX_AGE: u64 = 31_557_600;
/// How many `mx:` lines tlscheck keeps from one policy body; a policy
/// is the domain owner's text and may be hostile.
const MAX_MX_PATTERNS: usize = 64;

/// Why a TXT record is not a valid MTA-STS or TLS-RPT record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record does not start with the version tag.
    #[error("it does not start with {0}")]
    NoVersion(&'static str),
    /// A required field is missing.
    #[error("the required field {0} is missing")]
    Missing(&'static str),
    /// A field is malformed.
    #[error("field {field}: {why}")]
    Field {
        /// The field name.
        field: String,
        /// What is wrong.
        why: String,
    },
}

/// A parsed `_mta-sts` TXT record (RFC 8461 §3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsRecord {
    /// The `id=` value: a new id tells senders to fetch the policy again.
    pub id: String,
    /// Extension fields (`name=value`), kept for the report.
    pub extensions: Vec<(String, String)>,
}

/// Splits `v=…; a=b; c=d` into trimmed `(name, value)` pairs.
fn fields(text: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    text.split(';')
        .map(|f| f.trim_matches([' ', '\t']))
        .filter(|f| !f.is_empty())
        .map(|f| match f.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (f, None),
        })
}

/// Parses one `_mta-sts` TXT record (its strings already joined).
pub fn parse_sts_record(text: &str) -> Result<StsRecord, RecordError> {
    let mut it = fields(text);
    match it.next() {
        Some(("v", Some("STSv1"))) => {}
        _ => return Err(RecordError::NoVersion(STS_VERSION)),
    }
    let mut id = None;
    let mut extensions = Vec::new();
    for (name, value) in it {
        let Some(value) = value else {
            return Err(RecordError::Field {
                field: name.to_owned(),
                why: "no \"=\" and value".into(),
            });
        };
        if name == "id" {
            if id.is_some() {
                return Err(RecordError::Field {
                    field: "id".into(),
                    why: "appears more than once".into(),
                });
            }
            if value.is_empty()
                || value.len() > MAX_STS_ID
                || !value.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(RecordError::Field {
                    field: "id".into(),
                    why: format!("must be 1 to {MAX_STS_ID} letters and digits (RFC 8461 §3.1)"),
                });
            }
            id = Some(value.to_owned());
        } else if is_ext_name(name) && is_ext_value(value) {
            extensions.push((name.to_owned(), value.to_owned()));
        } else {
            return Err(RecordError::Field {
                field: name.to_owned(),
                why: "not a valid extension field (RFC 8461 §3.1 sts-ext)".into(),
            });
        }
    }
    Ok(StsRecord {
        id: id.ok_or(RecordError::Missing("id"))?,
        extensions,
    })
}

/// RFC 8461 §3.1 `sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`.
fn is_ext_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && name.len() <= 32
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// RFC 8461 §3.1 `sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)`.
fn is_ext_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| matches!(b, 0x21..=0x3a | 0x3c | 0x3e..=0x7e))
}

/// The policy mode (RFC 8461 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StsMode {
    /// Senders must not deliver to an MX that fails the checks.
    Enforce,
    /// Senders deliver anyway and report failures (TLS-RPT).
    Testing,
    /// The domain has withdrawn its policy.
    None,
}

impl StsMode {
    /// The word in the policy and in JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Testing => "testing",
            Self::None => "none",
        }
    }
}

/// A parsed policy body (RFC 8461 §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsPolicy {
    /// `mode:`.
    pub mode: StsMode,
    /// `max_age:`, seconds.
    pub max_age: u64,
    /// `mx:` patterns, lower case, in order.
    pub mx: Vec<String>,
    /// Oddities that did not make the policy invalid.
    pub warnings: Vec<String>,
}

/// Parses a policy body (already bounded in size by the fetcher). Lines end
/// in CRLF per RFC 8461 §3.2; a bare LF is accepted as most senders do.
pub fn parse_sts_policy(body: &str) -> Result<StsPolicy, RecordError> {
    let mut version = None;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    let mut warnings = Vec::new();
    let mut saw_bare_lf = false;
    let mut mx_cut = false;
    for raw in body.split('\n') {
        let line = match raw.strip_suffix('\r') {
            Some(l) => l,
            None => {
                if !raw.is_empty() {
                    saw_bare_lf = true;
                }
                raw
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(RecordError::Field {
                field: truncate(line),
                why: "a line without \"key: value\"".into(),
            });
        };
        let (key, value) = (key.trim(), value.trim());
        let slot = match key {
            "version" => Some(&mut version),
            "mode" => Some(&mut mode),
            "max_age" => Some(&mut max_age),
            _ => None,
        };
        if let Some(slot) = slot {
            if slot.is_some() {
                warnings.push(format!(
                    "field {key} appears more than once; tlscheck used the first"
                ));
            } else {
                *slot = Some(value.to_owned());
            }
            continue;
        }
        if key == "mx" {
            if mx.len() < MAX_MX_PATTERNS {
                mx.push(value.to_ascii_lowercase());
            } else {
                mx_cut = true;
            }
        }
    }
    if mx_cut {
        warnings.push(format!(
            "more than {MAX_MX_PATTERNS} mx lines; tlscheck kept the first {MAX_MX_PATTERNS}"
        ));
    }
    if saw_bare_lf {
        warnings.push("lines end in LF, not CRLF as RFC 8461 §3.2 asks".into());
    }
    check_sts_version(version.as_deref())?;
    let mode = sts_mode(mode.as_deref())?;
    let max_age = sts_max_age(max_age.as_deref())?;
    if mode != StsMode::None && mx.is_empty() {
        return Err(RecordError::Missing("mx"));
    }
    for pattern in &mx {
        if !is_mx_pattern(pattern) {
            warnings.push(format!(
                "mx pattern {:?} is not a host name or *.domain (RFC 8461 §3.2); it matches nothing",
                truncate(pattern)
            ));
        }
    }
    Ok(StsPolicy {
        mode,
        max_age,
        mx,
        warnings,
    })
}

/// `version:` must be `STSv1` (RFC 8461 §3.2).
fn check_sts_version(version: Option<&str>) -> Result<(), RecordError> {
    match version {
        Some("STSv1") => Ok(()),
        Some(other) => Err(RecordError::Field {
            field: "version".into(),
            why: format!("{:?} is not STSv1", truncate(other)),
        }),
        None => Err(RecordError::Missing("version")),
    }
}

/// `mode:`: enforce, testing or none (RFC 8461 §3.2).
fn sts_mode(mode: Option<&str>) -> Result<StsMode, RecordError> {
    match mode {
        Some("enforce") => Ok(StsMode::Enforce),
        Some("testing") => Ok(StsMode::Testing),
        Some("none") => Ok(StsMode::None),
        Some(other) => Err(RecordError::Field {
            field: "mode".into(),
            why: format!("{:?} is not enforce, testing or none", truncate(other)),
        }),
        None => Err(RecordError::Missing("mode")),
    }
}

/// `max_age:`: 1 to 10 digits, at most [`MAX_MAX_AGE`] (RFC 8461 §3.2).
fn sts_max_age(max_age: Option<&str>) -> Result<u64, RecordError> {
    let bad = |why| RecordError::Field {
        field: "max_age".into(),
        why,
    };
    match max_age {
        Some(v) if !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()) => {
            let n: u64 = v.parse().map_err(|_| bad("not a number".into()))?;
            if n > MAX_MAX_AGE {
                return Err(bad(format!("{n} is above {MAX_MAX_AGE} (RFC 8461 §3.2)")));
            }
            Ok(n)
        }
        Some(v) => Err(bad(format!("{:?} is not 1 to 10 digits", truncate(v)))),
        None => Err(RecordError::Missing("max_age")),
    }
}

/// A policy's own words, cut for an error message.
fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

/// A plausible `mx:` value: a host name, or `*.` and a host name.
fn is_mx_pattern(pattern: &str) -> bool {
    let host = pattern.strip_prefix("*.").unwrap_or(pattern);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// RFC 8461 §4.1: does `host` (an MX exchange) match `pattern`? A pattern
/// `*.example.com` matches exactly one extra left-most label
/// (`mx1.example.com`, not `example.com` nor `a.b.example.com`). Case and
/// a trailing dot do not matter.
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    if !is_mx_pattern(&pattern) {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => match host.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest == suffix,
            None => false,
        },
        None => host == pattern,
    }
}

/// A parsed `_smtp._tls` TXT record (RFC 8460 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsRptRecord {
    /// Where reports go: `mailto:` and `https:` URIs.
    pub rua: Vec<String>,
}

/// Parses one `_smtp._tls` TXT record (its strings already joined).
pub fn parse_tlsrpt_record(text: &str) -> Result<TlsRptRecord, RecordError> {
    let mut it = fields(text);
    match it.next() {
        Some(("v", Some("TLSRPTv1"))) => {}
        _ => return Err(RecordError::NoVersion(TLSRPT_VERSION)),
    }
    let mut rua = None;
    for (name, value) in it {
        let Some(value) = value else {
            return Err(RecordError::Field {
                field: truncate(name),
                why: "no \"=\" and value".into(),
            });
        };
        if name == "rua" {
            if rua.is_some() {
                return Err(RecordError::Field {
                    field: "rua".into(),
                    why: "appears more than once".into(),
                });
            }
            let mut uris = Vec::new();
            for uri in value.split(',').map(str::trim) {
                let lower = uri.to_ascii_lowercase();
                let ok = if let Some(addr) = lower.strip_prefix("mailto:") {
                    addr.split_once('@')
                        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
                } else if let Some(rest) = lower.strip_prefix("https://") {
                    !rest.is_empty()
                } else {
                    false
                };
                if !ok || uri.bytes().any(|b| b <= 0x20 || b == 0x7f) {
                    return Err(RecordError::Field {
                        field: "rua".into(),
                        why: format!(
                            "{:?} is not a mailto: or https: URI (RFC 8460 §3)",
                            truncate(uri)
                        ),
                    });
                }
                uris.push(uri.to_owned());
            }
            rua = Some(uris);
        } else if !is_ext_name(name) || !is_ext_value(value) {
            return Err(RecordError::Field {
                field: truncate(name),
                why: "not a valid extension field (RFC 8460 §3 tlsrpt-extension)".into(),
            });
        }
    }
    Ok(TlsRptRecord {
        rua: rua.ok_or(RecordError::Missing("rua"))?,
    })
}

/// TLSA certificate usage (RFC 6698 §2.1.1, names from RFC 7218).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsaUsage {
    /// 0 PKIX-TA.
    PkixTa,
    /// 1 PKIX-EE.
    PkixEe,
    /// 2 DANE-TA.
    DaneTa,
    /// 3 DANE-EE.
    DaneEe,
    /// Anything else.
    Unknown(u8),
}

impl From<u8> for TlsaUsage {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::PkixTa,
            1 => Self::PkixEe,
            2 => Self::DaneTa,
            3 => Self::DaneEe,
            v => Self::Unknown(v),
        }
    }
}

impl fmt::Display for TlsaUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PkixTa => f.write_str("PKIX-TA(0)"),
            Self::PkixEe => f.write_str("PKIX-EE(1)"),
            Self::DaneTa => f.write_str("DANE-TA(2)"),
            Self::DaneEe => f.write_str("DANE-EE(3)"),
            Self::Unknown(v) => write!(f, "unknown usage {v}"),
        }
    }
}

/// One TLSA record as published (RFC 6698 §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlsa {
    /// Certificate usage.
    pub usage: u8,
    /// Selector: 0 full certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// The association data.
    pub data: Vec<u8>,
}

impl Tlsa {
    /// `3 1 1 ab12…` as in a zone file (data in lower-case hex).
    pub fn presentation(&self) -> String {
        let hex: String = self.data.iter().map(|b| format!("{b:02x}")).collect();
        format!("{} {} {} {hex}", self.usage, self.selector, self.matching)
    }

    /// Why this record cannot be used by any DANE client, if it cannot
    /// (RFC 7671 §4.1, RFC 7672 §3.1.3): unknown parameters or a digest
    /// of the wrong length.
    pub fn unusable_reason(&self) -> Option<String> {
        if self.selector > 1 {
            return Some(format!("unknown selector {}", self.selector));
        }
        let expected = match self.matching {
            0 => None,
            1 => Some(32),
            2 => Some(64),
            m => return Some(format!("unknown matching type {m}")),
        };
        match (TlsaUsage::from(self.usage), expected) {
            (TlsaUsage::Unknown(u), _) => Some(format!("unknown usage {u}")),
            (_, Some(len)) if self.data.len() != len => Some(format!(
                "the digest is {} bytes; matching type {} needs {len}",
                self.data.len(),
                self.matching
            )),
            (_, None) if self.data.is_empty() => Some("no association data".into()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sts_records_and_rejects_broken_ones() {
        let r = parse_sts_record("v=STSv1; id=20240101T000000;").unwrap();
        assert_eq!(r.id, "20240101T000000");
        assert_eq!(parse_sts_record("v=STSv1;id=abc").unwrap().id, "abc");
        for bad in [
            "",
            "id=abc; v=STSv1",
            "v=STSv2; id=abc",
            "v=STSv1",
            "v=STSv1; id=",
            "v=STSv1; id=has-dash",
            "v=STSv1; id=123456789012345678901234567890123",
            "v=STSv1; id=a; id=b",
            "v=STSv1; id=a; junk",
            "v=STSv1; id=a; x=\u{0}",
        ] {
            assert!(parse_sts_record(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parses_a_policy_body() {
        let p = parse_sts_policy(
            "version: STSv1\r\nmode: enforce\r\nmx: mail.Example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
        )
        .unwrap();
        assert_eq!(p.mode, StsMode::Enforce);
        assert_eq!(p.max_age, 604_800);
        assert_eq!(p.mx, ["mail.example.com", "*.example.net"]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn policy_with_lf_only_is_accepted_with_a_warning() {
        let p = parse_sts_policy("version: STSv1\nmode: testing\nmx: a.test\nmax_age: 86400\n")
            .unwrap();
        assert_eq!(p.mode, StsMode::Testing);
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn rejects_broken_policies_with_the_field_at_fault() {
        let cases = [
            ("mode: enforce\nmx: a.test\nmax_age: 1\n", "version"),
            (
                "version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1\n",
                "version",
            ),
            ("version: STSv1\nmode: on\nmx: a.test\nmax_age: 1\n", "mode"),
            ("version: STSv1\nmode: enforce\nmax_age: 1\n", "mx"),
            ("version: STSv1\nmode: enforce\nmx: a.test\n", "max_age"),
            (
                "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601\n",
                "max_age",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1\n",
                "max_age",
            ),
            ("version: STSv1\nnonsense\n", "nonsense"),
        ];
        for (body, field) in cases {
            let err = parse_sts_policy(body).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(field), "{body:?}: {text}");
        }
        // Mode none needs no mx.
        assert!(parse_sts_policy("version: STSv1\nmode: none\nmax_age: 1\n").is_ok());
    }

    #[test]
    fn hostile_policy_bodies_are_bounded_and_do_not_panic() {
        let nul = "version: STSv1\0\nmode: enforce\nmx: a.test\nmax_age: 1\n";
        assert!(parse_sts_policy(nul).is_err());
        let many = format!(
            "version: STSv1\nmode: enforce\nmax_age: 1\n{}",
            "mx: a.test\n".repeat(1000)
        );
        let p = parse_sts_policy(&many).unwrap();
        assert_eq!(p.mx.len(), MAX_MX_PATTERNS);
        let endless = "x".repeat(70_000);
        let err = parse_sts_policy(&endless).unwrap_err().to_string();
        assert!(err.len() < 200, "{err}");
    }

    #[test]
    fn mx_patterns_follow_rfc_8461_section_4_1() {
        let cases = [
            ("mail.example.com", "mail.example.com", true),
            ("mail.example.com", "MAIL.example.com.", true),
            ("*.example.com", "mx1.example.com", true),
            ("*.example.com", "example.com", false),
            ("*.example.com", "a.b.example.com", false),
            ("*.example.com", "mx1.example.org", false),
            ("mail.example.com", "mx.mail.example.com", false),
            ("*", "example", false),
            ("", "", false),
        ];
        for (pattern, host, expected) in cases {
            assert_eq!(mx_matches(pattern, host), expected, "{pattern} vs {host}");
        }
    }

    #[test]
    fn parses_tlsrpt_records() {
        let r = parse_tlsrpt_record(
            "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/v1",
        )
        .unwrap();
        assert_eq!(r.rua.len(), 2);
        for bad in [
            "v=TLSRPTv1",
            "v=TLSRPTv1; rua=",
            "v=TLSRPTv1; rua=ftp://x",
            "v=TLSRPTv1; rua=mailto:nobody",
            "v=TLSRPTv2; rua=mailto:a@b.c",
            "rua=mailto:a@b.c",
            "v=TLSRPTv1; rua=mailto:a@b.c; rua=mailto:a@b.c",
        ] {
            assert!(parse_tlsrpt_record(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tlsa_records_with_unknown_parameters_or_wrong_lengths_are_unusable() {
        let rec = |u, s, m, len| Tlsa {
            usage: u,
            selector: s,
            matching: m,
            data: vec![0; len],
        };
        assert_eq!(rec(3, 1, 1, 32).unusable_reason(), None);
        assert_eq!(rec(2, 0, 2, 64).unusable_reason(), None);
        assert!(rec(3, 1, 1, 31).unusable_reason().is_some());
        assert!(rec(4, 1, 1, 32).unusable_reason().is_some());
        assert!(rec(3, 2, 1, 32).unusable_reason().is_some());
        assert!(rec(3, 1, 3, 32).unusable_reason().is_some());
        assert!(rec(3, 1, 0, 0).unusable_reason().is_some());
        assert_eq!(rec(3, 1, 1, 2).presentation(), "3 1 1 0000");
    }
}
