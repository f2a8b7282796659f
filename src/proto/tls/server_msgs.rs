//! The messages a server sends in reply to a ClientHello, up to the point a
//! probe can read them: ServerHello (and HelloRetryRequest), the TLS ≤ 1.2
//! Certificate, ServerKeyExchange (kept raw but for its ECDHE group) and
//! ServerHelloDone. Also [`parse_server_flight`], which decodes a whole
//! captured reply in one call (fixtures, fuzzing).
//!
//! Pure codec: it reports what the server said and never judges it; whether a
//! version or cipher is acceptable is decided in `net::tls::legacy`.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use super::client_hello::{read_session_id, KeyShareEntry, RANDOM_LEN};
use super::enums::{
    CipherSuite, Compression, ContentType, EcPointFormat, ExtensionType, HandshakeType, NamedGroup,
};
use super::record::{Alert, HandshakeMessage, Item, RecordReader};
use super::writer::{length_prefixed, put_u16, LengthPrefix};
use super::{Codec, Reader, Result, WireError};

/// RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is
/// SHA-256("HelloRetryRequest").
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; RANDOM_LEN] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// RFC 8446 §4.1.3: the last 8 bytes of the ServerHello random of a TLS 1.3
/// server that negotiated TLS 1.2 ("DOWNGRD" 01).
pub const DOWNGRADE_SENTINEL_TLS12: [u8; 8] = *b"DOWNGRD\x01";

/// RFC 8446 §4.1.3: the same for TLS 1.1 or below ("DOWNGRD" 00).
pub const DOWNGRADE_SENTINEL_TLS11: [u8; 8] = *b"DOWNGRD\x00";

/// RFC 8422 §5.4: `ECCurveType named_curve(3)`, the first byte of an ECDHE
/// ServerKeyExchange.
pub const EC_CURVE_TYPE_NAMED_CURVE: u8 = 3;

/// tlscheck's bound on certificates in one Certificate message. Real chains
/// have 1–5; the handshake size bound limits the bytes.
pub const MAX_CERTIFICATES: usize = 32;

/// A ServerHello extension, decoded where tlscheck has a use for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExtension {
    /// RFC 8446 §4.2.1: the version the server selected.
    SupportedVersions(u16),
    /// RFC 8446 §4.2.8: the server's key share (ServerHello).
    KeyShare(KeyShareEntry),
    /// RFC 8446 §4.2.8: the group the server asks for (HelloRetryRequest).
    SelectedGroup(NamedGroup),
    /// RFC 5746 §3.6 renegotiation_info.
    RenegotiationInfo(Vec<u8>),
    /// RFC 8422 §5.2 ec_point_formats.
    EcPointFormats(Vec<EcPointFormat>),
    /// RFC 7627 extended_master_secret (empty).
    ExtendedMasterSecret,
    /// RFC 6066 §3: the empty server_name acknowledgement.
    ServerName,
    /// Any other extension, kept verbatim.
    Unknown {
        /// The extension type.
        typ: ExtensionType,
        /// Its body.
        body: Vec<u8>,
    },
}

