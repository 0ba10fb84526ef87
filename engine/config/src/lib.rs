//! Typed ringway configuration: file formats, defaults, environment overrides and validation.
//!
//! This crate owns the one [`Config`] value the server starts from. It is built in a fixed order by [`load`]:
//! the optional file (TOML, YAML or JSON, chosen by extension) is parsed into a generic tree, the
//! `RINGWAY_<SECTION>__<KEY>` environment overrides are applied to that tree, the tree is deserialized into the
//! typed sections (every key missing from it takes the documented default) and finally [`Config::validate`] runs.
//!
//! Invariants:
//!
//! - Section and key names follow the reference product SFTPGo wherever the concept is the same, so an SFTPGo
//!   administrator recognises them; deliberate differences are documented on the fields (and in
//!   `docs/configuration.md`).
//! - Every struct rejects unknown keys, so a typo is an error, never a silently ignored setting.
//! - Every error names what to fix: the key path in the reference style (`sftpd.bindings[0].port`), the
//!   environment variable, or the file.
//! - A `Config` returned by [`load`] has passed [`Config::validate`]; a `Config` built by hand should be validated
//!   before use. [`Config::default`] is always valid.
//! - The crate does no I/O besides finding and reading the configuration file; it never resolves relative paths,
//!   opens sockets or reads the process environment on its own ([`process_env`] is the explicit opt-in).
//! - Secrets (`data_provider.password`, `httpd.signing_passphrase`) are plain fields, so the derived `Debug` and
//!   `Serialize` output contains them: never log a whole `Config`.
#![forbid(unsafe_code)]

mod env;
mod load;
mod model;
mod provider;
mod servers;
mod validate;

#[cfg(test)]
mod tests;

pub use env::{ENV_PREFIX, IGNORED_ENV_VARS, process_env};
pub use load::{CONFIG_FILE_NAMES, FileFormat, find_config_file, load};
pub use model::{CommonConfig, Config, EngineConfig, IoMode, TelemetryConfig};
pub use provider::{Argon2Options, BcryptOptions, DataProviderConfig, PasswordHashing};
pub use servers::{
    FtpdBinding, FtpdConfig, HttpdBinding, HttpdConfig, PassivePortRange, SftpdBinding,
    SftpdConfig, WebdavdBinding, WebdavdConfig,
};

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while loading or validating a configuration.
///
/// Each message names what to change: the file, the environment variable, or the key path in the reference
/// style (`sftpd.bindings[0].port`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// The configuration file has an extension other than `.toml`, `.yaml`, `.yml` or `.json`.
    #[error("config file {}: unsupported format, the name must end in .toml, .yaml, .yml or .json", path.display())]
    UnsupportedFormat {
        /// The file that was asked for.
        path: PathBuf,
    },
    /// The configuration file is not well-formed in its format, or its top level is not a table of sections.
    #[error("config file {} is not valid {format}: {message}", path.display())]
    Parse {
        /// The file that was read.
        path: PathBuf,
        /// The format chosen from the extension.
        format: FileFormat,
        /// The parser's message, with line and column where the parser gives them.
        message: String,
    },
    /// A `RINGWAY_…` environment variable does not name a configuration key or its value cannot be converted.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable as it was spelled in the environment.
        var: String,
        /// What is wrong with it.
        message: String,
    },
    /// A key has a value of the wrong type, an unknown name, or a value that fails validation.
    #[error("{key}: {message}{origin}")]
    Invalid {
        /// The key path in the reference style, e.g. `sftpd.bindings[0].port`.
        key: String,
        /// What is wrong with the value.
        message: String,
        /// Where the offending value came from, when known.
        origin: Origin,
    },
}

impl ConfigError {
    /// The key path an [`Invalid`](Self::Invalid) error is about, `None` for other errors.
    #[must_use]
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }

    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            message: message.into(),
            origin: Origin::Unknown,
        }
    }
}

/// Where a configuration value came from; shown after an [`ConfigError::Invalid`] message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Origin {
    /// Not known, e.g. when [`Config::validate`] is called on a value built in code.
    #[default]
    Unknown,
    /// The configuration file at this path.
    File(PathBuf),
    /// The environment variable with this name.
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown => Ok(()),
            Self::File(path) => write!(f, " (in {})", path.display()),
            Self::Env(var) => write!(f, " (set by environment variable {var})"),
        }
    }
}
