//! Live sessions, visible to the control plane (`/api/v2/connections`) and closable from it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use tokio::sync::oneshot;

/// One live connection as the control plane sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Registry id.
    pub id: u64,
    /// Protocol name.
    pub protocol: &'static str,
    /// Client address.
    pub peer: SocketAddr,
    /// Worker serving it.
    pub worker: usize,
    /// When it was accepted.
    pub connected_at: SystemTime,
    /// Authenticated user, once known.
    pub username: Option<String>,
}

#[derive(Debug)]
struct Entry {
    info: ConnectionInfo,
    close: Option<oneshot::Sender<()>>,
}

/// All live connections. Touched at connect, login and disconnect only, never per packet.
#[derive(Debug, Default)]
pub struct Registry {
    next_id: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn add(
        &self,
        protocol: &'static str,
        peer: SocketAddr,
        worker: usize,
    ) -> (u64, oneshot::Receiver<()>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = oneshot::channel();
        let info = ConnectionInfo {
            id,
            protocol,
            peer,
            worker,
            connected_at: SystemTime::now(),
            username: None,
        };
        self.lock().insert(
            id,
            Entry {
                info,
                close: Some(tx),
            },
        );
        (id, rx)
    }

    pub(crate) fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Records the user a connection authenticated as.
    pub fn set_username(&self, id: u64, username: &str) {
        if let Some(e) = self.lock().get_mut(&id) {
            e.info.username = Some(username.to_owned());
        }
    }

    /// Records the user of connection `id` unless that user already has `limit` other live connections (0 means
    /// no limit); on refusal, returns how many they have. Counting and recording happen under one lock, so two
    /// concurrent logins cannot both take the last place.
    ///
    /// # Errors
    /// The number of the user's other live connections when it has reached `limit`.
    pub fn claim_user(&self, id: u64, username: &str, limit: usize) -> Result<(), usize> {
        let mut entries = self.lock();
        if limit > 0 {
            let live = entries
                .values()
                .filter(|e| e.info.id != id && e.info.username.as_deref() == Some(username))
                .count();
            if live >= limit {
                return Err(live);
            }
        }
        if let Some(e) = entries.get_mut(&id) {
            e.info.username = Some(username.to_owned());
        }
        Ok(())
    }

    /// A snapshot of every live connection, by id.
    #[must_use]
    pub fn list(&self) -> Vec<ConnectionInfo> {
        let mut v: Vec<_> = self.lock().values().map(|e| e.info.clone()).collect();
        v.sort_by_key(|c| c.id);
        v
    }

    /// Number of live connections.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no connection is live.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Asks the connection to close now; false when no such connection is live.
    pub fn close(&self, id: u64) -> bool {
        match self.lock().get_mut(&id).and_then(|e| e.close.take()) {
            Some(tx) => tx.send(()).is_ok(),
            None => false,
        }
    }
}