impl ServerExtension {
    /// The extension's type.
    pub fn typ(&self) -> ExtensionType {
        match self {
            Self::SupportedVersions(_) => ExtensionType::SupportedVersions,
            Self::KeyShare(_) | Self::SelectedGroup(_) => ExtensionType::KeyShare,
            Self::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            Self::EcPointFormats(_) => ExtensionType::EcPointFormats,
            Self::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            Self::ServerName => ExtensionType::ServerName,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::SupportedVersions(v) => put_u16(out, *v),
            Self::KeyShare(share) => {
                share.group.encode(out);
                length_prefixed(out, LengthPrefix::U16, |o| {
                    o.extend_from_slice(&share.key_exchange);
                });
            }
            Self::SelectedGroup(g) => g.encode(out),
            Self::RenegotiationInfo(info) => {
                length_prefixed(out, LengthPrefix::U8, |o| o.extend_from_slice(info));
            }
            Self::EcPointFormats(formats) => length_prefixed(out, LengthPrefix::U8, |o| {
                formats.iter().for_each(|f| f.encode(o));
            }),
            Self::ExtendedMasterSecret | Self::ServerName => {}
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    /// Reads the body of an extension of type `typ` in a ServerHello (or a
    /// HelloRetryRequest when `hrr`); `r` holds exactly the body.
    fn read_body(typ: ExtensionType, hrr: bool, r: &mut Reader<'_>) -> Result<Self> {
        const WHAT: &str = "ServerHello extension";
        let ext = match typ {
            ExtensionType::SupportedVersions => Self::SupportedVersions(r.u16(WHAT)?),
            ExtensionType::KeyShare if hrr => Self::SelectedGroup(NamedGroup::read(r)?),
            ExtensionType::KeyShare => {
                let group = NamedGroup::read(r)?;
                let key_exchange = r.sub_u16(WHAT)?.rest().to_vec();
                if key_exchange.is_empty() {
                    return Err(WireError::Empty("key_exchange"));
                }
                Self::KeyShare(KeyShareEntry {
                    group,
                    key_exchange,
                })
            }
            ExtensionType::RenegotiationInfo => {
                Self::RenegotiationInfo(r.sub_u8(WHAT)?.rest().to_vec())
            }
            ExtensionType::EcPointFormats => {
                let formats = r.sub_u8(WHAT)?.rest();
                if formats.is_empty() {
                    return Err(WireError::Empty("ec_point_formats"));
                }
                Self::EcPointFormats(formats.iter().map(|f| EcPointFormat::from(*f)).collect())
            }
            ExtensionType::ExtendedMasterSecret => Self::ExtendedMasterSecret,
            ExtensionType::ServerName => Self::ServerName,
            _ => Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        };
        Ok(ext)
    }
}

/// Which downgrade the last 8 bytes of a ServerHello random announce
/// (RFC 8446 §4.1.3): the server supports TLS 1.3 but was asked for less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DowngradeSentinel {
    /// Negotiated TLS 1.2.
    Tls12,
    /// Negotiated TLS 1.1 or below.
    Tls11OrBelow,
}

/// A ServerHello body (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3), which is also
/// the form of a HelloRetryRequest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// `server_version` / `legacy_version` (wire number).
    pub legacy_version: u16,
    /// `random`.
    pub random: [u8; RANDOM_LEN],
    /// `session_id` / `legacy_session_id_echo`.
    pub session_id: Vec<u8>,
    /// The chosen cipher suite.
    pub cipher_suite: CipherSuite,
    /// The chosen compression method.
    pub compression_method: Compression,
    /// `extensions` in wire order; empty when absent (allowed up to TLS 1.2).
    pub extensions: Vec<ServerExtension>,
}

impl ServerHello {
    /// True when this is a HelloRetryRequest (RFC 8446 §4.1.3).
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// The version the server selected: supported_versions if present
    /// (RFC 8446 §4.2.1), else `legacy_version`.
    pub fn selected_version(&self) -> u16 {
        self.extensions
            .iter()
            .find_map(|e| match e {
                ServerExtension::SupportedVersions(v) => Some(*v),
                _ => None,
            })
            .unwrap_or(self.legacy_version)
    }

    /// The key-exchange group of key_share: the server's share, or the group
    /// a HelloRetryRequest asks for.
    pub fn key_share_group(&self) -> Option<NamedGroup> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::KeyShare(share) => Some(share.group),
            ServerExtension::SelectedGroup(g) => Some(*g),
            _ => None,
        })
    }

    /// The TLS 1.3 downgrade sentinel at the end of `random`, if present.
    pub fn downgrade_sentinel(&self) -> Option<DowngradeSentinel> {
        match self.random.last_chunk::<8>() {
            Some(tail) if *tail == DOWNGRADE_SENTINEL_TLS12 => Some(DowngradeSentinel::Tls12),
            Some(tail) if *tail == DOWNGRADE_SENTINEL_TLS11 => {
                Some(DowngradeSentinel::Tls11OrBelow)
            }
            _ => None,
        }
    }
}

impl Codec for ServerHello {
    const NAME: &'static str = "ServerHello";

    fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.legacy_version);
        out.extend_from_slice(&self.random);
        length_prefixed(out, LengthPrefix::U8, |o| {
            o.extend_from_slice(&self.session_id);
        });
        self.cipher_suite.encode(out);
        self.compression_method.encode(out);
        if !self.extensions.is_empty() {
            length_prefixed(out, LengthPrefix::U16, |o| {
                for e in &self.extensions {
                    e.typ().encode(o);
                    length_prefixed(o, LengthPrefix::U16, |o| e.encode_body(o));
                }
            });
        }
    }

    /// Reads a ServerHello body; the extensions block is optional (RFC 5246
    /// §7.4.1.3), so the reader must hold exactly one body.
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let legacy_version = r.u16(Self::NAME)?;
        let random = r.array::<RANDOM_LEN>(Self::NAME)?;
        let session_id = read_session_id(r, Self::NAME)?;
        let cipher_suite = CipherSuite::from(r.u16(Self::NAME)?);
        let compression_method = Compression::from(r.u8(Self::NAME)?);
        let hrr = random == HELLO_RETRY_REQUEST_RANDOM;
        let mut extensions = Vec::new();
        if !r.is_empty() {
            let mut block = r.sub_u16(Self::NAME)?;
            let mut seen = BTreeSet::new();
            while !block.is_empty() {
                let typ = ExtensionType::read(&mut block)?;
                if !seen.insert(u16::from(typ)) {
                    return Err(WireError::DuplicateExtension(u16::from(typ)));
                }
                let mut body = block.sub_u16("ServerHello extension")?;
                extensions.push(ServerExtension::read_body(typ, hrr, &mut body)?);
                body.expect_empty("ServerHello extension")?;
            }
        }
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }
}

