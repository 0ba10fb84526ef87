//! The dump/restore document (reference `BackupData`, the output of `/api/v2/dumpdata`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::admin::Admin;
use crate::apikey::ApiKey;
use crate::folder::BaseVirtualFolder;
use crate::group::Group;
use crate::role::Role;
use crate::serde_util::nullable;
use crate::user::User;

/// `version` written by the reference at the time of writing (SFTPGo 2.7: `DumpVersion = 17`).
pub const DUMP_VERSION: i64 = 17;

/// A backup (reference `BackupData`).
///
/// Every section is always written, as in the reference; a `null` section (the reference writes one for a scope
/// that was not dumped) reads as empty. Sections this crate does not model yet are kept as raw JSON so they
/// round-trip unchanged: `shares`, `event_actions`, `event_rules`, `ip_lists` and `configs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BackupData {
    /// Users, with password hashes.
    #[serde(deserialize_with = "nullable")]
    pub users: Vec<User>,
    /// Groups.
    #[serde(deserialize_with = "nullable")]
    pub groups: Vec<Group>,
    /// Folder objects.
    #[serde(deserialize_with = "nullable")]
    pub folders: Vec<BaseVirtualFolder>,
    /// Admins, with password hashes.
    #[serde(deserialize_with = "nullable")]
    pub admins: Vec<Admin>,
    /// API keys, with key hashes.
    #[serde(deserialize_with = "nullable")]
    pub api_keys: Vec<ApiKey>,
    /// Shares (reference `Share`), unparsed.
    #[serde(deserialize_with = "nullable")]
    pub shares: Vec<Value>,
    /// Event actions (reference `BaseEventAction`), unparsed.
    #[serde(deserialize_with = "nullable")]
    pub event_actions: Vec<Value>,
    /// Event rules (reference `EventRule`), unparsed.
    #[serde(deserialize_with = "nullable")]
    pub event_rules: Vec<Value>,
    /// Roles.
    #[serde(deserialize_with = "nullable")]
    pub roles: Vec<Role>,
    /// IP list entries (reference `IPListEntry`), unparsed.
    #[serde(deserialize_with = "nullable")]
    pub ip_lists: Vec<Value>,
    /// Server configurations (reference `Configs`), unparsed; `null` when absent.
    pub configs: Option<Value>,
    /// Format version; see [`DUMP_VERSION`].
    pub version: i64,
}
