//! The trust anchor: `--trust-anchor FILE` parsed (DS and DNSKEY records
//! in zone-file syntax), each DS turned into the zone's served DNSKEYs it
//! matches, and the zone's other keys (the ZSK) taken in once an RRSIG by
//! an anchored key vouches for them (RFC 4035 §5.2). Network I/O only for
//! the DNSKEY queries, each bounded.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::proto::dnssec::rdata::{DNSSECRData, DNSKEY, DS};
use hickory_resolver::proto::dnssec::{PublicKey, TrustAnchors};
use hickory_resolver::proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_resolver::proto::serialize::txt::Parser;

use super::builder;
use super::raw::{first_server, raw_query};
use crate::net::dns::DnsOptions;

/// Largest trust-anchor file read (a handful of records is normal).
pub const MAX_ANCHOR_FILE: u64 = 64 * 1024;

/// One entry of a `--trust-anchor` file.
#[derive(Clone, Debug)]
pub enum AnchorEntry {
    /// A DNSKEY: trusted as is for its zone.
    Dnskey {
        /// The zone.
        zone: Name,
        /// The key.
        key: DNSKEY,
    },
    /// A DS: trusted for the zone's DNSKEY whose digest it matches.
    Ds {
        /// The zone.
        zone: Name,
        /// The delegation signer.
        ds: DS,
    },
}

/// The trust anchor a run uses.
#[derive(Clone, Debug, Default)]
pub enum AnchorConfig {
    /// The root zone's KSKs built into hickory (KSK-2017 and KSK-2024).
    #[default]
    BuiltIn,
    /// Records from `--trust-anchor FILE`, replacing the root anchor.
    File {
        /// The path as given, for the report.
        path: String,
        /// The DS and DNSKEY records in it.
        entries: Vec<AnchorEntry>,
    },
}

/// Parses a trust-anchor file: DS or DNSKEY records in zone-file syntax
/// (`zone. IN DS 12345 13 2 HEX…`, `zone. 3600 IN DNSKEY 257 3 13 B64…`),
/// as `ldns-keygen` and `dnssec-keygen` write them. A TTL is optional.
/// Anything but DS and DNSKEY is refused, so a wrong file is noticed.
pub fn parse_anchor_file(text: &str) -> Result<Vec<AnchorEntry>, String> {
    if text.contains("$INCLUDE") {
        return Err("$INCLUDE is not allowed in a trust-anchor file".into());
    }
    // hickory's zone parser refuses DNSKEY records and its trust-anchor
    // parser takes only DNSKEY: each line goes to the parser of its type
    // (key files hold one record per line).
    let (mut keys, mut others) = (String::new(), String::from("$TTL 3600\n"));
    for line in text.lines() {
        let data = line.split(';').next().unwrap_or("");
        if data
            .split_whitespace()
            .any(|t| t.eq_ignore_ascii_case("DNSKEY"))
        {
            keys.push_str(line);
            keys.push('\n');
        } else {
            others.push_str(line);
            others.push('\n');
        }
    }
    let mut entries = Vec::new();
    if !keys.is_empty() {
        let parsed = hickory_resolver::proto::serialize::txt::trust_anchor::Parser::new(keys)
            .parse()
            .map_err(|e| format!("a DNSKEY line does not parse: {e}"))?;
        for entry in parsed {
            // The entry enum is non-exhaustive; DNSKEY is all it holds today.
            if let hickory_resolver::proto::serialize::txt::trust_anchor::Entry::DNSKEY(record) =
                entry
            {
                entries.push(AnchorEntry::Dnskey {
                    zone: record.name().clone(),
                    key: record.data().clone(),
                });
            }
        }
    }
    let (_, sets) = Parser::new(others, None, Some(Name::root()))
        .parse()
        .map_err(|e| format!("not DS or DNSKEY records in zone-file syntax: {e}"))?;
    for (key, set) in sets {
        for record in set.records_without_rrsigs() {
            let zone = Name::from(key.name.clone());
            match &record.data {
                RData::DNSSEC(DNSSECRData::DS(ds)) => entries.push(AnchorEntry::Ds {
                    zone,
                    ds: ds.clone(),
                }),
                other => {
                    return Err(format!(
                        "{} {} is neither DS nor DNSKEY",
                        record.name,
                        other.record_type()
                    ))
                }
            }
        }
    }
    if entries.is_empty() {
        return Err("no DS or DNSKEY record found".into());
    }
    Ok(entries)
}

/// The trust anchors a file gave, and what to say of them.
pub(super) struct FileAnchors {
    /// The keys to trust.
    pub(super) anchors: TrustAnchors,
    /// Each entry in words, for the report's anchor line.
    pub(super) described: String,
    /// Why the anchor cannot validate anything, when it cannot.
    pub(super) error: Option<String>,
}

/// The DNSKEY records `zone` serves, looked up without validation (a DS
/// anchor is matched against them), or why they could not be had.
async fn served_dnskeys(
    resolver: &hickory_resolver::TokioResolver,
    zone: &Name,
    bound: Duration,
) -> Result<Vec<DNSKEY>, String> {
    match tokio::time::timeout(bound, resolver.lookup(zone.clone(), RecordType::DNSKEY)).await {
        Ok(Ok(l)) => Ok(l
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k.clone()),
                _ => None,
            })
            .collect()),
        Ok(Err(e)) => Err(format!("DNSKEY {zone}: {e}")),
        Err(_) => Err(format!("DNSKEY {zone}: timed out")),
    }
}

