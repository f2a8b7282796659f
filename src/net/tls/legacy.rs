//! The version probe tlscheck runs with its own ClientHello: rustls cannot
//! speak TLS 1.0/1.1 (nor 1.2 with suites it does not implement), so this
//! sends a hello pinned to one version over a stream that is already past
//! STARTTLS, reads the server's reply with a byte bound and one deadline, and
//! reports raw facts ([`LegacyOutcome`]); [`classify`] maps them onto the
//! model.
//!
//! It never completes a handshake and never decrypts: it reads the server's
//! whole first flight up to ServerHelloDone (TLS ≤ 1.2), or up to the
//! ServerHello of TLS 1.3 or a HelloRetryRequest (everything after is
//! encrypted or needs a second hello). An alert, EOF, reset or timeout
//! inside the flight is kept as what it is ([`FlightEnd`]): a server that
//! sends its ServerHello and Certificate and then fails (an unusable
//! private key) has not accepted the version. Parsing is `proto::tls`'s;
//! nothing here prints.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::time::Duration;

use rustls::{AlertDescription, CipherSuite, NamedGroup};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use crate::model::{Accepted, Rejection, Stage, TlsVersion, VersionResult};
use crate::proto::tls::client_hello::RANDOM_LEN;
use crate::proto::tls::enums::{cipher_suite_name, AlertLevel};
use crate::proto::tls::server_msgs::{is_dhe_suite, is_ecdhe_suite};
use crate::proto::tls::{ClientHello, RecordReader, ServerHello, ServerMessage, WireError};

/// The most bytes read from the server in one probe. A ServerHello, a
/// chain of a few certificates, a key exchange and ServerHelloDone take a
/// few KiB; the bound stops a server that streams forever.
pub const MAX_FLIGHT_BYTES: usize = 512 * 1024;

/// The size of one socket read (one maximal record).
pub const READ_CHUNK: usize = 16 * 1024 + 2048 + 5;

/// How many leading bytes of a non-TLS reply are kept for the report.
pub const MAX_FIRST_BYTES: usize = 64;

/// How many warning alerts before a ServerHello are skipped. Some servers
/// send a warning `unrecognized_name` and then carry on (RFC 6066 §3 allows
/// it); a server sending nothing but warnings is answered as an alert.
pub const MAX_WARNING_ALERTS: usize = 4;

/// Why the probe could not even start.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    /// The system random generator failed (for the hello's random and key
    /// share).
    #[error("the system random number generator failed")]
    Random,
}

/// The legacy probe's result type.
pub type Result<T> = std::result::Result<T, LegacyError>;

/// How the server's first flight ended after its ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlightEnd {
    /// ServerHelloDone arrived: the server completed its side (TLS ≤ 1.2).
    Done,
    /// A TLS 1.3 ServerHello or a HelloRetryRequest: what follows is
    /// encrypted (or waits for a second hello), so the ServerHello is the
    /// whole answer that can be read.
    Tls13,
    /// A fatal alert inside the flight.
    Alert(AlertDescription),
    /// The server closed the connection inside the flight.
    Closed,
    /// A socket error inside the flight, with its text.
    Reset(String),
    /// The stage's time ran out inside the flight.
    Timeout,
    /// The rest of the flight could not be decoded.
    Malformed(String),
}

impl FlightEnd {
    /// True when the server finished its side of the handshake.
    pub fn is_complete(&self) -> bool {
        matches!(self, Self::Done | Self::Tls13)
    }
}

