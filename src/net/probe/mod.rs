//! One server address: the plain-text policy session and one session per
//! TLS version, all at once within the politeness limits, folded into a
//! [`ServerObservation`].
//!
//! Each session is its own connection: connect → greeting → EHLO →
//! STARTTLS → handshake pinned to one version (→ EHLO inside TLS → QUIT).
//! What the server does is data (a [`VersionResult`]), never an `Err`.
//! The run's deadline and Ctrl-C are raced against every stage, so a stop
//! still yields a result that names the stage it cut.
//!
//! The files, in the order a probe runs:
//! - `limits`: the per-address and global connection limits, and what the
//!   sessions of one address share (throttle retries one at a time).
//! - `session`: one connection's context: its clock, its notes, and the
//!   race of every stage against the deadline and Ctrl-C.
//! - `plaintext`: the SMTP part up to TLS (connect, greeting, EHLO,
//!   STARTTLS), with the retries of a deferred connection.
//! - `policy`: the plain-text session (`MAIL FROM:<>`, never RCPT).
//! - `version`: one session per TLS version (tlscheck's own ClientHello
//!   for 1.0/1.1, rustls for 1.2/1.3, EHLO inside TLS).
//! - `wide`: the second, wide ClientHello when rustls' answer leaves the
//!   version open.
//! - `fold`: the sessions' results folded into one observation.
//! - `quickack`: socket tuning (TCP_QUICKACK) for the rustls sessions.
//! - `profile`: the cipher-suite and sender-profile hellos.
//!
//! [`VersionResult`]: crate::model::VersionResult

mod fold;
mod limits;
mod plaintext;
mod policy;
pub mod profile;
mod quickack;
mod session;
mod version;
mod wide;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use crate::model::cert::ChainVerifier;
use crate::model::{ServerObservation, TlsVersion};
use crate::net::smtp::Timeouts;

pub use fold::for_name;
pub(crate) use limits::{AddressGate, Shared};
pub(crate) use plaintext::Upto;
pub(crate) use session::Session;

use fold::Probed;
use limits::limited;
use policy::{policy_session, PolicyOutcome};
use version::{version_session, SessionOutcome};

/// How to probe: shared by every server of a run.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Name sent in EHLO.
    pub ehlo_name: String,
    /// Per-stage timeouts.
    pub timeouts: Timeouts,
    /// TLS on connect (SMTPS, port 465) instead of STARTTLS.
    pub implicit_tls: bool,
    /// Judges certificate chains.
    pub verifier: ChainVerifier,
    /// Connections open at once in the whole run.
    pub global: Arc<Semaphore>,
    /// Connections open at once to one address.
    pub per_server: usize,
    /// When the whole run must stop.
    pub deadline: Option<Instant>,
    /// Flips to true on Ctrl-C.
    pub cancel: watch::Receiver<bool>,
    /// How often a throttled session is retried.
    pub throttle_retries: u32,
    /// Wait before the first retry (doubles each time).
    pub throttle_backoff: Duration,
    /// Sender profiles and `--ciphers` (see `net::probe::profile`).
    pub suites: crate::net::probe::profile::SuiteOptions,
    /// What the sessions wait on, for the status line.
    pub status: crate::net::status::StatusBoard,
}

/// Probes one address: all sessions at once, within the limits.
pub async fn probe_server(
    cfg: &ProbeConfig,
    host: Option<String>,
    addr: SocketAddr,
    preference: Option<u16>,
) -> ServerObservation {
    let per_server = Semaphore::new(cfg.per_server.max(1));
    probe_server_limited(cfg, host, addr, preference, &per_server).await
}

/// [`probe_server`] under a per-address limit the caller holds for the
/// whole run (several names or targets may share one address).
pub async fn probe_server_limited(
    cfg: &ProbeConfig,
    host: Option<String>,
    addr: SocketAddr,
    preference: Option<u16>,
    per_server: &Semaphore,
) -> ServerObservation {
    let started = Instant::now();
    let shared = Shared::default();
    let host_ref = host.as_deref();
    // Boxed: each session's future is large, and five of them side by side
    // on a worker thread's stack overflow it in debug builds.
    let version = |v| {
        limited(
            cfg,
            per_server,
            Box::pin(version_session(cfg, addr, host_ref, &shared, v)),
        )
    };
    // The suite sessions (probe_profile) give up once these five are done
    // without any greeting: a server that never greets would otherwise
    // cost a second greeting timeout.
    let (give_up, give_up_rx) = watch::channel(false);
    let gate = AddressGate {
        permits: per_server,
        shared: &shared,
    };
    let ((policy, v10, v11, v12, v13), suites) = tokio::join!(
        async {
            let five = tokio::join!(
                limited(
                    cfg,
                    per_server,
                    Box::pin(policy_session(cfg, addr, host_ref, &shared))
                ),
                version(TlsVersion::Tls10),
                version(TlsVersion::Tls11),
                version(TlsVersion::Tls12),
                version(TlsVersion::Tls13),
            );
            let greeted = five.0.as_ref().is_some_and(|p| p.seen.banner.is_some())
                || [&five.1, &five.2, &five.3, &five.4]
                    .iter()
                    .any(|s| s.as_ref().is_some_and(|s| s.seen.banner.is_some()));
            let _ = give_up.send(!greeted);
            five
        },
        Box::pin(crate::net::probe::profile::suites(
            cfg, &gate, addr, host_ref, give_up_rx
        )),
    );
    // A session that never ran (cancelled while waiting for a permit)
    // folds as an interrupted one.
    let sessions: Vec<SessionOutcome> = [
        (TlsVersion::Tls10, v10),
        (TlsVersion::Tls11, v11),
        (TlsVersion::Tls12, v12),
        (TlsVersion::Tls13, v13),
    ]
    .into_iter()
    .map(|(v, s)| s.unwrap_or_else(|| SessionOutcome::blank(v)))
    .collect();
    let policy = policy.unwrap_or_else(PolicyOutcome::interrupted);
    let probed = Probed {
        host,
        addr,
        preference,
        started,
    };
    let mut observation = fold::fold(cfg, probed, policy, sessions);
    observation.suites = suites;
    observation
}

/// The fresh random values of one ClientHello.
pub(crate) struct HelloRandom {
    /// The hello's `random` (RFC 8446 §4.1.2).
    pub(crate) random: [u8; 32],
    /// The x25519 key share: random bytes, as no probe completes a key
    /// exchange.
    pub(crate) share: [u8; 32],
}

impl HelloRandom {
    /// Draws both from the system RNG.
    pub(crate) fn fresh() -> Self {
        let rng = rustls::crypto::ring::default_provider().secure_random;
        let mut random = [0u8; 32];
        let mut share = [0u8; 32];
        // A failing system RNG leaves zeros: harmless for a probe that never
        // completes a key exchange.
        let _ = rng.fill(&mut random);
        let _ = rng.fill(&mut share);
        Self { random, share }
    }
}

/// The name to send as SNI and to check the certificate against.
pub(crate) fn sni(host: Option<&str>) -> Option<&str> {
    host.filter(|h| h.parse::<std::net::IpAddr>().is_err())
}
