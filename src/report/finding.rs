//! One finding, laid out the same way by every command (check, listen,
//! schannel): severity, id and title; then labelled lines — `means` (why it
//! matters), `seen` (what was observed), `peers` (the errors peers will
//! log), `fix` (what to change), `how` (the steps on the software),
//! `paste` (the snippet) and `file` (what `--write-fix` writes). Each
//! command builds a [`FindingView`] from its own finding type.

use std::fmt::Write as _;

use crate::diagnose::catalogue::Signature;
use crate::diagnose::findings::{Finding, Severity};
use crate::diagnose::remediation::Remediation;
use crate::report::style::markdown::{code_block, code_span, prose_line};
use crate::report::style::palette::{Palette, Tone};
use crate::report::style::sanitize::line;
use crate::report::style::wrap::wrap_to;

/// Width of the label column in text (`         seen   `).
const LABEL_INDENT: usize = 16;

/// The steps on a given software, and what to paste.
#[derive(Debug, Clone)]
pub struct How<'a> {
    /// The remediation: title, steps, snippet.
    pub remediation: &'a Remediation,
    /// The software it is written for, when the finding names one.
    pub software: Option<&'static str>,
    /// The file `--write-fix DIR` writes the snippet to, if any.
    pub file: Option<String>,
}

/// A finding as the renderers lay it out (raw text; they sanitize).
#[derive(Debug, Clone)]
pub struct FindingView<'a> {
    /// How bad it is.
    pub severity: Severity,
    /// The stable id.
    pub id: &'a str,
    /// One line.
    pub title: &'a str,
    /// Why it matters, a paragraph (the schannel audit has one).
    pub means: Option<&'a str>,
    /// What was seen, one line each.
    pub seen: Vec<String>,
    /// The errors peers will log because of it.
    pub peers: Vec<&'static Signature>,
    /// What to change, one line each.
    pub fix: Vec<String>,
    /// The steps and the snippet.
    pub how: Option<How<'a>>,
}

impl<'a> FindingView<'a> {
    /// The view of a check (or listen) finding.
    pub fn new(f: &'a Finding) -> Self {
        Self {
            severity: f.severity,
            id: f.id.as_str(),
            title: &f.title,
            means: None,
            seen: f.evidence.clone(),
            peers: f
                .signatures
                .iter()
                .filter_map(|id| crate::report::signature(id))
                .collect(),
            fix: f.remediation.clone(),
            how: f.fix.as_ref().map(|fix| How {
                remediation: &fix.remediation,
                software: Some(fix.software.name()),
                file: crate::report::fixfiles::snippet_name(f),
            }),
        }
    }
}

/// ` (Postfix)`: the software a fix is written for, when known.
fn software(how: &How) -> String {
    how.software
        .map(|sw| format!(" ({sw})"))
        .unwrap_or_default()
}

/// The one word for a severity in text and Markdown (`WARN`, as the
/// verdict says it; JSON keeps `warning`).
pub fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "WARN",
        Severity::Info => "INFO",
    }
}

/// [`severity_word`] painted, padded to one width.
fn severity_painted(s: Severity, p: &Palette) -> String {
    let tone = match s {
        Severity::Error => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Dim,
    };
    p.paint(&format!("{:<5}", severity_word(s)), tone)
}

/// The finding in the text report; `width`, a terminal's, wraps the
/// `means` and `fix` paragraphs (`None`: never wrapped).
pub fn text(v: &FindingView, p: &Palette, width: Option<usize>, out: &mut String) {
    let _ = writeln!(
        out,
        "  {} {}  {}",
        severity_painted(v.severity, p),
        p.paint(v.id, Tone::Strong),
        line(v.title)
    );
    let indent = " ".repeat(LABEL_INDENT);
    if let Some(means) = v.means {
        let _ = writeln!(
            out,
            "         means  {}",
            wrap_to(&line(means), width, LABEL_INDENT, &indent)
        );
    }
    for e in &v.seen {
        let _ = writeln!(out, "         seen   {}", line(e));
    }
    for sig in &v.peers {
        let _ = writeln!(
            out,
            "         peers  {} — {}",
            sig.text,
            crate::report::appears_in(sig)
        );
    }
    for r in &v.fix {
        let _ = writeln!(
            out,
            "         fix    {}",
            wrap_to(&line(r), width, LABEL_INDENT, &indent)
        );
    }
    if let Some(how) = &v.how {
        how_text(how, out);
    }
}

fn how_text(how: &How, out: &mut String) {
    let r = how.remediation;
    let _ = writeln!(out, "         how    {}{}", r.title, software(how));
    for (i, step) in r.steps.iter().enumerate() {
        let _ = writeln!(out, "           {}. {step}", i + 1);
    }
    if let Some(sn) = r.snippet {
        let _ = writeln!(out, "         paste  ({}):", sn.language);
        for l in sn.text.lines() {
            let _ = writeln!(out, "{}", format!("           {l}").trim_end());
        }
        // The indented block cannot be copied as is (regedit wants the
        // header at column 1): say where the raw file comes from.
        if let Some(name) = &how.file {
            let _ = writeln!(
                out,
                "         file   {name}: add --write-fix DIR to write it, ready to use"
            );
        }
    }
}

/// The finding in the Markdown report, as a list item.
pub fn markdown(v: &FindingView, out: &mut String) {
    let _ = writeln!(
        out,
        "- **{}** {}: {}",
        severity_word(v.severity),
        code_span(v.id),
        prose_line(v.title)
    );
    if let Some(means) = v.means {
        let _ = writeln!(out, "  - means: {}", prose_line(means));
    }
    for e in &v.seen {
        let _ = writeln!(out, "  - seen: {}", prose_line(e));
    }
    for sig in &v.peers {
        let _ = writeln!(
            out,
            "  - peers will log: {} — {}",
            code_span(sig.text),
            crate::report::appears_in(sig)
        );
    }
    for r in &v.fix {
        let _ = writeln!(out, "  - fix: {}", prose_line(r));
    }
    if let Some(how) = &v.how {
        let r = how.remediation;
        let _ = writeln!(out, "  - how{}: {}", software(how), r.title);
        for (i, step) in r.steps.iter().enumerate() {
            let _ = writeln!(out, "    {}. {step}", i + 1);
        }
        if let Some(sn) = r.snippet {
            let _ = writeln!(out, "\n{}", code_block(sn.language, sn.text, "    "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_severity_word_in_text_and_markdown() {
        let f = Finding::of(crate::diagnose::findings::FindingId::ConnectionRefused)
            .with_severity(Severity::Warning);
        let v = FindingView::new(&f);
        let mut md = String::new();
        markdown(&v, &mut md);
        assert!(md.starts_with("- **WARN** `connection-refused`: "), "{md}");
        let mut txt = String::new();
        text(&v, &Palette::plain(), None, &mut txt);
        assert!(txt.starts_with("  WARN  connection-refused  "), "{txt}");
    }
}
