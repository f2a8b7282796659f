//! What could not be decided about a server's TLS versions, and what to
//! try next.

use super::checks::Server;
use super::{CheckPolicy, Finding, FindingId};
use crate::model::{NotTested, ServerObservation, Stage, TlsVersion, VersionProbe, VersionResult};

/// What could not be decided, and what to try next. When the server has
/// no completed TLS 1.2+ session and nothing decided fails it, this is a
/// warning that makes the verdict INCONCLUSIVE; next to a working TLS
/// 1.2+ session it is a note.
pub(super) fn check_undecided(server: &Server<'_>, policy: &CheckPolicy) -> Option<Finding> {
    let (s, who) = (server.obs, server.who.as_str());
    let open: Vec<&VersionProbe> = s
        .versions
        .iter()
        .filter(|p| {
            p.result.is_undecided()
                || matches!(&p.result, VersionResult::Accepted(a) if a.limited_by.is_some())
        })
        .collect();
    if open.is_empty() || s.error.is_some() {
        return None;
    }
    let list: Vec<String> = open.iter().map(|p| p.version.to_string()).collect();
    let legacy_cipher_only = s.versions.iter().any(
        |p| matches!(&p.result, VersionResult::Accepted(a) if a.legacy_cipher_only && a.limited_by.is_none()),
    );
    // Under --forbid-legacy an undecided TLS 1.0/1.1 is the policy's
    // question left open, whatever TLS 1.2 did.
    let policy_open = policy.forbid_legacy
        && !s.accepts_legacy()
        && open
            .iter()
            .any(|p| p.version.is_legacy() && p.result.is_undecided());
    let note_only = (s.establishes_modern() || legacy_cipher_only) && !policy_open;
    let closed = closed_before_tls(s);
    let f = if let (Some(stage), false) = (closed, note_only) {
        Finding::of(FindingId::TlsInconclusive)
            .with_title(format!(
                "{who} closed the connection after {} (stage {stage}), before STARTTLS: no TLS version could be tested",
                command_of(stage)
            ))
            .with_fix_short(if stage == Stage::Ehlo {
                "run again with --ehlo <your MTA's host name>, or compare with openssl s_client -starttls smtp"
            } else {
                "compare with openssl s_client -starttls smtp; the server's log says why it closed"
            })
    } else if note_only {
        Finding::of(FindingId::VersionsUndecided).with_title(format!(
            "Not decided: {} (the verdict does not rest on them)",
            list.join(", ")
        ))
    } else if policy_open {
        Finding::of(FindingId::TlsInconclusive).with_title(format!(
            "Whether {who} still accepts TLS 1.0/1.1 (--forbid-legacy) could not be decided: {}",
            list.join(", ")
        ))
    } else {
        Finding::of(FindingId::TlsInconclusive).with_title(format!(
            "No TLS 1.2 or newer session was completed with {who}, and {} could not be decided",
            list.join(", ")
        ))
    };
    Some(
        f.with_evidence(
            open.iter()
                .map(|p| format!("{who}: {}: {}", p.version, p.result))
                .collect(),
        )
        .with_remediation(next_steps(s, &open)),
    )
}

