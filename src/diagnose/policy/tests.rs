use super::*;
use crate::diagnose::testing;
use crate::model::policy::{MtaStsObservation, TlsRptObservation, Validated};
use crate::proto::policy::{StsPolicy, StsRecord};
use rustls::CipherSuite;

/// 2026-12-01, the "now" of every judgement here.
const NOW: i64 = 1_796_083_200;

struct Certs {
    leaf: Vec<u8>,
    ca: Vec<u8>,
}

fn certs(name: &str, expired: bool) -> Certs {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let mut params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = if expired {
        rcgen::date_time_ymd(2025, 6, 1)
    } else {
        rcgen::date_time_ymd(2030, 1, 1)
    };
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = params.signed_by(&key, &issuer).unwrap();
    Certs {
        leaf: leaf.der().to_vec(),
        ca: ca.der().to_vec(),
    }
}

fn spki(der: &[u8]) -> Vec<u8> {
    let (_, c) = X509Certificate::from_der(der).unwrap();
    c.tbs_certificate.subject_pki.raw.to_vec()
}

fn tlsa(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> Tlsa {
    Tlsa {
        usage,
        selector,
        matching,
        data,
    }
}

fn sha256(b: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, b)
        .as_ref()
        .to_vec()
}

fn server(chain: Vec<Vec<u8>>, starttls: StarttlsStatus) -> ServerObservation {
    let mut p = testing::probe(
        TlsVersion::Tls13,
        testing::accepted_with(CipherSuite::TLS13_AES_128_GCM_SHA256),
    );
    p.chain = chain;
    ServerObservation {
        preference: Some(10),
        starttls,
        elapsed: Duration::from_millis(5),
        ..testing::server(vec![p])
    }
}

fn obs(mx: DnssecStatus, tlsa_status: DnssecStatus, records: Vec<Tlsa>) -> PolicyObservation {
    PolicyObservation {
        domain: "example.test".into(),
        anchor: "test".into(),
        mx: Validated {
            name: "example.test".into(),
            answer: Answer::Records(vec![(10, "mx.example.test".into())]),
            status: mx,
        },
        exchanges: vec![ExchangeDane {
            exchange: "mx.example.test".into(),
            preference: 10,
            address_status: DnssecStatus::Secure,
            tlsa: Validated {
                name: "_25._tcp.mx.example.test".into(),
                answer: Answer::Records(records),
                status: tlsa_status,
            },
        }],
        mta_sts: MtaStsObservation {
            txt: Answer::NoData,
            record: None,
            url: "https://mta-sts.example.test/.well-known/mta-sts.txt".into(),
            policy_addresses: Vec::new(),
            fetch: PolicyFetch::NotFetched,
            policy: None,
        },
        tls_rpt: TlsRptObservation {
            txt: Answer::NoData,
            record: None,
        },
        checked_at: NOW,
    }
}

fn ids(r: &PolicyReport) -> Vec<(&'static str, Severity)> {
    r.findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect()
}

#[test]
fn matches_every_selector_and_matching_type() {
    let c = certs("mx.example.test", false);
    let key = spki(&c.leaf);
    let sha512 = |b: &[u8]| {
        ring::digest::digest(&ring::digest::SHA512, b)
            .as_ref()
            .to_vec()
    };
    let cases = [
        (tlsa(3, 0, 0, c.leaf.clone()), true),
        (tlsa(3, 0, 1, sha256(&c.leaf)), true),
        (tlsa(3, 0, 2, sha512(&c.leaf)), true),
        (tlsa(3, 1, 0, key.clone()), true),
        (tlsa(3, 1, 1, sha256(&key)), true),
        (tlsa(3, 1, 2, sha512(&key)), true),
        (tlsa(3, 1, 1, sha256(&c.leaf)), false),
        (tlsa(3, 0, 1, sha256(&key)), false),
    ];
    for (record, expected) in cases {
        assert_eq!(cert_matches(&record, &c.leaf), expected, "{record:?}");
    }
    assert!(!cert_matches(
        &tlsa(3, 1, 1, vec![0; 32]),
        b"not a certificate"
    ));
}

#[test]
fn an_unsigned_domain_gets_only_informational_dane_findings() {
    let c = certs("other.example.test", true);
    let o = obs(
        DnssecStatus::Insecure,
        DnssecStatus::Insecure,
        vec![tlsa(3, 1, 1, vec![0; 32])],
    );
    let r = judge(
        &o,
        &[server(vec![c.leaf, c.ca], StarttlsStatus::NotOffered)],
    );
    assert!(
        r.findings.iter().all(|f| f.severity == Severity::Info),
        "{:?}",
        ids(&r)
    );
    assert!(matches!(r.dane[0].state, DaneState::NotApplied(_)));
}

