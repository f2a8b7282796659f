//! TLS material and server configurations for the in-process servers:
//! a test CA with leaves (valid, expired, wrong name, self-signed), rustls
//! server configs pinned to versions, and OpenSSL acceptors at security
//! level 0 for TLS 1.0/1.1 (OpenSSL 3 refuses them at level 1).

use std::sync::{Arc, OnceLock};

use openssl::pkey::PKey;
use openssl::ssl::{SslAcceptor, SslMethod, SslVersion};
use openssl::x509::X509;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate chain (leaf first) and its key, in DER.
#[derive(Clone)]
pub(crate) struct Identity {
    /// Leaf first, then the CA.
    pub chain: Vec<Vec<u8>>,
    /// PKCS#8 private key.
    pub key: Vec<u8>,
}

/// Which leaf to issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leaf {
    /// Valid for `mx.example.test` and 127.0.0.1.
    Good,
    /// Expired last year.
    Expired,
    /// Valid, but for `other.example.test` only.
    WrongName,
    /// Self-signed, for `mx.example.test`.
    SelfSigned,
    /// Self-signed with basicConstraints CA:TRUE, as `openssl req -x509`
    /// makes by default.
    SelfSignedCa,
}

struct Ca {
    der: Vec<u8>,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

fn ca() -> &'static Ca {
    static CA: OnceLock<Ca> = OnceLock::new();
    CA.get_or_init(|| {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "tlscheck test CA");
        let key = rsa_key();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            der: cert.der().to_vec(),
            issuer: rcgen::Issuer::new(params, key),
        }
    })
}

/// The test CA certificate in PEM (for `--ca-file`).
pub(crate) fn ca_pem() -> String {
    let b64 = openssl::base64::encode_block(&ca().der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// An RSA 2048 key. ring signs with RSA but cannot make RSA keys, so
/// OpenSSL makes one per process (leaves share it; tests do not care).
fn rsa_key() -> rcgen::KeyPair {
    rcgen::KeyPair::try_from(rsa_key_der().as_slice()).unwrap()
}

fn rsa_key_der() -> &'static Vec<u8> {
    static DER: OnceLock<Vec<u8>> = OnceLock::new();
    DER.get_or_init(|| {
        let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
        PKey::from_rsa(rsa).unwrap().private_key_to_pkcs8().unwrap()
    })
}

/// The key of a leaf that tlscheck's TLS library (ring/webpki) cannot
/// use, as real servers still have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OddKey {
    /// RSA 1024 bits: webpki verifies RSA signatures from 2048 bits up.
    Rsa1024,
    /// ECDSA on P-521: ring does not verify it.
    P521,
}

