//! `/api/v2/version`, `/status`, `/dumpdata` and `/loaddata`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ringway_model::{BackupData, from_json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Authed;
use crate::backup::{self, LoadMode};
use crate::error::{ApiError, ApiResult};
use crate::routes::{Q, message};
use crate::state::ApiState;

#[derive(Debug, Serialize)]
pub(crate) struct Version {
    version: &'static str,
    build_date: &'static str,
    commit_hash: &'static str,
    features: Vec<&'static str>,
}

pub(crate) async fn version(_by: Authed) -> Json<Version> {
    Json(Version {
        version: env!("CARGO_PKG_VERSION"),
        build_date: "",
        commit_hash: "",
        features: vec!["+sqlite", "+pgsql", "+mysql", "+iouring"],
    })
}

pub(crate) async fn status(
    State(state): State<Arc<ApiState>>,
    by: Authed,
) -> ApiResult<Json<Value>> {
    by.require("view_status")?;
    let db = state.provider().ping().await;
    let mut out = json!({
        "data_provider": {
            "is_active": db.is_ok(),
            "driver": state.settings.driver,
            "error": db.err().map(|e| e.to_string()).unwrap_or_default(),
        },
        "uptime_secs": state.started.elapsed().map(|d| d.as_secs()).unwrap_or(0),
        "connections": state.sessions.len(),
    });
    for (name, active) in &state.settings.services {
        out[*name] = json!({ "is_active": active });
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DumpQuery {
    #[serde(rename = "output-file", default)]
    output_file: Option<String>,
    #[serde(rename = "output-data", default)]
    output_data: Option<u8>,
    #[serde(default)]
    indent: Option<u8>,
    #[serde(default)]
    scopes: Option<String>,
}

/// A file name inside the backups directory: no separators, no dot-dot.
fn backup_path(state: &ApiState, name: &str) -> ApiResult<std::path::PathBuf> {
    let base = std::path::Path::new(name);
    let ok = base.components().count() == 1
        && matches!(
            base.components().next(),
            Some(std::path::Component::Normal(_))
        );
    if !ok || name.contains('\0') {
        return Err(ApiError::bad_request(format!(
            "invalid file name {name:?}: give a plain file name; backups live in {}",
            state.settings.backups_dir.display()
        )));
    }
    Ok(state.settings.backups_dir.join(base))
}

pub(crate) async fn dump(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Q(q): Q<DumpQuery>,
) -> ApiResult<Response> {
    by.require("*")?;
    let mut data = backup::dump(&state).await?;
    if let Some(scopes) = q.scopes.as_deref().filter(|s| !s.is_empty()) {
        let want: Vec<&str> = scopes.split(',').map(str::trim).collect();
        let keep = |s: &str| want.contains(&s);
        if !keep("users") {
            data.users.clear();
        }
        if !keep("groups") {
            data.groups.clear();
        }
        if !keep("folders") {
            data.folders.clear();
        }
        if !keep("admins") {
            data.admins.clear();
        }
        if !keep("api_keys") {
            data.api_keys.clear();
        }
        if !keep("roles") {
            data.roles.clear();
        }
    }
    let bytes = if q.indent == Some(1) {
        serde_json::to_vec_pretty(&data)
    } else {
        serde_json::to_vec(&data)
    }
    .map_err(|e| ApiError::internal(&e))?;
    if q.output_data == Some(1) {
        return Ok((
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response());
    }
    let name = q
        .output_file
        .unwrap_or_else(|| format!("backup_{}.json", crate::state::now_ms() / 1000));
    let path = backup_path(&state, &name)?;
    let dir = state.settings.backups_dir.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        // Write then rename, so a crash never leaves half a backup under the final name.
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, &path)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&e))?;
    tracing::info!(admin = %by.admin.username, file = %name, "backup written");
    Ok(message("Data saved").into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoadQuery {
    #[serde(rename = "input-file", default)]
    input_file: Option<String>,
    #[serde(default)]
    mode: Option<i64>,
    #[serde(rename = "scan-quota", default)]
    scan_quota: Option<i64>,
}

impl LoadQuery {
    fn mode(&self) -> ApiResult<LoadMode> {
        LoadMode::from_code(self.mode.unwrap_or(0)).ok_or_else(|| {
            ApiError::bad_request("invalid query parameter \"mode\": expected 0, 1 or 2")
        })
    }
}

async fn restore(
    state: &ApiState,
    by: &Authed,
    bytes: &[u8],
    q: &LoadQuery,
) -> ApiResult<Response> {
    let mode = q.mode()?;
    if q.scan_quota.is_some_and(|s| s != 0) {
        return Err(ApiError::bad_request(
            "invalid query parameter \"scan-quota\": quota scans on restore are not available yet; use 0 and \
             POST /api/v2/quotas/users/{username}/scan",
        ));
    }
    let data: BackupData = from_json(bytes)?;
    let report = backup::load(state, data, mode).await?;
    tracing::info!(admin = %by.admin.username, ?report, "backup restored");
    Ok(message("Data restored").into_response())
}

pub(crate) async fn load_from_body(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Q(q): Q<LoadQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    by.require("*")?;
    restore(&state, &by, &body, &q).await
}

pub(crate) async fn load_from_file(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Q(q): Q<LoadQuery>,
) -> ApiResult<Response> {
    by.require("*")?;
    let name = q
        .input_file
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("the query parameter \"input-file\" is required"))?;
    let path = backup_path(&state, name)?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot read backup {name:?}: {e}")))?;
    restore(&state, &by, &bytes, &q).await
}
