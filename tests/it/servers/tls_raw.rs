//! TLS peers for tests: certificates made with rcgen (a test CA and leaves,
//! plus self-signed, expired and wrong-name variants), an OpenSSL acceptor
//! that can be limited to any range of TLS 1.0–1.3 (security level 0, so
//! OpenSSL 3 still speaks 1.0/1.1), and a raw TLS server that runs the
//! OpenSSL handshake on each connection and reports what it negotiated.
//!
//! STARTTLS servers reuse [`openssl_acceptor`] and [`accept_and_report`]
//! after their `220 Ready to start TLS`.

use std::net::TcpStream;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::ssl::{
    HandshakeError, NameType, SslAcceptor, SslAcceptorBuilder, SslMethod, SslOptions, SslRef,
    SslVersion,
};
use openssl::x509::X509;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_RSA_SHA256,
};
use time::{Duration as TimeDuration, OffsetDateTime};

use super::TestServer;

/// The key type of a generated certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// ECDSA P-256: only ECDHE_ECDSA suites can use it.
    EcdsaP256,
    /// RSA 2048 (generated with OpenSSL; ring cannot generate RSA keys):
    /// what most mail servers have, usable with ECDHE_RSA, DHE_RSA and RSA
    /// key exchange.
    Rsa2048,
}

/// The validity window of a generated certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Validity {
    /// From yesterday to a year from now.
    Current,
    /// Ended yesterday.
    Expired,
    /// Starts tomorrow.
    NotYetValid,
}

impl Validity {
    fn window(self) -> (OffsetDateTime, OffsetDateTime) {
        let now = OffsetDateTime::now_utc();
        let day = TimeDuration::days(1);
        match self {
            Self::Current => (now - day, now + TimeDuration::days(365)),
            Self::Expired => (now - TimeDuration::days(365), now - day),
            Self::NotYetValid => (now + day, now + TimeDuration::days(365)),
        }
    }
}

/// A server certificate chain (leaf first) with the leaf's private key.
#[derive(Clone, Debug)]
pub(crate) struct ServerCert {
    /// DER certificates as a server sends them: leaf, then intermediates /
    /// CA.
    pub chain: Vec<Vec<u8>>,
    /// The leaf's private key, PKCS#8 PEM.
    pub key_pem: String,
}

impl ServerCert {
    /// The leaf certificate's DER.
    pub(crate) fn leaf_der(&self) -> &[u8] {
        &self.chain[0]
    }

    /// A self-signed certificate for `names` (DNS names or IP addresses).
    pub(crate) fn self_signed(names: &[&str], key: KeyKind) -> ServerCert {
        let key_pair = new_key(key);
        let params = leaf_params(names, Validity::Current);
        let cert = params.self_signed(&key_pair).expect("self-sign");
        ServerCert {
            chain: vec![cert.der().to_vec()],
            key_pem: key_pair.serialize_pem(),
        }
    }
}

/// A test certificate authority.
pub(crate) struct TestCa {
    cert_der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    /// A fresh CA named `name` (ECDSA P-256).
    pub(crate) fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "tlscheck tests");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        (params.not_before, params.not_after) = Validity::Current.window();
        let cert = params.self_signed(&key).expect("CA self-sign");
        TestCa {
            cert_der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA certificate's DER (for a trust store).
    pub(crate) fn der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA certificate as PEM (for `--ca-file`).
    pub(crate) fn pem(&self) -> String {
        let x509 = X509::from_der(&self.cert_der).expect("CA DER");
        String::from_utf8(x509.to_pem().expect("CA PEM")).expect("PEM is ASCII")
    }

    /// A current leaf for `names` (DNS names or IP addresses), chain
    /// `[leaf, CA]`.
    pub(crate) fn leaf(&self, names: &[&str], key: KeyKind) -> ServerCert {
        self.leaf_with(names, key, Validity::Current)
    }

    /// A leaf for `names` with the given validity.
    pub(crate) fn leaf_with(&self, names: &[&str], key: KeyKind, validity: Validity) -> ServerCert {
        let key_pair = new_key(key);
        let cert = leaf_params(names, validity)
            .signed_by(&key_pair, &self.issuer)
            .expect("sign leaf");
        ServerCert {
            chain: vec![cert.der().to_vec(), self.cert_der.clone()],
            key_pem: key_pair.serialize_pem(),
        }
    }

    /// An expired leaf for `names`.
    pub(crate) fn expired_leaf(&self, names: &[&str], key: KeyKind) -> ServerCert {
        self.leaf_with(names, key, Validity::Expired)
    }

    /// A current leaf for a name no test connects to
    /// (`wrong-name.invalid`): the name-mismatch case.
    pub(crate) fn wrong_name_leaf(&self, key: KeyKind) -> ServerCert {
        self.leaf(&["wrong-name.invalid"], key)
    }
}

