//! Wire primitives of the SSH/SFTP encoding (RFC 4251 §5): big-endian integers and length-prefixed strings.
//!
//! [`Reader`] decodes from a [`Bytes`] without ever panicking: every read checks what is left first and
//! reports truncation as a [`WireError`]. Strings come back as [`Bytes`] slices of the same buffer, so
//! decoding copies nothing. The `put_*` functions append to a caller-provided [`BytesMut`].

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Why a field could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The buffer ended before the field did.
    #[error("truncated {field}: needs {needed} bytes, {available} left")]
    Truncated {
        /// The field being read (for diagnostics only).
        field: &'static str,
        /// Bytes the field needs (a string's declared length plus nothing else).
        needed: u64,
        /// Bytes that were left in the buffer.
        available: usize,
    },
    /// The field was complete but its value is not allowed.
    #[error("invalid {field}")]
    Invalid {
        /// The field being read (for diagnostics only).
        field: &'static str,
    },
}

/// A cursor over a [`Bytes`] that decodes SSH wire types and never panics.
///
/// Cloning a `Reader` is cheap (a reference count), which lets a caller validate ahead and rewind.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    buf: Bytes,
}

impl Reader {
    /// Starts reading at the beginning of `buf`.
    #[must_use]
    pub const fn new(buf: Bytes) -> Self {
        Self { buf }
    }

    /// Bytes not read yet.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Whether everything has been read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn need(&self, field: &'static str, needed: usize) -> Result<(), WireError> {
        if self.buf.len() < needed {
            return Err(WireError::Truncated {
                field,
                needed: needed as u64,
                available: self.buf.len(),
            });
        }
        Ok(())
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when nothing is left.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, WireError> {
        self.need(field, 1)?;
        Ok(self.buf.get_u8())
    }

    /// Reads a big-endian `uint32`.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when fewer than 4 bytes are left.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, WireError> {
        self.need(field, 4)?;
        Ok(self.buf.get_u32())
    }

    /// Reads a big-endian `uint64`.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when fewer than 8 bytes are left.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, WireError> {
        self.need(field, 8)?;
        Ok(self.buf.get_u64())
    }

    /// Reads an SSH `string` (`uint32` length, then that many bytes) as a zero-copy slice.
    ///
    /// Nothing is allocated whatever the declared length: a length past the end is reported, not reserved.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when the length prefix or the bytes it announces are missing. The reader is
    /// left where it was on error.
    pub fn string(&mut self, field: &'static str) -> Result<Bytes, WireError> {
        self.need(field, 4)?;
        let declared = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        let available = self.buf.len() - 4;
        // u32 always fits in usize on the 32- and 64-bit targets we build for; fall back to "too long".
        let len = usize::try_from(declared).unwrap_or(usize::MAX);
        if len > available {
            return Err(WireError::Truncated {
                field,
                needed: u64::from(declared),
                available,
            });
        }
        self.buf.advance(4);
        Ok(self.buf.split_to(len))
    }

    /// Takes everything left as one slice (for fields that run to the end of the packet).
    pub fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    /// Takes exactly `len` bytes as a slice.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when fewer than `len` bytes are left.
    pub fn bytes(&mut self, field: &'static str, len: usize) -> Result<Bytes, WireError> {
        self.need(field, len)?;
        Ok(self.buf.split_to(len))
    }
}

/// Converts a length to the `uint32` the wire carries.
///
/// # Panics
/// When `len` exceeds `u32::MAX`: SFTP cannot represent such a field. Everything this crate encodes is
/// bounded far below that by the engine (names, handles, read buffers of at most 255 KiB).
pub(crate) fn wire_len(len: usize) -> u32 {
    u32::try_from(len).expect("SFTP field longer than 4 GiB")
}

/// Appends one byte.
pub fn put_u8(buf: &mut BytesMut, v: u8) {
    buf.put_u8(v);
}

