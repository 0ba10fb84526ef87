//! The SFTPGo-compatible data model of ringway's admin side: users, groups, virtual folders, admins, API keys,
//! roles and the dump/restore document, with JSON decoding that names the offending field and validation of
//! the reference rules.
//!
//! Invariants:
//!
//! - **Wire compatibility.** Field names, nesting and JSON types are those of the reference REST API
//!   (`openapi.yaml`, `components/schemas`) and of the code that writes `/api/v2/dumpdata`, so an operator's
//!   existing backups and scripts work unchanged. Output leaves out exactly the fields the reference leaves out
//!   when empty (Go `omitempty`), and writes the others even when zero; a reference dump therefore reads and
//!   writes back to the same JSON. Timestamps are `i64` milliseconds since the epoch.
//! - **No silent typos.** Every struct rejects unknown keys; [`from_json`] reports the path of the offending field
//!   (`filters.denied_protocols[0]`). `null` is accepted wherever Go accepts it for a list or map.
//! - **Secrets stay secret.** Backups carry password and key hashes and encrypted secrets; API responses use the
//!   `redacted` methods ([`User::redacted`], [`Admin::redacted`], …), which drop passwords and key hashes and
//!   strip secret key material. `Debug` never prints passwords, hashes or secret payloads ([`Sensitive`],
//!   [`Secret`]).
//! - **Pure.** No I/O, no clock, no provider access: `validate` checks one value at a time and never changes it;
//!   checks that need other objects or the server configuration belong to the caller.
#![forbid(unsafe_code)]

mod admin;
mod apikey;
mod backup;
mod filesystem;
mod filters;
mod folder;
mod group;
mod ipnet;
mod json;
mod perms;
mod role;
mod secret;
mod serde_util;
mod user;
pub mod validate;

pub use admin::{
    ADD_TO_USERS_AS_MEMBERSHIP, ADD_TO_USERS_AS_PRIMARY, ADD_TO_USERS_AS_SECONDARY, Admin,
    AdminFilters, AdminGroupMapping, AdminGroupMappingOptions, AdminPreferences, AdminTotpConfig,
};
pub use apikey::{API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_USER, ApiKey};
pub use backup::{BackupData, DUMP_VERSION};
pub use filesystem::{
    AzBlobConfig, CryptFsConfig, FilesystemConfig, FsProvider, GcsConfig, HttpFsConfig,
    InvalidFsProvider, OsFsConfig, S3Config, SftpFsConfig,
};
pub use filters::{
    BandwidthLimit, BaseUserFilters, HooksFilter, PatternsFilter, RecoveryCode, TimePeriod,
    UserFilters, UserTotpConfig,
};
pub use folder::{BaseVirtualFolder, VirtualFolder};
pub use group::{Group, GroupUserSettings};
pub use ipnet::{InvalidIpNet, IpNet};
pub use json::{FieldError, from_json};
pub use perms::{
    ADMIN_PERMISSIONS, LOGIN_METHODS, MFA_PROTOCOLS, PERM_ANY, PERM_CHMOD, PERM_CHOWN,
    PERM_CHTIMES, PERM_COPY, PERM_CREATE_DIRS, PERM_CREATE_SYMLINKS, PERM_DELETE, PERM_DELETE_DIRS,
    PERM_DELETE_FILES, PERM_DOWNLOAD, PERM_LIST, PERM_OVERWRITE, PERM_RENAME, PERM_RENAME_DIRS,
    PERM_RENAME_FILES, PERM_UPLOAD, PROTOCOLS, RESERVED_USERNAMES, TLS_USERNAMES, USER_PERMISSIONS,
    WEB_CLIENT_OPTIONS, clean_path, is_clean_absolute,
};
pub use role::Role;
pub use secret::{
    SECRET_STATUS_AES_256_GCM, SECRET_STATUS_AWS, SECRET_STATUS_AZURE_KEY_VAULT, SECRET_STATUS_GCP,
    SECRET_STATUS_PLAIN, SECRET_STATUS_REDACTED, SECRET_STATUS_SECRETBOX,
    SECRET_STATUS_VAULT_TRANSIT, Secret, Sensitive,
};
pub use user::{
    GROUP_TYPE_MEMBERSHIP, GROUP_TYPE_PRIMARY, GROUP_TYPE_SECONDARY, GroupMapping, Permissions,
    STATUS_DISABLED, STATUS_ENABLED, User,
};
pub use validate::{ValidationError, validate_name};
