//! md5crypt (`$1$`, Poul-Henning Kamp's FreeBSD scheme, also in glibc) and Apache's `$apr1$`, which is the same
//! algorithm with a different magic string.
//!
//! Layout: `<magic><salt>$<22 characters>`, where the salt is 0 to 8 bytes without `$` and the 22 characters
//! encode the 16-byte result in the crypt alphabet `./0-9A-Za-z`, least significant 6 bits first. The algorithm,
//! with `P` the password, `S` the salt and `M` the magic:
//!
//! 1. `B = MD5(P S P)`.
//! 2. `A` = MD5 over `P M S`, then `B` repeated to the length of `P` (whole copies, then a prefix), then for each
//!    bit of `len(P)` from the lowest: a zero byte if the bit is 1, else the first byte of `P`.
//! 3. 1000 rounds `i = 0..1000`: MD5 over (`P` if `i` is odd, else `A`), then `S` unless `i % 3 == 0`, then `P`
//!    unless `i % 7 == 0`, then (`A` if `i` is odd, else `P`); the result becomes `A`.
//! 4. The bytes of `A` are encoded in groups `(0,6,12) (1,7,13) (2,8,14) (3,9,15) (4,10,5)` as 4 characters
//!    each, then byte 11 as 2 characters.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use crate::{PasswordError, Scheme};

/// The crypt(3) base-64 alphabet.
const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Longest salt md5crypt uses.
const MAX_SALT_LEN: usize = 8;
/// Length of the encoded result.
const ENCODED_LEN: usize = 22;
/// Fixed round count of md5crypt.
const ROUNDS: u32 = 1000;

/// The two md5crypt flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// `$1$`
    Md5,
    /// `$apr1$`
    Apr1,
}

impl Variant {
    const fn magic(self) -> &'static str {
        match self {
            Self::Md5 => "$1$",
            Self::Apr1 => "$apr1$",
        }
    }

    const fn scheme(self) -> Scheme {
        match self {
            Self::Md5 => Scheme::Md5Crypt,
            Self::Apr1 => Scheme::Apr1Crypt,
        }
    }
}

/// Verifies an md5crypt or apr1 hash.
pub(crate) fn verify(variant: Variant, stored: &str, plain: &str) -> Result<bool, PasswordError> {
    let malformed = |reason| PasswordError::malformed(variant.scheme(), reason);
    let body = stored
        .strip_prefix(variant.magic())
        .ok_or(malformed("missing prefix"))?;
    let (salt, encoded) = body
        .split_once('$')
        .ok_or(malformed("missing '$' after the salt"))?;
    if salt.len() > MAX_SALT_LEN {
        return Err(malformed("salt longer than 8 bytes"));
    }
    if encoded.len() != ENCODED_LEN || !encoded.bytes().all(|b| ITOA64.contains(&b)) {
        return Err(malformed("hash is not 22 characters of the crypt alphabet"));
    }
    let computed = md5crypt(
        plain.as_bytes(),
        salt.as_bytes(),
        variant.magic().as_bytes(),
    );
    Ok(computed.ct_eq(encoded.as_bytes()).into())
}

/// The encoded md5crypt result (without magic and salt) of `password` with `salt` (at most 8 bytes) and `magic`.
fn md5crypt(password: &[u8], salt: &[u8], magic: &[u8]) -> [u8; ENCODED_LEN] {
    let alternate: [u8; 16] = Md5::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize()
        .into();

    let mut ctx = Md5::new()
        .chain_update(password)
        .chain_update(magic)
        .chain_update(salt);
    let mut remaining = password.len();
    while remaining > 0 {
        let take = remaining.min(alternate.len());
        ctx.update(&alternate[..take]);
        remaining -= take;
    }
    let mut bits = password.len();
    while bits != 0 {
        if bits & 1 == 1 {
            ctx.update([0u8]);
        } else {
            // `bits != 0` implies a non-empty password here.
            ctx.update(&password[..1]);
        }
        bits >>= 1;
    }
    let mut digest: [u8; 16] = ctx.finalize().into();

    for round in 0..ROUNDS {
        let mut ctx = Md5::new();
        if round & 1 == 1 {
            ctx.update(password);
        } else {
            ctx.update(digest);
        }
        if round % 3 != 0 {
            ctx.update(salt);
        }
        if round % 7 != 0 {
            ctx.update(password);
        }
        if round & 1 == 1 {
            ctx.update(digest);
        } else {
            ctx.update(password);
        }
        digest = ctx.finalize().into();
    }

    let mut out = [0u8; ENCODED_LEN];
    let mut chars = out.iter_mut();
    let mut push = |mut value: u32, count: usize| {
        for slot in chars.by_ref().take(count) {
            *slot = ITOA64[(value & 0x3f) as usize];
            value >>= 6;
        }
    };
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        push(
            (u32::from(digest[a]) << 16) | (u32::from(digest[b]) << 8) | u32::from(digest[c]),
            4,
        );
    }
    push(u32::from(digest[11]), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_openssl() {
        // openssl passwd -1 -salt saltsalt 'correct horse'
        assert_eq!(
            &md5crypt(b"correct horse", b"saltsalt", b"$1$"),
            b"NuzA7WTAelpl95xgBGWN60"
        );
        // openssl passwd -apr1 -salt r1ngw4y 'correct horse'
        assert_eq!(
            &md5crypt(b"correct horse", b"r1ngw4y", b"$apr1$"),
            b"stBVWQiWWkXHbZTgT5vnw/"
        );
    }
}
