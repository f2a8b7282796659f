//! The DNS part of a target's report: resolver, MX records with their
//! preference and addresses, and what DNS said when it did not answer
//! with MX records. Shared words for text and Markdown, and the `dns`
//! object of the JSON output.

use std::fmt::Write as _;
use std::net::IpAddr;

use serde::Serialize;

use crate::model::outcome::{DnsAnswer, DnsSection};
use crate::net::dns::{DnsError, DnsWarning, MailRouting, MxExchange};
use crate::report::style::palette::{Palette, Tone};
use crate::report::style::sanitize;

fn addresses(x: &[IpAddr]) -> String {
    if x.is_empty() {
        "no address".to_owned()
    } else {
        x.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One line of the DNS block: words (raw; renderers sanitize) and whether
/// they describe a problem.
enum Line<'a> {
    /// A sentence.
    Say(String, bool),
    /// An MX record, shown as a row under the "MX records" sentence.
    Exchange(&'a MxExchange),
}

/// The DNS answer as lines, in the order they are shown.
fn lines(d: &DnsSection) -> Vec<Line<'_>> {
    let mut v = Vec::new();
    match &d.answer {
        DnsAnswer::Host(h) => {
            v.push(Line::Say(
                format!("host {}: {}", d.query, addresses(&h.addresses)),
                h.addresses.is_empty(),
            ));
            if let Some(a) = &h.alias_target {
                v.push(Line::Say(format!("{} is an alias of {a}", d.query), false));
            }
            for w in &h.warnings {
                if matches!(w, DnsWarning::FilteredOut { .. }) {
                    v.push(Line::Say(format!("warning: {w}"), true));
                }
            }
            if let Some(e) = &h.error {
                v.push(Line::Say(format!("error: {e}"), true));
            }
        }
        DnsAnswer::Mail(r) => match r {
            MailRouting::Mx { exchanges } => {
                v.push(Line::Say(format!("MX records of {}:", d.query), false));
                v.extend(exchanges.iter().map(Line::Exchange));
            }
            MailRouting::ImplicitMx {
                addresses: a,
                error,
                warnings: w,
                ..
            } => {
                v.push(Line::Say(
                    format!(
                        "{} has no MX records: it is its own mail server (implicit MX, RFC 5321 §5.1): {}",
                        d.query,
                        addresses(a)
                    ),
                    false,
                ));
                if let Some(e) = error {
                    v.push(Line::Say(format!("error: {e}"), true));
                }
                for w in w {
                    v.push(Line::Say(format!("warning: {w}"), true));
                }
            }
            MailRouting::NullMx => v.push(Line::Say(
                format!(
                    "{} has a null MX (\"0 .\", RFC 7505): the domain accepts no mail",
                    d.query
                ),
                false,
            )),
            MailRouting::NxDomain => v.push(Line::Say(
                format!("{} does not exist (NXDOMAIN)", d.query),
                true,
            )),
            MailRouting::NoMailRecords => v.push(Line::Say(
                format!("{} has no MX, A or AAAA records", d.query),
                true,
            )),
            MailRouting::Failed(e) => v.push(Line::Say(
                format!("lookup of {} failed: {e}", d.query),
                true,
            )),
        },
    }
    v
}

/// True when an exchange cannot be delivered to as it stands.
fn is_problem(x: &MxExchange) -> bool {
    x.addresses.is_empty() || x.error.is_some()
}

/// What follows an exchange's addresses: equal preference, warnings, error.
fn exchange_notes(x: &MxExchange) -> String {
    let mut s = String::new();
    if x.equal_preference {
        s.push_str("  (equal preference)");
    }
    for w in &x.warnings {
        let _ = write!(s, "  [warning: {w}]");
    }
    if let Some(e) = &x.error {
        let _ = write!(s, "  [error: {e}]");
    }
    s
}

/// The DNS block of the text report. MX records are rows with the
/// preference, name and addresses in aligned columns.
pub fn text(d: &DnsSection, p: &Palette) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {} {}",
        p.paint("resolver", Tone::Dim),
        sanitize::field(&d.resolver)
    );
    let lines = lines(d);
    let exchanges = || {
        lines.iter().filter_map(|l| match l {
            Line::Exchange(x) => Some(*x),
            Line::Say(..) => None,
        })
    };
    let pref_width = exchanges()
        .map(|x| x.preference.to_string().len())
        .max()
        .unwrap_or(0);
    let name_width = exchanges()
        .map(|x| sanitize::field(&x.exchange).chars().count())
        .max()
        .unwrap_or(0);
    for line in &lines {
        let (text, bad) = match line {
            Line::Say(text, bad) => (format!("  {}", sanitize::line(text)), *bad),
            Line::Exchange(x) => {
                let name = sanitize::field(&x.exchange);
                let pad = name_width.saturating_sub(name.chars().count());
                (
                    format!(
                        "    {:>pref_width$}  {name}{}  {}{}",
                        x.preference,
                        " ".repeat(pad),
                        addresses(&x.addresses),
                        sanitize::line(&exchange_notes(x))
                    ),
                    is_problem(x),
                )
            }
        };
        let tone = if bad { Tone::Warn } else { Tone::Plain };
        let _ = writeln!(out, "{}", p.paint(&text, tone));
    }
    out
}

