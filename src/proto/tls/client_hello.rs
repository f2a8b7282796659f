//! The ClientHello (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2): tlscheck's own
//! probe hellos, each pinned to one TLS version, and the server-side parse of
//! anybody's ClientHello (for a listener that reports what senders offer).
//!
//! Pure codec: no randomness is drawn here (the caller passes the random and
//! the key share), no IO. Encoding a hello as records is offered for the
//! probe; reading works on the handshake body that `record::RecordReader`
//! reassembled.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::enums::{
    is_grease, CipherSuite, Compression, ContentType, EcPointFormat, ExtensionType, HandshakeType,
    NamedGroup, SignatureScheme,
};
use super::record::{encode_records, HandshakeMessage, HANDSHAKE_HEADER_LEN};
use super::writer::{length_prefixed, put_u16, LengthPrefix};
use super::{Codec, Reader, Result, WireError};
use crate::proto::tls::TlsVersion;

/// RFC 5246 §7.4.1.2: `Random random` is 32 bytes.
pub const RANDOM_LEN: usize = 32;

/// RFC 5246 §7.4.1.2: `SessionID session_id<0..32>`.
pub const MAX_SESSION_ID_LEN: usize = 32;

/// RFC 8446 §5.1: the record version of an initial ClientHello is 0x0301
/// "for compatibility purposes", whatever the version offered. Real clients
/// do the same for TLS 1.0–1.2, and some servers drop other values.
pub const HELLO_RECORD_VERSION: u16 = 0x0301;

/// RFC 8446 §4.1.2: a TLS 1.3 ClientHello says TLS 1.2 in
/// `legacy_version` and lists 1.3 in supported_versions.
pub const TLS13_LEGACY_VERSION: u16 = 0x0303;

/// RFC 6066 §3: `NameType host_name(0)`.
pub const SNI_HOST_NAME: u8 = 0;

/// RFC 6066 §3: a host name is at most 255 bytes here; DNS names are
/// at most 253 characters without the trailing dot.
pub const MAX_SNI_LEN: usize = 253;

/// RFC 7685 §4: some servers (F5 BIG-IP) hang on ClientHellos whose
/// handshake message is 256–511 bytes long; clients pad them to 512.
/// See: <https://datatracker.ietf.org/doc/html/rfc7685#section-4>
pub const PADDING_BUG_RANGE: std::ops::Range<usize> = 256..512;

/// RFC 8446 §4.2: an extension header is `type(2) length(2)`.
pub const EXTENSION_HEADER_LEN: usize = 4;

/// Cipher suites for the TLS 1.0 and 1.1 probes: every non-export,
/// non-NULL, non-anonymous CBC/3DES/RC4 suite with ECDHE, DHE or RSA key
/// exchange that old servers are known to pick, strongest first. A server
/// that speaks the version should find one in common.
pub const LEGACY_CIPHER_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_SEED_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_CAMELLIA_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_CAMELLIA_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_SEED_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_RC4_128_SHA,
    CipherSuite::TLS_RSA_WITH_RC4_128_SHA,
    CipherSuite::TLS_RSA_WITH_RC4_128_MD5,
];

/// Cipher suites only TLS 1.2 defines (AEAD and SHA-2 MACs), offered before
/// [`LEGACY_CIPHER_SUITES`] in the TLS 1.2 probe.
pub const TLS12_ONLY_CIPHER_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_CCM,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CCM,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384,
    CipherSuite::TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_CCM,
    CipherSuite::TLS_RSA_WITH_AES_128_CCM,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256,
    CipherSuite::TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256,
];

/// RFC 8446 §B.4: the five TLS 1.3 cipher suites.
pub const TLS13_CIPHER_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS13_AES_128_CCM_SHA256,
    CipherSuite::TLS13_AES_128_CCM_8_SHA256,
];

/// Groups offered to TLS 1.0–1.2: elliptic curves only. Listing any FFDHE
/// group would oblige an RFC 7919 §4 server whose own DH group is not listed
/// to refuse every DHE suite, turning away servers that would otherwise
/// answer.
pub const LEGACY_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
    NamedGroup::secp521r1,
    NamedGroup::X448,
];

