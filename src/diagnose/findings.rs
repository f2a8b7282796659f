//! From observations to findings: a pure function, no IO, no printing.
//!
//! Each finding has a stable kebab-case id, a severity, a one-line title,
//! the evidence (which server, which version, which reply), the catalogue
//! signatures it predicts on the peers' side, and what to change. Findings
//! of the same id across several servers of one target are merged, so a
//! domain with three MX gives one "legacy only" finding listing three
//! servers rather than three copies.

use std::collections::BTreeMap;

use crate::diagnose::remediation::{self, Remediation, ServerSoftware};
use crate::model::{
    CertVerdict, LimitKind, NotTested, ProbeFailure, Rejection, ServerObservation, Stage,
    StarttlsStatus, TlsVersion, VersionResult,
};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing breaks.
    Info,
    /// Something breaks for some peers, or will soon.
    Warning,
    /// Mail flow with Office 365 (or any TLS 1.2+ peer) fails.
    Error,
}

impl Severity {
    /// JSON name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One conclusion about a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable kebab-case id (`legacy-tls-only`).
    pub id: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// One line a person can read aloud.
    pub title: String,
    /// What was seen, one line per server or fact (raw server text inside;
    /// renderers sanitize).
    pub evidence: Vec<String>,
    /// Catalogue ids of the errors peers will log because of this.
    pub signatures: Vec<&'static str>,
    /// The fix in a few words, for the summary line.
    pub fix_short: &'static str,
    /// The steps that fix it, in this situation.
    pub remediation: Vec<String>,
    /// How to do it on the server's software (recognised from the
    /// greeting and EHLO), with a snippet to paste where there is one.
    pub fix: Option<Fix>,
}

impl Finding {
    /// A finding with no catalogue signatures and no software-specific fix
    /// (callers add them where they have them).
    pub fn new(
        id: &'static str,
        severity: Severity,
        title: String,
        evidence: Vec<String>,
        fix_short: &'static str,
        remediation: Vec<String>,
    ) -> Finding {
        Finding {
            id,
            severity,
            title,
            evidence,
            signatures: Vec::new(),
            fix_short,
            remediation,
            fix: None,
        }
    }
}

/// Software-specific remediation attached to a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fix {
    /// The software it is written for.
    pub software: ServerSoftware,
    /// Title, steps and snippet.
    pub remediation: Remediation,
}

/// The policy a check is judged against (`--require-tls`, `--forbid-legacy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckPolicy {
    /// Lowest version every server must accept.
    pub require: TlsVersion,
    /// Whether accepting TLS 1.0/1.1 is an error rather than a warning.
    pub forbid_legacy: bool,
    /// Days before expiry from which a certificate is a warning.
    pub cert_warn_days: i64,
}

impl Default for CheckPolicy {
    fn default() -> Self {
        Self {
            require: TlsVersion::Tls12,
            forbid_legacy: false,
            cert_warn_days: 14,
        }
    }
}

/// Catalogue ids used by findings (see `diagnose::catalogue`).
pub mod sig {
    /// `421 4.4.2 Connection dropped due to SocketError` (NDR / queue).
    pub const SOCKET_ERROR_421: &str = "socket-error-421-4-4-2";
    /// `TLS negotiation failed with error SocketError` (Send connector log).
    pub const TLS_NEGOTIATION_SOCKET_ERROR: &str = "tls-negotiation-failed-socketerror";
    /// `451 5.7.3 Must issue a STARTTLS command first`.
    pub const MUST_STARTTLS_451: &str = "starttls-required-451-5-7-3";
    /// Postfix `530 5.7.0 Must issue a STARTTLS command first`.
    pub const MUST_STARTTLS_530: &str = "starttls-required-530-5-7-0";
    /// `454 4.7.0 TLS not available due to local problem`.
    pub const TLS_NOT_AVAILABLE_454: &str = "starttls-unavailable-454-4-7-0";
    /// `450 4.7.320 Certificate validation failed`.
    pub const CERT_VALIDATION_450: &str = "exo-certificate-validation-450-4-7-320";
    /// Postfix `TLS is required, but was not offered by host …`.
    pub const TLS_REQUIRED_NOT_OFFERED: &str = "postfix-tls-required-not-offered";
    /// `454 4.7.0` and other refusals of STARTTLS.
    pub const STARTTLS_REFUSED_454: &str = "starttls-refused-454";
    /// `454 4.7.5` certificate validation failure (second entry).
    pub const CERT_VALIDATION_454: &str = "certificate-validation-454-4-7-5";
    /// `450 4.4.318 Connection was closed abruptly`.
    pub const CLOSED_ABRUPTLY_450: &str = "exo-connection-closed-450-4-4-318";
    /// `450 4.4.315 Connection timed out`.
    pub const TIMED_OUT_450: &str = "exo-connection-timed-out-450-4-4-315";
    /// `450 4.4.316 Connection refused`.
    pub const REFUSED_450: &str = "exo-connection-refused-450-4-4-316";
    /// Port 25 connection timeouts.
    pub const PORT_25_TIMEOUT: &str = "connect-timeout-port-25";
    /// `421 4.7.0 too many connections` and other throttling.
    pub const THROTTLED_421: &str = "throttled-421-4-7-0-too-many-connections";
    /// `450 4.4.312 DNS query failed`.
    pub const DNS_FAILED_450: &str = "exo-dns-query-failed-450-4-4-312";
    /// `451 4.4.0 DNS query failed`.
    pub const DNS_FAILED_451: &str = "dns-query-failed-451-4-4-0";
}

