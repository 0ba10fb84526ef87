//! Dumps and restores in the reference backup format (`BackupData`), for `/dumpdata` and `/loaddata`.
//!
//! A restore adds objects in dependency order (roles, folders, groups, users, admins, API keys) and keeps the
//! password hashes, quota counters and timestamps the backup carries. Sections ringway does not manage yet
//! (shares, event actions and rules, IP lists, configs) are refused when non-empty rather than dropped
//! silently.

use ringway_model::{
    Admin, ApiKey, BackupData, BaseVirtualFolder, DUMP_VERSION, Group, Role, User,
};
use ringway_provider::{AddMode, ObjectKind, ProviderError};

use crate::error::{ApiError, ApiResult};
use crate::state::ApiState;

/// How a restore treats objects that exist already (the reference's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the reference's names for the three modes
pub(crate) enum LoadMode {
    /// 0: add new objects and update existing ones.
    AddOrUpdate,
    /// 1: add new objects, leave existing ones alone.
    AddOnly,
    /// 2: as 0, and disconnect the sessions of updated users.
    AddOrUpdateDisconnect,
}

impl LoadMode {
    /// From the reference's numeric mode.
    #[must_use]
    pub(crate) fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::AddOrUpdate),
            1 => Some(Self::AddOnly),
            2 => Some(Self::AddOrUpdateDisconnect),
            _ => None,
        }
    }
}

/// What a restore did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct LoadReport {
    /// Objects added.
    pub(crate) added: usize,
    /// Objects updated.
    pub(crate) updated: usize,
    /// Objects left alone (add-only mode).
    pub(crate) skipped: usize,
}

/// Reads every object into a backup.
///
/// # Errors
/// When the provider fails.
pub(crate) async fn dump(state: &ApiState) -> Result<BackupData, ProviderError> {
    let p = state.provider();
    Ok(BackupData {
        users: p.list_all(ObjectKind::User).await?,
        groups: p.list_all(ObjectKind::Group).await?,
        folders: p.list_all(ObjectKind::Folder).await?,
        admins: p.list_all(ObjectKind::Admin).await?,
        api_keys: p.list_api_keys(0, i64::MAX as u64, false).await?,
        roles: p.list_all(ObjectKind::Role).await?,
        version: DUMP_VERSION,
        ..BackupData::default()
    })
}

fn at(section: &str, i: usize, key: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("{section}[{i}] ({key:?}): {e}"))
}

async fn put<T>(
    state: &ApiState,
    kind: ObjectKind,
    obj: &T,
    key: &str,
    mode: LoadMode,
    report: &mut LoadReport,
) -> Result<bool, ProviderError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let exists = state
        .provider()
        .get::<serde_json::Value>(kind, key)
        .await?
        .is_some();
    if exists {
        if mode == LoadMode::AddOnly {
            report.skipped += 1;
            return Ok(false);
        }
        let _: T = state.provider().update(kind, obj).await?;
        report.updated += 1;
        Ok(true)
    } else {
        let _: T = state.provider().add(kind, obj, AddMode::Restore).await?;
        report.added += 1;
        Ok(false)
    }
}

/// How many server configurations (`sftpd`, `smtp`, `acme`, `branding`...) a backup's `configs` holds; its
/// `updated_at` alone, `null` members and empty objects are no configuration.
fn config_sections(configs: &serde_json::Value) -> usize {
    use serde_json::Value;
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    match configs {
        Value::Object(m) => m
            .iter()
            .filter(|(k, v)| k.as_str() != "updated_at" && !empty(v))
            .count(),
        other => usize::from(!empty(other)),
    }
}

