//! Checks of `BaseUserFilters` / `UserFilters`.

use std::collections::BTreeSet;

use super::names::validate_email;
use super::{Check, ValidationError, at, each_one_of, idx, in_range, non_negative};
use crate::filters::{BandwidthLimit, BaseUserFilters, PatternsFilter, TimePeriod, UserFilters};
use crate::ipnet::IpNet;
use crate::perms::{
    LOGIN_METHODS, MFA_PROTOCOLS, PROTOCOLS, TLS_USERNAMES, WEB_CLIENT_OPTIONS, clean_path,
};

const MFA_DISABLED: &str = "mfa-disabled";
const PASSWORD_CHANGE_DISABLED: &str = "password-change-disabled";

/// Checks the shared filters found at `prefix` (`filters` for users, `user_settings.filters` for groups).
pub(super) fn validate_base_filters(prefix: &str, f: &BaseUserFilters) -> Check {
    ip_list(&at(prefix, "allowed_ip"), &f.allowed_ip)?;
    ip_list(&at(prefix, "denied_ip"), &f.denied_ip)?;
    for (i, limit) in f.bandwidth_limits.iter().enumerate() {
        bandwidth_limit(&idx(&at(prefix, "bandwidth_limits"), i), limit)?;
    }
    let methods = at(prefix, "denied_login_methods");
    each_one_of(&methods, &f.denied_login_methods, &LOGIN_METHODS)?;
    if distinct(&f.denied_login_methods) >= LOGIN_METHODS.len() {
        return Err(ValidationError::new(
            methods,
            "cannot deny every login method",
        ));
    }
    let protocols = at(prefix, "denied_protocols");
    each_one_of(&protocols, &f.denied_protocols, &PROTOCOLS)?;
    if distinct(&f.denied_protocols) >= PROTOCOLS.len() {
        return Err(ValidationError::new(
            protocols,
            "cannot deny every protocol",
        ));
    }
    each_one_of(
        &at(prefix, "two_factor_protocols"),
        &f.two_factor_protocols,
        &MFA_PROTOCOLS,
    )?;
    if !f.tls_username.is_empty() && !TLS_USERNAMES.contains(&f.tls_username.as_str()) {
        return Err(ValidationError::new(
            at(prefix, "tls_username"),
            format!(
                "{:?} is not one of \"\", {}",
                f.tls_username,
                TLS_USERNAMES.join(", ")
            ),
        ));
    }
    each_one_of(
        &at(prefix, "web_client"),
        &f.web_client,
        &WEB_CLIENT_OPTIONS,
    )?;
    non_negative(
        || at(prefix, "max_upload_file_size"),
        f.max_upload_file_size,
    )?;
    non_negative(
        || at(prefix, "external_auth_cache_time"),
        f.external_auth_cache_time,
    )?;
    in_range(|| at(prefix, "ftp_security"), f.ftp_security.into(), 0, 1)?;
    non_negative(
        || at(prefix, "default_shares_expiration"),
        f.default_shares_expiration,
    )?;
    non_negative(
        || at(prefix, "max_shares_expiration"),
        f.max_shares_expiration,
    )?;
    if f.max_shares_expiration > 0 && f.default_shares_expiration > f.max_shares_expiration {
        return Err(ValidationError::new(
            at(prefix, "default_shares_expiration"),
            format!(
                "{} days is more than max_shares_expiration ({} days)",
                f.default_shares_expiration, f.max_shares_expiration
            ),
        ));
    }
    non_negative(|| at(prefix, "password_expiration"), f.password_expiration)?;
    non_negative(|| at(prefix, "password_strength"), f.password_strength)?;
    for (i, period) in f.access_time.iter().enumerate() {
        time_period(&idx(&at(prefix, "access_time"), i), period)?;
    }
    file_patterns(&at(prefix, "file_patterns"), &f.file_patterns)
}

