use super::*;
use crate::proto::tls::enums::{AlertDescription, AlertLevel};

/// A TLS 1.2 ServerHello as OpenSSL sends it.
const SERVER_HELLO_TLS12: [u8; 55] = [
    0x03, 0x03, // server_version TLS 1.2
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, // random
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, //
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, //
    0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01, // … "DOWNGRD" 01
    0x00, // session_id length 0
    0xc0, 0x2f, // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    0x00, // compression null
    0x00, 0x0f, // extensions length 15
    0xff, 0x01, 0x00, 0x01, 0x00, // renegotiation_info, empty
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
    0x00, 0x17, 0x00, 0x00, // extended_master_secret
];

/// A TLS 1.3 HelloRetryRequest asking for secp256r1.
const HELLO_RETRY_REQUEST: [u8; 52] = [
    0x03, 0x03, // legacy_version TLS 1.2
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, // random = HRR magic
    0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, //
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, //
    0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c, //
    0x00, // legacy_session_id_echo length 0
    0x13, 0x02, // TLS13_AES_256_GCM_SHA384
    0x00, // compression null
    0x00, 0x0c, // extensions length 12
    0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, // supported_versions: TLS 1.3
    0x00, 0x33, 0x00, 0x02, 0x00, 0x17, // key_share: selected_group secp256r1
];

/// A Certificate message with two one-byte "certificates".
const CERTIFICATE: [u8; 11] = [
    0x00, 0x00, 0x08, // certificate_list length 8
    0x00, 0x00, 0x01, 0xaa, // cert 1: 1 byte
    0x00, 0x00, 0x01, 0xbb, // cert 2: 1 byte
];

/// A DHE ServerKeyExchange with a 9-bit prime 0x01 0xff, g = 2, a
/// one-byte Ys, then a signature tlscheck does not read.
const DHE_SKE: [u8; 13] = [
    0x00, 0x02, 0x01, 0xff, // dh_p: 2 bytes, 9 significant bits
    0x00, 0x01, 0x02, // dh_g: 2
    0x00, 0x01, 0x07, // dh_Ys
    0x04, 0x01, 0x00, // signature (hash, sig, …) left unread
];

#[test]
fn reads_the_prime_size_of_a_dhe_server_key_exchange() {
    let ske = ServerKeyExchange {
        body: DHE_SKE.to_vec(),
    };
    let dh = ske.dhe_params().unwrap();
    assert_eq!(dh.prime_bits, 9);
    assert_eq!(dh.generator, vec![2]);
}

#[test]
fn counts_prime_bits_without_leading_zeros() {
    assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
    assert_eq!(bit_length(&[0xff; 256]), 2048);
    assert_eq!(bit_length(&[0x00, 0x00]), 0);
    assert_eq!(bit_length(&[]), 0);
}

#[test]
fn rejects_every_truncated_dhe_server_key_exchange() {
    // Every prefix that cuts into dh_p, dh_g or dh_Ys is an error.
    for n in 0..10 {
        let ske = ServerKeyExchange {
            body: DHE_SKE[..n].to_vec(),
        };
        assert!(ske.dhe_params().is_err(), "prefix of {n} bytes parsed");
    }
}

#[test]
fn rejects_a_dhe_prime_length_that_lies() {
    let ske = ServerKeyExchange {
        body: vec![0xff, 0xff, 0x01, 0x02],
    };
    assert!(matches!(
        ske.dhe_params(),
        Err(WireError::LengthMismatch { .. } | WireError::Truncated(_))
    ));
}

#[test]
fn rejects_an_empty_or_zero_dhe_prime() {
    let empty = ServerKeyExchange {
        body: vec![0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x01, 0x07],
    };
    assert_eq!(empty.dhe_params(), Err(WireError::Empty("dh_p")));
    let zero = ServerKeyExchange {
        body: vec![0x00, 0x01, 0x00, 0x00, 0x01, 0x02, 0x00, 0x01, 0x07],
    };
    assert_eq!(zero.dhe_params(), Err(WireError::Empty("dh_p")));
}

#[test]
fn reads_a_tls12_server_hello() {
    let sh = ServerHello::read_bytes(&SERVER_HELLO_TLS12).unwrap();
    assert_eq!(sh.selected_version(), 0x0303);
    assert_eq!(
        sh.cipher_suite,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    );
    assert_eq!(sh.compression_method, Compression::Null);
    assert!(!sh.is_hello_retry_request());
    assert_eq!(sh.key_share_group(), None);
    assert_eq!(sh.downgrade_sentinel(), Some(DowngradeSentinel::Tls12));
    assert_eq!(sh.extensions.len(), 3);
    assert_eq!(sh.to_bytes(), SERVER_HELLO_TLS12);
}

