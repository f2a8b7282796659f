//! The checks of one server: small functions, each giving one finding or
//! none, run in the order of [`CHECKS`]. A check marked [`After::Stop`]
//! ends the list when it finds something: after a failed connection, a
//! refused greeting or a missing STARTTLS nothing else can be seen.

use std::time::Duration;

use super::certificate::{check_certificate, check_certificate_expiry};
use super::failure::failure_finding;
use super::undecided::check_undecided;
use super::{server_label, sig, CheckPolicy, Finding, FindingId, Severity};
use crate::model::{
    Direction, LimitKind, NotTested, Rejection, ServerObservation, Stage, StarttlsStatus,
    TlsVersion, VersionResult,
};
use crate::proto::smtp::reply::Reply;

/// One server as the checks see it.
pub(super) struct Server<'a> {
    /// What was observed.
    pub(super) obs: &'a ServerObservation,
    /// `host (address)`, for evidence lines.
    pub(super) who: String,
}

impl Server<'_> {
    /// True when the server was seen to refuse this version (an alert,
    /// another version, a drop). A timeout, an unreadable answer or a cut
    /// session leaves it open (see `undecided`).
    fn refused(&self, v: TlsVersion) -> bool {
        self.obs.version(v).is_some_and(|p| p.result.is_refused())
    }

    /// True when a session of this version was accepted.
    fn accepted(&self, v: TlsVersion) -> bool {
        self.obs
            .versions
            .iter()
            .any(|p| p.version == v && p.result.is_accepted())
    }

    /// `host (address): TLS 1.0: accepted, TLS 1.1: …`.
    fn version_evidence(&self) -> String {
        let parts: Vec<String> = self
            .obs
            .versions
            .iter()
            .map(|p| format!("{}: {}", p.version, p.result.label().replace('_', " ")))
            .collect();
        format!("{}: {}", self.who, parts.join(", "))
    }
}

/// A check: one finding about one server, or none.
type Check = fn(&Server<'_>, &CheckPolicy) -> Option<Finding>;

/// What happens after a check that found something.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    /// The next checks run.
    Continue,
    /// Nothing after this can be judged: the list ends.
    Stop,
}

/// Every check of a server, in order.
const CHECKS: &[(Check, After)] = &[
    (check_failure, After::Stop),
    (check_greeting, After::Stop),
    (check_starttls_dropped, After::Continue),
    (check_smtp_inspection, After::Continue),
    (check_no_starttls, After::Stop),
    (check_starttls_refused, After::Stop),
    (check_versions_refused, After::Continue),
    (check_legacy_only, After::Continue),
    (check_legacy_enabled, After::Continue),
    (check_tls12_legacy_ciphers, After::Continue),
    (check_tls13, After::Continue),
    (check_tls13_only, After::Continue),
    (check_requires_tls, After::Continue),
    (check_slow_greeting, After::Continue),
    (check_client_certificate, After::Continue),
    (check_ehlo_refused, After::Continue),
    (check_undecided, After::Continue),
    (check_certificate_expiry, After::Continue),
    (check_certificate, After::Continue),
];

/// Runs the checks on one server.
pub(super) fn run(s: &ServerObservation, policy: &CheckPolicy) -> Vec<Finding> {
    let server = Server {
        obs: s,
        who: server_label(s),
    };
    let mut found = Vec::new();
    for (check, after) in CHECKS {
        if let Some(f) = check(&server, policy) {
            found.push(f);
            if *after == After::Stop {
                break;
            }
        }
    }
    found
}

/// The server could not be checked at all.
fn check_failure(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let err = s.obs.error.as_ref()?;
    Some(failure_finding(&s.who, s.obs, err))
}

