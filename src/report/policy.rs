//! The "policy" section of a mail domain's report: trust anchor, DNSSEC
//! status of the MX answer, per exchange its TLSA records and what
//! matched which certificate in both views (RFC 7672 and Exchange
//! Online), MTA-STS (record, policy, per-MX result) and TLS-RPT. One list
//! of lines for text and Markdown; the `policy` object of the JSON output.
//! Policy text comes from the domain's owner: sanitized in text and
//! Markdown, exact in JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnose::policy::{DaneState, ExchangeVerdict, PolicyReport};
use crate::model::policy::{Answer, DnssecStatus, ExchangeDane, PolicyFetch, TlsRptObservation};
use crate::proto::policy::TlsaUsage;
use crate::report::style::palette::{Palette, Tone};
use crate::report::style::sanitize;

fn status(s: &DnssecStatus) -> String {
    match s.reason() {
        Some(why) => format!("{} ({why})", s.label()),
        None => s.label().to_owned(),
    }
}

fn answer_words<T>(a: &Answer<T>) -> String {
    match a {
        Answer::Records(r) => format!("{} record(s)", r.len()),
        Answer::NoData => "no record".to_owned(),
        Answer::NxDomain => "name does not exist".to_owned(),
        Answer::Failed(why) => format!("lookup failed: {why}"),
    }
}

/// `(depth, words, is_problem)`.
type Line = (usize, String, bool);

fn lines(r: &PolicyReport) -> Vec<Line> {
    let o = &r.observation;
    let mut v: Vec<Line> = Vec::new();
    v.push((0, format!("trust anchor: {}", o.anchor), false));
    let mx_bad = matches!(o.mx.status, DnssecStatus::Bogus(_));
    v.push((
        0,
        format!("MX {}: DNSSEC {}", o.mx.name, status(&o.mx.status)),
        mx_bad,
    ));
    for x in &r.dane {
        exchange_lines(x, &mut v);
    }
    let sts = &o.mta_sts;
    let record = match &sts.record {
        None => format!("MTA-STS: no record ({})", answer_words(&sts.txt)),
        Some(Ok(rec)) => format!("MTA-STS: record id={}", rec.id),
        Some(Err(why)) => format!("MTA-STS: record invalid: {why}"),
    };
    v.push((0, record, matches!(sts.record, Some(Err(_)))));
    match &sts.fetch {
        PolicyFetch::NotFetched => {}
        PolicyFetch::Failed { kind, detail } => {
            v.push((1, format!("policy {}: {kind}: {detail}", sts.url), true));
        }
        PolicyFetch::Response {
            status,
            content_type,
            location,
            body,
            oversized,
            body_timed_out,
        } => {
            let mut s = format!(
                "policy {}: HTTP {status}, {}, {} bytes",
                sts.url,
                content_type.as_deref().unwrap_or("no Content-Type"),
                body.len()
            );
            if let Some(l) = location {
                let _ = write!(s, ", Location {l} (not followed)");
            }
            if *oversized {
                s.push_str(", cut: too large");
            }
            if *body_timed_out {
                s.push_str(", cut: too slow");
            }
            v.push((1, s, *status != 200 || *oversized || *body_timed_out));
        }
    }
    match &sts.policy {
        Some(Ok(p)) => v.push((
            1,
            format!(
                "mode {}, max_age {}, mx {}",
                p.mode.label(),
                p.max_age,
                p.mx.join(", ")
            ),
            false,
        )),
        Some(Err(why)) => v.push((1, format!("policy invalid: {why}"), true)),
        None => {}
    }
    for x in &r.mta_sts {
        let pattern = match &x.pattern {
            Some(p) => format!("matches {p}"),
            None => "matches no mx pattern".to_owned(),
        };
        let mut bad = x.pattern.is_none();
        let certs: Vec<String> = x
            .certificates
            .iter()
            .map(|(addr, c)| match c {
                Some(Ok(())) => format!("{addr} certificate valid"),
                Some(Err(why)) => {
                    bad = true;
                    format!("{addr} fails the policy: {why}")
                }
                None => format!("{addr} no certificate seen"),
            })
            .collect();
        let tail = if certs.is_empty() {
            String::new()
        } else {
            format!("; {}", certs.join("; "))
        };
        v.push((1, format!("{}: {pattern}{tail}", x.exchange), bad));
    }
    let rpt = &o.tls_rpt;
    let line = match &rpt.record {
        None => (
            format!("TLS-RPT: no record ({})", answer_words(&rpt.txt)),
            false,
        ),
        Some(Ok(rec)) => (format!("TLS-RPT: rua {}", rec.rua.join(", ")), false),
        Some(Err(why)) => (format!("TLS-RPT: record invalid: {why}"), true),
    };
    v.push((0, line.0, line.1));
    v
}

