//! One session with a sending server, over any async byte stream: greet,
//! answer EHLO with STARTTLS, read the ClientHello with `proto::tls`, then
//! either close (TLS 1.0/1.1 only, as Office 365 does) or finish the
//! handshake with rustls and refuse the message inside TLS.
//!
//! Mail is never accepted: RCPT is refused with a 550 (permanent, so the
//! sender bounces the test message at once rather than retrying it for
//! days, and its log shows the TLS result next to our words), DATA and BDAT
//! are never answered with 354, and unknown lines are kept as their verb
//! only. Every read is bounded and has a deadline; the result is data
//! ([`SenderSession`]), never an error.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsAcceptor;

use super::server::SessionSetup;
use crate::model::listen::{Handshake, Negotiated, Offer, SenderSession, SessionEnd, Stage};
use crate::model::{wire_version_name, Direction, TlsVersion, TranscriptEvent};
use crate::proto::smtp::command::{self, Command, LineTooLong, MAX_LINE_LEN};
use crate::proto::tls::client_hello::ClientHello;
use crate::proto::tls::enums::HandshakeType;
use crate::proto::tls::record::{Item, RecordReader};
use crate::proto::tls::{Codec, WireError};

/// Most commands in one session (both sides of STARTTLS together). A
/// sender delivering one test message needs about eight.
pub const MAX_COMMANDS: usize = 64;

/// The whole session may take this many stage timeouts, so a sender that
/// trickles one command just inside each timeout cannot hold a slot for
/// long.
pub const SESSION_BUDGET_STAGES: u32 = 10;

/// Most bytes read after STARTTLS without a complete ClientHello. Real
/// ClientHellos are well under 2 KiB (a post-quantum key share adds about
/// 1.2 KiB); the record layer allows 16 KiB per record.
pub const MAX_CLIENT_HELLO_BYTES: usize = 64 * 1024;

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 4096;

/// The longest wait when writing a last reply to a sender that is being
/// dropped (timeout, line too long): a courtesy, not a stage.
const FAREWELL_TIMEOUT: Duration = Duration::from_secs(2);

/// The greeting after the host name.
pub const GREETING_TEXT: &str = "ESMTP tlscheck listener (no mail is accepted)";

/// The answer to MAIL, RCPT and DATA before STARTTLS (the words Postfix
/// uses with `smtpd_tls_security_level = encrypt`).
pub const MUST_STARTTLS: &str = "530 5.7.0 Must issue a STARTTLS command first";

/// The answer to RCPT inside TLS: permanent, so the sender bounces the
/// test message instead of queueing it.
pub const REFUSAL: &str = "550 5.7.0 tlscheck listener: this is a TLS test, no mail is accepted";

/// Runs one session on `stream` (already accepted from `peer`) and says
/// what the sender did.
pub async fn session<S>(stream: S, peer: SocketAddr, setup: &SessionSetup) -> SenderSession
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut rec = Recorder::new(peer, setup.timeout);
    let end = run(stream, setup, &mut rec).await;
    rec.finish(end)
}

/// The session as it is being recorded.
struct Recorder {
    started: Instant,
    budget_end: Instant,
    timeout: Duration,
    commands: usize,
    session: SenderSession,
}

impl Recorder {
    fn new(peer: SocketAddr, timeout: Duration) -> Recorder {
        let started = Instant::now();
        Recorder {
            started,
            budget_end: started + timeout.saturating_mul(SESSION_BUDGET_STAGES),
            timeout,
            commands: 0,
            session: SenderSession {
                peer,
                started_at: crate::clock::now_rfc3339(),
                ehlo_name: None,
                used_helo: false,
                starttls: false,
                plaintext_mail: false,
                offer: None,
                hello_error: None,
                handshake: Handshake::NotReached,
                tls_ehlo_name: None,
                mail_from: None,
                rcpt_to: Vec::new(),
                end: SessionEnd::Quit,
                transcript: Vec::new(),
                elapsed: Duration::ZERO,
            },
        }
    }

    fn event(&mut self, direction: Direction, text: impl Into<String>) {
        self.session.transcript.push(TranscriptEvent {
            at: self.started.elapsed(),
            direction,
            text: text.into(),
        });
    }

    fn note(&mut self, text: impl Into<String>) {
        self.event(Direction::Note, text);
    }

