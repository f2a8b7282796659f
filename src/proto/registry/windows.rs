//! The Windows Server releases whose Schannel defaults tlscheck knows,
//! named as `--os` takes them.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::fmt;
use std::str::FromStr;

/// A Windows Server release whose Schannel defaults tlscheck knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WindowsVersion {
    /// Windows Server 2008 R2 (Windows 7 kernel), the classic Exchange
    /// 2010 host.
    Ws2008R2,
    /// Windows Server 2012 R2 (Windows 8.1 kernel).
    Ws2012R2,
    /// Windows Server 2016 (Windows 10 1607).
    Ws2016,
    /// Windows Server 2019 (Windows 10 1809).
    Ws2019,
    /// Windows Server 2022.
    Ws2022,
    /// Windows Server 2025.
    Ws2025,
}

impl WindowsVersion {
    /// Every version, oldest first.
    pub const ALL: [Self; 6] = [
        Self::Ws2008R2,
        Self::Ws2012R2,
        Self::Ws2016,
        Self::Ws2019,
        Self::Ws2022,
        Self::Ws2025,
    ];

    /// The name on the command line (`--os 2012r2`) and in JSON.
    pub fn cli_name(self) -> &'static str {
        match self {
            Self::Ws2008R2 => "2008r2",
            Self::Ws2012R2 => "2012r2",
            Self::Ws2016 => "2016",
            Self::Ws2019 => "2019",
            Self::Ws2022 => "2022",
            Self::Ws2025 => "2025",
        }
    }
}

impl fmt::Display for WindowsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ws2008R2 => "Windows Server 2008 R2",
            Self::Ws2012R2 => "Windows Server 2012 R2",
            Self::Ws2016 => "Windows Server 2016",
            Self::Ws2019 => "Windows Server 2019",
            Self::Ws2022 => "Windows Server 2022",
            Self::Ws2025 => "Windows Server 2025",
        })
    }
}

/// A `--os` value that names no version tlscheck knows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown Windows Server version '{0}': expected one of 2008r2, 2012r2, 2016, 2019, 2022, 2025"
)]
pub struct UnknownWindowsVersion(pub String);

impl FromStr for WindowsVersion {
    type Err = UnknownWindowsVersion;

    /// Accepts the CLI names and the spellings people type: `2012R2`,
    /// `2012 R2`, `ws2019`, `Server 2022`, `Windows Server 2025`.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let squashed: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .collect::<String>()
            .to_ascii_lowercase();
        let short = ["windowsserver", "server", "ws"]
            .iter()
            .find_map(|p| squashed.strip_prefix(p))
            .unwrap_or(&squashed);
        Self::ALL
            .into_iter()
            .find(|v| v.cli_name() == short)
            .ok_or_else(|| UnknownWindowsVersion(s.to_owned()))
    }
}
