//! The VFS: the only storage API protocols call.
//!
//! A [`Vfs`] is one user's view of storage. It maps a client's [`VirtualPath`] to a (backend, inner path) pair
//! through the user's mounts (the home at `/`, virtual folders below it; the deepest mount containing the path
//! wins, so resolution never assumes one backend per user), then applies the user's policy before the backend
//! sees the request:
//!
//! - permissions, checked the way the reference product does: operations on an entry need the permission on the
//!   directory that contains it (upload, download, delete, rename, mkdir, chmod...), listing needs `list` on the
//!   directory itself;
//! - name patterns: a denied name is refused (`PermissionDenied`) or, with the hidden policy, reported as
//!   missing (`NotFound`) and left out of listings;
//! - the upload mode (direct, atomic, atomic with resume) and the maximum upload size.
//!
//! Every refusal is a typed [`StorageError`]; protocols map its kind to their wire codes.
#![forbid(unsafe_code)]

mod listing;
mod upload;

use std::sync::Arc;

use ringway_core::{
    Backend, ErrorKind, FileReader, Metadata, PatternDecision, PermissionSet, Result, SetAttrs,
    StatVfs, StorageError, UserView, VirtualPath,
};

pub use listing::VfsLister;
pub use upload::{Upload, UploadMode, UploadRequest};

/// A backend mounted at a virtual path.
#[derive(Debug, Clone)]
pub struct Mount {
    /// Where the backend's root appears in the user's tree.
    pub path: VirtualPath,
    /// The storage behind it.
    pub backend: Arc<dyn Backend>,
}

/// Settings that come from the server configuration rather than the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VfsOptions {
    /// How uploads reach their final name.
    pub upload_mode: UploadMode,
}

impl Default for VfsOptions {
    fn default() -> Self {
        Self {
            upload_mode: UploadMode::Atomic,
        }
    }
}

/// Where a VFS reports what changes the bytes and files stored under a mount (quota usage): committed and
/// interrupted direct-mode uploads, removed files, files replaced by a rename, hard links. Called once per
/// finished operation, never per packet.
pub trait UsageRecorder: Send + Sync + std::fmt::Debug {
    /// `size` bytes and `files` files were added (negative: removed) under the mount at `mount`.
    fn record(&self, mount: &VirtualPath, size: i64, files: i64);
}

/// A path resolved to its backend.
#[derive(Debug)]
pub struct Resolved<'a> {
    /// The mount that holds the path.
    pub mount: &'a Mount,
    /// The path relative to the mount's backend root.
    pub inner: VirtualPath,
}

/// One user's view of storage.
#[derive(Debug, Clone)]
pub struct Vfs {
    user: Arc<UserView>,
    /// Deepest first, so the first mount that contains a path is the right one.
    mounts: Vec<Mount>,
    options: VfsOptions,
    usage: Option<Arc<dyn UsageRecorder>>,
}

