//! What DNS said: where mail for a domain goes (RFC 5321 §5.1, RFC 7505),
//! which addresses a host has, and why a lookup failed. Plain data that
//! `net::dns` fills in; a DNS failure is an outcome here, not an `Err`.

use std::fmt;
use std::net::IpAddr;

/// How many MX exchanges are resolved at most. An MX RRset is controlled by
/// the domain's owner; past this many, exchanges are listed but not
/// resolved (each carries [`DnsWarning::NotResolved`]).
pub const MAX_EXCHANGES: usize = 32;

/// Where hickory takes the system's resolvers from, for reports and errors.
#[cfg(not(windows))]
pub const SYSTEM_SOURCE: &str = "/etc/resolv.conf";
/// Where hickory takes the system's resolvers from, for reports and errors.
/// On Windows its system configuration lists the DNS servers of every
/// network adapter whose status is up (GetAdaptersAddresses, through the
/// `ipconfig` crate); there is no resolv.conf.
#[cfg(windows)]
pub const SYSTEM_SOURCE: &str = "DNS servers of the network adapters that are up";

/// Why a lookup (or setting up the resolver) failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The server answered SERVFAIL.
    #[error(
        "the DNS server answered SERVFAIL: it could not get an answer (a broken \
         delegation, a DNSSEC failure or unreachable authoritative servers)"
    )]
    ServFail,
    /// The server answered REFUSED.
    #[error("the DNS server refused the query (REFUSED): it does not answer this question for this client")]
    Refused,
    /// No answer within `timeout × attempts`.
    #[error("no answer from the DNS server in time")]
    Timeout,
    /// The server could not be reached (TCP refused, no usable connection).
    #[error("could not reach the DNS server: {0}")]
    NoConnection(String),
    /// Anything else the resolver reported (another rcode, a malformed
    /// answer, a name it cannot send).
    #[error("DNS lookup failed: {0}")]
    Other(String),
    /// The system configuration could not be used.
    #[error(
        "cannot use the system resolver configuration ({source}): {0}; \
         name a resolver explicitly",
        source = SYSTEM_SOURCE
    )]
    SystemConfig(String),
    /// The options make no sense (no server, zero attempts, …).
    #[error("invalid DNS options: {0}")]
    Config(String),
}

impl DnsError {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::ServFail => "servfail",
            Self::Refused => "refused",
            Self::Timeout => "timeout",
            Self::NoConnection(_) => "no_connection",
            Self::Other(_) => "other",
            Self::SystemConfig(_) => "system_config",
            Self::Config(_) => "config",
        }
    }
}

/// Something odd about a name that did not stop the lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsWarning {
    /// The MX exchange is an alias (RFC 5321 §5.1 forbids it); the alias
    /// was followed.
    MxIsCname {
        /// Where the alias chain ends (A-labels, no trailing dot).
        target: String,
    },
    /// The MX exchange is an IPv4 address written as a name
    /// (`10 192.0.2.1.`); the address is used as is.
    MxIsIpLiteral,
    /// The name exists but has no A/AAAA record of the families asked for.
    NoAddresses,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// A null MX (`.`) is published next to other MX records, which RFC
    /// 7505 §3 forbids; that entry is not resolved.
    NullMxAmongOthers,
    /// Not resolved: more than [`MAX_EXCHANGES`] exchanges.
    NotResolved,
    /// The name has addresses, but only of the family `-4`/`-6` left out:
    /// `count` addresses of `family` were removed, none is left to test.
    FilteredOut {
        /// How many addresses the filter removed.
        count: usize,
        /// The family removed: "IPv6" under `-4`, "IPv4" under `-6`.
        family: &'static str,
    },
}

impl DnsWarning {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::MxIsCname { .. } => "mx_is_cname",
            Self::MxIsIpLiteral => "mx_is_ip_literal",
            Self::NoAddresses => "no_addresses",
            Self::NxDomain => "nx_domain",
            Self::NullMxAmongOthers => "null_mx_among_others",
            Self::NotResolved => "not_resolved",
            Self::FilteredOut { .. } => "filtered_out",
        }
    }
}

