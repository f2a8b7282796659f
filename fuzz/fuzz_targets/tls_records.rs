//! A captured server reply, records as received (`parse_server_flight`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tlscheck::proto::tls::parse_server_flight(data);
});
