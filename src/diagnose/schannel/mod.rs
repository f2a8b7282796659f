//! `tlscheck schannel FILE`: audit a Windows registry export of the SCHANNEL
//! protocol keys and the .NET Framework TLS values, on any OS.
//!
//! Bytes in, an [`Audit`] out: [`parse()`] turns a `regedit` export or
//! `reg query /s` output into a [`RegistryExport`], [`audit()`] reads it
//! against the defaults of a Windows Server version. No IO, no printing and
//! no panics here: the file comes from a ticket attachment and is treated as
//! hostile. Reading the file (bounded by [`MAX_EXPORT_BYTES`]) belongs to the
//! caller; rendering belongs to `report::schannel`.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

pub mod audit;
pub mod ciphers;

pub use crate::proto::registry::{
    parse, ExportFormat, LineProblem, ParseError, RegData, RegKey, RegValue, RegistryExport,
    TextEncoding, UnknownWindowsVersion, ValueQuirk, WindowsVersion, MAX_EXPORT_BYTES,
};
pub use audit::{
    audit, Audit, AuditId, AuditInfo, DisabledBy, DotNetKey, DotNetSetting, Finding, Fix,
    OsDefault, Protocol, ProtocolSetting, ProtocolState, Severity, Side, Verdict,
};

/// The audit of the live registry: as for a file, except that line numbers
/// (of a file there is not) are dropped, and a missing .NET Framework root
/// says so instead of asking for an export.
pub fn audit_local(
    local: &crate::net::registry::LocalRegistry,
    os: Option<WindowsVersion>,
) -> Audit {
    let mut audit = audit(&local.export, os);
    for finding in &mut audit.findings {
        finding.lines.clear();
        if finding.id == AuditId::DotnetNotInExport && !local.dotnet_installed {
            finding.summary = "This machine's registry has no .NET Framework key: \
                               SystemDefaultTlsVersions and SchUseStrongCrypto do not apply"
                .to_owned();
            finding.detail = "Neither HKLM\\SOFTWARE\\Microsoft\\.NETFramework nor its \
                              WOW6432Node twin exists, so the .NET Framework is not installed \
                              here. Exchange needs it: run tlscheck on the Exchange server \
                              itself."
                .to_owned();
        }
    }
    audit
}

#[cfg(test)]
mod tests;