/// Greeting refused by policy (or throttling): not a TLS problem.
fn check_greeting(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let b = s
        .obs
        .banner
        .as_ref()
        .filter(|b| !(200..300).contains(&b.code))?;
    let throttled = s
        .obs
        .versions
        .iter()
        .any(|p| matches!(p.result, VersionResult::NotTested(NotTested::Throttled(_))));
    let evidence = vec![format!("{}: greeting \"{} {}\"", s.who, b.code, b.text())];
    Some(if throttled {
        Finding::of(FindingId::Throttled)
            .with_evidence(evidence)
            .with_signatures(vec![sig::THROTTLED_421])
            .with_remediation(vec!["Run again with --per-server 1, or later; the server limits connections per client.".to_owned()])
    } else {
        Finding::of(FindingId::GreetingRejected)
            .with_evidence(evidence)
            .with_remediation(vec![
                "The server rejects this client's address before any TLS: check its connection filtering, IP block lists, or allow the address tlscheck runs from.".to_owned(),
            ])
    })
}

/// The server closes the connection when STARTTLS is sent.
fn check_starttls_dropped(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let dropped: Vec<String> = s
        .obs
        .versions
        .iter()
        .filter_map(|p| match &p.result {
            VersionResult::Dropped { stage, detail } if *stage == Stage::Starttls => {
                Some(format!("{}: {}: {detail}", s.who, p.version))
            }
            _ => None,
        })
        .collect();
    if dropped.is_empty() {
        return None;
    }
    Some(
        Finding::of(FindingId::StarttlsDropped)
            .with_evidence(dropped)
            .with_signatures(vec![sig::TLS_NEGOTIATION_SOCKET_ERROR, sig::CLOSED_ABRUPTLY_450])
            .with_remediation(vec![
                "The STARTTLS command itself ends the session: an SMTP proxy or firewall that does not allow TLS, or a service that fails when starting TLS. Compare with `openssl s_client -starttls smtp` from the same place.".to_owned(),
            ]),
    )
}

/// Signs of a firewall's SMTP inspection in the banner or EHLO.
fn check_smtp_inspection(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let sign = smtp_inspection_sign(s.obs)?;
    Some(
        Finding::of(FindingId::SmtpInspection)
            .with_severity(if s.obs.starttls == StarttlsStatus::NotOffered {
                Severity::Error
            } else {
                Severity::Warning
            })
            .with_evidence(vec![format!("{}: {sign}", s.who)])
            .with_signatures(vec![sig::MUST_STARTTLS_451, sig::CLOSED_ABRUPTLY_450])
            .with_remediation(vec![
                "Cisco ASA/PIX \"ESMTP inspection\" masks the banner with asterisks and replaces EHLO keywords it does not allow with X's, which strips STARTTLS: senders then send in plain text, or fail with 451 5.7.3 where TLS is required. Allow STARTTLS in the ESMTP inspection policy map, or remove the inspection for port 25.".to_owned(),
            ]),
    )
}

/// What in the banner or EHLO shows SMTP inspection: a banner of asterisks
/// (`220 ****…`) or EHLO keywords made of X's (`250-XXXXXXXA`).
fn smtp_inspection_sign(s: &ServerObservation) -> Option<String> {
    let banner = s.banner.as_ref().map(|b| b.text()).unwrap_or_default();
    let stars = banner.chars().filter(|c| *c == '*').count();
    if stars >= 8 && stars * 2 >= banner.chars().filter(|c| !c.is_whitespace()).count() {
        return Some(format!("banner \"{banner}\""));
    }
    let ehlo = s.ehlo.as_ref()?;
    ehlo.reply
        .lines
        .iter()
        .skip(1)
        .find(|l| {
            let word = l.split_whitespace().next().unwrap_or_default();
            word.len() >= 4 && word.chars().filter(|c| *c == 'X').count() + 1 >= word.len()
        })
        .map(|l| format!("EHLO keyword \"{l}\""))
}

