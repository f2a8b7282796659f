//! Rendering of sender-profile checks and the `--ciphers` enumeration
//! (text, Markdown, JSON DTOs) and of `tlscheck profiles`. Renderers only
//! render: the lines are built once here and styled by the caller.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cli::Format;
use crate::model::ServerObservation;
use crate::proto::tls::profiles::{self, Profile};
use crate::proto::tls::suites::{
    key_exchange, weaknesses, ProfileCheck, ProfileOutcome, ScanEnd, ServerOrder, SuiteSeen,
    VersionSuites,
};
use crate::proto::tls::{cipher_name, group_name};

/// Suites shown on a version's compact line before "+N more".
pub const COMPACT_SUITES: usize = 3;

/// The display name of a profile id.
pub fn profile_name(id: &str) -> &'static str {
    profiles::name_of(id)
}

/// A suite with what came with it: `TLS_… (x25519; RSA 2048, sha256WithRSAEncryption)`.
pub fn suite_detail(s: &SuiteSeen) -> String {
    let mut extra = Vec::new();
    if let Some(g) = s.group {
        extra.push(group_name(g));
    }
    if let Some(b) = s.dh_bits {
        extra.push(format!("DHE {b} bits"));
    }
    if let Some(c) = &s.cert {
        extra.push(format!(
            "{}, {}",
            crate::report::table::key_words(&c.key_type, c.key_bits),
            c.signature_algorithm
        ));
    }
    let weak: Vec<&str> = weaknesses(s.suite).iter().map(|w| w.label()).collect();
    if !weak.is_empty() {
        extra.push(format!("WEAK: {}", weak.join(", ")));
    }
    if extra.is_empty() {
        cipher_name(s.suite)
    } else {
        format!("{} ({})", cipher_name(s.suite), extra.join("; "))
    }
}

/// One line for a profile check.
pub fn profile_line(c: &ProfileCheck) -> String {
    let name = profile_name(c.profile);
    match &c.outcome {
        ProfileOutcome::Negotiated { version, suite } => {
            format!(
                "{name}: can negotiate {version} with {}",
                suite_detail(suite)
            )
        }
        ProfileOutcome::Refused { detail } => {
            format!("{name}: cannot negotiate TLS: the server refused its documented ClientHello ({detail})")
        }
        ProfileOutcome::Inconclusive { detail } => {
            format!("{name}: inconclusive ({detail})")
        }
    }
}

fn end_note(v: &VersionSuites) -> Option<String> {
    match &v.end {
        ScanEnd::Complete | ScanEnd::Exhausted => None,
        ScanEnd::Bound { hellos } => Some(format!(
            "stopped at the bound of {hellos} ClientHellos: the server may accept more"
        )),
        ScanEnd::Misbehaved(why) => Some(format!("enumeration stopped: the server {why}")),
        ScanEnd::Incomplete(why) => Some(format!("incomplete: {why}")),
    }
}

fn order_words(o: ServerOrder) -> &'static str {
    match o {
        ServerOrder::Enforced => "server's order",
        ServerOrder::ClientOrder => "server follows the client's order",
        ServerOrder::Unknown => "order not established",
    }
}

/// The compact line for one version: count, order, groups, hellos, then
/// the first suites (last, so a width cap cuts only names that the lines
/// below list anyway).
pub fn version_line(v: &VersionSuites) -> String {
    let mut line = if v.accepted.is_empty() {
        match (&v.refusal, v.end.is_complete()) {
            (Some(r), true) => format!("none accepted ({r})"),
            _ => "none seen".to_owned(),
        }
    } else {
        format!("{} accepted ({})", v.accepted.len(), order_words(v.order))
    };
    if let Some(note) = end_note(v) {
        let _ = write!(line, "; {note}");
    }
    let mut hellos = v.hellos;
    if let Some(g) = &v.groups {
        hellos += g.hellos;
        let names: Vec<String> = g.accepted.iter().map(|n| group_name(*n)).collect();
        let names = if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        };
        let _ = write!(line, "; groups {names}");
        if !g.end.is_complete() {
            let _ = write!(line, " ({})", g.end.label());
        }
    }
    let _ = write!(line, " [{hellos} ClientHellos]");
    if !v.accepted.is_empty() {
        let first: Vec<String> = v
            .accepted
            .iter()
            .take(COMPACT_SUITES)
            .map(|s| cipher_name(s.suite))
            .collect();
        let _ = write!(line, ": {}", first.join(", "));
        let more = v.accepted.len().saturating_sub(COMPACT_SUITES);
        if more > 0 {
            let _ = write!(line, ", +{more} more");
        }
    }
    line
}

