//! DNSSEC, DANE, MTA-STS and TLS-RPT end to end (issue #15), with real
//! parts: zones signed by ldns-signzone and served by NSD (a fresh NSD
//! per test, on a free port), the KSK given as `--trust-anchor`; SMTP
//! servers on 127.0.0.61–68 with certificates from a test CA (ECDSA keys,
//! one per server, so SPKI digests differ); an HTTPS server with a
//! test-CA certificate on 127.0.0.70:443 serving MTA-STS policies. `delv`
//! validates some answers independently.
//!
//! Zones: `dane.test` (signed, one TLSA RRSIG corrupted), its signed
//! child `expired.dane.test` (signatures expired in 2020, DS in the
//! parent) and its unsigned child `plain.dane.test` (no DS: insecure).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use clap::Parser;
use serde_json::Value;
use tlscheck::cli::{Cli, Format};
use tlscheck::command::check::config::{check_config, Env};
use tlscheck::diagnose::findings::Severity;
use tlscheck::diagnose::policy::{exo, DaneState, PolicyReport};
use tlscheck::report::outcome::{RunReport, TargetReport};
use tlscheck::report::style::palette::Palette;

use crate::servers::https::{self, Reply, Routes};
use crate::servers::nsd::{Nsd, Signing, Zone};
use crate::servers::smtp::{spawn_on, Behaviour, Tls};
use crate::servers::tls::{rustls_config, Identity};

const HTTPS_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 70);

/// The test PKI: a CA and one leaf per exchange, each with its own key.
struct Pki {
    ca_der: Vec<u8>,
    ca_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "tlscheck policy test CA");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Pki {
            ca_der: cert.der().to_vec(),
            ca_pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    })
}

/// A leaf for `names` from the test CA, expired when asked.
fn leaf(names: &[&str], expired: bool) -> Identity {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    // RSA, as mail servers use: Office 365's documented suites have no
    // ECDSA, so an ECDSA-only exchange fails its check (issue 14).
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let der = openssl::pkey::PKey::from_rsa(rsa)
        .unwrap()
        .private_key_to_pkcs8()
        .unwrap();
    let key = rcgen::KeyPair::try_from(der.as_slice()).unwrap();
    let cert = params.signed_by(&key, &pki().issuer).unwrap();
    Identity {
        chain: vec![cert.der().to_vec(), pki().ca_der.clone()],
        key: key.serialize_der(),
    }
}

