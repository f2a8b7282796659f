//! The verdict of a target and the one line a helpdesk reads aloud.

use super::findings::{Finding, Severity};

/// The overall result for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Nothing wrong.
    Pass,
    /// Works, with warnings.
    Warn,
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

/// `FAIL contoso.com: <worst finding> — fix: <few words>`.
pub fn summary_line(target: &str, verdict: Verdict, findings: &[Finding]) -> String {
    let worst = findings.iter().find(|f| f.severity > Severity::Info);
    match (verdict, worst) {
        (Verdict::Pass, _) => {
            format!("PASS {target}: STARTTLS with TLS 1.2 or newer works; Office 365 can exchange mail over TLS")
        }
        (Verdict::NoMail, _) => {
            format!(
                "NO MAIL {target}: the domain publishes a null MX (RFC 7505) and accepts no mail"
            )
        }
        (v, Some(f)) => {
            let fix = f.fix.map_or(f.fix_short, |x| x.remediation.title);
            format!("{} {target}: {} — fix: {fix}", v.word(), f.title)
        }
        (v, None) => format!("{} {target}: nothing could be tested", v.word()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity) -> Finding {
        Finding {
            id: "x",
            severity,
            title: "t".to_owned(),
            evidence: Vec::new(),
            signatures: Vec::new(),
            fix_short: "f",
            remediation: Vec::new(),
            fix: None,
        }
    }

    #[test]
    fn worst_severity_decides_the_verdict() {
        assert_eq!(verdict(&[], true, false), Verdict::Pass);
        assert_eq!(
            verdict(&[finding(Severity::Info)], true, false),
            Verdict::Pass
        );
        assert_eq!(
            verdict(
                &[finding(Severity::Info), finding(Severity::Warning)],
                true,
                false
            ),
            Verdict::Warn
        );
        assert_eq!(
            verdict(
                &[finding(Severity::Error), finding(Severity::Warning)],
                true,
                false
            ),
            Verdict::Fail
        );
        assert_eq!(
            verdict(&[finding(Severity::Error)], false, false),
            Verdict::Untested
        );
        assert_eq!(verdict(&[], true, true), Verdict::NoMail);
    }

    #[test]
    fn summary_names_the_worst_finding_and_its_fix() {
        let f = finding(Severity::Error);
        assert_eq!(
            summary_line("contoso.com", Verdict::Fail, &[f]),
            "FAIL contoso.com: t — fix: f"
        );
    }
}
