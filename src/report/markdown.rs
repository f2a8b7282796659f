//! Markdown for tickets (GitHub, Jira, ServiceNow): a header with tool
//! version, time, targets and resolver; the summary lines; a versions ×
//! servers table per target; findings with the errors peers log and the
//! fix. No escape codes; every server string goes through
//! `style::sanitize` or `style::markdown::prose`.

use std::fmt::Write as _;

use crate::diagnose::findings::{describe_result, Finding};
use crate::model::ServerObservation;
use crate::report::finding::FindingView;
use crate::report::outcome::{RunReport, TargetReport};
use crate::report::style::markdown::{code_block, code_span, prose_line};
use crate::report::style::sanitize;
use crate::report::table::{
    cert_words, common_not_tested, not_tested_words, policy_meaning, server_name, stage_message,
    versions_table, Table,
};

fn md(s: &str) -> String {
    sanitize::md_field(s)
}

/// Running text for a ticket (see `style::markdown::prose`).
pub use crate::report::style::markdown::prose;

/// A verdict heading, the first line of every command's Markdown:
/// `## FAIL — contoso.com: …`. `summary` starts with the verdict word or
/// not; the rest is tlscheck's words around server text.
pub fn headline(word: &str, summary: &str) -> String {
    let rest = summary
        .strip_prefix(word)
        .map(str::trim_start)
        .unwrap_or(summary);
    format!("## {word} — {}", prose_line(rest))
}

/// What the exit code means, in a few words.
fn exit_words(code: u8) -> &'static str {
    match code {
        0 => "pass",
        1 => "a server failed the policy",
        2 => "usage error or a bad line in the target list",
        3 => "nothing could be tested, or inconclusive",
        130 => "interrupted",
        _ => "",
    }
}

/// Renders a table as a GitHub-style pipe table.
pub fn table(t: &Table) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", t.header.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        t.header.iter().map(|_| "---|").collect::<String>()
    );
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|c| md(&c.text)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// The whole Markdown report.
pub fn render(r: &RunReport, with_transcript: bool) -> String {
    let mut out = String::new();
    // The verdict is the heading: the first thing a ticket shows.
    for t in &r.targets {
        let _ = writeln!(out, "{}", headline(t.verdict.word(), &t.summary));
        let _ = writeln!(out);
    }
    if r.targets.is_empty() {
        let _ = writeln!(out, "## tlscheck report");
        let _ = writeln!(out);
    }
    header(r, &mut out);
    for bad in &r.invalid {
        let _ = writeln!(
            out,
            "**INVALID** {}: {}",
            code_span(&format!("{}:{}", bad.file, bad.line)),
            prose(&bad.error)
        );
        let _ = writeln!(out);
    }
    for t in &r.targets {
        target(t, with_transcript, &mut out);
    }
    out
}

/// The list under the headings: where from, options, tool, time, exit
/// code, targets, resolver.
fn header(r: &RunReport, out: &mut String) {
    let o = &r.origin;
    let from = match &o.hostname {
        Some(h) => format!("host {}", prose(h)),
        None => "host name unknown".to_owned(),
    };
    let sources: Vec<String> = o
        .sources
        .iter()
        .map(|(peer, src)| format!("source address {src} (towards {peer})"))
        .collect();
    if sources.is_empty() {
        let _ = writeln!(out, "- checked from: {from}");
    } else {
        let _ = writeln!(out, "- checked from: {from}, {}", sources.join(", "));
    }
    if o.options.is_empty() {
        let _ = writeln!(out, "- options that change results: none");
    } else {
        let opts: Vec<String> = o.options.iter().map(|x| code_span(x)).collect();
        let _ = writeln!(out, "- options that change results: {}", opts.join(", "));
    }
    let _ = writeln!(
        out,
        "- tool: tlscheck {}\n- time (UTC): {} to {}",
        r.tool_version, r.started_at, r.finished_at
    );
    let _ = writeln!(
        out,
        "- exit code: {} ({})",
        r.exit.code(),
        exit_words(r.exit.code())
    );
    let targets: Vec<String> = r.targets.iter().map(|t| prose(&t.input)).collect();
    let _ = writeln!(out, "- targets: {}", targets.join(", "));
    if let Some(res) = r
        .targets
        .iter()
        .find_map(|t| t.dns.as_ref().map(|d| d.resolver.clone()))
    {
        let _ = writeln!(out, "- resolver: {}", prose(&res));
    }
    if r.interrupted {
        let _ = writeln!(
            out,
            "- **interrupted**: unfinished probes are shown as timed out or not tested"
        );
    }
    let _ = writeln!(out);
}

