//! The HTTP admin listener, served on the control-plane runtime.
//!
//! Today it answers `GET /healthz` (no authentication, by design: load balancers and orchestrators probe it)
//! and a JSON 404 for everything else. The REST API under `/api/v2` joins this router in its own change, and
//! every route but `/healthz` will require authentication.
#![forbid(unsafe_code)]

use std::future::Future;
use std::io;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;

/// Body of every error response.
#[derive(Debug, Serialize)]
struct ErrorBody {
    error: String,
    message: String,
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody {
            error: "Not Found".to_owned(),
            message: "no such route".to_owned(),
        }),
    )
}

/// The admin router.
pub fn router() -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .fallback(not_found)
}

/// Serves the admin router on `listener` until `shutdown` resolves, then finishes in-flight requests.
///
/// # Errors
/// When the server fails (not when a single connection does).
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router())
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let status = out[9..12].parse().unwrap();
        let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
        (status, body)
    }

    #[tokio::test]
    async fn healthz_and_json_404() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(l, async move {
            let _ = rx.await;
        }));
        assert_eq!(get(addr, "/healthz").await, (200, "ok".to_owned()));
        let (status, body) = get(addr, "/api/v2/users").await;
        assert_eq!(status, 404);
        assert!(body.contains("\"error\""), "{body}");
        tx.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}