/// SHA-256 of a certificate's SubjectPublicKeyInfo, computed by OpenSSL
/// (independent of tlscheck's matcher), in hex.
fn spki_sha256(der: &[u8]) -> String {
    let x = openssl::x509::X509::from_der(der).unwrap();
    let spki = x.public_key().unwrap().public_key_to_der().unwrap();
    hex(&openssl::sha::sha256(&spki))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// The exchanges: name, address, certificate.
struct World {
    port: u16,
    /// TLSA data by exchange.
    spki: HashMap<&'static str, String>,
    /// SPKI hash of a key no server uses (a stale record).
    stale: String,
    ca_spki: String,
    routes: Routes,
}

const EXCHANGES: [(&str, u8, bool); 8] = [
    ("mx-good.dane.test", 61, false),
    ("mx-ta.dane.test", 62, false),
    ("mx-stale.dane.test", 63, false),
    ("mx-pkix.dane.test", 64, false),
    ("mx-corrupt.dane.test", 65, false),
    ("mx.plain.dane.test", 66, false),
    ("mx.expired.dane.test", 67, false),
    ("mx-certexp.dane.test", 68, true),
];

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut spki = HashMap::new();
        let mut port = 0;
        for (name, last, expired) in EXCHANGES {
            let id = leaf(&[name], expired);
            spki.insert(name, spki_sha256(&id.chain[0]));
            let tls = Tls::Rustls(rustls_config(
                &[&rustls::version::TLS12, &rustls::version::TLS13],
                &id,
            ));
            let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, last));
            let server = spawn_on(ip, port, Behaviour::with_tls(tls)).unwrap();
            port = server.addr.port();
        }
        let stale = spki_sha256(&leaf(&["retired.dane.test"], false).chain[0]);
        let ca_spki = spki_sha256(&pki().ca_der);
        let routes: Routes = Arc::new(Mutex::new(HashMap::new()));
        let hosts: Vec<String> = STS_CASES
            .iter()
            .map(|c| format!("mta-sts.{c}.plain.dane.test"))
            .collect();
        let names: Vec<&str> = hosts.iter().map(String::as_str).collect();
        let id = leaf(&names, false);
        let config = rustls_config(&[&rustls::version::TLS12, &rustls::version::TLS13], &id);
        https::spawn(IpAddr::V4(HTTPS_IP), config, routes.clone())
            .expect("bind 127.0.0.70:443 (tests run as root)");
        let mut r = routes.lock().unwrap();
        let policy = |mode: &str, mx: &str| Reply::Body {
            content_type: "text/plain",
            body: format!("version: STSv1\r\nmode: {mode}\r\nmx: {mx}\r\nmax_age: 86400\r\n")
                .into_bytes(),
        };
        let host = |c: &str| format!("mta-sts.{c}.plain.dane.test");
        r.insert(host("sts-enforce"), policy("enforce", "*.plain.dane.test"));
        r.insert(host("sts-badmx"), policy("enforce", "other.plain.dane.test"));
        r.insert(host("sts-testing"), policy("testing", "other.plain.dane.test"));
        r.insert(
            host("sts-ctype"),
            Reply::Body {
                content_type: "text/html",
                body: b"version: STSv1\r\nmode: enforce\r\nmx: *.plain.dane.test\r\nmax_age: 86400\r\n".to_vec(),
            },
        );
        r.insert(host("sts-redirect"), Reply::Redirect("https://elsewhere.test/policy.txt"));
        r.insert(host("sts-404"), Reply::Status(404));
        r.insert(host("sts-big"), Reply::Endless);
        r.insert(host("sts-slow"), Reply::Stall);
        r.insert(
            host("sts-nul"),
            Reply::Body {
                content_type: "text/plain",
                body: b"version: STSv1\0\r\nmode: enforce\x1b[31m\r\nmx: *.plain.dane.test\r\nmax_age: 86400\r\n".to_vec(),
            },
        );
        r.insert(host("sts-id"), policy("enforce", "other.plain.dane.test"));
        drop(r);
        World {
            port,
            spki,
            stale,
            ca_spki,
            routes,
        }
    })
}

/// The MTA-STS test domains under plain.dane.test. `sts-nohost` has a
/// TXT record but no policy host.
const STS_CASES: [&str; 11] = [
    "sts-enforce",
    "sts-badmx",
    "sts-testing",
    "sts-ctype",
    "sts-redirect",
    "sts-404",
    "sts-big",
    "sts-slow",
    "sts-nul",
    "sts-id",
    "sts-nohost",
];

