//! New hashes and the rehash decision.

use super::{PASSWORD, error, fast_argon2, verdict};
use crate::{
    Argon2Params, BcryptParams, HashParams, Hasher, PasswordError, Scheme, Verdict, is_hashed,
};

/// argon2-cffi's hash of [`PASSWORD`] with the default parameters.
const DEFAULT_ARGON2: &str = "$argon2id$v=19$m=65536,t=1,p=2$2k9kvY4FtG3P+CxU4Jb+iA$FHj0ImtFt8RNf217bil/npbbuyZhhTGcG7435luDpwA";

fn bcrypt(cost: u32) -> Hasher {
    Hasher::new(HashParams::Bcrypt(BcryptParams { cost })).expect("valid cost")
}

#[test]
fn defaults_match_the_config_defaults() {
    let hasher = Hasher::default();
    assert_eq!(
        *hasher.params(),
        HashParams::Argon2id(Argon2Params {
            memory_kib: 65536,
            iterations: 1,
            parallelism: 2,
        })
    );
    assert_eq!(BcryptParams::default().cost, 10);
}

#[test]
fn argon2id_round_trip_with_the_default_parameters() {
    let hasher = Hasher::default();
    let stored = hasher.hash(PASSWORD).expect("hash");
    let fields: Vec<&str> = stored.split('$').collect();
    assert_eq!(fields[..4], ["", "argon2id", "v=19", "m=65536,t=1,p=2"]);
    assert_eq!(fields[4].len(), 22, "16-byte salt, unpadded base64");
    assert_eq!(fields[5].len(), 43, "32-byte output, unpadded base64");
    assert!(is_hashed(&stored));
    assert_eq!(verdict(&hasher, &stored, PASSWORD), Verdict::Match);
    assert_eq!(verdict(&hasher, &stored, "wrong"), Verdict::Mismatch);
    // A hash from another implementation with the same parameters is current too.
    assert_eq!(verdict(&hasher, DEFAULT_ARGON2, PASSWORD), Verdict::Match);
    assert!(!hasher.needs_rehash(DEFAULT_ARGON2));
}

#[test]
fn salts_are_random() {
    let hasher = fast_argon2();
    let one = hasher.hash(PASSWORD).expect("hash");
    let two = hasher.hash(PASSWORD).expect("hash");
    assert_ne!(one, two);
    assert!(verdict(&hasher, &one, PASSWORD).is_match());
    assert!(verdict(&hasher, &two, PASSWORD).is_match());
}

#[test]
fn argon2id_with_other_parameters_needs_rehash() {
    let hasher = fast_argon2();
    let current = hasher.hash(PASSWORD).expect("hash");
    assert_eq!(verdict(&hasher, &current, PASSWORD), Verdict::Match);
    for params in [
        Argon2Params {
            memory_kib: 2048,
            iterations: 1,
            parallelism: 1,
        },
        Argon2Params {
            memory_kib: 1024,
            iterations: 2,
            parallelism: 1,
        },
        Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 2,
        },
    ] {
        let other = Hasher::new(HashParams::Argon2id(params)).expect("valid");
        assert_eq!(
            verdict(&other, &current, PASSWORD),
            Verdict::MatchNeedsRehash,
            "{params:?}"
        );
        assert_eq!(verdict(&other, &current, "wrong"), Verdict::Mismatch);
    }
    // Version 0x10 with the current parameters.
    let old_version = Hasher::default();
    let v16 = hasher.hash(PASSWORD).expect("hash").replace("v=19", "v=16");
    assert!(old_version.needs_rehash(&v16));
    assert!(hasher.needs_rehash(&v16));
}

#[test]
fn bcrypt_hashes_as_2a_and_rehashes_on_cost_change() {
    let hasher = bcrypt(5);
    let stored = hasher.hash(PASSWORD).expect("hash");
    assert!(stored.starts_with("$2a$05$"), "{stored}");
    assert_eq!(stored.len(), 60);
    assert_eq!(verdict(&hasher, &stored, PASSWORD), Verdict::Match);
    // Any bcrypt version at the current cost is current.
    for other_version in [
        "$2b$05$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjxO",
        "$2y$05$3IGvlxs/VDBnLAeSU/ii9.9OhhGrhHvT4wW56wtZqTPgCtmhu9ZYK",
    ] {
        assert_eq!(verdict(&hasher, other_version, PASSWORD), Verdict::Match);
    }
    assert_eq!(
        verdict(&bcrypt(4), &stored, PASSWORD),
        Verdict::MatchNeedsRehash
    );
    // And argon2id is a rehash for a bcrypt hasher.
    assert_eq!(
        verdict(&hasher, DEFAULT_ARGON2, PASSWORD),
        Verdict::MatchNeedsRehash
    );
}

#[test]
fn bcrypt_refuses_to_truncate_when_hashing() {
    let hasher = bcrypt(4);
    assert!(matches!(
        hasher.hash(&"x".repeat(73)),
        Err(PasswordError::PasswordTooLong { max: 72 })
    ));
    let stored = hasher.hash(&"x".repeat(72)).expect("72 bytes fit");
    assert!(verdict(&hasher, &stored, &"x".repeat(72)).is_match());
}