#[test]
fn recognises_a_hello_retry_request_and_its_group() {
    let hrr = ServerHello::read_bytes(&HELLO_RETRY_REQUEST).unwrap();
    assert!(hrr.is_hello_retry_request());
    assert_eq!(hrr.selected_version(), 0x0304);
    assert_eq!(hrr.key_share_group(), Some(NamedGroup::secp256r1));
    assert_eq!(hrr.to_bytes(), HELLO_RETRY_REQUEST);
}

#[test]
fn every_prefix_of_a_server_hello_is_truncated() {
    // Ending right after compression_method is a valid extension-less
    // ServerHello, so that one prefix is skipped.
    const NO_EXTENSIONS: usize = 38;
    for bytes in [&SERVER_HELLO_TLS12[..], &HELLO_RETRY_REQUEST[..]] {
        for n in (0..bytes.len()).filter(|n| *n != NO_EXTENSIONS) {
            assert_eq!(
                ServerHello::read_bytes(bytes.get(..n).unwrap()),
                Err(WireError::Truncated("ServerHello")),
                "prefix {n}"
            );
        }
    }
}

#[test]
fn server_hello_without_extensions_is_accepted() {
    let sh = ServerHello::read_bytes(SERVER_HELLO_TLS12.get(..38).unwrap()).unwrap();
    assert!(sh.extensions.is_empty());
    assert_eq!(sh.selected_version(), 0x0303);
}

#[test]
fn rejects_server_hello_with_trailing_byte() {
    let mut bytes = SERVER_HELLO_TLS12.to_vec();
    bytes.push(0x00);
    assert_eq!(
        ServerHello::read_bytes(&bytes),
        Err(WireError::TrailingData("ServerHello"))
    );
}

#[test]
fn rejects_server_hello_whose_extension_lies_about_its_length() {
    let mut bytes = SERVER_HELLO_TLS12.to_vec();
    // renegotiation_info now claims 12 bytes; 11 are left in the block
    if let Some(len) = bytes.get_mut(43) {
        *len = 0x0c;
    }
    assert_eq!(
        ServerHello::read_bytes(&bytes),
        Err(WireError::LengthMismatch {
            what: "ServerHello extension",
            stated: 12,
            actual: 11
        })
    );
}

#[test]
fn rejects_server_hello_with_duplicate_extension() {
    let mut bytes = SERVER_HELLO_TLS12.get(..38).unwrap().to_vec();
    bytes.extend_from_slice(&[
        0x00, 0x08, // extensions length 8
        0x00, 0x17, 0x00, 0x00, // extended_master_secret
        0x00, 0x17, 0x00, 0x00, // again
    ]);
    assert_eq!(
        ServerHello::read_bytes(&bytes),
        Err(WireError::DuplicateExtension(0x0017))
    );
}

#[test]
fn unknown_cipher_suite_and_version_print_as_hex() {
    let mut bytes = SERVER_HELLO_TLS12.get(..38).unwrap().to_vec();
    bytes.splice(0..2, [0x7f, 0x1c]); // a draft version
    bytes.splice(35..37, [0xfe, 0xed]); // an unassigned suite
    let sh = ServerHello::read_bytes(&bytes).unwrap();
    assert_eq!(format!("{:?}", sh.cipher_suite), "CipherSuite(0xfeed)");
    assert_eq!(
        crate::proto::tls::wire_version_name(sh.selected_version()),
        "0x7f1c"
    );
}

#[test]
fn reads_a_certificate_chain() {
    let cert = Certificate::read_bytes(&CERTIFICATE).unwrap();
    assert_eq!(cert.chain, vec![vec![0xaa], vec![0xbb]]);
    assert_eq!(cert.to_bytes(), CERTIFICATE);
}

#[test]
fn every_prefix_of_a_certificate_is_truncated() {
    for n in 0..CERTIFICATE.len() {
        assert_eq!(
            Certificate::read_bytes(CERTIFICATE.get(..n).unwrap()),
            Err(WireError::Truncated("Certificate")),
            "prefix {n}"
        );
    }
}

