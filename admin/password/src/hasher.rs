//! [`Hasher`]: new hashes with the configured algorithm, verification of every supported format.

use md5::Md5;
use sha2::{Sha256, Sha512};

use crate::formats::{argon2id, bcrypt, digest, md5crypt, pbkdf2, shacrypt};
use crate::params::HashParams;
use crate::scheme::foreign_prefix;
use crate::{PasswordError, Scheme};

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Verdict {
    /// The password is right and the stored hash is in the current algorithm with the current parameters.
    Match,
    /// The password is right but the stored hash is in another format or uses other parameters: the caller
    /// should store [`Hasher::hash`] of the password it just checked.
    MatchNeedsRehash,
    /// The password is wrong.
    Mismatch,
}

impl Verdict {
    /// Whether the password is right.
    #[must_use]
    pub const fn is_match(self) -> bool {
        matches!(self, Self::Match | Self::MatchNeedsRehash)
    }

    /// Whether the password is right and its hash should be replaced.
    #[must_use]
    pub const fn needs_rehash(self) -> bool {
        matches!(self, Self::MatchNeedsRehash)
    }
}

/// Hashes new passwords with the configured algorithm and verifies passwords against stored hashes.
///
/// Cheap to clone and share: it holds only the parameters. Hashing and verifying are CPU-bound (tens of
/// milliseconds with the default argon2id parameters) and should run off the IO threads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hasher {
    params: HashParams,
}

impl Hasher {
    /// A hasher producing hashes with `params`.
    ///
    /// # Errors
    ///
    /// [`PasswordError::InvalidParams`] when the bcrypt cost is outside 4..=31, or the argon2id parameters are
    /// outside what the algorithm allows (at least one pass, 1 to 2^24 - 1 lanes, at least 8 KiB per lane).
    pub fn new(params: HashParams) -> Result<Self, PasswordError> {
        params.validate()?;
        Ok(Self { params })
    }

    /// The parameters new hashes use.
    #[must_use]
    pub const fn params(&self) -> &HashParams {
        &self.params
    }

    /// Hashes `plain` with the configured algorithm and a fresh random 16-byte salt: a PHC string
    /// `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` or a bcrypt string `$2a$<cost>$…`.
    ///
    /// # Errors
    ///
    /// [`PasswordError::PasswordTooLong`] for a password over 72 bytes with bcrypt;
    /// [`PasswordError::Internal`] when the implementation fails (no OS randomness, no memory).
    pub fn hash(&self, plain: &str) -> Result<String, PasswordError> {
        match self.params {
            HashParams::Argon2id(params) => argon2id::hash(params, plain),
            HashParams::Bcrypt(params) => bcrypt::hash(params.cost, plain),
        }
    }

    /// Checks `plain` against `stored`, in any supported format (see the crate docs), and says whether
    /// `stored` should be replaced by a new hash.
    ///
    /// A wrong password is `Ok(Verdict::Mismatch)`, not an error.
    ///
    /// # Errors
    ///
    /// - [`PasswordError::UnsupportedFormat`] when `stored` has no supported prefix;
    /// - [`PasswordError::Malformed`] when its body cannot be parsed;
    /// - [`PasswordError::LimitExceeded`] when it asks for more work than accepted (see the crate docs);
    /// - [`PasswordError::Internal`] when the implementation fails.
    pub fn verify(&self, stored: &str, plain: &str) -> Result<Verdict, PasswordError> {
        let Some(scheme) = Scheme::detect(stored) else {
            return Err(PasswordError::UnsupportedFormat {
                prefix: foreign_prefix(stored),
            });
        };
        let limits = self.params.limits();
        let matched = match scheme {
            Scheme::Argon2id => argon2id::verify(stored, plain, &limits)?,
            Scheme::Bcrypt => bcrypt::verify(stored, plain, &limits)?,
            Scheme::Pbkdf2Sha1 => pbkdf2::verify(pbkdf2::Variant::Sha1, stored, plain)?,
            Scheme::Pbkdf2Sha256 => pbkdf2::verify(pbkdf2::Variant::Sha256, stored, plain)?,
            Scheme::Pbkdf2Sha512 => pbkdf2::verify(pbkdf2::Variant::Sha512, stored, plain)?,
            Scheme::Pbkdf2B64SaltSha256 => {
                pbkdf2::verify(pbkdf2::Variant::B64SaltSha256, stored, plain)?
            }
            Scheme::Md5Crypt => md5crypt::verify(md5crypt::Variant::Md5, stored, plain)?,
            Scheme::Apr1Crypt => md5crypt::verify(md5crypt::Variant::Apr1, stored, plain)?,
            Scheme::Sha256Crypt | Scheme::Sha512Crypt => shacrypt::verify(scheme, stored, plain)?,
            Scheme::Md5Digest => digest::verify::<Md5>(scheme, stored, plain)?,
            Scheme::Sha256Digest => digest::verify::<Sha256>(scheme, stored, plain)?,
            Scheme::Sha512Digest => digest::verify::<Sha512>(scheme, stored, plain)?,
        };
        Ok(if !matched {
            Verdict::Mismatch
        } else if self.needs_rehash(stored) {
            Verdict::MatchNeedsRehash
        } else {
            Verdict::Match
        })
    }

    /// Whether `stored` differs from what [`Hasher::hash`] would produce now: another format, or the same
    /// algorithm with other parameters (argon2id: version, memory, passes, lanes or output length; bcrypt: cost,
    /// any of `$2a$`/`$2b$`/`$2y$` being fine). Does not check the password, nor that `stored` is well formed
    /// beyond what the comparison needs.
    #[must_use]
    pub fn needs_rehash(&self, stored: &str) -> bool {
        match (self.params, Scheme::detect(stored)) {
            (HashParams::Argon2id(params), Some(Scheme::Argon2id)) => {
                !argon2id::is_current(stored, params)
            }
            (HashParams::Bcrypt(params), Some(Scheme::Bcrypt)) => {
                bcrypt::cost(stored) != Some(params.cost)
            }
            _ => true,
        }
    }
}
