use super::*;

fn name(name: &str, port: Option<u16>, original: &str) -> Target {
    Target::Name {
        name: name.to_owned(),
        port,
        original: original.to_owned(),
    }
}

fn addr(ip: &str, port: Option<u16>) -> Target {
    Target::Address {
        ip: ip.parse().unwrap(),
        port,
    }
}

#[test]
fn accepts_every_documented_form() {
    let cases = [
        (
            "mail.contoso.com",
            name("mail.contoso.com", None, "mail.contoso.com"),
        ),
        ("Contoso.COM.", name("contoso.com", None, "Contoso.COM.")),
        ("host:587", name("host", Some(587), "host:587")),
        (
            "mail.contoso.com:25",
            name("mail.contoso.com", Some(25), "mail.contoso.com:25"),
        ),
        ("  contoso.com  ", name("contoso.com", None, "contoso.com")),
        (
            "_dmarc.contoso.com",
            name("_dmarc.contoso.com", None, "_dmarc.contoso.com"),
        ),
        ("localhost", name("localhost", None, "localhost")),
        ("192.0.2.1", addr("192.0.2.1", None)),
        ("192.0.2.1:25", addr("192.0.2.1", Some(25))),
        ("2001:db8::1", addr("2001:db8::1", None)),
        ("[2001:db8::1]", addr("2001:db8::1", None)),
        ("[2001:db8::1]:587", addr("2001:db8::1", Some(587))),
        ("::1", addr("::1", None)),
        ("[192.0.2.1]", addr("192.0.2.1", None)),
        ("[192.0.2.1]:2525", addr("192.0.2.1", Some(2525))),
        ("[IPv6:2001:db8::1]", addr("2001:db8::1", None)),
        ("host:65535", name("host", Some(65535), "host:65535")),
    ];
    for (input, expected) in cases {
        assert_eq!(parse(input), Ok(expected), "input {input:?}");
    }
}

