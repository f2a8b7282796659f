//! Cipher suite enumeration for one TLS version: ClientHellos from
//! tlscheck's own codec, each on its own connection, each offering what is
//! left after removing what the server chose before, until the server
//! refuses.
//!
//! Fast: the candidates are dealt into `parallel` interleaved lists that
//! are worked down at once (the caller's connector holds the per-server
//! politeness permits); then two hellos (the accepted suites in offer
//! order and reversed) tell whether the server enforces its own order, and
//! only if it does is the accepted set ordered by a further elimination.
//!
//! Bounded: at most `max_hellos` ClientHellos per version, shared by all
//! lists; reaching the bound ends the enumeration as
//! [`ScanEnd::Bound`], with only the suites actually seen. A server that
//! picks a suite that was not offered, or one already removed, ends it as
//! [`ScanEnd::Misbehaved`]: nothing is claimed that was not seen.
//!
//! The connector does the IO (SMTP up to STARTTLS, then
//! `legacy::probe`); this module only decides what to offer next and
//! folds the answers. Nothing here prints.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::future::join_all;
use rustls::CipherSuite;

use crate::model::TlsVersion;
use crate::net::tls::legacy::LegacyOutcome;
use crate::proto::tls::suites::{CertKey, ScanEnd, ServerOrder, SuiteSeen, VersionSuites};
use crate::proto::tls::{alert_name, cipher_name};

/// Default bound of ClientHellos per version. A Debian Postfix with its
/// default cipher lists accepts 56 TLS 1.2 suites (bench/run.sh), an
/// OpenSSL server at security level 0 with `ALL` about 90; each list adds
/// one final refusal and the order test two hellos. 128 covers those and
/// still stops a server that never refuses.
pub const DEFAULT_MAX_HELLOS: usize = 128;

/// How hard the enumeration may push one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// At most this many ClientHellos for the version.
    pub max_hellos: usize,
    /// The candidates are split into this many lists worked at once.
    pub parallel: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_hellos: DEFAULT_MAX_HELLOS,
            parallel: 2,
        }
    }
}

/// What one ClientHello got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The server answered (or failed to) after the hello was sent.
    Outcome(LegacyOutcome),
    /// The hello was never sent: the connection or the SMTP part failed,
    /// or the run was stopped. The text says what happened.
    NotSent(String),
}

/// What one answer means for the enumeration.
enum Step {
    Chose(SuiteSeen),
    Refused(String),
    Stop(ScanEnd),
}

/// The leaf certificate's key and signature from a DER chain.
pub fn cert_key(chain: &[Vec<u8>]) -> Option<CertKey> {
    let leaf = chain.first()?;
    let (key_type, key_bits, signature_algorithm) = crate::model::cert::key_and_signature(leaf)?;
    Some(CertKey {
        key_type,
        key_bits,
        signature_algorithm,
    })
}

/// Interprets the answer to a hello for `version` that offered `offered`.
fn step(version: TlsVersion, offered: &[CipherSuite], answer: Answer) -> Step {
    match answer {
        Answer::NotSent(detail) => Step::Stop(ScanEnd::Incomplete(detail)),
        Answer::Outcome(outcome) => match outcome {
            LegacyOutcome::ServerHello { version: v, .. } if v != version.wire() => {
                Step::Refused(format!("answered with version 0x{v:04x}"))
            }
            LegacyOutcome::ServerHello { cipher, .. } if !offered.contains(&cipher) => {
                Step::Stop(ScanEnd::Misbehaved(format!(
                    "chose {}, which this ClientHello did not offer",
                    cipher_name(cipher)
                )))
            }
            LegacyOutcome::ServerHello {
                cipher,
                group,
                certificates,
                dh_prime_bits,
                ..
            } => Step::Chose(SuiteSeen {
                suite: cipher,
                group,
                dh_bits: dh_prime_bits,
                cert: cert_key(&certificates),
            }),
            LegacyOutcome::Alert { description, .. } => Step::Refused(alert_name(description)),
            LegacyOutcome::Closed { bytes_received: 0 } => {
                Step::Refused("closed the connection".to_owned())
            }
            LegacyOutcome::Reset(e) => Step::Refused(format!("reset the connection ({e})")),
            LegacyOutcome::Closed { bytes_received } => Step::Stop(ScanEnd::Incomplete(format!(
                "closed after {bytes_received} bytes of an incomplete reply"
            ))),
            LegacyOutcome::Timeout => Step::Stop(ScanEnd::Incomplete(
                "no answer to the ClientHello before the handshake timeout".to_owned(),
            )),
            LegacyOutcome::Malformed(e) => {
                Step::Stop(ScanEnd::Incomplete(format!("malformed reply: {e}")))
            }
            LegacyOutcome::Unexpected { message } => Step::Stop(ScanEnd::Incomplete(message)),
            LegacyOutcome::NotTls { .. } => {
                Step::Stop(ScanEnd::Incomplete("the reply was not TLS".to_owned()))
            }
        },
    }
}

