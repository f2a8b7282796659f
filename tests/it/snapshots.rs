//! Snapshots of every renderer (issue #4) over fixed, hand-built
//! observations: no network and no clocks, so a snapshot changes only when
//! a renderer (or the diagnosis behind it) does. Text uses
//! `Palette::plain()`; JSON is also decoded into `serde_json::Value` and
//! checked for the keys docs/schema.md promises.
//!
//! Scenarios: a server that speaks only TLS 1.0/1.1, a modern server (TLS
//! 1.2 + 1.3, trusted certificate), a server without STARTTLS, and a
//! domain with two MX (one down); plus `explain` for known and unknown
//! text, `listen` for a TLS-1.0-only and a TLS 1.3 sender, and
//! `schannel` for an export with TLS 1.2 Client disabled. Every command
//! goes through the one entry, `report::render(&Report, Format, &Palette)`.

use std::net::SocketAddr;
use std::time::Duration;

use rustls::{AlertDescription, CipherSuite, NamedGroup};
use serde_json::Value;
use tlscheck::cli::Format;
use tlscheck::diagnose::findings::CheckPolicy;
use tlscheck::exit::{self, ExitStatus};
use tlscheck::model::outcome::{DnsAnswer, DnsSection, TargetMode};
use tlscheck::model::{
    Accepted, CertSummary, CertVerdict, Ehlo, NotTested, Policy, ProbeFailure, Rejection,
    ServerObservation, Stage, StarttlsStatus, TlsVersion, VersionProbe, VersionResult,
};
use tlscheck::net::dns::{HostAddresses, MailRouting, MxExchange};
use tlscheck::proto::smtp::reply::Reply;
use tlscheck::proto::tls::suites::{
    CertKey, CipherScan, GroupList, ProfileCheck, ProfileOutcome, ScanEnd, ServerOrder,
    SuiteObservation, SuiteSeen, VersionSuites,
};
use tlscheck::report::outcome::{RunReport, TargetReport};
use tlscheck::report::{self, style::palette::Palette};

