//! TLS-RPT (RFC 8460): who hears of senders' TLS failures.

use super::*;

pub(super) fn judge_tls_rpt(
    obs: &PolicyObservation,
    dane: &[ExchangeVerdict],
    acc: &mut Accumulator,
) {
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
