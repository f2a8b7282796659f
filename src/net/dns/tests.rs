use super::*;
use hickory_resolver::proto::op::Query;

#[test]
fn parses_resolver_addresses_with_port_53_by_default() {
    let cases = [
        ("192.0.2.53", "192.0.2.53:53"),
        ("127.0.0.1:5353", "127.0.0.1:5353"),
        ("2001:db8::53", "[2001:db8::53]:53"),
        ("[::1]:5353", "[::1]:5353"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            ResolverChoice::parse_server(input),
            Ok(expected.parse().unwrap()),
            "input {input:?}"
        );
    }
}

#[test]
fn rejects_resolver_given_as_a_name_or_bad_port() {
    for input in ["dns.contoso.com", "127.0.0.1:0", ""] {
        let err = ResolverChoice::parse_server(input).unwrap_err();
        assert_eq!(err.label(), "config", "input {input:?}");
    }
}

#[test]
fn describes_system_resolvers_with_their_ports() {
    let (config, _) = hickory_resolver::system_conf::parse_resolv_conf(
        "nameserver 10.0.0.2\nnameserver 2001:db8::53\n",
    )
    .unwrap();
    assert_eq!(
        describe_system(config.name_servers()),
        "system (/etc/resolv.conf: 10.0.0.2:53, [2001:db8::53]:53)"
    );
}

#[test]
fn describes_explicit_servers_in_order() {
    let dns = Dns::new(&DnsOptions {
        resolver: ResolverChoice::Servers(vec![
            "127.0.0.1:5353".parse().unwrap(),
            "[::1]:53".parse().unwrap(),
        ]),
        ..DnsOptions::default()
    })
    .unwrap();
    assert_eq!(dns.describe(), "127.0.0.1:5353, [::1]:53");
}

#[test]
fn rejects_options_that_cannot_work() {
    let server = ResolverChoice::Servers(vec!["127.0.0.1:53".parse().unwrap()]);
    let cases = [
        DnsOptions {
            resolver: ResolverChoice::Servers(vec![]),
            ..DnsOptions::default()
        },
        DnsOptions {
            resolver: server.clone(),
            attempts: 0,
            ..DnsOptions::default()
        },
        DnsOptions {
            resolver: server.clone(),
            timeout: Duration::ZERO,
            ..DnsOptions::default()
        },
        DnsOptions {
            resolver: server,
            families: IpFamilies {
                v4: false,
                v6: false,
            },
            ..DnsOptions::default()
        },
    ];
    for options in cases {
        assert_eq!(Dns::new(&options).unwrap_err().label(), "config");
    }
}

#[test]
fn classifies_hickory_errors_by_variant_and_rcode() {
    let query = Query::query(Name::from_ascii("example.test.").unwrap(), RecordType::MX);
    let no_records = |code| NetError::from(NoRecords::new(query.clone(), code));
    assert!(matches!(
        classify(no_records(ResponseCode::NXDomain)),
        Ok(Answer::NxDomain(name)) if name == *query.name()
    ));
    assert!(matches!(
        classify(no_records(ResponseCode::NoError)),
        Ok(Answer::NoData(name)) if name == *query.name()
    ));
    let errors = [
        (no_records(ResponseCode::ServFail), DnsError::ServFail),
        (
            NetError::Dns(HickoryDnsError::ResponseCode(ResponseCode::ServFail)),
            DnsError::ServFail,
        ),
        (
            NetError::Dns(HickoryDnsError::ResponseCode(ResponseCode::Refused)),
            DnsError::Refused,
        ),
        (NetError::Timeout, DnsError::Timeout),
        (
            NetError::from(std::io::Error::from(std::io::ErrorKind::TimedOut)),
            DnsError::Timeout,
        ),
    ];
    for (error, expected) in errors {
        match classify(error) {
            Err(e) => assert_eq!(e, expected),
            Ok(_) => panic!("expected {expected:?}"),
        }
    }
    let other = classify(NetError::Dns(HickoryDnsError::ResponseCode(
        ResponseCode::FormErr,
    )));
    assert!(matches!(other, Err(DnsError::Other(_))));
    let refused_tcp = classify(NetError::from(std::io::Error::from(
        std::io::ErrorKind::ConnectionRefused,
    )));
    assert!(matches!(refused_tcp, Err(DnsError::NoConnection(_))));
}

#[test]
fn builds_the_system_resolver_or_says_why_not() {
    // Reads /etc/resolv.conf and sends nothing.
    match Dns::new(&DnsOptions::default()) {
        Ok(dns) => assert!(
            dns.describe().starts_with("system (/etc/resolv.conf: "),
            "{}",
            dns.describe()
        ),
        Err(e) => assert_eq!(e.label(), "system_config", "{e}"),
    }
}

#[test]
fn sends_every_name_fully_qualified_and_refuses_malformed_ones() {
    assert_eq!(
        fqdn("Mail.Example.test").unwrap().to_ascii(),
        "Mail.Example.test."
    );
    assert_eq!(fqdn("example.test.").unwrap().to_ascii(), "example.test.");
    assert_eq!(
        fqdn("bücher.example").unwrap().to_ascii(),
        "xn--bcher-kva.example."
    );
    assert!(matches!(fqdn("a..b"), Err(DnsError::Other(_))));
}

#[test]
fn bounds_a_query_by_timeout_times_attempts_plus_a_quarter() {
    assert_eq!(
        hard_bound(Duration::from_millis(400), 3),
        Duration::from_millis(1300)
    );
}

#[test]
fn writes_names_as_lower_case_a_labels_without_trailing_dot() {
    let cases = [
        ("MX1.Example.TEST.", "mx1.example.test"),
        (".", "."),
        ("192.0.2.1.", "192.0.2.1"),
    ];
    for (input, expected) in cases {
        assert_eq!(display_name(&Name::from_ascii(input).unwrap()), expected);
    }
}

#[test]
fn labels_are_stable_snake_case() {
    let labels = [
        DnsError::ServFail.label(),
        DnsError::NoConnection(String::new()).label(),
        DnsWarning::MxIsCname {
            target: String::new(),
        }
        .label(),
        DnsWarning::MxIsIpLiteral.label(),
        MailRouting::ImplicitMx {
            addresses: vec![],
            error: None,
            warnings: vec![],
            zone_apex: None,
        }
        .label(),
        MailRouting::NoMailRecords.label(),
    ];
    assert_eq!(
        labels,
        [
            "servfail",
            "no_connection",
            "mx_is_cname",
            "mx_is_ip_literal",
            "implicit_mx",
            "no_mail_records"
        ]
    );
}
