//! The details table of a sender session (who, what its ClientHello
//! offered, what became of the handshake), built once as rows of raw words
//! and a tone; the text and Markdown renderers escape and style them.

use std::fmt::Write as _;

use crate::model::listen::{Handshake, Offer, OfferSource, SenderSession};
use crate::model::{wire_version_name, TlsVersion};
use crate::report::style::palette::Tone;

/// Cipher suites named in text and Markdown, in the sender's order (an
/// OpenSSL sender offers 80 or more); JSON lists them all.
pub(super) const MAX_SUITES_SHOWN: usize = 12;

/// `1.2` for the versions tlscheck knows, `SSL 3.0` or `0x7f1c` otherwise.
pub(super) fn version_label(v: u16) -> String {
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
pub(super) struct Row {
    pub(super) label: &'static str,
    /// Raw: sender text inside is escaped by the renderer.
    pub(super) value: String,
    pub(super) tone: Tone,
    /// True when the value holds text the sender chose (names, addresses,
    /// error words quoting it): it is cut to `MAX_SHOWN`. tlscheck's own
    /// words (cipher-suite lists) are shown whole.
    pub(super) from_sender: bool,
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
pub(super) fn rows(s: &SenderSession) -> Vec<Row> {
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
        offer_rows(o, &mut rows);
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

/// The rows of what the ClientHello offered.
fn offer_rows(o: &Offer, rows: &mut Vec<Row>) {
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
}