/// EHLO lists no STARTTLS.
fn check_no_starttls(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    if s.obs.starttls != StarttlsStatus::NotOffered {
        return None;
    }
    Some(
        Finding::of(FindingId::NoStarttls)
            .with_evidence(vec![format!("{}: EHLO lists no STARTTLS", s.who)])
            .with_signatures(vec![sig::MUST_STARTTLS_451, sig::TLS_REQUIRED_NOT_OFFERED])
            .with_remediation(vec![
                "Give the SMTP service a certificate for the name senders connect to and turn STARTTLS on; senders that only prefer TLS fall back to plain text, those that require it queue and bounce.".to_owned(),
            ]),
    )
}

/// A reply other than 220 to STARTTLS, by what it means: only 454 is the
/// server's own TLS set-up failing.
fn check_starttls_refused(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let StarttlsStatus::Refused(reply) = &s.obs.starttls else {
        return None;
    };
    Some(starttls_refused(&s.who, reply))
}

fn starttls_refused(who: &str, reply: &Reply) -> Finding {
    let seen = format!(
        "{who}: STARTTLS answered \"{} {}\"",
        reply.code,
        reply.text()
    );
    // Only a 454 is the server's TLS set-up failing: the software fix for
    // the certificate and key is attached to that id alone.
    let (f, why, signatures) = match reply.code {
        454 => (
            Finding::of(FindingId::StarttlsRefused),
            "A 454 reply to STARTTLS means the server cannot start TLS right now, almost always because it cannot load its certificate or private key: check the files, their permissions and the server's log.",
            vec![sig::TLS_NOT_AVAILABLE_454, sig::MUST_STARTTLS_451],
        ),
        421 => (
            Finding::of(FindingId::StarttlsRejected)
                .with_title("The server advertises STARTTLS but closes the session when asked for it (421)")
                .with_fix_short("check the server's limits and log; run again later"),
            "421 is the server shutting the session down (overload, a limit, a policy), not a TLS answer; run again later or with --per-server 1, and look at the server's log for why.",
            vec![sig::THROTTLED_421],
        ),
        code if code / 100 == 2 => (
            Finding::of(FindingId::StarttlsRejected)
                .with_title("The server advertises STARTTLS but answers it with a success code other than 220")
                .with_fix_short("fix the SMTP service or the proxy in front of it"),
            "RFC 3207 §4 requires 220 before the handshake; a 250 or 200 here comes from a broken implementation or an SMTP proxy that rewrites commands. Senders treat STARTTLS as failed.",
            vec![sig::MUST_STARTTLS_451],
        ),
        _ => (
            Finding::of(FindingId::StarttlsRejected),
            "A 5yz reply to an advertised STARTTLS means it is refused by policy or not really implemented (an SMTP proxy may advertise it for the server behind it); senders that require TLS queue and bounce.",
            vec![sig::MUST_STARTTLS_451],
        ),
    };
    f.with_evidence(vec![seen])
        .with_signatures(signatures)
        .with_remediation(vec![why.to_owned()])
}

/// True for a refusal that is about the version itself: protocol_version,
/// or an answer with another version. Anything else (drops, other alerts,
/// an alert after the server's Certificate) points at the server's TLS set-up.
fn is_version_refusal(r: &VersionResult) -> bool {
    matches!(
        r,
        VersionResult::Rejected(
            Rejection::Alert(rustls::AlertDescription::ProtocolVersion)
                | Rejection::OtherVersion { .. }
                | Rejection::Handshake(_)
        )
    )
}