fn reply(code: u16, lines: &[&str]) -> Reply {
    Reply {
        code,
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn probe(version: TlsVersion, result: VersionResult, elapsed_ms: u64) -> VersionProbe {
    VersionProbe {
        version,
        result,
        elapsed: ms(elapsed_ms),
        transcript: Vec::new(),
        chain: Vec::new(),
        post_tls_ehlo: None,
    }
}

fn accepted(cipher: CipherSuite, group: Option<NamedGroup>, full: bool) -> VersionResult {
    VersionResult::Accepted(Accepted {
        cipher,
        group,
        full_handshake: full,
        legacy_cipher_only: false,
        limited_by: None,
    })
}

fn protocol_version_alert() -> VersionResult {
    VersionResult::Rejected(Rejection::Alert(AlertDescription::ProtocolVersion))
}

fn ehlo(host: &str, extensions: &[&str]) -> Ehlo {
    let mut lines = vec![host.to_owned()];
    lines.extend(extensions.iter().map(|e| (*e).to_owned()));
    Ehlo {
        reply: Reply { code: 250, lines },
        used_helo: false,
        refused_ehlo: None,
        extensions: extensions.iter().map(|e| (*e).to_owned()).collect(),
    }
}

fn policy(mail_from: Reply, requires_tls: Option<bool>) -> Policy {
    Policy {
        mail_from: Some(mail_from),
        requires_tls,
        error: None,
        transcript: Vec::new(),
    }
}

fn cert(name: &str, issuer: &str, verdict: CertVerdict, from_version: TlsVersion) -> CertSummary {
    CertSummary {
        subject: format!("CN={name}"),
        sans: vec![name.to_owned()],
        issuer: issuer.to_owned(),
        not_before: "2026-10-01T00:00:00Z".to_owned(),
        not_after: "2027-01-29T23:59:59Z".to_owned(),
        days_left: 61,
        key_type: "RSA".to_owned(),
        key_bits: Some(2048),
        signature_algorithm: "sha256WithRSAEncryption".to_owned(),
        chain_len: 2,
        verdict,
        from_version,
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// An Exchange 2010-era server on SCHANNEL with TLS 1.2 off: it accepts
/// TLS 1.0/1.1 only, and demands STARTTLS before MAIL FROM.
fn legacy_only_server() -> ServerObservation {
    ServerObservation {
        host: None,
        address: addr("192.0.2.10:25"),
        preference: None,
        banner: Some(reply(
            220,
            &["mail.fabrikam.com Microsoft ESMTP MAIL Service ready at Sat, 28 Nov 2026 16:38:00 +0000"],
        )),
        ehlo: Some(ehlo(
            "mail.fabrikam.com Hello [203.0.113.5]",
            &["SIZE 36700160", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME", "CHUNKING"],
        )),
        starttls: StarttlsStatus::Offered,
        policy: policy(
            reply(451, &["5.7.3 Must issue a STARTTLS command first"]),
            Some(true),
        ),
        versions: vec![
            probe(
                TlsVersion::Tls10,
                accepted(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, Some(NamedGroup::secp256r1), false),
                41,
            ),
            probe(
                TlsVersion::Tls11,
                accepted(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, Some(NamedGroup::secp256r1), false),
                39,
            ),
            probe(
                TlsVersion::Tls12,
                VersionResult::Dropped {
                    stage: Stage::Handshake,
                    detail: "connection reset by peer".to_owned(),
                },
                37,
            ),
            probe(TlsVersion::Tls13, protocol_version_alert(), 35),
        ],
        certificate: Some(cert(
            "mail.fabrikam.com",
            "CN=R11,O=Let's Encrypt,C=US",
            CertVerdict::TrustedNameNotChecked,
            TlsVersion::Tls10,
        )),
        error: None,
        sni: None,
        elapsed: ms(212),
        suites: SuiteObservation {
            profiles: vec![ProfileCheck {
                profile: "microsoft365",
                outcome: ProfileOutcome::Refused {
                    detail: "answered with version 0x0302, which this sender does not offer"
                        .to_owned(),
                },
            }],
            scan: None,
        },
    }
}

/// A Postfix server with TLS 1.2 and 1.3 and a trusted certificate.
fn modern_server(host: &str, address: &str, preference: Option<u16>) -> ServerObservation {
    ServerObservation {
        host: Some(host.to_owned()),
        address: addr(address),
        preference,
        banner: Some(reply(220, &[&format!("{host} ESMTP Postfix (Debian/GNU)")])),
        ehlo: Some(ehlo(
            host,
            &[
                "PIPELINING",
                "SIZE 10240000",
                "VRFY",
                "ETRN",
                "STARTTLS",
                "ENHANCEDSTATUSCODES",
                "8BITMIME",
                "DSN",
                "SMTPUTF8",
                "CHUNKING",
            ],
        )),
        starttls: StarttlsStatus::Offered,
        policy: policy(reply(250, &["2.1.0 Ok"]), Some(false)),
        versions: vec![
            probe(TlsVersion::Tls10, protocol_version_alert(), 12),
            probe(TlsVersion::Tls11, protocol_version_alert(), 11),
            probe(
                TlsVersion::Tls12,
                accepted(
                    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                    Some(NamedGroup::X25519),
                    true,
                ),
                48,
            ),
            probe(
                TlsVersion::Tls13,
                accepted(
                    CipherSuite::TLS13_AES_256_GCM_SHA384,
                    Some(NamedGroup::X25519),
                    true,
                ),
                44,
            ),
        ],
        certificate: Some(cert(
            host,
            "CN=R11,O=Let's Encrypt,C=US",
            CertVerdict::Trusted,
            TlsVersion::Tls13,
        )),
        error: None,
        sni: Some(host.to_owned()),
        elapsed: ms(131),
        suites: modern_suites(),
    }
}

/// What the Microsoft 365 hello and `--ciphers` saw on the modern server.
fn modern_suites() -> SuiteObservation {
    let rsa = CertKey {
        key_type: "RSA".to_owned(),
        key_bits: Some(2048),
        signature_algorithm: "sha256WithRSAEncryption".to_owned(),
    };
    let seen = |suite, group| SuiteSeen {
        suite,
        group,
        dh_bits: None,
        cert: Some(rsa.clone()),
    };
    let versions = vec![
        VersionSuites {
            version: TlsVersion::Tls10,
            accepted: Vec::new(),
            order: ServerOrder::Unknown,
            end: ScanEnd::Complete,
            refusal: Some("protocol_version".to_owned()),
            hellos: 2,
            groups: None,
        },
        VersionSuites {
            version: TlsVersion::Tls12,
            accepted: vec![
                seen(
                    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                    Some(NamedGroup::X25519),
                ),
                seen(
                    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                    Some(NamedGroup::X25519),
                ),
                seen(
                    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                    Some(NamedGroup::X25519),
                ),
                seen(CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256, None),
            ],
            order: ServerOrder::Enforced,
            end: ScanEnd::Complete,
            refusal: Some("handshake_failure".to_owned()),
            hellos: 9,
            groups: Some(GroupList {
                accepted: vec![NamedGroup::X25519, NamedGroup::secp256r1],
                end: ScanEnd::Complete,
                hellos: 3,
            }),
        },
    ];
    SuiteObservation {
        profiles: vec![ProfileCheck {
            profile: "microsoft365",
            outcome: ProfileOutcome::Negotiated {
                version: TlsVersion::Tls12,
                suite: seen(
                    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                    Some(NamedGroup::X25519),
                ),
            },
        }],
        scan: Some(CipherScan {
            versions,
            elapsed_ms: 412,
        }),
    }
}

/// A server whose EHLO lists no STARTTLS, so no version can be tried.
fn no_starttls_server() -> ServerObservation {
    let not_tested = |v| probe(v, VersionResult::NotTested(NotTested::NoStarttls), 9);
    ServerObservation {
        host: None,
        address: addr("198.51.100.7:25"),
        preference: None,
        banner: Some(reply(
            220,
            &["smtp.northwind.example ESMTP Exim 4.96 Sat, 28 Nov 2026 16:38:00 +0000"],
        )),
        ehlo: Some(ehlo(
            "smtp.northwind.example Hello tlscheck.invalid [203.0.113.5]",
            &[
                "SIZE 52428800",
                "8BITMIME",
                "PIPELINING",
                "CHUNKING",
                "HELP",
            ],
        )),
        starttls: StarttlsStatus::NotOffered,
        policy: policy(reply(250, &["OK"]), Some(false)),
        versions: TlsVersion::ALL.into_iter().map(not_tested).collect(),
        certificate: None,
        error: None,
        sni: None,
        elapsed: ms(27),
        suites: Default::default(),
    }
}

/// A backup MX where the connection is refused.
fn refused_server(host: &str, address: &str, preference: u16) -> ServerObservation {
    let not_tested = |v| {
        probe(
            v,
            VersionResult::NotTested(NotTested::EarlierStage {
                stage: Stage::Connect,
                error: "connect: connection refused".to_owned(),
            }),
            1,
        )
    };
    ServerObservation {
        host: Some(host.to_owned()),
        address: addr(address),
        preference: Some(preference),
        banner: None,
        ehlo: None,
        starttls: StarttlsStatus::Unknown,
        policy: Policy {
            mail_from: None,
            requires_tls: None,
            error: Some("connect: connection refused".to_owned()),
            transcript: Vec::new(),
        },
        versions: TlsVersion::ALL.into_iter().map(not_tested).collect(),
        certificate: None,
        error: Some(ProbeFailure {
            stage: Stage::Connect,
            message: "connect: connection refused".to_owned(),
            timed_out: false,
            kind: tlscheck::model::FailureKind::Refused,
        }),
        sni: Some(host.to_owned()),
        elapsed: ms(1),
        suites: Default::default(),
    }
}

/// A target as `run` builds it, through the same diagnosis entry.
fn target(
    input: &str,
    mode: TargetMode,
    dns: Option<DnsSection>,
    servers: Vec<ServerObservation>,
) -> TargetReport {
    target_with_policy(input, mode, dns, servers, None)
}

/// [`target`] with the DNSSEC/DANE/MTA-STS lookups' observation.
fn target_with_policy(
    input: &str,
    mode: TargetMode,
    dns: Option<DnsSection>,
    servers: Vec<ServerObservation>,
    mail_policy: Option<&tlscheck::model::policy::PolicyObservation>,
) -> TargetReport {
    let d = tlscheck::diagnose::target(
        input,
        dns.as_ref(),
        &servers,
        &CheckPolicy::default(),
        mail_policy,
    );
    TargetReport {
        input: input.to_owned(),
        mode,
        summary: d.summary,
        dns,
        interrupted: servers.iter().any(ServerObservation::was_interrupted),
        servers,
        findings: d.findings,
        verdict: d.verdict,
        server_verdicts: d.server_verdicts,
        server_findings: d.server_findings,
        policy: d.policy,
    }
}

fn run_report(targets: Vec<TargetReport>) -> RunReport {
    let verdicts: Vec<_> = targets.iter().map(|t| t.verdict).collect();
    RunReport {
        tool_version: "0.1.0",
        started_at: "2026-11-28T16:38:00Z".to_owned(),
        finished_at: "2026-11-28T16:38:01Z".to_owned(),
        interrupted: false,
        exit: exit::for_run(&verdicts, false, false),
        targets,
        invalid: Vec::new(),
        origin: Default::default(),
    }
}

fn legacy_only() -> RunReport {
    run_report(vec![target(
        "192.0.2.10",
        TargetMode::Address,
        None,
        vec![legacy_only_server()],
    )])
}

fn modern() -> RunReport {
    let dns = DnsSection {
        query: "mx1.contoso.com".to_owned(),
        resolver: "192.0.2.53:53".to_owned(),
        answer: DnsAnswer::Host(HostAddresses {
            addresses: vec!["192.0.2.21".parse().unwrap()],
            ..HostAddresses::default()
        }),
    };
    run_report(vec![target(
        "mx1.contoso.com",
        TargetMode::Host,
        Some(dns),
        vec![modern_server("mx1.contoso.com", "192.0.2.21:25", None)],
    )])
}

fn no_starttls() -> RunReport {
    run_report(vec![target(
        "198.51.100.7",
        TargetMode::Address,
        None,
        vec![no_starttls_server()],
    )])
}

/// contoso.com: MX 10 mx1 (IPv4 and IPv6, modern), MX 20 mx2 (down).
fn domain() -> RunReport {
    let dns = DnsSection {
        query: "contoso.com".to_owned(),
        resolver: "192.0.2.53:53".to_owned(),
        answer: DnsAnswer::Mail(MailRouting::Mx {
            exchanges: vec![
                MxExchange {
                    preference: 10,
                    exchange: "mx1.contoso.com".to_owned(),
                    equal_preference: false,
                    addresses: vec![
                        "192.0.2.21".parse().unwrap(),
                        "2001:db8::21".parse().unwrap(),
                    ],
                    warnings: Vec::new(),
                    error: None,
                },
                MxExchange {
                    preference: 20,
                    exchange: "mx2-backup.contoso.com".to_owned(),
                    equal_preference: false,
                    addresses: vec!["192.0.2.22".parse().unwrap()],
                    warnings: Vec::new(),
                    error: None,
                },
            ],
        }),
    };
    run_report(vec![target(
        "contoso.com",
        TargetMode::Domain,
        Some(dns),
        vec![
            modern_server("mx1.contoso.com", "192.0.2.21:25", Some(10)),
            modern_server("mx1.contoso.com", "[2001:db8::21]:25", Some(10)),
            refused_server("mx2-backup.contoso.com", "192.0.2.22:25", 20),
        ],
    )])
}

fn text(r: &RunReport) -> String {
    report::render(
        &tlscheck::report::Report::check(r, false),
        Format::Text,
        &Palette::plain(),
    )
}

fn markdown(r: &RunReport) -> String {
    report::render(
        &tlscheck::report::Report::check(r, false),
        Format::Markdown,
        &Palette::plain(),
    )
}

fn json(r: &RunReport) -> String {
    report::render(
        &tlscheck::report::Report::check(r, false),
        Format::Json,
        &Palette::plain(),
    )
}

/// Fails unless `obj` is an object with every key in `keys` (null allowed).
fn has(obj: &Value, keys: &[&str], what: &str) {
    let map = obj
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {obj}"));
    for k in keys {
        assert!(map.contains_key(*k), "{what} lacks {k:?}: {obj}");
    }
}

/// Checks that every key docs/schema.md lists is present (null allowed)
/// on the run, each target, its DNS answer, servers, versions,
/// certificate and findings.
fn assert_schema_keys(doc: &str) -> Value {
    let v: Value = serde_json::from_str(doc).unwrap();
    has(
        &v,
        &[
            "schema_version",
            "tool",
            "started_at",
            "finished_at",
            "interrupted",
            "exit_code",
            "targets",
        ],
        "run",
    );
    has(&v["tool"], &["name", "version"], "tool");
    assert_eq!(v["schema_version"], 1);
    for t in v["targets"].as_array().unwrap() {
        has(
            t,
            &[
                "input", "mode", "verdict", "summary", "dns", "servers", "findings", "policy",
            ],
            "target",
        );
        if !t["policy"].is_null() {
            has(
                &t["policy"],
                &["trust_anchor", "mx", "exchanges", "mta_sts", "tls_rpt"],
                "policy",
            );
        }
        if !t["dns"].is_null() {
            has(
                &t["dns"],
                &[
                    "query",
                    "resolver",
                    "result",
                    "implicit_mx",
                    "null_mx",
                    "error",
                    "warnings",
                    "mx",
                ],
                "dns",
            );
            for x in t["dns"]["mx"].as_array().unwrap() {
                has(
                    x,
                    &[
                        "preference",
                        "exchange",
                        "equal_preference",
                        "addresses",
                        "warnings",
                        "error",
                    ],
                    "mx",
                );
            }
        }
        for s in t["servers"].as_array().unwrap() {
            assert_server_keys(s);
        }
        for f in t["findings"].as_array().unwrap() {
            has(
                f,
                &[
                    "id",
                    "severity",
                    "title",
                    "evidence",
                    "signatures",
                    "remediation",
                ],
                "finding",
            );
            for sig in f["signatures"].as_array().unwrap() {
                has(sig, &["id", "text"], "signature");
                assert!(!sig["text"].as_str().unwrap().is_empty(), "{sig}");
            }
        }
    }
    v
}

/// The keys of one server, its versions, certificate and error.
fn assert_server_keys(s: &Value) {
    has(
        s,
        &[
            "host",
            "exchange",
            "preference",
            "address",
            "port",
            "implicit_tls",
            "banner",
            "ehlo_extensions",
            "used_helo",
            "starttls",
            "starttls_reply",
            "requires_tls",
            "mail_from_reply",
            "server_software",
            "versions",
            "certificate",
            "error",
            "elapsed_ms",
            "transcript",
        ],
        "server",
    );
    for version in ["1.0", "1.1", "1.2", "1.3"] {
        has(
            &s["versions"][version],
            &[
                "result",
                "cipher",
                "group",
                "full_handshake",
                "legacy_cipher_only",
                "alert",
                "answered_version",
                "reason",
                "reply",
                "stage",
                "error",
                "elapsed_ms",
            ],
            version,
        );
    }
    if !s["certificate"].is_null() {
        has(
            &s["certificate"],
            &[
                "subject",
                "sans",
                "issuer",
                "not_before",
                "not_after",
                "days_left",
                "key_type",
                "key_bits",
                "signature_algorithm",
                "chain_len",
                "verdict",
                "verdict_detail",
                "from_version",
            ],
            "certificate",
        );
    }
    if !s["error"].is_null() {
        has(&s["error"], &["stage", "message", "timed_out"], "error");
    }
}

#[test]
fn legacy_only_server_text() {
    let r = legacy_only();
    assert_eq!(r.exit, ExitStatus::PolicyFailed);
    insta::assert_snapshot!("legacy_only_text", text(&r));
}

#[test]
fn legacy_only_server_markdown() {
    insta::assert_snapshot!("legacy_only_markdown", markdown(&legacy_only()));
}

#[test]
fn legacy_only_server_json() {
    let doc = json(&legacy_only());
    let v = assert_schema_keys(&doc);
    let t = &v["targets"][0];
    assert_eq!(t["verdict"], "fail");
    assert_eq!(t["findings"][0]["id"], "legacy-tls-only");
    assert_eq!(t["servers"][0]["server_software"], "exchange");
    assert_eq!(t["servers"][0]["versions"]["1.2"]["result"], "dropped");
    insta::assert_snapshot!("legacy_only_json", doc);
}

#[test]
fn modern_server_text() {
    let r = modern();
    assert_eq!(r.exit, ExitStatus::Pass);
    insta::assert_snapshot!("modern_text", text(&r));
}

#[test]
fn modern_server_markdown() {
    insta::assert_snapshot!("modern_markdown", markdown(&modern()));
}

#[test]
fn modern_server_json() {
    let doc = json(&modern());
    let v = assert_schema_keys(&doc);
    let t = &v["targets"][0];
    assert_eq!(t["verdict"], "pass");
    assert_eq!(t["dns"]["result"], "host");
    assert_eq!(t["servers"][0]["certificate"]["verdict"], "trusted");
    assert_eq!(t["servers"][0]["server_software"], "postfix");
    assert_eq!(t["servers"][0]["implicit_tls"], false);
    insta::assert_snapshot!("modern_json", doc);
}

#[test]
fn no_starttls_server_text() {
    let r = no_starttls();
    assert_eq!(r.exit, ExitStatus::PolicyFailed);
    insta::assert_snapshot!("no_starttls_text", text(&r));
}

#[test]
fn no_starttls_server_markdown() {
    insta::assert_snapshot!("no_starttls_markdown", markdown(&no_starttls()));
}

#[test]
fn no_starttls_server_json() {
    let doc = json(&no_starttls());
    let v = assert_schema_keys(&doc);
    let s = &v["targets"][0]["servers"][0];
    assert_eq!(s["starttls"], "not_offered");
    assert_eq!(s["versions"]["1.2"]["reason"], "no_starttls");
    assert_eq!(s["certificate"], Value::Null);
    insta::assert_snapshot!("no_starttls_json", doc);
}

#[test]
fn domain_with_two_mx_text() {
    let r = domain();
    assert_eq!(r.exit, ExitStatus::Pass);
    insta::assert_snapshot!("domain_text", text(&r));
}

#[test]
fn domain_with_two_mx_markdown() {
    insta::assert_snapshot!("domain_markdown", markdown(&domain()));
}

#[test]
fn domain_with_two_mx_json() {
    let doc = json(&domain());
    let v = assert_schema_keys(&doc);
    let t = &v["targets"][0];
    assert_eq!(t["verdict"], "warn");
    assert_eq!(t["dns"]["mx"][1]["exchange"], "mx2-backup.contoso.com");
    assert_eq!(t["servers"][2]["error"]["stage"], "connect");
    assert_eq!(t["servers"][2]["server_software"], Value::Null);
    insta::assert_snapshot!("domain_json", doc);
}

/// A DNSSEC-signed domain whose one exchange publishes TLSA but offers
/// no STARTTLS, with an MTA-STS policy in enforce mode that does not list
/// it and a TLS-RPT record: every part of the policy section at once.
fn policy_domain() -> RunReport {
    use tlscheck::model::policy::{
        Answer, DnssecStatus, ExchangeDane, MtaStsObservation, PolicyFetch, PolicyObservation,
        TlsRptObservation, Validated,
    };
    use tlscheck::proto::policy::{StsMode, StsPolicy, StsRecord, TlsRptRecord, Tlsa};
    let mut server = no_starttls_server();
    server.host = Some("mx1.fabrikam.com".to_owned());
    server.preference = Some(10);
    let obs = PolicyObservation {
        domain: "fabrikam.com".into(),
        anchor: "built-in root trust anchors (KSK-2017 key tag 20326, KSK-2024 key tag 38696)"
            .into(),
        mx: Validated {
            name: "fabrikam.com".into(),
            answer: Answer::Records(vec![(10, "mx1.fabrikam.com".into())]),
            status: DnssecStatus::Secure,
        },
        exchanges: vec![ExchangeDane {
            exchange: "mx1.fabrikam.com".into(),
            preference: 10,
            address_status: DnssecStatus::Secure,
            tlsa: Validated {
                name: "_25._tcp.mx1.fabrikam.com".into(),
                answer: Answer::Records(vec![
                    Tlsa {
                        usage: 3,
                        selector: 1,
                        matching: 1,
                        data: vec![0xab; 32],
                    },
                    Tlsa {
                        usage: 1,
                        selector: 1,
                        matching: 1,
                        data: vec![0xcd; 32],
                    },
                ]),
                status: DnssecStatus::Secure,
            },
        }],
        mta_sts: MtaStsObservation {
            txt: Answer::Records(vec!["v=STSv1; id=20261128".into()]),
            record: Some(Ok(StsRecord {
                id: "20261128".into(),
                extensions: Vec::new(),
            })),
            url: "https://mta-sts.fabrikam.com/.well-known/mta-sts.txt".into(),
            policy_addresses: vec!["192.0.2.80".parse().unwrap()],
            fetch: PolicyFetch::Response {
                status: 200,
                content_type: Some("text/plain".into()),
                location: None,
                body: b"version: STSv1\r\nmode: enforce\r\nmx: mail.fabrikam.com\r\nmax_age: 604800\r\n".to_vec(),
                oversized: false,
                body_timed_out: false,
            },
            policy: Some(Ok(StsPolicy {
                mode: StsMode::Enforce,
                max_age: 604_800,
                mx: vec!["mail.fabrikam.com".into()],
                warnings: Vec::new(),
            })),
        },
        tls_rpt: TlsRptObservation {
            txt: Answer::Records(vec!["v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com".into()]),
            record: Some(Ok(TlsRptRecord {
                rua: vec!["mailto:tlsrpt@fabrikam.com".into()],
            })),
        },
        checked_at: 1_795_000_000,
    };
    run_report(vec![target_with_policy(
        "fabrikam.com",
        TargetMode::Domain,
        None,
        vec![server],
        Some(&obs),
    )])
}

#[test]
fn policy_section_text() {
    let r = policy_domain();
    let out = text(&r);
    assert!(out.contains("5.7.321 starttls-not-supported"), "{out}");
    insta::assert_snapshot!("policy_text", out);
}

#[test]
fn policy_section_markdown() {
    insta::assert_snapshot!("policy_markdown", markdown(&policy_domain()));
}

#[test]
fn policy_section_json() {
    let doc = json(&policy_domain());
    let v = assert_schema_keys(&doc);
    let p = &v["targets"][0]["policy"];
    assert_eq!(
        p["exchanges"][0]["servers"][0]["exo_code"],
        tlscheck::diagnose::policy::exo::STARTTLS_NOT_SUPPORTED
    );
    assert_eq!(p["mta_sts"]["exchanges"][0]["pattern"], Value::Null);
    insta::assert_snapshot!("policy_json", doc);
}

const NDR: &str = "Remote Server returned '421 4.4.2 Connection dropped due to SocketError'\n\
                   Diagnostic information for administrators:";

#[test]
fn explain_text_for_a_known_ndr() {
    let matches = tlscheck::diagnose::explain::explain(NDR);
    assert_eq!(matches[0].signature.id, "socket-error-421-4-4-2");
    insta::assert_snapshot!(
        "explain_known_text",
        report::explain::render(
            &matches,
            &tlscheck::diagnose::explain::context(NDR),
            Format::Text,
            &Palette::plain()
        )
    );
}

/// An Exchange Online NDR that names the receiving server: the output says
/// which side to fix, with the real host and never the placeholder.
const EXO_NDR: &str = "Diagnostic information for administrators:\n\
    Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\n\
    bob@fabrikam.com\n\
    Remote Server returned '550 4.4.7 QUEUE.Expired; message expired [Message=450 4.4.318 Connection was closed abruptly] \
    [LastAttemptedServerName=mail.fabrikam.com] [LastAttemptedIP=198.51.100.7:25] [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]'";

#[test]
fn explain_text_names_the_receiving_server_of_an_exchange_online_ndr() {
    let matches = tlscheck::diagnose::explain::explain(EXO_NDR);
    let ctx = tlscheck::diagnose::explain::context(EXO_NDR);
    let out = report::explain::render(&matches, &ctx, Format::Text, &Palette::plain());
    assert!(
        out.contains("the receiving server is mail.fabrikam.com"),
        "{out}"
    );
    assert!(!out.contains("YOUR-DOMAIN"), "{out}");
    insta::assert_snapshot!("explain_exo_ndr_text", out);
}

#[test]
fn explain_json_carries_the_context() {
    let matches = tlscheck::diagnose::explain::explain(EXO_NDR);
    let ctx = tlscheck::diagnose::explain::context(EXO_NDR);
    let doc = report::explain::render(&matches, &ctx, Format::Json, &Palette::plain());
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["context"]["direction"], "from_office365");
    assert_eq!(v["context"]["receiver_host"], "mail.fabrikam.com");
    assert_eq!(v["context"]["receiver_ip"], "198.51.100.7");
    assert_eq!(v["matches"][0]["next_step"], "tlscheck mail.fabrikam.com");
    insta::assert_snapshot!("explain_exo_ndr_json", doc);
}

#[test]
fn explain_markdown_for_a_known_ndr() {
    let matches = tlscheck::diagnose::explain::explain(NDR);
    insta::assert_snapshot!(
        "explain_known_markdown",
        report::explain::render(
            &matches,
            &tlscheck::diagnose::explain::context(NDR),
            Format::Markdown,
            &Palette::plain()
        )
    );
}

#[test]
fn explain_text_for_unknown_text_lists_what_it_knows() {
    let matches = tlscheck::diagnose::explain::explain("the printer is on fire");
    assert!(matches.is_empty());
    insta::assert_snapshot!(
        "explain_unknown_text",
        report::explain::render(
            &matches,
            &tlscheck::diagnose::explain::context("the printer is on fire"),
            Format::Text,
            &Palette::plain()
        )
    );
}

// ---- listen: one sender session, rendered like a check ----

/// A sender that offers only TLS 1.0, with a hostile EHLO name and SNI.
fn legacy_sender() -> tlscheck::model::listen::SenderSession {
    use tlscheck::model::listen::{Handshake, Offer, OfferSource, SenderSession, SessionEnd};
    use tlscheck::model::{Direction, TranscriptEvent};
    SenderSession {
        peer: addr("192.0.2.7:50000"),
        started_at: "2026-11-28T16:38:00Z".to_owned(),
        ehlo_name: Some("mx1.contoso.com\u{1b}[31m".to_owned()),
        used_helo: false,
        starttls: true,
        plaintext_mail: false,
        offer: Some(Offer {
            client_version: 0x0301,
            supported_versions: None,
            versions: vec![TlsVersion::Tls10],
            source: OfferSource::LegacyClientVersion,
            highest: 0x0301,
            cipher_suites: vec![
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
                CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
            ],
            groups: vec![NamedGroup::X25519, NamedGroup::secp256r1],
            sni: Some("mx|<b>".to_owned()),
        }),
        hello_error: None,
        handshake: Handshake::ClosedLegacyOnly,
        tls_ehlo_name: None,
        mail_from: None,
        rcpt_to: Vec::new(),
        end: SessionEnd::ClosedAfterLegacyHello,
        transcript: vec![
            TranscriptEvent {
                at: ms(5),
                direction: Direction::Received,
                text: "EHLO mx1.contoso.com\u{1b}[31m".to_owned(),
            },
            TranscriptEvent {
                at: ms(6),
                direction: Direction::Sent,
                text: "250-tlscheck".to_owned(),
            },
        ],
        elapsed: ms(40),
    }
}

/// A sender that offers TLS 1.2 and 1.3 and completes TLS 1.3.
fn modern_sender() -> tlscheck::model::listen::SenderSession {
    use tlscheck::model::listen::{Handshake, Negotiated, Offer, OfferSource, SessionEnd};
    let mut s = legacy_sender();
    s.ehlo_name = Some("mail.contoso.com".to_owned());
    s.offer = Some(Offer {
        client_version: 0x0303,
        supported_versions: Some(vec![0x0304, 0x0303]),
        versions: vec![TlsVersion::Tls12, TlsVersion::Tls13],
        source: OfferSource::SupportedVersions,
        highest: 0x0304,
        cipher_suites: vec![
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ],
        groups: vec![NamedGroup::X25519],
        sni: Some("mx.fabrikam.com".to_owned()),
    });
    s.handshake = Handshake::Completed(Negotiated {
        version: TlsVersion::Tls13,
        cipher: CipherSuite::TLS13_AES_256_GCM_SHA384,
        group: Some(NamedGroup::X25519),
    });
    s.tls_ehlo_name = Some("mail.contoso.com".to_owned());
    s.mail_from = Some("<postmaster@contoso.com>".to_owned());
    s.end = SessionEnd::Quit;
    s.transcript = vec![tlscheck::model::TranscriptEvent {
        at: ms(5),
        direction: tlscheck::model::Direction::Received,
        text: "EHLO mail.contoso.com".to_owned(),
    }];
    s
}

fn listen(s: &tlscheck::model::listen::SenderSession, format: Format) -> String {
    let j = tlscheck::diagnose::sender::judge(s);
    let r = report::listen::ListenReport {
        session: s,
        judgement: &j,
        transcript: true,
        once: true,
        width: Some(78),
    };
    report::render(&report::Report::Listen(r), format, &Palette::plain())
}

#[test]
fn listen_legacy_sender_text() {
    let out = listen(&legacy_sender(), Format::Text);
    assert!(out.starts_with("FAIL sender 192.0.2.7"), "{out}");
    assert!(!out.contains('\u{1b}'), "{out}");
    insta::assert_snapshot!("listen_legacy_text", out);
}

#[test]
fn listen_legacy_sender_markdown() {
    let out = listen(&legacy_sender(), Format::Markdown);
    assert!(out.starts_with("## FAIL — sender 192.0.2.7"), "{out}");
    assert!(!out.contains('\u{1b}'), "{out}");
    insta::assert_snapshot!("listen_legacy_markdown", out);
}

#[test]
fn listen_legacy_sender_json() {
    let doc = listen(&legacy_sender(), Format::Json);
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "listen");
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["sender"]["ehlo_name"], "mx1.contoso.com\u{1b}[31m");
    insta::assert_snapshot!("listen_legacy_json", doc);
}

#[test]
fn listen_modern_sender_text() {
    let out = listen(&modern_sender(), Format::Text);
    assert!(out.starts_with("PASS sender 192.0.2.7"), "{out}");
    insta::assert_snapshot!("listen_modern_text", out);
}

// ---- schannel: an export with TLS 1.2 Client disabled ----

fn schannel(format: Format) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/schannel/tls12-client-disabled.reg"
    );
    let bytes = std::fs::read(path).unwrap();
    let audit = tlscheck::diagnose::schannel::audit(
        &tlscheck::diagnose::schannel::parse(&bytes).unwrap(),
        Some(tlscheck::diagnose::schannel::WindowsVersion::Ws2019),
    );
    let r = report::Report::Schannel {
        audit: &audit,
        width: Some(78),
    };
    report::render(&r, format, &Palette::plain())
}

