use super::signatures::{at, MS_MAIL_FLOW_INTELLIGENCE, MS_SMTP_RELAY_2023, MS_TLS10_11};
use super::*;
use std::collections::HashSet;
use Place::*;
use Side::*;

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[test]
fn ids_are_unique_and_kebab_case() {
    let mut seen = HashSet::new();
    for sig in CATALOGUE {
        assert!(is_kebab(sig.id), "not kebab-case: {:?}", sig.id);
        assert!(seen.insert(sig.id), "duplicate id: {}", sig.id);
    }
}

#[test]
fn every_entry_has_every_field_filled() {
    for sig in CATALOGUE {
        let id = sig.id;
        assert!(!sig.text.trim().is_empty(), "{id}: text");
        assert!(!sig.matchers.is_empty(), "{id}: matchers");
        assert!(!sig.appears_in.is_empty(), "{id}: appears_in");
        assert!(sig.meaning.len() > 40, "{id}: meaning");
        assert!(!sig.causes.is_empty(), "{id}: causes");
        assert!(!sig.fix.is_empty(), "{id}: fix");
        for line in sig.causes.iter().chain(sig.fix) {
            assert!(!line.trim().is_empty(), "{id}: empty cause or fix");
        }
        assert!(sig.next_step.starts_with("tlscheck"), "{id}: next_step");
        assert!(!sig.reference.title.is_empty(), "{id}: reference title");
        if let Some(url) = sig.reference.url {
            assert!(url.starts_with("https://"), "{id}: url {url}");
        }
    }
}

#[test]
fn every_entry_can_match_exactly() {
    for sig in CATALOGUE {
        let best = sig.matchers.iter().map(|m| m.strength).max();
        let expected = if sig.id == "primary-target-451-4-4-0" {
            Some(Strength::Envelope)
        } else {
            Some(Strength::Exact)
        };
        assert_eq!(best, expected, "{}", sig.id);
    }
}

#[test]
fn matchers_are_well_formed() {
    for sig in CATALOGUE {
        for m in sig.matchers {
            let id = sig.id;
            assert!(
                m.enhanced.is_some() || !m.phrases.is_empty(),
                "{id}: matcher with nothing to find"
            );
            assert!(
                m.reply.is_none() || m.enhanced.is_some(),
                "{id}: reply code without enhanced code"
            );
            if m.strength == Strength::Code {
                assert!(m.reply.is_some() && m.phrases.is_empty(), "{id}: code-only");
            }
            if let Some(code) = m.enhanced {
                let parts: Vec<&str> = code.split('.').collect();
                assert_eq!(parts.len(), 3, "{id}: {code}");
                assert!(
                    parts
                        .iter()
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
                    "{id}: {code}"
                );
            }
            if let Some(reply) = m.reply {
                assert!((200..=599).contains(&reply), "{id}: {reply}");
            }
            for p in m.phrases {
                // explain compares against lower-cased text with single
                // spaces; a phrase in any other form could never match.
                assert_eq!(*p, p.to_lowercase(), "{id}: phrase not lower case");
                assert_eq!(p.trim(), *p, "{id}: phrase has outer spaces");
                assert!(!p.contains("  ") && !p.is_empty(), "{id}: phrase {p:?}");
                assert!(
                    !p.contains(|c: char| c.is_whitespace() && c != ' '),
                    "{id}: phrase {p:?}"
                );
            }
        }
    }
}

#[test]
fn by_id_finds_every_entry_and_nothing_else() {
    for sig in CATALOGUE {
        assert_eq!(by_id(sig.id).map(|s| s.id), Some(sig.id));
    }
    assert!(by_id("no-such-signature").is_none());
    assert!(by_id("").is_none());
}

#[test]
fn the_four_errors_of_the_seed_article_are_catalogued() {
    let seed = [
        (
            "socket-error-421-4-4-2",
            "421 4.4.2 Connection dropped due to SocketError",
        ),
        (
            "tls-negotiation-failed-socketerror",
            "TLS negotiation failed with error SocketError",
        ),
        (
            "starttls-required-451-5-7-3",
            "451 5.7.3 Must issue a STARTTLS command first",
        ),
    ];
    for (id, text) in seed {
        assert_eq!(by_id(id).map(|s| s.text), Some(text));
    }
    let ndr = by_id("socket-error-421-4-4-2").unwrap();
    assert!(ndr.appears_in.contains(&at(Ndr, Sender)));
    assert!(ndr.appears_in.contains(&at(QueueViewer, Sender)));
    let log = by_id("tls-negotiation-failed-socketerror").unwrap();
    assert!(log.appears_in.contains(&at(SendProtocolLog, Sender)));
    let starttls = by_id("starttls-required-451-5-7-3").unwrap();
    assert!(starttls.appears_in.contains(&at(SendProtocolLog, Sender)));
    assert!(starttls
        .appears_in
        .contains(&at(ReceiveProtocolLog, Receiver)));
}

