use rustls::{AlertDescription, CipherSuite, NamedGroup};

use super::*;

fn alert(a: AlertDescription) -> VersionResult {
    VersionResult::Rejected(Rejection::Alert(a))
}

fn accepted(cipher: CipherSuite, group: Option<NamedGroup>) -> VersionResult {
    VersionResult::Accepted(Accepted {
        cipher,
        group,
        full_handshake: false,
        legacy_cipher_only: false,
        limited_by: None,
    })
}

fn limit(kind: LimitKind) -> Limit {
    Limit {
        kind,
        detail: "rustls stopped".to_owned(),
    }
}

#[test]
fn protocol_version_alert_is_final_for_tls13_but_retried_for_tls12() {
    let refused = alert(AlertDescription::ProtocolVersion);
    assert!(!needs_wide_retry(TlsVersion::Tls13, &refused, None));
    assert!(needs_wide_retry(TlsVersion::Tls12, &refused, None));
}

#[test]
fn other_alerts_drops_and_unknowns_are_retried_for_either_version() {
    for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
        assert!(needs_wide_retry(
            version,
            &alert(AlertDescription::HandshakeFailure),
            None
        ));
        let dropped = VersionResult::Dropped {
            stage: Stage::Handshake,
            detail: "reset".to_owned(),
        };
        assert!(needs_wide_retry(version, &dropped, None));
        let unknown = VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: "?".to_owned(),
        };
        assert!(needs_wide_retry(version, &unknown, None));
    }
}

#[test]
fn an_accepted_version_is_retried_only_when_tlscheck_was_limited() {
    let ok = accepted(CipherSuite::TLS13_AES_128_GCM_SHA256, None);
    assert!(!needs_wide_retry(TlsVersion::Tls13, &ok, None));
    let l = limit(LimitKind::TlsLibrary);
    assert!(needs_wide_retry(TlsVersion::Tls13, &ok, Some(&l)));
}

#[test]
fn a_tls12_suite_rustls_lacks_is_legacy_ciphers_only() {
    let first = alert(AlertDescription::HandshakeFailure);
    let wide = accepted(CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA, None);
    let refined = refine(TlsVersion::Tls12, &first, None, wide, None, &[]);
    assert!(
        matches!(&refined, VersionResult::Accepted(a) if a.legacy_cipher_only && a.limited_by.is_none()),
        "{refined:?}"
    );
}

#[test]
fn a_suite_rustls_has_means_tlschecks_library_was_the_limit() {
    let first = alert(AlertDescription::HandshakeFailure);
    let wide = accepted(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        Some(NamedGroup::secp256r1),
    );
    let refined = refine(TlsVersion::Tls12, &first, None, wide, None, &[]);
    let VersionResult::Accepted(a) = &refined else {
        panic!("{refined:?}");
    };
    let l = a.limited_by.as_ref().expect("a limit");
    assert_eq!(l.kind, LimitKind::TlsLibrary);
    assert!(
        l.detail.starts_with("server chose TLS 1.2 "),
        "{}",
        l.detail
    );
}

#[test]
fn a_wide_refusal_replaces_rustls_words_unless_rustls_was_limited() {
    let first = alert(AlertDescription::HandshakeFailure);
    let wide = alert(AlertDescription::ProtocolVersion);
    assert_eq!(
        refine(TlsVersion::Tls12, &first, None, wide.clone(), None, &[]),
        wide
    );
    let l = limit(LimitKind::TlsLibrary);
    let undecided = refine(TlsVersion::Tls12, &first, Some(l), wide, None, &[]);
    assert!(
        matches!(&undecided, VersionResult::Unknown { stage: Stage::Handshake, detail } if detail.starts_with("rustls stopped; with tlscheck's wide ClientHello: ")),
        "{undecided:?}"
    );
}

#[test]
fn a_wide_timeout_leaves_the_first_result_standing() {
    let first = alert(AlertDescription::HandshakeFailure);
    let wide = VersionResult::Timeout {
        stage: Stage::Handshake,
    };
    assert_eq!(
        refine(TlsVersion::Tls13, &first, None, wide, None, &[]),
        first
    );
}
