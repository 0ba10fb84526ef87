//! `validate` methods of the model objects.

use std::collections::BTreeSet;

use super::checks::{absolute_if_set, filesystem, folder_mappings, permissions};
use super::filters::{ip_list, validate_base_filters, validate_user_filters};
use super::names::{validate_email, validate_name, validate_username};
use super::{Check, ValidationError, at, each_one_of, idx, in_range, non_negative};
use crate::admin::{ADD_TO_USERS_AS_PRIMARY, Admin};
use crate::apikey::{API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_USER, ApiKey};
use crate::backup::BackupData;
use crate::filesystem::FsProvider;
use crate::folder::BaseVirtualFolder;
use crate::group::Group;
use crate::perms::{ADMIN_PERMISSIONS, PERM_ANY, clean_path};
use crate::role::Role;
use crate::user::{GROUP_TYPE_MEMBERSHIP, GROUP_TYPE_PRIMARY, User};

impl User {
    /// Checks the user against the reference rules (see the [module docs](crate::validate)).
    ///
    /// # Errors
    ///
    /// The first broken rule, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        user("", self)
    }
}

impl Group {
    /// Checks the group against the reference rules.
    ///
    /// # Errors
    ///
    /// The first broken rule, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        group("", self)
    }
}

impl BaseVirtualFolder {
    /// Checks the folder against the reference rules.
    ///
    /// # Errors
    ///
    /// The first broken rule, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        folder("", self)
    }
}

impl Admin {
    /// Checks the admin against the reference rules. A missing password is not an error here: the caller
    /// decides whether one is required (creation) or kept (update).
    ///
    /// # Errors
    ///
    /// The first broken rule, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        admin("", self)
    }
}

impl ApiKey {
    /// Checks the API key against the reference rules.
    ///
    /// # Errors
    ///
    /// The first broken rule, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        api_key("", self)
    }
}

impl Role {
    /// Checks the role against the reference rules.
    ///
    /// # Errors
    ///
    /// The first broken rule, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_name("name", &self.name)
    }
}

impl BackupData {
    /// Checks every modelled object of the backup (fields are reported as `users[2].permissions./`). References
    /// between objects (a user's groups and folders, an API key's user) are not checked.
    ///
    /// # Errors
    ///
    /// The first broken rule, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (i, u) in self.users.iter().enumerate() {
            user(&idx("users", i), u)?;
        }
        for (i, g) in self.groups.iter().enumerate() {
            group(&idx("groups", i), g)?;
        }
        for (i, f) in self.folders.iter().enumerate() {
            folder(&idx("folders", i), f)?;
        }
        for (i, a) in self.admins.iter().enumerate() {
            admin(&idx("admins", i), a)?;
        }
        for (i, k) in self.api_keys.iter().enumerate() {
            api_key(&idx("api_keys", i), k)?;
        }
        for (i, r) in self.roles.iter().enumerate() {
            validate_name(&at(&idx("roles", i), "name"), &r.name)?;
        }
        Ok(())
    }
}

fn user(p: &str, u: &User) -> Check {
    validate_username(&at(p, "username"), &u.username)?;
    in_range(|| at(p, "status"), u.status.into(), 0, 1)?;
    if !u.email.is_empty() {
        validate_email(&at(p, "email"), &u.email)?;
    }
    non_negative(|| at(p, "expiration_date"), u.expiration_date)?;
    absolute_if_set(&at(p, "home_dir"), &u.home_dir)?;
    in_range(|| at(p, "uid"), u.uid, 0, i32::MAX.into())?;
    in_range(|| at(p, "gid"), u.gid, 0, i32::MAX.into())?;
    for (name, value) in [
        ("max_sessions", u.max_sessions),
        ("quota_size", u.quota_size),
        ("quota_files", u.quota_files),
        ("upload_bandwidth", u.upload_bandwidth),
        ("download_bandwidth", u.download_bandwidth),
        ("upload_data_transfer", u.upload_data_transfer),
        ("download_data_transfer", u.download_data_transfer),
        ("total_data_transfer", u.total_data_transfer),
    ] {
        non_negative(|| at(p, name), value)?;
    }
    group_mappings(p, u)?;
    permissions(&at(p, "permissions"), &u.permissions, true)?;
    validate_user_filters(&at(p, "filters"), &u.filters)?;
    folder_mappings(&at(p, "virtual_folders"), &u.virtual_folders)?;
    filesystem(&at(p, "filesystem"), &u.filesystem)
}

fn group_mappings(p: &str, u: &User) -> Check {
    let field = at(p, "groups");
    let mut names = BTreeSet::new();
    let mut primary = None;
    for (i, g) in u.groups.iter().enumerate() {
        let entry = idx(&field, i);
        validate_name(&at(&entry, "name"), &g.name)?;
        in_range(
            || at(&entry, "type"),
            g.group_type.into(),
            GROUP_TYPE_PRIMARY.into(),
            GROUP_TYPE_MEMBERSHIP.into(),
        )?;
        if g.group_type == GROUP_TYPE_PRIMARY
            && let Some(first) = primary.replace(i)
        {
            return Err(ValidationError::new(
                at(&entry, "type"),
                format!("only one primary group is allowed, groups[{first}] is primary too"),
            ));
        }
        if !names.insert(g.name.as_str()) {
            return Err(ValidationError::new(
                at(&entry, "name"),
                format!("group {:?} is listed twice", g.name),
            ));
        }
    }
    Ok(())
}

