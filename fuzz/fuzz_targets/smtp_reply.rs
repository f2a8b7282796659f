//! One SMTP reply from the start of the input (`smtp::reply::parse`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tlscheck::proto::smtp::reply::parse(data);
});