/// Groups offered to TLS 1.3 (RFC 8446 §4.2.7): the curves plus the RFC
/// 7919 FFDHE groups. A server preferring another group than x25519 answers
/// with a HelloRetryRequest, which still proves TLS 1.3.
pub const TLS13_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
    NamedGroup::secp521r1,
    NamedGroup::X448,
    NamedGroup::FFDHE2048,
    NamedGroup::FFDHE3072,
    NamedGroup::FFDHE4096,
];

/// Signature schemes offered to TLS 1.2 and 1.3, SHA-1 last for old
/// servers whose certificates or code know nothing newer.
pub const SIGNATURE_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ECDSA_NISTP521_SHA512,
    SignatureScheme::ED25519,
    SignatureScheme::ED448,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA1,
    SignatureScheme::ECDSA_SHA1_Legacy,
];

/// One entry of the server_name extension (RFC 6066 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerNameEntry {
    /// `NameType`; 0 is `host_name`, the only one defined.
    pub name_type: u8,
    /// The name as sent (not necessarily UTF-8).
    pub name: Vec<u8>,
}

/// One key share (RFC 8446 §4.2.8 `KeyShareEntry`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The group.
    pub group: NamedGroup,
    /// The public value.
    pub key_exchange: Vec<u8>,
}

/// A ClientHello extension, decoded where tlscheck has a use for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientExtension {
    /// RFC 6066 §3 server_name.
    ServerName(Vec<ServerNameEntry>),
    /// RFC 8422 §5.1.1 / RFC 8446 §4.2.7 supported_groups.
    SupportedGroups(Vec<NamedGroup>),
    /// RFC 8422 §5.1.2 ec_point_formats.
    EcPointFormats(Vec<EcPointFormat>),
    /// RFC 5246 §7.4.1.4.1 / RFC 8446 §4.2.3 signature_algorithms.
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// RFC 7627 extended_master_secret (empty).
    ExtendedMasterSecret,
    /// RFC 5746 §3.2 renegotiation_info (empty on an initial handshake).
    RenegotiationInfo(Vec<u8>),
    /// RFC 8446 §4.2.1 supported_versions (wire numbers, in order).
    SupportedVersions(Vec<u16>),
    /// RFC 8446 §4.2.8 key_share.
    KeyShare(Vec<KeyShareEntry>),
    /// RFC 7685 padding of this many zero bytes.
    Padding(usize),
    /// Any other extension (or a padding extension that is not all zeros),
    /// kept verbatim.
    Unknown {
        /// The extension type.
        typ: ExtensionType,
        /// Its body.
        body: Vec<u8>,
    },
}

