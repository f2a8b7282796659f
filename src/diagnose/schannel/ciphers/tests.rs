use super::*;
use crate::diagnose::schannel::audit::Severity;
use crate::proto::registry::parse;

fn run(text: &str) -> Vec<Finding> {
    findings(&parse(text.as_bytes()).unwrap())
}

const HEADER: &str = "Windows Registry Editor Version 5.00\r\n\r\n";

#[test]
fn a_policy_order_of_only_ecdsa_suites_leaves_none_for_office365() {
    let f = run(&format!(
            "{HEADER}[{POLICY_KEY}]\r\n\"Functions\"=\"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256_P256\"\r\n"
        ));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].id, "no-office365-cipher-suite");
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].lines, vec![4]);
    assert!(f[0].detail.contains("none of Microsoft 365's eight"));
}

#[test]
fn a_policy_order_with_one_office365_suite_passes() {
    let f = run(&format!(
            "{HEADER}[{POLICY_KEY}]\r\n\"Functions\"=\"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA_P256\"\r\n"
        ));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn disabled_aes_leaves_none() {
    let f = run(&format!(
            "{HEADER}[{SCHANNEL}\\Ciphers\\AES 128/128]\r\n\"Enabled\"=dword:00000000\r\n\r\n[{SCHANNEL}\\Ciphers\\AES 256/256]\r\n\"Enabled\"=dword:00000000\r\n"
        ));
    assert_eq!(f.len(), 1);
    assert!(f[0].detail.contains("AES 128"));
}

#[test]
fn disabled_pkcs_leaves_none_but_disabled_sha1_alone_does_not() {
    let f = run(&format!(
        "{HEADER}[{SCHANNEL}\\KeyExchangeAlgorithms\\PKCS]\r\n\"Enabled\"=dword:00000000\r\n"
    ));
    assert_eq!(f.len(), 1);
    let f = run(&format!(
        "{HEADER}[{SCHANNEL}\\Hashes\\SHA]\r\n\"Enabled\"=dword:00000000\r\n"
    ));
    assert!(f.is_empty());
}

#[test]
fn a_local_list_without_office365_suites_is_read_when_no_policy_is_set() {
    let f = run(&format!(
            "{HEADER}[{LOCAL_KEY}]\r\n\"Functions\"=\"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\"\r\n"
        ));
    assert_eq!(f.len(), 1);
    assert!(f[0].detail.contains("local cipher suite list"));
}

#[test]
fn an_export_without_these_keys_says_nothing() {
    assert!(run(&format!("{HEADER}[{SCHANNEL}]\r\n")).is_empty());
}
