//! JSON output (docs/schema.md). Serde DTOs built from the domain types, so
//! the schema changes only when this file does. Server text is exact here:
//! serde escapes it, nothing is sanitized or cut.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnose::findings::Finding;
use crate::diagnose::verdict::Verdict;
use crate::model::{
    Direction, NotTested, Rejection, ServerObservation, TlsVersion, Transcript, VersionProbe,
    VersionResult,
};
use crate::proto::smtp::reply::Reply;
use crate::report::outcome::{RunReport, TargetReport};

/// The version of every JSON document tlscheck writes (`check`, `listen`,
/// `schannel`, `explain`, `profiles`; docs/schema.md): bumped whenever a
/// key changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// A DTO as a JSON document with a final newline, pretty-printed or on
/// one line (NDJSON). The DTOs are plain structs with string keys, so
/// serialising cannot fail; if it ever did, the output says so in JSON
/// (with `kind` where the document has one) rather than panic.
pub(crate) fn to_document<T: Serialize>(dto: &T, pretty: bool, kind: Option<&str>) -> String {
    let s = if pretty {
        serde_json::to_string_pretty(dto)
    } else {
        serde_json::to_string(dto)
    };
    let mut s = s.unwrap_or_else(|e| {
        let mut doc = serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "error": format!("serialising the report failed: {e}"),
        });
        if let (Some(kind), Some(map)) = (kind, doc.as_object_mut()) {
            map.insert("kind".to_owned(), kind.into());
        }
        doc.to_string()
    });
    s.push('\n');
    s
}

/// The whole document of `--format json`.
#[derive(Serialize)]
pub struct RunDto<'a> {
    kind: &'static str,
    schema_version: u32,
    tool: ToolDto,
    started_at: &'a str,
    finished_at: &'a str,
    interrupted: bool,
    exit_code: u8,
    targets: Vec<TargetDto<'a>>,
    invalid: Vec<InvalidDto<'a>>,
}

/// A line of the target list that is not a target; also one NDJSON line.
#[derive(Serialize)]
pub struct InvalidDto<'a> {
    kind: &'static str,
    file: &'a str,
    line: usize,
    input: &'a str,
    error: &'a str,
}

fn invalid_dto(l: &crate::proto::target::InvalidLine) -> InvalidDto<'_> {
    InvalidDto {
        kind: "invalid",
        file: &l.file,
        line: l.line,
        input: &l.input,
        error: &l.error,
    }
}

/// The NDJSON line of an invalid target-list line, with a final newline.
pub fn render_invalid_line(l: &crate::proto::target::InvalidLine) -> String {
    to_document(&invalid_dto(l), false, Some("invalid"))
}

/// The last NDJSON line: counts per verdict and the exit code, so a
/// consumer can tell a complete stream from a truncated one.
#[derive(Serialize)]
struct SummaryDto<'a> {
    kind: &'static str,
    schema_version: u32,
    tool: ToolDto,
    started_at: &'a str,
    finished_at: &'a str,
    targets: usize,
    verdicts: BTreeMap<&'static str, usize>,
    invalid: usize,
    interrupted: bool,
    exit_code: u8,
}

/// The summary record that ends an NDJSON stream, with a final newline.
pub fn render_summary_line(r: &RunReport) -> String {
    let mut verdicts = BTreeMap::new();
    for t in &r.targets {
        *verdicts.entry(t.verdict.label()).or_insert(0) += 1;
    }
    let dto = SummaryDto {
        kind: "summary",
        schema_version: SCHEMA_VERSION,
        tool: tool(),
        started_at: &r.started_at,
        finished_at: &r.finished_at,
        targets: r.targets.len(),
        verdicts,
        invalid: r.invalid.len(),
        interrupted: r.interrupted,
        exit_code: r.exit.code(),
    };
    to_document(&dto, false, Some("summary"))
}

/// `tool` in every JSON document: which program and version wrote it.
#[derive(Serialize)]
pub(crate) struct ToolDto {
    name: &'static str,
    version: &'static str,
}

/// One target; also one line of `--format ndjson`.
#[derive(Serialize)]
pub struct TargetDto<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool: Option<ToolDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    started_at: Option<&'a str>,
    input: &'a str,
    mode: &'static str,
    verdict: &'static str,
    interrupted: bool,
    summary: &'a str,
    dns: Option<crate::report::dns::DnsDto<'a>>,
    servers: Vec<ServerDto<'a>>,
    findings: Vec<FindingDto<'a>>,
    policy: Option<crate::report::policy::PolicyDto<'a>>,
}

