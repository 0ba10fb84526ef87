//! Uploads through the VFS: permission checks, the upload mode, and the maximum file size.

use std::sync::Arc;

use bytes::Bytes;
use ringway_core::{
    Capabilities, ErrorKind, FileWriter, Metadata, PermissionSet, Result, StorageError,
    VirtualPath, WriteMode, WriteOptions,
};

use crate::{UsageRecorder, Vfs, size_i64};

/// How uploads reach their final name (`common.upload_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// Write the target in place (0): an interrupted upload leaves a partial file.
    Direct,
    /// Write a temporary file and rename it over the target on success (1); resume is refused.
    Atomic,
    /// As [`UploadMode::Atomic`], and resume moves the partial file aside while it grows (2).
    AtomicWithResume,
}

impl UploadMode {
    /// From the configuration's numeric value.
    #[must_use]
    pub const fn from_config(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::Direct),
            1 => Some(Self::Atomic),
            2 => Some(Self::AtomicWithResume),
            _ => None,
        }
    }
}

/// What a protocol asks for when a client starts an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadRequest {
    /// Create/replace, create-new, append or resume.
    pub mode: WriteMode,
    /// Permission bits for a new file.
    pub create_mode: u32,
}

impl Default for UploadRequest {
    fn default() -> Self {
        Self {
            mode: WriteMode::Truncate,
            create_mode: 0o644,
        }
    }
}

/// An upload in progress. Dropping it without [`Upload::commit`] aborts it.
#[derive(Debug)]
pub struct Upload {
    writer: Box<dyn FileWriter>,
    max_size: u64,
    path: VirtualPath,
    /// Bytes the file held when the upload started (append and resume keep them).
    pub initial_size: u64,
    /// Usage accounting: the recorder, the mount, the size of the file this upload replaces (`None`: a new
    /// file), and whether the data goes to a temporary file first.
    usage: Option<Arc<dyn UsageRecorder>>,
    mount: VirtualPath,
    replaced: Option<u64>,
    atomic: bool,
}

impl Upload {
    /// Writes all of `buf` at `offset`.
    ///
    /// # Errors
    /// `QuotaExceeded` past the user's maximum upload size, or a backend error.
    pub async fn write_at(&self, buf: Bytes, offset: u64) -> (Result<()>, Bytes) {
        if self.max_size > 0 && offset.saturating_add(buf.len() as u64) > self.max_size {
            let e = StorageError::with_context(
                ErrorKind::QuotaExceeded,
                format!("upload {} over the size limit", self.path),
            );
            return (Err(e), buf);
        }
        self.writer.write_at(buf, offset).await
    }

    /// Flushes to stable storage.
    ///
    /// # Errors
    /// A backend error.
    pub async fn sync(&self) -> Result<()> {
        self.writer.sync().await
    }

    /// Attributes of the file being written.
    ///
    /// # Errors
    /// A backend error.
    pub async fn metadata(&self) -> Result<Metadata> {
        self.writer.metadata().await
    }

    /// Makes the upload visible under its name.
    ///
    /// # Errors
    /// A backend error; the target is then left as it was.
    pub async fn commit(self) -> Result<()> {
        let delta = match &self.usage {
            Some(_) => self
                .writer
                .metadata()
                .await
                .ok()
                .map(|md| self.delta(md.size)),
            None => None,
        };
        self.writer.commit().await?;
        if let (Some(u), Some((size, files))) = (&self.usage, delta) {
            u.record(&self.mount, size, files);
        }
        Ok(())
    }

    /// Abandons the upload. In direct mode what was written stays (and counts); otherwise the target is as it
    /// was.
    ///
    /// # Errors
    /// When cleaning up fails.
    pub async fn abort(self) -> Result<()> {
        let delta = match &self.usage {
            Some(_) if !self.atomic => self
                .writer
                .metadata()
                .await
                .ok()
                .map(|md| self.delta(md.size)),
            _ => None,
        };
        self.writer.abort().await?;
        if let (Some(u), Some((size, files))) = (&self.usage, delta) {
            u.record(&self.mount, size, files);
        }
        Ok(())
    }

    /// The change in bytes and files once the file holds `size` bytes, against what it replaced.
    fn delta(&self, size: u64) -> (i64, i64) {
        (
            size_i64(size) - self.replaced.map_or(0, size_i64),
            i64::from(self.replaced.is_none()),
        )
    }
}

pub(crate) async fn open(vfs: &Vfs, path: &VirtualPath, req: UploadRequest) -> Result<Upload> {
    vfs.check_patterns(path, false, "upload")?;
    let r = vfs.resolve(path);
    let backend = &r.mount.backend;
    let caps = backend.capabilities();
    let existing = match backend.lstat(&r.inner).await {
        Ok(md) => Some(md),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut need = PermissionSet::UPLOAD;
    if existing.is_some() {
        if req.mode == WriteMode::CreateNew {
            return Err(StorageError::with_context(
                ErrorKind::AlreadyExists,
                format!("upload {path}"),
            ));
        }
        need |= PermissionSet::OVERWRITE;
    }
    vfs.check_parent_perm(path, need, "upload")?;
    if existing.as_ref().is_some_and(Metadata::is_dir) {
        return Err(StorageError::with_context(
            ErrorKind::IsADirectory,
            format!("upload {path}"),
        ));
    }

    let resuming = matches!(req.mode, WriteMode::Append | WriteMode::ResumeAt(_));
    let mode = vfs.options().upload_mode;
    if resuming {
        let cap = if req.mode == WriteMode::Append {
            Capabilities::APPEND
        } else {
            Capabilities::RESUME
        };
        if !caps.contains(cap) || mode == UploadMode::Atomic {
            return Err(StorageError::with_context(
                ErrorKind::Unsupported,
                format!("resume {path}"),
            ));
        }
    }
    let atomic = mode != UploadMode::Direct && caps.contains(Capabilities::ATOMIC_RENAME);
    let initial_size = match (req.mode, &existing) {
        (WriteMode::Append, Some(md)) => md.size,
        // A missing file has nothing to keep: any offset past 0 is past its end.
        (WriteMode::ResumeAt(off), _) => {
            if off > existing.as_ref().map_or(0, |md| md.size) {
                return Err(StorageError::with_context(
                    ErrorKind::InvalidInput,
                    format!("resume {path} past its end"),
                ));
            }
            off
        }
        _ => 0,
    };
    let max_size = vfs.user().max_upload_file_size;
    if max_size > 0 && initial_size > max_size {
        return Err(StorageError::with_context(
            ErrorKind::QuotaExceeded,
            format!("upload {path} over the size limit"),
        ));
    }
    let opts = WriteOptions {
        mode: req.mode,
        atomic,
        create_mode: req.create_mode,
    };
    let writer = backend.open_write(&r.inner, opts).await?;
    Ok(Upload {
        writer,
        max_size,
        path: path.clone(),
        initial_size,
        usage: vfs.recorder(),
        mount: r.mount.path.clone(),
        replaced: existing
            .as_ref()
            .filter(|md| md.is_file())
            .map(|md| md.size),
        atomic,
    })
}
