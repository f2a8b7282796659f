//! The JSON document of a SCHANNEL audit (`schema_version`,
//! `kind: "schannel"`): DTOs built from the audit, so the domain types
//! carry no serde. Key and value names from the file are exact here.

use serde::Serialize;

use crate::diagnose::schannel::{Audit, ProtocolState, Side};
use crate::report::json::{ToolDto, SCHEMA_VERSION};

/// The JSON document (`schema_version`, `kind: "schannel"`).
#[derive(Serialize)]
struct SchannelReportDto {
    schema_version: u32,
    kind: &'static str,
    tool: ToolDto,
    source: SourceDto,
    os: Option<&'static str>,
    verdict: &'static str,
    verdict_reason: String,
    sides: SidesDto,
    protocols: Vec<ProtocolDto>,
    dotnet: Option<Vec<DotNetDto>>,
    findings: Vec<FindingDto>,
    /// The one .reg that fixes every finding (what `--write-fix` writes as
    /// schannel-fix.reg, here with LF line ends); null when none has a fix.
    fix_reg: Option<String>,
}

#[derive(Serialize)]
struct SourceDto {
    format: &'static str,
    encoding: &'static str,
}

#[derive(Serialize)]
struct SidesDto {
    client: &'static str,
    server: &'static str,
}

#[derive(Serialize)]
struct ProtocolDto {
    protocol: &'static str,
    name: &'static str,
    side: &'static str,
    key_present: bool,
    enabled: Option<u32>,
    disabled_by_default: Option<u32>,
    state: &'static str,
    disabled_by: Option<&'static str>,
    os_default: &'static str,
    usable: Option<bool>,
}

#[derive(Serialize)]
struct DotNetDto {
    key: &'static str,
    path: &'static str,
    key_present: bool,
    system_default_tls_versions: Option<u32>,
    sch_use_strong_crypto: Option<u32>,
}

#[derive(Serialize)]
struct FindingDto {
    id: &'static str,
    severity: &'static str,
    summary: String,
    detail: String,
    lines: Vec<usize>,
    fix: Option<FixDto>,
}

#[derive(Serialize)]
struct FixDto {
    advice: String,
    reg: String,
}

impl From<&Audit> for SchannelReportDto {
    fn from(a: &Audit) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            kind: "schannel",
            tool: crate::report::json::tool(),
            source: SourceDto {
                format: a.format.label(),
                encoding: a.encoding.label(),
            },
            os: a.os.map(|os| os.cli_name()),
            verdict: a.verdict.label(),
            verdict_reason: a.verdict_reason(),
            sides: SidesDto {
                client: Side::Client.role(),
                server: Side::Server.role(),
            },
            protocols: a
                .protocols
                .iter()
                .map(|s| ProtocolDto {
                    protocol: s.protocol.label(),
                    name: s.protocol.key_name(),
                    side: s.side.label(),
                    key_present: s.key_present,
                    enabled: s.enabled,
                    disabled_by_default: s.disabled_by_default,
                    state: s.state.label(),
                    disabled_by: match s.state {
                        ProtocolState::Disabled(by) => Some(by.label()),
                        _ => None,
                    },
                    os_default: s.os_default.label(),
                    usable: s.is_usable(),
                })
                .collect(),
            dotnet: a.dotnet.as_ref().map(|settings| {
                settings
                    .iter()
                    .map(|s| DotNetDto {
                        key: s.key.label(),
                        path: s.key.path(),
                        key_present: s.key_present,
                        system_default_tls_versions: s.system_default_tls_versions,
                        sch_use_strong_crypto: s.sch_use_strong_crypto,
                    })
                    .collect()
            }),
            findings: a
                .findings
                .iter()
                .map(|f| FindingDto {
                    id: f.id.as_str(),
                    severity: f.severity.label(),
                    summary: f.summary.clone(),
                    detail: f.detail.clone(),
                    lines: f.lines.clone(),
                    fix: f.fix.as_ref().map(|fix| FixDto {
                        advice: fix.advice.clone(),
                        reg: fix.reg.clone(),
                    }),
                })
                .collect(),
            fix_reg: {
                let regs: Vec<&str> = a
                    .findings
                    .iter()
                    .filter_map(|f| f.fix.as_ref().map(|x| x.reg.as_str()))
                    .collect();
                (!regs.is_empty()).then(|| crate::report::fixfiles::merge_reg(&regs))
            },
        }
    }
}

/// The audit as a JSON document with a final newline, pretty-printed or
/// on one line (`--format ndjson`).
pub(super) fn render(audit: &Audit, pretty: bool) -> String {
    crate::report::json::to_document(&SchannelReportDto::from(audit), pretty, Some("schannel"))
}
