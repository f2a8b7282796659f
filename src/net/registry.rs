//! `tlscheck schannel --local`: the live registry of the machine tlscheck
//! runs on, turned into the same [`RegistryExport`] a `regedit` export of it
//! would parse into, so that the schannel audit and every renderer treat it
//! exactly like a file.
//!
//! This module is platform-neutral and pure: what a registry value of a
//! given type and bytes means ([`value_data`]), which Windows Server release
//! a build number is ([`detect_os`]), and how keys read become an export
//! ([`export_from_keys`]). The reading itself needs Windows and lives in
//! `crate::net::windows::registry` (compiled only there); elsewhere
//! [`read_local`] returns [`LiveError::NotWindows`] with the `reg export`
//! command lines that make a file instead.

use std::fmt;

use crate::proto::registry::{
    ExportFormat, RegData, RegKey, RegValue, RegistryExport, TextEncoding, WindowsVersion,
};

/// The SCHANNEL branch, read with all its subkeys (odd names included: the
/// audit reports `TLS 1,2` and near misses).
pub const SCHANNEL_PATH: &str = r"SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";
/// The .NET Framework keys the audit reads, under HKLM: the two roots (their
/// presence says .NET is installed) and the four version keys.
pub const DOTNET_PATHS: [&str; 6] = [
    r"SOFTWARE\Microsoft\.NETFramework",
    r"SOFTWARE\WOW6432Node\Microsoft\.NETFramework",
    r"SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
    r"SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319",
    r"SOFTWARE\Microsoft\.NETFramework\v2.0.50727",
    r"SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v2.0.50727",
];
/// Where Windows names its release.
pub const CURRENT_VERSION_PATH: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
/// The hive every path above lives in, as exports spell it.
pub const HKLM: &str = "HKEY_LOCAL_MACHINE";
/// At most this many keys are read under SCHANNEL. A real SCHANNEL branch
/// has a few dozen; the bound keeps a registry with a runaway tree (or a
/// loop through a symbolic link) from exhausting memory.
pub const MAX_KEYS: usize = 4096;
/// At most this many levels below SCHANNEL (Protocols\TLS 1.2\Client is 3).
pub const MAX_DEPTH: usize = 8;
/// At most this many values per key are kept.
pub const MAX_VALUES: usize = 512;

/// Registry value types (winnt.h), as `regedit` writes them in `hex(N):`.
const REG_SZ: u32 = 1;
const REG_DWORD: u32 = 4;
const REG_QWORD: u32 = 11;

/// The command lines that export the keys `schannel --local` reads.
pub const EXPORT_COMMANDS: &str = concat!(
    "  reg export \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\" schannel.reg\n",
    "  reg export \"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\" dotnet.reg\n",
    "  copy /b schannel.reg+dotnet.reg export.reg",
);

/// Why the live registry could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    /// Not running on Windows.
    #[error(
        "schannel --local reads the live registry of the Windows machine it runs on; this is \
         not Windows. Run `tlscheck.exe schannel --local` on the Exchange server, or export \
         the keys there (in cmd or PowerShell) and audit the file here:\n{EXPORT_COMMANDS}\n  \
         tlscheck schannel export.reg"
    )]
    NotWindows,
    /// Windows refused to open or read a key.
    #[error(
        "access denied reading HKLM\\{path}: the key's permissions do not let this account \
         read it. Run tlscheck from an elevated PowerShell (Run as administrator); if that is \
         denied too, the key carries a deny entry: look at its Permissions in regedit, or \
         export the keys with an account that can read them:\n{EXPORT_COMMANDS}"
    )]
    AccessDenied {
        /// The key, below HKLM.
        path: String,
    },
    /// Any other failure of the registry API.
    #[error("reading HKLM\\{path}: {message}")]
    Read {
        /// The key, below HKLM.
        path: String,
        /// What Windows said, with its error code.
        message: String,
    },
}

impl LiveError {
    /// A stable snake_case name for tests.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotWindows => "not_windows",
            Self::AccessDenied { .. } => "access_denied",
            Self::Read { .. } => "read",
        }
    }
}

/// One key as read from the registry: its path below HKLM and its values
/// as (name, type code, raw bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveKey {
    /// Path below HKLM, `\`-separated, as Windows spells it.
    pub path: String,
    /// The values: name (empty for the default value), REG_* type code, data.
    pub values: Vec<(String, u32, Vec<u8>)>,
}

