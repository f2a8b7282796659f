//! What `tlscheck listen` saw of a sending server: what its ClientHello
//! offered, how the handshake ended, and the session's transcript. Plain
//! data that `net::listen` fills in and `diagnose::sender` judges.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use rustls::{AlertDescription, CipherSuite, NamedGroup};

use crate::model::{Direction, TlsVersion, Transcript};
use crate::proto::tls::client_hello::ClientHello;
use crate::proto::tls::enums::is_grease;

/// The step of a listener session in which something happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Writing the 220 greeting.
    Greeting,
    /// Plain-text SMTP commands (EHLO, STARTTLS, MAIL …).
    Command,
    /// Reading the sender's ClientHello after `220` to STARTTLS.
    ClientHello,
    /// The rustls handshake.
    Handshake,
    /// SMTP commands inside TLS.
    TlsCommand,
}

impl Stage {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Greeting => "greeting",
            Self::Command => "command",
            Self::ClientHello => "client_hello",
            Self::Handshake => "handshake",
            Self::TlsCommand => "tls_command",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where the list of accepted versions comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferSource {
    /// The supported_versions extension (RFC 8446 §4.2.1) lists them.
    SupportedVersions,
    /// No supported_versions: the legacy negotiation of RFC 5246 §E.1
    /// applies, where `client_version` is the highest version. The hello
    /// states only that one; which lower versions the client accepts is
    /// not established (OpenSSL pinned with `-tls1_2` refuses them, a
    /// default OpenSSL client takes them).
    LegacyClientVersion,
}

impl OfferSource {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::SupportedVersions => "supported_versions",
            Self::LegacyClientVersion => "client_version",
        }
    }
}

/// What the sender's ClientHello offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// `legacy_version` / `client_version` (wire number).
    pub client_version: u16,
    /// The supported_versions list as sent, GREASE removed; `None` when the
    /// extension is absent.
    pub supported_versions: Option<Vec<u16>>,
    /// The TLS versions the hello states, oldest first: the
    /// supported_versions list, or without it only the highest version
    /// (`client_version`, at most TLS 1.2); lower ones are then unknown
    /// (see [`Offer::source`]).
    pub versions: Vec<TlsVersion>,
    /// Where [`Offer::versions`] comes from.
    pub source: OfferSource,
    /// The highest version offered (wire number; may be SSL 3.0 or a
    /// version tlscheck has no name for).
    pub highest: u16,
    /// Cipher suites in the sender's order, GREASE removed.
    pub cipher_suites: Vec<CipherSuite>,
    /// supported_groups in the sender's order, GREASE removed (empty when
    /// the extension is absent).
    pub groups: Vec<NamedGroup>,
    /// The first SNI host name, if any (raw; renderers sanitize).
    pub sni: Option<String>,
}

impl Offer {
    /// What a parsed ClientHello offers.
    pub fn from_client_hello(hello: &ClientHello) -> Offer {
        let supported_versions = hello
            .supported_versions()
            .map(|list| list.iter().copied().filter(|v| !is_grease(*v)).collect());
        let (versions, source) = match &supported_versions {
            Some(list) => {
                let list: &Vec<u16> = list;
                (
                    TlsVersion::ALL
                        .into_iter()
                        .filter(|t| list.contains(&t.wire()))
                        .collect(),
                    OfferSource::SupportedVersions,
                )
            }
            // RFC 5246 §E.1: client_version is the highest version the
            // client supports; whether it takes a lower one the server
            // answers with is not in the hello. TLS 1.3 is never
            // negotiated without supported_versions (RFC 8446 §4.2.1), so
            // a higher client_version states TLS 1.2.
            None => (
                TlsVersion::ALL
                    .into_iter()
                    .filter(|t| *t <= TlsVersion::Tls12 && t.wire() <= hello.client_version)
                    .max()
                    .into_iter()
                    .collect(),
                OfferSource::LegacyClientVersion,
            ),
        };
        Offer {
            client_version: hello.client_version,
            supported_versions,
            versions,
            source,
            highest: hello.highest_version(),
            cipher_suites: hello
                .cipher_suites
                .iter()
                .copied()
                .filter(|c| !is_grease(u16::from(*c)))
                .collect(),
            groups: hello
                .supported_groups()
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|g| !is_grease(u16::from(*g)))
                .collect(),
            sni: hello.server_name().map(str::to_owned),
        }
    }

    /// True when TLS 1.2 or 1.3 is among the accepted versions: what
    /// Office 365 requires.
    pub fn offers_modern(&self) -> bool {
        self.versions.iter().any(|v| !v.is_legacy())
    }

    /// The highest accepted version tlscheck knows by name.
    pub fn highest_known(&self) -> Option<TlsVersion> {
        self.versions.iter().copied().max()
    }
}

