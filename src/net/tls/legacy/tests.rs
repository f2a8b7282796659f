use super::*;
use crate::proto::tls::record::{encode_records, HandshakeMessage};
use crate::proto::tls::server_msgs::HELLO_RETRY_REQUEST_RANDOM;
use crate::proto::tls::{Alert, Certificate, Codec, ServerExtension};
use rustls::{ContentType, HandshakeType};

const TIMEOUT: Duration = Duration::from_secs(5);

fn hello(v: TlsVersion) -> ClientHello {
    ClientHello::for_probe(v, Some("mx.example.com"), [1; 32], [2; 32])
}

fn server_hello(version: u16, cipher: CipherSuite) -> ServerHello {
    ServerHello {
        legacy_version: version.min(0x0303),
        random: [7; 32],
        session_id: vec![],
        cipher_suite: cipher,
        compression_method: crate::proto::tls::Compression::Null,
        extensions: if version >= 0x0304 {
            vec![
                ServerExtension::SupportedVersions(version),
                ServerExtension::KeyShare(crate::proto::tls::KeyShareEntry {
                    group: NamedGroup::X25519,
                    key_exchange: vec![9; 32],
                }),
            ]
        } else {
            vec![]
        },
    }
}

fn handshake_records(msgs: &[(HandshakeType, Vec<u8>)]) -> Vec<u8> {
    let mut hs = Vec::new();
    for (typ, body) in msgs {
        HandshakeMessage {
            typ: *typ,
            body: body.clone(),
        }
        .encode(&mut hs);
    }
    let mut out = Vec::new();
    encode_records(ContentType::Handshake, 0x0303, &hs, &mut out);
    out
}

