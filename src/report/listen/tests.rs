//! Unit tests of the listen renderers over a hand-built session.

use super::*;
use crate::diagnose::sender::judge;
use crate::model::listen::Negotiated;
use crate::model::listen::{Handshake, Offer, OfferSource, SessionEnd};
use crate::model::TranscriptEvent;
use crate::model::{Direction, TlsVersion};
use rustls::{CipherSuite, NamedGroup};
use std::time::Duration;

fn legacy() -> SenderSession {
    SenderSession {
        peer: "192.0.2.7:50000".parse().unwrap(),
        started_at: "2026-01-01T00:00:00Z".to_owned(),
        ehlo_name: Some("mx1.contoso.com\u{1b}[31m".to_owned()),
        used_helo: false,
        starttls: true,
        plaintext_mail: false,
        offer: Some(Offer {
            client_version: 0x0301,
            supported_versions: None,
            versions: vec![TlsVersion::Tls10],
            source: OfferSource::LegacyClientVersion,
            highest: 0x0301,
            cipher_suites: vec![
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
                CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
            ],
            groups: vec![NamedGroup::X25519, NamedGroup::secp256r1],
            sni: Some("mx|<b>".to_owned()),
        }),
        hello_error: None,
        handshake: Handshake::ClosedLegacyOnly,
        tls_ehlo_name: None,
        mail_from: None,
        rcpt_to: Vec::new(),
        end: SessionEnd::ClosedAfterLegacyHello,
        transcript: vec![TranscriptEvent {
            at: Duration::from_millis(5),
            direction: Direction::Received,
            text: "EHLO mx1.contoso.com\u{1b}[31m".to_owned(),
        }],
        elapsed: Duration::from_millis(40),
    }
}

#[test]
fn text_names_versions_suites_and_the_fix_and_escapes_sender_text() {
    let s = legacy();
    let out = render_text(&s, &judge(&s), &Palette::plain(), true);
    assert!(out.starts_with("FAIL sender 192.0.2.7 (EHLO mx1.contoso.com\\x1b[31m)"));
    assert!(!out.contains('\u{1b}'), "{out}");
    for needle in [
        "TLS 1.0 (implied by client_version TLS 1.0",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "x25519, secp256r1",
        "421 4.4.2 Connection dropped due to SocketError",
        r"Protocols\TLS 1.2\Client]",
        "as Office 365 does",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
}

#[test]
fn markdown_cannot_be_broken_by_sender_text() {
    let s = legacy();
    let out = render_markdown(&s, &judge(&s), false);
    assert!(out.contains("mx\\|\\<b\\>"), "{out}");
    assert!(!out.contains('\u{1b}'));
    assert!(out.contains("    ```reg\n    Windows Registry Editor Version 5.00"));
}

#[test]
fn json_keeps_sender_text_exact_and_names_the_kind() {
    let mut s = legacy();
    s.offer = Some(Offer {
        supported_versions: Some(vec![0x0304, 0x0303]),
        versions: vec![TlsVersion::Tls12, TlsVersion::Tls13],
        source: OfferSource::SupportedVersions,
        highest: 0x0304,
        client_version: 0x0303,
        ..s.offer.unwrap()
    });
    s.handshake = Handshake::Completed(Negotiated {
        version: TlsVersion::Tls13,
        cipher: CipherSuite::TLS13_AES_256_GCM_SHA384,
        group: Some(NamedGroup::X25519),
    });
    s.end = SessionEnd::Quit;
    let v: serde_json::Value = serde_json::from_str(&render_json(&s, &judge(&s), true)).unwrap();
    assert_eq!(v["kind"], "listen");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["sender"]["ehlo_name"], "mx1.contoso.com\u{1b}[31m");
    assert_eq!(v["client_hello"]["offered_versions"][1], "1.3");
    assert_eq!(v["client_hello"]["supported_versions"][0], "1.3");
    assert_eq!(v["client_hello"]["highest_version"], "1.3");
    assert_eq!(v["handshake"]["cipher"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(v["end"]["reason"], "quit");
    assert_eq!(v["transcript"][0]["dir"], "received");
    let line = render_json_line(&s, &judge(&s), false);
    assert_eq!(line.lines().count(), 1);
    assert!(line.contains("\"transcript\":null"));
}

#[test]
fn text_names_the_first_suites_and_counts_the_rest() {
    let mut s = legacy();
    if let Some(o) = s.offer.as_mut() {
        o.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA; 20];
    }
    let out = render_text(&s, &judge(&s), &Palette::plain(), false);
    assert!(out.contains("20 offered:"), "{out}");
    assert!(out.contains("… and 8 more (--format json"), "{out}");
    assert_eq!(out.matches("TLS_RSA_WITH_AES_128_CBC_SHA").count(), 12);
}
