//! Per-user restrictions: the reference schemas `BaseUserFilters` (also used by groups) and `UserFilters`.
//!
//! `UserFilters` is `BaseUserFilters` plus a few user-only fields. The reference composes them with `allOf`
//! (a flat JSON object); serde's `flatten` cannot be combined with `deny_unknown_fields`, so both structs are
//! generated from one field list by a macro and [`UserFilters::base`] / `From<BaseUserFilters>` convert.

use serde::{Deserialize, Serialize};

use crate::secret::{Secret, redact_opt};
use crate::serde_util::{is_default, nullable};

/// Declares `BaseUserFilters` with the shared fields and `UserFilters` with the shared plus the extra fields.
macro_rules! user_filter_structs {
    (
        shared { $( $(#[$sm:meta])* $sf:ident : $st:ty, )* }
        extra { $( $(#[$em:meta])* $ef:ident : $et:ty, )* }
    ) => {
        /// Restrictions shared by users and group user settings (reference `BaseUserFilters`).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(default, deny_unknown_fields)]
        pub struct BaseUserFilters {
            $( $(#[$sm])* pub $sf: $st, )*
        }

        /// Restrictions and options of a user (reference `UserFilters` = `BaseUserFilters` + user-only fields).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(default, deny_unknown_fields)]
        pub struct UserFilters {
            $( $(#[$sm])* pub $sf: $st, )*
            $( $(#[$em])* pub $ef: $et, )*
        }

        impl UserFilters {
            /// The shared part, as a group would define it.
            pub fn base(&self) -> BaseUserFilters {
                BaseUserFilters { $( $sf: self.$sf.clone(), )* }
            }
        }

        impl From<BaseUserFilters> for UserFilters {
            fn from(base: BaseUserFilters) -> Self {
                Self { $( $sf: base.$sf, )* ..Self::default() }
            }
        }
    };
}

user_filter_structs! {
    shared {
        /// Only clients from these networks (CIDR) may log in.
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        allowed_ip: Vec<String>,
        /// Clients from these networks (CIDR) may not log in; checked before `allowed_ip`.
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        denied_ip: Vec<String>,
        /// Login methods that are not allowed (see [`crate::LOGIN_METHODS`]).
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        denied_login_methods: Vec<String>,
        /// Protocols that are not allowed (see [`crate::PROTOCOLS`]).
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        denied_protocols: Vec<String>,
        /// Shell-pattern filters per directory.
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        file_patterns: Vec<PatternsFilter>,
        /// Maximum size of one uploaded file, bytes (0 = unlimited).
        #[serde(skip_serializing_if = "is_default")]
        max_upload_file_size: i64,
        /// TLS certificate field used as username: `""`, `None` or `CommonName`.
        #[serde(skip_serializing_if = "is_default")]
        tls_username: String,
        /// PEM certificates accepted for TLS client authentication. The OpenAPI schema lists this field under
        /// `UserFilters` only, but the reference code keeps it in the shared part (and clears it for groups).
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        tls_certs: Vec<String>,
        /// Per-user hook overrides. Always written, like the reference.
        hooks: HooksFilter,
        /// Skip the existence checks and creation of the home and folder directories at login.
        #[serde(skip_serializing_if = "is_default")]
        disable_fs_checks: bool,
        /// WebClient / user REST API restrictions (see [`crate::WEB_CLIENT_OPTIONS`]).
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        web_client: Vec<String>,
        /// An API key may impersonate this user.
        #[serde(skip_serializing_if = "is_default")]
        allow_api_key_auth: bool,
        /// Hint for authentication plugins: `""`, `LDAPUser` or `OSUser`.
        #[serde(skip_serializing_if = "is_default")]
        user_type: String,
        /// Per-source bandwidth limits.
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        bandwidth_limits: Vec<BandwidthLimit>,
        /// Cache time, seconds, for users authenticated by the external auth hook (0 = no cache).
        #[serde(skip_serializing_if = "is_default")]
        external_auth_cache_time: i64,
        /// Initial directory instead of `/`.
        #[serde(skip_serializing_if = "is_default")]
        start_directory: String,
        /// Protocols that require two-factor authentication (see [`crate::MFA_PROTOCOLS`]).
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        two_factor_protocols: Vec<String>,
        /// `1` requires TLS on FTP control and data connections.
        #[serde(skip_serializing_if = "is_default")]
        ftp_security: i32,
        /// Anonymous user (FTP/WebDAV, any password, read-only).
        #[serde(skip_serializing_if = "is_default")]
        is_anonymous: bool,
        /// Default expiration of new shares, days (0 = none).
        #[serde(skip_serializing_if = "is_default")]
        default_shares_expiration: i64,
        /// Maximum share expiration, days (0 = any).
        #[serde(skip_serializing_if = "is_default")]
        max_shares_expiration: i64,
        /// Password lifetime, days (0 = no expiration).
        #[serde(skip_serializing_if = "is_default")]
        password_expiration: i64,
        /// Minimum password entropy (0 = disabled).
        #[serde(skip_serializing_if = "is_default")]
        password_strength: i64,
        /// Time windows in which login is allowed (empty = always).
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        access_time: Vec<TimePeriod>,
    }
    extra {
        /// The password must be changed at the next WebClient/REST login.
        #[serde(skip_serializing_if = "is_default")]
        require_password_change: bool,
        /// Additional e-mail addresses.
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        additional_emails: Vec<String>,
        /// TOTP configuration. Always written, like the reference.
        totp_config: UserTotpConfig,
        /// Two-factor recovery codes.
        #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
        recovery_codes: Vec<RecoveryCode>,
    }
}

impl UserFilters {
    /// The form shown in API responses: TOTP and recovery code secrets redacted.
    pub fn redacted(&self) -> Self {
        let mut filters = self.clone();
        filters.totp_config.secret = redact_opt(&filters.totp_config.secret);
        for code in &mut filters.recovery_codes {
            code.secret = redact_opt(&code.secret);
        }
        filters
    }
}

/// Shell-pattern filter for one directory (reference `PatternsFilter`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PatternsFilter {
    /// Absolute virtual directory; applies to sub-directories without their own filter.
    pub path: String,
    /// Case-insensitive patterns that are allowed (evaluated first).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub allowed_patterns: Vec<String>,
    /// Case-insensitive patterns that are denied.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub denied_patterns: Vec<String>,
    /// `0`: denied entries are listed but blocked; `1`: they are also hidden.
    #[serde(skip_serializing_if = "is_default")]
    pub deny_policy: i32,
}

/// Per-user hook overrides (reference `HooksFilter`); every field is always written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HooksFilter {
    /// Do not run the external auth hook for this user.
    pub external_auth_disabled: bool,
    /// Do not run the pre-login hook for this user.
    pub pre_login_disabled: bool,
    /// Do not run the check-password hook for this user.
    pub check_password_disabled: bool,
}

/// Bandwidth limit for clients from some networks (reference `BandwidthLimit`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BandwidthLimit {
    /// Source networks (CIDR). Always written.
    #[serde(deserialize_with = "nullable")]
    pub sources: Vec<String>,
    /// Upload limit, KB/s (0 = unlimited).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_bandwidth: i64,
    /// Download limit, KB/s (0 = unlimited).
    #[serde(skip_serializing_if = "is_default")]
    pub download_bandwidth: i64,
}

/// A weekly time window (reference `TimePeriod`).
///
/// Like the reference, `day_of_week` 0 (Sunday) is left out of the output and read back as 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TimePeriod {
    /// 0 Sunday … 6 Saturday.
    #[serde(skip_serializing_if = "is_default")]
    pub day_of_week: i32,
    /// Start, `HH:MM`.
    #[serde(skip_serializing_if = "is_default")]
    pub from: String,
    /// End, `HH:MM`, after `from`.
    #[serde(skip_serializing_if = "is_default")]
    pub to: String,
}

/// TOTP configuration of a user (reference `UserTOTPConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UserTotpConfig {
    /// TOTP is enabled.
    #[serde(skip_serializing_if = "is_default")]
    pub enabled: bool,
    /// Name of a TOTP configuration of the server.
    #[serde(skip_serializing_if = "is_default")]
    pub config_name: String,
    /// Shared TOTP secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// Protocols that ask for the passcode (see [`crate::MFA_PROTOCOLS`]).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<String>,
}

/// A two-factor recovery code (reference `RecoveryCode`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RecoveryCode {
    /// The code, encrypted. Always written (`null` when absent), like the reference.
    pub secret: Option<Secret>,
    /// The code has been used.
    #[serde(skip_serializing_if = "is_default")]
    pub used: bool,
}
