//! File I/O for one worker core: an io_uring ring driven from tokio, or a small blocking pool with the same API.
//!
//! [`Io`] is a cheap, `Send + Sync` handle. In [`IoMode::Uring`] each handle owns one ring whose fd is registered
//! with the tokio reactor of the runtime that created it; a reaper task on that runtime submits queued entries
//! once per scheduler tick (so every op pushed during a tick goes to the kernel in one `io_uring_enter`) and
//! completes waiting futures. In [`IoMode::ThreadPool`] every op runs as a blocking syscall on tokio's blocking
//! pool. Both modes take owned buffers (`BytesMut` to read into, `Bytes` to write from) and give them back.
//!
//! Invariants that make the uring mode sound:
//! - While the kernel may touch a buffer, path or stat block, the driver owns it (in the op's slot), never the
//!   future. Dropping a future mid-operation only marks the slot; the reaper frees it when the completion
//!   arrives, and closes the fd an abandoned `openat2` produced, so nothing leaks and nothing is freed early.
//! - An op keeps the [`Fd`] it works on alive (it is reference-counted), so closing a file while an op on it is
//!   in flight cannot recycle the descriptor number under the kernel.
//! - Dropping the driver with ops in flight waits for their completions, and leaks their buffers rather than
//!   free them if the kernel does not answer.
//!
//! This is the only crate of the workspace with `unsafe` code; every block says why it is sound.

mod pool;
mod stat;
mod uring;

use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

pub use stat::FileStat;

/// Which engine runs the file operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoMode {
    /// A per-core io_uring ring.
    Uring,
    /// Blocking syscalls on tokio's blocking pool.
    ThreadPool,
}

impl fmt::Display for IoMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Uring => "uring",
            Self::ThreadPool => "threadpool",
        })
    }
}

/// A reference-counted open file descriptor. Ops in flight hold a clone, so the descriptor stays open until the
/// kernel is done with it even if every user handle was dropped.
#[derive(Clone)]
pub struct Fd(Arc<OwnedFd>);

impl Fd {
    /// The raw descriptor number.
    #[must_use]
    pub fn raw(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl From<OwnedFd> for Fd {
    fn from(fd: OwnedFd) -> Self {
        Self(Arc::new(fd))
    }
}

impl AsFd for Fd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl fmt::Debug for Fd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fd({})", self.raw())
    }
}

/// Arguments of `openat2(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenHow {
    /// `O_*` flags (`O_CLOEXEC` is always added).
    pub flags: i32,
    /// Mode for created files.
    pub mode: u32,
    /// `RESOLVE_*` flags.
    pub resolve: u64,
}

impl OpenHow {
    /// Resolution confined beneath the directory fd, with no magic links (`/proc/self/fd/...`).
    pub const CONFINED: u64 = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;

    /// Read-only, confined.
    #[must_use]
    pub const fn read() -> Self {
        Self {
            flags: libc::O_RDONLY,
            mode: 0,
            resolve: Self::CONFINED,
        }
    }

    /// A directory handle (`O_DIRECTORY | O_PATH`), confined.
    #[must_use]
    pub const fn dir_path() -> Self {
        Self {
            flags: libc::O_PATH | libc::O_DIRECTORY,
            mode: 0,
            resolve: Self::CONFINED,
        }
    }
}

/// Flags for [`Io::rename_at`] (`renameat2(2)`).
pub mod rename_flags {
    /// Fail if the target exists.
    pub const NOREPLACE: u32 = libc::RENAME_NOREPLACE;
    /// Swap source and target.
    pub const EXCHANGE: u32 = libc::RENAME_EXCHANGE;
}

/// Sizes and limits of the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoConfig {
    /// Submission queue entries of each ring (a power of two).
    pub ring_entries: u32,
}

impl Default for IoConfig {
    fn default() -> Self {
        Self { ring_entries: 256 }
    }
}

#[derive(Debug)]
enum Engine {
    Uring(Arc<uring::Driver>),
    Pool(pool::Pool),
}

/// A file-I/O handle bound to one worker. Clone it freely; clones share the ring.
#[derive(Debug, Clone)]
pub struct Io {
    engine: Arc<Engine>,
}

