//! Live sessions, visible to the control plane (`/api/v2/connections`) and closable from it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
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

/// Limits on live connections, checked when a connection is accepted (`common.max_total_connections` and
/// `common.max_per_host_connections`); 0 means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Live connections over every protocol.
    pub max_total: usize,
    /// Live connections from one client address.
    pub max_per_host: usize,
}

/// Why a connection was refused at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// `max_total` connections are live.
    #[error("too many connections ({0} live, max_total_connections)")]
    Total(usize),
    /// `max_per_host` connections from this address are live.
    #[error("too many connections from this address ({0} live, max_per_host_connections)")]
    PerHost(usize),
}

#[derive(Debug, Default)]
struct Entries {
    by_id: HashMap<u64, Entry>,
    per_host: HashMap<IpAddr, usize>,
}

/// All live connections. Touched at connect, login and disconnect only, never per packet.
#[derive(Debug, Default)]
pub struct Registry {
    next_id: AtomicU64,
    limits: ConnectionLimits,
    entries: Mutex<Entries>,
}

impl Registry {
    /// An empty registry that refuses connections past `limits`.
    #[must_use]
    pub fn with_limits(limits: ConnectionLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn add(
        &self,
        protocol: &'static str,
        peer: SocketAddr,
        worker: usize,
    ) -> Result<(u64, oneshot::Receiver<()>), Refused> {
        let mut entries = self.lock();
        let live = entries.by_id.len();
        if self.limits.max_total > 0 && live >= self.limits.max_total {
            return Err(Refused::Total(live));
        }
        let from_host = entries.per_host.get(&peer.ip()).copied().unwrap_or(0);
        if self.limits.max_per_host > 0 && from_host >= self.limits.max_per_host {
            return Err(Refused::PerHost(from_host));
        }
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
        entries.by_id.insert(
            id,
            Entry {
                info,
                close: Some(tx),
            },
        );
        *entries.per_host.entry(peer.ip()).or_insert(0) += 1;
        Ok((id, rx))
    }

    pub(crate) fn remove(&self, id: u64) {
        let mut entries = self.lock();
        if let Some(e) = entries.by_id.remove(&id) {
            let ip = e.info.peer.ip();
            if let Some(n) = entries.per_host.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    entries.per_host.remove(&ip);
                }
            }
        }
    }

    /// Records the user a connection authenticated as.
    pub fn set_username(&self, id: u64, username: &str) {
        if let Some(e) = self.lock().by_id.get_mut(&id) {
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
                .by_id
                .values()
                .filter(|e| e.info.id != id && e.info.username.as_deref() == Some(username))
                .count();
            if live >= limit {
                return Err(live);
            }
        }
        if let Some(e) = entries.by_id.get_mut(&id) {
            e.info.username = Some(username.to_owned());
        }
        Ok(())
    }

    /// A snapshot of every live connection, by id.
    #[must_use]
    pub fn list(&self) -> Vec<ConnectionInfo> {
        let mut v: Vec<_> = self.lock().by_id.values().map(|e| e.info.clone()).collect();
        v.sort_by_key(|c| c.id);
        v
    }

    /// Number of live connections.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// True when no connection is live.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Asks the connection to close now; false when no such connection is live.
    pub fn close(&self, id: u64) -> bool {
        match self.lock().by_id.get_mut(&id).and_then(|e| e.close.take()) {
            Some(tx) => tx.send(()).is_ok(),
            None => false,
        }
    }
}
