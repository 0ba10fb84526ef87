//! Reassembly of SFTP packets (`uint32 length` + body) from a byte stream delivered in arbitrary chunks.

use bytes::{Buf, Bytes, BytesMut};

/// Default largest packet body accepted: 256 KiB of payload plus 1 KiB for the WRITE header (id, handle,
/// offset, data length). It matches the 256 KiB maximum packet we advertise in `limits@openssh.com`, so a
/// client that honours our limits never hits it.
pub const DEFAULT_MAX_PACKET: u32 = 256 * 1024 + 1024;

/// Why the stream cannot be framed any further. The session must close: SFTP has no way to resynchronise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A packet announced a body of zero bytes (every SFTP packet has at least a type byte).
    #[error("zero-length SFTP packet")]
    ZeroLength,
    /// A packet announced a body longer than the configured maximum.
    #[error("SFTP packet of {len} bytes exceeds the maximum of {max}")]
    TooLong {
        /// The announced body length.
        len: u32,
        /// The configured maximum.
        max: u32,
    },
}

/// Reassembles SFTP packets from a stream.
///
/// Feed bytes with [`Framer::push`] (copied once into an internal buffer) or [`Framer::push_bytes`]
/// (kept as is when nothing is pending), then call [`Framer::next_packet`] until it returns `Ok(None)`.
///
/// Invariants:
/// - A packet is returned as its body (type byte onward, without the length prefix) sliced from the
///   buffer it arrived in: no copy once the bytes are buffered.
/// - The announced length is checked as soon as its 4 bytes arrive; nothing is ever reserved for it, so
///   memory held is what the peer actually sent: at most one packet plus the last chunk pushed, provided the
///   driver drains with `next_packet` after every push.
/// - After an error the framer is poisoned: every later `next_packet` returns the same error and pushed
///   bytes are discarded.
///
/// Returned packets keep their allocation alive (they are [`Bytes`] views). Copy any small field kept for
/// long (a handle stored in a table) rather than the whole packet's buffer.
#[derive(Debug)]
pub struct Framer {
    /// A chunk handed over by `push_bytes` while `buf` was empty; served without copying.
    /// Invariant: when `front` is non-empty, `buf` is empty.
    front: Bytes,
    buf: BytesMut,
    max_packet: u32,
    failed: Option<FrameError>,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// A framer accepting bodies up to [`DEFAULT_MAX_PACKET`] bytes.
    #[must_use]
    pub fn new() -> Self {
        Self::with_max_packet(DEFAULT_MAX_PACKET)
    }

    /// A framer accepting bodies up to `max_packet` bytes (the 4-byte length prefix is not counted).
    #[must_use]
    pub fn with_max_packet(max_packet: u32) -> Self {
        Self {
            front: Bytes::new(),
            buf: BytesMut::new(),
            max_packet,
            failed: None,
        }
    }

    /// The largest body accepted.
    #[must_use]
    pub const fn max_packet(&self) -> u32 {
        self.max_packet
    }

