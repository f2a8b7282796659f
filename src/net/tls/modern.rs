//! TLS 1.2 and 1.3 probes: a full rustls handshake pinned to one version.
//!
//! The certificate verifier records the chain and a verdict and then lets
//! the handshake go on, so an expired or self-signed certificate never
//! hides which versions the server speaks. Failures are classified here,
//! where rustls reports them, into [`VersionResult`]; nothing later goes
//! back to the error text.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    ClientConfig, DigitallySignedStruct, Error as TlsError, PeerIncompatible, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::model::cert::ChainVerifier;
use crate::model::{
    Accepted, CertVerdict, Limit, LimitKind, Rejection, Stage, TlsVersion, VersionResult,
};

/// What a modern handshake showed.
#[derive(Debug)]
pub struct ModernOutcome<S> {
    /// The classified result.
    pub result: VersionResult,
    /// The chain the server presented (DER, leaf first), if it got that far.
    pub chain: Vec<Vec<u8>>,
    /// The verdict on that chain.
    pub verdict: Option<CertVerdict>,
    /// The TLS stream, when the handshake completed (for EHLO inside TLS).
    pub stream: Option<TlsStream<S>>,
    /// Negotiated version, cipher and group, as one line for transcripts.
    pub summary: Option<String>,
    /// Set when the handshake failed on tlscheck's side rather than the
    /// server's: a signature it cannot verify, a choice its TLS library
    /// does not implement, a client certificate it does not have. The
    /// server may well speak the version; the caller asks again with the
    /// wide ClientHello to find out.
    pub limit: Option<Limit>,
    /// True when the server sent a CertificateRequest.
    pub client_cert_requested: bool,
    /// True when rustls accepted the server's ServerHello (TLS 1.3: the
    /// handshake secrets were derived; TLS 1.2: the master secret, after
    /// the server's whole first flight). A failure after that is the
    /// server's, not a mismatch of what rustls offered.
    pub past_server_hello: bool,
}

impl<S> ModernOutcome<S> {
    /// A handshake that showed nothing but `result`.
    fn failed(result: VersionResult) -> Self {
        Self {
            result,
            chain: Vec::new(),
            verdict: None,
            stream: None,
            summary: None,
            limit: None,
            client_cert_requested: false,
            past_server_hello: false,
        }
    }
}

/// The rustls configuration of one probe: pinned to `version`, with the
/// recording verifier, the empty client certificate and the key log that
/// tells how far the handshake got.
fn client_config(
    version: TlsVersion,
    recorder: &Arc<RecordingVerifier>,
    client_cert: &Arc<NoClientCert>,
    progress: &Arc<Progress>,
) -> Result<ClientConfig, VersionResult> {
    let versions: &[&'static rustls::SupportedProtocolVersion] = match version {
        TlsVersion::Tls12 => &[&rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
        TlsVersion::Tls10 | TlsVersion::Tls11 => {
            return Err(VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: format!("{version} is probed with the legacy ClientHello, not rustls"),
            })
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config =
        match ClientConfig::builder_with_provider(provider).with_protocol_versions(versions) {
            Ok(b) => b
                .dangerous()
                .with_custom_certificate_verifier(recorder.clone())
                .with_client_cert_resolver(client_cert.clone()),
            Err(e) => {
                return Err(VersionResult::Unknown {
                    stage: Stage::Handshake,
                    detail: format!("rustls configuration: {e}"),
                })
            }
        };
    config.key_log = progress.clone();
    Ok(config)
}

/// Runs a handshake pinned to `version` (1.2 or 1.3) over `stream`.
///
/// `sni` is the host name to send and to check the certificate against;
/// `None` for a bare address (no SNI, chain judged without a name).
pub async fn handshake<S>(
    stream: S,
    version: TlsVersion,
    sni: Option<&str>,
    verifier: &ChainVerifier,
    timeout: Duration,
) -> ModernOutcome<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let recorder = Arc::new(RecordingVerifier {
        verifier: verifier.clone(),
        expected: sni.map(str::to_owned),
        seen: Mutex::new(None),
        signature_failure: Mutex::new(None),
    });
    let client_cert = Arc::new(NoClientCert::default());
    let progress = Arc::new(Progress::default());
    let config = match client_config(version, &recorder, &client_cert, &progress) {
        Ok(c) => c,
        Err(result) => return ModernOutcome::failed(result),
    };
    let name = match sni.map(|n| ServerName::try_from(n.to_owned())) {
        Some(Ok(n)) => n,
        // No SNI for addresses: rustls sends none for an IpAddress name.
        None | Some(Err(_)) => ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into()),
    };
    let connector = TlsConnector::from(Arc::new(config));
    let outcome = tokio::time::timeout(timeout, connector.connect(name, stream)).await;
    let (chain, verdict) = recorder.take();
    let mut out = ModernOutcome::failed(VersionResult::Timeout {
        stage: Stage::Handshake,
    });
    out.chain = chain;
    out.verdict = verdict;
    out.client_cert_requested = client_cert.was_requested();
    out.past_server_hello = progress.past_server_hello();
    match outcome {
        Err(_elapsed) => out,
        Ok(Err(e)) => {
            out.result = classify_io_error(&e);
            out.limit = limit_of(
                &e,
                out.client_cert_requested,
                recorder.signature_failure(),
                &out.chain,
            );
            out
        }
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            let cipher = conn
                .negotiated_cipher_suite()
                .map(|c| c.suite())
                .unwrap_or(rustls::CipherSuite::Unknown(0));
            let group = conn.negotiated_key_exchange_group().map(|g| g.name());
            let negotiated = conn.protocol_version();
            let subject = out
                .chain
                .first()
                .and_then(|leaf| crate::model::cert::subject(leaf))
                .map(|s| format!(", certificate {s}"))
                .unwrap_or_default();
            out.summary = Some(format!(
                "TLS handshake: {}, {}{}{subject}",
                negotiated
                    .map(|v| crate::proto::tls::wire_version_name(u16::from(v)))
                    .unwrap_or_else(|| "unknown version".to_owned()),
                crate::proto::tls::cipher_name(cipher),
                group
                    .map(|g| format!(", {}", crate::proto::tls::group_name(g)))
                    .unwrap_or_default(),
            ));
            out.result = match negotiated.map(u16::from) {
                Some(v) if v == version.wire() => VersionResult::Accepted(Accepted {
                    cipher,
                    group,
                    full_handshake: true,
                    legacy_cipher_only: false,
                    limited_by: None,
                }),
                other => VersionResult::Rejected(Rejection::OtherVersion {
                    offered: version,
                    answered: other.unwrap_or(0),
                }),
            };
            out.stream = Some(tls);
            out
        }
    }
}

