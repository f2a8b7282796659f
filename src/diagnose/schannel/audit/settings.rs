//! What the registry says, protocol by protocol and side by side, and the
//! .NET Framework keys: the audit's view of the export.

use super::*;

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
    pub(super) fn near_miss(name: &str) -> Option<Self> {
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

    pub(super) fn from_key_name(name: &str) -> Option<Self> {
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
