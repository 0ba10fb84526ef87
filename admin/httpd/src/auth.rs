//! Request authentication: a Bearer token from `/api/v2/token`, or an API key in `X-SFTPGO-API-KEY` (also
//! `X-RINGWAY-API-KEY`). Every route but `/healthz` and `/api/v2/token` goes through [`Authed`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ringway_model::{API_KEY_SCOPE_ADMIN, Admin, ApiKey};
use ringway_provider::ObjectKind;

use crate::error::{ApiError, ApiResult};
use crate::jwt::{self, AUDIENCE_API};
use crate::state::{ApiState, now_ms};

/// How the request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Via {
    /// A token, with its id and expiry (seconds).
    Token { jti: String, exp: i64 },
    /// An API key (which cannot manage keys or change credentials).
    ApiKey,
}

/// An authenticated admin, reloaded from the provider for every request.
#[derive(Debug)]
pub(crate) struct Authed {
    pub(crate) admin: Admin,
    pub(crate) via: Via,
}

impl Authed {
    /// Whether the admin holds `perm` (or `*`).
    pub(crate) fn has(&self, perm: &str) -> bool {
        self.admin.permissions.iter().any(|p| p == "*" || p == perm)
    }

    /// Fails with 403 unless the admin holds `perm`.
    pub(crate) fn require(&self, perm: &str) -> ApiResult<()> {
        if self.has(perm) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "admin {:?} lacks the {perm:?} permission",
                self.admin.username
            )))
        }
    }

    /// Fails with 403 for API-key sessions (key management and credential changes need a password login).
    pub(crate) fn require_token(&self) -> ApiResult<()> {
        if self.via == Via::ApiKey {
            return Err(ApiError::forbidden(
                "this operation is not allowed with API key authentication",
            ));
        }
        Ok(())
    }

    /// The role this admin is limited to, if any.
    pub(crate) fn role(&self) -> Option<&str> {
        Some(self.admin.role.as_str()).filter(|r| !r.is_empty())
    }
}

/// The client address, when the server was started with connect info.
pub(crate) fn client_ip(parts: &Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's IP address, when the server runs with connect info (always, except in some unit tests).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub(crate) Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts)))
    }
}

/// Parses `Authorization: Basic ...`.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

fn api_key_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-sftpgo-api-key")
        .or_else(|| headers.get("x-ringway-api-key"))
        .and_then(|v| v.to_str().ok())
}

async fn load_admin(state: &ApiState, username: &str) -> ApiResult<Admin> {
    let admin: Admin = state
        .provider()
        .get(ObjectKind::Admin, username)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if admin.status != 1 {
        return Err(ApiError::unauthorized());
    }
    Ok(admin)
}

async fn by_api_key(
    state: &ApiState,
    value: &str,
    ip: Option<std::net::IpAddr>,
) -> ApiResult<Admin> {
    let mut parts = value.splitn(3, '.');
    let (Some(id), Some(secret)) = (parts.next(), parts.next()) else {
        return Err(ApiError::unauthorized());
    };
    let impersonate = parts.next().filter(|s| !s.is_empty());
    let key: ApiKey = state
        .provider()
        .get_api_key(id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if key.scope != API_KEY_SCOPE_ADMIN || (key.expires_at > 0 && key.expires_at < now_ms()) {
        return Err(ApiError::unauthorized());
    }
    let stored = key.key.as_deref().unwrap_or_default().to_owned();
    if !state
        .accounts
        .verify_secret(&format!("apikey:{id}"), &stored, secret)
        .await
        .map_err(|e| ApiError::internal(&e))?
    {
        return Err(ApiError::unauthorized());
    }
    let username = if key.admin.is_empty() {
        impersonate.ok_or_else(ApiError::unauthorized)?.to_owned()
    } else {
        key.admin.clone()
    };
    let admin = load_admin(state, &username).await?;
    if !admin.filters.allow_api_key_auth {
        return Err(ApiError::forbidden(format!(
            "admin {username:?} does not allow API key authentication (filters.allow_api_key_auth)"
        )));
    }
    if let Some(ip) = ip
        && !ringway_auth::ip_allowed(ip, &admin.filters.allow_list, &[])
    {
        return Err(ApiError::unauthorized());
    }
    if key.last_use_at < now_ms() - 10 * 60 * 1000 {
        state.provider().touch_api_key(id).await?;
    }
    Ok(admin)
}

impl FromRequestParts<Arc<ApiState>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<ApiState>) -> ApiResult<Self> {
        let ip = client_ip(parts);
        if let Some(token) = bearer(&parts.headers) {
            let now = now_ms() / 1000;
            let claims = jwt::verify(&state.jwt_key, token, AUDIENCE_API, now)
                .map_err(|_| ApiError::unauthorized())?;
            if state.provider().is_token_revoked(&claims.jti).await? {
                return Err(ApiError::unauthorized());
            }
            let admin = load_admin(state, &claims.sub).await?;
            if let Some(ip) = ip
                && !ringway_auth::ip_allowed(ip, &admin.filters.allow_list, &[])
            {
                return Err(ApiError::unauthorized());
            }
            return Ok(Self {
                admin,
                via: Via::Token {
                    jti: claims.jti,
                    exp: claims.exp,
                },
            });
        }
        if let Some(value) = api_key_header(&parts.headers) {
            let admin = by_api_key(state, value, ip).await?;
            return Ok(Self {
                admin,
                via: Via::ApiKey,
            });
        }
        Err(ApiError::unauthorized())
    }
}
