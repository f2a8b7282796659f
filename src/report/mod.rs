//! Rendering: turns run reports, explanations and audits into text,
//! Markdown and JSON. Renderers return strings; only `main.rs` writes to
//! stdout. Server text is sanitized here (text, Markdown) or kept exact
//! (JSON).

pub mod dns;
pub mod explain;
pub mod fixfiles;
pub mod json;
pub mod listen;
pub mod markdown;
pub mod outcome;
pub mod policy;
pub mod schannel;
pub mod style;
pub mod suites;
pub mod table;
pub mod text;

use crate::cli::Format;
use crate::diagnose::catalogue::{self, Signature};
use crate::report::outcome::RunReport;
use style::palette::Palette;
use style::sanitize;

/// Renders a run in `format` (NDJSON lines are written as targets finish,
/// see [`json::render_line`]; here NDJSON gives the whole run as lines).
pub fn render(r: &RunReport, format: Format, palette: &Palette, transcript: bool) -> String {
    match format {
        Format::Text => text::render(r, palette, transcript),
        Format::Markdown => markdown::render(r, transcript),
        Format::Json => json::render(r, transcript),
        Format::Ndjson => {
            let mut s: String = r
                .targets
                .iter()
                .map(|t| json::render_line(t, &r.started_at, transcript))
                .collect();
            s.extend(r.invalid.iter().map(json::render_invalid_line));
            s.push_str(&json::render_summary_line(r));
            s
        }
    }
}

/// The catalogue entry behind a signature id used by a finding.
pub fn signature(id: &str) -> Option<&'static Signature> {
    catalogue::by_id(id)
}

/// Where a signature shows up, in words, grouped by side:
/// "sender: Non-delivery report (NDR), Exchange Queue Viewer; receiver:
/// Receive connector protocol log".
pub fn appears_in(sig: &Signature) -> String {
    let mut sides: Vec<(catalogue::Side, Vec<&'static str>)> = Vec::new();
    for a in sig.appears_in {
        match sides.iter_mut().find(|(side, _)| *side == a.side) {
            Some((_, places)) => places.push(a.place.title()),
            None => sides.push((a.side, vec![a.place.title()])),
        }
    }
    sides
        .iter()
        .map(|(side, places)| format!("{side}: {}", places.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The connections of a server, named, for transcripts: the plain-text
/// policy session, then one per version.
pub fn sessions(s: &crate::model::ServerObservation) -> Vec<(String, &crate::model::Transcript)> {
    let mut v = vec![("plain-text policy session".to_owned(), &s.policy.transcript)];
    v.extend(
        s.versions
            .iter()
            .map(|p| (format!("{} probe", p.version), &p.transcript)),
    );
    v
}

/// One transcript line, `  0.015s <- 250-PIPELINING`, with the server's
/// text made safe for a terminal.
pub fn transcript_line(e: &crate::model::TranscriptEvent) -> String {
    let arrow = match e.direction {
        crate::model::Direction::Sent => "->",
        crate::model::Direction::Received => "<-",
        crate::model::Direction::Note => "**",
    };
    format!(
        "{:>7.3}s {arrow} {}",
        e.at.as_secs_f64(),
        sanitize::for_terminal(&e.text, sanitize::MAX_SHOWN)
    )
}