#[test]
fn converts_idna_names_to_lower_case_a_labels() {
    let cases = [
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.Example.", "xn--bcher-kva.example"),
        ("mail.bücher.example:587", "mail.xn--bcher-kva.example"),
        ("例え。テスト", "xn--r8jz45g.xn--zckzah"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ];
    for (input, expected) in cases {
        match parse(input) {
            Ok(Target::Name { name, original, .. }) => {
                assert_eq!(name, expected, "input {input:?}");
                assert_eq!(original, input);
            }
            other => panic!("input {input:?} gave {other:?}"),
        }
    }
}

fn assert_rejects(cases: Vec<(&str, TargetError)>) {
    for (input, expected) in cases {
        assert_eq!(parse(input), Err(expected), "input {input:?}");
    }
}

#[test]
fn rejects_what_is_not_a_host_with_the_right_error() {
    assert_rejects(vec![
        ("", TargetError::Empty),
        ("   ", TargetError::Empty),
        (
            "mail contoso.com",
            TargetError::ContainsWhitespace {
                input: "mail contoso.com".into(),
            },
        ),
        (
            "user@contoso.com",
            TargetError::EmailAddress {
                input: "user@contoso.com".into(),
                domain: "contoso.com".into(),
            },
        ),
        (
            "<user@contoso.com>",
            TargetError::EmailAddress {
                input: "<user@contoso.com>".into(),
                domain: "contoso.com".into(),
            },
        ),
        (
            "smtp://mail.contoso.com:25/",
            TargetError::Url {
                input: "smtp://mail.contoso.com:25/".into(),
                suggestion: "mail.contoso.com:25".into(),
            },
        ),
        (
            "https://user@contoso.com/path",
            TargetError::Url {
                input: "https://user@contoso.com/path".into(),
                suggestion: "contoso.com".into(),
            },
        ),
    ]);
}

#[test]
fn rejects_malformed_ports_and_brackets_with_the_right_error() {
    assert_rejects(vec![
        (
            "host:",
            TargetError::EmptyPort {
                input: "host:".into(),
                host: "host".into(),
            },
        ),
        (
            "[2001:db8::1]:",
            TargetError::EmptyPort {
                input: "[2001:db8::1]:".into(),
                host: "[2001:db8::1]".into(),
            },
        ),
        (
            "host:0",
            TargetError::InvalidPort {
                input: "host:0".into(),
                port: "0".into(),
            },
        ),
        (
            "host:65536",
            TargetError::InvalidPort {
                input: "host:65536".into(),
                port: "65536".into(),
            },
        ),
        (
            "host:+25",
            TargetError::InvalidPort {
                input: "host:+25".into(),
                port: "+25".into(),
            },
        ),
        (
            "192.0.2.1:smtp",
            TargetError::InvalidPort {
                input: "192.0.2.1:smtp".into(),
                port: "smtp".into(),
            },
        ),
        (
            "2001:db8:0:0:0:0:0:1:25",
            TargetError::UnbracketedIpv6WithPort {
                address: "2001:db8:0:0:0:0:0:1".into(),
                port: "25".into(),
            },
        ),
        (
            "host:25:extra",
            TargetError::NotHostPort {
                input: "host:25:extra".into(),
                host: "host".into(),
                port: "25".into(),
            },
        ),
        (
            "2001:db8::g",
            TargetError::InvalidIpv6 {
                input: "2001:db8::g".into(),
            },
        ),
        (
            "[2001:db8::1",
            TargetError::BadBrackets {
                input: "[2001:db8::1".into(),
            },
        ),
        (
            "[mail.contoso.com]",
            TargetError::BadBrackets {
                input: "[mail.contoso.com]".into(),
            },
        ),
        (
            "[2001:db8::1]587",
            TargetError::BadBrackets {
                input: "[2001:db8::1]587".into(),
            },
        ),
    ]);
}

#[test]
fn rejects_malformed_targets_with_the_right_error() {
    let long_label = "a".repeat(64);
    let long_name = ["a".repeat(63).as_str(); 4].join(".");
    assert_rejects(vec![
        (".", TargetError::RootName),
        (
            "contoso..com",
            TargetError::EmptyLabel {
                input: "contoso..com".into(),
            },
        ),
        (
            ".contoso.com",
            TargetError::EmptyLabel {
                input: ".contoso.com".into(),
            },
        ),
        (
            ":25",
            TargetError::EmptyLabel {
                input: ":25".into(),
            },
        ),
        (
            "contoso.com/mail",
            TargetError::InvalidCharacter {
                input: "contoso.com/mail".into(),
                ch: '/',
            },
        ),
        (
            "*.contoso.com",
            TargetError::InvalidCharacter {
                input: "*.contoso.com".into(),
                ch: '*',
            },
        ),
        (
            "bücher!.example",
            TargetError::InvalidCharacter {
                input: "bücher!.example".into(),
                ch: '!',
            },
        ),
        (
            "-mail.contoso.com",
            TargetError::HyphenAtLabelEdge {
                label: "-mail".into(),
            },
        ),
        (
            "192.0.2.300",
            TargetError::NumericTopLabel {
                input: "192.0.2.300".into(),
            },
        ),
        (
            "1.2.3",
            TargetError::NumericTopLabel {
                input: "1.2.3".into(),
            },
        ),
    ]);
    assert_eq!(
        parse(&format!("{long_label}.com")),
        Err(TargetError::LabelTooLong {
            label: long_label,
            len: 64
        })
    );
    assert_eq!(
        parse(&long_name),
        Err(TargetError::NameTooLong { len: 255 })
    );
}

#[test]
fn accepts_names_at_the_length_limits() {
    let label = "a".repeat(63);
    assert!(parse(&format!("{label}.com")).is_ok());
    // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 octets.
    let at_limit = format!("{label}.{label}.{label}.{}", "b".repeat(61));
    assert_eq!(at_limit.len(), 253);
    assert!(parse(&at_limit).is_ok());
    assert!(parse(&format!("{at_limit}.")).is_ok());
}

#[test]
fn rejects_idna_label_that_uts46_refuses() {
    // U+2488 DIGIT ONE FULL STOP is disallowed under STD3 rules.
    assert!(matches!(
        parse("a\u{2488}b.example"),
        Err(TargetError::Idna { .. })
    ));
}

#[test]
fn error_messages_suggest_the_right_form() {
    let cases = [
        ("user@contoso.com", "give the domain: contoso.com"),
        ("smtp://mail.contoso.com:25", "instead: mail.contoso.com:25"),
        ("2001:db8:0:0:0:0:0:1:25", "[2001:db8:0:0:0:0:0:1]:25"),
        ("host:", "give host:25, or just host"),
        ("host:0", "from 1 to 65535"),
        ("", "give a mail domain"),
    ];
    for (input, needle) in cases {
        let message = parse(input).unwrap_err().to_string();
        assert!(message.contains(needle), "{input:?} → {message}");
    }
}

#[test]
fn displays_targets_in_the_form_they_are_written() {
    let cases = [
        ("Contoso.COM.", "contoso.com"),
        ("host:587", "host:587"),
        ("192.0.2.1:25", "192.0.2.1:25"),
        ("[2001:db8::1]:587", "[2001:db8::1]:587"),
        ("[2001:db8::1]", "2001:db8::1"),
    ];
    for (input, shown) in cases {
        assert_eq!(parse(input).unwrap().to_string(), shown);
    }
}
