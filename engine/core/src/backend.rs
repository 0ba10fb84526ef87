//! The storage trait every backend implements, with owned buffers at each async boundary.
//!
//! Paths handed to a backend are [`VirtualPath`]s relative to that backend's own root (the VFS strips the
//! mount point), already normalised. Backends still confine the final resolution themselves (the local backend
//! lets the kernel do it), because a symlink inside the tree can point anywhere.

use std::time::SystemTime;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};

use crate::error::Result;
use crate::path::VirtualPath;

bitflags::bitflags! {
    /// What a backend can do beyond reading and writing whole files.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub struct Capabilities: u32 {
        /// Writes at any offset of an open file.
        const RANDOM_WRITE = 1 << 0;
        /// Opening an existing file to append.
        const APPEND = 1 << 1;
        /// Resuming an upload at an offset.
        const RESUME = 1 << 2;
        /// Rename that replaces the target atomically (atomic uploads rely on it).
        const ATOMIC_RENAME = 1 << 3;
        /// Symbolic links.
        const SYMLINK = 1 << 4;
        /// Setting access and modification times.
        const SET_TIMES = 1 << 5;
        /// Server-side copy.
        const SERVER_COPY = 1 << 6;
        /// Hard links.
        const HARD_LINK = 1 << 7;
        /// Mode bits.
        const CHMOD = 1 << 8;
        /// Ownership.
        const CHOWN = 1 << 9;
        /// Truncating a file to a size.
        const TRUNCATE = 1 << 10;
        /// File-system statistics (free space).
        const STATVFS = 1 << 11;
    }
}

/// The type of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (only from `lstat` and listings).
    Symlink,
    /// Anything else (device, socket, fifo).
    Other,
}

/// File attributes as protocols report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Entry type.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits (the low 12 bits of `st_mode`).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Last access, when known.
    pub atime: Option<SystemTime>,
    /// Last modification, when known.
    pub mtime: Option<SystemTime>,
    /// Hard link count (1 where the backend has no such notion).
    pub nlink: u64,
}

impl Metadata {
    /// True for directories.
    #[must_use]
    pub fn is_dir(&self) -> bool {
        self.kind == FileKind::Dir
    }

    /// True for regular files.
    #[must_use]
    pub fn is_file(&self) -> bool {
        self.kind == FileKind::File
    }
}

/// One entry of a listing (attributes as `lstat`: links are not followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name, without any `/`.
    pub name: String,
    /// Its attributes.
    pub metadata: Metadata,
}

/// How an upload opens its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Create or replace.
    Truncate,
    /// Create; fail with `AlreadyExists` if present.
    CreateNew,
    /// Keep existing bytes and write after them.
    Append,
    /// Keep the first `offset` bytes of the existing file, drop the rest, and continue writing there.
    ResumeAt(u64),
}

/// Options for [`Backend::open_write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// How the target is opened.
    pub mode: WriteMode,
    /// Write to a temporary name in the same directory and rename over the target on
    /// [`FileWriter::commit`]; an abort or a drop removes the temporary file and leaves the target as it was.
    pub atomic: bool,
    /// Permission bits for a newly created file (before umask).
    pub create_mode: u32,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            mode: WriteMode::Truncate,
            atomic: true,
            create_mode: 0o644,
        }
    }
}

/// Attribute changes for [`Backend::set_attrs`]; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetAttrs {
    /// New permission bits.
    pub mode: Option<u32>,
    /// New owner and group.
    pub owner: Option<(u32, u32)>,
    /// New access time.
    pub atime: Option<SystemTime>,
    /// New modification time.
    pub mtime: Option<SystemTime>,
    /// Truncate or extend to this size.
    pub size: Option<u64>,
}

/// File-system statistics, as `statvfs(3)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatVfs {
    /// Block size.
    pub block_size: u64,
    /// Fragment size.
    pub fragment_size: u64,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub blocks_free: u64,
    /// Blocks available to unprivileged users.
    pub blocks_available: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub files_free: u64,
    /// Inodes available to unprivileged users.
    pub files_available: u64,
    /// File-system id.
    pub fsid: u64,
    /// Mount flags.
    pub flags: u64,
    /// Longest file name.
    pub max_name_len: u64,
}

/// An opaque position in a paged listing, for protocols that resume listings across requests (HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor(pub String);

/// A page of a directory listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The entries of this page (never `.` or `..`).
    pub entries: Vec<DirEntry>,
    /// Where the next page starts; `None` when this was the last.
    pub next: Option<ListCursor>,
}

/// A file opened for reading. Reads take an owned buffer and give it back, filled after its current length:
/// the kernel (io_uring) may still own it while the future is pending.
#[async_trait]
pub trait FileReader: Send + Sync + std::fmt::Debug {
    /// Reads up to `buf.capacity() - buf.len()` bytes at `offset`, appending them to `buf`.
    /// Returns the number of bytes read (0 at end of file) and the buffer.
    async fn read_at(&self, buf: BytesMut, offset: u64) -> (Result<usize>, BytesMut);

    /// Attributes of the open file.
    ///
    /// # Errors
    /// As the backend's `stat`.
    async fn metadata(&self) -> Result<Metadata>;

    /// Closes the file, reporting errors that a drop would swallow.
    ///
    /// # Errors
    /// The backend's close error.
    async fn close(self: Box<Self>) -> Result<()>;
}

/// A file opened for writing. Until [`FileWriter::commit`] an atomic upload is invisible under its final name;
/// dropping the writer without committing is an abort.
#[async_trait]
pub trait FileWriter: Send + Sync + std::fmt::Debug {
    /// Writes all of `buf` at `offset` and gives the buffer back.
    async fn write_at(&self, buf: Bytes, offset: u64) -> (Result<()>, Bytes);

