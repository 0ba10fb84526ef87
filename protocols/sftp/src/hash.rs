//! check-file-handle / check-file-name: hashes of a byte range, whole or per block.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use md5::Md5;
use ringway_core::{ErrorKind, FileReader, StorageError};
use ringway_sftp_proto::{StatusCode, encode_check_file_reply};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::Shared;
use crate::handles::{Guard, Object};
use crate::ops::vpath;

/// Reads while hashing.
const CHUNK: usize = 64 * 1024;
/// Smallest block size the draft allows besides 0.
const MIN_BLOCK: u32 = 256;
/// Largest hash list in one reply (the reply must fit a 256 KiB packet).
const MAX_HASH_BYTES: u64 = 200 * 1024;

/// What to hash.
#[derive(Debug)]
pub(crate) enum Target {
    /// An open handle (its guard, taken in packet order).
    Handle(Option<Guard>),
    /// A path, opened for download for the duration.
    Name(Bytes),
}

/// A supported algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    pub(crate) fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"md5" => Some(Self::Md5),
            b"sha1" => Some(Self::Sha1),
            b"sha256" => Some(Self::Sha256),
            b"sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    const fn len(self) -> u64 {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// The first algorithm of the client's comma-separated list that we support.
    pub(crate) fn choose(list: &[u8]) -> Option<Self> {
        list.split(|&c| c == b',')
            .find_map(|n| Self::from_name(n.trim_ascii()))
    }
}

enum Hasher {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    fn new(a: Algorithm) -> Self {
        match a {
            Algorithm::Md5 => Self::Md5(Md5::new()),
            Algorithm::Sha1 => Self::Sha1(Sha1::new()),
            Algorithm::Sha256 => Self::Sha256(Sha256::new()),
            Algorithm::Sha512 => Self::Sha512(Sha512::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Md5(h) => h.update(data),
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha512(h) => h.update(data),
        }
    }

    /// Appends the digest and resets.
    fn finish_into(&mut self, out: &mut Vec<u8>) {
        match self {
            Self::Md5(h) => out.extend_from_slice(&h.finalize_reset()),
            Self::Sha1(h) => out.extend_from_slice(&h.finalize_reset()),
            Self::Sha256(h) => out.extend_from_slice(&h.finalize_reset()),
            Self::Sha512(h) => out.extend_from_slice(&h.finalize_reset()),
        }
    }
}

/// Hashes `[start, start + length)` (to end of file when `length` is 0) in blocks of `block_size` (0: one
/// hash). A trailing partial block is hashed as is; an empty range hashes the empty string once.
pub(crate) async fn hash_range(
    reader: &dyn FileReader,
    algorithm: Algorithm,
    start: u64,
    length: u64,
    block_size: u32,
) -> Result<Vec<u8>, StorageError> {
    let block = if block_size == 0 {
        u64::MAX
    } else {
        u64::from(block_size)
    };
    let mut hasher = Hasher::new(algorithm);
    let mut out = Vec::new();
    let mut left = if length == 0 { u64::MAX } else { length };
    let mut offset = start;
    let mut in_block = 0u64;
    let mut buf = BytesMut::with_capacity(CHUNK);
    while left > 0 {
        let want = u64::try_from(CHUNK)
            .unwrap_or(u64::MAX)
            .min(left)
            .min(block - in_block);
        buf.clear();
        buf.reserve(CHUNK);
        let want_usize = usize::try_from(want).unwrap_or(CHUNK);
        if buf.capacity() > want_usize {
            drop(buf.split_off(want_usize));
        }
        let (res, filled) = reader.read_at(buf, offset).await;
        let n = res?;
        buf = filled;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        let n = n as u64;
        offset += n;
        left = left.saturating_sub(n);
        in_block += n;
        if in_block == block {
            hasher.finish_into(&mut out);
            in_block = 0;
            if out.len() as u64 > MAX_HASH_BYTES {
                return Err(StorageError::with_context(
                    ErrorKind::InvalidInput,
                    "check-file: too many blocks",
                ));
            }
        }
    }
    if in_block > 0 || out.is_empty() {
        hasher.finish_into(&mut out);
    }
    debug_assert_eq!(out.len() as u64 % algorithm.len(), 0);
    Ok(out)
}

pub(crate) async fn check_file(
    sh: Arc<Shared>,
    id: u32,
    target: Target,
    algorithms: Bytes,
    start: u64,
    length: u64,
    block_size: u32,
) {
    let Some(algorithm) = Algorithm::choose(&algorithms) else {
        return sh
            .status(id, StatusCode::Failure, "no supported hash algorithm")
            .await;
    };
    if block_size != 0 && block_size < MIN_BLOCK {
        return sh
            .status(id, StatusCode::Failure, "block size below 256")
            .await;
    }
    let res = match target {
        Target::Handle(guard) => match guard.as_deref().and_then(Option::as_ref) {
            Some(Object::File(f)) => {
                hash_range(&*f.reader, algorithm, start, length, block_size).await
            }
            Some(Object::Upload(_) | Object::Dir(_)) => Err(StorageError::with_context(
                ErrorKind::InvalidInput,
                "check-file on a handle not open for reading",
            )),
            None => return sh.invalid_handle(id).await,
        },
        Target::Name(path) => match vpath(&path) {
            Ok(p) => match sh.vfs.open_read(&p).await {
                Ok(reader) => {
                    let r = hash_range(&*reader, algorithm, start, length, block_size).await;
                    if let Err(e) = reader.close().await {
                        tracing::debug!(cause = %e, "check-file close failed");
                    }
                    r
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
    };
    match res {
        Ok(hashes) => {
            let p = sh.encode(|b| encode_check_file_reply(b, id, algorithm.name(), &hashes));
            sh.send(p).await;
        }
        Err(e) => sh.error(id, &e).await,
    }
}
