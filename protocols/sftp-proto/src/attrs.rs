//! File attributes (`ATTRS`, draft-ietf-secsh-filexfer-02 §5) and the file type carried in permission bits.

use bytes::{BufMut, Bytes, BytesMut};

use crate::wire::{Reader, WireError, put_string, put_u32, put_u64};

/// `SSH_FILEXFER_ATTR_SIZE`: a `uint64` size follows.
pub const ATTR_SIZE: u32 = 0x0000_0001;
/// `SSH_FILEXFER_ATTR_UIDGID`: `uint32` uid and `uint32` gid follow.
pub const ATTR_UIDGID: u32 = 0x0000_0002;
/// `SSH_FILEXFER_ATTR_PERMISSIONS`: `uint32` permissions (POSIX mode, file type included) follow.
pub const ATTR_PERMISSIONS: u32 = 0x0000_0004;
/// `SSH_FILEXFER_ATTR_ACMODTIME`: `uint32` atime and `uint32` mtime (seconds since 1970) follow.
pub const ATTR_ACMODTIME: u32 = 0x0000_0008;
/// `SSH_FILEXFER_ATTR_EXTENDED`: a `uint32` count and that many (type, data) string pairs follow.
pub const ATTR_EXTENDED: u32 = 0x8000_0000;

/// File attributes. Each field is present exactly when its flag is set on the wire.
///
/// Decoding ignores flag bits v3 does not define, as OpenSSH's sftp-server does: no v3 client sets them,
/// and they announce no field v3 knows how to skip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Size in bytes.
    pub size: Option<u64>,
    /// Numeric owner and group: `(uid, gid)`.
    pub uid_gid: Option<(u32, u32)>,
    /// POSIX mode: permission bits and, in replies, the file type bits (see [`FileType`]).
    pub permissions: Option<u32>,
    /// Access and modification times in seconds since 1970: `(atime, mtime)`.
    pub atime_mtime: Option<(u32, u32)>,
    /// Extended attribute pairs.
    pub extended: Option<ExtPairs>,
}

impl Attrs {
    /// No attribute set (flags 0), as sent with OPEN and MKDIR by most clients.
    pub const EMPTY: Self = Self {
        size: None,
        uid_gid: None,
        permissions: None,
        atime_mtime: None,
        extended: None,
    };

    /// The flags word describing which fields are present.
    #[must_use]
    pub const fn flags(&self) -> u32 {
        let mut flags = 0;
        if self.size.is_some() {
            flags |= ATTR_SIZE;
        }
        if self.uid_gid.is_some() {
            flags |= ATTR_UIDGID;
        }
        if self.permissions.is_some() {
            flags |= ATTR_PERMISSIONS;
        }
        if self.atime_mtime.is_some() {
            flags |= ATTR_ACMODTIME;
        }
        if self.extended.is_some() {
            flags |= ATTR_EXTENDED;
        }
        flags
    }

    /// Numeric owner, when present.
    #[must_use]
    pub fn uid(&self) -> Option<u32> {
        self.uid_gid.map(|(uid, _)| uid)
    }

    /// Numeric group, when present.
    #[must_use]
    pub fn gid(&self) -> Option<u32> {
        self.uid_gid.map(|(_, gid)| gid)
    }

    /// Access time, when present.
    #[must_use]
    pub fn atime(&self) -> Option<u32> {
        self.atime_mtime.map(|(atime, _)| atime)
    }

    /// Modification time, when present.
    #[must_use]
    pub fn mtime(&self) -> Option<u32> {
        self.atime_mtime.map(|(_, mtime)| mtime)
    }

    /// The file type from the permission bits, when permissions are present.
    #[must_use]
    pub fn file_type(&self) -> Option<FileType> {
        self.permissions.map(FileType::from_mode)
    }

    /// Decodes attributes at the reader's position.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when a flagged field or an extended pair runs past the end. An extended
    /// count of up to `2^32-1` costs only the pairs actually present: nothing is reserved for it.
    pub fn decode(r: &mut Reader) -> Result<Self, WireError> {
        let flags = r.u32("attrs flags")?;
        let mut attrs = Self::EMPTY;
        if flags & ATTR_SIZE != 0 {
            attrs.size = Some(r.u64("attrs size")?);
        }
        if flags & ATTR_UIDGID != 0 {
            attrs.uid_gid = Some((r.u32("attrs uid")?, r.u32("attrs gid")?));
        }
        if flags & ATTR_PERMISSIONS != 0 {
            attrs.permissions = Some(r.u32("attrs permissions")?);
        }
        if flags & ATTR_ACMODTIME != 0 {
            attrs.atime_mtime = Some((r.u32("attrs atime")?, r.u32("attrs mtime")?));
        }
        if flags & ATTR_EXTENDED != 0 {
            let count = r.u32("attrs extended count")?;
            attrs.extended = Some(ExtPairs::decode_counted(r, count)?);
        }
        Ok(attrs)
    }

