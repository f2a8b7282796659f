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
pub mod live;

pub use crate::proto::registry::{
    parse, ExportFormat, LineProblem, ParseError, RegData, RegKey, RegValue, RegistryExport,
    TextEncoding, ValueQuirk, MAX_EXPORT_BYTES,
};
pub use audit::{
    audit, Audit, DisabledBy, DotNetKey, DotNetSetting, Finding, Fix, OsDefault, Protocol,
    ProtocolSetting, ProtocolState, Severity, Side, UnknownWindowsVersion, Verdict, WindowsVersion,
};
