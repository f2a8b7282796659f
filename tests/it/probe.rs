//! The probe of one server against real TLS stacks on loopback: rustls for
//! TLS 1.2/1.3, OpenSSL (security level 0) for TLS 1.0/1.1, and SMTP
//! servers that misbehave in the ways issue #2 lists.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::ssl::SslVersion;
use rustls::AlertDescription;
use tlscheck::model::cert::{root_store, ChainVerifier};
use tlscheck::model::{
    NotTested, Rejection, ServerObservation, StarttlsStatus, TlsVersion, VersionResult,
};
use tlscheck::net::probe::{probe_server, ProbeConfig};
use tlscheck::net::smtp::Timeouts;
use tokio::sync::{watch, Semaphore};

use crate::servers::smtp::{spawn, AfterStarttls, Behaviour, Tls};
use crate::servers::tls::{identity, openssl_acceptor, rustls_config, Leaf};

/// The stage budget of these tests.
pub(crate) const STAGE: Duration = Duration::from_secs(2);

/// A probe configuration trusting the test CA, with `stage` timeouts.
pub(crate) fn config(stage: Duration) -> (ProbeConfig, watch::Sender<bool>) {
    let ca = rustls::pki_types::CertificateDer::from(identity(Leaf::Good).chain[1].clone());
    let (tx, rx) = watch::channel(false);
    (
        ProbeConfig {
            ehlo_name: "tlscheck.test".to_owned(),
            timeouts: Timeouts::from_stage_budget(stage),
            implicit_tls: false,
            verifier: ChainVerifier::new(root_store(&[ca])).unwrap(),
            global: Arc::new(Semaphore::new(32)),
            per_server: 6,
            deadline: None,
            cancel: rx,
            throttle_retries: 1,
            throttle_backoff: Duration::from_millis(100),
            suites: Default::default(),
            status: Default::default(),
        },
        tx,
    )
}

/// Probes a server with behaviour `b` as host `mx.example.test`.
pub(crate) async fn probe(b: Behaviour) -> ServerObservation {
    let server = spawn(b);
    let (cfg, _cancel) = config(STAGE);
    probe_server(&cfg, Some("mx.example.test".to_owned()), server.addr, None).await
}

/// The result words of the four versions, oldest first.
pub(crate) fn table(o: &ServerObservation) -> Vec<&'static str> {
    TlsVersion::ALL
        .iter()
        .map(|v| o.version(*v).map_or("missing", |p| p.result.label()))
        .collect()
}

fn openssl(min: SslVersion, max: SslVersion) -> Behaviour {
    Behaviour::with_tls(Tls::OpenSsl(openssl_acceptor(
        min,
        max,
        &identity(Leaf::Good),
    )))
}

