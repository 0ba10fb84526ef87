//! `GET /api/v2/token` (Basic auth → a JWT) and `GET /api/v2/logout` (revokes the token).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use rand::Rng;
use serde::Serialize;

use crate::auth::{Authed, ClientIp, Via, basic_credentials};
use crate::error::{ApiError, ApiResult};
use crate::jwt::{self, AUDIENCE_API, Claims};
use crate::routes::{Message, message};
use crate::state::{ApiState, now_ms};

#[derive(Debug, Serialize)]
pub(crate) struct Token {
    access_token: String,
    expires_at: String,
}

impl Token {
    pub(crate) fn new(access_token: String, expires_at: String) -> Self {
        Self {
            access_token,
            expires_at,
        }
    }
}

/// RFC 3339 UTC time of `secs` since the epoch.
pub(crate) fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn random_id() -> String {
    let mut rng = rand::rng();
    (0..22)
        .map(|_| {
            let i = rng.random_range(0..62);
            char::from(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[i])
        })
        .collect()
}

pub(crate) fn new_id() -> String {
    random_id()
}

pub(crate) async fn token(
    State(state): State<Arc<ApiState>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> ApiResult<Json<Token>> {
    let Some((username, password)) = basic_credentials(&headers) else {
        return Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "send the admin's username and password with HTTP Basic authentication",
        ));
    };
    let admin = match state
        .accounts
        .check_admin_password(&username, &password, ip)
        .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(user = %username, ip = ?ip, reason = %e, "admin login refused");
            return Err(match e {
                ringway_auth::AuthError::Provider(p) => p.into(),
                _ => ApiError::unauthorized(),
            });
        }
    };
    if let Err(e) = state
        .provider()
        .set_last_login(ringway_provider::ObjectKind::Admin, &admin.username)
        .await
    {
        tracing::warn!(cause = %e, "cannot record the admin's last login");
    }
    let now = now_ms() / 1000;
    let ttl = i64::try_from(state.settings.token_ttl.as_secs()).unwrap_or(1200);
    let claims = Claims {
        sub: admin.username.clone(),
        aud: AUDIENCE_API.to_owned(),
        iat: now,
        exp: now + ttl,
        jti: random_id(),
    };
    tracing::info!(admin = %admin.username, "admin API token issued");
    Ok(Json(Token {
        access_token: jwt::sign(&state.jwt_key, &claims),
        expires_at: rfc3339(claims.exp),
    }))
}

pub(crate) async fn logout(
    State(state): State<Arc<ApiState>>,
    by: Authed,
) -> ApiResult<Json<Message>> {
    let Via::Token { jti, exp } = by.via else {
        return Err(ApiError::bad_request("only token sessions can log out"));
    };
    state.provider().revoke_token(&jti, exp).await?;
    Ok(message("Your token has been invalidated"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_796_000_000), "2026-11-30T00:53:20Z");
    }
}
