//! Cipher suite enumeration and sender profiles against real OpenSSL
//! servers configured per case, checked against `openssl s_client`
//! ground truth: every suite tlscheck lists must be negotiable with
//! `s_client -cipher X`, and one `s_client` offering every other suite the
//! local OpenSSL knows must fail (so nothing was missed). The Office 365
//! verdict is checked on the same servers.

use openssl::dh::Dh;
use openssl::hash::MessageDigest;
use openssl::ssl::SslVersion;
use rustls::CipherSuite;

use tlscheck::diagnose::profiles::{findings, office365_sentence};
use tlscheck::model::{ServerObservation, TlsVersion};
use tlscheck::net::probe::probe_server;
use tlscheck::proto::tls::suites::{ProfileOutcome, ScanEnd, ServerOrder, VersionSuites};

use crate::probe::{config, STAGE};
use crate::servers::suites::{cert, openssl_table, s_client, s_client_with, Case, Key};

async fn scan(case: Case) -> (ServerObservation, u16) {
    let server = case.spawn();
    let (mut cfg, _cancel) = config(STAGE);
    cfg.suites.scan = true;
    let o = probe_server(&cfg, Some("mx.example.test".to_owned()), server.addr, None).await;
    (o, server.addr.port())
}

fn version(o: &ServerObservation, v: TlsVersion) -> &VersionSuites {
    o.suites
        .scan
        .as_ref()
        .expect("the enumeration ran")
        .versions
        .iter()
        .find(|x| x.version == v)
        .expect("the version was enumerated")
}

fn ids(v: &VersionSuites) -> Vec<u16> {
    v.accepted.iter().map(|s| u16::from(s.suite)).collect()
}

/// Asserts tlscheck's list for `v` equals what `s_client` can negotiate:
/// each listed suite alone succeeds, and all the others together fail.
fn assert_ground_truth(o: &ServerObservation, port: u16, v: TlsVersion) {
    let flag = match v {
        TlsVersion::Tls10 => "-tls1",
        TlsVersion::Tls11 => "-tls1_1",
        TlsVersion::Tls12 => "-tls1_2",
        TlsVersion::Tls13 => unreachable!("TLS 1.3 has its own check"),
    };
    let vs = version(o, v);
    assert!(vs.end.is_complete(), "{v}: {:?}", vs.end);
    let table = openssl_table();
    let name_of = |id: u16| {
        table
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| panic!("0x{id:04x} is not in the local OpenSSL's table"))
    };
    let accepted = ids(vs);
    for id in &accepted {
        let name = name_of(*id);
        assert_eq!(
            s_client(port, flag, &name).as_deref(),
            Some(name.as_str()),
            "{v}: s_client could not negotiate {name}, which tlscheck listed"
        );
    }
    let others: Vec<String> = table
        .iter()
        .filter(|(i, _)| !accepted.contains(i))
        .map(|(_, n)| n.clone())
        .collect();
    assert_eq!(
        s_client(port, flag, &others.join(":")),
        None,
        "{v}: the server accepted a suite tlscheck did not list"
    );
    // The same long list plus one listed suite must work, or the failure
    // above proved nothing (an unusable cipher string also fails).
    if let Some(first) = accepted.first() {
        assert!(
            s_client(
                port,
                flag,
                &format!("{}:{}", others.join(":"), name_of(*first))
            )
            .is_some(),
            "{v}: s_client cannot use the complement list at all"
        );
    }
}

fn m365(o: &ServerObservation) -> &ProfileOutcome {
    &o.suites
        .profiles
        .iter()
        .find(|c| c.profile == "microsoft365")
        .expect("the Microsoft 365 check ran by default")
        .outcome
}

fn m365_suite(o: &ServerObservation) -> Option<CipherSuite> {
    match m365(o) {
        ProfileOutcome::Negotiated { suite, .. } => Some(suite.suite),
        _ => None,
    }
}

