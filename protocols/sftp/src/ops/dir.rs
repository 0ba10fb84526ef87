//! OPENDIR and READDIR: pages of about 100 entries with OpenSSH-style long names.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ringway_sftp_proto::{NameEncoder, StatusCode, longname_into};

use super::{attrs_of, vpath};
use crate::Shared;
use crate::handles::{DirHandle, DirState, Guard, Object};

/// Entries per READDIR reply, as OpenSSH's sftp-server (well under the 256 KiB packet limit: an entry is at
/// most about 600 bytes).
const PAGE: usize = 100;

pub(crate) async fn opendir(sh: Arc<Shared>, id: u32, path: Bytes) {
    let path = match vpath(&path) {
        Ok(p) => p,
        Err(e) => return sh.error(id, &e).await,
    };
    match sh.vfs.list(&path).await {
        Ok(lister) => {
            let object = Object::Dir(DirHandle {
                path,
                state: tokio::sync::Mutex::new(DirState {
                    lister,
                    dots_sent: false,
                    done: false,
                }),
            });
            super::file::reply_handle(&sh, id, object).await;
        }
        Err(e) => sh.error(id, &e).await,
    }
}

pub(crate) async fn readdir(sh: Arc<Shared>, id: u32, guard: Option<Guard>) {
    let Some(Object::Dir(dir)) = guard.as_deref().and_then(Option::as_ref) else {
        return sh.invalid_handle(id).await;
    };
    let mut state = dir.state.lock().await;
    if state.done {
        return sh
            .status(id, StatusCode::Eof, StatusCode::Eof.message())
            .await;
    }
    let mut entries = Vec::with_capacity(PAGE + 2);
    if !state.dots_sent {
        state.dots_sent = true;
        // `.` and `..` first, as readdir(3) in OpenSSH's sftp-server; `..` of the root is the root.
        if let Ok(md) = sh.vfs.stat(&dir.path).await {
            entries.push((".".to_owned(), md));
        }
        let parent = dir.path.parent().unwrap_or_else(|| dir.path.clone());
        if let Ok(md) = sh.vfs.stat(&parent).await {
            entries.push(("..".to_owned(), md));
        }
    }
    match state.lister.next_page(PAGE).await {
        Ok(page) => entries.extend(page.into_iter().map(|e| (e.name, e.metadata))),
        Err(e) if entries.is_empty() => return sh.error(id, &e).await,
        Err(e) => tracing::debug!(cause = %e, "readdir page failed after the dot entries"),
    }
    if entries.is_empty() {
        state.done = true;
        return sh
            .status(id, StatusCode::Eof, StatusCode::Eof.message())
            .await;
    }
    drop(state);
    drop(guard);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut long = Vec::with_capacity(128);
    let packet = sh.encode(|buf| {
        let mut name = NameEncoder::new(buf, id);
        for (file, md) in &entries {
            let attrs = attrs_of(md);
            long.clear();
            longname_into(&mut long, file.as_bytes(), &attrs, None, None, now);
            name.push(file.as_bytes(), &long, &attrs);
        }
    });
    sh.send(packet).await;
}
