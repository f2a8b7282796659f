//! DNS: where mail for a domain goes (RFC 5321 §5.1, RFC 7505) and which
//! addresses a host has, as typed outcomes.
//!
//! This module owns the hickory resolver and turns its answers and errors
//! into plain values ([`MailRouting`], [`HostAddresses`]), classifying
//! failures where they happen (rcode and error variant, never the error
//! text). It does no SMTP, no probing and no printing; a DNS failure is an
//! outcome, not an `Err`, so the report can show it.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
    ServerOrderingStrategy,
};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;
use tokio::task::JoinSet;

use crate::proto::target::{self, Target};

pub use crate::model::dns::{
    DnsError, DnsWarning, HostAddresses, MailRouting, MxExchange, MAX_EXCHANGES, SYSTEM_SOURCE,
};

/// The result of setting up DNS.
pub type Result<T> = std::result::Result<T, DnsError>;

/// The port of `--resolver IP` when none is given (RFC 1035 §4.2).
pub const DNS_PORT: u16 = 53;

/// How many CNAME records a chain may have before tlscheck stops following
/// it when it reports the alias target.
const MAX_CNAME_CHAIN: usize = 16;

/// Which resolver answers tlscheck's questions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolverChoice {
    /// The system's resolvers: `/etc/resolv.conf`, or on Windows the DNS
    /// servers of the network adapters that are up ([`SYSTEM_SOURCE`]).
    System,
    /// These servers (`--resolver IP[:PORT]`, repeatable), in this order.
    Servers(Vec<SocketAddr>),
}

impl ResolverChoice {
    /// Parses one `--resolver` value: `IP` or `IP:PORT`, IPv6 as `IP` or
    /// `[IP]:PORT`; the port defaults to 53.
    pub fn parse_server(value: &str) -> Result<SocketAddr> {
        match target::parse(value) {
            Ok(Target::Address { ip, port }) => Ok(SocketAddr::new(ip, port.unwrap_or(DNS_PORT))),
            Ok(Target::Name { .. }) => Err(DnsError::Config(format!(
                "resolver {value:?} is not an IP address: give it as 192.0.2.53, \
                 192.0.2.53:5353 or [2001:db8::53]:53"
            ))),
            Err(e) => Err(DnsError::Config(format!("resolver {value:?}: {e}"))),
        }
    }
}

/// The address families to look up (`-4`, `-6`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpFamilies {
    /// Look up A records (IPv4).
    pub v4: bool,
    /// Look up AAAA records (IPv6).
    pub v6: bool,
}

impl IpFamilies {
    /// Both families (the default).
    pub const BOTH: Self = Self { v4: true, v6: true };
    /// IPv4 only (`-4`).
    pub const V4_ONLY: Self = Self {
        v4: true,
        v6: false,
    };
    /// IPv6 only (`-6`).
    pub const V6_ONLY: Self = Self {
        v4: false,
        v6: true,
    };

    /// True when the address belongs to a family asked for.
    pub fn allows(self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(_) => self.v4,
            IpAddr::V6(_) => self.v6,
        }
    }
}

impl Default for IpFamilies {
    fn default() -> Self {
        Self::BOTH
    }
}

/// How lookups are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsOptions {
    /// Which resolver to ask.
    pub resolver: ResolverChoice,
    /// How long one try waits for an answer.
    pub timeout: Duration,
    /// How many tries a query gets in all (at least 1). A query ends within
    /// `timeout × attempts` plus a small slack.
    pub attempts: usize,
    /// Which address records to look up.
    pub families: IpFamilies,
}

impl Default for DnsOptions {
    /// The system resolver, 5 s per try, 2 tries, both families.
    fn default() -> Self {
        Self {
            resolver: ResolverChoice::System,
            timeout: Duration::from_secs(5),
            attempts: 2,
            families: IpFamilies::BOTH,
        }
    }
}

/// A configured resolver. Build it once per run with [`Dns::new`].
#[derive(Clone)]
pub struct Dns {
    inner: Arc<Inner>,
}

/// What every lookup needs; shared with the tasks of parallel lookups.
struct Inner {
    resolver: TokioResolver,
    families: IpFamilies,
    /// Hard end of one query: hickory's own timeouts should end it sooner.
    bound: Duration,
    description: String,
}

