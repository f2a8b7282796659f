//! The suite sessions of one server: one ClientHello per sender profile
//! (Microsoft 365 always; others with `--profile`) and, with `--ciphers`,
//! the enumeration of every version's suites. Each hello runs on its own
//! connection (connect → greeting → EHLO → STARTTLS, as the version
//! sessions do, through `probe::Session`), holding a per-server and a
//! global permit, and stops at the server's first flight
//! (`legacy::probe`): no handshake is completed, no mail is sent.
//!
//! What the server does is data ([`ProfileOutcome`], [`VersionSuites`]);
//! nothing here prints or judges.

use std::net::SocketAddr;
use std::time::Instant;

use rustls::{CipherSuite, NamedGroup};
use tokio::sync::watch;

use crate::model::{Stage, TlsVersion};
use crate::net::probe::{sni, AddressGate, HelloRandom, ProbeConfig, Session, Upto};
use crate::net::tls::enumerate::{cert_key, enumerate_groups, enumerate_version, Answer, Limits};
use crate::net::tls::legacy::{self, FlightEnd, LegacyOutcome};
use crate::proto::tls::client_hello::{
    ClientHello, HelloShape, LEGACY_GROUPS, SIGNATURE_SCHEMES, TLS13_GROUPS,
};
use crate::proto::tls::profiles::{Profile, MICROSOFT365};
use crate::proto::tls::suites::{
    candidates, key_exchange, CipherScan, GroupList, KeyExchange, ProfileCheck, ProfileOutcome,
    SuiteObservation, VersionSuites,
};
use crate::proto::tls::{alert_name, cipher_name};

/// Groups tried at TLS 1.2 (for ECDHE): the curves of RFC 8422 and RFC
/// 7748 that TLS 1.2 servers use.
const SCAN_GROUPS_TLS12: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
    NamedGroup::secp521r1,
    NamedGroup::X448,
];

/// Groups tried at TLS 1.3 (RFC 8446 §4.2.7): the curves, the RFC 7919
/// FFDHE groups and the ML-KEM hybrids. tlscheck sends an x25519 key
/// share only; a server preferring another group answers with a
/// HelloRetryRequest naming it, which is enough.
const SCAN_GROUPS_TLS13: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
    NamedGroup::secp521r1,
    NamedGroup::X448,
    NamedGroup::FFDHE2048,
    NamedGroup::FFDHE3072,
    NamedGroup::FFDHE4096,
    NamedGroup::FFDHE6144,
    NamedGroup::FFDHE8192,
    NamedGroup::X25519MLKEM768,
    NamedGroup::secp256r1MLKEM768,
];

/// Bound of ClientHellos for one version's groups.
const MAX_GROUP_HELLOS: usize = 16;

/// What the suite sessions do for every server of a run.
#[derive(Clone, Debug)]
pub struct SuiteOptions {
    /// Profiles to try, one ClientHello each (Microsoft 365 by default).
    pub profiles: Vec<&'static Profile>,
    /// Enumerate every version's suites (`--ciphers`).
    pub scan: bool,
    /// Bounds of the enumeration.
    pub limits: Limits,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        Self {
            profiles: vec![&MICROSOFT365],
            scan: false,
            limits: Limits::default(),
        }
    }
}

/// Why a suite session was not tried: the server's other sessions all
/// ended before any greeting.
const GAVE_UP: &str = "not tried: no session of this server got a greeting";

/// Sends `hello` on a fresh connection to `addr` (after STARTTLS unless
/// TLS is implicit), holding a per-server and a global permit. Gives up
/// (without a verdict) as soon as `give_up` turns true.
async fn send_hello(
    cfg: &ProbeConfig,
    per_server: &AddressGate<'_>,
    addr: SocketAddr,
    host: Option<&str>,
    hello: &ClientHello,
    give_up: &watch::Receiver<bool>,
) -> Answer {
    let mut give_up = give_up.clone();
    let stop = async move {
        // A dropped sender means nobody will ask us to stop.
        if give_up.wait_for(|g| *g).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        biased;
        // After Ctrl-C the five sessions end without a greeting too: say
        // what really stopped it, whichever came first.
        () = stop => Answer::NotSent(if *cfg.cancel.borrow() {
            crate::model::VersionResult::NotTested(crate::model::NotTested::Interrupted)
                .to_string()
        } else {
            GAVE_UP.to_owned()
        }),
        a = send_hello_now(cfg, per_server, addr, host, hello) => a,
    }
}

