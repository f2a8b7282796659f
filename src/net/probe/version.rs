//! One session per TLS version, each on its own connection: the SMTP part
//! up to TLS, then tlscheck's own ClientHello (TLS 1.0 and 1.1) or a
//! rustls handshake pinned to the version (TLS 1.2 and 1.3) followed by
//! EHLO inside TLS. When rustls does not get through, `wide` asks again.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::plaintext::{PlainText, Upto};
use super::quickack::QuickAck;
use super::session::{merge_transcripts, Session};
use super::wide::{needs_wide_retry, wide_retry};
use super::{sni, HelloRandom, ProbeConfig, Shared};
use crate::model::{
    CertVerdict, Limit, LimitKind, NotTested, Rejection, Stage, TlsVersion, Transcript,
    VersionProbe, VersionResult,
};
use crate::net::smtp::SmtpClient;
use crate::net::tls::{legacy, modern};
use crate::proto::tls::client_hello::ClientHello;

/// What one session learnt besides its version result.
pub(super) struct SessionOutcome {
    pub(super) probe: VersionProbe,
    pub(super) seen: PlainText,
    pub(super) verdict: Option<CertVerdict>,
    /// True when this session got past the plain-text part (220 to
    /// STARTTLS, or TLS on connect).
    pub(super) passed_starttls: bool,
}

impl SessionOutcome {
    /// A version session's result before it ran (interrupted until it
    /// says otherwise).
    pub(super) fn blank(version: TlsVersion) -> Self {
        Self {
            probe: VersionProbe {
                version,
                result: VersionResult::NotTested(NotTested::Interrupted),
                elapsed: Duration::ZERO,
                transcript: Vec::new(),
                chain: Vec::new(),
                post_tls_ehlo: None,
            },
            seen: PlainText::default(),
            verdict: None,
            passed_starttls: false,
        }
    }
}

/// What tlscheck's own ClientHello showed.
pub(super) struct CodecAnswer {
    /// The classified result.
    pub(super) result: VersionResult,
    /// The chain the server sent (DER, leaf first), if any.
    pub(super) chain: Vec<Vec<u8>>,
    /// The raw outcome, for the evidence of a refined result; `None` when
    /// the run stopped first.
    pub(super) raw: Option<legacy::LegacyOutcome>,
}

/// tlscheck's own ClientHello for `version` on `stream`.
pub(super) async fn codec_handshake<S>(
    session: &Session<'_>,
    stream: &mut S,
    version: TlsVersion,
) -> CodecAnswer
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let HelloRandom { random, share } = HelloRandom::fresh();
    let hello = ClientHello::for_probe(version, sni(session.host), random, share);
    match session
        .stage(
            Stage::Handshake,
            legacy::probe(stream, &hello, session.cfg.timeouts.handshake),
        )
        .await
    {
        Err(stop) => CodecAnswer {
            result: stop.result(),
            chain: Vec::new(),
            raw: None,
        },
        Ok(outcome) => {
            let chain = match &outcome {
                legacy::LegacyOutcome::ServerHello { certificates, .. } => certificates.clone(),
                _ => Vec::new(),
            };
            CodecAnswer {
                result: legacy::classify(version, &outcome),
                chain,
                raw: Some(outcome),
            }
        }
    }
}

/// One version on its own connection.
pub(super) async fn version_session(
    cfg: &ProbeConfig,
    addr: SocketAddr,
    host: Option<&str>,
    shared: &Shared,
    version: TlsVersion,
) -> SessionOutcome {
    let mut session = Session::new(cfg, addr, host, shared);
    let mut out = SessionOutcome::blank(version);
    let ready = match session.smtp_until_tls(Upto::for_tls(cfg)).await {
        Err(nr) => {
            let nr = *nr;
            out.probe.result = nr.result;
            out.probe.transcript = merge_transcripts(nr.transcript, session.notes);
            out.probe.elapsed = session.started.elapsed();
            out.seen = nr.seen;
            return out;
        }
        Ok(r) => r,
    };
    out.seen.banner = ready.banner;
    out.seen.ehlo = ready.ehlo;
    out.passed_starttls = true;
    let mut transcript = ready.transcript;
    let Some(mut stream) = ready.stream else {
        out.probe.result = VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: "internal: no socket after STARTTLS".to_owned(),
        };
        return out;
    };
    match version {
        TlsVersion::Tls10 | TlsVersion::Tls11 => {
            let answer = codec_handshake(&session, &mut stream, version).await;
            session.note(format!("{version} probe: {}", answer.result));
            out.probe.result = answer.result;
            out.probe.chain = answer.chain;
        }
        TlsVersion::Tls12 | TlsVersion::Tls13 => {
            let mut extra = Box::pin(modern_session(&mut session, &mut out, stream, version)).await;
            transcript.append(&mut extra);
        }
    }
    out.probe.transcript = merge_transcripts(transcript, session.notes);
    out.probe.elapsed = session.started.elapsed();
    out
}

