//! The local-disk backend: files under one root directory, reached through the worker's [`Io`] engine.
//!
//! Confinement is the kernel's job: every path is resolved with `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_MAGICLINKS)` relative to the root's descriptor, so `..`, absolute symlinks and relative symlinks
//! that climb out all fail with `EXDEV` ([`ErrorKind::OutsideRoot`]), whatever races happen on disk. Operations
//! that name an entry without opening it (`unlink`, `mkdir`, `rename`, `lstat`, `symlink`, `link`) first open the
//! parent directory confined and then act on one final name relative to it, which the kernel never follows.
//!
//! Atomic uploads write to a hidden temporary name in the target's directory and rename over the target on
//! commit; abort or drop removes it. Listings hide those temporary names.

#![forbid(unsafe_code)]

mod file;
mod list;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use ringway_core::{
    Backend, Capabilities, DirLister, ErrorKind, FileKind, FileReader, FileWriter, Metadata,
    Result, SetAttrs, StatVfs, StorageError, VirtualPath, WriteOptions,
};
use ringway_uring::{Fd, FileStat, Io, OpenHow};

pub use file::{LocalReader, LocalWriter};

/// Prefix of atomic-upload temporary files; such names are hidden from listings.
pub const UPLOAD_TEMP_PREFIX: &str = ".ringway-upload.";

/// A directory tree on local disk.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    io: Io,
    root: Fd,
    root_path: PathBuf,
}

/// The path below the root, without a leading slash (`.` for the root itself).
fn rel(path: &VirtualPath) -> &Path {
    match path.as_str().trim_start_matches('/') {
        "" => Path::new("."),
        r => Path::new(r),
    }
}

fn err(e: std::io::Error, what: &str, path: &VirtualPath) -> StorageError {
    StorageError::from_io(e, format!("{what} {path}"))
}

pub(crate) fn metadata_from(st: &FileStat) -> Metadata {
    let kind = if st.is_dir() {
        FileKind::Dir
    } else if st.is_file() {
        FileKind::File
    } else if st.is_symlink() {
        FileKind::Symlink
    } else {
        FileKind::Other
    };
    let time = |(s, ns): (i64, u32)| {
        u64::try_from(s)
            .ok()
            .map(|s| UNIX_EPOCH + Duration::new(s, ns))
    };
    Metadata {
        kind,
        size: st.size,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        atime: time(st.atime),
        mtime: time(st.mtime),
        nlink: st.nlink,
    }
}

impl LocalBackend {
    /// Opens `root` (creating it and its parents when `create` is set) as the backend's root.
    ///
    /// # Errors
    /// When the root cannot be created or opened, or is not a directory.
    pub async fn open(io: Io, root: &Path, create: bool) -> Result<Self> {
        if create {
            let r = root.to_owned();
            io.blocking(move || std::fs::create_dir_all(&r))
                .await
                .map_err(|e| StorageError::from_io(e, format!("create home {}", root.display())))?;
        }
        let r = root.to_owned();
        let fd = io
            .blocking(move || {
                let f = rustix::fs::open(
                    &r,
                    rustix::fs::OFlags::PATH
                        | rustix::fs::OFlags::DIRECTORY
                        | rustix::fs::OFlags::CLOEXEC,
                    rustix::fs::Mode::empty(),
                )?;
                Ok(Fd::from(f))
            })
            .await
            .map_err(|e| StorageError::from_io(e, format!("open home {}", root.display())))?;
        Ok(Self {
            io,
            root: fd,
            root_path: root.to_owned(),
        })
    }

    /// The root directory on disk.
    #[must_use]
    pub fn root_path(&self) -> &Path {
        &self.root_path
    }

    /// Opens `path` confined beneath the root.
    async fn open_confined(&self, path: &VirtualPath, how: OpenHow, what: &str) -> Result<Fd> {
        self.io
            .open_at(&self.root, rel(path), how)
            .await
            .map_err(|e| err(e, what, path))
    }

