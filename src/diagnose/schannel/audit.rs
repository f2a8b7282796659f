//! Judgement: what the SCHANNEL protocol keys and .NET Framework values of a
//! parsed export mean on a given Windows Server version, as findings with
//! stable ids, `.reg` fixes and an ok/problem verdict.
//!
//! Pure and infallible: no IO, no printing; the file was parsed by
//! `schannel::parse`, and `report::schannel` renders the result. Facts about
//! Windows defaults carry a `// See:` reference; where Microsoft's tables
//! do not say, the default is [`OsDefault::Unknown`] rather than a guess.

use std::collections::BTreeMap;
use std::fmt;

use crate::proto::registry::{
    ExportFormat, RegData, RegValue, RegistryExport, TextEncoding, ValueQuirk, WindowsVersion,
};

/// Where Schannel reads the per-protocol `Client`/`Server` keys.
// See: https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings
const PROTOCOLS_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";
/// The Schannel root: present in every export of the SCHANNEL branch.
const SCHANNEL_KEY: &str =
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";
/// The 64-bit and 32-bit .NET Framework roots.
const DOTNET_ROOTS: [&str; 2] = [
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework",
    r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework",
];
/// Keys under `Protocols` Schannel knows but tlscheck does not audit.
const OTHER_PROTOCOL_KEYS: [&str; 5] = [
    "PCT 1.0",
    "Multi-Protocol Unified Hello",
    "DTLS 1.0",
    "DTLS 1.2",
    "DTLS 1.3",
];
/// The first line of every `.reg` fix tlscheck writes.
const REG_HEADER: &str = "Windows Registry Editor Version 5.00";
const VALUE_ENABLED: &str = "Enabled";
const VALUE_DISABLED_BY_DEFAULT: &str = "DisabledByDefault";
const VALUE_SYSTEM_DEFAULT_TLS: &str = "SystemDefaultTlsVersions";
const VALUE_STRONG_CRYPTO: &str = "SchUseStrongCrypto";
/// `regedit` writes a dword in exactly this many digits.
const DWORD_DIGITS: usize = 8;
/// Schannel reads its settings when the machine starts.
const RESTART: &str = "Import it (double-click the .reg file, or run reg import FILE), then \
                       restart the server: Schannel reads these keys at boot.";
/// .NET reads its values when a process starts.
const RESTART_DOTNET: &str = "Import it (double-click the .reg file, or run reg import FILE), \
                              then restart the server so every .NET process, Exchange \
                              included, picks the values up.";

/// A protocol with its own key under `SCHANNEL\Protocols`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// SSL 2.0.
    Ssl2,
    /// SSL 3.0.
    Ssl3,
    /// TLS 1.0.
    Tls10,
    /// TLS 1.1.
    Tls11,
    /// TLS 1.2: the one Office 365 and Exchange mail flow need.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl Protocol {
    /// Every protocol, oldest first: the row order of every table.
    pub const ALL: [Self; 6] = [
        Self::Ssl2,
        Self::Ssl3,
        Self::Tls10,
        Self::Tls11,
        Self::Tls12,
        Self::Tls13,
    ];

    /// The exact key name Schannel reads, e.g. `TLS 1.2`.
    pub fn key_name(self) -> &'static str {
        match self {
            Self::Ssl2 => "SSL 2.0",
            Self::Ssl3 => "SSL 3.0",
            Self::Tls10 => "TLS 1.0",
            Self::Tls11 => "TLS 1.1",
            Self::Tls12 => "TLS 1.2",
            Self::Tls13 => "TLS 1.3",
        }
    }

    /// A stable snake_case name for JSON: `tls1_2`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ssl2 => "ssl2_0",
            Self::Ssl3 => "ssl3_0",
            Self::Tls10 => "tls1_0",
            Self::Tls11 => "tls1_1",
            Self::Tls12 => "tls1_2",
            Self::Tls13 => "tls1_3",
        }
    }

    /// The protocol for a key name, compared as Windows does (ignoring
    /// ASCII case), and nothing else: `TLS 1,2` is not `TLS 1.2`.
    pub fn from_key_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.key_name().eq_ignore_ascii_case(name))
    }

    /// The protocol a mistyped key name was probably meant to be
    /// (`TLS 1,2`, `TLS1.2`, `tls 1.2 `), if any.
    fn near_miss(name: &str) -> Option<Self> {
        let squash = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| {
                    if c == ',' {
                        '.'
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        };
        let wanted = squash(name);
        Self::ALL
            .into_iter()
            .find(|p| squash(p.key_name()) == wanted)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key_name())
    }
}

/// Which end of a connection a Schannel key governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The `Client` key: what this machine offers when it connects out,
    /// e.g. when it **sends** mail to Office 365.
    Client,
    /// The `Server` key: what this machine accepts when others connect in,
    /// e.g. when Office 365 **delivers** mail to it.
    Server,
}

impl Side {
    /// Both sides, Client first: the column order of every table.
    pub const ALL: [Self; 2] = [Self::Client, Self::Server];

    /// The exact subkey name: `Client` or `Server`.
    pub fn key_name(self) -> &'static str {
        match self {
            Self::Client => "Client",
            Self::Server => "Server",
        }
    }

    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }

    /// What this side governs, in mail terms, for reports.
    pub fn role(self) -> &'static str {
        match self {
            Self::Client => {
                "what this machine offers when it connects out: when it SENDS mail \
                 (e.g. to Office 365)"
            }
            Self::Server => {
                "what this machine accepts when others connect in: when it RECEIVES mail \
                 (e.g. from Office 365)"
            }
        }
    }

    fn from_key_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.key_name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key_name())
    }
}