/// What the server did with tlscheck's ClientHello: facts, not verdicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LegacyOutcome {
    /// The server answered with a ServerHello (or HelloRetryRequest);
    /// `end` says whether it finished the flight.
    ServerHello {
        /// The selected version: supported_versions if present, else
        /// `legacy_version` (wire number).
        version: u16,
        /// The chosen cipher suite.
        cipher: CipherSuite,
        /// The key-exchange group: from key_share (TLS 1.3, HRR) or the
        /// ECDHE ServerKeyExchange (TLS ≤ 1.2).
        group: Option<NamedGroup>,
        /// The DER chain of the TLS ≤ 1.2 Certificate message, if it came.
        certificates: Vec<Vec<u8>>,
        /// The size in bits of the DHE prime from the ServerKeyExchange,
        /// when the chosen suite is DHE and the message came and parsed.
        dh_prime_bits: Option<u32>,
        /// False when the server chose a suite the hello did not offer.
        cipher_was_offered: bool,
        /// True for a TLS 1.3 HelloRetryRequest.
        hello_retry: bool,
        /// True when the flight held a CertificateRequest.
        client_cert_requested: bool,
        /// The last handshake message before `end` ("ServerHello",
        /// "Certificate", "ServerKeyExchange", …).
        last_message: &'static str,
        /// How the flight ended.
        end: FlightEnd,
    },
    /// The server refused with an alert.
    Alert {
        /// warning or fatal.
        level: AlertLevel,
        /// What it said.
        description: AlertDescription,
    },
    /// The server closed the connection (EOF) before answering.
    Closed {
        /// Bytes received before the close (part of a record, if any).
        bytes_received: usize,
    },
    /// A socket error (connection reset, broken pipe, …) with its text.
    Reset(String),
    /// No complete answer before the stage deadline.
    Timeout,
    /// The reply was TLS but could not be decoded.
    Malformed(WireError),
    /// A well-formed record that makes no sense before a ServerHello
    /// (application data, ChangeCipherSpec, …).
    Unexpected {
        /// What arrived.
        message: String,
    },
    /// The reply was not TLS at all (e.g. the server sent plaintext SMTP).
    NotTls {
        /// The first bytes received, at most [`MAX_FIRST_BYTES`].
        first_bytes: Vec<u8>,
    },
}

impl LegacyOutcome {
    /// A stable snake_case name for JSON and transcripts.
    pub fn label(&self) -> &'static str {
        match self {
            Self::ServerHello { .. } => "server_hello",
            Self::Alert { .. } => "alert",
            Self::Closed { .. } => "closed",
            Self::Reset(_) => "reset",
            Self::Timeout => "timeout",
            Self::Malformed(_) => "malformed",
            Self::Unexpected { .. } => "unexpected",
            Self::NotTls { .. } => "not_tls",
        }
    }
}

/// A probe hello for `version` with a fresh random and x25519 share from
/// the system generator (the share is random bytes: the handshake is never
/// completed, so no private key is needed).
pub fn fresh_hello(version: TlsVersion, server_name: Option<&str>) -> Result<ClientHello> {
    let rng = rustls::crypto::ring::default_provider().secure_random;
    let mut random = [0u8; RANDOM_LEN];
    let mut share = [0u8; 32];
    rng.fill(&mut random).map_err(|_| LegacyError::Random)?;
    rng.fill(&mut share).map_err(|_| LegacyError::Random)?;
    Ok(ClientHello::for_probe(version, server_name, random, share))
}

/// Sends `hello` on `stream` and reads the server's answer.
///
/// `stage_timeout` bounds the whole exchange (write and every read share
/// one deadline), so a server dripping one byte at a time cannot stretch
/// it; reads are bounded by [`MAX_FLIGHT_BYTES`]. The stream is left open;
/// the caller drops it.
pub async fn probe<S>(stream: &mut S, hello: &ClientHello, stage_timeout: Duration) -> LegacyOutcome
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = Instant::now() + stage_timeout;
    let record = hello.to_record();
    let sent = timeout_at(deadline, async {
        stream.write_all(&record).await?;
        stream.flush().await
    })
    .await;
    match sent {
        Err(_) => return LegacyOutcome::Timeout,
        Ok(Err(e)) => return io_outcome(&e),
        Ok(Ok(())) => {}
    }

    let mut flight = Flight::new(hello);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return flight.end_or(FlightEnd::Timeout, LegacyOutcome::Timeout),
            Ok(Err(e)) => {
                return flight.end_or(FlightEnd::Reset(e.to_string()), io_outcome(&e));
            }
            Ok(Ok(0)) => {
                let bytes_received = flight.received;
                return flight.end_or(FlightEnd::Closed, LegacyOutcome::Closed { bytes_received });
            }
            Ok(Ok(n)) => n,
        };
        if let Some(outcome) = flight.on_bytes(buf.get(..n).unwrap_or_default()) {
            return outcome;
        }
    }
}

