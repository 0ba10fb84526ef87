//! Storage backend configuration: the reference schema `FilesystemConfig` and its per-provider sections.
//!
//! As in the reference, every section is always present in the output (an unused one is `{}`), and inside a
//! section every field is left out when it holds its zero value. Secrets are `Option<Secret>`: absent (`None`) is
//! left out, a present but empty secret is written as `{}`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::{Secret, redact_opt};
use crate::serde_util::{is_default, nullable};

/// Storage backend of a user, group or folder (`filesystem.provider`, an integer in JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum FsProvider {
    /// `0`: local filesystem.
    #[default]
    Local,
    /// `1`: S3 compatible object storage.
    S3,
    /// `2`: Google Cloud Storage.
    Gcs,
    /// `3`: Azure Blob Storage.
    AzBlob,
    /// `4`: local filesystem, encrypted.
    Crypt,
    /// `5`: another SFTP server.
    Sftp,
    /// `6`: HTTP filesystem (the reference "HTTPFs" contract).
    Http,
}

impl FsProvider {
    /// Every provider, in code order.
    pub const ALL: [Self; 7] = [
        Self::Local,
        Self::S3,
        Self::Gcs,
        Self::AzBlob,
        Self::Crypt,
        Self::Sftp,
        Self::Http,
    ];

    /// The integer used in JSON and in the database.
    pub fn code(self) -> i64 {
        match self {
            Self::Local => 0,
            Self::S3 => 1,
            Self::Gcs => 2,
            Self::AzBlob => 3,
            Self::Crypt => 4,
            Self::Sftp => 5,
            Self::Http => 6,
        }
    }
}

/// The integer is not a known filesystem provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid filesystem provider {0}, expected 0 (local), 1 (S3), 2 (GCS), 3 (Azure Blob), 4 (encrypted local), 5 (SFTP) or 6 (HTTP)"
)]
pub struct InvalidFsProvider(pub i64);

impl schemars::JsonSchema for FsProvider {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FsProvider".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "enum": [0, 1, 2, 3, 4, 5, 6],
            "description": "0 local, 1 S3, 2 Google Cloud Storage, 3 Azure Blob, 4 encrypted local, 5 SFTP, 6 HTTP"
        })
    }
}

impl TryFrom<i64> for FsProvider {
    type Error = InvalidFsProvider;

    fn try_from(code: i64) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .ok_or(InvalidFsProvider(code))
    }
}

impl From<FsProvider> for i64 {
    fn from(provider: FsProvider) -> Self {
        provider.code()
    }
}

impl fmt::Display for FsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Local => "local",
            Self::S3 => "S3",
            Self::Gcs => "GCS",
            Self::AzBlob => "Azure Blob",
            Self::Crypt => "encrypted local",
            Self::Sftp => "SFTP",
            Self::Http => "HTTP",
        })
    }
}

/// Storage configuration (reference `FilesystemConfig`). Only the section matching `provider` is used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FilesystemConfig {
    /// Which backend serves the files.
    pub provider: FsProvider,
    /// Local filesystem options.
    pub osconfig: OsFsConfig,
    /// S3 options.
    pub s3config: S3Config,
    /// Google Cloud Storage options.
    pub gcsconfig: GcsConfig,
    /// Azure Blob Storage options.
    pub azblobconfig: AzBlobConfig,
    /// Encrypted local filesystem options.
    pub cryptconfig: CryptFsConfig,
    /// SFTP backend options.
    pub sftpconfig: SftpFsConfig,
    /// HTTP backend options.
    pub httpconfig: HttpFsConfig,
}

impl FilesystemConfig {
    /// The form shown in API responses: every secret goes through [`Secret::redacted`], empty secrets are
    /// removed.
    pub fn redacted(&self) -> Self {
        let mut fs = self.clone();
        for secret in fs.secrets_mut() {
            *secret = redact_opt(secret);
        }
        fs
    }