pub(crate) fn cstring(path: &Path) -> io::Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// `AT_*` flags for a `statx` of `path`: an empty path stats the fd itself.
fn statx_flags(path: &CString, follow: bool) -> i32 {
    let mut flags = libc::AT_STATX_SYNC_AS_STAT;
    if !follow {
        flags |= libc::AT_SYMLINK_NOFOLLOW;
    }
    if path.as_bytes().is_empty() {
        flags |= libc::AT_EMPTY_PATH;
    }
    flags
}

impl Io {
    /// Starts an engine of `mode` on the current tokio runtime.
    ///
    /// # Errors
    /// When the ring cannot be created or registered (seccomp, old kernel, `io_uring_disabled`).
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new(mode: IoMode, config: IoConfig) -> io::Result<Self> {
        let engine = match mode {
            IoMode::Uring => Engine::Uring(uring::Driver::start(config.ring_entries)?),
            IoMode::ThreadPool => Engine::Pool(pool::Pool::new()),
        };
        Ok(Self {
            engine: Arc::new(engine),
        })
    }

    /// Starts the requested mode, falling back to the thread pool when io_uring is unavailable.
    /// The outcome is logged.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    #[must_use]
    pub fn start(requested: IoMode, config: IoConfig) -> Self {
        match Self::new(requested, config) {
            Ok(io) => io,
            Err(err) => {
                tracing::warn!(cause = %err, "io_uring unavailable, file I/O falls back to the blocking pool");
                Self {
                    engine: Arc::new(Engine::Pool(pool::Pool::new())),
                }
            }
        }
    }

    /// The engine in use.
    #[must_use]
    pub fn mode(&self) -> IoMode {
        match *self.engine {
            Engine::Uring(_) => IoMode::Uring,
            Engine::Pool(_) => IoMode::ThreadPool,
        }
    }

