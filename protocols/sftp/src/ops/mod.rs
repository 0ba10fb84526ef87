//! Request handlers, one file per family; [`spawn`] starts a parsed request as a task.
//!
//! Requests on a handle take their read guard here, synchronously and in packet order (see `handles`).

pub(crate) mod dir;
pub(crate) mod ext;
pub(crate) mod file;
pub(crate) mod path;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ringway_core::{FileKind, Metadata, PathError, SetAttrs, StorageError, VirtualPath};
use ringway_sftp_proto::{Attrs, FileType, Limits, Request, StatusCode};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::{PendingGuard, SessionConfig, Shared, lock};

/// The `limits@openssh.com` reply of a session.
pub(crate) fn limits(config: &SessionConfig) -> Limits {
    Limits {
        max_open_handles: config.max_handles as u64,
        ..Limits::default()
    }
}

/// A wire path as a virtual path: UTF-8, relative paths taken from `/`.
pub(crate) fn vpath(raw: &[u8]) -> Result<VirtualPath, StorageError> {
    VirtualPath::parse_bytes(raw).map_err(StorageError::from)
}

/// Lexical normalisation for REALPATH: like [`vpath`], but `..` at the root stays at the root (as `cd ..` at
/// `/` does), so a client can always resolve where it is.
pub(crate) fn clamp_path(raw: &[u8]) -> Result<VirtualPath, StorageError> {
    match VirtualPath::parse_bytes(raw) {
        Err(PathError::EscapesRoot) => {
            let s = std::str::from_utf8(raw).map_err(|_| PathError::NotUtf8)?;
            let mut parts: Vec<&str> = Vec::new();
            for comp in s.split('/') {
                match comp {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    name => parts.push(name),
                }
            }
            Ok(VirtualPath::parse(&parts.join("/"))?)
        }
        other => Ok(other?),
    }
}

fn secs(t: Option<SystemTime>) -> u32 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}

/// Storage metadata as SFTP attributes (type bits in the permissions, times in seconds).
pub(crate) fn attrs_of(md: &Metadata) -> Attrs {
    let kind = match md.kind {
        FileKind::File => FileType::Regular,
        FileKind::Dir => FileType::Directory,
        FileKind::Symlink => FileType::Symlink,
        FileKind::Other => FileType::Unknown,
    };
    Attrs {
        size: Some(md.size),
        uid_gid: Some((md.uid, md.gid)),
        permissions: Some(kind.mode_bits() | (md.mode & 0o7777)),
        atime_mtime: Some((secs(md.atime), secs(md.mtime))),
        extended: None,
    }
}

/// SETSTAT attributes as a storage change; `None` when nothing is to change.
pub(crate) fn set_attrs_of(a: &Attrs) -> Option<SetAttrs> {
    let t = |s: u32| UNIX_EPOCH + Duration::from_secs(u64::from(s));
    let set = SetAttrs {
        mode: a.permissions.map(|p| p & 0o7777),
        owner: a.uid_gid,
        atime: a.atime().map(t),
        mtime: a.mtime().map(t),
        size: a.size,
    };
    (set != SetAttrs::default()).then_some(set)
}

/// Replies with the outcome of an operation that answers only a status.
pub(crate) async fn reply_unit(sh: &Shared, id: u32, res: Result<(), StorageError>) {
    match res {
        Ok(()) => sh.ok(id).await,
        Err(e) => sh.error(id, &e).await,
    }
}

