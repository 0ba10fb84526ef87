//! CRUD for the named objects (users, groups, folders, admins, roles): one generic set of handlers, each object
//! type saying which permissions guard it and how it is prepared before storing.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ringway_model::{Admin, BaseVirtualFolder, Group, Role, User, ValidationError, from_json};
use ringway_provider::{AddMode, ObjectKind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::routes::{Q, message};
use crate::state::ApiState;

/// Permissions guarding one object type: (read, add, edit, delete).
pub(crate) struct Guards {
    pub(crate) read: &'static str,
    pub(crate) add: &'static str,
    pub(crate) edit: &'static str,
    pub(crate) delete: &'static str,
}

/// An object type served under `/api/v2/<plural>`.
pub(crate) trait Resource: Serialize + DeserializeOwned + Send + Sync + 'static {
    const KIND: ObjectKind;
    const GUARDS: Guards;
    /// "User", for messages like "User added".
    const TITLE: &'static str;
    fn key(&self) -> &str;
    fn set_key(&mut self, key: String);
    fn validate(&self) -> Result<(), ValidationError>;
    fn redacted(&self) -> Self;
    /// Role of the object, for role-limited admins (`None` when the type has no role).
    fn role(&self) -> Option<&str> {
        None
    }
    fn set_role(&mut self, _role: &str) {}
    /// Last step before storing: hash passwords, fill defaults, carry over write-only fields on update.
    async fn prepare(
        &mut self,
        _state: &ApiState,
        _current: Option<&Self>,
        _by: &Authed,
    ) -> ApiResult<()> {
        Ok(())
    }
}

const ANY: &str = "*";

async fn hash_password(
    state: &ApiState,
    password: &mut Option<ringway_model::Sensitive>,
    current: Option<&Option<ringway_model::Sensitive>>,
) -> ApiResult<()> {
    match password.as_deref() {
        Some(p) if !p.is_empty() => {
            let h = state
                .accounts
                .hash_if_plain(p)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            *password = Some(h.into());
        }
        // Absent or empty on update: keep the stored one.
        _ => *password = current.cloned().flatten(),
    }
    Ok(())
}

impl Resource for User {
    const KIND: ObjectKind = ObjectKind::User;
    const GUARDS: Guards = Guards {
        read: "view_users",
        add: "add_users",
        edit: "edit_users",
        delete: "del_users",
    };
    const TITLE: &'static str = "User";
    fn key(&self) -> &str {
        &self.username
    }
    fn set_key(&mut self, key: String) {
        self.username = key;
    }
    fn validate(&self) -> Result<(), ValidationError> {
        Self::validate(self)
    }
    fn redacted(&self) -> Self {
        let mut u = Self::redacted(self);
        u.has_password = self.password.as_deref().is_some_and(|p| !p.is_empty());
        u
    }
    fn role(&self) -> Option<&str> {
        Some(&self.role)
    }
    fn set_role(&mut self, role: &str) {
        role.clone_into(&mut self.role);
    }
    async fn prepare(
        &mut self,
        state: &ApiState,
        current: Option<&Self>,
        _by: &Authed,
    ) -> ApiResult<()> {
        if self.home_dir.is_empty() && !state.settings.users_base_dir.is_empty() {
            self.home_dir = std::path::Path::new(&state.settings.users_base_dir)
                .join(&self.username)
                .to_string_lossy()
                .into_owned();
        }
        if self.home_dir.is_empty() {
            return Err(ApiError::bad_request(
                "invalid field \"home_dir\": a home directory is required (or set data_provider.users_base_dir)",
            ));
        }
        let changed = self.password.as_deref().is_some_and(|p| !p.is_empty());
        hash_password(state, &mut self.password, current.map(|c| &c.password)).await?;
        if changed {
            self.last_password_change = crate::state::now_ms();
            state
                .accounts
                .invalidate(&format!("user:{}", self.username));
        } else if let Some(c) = current {
            self.last_password_change = c.last_password_change;
        }
        self.has_password = false;
        Ok(())
    }
}

impl Resource for Admin {
    const KIND: ObjectKind = ObjectKind::Admin;
    const GUARDS: Guards = Guards {
        read: ANY,
        add: ANY,
        edit: ANY,
        delete: ANY,
    };
    const TITLE: &'static str = "Admin";
    fn key(&self) -> &str {
        &self.username
    }
    fn set_key(&mut self, key: String) {
        self.username = key;
    }
    fn validate(&self) -> Result<(), ValidationError> {
        Self::validate(self)
    }
    fn redacted(&self) -> Self {
        Self::redacted(self)
    }
    async fn prepare(
        &mut self,
        state: &ApiState,
        current: Option<&Self>,
        by: &Authed,
    ) -> ApiResult<()> {
        if current.is_none() && self.password.as_deref().is_none_or(str::is_empty) {
            return Err(ApiError::bad_request(
                "invalid field \"password\": a new admin needs a password",
            ));
        }
        if current.is_some() && self.username == by.admin.username {
            if self.status != 1 {
                return Err(ApiError::bad_request("you cannot disable yourself"));
            }
            if !self.permissions.iter().any(|p| p == ANY) {
                return Err(ApiError::bad_request(
                    "you cannot remove the \"*\" permission from yourself",
                ));
            }
            if !self.role.is_empty() {
                return Err(ApiError::bad_request("you cannot add a role to yourself"));
            }
        }
        let changed = self.password.as_deref().is_some_and(|p| !p.is_empty());
        hash_password(state, &mut self.password, current.map(|c| &c.password)).await?;
        if changed {
            state
                .accounts
                .invalidate(&format!("admin:{}", self.username));
        }
        Ok(())
    }
}

