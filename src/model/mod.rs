//! Plain data: what tlscheck observed about a server, with no IO and no
//! serde. Probes fill these values in; `diagnose` reads them; `report`
//! renders them. JSON has its own DTOs in `report::json`, so a change here
//! never changes the published schema by accident.

pub mod cert;
pub mod dns;
pub mod listen;
pub mod outcome;
pub mod policy;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use rustls::{AlertDescription, CipherSuite, NamedGroup};

use crate::proto::smtp::reply::Reply;

pub use crate::proto::tls::version::{wire_version_name, TlsVersion};

/// The step of a probe in which something happened. Every error and every
/// timeout names one, so the user knows where the dialogue stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Resolving names (MX, A, AAAA).
    Resolve,
    /// Opening the TCP connection.
    Connect,
    /// Waiting for the server's 220 greeting.
    Greeting,
    /// `EHLO` before TLS.
    Ehlo,
    /// `HELO`, the fallback when `EHLO` is refused.
    Helo,
    /// `MAIL FROM:<>` of the plain-text policy probe.
    MailFrom,
    /// `RSET` of the plain-text policy probe.
    Rset,
    /// The `STARTTLS` command and its reply.
    Starttls,
    /// The TLS handshake.
    Handshake,
    /// `EHLO` again inside TLS.
    PostTlsEhlo,
    /// `QUIT`.
    Quit,
}

impl Stage {
    /// A stable snake_case name for JSON and error messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Resolve => "resolve",
            Self::Connect => "connect",
            Self::Greeting => "greeting",
            Self::Ehlo => "ehlo",
            Self::Helo => "helo",
            Self::MailFrom => "mail_from",
            Self::Rset => "rset",
            Self::Starttls => "starttls",
            Self::Handshake => "handshake",
            Self::PostTlsEhlo => "post_tls_ehlo",
            Self::Quit => "quit",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Who said a line of a transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// tlscheck sent it (`->`).
    Sent,
    /// The server sent it (`<-`).
    Received,
    /// A summary tlscheck made (TLS handshake, connection events).
    Note,
}

/// One line of a probe's dialogue, timed from the start of its connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptEvent {
    /// Time since the connection attempt began.
    pub at: Duration,
    /// Who said it.
    pub direction: Direction,
    /// The exact text (server text is raw here; renderers sanitize it).
    pub text: String,
}

/// The dialogue of one connection.
pub type Transcript = Vec<TranscriptEvent>;

/// What the server said about STARTTLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StarttlsStatus {
    /// EHLO listed STARTTLS.
    Offered,
    /// EHLO did not list STARTTLS (or only HELO worked).
    NotOffered,
    /// STARTTLS was listed but the command was refused (e.g. `454 4.7.0`).
    Refused(Reply),
    /// The dialogue ended before this could be learnt.
    Unknown,
    /// Not applicable: TLS starts on connect (SMTPS, port 465).
    Implicit,
}

impl StarttlsStatus {
    /// JSON name: `offered`, `not_offered`, `refused`, `unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::NotOffered => "not_offered",
            Self::Refused(_) => "refused",
            Self::Unknown => "unknown",
            Self::Implicit => "implicit",
        }
    }
}

/// A TLS version accepted by the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The cipher suite the server chose.
    pub cipher: CipherSuite,
    /// The key-exchange group, where the handshake revealed it.
    pub group: Option<NamedGroup>,
    /// True when the full handshake with rustls completed; false when only
    /// tlscheck's own ClientHello was answered with a ServerHello (TLS
    /// 1.0/1.1, or TLS 1.2 with a cipher suite rustls does not implement).
    pub full_handshake: bool,
    /// Set for TLS 1.2 when rustls failed but the wide ClientHello got a
    /// whole first flight with a cipher suite rustls had not offered: the
    /// server speaks TLS 1.2 only with ciphers modern clients no longer
    /// offer.
    pub legacy_cipher_only: bool,
    /// Set when the server completed its side of the handshake but
    /// tlscheck's own TLS library could not finish it (a key size,
    /// signature scheme or group it does not implement, a client
    /// certificate it does not have). The server does speak the version;
    /// tlscheck did not establish a session.
    pub limited_by: Option<Limit>,
}

impl Accepted {
    /// True when tlscheck itself completed the handshake (and so saw the
    /// server finish it): the only proof that a session can be set up.
    pub fn is_established(&self) -> bool {
        self.full_handshake && self.limited_by.is_none()
    }
}