impl ClientExtension {
    /// The extension's type.
    pub fn typ(&self) -> ExtensionType {
        match self {
            Self::ServerName(_) => ExtensionType::ServerName,
            Self::SupportedGroups(_) => ExtensionType::SupportedGroups,
            Self::EcPointFormats(_) => ExtensionType::EcPointFormats,
            Self::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            Self::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            Self::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            Self::SupportedVersions(_) => ExtensionType::SupportedVersions,
            Self::KeyShare(_) => ExtensionType::KeyShare,
            Self::Padding(_) => ExtensionType::Padding,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::ServerName(entries) => length_prefixed(out, LengthPrefix::U16, |o| {
                for e in entries {
                    o.push(e.name_type);
                    length_prefixed(o, LengthPrefix::U16, |o| o.extend_from_slice(&e.name));
                }
            }),
            Self::SupportedGroups(groups) => length_prefixed(out, LengthPrefix::U16, |o| {
                groups.iter().for_each(|g| g.encode(o));
            }),
            Self::EcPointFormats(formats) => length_prefixed(out, LengthPrefix::U8, |o| {
                formats.iter().for_each(|f| f.encode(o));
            }),
            Self::SignatureAlgorithms(schemes) => length_prefixed(out, LengthPrefix::U16, |o| {
                schemes.iter().for_each(|s| s.encode(o));
            }),
            Self::ExtendedMasterSecret => {}
            Self::RenegotiationInfo(info) => {
                length_prefixed(out, LengthPrefix::U8, |o| o.extend_from_slice(info));
            }
            Self::SupportedVersions(versions) => length_prefixed(out, LengthPrefix::U8, |o| {
                versions.iter().for_each(|v| put_u16(o, *v));
            }),
            Self::KeyShare(shares) => length_prefixed(out, LengthPrefix::U16, |o| {
                for s in shares {
                    s.group.encode(o);
                    length_prefixed(o, LengthPrefix::U16, |o| {
                        o.extend_from_slice(&s.key_exchange);
                    });
                }
            }),
            Self::Padding(n) => out.extend(std::iter::repeat_n(0, *n)),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    /// Reads the body of an extension of type `typ`; `r` holds exactly the
    /// body.
    fn read_body(typ: ExtensionType, r: &mut Reader<'_>) -> Result<Self> {
        let ext = match typ {
            ExtensionType::ServerName => {
                const WHAT: &str = "server_name";
                let mut list = r.sub_u16(WHAT)?;
                if list.is_empty() {
                    return Err(WireError::Empty(WHAT));
                }
                let mut entries = Vec::new();
                while !list.is_empty() {
                    let name_type = list.u8(WHAT)?;
                    let name = list.sub_u16(WHAT)?.rest().to_vec();
                    entries.push(ServerNameEntry { name_type, name });
                }
                Self::ServerName(entries)
            }
            ExtensionType::SupportedGroups => {
                let groups = non_empty_u16s(r.sub_u16("supported_groups")?, "supported_groups")?;
                Self::SupportedGroups(groups.into_iter().map(NamedGroup::from).collect())
            }
            ExtensionType::EcPointFormats => {
                let formats = r.sub_u8("ec_point_formats")?.rest();
                if formats.is_empty() {
                    return Err(WireError::Empty("ec_point_formats"));
                }
                Self::EcPointFormats(formats.iter().map(|f| EcPointFormat::from(*f)).collect())
            }
            ExtensionType::SignatureAlgorithms => {
                const WHAT: &str = "signature_algorithms";
                let schemes = non_empty_u16s(r.sub_u16(WHAT)?, WHAT)?;
                Self::SignatureAlgorithms(schemes.into_iter().map(SignatureScheme::from).collect())
            }
            ExtensionType::ExtendedMasterSecret => Self::ExtendedMasterSecret,
            ExtensionType::RenegotiationInfo => {
                Self::RenegotiationInfo(r.sub_u8("renegotiation_info")?.rest().to_vec())
            }
            ExtensionType::SupportedVersions => {
                const WHAT: &str = "supported_versions";
                Self::SupportedVersions(non_empty_u16s(r.sub_u8(WHAT)?, WHAT)?)
            }
            ExtensionType::KeyShare => {
                const WHAT: &str = "key_share";
                let mut list = r.sub_u16(WHAT)?;
                let mut shares = Vec::new();
                while !list.is_empty() {
                    let group = NamedGroup::from(list.u16(WHAT)?);
                    let key_exchange = list.sub_u16(WHAT)?.rest().to_vec();
                    if key_exchange.is_empty() {
                        return Err(WireError::Empty("key_exchange"));
                    }
                    shares.push(KeyShareEntry {
                        group,
                        key_exchange,
                    });
                }
                Self::KeyShare(shares)
            }
            ExtensionType::Padding if r.peek_rest().iter().all(|b| *b == 0) => {
                Self::Padding(r.rest().len())
            }
            _ => Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        };
        Ok(ext)
    }
}

fn non_empty_u16s(mut r: Reader<'_>, what: &'static str) -> Result<Vec<u16>> {
    let list = r.u16s(what)?;
    if list.is_empty() {
        return Err(WireError::Empty(what));
    }
    Ok(list)
}

/// What a hello offers besides its version: the cipher suites, groups and
/// signature schemes, each in the order of preference sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelloShape<'a> {
    /// `cipher_suites`, most preferred first.
    pub cipher_suites: &'a [CipherSuite],
    /// supported_groups (left out when empty).
    pub groups: &'a [NamedGroup],
    /// signature_algorithms for TLS 1.2+ (left out when empty).
    pub signature_schemes: &'a [SignatureScheme],
}

/// A ClientHello body (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// `client_version` / `legacy_version` (wire number).
    pub client_version: u16,
    /// `random`.
    pub random: [u8; RANDOM_LEN],
    /// `legacy_session_id`, at most 32 bytes.
    pub session_id: Vec<u8>,
    /// `cipher_suites`, in the client's order of preference.
    pub cipher_suites: Vec<CipherSuite>,
    /// `compression_methods`.
    pub compression_methods: Vec<Compression>,
    /// `extensions`, in wire order. Empty means the field was absent (a
    /// TLS 1.0 client may omit it) or empty; both encode as absent.
    pub extensions: Vec<ClientExtension>,
}

