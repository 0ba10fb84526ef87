//! `/api/v2/connections`: live sessions from the engine's registry; DELETE closes one.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::routes::{Message, message};
use crate::state::ApiState;

/// A live session, in the reference's `ConnectionStatus` shape.
#[derive(Debug, Serialize)]
pub(crate) struct ConnectionStatus {
    username: String,
    connection_id: String,
    client_version: String,
    remote_address: String,
    connection_time: i64,
    last_activity: i64,
    protocol: String,
    active_transfers: Vec<serde_json::Value>,
    node: String,
}

fn ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) async fn list(
    State(state): State<Arc<ApiState>>,
    by: Authed,
) -> ApiResult<Json<Vec<ConnectionStatus>>> {
    by.require("view_conns")?;
    let mut out: Vec<ConnectionStatus> = state
        .sessions
        .list()
        .into_iter()
        .map(|c| ConnectionStatus {
            username: c.username.unwrap_or_default(),
            connection_id: c.id.to_string(),
            client_version: String::new(),
            remote_address: c.peer.to_string(),
            connection_time: ms(c.connected_at),
            last_activity: ms(c.connected_at),
            protocol: c.protocol.to_owned(),
            active_transfers: Vec::new(),
            node: String::new(),
        })
        .collect();
    out.sort_by_key(|c| c.connection_time);
    Ok(Json(out))
}

pub(crate) async fn close(
    State(state): State<Arc<ApiState>>,
    by: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Message>> {
    by.require("close_conns")?;
    let n: u64 = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("connection {id:?} does not exist")))?;
    if state.sessions.close(n) {
        tracing::info!(connection = n, admin = %by.admin.username, "connection closed by an admin");
        Ok(message("Connection closed"))
    } else {
        Err(ApiError::not_found(format!(
            "connection {id:?} does not exist"
        )))
    }
}