/// What to try next for each undecided version, each step once.
fn next_steps(s: &ServerObservation, open: &[&VersionProbe]) -> Vec<String> {
    let mut steps: Vec<String> = Vec::new();
    for p in open {
        let step = next_step(s, p);
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    let nothing_accepted = !s.versions.iter().any(|p| p.result.is_accepted());
    if s.sni.is_none() && nothing_accepted && reached_tls(s) {
        let step = "Probe by host name (tlscheck --host NAME): tlscheck sent no SNI because the target was an address, and some servers need it.".to_owned();
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    steps
}

/// The stage at which the server closed every session before TLS, when
/// that is why no version was tested.
fn closed_before_tls(s: &ServerObservation) -> Option<Stage> {
    let mut stages = s.versions.iter().map(|p| match &p.result {
        VersionResult::NotTested(n) => n.closed_at(),
        _ => None,
    });
    let first = stages.next()??;
    stages.all(|x| x == Some(first)).then_some(first)
}

/// The command tlscheck had sent when a stage began, as a mail admin
/// reads it in a log.
fn command_of(stage: Stage) -> &'static str {
    match stage {
        Stage::Ehlo => "EHLO",
        Stage::Helo => "HELO",
        Stage::MailFrom => "MAIL FROM",
        Stage::Rset => "RSET",
        Stage::Starttls => "STARTTLS",
        Stage::Greeting => "the connection opened",
        _ => stage.label(),
    }
}

/// Only where TLS was reached does SNI matter: it is a handshake matter.
fn reached_tls(s: &ServerObservation) -> bool {
    s.versions.iter().any(|p| {
        matches!(
            &p.result,
            VersionResult::Rejected(_)
                | VersionResult::Dropped {
                    stage: Stage::Handshake,
                    ..
                }
                | VersionResult::Timeout {
                    stage: Stage::Handshake
                }
                | VersionResult::Unknown {
                    stage: Stage::Handshake,
                    ..
                }
        )
    })
}

/// What to try next for one undecided version.
fn next_step(s: &ServerObservation, p: &VersionProbe) -> String {
    match &p.result {
        VersionResult::Timeout { stage } => format!(
            "Run again with a longer --timeout: the server did not finish the {stage} stage in time (slow link, tarpit or a server under load)."
        ),
        VersionResult::NotTested(NotTested::Throttled(r)) => format!(
            "Run again later or with --per-server 1: the server deferred tlscheck's connections ({} {}), even when retried one at a time.",
            r.code,
            r.text()
        ),
        VersionResult::NotTested(NotTested::StarttlsRefused(r)) => format!(
            "Run again with --per-server 1: the server answered STARTTLS with {} on some connections while it accepted it on others (a limit on connections at once, or servers of different configuration behind one address).",
            r.code
        ),
        VersionResult::NotTested(NotTested::EhloRefused(r)) => format!(
            "Run again with --ehlo set to a real host name of yours: the server refused EHLO ({} {}), and the name tlscheck sends by default, tlscheck.invalid, is refused by servers that check it.",
            r.code,
            r.text()
        ),
        VersionResult::NotTested(NotTested::Deadline { .. }) => {
            "Run again with a longer --deadline (or none): the run stopped before these versions were decided.".to_owned()
        }
        VersionResult::NotTested(NotTested::Interrupted) => {
            "Run again and let it finish: the run was interrupted.".to_owned()
        }
        VersionResult::NotTested(n @ NotTested::EarlierStage { stage, .. }) => {
            match n.closed_at() {
                Some(Stage::Ehlo | Stage::Helo) => format!(
                    "Run again with --ehlo set to your MTA's real host name (tlscheck --ehlo mail.example.com {0}): the server closed the connection after {1}, and some servers drop a session whose EHLO name they do not know or cannot resolve. To see another client's session: `openssl s_client -starttls smtp -name mail.example.com -connect {0}`; the server's log says why it closed.",
                    s.address,
                    command_of(*stage)
                ),
                Some(stage) => format!(
                    "Compare with `openssl s_client -starttls smtp -connect {}`: the server closed the connection after {} (stage {stage}), before TLS; the server's log says why.",
                    s.address,
                    command_of(stage)
                ),
                None => format!("Run again: the session failed at {stage} before reaching TLS."),
            }
        }
        VersionResult::Accepted(_) => format!(
            "Check with OpenSSL: `openssl s_client -starttls smtp -connect {} -{}`; tlscheck's TLS library could not finish what the server chose.",
            s.address,
            openssl_flag(p.version)
        ),
        _ => "Run with --transcript and compare with `openssl s_client -starttls smtp`: the answer could not be read as TLS (a firewall's SMTP inspection often causes this).".to_owned(),
    }
}

/// The `openssl s_client` flag for a version.
fn openssl_flag(v: TlsVersion) -> &'static str {
    match v {
        TlsVersion::Tls10 => "tls1",
        TlsVersion::Tls11 => "tls1_1",
        TlsVersion::Tls12 => "tls1_2",
        TlsVersion::Tls13 => "tls1_3",
    }
}