/// What Windows does with a protocol when no key says otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OsDefault {
    /// On by default.
    Enabled,
    /// Supported but off by default.
    Disabled,
    /// This Windows version does not implement it; keys cannot turn it on.
    NotSupported,
    /// tlscheck does not know: no `--os`, or Microsoft's tables do not say.
    Unknown,
}

impl OsDefault {
    /// The default for a protocol on a Windows Server version (the same for
    /// Client and Server on every version tlscheck knows).
    // See: https://learn.microsoft.com/windows/win32/secauthn/protocols-in-tls-ssl--schannel-ssp-
    // (the three tables: TLS, DTLS, pre-TLS). Server 2019 is listed as
    // "Windows 10, version 1809".
    pub fn for_os(protocol: Protocol, os: Option<WindowsVersion>) -> Self {
        use OsDefault::{Disabled, Enabled, NotSupported, Unknown};
        use WindowsVersion::{Ws2008R2, Ws2012R2, Ws2016, Ws2019, Ws2022, Ws2025};
        let Some(os) = os else {
            // Without --os anything from Server 2008 R2 (TLS 1.1/1.2 off by
            // default) to 2025 is possible.
            return Unknown;
        };
        match (protocol, os) {
            // Windows 7 / Server 2008 R2 ships TLS 1.1 and 1.2 but leaves
            // them off until the Protocols keys turn them on (the
            // "Windows 7" row of the Schannel protocols table above);
            // TLS 1.0 is on. For SSL 2.0/3.0 tlscheck does not pick a
            // default (the Client and Server columns differ there):
            // Unknown, and the export decides.
            (Protocol::Tls10, Ws2008R2) => Enabled,
            (Protocol::Tls11 | Protocol::Tls12, Ws2008R2) => Disabled,
            (Protocol::Ssl2 | Protocol::Ssl3, Ws2008R2) => Unknown,
            // SSL 2.0 is off on 8.1/2012 R2, "removed and no longer
            // supported" from Windows 10 1607/Server 2016 on.
            (Protocol::Ssl2, Ws2012R2) => Disabled,
            (Protocol::Ssl2, _) => NotSupported,
            // SSL 3.0 is on in 2012 R2 and off from 2016 on, Server 2025
            // included (pre-TLS table).
            (Protocol::Ssl3, Ws2012R2) => Enabled,
            (Protocol::Ssl3, _) => Disabled,
            // TLS 1.0/1.1 are on from 2012 R2 through 2022. For Server 2025
            // Microsoft's two pages disagree: the Schannel table (updated
            // 2025-03-20) lists TLS 1.0 to 1.3 Enabled and SSL 3.0
            // Disabled, while the same page and the deprecated-features
            // page say TLS 1.0/1.1 are disabled by default from the 2024
            // Windows 11 Insider releases on. tlscheck does not pick one:
            // Unknown, and the export decides.
            // See: https://learn.microsoft.com/windows/whats-new/deprecated-features-resources
            (Protocol::Tls10 | Protocol::Tls11, Ws2025) => Unknown,
            (Protocol::Tls10 | Protocol::Tls11, _) => Enabled,
            // TLS 1.2 is on by default from Windows 8/Server 2012 on.
            (Protocol::Tls12, _) => Enabled,
            // TLS 1.3 first appears in Server 2022 / Windows 11.
            (Protocol::Tls13, Ws2008R2 | Ws2012R2 | Ws2016 | Ws2019) => NotSupported,
            (Protocol::Tls13, Ws2022 | Ws2025) => Enabled,
        }
    }

    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::NotSupported => "not_supported",
            Self::Unknown => "unknown",
        }
    }
}

/// Which value turns a protocol off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisabledBy {
    /// `Enabled=0`: Schannel refuses the protocol for every application,
    /// even one that asks for it.
    EnabledZero,
    /// `DisabledByDefault=1` (and `Enabled` not 0): the protocol is left out
    /// of the default set, so only an application that asks for it by name
    /// gets it. Exchange transport (SMTP) uses the defaults, so for mail it
    /// is effectively off.
    DisabledByDefault,
    /// Both `Enabled=0` and `DisabledByDefault=1`: the usual way to turn a
    /// protocol off.
    Both,
}

impl DisabledBy {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::EnabledZero => "enabled_zero",
            Self::DisabledByDefault => "disabled_by_default",
            Self::Both => "both",
        }
    }
}

/// What the registry says about one protocol on one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolState {
    /// Explicitly on: `Enabled` non-zero, `DisabledByDefault` not 1.
    Enabled,
    /// Explicitly off, and how.
    Disabled(DisabledBy),
    /// No value decides it: the OS default applies.
    OsDefault(OsDefault),
}

impl ProtocolState {
    /// A stable snake_case name for JSON.
    pub fn label(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled(_) => "disabled",
            Self::OsDefault(_) => "os_default",
        }
    }
}