    /// Bytes [`Attrs::encode`] appends.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        4 + self.size.map_or(0, |_| 8)
            + self.uid_gid.map_or(0, |_| 8)
            + self.permissions.map_or(0, |_| 4)
            + self.atime_mtime.map_or(0, |_| 8)
            + self.extended.as_ref().map_or(0, |e| 4 + e.raw.len())
    }

    /// Appends the wire form (flags, then each present field).
    ///
    /// # Panics
    /// When an extended pair is longer than `u32::MAX` bytes (not representable).
    pub fn encode(&self, buf: &mut BytesMut) {
        put_u32(buf, self.flags());
        if let Some(size) = self.size {
            put_u64(buf, size);
        }
        if let Some((uid, gid)) = self.uid_gid {
            put_u32(buf, uid);
            put_u32(buf, gid);
        }
        if let Some(perm) = self.permissions {
            put_u32(buf, perm);
        }
        if let Some((atime, mtime)) = self.atime_mtime {
            put_u32(buf, atime);
            put_u32(buf, mtime);
        }
        if let Some(ext) = &self.extended {
            put_u32(buf, ext.count);
            buf.put_slice(&ext.raw);
        }
    }
}

/// A validated list of `(name, data)` string pairs, kept in wire form and read lazily.
///
/// Used for the extension list of INIT/VERSION and for extended attributes. Parsing checks every pair once;
/// iterating afterwards cannot fail and allocates nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtPairs {
    count: u32,
    /// The pairs as on the wire (each a `string` name then a `string` data), without the count.
    raw: Bytes,
}

impl ExtPairs {
    /// Builds a list from pairs (for replies and tests).
    ///
    /// # Panics
    /// When there are more than `u32::MAX` pairs or a string longer than `u32::MAX` bytes.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Self {
        let mut raw = BytesMut::new();
        let mut count = 0u32;
        for (name, data) in pairs {
            put_string(&mut raw, name);
            put_string(&mut raw, data);
            count = count.checked_add(1).expect("more than 2^32-1 pairs");
        }
        Self {
            count,
            raw: raw.freeze(),
        }
    }

    /// Reads exactly `count` pairs.
    pub(crate) fn decode_counted(r: &mut Reader, count: u32) -> Result<Self, WireError> {
        let start = r.clone();
        // Each pair consumes at least 8 bytes, so a hostile count fails after remaining/8 rounds.
        for _ in 0..count {
            r.string("extension name")?;
            r.string("extension data")?;
        }
        let mut start = start;
        let raw = start.bytes("extension pairs", start.remaining() - r.remaining())?;
        Ok(Self { count, raw })
    }

    /// Reads pairs until the end of the reader (the INIT and VERSION form, which has no count).
    pub(crate) fn decode_to_end(r: &mut Reader) -> Result<Self, WireError> {
        let start = r.clone();
        let mut count = 0u32;
        while !r.is_empty() {
            r.string("extension name")?;
            r.string("extension data")?;
            count = count.saturating_add(1);
        }
        let mut start = start;
        let raw = start.bytes("extension pairs", start.remaining())?;
        Ok(Self { count, raw })
    }

    /// Number of pairs.
    #[must_use]
    pub const fn len(&self) -> u32 {
        self.count
    }

    /// Whether there is no pair.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The pairs, as zero-copy `(name, data)` slices.
    pub fn iter(&self) -> impl Iterator<Item = (Bytes, Bytes)> + '_ {
        let mut r = Reader::new(self.raw.clone());
        std::iter::from_fn(move || Some((r.string("name").ok()?, r.string("data").ok()?)))
    }

    /// The data of the first pair named `name`.
    #[must_use]
    pub fn get(&self, name: &[u8]) -> Option<Bytes> {
        self.iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }

    /// The pairs in wire form (without the count).
    #[must_use]
    pub const fn raw(&self) -> &Bytes {
        &self.raw
    }
}

/// `S_IFMT`: the file type bits of a POSIX mode.
pub const S_IFMT: u32 = 0o170_000;

