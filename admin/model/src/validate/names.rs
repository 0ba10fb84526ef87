//! Name rules for users, admins, groups, folders, roles and API keys (the reference's `util.IsNameValid` with
//! the default naming rules: UTF-8 allowed, names trimmed).

use super::{Check, ValidationError};
use crate::perms::RESERVED_USERNAMES;

/// Names Windows reserves for devices; the reference refuses them (before any `.` extension, any case).
const WINDOWS_DEVICE_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Characters the reference refuses in names besides control and invisible characters.
const FORBIDDEN_CHARS: [char; 9] = ['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

/// Unicode general category Cf (format characters: zero-width, bidirectional controls…), Unicode 15.1.
const FORMAT_CHARS: [(u32, u32); 21] = [
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// True for control (Cc), format (Cf) and line/paragraph separator (Zl/Zp) characters.
fn is_invisible(c: char) -> bool {
    let code = u32::from(c);
    c.is_control()
        || c == '\u{2028}'
        || c == '\u{2029}'
        || FORMAT_CHARS
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&code))
}

/// Checks a name of a user, admin, group, folder, role or API key, reporting problems on `field`.
///
/// A valid name is non-empty, at most 255 bytes, has no leading or trailing whitespace, contains none of
/// `/ \ : * ? " < > |` nor control or invisible formatting characters, is not `.` or `..`, and is not a Windows
/// device name (`CON`, `nul.txt`, `COM1`…).
///
/// # Errors
///
/// [`ValidationError`] naming `field` and the broken rule.
pub fn validate_name(field: &str, name: &str) -> Result<(), ValidationError> {
    let fail = |message: String| Err(ValidationError::new(field, message));
    if name.is_empty() {
        return fail("is required".to_owned());
    }
    if name.len() > 255 {
        return fail(format!(
            "must be at most 255 bytes long, got {}",
            name.len()
        ));
    }
    if name.trim() != name {
        return fail(format!("{name:?} must not start or end with whitespace"));
    }
    if let Some(c) = name.chars().find(|c| FORBIDDEN_CHARS.contains(c)) {
        return fail(format!(
            "{name:?} must not contain {c:?}; / \\ : * ? \" < > | are not allowed"
        ));
    }
    if let Some(c) = name.chars().find(|&c| is_invisible(c)) {
        return fail(format!(
            "{name:?} must not contain control or invisible formatting characters (found U+{:04X})",
            u32::from(c)
        ));
    }
    if name == "." || name == ".." {
        return fail(format!("{name:?} is not a valid name"));
    }
    let base = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    if WINDOWS_DEVICE_NAMES.contains(&base.as_str()) {
        return fail(format!("{name:?} is a reserved system name"));
    }
    Ok(())
}

/// Like [`validate_name`], and also refuses the usernames the reference reserves (`__self__`, `__system__`).
pub(super) fn validate_username(field: &str, name: &str) -> Check {
    validate_name(field, name)?;
    if RESERVED_USERNAMES.contains(&name) {
        return Err(ValidationError::new(field, format!("{name:?} is reserved")));
    }
    Ok(())
}

/// A lenient e-mail check: `local@domain` with a non-empty local part and a dotted domain of non-empty labels
/// without whitespace or control characters. Every address the reference accepts passes.
pub(super) fn validate_email(field: &str, email: &str) -> Check {
    let valid = email.rsplit_once('@').is_some_and(|(local, domain)| {
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        !local.is_empty()
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
            && !domain.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    if valid {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!("{email:?} is not a valid e-mail address"),
        ))
    }
}
