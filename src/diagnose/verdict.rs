//! The verdict of a target and the one line a helpdesk reads aloud.

use super::findings::{Finding, FindingId, Severity};
use crate::model::{FailureKind, ServerObservation, StarttlsStatus, VersionResult};

/// The overall result for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Nothing wrong.
    Pass,
    /// Works, with warnings.
    Warn,
    /// What was seen does not decide the question (timeouts, throttling,
    /// an interrupted run, a handshake tlscheck's own TLS library could
    /// not finish): nothing is proven broken, nothing proven to work.
    Inconclusive,
    /// Mail flow fails for some or all peers.
    Fail,
    /// The domain says it takes no mail (RFC 7505 null MX).
    NoMail,
    /// Nothing could be tested.
    Untested,
}

impl Verdict {
    /// JSON name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Inconclusive => "inconclusive",
            Self::Fail => "fail",
            Self::NoMail => "no_mail",
            Self::Untested => "untested",
        }
    }

    /// The word at the start of the summary line.
    pub fn word(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Warn => "WARN",
            Self::Inconclusive => "INCONCLUSIVE",
            Self::Fail => "FAIL",
            Self::NoMail => "NO MAIL",
            Self::Untested => "UNTESTED",
        }
    }
}

/// The verdict from findings: any error fails, any warning warns.
/// `tested` is false when no server could be tested at all.
pub fn verdict(findings: &[Finding], tested: bool, null_mx: bool) -> Verdict {
    if null_mx {
        return Verdict::NoMail;
    }
    if !tested {
        return Verdict::Untested;
    }
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Error) => Verdict::Fail,
        Some(Severity::Warning) => Verdict::Warn,
        Some(Severity::Info) | None => Verdict::Pass,
    }
}

/// The verdict of a target from its servers and findings.
///
/// An error finding fails it (those are built only on what the servers
/// were seen to do). Otherwise a server that answered but gave no
/// completed TLS 1.2+ session — and was not decided either way (TLS 1.2
/// with legacy suites only is decided: the server finished its side) —
/// makes it INCONCLUSIVE, as does a run cut by Ctrl-C or `--deadline`.
/// PASS therefore always rests on a completed TLS 1.2 or 1.3 handshake.
pub fn target_verdict(
    findings: &[Finding],
    servers: &[ServerObservation],
    null_mx: bool,
) -> Verdict {
    if null_mx {
        return Verdict::NoMail;
    }
    let interrupted = servers.iter().any(ServerObservation::was_interrupted);
    // Exit status 3's "nothing answered": no greeting, no bytes at all, or
    // not even a TCP connection (refused, filtered, unreachable).
    if !servers.iter().any(answered) {
        return if interrupted {
            Verdict::Inconclusive
        } else {
            Verdict::Untested
        };
    }
    let v = verdict(findings, true, false);
    if v == Verdict::Fail {
        return v;
    }
    if interrupted
        || servers.iter().any(is_open)
        || findings.iter().any(|f| f.id == FindingId::TlsInconclusive)
    {
        return Verdict::Inconclusive;
    }
    if v == Verdict::Pass && !servers.iter().any(ServerObservation::establishes_modern) {
        return Verdict::Inconclusive;
    }
    v
}

/// True when something came back from the server beyond the TCP
/// handshake: a greeting, or bytes (HTTP, SSH, TLS, junk), or a close.
/// With TLS on connect (SMTPS) the handshake comes before the greeting:
/// a server that accepted, refused or dropped a TLS version answered,
/// even when no session got as far as its greeting (a TLS 1.0-only
/// server, which tlscheck's own TLS library does not finish).
fn answered(s: &ServerObservation) -> bool {
    match &s.error {
        None => {
            s.banner.is_some()
                || (s.starttls == StarttlsStatus::Implicit
                    && s.versions
                        .iter()
                        .any(|p| p.result.is_accepted() || p.result.is_refused()))
        }
        Some(e) => !e.kind.is_silence() && !matches!(e.kind, FailureKind::NoGreeting { .. }),
    }
}

/// The verdict of one server from the findings about it alone.
pub fn server_verdict(findings: &[Finding], s: &ServerObservation) -> Verdict {
    target_verdict(findings, std::slice::from_ref(s), false)
}

/// True for a server that answered, has no completed TLS 1.2+ session,
/// and whose TLS 1.2 is not decided either (refused, or offered only with
/// suites tlscheck's TLS library lacks).
fn is_open(s: &ServerObservation) -> bool {
    if let Some(e) = &s.error {
        // Connected, but the greeting did not come in time: undecided.
        return matches!(e.kind, FailureKind::NoGreeting { .. });
    }
    if s.banner.is_none() || s.establishes_modern() {
        return false;
    }
    let legacy_suites_only = s.versions.iter().any(|p| {
        matches!(&p.result, VersionResult::Accepted(a)
            if !p.version.is_legacy() && a.legacy_cipher_only && a.limited_by.is_none())
    });
    !legacy_suites_only
}

/// `FAIL contoso.com: <worst finding> — fix: <few words>`.
pub fn summary_line(target: &str, verdict: Verdict, findings: &[Finding]) -> String {
    summary_line_for(target, verdict, findings, false)
}

/// [`summary_line`]; `implicit_tls` when the servers speak TLS on connect
/// (SMTPS), so PASS does not say STARTTLS.
pub fn summary_line_for(
    target: &str,
    verdict: Verdict,
    findings: &[Finding],
    implicit_tls: bool,
) -> String {
    let worst = match verdict {
        // The reason it is undecided, not another warning.
        Verdict::Inconclusive => findings
            .iter()
            .find(|f| f.id == FindingId::TlsInconclusive)
            .or_else(|| findings.iter().find(|f| f.severity > Severity::Info)),
        _ => findings.iter().find(|f| f.severity > Severity::Info),
    };
    match (verdict, worst) {
        (Verdict::Pass, _) => format!(
            "PASS {target}: receiving works: Office 365 → {target} over {} with TLS 1.2 or newer; sending ({target} → Office 365) is not tested here: tlscheck listen / tlscheck schannel",
            if implicit_tls {
                "TLS on connect (SMTPS; Office 365 itself delivers to port 25 with STARTTLS)"
            } else {
                "STARTTLS"
            }
        ),
        (Verdict::NoMail, _) => {
            format!(
                "NO MAIL {target}: the domain publishes a null MX (RFC 7505) and accepts no mail"
            )
        }
        (v, Some(f)) => {
            let fix = f.fix.map_or(f.fix_short, |x| x.remediation.title);
            format!("{} {target}: {} — fix: {fix}", v.word(), f.title)
        }
        (Verdict::Inconclusive, None) => format!(
            "INCONCLUSIVE {target}: no TLS 1.2 or newer session was completed and nothing seen fails it — see the details"
        ),
        (v, None) => format!("{} {target}: nothing could be tested", v.word()),
    }
}

#[cfg(test)]
mod tests;
