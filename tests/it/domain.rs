//! Domain mode end to end (issue #3): a real DNS server on loopback
//! (hickory-server) whose MX records point at in-process SMTP servers, the
//! whole check run through `tlscheck::command::check::run::run` and, for some cases, through
//! the built binary with `--resolver` and `--format json`.
//!
//! MX → address → one port: every exchange of a domain is probed on the
//! same port (`--port`), so the SMTP servers of a test share one port on
//! several loopback addresses (127.0.0.21–23, and ::1 where the machine
//! has it). 127.0.0.29 is the exchange that is down: a socket is bound
//! there on the test's port without listening, so a connection is refused.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::Value;
use tlscheck::cli::{Cli, Format};
use tlscheck::command::check::config::{check_config, Config, Env};
use tlscheck::diagnose::findings::Severity;
use tlscheck::diagnose::verdict::Verdict;
use tlscheck::exit::ExitStatus;
use tlscheck::model::outcome::{DnsAnswer, TargetMode};
use tlscheck::model::{Stage, TlsVersion};
use tlscheck::net::dns::{DnsError, MailRouting};
use tlscheck::report::outcome::{RunReport, TargetReport};
use tlscheck::report::style::palette::Palette;

use crate::cli::{ca_file, json, stderr, stdout, tlscheck};
use crate::servers::dns::{serve_zone, silent_resolver, DnsServer};
use crate::servers::smtp::{spawn_on, Behaviour, SmtpServer, Tls};
use crate::servers::tls::{identity_for, rustls_config};

/// The test zone. Every address is on loopback.
const ZONE: &str = r#"
$ORIGIN domain.test.
$TTL 300
@          IN SOA  ns.domain.test. hostmaster.domain.test. 1 3600 600 86400 300
@          IN NS   ns.domain.test.
ns         IN A    127.0.0.1

mx1        IN A    127.0.0.21
mx2        IN A    127.0.0.22
mx3        IN A    127.0.0.23
; Nothing listens here: the exchange that is down.
mx-down    IN A    127.0.0.29

; Served out of preference order; the backup at 30 is down.
multi      IN MX 20 mx2.domain.test.
multi      IN MX 30 mx-down.domain.test.
multi      IN MX 10 mx1.domain.test.

; Two exchanges at preference 10, listed b before a; a's address sorts
; after b's, so neither answer order nor address order can pass for the
; name order.
equal      IN MX 10 mx-b.domain.test.
equal      IN MX 10 mx-a.domain.test.
mx-a       IN A    127.0.0.22
mx-b       IN A    127.0.0.21

; No MX, only an address: implicit MX (RFC 5321 section 5.1).
implicit   IN A    127.0.0.21

; Null MX (RFC 7505); the A record must not be probed.
nullmx     IN MX 0 .
nullmx     IN A    127.0.0.21

; The exchange is an alias.
aliased    IN MX 10 alias.domain.test.
alias      IN CNAME mx1.domain.test.

; One exchange with both families.
dual       IN MX 10 mx-dual.domain.test.
mx-dual    IN A    127.0.0.21
mx-dual    IN AAAA ::1

; A working exchange and one without any address.
noaddr     IN MX 10 mx1.domain.test.
noaddr     IN MX 20 mx-none.domain.test.
mx-none    IN TXT  "no address here"
; Only the exchange without an address.
onlynoaddr IN MX 10 mx-none.domain.test.

; Three working exchanges (the timing case).
three      IN MX 10 mx1.domain.test.
three      IN MX 20 mx2.domain.test.
three      IN MX 30 mx3.domain.test.

; One exchange, on the address a test may make slow.
slowmx     IN MX 10 mx3.domain.test.
"#;

const ORIGIN: &str = "domain.test.";

