//! Per-path permissions with the reference product's 17 names, inherited by the longest matching path.

use std::collections::BTreeMap;
use std::fmt;

use crate::path::{PathError, VirtualPath};

bitflags::bitflags! {
    /// A set of permissions granted on one path.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct PermissionSet: u32 {
        /// `list`: list directory contents.
        const LIST = 1 << 0;
        /// `download`: read files.
        const DOWNLOAD = 1 << 1;
        /// `upload`: create new files.
        const UPLOAD = 1 << 2;
        /// `overwrite`: replace or append to existing files (uploads also need `upload`).
        const OVERWRITE = 1 << 3;
        /// `delete_files`: remove files.
        const DELETE_FILES = 1 << 4;
        /// `delete_dirs`: remove directories.
        const DELETE_DIRS = 1 << 5;
        /// `rename_files`: rename files.
        const RENAME_FILES = 1 << 6;
        /// `rename_dirs`: rename directories.
        const RENAME_DIRS = 1 << 7;
        /// `create_dirs`: make directories.
        const CREATE_DIRS = 1 << 8;
        /// `create_symlinks`: make symbolic links.
        const CREATE_SYMLINKS = 1 << 9;
        /// `chmod`: change mode bits.
        const CHMOD = 1 << 10;
        /// `chown`: change owner.
        const CHOWN = 1 << 11;
        /// `chtimes`: change access and modification times.
        const CHTIMES = 1 << 12;
        /// `copy`: server-side copy.
        const COPY = 1 << 13;
        /// `delete`: files and directories.
        const DELETE = Self::DELETE_FILES.bits() | Self::DELETE_DIRS.bits();
        /// `rename`: files and directories.
        const RENAME = Self::RENAME_FILES.bits() | Self::RENAME_DIRS.bits();
        /// `*`: everything.
        const ALL = (1 << 14) - 1;
    }
}

/// One permission name as the reference product spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// `*`
    All,
    /// `list`
    List,
    /// `download`
    Download,
    /// `upload`
    Upload,
    /// `overwrite`
    Overwrite,
    /// `delete`
    Delete,
    /// `delete_files`
    DeleteFiles,
    /// `delete_dirs`
    DeleteDirs,
    /// `rename`
    Rename,
    /// `rename_files`
    RenameFiles,
    /// `rename_dirs`
    RenameDirs,
    /// `create_dirs`
    CreateDirs,
    /// `create_symlinks`
    CreateSymlinks,
    /// `chmod`
    Chmod,
    /// `chown`
    Chown,
    /// `chtimes`
    Chtimes,
    /// `copy`
    Copy,
}

impl Permission {
    /// Every permission, in the reference product's order.
    pub const ALL_NAMES: [Self; 17] = [
        Self::All,
        Self::List,
        Self::Download,
        Self::Upload,
        Self::Overwrite,
        Self::Delete,
        Self::DeleteFiles,
        Self::DeleteDirs,
        Self::Rename,
        Self::RenameFiles,
        Self::RenameDirs,
        Self::CreateDirs,
        Self::CreateSymlinks,
        Self::Chmod,
        Self::Chown,
        Self::Chtimes,
        Self::Copy,
    ];

    /// The wire and JSON name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::All => "*",
            Self::List => "list",
            Self::Download => "download",
            Self::Upload => "upload",
            Self::Overwrite => "overwrite",
            Self::Delete => "delete",
            Self::DeleteFiles => "delete_files",
            Self::DeleteDirs => "delete_dirs",
            Self::Rename => "rename",
            Self::RenameFiles => "rename_files",
            Self::RenameDirs => "rename_dirs",
            Self::CreateDirs => "create_dirs",
            Self::CreateSymlinks => "create_symlinks",
            Self::Chmod => "chmod",
            Self::Chown => "chown",
            Self::Chtimes => "chtimes",
            Self::Copy => "copy",
        }
    }

    /// Parses a permission name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL_NAMES.into_iter().find(|p| p.name() == name)
    }

    /// The bits this name grants.
    #[must_use]
    pub const fn bits(self) -> PermissionSet {
        match self {
            Self::All => PermissionSet::ALL,
            Self::List => PermissionSet::LIST,
            Self::Download => PermissionSet::DOWNLOAD,
            Self::Upload => PermissionSet::UPLOAD,
            Self::Overwrite => PermissionSet::OVERWRITE,
            Self::Delete => PermissionSet::DELETE,
            Self::DeleteFiles => PermissionSet::DELETE_FILES,
            Self::DeleteDirs => PermissionSet::DELETE_DIRS,
            Self::Rename => PermissionSet::RENAME,
            Self::RenameFiles => PermissionSet::RENAME_FILES,
            Self::RenameDirs => PermissionSet::RENAME_DIRS,
            Self::CreateDirs => PermissionSet::CREATE_DIRS,
            Self::CreateSymlinks => PermissionSet::CREATE_SYMLINKS,
            Self::Chmod => PermissionSet::CHMOD,
            Self::Chown => PermissionSet::CHOWN,
            Self::Chtimes => PermissionSet::CHTIMES,
            Self::Copy => PermissionSet::COPY,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PermissionSet {
    /// Builds a set from permission names.
    ///
    /// # Errors
    /// The first unknown name.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        names.into_iter().try_fold(Self::empty(), |acc, n| {
            Permission::from_name(n)
                .map(|p| acc | p.bits())
                .ok_or_else(|| n.to_owned())
        })
    }

    /// The shortest list of names that grants exactly this set (`["*"]` for everything).
    #[must_use]
    pub fn names(self) -> Vec<&'static str> {
        if self.contains(Self::ALL) {
            return vec!["*"];
        }
        let mut left = self;
        let mut out = Vec::new();
        for p in Permission::ALL_NAMES.into_iter().skip(1) {
            let b = p.bits();
            if !b.is_empty() && left.contains(b) {
                out.push(p.name());
                left.remove(b);
            }
        }
        out
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Permissions of a user: a set per virtual directory. A path gets the set of the longest configured path that
/// is equal to it or one of its ancestors; `/` must be present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permissions {
    /// Sorted by path; lookups walk from the path up to the root.
    by_path: BTreeMap<VirtualPath, PermissionSet>,
}

