use std::collections::BTreeSet;

use super::*;

/// The ids as published before they became a type (docs/schema.md: the
/// `id` strings are a stable interface). The table must keep every one.
const PUBLISHED: &[&str] = &[
    "all-connections-timed-out",
    "certificate-expired",
    "certificate-expires-soon",
    "certificate-invalid",
    "certificate-name-mismatch",
    "certificate-not-yet-valid",
    "certificate-rsa-key-short",
    "certificate-self-signed",
    "certificate-sha1-signature",
    "certificate-untrusted",
    "client-certificate-required",
    "closed-before-greeting",
    "connection-refused",
    "connection-timed-out",
    "dane-certificate-expired",
    "dane-certificate-host-mismatch",
    "dane-dnssec-invalid",
    "dane-no-starttls",
    "dane-not-applied",
    "dane-single-record",
    "dane-stale-record",
    "dane-tlsa-mismatch",
    "dns-lookup-failed",
    "dnssec-bogus",
    "domain-does-not-exist",
    "ehlo-refused",
    "exchange-filtered-out",
    "exchange-lookup-failed",
    "exchange-without-address",
    "greeting-rejected",
    "host-filtered-out",
    "host-has-no-address",
    "host-unreachable",
    "implicit-mx",
    "legacy-tls-enabled",
    "legacy-tls-only",
    "mta-sts-certificate-invalid",
    "mta-sts-mx-not-in-policy",
    "mta-sts-no-starttls",
    "mta-sts-policy-invalid",
    "mta-sts-policy-odd",
    "mta-sts-policy-unavailable",
    "mta-sts-record-invalid",
    "mta-sts-testing",
    "mx-is-ip-literal",
    "mx-points-to-cname",
    "no-greeting",
    "no-mail-records",
    "no-starttls",
    "no-tls-version-accepted",
    "no-tls13",
    "not-smtp",
    "null-mx",
    "null-mx-among-others",
    "office365-no-common-cipher-suite",
    "reply-too-long",
    "requires-tls",
    "sender-handshake-failed",
    "sender-legacy-tls-only",
    "sender-no-client-hello",
    "sender-no-office365-cipher-suite",
    "sender-no-starttls",
    "sender-profile-no-common-cipher-suite",
    "server-unreachable",
    "slow-greeting",
    "smtp-inspection",
    "starttls-dropped",
    "starttls-refused",
    "starttls-rejected",
    "throttled",
    "tls-handshake-dropped",
    "tls-inconclusive",
    "tls-rpt-invalid",
    "tls-rpt-missing",
    "tls12-legacy-ciphers-only",
    "tls13-only",
    "tls13-required",
    "too-many-exchanges",
    "versions-undecided",
    "weak-cipher-suites",
    "weak-dh-group",
];

#[test]
fn the_table_holds_exactly_the_published_ids() {
    let table: BTreeSet<&str> = FindingId::all().map(FindingId::as_str).collect();
    let published: BTreeSet<&str> = PUBLISHED.iter().copied().collect();
    assert_eq!(table, published);
    assert_eq!(
        FINDINGS.len(),
        PUBLISHED.len(),
        "an id is in the table twice"
    );
}

#[test]
fn each_row_belongs_to_its_variant_and_strings_round_trip() {
    for (i, row) in FINDINGS.iter().enumerate() {
        assert_eq!(row.id as usize, i, "row {i} ({}) is out of order", row.name);
        assert_eq!(row.id.info().name, row.name);
        assert_eq!(row.id.to_string(), row.name);
        assert_eq!(FindingId::lookup(row.name), Some(row.id));
        assert_eq!(row.name.parse::<FindingId>(), Ok(row.id));
        assert_eq!(row.id, row.name);
        assert_eq!(row.name, row.id);
    }
}

#[test]
fn ids_are_kebab_case_and_rows_are_filled() {
    for row in FINDINGS {
        assert!(
            row.name.split('-').all(|w| !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
            "{}",
            row.name
        );
        assert!(
            !row.title.is_empty() && !row.title.ends_with('.'),
            "{}",
            row.name
        );
        assert!(!row.fix_short.is_empty(), "{}", row.name);
    }
}

#[test]
fn an_unknown_string_is_no_id_and_says_so() {
    assert_eq!(FindingId::lookup("legacy-tls"), None);
    assert_eq!(FindingId::lookup("LEGACY-TLS-ONLY"), None);
    let err = "no-such-finding".parse::<FindingId>().unwrap_err();
    assert_eq!(err.to_string(), "no finding has the id \"no-such-finding\"");
}

#[test]
fn groups_follow_meaning_not_substrings() {
    use FindingId::*;
    for id in [
        DomainDoesNotExist,
        NoMailRecords,
        HostHasNoAddress,
        HostFilteredOut,
        NullMx,
        ImplicitMx,
        DnsLookupFailed,
        ExchangeWithoutAddress,
    ] {
        assert_eq!(id.info().group, Group::Dns, "{id}");
    }
    for id in [
        DnssecBogus,
        DaneDnssecInvalid,
        MtaStsMxNotInPolicy,
        TlsRptMissing,
    ] {
        assert_eq!(id.info().group, Group::Policy, "{id}");
    }
    for id in FindingId::all().filter(|id| id.as_str().starts_with("certificate-")) {
        assert_eq!(id.info().group, Group::Certificate, "{id}");
    }
    for id in [
        LegacyTlsOnly,
        NoStarttls,
        ConnectionRefused,
        SenderLegacyTlsOnly,
    ] {
        assert_eq!(id.info().group, Group::Delivery, "{id}");
    }
}

#[test]
fn software_fixes_are_where_they_were() {
    let with_fix: BTreeSet<&str> = FINDINGS
        .iter()
        .filter(|r| r.remediation.is_some())
        .map(|r| r.name)
        .collect();
    assert_eq!(
        with_fix,
        BTreeSet::from([
            "legacy-tls-enabled",
            "legacy-tls-only",
            "no-starttls",
            "no-tls-version-accepted",
            "starttls-refused",
            "tls12-legacy-ciphers-only",
        ])
    );
}
