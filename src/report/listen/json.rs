//! The JSON document of a sender session (`schema_version`,
//! `kind: "listen"`): DTOs built from the domain types, so those carry no
//! serde. Sender text is exact here.

use serde::Serialize;

use crate::diagnose::sender::SenderJudgement;
use crate::model::listen::{Handshake, Offer, SenderSession, SessionEnd};
use crate::report::json::{EventDto, SnippetDto, ToolDto, SCHEMA_VERSION};

use super::rows::version_label;

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
        tool: crate::report::json::tool(),
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
            snippet: f.snippet.map(SnippetDto::from),
        }),
        transcript: transcript.then(|| crate::report::json::events(&s.transcript)),
    }
}

/// The JSON document of one session with a final newline: pretty-printed
/// (`--once`), or on one line for streaming one session per line while
/// the listener keeps serving.
pub(super) fn render(
    s: &SenderSession,
    j: &SenderJudgement,
    transcript: bool,
    pretty: bool,
) -> String {
    crate::report::json::to_document(&dto(s, j, transcript), pretty, Some("listen"))
}
