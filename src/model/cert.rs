//! Certificate verdicts and summaries. Verification never aborts a probe:
//! whatever the chain, tlscheck records a [`CertVerdict`] and carries on,
//! because opportunistic TLS between MTAs works with any certificate while
//! certificate-validating senders do not: Exchange Online connectors that
//! validate certificates and MTA-STS need a publicly trusted certificate
//! naming the host; DANE matches the TLSA record instead (a DANE-EE(3)
//! record needs no public CA, RFC 7672 §3.1.1). No IO here.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, Error as TlsError, RootCertStore};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::model::{CertSummary, CertVerdict, TlsVersion};

/// Seconds in a day, for "days left".
const SECS_PER_DAY: i64 = 86_400;

/// Builds the root store: Mozilla's roots (webpki-roots) plus any extra
/// roots the user gave with `--ca-file`.
pub fn root_store(extra: &[CertificateDer<'static>]) -> RootCertStore {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // A bad extra root is the user's file problem; config validated it.
    let _ = roots.add_parsable_certificates(extra.iter().cloned());
    roots
}

/// Verifies chains against a root store and turns the outcome into a
/// [`CertVerdict`].
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl ChainVerifier {
    /// A verifier over `roots` using the ring provider's algorithms.
    pub fn new(roots: RootCertStore) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| TlsError::General(e.to_string()))?;
        Ok(Self { inner })
    }

    /// The webpki verifier, for handshake signature checks.
    pub fn webpki(&self) -> &Arc<WebPkiServerVerifier> {
        &self.inner
    }

    /// The verdict for `chain` (leaf first) against `expected_name`
    /// (`None` when the target was an address: only the chain is judged).
    pub fn verdict(
        &self,
        chain: &[CertificateDer<'_>],
        expected_name: Option<&str>,
        now: UnixTime,
    ) -> CertVerdict {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return CertVerdict::Invalid("the server sent no certificate".to_owned());
        };
        // With no name to check, any well-formed name lets webpki judge the
        // chain; a NotValidForName answer then means "chain fine". The
        // `.invalid` TLD is reserved (RFC 6761) and can never be a real SAN.
        let name = match expected_name {
            Some(n) => ServerName::try_from(n.to_owned()),
            None => ServerName::try_from("tlscheck.invalid"),
        };
        let Ok(name) = name else {
            return CertVerdict::Invalid(format!(
                "{:?} is not a host name a certificate can match",
                expected_name.unwrap_or_default()
            ));
        };
        match self
            .inner
            .verify_server_cert(leaf, intermediates, &name, &[], now)
        {
            Ok(_) if expected_name.is_some() => CertVerdict::Trusted,
            Ok(_) => CertVerdict::TrustedNameNotChecked,
            Err(TlsError::InvalidCertificate(e)) => match e {
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => match expected_name {
                    Some(n) => CertVerdict::NameMismatch {
                        expected: n.to_owned(),
                    },
                    None => CertVerdict::TrustedNameNotChecked,
                },
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    match out_of_date(chain, now, true) {
                        Some(words) => CertVerdict::Invalid(words),
                        None => CertVerdict::Expired,
                    }
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    match out_of_date(chain, now, false) {
                        Some(words) => CertVerdict::Invalid(words),
                        None => CertVerdict::NotYetValid,
                    }
                }
                CertificateError::UnknownIssuer if is_self_signed(leaf) => {
                    CertVerdict::SelfSigned { ca: false }
                }
                CertificateError::UnknownIssuer => CertVerdict::UntrustedIssuer,
                // webpki refuses a CA certificate as the leaf before it
                // looks for an issuer (CaUsedAsEndEntity): self-signed,
                // as OpenSSL calls it too (error 18, "self-signed
                // certificate"), whatever its basicConstraints say.
                _ if is_self_signed(leaf) && is_ca(leaf) => CertVerdict::SelfSigned { ca: true },
                other => CertVerdict::Invalid(chain_words(&other, chain)),
            },
            Err(_) => CertVerdict::Invalid("the chain could not be verified".to_owned()),
        }
    }
}