/// Every version decided, and every tried one refused: a throttled or
/// timed-out version could still be the one that works.
fn check_versions_refused(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let tested: Vec<&VersionResult> = s
        .obs
        .versions
        .iter()
        .map(|p| &p.result)
        .filter(|r| !matches!(r, VersionResult::NotTested(_)))
        .collect();
    let all_refused = !s.obs.versions.iter().any(|p| p.result.is_accepted())
        && !tested.is_empty()
        && tested.iter().all(|r| r.is_refused())
        && s.obs.undecided().is_empty();
    if !all_refused {
        return None;
    }
    let by_address = s.obs.sni.is_none().then(|| {
        "tlscheck probed by address and sent no SNI: probe by host name too (tlscheck --host NAME), in case the server needs the name to pick its certificate.".to_owned()
    });
    // A server that only says protocol_version (or answers another
    // version) has the versions off; one that drops, or starts and then
    // fails (alerts after its own Certificate: a key it cannot use, a
    // middlebox), has a TLS set-up problem: lead with those causes.
    let (f, steps) = if tested.iter().any(|r| !is_version_refusal(r)) {
        (
            Finding::of(FindingId::TlsHandshakeDropped),
            vec![
                "Most likely the certificate bound to SMTP has no private key the service can use: a missing or non-exportable key, no permission to read it, or a key type the TLS stack refuses. Exchange logs this as \"TLS negotiation failed with error NoCredentials\" or \"UnknownCredentials\" in its Receive connector protocol log.".to_owned(),
                "Or no cipher suite the server can use with its key: an alert handshake_failure to every version while none says protocol_version (DHE suites without DH parameters, an ECDSA-only suite list with an RSA key).".to_owned(),
                "Next: a firewall or SMTP proxy that cuts TLS (ESMTP inspection), or an IPS resetting connections.".to_owned(),
                "Only then: every TLS version switched off on the server side.".to_owned(),
            ],
        )
    } else {
        (
            Finding::of(FindingId::NoTlsVersionAccepted),
            vec![
                "Enable TLS 1.2 for the server side and restart the service.".to_owned(),
                "Check that the certificate bound to SMTP has a private key the service can read."
                    .to_owned(),
            ],
        )
    };
    Some(
        f.with_evidence(vec![s.version_evidence()])
            .with_signatures(vec![
                sig::SOCKET_ERROR_421,
                sig::TLS_NEGOTIATION_SOCKET_ERROR,
                sig::CLOSED_ABRUPTLY_450,
            ])
            .with_remediation(steps.into_iter().chain(by_address).collect()),
    )
}

/// True when TLS 1.2 and 1.3 were both seen refused.
fn modern_refused(s: &Server<'_>) -> bool {
    s.refused(TlsVersion::Tls12) && s.refused(TlsVersion::Tls13)
}

/// Only TLS 1.0/1.1, and TLS 1.2 and 1.3 seen refused.
fn check_legacy_only(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    if !(s.obs.accepts_legacy() && !s.obs.accepts_modern() && modern_refused(s)) {
        return None;
    }
    let mut signatures = vec![sig::SOCKET_ERROR_421, sig::TLS_NEGOTIATION_SOCKET_ERROR];
    if s.obs.policy.requires_tls == Some(true) {
        signatures.push(sig::MUST_STARTTLS_451);
    }
    Some(
        Finding::of(FindingId::LegacyTlsOnly)
            .with_evidence(vec![s.version_evidence()])
            .with_signatures(signatures)
            .with_remediation(vec![
                "Enable TLS 1.2 on the server side (it receives) and on the client side (it sends), then restart the service and run tlscheck again.".to_owned(),
            ]),
    )
}

/// TLS 1.0/1.1 next to TLS 1.2+, or at all under `--forbid-legacy`.
fn check_legacy_enabled(s: &Server<'_>, policy: &CheckPolicy) -> Option<Finding> {
    let modern = s.obs.accepts_modern();
    let legacy_only = !modern && modern_refused(s);
    if !(s.obs.accepts_legacy() && (modern || policy.forbid_legacy) && !legacy_only) {
        return None;
    }
    Some(
        Finding::of(FindingId::LegacyTlsEnabled)
            .with_severity(if policy.forbid_legacy {
                Severity::Error
            } else {
                Severity::Warning
            })
            .with_evidence(vec![s.version_evidence()])
            .with_remediation(vec![
                "Receiving works. The server's sending side (its Send connector) cannot be seen from here: if it still offers only TLS 1.0/1.1, Office 365 drops its connections. Check the SCHANNEL TLS 1.2\\Client key, run `tlscheck schannel` on a registry export, or let it send to `tlscheck listen`.".to_owned(),
                "Disable TLS 1.0 and 1.1 on both sides once no partner needs them.".to_owned(),
            ]),
    )
}

