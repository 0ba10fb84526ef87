//! Secrets as stored by the reference KMS layer, and a string wrapper that keeps credentials out of logs.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::serde_util::is_default;

/// `Secret.status` of a secret sent in clear text, to be encrypted before it is stored.
pub const SECRET_STATUS_PLAIN: &str = "Plain";
/// `Secret.status` of a secret encrypted with the built-in local key (AES-256-GCM).
pub const SECRET_STATUS_AES_256_GCM: &str = "AES-256-GCM";
/// `Secret.status` of a secret encrypted with a locally provided key (NaCl secretbox).
pub const SECRET_STATUS_SECRETBOX: &str = "Secretbox";
/// `Secret.status` of a secret encrypted by Google Cloud KMS.
pub const SECRET_STATUS_GCP: &str = "GCP";
/// `Secret.status` of a secret encrypted by AWS KMS.
pub const SECRET_STATUS_AWS: &str = "AWS";
/// `Secret.status` of a secret encrypted by the Vault transit engine.
pub const SECRET_STATUS_VAULT_TRANSIT: &str = "VaultTransit";
/// `Secret.status` of a secret encrypted by Azure Key Vault.
pub const SECRET_STATUS_AZURE_KEY_VAULT: &str = "AzureKeyVault";
/// `Secret.status` in API input meaning "keep the stored value".
pub const SECRET_STATUS_REDACTED: &str = "Redacted";

/// An encrypted (or, in API input, plain) secret: the reference schema `Secret`.
///
/// `status` is kept as a string rather than an enum so that secrets written by a KMS plugin this crate does not
/// know about still round-trip. Every field is omitted from the JSON output when empty, as in the reference.
/// The `Debug` output never shows `payload`, `key` or `additional_data`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Secret {
    /// One of the `SECRET_STATUS_*` values; empty for an empty secret.
    #[serde(skip_serializing_if = "is_default")]
    pub status: String,
    /// Ciphertext (or the clear text when `status` is `Plain`).
    #[serde(skip_serializing_if = "is_default")]
    pub payload: String,
    /// Per-secret key material, itself protected by the KMS.
    #[serde(skip_serializing_if = "is_default")]
    pub key: String,
    /// Additional authenticated data (the reference uses the owner's name).
    #[serde(skip_serializing_if = "is_default")]
    pub additional_data: String,
    /// `1` when the secret is encrypted using a master key.
    #[serde(skip_serializing_if = "is_default")]
    pub mode: i32,
}

impl Secret {
    /// A secret carrying `payload` in clear text (status `Plain`), as an API client sends it.
    pub fn plain(payload: impl Into<String>) -> Self {
        Self {
            status: SECRET_STATUS_PLAIN.to_owned(),
            payload: payload.into(),
            ..Self::default()
        }
    }

    /// True if no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// True if the payload is clear text: status `Plain`, or no status but a payload.
    pub fn is_plain(&self) -> bool {
        self.status == SECRET_STATUS_PLAIN || (self.status.is_empty() && !self.payload.is_empty())
    }

    /// True if the status is `Redacted` (API input asking to keep the stored value).
    pub fn is_redacted(&self) -> bool {
        self.status == SECRET_STATUS_REDACTED
    }

    /// The form shown in API responses.
    ///
    /// Like the reference (`Secret.Hide`), an encrypted secret keeps its status, ciphertext and mode but loses
    /// `key` and `additional_data`, so a client can send it back unchanged to keep it. A clear-text secret
    /// (which the reference never stores, but a caller might hold before encryption) becomes
    /// `{"status": "Redacted"}` so its payload is never shown.
    pub fn redacted(&self) -> Self {
        if self.is_plain() {
            return Self {
                status: SECRET_STATUS_REDACTED.to_owned(),
                ..Self::default()
            };
        }
        Self {
            status: self.status.clone(),
            payload: self.payload.clone(),
            mode: self.mode,
            ..Self::default()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("status", &self.status)
            .field("payload", &Hidden(&self.payload))
            .field("key", &Hidden(&self.key))
            .field("additional_data", &Hidden(&self.additional_data))
            .field("mode", &self.mode)
            .finish()
    }
}

/// Redacts an optional secret for API output: empty secrets disappear (the reference sets them to nil before
/// rendering), others go through [`Secret::redacted`].
pub(crate) fn redact_opt(secret: &Option<Secret>) -> Option<Secret> {
    secret
        .as_ref()
        .filter(|s| !s.is_empty())
        .map(Secret::redacted)
}

/// A credential string (password hash, plain password in API input, API key hash).
///
/// It serialises as a plain JSON string and dereferences to `str`, but its `Debug` output is `"<redacted>"`
/// (or `""` when empty), so a `?user` in a log line does not leak it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Sensitive(String);

impl Sensitive {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The wrapped string.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Unwraps the string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl Deref for Sensitive {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for Sensitive {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Sensitive {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Hidden(&self.0).fmt(f)
    }
}

/// Debug helper: shows whether a string is set, never its content.
struct Hidden<'a>(&'a str);

impl fmt::Debug for Hidden<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("<redacted>")
        }
    }
}
