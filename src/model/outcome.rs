//! How a target was read and what DNS said about it: plain data, filled in
//! by the check pipeline, read by `diagnose` and `report`.

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
    Mail(crate::model::dns::MailRouting),
    /// Addresses of a host.
    Host(crate::model::dns::HostAddresses),
}