/// The findings for the servers of one target, worst first.
pub fn server_findings(servers: &[ServerObservation], policy: &CheckPolicy) -> Vec<Finding> {
    let mut acc = Accumulator::default();
    for s in servers {
        per_server(s, policy, &mut acc);
    }
    if !servers.is_empty()
        && servers.iter().all(|s| {
            s.error
                .as_ref()
                .is_some_and(|e| e.timed_out && e.stage == crate::model::Stage::Connect)
        })
    {
        let port25 = servers.iter().any(|s| s.address.port() == 25);
        acc.add(Finding {
            id: "all-connections-timed-out",
            severity: Severity::Error,
            title: if port25 {
                "No server answered on port 25: outbound port 25 is probably blocked on the network tlscheck runs from"
                    .to_owned()
            } else {
                "No server answered: every connection attempt timed out".to_owned()
            },
            evidence: Vec::new(),
            signatures: vec![sig::PORT_25_TIMEOUT, sig::TIMED_OUT_450],
            fix_short: "run tlscheck from a network that allows outbound port 25",
            remediation: vec![
                "Home, office and most cloud networks block outbound port 25; run tlscheck from the mail server's own network or a host that may send mail.".to_owned(),
                "If the servers should be reachable, check their firewall and that the MX addresses are current.".to_owned(),
            ],
            fix: None,
        });
    }
    let mut findings = acc.finish();
    // A backup MX that is down does not stop mail while another server
    // works: senders move on to the next exchange.
    if servers.iter().any(ServerObservation::was_tested) {
        for f in &mut findings {
            if matches!(
                f.id,
                "server-unreachable"
                    | "connection-timed-out"
                    | "connection-refused"
                    | "host-unreachable"
                    | "closed-before-greeting"
                    | "no-greeting"
                    | "not-smtp"
                    | "reply-too-long"
            ) {
                f.severity = Severity::Warning;
            }
        }
        sort(&mut findings);
    }
    findings
}

/// Orders findings worst first; among equals, what decides whether mail
/// flows over TLS (versions, STARTTLS) before certificates, and those
/// before DNS remarks; then by id, so the order is stable.
pub fn sort(findings: &mut [Finding]) {
    fn rank(id: &str) -> u8 {
        if id.starts_with("certificate-") {
            1
        } else if id.contains("mx") || id.contains("dns") || id.contains("exchange") {
            2
        } else {
            0
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(rank(a.id).cmp(&rank(b.id)))
            .then(a.id.cmp(b.id))
    });
}

/// Collects findings, merging those with the same id.
#[derive(Default)]
pub struct Accumulator {
    by_id: BTreeMap<&'static str, Finding>,
}

impl Accumulator {
    /// Adds a finding, merging evidence into an earlier one of the same id.
    pub fn add(&mut self, f: Finding) {
        match self.by_id.get_mut(f.id) {
            Some(existing) => {
                for e in f.evidence {
                    if !existing.evidence.contains(&e) {
                        existing.evidence.push(e);
                    }
                }
                existing.severity = existing.severity.max(f.severity);
            }
            None => {
                self.by_id.insert(f.id, f);
            }
        }
    }

    /// The findings, worst first, then by id for a stable order.
    pub fn finish(self) -> Vec<Finding> {
        let mut v: Vec<Finding> = self.by_id.into_values().collect();
        sort(&mut v);
        v
    }
}

fn server_label(s: &ServerObservation) -> String {
    match &s.host {
        Some(h) => format!("{h} ({})", s.address),
        None => s.address.to_string(),
    }
}

/// Describes one version's result in a few words, for evidence lines.
pub fn describe_result(r: &VersionResult) -> String {
    r.to_string()
}

fn version_evidence(s: &ServerObservation) -> String {
    let parts: Vec<String> = s
        .versions
        .iter()
        .map(|p| format!("{}: {}", p.version, p.result.label().replace('_', " ")))
        .collect();
    format!("{}: {}", server_label(s), parts.join(", "))
}

/// The server software, recognised from the greeting and the EHLO reply.
pub fn software(s: &ServerObservation) -> ServerSoftware {
    let banner = s.banner.as_ref().map(|b| b.text()).unwrap_or_default();
    let ehlo: Vec<String> = s
        .ehlo
        .as_ref()
        .map(|e| e.reply.lines.clone())
        .unwrap_or_default();
    remediation::detect(&banner, &ehlo)
}

/// The software-specific fix for a finding id, where there is one.
fn fix_for(id: &str, software: ServerSoftware) -> Option<Fix> {
    let make: fn(ServerSoftware) -> Remediation = match id {
        "legacy-tls-only" | "no-tls-version-accepted" => remediation::enable_tls12,
        // Old cipher suites are fixed in the cipher settings, not by
        // enabling TLS 1.2 (issue 12 §4).
        "tls12-legacy-ciphers-only" => remediation::enable_modern_ciphers,
        "legacy-tls-enabled" => remediation::disable_legacy,
        "no-starttls" => remediation::enable_starttls,
        "starttls-refused" => remediation::repair_starttls,
        _ => return None,
    };
    Some(Fix {
        software,
        remediation: make(software),
    })
}

fn per_server(s: &ServerObservation, policy: &CheckPolicy, acc: &mut Accumulator) {
    let mut mine = Accumulator::default();
    server_checks(s, policy, &mut mine);
    let sw = software(s);
    for mut f in mine.finish() {
        if f.fix.is_none() {
            f.fix = fix_for(f.id, sw);
        }
        // No Windows/SCHANNEL steps for a Postfix, Exim or Sendmail server.
        f.fix_short = remediation::fit_fix_short(f.fix_short, sw);
        f.remediation = f
            .remediation
            .iter()
            .filter_map(|line| remediation::fit_line(line, sw))
            .collect();
        acc.add(f);
    }
}