fn zones(sts_id: &str) -> Vec<Zone> {
    let w = world();
    let s = |n: &str| w.spki[n].clone();
    let dane = format!(
        "good MX 10 mx-good.dane.test.\n\
         mx-good A 127.0.0.61\n\
         _25._tcp.mx-good TLSA 3 1 1 {good}\n\
         _25._tcp.mx-good TLSA 3 1 1 {stale}\n\
         _25._tcp.mx-good TLSA 3 1 1 abcd\n\
         ta MX 10 mx-ta.dane.test.\n\
         mx-ta A 127.0.0.62\n\
         _25._tcp.mx-ta TLSA 2 1 1 {ca}\n\
         stale MX 10 mx-stale.dane.test.\n\
         mx-stale A 127.0.0.63\n\
         _25._tcp.mx-stale TLSA 3 1 1 {stale}\n\
         pkix MX 10 mx-pkix.dane.test.\n\
         mx-pkix A 127.0.0.64\n\
         _25._tcp.mx-pkix TLSA 1 1 1 {pkix}\n\
         corrupt MX 10 mx-corrupt.dane.test.\n\
         mx-corrupt A 127.0.0.65\n\
         _25._tcp.mx-corrupt TLSA 3 1 1 {corrupt}\n\
         certexp MX 10 mx-certexp.dane.test.\n\
         mx-certexp A 127.0.0.68\n\
         _25._tcp.mx-certexp TLSA 3 1 1 {certexp}\n\
         plain NS ns.plain.dane.test.\n\
         ns.plain A 127.0.0.1\n\
         expired NS ns.expired.dane.test.\n\
         ns.expired A 127.0.0.1\n",
        good = s("mx-good.dane.test"),
        stale = w.stale,
        ca = w.ca_spki,
        pkix = s("mx-pkix.dane.test"),
        corrupt = s("mx-corrupt.dane.test"),
        certexp = s("mx-certexp.dane.test"),
    );
    let mut plain = format!(
        "@ MX 10 mx.plain.dane.test.\n\
         mx A 127.0.0.66\n\
         _25._tcp.mx TLSA 3 1 1 {}\n\
         mixed MX 10 mx-good.dane.test.\n\
         hostile MX 10 mx.plain.dane.test.\n\
         _mta-sts.hostile TXT \"v=STSv1; id=\\000{}\" \"{}\"\n\
         _smtp._tls.hostile CNAME _smtp._tls.hostile.plain.dane.test.\n\
         huge MX 10 mx.plain.dane.test.\n\
         _mta-sts.huge TXT \"v=STSv1; id=1; x=\" {}\n\
         sts-badcert MX 10 mx.plain.dane.test.\n\
         _mta-sts.sts-badcert TXT \"v=STSv1; id=1\"\n\
         mta-sts.sts-badcert A 127.0.0.70\n",
        s("mx.plain.dane.test"),
        "x".repeat(200),
        "y".repeat(250),
        (0..16)
            .map(|_| format!("\"{}\"", "z".repeat(250)))
            .collect::<Vec<_>>()
            .join(" "),
    );
    for c in STS_CASES {
        let id = if c == "sts-id" { sts_id } else { "1" };
        plain.push_str(&format!(
            "{c} MX 10 mx.plain.dane.test.\n_mta-sts.{c} TXT \"v=STSv1; id={id}\"\n"
        ));
        if c != "sts-nohost" {
            plain.push_str(&format!("mta-sts.{c} A 127.0.0.70\n"));
        }
    }
    plain
        .push_str("_smtp._tls.sts-enforce TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@plain.dane.test\"\n");
    plain
        .push_str("_smtp._tls.sts-testing TXT \"v=TLSRPTv1; rua=ftp://reports.plain.dane.test\"\n");
    vec![
        Zone {
            origin: "dane.test",
            records: dane,
            signing: Signing::CorruptRrsig {
                owner: "_25._tcp.mx-corrupt",
                rtype: "TLSA",
            },
        },
        Zone {
            origin: "plain.dane.test",
            records: plain,
            signing: Signing::Unsigned,
        },
        Zone {
            origin: "expired.dane.test",
            records: "@ MX 10 mx.expired.dane.test.\nmx A 127.0.0.67\n".to_owned(),
            signing: Signing::Expired,
        },
    ]
}

fn ca_file(dir: &Path) -> String {
    let path = dir.join("ca.pem");
    std::fs::write(&path, &pki().ca_pem).unwrap();
    path.display().to_string()
}