fn rustls_only(versions: &[&'static rustls::SupportedProtocolVersion]) -> Behaviour {
    Behaviour::with_tls(Tls::Rustls(rustls_config(versions, &identity(Leaf::Good))))
}

#[tokio::test]
async fn tls10_only_server() {
    let o = probe(openssl(SslVersion::TLS1, SslVersion::TLS1)).await;
    assert_eq!(table(&o), ["accepted", "rejected", "rejected", "rejected"]);
    assert!(o.accepts_legacy() && !o.accepts_modern());
    // The chain came in clear from the legacy probe.
    let cert = o.certificate.as_ref().unwrap();
    assert_eq!(cert.from_version, TlsVersion::Tls10);
    assert_eq!(cert.verdict, tlscheck::model::CertVerdict::Trusted);
}

#[tokio::test]
async fn tls10_and_tls11_server() {
    let o = probe(openssl(SslVersion::TLS1, SslVersion::TLS1_1)).await;
    assert_eq!(table(&o), ["accepted", "accepted", "rejected", "rejected"]);
}

#[tokio::test]
async fn tls12_only_server() {
    let o = probe(rustls_only(&[&rustls::version::TLS12])).await;
    assert_eq!(table(&o), ["rejected", "rejected", "accepted", "rejected"]);
    let p12 = o.version(TlsVersion::Tls12).unwrap();
    match &p12.result {
        VersionResult::Accepted(a) => assert!(a.full_handshake && !a.legacy_cipher_only),
        other => panic!("{other:?}"),
    }
    assert!(
        p12.post_tls_ehlo.is_some(),
        "EHLO inside TLS: {:#?}",
        p12.transcript
    );
    assert_eq!(
        o.certificate.as_ref().unwrap().verdict,
        tlscheck::model::CertVerdict::Trusted
    );
}

#[tokio::test]
async fn tls13_only_server() {
    let o = probe(rustls_only(&[&rustls::version::TLS13])).await;
    assert_eq!(table(&o), ["rejected", "rejected", "rejected", "accepted"]);
}

#[tokio::test]
async fn tls12_and_tls13_server() {
    let o = probe(rustls_only(&[
        &rustls::version::TLS12,
        &rustls::version::TLS13,
    ]))
    .await;
    assert_eq!(table(&o), ["rejected", "rejected", "accepted", "accepted"]);
    // rustls answers a hello that offers only TLS 1.0 with
    // handshake_failure (OpenSSL would say protocol_version).
    assert_eq!(
        o.version(TlsVersion::Tls10).unwrap().result,
        VersionResult::Rejected(Rejection::Alert(AlertDescription::HandshakeFailure))
    );
}

#[tokio::test]
async fn server_with_all_four_versions() {
    let o = probe(openssl(SslVersion::TLS1, SslVersion::TLS1_3)).await;
    assert_eq!(table(&o), ["accepted", "accepted", "accepted", "accepted"]);
}

#[tokio::test]
async fn no_starttls_leaves_every_version_not_tested() {
    let mut b = rustls_only(&[&rustls::version::TLS12]);
    b.advertise_starttls = false;
    let o = probe(b).await;
    assert_eq!(o.starttls, StarttlsStatus::NotOffered);
    assert!(o
        .versions
        .iter()
        .all(|p| p.result == VersionResult::NotTested(NotTested::NoStarttls)));
}

#[tokio::test]
async fn starttls_answered_454_keeps_the_reply() {
    let mut b = Behaviour::with_tls(Tls::None);
    b.starttls_reply = b"454 4.7.0 TLS not available due to local problem\r\n".to_vec();
    let o = probe(b).await;
    match &o.starttls {
        StarttlsStatus::Refused(r) => assert_eq!(r.code, 454),
        other => panic!("{other:?}"),
    }
    assert!(o.versions.iter().all(|p| matches!(
        &p.result,
        VersionResult::NotTested(NotTested::StarttlsRefused(r)) if r.code == 454
    )));
}

#[tokio::test]
async fn drop_after_starttls_220_is_dropped() {
    let mut b = Behaviour::with_tls(Tls::None);
    b.after_starttls = AfterStarttls::Close;
    let o = probe(b).await;
    assert_eq!(table(&o), ["dropped", "dropped", "dropped", "dropped"]);
}

#[tokio::test]
async fn server_that_never_greets_ends_within_the_greeting_timeout() {
    let mut b = Behaviour::with_tls(Tls::None);
    b.greeting = None;
    let started = Instant::now();
    let o = probe(b).await;
    let greeting_budget = Timeouts::from_stage_budget(STAGE).greeting;
    assert!(
        started.elapsed() < greeting_budget + STAGE,
        "{:?}",
        started.elapsed()
    );
    let err = o.error.as_ref().unwrap();
    assert!(err.timed_out);
    assert_eq!(err.stage, tlscheck::model::Stage::Greeting);
    assert!(o.versions.iter().all(|p| !p.result.is_accepted()));
}

#[tokio::test]
async fn mail_from_answered_451_5_7_3_means_tls_required() {
    let mut b = rustls_only(&[&rustls::version::TLS12]);
    b.mail_from_reply = b"451 5.7.3 Must issue a STARTTLS command first\r\n".to_vec();
    let o = probe(b).await;
    assert_eq!(o.policy.requires_tls, Some(true));
    assert_eq!(o.policy.mail_from.as_ref().unwrap().code, 451);
}

#[tokio::test]
async fn mail_from_accepted_means_tls_not_required() {
    let o = probe(rustls_only(&[&rustls::version::TLS12])).await;
    assert_eq!(o.policy.requires_tls, Some(false));
}

#[tokio::test]
async fn refused_connection_is_a_connect_failure() {
    // Bind and drop to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (cfg, _cancel) = config(STAGE);
    let o = probe_server(&cfg, None, ([127, 0, 0, 1], port).into(), None).await;
    let err = o.error.unwrap();
    assert_eq!(err.stage, tlscheck::model::Stage::Connect);
    assert!(!err.timed_out);
}

#[tokio::test]
async fn implicit_tls_on_connect_gives_the_same_version_table() {
    let mut b = rustls_only(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    b.implicit_tls = true;
    let server = spawn(b);
    let (mut cfg, _cancel) = config(STAGE);
    cfg.implicit_tls = true;
    let o = probe_server(&cfg, Some("mx.example.test".to_owned()), server.addr, None).await;
    assert_eq!(table(&o), ["rejected", "rejected", "accepted", "accepted"]);
    assert_eq!(o.starttls, StarttlsStatus::Implicit);
    // The greeting and EHLO came inside TLS.
    assert_eq!(o.banner.as_ref().unwrap().code, 220);
    assert!(o
        .version(TlsVersion::Tls13)
        .unwrap()
        .post_tls_ehlo
        .is_some());
}

#[tokio::test]
async fn implicit_tls_against_a_legacy_only_server() {
    let mut b = openssl(SslVersion::TLS1, SslVersion::TLS1_1);
    b.implicit_tls = true;
    let server = spawn(b);
    let (mut cfg, _cancel) = config(STAGE);
    cfg.implicit_tls = true;
    let o = probe_server(&cfg, Some("mx.example.test".to_owned()), server.addr, None).await;
    assert_eq!(table(&o)[..2], ["accepted", "accepted"]);
    assert!(!o.accepts_modern());
}