    /// Opens the parent directory of `path` confined, returning it and the final name.
    async fn parent_of(&self, path: &VirtualPath, what: &str) -> Result<(Fd, String)> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(StorageError::with_context(
                ErrorKind::PermissionDenied,
                format!("{what} on the root"),
            ));
        };
        let dir = if parent.is_root() {
            self.root.clone()
        } else {
            self.open_confined(&parent, OpenHow::dir_path(), what)
                .await?
        };
        Ok((dir, name.to_owned()))
    }

    pub(crate) fn temp_name() -> String {
        format!("{UPLOAD_TEMP_PREFIX}{:016x}", rand::random::<u64>())
    }

    /// Converts a client symlink target to what is stored on disk: absolute targets (paths from the backend's
    /// root) become relative to the link's directory, so the kernel's confinement can follow them.
    fn stored_target(target: &str, link: &VirtualPath) -> Result<String> {
        if !target.starts_with('/') {
            if target.contains('\0') {
                return Err(ErrorKind::InvalidPath.into());
            }
            return Ok(target.to_owned());
        }
        let target = VirtualPath::parse(target)?;
        let depth = link.parent().map_or(0, |p| p.depth());
        let mut out = "../".repeat(depth);
        out.push_str(target.as_str().trim_start_matches('/'));
        if out.is_empty() {
            out.push('.');
        }
        Ok(out.trim_end_matches('/').to_owned())
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::RANDOM_WRITE
            | Capabilities::APPEND
            | Capabilities::RESUME
            | Capabilities::ATOMIC_RENAME
            | Capabilities::SYMLINK
            | Capabilities::SET_TIMES
            | Capabilities::HARD_LINK
            | Capabilities::CHMOD
            | Capabilities::CHOWN
            | Capabilities::TRUNCATE
            | Capabilities::STATVFS
    }

    async fn stat(&self, path: &VirtualPath) -> Result<Metadata> {
        let fd = self
            .open_confined(
                path,
                OpenHow {
                    flags: libc::O_PATH,
                    mode: 0,
                    resolve: OpenHow::CONFINED,
                },
                "stat",
            )
            .await?;
        let st = self.io.fstat(&fd).await.map_err(|e| err(e, "stat", path))?;
        Ok(metadata_from(&st))
    }

    async fn lstat(&self, path: &VirtualPath) -> Result<Metadata> {
        if path.is_root() {
            let st = self
                .io
                .fstat(&self.root)
                .await
                .map_err(|e| err(e, "lstat", path))?;
            return Ok(metadata_from(&st));
        }
        let (dir, name) = self.parent_of(path, "lstat").await?;
        let st = self
            .io
            .statx(&dir, Path::new(&name), false)
            .await
            .map_err(|e| err(e, "lstat", path))?;
        Ok(metadata_from(&st))
    }

    async fn open_read(&self, path: &VirtualPath) -> Result<Box<dyn FileReader>> {
        let fd = self.open_confined(path, OpenHow::read(), "open").await?;
        let st = self.io.fstat(&fd).await.map_err(|e| err(e, "open", path))?;
        if st.is_dir() {
            return Err(StorageError::with_context(
                ErrorKind::IsADirectory,
                format!("open {path}"),
            ));
        }
        Ok(Box::new(LocalReader::new(
            self.io.clone(),
            fd,
            path.clone(),
        )))
    }

    async fn open_write(
        &self,
        path: &VirtualPath,
        opts: WriteOptions,
    ) -> Result<Box<dyn FileWriter>> {
        file::open_write(self, path, opts).await
    }

    async fn list(&self, path: &VirtualPath) -> Result<Box<dyn DirLister>> {
        let how = OpenHow {
            flags: libc::O_RDONLY | libc::O_DIRECTORY,
            mode: 0,
            resolve: OpenHow::CONFINED,
        };
        let fd = self.open_confined(path, how, "list").await?;
        Ok(Box::new(list::LocalLister::new(
            self.io.clone(),
            fd,
            path.clone(),
        )))
    }

    async fn mkdir(&self, path: &VirtualPath, mode: u32) -> Result<()> {
        let (dir, name) = self.parent_of(path, "mkdir").await?;
        self.io
            .mkdir_at(&dir, Path::new(&name), mode)
            .await
            .map_err(|e| err(e, "mkdir", path))
    }

    async fn remove_file(&self, path: &VirtualPath) -> Result<()> {
        let (dir, name) = self.parent_of(path, "remove").await?;
        self.io
            .unlink_at(&dir, Path::new(&name), false)
            .await
            .map_err(|e| err(e, "remove", path))
    }

    async fn remove_dir(&self, path: &VirtualPath) -> Result<()> {
        let (dir, name) = self.parent_of(path, "rmdir").await?;
        self.io
            .unlink_at(&dir, Path::new(&name), true)
            .await
            .map_err(|e| err(e, "rmdir", path))
    }

    async fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> Result<()> {
        let (fdir, fname) = self.parent_of(from, "rename").await?;
        let (tdir, tname) = self.parent_of(to, "rename").await?;
        self.io
            .rename_at(&fdir, Path::new(&fname), &tdir, Path::new(&tname), 0)
            .await
            .map_err(|e| err(e, "rename", from))
    }

    async fn set_attrs(&self, path: &VirtualPath, attrs: SetAttrs) -> Result<()> {
        // O_NONBLOCK so that a FIFO does not block the open.
        let flags = if attrs.size.is_some() {
            libc::O_WRONLY
        } else {
            libc::O_RDONLY
        } | libc::O_NONBLOCK;
        let fd = self
            .open_confined(
                path,
                OpenHow {
                    flags,
                    mode: 0,
                    resolve: OpenHow::CONFINED,
                },
                "setstat",
            )
            .await?;
        let p = path.clone();
        self.io
            .blocking(move || {
                if let Some(size) = attrs.size {
                    rustix::fs::ftruncate(&fd, size)?;
                }
                if let Some(mode) = attrs.mode {
                    rustix::fs::fchmod(&fd, rustix::fs::Mode::from_bits_retain(mode & 0o7777))?;
                }
                if let Some((uid, gid)) = attrs.owner {
                    rustix::fs::fchown(
                        &fd,
                        Some(rustix::fs::Uid::from_raw(uid)),
                        Some(rustix::fs::Gid::from_raw(gid)),
                    )?;
                }
                if attrs.atime.is_some() || attrs.mtime.is_some() {
                    let ts = |t: Option<SystemTime>| match t
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    {
                        Some(d) => rustix::fs::Timespec {
                            tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                            tv_nsec: i64::from(d.subsec_nanos()),
                        },
                        None => rustix::fs::Timespec {
                            tv_sec: 0,
                            tv_nsec: rustix::fs::UTIME_OMIT,
                        },
                    };
                    rustix::fs::futimens(
                        &fd,
                        &rustix::fs::Timestamps {
                            last_access: ts(attrs.atime),
                            last_modification: ts(attrs.mtime),
                        },
                    )?;
                }
                Ok(())
            })
            .await
            .map_err(|e| err(e, "setstat", &p))
    }

    async fn symlink(&self, target: &str, link: &VirtualPath) -> Result<()> {
        let stored = Self::stored_target(target, link)?;
        let (dir, name) = self.parent_of(link, "symlink").await?;
        self.io
            .blocking(move || {
                rustix::fs::symlinkat(stored.as_str(), &dir, name.as_str()).map_err(Into::into)
            })
            .await
            .map_err(|e| err(e, "symlink", link))
    }

    async fn readlink(&self, path: &VirtualPath) -> Result<String> {
        let (dir, name) = self.parent_of(path, "readlink").await?;
        let raw = self
            .io
            .blocking(move || {
                rustix::fs::readlinkat(&dir, name.as_str(), Vec::new()).map_err(Into::into)
            })
            .await
            .map_err(|e| err(e, "readlink", path))?;
        let raw = raw
            .into_string()
            .map_err(|_| StorageError::new(ErrorKind::InvalidPath))?;
        // Answer with the target as a path from the backend's root. A target that leads out of the root (an
        // absolute path elsewhere on disk, or too many `..`) is refused rather than shown: the client must learn
        // nothing about the server's disk.
        let outside = || {
            StorageError::with_context(
                ErrorKind::OutsideRoot,
                format!("readlink {path}: the link points outside the root"),
            )
        };
        if raw.starts_with('/') {
            let below_root = Path::new(&raw)
                .strip_prefix(&self.root_path)
                .ok()
                .and_then(|r| r.to_str())
                .ok_or_else(outside)?;
            return VirtualPath::root()
                .join(below_root)
                .map(|p| p.to_string())
                .map_err(|_| outside());
        }
        let base = path.parent().unwrap_or_else(VirtualPath::root);
        base.join(&raw)
            .map(|p| p.to_string())
            .map_err(|_| outside())
    }

    async fn hard_link(&self, from: &VirtualPath, to: &VirtualPath) -> Result<()> {
        let (fdir, fname) = self.parent_of(from, "link").await?;
        let (tdir, tname) = self.parent_of(to, "link").await?;
        self.io
            .blocking(move || {
                rustix::fs::linkat(
                    &fdir,
                    fname.as_str(),
                    &tdir,
                    tname.as_str(),
                    rustix::fs::AtFlags::empty(),
                )
                .map_err(Into::into)
            })
            .await
            .map_err(|e| err(e, "link", from))
    }

    async fn statvfs(&self, path: &VirtualPath) -> Result<StatVfs> {
        let root = self.root.clone();
        let st = self
            .io
            .blocking(move || {
                // fstatvfs needs a real descriptor, not an O_PATH one.
                let d = rustix::fs::openat(
                    &root,
                    ".",
                    rustix::fs::OFlags::RDONLY
                        | rustix::fs::OFlags::DIRECTORY
                        | rustix::fs::OFlags::CLOEXEC,
                    rustix::fs::Mode::empty(),
                )?;
                rustix::fs::fstatvfs(&d).map_err(Into::into)
            })
            .await
            .map_err(|e| err(e, "statvfs", path))?;
        Ok(StatVfs {
            block_size: st.f_bsize,
            fragment_size: st.f_frsize,
            blocks: st.f_blocks,
            blocks_free: st.f_bfree,
            blocks_available: st.f_bavail,
            files: st.f_files,
            files_free: st.f_ffree,
            files_available: st.f_favail,
            fsid: st.f_fsid,
            flags: st.f_flag.bits(),
            max_name_len: st.f_namemax,
        })
    }
}

impl LocalBackend {
    pub(crate) fn io(&self) -> &Io {
        &self.io
    }

    pub(crate) async fn parent_dir(&self, path: &VirtualPath) -> Result<(Fd, String)> {
        self.parent_of(path, "upload").await
    }
}