impl ClientHello {
    /// tlscheck's probe hello, accepting exactly one version.
    ///
    /// TLS 1.0–1.2 hellos carry that version in `client_version` and no
    /// supported_versions, so a server that cannot speak it must refuse or
    /// answer with another version. The TLS 1.3 hello says 0x0303 and lists
    /// only 0x0304 in supported_versions, with an x25519 key share.
    /// The cipher list is wide for the version (see the `*_CIPHER_SUITES`
    /// consts) and never holds TLS_FALLBACK_SCSV, which would make a server
    /// that supports a higher version refuse with `inappropriate_fallback`.
    /// signature_algorithms is left out of the 1.0/1.1 hellos (RFC 5246
    /// §7.4.1.4.1: "Clients MUST NOT offer it if they are offering prior
    /// versions"). SNI is sent only for a DNS name, never for an address
    /// literal (RFC 6066 §3).
    pub fn for_probe(
        version: TlsVersion,
        server_name: Option<&str>,
        random: [u8; RANDOM_LEN],
        key_share_x25519: [u8; 32],
    ) -> ClientHello {
        let cipher_suites = match version {
            TlsVersion::Tls10 | TlsVersion::Tls11 => LEGACY_CIPHER_SUITES.to_vec(),
            TlsVersion::Tls12 => [TLS12_ONLY_CIPHER_SUITES, LEGACY_CIPHER_SUITES].concat(),
            TlsVersion::Tls13 => TLS13_CIPHER_SUITES.to_vec(),
        };
        let groups = match version {
            TlsVersion::Tls13 => TLS13_GROUPS,
            _ => LEGACY_GROUPS,
        };
        Self::with_suites(
            version,
            server_name,
            &HelloShape {
                cipher_suites: &cipher_suites,
                groups,
                signature_schemes: SIGNATURE_SCHEMES,
            },
            random,
            key_share_x25519,
        )
    }

    /// A hello pinned to `version` that offers exactly `shape`'s suites,
    /// groups and signature schemes, in that order: the building block of
    /// suite enumeration and of sender profiles (tlscheck's own codec, so
    /// any suite can be offered, including ones rustls does not implement).
    ///
    /// The rest is as in [`ClientHello::for_probe`]: no TLS_FALLBACK_SCSV,
    /// signature_algorithms only from TLS 1.2 on (and left out when
    /// `shape` lists none), SNI only for a DNS name, padding past the F5
    /// range. A TLS 1.3 hello carries an x25519 key share only when
    /// x25519 is among the groups; otherwise its key_share list is empty
    /// and a TLS 1.3 server answers with a HelloRetryRequest naming its
    /// group (RFC 8446 §4.2.8), which still shows the suite it chose.
    pub fn with_suites(
        version: TlsVersion,
        server_name: Option<&str>,
        shape: &HelloShape<'_>,
        random: [u8; RANDOM_LEN],
        key_share_x25519: [u8; 32],
    ) -> ClientHello {
        let client_version = match version {
            TlsVersion::Tls13 => TLS13_LEGACY_VERSION,
            other => other.wire(),
        };
        let mut extensions = Vec::new();
        if let Some(name) = server_name.and_then(sni_host_name) {
            extensions.push(ClientExtension::ServerName(vec![ServerNameEntry {
                name_type: SNI_HOST_NAME,
                name: name.as_bytes().to_vec(),
            }]));
        }
        extensions.push(ClientExtension::EcPointFormats(vec![
            EcPointFormat::Uncompressed,
        ]));
        if !shape.groups.is_empty() {
            extensions.push(ClientExtension::SupportedGroups(shape.groups.to_vec()));
        }
        if version >= TlsVersion::Tls12 && !shape.signature_schemes.is_empty() {
            extensions.push(ClientExtension::SignatureAlgorithms(
                shape.signature_schemes.to_vec(),
            ));
        }
        // RFC 7627: harmless to servers that ignore it; FIPS-mode servers
        // refuse TLS 1.0-1.2 handshakes without it.
        extensions.push(ClientExtension::ExtendedMasterSecret);
        extensions.push(ClientExtension::RenegotiationInfo(Vec::new()));
        if version == TlsVersion::Tls13 {
            extensions.push(ClientExtension::SupportedVersions(vec![
                TlsVersion::Tls13.wire()
            ]));
            let shares = if shape.groups.contains(&NamedGroup::X25519) {
                vec![KeyShareEntry {
                    group: NamedGroup::X25519,
                    key_exchange: key_share_x25519.to_vec(),
                }]
            } else {
                Vec::new()
            };
            extensions.push(ClientExtension::KeyShare(shares));
        }
        let mut hello = ClientHello {
            client_version,
            random,
            session_id: Vec::new(),
            cipher_suites: shape.cipher_suites.to_vec(),
            compression_methods: vec![Compression::Null],
            extensions,
        };
        hello.pad();
        hello
    }