#[derive(Serialize)]
struct ServerDto<'a> {
    key: String,
    host: Option<&'a str>,
    exchange: Option<&'a str>,
    preference: Option<u16>,
    verdict: &'static str,
    sni: Option<&'a str>,
    address: String,
    port: u16,
    implicit_tls: bool,
    banner: Option<String>,
    ehlo_extensions: Vec<&'a str>,
    used_helo: Option<bool>,
    starttls: &'static str,
    starttls_reply: Option<String>,
    requires_tls: Option<bool>,
    mail_from_reply: Option<String>,
    server_software: Option<&'static str>,
    versions: BTreeMap<&'static str, VersionDto>,
    accepted_versions: Vec<&'static str>,
    version_list: Vec<VersionItemDto>,
    certificate: Option<CertDto<'a>>,
    error: Option<ErrorDto<'a>>,
    elapsed_ms: u128,
    transcript: Option<BTreeMap<&'static str, Vec<EventDto<'a>>>>,
    suites: crate::report::suites::SuitesDto,
}

/// One entry of `version_list`: the same object as `versions."1.2"`,
/// with its version inside, for `jq '.version_list[]'`.
#[derive(Serialize)]
struct VersionItemDto {
    version: &'static str,
    #[serde(flatten)]
    result: VersionDto,
}

#[derive(Serialize, Default)]
struct VersionDto {
    result: &'static str,
    cipher: Option<String>,
    group: Option<String>,
    full_handshake: Option<bool>,
    established: Option<bool>,
    limited_by: Option<LimitDto>,
    legacy_cipher_only: Option<bool>,
    alert: Option<String>,
    after: Option<&'static str>,
    answered_version: Option<String>,
    reason: Option<&'static str>,
    reply: Option<String>,
    stage: Option<&'static str>,
    error: Option<String>,
    elapsed_ms: u128,
}

#[derive(Serialize)]
struct LimitDto {
    kind: &'static str,
    detail: String,
}

#[derive(Serialize)]
struct CertDto<'a> {
    subject: &'a str,
    sans: &'a [String],
    issuer: &'a str,
    not_before: &'a str,
    not_after: &'a str,
    days_left: i64,
    key_type: &'a str,
    key_bits: Option<u32>,
    signature_algorithm: &'a str,
    chain_len: usize,
    verdict: &'static str,
    verdict_detail: Option<String>,
    from_version: &'static str,
}

#[derive(Serialize)]
struct ErrorDto<'a> {
    stage: &'static str,
    message: &'a str,
    timed_out: bool,
    kind: &'static str,
}

/// One transcript event in JSON.
#[derive(Serialize)]
pub(crate) struct EventDto<'a> {
    at_ms: u128,
    dir: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
struct FindingDto<'a> {
    id: &'static str,
    severity: &'static str,
    title: &'a str,
    servers: Vec<String>,
    evidence: &'a [String],
    signatures: Vec<SignatureDto>,
    remediation: &'a [String],
    fix: Option<FixDto>,
}

/// A catalogue signature a finding predicts: its id and the text as admins
/// see it, so a dashboard can show the text without the catalogue.
#[derive(Serialize)]
pub(crate) struct SignatureDto {
    id: &'static str,
    text: &'static str,
}