    /// Bytes received and not yet returned as packets.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.front.len() + self.buf.len()
    }

    /// Whether the framer has failed (see [`FrameError`]).
    #[must_use]
    pub const fn is_poisoned(&self) -> bool {
        self.failed.is_some()
    }

    /// Appends bytes from the stream, copying them into the reassembly buffer.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_some() || data.is_empty() {
            return;
        }
        self.spill_front();
        self.buf.extend_from_slice(data);
    }

    /// Appends an owned chunk of the stream. When no partial packet is pending the chunk is kept as is and
    /// the packets inside it are returned as slices of it, without copying.
    pub fn push_bytes(&mut self, data: Bytes) {
        if self.failed.is_some() || data.is_empty() {
            return;
        }
        if self.front.is_empty() && self.buf.is_empty() {
            self.front = data;
        } else {
            self.spill_front();
            self.buf.extend_from_slice(&data);
        }
    }

    /// Moves a pending zero-copy chunk into `buf` so more bytes can follow it.
    fn spill_front(&mut self) {
        if !self.front.is_empty() {
            self.buf.extend_from_slice(&self.front);
            self.front = Bytes::new();
        }
    }

    /// Returns the next complete packet's body, or `None` when more bytes are needed.
    ///
    /// # Errors
    /// [`FrameError::ZeroLength`] or [`FrameError::TooLong`] as soon as a length prefix is invalid, and
    /// again on every later call.
    pub fn next_packet(&mut self) -> Result<Option<Bytes>, FrameError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let pending: &[u8] = if self.front.is_empty() {
            &self.buf
        } else {
            &self.front
        };
        let Some(prefix) = pending.first_chunk::<4>() else {
            return Ok(None);
        };
        let len = u32::from_be_bytes(*prefix);
        if len == 0 {
            return Err(self.fail(FrameError::ZeroLength));
        }
        if len > self.max_packet {
            return Err(self.fail(FrameError::TooLong {
                len,
                max: self.max_packet,
            }));
        }
        // `len <= max_packet <= u32::MAX`, which fits usize on every supported target.
        let total = usize::try_from(len).map_or(usize::MAX, |l| l.saturating_add(4));
        if pending.len() < total {
            return Ok(None);
        }
        let mut packet = if self.front.is_empty() {
            self.buf.split_to(total).freeze()
        } else {
            self.front.split_to(total)
        };
        packet.advance(4);
        Ok(Some(packet))
    }

    fn fail(&mut self, err: FrameError) -> FrameError {
        self.failed = Some(err);
        self.front = Bytes::new();
        self.buf = BytesMut::new();
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    fn drain(f: &mut Framer) -> Vec<Bytes> {
        let mut out = Vec::new();
        while let Some(p) = f.next_packet().unwrap() {
            out.push(p);
        }
        out
    }

    #[test]
    fn whole_packets_in_one_push() {
        let mut stream = frame(b"\x01abc");
        stream.extend(frame(b"\x02"));
        let mut f = Framer::new();
        f.push(&stream);
        assert_eq!(drain(&mut f), vec![&b"\x01abc"[..], &b"\x02"[..]]);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn push_bytes_is_zero_copy_when_nothing_is_pending() {
        let mut stream = frame(b"\x05first");
        stream.extend(frame(b"\x06second"));
        stream.extend_from_slice(&[0, 0]);
        let chunk = Bytes::from(stream);
        let base = chunk.as_ptr() as usize;
        let mut f = Framer::new();
        f.push_bytes(chunk);
        let packets = drain(&mut f);
        assert_eq!(packets[0].as_ptr() as usize, base + 4);
        assert_eq!(packets[1].as_ptr() as usize, base + 4 + 6 + 4);
        assert_eq!(f.buffered(), 2);
        // The partial tail is spilled into the buffer when more arrives.
        f.push_bytes(Bytes::from_static(&[0, 2, 7]));
        assert_eq!(f.next_packet().unwrap(), None);
        f.push(&[8]);
        assert_eq!(f.next_packet().unwrap().as_deref(), Some(&[7u8, 8][..]));
    }

    #[test]
    fn push_slices_packets_out_of_one_buffer() {
        let mut stream = frame(b"\x05first");
        stream.extend(frame(b"\x06second"));
        let mut f = Framer::new();
        f.push(&stream);
        let packets = drain(&mut f);
        // Both packets are views of the same reassembly allocation.
        let gap = packets[1].as_ptr() as usize - packets[0].as_ptr() as usize;
        assert_eq!(gap, 10);
    }

    #[test]
    fn zero_length_poisons() {
        let mut f = Framer::new();
        f.push(&[0, 0, 0, 0, 1]);
        assert_eq!(f.next_packet(), Err(FrameError::ZeroLength));
        f.push(&frame(b"\x01"));
        assert_eq!(f.next_packet(), Err(FrameError::ZeroLength));
        assert!(f.is_poisoned());
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn too_long_is_rejected_from_the_prefix_alone() {
        let mut f = Framer::with_max_packet(16);
        f.push(&frame(&[1; 16]));
        assert_eq!(f.next_packet().unwrap().map(|p| p.len()), Some(16));
        f.push(&17u32.to_be_bytes());
        assert_eq!(
            f.next_packet(),
            Err(FrameError::TooLong { len: 17, max: 16 })
        );
        let mut f = Framer::new();
        f.push_bytes(Bytes::from_static(&[0xff, 0xff, 0xff, 0xff]));
        assert!(matches!(
            f.next_packet(),
            Err(FrameError::TooLong { len: u32::MAX, .. })
        ));
    }

    #[test]
    fn default_limit_admits_a_full_openssh_write() {
        // WRITE: type, id, handle (OpenSSH uses 4-byte handles), offset, then 255 KiB of data.
        let body_len = 1 + 4 + (4 + 4) + 8 + 4 + 255 * 1024;
        let mut f = Framer::new();
        f.push(&u32::try_from(body_len).unwrap().to_be_bytes());
        assert_eq!(f.next_packet(), Ok(None));
        assert_eq!(DEFAULT_MAX_PACKET, 263_168);
    }

    #[test]
    fn partial_prefix_waits() {
        let mut f = Framer::new();
        for b in frame(b"\x01\x02\x03") {
            assert_eq!(f.next_packet(), Ok(None));
            f.push_bytes(Bytes::copy_from_slice(&[b]));
        }
        assert_eq!(f.next_packet().unwrap().as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(f.next_packet(), Ok(None));
    }
}