    /// When the current stage must be over: one timeout from now, or the
    /// end of the session budget if that comes first.
    fn stage_deadline(&self) -> Instant {
        (Instant::now() + self.timeout).min(self.budget_end)
    }

    fn finish(mut self, end: SessionEnd) -> SenderSession {
        self.note(format!("session ended: {end}"));
        self.session.end = end;
        self.session.elapsed = self.started.elapsed();
        self.session
    }
}

/// A stream and the bytes read from it but not yet used.
struct Conn<S> {
    stream: S,
    input: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Writes `lines` as one reply (CRLF after each) and records them.
    async fn send(
        &mut self,
        rec: &mut Recorder,
        stage: Stage,
        lines: &[String],
    ) -> Result<(), SessionEnd> {
        self.send_until(rec, stage, lines, rec.stage_deadline())
            .await
    }

    async fn send_until(
        &mut self,
        rec: &mut Recorder,
        stage: Stage,
        lines: &[String],
        deadline: Instant,
    ) -> Result<(), SessionEnd> {
        let mut wire = Vec::new();
        for line in lines {
            rec.event(Direction::Sent, line.clone());
            wire.extend_from_slice(line.as_bytes());
            wire.extend_from_slice(b"\r\n");
        }
        let write = async {
            self.stream.write_all(&wire).await?;
            self.stream.flush().await
        };
        match timeout_at(deadline, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(io_end(stage, &e)),
            Err(_) => Err(SessionEnd::Timeout { stage }),
        }
    }

    /// A last reply to a sender being dropped; its failure changes nothing.
    async fn farewell(&mut self, rec: &mut Recorder, stage: Stage, line: &str) {
        let deadline = Instant::now() + FAREWELL_TIMEOUT;
        let _ = self
            .send_until(rec, stage, &[line.to_owned()], deadline)
            .await;
    }

    /// Reads one command line, within the stage deadline.
    async fn read_line(&mut self, rec: &mut Recorder, stage: Stage) -> Result<Vec<u8>, SessionEnd> {
        let deadline = rec.stage_deadline();
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            match command::take_line(&mut self.input) {
                Ok(Some(line)) => return Ok(line),
                Ok(None) => {}
                Err(LineTooLong) => {
                    rec.note(format!(
                        "the sender sent a line longer than {MAX_LINE_LEN} bytes"
                    ));
                    self.farewell(rec, stage, "500 5.5.2 Line too long, closing")
                        .await;
                    return Err(SessionEnd::LineTooLong { stage });
                }
            }
            let n = match timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) => return Err(SessionEnd::ClosedBySender { stage }),
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(io_end(stage, &e)),
                Err(_) => {
                    self.farewell(rec, stage, "421 4.4.2 Timeout, closing")
                        .await;
                    return Err(SessionEnd::Timeout { stage });
                }
            };
            self.input
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }
}

/// A socket error as a session end: a reset or a broken pipe is the sender
/// hanging up.
fn io_end(stage: Stage, e: &io::Error) -> SessionEnd {
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof => SessionEnd::ClosedBySender { stage },
        _ => SessionEnd::Io {
            stage,
            detail: e.to_string(),
        },
    }
}

