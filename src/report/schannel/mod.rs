//! Text, Markdown and JSON for `tlscheck schannel`, laid out like a
//! check's report: the verdict first, then the protocol × side table, the
//! .NET values, the findings (what it means, where it was seen, the fix),
//! and the one `.reg` file that fixes every finding.
//!
//! Renderers return strings and never print. Key and value names quoted
//! from the file are hostile: text and Markdown escape them through
//! `style::sanitize`; JSON keeps them exact and goes through the DTOs in
//! `json`, so the domain types carry no serde.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

mod json;
mod table;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use crate::cli::Format;
use crate::diagnose::findings::Severity;
use crate::diagnose::schannel::{Audit, DotNetSetting, ExportFormat, Finding, Side};
use crate::diagnose::verdict::Verdict;
use crate::report::finding::FindingView;
use crate::report::style::markdown::{code_block, prose_line};
use crate::report::style::palette::{Palette, Tone};
use crate::report::style::sanitize;
use crate::report::style::wrap::paragraph;
use crate::report::table::{Cell, Table};

use table::{
    advice_without_import, column_header, dotnet_value, import_advice, os_line, protocol_rows,
};

/// Renders the audit in `format`; `p` colours text, `width` (a
/// terminal's) wraps it (`None`: never wrapped).
pub fn render(audit: &Audit, format: Format, p: &Palette, width: Option<usize>) -> String {
    match format {
        Format::Text => text(audit, p, width),
        Format::Markdown => render_markdown(audit),
        Format::Json => json::render(audit, true),
        Format::Ndjson => json::render(audit, false),
    }
}

/// The verdict in the words of every command: `PASS` when TLS 1.2 is
/// usable on both sides and nothing breaks mail, `FAIL` otherwise (the
/// JSON keeps `ok` / `problem`).
fn verdict(audit: &Audit) -> Verdict {
    match audit.verdict {
        crate::diagnose::schannel::Verdict::Ok => Verdict::Pass,
        crate::diagnose::schannel::Verdict::Problem => Verdict::Fail,
    }
}

/// The summary line: `FAIL SCHANNEL audit: 1 error: …`.
fn summary(audit: &Audit) -> String {
    format!(
        "{} SCHANNEL audit: {}",
        verdict(audit).word(),
        audit.verdict_reason()
    )
}

/// A finding of the audit in the layout every command shares; `reg_at`
/// says where the merged `.reg` is in this format.
fn view<'a>(f: &'a Finding, reg_at: &str) -> FindingView<'a> {
    let severity = match f.severity {
        crate::diagnose::schannel::Severity::Error => Severity::Error,
        crate::diagnose::schannel::Severity::Warning => Severity::Warning,
        crate::diagnose::schannel::Severity::Info => Severity::Info,
    };
    let seen = match f.lines.as_slice() {
        [] => Vec::new(),
        [one] => vec![format!("line {one} of the file")],
        many => {
            let texts: Vec<String> = many.iter().map(usize::to_string).collect();
            vec![format!("lines {} of the file", texts.join(", "))]
        }
    };
    // The import-and-restart paragraph and the .reg come once, merged,
    // after the findings.
    let fix = f.fix.as_ref().map(|fix| {
        let advice = advice_without_import(&fix.advice);
        if advice.is_empty() {
            format!("The .reg file {reg_at} makes this change.")
        } else {
            format!("The .reg file {reg_at} makes this change. {advice}")
        }
    });
    FindingView {
        severity,
        id: f.id.as_str(),
        title: &f.summary,
        means: Some(&f.detail),
        seen,
        peers: Vec::new(),
        fix: fix.into_iter().collect(),
        how: None,
    }
}

/// The protocol × side table.
fn protocols_table(audit: &Audit) -> Table {
    let header = vec![
        "Protocol".to_owned(),
        column_header(Side::Client).to_owned(),
        column_header(Side::Server).to_owned(),
    ];
    let rows = protocol_rows(audit)
        .into_iter()
        .map(|(protocol, cells)| {
            let mut row = vec![Cell {
                text: protocol.key_name().to_owned(),
                tone: Tone::Plain,
            }];
            row.extend(cells.into_iter().map(|c| Cell {
                text: c.text,
                tone: c.tone,
            }));
            row
        })
        .collect();
    Table { header, rows }
}

/// The .NET Framework table.
fn dotnet_table(settings: &[DotNetSetting]) -> Table {
    let plain = |text: String| Cell {
        text,
        tone: Tone::Plain,
    };
    Table {
        header: vec![
            ".NET Framework".to_owned(),
            "SystemDefaultTlsVersions".to_owned(),
            "SchUseStrongCrypto".to_owned(),
        ],
        rows: settings
            .iter()
            .map(|s| {
                vec![
                    plain(s.key.label().to_owned()),
                    plain(dotnet_value(s.system_default_tls_versions)),
                    plain(dotnet_value(s.sch_use_strong_crypto)),
                ]
            })
            .collect(),
    }
}

