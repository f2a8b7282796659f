//! Cipher suites as tlscheck observes them: what a suite name says (key
//! exchange, authentication, weaknesses), the candidate lists the
//! enumeration offers per version, and the plain data an enumeration or a
//! sender-profile check produces. Pure data and pure functions: no IO, no
//! printing (the probing is `net::probe::profile`'s, the judging
//! `diagnose::profiles`').

use rustls::{CipherSuite, NamedGroup};

use crate::proto::tls::cipher_name;
use crate::proto::tls::TlsVersion;

/// How a suite agrees on keys, from its IANA name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// Ephemeral elliptic-curve Diffie-Hellman (forward secret).
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman (forward secret).
    Dhe,
    /// Static RSA key transport (no forward secrecy).
    Rsa,
    /// Static (EC)DH from the certificate.
    Static,
    /// TLS 1.3: negotiated separately (key_share), always ephemeral.
    Tls13,
    /// Anything else (PSK, SRP, KRB5, GOST, …).
    Other,
}

impl KeyExchange {
    /// Stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ecdhe => "ecdhe",
            Self::Dhe => "dhe",
            Self::Rsa => "rsa",
            Self::Static => "static_dh",
            Self::Tls13 => "tls13",
            Self::Other => "other",
        }
    }
}

/// What makes a suite weak, from its IANA name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SuiteWeakness {
    /// No encryption at all (`_WITH_NULL_`).
    Null,
    /// 40/56-bit export-grade crypto (`_EXPORT`).
    Export,
    /// No server authentication (`_anon_`): anyone in the path can
    /// impersonate the server.
    Anonymous,
    /// RC4 (RFC 7465 prohibits it).
    Rc4,
    /// Single DES (56-bit).
    Des,
    /// Triple DES (64-bit blocks, Sweet32; disabled by Office 365 since
    /// 2019-02-28).
    TripleDes,
}

impl SuiteWeakness {
    /// Stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Export => "export",
            Self::Anonymous => "anon",
            Self::Rc4 => "rc4",
            Self::Des => "des",
            Self::TripleDes => "3des",
        }
    }
}

/// The key exchange a suite's name spells.
pub fn key_exchange(cs: CipherSuite) -> KeyExchange {
    let name = cipher_name(cs);
    if is_tls13_suite(cs) {
        KeyExchange::Tls13
    } else if name.contains("PSK") || name.contains("SRP") || name.contains("KRB5") {
        KeyExchange::Other
    } else if name.starts_with("TLS_ECDHE_") {
        KeyExchange::Ecdhe
    } else if name.starts_with("TLS_DHE_") {
        KeyExchange::Dhe
    } else if name.starts_with("TLS_RSA_") {
        KeyExchange::Rsa
    } else if name.starts_with("TLS_ECDH_") || name.starts_with("TLS_DH_") {
        KeyExchange::Static
    } else {
        KeyExchange::Other
    }
}

/// True for the certificate type a TLS ≤ 1.2 suite needs being ECDSA.
pub fn needs_ecdsa_certificate(cs: CipherSuite) -> bool {
    cipher_name(cs).contains("_ECDSA_")
}

/// The weaknesses a suite's name shows, strongest reason first.
pub fn weaknesses(cs: CipherSuite) -> Vec<SuiteWeakness> {
    let name = cipher_name(cs);
    let mut out = Vec::new();
    if name.contains("_WITH_NULL_") || name.ends_with("_NULL_SHA") {
        out.push(SuiteWeakness::Null);
    }
    if name.contains("EXPORT") {
        out.push(SuiteWeakness::Export);
    }
    if name.contains("_anon_") {
        out.push(SuiteWeakness::Anonymous);
    }
    if name.contains("_RC4_") {
        out.push(SuiteWeakness::Rc4);
    }
    if name.contains("3DES") {
        out.push(SuiteWeakness::TripleDes);
    } else if name.contains("_DES_") || name.contains("_DES40_") || name.contains("DES_CBC") {
        out.push(SuiteWeakness::Des);
    }
    out
}

/// RFC 8446 §B.4: the TLS 1.3 suites are 0x13xx.
pub fn is_tls13_suite(cs: CipherSuite) -> bool {
    u16::from(cs) >> 8 == 0x13
}

/// True for suites that only TLS 1.2 defines (AEAD modes, SHA-2 MACs):
/// a TLS 1.0/1.1 server must not choose them.
fn is_tls12_only(name: &str) -> bool {
    ["GCM", "CCM", "CHACHA20", "_SHA256", "_SHA384", "ARIA"]
        .iter()
        .any(|m| name.contains(m))
}

/// Signalling values that are not suites (RFC 5746 §3.3, RFC 7507 §6).
fn is_scsv(cs: CipherSuite) -> bool {
    matches!(u16::from(cs), 0x00ff | 0x5600)
}