/// One protocol on one side: the values read and what they add up to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolSetting {
    /// The protocol.
    pub protocol: Protocol,
    /// Client or Server.
    pub side: Side,
    /// Whether the `…\Protocols\<protocol>\<side>` key exists.
    pub key_present: bool,
    /// `Enabled`, if set as a REG_DWORD.
    pub enabled: Option<u32>,
    /// `DisabledByDefault`, if set as a REG_DWORD.
    pub disabled_by_default: Option<u32>,
    /// What Windows does without values, on the `--os` given.
    pub os_default: OsDefault,
    /// What the values add up to.
    pub state: ProtocolState,
}

impl ProtocolSetting {
    /// Whether applications that use the system defaults (Exchange SMTP)
    /// get this protocol: `None` when it depends on an unknown OS.
    pub fn is_usable(&self) -> Option<bool> {
        match (self.state, self.os_default) {
            (_, OsDefault::NotSupported) | (ProtocolState::Disabled(_), _) => Some(false),
            // An explicit Enabled=1 only helps where the OS implements it.
            (ProtocolState::Enabled, OsDefault::Unknown)
                if matches!(self.protocol, Protocol::Ssl2 | Protocol::Tls13) =>
            {
                None
            }
            (ProtocolState::Enabled, _) => Some(true),
            (ProtocolState::OsDefault(d), _) => match d {
                OsDefault::Enabled => Some(true),
                OsDefault::Disabled | OsDefault::NotSupported => Some(false),
                OsDefault::Unknown => None,
            },
        }
    }

    /// The key this setting lives in.
    pub fn key_path(&self) -> String {
        protocol_key(self.protocol, self.side)
    }
}

/// A .NET Framework key Microsoft's Exchange TLS guidance sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DotNetKey {
    /// `SOFTWARE\Microsoft\.NETFramework\v4.0.30319` (.NET 4.x, 64-bit).
    V4,
    /// `SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319` (32-bit).
    V4Wow64,
    /// `SOFTWARE\Microsoft\.NETFramework\v2.0.50727` (.NET 2.0–3.5, 64-bit).
    V2,
    /// `SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v2.0.50727` (32-bit).
    V2Wow64,
}

impl DotNetKey {
    /// All four, in the order of Microsoft's guidance.
    pub const ALL: [Self; 4] = [Self::V4, Self::V4Wow64, Self::V2, Self::V2Wow64];

    /// The full key path.
    pub fn path(self) -> &'static str {
        match self {
            Self::V4 => r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
            Self::V4Wow64 => {
                r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319"
            }
            Self::V2 => r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v2.0.50727",
            Self::V2Wow64 => {
                r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v2.0.50727"
            }
        }
    }

    /// A short label for tables and JSON: `v4.0.30319`, `v4.0.30319 (32-bit)`.
    pub fn label(self) -> &'static str {
        match self {
            Self::V4 => "v4.0.30319",
            Self::V4Wow64 => "v4.0.30319 (32-bit)",
            Self::V2 => "v2.0.50727",
            Self::V2Wow64 => "v2.0.50727 (32-bit)",
        }
    }
}

/// The two TLS values of one .NET Framework key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DotNetSetting {
    /// Which key.
    pub key: DotNetKey,
    /// Whether the key is in the export.
    pub key_present: bool,
    /// `SystemDefaultTlsVersions`, if set as a REG_DWORD.
    pub system_default_tls_versions: Option<u32>,
    /// `SchUseStrongCrypto`, if set as a REG_DWORD.
    pub sch_use_strong_crypto: Option<u32>,
}

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
    pub id: &'static str,
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
        self.findings.iter().map(|f| f.id).collect()
    }

    /// One sentence explaining the verdict.
    pub fn verdict_reason(&self) -> String {
        let errors: Vec<&str> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.id)
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

/// The registry as it stands after the file: keys by ASCII-lowercased path.
struct Effective<'a> {
    keys: BTreeMap<String, EffectiveKey<'a>>,
}

struct EffectiveKey<'a> {
    path: &'a str,
    /// The line of the key's first appearance.
    line: usize,
    /// Values by ASCII-lowercased name.
    values: BTreeMap<String, &'a RegValue>,
}

/// A REG_DWORD read from the effective registry.
enum Dword<'a> {
    Absent,
    Value(u32),
    WrongType(&'a RegValue),
}

impl<'a> Effective<'a> {
    fn build(export: &'a RegistryExport) -> Self {
        let mut keys: BTreeMap<String, EffectiveKey<'a>> = BTreeMap::new();
        for key in &export.keys {
            let lower = key.path.to_ascii_lowercase();
            if key.deleted {
                let subkeys = format!("{lower}\\");
                keys.retain(|k, _| *k != lower && !k.starts_with(&subkeys));
                continue;
            }
            let entry = keys.entry(lower).or_insert_with(|| EffectiveKey {
                path: &key.path,
                line: key.line,
                values: BTreeMap::new(),
            });
            for value in &key.values {
                let name = value.name.to_ascii_lowercase();
                match (&value.data, value.quirk) {
                    // regedit refuses the line: nothing is written.
                    (_, Some(ValueQuirk::OverlongDword { .. })) => {}
                    (RegData::Delete, None) => {
                        entry.values.remove(&name);
                    }
                    (_, None) => {
                        entry.values.insert(name, value);
                    }
                }
            }
        }
        Self { keys }
    }