/// A leaf for `mx.example.test` and 127.0.0.1 with an `OddKey`, issued by
/// the test CA with OpenSSL (rcgen on ring cannot sign with such keys).
pub(crate) fn odd_identity(kind: OddKey) -> Identity {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::x509::extension::SubjectAlternativeName;
    use openssl::x509::{X509Builder, X509NameBuilder};
    let key = match kind {
        OddKey::Rsa1024 => PKey::from_rsa(openssl::rsa::Rsa::generate(1024).unwrap()).unwrap(),
        OddKey::P521 => {
            let group =
                openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::SECP521R1).unwrap();
            PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap()
        }
    };
    let ca_cert = X509::from_der(&ca().der).unwrap();
    let ca_key = PKey::private_key_from_pkcs8(rsa_key_der()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "mx.example.test").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca_cert.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(90).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .dns("mx.example.test")
        .ip("127.0.0.1")
        .build(&b.x509v3_context(Some(&ca_cert), None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    Identity {
        chain: vec![b.build().to_der().unwrap(), ca().der.clone()],
        key: key.private_key_to_pkcs8().unwrap(),
    }
}

/// An OpenSSL acceptor like [`openssl_acceptor`], changed by `tune`
/// (cipher list, groups, client-certificate policy).
pub(crate) fn openssl_acceptor_tuned(
    min: SslVersion,
    max: SslVersion,
    id: &Identity,
    tune: impl FnOnce(&mut openssl::ssl::SslAcceptorBuilder),
) -> SslAcceptor {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    b.clear_options(openssl::ssl::SslOptions::NO_TLSV1 | openssl::ssl::SslOptions::NO_TLSV1_1);
    b.set_security_level(0);
    b.set_cipher_list("DEFAULT:@SECLEVEL=0").unwrap();
    b.set_min_proto_version(Some(min)).unwrap();
    b.set_max_proto_version(Some(max)).unwrap();
    b.set_certificate(&X509::from_der(&id.chain[0]).unwrap())
        .unwrap();
    for extra in id.chain.iter().skip(1) {
        b.add_extra_chain_cert(X509::from_der(extra).unwrap())
            .unwrap();
    }
    b.set_private_key(&PKey::private_key_from_der(&id.key).unwrap())
        .unwrap();
    tune(&mut b);
    b.build()
}

/// Issues a leaf of kind `leaf`.
pub(crate) fn identity(leaf: Leaf) -> Identity {
    let name = if leaf == Leaf::WrongName {
        "other.example.test"
    } else {
        "mx.example.test"
    };
    let mut params =
        rcgen::CertificateParams::new(vec![name.to_owned(), "127.0.0.1".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    if leaf == Leaf::Expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    // RSA, as most mail servers use: TLS 1.0/1.1 then sign with SHA-1,
    // which OpenSSL at security level 0 still allows.
    let key = rsa_key();
    if leaf == Leaf::SelfSignedCa {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let (leaf_der, chain_tail) = if matches!(leaf, Leaf::SelfSigned | Leaf::SelfSignedCa) {
        (params.self_signed(&key).unwrap().der().to_vec(), vec![])
    } else {
        (
            params.signed_by(&key, &ca().issuer).unwrap().der().to_vec(),
            vec![ca().der.clone()],
        )
    };
    let mut chain = vec![leaf_der];
    chain.extend(chain_tail);
    Identity {
        chain,
        key: key.serialize_der(),
    }
}

/// A valid leaf from the test CA for every name in `names` (DNS names,
/// or IP addresses as text); the first is the common name. For a domain
/// whose exchanges share one certificate, as many do.
pub(crate) fn identity_for(names: &[&str]) -> Identity {
    let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = rcgen::CertificateParams::new(sans).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    let key = rsa_key();
    let leaf = params.signed_by(&key, &ca().issuer).unwrap();
    Identity {
        chain: vec![leaf.der().to_vec(), ca().der.clone()],
        key: key.serialize_der(),
    }
}

/// A rustls server config speaking exactly `versions`.
pub(crate) fn rustls_config(
    versions: &[&'static rustls::SupportedProtocolVersion],
    id: &Identity,
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain: Vec<CertificateDer<'static>> = id
        .chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone()));
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap(),
    )
}

/// An OpenSSL acceptor for versions `min..=max`, at security level 0 so
/// TLS 1.0/1.1 and their SHA-1 signatures work.
pub(crate) fn openssl_acceptor(min: SslVersion, max: SslVersion, id: &Identity) -> SslAcceptor {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    // mozilla_intermediate_v5 switches TLS 1.0/1.1 off; the range below
    // decides instead.
    b.clear_options(openssl::ssl::SslOptions::NO_TLSV1 | openssl::ssl::SslOptions::NO_TLSV1_1);
    b.set_security_level(0);
    b.set_cipher_list("DEFAULT:@SECLEVEL=0").unwrap();
    b.set_min_proto_version(Some(min)).unwrap();
    b.set_max_proto_version(Some(max)).unwrap();
    let leaf = X509::from_der(&id.chain[0]).unwrap();
    b.set_certificate(&leaf).unwrap();
    for extra in id.chain.iter().skip(1) {
        b.add_extra_chain_cert(X509::from_der(extra).unwrap())
            .unwrap();
    }
    b.set_private_key(&PKey::private_key_from_der(&id.key).unwrap())
        .unwrap();
    b.build()
}

/// A certificate made with OpenSSL, for chains rcgen on ring cannot make
/// (SHA-1 signatures, RSA 1024 issuers, expired intermediates).
pub(crate) struct MadeCert {
    /// The certificate.
    pub cert: X509,
    /// Its private key.
    pub key: PKey<openssl::pkey::Private>,
}

/// Issues a certificate for `cn` with `key`, signed by `issuer` (or self-
/// signed), valid from `from_days` to `to_days` relative to now (negative:
/// in the past), signed with `digest`.
pub(crate) fn make_cert(
    cn: &str,
    key: PKey<openssl::pkey::Private>,
    issuer: Option<&MadeCert>,
    (from_days, to_days): (i64, i64),
    digest: openssl::hash::MessageDigest,
    ca: bool,
) -> MadeCert {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
    use openssl::x509::{X509Builder, X509NameBuilder};
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(rand_serial()).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |i| i.cert.subject_name()))
        .unwrap();
    b.set_pubkey(&key).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    b.set_not_before(&Asn1Time::from_unix(now + from_days * 86_400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + to_days * 86_400).unwrap())
        .unwrap();
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
    } else {
        let san = SubjectAlternativeName::new()
            .dns(cn)
            .build(&b.x509v3_context(issuer.map(|i| i.cert.as_ref()), None))
            .unwrap();
        b.append_extension(san).unwrap();
    }
    b.sign(issuer.map_or(&key, |i| &i.key), digest).unwrap();
    MadeCert {
        cert: b.build(),
        key,
    }
}

fn rand_serial() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(100);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// A fresh RSA key of `bits`.
pub(crate) fn rsa(bits: u32) -> PKey<openssl::pkey::Private> {
    PKey::from_rsa(openssl::rsa::Rsa::generate(bits).unwrap()).unwrap()
}
