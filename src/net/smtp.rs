//! The SMTP client dialogue over any async byte stream: connect, greeting,
//! EHLO (HELO fallback), STARTTLS, the `MAIL FROM:<>` policy probe, RSET and
//! QUIT, each under its own timeout, each line recorded in a transcript.
//!
//! It never sends mail: the only commands it can write are EHLO, HELO,
//! STARTTLS, `MAIL FROM:<>` (the null sender, exactly), RSET, NOOP and QUIT.
//! Parsing lives in `smtp::reply`; TLS, DNS and the probe's decisions live
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
mod tests {
    use super::*;
    use crate::proto::smtp::reply::MAX_LINE_LEN;
    use tokio::io::{duplex, DuplexStream};

    /// Room for every scripted exchange below without back-pressure.
    const PIPE: usize = 64 * 1024;

    fn client(stream: DuplexStream) -> SmtpClient<DuplexStream> {
        SmtpClient::new(
            stream,
            Timeouts::default(),
            tokio::time::Instant::now().into_std(),
        )
    }

    /// Reads one CRLF-terminated command from the client side.
    async fn read_command(server: &mut DuplexStream) -> String {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            assert_eq!(server.read(&mut byte).await.unwrap(), 1, "client closed");
            line.push(byte[0]);
        }
        line.truncate(line.len() - 2);
        String::from_utf8(line).unwrap()
    }

    /// True when the client has written nothing the server could read now.
    async fn nothing_to_read(server: &mut DuplexStream) -> bool {
        let mut byte = [0u8; 1];
        tokio::time::timeout(Duration::ZERO, server.read(&mut byte))
            .await
            .is_err()
    }

    const GREETING: &[u8] = b"220 mx.example.org ESMTP Postfix\r\n";

    const EHLO_REPLY: &[u8] = b"250-mx.example.org\r\n\
        250-PIPELINING\r\n\
        250-SIZE 10240000\r\n\
        250-STARTTLS\r\n\
        250 8BITMIME\r\n";

    #[tokio::test]
    async fn greeting_then_ehlo_lists_starttls() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            server.write_all(GREETING).await.unwrap();
            assert_eq!(read_command(&mut server).await, "EHLO probe.example");
            server.write_all(EHLO_REPLY).await.unwrap();
        });
        let mut smtp = client(c);
        let greeting = smtp.read_greeting().await.unwrap();
        assert_eq!(greeting.code, 220);
        let ehlo = smtp.ehlo("probe.example").await.unwrap();
        assert!(!ehlo.used_helo);
        assert_eq!(ehlo.reply.code, 250);
        assert_eq!(
            ehlo.extensions,
            vec!["PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"]
        );
        mock.await.unwrap();
    }

    #[tokio::test]
    async fn multi_line_greeting_is_read_whole() {
        let (c, mut server) = duplex(PIPE);
        server
            .write_all(b"220-mx.example.org ESMTP\r\n220-No UCE\r\n220 Go ahead\r\n")
            .await
            .unwrap();
        let greeting = client(c).read_greeting().await.unwrap();
        assert_eq!(
            greeting.lines,
            vec!["mx.example.org ESMTP", "No UCE", "Go ahead"]
        );
    }

    #[tokio::test]
    async fn greeting_554_is_a_result_not_an_error() {
        let (c, mut server) = duplex(PIPE);
        server
            .write_all(b"554 5.7.1 Service unavailable; client [192.0.2.1] blocked\r\n")
            .await
            .unwrap();
        let greeting = client(c).read_greeting().await.unwrap();
        assert_eq!(greeting.code, 554);
        assert!(greeting.is_permanent());
    }

    #[tokio::test]
    async fn ehlo_502_falls_back_to_helo() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            server.write_all(GREETING).await.unwrap();
            assert_eq!(read_command(&mut server).await, "EHLO probe.example");
            server
                .write_all(b"502 5.5.2 Error: command not recognized\r\n")
                .await
                .unwrap();
            assert_eq!(read_command(&mut server).await, "HELO probe.example");
            server.write_all(b"250 mx.example.org\r\n").await.unwrap();
        });
        let mut smtp = client(c);
        smtp.read_greeting().await.unwrap();
        let ehlo = smtp.ehlo("probe.example").await.unwrap();
        assert!(ehlo.used_helo);
        assert_eq!(ehlo.reply, Reply::single(250, "mx.example.org"));
        assert!(ehlo.extensions.is_empty());
        mock.await.unwrap();
    }

    #[tokio::test]
    async fn starttls_454_is_returned_as_a_reply() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            server.write_all(GREETING).await.unwrap();
            assert_eq!(read_command(&mut server).await, "STARTTLS");
            server
                .write_all(b"454 4.7.0 TLS not available due to local problem\r\n")
                .await
                .unwrap();
        });
        let mut smtp = client(c);
        smtp.read_greeting().await.unwrap();
        let reply = smtp.starttls().await.unwrap();
        assert_eq!(reply.code, 454);
        assert_eq!(reply.enhanced_status().unwrap().to_string(), "4.7.0");
        mock.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn never_writes_before_a_slow_multi_line_greeting_is_complete() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            // Like postscreen's pregreet test: part of the greeting, a
            // pause, and a check that the client kept quiet meanwhile.
            for line in [&b"220-mx.example.org ESMTP\r\n"[..], b"220-wait for it\r\n"] {
                server.write_all(line).await.unwrap();
                tokio::time::sleep(Duration::from_secs(3)).await;
                assert!(nothing_to_read(&mut server).await, "client talked first");
            }
            server.write_all(b"220 go ahead\r\n").await.unwrap();
            assert_eq!(read_command(&mut server).await, "EHLO probe.example");
            server.write_all(b"250 mx.example.org\r\n").await.unwrap();
        });
        let mut smtp = client(c);
        let greeting = smtp.read_greeting().await.unwrap();
        assert_eq!(greeting.lines.len(), 3);
        smtp.ehlo("probe.example").await.unwrap();
        mock.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn one_byte_per_second_greeting_ends_at_the_greeting_timeout() {
        let (c, mut server) = duplex(PIPE);
        tokio::spawn(async move {
            for byte in b"220 ".iter().chain([b'a'; 1000].iter()) {
                if server.write_all(&[*byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let start = tokio::time::Instant::now();
        let err = client(c).read_greeting().await.unwrap_err();
        assert_eq!(
            err,
            SmtpError::Timeout {
                stage: Stage::Greeting,
                after: Duration::from_secs(30)
            }
        );
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        assert_eq!(err.to_string(), "greeting: timed out after 30s");
        assert!(err.is_timeout());
    }

    #[tokio::test]
    async fn endless_line_is_a_protocol_error() {
        let (c, mut server) = duplex(PIPE);
        tokio::spawn(async move {
            server.write_all(b"220 ").await.unwrap();
            let junk = [b'x'; 1024];
            while server.write_all(&junk).await.is_ok() {}
        });
        let err = client(c).read_greeting().await.unwrap_err();
        assert_eq!(
            err,
            SmtpError::Protocol {
                stage: Stage::Greeting,
                error: ReplyError::LineTooLong { max: MAX_LINE_LEN }
            }
        );
        assert_eq!(
            err.to_string(),
            "greeting: reply line longer than 2048 bytes"
        );
    }

    #[tokio::test]
    async fn close_in_the_middle_of_a_reply_is_closed_with_its_stage() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            server.write_all(GREETING).await.unwrap();
            read_command(&mut server).await;
            server
                .write_all(b"250-mx.example.org\r\n250-SIZE")
                .await
                .unwrap();
            drop(server);
        });
        let mut smtp = client(c);
        smtp.read_greeting().await.unwrap();
        let err = smtp.ehlo("probe.example").await.unwrap_err();
        mock.await.unwrap();
        assert_eq!(err, SmtpError::Closed { stage: Stage::Ehlo });
        assert_eq!(err.to_string(), "ehlo: connection closed by server");
        assert!(err.is_dropped());
        assert_eq!(
            smtp.transcript().last().unwrap().text,
            "ehlo: connection closed by server"
        );
    }

    #[tokio::test]
    async fn bytes_after_starttls_220_are_returned_by_into_parts() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            server.write_all(GREETING).await.unwrap();
            assert_eq!(read_command(&mut server).await, "STARTTLS");
            // The reply and, before any ClientHello, a plaintext line: the
            // server buffered or injected data across the TLS boundary.
            server
                .write_all(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
                .await
                .unwrap();
            server
        });
        let mut smtp = client(c);
        smtp.read_greeting().await.unwrap();
        assert_eq!(smtp.starttls().await.unwrap().code, 220);
        let (_stream, leftover) = smtp.into_parts();
        assert_eq!(leftover, b"250 injected\r\n");
        drop(mock.await.unwrap());
    }

    #[tokio::test]
    async fn clean_starttls_220_leaves_nothing_behind() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            server.write_all(GREETING).await.unwrap();
            read_command(&mut server).await;
            server
                .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                .await
                .unwrap();
            server
        });
        let mut smtp = client(c);
        smtp.read_greeting().await.unwrap();
        smtp.starttls().await.unwrap();
        assert!(smtp.into_parts().1.is_empty());
        drop(mock.await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn transcript_records_both_directions_in_order_with_times() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            server.write_all(GREETING).await.unwrap();
            assert_eq!(read_command(&mut server).await, "EHLO probe.example");
            tokio::time::sleep(Duration::from_secs(1)).await;
            server.write_all(EHLO_REPLY).await.unwrap();
            assert_eq!(read_command(&mut server).await, "MAIL FROM:<>");
            server
                .write_all(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
                .await
                .unwrap();
            assert_eq!(read_command(&mut server).await, "RSET");
            server.write_all(b"250 2.0.0 Ok\r\n").await.unwrap();
            assert_eq!(read_command(&mut server).await, "QUIT");
            server.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
        });
        let mut smtp = client(c);
        smtp.read_greeting().await.unwrap();
        smtp.ehlo("probe.example").await.unwrap();
        assert_eq!(smtp.mail_from_null().await.unwrap().code, 530);
        assert_eq!(smtp.rset().await.unwrap().code, 250);
        assert_eq!(smtp.quit().await.unwrap().code, 221);
        mock.await.unwrap();

        let transcript = smtp.take_transcript();
        let lines: Vec<(Direction, &str)> = transcript
            .iter()
            .map(|e| (e.direction, e.text.as_str()))
            .collect();
        use Direction::{Received as R, Sent as S};
        assert_eq!(
            lines,
            vec![
                (R, "220 mx.example.org ESMTP Postfix"),
                (S, "EHLO probe.example"),
                (R, "250-mx.example.org"),
                (R, "250-PIPELINING"),
                (R, "250-SIZE 10240000"),
                (R, "250-STARTTLS"),
                (R, "250 8BITMIME"),
                (S, "MAIL FROM:<>"),
                (R, "530 5.7.0 Must issue a STARTTLS command first"),
                (S, "RSET"),
                (R, "250 2.0.0 Ok"),
                (S, "QUIT"),
                (R, "221 2.0.0 Bye"),
            ]
        );
        assert_eq!(transcript[0].at, Duration::from_secs(2));
        assert_eq!(transcript[1].at, Duration::from_secs(2));
        assert_eq!(transcript[2].at, Duration::from_secs(3));
        assert!(transcript.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(smtp.transcript().is_empty(), "taken");
    }

    #[tokio::test]
    async fn refuses_commands_that_could_send_mail_and_writes_nothing() {
        let (c, mut server) = duplex(PIPE);
        server.write_all(GREETING).await.unwrap();
        let mut smtp = client(c);
        smtp.read_greeting().await.unwrap();
        for (stage, line) in [
            (Stage::MailFrom, "MAIL FROM:<postmaster@example.org>"),
            (Stage::MailFrom, "RCPT TO:<user@example.org>"),
            (Stage::MailFrom, "DATA"),
            (Stage::MailFrom, "BDAT 10 LAST"),
            (Stage::Ehlo, "EHLO a\r\nRCPT TO:<x@example.org>"),
            (Stage::Ehlo, "EHLO a\n"),
        ] {
            let err = smtp.command(stage, line).await.unwrap_err();
            assert_eq!(err.label(), "misuse", "{line:?}");
            assert_eq!(err.stage(), stage);
        }
        assert!(nothing_to_read(&mut server).await);
        assert!(smtp
            .transcript()
            .iter()
            .all(|e| e.direction != Direction::Sent));
    }

    #[tokio::test]
    async fn refuses_to_send_before_the_greeting() {
        let (c, mut server) = duplex(PIPE);
        let mut smtp = client(c);
        let err = smtp.ehlo("probe.example").await.unwrap_err();
        assert_eq!(
            err,
            SmtpError::Misuse {
                stage: Stage::Ehlo,
                what: "command before the greeting"
            }
        );
        assert!(nothing_to_read(&mut server).await);
        assert_eq!(smtp.quit().await, None);
    }

    #[tokio::test]
    async fn ehlo_after_starttls_needs_no_greeting_and_is_post_tls_stage() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            assert_eq!(read_command(&mut server).await, "EHLO probe.example");
            drop(server);
        });
        let mut smtp = SmtpClient::after_starttls(c, Timeouts::default(), Instant::now());
        let err = smtp.ehlo("probe.example").await.unwrap_err();
        mock.await.unwrap();
        assert_eq!(
            err,
            SmtpError::Closed {
                stage: Stage::PostTlsEhlo
            }
        );
    }

    #[tokio::test]
    async fn non_smtp_greeting_is_a_protocol_error_of_the_greeting() {
        let (c, mut server) = duplex(PIPE);
        server
            .write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
            .await
            .unwrap();
        let err = client(c).read_greeting().await.unwrap_err();
        assert_eq!(err.stage(), Stage::Greeting);
        assert_eq!(
            err.to_string(),
            "greeting: not an SMTP reply: \"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\""
        );
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_timed_out_greeting_quit_sends_nothing() {
        let (c, mut server) = duplex(PIPE);
        server.write_all(b"220-mx.example.org\r\n").await.unwrap();
        let mut smtp = client(c);
        assert!(smtp.read_greeting().await.unwrap_err().is_timeout());
        assert_eq!(smtp.quit().await, None);
        // Postscreen would count a QUIT here as talking first.
        let mut sent = Vec::new();
        server.read_to_end(&mut sent).await.unwrap();
        assert!(sent.is_empty(), "sent {sent:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn quit_never_waits_longer_than_quit_timeout() {
        let (c, mut server) = duplex(PIPE);
        let mock = tokio::spawn(async move {
            server.write_all(GREETING).await.unwrap();
            read_command(&mut server).await;
            // Never answers QUIT; keeps the connection open.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            drop(server);
        });
        let mut smtp = client(c);
        smtp.read_greeting().await.unwrap();
        let start = tokio::time::Instant::now();
        assert_eq!(smtp.quit().await, None);
        assert!(start.elapsed() <= QUIT_TIMEOUT * 2);
        mock.abort();
    }

    #[tokio::test]
    async fn connect_to_a_closed_loopback_port_is_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = connect(addr, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(
            err,
            SmtpError::Refused {
                stage: Stage::Connect
            }
        );
        assert_eq!(err.to_string(), "connect: connection refused");
    }

    #[tokio::test]
    async fn connect_then_dialogue_over_loopback_tcp() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            sock.write_all(GREETING).await.unwrap();
        });
        let stream = connect(addr, Duration::from_secs(5)).await.unwrap();
        let mut smtp = SmtpClient::new(stream, Timeouts::default(), Instant::now());
        assert_eq!(smtp.read_greeting().await.unwrap().code, 220);
        server.await.unwrap();
    }

    #[test]
    fn timeouts_from_stage_budget_give_the_greeting_three_times() {
        let t = Timeouts::from_stage_budget(Duration::from_secs(5));
        assert_eq!(t.connect, Duration::from_secs(5));
        assert_eq!(t.greeting, Duration::from_secs(15));
        assert_eq!(t.command, Duration::from_secs(5));
        assert_eq!(t.handshake, Duration::from_secs(5));
        assert_eq!(t.for_stage(Stage::Quit), Duration::from_secs(2));
        assert_eq!(Timeouts::default().greeting, Duration::from_secs(30));
    }

    #[test]
    fn errors_read_as_stage_then_cause() {
        let reset = SmtpError::Io {
            stage: Stage::Starttls,
            kind: io::ErrorKind::ConnectionReset,
            message: "Connection reset by peer (os error 104)".to_owned(),
        };
        assert_eq!(reset.to_string(), "starttls: connection reset by server");
        assert!(reset.is_dropped() && !reset.is_timeout());
        assert_eq!(reset.label(), "io");
        let slow = SmtpError::Timeout {
            stage: Stage::PostTlsEhlo,
            after: Duration::from_millis(1500),
        };
        assert_eq!(slow.to_string(), "post_tls_ehlo: timed out after 1.5s");
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
    }
}
