//! bcrypt: `$2a$`, `$2b$` or `$2y$`, two-digit cost, `$`, 22 characters of salt and 31 of hash in bcrypt's
//! base-64 alphabet (60 characters in all). The three versions compute the same function; they only mark
//! fixes of bugs in particular implementations (OpenBSD over 255 bytes, `crypt_blowfish` on 8-bit characters).
//! New hashes are written as `$2a$`, like Go's `golang.org/x/crypto/bcrypt` (SFTPGo).
//!
//! bcrypt reads at most 72 bytes of password. Verification ignores the rest, as every implementation does;
//! hashing refuses a longer password, as Go does.

use crate::params::Limits;
use crate::{PasswordError, Scheme};

const SCHEME: Scheme = Scheme::Bcrypt;

/// Longest password bcrypt reads, in bytes.
pub(crate) const MAX_PASSWORD_LEN: usize = 72;

/// Hashes `plain` at `cost` with a fresh random salt, as `$2a$`.
pub(crate) fn hash(cost: u32, plain: &str) -> Result<String, PasswordError> {
    if plain.len() > MAX_PASSWORD_LEN {
        return Err(PasswordError::PasswordTooLong {
            max: MAX_PASSWORD_LEN,
        });
    }
    bcrypt::hash_with_result(plain, cost)
        .map(|parts| parts.format_for_version(bcrypt::Version::TwoA))
        .map_err(|err| PasswordError::internal(SCHEME, err))
}

/// The cost of a bcrypt string, or `None` when it is not two digits at the usual place.
pub(crate) fn cost(stored: &str) -> Option<u32> {
    let digits = stored.get(4..6)?;
    if digits.bytes().all(|b| b.is_ascii_digit()) && stored.as_bytes().get(6) == Some(&b'$') {
        digits.parse().ok()
    } else {
        None
    }
}

/// Verifies a bcrypt hash whose cost is within `limits`.
pub(crate) fn verify(stored: &str, plain: &str, limits: &Limits) -> Result<bool, PasswordError> {
    let cost = cost(stored).ok_or(PasswordError::malformed(SCHEME, "cost is not two digits"))?;
    PasswordError::check_limit(SCHEME, "cost", cost.into(), limits.bcrypt_cost.into())?;
    match bcrypt::verify(plain, stored) {
        Ok(matched) => Ok(matched),
        Err(bcrypt::BcryptError::CostNotAllowed(_)) => {
            Err(PasswordError::malformed(SCHEME, "cost below 4"))
        }
        Err(bcrypt::BcryptError::Rand(err)) => Err(PasswordError::internal(SCHEME, err)),
        Err(_) => Err(PasswordError::malformed(
            SCHEME,
            "not 60 characters of bcrypt base-64",
        )),
    }
}