#[test]
fn exchange_online_codes_for_each_dane_failure() {
    let good = certs("mx.example.test", false);
    let wrong_name = certs("other.example.test", false);
    let expired = certs("mx.example.test", true);
    let ee = |c: &Certs| tlsa(3, 1, 1, sha256(&spki(&c.leaf)));
    let cases: Vec<(&Certs, Tlsa, StarttlsStatus, Option<&str>)> = vec![
        (&good, ee(&good), StarttlsStatus::Offered, None),
        (
            &good,
            ee(&good),
            StarttlsStatus::NotOffered,
            Some(exo::STARTTLS_NOT_SUPPORTED),
        ),
        (
            &expired,
            ee(&expired),
            StarttlsStatus::Offered,
            Some(exo::CERTIFICATE_EXPIRED),
        ),
        (
            &wrong_name,
            ee(&wrong_name),
            StarttlsStatus::Offered,
            Some(exo::CERTIFICATE_HOST_MISMATCH),
        ),
        (
            &good,
            tlsa(3, 1, 1, vec![7; 32]),
            StarttlsStatus::Offered,
            Some(exo::TLSA_INVALID),
        ),
        (
            &good,
            tlsa(1, 1, 1, sha256(&spki(&good.leaf))),
            StarttlsStatus::Offered,
            Some(exo::TLSA_INVALID),
        ),
        (
            &good,
            tlsa(2, 1, 1, sha256(&spki(&good.ca))),
            StarttlsStatus::Offered,
            None,
        ),
        (
            &wrong_name,
            tlsa(2, 1, 1, sha256(&spki(&wrong_name.ca))),
            StarttlsStatus::Offered,
            Some(exo::CERTIFICATE_HOST_MISMATCH),
        ),
    ];
    for (i, (c, record, starttls, expected)) in cases.into_iter().enumerate() {
        let o = obs(DnssecStatus::Secure, DnssecStatus::Secure, vec![record]);
        let r = judge(&o, &[server(vec![c.leaf.clone(), c.ca.clone()], starttls)]);
        let got = r.dane[0].servers[0].exo;
        assert_eq!(
            got,
            Some(expected.map_or(Ok(()), Err)),
            "case {i}: {:?}",
            ids(&r)
        );
        let errors = r
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        assert_eq!(
            errors,
            usize::from(expected.is_some()),
            "case {i}: {:?}",
            ids(&r)
        );
    }
}

#[test]
fn dane_ee_ignores_names_and_dates_in_the_rfc_view() {
    let expired = certs("other.example.test", true);
    let records = [RecordView {
        record: tlsa(3, 1, 1, sha256(&spki(&expired.leaf))),
        unusable: None,
    }];
    let s = judge_session(
        "mx.example.test",
        &records,
        TlsVersion::Tls12,
        &[expired.leaf, expired.ca],
        NOW,
    );
    assert!(s.rfc_ok);
    assert_eq!(s.exo, Err(exo::CERTIFICATE_EXPIRED));
}

#[test]
fn bogus_dnssec_fails_with_5_7_324() {
    let o = obs(
        DnssecStatus::Secure,
        DnssecStatus::Bogus("x".into()),
        Vec::new(),
    );
    let r = judge(&o, &[]);
    assert_eq!(ids(&r), [("dane-dnssec-invalid", Severity::Error)]);
    let o = obs(
        DnssecStatus::Bogus("x".into()),
        DnssecStatus::Secure,
        Vec::new(),
    );
    assert!(ids(&judge(&o, &[])).contains(&("dnssec-bogus", Severity::Error)));
}

#[test]
fn mta_sts_modes_set_the_severity_of_an_mx_outside_the_policy() {
    for (mode, severity) in [
        (StsMode::Enforce, Some(Severity::Error)),
        (StsMode::Testing, Some(Severity::Warning)),
        (StsMode::None, None),
    ] {
        let mut o = obs(DnssecStatus::Insecure, DnssecStatus::Insecure, Vec::new());
        o.mta_sts.record = Some(Ok(StsRecord {
            id: "1".into(),
            extensions: Vec::new(),
        }));
        o.mta_sts.fetch = PolicyFetch::Response {
            status: 200,
            content_type: Some("text/plain; charset=utf-8".into()),
            location: None,
            body: Vec::new(),
            oversized: false,
            body_timed_out: false,
        };
        o.mta_sts.policy = Some(Ok(StsPolicy {
            mode,
            max_age: 86400,
            mx: vec!["*.other.test".into()],
            warnings: Vec::new(),
        }));
        let r = judge(&o, &[]);
        let got = r
            .findings
            .iter()
            .find(|f| f.id == "mta-sts-mx-not-in-policy")
            .map(|f| f.severity);
        assert_eq!(got, severity, "{mode:?}: {:?}", ids(&r));
        assert!(ids(&r).contains(&("tls-rpt-missing", Severity::Info)));
    }
}
