//! Finding and reading the configuration file, and the [`load`] pipeline: file → tree → environment → typed
//! [`Config`] → validation.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::env::{self, Applied};
use crate::{Config, ConfigError, Origin};

/// The file names [`find_config_file`] looks for, in order of preference.
pub const CONFIG_FILE_NAMES: [&str; 4] = [
    "ringway.toml",
    "ringway.yaml",
    "ringway.yml",
    "ringway.json",
];

/// A configuration file format, chosen from the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// `.toml`
    Toml,
    /// `.yaml` or `.yml`
    Yaml,
    /// `.json`
    Json,
}

impl FileFormat {
    /// The format for `path` from its extension (case-insensitive), `None` for any other extension.
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "toml" => Some(Self::Toml),
            "yaml" | "yml" => Some(Self::Yaml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// Parses `text` in this format into a generic tree. Blank text is an empty table; a top level other than a
    /// table is an error.
    fn parse(self, text: &str) -> Result<Value, String> {
        if text.trim().is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        let tree: Value = match self {
            Self::Toml => toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?,
            Self::Yaml => serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?,
            Self::Json => serde_json::from_str(text).map_err(|e| e.to_string())?,
        };
        match tree {
            Value::Object(_) => Ok(tree),
            // A YAML document holding only comments.
            Value::Null => Ok(Value::Object(Map::new())),
            other => Err(format!(
                "the top level must be a table of sections, found {}",
                kind(&other)
            )),
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Toml => "TOML",
            Self::Yaml => "YAML",
            Self::Json => "JSON",
        })
    }
}

/// Looks in `dir` for `ringway.toml`, `ringway.yaml`, `ringway.yml` and `ringway.json`, in that order, and
/// returns the first that exists as a file. `None` when there is none; ringway then runs on defaults and
/// environment overrides.
#[must_use]
pub fn find_config_file(dir: &Path) -> Option<PathBuf> {
    CONFIG_FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// Builds the configuration from an optional file and environment variables, then validates it.
///
/// `file` is read and parsed in the format its extension names (see [`FileFormat`]); with `None` every key takes
/// its default. `env` is the environment as name/value pairs, usually [`process_env`](crate::process_env);
/// variables named `RINGWAY_<SECTION>__<KEY>` override the file (see the crate's `docs/configuration.md` for the
/// rules). Relative paths inside the configuration are returned as written; resolving them against the
/// configuration directory is the caller's job.
///
/// # Errors
///
/// - [`ConfigError::UnsupportedFormat`] if the file's extension is not `.toml`, `.yaml`, `.yml` or `.json`;
/// - [`ConfigError::Read`] if the file cannot be read;
/// - [`ConfigError::Parse`] if it is not well-formed or its top level is not a table;
/// - [`ConfigError::Env`] if a `RINGWAY_…__…` variable names no key or has a value that cannot be converted;
/// - [`ConfigError::Invalid`] if a key is unknown, has the wrong type, or fails [`Config::validate`]; the error
///   names the key path and, when known, the file or variable the value came from.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut tree = match file {
        Some(path) => read_tree(path)?,
        None => Value::Object(Map::new()),
    };
    let from_file = tree.clone();
    let applied = env::apply(&mut tree, env)?;
    let origin = |key: &str| origin_of(key, &applied, file, &from_file);

    let config: Config = serde_path_to_error::deserialize(tree).map_err(|err| {
        let key = err.path().to_string();
        let message = err.into_inner().to_string();
        let origin = origin(&key);
        ConfigError::Invalid {
            key,
            message,
            origin,
        }
    })?;
    config.validate().map_err(|err| match err {
        ConfigError::Invalid {
            key,
            message,
            origin: Origin::Unknown,
        } => {
            let origin = origin(&key);
            ConfigError::Invalid {
                key,
                message,
                origin,
            }
        }
        other => other,
    })?;
    Ok(config)
}

/// Reads and parses the configuration file at `path`.
fn read_tree(path: &Path) -> Result<Value, ConfigError> {
    let format = FileFormat::from_path(path).ok_or_else(|| ConfigError::UnsupportedFormat {
        path: path.to_owned(),
    })?;
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    format.parse(&text).map_err(|message| ConfigError::Parse {
        path: path.to_owned(),
        format,
        message,
    })
}

/// Where the value at `key` came from: the environment variable that set it (or the list it is an item of), else
/// the file if the file has the key, else unknown (a default).
fn origin_of(key: &str, applied: &[Applied], file: Option<&Path>, from_file: &Value) -> Origin {
    if let Some(applied) = applied.iter().rev().find(|a| covers(&a.key, key)) {
        return Origin::Env(applied.var.clone());
    }
    match file {
        Some(path) if lookup(from_file, key).is_some() => Origin::File(path.to_owned()),
        _ => Origin::Unknown,
    }
}

/// Whether `inner` is `outer` or a key below it (`a.b` covers `a.b`, `a.b.c` and `a.b[0]`, not `a.bc`).
fn covers(outer: &str, inner: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The value at a key path in the reference style (`sftpd.bindings[0].port`), if the tree has it.
fn lookup<'a>(tree: &'a Value, key: &str) -> Option<&'a Value> {
    let mut node = tree;
    for part in key.split('.') {
        let (name, indices) = part
            .split_once('[')
            .map_or((part, ""), |(name, rest)| (name, rest));
        if !name.is_empty() {
            node = node.as_object()?.get(name)?;
        }
        for index in indices.split('[').filter(|s| !s.is_empty()) {
            let index: usize = index.strip_suffix(']')?.parse().ok()?;
            node = node.as_array()?.get(index)?;
        }
    }
    Some(node)
}

/// A word for the JSON type of `value`, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}
