use super::fit::windows_specific;
use super::*;

const ALL: [ServerSoftware; 5] = [
    ServerSoftware::Exchange,
    ServerSoftware::Postfix,
    ServerSoftware::Exim,
    ServerSoftware::Sendmail,
    ServerSoftware::Other,
];

fn lines(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

#[test]
fn detect_recognises_servers_from_banner_and_ehlo() {
    let cases: &[(&str, &[&str], ServerSoftware)] = &[
            (
                "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Sat, 28 Nov 2026 10:00:00 +0000",
                &[],
                ServerSoftware::Exchange,
            ),
            (
                "AM4PEPF00012345.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Sat, 28 Nov 2026 10:00:00 +0000",
                &[],
                ServerSoftware::Exchange,
            ),
            (
                "220 relay.contoso.com Microsoft ESMTP MAIL Service, Version: 10.0.17763.1 ready",
                &[],
                ServerSoftware::Exchange,
            ),
            (
                // Banner changed to hide the product; EHLO still tells.
                "220 mail.contoso.com",
                &[
                    "mail.contoso.com Hello [203.0.113.9]",
                    "SIZE 37748736",
                    "PIPELINING",
                    "STARTTLS",
                    "X-ANONYMOUSTLS",
                    "AUTH NTLM",
                    "XRDST",
                ],
                ServerSoftware::Exchange,
            ),
            (
                "220 mail.contoso.com",
                &["250-mail.contoso.com Hello", "250-x-anonymoustls", "250 XRDST"],
                ServerSoftware::Exchange,
            ),
            ("220 mx.example.net ESMTP Postfix (Debian/GNU)", &[], ServerSoftware::Postfix),
            ("mx.example.net ESMTP Postfix", &[], ServerSoftware::Postfix),
            (
                "220 mail.example.org ESMTP Exim 4.96 Sat, 28 Nov 2026 10:00:00 +0000",
                &[],
                ServerSoftware::Exim,
            ),
            (
                "220 mail.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Sat, 28 Nov 2026",
                &[],
                ServerSoftware::Sendmail,
            ),
            (
                "220 mail.example.org ESMTP ready",
                &["mail.example.org Hello client.example.com [198.51.100.7], pleased to meet you"],
                ServerSoftware::Sendmail,
            ),
            ("220 mx.google.com ESMTP a1b2c3d4 - gsmtp", &[], ServerSoftware::Other),
            // A host name is not a product name.
            ("220 postfix.example.com ESMTP ready", &["PIPELINING"], ServerSoftware::Other),
            ("", &[], ServerSoftware::Other),
            ("220 mx.example.net ESMTP", &["", "   ", "250-"], ServerSoftware::Other),
        ];
    for (banner, ehlo, expected) in cases {
        assert_eq!(
            detect(banner, &lines(ehlo)),
            *expected,
            "{banner:?} {ehlo:?}"
        );
    }
}

#[test]
fn exchange_tls12_snippet_is_a_correct_registry_file() {
    let snippet = enable_tls12(ServerSoftware::Exchange).snippet.unwrap();
    assert_eq!(snippet.language, "reg");
    let reg = snippet.text;
    assert!(reg.starts_with("Windows Registry Editor Version 5.00\n"));
    assert!(reg.contains(r"\SCHANNEL\Protocols\TLS 1.2\Client]"));
    assert!(reg.contains(r"\SCHANNEL\Protocols\TLS 1.2\Server]"));
    assert!(reg.contains("\"DisabledByDefault\"=dword:00000000"));
    assert!(reg.contains("\"Enabled\"=dword:00000001"));
    assert!(!reg.contains("TLS 1,2"), "the source article's typo");
    for key in [
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319]",
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319]",
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v2.0.50727]",
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v2.0.50727]",
    ] {
        let block = reg.split(key).nth(1).expect(key);
        let block = block.split("\n\n").next().unwrap();
        assert!(
            block.contains("\"SystemDefaultTlsVersions\"=dword:00000001"),
            "{key}"
        );
        assert!(
            block.contains("\"SchUseStrongCrypto\"=dword:00000001"),
            "{key}"
        );
    }
    assert_dwords_have_eight_digits(reg);
}

