//! The async SMTP dialogue over any stream: greeting, EHLO (HELO when
//! refused), STARTTLS, the plain-text `MAIL FROM:<>` policy probe, RSET,
//! QUIT. Every stage has its own timeout covering the whole reply (a
//! server that drips one byte a second still ends at the timeout), every
//! read is bounded, and every line is recorded in the transcript.
//!
//! This client never sends RCPT or DATA: there is no method for them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::reply::{ehlo_extensions, Reply, ReplyError, ReplyParser};
use crate::model::{Direction, Ehlo, Stage, Transcript, TranscriptEvent};

/// Bytes read from the socket at once.
const READ_CHUNK: usize = 4096;
/// How long QUIT may take: it is a courtesy, never a reason to wait.
const QUIT_TIMEOUT: Duration = Duration::from_secs(2);

/// Per-stage time budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect.
    pub connect: Duration,
    /// The greeting: longer, MTAs delay it on purpose (postscreen,
    /// Exchange tarpitting).
    pub greeting: Duration,
    /// Each command's reply.
    pub command: Duration,
    /// The TLS handshake.
    pub handshake: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::from_stage_budget(Duration::from_secs(10))
    }
}

impl Timeouts {
    /// Every stage gets `budget`; the greeting gets three times as long.
    pub fn from_stage_budget(budget: Duration) -> Self {
        Self {
            connect: budget,
            greeting: budget.saturating_mul(3),
            command: budget,
            handshake: budget,
        }
    }
}

/// What went wrong in the dialogue, always with its stage.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The stage did not finish in time.
    #[error("{stage}: no answer within {}s", .after.as_secs_f64())]
    Timeout {
        /// The stage.
        stage: Stage,
        /// Its budget.
        after: Duration,
    },
    /// The server closed the connection before a complete reply.
    #[error("{stage}: connection closed by the server")]
    Closed {
        /// The stage.
        stage: Stage,
    },
    /// The connection attempt was refused.
    #[error("connect: connection refused (nothing listens there, or a firewall rejects it)")]
    Refused,
    /// A socket error (reset, unreachable, …).
    #[error("{stage}: {message}")]
    Io {
        /// The stage.
        stage: Stage,
        /// The error kind.
        kind: std::io::ErrorKind,
        /// The error text.
        message: String,
    },
    /// The server's bytes are not a valid, bounded reply.
    #[error("{stage}: {error}")]
    Protocol {
        /// The stage.
        stage: Stage,
        /// What was wrong.
        error: ReplyError,
    },
    /// tlscheck was asked to send a line with CR or LF in it.
    #[error("{stage}: refusing to send a command containing CR or LF")]
    BadCommand {
        /// The stage.
        stage: Stage,
    },
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, SmtpError>;

impl SmtpError {
    /// The stage it happened in.
    pub fn stage(&self) -> Stage {
        match self {
            Self::Refused => Stage::Connect,
            Self::Timeout { stage, .. }
            | Self::Closed { stage }
            | Self::Io { stage, .. }
            | Self::Protocol { stage, .. }
            | Self::BadCommand { stage } => *stage,
        }
    }

    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::Closed { .. } => "closed",
            Self::Refused => "refused",
            Self::Io { .. } => "io",
            Self::Protocol { .. } => "protocol",
            Self::BadCommand { .. } => "bad_command",
        }
    }

    /// True for timeouts.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// True when the server closed or reset the connection.
    pub fn is_closed(&self) -> bool {
        match self {
            Self::Closed { .. } => true,
            Self::Io { kind, .. } => matches!(
                kind,
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }

    fn io(stage: Stage, e: &std::io::Error) -> Self {
        Self::Io {
            stage,
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// Opens a TCP connection within `timeout`.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream> {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Err(SmtpError::Timeout {
            stage: Stage::Connect,
            after: timeout,
        }),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(SmtpError::Refused),
        Ok(Err(e)) => Err(SmtpError::io(Stage::Connect, &e)),
        Ok(Ok(s)) => {
            // Commands are tiny; do not let Nagle hold them back.
            let _ = s.set_nodelay(true);
            Ok(s)
        }
    }
}