/// Objects keyed by `name`, guarded by one permission, with nothing to prepare.
macro_rules! named_resource {
    ($t:ty, $kind:expr, $perm:literal, $title:literal, $redact:expr) => {
        impl Resource for $t {
            const KIND: ObjectKind = $kind;
            const GUARDS: Guards = Guards {
                read: $perm,
                add: $perm,
                edit: $perm,
                delete: $perm,
            };
            const TITLE: &'static str = $title;
            fn key(&self) -> &str {
                &self.name
            }
            fn set_key(&mut self, key: String) {
                self.name = key;
            }
            fn validate(&self) -> Result<(), ValidationError> {
                Self::validate(self)
            }
            fn redacted(&self) -> Self {
                $redact(self)
            }
        }
    };
}

named_resource!(
    Group,
    ObjectKind::Group,
    "manage_groups",
    "Group",
    Group::redacted
);
named_resource!(
    BaseVirtualFolder,
    ObjectKind::Folder,
    "manage_folders",
    "Folder",
    BaseVirtualFolder::redacted
);
named_resource!(Role, ObjectKind::Role, "*", "Role", Role::clone);

/// `?offset=&limit=&order=` of list routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Paging {
    #[serde(default)]
    offset: u64,
    #[serde(default = "default_limit")]
    limit: u64,
    #[serde(default)]
    order: Option<String>,
}

fn default_limit() -> u64 {
    100
}

impl Paging {
    pub(crate) fn check(&self) -> ApiResult<(u64, u64, bool)> {
        if self.limit == 0 || self.limit > 500 {
            return Err(ApiError::bad_request(
                "invalid query parameter \"limit\": must be 1 to 500",
            ));
        }
        let desc = match self.order.as_deref() {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(o) => {
                return Err(ApiError::bad_request(format!(
                    "invalid query parameter \"order\": {o:?}, expected ASC or DESC"
                )));
            }
        };
        Ok((self.offset, self.limit, desc))
    }
}

fn not_found<T: Resource>(key: &str) -> ApiError {
    ApiError::not_found(format!("{} {key:?} does not exist", T::KIND.name()))
}

/// Loads an object the admin may see (role admins see only their role's objects).
pub(crate) async fn load_visible<T: Resource>(
    state: &ApiState,
    by: &Authed,
    key: &str,
) -> ApiResult<T> {
    let obj: T = state
        .provider()
        .get(T::KIND, key)
        .await?
        .ok_or_else(|| not_found::<T>(key))?;
    if let (Some(mine), Some(theirs)) = (by.role(), obj.role())
        && mine != theirs
    {
        return Err(not_found::<T>(key));
    }
    Ok(obj)
}

pub(crate) async fn list<T: Resource>(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Q(p): Q<Paging>,
) -> ApiResult<Json<Vec<T>>> {
    by.require(T::GUARDS.read)?;
    let (offset, limit, desc) = p.check()?;
    let items: Vec<T> = if let Some(role) = by.role() {
        // Role admins: filter, then page (roles hold few users; a role column index can come later).
        let all: Vec<T> = state.provider().list_all(T::KIND).await?;
        let mut v: Vec<T> = all
            .into_iter()
            .filter(|o| o.role().is_none_or(|r| r == role))
            .collect();
        if desc {
            v.reverse();
        }
        v.into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect()
    } else {
        state.provider().list(T::KIND, offset, limit, desc).await?
    };
    Ok(Json(items.iter().map(T::redacted).collect()))
}

pub(crate) async fn get<T: Resource>(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(key): Path<String>,
) -> ApiResult<Json<T>> {
    by.require(T::GUARDS.read)?;
    let obj: T = load_visible(&state, &by, &key).await?;
    Ok(Json(obj.redacted()))
}

pub(crate) async fn add<T: Resource>(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    body: Bytes,
) -> ApiResult<Response> {
    by.require(T::GUARDS.add)?;
    let mut obj: T = from_json(&body)?;
    if let Some(role) = by.role() {
        obj.set_role(role);
    }
    obj.validate()?;
    obj.prepare(&state, None, &by).await?;
    let stored: T = state.provider().add(T::KIND, &obj, AddMode::New).await?;
    state.accounts.generation().bump();
    tracing::info!(kind = T::KIND.name(), key = stored.key(), admin = %by.admin.username, "object added");
    Ok((StatusCode::CREATED, Json(stored.redacted())).into_response())
}

pub(crate) async fn update<T: Resource>(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult<Json<crate::routes::Message>> {
    by.require(T::GUARDS.edit)?;
    let current: T = load_visible(&state, &by, &key).await?;
    let mut obj: T = from_json(&body)?;
    obj.set_key(key);
    if let Some(role) = by.role() {
        obj.set_role(role);
    }
    obj.validate()?;
    obj.prepare(&state, Some(&current), &by).await?;
    let _: T = state.provider().update(T::KIND, &obj).await?;
    state.accounts.generation().bump();
    tracing::info!(kind = T::KIND.name(), key = obj.key(), admin = %by.admin.username, "object updated");
    Ok(message(format!("{} updated", T::TITLE)))
}

pub(crate) async fn delete<T: Resource>(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(key): Path<String>,
) -> ApiResult<Json<crate::routes::Message>> {
    by.require(T::GUARDS.delete)?;
    let _: T = load_visible(&state, &by, &key).await?;
    if T::KIND == ObjectKind::Admin && key == by.admin.username {
        return Err(ApiError::bad_request("you cannot delete yourself"));
    }
    state.provider().delete(T::KIND, &key).await?;
    state.accounts.generation().bump();
    tracing::info!(kind = T::KIND.name(), key = %key, admin = %by.admin.username, "object deleted");
    Ok(message(format!("{} deleted", T::TITLE)))
}
