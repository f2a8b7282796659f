//! Text, Markdown and JSON for `tlscheck listen`: one report per sender
//! session (what its ClientHello offered, what became of the handshake,
//! the verdict against Office 365's TLS 1.2 rule, the fix).
//!
//! Renderers return strings and never print. Everything the sender sent
//! (EHLO name, SNI, addresses, transcript lines) goes through
//! `report::sanitize` in text and Markdown; JSON keeps it exact and goes
//! through the DTOs below, so the domain types carry no serde.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnose::findings::Finding;
use crate::diagnose::remediation::Remediation;
use crate::diagnose::sender::SenderJudgement;
use crate::model::listen::{Handshake, Offer, OfferSource, SenderSession, SessionEnd};
use crate::model::{wire_version_name, Direction, TlsVersion, Transcript};
use crate::report::style::palette::{Palette, Tone};
use crate::report::style::sanitize::{for_markdown, for_terminal, MAX_SHOWN};
use crate::report::text::verdict_tone;

/// Version of the JSON document; bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Text is wrapped to this many columns where tlscheck chooses the breaks
/// (cipher-suite and group lists).
const TEXT_WIDTH: usize = 78;

/// The cap for tlscheck's own words in `sanitize` (cipher-suite lists, the
/// summary around an already-shortened sender name): long enough never to
/// cut them.
const WHOLE: usize = 100_000;

/// Cipher suites named in text and Markdown, in the sender's order (an
/// OpenSSL sender offers 80 or more); JSON lists them all.
const MAX_SUITES_SHOWN: usize = 12;

/// Width of the label column of the details table.
const LABEL_WIDTH: usize = 15;

fn clean(s: &str) -> String {
    for_terminal(s, MAX_SHOWN)
}

fn md(s: &str) -> String {
    for_markdown(s, MAX_SHOWN)
}

/// `1.2` for the versions tlscheck knows, `SSL 3.0` or `0x7f1c` otherwise.
fn version_label(v: u16) -> String {
    TlsVersion::from_wire(v).map_or_else(|| wire_version_name(v), |t| t.label().to_owned())
}

fn offered_words(o: &Offer) -> String {
    let names: Vec<String> = o.versions.iter().map(ToString::to_string).collect();
    let list = if names.is_empty() {
        "no TLS version tlscheck knows".to_owned()
    } else {
        names.join(", ")
    };
    match o.source {
        OfferSource::SupportedVersions => format!("{list} (supported_versions)"),
        OfferSource::LegacyClientVersion => format!(
            "{list} (implied by client_version {}: legacy negotiation, no supported_versions)",
            wire_version_name(o.client_version)
        ),
    }
}

fn handshake_words(s: &SenderSession) -> String {
    match &s.handshake {
        Handshake::NotReached if !s.starttls => "not started: no STARTTLS".to_owned(),
        Handshake::NotReached => "not started: no ClientHello".to_owned(),
        Handshake::ClosedLegacyOnly => {
            "not completed: tlscheck closed the connection after the ClientHello, as Office 365 does"
                .to_owned()
        }
        Handshake::Completed(n) => {
            let mut w = format!("completed: {}, {}", n.version, crate::proto::tls::cipher_name(n.cipher));
            if let Some(g) = n.group {
                let _ = write!(w, ", {}", crate::proto::tls::group_name(g));
            }
            w
        }
        Handshake::Failed { detail, .. } => format!("failed: {detail}"),
        Handshake::TimedOut => "timed out".to_owned(),
    }
}

/// One line of the details table, shared by text and Markdown (which
/// differ in escaping and style).
struct Row {
    label: &'static str,
    /// Raw: sender text inside is escaped by the renderer.
    value: String,
    tone: Tone,
    /// True when the value holds text the sender chose (names, addresses,
    /// error words quoting it): it is cut to `MAX_SHOWN`. tlscheck's own
    /// words (cipher-suite lists) are shown whole.
    from_sender: bool,
}

fn row(label: &'static str, value: String, tone: Tone) -> Row {
    Row {
        label,
        value,
        tone,
        from_sender: false,
    }
}

fn sender_row(label: &'static str, value: String, tone: Tone) -> Row {
    Row {
        from_sender: true,
        ..row(label, value, tone)
    }
}