async fn run<S>(stream: S, setup: &SessionSetup, rec: &mut Recorder) -> SessionEnd
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut plain = Conn {
        stream,
        input: Vec::new(),
    };
    let greeting = format!("220 {} {GREETING_TEXT}", setup.hostname);
    if let Err(end) = plain.send(rec, Stage::Greeting, &[greeting]).await {
        return end;
    }
    if let Err(end) = dialogue(&mut plain, setup, rec, false).await {
        return end;
    }
    rec.session.starttls = true;
    // RFC 3207 §4.2: nothing the client sent before our 220 belongs to
    // the TLS session (the STARTTLS command injection of CVE-2011-0411).
    if !plain.input.is_empty() {
        rec.note(format!(
            "{} bytes sent before the 220 to STARTTLS were discarded (RFC 3207 §4.2)",
            plain.input.len()
        ));
        plain.input.clear();
    }
    let mut stream = plain.stream;

    let (raw, hello) = match read_client_hello(&mut stream, rec).await {
        Ok(got) => got,
        Err((end, why)) => {
            rec.note(format!("no ClientHello: {why}"));
            rec.session.hello_error = Some(why);
            return end;
        }
    };
    let offer = Offer::from_client_hello(&hello);
    rec.note(describe_offer(&offer));
    let modern = offer.offers_modern();
    rec.session.offer = Some(offer);
    if !modern {
        rec.note("no TLS 1.2 or 1.3 offered: closing the connection, as Office 365 does");
        rec.session.handshake = Handshake::ClosedLegacyOnly;
        return SessionEnd::ClosedAfterLegacyHello;
    }

    let acceptor = TlsAcceptor::from(setup.tls.clone());
    let accepted = timeout_at(
        rec.stage_deadline(),
        acceptor.accept(Replay::new(raw, stream)),
    )
    .await;
    let tls = match accepted {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            let failed = classify_handshake_error(&e);
            if let Handshake::Failed { detail, .. } = &failed {
                rec.note(format!("TLS handshake failed: {detail}"));
            }
            rec.session.handshake = failed;
            return SessionEnd::HandshakeFailed;
        }
        Err(_) => {
            rec.note("TLS handshake timed out");
            rec.session.handshake = Handshake::TimedOut;
            return SessionEnd::Timeout {
                stage: Stage::Handshake,
            };
        }
    };
    let handshake = negotiated(tls.get_ref().1);
    if let Handshake::Completed(n) = &handshake {
        rec.note(format!(
            "TLS handshake completed: {}, {}{}",
            n.version,
            crate::proto::tls::cipher_name(n.cipher),
            n.group
                .map(|g| format!(", {}", crate::proto::tls::group_name(g)))
                .unwrap_or_default()
        ));
    }
    rec.session.handshake = handshake;

    let mut secure = Conn {
        stream: tls,
        input: Vec::new(),
    };
    match dialogue(&mut secure, setup, rec, true).await {
        Err(SessionEnd::Quit) => {
            // close_notify; the verdict is known, so do not wait long.
            let _ = tokio::time::timeout(FAREWELL_TIMEOUT, secure.stream.shutdown()).await;
            SessionEnd::Quit
        }
        Err(end) => end,
        // STARTTLS inside TLS is refused, so the dialogue cannot ask for
        // TLS again; should it, the session is over all the same.
        Ok(()) => SessionEnd::Quit,
    }
}

/// The SMTP dialogue on one side of STARTTLS. Returns `Ok(())` when the
/// sender issued STARTTLS and got `220` (only before TLS); every other way
/// out is a [`SessionEnd`].
async fn dialogue<S>(
    conn: &mut Conn<S>,
    setup: &SessionSetup,
    rec: &mut Recorder,
    tls: bool,
) -> Result<(), SessionEnd>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let stage = if tls {
        Stage::TlsCommand
    } else {
        Stage::Command
    };
    let host = &setup.hostname;
    let mut mail_given = false;
    loop {
        let line = conn.read_line(rec, stage).await?;
        let text = String::from_utf8_lossy(&line).into_owned();
        let cmd = command::parse(&text);
        rec.event(Direction::Received, cmd.transcript_text(&text));
        rec.commands += 1;
        if rec.commands > MAX_COMMANDS {
            conn.farewell(rec, stage, "421 4.7.0 Too many commands, closing")
                .await;
            return Err(SessionEnd::TooManyCommands);
        }
        let one = |s: &str| vec![s.to_owned()];
        let reply: Vec<String> = match &cmd {
            Command::Ehlo(name) => {
                mail_given = false;
                if tls {
                    rec.session.tls_ehlo_name = Some(name.clone());
                } else {
                    rec.session.ehlo_name = Some(name.clone());
                    rec.session.used_helo = false;
                }
                let mut lines = vec![
                    format!("250-{host} Hello, this is a TLS test"),
                    "250-ENHANCEDSTATUSCODES".to_owned(),
                ];
                if tls {
                    lines.push("250 8BITMIME".to_owned());
                } else {
                    lines.push("250-8BITMIME".to_owned());
                    lines.push("250 STARTTLS".to_owned());
                }
                lines
            }
            Command::Helo(name) => {
                mail_given = false;
                if tls {
                    rec.session.tls_ehlo_name = Some(name.clone());
                } else {
                    rec.session.ehlo_name = Some(name.clone());
                    rec.session.used_helo = true;
                }
                vec![format!("250 {host}")]
            }
            Command::StartTls { .. } if tls => one("503 5.5.1 TLS is already active"),
            Command::StartTls {
                has_parameters: true,
            } => one("501 5.5.4 Syntax: STARTTLS takes no parameters"),
            Command::StartTls {
                has_parameters: false,
            } => one("220 2.0.0 Ready to start TLS"),
            Command::Mail(None) => one("501 5.5.4 Syntax: MAIL FROM:<address>"),
            Command::Rcpt(None) => one("501 5.5.4 Syntax: RCPT TO:<address>"),
            Command::Mail(Some(from)) if !tls => {
                rec.session.plaintext_mail = true;
                rec.session.mail_from = Some(from.clone());
                one(MUST_STARTTLS)
            }
            Command::Rcpt(_) | Command::Data | Command::Bdat if !tls => one(MUST_STARTTLS),
            Command::Mail(Some(from)) => {
                rec.session.mail_from = Some(from.clone());
                mail_given = true;
                one("250 2.1.0 Sender OK")
            }
            Command::Rcpt(Some(to)) if mail_given => {
                rec.session.rcpt_to.push(to.clone());
                one(REFUSAL)
            }
            Command::Rcpt(Some(_)) => one("503 5.5.1 Need MAIL before RCPT"),
            Command::Data | Command::Bdat if mail_given => one("554 5.5.1 No valid recipients"),
            Command::Data | Command::Bdat => one("503 5.5.1 Need MAIL before DATA"),
            Command::Rset => {
                mail_given = false;
                one("250 2.0.0 OK")
            }
            Command::Noop => one("250 2.0.0 OK"),
            Command::Quit => one("221 2.0.0 Bye"),
            Command::Unknown(_) => one("500 5.5.2 Command not recognised"),
        };
        conn.send(rec, stage, &reply).await?;
        match cmd {
            Command::Quit => return Err(SessionEnd::Quit),
            Command::StartTls {
                has_parameters: false,
            } if !tls => return Ok(()),
            _ => {}
        }
    }
}

