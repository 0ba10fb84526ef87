//! Known-answer vectors, malformed input and rehash decisions, through the public API.

mod malformed;
mod rehash;
mod vectors;

use crate::{Argon2Params, HashParams, Hasher, PasswordError, Verdict};

/// The password of most vectors.
const PASSWORD: &str = "correct horse";

/// argon2id with cheap parameters, so round trips stay fast in debug builds.
fn fast_argon2() -> Hasher {
    Hasher::new(HashParams::Argon2id(Argon2Params {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    }))
    .expect("valid parameters")
}

/// The verdict, failing the test on an error.
fn verdict(hasher: &Hasher, stored: &str, plain: &str) -> Verdict {
    match hasher.verify(stored, plain) {
        Ok(verdict) => verdict,
        Err(err) => panic!("verifying {stored:?}: {err}"),
    }
}

/// The error, failing the test on success.
fn error(hasher: &Hasher, stored: &str, plain: &str) -> PasswordError {
    match hasher.verify(stored, plain) {
        Ok(verdict) => panic!("{stored:?} should fail, got {verdict:?}"),
        Err(err) => err,
    }
}