/// Words for an intermediate that is out of date (`expired`: past its
/// notAfter, else before its notBefore); `None` when it is the leaf (the
/// verdict then says Expired / NotYetValid and the leaf's dates).
fn out_of_date(chain: &[CertificateDer<'_>], now: UnixTime, expired: bool) -> Option<String> {
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let (i, cert) = chain.iter().enumerate().find_map(|(i, der)| {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        let v = c.validity();
        let bad = if expired {
            v.not_after.timestamp() < now
        } else {
            v.not_before.timestamp() > now
        };
        bad.then_some((i, c))
    })?;
    if i == 0 {
        return None;
    }
    let v = cert.validity();
    Some(if expired {
        format!(
            "intermediate {} expired on {}",
            cert.subject(),
            day(v.not_after.timestamp())
        )
    } else {
        format!(
            "intermediate {} is not valid before {}",
            cert.subject(),
            day(v.not_before.timestamp())
        )
    })
}

/// `2026-11-28` from a Unix time.
fn day(unix: i64) -> String {
    rfc3339(unix).chars().take(10).collect()
}

/// Words for a chain that webpki refused for another reason than dates,
/// issuer or name, reading the chain to name the certificate at fault.
fn chain_words(e: &CertificateError, chain: &[CertificateDer<'_>]) -> String {
    let parsed: Vec<X509Certificate<'_>> = chain
        .iter()
        .filter_map(|der| X509Certificate::from_der(der).ok().map(|(_, c)| c))
        .collect();
    let which = |i: usize, c: &X509Certificate<'_>| {
        if i == 0 {
            "the certificate".to_owned()
        } else {
            format!("intermediate {}", c.subject())
        }
    };
    #[expect(deprecated, reason = "webpki still returns the context-free variant")]
    let signature_problem = matches!(
        e,
        CertificateError::BadSignature
            | CertificateError::UnsupportedSignatureAlgorithm
            | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. }
    );
    if signature_problem {
        for (i, c) in parsed.iter().enumerate() {
            let alg = signature_algorithm_name(c);
            if alg.to_ascii_lowercase().contains("sha1") {
                return format!("{} is signed with SHA-1 ({alg})", which(i, c));
            }
        }
        // The key that signed certificate i is the next one's (or an
        // anchor's, which tlscheck does not see).
        for (i, pair) in parsed.windows(2).enumerate() {
            if let [child, issuer] = pair {
                if let (t, Some(bits)) = key_description(issuer) {
                    if t == "RSA" && bits < 2048 {
                        return format!(
                            "{} is signed by an RSA {bits}-bit key ({}), which is too small",
                            which(i, child),
                            issuer.subject()
                        );
                    }
                }
            }
        }
    }
    error_words(e)
}

fn signature_algorithm_name(c: &X509Certificate<'_>) -> String {
    let registry = x509_parser::objects::oid_registry();
    let oid = &c.signature_algorithm.algorithm;
    x509_parser::objects::oid2sn(oid, registry)
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

/// Plain words for a webpki certificate error (no Debug dumps).
#[expect(deprecated, reason = "webpki still returns the context-free variants")]
pub fn error_words(e: &CertificateError) -> String {
    match e {
        CertificateError::BadEncoding => "the certificate is not valid DER".to_owned(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "a certificate has expired".to_owned()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "a certificate is not valid yet".to_owned()
        }
        CertificateError::Revoked => "the certificate is revoked".to_owned(),
        CertificateError::UnhandledCriticalExtension => {
            "the certificate has a critical extension tlscheck's verifier does not know".to_owned()
        }
        CertificateError::UnknownIssuer => "the issuer is not trusted".to_owned(),
        CertificateError::BadSignature => "the signature does not verify".to_owned(),
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. } => {
            "the signature algorithm is not supported by tlscheck's verifier (ring/webpki)".to_owned()
        }
        CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the key type or size is not supported by tlscheck's verifier (ring/webpki: RSA 2048 bits or more, ECDSA P-256/P-384, Ed25519)".to_owned()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the certificate does not cover the name".to_owned()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the certificate is not for TLS server authentication (extended key usage)".to_owned()
        }
        CertificateError::ApplicationVerificationFailure => {
            "the certificate failed verification".to_owned()
        }
        CertificateError::Other(o) => other_words(&o.to_string()),
        _ => "tlscheck's verifier (webpki) refused it for a reason it does not name".to_owned(),
    }
}