/// The TLS ≤ 1.2 Certificate message (RFC 5246 §7.4.2): a chain of DER
/// certificates, sender's own first. (TLS 1.3 sends its Certificate
/// encrypted, so tlscheck never parses that form.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certificate {
    /// The DER certificates in the order sent, at most
    /// [`MAX_CERTIFICATES`].
    pub chain: Vec<Vec<u8>>,
}

impl Codec for Certificate {
    const NAME: &'static str = "Certificate";

    fn encode(&self, out: &mut Vec<u8>) {
        length_prefixed(out, LengthPrefix::U24, |o| {
            for cert in &self.chain {
                length_prefixed(o, LengthPrefix::U24, |o| o.extend_from_slice(cert));
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let mut list = r.sub_u24_max(super::record::MAX_HANDSHAKE_LEN, Self::NAME)?;
        let mut chain = Vec::new();
        while !list.is_empty() {
            if chain.len() == MAX_CERTIFICATES {
                return Err(WireError::TooLarge {
                    what: "certificate_list",
                    len: MAX_CERTIFICATES + 1,
                    max: MAX_CERTIFICATES,
                });
            }
            let cert = list
                .sub_u24_max(super::record::MAX_HANDSHAKE_LEN, "ASN.1Cert")?
                .rest();
            if cert.is_empty() {
                return Err(WireError::Empty("ASN.1Cert"));
            }
            chain.push(cert.to_vec());
        }
        Ok(Self { chain })
    }
}

/// ServerHelloDone (RFC 5246 §7.4.5): an empty body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerHelloDone;

impl Codec for ServerHelloDone {
    const NAME: &'static str = "ServerHelloDone";

    fn encode(&self, _out: &mut Vec<u8>) {}

    fn read(_r: &mut Reader<'_>) -> Result<Self> {
        Ok(Self)
    }
}

/// ServerKeyExchange (RFC 5246 §7.4.3), kept raw: its layout depends on
/// the chosen suite's key exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// The body as sent.
    pub body: Vec<u8>,
}

impl ServerKeyExchange {
    /// The named curve of an ECDHE ServerKeyExchange (RFC 8422 §5.4:
    /// `curve_type(1) = named_curve, namedcurve(2)`, then the signed point).
    /// Meaningful only when the chosen suite is ECDHE: a DHE body starts
    /// with the prime's length, which may begin with the same byte.
    pub fn ecdhe_named_group(&self) -> Option<NamedGroup> {
        match self.body.as_slice() {
            [EC_CURVE_TYPE_NAMED_CURVE, hi, lo, ..] => {
                Some(NamedGroup::from(u16::from_be_bytes([*hi, *lo])))
            }
            _ => None,
        }
    }
}

/// The finite-field Diffie-Hellman parameters of a DHE ServerKeyExchange
/// (RFC 5246 §7.4.3 `ServerDHParams`), as far as tlscheck judges them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhParams {
    /// Size of the prime `dh_p` in bits (leading zero bytes and bits not
    /// counted): the figure that decides whether the group is weak.
    pub prime_bits: u32,
    /// The generator `dh_g` as sent.
    pub generator: Vec<u8>,
}

impl ServerKeyExchange {
    /// Reads the `ServerDHParams` that open a DHE ServerKeyExchange:
    ///
    /// ```text
    /// struct {
    ///     opaque dh_p<1..2^16-1>;
    ///     opaque dh_g<1..2^16-1>;
    ///     opaque dh_Ys<1..2^16-1>;
    /// } ServerDHParams;
    /// ```
    ///
    /// followed by the signature (not checked here: tlscheck never
    /// completes the handshake). Meaningful only when the chosen suite is
    /// DHE. Every length is checked against the bytes left; an empty or
    /// all-zero prime is an error, not a 0-bit group.
    pub fn dhe_params(&self) -> Result<DhParams> {
        const WHAT: &str = "ServerDHParams";
        let mut r = Reader::new(&self.body);
        let p = r.sub_u16(WHAT)?.rest();
        let g = r.sub_u16(WHAT)?.rest();
        let ys = r.sub_u16(WHAT)?.rest();
        if p.is_empty() {
            return Err(WireError::Empty("dh_p"));
        }
        if g.is_empty() {
            return Err(WireError::Empty("dh_g"));
        }
        if ys.is_empty() {
            return Err(WireError::Empty("dh_Ys"));
        }
        let prime_bits = bit_length(p);
        if prime_bits == 0 {
            return Err(WireError::Empty("dh_p"));
        }
        Ok(DhParams {
            prime_bits,
            generator: g.to_vec(),
        })
    }
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(be: &[u8]) -> u32 {
    let mut bytes = be.iter().skip_while(|b| **b == 0);
    let Some(first) = bytes.next() else {
        return 0;
    };
    let rest = u32::try_from(bytes.count()).unwrap_or(u32::MAX / 16);
    rest.saturating_mul(8)
        .saturating_add(u8::BITS - first.leading_zeros())
}

/// True for suites with finite-field DHE key exchange (their
/// ServerKeyExchange carries the prime).
pub fn is_dhe_suite(cs: CipherSuite) -> bool {
    // Anonymous DH sends the same ServerDHParams, unsigned.
    cs.as_str()
        .is_some_and(|n| n.starts_with("TLS_DHE_") || n.starts_with("TLS_DH_anon_"))
}

/// True for suites with ECDHE key exchange (their ServerKeyExchange names
/// the curve).
pub fn is_ecdhe_suite(cs: CipherSuite) -> bool {
    // Anonymous ECDH names its curve the same way, unsigned.
    cs.as_str()
        .is_some_and(|n| n.starts_with("TLS_ECDHE_") || n.starts_with("TLS_ECDH_anon_"))
}

/// One decoded item of a server's reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMessage {
    /// ServerHello or HelloRetryRequest.
    ServerHello(ServerHello),
    /// Certificate (TLS ≤ 1.2 form).
    Certificate(Certificate),
    /// ServerKeyExchange.
    ServerKeyExchange(ServerKeyExchange),
    /// ServerHelloDone.
    ServerHelloDone,
    /// Another handshake message (CertificateRequest, CertificateStatus, …),
    /// undecoded.
    OtherHandshake(HandshakeMessage),
    /// An alert.
    Alert(Alert),
    /// ChangeCipherSpec.
    ChangeCipherSpec,
    /// An encrypted record.
    ApplicationData {
        /// Fragment length.
        len: usize,
    },
    /// A record of another content type.
    Unexpected {
        /// Its content type.
        content_type: ContentType,
        /// Fragment length.
        len: usize,
    },
}

impl ServerMessage {
    /// Decodes a record-layer item completely (rule: full recognition before
    /// processing).
    pub fn decode(item: Item) -> Result<Self> {
        Ok(match item {
            Item::Handshake(msg) => match msg.typ {
                HandshakeType::ServerHello => {
                    Self::ServerHello(ServerHello::read_bytes(&msg.body)?)
                }
                HandshakeType::Certificate => {
                    Self::Certificate(Certificate::read_bytes(&msg.body)?)
                }
                HandshakeType::ServerKeyExchange => {
                    Self::ServerKeyExchange(ServerKeyExchange { body: msg.body })
                }
                HandshakeType::ServerHelloDone => {
                    ServerHelloDone::read_bytes(&msg.body)?;
                    Self::ServerHelloDone
                }
                _ => Self::OtherHandshake(msg),
            },
            Item::Alert(a) => Self::Alert(a),
            Item::ChangeCipherSpec => Self::ChangeCipherSpec,
            Item::ApplicationData { len } => Self::ApplicationData { len },
            Item::Unexpected { content_type, len } => Self::Unexpected { content_type, len },
        })
    }
}

/// A server's reply decoded in one go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFlight {
    /// The decoded items, in order.
    pub messages: Vec<ServerMessage>,
    /// Bytes at the end that did not complete an item.
    pub pending: usize,
}

/// Decodes a captured server reply (records as received): every complete
/// item, plus the count of bytes of a final incomplete one. The entry point
/// for fixtures and the `tls_records` fuzz target.
pub fn parse_server_flight(bytes: &[u8]) -> Result<ServerFlight> {
    let mut reader = RecordReader::new();
    reader.feed(bytes);
    let mut messages = Vec::new();
    while let Some(item) = reader.next_item()? {
        messages.push(ServerMessage::decode(item)?);
    }
    Ok(ServerFlight {
        messages,
        pending: reader.pending(),
    })
}

#[cfg(test)]
mod tests;
