//! What the mail security policies a sender applies said: DNSSEC status,
//! DANE's TLSA records, MTA-STS and TLS-RPT (RFC 7671/7672, 8461, 8460).
//! Plain data that `net::policy` fills in and `diagnose::policy` judges.

use std::net::IpAddr;

use crate::proto::policy::{StsPolicy, StsRecord, TlsRptRecord, Tlsa};

/// What a DNSSEC-validating resolver concluded about an answer (RFC 4033
/// §5, RFC 4035 §4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnssecStatus {
    /// A chain of signatures leads from the trust anchor to the answer.
    Secure,
    /// The answer is provably outside any signed zone (no DS on the way).
    Insecure,
    /// It should have validated and did not.
    Bogus(String),
    /// Whether it should be signed could not be determined (the lookup
    /// failed, or the resolver could not get the DNSSEC records).
    Indeterminate(String),
}

impl DnssecStatus {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Secure => "secure",
            Self::Insecure => "insecure",
            Self::Bogus(_) => "bogus",
            Self::Indeterminate(_) => "indeterminate",
        }
    }

    /// The reason, for bogus and indeterminate.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Bogus(why) | Self::Indeterminate(why) => Some(why),
            _ => None,
        }
    }

    /// True when validated.
    pub fn is_secure(&self) -> bool {
        matches!(self, Self::Secure)
    }
}

/// The outcome of one validated question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer<T> {
    /// Records of the type asked for.
    Records(Vec<T>),
    /// The name exists, without records of that type.
    NoData,
    /// The name does not exist.
    NxDomain,
    /// The lookup failed (SERVFAIL, timeout, bogus, malformed answer).
    Failed(String),
}

impl<T> Answer<T> {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Records(_) => "records",
            Self::NoData => "no_data",
            Self::NxDomain => "nx_domain",
            Self::Failed(_) => "failed",
        }
    }

    /// The records, if any.
    pub fn records(&self) -> &[T] {
        match self {
            Self::Records(r) => r,
            _ => &[],
        }
    }
}

/// One validated lookup: what came back and how sure it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validated<T> {
    /// The name asked about (A-labels, no trailing dot).
    pub name: String,
    /// The answer.
    pub answer: Answer<T>,
    /// DNSSEC status of the answer (of its negative proof for NoData and
    /// NxDomain).
    pub status: DnssecStatus,
}

impl<T> Validated<T> {
    /// The same answer with another status.
    pub fn map_status(self, f: impl FnOnce(&DnssecStatus) -> DnssecStatus) -> Self {
        let status = f(&self.status);
        Self { status, ..self }
    }
}

/// The DANE view of one MX exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeDane {
    /// The exchange (A-labels, lower case, no trailing dot).
    pub exchange: String,
    /// MX preference.
    pub preference: u16,
    /// DNSSEC status of its address records (RFC 7672 §2.2.2: DANE
    /// applies only when they are secure, or insecure only through a CNAME).
    pub address_status: DnssecStatus,
    /// `_25._tcp.<exchange>` TLSA.
    pub tlsa: Validated<Tlsa>,
}

/// What was read about the policy host of MTA-STS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyFetch {
    /// Not fetched: no valid TXT record.
    NotFetched,
    /// The HTTPS request failed before a response (connect, TLS, timeout).
    Failed {
        /// Stable snake_case class: `resolve`, `connect`, `tls`,
        /// `timeout`, `other`.
        kind: &'static str,
        /// What failed.
        detail: String,
    },
    /// A response arrived.
    Response {
        /// The HTTP status.
        status: u16,
        /// The Content-Type header as sent (raw; renderers sanitize).
        content_type: Option<String>,
        /// The `Location` header of a redirect (never followed).
        location: Option<String>,
        /// The body read (at most `net::policy::fetch::MAX_POLICY_BYTES`).
        body: Vec<u8>,
        /// True when the body was longer than the bound (reading stopped).
        oversized: bool,
        /// True when reading the body ran out of time.
        body_timed_out: bool,
    },
}

impl PolicyFetch {
    /// A stable snake_case name for JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotFetched => "not_fetched",
            Self::Failed { .. } => "failed",
            Self::Response { .. } => "response",
        }
    }
}

/// MTA-STS as a sender sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtaStsObservation {
    /// `_mta-sts.<domain>` TXT strings, each record's strings joined.
    pub txt: Answer<String>,
    /// The record that counts, when exactly one starts with `v=STSv1`
    /// and it parses (RFC 8461 §3.1).
    pub record: Option<Result<StsRecord, String>>,
    /// `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
    pub url: String,
    /// The addresses the policy host resolved to.
    pub policy_addresses: Vec<IpAddr>,
    /// What the HTTPS request got.
    pub fetch: PolicyFetch,
    /// The parsed policy, when the response was usable.
    pub policy: Option<Result<StsPolicy, String>>,
}

/// TLS-RPT as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsRptObservation {
    /// `_smtp._tls.<domain>` TXT strings, each record's strings joined.
    pub txt: Answer<String>,
    /// The record that counts, when exactly one starts with `v=TLSRPTv1`.
    pub record: Option<Result<TlsRptRecord, String>>,
}

/// Everything the policy lookups found for one mail domain: plain data,
/// judged by `diagnose::policy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyObservation {
    /// The domain.
    pub domain: String,
    /// Which trust anchor validated the answers (part of every report).
    pub anchor: String,
    /// The domain's MX, validated: exchanges as `(preference, name)`.
    pub mx: Validated<(u16, String)>,
    /// Per exchange (as the MX lists them), the DANE lookups.
    pub exchanges: Vec<ExchangeDane>,
    /// MTA-STS.
    pub mta_sts: MtaStsObservation,
    /// TLS-RPT.
    pub tls_rpt: TlsRptObservation,
    /// When the lookups ran (Unix seconds): the "now" of expiry checks.
    pub checked_at: i64,
}
