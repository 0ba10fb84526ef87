//! `GET /api/v2/user/token`: a user's token from HTTP Basic credentials, through the same authentication
//! service the protocol servers use (status, expiry, IP lists, denied protocols and methods, then the
//! password). The user API it opens arrives with the web client; the token already proves the login.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ringway_auth::{AuthError, Protocol};
use ringway_provider::ObjectKind;

use crate::auth::{ClientIp, basic_credentials};
use crate::error::{ApiError, ApiResult};
use crate::jwt::{self, AUDIENCE_USER_API, Claims};
use crate::routes::token::{Token, new_id, rfc3339};
use crate::state::{ApiState, now_ms};

pub(crate) async fn token(
    State(state): State<Arc<ApiState>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> ApiResult<Json<Token>> {
    let Some((username, password)) = basic_credentials(&headers) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "send the user's username and password with HTTP Basic authentication",
        ));
    };
    let ip = ip.unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    let user = match state
        .accounts
        .check_user_password(&username, &password, ip, Protocol::Http, "password")
        .await
    {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(user = %username, %ip, reason = %e, "user login refused");
            return Err(match e {
                AuthError::Provider(p) => p.into(),
                other => ApiError::new(StatusCode::UNAUTHORIZED, other.client_message()),
            });
        }
    };
    if let Err(e) = state
        .provider()
        .set_last_login(ObjectKind::User, &user.username)
        .await
    {
        tracing::warn!(cause = %e, "cannot record the user's last login");
    }
    let now = now_ms() / 1000;
    let ttl = i64::try_from(state.settings.token_ttl.as_secs()).unwrap_or(1200);
    let claims = Claims {
        sub: user.username.clone(),
        aud: AUDIENCE_USER_API.to_owned(),
        iat: now,
        exp: now + ttl,
        jti: new_id(),
    };
    tracing::info!(user = %user.username, "user API token issued");
    Ok(Json(Token::new(
        jwt::sign(&state.jwt_key, &claims),
        rfc3339(claims.exp),
    )))
}
