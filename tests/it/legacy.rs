//! The legacy probe against a real TLS stack: OpenSSL 3 servers limited to
//! each version range, pinned to single cipher suites, asking for a
//! HelloRetryRequest; and raw servers that drop, answer in plaintext or stay
//! silent. Expected choices were checked by hand with
//! `openssl s_client -connect 127.0.0.1:PORT -tls1… -cipher 'DEFAULT:@SECLEVEL=0'`
//! against `openssl s_server` in the same configurations.

use std::time::{Duration, Instant};

use openssl::ssl::SslVersion;
use rustls::{AlertDescription, CipherSuite, NamedGroup};
use tlscheck::model::{Accepted, Rejection, Stage, TlsVersion, VersionResult};
use tlscheck::net::tls::legacy::{classify, fresh_hello, probe, LegacyOutcome};
use tokio::net::TcpStream;

use crate::servers::tls_raw::{
    openssl_acceptor, openssl_acceptor_with, KeyKind, ServerCert, TestCa, TlsServer,
};
use crate::servers::{closes_after_first_read, replies_then_holds, silent};

const HOST: &str = "mx.test.example";
const STAGE_TIMEOUT: Duration = Duration::from_secs(10);

fn rsa_cert() -> ServerCert {
    TestCa::new("tlscheck test CA").leaf(&[HOST], KeyKind::Rsa2048)
}