/// Reads records until a whole ClientHello has arrived. Returns every byte
/// read (for rustls to read again) and the parsed hello, or how the session
/// ends and why, in words.
async fn read_client_hello<S>(
    stream: &mut S,
    rec: &mut Recorder,
) -> Result<(Vec<u8>, ClientHello), (SessionEnd, String)>
where
    S: AsyncRead + Unpin,
{
    let stage = Stage::ClientHello;
    let deadline = rec.stage_deadline();
    let mut raw = Vec::new();
    let mut records = RecordReader::new();
    let mut chunk = [0u8; READ_CHUNK];
    loop {
        let n = match timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => {
                let why = if raw.is_empty() {
                    "the sender closed the connection after 220 without sending a ClientHello"
                        .to_owned()
                } else {
                    format!(
                        "the sender closed the connection in the middle of its ClientHello ({} bytes)",
                        raw.len()
                    )
                };
                return Err((SessionEnd::ClosedBySender { stage }, why));
            }
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err((io_end(stage, &e), format!("socket error: {e}"))),
            Err(_) => {
                let why = format!(
                    "no complete ClientHello within {} s ({} bytes received)",
                    rec.timeout.as_secs_f64(),
                    raw.len()
                );
                return Err((SessionEnd::Timeout { stage }, why));
            }
        };
        let got = chunk.get(..n).unwrap_or_default();
        raw.extend_from_slice(got);
        if raw.len() > MAX_CLIENT_HELLO_BYTES {
            let why =
                format!("more than {MAX_CLIENT_HELLO_BYTES} bytes without a complete ClientHello");
            return Err((SessionEnd::NoClientHello, why));
        }
        records.feed(got);
        let why = match records.next_item() {
            Ok(None) => continue,
            Ok(Some(Item::Handshake(msg))) if msg.typ == HandshakeType::ClientHello => {
                match ClientHello::read_bytes(&msg.body) {
                    Ok(hello) => return Ok((raw, hello)),
                    Err(e) => format!("malformed ClientHello: {e}"),
                }
            }
            Ok(Some(Item::Handshake(msg))) => {
                format!(
                    "expected a ClientHello, got handshake message type {}",
                    u8::from(msg.typ)
                )
            }
            Ok(Some(Item::Alert(a))) => format!(
                "the sender sent alert {} instead of a ClientHello",
                crate::proto::tls::alert_name(a.description)
            ),
            Ok(Some(Item::ChangeCipherSpec)) => {
                "expected a ClientHello, got a ChangeCipherSpec record".to_owned()
            }
            Ok(Some(Item::ApplicationData { len })) => {
                format!("expected a ClientHello, got {len} bytes of encrypted application data")
            }
            Ok(Some(Item::Unexpected { content_type, len })) => format!(
                "expected a ClientHello, got a record of content type {} ({len} bytes)",
                u8::from(content_type)
            ),
            Err(WireError::UnknownContentType(first)) => not_tls(first, &raw),
            Err(e) => format!("malformed TLS record: {e}"),
        };
        return Err((SessionEnd::NoClientHello, why));
    }
}