/// Runs tlscheck on `targets` against `nsd` with its KSK as anchor.
async fn check(nsd: &Nsd, targets: &[&str], extra: &[&str]) -> RunReport {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let (dns, port, ca) = (
        nsd.addr.to_string(),
        w.port.to_string(),
        ca_file(dir.path()),
    );
    let anchor = nsd.dnskey_anchor().display().to_string();
    let mut args = vec!["tlscheck"];
    args.extend_from_slice(targets);
    args.extend_from_slice(&[
        "--resolver",
        &dns,
        "--port",
        &port,
        "--ca-file",
        &ca,
        "--timeout",
        "2",
    ]);
    if !extra.contains(&"--trust-anchor") {
        args.extend_from_slice(&["--trust-anchor", &anchor]);
    }
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).unwrap();
    let cfg = check_config(&cli.check, &Env::default()).unwrap();
    let (_cancel, rx) = tokio::sync::watch::channel(false);
    tlscheck::command::check::run::run(Arc::new(cfg), rx, &mut |_| {})
        .await
        .unwrap()
}

fn policy(t: &TargetReport) -> &PolicyReport {
    t.policy.as_ref().expect("a policy section")
}

fn finding_ids(t: &TargetReport) -> Vec<(&'static str, Severity)> {
    t.findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect()
}

fn has(t: &TargetReport, id: &str, severity: Severity) -> bool {
    t.findings
        .iter()
        .any(|f| f.id == id && f.severity == severity)
}

fn start() -> Nsd {
    Nsd::start(&zones("1"))
}

