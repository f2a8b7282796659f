//! Rendering: turns run reports, sender sessions, explanations and audits
//! into text, Markdown and JSON. Every command renders through one call,
//! [`render`]`(&Report, Format, &Palette) -> String`; renderers return
//! strings and only `main.rs` writes to stdout. Server text is sanitized
//! here with `style::sanitize` (text, Markdown) or kept exact (JSON).

pub mod dns;
pub mod explain;
pub mod finding;
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

/// What a command produced, ready to render.
#[derive(Debug, Clone, Copy)]
pub enum Report<'a> {
    /// `tlscheck check`: a run over one or more targets.
    Check {
        /// The run.
        run: &'a RunReport,
        /// Whether to add each connection's transcript.
        transcript: bool,
        /// A terminal's width: the headline and recap are wrapped to it
        /// (`None` for pipes and files: never wrapped).
        width: Option<usize>,
    },
    /// `tlscheck listen`: one sender session.
    Listen(listen::ListenReport<'a>),
    /// `tlscheck schannel`: a SCHANNEL audit.
    Schannel {
        /// The audit.
        audit: &'a crate::diagnose::schannel::Audit,
        /// A terminal's width: the text is wrapped to it (`None` for
        /// pipes and files: never wrapped).
        width: Option<usize>,
    },
    /// `tlscheck profiles`: the documented sender profiles.
    Profiles,
    /// `tlscheck explain`: the catalogue entries found in pasted text.
    Explain {
        /// The entries found.
        matches: &'a [crate::diagnose::explain::ExplainMatch],
        /// What the text says about the sending and the receiving side.
        context: &'a crate::diagnose::explain::Context,
    },
}

impl<'a> Report<'a> {
    /// A check run, not wrapped (a pipe or a file).
    pub fn check(run: &'a RunReport, transcript: bool) -> Self {
        Self::Check {
            run,
            transcript,
            width: None,
        }
    }
}

/// Renders what a command produced in `format`; `palette` colours text
/// (Markdown and JSON are never coloured).
pub fn render(r: &Report, format: Format, palette: &Palette) -> String {
    match *r {
        Report::Check {
            run,
            transcript,
            width,
        } => render_run(run, format, palette, transcript, width),
        Report::Listen(ref l) => listen::render(l, format, palette),
        Report::Schannel { audit, width } => schannel::render(audit, format, palette, width),
        Report::Profiles => suites::render_profiles(format),
        Report::Explain { matches, context } => explain::render(matches, context, format, palette),
    }
}

/// A run in `format` (NDJSON lines are written as targets finish, see
/// [`json::render_line`]; here NDJSON gives the whole run as lines).
fn render_run(
    r: &RunReport,
    format: Format,
    palette: &Palette,
    transcript: bool,
    width: Option<usize>,
) -> String {
    match format {
        Format::Text => text::render_for(r, palette, transcript, width),
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
        sanitize::field(&e.text)
    )
}
