//! Parameters for new hashes, and the limits on what a stored hash may ask for.

use crate::PasswordError;

/// Argon2id memory for new hashes by default, in KiB (64 MiB).
pub const DEFAULT_ARGON2_MEMORY_KIB: u32 = 65_536;
/// Argon2id passes over the memory for new hashes by default.
pub const DEFAULT_ARGON2_ITERATIONS: u32 = 1;
/// Argon2id lanes for new hashes by default.
pub const DEFAULT_ARGON2_PARALLELISM: u32 = 2;
/// bcrypt cost for new hashes by default.
pub const DEFAULT_BCRYPT_COST: u32 = 10;

/// Length of the argon2id output in new hashes, in bytes.
pub const ARGON2_OUTPUT_LEN: usize = 32;
/// Length of the random salt in new argon2id and bcrypt hashes, in bytes.
pub const SALT_LEN: usize = 16;

/// Largest argon2id memory accepted in a stored hash, in KiB (1 GiB), unless the [`Hasher`](crate::Hasher)'s own
/// is larger.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1 << 20;
/// Largest argon2id pass count accepted in a stored hash, unless the [`Hasher`](crate::Hasher)'s own is larger.
pub const MAX_ARGON2_ITERATIONS: u32 = 16;
/// Largest argon2id lane count accepted in a stored hash, unless the [`Hasher`](crate::Hasher)'s own is larger.
pub const MAX_ARGON2_PARALLELISM: u32 = 64;
/// Largest bcrypt cost accepted in a stored hash (about 5 s per check), unless the [`Hasher`](crate::Hasher)'s
/// own is larger.
pub const MAX_BCRYPT_COST: u32 = 16;
/// Largest PBKDF2 iteration count accepted in a stored hash.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Largest PBKDF2 derived key accepted in a stored hash, in bytes (the SHA-512 output size; the work grows
/// with the key length).
pub const MAX_PBKDF2_KEY_LEN: usize = 64;
/// Largest sha256-crypt/sha512-crypt `rounds=` accepted. The format allows up to 999 999 999, which would take
/// minutes per check; 10 000 000 is far above any default (5 000 in glibc, 656 000 in passlib).
pub const MAX_CRYPT_ROUNDS: u32 = 10_000_000;
/// Fewest sha-crypt rounds the format allows; glibc never writes a smaller `rounds=` value.
pub(crate) const MIN_CRYPT_ROUNDS: u32 = 1_000;

/// Argon2id parameters (the `argon2_options` of `data_provider.password_hashing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory per hash in KiB; at least 8 × `parallelism`. Default: 65536 (64 MiB).
    pub memory_kib: u32,
    /// Passes over the memory; at least 1. Default: 1.
    pub iterations: u32,
    /// Lanes; 1 to 2^24 - 1. Default: 2.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: DEFAULT_ARGON2_MEMORY_KIB,
            iterations: DEFAULT_ARGON2_ITERATIONS,
            parallelism: DEFAULT_ARGON2_PARALLELISM,
        }
    }
}

impl Argon2Params {
    /// The `argon2` crate's parameters, with the fixed output length.
    pub(crate) fn to_argon2(self) -> Result<argon2::Params, argon2::Error> {
        argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(ARGON2_OUTPUT_LEN),
        )
    }
}

/// bcrypt parameters (the `bcrypt_options` of `data_provider.password_hashing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BcryptParams {
    /// Work factor, the base-2 logarithm of the number of rounds; 4 to 31. Default: 10.
    pub cost: u32,
}

impl Default for BcryptParams {
    fn default() -> Self {
        Self {
            cost: DEFAULT_BCRYPT_COST,
        }
    }
}

/// Which algorithm new hashes use, with its parameters (`data_provider.password_hashing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashParams {
    /// `algo = "argon2id"`, the default.
    Argon2id(Argon2Params),
    /// `algo = "bcrypt"`.
    Bcrypt(BcryptParams),
}

impl Default for HashParams {
    fn default() -> Self {
        Self::Argon2id(Argon2Params::default())
    }
}

impl HashParams {
    /// Checks the ranges the algorithms accept.
    pub(crate) fn validate(&self) -> Result<(), PasswordError> {
        match self {
            Self::Argon2id(params) => {
                params
                    .to_argon2()
                    .map(drop)
                    .map_err(|err| PasswordError::InvalidParams {
                        what: "argon2id",
                        reason: err.to_string(),
                    })
            }
            Self::Bcrypt(BcryptParams { cost }) => {
                if (4..=31).contains(cost) {
                    Ok(())
                } else {
                    Err(PasswordError::InvalidParams {
                        what: "bcrypt cost",
                        reason: format!("must be between 4 and 31, got {cost}"),
                    })
                }
            }
        }
    }

    /// The limits applied to stored hashes: the fixed maxima, raised to this configuration's own values so a
    /// [`Hasher`](crate::Hasher) always accepts the hashes it makes.
    pub(crate) fn limits(&self) -> Limits {
        let mut limits = Limits {
            argon2_memory_kib: MAX_ARGON2_MEMORY_KIB,
            argon2_iterations: MAX_ARGON2_ITERATIONS,
            argon2_parallelism: MAX_ARGON2_PARALLELISM,
            bcrypt_cost: MAX_BCRYPT_COST,
        };
        match self {
            Self::Argon2id(own) => {
                limits.argon2_memory_kib = limits.argon2_memory_kib.max(own.memory_kib);
                limits.argon2_iterations = limits.argon2_iterations.max(own.iterations);
                limits.argon2_parallelism = limits.argon2_parallelism.max(own.parallelism);
            }
            Self::Bcrypt(own) => limits.bcrypt_cost = limits.bcrypt_cost.max(own.cost),
        }
        limits
    }
}

/// The largest costs a stored argon2id or bcrypt hash may ask for (the others have fixed limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) argon2_memory_kib: u32,
    pub(crate) argon2_iterations: u32,
    pub(crate) argon2_parallelism: u32,
    pub(crate) bcrypt_cost: u32,
}
