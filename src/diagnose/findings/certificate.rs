//! The server's certificate: expiry, trust and name.

use super::checks::Server;
use super::{sig, CheckPolicy, Finding, FindingId};
use crate::model::{CertSummary, CertVerdict};

/// True when the certificate expires within `--cert-warn-days`.
fn expiring(c: &CertSummary, policy: &CheckPolicy) -> bool {
    c.days_left >= 0 && c.days_left < policy.cert_warn_days
}

/// A certificate that expires soon, trusted or not.
pub(super) fn check_certificate_expiry(s: &Server<'_>, policy: &CheckPolicy) -> Option<Finding> {
    let c = s.obs.certificate.as_ref().filter(|c| expiring(c, policy))?;
    Some(
        Finding::of(FindingId::CertificateExpiresSoon)
            .with_title(format!("The certificate expires in {} day(s)", c.days_left))
            .with_evidence(vec![format!("{}: notAfter {}", s.who, c.not_after)])
            .with_signatures(vec![sig::CERT_VALIDATION_450])
            .with_remediation(vec![
                "Renew the certificate and bind the new one to SMTP before it expires.".to_owned(),
            ]),
    )
}

/// A certificate that validating senders refuse.
pub(super) fn check_certificate(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let c = s.obs.certificate.as_ref()?;
    let f = match &c.verdict {
        CertVerdict::Trusted | CertVerdict::TrustedNameNotChecked => return None,
        CertVerdict::Expired => Finding::of(FindingId::CertificateExpired).with_title(format!(
            "The certificate expired on {} ({})",
            c.not_after.get(..10).unwrap_or(&c.not_after),
            match -c.days_left {
                d if d <= 0 => "today".to_owned(),
                1 => "1 day ago".to_owned(),
                d => format!("{d} days ago"),
            }
        )),
        CertVerdict::NotYetValid => Finding::of(FindingId::CertificateNotYetValid),
        CertVerdict::NameMismatch { expected } => Finding::of(FindingId::CertificateNameMismatch)
            .with_title(format!("The certificate does not cover {expected}")),
        CertVerdict::SelfSigned { ca: false } => Finding::of(FindingId::CertificateSelfSigned),
        CertVerdict::SelfSigned { ca: true } => Finding::of(FindingId::CertificateSelfSigned)
            .with_title(
                "The certificate is self-signed, and it is a CA certificate (basicConstraints CA:TRUE) used as the server's own certificate".to_owned(),
            ),
        CertVerdict::UntrustedIssuer => Finding::of(FindingId::CertificateUntrusted),
        CertVerdict::Invalid(why) => Finding::of(FindingId::CertificateInvalid)
            .with_title(format!("The certificate could not be verified: {why}")),
    };
    Some(
        f.with_evidence(vec![format!(
            "{}: subject {}, issuer {}, names [{}]",
            s.who,
            c.subject,
            c.issuer,
            c.sans.join(", ")
        )])
        .with_signatures(vec![sig::CERT_VALIDATION_450, sig::CERT_VALIDATION_454])
        .with_remediation(vec![who_refuses(&c.verdict).to_owned()]),
    )
}

/// Which validating senders refuse which certificate: Exchange Online
/// connectors that validate certificates (450 4.7.320, Mail flow
/// intelligence) and MTA-STS (RFC 8461 §4.2: a publicly trusted
/// certificate naming the MX host) refuse all of these; DANE-EE (usage 3)
/// TLSA records need no public CA and no name match (RFC 7672 §3.1.1), but
/// Exchange Online still fails an expired certificate under DANE (5.7.322,
/// "How SMTP DANE works").
fn who_refuses(verdict: &CertVerdict) -> &'static str {
    match verdict {
        CertVerdict::SelfSigned { .. } | CertVerdict::UntrustedIssuer | CertVerdict::NameMismatch { .. } => "Opportunistic TLS still works (senders encrypt anyway), but Office 365 connectors that validate certificates (450 4.7.320) and MTA-STS senders need a publicly trusted certificate that names the MX host. Under DANE a DANE-EE (usage 3) TLSA record pins the certificate itself, so a self-signed or private-CA certificate is fine there (RFC 7672 §3.1.1).",
        CertVerdict::Expired => "Opportunistic TLS still works (senders encrypt anyway), but Office 365 connectors that validate certificates (450 4.7.320) and MTA-STS senders refuse an expired certificate, and Exchange Online refuses it under DANE too (5.7.322 certificate-expired).",
        _ => "Opportunistic TLS still works (senders encrypt anyway), but Office 365 connectors that validate certificates (450 4.7.320) and MTA-STS senders refuse it.",
    }
}