fn finding_ids(o: &ServerObservation) -> Vec<&'static str> {
    findings(std::slice::from_ref(o))
        .into_iter()
        .map(|f| f.id.as_str())
        .collect()
}

#[tokio::test]
async fn ecdsa_only_certificate_has_no_suite_in_common_with_office365() {
    let case = Case::new(vec![cert(Key::EcP256, MessageDigest::sha256())], "ALL");
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    let v12 = version(&o, TlsVersion::Tls12);
    assert!(!v12.accepted.is_empty());
    for s in &v12.accepted {
        let name = tlscheck::proto::tls::cipher_name(s.suite);
        assert!(
            name.contains("ECDSA") || name.contains("anon"),
            "{name} needs no ECDSA key"
        );
    }
    assert!(
        matches!(m365(&o), ProfileOutcome::Refused { .. }),
        "{:?}",
        m365(&o)
    );
    let f = findings(std::slice::from_ref(&o));
    let f = f
        .iter()
        .find(|f| f.id == "office365-no-common-cipher-suite")
        .expect("no common suite is a finding");
    assert_eq!(f.fix_short, "add an RSA certificate next to the ECDSA one");
    assert_eq!(
        office365_sentence(std::slice::from_ref(&o)).as_deref(),
        Some("Office 365 cannot negotiate TLS (no cipher suite in common)")
    );
}

#[tokio::test]
async fn chacha20_only_tls12_has_no_suite_in_common_with_office365() {
    let case = Case::new(
        vec![cert(Key::Rsa(2048), MessageDigest::sha256())],
        "ECDHE-RSA-CHACHA20-POLY1305",
    );
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    assert_eq!(
        ids(version(&o, TlsVersion::Tls12)),
        [u16::from(
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        )]
    );
    assert!(version(&o, TlsVersion::Tls10).accepted.is_empty());
    assert!(matches!(m365(&o), ProfileOutcome::Refused { .. }));
    let f = findings(std::slice::from_ref(&o));
    let f = f
        .iter()
        .find(|f| f.id == "office365-no-common-cipher-suite")
        .unwrap();
    assert_eq!(f.fix_short, "enable an ECDHE_RSA AES-GCM cipher suite");
}

#[tokio::test]
async fn cbc_only_with_rsa_key_exchange_is_listed_per_version_and_refused_by_office365() {
    let case = Case::new(
        vec![cert(Key::Rsa(2048), MessageDigest::sha256())],
        "AES128-SHA:AES256-SHA",
    );
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    assert_ground_truth(&o, port, TlsVersion::Tls10);
    let mut got = ids(version(&o, TlsVersion::Tls12));
    got.sort_unstable();
    assert_eq!(
        got,
        [
            u16::from(CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA),
            u16::from(CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA)
        ]
    );
    // Microsoft 365 lists RSA key exchange with AES-GCM only.
    assert!(matches!(m365(&o), ProfileOutcome::Refused { .. }));
    assert!(finding_ids(&o).contains(&"office365-no-common-cipher-suite"));
}

#[tokio::test]
async fn dhe_1024_is_measured_and_flagged() {
    let mut case = Case::new(
        vec![cert(Key::Rsa(2048), MessageDigest::sha256())],
        "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA",
    );
    case.dh = Some(Dh::get_1024_160().unwrap());
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    let v12 = version(&o, TlsVersion::Tls12);
    assert_eq!(v12.accepted.len(), 2);
    for s in &v12.accepted {
        assert_eq!(s.dh_bits, Some(1024), "{s:?}");
    }
    assert!(finding_ids(&o).contains(&"weak-dh-group"));
    // No DHE suite in Microsoft 365's list either.
    assert!(matches!(m365(&o), ProfileOutcome::Refused { .. }));
}

