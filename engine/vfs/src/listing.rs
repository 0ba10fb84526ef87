//! Directory listings as the user may see them.

use ringway_core::{DirEntry, DirLister, Result, VirtualPath};

use crate::Vfs;

/// A listing filtered by the user's patterns, with mount points below the directory added as entries.
#[derive(Debug)]
pub struct VfsLister {
    vfs: Vfs,
    dir: VirtualPath,
    inner: Box<dyn DirLister>,
    /// Mount points directly below `dir`, reported before the backend's own entries.
    mounts: Vec<DirEntry>,
}

impl VfsLister {
    pub(crate) async fn new(vfs: Vfs, dir: VirtualPath, inner: Box<dyn DirLister>) -> Self {
        let mut mounts = Vec::new();
        for m in vfs.mounts() {
            if m.path.parent().as_ref() == Some(&dir)
                && let Some(name) = m.path.file_name()
                && let Ok(metadata) = m.backend.stat(&VirtualPath::root()).await
            {
                mounts.push(DirEntry {
                    name: name.to_owned(),
                    metadata,
                });
            }
        }
        Self {
            vfs,
            dir,
            inner,
            mounts,
        }
    }

    /// Up to `limit` more entries; an empty page ends the listing.
    ///
    /// # Errors
    /// A backend error.
    pub async fn next_page(&mut self, limit: usize) -> Result<Vec<DirEntry>> {
        let mut page: Vec<DirEntry> = Vec::new();
        if !self.mounts.is_empty() {
            page.append(&mut self.mounts);
        }
        let patterns = &self.vfs.user().patterns;
        loop {
            let batch = self.inner.next_page(limit).await?;
            if batch.is_empty() {
                return Ok(page);
            }
            let shadowed = |name: &str| self.vfs.is_mount_point_name(&self.dir, name);
            page.extend(batch.into_iter().filter(|e| {
                patterns.is_listed(&self.dir, &e.name, e.metadata.is_dir()) && !shadowed(&e.name)
            }));
            if !page.is_empty() {
                return Ok(page);
            }
        }
    }
}

impl Vfs {
    /// True when `dir/name` is a mount point (its entry comes from the mount, not from the parent backend).
    fn is_mount_point_name(&self, dir: &VirtualPath, name: &str) -> bool {
        dir.join(name)
            .is_ok_and(|p| !p.is_root() && self.mounts().iter().any(|m| m.path == p))
    }
}
