//! Findings from what DNS said: null MX, NXDOMAIN, no mail records,
//! resolver failures, and MX records that break RFC 5321. Pure.

use super::findings::{sig, Accumulator, Finding, FindingId, Severity};
use crate::model::dns::{DnsError, DnsWarning, HostAddresses, MailRouting, MxExchange};
use crate::model::outcome::{DnsAnswer, DnsSection};

/// A finding with one step to take.
fn finding(id: FindingId, title: String, evidence: Vec<String>, step: &str) -> Finding {
    Finding::of(id)
        .with_title(title)
        .with_evidence(evidence)
        .with_remediation(vec![step.to_owned()])
}

fn lookup_failed(name: &str, resolver: &str, e: &DnsError) -> Finding {
    finding(
        FindingId::DnsLookupFailed,
        format!("DNS lookup of {name} failed: {e}"),
        vec![format!("resolver {resolver}: {}", e.label())],
        "Ask another resolver (--resolver 1.1.1.1) to see whether the zone or the local resolver is at fault; senders that see this error queue the mail and retry.",
    )
    .with_signatures(vec![sig::DNS_FAILED_451, sig::DNS_FAILED_450])
}

/// The `FilteredOut` warning among `warnings`, if any.
fn filtered_out(warnings: &[DnsWarning]) -> Option<&DnsWarning> {
    warnings
        .iter()
        .find(|w| matches!(w, DnsWarning::FilteredOut { .. }))
}

/// A name whose only addresses `-4`/`-6` left out: say what was removed.
fn filtered_finding(id: FindingId, severity: Severity, title: String) -> Finding {
    finding(
        id,
        title.clone(),
        vec![title],
        "The name has addresses, but only of the family this run leaves out (-4 or -6), so tlscheck did not test them. Senders that use that family do deliver there: run again without -4/-6 from a network that has it.",
    )
    .with_severity(severity)
}

/// The findings for a DNS answer, and whether it is a null MX.
pub fn findings(section: &DnsSection) -> (Vec<Finding>, bool) {
    let mut acc = Accumulator::default();
    let null_mx = match &section.answer {
        DnsAnswer::Host(h) => {
            host_findings(section, h, &mut acc);
            false
        }
        DnsAnswer::Mail(routing) => routing_findings(section, routing, &mut acc),
    };
    (acc.finish(), null_mx)
}

/// A host name given with `--host`.
fn host_findings(section: &DnsSection, h: &HostAddresses, acc: &mut Accumulator) {
    let name = &section.query;
    if let Some(e) = &h.error {
        acc.add(lookup_failed(name, &section.resolver, e));
    } else if let Some(w) = filtered_out(&h.warnings) {
        acc.add(filtered_finding(
            FindingId::HostFilteredOut,
            Severity::Warning,
            format!("{name}: {w}"),
        ));
    } else if h.addresses.is_empty() {
        acc.add(finding(
            FindingId::HostHasNoAddress,
            format!("{name} has no A or AAAA record"),
            Vec::new(),
            "Check the spelling, or drop --host to look up the domain's MX records.",
        ));
    }
}

