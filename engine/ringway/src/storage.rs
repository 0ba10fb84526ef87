//! Opening a user's storage: the composition root is the one place that names concrete backends.
//!
//! A user's `/` is their home directory on local disk; each virtual folder on local disk is mounted at its
//! virtual path. Missing roots are created at login, as the reference does unless `disable_fs_checks` is set.
//! Folders on other backends are refused with a clear error until those backends exist.

use std::sync::Arc;

use ringway_auth::usage::{Delta, Usage};
use ringway_backend_local::LocalBackend;
use ringway_core::{ErrorKind, StorageError, VirtualPath};
use ringway_model::{FsProvider, User};
use ringway_provider::ObjectKind;
use ringway_ssh::VfsFactory;
use ringway_uring::Io;
use ringway_vfs::{Mount, UploadMode, UsageRecorder, Vfs, VfsOptions};

/// Quota usage of one user's VFS, into the per-core shards that the control plane commits in batches. The home
/// counts for the user; a virtual folder counts for the folder, and also for the user when its quota is
/// included in the user's (`quota_size` and `quota_files` both -1, as in the reference).
#[derive(Debug)]
struct QuotaRecorder {
    usage: Usage,
    user: String,
    /// Mount path, folder name, included in the user's quota.
    folders: Vec<(VirtualPath, String, bool)>,
}

impl UsageRecorder for QuotaRecorder {
    fn record(&self, mount: &VirtualPath, size: i64, files: i64) {
        let delta = Delta {
            size,
            files,
            ..Delta::default()
        };
        // Any shard is correct; one per worker thread keeps the locks uncontended.
        let shard = self.usage.shard(worker_index());
        if mount.is_root() {
            shard.add(ObjectKind::User, &self.user, delta);
        } else if let Some((_, name, included)) = self.folders.iter().find(|f| f.0 == *mount) {
            shard.add(ObjectKind::Folder, name, delta);
            if *included {
                shard.add(ObjectKind::User, &self.user, delta);
            }
        }
    }
}

/// A small number stable per thread, to spread usage records over the shards.
fn worker_index() -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    usize::try_from(h.finish() % 1024).unwrap_or(0)
}

async fn local_root(io: &Io, path: &str, create: bool) -> Result<LocalBackend, StorageError> {
    LocalBackend::open(io.clone(), std::path::Path::new(path), create).await
}

/// The VFS of an effective user.
async fn open_vfs(
    user: Arc<User>,
    io: Io,
    upload_mode: UploadMode,
    usage: Option<Usage>,
) -> Result<Vfs, StorageError> {
    let invalid = |m: String| StorageError::with_context(ErrorKind::InvalidInput, m);
    let view = ringway_auth::view::user_view(&user).map_err(|e| invalid(e.to_string()))?;
    if user.filesystem.provider != FsProvider::Local {
        return Err(StorageError::with_context(
            ErrorKind::Unsupported,
            format!(
                "storage backend {} is not available yet",
                user.filesystem.provider
            ),
        ));
    }
    let create = !user.filters.disable_fs_checks;
    let mut folders = Vec::new();
    let mut mounts = vec![Mount {
        path: VirtualPath::root(),
        backend: Arc::new(local_root(&io, &user.home_dir, create).await?),
    }];
    for f in &user.virtual_folders {
        if f.filesystem.provider != FsProvider::Local || f.mapped_path.is_empty() {
            return Err(StorageError::with_context(
                ErrorKind::Unsupported,
                format!(
                    "virtual folder {:?}: its storage backend is not available yet",
                    f.name
                ),
            ));
        }
        let path = VirtualPath::parse(&f.virtual_path)
            .map_err(|e| invalid(format!("virtual folder {:?}: {e}", f.name)))?;
        folders.push((
            path.clone(),
            f.name.clone(),
            f.quota_size == -1 && f.quota_files == -1,
        ));
        mounts.push(Mount {
            path,
            backend: Arc::new(local_root(&io, &f.mapped_path, create).await?),
        });
    }
    let vfs = Vfs::new(Arc::new(view), mounts, VfsOptions { upload_mode })?;
    Ok(match usage {
        Some(usage) => vfs.with_usage(Arc::new(QuotaRecorder {
            usage,
            user: user.username.clone(),
            folders,
        })),
        None => vfs,
    })
}

/// The factory the protocol servers call after a login; with `usage`, uploads and deletes are accounted.
pub(crate) fn vfs_factory(upload_mode: UploadMode, usage: Option<Usage>) -> VfsFactory {
    VfsFactory::new(move |user, io| Box::pin(open_vfs(user, io, upload_mode, usage.clone())))
}