/// Why tlscheck could not finish a handshake the server offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    /// What kind of limit.
    pub kind: LimitKind,
    /// The evidence in words ("server chose TLS 1.2
    /// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; tlscheck could not verify its
    /// RSA 1024 signature").
    pub detail: String,
}

/// The kinds of [`Limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// The server asked for a client certificate and refused the
    /// handshake without one.
    ClientCertificate,
    /// tlscheck's TLS library could not verify the server's signature
    /// (key size or algorithm it does not implement).
    Signature,
    /// The server chose a key-exchange group tlscheck's TLS library does
    /// not implement (FFDHE in TLS 1.3, secp521r1).
    Group,
    /// The server refused the TLS library's ClientHello but answered a
    /// wider one; the difference is in what the library offers.
    TlsLibrary,
}

impl LimitKind {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::ClientCertificate => "client_certificate",
            Self::Signature => "signature",
            Self::Group => "key_exchange_group",
            Self::TlsLibrary => "tls_library",
        }
    }
}

/// Why a server refused a TLS version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The server sent a TLS alert instead of a ServerHello.
    Alert(AlertDescription),
    /// The server began its first flight (ServerHello …) and then sent a
    /// fatal alert before finishing it: it picked the version but could
    /// not complete its side (an unusable private key, for one).
    AlertAfter {
        /// What it said.
        alert: AlertDescription,
        /// The last message it sent before the alert ("Certificate").
        after: &'static str,
    },
    /// The server answered with another version than the one offered.
    OtherVersion {
        /// The version tlscheck offered.
        offered: TlsVersion,
        /// The version on the server's ServerHello (wire number).
        answered: u16,
    },
    /// Another handshake failure rustls reported, with its words.
    Handshake(String),
}

/// What a server did with one TLS version (issue 2, point 6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionResult {
    /// The server agreed to this version.
    Accepted(Accepted),
    /// The server refused it with an alert or another version.
    Rejected(Rejection),
    /// The connection was closed or reset during the handshake: the
    /// `SocketError` pattern of Exchange.
    Dropped {
        /// Where it happened.
        stage: Stage,
        /// The socket error or "closed by peer".
        detail: String,
    },
    /// No answer within the stage's timeout.
    Timeout {
        /// The stage that timed out.
        stage: Stage,
    },
    /// The version could not be tried.
    NotTested(NotTested),
    /// The server answered with something tlscheck cannot interpret
    /// (malformed record, plaintext instead of a ServerHello, a cipher never
    /// offered). Never reported as accepted or rejected.
    Unknown {
        /// Where it happened.
        stage: Stage,
        /// What was wrong.
        detail: String,
    },
}

impl VersionResult {
    /// JSON name: `accepted`, `rejected`, `dropped`, `timeout`,
    /// `not_tested`, `unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Accepted(_) => "accepted",
            Self::Rejected(_) => "rejected",
            Self::Dropped { .. } => "dropped",
            Self::Timeout { .. } => "timeout",
            Self::NotTested(_) => "not_tested",
            Self::Unknown { .. } => "unknown",
        }
    }

    /// True when the server agreed to the version (it completed its side
    /// of the handshake), whether or not tlscheck could finish it.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted(_))
    }

    /// True when tlscheck completed a handshake of this version.
    pub fn is_established(&self) -> bool {
        matches!(self, Self::Accepted(a) if a.is_established())
    }

    /// True when the server was seen refusing the version: an alert,
    /// another version, or a close or reset during the handshake. Only
    /// these mean "not offered"; a timeout, an answer tlscheck could not
    /// read, an interruption or a session that never reached the
    /// handshake decide nothing.
    pub fn is_refused(&self) -> bool {
        match self {
            Self::Rejected(_) => true,
            // A close at STARTTLS is the SMTP step failing, not a version.
            Self::Dropped { stage, .. } => *stage == Stage::Handshake,
            _ => false,
        }
    }

    /// True when the result says nothing about the version: neither
    /// accepted nor refused by the server, and not ruled out by the SMTP
    /// dialogue (no STARTTLS, STARTTLS refused, greeting refused).
    pub fn is_undecided(&self) -> bool {
        match self {
            Self::Accepted(_) | Self::Rejected(_) | Self::Dropped { .. } => false,
            Self::Timeout { .. } | Self::Unknown { .. } => true,
            Self::NotTested(n) => n.is_undecided(),
        }
    }
}

