//! One server address: the plain-text policy session and one session per
//! TLS version, all at once within the politeness limits, folded into a
//! [`ServerObservation`].
//!
//! Each session is its own connection: connect → greeting → EHLO →
//! STARTTLS → handshake pinned to one version (→ EHLO inside TLS → QUIT).
//! What the server does is data (a [`VersionResult`]), never an `Err`.
//! The run's deadline and Ctrl-C are raced against every stage, so a stop
//! still yields a result that names the stage it cut.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, UnixTime};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use crate::model::{
    Accepted, CertVerdict, Direction, Ehlo, NotTested, Policy, ProbeFailure, Rejection,
    ServerObservation, Stage, StarttlsStatus, TlsVersion, Transcript, TranscriptEvent,
    VersionProbe, VersionResult,
};
use crate::smtp::client::{SmtpClient, SmtpError, Timeouts};
use crate::smtp::reply::Reply;
use crate::tls::cert::ChainVerifier;
use crate::tls::wire::client_hello::ClientHello;
use crate::tls::{legacy, modern};

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
    pub suites: crate::probe_profile::SuiteOptions,
}

/// Why a stage did not finish: the deadline passed or the user stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Deadline(Stage),
    Cancelled,
}

impl Stop {
    fn result(self) -> VersionResult {
        match self {
            Stop::Deadline(stage) => VersionResult::Timeout { stage },
            Stop::Cancelled => VersionResult::NotTested(NotTested::Interrupted),
        }
    }
}

/// Per-connection context: limits, deadline and the connection's clock.
pub(crate) struct Session<'a> {
    cfg: &'a ProbeConfig,
    addr: SocketAddr,
    host: Option<&'a str>,
    started: Instant,
    notes: Transcript,
}

