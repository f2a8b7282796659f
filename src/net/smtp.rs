//! The SMTP client dialogue over any async byte stream: connect, greeting,
//! EHLO (HELO fallback), STARTTLS, the `MAIL FROM:<>` policy probe, RSET and
//! QUIT, each under its own timeout, each line recorded in a transcript.
//!
//! It never sends mail: the only commands it can write are EHLO, HELO,
//! STARTTLS, `MAIL FROM:<>` (the null sender, exactly), RSET, NOOP and QUIT.
//! Parsing lives in `proto::smtp::reply`; TLS, DNS and the probe's decisions live
//! elsewhere. A server's reply, whatever its code, is `Ok(Reply)`; `Err` is
//! for a dialogue that could not go on (timeout, close, reset, not SMTP).

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::model::{Direction, Ehlo, Stage, Transcript, TranscriptEvent};
use crate::proto::smtp::reply::ehlo_extensions;
pub use crate::proto::smtp::reply::{Reply, ReplyError, ReplyParser};

/// Bytes asked of the stream per read. The parser bounds what is kept; this
/// bounds what one read can hand over, and so what [`SmtpClient::into_parts`]
/// can return.
pub const READ_CHUNK: usize = 4096;

/// The longest wait for the reply to QUIT. QUIT is a courtesy: the result is
/// known by then, so a server that lingers must not hold the probe up.
pub const QUIT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long each stage of the dialogue may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the TCP connection.
    pub connect: Duration,
    /// Receiving the complete greeting. Longer than the others because real
    /// MTAs delay it on purpose: Postfix postscreen waits out its
    /// `postscreen_greet_wait` (6 s by default) to catch clients that talk
    /// first, and Exchange tarpits suspicious peers.
    pub greeting: Duration,
    /// Writing one command and receiving its complete reply.
    pub command: Duration,
    /// The TLS handshake (used by the TLS probes, kept here so one value
    /// carries every budget).
    pub handshake: Duration,
}

impl Default for Timeouts {
    /// connect 10 s, greeting 30 s, command 10 s, handshake 10 s.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            greeting: Duration::from_secs(30),
            command: Duration::from_secs(10),
            handshake: Duration::from_secs(10),
        }
    }
}

impl Timeouts {
    /// Every stage gets `budget`, except the greeting, which gets three times
    /// as much (see [`Timeouts::greeting`]).
    pub fn from_stage_budget(budget: Duration) -> Timeouts {
        Timeouts {
            connect: budget,
            greeting: budget.saturating_mul(3),
            command: budget,
            handshake: budget,
        }
    }

    /// The limit that applies to `stage`. QUIT gets at most
    /// [`QUIT_TIMEOUT`]; stages this module does not run (resolve) get the
    /// command timeout.
    pub fn for_stage(&self, stage: Stage) -> Duration {
        match stage {
            Stage::Connect => self.connect,
            Stage::Greeting => self.greeting,
            Stage::Handshake => self.handshake,
            Stage::Quit => self.command.min(QUIT_TIMEOUT),
            Stage::Resolve
            | Stage::Ehlo
            | Stage::Helo
            | Stage::MailFrom
            | Stage::Rset
            | Stage::Starttls
            | Stage::PostTlsEhlo => self.command,
        }
    }
}