/// Version, cipher suite and group of a completed handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The version agreed.
    pub version: TlsVersion,
    /// The cipher suite agreed.
    pub cipher: CipherSuite,
    /// The key-exchange group, where rustls reports one.
    pub group: Option<NamedGroup>,
}

/// What became of the TLS handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handshake {
    /// No ClientHello was read (no STARTTLS, or nothing usable after it).
    NotReached,
    /// The ClientHello offered only TLS 1.0/1.1 (or older): tlscheck
    /// closed the connection, as Office 365 does.
    ClosedLegacyOnly,
    /// rustls completed the handshake.
    Completed(Negotiated),
    /// rustls could not complete it.
    Failed {
        /// The alert the sender sent, if it sent one (e.g. `unknown_ca`
        /// when it refused tlscheck's certificate).
        sender_alert: Option<AlertDescription>,
        /// rustls' words.
        detail: String,
    },
    /// The handshake did not finish within the stage timeout.
    TimedOut,
}

impl Handshake {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotReached => "not_reached",
            Self::ClosedLegacyOnly => "closed_legacy_only",
            Self::Completed(_) => "completed",
            Self::Failed { .. } => "failed",
            Self::TimedOut => "timed_out",
        }
    }
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The sender sent QUIT.
    Quit,
    /// The sender closed the connection.
    ClosedBySender {
        /// Where.
        stage: Stage,
    },
    /// The sender was silent past the stage timeout or the session budget.
    Timeout {
        /// Where.
        stage: Stage,
    },
    /// tlscheck closed after a ClientHello without TLS 1.2 or 1.3.
    ClosedAfterLegacyHello,
    /// The TLS handshake failed (see [`SenderSession::handshake`]).
    HandshakeFailed,
    /// After `220` to STARTTLS the sender sent no TLS ClientHello (see
    /// [`SenderSession::hello_error`]).
    NoClientHello,
    /// A command line longer than
    /// [`MAX_LINE_LEN`](crate::proto::smtp::command::MAX_LINE_LEN).
    LineTooLong {
        /// Where.
        stage: Stage,
    },
    /// More than `net::listen::session::MAX_COMMANDS` commands.
    TooManyCommands,
    /// A socket error.
    Io {
        /// Where.
        stage: Stage,
        /// The error.
        detail: String,
    },
}

impl SessionEnd {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::ClosedBySender { .. } => "closed_by_sender",
            Self::Timeout { .. } => "timeout",
            Self::ClosedAfterLegacyHello => "closed_after_legacy_hello",
            Self::HandshakeFailed => "handshake_failed",
            Self::NoClientHello => "no_client_hello",
            Self::LineTooLong { .. } => "line_too_long",
            Self::TooManyCommands => "too_many_commands",
            Self::Io { .. } => "io_error",
        }
    }
}

impl fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Quit => f.write_str("the sender sent QUIT"),
            Self::ClosedBySender { stage } => {
                write!(f, "the sender closed the connection ({stage})")
            }
            Self::Timeout { stage } => write!(f, "the sender went silent ({stage})"),
            Self::ClosedAfterLegacyHello => f.write_str(
                "tlscheck closed the connection after the ClientHello (no TLS 1.2 or 1.3), as Office 365 does",
            ),
            Self::HandshakeFailed => f.write_str("the TLS handshake failed"),
            Self::NoClientHello => f.write_str("no TLS ClientHello after STARTTLS"),
            Self::LineTooLong { stage } => write!(f, "command line too long ({stage})"),
            Self::TooManyCommands => f.write_str("too many commands"),
            Self::Io { stage, detail } => write!(f, "socket error ({stage}): {detail}"),
        }
    }
}

/// Everything seen in one session with a sending server. Sender text is
/// raw here; renderers sanitize it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderSession {
    /// The sender's address and port.
    pub peer: SocketAddr,
    /// When the connection was accepted (RFC 3339 UTC).
    pub started_at: String,
    /// The name given in EHLO (or HELO) before TLS.
    pub ehlo_name: Option<String>,
    /// True when the sender used HELO rather than EHLO.
    pub used_helo: bool,
    /// True when the sender issued STARTTLS and got `220`.
    pub starttls: bool,
    /// True when the sender sent MAIL FROM without STARTTLS (answered
    /// `530 5.7.0 Must issue a STARTTLS command first`).
    pub plaintext_mail: bool,
    /// What the ClientHello offered, when one was read and parsed.
    pub offer: Option<Offer>,
    /// Why no ClientHello could be read after STARTTLS, if so.
    pub hello_error: Option<String>,
    /// What became of the handshake.
    pub handshake: Handshake,
    /// The EHLO name given again inside TLS.
    pub tls_ehlo_name: Option<String>,
    /// The MAIL FROM argument (plain text or inside TLS), if given.
    pub mail_from: Option<String>,
    /// RCPT TO arguments, each refused.
    pub rcpt_to: Vec<String>,
    /// How it ended.
    pub end: SessionEnd,
    /// The dialogue: `Received` is the sender, `Sent` is tlscheck.
    pub transcript: Transcript,
    /// Duration of the session.
    pub elapsed: Duration,
}