/// What the registry says about the Windows release.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsInfo {
    /// `ProductName`, e.g. `Windows Server 2022 Standard`.
    pub product_name: Option<String>,
    /// `CurrentBuildNumber` (or `CurrentBuild`), e.g. `20348`.
    pub build: Option<String>,
    /// `InstallationType`: `Server`, `Server Core` or `Client`.
    pub installation_type: Option<String>,
}

impl fmt::Display for OsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self
            .product_name
            .as_deref()
            .unwrap_or("Windows (no ProductName)");
        write!(f, "{name}")?;
        if let Some(build) = &self.build {
            write!(f, ", build {build}")?;
        }
        if let Some(kind) = &self.installation_type {
            write!(f, ", installation type {kind}")?;
        }
        Ok(())
    }
}

/// The live registry, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalRegistry {
    /// The keys, as an export of them would parse.
    pub export: RegistryExport,
    /// The release the registry names.
    pub os: OsInfo,
    /// Whether a `.NETFramework` root key exists (else .NET Framework is not
    /// installed, which is not the same as "not exported").
    pub dotnet_installed: bool,
}

/// Reads the SCHANNEL and .NET keys of this machine.
pub fn read_local() -> Result<LocalRegistry, LiveError> {
    #[cfg(windows)]
    {
        crate::net::windows::registry::read_local()
    }
    #[cfg(not(windows))]
    {
        Err(LiveError::NotWindows)
    }
}

/// The Windows Server release whose defaults apply, from the build number
/// (only for server installations: a Windows 10/11 workstation shares build
/// numbers with no server release tlscheck has a table for).
// See: https://learn.microsoft.com/windows/release-health/windows-server-release-info
// (builds 14393, 17763, 20348, 26100) and
// https://learn.microsoft.com/windows/win32/sysinfo/operating-system-version
// (Server 2012 R2 is 6.3, build 9600).
pub fn detect_os(info: &OsInfo) -> Option<WindowsVersion> {
    let server = info
        .installation_type
        .as_deref()
        .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("server"));
    if !server {
        return None;
    }
    match info.build.as_deref().map(str::trim)? {
        "9600" => Some(WindowsVersion::Ws2012R2),
        "14393" => Some(WindowsVersion::Ws2016),
        "17763" => Some(WindowsVersion::Ws2019),
        "20348" => Some(WindowsVersion::Ws2022),
        "26100" => Some(WindowsVersion::Ws2025),
        _ => None,
    }
}

/// What a value of type `type_code` with these bytes is, exactly as
/// `proto::registry::parse` reads the line `regedit` exports for it: a REG_SZ as
/// text, a four-byte REG_DWORD and an eight-byte REG_QWORD as numbers, and
/// everything else (a REG_DWORD of the wrong length included) as raw bytes
/// with its type code, which the audit reports as the wrong type.
pub fn value_data(type_code: u32, bytes: &[u8]) -> RegData {
    match type_code {
        REG_SZ => RegData::String(utf16_text(bytes)),
        REG_DWORD => match <[u8; 4]>::try_from(bytes) {
            Ok(b) => RegData::Dword(u32::from_le_bytes(b)),
            Err(_) => binary(type_code, bytes),
        },
        REG_QWORD => match <[u8; 8]>::try_from(bytes) {
            Ok(b) => RegData::Qword(u64::from_le_bytes(b)),
            Err(_) => binary(type_code, bytes),
        },
        _ => binary(type_code, bytes),
    }
}

fn binary(type_code: u32, bytes: &[u8]) -> RegData {
    RegData::Binary {
        type_code,
        bytes: bytes.to_vec(),
    }
}