#[test]
fn schannel_text() {
    let out = schannel(Format::Text);
    assert!(out.starts_with("FAIL SCHANNEL audit"), "{out}");
    insta::assert_snapshot!("schannel_text", out);
}

#[test]
fn schannel_markdown() {
    let out = schannel(Format::Markdown);
    assert!(out.starts_with("## FAIL — SCHANNEL audit"), "{out}");
    insta::assert_snapshot!("schannel_markdown", out);
}

#[test]
fn schannel_json() {
    let doc = schannel(Format::Json);
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "schannel");
    assert_eq!(v["verdict"], "problem");
    insta::assert_snapshot!("schannel_json", doc);
}

#[test]
fn every_json_document_carries_the_one_schema_version() {
    let matches = tlscheck::diagnose::explain::explain(NDR);
    let ctx = tlscheck::diagnose::explain::context(NDR);
    let docs = [
        json(&modern()),
        listen(&modern_sender(), Format::Json),
        schannel(Format::Json),
        report::render(
            &report::Report::Explain {
                matches: &matches,
                context: &ctx,
            },
            Format::Json,
            &Palette::plain(),
        ),
        report::render(&report::Report::Profiles, Format::Json, &Palette::plain()),
    ];
    for doc in docs {
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            v["schema_version"],
            u64::from(report::json::SCHEMA_VERSION),
            "{doc}"
        );
        // docs/schema.md: every document says what it is and which tool
        // wrote it.
        assert!(v["kind"].is_string(), "{doc}");
        assert_eq!(v["tool"]["name"], "tlscheck", "{doc}");
    }
}

