//! A cursor over untrusted bytes with no panicking accessor.
//!
//! Every read either returns the bytes asked for or a [`WireError`] naming
//! the structure being read. Running out of input at the top level is
//! `Truncated` (more bytes may still come); running out inside a vector made
//! by [`Reader::sub`] is `LengthMismatch` (the vector was complete, so an
//! inner length lied). No allocation, no IO.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::{Result, WireError};

/// A cursor over a byte slice.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
    used: usize,
    /// True for a reader made by [`Reader::sub`]: its end is a stated
    /// length, not the end of what has been received.
    bounded: bool,
}

impl<'a> Reader<'a> {
    /// A reader over everything received so far.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            rest: bytes,
            used: 0,
            bounded: false,
        }
    }

    /// Bytes consumed so far.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Bytes not yet consumed.
    pub fn left(&self) -> usize {
        self.rest.len()
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next `n` bytes, or `None` (consuming nothing) if fewer are left.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        self.used += n;
        Some(head)
    }

    /// The next `n` bytes of the structure `what`.
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let left = self.left();
        self.take(n).ok_or_else(|| self.short(what, n, left))
    }

    /// Everything left, without consuming it.
    pub fn peek_rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Everything left, consumed.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.rest;
        self.used += rest.len();
        self.rest = &[];
        rest
    }

    /// A `u8` field of `what`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        let [b] = self.array::<1>(what)?;
        Ok(b)
    }

    /// A big-endian `u16` field of `what`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array::<2>(what)?))
    }

    /// A big-endian 24-bit field of `what` (handshake and certificate
    /// lengths, RFC 8446 §3.3 `uint24`).
    pub fn u24(&mut self, what: &'static str) -> Result<u32> {
        let [a, b, c] = self.array::<3>(what)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A fixed-size field of `what` (e.g. the 32-byte random).
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let left = self.left();
        match self.rest.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.rest = tail;
                self.used += N;
                Ok(*head)
            }
            None => Err(self.short(what, N, left)),
        }
    }

    /// A reader over the next `len` bytes: the body of a length-prefixed
    /// vector. Reads past its end are `LengthMismatch`, not `Truncated`.
    pub fn sub(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>> {
        let body = self.bytes(len, what)?;
        Ok(Reader {
            rest: body,
            used: 0,
            bounded: true,
        })
    }

    /// A vector with a one-byte length prefix (`<0..2^8-1>`).
    pub fn sub_u8(&mut self, what: &'static str) -> Result<Reader<'a>> {
        let len = self.u8(what)?;
        self.sub(usize::from(len), what)
    }

    /// A vector with a two-byte length prefix (`<0..2^16-1>`).
    pub fn sub_u16(&mut self, what: &'static str) -> Result<Reader<'a>> {
        let len = self.u16(what)?;
        self.sub(usize::from(len), what)
    }

    /// A vector with a three-byte length prefix (`<0..2^24-1>`), refused
    /// when it states more than `max` bytes.
    pub fn sub_u24_max(&mut self, max: usize, what: &'static str) -> Result<Reader<'a>> {
        let len = self.u24(what)? as usize;
        if len > max {
            return Err(WireError::TooLarge { what, len, max });
        }
        self.sub(len, what)
    }

    /// The rest of this reader as a list of big-endian `u16`s (cipher
    /// suites, groups, signature schemes), refusing an odd length.
    pub fn u16s(&mut self, what: &'static str) -> Result<Vec<u16>> {
        let len = self.left();
        if len % 2 != 0 {
            return Err(WireError::PartialEntry { what, len, unit: 2 });
        }
        let mut out = Vec::new();
        while !self.is_empty() {
            out.push(self.u16(what)?);
        }
        Ok(out)
    }

    /// Fails with `TrailingData(what)` unless every byte was consumed.
    pub fn expect_empty(&self, what: &'static str) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingData(what))
        }
    }

    fn short(&self, what: &'static str, needed: usize, left: usize) -> WireError {
        if self.bounded {
            WireError::LengthMismatch {
                what,
                stated: needed,
                actual: left,
            }
        } else {
            WireError::Truncated(what)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_integers_in_order() {
        let mut r = Reader::new(&[
            0x16, // u8
            0x03, 0x01, // u16
            0x00, 0x01, 0x02, // u24
        ]);
        assert_eq!(r.u8("t"), Ok(0x16));
        assert_eq!(r.u16("t"), Ok(0x0301));
        assert_eq!(r.u24("t"), Ok(0x000102));
        assert!(r.is_empty());
        assert_eq!(r.used(), 6);
    }

    #[test]
    fn running_out_at_top_level_is_truncated_and_consumes_nothing() {
        let mut r = Reader::new(&[0x01]);
        assert_eq!(r.u16("Alert"), Err(WireError::Truncated("Alert")));
        assert_eq!(r.left(), 1);
        assert_eq!(r.take(2), None);
        assert_eq!(r.u8("Alert"), Ok(1));
    }

    #[test]
    fn running_out_inside_a_vector_is_a_length_mismatch() {
        let mut r = Reader::new(&[
            0x02, // vector length 2
            0x00, 0x05, // an inner length claiming 5 bytes
        ]);
        let mut v = r.sub_u8("outer").unwrap();
        let len = v.u16("inner").unwrap();
        assert_eq!(
            v.sub(usize::from(len), "inner").unwrap_err(),
            WireError::LengthMismatch {
                what: "inner",
                stated: 5,
                actual: 0
            }
        );
    }

    #[test]
    fn vector_longer_than_input_is_truncated() {
        let mut r = Reader::new(&[
            0x00, 0x04, // vector length 4
            0xaa, // only one byte follows
        ]);
        assert_eq!(r.sub_u16("v").unwrap_err(), WireError::Truncated("v"));
    }

    #[test]
    fn u24_vector_over_its_maximum_is_too_large_before_reading_it() {
        let mut r = Reader::new(&[
            0x01, 0x00, 0x00, // length 65536
        ]);
        assert_eq!(
            r.sub_u24_max(1000, "Certificate").unwrap_err(),
            WireError::TooLarge {
                what: "Certificate",
                len: 65536,
                max: 1000
            }
        );
    }

    #[test]
    fn u16_list_refuses_an_odd_length() {
        let mut r = Reader::new(&[0x00, 0x1d, 0x00]);
        assert_eq!(
            r.u16s("NamedGroupList"),
            Err(WireError::PartialEntry {
                what: "NamedGroupList",
                len: 3,
                unit: 2
            })
        );
        let mut r = Reader::new(&[0x00, 0x1d, 0x00, 0x17]);
        assert_eq!(r.u16s("NamedGroupList"), Ok(vec![0x001d, 0x0017]));
    }

    #[test]
    fn expect_empty_reports_trailing_bytes() {
        let mut r = Reader::new(&[0x01, 0x02]);
        r.u8("Alert").unwrap();
        assert_eq!(
            r.expect_empty("Alert"),
            Err(WireError::TrailingData("Alert"))
        );
        assert_eq!(r.rest(), &[0x02]);
        assert_eq!(r.expect_empty("Alert"), Ok(()));
    }
}
