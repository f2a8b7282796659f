//! Findings from what DNS said: null MX, NXDOMAIN, no mail records,
//! resolver failures, and MX records that break RFC 5321. Pure.

use super::findings::{sig, Accumulator, Finding, Severity};
use crate::model::outcome::{DnsAnswer, DnsSection};
use crate::net::dns::{DnsError, DnsWarning, MailRouting};

fn finding(
    id: &'static str,
    severity: Severity,
    title: String,
    evidence: Vec<String>,
    fix_short: &'static str,
    remediation: &str,
) -> Finding {
    Finding::new(
        id,
        severity,
        title,
        evidence,
        fix_short,
        vec![remediation.to_owned()],
    )
}

fn lookup_failed(name: &str, resolver: &str, e: &DnsError) -> Finding {
    let mut f = finding(
        "dns-lookup-failed",
        Severity::Error,
        format!("DNS lookup of {name} failed: {e}"),
        vec![format!("resolver {resolver}: {}", e.label())],
        "fix the DNS zone or ask another resolver (--resolver)",
        "Ask another resolver (--resolver 1.1.1.1) to see whether the zone or the local resolver is at fault; senders that see this error queue the mail and retry.",
    );
    f.signatures = vec![sig::DNS_FAILED_451, sig::DNS_FAILED_450];
    f
}

/// The `FilteredOut` warning among `warnings`, if any.
fn filtered_out(warnings: &[DnsWarning]) -> Option<&DnsWarning> {
    warnings
        .iter()
        .find(|w| matches!(w, DnsWarning::FilteredOut { .. }))
}

/// A name whose only addresses `-4`/`-6` left out: say what was removed.
fn filtered_finding(id: &'static str, severity: Severity, title: String) -> Finding {
    finding(
        id,
        severity,
        title.clone(),
        vec![title],
        "run without -4/-6 to test those addresses",
        "The name has addresses, but only of the family this run leaves out (-4 or -6), so tlscheck did not test them. Senders that use that family do deliver there: run again without -4/-6 from a network that has it.",
    )
}

/// The findings for a DNS answer, and whether it is a null MX.
pub fn findings(section: &DnsSection) -> (Vec<Finding>, bool) {
    let name = &section.query;
    let mut acc = Accumulator::default();
    let mut null_mx = false;
    match &section.answer {
        DnsAnswer::Host(h) => {
            if let Some(e) = &h.error {
                acc.add(lookup_failed(name, &section.resolver, e));
            } else if let Some(w) = filtered_out(&h.warnings) {
                acc.add(filtered_finding(
                    "host-filtered-out",
                    Severity::Warning,
                    format!("{name}: {w}"),
                ));
            } else if h.addresses.is_empty() {
                acc.add(finding(
                    "host-has-no-address",
                    Severity::Error,
                    format!("{name} has no A or AAAA record"),
                    Vec::new(),
                    "check the host name",
                    "Check the spelling, or drop --host to look up the domain's MX records.",
                ));
            }
        }
        DnsAnswer::Mail(routing) => match routing {
            MailRouting::NullMx => {
                null_mx = true;
                acc.add(finding(
                    "null-mx",
                    Severity::Info,
                    format!("{name} publishes a null MX (RFC 7505): it accepts no mail"),
                    Vec::new(),
                    "nothing, unless the domain should receive mail",
                    "If the domain should receive mail, replace the \"0 .\" MX record with the real mail servers.",
                ));
            }
            MailRouting::NxDomain => {
                let mut f = finding(
                    "domain-does-not-exist",
                    Severity::Error,
                    format!("{name} does not exist in DNS (NXDOMAIN)"),
                    vec![format!("resolver {}", section.resolver)],
                    "check the domain name",
                    "Check the spelling; senders bounce mail for a domain that does not exist.",
                );
                f.signatures = vec![sig::DNS_FAILED_451, sig::DNS_FAILED_450];
                acc.add(f);
            }
            MailRouting::NoMailRecords => acc.add(finding(
                "no-mail-records",
                Severity::Error,
                format!("{name} has no MX and no address records: nobody can deliver mail to it"),
                Vec::new(),
                "publish MX records for the domain",
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
                acc.add(finding(
                    "implicit-mx",
                    Severity::Info,
                    format!("{name} has no MX records; senders deliver to its own address (implicit MX, RFC 5321 §5.1)"),
                    Vec::new(),
                    if domain {
                        "nothing; publish MX records to be explicit"
                    } else {
                        "nothing"
                    },
                    if domain {
                        "This works, but an explicit MX record is clearer and lets you add a backup server."
                    } else {
                        "Nothing to change for a host name. If you meant a mail domain, give the domain; to test only this host and never its MX records, use --host."
                    },
                ));
                if let Some(w) = filtered_out(warnings) {
                    acc.add(filtered_finding(
                        "host-filtered-out",
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
                    if let Some(e) = &x.error {
                        let mut f = lookup_failed(&x.exchange, &section.resolver, e);
                        f.id = "exchange-lookup-failed";
                        f.severity = if all_empty { Severity::Error } else { Severity::Warning };
                        acc.add(f);
                    }
                    for w in &x.warnings {
                        let (id, severity, fix) = match w {
                            DnsWarning::MxIsCname { .. } => (
                                "mx-points-to-cname",
                                Severity::Warning,
                                "point the MX at the host's canonical name",
                            ),
                            DnsWarning::MxIsIpLiteral => (
                                "mx-is-ip-literal",
                                Severity::Warning,
                                "point the MX at a host name, not an address",
                            ),
                            DnsWarning::NoAddresses | DnsWarning::NxDomain => (
                                "exchange-without-address",
                                if all_empty { Severity::Error } else { Severity::Warning },
                                "give the exchange an A/AAAA record or remove the MX",
                            ),
                            DnsWarning::NullMxAmongOthers => (
                                "null-mx-among-others",
                                Severity::Warning,
                                "remove the \"0 .\" record or the others",
                            ),
                            DnsWarning::NotResolved => (
                                "too-many-exchanges",
                                Severity::Info,
                                "nothing",
                            ),
                            DnsWarning::FilteredOut { .. } => {
                                // Not "exchange without address": the
                                // exchange has addresses, -4/-6 left them
                                // out of this run.
                                acc.add(filtered_finding(
                                    "exchange-filtered-out",
                                    if all_empty { Severity::Warning } else { Severity::Info },
                                    format!("MX {} {}: {w}", x.preference, x.exchange),
                                ));
                                continue;
                            }
                        };
                        acc.add(finding(
                            id,
                            severity,
                            format!("MX {} {}: {w}", x.preference, x.exchange),
                            vec![format!("MX {} {}: {w}", x.preference, x.exchange)],
                            fix,
                            "RFC 5321 §5.1: an MX must name a host with address records, not an alias or an address.",
                        ));
                    }
                }
            }
        },
    }
    (acc.finish(), null_mx)
}