impl fmt::Debug for Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dns")
            .field("resolver", &self.inner.description)
            .field("families", &self.inner.families)
            .field("bound", &self.inner.bound)
            .finish()
    }
}

/// The answer to one question, before it is given a meaning.
enum Answer {
    Records(Lookup),
    /// No record of that type. The name is the one the negative answer was
    /// for: the end of the CNAME chain when the question named an alias.
    NoData(Name),
    /// The name does not exist; the name as for `NoData`.
    NxDomain(Name),
}

impl Dns {
    /// Sets up the resolver. With [`ResolverChoice::System`] this reads
    /// `/etc/resolv.conf` (and fails clearly when it cannot); nothing is
    /// sent until a lookup.
    pub fn new(options: &DnsOptions) -> Result<Dns> {
        if options.attempts == 0 {
            return Err(DnsError::Config("attempts must be at least 1".into()));
        }
        if options.timeout.is_zero() {
            return Err(DnsError::Config("the timeout must be above zero".into()));
        }
        if !options.families.v4 && !options.families.v6 {
            return Err(DnsError::Config(
                "at least one address family (IPv4 or IPv6) is needed".into(),
            ));
        }
        let (config, description) = resolver_config(&options.resolver)?;
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(resolver_opts(options))
            .build()
            .map_err(|e| DnsError::Config(e.to_string()))?;
        Ok(Dns {
            inner: Arc::new(Inner {
                resolver,
                families: options.families,
                bound: hard_bound(options.timeout, options.attempts),
                description,
            }),
        })
    }

    /// The resolver in use, for the report: `system (/etc/resolv.conf:
    /// 10.0.0.2:53)` or `127.0.0.1:5353`.
    pub fn describe(&self) -> String {
        self.inner.description.clone()
    }

    /// The address families looked up.
    pub fn families(&self) -> IpFamilies {
        self.inner.families
    }

    /// Where mail for `domain` goes, per RFC 5321 §5.1: MX records (each
    /// exchange resolved to all its addresses, all at once), else the
    /// domain's own addresses (implicit MX), with null MX (RFC 7505),
    /// NXDOMAIN and failures told apart.
    pub async fn resolve_mail_domain(&self, domain: &str) -> MailRouting {
        let name = match fqdn(domain) {
            Ok(name) => name,
            Err(e) => return MailRouting::Failed(e),
        };
        let lookup = match self.inner.query(name.clone(), RecordType::MX).await {
            Ok(Answer::NxDomain(_)) => return MailRouting::NxDomain,
            Ok(Answer::NoData(_)) => None,
            Ok(Answer::Records(lookup)) => Some(lookup),
            Err(e) => return MailRouting::Failed(e),
        };
        let mut records: Vec<(u16, Name)> = lookup
            .iter()
            .flat_map(|l| l.answers())
            .filter_map(|r| match &r.data {
                RData::MX(mx) => Some((mx.preference, mx.exchange.clone())),
                _ => None,
            })
            .collect();
        if records.is_empty() {
            // NOERROR with no MX (or only a CNAME to a name without MX):
            // the name itself is the mail exchange, if it has addresses.
            let host = self.inner.host_addresses(name.clone()).await;
            let filtered = host.filtered_out > 0;
            return match (host.addresses.is_empty() && !filtered, host.error) {
                (false, error) => MailRouting::ImplicitMx {
                    addresses: host.addresses,
                    error,
                    warnings: host
                        .warnings
                        .into_iter()
                        .filter(|w| matches!(w, DnsWarning::FilteredOut { .. }))
                        .collect(),
                    zone_apex: self.inner.is_zone_apex(name).await,
                },
                (true, Some(error)) => MailRouting::Failed(error),
                (true, None) => MailRouting::NoMailRecords,
            };
        }
        if let [(_, exchange)] = records.as_slice() {
            if exchange.is_root() {
                return MailRouting::NullMx;
            }
        }
        records.sort_by_cached_key(|(preference, exchange)| (*preference, display_name(exchange)));
        MailRouting::Mx {
            exchanges: self.resolve_exchanges(records).await,
        }
    }

