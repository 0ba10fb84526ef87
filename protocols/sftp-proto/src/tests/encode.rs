//! A test-only request encoder (what a client would send) and one sample of every request variant.

use bytes::{Bytes, BytesMut};

use crate::request::packet_type as t;
use crate::wire::{PacketStart, put_string, put_u32, put_u64};
use crate::{Attrs, CheckTarget, ExtPairs, IdList, OpenFlags, Request, ext};

/// Encodes `req` as a framed packet (length prefix included).
pub(super) fn encode(req: &Request) -> BytesMut {
    let mut b = BytesMut::new();
    let (ty, id) = match req {
        Request::Init { .. } => (t::INIT, None),
        Request::Open { id, .. } => (t::OPEN, Some(*id)),
        Request::Close { id, .. } => (t::CLOSE, Some(*id)),
        Request::Read { id, .. } => (t::READ, Some(*id)),
        Request::Write { id, .. } => (t::WRITE, Some(*id)),
        Request::Lstat { id, .. } => (t::LSTAT, Some(*id)),
        Request::Fstat { id, .. } => (t::FSTAT, Some(*id)),
        Request::Setstat { id, .. } => (t::SETSTAT, Some(*id)),
        Request::Fsetstat { id, .. } => (t::FSETSTAT, Some(*id)),
        Request::Opendir { id, .. } => (t::OPENDIR, Some(*id)),
        Request::Readdir { id, .. } => (t::READDIR, Some(*id)),
        Request::Remove { id, .. } => (t::REMOVE, Some(*id)),
        Request::Mkdir { id, .. } => (t::MKDIR, Some(*id)),
        Request::Rmdir { id, .. } => (t::RMDIR, Some(*id)),
        Request::Realpath { id, .. } => (t::REALPATH, Some(*id)),
        Request::Stat { id, .. } => (t::STAT, Some(*id)),
        Request::Rename { id, .. } => (t::RENAME, Some(*id)),
        Request::Readlink { id, .. } => (t::READLINK, Some(*id)),
        Request::Symlink { id, .. } => (t::SYMLINK, Some(*id)),
        other => (t::EXTENDED, other.id()),
    };
    let p = PacketStart::begin(&mut b, ty);
    if let Some(id) = id {
        put_u32(&mut b, id);
    }
    let s = |b: &mut BytesMut, v: &Bytes| put_string(b, v);
    match req {
        Request::Init {
            version,
            extensions,
        } => {
            put_u32(&mut b, *version);
            b.extend_from_slice(extensions.raw());
        }
        Request::Open {
            path,
            pflags,
            attrs,
            ..
        } => {
            s(&mut b, path);
            put_u32(&mut b, pflags.0);
            attrs.encode(&mut b);
        }
        Request::Close { handle, .. }
        | Request::Fstat { handle, .. }
        | Request::Readdir { handle, .. } => s(&mut b, handle),
        Request::Read {
            handle,
            offset,
            len,
            ..
        } => {
            s(&mut b, handle);
            put_u64(&mut b, *offset);
            put_u32(&mut b, *len);
        }
        Request::Write {
            handle,
            offset,
            data,
            ..
        } => {
            s(&mut b, handle);
            put_u64(&mut b, *offset);
            s(&mut b, data);
        }
        Request::Lstat { path, .. }
        | Request::Opendir { path, .. }
        | Request::Remove { path, .. }
        | Request::Rmdir { path, .. }
        | Request::Realpath { path, .. }
        | Request::Stat { path, .. }
        | Request::Readlink { path, .. } => s(&mut b, path),
        Request::Setstat { path, attrs, .. } | Request::Mkdir { path, attrs, .. } => {
            s(&mut b, path);
            attrs.encode(&mut b);
        }
        Request::Fsetstat { handle, attrs, .. } => {
            s(&mut b, handle);
            attrs.encode(&mut b);
        }
        Request::Rename {
            old_path, new_path, ..
        } => {
            s(&mut b, old_path);
            s(&mut b, new_path);
        }
        Request::Symlink {
            target, link_path, ..
        } => {
            s(&mut b, target);
            s(&mut b, link_path);
        }
        other => encode_extended(&mut b, other),
    }
    p.finish(&mut b);
    b
}

fn encode_extended(b: &mut BytesMut, req: &Request) {
    let name = |b: &mut BytesMut, n: &str| put_string(b, n.as_bytes());
    match req {
        Request::PosixRename {
            old_path, new_path, ..
        }
        | Request::Hardlink {
            old_path, new_path, ..
        } => {
            let n = if matches!(req, Request::PosixRename { .. }) {
                ext::POSIX_RENAME
            } else {
                ext::HARDLINK
            };
            name(b, n);
            put_string(b, old_path);
            put_string(b, new_path);
        }
        Request::Statvfs { path, .. } => {
            name(b, ext::STATVFS);
            put_string(b, path);
        }
        Request::ExpandPath { path, .. } => {
            name(b, ext::EXPAND_PATH);
            put_string(b, path);
        }
        Request::Fstatvfs { handle, .. } => {
            name(b, ext::FSTATVFS);
            put_string(b, handle);
        }
        Request::Fsync { handle, .. } => {
            name(b, ext::FSYNC);
            put_string(b, handle);
        }
        Request::Limits { .. } => name(b, ext::LIMITS),
        Request::Lsetstat { path, attrs, .. } => {
            name(b, ext::LSETSTAT);
            put_string(b, path);
            attrs.encode(b);
        }
        Request::CopyData {
            read_handle,
            read_offset,
            read_len,
            write_handle,
            write_offset,
            ..
        } => {
            name(b, ext::COPY_DATA);
            put_string(b, read_handle);
            put_u64(b, *read_offset);
            put_u64(b, *read_len);
            put_string(b, write_handle);
            put_u64(b, *write_offset);
        }
        Request::CheckFile {
            target,
            algorithms,
            start,
            length,
            block_size,
            ..
        } => {
            let (n, subject) = match target {
                CheckTarget::Handle(h) => (ext::CHECK_FILE_HANDLE, h),
                CheckTarget::Name(p) => (ext::CHECK_FILE_NAME, p),
            };
            name(b, n);
            put_string(b, subject);
            put_string(b, algorithms);
            put_u64(b, *start);
            put_u64(b, *length);
            put_u32(b, *block_size);
        }
        Request::UsersGroupsById { uids, gids, .. } => {
            name(b, ext::USERS_GROUPS_BY_ID);
            put_string(b, &uids.0);
            put_string(b, &gids.0);
        }
        Request::Extended { name: n, data, .. } => {
            put_string(b, n);
            b.extend_from_slice(data);
        }
        other => unreachable!("not an extended request: {other:?}"),
    }
}

