//! Protocol-neutral storage errors: a kind that protocols map to wire codes, plus the source for logs.

use std::fmt;
use std::io;

use crate::path::PathError;

/// What went wrong, in terms every protocol can express. Each protocol maps this in one exhaustive `match`
/// (no catch-all arm), so adding a kind is a compile error until every protocol decides its wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The path does not exist (or is hidden from this user).
    NotFound,
    /// The target already exists.
    AlreadyExists,
    /// The user's permissions or patterns refuse the operation, or the file system does.
    PermissionDenied,
    /// The path would resolve outside the user's root (a `..` escape or a symlink leading out).
    OutsideRoot,
    /// The client path is malformed: NUL byte, not UTF-8, too long.
    InvalidPath,
    /// A component that must be a directory is not.
    NotADirectory,
    /// A file operation was asked of a directory.
    IsADirectory,
    /// The directory to remove is not empty.
    DirectoryNotEmpty,
    /// The user's quota or a size limit would be exceeded.
    QuotaExceeded,
    /// The storage itself is full.
    StorageFull,
    /// The backend cannot do this (symlinks on object stores, random writes on encrypted files...).
    Unsupported,
    /// The request itself is invalid (bad offset, bad flags).
    InvalidInput,
    /// The operation was aborted (upload cancelled, connection dropped, shutdown).
    Aborted,
    /// Any other I/O failure; the source says more.
    Io,
}

impl ErrorKind {
    /// A short phrase for clients; never contains paths or secrets.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "no such file or directory",
            Self::AlreadyExists => "already exists",
            Self::PermissionDenied => "permission denied",
            Self::OutsideRoot => "path outside the user's root",
            Self::InvalidPath => "invalid path",
            Self::NotADirectory => "not a directory",
            Self::IsADirectory => "is a directory",
            Self::DirectoryNotEmpty => "directory not empty",
            Self::QuotaExceeded => "quota exceeded",
            Self::StorageFull => "no space left on storage",
            Self::Unsupported => "operation not supported",
            Self::InvalidInput => "invalid argument",
            Self::Aborted => "operation aborted",
            Self::Io => "input/output error",
        }
    }

    /// Classifies an OS error. `EXDEV` from path resolution means the path left the root
    /// (`RESOLVE_BENEATH`); callers that rename across devices must map it themselves.
    #[must_use]
    pub fn from_io(err: &io::Error) -> Self {
        match err.raw_os_error() {
            Some(code) => match code {
                libc::ENOENT => Self::NotFound,
                libc::EEXIST => Self::AlreadyExists,
                libc::EPERM | libc::EACCES | libc::EROFS => Self::PermissionDenied,
                // RESOLVE_BENEATH answers EXDEV for an escape; ELOOP for magic links and symlink loops.
                libc::EXDEV | libc::ELOOP => Self::OutsideRoot,
                libc::ENOTDIR => Self::NotADirectory,
                libc::EISDIR => Self::IsADirectory,
                libc::ENOTEMPTY => Self::DirectoryNotEmpty,
                libc::ENOSPC => Self::StorageFull,
                libc::EDQUOT | libc::EFBIG => Self::QuotaExceeded,
                libc::EOPNOTSUPP | libc::ENOSYS => Self::Unsupported,
                libc::EINVAL | libc::ENAMETOOLONG | libc::EBADF => Self::InvalidInput,
                libc::ECANCELED | libc::EINTR => Self::Aborted,
                _ => Self::Io,
            },
            None => match err.kind() {
                io::ErrorKind::NotFound => Self::NotFound,
                io::ErrorKind::AlreadyExists => Self::AlreadyExists,
                io::ErrorKind::PermissionDenied => Self::PermissionDenied,
                io::ErrorKind::InvalidInput => Self::InvalidInput,
                io::ErrorKind::Unsupported => Self::Unsupported,
                _ => Self::Io,
            },
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A storage error: its [`ErrorKind`] and, for logs, where it came from.
#[derive(Debug, thiserror::Error)]
#[error("{kind}{}", .context.as_deref().map(|c| format!(": {c}")).unwrap_or_default())]
pub struct StorageError {
    kind: ErrorKind,
    context: Option<String>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StorageError {
    /// An error of `kind` with no further detail.
    #[must_use]
    pub const fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            context: None,
            source: None,
        }
    }

    /// An error of `kind` with a message for logs.
    #[must_use]
    pub fn with_context(kind: ErrorKind, context: impl Into<String>) -> Self {
        Self {
            kind,
            context: Some(context.into()),
            source: None,
        }
    }

    /// Wraps an OS error, classifying it with [`ErrorKind::from_io`].
    #[must_use]
    pub fn from_io(err: io::Error, context: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::from_io(&err),
            context: Some(context.into()),
            source: Some(Box::new(err)),
        }
    }

    /// The kind, for mapping to wire codes.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The raw OS error code, when this came from the OS.
    #[must_use]
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source
            .as_ref()?
            .downcast_ref::<io::Error>()?
            .raw_os_error()
    }
}

impl From<io::Error> for StorageError {
    fn from(err: io::Error) -> Self {
        Self {
            kind: ErrorKind::from_io(&err),
            context: None,
            source: Some(Box::new(err)),
        }
    }
}

impl From<ErrorKind> for StorageError {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<PathError> for StorageError {
    fn from(err: PathError) -> Self {
        let kind = match err {
            PathError::EscapesRoot => ErrorKind::OutsideRoot,
            PathError::Nul | PathError::NameTooLong | PathError::TooLong | PathError::NotUtf8 => {
                ErrorKind::InvalidPath
            }
        };
        Self {
            kind,
            context: None,
            source: Some(Box::new(err)),
        }
    }
}

/// Result of storage operations.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_os_errors() {
        let e = StorageError::from_io(io::Error::from_raw_os_error(18), "open /x");
        assert_eq!(e.kind(), ErrorKind::OutsideRoot);
        assert_eq!(e.raw_os_error(), Some(18));
        assert_eq!(e.to_string(), "path outside the user's root: open /x");
        assert_eq!(
            StorageError::from(io::Error::from_raw_os_error(2)).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            StorageError::from(PathError::Nul).kind(),
            ErrorKind::InvalidPath
        );
        assert_eq!(
            StorageError::from(PathError::EscapesRoot).kind(),
            ErrorKind::OutsideRoot
        );
    }
}
