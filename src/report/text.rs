//! Text for a terminal: the summary lines first, then per target the DNS
//! answer, the versions table, each server's details and the findings.
//! Every server string goes through `style::sanitize`.

use std::fmt::Write as _;

use crate::diagnose::findings::{describe_result, Finding};
use crate::diagnose::verdict::Verdict;
use crate::model::{CertSummary, ServerObservation, Transcript};
use crate::report::finding::FindingView;
use crate::report::outcome::{RunReport, TargetReport};
use crate::report::style::palette::{Palette, Tone};
use crate::report::style::sanitize;
use crate::report::table::{
    cert_words, common_not_tested, not_tested_words, policy_meaning, server_name, stage_message,
    versions_table, Table,
};

fn clean(s: &str) -> String {
    sanitize::field(s)
}

/// The tone of a verdict word (kept here for the callers that import it
/// from the text renderer).
pub use crate::report::style::palette::verdict_tone;

/// The one summary line of a target, coloured, never cut.
pub fn summary(t: &TargetReport, p: &Palette) -> String {
    headline(t.verdict, &t.summary, p)
}

/// A summary line of any command (`FAIL …`): the verdict word coloured,
/// the rest (tlscheck's words around server text) escaped, never cut.
pub fn headline(v: Verdict, summary: &str, p: &Palette) -> String {
    let word = v.word();
    match summary.strip_prefix(word) {
        Some(rest) => format!("{}{}", p.paint(word, verdict_tone(v)), sanitize::line(rest)),
        None => sanitize::line(summary),
    }
}

/// Wraps `text` at `width` columns (a terminal's; `None`: not at all),
/// continuation lines indented by `indent` spaces.
fn wrap_to(text: &str, width: Option<usize>, indent: usize) -> String {
    crate::report::style::wrap::wrap_to(text, width, 0, &" ".repeat(indent))
}

/// The fix of a target in a few words, from its summary line.
fn fix_words(t: &TargetReport) -> Option<&str> {
    t.summary
        .split_once(" — fix: ")
        .or_else(|| t.summary.split_once(" — next: "))
        .map(|(_, fix)| fix)
}

/// The recap that ends every text report: the verdict of each target, the
/// fix in a few words, and where the full fix is — the last lines on the
/// screen carry the answer even when the details scrolled away.
fn recap(r: &RunReport, p: &Palette, width: Option<usize>, out: &mut String) {
    if r.targets.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", p.paint("Summary", Tone::Strong));
    for t in &r.targets {
        let word = p.paint(t.verdict.word(), verdict_tone(t.verdict));
        let line = match fix_words(t) {
            Some(fix) => format!("{word} {} — fix: {}", clean(&t.input), sanitize::line(fix)),
            None => summary(t, p),
        };
        let _ = writeln!(out, "  {}", wrap_to(&line, width.map(|w| w - 2), 4));
    }
    let files: Vec<String> = r
        .targets
        .iter()
        .flat_map(|t| &t.findings)
        .filter_map(crate::report::fixfiles::snippet_name)
        .fold(Vec::new(), |mut v, n| {
            if !v.contains(&n) {
                v.push(n);
            }
            v
        });
    let has_steps = r
        .targets
        .iter()
        .flat_map(|t| &t.findings)
        .any(|f| f.fix.is_some() || !f.remediation.is_empty());
    if has_steps {
        let how = if files.is_empty() {
            "Full fix: the fix/how lines under Findings above.".to_owned()
        } else {
            format!(
                "Full fix: the how/paste lines under Findings above; `--write-fix DIR` writes {} ready to use.",
                files.join(", ")
            )
        };
        let _ = writeln!(out, "  {}", wrap_to(&how, width.map(|w| w - 2), 2));
    }
}

/// Renders a table with padded columns.
pub fn table(t: &Table, p: &Palette, indent: &str) -> String {
    let cells: Vec<Vec<(String, Tone)>> = t
        .rows
        .iter()
        .map(|r| r.iter().map(|c| (clean(&c.text), c.tone)).collect())
        .collect();
    let mut widths: Vec<usize> = t.header.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (i, (text, _)) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(text.chars().count());
            }
        }
    }
    let mut out = String::new();
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let header: Vec<String> = t
        .header
        .iter()
        .zip(&widths)
        .map(|(h, w)| p.paint(&pad(h, *w), Tone::Strong))
        .collect();
    let _ = writeln!(out, "{indent}{}", header.join("  ").trim_end());
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|((text, tone), w)| p.paint(&pad(text, *w), *tone))
            .collect();
        let _ = writeln!(out, "{indent}{}", line.join("  ").trim_end());
    }
    out
}

