//! The verdict on a *sending* server, from one `tlscheck listen` session,
//! against Office 365's rule: TLS 1.2 or newer, after STARTTLS.
//!
//! Pure: a [`SenderSession`] in, findings, a verdict, a summary line and the
//! fix out. No IO, no printing; `report::listen` renders the result.

use rustls::AlertDescription;

use super::findings::{sig, Finding, FindingId, Severity};
use super::remediation::{self, Remediation, ServerSoftware};
use super::verdict::{verdict, Verdict};
use crate::model::listen::{Handshake, OfferSource, SenderSession};
use crate::model::TlsVersion;
use crate::proto::tls::wire_version_name;

/// `Cannot start TLS: handshake failure`, what a Postfix sender logs
/// (with `SSL_connect error to …: lost connection` before it) when the
/// receiver closes on its ClientHello.
const POSTFIX_HANDSHAKE_FAILURE: &str = "postfix-tls-handshake-failure";

/// The verdict on one sender session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderJudgement {
    /// Pass (TLS 1.2+ offered), Warn (offered, but the handshake with
    /// tlscheck failed), Fail (only TLS 1.0/1.1, no STARTTLS, no
    /// ClientHello) or Untested (the session ended before STARTTLS or MAIL).
    pub verdict: Verdict,
    /// What is wrong, worst first.
    pub findings: Vec<Finding>,
    /// One line: `FAIL sender 192.0.2.7 (EHLO mx1.contoso.com): …`.
    pub summary: String,
    /// The fix to paste (the SCHANNEL `TLS 1.2\Client` .reg), when the
    /// sender must enable TLS 1.2.
    pub fix: Option<Remediation>,
}

/// The most characters of the sender's EHLO name a summary line shows.
pub const MAX_NAME_SHOWN: usize = 64;

/// Who the sender is, for summary and evidence lines: its address and its
/// EHLO name, cut to [`MAX_NAME_SHOWN`] characters (raw otherwise;
/// renderers escape it).
pub fn sender_label(s: &SenderSession) -> String {
    match s.sender_name() {
        Some(name) => {
            let mut shown: String = name.chars().take(MAX_NAME_SHOWN).collect();
            if shown.len() < name.len() {
                shown.push('…');
            }
            format!("sender {} (EHLO {shown})", s.peer.ip())
        }
        None => format!("sender {}", s.peer.ip()),
    }
}

/// Judges one session.
pub fn judge(s: &SenderSession) -> SenderJudgement {
    let mut findings = Vec::new();
    let mut fix = None;
    let who = sender_label(s);
    if let Some(offer) = &s.offer {
        if !offer.offers_modern() {
            findings.push(legacy_only(s));
            fix = Some(remediation::enable_tls12(ServerSoftware::Exchange));
        } else if let Handshake::Failed {
            sender_alert,
            detail,
        } = &s.handshake
        {
            findings.push(handshake_failed(s, *sender_alert, detail));
        }
    } else if s.starttls {
        findings.push(no_client_hello(s));
        fix = Some(remediation::enable_tls12(ServerSoftware::Exchange));
    } else if s.plaintext_mail {
        findings.push(no_starttls(s));
    }
    findings.extend(super::profiles::sender_finding(s));
    let v = verdict(&findings, s.was_tested(), false);
    let summary = summary(&who, v, s, &findings);
    SenderJudgement {
        verdict: v,
        findings,
        summary,
        fix,
    }
}

fn summary(who: &str, v: Verdict, s: &SenderSession, findings: &[Finding]) -> String {
    let worst = findings.iter().find(|f| f.severity > Severity::Info);
    match (v, worst) {
        (Verdict::Pass, _) => {
            let highest = s
                .offer
                .as_ref()
                .map(|o| wire_version_name(o.highest))
                .unwrap_or_default();
            let agreed = match &s.handshake {
                Handshake::Completed(n) => format!(
                    "; handshake {} {}",
                    n.version,
                    crate::proto::tls::cipher_name(n.cipher)
                ),
                _ => String::new(),
            };
            format!(
                "PASS {who}: offers TLS 1.2 or newer (highest {highest}){agreed}; Office 365 accepts TLS from this sender"
            )
        }
        (v, Some(f)) => format!("{} {who}: {} — fix: {}", v.word(), f.title, f.fix_short),
        (v, None) => format!(
            "{} {who}: the session ended before STARTTLS or MAIL FROM ({})",
            v.word(),
            s.end
        ),
    }
}