impl fmt::Display for DnsWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MxIsCname { target } => write!(
                f,
                "the MX names an alias (CNAME to {target}); RFC 5321 §5.1 says an MX \
                 must name a host directly. Followed anyway; some senders will not"
            ),
            Self::MxIsIpLiteral => f.write_str(
                "the MX names an IP address instead of a host; RFC 5321 §5.1 does not \
                 allow this and many senders will not deliver. Used anyway",
            ),
            Self::NoAddresses => {
                f.write_str("the name has no address record (A/AAAA) of the families asked for")
            }
            Self::NxDomain => f.write_str("the name does not exist (NXDOMAIN)"),
            Self::NullMxAmongOthers => f.write_str(
                "a null MX (\".\") is published next to other MX records; RFC 7505 \
                 forbids mixing them",
            ),
            Self::NotResolved => write!(
                f,
                "not resolved: tlscheck resolves only the first {MAX_EXCHANGES} exchanges"
            ),
            Self::FilteredOut { count, family } => write!(
                f,
                "only {family} here: {} left out {count} {family} address{} (run without {} to test {})",
                filter_flag(family),
                if *count == 1 { "" } else { "es" },
                filter_flag(family),
                if *count == 1 { "it" } else { "them" },
            ),
        }
    }
}

/// The option that removes `family` ("IPv6" → `-4`).
fn filter_flag(family: &str) -> &'static str {
    if family == "IPv6" {
        "-4"
    } else {
        "-6"
    }
}

/// The addresses of one host name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostAddresses {
    /// IPv4 then IPv6, each sorted, without duplicates.
    pub addresses: Vec<IpAddr>,
    /// Where the CNAME chain ends, when the name is an alias.
    pub alias_target: Option<String>,
    /// `NxDomain` or `NoAddresses` when no address was found and no lookup
    /// failed for that reason.
    pub warnings: Vec<DnsWarning>,
    /// The first failed lookup (A before AAAA), if any; addresses from the
    /// other family are still listed.
    pub error: Option<DnsError>,
    /// Addresses found but left out by `-4`/`-6` (counted only when none of
    /// the family asked for is left; then `warnings` holds `FilteredOut`).
    pub filtered_out: usize,
}

/// One MX exchange and what its name resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MxExchange {
    /// The MX preference (lower is tried first).
    pub preference: u16,
    /// The exchange name (A-labels, lower case, no trailing dot; `.` for a
    /// null MX entry).
    pub exchange: String,
    /// True when another exchange has the same preference (senders pick
    /// among them at random, RFC 5321 §5.1).
    pub equal_preference: bool,
    /// IPv4 then IPv6, each sorted.
    pub addresses: Vec<IpAddr>,
    /// What is odd about this exchange.
    pub warnings: Vec<DnsWarning>,
    /// Set when a lookup of its addresses failed.
    pub error: Option<DnsError>,
}

/// Where mail for a domain goes (RFC 5321 §5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailRouting {
    /// MX records: exchanges by preference, then by name.
    Mx {
        /// The exchanges, in the order senders try them.
        exchanges: Vec<MxExchange>,
    },
    /// No MX but the name has addresses: it is its own mail exchange
    /// (RFC 5321 §5.1 implicit MX).
    ImplicitMx {
        /// IPv4 then IPv6, each sorted (empty when `-4`/`-6` left them all
        /// out: `warnings` then says how many).
        addresses: Vec<IpAddr>,
        /// A failed lookup of one family, when the other gave addresses.
        error: Option<DnsError>,
        /// `FilteredOut` when the family filter removed every address.
        warnings: Vec<DnsWarning>,
        /// Whether the name is a zone apex (has its own SOA record), i.e.
        /// a domain rather than a host inside one; `None` when the SOA
        /// query failed.
        zone_apex: Option<bool>,
    },
    /// A single MX whose exchange is `.`: the domain accepts no mail (RFC
    /// 7505 null MX; the RFC writes it `0 .`, and any preference means the
    /// same to a sender).
    NullMx,
    /// The domain does not exist.
    NxDomain,
    /// The domain exists but has neither MX nor address records.
    NoMailRecords,
    /// The lookup failed.
    Failed(DnsError),
}

impl MailRouting {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Mx { .. } => "mx",
            Self::ImplicitMx { .. } => "implicit_mx",
            Self::NullMx => "null_mx",
            Self::NxDomain => "nx_domain",
            Self::NoMailRecords => "no_mail_records",
            Self::Failed(_) => "failed",
        }
    }

    /// True for a null MX (RFC 7505).
    pub fn is_null_mx(&self) -> bool {
        matches!(self, Self::NullMx)
    }
}