    fn key(&self, path: &str) -> Option<&EffectiveKey<'a>> {
        self.keys.get(&path.to_ascii_lowercase())
    }

    fn dword(&self, path: &str, name: &str) -> Dword<'a> {
        let value = self
            .key(path)
            .and_then(|k| k.values.get(&name.to_ascii_lowercase()).copied());
        match value {
            None => Dword::Absent,
            Some(v) => match v.data {
                RegData::Dword(n) => Dword::Value(n),
                _ => Dword::WrongType(v),
            },
        }
    }

    /// Whether the key or any key below it is present.
    fn has_under(&self, root: &str) -> bool {
        self.keys.values().any(|k| relative(k.path, root).is_some())
    }
}

/// The path segments of `path` below `root`, if `path` is `root` or under
/// it (segments compared ignoring ASCII case, as Windows does).
fn relative<'p>(path: &'p str, root: &str) -> Option<Vec<&'p str>> {
    let mut segments = path.split('\\');
    for want in root.split('\\') {
        if !segments.next()?.eq_ignore_ascii_case(want) {
            return None;
        }
    }
    Some(segments.collect())
}

fn protocol_key(protocol: Protocol, side: Side) -> String {
    format!(
        "{PROTOCOLS_KEY}\\{}\\{}",
        protocol.key_name(),
        side.key_name()
    )
}

fn protocol_setting(
    reg: &Effective<'_>,
    protocol: Protocol,
    side: Side,
    os: Option<WindowsVersion>,
    findings: &mut Vec<Finding>,
) -> ProtocolSetting {
    let path = protocol_key(protocol, side);
    let mut read = |name| match reg.dword(&path, name) {
        Dword::Absent => None,
        Dword::Value(n) => Some(n),
        Dword::WrongType(v) => {
            findings.push(wrong_value_type(&path, v));
            None
        }
    };
    let enabled = read(VALUE_ENABLED);
    let disabled_by_default = read(VALUE_DISABLED_BY_DEFAULT);
    let os_default = OsDefault::for_os(protocol, os);
    // Enabled=0 wins over everything; DisabledByDefault is a flag, any
    // non-zero value sets it.
    let state = match (enabled, disabled_by_default) {
        (Some(0), Some(d)) if d != 0 => ProtocolState::Disabled(DisabledBy::Both),
        (Some(0), _) => ProtocolState::Disabled(DisabledBy::EnabledZero),
        (_, Some(d)) if d != 0 => ProtocolState::Disabled(DisabledBy::DisabledByDefault),
        (Some(_), _) => ProtocolState::Enabled,
        (None, _) => ProtocolState::OsDefault(os_default),
    };
    ProtocolSetting {
        protocol,
        side,
        key_present: reg.key(&path).is_some(),
        enabled,
        disabled_by_default,
        os_default,
        state,
    }
}

