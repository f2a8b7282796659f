//! DNSSEC-validated lookups: tlscheck validates the answers itself with
//! hickory's DNSSEC support (RFC 4033–4035), never trusting a resolver's
//! AD bit. Each answer comes back with a [`DnssecStatus`].
//!
//! The trust anchor is the root's built-in KSKs, or the DS/DNSKEY records
//! of `--trust-anchor FILE` (an island of security such as a private test
//! zone). A DS anchor is turned into the zone's DNSKEY by fetching the
//! DNSKEY set and keeping the keys whose digest matches. Network IO only;
//! no printing, and a failure is an outcome.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError, NoRecords};
use hickory_resolver::proto::dnssec::rdata::DNSSECRData;
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use hickory_resolver::TokioResolver;

use crate::model::policy::{Answer, DnssecStatus, Validated};
use crate::net::dns::{self, DnsOptions};

mod anchor;
mod raw;

use anchor::file_anchors;
pub use anchor::{parse_anchor_file, AnchorConfig, AnchorEntry, MAX_ANCHOR_FILE};
use raw::{first_server, raw_query};

/// A DNSSEC-validating resolver for one run.
#[derive(Clone)]
pub struct SecureResolver {
    inner: Arc<Inner>,
}

struct Inner {
    /// Validates; `None` when the anchor could not be set up.
    validating: Option<TokioResolver>,
    /// Does not validate: for MTA-STS and TLS-RPT, which senders look up
    /// whether or not the zone is signed.
    plain: Option<TokioResolver>,
    /// The zones whose DNSKEY set must validate before any "bogus" counts.
    anchor_zones: Vec<Name>,
    /// Whether the anchor's own DNSKEY set validated through this
    /// resolver, checked once at the first lookup.
    anchor_check: tokio::sync::OnceCell<Result<(), String>>,
    bound: Duration,
    anchor: String,
    /// Why the anchor is unusable, when it is.
    anchor_error: Option<String>,
    /// The first server, for the raw queries that explain a bogus answer.
    server: Option<SocketAddr>,
}

impl std::fmt::Debug for SecureResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureResolver")
            .field("anchor", &self.inner.anchor)
            .finish()
    }
}

fn builder(
    options: &DnsOptions,
) -> Result<hickory_resolver::ResolverBuilder<TokioRuntimeProvider>, String> {
    let (config, _) = dns::resolver_config(&options.resolver).map_err(|e| e.to_string())?;
    let mut opts = dns::resolver_opts(options);
    // Keep CNAMEs so the status of an alias chain can be judged.
    opts.preserve_intermediates = true;
    Ok(
        TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts),
    )
}

impl SecureResolver {
    /// Sets up validation with `anchor`. A DS anchor needs one DNSKEY
    /// query (bounded like every query); when it matches no key, every
    /// answer is indeterminate and the report says why.
    pub async fn new(options: &DnsOptions, anchor: &AnchorConfig) -> SecureResolver {
        let bound = dns::hard_bound(options.timeout, options.attempts);
        let anchor_zones = match anchor {
            AnchorConfig::BuiltIn => vec![Name::root()],
            AnchorConfig::File { entries, .. } => {
                let mut zones: Vec<Name> = entries
                    .iter()
                    .map(|e| match e {
                        AnchorEntry::Dnskey { zone, .. } | AnchorEntry::Ds { zone, .. } => {
                            zone.clone()
                        }
                    })
                    .collect();
                zones.dedup();
                zones
            }
        };
        let (anchors, anchor, anchor_error) = match anchor {
            AnchorConfig::BuiltIn => (
                TrustAnchors::default(),
                "built-in root trust anchors (KSK-2017 key tag 20326, KSK-2024 key tag 38696)"
                    .to_owned(),
                None,
            ),
            AnchorConfig::File { path, entries } => {
                let file = file_anchors(options, entries, bound).await;
                (
                    file.anchors,
                    format!("--trust-anchor {path}: {}", file.described),
                    file.error,
                )
            }
        };
        let validating = match builder(options) {
            Ok(b) if anchor_error.is_none() => b
                .with_trust_anchor(Arc::new(anchors))
                .build()
                .map_err(|e| e.to_string()),
            Ok(_) => Err(String::new()),
            Err(e) => Err(e),
        };
        let (validating, anchor_error) = match validating {
            Ok(r) => (Some(r), anchor_error),
            Err(e) if anchor_error.is_none() => (None, Some(format!("resolver set-up: {e}"))),
            Err(_) => (None, anchor_error),
        };
        let plain = builder(options).ok().and_then(|b| b.build().ok());
        SecureResolver {
            inner: Arc::new(Inner {
                validating,
                plain,
                anchor_zones,
                anchor_check: tokio::sync::OnceCell::new(),
                server: first_server(options),
                bound,
                anchor,
                anchor_error,
            }),
        }
    }

