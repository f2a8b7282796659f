//! Named wire values.
//!
//! The IANA tables rustls already publishes are reused, not copied:
//! [`CipherSuite`], [`ProtocolVersion`], [`AlertDescription`],
//! [`NamedGroup`], [`SignatureScheme`], [`ContentType`], [`HandshakeType`].
//! This file defines only what rustls keeps private (extension types, alert
//! levels, compression methods, EC point formats) as open enums: named
//! variants plus `Unknown(_)`, `From` both ways, unknown values printed as
//! hex. No parsing logic beyond reading the integer.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::fmt;

pub use rustls::{
    AlertDescription, CipherSuite, ContentType, HandshakeType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};

use super::{Codec, Reader, Result};

/// Defines an open enum over `$uint` with `From` both ways, a `Debug` and
/// `Display` that print unknown values as hex, and a [`Codec`] impl.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident($uint:ty, $hex_width:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value tlscheck has no name for.
            Unknown($uint),
        }

        impl From<$uint> for $name {
            fn from(v: $uint) -> Self {
                match v {
                    $( $value => Self::$variant, )+
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<$name> for $uint {
            fn from(v: $name) -> Self {
                match v {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl $name {
            /// The variant's name, or `None` for an unknown value.
            pub fn as_str(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some(stringify!($variant)), )+
                    Self::Unknown(_) => None,
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.as_str() {
                    Some(name) => f.write_str(name),
                    None => write!(
                        f,
                        concat!(stringify!($name), "(0x{:0", $hex_width, "x})"),
                        <$uint>::from(*self)
                    ),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }
    };
}

open_enum! {
    /// TLS extension types, IANA "TLS ExtensionType Values".
    ExtensionType(u16, 4) {
        /// RFC 6066 §3.
        ServerName = 0x0000,
        /// RFC 6066 §8.
        StatusRequest = 0x0005,
        /// RFC 8422 §5.1.1 / RFC 8446 §4.2.7 (was `elliptic_curves`).
        SupportedGroups = 0x000a,
        /// RFC 8422 §5.1.2.
        EcPointFormats = 0x000b,
        /// RFC 5246 §7.4.1.4.1 / RFC 8446 §4.2.3.
        SignatureAlgorithms = 0x000d,
        /// RFC 7301.
        ApplicationLayerProtocolNegotiation = 0x0010,
        /// RFC 7685.
        Padding = 0x0015,
        /// RFC 7366.
        EncryptThenMac = 0x0016,
        /// RFC 7627.
        ExtendedMasterSecret = 0x0017,
        /// RFC 5077.
        SessionTicket = 0x0023,
        /// RFC 8446 §4.2.11.
        PreSharedKey = 0x0029,
        /// RFC 8446 §4.2.1.
        SupportedVersions = 0x002b,
        /// RFC 8446 §4.2.9.
        PskKeyExchangeModes = 0x002d,
        /// RFC 8446 §4.2.8.
        KeyShare = 0x0033,
        /// RFC 5746 §3.2.
        RenegotiationInfo = 0xff01,
    }
}

open_enum! {
    /// Alert levels, RFC 5246 §7.2 (TLS 1.3 keeps the field, RFC 8446 §6).
    AlertLevel(u8, 2) {
        /// `warning(1)`.
        Warning = 1,
        /// `fatal(2)`.
        Fatal = 2,
    }
}

open_enum! {
    /// Compression methods, RFC 5246 §7.4.1.2 / RFC 3749.
    Compression(u8, 2) {
        /// `null(0)`: no compression, the only one anybody should use.
        Null = 0,
        /// RFC 3749 DEFLATE (CRIME-vulnerable).
        Deflate = 1,
    }
}

open_enum! {
    /// EC point formats, RFC 8422 §5.1.2.
    EcPointFormat(u8, 2) {
        /// The only format RFC 8422 still allows.
        Uncompressed = 0,
        /// Deprecated.
        AnsiX962CompressedPrime = 1,
        /// Deprecated.
        AnsiX962CompressedChar2 = 2,
    }
}

/// Implements [`Codec`] for an enum that converts to and from `$uint`.
macro_rules! int_codec {
    ($($ty:ty: $uint:ident / $name:literal),+ $(,)?) => {$(
        impl Codec for $ty {
            const NAME: &'static str = $name;

            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&$uint::from(*self).to_be_bytes());
            }

            fn read(r: &mut Reader<'_>) -> Result<Self> {
                Ok(Self::from(r.$uint(Self::NAME)?))
            }
        }
    )+};
}

int_codec! {
    ExtensionType: u16 / "ExtensionType",
    AlertLevel: u8 / "AlertLevel",
    Compression: u8 / "CompressionMethod",
    EcPointFormat: u8 / "ECPointFormat",
    CipherSuite: u16 / "CipherSuite",
    ProtocolVersion: u16 / "ProtocolVersion",
    NamedGroup: u16 / "NamedGroup",
    SignatureScheme: u16 / "SignatureScheme",
    AlertDescription: u8 / "AlertDescription",
    ContentType: u8 / "ContentType",
    HandshakeType: u8 / "HandshakeType",
}

/// The IANA name of a cipher suite, or its value as `0x009c` when rustls has
/// no name for it. (rustls' own `Debug` prints many known legacy suites as
/// hex; this always prefers the name.)
pub fn cipher_suite_name(cs: CipherSuite) -> String {
    match cs.as_str() {
        Some(name) => name.to_owned(),
        None => format!("0x{:04x}", u16::from(cs)),
    }
}

/// The IANA name of a named group, or its value as `0x001d`.
pub fn named_group_name(g: NamedGroup) -> String {
    match g.as_str() {
        Some(name) => name.to_owned(),
        None => format!("0x{:04x}", u16::from(g)),
    }
}

/// RFC 8701 GREASE values (`0x0a0a`, `0x1a1a`, … `0xfafa`): reserved values
/// clients send to keep servers tolerant of unknown ones. They are never a
/// real version, group or cipher.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_print_as_hex() {
        assert_eq!(
            format!("{:?}", ExtensionType::from(0x1234)),
            "ExtensionType(0x1234)"
        );
        assert_eq!(format!("{}", AlertLevel::from(7)), "AlertLevel(0x07)");
        assert_eq!(cipher_suite_name(CipherSuite::from(0xfeed)), "0xfeed");
        assert_eq!(named_group_name(NamedGroup::from(0x0a0a)), "0x0a0a");
        assert_eq!(
            format!("{:?}", CipherSuite::from(0xfeed)),
            "CipherSuite(0xfeed)"
        );
    }

    #[test]
    fn known_values_print_their_names() {
        assert_eq!(format!("{:?}", ExtensionType::KeyShare), "KeyShare");
        assert_eq!(
            cipher_suite_name(CipherSuite::from(0x002f)),
            "TLS_RSA_WITH_AES_128_CBC_SHA"
        );
        assert_eq!(named_group_name(NamedGroup::X25519), "X25519");
    }

    #[test]
    fn values_survive_a_round_trip_through_the_integer() {
        for v in [0x0000, 0x002b, 0x0033, 0xff01, 0xabcd] {
            assert_eq!(u16::from(ExtensionType::from(v)), v);
        }
        for v in 0..=u8::MAX {
            assert_eq!(u8::from(AlertLevel::from(v)), v);
            assert_eq!(u8::from(Compression::from(v)), v);
            assert_eq!(u8::from(EcPointFormat::from(v)), v);
        }
    }

    #[test]
    fn rustls_enums_read_and_encode_big_endian() {
        let bytes = [
            0xc0, 0x2f, // cipher suite TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        ];
        let cs = CipherSuite::read_bytes(&bytes).unwrap();
        assert_eq!(cs, CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
        assert_eq!(cs.to_bytes(), bytes);
        assert_eq!(
            CipherSuite::read_bytes(&[0xc0]),
            Err(super::super::WireError::Truncated("CipherSuite"))
        );
    }

    #[test]
    fn grease_values_are_recognised_and_real_ones_are_not() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0304));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x001d));
    }
}
