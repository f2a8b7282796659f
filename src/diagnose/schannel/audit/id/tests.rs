use std::collections::BTreeSet;

use super::*;
use crate::diagnose::schannel::audit::Finding;

/// The audit's ids as published before they became a type (docs/schema.md).
const PUBLISHED: &[&str] = &[
    "dotnet-not-in-export",
    "dotnet-strong-crypto-disabled",
    "dotnet-strong-crypto-missing",
    "dotnet-system-default-tls-disabled",
    "dotnet-system-default-tls-missing",
    "legacy-default-unknown-on-2025",
    "legacy-tls-enabled",
    "nine-digit-dword",
    "no-office365-cipher-suite",
    "overlong-dword",
    "schannel-not-in-export",
    "ssl2-enabled",
    "ssl3-enabled",
    "tls12-client-disabled",
    "tls12-disabled-by-default",
    "tls12-not-explicit",
    "tls12-os-default-unknown",
    "tls12-server-disabled",
    "tls13-not-supported-on-os",
    "tls13-not-used-by-exchange-smtp",
    "typo-key-tls-1-comma-2",
    "unrecognised-protocol-key",
    "values-on-protocol-key",
    "wrong-value-type",
];

#[test]
fn the_table_holds_exactly_the_published_ids() {
    let table: BTreeSet<&str> = AuditId::all().map(AuditId::as_str).collect();
    assert_eq!(table, PUBLISHED.iter().copied().collect());
    assert_eq!(
        AUDIT_FINDINGS.len(),
        PUBLISHED.len(),
        "an id is in the table twice"
    );
}

#[test]
fn each_row_belongs_to_its_variant_and_strings_round_trip() {
    for (i, row) in AUDIT_FINDINGS.iter().enumerate() {
        assert_eq!(row.id as usize, i, "row {i} ({}) is out of order", row.name);
        assert_eq!(row.id.to_string(), row.name);
        assert_eq!(row.name.parse::<AuditId>(), Ok(row.id));
        assert_eq!(AuditId::lookup(row.name), Some(row.id));
        assert!(!row.title.is_empty());
    }
    assert!("tls-1-2-off".parse::<AuditId>().is_err());
}

#[test]
fn a_finding_takes_its_severity_from_the_table() {
    let f = Finding::of(AuditId::Tls12DisabledByDefault);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        Finding::of(AuditId::Tls12NotExplicit).severity,
        Severity::Info
    );
}
