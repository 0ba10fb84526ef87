//! File attributes as returned by `statx`, independent of the engine that produced them.

/// What `statx(2)` reports, reduced to what the backends use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStat {
    /// Full `st_mode`: type bits and permission bits.
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Link count.
    pub nlink: u64,
    /// Inode number.
    pub ino: u64,
    /// Last access, seconds and nanoseconds since the epoch.
    pub atime: (i64, u32),
    /// Last modification, seconds and nanoseconds since the epoch.
    pub mtime: (i64, u32),
}

impl FileStat {
    /// The file-type bits (`S_IFMT`).
    #[must_use]
    pub const fn file_type(&self) -> u32 {
        self.mode & libc::S_IFMT
    }

    /// True for directories.
    #[must_use]
    pub const fn is_dir(&self) -> bool {
        self.file_type() == libc::S_IFDIR
    }

    /// True for regular files.
    #[must_use]
    pub const fn is_file(&self) -> bool {
        self.file_type() == libc::S_IFREG
    }

    /// True for symbolic links.
    #[must_use]
    pub const fn is_symlink(&self) -> bool {
        self.file_type() == libc::S_IFLNK
    }

    pub(crate) fn from_libc(st: &libc::statx) -> Self {
        Self {
            mode: u32::from(st.stx_mode),
            size: st.stx_size,
            uid: st.stx_uid,
            gid: st.stx_gid,
            nlink: u64::from(st.stx_nlink),
            ino: st.stx_ino,
            atime: (st.stx_atime.tv_sec, st.stx_atime.tv_nsec),
            mtime: (st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec),
        }
    }

    pub(crate) fn from_rustix(st: &rustix::fs::Statx) -> Self {
        Self {
            mode: u32::from(st.stx_mode),
            size: st.stx_size,
            uid: st.stx_uid,
            gid: st.stx_gid,
            nlink: u64::from(st.stx_nlink),
            ino: st.stx_ino,
            atime: (st.stx_atime.tv_sec, st.stx_atime.tv_nsec),
            mtime: (st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec),
        }
    }
}
