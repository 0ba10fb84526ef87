//! Quota usage accounted on the data plane without SQL on the transfer path.
//!
//! Each core owns a [`UsageShard`] and adds the bytes and files its sessions upload or delete to it (an
//! uncontended lock taken once per finished transfer, never per packet). A flusher on the control plane
//! periodically swaps every shard's map for an empty one and commits the sums as SQL increments. A commit
//! that fails puts its deltas back, so no increment is lost; the provider applies increments, so two nodes or
//! two flushes never overwrite each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ringway_provider::{ObjectKind, Provider, ProviderError, QuotaUpdate};

/// Pending deltas: (kind, key) → (bytes, files, uploaded bytes, downloaded bytes).
type Pending = HashMap<(ObjectKind, String), Delta>;

/// One object's pending change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    /// Bytes added to the used quota (negative after deletes).
    pub size: i64,
    /// Files added to the used quota.
    pub files: i64,
    /// Bytes uploaded (transfer quota; users only).
    pub uploaded: i64,
    /// Bytes downloaded (transfer quota; users only).
    pub downloaded: i64,
}

impl Delta {
    fn add(&mut self, o: Self) {
        self.size += o.size;
        self.files += o.files;
        self.uploaded += o.uploaded;
        self.downloaded += o.downloaded;
    }
}

/// One core's pending usage.
#[derive(Debug, Default)]
pub struct UsageShard {
    pending: Mutex<Pending>,
}

impl UsageShard {
    /// Records a change for a user (`ObjectKind::User`) or a virtual folder (`ObjectKind::Folder`).
    pub fn add(&self, kind: ObjectKind, key: &str, delta: Delta) {
        let mut p = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(d) = p.get_mut(&(kind, key.to_owned())) {
            d.add(delta);
        } else {
            p.insert((kind, key.to_owned()), delta);
        }
    }

    fn take(&self) -> Pending {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn give_back(&self, kind: ObjectKind, key: String, delta: Delta) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((kind, key))
            .or_default()
            .add(delta);
    }
}

/// Every core's shard, and the flush that commits them.
#[derive(Debug, Clone)]
pub struct Usage {
    shards: Arc<[UsageShard]>,
    provider: Provider,
}

impl Usage {
    /// One shard per core.
    #[must_use]
    pub fn new(provider: Provider, cores: usize) -> Self {
        Self {
            shards: (0..cores.max(1)).map(|_| UsageShard::default()).collect(),
            provider,
        }
    }

    /// The shard of core `i` (wrapping).
    #[must_use]
    pub fn shard(&self, i: usize) -> &UsageShard {
        &self.shards[i % self.shards.len()]
    }

    /// Commits everything pending; returns how many objects were updated. Deltas whose commit fails stay
    /// pending for the next flush, except those of objects that no longer exist.
    ///
    /// # Errors
    /// The first database error (after putting the failed deltas back).
    pub async fn flush(&self) -> Result<usize, ProviderError> {
        let mut merged: Pending = HashMap::new();
        for s in self.shards.iter() {
            for (k, d) in s.take() {
                merged.entry(k).or_default().add(d);
            }
        }
        let mut done = 0;
        let mut first_err = None;
        for ((kind, key), d) in merged {
            let r = self.commit(kind, &key, d).await;
            match r {
                Ok(()) => done += 1,
                Err(ProviderError::NotFound(_)) => {
                    tracing::debug!(kind = kind.name(), key = %key, "usage of a deleted object dropped");
                }
                Err(e) => {
                    self.shards[0].give_back(kind, key, d);
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(done), Err)
    }

    async fn commit(&self, kind: ObjectKind, key: &str, d: Delta) -> Result<(), ProviderError> {
        if d.size != 0 || d.files != 0 {
            let q = QuotaUpdate {
                size: d.size,
                files: d.files,
                reset: false,
            };
            self.provider.update_quota(kind, key, q).await?;
        }
        if kind == ObjectKind::User
            && (d.uploaded != 0 || d.downloaded != 0)
            && let Err(e) = self
                .provider
                .update_transfer_quota(key, d.uploaded, d.downloaded, false)
                .await
        {
            if matches!(e, ProviderError::NotFound(_)) {
                return Err(e);
            }
            // The quota part is committed; keep only the transfer part pending.
            let rest = Delta {
                uploaded: d.uploaded,
                downloaded: d.downloaded,
                ..Delta::default()
            };
            self.shards[0].give_back(kind, key.to_owned(), rest);
        }
        Ok(())
    }

    /// Flushes every `every` until `stop` resolves, then once more.
    pub async fn run_flusher(
        self,
        every: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let mut stop = std::pin::pin!(stop);
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = &mut stop => break,
            }
            if let Err(e) = self.flush().await {
                tracing::warn!(cause = %e, "quota usage not committed yet; will retry");
            }
        }
        if let Err(e) = self.flush().await {
            tracing::error!(cause = %e, "quota usage lost at shutdown");
        }
    }
}