#[test]
fn listen_text_names_versions_suites_and_the_fix_and_escapes_sender_text() {
    let out = listen(&legacy_sender(), Format::Text);
    assert!(out.starts_with("FAIL sender 192.0.2.7 (EHLO mx1.contoso.com\\x1b[31m)"));
    assert!(!out.contains('\u{1b}'), "{out}");
    for needle in [
        "TLS 1.0 (implied by client_version TLS 1.0",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "x25519, secp256r1",
        "421 4.4.2 Connection dropped due to SocketError",
        r"Protocols\TLS 1.2\Client]",
        "as Office 365 does",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
}

#[test]
fn listen_markdown_cannot_be_broken_by_sender_text() {
    let out = listen(&legacy_sender(), Format::Markdown);
    assert!(out.contains("mx\\|\\<b\\>"), "{out}");
    assert!(!out.contains('\u{1b}'));
    assert!(out.contains("    ```reg\n    Windows Registry Editor Version 5.00"));
}

#[test]
fn listen_json_keeps_sender_text_exact_and_streams_one_line_per_session() {
    let s = modern_sender();
    let v: Value = serde_json::from_str(&listen(&s, Format::Json)).unwrap();
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["client_hello"]["offered_versions"][1], "1.3");
    assert_eq!(v["client_hello"]["supported_versions"][0], "1.3");
    assert_eq!(v["client_hello"]["highest_version"], "1.3");
    assert_eq!(v["handshake"]["cipher"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(v["end"]["reason"], "quit");
    assert_eq!(v["transcript"][0]["dir"], "received");
    let j = tlscheck::diagnose::sender::judge(&s);
    let streamed = report::listen::ListenReport {
        session: &s,
        judgement: &j,
        transcript: false,
        once: false,
        width: None,
    };
    let line = report::render(
        &report::Report::Listen(streamed),
        Format::Ndjson,
        &Palette::plain(),
    );
    assert_eq!(line.lines().count(), 1);
    assert!(line.contains("\"transcript\":null"));
}

#[test]
fn listen_text_names_the_first_suites_and_counts_the_rest() {
    let mut s = legacy_sender();
    if let Some(o) = s.offer.as_mut() {
        o.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA; 20];
    }
    let out = listen(&s, Format::Text);
    assert!(out.contains("20 offered:"), "{out}");
    assert!(out.contains("… and 8 more (--format json"), "{out}");
    assert_eq!(out.matches("TLS_RSA_WITH_AES_128_CBC_SHA").count(), 12);
}

fn profiles(format: Format) -> String {
    report::render(&report::Report::Profiles, format, &Palette::plain())
}

#[test]
fn profiles_text() {
    insta::assert_snapshot!("profiles_text", profiles(Format::Text));
}

#[test]
fn profiles_markdown() {
    insta::assert_snapshot!("profiles_markdown", profiles(Format::Markdown));
}

#[test]
fn profiles_json() {
    let out = profiles(Format::Json);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "profiles");
    insta::assert_snapshot!("profiles_json", out);
}