/// The type of a file, as encoded in the `S_IFMT` bits of its mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// `S_IFREG`.
    Regular,
    /// `S_IFDIR`.
    Directory,
    /// `S_IFLNK`.
    Symlink,
    /// `S_IFCHR`.
    CharDevice,
    /// `S_IFBLK`.
    BlockDevice,
    /// `S_IFIFO`.
    Fifo,
    /// `S_IFSOCK`.
    Socket,
    /// Type bits absent or not one of the above.
    Unknown,
}

impl FileType {
    /// The type encoded in `mode`'s `S_IFMT` bits.
    #[must_use]
    pub const fn from_mode(mode: u32) -> Self {
        match mode & S_IFMT {
            0o100_000 => Self::Regular,
            0o040_000 => Self::Directory,
            0o120_000 => Self::Symlink,
            0o020_000 => Self::CharDevice,
            0o060_000 => Self::BlockDevice,
            0o010_000 => Self::Fifo,
            0o140_000 => Self::Socket,
            _ => Self::Unknown,
        }
    }

    /// The `S_IFMT` bits of this type (0 for [`FileType::Unknown`]), to combine with permission bits.
    #[must_use]
    pub const fn mode_bits(self) -> u32 {
        match self {
            Self::Regular => 0o100_000,
            Self::Directory => 0o040_000,
            Self::Symlink => 0o120_000,
            Self::CharDevice => 0o020_000,
            Self::BlockDevice => 0o060_000,
            Self::Fifo => 0o010_000,
            Self::Socket => 0o140_000,
            Self::Unknown => 0,
        }
    }

    /// The first character of an `ls -l` mode string (`-`, `d`, `l`, `c`, `b`, `p`, `s`, `?`).
    #[must_use]
    pub const fn ls_char(self) -> u8 {
        match self {
            Self::Regular => b'-',
            Self::Directory => b'd',
            Self::Symlink => b'l',
            Self::CharDevice => b'c',
            Self::BlockDevice => b'b',
            Self::Fifo => b'p',
            Self::Socket => b's',
            Self::Unknown => b'?',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(attrs: &Attrs) {
        let mut buf = BytesMut::new();
        attrs.encode(&mut buf);
        assert_eq!(buf.len(), attrs.encoded_len());
        let mut r = Reader::new(buf.freeze());
        assert_eq!(&Attrs::decode(&mut r).unwrap(), attrs);
        assert!(r.is_empty());
    }

    #[test]
    fn every_combination_round_trips() {
        for mask in 0..32u32 {
            let attrs = Attrs {
                size: (mask & 1 != 0).then_some(u64::MAX - 3),
                uid_gid: (mask & 2 != 0).then_some((1000, 100)),
                permissions: (mask & 4 != 0).then_some(0o100_644),
                atime_mtime: (mask & 8 != 0).then_some((1, u32::MAX)),
                extended: (mask & 16 != 0)
                    .then(|| ExtPairs::from_pairs([(&b"a@x"[..], &b"1"[..]), (b"", b"")])),
            };
            round_trip(&attrs);
        }
        assert_eq!(Attrs::EMPTY.flags(), 0);
    }

    #[test]
    fn unknown_flag_bits_are_ignored() {
        let mut r = Reader::new(Bytes::from_static(&[0x7f, 0xff, 0xff, 0xf0]));
        assert_eq!(Attrs::decode(&mut r).unwrap(), Attrs::EMPTY);
    }

    #[test]
    fn hostile_extended_count_fails_fast() {
        let mut wire = vec![0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        for _ in 0..3 {
            wire.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        }
        let mut r = Reader::new(Bytes::from(wire));
        assert!(matches!(
            Attrs::decode(&mut r),
            Err(WireError::Truncated { .. })
        ));
    }

    #[test]
    fn ext_pairs_lookup() {
        let pairs = ExtPairs::from_pairs([(&b"one"[..], &b"1"[..]), (b"two", b"2")]);
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs.get(b"two").as_deref(), Some(&b"2"[..]));
        assert_eq!(pairs.get(b"three"), None);
        assert_eq!(pairs.iter().count(), 2);
    }

    #[test]
    fn file_type_bits() {
        for t in [
            FileType::Regular,
            FileType::Directory,
            FileType::Symlink,
            FileType::CharDevice,
            FileType::BlockDevice,
            FileType::Fifo,
            FileType::Socket,
        ] {
            assert_eq!(FileType::from_mode(t.mode_bits() | 0o7777), t);
        }
        assert_eq!(FileType::from_mode(0o644), FileType::Unknown);
        assert_eq!(FileType::from_mode(0o170_000), FileType::Unknown);
    }
}