/// A dword value line for a `.reg` fix.
type RegLine = (&'static str, u32);

/// One block of a `.reg` fix.
enum RegBlock {
    /// `[-path]`: delete the key and its subkeys.
    Delete(String),
    /// `[path]` and its dword values.
    Set(String, Vec<(String, u32)>),
}

impl RegBlock {
    fn set(path: String, values: &[RegLine]) -> Self {
        Self::Set(
            path,
            values.iter().map(|&(n, v)| (n.to_owned(), v)).collect(),
        )
    }
}

/// A `.reg` file: the header, then each block after a blank line, dwords
/// in eight digits as `regedit` writes them.
fn reg_file(blocks: &[RegBlock]) -> String {
    let mut out = format!("{REG_HEADER}\n");
    for block in blocks {
        match block {
            RegBlock::Delete(path) => out.push_str(&format!("\n[-{path}]\n")),
            RegBlock::Set(path, values) => {
                out.push_str(&format!("\n[{path}]\n"));
                for (name, value) in values {
                    out.push_str(&format!(
                        "\"{}\"=dword:{value:0w$x}\n",
                        escape_reg_name(name),
                        w = DWORD_DIGITS
                    ));
                }
            }
        }
    }
    out
}

/// The two values that turn a protocol fully on.
const TURN_ON: [RegLine; 2] = [(VALUE_DISABLED_BY_DEFAULT, 0), (VALUE_ENABLED, 1)];
/// The two values that turn a protocol fully off.
const TURN_OFF: [RegLine; 2] = [(VALUE_DISABLED_BY_DEFAULT, 1), (VALUE_ENABLED, 0)];

fn tls12_on_fix(sides: &[Side]) -> Fix {
    let blocks: Vec<RegBlock> = sides
        .iter()
        .map(|&s| RegBlock::set(protocol_key(Protocol::Tls12, s), &TURN_ON))
        .collect();
    Fix {
        advice: RESTART.to_owned(),
        reg: reg_file(&blocks),
    }
}

fn side_list(sides: &[Side]) -> String {
    let names: Vec<&str> = sides.iter().map(|s| s.key_name()).collect();
    names.join(" and ")
}

fn verb<'v>(sides: &[Side], one: &'v str, both: &'v str) -> &'v str {
    if sides.len() > 1 {
        both
    } else {
        one
    }
}

fn tls12_findings(protocols: &[ProtocolSetting], findings: &mut Vec<Finding>) {
    let mut by_default = Vec::new();
    let mut unknown = Vec::new();
    let mut implicit = Vec::new();
    for s in protocols.iter().filter(|s| s.protocol == Protocol::Tls12) {
        match s.state {
            ProtocolState::Disabled(DisabledBy::EnabledZero | DisabledBy::Both)
            | ProtocolState::OsDefault(OsDefault::Disabled | OsDefault::NotSupported) => {
                findings.push(tls12_disabled(s));
            }
            ProtocolState::Disabled(DisabledBy::DisabledByDefault) => by_default.push(s.side),
            ProtocolState::OsDefault(OsDefault::Unknown) => unknown.push(s.side),
            ProtocolState::OsDefault(OsDefault::Enabled) => implicit.push(s.side),
            ProtocolState::Enabled => {}
        }
    }
    if !by_default.is_empty() {
        findings.push(Finding {
            id: "tls12-disabled-by-default",
            severity: Severity::Error,
            summary: format!(
                "TLS 1.2 {} {} DisabledByDefault=1: for mail, TLS 1.2 is effectively off",
                side_list(&by_default),
                verb(&by_default, "has", "have")
            ),
            detail: "DisabledByDefault=1 is subtler than Enabled=0: TLS 1.2 stays available to \
                     an application that asks for it by name, but it is left out of the \
                     default set Schannel offers (Client) and accepts (Server). Exchange \
                     transport (SMTP) uses the system defaults, so for mail to and from \
                     Office 365, which accepts only TLS 1.2 and later, TLS 1.2 is effectively \
                     off."
                .to_owned(),
            lines: Vec::new(),
            fix: Some(tls12_on_fix(&by_default)),
        });
    }
    if !unknown.is_empty() {
        findings.push(Finding {
            id: "tls12-os-default-unknown",
            severity: Severity::Warning,
            summary: format!(
                "TLS 1.2 {} {} not set; whether it is on depends on the Windows version",
                side_list(&unknown),
                verb(&unknown, "is", "are")
            ),
            detail: "No value decides TLS 1.2 here, so the OS default applies. It is on by \
                     default from Windows Server 2012 on, but off on Server 2008 R2 and older. \
                     Pass --os to audit against a version, or set the keys explicitly as \
                     Microsoft's Exchange TLS guidance does."
                .to_owned(),
            lines: Vec::new(),
            fix: Some(tls12_on_fix(&unknown)),
        });
    }
    if !implicit.is_empty() {
        findings.push(Finding {
            id: "tls12-not-explicit",
            severity: Severity::Info,
            summary: format!(
                "TLS 1.2 {} {} on by OS default, not by an explicit key",
                side_list(&implicit),
                verb(&implicit, "is", "are")
            ),
            detail: "This Windows version enables TLS 1.2 by default, so it works without \
                     keys. Microsoft's Exchange TLS guidance still sets Enabled=1 and \
                     DisabledByDefault=0 explicitly, so that a later change of defaults or a \
                     hardening template cannot silently turn it off."
                .to_owned(),
            lines: Vec::new(),
            fix: Some(tls12_on_fix(&implicit)),
        });
    }
}

fn tls12_disabled(s: &ProtocolSetting) -> Finding {
    let values = match (s.enabled, s.disabled_by_default) {
        (Some(0), Some(d)) if d != 0 => "Enabled=0 and DisabledByDefault=1".to_owned(),
        (Some(0), _) => "Enabled=0".to_owned(),
        _ => format!("the {} default", s.os_default.label()),
    };
    let (id, consequence) = match s.side {
        Side::Client => (
            "tls12-client-disabled",
            "When this server sends mail to Office 365 it cannot offer TLS 1.2, and Office \
             365 no longer accepts TLS 1.0/1.1: Queue Viewer shows '421 4.4.2 Connection \
             dropped due to SocketError' and the Send connector protocol log 'TLS \
             negotiation failed with error SocketError'.",
        ),
        Side::Server => (
            "tls12-server-disabled",
            "Office 365 no longer uses TLS 1.0/1.1 to deliver mail, so mail from Office 365 \
             to this server fails; a Send or Receive connector protocol log may show '451 \
             5.7.3 Must issue a STARTTLS command first'.",
        ),
    };
    Finding {
        id,
        severity: Severity::Error,
        summary: format!("TLS 1.2 {} is disabled ({values})", s.side),
        detail: format!(
            "With {values}, Schannel refuses TLS 1.2 for every application on the {} side — \
             {}. {consequence}",
            s.side,
            s.side.role()
        ),
        lines: Vec::new(),
        fix: Some(tls12_on_fix(&[s.side])),
    }
}

/// Where a usable protocol's state comes from, for finding text.
fn how_on(s: &ProtocolSetting) -> String {
    match s.state {
        ProtocolState::Enabled => format!("{} {} (explicit)", s.protocol, s.side),
        _ => format!("{} {} (OS default)", s.protocol, s.side),
    }
}

fn turn_off_fix(on: &[&ProtocolSetting], advice: &str) -> Fix {
    let blocks: Vec<RegBlock> = on
        .iter()
        .map(|s| RegBlock::set(s.key_path(), &TURN_OFF))
        .collect();
    Fix {
        advice: advice.to_owned(),
        reg: reg_file(&blocks),
    }
}

fn legacy_findings(protocols: &[ProtocolSetting], findings: &mut Vec<Finding>) {
    let on = |wanted: &[Protocol]| -> Vec<&ProtocolSetting> {
        protocols
            .iter()
            .filter(|s| wanted.contains(&s.protocol) && s.is_usable() == Some(true))
            .collect()
    };
    let legacy = on(&[Protocol::Tls10, Protocol::Tls11]);
    if !legacy.is_empty() {
        let list: Vec<String> = legacy.iter().map(|s| how_on(s)).collect();
        findings.push(Finding {
            id: "legacy-tls-enabled",
            severity: Severity::Warning,
            summary: format!("TLS 1.0/1.1 still enabled: {}", list.join(", ")),
            detail: "Office 365 refuses TLS 1.0 and 1.1 on its mail endpoints. They do not \
                     break mail with Office 365 while TLS 1.2 works, but they are deprecated \
                     (RFC 8996), and a TLS 1.2 problem stays hidden with peers that fall \
                     back to them."
                .to_owned(),
            lines: Vec::new(),
            fix: Some(turn_off_fix(
                &legacy,
                "Only once TLS 1.2 works on both sides and nothing that still needs TLS \
                 1.0/1.1 (old clients, scanners, applications) talks to this machine. Import, \
                 then restart the server.",
            )),
        });
    }
    for (protocol, id) in [
        (Protocol::Ssl3, "ssl3-enabled"),
        (Protocol::Ssl2, "ssl2-enabled"),
    ] {
        let ssl = on(&[protocol]);
        if ssl.is_empty() {
            continue;
        }
        let list: Vec<String> = ssl.iter().map(|s| how_on(s)).collect();
        findings.push(Finding {
            id,
            severity: Severity::Warning,
            summary: format!("{protocol} is enabled: {}", list.join(", ")),
            detail: format!(
                "{protocol} is broken (RFC 7568, RFC 6176) and no mail peer should need it; \
                 Office 365 never uses it."
            ),
            lines: Vec::new(),
            fix: Some(turn_off_fix(&ssl, RESTART)),
        });
    }
}

/// TLS 1.0/1.1 left to the OS default on a Windows version whose default
/// Microsoft documents two ways (Server 2025): say why tlscheck does not
/// pick one.
fn legacy_default_unknown_finding(
    protocols: &[ProtocolSetting],
    os: Option<WindowsVersion>,
    findings: &mut Vec<Finding>,
) {
    let unknown: Vec<&ProtocolSetting> = protocols
        .iter()
        .filter(|s| matches!(s.protocol, Protocol::Tls10 | Protocol::Tls11))
        .filter(|s| s.state == ProtocolState::OsDefault(OsDefault::Unknown))
        .collect();
    if unknown.is_empty() || os != Some(WindowsVersion::Ws2025) {
        return;
    }
    // See: https://learn.microsoft.com/windows/win32/secauthn/protocols-in-tls-ssl--schannel-ssp-
    // and https://learn.microsoft.com/windows/whats-new/deprecated-features-resources
    findings.push(Finding {
        id: "legacy-default-unknown-on-2025",
        severity: Severity::Info,
        summary:
            "TLS 1.0/1.1 are not set: their default on Windows Server 2025 is documented two ways"
                .to_owned(),
        detail: "Microsoft's Schannel protocol table lists TLS 1.0 and 1.1 as Enabled on \
                 Windows Server 2025, while the same page and Windows' deprecated-features \
                 page say TLS 1.0 and 1.1 are disabled by default from the 2024 Windows 11 \
                 Insider releases on. tlscheck does not guess: set the TLS 1.0 and TLS 1.1 \
                 keys explicitly (Enabled=0, DisabledByDefault=1 once TLS 1.2 works)."
            .to_owned(),
        lines: Vec::new(),
        fix: None,
    });
}

fn tls13_findings(protocols: &[ProtocolSetting], findings: &mut Vec<Finding>) {
    let tls13 = || protocols.iter().filter(|s| s.protocol == Protocol::Tls13);
    let unsupported: Vec<&ProtocolSetting> = tls13()
        .filter(|s| s.state == ProtocolState::Enabled && s.os_default == OsDefault::NotSupported)
        .collect();
    if !unsupported.is_empty() {
        findings.push(Finding {
            id: "tls13-not-supported-on-os",
            severity: Severity::Warning,
            summary: "TLS 1.3 is set to Enabled on a Windows version without TLS 1.3 support"
                .to_owned(),
            // See: https://learn.microsoft.com/windows/win32/secauthn/protocols-in-tls-ssl--schannel-ssp-
            detail: "Microsoft: \"TLS 1.3 is supported starting in Windows 11 and Windows \
                     Server 2022. Enabling TLS 1.3 on earlier versions of Windows is not a \
                     safe system configuration.\" Remove the TLS 1.3 keys or set Enabled=0."
                .to_owned(),
            lines: Vec::new(),
            fix: None,
        });
    }
    if tls13().any(|s| s.is_usable() == Some(true)) {
        // See: https://learn.microsoft.com/exchange/exchange-tls-configuration
        // and Microsoft's Exchange HealthChecker (github.com/microsoft/CSS-Exchange,
        // Invoke-AnalyzerSecuritySettings), which reports this state in red.
        findings.push(Finding {
            id: "tls13-not-used-by-exchange-smtp",
            severity: Severity::Warning,
            summary: "TLS 1.3 is not disabled: on an Exchange server, Microsoft's Health Checker reports this as an error".to_owned(),
            detail: "Exchange Server does not use TLS 1.3 for SMTP, so mail to and from \
                     Office 365 runs on TLS 1.2: TLS 1.3 does not stand in for TLS 1.2. \
                     On an Exchange server, Microsoft's Exchange Health Checker says: \
                     \"TLS 1.3 is not disabled and not supported currently on Exchange and \
                     is known to cause issues within the cluster.\" Follow Microsoft's \
                     Exchange TLS configuration guide (https://aka.ms/HC-TLSConfigDocs) \
                     before turning it on."
                .to_owned(),
            lines: Vec::new(),
            fix: None,
        });
    }
}

/// Typo keys, unknown keys and values in the wrong place under `Protocols`.
fn protocol_tree_findings(reg: &Effective<'_>, findings: &mut Vec<Finding>) {
    let mut comma: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut unknown: Vec<(&str, Option<Protocol>)> = Vec::new();
    let mut misplaced: Vec<(&str, Protocol, Vec<RegLine>)> = Vec::new();
    for key in reg.keys.values() {
        let Some(rest) = relative(key.path, PROTOCOLS_KEY) else {
            continue;
        };
        let Some((&name, tail)) = rest.split_first() else {
            continue;
        };
        if let Some(protocol) = Protocol::from_key_name(name) {
            match tail.first() {
                None => {
                    let values: Vec<(&'static str, u32)> =
                        [VALUE_ENABLED, VALUE_DISABLED_BY_DEFAULT]
                            .into_iter()
                            .filter_map(|n| match reg.dword(key.path, n) {
                                Dword::Value(v) => Some((n, v)),
                                _ => None,
                            })
                            .collect();
                    if !values.is_empty() {
                        misplaced.push((key.path, protocol, values));
                    }
                }
                Some(side) if Side::from_key_name(side).is_some() => {}
                Some(_) => unknown.push((key.path, None)),
            }
        } else if name.eq_ignore_ascii_case("TLS 1,2") {
            let root = format!("{PROTOCOLS_KEY}\\{name}");
            comma.entry(root).or_default().push(key.line);
        } else if !OTHER_PROTOCOL_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name))
        {
            unknown.push((key.path, Protocol::near_miss(name)));
        }
    }
    for (root, lines) in comma {
        findings.push(comma_typo(&root, lines));
    }
    for (path, protocol, values) in misplaced {
        let blocks: Vec<RegBlock> = Side::ALL
            .into_iter()
            .map(|side| RegBlock::set(protocol_key(protocol, side), &values))
            .collect();
        findings.push(Finding {
            id: "values-on-protocol-key",
            severity: Severity::Warning,
            summary: format!("Values set on '{path}' itself have no effect"),
            detail: format!(
                "Schannel reads Enabled and DisabledByDefault only from the Client and Server \
                 subkeys of '{protocol}'. Values directly on the protocol key are ignored."
            ),
            lines: reg.key(path).map(value_lines).unwrap_or_default(),
            fix: Some(Fix {
                advice: format!("Set the same values on the Client and Server subkeys. {RESTART}"),
                reg: reg_file(&blocks),
            }),
        });
    }
    for (path, guess) in unknown {
        let hint = match guess {
            Some(p) => format!(" Did you mean '{p}'?"),
            None => String::new(),
        };
        findings.push(Finding {
            id: "unrecognised-protocol-key",
            severity: Severity::Warning,
            summary: format!("Key '{path}' is not one Schannel reads"),
            detail: format!(
                "Schannel reads only keys named exactly 'SSL 2.0', 'SSL 3.0', 'TLS 1.0', \
                 'TLS 1.1', 'TLS 1.2' and 'TLS 1.3', each with 'Client' and 'Server' \
                 subkeys; anything else under Protocols does nothing.{hint}"
            ),
            lines: reg.key(path).map(|k| vec![k.line]).unwrap_or_default(),
            fix: None,
        });
    }
}

