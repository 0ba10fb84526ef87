//! Open files: readers, and writers with atomic commit/abort.

use std::path::Path;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use ringway_core::{
    ErrorKind, FileReader, FileWriter, Metadata, Result, StorageError, VirtualPath, WriteMode,
    WriteOptions,
};
use ringway_uring::{Fd, Io, OpenHow, rename_flags};

use crate::{LocalBackend, metadata_from};

/// A file open for reading.
#[derive(Debug)]
pub struct LocalReader {
    io: Io,
    fd: Fd,
    path: VirtualPath,
}

impl LocalReader {
    pub(crate) fn new(io: Io, fd: Fd, path: VirtualPath) -> Self {
        Self { io, fd, path }
    }
}

#[async_trait]
impl FileReader for LocalReader {
    async fn read_at(&self, buf: BytesMut, offset: u64) -> (Result<usize>, BytesMut) {
        let (res, buf) = self.io.read_at(&self.fd, buf, offset).await;
        (
            res.map_err(|e| StorageError::from_io(e, format!("read {}", self.path))),
            buf,
        )
    }

    async fn metadata(&self) -> Result<Metadata> {
        let st = self
            .io
            .fstat(&self.fd)
            .await
            .map_err(|e| StorageError::from_io(e, format!("stat {}", self.path)))?;
        Ok(metadata_from(&st))
    }

    async fn close(self: Box<Self>) -> Result<()> {
        let Self { io, fd, path } = *self;
        io.close(fd)
            .await
            .map_err(|e| StorageError::from_io(e, format!("close {path}")))
    }
}

/// How an atomic upload finishes.
#[derive(Debug)]
struct Atomic {
    /// The hidden name being written.
    temp: String,
    /// The name it becomes on commit.
    target: String,
    /// Commit must not replace an existing target ([`WriteMode::CreateNew`]).
    no_replace: bool,
    /// The temporary file is the previous target moved aside (append or resume): an abort moves it back.
    moved_aside: bool,
}

/// A file open for writing. Dropped without [`FileWriter::commit`], it aborts.
#[derive(Debug)]
pub struct LocalWriter {
    io: Io,
    fd: Option<Fd>,
    dir: Fd,
    path: VirtualPath,
    atomic: Option<Atomic>,
}

fn flags_for(mode: WriteMode) -> i32 {
    libc::O_WRONLY
        | libc::O_CREAT
        | match mode {
            WriteMode::Truncate => libc::O_TRUNC,
            WriteMode::CreateNew => libc::O_EXCL,
            WriteMode::Append | WriteMode::ResumeAt(_) => 0,
        }
}

async fn truncate(io: &Io, fd: &Fd, size: u64) -> std::io::Result<()> {
    let fd = fd.clone();
    io.blocking(move || rustix::fs::ftruncate(&fd, size).map_err(Into::into))
        .await
}

