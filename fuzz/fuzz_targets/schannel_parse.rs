//! A registry export: parse, audit, and all three renderers.
#![no_main]

use tlscheck::report::schannel::{render_json, render_markdown, render_text};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(export) = tlscheck::proto::registry::parse(data) {
        let audit = tlscheck::diagnose::schannel::audit(&export, None);
        let _ = (render_text(&audit, true), render_markdown(&audit), render_json(&audit));
    }
});