    /// The anchor in use, for the report.
    pub fn anchor(&self) -> &str {
        &self.inner.anchor
    }

    /// One question without validation (MTA-STS and TLS-RPT records,
    /// which do not depend on DNSSEC); the status is `Indeterminate`.
    pub async fn lookup_plain(&self, name: &str, record_type: RecordType) -> Validated<Record> {
        match &self.inner.plain {
            Some(r) => self.ask(r, name, record_type).await.map_status(|_| {
                DnssecStatus::Indeterminate("not validated (DNSSEC does not apply)".into())
            }),
            None => Validated {
                name: name.trim_end_matches('.').to_ascii_lowercase(),
                answer: Answer::Failed("no resolver".into()),
                status: DnssecStatus::Indeterminate("no resolver".into()),
            },
        }
    }

    /// Whether the anchor's DNSKEY sets validate through this resolver.
    /// Without that, a "bogus" answer says more about the resolver (one
    /// that strips DNSSEC records, or cannot reach the anchor's zone) than
    /// about the domain, and every answer is indeterminate instead.
    async fn anchor_usable(&self, resolver: &TokioResolver) -> Result<(), String> {
        self.inner
            .anchor_check
            .get_or_init(|| async {
                for zone in &self.inner.anchor_zones {
                    let shown = zone.to_ascii();
                    let v = self.ask(resolver, &shown, RecordType::DNSKEY).await;
                    if !v.status.is_secure() {
                        return Err(format!(
                            "the trust anchor's DNSKEY set for {shown} did not validate through \
                             this resolver ({}: {}); it may not serve DNSSEC records",
                            v.status.label(),
                            match &v.answer {
                                Answer::Failed(why) => why.as_str(),
                                other => other.label(),
                            }
                        ));
                    }
                }
                Ok(())
            })
            .await
            .clone()
    }

    /// One validated question.
    pub async fn lookup(&self, name: &str, record_type: RecordType) -> Validated<Record> {
        let Some(resolver) = &self.inner.validating else {
            let why = self
                .inner
                .anchor_error
                .clone()
                .unwrap_or_else(|| "no validating resolver".into());
            return Validated {
                name: name.trim_end_matches('.').to_ascii_lowercase(),
                answer: Answer::Failed(format!("not looked up: {why}")),
                status: DnssecStatus::Indeterminate(format!("the trust anchor is unusable: {why}")),
            };
        };
        // The anchor check and the question at once (the check only
        // decides how the answer is read); a failed check ends the lookup
        // at once, without waiting for a validation that cannot succeed.
        let unusable = |why: String| Validated {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            answer: Answer::Failed(format!("not looked up: {why}")),
            status: DnssecStatus::Indeterminate(why),
        };
        let ask = self.ask(resolver, name, record_type);
        let usable = self.anchor_usable(resolver);
        tokio::pin!(ask, usable);
        let mut v = tokio::select! {
            u = &mut usable => match u {
                Err(why) => return unusable(why),
                Ok(()) => ask.await,
            },
            v = &mut ask => match usable.await {
                Err(why) => return unusable(why),
                Ok(()) => v,
            },
        };
        if matches!(v.status, DnssecStatus::Bogus(_)) {
            if let Some(why) = self.why_bogus(resolver, name, record_type).await {
                v.status = DnssecStatus::Bogus(why);
            }
        }
        v
    }

