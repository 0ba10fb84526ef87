//! Checks shared by several objects: permission maps, folder mounts and filesystem sections.

use std::collections::{BTreeMap, BTreeSet};

use super::names::validate_name;
use super::{Check, ValidationError, at, each_one_of, idx, in_range, non_negative};
use crate::filesystem::{FilesystemConfig, FsProvider};
use crate::folder::VirtualFolder;
use crate::perms::{USER_PERMISSIONS, clean_path};
use crate::user::Permissions;

/// Longest folder mapping `subpath` (the reference's varchar(191) column).
const MAX_SUBPATH_LEN: usize = 191;

/// Checks a permission map; `require_root` for users (groups may leave `/` to the user).
///
/// Like the reference: keys must be absolute (they are compared after cleaning, so `/dir/` is `/dir`), only
/// `/` needs a non-empty list (an empty list elsewhere denies everything below that directory), and `*` may
/// be combined with other names (it grants everything anyway).
pub(super) fn permissions(field: &str, perms: &Permissions, require_root: bool) -> Check {
    if require_root && !perms.contains_key("/") {
        return Err(ValidationError::new(
            field,
            "permissions for the root directory \"/\" are required",
        ));
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (dir, list) in perms {
        let entry = at(field, dir);
        let cleaned = clean_path(dir);
        if !cleaned.starts_with('/') {
            return Err(ValidationError::new(
                entry,
                format!("{dir:?} is not an absolute path"),
            ));
        }
        if cleaned == "/" && dir != "/" {
            return Err(ValidationError::new(
                entry,
                format!("{dir:?} is an alias of \"/\", use \"/\""),
            ));
        }
        if let Some(other) = seen.insert(cleaned.clone(), dir) {
            return Err(ValidationError::new(
                entry,
                format!("{dir:?} and {other:?} are the same directory {cleaned:?}"),
            ));
        }
        if list.is_empty() && cleaned == "/" {
            return Err(ValidationError::new(
                entry,
                "the root directory needs at least one permission",
            ));
        }
        if list.len() > USER_PERMISSIONS.len() {
            return Err(ValidationError::new(
                entry,
                format!(
                    "has {} entries, more than the {} permission names",
                    list.len(),
                    USER_PERMISSIONS.len()
                ),
            ));
        }
        each_one_of(&entry, list, &USER_PERMISSIONS)?;
    }
    Ok(())
}

/// Checks the folder mounts of a user or group.
pub(super) fn folder_mappings(field: &str, folders: &[VirtualFolder]) -> Check {
    let mut mount_points: BTreeMap<String, usize> = BTreeMap::new();
    let mut mounts: BTreeSet<(&str, String)> = BTreeSet::new();
    let mut quotas: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (i, f) in folders.iter().enumerate() {
        let entry = idx(field, i);
        validate_name(&at(&entry, "name"), &f.name)?;
        let vpath = at(&entry, "virtual_path");
        if !f.virtual_path.starts_with('/') {
            return Err(ValidationError::new(
                vpath,
                format!("{:?} is not an absolute path", f.virtual_path),
            ));
        }
        if let Some(other) = mount_points.insert(clean_path(&f.virtual_path), i) {
            return Err(ValidationError::new(
                vpath,
                format!(
                    "{:?} is already the mount point of {}",
                    f.virtual_path,
                    idx(field, other)
                ),
            ));
        }
        in_range(|| at(&entry, "quota_size"), f.quota_size, -1, i64::MAX)?;
        in_range(|| at(&entry, "quota_files"), f.quota_files, -1, i64::MAX)?;
        if (f.quota_size == -1) != (f.quota_files == -1) {
            return Err(ValidationError::new(
                at(&entry, "quota_files"),
                "quota_size and quota_files must both be -1 (counted in the user quota) or both >= 0",
            ));
        }
        if let Some(&limits) = quotas.get(f.name.as_str())
            && limits != (f.quota_size, f.quota_files)
        {
            return Err(ValidationError::new(
                at(&entry, "quota_size"),
                format!(
                    "folder {:?} must have the same quota on all its mounts",
                    f.name
                ),
            ));
        }
        quotas.insert(&f.name, (f.quota_size, f.quota_files));
        let subpath = canonical_subpath(&at(&entry, "subpath"), &f.subpath)?;
        if !mounts.insert((&f.name, subpath)) {
            return Err(ValidationError::new(
                at(&entry, "name"),
                format!("folder {:?} is mounted twice with the same subpath", f.name),
            ));
        }
    }
    Ok(())
}

/// Checks a mapping sub-path and returns its canonical form (`""` for none).
fn canonical_subpath(field: &str, subpath: &str) -> Result<String, ValidationError> {
    if subpath.is_empty() {
        return Ok(String::new());
    }
    let trimmed = subpath.strip_suffix('/').unwrap_or(subpath);
    let trimmed = trimmed.strip_prefix('/').unwrap_or(trimmed);
    let cleaned = clean_path(&format!("/{trimmed}"));
    if cleaned == "/" || cleaned != format!("/{trimmed}") || cleaned.len() > MAX_SUBPATH_LEN {
        return Err(ValidationError::new(
            field,
            format!(
                "{subpath:?} must be a canonical path other than \"/\" of at most {MAX_SUBPATH_LEN} characters"
            ),
        ));
    }
    Ok(cleaned)
}

/// Fails if `path` is set and not absolute.
pub(super) fn absolute_if_set(field: &str, path: &str) -> Check {
    if !path.is_empty() && !path.starts_with('/') {
        return Err(ValidationError::new(
            field,
            format!("{path:?} is not an absolute path"),
        ));
    }
    Ok(())
}

/// Fails if `value` is empty.
fn required(field: impl FnOnce() -> String, value: &str) -> Check {
    if value.is_empty() {
        return Err(ValidationError::new(field(), "is required"));
    }
    Ok(())
}

/// Checks the section of the active provider; the other sections are ignored, as in the reference.
pub(super) fn filesystem(p: &str, fs: &FilesystemConfig) -> Check {
    match fs.provider {
        FsProvider::Local => {
            let s = at(p, "osconfig");
            in_range(
                || at(&s, "read_buffer_size"),
                fs.osconfig.read_buffer_size,
                0,
                10,
            )?;
            in_range(
                || at(&s, "write_buffer_size"),
                fs.osconfig.write_buffer_size,
                0,
                10,
            )
        }
        FsProvider::Crypt => {
            let s = at(p, "cryptconfig");
            let c = &fs.cryptconfig;
            in_range(|| at(&s, "read_buffer_size"), c.read_buffer_size, 0, 10)?;
            in_range(|| at(&s, "write_buffer_size"), c.write_buffer_size, 0, 10)?;
            if c.passphrase.as_ref().is_none_or(|s| s.is_empty()) {
                return Err(ValidationError::new(at(&s, "passphrase"), "is required"));
            }
            Ok(())
        }
        FsProvider::S3 => {
            let s = at(p, "s3config");
            let c = &fs.s3config;
            required(|| at(&s, "bucket"), &c.bucket)?;
            for (name, value) in [
                ("upload_part_size", c.upload_part_size),
                ("upload_concurrency", c.upload_concurrency),
                ("upload_part_max_time", c.upload_part_max_time),
                ("download_part_size", c.download_part_size),
                ("download_concurrency", c.download_concurrency),
                ("download_part_max_time", c.download_part_max_time),
            ] {
                non_negative(|| at(&s, name), value)?;
            }
            Ok(())
        }
        FsProvider::Gcs => {
            let s = at(p, "gcsconfig");
            let c = &fs.gcsconfig;
            required(|| at(&s, "bucket"), &c.bucket)?;
            in_range(
                || at(&s, "automatic_credentials"),
                c.automatic_credentials.into(),
                0,
                1,
            )?;
            non_negative(|| at(&s, "upload_part_size"), c.upload_part_size)?;
            non_negative(|| at(&s, "upload_part_max_time"), c.upload_part_max_time)
        }
        FsProvider::AzBlob => {
            let s = at(p, "azblobconfig");
            let c = &fs.azblobconfig;
            if !["", "Archive", "Hot", "Cool"].contains(&c.access_tier.as_str()) {
                return Err(ValidationError::new(
                    at(&s, "access_tier"),
                    format!("{:?} is not one of \"\", Archive, Hot, Cool", c.access_tier),
                ));
            }
            for (name, value) in [
                ("upload_part_size", c.upload_part_size),
                ("upload_concurrency", c.upload_concurrency),
                ("download_part_size", c.download_part_size),
                ("download_concurrency", c.download_concurrency),
            ] {
                non_negative(|| at(&s, name), value)?;
            }
            Ok(())
        }
        FsProvider::Sftp => {
            let s = at(p, "sftpconfig");
            let c = &fs.sftpconfig;
            required(|| at(&s, "endpoint"), &c.endpoint)?;
            required(|| at(&s, "username"), &c.username)?;
            in_range(|| at(&s, "buffer_size"), c.buffer_size, 0, 16)?;
            in_range(
                || at(&s, "equality_check_mode"),
                c.equality_check_mode.into(),
                0,
                1,
            )
        }
        FsProvider::Http => {
            let s = at(p, "httpconfig");
            let c = &fs.httpconfig;
            if !(c.endpoint.starts_with("http://") || c.endpoint.starts_with("https://")) {
                return Err(ValidationError::new(
                    at(&s, "endpoint"),
                    format!("{:?} is not an http:// or https:// URL", c.endpoint),
                ));
            }
            in_range(
                || at(&s, "equality_check_mode"),
                c.equality_check_mode.into(),
                0,
                1,
            )
        }
    }
}
