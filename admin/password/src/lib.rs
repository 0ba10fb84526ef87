//! Password hashing and verification for ringway's users and admins.
//!
//! This crate owns the stored form of passwords: it makes new hashes, checks a password against any stored
//! form that users imported from SFTPGo may carry, says when a stored hash should be upgraded, and caches
//! successful checks. It does no IO: the provider stores the strings, the binary maps the
//! `data_provider.password_hashing` config section to [`HashParams`].
//!
//! # New hashes
//!
//! [`Hasher::hash`] uses the configured algorithm with a fresh 16-byte salt from the OS:
//!
//! - **argon2id** (the default): version 19, memory 65536 KiB, 1 pass, 2 lanes, 32-byte output, written as a
//!   PHC string `$argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>` (unpadded standard base64), the format SFTPGo
//!   writes too;
//! - **bcrypt**: cost 10 by default, written as `$2a$10$…` like Go's bcrypt; passwords over 72 bytes are
//!   refused rather than truncated.
//!
//! # Accepted stored formats
//!
//! [`Hasher::verify`] recognises a stored hash by its prefix (exact and case-sensitive, as in SFTPGo; see
//! [`Scheme`]) and answers a [`Verdict`]:
//!
//! | prefix | layout |
//! |---|---|
//! | `$argon2id$` | PHC string, any version/parameters within the limits below |
//! | `$2a$` `$2b$` `$2y$` | bcrypt, `$2?$<cost>$<22 salt><31 hash>` |
//! | `$pbkdf2-sha1$` `$pbkdf2-sha256$` `$pbkdf2-sha512$` | `$<id>$<iterations>$<salt>$<key>`: salt used as its raw bytes, key in standard padded base64, key length = decoded length |
//! | `$pbkdf2-b64salt-sha256$` | the same with the salt in standard padded base64 |
//! | `$1$` `$apr1$` | md5crypt and Apache's variant, `<magic><salt ≤ 8>$<22 chars>` |
//! | `$5$` `$6$` | sha256-crypt and sha512-crypt, `$5$[rounds=N$]<salt>$<hash>` |
//! | `{MD5}` `{SHA256}` `{SHA512}` | unsalted digest of the password in hex (SFTPGo writes lowercase) |
//!
//! Anything else is [`PasswordError::UnsupportedFormat`], naming only the prefix. SFTPGo's `$y$` (yescrypt)
//! is not supported. A match is [`Verdict::MatchNeedsRehash`] unless the stored hash is exactly what the
//! [`Hasher`] would write now (same algorithm and parameters), so the caller can upgrade it.
//! [`is_hashed`] tells whether a value submitted as a password already is a supported hash.
//!
//! # Limits
//!
//! A stored hash picks its own cost, so verification refuses absurd ones with [`PasswordError::LimitExceeded`]
//! instead of burning CPU or memory: argon2id memory 1 GiB ([`MAX_ARGON2_MEMORY_KIB`]), 16 passes, 64 lanes;
//! bcrypt cost 16; PBKDF2 10 000 000 iterations and a 64-byte key; sha-crypt 10 000 000 rounds (the format
//! allows 999 999 999). The argon2id and bcrypt limits are raised to the [`Hasher`]'s own parameters when those
//! are higher, so it always accepts its own hashes. md5crypt has a fixed cost.
//!
//! # Example
//!
//! ```
//! use ringway_password::{CredentialCache, Hasher, Verdict};
//!
//! let hasher = Hasher::default();
//! let cache = CredentialCache::new(10_000);
//! // An account imported from SFTPGo, with a PBKDF2 hash of "password".
//! let mut stored =
//!     "$pbkdf2-sha256$150000$E86a9YMX3zC7$R5J62hsSq+pYw00hLLPKBbcGXmq7fj5+/M0IFoYtZbo=".to_owned();
//! let verdict = hasher.verify(&stored, "password")?;
//! assert_eq!(verdict, Verdict::MatchNeedsRehash);
//! stored = hasher.hash("password")?; // the provider saves the upgraded hash
//! cache.insert("alice", &stored, "password");
//! assert!(cache.check("alice", &stored, "password"));
//! assert_eq!(hasher.verify(&stored, "password")?, Verdict::Match);
//! # Ok::<(), ringway_password::PasswordError>(())
//! ```
//!
//! # Invariants
//!
//! Comparisons of password-derived bytes are constant-time. Errors never contain a password or a stored
//! hash. [`CredentialCache`] keeps keyed digests only, never a password.

#![forbid(unsafe_code)]

mod cache;
mod error;
mod formats;
mod hasher;
mod params;
mod scheme;

#[cfg(test)]
mod tests;

pub use cache::CredentialCache;
pub use error::PasswordError;
pub use hasher::{Hasher, Verdict};
pub use params::{
    ARGON2_OUTPUT_LEN, Argon2Params, BcryptParams, DEFAULT_ARGON2_ITERATIONS,
    DEFAULT_ARGON2_MEMORY_KIB, DEFAULT_ARGON2_PARALLELISM, DEFAULT_BCRYPT_COST, HashParams,
    MAX_ARGON2_ITERATIONS, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM, MAX_BCRYPT_COST,
    MAX_CRYPT_ROUNDS, MAX_PBKDF2_ITERATIONS, MAX_PBKDF2_KEY_LEN, SALT_LEN,
};
pub use scheme::{Scheme, is_hashed};
