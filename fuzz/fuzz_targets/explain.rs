//! Pasted text (an NDR, a log line) matched against the catalogue.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = tlscheck::diagnose::explain::explain(&text);
    let ctx = tlscheck::diagnose::explain::context(&text);
    let _ = ctx.advice();
});
