//! Resolve and plan: what DNS says about a target, and the servers to
//! probe for it (name, address and port, MX preference).

use std::net::{IpAddr, SocketAddr};

use super::config::Config;
use crate::model::dns::{DnsError, HostAddresses};
use crate::model::outcome::{DnsAnswer, DnsSection, TargetMode};
use crate::net::dns::{Dns, MailRouting};
use crate::proto::target::Target;

/// The SMTP port.
const SMTP_PORT: u16 = 25;

/// One server to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedServer {
    /// The name it was found under (MX exchange, host, or none for an
    /// address target): the SNI and the name its certificate must match.
    pub host: Option<String>,
    /// Where to connect.
    pub address: SocketAddr,
    /// The MX preference, for MX exchanges.
    pub preference: Option<u16>,
}

impl PlannedServer {
    fn named(name: &str, address: SocketAddr) -> Self {
        Self {
            host: Some(name.to_owned()),
            address,
            preference: None,
        }
    }
}

/// A target resolved: how it was read, what DNS said, what to probe.
pub struct Plan {
    /// Domain, host or address.
    pub mode: TargetMode,
    /// What DNS said (none for an address).
    pub dns: Option<DnsSection>,
    /// The servers, in DNS order.
    pub servers: Vec<PlannedServer>,
}

/// Resolves `target` and lists its servers.
pub async fn plan(cfg: &Config, dns: &Result<Dns, DnsError>, target: &Target) -> Plan {
    let port_of = |p: Option<u16>| cfg.port.or(p).unwrap_or(SMTP_PORT);
    let (name, port) = match target {
        Target::Address { ip, port } => {
            return Plan {
                mode: TargetMode::Address,
                dns: None,
                servers: vec![PlannedServer {
                    host: None,
                    address: SocketAddr::new(*ip, port_of(*port)),
                    preference: None,
                }],
            }
        }
        Target::Name { name, port, .. } => (name, port_of(*port)),
    };
    let resolver = match dns {
        Ok(d) => d.describe(),
        Err(e) => format!("unavailable ({e})"),
    };
    let section = |answer| DnsSection {
        query: name.clone(),
        resolver: resolver.clone(),
        answer,
    };
    if cfg.host_mode {
        let answer = match dns {
            Ok(d) => d.resolve_host(name).await,
            Err(e) => HostAddresses {
                error: Some(e.clone()),
                ..Default::default()
            },
        };
        let servers = answer
            .addresses
            .iter()
            .map(|ip| PlannedServer::named(name, SocketAddr::new(*ip, port)))
            .collect();
        Plan {
            mode: TargetMode::Host,
            dns: Some(section(DnsAnswer::Host(answer))),
            servers,
        }
    } else {
        let routing = match dns {
            Ok(d) => d.resolve_mail_domain(name).await,
            Err(e) => MailRouting::Failed(e.clone()),
        };
        let servers = mail_servers(&routing, name, port);
        Plan {
            mode: TargetMode::Domain,
            dns: Some(section(DnsAnswer::Mail(routing))),
            servers,
        }
    }
}

/// The addresses to probe for a mail routing answer.
fn mail_servers(routing: &MailRouting, name: &str, port: u16) -> Vec<PlannedServer> {
    match routing {
        MailRouting::Mx { exchanges, .. } => exchanges
            .iter()
            .flat_map(|x| {
                x.addresses.iter().map(move |ip: &IpAddr| PlannedServer {
                    host: Some(x.exchange.clone()),
                    address: SocketAddr::new(*ip, port),
                    preference: Some(x.preference),
                })
            })
            .collect(),
        MailRouting::ImplicitMx { addresses, .. } => addresses
            .iter()
            .map(|ip| PlannedServer::named(name, SocketAddr::new(*ip, port)))
            .collect(),
        _ => Vec::new(),
    }
}
