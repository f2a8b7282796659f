//! One server address: the plain-text policy session and one session per
//! TLS version, all at once within the politeness limits, folded into a
//! [`ServerObservation`].
//!
//! Each session is its own connection: connect → greeting → EHLO →
//! STARTTLS → handshake pinned to one version (→ EHLO inside TLS → QUIT).
//! What the server does is data (a [`VersionResult`]), never an `Err`.
//! The run's deadline and Ctrl-C are raced against every stage, so a stop
//! still yields a result that names the stage it cut.

pub mod profile;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, UnixTime};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use crate::model::cert::ChainVerifier;
use crate::model::{
    Accepted, CertVerdict, Direction, Ehlo, FailureKind, Limit, LimitKind, NotTested, Policy,
    ProbeFailure, Rejection, ServerObservation, Stage, StarttlsStatus, TlsVersion, Transcript,
    TranscriptEvent, VersionProbe, VersionResult,
};
use crate::net::smtp::{SmtpClient, SmtpError, Timeouts};
use crate::net::tls::{legacy, modern};
use crate::proto::smtp::reply::Reply;
use crate::proto::tls::client_hello::ClientHello;

/// How to probe: shared by every server of a run.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Name sent in EHLO.
    pub ehlo_name: String,
    /// Per-stage timeouts.
    pub timeouts: Timeouts,
    /// TLS on connect (SMTPS, port 465) instead of STARTTLS.
    pub implicit_tls: bool,
    /// Judges certificate chains.
    pub verifier: ChainVerifier,
    /// Connections open at once in the whole run.
    pub global: Arc<Semaphore>,
    /// Connections open at once to one address.
    pub per_server: usize,
    /// When the whole run must stop.
    pub deadline: Option<Instant>,
    /// Flips to true on Ctrl-C.
    pub cancel: watch::Receiver<bool>,
    /// How often a throttled session is retried.
    pub throttle_retries: u32,
    /// Wait before the first retry (doubles each time).
    pub throttle_backoff: Duration,
    /// Sender profiles and `--ciphers` (see `probe_profile`).
    pub suites: crate::net::probe::profile::SuiteOptions,
    /// What the sessions wait on, for the status line.
    pub status: crate::net::status::StatusBoard,
}

/// Why a stage did not finish: the deadline passed or the user stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Deadline(Stage),
    Cancelled,
}

impl Stop {
    /// A stop is the run's doing, never the server's: it decides nothing
    /// about a version.
    fn result(self) -> VersionResult {
        match self {
            Stop::Deadline(stage) => VersionResult::NotTested(NotTested::Deadline { stage }),
            Stop::Cancelled => VersionResult::NotTested(NotTested::Interrupted),
        }
    }
}

/// What the sessions of one address share: throttled sessions retry one
/// at a time, so a server that limits connections per client sees fewer
/// of them at once.
#[derive(Default)]
pub(crate) struct Shared {
    retry: tokio::sync::Mutex<()>,
    /// Set when one session spent its retries: the others then report at
    /// once instead of waiting their own turns out (a server that defers
    /// every connection would otherwise cost five times the backoff).
    gave_up: std::sync::atomic::AtomicBool,
}

/// An address's connection limit and shared state, for sessions started
/// outside the version probes (the suite and profile hellos).
pub(crate) struct AddressGate<'a> {
    /// The per-server connection limit.
    pub(crate) permits: &'a Semaphore,
    /// Throttle retries one at a time.
    pub(crate) shared: &'a Shared,
}

/// Per-connection context: limits, deadline and the connection's clock.
pub(crate) struct Session<'a> {
    cfg: &'a ProbeConfig,
    addr: SocketAddr,
    host: Option<&'a str>,
    shared: &'a Shared,
    started: Instant,
    notes: Transcript,
}

impl<'a> Session<'a> {
    pub(crate) fn new(
        cfg: &'a ProbeConfig,
        addr: SocketAddr,
        host: Option<&'a str>,
        shared: &'a Shared,
    ) -> Self {
        Self {
            cfg,
            addr,
            host,
            shared,
            started: Instant::now(),
            notes: Vec::new(),
        }
    }

    fn note(&mut self, text: String) {
        self.notes.push(TranscriptEvent {
            at: self.started.elapsed(),
            direction: Direction::Note,
            text,
        });
    }

    /// Runs `fut` unless the deadline passes or the run is cancelled first;
    /// the wait is on the status board meanwhile.
    pub(crate) async fn stage<T>(
        &self,
        stage: Stage,
        fut: impl Future<Output = T>,
    ) -> Result<T, Stop> {
        let budget = Some(self.cfg.timeouts.for_stage(stage));
        let _waiting = self.cfg.status.enter(self.addr, stage, budget);
        let mut cancel = self.cfg.cancel.clone();
        if *cancel.borrow() {
            return Err(Stop::Cancelled);
        }
        let deadline = async {
            match self.cfg.deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        // A dropped sender means nobody can cancel any more: wait forever.
        let cancelled = async move {
            if cancel.wait_for(|c| *c).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            v = fut => Ok(v),
            () = deadline => Err(Stop::Deadline(stage)),
            () = cancelled => Err(Stop::Cancelled),
        }
    }
}

/// What one session learnt besides its version result.
struct SessionOutcome {
    probe: VersionProbe,
    banner: Option<Reply>,
    ehlo: Option<Ehlo>,
    starttls_refused: Option<Reply>,
    failure: Option<ProbeFailure>,
    verdict: Option<CertVerdict>,
    /// True when this session got past the plain-text part (220 to
    /// STARTTLS, or TLS on connect).
    passed_starttls: bool,
}

/// How far the plain-text part of a session goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upto {
    /// TCP only: implicit TLS starts right away.
    Connect,
    /// Greeting and EHLO: the policy session goes on in plain text.
    Ehlo,
    /// Through a 220 reply to STARTTLS.
    Starttls,
}

