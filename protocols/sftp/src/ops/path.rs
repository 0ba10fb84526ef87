//! Requests on paths: STAT/LSTAT, SETSTAT/lsetstat, REMOVE, MKDIR, RMDIR, REALPATH/expand-path, RENAME and
//! posix-rename, READLINK, SYMLINK, hardlink.

use std::sync::Arc;

use bytes::Bytes;
use ringway_core::{ErrorKind, StorageError};
use ringway_sftp_proto::{Attrs, StatusCode, encode_attrs, encode_path_name};

use super::{attrs_of, clamp_path, reply_unit, set_attrs_of, vpath};
use crate::Shared;

pub(crate) async fn stat(sh: Arc<Shared>, id: u32, path: Bytes, follow: bool) {
    let res = match vpath(&path) {
        Ok(p) if follow => sh.vfs.stat(&p).await,
        Ok(p) => sh.vfs.lstat(&p).await,
        Err(e) => Err(e),
    };
    match res {
        Ok(md) => {
            let p = sh.encode(|b| encode_attrs(b, id, &attrs_of(&md)));
            sh.send(p).await;
        }
        Err(e) => sh.error(id, &e).await,
    }
}

/// SETSTAT and lsetstat@openssh.com (the VFS has one attribute call; see the crate's docs/decisions).
/// SETSTAT, or lsetstat@openssh.com when `follow` is false: then a symlink itself is not changed and its target
/// never is (Linux has no mode on links and the VFS sets attributes through them), so the request is refused
/// with OP_UNSUPPORTED; anything else is set as SETSTAT would.
pub(crate) async fn setstat(sh: Arc<Shared>, id: u32, path: Bytes, attrs: Attrs, follow: bool) {
    let res = match vpath(&path) {
        Ok(p) => match set_attrs_of(&attrs) {
            Some(set) if !follow => match sh.vfs.lstat(&p).await {
                Ok(md) if md.kind == ringway_core::FileKind::Symlink => Err(
                    StorageError::with_context(ErrorKind::Unsupported, "lsetstat on a symlink"),
                ),
                Ok(_) => sh.vfs.set_attrs(&p, set).await,
                Err(e) => Err(e),
            },
            Some(set) => sh.vfs.set_attrs(&p, set).await,
            None => sh.vfs.lstat(&p).await.map(drop),
        },
        Err(e) => Err(e),
    };
    reply_unit(&sh, id, res).await;
}

pub(crate) async fn remove(sh: Arc<Shared>, id: u32, path: Bytes) {
    let res = match vpath(&path) {
        Ok(p) => sh.vfs.remove_file(&p).await,
        Err(e) => Err(e),
    };
    reply_unit(&sh, id, res).await;
}

pub(crate) async fn mkdir(sh: Arc<Shared>, id: u32, path: Bytes, attrs: Attrs) {
    let mode = attrs.permissions.map_or(0o755, |p| p & 0o7777);
    let res = match vpath(&path) {
        Ok(p) => sh.vfs.mkdir(&p, mode).await,
        Err(e) => Err(e),
    };
    reply_unit(&sh, id, res).await;
}

pub(crate) async fn rmdir(sh: Arc<Shared>, id: u32, path: Bytes) {
    let res = match vpath(&path) {
        Ok(p) => sh.vfs.remove_dir(&p).await,
        Err(e) => Err(e),
    };
    reply_unit(&sh, id, res).await;
}

/// REALPATH and expand-path@openssh.com: lexical normalisation against `/` (the user's root is their home, so
/// `~` and `~user` for the session's own user are `/`).
pub(crate) async fn realpath(sh: Arc<Shared>, id: u32, path: Bytes, expand: bool) {
    let mut raw: &[u8] = &path;
    if expand && raw.first() == Some(&b'~') {
        let end = raw.iter().position(|&c| c == b'/').unwrap_or(raw.len());
        let user = &raw[1..end];
        if !user.is_empty() && user != sh.vfs.user().username.as_bytes() {
            return sh.status(id, StatusCode::NoSuchFile, "no such user").await;
        }
        raw = &raw[end..];
    }
    match clamp_path(raw) {
        Ok(p) => {
            let packet = sh.encode(|b| encode_path_name(b, id, p.as_str().as_bytes()));
            sh.send(packet).await;
        }
        Err(e) => sh.error(id, &e).await,
    }
}

/// RENAME (v3: an existing target is refused, as OpenSSH does) and posix-rename (replaces the target).
pub(crate) async fn rename(sh: Arc<Shared>, id: u32, from: Bytes, to: Bytes, replace: bool) {
    let res = async {
        let from = vpath(&from)?;
        let to = vpath(&to)?;
        if !replace && sh.vfs.lstat(&to).await.is_ok() {
            return Err(StorageError::new(ErrorKind::AlreadyExists));
        }
        sh.vfs.rename(&from, &to).await
    }
    .await;
    reply_unit(&sh, id, res).await;
}

pub(crate) async fn readlink(sh: Arc<Shared>, id: u32, path: Bytes) {
    let res = match vpath(&path) {
        Ok(p) => sh.vfs.readlink(&p).await,
        Err(e) => Err(e),
    };
    match res {
        Ok(target) => {
            let p = sh.encode(|b| encode_path_name(b, id, target.as_bytes()));
            sh.send(p).await;
        }
        Err(e) => sh.error(id, &e).await,
    }
}

/// SYMLINK with OpenSSH's argument order (target first, then the link to create).
pub(crate) async fn symlink(sh: Arc<Shared>, id: u32, target: Bytes, link: Bytes) {
    let res = async {
        let link = vpath(&link)?;
        let target =
            std::str::from_utf8(&target).map_err(|_| StorageError::new(ErrorKind::InvalidPath))?;
        sh.vfs.symlink(target, &link).await
    }
    .await;
    reply_unit(&sh, id, res).await;
}

pub(crate) async fn hardlink(sh: Arc<Shared>, id: u32, from: Bytes, to: Bytes) {
    let res = async {
        let from = vpath(&from)?;
        let to = vpath(&to)?;
        sh.vfs.hard_link(&from, &to).await
    }
    .await;
    reply_unit(&sh, id, res).await;
}