/// The DNS block of the Markdown report: MX records as a nested list. The
/// resolver is in the report header.
pub fn markdown(d: &DnsSection) -> String {
    let mut out = String::new();
    for line in lines(d) {
        match line {
            Line::Say(text, _) => {
                let _ = writeln!(out, "- {}", sanitize::md_line(&text));
            }
            Line::Exchange(x) => {
                let _ = writeln!(
                    out,
                    "  - {} {}: {}{}",
                    x.preference,
                    sanitize::md_field(&x.exchange),
                    addresses(&x.addresses),
                    sanitize::md_line(&exchange_notes(x))
                );
            }
        }
    }
    out
}

/// A DNS error in JSON: `{"kind": "timeout", "message": "…"}`.
#[derive(Serialize)]
pub struct ErrorDto {
    kind: &'static str,
    message: String,
}

impl ErrorDto {
    fn new(e: &DnsError) -> Self {
        Self {
            kind: e.label(),
            message: e.to_string(),
        }
    }
}

/// A DNS warning in JSON: `{"kind": "mx_is_cname", "message": "…"}`.
#[derive(Serialize)]
pub struct WarningDto {
    kind: &'static str,
    message: String,
}

fn warnings(w: &[DnsWarning]) -> Vec<WarningDto> {
    w.iter()
        .map(|w| WarningDto {
            kind: w.label(),
            message: w.to_string(),
        })
        .collect()
}

/// One MX record in JSON.
#[derive(Serialize)]
pub struct MxDto<'a> {
    preference: u16,
    exchange: &'a str,
    equal_preference: bool,
    addresses: Vec<String>,
    warnings: Vec<WarningDto>,
    error: Option<ErrorDto>,
}

/// The `dns` object of a target in JSON (docs/schema.md), keys in the
/// order the schema lists them.
#[derive(Serialize)]
pub struct DnsDto<'a> {
    query: &'a str,
    resolver: &'a str,
    result: &'static str,
    implicit_mx: bool,
    null_mx: bool,
    error: Option<ErrorDto>,
    warnings: Vec<WarningDto>,
    addresses: Option<Vec<String>>,
    mx: Vec<MxDto<'a>>,
}

fn strings(ips: &[IpAddr]) -> Vec<String> {
    ips.iter().map(ToString::to_string).collect()
}

/// The `dns` object of a target in JSON (docs/schema.md).
pub fn json(d: &DnsSection) -> DnsDto<'_> {
    let mut dto = DnsDto {
        query: &d.query,
        resolver: &d.resolver,
        result: "host",
        implicit_mx: false,
        null_mx: false,
        error: None,
        warnings: Vec::new(),
        addresses: None,
        mx: Vec::new(),
    };
    match &d.answer {
        DnsAnswer::Host(h) => {
            dto.error = h.error.as_ref().map(ErrorDto::new);
            dto.warnings = warnings(&h.warnings);
            dto.addresses = Some(strings(&h.addresses));
        }
        DnsAnswer::Mail(r) => {
            dto.result = r.label();
            dto.null_mx = r.is_null_mx();
            match r {
                MailRouting::Mx { exchanges } => {
                    dto.mx = exchanges
                        .iter()
                        .map(|x| MxDto {
                            preference: x.preference,
                            exchange: &x.exchange,
                            equal_preference: x.equal_preference,
                            addresses: strings(&x.addresses),
                            warnings: warnings(&x.warnings),
                            error: x.error.as_ref().map(ErrorDto::new),
                        })
                        .collect();
                }
                MailRouting::ImplicitMx {
                    addresses,
                    error,
                    warnings: w,
                    ..
                } => {
                    dto.implicit_mx = true;
                    dto.addresses = Some(strings(addresses));
                    dto.error = error.as_ref().map(ErrorDto::new);
                    dto.warnings = warnings(w);
                }
                MailRouting::Failed(e) => dto.error = Some(ErrorDto::new(e)),
                MailRouting::NullMx | MailRouting::NxDomain | MailRouting::NoMailRecords => {}
            }
        }
    }
    dto
}