impl Upto {
    pub(crate) fn for_tls(cfg: &ProbeConfig) -> Self {
        if cfg.implicit_tls {
            Self::Connect
        } else {
            Self::Starttls
        }
    }
}

/// A connection after the plain-text part.
pub(crate) struct Ready {
    /// The socket, ready for a ClientHello (implicit TLS, STARTTLS).
    pub(crate) stream: Option<TcpStream>,
    /// The dialogue, still open after EHLO (the policy session).
    client: Option<SmtpClient<TcpStream>>,
    banner: Option<Reply>,
    ehlo: Option<Ehlo>,
    transcript: Transcript,
}

/// Why the SMTP part did not get to TLS.
pub(crate) struct NotReady {
    pub(crate) result: VersionResult,
    banner: Option<Reply>,
    ehlo: Option<Ehlo>,
    starttls_refused: Option<Reply>,
    failure: Option<ProbeFailure>,
    transcript: Transcript,
}

impl NotReady {
    fn from_result(result: VersionResult) -> Self {
        Self {
            result,
            banner: None,
            ehlo: None,
            starttls_refused: None,
            failure: None,
            transcript: Vec::new(),
        }
    }
}

fn failure_of(e: &SmtpError) -> ProbeFailure {
    ProbeFailure {
        stage: e.stage(),
        message: e.to_string(),
        timed_out: e.is_timeout(),
        kind: failure_kind(e),
    }
}

/// The class of a failure before (or at) the greeting.
fn failure_kind(e: &SmtpError) -> FailureKind {
    use crate::proto::smtp::reply::ReplyError;
    match e {
        SmtpError::Refused { .. } => FailureKind::Refused,
        SmtpError::Unreachable { .. } => FailureKind::Unreachable,
        SmtpError::Timeout { stage, .. } if *stage == Stage::Connect => FailureKind::ConnectTimeout,
        SmtpError::Timeout { stage, after } if *stage == Stage::Greeting => {
            FailureKind::NoGreeting { waited: *after }
        }
        _ if e.stage() == Stage::Greeting && e.is_dropped() => FailureKind::ClosedBeforeGreeting,
        SmtpError::Protocol {
            error: ReplyError::NotSmtp { first_bytes },
            ..
        } => FailureKind::NotSmtp {
            speaks: speaks(first_bytes),
            first_bytes: String::from_utf8_lossy(first_bytes).into_owned(),
        },
        SmtpError::Protocol {
            error: ReplyError::LineTooLong { .. } | ReplyError::TooManyLines { .. },
            ..
        } => FailureKind::ReplyTooLong,
        _ => FailureKind::Other,
    }
}

/// What protocol a non-SMTP greeting looks like.
fn speaks(first: &[u8]) -> &'static str {
    if first.starts_with(b"HTTP/") || first.starts_with(b"<") {
        "HTTP"
    } else if first.starts_with(b"SSH-") {
        "SSH"
    } else if matches!(first, [0x15 | 0x16, 0x03, ..]) {
        // RFC 8446 §5.1: an alert or handshake record, TLS 1.x: the port
        // speaks TLS on connect (SMTPS) and is waiting for a ClientHello,
        // or is answering our silence with an alert.
        "TLS"
    } else {
        "unknown"
    }
}

fn earlier(e: &SmtpError) -> VersionResult {
    VersionResult::NotTested(NotTested::EarlierStage {
        stage: e.stage(),
        error: e.to_string(),
    })
}

/// Greeting replies that mean "too busy, come back later".
fn is_throttle(r: &Reply) -> bool {
    r.code == 421
        || (r.code / 100 == 4 && {
            let t = r.text().to_ascii_lowercase();
            [
                "too many",
                "try again",
                "throttl",
                "rate",
                "busy",
                "resources",
            ]
            .iter()
            .any(|w| t.contains(w))
        })
}