    /// A hello offering TLS 1.3 and TLS 1.2 at once, as a sender profile
    /// does: `legacy_version` 0x0303, supported_versions `[1.3, 1.2]`, the
    /// TLS 1.3 suites of `shape` first and then its TLS 1.2 suites
    /// (`shape.cipher_suites` holds both). Otherwise as
    /// [`ClientHello::with_suites`] for TLS 1.3.
    pub fn with_suites_tls13_and_12(
        server_name: Option<&str>,
        shape: &HelloShape<'_>,
        random: [u8; RANDOM_LEN],
        key_share_x25519: [u8; 32],
    ) -> ClientHello {
        let mut hello = Self::with_suites(
            TlsVersion::Tls13,
            server_name,
            shape,
            random,
            key_share_x25519,
        );
        hello
            .extensions
            .retain(|e| !matches!(e, ClientExtension::Padding(_)));
        for e in &mut hello.extensions {
            if let ClientExtension::SupportedVersions(v) = e {
                *v = vec![TlsVersion::Tls13.wire(), TlsVersion::Tls12.wire()];
            }
        }
        hello.pad();
        hello
    }

    /// Adds an RFC 7685 padding extension when the handshake message
    /// would fall in [`PADDING_BUG_RANGE`].
    fn pad(&mut self) {
        let len = HANDSHAKE_HEADER_LEN + self.to_bytes().len();
        if PADDING_BUG_RANGE.contains(&len) {
            let pad = PADDING_BUG_RANGE
                .end
                .saturating_sub(len + EXTENSION_HEADER_LEN)
                .max(1);
            self.extensions.push(ClientExtension::Padding(pad));
        }
    }

    /// The hello as a handshake message in TLS records with record version
    /// [`HELLO_RECORD_VERSION`]: the bytes to write to the socket.
    pub fn to_record(&self) -> Vec<u8> {
        let msg = HandshakeMessage {
            typ: HandshakeType::ClientHello,
            body: self.to_bytes(),
        };
        let mut out = Vec::new();
        encode_records(
            ContentType::Handshake,
            HELLO_RECORD_VERSION,
            &msg.to_bytes(),
            &mut out,
        );
        out
    }

    /// The versions offered, exactly as on the wire: the supported_versions
    /// list if present, else `[client_version]`. (A `client_version` of
    /// 0x0303 also implies 1.0 and 1.1; that is not guessed here.)
    pub fn offered_versions(&self) -> Vec<u16> {
        match self.supported_versions() {
            Some(list) => list.to_vec(),
            None => vec![self.client_version],
        }
    }

    /// The highest version offered: the largest non-GREASE entry of
    /// supported_versions if there is one (RFC 8446 §4.2.1: it then
    /// replaces `client_version`), else `client_version`.
    pub fn highest_version(&self) -> u16 {
        self.supported_versions()
            .and_then(|list| list.iter().copied().filter(|v| !is_grease(*v)).max())
            .unwrap_or(self.client_version)
    }