/// The result of working one list down.
struct ListRun {
    chosen: Vec<SuiteSeen>,
    end: ScanEnd,
    refusal: Option<String>,
}

/// Offers `list`, removes what the server chose, and repeats until it
/// refuses, the list is empty, or the shared budget runs out.
async fn work_down<F, Fut>(
    version: TlsVersion,
    mut list: Vec<CipherSuite>,
    budget: &Budget,
    send: &F,
) -> ListRun
where
    F: Fn(Vec<CipherSuite>) -> Fut,
    Fut: Future<Output = Answer>,
{
    let mut chosen: Vec<SuiteSeen> = Vec::new();
    loop {
        if list.is_empty() {
            return ListRun {
                chosen,
                end: ScanEnd::Exhausted,
                refusal: None,
            };
        }
        if !budget.take() {
            return ListRun {
                chosen,
                end: ScanEnd::Bound { hellos: budget.max },
                refusal: None,
            };
        }
        match step(version, &list, Box::pin(send(list.clone())).await) {
            Step::Chose(seen) => {
                list.retain(|c| *c != seen.suite);
                chosen.push(seen);
            }
            Step::Refused(why) => {
                return ListRun {
                    chosen,
                    end: ScanEnd::Complete,
                    refusal: Some(why),
                }
            }
            Step::Stop(end) => {
                return ListRun {
                    chosen,
                    end,
                    refusal: None,
                }
            }
        }
    }
}

/// The per-version hello budget shared by the lists.
struct Budget {
    max: usize,
    used: AtomicUsize,
}

impl Budget {
    fn take(&self) -> bool {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| {
                (u < self.max).then_some(u + 1)
            })
            .is_ok()
    }

    fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }
}

/// The worse of two ends: anything that is not complete wins.
fn worse(a: ScanEnd, b: ScanEnd) -> ScanEnd {
    fn rank(e: &ScanEnd) -> u8 {
        match e {
            ScanEnd::Exhausted => 0,
            ScanEnd::Complete => 1,
            ScanEnd::Bound { .. } => 2,
            ScanEnd::Incomplete(_) => 3,
            ScanEnd::Misbehaved(_) => 4,
        }
    }
    if rank(&b) > rank(&a) {
        b
    } else {
        a
    }
}

/// Enumerates the suites `version` accepts among `candidates` (in offer
/// order). `send` opens a connection, sends a hello for `version` offering
/// exactly the given suites, and reports the answer.
pub async fn enumerate_version<F, Fut>(
    version: TlsVersion,
    candidates: &[CipherSuite],
    limits: Limits,
    send: F,
) -> VersionSuites
where
    F: Fn(Vec<CipherSuite>) -> Fut,
    Fut: Future<Output = Answer>,
{
    let budget = Budget {
        max: limits.max_hellos.max(1),
        used: AtomicUsize::new(0),
    };
    // Deal the candidates round-robin so every list holds strong and weak
    // suites alike.
    let k = limits.parallel.clamp(1, candidates.len().max(1));
    let mut lists: Vec<Vec<CipherSuite>> = vec![Vec::new(); k];
    for (i, c) in candidates.iter().enumerate() {
        if let Some(l) = lists.get_mut(i % k) {
            l.push(*c);
        }
    }
    let runs = join_all(
        lists
            .into_iter()
            .map(|l| work_down(version, l, &budget, &send)),
    )
    .await;
    let mut end = ScanEnd::Exhausted;
    let mut refusal = None;
    let mut seen: Vec<SuiteSeen> = Vec::new();
    for run in runs {
        end = worse(end, run.end);
        refusal = refusal.or(run.refusal);
        seen.extend(run.chosen);
    }
    // Offer order, whatever list each came from.
    seen.sort_by_key(|s| candidates.iter().position(|c| *c == s.suite));
    seen.dedup_by_key(|s| s.suite);
    let mut result = VersionSuites {
        version,
        accepted: seen,
        order: ServerOrder::Unknown,
        end,
        refusal,
        hellos: 0,
        groups: None,
    };
    if result.accepted.len() >= 2 && !matches!(result.end, ScanEnd::Misbehaved(_)) {
        order(version, &mut result, &budget, &send).await;
    }
    result.hellos = budget.used();
    result
}