/// Words for a webpki error rustls passes on as "other" (webpki names it
/// by its variant).
fn other_words(name: &str) -> String {
    match name {
        "CaUsedAsEndEntity" => {
            "the server's certificate is a CA certificate (basicConstraints CA:TRUE), not a server certificate".to_owned()
        }
        "EndEntityUsedAsCa" => {
            "an issuing certificate in the chain is not a CA certificate (basicConstraints)".to_owned()
        }
        "PathLenConstraintViolated" => {
            "the chain is longer than an issuer's basicConstraints path length allows".to_owned()
        }
        "NameConstraintViolation" => {
            "the certificate's names break an issuer's name constraints".to_owned()
        }
        "CertDistrusted" => "the certificate's key is explicitly distrusted".to_owned(),
        other => format!("tlscheck's verifier (webpki) refused it ({other})"),
    }
}

/// `RSA 1024` or `EC P-521` for a DER certificate's key.
pub fn key_words(der: &[u8]) -> Option<String> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(match key_description(&cert) {
        (t, Some(bits)) if t == "RSA" => format!("RSA {bits}"),
        (t, _) => t,
    })
}

/// True when the certificate names itself as its issuer.
fn is_self_signed(der: &CertificateDer<'_>) -> bool {
    X509Certificate::from_der(der)
        .map(|(_, c)| c.subject().as_raw() == c.issuer().as_raw())
        .unwrap_or(false)
}

/// True when the certificate says it is a CA (basicConstraints CA:TRUE).
fn is_ca(der: &CertificateDer<'_>) -> bool {
    X509Certificate::from_der(der)
        .ok()
        .and_then(|(_, c)| c.basic_constraints().ok().flatten().map(|b| b.value.ca))
        .unwrap_or(false)
}

/// The subject of a DER certificate, if it parses.
pub fn subject(der: &[u8]) -> Option<String> {
    X509Certificate::from_der(der)
        .ok()
        .map(|(_, c)| c.subject().to_string())
}

/// Summarises the leaf of `chain`. `None` when there is no leaf or it
/// cannot be parsed (the verdict then says why).
pub fn summarize(
    chain: &[Vec<u8>],
    verdict: CertVerdict,
    from_version: TlsVersion,
    now_unix: i64,
) -> Option<CertSummary> {
    let leaf = chain.first()?;
    let (_, cert) = X509Certificate::from_der(leaf).ok()?;
    let validity = cert.validity();
    let not_after = validity.not_after.timestamp();
    let sans = san_names(&cert, true);
    let (key_type, key_bits) = key_description(&cert);
    let registry = x509_parser::objects::oid_registry();
    let sig_oid = &cert.signature_algorithm.algorithm;
    let signature_algorithm = x509_parser::objects::oid2sn(sig_oid, registry)
        .map(str::to_owned)
        .unwrap_or_else(|_| sig_oid.to_id_string());
    Some(CertSummary {
        subject: cert.subject().to_string(),
        sans,
        issuer: cert.issuer().to_string(),
        not_before: rfc3339(validity.not_before.timestamp()),
        not_after: rfc3339(not_after),
        days_left: (not_after - now_unix).div_euclid(SECS_PER_DAY),
        key_type,
        key_bits,
        signature_algorithm,
        chain_len: chain.len(),
        verdict,
        from_version,
    })
}

