//! The same reply fed to `ReplyParser::push` in chunks must give what the
//! one-shot `parse` gives: the same reply, or an error in both cases. The
//! first byte picks the chunk size (1–16), the rest is the stream.
#![no_main]

use tlscheck::proto::smtp::reply::{parse, ReplyParser};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((size, stream)) = data.split_first() else {
        return;
    };
    let size = usize::from(size % 16) + 1;
    let whole = parse(stream);
    let mut parser = ReplyParser::new();
    let mut fed = 0;
    let mut chunked = Ok(None);
    for chunk in stream.chunks(size) {
        chunked = parser.push(chunk).map(|r| r.map(|(reply, used)| (reply, fed + used)));
        fed += chunk.len();
        if !matches!(chunked, Ok(None)) {
            break;
        }
    }
    match (&whole, &chunked) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        _ => panic!("whole {whole:?} but chunked {chunked:?}"),
    }
});