fn new_key(kind: KeyKind) -> KeyPair {
    match kind {
        KeyKind::EcdsaP256 => KeyPair::generate().expect("ECDSA key"),
        KeyKind::Rsa2048 => {
            let rsa = Rsa::generate(2048).expect("RSA key");
            let pem = PKey::from_rsa(rsa)
                .expect("PKey")
                .private_key_to_pem_pkcs8()
                .expect("PKCS#8");
            let pem = String::from_utf8(pem).expect("PEM is ASCII");
            KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &PKCS_RSA_SHA256).expect("rcgen RSA key")
        }
    }
}

fn leaf_params(names: &[&str], validity: Validity) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("leaf names");
    if let Some(first) = names.first() {
        params
            .distinguished_name
            .push(DnType::CommonName, first.as_str());
    }
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    (params.not_before, params.not_after) = validity.window();
    params
}

/// An OpenSSL acceptor limited to `min..=max` (`None`: the library's
/// lowest / highest), serving `cert`, at security level 0 with cipher list
/// `DEFAULT:@SECLEVEL=0` so TLS 1.0/1.1 and SHA-1 still work on OpenSSL 3.
pub(crate) fn openssl_acceptor(
    min: Option<SslVersion>,
    max: Option<SslVersion>,
    cert: &ServerCert,
) -> SslAcceptor {
    openssl_acceptor_with(min, max, cert, |_| {})
}

/// [`openssl_acceptor`] with a last chance to change the builder (groups,
/// cipher list, options) before it is built.
pub(crate) fn openssl_acceptor_with(
    min: Option<SslVersion>,
    max: Option<SslVersion>,
    cert: &ServerCert,
    customise: impl FnOnce(&mut SslAcceptorBuilder),
) -> SslAcceptor {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("acceptor");
    b.clear_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
    b.set_security_level(0);
    b.set_cipher_list("DEFAULT:@SECLEVEL=0")
        .expect("cipher list");
    b.set_min_proto_version(min).expect("min version");
    b.set_max_proto_version(max).expect("max version");
    let key = PKey::private_key_from_pem(cert.key_pem.as_bytes()).expect("key PEM");
    b.set_private_key(&key).expect("private key");
    b.set_certificate(&X509::from_der(cert.leaf_der()).expect("leaf DER"))
        .expect("certificate");
    for extra in cert.chain.iter().skip(1) {
        b.add_extra_chain_cert(X509::from_der(extra).expect("chain DER"))
            .expect("chain certificate");
    }
    b.check_private_key().expect("key matches certificate");
    customise(&mut b);
    b.build()
}

/// What the server side saw of one handshake attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct HandshakeReport {
    /// True when the handshake completed.
    pub completed: bool,
    /// The negotiated version as OpenSSL names it (`TLSv1`, `TLSv1.3`),
    /// once the ClientHello was processed.
    pub version: Option<String>,
    /// The chosen cipher suite's IANA number, where OpenSSL exposes it:
    /// after a completed handshake, or mid-handshake for TLS 1.3 (for TLS
    /// ≤ 1.2 OpenSSL sets it only once the handshake completes).
    pub cipher: Option<u16>,
    /// The SNI the client sent.
    pub server_name: Option<String>,
    /// Why it failed, in OpenSSL's words.
    pub error: Option<String>,
}

fn report_of(ssl: &SslRef) -> HandshakeReport {
    HandshakeReport {
        completed: false,
        version: Some(ssl.version_str().to_owned()),
        cipher: ssl
            .current_cipher()
            .map(|c| u16::from_be_bytes(c.protocol_id())),
        server_name: ssl.servername(NameType::HOST_NAME).map(str::to_owned),
        error: None,
    }
}

/// Runs the OpenSSL server handshake on `conn` and reports what happened.
/// A completed connection is closed right away.
pub(crate) fn accept_and_report(acceptor: &SslAcceptor, conn: TcpStream) -> HandshakeReport {
    match acceptor.accept(conn) {
        Ok(stream) => HandshakeReport {
            completed: true,
            ..report_of(stream.ssl())
        },
        Err(HandshakeError::Failure(mid)) | Err(HandshakeError::WouldBlock(mid)) => {
            HandshakeReport {
                error: Some(mid.error().to_string()),
                ..report_of(mid.ssl())
            }
        }
        Err(HandshakeError::SetupFailure(e)) => HandshakeReport {
            error: Some(e.to_string()),
            ..HandshakeReport::default()
        },
    }
}