impl<'a> Session<'a> {
    pub(crate) fn new(cfg: &'a ProbeConfig, addr: SocketAddr, host: Option<&'a str>) -> Self {
        Self {
            cfg,
            addr,
            host,
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

    /// Runs `fut` unless the deadline passes or the run is cancelled first.
    pub(crate) async fn stage<T>(
        &self,
        stage: Stage,
        fut: impl Future<Output = T>,
    ) -> Result<T, Stop> {
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

fn failure_of(e: &SmtpError) -> ProbeFailure {
    ProbeFailure {
        stage: e.stage(),
        message: e.to_string(),
        timed_out: e.is_timeout(),
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
        let cfg = self.cfg;
        let mut attempt = 0u32;
        loop {
            self.started = Instant::now();
            let not_ready = |result, failure, transcript| {
                Box::new(NotReady {
                    result,
                    banner: None,
                    ehlo: None,
                    starttls_refused: None,
                    failure,
                    transcript,
                })
            };
            let stream = match self
                .stage(
                    Stage::Connect,
                    crate::smtp::client::connect(self.addr, cfg.timeouts.connect),
                )
                .await
            {
                Err(stop) => return Err(not_ready(stop.result(), None, Vec::new())),
                Ok(Err(e)) => return Err(not_ready(earlier(&e), Some(failure_of(&e)), Vec::new())),
                Ok(Ok(s)) => s,
            };
            self.note(format!("connected to {}", self.addr));
            if upto == Upto::Connect {
                return Ok(Ready {
                    stream: Some(stream),
                    client: None,
                    banner: None,
                    ehlo: None,
                    transcript: Vec::new(),
                });
            }
            let mut client = SmtpClient::new(stream, cfg.timeouts, self.started.into_std());
            let greeting = match self.stage(Stage::Greeting, client.read_greeting()).await {
                Err(stop) => return Err(not_ready(stop.result(), None, client.take_transcript())),
                Ok(Err(e)) => {
                    return Err(not_ready(
                        earlier(&e),
                        Some(failure_of(&e)),
                        client.take_transcript(),
                    ))
                }
                Ok(Ok(g)) => g,
            };
            if !greeting.is_positive_completion() {
                let throttled = is_throttle(&greeting);
                if throttled && attempt < cfg.throttle_retries {
                    let wait = cfg.throttle_backoff.saturating_mul(1 << attempt.min(8));
                    attempt += 1;
                    self.note(format!(
                        "greeting {} looks like throttling; retry {attempt} in {} ms",
                        greeting.code,
                        wait.as_millis()
                    ));
                    let _ = self.stage(Stage::Greeting, client.quit_and_close()).await;
                    if let Err(stop) = self.stage(Stage::Greeting, tokio::time::sleep(wait)).await {
                        return Err(not_ready(stop.result(), None, client.take_transcript()));
                    }
                    continue;
                }
                let result = VersionResult::NotTested(if throttled {
                    NotTested::Throttled(greeting.clone())
                } else {
                    NotTested::GreetingRejected(greeting.clone())
                });
                let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
                let mut nr = not_ready(result, None, client.take_transcript());
                nr.banner = Some(greeting);
                return Err(nr);
            }
            let ehlo = match self.stage(Stage::Ehlo, client.ehlo(&cfg.ehlo_name)).await {
                Err(stop) => {
                    let mut nr = not_ready(stop.result(), None, client.take_transcript());
                    nr.banner = Some(greeting);
                    return Err(nr);
                }
                Ok(Err(e)) => {
                    let mut nr =
                        not_ready(earlier(&e), Some(failure_of(&e)), client.take_transcript());
                    nr.banner = Some(greeting);
                    return Err(nr);
                }
                Ok(Ok(e)) => e,
            };
            let fail = |result, client: &mut SmtpClient<TcpStream>, refused| {
                Box::new(NotReady {
                    result,
                    banner: Some(greeting.clone()),
                    ehlo: Some(ehlo.clone()),
                    starttls_refused: refused,
                    failure: None,
                    transcript: client.take_transcript(),
                })
            };
            if upto == Upto::Ehlo {
                let transcript = client.take_transcript();
                return Ok(Ready {
                    stream: None,
                    client: Some(client),
                    banner: Some(greeting),
                    ehlo: Some(ehlo),
                    transcript,
                });
            }
            if !crate::smtp::reply::has_extension(&ehlo.extensions, "STARTTLS") {
                let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
                return Err(fail(
                    VersionResult::NotTested(NotTested::NoStarttls),
                    &mut client,
                    None,
                ));
            }
            let reply = match self.stage(Stage::Starttls, client.starttls()).await {
                Err(stop) => return Err(fail(stop.result(), &mut client, None)),
                Ok(Err(e)) => return Err(fail(session_error(&e), &mut client, None)),
                Ok(Ok(r)) => r,
            };
            if reply.code != 220 {
                let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
                return Err(fail(
                    VersionResult::NotTested(NotTested::StarttlsRefused(reply.clone())),
                    &mut client,
                    Some(reply),
                ));
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
            return Ok(Ready {
                stream: Some(stream),
                client: None,
                banner: Some(greeting),
                ehlo: Some(ehlo),
                transcript,
            });
        }
    }
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

async fn legacy_handshake<S>(
    session: &Session<'_>,
    stream: &mut S,
    version: TlsVersion,
) -> (VersionResult, Vec<Vec<u8>>)
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
        Err(stop) => (stop.result(), Vec::new()),
        Ok(outcome) => {
            let chain = match &outcome {
                legacy::LegacyOutcome::ServerHello { certificates, .. } => certificates.clone(),
                _ => Vec::new(),
            };
            (legacy::classify(version, &outcome), chain)
        }
    }
}

/// One version on its own connection.
async fn version_session(
    cfg: &ProbeConfig,
    addr: SocketAddr,
    host: Option<&str>,
    version: TlsVersion,
) -> SessionOutcome {
    let mut session = Session::new(cfg, addr, host);
    let ready = session.smtp_until_tls(Upto::for_tls(cfg)).await;
    let mut out = SessionOutcome {
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
    };
    let ready = match ready {
        Err(nr) => {
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
            let (result, chain) = legacy_handshake(&session, &mut stream, version).await;
            session.note(format!("{version} probe: {}", describe(&result)));
            out.probe.result = result;
            out.probe.chain = chain;
        }
        TlsVersion::Tls12 | TlsVersion::Tls13 => {
            let outcome = match session
                .stage(
                    Stage::Handshake,
                    modern::handshake(
                        QuickAck(stream),
                        version,
                        sni(host),
                        &cfg.verifier,
                        cfg.timeouts.handshake,
                    ),
                )
                .await
            {
                Err(stop) => {
                    out.probe.result = stop.result();
                    out.probe.transcript = merge_transcripts(transcript, session.notes);
                    out.probe.elapsed = session.started.elapsed();
                    return out;
                }
                Ok(o) => o,
            };
            out.probe.result = outcome.result;
            out.probe.chain = outcome.chain;
            out.verdict = outcome.verdict;
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
                            if crate::smtp::reply::has_extension(&e.extensions, "STARTTLS") {
                                session.note(
                                    "STARTTLS is advertised again inside TLS (RFC 3207 §4.2 says it must not be)"
                                        .to_owned(),
                                );
                            }
                            out.probe.post_tls_ehlo = Some(e.reply);
                            let _ = session.stage(Stage::Quit, client.quit_and_close()).await;
                        }
                        Ok(Err(e)) => session.note(format!("EHLO inside TLS failed: {e}")),
                        Err(_) => session.note("EHLO inside TLS: stopped".to_owned()),
                    }
                    transcript = merge_transcripts(transcript, client.take_transcript());
                }
                _ => session.note(format!(
                    "{version} handshake: {}",
                    describe(&out.probe.result)
                )),
            }
            // rustls offers only ECDHE with AEAD ciphers. When a server
            // refuses that, ask again with the wide ClientHello: it may
            // speak TLS 1.2 with CBC or RSA key exchange only.
            if version == TlsVersion::Tls12
                && matches!(
                    out.probe.result,
                    VersionResult::Rejected(Rejection::Alert(_) | Rejection::Handshake(_))
                )
            {
                if let Some(wide) = wide_tls12(cfg, addr, host, &mut session).await {
                    out.probe.result = wide.0;
                    if out.probe.chain.is_empty() {
                        out.probe.chain = wide.1;
                    }
                }
            }
        }
    }
    out.probe.transcript = merge_transcripts(transcript, session.notes);
    out.probe.elapsed = session.started.elapsed();
    out
}