const MX1: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 21));
const MX2: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 22));
const MX3: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 23));
const DOWN: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 29));
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// The names a probe checks the certificate against: every exchange (the
/// alias as named in the MX) and the implicit-MX domain.
const CERT_NAMES: &[&str] = &[
    "mx1.domain.test",
    "mx2.domain.test",
    "mx3.domain.test",
    "mx-a.domain.test",
    "mx-b.domain.test",
    "alias.domain.test",
    "mx-dual.domain.test",
    "implicit.domain.test",
];

/// The stage budget (`--timeout`) of these runs, seconds.
const STAGE_SECS: &str = "3";

/// A TLS 1.2 + 1.3 server whose certificate names every exchange.
fn modern() -> Behaviour {
    Behaviour::with_tls(Tls::Rustls(rustls_config(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        &identity_for(CERT_NAMES),
    )))
}

/// The SMTP servers of one test, all on one port.
struct Site {
    port: u16,
    /// Why ::1 has no server, when it has none.
    no_ipv6: Option<String>,
    _servers: Vec<SmtpServer>,
    /// Holds 127.0.0.29 on the port without listening: connections there
    /// are refused, and no other test can listen there meanwhile.
    _down: socket2::Socket,
}

/// Binds 127.0.0.21 on a free port, then 127.0.0.22, 127.0.0.23 and ::1
/// on the same port with the behaviour `behaviour(ip)` gives, and holds
/// 127.0.0.29; picks another port when one of them is taken.
fn site(behaviour: impl Fn(IpAddr) -> Behaviour) -> Site {
    'port: for _ in 0..20 {
        let first = spawn_on(MX1, 0, behaviour(MX1)).unwrap();
        let port = first.addr.port();
        let mut servers = vec![first];
        for ip in [MX2, MX3] {
            match spawn_on(ip, port, behaviour(ip)) {
                Ok(s) => servers.push(s),
                Err(e) if e.kind() == ErrorKind::AddrInUse => continue 'port,
                Err(e) => panic!("binding {ip}:{port}: {e}"),
            }
        }
        let no_ipv6 = match spawn_on(V6, port, behaviour(V6)) {
            Ok(s) => {
                servers.push(s);
                None
            }
            Err(e) if e.kind() == ErrorKind::AddrInUse => continue 'port,
            Err(e) => Some(format!("[::1]:{port} cannot be bound: {e}")),
        };
        let down =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        match down.bind(&SocketAddr::new(DOWN, port).into()) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AddrInUse => continue 'port,
            Err(e) => panic!("binding {DOWN}:{port}: {e}"),
        }
        return Site {
            port,
            no_ipv6,
            _servers: servers,
            _down: down,
        };
    }
    panic!("no port free on 127.0.0.21-23, ::1 and 127.0.0.29 at once");
}

/// The configuration `tlscheck TARGETS --resolver DNS --port PORT
/// --timeout 3 EXTRA…` gives (EXTRA may set its own `--timeout`),
/// trusting the test CA.
fn config(targets: &[&str], dns: SocketAddr, port: u16, extra: &[&str]) -> Config {
    let (dns, port) = (dns.to_string(), port.to_string());
    let mut args = vec!["tlscheck"];
    args.extend_from_slice(targets);
    args.extend_from_slice(&["--resolver", &dns, "--port", &port]);
    if !extra.contains(&"--timeout") {
        args.extend_from_slice(&["--timeout", STAGE_SECS]);
    }
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).unwrap();
    let mut cfg = check_config(&cli.check, &Env::default()).unwrap();
    let ca = identity_for(CERT_NAMES).chain[1].clone();
    cfg.extra_roots = vec![rustls::pki_types::CertificateDer::from(ca)];
    cfg
}

/// What a library run gave: the report, the targets in the order they
/// finished, and the wall time.
struct Ran {
    report: RunReport,
    finished: Vec<String>,
    elapsed: Duration,
}

