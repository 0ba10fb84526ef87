//! Names the reference accepts in permission lists and filters, and path cleaning as the reference does it.

/// All user permissions.
pub const PERM_ANY: &str = "*";
/// List directory contents.
pub const PERM_LIST: &str = "list";
/// Download files.
pub const PERM_DOWNLOAD: &str = "download";
/// Upload files.
pub const PERM_UPLOAD: &str = "upload";
/// Overwrite existing files while uploading (needs `upload` too).
pub const PERM_OVERWRITE: &str = "overwrite";
/// Delete files and directories.
pub const PERM_DELETE: &str = "delete";
/// Delete files.
pub const PERM_DELETE_FILES: &str = "delete_files";
/// Delete directories.
pub const PERM_DELETE_DIRS: &str = "delete_dirs";
/// Rename files and directories.
pub const PERM_RENAME: &str = "rename";
/// Rename files.
pub const PERM_RENAME_FILES: &str = "rename_files";
/// Rename directories.
pub const PERM_RENAME_DIRS: &str = "rename_dirs";
/// Create directories.
pub const PERM_CREATE_DIRS: &str = "create_dirs";
/// Create symbolic links.
pub const PERM_CREATE_SYMLINKS: &str = "create_symlinks";
/// Change mode bits.
pub const PERM_CHMOD: &str = "chmod";
/// Change owner and group.
pub const PERM_CHOWN: &str = "chown";
/// Change access and modification times.
pub const PERM_CHTIMES: &str = "chtimes";
/// Server-side copy.
pub const PERM_COPY: &str = "copy";

/// Every user permission name, in the order of the reference schema `Permission`.
pub const USER_PERMISSIONS: [&str; 17] = [
    PERM_ANY,
    PERM_LIST,
    PERM_DOWNLOAD,
    PERM_UPLOAD,
    PERM_OVERWRITE,
    PERM_DELETE,
    PERM_DELETE_FILES,
    PERM_DELETE_DIRS,
    PERM_RENAME,
    PERM_RENAME_FILES,
    PERM_RENAME_DIRS,
    PERM_CREATE_DIRS,
    PERM_CREATE_SYMLINKS,
    PERM_CHMOD,
    PERM_CHOWN,
    PERM_CHTIMES,
    PERM_COPY,
];

/// Every admin permission name, in the order of the reference schema `AdminPermissions` (the same set as the
/// reference code's `validAdminPerms`). `*` is a super admin; managing admins, roles, API keys, event rules and
/// the system is reserved to it.
pub const ADMIN_PERMISSIONS: [&str; 15] = [
    "*",
    "add_users",
    "edit_users",
    "del_users",
    "view_users",
    "view_conns",
    "close_conns",
    "view_status",
    "manage_folders",
    "manage_groups",
    "quota_scans",
    "manage_defender",
    "view_defender",
    "view_events",
    "disable_mfa",
];

/// Protocol names used in `denied_protocols` (reference `SupportedProtocols`).
pub const PROTOCOLS: [&str; 4] = ["SSH", "FTP", "DAV", "HTTP"];

/// Protocol names used in `two_factor_protocols` and TOTP `protocols` (reference `MFAProtocols`).
pub const MFA_PROTOCOLS: [&str; 3] = ["SSH", "FTP", "HTTP"];

/// Login method names used in `denied_login_methods` (reference `LoginMethods`).
pub const LOGIN_METHODS: [&str; 8] = [
    "publickey",
    "password",
    "password-over-SSH",
    "keyboard-interactive",
    "publickey+password",
    "publickey+keyboard-interactive",
    "TLSCertificate",
    "TLSCertificate+password",
];

/// WebClient / user REST API restrictions used in `filters.web_client` (reference `WebClientOptions`).
pub const WEB_CLIENT_OPTIONS: [&str; 10] = [
    "publickey-change-disabled",
    "tls-cert-change-disabled",
    "write-disabled",
    "mfa-disabled",
    "password-change-disabled",
    "api-key-auth-change-disabled",
    "info-change-disabled",
    "shares-disabled",
    "password-reset-disabled",
    "shares-without-password-disabled",
];

/// Accepted non-empty values of `filters.tls_username`.
pub const TLS_USERNAMES: [&str; 2] = ["None", "CommonName"];

/// Usernames reserved by the reference for event action executors.
pub const RESERVED_USERNAMES: [&str; 2] = ["__self__", "__system__"];

/// Cleans a slash-separated path like Go's `path.Clean`, which the reference applies to permission keys, file
/// pattern paths and mount points: repeated slashes collapse, `.` elements go, `..` removes the previous element
/// (and is dropped at the root), trailing slashes go. The empty path becomes `.`.
pub fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// True if `path` is absolute and already clean (`clean_path(path) == path`).
pub fn is_clean_absolute(path: &str) -> bool {
    path.starts_with('/') && clean_path(path) == path
}

#[cfg(test)]
mod tests {
    use super::clean_path;

    #[test]
    fn clean_path_matches_go() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("//", "/"),
            ("/a/", "/a"),
            ("/a//b/./c/..", "/a/b"),
            ("/../a", "/a"),
            ("a/../..", ".."),
            ("a/./b", "a/b"),
            ("/a/b/../../..", "/"),
        ] {
            assert_eq!(clean_path(input), want, "clean_path({input:?})");
        }
    }
}