fn value_lines(key: &EffectiveKey<'_>) -> Vec<usize> {
    key.values.values().map(|v| v.line).collect()
}

/// The source article's `TLS 1,2` key: reported as its own finding, since
/// the article is where admins copy it from.
fn comma_typo(root: &str, mut lines: Vec<usize>) -> Finding {
    lines.sort_unstable();
    let reg_text = reg_file(&[
        RegBlock::Delete(root.to_owned()),
        RegBlock::set(protocol_key(Protocol::Tls12, Side::Client), &TURN_ON),
        RegBlock::set(protocol_key(Protocol::Tls12, Side::Server), &TURN_ON),
    ]);
    Finding {
        id: "typo-key-tls-1-comma-2",
        severity: Severity::Warning,
        summary: "Key 'TLS 1,2' (comma) is ignored by Windows: TLS 1.2 is NOT configured by it"
            .to_owned(),
        detail:
            "Translations of the source article print the key as 'TLS 1,2'. Schannel reads only \
                 'TLS 1.2' (with a dot), so the 'TLS 1,2' key and everything under it have no \
                 effect. What applies to TLS 1.2 is the 'TLS 1.2' row of the table."
                .to_owned(),
        lines,
        fix: Some(Fix {
            advice: format!("Delete the comma key and set the correct one. {RESTART}"),
            reg: reg_text,
        }),
    }
}

