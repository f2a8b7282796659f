//! Judgement: what the SCHANNEL protocol keys and .NET Framework values of a
//! parsed export mean on a given Windows Server version, as findings with
//! stable ids, `.reg` fixes and an ok/problem verdict.
//!
//! Pure and infallible: no IO, no printing; the file was parsed by
//! `proto::registry::parse`, and `report::schannel` renders the result. Facts about
//! Windows defaults carry a `// See:` reference; where Microsoft's tables
//! do not say, the default is [`OsDefault::Unknown`] rather than a guess.

use std::collections::BTreeMap;
use std::fmt;

use crate::proto::registry::{
    ExportFormat, RegData, RegValue, RegistryExport, TextEncoding, ValueQuirk, WindowsVersion,
};

/// Where Schannel reads the per-protocol `Client`/`Server` keys.
// See: https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings
pub(super) const PROTOCOLS_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";
/// The Schannel root: present in every export of the SCHANNEL branch.
pub(super) const SCHANNEL_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";
/// The 64-bit and 32-bit .NET Framework roots.
pub(super) const DOTNET_ROOTS: [&str; 2] = [
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework",
    r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework",
];
/// Keys under `Protocols` Schannel knows but tlscheck does not audit.
pub(super) const OTHER_PROTOCOL_KEYS: [&str; 5] = [
    "PCT 1.0",
    "Multi-Protocol Unified Hello",
    "DTLS 1.0",
    "DTLS 1.2",
    "DTLS 1.3",
];
/// The first line of every `.reg` fix tlscheck writes.
pub(super) const REG_HEADER: &str = "Windows Registry Editor Version 5.00";
pub(super) const VALUE_ENABLED: &str = "Enabled";
pub(super) const VALUE_DISABLED_BY_DEFAULT: &str = "DisabledByDefault";
pub(super) const VALUE_SYSTEM_DEFAULT_TLS: &str = "SystemDefaultTlsVersions";
pub(super) const VALUE_STRONG_CRYPTO: &str = "SchUseStrongCrypto";
/// `regedit` writes a dword in exactly this many digits.
pub(super) const DWORD_DIGITS: usize = 8;
/// Schannel reads its settings when the machine starts.
pub(super) const RESTART: &str =
    "Import it (double-click the .reg file, or run reg import FILE), then \
                       restart the server: Schannel reads these keys at boot.";
/// .NET reads its values when a process starts.
pub(super) const RESTART_DOTNET: &str =
    "Import it (double-click the .reg file, or run reg import FILE), \
                              then restart the server so every .NET process, Exchange \
                              included, picks the values up.";

mod dotnet;
mod id;
mod keys;
mod reg_fix;
mod registry;
mod settings;
mod versions;

use dotnet::*;
pub use id::{AuditId, AuditInfo, AUDIT_FINDINGS};
use keys::*;
use reg_fix::*;
use registry::*;
pub use settings::*;
use versions::*;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Breaks mail with Office 365: the verdict is `problem`.
    Error,
    /// Worth fixing; mail may work.
    Warning,
    /// Context for the reader.
    Info,
}

impl Severity {
    /// A stable lowercase name for JSON and reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// A `.reg` block that fixes a finding, and how to apply it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// One or two sentences: when and how to apply it.
    pub advice: String,
    /// A complete `.reg` file: the `Windows Registry Editor Version 5.00`
    /// header, correct key names, eight-digit dwords; `\n` line ends.
    pub reg: String,
}

/// One thing the audit found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable kebab-case id, e.g. `tls12-client-disabled`.
    pub id: AuditId,
    /// How much it matters.
    pub severity: Severity,
    /// One line. May quote key names from the file: sanitise before
    /// printing to a terminal.
    pub summary: String,
    /// A paragraph: why it matters, in mail terms. May quote the file too.
    pub detail: String,
    /// 1-based lines of the file the finding is about (may be empty).
    pub lines: Vec<usize>,
    /// The fix, when a registry change makes it.
    pub fix: Option<Fix>,
}

impl Finding {
    /// A finding of `id` with the table's severity; summary, detail, lines
    /// and fix are for the rule to fill in.
    pub fn of(id: AuditId) -> Finding {
        Finding {
            id,
            severity: id.info().severity,
            summary: String::new(),
            detail: String::new(),
            lines: Vec::new(),
            fix: None,
        }
    }
}

/// The overall answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// TLS 1.2 is usable on both Client and Server, and no error finding
    /// (the .NET values are fine or only warned about).
    Ok,
    /// An error finding, or TLS 1.2 not known to be usable on a side
    /// (left to the default of an unknown OS).
    Problem,
}

impl Verdict {
    /// `ok` or `problem`, for JSON and reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Problem => "problem",
        }
    }
}

