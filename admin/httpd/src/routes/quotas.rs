//! `/api/v2/quotas/...`: background quota scans of local homes and folders, and manual usage updates.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ringway_model::{BaseVirtualFolder, FsProvider, User, from_json};
use ringway_provider::{ObjectKind, QuotaUpdate};
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::routes::objects::load_visible;
use crate::routes::{Message, Q, message};
use crate::state::{ApiState, ScanInfo, lock, now_ms};

/// Counts regular files and their bytes under `root` without following symlinks.
fn scan_dir(root: &std::path::Path) -> std::io::Result<(i64, i64)> {
    let (mut size, mut files) = (0_i64, 0_i64);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir == root => return Ok((0, 0)),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                files += 1;
                size += i64::try_from(entry.metadata()?.len()).unwrap_or(i64::MAX);
            }
        }
    }
    Ok((size, files))
}

#[derive(Debug, Serialize)]
pub(crate) struct ScanStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    start_time: i64,
}

fn start_scan(
    state: &Arc<ApiState>,
    kind: ObjectKind,
    key: String,
    role: String,
    root: PathBuf,
) -> ApiResult<Response> {
    let scans = state.scans(kind);
    {
        let mut s = lock(scans);
        if s.contains_key(&key) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("a quota scan of {} {key:?} is already running", kind.name()),
            ));
        }
        s.insert(
            key.clone(),
            ScanInfo {
                started_at: now_ms(),
                role,
            },
        );
    }
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let result = tokio::task::spawn_blocking(move || scan_dir(&root)).await;
        match result {
            Ok(Ok((size, files))) => {
                let upd = QuotaUpdate {
                    size,
                    files,
                    reset: true,
                };
                match state.provider().update_quota(kind, &key, upd).await {
                    Ok(()) => {
                        tracing::info!(kind = kind.name(), key = %key, size, files, "quota scan done")
                    }
                    Err(e) => {
                        tracing::warn!(kind = kind.name(), key = %key, cause = %e, "quota scan not saved")
                    }
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(kind = kind.name(), key = %key, cause = %e, "quota scan failed")
            }
            Err(e) => {
                tracing::warn!(kind = kind.name(), key = %key, cause = %e, "quota scan task failed")
            }
        }
        let scans = state.scans(kind);
        lock(scans).remove(&key);
    });
    Ok((StatusCode::ACCEPTED, message("Scan started")).into_response())
}

fn local_root(provider: FsProvider, path: &str, what: &str) -> ApiResult<PathBuf> {
    if provider != FsProvider::Local {
        return Err(ApiError::bad_request(format!(
            "quota scans of {what} on this storage backend are not available yet"
        )));
    }
    if path.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{what} has no local path to scan"
        )));
    }
    Ok(PathBuf::from(path))
}

pub(crate) async fn scan_user(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(username): Path<String>,
) -> ApiResult<Response> {
    by.require("quota_scans")?;
    // Role admins reach only the users of their role, as in the user routes.
    let user: User = load_visible(&state, &by, &username).await?;
    let role = user.role.clone();
    let user = state
        .accounts
        .effective(user)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let root = local_root(user.filesystem.provider, &user.home_dir, "this user")?;
    start_scan(&state, ObjectKind::User, username, role, root)
}

pub(crate) async fn scan_folder(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    by.require("quota_scans")?;
    let f: BaseVirtualFolder = state
        .provider()
        .get(ObjectKind::Folder, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("folder {name:?} does not exist")))?;
    let root = local_root(f.filesystem.provider, &f.mapped_path, "this folder")?;
    start_scan(&state, ObjectKind::Folder, name, String::new(), root)
}

fn scans(state: &ApiState, kind: ObjectKind, by: &Authed) -> Vec<ScanStatus> {
    let m = state.scans(kind);
    lock(m)
        .iter()
        .filter(|(_, v)| kind != ObjectKind::User || by.role().is_none_or(|r| r == v.role))
        .map(|(k, v)| ScanStatus {
            username: (kind == ObjectKind::User).then(|| k.clone()),
            name: (kind == ObjectKind::Folder).then(|| k.clone()),
            start_time: v.started_at,
        })
        .collect()
}

pub(crate) async fn user_scans(
    State(state): State<Arc<ApiState>>,
    by: Authed,
) -> ApiResult<Json<Vec<ScanStatus>>> {
    by.require("quota_scans")?;
    Ok(Json(scans(&state, ObjectKind::User, &by)))
}

pub(crate) async fn folder_scans(
    State(state): State<Arc<ApiState>>,
    by: Authed,
) -> ApiResult<Json<Vec<ScanStatus>>> {
    by.require("quota_scans")?;
    Ok(Json(scans(&state, ObjectKind::Folder, &by)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModeQuery {
    #[serde(default)]
    mode: Option<String>,
}

impl ModeQuery {
    fn reset(&self) -> ApiResult<bool> {
        match self.mode.as_deref() {
            None | Some("reset") => Ok(true),
            Some("add") => Ok(false),
            Some(m) => Err(ApiError::bad_request(format!(
                "invalid query parameter \"mode\": {m:?}, expected add or reset"
            ))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaUsage {
    #[serde(default)]
    used_quota_size: i64,
    #[serde(default)]
    used_quota_files: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferUsage {
    #[serde(default)]
    used_upload_data_transfer: i64,
    #[serde(default)]
    used_download_data_transfer: i64,
}

async fn usage(
    state: &ApiState,
    kind: ObjectKind,
    key: &str,
    mode: &ModeQuery,
    body: &[u8],
) -> ApiResult<Json<Message>> {
    let reset = mode.reset()?;
    let u: QuotaUsage = from_json(body)?;
    if reset && (u.used_quota_size < 0 || u.used_quota_files < 0) {
        return Err(ApiError::bad_request("usage cannot be negative"));
    }
    state
        .provider()
        .update_quota(
            kind,
            key,
            QuotaUpdate {
                size: u.used_quota_size,
                files: u.used_quota_files,
                reset,
            },
        )
        .await?;
    Ok(message("Quota updated"))
}

pub(crate) async fn user_usage(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(username): Path<String>,
    Q(mode): Q<ModeQuery>,
    body: Bytes,
) -> ApiResult<Json<Message>> {
    by.require("quota_scans")?;
    mode.reset()?;
    let _: User = load_visible(&state, &by, &username).await?;
    usage(&state, ObjectKind::User, &username, &mode, &body).await
}

pub(crate) async fn folder_usage(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(name): Path<String>,
    Q(mode): Q<ModeQuery>,
    body: Bytes,
) -> ApiResult<Json<Message>> {
    by.require("quota_scans")?;
    usage(&state, ObjectKind::Folder, &name, &mode, &body).await
}

pub(crate) async fn user_transfer_usage(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(username): Path<String>,
    Q(mode): Q<ModeQuery>,
    body: Bytes,
) -> ApiResult<Json<Message>> {
    by.require("quota_scans")?;
    let reset = mode.reset()?;
    let u: TransferUsage = from_json(&body)?;
    if reset && (u.used_upload_data_transfer < 0 || u.used_download_data_transfer < 0) {
        return Err(ApiError::bad_request("usage cannot be negative"));
    }
    let _: User = load_visible(&state, &by, &username).await?;
    state
        .provider()
        .update_transfer_quota(
            &username,
            u.used_upload_data_transfer,
            u.used_download_data_transfer,
            reset,
        )
        .await?;
    Ok(message("Quota updated"))
}