/// A REG_SZ's UTF-16LE bytes as text, up to the first NUL; an odd last
/// byte is dropped and unpaired surrogates become U+FFFD.
pub fn utf16_text(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| {
            u16::from_le_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ])
        })
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// The keys read, as a `regedit` export of them would parse: paths with
/// `HKEY_LOCAL_MACHINE\` in front, values in the order read. Lines are
/// numbered as in that export (key line, then one line per value, then a
/// blank line), which the caller drops from findings: there is no file.
pub fn export_from_keys(keys: Vec<LiveKey>) -> RegistryExport {
    let mut line = 1;
    let keys = keys
        .into_iter()
        .map(|k| {
            line += 2;
            let key_line = line;
            let values = k
                .values
                .into_iter()
                .map(|(name, type_code, bytes)| {
                    line += 1;
                    RegValue {
                        name,
                        data: value_data(type_code, &bytes),
                        line,
                        quirk: None,
                    }
                })
                .collect();
            RegKey {
                path: format!("{HKLM}\\{}", k.path),
                deleted: false,
                line: key_line,
                values,
            }
        })
        .collect();
    RegistryExport {
        format: ExportFormat::LiveRegistry,
        encoding: TextEncoding::Native,
        keys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(build: &str) -> OsInfo {
        OsInfo {
            product_name: Some("Windows Server".into()),
            build: Some(build.into()),
            installation_type: Some("Server".into()),
        }
    }

    #[test]
    fn detects_server_releases_from_build_numbers() {
        for (build, want) in [
            ("9600", WindowsVersion::Ws2012R2),
            ("14393", WindowsVersion::Ws2016),
            ("17763", WindowsVersion::Ws2019),
            ("20348", WindowsVersion::Ws2022),
            ("26100", WindowsVersion::Ws2025),
        ] {
            assert_eq!(detect_os(&server(build)), Some(want), "build {build}");
        }
        let mut core = server("17763");
        core.installation_type = Some("Server Core".into());
        assert_eq!(detect_os(&core), Some(WindowsVersion::Ws2019));
    }

    #[test]
    fn leaves_workstations_and_unknown_builds_undetected() {
        let mut client = server("19045");
        client.installation_type = Some("Client".into());
        assert_eq!(detect_os(&client), None);
        // Windows 11 24H2 shares 26100 with Server 2025; a client is not it.
        client.build = Some("26100".into());
        assert_eq!(detect_os(&client), None);
        assert_eq!(detect_os(&server("7601")), None, "2008 R2: no table");
        assert_eq!(detect_os(&OsInfo::default()), None);
    }

    #[test]
    fn reads_values_as_an_export_of_them_parses() {
        assert_eq!(value_data(4, &[1, 0, 0, 0]), RegData::Dword(1));
        assert_eq!(
            value_data(4, &[0xff, 0xff, 0xff, 0xff]),
            RegData::Dword(0xffff_ffff)
        );
        assert_eq!(value_data(11, &[2, 0, 0, 0, 0, 0, 0, 0]), RegData::Qword(2));
        // "1" as REG_SZ: text, which the audit reports as the wrong type.
        assert_eq!(value_data(1, &[b'1', 0, 0, 0]), RegData::String("1".into()));
        // A REG_DWORD of three bytes is not a number.
        assert_eq!(
            value_data(4, &[1, 0, 0]),
            RegData::Binary {
                type_code: 4,
                bytes: vec![1, 0, 0]
            }
        );
        assert_eq!(
            value_data(2, &[b'x', 0, 0, 0]),
            RegData::Binary {
                type_code: 2,
                bytes: vec![b'x', 0, 0, 0]
            }
        );
    }

    #[test]
    fn utf16_text_stops_at_nul_and_survives_odd_bytes() {
        assert_eq!(utf16_text(&[b'T', 0, b'L', 0, 0, 0, b'X', 0]), "TL");
        assert_eq!(utf16_text(&[b'A', 0, 0x41]), "A");
        assert_eq!(utf16_text(&[0x00, 0xd8]), "\u{fffd}");
        assert_eq!(utf16_text(&[]), "");
    }

    #[test]
    fn access_denied_names_the_key_and_what_to_try() {
        let text = LiveError::AccessDenied {
            path: format!(r"{SCHANNEL_PATH}\Protocols\TLS 1.2\Client"),
        }
        .to_string();
        assert!(text.starts_with(
            "access denied reading HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client: "
        ), "{text}");
        assert!(text.contains("Run as administrator"), "{text}");
        assert!(text.contains("reg export"), "{text}");
    }

    #[test]
    fn not_windows_names_the_export_commands() {
        let text = LiveError::NotWindows.to_string();
        assert!(text.contains("reg export \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\" schannel.reg"));
        assert!(text.contains("tlscheck schannel export.reg"));
    }
}