#[test]
fn rejects_certificate_whose_entry_overruns_the_list() {
    let bytes = [
        0x00, 0x00, 0x04, // certificate_list length 4
        0x00, 0x00, 0x05, // cert claiming 5 bytes
        0xaa, // one present
    ];
    assert_eq!(
        Certificate::read_bytes(&bytes),
        Err(WireError::LengthMismatch {
            what: "ASN.1Cert",
            stated: 5,
            actual: 1
        })
    );
}

#[test]
fn rejects_certificate_with_an_empty_entry_or_too_many_entries() {
    let empty_entry = [
        0x00, 0x00, 0x03, // certificate_list length 3
        0x00, 0x00, 0x00, // empty cert
    ];
    assert_eq!(
        Certificate::read_bytes(&empty_entry),
        Err(WireError::Empty("ASN.1Cert"))
    );
    let many = Certificate {
        chain: vec![vec![0x30]; MAX_CERTIFICATES + 1],
    };
    assert_eq!(
        Certificate::read_bytes(&many.to_bytes()),
        Err(WireError::TooLarge {
            what: "certificate_list",
            len: MAX_CERTIFICATES + 1,
            max: MAX_CERTIFICATES
        })
    );
}

#[test]
fn rejects_server_hello_done_with_a_body() {
    assert_eq!(
        ServerHelloDone::read_bytes(&[0x00]),
        Err(WireError::TrailingData("ServerHelloDone"))
    );
}

#[test]
fn ecdhe_server_key_exchange_names_its_curve() {
    let ske = ServerKeyExchange {
        body: vec![
            0x03, // curve_type named_curve
            0x00, 0x1d, // x25519
            0x20, // point length (rest omitted)
        ],
    };
    assert_eq!(ske.ecdhe_named_group(), Some(NamedGroup::X25519));
    assert_eq!(
        ServerKeyExchange { body: vec![0x03] }.ecdhe_named_group(),
        None
    );
    assert!(is_ecdhe_suite(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    ));
    assert!(!is_ecdhe_suite(
        CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA
    ));
}

#[test]
fn parses_a_whole_flight_and_counts_an_incomplete_tail() {
    let mut bytes = Vec::new();
    let sh = HandshakeMessage {
        typ: HandshakeType::ServerHello,
        body: SERVER_HELLO_TLS12.to_vec(),
    };
    let cert = HandshakeMessage {
        typ: HandshakeType::Certificate,
        body: CERTIFICATE.to_vec(),
    };
    let done = HandshakeMessage {
        typ: HandshakeType::ServerHelloDone,
        body: vec![],
    };
    let mut hs = sh.to_bytes();
    hs.extend(cert.to_bytes());
    hs.extend(done.to_bytes());
    super::super::record::encode_records(ContentType::Handshake, 0x0303, &hs, &mut bytes);
    bytes.extend_from_slice(&[
        0x15, 0x03, 0x03, 0x00, 0x02, // alert record, length 2
        0x01, 0x00, // warning close_notify
        0x16, 0x03, // start of another record
    ]);
    let flight = parse_server_flight(&bytes).unwrap();
    assert_eq!(
        flight.messages,
        vec![
            ServerMessage::ServerHello(ServerHello::read_bytes(&SERVER_HELLO_TLS12).unwrap()),
            ServerMessage::Certificate(Certificate::read_bytes(&CERTIFICATE).unwrap()),
            ServerMessage::ServerHelloDone,
            ServerMessage::Alert(Alert {
                level: AlertLevel::Warning,
                description: AlertDescription::CloseNotify
            }),
        ]
    );
    assert_eq!(flight.pending, 2);
}

#[test]
fn flight_with_a_malformed_server_hello_is_an_error() {
    let msg = HandshakeMessage {
        typ: HandshakeType::ServerHello,
        body: SERVER_HELLO_TLS12.get(..10).unwrap().to_vec(),
    };
    let mut bytes = Vec::new();
    super::super::record::encode_records(
        ContentType::Handshake,
        0x0303,
        &msg.to_bytes(),
        &mut bytes,
    );
    assert_eq!(
        parse_server_flight(&bytes),
        Err(WireError::Truncated("ServerHello"))
    );
}

/// Real replies captured from `openssl s_server` (OpenSSL 3.0, RSA
/// certificate) to tlscheck's probe hellos: tests/fixtures/tls/*.bin.
fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls")
}

