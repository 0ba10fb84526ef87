//! API keys (reference schema `APIKey`).

use serde::{Deserialize, Serialize};

use crate::secret::Sensitive;
use crate::serde_util::is_default;

/// `ApiKey.scope`: the key impersonates an admin.
pub const API_KEY_SCOPE_ADMIN: i32 = 1;
/// `ApiKey.scope`: the key impersonates a user.
pub const API_KEY_SCOPE_USER: i32 = 2;

/// An API key (reference `APIKey`). The client presents `id.plainkey`; only a hash of the plain key is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ApiKey {
    /// Public key identifier (the reference generates a short UUID).
    pub id: String,
    /// Unique, user friendly name.
    pub name: String,
    /// Key hash (backup, provider), or the plain key in API input; hidden in API output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Sensitive>,
    /// [`API_KEY_SCOPE_ADMIN`] or [`API_KEY_SCOPE_USER`].
    pub scope: i32,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last update, ms since the epoch.
    pub updated_at: i64,
    /// Last use, ms since the epoch (written at most every 10 minutes).
    #[serde(skip_serializing_if = "is_default")]
    pub last_use_at: i64,
    /// Expiration, ms since the epoch (0 = never).
    #[serde(skip_serializing_if = "is_default")]
    pub expires_at: i64,
    /// Free-form description.
    #[serde(skip_serializing_if = "is_default")]
    pub description: String,
    /// Bound user; empty with user scope means any user (`key.username` form).
    #[serde(skip_serializing_if = "is_default")]
    pub user: String,
    /// Bound admin; empty with admin scope means any admin.
    #[serde(skip_serializing_if = "is_default")]
    pub admin: String,
}

impl ApiKey {
    /// The form shown in API responses: no key hash.
    pub fn redacted(&self) -> Self {
        Self {
            key: None,
            ..self.clone()
        }
    }
}
