//! `tlscheck schannel`: every fixture in tests/fixtures/schannel parsed,
//! audited and rendered; every malformed one refused with a clear error.
//! The fixtures are written by tests/fixtures/schannel/generate.py.

use std::path::PathBuf;

use tlscheck::diagnose::schannel::{
    audit, parse, Audit, DisabledBy, ExportFormat, OsDefault, ParseError, Protocol, ProtocolState,
    Severity, Side, TextEncoding, Verdict, WindowsVersion,
};
use tlscheck::proto::registry::LineProblem;
use tlscheck::report::schannel::{render_json, render_markdown, render_text};

const TLS12_CLIENT: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client";

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "schannel",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn audit_fixture(name: &str, os: Option<WindowsVersion>) -> Audit {
    audit(&parse(&fixture(name)).unwrap(), os)
}

/// Client and Server state of one protocol.
fn row(a: &Audit, p: Protocol) -> [ProtocolState; 2] {
    Side::ALL.map(|s| a.setting(p, s).unwrap().state)
}

const fn default(d: OsDefault) -> ProtocolState {
    ProtocolState::OsDefault(d)
}

const OFF_BOTH: ProtocolState = ProtocolState::Disabled(DisabledBy::Both);

#[test]
fn fresh_2019_export_is_os_defaults_and_ok() {
    let export = parse(&fixture("defaults-2019.reg")).unwrap();
    assert_eq!(export.format, ExportFormat::Regedit5);
    assert_eq!(export.encoding, TextEncoding::Utf16Le);
    let a = audit(&export, Some(WindowsVersion::Ws2019));
    // Windows itself creates SSL 2.0\Client with DisabledByDefault=1.
    assert_eq!(
        row(&a, Protocol::Ssl2),
        [
            ProtocolState::Disabled(DisabledBy::DisabledByDefault),
            default(OsDefault::NotSupported)
        ]
    );
    assert_eq!(row(&a, Protocol::Ssl3), [default(OsDefault::Disabled); 2]);
    assert_eq!(row(&a, Protocol::Tls10), [default(OsDefault::Enabled); 2]);
    assert_eq!(row(&a, Protocol::Tls11), [default(OsDefault::Enabled); 2]);
    assert_eq!(row(&a, Protocol::Tls12), [default(OsDefault::Enabled); 2]);
    assert_eq!(
        row(&a, Protocol::Tls13),
        [default(OsDefault::NotSupported); 2]
    );
    assert_eq!(
        a.finding_ids(),
        [
            "legacy-tls-enabled",
            "tls12-not-explicit",
            "dotnet-not-in-export"
        ]
    );
    assert_eq!(a.verdict, Verdict::Ok);
}

#[test]
fn fresh_export_without_os_cannot_confirm_tls12_and_is_a_problem() {
    let a = audit_fixture("defaults-2019.reg", None);
    assert_eq!(row(&a, Protocol::Tls12), [default(OsDefault::Unknown); 2]);
    let f = a.finding("tls12-os-default-unknown").unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(a.finding("legacy-tls-enabled").is_none());
    assert_eq!(a.verdict, Verdict::Problem);
    assert!(a.verdict_reason().contains("pass --os"));
}

#[test]
fn tls12_client_disabled_is_a_problem_with_the_reg_block_that_fixes_it() {
    let a = audit_fixture("tls12-client-disabled.reg", Some(WindowsVersion::Ws2019));
    assert_eq!(row(&a, Protocol::Tls10), [OFF_BOTH; 2]);
    assert_eq!(row(&a, Protocol::Tls11), [OFF_BOTH; 2]);
    assert_eq!(row(&a, Protocol::Tls12), [OFF_BOTH, ProtocolState::Enabled]);
    assert_eq!(
        a.finding_ids(),
        ["tls12-client-disabled", "dotnet-not-in-export"]
    );
    assert_eq!(a.verdict, Verdict::Problem);
    let f = a.finding("tls12-client-disabled").unwrap();
    assert!(f.detail.contains("SENDS mail"), "{}", f.detail);
    assert!(f.detail.contains("421 4.4.2"), "{}", f.detail);
    assert_eq!(
        f.fix.as_ref().unwrap().reg,
        format!(
            "Windows Registry Editor Version 5.00\n\n[{TLS12_CLIENT}]\n\
             \"DisabledByDefault\"=dword:00000000\n\"Enabled\"=dword:00000001\n"
        )
    );
}

