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
    CertVerdict, NotTested, Rejection, ServerObservation, StarttlsStatus, TlsVersion, VersionResult,
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
            if matches!(f.id, "server-unreachable" | "connection-timed-out") {
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
    match r {
        VersionResult::Accepted(a) => format!("accepted ({})", crate::tls::cipher_name(a.cipher)),
        VersionResult::Rejected(Rejection::Alert(d)) => {
            format!("rejected (alert {})", crate::tls::alert_name(*d))
        }
        VersionResult::Rejected(Rejection::OtherVersion { answered, .. }) => format!(
            "rejected (answered with {})",
            crate::model::wire_version_name(*answered)
        ),
        VersionResult::Rejected(Rejection::Handshake(d)) => format!("rejected ({d})"),
        VersionResult::Dropped { stage, detail } => format!("dropped at {stage} ({detail})"),
        VersionResult::Timeout { stage } => format!("timed out at {stage}"),
        VersionResult::NotTested(n) => format!("not tested ({})", n.label().replace('_', " ")),
        VersionResult::Unknown { stage, detail } => format!("unknown at {stage}: {detail}"),
    }
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
        "legacy-tls-only" | "no-tls-version-accepted" | "tls12-legacy-ciphers-only" => {
            remediation::enable_tls12
        }
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
        acc.add(f);
    }
}

