//! Diagnosis: what the observations and the errors an admin pastes mean,
//! and what to change. Everything here is pure data and pure functions: no
//! IO, no printing, no clocks. Renderers in `report` turn the values into
//! text, Markdown or JSON.
//!
//! - [`catalogue`]: the documented failure signatures (`421 4.4.2 …
//!   SocketError`, `451 5.7.3 …`, the Exchange Online `4.4.31x` family, …)
//!   as one static table.
//! - [`explain`]: finds catalogue entries in pasted text (an NDR, a queue
//!   line, a protocol log).
//! - [`remediation`]: paste-able fixes per server software.
//! - [`findings`] and [`verdict`]: from observations to findings, a
//!   verdict and the summary line. Finding ids are a type,
//!   [`findings::FindingId`], backed by one table
//!   ([`findings::FINDINGS`]: severity, title, short fix, sort group,
//!   remediation); the checks of a server are small functions run from a
//!   list (`findings/checks.rs`).
//! - [`dns`] and [`policy`]: findings from DNS, and from DNSSEC, DANE,
//!   MTA-STS and TLS-RPT.
//! - [`profiles`]: cipher suites against documented senders' hellos.
//! - [`sender`]: the verdict on a sending server seen by `tlscheck listen`.
//! - [`schannel`]: the audit of a registry export; its ids are
//!   [`schannel::AuditId`], written with the same [`id_table`] mechanism.

pub mod catalogue;
pub mod dns;
pub mod explain;
pub mod findings;
pub mod id_table;
pub mod policy;
pub mod profiles;
pub mod remediation;
pub mod schannel;
pub mod sender;
pub mod verdict;

#[cfg(test)]
mod testing;

use crate::model::outcome::DnsSection;
use crate::model::ServerObservation;
use findings::{CheckPolicy, Finding};
use verdict::Verdict;

/// Everything the diagnosis says about one target.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// Findings from the servers and DNS, worst first.
    pub findings: Vec<Finding>,
    /// The target's verdict.
    pub verdict: Verdict,
    /// Each server's verdict, in the order of the servers given.
    pub server_verdicts: Vec<Verdict>,
    /// The ids of the findings each server gives on its own, in the order
    /// of the servers given (JSON links findings to servers with them).
    pub server_findings: Vec<Vec<findings::FindingId>>,
    /// The one line a helpdesk reads aloud.
    pub summary: String,
    /// The judged DNSSEC/DANE/MTA-STS/TLS-RPT section, when looked up.
    pub policy: Option<policy::PolicyReport>,
}

/// The one entry into the diagnosis of a target: the check run and the
/// renderer snapshots both call it, so they cannot drift apart.
pub fn target(
    input: &str,
    dns: Option<&DnsSection>,
    servers: &[ServerObservation],
    policy: &CheckPolicy,
    mail_policy: Option<&crate::model::policy::PolicyObservation>,
) -> Diagnosis {
    let mut found = findings::server_findings(servers, policy);
    found.extend(profiles::findings(servers));
    let judged = mail_policy.map(|o| self::policy::judge(o, servers));
    if let Some(p) = &judged {
        found.extend(p.findings.iter().cloned());
    }
    findings::sort(&mut found);
    let mut null_mx = false;
    if let Some(section) = dns {
        let (dns_findings, is_null) = dns::findings(section);
        null_mx = is_null;
        found.extend(dns_findings);
        findings::sort(&mut found);
    }
    let verdict = verdict::target_verdict(&found, servers, null_mx);
    let (server_verdicts, server_findings) = servers
        .iter()
        .map(|s| {
            let one = std::slice::from_ref(s);
            let mut own = findings::server_findings(one, policy);
            own.extend(profiles::findings(one));
            let ids = own.iter().map(|f| f.id).collect::<Vec<_>>();
            (verdict::server_verdict(&own, s), ids)
        })
        .unzip();
    Diagnosis {
        summary: profiles::with_office365(
            verdict::summary_line_for(
                input,
                verdict,
                &found,
                !servers.is_empty()
                    && servers
                        .iter()
                        .all(|s| s.starttls == crate::model::StarttlsStatus::Implicit),
            ),
            servers,
        ),
        findings: found,
        verdict,
        server_verdicts,
        server_findings,
        policy: judged,
    }
}