    /// Every secret slot of every section, for redaction or re-encryption.
    pub fn secrets_mut(&mut self) -> [&mut Option<Secret>; 11] {
        [
            &mut self.s3config.access_secret,
            &mut self.s3config.sse_customer_key,
            &mut self.gcsconfig.credentials,
            &mut self.azblobconfig.account_key,
            &mut self.azblobconfig.sas_url,
            &mut self.cryptconfig.passphrase,
            &mut self.sftpconfig.password,
            &mut self.sftpconfig.private_key,
            &mut self.sftpconfig.key_passphrase,
            &mut self.httpconfig.password,
            &mut self.httpconfig.api_key,
        ]
    }
}

/// Local filesystem options (reference `OSFsConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OsFsConfig {
    /// Read buffer for downloads, MB (0-10, 0 = unbuffered).
    #[serde(skip_serializing_if = "is_default")]
    pub read_buffer_size: i64,
    /// Write buffer for uploads, MB (0-10, 0 = unbuffered).
    #[serde(skip_serializing_if = "is_default")]
    pub write_buffer_size: i64,
}

/// S3 compatible object storage options (reference `S3Config`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Bucket name.
    #[serde(skip_serializing_if = "is_default")]
    pub bucket: String,
    /// Chroot-like key prefix, normalised to `dir/sub/` (no leading, one trailing slash).
    #[serde(skip_serializing_if = "is_default")]
    pub key_prefix: String,
    /// Region.
    #[serde(skip_serializing_if = "is_default")]
    pub region: String,
    /// Static access key ID; empty to use the default credential chain.
    #[serde(skip_serializing_if = "is_default")]
    pub access_key: String,
    /// Optional IAM role to assume.
    #[serde(skip_serializing_if = "is_default")]
    pub role_arn: String,
    /// Optional STS session token.
    #[serde(skip_serializing_if = "is_default")]
    pub session_token: String,
    /// Optional endpoint for non-AWS services.
    #[serde(skip_serializing_if = "is_default")]
    pub endpoint: String,
    /// Storage class for uploads.
    #[serde(skip_serializing_if = "is_default")]
    pub storage_class: String,
    /// Canned ACL for uploads.
    #[serde(skip_serializing_if = "is_default")]
    pub acl: String,
    /// Multipart upload part size, MB (0 = SDK default of 5).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_part_size: i64,
    /// Parts uploaded in parallel (0 = 5).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_concurrency: i64,
    /// Multipart download part size, MB (0 = 5).
    #[serde(skip_serializing_if = "is_default")]
    pub download_part_size: i64,
    /// Max seconds per uploaded part (0 = no timeout).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_part_max_time: i64,
    /// Parts downloaded in parallel (0 = 5).
    #[serde(skip_serializing_if = "is_default")]
    pub download_concurrency: i64,
    /// Max seconds per downloaded part (0 = no timeout).
    #[serde(skip_serializing_if = "is_default")]
    pub download_part_max_time: i64,
    /// Use path-style addressing.
    #[serde(skip_serializing_if = "is_default")]
    pub force_path_style: bool,
    /// Skip TLS certificate verification (written by the reference code, not listed in its OpenAPI schema).
    #[serde(skip_serializing_if = "is_default")]
    pub skip_tls_verify: bool,
    /// Secret access key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_secret: Option<Secret>,
    /// SSE-C customer key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sse_customer_key: Option<Secret>,
}

/// Google Cloud Storage options (reference `GCSConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GcsConfig {
    /// Bucket name.
    #[serde(skip_serializing_if = "is_default")]
    pub bucket: String,
    /// Chroot-like key prefix.
    #[serde(skip_serializing_if = "is_default")]
    pub key_prefix: String,
    /// `0`: explicit `credentials`; `1`: Application Default Credentials.
    #[serde(skip_serializing_if = "is_default")]
    pub automatic_credentials: i32,
    /// Storage class for uploads.
    #[serde(skip_serializing_if = "is_default")]
    pub storage_class: String,
    /// Predefined ACL for uploads.
    #[serde(skip_serializing_if = "is_default")]
    pub acl: String,
    /// Upload chunk size, MB (0 = 16).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_part_size: i64,
    /// Max seconds per uploaded chunk (0 = 32).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_part_max_time: i64,
    /// Service account JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Secret>,
}

