//! Runs every policy lookup of one mail domain at once: the validated MX
//! set, then per exchange its TLSA and address records; the MTA-STS TXT
//! record and policy; the TLS-RPT record. Called next to the SMTP probes
//! (`run`), so the lookups add no time when the probes take longer.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::future::join_all;
use hickory_resolver::proto::rr::{RData, Record, RecordType};
use rustls::pki_types::CertificateDer;

use super::dnssec::{AnchorConfig, SecureResolver};
use super::fetch::{fetch_policy, policy_url};
use crate::model::policy::{
    Answer, DnssecStatus, ExchangeDane, MtaStsObservation, PolicyFetch, PolicyObservation,
    TlsRptObservation, Validated,
};
use crate::net::dns::DnsOptions;
use crate::net::dns::MAX_EXCHANGES;
use crate::proto::policy::{parse_sts_policy, parse_sts_record, parse_tlsrpt_record, Tlsa};

/// What the policy lookups need. The validating resolver is set up at
/// the first lookup (a DS anchor costs a DNSKEY query, a file anchor one
/// more), so the set-up runs alongside the first target's SMTP probes
/// instead of before them.
#[derive(Debug)]
pub struct PolicyContext {
    dns_options: DnsOptions,
    anchor: AnchorConfig,
    resolver: tokio::sync::OnceCell<SecureResolver>,
    /// `--ca-file` roots, trusted for the MTA-STS policy host too.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Bound of the HTTPS fetch (connection and headers; then the body).
    pub timeout: Duration,
}

impl PolicyContext {
    /// A context; nothing is sent until the first lookup.
    pub fn new(
        dns_options: DnsOptions,
        anchor: AnchorConfig,
        extra_roots: Vec<CertificateDer<'static>>,
        timeout: Duration,
    ) -> Self {
        Self {
            dns_options,
            anchor,
            resolver: tokio::sync::OnceCell::new(),
            extra_roots,
            timeout,
        }
    }

    /// The validating resolver, set up once.
    async fn resolver(&self) -> &SecureResolver {
        self.resolver
            .get_or_init(|| SecureResolver::new(&self.dns_options, &self.anchor))
            .await
    }
}

/// Every policy lookup of `domain`, all at once.
pub async fn observe(ctx: &PolicyContext, domain: &str) -> PolicyObservation {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let checked_at = time::OffsetDateTime::now_utc().unix_timestamp();
    let resolver = ctx.resolver().await;
    let dane = async {
        let mx = resolver.lookup(&domain, RecordType::MX).await;
        let mx = map(mx, |r| match &r.data {
            RData::MX(m) => Some((
                m.preference,
                m.exchange
                    .to_ascii()
                    .trim_end_matches('.')
                    .to_ascii_lowercase(),
            )),
            _ => None,
        });
        let mut mx = mx;
        if let Answer::Records(list) = &mut mx.answer {
            list.sort();
            list.dedup();
        }
        let exchanges = join_all(
            mx.answer
                .records()
                .iter()
                .filter(|(_, name)| !name.is_empty() && name != ".")
                .take(MAX_EXCHANGES)
                .map(|(preference, exchange)| exchange_dane(resolver, *preference, exchange)),
        )
        .await;
        (mx, exchanges)
    };
    let ((mx, exchanges), mta_sts, tls_rpt) = tokio::join!(
        dane,
        mta_sts(ctx, resolver, &domain),
        tls_rpt(resolver, &domain)
    );
    PolicyObservation {
        domain,
        anchor: resolver.anchor().to_owned(),
        mx,
        exchanges,
        mta_sts,
        tls_rpt,
        checked_at,
    }
}

/// Keeps the records `f` maps; the status and name stay.
fn map<T>(v: Validated<Record>, f: impl Fn(&Record) -> Option<T>) -> Validated<T> {
    let answer = match v.answer {
        Answer::Records(r) => {
            let mapped: Vec<T> = r.iter().filter_map(f).collect();
            if mapped.is_empty() {
                Answer::NoData
            } else {
                Answer::Records(mapped)
            }
        }
        Answer::NoData => Answer::NoData,
        Answer::NxDomain => Answer::NxDomain,
        Answer::Failed(e) => Answer::Failed(e),
    };
    Validated {
        name: v.name,
        answer,
        status: v.status,
    }
}

