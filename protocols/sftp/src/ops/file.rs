//! OPEN, READ, WRITE, CLOSE, FSTAT, FSETSTAT and fsync@openssh.com.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use ringway_core::{ErrorKind, StorageError, VirtualPath, WriteMode};
use ringway_sftp_proto::{
    Attrs, DATA_HEADER_LEN, OpenFlags, StatusCode, encode_attrs, encode_data_header, encode_handle,
};
use ringway_vfs::UploadRequest;
use tokio::sync::OwnedSemaphorePermit;

use super::{attrs_of, reply_unit, set_attrs_of, vpath};
use crate::handles::{Entry, FileHandle, Guard, Object, UploadHandle};
use crate::{MAX_IO, Shared, lock};

/// Stores a freshly opened object and replies with its handle (or FAILURE when the table is full).
pub(crate) async fn reply_handle(sh: &Shared, id: u32, object: Object) {
    let inserted = lock(&sh.handles).insert(object);
    match inserted {
        Ok(wire) => {
            let p = sh.encode(|b| encode_handle(b, id, &wire));
            sh.send(p).await;
        }
        Err(object) => {
            release(Some(*object)).await;
            sh.status(id, StatusCode::Failure, "too many open handles")
                .await;
        }
    }
}

/// How an OPEN's flags become an upload, given what is at the path now.
async fn upload_request(
    sh: &Shared,
    path: &VirtualPath,
    pflags: OpenFlags,
    attrs: &Attrs,
) -> Result<UploadRequest, StorageError> {
    let create_mode = attrs.permissions.map_or(0o644, |p| p & 0o7777);
    let exists = match sh.vfs.stat(path).await {
        Ok(md) => Some(md.size),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let creat = pflags.contains(OpenFlags::CREAT);
    let mode = match exists {
        None if !creat => return Err(StorageError::new(ErrorKind::NotFound)),
        _ if creat && pflags.contains(OpenFlags::EXCL) => WriteMode::CreateNew,
        None => WriteMode::Truncate,
        Some(_) if pflags.contains(OpenFlags::TRUNC) => WriteMode::Truncate,
        Some(_) if pflags.contains(OpenFlags::APPEND) => WriteMode::Append,
        // Neither TRUNC nor APPEND: keep the content and write where the client says (resume).
        Some(size) => WriteMode::ResumeAt(size),
    };
    Ok(UploadRequest { mode, create_mode })
}

pub(crate) async fn open(sh: Arc<Shared>, id: u32, path: Bytes, pflags: OpenFlags, attrs: Attrs) {
    let path = match vpath(&path) {
        Ok(p) => p,
        Err(e) => return sh.error(id, &e).await,
    };
    let opened = if pflags.contains(OpenFlags::WRITE) || pflags.contains(OpenFlags::APPEND) {
        match upload_request(&sh, &path, pflags, &attrs).await {
            Ok(req) => sh.vfs.open_write(&path, req).await.map(|upload| {
                Object::Upload(UploadHandle {
                    upload,
                    path,
                    pending_attrs: std::sync::Mutex::new(None),
                })
            }),
            Err(e) => Err(e),
        }
    } else {
        match sh.vfs.open_read(&path).await {
            Ok(reader) => {
                let size = reader.metadata().await.map_or(0, |m| m.size);
                Ok(Object::File(FileHandle {
                    reader,
                    path,
                    size_hint: AtomicU64::new(size),
                }))
            }
            Err(e) => Err(e),
        }
    };
    match opened {
        Ok(object) => reply_handle(&sh, id, object).await,
        Err(e) => sh.error(id, &e).await,
    }
}

/// Closes an object taken out of the table: commits an upload, closes a reader. Errors go to the log.
pub(crate) async fn release(object: Option<Object>) {
    let res = match object {
        // Still open at the end of the session: an interrupted upload is aborted, never committed.
        Some(Object::Upload(u)) => u.upload.abort().await,
        Some(Object::File(f)) => f.reader.close().await,
        Some(Object::Dir(_)) | None => Ok(()),
    };
    if let Err(e) = res {
        tracing::warn!(cause = %e, "closing an sftp handle failed");
    }
}

pub(crate) async fn close(sh: Arc<Shared>, id: u32, entry: Option<Entry>) {
    let Some(entry) = entry else {
        return sh.invalid_handle(id).await;
    };
    // Waits for every request on this handle that was sent before the CLOSE.
    let object = entry.write_owned().await.take();
    let res = match object {
        Some(Object::Upload(u)) => {
            let attrs = lock(&u.pending_attrs).take();
            let path = u.path.clone();
            match u.upload.commit().await {
                Ok(()) => match attrs {
                    Some(a) => sh.vfs.set_attrs(&path, a).await,
                    None => Ok(()),
                },
                Err(e) => {
                    tracing::warn!(cause = %e, "sftp upload commit failed");
                    return sh
                        .status(id, StatusCode::Failure, "upload could not be completed")
                        .await;
                }
            }
        }
        Some(Object::File(f)) => f.reader.close().await,
        Some(Object::Dir(_)) => Ok(()),
        None => return sh.invalid_handle(id).await,
    };
    reply_unit(&sh, id, res).await;
}

pub(crate) async fn read(sh: Arc<Shared>, id: u32, guard: Option<Guard>, offset: u64, len: u32) {
    let Some(Object::File(file)) = guard.as_deref().and_then(Option::as_ref) else {
        return sh.invalid_handle(id).await;
    };
    let mut remaining = file
        .size_hint
        .load(Ordering::Relaxed)
        .saturating_sub(offset);
    if remaining == 0 {
        // At the size seen last: the file may have grown since, look once more before saying EOF.
        if let Ok(md) = file.reader.metadata().await {
            file.size_hint.fetch_max(md.size, Ordering::Relaxed);
            remaining = md.size.saturating_sub(offset);
        }
    }
    if remaining == 0 {
        return sh
            .status(id, StatusCode::Eof, StatusCode::Eof.message())
            .await;
    }
    let want = usize::try_from(remaining)
        .unwrap_or(usize::MAX)
        .min(MAX_IO)
        .min(len as usize);
    let Some(permit) = sh.read_permit(want).await else {
        return sh.status(id, StatusCode::Failure, "session closing").await;
    };
    let mut buf = sh.pool.take(want);
    encode_data_header(&mut buf, id, 0);
    let (res, mut buf) = file.reader.read_at(buf, offset).await;
    drop(guard);
    match res {
        Ok(0) if want > 0 => {
            drop(permit);
            sh.pool.recycle(buf.freeze());
            sh.status(id, StatusCode::Eof, StatusCode::Eof.message())
                .await;
        }
        Ok(_) => {
            let data_len = buf.len() - DATA_HEADER_LEN;
            // Both fit: data_len <= MAX_IO.
            let data_len = u32::try_from(data_len).unwrap_or(0);
            buf[0..4].copy_from_slice(&(data_len + 9).to_be_bytes());
            buf[9..13].copy_from_slice(&data_len.to_be_bytes());
            let packet = buf.freeze();
            sh.send(packet.clone()).await;
            // Rule 5: the budget comes back only once the transport has the packet.
            drop(permit);
            sh.pool.recycle(packet);
        }
        Err(e) => {
            drop(permit);
            sh.error(id, &e).await;
        }
    }
}

/// Keeps WRITE replies on one handle in request order: wait for the previous one, then signal the next.
#[derive(Debug)]
pub(crate) struct ReplyOrder {
    pub(crate) previous: Option<tokio::sync::oneshot::Receiver<()>>,
    pub(crate) done: tokio::sync::oneshot::Sender<()>,
}

pub(crate) async fn write(
    sh: Arc<Shared>,
    id: u32,
    guard: Option<Guard>,
    offset: u64,
    data: Bytes,
    permit: Option<OwnedSemaphorePermit>,
    order: ReplyOrder,
) {
    let res = match guard.as_deref().and_then(Option::as_ref) {
        Some(Object::Upload(up)) => {
            let (res, data) = up.upload.write_at(data, offset).await;
            drop(data);
            Some(res)
        }
        _ => None,
    };
    // Rule 3: the budget is released on disk completion, before the reply (and before waiting for the
    // previous reply, which needs nothing from the session loop).
    drop(permit);
    drop(guard);
    if let Some(previous) = order.previous {
        let _ = previous.await;
    }
    match res {
        Some(res) => reply_unit(&sh, id, res).await,
        None => sh.invalid_handle(id).await,
    }
    let _ = order.done.send(());
}

pub(crate) async fn fstat(sh: Arc<Shared>, id: u32, guard: Option<Guard>) {
    let res = match guard.as_deref().and_then(Option::as_ref) {
        Some(Object::File(f)) => f.reader.metadata().await,
        Some(Object::Upload(u)) => u.upload.metadata().await,
        Some(Object::Dir(d)) => sh.vfs.stat(&d.path).await,
        None => return sh.invalid_handle(id).await,
    };
    drop(guard);
    match res {
        Ok(md) => {
            let p = sh.encode(|b| encode_attrs(b, id, &attrs_of(&md)));
            sh.send(p).await;
        }
        Err(e) => sh.error(id, &e).await,
    }
}

pub(crate) async fn fsetstat(sh: Arc<Shared>, id: u32, guard: Option<Guard>, attrs: Attrs) {
    let Some(object) = guard.as_deref().and_then(Option::as_ref) else {
        return sh.invalid_handle(id).await;
    };
    let Some(set) = set_attrs_of(&attrs) else {
        return sh.ok(id).await;
    };
    let res = match object {
        Object::Upload(u) => {
            // Applied to the final name once the upload is committed.
            let mut pending = lock(&u.pending_attrs);
            let merged = pending.get_or_insert_with(Default::default);
            merged.mode = set.mode.or(merged.mode);
            merged.owner = set.owner.or(merged.owner);
            merged.atime = set.atime.or(merged.atime);
            merged.mtime = set.mtime.or(merged.mtime);
            merged.size = set.size.or(merged.size);
            Ok(())
        }
        Object::File(_) | Object::Dir(_) => sh.vfs.set_attrs(object.path(), set).await,
    };
    drop(guard);
    reply_unit(&sh, id, res).await;
}

pub(crate) async fn fsync(sh: Arc<Shared>, id: u32, guard: Option<Guard>) {
    let res = match guard.as_deref().and_then(Option::as_ref) {
        Some(Object::Upload(u)) => u.upload.sync().await,
        Some(Object::File(_) | Object::Dir(_)) => Ok(()),
        None => return sh.invalid_handle(id).await,
    };
    drop(guard);
    reply_unit(&sh, id, res).await;
}