/// A raw TLS server (no SMTP): each connection runs the handshake with
/// `acceptor`, and every [`HandshakeReport`] is sent to
/// [`TlsServer::next_report`].
pub(crate) struct TlsServer {
    /// The listener.
    pub server: TestServer,
    reports: Mutex<mpsc::Receiver<HandshakeReport>>,
}

impl TlsServer {
    /// Starts serving on 127.0.0.1:0.
    pub(crate) fn start(acceptor: SslAcceptor) -> TlsServer {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let server = TestServer::spawn(move |conn| {
            let report = accept_and_report(&acceptor, conn);
            let _ = tx.lock().expect("report channel").send(report);
        });
        TlsServer {
            server,
            reports: Mutex::new(rx),
        }
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.server.port()
    }

    /// The report of the next finished handshake attempt (waits up to 10 s).
    pub(crate) fn next_report(&self) -> HandshakeReport {
        self.reports
            .lock()
            .expect("report receiver")
            .recv_timeout(Duration::from_secs(10))
            .expect("the server reported a handshake attempt")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::{parse_x509_certificate, X509Certificate};

    fn parse(der: &[u8]) -> X509Certificate<'_> {
        parse_x509_certificate(der).expect("DER parses").1
    }

    fn san_strings(der: &[u8]) -> Vec<String> {
        let cert = parse(der);
        let san = cert.subject_alternative_name().unwrap().unwrap();
        san.value
            .general_names
            .iter()
            .map(|n| match n {
                GeneralName::DNSName(d) => d.to_string(),
                GeneralName::IPAddress(ip) => format!("ip:{ip:?}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn ca_leaf_is_issued_by_the_ca_for_the_requested_names() {
        let ca = TestCa::new("test CA");
        let leaf = ca.leaf(&["mx.test.example", "127.0.0.1"], KeyKind::EcdsaP256);
        assert_eq!(leaf.chain.len(), 2);
        assert_eq!(leaf.chain[1], ca.der());
        let (l, c) = (parse(leaf.leaf_der()), parse(ca.der()));
        assert_eq!(l.issuer(), c.subject());
        assert!(c.is_ca() && !l.is_ca());
        assert_eq!(
            san_strings(leaf.leaf_der()),
            ["mx.test.example", "ip:[127, 0, 0, 1]"]
        );
        assert!(ca.pem().starts_with("-----BEGIN CERTIFICATE-----"));
    }

    #[test]
    fn expired_and_not_yet_valid_leaves_lie_outside_now() {
        let ca = TestCa::new("test CA");
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let expired = ca.expired_leaf(&["mx.test.example"], KeyKind::EcdsaP256);
        assert!(parse(expired.leaf_der()).validity().not_after.timestamp() < now);
        let future = ca.leaf_with(
            &["mx.test.example"],
            KeyKind::EcdsaP256,
            Validity::NotYetValid,
        );
        assert!(parse(future.leaf_der()).validity().not_before.timestamp() > now);
    }

    #[test]
    fn self_signed_and_wrong_name_variants_are_what_they_say() {
        let own = ServerCert::self_signed(&["mx.test.example"], KeyKind::Rsa2048);
        assert_eq!(own.chain.len(), 1);
        let c = parse(own.leaf_der());
        assert_eq!(c.issuer(), c.subject());
        let wrong = TestCa::new("test CA").wrong_name_leaf(KeyKind::EcdsaP256);
        assert_eq!(san_strings(wrong.leaf_der()), ["wrong-name.invalid"]);
    }

    #[test]
    fn raw_tls_server_listens_on_loopback_and_completes_a_handshake() {
        use openssl::ssl::{SslConnector, SslVerifyMode};
        let cert = ServerCert::self_signed(&["mx.test.example"], KeyKind::EcdsaP256);
        let server = TlsServer::start(openssl_acceptor(None, None, &cert));
        assert!(server.server.addr().ip().is_loopback());
        let mut connector = SslConnector::builder(SslMethod::tls()).unwrap();
        connector.set_verify(SslVerifyMode::NONE);
        let tcp = TcpStream::connect(server.server.addr()).unwrap();
        let tls = connector
            .build()
            .connect("mx.test.example", tcp)
            .expect("handshake");
        assert_eq!(
            tls.ssl().peer_certificate().unwrap().to_der().unwrap(),
            cert.leaf_der()
        );
        let report = server.next_report();
        assert!(report.completed, "{report:?}");
        assert_eq!(report.version.as_deref(), Some("TLSv1.3"));
        assert_eq!(report.server_name.as_deref(), Some("mx.test.example"));
    }
}
