//! A check run, the pipeline: every target at once (bounded), each
//! resolved and planned (`plan`), its addresses probed once per run
//! (`probes`), its observations diagnosed. Finished targets are handed to a
//! callback as they complete (NDJSON streams them); the returned
//! [`RunReport`] lists them in command-line order.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::plan::plan;
use super::probes::{probe_all, Probes};
use crate::cli::{FailOn, Format};
use crate::clock::now_rfc3339;
use crate::command::check::config::Config;
use crate::diagnose::verdict::Verdict;
use crate::exit::ExitStatus;
use crate::model::cert::{root_store, ChainVerifier};
use crate::model::dns::DnsError;
use crate::model::outcome::{DnsSection, Origin, TargetMode};
use crate::model::policy::PolicyObservation;
use crate::model::ServerObservation;
use crate::net::dns::{Dns, DnsOptions, IpFamilies, ResolverChoice};
use crate::net::policy::lookup::PolicyContext;
use crate::net::probe::ProbeConfig;
use crate::proto::target::Target;
use crate::report::outcome::{RunReport, TargetReport};

/// The SMTPS port (implicit TLS, RFC 8314 §3.3).
const SMTPS_PORT: u16 = 465;
/// How often a throttled session is retried, and the first wait.
const THROTTLE_RETRIES: u32 = 2;
const THROTTLE_BACKOFF: Duration = Duration::from_secs(2);

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The certificate verifier could not be built.
    #[error("setting up certificate verification: {0}")]
    Verifier(String),
}

/// What every target of a run shares: the probe settings, the resolver,
/// the policy lookups and the probes already made.
struct RunContext {
    cfg: Arc<Config>,
    probe_cfg: Arc<ProbeConfig>,
    dns: Result<Dns, DnsError>,
    policy_ctx: Option<PolicyContext>,
    probes: Probes,
}

impl RunContext {
    fn new(cfg: Arc<Config>, cancel: watch::Receiver<bool>) -> Result<Self, RunError> {
        let verifier = ChainVerifier::new(root_store(&cfg.extra_roots))
            .map_err(|e| RunError::Verifier(e.to_string()))?;
        let probe_cfg = Arc::new(ProbeConfig {
            ehlo_name: cfg.ehlo_name.clone(),
            timeouts: cfg.timeouts,
            implicit_tls: cfg.implicit_tls,
            verifier,
            global: Arc::new(Semaphore::new(cfg.max_connections)),
            per_server: cfg.per_server,
            deadline: cfg.deadline.map(|d| Instant::now() + d),
            cancel,
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
        Ok(Self {
            dns: Dns::new(&dns_options),
            policy_ctx: policy_context(&cfg, &dns_options),
            cfg,
            probe_cfg,
            probes: Probes::default(),
        })
    }
}

/// Runs the check. `on_done` sees each target when it finishes.
pub async fn run(
    cfg: Arc<Config>,
    cancel: watch::Receiver<bool>,
    on_done: &mut (dyn FnMut(&TargetReport) + Send),
) -> Result<RunReport, RunError> {
    let started_at = now_rfc3339();
    let ctx = Arc::new(RunContext::new(cfg.clone(), cancel.clone())?);
    let deadline = ctx.probe_cfg.deadline;
    let targets = check_all(&ctx, on_done).await;
    let cancelled = *cancel.borrow();
    let deadline_passed = deadline.is_some_and(|d| Instant::now() >= d);
    let verdicts: Vec<Verdict> = targets.iter().map(|t| t.verdict).collect();
    let exit = crate::exit::for_run(&verdicts, cfg.fail_on == FailOn::Warning, cancelled);
    // A bad line in the target list: the rest was checked, the exit says 2.
    let exit = if cfg.invalid.is_empty() || cancelled {
        exit
    } else {
        ExitStatus::Usage
    };
    Ok(RunReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        started_at,
        finished_at: now_rfc3339(),
        interrupted: cancelled || deadline_passed,
        exit,
        targets,
        invalid: cfg.invalid.clone(),
        origin: Origin::default(),
    })
}

/// Checks every target, at most `--max-connections` at once, and returns
/// them in command-line order.
async fn check_all(
    ctx: &Arc<RunContext>,
    on_done: &mut (dyn FnMut(&TargetReport) + Send),
) -> Vec<TargetReport> {
    // Bound the targets in flight too, so a batch of thousands neither
    // starts thousands of DNS queries at once nor keeps thousands of
    // finished results waiting: a new target starts when one finishes.
    let limit = ctx.cfg.max_connections.max(1);
    // NDJSON has written every target as it finished; keep only what the
    // exit code needs, so memory stays flat over a long batch.
    let keep_details = ctx.cfg.format != Format::Ndjson;
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
    for (i, (input, target)) in ctx.cfg.targets.iter().cloned().enumerate() {
        while set.len() >= limit {
            if let Some(joined) = set.join_next().await {
                finish(joined, &mut done);
            }
        }
        let ctx = Arc::clone(ctx);
        set.spawn(async move { (i, check_target(&ctx, input, target).await) });
    }
    while let Some(joined) = set.join_next().await {
        finish(joined, &mut done);
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
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
) -> Option<PolicyObservation> {
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

/// One target: resolve, plan and probe, alongside its policy lookups, then
/// diagnose.
async fn check_target(ctx: &RunContext, input: String, target: Target) -> TargetReport {
    // The policy lookups (DNSSEC, TLSA, MTA-STS, TLS-RPT) run alongside
    // the MX lookup and the probes; DANE is matched once both are done.
    let policy = policy_lookup(
        &ctx.probe_cfg,
        ctx.policy_ctx.as_ref(),
        &target,
        ctx.cfg.host_mode,
    );
    let probed = resolve_and_probe(ctx, &target);
    let ((mode, dns_section, servers), policy) = tokio::join!(probed, policy);
    finish_target(&ctx.cfg, input, mode, dns_section, servers, policy)
}

/// Resolves the target and probes its servers.
async fn resolve_and_probe(
    ctx: &RunContext,
    target: &Target,
) -> (TargetMode, Option<DnsSection>, Vec<ServerObservation>) {
    let planned = plan(&ctx.cfg, &ctx.dns, target).await;
    // Port 465 is SMTPS (RFC 8314): TLS on connect, whether the port came
    // from --port or from the target itself.
    let smtps;
    let probe_cfg = if !ctx.probe_cfg.implicit_tls
        && planned
            .servers
            .iter()
            .any(|s| s.address.port() == SMTPS_PORT)
    {
        smtps = Arc::new(ProbeConfig {
            implicit_tls: true,
            ..ProbeConfig::clone(&ctx.probe_cfg)
        });
        &smtps
    } else {
        &ctx.probe_cfg
    };
    let servers = probe_all(probe_cfg, &ctx.probes, planned.servers).await;
    (planned.mode, planned.dns, servers)
}

/// Findings, verdict and summary of a probed target.
fn finish_target(
    cfg: &Config,
    input: String,
    mode: TargetMode,
    dns_section: Option<DnsSection>,
    servers: Vec<ServerObservation>,
    policy: Option<PolicyObservation>,
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