/// The text lines for one server's suites, each with its label.
pub fn lines(s: &ServerObservation) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in &s.suites.profiles {
        out.push(("sender".to_owned(), profile_line(c)));
    }
    if let Some(scan) = &s.suites.scan {
        for v in &scan.versions {
            out.push((
                "suites".to_owned(),
                format!("{}: {}", v.version, version_line(v)),
            ));
            for seen in &v.accepted {
                out.push((String::new(), format!("  {}", suite_detail(seen))));
            }
        }
    }
    out
}

/// JSON: one profile check.
#[derive(Serialize)]
pub struct ProfileCheckDto {
    profile: &'static str,
    name: &'static str,
    source_url: Option<&'static str>,
    source_date: Option<&'static str>,
    result: &'static str,
    version: Option<&'static str>,
    suite: Option<SuiteDto>,
    detail: Option<String>,
}

/// JSON: one suite seen.
#[derive(Serialize)]
pub struct SuiteDto {
    name: String,
    id: u16,
    key_exchange: &'static str,
    group: Option<String>,
    dh_bits: Option<u32>,
    cert_key_type: Option<String>,
    cert_key_bits: Option<u32>,
    cert_signature_algorithm: Option<String>,
    weaknesses: Vec<&'static str>,
}

/// JSON: one version's enumeration.
#[derive(Serialize)]
pub struct VersionSuitesDto {
    accepted: Vec<SuiteDto>,
    order: &'static str,
    end: &'static str,
    end_detail: Option<String>,
    refusal: Option<String>,
    client_hellos: usize,
    groups: Option<GroupsDto>,
}

/// JSON: one version's groups.
#[derive(Serialize)]
pub struct GroupsDto {
    accepted: Vec<String>,
    end: &'static str,
    client_hellos: usize,
}

/// JSON: the enumeration.
#[derive(Serialize)]
pub struct CipherScanDto {
    versions: std::collections::BTreeMap<&'static str, VersionSuitesDto>,
    elapsed_ms: u64,
}

/// JSON: a server's `suites` member.
#[derive(Serialize)]
pub struct SuitesDto {
    profiles: Vec<ProfileCheckDto>,
    ciphers: Option<CipherScanDto>,
}

fn suite_dto(s: &SuiteSeen) -> SuiteDto {
    SuiteDto {
        name: cipher_name(s.suite),
        id: u16::from(s.suite),
        key_exchange: key_exchange(s.suite).label(),
        group: s.group.map(group_name),
        dh_bits: s.dh_bits,
        cert_key_type: s.cert.as_ref().map(|c| c.key_type.clone()),
        cert_key_bits: s.cert.as_ref().and_then(|c| c.key_bits),
        cert_signature_algorithm: s.cert.as_ref().map(|c| c.signature_algorithm.clone()),
        weaknesses: weaknesses(s.suite).iter().map(|w| w.label()).collect(),
    }
}

/// The `suites` member of a server in JSON.
pub fn dto(s: &ServerObservation) -> SuitesDto {
    SuitesDto {
        profiles: s
            .suites
            .profiles
            .iter()
            .map(|c| {
                let (version, suite, detail) = match &c.outcome {
                    ProfileOutcome::Negotiated { version, suite } => {
                        (Some(version.label()), Some(suite_dto(suite)), None)
                    }
                    ProfileOutcome::Refused { detail }
                    | ProfileOutcome::Inconclusive { detail } => (None, None, Some(detail.clone())),
                };
                let source = profiles::by_id(c.profile);
                ProfileCheckDto {
                    profile: c.profile,
                    name: profile_name(c.profile),
                    source_url: source.map(|p| p.url),
                    source_date: source.map(|p| p.source_date),
                    result: c.outcome.label(),
                    version,
                    suite,
                    detail,
                }
            })
            .collect(),
        ciphers: s.suites.scan.as_ref().map(|scan| CipherScanDto {
            versions: scan
                .versions
                .iter()
                .map(|v| {
                    (
                        v.version.label(),
                        VersionSuitesDto {
                            accepted: v.accepted.iter().map(suite_dto).collect(),
                            order: v.order.label(),
                            end: v.end.label(),
                            end_detail: end_note(v),
                            refusal: v.refusal.clone(),
                            client_hellos: v.hellos,
                            groups: v.groups.as_ref().map(|g| GroupsDto {
                                accepted: g.accepted.iter().map(|n| group_name(*n)).collect(),
                                end: g.end.label(),
                                client_hellos: g.hellos,
                            }),
                        },
                    )
                })
                .collect(),
            elapsed_ms: scan.elapsed_ms,
        }),
    }
}

