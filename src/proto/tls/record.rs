//! The TLS record layer: record headers, alerts, and an incremental reader
//! that turns a byte stream into typed items (whole handshake messages,
//! alerts, ChangeCipherSpec, opaque encrypted records).
//!
//! Direction-neutral: it reassembles a server's flight for the probe and a
//! client's ClientHello for a listener alike. It never decrypts and never
//! decides what an item means; see `server_msgs` for the typed handshake
//! bodies and `net::tls::legacy` for the decisions.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::enums::{AlertDescription, AlertLevel, ContentType, HandshakeType};
use super::writer::{length_prefixed, put_u16, LengthPrefix};
use super::{Codec, Reader, Result, WireError};

/// RFC 5246 §6.2.1: a record header is `type(1) version(2) length(2)`.
pub const RECORD_HEADER_LEN: usize = 5;

/// RFC 5246 §6.2.1 / RFC 8446 §5.1: a plaintext fragment is at most 2^14
/// bytes. tlscheck never writes a larger record.
pub const MAX_FRAGMENT_LEN: usize = 1 << 14;

/// RFC 5246 §6.2.3: a `TLSCiphertext` record may carry up to 2^14 + 2048
/// bytes; anything longer is a `record_overflow` (RFC 8446 §5.2 allows only
/// 2^14 + 256, so this bound covers every version).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// RFC 5246 §7.4: a handshake message header is `msg_type(1) length(3)`.
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// tlscheck's bound on one handshake message and on the handshake bytes
/// buffered while reassembling it. A certificate chain of a few dozen
/// certificates fits easily; the u24 length field would allow 16 MiB.
pub const MAX_HANDSHAKE_LEN: usize = 256 * 1024;

/// RFC 5246 §7.1: the one byte a ChangeCipherSpec record carries.
pub const CHANGE_CIPHER_SPEC_BODY: u8 = 1;

/// RFC 5246 §6.2.1 / RFC 8446 §5.1: content types tlscheck accepts as TLS.
/// A first byte outside this set means the peer is not speaking TLS.
pub const KNOWN_CONTENT_TYPES: std::ops::RangeInclusive<u8> = 0x14..=0x18;

/// A record header (RFC 5246 §6.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// What the record carries.
    pub content_type: ContentType,
    /// `legacy_record_version`: informational only (RFC 8446 §5.1).
    pub version: u16,
    /// Length of the fragment that follows, at most [`MAX_RECORD_LEN`].
    pub len: usize,
}

impl Codec for RecordHeader {
    const NAME: &'static str = "record header";

    fn encode(&self, out: &mut Vec<u8>) {
        self.content_type.encode(out);
        put_u16(out, self.version);
        put_u16(out, u16::try_from(self.len).unwrap_or(u16::MAX));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let ct = r.u8(Self::NAME)?;
        if !KNOWN_CONTENT_TYPES.contains(&ct) {
            return Err(WireError::UnknownContentType(ct));
        }
        let version = r.u16(Self::NAME)?;
        let len = usize::from(r.u16(Self::NAME)?);
        if len > MAX_RECORD_LEN {
            return Err(WireError::TooLarge {
                what: "record",
                len,
                max: MAX_RECORD_LEN,
            });
        }
        Ok(Self {
            content_type: ContentType::from(ct),
            version,
            len,
        })
    }
}

/// Writes `payload` as records of `content_type`, split into fragments of at
/// most [`MAX_FRAGMENT_LEN`] bytes (RFC 5246 §6.2.1).
pub fn encode_records(content_type: ContentType, version: u16, payload: &[u8], out: &mut Vec<u8>) {
    for fragment in payload.chunks(MAX_FRAGMENT_LEN) {
        RecordHeader {
            content_type,
            version,
            len: fragment.len(),
        }
        .encode(out);
        out.extend_from_slice(fragment);
    }
}

/// An alert (RFC 5246 §7.2, RFC 8446 §6): exactly two bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    /// warning or fatal.
    pub level: AlertLevel,
    /// What went wrong.
    pub description: AlertDescription,
}

impl Codec for Alert {
    const NAME: &'static str = "Alert";