fn server_checks(s: &ServerObservation, policy: &CheckPolicy, acc: &mut Accumulator) {
    let who = server_label(s);
    if let Some(err) = &s.error {
        if !(err.timed_out && err.stage == crate::model::Stage::Connect) {
            acc.add(Finding {
                id: "server-unreachable",
                severity: Severity::Error,
                title: "A mail server could not be reached".to_owned(),
                // Probe messages usually name their stage already
                // ("connect: connection refused"); say it once.
                evidence: vec![if err.message.starts_with(&format!("{}:", err.stage)) {
                    format!("{who}: {}", err.message)
                } else {
                    format!("{who}: {} failed: {}", err.stage, err.message)
                }],
                signatures: if err.stage == crate::model::Stage::Connect {
                    vec![sig::REFUSED_450]
                } else {
                    Vec::new()
                },
                fix_short: "make the server reachable on its SMTP port",
                remediation: vec![
                    "Check that the SMTP service is running and listening on this address and port, and that no firewall rejects the connection.".to_owned(),
                ],
                fix: None,
            });
        } else {
            acc.add(Finding {
                id: "connection-timed-out",
                severity: Severity::Error,
                title: "A mail server did not answer the TCP connection".to_owned(),
                evidence: vec![format!("{who}: {}", err.message)],
                signatures: vec![sig::TIMED_OUT_450, sig::PORT_25_TIMEOUT],
                fix_short: "open the SMTP port or fix the address",
                remediation: vec![
                    "A silent drop usually means a firewall; if every server times out, the network tlscheck runs from may block outbound port 25.".to_owned(),
                ],
                fix: None,
            });
        }
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
            acc.add(Finding {
                id: "starttls-refused",
                severity: Severity::Error,
                title: "The server advertises STARTTLS but refuses it".to_owned(),
                evidence: vec![format!("{who}: STARTTLS answered \"{} {}\"", reply.code, reply.text())],
                signatures: vec![sig::TLS_NOT_AVAILABLE_454, sig::MUST_STARTTLS_451],
                fix_short: "fix the server's TLS certificate/key configuration",
                remediation: vec![
                    "A 454 reply to STARTTLS almost always means the server cannot load its certificate or private key: check the files, their permissions and the server's log.".to_owned(),
                ],
                fix: None,
            });
            return;
        }
        StarttlsStatus::Offered | StarttlsStatus::Unknown | StarttlsStatus::Implicit => {}
    }

    let tested: Vec<&crate::model::VersionProbe> = s
        .versions
        .iter()
        .filter(|p| !matches!(p.result, VersionResult::NotTested(_)))
        .collect();

    if accepted.is_empty() && !tested.is_empty() {
        let all_dropped = tested
            .iter()
            .all(|p| matches!(p.result, VersionResult::Dropped { .. }));
        acc.add(Finding {
            id: "no-tls-version-accepted",
            severity: Severity::Error,
            title: if all_dropped {
                "STARTTLS is offered but the server drops every TLS handshake (the SocketError pattern)".to_owned()
            } else {
                "STARTTLS is offered but no TLS version could be negotiated".to_owned()
            },
            evidence: vec![version_evidence(s)],
            signatures: vec![
                sig::SOCKET_ERROR_421,
                sig::TLS_NEGOTIATION_SOCKET_ERROR,
                sig::CLOSED_ABRUPTLY_450,
            ],
            fix_short: "enable TLS 1.2 on the server and restart it",
            remediation: vec![
                "Enable TLS 1.2 for the server side (Windows: SCHANNEL\\Protocols\\TLS 1.2\\Server Enabled=1, DisabledByDefault=0) and restart.".to_owned(),
                "Check that the certificate bound to SMTP has a private key the service can read.".to_owned(),
            ],
            fix: None,
        });
    } else if legacy && !modern {
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
    } else if legacy && modern {
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
                    evidence: vec![format!("{who}: TLS 1.2 {}", crate::tls::cipher_name(a.cipher))],
                    signatures: vec![sig::TLS_NEGOTIATION_SOCKET_ERROR],
                    fix_short: "enable ECDHE AES-GCM cipher suites",
                    remediation: vec!["Enable the TLS_ECDHE_RSA_WITH_AES_*_GCM_* (or ECDSA) suites; Windows: update and check the cipher suite order policy.".to_owned()],
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
    } else if modern && !accepted.contains(&TlsVersion::Tls13) {
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

    for p in &s.versions {
        if let VersionResult::Unknown { stage, detail } = &p.result {
            acc.add(Finding {
                id: "protocol-violation",
                severity: Severity::Warning,
                title: "The server answered a TLS handshake with something tlscheck cannot interpret".to_owned(),
                evidence: vec![format!("{who}: {} at {stage}: {detail}", p.version)],
                signatures: vec![sig::TLS_NEGOTIATION_SOCKET_ERROR],
                fix_short: "look at the transcript (--transcript)",
                remediation: vec!["Run with --transcript and compare with `openssl s_client -starttls smtp`; a middlebox (firewall SMTP inspection) often causes this.".to_owned()],
                fix: None,
            });
        }
    }

    if let Some(c) = &s.certificate {
        cert_findings(&who, c, policy, acc);
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
    let validated_connectors = "Opportunistic TLS still works (senders encrypt anyway), but connectors that validate certificates (Office 365 partner connectors, MTA-STS, DANE) refuse it.";
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
            format!("The certificate expired {} days ago", -c.days_left),
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
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{Accepted, CertSummary, Policy, ProbeFailure, Stage, VersionProbe};
    use crate::smtp::reply::Reply;
    use rustls::{AlertDescription, CipherSuite};

    fn reply(code: u16, text: &str) -> Reply {
        Reply {
            code,
            lines: vec![text.to_owned()],
        }
    }

    fn probe(version: TlsVersion, result: VersionResult) -> VersionProbe {
        VersionProbe {
            version,
            result,
            elapsed: Duration::from_millis(5),
            transcript: Vec::new(),
            chain: Vec::new(),
            post_tls_ehlo: None,
        }
    }

    fn accepted() -> VersionResult {
        VersionResult::Accepted(Accepted {
            cipher: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            group: None,
            full_handshake: true,
            legacy_cipher_only: false,
        })
    }

    fn alert() -> VersionResult {
        VersionResult::Rejected(Rejection::Alert(AlertDescription::ProtocolVersion))
    }

    /// A server that accepts exactly `versions`, STARTTLS offered.
    fn server(versions: &[TlsVersion]) -> ServerObservation {
        ServerObservation {
            host: Some("mx.example.test".to_owned()),
            address: "127.0.0.1:25".parse().unwrap(),
            preference: None,
            banner: Some(reply(220, "mx.example.test ESMTP")),
            ehlo: None,
            starttls: StarttlsStatus::Offered,
            policy: Policy {
                mail_from: Some(reply(250, "2.1.0 Ok")),
                requires_tls: Some(false),
                error: None,
                transcript: Vec::new(),
            },
            versions: TlsVersion::ALL
                .iter()
                .map(|v| {
                    probe(
                        *v,
                        if versions.contains(v) {
                            accepted()
                        } else {
                            alert()
                        },
                    )
                })
                .collect(),
            certificate: None,
            error: None,
            elapsed: Duration::from_millis(20),
            suites: Default::default(),
        }
    }

    fn all_versions(s: &mut ServerObservation, r: VersionResult) {
        for p in &mut s.versions {
            p.result = r.clone();
        }
    }

    fn ids(servers: &[ServerObservation], policy: &CheckPolicy) -> Vec<(&'static str, Severity)> {
        server_findings(servers, policy)
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect()
    }

    fn cert(verdict: CertVerdict, days_left: i64) -> CertSummary {
        CertSummary {
            subject: "CN=mx.example.test".to_owned(),
            sans: vec!["mx.example.test".to_owned()],
            issuer: "CN=Test CA".to_owned(),
            not_before: "2026-01-01T00:00:00Z".to_owned(),
            not_after: "2027-01-01T00:00:00Z".to_owned(),
            days_left,
            key_type: "RSA".to_owned(),
            key_bits: Some(2048),
            signature_algorithm: "sha256WithRSAEncryption".to_owned(),
            chain_len: 2,
            verdict,
            from_version: TlsVersion::Tls12,
        }
    }

    use TlsVersion::{Tls10, Tls11, Tls12, Tls13};

    #[test]
    fn findings_table() {
        let p = CheckPolicy::default();
        type Case = (
            &'static str,
            ServerObservation,
            CheckPolicy,
            Vec<(&'static str, Severity)>,
        );
        let cases: Vec<Case> = vec![
            ("modern only", server(&[Tls12, Tls13]), p, vec![]),
            (
                "1.2 only",
                server(&[Tls12]),
                p,
                vec![("no-tls13", Severity::Info)],
            ),
            (
                "legacy only",
                server(&[Tls10, Tls11]),
                p,
                vec![("legacy-tls-only", Severity::Error)],
            ),
            (
                "legacy next to modern",
                server(&[Tls10, Tls11, Tls12, Tls13]),
                p,
                vec![("legacy-tls-enabled", Severity::Warning)],
            ),
            (
                "legacy next to modern, --forbid-legacy",
                server(&[Tls10, Tls12, Tls13]),
                CheckPolicy {
                    forbid_legacy: true,
                    ..p
                },
                vec![("legacy-tls-enabled", Severity::Error)],
            ),
            (
                "1.2 only, --require-tls 1.3",
                server(&[Tls12]),
                CheckPolicy {
                    require: Tls13,
                    ..p
                },
                vec![("tls13-required", Severity::Error)],
            ),
            (
                "no STARTTLS",
                {
                    let mut s = server(&[]);
                    s.starttls = StarttlsStatus::NotOffered;
                    all_versions(&mut s, VersionResult::NotTested(NotTested::NoStarttls));
                    s
                },
                p,
                vec![("no-starttls", Severity::Error)],
            ),
            (
                "STARTTLS refused 454",
                {
                    let mut s = server(&[]);
                    let r = reply(454, "4.7.0 TLS not available due to local problem");
                    s.starttls = StarttlsStatus::Refused(r.clone());
                    all_versions(
                        &mut s,
                        VersionResult::NotTested(NotTested::StarttlsRefused(r)),
                    );
                    s
                },
                p,
                vec![("starttls-refused", Severity::Error)],
            ),
            (
                "every handshake dropped",
                {
                    let mut s = server(&[]);
                    all_versions(
                        &mut s,
                        VersionResult::Dropped {
                            stage: Stage::Handshake,
                            detail: "closed".to_owned(),
                        },
                    );
                    s
                },
                p,
                vec![("no-tls-version-accepted", Severity::Error)],
            ),
            (
                "greeting 554",
                {
                    let mut s = server(&[]);
                    let r = reply(554, "5.7.1 go away");
                    s.banner = Some(r.clone());
                    all_versions(
                        &mut s,
                        VersionResult::NotTested(NotTested::GreetingRejected(r)),
                    );
                    s
                },
                p,
                vec![("greeting-rejected", Severity::Error)],
            ),
            (
                "expired certificate",
                {
                    let mut s = server(&[Tls12, Tls13]);
                    s.certificate = Some(cert(CertVerdict::Expired, -3));
                    s
                },
                p,
                vec![("certificate-expired", Severity::Warning)],
            ),
            (
                "certificate about to expire",
                {
                    let mut s = server(&[Tls12, Tls13]);
                    s.certificate = Some(cert(CertVerdict::Trusted, 5));
                    s
                },
                p,
                vec![("certificate-expires-soon", Severity::Warning)],
            ),
            (
                "self-signed",
                {
                    let mut s = server(&[Tls12, Tls13]);
                    s.certificate = Some(cert(CertVerdict::SelfSigned, 300));
                    s
                },
                p,
                vec![("certificate-self-signed", Severity::Warning)],
            ),
            (
                "TLS 1.2 with legacy ciphers only",
                {
                    let mut s = server(&[Tls12, Tls13]);
                    s.versions[2].result = VersionResult::Accepted(Accepted {
                        cipher: CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
                        group: None,
                        full_handshake: false,
                        legacy_cipher_only: true,
                    });
                    s
                },
                p,
                vec![("tls12-legacy-ciphers-only", Severity::Warning)],
            ),
        ];
        for (name, s, policy, want) in cases {
            assert_eq!(ids(&[s], &policy), want, "{name}");
        }
    }

    #[test]
    fn legacy_only_server_that_requires_tls_predicts_451_5_7_3() {
        let mut s = server(&[Tls10]);
        s.policy.requires_tls = Some(true);
        let f = server_findings(&[s], &CheckPolicy::default());
        assert!(f[0].signatures.contains(&sig::MUST_STARTTLS_451));
        assert!(f[0].signatures.contains(&sig::SOCKET_ERROR_421));
    }

    fn timed_out(port: u16) -> ServerObservation {
        let mut s = server(&[]);
        s.address.set_port(port);
        s.banner = None;
        s.error = Some(ProbeFailure {
            stage: Stage::Connect,
            message: "connect: no answer within 10s".to_owned(),
            timed_out: true,
        });
        all_versions(
            &mut s,
            VersionResult::NotTested(NotTested::EarlierStage {
                stage: Stage::Connect,
                error: "timeout".to_owned(),
            }),
        );
        s
    }

    #[test]
    fn every_server_timing_out_on_port_25_points_at_a_blocked_port() {
        let f = server_findings(&[timed_out(25), timed_out(25)], &CheckPolicy::default());
        assert_eq!(f[0].id, "all-connections-timed-out");
        assert!(f[0].title.contains("port 25"));
    }

    #[test]
    fn a_backup_mx_that_is_down_is_only_a_warning() {
        let mut good = server(&[Tls12, Tls13]);
        good.preference = Some(10);
        let mut down = timed_out(25);
        down.preference = Some(20);
        assert_eq!(
            ids(&[good, down], &CheckPolicy::default()),
            vec![("connection-timed-out", Severity::Warning)]
        );
    }

    #[test]
    fn findings_of_several_servers_are_merged_with_all_evidence() {
        let a = server(&[Tls10]);
        let mut b = server(&[Tls10]);
        b.address = "127.0.0.2:25".parse().unwrap();
        let f = server_findings(&[a, b], &CheckPolicy::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.len(), 2);
    }

    #[test]
    fn every_signature_a_finding_names_is_in_the_catalogue() {
        for id in [
            sig::SOCKET_ERROR_421,
            sig::TLS_NEGOTIATION_SOCKET_ERROR,
            sig::MUST_STARTTLS_451,
            sig::MUST_STARTTLS_530,
            sig::TLS_NOT_AVAILABLE_454,
            sig::STARTTLS_REFUSED_454,
            sig::CERT_VALIDATION_450,
            sig::CERT_VALIDATION_454,
            sig::CLOSED_ABRUPTLY_450,
            sig::TIMED_OUT_450,
            sig::REFUSED_450,
            sig::PORT_25_TIMEOUT,
            sig::THROTTLED_421,
            sig::DNS_FAILED_450,
            sig::DNS_FAILED_451,
            sig::TLS_REQUIRED_NOT_OFFERED,
        ] {
            assert!(crate::diagnose::catalogue::by_id(id).is_some(), "{id}");
        }
    }
}
