//! DANE (RFC 7671, RFC 7672) per exchange: whether senders apply it, and
//! how every TLSA record fares against the chain each TLS session got, in
//! RFC 7672's view and in Exchange Online's.

use super::*;

pub(super) fn judge_exchange(
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
pub(super) fn unusable(r: &Tlsa) -> Option<String> {
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

pub(super) fn dane_state(x: &ExchangeDane, mx_secure: bool, records: &[RecordView]) -> DaneState {
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
pub(super) fn judge_server(
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
pub(super) fn leaf_checks(
    exchange: &str,
    leaf: Option<&[u8]>,
    now: i64,
) -> Result<(), &'static str> {
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
pub(super) fn names_host(cert: &X509Certificate<'_>, host: &str) -> bool {
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
pub(super) fn chain_to_anchor(
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
pub(super) fn exo_failure(code: &'static str) -> (FindingId, String, String) {
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
pub(super) fn server_detail(s: &ServerDane, records: &[RecordView]) -> String {
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
