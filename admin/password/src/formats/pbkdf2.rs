//! SFTPGo's PBKDF2 layout: `$<id>$<iterations>$<salt>$<derived key>`.
//!
//! - `<id>` is `pbkdf2-sha1`, `pbkdf2-sha256`, `pbkdf2-sha512` (HMAC with that hash) or `pbkdf2-b64salt-sha256`
//!   (HMAC-SHA256);
//! - `<iterations>` is a decimal count;
//! - `<salt>` is used as its raw UTF-8 bytes, except in `pbkdf2-b64salt-sha256` where it is standard base64
//!   (with padding) and the decoded bytes are the salt;
//! - `<derived key>` is standard base64 with padding; its decoded length is the key length to derive (usually
//!   the hash output size, but any length works, as in SFTPGo).
//!
//! Unlike SFTPGo, an empty derived key is refused: it would match every password.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::parse_decimal;
use crate::params::{MAX_PBKDF2_ITERATIONS, MAX_PBKDF2_KEY_LEN};
use crate::{PasswordError, Scheme};

/// Standard base64 with padding, tolerating non-zero trailing bits the way Go's `base64.StdEncoding` does.
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// The four PBKDF2 formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// `$pbkdf2-sha1$`
    Sha1,
    /// `$pbkdf2-sha256$`
    Sha256,
    /// `$pbkdf2-sha512$`
    Sha512,
    /// `$pbkdf2-b64salt-sha256$`
    B64SaltSha256,
}

impl Variant {
    const fn scheme(self) -> Scheme {
        match self {
            Self::Sha1 => Scheme::Pbkdf2Sha1,
            Self::Sha256 => Scheme::Pbkdf2Sha256,
            Self::Sha512 => Scheme::Pbkdf2Sha512,
            Self::B64SaltSha256 => Scheme::Pbkdf2B64SaltSha256,
        }
    }
}

/// Verifies a PBKDF2 hash of the given variant.
pub(crate) fn verify(variant: Variant, stored: &str, plain: &str) -> Result<bool, PasswordError> {
    let scheme = variant.scheme();
    let malformed = |reason| PasswordError::malformed(scheme, reason);
    let mut fields = stored.split('$');
    let (Some(""), Some(_id), Some(iterations), Some(salt), Some(key), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(malformed("expected $id$iterations$salt$key"));
    };

    let iterations = parse_decimal(iterations).ok_or(malformed("iterations is not a number"))?;
    PasswordError::check_limit(
        scheme,
        "iterations",
        iterations,
        u64::from(MAX_PBKDF2_ITERATIONS),
    )?;
    let iterations = u32::try_from(iterations).map_err(|_| malformed("iterations out of range"))?;
    if iterations == 0 {
        return Err(malformed("iterations is 0"));
    }

    let expected = GO_STD_BASE64
        .decode(key)
        .map_err(|_| malformed("derived key is not valid base64"))?;
    if expected.is_empty() {
        return Err(malformed("derived key is empty"));
    }
    PasswordError::check_limit(
        scheme,
        "key length",
        expected.len() as u64,
        MAX_PBKDF2_KEY_LEN as u64,
    )?;

    let salt = if variant == Variant::B64SaltSha256 {
        GO_STD_BASE64
            .decode(salt)
            .map_err(|_| malformed("salt is not valid base64"))?
    } else {
        salt.as_bytes().to_vec()
    };

    let mut derived = vec![0u8; expected.len()];
    let password = plain.as_bytes();
    match variant {
        Variant::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, &salt, iterations, &mut derived),
        Variant::Sha256 | Variant::B64SaltSha256 => {
            pbkdf2::pbkdf2_hmac::<Sha256>(password, &salt, iterations, &mut derived);
        }
        Variant::Sha512 => {
            pbkdf2::pbkdf2_hmac::<Sha512>(password, &salt, iterations, &mut derived);
        }
    }
    Ok(derived.ct_eq(&expected).into())
}
