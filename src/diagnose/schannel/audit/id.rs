//! Every finding id of the SCHANNEL audit, as one type backed by one
//! static table (the same mechanism as `findings::FindingId`): the
//! published kebab-case string, the severity and what the finding is
//! about. The ids are their own set: `legacy-tls-enabled` here is a
//! registry setting, not a server seen accepting TLS 1.0.

use super::Severity;
use crate::diagnose::id_table::id_table;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct AuditInfo {
    /// The id.
    pub id: AuditId,
    /// The stable kebab-case string (`tls12-client-disabled`).
    pub name: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// What the finding is about, in general (the finding's summary says
    /// which keys and values).
    pub title: &'static str,
}

/// A row of [`AUDIT_FINDINGS`] (the table macro passes id and name first).
const fn row(
    id: AuditId,
    name: &'static str,
    severity: Severity,
    title: &'static str,
) -> AuditInfo {
    AuditInfo {
        id,
        name,
        severity,
        title,
    }
}

use Severity::{Error, Info, Warning};

id_table! {
    /// A finding id of the SCHANNEL audit.
    enum AuditId;
    /// The table: one row per [`AuditId`], in declaration order.
    static AUDIT_FINDINGS: [AuditInfo] = row;
    // ---- TLS 1.2 ---------------------------------------------------------
    /// `TLS 1.2\Client` disabled.
    Tls12ClientDisabled = "tls12-client-disabled" (Error, "TLS 1.2 is disabled for sending (Client)");
    /// `TLS 1.2\Server` disabled.
    Tls12ServerDisabled = "tls12-server-disabled" (Error, "TLS 1.2 is disabled for receiving (Server)");
    /// DisabledByDefault=1 on TLS 1.2.
    Tls12DisabledByDefault = "tls12-disabled-by-default" (Error, "TLS 1.2 has DisabledByDefault=1: for mail it is effectively off");
    /// TLS 1.2 left to an unknown OS default.
    Tls12OsDefaultUnknown = "tls12-os-default-unknown" (Warning, "TLS 1.2 is not set, and the Windows version's default is not known");
    /// TLS 1.2 on by OS default only.
    Tls12NotExplicit = "tls12-not-explicit" (Info, "TLS 1.2 is on by OS default, not by an explicit key");
    // ---- Older and newer versions ----------------------------------------
    /// TLS 1.0/1.1 usable.
    LegacyTlsEnabled = "legacy-tls-enabled" (Warning, "TLS 1.0/1.1 are still enabled");
    /// SSL 3.0 usable.
    Ssl3Enabled = "ssl3-enabled" (Warning, "SSL 3.0 is enabled");
    /// SSL 2.0 usable.
    Ssl2Enabled = "ssl2-enabled" (Warning, "SSL 2.0 is enabled");
    /// TLS 1.0/1.1 left to Server 2025's default, documented two ways.
    LegacyDefaultUnknownOn2025 = "legacy-default-unknown-on-2025" (Info, "TLS 1.0/1.1 are left to the default of Windows Server 2025, which Microsoft documents two ways");
    /// TLS 1.3 keys on a Windows version without TLS 1.3.
    Tls13NotSupportedOnOs = "tls13-not-supported-on-os" (Warning, "TLS 1.3 is set on a Windows version that has no TLS 1.3");
    /// TLS 1.3 keys that Exchange's SMTP does not use.
    Tls13NotUsedByExchangeSmtp = "tls13-not-used-by-exchange-smtp" (Warning, "TLS 1.3 is set, but Exchange does not use TLS 1.3 for SMTP");
    /// No Microsoft 365 cipher suite enabled.
    NoOffice365CipherSuite = "no-office365-cipher-suite" (Error, "None of Microsoft 365's TLS 1.2 cipher suites is enabled");
    // ---- Keys and values ---------------------------------------------------
    /// Values directly on a protocol key instead of its Client/Server key.
    ValuesOnProtocolKey = "values-on-protocol-key" (Warning, "Values sit on a protocol key, where Schannel does not read them");
    /// A key under `Protocols` Schannel does not know.
    UnrecognisedProtocolKey = "unrecognised-protocol-key" (Warning, "A key under Protocols is not one Schannel knows");
    /// The `TLS 1,2` typo.
    TypoKeyTls1Comma2 = "typo-key-tls-1-comma-2" (Warning, "A key is named TLS 1,2 (with a comma), which Schannel ignores");
    /// A nine-digit dword regedit rejects.
    NineDigitDword = "nine-digit-dword" (Warning, "A dword has nine digits: regedit rejects the value");
    /// A dword longer still.
    OverlongDword = "overlong-dword" (Warning, "A dword has more than eight digits: regedit rejects the value");
    /// A value of another type than REG_DWORD.
    WrongValueType = "wrong-value-type" (Warning, "A value Schannel or .NET reads as a dword has another type");
    /// No SCHANNEL branch in the export.
    SchannelNotInExport = "schannel-not-in-export" (Info, "The export has no SCHANNEL key");
    // ---- .NET Framework ------------------------------------------------------
    /// No .NET Framework branch in the export.
    DotnetNotInExport = "dotnet-not-in-export" (Info, "The export has no .NET Framework key");
    /// SystemDefaultTlsVersions missing.
    DotnetSystemDefaultTlsMissing = "dotnet-system-default-tls-missing" (Warning, "SystemDefaultTlsVersions is not set");
    /// SystemDefaultTlsVersions=0.
    DotnetSystemDefaultTlsDisabled = "dotnet-system-default-tls-disabled" (Error, "SystemDefaultTlsVersions is 0");
    /// SchUseStrongCrypto missing.
    DotnetStrongCryptoMissing = "dotnet-strong-crypto-missing" (Warning, "SchUseStrongCrypto is not set");
    /// SchUseStrongCrypto=0.
    DotnetStrongCryptoDisabled = "dotnet-strong-crypto-disabled" (Error, "SchUseStrongCrypto is 0");
}

#[cfg(test)]
mod tests;