/// Nine-digit (and longer) dwords, from every line of the file: regedit
/// rejects them, so the audit cannot see them in the effective registry.
fn overlong_dword_findings(export: &RegistryExport, findings: &mut Vec<Finding>) {
    let mut nine: Vec<(&str, &RegValue)> = Vec::new();
    let mut longer: Vec<(&str, &RegValue)> = Vec::new();
    for key in export.keys.iter().filter(|k| !k.deleted) {
        for value in &key.values {
            match value.quirk {
                Some(ValueQuirk::OverlongDword { digits: 9 }) => nine.push((&key.path, value)),
                Some(ValueQuirk::OverlongDword { .. }) => longer.push((&key.path, value)),
                None => {}
            }
        }
    }
    for (id, values) in [("nine-digit-dword", nine), ("overlong-dword", longer)] {
        let Some(&(_, first)) = values.first() else {
            continue;
        };
        let digits = match first.quirk {
            Some(ValueQuirk::OverlongDword { digits }) => digits,
            None => 0,
        };
        let mut blocks: Vec<RegBlock> = Vec::new();
        for (path, value) in &values {
            let RegData::Dword(n) = value.data else {
                continue;
            };
            let entry = (value.name.clone(), n);
            match blocks
                .iter_mut()
                .find(|b| matches!(b, RegBlock::Set(p, _) if p == path))
            {
                Some(RegBlock::Set(_, vals)) => vals.push(entry),
                _ => blocks.push(RegBlock::Set((*path).to_owned(), vec![entry])),
            }
        }
        let reg = reg_file(&blocks);
        let names: Vec<String> = values
            .iter()
            .map(|(_, v)| format!("\"{}\" (line {})", v.name, v.line))
            .collect();
        findings.push(Finding {
            id,
            severity: Severity::Warning,
            summary: format!(
                "{} has a {digits}-digit dword: regedit rejects it on import",
                names.join(", ")
            ),
            detail: "A dword in a .reg file has exactly eight hex digits (dword:00000000). \
                     regedit rejects a longer one when the file is imported, so the value is \
                     not written and tlscheck treats it as absent. An older version of the \
                     source article had this typo in its TLS 1.2 Server block \
                     (DisabledByDefault=dword:000000000); some translations still show it."
                .to_owned(),
            lines: values.iter().map(|(_, v)| v.line).collect(),
            fix: Some(Fix {
                advice: format!("The same values with eight digits. {RESTART}"),
                reg,
            }),
        });
    }
}