#[test]
fn tls12_server_disabled_by_default_is_a_problem_and_net2_keys_lack_system_default() {
    let export = parse(&fixture("tls12-server-disabled-by-default.reg")).unwrap();
    assert_eq!(export.encoding, TextEncoding::Utf8);
    let a = audit(&export, Some(WindowsVersion::Ws2016));
    assert_eq!(
        row(&a, Protocol::Tls12),
        [
            ProtocolState::Enabled,
            ProtocolState::Disabled(DisabledBy::DisabledByDefault)
        ]
    );
    assert_eq!(
        a.finding_ids(),
        [
            "tls12-disabled-by-default",
            "legacy-tls-enabled",
            "dotnet-system-default-tls-missing"
        ]
    );
    let f = a.finding("tls12-disabled-by-default").unwrap();
    assert!(f.detail.contains("effectively off"), "{}", f.detail);
    let missing = a.finding("dotnet-system-default-tls-missing").unwrap();
    assert_eq!(
        missing.summary,
        "SystemDefaultTlsVersions is not set: v2.0.50727, v2.0.50727 (32-bit)"
    );
    assert_eq!(a.verdict, Verdict::Problem);
}

#[test]
fn article_typos_are_parsed_and_flagged_and_tls12_is_judged_on_the_dot_key() {
    let a = audit_fixture("article-typo.reg", Some(WindowsVersion::Ws2016));
    assert_eq!(row(&a, Protocol::Tls12), [ProtocolState::Enabled; 2]);
    // regedit rejects the nine-digit line, so DisabledByDefault is not written.
    let server = a.setting(Protocol::Tls12, Side::Server).unwrap();
    assert_eq!(server.disabled_by_default, None);
    assert_eq!(server.enabled, Some(1));
    assert_eq!(
        a.finding_ids(),
        [
            "nine-digit-dword",
            "typo-key-tls-1-comma-2",
            "legacy-tls-enabled",
            "dotnet-not-in-export"
        ]
    );
    let nine = a.finding("nine-digit-dword").unwrap();
    assert_eq!(nine.lines, [10]);
    assert!(
        nine.summary.contains("regedit rejects it"),
        "{}",
        nine.summary
    );
    assert!(nine
        .fix
        .as_ref()
        .unwrap()
        .reg
        .contains("\"DisabledByDefault\"=dword:00000000\n"));
    let comma = a.finding("typo-key-tls-1-comma-2").unwrap();
    assert_eq!(comma.lines, [3]);
    assert!(comma.summary.contains("TLS 1.2 is NOT configured by it"));
    let reg = &comma.fix.as_ref().unwrap().reg;
    assert!(reg.starts_with("Windows Registry Editor Version 5.00\n\n[-HKEY_LOCAL_MACHINE"));
    assert!(reg.contains(r"\Protocols\TLS 1,2]"));
    assert!(reg.contains(r"\Protocols\TLS 1.2\Server]"));
    assert_eq!(a.verdict, Verdict::Ok);
}

#[test]
fn tls12_configured_only_under_the_comma_key_stays_disabled() {
    let a = audit_fixture("comma-key-only.reg", Some(WindowsVersion::Ws2019));
    assert_eq!(
        row(&a, Protocol::Tls12),
        [
            ProtocolState::Disabled(DisabledBy::EnabledZero),
            default(OsDefault::Enabled)
        ]
    );
    assert_eq!(
        a.finding_ids(),
        [
            "tls12-client-disabled",
            "typo-key-tls-1-comma-2",
            "legacy-tls-enabled",
            "tls12-not-explicit",
            "dotnet-not-in-export"
        ]
    );
    assert_eq!(a.finding("typo-key-tls-1-comma-2").unwrap().lines.len(), 3);
    assert_eq!(a.verdict, Verdict::Problem);
}

#[test]
fn hardened_2022_joined_from_two_exports_is_clean() {
    let a = audit_fixture("hardened-2022.reg", Some(WindowsVersion::Ws2022));
    for p in [
        Protocol::Ssl2,
        Protocol::Ssl3,
        Protocol::Tls10,
        Protocol::Tls11,
    ] {
        assert_eq!(row(&a, p), [OFF_BOTH; 2], "{p}");
    }
    assert_eq!(row(&a, Protocol::Tls12), [ProtocolState::Enabled; 2]);
    assert_eq!(row(&a, Protocol::Tls13), [default(OsDefault::Enabled); 2]);
    let dotnet = a.dotnet.as_ref().unwrap();
    assert_eq!(dotnet.len(), 4);
    for s in dotnet {
        assert!(s.key_present, "{:?}", s.key);
        assert_eq!(s.system_default_tls_versions, Some(1));
        assert_eq!(s.sch_use_strong_crypto, Some(1));
    }
    assert_eq!(a.finding_ids(), ["tls13-not-used-by-exchange-smtp"]);
    assert_eq!(a.verdict, Verdict::Ok);
}