fn bs(s: &'static [u8]) -> Bytes {
    Bytes::from_static(s)
}

fn ids(list: &[u32]) -> IdList {
    IdList(
        list.iter()
            .flat_map(|v| v.to_be_bytes())
            .collect::<Vec<_>>()
            .into(),
    )
}

/// One instance of every request variant, with non-trivial field values.
pub(super) fn samples() -> Vec<Request> {
    let full = Attrs {
        size: Some(1 << 40),
        uid_gid: Some((1000, 1001)),
        permissions: Some(0o100_600),
        atime_mtime: Some((1_700_000_000, 1_700_000_001)),
        extended: Some(ExtPairs::from_pairs([(&b"x@example"[..], &b"v"[..])])),
    };
    let h = bs(b"\x00\x00\x00\x07");
    vec![
        Request::Init {
            version: 3,
            extensions: ExtPairs::from_pairs([(&b"a@b"[..], &b"1"[..]), (b"c", b"")]),
        },
        Request::Open {
            id: 1,
            path: bs(b"/dir/f\xff"),
            pflags: OpenFlags(OpenFlags::WRITE | OpenFlags::CREAT | OpenFlags::TRUNC),
            attrs: Attrs {
                permissions: Some(0o644),
                ..Attrs::EMPTY
            },
        },
        Request::Close {
            id: 2,
            handle: h.clone(),
        },
        Request::Read {
            id: 3,
            handle: h.clone(),
            offset: u64::MAX,
            len: 261_120,
        },
        Request::Write {
            id: 4,
            handle: h.clone(),
            offset: 8,
            data: bs(b"payload"),
        },
        Request::Lstat {
            id: 5,
            path: bs(b"l"),
        },
        Request::Fstat {
            id: 6,
            handle: h.clone(),
        },
        Request::Setstat {
            id: 7,
            path: bs(b"s"),
            attrs: full.clone(),
        },
        Request::Fsetstat {
            id: 8,
            handle: h.clone(),
            attrs: full.clone(),
        },
        Request::Opendir {
            id: 9,
            path: bs(b"."),
        },
        Request::Readdir {
            id: 10,
            handle: h.clone(),
        },
        Request::Remove {
            id: 11,
            path: bs(b"gone"),
        },
        Request::Mkdir {
            id: 12,
            path: bs(b"new"),
            attrs: Attrs::EMPTY,
        },
        Request::Rmdir {
            id: 13,
            path: bs(b"old"),
        },
        Request::Realpath {
            id: 14,
            path: bs(b""),
        },
        Request::Stat {
            id: 15,
            path: bs(b"/"),
        },
        Request::Rename {
            id: 16,
            old_path: bs(b"a"),
            new_path: bs(b"b"),
        },
        Request::Readlink {
            id: 17,
            path: bs(b"link"),
        },
        Request::Symlink {
            id: 18,
            target: bs(b"target"),
            link_path: bs(b"link"),
        },
        Request::PosixRename {
            id: 19,
            old_path: bs(b"a"),
            new_path: bs(b"b"),
        },
        Request::Statvfs {
            id: 20,
            path: bs(b"/"),
        },
        Request::Fstatvfs {
            id: 21,
            handle: h.clone(),
        },
        Request::Hardlink {
            id: 22,
            old_path: bs(b"a"),
            new_path: bs(b"c"),
        },
        Request::Fsync {
            id: 23,
            handle: h.clone(),
        },
        Request::Limits { id: 24 },
        Request::Lsetstat {
            id: 25,
            path: bs(b"l"),
            attrs: full,
        },
        Request::ExpandPath {
            id: 26,
            path: bs(b"~/x"),
        },
        Request::CopyData {
            id: 27,
            read_handle: h.clone(),
            read_offset: 1,
            read_len: 0,
            write_handle: bs(b"\x00\x00\x00\x08"),
            write_offset: 2,
        },
        Request::CheckFile {
            id: 28,
            target: CheckTarget::Handle(h),
            algorithms: bs(b"sha256,md5"),
            start: 0,
            length: 0,
            block_size: 0,
        },
        Request::CheckFile {
            id: 29,
            target: CheckTarget::Name(bs(b"/f")),
            algorithms: bs(b"sha512"),
            start: 10,
            length: 1 << 20,
            block_size: 65_536,
        },
        Request::UsersGroupsById {
            id: 30,
            uids: ids(&[0, 1000]),
            gids: ids(&[]),
        },
        Request::Extended {
            id: 31,
            name: bs(b"home-directory"),
            data: bs(b"\x00\x00\x00\x01u"),
        },
        Request::Extended {
            id: u32::MAX,
            name: bs(b"\xff\xfe"),
            data: bs(b""),
        },
    ]
}