fn group(p: &str, g: &Group) -> Check {
    validate_name(&at(p, "name"), &g.name)?;
    let s = &g.user_settings;
    let sp = at(p, "user_settings");
    absolute_if_set(&at(&sp, "home_dir"), &s.home_dir)?;
    for (name, value) in [
        ("max_sessions", s.max_sessions),
        ("quota_size", s.quota_size),
        ("quota_files", s.quota_files),
        ("upload_bandwidth", s.upload_bandwidth),
        ("download_bandwidth", s.download_bandwidth),
        ("upload_data_transfer", s.upload_data_transfer),
        ("download_data_transfer", s.download_data_transfer),
        ("total_data_transfer", s.total_data_transfer),
        ("expires_in", s.expires_in),
    ] {
        non_negative(|| at(&sp, name), value)?;
    }
    permissions(&at(&sp, "permissions"), &s.permissions, false)?;
    validate_base_filters(&at(&sp, "filters"), &s.filters)?;
    filesystem(&at(&sp, "filesystem"), &s.filesystem)?;
    folder_mappings(&at(p, "virtual_folders"), &g.virtual_folders)
}

fn folder(p: &str, f: &BaseVirtualFolder) -> Check {
    validate_name(&at(p, "name"), &f.name)?;
    let local = matches!(f.filesystem.provider, FsProvider::Local | FsProvider::Crypt);
    if (local || !f.mapped_path.is_empty()) && !clean_path(&f.mapped_path).starts_with('/') {
        return Err(ValidationError::new(
            at(p, "mapped_path"),
            format!("{:?} is not an absolute path", f.mapped_path),
        ));
    }
    filesystem(&at(p, "filesystem"), &f.filesystem)
}

fn admin(p: &str, a: &Admin) -> Check {
    validate_username(&at(p, "username"), &a.username)?;
    in_range(|| at(p, "status"), a.status.into(), 0, 1)?;
    if !a.email.is_empty() {
        validate_email(&at(p, "email"), &a.email)?;
    }
    let perms = at(p, "permissions");
    if a.permissions.is_empty() {
        return Err(ValidationError::new(
            perms,
            "at least one permission is required",
        ));
    }
    each_one_of(&perms, &a.permissions, &ADMIN_PERMISSIONS)?;
    if !a.role.is_empty()
        && let Some(i) = a.permissions.iter().position(|perm| perm == PERM_ANY)
    {
        return Err(ValidationError::new(
            idx(&perms, i),
            "an admin with a role cannot have the \"*\" permission",
        ));
    }
    let filters = at(p, "filters");
    ip_list(&at(&filters, "allow_list"), &a.filters.allow_list)?;
    let totp = &a.filters.totp_config;
    if totp.enabled {
        let totp_field = at(&filters, "totp_config");
        if totp.config_name.is_empty() {
            return Err(ValidationError::new(
                at(&totp_field, "config_name"),
                "is required when TOTP is enabled",
            ));
        }
        if totp.secret.as_ref().is_none_or(|s| s.is_empty()) {
            return Err(ValidationError::new(
                at(&totp_field, "secret"),
                "is required when TOTP is enabled",
            ));
        }
    }
    for (i, code) in a.filters.recovery_codes.iter().enumerate() {
        if code.secret.as_ref().is_none_or(|s| s.is_empty()) {
            return Err(ValidationError::new(
                at(&idx(&at(&filters, "recovery_codes"), i), "secret"),
                "a recovery code cannot be empty",
            ));
        }
    }
    non_negative(
        || at(&filters, "preferences.default_users_expiration"),
        a.filters.preferences.default_users_expiration,
    )?;
    let mut primary = false;
    for (i, g) in a.groups.iter().enumerate() {
        let entry = idx(&at(p, "groups"), i);
        validate_name(&at(&entry, "name"), &g.name)?;
        let mode = at(&entry, "options.add_to_users_as");
        in_range(|| mode.clone(), g.options.add_to_users_as.into(), 0, 2)?;
        if g.options.add_to_users_as == ADD_TO_USERS_AS_PRIMARY {
            if primary {
                return Err(ValidationError::new(
                    mode,
                    "only one primary group is allowed",
                ));
            }
            primary = true;
        }
    }
    Ok(())
}

fn api_key(p: &str, k: &ApiKey) -> Check {
    validate_name(&at(p, "name"), &k.name)?;
    if k.scope != API_KEY_SCOPE_ADMIN && k.scope != API_KEY_SCOPE_USER {
        return Err(ValidationError::new(
            at(p, "scope"),
            format!("must be 1 (admin) or 2 (user), got {}", k.scope),
        ));
    }
    if !k.user.is_empty() && !k.admin.is_empty() {
        return Err(ValidationError::new(
            at(p, "admin"),
            "an API key can be bound to a user or to an admin, not both",
        ));
    }
    non_negative(|| at(p, "expires_at"), k.expires_at)
}
