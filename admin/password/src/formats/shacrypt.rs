//! sha256-crypt (`$5$`) and sha512-crypt (`$6$`), Ulrich Drepper's specification as in glibc.
//!
//! Layout: `$5$[rounds=<N>$]<salt>$<hash>`: `N` is 1000 to 999 999 999 (5000 when absent; this crate accepts
//! at most [`MAX_CRYPT_ROUNDS`]), the salt is up to 16 characters (longer ones are truncated by the algorithm)
//! and the hash is 43 (`$5$`) or 86 (`$6$`) characters of the crypt alphabet. The computation is the
//! `sha-crypt` crate's; this module only enforces the limits first.

use sha_crypt::{PasswordVerifier, ShaCrypt, password_hash};

use super::parse_decimal;
use crate::params::{MAX_CRYPT_ROUNDS, MIN_CRYPT_ROUNDS};
use crate::{PasswordError, Scheme};

/// Verifies a `$5$` or `$6$` hash (`scheme` tells which, for errors and the expected length).
pub(crate) fn verify(scheme: Scheme, stored: &str, plain: &str) -> Result<bool, PasswordError> {
    let malformed = |reason| PasswordError::malformed(scheme, reason);
    let expected_len = if scheme == Scheme::Sha256Crypt {
        43
    } else {
        86
    };
    // Both prefixes are three ASCII bytes.
    let body = stored.get(3..).ok_or(malformed("missing prefix"))?;
    if let Some(rest) = body.strip_prefix("rounds=") {
        let digits = rest.split('$').next().unwrap_or_default();
        let rounds = parse_decimal(digits).ok_or(malformed("rounds is not a number"))?;
        PasswordError::check_limit(scheme, "rounds", rounds, u64::from(MAX_CRYPT_ROUNDS))?;
        if rounds < u64::from(MIN_CRYPT_ROUNDS) {
            return Err(malformed("rounds below 1000"));
        }
    }
    let hash = body
        .rsplit_once('$')
        .map(|(_, hash)| hash)
        .ok_or(malformed("missing '$' after the salt"))?;
    if hash.len() != expected_len {
        return Err(malformed("hash has the wrong length"));
    }
    match ShaCrypt::default().verify_password(plain.as_bytes(), stored) {
        Ok(()) => Ok(true),
        Err(password_hash::Error::PasswordInvalid) => Ok(false),
        Err(_) => Err(malformed("not a valid crypt string")),
    }
}
