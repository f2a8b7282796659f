//! A check run: every target at once (bounded), each resolved, its
//! addresses probed, its observations diagnosed. Finished targets are
//! handed to a callback as they complete (NDJSON streams them); the
//! returned [`RunReport`] lists them in command-line order.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::future::{BoxFuture, FutureExt, Shared};

use crate::clock::now_rfc3339;
use crate::command::check::config::Config;
use crate::diagnose::verdict::Verdict;
use crate::model::cert::{root_store, ChainVerifier};
use crate::model::outcome::{DnsAnswer, DnsSection, TargetMode};
use crate::model::ServerObservation;
use crate::net::dns::{Dns, DnsOptions, IpFamilies, MailRouting, ResolverChoice};
use crate::net::policy::lookup::PolicyContext;
use crate::net::probe::{probe_server_limited, ProbeConfig};
use crate::proto::target::Target;
use crate::report::outcome::{RunReport, TargetReport};

/// The SMTP port.
const SMTP_PORT: u16 = 25;
/// The SMTPS port (implicit TLS, RFC 8314 §3.3).
const SMTPS_PORT: u16 = 465;
/// How often a throttled session is retried, and the first wait.
const THROTTLE_RETRIES: u32 = 2;
const THROTTLE_BACKOFF: Duration = Duration::from_secs(2);

/// One probe per address and port for the whole run.
///
/// Two MX names that point at one address, a target given twice, or
/// `--input` lines that share a provider's servers would otherwise open
/// their own connections to the same server at the same time — the pattern
/// that makes servers defer (`421 4.7.0 too many connections`) and that
/// the per-server limit is there to prevent. The first request probes
/// (with its own name as SNI); every later one gets the same observation,
/// relabelled with its own name and preference, its certificate judged
/// against its own name. The per-server limit holds per IP address, over
/// every port and target.
#[derive(Default)]
struct Probes {
    /// Finished or running probes by (address, implicit TLS).
    running: Mutex<HashMap<(SocketAddr, bool), SharedProbe>>,
    /// The per-server connection limit of each IP address.
    limits: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

impl Probes {
    /// The observation of `addr`, probing it if this run has not yet.
    async fn get(
        &self,
        cfg: &Arc<ProbeConfig>,
        host: Option<String>,
        addr: SocketAddr,
        preference: Option<u16>,
    ) -> ServerObservation {
        let shared = {
            let Ok(mut running) = self.running.lock() else {
                return crate::net::probe::probe_server(cfg, host, addr, preference).await;
            };
            running
                .entry((addr, cfg.implicit_tls))
                .or_insert_with(|| {
                    let limit = self.limit(addr.ip(), cfg.per_server);
                    let (cfg, host) = (Arc::clone(cfg), host.clone());
                    async move { probe_server_limited(&cfg, host, addr, preference, &limit).await }
                        .boxed()
                        .shared()
                })
                .clone()
        };
        let seen = shared.await;
        crate::net::probe::for_name(&seen, cfg, host, preference)
    }

    fn limit(&self, ip: IpAddr, per_server: usize) -> Arc<Semaphore> {
        match self.limits.lock() {
            Ok(mut m) => Arc::clone(
                m.entry(ip)
                    .or_insert_with(|| Arc::new(Semaphore::new(per_server.max(1)))),
            ),
            Err(_) => Arc::new(Semaphore::new(per_server.max(1))),
        }
    }
}

/// A probe that every name pointing at its address awaits.
type SharedProbe = Shared<BoxFuture<'static, ServerObservation>>;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The certificate verifier could not be built.
    #[error("setting up certificate verification: {0}")]
    Verifier(String),
}

