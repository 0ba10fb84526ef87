//! The typed form of every request a client may send, as returned by [`crate::parse`].

use bytes::{Buf, Bytes};

use crate::attrs::Attrs;

/// Packet type numbers (draft-ietf-secsh-filexfer-02 §3).
pub mod packet_type {
    /// `SSH_FXP_INIT`.
    pub const INIT: u8 = 1;
    /// `SSH_FXP_VERSION`.
    pub const VERSION: u8 = 2;
    /// `SSH_FXP_OPEN`.
    pub const OPEN: u8 = 3;
    /// `SSH_FXP_CLOSE`.
    pub const CLOSE: u8 = 4;
    /// `SSH_FXP_READ`.
    pub const READ: u8 = 5;
    /// `SSH_FXP_WRITE`.
    pub const WRITE: u8 = 6;
    /// `SSH_FXP_LSTAT`.
    pub const LSTAT: u8 = 7;
    /// `SSH_FXP_FSTAT`.
    pub const FSTAT: u8 = 8;
    /// `SSH_FXP_SETSTAT`.
    pub const SETSTAT: u8 = 9;
    /// `SSH_FXP_FSETSTAT`.
    pub const FSETSTAT: u8 = 10;
    /// `SSH_FXP_OPENDIR`.
    pub const OPENDIR: u8 = 11;
    /// `SSH_FXP_READDIR`.
    pub const READDIR: u8 = 12;
    /// `SSH_FXP_REMOVE`.
    pub const REMOVE: u8 = 13;
    /// `SSH_FXP_MKDIR`.
    pub const MKDIR: u8 = 14;
    /// `SSH_FXP_RMDIR`.
    pub const RMDIR: u8 = 15;
    /// `SSH_FXP_REALPATH`.
    pub const REALPATH: u8 = 16;
    /// `SSH_FXP_STAT`.
    pub const STAT: u8 = 17;
    /// `SSH_FXP_RENAME`.
    pub const RENAME: u8 = 18;
    /// `SSH_FXP_READLINK`.
    pub const READLINK: u8 = 19;
    /// `SSH_FXP_SYMLINK`.
    pub const SYMLINK: u8 = 20;
    /// `SSH_FXP_STATUS`.
    pub const STATUS: u8 = 101;
    /// `SSH_FXP_HANDLE`.
    pub const HANDLE: u8 = 102;
    /// `SSH_FXP_DATA`.
    pub const DATA: u8 = 103;
    /// `SSH_FXP_NAME`.
    pub const NAME: u8 = 104;
    /// `SSH_FXP_ATTRS`.
    pub const ATTRS: u8 = 105;
    /// `SSH_FXP_EXTENDED`.
    pub const EXTENDED: u8 = 200;
    /// `SSH_FXP_EXTENDED_REPLY`.
    pub const EXTENDED_REPLY: u8 = 201;
}

/// `SSH_FXF_*` open flags of an OPEN request. Unknown bits are kept so the engine can refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OpenFlags(pub u32);

impl OpenFlags {
    /// `SSH_FXF_READ`.
    pub const READ: u32 = 0x01;
    /// `SSH_FXF_WRITE`.
    pub const WRITE: u32 = 0x02;
    /// `SSH_FXF_APPEND`.
    pub const APPEND: u32 = 0x04;
    /// `SSH_FXF_CREAT`.
    pub const CREAT: u32 = 0x08;
    /// `SSH_FXF_TRUNC`.
    pub const TRUNC: u32 = 0x10;
    /// `SSH_FXF_EXCL`.
    pub const EXCL: u32 = 0x20;
    /// Every bit v3 defines.
    pub const KNOWN: u32 = 0x3f;

    /// Whether every bit of `flag` is set.
    #[must_use]
    pub const fn contains(self, flag: u32) -> bool {
        self.0 & flag == flag
    }

    /// Bits v3 does not define.
    #[must_use]
    pub const fn unknown_bits(self) -> u32 {
        self.0 & !Self::KNOWN
    }
}

/// What a `check-file-handle` / `check-file-name` request hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckTarget {
    /// `check-file-handle`: an open handle (opened for reading).
    Handle(Bytes),
    /// `check-file-name`: a path.
    Name(Bytes),
}

/// A validated list of `uint32` ids packed in a string (`users-groups-by-id@openssh.com`), read lazily.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdList(pub(crate) Bytes);

impl IdList {
    /// Number of ids.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }

    /// Whether there is no id.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids in request order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let mut rest = self.0.clone();
        std::iter::from_fn(move || (rest.remaining() >= 4).then(|| rest.get_u32()))
    }
}