    fn encode(&self, out: &mut Vec<u8>) {
        self.level.encode(out);
        self.description.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let level = AlertLevel::from(r.u8(Self::NAME)?);
        let description = AlertDescription::from(r.u8(Self::NAME)?);
        Ok(Self { level, description })
    }
}

/// One handshake message, reassembled: its type and its body (RFC 5246
/// §7.4). The body is decoded by the message's own type (`ServerHello`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// `msg_type`.
    pub typ: HandshakeType,
    /// The body, at most [`MAX_HANDSHAKE_LEN`] bytes.
    pub body: Vec<u8>,
}

impl Codec for HandshakeMessage {
    const NAME: &'static str = "handshake message";

    fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        length_prefixed(out, LengthPrefix::U24, |o| o.extend_from_slice(&self.body));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let typ = HandshakeType::read(r)?;
        let mut body = r.sub_u24_max(MAX_HANDSHAKE_LEN, Self::NAME)?;
        Ok(Self {
            typ,
            body: body.rest().to_vec(),
        })
    }
}

/// What the record reader yields, in the order it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A complete handshake message (reassembled across records, or one of
    /// several sharing a record).
    Handshake(HandshakeMessage),
    /// An alert record.
    Alert(Alert),
    /// A ChangeCipherSpec record (TLS 1.3 servers send one after ServerHello
    /// for middlebox compatibility, RFC 8446 §D.4).
    ChangeCipherSpec,
    /// An application_data record: encrypted, so only its length is kept.
    /// In TLS 1.3 everything after ServerHello arrives like this.
    ApplicationData {
        /// Fragment length.
        len: usize,
    },
    /// A record of another TLS content type (heartbeat): nothing a
    /// handshake should contain.
    Unexpected {
        /// Its content type.
        content_type: ContentType,
        /// Fragment length.
        len: usize,
    },
}

/// Turns bytes as they arrive into [`Item`]s.
///
/// Feed it whatever the socket returned, then call
/// [`RecordReader::next_item`] until it returns `Ok(None)` (more bytes
/// needed). Memory stays bounded as long as items are drained between feeds:
/// at most one record plus the last feed, and [`MAX_HANDSHAKE_LEN`] of
/// handshake bytes being reassembled. An error is final.
#[derive(Clone, Debug)]
pub struct RecordReader {
    input: Vec<u8>,
    handshake: Vec<u8>,
}