/// Runs the check. `on_done` sees each target when it finishes.
pub async fn run(
    cfg: Arc<Config>,
    cancel: watch::Receiver<bool>,
    on_done: &mut (dyn FnMut(&TargetReport) + Send),
) -> Result<RunReport, RunError> {
    let started_at = now_rfc3339();
    let deadline = cfg.deadline.map(|d| Instant::now() + d);
    let verifier = ChainVerifier::new(root_store(&cfg.extra_roots))
        .map_err(|e| RunError::Verifier(e.to_string()))?;
    let probe_cfg = Arc::new(ProbeConfig {
        ehlo_name: cfg.ehlo_name.clone(),
        timeouts: cfg.timeouts,
        implicit_tls: cfg.implicit_tls,
        verifier,
        global: Arc::new(Semaphore::new(cfg.max_connections)),
        per_server: cfg.per_server,
        deadline,
        cancel: cancel.clone(),
        throttle_retries: THROTTLE_RETRIES,
        throttle_backoff: THROTTLE_BACKOFF,
        suites: cfg.suites.clone(),
        status: cfg.status.clone(),
    });
    let dns_options = DnsOptions {
        resolver: if cfg.resolvers.is_empty() {
            ResolverChoice::System
        } else {
            ResolverChoice::Servers(cfg.resolvers.clone())
        },
        timeout: cfg.timeouts.command,
        attempts: 2,
        families: IpFamilies {
            v4: cfg.ipv4,
            v6: cfg.ipv6,
        },
    };
    let dns = Arc::new(Dns::new(&dns_options));
    let policy_ctx = Arc::new(policy_context(&cfg, &dns_options));
    // Bound the targets in flight too, so a batch of thousands neither
    // starts thousands of DNS queries at once nor keeps thousands of
    // finished results waiting: a new target starts when one finishes.
    let limit = cfg.max_connections.max(1);
    // NDJSON has written every target as it finished; keep only what the
    // exit code needs, so memory stays flat over a long batch.
    let keep_details = cfg.format != crate::cli::Format::Ndjson;
    let probes = Arc::new(Probes::default());
    let mut set = JoinSet::new();
    let mut done: Vec<(usize, TargetReport)> = Vec::new();
    let mut finish = |joined: Result<(usize, TargetReport), tokio::task::JoinError>,
                      done: &mut Vec<(usize, TargetReport)>| {
        if let Ok((i, mut report)) = joined {
            on_done(&report);
            if !keep_details {
                report.servers = Vec::new();
                report.findings = Vec::new();
                report.dns = None;
                report.policy = None;
            }
            done.push((i, report));
        }
    };
    for (i, (input, target)) in cfg.targets.iter().cloned().enumerate() {
        while set.len() >= limit {
            if let Some(joined) = set.join_next().await {
                finish(joined, &mut done);
            }
        }
        let (cfg, probe_cfg, dns, policy_ctx) = (
            cfg.clone(),
            probe_cfg.clone(),
            dns.clone(),
            policy_ctx.clone(),
        );
        let probes = Arc::clone(&probes);
        set.spawn(async move {
            let policy_ctx = policy_ctx.as_ref().as_ref();
            let report =
                check_target(&cfg, &probe_cfg, &probes, &dns, policy_ctx, input, target).await;
            (i, report)
        });
    }
    while let Some(joined) = set.join_next().await {
        finish(joined, &mut done);
    }
    done.sort_by_key(|(i, _)| *i);
    let targets: Vec<TargetReport> = done.into_iter().map(|(_, t)| t).collect();
    let cancelled = *cancel.borrow();
    let deadline_passed = deadline.is_some_and(|d| Instant::now() >= d);
    let verdicts: Vec<Verdict> = targets.iter().map(|t| t.verdict).collect();
    let exit = crate::exit::for_run(
        &verdicts,
        cfg.fail_on == crate::cli::FailOn::Warning,
        cancelled,
    );
    // A bad line in the target list: the rest was checked, the exit says 2.
    let exit = if cfg.invalid.is_empty() || cancelled {
        exit
    } else {
        crate::exit::ExitStatus::Usage
    };
    Ok(RunReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        started_at,
        finished_at: now_rfc3339(),
        interrupted: cancelled || deadline_passed,
        exit,
        targets,
        invalid: cfg.invalid.clone(),
        origin: crate::model::outcome::Origin::default(),
    })
}

/// Probes every (host, address, preference) at once, in a stable order.
async fn probe_all(
    probe_cfg: &Arc<ProbeConfig>,
    probes: &Probes,
    list: Vec<(Option<String>, SocketAddr, Option<u16>)>,
) -> Vec<ServerObservation> {
    let futures = list
        .into_iter()
        .map(|(host, addr, pref)| probes.get(probe_cfg, host, addr, pref));
    let mut servers: Vec<ServerObservation> = futures_util::future::join_all(futures).await;
    servers.sort_by(|a, b| {
        a.preference
            .cmp(&b.preference)
            .then_with(|| a.host.cmp(&b.host))
            .then_with(|| a.address.cmp(&b.address))
    });
    servers
}

/// The policy lookups' context, unless `--no-policy`.
fn policy_context(cfg: &Config, dns_options: &DnsOptions) -> Option<PolicyContext> {
    cfg.mail_policy.then(|| {
        PolicyContext::new(
            dns_options.clone(),
            cfg.trust_anchor.clone(),
            cfg.extra_roots.clone(),
            cfg.timeouts.command,
        )
    })
}