/// Checks user filters: the shared part plus e-mails, TOTP, recovery codes and the combinations the reference
/// refuses.
pub(super) fn validate_user_filters(prefix: &str, f: &UserFilters) -> Check {
    validate_base_filters(prefix, &f.base())?;
    let emails = at(prefix, "additional_emails");
    for (i, email) in f.additional_emails.iter().enumerate() {
        validate_email(&idx(&emails, i), email)?;
    }
    let totp = at(prefix, "totp_config");
    if f.totp_config.enabled {
        if f.totp_config.config_name.is_empty() {
            return Err(ValidationError::new(
                at(&totp, "config_name"),
                "is required when TOTP is enabled",
            ));
        }
        if f.totp_config.secret.as_ref().is_none_or(|s| s.is_empty()) {
            return Err(ValidationError::new(
                at(&totp, "secret"),
                "is required when TOTP is enabled",
            ));
        }
        if f.totp_config.protocols.is_empty() {
            return Err(ValidationError::new(
                at(&totp, "protocols"),
                "at least one protocol is required when TOTP is enabled",
            ));
        }
        each_one_of(
            &at(&totp, "protocols"),
            &f.totp_config.protocols,
            &MFA_PROTOCOLS,
        )?;
    }
    let codes = at(prefix, "recovery_codes");
    for (i, code) in f.recovery_codes.iter().enumerate() {
        if code.secret.as_ref().is_none_or(|s| s.is_empty()) {
            return Err(ValidationError::new(
                at(&idx(&codes, i), "secret"),
                "a recovery code cannot be empty",
            ));
        }
    }
    let web_client = |option: &str| f.web_client.iter().any(|o| o == option);
    if web_client(MFA_DISABLED) && f.totp_config.enabled {
        return Err(ValidationError::new(
            at(prefix, "web_client"),
            "\"mfa-disabled\" cannot be set while TOTP is enabled",
        ));
    }
    if web_client(MFA_DISABLED) && !f.two_factor_protocols.is_empty() {
        return Err(ValidationError::new(
            at(prefix, "web_client"),
            "\"mfa-disabled\" cannot be set while two_factor_protocols requires two-factor authentication",
        ));
    }
    if web_client(PASSWORD_CHANGE_DISABLED) && f.require_password_change {
        return Err(ValidationError::new(
            at(prefix, "require_password_change"),
            "cannot require a password change while \"password-change-disabled\" is set",
        ));
    }
    Ok(())
}

/// Number of distinct strings in `values`.
fn distinct(values: &[String]) -> usize {
    values.iter().collect::<BTreeSet<_>>().len()
}

/// Checks that every entry is an IP address or CIDR network.
pub(super) fn ip_list(field: &str, entries: &[String]) -> Check {
    for (i, entry) in entries.iter().enumerate() {
        IpNet::parse(entry).map_err(|err| ValidationError::new(idx(field, i), err.to_string()))?;
    }
    Ok(())
}

fn bandwidth_limit(field: &str, limit: &BandwidthLimit) -> Check {
    let sources = at(field, "sources");
    if limit.sources.is_empty() {
        return Err(ValidationError::new(
            sources,
            "at least one source network is required",
        ));
    }
    ip_list(&sources, &limit.sources)?;
    non_negative(|| at(field, "upload_bandwidth"), limit.upload_bandwidth)?;
    non_negative(|| at(field, "download_bandwidth"), limit.download_bandwidth)
}

fn time_period(field: &str, period: &TimePeriod) -> Check {
    in_range(|| at(field, "day_of_week"), period.day_of_week.into(), 0, 6)?;
    for (name, value) in [("from", &period.from), ("to", &period.to)] {
        if !is_time_of_day(value) {
            return Err(ValidationError::new(
                at(field, name),
                format!("{value:?} is not a time of day in HH:MM format"),
            ));
        }
    }
    if period.to <= period.from {
        return Err(ValidationError::new(
            at(field, "to"),
            format!(
                "{:?} must be later than from ({:?})",
                period.to, period.from
            ),
        ));
    }
    Ok(())
}