/// Appends a big-endian `uint32`.
pub fn put_u32(buf: &mut BytesMut, v: u32) {
    buf.put_u32(v);
}

/// Appends a big-endian `uint64`.
pub fn put_u64(buf: &mut BytesMut, v: u64) {
    buf.put_u64(v);
}

/// Appends an SSH `string`: the `uint32` length, then the bytes.
///
/// # Panics
/// When `s` is longer than `u32::MAX` bytes (not representable on the wire).
pub fn put_string(buf: &mut BytesMut, s: &[u8]) {
    buf.put_u32(wire_len(s.len()));
    buf.put_slice(s);
}

/// A packet being appended to a [`BytesMut`]: remembers where its length prefix is so it can be patched
/// once the body is written. Dropping it without [`PacketStart::finish`] leaves a zero length (a bug the
/// tests would catch), never a wrong one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PacketStart(usize);

impl PacketStart {
    /// Writes a placeholder length and the packet type.
    pub(crate) fn begin(buf: &mut BytesMut, packet_type: u8) -> Self {
        let at = buf.len();
        buf.put_u32(0);
        buf.put_u8(packet_type);
        Self(at)
    }

    /// A packet whose length prefix is at `at` in the buffer.
    pub(crate) const fn at(at: usize) -> Self {
        Self(at)
    }

    /// Writes the final length (everything after the prefix).
    pub(crate) fn finish(self, buf: &mut BytesMut) {
        let len = wire_len(buf.len() - self.0 - 4);
        buf[self.0..self.0 + 4].copy_from_slice(&len.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian() {
        let mut buf = BytesMut::new();
        put_u8(&mut buf, 7);
        put_u32(&mut buf, 0x0102_0304);
        put_u64(&mut buf, 0x0506_0708_090a_0b0c);
        assert_eq!(&buf[..], &[7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let mut r = Reader::new(buf.freeze());
        assert_eq!(r.u8("a"), Ok(7));
        assert_eq!(r.u32("b"), Ok(0x0102_0304));
        assert_eq!(r.u64("c"), Ok(0x0506_0708_090a_0b0c));
        assert!(r.is_empty());
        assert!(matches!(r.u8("d"), Err(WireError::Truncated { .. })));
    }

    #[test]
    fn strings_are_zero_copy_slices() {
        let mut buf = BytesMut::new();
        put_string(&mut buf, b"hello");
        put_string(&mut buf, b"");
        let frozen = buf.freeze();
        let base = frozen.as_ptr() as usize;
        let mut r = Reader::new(frozen);
        let s = r.string("s").unwrap();
        assert_eq!(&s[..], b"hello");
        assert_eq!(s.as_ptr() as usize, base + 4);
        assert_eq!(r.string("e").unwrap(), Bytes::new());
        assert!(r.is_empty());
    }

    #[test]
    fn string_past_the_end_is_reported_and_rewinds() {
        let mut r = Reader::new(Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 1, 2]));
        let err = r.string("s").unwrap_err();
        assert_eq!(
            err,
            WireError::Truncated {
                field: "s",
                needed: u64::from(u32::MAX),
                available: 2
            }
        );
        assert_eq!(r.remaining(), 6);
        assert!(r.string("s").is_err());
        let mut short = Reader::new(Bytes::from_static(&[0, 0, 0]));
        assert!(short.string("s").is_err());
        assert!(short.u32("n").is_err());
        assert!(short.u64("n").is_err());
        assert!(short.bytes("b", 4).is_err());
        assert_eq!(short.bytes("b", 3).unwrap().len(), 3);
    }

    #[test]
    fn packet_start_patches_the_length() {
        let mut buf = BytesMut::from(&b"xy"[..]);
        let p = PacketStart::begin(&mut buf, 101);
        put_u32(&mut buf, 9);
        p.finish(&mut buf);
        assert_eq!(&buf[..], &[b'x', b'y', 0, 0, 0, 5, 101, 0, 0, 0, 9]);
    }
}