/// Classifies a failed handshake from the error tokio-rustls returned.
///
/// tokio-rustls wraps rustls' own error in `io::Error`; this is the one
/// place it is unwrapped.
pub fn classify_io_error(e: &io::Error) -> VersionResult {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>())
    {
        return classify_tls_error(tls);
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => VersionResult::Dropped {
            stage: Stage::Handshake,
            detail: dropped_detail(e),
        },
        _ => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: e.to_string(),
        },
    }
}

fn dropped_detail(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => "connection closed by the server".to_owned(),
        io::ErrorKind::ConnectionReset => "connection reset by the server".to_owned(),
        _ => e.to_string(),
    }
}

fn classify_tls_error(e: &TlsError) -> VersionResult {
    match e {
        TlsError::AlertReceived(desc) => VersionResult::Rejected(Rejection::Alert(*desc)),
        TlsError::PeerIncompatible(p) => {
            VersionResult::Rejected(Rejection::Handshake(incompatible_words(p).to_owned()))
        }
        TlsError::InvalidMessage(m) => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: format!(
                "the server sent a malformed TLS message ({})",
                debug_words(&format!("{m:?}"))
            ),
        },
        TlsError::InappropriateMessage { .. } | TlsError::InappropriateHandshakeMessage { .. } => {
            VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: "the server sent a TLS message out of order".to_owned(),
            }
        }
        TlsError::PeerMisbehaved(m) => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: format!(
                "the server broke the TLS protocol ({})",
                debug_words(&format!("{m:?}"))
            ),
        },
        TlsError::InvalidCertificate(_) => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: "tlscheck could not verify the server's handshake signature".to_owned(),
        },
        TlsError::DecryptError => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: "a record from the server did not decrypt".to_owned(),
        },
        _ => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: "tlscheck's TLS library stopped the handshake".to_owned(),
        },
    }
}

/// Plain words for rustls' reasons why the server's choices do not fit
/// what it offered (no Debug dumps in reports).
fn incompatible_words(p: &PeerIncompatible) -> &'static str {
    match p {
        PeerIncompatible::ServerDoesNotSupportTls12Or13
        | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig => {
            "the server answered with another TLS version"
        }
        PeerIncompatible::NoCipherSuitesInCommon => "no cipher suite in common",
        PeerIncompatible::NoKxGroupsInCommon => "no key-exchange group in common",
        PeerIncompatible::NoSignatureSchemesInCommon => "no signature scheme in common",
        PeerIncompatible::ExtendedMasterSecretExtensionRequired => {
            "the server did not use the extended master secret"
        }
        PeerIncompatible::UncompressedEcPointsRequired => {
            "the server requires compressed elliptic-curve points"
        }
        _ => "the server's choices do not fit what tlscheck's TLS library offered",
    }
}