#[test]
fn regedit4_ansi_export_of_2012r2_flags_ssl3_client_default() {
    let export = parse(&fixture("regedit4-2012r2.reg")).unwrap();
    assert_eq!(export.format, ExportFormat::Regedit4);
    assert_eq!(export.encoding, TextEncoding::Ansi);
    let a = audit(&export, Some(WindowsVersion::Ws2012R2));
    assert_eq!(
        row(&a, Protocol::Ssl3),
        [
            default(OsDefault::Enabled),
            ProtocolState::Disabled(DisabledBy::EnabledZero)
        ]
    );
    assert_eq!(row(&a, Protocol::Tls12), [ProtocolState::Enabled; 2]);
    assert_eq!(
        row(&a, Protocol::Tls13),
        [default(OsDefault::NotSupported); 2]
    );
    assert_eq!(
        a.finding_ids(),
        ["legacy-tls-enabled", "ssl3-enabled", "dotnet-not-in-export"]
    );
    assert_eq!(a.verdict, Verdict::Ok);
}

#[test]
fn reg_query_output_with_tls12_server_off_is_a_problem() {
    let export = parse(&fixture("reg-query-2019.txt")).unwrap();
    assert_eq!(export.format, ExportFormat::RegQuery);
    let a = audit(&export, Some(WindowsVersion::Ws2019));
    let client = a.setting(Protocol::Tls12, Side::Client).unwrap();
    assert_eq!(client.enabled, Some(0xffff_ffff));
    assert_eq!(client.state, ProtocolState::Enabled);
    assert_eq!(
        a.setting(Protocol::Tls12, Side::Server).unwrap().state,
        ProtocolState::Disabled(DisabledBy::EnabledZero)
    );
    assert_eq!(
        a.finding_ids(),
        ["tls12-server-disabled", "dotnet-not-in-export"]
    );
    let f = a.finding("tls12-server-disabled").unwrap();
    assert!(f.detail.contains("RECEIVES mail"), "{}", f.detail);
    assert_eq!(a.verdict, Verdict::Problem);
}

#[test]
fn reg_query_in_utf16_audits_the_same_as_in_ansi() {
    let ansi = parse(&fixture("reg-query-2019.txt")).unwrap();
    let utf16 = parse(&fixture("reg-query-2019-utf16.txt")).unwrap();
    assert_eq!(utf16.encoding, TextEncoding::Utf16Le);
    assert_eq!(ansi.keys, utf16.keys);
}

fn parse_error(name: &str) -> ParseError {
    match parse(&fixture(name)) {
        Err(e) => e,
        Ok(export) => panic!("{name} parsed: {export:?}"),
    }
}

#[test]
fn empty_file_is_refused_saying_what_was_expected() {
    let e = parse_error("empty.reg");
    assert_eq!(e, ParseError::Empty);
    assert!(e
        .to_string()
        .contains("Windows Registry Editor Version 5.00"));
}

#[test]
fn json_file_is_not_a_registry_export() {
    let e = parse_error("not-registry.json");
    assert_eq!(
        e,
        ParseError::NotRegistryExport {
            first_line: "'{'".to_owned()
        }
    );
    assert!(e.to_string().contains(
        "expected a .reg export (first line 'Windows Registry Editor Version 5.00' or 'REGEDIT4') \
         or `reg query /s` output (lines starting with HKEY_LOCAL_MACHINE\\…)"
    ));
}

#[test]
fn binary_junk_is_not_a_registry_export_and_the_message_is_printable() {
    let e = parse_error("junk.bin");
    assert_eq!(e.label(), "not_registry_export");
    assert!(!e.to_string().chars().any(|c| c.is_control()), "{e}");
}

