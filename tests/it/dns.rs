//! `tlscheck::net::dns` against a real DNS server on loopback: one test per
//! case of the test zone, each asserting the whole typed outcome.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tlscheck::net::dns::{
    Dns, DnsError, DnsOptions, DnsWarning, HostAddresses, IpFamilies, MailRouting, MxExchange,
    ResolverChoice,
};

use crate::servers::dns::{example_test, silent_resolver, BIG_RRSET};

/// Generous for a loopback server, so a busy machine does not fail tests.
const TIMEOUT: Duration = Duration::from_secs(2);

fn dns(servers: &[SocketAddr], families: IpFamilies) -> Dns {
    Dns::new(&DnsOptions {
        resolver: ResolverChoice::Servers(servers.to_vec()),
        timeout: TIMEOUT,
        attempts: 2,
        families,
    })
    .unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn exchange(preference: u16, name: &str, equal: bool, addresses: &[&str]) -> MxExchange {
    MxExchange {
        preference,
        exchange: name.to_owned(),
        equal_preference: equal,
        addresses: addresses.iter().map(|a| ip(a)).collect(),
        warnings: vec![],
        error: None,
    }
}

async fn routing(domain: &str) -> MailRouting {
    let server = example_test().await;
    dns(&[server.addr()], IpFamilies::BOTH)
        .resolve_mail_domain(domain)
        .await
}

#[tokio::test]
async fn sorts_exchanges_by_preference_and_resolves_each() {
    assert_eq!(
        routing("multi.example.test").await,
        MailRouting::Mx {
            exchanges: vec![
                exchange(10, "mx1.example.test", false, &["127.0.0.1"]),
                exchange(20, "mx2.example.test", false, &["127.0.0.2"]),
                exchange(30, "mx3.example.test", false, &["127.0.0.3"]),
            ]
        }
    );
}

#[tokio::test]
async fn orders_equal_preferences_by_name_and_marks_them_equal() {
    let expected = MailRouting::Mx {
        exchanges: vec![
            exchange(10, "mx-a.example.test", true, &["127.0.0.10"]),
            exchange(10, "mx-b.example.test", true, &["127.0.0.11"]),
            exchange(20, "mx1.example.test", false, &["127.0.0.1"]),
        ],
    };
    let server = example_test().await;
    let dns = dns(&[server.addr()], IpFamilies::BOTH);
    // The server may rotate the RRset; the order must not follow it.
    for _ in 0..5 {
        assert_eq!(
            dns.resolve_mail_domain("equal.example.test").await,
            expected
        );
    }
}

#[tokio::test]
async fn uses_the_domains_own_addresses_when_it_has_no_mx() {
    assert_eq!(
        routing("implicit.example.test").await,
        MailRouting::ImplicitMx {
            addresses: vec![ip("127.0.0.20"), ip("::1")],
            error: None,
            warnings: vec![],
            // implicit.example.test is a host inside example.test.
            zone_apex: Some(false),
        }
    );
}

#[tokio::test]
async fn recognises_a_null_mx_and_ignores_the_domains_addresses() {
    assert_eq!(routing("nullmx.example.test").await, MailRouting::NullMx);
}

#[tokio::test]
async fn keeps_a_null_mx_published_next_to_other_mx_as_a_flagged_entry() {
    assert_eq!(
        routing("mixednull.example.test").await,
        MailRouting::Mx {
            exchanges: vec![
                MxExchange {
                    warnings: vec![DnsWarning::NullMxAmongOthers],
                    ..exchange(0, ".", false, &[])
                },
                exchange(10, "mx1.example.test", false, &["127.0.0.1"]),
            ]
        }
    );
}

#[tokio::test]
async fn reports_nxdomain_for_a_domain_that_does_not_exist() {
    assert_eq!(routing("missing.example.test").await, MailRouting::NxDomain);
}

#[tokio::test]
async fn reports_no_mail_records_when_the_name_has_neither_mx_nor_addresses() {
    assert_eq!(
        routing("nomail.example.test").await,
        MailRouting::NoMailRecords
    );
}

#[tokio::test]
async fn warns_when_an_mx_points_to_a_cname_and_follows_it() {
    assert_eq!(
        routing("aliased.example.test").await,
        MailRouting::Mx {
            exchanges: vec![MxExchange {
                warnings: vec![DnsWarning::MxIsCname {
                    target: "mx1.example.test".into()
                }],
                ..exchange(10, "alias.example.test", false, &["127.0.0.1"])
            }]
        }
    );
}

#[tokio::test]
async fn resolves_an_exchange_to_both_its_a_and_aaaa_records() {
    assert_eq!(
        routing("dual.example.test").await,
        MailRouting::Mx {
            exchanges: vec![exchange(
                10,
                "mx-dual.example.test",
                false,
                &["127.0.0.1", "::1"]
            )]
        }
    );
}

#[tokio::test]
async fn a_name_without_any_address_stays_no_addresses_under_a_filter() {
    let server = example_test().await;
    let v4 = dns(&[server.addr()], IpFamilies::V4_ONLY);
    let host = v4.resolve_host("mx-none.example.test").await;
    assert_eq!(host.warnings, vec![DnsWarning::NoAddresses]);
    assert_eq!(host.filtered_out, 0);
    let host = v4.resolve_host("implicit.example.test").await;
    assert_eq!(host.addresses, vec![ip("127.0.0.20")]);
    assert!(host.warnings.is_empty());
}

#[tokio::test]
async fn looks_up_only_the_families_asked_for() {
    let server = example_test().await;
    let only = |families| dns(&[server.addr()], families);
    assert_eq!(
        only(IpFamilies::V4_ONLY)
            .resolve_mail_domain("dual.example.test")
            .await,
        MailRouting::Mx {
            exchanges: vec![exchange(10, "mx-dual.example.test", false, &["127.0.0.1"])]
        }
    );
    assert_eq!(
        only(IpFamilies::V6_ONLY)
            .resolve_mail_domain("dual.example.test")
            .await,
        MailRouting::Mx {
            exchanges: vec![exchange(10, "mx-dual.example.test", false, &["::1"])]
        }
    );
    // mx1 has only an A record: asked for IPv6 only, none is left, and the
    // answer says what -6 removed rather than "no address" (issue 12 §4).
    assert_eq!(
        only(IpFamilies::V6_ONLY)
            .resolve_mail_domain("aliased.example.test")
            .await,
        MailRouting::Mx {
            exchanges: vec![MxExchange {
                warnings: vec![
                    DnsWarning::MxIsCname {
                        target: "mx1.example.test".into()
                    },
                    DnsWarning::FilteredOut {
                        count: 1,
                        family: "IPv4"
                    }
                ],
                ..exchange(10, "alias.example.test", false, &[])
            }]
        }
    );
}

#[tokio::test]
async fn warns_about_exchanges_without_addresses_or_that_do_not_exist() {
    assert_eq!(
        routing("noaddr.example.test").await,
        MailRouting::Mx {
            exchanges: vec![
                MxExchange {
                    warnings: vec![DnsWarning::NoAddresses],
                    ..exchange(10, "mx-none.example.test", false, &[])
                },
                MxExchange {
                    warnings: vec![DnsWarning::NxDomain],
                    ..exchange(20, "mx-missing.example.test", false, &[])
                },
            ]
        }
    );
}

#[tokio::test]
async fn warns_about_an_ip_literal_mx_and_uses_its_address() {
    assert_eq!(
        routing("literal.example.test").await,
        MailRouting::Mx {
            exchanges: vec![MxExchange {
                warnings: vec![DnsWarning::MxIsIpLiteral],
                ..exchange(10, "127.0.0.9", false, &["127.0.0.9"])
            }]
        }
    );
}

#[tokio::test]
async fn reports_servfail_for_the_mail_domain() {
    assert_eq!(
        routing("broken.test").await,
        MailRouting::Failed(DnsError::ServFail)
    );
}

#[tokio::test]
async fn keeps_a_servfail_of_one_exchange_on_that_exchange() {
    assert_eq!(
        routing("brokenmx.example.test").await,
        MailRouting::Mx {
            exchanges: vec![MxExchange {
                error: Some(DnsError::ServFail),
                ..exchange(10, "mx.broken.test", false, &[])
            }]
        }
    );
}

#[tokio::test]
async fn reports_refused_for_a_name_the_server_does_not_serve() {
    assert_eq!(
        routing("contoso.example").await,
        MailRouting::Failed(DnsError::Refused)
    );
}

#[tokio::test]
async fn falls_back_to_tcp_when_the_udp_answer_is_truncated() {
    let expected: Vec<IpAddr> = (1..=BIG_RRSET)
        .map(|i| IpAddr::from([127, 0, 1, i]))
        .collect();
    match routing("big.example.test").await {
        MailRouting::Mx { exchanges } => {
            assert_eq!(
                exchanges,
                vec![MxExchange {
                    addresses: expected,
                    ..exchange(10, "mx-big.example.test", false, &[])
                }]
            );
        }
        other => panic!("expected MX, got {other:?}"),
    }
}

#[tokio::test]
async fn ends_with_timeout_within_the_bound_when_the_resolver_does_not_answer() {
    let silent = silent_resolver();
    let timeout = Duration::from_millis(300);
    let attempts: u32 = 2;
    let dns = Dns::new(&DnsOptions {
        resolver: ResolverChoice::Servers(vec![silent.local_addr().unwrap()]),
        timeout,
        attempts: attempts as usize,
        families: IpFamilies::BOTH,
    })
    .unwrap();

    let started = Instant::now();
    let routing = dns.resolve_mail_domain("example.test").await;
    let elapsed = started.elapsed();

    assert_eq!(routing, MailRouting::Failed(DnsError::Timeout));
    // Slack of one timeout for scheduling on a loaded machine.
    let bound = timeout * attempts + timeout;
    assert!(elapsed <= bound, "took {elapsed:?}, bound {bound:?}");
    assert!(elapsed >= timeout, "gave up after only {elapsed:?}");
}

#[tokio::test]
async fn asks_the_next_resolver_when_the_first_does_not_answer() {
    let silent = silent_resolver();
    let server = example_test().await;
    let dns = dns(
        &[silent.local_addr().unwrap(), server.addr()],
        IpFamilies::BOTH,
    );
    assert_eq!(
        dns.resolve_mail_domain("dual.example.test").await,
        MailRouting::Mx {
            exchanges: vec![exchange(
                10,
                "mx-dual.example.test",
                false,
                &["127.0.0.1", "::1"]
            )]
        }
    );
}

#[tokio::test]
async fn resolves_a_host_to_all_its_addresses() {
    let server = example_test().await;
    let dns = dns(&[server.addr()], IpFamilies::BOTH);
    assert_eq!(
        dns.resolve_host("MX-Dual.example.test.").await,
        HostAddresses {
            addresses: vec![ip("127.0.0.1"), ip("::1")],
            ..HostAddresses::default()
        }
    );
    assert_eq!(
        dns.resolve_host("alias.example.test").await,
        HostAddresses {
            addresses: vec![ip("127.0.0.1")],
            alias_target: Some("mx1.example.test".into()),
            ..HostAddresses::default()
        }
    );
}

#[tokio::test]
async fn reports_why_a_host_has_no_addresses() {
    let server = example_test().await;
    let dns = dns(&[server.addr()], IpFamilies::BOTH);
    assert_eq!(
        dns.resolve_host("missing.example.test").await,
        HostAddresses {
            warnings: vec![DnsWarning::NxDomain],
            ..HostAddresses::default()
        }
    );
    assert_eq!(
        dns.resolve_host("nomail.example.test").await,
        HostAddresses {
            warnings: vec![DnsWarning::NoAddresses],
            ..HostAddresses::default()
        }
    );
    assert_eq!(
        dns.resolve_host("mx.broken.test").await,
        HostAddresses {
            error: Some(DnsError::ServFail),
            ..HostAddresses::default()
        }
    );
}

#[tokio::test]
async fn host_lookup_times_out_within_the_bound_when_the_resolver_does_not_answer() {
    let silent = silent_resolver();
    let timeout = Duration::from_millis(300);
    let dns = Dns::new(&DnsOptions {
        resolver: ResolverChoice::Servers(vec![silent.local_addr().unwrap()]),
        timeout,
        attempts: 1,
        families: IpFamilies::BOTH,
    })
    .unwrap();

    let started = Instant::now();
    let host = dns.resolve_host("mx1.example.test").await;
    let elapsed = started.elapsed();

    assert_eq!(
        host,
        HostAddresses {
            error: Some(DnsError::Timeout),
            ..HostAddresses::default()
        }
    );
    // A and AAAA run at once, so the bound is that of one query.
    assert!(elapsed <= timeout * 2, "took {elapsed:?}");
}
