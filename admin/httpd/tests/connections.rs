//! `/api/v2/connections` against a live engine: a real TCP session shows up in the list with its user, and
//! DELETE closes its socket.

use std::sync::Arc;
use std::time::Duration;

use ringway_admin::{ApiSettings, ApiState};
use ringway_auth::Accounts;
use ringway_engine::{Connection, Engine, EngineConfig, ListenerSpec, Registry, Service};
use ringway_password::{Argon2Params, HashParams, Hasher};
use ringway_provider::{Driver, Provider};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Holds the session open, naming it after the first line the client sends, until the client or the
/// registry closes it.
struct Hold {
    registry: std::sync::OnceLock<Arc<Registry>>,
}

impl Service for Hold {
    fn name(&self) -> &'static str {
        "TEST"
    }
    fn serve(
        self: Arc<Self>,
        mut stream: TcpStream,
        conn: Connection,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async move {
            let mut buf = [0_u8; 64];
            let Ok(n) = stream.read(&mut buf).await else {
                return;
            };
            let name = String::from_utf8_lossy(&buf[..n]).trim().to_owned();
            if let Some(r) = self.registry.get() {
                r.set_username(conn.id, &name);
            }
            let _ = stream.write_all(b"ok\n").await;
            let _ = stream.read(&mut buf).await;
        })
    }
}

async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let basic = if path.ends_with("/token") {
        "Authorization: Basic YWRtaW46c2VjcmV0\r\n"
    } else {
        ""
    };
    s.write_all(
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}{basic}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn connections_list_and_close_live_sessions() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let hold = Arc::new(Hold {
        registry: std::sync::OnceLock::new(),
    });
    let spec = ListenerSpec {
        addr: "127.0.0.1:0".parse().unwrap(),
        service: hold.clone(),
    };
    let engine = rt
        .block_on(async {
            Engine::start(
                EngineConfig {
                    workers: 2,
                    ..EngineConfig::default()
                },
                &[spec],
            )
        })
        .unwrap();
    let _ = hold.registry.set(engine.registry());
    let data_addr = engine.local_addrs()[0].1;

    rt.block_on(async {
        let (provider, _) = Provider::open(&Driver::Memory, "", 0).await.unwrap();
        let hasher = Hasher::new(HashParams::Argon2id(Argon2Params {
            memory_kib: 8192,
            iterations: 1,
            parallelism: 1,
        }))
        .unwrap();
        let accounts = Accounts::new(provider, hasher, 100);
        assert!(
            ringway_admin::ensure_default_admin(&accounts, "admin", "secret")
                .await
                .unwrap()
        );
        let key = ringway_admin::signing_key(&accounts, "").await.unwrap();
        let state = ApiState::new(accounts, key, engine.registry(), ApiSettings::default());
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = l.local_addr().unwrap();
        tokio::spawn(ringway_admin::serve(l, state, std::future::pending()));

        let (status, body) = request(http, "GET", "/api/v2/token", None).await;
        assert_eq!(status, 200, "{body}");
        let token: serde_json::Value = serde_json::from_str(&body).unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();

        let (_, body) = request(http, "GET", "/api/v2/connections", Some(&token)).await;
        assert_eq!(body, "[]");

        let mut client = TcpStream::connect(data_addr).await.unwrap();
        client.write_all(b"alice\n").await.unwrap();
        let mut ok = [0_u8; 3];
        client.read_exact(&mut ok).await.unwrap();

        let (status, body) = request(http, "GET", "/api/v2/connections", Some(&token)).await;
        assert_eq!(status, 200);
        let list: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1, "{body}");
        assert_eq!(list[0]["username"], "alice");
        assert_eq!(list[0]["protocol"], "TEST");
        let id = list[0]["connection_id"].as_str().unwrap().to_owned();

        let (status, body) = request(
            http,
            "DELETE",
            &format!("/api/v2/connections/{id}"),
            Some(&token),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // The session's socket is closed by the server.
        let mut rest = Vec::new();
        let n = tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap_or(0);
        assert_eq!(n, 0);
        let (status, _) = request(
            http,
            "DELETE",
            &format!("/api/v2/connections/{id}"),
            Some(&token),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = request(http, "GET", "/api/v2/connections", None).await;
        assert_eq!(status, 401);
    });
    let _ = rt.block_on(engine.shutdown(Duration::from_secs(1)));
}