fn exchange_lines(x: &ExchangeVerdict, v: &mut Vec<Line>) {
    let state = match &x.state {
        DaneState::Applies => "DANE applies".to_owned(),
        DaneState::NoRecords => "no TLSA records".to_owned(),
        DaneState::NotApplied(why) => format!("DANE not applied: {why}"),
        DaneState::DnssecFailure(why) => format!("DNSSEC failure: {why}"),
    };
    v.push((
        0,
        format!("exchange {} {}: {state}", x.preference, x.exchange),
        matches!(x.state, DaneState::DnssecFailure(_)),
    ));
    for (i, rec) in x.records.iter().enumerate() {
        let usage = TlsaUsage::from(rec.record.usage);
        let mut s = format!("TLSA #{} {} [{usage}]", i + 1, rec.record.presentation());
        if let Some(why) = &rec.unusable {
            let _ = write!(s, ": unusable: {why}");
        }
        v.push((1, s, false));
    }
    for server in &x.servers {
        let exo = match &server.exo {
            Some(Ok(())) => "Exchange Online: delivers".to_owned(),
            Some(Err(code)) => format!("Exchange Online: {code}"),
            None => "Exchange Online: not judged (no TLS 1.2/1.3 session)".to_owned(),
        };
        v.push((
            1,
            format!("server {}: {exo}", server.address),
            matches!(server.exo, Some(Err(_))),
        ));
        for se in &server.sessions {
            let matches = if se.matches.is_empty() {
                "no record matched".to_owned()
            } else {
                se.matches
                    .iter()
                    .map(|m| {
                        let rfc = match &m.rfc {
                            Ok(()) => "RFC 7672 ok".to_owned(),
                            Err(why) => format!("RFC 7672: {why}"),
                        };
                        let exo = match m.exo {
                            Ok(()) => "Exchange Online ok",
                            Err(code) => code,
                        };
                        format!(
                            "TLSA #{} matched certificate {} ({rfc}; {exo})",
                            m.record + 1,
                            m.certificate
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            v.push((
                2,
                format!(
                    "{} ({} certificates): {matches}; RFC 7672 {}",
                    se.version,
                    se.chain_len,
                    if se.rfc_ok {
                        "authenticated"
                    } else {
                        "not authenticated"
                    }
                ),
                se.exo.is_err(),
            ));
        }
    }
}

/// The policy block of the text report.
pub fn text(r: &PolicyReport, p: &Palette) -> String {
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {}",
        p.paint("Policy (DNSSEC, DANE, MTA-STS, TLS-RPT)", Tone::Strong)
    );
    for (depth, words, bad) in lines(r) {
        let text = format!("{}{}", "  ".repeat(depth + 2), sanitize::line(&words));
        let tone = if bad { Tone::Warn } else { Tone::Plain };
        let _ = writeln!(out, "{}", p.paint(&text, tone));
    }
    out
}

/// The policy block of the Markdown report: a nested list.
pub fn markdown(r: &PolicyReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#### Policy (DNSSEC, DANE, MTA-STS, TLS-RPT)");
    let _ = writeln!(out);
    for (depth, words, _) in lines(r) {
        let _ = writeln!(out, "{}- {}", "  ".repeat(depth), sanitize::md_line(&words));
    }
    out
}

/// A DNSSEC status in JSON.
#[derive(Serialize)]
pub struct StatusDto<'a> {
    status: &'static str,
    reason: Option<&'a str>,
}

fn status_dto(s: &DnssecStatus) -> StatusDto<'_> {
    StatusDto {
        status: s.label(),
        reason: s.reason(),
    }
}

/// The `policy` object of a target.
#[derive(Serialize)]
pub struct PolicyDto<'a> {
    trust_anchor: &'a str,
    mx: MxDto<'a>,
    exchanges: Vec<ExchangeDto<'a>>,
    mta_sts: MtaStsDto<'a>,
    tls_rpt: TlsRptDto<'a>,
}

