//! Writing length-prefixed vectors: the body is written first and its length
//! back-patched into a placeholder, so no caller computes a length by hand.
//!
//! Encoding only ever sees values tlscheck built itself or values the reader
//! accepted (whose lengths came off the wire within their prefix's range), so
//! an oversized body is a programming error; it is saturated to the prefix's
//! maximum rather than panicking.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

/// The width of a length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthPrefix {
    /// One byte (`<0..2^8-1>`).
    U8,
    /// Two bytes (`<0..2^16-1>`).
    U16,
    /// Three bytes (`<0..2^24-1>`).
    U24,
}

impl LengthPrefix {
    /// The prefix's width in bytes.
    pub fn width(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::U16 => 2,
            Self::U24 => 3,
        }
    }

    /// The largest length the prefix can state.
    pub fn max(self) -> usize {
        match self {
            Self::U8 => 0xff,
            Self::U16 => 0xffff,
            Self::U24 => 0xff_ffff,
        }
    }
}

/// Writes `body` into `out` behind a `prefix`-sized length, back-patched
/// once `body` has written.
pub fn length_prefixed(out: &mut Vec<u8>, prefix: LengthPrefix, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend(std::iter::repeat_n(0, prefix.width()));
    body(out);
    let len = out
        .len()
        .saturating_sub(at + prefix.width())
        .min(prefix.max());
    let be = (len as u32).to_be_bytes();
    let stated = be.get(4 - prefix.width()..).unwrap_or_default();
    if let Some(slot) = out.get_mut(at..at + prefix.width()) {
        slot.copy_from_slice(stated);
    }
}

/// Appends a big-endian `u16`.
pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian 24-bit value (the top byte of `v` is dropped).
pub fn put_u24(out: &mut Vec<u8>, v: u32) {
    let [_, a, b, c] = v.to_be_bytes();
    out.extend_from_slice(&[a, b, c]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_patches_each_prefix_width() {
        let mut out = Vec::new();
        length_prefixed(&mut out, LengthPrefix::U8, |o| o.push(0xaa));
        length_prefixed(&mut out, LengthPrefix::U16, |o| o.extend([1, 2, 3]));
        length_prefixed(&mut out, LengthPrefix::U24, |_| {});
        assert_eq!(
            out,
            [
                0x01, 0xaa, // u8 length 1, body
                0x00, 0x03, 1, 2, 3, // u16 length 3, body
                0x00, 0x00, 0x00, // u24 length 0
            ]
        );
    }

    #[test]
    fn nested_prefixes_count_their_own_bodies() {
        let mut out = Vec::new();
        length_prefixed(&mut out, LengthPrefix::U16, |o| {
            o.push(0x07);
            length_prefixed(o, LengthPrefix::U8, |o| o.extend([0xbb, 0xcc]));
        });
        assert_eq!(
            out,
            [
                0x00, 0x04, // outer length 4
                0x07, // a field
                0x02, 0xbb, 0xcc, // inner vector
            ]
        );
    }

    #[test]
    fn oversized_body_saturates_instead_of_panicking() {
        let mut out = Vec::new();
        length_prefixed(&mut out, LengthPrefix::U8, |o| o.extend([0; 300]));
        assert_eq!(out.first(), Some(&0xff));
        assert_eq!(out.len(), 301);
    }

    #[test]
    fn writes_u16_and_u24_big_endian() {
        let mut out = Vec::new();
        put_u16(&mut out, 0x0303);
        put_u24(&mut out, 0x01_0203);
        assert_eq!(out, [0x03, 0x03, 0x01, 0x02, 0x03]);
    }
}