/// The key type, key size and signature algorithm of one DER
/// certificate, as [`summarize`] names them; `None` if it does not parse.
pub fn key_and_signature(der: &[u8]) -> Option<(String, Option<u32>, String)> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let (key_type, key_bits) = key_description(&cert);
    let registry = x509_parser::objects::oid_registry();
    let sig_oid = &cert.signature_algorithm.algorithm;
    let sig = x509_parser::objects::oid2sn(sig_oid, registry)
        .map(str::to_owned)
        .unwrap_or_else(|_| sig_oid.to_id_string());
    Some((key_type, key_bits, sig))
}

/// The subjectAltName DNS names of a certificate, and its IP addresses as
/// text when `with_ips`; empty without the extension.
pub fn san_names(cert: &X509Certificate<'_>, with_ips: bool) -> Vec<String> {
    cert.subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(n) => Some((*n).to_owned()),
                    GeneralName::IPAddress(b) if with_ips => ip_from_bytes(b),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ip_from_bytes(b: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(b) {
        return Some(std::net::Ipv4Addr::from(v4).to_string());
    }
    <[u8; 16]>::try_from(b)
        .ok()
        .map(|v6| std::net::Ipv6Addr::from(v6).to_string())
}

fn key_description(cert: &X509Certificate<'_>) -> (String, Option<u32>) {
    let spki = cert.public_key();
    let bits = |n: usize| u32::try_from(n).ok().filter(|b| *b > 0);
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA".to_owned(), bits(rsa.key_size())),
        Ok(PublicKey::EC(ec)) => {
            // The parser counts the point's bytes: P-521's 66-byte
            // coordinates come out as 528 bits.
            let (name, size) = match bits(ec.key_size()) {
                Some(256) => ("EC P-256", Some(256)),
                Some(384) => ("EC P-384", Some(384)),
                Some(521 | 528) => ("EC P-521", Some(521)),
                other => ("EC", other),
            };
            (name.to_owned(), size)
        }
        Ok(PublicKey::DSA(_)) => ("DSA".to_owned(), None),
        Ok(PublicKey::GostR3410(_)) | Ok(PublicKey::GostR3410_2012(_)) => ("GOST".to_owned(), None),
        Ok(PublicKey::Unknown(_)) | Err(_) => {
            let oid = &spki.algorithm.algorithm;
            let registry = x509_parser::objects::oid_registry();
            let name = x509_parser::objects::oid2sn(oid, registry)
                .map(str::to_owned)
                .unwrap_or_else(|_| oid.to_id_string());
            (name, None)
        }
    }
}

