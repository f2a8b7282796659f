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

mod dane;
mod mta_sts;
mod tls_rpt;

use dane::judge_exchange;
pub use dane::{cert_matches, judge_session};
use mta_sts::judge_mta_sts;
use tls_rpt::judge_tls_rpt;

#[cfg(test)]
mod tests;