/// Decides whether the server enforces its order and, if it does, puts
/// `result.accepted` in the server's order.
async fn order<F, Fut>(version: TlsVersion, result: &mut VersionSuites, budget: &Budget, send: &F)
where
    F: Fn(Vec<CipherSuite>) -> Fut,
    Fut: Future<Output = Answer>,
{
    let forward: Vec<CipherSuite> = result.accepted.iter().map(|s| s.suite).collect();
    let backward: Vec<CipherSuite> = forward.iter().rev().copied().collect();
    if !(budget.take() && budget.take()) {
        result.end = worse(result.end.clone(), ScanEnd::Bound { hellos: budget.max });
        return;
    }
    let (a, b) = futures_util::join!(
        Box::pin(send(forward.clone())),
        Box::pin(send(backward.clone()))
    );
    let (first_fwd, first_back) = match (step(version, &forward, a), step(version, &backward, b)) {
        (Step::Chose(x), Step::Chose(y)) => (x.suite, y.suite),
        (Step::Stop(end), _) | (_, Step::Stop(end)) => {
            result.end = worse(result.end.clone(), end);
            return;
        }
        // A suite accepted a moment ago refused now: a server that
        // changes its mind; do not guess an order.
        _ => {
            result.end = worse(
                result.end.clone(),
                ScanEnd::Misbehaved(
                    "refused a set of suites it had accepted one by one".to_owned(),
                ),
            );
            return;
        }
    };
    if first_fwd != first_back {
        result.order = ServerOrder::ClientOrder;
        return;
    }
    result.order = ServerOrder::Enforced;
    // The top is known; eliminate the rest in the server's order.
    let mut ordered: Vec<SuiteSeen> = Vec::new();
    let mut rest = result.accepted.clone();
    let mut pick = Some(first_fwd);
    loop {
        if let Some(p) = pick.take() {
            if let Some(i) = rest.iter().position(|s| s.suite == p) {
                ordered.push(rest.remove(i));
            } else {
                result.end = worse(
                    result.end.clone(),
                    ScanEnd::Misbehaved(format!(
                        "chose {} again after it was removed",
                        cipher_name(p)
                    )),
                );
                break;
            }
        }
        if rest.len() <= 1 {
            // The last one is last: no hello needed to know it.
            ordered.append(&mut rest);
            break;
        }
        if !budget.take() {
            result.end = worse(result.end.clone(), ScanEnd::Bound { hellos: budget.max });
            // Keep the part of the order that was seen; the rest stays
            // in offer order after it.
            result.order = ServerOrder::Unknown;
            ordered.append(&mut rest);
            break;
        }
        let offer: Vec<CipherSuite> = rest.iter().map(|s| s.suite).collect();
        match step(version, &offer, Box::pin(send(offer.clone())).await) {
            Step::Chose(s) => pick = Some(s.suite),
            Step::Refused(why) => {
                result.end = worse(
                    result.end.clone(),
                    ScanEnd::Misbehaved(format!(
                        "refused suites it had accepted one by one ({why})"
                    )),
                );
                result.order = ServerOrder::Unknown;
                ordered.append(&mut rest);
                break;
            }
            Step::Stop(end) => {
                result.end = worse(result.end.clone(), end);
                result.order = ServerOrder::Unknown;
                ordered.append(&mut rest);
                break;
            }
        }
    }
    result.accepted = ordered;
}

/// The groups a server accepts for one version, in its order of choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupScan {
    /// Groups the server chose, one hello each, in the order it chose
    /// them (its preference when it enforces one, else tlscheck's offer
    /// order).
    pub accepted: Vec<rustls::NamedGroup>,
    /// How the group enumeration ended.
    pub end: ScanEnd,
    /// ClientHellos sent for it.
    pub hellos: usize,
}

