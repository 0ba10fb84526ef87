//! Recognising a stored hash by its prefix.

use std::fmt;

/// A password hash format this crate can verify, identified by the prefix of the stored string.
///
/// Detection is by exact, case-sensitive prefix, as in SFTPGo; the rest of the string is only looked at by the
/// verifier of that format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `$argon2id$`: PHC string (any version and parameters within limits).
    Argon2id,
    /// `$2a$`, `$2b$` or `$2y$`: bcrypt.
    Bcrypt,
    /// `$pbkdf2-sha1$`: SFTPGo's PBKDF2-HMAC-SHA1 layout.
    Pbkdf2Sha1,
    /// `$pbkdf2-sha256$`: SFTPGo's PBKDF2-HMAC-SHA256 layout.
    Pbkdf2Sha256,
    /// `$pbkdf2-sha512$`: SFTPGo's PBKDF2-HMAC-SHA512 layout.
    Pbkdf2Sha512,
    /// `$pbkdf2-b64salt-sha256$`: PBKDF2-HMAC-SHA256 with a base64 salt.
    Pbkdf2B64SaltSha256,
    /// `$1$`: FreeBSD/glibc md5crypt.
    Md5Crypt,
    /// `$apr1$`: Apache's md5crypt variant.
    Apr1Crypt,
    /// `$5$`: sha256-crypt.
    Sha256Crypt,
    /// `$6$`: sha512-crypt.
    Sha512Crypt,
    /// `{MD5}`: unsalted MD5, lowercase hex (SFTPGo's encoding).
    Md5Digest,
    /// `{SHA256}`: unsalted SHA-256, hex.
    Sha256Digest,
    /// `{SHA512}`: unsalted SHA-512, hex.
    Sha512Digest,
}

/// Every prefix with its scheme. Each prefix ends with its delimiter, so no entry is a prefix of another and
/// the order does not matter.
const PREFIXES: [(&str, Scheme); 15] = [
    ("$argon2id$", Scheme::Argon2id),
    ("$2a$", Scheme::Bcrypt),
    ("$2b$", Scheme::Bcrypt),
    ("$2y$", Scheme::Bcrypt),
    ("$pbkdf2-sha1$", Scheme::Pbkdf2Sha1),
    ("$pbkdf2-sha256$", Scheme::Pbkdf2Sha256),
    ("$pbkdf2-sha512$", Scheme::Pbkdf2Sha512),
    ("$pbkdf2-b64salt-sha256$", Scheme::Pbkdf2B64SaltSha256),
    ("$1$", Scheme::Md5Crypt),
    ("$apr1$", Scheme::Apr1Crypt),
    ("$5$", Scheme::Sha256Crypt),
    ("$6$", Scheme::Sha512Crypt),
    ("{MD5}", Scheme::Md5Digest),
    ("{SHA256}", Scheme::Sha256Digest),
    ("{SHA512}", Scheme::Sha512Digest),
];

impl Scheme {
    /// The scheme `stored` is written in, or `None` when its prefix is not one this crate verifies.
    #[must_use]
    pub fn detect(stored: &str) -> Option<Self> {
        PREFIXES
            .iter()
            .find(|(prefix, _)| stored.starts_with(prefix))
            .map(|&(_, scheme)| scheme)
    }

    /// A short lowercase name for logs and errors, e.g. `pbkdf2-sha256`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Argon2id => "argon2id",
            Self::Bcrypt => "bcrypt",
            Self::Pbkdf2Sha1 => "pbkdf2-sha1",
            Self::Pbkdf2Sha256 => "pbkdf2-sha256",
            Self::Pbkdf2Sha512 => "pbkdf2-sha512",
            Self::Pbkdf2B64SaltSha256 => "pbkdf2-b64salt-sha256",
            Self::Md5Crypt => "md5crypt",
            Self::Apr1Crypt => "apr1",
            Self::Sha256Crypt => "sha256-crypt",
            Self::Sha512Crypt => "sha512-crypt",
            Self::Md5Digest => "md5 digest",
            Self::Sha256Digest => "sha256 digest",
            Self::Sha512Digest => "sha512 digest",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `s` already looks like a hash this crate can verify (it starts with a supported prefix).
///
/// An admin may submit an already-hashed password in a user object; SFTPGo stores such a value as it is instead
/// of hashing it again, and so does ringway. Only the prefix is checked: a malformed body is reported later, by
/// [`Hasher::verify`](crate::Hasher::verify).
#[must_use]
pub fn is_hashed(s: &str) -> bool {
    Scheme::detect(s).is_some()
}

/// The prefix of an unrecognised stored value, safe to put in an error: `$id$` or `{ID}` when the value starts
/// like a hash identifier (at most 32 characters of `[A-Za-z0-9._-]`), otherwise `None`. Never returns more than
/// the identifier, so a secret stored in a strange format does not end up in logs.
pub(crate) fn foreign_prefix(stored: &str) -> Option<String> {
    const MAX_ID: usize = 32;
    let (open, close) = match stored.as_bytes().first() {
        Some(b'$') => ('$', '$'),
        Some(b'{') => ('{', '}'),
        _ => return None,
    };
    let rest = &stored[1..];
    let end = rest.find(close)?;
    let id = &rest[..end];
    let plausible = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    plausible.then(|| format!("{open}{id}{close}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_every_prefix_and_nothing_else() {
        for (prefix, scheme) in PREFIXES {
            assert_eq!(Scheme::detect(&format!("{prefix}rest")), Some(scheme));
            assert!(is_hashed(prefix));
        }
        for plain in [
            "",
            "secret",
            "$2x$10$abc",
            "$argon2i$v=19$",
            "$y$j9T$",
            "{SSHA}abc",
            "{md5}abc",
            "$pbkdf2-sha384$1$a$b",
            "2a$10$",
        ] {
            assert_eq!(Scheme::detect(plain), None, "{plain}");
            assert!(!is_hashed(plain));
        }
    }

    #[test]
    fn foreign_prefix_names_only_the_identifier() {
        assert_eq!(foreign_prefix("$y$j9T$salt$hash").as_deref(), Some("$y$"));
        assert_eq!(foreign_prefix("{SSHA}c2VjcmV0").as_deref(), Some("{SSHA}"));
        assert_eq!(
            foreign_prefix("$argon2i$v=19$m=1").as_deref(),
            Some("$argon2i$")
        );
        assert_eq!(foreign_prefix("hunter2"), None);
        assert_eq!(foreign_prefix("$hunter 2$"), None);
        assert_eq!(foreign_prefix("$$"), None);
        assert_eq!(foreign_prefix("$no-closing-delimiter"), None);
        assert_eq!(foreign_prefix(&format!("${}$", "a".repeat(40))), None);
        // A multi-byte first character must not panic.
        assert_eq!(foreign_prefix("é$x$"), None);
    }
}