/// The details table.
fn rows(s: &SenderSession) -> Vec<Row> {
    let mut rows = vec![row("Sender", s.peer.to_string(), Tone::Plain)];
    let verb = if s.used_helo { "HELO" } else { "EHLO" };
    rows.push(sender_row(
        "Greeting",
        match &s.ehlo_name {
            Some(n) => format!("{verb} {n}"),
            None => "no EHLO or HELO".to_owned(),
        },
        Tone::Plain,
    ));
    let starttls = match (s.starttls, s.plaintext_mail) {
        (true, _) => ("yes".to_owned(), Tone::Good),
        (false, true) => (
            "no: MAIL FROM in plain text (answered 530 5.7.0)".to_owned(),
            Tone::Bad,
        ),
        (false, false) => ("not used".to_owned(), Tone::Dim),
    };
    rows.push(row("STARTTLS", starttls.0, starttls.1));
    if let Some(o) = &s.offer {
        let tone = if o.offers_modern() {
            Tone::Good
        } else {
            Tone::Bad
        };
        rows.push(row("Offers", offered_words(o), tone));
        rows.push(row("Highest", wire_version_name(o.highest), tone));
        let suites: Vec<String> = o
            .cipher_suites
            .iter()
            .take(MAX_SUITES_SHOWN)
            .map(|c| crate::proto::tls::cipher_name(*c))
            .collect();
        let more = o.cipher_suites.len().saturating_sub(MAX_SUITES_SHOWN);
        let tail = if more > 0 {
            format!(", … and {more} more (--format json lists all)")
        } else {
            String::new()
        };
        rows.push(row(
            "Cipher suites",
            format!(
                "{} offered: {}{tail}",
                o.cipher_suites.len(),
                suites.join(", ")
            ),
            Tone::Plain,
        ));
        rows.push(row(
            "Office 365 suites",
            crate::diagnose::profiles::sender_office365_words(o),
            if crate::diagnose::profiles::office365_common_suites(&o.cipher_suites).is_empty() {
                Tone::Bad
            } else {
                Tone::Good
            },
        ));
        let groups: Vec<String> = o
            .groups
            .iter()
            .map(|g| crate::proto::tls::group_name(*g))
            .collect();
        rows.push(row(
            "Groups",
            if groups.is_empty() {
                "none (no supported_groups extension)".to_owned()
            } else {
                groups.join(", ")
            },
            Tone::Plain,
        ));
        rows.push(sender_row(
            "SNI",
            o.sni.clone().unwrap_or_else(|| "none".to_owned()),
            Tone::Plain,
        ));
    } else if let Some(why) = &s.hello_error {
        rows.push(sender_row("ClientHello", format!("none: {why}"), Tone::Bad));
    }
    let tone = match &s.handshake {
        Handshake::Completed(_) => Tone::Good,
        Handshake::NotReached => Tone::Dim,
        Handshake::Failed { .. } | Handshake::TimedOut => Tone::Warn,
        Handshake::ClosedLegacyOnly => Tone::Bad,
    };
    rows.push(row("Handshake", handshake_words(s), tone));
    if let Some(n) = &s.tls_ehlo_name {
        rows.push(sender_row("EHLO in TLS", n.clone(), Tone::Plain));
    }
    if let Some(from) = &s.mail_from {
        rows.push(sender_row("MAIL FROM", from.clone(), Tone::Plain));
    }
    if !s.rcpt_to.is_empty() {
        rows.push(sender_row(
            "RCPT TO",
            format!("{} (refused with 550 5.7.0)", s.rcpt_to.join(", ")),
            Tone::Plain,
        ));
    }
    rows.push(row(
        "Ended",
        format!("{} ({:.1} s)", s.end, s.elapsed.as_secs_f64()),
        Tone::Dim,
    ));
    rows
}

