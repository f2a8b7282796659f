//! Markdown for tickets (GitHub, Jira, ServiceNow): a header with tool
//! version, time, targets and resolver; the summary lines; a versions ×
//! servers table per target; findings with the errors peers log and the
//! fix. No escape codes; every server string goes through
//! `sanitize::for_markdown`.

use std::fmt::Write as _;

use crate::diagnose::findings::describe_result;
use crate::outcome::RunReport;
use crate::report::sanitize::{for_markdown, MAX_SHOWN};
use crate::report::table::{
    cert_words, common_not_tested, not_tested_words, policy_meaning, server_name, stage_message,
    versions_table, Table,
};

fn md(s: &str) -> String {
    for_markdown(s, MAX_SHOWN)
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
    let _ = writeln!(out, "## tlscheck report");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- tool: tlscheck {}\n- time (UTC): {} to {}",
        r.tool_version, r.started_at, r.finished_at
    );
    let targets: Vec<String> = r.targets.iter().map(|t| md(&t.input)).collect();
    let _ = writeln!(out, "- targets: {}", targets.join(", "));
    if let Some(res) = r
        .targets
        .iter()
        .find_map(|t| t.dns.as_ref().map(|d| d.resolver.clone()))
    {
        let _ = writeln!(out, "- resolver: {}", md(&res));
    }
    if r.interrupted {
        let _ = writeln!(
            out,
            "- **interrupted**: unfinished probes are shown as timed out or not tested"
        );
    }
    let _ = writeln!(out);
    for t in &r.targets {
        let _ = writeln!(out, "**{}**", md(&t.summary));
        let _ = writeln!(out);
    }
    for bad in &r.invalid {
        let _ = writeln!(
            out,
            "**INVALID** `{}:{}`: {}",
            bad.file.replace('`', "'"),
            bad.line,
            md(&bad.error)
        );
        let _ = writeln!(out);
    }
    for t in &r.targets {
        let _ = writeln!(out, "### {} ({})", md(&t.input), t.mode.label());
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
            let _ = writeln!(out, "#### {}", md(&server_name(s)));
            let _ = writeln!(out);
            if let Some(e) = &s.error {
                let _ = writeln!(out, "- error: {}", md(&stage_message(e.stage, &e.message)));
            }
            if let Some(b) = &s.banner {
                let _ = writeln!(out, "- banner: {} {}", b.code, md(&b.text()));
            }
            if let Some(e) = &s.ehlo {
                let exts: Vec<String> = e.extensions.iter().map(|x| md(x)).collect();
                let _ = writeln!(out, "- EHLO: {}", exts.join(", "));
            }
            if let Some(r) = &s.policy.mail_from {
                let _ = writeln!(
                    out,
                    "- MAIL FROM:\\<\\> before STARTTLS: {} {} ({})",
                    r.code,
                    md(&r.text()),
                    policy_meaning(s.policy.requires_tls)
                );
            }
            // A server that could not be reached, or where no version
            // could be tried for one reason, gets that reason once.
            let reason = common_not_tested(s);
            if let (Some(reason), None) = (reason, &s.error) {
                let _ = writeln!(out, "- TLS: not tested: {}", md(&not_tested_words(reason)));
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
                    md(&describe_result(&v.result)),
                    v.elapsed.as_millis()
                );
            }
            if let Some(c) = &s.certificate {
                let _ = writeln!(
                    out,
                    "- certificate: {}; issuer {}; names {}; valid until {} ({}); {}{}; verdict **{}**",
                    md(&c.subject),
                    md(&c.issuer),
                    md(&c.sans.join(", ")),
                    md(&c.not_after),
                    crate::report::table::days(c.days_left),
                    md(&c.key_type),
                    c.key_bits.map(|b| format!(" {b}")).unwrap_or_default(),
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
        md(&f.title)
    );
    for e in &f.evidence {
        let _ = writeln!(out, "  - seen: {}", md(e));
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
        let _ = writeln!(out, "  - fix: {}", md(r));
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
