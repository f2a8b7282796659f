//! Rules on the .NET Framework values Exchange needs
//! (`SystemDefaultTlsVersions`, `SchUseStrongCrypto`).

use super::*;

pub(super) fn dotnet_not_in_export() -> Finding {
    Finding {
        summary: "The export has no .NET Framework keys: SystemDefaultTlsVersions and \
                  SchUseStrongCrypto were not checked"
            .to_owned(),
        detail: "Exchange runs on the .NET Framework, whose TLS behaviour is set under \
                 HKLM\\SOFTWARE\\Microsoft\\.NETFramework and its WOW6432Node twin. Export \
                 them too: reg export \"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\" net64.reg \
                 and reg export \"HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\" \
                 net32.reg"
            .to_owned(),
        lines: Vec::new(),
        fix: None,
        ..Finding::of(AuditId::DotnetNotInExport)
    }
}

pub(super) fn dotnet_setting(
    reg: &Effective<'_>,
    key: DotNetKey,
    findings: &mut Vec<Finding>,
) -> DotNetSetting {
    let mut read = |name| match reg.dword(key.path(), name) {
        Dword::Absent => None,
        Dword::Value(n) => Some(n),
        Dword::WrongType(v) => {
            findings.push(wrong_value_type(key.path(), v));
            None
        }
    };
    DotNetSetting {
        key,
        key_present: reg.key(key.path()).is_some(),
        system_default_tls_versions: read(VALUE_SYSTEM_DEFAULT_TLS),
        sch_use_strong_crypto: read(VALUE_STRONG_CRYPTO),
    }
}

/// `SystemDefaultTlsVersions` and `SchUseStrongCrypto` should be 1 in all
/// four keys.
// See: https://techcommunity.microsoft.com/t5/exchange-team-blog/exchange-server-tls-guidance-part-2-enabling-tls-1-2-and/ba-p/607761
pub(super) fn dotnet_findings(settings: &[DotNetSetting], findings: &mut Vec<Finding>) {
    struct Check {
        value: &'static str,
        get: fn(&DotNetSetting) -> Option<u32>,
        missing_id: AuditId,
        off_id: AuditId,
        why: &'static str,
    }
    let checks = [
        Check {
            value: VALUE_SYSTEM_DEFAULT_TLS,
            get: |s| s.system_default_tls_versions,
            missing_id: AuditId::DotnetSystemDefaultTlsMissing,
            off_id: AuditId::DotnetSystemDefaultTlsDisabled,
            why: "With SystemDefaultTlsVersions=1 the .NET Framework uses the TLS versions \
                  Windows (Schannel) allows; without it, applications built for older \
                  frameworks use .NET's own list, which can leave TLS 1.2 out.",
        },
        Check {
            value: VALUE_STRONG_CRYPTO,
            get: |s| s.sch_use_strong_crypto,
            missing_id: AuditId::DotnetStrongCryptoMissing,
            off_id: AuditId::DotnetStrongCryptoDisabled,
            why: "With SchUseStrongCrypto=1 the .NET Framework uses strong cryptography and \
                  allows TLS 1.2 even for applications built for older frameworks.",
        },
    ];
    for check in checks {
        let missing: Vec<&DotNetSetting> = settings
            .iter()
            .filter(|s| (check.get)(s).is_none())
            .collect();
        let off: Vec<(&DotNetSetting, u32)> = settings
            .iter()
            .filter_map(|s| (check.get)(s).filter(|&v| v != 1).map(|v| (s, v)))
            .collect();
        let fix = |keys: &[DotNetKey]| Fix {
            advice: format!(
                "Microsoft's Exchange TLS guidance sets SystemDefaultTlsVersions and \
                 SchUseStrongCrypto to 1 in all four .NET keys; this block sets the ones \
                 listed. {RESTART_DOTNET}"
            ),
            reg: reg_file(
                &keys
                    .iter()
                    .map(|k| RegBlock::set(k.path().to_owned(), &[(check.value, 1)]))
                    .collect::<Vec<_>>(),
            ),
        };
        if !off.is_empty() {
            let list: Vec<String> = off
                .iter()
                .map(|(s, v)| format!("{} = {v}", s.key.label()))
                .collect();
            findings.push(Finding {
                summary: format!("{} is not 1: {}", check.value, list.join(", ")),
                detail: format!(
                    "{} Microsoft's Exchange TLS guidance sets it to 1; a value of 0 \
                     explicitly keeps the old behaviour.",
                    check.why
                ),
                lines: Vec::new(),
                fix: Some(fix(&off.iter().map(|(s, _)| s.key).collect::<Vec<_>>())),
                ..Finding::of(check.off_id)
            });
        }
        if !missing.is_empty() {
            let list: Vec<&str> = missing.iter().map(|s| s.key.label()).collect();
            findings.push(Finding {
                summary: format!("{} is not set: {}", check.value, list.join(", ")),
                detail: format!(
                    "{} Microsoft's Exchange TLS guidance sets it to 1.",
                    check.why
                ),
                lines: Vec::new(),
                fix: Some(fix(&missing.iter().map(|s| s.key).collect::<Vec<_>>())),
                ..Finding::of(check.missing_id)
            });
        }
    }
}
