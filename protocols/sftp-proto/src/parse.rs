//! [`parse`]: one packet body in, one [`Request`] out.

use bytes::Bytes;

use crate::attrs::{Attrs, ExtPairs};
use crate::request::{CheckTarget, IdList, OpenFlags, Request, packet_type as t};
use crate::wire::{Reader, WireError};

/// Names of the `SSH_FXP_EXTENDED` requests this crate decodes.
pub mod ext {
    /// Rename that replaces an existing target.
    pub const POSIX_RENAME: &str = "posix-rename@openssh.com";
    /// File system statistics of a path.
    pub const STATVFS: &str = "statvfs@openssh.com";
    /// File system statistics of an open handle.
    pub const FSTATVFS: &str = "fstatvfs@openssh.com";
    /// Hard link creation.
    pub const HARDLINK: &str = "hardlink@openssh.com";
    /// fsync of an open handle.
    pub const FSYNC: &str = "fsync@openssh.com";
    /// Server limits (packet, read and write sizes, open handles).
    pub const LIMITS: &str = "limits@openssh.com";
    /// SETSTAT that does not follow a final symlink.
    pub const LSETSTAT: &str = "lsetstat@openssh.com";
    /// REALPATH with `~` expansion.
    pub const EXPAND_PATH: &str = "expand-path@openssh.com";
    /// Server-side copy between two open handles.
    pub const COPY_DATA: &str = "copy-data";
    /// Hash of a range of an open file (request name).
    pub const CHECK_FILE_HANDLE: &str = "check-file-handle";
    /// Hash of a range of a file by path (request name).
    pub const CHECK_FILE_NAME: &str = "check-file-name";
    /// The name advertised in VERSION (and echoed in replies) for both check-file requests.
    pub const CHECK_FILE: &str = "check-file";
    /// User and group names of numeric ids.
    pub const USERS_GROUPS_BY_ID: &str = "users-groups-by-id@openssh.com";
}

/// Why a packet body is not a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body has no type byte (the [`crate::Framer`] never returns one).
    #[error("empty SFTP packet")]
    Empty,
    /// A request type we know, whose fields do not decode. Reply `SSH_FX_BAD_MESSAGE` to `id` when it is
    /// known; without an id (INIT, or a packet cut inside its id) the session should close.
    #[error("malformed SFTP packet of type {packet_type}: {source}")]
    Malformed {
        /// The packet type byte.
        packet_type: u8,
        /// The request id, when it could be read.
        id: Option<u32>,
        /// The first field that failed.
        #[source]
        source: WireError,
    },
    /// A type byte that is not a client request (including server-to-client types). `id` is the next 4
    /// bytes when present, assuming the usual layout, so the engine may reply `SSH_FX_OP_UNSUPPORTED`.
    #[error("unknown SFTP packet type {packet_type}")]
    UnknownType {
        /// The packet type byte.
        packet_type: u8,
        /// The would-be request id.
        id: Option<u32>,
    },
}

impl ParseError {
    /// The request id to answer, when known.
    #[must_use]
    pub const fn id(&self) -> Option<u32> {
        match self {
            Self::Empty => None,
            Self::Malformed { id, .. } | Self::UnknownType { id, .. } => *id,
        }
    }
}

/// Decodes one packet body (type byte onward, as returned by [`crate::Framer::next_packet`]).
///
/// Strings, handles and WRITE data in the result are slices of `packet`: parsing copies and allocates
/// nothing (every variant is fixed-size or holds [`Bytes`] views; lists are validated once and read
/// lazily). Bytes after the last field are ignored, as OpenSSH's sftp-server does.
///
/// # Errors
/// [`ParseError::Empty`] for an empty body, [`ParseError::UnknownType`] for a type that is not a v3
/// request, [`ParseError::Malformed`] when a field is truncated or invalid.
pub fn parse(packet: Bytes) -> Result<Request, ParseError> {
    let mut r = Reader::new(packet);
    let packet_type = r.u8("packet type").map_err(|_| ParseError::Empty)?;
    if packet_type == t::INIT {
        return parse_init(&mut r).map_err(|source| ParseError::Malformed {
            packet_type,
            id: None,
            source,
        });
    }
    if !(t::OPEN..=t::SYMLINK).contains(&packet_type) && packet_type != t::EXTENDED {
        let id = r.u32("request id").ok();
        return Err(ParseError::UnknownType { packet_type, id });
    }
    let id = r
        .u32("request id")
        .map_err(|source| ParseError::Malformed {
            packet_type,
            id: None,
            source,
        })?;
    parse_request(packet_type, id, &mut r).map_err(|source| ParseError::Malformed {
        packet_type,
        id: Some(id),
        source,
    })
}

fn parse_init(r: &mut Reader) -> Result<Request, WireError> {
    let version = r.u32("version")?;
    let extensions = ExtPairs::decode_to_end(r)?;
    Ok(Request::Init {
        version,
        extensions,
    })
}