    /// Why `name type` is bogus, from its RRSIGs and the signer's key set:
    /// no signature, expired, not yet valid, or one that does not verify.
    /// `None` when the raw query itself fails (the generic reason stays).
    async fn why_bogus(
        &self,
        resolver: &TokioResolver,
        name: &str,
        record_type: RecordType,
    ) -> Option<String> {
        let server = self.inner.server?;
        let fqdn = dns::fqdn(name).ok()?;
        let message = raw_query(server, &fqdn, record_type, self.inner.bound)
            .await
            .ok()?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let sigs: Vec<_> = message
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::RRSIG(sig))
                    if sig.input().type_covered == record_type =>
                {
                    Some(sig)
                }
                _ => None,
            })
            .collect();
        let shown = format!("{} {record_type}", fqdn.to_ascii().trim_end_matches('.'));
        let date = |t: u32| crate::model::cert::rfc3339(i64::from(t));
        let Some(sig) = sigs.first() else {
            return Some(format!(
                "no RRSIG over {shown}: the zone is signed (its parent has a DS) but this answer is not"
            ));
        };
        if sigs
            .iter()
            .all(|s| i64::from(s.input().sig_expiration.get()) < now)
        {
            return Some(format!(
                "the RRSIG over {shown} expired at {} (signer {}); re-sign the zone",
                date(sig.input().sig_expiration.get()),
                sig.input().signer_name
            ));
        }
        if sigs
            .iter()
            .all(|s| i64::from(s.input().sig_inception.get()) > now)
        {
            return Some(format!(
                "the RRSIG over {shown} is not valid before {} (check the signer's clock)",
                date(sig.input().sig_inception.get())
            ));
        }
        let signer = sig.input().signer_name.to_ascii();
        let keys = self.ask(resolver, &signer, RecordType::DNSKEY).await;
        Some(if keys.status.is_secure() {
            format!(
                "the RRSIG over {shown} does not verify with {signer}'s validated keys \
                 (a corrupted signature, or signed by a key no longer published)"
            )
        } else {
            format!(
                "the DNSKEY set of {signer} does not validate ({}): the DS at the parent \
                 does not match the zone's KSK, or the key set's signatures expired",
                keys.status.label()
            )
        })
    }

    /// One question to `resolver`, bounded and classified.
    async fn ask(
        &self,
        resolver: &TokioResolver,
        name: &str,
        record_type: RecordType,
    ) -> Validated<Record> {
        let shown = name.trim_end_matches('.').to_ascii_lowercase();
        let shown = if shown.is_empty() {
            ".".to_owned()
        } else {
            shown
        };
        let failed = |why: String, status: DnssecStatus| Validated {
            name: shown.clone(),
            answer: Answer::Failed(why),
            status,
        };
        let fqdn = match dns::fqdn(name) {
            Ok(n) => n,
            Err(e) => return failed(e.to_string(), DnssecStatus::Indeterminate(e.to_string())),
        };
        let result =
            tokio::time::timeout(self.inner.bound, resolver.lookup(fqdn, record_type)).await;
        let (answer, status) = match result {
            Err(_) => (
                Answer::Failed("no answer from the DNS server in time".into()),
                DnssecStatus::Indeterminate("the lookup timed out".into()),
            ),
            Ok(Ok(lookup)) => {
                let wanted: Vec<Record> = lookup
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == record_type)
                    .cloned()
                    .collect();
                let status = combine(
                    lookup
                        .answers()
                        .iter()
                        .filter(|r| matches!(r.record_type(), t if t == record_type || t == RecordType::CNAME))
                        .map(|r| r.proof),
                );
                if wanted.is_empty() {
                    (Answer::NoData, status)
                } else {
                    (Answer::Records(wanted), status)
                }
            }
            Ok(Err(e)) => classify(e),
        };
        Validated {
            name: shown,
            answer,
            status,
        }
    }
}

/// The weakest proof of an RRset decides: one bogus record makes it bogus.
fn combine(proofs: impl Iterator<Item = Proof>) -> DnssecStatus {
    let mut worst: Option<Proof> = None;
    for p in proofs {
        worst = Some(match worst {
            None => p,
            Some(w) => rank_min(w, p),
        });
    }
    match worst {
        Some(Proof::Secure) => DnssecStatus::Secure,
        Some(Proof::Insecure) => DnssecStatus::Insecure,
        Some(Proof::Bogus) => DnssecStatus::Bogus(BOGUS_WHY.into()),
        Some(Proof::Indeterminate) | None => {
            DnssecStatus::Indeterminate("no DNSSEC proof came with the answer".into())
        }
    }
}

