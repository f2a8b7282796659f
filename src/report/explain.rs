//! Output of `tlscheck explain`: the catalogue entries found in pasted
//! text, with meaning, causes, fix and the command to run next; or, for
//! unknown text, the list of signatures tlscheck knows.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cli::Format;
use crate::diagnose::catalogue::CATALOGUE;
use crate::diagnose::explain::{Context, ExplainMatch};
use crate::report::style::markdown::code_span;
use crate::report::style::palette::{Palette, Tone};
use crate::report::style::sanitize;

/// Renders explain results in `format`; `ctx` is what the text says about
/// the sending and the receiving side (`diagnose::explain::context`).
pub fn render(matches: &[ExplainMatch], ctx: &Context, format: Format, p: &Palette) -> String {
    match format {
        Format::Text => text(matches, ctx, p),
        Format::Markdown => markdown(matches, ctx),
        Format::Json => json(matches, ctx, true),
        Format::Ndjson => json(matches, ctx, false),
    }
}

fn text(matches: &[ExplainMatch], ctx: &Context, p: &Palette) -> String {
    let mut out = String::new();
    if let Some(advice) = ctx.advice() {
        let _ = writeln!(
            out,
            "{} {}\n",
            p.paint("Which side:", Tone::Strong),
            sanitize::line(&advice)
        );
    }
    if matches.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                "No known mail-flow TLS error found in that text.",
                Tone::Warn
            )
        );
        let _ = writeln!(out, "tlscheck knows these ({}):", CATALOGUE.len());
        for s in CATALOGUE {
            let _ = writeln!(out, "  {:<44} {}", s.id, s.text);
        }
        return out;
    }
    for (i, m) in matches.iter().enumerate() {
        let s = m.signature;
        if i > 0 {
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "{}", p.paint(s.text, Tone::Strong));
        let _ = writeln!(
            out,
            "  {} {} ({} match on \"{}\")",
            p.paint("id     ", Tone::Dim),
            s.id,
            m.strength,
            sanitize::field(&m.fragment)
        );
        let _ = writeln!(
            out,
            "  {} {}",
            p.paint("seen in", Tone::Dim),
            crate::report::appears_in(s)
        );
        let _ = writeln!(out, "  {} {}", p.paint("means  ", Tone::Dim), s.meaning);
        for c in s.causes {
            let _ = writeln!(out, "  {} {c}", p.paint("cause  ", Tone::Dim));
        }
        for f in s.fix {
            let _ = writeln!(out, "  {} {f}", p.paint("fix    ", Tone::Dim));
        }
        let _ = writeln!(
            out,
            "  {} {}",
            p.paint("next   ", Tone::Dim),
            p.paint(&sanitize::line(&ctx.next_step(s)), Tone::Good)
        );
        let _ = writeln!(
            out,
            "  {} {}{}",
            p.paint("read   ", Tone::Dim),
            s.reference.title,
            s.reference
                .url
                .map(|u| format!(" <{u}>"))
                .unwrap_or_default()
        );
        for r in s.see_also {
            let _ = writeln!(
                out,
                "  {} {}{}",
                p.paint("also   ", Tone::Dim),
                r.title,
                r.url.map(|u| format!(" <{u}>")).unwrap_or_default()
            );
        }
    }
    out
}

fn markdown(matches: &[ExplainMatch], ctx: &Context) -> String {
    let mut out = String::new();
    if let Some(advice) = ctx.advice() {
        let _ = writeln!(out, "**Which side:** {}\n", sanitize::md_line(&advice));
    }
    if matches.is_empty() {
        let _ = writeln!(
            out,
            "No known mail-flow TLS error found in that text. Known signatures:\n"
        );
        for s in CATALOGUE {
            let _ = writeln!(out, "- `{}`: {}", s.id, sanitize::md_line(s.text));
        }
        return out;
    }
    for m in matches {
        let s = m.signature;
        let _ = writeln!(out, "### {}\n", code_span(s.text));
        let _ = writeln!(
            out,
            "- id: `{}` ({} match on \"{}\")",
            s.id,
            m.strength,
            sanitize::md_field(&m.fragment)
        );
        let _ = writeln!(out, "- seen in: {}", crate::report::appears_in(s));
        let _ = writeln!(out, "- means: {}", s.meaning);
        for c in s.causes {
            let _ = writeln!(out, "- cause: {c}");
        }
        for f in s.fix {
            let _ = writeln!(out, "- fix: {f}");
        }
        let _ = writeln!(out, "- next: {}", code_span(&ctx.next_step(s)));
        match s.reference.url {
            Some(u) => {
                let _ = writeln!(out, "- read: [{}]({u})", s.reference.title);
            }
            None => {
                let _ = writeln!(out, "- read: {}", s.reference.title);
            }
        }
        for r in s.see_also {
            match r.url {
                Some(u) => {
                    let _ = writeln!(out, "- also: [{}]({u})", r.title);
                }
                None => {
                    let _ = writeln!(out, "- also: {}", r.title);
                }
            }
        }
        let _ = writeln!(out);
    }
    out
}

#[derive(Serialize)]
struct ExplainDto<'a> {
    schema_version: u32,
    kind: &'static str,
    tool: crate::report::json::ToolDto,
    context: ContextDto,
    matches: Vec<MatchDto<'a>>,
}

#[derive(Serialize)]
struct ContextDto {
    direction: &'static str,
    receiver_host: Option<String>,
    receiver_ip: Option<String>,
    generating_server: Option<String>,
    sender: Option<String>,
    advice: Option<String>,
}

#[derive(Serialize)]
struct MatchDto<'a> {
    id: &'static str,
    text: &'static str,
    strength: &'static str,
    fragment: &'a str,
    meaning: &'static str,
    causes: &'static [&'static str],
    fix: &'static [&'static str],
    next_step: String,
    reference: &'static str,
    reference_url: Option<&'static str>,
    see_also: Vec<SourceDto>,
}

#[derive(Serialize)]
struct SourceDto {
    title: &'static str,
    url: Option<&'static str>,
}

/// The JSON document; `pretty` false gives it on one line (NDJSON).
fn json(matches: &[ExplainMatch], ctx: &Context, pretty: bool) -> String {
    let dto = ExplainDto {
        schema_version: crate::report::json::SCHEMA_VERSION,
        kind: "explain",
        tool: crate::report::json::tool(),
        context: ContextDto {
            direction: ctx.direction.label(),
            receiver_host: ctx.receiver_host.clone(),
            receiver_ip: ctx.receiver_ip.map(|ip| ip.to_string()),
            generating_server: ctx.generating_server.clone(),
            sender: ctx.sender_peer.clone(),
            advice: ctx.advice(),
        },
        matches: matches
            .iter()
            .map(|m| MatchDto {
                id: m.signature.id,
                text: m.signature.text,
                strength: m.strength.label(),
                fragment: &m.fragment,
                meaning: m.signature.meaning,
                causes: m.signature.causes,
                fix: m.signature.fix,
                next_step: ctx.next_step(m.signature),
                reference: m.signature.reference.title,
                reference_url: m.signature.reference.url,
                see_also: m
                    .signature
                    .see_also
                    .iter()
                    .map(|r| SourceDto {
                        title: r.title,
                        url: r.url,
                    })
                    .collect(),
            })
            .collect(),
    };
    crate::report::json::to_document(&dto, pretty, Some("explain"))
}
