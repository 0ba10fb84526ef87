//! Malformed and hostile stored values: an error (or a mismatch), never a panic, and never a long computation.

use super::{PASSWORD, error, fast_argon2};
use crate::{Hasher, PasswordError, Scheme};

/// `stored` must be refused as malformed in `scheme`.
#[track_caller]
fn assert_malformed(hasher: &Hasher, stored: &str, scheme: Scheme) {
    match error(hasher, stored, PASSWORD) {
        PasswordError::Malformed { scheme: found, .. } if found == scheme => {}
        other => panic!("{stored:?}: expected malformed {scheme}, got {other}"),
    }
}

/// `stored` must be refused for asking too much of `what`.
#[track_caller]
fn assert_limit(hasher: &Hasher, stored: &str, what: &str) {
    match error(hasher, stored, PASSWORD) {
        PasswordError::LimitExceeded { what: found, .. } if found == what => {}
        other => panic!("{stored:?}: expected limit on {what}, got {other}"),
    }
}

#[test]
fn unsupported_formats_name_only_the_prefix() {
    let hasher = fast_argon2();
    for (stored, prefix) in [
        ("", None),
        ("hunter2", None),
        (
            "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
            Some("$y$"),
        ),
        (
            "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$WVDOfucSPAey3UEzzqLtBw",
            Some("$argon2i$"),
        ),
        (
            "$2x$05$3IGvlxs/VDBnLAeSU/ii9.9OhhGrhHvT4wW56wtZqTPgCtmhu9ZYK",
            Some("$2x$"),
        ),
        ("{SSHA}c2VjcmV0c2VjcmV0", Some("{SSHA}")),
        ("{md5}3cb4e732631f47e6eb961f34554b7cde", Some("{md5}")),
    ] {
        let err = error(&hasher, stored, PASSWORD);
        let PasswordError::UnsupportedFormat { prefix: found } = &err else {
            panic!("{stored:?}: expected unsupported, got {err}");
        };
        assert_eq!(found.as_deref(), prefix, "{stored:?}");
        let message = err.to_string();
        assert!(
            message.starts_with("unsupported password hash format"),
            "{message}"
        );
        if stored.len() > 8 {
            assert!(!message.contains(&stored[8..]), "{message} leaks the hash");
        }
    }
}

#[test]
fn argon2id() {
    let hasher = fast_argon2();
    let scheme = Scheme::Argon2id;
    for stored in [
        "$argon2id$",
        "$argon2id$v=19$m=1024,t=2,p=1$DWiOc8kSwjgHCBCnK8o8jg",
        "$argon2id$v=19$m=1024,t=2,p=1$DWiOc8kSwjgHCBCnK8o8jg$",
        "$argon2id$v=19$m=1024,t=2,p=1$DWiOc8kSwjgHCBCnK8o8jg$!!!!",
        "$argon2id$v=19$m=1024,t=2,p=1$!!$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
        "$argon2id$v=19$m=lots,t=2,p=1$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
        "$argon2id$v=19$m=99999999999,t=2,p=1$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
        "$argon2id$v=19$m=1024,t=0,p=1$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
        "$argon2id$v=19$m=4,t=1,p=1$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
        "$argon2id$v=19$m=1024,t=2,p=1,x=3$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
        "$argon2id$v=42$m=1024,t=2,p=1$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
        // Salt shorter than the 8 bytes argon2 requires.
        "$argon2id$v=19$m=1024,t=2,p=1$c2FsdA$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
    ] {
        assert_malformed(&hasher, stored, scheme);
    }
    // Costs a stored hash may not ask for: 4 GiB, a million passes, a thousand lanes.
    let tail = "$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc";
    assert_limit(
        &hasher,
        &format!("$argon2id$v=19$m=4194304,t=1,p=1{tail}"),
        "memory (KiB)",
    );
    assert_limit(
        &hasher,
        &format!("$argon2id$v=19$m=1024,t=1000000,p=1{tail}"),
        "iterations",
    );
    assert_limit(
        &hasher,
        &format!("$argon2id$v=19$m=65536,t=1,p=1000{tail}"),
        "parallelism",
    );
}

