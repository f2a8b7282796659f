//! Judges the policy observation against the servers the probes saw:
//! DNSSEC status, DANE matching (RFC 7671, RFC 7672) of every TLSA record
//! against the chain each TLS 1.2/1.3 session got, MTA-STS (RFC 8461)
//! against the MX set and the certificates, TLS-RPT (RFC 8460). Pure: the
//! "now" of expiry checks is the observation's `checked_at`.
//!
//! Two views of DANE are kept: RFC 7672's (DANE-EE ignores names and
//! expiry, §3.2.2; usages 0/1 are unusable, §3.1.3) and Exchange Online's,
//! which is what decides the Office 365 verdict: it treats usages 0 and 1
//! as unusable and still checks the certificate's expiry and host name,
//! and it logs the codes below. Source: Microsoft Purview, "How SMTP
//! DNS-based Authentication of Named Entities (DANE) works",
//! <https://learn.microsoft.com/en-us/purview/how-smtp-dane-works>.
//!
//! DANE never changes the verdict of an unsigned domain: without a
//! secure MX answer senders do not look for TLSA records (RFC 7672
//! §2.2.1), and every DANE finding then is informational.

use std::time::Duration;

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::RootCertStore;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::findings::{Accumulator, Finding, FindingId, Severity};
use crate::model::cert::ChainVerifier;
use crate::model::policy::{Answer, DnssecStatus, ExchangeDane, PolicyFetch, PolicyObservation};
use crate::model::{ServerObservation, StarttlsStatus, TlsVersion};
use crate::proto::policy::{mx_matches, StsMode, StsPolicy, Tlsa, TlsaUsage};

/// Exchange Online's DANE and MTA-STS codes, quoted as Microsoft Purview's
/// "How SMTP DNS-based Authentication of Named Entities (DANE) works"
/// and the Exchange Online NDR table give them (4.x while retrying, 5.x
/// in the final NDR).
pub mod exo {
    /// No STARTTLS on a DANE-protected exchange.
    pub const STARTTLS_NOT_SUPPORTED: &str =
        "5.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail.";
    /// The certificate (matched by DANE) has expired.
    pub const CERTIFICATE_EXPIRED: &str =
        "5.7.322 certificate-expired: Destination mail server's certificate is expired.";
    /// No usable TLSA record matched.
    pub const TLSA_INVALID: &str = "5.7.323 tlsa-invalid: The domain failed DANE validation.";
    /// DNSSEC validation failed.
    pub const DNSSEC_INVALID: &str =
        "5.7.324 dnssec-invalid: Destination domain returned invalid DNSSEC records";
    /// What senders often show instead of 5.7.324.
    pub const DNS_QUERY_FAILED: &str = "4/5.4.312 DNS query failed";
    /// The certificate does not name the MX host.
    pub const CERTIFICATE_HOST_MISMATCH: &str = "5.7.325 certificate-host-mismatch: Remote certificate MUST have a common name or subject alternative name matching the hostname (DANE)";
    /// An MX host is not in the MTA-STS policy.
    pub const MTA_STS_MX: &str = "4.4.8/5.4.8 MX hosts of <domain> failed MTA-STS validation";
    /// A certificate fails the MTA-STS policy.
    pub const MTA_STS_CERT: &str =
        "4.7.5/5.7.5 Remote certificate failed MTA-STS validation. Reason: <validityStatus>";
    /// The retry schedule before the NDR.
    pub const RETRIES: &str =
        "Exchange Online retries at 15 minutes, 15 minutes, then hourly for 24 hours before the NDR";
}

/// How one TLSA record fared against one certificate chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordMatch {
    /// Index of the record in the TLSA answer.
    pub record: usize,
    /// Index of the matched certificate in the chain (0 = leaf).
    pub certificate: usize,
    /// RFC 7672's verdict on the match: `Ok` or why the chain still fails
    /// (DANE-TA: the chain to the matched anchor, name and dates).
    pub rfc: Result<(), String>,
    /// Exchange Online's verdict: also expiry and host name for DANE-EE.
    pub exo: Result<(), &'static str>,
}

