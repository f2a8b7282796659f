//! The SMTP part of a session, up to TLS: connect, greeting, EHLO and
//! STARTTLS, each a stage raced against the deadline. A deferral (a
//! 421/4yz greeting, EHLO or STARTTLS reply, a close before the greeting)
//! is retried with backoff, one session of an address at a time; what the
//! server answered is kept for the observation either way.

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::session::{merge_transcripts, Session};
use super::ProbeConfig;
use crate::model::{Ehlo, FailureKind, NotTested, ProbeFailure, Stage, Transcript, VersionResult};
use crate::net::smtp::{SmtpClient, SmtpError};
use crate::proto::smtp::reply::Reply;

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
    pub(super) client: Option<SmtpClient<TcpStream>>,
    pub(super) banner: Option<Reply>,
    pub(super) ehlo: Option<Ehlo>,
    pub(super) transcript: Transcript,
}

/// What the plain-text part of a session showed of the server.
#[derive(Default)]
pub(super) struct PlainText {
    /// The greeting, positive or not.
    pub(super) banner: Option<Reply>,
    /// The reply to EHLO (or HELO).
    pub(super) ehlo: Option<Ehlo>,
    /// A refusal of STARTTLS.
    pub(super) starttls_refused: Option<Reply>,
    /// Why the server was not reached, when it was not.
    pub(super) failure: Option<ProbeFailure>,
}

/// Why the SMTP part did not get to TLS.
pub(crate) struct NotReady {
    pub(crate) result: VersionResult,
    pub(super) seen: PlainText,
    pub(super) transcript: Transcript,
}

impl NotReady {
    fn from_result(result: VersionResult) -> Self {
        Self {
            result,
            seen: PlainText::default(),
            transcript: Vec::new(),
        }
    }

