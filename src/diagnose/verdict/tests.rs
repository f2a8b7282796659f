use super::*;

fn finding(severity: Severity) -> Finding {
    Finding {
        id: crate::diagnose::findings::FindingId::NoTls13,
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