/// A file size as a signed quota delta.
pub(crate) fn size_i64(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

fn denied(what: &str, path: &VirtualPath) -> StorageError {
    StorageError::with_context(ErrorKind::PermissionDenied, format!("{what} {path}"))
}

impl Vfs {
    /// Builds a view from the user and their mounts; one mount must be at `/`.
    ///
    /// # Errors
    /// `InvalidInput` without a root mount or with two mounts at one path.
    pub fn new(user: Arc<UserView>, mounts: Vec<Mount>, options: VfsOptions) -> Result<Self> {
        let mut mounts = mounts;
        mounts.sort_by_key(|m| std::cmp::Reverse(m.path.depth()));
        if !mounts.iter().any(|m| m.path.is_root()) {
            return Err(StorageError::with_context(
                ErrorKind::InvalidInput,
                "no storage mounted at /",
            ));
        }
        for (i, a) in mounts.iter().enumerate() {
            if mounts[i + 1..].iter().any(|b| b.path == a.path) {
                return Err(StorageError::with_context(
                    ErrorKind::InvalidInput,
                    format!("two mounts at {}", a.path),
                ));
            }
        }
        Ok(Self {
            user,
            mounts,
            options,
            usage: None,
        })
    }

    /// Reports usage changes to `recorder` from now on.
    #[must_use]
    pub fn with_usage(mut self, recorder: Arc<dyn UsageRecorder>) -> Self {
        self.usage = Some(recorder);
        self
    }

    /// Reports a usage change under `mount`, when a recorder is set.
    pub(crate) fn record(&self, mount: &VirtualPath, size: i64, files: i64) {
        if let Some(u) = &self.usage
            && (size != 0 || files != 0)
        {
            u.record(mount, size, files);
        }
    }

    pub(crate) fn recorder(&self) -> Option<Arc<dyn UsageRecorder>> {
        self.usage.clone()
    }

    /// The user this view belongs to.
    #[must_use]
    pub fn user(&self) -> &UserView {
        &self.user
    }

    /// The server-side options.
    #[must_use]
    pub fn options(&self) -> VfsOptions {
        self.options
    }

    /// Finds the mount holding `path` and the path inside it.
    #[must_use]
    pub fn resolve(&self, path: &VirtualPath) -> Resolved<'_> {
        let mount = self
            .mounts
            .iter()
            .find(|m| path.starts_with(&m.path))
            .unwrap_or_else(|| {
                self.mounts
                    .last()
                    .expect("a root mount exists (checked in new)")
            });
        let inner = path
            .strip_prefix(&mount.path)
            .map_or_else(VirtualPath::root, |rest| {
                VirtualPath::parse(rest).unwrap_or_else(|_| VirtualPath::root())
            });
        Resolved { mount, inner }
    }

    /// True when `path` is exactly a mount point (which cannot be removed or renamed).
    #[must_use]
    pub fn is_mount_point(&self, path: &VirtualPath) -> bool {
        self.mounts.iter().any(|m| &m.path == path)
    }

    pub(crate) fn mounts(&self) -> &[Mount] {
        &self.mounts
    }

    /// True when a mount point is at `path` or below it: such a directory cannot be removed or renamed (the
    /// mount would stay behind, out of every listing, and the home's shadowed entries would surface).
    fn holds_mount(&self, path: &VirtualPath) -> bool {
        self.mounts.iter().any(|m| m.path.starts_with(path))
    }

    /// Applies the name patterns to `path`.
    fn check_patterns(&self, path: &VirtualPath, is_dir: bool, what: &str) -> Result<()> {
        match self.user.patterns.decide(path, is_dir) {
            PatternDecision::Allowed => Ok(()),
            PatternDecision::Denied(ringway_core::DenyPolicy::Hidden) => Err(
                StorageError::with_context(ErrorKind::NotFound, format!("{what} {path}")),
            ),
            PatternDecision::Denied(ringway_core::DenyPolicy::Visible) => Err(denied(what, path)),
        }
    }

    /// Checks that `perm` is granted on the directory containing `path` (on `/` for the root itself).
    fn check_parent_perm(&self, path: &VirtualPath, perm: PermissionSet, what: &str) -> Result<()> {
        let dir = path.parent().unwrap_or_else(VirtualPath::root);
        if self.user.permissions.has(&dir, perm) {
            Ok(())
        } else {
            Err(denied(what, path))
        }
    }

    /// Attributes of `path`, following a final symlink. Needs `list` on the containing directory.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound`, `OutsideRoot` or a backend error.
    pub async fn stat(&self, path: &VirtualPath) -> Result<Metadata> {
        self.check_patterns(path, true, "stat")?;
        self.check_parent_perm(path, PermissionSet::LIST, "stat")?;
        let r = self.resolve(path);
        let md = r.mount.backend.stat(&r.inner).await?;
        if !md.is_dir() {
            self.check_patterns(path, false, "stat")?;
        }
        Ok(md)
    }

    /// Attributes of `path` itself. Needs `list` on the containing directory.
    ///
    /// # Errors
    /// As [`Vfs::stat`].
    pub async fn lstat(&self, path: &VirtualPath) -> Result<Metadata> {
        self.check_patterns(path, true, "lstat")?;
        self.check_parent_perm(path, PermissionSet::LIST, "lstat")?;
        let r = self.resolve(path);
        let md = r.mount.backend.lstat(&r.inner).await?;
        if !md.is_dir() {
            self.check_patterns(path, false, "lstat")?;
        }
        Ok(md)
    }

    /// Lists a directory. Needs `list` on it; hidden names and temporary uploads are left out, mount points
    /// directly below it are shown as directories.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound`, `NotADirectory` or a backend error.
    pub async fn list(&self, path: &VirtualPath) -> Result<VfsLister> {
        self.check_patterns(path, true, "list")?;
        if !self.user.permissions.has(path, PermissionSet::LIST) {
            return Err(denied("list", path));
        }
        let r = self.resolve(path);
        let inner = r.mount.backend.list(&r.inner).await?;
        Ok(VfsLister::new(self.clone(), path.clone(), inner).await)
    }

    /// Opens a file for download. Needs `download` on the containing directory.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound`, `IsADirectory`, `OutsideRoot` or a backend error.
    pub async fn open_read(&self, path: &VirtualPath) -> Result<Box<dyn FileReader>> {
        self.check_patterns(path, false, "download")?;
        self.check_parent_perm(path, PermissionSet::DOWNLOAD, "download")?;
        let r = self.resolve(path);
        r.mount.backend.open_read(&r.inner).await
    }

    /// Opens a file for upload; see [`UploadRequest`] for the permissions it needs.
    ///
    /// # Errors
    /// `PermissionDenied`, `QuotaExceeded` (upload size), `Unsupported` (resume without support) or a backend
    /// error.
    pub async fn open_write(&self, path: &VirtualPath, req: UploadRequest) -> Result<Upload> {
        upload::open(self, path, req).await
    }

    /// Creates a directory. Needs `create_dirs` on the parent.
    ///
    /// # Errors
    /// `PermissionDenied`, `AlreadyExists` or a backend error.
    pub async fn mkdir(&self, path: &VirtualPath, mode: u32) -> Result<()> {
        self.check_patterns(path, true, "mkdir")?;
        self.check_parent_perm(path, PermissionSet::CREATE_DIRS, "mkdir")?;
        if self.is_mount_point(path) {
            return Err(StorageError::with_context(
                ErrorKind::AlreadyExists,
                format!("mkdir {path}"),
            ));
        }
        let r = self.resolve(path);
        r.mount.backend.mkdir(&r.inner, mode).await
    }

    /// Removes a file or symlink. Needs `delete_files` on the parent.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound`, `IsADirectory` or a backend error.
    pub async fn remove_file(&self, path: &VirtualPath) -> Result<()> {
        self.check_patterns(path, false, "remove")?;
        self.check_parent_perm(path, PermissionSet::DELETE_FILES, "remove")?;
        let r = self.resolve(path);
        let before = r.mount.backend.lstat(&r.inner).await.ok();
        r.mount.backend.remove_file(&r.inner).await?;
        if let Some(md) = before.filter(Metadata::is_file) {
            self.record(&r.mount.path, -size_i64(md.size), -1);
        }
        Ok(())
    }

    /// Removes an empty directory. Needs `delete_dirs` on the parent; mount points and directories holding one
    /// cannot be removed.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound`, `DirectoryNotEmpty` or a backend error.
    pub async fn remove_dir(&self, path: &VirtualPath) -> Result<()> {
        self.check_patterns(path, true, "rmdir")?;
        self.check_parent_perm(path, PermissionSet::DELETE_DIRS, "rmdir")?;
        if path.is_root() || self.holds_mount(path) {
            return Err(denied("rmdir", path));
        }
        let r = self.resolve(path);
        r.mount.backend.remove_dir(&r.inner).await
    }

    /// Renames within one mount. Needs `rename_files` or `rename_dirs` (by the source's type) on both parents,
    /// and `overwrite` on the target's parent when the target exists. Mount points and directories holding one
    /// cannot be renamed.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound`, `Unsupported` across mounts, or a backend error.
    pub async fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> Result<()> {
        if from.is_root() || to.is_root() || self.holds_mount(from) || self.is_mount_point(to) {
            return Err(denied("rename", from));
        }
        let src = self.resolve(from);
        let dst = self.resolve(to);
        if !std::ptr::eq(src.mount, dst.mount) {
            return Err(StorageError::with_context(
                ErrorKind::Unsupported,
                format!("rename {from} across mounts"),
            ));
        }
        let md = src.mount.backend.lstat(&src.inner).await?;
        let is_dir = md.is_dir();
        self.check_patterns(from, is_dir, "rename")?;
        self.check_patterns(to, is_dir, "rename")?;
        let perm = if is_dir {
            PermissionSet::RENAME_DIRS
        } else {
            PermissionSet::RENAME_FILES
        };
        self.check_parent_perm(from, perm, "rename")?;
        self.check_parent_perm(to, perm, "rename")?;
        let replaced = dst.mount.backend.lstat(&dst.inner).await.ok();
        if replaced.is_some() {
            self.check_parent_perm(to, PermissionSet::OVERWRITE, "rename")?;
        }
        src.mount.backend.rename(&src.inner, &dst.inner).await?;
        // Renaming a file onto itself replaces nothing.
        if let Some(old) = replaced.filter(|md| md.is_file() && src.inner != dst.inner) {
            self.record(&dst.mount.path, -size_i64(old.size), -1);
        }
        Ok(())
    }

    /// Changes attributes. Needs `chmod`, `chown`, `chtimes` and, to change the size, `overwrite` on the parent.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound`, `Unsupported` or a backend error.
    pub async fn set_attrs(&self, path: &VirtualPath, attrs: SetAttrs) -> Result<()> {
        self.check_patterns(path, true, "setstat")?;
        let mut need = PermissionSet::empty();
        if attrs.mode.is_some() {
            need |= PermissionSet::CHMOD;
        }
        if attrs.owner.is_some() {
            need |= PermissionSet::CHOWN;
        }
        if attrs.atime.is_some() || attrs.mtime.is_some() {
            need |= PermissionSet::CHTIMES;
        }
        if attrs.size.is_some() {
            need |= PermissionSet::OVERWRITE;
        }
        self.check_parent_perm(path, need, "setstat")?;
        let r = self.resolve(path);
        // Checked as a directory above; a file must also pass the file rules (allow-lists name files).
        if !self.user.patterns.is_empty() && !r.mount.backend.stat(&r.inner).await?.is_dir() {
            self.check_patterns(path, false, "setstat")?;
        }
        r.mount.backend.set_attrs(&r.inner, attrs).await
    }

    /// Creates a symlink at `link` pointing to `target` (a virtual path, absolute or relative to the link's
    /// directory). Needs `create_symlinks` on the link's parent; the target must resolve inside the same mount.
    ///
    /// # Errors
    /// `PermissionDenied`, `OutsideRoot` for a target outside the link's mount, `Unsupported` or a backend error.
    pub async fn symlink(&self, target: &str, link: &VirtualPath) -> Result<()> {
        self.check_patterns(link, false, "symlink")?;
        self.check_parent_perm(link, PermissionSet::CREATE_SYMLINKS, "symlink")?;
        let base = link.parent().unwrap_or_else(VirtualPath::root);
        let target_path = base.join(target)?;
        let l = self.resolve(link);
        let t = self.resolve(&target_path);
        if !std::ptr::eq(l.mount, t.mount) {
            return Err(StorageError::with_context(
                ErrorKind::OutsideRoot,
                format!("symlink {link} across mounts"),
            ));
        }
        l.mount.backend.symlink(t.inner.as_str(), &l.inner).await
    }

    /// Reads a symlink; the result is a virtual path when the link points inside its mount.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound`, `InvalidInput` when not a link, or a backend error.
    pub async fn readlink(&self, path: &VirtualPath) -> Result<String> {
        self.check_patterns(path, false, "readlink")?;
        self.check_parent_perm(path, PermissionSet::LIST, "readlink")?;
        let r = self.resolve(path);
        let raw = r.mount.backend.readlink(&r.inner).await?;
        if raw.starts_with('/')
            && !r.mount.path.is_root()
            && let Ok(p) = r.mount.path.join(raw.trim_start_matches('/'))
        {
            return Ok(p.to_string());
        }
        Ok(raw)
    }

    /// Creates a hard link `to` of the file `from`, within one mount. Needs `create_symlinks` on the new link's
    /// parent (as the reference product) and `download` on the source's parent.
    ///
    /// # Errors
    /// `PermissionDenied`, `Unsupported` across mounts, or a backend error.
    pub async fn hard_link(&self, from: &VirtualPath, to: &VirtualPath) -> Result<()> {
        self.check_patterns(from, false, "link")?;
        self.check_patterns(to, false, "link")?;
        self.check_parent_perm(to, PermissionSet::CREATE_SYMLINKS, "link")?;
        self.check_parent_perm(from, PermissionSet::DOWNLOAD, "link")?;
        let src = self.resolve(from);
        let dst = self.resolve(to);
        if !std::ptr::eq(src.mount, dst.mount) {
            return Err(StorageError::with_context(
                ErrorKind::Unsupported,
                format!("link {from} across mounts"),
            ));
        }
        src.mount.backend.hard_link(&src.inner, &dst.inner).await?;
        // A quota scan counts each name, so a new link adds a file of the source's size.
        if let Ok(md) = src.mount.backend.lstat(&src.inner).await
            && md.is_file()
        {
            self.record(&dst.mount.path, size_i64(md.size), 1);
        }
        Ok(())
    }

    /// File-system statistics for the storage holding `path`.
    ///
    /// # Errors
    /// `Unsupported` or a backend error.
    pub async fn statvfs(&self, path: &VirtualPath) -> Result<StatVfs> {
        let r = self.resolve(path);
        r.mount.backend.statvfs(&r.inner).await
    }
}
