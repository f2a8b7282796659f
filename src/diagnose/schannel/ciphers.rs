//! Cipher suites in a SCHANNEL export: does the cipher suite order (group
//! policy or local CNG configuration) and the SCHANNEL `Ciphers`, `Hashes`
//! and `KeyExchangeAlgorithms` keys leave any of Microsoft 365's documented
//! TLS 1.2 suites enabled? With none, this Windows server can neither send
//! to nor receive from Office 365 over TLS.
//!
//! Sources:
//! - Microsoft 365's suites: Microsoft Purview, "Technical reference
//!   details about encryption" (2023-06-14), see `profiles::MICROSOFT365`.
//! - The order list: the "SSL Cipher Suite Order" policy writes the
//!   comma-separated `Functions` value under
//!   `HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002`;
//!   without a policy, `Enable-TlsCipherSuite`/`Disable-TlsCipherSuite`
//!   edit the local CNG list under
//!   `HKLM\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002`
//!   <https://learn.microsoft.com/en-us/windows-server/security/tls/manage-tls>.
//! - The SCHANNEL keys: "Transport Layer Security (TLS) registry settings"
//!   <https://learn.microsoft.com/en-us/windows-server/security/tls/tls-registry-settings>:
//!   `Ciphers\AES 128/128`, `Ciphers\AES 256/256`, `Hashes\SHA`,
//!   `Hashes\SHA256`, `Hashes\SHA384`, `KeyExchangeAlgorithms\ECDH`,
//!   `KeyExchangeAlgorithms\PKCS` (RSA key exchange and authentication),
//!   each disabled by `Enabled` = 0; also the Enable-TlsCipherSuite page:
//!   "disabling of SHA hashes supported by TLS disables the corresponding
//!   cipher suites".
//!
//! Pure: the parsed export in, findings out.

use std::collections::BTreeMap;

use super::audit::{AuditId, Finding, Fix};
use crate::proto::registry::{RegData, RegistryExport};
use crate::proto::tls::cipher_name;
use crate::proto::tls::profiles::MICROSOFT365;

const POLICY_KEY: &str =
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002";
const LOCAL_KEY: &str = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Cryptography\\Configuration\\Local\\SSL\\00010002";
const SCHANNEL: &str =
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL";

/// The export's values after import order (later lines win, deleted keys
/// go), by lower-case key path and value name.
fn effective(export: &RegistryExport) -> BTreeMap<String, BTreeMap<String, (RegData, usize)>> {
    let mut keys: BTreeMap<String, BTreeMap<String, (RegData, usize)>> = BTreeMap::new();
    for key in &export.keys {
        let lower = key.path.to_ascii_lowercase();
        if key.deleted {
            let below = format!("{lower}\\");
            keys.retain(|k, _| *k != lower && !k.starts_with(&below));
            continue;
        }
        let values = keys.entry(lower).or_default();
        for v in &key.values {
            let name = v.name.to_ascii_lowercase();
            match v.data {
                RegData::Delete => {
                    values.remove(&name);
                }
                _ if v.quirk.is_some() => {}
                _ => {
                    values.insert(name, (v.data.clone(), v.line));
                }
            }
        }
    }
    keys
}

