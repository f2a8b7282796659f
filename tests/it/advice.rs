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

// ---- DNS: -4/-6 and implicit MX ------------------------------------------

use std::net::{IpAddr, Ipv4Addr};

use crate::servers::dns::{serve_zone, DnsServer};
use crate::servers::smtp::{spawn_on, SmtpServer};

const ADVICE_ZONE: &str = r#"
$ORIGIN advice.test.
$TTL 300
@       IN SOA  ns.advice.test. hostmaster.advice.test. 1 3600 600 86400 300
@       IN NS   ns.advice.test.
ns      IN A    127.0.0.1
; The domain itself has no MX, only an address: implicit MX of a domain.
@       IN A    127.0.0.41
; A host name without MX: implicit MX, but nobody publishes MX for hosts.
mail    IN A    127.0.0.41
; An exchange with IPv6 only, alone and next to an IPv4 one.
v6only  IN MX 10 mx6.advice.test.
mixed   IN MX 10 mx4.advice.test.
mixed   IN MX 20 mx6.advice.test.
mx4     IN A    127.0.0.41
mx6     IN AAAA ::1
mx6     IN AAAA ::2
; No MX, IPv6 only.
host6   IN AAAA ::1
"#;

const ADVICE_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 41));

async fn advice_site() -> (DnsServer, SmtpServer) {
    let dns = serve_zone("advice.test.", ADVICE_ZONE).await;
    let smtp = spawn_on(
        ADVICE_IP,
        0,
        Behaviour::with_tls(openssl(SslVersion::TLS1_2, SslVersion::TLS1_3)),
    )
    .unwrap();
    (dns, smtp)
}

/// Runs the binary against the zone; returns the target's JSON.
async fn run_zone(dns: &DnsServer, smtp: &SmtpServer, args: &[&str]) -> Value {
    let resolver = dns.addr().to_string();
    let port = smtp.addr.port().to_string();
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(
        [
            "--resolver",
            &resolver,
            "--port",
            &port,
            "--format",
            "json",
            "--timeout",
            "5",
        ]
        .map(str::to_owned),
    );
    let o = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        tlscheck(&refs)
    })
    .await
    .unwrap();
    let v = json(&o);
    v["targets"][0].clone()
}

fn ids(t: &Value) -> Vec<String> {
    t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn target_finding<'a>(t: &'a Value, id: &str) -> &'a Value {
    t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {t:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv4_only_run_says_what_it_left_out_instead_of_exchange_without_address() {
    let (dns, smtp) = advice_site().await;

    let t = run_zone(&dns, &smtp, &["-4", "mixed.advice.test"]).await;
    let found = ids(&t);
    assert!(
        !found.iter().any(|i| i == "exchange-without-address"),
        "{found:?}"
    );
    let f = target_finding(&t, "exchange-filtered-out");
    assert_eq!(f["severity"], "info", "mx4 was tested: {t:#}");
    let title = f["title"].as_str().unwrap();
    assert!(title.contains("mx6.advice.test"), "{title}");
    assert!(title.contains("-4 left out 2 IPv6 addresses"), "{title}");
    let mx = t["dns"]["mx"].as_array().unwrap();
    assert_eq!(mx[1]["warnings"][0]["kind"], "filtered_out");

    let t = run_zone(&dns, &smtp, &["-4", "v6only.advice.test"]).await;
    assert!(!ids(&t).iter().any(|i| i == "exchange-without-address"));
    let f = target_finding(&t, "exchange-filtered-out");
    assert_eq!(f["severity"], "warning", "nothing was tested: {t:#}");

    // The same domain without -4 has no such finding.
    let t = run_zone(&dns, &smtp, &["-6", "mixed.advice.test"]).await;
    let f = target_finding(&t, "exchange-filtered-out");
    assert!(f["title"]
        .as_str()
        .unwrap()
        .contains("mx4.advice.test: only IPv4 here: -6 left out 1 IPv4 address"));

    // A host with IPv6 only, as an implicit MX and with --host.
    let t = run_zone(&dns, &smtp, &["-4", "host6.advice.test"]).await;
    assert!(target_finding(&t, "host-filtered-out")["title"]
        .as_str()
        .unwrap()
        .contains("-4 left out 1 IPv6 address"));
    assert!(!ids(&t).iter().any(|i| i == "no-mail-records"), "{t:#}");
    let t = run_zone(&dns, &smtp, &["-4", "--host", "mx6.advice.test"]).await;
    assert!(!ids(&t).iter().any(|i| i == "host-has-no-address"), "{t:#}");
    assert!(target_finding(&t, "host-filtered-out")["title"]
        .as_str()
        .unwrap()
        .contains("-4 left out 2 IPv6 addresses"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_mx_advice_only_for_a_domain_not_for_a_host_name() {
    let (dns, smtp) = advice_site().await;
    let clearer = "an explicit MX record is clearer";

    let host = run_zone(&dns, &smtp, &["mail.advice.test"]).await;
    let f = target_finding(&host, "implicit-mx");
    let advice = f["remediation"].to_string();
    assert!(!advice.contains(clearer), "{advice}");
    assert!(advice.contains("--host"), "{advice}");
    assert_eq!(host["servers"][0]["address"], "127.0.0.41");

    let domain = run_zone(&dns, &smtp, &["advice.test"]).await;
    let f = target_finding(&domain, "implicit-mx");
    assert!(f["remediation"].to_string().contains(clearer), "{domain:#}");
}