    /// The addresses of `host` (A and AAAA at once, as the families allow).
    pub async fn resolve_host(&self, host: &str) -> HostAddresses {
        match fqdn(host) {
            Ok(name) => self.inner.host_addresses(name).await,
            Err(e) => HostAddresses {
                error: Some(e),
                ..HostAddresses::default()
            },
        }
    }

    /// Resolves every exchange at once; `records` is already sorted.
    async fn resolve_exchanges(&self, records: Vec<(u16, Name)>) -> Vec<MxExchange> {
        let mut per_preference: HashMap<u16, usize> = HashMap::new();
        for (preference, _) in &records {
            *per_preference.entry(*preference).or_default() += 1;
        }
        let mut exchanges: Vec<MxExchange> = records
            .iter()
            .map(|(preference, exchange)| MxExchange {
                preference: *preference,
                exchange: display_name(exchange),
                equal_preference: per_preference.get(preference).copied().unwrap_or(0) > 1,
                addresses: Vec::new(),
                warnings: Vec::new(),
                error: None,
            })
            .collect();

        let mut tasks = JoinSet::new();
        for (index, ((_, name), exchange)) in records.into_iter().zip(&mut exchanges).enumerate() {
            if name.is_root() {
                exchange.warnings.push(DnsWarning::NullMxAmongOthers);
            } else if let Ok(ip) = exchange.exchange.parse::<IpAddr>() {
                exchange.warnings.push(DnsWarning::MxIsIpLiteral);
                if self.inner.families.allows(ip) {
                    exchange.addresses.push(ip);
                } else {
                    exchange.warnings.push(DnsWarning::FilteredOut {
                        count: 1,
                        family: family_name(ip),
                    });
                }
            } else if index >= MAX_EXCHANGES {
                exchange.warnings.push(DnsWarning::NotResolved);
            } else {
                let inner = Arc::clone(&self.inner);
                tasks.spawn(async move { (index, inner.host_addresses(name).await) });
            }
        }
        while let Some(joined) = tasks.join_next().await {
            let Ok((index, host)) = joined else {
                // A lookup task can only end this way by panicking; the
                // exchange keeps no addresses and no verdict.
                continue;
            };
            if let Some(exchange) = exchanges.get_mut(index) {
                if let Some(target) = host.alias_target {
                    exchange.warnings.push(DnsWarning::MxIsCname { target });
                }
                exchange.addresses = host.addresses;
                exchange.warnings.extend(host.warnings);
                exchange.error = host.error;
            }
        }
        exchanges
    }
}

