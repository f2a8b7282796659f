use super::*;
use crate::model::listen::{Negotiated, Offer, SessionEnd};
use crate::model::TlsVersion;
use rustls::CipherSuite;

fn session() -> SenderSession {
    SenderSession {
        peer: "192.0.2.7:50000".parse().unwrap(),
        started_at: "2025-01-01T00:00:00Z".to_owned(),
        ehlo_name: Some("mx1.contoso.com".to_owned()),
        used_helo: false,
        starttls: false,
        plaintext_mail: false,
        offer: None,
        hello_error: None,
        handshake: Handshake::NotReached,
        tls_ehlo_name: None,
        mail_from: None,
        rcpt_to: Vec::new(),
        end: SessionEnd::Quit,
        transcript: Vec::new(),
        elapsed: std::time::Duration::ZERO,
    }
}

fn offer(versions: &[TlsVersion], source: OfferSource, suites: &[CipherSuite]) -> Offer {
    Offer {
        client_version: versions
            .iter()
            .max()
            .map_or(0x0301, |v| v.wire().min(0x0303)),
        supported_versions: (source == OfferSource::SupportedVersions)
            .then(|| versions.iter().rev().map(|v| v.wire()).collect()),
        versions: versions.to_vec(),
        source,
        highest: versions.iter().max().map_or(0x0300, |v| v.wire()),
        cipher_suites: suites.to_vec(),
        groups: Vec::new(),
        sni: None,
    }
}

fn ids(j: &SenderJudgement) -> Vec<&'static str> {
    j.findings.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn each_kind_of_session_gets_its_verdict() {
    // A sender whose TLS 1.2 list meets Microsoft 365's (issue 14).
    let ecdhe = [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ];
    let legacy = SenderSession {
        starttls: true,
        offer: Some(offer(
            &[TlsVersion::Tls10],
            OfferSource::LegacyClientVersion,
            &ecdhe,
        )),
        handshake: Handshake::ClosedLegacyOnly,
        end: SessionEnd::ClosedAfterLegacyHello,
        ..session()
    };
    let modern = SenderSession {
        starttls: true,
        offer: Some(offer(
            &[TlsVersion::Tls12, TlsVersion::Tls13],
            OfferSource::SupportedVersions,
            &ecdhe,
        )),
        handshake: Handshake::Completed(Negotiated {
            version: TlsVersion::Tls13,
            cipher: CipherSuite::TLS13_AES_128_GCM_SHA256,
            group: None,
        }),
        ..session()
    };
    let failed = SenderSession {
        handshake: Handshake::Failed {
            sender_alert: Some(AlertDescription::UnknownCA),
            detail: "the sender sent alert unknown_ca".to_owned(),
        },
        ..modern.clone()
    };
    let plain = SenderSession {
        plaintext_mail: true,
        ..session()
    };
    let no_hello = SenderSession {
        starttls: true,
        hello_error: Some("closed".to_owned()),
        ..session()
    };
    let cases: [(&str, SenderSession, Verdict, &[&str]); 6] = [
        (
            "TLS 1.0 only",
            legacy,
            Verdict::Fail,
            &["sender-legacy-tls-only"],
        ),
        ("TLS 1.2 and 1.3", modern, Verdict::Pass, &[]),
        (
            "refused our certificate",
            failed,
            Verdict::Warn,
            &["sender-handshake-failed"],
        ),
        (
            "MAIL in plain text",
            plain,
            Verdict::Fail,
            &["sender-no-starttls"],
        ),
        (
            "STARTTLS then nothing",
            no_hello,
            Verdict::Fail,
            &["sender-no-client-hello"],
        ),
        ("EHLO then QUIT", session(), Verdict::Untested, &[]),
    ];
    for (name, s, want, want_ids) in cases {
        let j = judge(&s);
        assert_eq!(j.verdict, want, "{name}: {}", j.summary);
        assert_eq!(ids(&j), want_ids, "{name}");
        assert!(j.summary.starts_with(want.word()), "{name}: {}", j.summary);
    }
}

#[test]
fn legacy_only_names_the_seed_signatures_and_the_schannel_client_fix() {
    let s = SenderSession {
        starttls: true,
        offer: Some(offer(
            &[TlsVersion::Tls10, TlsVersion::Tls11],
            OfferSource::LegacyClientVersion,
            &[],
        )),
        handshake: Handshake::ClosedLegacyOnly,
        ..session()
    };
    let j = judge(&s);
    let f = &j.findings[0];
    assert_eq!(
        f.signatures,
        [
            "socket-error-421-4-4-2",
            "tls-negotiation-failed-socketerror",
            "postfix-tls-handshake-failure"
        ]
    );
    for id in &f.signatures {
        assert!(crate::diagnose::catalogue::by_id(id).is_some(), "{id}");
    }
    assert!(f.title.contains("TLS 1.0 and TLS 1.1"), "{}", f.title);
    assert!(f.evidence[0].contains("legacy negotiation"));
    let reg = j.fix.unwrap().snippet.unwrap().text;
    assert!(reg.contains(r"Protocols\TLS 1.2\Client]"));
    assert!(j
        .summary
        .starts_with("FAIL sender 192.0.2.7 (EHLO mx1.contoso.com): "));
}

#[test]
fn a_long_ehlo_name_is_cut_in_the_summary() {
    let s = SenderSession {
        ehlo_name: Some("x".repeat(2000)),
        ..session()
    };
    let label = sender_label(&s);
    assert!(label.chars().count() < MAX_NAME_SHOWN + 40, "{label}");
    assert!(label.ends_with("…)"));
}

#[test]
fn pass_summary_names_the_highest_version_and_the_handshake() {
    let s = SenderSession {
        starttls: true,
        offer: Some(offer(
            &[TlsVersion::Tls12, TlsVersion::Tls13],
            OfferSource::SupportedVersions,
            &[CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
        )),
        handshake: Handshake::Completed(Negotiated {
            version: TlsVersion::Tls13,
            cipher: CipherSuite::TLS13_AES_256_GCM_SHA384,
            group: None,
        }),
        ..session()
    };
    assert_eq!(
            judge(&s).summary,
            "PASS sender 192.0.2.7 (EHLO mx1.contoso.com): offers TLS 1.2 or newer (highest TLS 1.3); handshake TLS 1.3 TLS_AES_256_GCM_SHA384; Office 365 accepts TLS from this sender"
        );
}

#[test]
fn plaintext_session_predicts_the_office365_starttls_errors() {
    let j = judge(&SenderSession {
        plaintext_mail: true,
        ..session()
    });
    assert_eq!(
        j.findings[0].signatures,
        ["starttls-required-451-5-7-3", "starttls-required-530-5-7-0"]
    );
    assert!(j.fix.is_none());
}

#[test]
fn rsa_only_sender_is_told_to_give_tlscheck_an_rsa_certificate() {
    let s = SenderSession {
        starttls: true,
        offer: Some(offer(
            &[TlsVersion::Tls12],
            OfferSource::LegacyClientVersion,
            &[CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
        )),
        handshake: Handshake::Failed {
            sender_alert: None,
            detail: "no server certificate chain resolved".to_owned(),
        },
        ..session()
    };
    let j = judge(&s);
    assert_eq!(j.verdict, Verdict::Warn);
    assert!(j.findings[0].fix_short.contains("RSA certificate"));
}