/// The rustls handshake of TLS 1.2 or 1.3, EHLO inside TLS, and — when
/// rustls did not get through — the wide ClientHello on a new connection
/// to tell "the server refuses the version" from "tlscheck's TLS library
/// cannot finish what the server chose". Returns the transcript of the
/// dialogue inside TLS.
async fn modern_session(
    session: &mut Session<'_>,
    out: &mut SessionOutcome,
    stream: TcpStream,
    version: TlsVersion,
) -> Transcript {
    let cfg = session.cfg;
    let mut transcript = Vec::new();
    let outcome = match session
        .stage(
            Stage::Handshake,
            Box::pin(modern::handshake(
                QuickAck(stream),
                version,
                sni(session.host),
                &cfg.verifier,
                cfg.timeouts.handshake,
            )),
        )
        .await
    {
        Err(stop) => {
            out.probe.result = stop.result();
            return transcript;
        }
        Ok(o) => o,
    };
    out.probe.result = outcome.result;
    out.probe.chain = outcome.chain;
    out.verdict = outcome.verdict;
    let limit = outcome.limit;
    // The server sent its Certificate (our verifier saw it) and then an
    // alert, with nothing failing on tlscheck's side: it chose the version
    // and failed its own part (an unusable private key, for one). No
    // second hello can tell more.
    let past = outcome.past_server_hello || !out.probe.chain.is_empty();
    if past && limit.is_none() {
        name_the_step_after(&mut out.probe);
    }
    match (&outcome.summary, outcome.stream) {
        (Some(summary), Some(tls)) => {
            session.note(summary.clone());
            transcript = inside_tls(session, out, tls, outcome.client_cert_requested).await;
        }
        _ => session.note(format!("{version} handshake: {}", out.probe.result)),
    }
    if !(past && limit.is_none()) && needs_wide_retry(version, &out.probe.result, limit.as_ref()) {
        if let Some(refined) =
            Box::pin(wide_retry(session, version, &out.probe.result, limit)).await
        {
            out.probe.result = refined.result;
            if out.probe.chain.is_empty() {
                out.probe.chain = refined.chain;
            }
        }
    }
    transcript
}

/// A refusal that came after the server's own ServerHello or Certificate
/// says so: the server chose the version and then failed its part.
fn name_the_step_after(probe: &mut VersionProbe) {
    let after = if probe.chain.is_empty() {
        "ServerHello"
    } else {
        "Certificate"
    };
    match &mut probe.result {
        VersionResult::Rejected(Rejection::Alert(alert)) => {
            probe.result = VersionResult::Rejected(Rejection::AlertAfter {
                alert: *alert,
                after,
            });
        }
        VersionResult::Dropped { detail, .. } => {
            detail.push_str(&format!(" after its {after}"));
        }
        _ => {}
    }
}

/// The dialogue inside TLS after a completed handshake: the greeting (TLS
/// on connect), EHLO, QUIT. Returns its transcript.
async fn inside_tls<S>(
    session: &mut Session<'_>,
    out: &mut SessionOutcome,
    tls: S,
    cert_requested: bool,
) -> Transcript
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let cfg = session.cfg;
    let started = session.started.into_std();
    let mut client = if cfg.implicit_tls {
        SmtpClient::new(tls, cfg.timeouts, started)
    } else {
        SmtpClient::after_starttls(tls, cfg.timeouts, started)
    };
    if cfg.implicit_tls {
        match session.stage(Stage::Greeting, client.read_greeting()).await {
            Ok(Ok(g)) => out.seen.banner = Some(g),
            Ok(Err(e)) => session.note(format!("greeting inside TLS: {e}")),
            Err(_) => session.note("greeting inside TLS: stopped".to_owned()),
        }
    }
    match session
        .stage(Stage::PostTlsEhlo, client.ehlo(&cfg.ehlo_name))
        .await
    {
        Ok(Ok(e)) => {
            if cfg.implicit_tls {
                out.seen.ehlo = Some(e.clone());
            }
            if crate::proto::smtp::reply::has_extension(&e.extensions, "STARTTLS") {
                session.note(
                    "STARTTLS is advertised again inside TLS (RFC 3207 §4.2 says it must not be)"
                        .to_owned(),
                );
            }
            out.probe.post_tls_ehlo = Some(e.reply);
            let _ = session.stage(Stage::Quit, client.quit_and_close()).await;
        }
        Ok(Err(e)) => {
            session.note(format!("EHLO inside TLS failed: {e}"));
            // TLS 1.3: the server judges the (empty) client
            // certificate after the client's Finished, so its
            // refusal arrives on the first read inside TLS.
            if cert_requested {
                if let VersionResult::Accepted(a) = &mut out.probe.result {
                    a.limited_by = Some(Limit {
                        kind: LimitKind::ClientCertificate,
                        detail: format!(
                            "the server asked for a client certificate and ended the session when none came ({e})"
                        ),
                    });
                }
            }
        }
        Err(_) => session.note("EHLO inside TLS: stopped".to_owned()),
    }
    client.take_transcript()
}