/// A domain's mail routing; true for a null MX.
fn routing_findings(section: &DnsSection, routing: &MailRouting, acc: &mut Accumulator) -> bool {
    let name = &section.query;
    match routing {
        MailRouting::NullMx => {
            acc.add(finding(
                FindingId::NullMx,
                format!("{name} publishes a null MX (RFC 7505): it accepts no mail"),
                Vec::new(),
                "If the domain should receive mail, replace the \"0 .\" MX record with the real mail servers.",
            ));
            return true;
        }
        MailRouting::NxDomain => acc.add(
            finding(
                FindingId::DomainDoesNotExist,
                format!("{name} does not exist in DNS (NXDOMAIN)"),
                vec![format!("resolver {}", section.resolver)],
                "Check the spelling; senders bounce mail for a domain that does not exist.",
            )
            .with_signatures(vec![sig::DNS_FAILED_451, sig::DNS_FAILED_450]),
        ),
        MailRouting::NoMailRecords => acc.add(finding(
            FindingId::NoMailRecords,
            format!("{name} has no MX and no address records: nobody can deliver mail to it"),
            Vec::new(),
            "Publish MX records that name the mail servers (Office 365: <domain>-<tld>.mail.protection.outlook.com).",
        )),
        MailRouting::Failed(e) => acc.add(lookup_failed(name, &section.resolver, e)),
        MailRouting::ImplicitMx {
            error,
            warnings,
            zone_apex,
            ..
        } => {
            // "Publish an MX record" is advice for a domain; a host name
            // given to tlscheck (mail.example.com) rightly has none.
            let domain = *zone_apex == Some(true);
            let f = finding(
                FindingId::ImplicitMx,
                format!("{name} has no MX records; senders deliver to its own address (implicit MX, RFC 5321 §5.1)"),
                Vec::new(),
                if domain {
                    "This works, but an explicit MX record is clearer and lets you add a backup server."
                } else {
                    "Nothing to change for a host name. If you meant a mail domain, give the domain; to test only this host and never its MX records, use --host."
                },
            );
            acc.add(if domain {
                f.with_fix_short("nothing; publish MX records to be explicit")
            } else {
                f
            });
            if let Some(w) = filtered_out(warnings) {
                acc.add(filtered_finding(
                    FindingId::HostFilteredOut,
                    Severity::Warning,
                    format!("{name}: {w}"),
                ));
            }
            if let Some(e) = error {
                acc.add(lookup_failed(name, &section.resolver, e));
            }
        }
        MailRouting::Mx { exchanges } => {
            let all_empty = exchanges.iter().all(|x| x.addresses.is_empty());
            for x in exchanges {
                exchange_findings(section, x, all_empty, acc);
            }
        }
    }
    false
}

/// One MX host: its lookup and what RFC 5321 says of the record.
/// `all_empty` when no exchange of the domain has an address, so that
/// nothing can be delivered.
fn exchange_findings(section: &DnsSection, x: &MxExchange, all_empty: bool, acc: &mut Accumulator) {
    let unless_all_empty = |other| if all_empty { Severity::Error } else { other };
    if let Some(e) = &x.error {
        let mut f = lookup_failed(&x.exchange, &section.resolver, e)
            .with_severity(unless_all_empty(Severity::Warning));
        f.id = FindingId::ExchangeLookupFailed;
        acc.add(f);
    }
    for w in &x.warnings {
        let label = format!("MX {} {}: {w}", x.preference, x.exchange);
        let (id, severity) = match w {
            DnsWarning::MxIsCname { .. } => (FindingId::MxPointsToCname, Severity::Warning),
            DnsWarning::MxIsIpLiteral => (FindingId::MxIsIpLiteral, Severity::Warning),
            DnsWarning::NoAddresses | DnsWarning::NxDomain => (
                FindingId::ExchangeWithoutAddress,
                unless_all_empty(Severity::Warning),
            ),
            DnsWarning::NullMxAmongOthers => (FindingId::NullMxAmongOthers, Severity::Warning),
            DnsWarning::NotResolved => (FindingId::TooManyExchanges, Severity::Info),
            DnsWarning::FilteredOut { .. } => {
                // Not "exchange without address": the exchange has
                // addresses, -4/-6 left them out of this run.
                acc.add(filtered_finding(
                    FindingId::ExchangeFilteredOut,
                    if all_empty {
                        Severity::Warning
                    } else {
                        Severity::Info
                    },
                    label,
                ));
                continue;
            }
        };
        acc.add(
            finding(
                id,
                label.clone(),
                vec![label],
                "RFC 5321 §5.1: an MX must name a host with address records, not an alias or an address.",
            )
            .with_severity(severity),
        );
    }
}
