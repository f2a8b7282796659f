//! parse → encode → parse of a ClientHello body gives an equal value.
#![no_main]

use tlscheck::proto::tls::{ClientHello, Codec};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(hello) = ClientHello::read_bytes(data) {
        assert_eq!(ClientHello::read_bytes(&hello.to_bytes()), Ok(hello));
    }
});
