//! Decoding API bodies and backups with errors that name the offending field.

use serde::de::DeserializeOwned;

/// A JSON document could not be decoded into the expected type.
///
/// `field` is the path of the offending value in the style `filters.denied_protocols[0]` (object keys joined
/// with `.`, array indices in brackets, map keys such as permission paths written as-is:
/// `permissions./dir[1]`). For an unknown key the path ends with that key; for a syntax error or a document of
/// the wrong type it is empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.field, .message))]
pub struct FieldError {
    /// Path of the offending field (empty for document-level errors).
    pub field: String,
    /// What is wrong, as reported by the decoder (includes line and column).
    pub message: String,
}

impl FieldError {
    /// True if the error is a key the type does not have (usually a typo).
    pub fn is_unknown_field(&self) -> bool {
        self.message.starts_with("unknown field")
    }
}

fn render(field: &str, message: &str) -> String {
    if field.is_empty() {
        format!("invalid document: {message}")
    } else if message.starts_with("unknown field") {
        format!("unknown field \"{field}\"")
    } else {
        format!("invalid field \"{field}\": {message}")
    }
}

/// Decodes `bytes` as `T`, reporting the path of the first offending field.
///
/// # Errors
///
/// [`FieldError`] if `bytes` is not valid JSON, has a key `T` does not know, or a value of the wrong type or
/// out of range (for example a `filesystem.provider` other than 0-6).
///
/// Like every serde-derived type, an object type also accepts a JSON array of its fields in declaration order
/// (`[1, 1, "alice"]` as a user); the reference would refuse it. Nobody sends that by accident, so it is left
/// as is.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, FieldError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        FieldError {
            field: clean_path(&path),
            message,
        }
    })?;
    deserializer.end().map_err(|err| FieldError {
        field: String::new(),
        message: err.to_string(),
    })?;
    Ok(value)
}

/// Drops the placeholders `serde_path_to_error` uses for the document root (`.`) and unknown positions (`?`).
fn clean_path(path: &str) -> String {
    let trimmed = path.trim_end_matches(".?");
    match trimmed {
        "." | "?" => String::new(),
        other => other.to_owned(),
    }
}
