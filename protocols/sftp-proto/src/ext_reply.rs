//! Encoders for `SSH_FXP_EXTENDED_REPLY` answers to the extensions: statvfs, limits, check-file and
//! users-groups-by-id. (expand-path answers with a NAME: [`crate::encode_path_name`].)

use bytes::{BufMut, BytesMut};

use crate::parse::ext;
use crate::request::packet_type as t;
use crate::wire::{PacketStart, put_string, put_u32, put_u64, wire_len};

/// The reply to `statvfs@openssh.com` / `fstatvfs@openssh.com`: the fields of `statvfs(3)`, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatVfs {
    /// File system block size.
    pub bsize: u64,
    /// Fundamental block size (the unit of the block counts).
    pub frsize: u64,
    /// Size of the file system in `frsize` units.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Free blocks for unprivileged users.
    pub bavail: u64,
    /// Inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
    /// Free inodes for unprivileged users.
    pub favail: u64,
    /// File system id.
    pub fsid: u64,
    /// Mount flags: [`StatVfs::RDONLY`], [`StatVfs::NOSUID`].
    pub flag: u64,
    /// Maximum file name length.
    pub namemax: u64,
}

impl StatVfs {
    /// `SSH_FXE_STATVFS_ST_RDONLY`: read-only file system.
    pub const RDONLY: u64 = 0x1;
    /// `SSH_FXE_STATVFS_ST_NOSUID`: setuid bits ignored.
    pub const NOSUID: u64 = 0x2;
}

/// Appends the `EXTENDED_REPLY` to `statvfs@openssh.com` or `fstatvfs@openssh.com`: eleven `uint64`.
pub fn encode_statvfs_reply(buf: &mut BytesMut, id: u32, s: &StatVfs) {
    let p = PacketStart::begin(buf, t::EXTENDED_REPLY);
    put_u32(buf, id);
    for v in [
        s.bsize, s.frsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.favail, s.fsid, s.flag,
        s.namemax,
    ] {
        put_u64(buf, v);
    }
    p.finish(buf);
}

/// The reply to `limits@openssh.com`. Zero means "no limit stated" to OpenSSH's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest packet the server accepts, length prefix excluded.
    pub max_packet_len: u64,
    /// Largest READ length served in one DATA.
    pub max_read_len: u64,
    /// Largest WRITE payload accepted.
    pub max_write_len: u64,
    /// Open handles allowed per session (0: not stated).
    pub max_open_handles: u64,
}

impl Limits {
    /// 256 KiB: OpenSSH's client drops any message larger than this, whatever a server advertises.
    pub const MAX_PACKET_LEN: u64 = 256 * 1024;
    /// 255 KiB: leaves room in a 256 KiB packet for the DATA/WRITE header.
    pub const MAX_IO_LEN: u64 = 255 * 1024;
}

impl Default for Limits {
    /// 256 KiB packets, 255 KiB reads and writes, open handles not stated.
    fn default() -> Self {
        Self {
            max_packet_len: Self::MAX_PACKET_LEN,
            max_read_len: Self::MAX_IO_LEN,
            max_write_len: Self::MAX_IO_LEN,
            max_open_handles: 0,
        }
    }
}

/// Appends the `EXTENDED_REPLY` to `limits@openssh.com`: four `uint64`.
pub fn encode_limits_reply(buf: &mut BytesMut, id: u32, limits: &Limits) {
    let p = PacketStart::begin(buf, t::EXTENDED_REPLY);
    put_u32(buf, id);
    put_u64(buf, limits.max_packet_len);
    put_u64(buf, limits.max_read_len);
    put_u64(buf, limits.max_write_len);
    put_u64(buf, limits.max_open_handles);
    p.finish(buf);
}

/// Appends the `EXTENDED_REPLY` to `check-file-handle` / `check-file-name`: the string `"check-file"`, the
/// algorithm used, then the hashes of every block concatenated to the end of the packet.
pub fn encode_check_file_reply(buf: &mut BytesMut, id: u32, algorithm: &str, hashes: &[u8]) {
    let p = PacketStart::begin(buf, t::EXTENDED_REPLY);
    put_u32(buf, id);
    put_string(buf, ext::CHECK_FILE.as_bytes());
    put_string(buf, algorithm.as_bytes());
    buf.put_slice(hashes);
    p.finish(buf);
}

/// Appends the `EXTENDED_REPLY` to `users-groups-by-id@openssh.com`: one string packing a string per
/// requested uid (empty when unknown), then the same for gids, in request order.
pub fn encode_users_groups_reply(buf: &mut BytesMut, id: u32, users: &[&[u8]], groups: &[&[u8]]) {
    let p = PacketStart::begin(buf, t::EXTENDED_REPLY);
    put_u32(buf, id);
    for names in [users, groups] {
        let inner: usize = names.iter().map(|n| 4 + n.len()).sum();
        put_u32(buf, wire_len(inner));
        for name in names {
            put_string(buf, name);
        }
    }
    p.finish(buf);
}

/// Appends an `EXTENDED_REPLY` whose body after the id is `data` as is (for extensions this crate does
/// not model).
pub fn encode_extended_reply(buf: &mut BytesMut, id: u32, data: &[u8]) {
    let p = PacketStart::begin(buf, t::EXTENDED_REPLY);
    put_u32(buf, id);
    buf.put_slice(data);
    p.finish(buf);
}
