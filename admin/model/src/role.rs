//! Roles (reference schema `Role`): role admins only manage users of their role.

use serde::{Deserialize, Serialize};

use crate::serde_util::{is_default, nullable};

/// A role (reference `Role`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Role {
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
    /// Usernames with this role (read-only).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Admins with this role (read-only).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub admins: Vec<String>,
}