/// Connects to 127.0.0.1:`port` and runs the probe for `version`.
async fn probe_port(port: u16, version: TlsVersion, sni: &str) -> LegacyOutcome {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let hello = fresh_hello(version, Some(sni)).unwrap();
    probe(&mut stream, &hello, STAGE_TIMEOUT).await
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

fn protocol_version_alert() -> VersionResult {
    VersionResult::Rejected(Rejection::Alert(AlertDescription::ProtocolVersion))
}

fn other_version(offered: TlsVersion, answered: u16) -> VersionResult {
    VersionResult::Rejected(Rejection::OtherVersion { offered, answered })
}

/// OpenSSL's choice from tlscheck's hellos with an RSA certificate (same
/// as `s_client -tls1…` picks).
fn openssl_choice(v: TlsVersion) -> VersionResult {
    let x25519 = Some(NamedGroup::X25519);
    match v {
        TlsVersion::Tls10 | TlsVersion::Tls11 => {
            accepted(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, x25519)
        }
        TlsVersion::Tls12 => accepted(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, x25519),
        TlsVersion::Tls13 => accepted(CipherSuite::TLS13_AES_256_GCM_SHA384, x25519),
    }
}

/// Probes every version against a server limited to `min..=max` and checks
/// each result against `expected`; for accepted versions ≤ 1.2 also checks
/// the certificates and what the server saw.
async fn check_server(
    min: SslVersion,
    max: SslVersion,
    expected: impl Fn(TlsVersion) -> VersionResult,
) {
    let cert = rsa_cert();
    let server = TlsServer::start(openssl_acceptor(Some(min), Some(max), &cert));
    for v in TlsVersion::ALL {
        let outcome = probe_port(server.port(), v, HOST).await;
        let report = server.next_report();
        let result = classify(v, &outcome);
        assert_eq!(result, expected(v), "probe {v}: {outcome:?}");
        if let LegacyOutcome::ServerHello { certificates, .. } = &outcome {
            if result.is_accepted() && v != TlsVersion::Tls13 {
                assert_eq!(certificates, &cert.chain, "probe {v}: chain");
            }
        }
        if result.is_accepted() {
            assert_eq!(report.server_name.as_deref(), Some(HOST), "probe {v}");
        }
        if let (VersionResult::Accepted(a), Some(id)) = (&result, report.cipher) {
            assert_eq!(u16::from(a.cipher), id, "probe {v}: server's cipher");
        }
    }
}

#[tokio::test]
async fn tls10_only_server_accepts_only_the_tls10_probe() {
    check_server(SslVersion::TLS1, SslVersion::TLS1, |v| match v {
        TlsVersion::Tls10 => openssl_choice(v),
        // A 1.1 or 1.2 hello may legally be answered with 1.0: a downgrade.
        TlsVersion::Tls11 | TlsVersion::Tls12 => other_version(v, 0x0301),
        TlsVersion::Tls13 => protocol_version_alert(),
    })
    .await;
}

#[tokio::test]
async fn tls11_only_server_accepts_only_the_tls11_probe() {
    check_server(SslVersion::TLS1_1, SslVersion::TLS1_1, |v| match v {
        TlsVersion::Tls11 => openssl_choice(v),
        TlsVersion::Tls12 => other_version(v, 0x0302),
        TlsVersion::Tls10 | TlsVersion::Tls13 => protocol_version_alert(),
    })
    .await;
}

#[tokio::test]
async fn tls12_only_server_accepts_only_the_tls12_probe() {
    check_server(SslVersion::TLS1_2, SslVersion::TLS1_2, |v| match v {
        TlsVersion::Tls12 => openssl_choice(v),
        _ => protocol_version_alert(),
    })
    .await;
}

#[tokio::test]
async fn tls13_only_server_accepts_only_the_tls13_probe() {
    check_server(SslVersion::TLS1_3, SslVersion::TLS1_3, |v| match v {
        TlsVersion::Tls13 => openssl_choice(v),
        _ => protocol_version_alert(),
    })
    .await;
}

#[tokio::test]
async fn server_with_tls10_to_tls13_accepts_every_probe() {
    check_server(SslVersion::TLS1, SslVersion::TLS1_3, openssl_choice).await;
}

#[tokio::test]
async fn probe_reports_exactly_the_suite_a_pinned_server_chose() {
    let ca = TestCa::new("tlscheck test CA");
    let rsa = ca.leaf(&[HOST], KeyKind::Rsa2048);
    let ecdsa = ca.leaf(&[HOST], KeyKind::EcdsaP256);
    // (version, OpenSSL suite name, certificate, expected suite, group)
    let cases = [
        (
            TlsVersion::Tls10,
            "DHE-RSA-AES256-SHA",
            &rsa,
            CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
            None,
        ),
        (
            TlsVersion::Tls10,
            "AES128-SHA",
            &rsa,
            CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
            None,
        ),
        (
            TlsVersion::Tls10,
            "ECDHE-ECDSA-AES128-SHA",
            &ecdsa,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
            Some(NamedGroup::X25519),
        ),
        (
            TlsVersion::Tls11,
            "CAMELLIA256-SHA",
            &rsa,
            CipherSuite::TLS_RSA_WITH_CAMELLIA_256_CBC_SHA,
            None,
        ),
        (
            TlsVersion::Tls11,
            "DHE-RSA-CAMELLIA128-SHA",
            &rsa,
            CipherSuite::TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA,
            None,
        ),
        (
            TlsVersion::Tls12,
            "ECDHE-RSA-CHACHA20-POLY1305",
            &rsa,
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            Some(NamedGroup::X25519),
        ),
        (
            TlsVersion::Tls12,
            "DHE-RSA-AES128-GCM-SHA256",
            &rsa,
            CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
            None,
        ),
        (
            TlsVersion::Tls12,
            "ECDHE-ECDSA-AES128-CCM",
            &ecdsa,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
            Some(NamedGroup::X25519),
        ),
        (
            TlsVersion::Tls12,
            "ECDHE-RSA-CAMELLIA256-SHA384",
            &rsa,
            CipherSuite::TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384,
            Some(NamedGroup::X25519),
        ),
        (
            TlsVersion::Tls12,
            "AES256-SHA",
            &rsa,
            CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
            None,
        ),
    ];
    for (v, name, cert, suite, group) in cases {
        let ssl_v = match v {
            TlsVersion::Tls10 => SslVersion::TLS1,
            TlsVersion::Tls11 => SslVersion::TLS1_1,
            _ => SslVersion::TLS1_2,
        };
        let acceptor = openssl_acceptor_with(Some(ssl_v), Some(ssl_v), cert, |b| {
            b.set_cipher_list(&format!("{name}:@SECLEVEL=0")).unwrap();
        });
        let server = TlsServer::start(acceptor);
        let outcome = probe_port(server.port(), v, HOST).await;
        assert_eq!(classify(v, &outcome), accepted(suite, group), "{v} {name}");
    }
}

#[tokio::test]
async fn probe_reports_a_pinned_tls13_suite() {
    let cert = rsa_cert();
    for (name, suite) in [
        (
            "TLS_CHACHA20_POLY1305_SHA256",
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        ),
        (
            "TLS_AES_128_CCM_SHA256",
            CipherSuite::TLS13_AES_128_CCM_SHA256,
        ),
    ] {
        let acceptor = openssl_acceptor_with(
            Some(SslVersion::TLS1_3),
            Some(SslVersion::TLS1_3),
            &cert,
            |b| b.set_ciphersuites(name).unwrap(),
        );
        let server = TlsServer::start(acceptor);
        let outcome = probe_port(server.port(), TlsVersion::Tls13, HOST).await;
        assert_eq!(
            classify(TlsVersion::Tls13, &outcome),
            accepted(suite, Some(NamedGroup::X25519)),
            "{name}"
        );
        assert_eq!(server.next_report().cipher, Some(u16::from(suite)));
    }
}

#[tokio::test]
async fn hello_retry_request_for_p256_counts_as_tls13_accepted() {
    let cert = rsa_cert();
    let acceptor = openssl_acceptor_with(
        Some(SslVersion::TLS1_3),
        Some(SslVersion::TLS1_3),
        &cert,
        |b| b.set_groups_list("P-256").unwrap(),
    );
    let server = TlsServer::start(acceptor);
    let outcome = probe_port(server.port(), TlsVersion::Tls13, HOST).await;
    assert!(
        matches!(
            outcome,
            LegacyOutcome::ServerHello {
                hello_retry: true,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(
        classify(TlsVersion::Tls13, &outcome),
        accepted(
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            Some(NamedGroup::secp256r1)
        )
    );
}

#[tokio::test]
async fn sni_is_omitted_when_the_target_is_an_address_literal() {
    let server = TlsServer::start(openssl_acceptor(None, None, &rsa_cert()));
    let outcome = probe_port(server.port(), TlsVersion::Tls12, "127.0.0.1").await;
    assert!(classify(TlsVersion::Tls12, &outcome).is_accepted());
    assert_eq!(server.next_report().server_name, None);
}

#[tokio::test]
async fn drop_after_client_hello_is_dropped_in_handshake() {
    let server = closes_after_first_read();
    let outcome = probe_port(server.port(), TlsVersion::Tls10, HOST).await;
    assert!(
        matches!(
            outcome,
            LegacyOutcome::Closed { bytes_received: 0 } | LegacyOutcome::Reset(_)
        ),
        "{outcome:?}"
    );
    assert!(matches!(
        classify(TlsVersion::Tls10, &outcome),
        VersionResult::Dropped {
            stage: Stage::Handshake,
            ..
        }
    ));
}

#[tokio::test]
async fn plaintext_smtp_reply_is_not_tls_and_unknown() {
    let server = replies_then_holds(b"220 hello\r\n");
    let outcome = probe_port(server.port(), TlsVersion::Tls11, HOST).await;
    assert_eq!(
        outcome,
        LegacyOutcome::NotTls {
            first_bytes: b"220 hello\r\n".to_vec()
        }
    );
    assert!(matches!(
        classify(TlsVersion::Tls11, &outcome),
        VersionResult::Unknown {
            stage: Stage::Handshake,
            ..
        }
    ));
}

#[tokio::test]
async fn silent_server_times_out_within_the_stage_timeout() {
    let server = silent();
    let timeout = Duration::from_millis(400);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap();
    let hello = fresh_hello(TlsVersion::Tls10, Some(HOST)).unwrap();
    let started = Instant::now();
    let outcome = probe(&mut stream, &hello, timeout).await;
    let elapsed = started.elapsed();
    assert_eq!(outcome, LegacyOutcome::Timeout);
    assert!(
        elapsed >= timeout && elapsed < timeout + timeout / 2,
        "{elapsed:?}"
    );
    assert_eq!(
        classify(TlsVersion::Tls10, &outcome),
        VersionResult::Timeout {
            stage: Stage::Handshake
        }
    );
}