    /// Flushes written data to stable storage.
    ///
    /// # Errors
    /// The backend's sync error.
    async fn sync(&self) -> Result<()>;

    /// Attributes of the file being written.
    ///
    /// # Errors
    /// As the backend's `stat`.
    async fn metadata(&self) -> Result<Metadata>;

    /// Finishes the upload: closes the file and, if atomic, renames it over the target.
    ///
    /// # Errors
    /// When the data cannot be made durable or visible; the temporary file is then removed.
    async fn commit(self: Box<Self>) -> Result<()>;

    /// Abandons the upload: an atomic upload's temporary file is removed and the target is left untouched.
    ///
    /// # Errors
    /// When the temporary file cannot be removed.
    async fn abort(self: Box<Self>) -> Result<()>;
}

/// A directory being listed, page by page.
#[async_trait]
pub trait DirLister: Send + std::fmt::Debug {
    /// Up to `limit` further entries; an empty page means the listing is complete.
    ///
    /// # Errors
    /// When reading the directory fails.
    async fn next_page(&mut self, limit: usize) -> Result<Vec<DirEntry>>;
}

/// A storage backend. All paths are relative to the backend's root.
#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug + 'static {
    /// A short name for logs (`local`, `crypt`, `s3`...).
    fn name(&self) -> &'static str;

    /// What this backend supports.
    fn capabilities(&self) -> Capabilities;

    /// Attributes, following a final symlink.
    ///
    /// # Errors
    /// `NotFound`, `OutsideRoot` when a link leads out of the root, or an I/O error.
    async fn stat(&self, path: &VirtualPath) -> Result<Metadata>;

    /// Attributes of the entry itself (a symlink is reported as a symlink).
    ///
    /// # Errors
    /// As [`Backend::stat`].
    async fn lstat(&self, path: &VirtualPath) -> Result<Metadata>;

    /// Opens a file for reading.
    ///
    /// # Errors
    /// `NotFound`, `IsADirectory`, `OutsideRoot`, or an I/O error.
    async fn open_read(&self, path: &VirtualPath) -> Result<Box<dyn FileReader>>;

    /// Opens a file for writing as `opts` says.
    ///
    /// # Errors
    /// `AlreadyExists` for [`WriteMode::CreateNew`], `Unsupported` for a mode the backend lacks, or an I/O error.
    async fn open_write(
        &self,
        path: &VirtualPath,
        opts: WriteOptions,
    ) -> Result<Box<dyn FileWriter>>;

    /// Starts listing a directory.
    ///
    /// # Errors
    /// `NotFound`, `NotADirectory`, or an I/O error.
    async fn list(&self, path: &VirtualPath) -> Result<Box<dyn DirLister>>;

    /// Creates a directory.
    ///
    /// # Errors
    /// `AlreadyExists`, `NotFound` for a missing parent, or an I/O error.
    async fn mkdir(&self, path: &VirtualPath, mode: u32) -> Result<()>;

    /// Removes a file or symlink.
    ///
    /// # Errors
    /// `NotFound`, `IsADirectory`, or an I/O error.
    async fn remove_file(&self, path: &VirtualPath) -> Result<()>;

    /// Removes an empty directory.
    ///
    /// # Errors
    /// `NotFound`, `DirectoryNotEmpty`, `NotADirectory`, or an I/O error.
    async fn remove_dir(&self, path: &VirtualPath) -> Result<()>;

    /// Renames `from` to `to`, replacing `to` if it is a file (POSIX semantics).
    ///
    /// # Errors
    /// `NotFound`, or an I/O error.
    async fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> Result<()>;

    /// Changes attributes.
    ///
    /// # Errors
    /// `Unsupported` for attributes the backend lacks, or an I/O error.
    async fn set_attrs(&self, path: &VirtualPath, attrs: SetAttrs) -> Result<()>;

    /// Creates a symlink at `link` whose content is `target` (stored verbatim).
    ///
    /// # Errors
    /// `Unsupported` without [`Capabilities::SYMLINK`].
    async fn symlink(&self, _target: &str, _link: &VirtualPath) -> Result<()> {
        Err(crate::ErrorKind::Unsupported.into())
    }

    /// Reads a symlink's content.
    ///
    /// # Errors
    /// `Unsupported` without [`Capabilities::SYMLINK`].
    async fn readlink(&self, _path: &VirtualPath) -> Result<String> {
        Err(crate::ErrorKind::Unsupported.into())
    }

    /// Creates a hard link `to` of the file `from`.
    ///
    /// # Errors
    /// `Unsupported` without [`Capabilities::HARD_LINK`].
    async fn hard_link(&self, _from: &VirtualPath, _to: &VirtualPath) -> Result<()> {
        Err(crate::ErrorKind::Unsupported.into())
    }

    /// Copies a file inside the backend.
    ///
    /// # Errors
    /// `Unsupported` without [`Capabilities::SERVER_COPY`].
    async fn copy(&self, _from: &VirtualPath, _to: &VirtualPath) -> Result<u64> {
        Err(crate::ErrorKind::Unsupported.into())
    }

    /// File-system statistics of the storage holding `path`.
    ///
    /// # Errors
    /// `Unsupported` without [`Capabilities::STATVFS`].
    async fn statvfs(&self, _path: &VirtualPath) -> Result<StatVfs> {
        Err(crate::ErrorKind::Unsupported.into())
    }
}

/// Reads a directory in full, a convenience for small listings and tests.
///
/// # Errors
/// As [`DirLister::next_page`].
pub async fn list_all(backend: &dyn Backend, path: &VirtualPath) -> Result<Vec<DirEntry>> {
    let mut lister = backend.list(path).await?;
    let mut out = Vec::new();
    loop {
        let page = lister.next_page(1024).await?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}