/// What the audit says when there are no .NET values.
fn no_dotnet(audit: &Audit) -> &'static str {
    if audit.format == ExportFormat::LiveRegistry {
        "no key in this machine's registry (not installed)"
    } else {
        "not in this export"
    }
}

/// Renders the audit as terminal text; `color` adds ANSI colours through
/// the palette (kept for callers of the old API: see [`render`]).
pub fn render_text(audit: &Audit, color: bool) -> String {
    let p = if color {
        Palette::ansi()
    } else {
        Palette::plain()
    };
    text(audit, &p, Some(crate::report::style::wrap::TEXT_WIDTH))
}

fn text(audit: &Audit, p: &Palette, width: Option<usize>) -> String {
    let head = crate::report::text::headline(verdict(audit), &summary(audit), p);
    let mut out = paragraph(&head, "", "  ", width);
    out.push('\n');
    out.push_str(&p.paint("SCHANNEL audit", Tone::Strong));
    out.push('\n');
    let _ = writeln!(
        out,
        "File:     {}, {}",
        audit.format.describe(),
        audit.encoding.describe()
    );
    let _ = writeln!(out, "Defaults: {}\n", sanitize::line(&os_line(audit)));
    out.push_str(&crate::report::text::table(&protocols_table(audit), p, ""));
    out.push('\n');
    for side in Side::ALL {
        out.push_str(&paragraph(
            &format!("{side} = {}.", side.role()),
            "",
            "  ",
            width,
        ));
    }
    out.push('\n');
    match &audit.dotnet {
        Some(settings) => {
            out.push_str(&crate::report::text::table(&dotnet_table(settings), p, ""));
        }
        None => {
            let _ = writeln!(out, ".NET Framework: {}", no_dotnet(audit));
        }
    }
    out.push('\n');
    out.push_str(&p.paint("Findings", Tone::Strong));
    out.push('\n');
    for f in &audit.findings {
        crate::report::finding::text(&view(f, "below"), p, width, &mut out);
    }
    if audit.findings.is_empty() {
        out.push_str("  none\n");
    }
    if let Some(file) = crate::report::fixfiles::for_schannel(audit) {
        out.push('\n');
        out.push_str(&p.paint(
            "The fix: one .reg file for every finding above",
            Tone::Strong,
        ));
        out.push('\n');
        out.push_str(&paragraph(
            &format!(
                "{} Copy the lines below into schannel-fix.reg, or add --write-fix DIR to \
                 write the file (CRLF, header at column 1).",
                import_advice(audit)
            ),
            "",
            "",
            width,
        ));
        out.push('\n');
        out.push_str(&sanitize::block(&String::from_utf8_lossy(&file.bytes)));
    }
    out
}

/// Renders the audit as GitHub-flavoured Markdown (no colour).
pub fn render_markdown(audit: &Audit) -> String {
    let mut out = crate::report::markdown::headline(verdict(audit).word(), &summary(audit));
    let _ = writeln!(
        out,
        "\n\n- file: {}, {}",
        prose_line(audit.format.describe()),
        prose_line(audit.encoding.describe())
    );
    let _ = writeln!(out, "- defaults: {}\n", prose_line(&os_line(audit)));
    out.push_str("### Protocols\n\n");
    out.push_str(&crate::report::markdown::table(&protocols_table(audit)));
    out.push('\n');
    for side in Side::ALL {
        let _ = writeln!(out, "- *{side}*: {}.", prose_line(side.role()));
    }
    out.push_str("\n### .NET Framework\n\n");
    match &audit.dotnet {
        Some(settings) => out.push_str(&crate::report::markdown::table(&dotnet_table(settings))),
        None => {
            let _ = writeln!(out, "{}.", capitalise(no_dotnet(audit)));
        }
    }
    out.push_str("\n### Findings\n\n");
    for f in &audit.findings {
        crate::report::finding::markdown(&view(f, "under \"The fix\""), &mut out);
    }
    if audit.findings.is_empty() {
        out.push_str("None.\n");
    }
    // One .reg for every finding, and the import advice once.
    if let Some(file) = crate::report::fixfiles::for_schannel(audit) {
        let reg = sanitize::block(&String::from_utf8_lossy(&file.bytes));
        let _ = write!(
            out,
            "\n### The fix: one .reg file for every finding\n\n{} Save it as \
             `schannel-fix.reg` (or use `--write-fix DIR`).\n\n{}",
            prose_line(&import_advice(audit)),
            code_block("reg", &reg, "")
        );
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Renders the audit as pretty-printed JSON with a trailing newline.
pub fn render_json(audit: &Audit) -> String {
    json::render(audit, true)
}
