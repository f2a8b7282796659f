//! The listening socket: the certificate tlscheck presents, the rustls
//! server configuration, and the accept loop that runs sessions and hands
//! each finished [`SenderSession`] to the caller.
//!
//! No printing: the caller decides what to do with each session. The
//! session itself lives in `listen::session`.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::{ListenError, Result};
use crate::model::listen::SenderSession;

/// Sessions served at once; further senders wait in the accept backlog.
pub const MAX_SESSIONS: usize = 16;

/// How long to pause after a failed `accept` (out of file descriptors…)
/// before trying again, so a persistent error cannot spin.
const ACCEPT_RETRY: Duration = Duration::from_millis(200);

/// The certificate chain and key the listener presents.
#[derive(Debug)]
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    self_signed: bool,
}

impl ServerIdentity {
    /// A self-signed ECDSA P-256 certificate for `name`, made now. Senders
    /// using opportunistic TLS (Exchange's default, Postfix `may`) do not
    /// check it.
    pub fn self_signed(name: &str) -> Result<ServerIdentity> {
        let made = rcgen::generate_simple_self_signed(vec![name.to_owned()])
            .map_err(|e| ListenError::Identity(format!("making a certificate for {name}: {e}")))?;
        Ok(ServerIdentity {
            chain: vec![made.cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der())),
            self_signed: true,
        })
    }

    /// The chain (leaf first) and private key from PEM text.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<ServerIdentity> {
        let chain: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut &*cert_pem)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| ListenError::Identity(format!("reading the certificate PEM: {e}")))?;
        if chain.is_empty() {
            return Err(ListenError::Identity(
                "no -----BEGIN CERTIFICATE----- block in the certificate file".to_owned(),
            ));
        }
        let key = rustls_pemfile::private_key(&mut &*key_pem)
            .map_err(|e| ListenError::Identity(format!("reading the key PEM: {e}")))?
            .ok_or_else(|| {
                ListenError::Identity(
                    "no private key (PKCS#8, PKCS#1 or SEC1 PEM) in the key file".to_owned(),
                )
            })?;
        Ok(ServerIdentity {
            chain,
            key,
            self_signed: false,
        })
    }

    /// True when tlscheck made the certificate itself.
    pub fn is_self_signed(&self) -> bool {
        self.self_signed
    }
}

/// What every session needs: names, the TLS configuration, timeouts.
#[derive(Debug, Clone)]
pub struct SessionSetup {
    /// The name in the greeting and the EHLO reply.
    pub hostname: String,
    /// The rustls server configuration (TLS 1.2 and 1.3).
    pub tls: Arc<ServerConfig>,
    /// Per-stage timeout: each command, the ClientHello, the handshake.
    /// The whole session gets [`super::session::SESSION_BUDGET_STAGES`]
    /// times as much.
    pub timeout: Duration,
}

impl SessionSetup {
    /// Builds the rustls configuration for `identity`: TLS 1.2 and 1.3,
    /// every cipher suite and group of rustls' ring provider, no client
    /// certificate asked for, no session tickets.
    pub fn new(
        hostname: String,
        identity: ServerIdentity,
        timeout: Duration,
    ) -> Result<SessionSetup> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
            .map_err(|e| ListenError::Identity(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(identity.chain, identity.key)
            .map_err(|e| ListenError::Identity(format!("certificate and key: {e}")))?;
        // A test session ends after one message; tickets would only make
        // the sender wait for them.
        config.send_tls13_tickets = 0;
        Ok(SessionSetup {
            hostname,
            tls: Arc::new(config),
            timeout,
        })
    }
}

/// When to stop serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// Stop after the first session in which the sender said anything
    /// (empty sessions are still handed over, and serving goes on).
    pub once: bool,
    /// Stop accepting after this long (`None`: until cancelled). Sessions
    /// under way finish.
    pub wait: Option<Duration>,
}

/// Why serving stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeEnd {
    /// `once` was set and a session with a sender ended.
    Once,
    /// `wait` ran out.
    WaitElapsed,
    /// The cancel signal (Ctrl-C) arrived; sessions under way were
    /// dropped unreported.
    Cancelled,
}

/// A bound listener.
#[derive(Debug)]
pub struct Listener {
    socket: TcpListener,
    setup: Arc<SessionSetup>,
}