impl Permissions {
    /// Everything everywhere.
    #[must_use]
    pub fn full() -> Self {
        Self {
            by_path: BTreeMap::from([(VirtualPath::root(), PermissionSet::ALL)]),
        }
    }

    /// Builds permissions from (path, names) pairs as found in the user's JSON.
    ///
    /// # Errors
    /// A message naming the bad path or permission, or the missing `/` entry.
    pub fn from_entries<'a, I, N>(entries: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = (&'a str, N)>,
        N: IntoIterator<Item = &'a str>,
    {
        let mut by_path = BTreeMap::new();
        for (path, names) in entries {
            let vp = VirtualPath::parse(path)
                .map_err(|e: PathError| format!("permissions path {path:?}: {e}"))?;
            let set = PermissionSet::from_names(names)
                .map_err(|bad| format!("permissions for {path:?}: unknown permission {bad:?}"))?;
            by_path.insert(vp, set);
        }
        if !by_path.contains_key(&VirtualPath::root()) {
            return Err("permissions: the root path \"/\" is required".to_owned());
        }
        Ok(Self { by_path })
    }

    /// The set that applies to `path`.
    #[must_use]
    pub fn for_path(&self, path: &VirtualPath) -> PermissionSet {
        let mut cur = Some(path.clone());
        while let Some(p) = cur {
            if let Some(set) = self.by_path.get(&p) {
                return *set;
            }
            cur = p.parent();
        }
        PermissionSet::empty()
    }

    /// True when every bit of `wanted` is granted on `path`.
    #[must_use]
    pub fn has(&self, path: &VirtualPath, wanted: PermissionSet) -> bool {
        self.for_path(path).contains(wanted)
    }

    /// True when at least one bit of `any` is granted on `path`.
    #[must_use]
    pub fn has_any(&self, path: &VirtualPath, any: PermissionSet) -> bool {
        self.for_path(path).intersects(any)
    }

    /// The configured entries, sorted by path.
    pub fn entries(&self) -> impl Iterator<Item = (&VirtualPath, PermissionSet)> {
        self.by_path.iter().map(|(p, s)| (p, *s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vp(s: &str) -> VirtualPath {
        VirtualPath::parse(s).unwrap()
    }

    #[test]
    fn seventeen_names_round_trip() {
        assert_eq!(Permission::ALL_NAMES.len(), 17);
        for p in Permission::ALL_NAMES {
            assert_eq!(Permission::from_name(p.name()), Some(p));
        }
        let set = PermissionSet::from_names(["delete", "list"]).unwrap();
        assert!(set.contains(PermissionSet::DELETE_FILES | PermissionSet::DELETE_DIRS));
        assert_eq!(set.names(), vec!["list", "delete"]);
        assert_eq!(PermissionSet::from_names(["*"]).unwrap().names(), vec!["*"]);
        assert_eq!(
            PermissionSet::from_names(["list", "bogus"]),
            Err("bogus".to_owned())
        );
    }

    #[test]
    fn longest_path_wins() {
        let perms = Permissions::from_entries([
            ("/", vec!["*"]),
            ("/ro", vec!["list", "download"]),
            ("/ro/inbox", vec!["list", "upload"]),
        ])
        .unwrap();
        assert!(perms.has(&vp("/x/y"), PermissionSet::UPLOAD));
        assert!(perms.has(&vp("/ro"), PermissionSet::DOWNLOAD));
        assert!(!perms.has(&vp("/ro/sub/deeper"), PermissionSet::UPLOAD));
        assert!(perms.has(&vp("/ro/inbox/a"), PermissionSet::UPLOAD));
        assert!(!perms.has(&vp("/ro/inbox"), PermissionSet::DOWNLOAD));
        assert!(perms.has(&vp("/rox"), PermissionSet::DELETE));
    }

    #[test]
    fn root_required_and_errors_named() {
        let err = Permissions::from_entries([("/a", vec!["list"])]).unwrap_err();
        assert!(err.contains("\"/\""), "{err}");
        let err = Permissions::from_entries([("/", vec!["lst"])]).unwrap_err();
        assert!(err.contains("lst"), "{err}");
        let err =
            Permissions::from_entries([("/", vec!["*"]), ("/../x", vec!["list"])]).unwrap_err();
        assert!(err.contains("/../x"), "{err}");
    }
}
