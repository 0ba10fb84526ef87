//! The `/api/v2` routes and the permission each one needs.

mod apikeys;
mod connections;
mod maintenance;
pub(crate) mod objects;
mod profile;
mod quotas;
mod token;
mod user_token;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{delete, get, post, put};
use ringway_model::{Admin, BaseVirtualFolder, Group, Role, User};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::ApiState;

/// `{"message": ...}`, the body of successful updates and deletes.
#[derive(Debug, Serialize)]
pub(crate) struct Message {
    message: String,
}

pub(crate) fn message(m: impl Into<String>) -> Json<Message> {
    Json(Message { message: m.into() })
}

/// Query parameters whose errors come back as our JSON 400, naming the parameter.
#[derive(Debug)]
pub(crate) struct Q<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(Q).map_err(|e| {
            let name = e.path().to_string();
            if name.is_empty() || name == "." {
                ApiError::bad_request(format!("invalid query: {}", e.inner()))
            } else {
                ApiError::bad_request(format!("invalid query parameter {name:?}: {}", e.inner()))
            }
        })
    }
}

macro_rules! crud {
    ($router:expr, $plural:literal, $key:literal, $t:ty) => {
        $router
            .route(
                concat!("/api/v2/", $plural),
                get(objects::list::<$t>).post(objects::add::<$t>),
            )
            .route(
                concat!("/api/v2/", $plural, "/{", $key, "}"),
                get(objects::get::<$t>)
                    .put(objects::update::<$t>)
                    .delete(objects::delete::<$t>),
            )
    };
}

/// Every `/api/v2` route.
pub(crate) fn api(state: Arc<ApiState>) -> Router {
    let r = Router::new();
    let r = crud!(r, "users", "username", User);
    let r = crud!(r, "groups", "name", Group);
    let r = crud!(r, "folders", "name", BaseVirtualFolder);
    let r = crud!(r, "admins", "username", Admin);
    let r = crud!(r, "roles", "name", Role);
    r.route("/api/v2/token", get(token::token))
        .route("/api/v2/logout", get(token::logout))
        .route("/api/v2/user/token", get(user_token::token))
        .route("/api/v2/apikeys", get(apikeys::list).post(apikeys::add))
        .route(
            "/api/v2/apikeys/{id}",
            get(apikeys::get)
                .put(apikeys::update)
                .delete(apikeys::delete),
        )
        .route("/api/v2/admin/changepwd", put(profile::change_password))
        .route(
            "/api/v2/admin/profile",
            get(profile::get_profile).put(profile::update_profile),
        )
        .route("/api/v2/version", get(maintenance::version))
        .route("/api/v2/status", get(maintenance::status))
        .route("/api/v2/dumpdata", get(maintenance::dump))
        .route(
            "/api/v2/loaddata",
            get(maintenance::load_from_file).post(maintenance::load_from_body),
        )
        .route("/api/v2/connections", get(connections::list))
        .route("/api/v2/connections/{id}", delete(connections::close))
        .route("/api/v2/quotas/users/scans", get(quotas::user_scans))
        .route(
            "/api/v2/quotas/users/{username}/scan",
            post(quotas::scan_user),
        )
        .route(
            "/api/v2/quotas/users/{username}/usage",
            put(quotas::user_usage),
        )
        .route(
            "/api/v2/quotas/users/{username}/transfer-usage",
            put(quotas::user_transfer_usage),
        )
        .route("/api/v2/quotas/folders/scans", get(quotas::folder_scans))
        .route(
            "/api/v2/quotas/folders/{name}/scan",
            post(quotas::scan_folder),
        )
        .route(
            "/api/v2/quotas/folders/{name}/usage",
            put(quotas::folder_usage),
        )
        .with_state(state)
}
