//! statvfs/fstatvfs@openssh.com, limits@openssh.com and copy-data.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ringway_core::{StorageError, VirtualPath};
use ringway_sftp_proto::{StatVfs, encode_limits_reply, encode_statvfs_reply};

use super::{limits as session_limits, reply_unit, vpath};
use crate::Shared;
use crate::handles::{Guard, Object};

/// Chunk of a server-side copy.
const COPY_CHUNK: usize = 64 * 1024;

async fn reply_statvfs(sh: &Shared, id: u32, path: Result<VirtualPath, StorageError>) {
    let res = match path {
        Ok(p) => sh.vfs.statvfs(&p).await,
        Err(e) => Err(e),
    };
    match res {
        Ok(s) => {
            let s = StatVfs {
                bsize: s.block_size,
                frsize: s.fragment_size,
                blocks: s.blocks,
                bfree: s.blocks_free,
                bavail: s.blocks_available,
                files: s.files,
                ffree: s.files_free,
                favail: s.files_available,
                fsid: s.fsid,
                flag: s.flags,
                namemax: s.max_name_len,
            };
            let p = sh.encode(|b| encode_statvfs_reply(b, id, &s));
            sh.send(p).await;
        }
        Err(e) => sh.error(id, &e).await,
    }
}

pub(crate) async fn statvfs(sh: Arc<Shared>, id: u32, path: Bytes) {
    reply_statvfs(&sh, id, vpath(&path)).await;
}

pub(crate) async fn fstatvfs(sh: Arc<Shared>, id: u32, guard: Option<Guard>) {
    let Some(object) = guard.as_deref().and_then(Option::as_ref) else {
        return sh.invalid_handle(id).await;
    };
    let path = object.path().clone();
    drop(guard);
    reply_statvfs(&sh, id, Ok(path)).await;
}

pub(crate) async fn limits(sh: Arc<Shared>, id: u32) {
    let l = session_limits(&sh.config);
    let p = sh.encode(|b| encode_limits_reply(b, id, &l));
    sh.send(p).await;
}

/// copy-data: `len` bytes (0: to end of file) from a read handle to a write handle, in bounded chunks through
/// one reused buffer.
pub(crate) async fn copy_data(
    sh: Arc<Shared>,
    id: u32,
    from: Option<Guard>,
    mut offset: u64,
    len: u64,
    to: Option<Guard>,
    mut write_offset: u64,
) {
    let (Some(Object::File(src)), Some(Object::Upload(dst))) = (
        from.as_deref().and_then(Option::as_ref),
        to.as_deref().and_then(Option::as_ref),
    ) else {
        return sh.invalid_handle(id).await;
    };
    let mut left = if len == 0 { u64::MAX } else { len };
    let mut buf = BytesMut::with_capacity(COPY_CHUNK);
    let res = loop {
        if left == 0 {
            break Ok(());
        }
        let chunk = usize::try_from(left).unwrap_or(usize::MAX).min(COPY_CHUNK);
        buf.clear();
        buf.reserve(COPY_CHUNK);
        if buf.capacity() > chunk {
            drop(buf.split_off(chunk));
        }
        let (r, filled) = src.reader.read_at(buf, offset).await;
        let n = match r {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        let (w, data) = dst.upload.write_at(filled.freeze(), write_offset).await;
        if let Err(e) = w {
            break Err(e);
        }
        // The writer gave the buffer back: reuse it unless the backend still holds a reference.
        buf = data
            .try_into_mut()
            .unwrap_or_else(|_| BytesMut::with_capacity(COPY_CHUNK));
        offset += n as u64;
        write_offset += n as u64;
        left -= n as u64;
    };
    drop((from, to));
    reply_unit(&sh, id, res).await;
}