#[test]
fn export_cut_inside_a_key_line_names_the_line() {
    let e = parse_error("truncated-key.reg");
    match e {
        ParseError::BadLine {
            line,
            problem,
            ref text,
        } => {
            assert_eq!(problem, LineProblem::UnclosedKey);
            assert_eq!(line, 23);
            assert!(text.ends_with(r"\TLS 1.2\Cli'"), "{text}");
            assert!(text.contains('…'), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn export_cut_inside_a_value_name_names_the_line() {
    let e = parse_error("truncated-value.reg");
    assert!(
        matches!(
            e,
            ParseError::BadLine {
                line: 28,
                problem: LineProblem::UnterminatedString,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e
        .to_string()
        .starts_with("line 28: quoted text is not closed"));
}

#[test]
fn every_prefix_of_every_fixture_parses_or_fails_without_panic() {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "schannel"]
        .iter()
        .collect();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "py") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for end in (0..=bytes.len()).step_by(5) {
            if let Ok(export) = parse(&bytes[..end]) {
                let a = audit(&export, None);
                let _ = render_text(&a, true);
            }
        }
    }
}

#[test]
fn text_report_for_tls12_client_disabled() {
    let a = audit_fixture("tls12-client-disabled.reg", Some(WindowsVersion::Ws2019));
    insta::assert_snapshot!("text_tls12_client_disabled", render_text(&a, false));
}

#[test]
fn text_report_for_the_article_typos() {
    let a = audit_fixture("article-typo.reg", Some(WindowsVersion::Ws2016));
    insta::assert_snapshot!("text_article_typo", render_text(&a, false));
}

#[test]
fn markdown_report_for_tls12_server_disabled_by_default() {
    let a = audit_fixture(
        "tls12-server-disabled-by-default.reg",
        Some(WindowsVersion::Ws2016),
    );
    insta::assert_snapshot!("markdown_tls12_server_dbd", render_markdown(&a));
}

#[test]
fn json_report_for_the_hardened_server() {
    let a = audit_fixture("hardened-2022.reg", Some(WindowsVersion::Ws2022));
    let json = render_json(&a);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "schannel");
    assert_eq!(v["verdict"], "ok");
    assert_eq!(v["os"], "2022");
    assert_eq!(v["protocols"].as_array().unwrap().len(), 12);
    assert_eq!(v["protocols"][8]["protocol"], "tls1_2");
    assert_eq!(v["protocols"][8]["side"], "client");
    assert_eq!(v["protocols"][8]["usable"], true);
    assert_eq!(v["dotnet"][0]["sch_use_strong_crypto"], 1);
    insta::assert_snapshot!("json_hardened_2022", json);
}

#[test]
fn json_report_keeps_problem_findings_and_fixes() {
    let a = audit_fixture("reg-query-2019.txt", Some(WindowsVersion::Ws2019));
    let v: serde_json::Value = serde_json::from_str(&render_json(&a)).unwrap();
    assert_eq!(v["verdict"], "problem");
    assert_eq!(v["source"]["format"], "reg_query");
    assert_eq!(v["dotnet"], serde_json::Value::Null);
    let f = &v["findings"][0];
    assert_eq!(f["id"], "tls12-server-disabled");
    assert_eq!(f["severity"], "error");
    assert!(f["fix"]["reg"]
        .as_str()
        .unwrap()
        .starts_with("Windows Registry Editor Version 5.00\n"));
    // Every fix merged into one .reg, said once (issue 17).
    let merged = v["fix_reg"].as_str().unwrap();
    assert_eq!(
        merged
            .matches("Windows Registry Editor Version 5.00")
            .count(),
        1
    );
    assert!(merged.contains("TLS 1.2\\Server]"), "{merged}");
}

#[test]
fn only_coloured_text_carries_escape_codes() {
    let a = audit_fixture("tls12-client-disabled.reg", Some(WindowsVersion::Ws2019));
    // Colour is decided once by the front end (`--color always` here):
    // the binary, not a global switch in this test process.
    let path = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/schannel/tls12-client-disabled.reg",
    ]
    .join("/");
    let coloured = std::process::Command::new(env!("CARGO_BIN_EXE_tlscheck"))
        .args(["schannel", &path, "--os", "2019", "--color", "always"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains("\u{1b}[1;31m"));
    for out in [render_text(&a, false), render_markdown(&a), render_json(&a)] {
        assert!(!out.contains('\u{1b}'));
    }
}

#[test]
fn hostile_key_names_are_escaped_in_text_and_markdown_but_exact_in_json() {
    let body = "Windows Registry Editor Version 5.00\r\n\r\n\
        [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS\u{1b}[2J\u{202e}1.2]\r\n";
    let a = audit(
        &parse(body.as_bytes()).unwrap(),
        Some(WindowsVersion::Ws2019),
    );
    assert!(a.finding("unrecognised-protocol-key").is_some());
    for out in [render_text(&a, false), render_markdown(&a)] {
        assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'));
        assert!(out.contains("\\x1b"));
    }
    assert!(render_json(&a).contains("\\u001b[2J\u{202e}"));
}

#[test]
fn cipher_order_policy_without_office365_suites_is_a_problem() {
    // A hardening guide's ECDSA-only suite order, set by group policy:
    // TLS 1.2 is on, but no Microsoft 365 suite is left.
    let a = audit_fixture("cipher-order-ecdsa-only.reg", Some(WindowsVersion::Ws2022));
    let f = a.finding("no-office365-cipher-suite").expect("the finding");
    assert_eq!(f.severity, tlscheck::diagnose::schannel::Severity::Error);
    assert_eq!(f.lines, vec![4]);
    assert!(f.fix.as_ref().unwrap().reg.contains("00010002"));
    assert_eq!(a.verdict, tlscheck::diagnose::schannel::Verdict::Problem);
}