impl Session<'_> {
    /// Connect and, unless `upto` is [`Upto::Connect`], wait for the
    /// greeting (retrying while throttled), EHLO and, for
    /// [`Upto::Starttls`], STARTTLS.
    pub(crate) async fn smtp_until_tls(&mut self, upto: Upto) -> Result<Ready, Box<NotReady>> {
        let mut attempt = 0u32;
        // Held from the first throttled reply on: retries of one address
        // go one at a time.
        let mut _retry_turn = None;
        loop {
            match self.smtp_attempt(upto).await {
                Attempt::Deferred {
                    why, client, stage, ..
                } if attempt < self.cfg.throttle_retries
                    && !self
                        .shared
                        .gave_up
                        .load(std::sync::atomic::Ordering::SeqCst) =>
                {
                    let wait = self
                        .cfg
                        .throttle_backoff
                        .saturating_mul(1 << attempt.min(8));
                    attempt += 1;
                    self.note(format!(
                        "{why}: looks like a per-client limit; retry {attempt} in {} ms",
                        wait.as_millis()
                    ));
                    if let Some(mut client) = client {
                        let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
                    }
                    if _retry_turn.is_none() {
                        match self.stage(stage, self.shared.retry.lock()).await {
                            Ok(guard) => _retry_turn = Some(guard),
                            Err(stop) => {
                                return Err(Box::new(NotReady::from_result(stop.result())))
                            }
                        }
                    }
                    if let Err(stop) = self.stage(stage, tokio::time::sleep(wait)).await {
                        return Err(Box::new(NotReady::from_result(stop.result())));
                    }
                }
                Attempt::Deferred {
                    client, mut last, ..
                } => {
                    self.shared
                        .gave_up
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                    if let Some(mut client) = client {
                        let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
                        last.transcript = merge_transcripts(
                            std::mem::take(&mut last.transcript),
                            client.take_transcript(),
                        );
                    }
                    return Err(last);
                }
                Attempt::Done(r) => return r.map(|b| *b),
            }
        }
    }

    /// One connection through the plain-text part.
    async fn smtp_attempt(&mut self, upto: Upto) -> Attempt {
        let cfg = self.cfg;
        self.started = Instant::now();
        let not_ready = |result, failure, transcript| {
            Attempt::Done(Err(Box::new(NotReady {
                result,
                failure,
                transcript,
                ..NotReady::from_result(VersionResult::NotTested(NotTested::Interrupted))
            })))
        };
        let stream = match self
            .stage(
                Stage::Connect,
                crate::net::smtp::connect(self.addr, cfg.timeouts.connect),
            )
            .await
        {
            Err(stop) => return not_ready(stop.result(), None, Vec::new()),
            Ok(Err(e)) => return not_ready(earlier(&e), Some(failure_of(&e)), Vec::new()),
            Ok(Ok(s)) => s,
        };
        self.note(format!("connected to {}", self.addr));
        if upto == Upto::Connect {
            return Attempt::Done(Ok(Box::new(Ready {
                stream: Some(stream),
                client: None,
                banner: None,
                ehlo: None,
                transcript: Vec::new(),
            })));
        }
        let mut client = SmtpClient::new(stream, cfg.timeouts, self.started.into_std());
        let greeting = match self.stage(Stage::Greeting, client.read_greeting()).await {
            Err(stop) => return not_ready(stop.result(), None, client.take_transcript()),
            // A close or reset before the greeting, as servers with a
            // per-client connection limit do to the extra connections:
            // retried like a deferral; reported as such if it persists.
            Ok(Err(e)) if e.is_dropped() => {
                let mut last = NotReady::from_result(earlier(&e));
                last.failure = Some(failure_of(&e));
                last.transcript = client.take_transcript();
                return Attempt::Deferred {
                    why: "closed before the greeting".to_owned(),
                    client: None,
                    stage: Stage::Greeting,
                    last: Box::new(last),
                };
            }
            Ok(Err(e)) => {
                return not_ready(earlier(&e), Some(failure_of(&e)), client.take_transcript())
            }
            Ok(Ok(g)) => g,
        };
        if !greeting.is_positive_completion() {
            if is_throttle(&greeting) {
                let mut last = NotReady::from_result(VersionResult::NotTested(
                    NotTested::Throttled(greeting.clone()),
                ));
                last.banner = Some(greeting.clone());
                return Attempt::Deferred {
                    why: format!("greeting {}", greeting.code),
                    client: Some(Box::new(client)),
                    stage: Stage::Greeting,
                    last: Box::new(last),
                };
            }
            let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
            let mut nr = NotReady::from_result(VersionResult::NotTested(
                NotTested::GreetingRejected(greeting.clone()),
            ));
            nr.transcript = client.take_transcript();
            nr.banner = Some(greeting);
            return Attempt::Done(Err(Box::new(nr)));
        }
        let with_banner = |result, failure, client: &mut SmtpClient<TcpStream>| {
            let mut nr = NotReady::from_result(result);
            nr.failure = failure;
            nr.transcript = client.take_transcript();
            nr.banner = Some(greeting.clone());
            Attempt::Done(Err(Box::new(nr)))
        };
        let ehlo = match self.stage(Stage::Ehlo, client.ehlo(&cfg.ehlo_name)).await {
            Err(stop) => return with_banner(stop.result(), None, &mut client),
            Ok(Err(e)) => return with_banner(earlier(&e), Some(failure_of(&e)), &mut client),
            Ok(Ok(e)) => e,
        };
        // A 4yz to EHLO (421 too many connections, 450 try again later) is
        // the server deferring this connection, not an answer about
        // STARTTLS: retry it like a throttled greeting.
        if ehlo.reply.code / 100 == 4 {
            let mut last = NotReady::from_result(VersionResult::NotTested(NotTested::Throttled(
                ehlo.reply.clone(),
            )));
            last.banner = Some(greeting);
            return Attempt::Deferred {
                why: format!("EHLO reply {}", ehlo.reply.code),
                client: Some(Box::new(client)),
                stage: Stage::Ehlo,
                last: Box::new(last),
            };
        }
        // EHLO refused for good (often the name tlscheck sent): HELO has no
        // extensions, so STARTTLS can be neither seen nor tried. The plain
        // policy session goes on if HELO worked.
        let ehlo_refused = ehlo
            .refused_ehlo
            .clone()
            .filter(|_| upto == Upto::Starttls || !ehlo.reply.is_positive_completion());
        if let Some(refusal) = ehlo_refused
            .or_else(|| (!ehlo.reply.is_positive_completion()).then(|| ehlo.reply.clone()))
        {
            let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
            let mut nr =
                NotReady::from_result(VersionResult::NotTested(NotTested::EhloRefused(refusal)));
            nr.transcript = client.take_transcript();
            nr.banner = Some(greeting);
            nr.ehlo = Some(ehlo);
            return Attempt::Done(Err(Box::new(nr)));
        }
        let fail = |result, client: &mut SmtpClient<TcpStream>, refused| {
            Attempt::Done(Err(Box::new(NotReady {
                result,
                banner: Some(greeting.clone()),
                ehlo: Some(ehlo.clone()),
                starttls_refused: refused,
                failure: None,
                transcript: client.take_transcript(),
            })))
        };
        if upto == Upto::Ehlo {
            let transcript = client.take_transcript();
            return Attempt::Done(Ok(Box::new(Ready {
                stream: None,
                client: Some(client),
                banner: Some(greeting),
                ehlo: Some(ehlo),
                transcript,
            })));
        }
        if !crate::proto::smtp::reply::has_extension(&ehlo.extensions, "STARTTLS") {
            let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
            return fail(
                VersionResult::NotTested(NotTested::NoStarttls),
                &mut client,
                None,
            );
        }
        let reply = match self.stage(Stage::Starttls, client.starttls()).await {
            Err(stop) => return fail(stop.result(), &mut client, None),
            Ok(Err(e)) => return fail(session_error(&e), &mut client, None),
            Ok(Ok(r)) => r,
        };
        if reply.code / 100 == 4 {
            // 421/454 to STARTTLS may be a limit on connections at once
            // (another session of this run got 220): retried like a
            // deferral; reported as a refusal if it persists.
            let mut last = NotReady::from_result(VersionResult::NotTested(
                NotTested::StarttlsRefused(reply.clone()),
            ));
            last.banner = Some(greeting.clone());
            last.ehlo = Some(ehlo.clone());
            last.starttls_refused = Some(reply.clone());
            return Attempt::Deferred {
                why: format!("STARTTLS reply {}", reply.code),
                client: Some(Box::new(client)),
                stage: Stage::Starttls,
                last: Box::new(last),
            };
        }
        if reply.code != 220 {
            let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
            return fail(
                VersionResult::NotTested(NotTested::StarttlsRefused(reply.clone())),
                &mut client,
                Some(reply),
            );
        }
        let transcript = client.take_transcript();
        let (stream, leftover) = client.into_parts();
        if !leftover.is_empty() {
            // RFC 3207 §4.2 / CVE-2011-0411: bytes before the handshake
            // are discarded, never treated as part of TLS or SMTP.
            self.note(format!(
                "server sent {} bytes after \"220\" before the TLS handshake (discarded)",
                leftover.len()
            ));
        }
        Attempt::Done(Ok(Box::new(Ready {
            stream: Some(stream),
            client: None,
            banner: Some(greeting),
            ehlo: Some(ehlo),
            transcript,
        })))
    }
}