/// The TLSA and address lookups of one exchange, at once.
async fn exchange_dane(resolver: &SecureResolver, preference: u16, exchange: &str) -> ExchangeDane {
    let tlsa_name = format!("_25._tcp.{exchange}");
    let (tlsa, a, aaaa) = tokio::join!(
        resolver.lookup(&tlsa_name, RecordType::TLSA),
        resolver.lookup(exchange, RecordType::A),
        resolver.lookup(exchange, RecordType::AAAA),
    );
    let tlsa = map(tlsa, |r| match &r.data {
        RData::TLSA(t) => Some(Tlsa {
            usage: u8::from(t.cert_usage),
            selector: u8::from(t.selector),
            matching: u8::from(t.matching),
            data: t.cert_data.clone(),
        }),
        _ => None,
    });
    // The addresses' status: of the family that has records; else the
    // weaker of the two negative answers.
    let address_status = match (&a.answer, &aaaa.answer) {
        (Answer::Records(_), Answer::Records(_)) => weaker(a.status, aaaa.status),
        (Answer::Records(_), _) => a.status,
        (_, Answer::Records(_)) => aaaa.status,
        _ => weaker(a.status, aaaa.status),
    };
    ExchangeDane {
        exchange: exchange.to_owned(),
        preference,
        address_status,
        tlsa,
    }
}

/// The less trustworthy of two statuses.
fn weaker(a: DnssecStatus, b: DnssecStatus) -> DnssecStatus {
    let rank = |s: &DnssecStatus| match s {
        DnssecStatus::Bogus(_) => 0,
        DnssecStatus::Indeterminate(_) => 1,
        DnssecStatus::Insecure => 2,
        DnssecStatus::Secure => 3,
    };
    if rank(&a) <= rank(&b) {
        a
    } else {
        b
    }
}

/// TXT records of `name`, each record's strings joined (RFC 7208-style
/// concatenation, which RFC 8461 §3.1 and RFC 8460 §3 expect).
async fn txt(resolver: &SecureResolver, name: &str) -> Answer<String> {
    map(
        resolver.lookup_plain(name, RecordType::TXT).await,
        |r| match &r.data {
            RData::TXT(t) => Some(
                t.txt_data
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<String>(),
            ),
            _ => None,
        },
    )
    .answer
}

/// The one record starting with `prefix` (others are discarded, RFC 8461
/// §3.1, RFC 8460 §3); several such records count as none.
fn the_record<'a>(records: &'a [String], prefix: &str) -> Option<Result<&'a str, String>> {
    let versioned: Vec<&String> = records
        .iter()
        .filter(|r| {
            r.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([';', ' ', '\t']))
        })
        .collect();
    match versioned.as_slice() {
        [] => None,
        [one] => Some(Ok(one.as_str())),
        many => Some(Err(format!(
            "{} records start with {prefix}; senders treat that as no record",
            many.len()
        ))),
    }
}

async fn mta_sts(
    ctx: &PolicyContext,
    resolver: &SecureResolver,
    domain: &str,
) -> MtaStsObservation {
    let txt = txt(resolver, &format!("_mta-sts.{domain}")).await;
    let record = the_record(txt.records(), "v=STSv1")
        .map(|r| r.and_then(|text| parse_sts_record(text).map_err(|e| e.to_string())));
    let url = policy_url(domain);
    let mut obs = MtaStsObservation {
        txt,
        record,
        url,
        policy_addresses: Vec::new(),
        fetch: PolicyFetch::NotFetched,
        policy: None,
    };
    if !matches!(obs.record, Some(Ok(_))) {
        return obs;
    }
    let host = format!("mta-sts.{domain}");
    let (a, aaaa) = tokio::join!(
        resolver.lookup_plain(&host, RecordType::A),
        resolver.lookup_plain(&host, RecordType::AAAA),
    );
    let mut addresses: Vec<IpAddr> = [a, aaaa]
        .iter()
        .flat_map(|v| v.answer.records())
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect();
    addresses.sort();
    addresses.dedup();
    obs.policy_addresses = addresses.clone();
    obs.fetch = fetch_policy(&host, &addresses, &ctx.extra_roots, ctx.timeout).await;
    if let PolicyFetch::Response {
        status: 200,
        body,
        oversized: false,
        body_timed_out: false,
        ..
    } = &obs.fetch
    {
        obs.policy = Some(match std::str::from_utf8(body) {
            Ok(text) => parse_sts_policy(text).map_err(|e| e.to_string()),
            Err(_) => Err("the policy is not UTF-8 text".into()),
        });
    }
    obs
}

async fn tls_rpt(resolver: &SecureResolver, domain: &str) -> TlsRptObservation {
    let txt = txt(resolver, &format!("_smtp._tls.{domain}")).await;
    let record = the_record(txt.records(), "v=TLSRPTv1")
        .map(|r| r.and_then(|text| parse_tlsrpt_record(text).map_err(|e| e.to_string())));
    TlsRptObservation { txt, record }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_versioned_record_counts() {
        let recs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(the_record(&recs(&["spf1", "x"]), "v=STSv1"), None);
        assert_eq!(
            the_record(&recs(&["v=STSv1; id=1", "other"]), "v=STSv1"),
            Some(Ok("v=STSv1; id=1"))
        );
        assert!(matches!(
            the_record(&recs(&["v=STSv1; id=1", "v=STSv1; id=2"]), "v=STSv1"),
            Some(Err(_))
        ));
        assert_eq!(the_record(&recs(&["v=STSv10; id=1"]), "v=STSv1"), None);
    }
}