/// The policy lookups of a mail domain, cut short by Ctrl-C or the
/// deadline (then `None`: nothing half-looked-up is judged).
async fn policy_lookup(
    probe_cfg: &ProbeConfig,
    ctx: Option<&PolicyContext>,
    target: &Target,
    host_mode: bool,
) -> Option<crate::model::policy::PolicyObservation> {
    let (Some(ctx), Target::Name { name, .. }, false) = (ctx, target, host_mode) else {
        return None;
    };
    let mut cancel = probe_cfg.cancel.clone();
    let cancelled = async move {
        while !*cancel.borrow() {
            if cancel.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    };
    let deadline = async {
        match probe_cfg.deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        obs = crate::net::policy::lookup::observe(ctx, name) => Some(obs),
        () = cancelled => None,
        () = deadline => None,
    }
}

async fn check_target(
    cfg: &Config,
    probe_cfg: &Arc<ProbeConfig>,
    probes: &Probes,
    dns: &Result<Dns, crate::model::dns::DnsError>,
    policy_ctx: Option<&PolicyContext>,
    input: String,
    target: Target,
) -> TargetReport {
    // The policy lookups (DNSSEC, TLSA, MTA-STS, TLS-RPT) run alongside
    // the MX lookup and the probes; DANE is matched once both are done.
    let policy = policy_lookup(probe_cfg, policy_ctx, &target, cfg.host_mode);
    let probed = resolve_and_probe(cfg, probe_cfg, probes, dns, &target);
    let ((mode, dns_section, servers), policy) = tokio::join!(probed, policy);
    finish_target(cfg, input, mode, dns_section, servers, policy)
}

/// Resolves the target and probes its servers.
async fn resolve_and_probe(
    cfg: &Config,
    probe_cfg: &Arc<ProbeConfig>,
    probes: &Probes,
    dns: &Result<Dns, crate::model::dns::DnsError>,
    target: &Target,
) -> (TargetMode, Option<DnsSection>, Vec<ServerObservation>) {
    let port_of = |p: Option<u16>| cfg.port.or(p).unwrap_or(SMTP_PORT);
    let (mode, dns_section, list) = match &target {
        Target::Address { ip, port } => (
            TargetMode::Address,
            None,
            vec![(None, SocketAddr::new(*ip, port_of(*port)), None)],
        ),
        Target::Name { name, port, .. } => {
            let resolver = match dns {
                Ok(d) => d.describe(),
                Err(e) => format!("unavailable ({e})"),
            };
            if cfg.host_mode {
                let answer = match dns {
                    Ok(d) => d.resolve_host(name).await,
                    Err(e) => crate::model::dns::HostAddresses {
                        error: Some(e.clone()),
                        ..Default::default()
                    },
                };
                let list = answer
                    .addresses
                    .iter()
                    .map(|ip| {
                        (
                            Some(name.clone()),
                            SocketAddr::new(*ip, port_of(*port)),
                            None,
                        )
                    })
                    .collect();
                (
                    TargetMode::Host,
                    Some(DnsSection {
                        query: name.clone(),
                        resolver,
                        answer: DnsAnswer::Host(answer),
                    }),
                    list,
                )
            } else {
                let routing = match dns {
                    Ok(d) => d.resolve_mail_domain(name).await,
                    Err(e) => MailRouting::Failed(e.clone()),
                };
                let list = mail_servers(&routing, name, port_of(*port));
                (
                    TargetMode::Domain,
                    Some(DnsSection {
                        query: name.clone(),
                        resolver,
                        answer: DnsAnswer::Mail(routing),
                    }),
                    list,
                )
            }
        }
    };
    // Port 465 is SMTPS (RFC 8314): TLS on connect, whether the port came
    // from --port or from the target itself.
    let smtps;
    let probe_cfg =
        if !probe_cfg.implicit_tls && list.iter().any(|(_, a, _)| a.port() == SMTPS_PORT) {
            smtps = Arc::new(ProbeConfig {
                implicit_tls: true,
                ..ProbeConfig::clone(probe_cfg)
            });
            &smtps
        } else {
            probe_cfg
        };
    let servers = probe_all(probe_cfg, probes, list).await;
    (mode, dns_section, servers)
}

/// Findings, verdict and summary of a probed target.
fn finish_target(
    cfg: &Config,
    input: String,
    mode: TargetMode,
    dns_section: Option<DnsSection>,
    servers: Vec<ServerObservation>,
    policy: Option<crate::model::policy::PolicyObservation>,
) -> TargetReport {
    let d = crate::diagnose::target(
        &input,
        dns_section.as_ref(),
        &servers,
        &cfg.policy,
        policy.as_ref(),
    );
    TargetReport {
        input,
        mode,
        dns: dns_section,
        interrupted: servers.iter().any(ServerObservation::was_interrupted),
        servers,
        findings: d.findings,
        verdict: d.verdict,
        server_verdicts: d.server_verdicts,
        server_findings: d.server_findings,
        summary: d.summary,
        policy: d.policy,
    }
}

/// The addresses to probe for a mail routing answer.
fn mail_servers(
    routing: &MailRouting,
    name: &str,
    port: u16,
) -> Vec<(Option<String>, SocketAddr, Option<u16>)> {
    match routing {
        MailRouting::Mx { exchanges, .. } => exchanges
            .iter()
            .flat_map(|x| {
                x.addresses.iter().map(move |ip: &IpAddr| {
                    (
                        Some(x.exchange.clone()),
                        SocketAddr::new(*ip, port),
                        Some(x.preference),
                    )
                })
            })
            .collect(),
        MailRouting::ImplicitMx { addresses, .. } => addresses
            .iter()
            .map(|ip| (Some(name.to_owned()), SocketAddr::new(*ip, port), None))
            .collect(),
        _ => Vec::new(),
    }
}
