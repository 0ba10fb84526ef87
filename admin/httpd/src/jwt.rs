//! HS256 JSON Web Tokens for the admin API: issued by `/api/v2/token`, checked on every request.
//!
//! Only what the API needs: HS256 with a server-side key, claims `sub` (admin username), `aud` ("API"),
//! `iat`, `exp` and `jti` (a random id, so `/logout` can revoke one token until it expires). The header is
//! fixed; anything else (other algorithms, `none`, missing claims) is rejected.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
/// The audience of admin API tokens.
pub(crate) const AUDIENCE_API: &str = "API";
/// The audience of user API tokens (never accepted by admin routes).
pub(crate) const AUDIENCE_USER_API: &str = "UserAPI";

/// The claims of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) sub: String,
    pub(crate) aud: String,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) jti: String,
}

/// Why a token was refused (never shown in detail to the client).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum JwtError {
    #[error("malformed token")]
    Malformed,
    #[error("unsupported token header")]
    Header,
    #[error("bad signature")]
    Signature,
    #[error("token expired")]
    Expired,
    #[error("wrong audience")]
    Audience,
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// Signs `claims` with `key`.
pub(crate) fn sign(key: &[u8], claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD.encode(HEADER);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let mut m = mac(key);
    m.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// Checks signature, audience and expiry (`now` in seconds).
pub(crate) fn verify(
    key: &[u8],
    token: &str,
    audience: &str,
    now: i64,
) -> Result<Claims, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header = URL_SAFE_NO_PAD.decode(h).map_err(|_| JwtError::Malformed)?;
    let header: serde_json::Value =
        serde_json::from_slice(&header).map_err(|_| JwtError::Malformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(JwtError::Header);
    }
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
    let mut m = mac(key);
    m.update(h.as_bytes());
    m.update(b".");
    m.update(p.as_bytes());
    m.verify_slice(&sig).map_err(|_| JwtError::Signature)?;
    let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| JwtError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| JwtError::Malformed)?;
    if claims.aud != audience {
        return Err(JwtError::Audience);
    }
    if claims.exp <= now {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "admin".into(),
            aud: AUDIENCE_API.into(),
            iat: 100,
            exp,
            jti: "j1".into(),
        }
    }

    #[test]
    fn round_trip_and_rejections() {
        let t = sign(b"k", &claims(200));
        assert_eq!(verify(b"k", &t, AUDIENCE_API, 150).unwrap(), claims(200));
        assert_eq!(
            verify(b"other", &t, AUDIENCE_API, 150),
            Err(JwtError::Signature)
        );
        assert_eq!(verify(b"k", &t, AUDIENCE_API, 200), Err(JwtError::Expired));
        assert_eq!(verify(b"k", &t, "WebAdmin", 150), Err(JwtError::Audience));
        assert_eq!(
            verify(b"k", "a.b", AUDIENCE_API, 150),
            Err(JwtError::Malformed)
        );
        // A token claiming alg "none" with the signature stripped.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            t.split('.').nth(1).unwrap()
        );
        assert_eq!(
            verify(b"k", &none, AUDIENCE_API, 150),
            Err(JwtError::Header)
        );
        // A tampered payload.
        let mut forged = claims(200);
        forged.sub = "root".into();
        let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let parts: Vec<&str> = t.split('.').collect();
        let tampered = format!("{}.{p}.{}", parts[0], parts[2]);
        assert_eq!(
            verify(b"k", &tampered, AUDIENCE_API, 150),
            Err(JwtError::Signature)
        );
    }
}