/// Azure Blob Storage options (reference `AzureBlobFsConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AzBlobConfig {
    /// Container name.
    #[serde(skip_serializing_if = "is_default")]
    pub container: String,
    /// Storage account name; empty when `sas_url` is used.
    #[serde(skip_serializing_if = "is_default")]
    pub account_name: String,
    /// Endpoint (default `blob.core.windows.net`; the emulator needs a scheme).
    #[serde(skip_serializing_if = "is_default")]
    pub endpoint: String,
    /// Chroot-like key prefix.
    #[serde(skip_serializing_if = "is_default")]
    pub key_prefix: String,
    /// Upload block size, MB (0 = 5).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_part_size: i64,
    /// Blocks uploaded in parallel (0 = 5).
    #[serde(skip_serializing_if = "is_default")]
    pub upload_concurrency: i64,
    /// Download chunk size, MB (0 = 5).
    #[serde(skip_serializing_if = "is_default")]
    pub download_part_size: i64,
    /// Chunks downloaded in parallel (0 = 5).
    #[serde(skip_serializing_if = "is_default")]
    pub download_concurrency: i64,
    /// Talk to the Azurite emulator.
    #[serde(skip_serializing_if = "is_default")]
    pub use_emulator: bool,
    /// Access tier for uploads: `""`, `Archive`, `Hot` or `Cool`.
    #[serde(skip_serializing_if = "is_default")]
    pub access_tier: String,
    /// Storage account key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_key: Option<Secret>,
    /// Shared access signature URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sas_url: Option<Secret>,
}

/// Encrypted local filesystem options (reference `CryptFsConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CryptFsConfig {
    /// Read buffer for downloads, MB (0-10).
    #[serde(skip_serializing_if = "is_default")]
    pub read_buffer_size: i64,
    /// Write buffer for uploads, MB (0-10).
    #[serde(skip_serializing_if = "is_default")]
    pub write_buffer_size: i64,
    /// Master passphrase the per-file keys are derived from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<Secret>,
}

/// SFTP backend options (reference `SFTPFsConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SftpFsConfig {
    /// Remote `host:port`.
    #[serde(skip_serializing_if = "is_default")]
    pub endpoint: String,
    /// Remote username.
    #[serde(skip_serializing_if = "is_default")]
    pub username: String,
    /// SHA256 host key fingerprints; empty means the host key is not verified.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<String>,
    /// Remote directory all paths are confined to.
    #[serde(skip_serializing_if = "is_default")]
    pub prefix: String,
    /// Disable concurrent reads (for servers that delete files once read).
    #[serde(skip_serializing_if = "is_default")]
    pub disable_concurrent_reads: bool,
    /// Transfer buffer, MB (0-16, 0 = disabled).
    #[serde(skip_serializing_if = "is_default")]
    pub buffer_size: i64,
    /// `0`: username and endpoint must match for two configs to be the same server; `1`: endpoint only.
    #[serde(skip_serializing_if = "is_default")]
    pub equality_check_mode: i32,
    /// Password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// Private key (tried before the password).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<Secret>,
    /// Passphrase of the private key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_passphrase: Option<Secret>,
}

/// HTTP backend options (reference `HTTPFsConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HttpFsConfig {
    /// Base URL of the HTTPFs API.
    #[serde(skip_serializing_if = "is_default")]
    pub endpoint: String,
    /// Basic auth username.
    #[serde(skip_serializing_if = "is_default")]
    pub username: String,
    /// Skip TLS certificate verification.
    #[serde(skip_serializing_if = "is_default")]
    pub skip_tls_verify: bool,
    /// `0`: username and endpoint must match for two configs to be the same server; `1`: endpoint only.
    #[serde(skip_serializing_if = "is_default")]
    pub equality_check_mode: i32,
    /// Basic auth password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// API key sent as `X-API-KEY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
}