/// The IANA ranges rustls names suites in: the classic block, the ECC
/// and later block, the ChaCha20 block and TLS 1.3.
const SUITE_RANGES: &[std::ops::RangeInclusive<u16>] = &[
    0x0000..=0x00ff,
    0xc000..=0xc0ff,
    0xcca8..=0xccae,
    0x1301..=0x1305,
];

/// The suites the enumeration offers for `version`: every suite in the
/// IANA registry (as rustls names it) that can be negotiated with a
/// certificate alone, in registry order. PSK, SRP and Kerberos suites are
/// left out: a server picks them only for clients holding such
/// credentials, so offering them proves nothing. TLS 1.0/1.1 get no
/// suite that only TLS 1.2 defines; TLS 1.3 gets its five.
pub fn candidates(version: TlsVersion) -> Vec<CipherSuite> {
    SUITE_RANGES
        .iter()
        .flat_map(|r| r.clone())
        .map(CipherSuite::from)
        .filter(|cs| cs.as_str().is_some() && !is_scsv(*cs))
        .filter(|cs| {
            let name = cipher_name(*cs);
            match version {
                TlsVersion::Tls13 => is_tls13_suite(*cs),
                _ if is_tls13_suite(*cs) => false,
                _ if key_exchange(*cs) == KeyExchange::Other
                    && !name.contains("_anon_")
                    && !name.starts_with("TLS_NULL") =>
                {
                    false
                }
                TlsVersion::Tls10 | TlsVersion::Tls11 => !is_tls12_only(&name),
                TlsVersion::Tls12 => true,
            }
        })
        .collect()
}

/// The certificate facts that matter for suites: key and signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertKey {
    /// `RSA`, `EC P-256`, …
    pub key_type: String,
    /// Key size in bits, where known.
    pub key_bits: Option<u32>,
    /// Signature algorithm, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
}

impl CertKey {
    /// True for an RSA key shorter than 2048 bits.
    pub fn is_short_rsa(&self) -> bool {
        self.key_type == "RSA" && self.key_bits.is_some_and(|b| b < 2048)
    }

    /// True for a SHA-1 (or MD5) signature on the certificate.
    pub fn is_sha1_signed(&self) -> bool {
        let s = self.signature_algorithm.to_ascii_lowercase();
        s.contains("sha1") || s.contains("md5")
    }
}

/// One suite the server chose, with what came with that ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteSeen {
    /// The suite.
    pub suite: CipherSuite,
    /// ECDHE group (ServerKeyExchange) or TLS 1.3 key_share group.
    pub group: Option<NamedGroup>,
    /// DHE prime size in bits (ServerKeyExchange).
    pub dh_bits: Option<u32>,
    /// The leaf certificate sent with it (TLS ≤ 1.2 only: 1.3 encrypts it).
    pub cert: Option<CertKey>,
}

/// Whether the server imposes its own order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerOrder {
    /// The same suite won whether offered first or last: the server
    /// enforces its order; the list is in the server's preference order.
    Enforced,
    /// The server took the client's first choice: the list is in
    /// tlscheck's offer order, and a client decides what it gets.
    ClientOrder,
    /// Not established (fewer than two suites, or the test hello failed).
    Unknown,
}

impl ServerOrder {
    /// Stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Enforced => "server",
            Self::ClientOrder => "client",
            Self::Unknown => "unknown",
        }
    }
}

/// How the enumeration of one version ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanEnd {
    /// The server refused the remaining suites (alert, close, or a
    /// ServerHello of another version): the list is complete.
    Complete,
    /// Every candidate was accepted (nothing left to offer).
    Exhausted,
    /// The per-version bound of ClientHellos was reached first: the list
    /// holds what was seen, more suites may be accepted.
    Bound {
        /// The bound.
        hellos: usize,
    },
    /// The server misbehaved (chose a suite that was not offered, or one
    /// already removed): enumeration stopped; nothing unseen is claimed.
    Misbehaved(String),
    /// A ClientHello got no usable answer (timeout, garbled reply, SMTP
    /// failure, deadline, Ctrl-C): the list is incomplete.
    Incomplete(String),
}

impl ScanEnd {
    /// Stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Exhausted => "exhausted",
            Self::Bound { .. } => "bound",
            Self::Misbehaved(_) => "misbehaved",
            Self::Incomplete(_) => "incomplete",
        }
    }

    /// True when the accepted list is known to be the whole list.
    pub fn is_complete(&self) -> bool {
        matches!(self, Self::Complete | Self::Exhausted)
    }
}