/// Words for bytes after STARTTLS that are not a TLS record.
fn not_tls(first: u8, raw: &[u8]) -> String {
    // SSL 2.0 record header: high bit set, then a length byte, then
    // msg_type 1 (CLIENT-HELLO) and the highest version offered. Old
    // clients sent TLS 1.0 hellos in this format (RFC 5246 §E.2).
    if first & 0x80 != 0 && raw.get(2) == Some(&1) {
        let version = match (raw.get(3), raw.get(4)) {
            (Some(hi), Some(lo)) => wire_version_name(u16::from_be_bytes([*hi, *lo])),
            _ => "an unknown version".to_owned(),
        };
        return format!(
            "an SSL 2.0-format ClientHello offering up to {version}: a client this old cannot use TLS 1.2"
        );
    }
    let shown: String = String::from_utf8_lossy(raw)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(64)
        .collect();
    format!("the sender sent plain text instead of a TLS ClientHello: {shown:?}")
}

/// One line for the transcript: versions, how many suites and groups, SNI.
fn describe_offer(o: &Offer) -> String {
    let versions: Vec<&str> = o.versions.iter().map(|v| v.label()).collect();
    format!(
        "ClientHello: client_version {}, {}: [{}], {} cipher suites, {} groups, SNI {}",
        wire_version_name(o.client_version),
        o.source.label(),
        versions.join(", "),
        o.cipher_suites.len(),
        o.groups.len(),
        o.sni.as_deref().unwrap_or("none")
    )
}

/// What a completed handshake agreed on.
fn negotiated(conn: &rustls::ServerConnection) -> Handshake {
    let version = conn
        .protocol_version()
        .and_then(|v| TlsVersion::from_wire(u16::from(v)));
    let cipher = conn.negotiated_cipher_suite().map(|s| s.suite());
    match (version, cipher) {
        (Some(version), Some(cipher)) => Handshake::Completed(Negotiated {
            version,
            cipher,
            group: conn.negotiated_key_exchange_group().map(|g| g.name()),
        }),
        _ => Handshake::Failed {
            sender_alert: None,
            detail: "rustls finished without a version or cipher suite".to_owned(),
        },
    }
}

/// Classifies a failed handshake where rustls reports it.
fn classify_handshake_error(e: &io::Error) -> Handshake {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::AlertReceived(alert)) => Handshake::Failed {
            sender_alert: Some(*alert),
            detail: format!(
                "the sender sent alert {}",
                crate::proto::tls::alert_name(*alert)
            ),
        },
        Some(other) => Handshake::Failed {
            sender_alert: None,
            detail: other.to_string(),
        },
        None if e.kind() == io::ErrorKind::UnexpectedEof => Handshake::Failed {
            sender_alert: None,
            detail: "the sender closed the connection during the handshake".to_owned(),
        },
        None => Handshake::Failed {
            sender_alert: None,
            detail: e.to_string(),
        },
    }
}

/// A stream that first yields bytes already read from it. The ClientHello
/// was read (and parsed) before rustls saw it; rustls reads it again from
/// here, and everything after from the socket. Writes go straight through.
struct Replay<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Replay<S> {
    fn new(prefix: Vec<u8>, inner: S) -> Replay<S> {
        Replay {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let rest = this.prefix.get(this.pos..).unwrap_or_default();
        if rest.is_empty() {
            if !this.prefix.is_empty() {
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let n = rest.len().min(buf.remaining());
        buf.put_slice(rest.get(..n).unwrap_or_default());
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