/// Starts a non-write request as a task. `pending` is released when the task ends (after its reply).
pub(crate) fn spawn(tasks: &mut JoinSet<()>, sh: Arc<Shared>, pending: PendingGuard, req: Request) {
    let id = req.id().unwrap_or(0);
    let span = tracing::trace_span!("sftp_request", id);
    let guard = |h: &[u8]| lock(&sh.handles).guard(h);
    macro_rules! go {
        ($fut:expr) => {{
            let fut = $fut;
            tasks.spawn(
                async move {
                    fut.await;
                    pending.release().await;
                }
                .instrument(span),
            );
        }};
    }
    match req {
        Request::Init { .. } | Request::Write { .. } => {
            // Handled in `feed`; never reaches here.
            drop(pending);
        }
        Request::Open {
            id,
            path,
            pflags,
            attrs,
        } => go!(file::open(sh, id, path, pflags, attrs)),
        Request::Close { id, handle } => {
            let entry = lock(&sh.handles).remove(&handle);
            go!(file::close(sh, id, entry));
        }
        Request::Read {
            id,
            handle,
            offset,
            len,
        } => {
            let g = guard(&handle);
            go!(file::read(sh, id, g, offset, len));
        }
        Request::Fstat { id, handle } => {
            let g = guard(&handle);
            go!(file::fstat(sh, id, g));
        }
        Request::Fsetstat { id, handle, attrs } => {
            let g = guard(&handle);
            go!(file::fsetstat(sh, id, g, attrs));
        }
        Request::Fsync { id, handle } => {
            let g = guard(&handle);
            go!(file::fsync(sh, id, g));
        }
        Request::Fstatvfs { id, handle } => {
            let g = guard(&handle);
            go!(ext::fstatvfs(sh, id, g));
        }
        Request::Readdir { id, handle } => {
            let g = guard(&handle);
            go!(dir::readdir(sh, id, g));
        }
        Request::Opendir { id, path } => go!(dir::opendir(sh, id, path)),
        Request::Lstat { id, path } => go!(path::stat(sh, id, path, false)),
        Request::Stat { id, path } => go!(path::stat(sh, id, path, true)),
        Request::Setstat { id, path, attrs } => go!(path::setstat(sh, id, path, attrs, true)),
        Request::Lsetstat { id, path, attrs } => go!(path::setstat(sh, id, path, attrs, false)),
        Request::Remove { id, path } => go!(path::remove(sh, id, path)),
        Request::Mkdir { id, path, attrs } => go!(path::mkdir(sh, id, path, attrs)),
        Request::Rmdir { id, path } => go!(path::rmdir(sh, id, path)),
        Request::Realpath { id, path } => go!(path::realpath(sh, id, path, false)),
        Request::ExpandPath { id, path } => go!(path::realpath(sh, id, path, true)),
        Request::Rename {
            id,
            old_path,
            new_path,
        } => go!(path::rename(sh, id, old_path, new_path, false)),
        Request::PosixRename {
            id,
            old_path,
            new_path,
        } => go!(path::rename(sh, id, old_path, new_path, true)),
        Request::Readlink { id, path } => go!(path::readlink(sh, id, path)),
        Request::Symlink {
            id,
            target,
            link_path,
        } => go!(path::symlink(sh, id, target, link_path)),
        Request::Hardlink {
            id,
            old_path,
            new_path,
        } => go!(path::hardlink(sh, id, old_path, new_path)),
        Request::Statvfs { id, path } => go!(ext::statvfs(sh, id, path)),
        Request::Limits { id } => go!(ext::limits(sh, id)),
        Request::CopyData {
            id,
            read_handle,
            read_offset,
            read_len,
            write_handle,
            write_offset,
        } => {
            let from = guard(&read_handle);
            let to = guard(&write_handle);
            go!(ext::copy_data(
                sh,
                id,
                from,
                read_offset,
                read_len,
                to,
                write_offset
            ));
        }
        Request::CheckFile {
            id,
            target,
            algorithms,
            start,
            length,
            block_size,
        } => {
            let target = match target {
                ringway_sftp_proto::CheckTarget::Handle(h) => {
                    crate::hash::Target::Handle(guard(&h))
                }
                ringway_sftp_proto::CheckTarget::Name(p) => crate::hash::Target::Name(p),
            };
            go!(crate::hash::check_file(
                sh, id, target, algorithms, start, length, block_size
            ));
        }
        Request::UsersGroupsById { id, .. } | Request::Extended { id, .. } => {
            go!(async move {
                sh.status(
                    id,
                    StatusCode::OpUnsupported,
                    StatusCode::OpUnsupported.message(),
                )
                .await;
            });
        }
    }
}
