//! One probe per address and port for the whole run, shared by every name,
//! target and `--input` line that leads to it, under a per-address
//! connection limit.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use futures_util::future::{BoxFuture, FutureExt, Shared};
use tokio::sync::Semaphore;

use super::plan::PlannedServer;
use crate::model::ServerObservation;
use crate::net::probe::{for_name, probe_server, probe_server_limited, ProbeConfig};

/// A probe that every name pointing at its address awaits.
type SharedProbe = Shared<BoxFuture<'static, ServerObservation>>;

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
pub struct Probes {
    /// Finished or running probes by (address, implicit TLS).
    running: Mutex<HashMap<(SocketAddr, bool), SharedProbe>>,
    /// The per-server connection limit of each IP address.
    limits: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

impl Probes {
    /// The observation of `addr`, probing it if this run has not yet.
    pub async fn get(
        &self,
        cfg: &Arc<ProbeConfig>,
        host: Option<String>,
        addr: SocketAddr,
        preference: Option<u16>,
    ) -> ServerObservation {
        let shared = {
            let Ok(mut running) = self.running.lock() else {
                return probe_server(cfg, host, addr, preference).await;
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
        for_name(&seen, cfg, host, preference)
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

/// Probes every (host, address, preference) at once, in a stable order.
pub async fn probe_all(
    probe_cfg: &Arc<ProbeConfig>,
    probes: &Probes,
    list: Vec<PlannedServer>,
) -> Vec<ServerObservation> {
    let futures = list
        .into_iter()
        .map(|s| probes.get(probe_cfg, s.host, s.address, s.preference));
    let mut servers: Vec<ServerObservation> = futures_util::future::join_all(futures).await;
    servers.sort_by(|a, b| {
        a.preference
            .cmp(&b.preference)
            .then_with(|| a.host.cmp(&b.host))
            .then_with(|| a.address.cmp(&b.address))
    });
    servers
}
