//! Plain data: what tlscheck observed about a server, with no IO and no
//! serde. Probes fill these values in; `diagnose` reads them; `report`
//! renders them. JSON has its own DTOs in `report::json`, so a change here
//! never changes the published schema by accident.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use rustls::{AlertDescription, CipherSuite, NamedGroup};

use crate::smtp::reply::Reply;

/// A TLS protocol version tlscheck probes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.0, RFC 2246 (wire 0x0301).
    Tls10,
    /// TLS 1.1, RFC 4346 (wire 0x0302).
    Tls11,
    /// TLS 1.2, RFC 5246 (wire 0x0303).
    Tls12,
    /// TLS 1.3, RFC 8446 (wire 0x0304 in supported_versions).
    Tls13,
}

impl TlsVersion {
    /// Every version, oldest first: the order of every version table.
    pub const ALL: [TlsVersion; 4] = [Self::Tls10, Self::Tls11, Self::Tls12, Self::Tls13];

    /// The short label used as JSON key and table header: `"1.0"` … `"1.3"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Tls10 => "1.0",
            Self::Tls11 => "1.1",
            Self::Tls12 => "1.2",
            Self::Tls13 => "1.3",
        }
    }

    /// The version number on the wire (RFC 8446 §4.1.2 `ProtocolVersion`).
    pub fn wire(self) -> u16 {
        match self {
            Self::Tls10 => 0x0301,
            Self::Tls11 => 0x0302,
            Self::Tls12 => 0x0303,
            Self::Tls13 => 0x0304,
        }
    }

    /// The version for a wire number, if it is one tlscheck knows.
    pub fn from_wire(v: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.wire() == v)
    }

    /// True for the versions Office 365 no longer accepts (1.0, 1.1).
    pub fn is_legacy(self) -> bool {
        self < Self::Tls12
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLS {}", self.label())
    }
}

/// Formats a wire version number: `TLS 1.2` when known, else `0x0305`.
pub fn wire_version_name(v: u16) -> String {
    match TlsVersion::from_wire(v) {
        Some(t) => t.to_string(),
        None if v == 0x0300 => "SSL 3.0".to_owned(),
        None => format!("0x{v:04x}"),
    }
}

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
    /// ServerHello: the server speaks TLS 1.2 only with ciphers modern
    /// clients no longer offer.
    pub legacy_cipher_only: bool,
}

/// Why a server refused a TLS version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The server sent a TLS alert.
    Alert(AlertDescription),
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

    /// True when the server agreed to the version.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted(_))
    }
}

/// Why a version was not tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotTested {
    /// EHLO did not advertise STARTTLS.
    NoStarttls,
    /// STARTTLS was refused; the reply is kept.
    StarttlsRefused(Reply),
    /// The greeting was not 220 (e.g. `554` policy block).
    GreetingRejected(Reply),
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
    /// The run's deadline passed or the user interrupted it.
    Interrupted,
}

impl NotTested {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NoStarttls => "no_starttls",
            Self::StarttlsRefused(_) => "starttls_refused",
            Self::GreetingRejected(_) => "greeting_rejected",
            Self::Throttled(_) => "throttled",
            Self::EarlierStage { .. } => "earlier_stage_failed",
            Self::Interrupted => "interrupted",
        }
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
    SelfSigned,
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
            Self::SelfSigned => "self_signed",
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
    /// Wall time of the whole server check.
    pub elapsed: Duration,
    /// Sender-profile checks and the `--ciphers` enumeration.
    pub suites: crate::suites::SuiteObservation,
}

impl ServerObservation {
    /// The probe of one version, if it ran.
    pub fn version(&self, v: TlsVersion) -> Option<&VersionProbe> {
        self.versions.iter().find(|p| p.version == v)
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
                    NotTested::EarlierStage { .. } | NotTested::Interrupted,
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
}
