//! Text, Markdown and JSON for `tlscheck listen`: one report per sender
//! session, laid out like a check's: the verdict first, the details table
//! (what its ClientHello offered, what became of the handshake), then the
//! findings with what was seen, the errors peers log and the fix.
//!
//! Renderers return strings and never print. Everything the sender sent
//! (EHLO name, SNI, addresses, transcript lines) goes through
//! `style::sanitize` in text and Markdown; JSON keeps it exact and goes
//! through the DTOs in `json`, so the domain types carry no serde.
//! Tested in tests/it/snapshots.rs (`listen_*`) over hand-built sessions.

mod json;
mod rows;

use std::fmt::Write as _;

use crate::cli::Format;
use crate::diagnose::sender::SenderJudgement;
use crate::model::listen::SenderSession;
use crate::report::finding::{FindingView, How};
use crate::report::style::markdown::{code_block, server_line};
use crate::report::style::palette::{Palette, Tone};
use crate::report::style::sanitize;
use crate::report::style::wrap::wrap_to;

use rows::rows;

/// Width of the label column of the details table: the longest label
/// ("Office 365 suites") and a space.
const LABEL_WIDTH: usize = 18;

/// What `listen` renders: one sender session and its judgement.
#[derive(Debug, Clone, Copy)]
pub struct ListenReport<'a> {
    /// What the sender did.
    pub session: &'a SenderSession,
    /// The verdict, findings and fix.
    pub judgement: &'a SenderJudgement,
    /// Whether to add the session's transcript.
    pub transcript: bool,
    /// True for the one session of `--once`: JSON is pretty-printed;
    /// otherwise each session is one line (NDJSON) or a text block
    /// followed by a blank line.
    pub once: bool,
    /// A terminal's width: the details are wrapped to it (`None` for
    /// pipes and files: never wrapped).
    pub width: Option<usize>,
}

/// Renders one session in `format`.
pub fn render(r: &ListenReport, format: Format, p: &Palette) -> String {
    let (s, j, transcript) = (r.session, r.judgement, r.transcript);
    match format {
        Format::Text if r.once => render_text(s, j, p, transcript, r.width),
        Format::Text => format!("{}\n", render_text(s, j, p, transcript, r.width)),
        Format::Markdown => render_markdown(s, j, transcript),
        Format::Json if r.once => json::render(s, j, transcript, true),
        Format::Json | Format::Ndjson => json::render(s, j, transcript, false),
    }
}

/// The findings of a session, each with the fix it calls for: the
/// sender-side fix (the SCHANNEL `TLS 1.2\Client` .reg) goes with the
/// first finding, as a check's fix goes with its finding.
fn views<'a>(j: &'a SenderJudgement) -> Vec<FindingView<'a>> {
    let mut views: Vec<FindingView> = j.findings.iter().map(FindingView::new).collect();
    if let (Some(first), Some(fix)) = (views.first_mut(), &j.fix) {
        if first.how.is_none() {
            first.how = Some(How {
                remediation: fix,
                software: None,
                file: None,
            });
        }
    }
    views
}

/// The text report of one session: the verdict, the details, the
/// findings, the transcript.
fn render_text(
    s: &SenderSession,
    j: &SenderJudgement,
    p: &Palette,
    with_transcript: bool,
    width: Option<usize>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary_text(j, p));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} {} at {}",
        p.paint("Session", Tone::Strong),
        s.peer,
        s.started_at
    );
    let indent = " ".repeat(LABEL_WIDTH + 2);
    for r in rows(s) {
        let safe = if r.from_sender {
            sanitize::field(&r.value)
        } else {
            sanitize::line(&r.value)
        };
        let shown = wrap_to(&safe, width, LABEL_WIDTH + 2, &indent);
        let _ = writeln!(
            out,
            "  {}{}",
            p.paint(&format!("{:<LABEL_WIDTH$}", r.label), Tone::Dim),
            p.paint(&shown, r.tone)
        );
    }
    findings_text(j, p, &mut out);
    if with_transcript {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.paint("Transcript (<- sender, -> tlscheck)", Tone::Strong)
        );
        out.push_str(&transcript(s));
    }
    out
}

fn findings_text(j: &SenderJudgement, p: &Palette, out: &mut String) {
    if j.findings.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", p.paint("Findings", Tone::Strong));
    for v in views(j) {
        crate::report::finding::text(&v, p, None, out);
    }
}

/// The summary is tlscheck's words around a sender name that
/// `diagnose::sender::sender_label` already cut short: escape, do not cut.
fn summary_text(j: &SenderJudgement, p: &Palette) -> String {
    crate::report::text::headline(j.verdict, &j.summary, p)
}

/// The transcript, one line per event (`<-` the sender, `->` tlscheck).
fn transcript(s: &SenderSession) -> String {
    let mut out = String::new();
    for e in &s.transcript {
        let _ = writeln!(out, "  {}", crate::report::transcript_line(e));
    }
    out
}

/// The Markdown report of one session (no colour).
fn render_markdown(s: &SenderSession, j: &SenderJudgement, with_transcript: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n",
        crate::report::markdown::headline(j.verdict.word(), &j.summary)
    );
    let _ = writeln!(
        out,
        "- tool: tlscheck {}\n- time (UTC): {}\n",
        env!("CARGO_PKG_VERSION"),
        s.started_at
    );
    let _ = writeln!(
        out,
        "### {}\n",
        server_line(&crate::diagnose::sender::sender_label(s))
    );
    let _ = writeln!(out, "| | |\n|---|---|");
    for r in rows(s) {
        let v = if r.from_sender {
            sanitize::md_field(&r.value)
        } else {
            sanitize::md_line(&r.value)
        };
        if r.tone == Tone::Bad {
            let _ = writeln!(out, "| {} | **{v}** |", r.label);
        } else {
            let _ = writeln!(out, "| {} | {v} |", r.label);
        }
    }
    if !j.findings.is_empty() {
        let _ = writeln!(out, "\n#### Findings\n");
        for v in views(j) {
            crate::report::finding::markdown(&v, &mut out);
        }
    }
    if with_transcript {
        let _ = writeln!(
            out,
            "\n#### Transcript (<- sender, -> tlscheck)\n\n{}",
            code_block("text", &transcript(s), "")
        );
    }
    out
}
