//! From observations to findings: a pure function, no IO, no printing.
//!
//! Each finding has a stable kebab-case id, a severity, a one-line title,
//! the evidence (which server, which version, which reply), the catalogue
//! signatures it predicts on the peers' side, and what to change. Findings
//! of the same id across several servers of one target are merged, so a
//! domain with three MX gives one "legacy only" finding listing three
//! servers rather than three copies.
//!
//! - [`id`]: every finding id, with its default severity, title, short
//!   fix, sort group and remediation, as one table.
//! - `checks`: the checks of one server, small functions run from a list
//!   (`failure`, `undecided` and `certificate` hold the longer ones).

use std::collections::BTreeMap;

use crate::diagnose::remediation::{self, Remediation, ServerSoftware};
use crate::model::{ServerObservation, TlsVersion, VersionResult};

mod certificate;
mod checks;
mod failure;
pub mod id;
mod undecided;

pub use id::{FindingId, FindingInfo, Group, FINDINGS};

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
    /// Stable id; `id.as_str()` is the kebab-case string (`legacy-tls-only`).
    pub id: FindingId,
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
    /// A finding with the table's severity, title and short fix for `id`,
    /// and no evidence, signatures, steps or software-specific fix yet.
    pub fn of(id: FindingId) -> Finding {
        let info = id.info();
        Finding {
            id,
            severity: info.severity,
            title: info.title.to_owned(),
            evidence: Vec::new(),
            signatures: Vec::new(),
            fix_short: info.fix_short,
            remediation: Vec::new(),
            fix: None,
        }
    }

    /// The same, with this severity instead of the table's.
    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    /// The same, with a title that says more than the table's.
    pub fn with_title(mut self, title: impl Into<String>) -> Finding {
        self.title = title.into();
        self
    }

    /// The same, with this evidence.
    pub fn with_evidence(mut self, evidence: Vec<String>) -> Finding {
        self.evidence = evidence;
        self
    }

    /// The same, with these catalogue signatures.
    pub fn with_signatures(mut self, signatures: Vec<&'static str>) -> Finding {
        self.signatures = signatures;
        self
    }

    /// The same, with a short fix other than the table's.
    pub fn with_fix_short(mut self, fix_short: &'static str) -> Finding {
        self.fix_short = fix_short;
        self
    }

    /// The same, with these steps.
    pub fn with_remediation(mut self, remediation: Vec<String>) -> Finding {
        self.remediation = remediation;
        self
    }

    /// The same, with this software-specific fix.
    pub fn with_fix(mut self, fix: Option<Fix>) -> Finding {
        self.fix = fix;
        self
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
    if let Some(f) = failure::all_timed_out(servers) {
        acc.add(f);
    }
    let mut findings = acc.finish();
    // A backup MX that is down does not stop mail while another server
    // works: senders move on to the next exchange.
    if servers.iter().any(ServerObservation::was_tested) {
        for f in &mut findings {
            if failure::UNREACHABLE.contains(&f.id) {
                f.severity = Severity::Warning;
            }
        }
        sort(&mut findings);
    }
    findings
}

/// Orders findings worst first; among equals, by the rank of the id's
/// [`Group`] (what decides whether mail reaches the server over TLS, then
/// certificates, then DNS); then by id, so the order is stable.
pub fn sort(findings: &mut [Finding]) {
    let rank = |f: &Finding| f.id.info().group.rank();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(rank(a).cmp(&rank(b)))
            .then(a.id.as_str().cmp(b.id.as_str()))
    });
}

/// Collects findings, merging those with the same id.
#[derive(Default)]
pub struct Accumulator {
    by_id: BTreeMap<FindingId, Finding>,
}

impl Accumulator {
    /// Adds a finding, merging evidence into an earlier one of the same id.
    pub fn add(&mut self, f: Finding) {
        match self.by_id.get_mut(&f.id) {
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

/// The software-specific fix for a finding id, where the table has one.
fn fix_for(id: FindingId, software: ServerSoftware) -> Option<Fix> {
    id.info().remediation.map(|make| Fix {
        software,
        remediation: make(software),
    })
}

fn per_server(s: &ServerObservation, policy: &CheckPolicy, acc: &mut Accumulator) {
    let mut mine = Accumulator::default();
    for f in checks::run(s, policy) {
        mine.add(f);
    }
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

#[cfg(test)]
mod tests;