/// Runs the probe against a scripted peer that sends `reply` once it has
/// read the hello, then closes (or stays silent if `hold_open`).
async fn run(offered: TlsVersion, reply: Vec<u8>, hold_open: bool) -> LegacyOutcome {
    let (mut ours, mut theirs) = tokio::io::duplex(1 << 20);
    let peer = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        let _ = theirs.read(&mut buf).await;
        let _ = theirs.write_all(&reply).await;
        if hold_open {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
    let outcome = probe(&mut ours, &hello(offered), TIMEOUT).await;
    peer.abort();
    outcome
}

#[tokio::test]
async fn tls10_flight_with_certificate_and_ecdhe_group_is_collected() {
    let cipher = CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA;
    let reply = handshake_records(&[
        (
            HandshakeType::ServerHello,
            server_hello(0x0301, cipher).to_bytes(),
        ),
        (
            HandshakeType::Certificate,
            Certificate {
                chain: vec![vec![0x30, 0x01], vec![0x30, 0x02]],
            }
            .to_bytes(),
        ),
        (
            HandshakeType::ServerKeyExchange,
            vec![
                0x03, // named_curve
                0x00, 0x17, // secp256r1
            ],
        ),
        (HandshakeType::ServerHelloDone, vec![]),
    ]);
    let outcome = run(TlsVersion::Tls10, reply, true).await;
    assert_eq!(
        outcome,
        LegacyOutcome::ServerHello {
            version: 0x0301,
            cipher,
            group: Some(NamedGroup::secp256r1),
            certificates: vec![vec![0x30, 0x01], vec![0x30, 0x02]],
            dh_prime_bits: None,
            cipher_was_offered: true,
            hello_retry: false,
            client_cert_requested: false,
            last_message: "ServerKeyExchange",
            end: FlightEnd::Done,
        }
    );
    assert_eq!(
        classify(TlsVersion::Tls10, &outcome),
        VersionResult::Accepted(Accepted {
            cipher,
            group: Some(NamedGroup::secp256r1),
            full_handshake: false,
            legacy_cipher_only: false,
            limited_by: None,
        })
    );
}

/// The first flight of a TLS 1.0 server up to (not including) its end.
fn flight_until_certificate() -> Vec<u8> {
    handshake_records(&[
        (
            HandshakeType::ServerHello,
            server_hello(0x0301, CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA).to_bytes(),
        ),
        (
            HandshakeType::Certificate,
            Certificate {
                chain: vec![vec![0x30, 0x01]],
            }
            .to_bytes(),
        ),
    ])
}

#[tokio::test]
async fn alert_after_certificate_is_a_rejection_naming_the_stage() {
    // An unusable private key: ServerHello, Certificate, then
    // internal_error instead of the key exchange.
    let mut reply = flight_until_certificate();
    let alert = Alert {
        level: AlertLevel::Fatal,
        description: AlertDescription::InternalError,
    };
    encode_records(ContentType::Alert, 0x0301, &alert.to_bytes(), &mut reply);
    let outcome = run(TlsVersion::Tls10, reply, true).await;
    assert_eq!(
        classify(TlsVersion::Tls10, &outcome),
        VersionResult::Rejected(Rejection::AlertAfter {
            alert: AlertDescription::InternalError,
            after: "Certificate",
        })
    );
}

#[tokio::test]
async fn close_inside_the_flight_is_dropped_not_accepted() {
    let outcome = run(TlsVersion::Tls10, flight_until_certificate(), false).await;
    match classify(TlsVersion::Tls10, &outcome) {
        VersionResult::Dropped { stage, detail } => {
            assert_eq!(stage, Stage::Handshake);
            assert!(detail.contains("after its Certificate"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn flight_that_stalls_before_server_hello_done_times_out() {
    let deadline = Duration::from_millis(300);
    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    let reply = flight_until_certificate();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        let _ = server.read(&mut buf).await;
        server.write_all(&reply).await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(server);
    });
    let outcome = probe(&mut client, &hello(TlsVersion::Tls10), deadline).await;
    task.abort();
    assert_eq!(
        classify(TlsVersion::Tls10, &outcome),
        VersionResult::Timeout {
            stage: Stage::Handshake
        }
    );
}

#[tokio::test]
async fn certificate_request_is_noted_and_the_flight_still_completes() {
    let mut reply = flight_until_certificate();
    reply.extend(handshake_records(&[
        (
            HandshakeType::CertificateRequest,
            vec![0x01, 0x01, 0x00, 0x00],
        ),
        (HandshakeType::ServerHelloDone, vec![]),
    ]));
    let outcome = run(TlsVersion::Tls10, reply, true).await;
    assert!(
        matches!(
            &outcome,
            LegacyOutcome::ServerHello {
                client_cert_requested: true,
                end: FlightEnd::Done,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert!(classify(TlsVersion::Tls10, &outcome).is_accepted());
}

#[tokio::test]
async fn tls13_server_hello_ends_the_probe_without_waiting() {
    let cipher = CipherSuite::TLS13_AES_128_GCM_SHA256;
    let reply = handshake_records(&[(
        HandshakeType::ServerHello,
        server_hello(0x0304, cipher).to_bytes(),
    )]);
    // hold_open: the probe must not wait for more after a 1.3 ServerHello.
    let outcome = run(TlsVersion::Tls13, reply, true).await;
    assert!(
        matches!(classify(TlsVersion::Tls13, &outcome), VersionResult::Accepted(a) if a.group == Some(NamedGroup::X25519)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn hello_retry_request_counts_as_accepting_tls13() {
    let mut hrr = server_hello(0x0303, CipherSuite::TLS13_AES_256_GCM_SHA384);
    hrr.random = HELLO_RETRY_REQUEST_RANDOM;
    hrr.extensions = vec![
        ServerExtension::SupportedVersions(0x0304),
        ServerExtension::SelectedGroup(NamedGroup::secp384r1),
    ];
    let reply = handshake_records(&[(HandshakeType::ServerHello, hrr.to_bytes())]);
    let outcome = run(TlsVersion::Tls13, reply, true).await;
    assert!(matches!(
        outcome,
        LegacyOutcome::ServerHello {
            hello_retry: true,
            ..
        }
    ));
    assert_eq!(
        classify(TlsVersion::Tls13, &outcome),
        VersionResult::Accepted(Accepted {
            cipher: CipherSuite::TLS13_AES_256_GCM_SHA384,
            group: Some(NamedGroup::secp384r1),
            full_handshake: false,
            legacy_cipher_only: false,
            limited_by: None,
        })
    );
}

#[tokio::test]
async fn other_version_in_server_hello_is_a_rejection_never_an_acceptance() {
    let reply = handshake_records(&[
        (
            HandshakeType::ServerHello,
            server_hello(0x0301, CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA).to_bytes(),
        ),
        (HandshakeType::ServerHelloDone, vec![]),
    ]);
    let outcome = run(TlsVersion::Tls11, reply, false).await;
    assert_eq!(
        classify(TlsVersion::Tls11, &outcome),
        VersionResult::Rejected(Rejection::OtherVersion {
            offered: TlsVersion::Tls11,
            answered: 0x0301
        })
    );
}

#[tokio::test]
async fn cipher_never_offered_is_unknown_with_its_name() {
    let reply = handshake_records(&[(
        HandshakeType::ServerHello,
        server_hello(0x0301, CipherSuite::TLS_RSA_WITH_NULL_SHA).to_bytes(),
    )]);
    let outcome = run(TlsVersion::Tls10, reply, false).await;
    let VersionResult::Unknown { stage, detail } = classify(TlsVersion::Tls10, &outcome) else {
        panic!("{outcome:?}");
    };
    assert_eq!(stage, Stage::Handshake);
    assert!(detail.contains("TLS_RSA_WITH_NULL_SHA"), "{detail}");
}

#[tokio::test]
async fn fatal_alert_is_a_rejection_with_its_description() {
    let mut reply = Vec::new();
    let alert = Alert {
        level: AlertLevel::Fatal,
        description: AlertDescription::ProtocolVersion,
    };
    encode_records(ContentType::Alert, 0x0301, &alert.to_bytes(), &mut reply);
    let outcome = run(TlsVersion::Tls10, reply, true).await;
    assert_eq!(
        classify(TlsVersion::Tls10, &outcome),
        VersionResult::Rejected(Rejection::Alert(AlertDescription::ProtocolVersion))
    );
}

#[tokio::test]
async fn warning_unrecognized_name_before_server_hello_is_skipped() {
    let mut reply = Vec::new();
    let warning = Alert {
        level: AlertLevel::Warning,
        description: AlertDescription::UnrecognisedName,
    };
    encode_records(ContentType::Alert, 0x0303, &warning.to_bytes(), &mut reply);
    reply.extend(handshake_records(&[
        (
            HandshakeType::ServerHello,
            server_hello(0x0303, CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256).to_bytes(),
        ),
        (HandshakeType::ServerHelloDone, vec![]),
    ]));
    let outcome = run(TlsVersion::Tls12, reply, true).await;
    assert!(
        classify(TlsVersion::Tls12, &outcome).is_accepted(),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn eof_before_any_byte_is_closed_and_dropped() {
    let outcome = run(TlsVersion::Tls10, vec![], false).await;
    assert_eq!(outcome, LegacyOutcome::Closed { bytes_received: 0 });
    assert!(matches!(
        classify(TlsVersion::Tls10, &outcome),
        VersionResult::Dropped {
            stage: Stage::Handshake,
            ..
        }
    ));
}

#[tokio::test]
async fn eof_inside_a_record_reports_the_bytes_received() {
    let outcome = run(TlsVersion::Tls10, vec![0x16, 0x03, 0x01], false).await;
    assert_eq!(outcome, LegacyOutcome::Closed { bytes_received: 3 });
}

#[tokio::test]
async fn plaintext_reply_is_not_tls_with_its_first_bytes() {
    let outcome = run(TlsVersion::Tls12, b"220 hello\r\n".to_vec(), true).await;
    assert_eq!(
        outcome,
        LegacyOutcome::NotTls {
            first_bytes: b"220 hello\r\n".to_vec()
        }
    );
    let VersionResult::Unknown { detail, .. } = classify(TlsVersion::Tls12, &outcome) else {
        panic!();
    };
    assert!(detail.contains(r"220 hello\r\n"), "{detail}");
}

#[tokio::test]
async fn first_bytes_of_a_long_plaintext_reply_are_capped() {
    let outcome = run(TlsVersion::Tls12, vec![b'x'; 1000], true).await;
    assert_eq!(
        outcome,
        LegacyOutcome::NotTls {
            first_bytes: vec![b'x'; MAX_FIRST_BYTES]
        }
    );
}

#[tokio::test]
async fn application_data_before_server_hello_is_unexpected() {
    let mut reply = Vec::new();
    encode_records(ContentType::ApplicationData, 0x0303, &[1, 2, 3], &mut reply);
    let outcome = run(TlsVersion::Tls12, reply, true).await;
    assert!(
        matches!(&outcome, LegacyOutcome::Unexpected { message } if message.contains("application data")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn malformed_server_hello_is_unknown_not_rejected() {
    let reply = handshake_records(&[(HandshakeType::ServerHello, vec![0x03, 0x01, 0x00])]);
    let outcome = run(TlsVersion::Tls10, reply, true).await;
    assert_eq!(
        outcome,
        LegacyOutcome::Malformed(WireError::Truncated("ServerHello"))
    );
    assert!(matches!(
        classify(TlsVersion::Tls10, &outcome),
        VersionResult::Unknown {
            stage: Stage::Handshake,
            ..
        }
    ));
}

#[tokio::test]
async fn endless_stream_of_records_stops_at_the_byte_bound() {
    let (mut ours, mut theirs) = tokio::io::duplex(1 << 16);
    let peer = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        let _ = theirs.read(&mut buf).await;
        // CertificateRequest messages, skipped one by one, forever.
        let filler = handshake_records(&[(HandshakeType::CertificateRequest, vec![0; 16000])]);
        while theirs.write_all(&filler).await.is_ok() {}
    });
    let outcome = probe(&mut ours, &hello(TlsVersion::Tls10), TIMEOUT).await;
    peer.abort();
    assert!(
        matches!(
            outcome,
            LegacyOutcome::Malformed(WireError::TooLarge {
                what: "server reply",
                ..
            })
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn silent_server_times_out_at_the_deadline() {
    let (mut ours, _theirs) = tokio::io::duplex(1 << 16);
    let timeout = Duration::from_millis(200);
    let started = Instant::now();
    let outcome = probe(&mut ours, &hello(TlsVersion::Tls10), timeout).await;
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

#[test]
fn reset_is_dropped_with_the_socket_error() {
    let outcome = io_outcome(&io::Error::from(io::ErrorKind::ConnectionReset));
    assert!(matches!(
        classify(TlsVersion::Tls11, &outcome),
        VersionResult::Dropped { stage: Stage::Handshake, detail } if detail.contains("reset")
    ));
}

#[test]
fn fresh_hellos_differ_in_random() {
    let a = fresh_hello(TlsVersion::Tls13, None).unwrap();
    let b = fresh_hello(TlsVersion::Tls13, None).unwrap();
    assert_ne!(a.random, b.random);
}

#[test]
fn outcome_labels_are_distinct() {
    let outcomes = [
        LegacyOutcome::Timeout,
        LegacyOutcome::Reset(String::new()),
        LegacyOutcome::Closed { bytes_received: 0 },
        LegacyOutcome::Malformed(WireError::Truncated("x")),
        LegacyOutcome::NotTls {
            first_bytes: vec![],
        },
        LegacyOutcome::Unexpected {
            message: String::new(),
        },
        LegacyOutcome::Alert {
            level: AlertLevel::Fatal,
            description: AlertDescription::HandshakeFailure,
        },
    ];
    let mut labels: Vec<_> = outcomes.iter().map(LegacyOutcome::label).collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), outcomes.len());
}
