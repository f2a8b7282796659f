//! What a run produced, ready to render: observations per target with their
//! findings and verdict. Plain data, built by the check pipeline, read by
//! the renderers.

use crate::diagnose::findings::{Finding, FindingId};
use crate::diagnose::verdict::Verdict;
use crate::model::outcome::{DnsSection, Origin, TargetMode};
use crate::model::ServerObservation;

/// The result for one target.
#[derive(Debug, Clone)]
pub struct TargetReport {
    /// The target as the user typed it.
    pub input: String,
    /// How it was interpreted.
    pub mode: TargetMode,
    /// The servers probed, in preference, exchange, address order.
    pub servers: Vec<ServerObservation>,
    /// What DNS said (names only).
    pub dns: Option<DnsSection>,
    /// Findings, worst first.
    pub findings: Vec<Finding>,
    /// The verdict.
    pub verdict: Verdict,
    /// The verdict of each server, in the order of `servers`.
    pub server_verdicts: Vec<Verdict>,
    /// The finding ids each server gives on its own, in the order of
    /// `servers`.
    pub server_findings: Vec<Vec<FindingId>>,
    /// True when Ctrl-C or `--deadline` cut any of its sessions.
    pub interrupted: bool,
    /// The one-line summary.
    pub summary: String,
    /// DNSSEC, DANE, MTA-STS and TLS-RPT, judged (mail domains only;
    /// `None` with `--no-policy` or when the lookups were cut short).
    pub policy: Option<crate::diagnose::policy::PolicyReport>,
}

/// Everything one run produced.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// tlscheck's version.
    pub tool_version: &'static str,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// End, RFC 3339 UTC.
    pub finished_at: String,
    /// True when the deadline passed or the user pressed Ctrl-C.
    pub interrupted: bool,
    /// How the process ends.
    pub exit: crate::exit::ExitStatus,
    /// One entry per target, in command-line order.
    pub targets: Vec<TargetReport>,
    /// Lines of the target list that are not targets (exit 2).
    pub invalid: Vec<crate::proto::target::InvalidLine>,
    /// Where the check ran from and the options that change what it sees
    /// (tickets print them; filled in by the front end).
    pub origin: Origin,
}