/// Why the dialogue could not go on. Every variant names the stage; the
/// caller adds host and address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmtpError {
    /// The stage did not finish within its timeout.
    #[error("{stage}: timed out after {}", human_duration(*.after))]
    Timeout {
        /// The stage that timed out.
        stage: Stage,
        /// The limit that ran out.
        after: Duration,
    },
    /// The server closed the connection before a complete reply.
    #[error("{stage}: connection closed by server")]
    Closed {
        /// The stage during which it closed.
        stage: Stage,
    },
    /// Nothing listens on the port (TCP RST to our SYN).
    #[error("{stage}: connection refused")]
    Refused {
        /// Always [`Stage::Connect`].
        stage: Stage,
    },
    /// No route to the host or its network.
    #[error("{stage}: host or network unreachable")]
    Unreachable {
        /// Always [`Stage::Connect`].
        stage: Stage,
    },
    /// Another socket error: connection reset, aborted, …
    #[error("{stage}: {}", io_words(*.kind, .message))]
    Io {
        /// The stage during which it happened.
        stage: Stage,
        /// Its kind, for classification (reset vs. other).
        kind: io::ErrorKind,
        /// The operating system's words.
        message: String,
    },
    /// The server sent bytes that are not a valid SMTP reply.
    #[error("{stage}: {error}")]
    Protocol {
        /// The stage during which it happened.
        stage: Stage,
        /// What was wrong with the bytes.
        error: ReplyError,
    },
    /// tlscheck itself asked for something it must not do (a command with
    /// CR or LF, a command outside the allowed set, a command before the
    /// greeting). A bug, reported instead of a panic; nothing was sent.
    #[error("{stage}: internal error: {what}")]
    Misuse {
        /// The stage of the refused command.
        stage: Stage,
        /// What was refused.
        what: &'static str,
    },
}

impl SmtpError {
    /// The stage in which the error happened.
    pub fn stage(&self) -> Stage {
        match self {
            Self::Timeout { stage, .. }
            | Self::Closed { stage }
            | Self::Refused { stage }
            | Self::Unreachable { stage }
            | Self::Io { stage, .. }
            | Self::Protocol { stage, .. }
            | Self::Misuse { stage, .. } => *stage,
        }
    }

    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::Closed { .. } => "closed",
            Self::Refused { .. } => "refused",
            Self::Unreachable { .. } => "unreachable",
            Self::Io { .. } => "io",
            Self::Protocol { .. } => "protocol",
            Self::Misuse { .. } => "misuse",
        }
    }

    /// True when the stage ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// True when the server dropped the connection: closed, reset or
    /// aborted. This is what Exchange logs as `SocketError`.
    pub fn is_dropped(&self) -> bool {
        match self {
            Self::Closed { .. } => true,
            Self::Io { kind, .. } => matches!(
                kind,
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }

    fn io(stage: Stage, err: &io::Error) -> SmtpError {
        // Inside TLS the error may be rustls' own, whose text prints enum
        // names ("received fatal alert: CertificateRequired"): say it in
        // the RFC's words instead.
        let tls = err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        let message = match tls {
            Some(rustls::Error::AlertReceived(a)) => {
                format!(
                    "the server sent the TLS alert {}",
                    crate::proto::tls::alert_name(*a)
                )
            }
            Some(_) => "the TLS session failed".to_owned(),
            None => err.to_string(),
        };
        SmtpError::Io {
            stage,
            kind: err.kind(),
            message,
        }
    }
}

/// The result type of this module.
pub type Result<T> = std::result::Result<T, SmtpError>;

/// `30s`, `1.5s`, `250ms`: a timeout as people write it.
fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() > 0 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Plain words for the socket errors people meet; the OS text otherwise.
fn io_words(kind: io::ErrorKind, message: &str) -> String {
    match kind {
        io::ErrorKind::ConnectionReset => "connection reset by server".to_owned(),
        io::ErrorKind::ConnectionAborted => "connection aborted".to_owned(),
        io::ErrorKind::BrokenPipe => "connection closed by server while sending".to_owned(),
        _ => message.to_owned(),
    }
}

/// Opens a TCP connection within `timeout`. Errors carry
/// [`Stage::Connect`] and tell refused, unreachable and timed out apart.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream> {
    let stage = Stage::Connect;
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => {
            return Err(SmtpError::Timeout {
                stage,
                after: timeout,
            })
        }
        Ok(Err(err)) => {
            return Err(match err.kind() {
                io::ErrorKind::ConnectionRefused => SmtpError::Refused { stage },
                io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                    SmtpError::Unreachable { stage }
                }
                io::ErrorKind::TimedOut => SmtpError::Timeout {
                    stage,
                    after: timeout,
                },
                _ => SmtpError::io(stage, &err),
            })
        }
        Ok(Ok(stream)) => stream,
    };
    // Commands are single short lines answered before the next is sent:
    // Nagle's delay would only slow each round trip.
    stream
        .set_nodelay(true)
        .map_err(|err| SmtpError::io(stage, &err))?;
    Ok(stream)
}