/// DANE on one TLS session (one version) of one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDane {
    /// The version of the session.
    pub version: TlsVersion,
    /// Certificates in the chain the server sent.
    pub chain_len: usize,
    /// Each match of a usable record.
    pub matches: Vec<RecordMatch>,
    /// True when RFC 7672 authenticates the session.
    pub rfc_ok: bool,
    /// `Ok` when Exchange Online would deliver; else its code.
    pub exo: Result<(), &'static str>,
}

/// DANE on one server address of an exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerDane {
    /// The address probed.
    pub address: String,
    /// Per TLS 1.2/1.3 session with a chain.
    pub sessions: Vec<SessionDane>,
    /// `Ok` when Exchange Online would deliver to this address; else its
    /// code. `None` when nothing could be judged (no session got a chain).
    pub exo: Option<Result<(), &'static str>>,
}

/// Whether senders apply DANE to an exchange, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DaneState {
    /// MX, addresses and TLSA validated, with records: DANE applies.
    Applies,
    /// No TLSA records (securely absent, or not found).
    NoRecords,
    /// Not applied: the reason (insecure MX, insecure TLSA, …).
    NotApplied(String),
    /// A DNSSEC failure senders cannot get past (5.7.324).
    DnssecFailure(String),
}

impl DaneState {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Applies => "applies",
            Self::NoRecords => "no_records",
            Self::NotApplied(_) => "not_applied",
            Self::DnssecFailure(_) => "dnssec_failure",
        }
    }
}

/// A TLSA record with what each view makes of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordView {
    /// The record.
    pub record: Tlsa,
    /// Why RFC 7672 cannot use it, if it cannot (usages 0/1, unknown
    /// values, a digest of the wrong length).
    pub unusable: Option<String>,
}

/// DANE for one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeVerdict {
    /// The exchange.
    pub exchange: String,
    /// MX preference.
    pub preference: u16,
    /// Whether DANE applies.
    pub state: DaneState,
    /// The TLSA records.
    pub records: Vec<RecordView>,
    /// Per server address.
    pub servers: Vec<ServerDane>,
}

/// MTA-STS for one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsExchange {
    /// The exchange.
    pub exchange: String,
    /// The first `mx:` pattern it matches.
    pub pattern: Option<String>,
    /// Per server address: `Ok` when the certificate is trusted and names
    /// the exchange, else the verdict; `None` when no certificate was seen.
    pub certificates: Vec<(String, Option<Result<(), String>>)>,
}

/// The judged policy section of one domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyReport {
    /// What was looked up.
    pub observation: PolicyObservation,
    /// DANE per exchange (in MX order).
    pub dane: Vec<ExchangeVerdict>,
    /// MTA-STS per exchange, when a policy was read.
    pub mta_sts: Vec<StsExchange>,
    /// The policy findings (also merged into the target's).
    pub findings: Vec<Finding>,
}

/// The catalogue ids of the Exchange Online codes a policy finding names.
fn signatures_of(f: &Finding) -> Vec<&'static str> {
    let text = format!("{} {}", f.title, f.remediation.join(" "));
    [
        ("5.7.321", "exo-dane-starttls-not-supported-5-7-321"),
        ("5.7.322", "exo-dane-certificate-expired-5-7-322"),
        ("5.7.323", "exo-dane-tlsa-invalid-5-7-323"),
        ("5.7.324", "exo-dane-dnssec-invalid-5-7-324"),
        ("5.7.325", "exo-dane-certificate-host-mismatch-5-7-325"),
        ("5.4.8", "exo-mta-sts-mx-5-4-8"),
        ("5.7.5 ", "exo-mta-sts-certificate-5-7-5"),
    ]
    .into_iter()
    .filter(|(code, _)| text.contains(code))
    .map(|(_, id)| id)
    .collect()
}

