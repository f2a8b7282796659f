//! Text, Markdown and JSON for `tlscheck schannel`: the protocol × side
//! table, the .NET values, findings with their `.reg` fixes, the verdict.
//!
//! Renderers return strings and never print. Key and value names quoted
//! from the file are hostile: text and Markdown escape control, bidi and
//! zero-width characters (and Markdown syntax); JSON keeps them exact.
//! JSON goes through the DTOs below, so the domain types carry no serde.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use serde::Serialize;

use crate::diagnose::schannel::{
    Audit, DisabledBy, DotNetSetting, Finding, OsDefault, Protocol, ProtocolSetting, ProtocolState,
    Severity, Side,
};

/// Version of the JSON document; bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;
/// Text is wrapped to this many columns (the `.reg` blocks are not).
const TEXT_WIDTH: usize = 78;
/// No single field from the file is shown longer than this in text or
/// Markdown.
const MAX_FIELD_CHARS: usize = 4000;

/// How a table cell should look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tone {
    Good,
    Bad,
    Warn,
    Plain,
}

/// One cell of the protocol table: words and tone, shared by text and
/// Markdown.
struct Cell {
    text: String,
    tone: Tone,
}

/// The protocol × side table: one row per protocol, Client then Server.
fn protocol_rows(audit: &Audit) -> Vec<(Protocol, Vec<Cell>)> {
    Protocol::ALL
        .into_iter()
        .map(|p| {
            let cells = Side::ALL
                .into_iter()
                .map(|s| match audit.setting(p, s) {
                    Some(setting) => cell(setting),
                    None => Cell {
                        text: "?".to_owned(),
                        tone: Tone::Plain,
                    },
                })
                .collect();
            (p, cells)
        })
        .collect()
}

fn cell(s: &ProtocolSetting) -> Cell {
    let text = state_words(s);
    let usable = s.is_usable();
    let tone = match (s.protocol, usable) {
        (Protocol::Tls12, Some(true)) => Tone::Good,
        (Protocol::Tls12, Some(false)) => Tone::Bad,
        (Protocol::Tls12, None) => Tone::Warn,
        (Protocol::Ssl2 | Protocol::Ssl3 | Protocol::Tls10 | Protocol::Tls11, Some(true)) => {
            Tone::Warn
        }
        (Protocol::Ssl2 | Protocol::Ssl3 | Protocol::Tls10 | Protocol::Tls11, Some(false)) => {
            Tone::Good
        }
        _ => Tone::Plain,
    };
    Cell { text, tone }
}

/// `on (Enabled=1)`, `OFF (DisabledByDefault=1)`, `on (OS default)`, ….
fn state_words(s: &ProtocolSetting) -> String {
    let set_values = || {
        let mut v = Vec::new();
        if let Some(n) = s.enabled {
            v.push(format!("Enabled={}", dword(n)));
        }
        if let Some(n) = s.disabled_by_default {
            v.push(format!("DisabledByDefault={}", dword(n)));
        }
        v.join(", ")
    };
    match s.state {
        ProtocolState::Enabled if s.os_default == OsDefault::NotSupported => {
            format!("not supported ({} ignored)", set_values())
        }
        ProtocolState::Enabled => format!("on ({})", set_values()),
        ProtocolState::Disabled(by) => {
            let why = match by {
                DisabledBy::EnabledZero => "Enabled=0",
                DisabledBy::DisabledByDefault => "DisabledByDefault=1",
                DisabledBy::Both => "Enabled=0, DisabledByDefault=1",
            };
            format!("OFF ({why})")
        }
        ProtocolState::OsDefault(d) => match d {
            OsDefault::Enabled => "on (OS default)".to_owned(),
            OsDefault::Disabled => "off (OS default)".to_owned(),
            OsDefault::NotSupported => "not supported".to_owned(),
            OsDefault::Unknown => "unknown (OS default)".to_owned(),
        },
    }
}

