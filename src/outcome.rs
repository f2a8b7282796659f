//! What a run produced, ready to render: observations per target with
//! their findings and verdict. Plain data, built by `run`, read by
//! `report`.

use crate::diagnose::findings::Finding;
use crate::diagnose::verdict::Verdict;
use crate::model::ServerObservation;

/// How a target was interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetMode {
    /// A mail domain: MX records (or implicit MX).
    Domain,
    /// A host name probed as is (`--host`).
    Host,
    /// An IP address literal.
    Address,
}

impl TargetMode {
    /// JSON name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::Host => "host",
            Self::Address => "address",
        }
    }
}

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
    pub server_findings: Vec<Vec<&'static str>>,
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
    pub invalid: Vec<crate::config::InvalidLine>,
    /// Where the check ran from and the options that change what it sees
    /// (tickets print them; filled in by the front end).
    pub origin: Origin,
}

/// Where a run was made from: a ticket needs it, since the inside and the
/// outside of a network see different servers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// This machine's host name.
    pub hostname: Option<String>,
    /// The source address the system uses towards each address family's
    /// first server: (peer, source).
    pub sources: Vec<(std::net::IpAddr, std::net::IpAddr)>,
    /// The options given that change results (`--ca-file PATH`,
    /// `--resolver IP`, `--host`, `-4`, …), as typed.
    pub options: Vec<String>,
}

/// What DNS said about a name target.
#[derive(Debug, Clone)]
pub struct DnsSection {
    /// The name asked about.
    pub query: String,
    /// Which resolver answered (part of every report).
    pub resolver: String,
    /// The answer.
    pub answer: DnsAnswer,
}

/// A DNS answer: mail routing for a domain, or addresses for `--host`.
#[derive(Debug, Clone)]
pub enum DnsAnswer {
    /// MX-based routing (RFC 5321 §5.1).
    Mail(crate::dns::MailRouting),
    /// Addresses of a host.
    Host(crate::dns::HostAddresses),
}