#[tokio::test(flavor = "multi_thread")]
async fn secure_domain_with_matching_3_1_1_passes_in_both_views() {
    let nsd = start();
    let r = check(&nsd, &["good.dane.test"], &[]).await;
    let t = &r.targets[0];
    let p = policy(t);
    assert!(
        p.observation.mx.status.is_secure(),
        "{:?}",
        p.observation.mx
    );
    assert!(
        p.observation.anchor.contains("dane.test. DNSKEY key tag"),
        "{}",
        p.observation.anchor
    );
    let x = &p.dane[0];
    assert_eq!(x.state, DaneState::Applies, "{x:?}");
    assert_eq!(x.records.len(), 3);
    // The malformed record (2-byte digest) is unusable, not fatal.
    let short = x.records.iter().find(|r| r.record.data.len() == 2).unwrap();
    assert!(
        short.unusable.as_deref().unwrap().contains("32"),
        "{short:?}"
    );
    let good = x
        .records
        .iter()
        .position(|r| hex(&r.record.data) == world().spki["mx-good.dane.test"])
        .unwrap();
    for s in &x.servers {
        assert_eq!(s.exo, Some(Ok(())), "{s:?}");
        for se in &s.sessions {
            assert!(se.rfc_ok);
            assert_eq!(se.matches.len(), 1, "{se:?}");
            assert_eq!((se.matches[0].record, se.matches[0].certificate), (good, 0));
        }
        assert_eq!(s.sessions.len(), 2, "TLS 1.2 and 1.3 both judged");
    }
    assert!(
        has(t, "dane-stale-record", Severity::Info),
        "{:?}",
        finding_ids(t)
    );
    assert!(
        !t.findings.iter().any(|f| f.severity == Severity::Error),
        "{:?}",
        finding_ids(t)
    );
    // delv agrees that the TLSA answer validates.
    let delv = nsd.delv("_25._tcp.mx-good.dane.test", "TLSA");
    assert!(delv.contains("fully validated"), "{delv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dane_ta_2_1_1_matches_the_ca_and_validates_the_chain() {
    let nsd = start();
    let r = check(&nsd, &["ta.dane.test"], &[]).await;
    let t = &r.targets[0];
    let x = &policy(t).dane[0];
    assert_eq!(x.state, DaneState::Applies);
    let s = &x.servers[0];
    assert_eq!(s.exo, Some(Ok(())), "{s:?}");
    let m = &s.sessions[0].matches[0];
    assert_eq!(m.certificate, 1, "the CA, second in the chain");
    assert_eq!(m.rfc, Ok(()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_tlsa_record_fails_with_5_7_323() {
    let nsd = start();
    let r = check(&nsd, &["stale.dane.test"], &[]).await;
    let t = &r.targets[0];
    assert!(
        has(t, "dane-tlsa-mismatch", Severity::Error),
        "{:?}",
        finding_ids(t)
    );
    let f = t
        .findings
        .iter()
        .find(|f| f.id == "dane-tlsa-mismatch")
        .unwrap();
    assert!(f.title.contains(exo::TLSA_INVALID), "{}", f.title);
    assert_eq!(t.verdict, tlscheck::diagnose::verdict::Verdict::Fail);
    let s = &policy(t).dane[0].servers[0];
    assert!(s
        .sessions
        .iter()
        .all(|se| se.matches.is_empty() && !se.rfc_ok));
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_1_only_is_unusable_for_exchange_online() {
    let nsd = start();
    let r = check(&nsd, &["pkix.dane.test"], &[]).await;
    let t = &r.targets[0];
    let x = &policy(t).dane[0];
    assert!(x.records[0]
        .unusable
        .as_deref()
        .unwrap()
        .contains("PKIX-EE"));
    assert!(
        has(t, "dane-tlsa-mismatch", Severity::Error),
        "{:?}",
        finding_ids(t)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupted_tlsa_signature_is_bogus_and_fails_with_5_7_324() {
    let nsd = start();
    let r = check(&nsd, &["corrupt.dane.test"], &[]).await;
    let t = &r.targets[0];
    let p = policy(t);
    assert!(p.observation.mx.status.is_secure());
    let status = &p.observation.exchanges[0].tlsa.status;
    assert_eq!(status.label(), "bogus");
    assert!(
        status.reason().unwrap().contains("does not verify"),
        "{status:?}"
    );
    assert!(matches!(p.dane[0].state, DaneState::DnssecFailure(_)));
    assert!(
        has(t, "dane-dnssec-invalid", Severity::Error),
        "{:?}",
        finding_ids(t)
    );
    let delv = nsd.delv("_25._tcp.mx-corrupt.dane.test", "TLSA");
    assert!(!delv.contains("fully validated"), "{delv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_signatures_make_the_mx_bogus() {
    let nsd = start();
    let r = check(&nsd, &["expired.dane.test"], &[]).await;
    let t = &r.targets[0];
    let p = policy(t);
    assert_eq!(
        p.observation.mx.status.label(),
        "bogus",
        "{:?}",
        p.observation.mx
    );
    assert!(
        has(t, "dnssec-bogus", Severity::Error),
        "{:?}",
        finding_ids(t)
    );
    let f = t.findings.iter().find(|f| f.id == "dnssec-bogus").unwrap();
    assert!(f.title.contains(exo::DNSSEC_INVALID));
    let delv = nsd.delv("expired.dane.test", "MX");
    assert!(!delv.contains("fully validated"), "{delv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unsigned_zone_is_insecure_and_dane_does_not_change_its_verdict() {
    let nsd = start();
    let with = check(&nsd, &["plain.dane.test"], &[]).await;
    let without = check(&nsd, &["plain.dane.test"], &["--no-policy"]).await;
    let t = &with.targets[0];
    let p = policy(t);
    assert_eq!(
        p.observation.mx.status.label(),
        "insecure",
        "{:?}",
        p.observation.mx
    );
    assert!(matches!(p.dane[0].state, DaneState::NotApplied(_)));
    assert_eq!(t.verdict, without.targets[0].verdict);
    assert!(without.targets[0].policy.is_none());
    assert!(t
        .findings
        .iter()
        .filter(|f| f.id.as_str().starts_with("dane"))
        .all(|f| f.severity == Severity::Info));
}

#[tokio::test(flavor = "multi_thread")]
async fn tlsa_present_but_mx_insecure_is_not_applied() {
    let nsd = start();
    let r = check(&nsd, &["mixed.plain.dane.test"], &[]).await;
    let t = &r.targets[0];
    let p = policy(t);
    assert_eq!(p.observation.mx.status.label(), "insecure");
    assert!(p.observation.exchanges[0].tlsa.status.is_secure());
    assert!(matches!(p.dane[0].state, DaneState::NotApplied(ref w) if w.contains("MX")));
    assert!(
        has(t, "dane-not-applied", Severity::Info),
        "{:?}",
        finding_ids(t)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_certificate_matched_by_3_1_1_passes_rfc_7672_but_not_exchange_online() {
    let nsd = start();
    let r = check(&nsd, &["certexp.dane.test"], &[]).await;
    let t = &r.targets[0];
    let s = &policy(t).dane[0].servers[0];
    assert!(s.sessions.iter().all(|se| se.rfc_ok), "{s:?}");
    assert_eq!(s.exo, Some(Err(exo::CERTIFICATE_EXPIRED)));
    assert!(
        has(t, "dane-certificate-expired", Severity::Error),
        "{:?}",
        finding_ids(t)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ds_record_works_as_trust_anchor() {
    let nsd = start();
    let ds = nsd.ds_anchor().display().to_string();
    let r = check(&nsd, &["good.dane.test"], &["--trust-anchor", &ds]).await;
    let p = policy(&r.targets[0]);
    assert!(p.observation.mx.status.is_secure(), "{:?}", p.observation);
    assert!(
        p.observation.anchor.contains("DS key tag"),
        "{}",
        p.observation.anchor
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_built_in_root_anchor_cannot_validate_a_private_zone_and_says_so() {
    let nsd = start();
    let w = world();
    let (dns, port) = (nsd.addr.to_string(), w.port.to_string());
    let cli = Cli::try_parse_from([
        "tlscheck",
        "good.dane.test",
        "--resolver",
        &dns,
        "--port",
        &port,
        "--timeout",
        "2",
    ])
    .unwrap();
    let cfg = check_config(&cli.check, &Env::default()).unwrap();
    let (_cancel, rx) = tokio::sync::watch::channel(false);
    let r = tlscheck::command::check::run::run(Arc::new(cfg), rx, &mut |_| {})
        .await
        .unwrap();
    let t = &r.targets[0];
    let p = policy(t);
    assert_eq!(
        p.observation.mx.status.label(),
        "indeterminate",
        "{:?}",
        p.observation.mx
    );
    assert!(p.observation.anchor.starts_with("built-in root"));
    // Not "bogus": the resolver, not the domain, is the limit here.
    assert!(
        !t.findings
            .iter()
            .any(|f| f.id.as_str().starts_with("dnssec") || f.id.as_str().starts_with("dane")),
        "{:?}",
        finding_ids(t)
    );
}

async fn sts(case: &str) -> (RunReport, Nsd) {
    let nsd = start();
    let domain = format!("{case}.plain.dane.test");
    let r = check(&nsd, &[&domain], &[]).await;
    (r, nsd)
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_enforce_matching_passes_and_tls_rpt_is_read() {
    let (r, _nsd) = sts("sts-enforce").await;
    let t = &r.targets[0];
    let p = policy(t);
    let x = &p.mta_sts[0];
    assert_eq!(x.pattern.as_deref(), Some("*.plain.dane.test"));
    assert!(
        x.certificates.iter().all(|(_, c)| c == &Some(Ok(()))),
        "{x:?}"
    );
    assert!(
        !t.findings
            .iter()
            .any(|f| f.id.as_str().starts_with("mta-sts") || f.id.as_str().starts_with("tls-rpt")),
        "{:?}",
        finding_ids(t)
    );
    let rpt = p
        .observation
        .tls_rpt
        .record
        .as_ref()
        .unwrap()
        .as_ref()
        .unwrap();
    assert_eq!(rpt.rua, ["mailto:tlsrpt@plain.dane.test"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_enforce_with_an_mx_not_in_the_patterns_fails_with_4_4_8() {
    let (r, _nsd) = sts("sts-badmx").await;
    let t = &r.targets[0];
    assert!(
        has(t, "mta-sts-mx-not-in-policy", Severity::Error),
        "{:?}",
        finding_ids(t)
    );
    let f = t
        .findings
        .iter()
        .find(|f| f.id == "mta-sts-mx-not-in-policy")
        .unwrap();
    assert!(f.title.contains("4.4.8/5.4.8"), "{}", f.title);
    assert!(has(t, "tls-rpt-missing", Severity::Info));
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_testing_mode_warns_and_a_malformed_tls_rpt_record_is_reported() {
    let (r, _nsd) = sts("sts-testing").await;
    let t = &r.targets[0];
    assert!(
        has(t, "mta-sts-mx-not-in-policy", Severity::Warning),
        "{:?}",
        finding_ids(t)
    );
    assert!(has(t, "mta-sts-testing", Severity::Info));
    assert!(
        has(t, "tls-rpt-invalid", Severity::Warning),
        "{:?}",
        finding_ids(t)
    );
}

/// The policy cannot be used: the fetch outcome and the words shown.
async fn unusable_policy(case: &str, expect: &str) {
    let (r, _nsd) = sts(case).await;
    let t = &r.targets[0];
    let f = t
        .findings
        .iter()
        .find(|f| f.id == "mta-sts-policy-unavailable")
        .unwrap_or_else(|| panic!("{case}: {:?}", finding_ids(t)));
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.evidence.iter().any(|e| e.contains(expect)),
        "{case}: {:?}",
        f.evidence
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_wrong_content_type() {
    unusable_policy("sts-ctype", "text/html instead of text/plain").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_redirect_is_not_followed() {
    unusable_policy(
        "sts-redirect",
        "HTTP 301 redirect to https://elsewhere.test",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_404() {
    unusable_policy("sts-404", "HTTP 404").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_oversized_endless_body_is_cut_at_the_bound() {
    unusable_policy("sts-big", "larger than 65536 bytes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_slow_body_times_out() {
    let started = std::time::Instant::now();
    unusable_policy("sts-slow", "did not arrive in time").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_txt_without_policy_host() {
    unusable_policy("sts-nohost", "resolve").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_policy_host_with_a_certificate_for_other_names_is_a_tls_failure() {
    // The HTTPS server's certificate does not name mta-sts.sts-badcert….
    unusable_policy(
        "sts-badcert",
        "tls: TLS with mta-sts.sts-badcert.plain.dane.test failed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_4000_byte_txt_record_over_tcp_is_read_whole() {
    let (r, _nsd) = sts("huge").await;
    let p = policy(&r.targets[0]);
    let rec = p
        .observation
        .mta_sts
        .record
        .as_ref()
        .unwrap()
        .as_ref()
        .unwrap();
    assert_eq!(
        rec.extensions[0].1.len(),
        16 * 250,
        "{:?}",
        p.observation.mta_sts.txt
    );
    assert!(matches!(
        p.observation.mta_sts.fetch,
        tlscheck::model::policy::PolicyFetch::Failed {
            kind: "resolve",
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_with_nul_and_escape_bytes_is_invalid_and_sanitized() {
    let (r, _nsd) = sts("sts-nul").await;
    let t = &r.targets[0];
    assert!(
        has(t, "mta-sts-policy-invalid", Severity::Warning),
        "{:?}",
        finding_ids(t)
    );
    let text = tlscheck::report::render(
        &tlscheck::report::Report::check(&r, false),
        Format::Text,
        &Palette::plain(),
    );
    assert!(!text.contains('\0') && !text.contains('\x1b'), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_id_change_is_seen_at_once_with_the_new_policy() {
    let mut nsd = start();
    let first = check(&nsd, &["sts-id.plain.dane.test"], &[]).await;
    assert!(has(
        &first.targets[0],
        "mta-sts-mx-not-in-policy",
        Severity::Error
    ));
    // Fix the policy and publish a new id, as the finding says.
    world().routes.lock().unwrap().insert(
        "mta-sts.sts-id.plain.dane.test".into(),
        Reply::Body {
            content_type: "text/plain",
            body:
                b"version: STSv1\r\nmode: enforce\r\nmx: mx.plain.dane.test\r\nmax_age: 86400\r\n"
                    .to_vec(),
        },
    );
    nsd.reload(&zones("2"));
    let second = check(&nsd, &["sts-id.plain.dane.test"], &[]).await;
    let t = &second.targets[0];
    let id = &policy(t)
        .observation
        .mta_sts
        .record
        .as_ref()
        .unwrap()
        .as_ref()
        .unwrap()
        .id;
    assert_eq!(id, "2");
    assert!(
        !t.findings
            .iter()
            .any(|f| f.id.as_str().starts_with("mta-sts")),
        "{:?}",
        finding_ids(t)
    );
    let f = first.targets[0]
        .findings
        .iter()
        .find(|f| f.id == "mta-sts-mx-not-in-policy")
        .unwrap();
    assert!(f.remediation.iter().any(|r| r.contains("new id")));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_txt_records_and_cname_loops_are_classified_without_panic() {
    let (r, _nsd) = sts("hostile").await;
    let t = &r.targets[0];
    let p = policy(t);
    // A NUL inside the id: the record is invalid, reported, not fetched.
    assert!(
        matches!(p.observation.mta_sts.record, Some(Err(_))),
        "{:?}",
        p.observation.mta_sts
    );
    assert!(has(t, "mta-sts-record-invalid", Severity::Warning));
    // The CNAME loop ends as a failed lookup, not a hang or a panic.
    assert_eq!(p.observation.tls_rpt.record, None);
    let text = tlscheck::report::render(
        &tlscheck::report::Report::check(&r, false),
        Format::Text,
        &Palette::plain(),
    );
    assert!(!text.contains('\0'));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_writes_the_policy_section_in_json_text_and_markdown() {
    let nsd = start();
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(dir.path());
    let anchor = nsd.dnskey_anchor().display().to_string();
    let (dns, port) = (nsd.addr.to_string(), w.port.to_string());
    let base = [
        "stale.dane.test",
        "--resolver",
        &dns,
        "--port",
        &port,
        "--ca-file",
        &ca,
        "--trust-anchor",
        &anchor,
        "--timeout",
        "2",
    ];
    let out = crate::cli::tlscheck(&[&base[..], &["--format", "json"]].concat());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["targets"][0]["policy"];
    assert_eq!(p["mx"]["dnssec"]["status"], "secure", "{p}");
    assert_eq!(p["exchanges"][0]["dane"], "applies");
    assert_eq!(p["exchanges"][0]["tlsa"][0]["usage"], 3);
    assert_eq!(
        p["exchanges"][0]["servers"][0]["exo_code"],
        exo::TLSA_INVALID
    );
    assert!(p["trust_anchor"]
        .as_str()
        .unwrap()
        .starts_with("--trust-anchor "));
    let text = String::from_utf8(crate::cli::tlscheck(&base).stdout).unwrap();
    assert!(
        text.contains("Policy (DNSSEC, DANE, MTA-STS, TLS-RPT)"),
        "{text}"
    );
    assert!(text.contains("5.7.323 tlsa-invalid"), "{text}");
    let md = String::from_utf8(
        crate::cli::tlscheck(&[&base[..], &["--format", "markdown"]].concat()).stdout,
    )
    .unwrap();
    assert!(
        md.contains("#### Policy (DNSSEC, DANE, MTA-STS, TLS-RPT)"),
        "{md}"
    );
}
