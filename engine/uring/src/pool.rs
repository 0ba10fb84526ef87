//! The fallback engine: each op is one blocking syscall on tokio's blocking pool.
//!
//! Buffers and fds move into the blocking closure, so a dropped future leaves the syscall running with everything
//! it needs; the closure frees them when it returns.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use bytes::{Bytes, BytesMut};
use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags, ResolveFlags, StatxFlags};

use crate::{Fd, FileStat, OpenHow};

/// Runs `f` on the blocking pool of the current runtime.
pub(crate) async fn run<F, R>(f: F) -> io::Result<R>
where
    F: FnOnce() -> io::Result<R> + Send + 'static,
    R: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(format!("blocking I/O task failed: {e}")))?
}

/// `statx(2)` with raw `AT_*` flags, blocking.
pub(crate) fn statx_flags(
    dir: impl AsFd,
    path: &std::ffi::CStr,
    flags: i32,
) -> io::Result<FileStat> {
    let st = rustix::fs::statx(
        dir,
        path,
        AtFlags::from_bits_retain(flags as u32),
        StatxFlags::BASIC_STATS,
    )?;
    Ok(FileStat::from_rustix(&st))
}

#[derive(Debug)]
pub(crate) struct Pool;

impl Pool {
    pub(crate) const fn new() -> Self {
        Self
    }

    pub(crate) async fn open_at(&self, dir: Fd, path: CString, how: OpenHow) -> io::Result<Fd> {
        run(move || {
            let fd = rustix::fs::openat2(
                &dir,
                path.as_c_str(),
                OFlags::from_bits_retain(how.flags as u32),
                Mode::from_bits_retain(how.mode),
                ResolveFlags::from_bits_retain(how.resolve),
            )?;
            Ok(Fd::from(fd))
        })
        .await
    }

    pub(crate) async fn read_at(
        &self,
        fd: Fd,
        buf: BytesMut,
        offset: u64,
    ) -> (io::Result<usize>, BytesMut) {
        // The buffer travels with the closure; if the join fails the buffer is lost, so hand back a new one.
        let cap = buf.capacity();
        match tokio::task::spawn_blocking(move || {
            let mut buf = buf;
            let res = rustix::io::pread(&fd, buf.spare_capacity_mut(), offset)
                .map(|(init, _)| init.len());
            if let Ok(n) = res {
                // SAFETY: pread initialised exactly `n` bytes of the spare capacity, right after `len`.
                unsafe { buf.set_len(buf.len() + n) };
            }
            (res.map_err(io::Error::from), buf)
        })
        .await
        {
            Ok(out) => out,
            Err(e) => (
                Err(io::Error::other(format!("blocking read failed: {e}"))),
                BytesMut::with_capacity(cap),
            ),
        }
    }

    pub(crate) async fn write_at(
        &self,
        fd: Fd,
        buf: Bytes,
        offset: u64,
    ) -> (io::Result<usize>, Bytes) {
        let keep = buf.clone();
        let res = run(move || rustix::io::pwrite(&fd, &buf, offset).map_err(io::Error::from)).await;
        (res, keep)
    }

    pub(crate) async fn sync(&self, fd: Fd, data_only: bool) -> io::Result<()> {
        run(move || {
            if data_only {
                rustix::fs::fdatasync(&fd)
            } else {
                rustix::fs::fsync(&fd)
            }
            .map_err(io::Error::from)
        })
        .await
    }

    pub(crate) async fn statx(&self, dir: Fd, path: CString, flags: i32) -> io::Result<FileStat> {
        run(move || statx_flags(&dir, path.as_c_str(), flags)).await
    }

    pub(crate) async fn rename_at(
        &self,
        old_dir: Fd,
        old: CString,
        new_dir: Fd,
        new: CString,
        flags: u32,
    ) -> io::Result<()> {
        run(move || {
            rustix::fs::renameat_with(
                &old_dir,
                old.as_c_str(),
                &new_dir,
                new.as_c_str(),
                RenameFlags::from_bits_retain(flags),
            )
            .map_err(io::Error::from)
        })
        .await
    }

    pub(crate) async fn unlink_at(&self, dir: Fd, path: CString, is_dir: bool) -> io::Result<()> {
        run(move || {
            let flags = if is_dir {
                AtFlags::REMOVEDIR
            } else {
                AtFlags::empty()
            };
            rustix::fs::unlinkat(&dir, path.as_c_str(), flags).map_err(io::Error::from)
        })
        .await
    }

    pub(crate) async fn mkdir_at(&self, dir: Fd, path: CString, mode: u32) -> io::Result<()> {
        run(move || {
            rustix::fs::mkdirat(&dir, path.as_c_str(), Mode::from_bits_retain(mode))
                .map_err(io::Error::from)
        })
        .await
    }

    pub(crate) async fn close(&self, fd: OwnedFd) -> io::Result<()> {
        // close(2) on a regular file does not block; doing it inline avoids a thread hop. Its error is reported
        // by the kernel only through the syscall's return, which `OwnedFd`'s drop ignores, so call it directly.
        use std::os::fd::IntoRawFd;
        let raw = fd.into_raw_fd();
        // SAFETY: `raw` came from `into_raw_fd`, so we own it and nobody else will close it.
        let rc = unsafe { libc::close(raw) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}
