use super::*;
use hickory_resolver::proto::dnssec::rdata::DNSKEY;
use hickory_resolver::proto::dnssec::PublicKey;

/// The public key of a DNSKEY.
fn key_bytes(key: &DNSKEY) -> Vec<u8> {
    key.public_key().public_bytes().to_vec()
}

#[test]
fn parses_ldns_key_and_ds_files() {
    let text = "example.test.\tIN\tDNSKEY\t257 3 13 \
            kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ== ;{id = 1 (ksk)}\n\
            example.test.\tIN\tDS\t12345 13 2 \
            e9a9d2a9a5a4d1f7d0d2b7f2f2c9f3b9a1e2d3c4b5a69788796a5b4c3d2e1f00\n";
    let entries = parse_anchor_file(text).unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries
        .iter()
        .any(|e| matches!(e, AnchorEntry::Dnskey { key, .. } if key_bytes(key).len() == 64)));
}

#[test]
fn refuses_files_without_anchors_or_with_other_records() {
    assert!(parse_anchor_file("").is_err());
    assert!(parse_anchor_file("example.test. IN A 192.0.2.1\n").is_err());
    assert!(parse_anchor_file("garbage garbage\n").is_err());
    assert!(parse_anchor_file("$INCLUDE /etc/passwd\n").is_err());
}

#[test]
fn the_weakest_proof_decides() {
    assert_eq!(
        combine([Proof::Secure, Proof::Secure].into_iter()),
        DnssecStatus::Secure
    );
    assert_eq!(
        combine([Proof::Secure, Proof::Insecure].into_iter()),
        DnssecStatus::Insecure
    );
    assert_eq!(
        combine([Proof::Secure, Proof::Bogus].into_iter()).label(),
        "bogus"
    );
    assert_eq!(combine(std::iter::empty()).label(), "indeterminate");
}