/// Greedy wrap of `text` at spaces to [`TEXT_WIDTH`], continuation lines
/// indented by `indent` spaces (the first line's prefix is the caller's).
fn wrap(text: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut col = indent;
    for (i, word) in text.split(' ').enumerate() {
        let len = word.chars().count();
        if i > 0 {
            if col + 1 + len > TEXT_WIDTH {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                col = indent;
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(word);
        col += len;
    }
    out
}

/// The summary is tlscheck's words around a sender name that
/// `diagnose::sender::sender_label` already cut short: escape, do not cut.
fn summary_text(j: &SenderJudgement, p: &Palette) -> String {
    let word = j.verdict.word();
    match j.summary.strip_prefix(word) {
        Some(rest) => format!(
            "{}{}",
            p.paint(word, verdict_tone(j.verdict)),
            for_terminal(rest, WHOLE)
        ),
        None => for_terminal(&j.summary, WHOLE),
    }
}

fn finding_text(f: &Finding, p: &Palette, out: &mut String) {
    crate::report::text::finding(f, p, "logs", out);
}

fn fix_text(fix: &Remediation, p: &Palette, out: &mut String) {
    let _ = writeln!(
        out,
        "{}",
        p.paint(&format!("Fix: {}", fix.title), Tone::Strong)
    );
    for (n, step) in fix.steps.iter().enumerate() {
        let _ = writeln!(out, "  {}. {step}", n + 1);
    }
    if let Some(snippet) = fix.snippet {
        let _ = writeln!(out);
        for line in snippet.text.lines() {
            if line.is_empty() {
                let _ = writeln!(out);
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
}

fn transcript_text(t: &Transcript, out: &mut String) {
    for e in t {
        // Received is the sender; Sent is tlscheck.
        let arrow = match e.direction {
            Direction::Received => "<-",
            Direction::Sent => "->",
            Direction::Note => "**",
        };
        let _ = writeln!(
            out,
            "  {:>7.3}s {arrow} {}",
            e.at.as_secs_f64(),
            clean(&e.text)
        );
    }
}

/// The text report of one session.
pub fn render_text(
    s: &SenderSession,
    j: &SenderJudgement,
    p: &Palette,
    with_transcript: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary_text(j, p));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} {} at {}",
        p.paint("Session", Tone::Strong),
        s.peer,
        s.started_at
    );
    for r in rows(s) {
        let max = if r.from_sender { MAX_SHOWN } else { WHOLE };
        let shown = wrap(&for_terminal(&r.value, max), LABEL_WIDTH + 2);
        let _ = writeln!(
            out,
            "  {}{}",
            p.paint(&format!("{:<LABEL_WIDTH$}", r.label), Tone::Dim),
            p.paint(&shown, r.tone)
        );
    }
    if !j.findings.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", p.paint("Findings", Tone::Strong));
        for f in &j.findings {
            finding_text(f, p, &mut out);
        }
    }
    if let Some(fix) = &j.fix {
        let _ = writeln!(out);
        fix_text(fix, p, &mut out);
    }
    if with_transcript {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.paint("Transcript (<- sender, -> tlscheck)", Tone::Strong)
        );
        transcript_text(&s.transcript, &mut out);
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

/// The Markdown report of one session (no colour).
pub fn render_markdown(s: &SenderSession, j: &SenderJudgement, with_transcript: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## tlscheck listen: {}",
        md(&crate::diagnose::sender::sender_label(s))
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- tool: tlscheck {}\n- time (UTC): {}",
        env!("CARGO_PKG_VERSION"),
        s.started_at
    );
    let word = j.verdict.word();
    let rest = j.summary.strip_prefix(word).unwrap_or(&j.summary);
    let _ = writeln!(out, "- verdict: **{word}**{}", for_markdown(rest, WHOLE));
    let _ = writeln!(out);
    let _ = writeln!(out, "| | |\n|---|---|");
    for r in rows(s) {
        let max = if r.from_sender { MAX_SHOWN } else { WHOLE };
        let v = for_markdown(&r.value, max);
        if r.tone == Tone::Bad {
            let _ = writeln!(out, "| {} | **{v}** |", r.label);
        } else {
            let _ = writeln!(out, "| {} | {v} |", r.label);
        }
    }
    if !j.findings.is_empty() {
        let _ = writeln!(out, "\n### Findings\n");
        for f in &j.findings {
            crate::report::markdown::finding(f, "logs", &mut out);
        }
    }
    if let Some(fix) = &j.fix {
        let _ = writeln!(out, "\n### Fix: {}\n", fix.title);
        for (n, step) in fix.steps.iter().enumerate() {
            let _ = writeln!(out, "{}. {step}", n + 1);
        }
        if let Some(snippet) = fix.snippet {
            let fence = fence_for(snippet.text);
            let _ = writeln!(
                out,
                "\n{fence}{}\n{}{fence}",
                snippet.language, snippet.text
            );
        }
    }
    if with_transcript {
        let mut body = String::new();
        transcript_text(&s.transcript, &mut body);
        let fence = fence_for(&body);
        let _ = writeln!(
            out,
            "\n### Transcript (<- sender, -> tlscheck)\n\n{fence}text\n{body}{fence}"
        );
    }
    out
}

/// The JSON document of one session (`schema_version`, `kind: "listen"`).
#[derive(Serialize)]
struct ListenDto<'a> {
    schema_version: u32,
    kind: &'static str,
    tool: ToolDto,
    verdict: &'static str,
    exit_code: u8,
    summary: &'a str,
    sender: SenderDto<'a>,
    client_hello: Option<HelloDto<'a>>,
    client_hello_error: Option<&'a str>,
    handshake: HandshakeDto,
    end: EndDto,
    findings: Vec<FindingDto<'a>>,
    fix: Option<FixDto>,
    /// `null` without `--transcript`.
    transcript: Option<Vec<EventDto<'a>>>,
}

