//! Users (reference schema `User`) and their group memberships (`GroupMapping`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::filesystem::FilesystemConfig;
use crate::filters::UserFilters;
use crate::folder::VirtualFolder;
use crate::secret::Sensitive;
use crate::serde_util::{is_default, nullable};

/// `status` of a disabled account: login is refused.
pub const STATUS_DISABLED: i32 = 0;
/// `status` of an enabled account.
pub const STATUS_ENABLED: i32 = 1;

/// `GroupMapping.type`: primary group (home dir, filesystem, limits, folders, permissions…).
pub const GROUP_TYPE_PRIMARY: i32 = 1;
/// `GroupMapping.type`: secondary group (folders, permissions, additive limits).
pub const GROUP_TYPE_SECONDARY: i32 = 2;
/// `GroupMapping.type`: membership only, nothing is inherited.
pub const GROUP_TYPE_MEMBERSHIP: i32 = 3;

/// Per-directory permissions: absolute virtual path → permission names (see [`crate::USER_PERMISSIONS`]).
pub type Permissions = BTreeMap<String, Vec<String>>;

/// A user account (reference `User`).
///
/// Field order, names and the fields left out when empty follow the reference, so a user serialised by this
/// crate reads like one dumped by SFTPGo. `password` holds a hash when read from a backup or the provider, and
/// may hold a clear-text password in API input; use [`User::redacted`] before returning a user from the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    /// Provider identifier.
    pub id: i64,
    /// [`STATUS_ENABLED`] or [`STATUS_DISABLED`].
    pub status: i32,
    /// Unique username.
    pub username: String,
    /// E-mail address.
    #[serde(skip_serializing_if = "is_default")]
    pub email: String,
    /// Account expiration, ms since the epoch (0 = never).
    #[serde(skip_serializing_if = "is_default")]
    pub expiration_date: i64,
    /// Password hash (backup, provider) or clear-text password (API input); `None` when not set or hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Sensitive>,
    /// Authorised public keys, OpenSSH format.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub public_keys: Vec<String>,
    /// Output only: whether a password is set.
    #[serde(skip_serializing_if = "is_default")]
    pub has_password: bool,
    /// Absolute home directory (the local root, or the temp dir for remote backends).
    pub home_dir: String,
    /// Owner UID for created files when running as root (0 = unchanged).
    pub uid: i64,
    /// Owner GID for created files when running as root (0 = unchanged).
    pub gid: i64,
    /// Maximum concurrent sessions and transfers (0 = unlimited).
    pub max_sessions: i64,
    /// Quota, bytes (0 = unlimited).
    pub quota_size: i64,
    /// Quota, files (0 = unlimited).
    pub quota_files: i64,
    /// Per-directory permissions; `/` is required.
    #[serde(deserialize_with = "nullable")]
    pub permissions: Permissions,
    /// Used quota, bytes.
    #[serde(skip_serializing_if = "is_default")]
    pub used_quota_size: i64,
    /// Used quota, files.
    #[serde(skip_serializing_if = "is_default")]
    pub used_quota_files: i64,
    /// Last quota update, ms since the epoch.
    #[serde(skip_serializing_if = "is_default")]
    pub last_quota_update: i64,
    /// Upload bandwidth, KB/s (0 = unlimited).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_bandwidth: i64,
    /// Download bandwidth, KB/s (0 = unlimited).
    #[serde(skip_serializing_if = "is_default")]
    pub download_bandwidth: i64,
    /// Upload transfer quota, MB (0 = unlimited).
    pub upload_data_transfer: i64,
    /// Download transfer quota, MB (0 = unlimited).
    pub download_data_transfer: i64,
    /// Total transfer quota, MB (0 = unlimited); replaces the separate limits when set.
    pub total_data_transfer: i64,
    /// Uploaded bytes since the last reset.
    #[serde(skip_serializing_if = "is_default")]
    pub used_upload_data_transfer: i64,
    /// Downloaded bytes since the last reset.
    #[serde(skip_serializing_if = "is_default")]
    pub used_download_data_transfer: i64,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last update, ms since the epoch.
    pub updated_at: i64,
    /// Last login, ms since the epoch (written at most every 10 minutes).
    #[serde(skip_serializing_if = "is_default")]
    pub last_login: i64,
    /// First download, ms since the epoch.
    #[serde(skip_serializing_if = "is_default")]
    pub first_download: i64,
    /// First upload, ms since the epoch.
    #[serde(skip_serializing_if = "is_default")]
    pub first_upload: i64,
    /// Last password change, ms since the epoch.
    #[serde(skip_serializing_if = "is_default")]
    pub last_password_change: i64,
    /// Free-form description.
    #[serde(skip_serializing_if = "is_default")]
    pub description: String,
    /// Free-form text for external systems.
    #[serde(skip_serializing_if = "is_default")]
    pub additional_info: String,
    /// Group memberships.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupMapping>,
    /// Custom OIDC token fields passed to the pre-login hook; never stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_custom_fields: Option<Map<String, Value>>,
    /// Role name; role admins only see users of their role.
    #[serde(skip_serializing_if = "is_default")]
    pub role: String,
    /// Restrictions and options. Always written.
    pub filters: UserFilters,
    /// Mounted virtual folders.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub virtual_folders: Vec<VirtualFolder>,
    /// Storage backend. Always written.
    pub filesystem: FilesystemConfig,
}

impl User {
    /// The form returned by the REST API: no password (`has_password` tells whether one is set), filesystem,
    /// folder, TOTP and recovery code secrets redacted (see [`crate::Secret::redacted`]), and no
    /// `oidc_custom_fields`. Backups keep the full user.
    pub fn redacted(&self) -> Self {
        Self {
            password: None,
            has_password: self.password.as_ref().is_some_and(|p| !p.is_empty()),
            oidc_custom_fields: None,
            filters: self.filters.redacted(),
            virtual_folders: self
                .virtual_folders
                .iter()
                .map(VirtualFolder::redacted)
                .collect(),
            filesystem: self.filesystem.redacted(),
            ..self.clone()
        }
    }

    /// The primary group, if any.
    pub fn primary_group(&self) -> Option<&str> {
        self.groups
            .iter()
            .find(|g| g.group_type == GROUP_TYPE_PRIMARY)
            .map(|g| g.name.as_str())
    }
}

/// Membership of a user in a group (reference `GroupMapping`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GroupMapping {
    /// Group name.
    pub name: String,
    /// [`GROUP_TYPE_PRIMARY`], [`GROUP_TYPE_SECONDARY`] or [`GROUP_TYPE_MEMBERSHIP`] (JSON `type`).
    #[serde(rename = "type")]
    pub group_type: i32,
}
