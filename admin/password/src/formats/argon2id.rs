//! argon2id in the PHC string format: `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`, salt and
//! hash in unpadded standard base64. This is what SFTPGo (alexedwards/argon2id) and the reference C
//! implementation write. New hashes use version 19, a 16-byte random salt and a 32-byte output.

use argon2::{Algorithm, Argon2, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::params::{ARGON2_OUTPUT_LEN, Argon2Params, Limits};
use crate::{PasswordError, Scheme};

const SCHEME: Scheme = Scheme::Argon2id;

/// Hashes `plain` with `params` and a fresh random salt.
pub(crate) fn hash(params: Argon2Params, plain: &str) -> Result<String, PasswordError> {
    let params = params
        .to_argon2()
        .map_err(|err| PasswordError::internal(SCHEME, err))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(plain.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| PasswordError::internal(SCHEME, err))
}

/// Parses the PHC string and its parameters.
fn parse(stored: &str) -> Result<(PasswordHash, argon2::Params), PasswordError> {
    let malformed = |reason| PasswordError::malformed(SCHEME, reason);
    let hash = PasswordHash::new(stored).map_err(|_| malformed("not a valid PHC string"))?;
    if hash.algorithm.as_str() != "argon2id" {
        return Err(malformed("algorithm is not argon2id"));
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err(malformed("missing salt or hash"));
    }
    let params = argon2::Params::try_from(&hash).map_err(|_| malformed("invalid parameters"))?;
    Ok((hash, params))
}

/// Verifies an argon2id hash whose costs are within `limits`.
pub(crate) fn verify(stored: &str, plain: &str, limits: &Limits) -> Result<bool, PasswordError> {
    let (hash, params) = parse(stored)?;
    PasswordError::check_limit(
        SCHEME,
        "memory (KiB)",
        params.m_cost().into(),
        limits.argon2_memory_kib.into(),
    )?;
    PasswordError::check_limit(
        SCHEME,
        "iterations",
        params.t_cost().into(),
        limits.argon2_iterations.into(),
    )?;
    PasswordError::check_limit(
        SCHEME,
        "parallelism",
        params.p_cost().into(),
        limits.argon2_parallelism.into(),
    )?;
    match Argon2::default().verify_password(plain.as_bytes(), &hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(
            err @ (argon2::password_hash::Error::OutOfMemory
            | argon2::password_hash::Error::Internal
            | argon2::password_hash::Error::Crypto),
        ) => Err(PasswordError::internal(SCHEME, err)),
        Err(_) => Err(PasswordError::malformed(
            SCHEME,
            "invalid version, salt or output length",
        )),
    }
}

/// Whether `stored` is an argon2id hash made exactly as [`hash`] would make it with `params`.
pub(crate) fn is_current(stored: &str, params: Argon2Params) -> bool {
    parse(stored).is_ok_and(|(hash, found)| {
        hash.version == Some(Version::V0x13.into())
            && found.m_cost() == params.memory_kib
            && found.t_cost() == params.iterations
            && found.p_cost() == params.parallelism
            && found.keyid().is_empty()
            && found.data().is_empty()
            && hash
                .hash
                .is_some_and(|output| output.len() == ARGON2_OUTPUT_LEN)
    })
}