/// TLS 1.2 only with ciphers modern clients do not offer.
fn check_tls12_legacy_ciphers(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let p = s.obs.version(TlsVersion::Tls12)?;
    let VersionResult::Accepted(a) = &p.result else {
        return None;
    };
    if !a.legacy_cipher_only {
        return None;
    }
    Some(
        Finding::of(FindingId::Tls12LegacyCiphersOnly)
            .with_evidence(vec![format!(
                "{}: TLS 1.2 {}",
                s.who,
                crate::proto::tls::cipher_name(a.cipher)
            )])
            .with_signatures(vec![sig::TLS_NEGOTIATION_SOCKET_ERROR])
            // Office 365 lists no ECDSA suite for TLS 1.2 (purview
            // "technical reference details about encryption").
            .with_remediation(vec!["Enable ECDHE_RSA with AES-GCM (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) and keep an RSA certificate: Office 365 lists no ECDSA suites for TLS 1.2; Windows: update and check the cipher suite order policy.".to_owned()]),
    )
}

/// TLS 1.3 required by `--require-tls 1.3` but missing, or (a note) not
/// offered.
fn check_tls13(s: &Server<'_>, policy: &CheckPolicy) -> Option<Finding> {
    if !s.obs.accepts_modern() {
        return None;
    }
    if policy.require == TlsVersion::Tls13 && !s.accepted(TlsVersion::Tls13) {
        Some(
            Finding::of(FindingId::Tls13Required)
                .with_evidence(vec![s.version_evidence()])
                .with_remediation(vec!["Enable TLS 1.3 on the server (Postfix with OpenSSL 1.1.1+ does by default; Exchange Server does not offer TLS 1.3 for SMTP).".to_owned()]),
        )
    } else if s.refused(TlsVersion::Tls13) {
        Some(
            Finding::of(FindingId::NoTls13)
                .with_evidence(vec![s.who.clone()])
                .with_remediation(vec!["Nothing is required. Exchange Server does not support TLS 1.3 for SMTP; on Postfix it comes with OpenSSL 1.1.1 or newer.".to_owned()]),
        )
    } else {
        None
    }
}

/// TLS 1.3 accepted, TLS 1.2 refused.
fn check_tls13_only(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let tls13 = s.obs.version(TlsVersion::Tls13);
    if !(s.refused(TlsVersion::Tls12) && tls13.is_some_and(|p| p.result.is_accepted())) {
        return None;
    }
    Some(
        Finding::of(FindingId::Tls13Only)
            .with_evidence(vec![s.version_evidence()])
            .with_signatures(vec![sig::TLS_NEGOTIATION_SOCKET_ERROR])
            .with_remediation(vec![
                "Exchange Server on Windows Server 2019 and older has no TLS 1.3, and Exchange does not use TLS 1.3 for SMTP: those senders fall back to plain text, or fail where TLS is required. Enable TLS 1.2 as well.".to_owned(),
            ]),
    )
}