/// Trust anchors from a file: DNSKEYs as given; each DS replaced by the
/// zone's served DNSKEYs that it matches.
pub(super) async fn file_anchors(
    options: &DnsOptions,
    entries: &[AnchorEntry],
    bound: Duration,
) -> FileAnchors {
    let mut anchors = TrustAnchors::empty();
    let mut described = Vec::new();
    let mut errors = Vec::new();
    let mut trusted: Vec<(Name, DNSKEY)> = Vec::new();
    let plain = builder(options).and_then(|b| b.build().map_err(|e| e.to_string()));
    for entry in entries {
        match entry {
            AnchorEntry::Dnskey { zone, key } => {
                let tag = key.calculate_key_tag().unwrap_or_default();
                anchors.insert_with_name(key.public_key(), LowerName::from(zone));
                trusted.push((zone.clone(), key.clone()));
                described.push(format!(
                    "{zone} DNSKEY key tag {tag} (algorithm {})",
                    u8::from(key.public_key().algorithm())
                ));
            }
            AnchorEntry::Ds { zone, ds } => {
                let keys = match &plain {
                    Ok(r) => served_dnskeys(r, zone, bound).await.unwrap_or_else(|e| {
                        errors.push(e);
                        Vec::new()
                    }),
                    Err(e) => {
                        errors.push(e.clone());
                        Vec::new()
                    }
                };
                let matched: Vec<&DNSKEY> = keys
                    .iter()
                    .filter(|k| ds.covers(zone, k).unwrap_or(false))
                    .collect();
                let mut text = format!("{zone} DS key tag {}", ds.key_tag());
                if matched.is_empty() {
                    errors.push(format!(
                        "the DS {zone} key tag {} matches none of the {} DNSKEY records the zone serves",
                        ds.key_tag(),
                        keys.len()
                    ));
                    text.push_str(" (matched no served DNSKEY)");
                } else {
                    let _ = write!(text, " (matched {} served DNSKEY)", matched.len());
                }
                for k in matched {
                    anchors.insert_with_name(k.public_key(), LowerName::from(zone));
                    trusted.push((zone.clone(), k.clone()));
                }
                described.push(text);
            }
        }
    }
    // The keys the anchors vouch for (the zones' ZSKs).
    let now = u32::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(u32::MAX);
    let mut zones: Vec<Name> = trusted.iter().map(|(z, _)| z.clone()).collect();
    zones.dedup();
    for zone in zones {
        let keys: Vec<DNSKEY> = trusted
            .iter()
            .filter(|(z, _)| *z == zone)
            .map(|(_, k)| k.clone())
            .collect();
        let Some(server) = first_server(options) else {
            continue;
        };
        match anchored_keyset(server, &zone, &keys, now, bound).await {
            Ok(set) => {
                for k in &set {
                    anchors.insert_with_name(k.public_key(), LowerName::from(&zone));
                }
            }
            // Not fatal: the zone's answers then fail to validate and are
            // reported as such; the reason is part of the anchor line.
            Err(e) => described.push(format!("[{e}]")),
        }
    }
    let error =
        (!errors.is_empty() && anchors_is_empty(entries, &errors)).then(|| errors.join("; "));
    FileAnchors {
        anchors,
        described: described.join(", "),
        error,
    }
}

/// The zone's whole DNSKEY set, when an RRSIG over it by one of
/// `trusted` verifies and is within its validity (RFC 4035 §5.2): the
/// keys a trust anchor vouches for. hickory trusts a zone's other keys
/// (the ZSK) only through a DS at the parent, which an island of security
/// has not, so tlscheck does this step itself: one DNSKEY query with the
/// DO bit over TCP, bounded by `bound`.
async fn anchored_keyset(
    server: SocketAddr,
    zone: &Name,
    trusted: &[DNSKEY],
    now: u32,
    bound: Duration,
) -> Result<Vec<DNSKEY>, String> {
    use hickory_resolver::proto::rr::DNSClass;

    let message = raw_query(server, zone, RecordType::DNSKEY, bound).await?;
    let keys: Vec<&Record> = message
        .answers
        .iter()
        .filter(|r| r.record_type() == RecordType::DNSKEY && r.name == *zone)
        .collect();
    for sig in message.answers.iter().filter_map(|r| match &r.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) if r.name == *zone => Some(sig),
        _ => None,
    }) {
        let input = sig.input();
        if input.type_covered != RecordType::DNSKEY
            || input.sig_expiration.get() < now
            || input.sig_inception.get() > now
        {
            continue;
        }
        let signed = trusted.iter().any(|k| {
            k.calculate_key_tag().ok() == Some(input.key_tag)
                && hickory_resolver::proto::dnssec::Verifier::verify_rrsig(
                    k,
                    zone,
                    DNSClass::IN,
                    sig,
                    keys.iter().copied(),
                )
                .is_ok()
        });
        if signed {
            return Ok(keys
                .iter()
                .filter_map(|r| match &r.data {
                    RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k.clone()),
                    _ => None,
                })
                .collect());
        }
    }
    Err(format!(
        "no valid RRSIG by the anchor over the DNSKEY set of {zone} (expired, not yet valid, \
         or not signed by the anchor's key)"
    ))
}

/// True when no entry produced a key (every DS failed and there was no
/// DNSKEY): the anchor cannot validate anything.
fn anchors_is_empty(entries: &[AnchorEntry], errors: &[String]) -> bool {
    let dnskeys = entries
        .iter()
        .filter(|e| matches!(e, AnchorEntry::Dnskey { .. }))
        .count();
    let ds = entries.len() - dnskeys;
    dnskeys == 0 && errors.len() >= ds
}