/// `"` and `\` escaped as in a `.reg` value name.
fn escape_reg_name(name: &str) -> String {
    name.replace('\\', "\\\\").replace('"', "\\\"")
}

fn wrong_value_type(path: &str, value: &RegValue) -> Finding {
    Finding {
        id: "wrong-value-type",
        severity: Severity::Warning,
        summary: format!(
            "\"{}\" under '{path}' is {}, not REG_DWORD",
            value.name,
            value.data.type_name()
        ),
        detail: "This setting is documented as a REG_DWORD; a value of another type (often a \
                 string \"1\") is not what Windows reads. tlscheck treats it as not set. \
                 Delete it and create a DWORD (32-bit) value."
            .to_owned(),
        lines: vec![value.line],
        fix: None,
    }
}

fn schannel_not_in_export() -> Finding {
    Finding {
        id: "schannel-not-in-export",
        severity: Severity::Info,
        summary: "The export has no SCHANNEL keys: the table shows OS defaults only".to_owned(),
        detail: "Every export of the SCHANNEL branch contains the SCHANNEL key itself, so this \
                 file was exported from somewhere else. Export it with: reg export \
                 \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\" \
                 schannel.reg"
            .to_owned(),
        lines: Vec::new(),
        fix: None,
    }
}

fn dotnet_not_in_export() -> Finding {
    Finding {
        id: "dotnet-not-in-export",
        severity: Severity::Info,
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
    }
}

fn dotnet_setting(
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
fn dotnet_findings(settings: &[DotNetSetting], findings: &mut Vec<Finding>) {
    struct Check {
        value: &'static str,
        get: fn(&DotNetSetting) -> Option<u32>,
        missing_id: &'static str,
        off_id: &'static str,
        why: &'static str,
    }
    let checks = [
        Check {
            value: VALUE_SYSTEM_DEFAULT_TLS,
            get: |s| s.system_default_tls_versions,
            missing_id: "dotnet-system-default-tls-missing",
            off_id: "dotnet-system-default-tls-disabled",
            why: "With SystemDefaultTlsVersions=1 the .NET Framework uses the TLS versions \
                  Windows (Schannel) allows; without it, applications built for older \
                  frameworks use .NET's own list, which can leave TLS 1.2 out.",
        },
        Check {
            value: VALUE_STRONG_CRYPTO,
            get: |s| s.sch_use_strong_crypto,
            missing_id: "dotnet-strong-crypto-missing",
            off_id: "dotnet-strong-crypto-disabled",
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
                id: check.off_id,
                severity: Severity::Error,
                summary: format!("{} is not 1: {}", check.value, list.join(", ")),
                detail: format!(
                    "{} Microsoft's Exchange TLS guidance sets it to 1; a value of 0 \
                     explicitly keeps the old behaviour.",
                    check.why
                ),
                lines: Vec::new(),
                fix: Some(fix(&off.iter().map(|(s, _)| s.key).collect::<Vec<_>>())),
            });
        }
        if !missing.is_empty() {
            let list: Vec<&str> = missing.iter().map(|s| s.key.label()).collect();
            findings.push(Finding {
                id: check.missing_id,
                severity: Severity::Warning,
                summary: format!("{} is not set: {}", check.value, list.join(", ")),
                detail: format!(
                    "{} Microsoft's Exchange TLS guidance sets it to 1.",
                    check.why
                ),
                lines: Vec::new(),
                fix: Some(fix(&missing.iter().map(|s| s.key).collect::<Vec<_>>())),
            });
        }
    }
}

#[cfg(test)]
mod tests;