#[derive(Serialize)]
struct ToolDto {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SenderDto<'a> {
    address: String,
    port: u16,
    started_at: &'a str,
    elapsed_ms: u128,
    ehlo_name: Option<&'a str>,
    used_helo: bool,
    starttls: bool,
    plaintext_mail: bool,
    tls_ehlo_name: Option<&'a str>,
    mail_from: Option<&'a str>,
    rcpt_to: &'a [String],
}

#[derive(Serialize)]
struct HelloDto<'a> {
    client_version: String,
    supported_versions: Option<Vec<String>>,
    offered_versions: Vec<&'static str>,
    offered_from: &'static str,
    highest_version: String,
    offers_tls12_or_newer: bool,
    cipher_suites: Vec<String>,
    groups: Vec<String>,
    sni: Option<&'a str>,
    office365_common_suites: Vec<String>,
}

#[derive(Serialize)]
struct HandshakeDto {
    result: &'static str,
    version: Option<&'static str>,
    cipher: Option<String>,
    group: Option<String>,
    sender_alert: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct EndDto {
    reason: &'static str,
    stage: Option<&'static str>,
    text: String,
}

#[derive(Serialize)]
struct FindingDto<'a> {
    id: &'static str,
    severity: &'static str,
    title: &'a str,
    evidence: &'a [String],
    signatures: Vec<crate::report::json::SignatureDto>,
    remediation: &'a [String],
}

#[derive(Serialize)]
struct FixDto {
    title: &'static str,
    steps: &'static [&'static str],
    snippet: Option<SnippetDto>,
}

#[derive(Serialize)]
struct SnippetDto {
    language: &'static str,
    text: &'static str,
}

#[derive(Serialize)]
struct EventDto<'a> {
    at_ms: u128,
    dir: &'static str,
    text: &'a str,
}

fn hello_dto(o: &Offer) -> HelloDto<'_> {
    HelloDto {
        client_version: version_label(o.client_version),
        supported_versions: o
            .supported_versions
            .as_ref()
            .map(|list| list.iter().map(|v| version_label(*v)).collect()),
        offered_versions: o.versions.iter().map(|v| v.label()).collect(),
        offered_from: o.source.label(),
        highest_version: version_label(o.highest),
        offers_tls12_or_newer: o.offers_modern(),
        cipher_suites: o
            .cipher_suites
            .iter()
            .map(|c| crate::proto::tls::cipher_name(*c))
            .collect(),
        groups: o
            .groups
            .iter()
            .map(|g| crate::proto::tls::group_name(*g))
            .collect(),
        sni: o.sni.as_deref(),
        office365_common_suites: crate::diagnose::profiles::office365_common_suites(
            &o.cipher_suites,
        )
        .into_iter()
        .map(crate::proto::tls::cipher_name)
        .collect(),
    }
}

fn handshake_dto(h: &Handshake) -> HandshakeDto {
    let mut d = HandshakeDto {
        result: h.label(),
        version: None,
        cipher: None,
        group: None,
        sender_alert: None,
        error: None,
    };
    match h {
        Handshake::Completed(n) => {
            d.version = Some(n.version.label());
            d.cipher = Some(crate::proto::tls::cipher_name(n.cipher));
            d.group = n.group.map(crate::proto::tls::group_name);
        }
        Handshake::Failed {
            sender_alert,
            detail,
        } => {
            d.sender_alert = sender_alert.map(crate::proto::tls::alert_name);
            d.error = Some(detail.clone());
        }
        Handshake::NotReached | Handshake::ClosedLegacyOnly | Handshake::TimedOut => {}
    }
    d
}