/// The audit of one export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    /// Which tool wrote the file.
    pub format: ExportFormat,
    /// How the file was encoded.
    pub encoding: TextEncoding,
    /// The Windows version the defaults are taken from, if given.
    pub os: Option<WindowsVersion>,
    /// Twelve rows: [`Protocol::ALL`] × [`Side::ALL`], in that order.
    pub protocols: Vec<ProtocolSetting>,
    /// The four .NET keys, or `None` when the export has no key under
    /// `…\.NETFramework` at all (it was not exported, so nothing can be said).
    pub dotnet: Option<Vec<DotNetSetting>>,
    /// Errors first, then warnings, then info; in a fixed order within each.
    pub findings: Vec<Finding>,
    /// `Problem` when there is an error finding or TLS 1.2 is not known to
    /// be usable on both sides.
    pub verdict: Verdict,
}

impl Audit {
    /// The row for one protocol and side.
    pub fn setting(&self, protocol: Protocol, side: Side) -> Option<&ProtocolSetting> {
        self.protocols
            .iter()
            .find(|s| s.protocol == protocol && s.side == side)
    }

    /// The finding with this id, if any.
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }

    /// Every finding id, in report order.
    pub fn finding_ids(&self) -> Vec<&'static str> {
        self.findings.iter().map(|f| f.id.as_str()).collect()
    }

    /// One sentence explaining the verdict.
    pub fn verdict_reason(&self) -> String {
        let errors: Vec<&str> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.id.as_str())
            .collect();
        if !errors.is_empty() {
            let count = match errors.len() {
                1 => "1 error".to_owned(),
                n => format!("{n} errors"),
            };
            return format!(
                "{count}: {}. After the fixes below and a restart, mail to and from \
                 Office 365 can use TLS 1.2.",
                errors.join(", ")
            );
        }
        let usable = |side| {
            self.setting(Protocol::Tls12, side)
                .and_then(ProtocolSetting::is_usable)
        };
        match (usable(Side::Client), usable(Side::Server)) {
            (Some(true), Some(true)) => "TLS 1.2 is usable for sending (Client) and \
                                         receiving (Server) mail."
                .to_owned(),
            _ => "Nothing turns TLS 1.2 off, but no key turns it on either, and whether \
                  the OS default has it on depends on the Windows version (Server 2008 R2 \
                  does not): pass --os, or set the keys explicitly."
                .to_owned(),
        }
    }
}

/// Audits a parsed export against the defaults of `os` (`None`: unknown,
/// defaults uncertain).
///
/// The export is read the way Windows would end up after importing it:
/// lines in order, later values win, `[-key]` and `"Name"=-` delete, and a
/// value `regedit` rejects (a nine-digit dword) is not written.
pub fn audit(export: &RegistryExport, os: Option<WindowsVersion>) -> Audit {
    let reg = Effective::build(export);
    let mut findings = Vec::new();
    overlong_dword_findings(export, &mut findings);

    let protocols: Vec<ProtocolSetting> = Protocol::ALL
        .into_iter()
        .flat_map(|p| Side::ALL.map(|s| (p, s)))
        .map(|(p, s)| protocol_setting(&reg, p, s, os, &mut findings))
        .collect();
    protocol_tree_findings(&reg, &mut findings);
    tls12_findings(&protocols, &mut findings);
    legacy_findings(&protocols, &mut findings);
    legacy_default_unknown_finding(&protocols, os, &mut findings);
    tls13_findings(&protocols, &mut findings);
    if !reg.has_under(SCHANNEL_KEY) {
        findings.push(schannel_not_in_export());
    }
    let dotnet = if DOTNET_ROOTS.iter().any(|root| reg.has_under(root)) {
        let settings: Vec<DotNetSetting> = DotNetKey::ALL
            .into_iter()
            .map(|k| dotnet_setting(&reg, k, &mut findings))
            .collect();
        dotnet_findings(&settings, &mut findings);
        Some(settings)
    } else {
        findings.push(dotnet_not_in_export());
        None
    };

    findings.extend(super::ciphers::findings(export));
    findings.sort_by_key(|f| f.severity);
    // TLS 1.2 must be known to work on both sides: an unknown OS default
    // is not good enough (Server 2008 R2 ships it off).
    let tls12_usable = protocols
        .iter()
        .filter(|s| s.protocol == Protocol::Tls12)
        .all(|s| s.is_usable() == Some(true));
    let verdict = if tls12_usable && findings.iter().all(|f| f.severity != Severity::Error) {
        Verdict::Ok
    } else {
        Verdict::Problem
    };
    Audit {
        format: export.format,
        encoding: export.encoding,
        os,
        protocols,
        dotnet,
        findings,
        verdict,
    }
}

#[cfg(test)]
mod tests;