fn server_details(s: &ServerObservation, p: &Palette, out: &mut String) {
    let _ = writeln!(out, "  {}", p.paint(&clean(&server_name(s)), Tone::Strong));
    let label = |l: &str| label(l, p);
    if let Some(e) = &s.error {
        let _ = writeln!(
            out,
            "    {} {}",
            label("error"),
            clean(&stage_message(e.stage, &e.message))
        );
        return;
    }
    if let Some(b) = &s.banner {
        let _ = writeln!(
            out,
            "    {} {} {}",
            label("banner"),
            b.code,
            clean(&b.text())
        );
    }
    if let Some(e) = &s.ehlo {
        let verb = if e.used_helo { "HELO" } else { "EHLO" };
        let exts: Vec<String> = e.extensions.iter().map(|x| clean(x)).collect();
        let _ = writeln!(out, "    {} {}", label(verb), exts.join(", "));
    }
    if s.sni.is_none() {
        let _ = writeln!(
            out,
            "    {} none: probed by address (a server that needs the name may answer differently)",
            label("SNI")
        );
    }
    match (&s.policy.mail_from, s.policy.requires_tls) {
        (Some(r), req) => {
            let _ = writeln!(
                out,
                "    {} MAIL FROM:<> before STARTTLS -> {} {} ({})",
                label("policy"),
                r.code,
                clean(&r.text()),
                policy_meaning(req)
            );
        }
        (None, _) => {
            if let Some(err) = &s.policy.error {
                let _ = writeln!(
                    out,
                    "    {} not established: {}",
                    label("policy"),
                    clean(err)
                );
            }
        }
    }
    // When no version could be tried for one reason, say it once.
    if let Some(reason) = common_not_tested(s) {
        let _ = writeln!(
            out,
            "    {} {}",
            label("TLS"),
            p.paint(
                &format!("not tested: {}", clean(&not_tested_words(reason))),
                Tone::Dim
            )
        );
    } else {
        for v in &s.versions {
            let detail = describe_result(&v.result);
            let tone = crate::report::table::version_cell(v.version, &v.result).tone;
            let _ = writeln!(
                out,
                "    {} {}  {}",
                label(&v.version.to_string()),
                p.paint(&clean(&detail), tone),
                p.paint(&format!("{} ms", v.elapsed.as_millis()), Tone::Dim)
            );
        }
    }
    for (l, line) in crate::report::suites::lines(s) {
        let _ = writeln!(out, "    {} {}", label(&l), clean(&line));
    }
    if let Some(c) = &s.certificate {
        cert_details(c, p, out);
    }
}

/// A label of a server's details, padded to its column.
fn label(l: &str, p: &Palette) -> String {
    p.paint(&format!("{l:<9}"), Tone::Dim)
}

/// The certificate lines of a server's details.
fn cert_details(c: &CertSummary, p: &Palette, out: &mut String) {
    let label = |l: &str| label(l, p);
    let _ = writeln!(out, "    {} {}", label("cert"), clean(&c.subject));
    let _ = writeln!(out, "              issuer {}", clean(&c.issuer));
    let names: Vec<String> = c.sans.iter().map(|n| clean(n)).collect();
    let _ = writeln!(out, "              names {}", names.join(", "));
    let _ = writeln!(
        out,
        "              valid {} to {} ({}); {}; {}",
        clean(&c.not_before),
        clean(&c.not_after),
        crate::report::table::days(c.days_left),
        clean(&crate::report::table::key_words(&c.key_type, c.key_bits)),
        clean(&c.signature_algorithm)
    );
    let tone = if c.verdict.is_trusted() {
        Tone::Good
    } else {
        Tone::Warn
    };
    let _ = writeln!(
        out,
        "              verdict {}; chain of {}, from {}",
        p.paint(&cert_words(&c.verdict), tone),
        c.chain_len,
        c.from_version
    );
}

/// One finding of a check, in the layout every command shares.
pub fn finding(f: &Finding, p: &Palette, out: &mut String) {
    crate::report::finding::text(&FindingView::new(f), p, None, out);
}

/// Renders the transcript of a connection.
pub fn transcript(name: &str, t: &Transcript, out: &mut String) {
    let _ = writeln!(out, "    -- {name}");
    for e in t {
        let _ = writeln!(out, "    {}", crate::report::transcript_line(e));
    }
}

/// The whole text report.
pub fn render(r: &RunReport, p: &Palette, with_transcript: bool) -> String {
    render_for(r, p, with_transcript, None)
}

/// The whole text report, the headline and recap wrapped at `width`
/// columns (a terminal's width; `None` for pipes and files: never cut).
pub fn render_for(
    r: &RunReport,
    p: &Palette,
    with_transcript: bool,
    width: Option<usize>,
) -> String {
    let mut out = String::new();
    for t in &r.targets {
        let _ = writeln!(out, "{}", wrap_to(&summary(t, p), width, 2));
    }
    for bad in &r.invalid {
        let _ = writeln!(
            out,
            "{} {}",
            p.paint("INVALID", Tone::Bad),
            clean(&bad.to_string())
        );
    }
    for t in &r.targets {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} {} ({})",
            p.paint("Target", Tone::Strong),
            clean(&t.input),
            t.mode.label()
        );
        if let Some(dns) = &t.dns {
            out.push_str(&crate::report::dns::text(dns, p));
        }
        if !t.servers.is_empty() {
            let _ = writeln!(out);
            out.push_str(&table(&versions_table(&t.servers), p, "  "));
            for s in &t.servers {
                let _ = writeln!(out);
                server_details(s, p, &mut out);
                if with_transcript {
                    for (name, t) in crate::report::sessions(s) {
                        transcript(&name, t, &mut out);
                    }
                }
            }
        }
        if let Some(policy) = &t.policy {
            out.push_str(&crate::report::policy::text(policy, p));
        }
        if !t.findings.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", p.paint("Findings", Tone::Strong));
            for f in &t.findings {
                finding(f, p, &mut out);
            }
        }
    }
    if r.interrupted {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                "Interrupted: unfinished probes are shown as timed out or not tested.",
                Tone::Warn
            )
        );
    }
    recap(r, p, width, &mut out);
    out
}
