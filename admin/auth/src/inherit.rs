//! Settings a user inherits from their groups, applied at login (the stored user is never changed).
//!
//! As in the reference: a primary group (type 1) supplies the home directory and filesystem when it sets
//! them, and numeric limits the user leaves at 0; primary and secondary (type 2) groups add virtual folders,
//! permissions on paths the user does not configure (a secondary group cannot set `/`), file patterns, IP
//! lists and denied protocols and login methods; membership groups (type 3) add nothing. `%username%` in a
//! group's paths becomes the user's name.

use ringway_model::{FsProvider, Group, User};

const PRIMARY: i32 = 1;
const SECONDARY: i32 = 2;

fn placeholder(s: &str, user: &str) -> String {
    s.replace("%username%", user)
}

fn union(into: &mut Vec<String>, from: &[String]) {
    for v in from {
        if !into.contains(v) {
            into.push(v.clone());
        }
    }
}

fn take_if_zero(mine: &mut i64, theirs: i64) {
    if *mine == 0 {
        *mine = theirs;
    }
}

/// Returns `user` with the settings of `groups` (each with its mapping type) applied.
#[must_use]
pub fn apply(mut user: User, groups: &[(i32, Group)]) -> User {
    let name = user.username.clone();
    for (ty, g) in groups.iter().filter(|(t, _)| *t == PRIMARY) {
        debug_assert_eq!(*ty, PRIMARY);
        let s = &g.user_settings;
        if !s.home_dir.is_empty() {
            user.home_dir = placeholder(&s.home_dir, &name);
        }
        if s.filesystem.provider != FsProvider::Local {
            user.filesystem = s.filesystem.clone();
        }
        take_if_zero(&mut user.max_sessions, s.max_sessions);
        take_if_zero(&mut user.quota_size, s.quota_size);
        take_if_zero(&mut user.quota_files, s.quota_files);
        take_if_zero(&mut user.upload_bandwidth, s.upload_bandwidth);
        take_if_zero(&mut user.download_bandwidth, s.download_bandwidth);
        take_if_zero(&mut user.upload_data_transfer, s.upload_data_transfer);
        take_if_zero(&mut user.download_data_transfer, s.download_data_transfer);
        take_if_zero(&mut user.total_data_transfer, s.total_data_transfer);
        take_if_zero(
            &mut user.filters.max_upload_file_size,
            s.filters.max_upload_file_size,
        );
        if user.filters.start_directory.is_empty() {
            user.filters.start_directory = placeholder(&s.filters.start_directory, &name);
        }
    }
    for (ty, g) in groups
        .iter()
        .filter(|(t, _)| *t == PRIMARY || *t == SECONDARY)
    {
        let s = &g.user_settings;
        for (path, perms) in &s.permissions {
            let path = placeholder(path, &name);
            if *ty == SECONDARY && path == "/" {
                continue;
            }
            user.permissions
                .entry(path)
                .or_insert_with(|| perms.clone());
        }
        for f in &g.virtual_folders {
            let vp = placeholder(&f.virtual_path, &name);
            if user.virtual_folders.iter().any(|m| m.virtual_path == vp) {
                continue;
            }
            let mut f = f.clone();
            f.virtual_path = vp;
            f.mapped_path = placeholder(&f.mapped_path, &name);
            f.subpath = placeholder(&f.subpath, &name);
            user.virtual_folders.push(f);
        }
        let uf = &mut user.filters;
        for p in &s.filters.file_patterns {
            let path = placeholder(&p.path, &name);
            if !uf.file_patterns.iter().any(|q| q.path == path) {
                let mut p = p.clone();
                p.path = path;
                uf.file_patterns.push(p);
            }
        }
        union(&mut uf.allowed_ip, &s.filters.allowed_ip);
        union(&mut uf.denied_ip, &s.filters.denied_ip);
        union(&mut uf.denied_protocols, &s.filters.denied_protocols);
        union(
            &mut uf.denied_login_methods,
            &s.filters.denied_login_methods,
        );
        union(
            &mut uf.two_factor_protocols,
            &s.filters.two_factor_protocols,
        );
        union(&mut uf.web_client, &s.filters.web_client);
    }
    user
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn group(v: serde_json::Value) -> Group {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn primary_secondary_and_membership() {
        let user: User = serde_json::from_value(json!({
            "username": "ann", "status": 1, "home_dir": "/home/ann", "quota_size": 5,
            "permissions": {"/": ["list"]},
            "filters": {"denied_protocols": ["FTP"]}
        }))
        .unwrap();
        let primary = group(json!({"name": "p", "user_settings": {
            "home_dir": "/groups/%username%", "quota_size": 100, "max_sessions": 3,
            "permissions": {"/": ["*"], "/in": ["upload"]},
            "filters": {"denied_protocols": ["DAV"], "start_directory": "/in"}
        }}));
        let secondary = group(json!({"name": "s", "user_settings": {
            "permissions": {"/": ["*"], "/shared/%username%": ["download"]},
            "max_sessions": 9,
            "filters": {"denied_ip": ["192.0.2.0/24"]}
        }}));
        let membership = group(json!({"name": "m", "user_settings": {
            "permissions": {"/m": ["*"]}, "filters": {"denied_protocols": ["SSH"]}
        }}));
        let eff = apply(user, &[(1, primary), (2, secondary), (3, membership)]);
        assert_eq!(eff.home_dir, "/groups/ann");
        assert_eq!(eff.quota_size, 5, "the user's own limit wins");
        assert_eq!(
            eff.max_sessions, 3,
            "only the primary group supplies limits"
        );
        assert_eq!(eff.permissions["/"], ["list"], "the user's / wins");
        assert_eq!(eff.permissions["/in"], ["upload"]);
        assert_eq!(eff.permissions["/shared/ann"], ["download"]);
        assert!(!eff.permissions.contains_key("/m"));
        assert_eq!(eff.filters.denied_protocols, ["FTP", "DAV"]);
        assert_eq!(eff.filters.denied_ip, ["192.0.2.0/24"]);
        assert_eq!(eff.filters.start_directory, "/in");
    }
}