#[test]
fn every_reference_url_is_a_documented_page() {
    for sig in CATALOGUE {
        for r in std::iter::once(&sig.reference).chain(sig.see_also) {
            if let Some(url) = r.url {
                assert!(
                    is_documented_page(url),
                    "{}: {url} is not in DOCUMENTED_PAGES",
                    sig.id
                );
            }
        }
    }
    for r in [MS_DANE, RFC_7672, MS_O365_CIPHERS] {
        assert!(is_documented_page(r.url.unwrap_or_default()), "{}", r.title);
    }
}

#[test]
fn documented_pages_are_unique_https_and_all_used() {
    let mut seen = HashSet::new();
    for (url, title) in DOCUMENTED_PAGES {
        assert!(url.starts_with("https://") && !title.is_empty(), "{url}");
        assert!(seen.insert(*url), "duplicate {url}");
    }
    assert!(!is_documented_page("https://example.com/"));
}

#[test]
fn connector_errors_cite_mail_flow_intelligence() {
    for id in [
        "exo-dns-query-failed-450-4-4-312",
        "exo-connection-timed-out-450-4-4-315",
        "exo-connection-refused-450-4-4-316",
        "exo-cannot-connect-450-4-4-317",
        "exo-connection-closed-450-4-4-318",
        "exo-certificate-validation-450-4-7-320",
    ] {
        assert_eq!(
            by_id(id).map(|s| s.reference),
            Some(MS_MAIL_FLOW_INTELLIGENCE),
            "{id}"
        );
    }
    // 4.4.318: Microsoft's causes first; the handshake drop is marked as
    // tlscheck's own inference.
    let closed = by_id("exo-connection-closed-450-4-4-318").unwrap();
    assert!(closed.causes[0].contains("SMTP packet examination"));
    assert!(closed
        .causes
        .iter()
        .any(|c| c.starts_with("tlscheck's inference")));
    assert!(!closed.meaning.contains("TLS version mismatch"));
}

#[test]
fn facts_from_the_issue_12_review_hold() {
    // 421 4.4.2: the NDR and Queue Viewer (seed article), not message trace.
    let socket = by_id("socket-error-421-4-4-2").unwrap();
    assert!(!socket.appears_in.iter().any(|a| a.place == MessageTrace));
    assert!(!socket.causes.iter().any(|c| c.contains("TLS 1.2\\Server")));
    // 421 4.2.1 is not in the seed article.
    assert_ne!(
        by_id("unable-to-connect-421-4-2-1").unwrap().reference,
        MS_TLS10_11
    );
    // 454 4.7.5 is not an Exchange Online connector error.
    let v475 = by_id("certificate-validation-454-4-7-5").unwrap();
    assert!(v475.meaning.contains("450 4.7.320"));
    assert!(!v475.meaning.contains("Office 365 connector that validates"));
    // 5.7.64: the November 2023 relay requirement, with its source.
    let relay = by_id("exo-tenant-attribution-550-5-7-64").unwrap();
    assert!(relay.causes.iter().any(|c| c.contains("November 1, 2023")));
    assert!(relay.see_also.contains(&MS_SMTP_RELAY_2023));
    assert_eq!(
            relay.reference.url,
            Some("https://learn.microsoft.com/en-us/exchange/troubleshoot/connectors/relay-access-denied-smtp")
        );
    // 4.7.230 / 5.7.230 exist, with the update as the fix.
    for id in [
        "exo-outdated-exchange-throttled-4-7-230",
        "exo-outdated-exchange-blocked-5-7-230",
    ] {
        let s = by_id(id).unwrap();
        assert!(s
            .text
            .contains("Connecting Exchange server version is out-of-date"));
        assert!(s.fix[0].contains("cumulative update"));
    }
}

#[test]
fn labels_are_snake_case() {
    let places = [
        Ndr,
        QueueViewer,
        SendProtocolLog,
        ReceiveProtocolLog,
        MessageTrace,
        ConnectorValidation,
        PostfixLog,
        EximLog,
        SendmailLog,
        ClientLog,
        EventLog,
    ];
    let labels = places
        .iter()
        .map(|p| p.label())
        .chain([Sender.label(), Receiver.label()])
        .chain(
            [
                Strength::Envelope,
                Strength::Code,
                Strength::Partial,
                Strength::Exact,
            ]
            .map(Strength::label),
        );
    for label in labels {
        assert!(
            label.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{label}"
        );
    }
}

#[test]
fn strengths_order_exact_above_partial_above_code_above_envelope() {
    assert!(Strength::Exact > Strength::Partial);
    assert!(Strength::Partial > Strength::Code);
    assert!(Strength::Code > Strength::Envelope);
}