    /// The first host_name of the server_name extension, if it is UTF-8.
    pub fn server_name(&self) -> Option<&str> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::ServerName(entries) => entries
                .iter()
                .find(|n| n.name_type == SNI_HOST_NAME)
                .and_then(|n| std::str::from_utf8(&n.name).ok()),
            _ => None,
        })
    }

    /// The supported_versions list, if the extension is present.
    pub fn supported_versions(&self) -> Option<&[u16]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SupportedVersions(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// The supported_groups list, if the extension is present.
    pub fn supported_groups(&self) -> Option<&[NamedGroup]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SupportedGroups(g) => Some(g.as_slice()),
            _ => None,
        })
    }

    /// The signature_algorithms list, if the extension is present.
    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SignatureAlgorithms(s) => Some(s.as_slice()),
            _ => None,
        })
    }

    /// The groups of the key_share extension (empty if absent).
    pub fn key_share_groups(&self) -> Vec<NamedGroup> {
        self.extensions
            .iter()
            .find_map(|e| match e {
                ClientExtension::KeyShare(shares) => Some(shares.iter().map(|s| s.group).collect()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The extension types in wire order.
    pub fn extension_types(&self) -> Vec<ExtensionType> {
        self.extensions.iter().map(ClientExtension::typ).collect()
    }
}

/// The name to put in SNI, if `name` may go there: a DNS name in A-label
/// form (letters, digits, `-`, `_`, `.`), without the trailing dot (RFC 6066
/// §3), and not an address literal ("Literal IPv4 and IPv6 addresses are not
/// permitted in HostName").
fn sni_host_name(name: &str) -> Option<&str> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let usable = !name.is_empty()
        && name.len() <= MAX_SNI_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.parse::<IpAddr>().is_err();
    usable.then_some(name)
}

impl Codec for ClientHello {
    const NAME: &'static str = "ClientHello";

    fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.client_version);
        out.extend_from_slice(&self.random);
        length_prefixed(out, LengthPrefix::U8, |o| {
            o.extend_from_slice(&self.session_id);
        });
        length_prefixed(out, LengthPrefix::U16, |o| {
            self.cipher_suites.iter().for_each(|c| c.encode(o));
        });
        length_prefixed(out, LengthPrefix::U8, |o| {
            self.compression_methods.iter().for_each(|c| c.encode(o));
        });
        if !self.extensions.is_empty() {
            length_prefixed(out, LengthPrefix::U16, |o| {
                for e in &self.extensions {
                    e.typ().encode(o);
                    length_prefixed(o, LengthPrefix::U16, |o| e.encode_body(o));
                }
            });
        }
    }

    /// Reads a ClientHello body; the extensions block is optional, so the
    /// reader must hold exactly one body (as a handshake message gives it).
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let client_version = r.u16(Self::NAME)?;
        let random = r.array::<RANDOM_LEN>(Self::NAME)?;
        let session_id = read_session_id(r, Self::NAME)?;
        let suites = non_empty_u16s(r.sub_u16(Self::NAME)?, "cipher_suites")?;
        let compression = r.sub_u8(Self::NAME)?.rest();
        if compression.is_empty() {
            return Err(WireError::Empty("compression_methods"));
        }
        let mut extensions = Vec::new();
        if !r.is_empty() {
            let mut block = r.sub_u16(Self::NAME)?;
            let mut seen = BTreeSet::new();
            while !block.is_empty() {
                let typ = ExtensionType::read(&mut block)?;
                if !seen.insert(u16::from(typ)) {
                    return Err(WireError::DuplicateExtension(u16::from(typ)));
                }
                let mut body = block.sub_u16("ClientHello extension")?;
                extensions.push(ClientExtension::read_body(typ, &mut body)?);
                body.expect_empty("ClientHello extension")?;
            }
        }
        Ok(Self {
            client_version,
            random,
            session_id,
            cipher_suites: suites.into_iter().map(CipherSuite::from).collect(),
            compression_methods: compression.iter().map(|c| Compression::from(*c)).collect(),
            extensions,
        })
    }
}

/// Reads `session_id<0..32>`, shared with ServerHello.
pub(super) fn read_session_id(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<u8>> {
    let id = r.sub_u8(what)?.rest();
    if id.len() > MAX_SESSION_ID_LEN {
        return Err(WireError::TooLarge {
            what: "session_id",
            len: id.len(),
            max: MAX_SESSION_ID_LEN,
        });
    }
    Ok(id.to_vec())
}

#[cfg(test)]
mod tests;