/// `HH:MM`, 00:00 to 23:59.
fn is_time_of_day(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return false;
    }
    let number = |s: &[u8]| {
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| u32::from(s[0] - b'0') * 10 + u32::from(s[1] - b'0'))
    };
    matches!((number(&bytes[..2]), number(&bytes[3..])), (Some(h), Some(m)) if h < 24 && m < 60)
}

fn file_patterns(field: &str, filters: &[PatternsFilter]) -> Check {
    let mut seen = BTreeSet::new();
    for (i, filter) in filters.iter().enumerate() {
        let entry = idx(field, i);
        let cleaned = clean_path(&filter.path);
        if !cleaned.starts_with('/') {
            return Err(ValidationError::new(
                at(&entry, "path"),
                format!("{:?} is not an absolute path", filter.path),
            ));
        }
        if !seen.insert(cleaned.clone()) {
            return Err(ValidationError::new(
                at(&entry, "path"),
                format!("another file patterns filter is defined for {cleaned:?}"),
            ));
        }
        if filter.allowed_patterns.is_empty() && filter.denied_patterns.is_empty() {
            return Err(ValidationError::new(
                entry,
                "at least one allowed or denied pattern is required",
            ));
        }
        in_range(
            || at(&entry, "deny_policy"),
            filter.deny_policy.into(),
            0,
            1,
        )?;
        for (name, patterns) in [
            ("allowed_patterns", &filter.allowed_patterns),
            ("denied_patterns", &filter.denied_patterns),
        ] {
            for (j, pattern) in patterns.iter().enumerate() {
                if let Err(problem) = check_glob(pattern) {
                    return Err(ValidationError::new(
                        idx(&at(&entry, name), j),
                        format!("{pattern:?} is not a valid shell pattern: {problem}"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Checks shell-pattern syntax as Go's `path.Match` does (`*`, `?`, `[...]` classes with `^` and ranges,
/// `\` escapes).
fn check_glob(pattern: &str) -> Result<(), &'static str> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    return Err("it ends with an unescaped backslash");
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut ranges = 0;
                loop {
                    match chars.get(i) {
                        None => return Err("a character class is not closed"),
                        Some(']') if ranges > 0 => {
                            i += 1;
                            break;
                        }
                        _ => {}
                    }
                    i = class_char(&chars, i)?;
                    if chars.get(i) == Some(&'-') {
                        i = class_char(&chars, i + 1)?;
                    }
                    ranges += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Reads one (possibly escaped) character of a character class at `i`; returns the next position.
fn class_char(chars: &[char], i: usize) -> Result<usize, &'static str> {
    match chars.get(i) {
        None => Err("a character class is not closed"),
        Some('-' | ']') => Err("a character class has an empty range or an unescaped '-' or ']'"),
        Some('\\') if i + 1 < chars.len() => Ok(i + 2),
        Some('\\') => Err("a character class is not closed"),
        Some(_) => Ok(i + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::{check_glob, is_time_of_day};

    #[test]
    fn globs_like_go() {
        for ok in ["*.jpg", "a*b?.png", "[a-z]*", "[^0-9].txt", "\\*", "[\\]]"] {
            assert!(check_glob(ok).is_ok(), "{ok:?}");
        }
        for bad in ["[", "[]", "[a", "a\\", "[-a]", "[a-]", "[^]"] {
            assert!(check_glob(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn times_of_day() {
        assert!(is_time_of_day("00:00"));
        assert!(is_time_of_day("23:59"));
        assert!(!is_time_of_day("24:00"));
        assert!(!is_time_of_day("9:00"));
        assert!(!is_time_of_day("09:60"));
        assert!(!is_time_of_day("0a:00"));
    }
}
