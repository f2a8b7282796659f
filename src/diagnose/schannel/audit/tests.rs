use super::*;
use crate::proto::registry::parse;

fn reg(body: &str) -> RegistryExport {
    parse(format!("Windows Registry Editor Version 5.00\r\n\r\n{body}").as_bytes()).unwrap()
}

fn tls12(side: &str, values: &str) -> String {
    format!("[{PROTOCOLS_KEY}\\TLS 1.2\\{side}]\r\n{values}\r\n")
}

fn state(a: &Audit, p: Protocol, s: Side) -> ProtocolState {
    a.setting(p, s).unwrap().state
}

#[test]
fn windows_version_parses_cli_names_and_common_spellings() {
    for (text, want) in [
        ("2012r2", WindowsVersion::Ws2012R2),
        ("2012 R2", WindowsVersion::Ws2012R2),
        ("ws2016", WindowsVersion::Ws2016),
        ("Server 2019", WindowsVersion::Ws2019),
        ("Windows Server 2022", WindowsVersion::Ws2022),
        ("2025", WindowsVersion::Ws2025),
        ("2008r2", WindowsVersion::Ws2008R2),
        ("Windows Server 2008 R2", WindowsVersion::Ws2008R2),
    ] {
        assert_eq!(text.parse::<WindowsVersion>(), Ok(want), "{text}");
    }
    for v in WindowsVersion::ALL {
        assert_eq!(v.cli_name().parse::<WindowsVersion>(), Ok(v));
    }
    let err = "2003".parse::<WindowsVersion>().unwrap_err();
    assert_eq!(
            err.to_string(),
            "unknown Windows Server version '2003': expected one of 2008r2, 2012r2, 2016, 2019, 2022, 2025"
        );
}

#[test]
fn os_defaults_follow_microsofts_table() {
    use OsDefault::*;
    let d = |p, os| OsDefault::for_os(p, Some(os));
    assert_eq!(d(Protocol::Tls12, WindowsVersion::Ws2012R2), Enabled);
    assert_eq!(d(Protocol::Tls12, WindowsVersion::Ws2008R2), Disabled);
    assert_eq!(d(Protocol::Tls11, WindowsVersion::Ws2008R2), Disabled);
    assert_eq!(d(Protocol::Tls10, WindowsVersion::Ws2008R2), Enabled);
    assert_eq!(d(Protocol::Ssl3, WindowsVersion::Ws2008R2), Unknown);
    assert_eq!(d(Protocol::Tls13, WindowsVersion::Ws2008R2), NotSupported);
    assert_eq!(d(Protocol::Tls10, WindowsVersion::Ws2022), Enabled);
    assert_eq!(d(Protocol::Tls10, WindowsVersion::Ws2025), Unknown);
    // The user is told why (Microsoft documents the default two ways).
    let export = crate::proto::registry::parse(
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL]\r\n".as_bytes(),
        )
        .unwrap();
    let a = audit(&export, Some(WindowsVersion::Ws2025));
    let f = a
        .findings
        .iter()
        .find(|f| f.id == "legacy-default-unknown-on-2025")
        .unwrap();
    assert!(f.detail.contains("documented") || f.summary.contains("documented two ways"));
    assert!(f.detail.contains("Enabled on Windows Server 2025"));
    let a = audit(&export, Some(WindowsVersion::Ws2022));
    assert!(!a
        .findings
        .iter()
        .any(|f| f.id == "legacy-default-unknown-on-2025"));
    assert_eq!(d(Protocol::Tls13, WindowsVersion::Ws2019), NotSupported);
    assert_eq!(d(Protocol::Tls13, WindowsVersion::Ws2022), Enabled);
    assert_eq!(d(Protocol::Ssl3, WindowsVersion::Ws2012R2), Enabled);
    assert_eq!(d(Protocol::Ssl3, WindowsVersion::Ws2016), Disabled);
    assert_eq!(d(Protocol::Ssl2, WindowsVersion::Ws2016), NotSupported);
    assert_eq!(OsDefault::for_os(Protocol::Tls12, None), Unknown);
}