#[test]
fn bcrypt() {
    let hasher = fast_argon2();
    let scheme = Scheme::Bcrypt;
    let valid = "$2b$05$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjxO";
    for stored in [
        "$2b$",
        "$2b$05",
        "$2b$05$",
        &valid[..59],
        &format!("{valid}x"),
        "$2b$5$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjxOx",
        "$2b$x5$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjxO",
        "$2b$03$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjxO",
        "$2b$05$pN348LJK!0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjxO",
        "$2b$05$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjx!",
        // Multi-byte characters where the cost and the body should be.
        "$2b$éé$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MC",
        "$2b$05$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCé",
    ] {
        assert_malformed(&hasher, stored, scheme);
    }
    // Cost 31 would take days.
    assert_limit(
        &hasher,
        "$2b$31$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjxO",
        "cost",
    );
}

#[test]
fn pbkdf2() {
    let hasher = fast_argon2();
    let scheme = Scheme::Pbkdf2Sha256;
    let key = "Rsr9cxzFgu+gR7CHVqlO2IvhyIeJ1OQeYnn7G3TUW8E=";
    for stored in [
        "$pbkdf2-sha256$",
        "$pbkdf2-sha256$150000$E86a9YMX3zC7",
        &format!("$pbkdf2-sha256$150000${key}"),
        &format!("$pbkdf2-sha256$150000$E86a9YMX3zC7${key}$extra"),
        &format!("$pbkdf2-sha256$$E86a9YMX3zC7${key}"),
        &format!("$pbkdf2-sha256$abc$E86a9YMX3zC7${key}"),
        &format!("$pbkdf2-sha256$-1$E86a9YMX3zC7${key}"),
        &format!("$pbkdf2-sha256$+150000$E86a9YMX3zC7${key}"),
        &format!("$pbkdf2-sha256$0$E86a9YMX3zC7${key}"),
        "$pbkdf2-sha256$1000$E86a9YMX3zC7$",
        "$pbkdf2-sha256$1000$E86a9YMX3zC7$not base64!",
        // Missing padding: Go's StdEncoding refuses it too.
        "$pbkdf2-sha256$1000$E86a9YMX3zC7$Rsr9cxzFgu+gR7CHVqlO2IvhyIeJ1OQeYnn7G3TUW8E",
    ] {
        assert_malformed(&hasher, stored, scheme);
    }
    assert_malformed(
        &hasher,
        &format!("$pbkdf2-b64salt-sha256$1000$not*base64${key}"),
        Scheme::Pbkdf2B64SaltSha256,
    );
    assert_limit(
        &hasher,
        &format!("$pbkdf2-sha256$999999999999$salt${key}"),
        "iterations",
    );
    assert_limit(
        &hasher,
        &format!("$pbkdf2-sha512$99999999999999999999999999999$salt${key}"),
        "iterations",
    );
    // A 96-byte key.
    let long_key = "A".repeat(128);
    assert_limit(
        &hasher,
        &format!("$pbkdf2-sha1$1000$salt${long_key}"),
        "key length",
    );
}

#[test]
fn md5crypt() {
    let hasher = fast_argon2();
    for stored in [
        "$1$",
        "$1$saltsalt",
        "$1$saltsalt$",
        "$1$saltsalt$NuzA7WTAelpl95xgBGWN6",
        "$1$saltsalt$NuzA7WTAelpl95xgBGWN600",
        "$1$saltsalt$NuzA7WTAelpl95xgBGWN6!",
        "$1$saltsalt$NuzA7WTAelpl95xgBGWN6é",
        "$1$saltsalt9$NuzA7WTAelpl95xgBGWN60",
    ] {
        assert_malformed(&hasher, stored, Scheme::Md5Crypt);
    }
    assert_malformed(&hasher, "$apr1$r1ngw4y", Scheme::Apr1Crypt);
}