/// The socket errors of a dropped connection. Every IO error ends the
/// probe the same way; only the text differs.
fn io_outcome(e: &io::Error) -> LegacyOutcome {
    LegacyOutcome::Reset(match e.kind() {
        io::ErrorKind::ConnectionReset => "connection reset by the server".to_owned(),
        io::ErrorKind::ConnectionAborted => "connection aborted".to_owned(),
        io::ErrorKind::BrokenPipe => {
            "connection closed by the server while tlscheck was writing".to_owned()
        }
        _ => e.to_string(),
    })
}

/// The state of one read: what has arrived so far.
struct Flight<'h> {
    hello: &'h ClientHello,
    reader: RecordReader,
    received: usize,
    first_bytes: Vec<u8>,
    any_item: bool,
    warnings: usize,
    server_hello: Option<ServerHello>,
    certificates: Vec<Vec<u8>>,
    ske_group: Option<NamedGroup>,
    cert_request: bool,
    last_message: &'static str,
    dh_prime_bits: Option<u32>,
}

impl<'h> Flight<'h> {
    fn new(hello: &'h ClientHello) -> Self {
        Self {
            hello,
            reader: RecordReader::new(),
            received: 0,
            first_bytes: Vec::new(),
            any_item: false,
            warnings: 0,
            server_hello: None,
            certificates: Vec::new(),
            ske_group: None,
            cert_request: false,
            last_message: "ServerHello",
            dh_prime_bits: None,
        }
    }

    /// Takes in one read's bytes; `Some` once the outcome is known.
    fn on_bytes(&mut self, bytes: &[u8]) -> Option<LegacyOutcome> {
        let room = MAX_FIRST_BYTES.saturating_sub(self.first_bytes.len());
        self.first_bytes.extend(bytes.iter().take(room).copied());
        self.received += bytes.len();
        self.reader.feed(bytes);
        loop {
            match self.reader.next_item() {
                Ok(None) => break,
                Ok(Some(item)) => {
                    self.any_item = true;
                    let outcome = match ServerMessage::decode(item) {
                        Ok(msg) => self.on_message(msg),
                        Err(e) => Some(self.malformed(e)),
                    };
                    if outcome.is_some() {
                        return outcome;
                    }
                }
                Err(WireError::UnknownContentType(_)) if !self.any_item => {
                    return Some(LegacyOutcome::NotTls {
                        first_bytes: self.first_bytes.clone(),
                    });
                }
                Err(e) => return Some(self.malformed(e)),
            }
        }
        if self.received >= MAX_FLIGHT_BYTES {
            let too_large = WireError::TooLarge {
                what: "server reply",
                len: self.received,
                max: MAX_FLIGHT_BYTES,
            };
            return Some(self.malformed(too_large));
        }
        None
    }

    /// A decoding error: inside the flight it ends the flight, before a
    /// ServerHello it is the whole outcome.
    fn malformed(&self, e: WireError) -> LegacyOutcome {
        self.end_or(
            FlightEnd::Malformed(e.to_string()),
            LegacyOutcome::Malformed(e),
        )
    }