/// STARTTLS required before mail, and TLS 1.0/1.1 refused.
fn check_requires_tls(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let requires_tls = s.obs.policy.requires_tls == Some(true);
    if !(requires_tls
        && s.obs.accepts_modern()
        && s.refused(TlsVersion::Tls10)
        && s.refused(TlsVersion::Tls11))
    {
        return None;
    }
    let reply = s
        .obs
        .policy
        .mail_from
        .as_ref()
        .map(|r| format!("{} {}", r.code, r.text()))
        .unwrap_or_default();
    Some(
        Finding::of(FindingId::RequiresTls)
            .with_evidence(vec![format!(
                "{}: MAIL FROM:<> before STARTTLS answered \"{reply}\"",
                s.who
            )])
            .with_signatures(vec![sig::SOCKET_ERROR_421, sig::MUST_STARTTLS_451])
            .with_remediation(vec![
                "A sender limited to TLS 1.0/1.1 fails the handshake (SocketError), retries in plain text and gets 451 5.7.3 Must issue a STARTTLS command first. The fix is on the sender's side: TLS 1.2 in its SCHANNEL Client key (tlscheck schannel) — check it with tlscheck listen.".to_owned(),
            ]),
    )
}

/// From how long a greeting counts as slow enough to mention.
const SLOW_GREETING: Duration = Duration::from_secs(5);

/// The shortest wait for a greeting over the sessions (time from the
/// connection attempt to the first line received).
fn greeting_delay(s: &ServerObservation) -> Option<Duration> {
    std::iter::once(&s.policy.transcript)
        .chain(s.versions.iter().map(|p| &p.transcript))
        .filter_map(|t| {
            t.iter()
                .find(|e| e.direction == Direction::Received)
                .map(|e| e.at)
        })
        .min()
}

/// A greeting after [`SLOW_GREETING`] or more.
fn check_slow_greeting(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let delay = greeting_delay(s.obs).filter(|d| *d >= SLOW_GREETING)?;
    Some(
        Finding::of(FindingId::SlowGreeting)
            .with_title(format!("The server greets only after {} s", delay.as_secs()))
            .with_evidence(vec![format!("{}: 220 after {} ms", s.who, delay.as_millis())])
            .with_remediation(vec![
                "RFC 5321 §4.5.3.2.1 lets senders wait 5 minutes for the greeting (Postfix waits 300 s, smtp_helo_timeout), so this works with them; a sender or a monitoring check with a shorter limit gives up. A deliberate delay (greet pause, tarpit) is the usual cause.".to_owned(),
            ]),
    )
}

/// A server that asks for a client certificate and refuses the handshake
/// without one: tlscheck (like most senders) has none to give.
fn check_client_certificate(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let evidence: Vec<String> = s
        .obs
        .versions
        .iter()
        .filter_map(|p| match &p.result {
            VersionResult::Accepted(a) => a
                .limited_by
                .as_ref()
                .filter(|l| l.kind == LimitKind::ClientCertificate)
                .map(|l| format!("{}: {}: {}", s.who, p.version, l.detail)),
            _ => None,
        })
        .collect();
    if evidence.is_empty() {
        return None;
    }
    Some(
        Finding::of(FindingId::ClientCertificateRequired)
            .with_evidence(evidence)
            .with_signatures(vec![sig::TLS_NEGOTIATION_SOCKET_ERROR])
            .with_remediation(vec![
                "RFC 3207 servers on port 25 must not require a client certificate from the public: make it optional (Postfix: smtpd_tls_req_ccert = no; Exchange: do not set RequireTLS with mutual auth on the Internet-facing Receive connector).".to_owned(),
            ]),
    )
}

/// EHLO refused for good: nothing about STARTTLS could be seen.
fn check_ehlo_refused(s: &Server<'_>, _: &CheckPolicy) -> Option<Finding> {
    let r = s.obs.versions.iter().find_map(|p| match &p.result {
        VersionResult::NotTested(NotTested::EhloRefused(r)) => Some(r),
        _ => None,
    })?;
    Some(
        Finding::of(FindingId::EhloRefused)
            .with_evidence(vec![format!("{}: EHLO answered \"{} {}\"", s.who, r.code, r.text())])
            .with_remediation(vec![
                "Servers that check the EHLO name (Postfix smtpd_helo_restrictions, for one) refuse tlscheck's default name, tlscheck.invalid; real senders use their own host name. Run again with --ehlo mail.yourdomain.example.".to_owned(),
            ]),
    )
}