fn end_dto(e: &SessionEnd) -> EndDto {
    let stage = match e {
        SessionEnd::ClosedBySender { stage }
        | SessionEnd::Timeout { stage }
        | SessionEnd::LineTooLong { stage }
        | SessionEnd::Io { stage, .. } => Some(stage.label()),
        SessionEnd::Quit
        | SessionEnd::ClosedAfterLegacyHello
        | SessionEnd::HandshakeFailed
        | SessionEnd::NoClientHello
        | SessionEnd::TooManyCommands => None,
    };
    EndDto {
        reason: e.label(),
        stage,
        text: e.to_string(),
    }
}

fn dto<'a>(s: &'a SenderSession, j: &'a SenderJudgement, transcript: bool) -> ListenDto<'a> {
    ListenDto {
        schema_version: SCHEMA_VERSION,
        kind: "listen",
        tool: ToolDto {
            name: "tlscheck",
            version: env!("CARGO_PKG_VERSION"),
        },
        verdict: j.verdict.label(),
        exit_code: crate::exit::for_listen(&[j.verdict]).code(),
        summary: &j.summary,
        sender: SenderDto {
            address: s.peer.ip().to_string(),
            port: s.peer.port(),
            started_at: &s.started_at,
            elapsed_ms: s.elapsed.as_millis(),
            ehlo_name: s.ehlo_name.as_deref(),
            used_helo: s.used_helo,
            starttls: s.starttls,
            plaintext_mail: s.plaintext_mail,
            tls_ehlo_name: s.tls_ehlo_name.as_deref(),
            mail_from: s.mail_from.as_deref(),
            rcpt_to: &s.rcpt_to,
        },
        client_hello: s.offer.as_ref().map(hello_dto),
        client_hello_error: s.hello_error.as_deref(),
        handshake: handshake_dto(&s.handshake),
        end: end_dto(&s.end),
        findings: j
            .findings
            .iter()
            .map(|f| FindingDto {
                id: f.id.as_str(),
                severity: f.severity.label(),
                title: &f.title,
                evidence: &f.evidence,
                signatures: crate::report::json::signature_dtos(&f.signatures),
                remediation: &f.remediation,
            })
            .collect(),
        fix: j.fix.map(|f| FixDto {
            title: f.title,
            steps: f.steps,
            snippet: f.snippet.map(|s| SnippetDto {
                language: s.language,
                text: s.text,
            }),
        }),
        transcript: transcript.then(|| {
            s.transcript
                .iter()
                .map(|e| EventDto {
                    at_ms: e.at.as_millis(),
                    dir: match e.direction {
                        Direction::Sent => "sent",
                        Direction::Received => "received",
                        Direction::Note => "note",
                    },
                    text: &e.text,
                })
                .collect()
        }),
    }
}

/// The JSON document of one session, pretty-printed (`--once`), with a
/// final newline.
pub fn render_json(s: &SenderSession, j: &SenderJudgement, transcript: bool) -> String {
    let mut out = serde_json::to_string_pretty(&dto(s, j, transcript)).unwrap_or_else(|e| {
        format!("{{\"schema_version\":{SCHEMA_VERSION},\"kind\":\"listen\",\"error\":\"serialising the report failed: {e}\"}}")
    });
    out.push('\n');
    out
}

