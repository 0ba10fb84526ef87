//! The HTTP admin listener and the REST API under `/api/v2`, served on the control-plane runtime.
//!
//! Paths, JSON field names and backup files follow the reference product's API, so existing scripts and
//! backups carry over. Every route but `GET /healthz` requires authentication: a Bearer token from
//! `GET /api/v2/token` (HTTP Basic with an admin's credentials; HS256, valid `httpd.token_validity` minutes,
//! revocable with `/api/v2/logout`) or an API key in `X-SFTPGO-API-KEY` / `X-RINGWAY-API-KEY`. Each route
//! then checks the admin permission it needs (`*` for admins, roles, API keys and backups). Request bodies are
//! parsed strictly: an unknown or ill-typed field is a 400 that names it. Errors are JSON
//! `{"error": ..., "message": ...}` with the matching status code.
#![forbid(unsafe_code)]

mod auth;
mod backup;
mod error;
mod jwt;
mod openapi;
mod routes;
mod state;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use ringway_auth::Accounts;
use ringway_model::Admin;
use ringway_provider::{AddMode, ObjectKind, ProviderError};
use serde::Serialize;
use tokio::net::TcpListener;

pub use state::{ApiSettings, ApiState};

/// Body of the 404 for unknown routes.
#[derive(Debug, Serialize)]
struct ErrorBody {
    error: &'static str,
    message: &'static str,
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody {
            error: "Not Found",
            message: "no such route; the API is described at /openapi.json",
        }),
    )
}

async fn method_not_allowed() -> impl IntoResponse {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(ErrorBody {
            error: "Method Not Allowed",
            message: "this route does not support that method (see the Allow header); the API is described at \
                      /openapi.json",
        }),
    )
}

/// The admin router: `/healthz`, `/openapi.json` and the REST API.
pub fn router(state: Arc<ApiState>) -> Router {
    routes::api(state)
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi::spec))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// Serves the admin router on `listener` until `shutdown` resolves, then finishes in-flight requests.
///
/// # Errors
/// When the server fails (not when a single connection does).
pub async fn serve(
    listener: TcpListener,
    state: Arc<ApiState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Creates the first admin (with every permission) when no admin exists yet. Returns whether it did.
///
/// # Errors
/// When the provider fails or the password cannot be hashed.
pub async fn ensure_default_admin(
    accounts: &Accounts,
    username: &str,
    password: &str,
) -> Result<bool, ProviderError> {
    if accounts.provider().count(ObjectKind::Admin).await? > 0 {
        return Ok(false);
    }
    let hash = accounts
        .hash_if_plain(password)
        .await
        .map_err(|e| ProviderError::Internal(e.to_string()))?;
    let admin = Admin {
        status: 1,
        username: username.to_owned(),
        password: Some(hash.into()),
        permissions: vec!["*".to_owned()],
        ..Admin::default()
    };
    admin
        .validate()
        .map_err(|e| ProviderError::Internal(format!("default admin: {e}")))?;
    match accounts
        .provider()
        .add::<Admin>(ObjectKind::Admin, &admin, AddMode::New)
        .await
    {
        Ok(_) => Ok(true),
        // Another node created one at the same moment.
        Err(ProviderError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The signing key for tokens: derived from `httpd.signing_passphrase` when set, otherwise a random key
/// generated once and kept in the provider, so tokens survive restarts and are shared by nodes.
///
/// # Errors
/// When the provider fails.
pub async fn signing_key(accounts: &Accounts, passphrase: &str) -> Result<Vec<u8>, ProviderError> {
    use sha2::Digest;
    let material = if passphrase.is_empty() {
        accounts
            .provider()
            .setting_or_init("jwt_signing_key", || {
                use base64::Engine;
                let bytes: [u8; 32] = rand::random();
                base64::engine::general_purpose::STANDARD.encode(bytes)
            })
            .await?
    } else {
        passphrase.to_owned()
    };
    Ok(sha2::Sha256::digest(material.as_bytes()).to_vec())
}
