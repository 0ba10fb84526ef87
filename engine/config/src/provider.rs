//! The `data_provider` section: where users, admins and quotas are stored, and how passwords are hashed.

use serde::{Deserialize, Serialize};

/// The data provider drivers [`DataProviderConfig::driver`] accepts.
pub(crate) const DRIVERS: [&str; 4] = ["sqlite", "postgresql", "mysql", "memory"];

/// The password hashing algorithms [`PasswordHashing::algo`] accepts.
pub(crate) const HASH_ALGOS: [&str; 2] = ["argon2id", "bcrypt"];

/// The `data_provider` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataProviderConfig {
    /// Storage driver: `"sqlite"`, `"postgresql"`, `"mysql"` or `"memory"` (nothing persisted; for tests and
    /// demos). Default: `"sqlite"`.
    pub driver: String,
    /// For `sqlite` the database file, relative to the configuration directory unless absolute; for
    /// `postgresql` and `mysql` the database name. Default: `"ringway.db"`.
    pub name: String,
    /// Database server host name or address (`postgresql`, `mysql`). Default: `""`.
    pub host: String,
    /// Database server port; 0 uses the driver's default port. Default: 0.
    pub port: u16,
    /// Database user name. Default: `""`.
    pub username: String,
    /// Database password; prefer `password_file` so the secret is not in the configuration. Default: `""`.
    pub password: String,
    /// File holding the database password; when set, the password is read from it instead of `password`.
    /// Default: `""`.
    pub password_file: String,
    /// TLS to the database server, with SFTPGo's values: 0 disable, 1 require, 2 verify-ca, 3 verify-full,
    /// 4 prefer, 5 allow. Default: 0.
    pub sslmode: u8,
    /// Complete driver connection string; when set, it replaces `name`, `host`, `port`, `username`, `password`
    /// and `sslmode`. Default: `""`.
    pub connection_string: String,
    /// Prefix added to the name of every table, so several instances can share one database. Default: `""`.
    pub sql_tables_prefix: String,
    /// Quota tracking: 0 disabled, 1 always, 2 only for users with a quota limit (and folders). Default: 2.
    pub track_quota: u8,
    /// Maximum open database connections; 0 uses the driver's default. Default: 0.
    pub pool_size: u32,
    /// A user created without a home directory gets this directory joined with the user name; empty means a
    /// home directory must be given. Default: `""`.
    pub users_base_dir: String,
    /// The first admin is created at start, when none exists, whenever both `RINGWAY_DEFAULT_ADMIN_USERNAME`
    /// and `RINGWAY_DEFAULT_ADMIN_PASSWORD` are set; `true` makes a missing variable an error at start.
    /// Default: `false`.
    pub create_default_admin: bool,
    /// Directory for `/api/v2/dumpdata` and `/api/v2/loaddata` backups, relative to the configuration
    /// directory unless absolute. Default: `"backups"`.
    pub backups_path: String,
    /// How new passwords are hashed.
    pub password_hashing: PasswordHashing,
    /// Cache successful password verifications in memory, so repeated logins skip the expensive hash.
    /// Default: `true`.
    pub password_caching: bool,
}

impl Default for DataProviderConfig {
    fn default() -> Self {
        Self {
            driver: "sqlite".to_owned(),
            name: "ringway.db".to_owned(),
            host: String::new(),
            port: 0,
            username: String::new(),
            password: String::new(),
            password_file: String::new(),
            sslmode: 0,
            connection_string: String::new(),
            sql_tables_prefix: String::new(),
            track_quota: 2,
            pool_size: 0,
            users_base_dir: String::new(),
            create_default_admin: false,
            backups_path: "backups".to_owned(),
            password_hashing: PasswordHashing::default(),
            password_caching: true,
        }
    }
}

/// `data_provider.password_hashing`: the algorithm and parameters for new password hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordHashing {
    /// `"argon2id"` or `"bcrypt"`. Default: `"argon2id"` (SFTPGo's is `"bcrypt"`).
    pub algo: String,
    /// Parameters used when `algo` is `"argon2id"`.
    pub argon2_options: Argon2Options,
    /// Parameters used when `algo` is `"bcrypt"`.
    pub bcrypt_options: BcryptOptions,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        Self {
            algo: "argon2id".to_owned(),
            argon2_options: Argon2Options::default(),
            bcrypt_options: BcryptOptions::default(),
        }
    }
}

/// `data_provider.password_hashing.argon2_options`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Options {
    /// Memory per hash in KiB; at least 8 × `parallelism`. Default: 65536 (64 MiB).
    pub memory: u32,
    /// Number of passes over the memory; at least 1. Default: 1.
    pub iterations: u32,
    /// Number of lanes; at least 1. Default: 2.
    pub parallelism: u32,
}

impl Default for Argon2Options {
    fn default() -> Self {
        Self {
            memory: 65536,
            iterations: 1,
            parallelism: 2,
        }
    }
}

/// `data_provider.password_hashing.bcrypt_options`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BcryptOptions {
    /// Work factor, the base-2 logarithm of the number of rounds; between 4 and 31. Default: 10.
    pub cost: u32,
}

impl Default for BcryptOptions {
    fn default() -> Self {
        Self { cost: 10 }
    }
}