#[test]
fn sha_crypt() {
    let hasher = fast_argon2();
    let scheme = Scheme::Sha256Crypt;
    let hash = "vc6YOOogU4kWVvwga8e9zTFgKcy4tb5LaPxIiPJzqEC";
    for stored in [
        "$5$",
        "$5$saltstring",
        "$5$saltstring$",
        &format!("$5$saltstring${}", &hash[..42]),
        &format!("$5$saltstring${hash}x"),
        &format!("$5$saltstring${}!", &hash[..42]),
        &format!("$5$sa!tstring${hash}"),
        &format!("$5$rounds=$saltstring${hash}"),
        &format!("$5$rounds=abc$saltstring${hash}"),
        &format!("$5$rounds=-5000$saltstring${hash}"),
        &format!("$5$rounds=999$saltstring${hash}"),
        &format!("$5$rounds=5000$salt$string${hash}"),
    ] {
        assert_malformed(&hasher, stored, scheme);
    }
    // The spec's maximum, and beyond: refused before any work.
    assert_limit(
        &hasher,
        &format!("$5$rounds=999999999$saltstring${hash}"),
        "rounds",
    );
    assert_limit(
        &hasher,
        &format!("$5$rounds=999999999999$saltstring${hash}"),
        "rounds",
    );
    assert_limit(
        &hasher,
        &format!("$6$rounds=10000001$saltstring${hash}{hash}"),
        "rounds",
    );
    // A $6$ body with a $5$ length.
    assert_malformed(
        &hasher,
        &format!("$6$saltstring${hash}"),
        Scheme::Sha512Crypt,
    );
}

#[test]
fn digests() {
    let hasher = fast_argon2();
    for stored in [
        "{MD5}",
        "{MD5}3cb4e732631f47e6eb961f34554b7cd",
        "{MD5}3cb4e732631f47e6eb961f34554b7cdz",
        "{MD5}3cb4e732631f47e6eb961f34554b7cde00",
        "{MD5}PLTnMmMfR+brlh80VUt83g==",
    ] {
        assert_malformed(&hasher, stored, Scheme::Md5Digest);
    }
    assert_malformed(
        &hasher,
        "{SHA256}3cb4e732631f47e6eb961f34554b7cde",
        Scheme::Sha256Digest,
    );
    assert_malformed(&hasher, "{SHA512}", Scheme::Sha512Digest);
}

/// Every prefix of a few valid hashes, and each with one character replaced: any outcome but a panic.
#[test]
fn truncations_and_mutations_never_panic() {
    let hasher = fast_argon2();
    let samples = [
        "$argon2id$v=19$m=1024,t=2,p=1$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
        "$2a$04$myspBYf6bj7dRoobpyveq.vSneAd7nUTYWFu.d4JA9DzyViHjRab6",
        "$pbkdf2-sha1$1000$saltsalt$wQoBU7GXMNo2CJC+raijrf6key4=",
        "$pbkdf2-b64salt-sha256$2000$AAECAwQFBgcICQoLDA0ODw==$81O1EAaR6kUxpJyCghoIjiCDF4wsaVSheh7FOzkA2iU=",
        "$1$saltsalt$NuzA7WTAelpl95xgBGWN60",
        "$apr1$r1ngw4y$stBVWQiWWkXHbZTgT5vnw/",
        "$5$rounds=1000$saltstring$vc6YOOogU4kWVvwga8e9zTFgKcy4tb5LaPxIiPJzqEC",
        "{SHA256}4104d36f8da2c254349f85836793ebe029e0c957063a34c91c2e9203187b5631",
    ];
    for sample in samples {
        for end in 0..=sample.len() {
            let _ = hasher.verify(&sample[..end], PASSWORD);
        }
        for at in 0..sample.len() {
            for replacement in ["$", "é", "0", "", "\0"] {
                let mutated = format!("{}{replacement}{}", &sample[..at], &sample[at + 1..]);
                let _ = hasher.verify(&mutated, PASSWORD);
            }
        }
    }
}