#[derive(Serialize)]
struct ProfileDto {
    id: &'static str,
    name: &'static str,
    source: &'static str,
    url: &'static str,
    source_date: &'static str,
    versions: Vec<&'static str>,
    tls12_suites: Vec<String>,
    tls13_suites: Vec<String>,
    groups: Vec<String>,
    undocumented: &'static [&'static str],
}

fn profile_dto(p: &Profile) -> ProfileDto {
    ProfileDto {
        id: p.id,
        name: p.name,
        source: p.source,
        url: p.url,
        source_date: p.source_date,
        versions: p.versions.iter().map(|v| v.label()).collect(),
        tls12_suites: p.tls12_suites.iter().map(|c| cipher_name(*c)).collect(),
        tls13_suites: p.tls13_suites.iter().map(|c| cipher_name(*c)).collect(),
        groups: p.groups.iter().map(|g| group_name(*g)).collect(),
        undocumented: p.undocumented,
    }
}

/// `tlscheck profiles` in the chosen format.
pub fn render_profiles(format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Json | Format::Ndjson => {
            let list: Vec<ProfileDto> = profiles::ALL.iter().map(|p| profile_dto(p)).collect();
            out = crate::report::json::to_document(
                &serde_json::json!({
                    "kind": "profiles",
                    "schema_version": crate::report::json::SCHEMA_VERSION,
                    "tool": crate::report::json::tool(),
                    "profiles": list,
                }),
                format == Format::Json,
                Some("profiles"),
            );
        }
        Format::Markdown => {
            for p in profiles::ALL {
                let _ = writeln!(out, "### {} (`{}`)\n", p.name, p.id);
                let _ = writeln!(
                    out,
                    "Source: [{}]({}), {}\n",
                    p.source, p.url, p.source_date
                );
                let versions: Vec<String> = p.versions.iter().map(|v| v.to_string()).collect();
                let _ = writeln!(out, "- versions: {}", versions.join(", "));
                for (v, list) in [("TLS 1.3", p.tls13_suites), ("TLS 1.2", p.tls12_suites)] {
                    if !list.is_empty() {
                        let names: Vec<String> = list
                            .iter()
                            .map(|c| format!("`{}`", cipher_name(*c)))
                            .collect();
                        let _ = writeln!(out, "- {v} suites: {}", names.join(", "));
                    }
                }
                for u in p.undocumented {
                    let _ = writeln!(out, "- not documented: {u}");
                }
                let _ = writeln!(out);
            }
        }
        Format::Text => {
            for p in profiles::ALL {
                let _ = writeln!(out, "{} ({})", p.name, p.id);
                let _ = writeln!(out, "  source   {}", p.source);
                let _ = writeln!(out, "           {} ({})", p.url, p.source_date);
                let versions: Vec<String> = p.versions.iter().map(|v| v.to_string()).collect();
                let _ = writeln!(out, "  versions {}", versions.join(", "));
                for (v, list) in [("TLS 1.3", p.tls13_suites), ("TLS 1.2", p.tls12_suites)] {
                    for (i, c) in list.iter().enumerate() {
                        let head = if i == 0 { v } else { "" };
                        let _ = writeln!(out, "  {head:<8} {}", cipher_name(*c));
                    }
                }
                for u in p.undocumented {
                    let _ = writeln!(out, "  note     {u}");
                }
                let _ = writeln!(out);
            }
        }
    }
    out
}