#[test]
fn legacy_formats_always_need_rehash() {
    for hasher in [Hasher::default(), bcrypt(10)] {
        assert_eq!(
            verdict(&hasher, "$1$saltsalt$NuzA7WTAelpl95xgBGWN60", PASSWORD),
            Verdict::MatchNeedsRehash
        );
        assert_eq!(
            verdict(&hasher, "{MD5}3cb4e732631f47e6eb961f34554b7cde", PASSWORD),
            Verdict::MatchNeedsRehash
        );
        assert_eq!(
            verdict(&hasher, "{MD5}3cb4e732631f47e6eb961f34554b7cde", "wrong"),
            Verdict::Mismatch
        );
        assert!(hasher.needs_rehash("$pbkdf2-sha1$1000$saltsalt$wQoBU7GXMNo2CJC+raijrf6key4="));
        assert!(hasher.needs_rehash("not a hash"));
    }
}

#[test]
fn verdict_helpers() {
    assert!(Verdict::Match.is_match() && !Verdict::Match.needs_rehash());
    assert!(Verdict::MatchNeedsRehash.is_match() && Verdict::MatchNeedsRehash.needs_rehash());
    assert!(!Verdict::Mismatch.is_match() && !Verdict::Mismatch.needs_rehash());
}

#[test]
fn invalid_parameters_are_refused() {
    for params in [
        HashParams::Bcrypt(BcryptParams { cost: 3 }),
        HashParams::Bcrypt(BcryptParams { cost: 32 }),
        HashParams::Argon2id(Argon2Params {
            memory_kib: 65536,
            iterations: 0,
            parallelism: 2,
        }),
        HashParams::Argon2id(Argon2Params {
            memory_kib: 65536,
            iterations: 1,
            parallelism: 0,
        }),
        HashParams::Argon2id(Argon2Params {
            memory_kib: 15,
            iterations: 1,
            parallelism: 2,
        }),
        HashParams::Argon2id(Argon2Params {
            memory_kib: u32::MAX,
            iterations: 1,
            parallelism: 1 << 24,
        }),
    ] {
        let result = Hasher::new(params);
        assert!(
            matches!(result, Err(PasswordError::InvalidParams { .. })),
            "{params:?}: {result:?}"
        );
    }
    Hasher::new(HashParams::Bcrypt(BcryptParams { cost: 31 })).expect("31 is allowed");
    Hasher::new(HashParams::Argon2id(Argon2Params {
        memory_kib: 16,
        iterations: 1,
        parallelism: 2,
    }))
    .expect("8 KiB per lane is allowed");
}

#[test]
fn limits_rise_to_the_hashers_own_parameters() {
    let heavy = HashParams::Argon2id(Argon2Params {
        memory_kib: 2 << 20,
        iterations: 20,
        parallelism: 100,
    });
    let limits = heavy.limits();
    assert_eq!(limits.argon2_memory_kib, 2 << 20);
    assert_eq!(limits.argon2_iterations, 20);
    assert_eq!(limits.argon2_parallelism, 100);
    assert_eq!(limits.bcrypt_cost, crate::MAX_BCRYPT_COST);

    let limits = HashParams::Bcrypt(BcryptParams { cost: 20 }).limits();
    assert_eq!(limits.bcrypt_cost, 20);
    assert_eq!(limits.argon2_memory_kib, crate::MAX_ARGON2_MEMORY_KIB);

    let limits = HashParams::default().limits();
    assert_eq!(limits.argon2_memory_kib, crate::MAX_ARGON2_MEMORY_KIB);
    assert_eq!(limits.argon2_iterations, crate::MAX_ARGON2_ITERATIONS);

    // A bcrypt cost above the default limit is accepted by a hasher configured with it (the check happens
    // before any work, so a wrong-format body shows it got past the limit).
    let err = error(
        &bcrypt(17),
        "$2b$17$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjx!",
        PASSWORD,
    );
    assert!(
        matches!(
            err,
            PasswordError::Malformed {
                scheme: Scheme::Bcrypt,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn error_messages() {
    let err = error(
        &Hasher::default(),
        "$5$rounds=999999999999$salt$hash",
        PASSWORD,
    );
    assert_eq!(
        err.to_string(),
        "sha256-crypt hash rounds 999999999999 is above the accepted maximum 10000000"
    );
    let err = error(&Hasher::default(), "$y$j9T$salt$hash", PASSWORD);
    assert_eq!(err.to_string(), "unsupported password hash format \"$y$\"");
    let err = error(&Hasher::default(), "plaintext", PASSWORD);
    assert_eq!(
        err.to_string(),
        "unsupported password hash format (no recognised prefix)"
    );
    let err = error(&Hasher::default(), "$1$salt", PASSWORD);
    assert_eq!(
        err.to_string(),
        "malformed md5crypt hash: missing '$' after the salt"
    );
}