#[test]
fn profiles_ndjson_is_one_line_with_the_json_document() {
    let line = profiles(Format::Ndjson);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.ends_with("}\n"), "{line}");
    let v: Value = serde_json::from_str(&line).unwrap();
    let pretty: Value = serde_json::from_str(&profiles(Format::Json)).unwrap();
    assert_eq!(v, pretty);
}

// ---- Markdown: server text renders literally ----

#[test]
fn markdown_shows_backticks_of_a_sender_as_text() {
    let mut s = legacy_sender();
    s.ehlo_name = Some("mx.\u{1b}[31mevil\u{1b}[0m\u{202e}|`x`|".to_owned());
    let out = listen(&s, Format::Markdown);
    // One code span whose fence is longer than the name's backtick run.
    let shown = "(EHLO ``mx.\\x1b[31mevil\\x1b[0m\\u{202e}|`x`|``)";
    assert!(
        out.starts_with(&format!("## FAIL — sender 192.0.2.7 {shown}")),
        "{out}"
    );
    assert!(
        out.contains(&format!("### sender 192.0.2.7 {shown}\n")),
        "{out}"
    );
    assert!(!out.contains('\u{202e}'), "{out}");
}

#[test]
fn markdown_code_spans_outside_tables_carry_no_backslashed_pipe() {
    let out = listen(&legacy_sender(), Format::Markdown);
    assert!(out.contains("`postconf -P | grep smtp_tls`"), "{out}");
    // The only `\|` left is the SNI in the table.
    assert_eq!(out.matches("\\|").count(), 1, "{out}");
    assert!(out.contains("| SNI | mx\\|\\<b\\> |"), "{out}");
}

