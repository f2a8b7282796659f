//! Colours for the text renderer. [`Palette::plain`] never touches
//! `colored`, so plain output does not depend on its global switch.

use colored::Colorize;

/// What a piece of text means, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Good (accepted modern TLS, PASS).
    Good,
    /// Bad (error findings, FAIL, accepted legacy TLS).
    Bad,
    /// Needs attention (warnings, WARN).
    Warn,
    /// Secondary (timings, not tested).
    Dim,
    /// Headings.
    Strong,
    /// No styling.
    Plain,
}

/// Paints text for a terminal, or not at all.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    color: bool,
}

impl Palette {
    /// No escape codes, ever.
    pub fn plain() -> Self {
        Self { color: false }
    }

    /// ANSI colours through `colored` (main sets its override once).
    pub fn ansi() -> Self {
        Self { color: true }
    }

    /// True when this palette emits escape codes.
    pub fn is_color(&self) -> bool {
        self.color
    }

    /// `s` in the colour of `tone`.
    pub fn paint(&self, s: &str, tone: Tone) -> String {
        if !self.color {
            return s.to_owned();
        }
        match tone {
            Tone::Good => s.green().bold().to_string(),
            Tone::Bad => s.red().bold().to_string(),
            Tone::Warn => s.yellow().bold().to_string(),
            Tone::Dim => s.dimmed().to_string(),
            Tone::Strong => s.bold().to_string(),
            Tone::Plain => s.to_owned(),
        }
    }
}

/// The tone of a verdict word (`PASS`, `FAIL`, …), the same for every
/// command.
pub fn verdict_tone(v: crate::diagnose::verdict::Verdict) -> Tone {
    use crate::diagnose::verdict::Verdict;
    match v {
        Verdict::Pass => Tone::Good,
        Verdict::Warn | Verdict::Inconclusive => Tone::Warn,
        Verdict::Fail | Verdict::Untested => Tone::Bad,
        Verdict::NoMail => Tone::Strong,
    }
}