#[derive(Serialize)]
struct MxDto<'a> {
    name: &'a str,
    dnssec: StatusDto<'a>,
    answer: &'static str,
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct ExchangeDto<'a> {
    exchange: &'a str,
    preference: u16,
    address_dnssec: StatusDto<'a>,
    tlsa_name: &'a str,
    tlsa_dnssec: StatusDto<'a>,
    tlsa_answer: &'static str,
    tlsa_error: Option<&'a str>,
    dane: &'static str,
    dane_reason: Option<&'a str>,
    tlsa: Vec<TlsaDto<'a>>,
    servers: Vec<DaneServerDto<'a>>,
}

#[derive(Serialize)]
struct TlsaDto<'a> {
    usage: u8,
    selector: u8,
    matching: u8,
    data: String,
    unusable: Option<&'a str>,
}

#[derive(Serialize)]
struct DaneServerDto<'a> {
    address: &'a str,
    exo: Option<&'static str>,
    exo_code: Option<&'static str>,
    sessions: Vec<SessionDto<'a>>,
}

#[derive(Serialize)]
struct SessionDto<'a> {
    version: &'static str,
    chain_len: usize,
    rfc7672_authenticated: bool,
    exo_code: Option<&'static str>,
    matches: Vec<MatchDto<'a>>,
}

#[derive(Serialize)]
struct MatchDto<'a> {
    tlsa_index: usize,
    certificate_index: usize,
    rfc7672_error: Option<&'a str>,
    exo_code: Option<&'static str>,
}

#[derive(Serialize)]
struct MtaStsDto<'a> {
    txt: Vec<&'a str>,
    txt_answer: &'static str,
    record_id: Option<&'a str>,
    record_error: Option<&'a str>,
    url: &'a str,
    policy_addresses: Vec<String>,
    fetch: &'static str,
    fetch_error_kind: Option<&'static str>,
    fetch_error: Option<&'a str>,
    http_status: Option<u16>,
    content_type: Option<&'a str>,
    location: Option<&'a str>,
    body_bytes: Option<usize>,
    oversized: Option<bool>,
    body_timed_out: Option<bool>,
    mode: Option<&'static str>,
    max_age: Option<u64>,
    mx_patterns: Option<&'a [String]>,
    policy_warnings: Option<&'a [String]>,
    policy_error: Option<&'a str>,
    exchanges: Vec<StsExchangeDto<'a>>,
}

#[derive(Serialize)]
struct StsExchangeDto<'a> {
    exchange: &'a str,
    pattern: Option<&'a str>,
    certificates: Vec<StsCertDto<'a>>,
}

#[derive(Serialize)]
struct StsCertDto<'a> {
    address: &'a str,
    valid: Option<bool>,
    problem: Option<&'a str>,
}

#[derive(Serialize)]
struct TlsRptDto<'a> {
    txt: Vec<&'a str>,
    txt_answer: &'static str,
    rua: Option<&'a [String]>,
    record_error: Option<&'a str>,
}

fn failed<T>(a: &Answer<T>) -> Option<&str> {
    match a {
        Answer::Failed(why) => Some(why),
        _ => None,
    }
}

/// A record or policy that was read and parsed.
fn parsed<T>(v: &Option<Result<T, String>>) -> Option<&T> {
    v.as_ref().and_then(|r| r.as_ref().ok())
}

/// Why a record or policy that was read is invalid.
fn invalid<T>(v: &Option<Result<T, String>>) -> Option<&str> {
    v.as_ref()
        .and_then(|r| r.as_ref().err())
        .map(String::as_str)
}

/// The JSON of a policy section.
pub fn json(r: &PolicyReport) -> PolicyDto<'_> {
    let o = &r.observation;
    let exchanges = r
        .dane
        .iter()
        .zip(&o.exchanges)
        .map(|(v, x)| exchange_dto(v, x))
        .collect();
    PolicyDto {
        trust_anchor: &o.anchor,
        mx: MxDto {
            name: &o.mx.name,
            dnssec: status_dto(&o.mx.status),
            answer: o.mx.answer.label(),
            error: failed(&o.mx.answer),
        },
        exchanges,
        mta_sts: mta_sts_dto(r),
        tls_rpt: tls_rpt_dto(&o.tls_rpt),
    }
}

