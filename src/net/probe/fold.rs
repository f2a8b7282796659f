//! Folding: the policy session and the four version sessions of one
//! address become one [`ServerObservation`]: one banner, one EHLO, one
//! STARTTLS state, the best certificate, and an error only when the server
//! was never reached. Pure apart from the clock of the certificate check.

use std::net::SocketAddr;

use rustls::pki_types::{CertificateDer, UnixTime};
use tokio::time::Instant;

use super::policy::PolicyOutcome;
use super::version::SessionOutcome;
use super::{sni, ProbeConfig};
use crate::model::{
    CertSummary, Ehlo, Rejection, ServerObservation, Stage, StarttlsStatus, TlsVersion,
    VersionResult,
};

/// The address probed, and under which name.
pub(super) struct Probed {
    /// The name the address came from (`None` for a bare address).
    pub(super) host: Option<String>,
    pub(super) addr: SocketAddr,
    /// The MX preference, when the address came from an MX.
    pub(super) preference: Option<u16>,
    /// When the probe of the address began.
    pub(super) started: Instant,
}

/// The STARTTLS state from every session's EHLO: offered when any
/// positive EHLO listed it (a load balancer may mix servers), not offered
/// only when a positive EHLO was seen and none listed it, refused when a
/// session was refused, unknown when no session got a positive EHLO.
fn starttls_state(
    cfg: &ProbeConfig,
    policy: &PolicyOutcome,
    sessions: &[SessionOutcome],
) -> StarttlsStatus {
    if cfg.implicit_tls {
        return StarttlsStatus::Implicit;
    }
    // A refusal counts only when no session got past STARTTLS: a 454 on
    // one connection while another got 220 is a limit, not the answer.
    let passed = sessions.iter().any(|s| s.passed_starttls);
    if let Some(r) = sessions
        .iter()
        .find_map(|s| s.seen.starttls_refused.clone())
        .filter(|_| !passed)
    {
        return StarttlsStatus::Refused(r);
    }
    // Only a positive EHLO shows extensions (HELO after a refused EHLO
    // shows none, which says nothing about STARTTLS).
    let positive: Vec<&Ehlo> = std::iter::once(policy.seen.ehlo.as_ref())
        .chain(sessions.iter().map(|s| s.seen.ehlo.as_ref()))
        .flatten()
        .filter(|e| e.reply.is_positive_completion() && !e.used_helo)
        .collect();
    if positive
        .iter()
        .any(|e| crate::proto::smtp::reply::has_extension(&e.extensions, "STARTTLS"))
    {
        StarttlsStatus::Offered
    } else if positive.is_empty() {
        StarttlsStatus::Unknown
    } else {
        StarttlsStatus::NotOffered
    }
}

/// The observation of one address from its sessions.
pub(super) fn fold(
    cfg: &ProbeConfig,
    probed: Probed,
    policy: PolicyOutcome,
    mut sessions: Vec<SessionOutcome>,
) -> ServerObservation {
    let Probed {
        host,
        addr,
        preference,
        started,
    } = probed;
    let starttls = starttls_state(cfg, &policy, &sessions);
    let banner = policy
        .seen
        .banner
        .clone()
        .or_else(|| sessions.iter().find_map(|s| s.seen.banner.clone()));
    // The EHLO to show: a positive one first (the policy session's, then
    // any session's), else whatever came.
    let ehlo = std::iter::once(policy.seen.ehlo.clone())
        .chain(sessions.iter().map(|s| s.seen.ehlo.clone()))
        .flatten()
        .find(|e| e.reply.is_positive_completion() && !e.used_helo)
        .or_else(|| policy.seen.ehlo.clone());
    let reached = banner.is_some();
    // A stop by the run (Ctrl-C, --deadline) is not a failure of the
    // server: it leaves no error behind, only undecided results.
    let error = if reached {
        None
    } else {
        policy
            .seen
            .failure
            .or_else(|| sessions.iter().find_map(|s| s.seen.failure.clone()))
    };
    let certificate = certificate(cfg, host.as_deref(), &sessions);
    let sni = sni(host.as_deref()).map(str::to_owned);
    if sni.is_none() {
        undecided_without_sni(&mut sessions);
    }
    ServerObservation {
        host,
        address: addr,
        preference,
        banner,
        ehlo,
        starttls,
        policy: policy.policy,
        versions: sessions.into_iter().map(|s| s.probe).collect(),
        certificate,
        error,
        sni,
        elapsed: started.elapsed(),
        suites: Default::default(),
    }
}

/// RFC 6066 §3: unrecognized_name is about the SNI; without one the
/// server could not pick its certificate. That says nothing about the
/// version.
fn undecided_without_sni(sessions: &mut [SessionOutcome]) {
    for s in sessions {
        if s.probe.result
            == VersionResult::Rejected(Rejection::Alert(rustls::AlertDescription::UnrecognisedName))
        {
            s.probe.result = VersionResult::Unknown {
                stage: Stage::Handshake,
                detail: "alert unrecognized_name: the server wants a host name (SNI), and tlscheck probed by address".to_owned(),
            };
        }
    }
}

/// The observation of an address for another name that points at it: the
/// same sessions, relabelled with `host` and `preference`, the
/// certificate judged against `host`. `sni` still says what was sent.
pub fn for_name(
    seen: &ServerObservation,
    cfg: &ProbeConfig,
    host: Option<String>,
    preference: Option<u16>,
) -> ServerObservation {
    let mut o = seen.clone();
    if o.host != host {
        if let Some(c) = &mut o.certificate {
            let chain = der_chain(
                seen.version(c.from_version)
                    .map(|p| p.chain.as_slice())
                    .unwrap_or_default(),
            );
            if !chain.is_empty() {
                c.verdict = cfg
                    .verifier
                    .verdict(&chain, sni(host.as_deref()), UnixTime::now());
            }
        }
        o.host = host;
    }
    o.preference = preference;
    o
}

/// A chain as rustls takes it.
fn der_chain(chain: &[Vec<u8>]) -> Vec<CertificateDer<'_>> {
    chain
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect()
}

/// The certificate summary from the best chain: a full rustls handshake
/// first (1.2, then 1.3), else a chain from the legacy probes.
fn certificate(
    cfg: &ProbeConfig,
    host: Option<&str>,
    sessions: &[SessionOutcome],
) -> Option<CertSummary> {
    let order = [
        TlsVersion::Tls12,
        TlsVersion::Tls13,
        TlsVersion::Tls11,
        TlsVersion::Tls10,
    ];
    let now = UnixTime::now();
    let now_unix = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    // Chains from accepted versions first: a chain that came with a
    // ServerHello of another version is still a chain, but a worse witness.
    let candidates = [true, false].into_iter().flat_map(|accepted_only| {
        order.iter().filter_map(move |v| {
            sessions.iter().find(|s| {
                s.probe.version == *v
                    && !s.probe.chain.is_empty()
                    && (!accepted_only || s.probe.result.is_accepted())
            })
        })
    });
    candidates.into_iter().find_map(|s| {
        let v = &s.probe.version;
        let verdict = s.verdict.clone().unwrap_or_else(|| {
            cfg.verifier
                .verdict(&der_chain(&s.probe.chain), sni(host), now)
        });
        crate::model::cert::summarize(&s.probe.chain, verdict, *v, now_unix)
    })
}