/// The id and text of each catalogue id (an id missing from the catalogue
/// keeps an empty text rather than disappearing).
pub(crate) fn signature_dtos(ids: &[&'static str]) -> Vec<SignatureDto> {
    ids.iter()
        .map(|id| SignatureDto {
            id,
            text: crate::diagnose::catalogue::by_id(id)
                .map(|s| s.text)
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Serialize)]
struct FixDto {
    software: &'static str,
    title: &'static str,
    steps: &'static [&'static str],
    snippet: Option<SnippetDto>,
}

/// A snippet to paste, in JSON.
#[derive(Serialize)]
pub(crate) struct SnippetDto {
    language: &'static str,
    text: &'static str,
}

impl From<crate::diagnose::remediation::Snippet> for SnippetDto {
    fn from(sn: crate::diagnose::remediation::Snippet) -> Self {
        Self {
            language: sn.language,
            text: sn.text,
        }
    }
}

/// The full reply as the server sent it, lines joined by `\n`.
pub fn reply_text(r: &Reply) -> String {
    let mut lines = r.lines.iter().map(|l| {
        if l.is_empty() {
            r.code.to_string()
        } else {
            format!("{} {l}", r.code)
        }
    });
    let mut out = lines.next().unwrap_or_else(|| r.code.to_string());
    for l in lines {
        out.push('\n');
        out.push_str(&l);
    }
    out
}

fn version_dto(p: &VersionProbe) -> VersionDto {
    let mut d = VersionDto {
        result: p.result.label(),
        elapsed_ms: p.elapsed.as_millis(),
        ..VersionDto::default()
    };
    match &p.result {
        VersionResult::Accepted(a) => {
            d.cipher = Some(crate::proto::tls::cipher_name(a.cipher));
            d.group = a.group.map(crate::proto::tls::group_name);
            d.full_handshake = Some(a.full_handshake);
            d.established = Some(a.is_established());
            d.limited_by = a.limited_by.as_ref().map(|l| LimitDto {
                kind: l.kind.label(),
                detail: l.detail.clone(),
            });
            d.legacy_cipher_only = Some(a.legacy_cipher_only);
        }
        VersionResult::Rejected(Rejection::Alert(desc)) => {
            d.alert = Some(crate::proto::tls::alert_name(*desc));
            d.stage = Some("handshake");
        }
        VersionResult::Rejected(Rejection::AlertAfter { alert, after }) => {
            d.alert = Some(crate::proto::tls::alert_name(*alert));
            d.after = Some(after);
            d.stage = Some("handshake");
        }
        VersionResult::Rejected(Rejection::OtherVersion { answered, .. }) => {
            d.answered_version = Some(
                TlsVersion::from_wire(*answered)
                    .map(|v| v.label().to_owned())
                    .unwrap_or_else(|| crate::proto::tls::wire_version_name(*answered)),
            );
            d.stage = Some("handshake");
        }
        VersionResult::Rejected(Rejection::Handshake(e)) => {
            d.error = Some(e.clone());
            d.stage = Some("handshake");
        }
        VersionResult::Dropped { stage, detail } | VersionResult::Unknown { stage, detail } => {
            d.stage = Some(stage.label());
            d.error = Some(detail.clone());
        }
        VersionResult::Timeout { stage } => d.stage = Some(stage.label()),
        VersionResult::NotTested(n) => {
            d.reason = Some(n.label());
            match n {
                NotTested::StarttlsRefused(r)
                | NotTested::GreetingRejected(r)
                | NotTested::EhloRefused(r)
                | NotTested::Throttled(r) => d.reply = Some(reply_text(r)),
                NotTested::EarlierStage { stage, error } => {
                    d.stage = Some(stage.label());
                    d.error = Some(error.clone());
                }
                NotTested::Deadline { stage } => d.stage = Some(stage.label()),
                NotTested::NoStarttls | NotTested::Interrupted => {}
            }
        }
    }
    d
}

/// A transcript in JSON, one object per event.
pub(crate) fn events(t: &Transcript) -> Vec<EventDto<'_>> {
    t.iter()
        .map(|e| EventDto {
            at_ms: e.at.as_millis(),
            dir: match e.direction {
                Direction::Sent => "sent",
                Direction::Received => "received",
                Direction::Note => "note",
            },
            text: &e.text,
        })
        .collect()
}

/// The key that names a server in `servers[].key` and
/// `findings[].servers`: `HOST/ADDRESS:PORT`, or `ADDRESS:PORT` when the
/// server was given by address.
pub fn server_key(s: &ServerObservation) -> String {
    match &s.host {
        Some(h) => format!("{h}/{}", s.address),
        None => s.address.to_string(),
    }
}

fn server_dto<'a>(s: &'a ServerObservation, verdict: Verdict, transcript: bool) -> ServerDto<'a> {
    let versions = s
        .versions
        .iter()
        .map(|p| (p.version.label(), version_dto(p)))
        .collect();
    let version_list = s
        .versions
        .iter()
        .map(|p| VersionItemDto {
            version: p.version.label(),
            result: version_dto(p),
        })
        .collect();
    let accepted_versions = s
        .versions
        .iter()
        .filter(|p| matches!(p.result, VersionResult::Accepted(_)))
        .map(|p| p.version.label())
        .collect();
    let transcript = transcript.then(|| {
        let mut m = BTreeMap::new();
        m.insert("policy", events(&s.policy.transcript));
        for p in &s.versions {
            m.insert(p.version.label(), events(&p.transcript));
        }
        m
    });
    ServerDto {
        key: server_key(s),
        host: s.host.as_deref(),
        exchange: s.preference.and(s.host.as_deref()),
        preference: s.preference,
        verdict: verdict.label(),
        sni: s.sni.as_deref(),
        address: s.address.ip().to_string(),
        port: s.address.port(),
        implicit_tls: s.starttls == crate::model::StarttlsStatus::Implicit,
        banner: s.banner.as_ref().map(reply_text),
        ehlo_extensions: s
            .ehlo
            .as_ref()
            .map(|e| e.extensions.iter().map(String::as_str).collect())
            .unwrap_or_default(),
        used_helo: s.ehlo.as_ref().map(|e| e.used_helo),
        starttls: s.starttls.label(),
        starttls_reply: match &s.starttls {
            crate::model::StarttlsStatus::Refused(r) => Some(reply_text(r)),
            _ => None,
        },
        requires_tls: s.policy.requires_tls,
        mail_from_reply: s.policy.mail_from.as_ref().map(reply_text),
        server_software: server_software(s),
        versions,
        accepted_versions,
        version_list,
        certificate: s.certificate.as_ref().map(|c| CertDto {
            subject: &c.subject,
            sans: &c.sans,
            issuer: &c.issuer,
            not_before: &c.not_before,
            not_after: &c.not_after,
            days_left: c.days_left,
            key_type: &c.key_type,
            key_bits: c.key_bits,
            signature_algorithm: &c.signature_algorithm,
            chain_len: c.chain_len,
            verdict: c.verdict.label(),
            verdict_detail: match &c.verdict {
                crate::model::CertVerdict::NameMismatch { expected } => {
                    Some(format!("expected {expected}"))
                }
                crate::model::CertVerdict::Invalid(why) => Some(why.clone()),
                _ => None,
            },
            from_version: c.from_version.label(),
        }),
        error: s.error.as_ref().map(|e| ErrorDto {
            stage: e.stage.label(),
            message: &e.message,
            timed_out: e.timed_out,
            kind: e.kind.label(),
        }),
        elapsed_ms: s.elapsed.as_millis(),
        transcript,
        suites: crate::report::suites::dto(s),
    }
}

