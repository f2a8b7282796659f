//! Connection limits: the per-address and global permits every session
//! holds, and what the sessions of one address share so that a server
//! limiting connections per client is not hammered (throttle retries one
//! at a time; once one session gives up, the others stop waiting).
//! No I/O of its own.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Semaphore;

use super::ProbeConfig;

/// What the sessions of one address share: throttled sessions retry one
/// at a time, so a server that limits connections per client sees fewer
/// of them at once.
#[derive(Default)]
pub(crate) struct Shared {
    /// Held by the session whose turn it is to retry.
    pub(super) retry: tokio::sync::Mutex<()>,
    /// Set when one session spent its retries: the others then report at
    /// once instead of waiting their own turns out (a server that defers
    /// every connection would otherwise cost five times the backoff).
    gave_up: AtomicBool,
}

impl Shared {
    /// Whether a session of this address has spent its retries.
    pub(super) fn gave_up(&self) -> bool {
        self.gave_up.load(Ordering::SeqCst)
    }

    /// Records that a session spent its retries.
    pub(super) fn give_up(&self) {
        self.gave_up.store(true, Ordering::SeqCst);
    }
}

/// An address's connection limit and shared state, for sessions started
/// outside the version probes (the suite and profile hellos).
pub(crate) struct AddressGate<'a> {
    /// The per-server connection limit.
    pub(crate) permits: &'a Semaphore,
    /// Throttle retries one at a time.
    pub(crate) shared: &'a Shared,
}

/// Runs `fut` holding a per-server and a global permit. `None` when the
/// run was cancelled while waiting.
pub(super) async fn limited<T>(
    cfg: &ProbeConfig,
    per_server: &Semaphore,
    fut: impl Future<Output = T>,
) -> Option<T> {
    let _p = per_server.acquire().await.ok()?;
    let _g = cfg.global.acquire().await.ok()?;
    Some(fut.await)
}
