//! MTA-STS (RFC 8461): the record, the policy file, and every MX host and
//! its certificate against the policy.

use super::*;

/// What an MTA-STS certificate check says about a server without TLS.
pub(super) const NO_STARTTLS: &str = "no STARTTLS";

pub(super) fn judge_mta_sts(
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
    if let Some(problem) = fetch_problem(&sts.fetch) {
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
    let result = mx
        .iter()
        .map(|exchange| judge_sts_exchange(policy, exchange, servers, &fix_id, acc))
        .collect();
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

/// Why a fetched policy cannot be used, if it cannot.
fn fetch_problem(fetch: &PolicyFetch) -> Option<String> {
    match fetch {
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
    }
}

/// MTA-STS for one MX host: is it in the policy, does its certificate pass.
fn judge_sts_exchange(
    policy: &StsPolicy,
    exchange: &String,
    servers: &[ServerObservation],
    fix_id: &[String],
    acc: &mut Accumulator,
) -> StsExchange {
    let severity = match policy.mode {
        StsMode::Enforce => Severity::Error,
        StsMode::Testing => Severity::Warning,
        StsMode::None => Severity::Info,
    };
    let pattern = policy.mx.iter().find(|p| mx_matches(p, exchange)).cloned();
    let certificates = sts_certificates(servers, exchange);
    if policy.mode != StsMode::None {
        // The policy's mode sets the severity, and the title names it.
        let under_policy =
            |id, title: String| Finding::of(id).with_severity(severity).with_title(title);
        let mode = policy.mode.label();
        if pattern.is_none() {
            acc.add(
                under_policy(
                    FindingId::MtaStsMxNotInPolicy,
                    format!("An MX host is not listed in the MTA-STS policy ({mode} mode): Exchange Online logs {}", exo::MTA_STS_MX),
                )
                .with_evidence(vec![format!("MX {exchange} matches none of: {}", policy.mx.join(", "))])
                .with_remediation([vec![format!("Add \"mx: {exchange}\" (or a *. pattern for its parent) to the policy.")], fix_id.to_vec()].concat()),
            );
        }
        for (address, cert) in &certificates {
            let Some(Err(why)) = cert else { continue };
            let f = if why == NO_STARTTLS {
                under_policy(
                    FindingId::MtaStsNoStarttls,
                    format!("An MX host under an MTA-STS policy ({mode} mode) does not offer STARTTLS: senders that honour the policy do not deliver to it"),
                )
                .with_remediation(vec!["RFC 8461 §4.2 and §5: a sender applying the policy delivers only over TLS with a valid certificate for the MX host.".to_owned()])
            } else {
                under_policy(
                    FindingId::MtaStsCertificateInvalid,
                    format!("An MX certificate fails the MTA-STS policy ({mode} mode): Exchange Online logs {}", exo::MTA_STS_CERT),
                )
                .with_remediation(vec!["RFC 8461 §4.2: the MX certificate must chain to a trusted root and name the MX host (subjectAltName).".to_owned()])
            };
            acc.add(f.with_evidence(vec![format!("{exchange} ({address}): {why}")]));
        }
    }
    StsExchange {
        exchange: exchange.clone(),
        pattern,
        certificates,
    }
}

/// Each server of `exchange` with what MTA-STS makes of its certificate:
/// `None` when no certificate was seen and STARTTLS was not refused.
fn sts_certificates(
    servers: &[ServerObservation],
    exchange: &str,
) -> Vec<(String, Option<Result<(), String>>)> {
    servers
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
        .collect()
}