    /// Takes in one decoded message; `Some` once the outcome is known.
    fn on_message(&mut self, msg: ServerMessage) -> Option<LegacyOutcome> {
        let have_hello = self.server_hello.is_some();
        match msg {
            ServerMessage::ServerHello(_) if have_hello => Some(self.end(FlightEnd::Malformed(
                "a second ServerHello inside the flight".to_owned(),
            ))),
            ServerMessage::ServerHello(sh) => {
                // TLS 1.3 encrypts everything after the ServerHello, and a
                // HelloRetryRequest waits for a second ClientHello.
                let done = sh.is_hello_retry_request()
                    || sh.selected_version() >= TlsVersion::Tls13.wire();
                self.server_hello = Some(sh);
                if done {
                    Some(self.end(FlightEnd::Tls13))
                } else {
                    None
                }
            }
            ServerMessage::Certificate(c) => {
                self.certificates = c.chain;
                self.last_message = "Certificate";
                None
            }
            ServerMessage::ServerKeyExchange(ske) => {
                let ecdhe = self
                    .server_hello
                    .as_ref()
                    .is_some_and(|sh| is_ecdhe_suite(sh.cipher_suite));
                if ecdhe {
                    self.ske_group = ske.ecdhe_named_group();
                }
                self.last_message = "ServerKeyExchange";
                let dhe = self
                    .server_hello
                    .as_ref()
                    .is_some_and(|sh| is_dhe_suite(sh.cipher_suite));
                if dhe {
                    self.dh_prime_bits = ske.dhe_params().ok().map(|p| p.prime_bits);
                }
                None
            }
            // The end of a TLS ≤ 1.2 flight; without a ServerHello, nonsense.
            ServerMessage::ServerHelloDone if have_hello => Some(self.end(FlightEnd::Done)),
            ServerMessage::ServerHelloDone => self.unexpected("ServerHelloDone"),
            ServerMessage::OtherHandshake(m) => {
                if m.typ == rustls::HandshakeType::CertificateRequest {
                    self.cert_request = true;
                    self.last_message = "CertificateRequest";
                } else if m.typ == rustls::HandshakeType::CertificateStatus {
                    self.last_message = "CertificateStatus";
                }
                None
            }
            // RFC 5246 §7.2: a warning is not the end (some servers warn
            // about the name and go on), up to a bound.
            ServerMessage::Alert(alert) if self.skip_warning(&alert) => None,
            ServerMessage::Alert(alert) if have_hello => {
                Some(self.end(FlightEnd::Alert(alert.description)))
            }
            ServerMessage::Alert(alert) => Some(LegacyOutcome::Alert {
                level: alert.level,
                description: alert.description,
            }),
            ServerMessage::ChangeCipherSpec => self.unexpected("ChangeCipherSpec"),
            ServerMessage::ApplicationData { .. } => self.unexpected("application data"),
            ServerMessage::Unexpected { content_type, .. } => {
                self.unexpected(&format!("a {content_type:?} record"))
            }
        }
    }

    /// True for a warning alert to pass over (not close_notify or
    /// user_canceled, and fewer than [`MAX_WARNING_ALERTS`] so far).
    fn skip_warning(&mut self, alert: &crate::proto::tls::Alert) -> bool {
        let routine = matches!(
            alert.description,
            AlertDescription::CloseNotify | AlertDescription::UserCanceled
        );
        if alert.level == AlertLevel::Warning && !routine && self.warnings < MAX_WARNING_ALERTS {
            self.warnings += 1;
            true
        } else {
            false
        }
    }

    /// Ends the read: inside the flight as a record that does not belong
    /// there, before a ServerHello as `Unexpected`.
    fn unexpected(&self, what: &str) -> Option<LegacyOutcome> {
        Some(self.end_or(
            FlightEnd::Malformed(format!("{what} inside the flight")),
            LegacyOutcome::Unexpected {
                message: format!("{what} before ServerHello"),
            },
        ))
    }

    /// The ServerHello outcome ending with `end` if a ServerHello arrived,
    /// else `otherwise`.
    fn end_or(&self, end: FlightEnd, otherwise: LegacyOutcome) -> LegacyOutcome {
        self.hello_outcome(end).unwrap_or(otherwise)
    }

    /// The ServerHello outcome ending with `end`; `Unexpected` when no
    /// ServerHello arrived (callers only use it after one did).
    fn end(&self, end: FlightEnd) -> LegacyOutcome {
        self.hello_outcome(end)
            .unwrap_or_else(|| LegacyOutcome::Unexpected {
                message: "the flight ended before a ServerHello".to_owned(),
            })
    }