/// "IPv4" or "IPv6".
fn family_name(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

impl Inner {
    /// Whether `name` owns an SOA record (a zone apex: a domain, not a host
    /// inside one). `None` when the question could not be answered.
    async fn is_zone_apex(&self, name: Name) -> Option<bool> {
        match self.query(name, RecordType::SOA).await {
            Ok(Answer::Records(lookup)) => Some(
                lookup
                    .answers()
                    .iter()
                    .any(|r| matches!(r.data, RData::SOA(_))),
            ),
            Ok(Answer::NoData(_) | Answer::NxDomain(_)) => Some(false),
            Err(_) => None,
        }
    }

    /// One question, bounded in time, classified.
    async fn query(&self, name: Name, record_type: RecordType) -> Result<Answer> {
        match tokio::time::timeout(self.bound, self.resolver.lookup(name, record_type)).await {
            Err(_elapsed) => Err(DnsError::Timeout),
            Ok(Ok(lookup)) => Ok(Answer::Records(lookup)),
            Ok(Err(e)) => classify(e),
        }
    }

    /// How many addresses `name` has in the family `-4`/`-6` leaves out,
    /// and that family's name; `None` when both families are looked up or
    /// the question fails.
    async fn other_family_count(&self, name: &Name) -> Option<(usize, &'static str)> {
        let (record_type, family) = match (self.families.v4, self.families.v6) {
            (true, false) => (RecordType::AAAA, "IPv6"),
            (false, true) => (RecordType::A, "IPv4"),
            _ => return None,
        };
        match self.query(name.clone(), record_type).await {
            Ok(Answer::Records(lookup)) => {
                let mut found: Vec<IpAddr> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
                        _ => None,
                    })
                    .collect();
                found.sort();
                found.dedup();
                Some((found.len(), family))
            }
            _ => None,
        }
    }

    /// A and AAAA of one name, both at once.
    async fn host_addresses(&self, name: Name) -> HostAddresses {
        let v4 = async {
            if self.families.v4 {
                Some(self.query(name.clone(), RecordType::A).await)
            } else {
                None
            }
        };
        let v6 = async {
            if self.families.v6 {
                Some(self.query(name.clone(), RecordType::AAAA).await)
            } else {
                None
            }
        };
        let (v4, v6) = tokio::join!(v4, v6);

        let mut host = HostAddresses::default();
        let mut nx_domain = false;
        for answer in [v4, v6].into_iter().flatten() {
            match answer {
                Ok(Answer::Records(lookup)) => {
                    if host.alias_target.is_none() {
                        host.alias_target = alias_target(&name, &lookup);
                    }
                    host.addresses
                        .extend(lookup.answers().iter().filter_map(|r| match &r.data {
                            RData::A(a) => Some(IpAddr::V4(a.0)),
                            RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
                            _ => None,
                        }));
                }
                Ok(Answer::NoData(answered)) => {
                    host.alias_target = host.alias_target.or_else(|| alias_end(&name, &answered));
                }
                Ok(Answer::NxDomain(answered)) => {
                    host.alias_target = host.alias_target.or_else(|| alias_end(&name, &answered));
                    nx_domain = true;
                }
                Err(e) => {
                    if host.error.is_none() {
                        host.error = Some(e);
                    }
                }
            }
        }
        // IpAddr orders every V4 before every V6.
        host.addresses.retain(|ip| self.families.allows(*ip));
        host.addresses.sort();
        host.addresses.dedup();
        if host.addresses.is_empty() {
            if nx_domain {
                host.warnings.push(DnsWarning::NxDomain);
            } else if host.error.is_none() {
                // Under -4/-6, say whether the other family had addresses:
                // "only IPv6 here" is not "no address" (issue 12 §4). The
                // extra question is asked only in this case.
                match self.other_family_count(&name).await {
                    Some((count, family)) if count > 0 => {
                        host.filtered_out = count;
                        host.warnings
                            .push(DnsWarning::FilteredOut { count, family });
                    }
                    _ => host.warnings.push(DnsWarning::NoAddresses),
                }
            }
        }
        host
    }
}

/// The servers to ask and their description for the report. Shared with
/// the DNSSEC-validating resolver of `policy::dnssec`.
pub(crate) fn resolver_config(resolver: &ResolverChoice) -> Result<(ResolverConfig, String)> {
    Ok(match resolver {
        ResolverChoice::System => {
            let (config, _) = hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| DnsError::SystemConfig(e.to_string()))?;
            // Windows lists a server once per adapter that has it; ask
            // (and name) each server once, in order.
            let mut servers = config.name_servers().to_vec();
            let mut seen = Vec::new();
            servers.retain(|s| {
                let key = (s.ip, s.connections.first().map(|c| c.port));
                let new = !seen.contains(&key);
                seen.push(key);
                new
            });
            let description = describe_system(&servers);
            // Only the servers are taken: search domains and ndots do
            // not apply because every query is fully qualified.
            let config = ResolverConfig::from_name_servers(servers);
            (config, description)
        }
        ResolverChoice::Servers(servers) if servers.is_empty() => {
            return Err(DnsError::Config("no resolver address given".into()));
        }
        ResolverChoice::Servers(servers) => {
            let name_servers = servers
                .iter()
                .map(|addr| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                })
                .collect();
            let description = servers
                .iter()
                .map(SocketAddr::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            (ResolverConfig::from_name_servers(name_servers), description)
        }
    })
}

/// Maps hickory's error at the point of failure, by variant and rcode.
fn classify(error: NetError) -> Result<Answer> {
    match error {
        NetError::Dns(HickoryDnsError::NoRecordsFound(NoRecords {
            response_code,
            query,
            ..
        })) => {
            // hickory follows a CNAME chain with a new query per link; a
            // negative answer carries the query of the last link.
            let answered = query.name().clone();
            match response_code {
                ResponseCode::NXDomain => Ok(Answer::NxDomain(answered)),
                ResponseCode::NoError => Ok(Answer::NoData(answered)),
                code => Err(from_response_code(code)),
            }
        }
        NetError::Dns(HickoryDnsError::ResponseCode(code)) => Err(from_response_code(code)),
        NetError::Timeout => Err(DnsError::Timeout),
        NetError::NoConnections => Err(DnsError::NoConnection(
            "no usable connection to any configured server".into(),
        )),
        NetError::Io(e) => Err(DnsError::NoConnection(e.to_string())),
        other => Err(DnsError::Other(other.to_string())),
    }
}