/// The commands this client may write. tlscheck diagnoses; it must never
/// start a real mail transaction, so RCPT, DATA, BDAT and MAIL with a real
/// sender are refused here, at the one place bytes are written.
fn is_allowed_command(line: &str) -> bool {
    if line == "MAIL FROM:<>" {
        return true;
    }
    let verb = line.split(' ').next().unwrap_or_default();
    ["EHLO", "HELO", "STARTTLS", "RSET", "NOOP", "QUIT"]
        .iter()
        .any(|allowed| verb.eq_ignore_ascii_case(allowed))
}

/// One SMTP dialogue over a stream `S` (TCP, or TLS after STARTTLS).
///
/// Every reply is read completely before anything is written, and the
/// first write happens only after the complete greeting: Postfix postscreen
/// blacklists clients that talk first. Each stage's timeout covers the
/// whole exchange (write and every read of the reply), so a server that
/// trickles one byte per second still ends at the stage's limit.
#[derive(Debug)]
pub struct SmtpClient<S> {
    stream: S,
    timeouts: Timeouts,
    started: Instant,
    parser: ReplyParser,
    /// Bytes read but not yet part of a reply: at most one read's worth.
    pending: Vec<u8>,
    transcript: Transcript,
    /// True once the greeting was read (or for a stream after STARTTLS,
    /// where no greeting comes).
    greeted: bool,
    /// True inside TLS: EHLO is then [`Stage::PostTlsEhlo`].
    in_tls: bool,
    /// True after a timeout, close, socket or protocol error: the stream
    /// may hold half a reply, so nothing more is sent.
    failed: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> SmtpClient<S> {
    /// A client on a fresh connection, waiting for the greeting.
    /// Transcript times are measured from `started`, the moment the
    /// connection attempt began.
    pub fn new(stream: S, timeouts: Timeouts, started: Instant) -> SmtpClient<S> {
        SmtpClient {
            stream,
            timeouts,
            started,
            parser: ReplyParser::new(),
            pending: Vec::new(),
            transcript: Transcript::new(),
            greeted: false,
            in_tls: false,
            failed: false,
        }
    }

    /// A client on a stream that has just completed the TLS handshake after
    /// STARTTLS. No greeting comes there (RFC 3207 §4.2): the client speaks
    /// first, and EHLO is recorded as [`Stage::PostTlsEhlo`].
    pub fn after_starttls(stream: S, timeouts: Timeouts, started: Instant) -> SmtpClient<S> {
        SmtpClient {
            greeted: true,
            in_tls: true,
            ..SmtpClient::new(stream, timeouts, started)
        }
    }

    /// Reads the complete greeting, whatever its code: a `554` greeting is
    /// a result (`Ok`), not an error. Writes nothing.
    pub async fn read_greeting(&mut self) -> Result<Reply> {
        let stage = Stage::Greeting;
        let limit = self.timeouts.for_stage(stage);
        let result = match tokio::time::timeout(limit, self.read_reply(stage)).await {
            Ok(result) => result,
            Err(_) => {
                self.note_partial();
                Err(SmtpError::Timeout {
                    stage,
                    after: limit,
                })
            }
        };
        self.greeted = result.is_ok();
        self.note_error(result)
    }

    /// Sends `EHLO name`; when the server refuses it permanently (5yz),
    /// sends `HELO name` instead and sets `used_helo`. A transient refusal
    /// (4yz) is returned as is. Extensions are parsed only from a 2yz EHLO
    /// reply.
    pub async fn ehlo(&mut self, name: &str) -> Result<Ehlo> {
        let stage = if self.in_tls {
            Stage::PostTlsEhlo
        } else {
            Stage::Ehlo
        };
        let reply = self.command(stage, &format!("EHLO {name}")).await?;
        if reply.is_permanent() {
            let helo = self.command(Stage::Helo, &format!("HELO {name}")).await?;
            return Ok(Ehlo {
                reply: helo,
                used_helo: true,
                refused_ehlo: Some(reply),
                extensions: Vec::new(),
            });
        }
        Ok(Ehlo {
            extensions: ehlo_extensions(&reply),
            reply,
            used_helo: false,
            refused_ehlo: None,
        })
    }

    /// Sends `STARTTLS`. On `220` the caller takes the stream with
    /// [`SmtpClient::into_parts`] and starts TLS; other codes (`454 4.7.0
    /// TLS not available`) are results.
    pub async fn starttls(&mut self) -> Result<Reply> {
        self.command(Stage::Starttls, "STARTTLS").await
    }

    /// Sends exactly `MAIL FROM:<>`, the null sender, to learn whether the
    /// server refuses plain-text mail (see `reply::requires_tls`). Follow it
    /// with [`SmtpClient::rset`]; no RCPT is ever sent.
    pub async fn mail_from_null(&mut self) -> Result<Reply> {
        self.command(Stage::MailFrom, "MAIL FROM:<>").await
    }

    /// Sends `RSET`, ending the transaction `MAIL FROM:<>` opened.
    pub async fn rset(&mut self) -> Result<Reply> {
        self.command(Stage::Rset, "RSET").await
    }

    /// Sends `QUIT`, waits at most [`QUIT_TIMEOUT`] for the reply, and
    /// shuts the write side down. Best effort: never fails, returns the
    /// reply if one came. Sends nothing when the greeting never completed
    /// or the dialogue already failed.
    pub async fn quit(&mut self) -> Option<Reply> {
        let limit = self.timeouts.for_stage(Stage::Quit);
        let reply = if self.greeted && !self.failed {
            self.command(Stage::Quit, "QUIT").await.ok()
        } else {
            None
        };
        // Shutting down is a courtesy too; its error changes nothing.
        let _ = tokio::time::timeout(limit, self.stream.shutdown()).await;
        reply
    }

    /// Sends `QUIT` and closes the sending side without waiting for the
    /// `221`: the probe has all it needs, and waiting would add a round
    /// trip to every check. Never fails; sends nothing after an error.
    pub async fn quit_and_close(&mut self) {
        let limit = self.timeouts.for_stage(Stage::Quit);
        if self.greeted && !self.failed {
            let _ = tokio::time::timeout(limit, async {
                self.transcript.push(TranscriptEvent {
                    at: self.started.elapsed(),
                    direction: Direction::Sent,
                    text: "QUIT".to_owned(),
                });
                let _ = self.stream.write_all(b"QUIT\r\n").await;
                let _ = self.stream.flush().await;
            })
            .await;
        }
        let _ = tokio::time::timeout(limit, self.stream.shutdown()).await;
    }

    /// Sends one command line and reads its complete reply, both within the
    /// stage's timeout. `line` is written with CRLF appended; a line with CR
    /// or LF, a command other than EHLO, HELO, STARTTLS, `MAIL FROM:<>`,
    /// RSET, NOOP or QUIT, any command before the greeting, and any
    /// command after the dialogue failed are refused with
    /// [`SmtpError::Misuse`], and nothing is written.
    pub async fn command(&mut self, stage: Stage, line: &str) -> Result<Reply> {
        if line.contains(['\r', '\n']) {
            return Err(SmtpError::Misuse {
                stage,
                what: "command contains CR or LF",
            });
        }
        if !is_allowed_command(line) {
            return Err(SmtpError::Misuse {
                stage,
                what: "command outside the allowed set (no mail is ever sent)",
            });
        }
        if !self.greeted {
            return Err(SmtpError::Misuse {
                stage,
                what: "command before the greeting",
            });
        }
        if self.failed {
            return Err(SmtpError::Misuse {
                stage,
                what: "command after the dialogue failed",
            });
        }
        let limit = self.timeouts.for_stage(stage);
        self.record(Direction::Sent, line.to_owned());
        let exchange = async {
            let mut bytes = Vec::with_capacity(line.len().saturating_add(2));
            bytes.extend_from_slice(line.as_bytes());
            bytes.extend_from_slice(b"\r\n");
            self.stream
                .write_all(&bytes)
                .await
                .map_err(|err| SmtpError::io(stage, &err))?;
            self.stream
                .flush()
                .await
                .map_err(|err| SmtpError::io(stage, &err))?;
            self.read_reply(stage).await
        };
        let result = match tokio::time::timeout(limit, exchange).await {
            Ok(result) => result,
            Err(_) => {
                self.note_partial();
                Err(SmtpError::Timeout {
                    stage,
                    after: limit,
                })
            }
        };
        self.note_error(result)
    }

    /// Puts what arrived of an unfinished reply into the transcript (a
    /// tarpit's first greeting line, a reply cut mid-line), so
    /// `--transcript` shows what the server did say before the timeout.
    fn note_partial(&mut self) {
        let mut parts = self.parser.partial();
        if !self.pending.is_empty() {
            parts.push(String::from_utf8_lossy(&self.pending).into_owned());
        }
        for part in parts {
            self.record(
                Direction::Received,
                format!("{part} (incomplete: no end of reply before the timeout)"),
            );
        }
    }

    /// Adds a note of tlscheck's own to the transcript (a TLS handshake
    /// summary, a connection event).
    pub fn note(&mut self, text: impl Into<String>) {
        self.record(Direction::Note, text.into());
    }

    /// The dialogue so far.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// Takes the dialogue so far, leaving an empty one.
    pub fn take_transcript(&mut self) -> Transcript {
        std::mem::take(&mut self.transcript)
    }

    /// Gives back the stream and the bytes read after the last complete
    /// reply. After `220` to STARTTLS these must be empty: a server that
    /// sent more before our ClientHello buffers plaintext across the TLS
    /// boundary, the flaw behind STARTTLS command injection
    /// (CVE-2011-0411). The caller decides what to make of them. Take the
    /// transcript first; it is dropped here.
    pub fn into_parts(self) -> (S, Vec<u8>) {
        (self.stream, self.pending)
    }

    /// Reads until one complete reply is parsed, with no timeout of its
    /// own (callers wrap it). Leftover bytes stay in `pending`.
    async fn read_reply(&mut self, stage: Stage) -> Result<Reply> {
        let protocol = |error| SmtpError::Protocol { stage, error };
        loop {
            if !self.pending.is_empty() {
                let pending = std::mem::take(&mut self.pending);
                if let Some((reply, used)) = self.parser.push(&pending).map_err(protocol)? {
                    self.pending = pending.get(used..).unwrap_or_default().to_vec();
                    for line in reply.wire_lines() {
                        self.record(Direction::Received, line);
                    }
                    return Ok(reply);
                }
            }
            let mut buf = [0u8; READ_CHUNK];
            let n = self
                .stream
                .read(&mut buf)
                .await
                .map_err(|err| SmtpError::io(stage, &err))?;
            if n == 0 {
                return Err(SmtpError::Closed { stage });
            }
            self.pending
                .extend_from_slice(buf.get(..n).unwrap_or_default());
        }
    }

    /// Records an error as a note, so the transcript shows where it ended,
    /// and marks the dialogue failed.
    fn note_error(&mut self, result: Result<Reply>) -> Result<Reply> {
        if let Err(err) = &result {
            self.failed = true;
            self.record(Direction::Note, err.to_string());
        }
        result
    }

    fn record(&mut self, direction: Direction, text: String) {
        // tokio's clock, so paused-clock tests see time advance.
        let now = tokio::time::Instant::now().into_std();
        self.transcript.push(TranscriptEvent {
            at: now.saturating_duration_since(self.started),
            direction,
            text,
        });
    }
}

#[cfg(test)]
mod tests;