/// One SFTP v3 request, with its fields as zero-copy slices of the packet.
///
/// Paths and handles are raw bytes: SFTP v3 does not promise UTF-8 (OpenSSH passes file names through), so
/// decoding and validating a path is the VFS's job. [`as_utf8`] is there for the common case.
///
/// Every variant except [`Request::Init`] carries the request `id` the reply must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `SSH_FXP_INIT`: the client's highest version and its extension pairs.
    Init {
        version: u32,
        extensions: crate::ExtPairs,
    },
    /// `SSH_FXP_OPEN`: `attrs` apply when the file is created.
    Open {
        id: u32,
        path: Bytes,
        pflags: OpenFlags,
        attrs: Attrs,
    },
    /// `SSH_FXP_CLOSE`.
    Close { id: u32, handle: Bytes },
    /// `SSH_FXP_READ`: `len` is what the client asked; clamp it to the advertised read limit.
    Read {
        id: u32,
        handle: Bytes,
        offset: u64,
        len: u32,
    },
    /// `SSH_FXP_WRITE`: `data` is a slice of the packet (no copy).
    Write {
        id: u32,
        handle: Bytes,
        offset: u64,
        data: Bytes,
    },
    /// `SSH_FXP_LSTAT`.
    Lstat { id: u32, path: Bytes },
    /// `SSH_FXP_FSTAT`.
    Fstat { id: u32, handle: Bytes },
    /// `SSH_FXP_SETSTAT`.
    Setstat { id: u32, path: Bytes, attrs: Attrs },
    /// `SSH_FXP_FSETSTAT`.
    Fsetstat {
        id: u32,
        handle: Bytes,
        attrs: Attrs,
    },
    /// `SSH_FXP_OPENDIR`.
    Opendir { id: u32, path: Bytes },
    /// `SSH_FXP_READDIR`.
    Readdir { id: u32, handle: Bytes },
    /// `SSH_FXP_REMOVE`.
    Remove { id: u32, path: Bytes },
    /// `SSH_FXP_MKDIR`.
    Mkdir { id: u32, path: Bytes, attrs: Attrs },
    /// `SSH_FXP_RMDIR`.
    Rmdir { id: u32, path: Bytes },
    /// `SSH_FXP_REALPATH` (v3 carries only the path; later-version fields, if any, are ignored).
    Realpath { id: u32, path: Bytes },
    /// `SSH_FXP_STAT`.
    Stat { id: u32, path: Bytes },
    /// `SSH_FXP_RENAME`: v3 semantics (the target must not exist); see also [`Request::PosixRename`].
    Rename {
        id: u32,
        old_path: Bytes,
        new_path: Bytes,
    },
    /// `SSH_FXP_READLINK`.
    Readlink { id: u32, path: Bytes },
    /// `SSH_FXP_SYMLINK`, decoded in OpenSSH's order, which reverses the draft's: the first string on the
    /// wire is `target` (what the link points to, `ln -s target link`), the second is `link_path` (the link
    /// to create). Every widely used client follows OpenSSH here.
    Symlink {
        id: u32,
        target: Bytes,
        link_path: Bytes,
    },
    /// `posix-rename@openssh.com`: rename replacing an existing target (`rename(2)`).
    PosixRename {
        id: u32,
        old_path: Bytes,
        new_path: Bytes,
    },
    /// `statvfs@openssh.com`.
    Statvfs { id: u32, path: Bytes },
    /// `fstatvfs@openssh.com`.
    Fstatvfs { id: u32, handle: Bytes },
    /// `hardlink@openssh.com`: create `new_path` as a hard link to `old_path`.
    Hardlink {
        id: u32,
        old_path: Bytes,
        new_path: Bytes,
    },
    /// `fsync@openssh.com`.
    Fsync { id: u32, handle: Bytes },
    /// `limits@openssh.com`.
    Limits { id: u32 },
    /// `lsetstat@openssh.com`: SETSTAT without following a final symlink.
    Lsetstat { id: u32, path: Bytes, attrs: Attrs },
    /// `expand-path@openssh.com`: REALPATH that also expands a leading `~` or `~user`.
    ExpandPath { id: u32, path: Bytes },
    /// `copy-data`: copy `read_len` bytes (0 = to end of file) from one open handle to another,
    /// server side.
    CopyData {
        id: u32,
        read_handle: Bytes,
        read_offset: u64,
        read_len: u64,
        write_handle: Bytes,
        write_offset: u64,
    },
    /// `check-file-handle` / `check-file-name` (draft-ietf-secsh-filexfer-extensions-00 §3): hash
    /// `length` bytes (0 = to end of file) from `start`, in blocks of `block_size` (0 = one hash of the
    /// whole range). `algorithms` is the client's comma-separated preference list.
    CheckFile {
        id: u32,
        target: CheckTarget,
        algorithms: Bytes,
        start: u64,
        length: u64,
        block_size: u32,
    },
    /// `users-groups-by-id@openssh.com`: names for numeric ids.
    UsersGroupsById { id: u32, uids: IdList, gids: IdList },
    /// Any other `SSH_FXP_EXTENDED` request: answer `SSH_FX_OP_UNSUPPORTED`. `data` is the rest of the
    /// packet after the name.
    Extended { id: u32, name: Bytes, data: Bytes },
}

impl Request {
    /// The request id, `None` for INIT.
    #[must_use]
    pub const fn id(&self) -> Option<u32> {
        match self {
            Self::Init { .. } => None,
            Self::Open { id, .. }
            | Self::Close { id, .. }
            | Self::Read { id, .. }
            | Self::Write { id, .. }
            | Self::Lstat { id, .. }
            | Self::Fstat { id, .. }
            | Self::Setstat { id, .. }
            | Self::Fsetstat { id, .. }
            | Self::Opendir { id, .. }
            | Self::Readdir { id, .. }
            | Self::Remove { id, .. }
            | Self::Mkdir { id, .. }
            | Self::Rmdir { id, .. }
            | Self::Realpath { id, .. }
            | Self::Stat { id, .. }
            | Self::Rename { id, .. }
            | Self::Readlink { id, .. }
            | Self::Symlink { id, .. }
            | Self::PosixRename { id, .. }
            | Self::Statvfs { id, .. }
            | Self::Fstatvfs { id, .. }
            | Self::Hardlink { id, .. }
            | Self::Fsync { id, .. }
            | Self::Limits { id }
            | Self::Lsetstat { id, .. }
            | Self::ExpandPath { id, .. }
            | Self::CopyData { id, .. }
            | Self::CheckFile { id, .. }
            | Self::UsersGroupsById { id, .. }
            | Self::Extended { id, .. } => Some(*id),
        }
    }
}

/// A path, handle or name as `&str` when it is valid UTF-8.
#[must_use]
pub fn as_utf8(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}