fn parse_request(packet_type: u8, id: u32, r: &mut Reader) -> Result<Request, WireError> {
    Ok(match packet_type {
        t::OPEN => Request::Open {
            id,
            path: r.string("path")?,
            pflags: OpenFlags(r.u32("pflags")?),
            attrs: Attrs::decode(r)?,
        },
        t::CLOSE => Request::Close {
            id,
            handle: r.string("handle")?,
        },
        t::READ => Request::Read {
            id,
            handle: r.string("handle")?,
            offset: r.u64("offset")?,
            len: r.u32("length")?,
        },
        t::WRITE => Request::Write {
            id,
            handle: r.string("handle")?,
            offset: r.u64("offset")?,
            data: r.string("data")?,
        },
        t::LSTAT => Request::Lstat {
            id,
            path: r.string("path")?,
        },
        t::FSTAT => Request::Fstat {
            id,
            handle: r.string("handle")?,
        },
        t::SETSTAT => Request::Setstat {
            id,
            path: r.string("path")?,
            attrs: Attrs::decode(r)?,
        },
        t::FSETSTAT => Request::Fsetstat {
            id,
            handle: r.string("handle")?,
            attrs: Attrs::decode(r)?,
        },
        t::OPENDIR => Request::Opendir {
            id,
            path: r.string("path")?,
        },
        t::READDIR => Request::Readdir {
            id,
            handle: r.string("handle")?,
        },
        t::REMOVE => Request::Remove {
            id,
            path: r.string("path")?,
        },
        t::MKDIR => Request::Mkdir {
            id,
            path: r.string("path")?,
            attrs: Attrs::decode(r)?,
        },
        t::RMDIR => Request::Rmdir {
            id,
            path: r.string("path")?,
        },
        t::REALPATH => Request::Realpath {
            id,
            path: r.string("path")?,
        },
        t::STAT => Request::Stat {
            id,
            path: r.string("path")?,
        },
        t::RENAME => Request::Rename {
            id,
            old_path: r.string("old path")?,
            new_path: r.string("new path")?,
        },
        t::READLINK => Request::Readlink {
            id,
            path: r.string("path")?,
        },
        t::SYMLINK => Request::Symlink {
            id,
            target: r.string("symlink target")?,
            link_path: r.string("link path")?,
        },
        // `parse` only calls this for known request types; EXTENDED is the one left.
        _ => parse_extended(id, r)?,
    })
}

fn parse_extended(id: u32, r: &mut Reader) -> Result<Request, WireError> {
    let name = r.string("extension name")?;
    let Some(name_str) = std::str::from_utf8(&name).ok() else {
        return Ok(unknown(id, name, r));
    };
    Ok(match name_str {
        ext::POSIX_RENAME => Request::PosixRename {
            id,
            old_path: r.string("old path")?,
            new_path: r.string("new path")?,
        },
        ext::STATVFS => Request::Statvfs {
            id,
            path: r.string("path")?,
        },
        ext::FSTATVFS => Request::Fstatvfs {
            id,
            handle: r.string("handle")?,
        },
        ext::HARDLINK => Request::Hardlink {
            id,
            old_path: r.string("old path")?,
            new_path: r.string("new path")?,
        },
        ext::FSYNC => Request::Fsync {
            id,
            handle: r.string("handle")?,
        },
        ext::LIMITS => Request::Limits { id },
        ext::LSETSTAT => Request::Lsetstat {
            id,
            path: r.string("path")?,
            attrs: Attrs::decode(r)?,
        },
        ext::EXPAND_PATH => Request::ExpandPath {
            id,
            path: r.string("path")?,
        },
        ext::COPY_DATA => Request::CopyData {
            id,
            read_handle: r.string("read handle")?,
            read_offset: r.u64("read offset")?,
            read_len: r.u64("read length")?,
            write_handle: r.string("write handle")?,
            write_offset: r.u64("write offset")?,
        },
        ext::CHECK_FILE_HANDLE | ext::CHECK_FILE_NAME => {
            let subject = r.string("check-file subject")?;
            let target = if name_str == ext::CHECK_FILE_HANDLE {
                CheckTarget::Handle(subject)
            } else {
                CheckTarget::Name(subject)
            };
            Request::CheckFile {
                id,
                target,
                algorithms: r.string("hash algorithm list")?,
                start: r.u64("start offset")?,
                length: r.u64("length")?,
                block_size: r.u32("block size")?,
            }
        }
        ext::USERS_GROUPS_BY_ID => Request::UsersGroupsById {
            id,
            uids: id_list(r, "uid list")?,
            gids: id_list(r, "gid list")?,
        },
        _ => unknown(id, name, r),
    })
}

fn unknown(id: u32, name: Bytes, r: &mut Reader) -> Request {
    Request::Extended {
        id,
        name,
        data: r.rest(),
    }
}

fn id_list(r: &mut Reader, field: &'static str) -> Result<IdList, WireError> {
    let packed = r.string(field)?;
    if packed.len() % 4 != 0 {
        return Err(WireError::Invalid { field });
    }
    Ok(IdList(packed))
}
