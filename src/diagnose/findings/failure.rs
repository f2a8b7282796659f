//! A server that could not be checked at all: one id per class, because
//! "refused", "filtered", "closed", "silent" and "speaks HTTP" each have
//! another cause and another fix.

use super::{sig, Finding, FindingId};
use crate::model::{FailureKind, ProbeFailure, ServerObservation, Stage, StarttlsStatus};

/// The ids of a server that could not be reached or spoken to: only a
/// warning while another server of the target works, since senders move
/// on to the next exchange.
pub(super) const UNREACHABLE: &[FindingId] = &[
    FindingId::ServerUnreachable,
    FindingId::ConnectionTimedOut,
    FindingId::ConnectionRefused,
    FindingId::HostUnreachable,
    FindingId::ClosedBeforeGreeting,
    FindingId::NoGreeting,
    FindingId::NotSmtp,
    FindingId::ReplyTooLong,
];

/// Every server's connection timed out: most likely the network tlscheck
/// runs from blocks outbound port 25.
pub(super) fn all_timed_out(servers: &[ServerObservation]) -> Option<Finding> {
    let all = !servers.is_empty()
        && servers.iter().all(|s| {
            s.error
                .as_ref()
                .is_some_and(|e| e.timed_out && e.stage == Stage::Connect)
        });
    if !all {
        return None;
    }
    let port25 = servers.iter().any(|s| s.address.port() == 25);
    let f = Finding::of(FindingId::AllConnectionsTimedOut)
        .with_signatures(vec![sig::PORT_25_TIMEOUT, sig::TIMED_OUT_450])
        .with_remediation(vec![
            "Home, office and most cloud networks block outbound port 25; run tlscheck from the mail server's own network or a host that may send mail.".to_owned(),
            "If the servers should be reachable, check their firewall and that the MX addresses are current.".to_owned(),
        ]);
    Some(if port25 {
        f.with_title("No server answered on port 25: outbound port 25 is probably blocked on the network tlscheck runs from")
    } else {
        f
    })
}

/// The finding for a server whose probe failed before anything could be
/// judged.
pub(super) fn failure_finding(who: &str, s: &ServerObservation, err: &ProbeFailure) -> Finding {
    let seen = if err.message.starts_with(&format!("{}:", err.stage)) {
        format!("{who}: {}", err.message)
    } else {
        format!("{who}: {} failed: {}", err.stage, err.message)
    };
    let port = s.address.port();
    let (f, remediation) = match &err.kind {
        FailureKind::Refused => (
            Finding::of(FindingId::ConnectionRefused)
                .with_title(format!("Nothing accepts connections on port {port} of a mail server (connection refused)"))
                .with_signatures(vec![sig::REFUSED_450]),
            vec![format!("Check that the SMTP service is running and listening on {} and that no firewall rejects port {port}.", s.address)],
        ),
        FailureKind::Unreachable => (
            Finding::of(FindingId::HostUnreachable),
            vec!["The network tlscheck runs from has no route to this address: check the MX/A records and, for IPv6, whether this network has IPv6 (-4 probes IPv4 only).".to_owned()],
        ),
        FailureKind::ConnectTimeout => (
            Finding::of(FindingId::ConnectionTimedOut)
                .with_signatures(vec![sig::TIMED_OUT_450, sig::PORT_25_TIMEOUT]),
            vec!["A silent drop usually means a firewall; if every server times out, the network tlscheck runs from may block outbound port 25.".to_owned()],
        ),
        FailureKind::ClosedBeforeGreeting => (
            Finding::of(FindingId::ClosedBeforeGreeting)
                .with_signatures(vec![sig::CLOSED_ABRUPTLY_450]),
            vec![
                "The TCP connection worked; the server (or something in front of it) closed it before saying 220. Common causes: a connection or rate limit per client, an IP block list that drops instead of answering 554, a service that crashes on connect, or a firewall's SMTP inspection. tlscheck infers this from the close; the server's log says which.".to_owned(),
            ],
        ),
        FailureKind::NoGreeting { waited } => {
            let mut steps = vec![
                format!("tlscheck waited {} s for the 220 greeting (three times --timeout). RFC 5321 §4.5.3.2.1 lets senders wait 5 minutes, and Postfix waits 300 s by default (smtp_helo_timeout), so a slow greeting (a tarpit, a server under load) still gets mail from patient senders: run again with a longer --timeout to see the rest.", waited.as_secs()),
            ];
            // Probe the same port as TLS on connect; with TLS on connect
            // already, the greeting was awaited inside TLS.
            if s.starttls != StarttlsStatus::Implicit {
                // The host only (--host), never its MX records again.
                let target = match &s.host {
                    Some(h) => format!("--host {h}:{port}"),
                    None => s.address.to_string(),
                };
                steps.push(format!("If port {port} speaks TLS on connect (SMTPS, waiting for a ClientHello), probe it as such: tlscheck --implicit-tls {target}"));
            }
            (
                Finding::of(FindingId::NoGreeting).with_title(format!(
                    "A mail server accepted the connection but sent no greeting within {} s",
                    waited.as_secs()
                )),
                steps,
            )
        }
        FailureKind::NotSmtp { speaks, first_bytes } => (
            Finding::of(FindingId::NotSmtp).with_title(match speaks {
                &"unknown" => format!("Port {port} of a mail server answers with something that is not SMTP"),
                other => format!("Port {port} of a mail server answers {other}, not SMTP"),
            }),
            vec![
                format!("The first bytes were \"{first_bytes}\". Senders expect \"220 …\" here; they log a protocol error and retry, then bounce. Check that the MX host's port {port} is forwarded to the SMTP service, not a web server, SSH or a TLS-on-connect port."),
            ],
        ),
        FailureKind::ReplyTooLong => (
            Finding::of(FindingId::ReplyTooLong),
            vec!["RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets; tlscheck reads up to 2048 per line and 128 lines. A longer greeting or EHLO reply is refused by strict senders.".to_owned()],
        ),
        FailureKind::Other => (
            Finding::of(FindingId::ServerUnreachable),
            vec!["Check that the SMTP service is running and listening on this address and port, and that no firewall rejects the connection.".to_owned()],
        ),
    };
    f.with_evidence(vec![seen]).with_remediation(remediation)
}
