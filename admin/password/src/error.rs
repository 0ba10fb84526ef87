//! The crate's error type.

use crate::Scheme;

/// Why hashing or verifying a password failed.
///
/// No variant carries the stored hash or the password: an error can be logged as it is.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The stored value does not start with a supported prefix. `prefix` is the `$id$` or `{ID}` it starts
    /// with, when it looks like one; never the rest of the value.
    #[error(
        "unsupported password hash format{}",
        match prefix { Some(p) => format!(" {p:?}"), None => " (no recognised prefix)".to_owned() }
    )]
    UnsupportedFormat {
        /// The unrecognised prefix, e.g. `$y$` or `{SSHA}`.
        prefix: Option<String>,
    },
    /// The stored value has a supported prefix but its body cannot be parsed.
    #[error("malformed {scheme} hash: {reason}")]
    Malformed {
        /// The format named by the prefix.
        scheme: Scheme,
        /// What is wrong, e.g. `hash is not valid base64`.
        reason: &'static str,
    },
    /// The stored value asks for more work than this crate accepts (see the crate docs for the limits).
    #[error("{scheme} hash {what} {value} is above the accepted maximum {max}")]
    LimitExceeded {
        /// The format named by the prefix.
        scheme: Scheme,
        /// Which parameter, e.g. `rounds`.
        what: &'static str,
        /// The value found in the stored hash.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// The parameters given to [`Hasher::new`](crate::Hasher::new) are out of range.
    #[error("invalid password hashing parameter {what}: {reason}")]
    InvalidParams {
        /// Which parameter, e.g. `argon2 memory`.
        what: &'static str,
        /// The accepted range.
        reason: String,
    },
    /// bcrypt only uses the first 72 bytes of a password; a longer one is refused when hashing (as Go's bcrypt
    /// does) rather than silently truncated.
    #[error("password longer than {max} bytes cannot be hashed with bcrypt")]
    PasswordTooLong {
        /// 72.
        max: usize,
    },
    /// The underlying implementation failed (for example the OS random generator for the salt).
    #[error("{scheme} hashing failed: {source}")]
    Internal {
        /// The format being produced or checked.
        scheme: Scheme,
        /// The implementation's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl PasswordError {
    pub(crate) const fn malformed(scheme: Scheme, reason: &'static str) -> Self {
        Self::Malformed { scheme, reason }
    }

    pub(crate) fn internal(
        scheme: Scheme,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Internal {
            scheme,
            source: Box::new(source),
        }
    }

    /// Checks `value <= max`.
    pub(crate) fn check_limit(
        scheme: Scheme,
        what: &'static str,
        value: u64,
        max: u64,
    ) -> Result<(), Self> {
        if value > max {
            return Err(Self::LimitExceeded {
                scheme,
                what,
                value,
                max,
            });
        }
        Ok(())
    }
}