#[test]
fn markdown_shows_backticks_and_character_references_of_a_banner_as_text() {
    let mut server = legacy_only_server();
    server.banner = Some(reply(220, &["mx | `a|b` `c` ok &#x202E;lmth.exe&#x202C;"]));
    let r = run_report(vec![target(
        "192.0.2.10",
        TargetMode::Host,
        None,
        vec![server],
    )]);
    let out = markdown(&r);
    assert!(
        out.contains("- banner: 220 mx `|` `` `a|b` `` `` `c` `` ok `&#x202E;lmth.exe&#x202C`;\n"),
        "{out}"
    );
}

// ---- text: wrapped to a terminal's width, never in a pipe or a file ----

fn schannel_at(file: &str, width: Option<usize>) -> String {
    let path = format!(
        "{}/tests/fixtures/schannel/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).unwrap();
    let audit = tlscheck::diagnose::schannel::audit(
        &tlscheck::diagnose::schannel::parse(&bytes).unwrap(),
        Some(tlscheck::diagnose::schannel::WindowsVersion::Ws2019),
    );
    let r = report::Report::Schannel {
        audit: &audit,
        width,
    };
    report::render(&r, Format::Text, &Palette::plain())
}

#[test]
fn schannel_text_is_not_wrapped_without_a_terminal() {
    let out = schannel_at("tls12-client-disabled.reg", None);
    let mut lines = out.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("FAIL SCHANNEL audit: "), "{out}");
    assert!(head.chars().count() > 80, "{head}");
    assert_eq!(lines.next(), Some(""), "the verdict is one line:\n{out}");
    // A finding's `means` and `fix` are one line each.
    let out = schannel_at("article-typo.reg", None);
    for label in ["         means  ", "         fix    "] {
        assert!(out.contains(label), "{out}");
    }
    assert!(
        out.contains("         fix    The .reg file below makes this change. Only once TLS 1.2 works on both sides and nothing"),
        "{out}"
    );
}

