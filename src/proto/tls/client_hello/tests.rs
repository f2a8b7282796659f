use super::*;

#[test]
fn with_suites_offers_exactly_the_given_lists() {
    let suites = [CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256];
    let shape = HelloShape {
        cipher_suites: &suites,
        groups: &[NamedGroup::secp256r1],
        signature_schemes: &[SignatureScheme::RSA_PKCS1_SHA256],
    };
    let hello = ClientHello::with_suites(
        TlsVersion::Tls12,
        Some("mx.example"),
        &shape,
        [1; 32],
        [2; 32],
    );
    assert_eq!(hello.cipher_suites, suites);
    assert_eq!(hello.client_version, 0x0303);
    assert_eq!(hello.supported_groups(), Some(&[NamedGroup::secp256r1][..]));
    assert_eq!(
        hello.signature_algorithms(),
        Some(&[SignatureScheme::RSA_PKCS1_SHA256][..])
    );
    let back = ClientHello::read_bytes(&hello.to_bytes()).unwrap();
    assert_eq!(back, hello);
    let len = HANDSHAKE_HEADER_LEN + hello.to_bytes().len();
    assert!(!PADDING_BUG_RANGE.contains(&len));
}

#[test]
fn a_tls13_hello_without_x25519_sends_no_key_share() {
    let suites = [CipherSuite::TLS13_AES_128_GCM_SHA256];
    let shape = HelloShape {
        cipher_suites: &suites,
        groups: &[NamedGroup::secp384r1],
        signature_schemes: SIGNATURE_SCHEMES,
    };
    let hello = ClientHello::with_suites(TlsVersion::Tls13, None, &shape, [1; 32], [2; 32]);
    assert!(hello.key_share_groups().is_empty());
    assert_eq!(hello.supported_versions(), Some(&[0x0304][..]));
}

#[test]
fn a_profile_hello_offers_tls13_and_tls12() {
    let suites = [
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ];
    let shape = HelloShape {
        cipher_suites: &suites,
        groups: LEGACY_GROUPS,
        signature_schemes: SIGNATURE_SCHEMES,
    };
    let hello = ClientHello::with_suites_tls13_and_12(None, &shape, [1; 32], [2; 32]);
    assert_eq!(hello.supported_versions(), Some(&[0x0304, 0x0303][..]));
    assert_eq!(hello.cipher_suites, suites);
    assert_eq!(hello.key_share_groups(), vec![NamedGroup::X25519]);
    let len = HANDSHAKE_HEADER_LEN + hello.to_bytes().len();
    assert!(!PADDING_BUG_RANGE.contains(&len));
}

const RANDOM: [u8; 32] = [0x11; 32];
const SHARE: [u8; 32] = [0x22; 32];

fn probe(v: TlsVersion, sni: Option<&str>) -> ClientHello {
    ClientHello::for_probe(v, sni, RANDOM, SHARE)
}

/// A minimal TLS 1.0 ClientHello body without extensions, as very old
/// clients send it.
const MINIMAL_HELLO: [u8; 41] = [
    0x03, 0x01, // client_version TLS 1.0
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, // random
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, //
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, //
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, //
    0x00, // session_id length 0
    0x00, 0x02, // cipher_suites length 2
    0x00, 0x2f, // TLS_RSA_WITH_AES_128_CBC_SHA
    0x01, // compression_methods length 1
    0x00, // null
];

#[test]
fn every_probe_hello_survives_encode_then_read() {
    for v in TlsVersion::ALL {
        for sni in [None, Some("mx.example.com")] {
            let hello = probe(v, sni);
            let bytes = hello.to_bytes();
            assert_eq!(ClientHello::read_bytes(&bytes), Ok(hello.clone()), "{v}");
            let again = ClientHello::read_bytes(&bytes).unwrap().to_bytes();
            assert_eq!(again, bytes, "{v}: parse→encode changed bytes");
        }
    }
}

