//! Encoders for the v3 replies: VERSION, STATUS, HANDLE, DATA, NAME, ATTRS.
//!
//! Each encoder appends one complete packet, length prefix included, to a caller-provided [`BytesMut`],
//! so a session can batch several replies into one buffer and one write.

use bytes::{BufMut, BytesMut};

use crate::attrs::Attrs;
use crate::parse::ext;
use crate::request::packet_type as t;
use crate::wire::{PacketStart, put_string, put_u32, wire_len};

/// The protocol version this crate speaks.
pub const SFTP_VERSION: u32 = 3;

/// The extensions ringway advertises in VERSION, with the versions OpenSSH's sftp-server advertises
/// (`check-file` is the draft's name for `check-file-handle`/`check-file-name`; OpenSSH has none).
pub const SERVER_EXTENSIONS: &[(&str, &str)] = &[
    (ext::POSIX_RENAME, "1"),
    (ext::STATVFS, "2"),
    (ext::FSTATVFS, "2"),
    (ext::HARDLINK, "1"),
    (ext::FSYNC, "1"),
    (ext::LIMITS, "1"),
    (ext::LSETSTAT, "1"),
    (ext::EXPAND_PATH, "1"),
    (ext::COPY_DATA, "1"),
    (ext::CHECK_FILE, "1"),
];

/// `SSH_FX_*` status codes of SFTP v3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum StatusCode {
    /// `SSH_FX_OK` (0).
    Ok = 0,
    /// `SSH_FX_EOF` (1).
    Eof = 1,
    /// `SSH_FX_NO_SUCH_FILE` (2).
    NoSuchFile = 2,
    /// `SSH_FX_PERMISSION_DENIED` (3).
    PermissionDenied = 3,
    /// `SSH_FX_FAILURE` (4).
    Failure = 4,
    /// `SSH_FX_BAD_MESSAGE` (5).
    BadMessage = 5,
    /// `SSH_FX_NO_CONNECTION` (6).
    NoConnection = 6,
    /// `SSH_FX_CONNECTION_LOST` (7).
    ConnectionLost = 7,
    /// `SSH_FX_OP_UNSUPPORTED` (8).
    OpUnsupported = 8,
}

impl StatusCode {
    /// The wire number.
    #[must_use]
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The code for a wire number, `None` beyond v3's range.
    #[must_use]
    pub const fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Self::Ok,
            1 => Self::Eof,
            2 => Self::NoSuchFile,
            3 => Self::PermissionDenied,
            4 => Self::Failure,
            5 => Self::BadMessage,
            6 => Self::NoConnection,
            7 => Self::ConnectionLost,
            8 => Self::OpUnsupported,
            _ => return None,
        })
    }

    /// The message OpenSSH's sftp-server sends with this code.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::Ok => "Success",
            Self::Eof => "End of file",
            Self::NoSuchFile => "No such file",
            Self::PermissionDenied => "Permission denied",
            Self::Failure => "Failure",
            Self::BadMessage => "Bad message",
            Self::NoConnection => "No connection",
            Self::ConnectionLost => "Connection lost",
            Self::OpUnsupported => "Operation unsupported",
        }
    }
}

/// Appends `SSH_FXP_VERSION` with `version` and the `(name, data)` extension pairs (usually
/// [`SFTP_VERSION`] and [`SERVER_EXTENSIONS`]).
pub fn encode_version(buf: &mut BytesMut, version: u32, extensions: &[(&str, &str)]) {
    let p = PacketStart::begin(buf, t::VERSION);
    put_u32(buf, version);
    for (name, data) in extensions {
        put_string(buf, name.as_bytes());
        put_string(buf, data.as_bytes());
    }
    p.finish(buf);
}

/// Appends `SSH_FXP_STATUS` with an empty language tag. `message` is free text for the user; pass
/// [`StatusCode::message`] when there is nothing better.
pub fn encode_status(buf: &mut BytesMut, id: u32, code: StatusCode, message: &str) {
    let p = PacketStart::begin(buf, t::STATUS);
    put_u32(buf, id);
    put_u32(buf, code.code());
    put_string(buf, message.as_bytes());
    put_string(buf, b"");
    p.finish(buf);
}

/// Appends `SSH_FXP_HANDLE`. Handles are opaque to the client; the draft caps them at 256 bytes.
pub fn encode_handle(buf: &mut BytesMut, id: u32, handle: &[u8]) {
    let p = PacketStart::begin(buf, t::HANDLE);
    put_u32(buf, id);
    put_string(buf, handle);
    p.finish(buf);
}

