//! SFTPGo's unsalted digests: `{MD5}`, `{SHA256}` or `{SHA512}` followed by the digest of the password in hex.
//!
//! SFTPGo writes and compares lowercase hex (Go's `%x`); uppercase hex is accepted here too. These are weak
//! (unsalted, fast) and always flagged for rehashing after a successful login.

use sha2::Digest;
use subtle::ConstantTimeEq;

use crate::{PasswordError, Scheme};

/// Verifies a `{NAME}hex` digest made with `D`.
pub(crate) fn verify<D: Digest>(
    scheme: Scheme,
    stored: &str,
    plain: &str,
) -> Result<bool, PasswordError> {
    let hex_digest = stored
        .split_once('}')
        .map(|(_, hex_digest)| hex_digest)
        .ok_or(PasswordError::malformed(scheme, "missing '}'"))?;
    let expected = hex::decode(hex_digest)
        .map_err(|_| PasswordError::malformed(scheme, "digest is not valid hex"))?;
    let computed = D::digest(plain);
    if expected.len() != computed.len() {
        return Err(PasswordError::malformed(
            scheme,
            "digest has the wrong length",
        ));
    }
    Ok(computed.as_slice().ct_eq(&expected).into())
}