#[test]
fn exchange_disable_legacy_snippet_turns_off_tls10_and_tls11_both_ways() {
    let reg = disable_legacy(ServerSoftware::Exchange)
        .snippet
        .unwrap()
        .text;
    assert!(reg.starts_with("Windows Registry Editor Version 5.00\n"));
    for version in ["TLS 1.0", "TLS 1.1"] {
        for side in ["Client", "Server"] {
            let key = format!(r"\SCHANNEL\Protocols\{version}\{side}]");
            let block = reg.split(key.as_str()).nth(1).expect(&key);
            let block = block.split("\n\n").next().unwrap();
            assert!(block.contains("\"Enabled\"=dword:00000000"), "{key}");
            assert!(
                block.contains("\"DisabledByDefault\"=dword:00000001"),
                "{key}"
            );
        }
    }
    assert!(
        !reg.contains(r"TLS 1.2\"),
        "must not touch the TLS 1.2 keys"
    );
    assert_dwords_have_eight_digits(reg);
}

/// Every `dword:` value in a .reg text has exactly eight hex digits
/// (the source article shows a nine-digit one, which regedit rejects).
fn assert_dwords_have_eight_digits(reg: &str) {
    let values: Vec<&str> = reg.split("dword:").skip(1).collect();
    assert!(!values.is_empty());
    for rest in values {
        let digits = rest.chars().take_while(char::is_ascii_hexdigit).count();
        assert_eq!(digits, 8, "dword:{}", rest.lines().next().unwrap_or(""));
    }
}

#[test]
fn postfix_snippets_set_protocols_on_both_sides() {
    let enable = enable_tls12(ServerSoftware::Postfix).snippet.unwrap();
    assert_eq!(enable.language, "conf");
    for line in [
        "smtpd_tls_mandatory_protocols = >=TLSv1.2",
        "smtp_tls_mandatory_protocols = >=TLSv1.2",
        "smtpd_tls_protocols = ",
        "smtp_tls_protocols = ",
    ] {
        assert!(enable.text.contains(line), "{line}");
    }
    // No upper limit that would shut out TLS 1.3 or 1.2.
    assert!(!enable.text.contains("<="));
    let disable = disable_legacy(ServerSoftware::Postfix).snippet.unwrap();
    for param in [
        "smtpd_tls_protocols",
        "smtpd_tls_mandatory_protocols",
        "smtp_tls_protocols",
        "smtp_tls_mandatory_protocols",
    ] {
        assert!(
            disable.text.contains(&format!("{param} = >=TLSv1.2\n")),
            "{param}"
        );
    }
    assert!(enable_tls12(ServerSoftware::Postfix)
        .steps
        .iter()
        .any(|s| s.contains("postfix reload")));
}

#[test]
fn exim_snippets_name_the_tls_options() {
    let enable = enable_tls12(ServerSoftware::Exim).snippet.unwrap().text;
    assert!(enable.contains("openssl_options = "));
    assert!(enable.contains("tls_require_ciphers"));
    assert!(!enable.contains("+no_tlsv1_2"));
    let disable = disable_legacy(ServerSoftware::Exim).snippet.unwrap().text;
    assert!(disable.contains("openssl_options = +no_sslv2 +no_sslv3 +no_tlsv1 +no_tlsv1_1"));
}

#[test]
fn starttls_remediations_name_the_certificate_settings() {
    let exchange = enable_starttls(ServerSoftware::Exchange).snippet.unwrap();
    assert_eq!(exchange.language, "powershell");
    assert!(exchange.text.contains("Enable-ExchangeCertificate"));
    assert!(exchange.text.contains("-Services SMTP"));
    assert!(exchange.text.contains("Get-ReceiveConnector"));
    assert!(exchange.text.contains("Fqdn"));
    assert!(exchange.text.contains("AuthMechanism"));
    let postfix = enable_starttls(ServerSoftware::Postfix)
        .snippet
        .unwrap()
        .text;
    assert!(postfix.contains("smtpd_tls_security_level = may"));
    assert!(postfix.contains("smtpd_tls_cert_file"));
    assert!(postfix.contains("smtpd_tls_key_file"));
    let repair = repair_starttls(ServerSoftware::Postfix);
    assert!(repair.title.contains("454"));
    assert!(repair.snippet.unwrap().text.contains("openssl pkey"));
}

/// The settings lines of a snippet (no comments, no blank lines).
fn settings(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("dnl"))
        .collect()
}

#[test]
fn snippets_for_a_server_whose_tls_works_change_only_the_protocol_lists() {
    // enable_tls12 and disable_legacy are given for servers that already
    // speak TLS: no placeholder certificate paths, no security level,
    // nothing but the protocol lists.
    for make in [enable_tls12, disable_legacy] {
        for sw in [
            ServerSoftware::Postfix,
            ServerSoftware::Exim,
            ServerSoftware::Sendmail,
        ] {
            let r = make(sw);
            let text = r.snippet.unwrap().text;
            for line in settings(text) {
                let ok = line.starts_with("smtpd_tls_protocols")
                    || line.starts_with("smtpd_tls_mandatory_protocols")
                    || line.starts_with("smtp_tls_protocols")
                    || line.starts_with("smtp_tls_mandatory_protocols")
                    || line.starts_with("openssl_options")
                    || line == "LOCAL_CONFIG"
                    || line.starts_with("O ServerSSLOptions")
                    || line.starts_with("O ClientSSLOptions");
                assert!(ok, "{sw:?} {}: {line}", r.title);
            }
            assert!(!text.contains("example.com"), "{sw:?} {}", r.title);
            assert!(!text.contains("security_level"), "{sw:?} {}", r.title);
        }
    }
}

