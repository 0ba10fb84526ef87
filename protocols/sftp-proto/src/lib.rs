//! The SFTP version 3 packet codec of ringway: pure, sans-IO, zero-copy.
//!
//! This crate owns the wire format of SFTP v3 (draft-ietf-secsh-filexfer-02) and of the OpenSSH and draft
//! extensions ringway serves, and nothing else: no sockets, no clock, no file system, no session state. The
//! SFTP engine drives it:
//!
//! 1. The SSH channel's bytes go into a [`Framer`], in whatever chunks the transport delivers.
//! 2. Each complete packet body from [`Framer::next_packet`] goes through [`parse`] into a [`Request`].
//! 3. The engine answers with the `encode_*` functions, which append whole packets (length prefix
//!    included) to a [`bytes::BytesMut`] the engine owns and reuses.
//!
//! Invariants:
//!
//! - **Nothing a peer sends can panic this crate**, and no allocation is sized by a number the peer sent:
//!   the framer checks a packet's announced length against its maximum as soon as the 4 length bytes
//!   arrive and never reserves for it; string lengths and counts are checked against the bytes actually
//!   present. Malformed packets become [`ParseError`]s (with the request id when it was readable, so the
//!   engine can answer `SSH_FX_BAD_MESSAGE`), framing violations become [`FrameError`]s (close the session).
//! - **Zero copy on the request path.** A packet body is a [`bytes::Bytes`] view of the buffer it was
//!   reassembled in ([`bytes::BytesMut::split_to`] + `freeze`); every path, handle and WRITE payload in a
//!   [`Request`] is a further view of it. Parsing allocates nothing. Views keep their buffer alive: copy a
//!   small field that is kept for long (a handle in a table).
//! - **Paths are bytes.** SFTP v3 does not promise UTF-8; [`as_utf8`] helps where it holds, and path
//!   validation belongs to the VFS.
//! - **Encoders cannot fail on valid replies.** They panic only on fields longer than 4 GiB, which the wire
//!   cannot represent and the engine never produces (it clamps reads to [`Limits::MAX_IO_LEN`]).
//!   [`encode_data_header`] lets a DATA reply's payload be sent from a pooled buffer without copying it.
//!
//! Compatibility choices follow OpenSSH's sftp-server: SYMLINK's arguments in OpenSSH's (reversed) order,
//! trailing bytes after a request's last field ignored, unknown attribute flag bits ignored.
#![forbid(unsafe_code)]

mod attrs;
mod ext_reply;
mod framer;
mod longname;
mod parse;
mod request;
mod response;
mod wire;

#[cfg(test)]
mod tests;

pub use attrs::{
    ATTR_ACMODTIME, ATTR_EXTENDED, ATTR_PERMISSIONS, ATTR_SIZE, ATTR_UIDGID, Attrs, ExtPairs,
    FileType, S_IFMT,
};
pub use ext_reply::{
    Limits, StatVfs, encode_check_file_reply, encode_extended_reply, encode_limits_reply,
    encode_statvfs_reply, encode_users_groups_reply,
};
pub use framer::{DEFAULT_MAX_PACKET, FrameError, Framer};
pub use longname::{longname, longname_into};
pub use parse::{ParseError, ext, parse};
pub use request::{CheckTarget, IdList, OpenFlags, Request, as_utf8, packet_type};
pub use response::{
    DATA_HEADER_LEN, NameEncoder, SERVER_EXTENSIONS, SFTP_VERSION, StatusCode, encode_attrs,
    encode_data, encode_data_header, encode_handle, encode_name, encode_path_name, encode_status,
    encode_version,
};
pub use wire::{Reader, WireError, put_string, put_u8, put_u32, put_u64};
