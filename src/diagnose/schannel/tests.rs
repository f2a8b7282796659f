use super::*;
use crate::net::registry::*;

fn server(build: &str) -> OsInfo {
    OsInfo {
        product_name: Some("Windows Server".into()),
        build: Some(build.into()),
        installation_type: Some("Server".into()),
    }
}

#[test]
fn live_keys_audit_like_the_export_of_the_same_keys() {
    let keys = vec![
        LiveKey {
            path: SCHANNEL_PATH.into(),
            values: vec![],
        },
        LiveKey {
            path: format!(r"{SCHANNEL_PATH}\Protocols\TLS 1.2\Client"),
            values: vec![
                ("Enabled".into(), 4, vec![0, 0, 0, 0]),
                ("DisabledByDefault".into(), 1, vec![b'1', 0, 0, 0]),
            ],
        },
        LiveKey {
            path: format!(r"{SCHANNEL_PATH}\Protocols\TLS 1,2\Server"),
            values: vec![("Enabled".into(), 4, vec![1, 0, 0, 0])],
        },
    ];
    let local = LocalRegistry {
        export: export_from_keys(keys),
        os: server("20348"),
        dotnet_installed: false,
    };
    let file = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL]\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client]\r\n\
            \"Enabled\"=dword:00000000\r\n\"DisabledByDefault\"=\"1\"\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1,2\\Server]\r\n\
            \"Enabled\"=dword:00000001\r\n";
    let from_file = audit(
        &crate::proto::registry::parse(file.as_bytes()).unwrap(),
        Some(WindowsVersion::Ws2022),
    );
    let live = audit_local(&local, detect_os(&local.os));
    assert_eq!(live.os, Some(WindowsVersion::Ws2022));
    assert_eq!(live.protocols, from_file.protocols);
    assert_eq!(live.verdict, from_file.verdict);
    assert_eq!(live.finding_ids(), from_file.finding_ids());
    assert!(live.finding_ids().contains(&"tls12-client-disabled"));
    assert!(live.findings.iter().all(|f| f.lines.is_empty()));
    let dotnet = live.finding("dotnet-not-in-export").unwrap();
    assert!(
        dotnet.summary.contains("no .NET Framework key"),
        "{}",
        dotnet.summary
    );
}
