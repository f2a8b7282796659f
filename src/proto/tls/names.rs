//! IANA names for TLS wire values. The values are rustls' own enums; this
//! module only formats them the IANA way.

use rustls::{AlertDescription, CipherSuite, NamedGroup, SignatureScheme};

/// IANA name of a cipher suite (`TLS_AES_128_GCM_SHA256`,
/// `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`), or its number in hex.
///
/// Names come from `as_str`, not `Debug`: rustls' `Debug` prints the legacy
/// suites it does not implement (`TLS_RSA_WITH_AES_128_CBC_SHA`, …) as
/// `CipherSuite(0x2f)`.
pub fn cipher_name(c: CipherSuite) -> String {
    match c.as_str() {
        // rustls spells the TLS 1.3 suites TLS13_*; IANA spells them TLS_*.
        Some(name) => match name.strip_prefix("TLS13_") {
            Some(rest) => format!("TLS_{rest}"),
            None => name.to_owned(),
        },
        None => format!("0x{:04x}", u16::from(c)),
    }
}

/// RFC 8446 §6 name of an alert (`protocol_version`, `handshake_failure`),
/// or its number.
pub fn alert_name(a: AlertDescription) -> String {
    match a {
        AlertDescription::Unknown(v) => format!("alert {v}"),
        known => snake_case(&format!("{known:?}")),
    }
}

/// IANA name of a key-exchange group (`x25519`, `secp256r1`), or hex.
pub fn group_name(g: NamedGroup) -> String {
    match g {
        NamedGroup::Unknown(v) => format!("0x{v:04x}"),
        NamedGroup::X25519 => "x25519".to_owned(),
        NamedGroup::X448 => "x448".to_owned(),
        known => format!("{known:?}").to_lowercase(),
    }
}

/// IANA name of a signature scheme (RFC 8446 §4.2.3:
/// `ecdsa_secp521r1_sha512`, `rsa_pss_rsae_sha256`), or hex.
pub fn scheme_name(s: SignatureScheme) -> String {
    let name = match u16::from(s) {
        0x0201 => "rsa_pkcs1_sha1",
        0x0203 => "ecdsa_sha1",
        0x0401 => "rsa_pkcs1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        other => return format!("0x{other:04x}"),
    };
    name.to_owned()
}

fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_iana_spelling() {
        assert_eq!(
            cipher_name(CipherSuite::TLS13_AES_128_GCM_SHA256),
            "TLS_AES_128_GCM_SHA256"
        );
        assert_eq!(
            cipher_name(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        );
        assert_eq!(cipher_name(CipherSuite::Unknown(0xfefe)), "0xfefe");
        // Legacy suites rustls names but does not implement (its `Debug`
        // prints them as hex).
        assert_eq!(
            cipher_name(CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA),
            "TLS_RSA_WITH_AES_128_CBC_SHA"
        );
        assert_eq!(
            cipher_name(CipherSuite::TLS_DHE_RSA_WITH_AES_256_CBC_SHA),
            "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"
        );
        assert_eq!(
            alert_name(AlertDescription::ProtocolVersion),
            "protocol_version"
        );
        assert_eq!(alert_name(AlertDescription::Unknown(200)), "alert 200");
        assert_eq!(group_name(NamedGroup::secp256r1), "secp256r1");
        assert_eq!(group_name(NamedGroup::X25519), "x25519");
    }
}
