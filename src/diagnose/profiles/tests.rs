use super::*;
use crate::proto::tls::suites::{ProfileCheck, SuiteSeen};
use rustls::CipherSuite;

/// A Postfix-like server that accepts TLS 1.2 only.
fn server_accepting_tls12() -> ServerObservation {
    use crate::diagnose::testing;
    use crate::model::TlsVersion;
    ServerObservation {
        banner: Some(testing::reply(220, "mx.example.test ESMTP Postfix")),
        ..testing::server(vec![testing::probe(
            TlsVersion::Tls12,
            testing::accepted_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        )])
    }
}

fn with_profile(outcome: ProfileOutcome) -> ServerObservation {
    let mut s = server_accepting_tls12();
    s.suites.profiles.push(ProfileCheck {
        profile: "microsoft365",
        outcome,
    });
    s
}

#[test]
fn a_refused_microsoft365_hello_is_an_error_with_the_office365_logs() {
    let s = with_profile(ProfileOutcome::Refused {
        detail: "alert handshake_failure".to_owned(),
    });
    let f = findings(&[s]);
    let f = f
        .iter()
        .find(|f| f.id == "office365-no-common-cipher-suite")
        .unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert!(f.signatures.contains(&"exo-cannot-connect-450-4-4-317"));
    assert!(f.signatures.contains(&sig::CLOSED_ABRUPTLY_450));
}

#[test]
fn a_negotiated_profile_gives_no_finding_and_names_the_suite() {
    let s = with_profile(ProfileOutcome::Negotiated {
        version: crate::model::TlsVersion::Tls12,
        suite: SuiteSeen {
            suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            group: None,
            dh_bits: None,
            cert: None,
        },
    });
    assert!(findings(std::slice::from_ref(&s)).is_empty());
    assert_eq!(
        office365_sentence(&[s]).as_deref(),
        Some("Office 365 negotiates TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    );
}

#[test]
fn no_sentence_when_the_hello_never_ran_and_no_tls12_was_seen() {
    let mut s = with_profile(ProfileOutcome::Inconclusive {
        detail: "not tested: STARTTLS not offered".to_owned(),
    });
    s.versions.clear();
    assert_eq!(office365_sentence(&[s]), None);
}

#[test]
fn an_inconclusive_profile_claims_nothing() {
    let s = with_profile(ProfileOutcome::Inconclusive {
        detail: "timeout".to_owned(),
    });
    assert!(findings(std::slice::from_ref(&s)).is_empty());
    assert_eq!(
        office365_sentence(&[s]).as_deref(),
        Some("Office 365 TLS negotiation inconclusive")
    );
}