async fn send_hello_now(
    cfg: &ProbeConfig,
    per_server: &AddressGate<'_>,
    addr: SocketAddr,
    host: Option<&str>,
    hello: &ClientHello,
) -> Answer {
    let Ok(_p) = per_server.permits.acquire().await else {
        return Answer::NotSent("interrupted".to_owned());
    };
    let Ok(_g) = cfg.global.acquire().await else {
        return Answer::NotSent("interrupted".to_owned());
    };
    let mut session = Session::new(cfg, addr, host, per_server.shared);
    let ready = match session.smtp_until_tls(Upto::for_tls(cfg)).await {
        Ok(r) => r,
        Err(nr) => return Answer::NotSent(nr.result.to_string()),
    };
    let Some(mut stream) = ready.stream else {
        return Answer::NotSent("internal: no socket after STARTTLS".to_owned());
    };
    match session
        .stage(
            Stage::Handshake,
            legacy::probe(&mut stream, hello, cfg.timeouts.handshake),
        )
        .await
    {
        Ok(outcome) => Answer::Outcome(outcome),
        Err(_) => Answer::NotSent("the run's deadline passed or it was interrupted".to_owned()),
    }
}

/// The hello a profile sends.
fn profile_hello(profile: &Profile, host: Option<&str>) -> ClientHello {
    let HelloRandom { random, share } = HelloRandom::fresh();
    let tls13 = profile.suites(TlsVersion::Tls13);
    let tls12 = profile.suites(TlsVersion::Tls12);
    let suites: Vec<CipherSuite> = [tls13, tls12].concat();
    let shape = HelloShape {
        cipher_suites: &suites,
        groups: profile.groups,
        signature_schemes: profile.signature_schemes,
    };
    if !tls13.is_empty() && !tls12.is_empty() {
        ClientHello::with_suites_tls13_and_12(sni(host), &shape, random, share)
    } else if !tls13.is_empty() {
        ClientHello::with_suites(TlsVersion::Tls13, sni(host), &shape, random, share)
    } else {
        ClientHello::with_suites(TlsVersion::Tls12, sni(host), &shape, random, share)
    }
}

/// Maps the answer to a profile's hello onto a [`ProfileOutcome`].
pub fn profile_outcome(profile: &Profile, hello: &ClientHello, answer: Answer) -> ProfileOutcome {
    let outcome = match answer {
        Answer::NotSent(detail) => return ProfileOutcome::Inconclusive { detail },
        Answer::Outcome(o) => o,
    };
    match outcome {
        LegacyOutcome::ServerHello {
            version,
            cipher,
            group,
            certificates,
            dh_prime_bits,
            end,
            last_message,
            ..
        } => {
            // The server must finish its side for the suite to count as
            // negotiated (issue 11): an alert or close inside the flight is
            // a refusal, a timeout decides nothing.
            match &end {
                FlightEnd::Done | FlightEnd::Tls13 => {}
                FlightEnd::Alert(a) => {
                    return ProfileOutcome::Refused {
                        detail: format!("alert {} after its {last_message}", alert_name(*a)),
                    }
                }
                FlightEnd::Closed | FlightEnd::Reset(_) => {
                    return ProfileOutcome::Refused {
                        detail: format!("closed the connection after its {last_message}"),
                    }
                }
                FlightEnd::Timeout => {
                    return ProfileOutcome::Inconclusive {
                        detail: format!(
                            "no complete first flight before the handshake timeout (stopped after its {last_message})"
                        ),
                    }
                }
                FlightEnd::Malformed(e) => {
                    return ProfileOutcome::Inconclusive {
                        detail: format!("malformed reply after its {last_message}: {e}"),
                    }
                }
            }
            let Some(v) = TlsVersion::from_wire(version).filter(|v| profile.versions.contains(v))
            else {
                return ProfileOutcome::Refused {
                    detail: format!(
                        "answered with version 0x{version:04x}, which this sender does not offer"
                    ),
                };
            };
            if !hello.cipher_suites.contains(&cipher) {
                return ProfileOutcome::Inconclusive {
                    detail: format!(
                        "the server chose {}, which the hello did not offer",
                        cipher_name(cipher)
                    ),
                };
            }
            ProfileOutcome::Negotiated {
                version: v,
                suite: crate::proto::tls::suites::SuiteSeen {
                    suite: cipher,
                    group,
                    dh_bits: dh_prime_bits,
                    cert: cert_key(&certificates),
                },
            }
        }
        LegacyOutcome::Alert { description, .. } => ProfileOutcome::Refused {
            detail: format!("alert {}", alert_name(description)),
        },
        LegacyOutcome::Closed { bytes_received: 0 } => ProfileOutcome::Refused {
            detail: "closed the connection without a ServerHello".to_owned(),
        },
        LegacyOutcome::Reset(e) => ProfileOutcome::Refused {
            detail: format!("reset the connection without a ServerHello ({e})"),
        },
        LegacyOutcome::Closed { bytes_received } => ProfileOutcome::Inconclusive {
            detail: format!("closed after {bytes_received} bytes of an incomplete reply"),
        },
        LegacyOutcome::Timeout => ProfileOutcome::Inconclusive {
            detail: "no answer to the ClientHello before the handshake timeout".to_owned(),
        },
        LegacyOutcome::Malformed(e) => ProfileOutcome::Inconclusive {
            detail: format!("malformed reply: {e}"),
        },
        LegacyOutcome::Unexpected { message } => ProfileOutcome::Inconclusive { detail: message },
        LegacyOutcome::NotTls { .. } => ProfileOutcome::Inconclusive {
            detail: "the reply was not TLS".to_owned(),
        },
    }
}