#[test]
fn pre_tls13_hellos_pin_client_version_and_carry_no_supported_versions() {
    for v in [TlsVersion::Tls10, TlsVersion::Tls11, TlsVersion::Tls12] {
        let hello = probe(v, None);
        assert_eq!(hello.client_version, v.wire());
        assert_eq!(hello.supported_versions(), None);
        assert_eq!(hello.offered_versions(), vec![v.wire()]);
        assert_eq!(hello.highest_version(), v.wire());
        assert!(hello.key_share_groups().is_empty());
    }
}

#[test]
fn tls13_hello_offers_only_0x0304_with_an_x25519_share() {
    let hello = probe(TlsVersion::Tls13, None);
    assert_eq!(hello.client_version, 0x0303);
    assert_eq!(hello.offered_versions(), vec![0x0304]);
    assert_eq!(hello.highest_version(), 0x0304);
    assert_eq!(hello.key_share_groups(), vec![NamedGroup::X25519]);
    assert_eq!(hello.cipher_suites, TLS13_CIPHER_SUITES);
    let share = hello.extensions.iter().find_map(|e| match e {
        ClientExtension::KeyShare(s) => s.first().map(|s| s.key_exchange.clone()),
        _ => None,
    });
    assert_eq!(share, Some(SHARE.to_vec()));
}

#[test]
fn no_probe_hello_offers_fallback_scsv_null_export_or_anonymous_suites() {
    const TLS_FALLBACK_SCSV: u16 = 0x5600;
    for v in TlsVersion::ALL {
        for cs in probe(v, None).cipher_suites {
            let name = cs.as_str().unwrap_or_default();
            assert_ne!(u16::from(cs), TLS_FALLBACK_SCSV);
            assert!(!name.is_empty(), "{v}: unnamed suite {cs:?}");
            for bad in ["NULL", "EXPORT", "anon", "_DES_CBC_", "PSK"] {
                assert!(!name.contains(bad), "{v}: {name}");
            }
        }
    }
}

#[test]
fn legacy_hellos_offer_no_tls12_only_suites_and_tls12_offers_both() {
    let t10 = probe(TlsVersion::Tls10, None).cipher_suites;
    assert!(t10.iter().all(|cs| !TLS12_ONLY_CIPHER_SUITES.contains(cs)));
    let t12 = probe(TlsVersion::Tls12, None).cipher_suites;
    assert!(LEGACY_CIPHER_SUITES.iter().all(|cs| t12.contains(cs)));
    assert!(t12.contains(&CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256));
}

#[test]
fn signature_algorithms_only_from_tls12_on_with_sha1_for_old_servers() {
    assert_eq!(probe(TlsVersion::Tls10, None).signature_algorithms(), None);
    assert_eq!(probe(TlsVersion::Tls11, None).signature_algorithms(), None);
    let schemes = probe(TlsVersion::Tls12, None);
    let schemes = schemes.signature_algorithms().unwrap();
    assert!(schemes.contains(&SignatureScheme::RSA_PKCS1_SHA1));
    assert!(schemes.contains(&SignatureScheme::ECDSA_SHA1_Legacy));
}

#[test]
fn ffdhe_groups_are_offered_only_to_tls13() {
    let is_ffdhe = |g: &NamedGroup| (0x0100..0x0200).contains(&u16::from(*g));
    let t12 = probe(TlsVersion::Tls12, None);
    assert!(!t12.supported_groups().unwrap().iter().any(is_ffdhe));
    let t13 = probe(TlsVersion::Tls13, None);
    assert!(t13.supported_groups().unwrap().iter().any(is_ffdhe));
}

#[test]
fn sni_is_sent_for_dns_names_without_trailing_dot() {
    assert_eq!(
        probe(TlsVersion::Tls12, Some("mx.example.com.")).server_name(),
        Some("mx.example.com")
    );
}