    /// An SMTP error before anything was answered: the stage it cut and
    /// the failure's class.
    fn from_error(e: &SmtpError, transcript: Transcript) -> Self {
        Self {
            result: earlier(e),
            seen: PlainText {
                failure: Some(failure_of(e)),
                ..PlainText::default()
            },
            transcript,
        }
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

impl Attempt {
    fn ready(ready: Ready) -> Self {
        Self::Done(Ok(Box::new(ready)))
    }

    fn not_ready(not_ready: NotReady) -> Self {
        Self::Done(Err(Box::new(not_ready)))
    }
}

/// After a positive greeting.
struct Greeted {
    client: SmtpClient<TcpStream>,
    greeting: Reply,
}

/// After an EHLO (or HELO) that lets the session go on.
struct Introduced {
    client: SmtpClient<TcpStream>,
    greeting: Reply,
    ehlo: Ehlo,
}

impl Introduced {
    /// The session ends here with `result`; the transcript is taken now.
    fn end(&mut self, result: VersionResult, starttls_refused: Option<Reply>) -> Attempt {
        Attempt::not_ready(NotReady {
            result,
            seen: PlainText {
                banner: Some(self.greeting.clone()),
                ehlo: Some(self.ehlo.clone()),
                starttls_refused,
                failure: None,
            },
            transcript: self.client.take_transcript(),
        })
    }
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
                } if attempt < self.cfg.throttle_retries && !self.shared.gave_up() => {
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
                    self.shared.give_up();
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
        self.started = Instant::now();
        let stream = match self.connect().await {
            Ok(s) => s,
            Err(end) => return end,
        };
        if upto == Upto::Connect {
            return Attempt::ready(Ready {
                stream: Some(stream),
                client: None,
                banner: None,
                ehlo: None,
                transcript: Vec::new(),
            });
        }
        let greeted = match self.greet(stream).await {
            Ok(g) => g,
            Err(end) => return end,
        };
        let mut introduced = match self.introduce(greeted, upto).await {
            Ok(i) => i,
            Err(end) => return end,
        };
        if upto == Upto::Ehlo {
            let transcript = introduced.client.take_transcript();
            return Attempt::ready(Ready {
                stream: None,
                client: Some(introduced.client),
                banner: Some(introduced.greeting),
                ehlo: Some(introduced.ehlo),
                transcript,
            });
        }
        self.starttls(introduced).await
    }

    /// The TCP connection.
    async fn connect(&mut self) -> Result<TcpStream, Attempt> {
        let connected = self
            .stage(
                Stage::Connect,
                crate::net::smtp::connect(self.addr, self.cfg.timeouts.connect),
            )
            .await;
        let stream = match connected {
            Err(stop) => return Err(Attempt::not_ready(NotReady::from_result(stop.result()))),
            Ok(Err(e)) => return Err(Attempt::not_ready(NotReady::from_error(&e, Vec::new()))),
            Ok(Ok(s)) => s,
        };
        self.note(format!("connected to {}", self.addr));
        Ok(stream)
    }

    /// The greeting: a positive one lets the session go on; a drop or a
    /// throttling reply defers it.
    async fn greet(&mut self, stream: TcpStream) -> Result<Greeted, Attempt> {
        let mut client = SmtpClient::new(stream, self.cfg.timeouts, self.started.into_std());
        let greeting = match self.stage(Stage::Greeting, client.read_greeting()).await {
            Err(stop) => {
                return Err(Attempt::not_ready(NotReady {
                    transcript: client.take_transcript(),
                    ..NotReady::from_result(stop.result())
                }))
            }
            // A close or reset before the greeting, as servers with a
            // per-client connection limit do to the extra connections:
            // retried like a deferral; reported as such if it persists.
            Ok(Err(e)) if e.is_dropped() => {
                return Err(Attempt::Deferred {
                    why: "closed before the greeting".to_owned(),
                    client: None,
                    stage: Stage::Greeting,
                    last: Box::new(NotReady::from_error(&e, client.take_transcript())),
                });
            }
            Ok(Err(e)) => {
                return Err(Attempt::not_ready(NotReady::from_error(
                    &e,
                    client.take_transcript(),
                )))
            }
            Ok(Ok(g)) => g,
        };
        if greeting.is_positive_completion() {
            return Ok(Greeted { client, greeting });
        }
        if is_throttle(&greeting) {
            let mut last = NotReady::from_result(VersionResult::NotTested(NotTested::Throttled(
                greeting.clone(),
            )));
            last.seen.banner = Some(greeting.clone());
            return Err(Attempt::Deferred {
                why: format!("greeting {}", greeting.code),
                client: Some(Box::new(client)),
                stage: Stage::Greeting,
                last: Box::new(last),
            });
        }
        let _ = self.stage(Stage::Quit, client.quit_and_close()).await;
        let mut nr = NotReady::from_result(VersionResult::NotTested(NotTested::GreetingRejected(
            greeting.clone(),
        )));
        nr.transcript = client.take_transcript();
        nr.seen.banner = Some(greeting);
        Err(Attempt::not_ready(nr))
    }

    /// EHLO (HELO when EHLO is refused): a 4yz defers the session, a
    /// refusal for good ends it.
    async fn introduce(&mut self, greeted: Greeted, upto: Upto) -> Result<Introduced, Attempt> {
        let Greeted {
            mut client,
            greeting,
        } = greeted;
        let with_banner = |result, failure, client: &mut SmtpClient<TcpStream>| {
            let mut nr = NotReady::from_result(result);
            nr.seen.failure = failure;
            nr.transcript = client.take_transcript();
            nr.seen.banner = Some(greeting.clone());
            Attempt::not_ready(nr)
        };
        let ehlo = match self
            .stage(Stage::Ehlo, client.ehlo(&self.cfg.ehlo_name))
            .await
        {
            Err(stop) => return Err(with_banner(stop.result(), None, &mut client)),
            Ok(Err(e)) => return Err(with_banner(earlier(&e), Some(failure_of(&e)), &mut client)),
            Ok(Ok(e)) => e,
        };
        // A 4yz to EHLO (421 too many connections, 450 try again later) is
        // the server deferring this connection, not an answer about
        // STARTTLS: retry it like a throttled greeting.
        if ehlo.reply.code / 100 == 4 {
            let mut last = NotReady::from_result(VersionResult::NotTested(NotTested::Throttled(
                ehlo.reply.clone(),
            )));
            last.seen.banner = Some(greeting);
            return Err(Attempt::Deferred {
                why: format!("EHLO reply {}", ehlo.reply.code),
                client: Some(Box::new(client)),
                stage: Stage::Ehlo,
                last: Box::new(last),
            });
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
            nr.seen.banner = Some(greeting);
            nr.seen.ehlo = Some(ehlo);
            return Err(Attempt::not_ready(nr));
        }
        Ok(Introduced {
            client,
            greeting,
            ehlo,
        })
    }

    /// STARTTLS: a 220 hands the socket over for the handshake.
    async fn starttls(&mut self, mut introduced: Introduced) -> Attempt {
        if !crate::proto::smtp::reply::has_extension(&introduced.ehlo.extensions, "STARTTLS") {
            let _ = self
                .stage(Stage::Quit, introduced.client.quit_and_close())
                .await;
            return introduced.end(VersionResult::NotTested(NotTested::NoStarttls), None);
        }
        let reply = match self
            .stage(Stage::Starttls, introduced.client.starttls())
            .await
        {
            Err(stop) => return introduced.end(stop.result(), None),
            Ok(Err(e)) => return introduced.end(session_error(&e), None),
            Ok(Ok(r)) => r,
        };
        if reply.code / 100 == 4 {
            // 421/454 to STARTTLS may be a limit on connections at once
            // (another session of this run got 220): retried like a
            // deferral; reported as a refusal if it persists.
            let Introduced {
                client,
                greeting,
                ehlo,
            } = introduced;
            let mut last = NotReady::from_result(VersionResult::NotTested(
                NotTested::StarttlsRefused(reply.clone()),
            ));
            last.seen.banner = Some(greeting);
            last.seen.ehlo = Some(ehlo);
            last.seen.starttls_refused = Some(reply.clone());
            return Attempt::Deferred {
                why: format!("STARTTLS reply {}", reply.code),
                client: Some(Box::new(client)),
                stage: Stage::Starttls,
                last: Box::new(last),
            };
        }
        if reply.code != 220 {
            let _ = self
                .stage(Stage::Quit, introduced.client.quit_and_close())
                .await;
            return introduced.end(
                VersionResult::NotTested(NotTested::StarttlsRefused(reply.clone())),
                Some(reply),
            );
        }
        let Introduced {
            mut client,
            greeting,
            ehlo,
        } = introduced;
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
        Attempt::ready(Ready {
            stream: Some(stream),
            client: None,
            banner: Some(greeting),
            ehlo: Some(ehlo),
            transcript,
        })
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

/// An SMTP error before TLS: the version is not tested, and the result
/// names the stage that failed.
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

#[cfg(test)]
mod tests;