#[test]
fn enabled_zero_disables_tls12_client_with_a_fix() {
    let a = audit(
        &reg(&tls12("Client", "\"Enabled\"=dword:00000000")),
        Some(WindowsVersion::Ws2019),
    );
    assert_eq!(
        state(&a, Protocol::Tls12, Side::Client),
        ProtocolState::Disabled(DisabledBy::EnabledZero)
    );
    assert_eq!(
        state(&a, Protocol::Tls12, Side::Server),
        ProtocolState::OsDefault(OsDefault::Enabled)
    );
    assert_eq!(a.verdict, Verdict::Problem);
    let f = a.finding("tls12-client-disabled").unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.fix.as_ref().unwrap().reg,
        format!(
            "Windows Registry Editor Version 5.00\n\n[{PROTOCOLS_KEY}\\TLS 1.2\\Client]\n\
                 \"DisabledByDefault\"=dword:00000000\n\"Enabled\"=dword:00000001\n"
        )
    );
}

#[test]
fn disabled_by_default_one_is_reported_apart_from_enabled_zero() {
    let a = audit(
        &reg(&tls12(
            "Server",
            "\"DisabledByDefault\"=dword:00000001\r\n\"Enabled\"=dword:00000001",
        )),
        Some(WindowsVersion::Ws2016),
    );
    assert_eq!(
        state(&a, Protocol::Tls12, Side::Server),
        ProtocolState::Disabled(DisabledBy::DisabledByDefault)
    );
    assert!(a.finding("tls12-disabled-by-default").is_some());
    assert!(a.finding("tls12-server-disabled").is_none());
    assert_eq!(a.verdict, Verdict::Problem);
}

#[test]
fn any_non_zero_enabled_is_enabled() {
    let a = audit(
        &reg(&tls12("Client", "\"Enabled\"=dword:ffffffff")),
        Some(WindowsVersion::Ws2019),
    );
    assert_eq!(
        state(&a, Protocol::Tls12, Side::Client),
        ProtocolState::Enabled
    );
}

#[test]
fn later_lines_win_and_deletions_apply_in_order() {
    let body = format!(
        "{}{}[-{PROTOCOLS_KEY}\\TLS 1.2\\Server]\r\n{}",
        tls12("Client", "\"Enabled\"=dword:00000000"),
        tls12("Client", "\"Enabled\"=dword:00000001"),
        tls12("Client", "\"DisabledByDefault\"=-"),
    );
    let export = reg(&format!(
        "{}{body}",
        tls12("Server", "\"Enabled\"=dword:00000000")
    ));
    let a = audit(&export, Some(WindowsVersion::Ws2019));
    assert_eq!(
        state(&a, Protocol::Tls12, Side::Client),
        ProtocolState::Enabled
    );
    let server = a.setting(Protocol::Tls12, Side::Server).unwrap();
    assert!(!server.key_present);
    assert_eq!(server.state, ProtocolState::OsDefault(OsDefault::Enabled));
    assert_eq!(a.verdict, Verdict::Ok);
}

#[test]
fn key_and_value_names_are_case_insensitive() {
    let body = format!(
        "[{}\\tls 1.2\\CLIENT]\r\n\"enabled\"=dword:00000000\r\n",
        PROTOCOLS_KEY.to_lowercase()
    );
    let a = audit(&reg(&body), Some(WindowsVersion::Ws2019));
    assert!(a.finding("tls12-client-disabled").is_some());
}

#[test]
fn unknown_os_leaves_tls12_uncertain_and_that_is_a_problem() {
    let a = audit(&reg(&format!("[{SCHANNEL_KEY}]\r\n")), None);
    assert_eq!(
        state(&a, Protocol::Tls12, Side::Client),
        ProtocolState::OsDefault(OsDefault::Unknown)
    );
    assert_eq!(
        a.setting(Protocol::Tls12, Side::Client)
            .unwrap()
            .is_usable(),
        None
    );
    assert!(a.finding("tls12-os-default-unknown").is_some());
    assert_eq!(a.verdict, Verdict::Problem);
    let explicit = audit(
        &reg(&format!(
            "{}{}",
            tls12("Client", "\"Enabled\"=dword:00000001"),
            tls12("Server", "\"Enabled\"=dword:00000001")
        )),
        None,
    );
    assert_eq!(explicit.verdict, Verdict::Ok);
}

