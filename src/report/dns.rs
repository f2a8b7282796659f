//! The DNS part of a target's report: resolver, MX records with their
//! preference and addresses, and what DNS said when it did not answer
//! with MX records. Shared words for text and Markdown.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::dns::{DnsError, MailRouting, MxExchange};
use crate::outcome::{DnsAnswer, DnsSection};
use crate::report::palette::{Palette, Tone};
use crate::report::sanitize::{for_markdown, for_terminal, MAX_SHOWN};

fn addresses(x: &[std::net::IpAddr]) -> String {
    if x.is_empty() {
        "no address".to_owned()
    } else {
        x.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Lines describing the answer, without styling: (text, is_problem).
fn lines(d: &DnsSection) -> Vec<(String, bool)> {
    let mut v = Vec::new();
    match &d.answer {
        DnsAnswer::Host(h) => {
            v.push((
                format!("host {}: {}", d.query, addresses(&h.addresses)),
                h.addresses.is_empty(),
            ));
            if let Some(a) = &h.alias_target {
                v.push((format!("{} is an alias of {a}", d.query), false));
            }
            if let Some(e) = &h.error {
                v.push((format!("error: {e}"), true));
            }
        }
        DnsAnswer::Mail(r) => match r {
            MailRouting::Mx { exchanges } => {
                v.push((format!("MX records of {}:", d.query), false));
                for x in exchanges {
                    v.push((
                        exchange_line(x),
                        x.addresses.is_empty() || x.error.is_some(),
                    ));
                }
            }
            MailRouting::ImplicitMx {
                addresses: a,
                error,
            } => {
                v.push((
                    format!(
                        "{} has no MX records: it is its own mail server (implicit MX, RFC 5321 §5.1): {}",
                        d.query,
                        addresses(a)
                    ),
                    false,
                ));
                if let Some(e) = error {
                    v.push((format!("error: {e}"), true));
                }
            }
            MailRouting::NullMx => v.push((
                format!(
                    "{} has a null MX (\"0 .\", RFC 7505): the domain accepts no mail",
                    d.query
                ),
                false,
            )),
            MailRouting::NxDomain => {
                v.push((format!("{} does not exist (NXDOMAIN)", d.query), true))
            }
            MailRouting::NoMailRecords => {
                v.push((format!("{} has no MX, A or AAAA records", d.query), true))
            }
            MailRouting::Failed(e) => v.push((format!("lookup of {} failed: {e}", d.query), true)),
        },
    }
    v
}

fn exchange_line(x: &MxExchange) -> String {
    let mut s = format!(
        "  MX {:>5} {}  {}",
        x.preference,
        x.exchange,
        addresses(&x.addresses)
    );
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

/// The DNS block of the text report.
pub fn text(d: &DnsSection, p: &Palette) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {} {}",
        p.paint("resolver", Tone::Dim),
        for_terminal(&d.resolver, MAX_SHOWN)
    );
    for (line, bad) in lines(d) {
        let tone = if bad { Tone::Warn } else { Tone::Plain };
        let _ = writeln!(out, "  {}", p.paint(&for_terminal(&line, 400), tone));
    }
    out
}

/// The DNS block of the Markdown report.
pub fn markdown(d: &DnsSection) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "- resolver: {}", for_markdown(&d.resolver, MAX_SHOWN));
    for (line, _) in lines(d) {
        // Exchange lines are indented under their heading: nest them.
        let nest = if line.starts_with("  ") { "  " } else { "" };
        let _ = writeln!(out, "{nest}- {}", for_markdown(line.trim_start(), 400));
    }
    out
}

fn error_json(e: &DnsError) -> Value {
    json!({ "kind": e.label(), "message": e.to_string() })
}

/// The `dns` object of a target in JSON (docs/schema.md).
pub fn json(d: &DnsSection) -> Value {
    let (result, implicit, is_null, error, mx, warnings): (
        &str,
        bool,
        bool,
        Option<&DnsError>,
        Vec<Value>,
        Vec<Value>,
    ) = match &d.answer {
        DnsAnswer::Host(h) => (
            "host",
            false,
            false,
            h.error.as_ref(),
            Vec::new(),
            h.warnings
                .iter()
                .map(|w| json!({"kind": w.label(), "message": w.to_string()}))
                .collect(),
        ),
        DnsAnswer::Mail(r) => {
            let mx = match r {
                    MailRouting::Mx { exchanges } => exchanges
                        .iter()
                        .map(|x| {
                            json!({
                                "preference": x.preference,
                                "exchange": x.exchange,
                                "equal_preference": x.equal_preference,
                                "addresses": x.addresses.iter().map(ToString::to_string).collect::<Vec<_>>(),
                                "warnings": x.warnings.iter().map(|w| json!({"kind": w.label(), "message": w.to_string()})).collect::<Vec<_>>(),
                                "error": x.error.as_ref().map(error_json),
                            })
                        })
                        .collect(),
                    _ => Vec::new(),
                };
            let error = match r {
                MailRouting::Failed(e) => Some(e),
                MailRouting::ImplicitMx { error, .. } => error.as_ref(),
                _ => None,
            };
            (
                r.label(),
                matches!(r, MailRouting::ImplicitMx { .. }),
                r.is_null_mx(),
                error,
                mx,
                Vec::new(),
            )
        }
    };
    let addresses: Option<Vec<String>> = match &d.answer {
        DnsAnswer::Host(h) => Some(h.addresses.iter().map(ToString::to_string).collect()),
        DnsAnswer::Mail(MailRouting::ImplicitMx { addresses, .. }) => {
            Some(addresses.iter().map(ToString::to_string).collect())
        }
        DnsAnswer::Mail(_) => None,
    };
    json!({
        "query": d.query,
        "resolver": d.resolver,
        "result": result,
        "implicit_mx": implicit,
        "null_mx": is_null,
        "error": error.map(error_json),
        "warnings": warnings,
        "addresses": addresses,
        "mx": mx,
    })
}
