//! Unit tests of the whole crate: defaults, file formats, environment overrides, validation, and the
//! documentation being in step with the structs.

mod defaults;
mod docs;
mod env;
mod formats;
mod validate;

use std::path::PathBuf;

use tempfile::TempDir;

use crate::{Config, ConfigError, load};

/// Environment pairs from string slices.
fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A temporary directory holding one file `name` with `text`; the directory lives as long as the result.
fn file(name: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write config file");
    (dir, path)
}

/// Loads `text` written to a file called `name`, with the environment `env`.
fn load_text(name: &str, text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let (_dir, path) = file(name, text);
    load(Some(&path), vars(env))
}

/// Loads with no file and the environment `env`.
fn load_env(env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    load(None, vars(env))
}

/// The message of an error that must occur.
fn error_text<T: std::fmt::Debug>(result: Result<T, ConfigError>) -> String {
    result.expect_err("an error").to_string()
}