/// The suites of an order list: comma-separated (policy, REG_SZ) or one per
/// line (REG_MULTI_SZ as `reg query` prints it with `\0`), with the curve
/// suffixes of Windows 8.1/2012 R2 (`_P256`, `_P384`, `_P521`) removed.
fn order_list(data: &RegData) -> Option<Vec<String>> {
    let text = match data {
        RegData::String(s) => s.clone(),
        RegData::Text { text, .. } => text.clone(),
        RegData::Binary {
            type_code: 7,
            bytes,
        } => {
            // hex(7): UTF-16LE strings separated by NUL.
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| {
                    u16::from_le_bytes([
                        c.first().copied().unwrap_or(0),
                        c.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            String::from_utf16_lossy(&units).replace('\0', ",")
        }
        _ => return None,
    };
    Some(
        text.split([',', '\0', '\n', '\r', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("\\0"))
            .flat_map(|s| s.split("\\0"))
            .filter(|s| !s.is_empty())
            .map(|s| {
                let up = s.to_ascii_uppercase();
                ["_P256", "_P384", "_P521"]
                    .iter()
                    .find_map(|suffix| up.strip_suffix(suffix).map(str::to_owned))
                    .unwrap_or(up)
            })
            .collect(),
    )
}

/// Whether `SCHANNEL\<sub>` has `Enabled` = 0, with the line.
fn disabled(
    reg: &BTreeMap<String, BTreeMap<String, (RegData, usize)>>,
    sub: &str,
) -> Option<usize> {
    let path = format!("{SCHANNEL}\\{sub}").to_ascii_lowercase();
    match reg.get(&path)?.get("enabled")? {
        (RegData::Dword(0), line) => Some(*line),
        _ => None,
    }
}

/// A SCHANNEL key below the root, what disabling it turns off, and which
/// suite names it hits.
type KeyCheck = (&'static str, &'static str, fn(&str) -> bool);

/// The findings about Microsoft 365's suites in this export.
pub fn findings(export: &RegistryExport) -> Vec<Finding> {
    let reg = effective(export);
    let mut lines = Vec::new();
    let mut reasons = Vec::new();
    let mut m365: Vec<String> = MICROSOFT365
        .tls12_suites
        .iter()
        .map(|c| cipher_name(*c))
        .collect();
    let list_of = |key: &str| {
        reg.get(&key.to_ascii_lowercase())
            .and_then(|vals| vals.get("functions"))
            .and_then(|(data, line)| order_list(data).map(|l| (l, *line)))
    };
    let (list, source) = match (list_of(POLICY_KEY), list_of(LOCAL_KEY)) {
        (Some(l), _) => (Some(l), "the SSL Cipher Suite Order group policy (…\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002, Functions)"),
        (None, Some(l)) => (Some(l), "the local cipher suite list (…\\Cryptography\\Configuration\\Local\\SSL\\00010002, Functions)"),
        (None, None) => (None, ""),
    };
    if let Some((list, line)) = list {
        lines.push(line);
        m365.retain(|s| list.contains(s));
        if m365.is_empty() {
            reasons.push(format!(
                "{source} lists {} suites and none of Microsoft 365's eight",
                list.len()
            ));
        }
    }
    let checks: [KeyCheck; 7] = [
        ("Ciphers\\AES 128/128", "AES 128", |s| s.contains("AES_128")),
        ("Ciphers\\AES 256/256", "AES 256", |s| s.contains("AES_256")),
        ("Hashes\\SHA", "SHA-1 (the *_CBC_SHA suites)", |s| {
            s.ends_with("_SHA")
        }),
        ("Hashes\\SHA256", "SHA-256", |s| s.ends_with("_SHA256")),
        ("Hashes\\SHA384", "SHA-384", |s| s.ends_with("_SHA384")),
        ("KeyExchangeAlgorithms\\ECDH", "ECDH(E) key exchange", |s| {
            s.starts_with("TLS_ECDHE_")
        }),
        (
            "KeyExchangeAlgorithms\\PKCS",
            "RSA (PKCS) key exchange and authentication",
            |_| true,
        ),
    ];
    for (sub, what, hits) in checks {
        if let Some(line) = disabled(&reg, sub) {
            let before = m365.len();
            m365.retain(|s| !hits(s));
            if before != m365.len() {
                lines.push(line);
                reasons.push(format!("SCHANNEL\\{sub} Enabled=0 turns off {what}"));
            }
        }
    }
    if !m365.is_empty() {
        return Vec::new();
    }
    lines.sort_unstable();
    lines.dedup();
    vec![Finding {
        summary: "No cipher suite Microsoft 365 documents for TLS 1.2 is left enabled: TLS with Office 365 fails in both directions".to_owned(),
        detail: format!(
            "Microsoft 365 supports only TLS_ECDHE_RSA_WITH_AES_256/128_GCM_SHA384/256, TLS_ECDHE_RSA_WITH_AES_256/128_CBC_SHA384/256, TLS_ECDHE_RSA_WITH_AES_256/128_CBC_SHA and TLS_RSA_WITH_AES_256/128_GCM_SHA384/256 (Microsoft Purview, \"Technical reference details about encryption\", 2023-06-14). In this export: {}. Exchange then logs TLS negotiation failures (AlgorithmMismatch) and Office 365 defers with 450 4.4.317 / 4.4.318.",
            reasons.join("; ")
        ),
        lines,
        fix: Some(Fix {
            advice: "Put the two ECDHE_RSA AES-GCM suites first in the cipher suite order (in the group policy if one is set, else with Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 -Position 0), remove Enabled=0 from the AES, SHA-2, ECDH and PKCS keys, then reboot. The .reg below sets the policy list; merge it with the suites you need.".to_owned(),
            reg: "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002]\n\"Functions\"=\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256\"\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\AES 128/128]\n\"Enabled\"=dword:ffffffff\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\AES 256/256]\n\"Enabled\"=dword:ffffffff\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\KeyExchangeAlgorithms\\ECDH]\n\"Enabled\"=dword:ffffffff\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\KeyExchangeAlgorithms\\PKCS]\n\"Enabled\"=dword:ffffffff\n".to_owned(),
        }),
        ..Finding::of(AuditId::NoOffice365CipherSuite)
    }]
}

#[cfg(test)]
mod tests;