async fn run(cfg: Config) -> Ran {
    let (_cancel, rx) = tokio::sync::watch::channel(false);
    let mut finished = Vec::new();
    let started = Instant::now();
    let report = tlscheck::command::check::run::run(Arc::new(cfg), rx, &mut |t: &TargetReport| {
        finished.push(t.input.clone())
    })
    .await
    .unwrap();
    Ran {
        report,
        finished,
        elapsed: started.elapsed(),
    }
}

/// Serves the zone, then runs `targets` against the site.
async fn check(site: &Site, targets: &[&str], extra: &[&str]) -> (Ran, DnsServer) {
    let dns = serve_zone(ORIGIN, ZONE).await;
    let ran = run(config(targets, dns.addr(), site.port, extra)).await;
    (ran, dns)
}

fn text(r: &RunReport) -> String {
    tlscheck::report::render(
        &tlscheck::report::Report::check(r, false),
        Format::Text,
        &Palette::plain(),
    )
}

fn json_of(r: &RunReport) -> Value {
    serde_json::from_str(&tlscheck::report::render(
        &tlscheck::report::Report::check(r, false),
        Format::Json,
        &Palette::plain(),
    ))
    .unwrap()
}

/// The finding ids of a target with their severities.
fn findings(t: &TargetReport) -> Vec<(&'static str, Severity)> {
    t.findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect()
}

/// `(preference, host, address)` of each server, in report order.
fn servers(t: &TargetReport) -> Vec<(Option<u16>, String, SocketAddr)> {
    t.servers
        .iter()
        .map(|s| (s.preference, s.host.clone().unwrap_or_default(), s.address))
        .collect()
}

/// Where `needle` starts in `haystack`, or a failure showing both.
fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{haystack}"))
}

/// Runs the binary off the async runtime, so the in-process DNS server
/// keeps answering while it waits.
async fn binary(args: Vec<String>) -> (Output, Duration) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = Instant::now();
        let out = tlscheck(&args);
        (out, started.elapsed())
    })
    .await
    .unwrap()
}

/// `TARGETS --resolver DNS --port PORT --ca-file CA --timeout 3 EXTRA…`
/// (EXTRA may set its own `--timeout`).
fn binary_args(
    targets: &[&str],
    dns: SocketAddr,
    port: u16,
    ca: &tempfile::NamedTempFile,
    extra: &[&str],
) -> Vec<String> {
    let mut args: Vec<String> = targets.iter().map(|t| (*t).to_owned()).collect();
    args.extend(
        [
            "--resolver",
            &dns.to_string(),
            "--port",
            &port.to_string(),
            "--ca-file",
            ca.path().to_str().unwrap(),
        ]
        .map(str::to_owned),
    );
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout".to_owned(), STAGE_SECS.to_owned()]);
    }
    args.extend(extra.iter().map(|e| (*e).to_owned()));
    args
}