impl Default for RecordReader {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self {
            input: Vec::new(),
            handshake: Vec::new(),
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a yielded item (a partial record
    /// or a partial handshake message).
    pub fn pending(&self) -> usize {
        self.input.len() + self.handshake.len()
    }

    /// The next complete item, `Ok(None)` if more bytes are needed.
    ///
    /// The first byte of each record is checked as soon as it arrives, so a
    /// peer answering in plaintext (`220 …`) is recognised without waiting
    /// for five bytes.
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        loop {
            if let Some(msg) = self.pop_handshake()? {
                return Ok(Some(Item::Handshake(msg)));
            }
            if let Some(&first) = self.input.first() {
                if !KNOWN_CONTENT_TYPES.contains(&first) {
                    return Err(WireError::UnknownContentType(first));
                }
            }
            let mut r = Reader::new(&self.input);
            let header = match RecordHeader::read(&mut r) {
                Ok(h) => h,
                Err(WireError::Truncated(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            let Some(body) = r.take(header.len) else {
                return Ok(None);
            };
            let item = match header.content_type {
                ContentType::Handshake => {
                    let buffered = self.handshake.len() + body.len();
                    let max = MAX_HANDSHAKE_LEN + HANDSHAKE_HEADER_LEN;
                    if buffered > max {
                        return Err(WireError::TooLarge {
                            what: "buffered handshake messages",
                            len: buffered,
                            max,
                        });
                    }
                    self.handshake.extend_from_slice(body);
                    None
                }
                ContentType::Alert => Some(Item::Alert(Alert::read_bytes(body)?)),
                ContentType::ChangeCipherSpec => {
                    const NAME: &str = "ChangeCipherSpec";
                    match body {
                        [CHANGE_CIPHER_SPEC_BODY] => Some(Item::ChangeCipherSpec),
                        [] => return Err(WireError::Truncated(NAME)),
                        [v] => {
                            return Err(WireError::IllegalValue {
                                what: NAME,
                                value: u32::from(*v),
                            })
                        }
                        _ => return Err(WireError::TrailingData(NAME)),
                    }
                }
                ContentType::ApplicationData => Some(Item::ApplicationData { len: body.len() }),
                other => Some(Item::Unexpected {
                    content_type: other,
                    len: body.len(),
                }),
            };
            let consumed = r.used().min(self.input.len());
            self.input.drain(..consumed);
            if let Some(item) = item {
                return Ok(Some(item));
            }
        }
    }

    /// Pops one complete handshake message off the reassembly buffer.
    fn pop_handshake(&mut self) -> Result<Option<HandshakeMessage>> {
        let mut r = Reader::new(&self.handshake);
        match HandshakeMessage::read(&mut r) {
            Ok(msg) => {
                let consumed = r.used().min(self.handshake.len());
                self.handshake.drain(..consumed);
                Ok(Some(msg))
            }
            Err(WireError::Truncated(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record carrying a fatal handshake_failure alert.
    const ALERT_RECORD: [u8; 7] = [
        0x15, // content type alert
        0x03, 0x03, // record version TLS 1.2
        0x00, 0x02, // length 2
        0x02, // level fatal
        0x28, // description handshake_failure
    ];

    fn items(reader: &mut RecordReader) -> Result<Vec<Item>> {
        let mut out = Vec::new();
        while let Some(item) = reader.next_item()? {
            out.push(item);
        }
        Ok(out)
    }

    #[test]
    fn reads_an_alert_record() {
        let mut rr = RecordReader::new();
        rr.feed(&ALERT_RECORD);
        assert_eq!(
            items(&mut rr),
            Ok(vec![Item::Alert(Alert {
                level: AlertLevel::Fatal,
                description: AlertDescription::HandshakeFailure,
            })])
        );
        assert_eq!(rr.pending(), 0);
    }

    #[test]
    fn every_prefix_of_a_record_is_incomplete_not_an_error() {
        for n in 0..ALERT_RECORD.len() {
            let mut rr = RecordReader::new();
            rr.feed(ALERT_RECORD.get(..n).unwrap());
            assert_eq!(rr.next_item(), Ok(None), "prefix of {n} bytes");
        }
    }

    #[test]
    fn every_prefix_of_an_alert_body_is_truncated() {
        let body = [0x02, 0x46]; // fatal, protocol_version
        assert!(Alert::read_bytes(&body).is_ok());
        for n in 0..body.len() {
            assert_eq!(
                Alert::read_bytes(body.get(..n).unwrap()),
                Err(WireError::Truncated("Alert"))
            );
        }
    }

    #[test]
    fn rejects_alert_with_trailing_byte() {
        let mut rr = RecordReader::new();
        rr.feed(&[
            0x15, // alert
            0x03, 0x01, // TLS 1.0
            0x00, 0x03, // length 3
            0x02, 0x28, // fatal handshake_failure
            0x00, // one byte too many
        ]);
        assert_eq!(rr.next_item(), Err(WireError::TrailingData("Alert")));
    }

    #[test]
    fn rejects_record_longer_than_rfc_5246_allows() {
        let mut rr = RecordReader::new();
        rr.feed(&[
            0x16, // handshake
            0x03, 0x03, // TLS 1.2
            0x48, 0x01, // length 18433 = 2^14 + 2048 + 1
        ]);
        assert_eq!(
            rr.next_item(),
            Err(WireError::TooLarge {
                what: "record",
                len: MAX_RECORD_LEN + 1,
                max: MAX_RECORD_LEN
            })
        );
    }

    #[test]
    fn plaintext_reply_is_an_unknown_content_type_from_the_first_byte() {
        let mut rr = RecordReader::new();
        rr.feed(b"2");
        assert_eq!(rr.next_item(), Err(WireError::UnknownContentType(b'2')));
    }

    #[test]
    fn reassembles_a_handshake_message_split_across_records_byte_by_byte() {
        let msg = HandshakeMessage {
            typ: HandshakeType::Certificate,
            body: (0..=255).collect(),
        };
        let mut records = Vec::new();
        // One record per byte of the handshake message.
        for b in msg.to_bytes() {
            encode_records(ContentType::Handshake, 0x0303, &[b], &mut records);
        }
        let mut rr = RecordReader::new();
        let mut got = Vec::new();
        for b in records {
            rr.feed(&[b]);
            got.extend(items(&mut rr).unwrap());
        }
        assert_eq!(got, vec![Item::Handshake(msg)]);
        assert_eq!(rr.pending(), 0);
    }

    #[test]
    fn splits_several_handshake_messages_sharing_one_record() {
        let bytes = [
            0x16, // handshake
            0x03, 0x03, // TLS 1.2
            0x00, 0x09, // length 9
            0x0e, 0x00, 0x00, 0x00, // ServerHelloDone, empty body
            0x0c, 0x00, 0x00, 0x01, 0xaa, // ServerKeyExchange, 1-byte body
        ];
        let mut rr = RecordReader::new();
        rr.feed(&bytes);
        assert_eq!(
            items(&mut rr),
            Ok(vec![
                Item::Handshake(HandshakeMessage {
                    typ: HandshakeType::ServerHelloDone,
                    body: vec![],
                }),
                Item::Handshake(HandshakeMessage {
                    typ: HandshakeType::ServerKeyExchange,
                    body: vec![0xaa],
                }),
            ])
        );
    }

    #[test]
    fn handshake_message_over_the_bound_is_refused_at_its_header() {
        let mut rr = RecordReader::new();
        rr.feed(&[
            0x16, // handshake
            0x03, 0x03, // TLS 1.2
            0x00, 0x04, // length 4
            0x0b, 0x04, 0x00, 0x01, // Certificate of 262145 bytes (> 256 KiB)
        ]);
        assert_eq!(
            rr.next_item(),
            Err(WireError::TooLarge {
                what: "handshake message",
                len: MAX_HANDSHAKE_LEN + 1,
                max: MAX_HANDSHAKE_LEN
            })
        );
    }

    #[test]
    fn yields_change_cipher_spec_application_data_and_heartbeat() {
        let mut rr = RecordReader::new();
        rr.feed(&[
            0x14, 0x03, 0x03, 0x00, 0x01, // ChangeCipherSpec, length 1
            0x01, // change_cipher_spec(1)
            0x17, 0x03, 0x03, 0x00, 0x02, // application_data, length 2
            0xde, 0xad, // ciphertext
            0x18, 0x03, 0x03, 0x00, 0x00, // heartbeat, length 0
        ]);
        assert_eq!(
            items(&mut rr),
            Ok(vec![
                Item::ChangeCipherSpec,
                Item::ApplicationData { len: 2 },
                Item::Unexpected {
                    content_type: ContentType::Heartbeat,
                    len: 0
                },
            ])
        );
    }

    #[test]
    fn rejects_change_cipher_spec_with_another_value() {
        let mut rr = RecordReader::new();
        rr.feed(&[
            0x14, 0x03, 0x03, 0x00, 0x01, // ChangeCipherSpec, length 1
            0x02, // not change_cipher_spec(1)
        ]);
        assert_eq!(
            rr.next_item(),
            Err(WireError::IllegalValue {
                what: "ChangeCipherSpec",
                value: 2
            })
        );
    }

    #[test]
    fn large_payload_is_written_as_several_records() {
        let payload = vec![0x55; MAX_FRAGMENT_LEN + 1];
        let mut out = Vec::new();
        encode_records(ContentType::Handshake, 0x0301, &payload, &mut out);
        assert_eq!(out.len(), payload.len() + 2 * RECORD_HEADER_LEN);
        assert_eq!(
            out.get(..RECORD_HEADER_LEN),
            Some(&[0x16, 0x03, 0x01, 0x40, 0x00][..]) // handshake, TLS 1.0, 16384
        );
    }
}
