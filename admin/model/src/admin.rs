//! Administrators (reference schema `Admin`) and their options.

use serde::{Deserialize, Serialize};

use crate::filters::RecoveryCode;
use crate::secret::{Secret, Sensitive, redact_opt};
use crate::serde_util::{is_default, nullable};

/// `AdminGroupMappingOptions.add_to_users_as`: membership group.
pub const ADD_TO_USERS_AS_MEMBERSHIP: i32 = 0;
/// `AdminGroupMappingOptions.add_to_users_as`: primary group.
pub const ADD_TO_USERS_AS_PRIMARY: i32 = 1;
/// `AdminGroupMappingOptions.add_to_users_as`: secondary group.
pub const ADD_TO_USERS_AS_SECONDARY: i32 = 2;

/// An administrator (reference `Admin`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Admin {
    /// Provider identifier.
    pub id: i64,
    /// `1` enabled, `0` disabled.
    pub status: i32,
    /// Unique username.
    pub username: String,
    /// Password hash (backup, provider) or clear-text password (API input); `None` when hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Sensitive>,
    /// E-mail address.
    #[serde(skip_serializing_if = "is_default")]
    pub email: String,
    /// Granted permissions (see [`crate::ADMIN_PERMISSIONS`]). Always written.
    #[serde(deserialize_with = "nullable")]
    pub permissions: Vec<String>,
    /// Options. Always written.
    pub filters: AdminFilters,
    /// Free-form description.
    #[serde(skip_serializing_if = "is_default")]
    pub description: String,
    /// Free-form text.
    #[serde(skip_serializing_if = "is_default")]
    pub additional_info: String,
    /// Groups preselected for the users this admin creates (WebAdmin only).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<AdminGroupMapping>,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last update, ms since the epoch.
    pub updated_at: i64,
    /// Last login, ms since the epoch. Always written.
    pub last_login: i64,
    /// Role; a role admin only manages users of that role and cannot have `*`.
    #[serde(skip_serializing_if = "is_default")]
    pub role: String,
}

impl Admin {
    /// The form returned by the REST API: no password, TOTP and recovery code secrets redacted.
    pub fn redacted(&self) -> Self {
        let mut admin = self.clone();
        admin.password = None;
        admin.filters.totp_config.secret = redact_opt(&admin.filters.totp_config.secret);
        for code in &mut admin.filters.recovery_codes {
            code.secret = redact_opt(&code.secret);
        }
        admin
    }
}

/// Options of an administrator (reference `AdminFilters`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdminFilters {
    /// Only clients from these networks (CIDR) may log in.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub allow_list: Vec<String>,
    /// An API key may impersonate this admin.
    #[serde(skip_serializing_if = "is_default")]
    pub allow_api_key_auth: bool,
    /// The password must be changed at the next login.
    #[serde(skip_serializing_if = "is_default")]
    pub require_password_change: bool,
    /// Two-factor authentication is required. Always written.
    pub require_two_factor: bool,
    /// TOTP configuration. Always written.
    pub totp_config: AdminTotpConfig,
    /// Two-factor recovery codes.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub recovery_codes: Vec<RecoveryCode>,
    /// WebAdmin preferences. Always written.
    pub preferences: AdminPreferences,
}

/// TOTP configuration of an admin (reference `AdminTOTPConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdminTotpConfig {
    /// TOTP is enabled.
    #[serde(skip_serializing_if = "is_default")]
    pub enabled: bool,
    /// Name of a TOTP configuration of the server.
    #[serde(skip_serializing_if = "is_default")]
    pub config_name: String,
    /// Shared TOTP secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
}

/// WebAdmin preferences (reference `AdminPreferences`); not enforced server side.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdminPreferences {
    /// Bitmask of user page sections to hide: 1 groups, 2 filesystem, 4 virtual folders, 8 profile, 16 ACLs,
    /// 32 quota and bandwidth, 64 advanced.
    #[serde(skip_serializing_if = "is_default")]
    pub hide_user_page_sections: i32,
    /// Default expiration of new users, days (0 = none).
    #[serde(skip_serializing_if = "is_default")]
    pub default_users_expiration: i64,
}

/// A group preselected for new users (reference `AdminGroupMapping`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdminGroupMapping {
    /// Group name.
    pub name: String,
    /// How the group is added. Always written.
    pub options: AdminGroupMappingOptions,
}

/// Options of an [`AdminGroupMapping`] (reference `AdminGroupMappingOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdminGroupMappingOptions {
    /// [`ADD_TO_USERS_AS_MEMBERSHIP`], [`ADD_TO_USERS_AS_PRIMARY`] or [`ADD_TO_USERS_AS_SECONDARY`].
    #[serde(skip_serializing_if = "is_default")]
    pub add_to_users_as: i32,
}