/// Appends `SSH_FXP_DATA` with a copy of `data`.
pub fn encode_data(buf: &mut BytesMut, id: u32, data: &[u8]) {
    encode_data_header(buf, id, wire_len(data.len()));
    buf.put_slice(data);
}

/// Length of the header [`encode_data_header`] writes: length, type, id and data length.
pub const DATA_HEADER_LEN: usize = 4 + 1 + 4 + 4;

/// Appends only the [`DATA_HEADER_LEN`]-byte header of an `SSH_FXP_DATA` whose `data_len` bytes the
/// caller sends next from its own buffer, so pooled read buffers reach the transport without a copy.
///
/// # Panics
/// When `data_len` exceeds `u32::MAX - 9` (the packet length would not fit).
pub fn encode_data_header(buf: &mut BytesMut, id: u32, data_len: u32) {
    let len = data_len
        .checked_add(9)
        .expect("SFTP DATA payload longer than 4 GiB");
    put_u32(buf, len);
    buf.put_u8(t::DATA);
    put_u32(buf, id);
    put_u32(buf, data_len);
}

/// Appends `SSH_FXP_ATTRS`.
pub fn encode_attrs(buf: &mut BytesMut, id: u32, attrs: &Attrs) {
    let p = PacketStart::begin(buf, t::ATTRS);
    put_u32(buf, id);
    attrs.encode(buf);
    p.finish(buf);
}

/// Appends an `SSH_FXP_NAME` with one `(filename, longname, attrs)` per entry.
pub fn encode_name<'e>(
    buf: &mut BytesMut,
    id: u32,
    entries: impl IntoIterator<Item = (&'e [u8], &'e [u8], &'e Attrs)>,
) {
    let mut name = NameEncoder::new(buf, id);
    for (filename, longname, attrs) in entries {
        name.push(filename, longname, attrs);
    }
}

/// Appends the `SSH_FXP_NAME` answering REALPATH or `expand-path@openssh.com`: one entry whose filename
/// and longname are `path`, with no attributes (as OpenSSH's sftp-server replies).
pub fn encode_path_name(buf: &mut BytesMut, id: u32, path: &[u8]) {
    NameEncoder::new(buf, id).push(path, path, &Attrs::EMPTY);
}

/// Builds an `SSH_FXP_NAME` entry by entry, for READDIR batches sized as they go.
///
/// The packet in the buffer is complete after [`NameEncoder::new`] (zero entries) and after every
/// [`NameEncoder::push`]: the count and length are patched each time, so there is no `finish` to forget.
/// Check [`NameEncoder::entry_len`] against the room left before pushing to keep a reply under the
/// client's packet limit.
#[derive(Debug)]
pub struct NameEncoder<'b> {
    buf: &'b mut BytesMut,
    start: usize,
    count: u32,
}

impl<'b> NameEncoder<'b> {
    /// Length prefix, type, id and count.
    const HEADER_LEN: usize = 4 + 1 + 4 + 4;

    /// Starts a NAME reply to `id` at the end of `buf`.
    pub fn new(buf: &'b mut BytesMut, id: u32) -> Self {
        let start = buf.len();
        let p = PacketStart::begin(buf, t::NAME);
        put_u32(buf, id);
        put_u32(buf, 0);
        p.finish(buf);
        Self {
            buf,
            start,
            count: 0,
        }
    }

    /// Bytes one entry adds to the packet.
    #[must_use]
    pub fn entry_len(filename: &[u8], longname: &[u8], attrs: &Attrs) -> usize {
        4 + filename.len() + 4 + longname.len() + attrs.encoded_len()
    }

    /// Appends one entry.
    ///
    /// # Panics
    /// After `u32::MAX` entries, or when the packet would exceed 4 GiB.
    pub fn push(&mut self, filename: &[u8], longname: &[u8], attrs: &Attrs) {
        put_string(self.buf, filename);
        put_string(self.buf, longname);
        attrs.encode(self.buf);
        self.count = self.count.checked_add(1).expect("2^32 NAME entries");
        let count_at = self.start + Self::HEADER_LEN - 4;
        self.buf[count_at..count_at + 4].copy_from_slice(&self.count.to_be_bytes());
        PacketStart::at(self.start).finish(self.buf);
    }

    /// Entries so far.
    #[must_use]
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// Size of the packet so far, length prefix included.
    #[must_use]
    pub fn packet_len(&self) -> usize {
        self.buf.len() - self.start
    }
}