#[tokio::test]
async fn rsa_1024_key_is_flagged_and_office365_still_negotiates() {
    let case = Case::new(
        vec![cert(Key::Rsa(1024), MessageDigest::sha256())],
        "DEFAULT",
    );
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    let s = &version(&o, TlsVersion::Tls12).accepted[0];
    let c = s.cert.as_ref().unwrap();
    assert_eq!((c.key_type.as_str(), c.key_bits), ("RSA", Some(1024)));
    assert!(finding_ids(&o).contains(&"certificate-rsa-key-short"));
    assert_eq!(
        m365_suite(&o),
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)
    );
}

#[tokio::test]
async fn sha1_signed_certificate_is_flagged() {
    let case = Case::new(vec![cert(Key::Rsa(2048), MessageDigest::sha1())], "DEFAULT");
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    let c = version(&o, TlsVersion::Tls12).accepted[0]
        .cert
        .clone()
        .unwrap();
    assert!(c.is_sha1_signed(), "{c:?}");
    assert!(finding_ids(&o).contains(&"certificate-sha1-signature"));
    assert!(m365_suite(&o).is_some());
}

#[tokio::test]
async fn dual_rsa_and_ecdsa_certificates_serve_both_and_office365_gets_rsa() {
    let mut case = Case::new(
        vec![
            cert(Key::Rsa(2048), MessageDigest::sha256()),
            cert(Key::EcP256, MessageDigest::sha256()),
        ],
        "DEFAULT",
    );
    case.max = SslVersion::TLS1_3;
    case.tls13 = Some("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    let v12 = version(&o, TlsVersion::Tls12);
    let key_of = |name: &str| {
        v12.accepted
            .iter()
            .find(|s| tlscheck::proto::tls::cipher_name(s.suite) == name)
            .and_then(|s| s.cert.as_ref())
            .map(|c| c.key_type.clone())
    };
    assert_eq!(
        key_of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384").as_deref(),
        Some("RSA")
    );
    assert_eq!(
        key_of("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384").as_deref(),
        Some("EC P-256")
    );
    // TLS 1.3: exactly the two configured suites, as s_client sees them.
    let mut v13 = ids(version(&o, TlsVersion::Tls13));
    v13.sort_unstable();
    assert_eq!(
        v13,
        [
            u16::from(CipherSuite::TLS13_AES_128_GCM_SHA256),
            u16::from(CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
        ]
    );
    for name in ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"] {
        assert_eq!(s_client(port, "-tls1_3", name).as_deref(), Some(name));
    }
    assert_eq!(s_client(port, "-tls1_3", "TLS_AES_256_GCM_SHA384"), None);
    assert_eq!(
        m365_suite(&o),
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)
    );
    assert!(!finding_ids(&o).contains(&"office365-no-common-cipher-suite"));
}

const ORDERED: &str = "AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA";

#[tokio::test]
async fn enforced_server_order_is_reported_in_the_servers_order() {
    let mut case = Case::new(vec![cert(Key::Rsa(2048), MessageDigest::sha256())], ORDERED);
    case.server_order = true;
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    let v12 = version(&o, TlsVersion::Tls12);
    assert_eq!(v12.order, ServerOrder::Enforced);
    assert_eq!(v12.end, ScanEnd::Complete);
    assert_eq!(
        ids(v12),
        [
            u16::from(CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256),
            u16::from(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
            u16::from(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA),
        ]
    );
    // Ground truth: offered in the other order, the server still picks
    // its first.
    assert_eq!(
        s_client(
            port,
            "-tls1_2",
            "ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256"
        )
        .as_deref(),
        Some("AES128-GCM-SHA256")
    );
    // Office 365 gets the server's choice among its own suites.
    assert_eq!(
        m365_suite(&o),
        Some(CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256)
    );
}

#[tokio::test]
async fn client_order_server_is_reported_as_following_the_client() {
    let case = Case::new(vec![cert(Key::Rsa(2048), MessageDigest::sha256())], ORDERED);
    let (o, port) = scan(case).await;
    assert_ground_truth(&o, port, TlsVersion::Tls12);
    let v12 = version(&o, TlsVersion::Tls12);
    assert_eq!(v12.order, ServerOrder::ClientOrder);
    assert_eq!(v12.accepted.len(), 3);
    assert_eq!(
        s_client(
            port,
            "-tls1_2",
            "ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256"
        )
        .as_deref(),
        Some("ECDHE-RSA-AES256-GCM-SHA384")
    );
    assert_eq!(
        m365_suite(&o),
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)
    );
}