#[test]
fn schannel_text_is_wrapped_to_the_terminal_width() {
    for width in [72, 120] {
        let out = schannel_at("tls12-client-disabled.reg", Some(width));
        let head: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
        assert!(head.len() > 1 || width > 100, "{out}");
        assert!(head.iter().all(|l| l.chars().count() <= width), "{out}");
        let out = schannel_at("article-typo.reg", Some(width));
        let head: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
        assert!(head.len() > 1 || width > 100, "{out}");
        // Every wrapped line fits: the verdict, the findings' `means` and
        // `fix` paragraphs (tables, titles, steps and the .reg are not
        // wrapped).
        let findings = out.split("Findings\n").nth(1).unwrap();
        let paragraph_lines = findings.lines().filter(|l| {
            l.starts_with("         means")
                || l.starts_with("         fix ")
                || (l.starts_with(&" ".repeat(16)) && !l[16..].starts_with(' '))
        });
        let mut wrapped = 0;
        for l in head.iter().copied().chain(paragraph_lines) {
            wrapped += usize::from(l.starts_with(&" ".repeat(16)));
            assert!(l.chars().count() <= width, "{width}: {l}\n{out}");
        }
        assert!(wrapped > 0, "{out}");
    }
}

#[test]
fn listen_text_is_wrapped_only_on_a_terminal() {
    let s = legacy_sender();
    let j = tlscheck::diagnose::sender::judge(&s);
    let at = |width| {
        let r = report::listen::ListenReport {
            session: &s,
            judgement: &j,
            transcript: false,
            once: true,
            width,
        };
        report::render(&report::Report::Listen(r), Format::Text, &Palette::plain())
    };
    let offers = "  Offers            TLS 1.0 (implied by client_version TLS 1.0: legacy negotiation, no supported_versions)\n";
    assert!(at(None).contains(offers), "{}", at(None));
    let wide = at(Some(200));
    assert!(wide.contains(offers), "{wide}");
    let narrow = at(Some(60));
    assert!(
        narrow.contains("  Offers            TLS 1.0 (implied by client_version TLS\n"),
        "{narrow}"
    );
}