/// Restores a backup.
///
/// # Errors
/// 400 naming the first object that is invalid or cannot be stored; objects before it stay restored.
pub(crate) async fn load(
    state: &ApiState,
    data: BackupData,
    mode: LoadMode,
) -> ApiResult<LoadReport> {
    for (name, n) in [
        ("shares", data.shares.len()),
        ("event_actions", data.event_actions.len()),
        ("event_rules", data.event_rules.len()),
        ("ip_lists", data.ip_lists.len()),
        ("configs", data.configs.as_ref().map_or(0, config_sections)),
    ] {
        if n > 0 {
            return Err(ApiError::bad_request(format!(
                "the backup holds {n} {name}, which this version of ringway cannot restore yet; \
                 remove that section to restore the rest"
            )));
        }
    }
    let mut report = LoadReport::default();
    for (i, r) in data.roles.iter().enumerate() {
        r.validate().map_err(|e| at("roles", i, &r.name, e))?;
        put::<Role>(state, ObjectKind::Role, r, &r.name, mode, &mut report)
            .await
            .map_err(|e| at("roles", i, &r.name, e))?;
    }
    for (i, f) in data.folders.iter().enumerate() {
        f.validate().map_err(|e| at("folders", i, &f.name, e))?;
        put::<BaseVirtualFolder>(state, ObjectKind::Folder, f, &f.name, mode, &mut report)
            .await
            .map_err(|e| at("folders", i, &f.name, e))?;
    }
    for (i, g) in data.groups.iter().enumerate() {
        g.validate().map_err(|e| at("groups", i, &g.name, e))?;
        put::<Group>(state, ObjectKind::Group, g, &g.name, mode, &mut report)
            .await
            .map_err(|e| at("groups", i, &g.name, e))?;
    }
    for (i, u) in data.users.into_iter().enumerate() {
        let mut u: User = u;
        u.validate().map_err(|e| at("users", i, &u.username, e))?;
        if let Some(p) = u.password.as_deref().filter(|p| !p.is_empty()) {
            let h = state
                .accounts
                .hash_if_plain(p)
                .await
                .map_err(|e| at("users", i, &u.username, e))?;
            u.password = Some(h.into());
        }
        u.has_password = false;
        let updated = put::<User>(state, ObjectKind::User, &u, &u.username, mode, &mut report)
            .await
            .map_err(|e| at("users", i, &u.username, e))?;
        if updated {
            state.accounts.invalidate(&format!("user:{}", u.username));
            if mode == LoadMode::AddOrUpdateDisconnect {
                for c in state.sessions.list() {
                    if c.username.as_deref() == Some(u.username.as_str()) {
                        state.sessions.close(c.id);
                    }
                }
            }
        }
    }
    for (i, a) in data.admins.into_iter().enumerate() {
        let mut a: Admin = a;
        a.validate().map_err(|e| at("admins", i, &a.username, e))?;
        if let Some(p) = a.password.as_deref().filter(|p| !p.is_empty()) {
            let h = state
                .accounts
                .hash_if_plain(p)
                .await
                .map_err(|e| at("admins", i, &a.username, e))?;
            a.password = Some(h.into());
        }
        if put::<Admin>(state, ObjectKind::Admin, &a, &a.username, mode, &mut report)
            .await
            .map_err(|e| at("admins", i, &a.username, e))?
        {
            state.accounts.invalidate(&format!("admin:{}", a.username));
        }
    }
    for (i, k) in data.api_keys.iter().enumerate() {
        k.validate().map_err(|e| at("api_keys", i, &k.id, e))?;
        let exists = state
            .provider()
            .get_api_key::<ApiKey>(&k.id)
            .await?
            .is_some();
        let r = if exists {
            if mode == LoadMode::AddOnly {
                report.skipped += 1;
                continue;
            }
            report.updated += 1;
            state.provider().update_api_key::<ApiKey>(k).await.map(drop)
        } else {
            report.added += 1;
            state
                .provider()
                .add_api_key::<ApiKey>(k, AddMode::Restore)
                .await
                .map(drop)
        };
        r.map_err(|e| at("api_keys", i, &k.id, e))?;
    }
    state.accounts.generation().bump();
    Ok(report)
}