#[test]
fn sni_is_never_sent_for_address_literals_or_unusable_names() {
    for name in [
        "192.0.2.1",
        "2001:db8::1",
        "[2001:db8::1]",
        "",
        "bad name",
        "mx.exämple.de",
    ] {
        let hello = probe(TlsVersion::Tls12, Some(name));
        assert_eq!(hello.server_name(), None, "{name:?}");
        assert!(!hello.extension_types().contains(&ExtensionType::ServerName));
    }
}

#[test]
fn hellos_never_land_in_the_f5_padding_range() {
    for v in TlsVersion::ALL {
        for sni in [
            None,
            Some("a.b"),
            Some("mail.a-rather-long-host-name.example.com"),
        ] {
            let len = HANDSHAKE_HEADER_LEN + probe(v, sni).to_bytes().len();
            assert!(!PADDING_BUG_RANGE.contains(&len), "{v} {sni:?}: {len}");
        }
    }
}

#[test]
fn record_form_uses_record_version_0x0301_for_every_version() {
    for v in TlsVersion::ALL {
        let rec = probe(v, None).to_record();
        assert_eq!(rec.get(..3), Some(&[0x16, 0x03, 0x01][..]), "{v}"); // handshake, TLS 1.0
        assert_eq!(rec.get(5), Some(&0x01), "{v}"); // msg_type client_hello
    }
}

#[test]
fn reads_a_hello_without_extensions() {
    let hello = ClientHello::read_bytes(&MINIMAL_HELLO).unwrap();
    assert_eq!(hello.client_version, 0x0301);
    assert_eq!(
        hello.cipher_suites,
        [CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA]
    );
    assert_eq!(hello.compression_methods, [Compression::Null]);
    assert!(hello.extensions.is_empty());
    assert_eq!(hello.offered_versions(), vec![0x0301]);
    assert_eq!(hello.to_bytes(), MINIMAL_HELLO);
}

#[test]
fn every_prefix_of_a_hello_is_truncated() {
    let bytes = probe(TlsVersion::Tls13, Some("mx.example.com")).to_bytes();
    // A prefix that ends exactly after compression_methods is a valid
    // hello without extensions, so it is skipped.
    let no_ext_len = MINIMAL_HELLO.len() - 2 + 2 * TLS13_CIPHER_SUITES.len();
    for n in 0..bytes.len() {
        if n == no_ext_len {
            continue;
        }
        let got = ClientHello::read_bytes(bytes.get(..n).unwrap());
        assert_eq!(got, Err(WireError::Truncated("ClientHello")), "prefix {n}");
    }
}

#[test]
fn parses_supported_versions_groups_sni_and_key_shares_of_a_foreign_hello() {
    let mut body = MINIMAL_HELLO.to_vec();
    body.extend_from_slice(&[
        0x00, 0x2f, // extensions length 47
        0x00, 0x00, 0x00, 0x0b, // server_name, length 11
        0x00, 0x09, // server_name_list length 9
        0x00, // host_name
        0x00, 0x06, b'm', b'x', b'.', b'e', b'x', b'a', // "mx.exa"
        0x00, 0x0a, 0x00, 0x06, // supported_groups, length 6
        0x00, 0x04, // list length 4
        0x00, 0x1d, 0x00, 0x17, // x25519, secp256r1
        0x00, 0x2b, 0x00, 0x05, // supported_versions, length 5
        0x04, // list length 4
        0x7a, 0x7a, 0x03, 0x04, // GREASE, TLS 1.3
        0x00, 0x33, 0x00, 0x09, // key_share, length 9
        0x00, 0x07, // client_shares length 7
        0x00, 0x17, 0x00, 0x03, 0x04, 0xaa, 0xbb, // secp256r1, 3-byte share
    ]);
    let hello = ClientHello::read_bytes(&body).unwrap();
    assert_eq!(hello.server_name(), Some("mx.exa"));
    assert_eq!(
        hello.supported_groups(),
        Some(&[NamedGroup::X25519, NamedGroup::secp256r1][..])
    );
    assert_eq!(hello.offered_versions(), vec![0x7a7a, 0x0304]);
    assert_eq!(hello.highest_version(), 0x0304);
    assert_eq!(hello.key_share_groups(), vec![NamedGroup::secp256r1]);
    assert_eq!(hello.to_bytes(), body);
}