#[test]
fn string_enabled_is_a_wrong_type_and_counts_as_unset() {
    let a = audit(
        &reg(&tls12("Client", "\"Enabled\"=\"0\"")),
        Some(WindowsVersion::Ws2019),
    );
    assert_eq!(
        a.setting(Protocol::Tls12, Side::Client).unwrap().enabled,
        None
    );
    let f = a.finding("wrong-value-type").unwrap();
    assert!(f.summary.contains("REG_SZ"), "{}", f.summary);
}

#[test]
fn values_on_the_protocol_key_itself_are_flagged() {
    let body = format!("[{PROTOCOLS_KEY}\\TLS 1.2]\r\n\"Enabled\"=dword:00000001\r\n");
    let a = audit(&reg(&body), Some(WindowsVersion::Ws2019));
    let f = a.finding("values-on-protocol-key").unwrap();
    assert_eq!(f.lines, vec![4]);
    assert!(f.fix.as_ref().unwrap().reg.contains("TLS 1.2\\Server]"));
}

#[test]
fn near_miss_protocol_names_get_a_hint() {
    let body = format!(
        "[{PROTOCOLS_KEY}\\TLS1.2\\Client]\r\n\"Enabled\"=dword:00000001\r\n\
             [{PROTOCOLS_KEY}\\TLS 1.2\\Clients]\r\n"
    );
    let a = audit(&reg(&body), Some(WindowsVersion::Ws2019));
    let unknown: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| f.id == "unrecognised-protocol-key")
        .collect();
    assert_eq!(unknown.len(), 2);
    assert!(unknown
        .iter()
        .any(|f| f.detail.ends_with("Did you mean 'TLS 1.2'?")));
}

#[test]
fn tls13_enabled_on_2019_is_not_usable() {
    let body = format!("[{PROTOCOLS_KEY}\\TLS 1.3\\Client]\r\n\"Enabled\"=dword:00000001\r\n");
    let a = audit(&reg(&body), Some(WindowsVersion::Ws2019));
    let s = a.setting(Protocol::Tls13, Side::Client).unwrap();
    assert_eq!(s.state, ProtocolState::Enabled);
    assert_eq!(s.is_usable(), Some(false));
    let f = a.finding("tls13-not-supported-on-os").unwrap();
    // Microsoft: "not a safe system configuration" - a warning.
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.detail.contains("not a safe system configuration"));
    assert!(a.finding("tls13-not-used-by-exchange-smtp").is_none());
}

#[test]
fn dotnet_zero_is_an_error_and_missing_a_warning() {
    let body = format!(
        "[{}]\r\n\"SystemDefaultTlsVersions\"=dword:00000000\r\n\
             \"SchUseStrongCrypto\"=dword:00000001\r\n",
        DotNetKey::V4.path()
    );
    let a = audit(&reg(&body), Some(WindowsVersion::Ws2019));
    let off = a.finding("dotnet-system-default-tls-disabled").unwrap();
    assert_eq!(off.severity, Severity::Error);
    assert_eq!(
        off.summary,
        "SystemDefaultTlsVersions is not 1: v4.0.30319 = 0"
    );
    let missing = a.finding("dotnet-strong-crypto-missing").unwrap();
    assert_eq!(missing.severity, Severity::Warning);
    assert!(
        !missing.summary.contains("v4.0.30319,"),
        "{}",
        missing.summary
    );
    assert_eq!(a.verdict, Verdict::Problem);
    let dotnet = a.dotnet.as_ref().unwrap();
    assert!(dotnet[0].key_present);
    assert!(!dotnet[1].key_present);
}

#[test]
fn findings_are_sorted_errors_first() {
    let a = audit(
        &reg(&tls12("Server", "\"Enabled\"=dword:00000000")),
        Some(WindowsVersion::Ws2012R2),
    );
    let severities: Vec<Severity> = a.findings.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort();
    assert_eq!(severities, sorted);
    assert_eq!(a.findings[0].id, "tls12-server-disabled");
    assert!(a.finding("ssl3-enabled").is_some());
}
