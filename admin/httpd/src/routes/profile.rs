//! `/api/v2/admin/changepwd` and `/api/v2/admin/profile`: the logged-in admin's own account.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use ringway_model::from_json;
use ringway_provider::ObjectKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::routes::{Message, message};
use crate::state::ApiState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    current_password: String,
    new_password: String,
}

pub(crate) async fn change_password(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    body: Bytes,
) -> ApiResult<Json<Message>> {
    by.require_token()?;
    let req: ChangePassword = from_json(&body)?;
    if req.new_password.is_empty() {
        return Err(ApiError::bad_request(
            "invalid field \"new_password\": the new password cannot be empty",
        ));
    }
    if req.new_password == req.current_password {
        return Err(ApiError::bad_request(
            "the new password must be different from the current one",
        ));
    }
    let username = by.admin.username.clone();
    if state
        .accounts
        .check_admin_password(&username, &req.current_password, None)
        .await
        .is_err()
    {
        return Err(ApiError::bad_request(
            "invalid field \"current_password\": it does not match",
        ));
    }
    let hash = state
        .accounts
        .hash_if_plain(&req.new_password)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    state
        .provider()
        .set_field(
            ObjectKind::Admin,
            &username,
            "password",
            Some(Value::String(hash)),
        )
        .await?;
    state.accounts.invalidate(&format!("admin:{username}"));
    tracing::info!(admin = %username, "admin password changed");
    Ok(message("Password updated"))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    #[serde(default)]
    email: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    allow_api_key_auth: bool,
}

pub(crate) async fn get_profile(by: Authed) -> ApiResult<Json<Profile>> {
    Ok(Json(Profile {
        email: by.admin.email.clone(),
        description: by.admin.description.clone(),
        allow_api_key_auth: by.admin.filters.allow_api_key_auth,
    }))
}

pub(crate) async fn update_profile(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    body: Bytes,
) -> ApiResult<Json<Message>> {
    by.require_token()?;
    let p: Profile = from_json(&body)?;
    let mut admin = by.admin.clone();
    admin.email = p.email;
    admin.description = p.description;
    admin.filters.allow_api_key_auth = p.allow_api_key_auth;
    admin.validate()?;
    let _: ringway_model::Admin = state.provider().update(ObjectKind::Admin, &admin).await?;
    Ok(message("Profile updated"))
}