/// A dword as people write it: `1`, `0xffffffff`.
fn dword(n: u32) -> String {
    if n < 10 {
        n.to_string()
    } else {
        format!("0x{n:x}")
    }
}

fn dotnet_value(v: Option<u32>) -> String {
    v.map_or_else(|| "(not set)".to_owned(), dword)
}

fn column_header(side: Side) -> &'static str {
    match side {
        Side::Client => "Client (sending mail)",
        Side::Server => "Server (receiving mail)",
    }
}

fn os_line(audit: &Audit) -> String {
    match audit.os {
        Some(os) => format!("{os}"),
        None => "unknown Windows version (pass --os): OS defaults are uncertain".to_owned(),
    }
}

fn severity_counts(findings: &[Finding]) -> String {
    let count = |sev| findings.iter().filter(|f| f.severity == sev).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{}, {}, {} info",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        count(Severity::Info)
    )
}

/// Renders the audit as terminal text; `color` adds ANSI colours.
pub fn render_text(audit: &Audit, color: bool) -> String {
    let paint = Painter { color };
    let mut out = String::new();
    out.push_str(&paint.heading("SCHANNEL audit"));
    out.push('\n');
    out.push_str(&format!(
        "File:     {}, {}\n",
        audit.format.describe(),
        audit.encoding.describe()
    ));
    out.push_str(&format!("Defaults: {}\n\n", os_line(audit)));

    let rows = protocol_rows(audit);
    let headers = [
        "Protocol",
        column_header(Side::Client),
        column_header(Side::Server),
    ];
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for (protocol, cells) in &rows {
        let texts =
            std::iter::once(protocol.key_name()).chain(cells.iter().map(|c| c.text.as_str()));
        for (w, t) in widths.iter_mut().zip(texts) {
            *w = (*w).max(t.chars().count());
        }
    }
    let pad = |t: &str, w: usize| format!("{t:<w$}");
    let header_line: Vec<String> = headers
        .iter()
        .zip(&widths)
        .map(|(h, &w)| pad(h, w))
        .collect();
    out.push_str(paint.heading(header_line.join("  ").trim_end()).as_str());
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    out.push_str(&rule.join("  "));
    out.push('\n');
    for (protocol, cells) in &rows {
        let mut line = pad(protocol.key_name(), widths.first().copied().unwrap_or(0));
        for (c, &w) in cells.iter().zip(widths.iter().skip(1)) {
            line.push_str("  ");
            line.push_str(&paint.tone(&pad(&c.text, w), c.tone));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    for side in Side::ALL {
        out.push_str(&wrap(&format!("{side} = {}.", side.role()), "", "  "));
    }
    out.push('\n');

    match &audit.dotnet {
        Some(settings) => {
            out.push_str(&dotnet_text(settings, &paint));
            out.push('\n');
        }
        None if audit.format == crate::diagnose::schannel::ExportFormat::LiveRegistry => {
            out.push_str(".NET Framework: no key in this machine's registry (not installed)\n\n");
        }
        None => out.push_str(".NET Framework: not in this export\n\n"),
    }

    out.push_str(&paint.heading(&format!("Findings ({})", severity_counts(&audit.findings))));
    out.push('\n');
    for f in &audit.findings {
        out.push('\n');
        out.push_str(&finding_text(f, &paint));
    }
    if audit.findings.is_empty() {
        out.push_str("  none\n");
    }
    if let Some(file) = crate::report::fixfiles::for_schannel(audit) {
        out.push('\n');
        out.push_str(&paint.heading("The fix: one .reg file for every finding above"));
        out.push('\n');
        out.push_str(&wrap(
            &format!(
                "{} Copy the lines below into schannel-fix.reg, or add --write-fix DIR to \
                 write the file (CRLF, header at column 1).",
                import_advice(audit)
            ),
            "",
            "",
        ));
        out.push('\n');
        let text = String::from_utf8_lossy(&file.bytes).replace("\r\n", "\n");
        out.push_str(&sanitize(&text));
    }
    out.push('\n');
    let verdict = format!("Verdict: {}", audit.verdict.label().to_uppercase());
    let tone = match audit.verdict {
        crate::diagnose::schannel::Verdict::Ok => Tone::Good,
        crate::diagnose::schannel::Verdict::Problem => Tone::Bad,
    };
    let line = wrap(&format!("{verdict} — {}", audit.verdict_reason()), "", "  ");
    out.push_str(&line.replacen(&verdict, &paint.tone(&verdict, tone), 1));
    out
}

fn dotnet_text(settings: &[DotNetSetting], paint: &Painter) -> String {
    let headers = [
        ".NET Framework",
        "SystemDefaultTlsVersions",
        "SchUseStrongCrypto",
    ];
    let rows: Vec<[String; 3]> = settings
        .iter()
        .map(|s| {
            [
                s.key.label().to_owned(),
                dotnet_value(s.system_default_tls_versions),
                dotnet_value(s.sch_use_strong_crypto),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, t) in widths.iter_mut().zip(row) {
            *w = (*w).max(t.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = paint.heading(&line(&headers));
    out.push('\n');
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&line(&cells));
        out.push('\n');
    }
    out
}

fn finding_text(f: &Finding, paint: &Painter) -> String {
    let tone = match f.severity {
        Severity::Error => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Plain,
    };
    let severity = f.severity.label().to_uppercase();
    let head = wrap(
        &format!("{severity} {}: {}", f.id, sanitize(&f.summary)),
        "",
        "  ",
    );
    let mut out = head.replacen(&severity, &paint.tone(&severity, tone), 1);
    out.push_str(&wrap(&sanitize(&f.detail), "  ", "  "));
    if !f.lines.is_empty() {
        out.push_str(&format!("  Lines: {}\n", join_lines(&f.lines)));
    }
    if let Some(fix) = &f.fix {
        // The import-and-restart paragraph and the .reg come once, merged,
        // after the findings.
        let advice = advice_without_import(&fix.advice);
        let text = if advice.is_empty() {
            "Fix: in the .reg file below.".to_owned()
        } else {
            format!("Fix (in the .reg file below): {advice}")
        };
        out.push_str(&wrap(&sanitize(&text), "  ", "  "));
    }
    out
}

/// A fix's advice without the sentence on importing and restarting, which
/// the merged .reg says once.
fn advice_without_import(advice: &str) -> String {
    let cut = ["Import it (", "Import, then restart"]
        .iter()
        .filter_map(|m| advice.find(m))
        .min()
        .unwrap_or(advice.len());
    advice.get(..cut).unwrap_or(advice).trim().to_owned()
}

/// The sentence on importing and restarting, from the first fix that has
/// one (the .NET one names the .NET processes).
fn import_advice(audit: &Audit) -> String {
    let all: Vec<&str> = audit
        .findings
        .iter()
        .filter_map(|f| f.fix.as_ref().map(|x| x.advice.as_str()))
        .collect();
    let dotnet = all.iter().find(|a| a.contains(".NET process"));
    let pick = dotnet.or_else(|| all.iter().find(|a| a.contains("Import it (")));
    match pick.and_then(|a| a.find("Import it (").map(|i| &a[i..])) {
        Some(s) => s.to_owned(),
        None => "Import it (double-click the .reg file, or run reg import FILE), then restart \
                 the server: Schannel reads these keys at boot."
            .to_owned(),
    }
}

/// Whitespace-separated words, with a run from a word starting with `'` to
/// the next word holding a closing `'` kept as one unit.
fn unbreakable_units(text: &str) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut open: Option<String> = None;
    for word in text.split_whitespace() {
        match open.take() {
            Some(mut unit) => {
                unit.push(' ');
                unit.push_str(word);
                if word.contains('\'') {
                    units.push(unit);
                } else {
                    open = Some(unit);
                }
            }
            None => {
                let quote_opens = word
                    .strip_prefix('\'')
                    .is_some_and(|rest| !rest.contains('\''));
                if quote_opens {
                    open = Some(word.to_owned());
                } else {
                    units.push(word.to_owned());
                }
            }
        }
    }
    units.extend(open);
    units
}

fn join_lines(lines: &[usize]) -> String {
    let texts: Vec<String> = lines.iter().map(usize::to_string).collect();
    texts.join(", ")
}

/// Greedy word wrap to [`TEXT_WIDTH`]: the first line starts with `first`,
/// the others with `rest`. A 'quoted name' is not broken (key names such as
/// 'TLS 1.2' contain spaces); units longer than a line stand alone.
fn wrap(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_owned();
    let mut empty = true;
    for word in unbreakable_units(text) {
        let word = word.as_str();
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > TEXT_WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_owned();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// ANSI colours for the text renderer, or none. Written out directly (no
/// global state), so a plain render never depends on a colour library's
/// environment detection.
struct Painter {
    color: bool,
}

impl Painter {
    fn sgr(&self, text: &str, code: &str) -> String {
        if self.color && !code.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn tone(&self, text: &str, tone: Tone) -> String {
        let code = match tone {
            Tone::Good => "32",
            Tone::Bad => "1;31",
            Tone::Warn => "33",
            Tone::Plain => "",
        };
        self.sgr(text, code)
    }

    fn heading(&self, text: &str) -> String {
        self.sgr(text, "1")
    }
}

/// Escapes what must not reach a terminal or a Markdown viewer raw:
/// control characters (except newline), bidi overrides and zero-width
/// characters become `\u{…}`; the text is cut at [`MAX_FIELD_CHARS`].
fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == MAX_FIELD_CHARS {
            out.push('…');
            break;
        }
        let hidden = matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
        );
        if (c.is_control() && c != '\n') || hidden {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`sanitize`], then backslash-escape Markdown syntax (a registry path's
/// `\.NETFramework` would otherwise lose its backslash).
fn md_escape(s: &str) -> String {
    let mut out = String::new();
    for c in sanitize(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code fence longer than any backtick run inside `body`.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// Renders the audit as GitHub-flavoured Markdown (no colour).
pub fn render_markdown(audit: &Audit) -> String {
    let mut out = String::from("# SCHANNEL audit\n\n");
    out.push_str(&format!(
        "- **File:** {}, {}\n",
        md_escape(audit.format.describe()),
        md_escape(audit.encoding.describe())
    ));
    out.push_str(&format!("- **Defaults:** {}\n", md_escape(&os_line(audit))));
    out.push_str(&format!(
        "- **Verdict:** **{}** — {}\n\n",
        audit.verdict.label(),
        md_escape(&audit.verdict_reason())
    ));

    out.push_str("## Protocols\n\n");
    out.push_str(&format!(
        "| Protocol | {} | {} |\n|---|---|---|\n",
        column_header(Side::Client),
        column_header(Side::Server)
    ));
    for (protocol, cells) in protocol_rows(audit) {
        let texts: Vec<String> = cells
            .iter()
            .map(|c| {
                let t = md_escape(&c.text);
                if c.tone == Tone::Bad {
                    format!("**{t}**")
                } else {
                    t
                }
            })
            .collect();
        out.push_str(&format!("| {protocol} | {} |\n", texts.join(" | ")));
    }
    out.push('\n');
    for side in Side::ALL {
        out.push_str(&format!("- *{side}*: {}.\n", md_escape(side.role())));
    }
    out.push('\n');

    out.push_str("## .NET Framework\n\n");
    match &audit.dotnet {
        Some(settings) => {
            out.push_str(
                "| Key | SystemDefaultTlsVersions | SchUseStrongCrypto |\n|---|---|---|\n",
            );
            for s in settings {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    s.key.label(),
                    md_escape(&dotnet_value(s.system_default_tls_versions)),
                    md_escape(&dotnet_value(s.sch_use_strong_crypto))
                ));
            }
        }
        None => out.push_str("Not in this export.\n"),
    }
    out.push('\n');

    out.push_str(&format!(
        "## Findings ({})\n",
        severity_counts(&audit.findings)
    ));
    for f in &audit.findings {
        out.push_str(&format!(
            "\n### {} `{}`\n\n{}\n\n{}\n",
            f.severity.label().to_uppercase(),
            f.id,
            md_escape(&f.summary),
            md_escape(&f.detail)
        ));
        if !f.lines.is_empty() {
            out.push_str(&format!("\nLines: {}\n", join_lines(&f.lines)));
        }
        if let Some(fix) = &f.fix {
            let advice = advice_without_import(&fix.advice);
            let advice = if advice.is_empty() {
                String::new()
            } else {
                format!(" {}", md_escape(&advice))
            };
            out.push_str(&format!(
                "\n**Fix** (in the .reg file under \"The fix\"):{advice}\n"
            ));
        }
    }
    // One .reg for every finding, and the import advice once.
    if let Some(file) = crate::report::fixfiles::for_schannel(audit) {
        let reg = sanitize(&String::from_utf8_lossy(&file.bytes).replace("\r\n", "\n"));
        let fence = fence_for(&reg);
        out.push_str(&format!(
            "\n## The fix: one .reg file for every finding\n\n{} Save it as \
             `schannel-fix.reg` (or use `--write-fix DIR`).\n\n{fence}reg\n{reg}{fence}\n",
            md_escape(&import_advice(audit))
        ));
    }
    out
}

/// The JSON document (`schema_version`, `kind: "schannel"`).
#[derive(Serialize)]
struct SchannelReportDto {
    schema_version: u32,
    kind: &'static str,
    tool: crate::report::json::ToolDto,
    source: SourceDto,
    os: Option<&'static str>,
    verdict: &'static str,
    verdict_reason: String,
    sides: SidesDto,
    protocols: Vec<ProtocolDto>,
    dotnet: Option<Vec<DotNetDto>>,
    findings: Vec<FindingDto>,
    /// The one .reg that fixes every finding (what `--write-fix` writes as
    /// schannel-fix.reg, here with LF line ends); null when none has a fix.
    fix_reg: Option<String>,
}

#[derive(Serialize)]
struct SourceDto {
    format: &'static str,
    encoding: &'static str,
}

#[derive(Serialize)]
struct SidesDto {
    client: &'static str,
    server: &'static str,
}

#[derive(Serialize)]
struct ProtocolDto {
    protocol: &'static str,
    name: &'static str,
    side: &'static str,
    key_present: bool,
    enabled: Option<u32>,
    disabled_by_default: Option<u32>,
    state: &'static str,
    disabled_by: Option<&'static str>,
    os_default: &'static str,
    usable: Option<bool>,
}

#[derive(Serialize)]
struct DotNetDto {
    key: &'static str,
    path: &'static str,
    key_present: bool,
    system_default_tls_versions: Option<u32>,
    sch_use_strong_crypto: Option<u32>,
}

#[derive(Serialize)]
struct FindingDto {
    id: &'static str,
    severity: &'static str,
    summary: String,
    detail: String,
    lines: Vec<usize>,
    fix: Option<FixDto>,
}

#[derive(Serialize)]
struct FixDto {
    advice: String,
    reg: String,
}

impl From<&Audit> for SchannelReportDto {
    fn from(a: &Audit) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            kind: "schannel",
            tool: crate::report::json::tool(),
            source: SourceDto {
                format: a.format.label(),
                encoding: a.encoding.label(),
            },
            os: a.os.map(|os| os.cli_name()),
            verdict: a.verdict.label(),
            verdict_reason: a.verdict_reason(),
            sides: SidesDto {
                client: Side::Client.role(),
                server: Side::Server.role(),
            },
            protocols: a
                .protocols
                .iter()
                .map(|s| ProtocolDto {
                    protocol: s.protocol.label(),
                    name: s.protocol.key_name(),
                    side: s.side.label(),
                    key_present: s.key_present,
                    enabled: s.enabled,
                    disabled_by_default: s.disabled_by_default,
                    state: s.state.label(),
                    disabled_by: match s.state {
                        ProtocolState::Disabled(by) => Some(by.label()),
                        _ => None,
                    },
                    os_default: s.os_default.label(),
                    usable: s.is_usable(),
                })
                .collect(),
            dotnet: a.dotnet.as_ref().map(|settings| {
                settings
                    .iter()
                    .map(|s| DotNetDto {
                        key: s.key.label(),
                        path: s.key.path(),
                        key_present: s.key_present,
                        system_default_tls_versions: s.system_default_tls_versions,
                        sch_use_strong_crypto: s.sch_use_strong_crypto,
                    })
                    .collect()
            }),
            findings: a
                .findings
                .iter()
                .map(|f| FindingDto {
                    id: f.id.as_str(),
                    severity: f.severity.label(),
                    summary: f.summary.clone(),
                    detail: f.detail.clone(),
                    lines: f.lines.clone(),
                    fix: f.fix.as_ref().map(|fix| FixDto {
                        advice: fix.advice.clone(),
                        reg: fix.reg.clone(),
                    }),
                })
                .collect(),
            fix_reg: {
                let regs: Vec<&str> = a
                    .findings
                    .iter()
                    .filter_map(|f| f.fix.as_ref().map(|x| x.reg.as_str()))
                    .collect();
                (!regs.is_empty()).then(|| crate::report::fixfiles::merge_reg(&regs))
            },
        }
    }
}

/// Renders the audit as pretty-printed JSON with a trailing newline.
pub fn render_json(audit: &Audit) -> String {
    json(audit, true)
}

/// Renders the audit as one line of JSON (`--format ndjson`).
pub fn render_json_line(audit: &Audit) -> String {
    json(audit, false)
}

fn json(audit: &Audit, pretty: bool) -> String {
    let dto = SchannelReportDto::from(audit);
    // Plain structs with string keys: serialisation cannot fail; if it
    // ever did, say so in JSON rather than panic.
    let s = if pretty {
        serde_json::to_string_pretty(&dto)
    } else {
        serde_json::to_string(&dto)
    };
    match s {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!(
            "{{\"schema_version\":{SCHEMA_VERSION},\"kind\":\"schannel\",\"error\":{:?}}}\n",
            e.to_string()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_the_width_and_keeps_long_words_whole() {
        let text = format!("{} {}", "word ".repeat(30), "x".repeat(100));
        let wrapped = wrap(&text, "  ", "  ");
        for line in wrapped.lines() {
            assert!(
                line.chars().count() <= TEXT_WIDTH || !line.trim().contains(' '),
                "{line}"
            );
        }
        assert!(wrapped.contains(&"x".repeat(100)));
    }

    #[test]
    fn wrap_keeps_quoted_key_names_on_one_line() {
        let text = format!(
            "{}'TLS 1.2' and 'TLS 1,2' stay whole, unterminated 'a b",
            "w ".repeat(37)
        );
        let wrapped = wrap(&text, "", "");
        assert!(
            wrapped.contains("'TLS 1.2'") && wrapped.contains("'TLS 1,2'"),
            "{wrapped}"
        );
        assert!(wrapped.contains("'a b"), "{wrapped}");
    }

    #[test]
    fn sanitize_escapes_escape_sequences_and_bidi_but_keeps_newlines() {
        assert_eq!(
            sanitize("a\u{1b}[2Jb\u{202e}c\nd"),
            "a\\u{1b}[2Jb\\u{202e}c\nd"
        );
    }

    #[test]
    fn markdown_escape_keeps_registry_backslashes_visible() {
        assert_eq!(
            md_escape(r"SOFTWARE\.NETFramework"),
            r"SOFTWARE\\.NETFramework"
        );
        assert_eq!(md_escape("a|b"), "a\\|b");
    }

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a````b"), "`````");
    }
}