fn bin_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_captured_fixture_parses_and_starts_with_server_hello_or_alert() {
    let files: Vec<_> = bin_files(&fixture_dir())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    assert!(files.len() >= 5, "fixtures missing: {files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let flight = parse_server_flight(&bytes).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert_eq!(flight.pending, 0, "{path:?}");
        match flight.messages.first() {
            Some(ServerMessage::ServerHello(sh)) => {
                assert_eq!(ServerHello::read_bytes(&sh.to_bytes()).as_ref(), Ok(sh));
            }
            Some(ServerMessage::Alert(_)) => {}
            other => panic!("{path:?} starts with {other:?}"),
        }
    }
}

#[test]
fn fuzz_crashes_if_any_reparse_without_panicking() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/artifacts/tls_records");
    for path in bin_files(&dir) {
        let bytes = std::fs::read(&path).unwrap();
        let _ = parse_server_flight(&bytes);
    }
}

#[test]
fn captured_tls10_flight_has_hello_certificate_group_and_done() {
    let bytes = include_bytes!("../../../../tests/fixtures/tls/tls10_ecdhe_rsa_flight.bin");
    let flight = parse_server_flight(bytes).unwrap();
    let [ServerMessage::ServerHello(sh), ServerMessage::Certificate(cert), ServerMessage::ServerKeyExchange(ske), ServerMessage::ServerHelloDone] =
        flight.messages.as_slice()
    else {
        panic!("{:?}", flight.messages);
    };
    assert_eq!(sh.selected_version(), 0x0301);
    assert_eq!(
        sh.cipher_suite,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
    );
    assert_eq!(sh.downgrade_sentinel(), None);
    assert_eq!(cert.chain.len(), 1);
    assert_eq!(cert.chain[0].first(), Some(&0x30)); // DER SEQUENCE
    assert_eq!(ske.ecdhe_named_group(), Some(NamedGroup::X25519));
}

#[test]
fn captured_tls13_reply_is_server_hello_then_change_cipher_spec_then_ciphertext() {
    let bytes =
        include_bytes!("../../../../tests/fixtures/tls/tls13_server_hello_then_encrypted.bin");
    let flight = parse_server_flight(bytes).unwrap();
    let Some(ServerMessage::ServerHello(sh)) = flight.messages.first() else {
        panic!("{:?}", flight.messages);
    };
    assert_eq!(sh.selected_version(), 0x0304);
    assert_eq!(sh.legacy_version, 0x0303);
    assert_eq!(sh.key_share_group(), Some(NamedGroup::X25519));
    assert_eq!(
        flight.messages.get(1),
        Some(&ServerMessage::ChangeCipherSpec)
    );
    assert!(flight.messages[2..]
        .iter()
        .all(|m| matches!(m, ServerMessage::ApplicationData { .. })));
}

#[test]
fn captured_hello_retry_request_asks_for_p256() {
    let bytes = include_bytes!("../../../../tests/fixtures/tls/tls13_hello_retry_request_p256.bin");
    let flight = parse_server_flight(bytes).unwrap();
    let Some(ServerMessage::ServerHello(hrr)) = flight.messages.first() else {
        panic!("{:?}", flight.messages);
    };
    assert!(hrr.is_hello_retry_request());
    assert_eq!(hrr.selected_version(), 0x0304);
    assert_eq!(hrr.key_share_group(), Some(NamedGroup::secp256r1));
}

#[test]
fn captured_alert_is_fatal_protocol_version() {
    let bytes = include_bytes!(
        "../../../../tests/fixtures/tls/alert_protocol_version_tls12_only_server.bin"
    );
    assert_eq!(
        parse_server_flight(bytes).unwrap().messages,
        vec![ServerMessage::Alert(Alert {
            level: AlertLevel::Fatal,
            description: AlertDescription::ProtocolVersion
        })]
    );
}

#[test]
fn captured_tls10_hello_from_a_tls13_server_carries_the_downgrade_sentinel() {
    let bytes = include_bytes!(
        "../../../../tests/fixtures/tls/tls10_from_tls13_capable_server_downgrade_sentinel.bin"
    );
    let flight = parse_server_flight(bytes).unwrap();
    let Some(ServerMessage::ServerHello(sh)) = flight.messages.first() else {
        panic!("{:?}", flight.messages);
    };
    assert_eq!(sh.selected_version(), 0x0301);
    assert_eq!(
        sh.downgrade_sentinel(),
        Some(DowngradeSentinel::Tls11OrBelow)
    );
}
