//! The versions × servers table, built once and styled by the text and
//! Markdown renderers. Cells hold raw text and a tone; each renderer
//! sanitizes and styles them its own way.

use crate::model::{CertVerdict, NotTested, ServerObservation, Stage, TlsVersion, VersionResult};
use crate::report::style::palette::Tone;

/// One table cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The words (raw; renderers sanitize).
    pub text: String,
    /// What they mean, for colour.
    pub tone: Tone,
}

impl Cell {
    fn new(text: impl Into<String>, tone: Tone) -> Self {
        Self {
            text: text.into(),
            tone,
        }
    }
}

/// A table: a header row and data rows of the same width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// `mx1.contoso.com 192.0.2.1:25`, or the address alone.
pub fn server_name(s: &ServerObservation) -> String {
    match (&s.preference, &s.host) {
        (Some(p), Some(h)) => format!("{p} {h} {}", s.address),
        (None, Some(h)) => format!("{h} {}", s.address),
        (_, None) => s.address.to_string(),
    }
}

/// A failure message with its stage, said once: probe messages usually
/// start with the stage already (`connect: connection refused`).
pub fn stage_message(stage: Stage, message: &str) -> String {
    let said = message
        .strip_prefix(stage.label())
        .is_some_and(|rest| rest.starts_with(':'));
    if said {
        message.to_owned()
    } else {
        format!("{stage}: {message}")
    }
}

/// A certificate verdict in a few words: `trusted (name not checked)`,
/// `self-signed`, `expired`, …
pub fn cert_words(v: &CertVerdict) -> String {
    match v {
        CertVerdict::TrustedNameNotChecked => "trusted (name not checked)".to_owned(),
        CertVerdict::SelfSigned { .. } => "self-signed".to_owned(),
        other => other.label().replace('_', " "),
    }
}

/// What the plain-text `MAIL FROM:<>` reply means for TLS.
pub fn policy_meaning(requires_tls: Option<bool>) -> &'static str {
    match requires_tls {
        Some(true) => "TLS required",
        Some(false) => "TLS not required",
        None => "TLS requirement unknown",
    }
}

/// The reason shared by every version probe when none could be tried for
/// the same reason (no STARTTLS, STARTTLS refused, …), so renderers say it
/// once instead of four times.
pub fn common_not_tested(s: &ServerObservation) -> Option<&NotTested> {
    let mut reasons = s.versions.iter().map(|p| match &p.result {
        VersionResult::NotTested(n) => Some(n),
        _ => None,
    });
    let first = reasons.next()??;
    reasons.all(|r| r == Some(first)).then_some(first)
}

/// Why no version was tried, in words (raw server text inside; renderers
/// sanitize).
pub fn not_tested_words(n: &NotTested) -> String {
    match n {
        NotTested::NoStarttls => "the server does not offer STARTTLS".to_owned(),
        NotTested::StarttlsRefused(r) => {
            format!("the server refused STARTTLS ({} {})", r.code, r.text())
        }
        NotTested::GreetingRejected(r) => {
            format!(
                "the server refused the connection at the greeting ({} {})",
                r.code,
                r.text()
            )
        }
        NotTested::EhloRefused(r) => {
            format!(
                "the server refused EHLO ({} {}), so STARTTLS could not be seen",
                r.code,
                r.text()
            )
        }
        NotTested::Throttled(r) => {
            format!(
                "the server kept throttling the connections ({} {})",
                r.code,
                r.text()
            )
        }
        NotTested::EarlierStage { stage, error } => {
            format!("an earlier step failed ({})", stage_message(*stage, error))
        }
        NotTested::Interrupted => "the run was interrupted (Ctrl-C)".to_owned(),
        NotTested::Deadline { stage } => {
            format!("the run's --deadline passed during {stage}")
        }
    }
}

/// The table cell for one version's result.
pub fn version_cell(version: TlsVersion, r: &VersionResult) -> Cell {
    let words = match r {
        VersionResult::NotTested(_) => "not tested".to_owned(),
        // The server completed its side; tlscheck could not finish it.
        VersionResult::Accepted(a) if a.limited_by.is_some() => "offered".to_owned(),
        other => other.label().to_owned(),
    };
    let tone = match (version.is_legacy(), r) {
        (_, VersionResult::NotTested(_)) => Tone::Dim,
        (false, VersionResult::Accepted(a)) if a.legacy_cipher_only || !a.is_established() => {
            Tone::Warn
        }
        (false, VersionResult::Accepted(_)) => Tone::Good,
        (false, VersionResult::Unknown { .. }) => Tone::Warn,
        (false, _) => Tone::Bad,
        (true, VersionResult::Accepted(_)) => Tone::Warn,
        (true, _) => Tone::Dim,
    };
    Cell::new(words, tone)
}

/// The versions × servers table of one target.
pub fn versions_table(servers: &[ServerObservation]) -> Table {
    let mut header = vec!["Server".to_owned(), "STARTTLS".to_owned()];
    header.extend(TlsVersion::ALL.iter().map(|v| v.to_string()));
    header.push("Certificate".to_owned());
    let rows = servers
        .iter()
        .map(|s| {
            let mut row = vec![Cell::new(server_name(s), Tone::Strong)];
            if let Some(e) = &s.error {
                row.push(Cell::new(
                    if e.timed_out {
                        format!("{} timed out", e.stage)
                    } else {
                        format!("{} failed", e.stage)
                    },
                    Tone::Bad,
                ));
            } else {
                let tone = match s.starttls {
                    crate::model::StarttlsStatus::Offered
                    | crate::model::StarttlsStatus::Implicit => Tone::Good,
                    crate::model::StarttlsStatus::Unknown => Tone::Dim,
                    _ => Tone::Bad,
                };
                row.push(Cell::new(s.starttls.label().replace('_', " "), tone));
            }
            for v in TlsVersion::ALL {
                row.push(match s.version(v) {
                    Some(p) => version_cell(v, &p.result),
                    None => Cell::new("-", Tone::Dim),
                });
            }
            row.push(match &s.certificate {
                Some(c) => Cell::new(
                    format!("{}, {}", cert_words(&c.verdict), days(c.days_left)),
                    if c.verdict.is_trusted() && c.days_left >= 14 {
                        Tone::Good
                    } else {
                        Tone::Warn
                    },
                ),
                None => Cell::new("-", Tone::Dim),
            });
            row
        })
        .collect();
    Table { header, rows }
}

/// A certificate key in a few words: `RSA 2048`, `EC P-256` (whose name
/// already says its size). Raw: the key type comes from the certificate.
pub fn key_words(key_type: &str, key_bits: Option<u32>) -> String {
    match key_bits {
        Some(b) if !key_type.starts_with("EC P-") => format!("{key_type} {b}"),
        _ => key_type.to_owned(),
    }
}

/// `1 day left`, `30 days left`, `expired 3 days ago`.
pub fn days(n: i64) -> String {
    match n {
        1 => "1 day left".to_owned(),
        n if n >= 0 => format!("{n} days left"),
        -1 => "expired 1 day ago".to_owned(),
        n => format!("expired {} days ago", -n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_is_said_once_when_the_message_already_names_it() {
        assert_eq!(
            stage_message(Stage::Connect, "connect: connection refused"),
            "connect: connection refused"
        );
        assert_eq!(
            stage_message(Stage::Greeting, "interrupted before the server answered"),
            "greeting: interrupted before the server answered"
        );
        // A longer stage name that starts with the same word is not it.
        assert_eq!(stage_message(Stage::Ehlo, "ehlox: odd"), "ehlo: ehlox: odd");
    }
}