/// The software the greeting and EHLO reveal; `null` when the server
/// never greeted.
/// Unknown (`null`) when the server never greeted.
fn server_software(s: &ServerObservation) -> Option<&'static str> {
    s.banner
        .as_ref()
        .map(|_| crate::diagnose::findings::software(s).label())
}

fn finding_dto<'a>(f: &'a Finding, t: &TargetReport) -> FindingDto<'a> {
    let servers = t
        .servers
        .iter()
        .zip(&t.server_findings)
        .filter(|(_, ids)| ids.contains(&f.id))
        .map(|(s, _)| server_key(s))
        .collect();
    FindingDto {
        id: f.id.as_str(),
        severity: f.severity.label(),
        title: &f.title,
        servers,
        evidence: &f.evidence,
        signatures: signature_dtos(&f.signatures),
        remediation: &f.remediation,
        fix: f.fix.map(|x| FixDto {
            software: x.software.label(),
            title: x.remediation.title,
            steps: x.remediation.steps,
            snippet: x.remediation.snippet.map(SnippetDto::from),
        }),
    }
}

/// Builds the DTO of one target. `standalone` adds the run-level keys an
/// NDJSON line needs to stand on its own.
pub fn target_dto<'a>(
    t: &'a TargetReport,
    transcript: bool,
    standalone: Option<&'a str>,
) -> TargetDto<'a> {
    TargetDto {
        kind: standalone.map(|_| "target"),
        schema_version: standalone.map(|_| SCHEMA_VERSION),
        tool: standalone.map(|_| tool()),
        started_at: standalone,
        input: &t.input,
        mode: t.mode.label(),
        verdict: t.verdict.label(),
        interrupted: t.interrupted,
        summary: &t.summary,
        dns: t.dns.as_ref().map(crate::report::dns::json),
        servers: t
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let v = t.server_verdicts.get(i).copied().unwrap_or(t.verdict);
                server_dto(s, v, transcript)
            })
            .collect(),
        findings: t.findings.iter().map(|f| finding_dto(f, t)).collect(),
        policy: t.policy.as_ref().map(crate::report::policy::json),
    }
}

/// This program's name and version, for `tool`.
pub(crate) fn tool() -> ToolDto {
    ToolDto {
        name: "tlscheck",
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// The JSON document of a run, pretty-printed, with a final newline.
pub fn render(r: &RunReport, transcript: bool) -> String {
    let dto = RunDto {
        kind: "run",
        schema_version: SCHEMA_VERSION,
        tool: tool(),
        started_at: &r.started_at,
        finished_at: &r.finished_at,
        interrupted: r.interrupted,
        exit_code: r.exit.code(),
        targets: r
            .targets
            .iter()
            .map(|t| target_dto(t, transcript, None))
            .collect(),
        invalid: r.invalid.iter().map(invalid_dto).collect(),
    };
    to_document(&dto, true, Some("run"))
}

/// One NDJSON line for a finished target, with a final newline.
pub fn render_line(t: &TargetReport, started_at: &str, transcript: bool) -> String {
    to_document(
        &target_dto(t, transcript, Some(started_at)),
        false,
        Some("target"),
    )
}