/// Enumerates the key-exchange groups the server accepts at `version`:
/// `send` offers the given groups (with suites that need one: ECDHE for
/// TLS 1.2, the TLS 1.3 suites) and reports the answer; the group the
/// server chose (ServerKeyExchange curve, key_share or HelloRetryRequest
/// group) is removed and the rest offered again until it refuses. Bounded
/// by `max_hellos`; a group that was not offered, or no group at all in a
/// ServerHello, ends it as [`ScanEnd::Misbehaved`].
pub async fn enumerate_groups<F, Fut>(
    version: TlsVersion,
    candidates: &[rustls::NamedGroup],
    max_hellos: usize,
    send: F,
) -> GroupScan
where
    F: Fn(Vec<rustls::NamedGroup>) -> Fut,
    Fut: Future<Output = Answer>,
{
    let mut left = candidates.to_vec();
    let mut accepted = Vec::new();
    let mut hellos = 0;
    let end = loop {
        if left.is_empty() {
            break ScanEnd::Exhausted;
        }
        if hellos >= max_hellos.max(1) {
            break ScanEnd::Bound { hellos };
        }
        hellos += 1;
        let answer = Box::pin(send(left.clone())).await;
        let outcome = match answer {
            Answer::NotSent(detail) => break ScanEnd::Incomplete(detail),
            Answer::Outcome(o) => o,
        };
        match outcome {
            LegacyOutcome::ServerHello { version: v, .. } if v != version.wire() => {
                break ScanEnd::Complete
            }
            LegacyOutcome::ServerHello { group: Some(g), .. } if left.contains(&g) => {
                left.retain(|x| *x != g);
                accepted.push(g);
            }
            LegacyOutcome::ServerHello { group: Some(g), .. } => {
                break ScanEnd::Misbehaved(format!(
                    "chose group {}, which this ClientHello did not offer",
                    crate::proto::tls::group_name(g)
                ))
            }
            LegacyOutcome::ServerHello { group: None, .. } => {
                break ScanEnd::Misbehaved("answered without naming a group".to_owned())
            }
            other => match step(version, &[], Answer::Outcome(other)) {
                Step::Refused(_) => break ScanEnd::Complete,
                Step::Stop(end) => break end,
                Step::Chose(_) => break ScanEnd::Misbehaved("unexpected answer".to_owned()),
            },
        }
    };
    GroupScan {
        accepted,
        end,
        hellos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tls::enums::AlertLevel;
    use rustls::AlertDescription;
    use std::sync::Mutex;

    /// A scripted server: its preference list, whether it enforces it, and
    /// a count of hellos.
    struct Scripted {
        prefs: Vec<CipherSuite>,
        enforce: bool,
        hellos: Mutex<usize>,
    }

    impl Scripted {
        fn answer(&self, offered: &[CipherSuite]) -> Answer {
            *self.hellos.lock().unwrap() += 1;
            let pick = if self.enforce {
                self.prefs.iter().find(|p| offered.contains(p)).copied()
            } else {
                offered.iter().find(|o| self.prefs.contains(o)).copied()
            };
            Answer::Outcome(match pick {
                Some(cipher) => server_hello(cipher),
                None => LegacyOutcome::Alert {
                    level: AlertLevel::Fatal,
                    description: AlertDescription::HandshakeFailure,
                },
            })
        }
    }

    fn server_hello(cipher: CipherSuite) -> LegacyOutcome {
        LegacyOutcome::ServerHello {
            version: 0x0303,
            cipher,
            group: None,
            certificates: Vec::new(),
            dh_prime_bits: None,
            cipher_was_offered: true,
            hello_retry: false,
            client_cert_requested: false,
            last_message: "ServerHelloDone",
            end: crate::net::tls::legacy::FlightEnd::Done,
        }
    }

    fn suites(n: u16) -> Vec<CipherSuite> {
        (0..n).map(|i| CipherSuite::from(0xc000 + i)).collect()
    }

    async fn run(server: &Scripted, candidates: &[CipherSuite], limits: Limits) -> VersionSuites {
        enumerate_version(TlsVersion::Tls12, candidates, limits, |offer| async move {
            server.answer(&offer)
        })
        .await
    }

    #[tokio::test]
    async fn finds_the_server_order_when_it_enforces_one() {
        let all = suites(20);
        let prefs = vec![all[7], all[2], all[15], all[0]];
        let server = Scripted {
            prefs: prefs.clone(),
            enforce: true,
            hellos: Mutex::new(0),
        };
        let r = run(&server, &all, Limits::default()).await;
        let got: Vec<_> = r.accepted.iter().map(|s| s.suite).collect();
        assert_eq!(got, prefs);
        assert_eq!(r.order, ServerOrder::Enforced);
        assert_eq!(r.end, ScanEnd::Complete);
        assert_eq!(r.refusal.as_deref(), Some("handshake_failure"));
        assert_eq!(r.hellos, *server.hellos.lock().unwrap());
    }

    #[tokio::test]
    async fn reports_offer_order_when_the_server_follows_the_client() {
        let all = suites(20);
        let server = Scripted {
            prefs: vec![all[7], all[2], all[15]],
            enforce: false,
            hellos: Mutex::new(0),
        };
        let r = run(&server, &all, Limits::default()).await;
        let got: Vec<_> = r.accepted.iter().map(|s| s.suite).collect();
        assert_eq!(got, vec![all[2], all[7], all[15]]);
        assert_eq!(r.order, ServerOrder::ClientOrder);
        assert!(r.end.is_complete());
    }

    #[tokio::test]
    async fn a_server_that_never_refuses_ends_at_the_bound() {
        // Accepts everything: with 200 candidates and a bound of 10, the
        // enumeration stops after 10 hellos and claims only what it saw.
        let all = suites(200);
        let server = Scripted {
            prefs: all.clone(),
            enforce: false,
            hellos: Mutex::new(0),
        };
        let limits = Limits {
            max_hellos: 10,
            parallel: 3,
        };
        let r = run(&server, &all, limits).await;
        assert_eq!(r.end, ScanEnd::Bound { hellos: 10 });
        assert_eq!(*server.hellos.lock().unwrap(), 10);
        assert_eq!(r.hellos, 10);
        assert!(r.accepted.len() <= 10);
    }

    #[tokio::test]
    async fn a_server_that_chooses_unoffered_suites_is_caught() {
        let all = suites(5);
        let r = enumerate_version(TlsVersion::Tls12, &all, Limits::default(), |_| async {
            Answer::Outcome(server_hello(CipherSuite::from(0x1234)))
        })
        .await;
        assert!(matches!(r.end, ScanEnd::Misbehaved(_)), "{:?}", r.end);
        assert!(r.accepted.is_empty());
    }

    #[tokio::test]
    async fn a_cycling_server_ends_at_the_bound_with_only_what_it_showed() {
        // Answers each hello with the next offered suite in a cycle: it
        // never refuses; the enumeration must stop at the bound.
        let all = suites(100);
        let counter = Mutex::new(0usize);
        let r = enumerate_version(
            TlsVersion::Tls12,
            &all,
            Limits {
                max_hellos: 16,
                parallel: 1,
            },
            |offer| {
                let mut n = counter.lock().unwrap();
                *n += 1;
                let pick = offer[*n % offer.len()];
                async move { Answer::Outcome(server_hello(pick)) }
            },
        )
        .await;
        assert_eq!(r.end, ScanEnd::Bound { hellos: 16 });
        assert!(r.accepted.len() <= 16);
    }

    #[tokio::test]
    async fn a_timeout_makes_the_list_incomplete_not_refused() {
        let all = suites(5);
        let r = enumerate_version(TlsVersion::Tls12, &all, Limits::default(), |_| async {
            Answer::Outcome(LegacyOutcome::Timeout)
        })
        .await;
        assert!(matches!(r.end, ScanEnd::Incomplete(_)));
        assert!(r.refusal.is_none());
    }

    #[tokio::test]
    async fn groups_are_listed_until_the_server_refuses() {
        use rustls::NamedGroup as G;
        let supported = [G::secp384r1, G::X25519];
        let r = enumerate_groups(
            TlsVersion::Tls12,
            &[G::X25519, G::secp256r1, G::secp384r1],
            16,
            |offer| async move {
                Answer::Outcome(match supported.iter().find(|g| offer.contains(g)) {
                    Some(g) => LegacyOutcome::ServerHello {
                        version: 0x0303,
                        cipher: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                        group: Some(*g),
                        certificates: Vec::new(),
                        dh_prime_bits: None,
                        cipher_was_offered: true,
                        hello_retry: false,
                        client_cert_requested: false,
                        last_message: "ServerHelloDone",
                        end: crate::net::tls::legacy::FlightEnd::Done,
                    },
                    None => LegacyOutcome::Alert {
                        level: AlertLevel::Fatal,
                        description: AlertDescription::HandshakeFailure,
                    },
                })
            },
        )
        .await;
        assert_eq!(r.accepted, vec![G::secp384r1, G::X25519]);
        assert_eq!(r.end, ScanEnd::Complete);
        assert_eq!(r.hellos, 3);
    }

    #[tokio::test]
    async fn a_group_never_offered_stops_the_group_scan() {
        let r = enumerate_groups(
            TlsVersion::Tls12,
            &[rustls::NamedGroup::X25519],
            16,
            |_| async {
                Answer::Outcome(LegacyOutcome::ServerHello {
                    version: 0x0303,
                    cipher: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                    group: Some(rustls::NamedGroup::secp521r1),
                    certificates: Vec::new(),
                    dh_prime_bits: None,
                    cipher_was_offered: true,
                    hello_retry: false,
                    client_cert_requested: false,
                    last_message: "ServerHelloDone",
                    end: crate::net::tls::legacy::FlightEnd::Done,
                })
            },
        )
        .await;
        assert!(matches!(r.end, ScanEnd::Misbehaved(_)));
        assert!(r.accepted.is_empty());
    }
}