impl fmt::Display for VersionResult {
    /// The result in a few words, for evidence lines and transcripts
    /// (raw server text inside; renderers sanitize).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cipher = |c| crate::proto::tls::cipher_name(c);
        match self {
            Self::Accepted(a) => match &a.limited_by {
                Some(l) => write!(
                    f,
                    "offered by the server ({}), not established: {}",
                    cipher(a.cipher),
                    l.detail
                ),
                None => write!(f, "accepted ({})", cipher(a.cipher)),
            },
            Self::Rejected(Rejection::Alert(d)) => {
                write!(f, "rejected (alert {})", crate::proto::tls::alert_name(*d))
            }
            Self::Rejected(Rejection::AlertAfter { alert, after }) => write!(
                f,
                "rejected (alert {} after its {after})",
                crate::proto::tls::alert_name(*alert)
            ),
            Self::Rejected(Rejection::OtherVersion { answered, .. }) => {
                write!(
                    f,
                    "rejected (answered with {})",
                    wire_version_name(*answered)
                )
            }
            Self::Rejected(Rejection::Handshake(d)) => write!(f, "rejected ({d})"),
            Self::Dropped { stage, detail } => write!(f, "dropped at {stage} ({detail})"),
            Self::Timeout { stage } => write!(f, "timed out at {stage}"),
            Self::NotTested(NotTested::Deadline { stage }) => {
                write!(f, "not tested (the run's --deadline passed at {stage})")
            }
            Self::NotTested(NotTested::Throttled(r)) => {
                write!(f, "not tested (throttled: {} {})", r.code, r.text())
            }
            Self::NotTested(n) => write!(f, "not tested ({})", n.label().replace('_', " ")),
            Self::Unknown { stage, detail } => write!(f, "unknown at {stage}: {detail}"),
        }
    }
}

/// How an SMTP error says the server closed the connection.
pub const CLOSED_BY_SERVER: &str = "connection closed by server";

/// Why a version was not tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotTested {
    /// EHLO did not advertise STARTTLS.
    NoStarttls,
    /// STARTTLS was refused; the reply is kept.
    StarttlsRefused(Reply),
    /// The greeting was not 220 (e.g. `554` policy block).
    GreetingRejected(Reply),
    /// EHLO was refused for good (5yz; often the EHLO name tlscheck sent),
    /// so whether STARTTLS is offered could not be seen.
    EhloRefused(Reply),
    /// The server kept throttling (`421 … too many connections`) until the
    /// time budget ran out.
    Throttled(Reply),
    /// An earlier stage failed (connect, EHLO, …).
    EarlierStage {
        /// The stage that failed.
        stage: Stage,
        /// What happened.
        error: String,
    },
    /// The user interrupted the run (Ctrl-C).
    Interrupted,
    /// The run's `--deadline` passed during this stage.
    Deadline {
        /// The stage it cut.
        stage: Stage,
    },
}

impl NotTested {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NoStarttls => "no_starttls",
            Self::StarttlsRefused(_) => "starttls_refused",
            Self::GreetingRejected(_) => "greeting_rejected",
            Self::EhloRefused(_) => "ehlo_refused",
            Self::Throttled(_) => "throttled",
            Self::EarlierStage { .. } => "earlier_stage_failed",
            Self::Interrupted => "interrupted",
            Self::Deadline { .. } => "deadline",
        }
    }

    /// True when nothing about the server's TLS follows from it: the
    /// session was throttled, cut short, or failed before STARTTLS.
    pub fn is_undecided(&self) -> bool {
        match self {
            Self::NoStarttls | Self::GreetingRejected(_) => false,
            // 4yz to STARTTLS is temporary (RFC 3207 §4: 454 "TLS not
            // available due to temporary reason"), a 5yz is not.
            Self::StarttlsRefused(r) => r.code / 100 == 4,
            Self::EhloRefused(_)
            | Self::Throttled(_)
            | Self::EarlierStage { .. }
            | Self::Interrupted
            | Self::Deadline { .. } => true,
        }
    }

    /// The stage at which the server closed the session before TLS, when
    /// that is why the version was not tested.
    pub fn closed_at(&self) -> Option<Stage> {
        match self {
            // The words of net::smtp::SmtpError::Closed (a test there
            // keeps them in step).
            Self::EarlierStage { stage, error } if error.ends_with(CLOSED_BY_SERVER) => {
                Some(*stage)
            }
            _ => None,
        }
    }

    /// True when the run stopped the session (Ctrl-C or `--deadline`).
    pub fn is_interruption(&self) -> bool {
        matches!(self, Self::Interrupted | Self::Deadline { .. })
    }
}

