//! One verifier per stored format. Each takes the whole stored string (its prefix already recognised) and the
//! candidate password, and answers `Ok(true)`/`Ok(false)`, or an error when the string cannot be parsed or asks
//! for more work than the limits allow. Comparisons of secret-derived bytes are constant-time.

pub(crate) mod argon2id;
pub(crate) mod bcrypt;
pub(crate) mod digest;
pub(crate) mod md5crypt;
pub(crate) mod pbkdf2;
pub(crate) mod shacrypt;

/// A non-empty run of ASCII digits as a number, saturating at `u64::MAX` (so an absurdly long count fails
/// the limit check rather than parsing); `None` when `s` is empty or has anything but digits (no sign, no
/// spaces).
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::parse_decimal;

    #[test]
    fn decimal_parsing() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("150000"), Some(150_000));
        assert_eq!(parse_decimal("99999999999999999999999999"), Some(u64::MAX));
        for bad in ["", "+1", "-1", " 1", "1 ", "1e3", "0x10", "１"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }
}
