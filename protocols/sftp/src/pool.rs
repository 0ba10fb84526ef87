//! Read buffers reused across READs.
//!
//! A READ reads straight into a buffer that already holds its DATA header, so the reply is one `Bytes` with no
//! copy. After the sink returns, the packet comes back here; when the transport kept no reference it is
//! unique again and is kept for the next READ (`reserve` then reclaims its whole allocation without copying).
//! In steady state a session allocates no read buffer at all; the pool holds at most about one read budget.

use std::sync::Mutex;

use bytes::{Bytes, BytesMut};
use ringway_sftp_proto::DATA_HEADER_LEN;

use crate::{MAX_IO, lock};

/// Full size of a pooled buffer: a DATA header and the largest read.
pub(crate) const FULL: usize = DATA_HEADER_LEN + MAX_IO;

#[derive(Debug)]
pub(crate) struct ReadPool {
    buffers: Mutex<Vec<BytesMut>>,
    max: usize,
}

impl ReadPool {
    /// A pool keeping up to `read_budget / FULL + 1` buffers.
    pub(crate) fn new(read_budget: usize) -> Self {
        Self {
            buffers: Mutex::new(Vec::new()),
            max: (read_budget / MAX_IO).clamp(1, 64) + 1,
        }
    }

    /// An empty buffer whose capacity is exactly `DATA_HEADER_LEN + data_len` (`data_len` at most 255 KiB), so
    /// a read into it cannot return more than was asked.
    pub(crate) fn take(&self, data_len: usize) -> BytesMut {
        let mut buf = lock(&self.buffers)
            .pop()
            .unwrap_or_else(|| BytesMut::with_capacity(FULL));
        buf.clear();
        buf.reserve(FULL);
        let want = DATA_HEADER_LEN + data_len.min(MAX_IO);
        if buf.capacity() > want {
            // The tail shares the allocation and is dropped at once; the buffer is unique again once sent.
            drop(buf.split_off(want));
        }
        buf
    }

    /// Takes a sent packet back when nothing else holds it.
    pub(crate) fn recycle(&self, packet: Bytes) {
        if let Ok(buf) = packet.try_into_mut() {
            let mut pool = lock(&self.buffers);
            if pool.len() < self.max {
                pool.push(buf);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.buffers).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_without_reallocating() {
        let pool = ReadPool::new(1 << 20);
        let mut buf = pool.take(100);
        assert_eq!(buf.capacity(), DATA_HEADER_LEN + 100);
        buf.extend_from_slice(&[7; DATA_HEADER_LEN + 100]);
        let addr = buf.as_ptr() as usize;
        let packet = buf.freeze();
        pool.recycle(packet.clone());
        assert_eq!(pool.len(), 0, "still referenced: not recycled");
        pool.recycle(packet);
        assert_eq!(pool.len(), 1);
        let big = pool.take(MAX_IO);
        assert_eq!(big.as_ptr() as usize, addr, "same allocation");
        assert_eq!(big.capacity(), FULL);
        assert!(big.is_empty());
        let small = pool.take(10);
        assert_ne!(small.as_ptr() as usize, addr);
        assert_eq!(small.capacity(), DATA_HEADER_LEN + 10);
    }
}