impl SenderSession {
    /// True when the sender sent nothing at all (a port scan, a health
    /// check): `--once` keeps waiting for a real sender.
    pub fn is_empty(&self) -> bool {
        !self
            .transcript
            .iter()
            .any(|e| e.direction == Direction::Received)
    }

    /// True when the session says something about the sender's TLS: it
    /// started TLS, or it tried to send mail without it.
    pub fn was_tested(&self) -> bool {
        self.starttls || self.plaintext_mail
    }

    /// The EHLO name, else the TLS EHLO name.
    pub fn sender_name(&self) -> Option<&str> {
        self.ehlo_name.as_deref().or(self.tls_ehlo_name.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tls::client_hello::{ClientExtension, ServerNameEntry};
    use crate::proto::tls::enums::Compression;

    fn hello(client_version: u16, extensions: Vec<ClientExtension>) -> ClientHello {
        ClientHello {
            client_version,
            random: [0; 32],
            session_id: Vec::new(),
            cipher_suites: vec![
                CipherSuite::Unknown(0x1a1a), // GREASE
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
            ],
            compression_methods: vec![Compression::Null],
            extensions,
        }
    }

    /// Without supported_versions the hello states its highest version
    /// only: what lower versions the sender accepts is not established.
    #[test]
    fn legacy_client_version_states_only_its_highest_version() {
        let o = Offer::from_client_hello(&hello(0x0302, Vec::new()));
        assert_eq!(o.versions, vec![TlsVersion::Tls11]);
        assert_eq!(o.source, OfferSource::LegacyClientVersion);
        assert_eq!(o.highest, 0x0302);
        assert!(!o.offers_modern());
        assert_eq!(
            o.cipher_suites,
            vec![CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]
        );
        assert!(o.groups.is_empty());
        assert_eq!(o.sni, None);
    }

    #[test]
    fn tls12_client_version_without_supported_versions_never_implies_tls13() {
        let o = Offer::from_client_hello(&hello(0x0304, Vec::new()));
        assert_eq!(o.versions, vec![TlsVersion::Tls12]);
        assert!(o.offers_modern());
        let o = Offer::from_client_hello(&hello(0x0303, Vec::new()));
        assert_eq!(o.versions, vec![TlsVersion::Tls12]);
        assert!(o.offers_modern());
        let o = Offer::from_client_hello(&hello(0x0301, Vec::new()));
        assert_eq!(o.versions, vec![TlsVersion::Tls10]);
        assert!(!o.offers_modern());
    }

    #[test]
    fn ssl3_client_version_offers_no_tls_version() {
        let o = Offer::from_client_hello(&hello(0x0300, Vec::new()));
        assert!(o.versions.is_empty());
        assert_eq!(o.highest, 0x0300);
        assert_eq!(o.highest_known(), None);
    }

    #[test]
    fn supported_versions_replace_client_version_and_drop_grease() {
        let o = Offer::from_client_hello(&hello(
            0x0303,
            vec![
                ClientExtension::ServerName(vec![ServerNameEntry {
                    name_type: 0,
                    name: b"mx.example.test".to_vec(),
                }]),
                ClientExtension::SupportedGroups(vec![
                    NamedGroup::Unknown(0x2a2a), // GREASE
                    NamedGroup::X25519,
                ]),
                ClientExtension::SupportedVersions(vec![0x3a3a, 0x0304, 0x0303]),
            ],
        ));
        assert_eq!(o.versions, vec![TlsVersion::Tls12, TlsVersion::Tls13]);
        assert_eq!(o.source, OfferSource::SupportedVersions);
        assert_eq!(o.supported_versions, Some(vec![0x0304, 0x0303]));
        assert_eq!(o.highest, 0x0304);
        assert_eq!(o.highest_known(), Some(TlsVersion::Tls13));
        assert_eq!(o.groups, vec![NamedGroup::X25519]);
        assert_eq!(o.sni.as_deref(), Some("mx.example.test"));
    }

    #[test]
    fn supported_versions_listing_only_tls11_is_legacy_even_with_0x0303_legacy_version() {
        let o = Offer::from_client_hello(&hello(
            0x0303,
            vec![ClientExtension::SupportedVersions(vec![0x0302])],
        ));
        assert_eq!(o.versions, vec![TlsVersion::Tls11]);
        assert!(!o.offers_modern());
    }

    #[test]
    fn stage_and_end_labels_are_snake_case() {
        for l in [
            Stage::ClientHello.label(),
            SessionEnd::ClosedAfterLegacyHello.label(),
            Handshake::ClosedLegacyOnly.label(),
            OfferSource::LegacyClientVersion.label(),
        ] {
            assert!(l.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{l}");
        }
    }
}
