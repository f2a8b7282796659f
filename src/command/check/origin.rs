//! Where a check ran from, for tickets: this machine's name, the source
//! address the system picks towards the first server of each address
//! family, and the options given that change what tlscheck sees. The inside
//! and the outside of a network see different servers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, UdpSocket};

use super::config::Env;
use crate::cli::{CheckArgs, FailOn, RequireTls};
use crate::model::outcome::Origin;
use crate::report::outcome::RunReport;

/// The origin of a finished run.
pub fn origin(args: &CheckArgs, report: &RunReport, env: &Env) -> Origin {
    let mut sources: Vec<(IpAddr, IpAddr)> = Vec::new();
    for s in report.targets.iter().flat_map(|t| &t.servers) {
        let peer = s.address.ip();
        if sources.iter().any(|(p, _)| p.is_ipv4() == peer.is_ipv4()) {
            continue;
        }
        if let Some(src) = source_towards(peer) {
            sources.push((peer, src));
        }
    }
    Origin {
        hostname: env.hostname.clone(),
        sources,
        options: options(args),
    }
}

/// The options that change results, as typed (`--ca-file PATH`,
/// `--resolver IP`, `--host`, `-4`, …).
fn options(args: &CheckArgs) -> Vec<String> {
    let mut options = Vec::new();
    if let Some(p) = &args.ca_file {
        options.push(format!("--ca-file {}", p.display()));
    }
    options.extend(args.resolver.iter().map(|r| format!("--resolver {r}")));
    for (on, name) in [
        (args.host, "--host"),
        (args.ipv4, "-4"),
        (args.ipv6, "-6"),
        (args.implicit_tls, "--implicit-tls"),
        (args.forbid_legacy, "--forbid-legacy"),
    ] {
        if on {
            options.push(name.to_owned());
        }
    }
    if let Some(p) = args.port {
        options.push(format!("--port {p}"));
    }
    if let Some(e) = &args.ehlo {
        options.push(format!("--ehlo {e}"));
    }
    if let Some(t) = args.timeout {
        options.push(format!("--timeout {t}"));
    }
    if let Some(d) = args.deadline {
        options.push(format!("--deadline {d}"));
    }
    if args.require_tls == Some(RequireTls::Tls13) {
        options.push("--require-tls 1.3".to_owned());
    }
    if args.fail_on == FailOn::Warning {
        options.push("--fail-on warning".to_owned());
    }
    options
}

/// The source address the system would use towards `peer`: a UDP socket
/// "connected" to it (no packet is sent) reports the address the routing
/// table chose.
fn source_towards(peer: IpAddr) -> Option<IpAddr> {
    let any: IpAddr = if peer.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        Ipv6Addr::UNSPECIFIED.into()
    };
    let socket = UdpSocket::bind((any, 0)).ok()?;
    socket.connect((peer, 25)).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_list_what_changes_results_in_the_order_typed_by_kind() {
        let args = CheckArgs {
            resolver: vec!["127.0.0.1".to_owned()],
            ipv4: true,
            port: Some(2525),
            fail_on: FailOn::Warning,
            ..Default::default()
        };
        assert_eq!(
            options(&args),
            [
                "--resolver 127.0.0.1",
                "-4",
                "--port 2525",
                "--fail-on warning"
            ]
        );
        assert!(options(&CheckArgs::default()).is_empty());
    }
}
