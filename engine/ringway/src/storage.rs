//! Opening a user's storage: the composition root is the one place that names concrete backends.
//!
//! A user's `/` is their home directory on local disk; each virtual folder on local disk is mounted at its
//! virtual path. Missing roots are created at login, as the reference does unless `disable_fs_checks` is set.
//! Folders on other backends are refused with a clear error until those backends exist.

use std::sync::Arc;

use ringway_backend_local::LocalBackend;
use ringway_core::{ErrorKind, StorageError, VirtualPath};
use ringway_model::{FsProvider, User};
use ringway_ssh::VfsFactory;
use ringway_uring::Io;
use ringway_vfs::{Mount, UploadMode, Vfs, VfsOptions};

async fn local_root(io: &Io, path: &str, create: bool) -> Result<LocalBackend, StorageError> {
    LocalBackend::open(io.clone(), std::path::Path::new(path), create).await
}

/// The VFS of an effective user.
async fn open_vfs(user: Arc<User>, io: Io, upload_mode: UploadMode) -> Result<Vfs, StorageError> {
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
        mounts.push(Mount {
            path,
            backend: Arc::new(local_root(&io, &f.mapped_path, create).await?),
        });
    }
    Vfs::new(Arc::new(view), mounts, VfsOptions { upload_mode })
}

/// The factory the protocol servers call after a login.
pub(crate) fn vfs_factory(upload_mode: UploadMode) -> VfsFactory {
    VfsFactory::new(move |user, io| Box::pin(open_vfs(user, io, upload_mode)))
}
