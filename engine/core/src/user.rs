//! What a session needs to know about its authenticated user.

use std::path::PathBuf;

use crate::pattern::FilePatterns;
use crate::perm::Permissions;

/// The policy view of one user, built by the control plane at login and shared read-only by its sessions.
#[derive(Debug, Clone)]
pub struct UserView {
    /// Login name.
    pub username: String,
    /// Root of the user's local home (the backend of `/` when it is local).
    pub home_dir: PathBuf,
    /// Per-path permissions.
    pub permissions: Permissions,
    /// Per-path name patterns.
    pub patterns: FilePatterns,
    /// Largest accepted upload in bytes; 0 means no limit.
    pub max_upload_file_size: u64,
}

impl UserView {
    /// A user with every permission on `home_dir` and no patterns or limits.
    #[must_use]
    pub fn with_full_access(username: impl Into<String>, home_dir: impl Into<PathBuf>) -> Self {
        Self {
            username: username.into(),
            home_dir: home_dir.into(),
            permissions: Permissions::full(),
            patterns: FilePatterns::default(),
            max_upload_file_size: 0,
        }
    }
}