/// Orders Bogus below Indeterminate below Insecure below Secure.
fn rank_min(a: Proof, b: Proof) -> Proof {
    let rank = |p: Proof| match p {
        Proof::Bogus => 0,
        Proof::Indeterminate => 1,
        Proof::Insecure => 2,
        Proof::Secure => 3,
    };
    if rank(a) <= rank(b) {
        a
    } else {
        b
    }
}

/// hickory reports a bogus answer without its cause; tlscheck names the
/// ways it happens so the admin knows where to look.
const BOGUS_WHY: &str = "a signature did not validate: an RRSIG expired or not yet valid, \
     a corrupted signature, or a DNSKEY that does not match the parent's DS";

/// Maps a failed validated lookup by variant and rcode.
fn classify<T>(error: NetError) -> (Answer<T>, DnssecStatus) {
    match error {
        NetError::Dns(HickoryDnsError::DnssecBogus) => (
            Answer::Failed("the answer failed DNSSEC validation (bogus)".into()),
            DnssecStatus::Bogus(BOGUS_WHY.into()),
        ),
        NetError::Dns(HickoryDnsError::NoRecordsFound(NoRecords {
            response_code,
            authorities,
            ..
        })) => {
            let status = negative_status(authorities.as_deref().unwrap_or(&[]));
            match response_code {
                ResponseCode::NXDomain => (Answer::NxDomain, status),
                ResponseCode::NoError => (Answer::NoData, status),
                code => (
                    Answer::Failed(format!("the DNS server answered {code}")),
                    DnssecStatus::Indeterminate(format!("the DNS server answered {code}")),
                ),
            }
        }
        NetError::Dns(HickoryDnsError::Nsec {
            response, proof, ..
        }) => {
            let status = match proof {
                Proof::Secure => DnssecStatus::Secure,
                Proof::Insecure => DnssecStatus::Insecure,
                Proof::Bogus => DnssecStatus::Bogus(
                    "the proof that the record does not exist (NSEC/NSEC3) did not validate".into(),
                ),
                Proof::Indeterminate => DnssecStatus::Indeterminate(
                    "no valid proof that the record does not exist (NSEC/NSEC3)".into(),
                ),
            };
            if response.response_code == ResponseCode::NXDomain {
                (Answer::NxDomain, status)
            } else {
                (Answer::NoData, status)
            }
        }
        NetError::Dns(HickoryDnsError::ResponseCode(code)) => {
            let why = if code == ResponseCode::ServFail {
                "the DNS server answered SERVFAIL (a validating resolver answers so for bogus \
                 data; ask a non-validating one with --resolver to see why)"
                    .to_owned()
            } else {
                format!("the DNS server answered {code}")
            };
            (
                Answer::Failed(why.clone()),
                DnssecStatus::Indeterminate(why),
            )
        }
        NetError::Timeout => (
            Answer::Failed("no answer from the DNS server in time".into()),
            DnssecStatus::Indeterminate("the lookup timed out".into()),
        ),
        other => {
            let why = other.to_string();
            let why: String = why.chars().take(300).collect();
            (
                Answer::Failed(why.clone()),
                DnssecStatus::Indeterminate(why),
            )
        }
    }
}

/// The status of a negative answer: secure when a validated NSEC/NSEC3
/// came with it, insecure when everything in it was provably unsigned.
fn negative_status(authorities: &[Record]) -> DnssecStatus {
    let denial = |r: &&Record| matches!(r.record_type(), RecordType::NSEC | RecordType::NSEC3);
    if authorities
        .iter()
        .filter(denial)
        .any(|r| r.proof == Proof::Secure)
    {
        return DnssecStatus::Secure;
    }
    if authorities.iter().any(|r| r.proof == Proof::Bogus) {
        return DnssecStatus::Bogus(BOGUS_WHY.into());
    }
    if !authorities.is_empty() && authorities.iter().all(|r| r.proof == Proof::Insecure) {
        return DnssecStatus::Insecure;
    }
    DnssecStatus::Indeterminate("no validated proof that the record does not exist".into())
}

#[cfg(test)]
mod tests;
