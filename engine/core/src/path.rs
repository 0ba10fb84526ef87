//! Virtual paths: what a client names, normalised and checked once at the protocol boundary.

use std::fmt;

/// Longest accepted single path component, in bytes (the Linux `NAME_MAX`).
pub const MAX_NAME_LEN: usize = 255;
/// Longest accepted virtual path, in bytes (the Linux `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;

/// Why a client path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path contains a NUL byte.
    #[error("path contains a NUL byte")]
    Nul,
    /// `..` would climb above the root.
    #[error("path escapes the root with '..'")]
    EscapesRoot,
    /// One component is longer than [`MAX_NAME_LEN`].
    #[error("path component longer than {MAX_NAME_LEN} bytes")]
    NameTooLong,
    /// The whole path is longer than [`MAX_PATH_LEN`].
    #[error("path longer than {MAX_PATH_LEN} bytes")]
    TooLong,
    /// The path is not valid UTF-8.
    #[error("path is not valid UTF-8")]
    NotUtf8,
}

/// A normalised absolute virtual path: starts with `/`, no empty, `.` or `..` components, no trailing slash
/// (except the root itself), no NUL byte, every component at most [`MAX_NAME_LEN`] bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VirtualPath(String);

impl VirtualPath {
    /// The root, `/`.
    #[must_use]
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Normalises a client path. Relative paths are taken relative to the root; `.` and empty components are
    /// dropped; `..` removes the previous component.
    ///
    /// # Errors
    /// [`PathError`] when the path contains NUL, climbs above the root, or is too long.
    pub fn parse(raw: &str) -> Result<Self, PathError> {
        Self::root().join(raw)
    }

    /// Parses raw bytes as sent on the wire (SFTP and FTP send bytes).
    ///
    /// # Errors
    /// As [`VirtualPath::parse`], plus [`PathError::NotUtf8`].
    pub fn parse_bytes(raw: &[u8]) -> Result<Self, PathError> {
        if raw.contains(&0) {
            return Err(PathError::Nul);
        }
        let s = std::str::from_utf8(raw).map_err(|_| PathError::NotUtf8)?;
        Self::parse(s)
    }

    /// Resolves `rel` against this path (as a working directory); an absolute `rel` starts from the root.
    ///
    /// # Errors
    /// As [`VirtualPath::parse`].
    pub fn join(&self, rel: &str) -> Result<Self, PathError> {
        if rel.contains('\0') {
            return Err(PathError::Nul);
        }
        if rel.len() > MAX_PATH_LEN {
            return Err(PathError::TooLong);
        }
        let mut parts: Vec<&str> = if rel.starts_with('/') {
            Vec::new()
        } else {
            self.components().collect()
        };
        for comp in rel.split('/') {
            match comp {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(PathError::EscapesRoot);
                    }
                }
                name => {
                    if name.len() > MAX_NAME_LEN {
                        return Err(PathError::NameTooLong);
                    }
                    parts.push(name);
                }
            }
        }
        let mut out = String::with_capacity(rel.len() + self.0.len() + 1);
        for p in &parts {
            out.push('/');
            out.push_str(p);
        }
        if out.is_empty() {
            out.push('/');
        }
        if out.len() > MAX_PATH_LEN {
            return Err(PathError::TooLong);
        }
        Ok(Self(out))
    }

    /// The path as a string, always starting with `/`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `/`.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The components, root first; empty for `/`.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// The last component, or `None` for the root.
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        if self.is_root() {
            None
        } else {
            self.0.rsplit('/').next()
        }
    }

    /// The parent directory, or `None` for the root.
    #[must_use]
    pub fn parent(&self) -> Option<Self> {
        if self.is_root() {
            return None;
        }
        let idx = self.0.rfind('/').unwrap_or(0);
        Some(if idx == 0 {
            Self::root()
        } else {
            Self(self.0[..idx].to_owned())
        })
    }

    /// True when `self` equals `base` or lies below it (component-wise, so `/ab` is not under `/a`).
    #[must_use]
    pub fn starts_with(&self, base: &Self) -> bool {
        base.is_root()
            || self.0 == base.0
            || (self.0.starts_with(&base.0) && self.0.as_bytes().get(base.0.len()) == Some(&b'/'))
    }

    /// The part of `self` below `base` without a leading slash (`""` when equal); `None` when not below.
    #[must_use]
    pub fn strip_prefix(&self, base: &Self) -> Option<&str> {
        if !self.starts_with(base) {
            return None;
        }
        if base.is_root() {
            return Some(&self.0[1..]);
        }
        Some(self.0[base.0.len()..].trim_start_matches('/'))
    }

    /// Number of components (0 for the root); used to rank the longest match.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.components().count()
    }
}

impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for VirtualPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for VirtualPath {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, PathError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String, PathError> {
        VirtualPath::parse(s).map(|v| v.as_str().to_owned())
    }

    #[test]
    fn normalises() {
        assert_eq!(p("").unwrap(), "/");
        assert_eq!(p("/").unwrap(), "/");
        assert_eq!(p("a/b").unwrap(), "/a/b");
        assert_eq!(p("//a///b/./c/").unwrap(), "/a/b/c");
        assert_eq!(p("/a/b/../c").unwrap(), "/a/c");
        assert_eq!(p("/a/..").unwrap(), "/");
    }

    #[test]
    fn rejects_escape_nul_and_long_names() {
        assert_eq!(p("/.."), Err(PathError::EscapesRoot));
        assert_eq!(p("a/../../b"), Err(PathError::EscapesRoot));
        assert_eq!(p("/a\0b"), Err(PathError::Nul));
        assert_eq!(VirtualPath::parse_bytes(b"/a\0"), Err(PathError::Nul));
        assert_eq!(VirtualPath::parse_bytes(b"/\xff"), Err(PathError::NotUtf8));
        assert_eq!(
            p(&format!("/{}", "x".repeat(256))),
            Err(PathError::NameTooLong)
        );
        assert!(p(&format!("/{}", "x".repeat(255))).is_ok());
        let deep = "/abcdefgh".repeat(600);
        assert_eq!(p(&deep), Err(PathError::TooLong));
    }

    #[test]
    fn join_relative_to_cwd() {
        let cwd = VirtualPath::parse("/home/docs").unwrap();
        assert_eq!(cwd.join("x").unwrap().as_str(), "/home/docs/x");
        assert_eq!(cwd.join("../x").unwrap().as_str(), "/home/x");
        assert_eq!(cwd.join("/x").unwrap().as_str(), "/x");
        assert_eq!(cwd.join("../../../x"), Err(PathError::EscapesRoot));
    }

    #[test]
    fn parent_name_prefix() {
        let v = VirtualPath::parse("/a/b/c").unwrap();
        assert_eq!(v.file_name(), Some("c"));
        assert_eq!(v.parent().unwrap().as_str(), "/a/b");
        assert_eq!(
            VirtualPath::parse("/a").unwrap().parent().unwrap(),
            VirtualPath::root()
        );
        assert_eq!(VirtualPath::root().parent(), None);
        let a = VirtualPath::parse("/a").unwrap();
        assert!(v.starts_with(&a));
        assert!(!VirtualPath::parse("/ab").unwrap().starts_with(&a));
        assert_eq!(v.strip_prefix(&a), Some("b/c"));
        assert_eq!(v.strip_prefix(&VirtualPath::root()), Some("a/b/c"));
        assert_eq!(a.strip_prefix(&a), Some(""));
        assert_eq!(v.depth(), 3);
    }
}
