//! The one place where storage errors become SFTP status codes.

use ringway_core::{ErrorKind, StorageError};
use ringway_sftp_proto::StatusCode;

/// The SFTP v3 status and the client-facing message for a storage error kind.
///
/// Messages are [`ErrorKind::as_str`]: short, fixed phrases that never carry a host path, a user name or a
/// backend detail (those stay in the logs). The choices follow OpenSSH's `errno_to_portable` where an errno
/// exists (`ENOTDIR` is `NO_SUCH_FILE`, `EINVAL` is `BAD_MESSAGE`, `EEXIST` is a plain `FAILURE`), since
/// clients are written against it; v3 has no quota or disk-full codes, so those are `FAILURE` with a message.
#[must_use]
pub fn status_for(kind: ErrorKind) -> (StatusCode, &'static str) {
    let code = match kind {
        ErrorKind::NotFound | ErrorKind::NotADirectory => StatusCode::NoSuchFile,
        ErrorKind::PermissionDenied | ErrorKind::OutsideRoot => StatusCode::PermissionDenied,
        ErrorKind::InvalidPath | ErrorKind::InvalidInput => StatusCode::BadMessage,
        ErrorKind::Unsupported => StatusCode::OpUnsupported,
        ErrorKind::AlreadyExists
        | ErrorKind::IsADirectory
        | ErrorKind::DirectoryNotEmpty
        | ErrorKind::QuotaExceeded
        | ErrorKind::StorageFull
        | ErrorKind::Aborted
        | ErrorKind::Io => StatusCode::Failure,
    };
    (code, kind.as_str())
}

/// [`status_for`] of an error's kind.
#[must_use]
pub fn status_of(err: &StorageError) -> (StatusCode, &'static str) {
    status_for(err.kind())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_carry_context() {
        let err = StorageError::with_context(ErrorKind::NotFound, "stat /secret/host/path");
        let (code, msg) = status_of(&err);
        assert_eq!(code, StatusCode::NoSuchFile);
        assert!(!msg.contains('/'));
        assert_eq!(
            status_for(ErrorKind::OutsideRoot).0,
            StatusCode::PermissionDenied
        );
        assert_eq!(
            status_for(ErrorKind::Unsupported).0,
            StatusCode::OpUnsupported
        );
        assert_eq!(status_for(ErrorKind::AlreadyExists).0, StatusCode::Failure);
    }
}
