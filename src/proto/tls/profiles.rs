//! Sender profiles: the documented ClientHello shape of a big mail sender
//! (versions, cipher suites and, where documented, groups and signature
//! schemes), each with its source and the date of that source. Data only:
//! `net::probe::profile` sends a profile's hello, `diagnose::profiles` judges the
//! answer, `tlscheck profiles` lists them.
//!
//! Nothing here is guessed: where a provider does not document a part of
//! its hello, the profile says so in `undocumented`, and tlscheck fills
//! that part with a neutral choice named there.

use rustls::{CipherSuite, NamedGroup, SignatureScheme};

use crate::proto::tls::TlsVersion;

/// A documented sender.
#[derive(Debug, PartialEq, Eq)]
pub struct Profile {
    /// Stable id for `--profile` and JSON (`microsoft365`).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// The primary source the lists come from.
    pub source: &'static str,
    /// Its address.
    pub url: &'static str,
    /// The date the source gives for its list.
    pub source_date: &'static str,
    /// Versions the hello offers, highest first.
    pub versions: &'static [TlsVersion],
    /// TLS 1.2 suites in the documented order.
    pub tls12_suites: &'static [CipherSuite],
    /// TLS 1.3 suites, empty when TLS 1.3 is not documented.
    pub tls13_suites: &'static [CipherSuite],
    /// The groups offered (documented, or the neutral choice named in
    /// `undocumented`).
    pub groups: &'static [NamedGroup],
    /// The signature schemes offered (idem).
    pub signature_schemes: &'static [SignatureScheme],
    /// What the source does not document, and what tlscheck sends instead.
    pub undocumented: &'static [&'static str],
}

/// Groups sent where a provider documents none: the curves every
/// Schannel and OpenSSL build offers by default (RFC 8422 / RFC 7748).
const COMMON_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

/// Signature schemes sent where a provider documents none: RSA and ECDSA
/// with SHA-2, plus RSA-PSS, and SHA-1 last for old certificates'
/// servers.
const COMMON_SIGNATURE_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::RSA_PKCS1_SHA1,
];

/// Microsoft 365: "TLS 1.2 cipher suites supported by Microsoft 365",
/// strongest first, from Microsoft Purview "Technical reference details
/// about encryption" (dated 2023-06-14): "Clients and servers that
/// communicate with Microsoft 365 must support one or more of the
/// supported ciphers." No ECDSA suite, no ChaCha20, no DHE.
/// See: <https://learn.microsoft.com/en-us/purview/technical-reference-details-about-encryption>
pub const MICROSOFT365_TLS12: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
];

/// The Microsoft 365 (Exchange Online) profile.
pub const MICROSOFT365: Profile = Profile {
    id: "microsoft365",
    name: "Microsoft 365 (Exchange Online)",
    source: "Microsoft Purview, \"Technical reference details about encryption\", TLS 1.2 cipher suites supported by Microsoft 365",
    url: "https://learn.microsoft.com/en-us/purview/technical-reference-details-about-encryption",
    source_date: "2023-06-14",
    versions: &[TlsVersion::Tls12],
    tls12_suites: MICROSOFT365_TLS12,
    tls13_suites: &[],
    groups: COMMON_GROUPS,
    signature_schemes: COMMON_SIGNATURE_SCHEMES,
    undocumented: &[
        "TLS 1.3 for Exchange Online SMTP is not documented in this source; the profile offers TLS 1.2 only",
        "the elliptic curves (groups) Exchange Online offers are not documented; tlscheck offers x25519, secp256r1, secp384r1",
        "the signature algorithms are not documented; tlscheck offers RSA-PSS, RSA PKCS#1 and ECDSA with SHA-2, and RSA PKCS#1 SHA-1 last",
    ],
};

/// Gmail: "Ciphers for TLS negotiation" that Google's SMTP servers accept
/// (list updated March 2023), Google Workspace Admin Help answer 9795993,
/// "Ciphers for Gmail SMTP TLS connections", TLS 1.2 section in the
/// page's order.
/// See: <https://support.google.com/a/answer/9795993>
pub const GMAIL_TLS12: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
];

/// Gmail's TLS 1.3 suites (same source).
pub const GMAIL_TLS13: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
];

/// The Gmail profile.
pub const GMAIL: Profile = Profile {
    id: "gmail",
    name: "Gmail",
    source: "Google Workspace Admin Help, \"Ciphers for Gmail SMTP TLS connections\" (answer 9795993), ciphers for TLS negotiation",
    url: "https://support.google.com/a/answer/9795993",
    source_date: "2023-03",
    versions: &[TlsVersion::Tls13, TlsVersion::Tls12],
    tls12_suites: GMAIL_TLS12,
    tls13_suites: GMAIL_TLS13,
    groups: COMMON_GROUPS,
    signature_schemes: COMMON_SIGNATURE_SCHEMES,
    undocumented: &[
        "the list is the one Google's SMTP servers accept; the page's separate outbound preference list is not reproduced here",
        "the groups Gmail offers are not documented; tlscheck offers x25519, secp256r1, secp384r1",
        "the signature algorithms are not documented; tlscheck offers RSA-PSS, RSA PKCS#1 and ECDSA with SHA-2, and RSA PKCS#1 SHA-1 last",
        "TLS 1.0/1.1 are listed too; tlscheck offers the profile at TLS 1.3 and TLS 1.2 only",
    ],
};

/// Every profile, Microsoft 365 first.
pub const ALL: &[&Profile] = &[&MICROSOFT365, &GMAIL];

/// The profile with this id (case-insensitive; `office365`, `o365`, `m365`
/// and `exchange-online` name Microsoft 365).
pub fn by_id(id: &str) -> Option<&'static Profile> {
    let id = id.to_ascii_lowercase();
    let id = match id.as_str() {
        "office365" | "o365" | "m365" | "exchange-online" | "exo" => "microsoft365",
        other => other,
    };
    ALL.iter().copied().find(|p| p.id == id)
}

/// The display name of a profile id (`unknown profile` for an id no
/// profile has).
pub fn name_of(id: &str) -> &'static str {
    by_id(id).map_or("unknown profile", |p| p.name)
}

impl Profile {
    /// The suites this profile offers at `version` (empty when it does not
    /// offer the version).
    pub fn suites(&self, version: TlsVersion) -> &'static [CipherSuite] {
        if !self.versions.contains(&version) {
            return &[];
        }
        match version {
            TlsVersion::Tls13 => self.tls13_suites,
            TlsVersion::Tls12 => self.tls12_suites,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft365_lists_the_eight_documented_suites_and_no_ecdsa_or_chacha() {
        assert_eq!(MICROSOFT365.tls12_suites.len(), 8);
        assert!(MICROSOFT365.tls13_suites.is_empty());
        for s in MICROSOFT365.tls12_suites {
            let n = crate::proto::tls::cipher_name(*s);
            assert!(!n.contains("ECDSA") && !n.contains("CHACHA"), "{n}");
        }
    }

    #[test]
    fn profiles_are_found_by_id_and_alias() {
        assert_eq!(by_id("Office365").map(|p| p.id), Some("microsoft365"));
        assert_eq!(by_id("gmail").map(|p| p.id), Some("gmail"));
        assert!(by_id("yahoo").is_none());
    }
}