pub(crate) async fn open_write(
    backend: &LocalBackend,
    path: &VirtualPath,
    opts: WriteOptions,
) -> Result<Box<dyn FileWriter>> {
    let io = backend.io();
    let (dir, name) = backend.parent_dir(path).await?;
    let ctx = |e: std::io::Error| StorageError::from_io(e, format!("upload {path}"));
    // Refuse directories up front: an atomic upload would otherwise only fail at commit.
    match io.statx(&dir, Path::new(&name), false).await {
        Ok(st) if st.is_dir() => {
            return Err(StorageError::with_context(
                ErrorKind::IsADirectory,
                format!("upload {path}"),
            ));
        }
        Ok(_) if opts.mode == WriteMode::CreateNew => {
            return Err(StorageError::with_context(
                ErrorKind::AlreadyExists,
                format!("upload {path}"),
            ));
        }
        // An atomic upload acts on the name itself and never follows the link, so check where the link leads
        // like every other operation that follows it: out of the root is refused, a directory too.
        Ok(st) if st.is_symlink() && opts.atomic => {
            let how = OpenHow {
                flags: libc::O_PATH,
                mode: 0,
                resolve: OpenHow::CONFINED,
            };
            match backend.open_confined(path, how, "upload").await {
                Ok(fd) => {
                    if io.fstat(&fd).await.map_err(ctx)?.is_dir() {
                        return Err(StorageError::with_context(
                            ErrorKind::IsADirectory,
                            format!("upload {path}"),
                        ));
                    }
                }
                // A dangling link inside the root: the upload replaces it.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        _ => {}
    }
    if !opts.atomic {
        // Resolved from the root, not from the parent: a link may climb above its own directory and stay inside.
        let how = OpenHow {
            flags: flags_for(opts.mode),
            mode: opts.create_mode,
            resolve: OpenHow::CONFINED,
        };
        let fd = backend.open_confined(path, how, "upload").await?;
        if let WriteMode::ResumeAt(offset) = opts.mode {
            truncate(io, &fd, offset).await.map_err(ctx)?;
        }
        return Ok(Box::new(LocalWriter {
            io: io.clone(),
            fd: Some(fd),
            dir,
            path: path.clone(),
            atomic: None,
        }));
    }

    let temp = LocalBackend::temp_name();
    let mut atomic = Atomic {
        temp,
        target: name,
        no_replace: opts.mode == WriteMode::CreateNew,
        moved_aside: false,
    };
    let fd = match opts.mode {
        WriteMode::Truncate | WriteMode::CreateNew => {
            let how = OpenHow {
                flags: flags_for(WriteMode::CreateNew),
                mode: opts.create_mode,
                resolve: OpenHow::CONFINED,
            };
            io.open_at(&dir, Path::new(&atomic.temp), how)
                .await
                .map_err(ctx)?
        }
        WriteMode::Append | WriteMode::ResumeAt(_) => {
            // Move the existing file aside, keep writing it under the hidden name, move it back when done. A
            // missing target is a fresh upload.
            match io
                .rename_at(
                    &dir,
                    Path::new(&atomic.target),
                    &dir,
                    Path::new(&atomic.temp),
                    rename_flags::NOREPLACE,
                )
                .await
            {
                Ok(()) => atomic.moved_aside = true,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                Err(e) => return Err(ctx(e)),
            }
            let how = OpenHow {
                flags: flags_for(WriteMode::Append),
                mode: opts.create_mode,
                resolve: OpenHow::CONFINED,
            };
            let opened = io.open_at(&dir, Path::new(&atomic.temp), how).await;
            let fd = match opened {
                Ok(fd) => fd,
                Err(e) => {
                    cleanup(io, &dir, &atomic).await;
                    return Err(ctx(e));
                }
            };
            if let WriteMode::ResumeAt(offset) = opts.mode
                && let Err(e) = truncate(io, &fd, offset).await
            {
                drop(fd);
                cleanup(io, &dir, &atomic).await;
                return Err(ctx(e));
            }
            fd
        }
    };
    Ok(Box::new(LocalWriter {
        io: io.clone(),
        fd: Some(fd),
        dir,
        path: path.clone(),
        atomic: Some(atomic),
    }))
}

/// Undoes an unfinished atomic upload: removes the temporary file, or moves a file set aside back in place.
async fn cleanup(io: &Io, dir: &Fd, atomic: &Atomic) {
    let res = if atomic.moved_aside {
        io.rename_at(
            dir,
            Path::new(&atomic.temp),
            dir,
            Path::new(&atomic.target),
            0,
        )
        .await
    } else {
        io.unlink_at(dir, Path::new(&atomic.temp), false).await
    };
    if let Err(e) = res
        && e.raw_os_error() != Some(libc::ENOENT)
    {
        tracing::warn!(cause = %e, temp = %atomic.temp, "could not clean up an aborted upload");
    }
}

impl LocalWriter {
    fn fd(&self) -> Result<&Fd> {
        self.fd
            .as_ref()
            .ok_or_else(|| StorageError::new(ErrorKind::Aborted))
    }

    fn ctx(&self, what: &str) -> impl Fn(std::io::Error) -> StorageError + '_ {
        let what = what.to_owned();
        move |e| StorageError::from_io(e, format!("{what} {}", self.path))
    }
}

#[async_trait]
impl FileWriter for LocalWriter {
    async fn write_at(&self, buf: Bytes, offset: u64) -> (Result<()>, Bytes) {
        let fd = match self.fd() {
            Ok(fd) => fd,
            Err(e) => return (Err(e), buf),
        };
        let (res, buf) = self.io.write_all_at(fd, buf, offset).await;
        (res.map_err(self.ctx("write")), buf)
    }

    async fn sync(&self) -> Result<()> {
        self.io
            .sync(self.fd()?, false)
            .await
            .map_err(self.ctx("fsync"))
    }

    async fn metadata(&self) -> Result<Metadata> {
        let st = self.io.fstat(self.fd()?).await.map_err(self.ctx("stat"))?;
        Ok(metadata_from(&st))
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        let fd = self
            .fd
            .take()
            .ok_or_else(|| StorageError::new(ErrorKind::Aborted))?;
        let closed = self.io.close(fd).await;
        let Some(atomic) = self.atomic.take() else {
            return closed.map_err(self.ctx("close"));
        };
        if let Err(e) = closed {
            cleanup(&self.io, &self.dir, &atomic).await;
            return Err(self.ctx("close")(e));
        }
        let flags = if atomic.no_replace {
            rename_flags::NOREPLACE
        } else {
            0
        };
        let renamed = self
            .io
            .rename_at(
                &self.dir,
                Path::new(&atomic.temp),
                &self.dir,
                Path::new(&atomic.target),
                flags,
            )
            .await;
        if let Err(e) = renamed {
            cleanup(&self.io, &self.dir, &atomic).await;
            return Err(self.ctx("commit")(e));
        }
        Ok(())
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        if let Some(fd) = self.fd.take() {
            drop(self.io.close(fd).await);
        }
        if let Some(atomic) = self.atomic.take() {
            cleanup(&self.io, &self.dir, &atomic).await;
        }
        Ok(())
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        let Some(atomic) = self.atomic.take() else {
            return;
        };
        // Dropped without commit or abort (a connection died mid-upload): clean up off the worker thread.
        let dir = self.dir.clone();
        drop(self.fd.take());
        let work = move || {
            let res = if atomic.moved_aside {
                rustix::fs::renameat(&dir, atomic.temp.as_str(), &dir, atomic.target.as_str())
            } else {
                rustix::fs::unlinkat(&dir, atomic.temp.as_str(), rustix::fs::AtFlags::empty())
            };
            if let Err(e) = res
                && e != rustix::io::Errno::NOENT
            {
                tracing::warn!(cause = %e, temp = %atomic.temp, "could not clean up an abandoned upload");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(work)),
            Err(_) => work(),
        }
    }
}
