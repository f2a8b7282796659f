//! A ClientHello handshake body (`ClientHello::read_bytes`).
#![no_main]

use tlscheck::proto::tls::{ClientHello, Codec};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ClientHello::read_bytes(data);
});