/// One SMTP dialogue.
#[derive(Debug)]
pub struct SmtpClient<S> {
    stream: S,
    timeouts: Timeouts,
    started: Instant,
    parser: ReplyParser,
    /// Bytes read but not yet parsed (after the end of the last reply).
    pending: Vec<u8>,
    transcript: Transcript,
}

impl<S: AsyncRead + AsyncWrite + Unpin> SmtpClient<S> {
    /// A client over `stream`; transcript times count from `started`.
    pub fn new(stream: S, timeouts: Timeouts, started: Instant) -> Self {
        Self {
            stream,
            timeouts,
            started,
            parser: ReplyParser::new(),
            pending: Vec::new(),
            transcript: Vec::new(),
        }
    }

    fn record(&mut self, direction: Direction, text: String) {
        self.transcript.push(TranscriptEvent {
            at: self.started.elapsed(),
            direction,
            text,
        });
    }

    /// Reads one complete reply within `budget`.
    async fn read_reply(&mut self, stage: Stage, budget: Duration) -> Result<Reply> {
        match tokio::time::timeout(budget, self.read_reply_unbounded(stage)).await {
            Ok(r) => r,
            Err(_) => Err(SmtpError::Timeout {
                stage,
                after: budget,
            }),
        }
    }

    async fn read_reply_unbounded(&mut self, stage: Stage) -> Result<Reply> {
        let protocol = |error| SmtpError::Protocol { stage, error };
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            if let Some((reply, used)) = self.parser.push(&pending).map_err(protocol)? {
                self.pending = pending.get(used..).unwrap_or_default().to_vec();
                return Ok(self.received(reply));
            }
        }
        let mut buf = [0u8; READ_CHUNK];
        loop {
            let n = self
                .stream
                .read(&mut buf)
                .await
                .map_err(|e| SmtpError::io(stage, &e))?;
            if n == 0 {
                return Err(SmtpError::Closed { stage });
            }
            let chunk = buf.get(..n).unwrap_or_default();
            if let Some((reply, used)) = self.parser.push(chunk).map_err(protocol)? {
                self.pending = chunk.get(used..).unwrap_or_default().to_vec();
                return Ok(self.received(reply));
            }
        }
    }

    fn received(&mut self, reply: Reply) -> Reply {
        let last = reply.lines.len().saturating_sub(1);
        for (i, line) in reply.lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            let text = if line.is_empty() && i == last {
                reply.code.to_string()
            } else {
                format!("{}{sep}{line}", reply.code)
            };
            self.transcript.push(TranscriptEvent {
                at: self.started.elapsed(),
                direction: Direction::Received,
                text,
            });
        }
        reply
    }

    async fn send(&mut self, stage: Stage, line: &str) -> Result<()> {
        if line.contains(['\r', '\n']) {
            return Err(SmtpError::BadCommand { stage });
        }
        self.record(Direction::Sent, line.to_owned());
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        let budget = self.timeouts.command;
        match tokio::time::timeout(budget, async {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await
        })
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SmtpError::io(stage, &e)),
            Err(_) => Err(SmtpError::Timeout {
                stage,
                after: budget,
            }),
        }
    }

    /// Reads the complete greeting, whatever its code: a 554 or 421
    /// greeting is a result for the caller, not an error. Nothing is
    /// written before it is complete (postscreen punishes clients that
    /// talk first).
    pub async fn read_greeting(&mut self) -> Result<Reply> {
        self.read_reply(Stage::Greeting, self.timeouts.greeting)
            .await
    }

    /// Sends `line` and reads the reply, within the command budget.
    pub async fn command(&mut self, stage: Stage, line: &str) -> Result<Reply> {
        self.send(stage, line).await?;
        self.read_reply(stage, self.timeouts.command).await
    }

    /// `EHLO name`; when the server refuses EHLO (5xx), `HELO name`.
    pub async fn ehlo(&mut self, name: &str) -> Result<Ehlo> {
        let reply = self.command(Stage::Ehlo, &format!("EHLO {name}")).await?;
        if reply.is_permanent() {
            let helo = self.command(Stage::Helo, &format!("HELO {name}")).await?;
            return Ok(Ehlo {
                reply: helo,
                used_helo: true,
                extensions: Vec::new(),
            });
        }
        Ok(Ehlo {
            extensions: ehlo_extensions(&reply),
            reply,
            used_helo: false,
        })
    }

    /// `STARTTLS`; the caller checks for 220.
    pub async fn starttls(&mut self) -> Result<Reply> {
        self.command(Stage::Starttls, "STARTTLS").await
    }

    /// `MAIL FROM:<>` (the null sender): the plain-text policy probe.
    pub async fn mail_from_null(&mut self) -> Result<Reply> {
        self.command(Stage::MailFrom, "MAIL FROM:<>").await
    }

    /// `RSET`.
    pub async fn rset(&mut self) -> Result<Reply> {
        self.command(Stage::Rset, "RSET").await
    }

    /// `QUIT`, best effort and brief; never fails the probe.
    pub async fn quit(&mut self) {
        let _ = tokio::time::timeout(QUIT_TIMEOUT, async {
            if self.send(Stage::Quit, "QUIT").await.is_ok() {
                let _ = self.read_reply_unbounded(Stage::Quit).await;
            }
        })
        .await;
    }

    /// The transcript so far, leaving an empty one.
    pub fn take_transcript(&mut self) -> Transcript {
        std::mem::take(&mut self.transcript)
    }

    /// The transcript so far.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// The stream, and bytes the server sent after the last reply. After
    /// `220` to STARTTLS these must be empty; a server (or a middlebox)
    /// that sends more is injecting plaintext (CVE-2011-0411), and the
    /// caller discards them.
    pub fn into_parts(self) -> (S, Vec<u8>) {
        (self.stream, self.pending)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;
    use tokio::io::duplex;

    fn client(stream: tokio::io::DuplexStream) -> SmtpClient<tokio::io::DuplexStream> {
        SmtpClient::new(
            stream,
            Timeouts::from_stage_budget(Duration::from_secs(5)),
            Instant::now(),
        )
    }

    /// Reads one CRLF-terminated line from the server side.
    async fn line(s: &mut tokio::io::DuplexStream) -> String {
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        while s.read(&mut b).await.unwrap() == 1 {
            out.push(b[0]);
            if b[0] == b'\n' {
                break;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn greeting_ehlo_and_starttls() {
        let (c, mut s) = duplex(4096);
        let server = tokio::spawn(async move {
            s.write_all(b"220-mx.example.test ESMTP\r\n220 hello\r\n")
                .await
                .unwrap();
            assert_eq!(line(&mut s).await, "EHLO client.test\r\n");
            s.write_all(b"250-mx\r\n250-SIZE 1000\r\n250 STARTTLS\r\n")
                .await
                .unwrap();
            assert_eq!(line(&mut s).await, "STARTTLS\r\n");
            s.write_all(b"220 2.0.0 Ready to start TLS\r\n")
                .await
                .unwrap();
            s
        });
        let mut c = client(c);
        let g = c.read_greeting().await.unwrap();
        assert_eq!((g.code, g.lines.len()), (220, 2));
        let e = c.ehlo("client.test").await.unwrap();
        assert_eq!(e.extensions, ["SIZE 1000", "STARTTLS"]);
        assert!(!e.used_helo);
        assert_eq!(c.starttls().await.unwrap().code, 220);
        let _s = server.await.unwrap();
        let t = c.transcript();
        assert_eq!(t[0].direction, Direction::Received);
        assert_eq!(t[2].text, "EHLO client.test");
        assert_eq!(t[2].direction, Direction::Sent);
        let (_, leftover) = c.into_parts();
        assert!(leftover.is_empty());
    }

    #[tokio::test]
    async fn a_554_greeting_is_a_reply_not_an_error() {
        let (c, mut s) = duplex(4096);
        s.write_all(b"554 5.7.1 no service for you\r\n")
            .await
            .unwrap();
        let g = client(c).read_greeting().await.unwrap();
        assert_eq!(g.code, 554);
    }

    #[tokio::test]
    async fn refused_ehlo_falls_back_to_helo() {
        let (c, mut s) = duplex(4096);
        tokio::spawn(async move {
            s.write_all(b"220 old\r\n").await.unwrap();
            line(&mut s).await;
            s.write_all(b"502 5.5.2 command not recognized\r\n")
                .await
                .unwrap();
            assert_eq!(line(&mut s).await, "HELO me.test\r\n");
            s.write_all(b"250 old\r\n").await.unwrap();
            s
        });
        let mut c = client(c);
        c.read_greeting().await.unwrap();
        let e = c.ehlo("me.test").await.unwrap();
        assert!(e.used_helo);
        assert!(e.extensions.is_empty());
    }

    #[tokio::test]
    async fn nothing_is_written_before_the_greeting_is_complete() {
        let (c, mut s) = duplex(4096);
        let server = tokio::spawn(async move {
            s.write_all(b"220-first line\r\n").await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            // The client must not have spoken yet.
            let mut b = [0u8; 1];
            let early = tokio::time::timeout(Duration::from_millis(20), s.read(&mut b)).await;
            assert!(early.is_err(), "client talked before the greeting ended");
            s.write_all(b"220 done\r\n").await.unwrap();
            s
        });
        let mut c = client(c);
        c.read_greeting().await.unwrap();
        server.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn one_byte_per_second_ends_at_the_greeting_timeout() {
        let (c, mut s) = duplex(4096);
        tokio::spawn(async move {
            for b in b"220 this greeting never really ends".iter().cycle() {
                if s.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let mut c = SmtpClient::new(
            c,
            Timeouts::from_stage_budget(Duration::from_secs(2)),
            Instant::now(),
        );
        let err = c.read_greeting().await.unwrap_err();
        assert!(err.is_timeout());
        assert_eq!(err.stage(), Stage::Greeting);
    }

    #[tokio::test]
    async fn an_endless_line_is_a_protocol_error() {
        let (c, mut s) = duplex(64 * 1024);
        tokio::spawn(async move {
            let _ = s.write_all(b"220 ").await;
            let _ = s.write_all(&vec![b'x'; 8192]).await;
            s
        });
        let err = client(c).read_greeting().await.unwrap_err();
        assert!(matches!(
            err,
            SmtpError::Protocol {
                stage: Stage::Greeting,
                error: ReplyError::LineTooLong { .. }
            }
        ));
    }

    #[tokio::test]
    async fn close_mid_reply_names_the_stage() {
        let (c, mut s) = duplex(4096);
        tokio::spawn(async move {
            s.write_all(b"220 hi\r\n").await.unwrap();
            line(&mut s).await;
            s.write_all(b"250-mx\r\n").await.unwrap();
            drop(s);
        });
        let mut c = client(c);
        c.read_greeting().await.unwrap();
        let err = c.ehlo("x.test").await.unwrap_err();
        assert!(matches!(err, SmtpError::Closed { stage: Stage::Ehlo }));
        assert!(err.is_closed());
        assert_eq!(err.to_string(), "ehlo: connection closed by the server");
    }

    #[tokio::test]
    async fn bytes_after_starttls_220_are_handed_back() {
        let (c, mut s) = duplex(4096);
        tokio::spawn(async move {
            s.write_all(b"220 hi\r\n").await.unwrap();
            line(&mut s).await;
            s.write_all(b"220 go ahead\r\n250 injected\r\n")
                .await
                .unwrap();
            s
        });
        let mut c = client(c);
        c.read_greeting().await.unwrap();
        assert_eq!(c.starttls().await.unwrap().code, 220);
        let (_, leftover) = c.into_parts();
        assert_eq!(leftover, b"250 injected\r\n");
    }

    #[tokio::test]
    async fn commands_with_line_breaks_are_refused() {
        let (c, _s) = duplex(4096);
        let err = client(c)
            .command(Stage::MailFrom, "MAIL FROM:<>\r\nRCPT TO:<x@y>")
            .await
            .unwrap_err();
        assert!(matches!(err, SmtpError::BadCommand { .. }));
    }
}
