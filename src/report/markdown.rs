//! Markdown for tickets (GitHub, Jira, ServiceNow): a header with tool
//! version, time, targets and resolver; the summary lines; a versions ×
//! servers table per target; findings with the errors peers log and the
//! fix. No escape codes; every server string goes through
//! `sanitize::for_markdown`.

use std::fmt::Write as _;

use crate::diagnose::findings::describe_result;
use crate::report::outcome::RunReport;
use crate::report::style::sanitize::{for_markdown, MAX_SHOWN};
use crate::report::table::{
    cert_words, common_not_tested, not_tested_words, policy_meaning, server_name, stage_message,
    versions_table, Table,
};

fn md(s: &str) -> String {
    for_markdown(s, MAX_SHOWN)
}

/// Longest headline shown: long enough for any summary tlscheck writes
/// (it is never cut in a ticket), still a bound on server text inside it.
const MAX_HEADLINE: usize = 4096;

/// Running text for a ticket: made safe like `md`, but a word with
/// characters Markdown would need a backslash for (`TLS_ECDHE_…`,
/// `<>`, `*`) goes into a code span instead, so a plain-text ticket field
/// shows no backslashes.
pub fn prose(s: &str) -> String {
    prose_max(s, MAX_SHOWN)
}

fn prose_max(s: &str, max: usize) -> String {
    let safe = crate::report::style::sanitize::for_terminal(s, max);
    let special = |c: char| {
        matches!(
            c,
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~'
        )
    };
    safe.split(' ')
        .map(|word| {
            if !word.contains(special) {
                return word.to_owned();
            }
            // Keep plain punctuation around the word outside the span.
            let lead = word.len() - word.trim_start_matches(['(', '"', '\'']).len();
            let trail = word.len()
                - word
                    .trim_end_matches([')', ',', ';', '.', ':', '"', '\''])
                    .len();
            let (head, rest) = word.split_at(lead);
            let (core, tail) = rest.split_at(rest.len().saturating_sub(trail));
            if core.is_empty() {
                return md(word);
            }
            let core = core.replace('|', "\\|");
            if core.contains('`') {
                format!("{head}`` {core} ``{tail}")
            } else {
                format!("{head}`{core}`{tail}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The headline of a target as a heading: `## FAIL — contoso.com: …`.
fn headline(t: &crate::report::outcome::TargetReport) -> String {
    let word = t.verdict.word();
    let rest = t
        .summary
        .strip_prefix(word)
        .map(str::trim_start)
        .unwrap_or(&t.summary);
    format!("## {word} — {}", prose_max(rest, MAX_HEADLINE))
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
        let _ = writeln!(out, "{}", headline(t));
        let _ = writeln!(out);
    }
    if r.targets.is_empty() {
        let _ = writeln!(out, "## tlscheck report");
        let _ = writeln!(out);
    }
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
        let opts: Vec<String> = o
            .options
            .iter()
            .map(|x| format!("`{}`", x.replace('`', "'")))
            .collect();
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
    for bad in &r.invalid {
        let _ = writeln!(
            out,
            "**INVALID** `{}:{}`: {}",
            bad.file.replace('`', "'"),
            bad.line,
            prose(&bad.error)
        );
        let _ = writeln!(out);
    }
    for t in &r.targets {
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
            // A server that could not be reached, or where no version
            // could be tried for one reason, gets that reason once.
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
                    "- certificate: {}; issuer {}; names {}; valid until {} ({}); {}{}; verdict **{}**",
                    prose(&c.subject),
                    prose(&c.issuer),
                    prose(&c.sans.join(", ")),
                    prose(&c.not_after),
                    crate::report::table::days(c.days_left),
                    prose(&c.key_type),
                    c.key_bits
                        .filter(|_| !c.key_type.starts_with("EC P-"))
                        .map(|b| format!(" {b}"))
                        .unwrap_or_default(),
                    cert_words(&c.verdict)
                );
            }
            if with_transcript {
                let _ = writeln!(out);
                let _ = writeln!(out, "```text");
                for (name, t) in crate::report::sessions(s) {
                    let _ = writeln!(out, "-- {name}");
                    for e in t {
                        // A line of backticks must not close the fence.
                        let line = crate::report::transcript_line(e).replace("```", "'''");
                        let _ = writeln!(out, "{line}");
                    }
                }
                let _ = writeln!(out, "```");
            }
            let _ = writeln!(out);
        }
        if let Some(policy) = &t.policy {
            out.push_str(&crate::report::policy::markdown(policy));
            let _ = writeln!(out);
        }
        if !t.findings.is_empty() {
            let _ = writeln!(out, "#### Findings");
            let _ = writeln!(out);
            for f in &t.findings {
                finding(f, "peers will log", &mut out);
            }
            let _ = writeln!(out);
        }
    }
    out
}

/// One finding as a list item: title, what was seen, the errors peers log
/// (`sig_word`: "peers will log" for a server, "logs" for a sender), fixes.
pub fn finding(f: &crate::diagnose::findings::Finding, sig_word: &str, out: &mut String) {
    let _ = writeln!(
        out,
        "- **{}** `{}`: {}",
        f.severity.label().to_uppercase(),
        f.id,
        prose(&f.title)
    );
    for e in &f.evidence {
        let _ = writeln!(out, "  - seen: {}", prose(e));
    }
    for id in &f.signatures {
        if let Some(sig) = crate::report::signature(id) {
            let _ = writeln!(
                out,
                "  - {sig_word}: `{}` — {}",
                sig.text,
                crate::report::appears_in(sig)
            );
        }
    }
    for r in &f.remediation {
        let _ = writeln!(out, "  - fix: {}", prose(r));
    }
    if let Some(fix) = &f.fix {
        let _ = writeln!(
            out,
            "  - how ({}): {}",
            fix.software.name(),
            fix.remediation.title
        );
        for (i, step) in fix.remediation.steps.iter().enumerate() {
            let _ = writeln!(out, "    {}. {step}", i + 1);
        }
        if let Some(sn) = fix.remediation.snippet {
            let _ = writeln!(out, "\n    ```{}", sn.language);
            for line in sn.text.lines() {
                let _ = writeln!(out, "{}", format!("    {line}").trim_end());
            }
            let _ = writeln!(out, "    ```\n");
        }
    }
}