impl Listener {
    /// Binds `addr` (port 0 picks a free port; see [`Listener::local_addr`]).
    pub async fn bind(addr: SocketAddr, setup: SessionSetup) -> Result<Listener> {
        let socket = TcpListener::bind(addr)
            .await
            .map_err(|error| ListenError::Bind { addr, error })?;
        Ok(Listener {
            socket,
            setup: Arc::new(setup),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.socket.local_addr().map_err(ListenError::LocalAddr)
    }

    /// Serves sessions, at most [`MAX_SESSIONS`] at once, until `opts` or
    /// `cancel` says stop. `on_session` sees every session as it ends, in
    /// the order they end.
    pub async fn serve(
        &self,
        opts: ServeOptions,
        mut cancel: watch::Receiver<bool>,
        on_session: &mut (dyn FnMut(SenderSession) + Send),
    ) -> ServeEnd {
        let slots = Arc::new(Semaphore::new(MAX_SESSIONS));
        let mut running: JoinSet<SenderSession> = JoinSet::new();
        let wait_until = opts.wait.map(|w| tokio::time::Instant::now() + w);
        let wait_elapsed = async {
            match wait_until {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(wait_elapsed);
        let mut accepting = true;
        let mut stopped_by: Option<ServeEnd> = None;
        loop {
            if !accepting && running.is_empty() {
                return stopped_by.unwrap_or(ServeEnd::WaitElapsed);
            }
            tokio::select! {
                Ok(()) = cancel.changed() => {
                    if *cancel.borrow() {
                        running.abort_all();
                        return ServeEnd::Cancelled;
                    }
                }
                () = &mut wait_elapsed, if accepting => {
                    accepting = false;
                    stopped_by = Some(ServeEnd::WaitElapsed);
                }
                accepted = accept_with_slot(&self.socket, &slots), if accepting => {
                    match accepted {
                        Ok((stream, peer, permit)) => {
                            let setup = self.setup.clone();
                            running.spawn(async move {
                                let s = super::session::session(stream, peer, &setup).await;
                                drop(permit);
                                s
                            });
                        }
                        Err(_) => tokio::time::sleep(ACCEPT_RETRY).await,
                    }
                }
                Some(done) = running.join_next(), if !running.is_empty() => {
                    // A session task can only end by returning (it does not
                    // panic by design) or by abort, which happens only above.
                    if let Ok(session) = done {
                        let counts = !session.is_empty();
                        on_session(session);
                        if opts.once && counts {
                            running.abort_all();
                            return ServeEnd::Once;
                        }
                    }
                }
            }
        }
    }
}

/// Waits for a free session slot, then for a connection.
async fn accept_with_slot(
    socket: &TcpListener,
    slots: &Arc<Semaphore>,
) -> std::io::Result<(
    tokio::net::TcpStream,
    SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let permit = slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let (stream, peer) = socket.accept().await?;
    Ok((stream, peer, permit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_identity_builds_a_tls_configuration() {
        let id = ServerIdentity::self_signed("listener.example.test").unwrap();
        assert!(id.is_self_signed());
        let setup =
            SessionSetup::new("listener.example.test".into(), id, Duration::from_secs(5)).unwrap();
        assert_eq!(setup.tls.send_tls13_tickets, 0);
    }

    #[test]
    fn pem_identity_round_trips_and_rejects_files_without_blocks() {
        let made = rcgen::generate_simple_self_signed(vec!["a.example.test".to_owned()]).unwrap();
        let cert = made.cert.pem();
        let key = made.signing_key.serialize_pem();
        let id = ServerIdentity::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
        assert!(!id.is_self_signed());
        assert!(SessionSetup::new("a".into(), id, Duration::from_secs(1)).is_ok());
        assert!(matches!(
            ServerIdentity::from_pem(b"not pem", key.as_bytes()),
            Err(ListenError::Identity(_))
        ));
        assert!(matches!(
            ServerIdentity::from_pem(cert.as_bytes(), cert.as_bytes()),
            Err(ListenError::Identity(_))
        ));
    }

    #[test]
    fn certificate_with_a_key_of_another_certificate_is_refused() {
        let a = rcgen::generate_simple_self_signed(vec!["a.test".to_owned()]).unwrap();
        let b = rcgen::generate_simple_self_signed(vec!["b.test".to_owned()]).unwrap();
        let id = ServerIdentity::from_pem(
            a.cert.pem().as_bytes(),
            b.signing_key.serialize_pem().as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            SessionSetup::new("a".into(), id, Duration::from_secs(1)),
            Err(ListenError::Identity(_))
        ));
    }
}