#[test]
fn the_cipher_fix_is_about_cipher_suites_not_versions() {
    for sw in ALL {
        let r = enable_modern_ciphers(sw);
        let all_text = format!(
            "{} {} {}",
            r.title,
            r.steps.join(" "),
            r.snippet.map(|s| s.text).unwrap_or_default()
        );
        assert!(!r.title.contains("Enable TLS 1.2"), "{sw:?}");
        assert!(all_text.contains("GCM"), "{sw:?}");
        assert!(all_text.contains("RSA certificate"), "{sw:?}");
        assert!(!all_text.contains("protocols ="), "{sw:?}");
        assert_ne!(r, enable_tls12(sw), "{sw:?}");
    }
    let postfix = enable_modern_ciphers(ServerSoftware::Postfix)
        .snippet
        .unwrap()
        .text;
    assert!(postfix.contains("postconf -X"));
    assert!(!postfix.contains("cert_file"));
}

#[test]
fn windows_parts_are_taken_out_of_advice_for_unix_servers() {
    let cases: &[(&str, Option<&str>)] = &[
            (
                "Enable TLS 1.2 for the server side (Windows: SCHANNEL\\Protocols\\TLS 1.2\\Server Enabled=1, DisabledByDefault=0) and restart.",
                Some("Enable TLS 1.2 for the server side and restart."),
            ),
            (
                "Receiving works. The server's sending side (its Send connector) cannot be seen from here: if it still offers only TLS 1.0/1.1, Office 365 drops its connections. Check the SCHANNEL TLS 1.2\\Client key, run `tlscheck schannel` on a registry export, or let it send to `tlscheck listen`.",
                Some("Receiving works. The server's sending side cannot be seen from here: if it still offers only TLS 1.0/1.1, Office 365 drops its connections. Let it send to `tlscheck listen`."),
            ),
            (
                "Enable the suites; Windows: update and check the cipher suite order policy.",
                Some("Enable the suites."),
            ),
            ("Restart the server: SCHANNEL reads these keys only when Windows starts.", None),
            (
                "Check that the certificate bound to SMTP has a private key the service can read.",
                Some("Check that the certificate bound to SMTP has a private key the service can read."),
            ),
        ];
    for (line, want) in cases {
        for sw in [
            ServerSoftware::Postfix,
            ServerSoftware::Exim,
            ServerSoftware::Sendmail,
        ] {
            let got = fit_line(line, sw);
            assert_eq!(got.as_deref(), *want, "{sw:?}: {line}");
            if let Some(g) = got {
                assert!(!windows_specific(&g), "{g}");
            }
        }
        // Exchange and unknown servers keep every word.
        for sw in [ServerSoftware::Exchange, ServerSoftware::Other] {
            assert_eq!(fit_line(line, sw).as_deref(), Some(*line));
        }
    }
    assert_eq!(
        fit_fix_short(
            "enable TLS 1.2 (SCHANNEL TLS 1.2 Server and Client keys) and restart",
            ServerSoftware::Postfix
        ),
        "enable TLS 1.2 for receiving and sending, then reload the mail service"
    );
    assert_eq!(
        fit_fix_short(
            "enable TLS 1.2 (SCHANNEL TLS 1.2 Server and Client keys) and restart",
            ServerSoftware::Exchange
        ),
        "enable TLS 1.2 (SCHANNEL TLS 1.2 Server and Client keys) and restart"
    );
    // Unbalanced or odd text does not panic.
    for odd in ["(", " (windows", "a (b) (c", "é (Windows é) é", ". ; , ."] {
        let _ = fit_line(odd, ServerSoftware::Postfix);
    }
}

#[test]
fn every_remediation_has_a_title_and_steps() {
    let all = [
        enable_tls12,
        disable_legacy,
        enable_starttls,
        repair_starttls,
        enable_modern_ciphers,
    ];
    for make in all {
        for sw in ALL {
            let r = make(sw);
            assert!(!r.title.is_empty(), "{sw:?}");
            assert!(!r.steps.is_empty(), "{sw:?} {}", r.title);
            assert!(r.steps.iter().all(|s| !s.trim().is_empty()));
            if let Some(snippet) = r.snippet {
                assert!(
                    ["reg", "powershell", "conf", "m4", "sh"].contains(&snippet.language),
                    "{}",
                    snippet.language
                );
                assert!(snippet.text.ends_with('\n'), "{}", r.title);
                assert!(!snippet.text.contains('\r'));
            }
        }
    }
}

#[test]
fn labels_are_stable() {
    let labels: Vec<&str> = ALL.iter().map(|s| s.label()).collect();
    assert_eq!(labels, ["exchange", "postfix", "exim", "sendmail", "other"]);
}
