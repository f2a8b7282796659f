//! Bytes to text: the encodings registry exports come in (UTF-16LE or
//! UTF-16BE with or without a BOM, UTF-8, ANSI as Windows-1252). Never
//! fails: what does not decode becomes U+FFFD.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::TextEncoding;

/// Bytes → text. BOMs decide; without one, NULs at odd offsets mean
/// UTF-16LE (PowerShell and `regedit` write it); valid UTF-8 is UTF-8;
/// anything else is ANSI, read as Windows-1252.
pub(super) fn decode(bytes: &[u8]) -> (String, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        return (utf16(rest, u16::from_le_bytes), TextEncoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        return (utf16(rest, u16::from_be_bytes), TextEncoding::Utf16Be);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            TextEncoding::Utf8,
        );
    }
    if looks_like_utf16le(bytes) {
        return (utf16(bytes, u16::from_le_bytes), TextEncoding::Utf16Le);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), TextEncoding::Utf8),
        Err(_) => (
            bytes.iter().map(|&b| cp1252(b)).collect(),
            TextEncoding::Ansi,
        ),
    }
}

/// Mostly-ASCII UTF-16LE without BOM: in the first 512 bytes, at least
/// 40 % of the odd bytes are NUL and almost no even byte is.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let head = bytes.get(..512).unwrap_or(bytes);
    if head.len() < 4 {
        return false;
    }
    let (mut odd_nul, mut even_nul) = (0usize, 0usize);
    for (i, &b) in head.iter().enumerate() {
        if b == 0 {
            if i % 2 == 1 {
                odd_nul += 1;
            } else {
                even_nul += 1;
            }
        }
    }
    let pairs = head.len() / 2;
    odd_nul * 10 >= pairs * 4 && even_nul * 20 <= pairs
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|p| match p {
        &[a, b] => unit([a, b]),
        _ => 0xfffd,
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252 bytes 0x80–0x9F; the five unassigned ones map to the C1
/// control of the same number, as Windows' own conversion does.
const CP1252_HIGH: [u16; 32] = [
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, // 0x80–0x87
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f, // 0x88–0x8F
    0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, // 0x90–0x97
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178, // 0x98–0x9F
];

pub(super) fn cp1252(b: u8) -> char {
    let code = match b {
        0x80..=0x9f => CP1252_HIGH
            .get(usize::from(b - 0x80))
            .copied()
            .unwrap_or(0xfffd),
        _ => u16::from(b),
    };
    char::from_u32(u32::from(code)).unwrap_or(char::REPLACEMENT_CHARACTER)
}
