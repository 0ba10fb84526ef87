//! From a stored user to the data plane's view of it: the permissions, name patterns and limits the VFS
//! enforces (`ringway_core::UserView`). Computed once per login from the effective user (groups applied).

use ringway_core::{DenyPolicy, FilePatterns, PatternRule, Permissions, UserView};
use ringway_model::User;

/// Why a stored user cannot be turned into a view (the data was validated on write, so this means the
/// database holds something the API would refuse).
#[derive(Debug, thiserror::Error)]
#[error("user {username:?} cannot be served: {message}")]
pub struct ViewError {
    /// The user.
    pub username: String,
    /// What is wrong.
    pub message: String,
}

/// The VFS view of an effective user.
///
/// # Errors
/// [`ViewError`] when a permission name, pattern or path does not compile.
pub fn user_view(user: &User) -> Result<UserView, ViewError> {
    let err = |message: String| ViewError {
        username: user.username.clone(),
        message,
    };
    let permissions = Permissions::from_entries(
        user.permissions
            .iter()
            .map(|(path, names)| (path.as_str(), names.iter().map(String::as_str))),
    )
    .map_err(err)?;
    let mut rules = Vec::with_capacity(user.filters.file_patterns.len());
    for p in &user.filters.file_patterns {
        let policy = if p.deny_policy == 1 {
            DenyPolicy::Hidden
        } else {
            DenyPolicy::Visible
        };
        rules.push(
            PatternRule::new(&p.path, &p.allowed_patterns, &p.denied_patterns, policy)
                .map_err(err)?,
        );
    }
    Ok(UserView {
        username: user.username.clone(),
        home_dir: user.home_dir.clone().into(),
        permissions,
        patterns: FilePatterns::new(rules),
        max_upload_file_size: u64::try_from(user.filters.max_upload_file_size).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use ringway_core::{PatternDecision, PermissionSet, VirtualPath};
    use serde_json::json;

    use super::*;

    #[test]
    fn permissions_patterns_and_limits() {
        let user: User = serde_json::from_value(json!({
            "username": "v", "status": 1, "home_dir": "/srv/v",
            "permissions": {"/": ["list", "download"], "/in": ["*"]},
            "filters": {
                "max_upload_file_size": 1024,
                "file_patterns": [{"path": "/pics", "allowed_patterns": ["*.jpg"], "deny_policy": 1}]
            }
        }))
        .unwrap();
        let v = user_view(&user).unwrap();
        let p = |s: &str| VirtualPath::parse(s).unwrap();
        assert!(v.permissions.has(&p("/"), PermissionSet::LIST));
        assert!(!v.permissions.has(&p("/"), PermissionSet::UPLOAD));
        assert!(v.permissions.has(&p("/in/x"), PermissionSet::UPLOAD));
        assert_eq!(v.max_upload_file_size, 1024);
        assert!(!matches!(
            v.patterns.decide(&p("/pics/a.png"), false),
            PatternDecision::Allowed
        ));
        assert!(matches!(
            v.patterns.decide(&p("/pics/a.jpg"), false),
            PatternDecision::Allowed
        ));
    }
}