fn server_checks(s: &ServerObservation, policy: &CheckPolicy, acc: &mut Accumulator) {
    let who = server_label(s);
    if let Some(err) = &s.error {
        acc.add(failure_finding(&who, s, err));
        return;
    }

    // Greeting refused by policy: not a TLS problem.
    if let Some(b) = &s.banner {
        if !(200..300).contains(&b.code) {
            let throttled = s
                .versions
                .iter()
                .any(|p| matches!(p.result, VersionResult::NotTested(NotTested::Throttled(_))));
            acc.add(if throttled {
                Finding {
                    id: "throttled",
                    severity: Severity::Warning,
                    title: "The server throttled tlscheck's connections; some versions could not be tested".to_owned(),
                    evidence: vec![format!("{who}: greeting \"{} {}\"", b.code, b.text())],
                    signatures: vec![sig::THROTTLED_421],
                    fix_short: "run again later or with --per-server 1",
                    remediation: vec!["Run again with --per-server 1, or later; the server limits connections per client.".to_owned()],
                    fix: None,
                }
            } else {
                Finding {
                    id: "greeting-rejected",
                    severity: Severity::Error,
                    title: "The server refused the connection at the greeting (a policy block, not a TLS problem)".to_owned(),
                    evidence: vec![format!("{who}: greeting \"{} {}\"", b.code, b.text())],
                    signatures: Vec::new(),
                    fix_short: "check the server's connection filtering (IP reputation, allow lists)",
                    remediation: vec![
                        "The server rejects this client's address before any TLS: check its connection filtering, IP block lists, or allow the address tlscheck runs from.".to_owned(),
                    ],
                    fix: None,
                }
            });
            return;
        }
    }

    let accepted: Vec<TlsVersion> = s
        .versions
        .iter()
        .filter(|p| p.result.is_accepted())
        .map(|p| p.version)
        .collect();
    let legacy = s.accepts_legacy();
    let modern = s.accepts_modern();
    let requires_tls = s.policy.requires_tls == Some(true);

    starttls_step(s, &who, acc);
    match &s.starttls {
        StarttlsStatus::NotOffered => {
            acc.add(Finding {
                id: "no-starttls",
                severity: Severity::Error,
                title: "The server does not offer STARTTLS: senders that require TLS (Office 365 connectors with TLS enforced) cannot deliver".to_owned(),
                evidence: vec![format!("{who}: EHLO lists no STARTTLS")],
                signatures: vec![sig::MUST_STARTTLS_451, sig::TLS_REQUIRED_NOT_OFFERED],
                fix_short: "enable STARTTLS with a certificate for the server's name",
                remediation: vec![
                    "Give the SMTP service a certificate for the name senders connect to and turn STARTTLS on; senders that only prefer TLS fall back to plain text, those that require it queue and bounce.".to_owned(),
                ],
                fix: None,
            });
            return;
        }
        StarttlsStatus::Refused(reply) => {
            acc.add(starttls_refused(&who, reply));
            return;
        }
        StarttlsStatus::Offered | StarttlsStatus::Unknown | StarttlsStatus::Implicit => {}
    }

    let tested: Vec<&crate::model::VersionProbe> = s
        .versions
        .iter()
        .filter(|p| !matches!(p.result, VersionResult::NotTested(_)))
        .collect();
    // Only what the server was seen to do decides "not offered": an alert,
    // another version, a drop. A timeout, an unreadable answer or a cut
    // session leaves the version open (see `inconclusive`).
    let refused = |v: TlsVersion| s.version(v).is_some_and(|p| p.result.is_refused());
    let modern_refused = refused(TlsVersion::Tls12) && refused(TlsVersion::Tls13);

    // Every version decided, and every tried one refused: a throttled or
    // timed-out version could still be the one that works.
    if accepted.is_empty()
        && !tested.is_empty()
        && tested.iter().all(|p| p.result.is_refused())
        && s.undecided().is_empty()
    {
        // Drops and alerts after the server's own Certificate are the
        // server failing its side (a key it cannot use, a middlebox), not
        // a version it lacks: lead with those causes.
        // A server that only says protocol_version (or answers another
        // version) has the versions off; one that drops or starts and then
        // fails has a TLS set-up problem.
        let server_fails = tested.iter().any(|p| !is_version_refusal(&p.result));
        let signatures = vec![
            sig::SOCKET_ERROR_421,
            sig::TLS_NEGOTIATION_SOCKET_ERROR,
            sig::CLOSED_ABRUPTLY_450,
        ];
        let by_address = s.sni.is_none().then(|| {
            "tlscheck probed by address and sent no SNI: probe by host name too (tlscheck --host NAME), in case the server needs the name to pick its certificate.".to_owned()
        });
        acc.add(if server_fails {
            Finding {
                id: "tls-handshake-dropped",
                severity: Severity::Error,
                title: "STARTTLS is offered but every TLS handshake fails on the server's side (the SocketError pattern)".to_owned(),
                evidence: vec![version_evidence(s)],
                signatures,
                fix_short: "make the SMTP certificate's private key usable by the TLS stack",
                remediation: vec![
                    "Most likely the certificate bound to SMTP has no private key the service can use: a missing or non-exportable key, no permission to read it, or a key type the TLS stack refuses. Exchange logs this as \"TLS negotiation failed with error NoCredentials\" or \"UnknownCredentials\" in its Receive connector protocol log.".to_owned(),
                    "Or no cipher suite the server can use with its key: an alert handshake_failure to every version while none says protocol_version (DHE suites without DH parameters, an ECDSA-only suite list with an RSA key).".to_owned(),
                    "Next: a firewall or SMTP proxy that cuts TLS (ESMTP inspection), or an IPS resetting connections.".to_owned(),
                    "Only then: every TLS version switched off on the server side.".to_owned(),
                ]
                .into_iter()
                .chain(by_address.clone())
                .collect(),
                fix: None,
            }
        } else {
            Finding {
                id: "no-tls-version-accepted",
                severity: Severity::Error,
                title: "STARTTLS is offered but no TLS version could be negotiated".to_owned(),
                evidence: vec![version_evidence(s)],
                signatures,
                fix_short: "enable TLS 1.2 on the server and restart it",
                remediation: vec![
                    "Enable TLS 1.2 for the server side and restart the service.".to_owned(),
                    "Check that the certificate bound to SMTP has a private key the service can read.".to_owned(),
                ]
                .into_iter()
                .chain(by_address)
                .collect(),
                fix: None,
            }
        });
    } else if legacy && !modern && modern_refused {
        let mut signatures = vec![sig::SOCKET_ERROR_421, sig::TLS_NEGOTIATION_SOCKET_ERROR];
        if requires_tls {
            signatures.push(sig::MUST_STARTTLS_451);
        }
        acc.add(Finding {
            id: "legacy-tls-only",
            severity: Severity::Error,
            title: "The server accepts only TLS 1.0/1.1: Office 365 and every TLS 1.2+ sender cannot deliver to it over TLS".to_owned(),
            evidence: vec![version_evidence(s)],
            signatures,
            fix_short: "enable TLS 1.2 (SCHANNEL TLS 1.2 Server and Client keys) and restart",
            remediation: vec![
                "Enable TLS 1.2 on the server side (it receives) and on the client side (it sends), then restart the service and run tlscheck again.".to_owned(),
            ],
            fix: None,
        });
    } else if legacy && (modern || policy.forbid_legacy) {
        acc.add(Finding {
            id: "legacy-tls-enabled",
            severity: if policy.forbid_legacy {
                Severity::Error
            } else {
                Severity::Warning
            },
            title: "TLS 1.0/1.1 are still enabled next to TLS 1.2+; Office 365 no longer uses them".to_owned(),
            evidence: vec![version_evidence(s)],
            signatures: Vec::new(),
            fix_short: "disable TLS 1.0/1.1; check the sending side too",
            remediation: vec![
                "Receiving works. The server's sending side (its Send connector) cannot be seen from here: if it still offers only TLS 1.0/1.1, Office 365 drops its connections. Check the SCHANNEL TLS 1.2\\Client key, run `tlscheck schannel` on a registry export, or let it send to `tlscheck listen`.".to_owned(),
                "Disable TLS 1.0 and 1.1 on both sides once no partner needs them.".to_owned(),
            ],
            fix: None,
        });
    }

    // TLS 1.2 only with ciphers modern clients do not offer.
    if let Some(p) = s.version(TlsVersion::Tls12) {
        if let VersionResult::Accepted(a) = &p.result {
            if a.legacy_cipher_only {
                acc.add(Finding {
                    id: "tls12-legacy-ciphers-only",
                    severity: Severity::Warning,
                    title: "TLS 1.2 works only with cipher suites modern clients no longer offer (no ECDHE with AES-GCM/ChaCha20)".to_owned(),
                    evidence: vec![format!("{who}: TLS 1.2 {}", crate::proto::tls::cipher_name(a.cipher))],
                    signatures: vec![sig::TLS_NEGOTIATION_SOCKET_ERROR],
                    fix_short: "enable ECDHE AES-GCM cipher suites",
                    // Office 365 lists no ECDSA suite for TLS 1.2 (purview
                    // "technical reference details about encryption").
                    remediation: vec!["Enable ECDHE_RSA with AES-GCM (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) and keep an RSA certificate: Office 365 lists no ECDSA suites for TLS 1.2; Windows: update and check the cipher suite order policy.".to_owned()],
                    fix: None,
                });
            }
        }
    }

    if modern && policy.require == TlsVersion::Tls13 && !accepted.contains(&TlsVersion::Tls13) {
        acc.add(Finding {
            id: "tls13-required",
            severity: Severity::Error,
            title: "TLS 1.3 is required by policy (--require-tls 1.3) but not accepted".to_owned(),
            evidence: vec![version_evidence(s)],
            signatures: Vec::new(),
            fix_short: "enable TLS 1.3",
            remediation: vec!["Enable TLS 1.3 on the server (Postfix with OpenSSL 1.1.1+ does by default; Exchange Server does not offer TLS 1.3 for SMTP).".to_owned()],
            fix: None,
        });
    } else if modern && refused(TlsVersion::Tls13) {
        acc.add(Finding {
            id: "no-tls13",
            severity: Severity::Info,
            title: "TLS 1.3 is not offered (TLS 1.2 is enough for Office 365)".to_owned(),
            evidence: vec![format!("{who}")],
            signatures: Vec::new(),
            fix_short: "nothing required",
            remediation: vec!["Nothing is required. Exchange Server does not support TLS 1.3 for SMTP; on Postfix it comes with OpenSSL 1.1.1 or newer.".to_owned()],
            fix: None,
        });
    }

    if refused(TlsVersion::Tls12)
        && s.version(TlsVersion::Tls13)
            .is_some_and(|p| p.result.is_accepted())
    {
        acc.add(Finding {
            id: "tls13-only",
            severity: Severity::Warning,
            title: "The server accepts TLS 1.3 but not TLS 1.2: senders without TLS 1.3 cannot use TLS with it".to_owned(),
            evidence: vec![version_evidence(s)],
            signatures: vec![sig::TLS_NEGOTIATION_SOCKET_ERROR],
            fix_short: "enable TLS 1.2 next to TLS 1.3",
            remediation: vec![
                "Exchange Server on Windows Server 2019 and older has no TLS 1.3, and Exchange does not use TLS 1.3 for SMTP: those senders fall back to plain text, or fail where TLS is required. Enable TLS 1.2 as well.".to_owned(),
            ],
            fix: None,
        });
    }
    if requires_tls && modern && refused(TlsVersion::Tls10) && refused(TlsVersion::Tls11) {
        acc.add(Finding {
            id: "requires-tls",
            severity: Severity::Info,
            title: "The server requires STARTTLS before mail: senders that can only do TLS 1.0/1.1 cannot deliver".to_owned(),
            evidence: vec![format!(
                "{who}: MAIL FROM:<> before STARTTLS answered \"{}\"",
                s.policy
                    .mail_from
                    .as_ref()
                    .map(|r| format!("{} {}", r.code, r.text()))
                    .unwrap_or_default()
            )],
            signatures: vec![sig::SOCKET_ERROR_421, sig::MUST_STARTTLS_451],
            fix_short: "nothing here; such senders must enable TLS 1.2",
            remediation: vec![
                "A sender limited to TLS 1.0/1.1 fails the handshake (SocketError), retries in plain text and gets 451 5.7.3 Must issue a STARTTLS command first. The fix is on the sender's side: TLS 1.2 in its SCHANNEL Client key (tlscheck schannel) — check it with tlscheck listen.".to_owned(),
            ],
            fix: None,
        });
    }
    if let Some(delay) = greeting_delay(s).filter(|d| *d >= SLOW_GREETING) {
        acc.add(Finding {
            id: "slow-greeting",
            severity: Severity::Info,
            title: format!("The server greets only after {} s", delay.as_secs()),
            evidence: vec![format!("{who}: 220 after {} ms", delay.as_millis())],
            signatures: Vec::new(),
            fix_short: "nothing required; check for a deliberate greeting delay",
            remediation: vec![
                "RFC 5321 §4.5.3.2.1 lets senders wait 5 minutes for the greeting (Postfix waits 300 s, smtp_helo_timeout), so this works with them; a sender or a monitoring check with a shorter limit gives up. A deliberate delay (greet pause, tarpit) is the usual cause.".to_owned(),
            ],
            fix: None,
        });
    }
    client_certificate(s, &who, acc);
    ehlo_refused(s, &who, acc);
    undecided(s, &who, policy, acc);

    if let Some(c) = &s.certificate {
        cert_findings(&who, c, policy, acc);
    }
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

/// EHLO refused for good: nothing about STARTTLS could be seen.
fn ehlo_refused(s: &ServerObservation, who: &str, acc: &mut Accumulator) {
    let Some(r) = s.versions.iter().find_map(|p| match &p.result {
        VersionResult::NotTested(NotTested::EhloRefused(r)) => Some(r),
        _ => None,
    }) else {
        return;
    };
    acc.add(Finding {
        id: "ehlo-refused",
        severity: Severity::Warning,
        title: "The server refused tlscheck's EHLO, so STARTTLS could not be checked".to_owned(),
        evidence: vec![format!("{who}: EHLO answered \"{} {}\"", r.code, r.text())],
        signatures: Vec::new(),
        fix_short: "run again with --ehlo set to a real host name",
        remediation: vec![
            "Servers that check the EHLO name (Postfix smtpd_helo_restrictions, for one) refuse tlscheck's default name, tlscheck.invalid; real senders use their own host name. Run again with --ehlo mail.yourdomain.example.".to_owned(),
        ],
        fix: None,
    });
}

/// From how long a greeting counts as slow enough to mention.
const SLOW_GREETING: std::time::Duration = std::time::Duration::from_secs(5);

/// The shortest wait for a greeting over the sessions (time from the
/// connection attempt to the first line received).
fn greeting_delay(s: &ServerObservation) -> Option<std::time::Duration> {
    std::iter::once(&s.policy.transcript)
        .chain(s.versions.iter().map(|p| &p.transcript))
        .filter_map(|t| {
            t.iter()
                .find(|e| e.direction == crate::model::Direction::Received)
                .map(|e| e.at)
        })
        .min()
}

/// A reply other than 220 to STARTTLS, by what it means: only 454 is the
/// server's own TLS set-up failing.
fn starttls_refused(who: &str, reply: &crate::proto::smtp::reply::Reply) -> Finding {
    let seen = format!(
        "{who}: STARTTLS answered \"{} {}\"",
        reply.code,
        reply.text()
    );
    let (title, fix_short, why, signatures) = match reply.code {
        454 => (
            "The server advertises STARTTLS but refuses it (454: TLS not available)",
            "fix the server's TLS certificate/key configuration",
            "A 454 reply to STARTTLS means the server cannot start TLS right now, almost always because it cannot load its certificate or private key: check the files, their permissions and the server's log.",
            vec![sig::TLS_NOT_AVAILABLE_454, sig::MUST_STARTTLS_451],
        ),
        421 => (
            "The server advertises STARTTLS but closes the session when asked for it (421)",
            "check the server's limits and log; run again later",
            "421 is the server shutting the session down (overload, a limit, a policy), not a TLS answer; run again later or with --per-server 1, and look at the server's log for why.",
            vec![sig::THROTTLED_421],
        ),
        code if code / 100 == 2 => (
            "The server advertises STARTTLS but answers it with a success code other than 220",
            "fix the SMTP service or the proxy in front of it",
            "RFC 3207 §4 requires 220 before the handshake; a 250 or 200 here comes from a broken implementation or an SMTP proxy that rewrites commands. Senders treat STARTTLS as failed.",
            vec![sig::MUST_STARTTLS_451],
        ),
        _ => (
            "The server advertises STARTTLS but refuses the command",
            "allow STARTTLS for this client, or stop advertising it",
            "A 5yz reply to an advertised STARTTLS means it is refused by policy or not really implemented (an SMTP proxy may advertise it for the server behind it); senders that require TLS queue and bounce.",
            vec![sig::MUST_STARTTLS_451],
        ),
    };
    Finding {
        // Only a 454 is the server's TLS set-up failing: the software fix
        // for the certificate and key is attached to that id alone.
        id: if reply.code == 454 {
            "starttls-refused"
        } else {
            "starttls-rejected"
        },
        severity: Severity::Error,
        title: title.to_owned(),
        evidence: vec![seen],
        signatures,
        fix_short,
        remediation: vec![why.to_owned()],
        fix: None,
    }
}

/// The STARTTLS step going wrong after EHLO: the server closes the
/// connection when STARTTLS is sent, and signs of a firewall's SMTP
/// inspection in the banner or EHLO.
fn starttls_step(s: &ServerObservation, who: &str, acc: &mut Accumulator) {
    let dropped: Vec<String> = s
        .versions
        .iter()
        .filter_map(|p| match &p.result {
            VersionResult::Dropped { stage, detail } if *stage == Stage::Starttls => {
                Some(format!("{who}: {}: {detail}", p.version))
            }
            _ => None,
        })
        .collect();
    if !dropped.is_empty() {
        acc.add(Finding {
            id: "starttls-dropped",
            severity: Severity::Error,
            title: "The server closes the connection when STARTTLS is sent, before any TLS".to_owned(),
            evidence: dropped,
            signatures: vec![sig::TLS_NEGOTIATION_SOCKET_ERROR, sig::CLOSED_ABRUPTLY_450],
            fix_short: "check the SMTP service and any SMTP proxy or firewall in front of it",
            remediation: vec![
                "The STARTTLS command itself ends the session: an SMTP proxy or firewall that does not allow TLS, or a service that fails when starting TLS. Compare with `openssl s_client -starttls smtp` from the same place.".to_owned(),
            ],
            fix: None,
        });
    }
    if let Some(sign) = smtp_inspection_sign(s) {
        acc.add(Finding {
            id: "smtp-inspection",
            severity: if s.starttls == StarttlsStatus::NotOffered {
                Severity::Error
            } else {
                Severity::Warning
            },
            title: "A firewall's SMTP inspection sits in front of the server (masked banner or EHLO keywords)".to_owned(),
            evidence: vec![format!("{who}: {sign}")],
            signatures: vec![sig::MUST_STARTTLS_451, sig::CLOSED_ABRUPTLY_450],
            fix_short: "allow STARTTLS in the firewall's ESMTP inspection, or turn it off for port 25",
            remediation: vec![
                "Cisco ASA/PIX \"ESMTP inspection\" masks the banner with asterisks and replaces EHLO keywords it does not allow with X's, which strips STARTTLS: senders then send in plain text, or fail with 451 5.7.3 where TLS is required. Allow STARTTLS in the ESMTP inspection policy map, or remove the inspection for port 25.".to_owned(),
            ],
            fix: None,
        });
    }
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

/// A server that asks for a client certificate and refuses the handshake
/// without one: tlscheck (like most senders) has none to give.
fn client_certificate(s: &ServerObservation, who: &str, acc: &mut Accumulator) {
    let evidence: Vec<String> = s
        .versions
        .iter()
        .filter_map(|p| match &p.result {
            VersionResult::Accepted(a) => a
                .limited_by
                .as_ref()
                .filter(|l| l.kind == LimitKind::ClientCertificate)
                .map(|l| format!("{who}: {}: {}", p.version, l.detail)),
            _ => None,
        })
        .collect();
    if evidence.is_empty() {
        return;
    }
    acc.add(Finding {
        id: "client-certificate-required",
        severity: Severity::Warning,
        title: "The server requires a client certificate: senders that present none cannot deliver over TLS".to_owned(),
        evidence,
        signatures: vec![sig::TLS_NEGOTIATION_SOCKET_ERROR],
        fix_short: "do not require client certificates on the public SMTP listener",
        remediation: vec![
            "RFC 3207 servers on port 25 must not require a client certificate from the public: make it optional (Postfix: smtpd_tls_req_ccert = no; Exchange: do not set RequireTLS with mutual auth on the Internet-facing Receive connector).".to_owned(),
        ],
        fix: None,
    });
}

/// What could not be decided, and what to try next. When the server has
/// no completed TLS 1.2+ session and nothing decided fails it, this is a
/// warning that makes the verdict INCONCLUSIVE; next to a working TLS
/// 1.2+ session it is a note.
fn undecided(s: &ServerObservation, who: &str, policy: &CheckPolicy, acc: &mut Accumulator) {
    let open: Vec<&crate::model::VersionProbe> = s
        .versions
        .iter()
        .filter(|p| {
            p.result.is_undecided()
                || matches!(&p.result, VersionResult::Accepted(a) if a.limited_by.is_some())
        })
        .collect();
    if open.is_empty() || s.error.is_some() {
        return;
    }
    let established = s.establishes_modern();
    let mut steps: Vec<String> = Vec::new();
    let mut step = |t: String| {
        if !steps.contains(&t) {
            steps.push(t);
        }
    };
    for p in &open {
        match &p.result {
            VersionResult::Timeout { stage } => step(format!(
                "Run again with a longer --timeout: the server did not finish the {stage} stage in time (slow link, tarpit or a server under load)."
            )),
            VersionResult::NotTested(NotTested::Throttled(r)) => step(format!(
                "Run again later or with --per-server 1: the server deferred tlscheck's connections ({} {}), even when retried one at a time.",
                r.code,
                r.text()
            )),
            VersionResult::NotTested(NotTested::StarttlsRefused(r)) => step(format!(
                "Run again with --per-server 1: the server answered STARTTLS with {} on some connections while it accepted it on others (a limit on connections at once, or servers of different configuration behind one address).",
                r.code
            )),
            VersionResult::NotTested(NotTested::EhloRefused(r)) => step(format!(
                "Run again with --ehlo set to a real host name of yours: the server refused EHLO ({} {}), and the name tlscheck sends by default, tlscheck.invalid, is refused by servers that check it.",
                r.code,
                r.text()
            )),
            VersionResult::NotTested(NotTested::Deadline { .. }) => step(
                "Run again with a longer --deadline (or none): the run stopped before these versions were decided.".to_owned(),
            ),
            VersionResult::NotTested(NotTested::Interrupted) => {
                step("Run again and let it finish: the run was interrupted.".to_owned())
            }
            VersionResult::NotTested(NotTested::EarlierStage { stage, .. }) => step(format!(
                "Run again: the session failed at {stage} before reaching TLS."
            )),
            VersionResult::Accepted(_) => step(format!(
                "Check with OpenSSL: `openssl s_client -starttls smtp -connect {} -{}`; tlscheck's TLS library could not finish what the server chose.",
                s.address,
                openssl_flag(p.version)
            )),
            _ => step(
                "Run with --transcript and compare with `openssl s_client -starttls smtp`: the answer could not be read as TLS (a firewall's SMTP inspection often causes this).".to_owned(),
            ),
        }
    }
    let nothing_accepted = !s.versions.iter().any(|p| p.result.is_accepted());
    // Only where TLS was reached: SNI is a handshake matter.
    let reached_tls = s.versions.iter().any(|p| {
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
    });
    if s.sni.is_none() && nothing_accepted && reached_tls {
        step("Probe by host name (tlscheck --host NAME): tlscheck sent no SNI because the target was an address, and some servers need it.".to_owned());
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
    let note_only = (established || legacy_cipher_only) && !policy_open;
    acc.add(Finding {
        id: if note_only {
            "versions-undecided"
        } else {
            "tls-inconclusive"
        },
        severity: if note_only {
            Severity::Info
        } else {
            Severity::Warning
        },
        title: if note_only {
            format!("Not decided: {} (the verdict does not rest on them)", list.join(", "))
        } else if policy_open {
            format!(
                "Whether {who} still accepts TLS 1.0/1.1 (--forbid-legacy) could not be decided: {}",
                list.join(", ")
            )
        } else {
            format!(
                "No TLS 1.2 or newer session was completed with {who}, and {} could not be decided",
                list.join(", ")
            )
        },
        evidence: open
            .iter()
            .map(|p| format!("{who}: {}: {}", p.version, p.result))
            .collect(),
        signatures: Vec::new(),
        fix_short: "run again as suggested; nothing is proven broken yet",
        remediation: steps,
        fix: None,
    });
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

/// The finding for a server that could not be checked at all: one id per
/// class, because "refused", "filtered", "closed", "silent" and "speaks
/// HTTP" each have another cause and another fix.
fn failure_finding(who: &str, s: &ServerObservation, err: &ProbeFailure) -> Finding {
    use crate::model::FailureKind;
    let seen = if err.message.starts_with(&format!("{}:", err.stage)) {
        format!("{who}: {}", err.message)
    } else {
        format!("{who}: {} failed: {}", err.stage, err.message)
    };
    let port = s.address.port();
    let f =
        |id, severity, title: String, signatures, fix_short, remediation: Vec<String>| Finding {
            id,
            severity,
            title,
            evidence: vec![seen.clone()],
            signatures,
            fix_short,
            remediation,
            fix: None,
        };
    match &err.kind {
        FailureKind::Refused => f(
            "connection-refused",
            Severity::Error,
            format!("Nothing accepts connections on port {port} of a mail server (connection refused)"),
            vec![sig::REFUSED_450],
            "start the SMTP service or fix the MX address",
            vec![format!("Check that the SMTP service is running and listening on {} and that no firewall rejects port {port}.", s.address)],
        ),
        FailureKind::Unreachable => f(
            "host-unreachable",
            Severity::Error,
            "A mail server's address is unreachable from here (no route)".to_owned(),
            Vec::new(),
            "check the address and the routing",
            vec!["The network tlscheck runs from has no route to this address: check the MX/A records and, for IPv6, whether this network has IPv6 (-4 probes IPv4 only).".to_owned()],
        ),
        FailureKind::ConnectTimeout => f(
            "connection-timed-out",
            Severity::Error,
            "A mail server did not answer the TCP connection".to_owned(),
            vec![sig::TIMED_OUT_450, sig::PORT_25_TIMEOUT],
            "open the SMTP port or fix the address",
            vec!["A silent drop usually means a firewall; if every server times out, the network tlscheck runs from may block outbound port 25.".to_owned()],
        ),
        FailureKind::ClosedBeforeGreeting => f(
            "closed-before-greeting",
            Severity::Error,
            "A mail server accepted the connection and closed it without a greeting".to_owned(),
            vec![sig::CLOSED_ABRUPTLY_450],
            "check the server's connection limits, filters and logs",
            vec![
                "The TCP connection worked; the server (or something in front of it) closed it before saying 220. Common causes: a connection or rate limit per client, an IP block list that drops instead of answering 554, a service that crashes on connect, or a firewall's SMTP inspection. tlscheck infers this from the close; the server's log says which.".to_owned(),
            ],
        ),
        FailureKind::NoGreeting { waited } => f(
            "no-greeting",
            Severity::Warning,
            format!(
                "A mail server accepted the connection but sent no greeting within {} s",
                waited.as_secs()
            ),
            Vec::new(),
            "run again with a longer --timeout; check for a tarpit or TLS on connect",
            vec![
                format!("tlscheck waited {} s for the 220 greeting (three times --timeout). RFC 5321 §4.5.3.2.1 lets senders wait 5 minutes, and Postfix waits 300 s by default (smtp_helo_timeout), so a slow greeting (a tarpit, a server under load) still gets mail from patient senders: run again with a longer --timeout to see the rest.", waited.as_secs()),
                format!("If port {port} speaks TLS on connect (SMTPS, waiting for a ClientHello), probe it as such: tlscheck -p 465 HOST, or HOST:465."),
            ],
        ),
        FailureKind::NotSmtp { speaks, first_bytes } => f(
            "not-smtp",
            Severity::Error,
            match speaks {
                &"unknown" => format!("Port {port} of a mail server answers with something that is not SMTP"),
                other => format!("Port {port} of a mail server answers {other}, not SMTP"),
            },
            Vec::new(),
            "point the MX at the mail server, or fix the port forwarding",
            vec![
                format!("The first bytes were \"{first_bytes}\". Senders expect \"220 …\" here; they log a protocol error and retry, then bounce. Check that the MX host's port {port} is forwarded to the SMTP service, not a web server, SSH or a TLS-on-connect port."),
            ],
        ),
        FailureKind::ReplyTooLong => f(
            "reply-too-long",
            Severity::Error,
            "A mail server's reply passes the SMTP length limits".to_owned(),
            Vec::new(),
            "shorten the greeting/banner",
            vec!["RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets; tlscheck reads up to 2048 per line and 128 lines. A longer greeting or EHLO reply is refused by strict senders.".to_owned()],
        ),
        FailureKind::Other => f(
            "server-unreachable",
            Severity::Error,
            "A mail server could not be checked".to_owned(),
            Vec::new(),
            "make the server reachable on its SMTP port",
            vec!["Check that the SMTP service is running and listening on this address and port, and that no firewall rejects the connection.".to_owned()],
        ),
    }
}

fn expires_soon(who: &str, c: &crate::model::CertSummary) -> Finding {
    Finding {
        id: "certificate-expires-soon",
        severity: Severity::Warning,
        title: format!("The certificate expires in {} day(s)", c.days_left),
        evidence: vec![format!("{who}: notAfter {}", c.not_after)],
        signatures: vec![sig::CERT_VALIDATION_450],
        fix_short: "renew the certificate",
        remediation: vec![
            "Renew the certificate and bind the new one to SMTP before it expires.".to_owned(),
        ],
        fix: None,
    }
}

fn cert_findings(
    who: &str,
    c: &crate::model::CertSummary,
    policy: &CheckPolicy,
    acc: &mut Accumulator,
) {
    // Which validating senders refuse which certificate: Exchange Online
    // connectors that validate certificates (450 4.7.320, Mail flow
    // intelligence) and MTA-STS (RFC 8461 §4.2: a publicly trusted
    // certificate naming the MX host) refuse all of these; DANE-EE (usage 3)
    // TLSA records need no public CA and no name match (RFC 7672 §3.1.1),
    // but Exchange Online still fails an expired certificate under DANE
    // (5.7.322, "How SMTP DANE works").
    let validated_connectors = match &c.verdict {
        CertVerdict::SelfSigned | CertVerdict::UntrustedIssuer | CertVerdict::NameMismatch { .. } => "Opportunistic TLS still works (senders encrypt anyway), but Office 365 connectors that validate certificates (450 4.7.320) and MTA-STS senders need a publicly trusted certificate that names the MX host. Under DANE a DANE-EE (usage 3) TLSA record pins the certificate itself, so a self-signed or private-CA certificate is fine there (RFC 7672 §3.1.1).",
        CertVerdict::Expired => "Opportunistic TLS still works (senders encrypt anyway), but Office 365 connectors that validate certificates (450 4.7.320) and MTA-STS senders refuse an expired certificate, and Exchange Online refuses it under DANE too (5.7.322 certificate-expired).",
        _ => "Opportunistic TLS still works (senders encrypt anyway), but Office 365 connectors that validate certificates (450 4.7.320) and MTA-STS senders refuse it.",
    };
    let expiring = c.days_left >= 0 && c.days_left < policy.cert_warn_days;
    if expiring
        && !matches!(
            c.verdict,
            CertVerdict::Trusted | CertVerdict::TrustedNameNotChecked
        )
    {
        acc.add(expires_soon(who, c));
    }
    let (id, title, fix) = match &c.verdict {
        CertVerdict::Trusted | CertVerdict::TrustedNameNotChecked => {
            if expiring {
                acc.add(expires_soon(who, c));
            }
            return;
        }
        CertVerdict::Expired => (
            "certificate-expired",
            format!(
                "The certificate expired on {} ({})",
                c.not_after.get(..10).unwrap_or(&c.not_after),
                match -c.days_left {
                    d if d <= 0 => "today".to_owned(),
                    1 => "1 day ago".to_owned(),
                    d => format!("{d} days ago"),
                }
            ),
            "renew the certificate",
        ),
        CertVerdict::NotYetValid => (
            "certificate-not-yet-valid",
            "The certificate is not valid yet (check the server's clock)".to_owned(),
            "fix the clock or the certificate",
        ),
        CertVerdict::NameMismatch { expected } => (
            "certificate-name-mismatch",
            format!("The certificate does not cover {expected}"),
            "use a certificate that names the MX host",
        ),
        CertVerdict::SelfSigned => (
            "certificate-self-signed",
            "The certificate is self-signed".to_owned(),
            "use a certificate from a public CA",
        ),
        CertVerdict::UntrustedIssuer => (
            "certificate-untrusted",
            "The certificate does not chain to a trusted root (missing intermediate or private CA)"
                .to_owned(),
            "send the full chain / use a public CA",
        ),
        CertVerdict::Invalid(why) => (
            "certificate-invalid",
            format!("The certificate could not be verified: {why}"),
            "replace the certificate",
        ),
    };
    acc.add(Finding {
        id,
        severity: Severity::Warning,
        title,
        evidence: vec![format!(
            "{who}: subject {}, issuer {}, names [{}]",
            c.subject,
            c.issuer,
            c.sans.join(", ")
        )],
        signatures: vec![sig::CERT_VALIDATION_450, sig::CERT_VALIDATION_454],
        fix_short: fix,
        remediation: vec![validated_connectors.to_owned()],
        fix: None,
    });
}

#[cfg(test)]
mod tests;
