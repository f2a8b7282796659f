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
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error as TlsError, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::model::{Accepted, CertVerdict, Rejection, Stage, TlsVersion, VersionResult};
use crate::tls::cert::ChainVerifier;

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
    });
    let fail = |result| ModernOutcome {
        result,
        chain: Vec::new(),
        verdict: None,
        stream: None,
        summary: None,
    };
    let versions: &[&'static rustls::SupportedProtocolVersion] = match version {
        TlsVersion::Tls12 => &[&rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
        TlsVersion::Tls10 | TlsVersion::Tls11 => {
            return fail(VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: format!("{version} is probed with the legacy ClientHello, not rustls"),
            })
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config =
        match ClientConfig::builder_with_provider(provider).with_protocol_versions(versions) {
            Ok(b) => b
                .dangerous()
                .with_custom_certificate_verifier(recorder.clone())
                .with_no_client_auth(),
            Err(e) => {
                return fail(VersionResult::Unknown {
                    stage: Stage::Handshake,
                    detail: format!("rustls configuration: {e}"),
                })
            }
        };
    let name = match sni.map(|n| ServerName::try_from(n.to_owned())) {
        Some(Ok(n)) => n,
        // No SNI for addresses: rustls sends none for an IpAddress name.
        None | Some(Err(_)) => ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into()),
    };
    let connector = TlsConnector::from(Arc::new(config));
    let outcome = tokio::time::timeout(timeout, connector.connect(name, stream)).await;
    let (chain, verdict) = recorder.take();
    let mut out = fail(VersionResult::Timeout {
        stage: Stage::Handshake,
    });
    out.chain = chain;
    out.verdict = verdict;
    match outcome {
        Err(_elapsed) => out,
        Ok(Err(e)) => {
            out.result = classify_io_error(&e);
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
                .and_then(|leaf| crate::tls::cert::subject(leaf))
                .map(|s| format!(", certificate {s}"))
                .unwrap_or_default();
            out.summary = Some(format!(
                "TLS handshake: {}, {}{}{subject}",
                negotiated
                    .map(|v| crate::model::wire_version_name(u16::from(v)))
                    .unwrap_or_else(|| "unknown version".to_owned()),
                crate::tls::cipher_name(cipher),
                group
                    .map(|g| format!(", {}", crate::tls::group_name(g)))
                    .unwrap_or_default(),
            ));
            out.result = match negotiated.map(u16::from) {
                Some(v) if v == version.wire() => VersionResult::Accepted(Accepted {
                    cipher,
                    group,
                    full_handshake: true,
                    legacy_cipher_only: false,
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
            VersionResult::Rejected(Rejection::Handshake(format!("peer incompatible: {p:?}")))
        }
        TlsError::InvalidMessage(m) => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: format!("the server sent a malformed TLS message ({m:?})"),
        },
        TlsError::InappropriateMessage { .. } | TlsError::InappropriateHandshakeMessage { .. } => {
            VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: format!("the server broke the TLS protocol: {e}"),
            }
        }
        TlsError::PeerMisbehaved(m) => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: format!("the server broke the TLS protocol ({m:?})"),
        },
        other => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: other.to_string(),
        },
    }
}

/// Records what the server presented; never fails the handshake on it.
#[derive(Debug)]
struct RecordingVerifier {
    verifier: ChainVerifier,
    expected: Option<String>,
    seen: Mutex<Option<(Vec<Vec<u8>>, CertVerdict)>>,
}

impl RecordingVerifier {
    fn take(&self) -> (Vec<Vec<u8>>, Option<CertVerdict>) {
        match self.seen.lock().ok().and_then(|mut g| g.take()) {
            Some((chain, verdict)) => (chain, Some(verdict)),
            None => (Vec::new(), None),
        }
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
        self.verifier
            .webpki()
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.verifier
            .webpki()
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.verifier.webpki().supported_verify_schemes()
    }
}