/// A DNS rcode that is an error.
fn from_response_code(code: ResponseCode) -> DnsError {
    match code {
        ResponseCode::ServFail => DnsError::ServFail,
        ResponseCode::Refused => DnsError::Refused,
        code => DnsError::Other(format!("the DNS server answered {code}")),
    }
}

/// The name as sent: fully qualified, so search domains never apply.
pub(crate) fn fqdn(name: &str) -> Result<Name> {
    let parsed = if name.is_ascii() {
        Name::from_ascii(name)
    } else {
        Name::from_utf8(name)
    };
    let mut name = parsed.map_err(|e| DnsError::Other(format!("invalid name {name:?}: {e}")))?;
    name.set_fqdn(true);
    Ok(name)
}

/// A-labels, lower case, no trailing dot; the root stays `.`.
pub(crate) fn display_name(name: &Name) -> String {
    if name.is_root() {
        return ".".to_owned();
    }
    let ascii = name.to_ascii().to_ascii_lowercase();
    match ascii.strip_suffix('.') {
        Some(stripped) => stripped.to_owned(),
        None => ascii,
    }
}

/// The end of an alias chain seen in a negative answer: the name the
/// answer was for, when it is not the name asked about.
fn alias_end(asked: &Name, answered: &Name) -> Option<String> {
    (!answered.eq_ignore_root(asked) && !answered.is_root()).then(|| display_name(answered))
}

/// Where the CNAME chain from `name` ends, if `name` is an alias.
fn alias_target(name: &Name, lookup: &Lookup) -> Option<String> {
    let mut current = name.clone();
    let mut followed = false;
    for _ in 0..MAX_CNAME_CHAIN {
        let next = lookup.answers().iter().find_map(|r| match &r.data {
            RData::CNAME(cname) if r.name.eq_ignore_root(&current) => Some(cname.0.clone()),
            _ => None,
        });
        match next {
            Some(next) => {
                current = next;
                followed = true;
            }
            None => break,
        }
    }
    followed.then(|| display_name(&current))
}

/// The resolver options: tlscheck's timeout and attempts, fresh answers,
/// no hosts file.
pub(crate) fn resolver_opts(options: &DnsOptions) -> ResolverOpts {
    let mut opts = ResolverOpts::default();
    opts.timeout = options.timeout;
    // hickory counts retries after the first try.
    opts.attempts = options.attempts.saturating_sub(1);
    // A diagnostic shows what DNS says now: nothing is kept between
    // questions, so a test (or a rerun) never sees an earlier answer.
    opts.cache_size = 0;
    opts.positive_max_ttl = Some(Duration::ZERO);
    opts.negative_max_ttl = Some(Duration::ZERO);
    // Mail routing is DNS only; /etc/hosts would hide what senders see.
    opts.use_hosts_file = ResolveHosts::Never;
    // Keep CNAME records in answers, to warn about MX pointing at aliases.
    opts.preserve_intermediates = true;
    // Ask the servers in the order given, so reports are reproducible.
    opts.server_ordering_strategy = ServerOrderingStrategy::UserProvidedOrder;
    opts
}

/// The latest a query may end: hickory gives up after `timeout ×
/// attempts`; the quarter-timeout slack only catches a resolver that
/// overruns its own timers.
pub(crate) fn hard_bound(timeout: Duration, attempts: usize) -> Duration {
    let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
    timeout.saturating_mul(attempts).saturating_add(timeout / 4)
}

/// `system (/etc/resolv.conf: 10.0.0.2:53, 10.0.0.3:53)`.
fn describe_system(servers: &[NameServerConfig]) -> String {
    let list = servers
        .iter()
        .map(|server| {
            let port = server.connections.first().map_or(DNS_PORT, |c| c.port);
            SocketAddr::new(server.ip, port).to_string()
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("system ({SYSTEM_SOURCE}: {list})")
}

#[cfg(test)]
mod tests;