/// One profile's ClientHello against one server.
pub(crate) async fn check_profile(
    cfg: &ProbeConfig,
    per_server: &AddressGate<'_>,
    addr: SocketAddr,
    host: Option<&str>,
    profile: &'static Profile,
    give_up: &watch::Receiver<bool>,
) -> ProfileCheck {
    let hello = profile_hello(profile, host);
    let answer = send_hello(cfg, per_server, addr, host, &hello, give_up).await;
    ProfileCheck {
        profile: profile.id,
        outcome: profile_outcome(profile, &hello, answer),
    }
}

/// The enumeration of every version's suites on one server.
pub(crate) async fn scan(
    cfg: &ProbeConfig,
    per_server: &AddressGate<'_>,
    addr: SocketAddr,
    host: Option<&str>,
    limits: Limits,
    give_up: &watch::Receiver<bool>,
) -> CipherScan {
    let started = Instant::now();
    let one = |version: TlsVersion| async move {
        let list = candidates(version);
        let groups = match version {
            TlsVersion::Tls13 => TLS13_GROUPS,
            _ => LEGACY_GROUPS,
        };
        let suites = enumerate_version(
            version,
            &list,
            limits,
            |offer: Vec<CipherSuite>| async move {
                let HelloRandom { random, share } = HelloRandom::fresh();
                let shape = HelloShape {
                    cipher_suites: &offer,
                    groups,
                    signature_schemes: SIGNATURE_SCHEMES,
                };
                let hello = ClientHello::with_suites(version, sni(host), &shape, random, share);
                send_hello(cfg, per_server, addr, host, &hello, give_up).await
            },
        );
        // The groups at once, beside the suites: TLS 1.2 with every ECDHE
        // suite (a curve is then the only way to agree), TLS 1.3 with its
        // suites.
        let group_suites: Vec<CipherSuite> = match version {
            TlsVersion::Tls13 => list.clone(),
            _ => list
                .iter()
                .copied()
                .filter(|c| key_exchange(*c) == KeyExchange::Ecdhe)
                .collect(),
        };
        let group_candidates = match version {
            TlsVersion::Tls13 => SCAN_GROUPS_TLS13,
            _ => SCAN_GROUPS_TLS12,
        };
        let group_suites = &group_suites;
        let groups = async move {
            if version < TlsVersion::Tls12 {
                return None;
            }
            let g = enumerate_groups(
                version,
                group_candidates,
                MAX_GROUP_HELLOS,
                |offer| async move {
                    let HelloRandom { random, share } = HelloRandom::fresh();
                    let shape = HelloShape {
                        cipher_suites: group_suites,
                        groups: &offer,
                        signature_schemes: SIGNATURE_SCHEMES,
                    };
                    let hello = ClientHello::with_suites(version, sni(host), &shape, random, share);
                    send_hello(cfg, per_server, addr, host, &hello, give_up).await
                },
            )
            .await;
            Some(GroupList {
                accepted: g.accepted,
                end: g.end,
                hellos: g.hellos,
            })
        };
        let (mut suites, groups) = tokio::join!(Box::pin(suites), Box::pin(groups));
        suites.groups = groups;
        suites
    };
    // Boxed: four enumerations in one future would be too large for a
    // thread's stack in debug builds.
    let (v10, v11, v12, v13) = tokio::join!(
        Box::pin(one(TlsVersion::Tls10)),
        Box::pin(one(TlsVersion::Tls11)),
        Box::pin(one(TlsVersion::Tls12)),
        Box::pin(one(TlsVersion::Tls13))
    );
    let versions: Vec<VersionSuites> = vec![v10, v11, v12, v13];
    CipherScan {
        versions,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// Everything [`SuiteOptions`] asks for, on one server: the profiles and
/// the enumeration at once, within `per_server`. `give_up` turns true when
/// the server's other sessions ended without a greeting: the sessions not
/// yet done then end as "not tried".
pub(crate) async fn suites(
    cfg: &ProbeConfig,
    per_server: &AddressGate<'_>,
    addr: SocketAddr,
    host: Option<&str>,
    give_up: watch::Receiver<bool>,
) -> SuiteObservation {
    let give_up = &give_up;
    let opts = &cfg.suites;
    let profiles = futures_util::future::join_all(
        opts.profiles
            .iter()
            .map(|p| Box::pin(check_profile(cfg, per_server, addr, host, p, give_up))),
    );
    let scan = async {
        if opts.scan {
            Some(Box::pin(scan(cfg, per_server, addr, host, opts.limits, give_up)).await)
        } else {
            None
        }
    };
    let (profiles, scan) = tokio::join!(profiles, scan);
    SuiteObservation { profiles, scan }
}
