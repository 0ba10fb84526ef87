//! `/api/v2/apikeys`: keys are created here and shown once; only the hash is stored. Managing keys needs
//! the `*` permission and a token (not an API key).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ringway_model::{API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_USER, ApiKey, from_json};
use ringway_provider::{AddMode, NewApiKey};
use serde::Serialize;

use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::routes::objects::Paging;
use crate::routes::token::new_id;
use crate::routes::{Message, Q, message};
use crate::state::ApiState;

fn guard(by: &Authed) -> ApiResult<()> {
    by.require("*")?;
    by.require_token()
}

#[derive(Debug, Serialize)]
pub(crate) struct Created {
    message: &'static str,
    key: String,
}

fn check(k: &ApiKey) -> ApiResult<()> {
    k.validate()?;
    if !k.user.is_empty() && !k.admin.is_empty() {
        return Err(ApiError::bad_request(
            "an API key belongs to a user or to an admin, not both",
        ));
    }
    if k.scope == API_KEY_SCOPE_ADMIN && !k.user.is_empty() {
        return Err(ApiError::bad_request(
            "invalid field \"user\": an admin-scope key cannot belong to a user",
        ));
    }
    if k.scope == API_KEY_SCOPE_USER && !k.admin.is_empty() {
        return Err(ApiError::bad_request(
            "invalid field \"admin\": a user-scope key cannot belong to an admin",
        ));
    }
    Ok(())
}

pub(crate) async fn list(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Q(p): Q<Paging>,
) -> ApiResult<Json<Vec<ApiKey>>> {
    guard(&by)?;
    let (offset, limit, desc) = p.check()?;
    let keys: Vec<ApiKey> = state.provider().list_api_keys(offset, limit, desc).await?;
    Ok(Json(keys.iter().map(ApiKey::redacted).collect()))
}

pub(crate) async fn get(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKey>> {
    guard(&by)?;
    let key: ApiKey = state
        .provider()
        .get_api_key(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("API key {id:?} does not exist")))?;
    Ok(Json(key.redacted()))
}

pub(crate) async fn add(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    body: Bytes,
) -> ApiResult<Response> {
    guard(&by)?;
    let mut key: ApiKey = from_json(&body)?;
    check(&key)?;
    let fresh = NewApiKey {
        id: new_id(),
        secret: new_id() + &new_id(),
    };
    key.id.clone_from(&fresh.id);
    let hash = state
        .accounts
        .hash_if_plain(&fresh.secret)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    key.key = Some(hash.into());
    let _: ApiKey = state.provider().add_api_key(&key, AddMode::New).await?;
    tracing::info!(key_id = %fresh.id, admin = %by.admin.username, "API key created");
    let mut resp = (
        StatusCode::CREATED,
        Json(Created {
            message: "API key created. This is the only time the API key is visible, please save it.",
            key: fresh.display(),
        }),
    )
        .into_response();
    if let Ok(v) = format!("/api/v2/apikeys/{}", fresh.id).parse() {
        resp.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(resp)
}

pub(crate) async fn update(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Message>> {
    guard(&by)?;
    let current: ApiKey = state
        .provider()
        .get_api_key(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("API key {id:?} does not exist")))?;
    let mut key: ApiKey = from_json(&body)?;
    key.id = id;
    key.key = current.key;
    check(&key)?;
    let _: ApiKey = state.provider().update_api_key(&key).await?;
    Ok(message("API key updated"))
}

pub(crate) async fn delete(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Message>> {
    guard(&by)?;
    state.provider().delete_api_key(&id).await?;
    Ok(message("API key deleted"))
}
