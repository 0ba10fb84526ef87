//! Virtual folders: the named folder object (reference `BaseVirtualFolder`) and its mapping into a user or group
//! (reference `VirtualFolder`).

use serde::{Deserialize, Serialize};

use crate::filesystem::FilesystemConfig;
use crate::serde_util::{is_default, nullable};

/// A named folder with its own storage, shareable between users and groups (reference `BaseVirtualFolder`;
/// the backup's `folders` section).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BaseVirtualFolder {
    /// Provider identifier.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Absolute path of the folder root for local and encrypted folders.
    #[serde(skip_serializing_if = "is_default")]
    pub mapped_path: String,
    /// Free-form description.
    #[serde(skip_serializing_if = "is_default")]
    pub description: String,
    /// Used quota, bytes.
    pub used_quota_size: i64,
    /// Used quota, files.
    pub used_quota_files: i64,
    /// Last quota update, ms since the epoch.
    pub last_quota_update: i64,
    /// Users this folder is mapped into (read-only, filled by the provider).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Groups this folder is mapped into (read-only; written by the reference code, not listed in its OpenAPI
    /// schema).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Storage backend.
    pub filesystem: FilesystemConfig,
}

impl BaseVirtualFolder {
    /// The form shown in API responses: filesystem secrets redacted.
    pub fn redacted(&self) -> Self {
        Self {
            filesystem: self.filesystem.redacted(),
            ..self.clone()
        }
    }
}

/// A folder mounted into a user or group (reference `VirtualFolder`: `BaseVirtualFolder` fields plus the
/// mapping fields, as one flat JSON object).
///
/// In API input only `name` and the mapping fields matter; the folder fields are filled from the folder object
/// when rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VirtualFolder {
    /// Provider identifier of the folder.
    pub id: i64,
    /// Name of the folder object.
    pub name: String,
    /// Absolute path of the folder root for local and encrypted folders.
    #[serde(skip_serializing_if = "is_default")]
    pub mapped_path: String,
    /// Free-form description.
    #[serde(skip_serializing_if = "is_default")]
    pub description: String,
    /// Used quota, bytes.
    pub used_quota_size: i64,
    /// Used quota, files.
    pub used_quota_files: i64,
    /// Last quota update, ms since the epoch.
    pub last_quota_update: i64,
    /// Users this folder is mapped into.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Groups this folder is mapped into.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Storage backend of the folder.
    pub filesystem: FilesystemConfig,
    /// Mount point, an absolute virtual path.
    pub virtual_path: String,
    /// Quota, bytes: 0 unlimited, -1 counted in the user's quota.
    pub quota_size: i64,
    /// Quota, files: 0 unlimited, -1 counted in the user's quota.
    pub quota_files: i64,
    /// Re-roots the mount at this canonical sub-path of the folder (≤ 191 characters); empty for the root.
    #[serde(skip_serializing_if = "is_default")]
    pub subpath: String,
}

impl VirtualFolder {
    /// The folder-object part of this mapping.
    pub fn base(&self) -> BaseVirtualFolder {
        BaseVirtualFolder {
            id: self.id,
            name: self.name.clone(),
            mapped_path: self.mapped_path.clone(),
            description: self.description.clone(),
            used_quota_size: self.used_quota_size,
            used_quota_files: self.used_quota_files,
            last_quota_update: self.last_quota_update,
            users: self.users.clone(),
            groups: self.groups.clone(),
            filesystem: self.filesystem.clone(),
        }
    }

    /// A mapping of `folder` at `virtual_path` with the given quota and no sub-path.
    pub fn mount(folder: BaseVirtualFolder, virtual_path: impl Into<String>) -> Self {
        Self {
            id: folder.id,
            name: folder.name,
            mapped_path: folder.mapped_path,
            description: folder.description,
            used_quota_size: folder.used_quota_size,
            used_quota_files: folder.used_quota_files,
            last_quota_update: folder.last_quota_update,
            users: folder.users,
            groups: folder.groups,
            filesystem: folder.filesystem,
            virtual_path: virtual_path.into(),
            quota_size: 0,
            quota_files: 0,
            subpath: String::new(),
        }
    }

    /// The form shown in API responses: filesystem secrets redacted.
    pub fn redacted(&self) -> Self {
        Self {
            filesystem: self.filesystem.redacted(),
            ..self.clone()
        }
    }
}