/// How one connection's plain-text part ended.
enum Attempt {
    /// Ready for TLS, or a result that ends the session.
    Done(Result<Box<Ready>, Box<NotReady>>),
    /// The server deferred this connection (a 421/4yz greeting, EHLO or
    /// STARTTLS reply, or a close before the greeting): retry it later,
    /// or report `last` when the retries are spent.
    Deferred {
        /// What happened, for the transcript.
        why: String,
        /// The still-open dialogue, to QUIT.
        client: Option<Box<SmtpClient<TcpStream>>>,
        /// Where.
        stage: Stage,
        /// The result if it keeps happening.
        last: Box<NotReady>,
    },
}

/// Maps an SMTP error during a session to a version result: a drop or a
/// timeout of the server is data, not a tool failure.
fn session_error(e: &SmtpError) -> VersionResult {
    if e.is_timeout() {
        VersionResult::Timeout { stage: e.stage() }
    } else if e.is_dropped() {
        VersionResult::Dropped {
            stage: e.stage(),
            detail: e.to_string(),
        }
    } else {
        VersionResult::Unknown {
            stage: e.stage(),
            detail: e.to_string(),
        }
    }
}

fn merge_transcripts(mut a: Transcript, b: Transcript) -> Transcript {
    a.extend(b);
    a.sort_by_key(|e| e.at);
    a
}

pub(crate) fn random_bytes() -> ([u8; 32], [u8; 32]) {
    let rng = rustls::crypto::ring::default_provider().secure_random;
    let mut random = [0u8; 32];
    let mut share = [0u8; 32];
    // A failing system RNG leaves zeros: harmless for a probe that never
    // completes a key exchange.
    let _ = rng.fill(&mut random);
    let _ = rng.fill(&mut share);
    (random, share)
}

/// The name to send as SNI and to check the certificate against.
pub(crate) fn sni(host: Option<&str>) -> Option<&str> {
    host.filter(|h| h.parse::<std::net::IpAddr>().is_err())
}

/// tlscheck's own ClientHello for `version` on `stream`: the result, the
/// chain, and the raw outcome (for the evidence of a refined result).
async fn codec_handshake<S>(
    session: &Session<'_>,
    stream: &mut S,
    version: TlsVersion,
) -> (VersionResult, Vec<Vec<u8>>, Option<legacy::LegacyOutcome>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (random, share) = random_bytes();
    let hello = ClientHello::for_probe(version, sni(session.host), random, share);
    match session
        .stage(
            Stage::Handshake,
            legacy::probe(stream, &hello, session.cfg.timeouts.handshake),
        )
        .await
    {
        Err(stop) => (stop.result(), Vec::new(), None),
        Ok(outcome) => {
            let chain = match &outcome {
                legacy::LegacyOutcome::ServerHello { certificates, .. } => certificates.clone(),
                _ => Vec::new(),
            };
            (legacy::classify(version, &outcome), chain, Some(outcome))
        }
    }
}