/// `SelectedUnofferedCipherSuite` → `selected unoffered cipher suite`:
/// rustls names its reasons only as enum variants.
fn debug_words(debug: &str) -> String {
    let head = debug.split(['(', '{', ' ']).next().unwrap_or_default();
    let mut out = String::new();
    for (i, ch) in head.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// Whether a failed handshake stopped on tlscheck's side, and why.
fn limit_of(
    e: &io::Error,
    client_cert_requested: bool,
    signature_failure: Option<(SignatureScheme, String)>,
    chain: &[Vec<u8>],
) -> Option<Limit> {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>());
    let key = chain
        .first()
        .and_then(|leaf| crate::model::cert::key_words(leaf))
        .map(|k| format!(" ({k} certificate)"))
        .unwrap_or_default();
    match tls {
        // Our verifier never fails the chain itself: an invalid
        // certificate error comes from the handshake signature.
        Some(TlsError::InvalidCertificate(_)) => {
            let (scheme, why) = signature_failure
                .map(|(s, w)| (crate::proto::tls::scheme_name(s), w))
                .unwrap_or_else(|| ("its".to_owned(), "verification failed".to_owned()));
            let key_words = chain.first().and_then(|leaf| crate::model::cert::key_words(leaf));
            // ring/webpki verify RSA from 2048 bits and ECDSA on P-256 and
            // P-384 only: with such a key the signature was not judged at
            // all, so say that rather than "does not verify".
            let unsupported = key_words.as_deref().is_some_and(|k| {
                k == "EC P-521"
                    || k.strip_prefix("RSA ")
                        .and_then(|b| b.parse::<u32>().ok())
                        .is_some_and(|b| b < 2048)
            });
            let detail = match (unsupported, key_words) {
                (true, Some(k)) => format!(
                    "tlscheck's TLS library (ring/webpki) does not verify {scheme} signatures made with {k} keys, so it could not finish the handshake; the signature itself was not judged"
                ),
                _ => format!(
                    "tlscheck could not verify the server's {scheme} signature{key}: {why}"
                ),
            };
            Some(Limit {
                kind: LimitKind::Signature,
                detail,
            })
        }
        Some(TlsError::PeerIncompatible(
            PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
        )) => None,
        Some(TlsError::PeerIncompatible(p)) => Some(Limit {
            kind: LimitKind::TlsLibrary,
            detail: format!("tlscheck's TLS library gave up: {}", incompatible_words(p)),
        }),
        Some(TlsError::AlertReceived(desc)) if client_cert_requested => Some(Limit {
            kind: LimitKind::ClientCertificate,
            detail: format!(
                "the server asked for a client certificate and refused the handshake without one (alert {})",
                crate::proto::tls::alert_name(*desc)
            ),
        }),
        // The server's alert may lose the race with our next write: a
        // reset or broken pipe right after an empty client certificate is
        // the same refusal.
        None if client_cert_requested => Some(Limit {
            kind: LimitKind::ClientCertificate,
            detail: format!(
                "the server asked for a client certificate and closed the connection when none came ({})",
                dropped_detail(e)
            ),
        }),
        _ => None,
    }
}

/// Notes how far the handshake got from the secrets rustls derives; it
/// keeps no secret.
#[derive(Debug, Default)]
struct Progress {
    keys: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn past_server_hello(&self) -> bool {
        self.keys.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl rustls::KeyLog for Progress {
    fn log(&self, _label: &str, _client_random: &[u8], _secret: &[u8]) {
        self.keys.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

/// Answers a CertificateRequest with no certificate, and remembers that
/// the server asked.
#[derive(Debug, Default)]
struct NoClientCert {
    requested: std::sync::atomic::AtomicBool,
}

impl NoClientCert {
    fn was_requested(&self) -> bool {
        self.requested.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl ResolvesClientCert for NoClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.requested
            .store(true, std::sync::atomic::Ordering::SeqCst);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// Records what the server presented; never fails the handshake on it.
#[derive(Debug)]
struct RecordingVerifier {
    verifier: ChainVerifier,
    expected: Option<String>,
    seen: Mutex<Option<(Vec<Vec<u8>>, CertVerdict)>>,
    signature_failure: Mutex<Option<(SignatureScheme, String)>>,
}

impl RecordingVerifier {
    fn take(&self) -> (Vec<Vec<u8>>, Option<CertVerdict>) {
        match self.seen.lock().ok().and_then(|mut g| g.take()) {
            Some((chain, verdict)) => (chain, Some(verdict)),
            None => (Vec::new(), None),
        }
    }

    fn signature_failure(&self) -> Option<(SignatureScheme, String)> {
        self.signature_failure
            .lock()
            .ok()
            .and_then(|mut g| g.take())
    }

    /// Keeps the first failed signature check: which scheme, and why in
    /// words.
    fn note(
        &self,
        scheme: SignatureScheme,
        r: Result<HandshakeSignatureValid, TlsError>,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        if let Err(TlsError::InvalidCertificate(e)) = &r {
            if let Ok(mut g) = self.signature_failure.lock() {
                g.get_or_insert((scheme, crate::model::cert::error_words(e)));
            }
        }
        r
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let chain: Vec<CertificateDer<'_>> = std::iter::once(end_entity.clone())
            .chain(intermediates.iter().cloned())
            .collect();
        let verdict = self.verifier.verdict(&chain, self.expected.as_deref(), now);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((chain.iter().map(|c| c.to_vec()).collect(), verdict));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.note(
            dss.scheme,
            self.verifier
                .webpki()
                .verify_tls12_signature(message, cert, dss),
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.note(
            dss.scheme,
            self.verifier
                .webpki()
                .verify_tls13_signature(message, cert, dss),
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.verifier.webpki().supported_verify_schemes()
    }
}