    /// `openat2(2)` relative to `dir`.
    ///
    /// A confined resolution (`RESOLVE_BENEATH`) fails with `EAGAIN` when a rename or mount anywhere on the
    /// system races with a `..` step; the kernel documents a retry as the remedy, so a few are made here.
    ///
    /// # Errors
    /// The OS error; `EXDEV` when a confined resolution would leave `dir`.
    pub async fn open_at(&self, dir: &Fd, path: &Path, how: OpenHow) -> io::Result<Fd> {
        const ATTEMPTS: usize = 16;
        let path = cstring(path)?;
        let how = OpenHow {
            flags: how.flags | libc::O_CLOEXEC,
            ..how
        };
        let mut attempt = 1;
        loop {
            let r = match &*self.engine {
                Engine::Uring(d) => d.open_at(dir.clone(), path.clone(), how).await,
                Engine::Pool(p) => p.open_at(dir.clone(), path.clone(), how).await,
            };
            match r {
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) && attempt < ATTEMPTS => {
                    attempt += 1;
                    tokio::task::yield_now().await;
                }
                other => return other,
            }
        }
    }

    /// Reads up to the spare capacity of `buf` at `offset`, appending to `buf`. Returns the count (0 at end of
    /// file) and the buffer.
    pub async fn read_at(
        &self,
        fd: &Fd,
        buf: BytesMut,
        offset: u64,
    ) -> (io::Result<usize>, BytesMut) {
        match &*self.engine {
            Engine::Uring(d) => d.read_at(fd.clone(), buf, offset).await,
            Engine::Pool(p) => p.read_at(fd.clone(), buf, offset).await,
        }
    }

    /// Writes `buf` at `offset` once; returns how much was written and the buffer.
    pub async fn write_at(&self, fd: &Fd, buf: Bytes, offset: u64) -> (io::Result<usize>, Bytes) {
        match &*self.engine {
            Engine::Uring(d) => d.write_at(fd.clone(), buf, offset).await,
            Engine::Pool(p) => p.write_at(fd.clone(), buf, offset).await,
        }
    }

    /// Writes all of `buf` at `offset`, retrying short writes; gives the buffer back.
    pub async fn write_all_at(&self, fd: &Fd, buf: Bytes, offset: u64) -> (io::Result<()>, Bytes) {
        let mut done = 0usize;
        let whole = buf;
        while done < whole.len() {
            let (res, _) = self
                .write_at(fd, whole.slice(done..), offset + done as u64)
                .await;
            match res {
                Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), whole),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), whole),
            }
        }
        (Ok(()), whole)
    }

    /// `fsync(2)`, or `fdatasync(2)` when `data_only`.
    ///
    /// # Errors
    /// The OS error.
    pub async fn sync(&self, fd: &Fd, data_only: bool) -> io::Result<()> {
        match &*self.engine {
            Engine::Uring(d) => d.sync(fd.clone(), data_only).await,
            Engine::Pool(p) => p.sync(fd.clone(), data_only).await,
        }
    }

    /// `statx(2)` of `path` relative to `dir`; an empty path stats `dir` itself. Follows a final symlink only
    /// when `follow`. Note that `statx` does not confine resolution: callers pass a single name relative to a
    /// directory they opened confined.
    ///
    /// # Errors
    /// The OS error.
    pub async fn statx(&self, dir: &Fd, path: &Path, follow: bool) -> io::Result<FileStat> {
        let path = cstring(path)?;
        let flags = statx_flags(&path, follow);
        match &*self.engine {
            Engine::Uring(d) => d.statx(dir.clone(), path, flags).await,
            Engine::Pool(p) => p.statx(dir.clone(), path, flags).await,
        }
    }

    /// `fstat` of an open file.
    ///
    /// # Errors
    /// The OS error.
    pub async fn fstat(&self, fd: &Fd) -> io::Result<FileStat> {
        self.statx(fd, Path::new(""), true).await
    }

    /// `renameat2(2)` with [`rename_flags`].
    ///
    /// # Errors
    /// The OS error.
    pub async fn rename_at(
        &self,
        old_dir: &Fd,
        old: &Path,
        new_dir: &Fd,
        new: &Path,
        flags: u32,
    ) -> io::Result<()> {
        let (old, new) = (cstring(old)?, cstring(new)?);
        match &*self.engine {
            Engine::Uring(d) => {
                d.rename_at(old_dir.clone(), old, new_dir.clone(), new, flags)
                    .await
            }
            Engine::Pool(p) => {
                p.rename_at(old_dir.clone(), old, new_dir.clone(), new, flags)
                    .await
            }
        }
    }

    /// `unlinkat(2)`; `AT_REMOVEDIR` when `is_dir`.
    ///
    /// # Errors
    /// The OS error.
    pub async fn unlink_at(&self, dir: &Fd, path: &Path, is_dir: bool) -> io::Result<()> {
        let path = cstring(path)?;
        match &*self.engine {
            Engine::Uring(d) => d.unlink_at(dir.clone(), path, is_dir).await,
            Engine::Pool(p) => p.unlink_at(dir.clone(), path, is_dir).await,
        }
    }

    /// `mkdirat(2)`.
    ///
    /// # Errors
    /// The OS error.
    pub async fn mkdir_at(&self, dir: &Fd, path: &Path, mode: u32) -> io::Result<()> {
        let path = cstring(path)?;
        match &*self.engine {
            Engine::Uring(d) => d.mkdir_at(dir.clone(), path, mode).await,
            Engine::Pool(p) => p.mkdir_at(dir.clone(), path, mode).await,
        }
    }

    /// Closes `fd` and reports the error a drop would swallow. When other clones of `fd` are alive (an op in
    /// flight), the descriptor is closed by the last of them instead, and this returns `Ok`.
    ///
    /// # Errors
    /// The OS error of `close(2)`.
    pub async fn close(&self, fd: Fd) -> io::Result<()> {
        let Ok(owned) = Arc::try_unwrap(fd.0) else {
            return Ok(());
        };
        match &*self.engine {
            Engine::Uring(d) => d.close(owned).await,
            Engine::Pool(p) => p.close(owned).await,
        }
    }

    /// `statx(2)` as a blocking call, for code already running on the blocking pool (directory listings).
    /// Same semantics as [`Io::statx`].
    ///
    /// # Errors
    /// The OS error.
    pub fn statx_blocking(dir: impl AsFd, path: &Path, follow: bool) -> io::Result<FileStat> {
        let path = cstring(path)?;
        pool::statx_flags(dir, &path, statx_flags(&path, follow))
    }

    /// Runs a blocking closure off the worker (for syscalls io_uring lacks: `getdents`, `symlinkat`,
    /// `utimensat`...). In uring mode this is tokio's blocking pool too.
    ///
    /// # Errors
    /// Whatever `f` returns; a panic in `f` becomes an `io::Error`.
    pub async fn blocking<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce() -> io::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        pool::run(f).await
    }
}
