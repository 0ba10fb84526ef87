//! Groups (reference schema `Group`) and the settings they give their users (`GroupUserSettings`).

use serde::{Deserialize, Serialize};

use crate::filesystem::FilesystemConfig;
use crate::filters::BaseUserFilters;
use crate::folder::VirtualFolder;
use crate::serde_util::{is_default, nullable};
use crate::user::Permissions;

/// A group of users sharing settings (reference `Group`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Group {
    /// Provider identifier.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Free-form description.
    #[serde(skip_serializing_if = "is_default")]
    pub description: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last update, ms since the epoch.
    pub updated_at: i64,
    /// Member usernames (read-only, filled by the provider).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Admins that add this group to the users they create (read-only).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub admins: Vec<String>,
    /// Settings applied to members. Always written.
    pub user_settings: GroupUserSettings,
    /// Folders mounted for every member (primary and secondary groups).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub virtual_folders: Vec<VirtualFolder>,
}

impl Group {
    /// The form shown in API responses: filesystem secrets of the settings and folders redacted.
    pub fn redacted(&self) -> Self {
        Self {
            user_settings: GroupUserSettings {
                filesystem: self.user_settings.filesystem.redacted(),
                ..self.user_settings.clone()
            },
            virtual_folders: self
                .virtual_folders
                .iter()
                .map(VirtualFolder::redacted)
                .collect(),
            ..self.clone()
        }
    }
}

/// Settings a group gives its members (reference `GroupUserSettings`). Zero means "not set" for the numeric
/// limits; `home_dir` may use the `%username%` placeholder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GroupUserSettings {
    /// Home directory template.
    pub home_dir: String,
    /// Maximum concurrent sessions.
    pub max_sessions: i64,
    /// Quota, bytes.
    pub quota_size: i64,
    /// Quota, files.
    pub quota_files: i64,
    /// Per-directory permissions (`/` is not required).
    #[serde(deserialize_with = "nullable")]
    pub permissions: Permissions,
    /// Upload bandwidth, KB/s.
    #[serde(skip_serializing_if = "is_default")]
    pub upload_bandwidth: i64,
    /// Download bandwidth, KB/s.
    #[serde(skip_serializing_if = "is_default")]
    pub download_bandwidth: i64,
    /// Upload transfer quota, MB.
    pub upload_data_transfer: i64,
    /// Download transfer quota, MB.
    pub download_data_transfer: i64,
    /// Total transfer quota, MB.
    pub total_data_transfer: i64,
    /// Account expiration, days after creation (0 = never).
    #[serde(skip_serializing_if = "is_default")]
    pub expires_in: i64,
    /// Restrictions. Always written.
    pub filters: BaseUserFilters,
    /// Storage backend (used when not local). Always written.
    pub filesystem: FilesystemConfig,
}
