//! Pasted text (an NDR, a log line) matched against the catalogue.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tlscheck::diagnose::explain::explain(&String::from_utf8_lossy(data));
});