/// Re-probes TLS 1.2 with the wide ClientHello after rustls was refused.
/// Returns the refined result when the server answered with a ServerHello
/// or an alert.
async fn wide_tls12(
    cfg: &ProbeConfig,
    addr: SocketAddr,
    host: Option<&str>,
    parent: &mut Session<'_>,
) -> Option<(VersionResult, Vec<Vec<u8>>)> {
    let mut session = Session::new(cfg, addr, host);
    let ready = session.smtp_until_tls(Upto::for_tls(cfg)).await.ok()?;
    let mut stream = ready.stream?;
    let (result, chain) = legacy_handshake(&session, &mut stream, TlsVersion::Tls12).await;
    parent.note(format!(
        "TLS 1.2 again with a wide ClientHello (CBC, RSA key exchange): {}",
        describe(&result)
    ));
    match result {
        VersionResult::Accepted(a) => Some((
            VersionResult::Accepted(Accepted {
                legacy_cipher_only: true,
                ..a
            }),
            chain,
        )),
        r @ VersionResult::Rejected(_) => Some((r, chain)),
        _ => None,
    }
}

pub(crate) fn describe(r: &VersionResult) -> String {
    crate::diagnose::findings::describe_result(r)
}

/// The plain-text session: greeting, EHLO, `MAIL FROM:<>`, `RSET`, `QUIT`.
/// Never RCPT, never DATA.
async fn policy_session(
    cfg: &ProbeConfig,
    addr: SocketAddr,
    host: Option<&str>,
) -> (Policy, Option<Reply>, Option<Ehlo>, Option<ProbeFailure>) {
    let mut session = Session::new(cfg, addr, host);
    let mut policy = Policy {
        mail_from: None,
        requires_tls: None,
        error: None,
        transcript: Vec::new(),
    };
    if cfg.implicit_tls {
        policy.error = Some("not applicable: TLS starts on connect (implicit TLS)".to_owned());
        return (policy, None, None, None);
    }
    let ready = match session.smtp_until_tls(Upto::Ehlo).await {
        Err(nr) => {
            policy.error = Some(describe(&nr.result));
            policy.transcript = merge_transcripts(nr.transcript, session.notes);
            return (policy, nr.banner, nr.ehlo, nr.failure);
        }
        Ok(r) => r,
    };
    let Some(mut client) = ready.client else {
        policy.error = Some("internal: no SMTP dialogue after EHLO".to_owned());
        return (policy, ready.banner, ready.ehlo, None);
    };
    match session
        .stage(Stage::MailFrom, client.mail_from_null())
        .await
    {
        Ok(Ok(reply)) => {
            policy.requires_tls = crate::smtp::reply::requires_tls(&reply);
            policy.mail_from = Some(reply);
            let _ = session.stage(Stage::Rset, client.rset()).await;
            let _ = session.stage(Stage::Quit, client.quit_and_close()).await;
        }
        Ok(Err(e)) => policy.error = Some(e.to_string()),
        Err(stop) => policy.error = Some(describe(&stop.result())),
    }
    policy.transcript = merge_transcripts(
        merge_transcripts(ready.transcript, client.take_transcript()),
        session.notes,
    );
    (policy, ready.banner, ready.ehlo, None)
}

