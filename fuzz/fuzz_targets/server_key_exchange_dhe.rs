//! The input as a DHE ServerKeyExchange body: `dhe_params` must return a
//! value or an error for any bytes, never panic.
#![no_main]

use tlscheck::proto::tls::server_msgs::ServerKeyExchange;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ServerKeyExchange { body: data.to_vec() }.dhe_params();
});