/// Judges the observation against the servers probed for the domain.
pub fn judge(obs: &PolicyObservation, servers: &[ServerObservation]) -> PolicyReport {
    let mut acc = Accumulator::default();
    let now = obs.checked_at;
    let mx_secure = obs.mx.status.is_secure();
    if let DnssecStatus::Bogus(why) = &obs.mx.status {
        acc.add(Finding::of(FindingId::DnssecBogus)
.with_title(format!(
                "DNSSEC validation of {}'s MX records failed; Exchange Online defers, then bounces with {}",
                obs.domain,
                exo::DNSSEC_INVALID
            ))
.with_evidence(vec![format!("MX {}: bogus: {why}", obs.mx.name), format!("trust anchor: {}", obs.anchor)])
.with_remediation(vec![
                "Re-sign the zone (expired signatures are the usual cause) and make sure the DS record at the parent matches the zone's current KSK.".to_owned(),
                format!("Exchange Online may show {} instead; {}.", exo::DNS_QUERY_FAILED, exo::RETRIES),
            ]));
    }
    let dane: Vec<ExchangeVerdict> = obs
        .exchanges
        .iter()
        .map(|x| judge_exchange(x, mx_secure, servers, now, &mut acc))
        .collect();
    let mta_sts = judge_mta_sts(obs, servers, &mut acc);
    judge_tls_rpt(obs, &dane, &mut acc);
    PolicyReport {
        observation: obs.clone(),
        dane,
        mta_sts,
        findings: acc
            .finish()
            .into_iter()
            .map(|mut f| {
                f.signatures = signatures_of(&f);
                f
            })
            .collect(),
    }
}

fn judge_exchange(
    x: &ExchangeDane,
    mx_secure: bool,
    servers: &[ServerObservation],
    now: i64,
    acc: &mut Accumulator,
) -> ExchangeVerdict {
    let records: Vec<RecordView> = x
        .tlsa
        .answer
        .records()
        .iter()
        .map(|r| RecordView {
            record: r.clone(),
            unusable: unusable(r),
        })
        .collect();
    let state = dane_state(x, mx_secure, &records);
    let label = format!("MX {} {}", x.preference, x.exchange);
    match &state {
        DaneState::DnssecFailure(why) => acc.add(Finding::of(FindingId::DaneDnssecInvalid)
.with_title(format!(
                "DNSSEC validation of a DANE lookup failed; Exchange Online defers, then bounces with {}",
                exo::DNSSEC_INVALID
            ))
.with_evidence(vec![format!("{label}: {why}")])
.with_remediation(vec![
                "Re-sign the zone that holds the TLSA and address records (an expired or corrupted RRSIG is the usual cause) and check the chain of DS records.".to_owned(),
                format!("Exchange Online may show {} instead; {}.", exo::DNS_QUERY_FAILED, exo::RETRIES),
            ])),
        DaneState::NotApplied(why) if !records.is_empty() => acc.add(Finding::of(FindingId::DaneNotApplied)
.with_evidence(vec![format!("{label}: {why}")])
.with_remediation(vec!["DANE needs the MX, the exchange's addresses and the TLSA records all DNSSEC-signed (RFC 7672 §2.2); sign the zones and publish DS records at the parents.".to_owned()])),
        _ => {}
    }
    let mut verdict = ExchangeVerdict {
        exchange: x.exchange.clone(),
        preference: x.preference,
        state,
        records,
        servers: Vec::new(),
    };
    if verdict.state != DaneState::Applies {
        return verdict;
    }
    for s in servers.iter().filter(|s| {
        s.host
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(&x.exchange))
    }) {
        let server = judge_server(&x.exchange, &verdict.records, s, now);
        let where_ = format!("{} ({})", x.exchange, s.address);
        match server.exo {
            Some(Err(code)) => {
                let (id, title, fix) = exo_failure(code);
                let detail = server_detail(&server, &verdict.records);
                acc.add(
                    Finding::of(id)
                        .with_title(title)
                        .with_evidence(vec![format!("{where_}: {detail}")])
                        .with_remediation(vec![fix, format!("{}.", exo::RETRIES)]),
                );
            }
            Some(Ok(())) => {
                let stale: Vec<String> = verdict
                    .records
                    .iter()
                    .enumerate()
                    .filter(|(i, v)| {
                        v.unusable.is_none()
                            && !server
                                .sessions
                                .iter()
                                .any(|se| se.matches.iter().any(|m| m.record == *i))
                    })
                    .map(|(_, v)| v.record.presentation())
                    .collect();
                if !stale.is_empty() {
                    acc.add(Finding::of(FindingId::DaneStaleRecord)
.with_evidence(stale.iter().map(|r| format!("{where_}: {r}")).collect())
.with_remediation(vec!["Keep a record for the next key only while a rollover is under way; remove records of retired keys afterwards.".to_owned()]));
                }
            }
            None => {}
        }
        verdict.servers.push(server);
    }
    // One record only: the next certificate change breaks DANE.
    if let [only] = verdict.records.as_slice() {
        if only.unusable.is_none() {
            acc.add(Finding::of(FindingId::DaneSingleRecord)
.with_evidence(vec![format!("{label}: {}", only.record.presentation())])
.with_remediation(vec!["Roll TLSA records over before changing certificates: publish \"3 1 1\" of the current key plus \"3 1 1\" of the next key, wait two TTLs, then switch the certificate, then remove the old record.".to_owned()]));
        }
    }
    verdict
}