fn sa(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchanges_are_probed_by_preference_and_a_down_backup_only_warns() {
    let site = site(|_| modern());
    let (ran, _dns) = check(&site, &["multi.domain.test"], &[]).await;
    let r = &ran.report;
    let t = &r.targets[0];
    let p = site.port;

    assert_eq!(t.mode, TargetMode::Domain);
    assert_eq!(
        servers(t),
        vec![
            (Some(10), "mx1.domain.test".into(), sa(MX1, p)),
            (Some(20), "mx2.domain.test".into(), sa(MX2, p)),
            (Some(30), "mx-down.domain.test".into(), sa(DOWN, p)),
        ]
    );
    for s in &t.servers[..2] {
        assert!(s.accepts_modern() && !s.accepts_legacy(), "{s:?}");
    }
    let down = t.servers[2].error.as_ref().expect("the backup is down");
    assert_eq!((down.stage, down.timed_out), (Stage::Connect, false));
    // A down backup does not stop mail: senders use the others.
    assert_eq!(findings(t), vec![("connection-refused", Severity::Warning)]);
    assert_eq!(t.verdict, Verdict::Warn);
    assert_eq!(r.exit, ExitStatus::Pass);

    let out = text(r);
    let rows = [
        format!("10 mx1.domain.test 127.0.0.21:{p}"),
        format!("20 mx2.domain.test 127.0.0.22:{p}"),
        format!("30 mx-down.domain.test 127.0.0.29:{p}"),
    ];
    let at: Vec<usize> = rows.iter().map(|row| position(&out, row)).collect();
    assert!(at[0] < at[1] && at[1] < at[2], "table out of order:\n{out}");
    // Issue 14: the Office 365 sentence comes right after the target.
    assert!(
        out.starts_with("WARN multi.domain.test: Office 365 negotiates TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (1 of 3 servers not established); Nothing accepts connections on port"),
        "{out}"
    );
    assert!(out.contains(&format!(
        "30 mx-down.domain.test 127.0.0.29:{p}  connect failed"
    )));
    assert!(out.contains("WARN  connection-refused"), "{out}");

    let v = json_of(r);
    let j = &v["targets"][0];
    let prefs: Vec<&Value> = j["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["preference"])
        .collect();
    assert_eq!(prefs, [10, 20, 30]);
    assert_eq!(j["servers"][2]["exchange"], "mx-down.domain.test");
    assert_eq!(j["servers"][2]["error"]["stage"], "connect");
    assert_eq!(j["servers"][2]["error"]["timed_out"], false);
    assert_eq!(j["servers"][0]["versions"]["1.2"]["result"], "accepted");
    assert_eq!(j["findings"][0]["id"], "connection-refused");
    assert_eq!(j["findings"][0]["severity"], "warning");
    assert_eq!(j["verdict"], "warn");
    assert_eq!(j["dns"]["result"], "mx");
    eprintln!("{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_preferences_are_listed_in_name_order_every_time() {
    let site = site(|_| modern());
    let dns = serve_zone(ORIGIN, ZONE).await;
    let p = site.port;
    for _ in 0..3 {
        let ran = run(config(&["equal.domain.test"], dns.addr(), p, &[])).await;
        let t = &ran.report.targets[0];
        // Same preference: by name, not by answer order or address.
        assert_eq!(
            servers(t),
            vec![
                (Some(10), "mx-a.domain.test".into(), sa(MX2, p)),
                (Some(10), "mx-b.domain.test".into(), sa(MX1, p)),
            ]
        );
        match &t.dns.as_ref().unwrap().answer {
            DnsAnswer::Mail(MailRouting::Mx { exchanges }) => {
                assert!(exchanges.iter().all(|x| x.equal_preference));
            }
            other => panic!("expected MX, got {other:?}"),
        }
        assert_eq!(t.verdict, Verdict::Pass);

        let out = text(&ran.report);
        let a = position(
            &out,
            "    10  mx-a.domain.test  127.0.0.22  (equal preference)\n",
        );
        let b = position(
            &out,
            "    10  mx-b.domain.test  127.0.0.21  (equal preference)\n",
        );
        assert!(a < b, "{out}");

        let v = json_of(&ran.report);
        let mx = v["targets"][0]["dns"]["mx"].as_array().unwrap();
        let names: Vec<&Value> = mx.iter().map(|x| &x["exchange"]).collect();
        assert_eq!(names, ["mx-a.domain.test", "mx-b.domain.test"]);
        assert!(mx.iter().all(|x| x["equal_preference"] == true));
        let hosts: Vec<&Value> = v["targets"][0]["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["exchange"])
            .collect();
        assert_eq!(hosts, ["mx-a.domain.test", "mx-b.domain.test"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_without_mx_is_probed_at_its_own_address_as_implicit_mx() {
    let site = site(|_| modern());
    let (ran, _dns) = check(&site, &["implicit.domain.test"], &[]).await;
    let t = &ran.report.targets[0];
    assert_eq!(
        servers(t),
        vec![(None, "implicit.domain.test".into(), sa(MX1, site.port))]
    );
    assert!(matches!(
        t.dns.as_ref().unwrap().answer,
        DnsAnswer::Mail(MailRouting::ImplicitMx { .. })
    ));
    assert_eq!(findings(t), vec![("implicit-mx", Severity::Info)]);
    assert_eq!(t.verdict, Verdict::Pass);
    assert_eq!(ran.report.exit, ExitStatus::Pass);

    let out = text(&ran.report);
    assert!(
        out.contains("implicit.domain.test has no MX records: it is its own mail server (implicit MX, RFC 5321 §5.1): 127.0.0.21"),
        "{out}"
    );
    let v = json_of(&ran.report);
    let j = &v["targets"][0];
    assert_eq!(j["dns"]["result"], "implicit_mx");
    assert_eq!(j["dns"]["implicit_mx"], true);
    assert_eq!(j["dns"]["addresses"][0], "127.0.0.21");
    assert_eq!(j["servers"][0]["host"], "implicit.domain.test");
    assert_eq!(j["servers"][0]["exchange"], Value::Null);
    assert_eq!(j["servers"][0]["certificate"]["verdict"], "trusted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_mx_means_no_mail_and_nothing_is_probed() {
    let site = site(|_| modern());
    let (ran, dns) = check(&site, &["nullmx.domain.test"], &[]).await;
    let t = &ran.report.targets[0];
    assert!(matches!(
        t.dns.as_ref().unwrap().answer,
        DnsAnswer::Mail(MailRouting::NullMx)
    ));
    // The domain's A record is not a mail server.
    assert!(t.servers.is_empty());
    assert_eq!(findings(t), vec![("null-mx", Severity::Info)]);
    assert_eq!(t.verdict, Verdict::NoMail);
    assert_eq!(ran.report.exit, ExitStatus::Pass);
    let out = text(&ran.report);
    assert!(out.starts_with(
        "NO MAIL nullmx.domain.test: the domain publishes a null MX (RFC 7505) and accepts no mail\n"
    ));

    let ca = ca_file();
    let args = binary_args(&["nullmx.domain.test"], dns.addr(), site.port, &ca, &[]);
    let (o, _) = binary(args.clone()).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "nullmx.domain.test has a null MX (\"0 .\", RFC 7505): the domain accepts no mail"
        ),
        "{}",
        stdout(&o)
    );
    let mut json_args = args;
    json_args.extend(["--format".to_owned(), "json".to_owned()]);
    let (o, _) = binary(json_args).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["exit_code"], 0);
    let j = &v["targets"][0];
    assert_eq!(j["verdict"], "no_mail");
    assert_eq!(j["dns"]["result"], "null_mx");
    assert_eq!(j["dns"]["null_mx"], true);
    assert_eq!(j["servers"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_that_does_not_exist_is_untested_with_exit_3() {
    let site = site(|_| modern());
    let (ran, dns) = check(&site, &["missing.domain.test"], &[]).await;
    let t = &ran.report.targets[0];
    assert!(matches!(
        t.dns.as_ref().unwrap().answer,
        DnsAnswer::Mail(MailRouting::NxDomain)
    ));
    assert_eq!(
        findings(t),
        vec![("domain-does-not-exist", Severity::Error)]
    );
    assert_eq!(t.verdict, Verdict::Untested);
    assert_eq!(ran.report.exit, ExitStatus::Untested);
    let out = text(&ran.report);
    assert!(
        out.contains("missing.domain.test does not exist (NXDOMAIN)"),
        "{out}"
    );

    let ca = ca_file();
    let mut args = binary_args(&["missing.domain.test"], dns.addr(), site.port, &ca, &[]);
    args.extend(["--format".to_owned(), "json".to_owned()]);
    let (o, _) = binary(args).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v = json(&o);
    let j = &v["targets"][0];
    assert_eq!(j["verdict"], "untested");
    assert_eq!(j["dns"]["result"], "nx_domain");
    assert_eq!(j["findings"][0]["id"], "domain-does-not-exist");
    assert_eq!(j["findings"][0]["severity"], "error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mx_that_names_a_cname_warns_and_is_still_probed() {
    let site = site(|_| modern());
    let (ran, _dns) = check(&site, &["aliased.domain.test"], &[]).await;
    let t = &ran.report.targets[0];
    assert_eq!(
        servers(t),
        vec![(Some(10), "alias.domain.test".into(), sa(MX1, site.port))]
    );
    assert!(t.servers[0].accepts_modern());
    assert_eq!(findings(t), vec![("mx-points-to-cname", Severity::Warning)]);
    assert_eq!(t.verdict, Verdict::Warn);
    assert_eq!(ran.report.exit, ExitStatus::Pass);
    let out = text(&ran.report);
    assert!(
        out.contains("[warning: the MX names an alias (CNAME to mx1.domain.test)"),
        "{out}"
    );
    assert!(out.contains("WARN  mx-points-to-cname"), "{out}");
    let v = json_of(&ran.report);
    let j = &v["targets"][0];
    assert_eq!(j["dns"]["mx"][0]["warnings"][0]["kind"], "mx_is_cname");
    assert_eq!(j["findings"][0]["id"], "mx-points-to-cname");
    assert_eq!(j["servers"][0]["versions"]["1.3"]["result"], "accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_with_a_and_aaaa_is_probed_on_both_addresses() {
    let site = site(|_| modern());
    let p = site.port;
    // Without ::1 on this machine, look up IPv4 only and say so.
    let extra: &[&str] = match &site.no_ipv6 {
        None => &[],
        Some(why) => {
            eprintln!("skipping the AAAA part: {why}");
            &["-4"]
        }
    };
    let (ran, _dns) = check(&site, &["dual.domain.test"], extra).await;
    let t = &ran.report.targets[0];
    let mut want = vec![(Some(10), "mx-dual.domain.test".to_owned(), sa(MX1, p))];
    if site.no_ipv6.is_none() {
        want.push((Some(10), "mx-dual.domain.test".to_owned(), sa(V6, p)));
    }
    assert_eq!(servers(t), want);
    for s in &t.servers {
        assert!(s.was_tested() && s.accepts_modern(), "{s:?}");
    }
    assert_eq!(t.verdict, Verdict::Pass);
    let out = text(&ran.report);
    position(&out, &format!("10 mx-dual.domain.test 127.0.0.21:{p}"));
    if site.no_ipv6.is_none() {
        position(&out, "    10  mx-dual.domain.test  127.0.0.21, ::1\n");
        position(&out, &format!("10 mx-dual.domain.test [::1]:{p}"));
        let v = json_of(&ran.report);
        let addresses: Vec<&Value> = v["targets"][0]["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["address"])
            .collect();
        assert_eq!(addresses, ["127.0.0.21", "::1"]);
        assert_eq!(v["targets"][0]["dns"]["mx"][0]["addresses"][1], "::1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_without_an_address_is_reported() {
    let site = site(|_| modern());
    let (ran, _dns) = check(
        &site,
        &["noaddr.domain.test", "onlynoaddr.domain.test"],
        &[],
    )
    .await;
    // Next to a working exchange it is a warning.
    let t = &ran.report.targets[0];
    assert_eq!(
        servers(t),
        vec![(Some(10), "mx1.domain.test".into(), sa(MX1, site.port))]
    );
    assert_eq!(
        findings(t),
        vec![("exchange-without-address", Severity::Warning)]
    );
    assert_eq!(t.verdict, Verdict::Warn);
    // Alone, nobody can deliver: an error, and nothing to test.
    let only = &ran.report.targets[1];
    assert!(only.servers.is_empty());
    assert_eq!(
        findings(only),
        vec![("exchange-without-address", Severity::Error)]
    );
    assert_eq!(only.verdict, Verdict::Untested);
    assert_eq!(ran.report.exit, ExitStatus::Untested);

    let out = text(&ran.report);
    assert!(
        out.contains("    20  mx-none.domain.test  no address  [warning: the name has no address record (A/AAAA) of the families asked for]"),
        "{out}"
    );
    let v = json_of(&ran.report);
    assert_eq!(
        v["targets"][0]["findings"][0]["id"],
        "exchange-without-address"
    );
    assert_eq!(
        v["targets"][0]["dns"]["mx"][1]["warnings"][0]["kind"],
        "no_addresses"
    );
    assert_eq!(
        v["targets"][0]["dns"]["mx"][1]["addresses"],
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolver_that_does_not_answer_ends_within_the_bound_with_exit_3() {
    let silent = silent_resolver();
    let addr = silent.local_addr().unwrap();
    // --timeout 0.5: each DNS try waits 0.5 s, two tries.
    let timeout = Duration::from_millis(500);
    let bound = timeout * 2 + timeout;
    let ran = run(config(&["contoso.test"], addr, 25, &["--timeout", "0.5"])).await;
    let t = &ran.report.targets[0];
    assert!(matches!(
        t.dns.as_ref().unwrap().answer,
        DnsAnswer::Mail(MailRouting::Failed(DnsError::Timeout))
    ));
    assert_eq!(findings(t), vec![("dns-lookup-failed", Severity::Error)]);
    assert_eq!(t.verdict, Verdict::Untested);
    assert_eq!(ran.report.exit, ExitStatus::Untested);
    assert!(
        ran.elapsed <= bound,
        "took {:?}, bound {bound:?}",
        ran.elapsed
    );
    let out = text(&ran.report);
    assert!(
        out.contains("lookup of contoso.test failed: no answer from the DNS server in time"),
        "{out}"
    );

    let ca = ca_file();
    let mut args = binary_args(&["contoso.test"], addr, 25, &ca, &["--timeout", "0.5"]);
    args.extend(["--format".to_owned(), "json".to_owned()]);
    let (o, elapsed) = binary(args).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // The process's own start and exit get another timeout of slack.
    assert!(elapsed <= bound + timeout, "took {elapsed:?}");
    let v = json(&o);
    let j = &v["targets"][0];
    assert_eq!(j["dns"]["result"], "failed");
    assert_eq!(j["dns"]["error"]["kind"], "timeout");
    assert_eq!(j["findings"][0]["id"], "dns-lookup-failed");
    eprintln!(
        "silent resolver: library run {:?}, binary {elapsed:?}, bound {bound:?}",
        ran.elapsed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_targets_are_reported_in_command_line_order() {
    // The first target's only server greets late, so it finishes last.
    let site = site(|ip| {
        let mut b = modern();
        if ip == MX3 {
            b.greeting_delay = Duration::from_millis(600);
        }
        b
    });
    let targets = [
        "slowmx.domain.test",
        "implicit.domain.test",
        "nullmx.domain.test",
        "missing.domain.test",
    ];
    let (ran, dns) = check(&site, &targets, &[]).await;
    assert_eq!(ran.finished.last().map(String::as_str), Some(targets[0]));
    let inputs: Vec<&str> = ran
        .report
        .targets
        .iter()
        .map(|t| t.input.as_str())
        .collect();
    assert_eq!(inputs, targets);
    let verdicts: Vec<Verdict> = ran.report.targets.iter().map(|t| t.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Pass,
            Verdict::Pass,
            Verdict::NoMail,
            Verdict::Untested
        ]
    );
    assert_eq!(ran.report.exit, ExitStatus::Untested);

    let ca = ca_file();
    let args = binary_args(&targets, dns.addr(), site.port, &ca, &[]);
    let (o, _) = binary(args.clone()).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let out = stdout(&o);
    // The summary lines, then one section per target, both in order.
    let summaries: Vec<usize> = [
        "PASS slowmx",
        "PASS implicit",
        "NO MAIL nullmx",
        "UNTESTED missing",
    ]
    .iter()
    .map(|s| position(&out, s))
    .collect();
    let sections: Vec<usize> = targets
        .iter()
        .map(|t| position(&out, &format!("Target {t} (domain)")))
        .collect();
    assert!(summaries.windows(2).all(|w| w[0] < w[1]), "{out}");
    assert!(sections.windows(2).all(|w| w[0] < w[1]), "{out}");
    assert!(summaries[3] < sections[0], "{out}");

    let mut json_args = args;
    json_args.extend(["--format".to_owned(), "json".to_owned()]);
    let (o, _) = binary(json_args).await;
    let v = json(&o);
    let inputs: Vec<&Value> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["input"])
        .collect();
    assert_eq!(inputs, targets);
    assert_eq!(v["exit_code"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_run_reports_a_down_backup_mx_in_json_and_text() {
    let site = site(|_| modern());
    let dns = serve_zone(ORIGIN, ZONE).await;
    let ca = ca_file();
    let p = site.port;
    let args = binary_args(&["multi.domain.test"], dns.addr(), p, &ca, &[]);
    let (o, _) = binary(args.clone()).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("WARN multi.domain.test: Office 365 negotiates TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (1 of 3 servers not established); Nothing accepts connections on port"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "30 mx-down.domain.test 127.0.0.29:{p}  connect failed"
        )),
        "{out}"
    );

    let mut json_args = args;
    json_args.extend(["--format".to_owned(), "json".to_owned()]);
    let (o, _) = binary(json_args).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let j = &v["targets"][0];
    assert_eq!(j["mode"], "domain");
    assert_eq!(j["verdict"], "warn");
    assert_eq!(j["dns"]["resolver"], dns.addr().to_string());
    let servers: Vec<(&Value, &Value, &Value)> = j["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (&s["preference"], &s["exchange"], &s["address"]))
        .collect();
    assert_eq!(
        servers,
        [
            (
                &Value::from(10),
                &Value::from("mx1.domain.test"),
                &Value::from("127.0.0.21")
            ),
            (
                &Value::from(20),
                &Value::from("mx2.domain.test"),
                &Value::from("127.0.0.22")
            ),
            (
                &Value::from(30),
                &Value::from("mx-down.domain.test"),
                &Value::from("127.0.0.29")
            ),
        ]
    );
    assert!(j["servers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["port"] == p));
    assert_eq!(j["servers"][2]["error"]["stage"], "connect");
    assert_eq!(j["findings"][0]["id"], "connection-refused");
    assert_eq!(j["findings"][0]["severity"], "warning");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchanges_are_probed_at_once_so_a_domain_takes_as_long_as_its_slowest_server() {
    const N: usize = 3;
    let delay = Duration::from_millis(600);
    let quick = site(|_| modern());
    let slow = site(|_| {
        let mut b = modern();
        b.greeting_delay = delay;
        b
    });
    let dns = serve_zone(ORIGIN, ZONE).await;
    let baseline = run(config(&["three.domain.test"], dns.addr(), quick.port, &[])).await;
    let ran = run(config(&["three.domain.test"], dns.addr(), slow.port, &[])).await;
    for r in [&baseline, &ran] {
        let t = &r.report.targets[0];
        assert_eq!(t.servers.len(), N);
        assert_eq!(t.verdict, Verdict::Pass);
        assert!(t.servers.iter().all(|s| s
            .version(TlsVersion::Tls13)
            .is_some_and(|v| v.result.is_accepted())));
    }
    eprintln!(
        "domain timing: {N} exchanges, each greeting {delay:?} late: {:?} (without the delay {:?}; one after another would be ≥ {:?})",
        ran.elapsed,
        baseline.elapsed,
        delay * N as u32
    );
    // Serial probing would take N × delay; at once, delay plus the work.
    let bound = delay * 2 + delay / 2;
    assert!(
        ran.elapsed < bound,
        "took {:?}, bound {bound:?}",
        ran.elapsed
    );
    assert!(ran.elapsed >= delay, "took only {:?}", ran.elapsed);
}