/// Probes one address: all sessions at once, within the limits.
pub async fn probe_server(
    cfg: &ProbeConfig,
    host: Option<String>,
    addr: SocketAddr,
    preference: Option<u16>,
) -> ServerObservation {
    let started = Instant::now();
    let per_server = Arc::new(Semaphore::new(cfg.per_server.max(1)));
    let host_ref = host.as_deref();
    let limited = |fut| limited(cfg, &per_server, fut);
    // The suite sessions (probe_profile) give up once these five are done
    // without any greeting: a server that never greets would otherwise
    // cost a second greeting timeout.
    let (give_up, give_up_rx) = watch::channel(false);
    let ((policy, v10, v11, v12, v13), suites) = tokio::join!(
        async {
            let five = tokio::join!(
                limited(Box::pin(async {
                    Either::Policy(policy_session(cfg, addr, host_ref).await)
                })),
                limited(Box::pin(async {
                    Either::Version(version_session(cfg, addr, host_ref, TlsVersion::Tls10).await)
                })),
                limited(Box::pin(async {
                    Either::Version(version_session(cfg, addr, host_ref, TlsVersion::Tls11).await)
                })),
                limited(Box::pin(async {
                    Either::Version(version_session(cfg, addr, host_ref, TlsVersion::Tls12).await)
                })),
                limited(Box::pin(async {
                    Either::Version(version_session(cfg, addr, host_ref, TlsVersion::Tls13).await)
                })),
            );
            let greeted = [&five.0, &five.1, &five.2, &five.3, &five.4]
                .iter()
                .any(|e| match e {
                    Some(Either::Policy((_, banner, _, _))) => banner.is_some(),
                    Some(Either::Version(s)) => s.banner.is_some(),
                    None => false,
                });
            let _ = give_up.send(!greeted);
            five
        },
        Box::pin(crate::probe_profile::suites(
            cfg,
            &per_server,
            addr,
            host_ref,
            give_up_rx
        )),
    );
    let sessions: Vec<SessionOutcome> = [v10, v11, v12, v13]
        .into_iter()
        .filter_map(|e| match e {
            Some(Either::Version(s)) => Some(s),
            _ => None,
        })
        .collect();
    let (policy, p_banner, p_ehlo, p_failure) = match policy {
        Some(Either::Policy(p)) => p,
        _ => (
            Policy {
                mail_from: None,
                requires_tls: None,
                error: Some("interrupted".to_owned()),
                transcript: Vec::new(),
            },
            None,
            None,
            None,
        ),
    };
    let mut observation = fold(
        cfg, host, addr, preference, started, policy, p_banner, p_ehlo, p_failure, sessions,
    );
    observation.suites = suites;
    observation
}