/// Why RFC 7672 cannot use the record, if it cannot.
fn unusable(r: &Tlsa) -> Option<String> {
    if let Some(why) = r.unusable_reason() {
        return Some(why);
    }
    match TlsaUsage::from(r.usage) {
        TlsaUsage::PkixTa | TlsaUsage::PkixEe => Some(format!(
            "{} is unusable for SMTP (RFC 7672 §3.1.3; Exchange Online ignores usages 0 and 1)",
            TlsaUsage::from(r.usage)
        )),
        _ => None,
    }
}

fn dane_state(x: &ExchangeDane, mx_secure: bool, records: &[RecordView]) -> DaneState {
    if !mx_secure {
        return DaneState::NotApplied(
            "the MX answer is not DNSSEC-secure, so senders do not look for TLSA (RFC 7672 §2.2.1)"
                .into(),
        );
    }
    if let DnssecStatus::Bogus(why) = &x.address_status {
        return DaneState::DnssecFailure(format!("address records bogus: {why}"));
    }
    match (&x.tlsa.status, &x.tlsa.answer) {
        (DnssecStatus::Bogus(why), _) => {
            DaneState::DnssecFailure(format!("TLSA {} bogus: {why}", x.tlsa.name))
        }
        (_, Answer::Failed(why)) => {
            DaneState::DnssecFailure(format!("TLSA {} lookup failed: {why}", x.tlsa.name))
        }
        (DnssecStatus::Secure, Answer::Records(_)) if !x.address_status.is_secure() => {
            DaneState::NotApplied(format!(
                "the exchange's address records are {} (RFC 7672 §2.2.2)",
                x.address_status.label()
            ))
        }
        (DnssecStatus::Secure, Answer::Records(_)) if !records.is_empty() => DaneState::Applies,
        (_, Answer::NoData | Answer::NxDomain) => DaneState::NoRecords,
        (status, _) => DaneState::NotApplied(format!(
            "the TLSA answer is {} ({})",
            status.label(),
            status.reason().unwrap_or("not signed")
        )),
    }
}

/// DANE on one server: every TLS 1.2/1.3 session with a chain.
fn judge_server(
    exchange: &str,
    records: &[RecordView],
    s: &ServerObservation,
    now: i64,
) -> ServerDane {
    let address = s.address.to_string();
    if matches!(
        s.starttls,
        StarttlsStatus::NotOffered | StarttlsStatus::Refused(_)
    ) {
        return ServerDane {
            address,
            sessions: Vec::new(),
            exo: Some(Err(exo::STARTTLS_NOT_SUPPORTED)),
        };
    }
    let mut sessions = Vec::new();
    for p in &s.versions {
        if p.version.is_legacy() || !p.result.is_accepted() || p.chain.is_empty() {
            continue;
        }
        sessions.push(judge_session(exchange, records, p.version, &p.chain, now));
    }
    // A server that completes no modern session never reaches DANE; the
    // server findings say why.
    let exo = (!sessions.is_empty()).then(|| {
        sessions
            .iter()
            .map(|se| se.exo)
            .find(Result::is_err)
            .unwrap_or(Ok(()))
    });
    ServerDane {
        address,
        sessions,
        exo,
    }
}

