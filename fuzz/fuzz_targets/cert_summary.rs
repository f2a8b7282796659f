//! The input as a one-certificate chain: its verdict against the Mozilla
//! roots (`ChainVerifier::verdict`), then its summary (`cert::summarize`).
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, UnixTime};
use tlscheck::model::TlsVersion;
use tlscheck::model::cert::{root_store, summarize, ChainVerifier};

/// 2026-01-01T00:00:00Z: a fixed clock, so a run is reproducible.
const NOW: u64 = 1_767_225_600;

static VERIFIER: OnceLock<ChainVerifier> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let verifier = VERIFIER.get_or_init(|| ChainVerifier::new(root_store(&[])).unwrap());
    let chain = [CertificateDer::from(data)];
    let now = UnixTime::since_unix_epoch(Duration::from_secs(NOW));
    let verdict = verifier.verdict(&chain, Some("mx.example.com"), now);
    let _ = summarize(&[data.to_vec()], verdict, TlsVersion::Tls12, NOW as i64);
});
