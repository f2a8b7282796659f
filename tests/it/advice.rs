//! Issue 12 §4: the advice fits the server software and the question.
//! Real TLS servers (OpenSSL) behind the in-process SMTP server, the built
//! binary run as a user would, JSON read as `serde_json::Value`.

use openssl::ssl::{SslAcceptor, SslMethod, SslVersion};
use serde_json::Value;

use crate::cli::{json, stderr, tlscheck};
use crate::servers::smtp::{spawn, Behaviour, Tls};
use crate::servers::tls::{identity, openssl_acceptor, Leaf};

/// Words that only belong in advice for a Windows server.
const WINDOWS_WORDS: &[&str] = &["schannel", "windows", "registry", ".reg", "send connector"];

/// All words of a finding a person reads as advice: the summary fix, the
/// remediation lines, and the software-specific fix with its snippet.
fn advice_text(f: &Value) -> String {
    let mut out = vec![f["fix_short"].as_str().unwrap_or_default().to_owned()];
    for line in f["remediation"].as_array().unwrap() {
        out.push(line.as_str().unwrap().to_owned());
    }
    if !f["fix"].is_null() {
        out.push(f["fix"]["title"].as_str().unwrap().to_owned());
        for step in f["fix"]["steps"].as_array().unwrap() {
            out.push(step.as_str().unwrap().to_owned());
        }
        if !f["fix"]["snippet"].is_null() {
            out.push(f["fix"]["snippet"]["text"].as_str().unwrap().to_owned());
        }
    }
    out.join("\n")
}

fn check(server: &str) -> Value {
    let o = tlscheck(&[server, "--format", "json", "--timeout", "5"]);
    assert!(matches!(o.status.code(), Some(0..=1)), "{}", stderr(&o));
    json(&o)
}

fn finding<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {v:#}"))
}

fn openssl(min: SslVersion, max: SslVersion) -> Tls {
    Tls::OpenSsl(openssl_acceptor(min, max, &identity(Leaf::Good)))
}

#[test]
fn postfix_server_with_legacy_tls_only_gets_no_windows_steps() {
    // Default greeting: "220 mx.example.test ESMTP Postfix (Debian/GNU)".
    let server = spawn(Behaviour::with_tls(openssl(
        SslVersion::TLS1,
        SslVersion::TLS1_1,
    )));
    let v = check(&server.addr.to_string());
    assert_eq!(v["targets"][0]["servers"][0]["server_software"], "postfix");
    let f = finding(&v, "legacy-tls-only");
    let advice = advice_text(f).to_ascii_lowercase();
    for word in WINDOWS_WORDS {
        assert!(
            !advice.contains(word),
            "{word:?} in advice for Postfix:\n{advice}"
        );
    }
    assert_eq!(f["fix"]["software"], "postfix");
    // TLS already works here (1.0/1.1): the snippet changes only the
    // protocol lists, no placeholder certificate paths.
    let snippet = f["fix"]["snippet"]["text"].as_str().unwrap();
    assert!(
        snippet.contains("smtpd_tls_protocols = >=TLSv1"),
        "{snippet}"
    );
    assert!(
        !snippet.contains("cert_file") && !snippet.contains("key_file"),
        "{snippet}"
    );
    assert!(!snippet.contains("security_level"), "{snippet}");
}

#[test]
fn exchange_server_with_legacy_tls_only_keeps_the_schannel_fix() {
    let mut b = Behaviour::with_tls(openssl(SslVersion::TLS1, SslVersion::TLS1_1));
    b.greeting = Some(
        b"220 mx.example.test Microsoft ESMTP MAIL Service ready at Sat, 28 Nov 2026\r\n".to_vec(),
    );
    let server = spawn(b);
    let v = check(&server.addr.to_string());
    let f = finding(&v, "legacy-tls-only");
    assert_eq!(f["fix"]["software"], "exchange");
    assert!(advice_text(f).contains("SCHANNEL"));
}

#[test]
fn postfix_server_with_legacy_next_to_modern_is_told_to_check_the_sending_side_without_schannel() {
    let server = spawn(Behaviour::with_tls(openssl(
        SslVersion::TLS1,
        SslVersion::TLS1_3,
    )));
    let v = check(&server.addr.to_string());
    let f = finding(&v, "legacy-tls-enabled");
    let advice = advice_text(f);
    let lower = advice.to_ascii_lowercase();
    for word in WINDOWS_WORDS {
        assert!(
            !lower.contains(word),
            "{word:?} in advice for Postfix:\n{advice}"
        );
    }
    assert!(advice.contains("`tlscheck listen`"), "{advice}");
    let snippet = f["fix"]["snippet"]["text"].as_str().unwrap();
    assert!(
        snippet.contains("smtpd_tls_protocols = >=TLSv1.2"),
        "{snippet}"
    );
}

#[test]
fn tls12_with_cbc_suites_only_gets_a_cipher_fix_not_enable_tls12() {
    // OpenSSL offering TLS 1.2 only, with one CBC suite (no AEAD): tlscheck's
    // rustls handshake fails, its own ClientHello gets a ServerHello.
    let id = identity(Leaf::Good);
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    b.set_security_level(0);
    b.set_cipher_list("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0")
        .unwrap();
    b.set_min_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    b.set_certificate(&openssl::x509::X509::from_der(&id.chain[0]).unwrap())
        .unwrap();
    for extra in id.chain.iter().skip(1) {
        b.add_extra_chain_cert(openssl::x509::X509::from_der(extra).unwrap())
            .unwrap();
    }
    b.set_private_key(&openssl::pkey::PKey::private_key_from_der(&id.key).unwrap())
        .unwrap();
    let server = spawn(Behaviour::with_tls(Tls::OpenSsl(b.build())));
    let v = check(&server.addr.to_string());
    let f = finding(&v, "tls12-legacy-ciphers-only");
    let title = f["fix"]["title"].as_str().unwrap();
    assert!(!title.contains("Enable TLS 1.2"), "{title}");
    assert!(title.to_ascii_lowercase().contains("cipher"), "{title}");
    let advice = advice_text(f);
    assert!(advice.contains("GCM"), "{advice}");
    assert!(!advice.contains("smtpd_tls_protocols"), "{advice}");
    for word in WINDOWS_WORDS {
        assert!(
            !advice.to_ascii_lowercase().contains(word),
            "{word:?} in advice for Postfix:\n{advice}"
        );
    }
}