/// A version session's result before folding.
fn blank_outcome(version: TlsVersion) -> SessionOutcome {
    SessionOutcome {
        probe: VersionProbe {
            version,
            result: VersionResult::NotTested(NotTested::Interrupted),
            elapsed: Duration::ZERO,
            transcript: Vec::new(),
            chain: Vec::new(),
            post_tls_ehlo: None,
        },
        banner: None,
        ehlo: None,
        starttls_refused: None,
        failure: None,
        verdict: None,
        passed_starttls: false,
    }
}

/// One version on its own connection.
async fn version_session(
    cfg: &ProbeConfig,
    addr: SocketAddr,
    host: Option<&str>,
    shared: &Shared,
    version: TlsVersion,
) -> SessionOutcome {
    let mut session = Session::new(cfg, addr, host, shared);
    let mut out = blank_outcome(version);
    let ready = match session.smtp_until_tls(Upto::for_tls(cfg)).await {
        Err(nr) => {
            let nr = *nr;
            out.probe.result = nr.result;
            out.probe.transcript = merge_transcripts(nr.transcript, session.notes);
            out.probe.elapsed = session.started.elapsed();
            out.banner = nr.banner;
            out.ehlo = nr.ehlo;
            out.starttls_refused = nr.starttls_refused;
            out.failure = nr.failure;
            return out;
        }
        Ok(r) => r,
    };
    out.banner = ready.banner;
    out.ehlo = ready.ehlo;
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
            let (result, chain, _) = codec_handshake(&session, &mut stream, version).await;
            session.note(format!("{version} probe: {result}"));
            out.probe.result = result;
            out.probe.chain = chain;
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
    let host = session.host;
    let mut transcript = Vec::new();
    let outcome = match session
        .stage(
            Stage::Handshake,
            Box::pin(modern::handshake(
                QuickAck(stream),
                version,
                sni(host),
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
        let after = if out.probe.chain.is_empty() {
            "ServerHello"
        } else {
            "Certificate"
        };
        match &mut out.probe.result {
            VersionResult::Rejected(Rejection::Alert(alert)) => {
                out.probe.result = VersionResult::Rejected(Rejection::AlertAfter {
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
    let cert_requested = outcome.client_cert_requested;
    match (&outcome.summary, outcome.stream) {
        (Some(summary), Some(tls)) => {
            session.note(summary.clone());
            let started = session.started.into_std();
            let mut client = if cfg.implicit_tls {
                SmtpClient::new(tls, cfg.timeouts, started)
            } else {
                SmtpClient::after_starttls(tls, cfg.timeouts, started)
            };
            if cfg.implicit_tls {
                match session.stage(Stage::Greeting, client.read_greeting()).await {
                    Ok(Ok(g)) => out.banner = Some(g),
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
                        out.ehlo = Some(e.clone());
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
            transcript = client.take_transcript();
        }
        _ => session.note(format!("{version} handshake: {}", out.probe.result)),
    }
    if !(past && limit.is_none()) && needs_wide_retry(version, &out.probe.result, limit.as_ref()) {
        if let Some((result, chain)) =
            Box::pin(wide_retry(session, version, &out.probe.result, limit)).await
        {
            out.probe.result = result;
            if out.probe.chain.is_empty() {
                out.probe.chain = chain;
            }
        }
    }
    transcript
}

/// When rustls' answer leaves open whether the server speaks `version`.
///
/// rustls offers only ECDHE with AEAD suites, three groups and the
/// signature schemes ring verifies. A refusal of that (an alert other than
/// protocol_version, a drop or reset — SCHANNEL resets when no suite
/// suits it —) or a failure on tlscheck's own side says nothing yet about
/// the version: ask again with the wide ClientHello. TLS 1.2 also retries
/// after protocol_version, to name the version the server answers with.
fn needs_wide_retry(version: TlsVersion, r: &VersionResult, limit: Option<&Limit>) -> bool {
    if limit.is_some() {
        return true;
    }
    match r {
        VersionResult::Rejected(Rejection::Alert(a)) => {
            version == TlsVersion::Tls12 || *a != rustls::AlertDescription::ProtocolVersion
        }
        VersionResult::Rejected(Rejection::Handshake(_)) => version == TlsVersion::Tls12,
        VersionResult::Dropped { .. } => true,
        VersionResult::Unknown { .. } => true,
        _ => false,
    }
}

/// Asks again with tlscheck's wide ClientHello on a new connection and
/// returns the refined result: what the server chose, and why rustls did
/// not finish it. `None` when the second connection did not get as far as
/// a handshake (the first result then stands).
async fn wide_retry(
    parent: &mut Session<'_>,
    version: TlsVersion,
    first: &VersionResult,
    limit: Option<Limit>,
) -> Option<(VersionResult, Vec<Vec<u8>>)> {
    let mut session = Session::new(parent.cfg, parent.addr, parent.host, parent.shared);
    let ready = session
        .smtp_until_tls(Upto::for_tls(parent.cfg))
        .await
        .ok()?;
    let mut stream = ready.stream?;
    let (wide, chain, raw) = codec_handshake(&session, &mut stream, version).await;
    parent.note(format!(
        "{version} again with tlscheck's wide ClientHello (more suites, groups and signature schemes): {wide}"
    ));
    let refined = refine(version, first, limit, wide, raw.as_ref(), &chain);
    Some((refined, chain))
}

/// Combines rustls' result with the wide ClientHello's (see
/// [`wide_retry`]). "Legacy ciphers only" is said only when the suite the
/// server chose is one rustls did not offer.
fn refine(
    version: TlsVersion,
    first: &VersionResult,
    limit: Option<Limit>,
    wide: VersionResult,
    raw: Option<&legacy::LegacyOutcome>,
    chain: &[Vec<u8>],
) -> VersionResult {
    let cert_requested = matches!(
        raw,
        Some(legacy::LegacyOutcome::ServerHello {
            client_cert_requested: true,
            ..
        })
    );
    match wide {
        VersionResult::Accepted(a) => {
            let chose = format!(
                "server chose {version} {}{}",
                crate::proto::tls::cipher_name(a.cipher),
                a.group
                    .map(|g| format!(" with {}", crate::proto::tls::group_name(g)))
                    .unwrap_or_default()
            );
            let provider = rustls::crypto::ring::default_provider();
            let rustls_suite = provider.cipher_suites.iter().any(|s| s.suite() == a.cipher);
            let rustls_group = |g| provider.kx_groups.iter().any(|k| k.name() == g);
            let limited = |kind, detail: String| {
                VersionResult::Accepted(Accepted {
                    limited_by: Some(Limit {
                        kind,
                        detail: format!("{chose}; {detail}"),
                    }),
                    ..a.clone()
                })
            };
            if let Some(l) = limit {
                return limited(l.kind, l.detail);
            }
            if !rustls_suite && version == TlsVersion::Tls12 {
                return VersionResult::Accepted(Accepted {
                    legacy_cipher_only: true,
                    ..a
                });
            }
            if let Some(g) = a.group.filter(|g| !rustls_group(*g)) {
                return limited(
                    LimitKind::Group,
                    format!(
                        "tlscheck's TLS library does not implement the group {} (its own handshake: {first})",
                        crate::proto::tls::group_name(g)
                    ),
                );
            }
            if cert_requested {
                return limited(
                    LimitKind::ClientCertificate,
                    format!("the server asks for a client certificate (tlscheck's own handshake: {first})"),
                );
            }
            let key = chain
                .first()
                .and_then(|leaf| crate::model::cert::key_words(leaf))
                .map(|k| format!(", with a {k} certificate"))
                .unwrap_or_default();
            limited(
                LimitKind::TlsLibrary,
                format!(
                    "the server refused the ClientHello of tlscheck's TLS library ({first}) but answered a wider one{key}: it likely needs a group or signature scheme that library does not implement"
                ),
            )
        }
        // The wide hello's refusal names the version answered or the stage
        // (after its Certificate): more than rustls' words.
        refused @ (VersionResult::Rejected(_) | VersionResult::Dropped { .. })
            if limit.is_none() =>
        {
            refused
        }
        other => match limit {
            // rustls stopped on its own side and the wide hello could not
            // show what the server chose: nothing is decided.
            Some(l) => VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: format!("{}; with tlscheck's wide ClientHello: {other}", l.detail),
            },
            None => first.clone(),
        },
    }
}

/// A result in a few words, for transcripts (the model's `Display`).
pub(crate) fn describe(r: &VersionResult) -> String {
    r.to_string()
}

/// The plain-text session: greeting, EHLO, `MAIL FROM:<>`, `RSET`, `QUIT`.
/// Never RCPT, never DATA.
async fn policy_session(
    cfg: &ProbeConfig,
    addr: SocketAddr,
    host: Option<&str>,
    shared: &Shared,
) -> PolicyOutcome {
    let mut session = Session::new(cfg, addr, host, shared);
    let mut out = PolicyOutcome {
        policy: Policy {
            mail_from: None,
            requires_tls: None,
            error: None,
            transcript: Vec::new(),
        },
        banner: None,
        ehlo: None,
        failure: None,
    };
    if cfg.implicit_tls {
        out.policy.error = Some("not applicable: TLS starts on connect (implicit TLS)".to_owned());
        return out;
    }
    let ready = match session.smtp_until_tls(Upto::Ehlo).await {
        Err(nr) => {
            let nr = *nr;
            out.policy.error = Some(nr.result.to_string());
            out.policy.transcript = merge_transcripts(nr.transcript, session.notes);
            out.banner = nr.banner;
            out.ehlo = nr.ehlo;
            out.failure = nr.failure;
            return out;
        }
        Ok(r) => r,
    };
    out.banner = ready.banner;
    out.ehlo = ready.ehlo;
    let Some(mut client) = ready.client else {
        out.policy.error = Some("internal: no SMTP dialogue after EHLO".to_owned());
        return out;
    };
    match session
        .stage(Stage::MailFrom, client.mail_from_null())
        .await
    {
        Ok(Ok(reply)) => {
            out.policy.requires_tls = crate::proto::smtp::reply::requires_tls(&reply);
            out.policy.mail_from = Some(reply);
            let _ = session.stage(Stage::Rset, client.rset()).await;
            let _ = session.stage(Stage::Quit, client.quit_and_close()).await;
        }
        Ok(Err(e)) => out.policy.error = Some(e.to_string()),
        Err(stop) => out.policy.error = Some(stop.result().to_string()),
    }
    out.policy.transcript = merge_transcripts(
        merge_transcripts(ready.transcript, client.take_transcript()),
        session.notes,
    );
    out
}

/// What the policy session learnt.
struct PolicyOutcome {
    policy: Policy,
    banner: Option<Reply>,
    ehlo: Option<Ehlo>,
    failure: Option<ProbeFailure>,
}

/// Probes one address: all sessions at once, within the limits.
pub async fn probe_server(
    cfg: &ProbeConfig,
    host: Option<String>,
    addr: SocketAddr,
    preference: Option<u16>,
) -> ServerObservation {
    let per_server = Semaphore::new(cfg.per_server.max(1));
    probe_server_limited(cfg, host, addr, preference, &per_server).await
}

/// [`probe_server`] under a per-address limit the caller holds for the
/// whole run (several names or targets may share one address).
pub async fn probe_server_limited(
    cfg: &ProbeConfig,
    host: Option<String>,
    addr: SocketAddr,
    preference: Option<u16>,
    per_server: &Semaphore,
) -> ServerObservation {
    let started = Instant::now();
    let shared = Shared::default();
    let host_ref = host.as_deref();
    // Boxed: each session's future is large, and five of them side by side
    // on a worker thread's stack overflow it in debug builds.
    let version = |v| {
        limited(
            cfg,
            per_server,
            Box::pin(version_session(cfg, addr, host_ref, &shared, v)),
        )
    };
    // The suite sessions (probe_profile) give up once these five are done
    // without any greeting: a server that never greets would otherwise
    // cost a second greeting timeout.
    let (give_up, give_up_rx) = watch::channel(false);
    let gate = AddressGate {
        permits: per_server,
        shared: &shared,
    };
    let ((policy, v10, v11, v12, v13), suites) = tokio::join!(
        async {
            let five = tokio::join!(
                limited(
                    cfg,
                    per_server,
                    Box::pin(policy_session(cfg, addr, host_ref, &shared))
                ),
                version(TlsVersion::Tls10),
                version(TlsVersion::Tls11),
                version(TlsVersion::Tls12),
                version(TlsVersion::Tls13),
            );
            let greeted = five.0.as_ref().is_some_and(|p| p.banner.is_some())
                || [&five.1, &five.2, &five.3, &five.4]
                    .iter()
                    .any(|s| s.as_ref().is_some_and(|s| s.banner.is_some()));
            let _ = give_up.send(!greeted);
            five
        },
        Box::pin(crate::net::probe::profile::suites(
            cfg, &gate, addr, host_ref, give_up_rx
        )),
    );
    let sessions: Vec<SessionOutcome> = [
        (TlsVersion::Tls10, v10),
        (TlsVersion::Tls11, v11),
        (TlsVersion::Tls12, v12),
        (TlsVersion::Tls13, v13),
    ]
    .into_iter()
    .map(|(v, s)| s.unwrap_or_else(|| blank_outcome(v)))
    .collect();
    let policy = policy.unwrap_or_else(|| PolicyOutcome {
        policy: Policy {
            mail_from: None,
            requires_tls: None,
            error: Some("interrupted".to_owned()),
            transcript: Vec::new(),
        },
        banner: None,
        ehlo: None,
        failure: None,
    });
    let mut observation = fold(cfg, host, addr, preference, started, policy, sessions);
    observation.suites = suites;
    observation
}

/// Runs `fut` holding a per-server and a global permit. `None` when the
/// run was cancelled while waiting.
async fn limited<T>(
    cfg: &ProbeConfig,
    per_server: &Semaphore,
    fut: impl Future<Output = T>,
) -> Option<T> {
    let _p = per_server.acquire().await.ok()?;
    let _g = cfg.global.acquire().await.ok()?;
    Some(fut.await)
}

/// The STARTTLS state from every session's EHLO: offered when any
/// positive EHLO listed it (a load balancer may mix servers), not offered
/// only when a positive EHLO was seen and none listed it, refused when a
/// session was refused, unknown when no session got a positive EHLO.
fn starttls_state(
    cfg: &ProbeConfig,
    policy: &PolicyOutcome,
    sessions: &[SessionOutcome],
) -> StarttlsStatus {
    if cfg.implicit_tls {
        return StarttlsStatus::Implicit;
    }
    // A refusal counts only when no session got past STARTTLS: a 454 on
    // one connection while another got 220 is a limit, not the answer.
    let passed = sessions.iter().any(|s| s.passed_starttls);
    if let Some(r) = sessions
        .iter()
        .find_map(|s| s.starttls_refused.clone())
        .filter(|_| !passed)
    {
        return StarttlsStatus::Refused(r);
    }
    // Only a positive EHLO shows extensions (HELO after a refused EHLO
    // shows none, which says nothing about STARTTLS).
    let positive: Vec<&Ehlo> = std::iter::once(policy.ehlo.as_ref())
        .chain(sessions.iter().map(|s| s.ehlo.as_ref()))
        .flatten()
        .filter(|e| e.reply.is_positive_completion() && !e.used_helo)
        .collect();
    if positive
        .iter()
        .any(|e| crate::proto::smtp::reply::has_extension(&e.extensions, "STARTTLS"))
    {
        StarttlsStatus::Offered
    } else if positive.is_empty() {
        StarttlsStatus::Unknown
    } else {
        StarttlsStatus::NotOffered
    }
}

fn fold(
    cfg: &ProbeConfig,
    host: Option<String>,
    addr: SocketAddr,
    preference: Option<u16>,
    started: Instant,
    policy: PolicyOutcome,
    sessions: Vec<SessionOutcome>,
) -> ServerObservation {
    let starttls = starttls_state(cfg, &policy, &sessions);
    let banner = policy
        .banner
        .clone()
        .or_else(|| sessions.iter().find_map(|s| s.banner.clone()));
    // The EHLO to show: a positive one first (the policy session's, then
    // any session's), else whatever came.
    let ehlo = std::iter::once(policy.ehlo.clone())
        .chain(sessions.iter().map(|s| s.ehlo.clone()))
        .flatten()
        .find(|e| e.reply.is_positive_completion() && !e.used_helo)
        .or_else(|| policy.ehlo.clone());
    let reached = banner.is_some();
    // A stop by the run (Ctrl-C, --deadline) is not a failure of the
    // server: it leaves no error behind, only undecided results.
    let error = if reached {
        None
    } else {
        policy
            .failure
            .or_else(|| sessions.iter().find_map(|s| s.failure.clone()))
    };
    let certificate = certificate(cfg, host.as_deref(), &sessions);
    let sni = sni(host.as_deref()).map(str::to_owned);
    let mut sessions = sessions;
    if sni.is_none() {
        // RFC 6066 §3: unrecognized_name is about the SNI; without one the
        // server could not pick its certificate. That says nothing about
        // the version.
        for s in &mut sessions {
            if s.probe.result
                == VersionResult::Rejected(Rejection::Alert(
                    rustls::AlertDescription::UnrecognisedName,
                ))
            {
                s.probe.result = VersionResult::Unknown {
                    stage: Stage::Handshake,
                    detail: "alert unrecognized_name: the server wants a host name (SNI), and tlscheck probed by address".to_owned(),
                };
            }
        }
    }
    ServerObservation {
        host,
        address: addr,
        preference,
        banner,
        ehlo,
        starttls,
        policy: policy.policy,
        versions: sessions.into_iter().map(|s| s.probe).collect(),
        certificate,
        error,
        sni,
        elapsed: started.elapsed(),
        suites: Default::default(),
    }
}

/// The observation of an address for another name that points at it: the
/// same sessions, relabelled with `host` and `preference`, the
/// certificate judged against `host`. `sni` still says what was sent.
pub fn for_name(
    seen: &ServerObservation,
    cfg: &ProbeConfig,
    host: Option<String>,
    preference: Option<u16>,
) -> ServerObservation {
    let mut o = seen.clone();
    if o.host != host {
        if let Some(c) = &mut o.certificate {
            let chain: Vec<CertificateDer<'_>> = seen
                .version(c.from_version)
                .map(|p| {
                    p.chain
                        .iter()
                        .map(|d| CertificateDer::from(d.as_slice()))
                        .collect()
                })
                .unwrap_or_default();
            if !chain.is_empty() {
                c.verdict = cfg
                    .verifier
                    .verdict(&chain, sni(host.as_deref()), UnixTime::now());
            }
        }
        o.host = host;
    }
    o.preference = preference;
    o
}

/// The certificate summary from the best chain: a full rustls handshake
/// first (1.2, then 1.3), else a chain from the legacy probes.
fn certificate(
    cfg: &ProbeConfig,
    host: Option<&str>,
    sessions: &[SessionOutcome],
) -> Option<crate::model::CertSummary> {
    let order = [
        TlsVersion::Tls12,
        TlsVersion::Tls13,
        TlsVersion::Tls11,
        TlsVersion::Tls10,
    ];
    let now = UnixTime::now();
    let now_unix = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    // Chains from accepted versions first: a chain that came with a
    // ServerHello of another version is still a chain, but a worse witness.
    let candidates = [true, false].into_iter().flat_map(|accepted_only| {
        order.iter().filter_map(move |v| {
            sessions.iter().find(|s| {
                s.probe.version == *v
                    && !s.probe.chain.is_empty()
                    && (!accepted_only || s.probe.result.is_accepted())
            })
        })
    });
    candidates.into_iter().find_map(|s| {
        let v = &s.probe.version;
        let verdict = s.verdict.clone().unwrap_or_else(|| {
            let chain: Vec<CertificateDer<'_>> = s
                .probe
                .chain
                .iter()
                .map(|c| CertificateDer::from(c.as_slice()))
                .collect();
            cfg.verifier.verdict(&chain, sni(host), now)
        });
        crate::model::cert::summarize(&s.probe.chain, verdict, *v, now_unix)
    })
}

/// A TCP stream that asks the kernel to acknowledge at once before every
/// read.
///
/// Why: servers that do not set TCP_NODELAY (Postfix with OpenSSL) send
/// the TLS 1.3 session tickets and the reply to EHLO as two small writes;
/// the reply then waits for our ACK of the tickets, and Linux delays that
/// ACK by 40 ms or more while we have nothing to send. Measured at 50 ms
/// RTT this cost the TLS 1.3 session 0.8 RTT (bench/README.md). QUICKACK
/// is not sticky (a write re-enables delayed ACKs), hence before each read.
struct QuickAck(TcpStream);

impl AsyncRead for QuickAck {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // Only an optimisation: a failure changes nothing else.
            let _ = this.0.set_quickack(true);
        }
        std::pin::Pin::new(&mut this.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