/// The suites of one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionSuites {
    /// The version.
    pub version: TlsVersion,
    /// Accepted suites: server preference order when [`ServerOrder::Enforced`],
    /// else tlscheck's offer order.
    pub accepted: Vec<SuiteSeen>,
    /// Whether the server enforces its order.
    pub order: ServerOrder,
    /// How the enumeration ended.
    pub end: ScanEnd,
    /// What the server said to the hello that ended it (alert name,
    /// "closed", "answered TLS 1.2"), when it was a refusal.
    pub refusal: Option<String>,
    /// ClientHellos sent for this version (suites only).
    pub hellos: usize,
    /// The key-exchange groups the server accepts (TLS 1.2: for ECDHE;
    /// TLS 1.3), when they were enumerated.
    pub groups: Option<GroupList>,
}

/// The groups of one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupList {
    /// In the order the server chose them.
    pub accepted: Vec<NamedGroup>,
    /// How the group enumeration ended.
    pub end: ScanEnd,
    /// ClientHellos sent for it.
    pub hellos: usize,
}

/// The full enumeration of one server (`--ciphers`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CipherScan {
    /// One entry per version, in [`TlsVersion::ALL`] order.
    pub versions: Vec<VersionSuites>,
    /// Wall time of the enumeration in milliseconds.
    pub elapsed_ms: u64,
}

/// What one sender profile's ClientHello got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileOutcome {
    /// The server answered with a ServerHello choosing one of the
    /// profile's suites.
    Negotiated {
        /// The version it chose.
        version: TlsVersion,
        /// The suite and what came with it.
        suite: SuiteSeen,
    },
    /// The server refused the profile's hello: no common suite (or
    /// version) with this sender.
    Refused {
        /// What it said: the alert name, "closed the connection", or the
        /// version it answered instead.
        detail: String,
    },
    /// No conclusion: the hello got no usable answer, or the SMTP part
    /// failed before it. Never "does not support".
    Inconclusive {
        /// What happened.
        detail: String,
    },
}

impl ProfileOutcome {
    /// Stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Negotiated { .. } => "negotiated",
            Self::Refused { .. } => "refused",
            Self::Inconclusive { .. } => "inconclusive",
        }
    }
}

/// One sender profile tried against a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileCheck {
    /// The profile's id (`microsoft365`, `gmail`).
    pub profile: &'static str,
    /// What happened.
    pub outcome: ProfileOutcome,
}

/// Everything about suites for one server: the profile checks (always
/// Microsoft 365, plus `--profile`) and the enumeration (`--ciphers`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuiteObservation {
    /// One entry per profile tried.
    pub profiles: Vec<ProfileCheck>,
    /// The enumeration, when `--ciphers` asked for it.
    pub scan: Option<CipherScan>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_suites_by_name() {
        use CipherSuite as C;
        assert_eq!(
            key_exchange(C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
            KeyExchange::Ecdhe
        );
        assert_eq!(
            key_exchange(C::TLS_DHE_RSA_WITH_AES_128_CBC_SHA),
            KeyExchange::Dhe
        );
        assert_eq!(
            key_exchange(C::TLS_RSA_WITH_AES_128_CBC_SHA),
            KeyExchange::Rsa
        );
        assert_eq!(
            key_exchange(C::TLS13_AES_128_GCM_SHA256),
            KeyExchange::Tls13
        );
        assert_eq!(
            weaknesses(C::TLS_RSA_WITH_3DES_EDE_CBC_SHA),
            vec![SuiteWeakness::TripleDes]
        );
        assert_eq!(
            weaknesses(C::TLS_RSA_WITH_RC4_128_MD5),
            vec![SuiteWeakness::Rc4]
        );
        assert_eq!(
            weaknesses(C::TLS_RSA_WITH_NULL_SHA),
            vec![SuiteWeakness::Null]
        );
        assert!(weaknesses(C::TLS_RSA_EXPORT_WITH_RC4_40_MD5).contains(&SuiteWeakness::Export));
        assert!(weaknesses(C::TLS_DH_anon_WITH_AES_128_CBC_SHA).contains(&SuiteWeakness::Anonymous));
        assert!(weaknesses(C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384).is_empty());
        assert!(needs_ecdsa_certificate(
            C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        ));
    }

    #[test]
    fn candidate_lists_fit_their_version() {
        let v10 = candidates(TlsVersion::Tls10);
        let v12 = candidates(TlsVersion::Tls12);
        let v13 = candidates(TlsVersion::Tls13);
        assert_eq!(v13.len(), 5);
        assert!(v12.len() > v10.len());
        assert!(v10.contains(&CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA));
        assert!(!v10.contains(&CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256));
        assert!(v12.contains(&CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256));
        assert!(v12.contains(&CipherSuite::TLS_RSA_WITH_NULL_SHA));
        assert!(!v12.contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV));
        assert!(!v12.iter().any(|c| cipher_name(*c).contains("PSK")));
        assert!(!v12.iter().any(|c| is_tls13_suite(*c)));
    }
}
