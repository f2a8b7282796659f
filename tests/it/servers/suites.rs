//! OpenSSL SMTP servers configured per cipher-suite case (ECDSA-only,
//! ChaCha20-only, CBC with RSA key exchange, DHE-1024, RSA-1024 key,
//! SHA-1-signed certificate, dual RSA+ECDSA, server order on or off), and
//! the `openssl s_client` ground truth the tests compare tlscheck with.
//!
//! Certificates are made with the openssl crate itself: ring (under rcgen)
//! refuses RSA keys under 2048 bits and SHA-1 signatures, which are exactly
//! the cases wanted here.

use std::process::{Command, Stdio};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::dh::Dh;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{SslAcceptor, SslMethod, SslOptions, SslVersion};
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509NameBuilder, X509};

use super::smtp::{spawn, Behaviour, SmtpServer, Tls};

/// The key of a test certificate.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key {
    /// RSA with this many bits.
    Rsa(u32),
    /// ECDSA P-256.
    EcP256,
}

/// A self-signed certificate for `mx.example.test` with `key`, signed
/// with `digest`.
pub(crate) fn cert(key: Key, digest: MessageDigest) -> (X509, PKey<Private>) {
    let pkey = match key {
        Key::Rsa(bits) => PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap(),
        Key::EcP256 => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
        }
    };
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "mx.example.test").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&pkey).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .dns("mx.example.test")
        .ip("127.0.0.1")
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&pkey, digest).unwrap();
    (b.build(), pkey)
}

/// How one case's server is configured.
pub(crate) struct Case {
    /// Certificates served (one per key type).
    pub certs: Vec<(X509, PKey<Private>)>,
    /// Highest version.
    pub max: SslVersion,
    /// OpenSSL cipher list for TLS ≤ 1.2.
    pub cipher_list: &'static str,
    /// TLS 1.3 suites, when 1.3 is on.
    pub tls13: Option<&'static str>,
    /// SSL_OP_CIPHER_SERVER_PREFERENCE.
    pub server_order: bool,
    /// A fixed DH group (else OpenSSL's automatic choice).
    pub dh: Option<Dh<openssl::pkey::Params>>,
    /// OpenSSL groups list (`P-384:X25519`), else the library default.
    pub groups: Option<&'static str>,
}

impl Case {
    /// A case serving `certs` with `cipher_list`, TLS 1.0–1.2, client
    /// order, automatic DH.
    pub(crate) fn new(certs: Vec<(X509, PKey<Private>)>, cipher_list: &'static str) -> Case {
        Case {
            certs,
            max: SslVersion::TLS1_2,
            cipher_list,
            tls13: None,
            server_order: false,
            dh: None,
            groups: None,
        }
    }

    /// Starts the SMTP server (Postfix-like dialogue, OpenSSL after
    /// STARTTLS).
    pub(crate) fn spawn(self) -> SmtpServer {
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        b.clear_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
        b.set_security_level(0);
        b.set_min_proto_version(Some(SslVersion::TLS1)).unwrap();
        b.set_max_proto_version(Some(self.max)).unwrap();
        b.set_cipher_list(&format!("{}:@SECLEVEL=0", self.cipher_list))
            .unwrap();
        if let Some(s) = self.tls13 {
            b.set_ciphersuites(s).unwrap();
        }
        if self.server_order {
            b.set_options(SslOptions::CIPHER_SERVER_PREFERENCE);
        } else {
            b.clear_options(SslOptions::CIPHER_SERVER_PREFERENCE);
        }
        if let Some(dh) = &self.dh {
            b.set_tmp_dh(dh).unwrap();
        }
        if let Some(g) = self.groups {
            b.set_groups_list(g).unwrap();
        }
        // OpenSSL keeps one certificate per key type: RSA and ECDSA side
        // by side, chosen by the negotiated suite.
        for (c, k) in &self.certs {
            b.set_certificate(c).unwrap();
            b.set_private_key(k).unwrap();
            b.check_private_key().unwrap();
        }
        spawn(Behaviour::with_tls(Tls::OpenSsl(b.build())))
    }
}

/// The OpenSSL name ↔ IANA id table of the local OpenSSL for TLS ≤ 1.2
/// (`openssl ciphers -V`), without PSK, SRP and GOST suites (tlscheck
/// does not offer them: they need credentials).
pub(crate) fn openssl_table() -> Vec<(u16, String)> {
    let out = Command::new("openssl")
        .args(["ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"])
        .output()
        .expect("the openssl command runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let id = it.next()?;
            let _dash = it.next()?;
            let name = it.next()?;
            let proto = it.next()?;
            let (hi, lo) = id.split_once(',')?;
            let hi = u8::from_str_radix(hi.trim_start_matches("0x"), 16).ok()?;
            let lo = u8::from_str_radix(lo.trim_start_matches("0x"), 16).ok()?;
            let skip =
                proto == "TLSv1.3" || ["PSK", "SRP", "GOST"].iter().any(|m| name.contains(m));
            (!skip).then(|| (u16::from_be_bytes([hi, lo]), name.to_owned()))
        })
        .collect()
}

/// What `openssl s_client -starttls smtp` negotiates with `port` at
/// `version` (`-tls1`, `-tls1_2`, `-tls1_3`) offering `ciphers` (OpenSSL
/// names, or TLS 1.3 names with `-tls1_3`): the cipher's OpenSSL name, or
/// `None` when the handshake failed.
pub(crate) fn s_client(port: u16, version: &str, ciphers: &str) -> Option<String> {
    s_client_with(port, version, ciphers, &[])
}

/// [`s_client`] with extra flags (`-groups P-384`).
pub(crate) fn s_client_with(
    port: u16,
    version: &str,
    ciphers: &str,
    extra: &[&str],
) -> Option<String> {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-starttls",
        "smtp",
        version,
    ]);
    if version == "-tls1_3" {
        cmd.args(["-ciphersuites", ciphers]);
    } else {
        cmd.args(["-cipher", &format!("{ciphers}:@SECLEVEL=0")]);
    }
    cmd.args(extra);
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("openssl s_client runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let cipher = text.lines().find_map(|l| {
        l.split_once(", Cipher is ")
            .map(|(_, c)| c.trim().to_owned())
    })?;
    (cipher != "(NONE)").then_some(cipher)
}