enum Either {
    Policy((Policy, Option<Reply>, Option<Ehlo>, Option<ProbeFailure>)),
    Version(SessionOutcome),
}

/// Runs `fut` holding a per-server and a global permit. `None` when the
/// run was cancelled while waiting.
async fn limited(
    cfg: &ProbeConfig,
    per_server: &Semaphore,
    fut: std::pin::Pin<Box<dyn Future<Output = Either> + Send + '_>>,
) -> Option<Either> {
    let _p = per_server.acquire().await.ok()?;
    let _g = cfg.global.acquire().await.ok()?;
    Some(fut.await)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one private fold of the sessions"
)]
fn fold(
    cfg: &ProbeConfig,
    host: Option<String>,
    addr: SocketAddr,
    preference: Option<u16>,
    started: Instant,
    policy: Policy,
    p_banner: Option<Reply>,
    p_ehlo: Option<Ehlo>,
    p_failure: Option<ProbeFailure>,
    sessions: Vec<SessionOutcome>,
) -> ServerObservation {
    let banner = p_banner.or_else(|| sessions.iter().find_map(|s| s.banner.clone()));
    let ehlo = p_ehlo.or_else(|| sessions.iter().find_map(|s| s.ehlo.clone()));
    let refused = sessions.iter().find_map(|s| s.starttls_refused.clone());
    let starttls = match (&refused, &ehlo) {
        _ if cfg.implicit_tls => StarttlsStatus::Implicit,
        (Some(r), _) => StarttlsStatus::Refused(r.clone()),
        (None, Some(e)) if crate::smtp::reply::has_extension(&e.extensions, "STARTTLS") => {
            StarttlsStatus::Offered
        }
        (None, Some(_)) => StarttlsStatus::NotOffered,
        (None, None) => StarttlsStatus::Unknown,
    };
    let reached = banner.is_some();
    let error = if reached {
        None
    } else {
        p_failure
            .or_else(|| sessions.iter().find_map(|s| s.failure.clone()))
            .or_else(|| {
                sessions
                    .iter()
                    .find_map(|s| stopped_before_greeting(&s.probe.result))
            })
    };
    let certificate = certificate(cfg, host.as_deref(), &sessions);
    ServerObservation {
        host,
        address: addr,
        preference,
        banner,
        ehlo,
        starttls,
        policy,
        versions: sessions.into_iter().map(|s| s.probe).collect(),
        certificate,
        error,
        elapsed: started.elapsed(),
        suites: Default::default(),
    }
}

/// The failure to report when the run's deadline or Ctrl-C stopped a
/// session before the server ever greeted.
fn stopped_before_greeting(r: &VersionResult) -> Option<ProbeFailure> {
    match r {
        VersionResult::Timeout { stage } if *stage != Stage::Handshake => Some(ProbeFailure {
            stage: *stage,
            message: format!("{stage}: the run's deadline passed"),
            timed_out: true,
        }),
        VersionResult::NotTested(NotTested::Interrupted) => Some(ProbeFailure {
            stage: Stage::Connect,
            message: "interrupted before the server answered".to_owned(),
            timed_out: false,
        }),
        _ => None,
    }
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
        crate::tls::cert::summarize(&s.probe.chain, verdict, *v, now_unix)
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