#[tokio::test]
async fn the_default_check_sends_one_microsoft365_hello_and_no_enumeration() {
    let case = Case::new(vec![cert(Key::EcP256, MessageDigest::sha256())], "DEFAULT");
    let server = case.spawn();
    let (cfg, _cancel) = config(STAGE);
    let o = probe_server(&cfg, Some("mx.example.test".to_owned()), server.addr, None).await;
    assert!(o.suites.scan.is_none());
    assert_eq!(o.suites.profiles.len(), 1);
    assert!(matches!(m365(&o), ProfileOutcome::Refused { .. }));
}

#[tokio::test]
async fn the_gmail_profile_negotiates_with_an_ecdsa_only_server() {
    let case = Case::new(vec![cert(Key::EcP256, MessageDigest::sha256())], "DEFAULT");
    let server = case.spawn();
    let (mut cfg, _cancel) = config(STAGE);
    cfg.suites
        .profiles
        .push(tlscheck::proto::tls::profiles::by_id("gmail").unwrap());
    let o = probe_server(&cfg, Some("mx.example.test".to_owned()), server.addr, None).await;
    let gmail = o
        .suites
        .profiles
        .iter()
        .find(|c| c.profile == "gmail")
        .unwrap();
    match &gmail.outcome {
        ProfileOutcome::Negotiated { version, suite } => {
            assert_eq!(*version, TlsVersion::Tls12);
            assert!(tlscheck::proto::tls::cipher_name(suite.suite).contains("ECDSA"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn profiles_command_lists_both_profiles_with_sources() {
    let o = crate::cli::tlscheck(&["profiles"]);
    assert!(o.status.success());
    let text = crate::cli::stdout(&o);
    assert!(
        text.contains("Microsoft 365 (Exchange Online) (microsoft365)"),
        "{text}"
    );
    assert!(text.contains("technical-reference-details-about-encryption"));
    assert!(text.contains("support.google.com/a/answer/9795993"));
    assert!(text.contains("TLS 1.3 for Exchange Online SMTP is not documented"));
    let o = crate::cli::tlscheck(&["profiles", "--format", "json"]);
    let v = crate::cli::json(&o);
    let m365 = &v["profiles"][0];
    assert_eq!(m365["id"], "microsoft365");
    assert_eq!(m365["tls12_suites"].as_array().unwrap().len(), 8);
    assert_eq!(m365["source_date"], "2023-06-14");
}

#[test]
fn an_unknown_profile_is_a_usage_error() {
    let o = crate::cli::tlscheck(&["--profile", "yahoo", "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::cli::stderr(&o).contains("tlscheck profiles"));
}

#[test]
fn the_verdict_line_says_office365_cannot_negotiate_with_an_ecdsa_only_server() {
    let server = Case::new(vec![cert(Key::EcP256, MessageDigest::sha256())], "DEFAULT").spawn();
    let target = server.addr.to_string();
    let o = crate::cli::tlscheck(&[&target, "--ciphers", "--format", "json"]);
    let v = crate::cli::json(&o);
    let t = &v["targets"][0];
    let summary = t["summary"].as_str().unwrap();
    assert!(
        summary.contains("Office 365 cannot negotiate TLS"),
        "{summary}"
    );
    let s = &t["servers"][0]["suites"];
    assert_eq!(s["profiles"][0]["result"], "refused");
    assert_eq!(s["ciphers"]["versions"]["1.2"]["end"], "complete");
    assert!(s["ciphers"]["versions"]["1.2"]["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["cert_key_type"] == "EC P-256"));
    assert_eq!(o.status.code(), Some(1));
    let o = crate::cli::tlscheck(&[&target]);
    let text = crate::cli::stdout(&o);
    assert!(
        text.contains("sender    Microsoft 365 (Exchange Online): cannot negotiate TLS"),
        "{text}"
    );
}

/// A record of `content_type` around `body` (TLS 1.2 record version).
fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 0x03, 0x03];
    r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    r.extend_from_slice(body);
    r
}

#[tokio::test]
async fn a_server_answering_every_hello_with_the_same_suite_is_caught_and_claims_nothing_unseen() {
    use crate::servers::smtp::{spawn, AfterStarttls, Behaviour, Tls};
    // A TLS 1.2 ServerHello choosing TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    // (0xc013) whatever was offered, then ServerHelloDone.
    let mut body = vec![0x03, 0x03]; // server_version TLS 1.2
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // session_id: empty
    body.extend_from_slice(&[0xc0, 0x13]); // cipher_suite
    body.push(0); // compression_method: null
    let mut msg = vec![0x02, 0x00, 0x00, u8::try_from(body.len()).unwrap()];
    msg.extend_from_slice(&body);
    let mut bytes = record(0x16, &msg);
    bytes.extend(record(0x16, &[0x0e, 0, 0, 0])); // ServerHelloDone
    let mut b = Behaviour::with_tls(Tls::None);
    b.after_starttls = AfterStarttls::Raw(bytes);
    let server = spawn(b);
    let (mut cfg, _cancel) = config(STAGE);
    cfg.suites.scan = true;
    let o = probe_server(&cfg, Some("mx.example.test".to_owned()), server.addr, None).await;
    let v12 = version(&o, TlsVersion::Tls12);
    assert!(matches!(v12.end, ScanEnd::Misbehaved(_)), "{:?}", v12.end);
    assert!(
        v12.accepted
            .iter()
            .all(|s| s.suite == CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA),
        "{:?}",
        v12.accepted
    );
    // A TLS 1.2 answer to a TLS 1.0 hello refuses TLS 1.0: nothing listed.
    assert!(version(&o, TlsVersion::Tls10).accepted.is_empty());
    assert!(version(&o, TlsVersion::Tls13).accepted.is_empty());
    let text = tlscheck::report::suites::version_line(v12);
    assert!(text.contains("enumeration stopped"), "{text}");
}

#[tokio::test]
async fn groups_are_enumerated_for_tls12_and_tls13() {
    use rustls::NamedGroup as G;
    let mut case = Case::new(
        vec![cert(Key::Rsa(2048), MessageDigest::sha256())],
        "DEFAULT",
    );
    case.max = SslVersion::TLS1_3;
    case.groups = Some("P-384:X25519");
    let (o, port) = scan(case).await;
    for v in [TlsVersion::Tls12, TlsVersion::Tls13] {
        let g = version(&o, v).groups.clone().expect("groups enumerated");
        let mut got = g.accepted.clone();
        got.sort_by_key(|n| u16::from(*n));
        assert_eq!(got, vec![G::secp384r1, G::X25519], "{v}");
        assert_eq!(g.end, ScanEnd::Complete, "{v}");
    }
    assert!(version(&o, TlsVersion::Tls10).groups.is_none());
    // Ground truth: each listed group alone works, the others do not.
    for (flag, cipher) in [
        ("-tls1_2", "ECDHE-RSA-AES128-GCM-SHA256"),
        ("-tls1_3", "TLS_AES_128_GCM_SHA256"),
    ] {
        for group in ["P-384", "X25519"] {
            assert!(
                s_client_with(port, flag, cipher, &["-groups", group]).is_some(),
                "{flag} {group}"
            );
        }
        assert_eq!(
            s_client_with(port, flag, cipher, &["-groups", "P-256:P-521:X448"]),
            None,
            "{flag}"
        );
    }
}