/// One exchange's DANE result in JSON.
fn exchange_dto<'a>(v: &'a ExchangeVerdict, x: &'a ExchangeDane) -> ExchangeDto<'a> {
    ExchangeDto {
        exchange: &v.exchange,
        preference: v.preference,
        address_dnssec: status_dto(&x.address_status),
        tlsa_name: &x.tlsa.name,
        tlsa_dnssec: status_dto(&x.tlsa.status),
        tlsa_answer: x.tlsa.answer.label(),
        tlsa_error: failed(&x.tlsa.answer),
        dane: v.state.label(),
        dane_reason: match &v.state {
            DaneState::NotApplied(w) | DaneState::DnssecFailure(w) => Some(w),
            _ => None,
        },
        tlsa: v
            .records
            .iter()
            .map(|t| TlsaDto {
                usage: t.record.usage,
                selector: t.record.selector,
                matching: t.record.matching,
                data: t.record.data.iter().map(|b| format!("{b:02x}")).collect(),
                unusable: t.unusable.as_deref(),
            })
            .collect(),
        servers: v
            .servers
            .iter()
            .map(|s| DaneServerDto {
                address: &s.address,
                exo: s.exo.map(|e| if e.is_ok() { "delivers" } else { "fails" }),
                exo_code: s.exo.and_then(Result::err),
                sessions: s
                    .sessions
                    .iter()
                    .map(|se| SessionDto {
                        version: se.version.label(),
                        chain_len: se.chain_len,
                        rfc7672_authenticated: se.rfc_ok,
                        exo_code: se.exo.err(),
                        matches: se
                            .matches
                            .iter()
                            .map(|m| MatchDto {
                                tlsa_index: m.record,
                                certificate_index: m.certificate,
                                rfc7672_error: m.rfc.as_ref().err().map(String::as_str),
                                exo_code: m.exo.err(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The `mta_sts` object.
fn mta_sts_dto(r: &PolicyReport) -> MtaStsDto<'_> {
    let o = &r.observation;
    let sts = &o.mta_sts;
    let (fetch_error_kind, fetch_error) = match &sts.fetch {
        PolicyFetch::Failed { kind, detail } => (Some(*kind), Some(detail.as_str())),
        _ => (None, None),
    };
    let response = match &sts.fetch {
        PolicyFetch::Response {
            status,
            content_type,
            location,
            body,
            oversized,
            body_timed_out,
        } => Some((
            *status,
            content_type.as_deref(),
            location.as_deref(),
            body.len(),
            *oversized,
            *body_timed_out,
        )),
        _ => None,
    };
    let policy = parsed(&sts.policy);
    MtaStsDto {
        txt: sts.txt.records().iter().map(String::as_str).collect(),
        txt_answer: sts.txt.label(),
        record_id: parsed(&sts.record).map(|r| r.id.as_str()),
        record_error: invalid(&sts.record),
        url: &sts.url,
        policy_addresses: sts
            .policy_addresses
            .iter()
            .map(ToString::to_string)
            .collect(),
        fetch: sts.fetch.label(),
        fetch_error_kind,
        fetch_error,
        http_status: response.map(|r| r.0),
        content_type: response.and_then(|r| r.1),
        location: response.and_then(|r| r.2),
        body_bytes: response.map(|r| r.3),
        oversized: response.map(|r| r.4),
        body_timed_out: response.map(|r| r.5),
        mode: policy.map(|p| p.mode.label()),
        max_age: policy.map(|p| p.max_age),
        mx_patterns: policy.map(|p| p.mx.as_slice()),
        policy_warnings: policy.map(|p| p.warnings.as_slice()),
        policy_error: invalid(&sts.policy),
        exchanges: r
            .mta_sts
            .iter()
            .map(|x| StsExchangeDto {
                exchange: &x.exchange,
                pattern: x.pattern.as_deref(),
                certificates: x
                    .certificates
                    .iter()
                    .map(|(address, c)| StsCertDto {
                        address,
                        valid: c.as_ref().map(Result::is_ok),
                        problem: c
                            .as_ref()
                            .and_then(|c| c.as_ref().err())
                            .map(String::as_str),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The `tls_rpt` object.
fn tls_rpt_dto(rpt: &TlsRptObservation) -> TlsRptDto<'_> {
    TlsRptDto {
        txt: rpt.txt.records().iter().map(String::as_str).collect(),
        txt_answer: rpt.txt.label(),
        rua: parsed(&rpt.record).map(|r| r.rua.as_slice()),
        record_error: invalid(&rpt.record),
    }
}