/// `TLS 1.0 and TLS 1.1`, `TLS 1.0`, `SSL 3.0`.
fn version_words(s: &SenderSession) -> String {
    let Some(o) = &s.offer else {
        return String::new();
    };
    let names: Vec<String> = o.versions.iter().map(ToString::to_string).collect();
    match names.as_slice() {
        [] => wire_version_name(o.highest),
        // Without supported_versions the hello states its highest version
        // only; below TLS 1.0 there is no TLS version to name.
        [one]
            if o.source == OfferSource::LegacyClientVersion
                && o.versions != [TlsVersion::Tls10] =>
        {
            format!("{one} or lower")
        }
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn offer_evidence(s: &SenderSession) -> String {
    let Some(o) = &s.offer else {
        return String::new();
    };
    let how = match o.source {
        OfferSource::SupportedVersions => {
            let list: Vec<String> = o
                .supported_versions
                .iter()
                .flatten()
                .map(|v| wire_version_name(*v))
                .collect();
            format!("supported_versions [{}]", list.join(", "))
        }
        OfferSource::LegacyClientVersion => {
            "no supported_versions extension (legacy negotiation: client_version is the highest version)"
                .to_owned()
        }
    };
    format!(
        "ClientHello from {}: client_version {}, {how}",
        s.peer,
        wire_version_name(o.client_version)
    )
}

fn legacy_only(s: &SenderSession) -> Finding {
    Finding::of(FindingId::SenderLegacyTlsOnly)
        .with_title(format!(
            "The sender offers only {} when it starts TLS; Office 365 requires TLS 1.2 and drops the connection",
            version_words(s)
        ))
        .with_evidence(vec![
            offer_evidence(s),
            "tlscheck closed the connection after the ClientHello, as Office 365 does: the sender now logs a SocketError for this connection, and may retry in plain text".to_owned(),
        ])
// Exchange logs the first two; a Postfix sender logs the third
        // (checked by tests/e2e/listen.sh).
        .with_signatures(vec![
            sig::SOCKET_ERROR_421,
            sig::TLS_NEGOTIATION_SOCKET_ERROR,
            POSTFIX_HANDSHAKE_FAILURE,
        ])
        .with_remediation(vec![
            "Windows / Exchange: SCHANNEL `Protocols\\TLS 1.2\\Client` must have Enabled=1 and DisabledByDefault=0, and .NET must use the system TLS versions: import the .reg below on the sending server and restart it.".to_owned(),
            "Postfix: `smtp_tls_protocols` and `smtp_tls_mandatory_protocols` must allow TLSv1.2 (no `<=TLSv1.1`, no `!TLSv1.2`); look for `-o smtp_tls_protocols` overrides with `postconf -P | grep smtp_tls`.".to_owned(),
            "Other senders (appliances, applications): update the TLS library or set the minimum TLS version to 1.2.".to_owned(),
            "Then send another test message to `tlscheck listen`: it should now show TLS 1.2 or 1.3.".to_owned(),
        ])
}

fn no_client_hello(s: &SenderSession) -> Finding {
    let why = s.hello_error.clone().unwrap_or_default();
    Finding::of(FindingId::SenderNoClientHello)
        .with_evidence(vec![why])
        .with_remediation(vec![
            "Windows: a sender whose SCHANNEL Client protocols are all disabled cannot build a ClientHello; enable `TLS 1.2\\Client` with the .reg below and restart.".to_owned(),
            "Read the sender's log for this connection (Exchange: Send connector protocol log; Postfix: mail log with `smtp_tls_loglevel = 1`).".to_owned(),
        ])
}

fn no_starttls(s: &SenderSession) -> Finding {
    Finding::of(FindingId::SenderNoStarttls)
        .with_evidence(vec![
            format!(
                "{} skipped STARTTLS and was answered `530 5.7.0 Must issue a STARTTLS command first`",
                s.peer
            ),
            "Senders retry in plain text right after a failed TLS handshake: if the session before this one ended after the ClientHello, fix that first.".to_owned(),
        ])
        .with_signatures(vec![sig::MUST_STARTTLS_451, sig::MUST_STARTTLS_530])
        .with_remediation(vec![
            "Exchange: the Send connector must not ignore STARTTLS: `Get-SendConnector | fl Name,IgnoreSTARTTLS,RequireTLS,TlsAuthLevel`, then `Set-SendConnector <Name> -IgnoreSTARTTLS $false`.".to_owned(),
            "Postfix: `smtp_tls_security_level = may` (or `encrypt`) in main.cf, and no `-o smtp_tls_security_level=none` in master.cf.".to_owned(),
            "Devices and applications: turn on TLS / STARTTLS in their SMTP settings.".to_owned(),
        ])
}

/// Alerts a client sends when it refuses the server's certificate.
fn is_certificate_alert(a: AlertDescription) -> bool {
    matches!(
        a,
        AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
    )
}

fn handshake_failed(
    s: &SenderSession,
    sender_alert: Option<AlertDescription>,
    detail: &str,
) -> Finding {
    let offer = s.offer.as_ref();
    let offers_ecdsa = offer.is_some_and(|o| {
        o.cipher_suites
            .iter()
            .any(|c| crate::proto::tls::cipher_name(*c).contains("ECDSA"))
            || o.versions.contains(&crate::model::TlsVersion::Tls13)
    });
    let (fix_short, advice) = if sender_alert.is_some_and(is_certificate_alert) {
        (
            "the sender checks certificates: give tlscheck listen one it trusts (--cert, --key)",
            "The sender refused tlscheck's certificate, so it validates certificates (Exchange with a TLS-enforcing connector, Postfix `verify`/`secure`). Run `tlscheck listen --cert FULLCHAIN.pem --key KEY.pem` with a certificate for the name the sender connects to.",
        )
    } else if !offers_ecdsa {
        (
            "run tlscheck listen with an RSA certificate (--cert, --key)",
            "The sender offers only RSA cipher suites for TLS 1.2 and tlscheck's own certificate is ECDSA; run `tlscheck listen --cert RSA-FULLCHAIN.pem --key RSA-KEY.pem` to finish the handshake. Office 365 presents an RSA certificate, so this alone does not stop mail to it.",
        )
    } else {
        (
            "offer ECDHE cipher suites with AES-GCM for TLS 1.2",
            // Office 365's TLS 1.2 suites: ECDHE_RSA with AES-GCM or AES-CBC,
            // RSA with AES-GCM; no ChaCha20, no ECDSA. See:
            // https://learn.microsoft.com/en-us/purview/technical-reference-details-about-encryption
            "tlscheck's own listener finishes TLS 1.2 only with ECDHE and AES-GCM or ChaCha20-Poly1305 (a limit of tlscheck, not of Office 365). Office 365 lists for TLS 1.2: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, _AES_128_GCM_SHA256, _AES_256_CBC_SHA384, _AES_128_CBC_SHA256, _AES_256_CBC_SHA, _AES_128_CBC_SHA, and TLS_RSA_WITH_AES_256_GCM_SHA384, _AES_128_GCM_SHA256; compare the sender's cipher suites below with that list and enable the ECDHE_RSA AES-GCM suites on the sender.",
        )
    };
    Finding::of(FindingId::SenderHandshakeFailed)
        .with_title(format!(
            "The sender offers TLS 1.2 or newer, but the handshake with tlscheck failed: {detail}"
        ))
        .with_evidence(vec![offer_evidence(s)])
        .with_fix_short(fix_short)
        .with_remediation(vec![advice.to_owned()])
}

#[cfg(test)]
mod tests;