    fn hello_outcome(&self, end: FlightEnd) -> Option<LegacyOutcome> {
        let sh = self.server_hello.as_ref()?;
        Some(LegacyOutcome::ServerHello {
            version: sh.selected_version(),
            cipher: sh.cipher_suite,
            group: sh.key_share_group().or(self.ske_group),
            certificates: self.certificates.clone(),
            dh_prime_bits: self.dh_prime_bits,
            cipher_was_offered: self.hello.cipher_suites.contains(&sh.cipher_suite),
            hello_retry: sh.is_hello_retry_request(),
            client_cert_requested: self.cert_request,
            last_message: self.last_message,
            end,
        })
    }
}

/// Maps a probe's outcome for the `offered` version onto the model.
///
/// A ServerHello with the offered version and an offered cipher is
/// accepted (never a full handshake). Any other version is a rejection of
/// the offered one: a 1.0 probe answered with 1.2 breaks the protocol, a 1.1
/// probe answered with 1.0 is a downgrade; neither accepts what was asked.
/// A cipher never offered makes the answer uninterpretable. A TLS 1.3
/// HelloRetryRequest counts as accepting 1.3.
pub fn classify(offered: TlsVersion, outcome: &LegacyOutcome) -> VersionResult {
    match outcome {
        LegacyOutcome::ServerHello { version, .. } if *version != offered.wire() => {
            VersionResult::Rejected(Rejection::OtherVersion {
                offered,
                answered: *version,
            })
        }
        LegacyOutcome::ServerHello {
            cipher,
            cipher_was_offered: false,
            ..
        } => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: format!(
                "server chose cipher suite {}, which tlscheck did not offer",
                cipher_suite_name(*cipher)
            ),
        },
        LegacyOutcome::ServerHello {
            cipher, group, end, ..
        } if end.is_complete() => VersionResult::Accepted(Accepted {
            cipher: *cipher,
            group: *group,
            full_handshake: false,
            legacy_cipher_only: false,
            limited_by: None,
        }),
        LegacyOutcome::ServerHello {
            end, last_message, ..
        } => match end {
            FlightEnd::Alert(alert) => VersionResult::Rejected(Rejection::AlertAfter {
                alert: *alert,
                after: last_message,
            }),
            FlightEnd::Closed => VersionResult::Dropped {
                stage: Stage::Handshake,
                detail: format!("connection closed by the server after its {last_message}"),
            },
            FlightEnd::Reset(e) => VersionResult::Dropped {
                stage: Stage::Handshake,
                detail: format!("{e} (after its {last_message})"),
            },
            FlightEnd::Timeout => VersionResult::Timeout {
                stage: Stage::Handshake,
            },
            FlightEnd::Malformed(e) => VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: format!("malformed TLS reply after the server's {last_message}: {e}"),
            },
            FlightEnd::Done | FlightEnd::Tls13 => VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: "internal: complete flight not classified".to_owned(),
            },
        },
        LegacyOutcome::Alert { description, .. } => {
            VersionResult::Rejected(Rejection::Alert(*description))
        }
        LegacyOutcome::Closed { bytes_received: 0 } => VersionResult::Dropped {
            stage: Stage::Handshake,
            detail: "connection closed by the server without an answer".to_owned(),
        },
        LegacyOutcome::Closed { bytes_received } => VersionResult::Dropped {
            stage: Stage::Handshake,
            detail: format!(
                "connection closed by the server after {bytes_received} bytes, \
                 before a complete TLS record"
            ),
        },
        LegacyOutcome::Reset(e) => VersionResult::Dropped {
            stage: Stage::Handshake,
            detail: e.clone(),
        },
        LegacyOutcome::Timeout => VersionResult::Timeout {
            stage: Stage::Handshake,
        },
        LegacyOutcome::Malformed(e) => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: format!("malformed TLS reply: {e}"),
        },
        LegacyOutcome::Unexpected { message } => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: format!("server sent {message}"),
        },
        LegacyOutcome::NotTls { first_bytes } => VersionResult::Unknown {
            stage: Stage::Handshake,
            detail: format!(
                "server answered with non-TLS data: \"{}\"",
                first_bytes.escape_ascii()
            ),
        },
    }
}

#[cfg(test)]
mod tests;