/// The result of probing one TLS version on its own connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionProbe {
    /// The version that was forced.
    pub version: TlsVersion,
    /// What the server did.
    pub result: VersionResult,
    /// Time from connection start to the result.
    pub elapsed: Duration,
    /// The dialogue of this connection.
    pub transcript: Transcript,
    /// The certificate chain the server sent (DER, leaf first), if any.
    pub chain: Vec<Vec<u8>>,
    /// The reply to EHLO inside TLS, when the handshake completed.
    pub post_tls_ehlo: Option<Reply>,
}

/// The verdict on a certificate chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertVerdict {
    /// Chains to a trusted root and matches the expected name.
    Trusted,
    /// Chains to a trusted root; no name was checked (target was an address).
    TrustedNameNotChecked,
    /// The issuer is not trusted (no chain to a root).
    UntrustedIssuer,
    /// Self-signed leaf.
    SelfSigned {
        /// True when it is also a CA certificate (basicConstraints
        /// CA:TRUE, what `openssl req -x509` makes by default) used as the
        /// server's own certificate.
        ca: bool,
    },
    /// Chain is fine but the name does not match.
    NameMismatch {
        /// The name that was expected.
        expected: String,
    },
    /// The leaf (or a chain certificate) has expired.
    Expired,
    /// The leaf is not valid yet.
    NotYetValid,
    /// Revoked, bad signature, unsupported algorithm, unparsable…
    Invalid(String),
}

impl CertVerdict {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::TrustedNameNotChecked => "trusted_name_not_checked",
            Self::UntrustedIssuer => "untrusted_issuer",
            Self::SelfSigned { .. } => "self_signed",
            Self::NameMismatch { .. } => "name_mismatch",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::Invalid(_) => "invalid",
        }
    }

    /// True when a certificate-validating sender would accept the chain.
    pub fn is_trusted(&self) -> bool {
        matches!(self, Self::Trusted | Self::TrustedNameNotChecked)
    }
}

/// What tlscheck read from the server's leaf certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject distinguished name (RFC 4514 form).
    pub subject: String,
    /// DNS names and IP addresses of subjectAltName.
    pub sans: Vec<String>,
    /// Issuer distinguished name.
    pub issuer: String,
    /// notBefore, RFC 3339 UTC.
    pub not_before: String,
    /// notAfter, RFC 3339 UTC.
    pub not_after: String,
    /// Whole days from the check to notAfter (negative once expired).
    pub days_left: i64,
    /// `RSA`, `EC P-256`, `Ed25519`, …
    pub key_type: String,
    /// Key size in bits, where known.
    pub key_bits: Option<u32>,
    /// Signature algorithm name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// Number of certificates the server sent.
    pub chain_len: usize,
    /// The verification verdict.
    pub verdict: CertVerdict,
    /// The TLS version whose handshake delivered this chain.
    pub from_version: TlsVersion,
}

/// The reply to `EHLO` (or `HELO` after a refused `EHLO`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ehlo {
    /// The server's reply.
    pub reply: Reply,
    /// True when EHLO was refused and HELO was used instead.
    pub used_helo: bool,
    /// The refusal of EHLO itself (5yz) when HELO was used instead.
    pub refused_ehlo: Option<Reply>,
    /// Extension keywords with their parameters (`SIZE 35882577`,
    /// `STARTTLS`, …), upper-cased keyword first.
    pub extensions: Vec<String>,
}

/// The plain-text policy probe: what the server says to `MAIL FROM:<>`
/// before STARTTLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The reply to `MAIL FROM:<>`, when the dialogue got that far.
    pub mail_from: Option<Reply>,
    /// True when the reply says TLS is required (451 5.7.3, 530 5.7.0, …),
    /// false when the server accepted the sender, `None` if unknown.
    pub requires_tls: Option<bool>,
    /// Why the probe could not finish, if it did not.
    pub error: Option<String>,
    /// Its dialogue.
    pub transcript: Transcript,
}

/// Everything seen about one server address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerObservation {
    /// The host name the user or the MX record gave (none for a literal).
    pub host: Option<String>,
    /// The address and port probed.
    pub address: SocketAddr,
    /// When the target came from MX: the exchange's preference.
    pub preference: Option<u16>,
    /// The greeting (first one seen), if any arrived.
    pub banner: Option<Reply>,
    /// The EHLO reply of the plain-text session.
    pub ehlo: Option<Ehlo>,
    /// What the server does about STARTTLS.
    pub starttls: StarttlsStatus,
    /// The plain-text policy probe.
    pub policy: Policy,
    /// One probe per version, in [`TlsVersion::ALL`] order.
    pub versions: Vec<VersionProbe>,
    /// The first certificate chain obtained, summarised.
    pub certificate: Option<CertSummary>,
    /// An error that stopped everything (connection refused…), with stage.
    pub error: Option<ProbeFailure>,
    /// The name sent as SNI, `None` when probed by address (no SNI).
    pub sni: Option<String>,
    /// Wall time of the whole server check.
    pub elapsed: Duration,
    /// Sender-profile checks and the `--ciphers` enumeration.
    pub suites: crate::proto::tls::suites::SuiteObservation,
}