/// The same document on one line, for streaming one session per line
/// while the listener keeps serving.
pub fn render_json_line(s: &SenderSession, j: &SenderJudgement, transcript: bool) -> String {
    let mut out = serde_json::to_string(&dto(s, j, transcript)).unwrap_or_else(|e| {
        format!("{{\"schema_version\":{SCHEMA_VERSION},\"kind\":\"listen\",\"error\":\"serialising the report failed: {e}\"}}")
    });
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::sender::judge;
    use crate::model::listen::Negotiated;
    use crate::model::TranscriptEvent;
    use rustls::{CipherSuite, NamedGroup};
    use std::time::Duration;

    fn legacy() -> SenderSession {
        SenderSession {
            peer: "192.0.2.7:50000".parse().unwrap(),
            started_at: "2026-01-01T00:00:00Z".to_owned(),
            ehlo_name: Some("mx1.contoso.com\u{1b}[31m".to_owned()),
            used_helo: false,
            starttls: true,
            plaintext_mail: false,
            offer: Some(Offer {
                client_version: 0x0301,
                supported_versions: None,
                versions: vec![TlsVersion::Tls10],
                source: OfferSource::LegacyClientVersion,
                highest: 0x0301,
                cipher_suites: vec![
                    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
                    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
                ],
                groups: vec![NamedGroup::X25519, NamedGroup::secp256r1],
                sni: Some("mx|<b>".to_owned()),
            }),
            hello_error: None,
            handshake: Handshake::ClosedLegacyOnly,
            tls_ehlo_name: None,
            mail_from: None,
            rcpt_to: Vec::new(),
            end: SessionEnd::ClosedAfterLegacyHello,
            transcript: vec![TranscriptEvent {
                at: Duration::from_millis(5),
                direction: Direction::Received,
                text: "EHLO mx1.contoso.com\u{1b}[31m".to_owned(),
            }],
            elapsed: Duration::from_millis(40),
        }
    }

    #[test]
    fn text_names_versions_suites_and_the_fix_and_escapes_sender_text() {
        let s = legacy();
        let out = render_text(&s, &judge(&s), &Palette::plain(), true);
        assert!(out.starts_with("FAIL sender 192.0.2.7 (EHLO mx1.contoso.com\\x1b[31m)"));
        assert!(!out.contains('\u{1b}'), "{out}");
        for needle in [
            "TLS 1.0 (implied by client_version TLS 1.0",
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "x25519, secp256r1",
            "421 4.4.2 Connection dropped due to SocketError",
            r"Protocols\TLS 1.2\Client]",
            "as Office 365 does",
        ] {
            assert!(out.contains(needle), "{needle} missing:\n{out}");
        }
    }

    #[test]
    fn markdown_cannot_be_broken_by_sender_text() {
        let s = legacy();
        let out = render_markdown(&s, &judge(&s), false);
        assert!(out.contains("mx\\|\\<b\\>"), "{out}");
        assert!(!out.contains('\u{1b}'));
        assert!(out.contains("```reg\nWindows Registry Editor Version 5.00"));
    }

    #[test]
    fn json_keeps_sender_text_exact_and_names_the_kind() {
        let mut s = legacy();
        s.offer = Some(Offer {
            supported_versions: Some(vec![0x0304, 0x0303]),
            versions: vec![TlsVersion::Tls12, TlsVersion::Tls13],
            source: OfferSource::SupportedVersions,
            highest: 0x0304,
            client_version: 0x0303,
            ..s.offer.unwrap()
        });
        s.handshake = Handshake::Completed(Negotiated {
            version: TlsVersion::Tls13,
            cipher: CipherSuite::TLS13_AES_256_GCM_SHA384,
            group: Some(NamedGroup::X25519),
        });
        s.end = SessionEnd::Quit;
        let v: serde_json::Value =
            serde_json::from_str(&render_json(&s, &judge(&s), true)).unwrap();
        assert_eq!(v["kind"], "listen");
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["verdict"], "pass");
        assert_eq!(v["exit_code"], 0);
        assert_eq!(v["sender"]["ehlo_name"], "mx1.contoso.com\u{1b}[31m");
        assert_eq!(v["client_hello"]["offered_versions"][1], "1.3");
        assert_eq!(v["client_hello"]["supported_versions"][0], "1.3");
        assert_eq!(v["client_hello"]["highest_version"], "1.3");
        assert_eq!(v["handshake"]["cipher"], "TLS_AES_256_GCM_SHA384");
        assert_eq!(v["end"]["reason"], "quit");
        assert_eq!(v["transcript"][0]["dir"], "received");
        let line = render_json_line(&s, &judge(&s), false);
        assert_eq!(line.lines().count(), 1);
        assert!(line.contains("\"transcript\":null"));
    }

    #[test]
    fn text_names_the_first_suites_and_counts_the_rest() {
        let mut s = legacy();
        if let Some(o) = s.offer.as_mut() {
            o.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA; 20];
        }
        let out = render_text(&s, &judge(&s), &Palette::plain(), false);
        assert!(out.contains("20 offered:"), "{out}");
        assert!(out.contains("… and 8 more (--format json"), "{out}");
        assert_eq!(out.matches("TLS_RSA_WITH_AES_128_CBC_SHA").count(), 12);
    }

    #[test]
    fn wrap_keeps_lines_within_the_width() {
        let long = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,"; 10].join(" ");
        for line in wrap(&long, 17).lines() {
            assert!(line.chars().count() <= TEXT_WIDTH, "{line}");
        }
    }
}