#[test]
fn rejects_duplicate_extensions() {
    let mut body = MINIMAL_HELLO.to_vec();
    body.extend_from_slice(&[
        0x00, 0x08, // extensions length 8
        0x00, 0x17, 0x00, 0x00, // extended_master_secret
        0x00, 0x17, 0x00, 0x00, // extended_master_secret again
    ]);
    assert_eq!(
        ClientHello::read_bytes(&body),
        Err(WireError::DuplicateExtension(0x0017))
    );
}

#[test]
fn rejects_extension_whose_length_overruns_the_block() {
    let mut body = MINIMAL_HELLO.to_vec();
    body.extend_from_slice(&[
        0x00, 0x05, // extensions length 5
        0xff, 0x01, 0x00, 0x09, // renegotiation_info claiming 9 bytes
        0x00, // one byte present
    ]);
    assert_eq!(
        ClientHello::read_bytes(&body),
        Err(WireError::LengthMismatch {
            what: "ClientHello extension",
            stated: 9,
            actual: 1
        })
    );
}

#[test]
fn rejects_extension_with_bytes_after_its_content() {
    let mut body = MINIMAL_HELLO.to_vec();
    body.extend_from_slice(&[
        0x00, 0x06, // extensions length 6
        0xff, 0x01, 0x00, 0x02, // renegotiation_info, length 2
        0x00, // renegotiated_connection length 0
        0x99, // stray byte
    ]);
    assert_eq!(
        ClientHello::read_bytes(&body),
        Err(WireError::TrailingData("ClientHello extension"))
    );
}

#[test]
fn rejects_odd_cipher_suite_list_and_long_session_id() {
    let mut odd = MINIMAL_HELLO.to_vec();
    // cipher_suites length 3 (and one more byte so the vector fits)
    odd.splice(35..37, [0x00, 0x03]);
    odd.insert(39, 0x00);
    assert_eq!(
        ClientHello::read_bytes(&odd),
        Err(WireError::PartialEntry {
            what: "cipher_suites",
            len: 3,
            unit: 2
        })
    );
    let mut long_id = MINIMAL_HELLO.to_vec();
    long_id.splice(34..35, std::iter::once(33).chain([0u8; 33]));
    assert_eq!(
        ClientHello::read_bytes(&long_id),
        Err(WireError::TooLarge {
            what: "session_id",
            len: 33,
            max: 32
        })
    );
}

#[test]
fn rejects_trailing_bytes_after_the_extensions_block() {
    let mut body = probe(TlsVersion::Tls12, None).to_bytes();
    body.push(0x00);
    assert_eq!(
        ClientHello::read_bytes(&body),
        Err(WireError::TrailingData("ClientHello"))
    );
}

#[test]
fn unknown_extension_and_non_zero_padding_are_kept_verbatim() {
    let mut body = MINIMAL_HELLO.to_vec();
    body.extend_from_slice(&[
        0x00, 0x0b, // extensions length 11
        0xfe, 0xed, 0x00, 0x01, 0x42, // unknown 0xfeed, 1 byte
        0x00, 0x15, 0x00, 0x02, 0x00, 0x01, // padding that is not all zero
    ]);
    let hello = ClientHello::read_bytes(&body).unwrap();
    assert_eq!(
        hello.extensions,
        [
            ClientExtension::Unknown {
                typ: ExtensionType::Unknown(0xfeed),
                body: vec![0x42]
            },
            ClientExtension::Unknown {
                typ: ExtensionType::Padding,
                body: vec![0x00, 0x01]
            },
        ]
    );
    assert_eq!(hello.to_bytes(), body);
}