impl ServerObservation {
    /// The probe of one version, if it ran.
    pub fn version(&self, v: TlsVersion) -> Option<&VersionProbe> {
        self.versions.iter().find(|p| p.version == v)
    }

    /// True when tlscheck completed a TLS 1.2 or 1.3 handshake with the
    /// server: the only ground for saying TLS works.
    pub fn establishes_modern(&self) -> bool {
        self.versions
            .iter()
            .any(|p| !p.version.is_legacy() && p.result.is_established())
    }

    /// True when the run (Ctrl-C or `--deadline`) cut any of its sessions.
    pub fn was_interrupted(&self) -> bool {
        self.versions
            .iter()
            .any(|p| matches!(&p.result, VersionResult::NotTested(n) if n.is_interruption()))
    }

    /// The versions whose result decides nothing (timeout, unknown,
    /// throttled, interrupted), oldest first.
    pub fn undecided(&self) -> Vec<&VersionProbe> {
        self.versions
            .iter()
            .filter(|p| p.result.is_undecided())
            .collect()
    }

    /// True when any of TLS 1.2 and 1.3 was accepted.
    pub fn accepts_modern(&self) -> bool {
        self.versions
            .iter()
            .any(|p| !p.version.is_legacy() && p.result.is_accepted())
    }

    /// True when any of TLS 1.0 and 1.1 was accepted.
    pub fn accepts_legacy(&self) -> bool {
        self.versions
            .iter()
            .any(|p| p.version.is_legacy() && p.result.is_accepted())
    }

    /// True when the server was reached and at least one version got an
    /// answer from it (a drop or a refusal counts; a timeout before the
    /// handshake, an earlier failure or an interruption does not).
    pub fn was_tested(&self) -> bool {
        self.error.is_none()
            && self.versions.iter().any(|p| match &p.result {
                VersionResult::NotTested(
                    NotTested::EarlierStage { .. }
                    | NotTested::Interrupted
                    | NotTested::Deadline { .. },
                ) => false,
                VersionResult::Timeout { stage } => *stage == Stage::Handshake,
                _ => true,
            })
    }
}

/// Why a server could not be checked at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeFailure {
    /// The stage that failed.
    pub stage: Stage,
    /// What happened, in plain words.
    pub message: String,
    /// True when it was a timeout.
    pub timed_out: bool,
    /// The class of failure, each with its own finding.
    pub kind: FailureKind,
}

/// The classes of "could not check the server at all": only the first
/// three mean nothing answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Nothing listens (TCP RST to the SYN).
    Refused,
    /// No route to the host or its network.
    Unreachable,
    /// The TCP connection was not answered in time (filtered).
    ConnectTimeout,
    /// The server accepted the connection and closed it before greeting.
    ClosedBeforeGreeting,
    /// The server accepted the connection and sent no complete greeting
    /// within the wait.
    NoGreeting {
        /// How long tlscheck waited.
        waited: Duration,
    },
    /// Something other than SMTP answered.
    NotSmtp {
        /// What it looks like: `HTTP`, `SSH`, `TLS` (TLS on connect), or
        /// `unknown`.
        speaks: &'static str,
        /// The first bytes, as text (raw; renderers sanitize).
        first_bytes: String,
    },
    /// A line or a reply passed tlscheck's bounds.
    ReplyTooLong,
    /// Another socket or protocol error.
    Other,
}

impl FailureKind {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Unreachable => "unreachable",
            Self::ConnectTimeout => "connect_timeout",
            Self::ClosedBeforeGreeting => "closed_before_greeting",
            Self::NoGreeting { .. } => "no_greeting",
            Self::NotSmtp { .. } => "not_smtp",
            Self::ReplyTooLong => "reply_too_long",
            Self::Other => "other",
        }
    }

    /// True when nothing answered at all: the exit status 3 case.
    pub fn is_silence(&self) -> bool {
        matches!(
            self,
            Self::Refused | Self::Unreachable | Self::ConnectTimeout
        )
    }
}
