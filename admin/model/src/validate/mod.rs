//! Validation of users, groups, folders, admins, API keys and roles against the reference rules.
//!
//! `validate` methods check a value without changing it and report the first problem as a
//! [`ValidationError`] whose `field` uses the same path syntax as [`crate::FieldError`]
//! (`filters.denied_protocols[0]`, `permissions./dir`, `virtual_folders[1].quota_size`).
//!
//! The rules follow the reference's `validate` functions with two deliberate differences: values the reference
//! silently repairs (a negative bandwidth becomes 0, names are trimmed, `*` plus other permissions collapses to
//! `*`) are either reported or accepted as-is, never changed; and checks that need the data provider (does the
//! group exist, is the name unique) or the server configuration (TOTP config names, password strength) belong
//! to the caller.

mod checks;
mod filters;
mod names;
mod objects;

pub use names::validate_name;

/// A value breaks a validation rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid field \"{field}\": {message}")]
pub struct ValidationError {
    /// Path of the offending field, for example `filters.denied_protocols[0]`.
    pub field: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

impl ValidationError {
    /// An error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Result of a validation step.
type Check = Result<(), ValidationError>;

/// Joins a field name to a path prefix (`""` + `name` = `name`, `filters` + `name` = `filters.name`).
fn at(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// `field[index]`.
fn idx(field: &str, index: usize) -> String {
    format!("{field}[{index}]")
}

/// Fails with "must not be negative" if `value < 0`.
fn non_negative(field: impl FnOnce() -> String, value: i64) -> Check {
    if value < 0 {
        return Err(ValidationError::new(
            field(),
            format!("must not be negative, got {value}"),
        ));
    }
    Ok(())
}

/// Fails unless `value` is within `min..=max`.
fn in_range(field: impl FnOnce() -> String, value: i64, min: i64, max: i64) -> Check {
    if !(min..=max).contains(&value) {
        return Err(ValidationError::new(
            field(),
            format!("must be between {min} and {max}, got {value}"),
        ));
    }
    Ok(())
}

/// Fails unless every entry of `values` is one of `allowed`.
fn each_one_of(field: &str, values: &[String], allowed: &[&str]) -> Check {
    for (i, value) in values.iter().enumerate() {
        if !allowed.contains(&value.as_str()) {
            return Err(ValidationError::new(
                idx(field, i),
                format!("{value:?} is not one of {}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}