/// Formats a Unix time as RFC 3339 UTC (`2026-11-28T16:38:00Z`).
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{unix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(name: &str) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn now() -> UnixTime {
        UnixTime::now()
    }

    #[test]
    fn self_signed_leaf_is_called_self_signed() {
        let v = ChainVerifier::new(root_store(&[])).unwrap();
        let der = CertificateDer::from(self_signed("mx.example.test"));
        assert_eq!(
            v.verdict(&[der], Some("mx.example.test"), now()),
            CertVerdict::SelfSigned { ca: false }
        );
    }

    /// What `openssl req -x509` makes by default: self-signed with
    /// basicConstraints CA:TRUE. webpki refuses it as a leaf
    /// (CaUsedAsEndEntity) before looking for an issuer; it is still
    /// self-signed, not "could not be verified".
    #[test]
    fn self_signed_ca_leaf_is_self_signed_and_says_ca() {
        let v = ChainVerifier::new(root_store(&[])).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["mx.example.test".to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let der = CertificateDer::from(params.self_signed(&key).unwrap().der().to_vec());
        for name in [Some("mx.example.test"), None] {
            assert_eq!(
                v.verdict(std::slice::from_ref(&der), name, now()),
                CertVerdict::SelfSigned { ca: true }
            );
        }
    }

    /// A CA certificate as the leaf, issued by a trusted CA: invalid, with
    /// webpki's reason in words (not "could not be verified").
    #[test]
    fn ca_leaf_from_a_trusted_ca_is_named() {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "tlscheck test CA");
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["mx.example.test".to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let leaf = params
            .signed_by(&rcgen::KeyPair::generate().unwrap(), &ca)
            .unwrap();
        let v = ChainVerifier::new(root_store(&[ca.der().clone()])).unwrap();
        let got = v.verdict(&[leaf.der().clone()], Some("mx.example.test"), now());
        assert_eq!(
            got,
            CertVerdict::Invalid(
                "the server's certificate is a CA certificate (basicConstraints CA:TRUE), not a server certificate".to_owned()
            )
        );
    }

    /// A test CA and a leaf it signed for `name`, valid until `not_after`.
    fn ca_and_leaf(
        name: &str,
        expired: bool,
    ) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "tlscheck test CA");
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let mut leaf_params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        if expired {
            leaf_params.not_before = time::macros::datetime!(2020-01-01 0:00 UTC);
            leaf_params.not_after = time::macros::datetime!(2021-01-01 0:00 UTC);
        }
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
        (ca.der().clone(), leaf.der().clone())
    }

    #[test]
    fn chain_to_extra_root_is_trusted_and_name_is_checked() {
        let (ca, leaf) = ca_and_leaf("mx.example.test", false);
        let v = ChainVerifier::new(root_store(&[ca])).unwrap();
        let chain = [leaf];
        assert_eq!(
            v.verdict(&chain, Some("mx.example.test"), now()),
            CertVerdict::Trusted
        );
        assert_eq!(
            v.verdict(&chain, Some("other.example.test"), now()),
            CertVerdict::NameMismatch {
                expected: "other.example.test".to_owned()
            }
        );
        assert_eq!(
            v.verdict(&chain, None, now()),
            CertVerdict::TrustedNameNotChecked
        );
    }

    #[test]
    fn expired_leaf_is_expired_and_unknown_ca_is_untrusted() {
        let (ca, leaf) = ca_and_leaf("mx.example.test", true);
        let v = ChainVerifier::new(root_store(&[ca])).unwrap();
        assert_eq!(
            v.verdict(&[leaf], Some("mx.example.test"), now()),
            CertVerdict::Expired
        );
        let bare = ChainVerifier::new(root_store(&[])).unwrap();
        let (_, fresh) = ca_and_leaf("mx.example.test", false);
        assert_eq!(
            bare.verdict(&[fresh], Some("mx.example.test"), now()),
            CertVerdict::UntrustedIssuer
        );
    }

    #[test]
    fn empty_chain_is_invalid() {
        let v = ChainVerifier::new(root_store(&[])).unwrap();
        assert!(matches!(
            v.verdict(&[], None, now()),
            CertVerdict::Invalid(_)
        ));
    }

    #[test]
    fn summary_reads_names_key_and_dates() {
        let der = self_signed("mx.example.test");
        let s = summarize(
            &[der],
            CertVerdict::SelfSigned { ca: false },
            TlsVersion::Tls12,
            0,
        )
        .unwrap();
        assert_eq!(s.sans, vec!["mx.example.test".to_owned()]);
        assert!(s.key_type.starts_with("EC"), "{}", s.key_type);
        assert!(s.days_left > 0);
        assert_eq!(s.chain_len, 1);
    }

    #[test]
    fn summary_of_garbage_is_none() {
        assert!(summarize(
            &[vec![0x30, 0x03, 1, 2]],
            CertVerdict::Expired,
            TlsVersion::Tls10,
            0
        )
        .is_none());
    }

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
