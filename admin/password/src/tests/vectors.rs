//! Known-answer vectors for every format. Generated with `openssl passwd` (md5crypt, apr1, sha-crypt), Python's
//! `bcrypt` 5.0 and `argon2-cffi` 25.1, and `hashlib.pbkdf2_hmac` following SFTPGo's layout; one comes from
//! SFTPGo's documentation.

use super::{PASSWORD, fast_argon2, verdict};
use crate::{Hasher, Verdict};

/// Stored hashes of [`PASSWORD`], one or more per format.
const OF_PASSWORD: &[&str] = &[
    // argon2-cffi, m=65536 t=1 p=2 (the default parameters) and m=1024 t=2 p=1.
    "$argon2id$v=19$m=65536,t=1,p=2$2k9kvY4FtG3P+CxU4Jb+iA$FHj0ImtFt8RNf217bil/npbbuyZhhTGcG7435luDpwA",
    "$argon2id$v=19$m=1024,t=2,p=1$DWiOc8kSwjgHCBCnK8o8jg$OIB7Ek6n0h6ZplBYDzsjZnOa8VL7dbOvikbiZgWjJcc",
    // Python bcrypt, cost 5; the $2y$ one is the $2a$ one relabelled (same algorithm, accepted by bcrypt.checkpw).
    "$2b$05$pN348LJK.0vJ4/f1vWkbSelTvbl3.wIrArM.bAtjqCsVpEd3MCjxO",
    "$2a$05$3IGvlxs/VDBnLAeSU/ii9.9OhhGrhHvT4wW56wtZqTPgCtmhu9ZYK",
    "$2y$05$3IGvlxs/VDBnLAeSU/ii9.9OhhGrhHvT4wW56wtZqTPgCtmhu9ZYK",
    // hashlib.pbkdf2_hmac(algo, password, salt, n), key in standard base64.
    "$pbkdf2-sha1$1000$saltsalt$wQoBU7GXMNo2CJC+raijrf6key4=",
    "$pbkdf2-sha256$150000$E86a9YMX3zC7$Rsr9cxzFgu+gR7CHVqlO2IvhyIeJ1OQeYnn7G3TUW8E=",
    "$pbkdf2-sha512$10000$pepperpepper$QGlpDxbJ2WZmmCPUbjcJUbsFOdJXrrTK2u1kp+EYDYOMyzaHOOSXk/P1t02964AzJvd/ru+qoashTS5plvsHWg==",
    // Salt bytes 0..16, base64 encoded.
    "$pbkdf2-b64salt-sha256$20000$AAECAwQFBgcICQoLDA0ODw==$81O1EAaR6kUxpJyCghoIjiCDF4wsaVSheh7FOzkA2iU=",
    // A 20-byte key from SHA-256: the key length is the decoded length.
    "$pbkdf2-sha256$1000$shortkey$iOPtbU+m4nIy/v8utomHStEEn3I=",
    // openssl passwd -1 / -apr1 / -5 / -6.
    "$1$saltsalt$NuzA7WTAelpl95xgBGWN60",
    "$apr1$r1ngw4y$stBVWQiWWkXHbZTgT5vnw/",
    "$5$saltstring$vc6YOOogU4kWVvwga8e9zTFgKcy4tb5LaPxIiPJzqEC",
    "$5$rounds=10000$saltstringsaltst$ffO6RHJbzihHqETll0c/MLDJrGhQw9fAaO1LcVIStWB",
    "$6$saltstring$.r0X7ub5wGR2v4Xz7svCIozfnlorFh19V89t8KC9Umd81uGhFgsyTRNyzQDXDIm17fFcR9z3z7oBNdsyYBbtm/",
    // openssl truncates the salt to 16 characters.
    "$6$rounds=1000$toolongsaltstrin$tdJNFoSMu.WrVKY61KQdla5Dx5h468Tp3ofDBU.e3CVEQnDP.bqxUawJqKpYmGNjx.GJRjGlbT/CcwS/mWaCF/",
    // Lowercase hex, as SFTPGo writes them.
    "{MD5}3cb4e732631f47e6eb961f34554b7cde",
    "{SHA256}4104d36f8da2c254349f85836793ebe029e0c957063a34c91c2e9203187b5631",
    "{SHA512}56b698defedb5a435b634afe3320bbaf3fdcd920b6c503a446fc7b7a776b298d479d1ba6a8b617808eb0bf579ce9a95d668347bcab7149085ac93cb27995197b",
];

#[test]
fn right_password_matches_every_format() {
    let hasher = fast_argon2();
    for stored in OF_PASSWORD {
        assert!(crate::is_hashed(stored), "{stored}");
        // None is in the fast hasher's exact parameters, so every match asks for a rehash.
        assert_eq!(
            verdict(&hasher, stored, PASSWORD),
            Verdict::MatchNeedsRehash,
            "{stored}"
        );
    }
}

#[test]
fn wrong_password_mismatches_every_format() {
    let hasher = fast_argon2();
    for stored in OF_PASSWORD {
        for wrong in ["correct horsE", "correct horse ", "", "correct hors"] {
            assert_eq!(
                verdict(&hasher, stored, wrong),
                Verdict::Mismatch,
                "{stored} with {wrong:?}"
            );
        }
    }
}

#[test]
fn sftpgo_documentation_pbkdf2_example() {
    // From SFTPGo's docs/full-configuration: pbkdf2-sha256 of "password", 150000 iterations, salt E86a9YMX3zC7.
    let stored = "$pbkdf2-sha256$150000$E86a9YMX3zC7$R5J62hsSq+pYw00hLLPKBbcGXmq7fj5+/M0IFoYtZbo=";
    let hasher = Hasher::default();
    assert!(verdict(&hasher, stored, "password").is_match());
    assert!(!verdict(&hasher, stored, "Password").is_match());
}

#[test]
fn md5crypt_edge_inputs() {
    let hasher = fast_argon2();
    // openssl passwd -1 -salt '' 'empty salt'
    assert!(verdict(&hasher, "$1$$ObZkFeusGD7Pq0bDVWvPA/", "empty salt").is_match());
    // openssl passwd -1 -salt abc ''
    assert!(verdict(&hasher, "$1$abc$Or2rbeUYTvt12aiVzMuS/.", "").is_match());
    assert!(!verdict(&hasher, "$1$abc$Or2rbeUYTvt12aiVzMuS/.", "x").is_match());
    // openssl passwd -1 -salt abc 'pässwörd-ünïcode' (UTF-8 bytes)
    assert!(verdict(&hasher, "$1$abc$vRGsgUE/blGAEHIwgZA2S.", "pässwörd-ünïcode").is_match());
}

#[test]
fn digests_accept_uppercase_hex() {
    let hasher = fast_argon2();
    assert!(verdict(&hasher, "{MD5}3CB4E732631F47E6EB961F34554B7CDE", PASSWORD).is_match());
}

#[test]
fn bcrypt_reads_only_72_bytes() {
    let hasher = fast_argon2();
    // Python bcrypt, cost 4, of 72 'x'.
    let stored = "$2a$04$myspBYf6bj7dRoobpyveq.vSneAd7nUTYWFu.d4JA9DzyViHjRab6";
    assert!(verdict(&hasher, stored, &"x".repeat(72)).is_match());
    assert!(verdict(&hasher, stored, &"x".repeat(100)).is_match());
    assert!(!verdict(&hasher, stored, &"x".repeat(71)).is_match());
}