/// One target: DNS, the versions table, each server, policy, findings.
fn target(t: &TargetReport, with_transcript: bool, out: &mut String) {
    let _ = writeln!(out, "### {} ({})", prose(&t.input), t.mode.label());
    let _ = writeln!(out);
    if let Some(dns) = &t.dns {
        out.push_str(&crate::report::dns::markdown(dns));
        let _ = writeln!(out);
    }
    if !t.servers.is_empty() {
        out.push_str(&table(&versions_table(&t.servers)));
        let _ = writeln!(out);
    }
    for s in &t.servers {
        server(s, with_transcript, out);
    }
    if let Some(policy) = &t.policy {
        out.push_str(&crate::report::policy::markdown(policy));
        let _ = writeln!(out);
    }
    if !t.findings.is_empty() {
        let _ = writeln!(out, "#### Findings");
        let _ = writeln!(out);
        for f in &t.findings {
            finding(f, out);
        }
        let _ = writeln!(out);
    }
}

/// One server's details as a list.
fn server(s: &ServerObservation, with_transcript: bool, out: &mut String) {
    let _ = writeln!(out, "#### {}", prose(&server_name(s)));
    let _ = writeln!(out);
    if let Some(e) = &s.error {
        let _ = writeln!(
            out,
            "- error: {}",
            prose(&stage_message(e.stage, &e.message))
        );
    }
    if let Some(b) = &s.banner {
        let _ = writeln!(out, "- banner: {} {}", b.code, prose(&b.text()));
    }
    if let Some(e) = &s.ehlo {
        let exts: Vec<String> = e.extensions.iter().map(|x| prose(x)).collect();
        let _ = writeln!(out, "- EHLO: {}", exts.join(", "));
    }
    if let Some(r) = &s.policy.mail_from {
        let _ = writeln!(
            out,
            "- `MAIL FROM:<>` before STARTTLS: {} {} ({})",
            r.code,
            prose(&r.text()),
            policy_meaning(s.policy.requires_tls)
        );
    }
    // A server that could not be reached, or where no version could be
    // tried for one reason, gets that reason once.
    let reason = common_not_tested(s);
    if let (Some(reason), None) = (reason, &s.error) {
        let _ = writeln!(
            out,
            "- TLS: not tested: {}",
            prose(&not_tested_words(reason))
        );
    }
    for v in s
        .versions
        .iter()
        .filter(|_| reason.is_none() && s.error.is_none())
    {
        let _ = writeln!(
            out,
            "- {}: {} ({} ms)",
            v.version,
            prose(&describe_result(&v.result)),
            v.elapsed.as_millis()
        );
    }
    for (l, line) in crate::report::suites::lines(s) {
        let line = md(&line);
        let _ = match l.as_str() {
            "" => writeln!(out, "  - {}", line.trim_start()),
            _ => writeln!(out, "- {l}: {line}"),
        };
    }
    if let Some(c) = &s.certificate {
        let _ = writeln!(
            out,
            "- certificate: {}; issuer {}; names {}; valid until {} ({}); {}; verdict **{}**",
            prose(&c.subject),
            prose(&c.issuer),
            prose(&c.sans.join(", ")),
            prose(&c.not_after),
            crate::report::table::days(c.days_left),
            prose(&crate::report::table::key_words(&c.key_type, c.key_bits)),
            cert_words(&c.verdict)
        );
    }
    if with_transcript {
        let mut body = String::new();
        for (name, t) in crate::report::sessions(s) {
            let _ = writeln!(body, "-- {name}");
            for e in t {
                let _ = writeln!(body, "{}", crate::report::transcript_line(e));
            }
        }
        let _ = writeln!(out);
        out.push_str(&code_block("text", &body, ""));
    }
    let _ = writeln!(out);
}

/// One finding of a check as a list item, in the layout every command
/// shares.
pub fn finding(f: &Finding, out: &mut String) {
    crate::report::finding::markdown(&FindingView::new(f), out);
}