/// Matches every usable record against one chain (leaf first).
pub fn judge_session(
    exchange: &str,
    records: &[RecordView],
    version: TlsVersion,
    chain: &[Vec<u8>],
    now: i64,
) -> SessionDane {
    let mut matches = Vec::new();
    for (i, view) in records.iter().enumerate() {
        if view.unusable.is_some() {
            continue;
        }
        let r = &view.record;
        match TlsaUsage::from(r.usage) {
            TlsaUsage::DaneEe if chain.first().is_some_and(|leaf| cert_matches(r, leaf)) => {
                // RFC 7672 §3.2.2: DANE-EE ignores names and dates.
                // Exchange Online still checks both.
                let exo = leaf_checks(exchange, chain.first().map(Vec::as_slice), now);
                matches.push(RecordMatch {
                    record: i,
                    certificate: 0,
                    rfc: Ok(()),
                    exo,
                });
            }
            TlsaUsage::DaneTa => {
                for (c, cert) in chain.iter().enumerate().skip(1) {
                    if cert_matches(r, cert) {
                        let rfc = chain_to_anchor(exchange, chain, cert, now);
                        let exo = match &rfc {
                            Ok(()) => Ok(()),
                            Err(_) => {
                                Err(leaf_checks(exchange, chain.first().map(Vec::as_slice), now)
                                    .err()
                                    .unwrap_or(exo::TLSA_INVALID))
                            }
                        };
                        matches.push(RecordMatch {
                            record: i,
                            certificate: c,
                            rfc,
                            exo,
                        });
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    let rfc_ok = matches.iter().any(|m| m.rfc.is_ok());
    let exo = if matches.iter().any(|m| m.exo.is_ok()) {
        Ok(())
    } else if let Some(code) = matches.iter().find_map(|m| m.exo.err()) {
        Err(code)
    } else {
        Err(exo::TLSA_INVALID)
    };
    SessionDane {
        version,
        chain_len: chain.len(),
        matches,
        rfc_ok,
        exo,
    }
}

/// RFC 6698 §2.1.2/2.1.3: select the full certificate or its
/// SubjectPublicKeyInfo, then compare exactly or by SHA-256/SHA-512.
pub fn cert_matches(r: &Tlsa, cert_der: &[u8]) -> bool {
    let selected: &[u8] = match r.selector {
        0 => cert_der,
        1 => match X509Certificate::from_der(cert_der) {
            Ok((_, c)) => c.tbs_certificate.subject_pki.raw,
            Err(_) => return false,
        },
        _ => return false,
    };
    match r.matching {
        0 => selected == r.data.as_slice(),
        1 => ring::digest::digest(&ring::digest::SHA256, selected).as_ref() == r.data.as_slice(),
        2 => ring::digest::digest(&ring::digest::SHA512, selected).as_ref() == r.data.as_slice(),
        _ => false,
    }
}

/// Exchange Online's checks of a DANE-EE match: the leaf has not expired
/// and names the MX host.
fn leaf_checks(exchange: &str, leaf: Option<&[u8]>, now: i64) -> Result<(), &'static str> {
    let Some(Ok((_, cert))) = leaf.map(X509Certificate::from_der) else {
        return Err(exo::TLSA_INVALID);
    };
    if cert.validity().not_after.timestamp() < now {
        return Err(exo::CERTIFICATE_EXPIRED);
    }
    if !names_host(&cert, exchange) {
        return Err(exo::CERTIFICATE_HOST_MISMATCH);
    }
    Ok(())
}

/// True when a SAN dNSName (or, without any, the CN) matches `host`; a
/// wildcard stands for exactly the left-most label.
fn names_host(cert: &X509Certificate<'_>, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let matches = |pattern: &str| {
        let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(suffix) => host
                .split_once('.')
                .is_some_and(|(l, rest)| !l.is_empty() && rest == suffix),
            None => pattern == host,
        }
    };
    let sans = crate::model::cert::san_names(cert, false);
    if sans.is_empty() {
        cert.subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .any(matches)
    } else {
        sans.iter().any(|s| matches(s))
    }
}

/// DANE-TA (RFC 7671 §5.2.2, RFC 7672 §3.2.3): the chain must validate up
/// to the matched certificate as trust anchor, with the MX host name.
fn chain_to_anchor(
    exchange: &str,
    chain: &[Vec<u8>],
    anchor: &[u8],
    now: i64,
) -> Result<(), String> {
    let mut roots = RootCertStore::empty();
    if roots.add(CertificateDer::from(anchor.to_vec())).is_err() {
        return Err("the matched certificate cannot serve as a trust anchor".into());
    }
    let verifier = ChainVerifier::new(roots).map_err(|e| e.to_string())?;
    let chain: Vec<CertificateDer<'_>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let now = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(now).unwrap_or(0)));
    let verdict = verifier.verdict(&chain, Some(exchange), now);
    if verdict.is_trusted() {
        Ok(())
    } else {
        Err(format!(
            "the chain to the DANE-TA anchor fails: {}",
            verdict.label()
        ))
    }
}

/// Finding id, title and fix for an Exchange Online code.
fn exo_failure(code: &'static str) -> (FindingId, String, String) {
    if code == exo::STARTTLS_NOT_SUPPORTED {
        (
            FindingId::DaneNoStarttls,
            format!("A DANE-protected exchange does not offer STARTTLS: Exchange Online bounces with {code}"),
            "Enable STARTTLS: with TLSA records published, senders require TLS (RFC 7672 §2.2).".to_owned(),
        )
    } else if code == exo::CERTIFICATE_EXPIRED {
        (
            FindingId::DaneCertificateExpired,
            format!("The DANE-matched certificate has expired: Exchange Online bounces with {code}"),
            "Renew the certificate; publish the new key's \"3 1 1\" record next to the old one, wait two TTLs, switch the certificate, then remove the old record.".to_owned(),
        )
    } else if code == exo::CERTIFICATE_HOST_MISMATCH {
        (
            FindingId::DaneCertificateHostMismatch,
            format!("The DANE-matched certificate does not name the MX host: Exchange Online bounces with {code}"),
            "Issue the certificate with the MX host name in subjectAltName (RFC 7672 §3.2.2 lets DANE-EE ignore names, Exchange Online does not).".to_owned(),
        )
    } else {
        (
            FindingId::DaneTlsaMismatch,
            format!("No usable TLSA record matches the certificate: Exchange Online bounces with {code}"),
            "Publish \"3 1 1\" (SHA-256 of the SubjectPublicKeyInfo) of the certificate the server sends now, plus the next key's record before any change; usages 0 and 1 do not count for SMTP.".to_owned(),
        )
    }
}

/// A short account of a failing server: what matched what.
fn server_detail(s: &ServerDane, records: &[RecordView]) -> String {
    if s.sessions.is_empty() {
        return "no STARTTLS".to_owned();
    }
    let usable = records.iter().filter(|v| v.unusable.is_none()).count();
    let mut parts = Vec::new();
    for se in &s.sessions {
        let m = if se.matches.is_empty() {
            format!(
                "no record of {usable} usable matched the {}-certificate chain",
                se.chain_len
            )
        } else {
            se.matches
                .iter()
                .map(|m| {
                    let rec = records
                        .get(m.record)
                        .map(|v| v.record.presentation())
                        .unwrap_or_default();
                    let rec: String = rec.chars().take(24).collect();
                    format!("{rec}… matched certificate {}", m.certificate)
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        parts.push(format!("{}: {m}", se.version));
    }
    parts.join(", ")
}

/// What an MTA-STS certificate check says about a server without TLS.
const NO_STARTTLS: &str = "no STARTTLS";

fn judge_mta_sts(
    obs: &PolicyObservation,
    servers: &[ServerObservation],
    acc: &mut Accumulator,
) -> Vec<StsExchange> {
    let sts = &obs.mta_sts;
    let fix_id = vec!["After any change to the policy file, publish a new id in the _mta-sts TXT record, or senders keep the cached policy until max_age runs out.".to_owned()];
    match &sts.record {
        None => return Vec::new(),
        Some(Err(why)) => {
            acc.add(Finding::of(FindingId::MtaStsRecordInvalid)
.with_evidence(vec![format!("_mta-sts.{}: {why}", obs.domain)])
.with_remediation(vec![format!("Publish exactly one record: \"v=STSv1; id=20250101T000000\" at _mta-sts.{} (RFC 8461 §3.1).", obs.domain)]));
            return Vec::new();
        }
        Some(Ok(_)) => {}
    }
    let problem = match &sts.fetch {
        PolicyFetch::NotFetched => Some("the policy was not fetched".to_owned()),
        PolicyFetch::Failed { kind, detail } => Some(format!("{kind}: {detail}")),
        PolicyFetch::Response {
            status,
            content_type,
            location,
            oversized,
            body_timed_out,
            ..
        } => {
            if (300..400).contains(status) {
                Some(format!(
                    "HTTP {status} redirect to {} (RFC 8461 §3.3: redirects are not followed)",
                    location.as_deref().unwrap_or("nowhere")
                ))
            } else if *status != 200 {
                Some(format!("HTTP {status}"))
            } else if *oversized {
                Some(format!(
                    "the body is larger than {} bytes",
                    crate::net::policy::fetch::MAX_POLICY_BYTES
                ))
            } else if *body_timed_out {
                Some("the body did not arrive in time".to_owned())
            } else if !content_type.as_deref().is_some_and(|c| {
                c.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/plain"))
            }) {
                Some(format!(
                    "Content-Type is {} instead of text/plain (RFC 8461 §3.2)",
                    content_type.as_deref().unwrap_or("missing")
                ))
            } else {
                None
            }
        }
    };
    if let Some(problem) = problem {
        acc.add(Finding::of(FindingId::MtaStsPolicyUnavailable)
.with_evidence(vec![format!("{}: {problem}", sts.url)])
.with_remediation(vec![
                format!("Serve {} directly (no redirect) with HTTP 200, Content-Type text/plain and a certificate valid for mta-sts.{} (RFC 8461 §3.3).", sts.url, obs.domain),
                "Senders that cached an earlier policy keep applying it until its max_age runs out.".to_owned(),
            ]));
        return Vec::new();
    }
    let policy: &StsPolicy = match &sts.policy {
        Some(Ok(p)) => p,
        Some(Err(why)) => {
            acc.add(Finding::of(FindingId::MtaStsPolicyInvalid)
.with_evidence(vec![format!("{}: {why}", sts.url)])
.with_remediation([vec!["The policy needs version: STSv1, mode, one mx line per pattern and max_age (RFC 8461 §3.2).".to_owned()], fix_id].concat()));
            return Vec::new();
        }
        None => return Vec::new(),
    };
    for w in &policy.warnings {
        acc.add(
            Finding::of(FindingId::MtaStsPolicyOdd)
                .with_evidence(vec![format!("{}: {w}", sts.url)])
                .with_remediation(fix_id.clone()),
        );
    }
    let mx: Vec<String> = obs
        .mx
        .answer
        .records()
        .iter()
        .map(|(_, n)| n.clone())
        .collect();
    let mut result = Vec::new();
    let severity = match policy.mode {
        StsMode::Enforce => Severity::Error,
        StsMode::Testing => Severity::Warning,
        StsMode::None => Severity::Info,
    };
    for exchange in &mx {
        let pattern = policy.mx.iter().find(|p| mx_matches(p, exchange)).cloned();
        let certificates: Vec<(String, Option<Result<(), String>>)> = servers
            .iter()
            .filter(|s| {
                s.host
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(exchange))
            })
            .map(|s| {
                let verdict = match (&s.certificate, &s.starttls) {
                    (Some(c), _) if c.verdict.is_trusted() => Some(Ok(())),
                    (Some(c), _) => Some(Err(c.verdict.label().to_owned())),
                    // RFC 8461 §4.2: an MTA-STS sender requires TLS.
                    (None, StarttlsStatus::NotOffered | StarttlsStatus::Refused(_)) => {
                        Some(Err(NO_STARTTLS.to_owned()))
                    }
                    (None, _) => None,
                };
                (s.address.to_string(), verdict)
            })
            .collect();
        if policy.mode != StsMode::None {
            if pattern.is_none() {
                acc.add(Finding::of(FindingId::MtaStsMxNotInPolicy)
.with_severity(severity)
.with_title(format!(
                        "An MX host is not listed in the MTA-STS policy ({} mode): Exchange Online logs {}",
                        policy.mode.label(),
                        exo::MTA_STS_MX
                    ))
.with_evidence(vec![format!("MX {exchange} matches none of: {}", policy.mx.join(", "))])
.with_remediation([vec![format!("Add \"mx: {exchange}\" (or a *. pattern for its parent) to the policy.")], fix_id.clone()].concat()));
            }
            for (address, cert) in &certificates {
                if let Some(Err(why)) = cert
                    .as_ref()
                    .filter(|c| c.as_ref().err().is_some_and(|w| w == NO_STARTTLS))
                {
                    acc.add(Finding::of(FindingId::MtaStsNoStarttls)
.with_severity(severity)
.with_title(format!(
                            "An MX host under an MTA-STS policy ({} mode) does not offer STARTTLS: senders that honour the policy do not deliver to it",
                            policy.mode.label()
                        ))
.with_evidence(vec![format!("{exchange} ({address}): {why}")])
.with_remediation(vec!["RFC 8461 §4.2 and §5: a sender applying the policy delivers only over TLS with a valid certificate for the MX host.".to_owned()]));
                } else if let Some(Err(why)) = cert {
                    acc.add(Finding::of(FindingId::MtaStsCertificateInvalid)
.with_severity(severity)
.with_title(format!(
                            "An MX certificate fails the MTA-STS policy ({} mode): Exchange Online logs {}",
                            policy.mode.label(),
                            exo::MTA_STS_CERT
                        ))
.with_evidence(vec![format!("{exchange} ({address}): {why}")])
.with_remediation(vec!["RFC 8461 §4.2: the MX certificate must chain to a trusted root and name the MX host (subjectAltName).".to_owned()]));
                }
            }
        }
        result.push(StsExchange {
            exchange: exchange.clone(),
            pattern,
            certificates,
        });
    }
    if policy.mode == StsMode::Testing {
        acc.add(
            Finding::of(FindingId::MtaStsTesting)
                .with_evidence(vec![format!(
                    "{}: mode testing, max_age {}",
                    sts.url, policy.max_age
                )])
                .with_remediation(fix_id),
        );
    }
    result
}

fn judge_tls_rpt(obs: &PolicyObservation, dane: &[ExchangeVerdict], acc: &mut Accumulator) {
    let uses_policy = dane.iter().any(|x| x.state == DaneState::Applies)
        || matches!(obs.mta_sts.record, Some(Ok(_)));
    match &obs.tls_rpt.record {
        Some(Err(why)) => acc.add(Finding::of(FindingId::TlsRptInvalid)
.with_evidence(vec![format!("_smtp._tls.{}: {why}", obs.domain)])
.with_remediation(vec![format!("Publish \"v=TLSRPTv1; rua=mailto:tlsrpt@{}\" at _smtp._tls.{} (RFC 8460 §3).", obs.domain, obs.domain)])),
        None if uses_policy => acc.add(Finding::of(FindingId::TlsRptMissing)
.with_evidence(vec![format!("_smtp._tls.{}: no v=TLSRPTv1 record", obs.domain)])
.with_remediation(vec![format!("Publish \"v=TLSRPTv1; rua=mailto:tlsrpt@{}\" at _smtp._tls.{} to receive daily reports of TLS failures (RFC 8460).", obs.domain, obs.domain)])),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
