//! Effective-user snapshots cached per core, so a login or a session's permission checks do not query the
//! database every time.
//!
//! A cache belongs to one core (no sharing, no contention). Any change to a user or a group bumps a global
//! generation counter through [`Generation::bump`]; a cache that sees a newer generation drops everything
//! before answering, so a changed user is never served stale after the change is committed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ringway_model::User;

use crate::{Accounts, AuthError};

/// The global generation of user and group data.
#[derive(Debug, Clone, Default)]
pub struct Generation(Arc<AtomicU64>);

impl Generation {
    /// Marks every cached snapshot stale (call after a user or group changed).
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// One core's cache of effective users.
#[derive(Debug)]
pub struct UserCache {
    accounts: Accounts,
    seen: u64,
    capacity: usize,
    users: HashMap<String, Arc<User>>,
}

impl UserCache {
    /// A cache of up to `capacity` users.
    #[must_use]
    pub fn new(accounts: Accounts, capacity: usize) -> Self {
        let seen = accounts.generation().get();
        Self {
            accounts,
            seen,
            capacity: capacity.max(1),
            users: HashMap::new(),
        }
    }

    /// The effective user, from the cache when it is current.
    ///
    /// # Errors
    /// `InvalidCredentials` for an unknown user, or a provider error.
    pub async fn get(&mut self, username: &str) -> Result<Arc<User>, AuthError> {
        let now = self.accounts.generation().get();
        if now != self.seen {
            self.users.clear();
            self.seen = now;
        }
        if let Some(u) = self.users.get(username) {
            return Ok(Arc::clone(u));
        }
        let user: User = self
            .accounts
            .provider()
            .get(ringway_provider::ObjectKind::User, username)
            .await?
            .ok_or(AuthError::InvalidCredentials)?;
        let user = Arc::new(self.accounts.effective(user).await?);
        // A change committed while we were reading: do not cache what may be stale.
        if self.accounts.generation().get() == now {
            if self.users.len() >= self.capacity {
                self.users.clear();
            }
            self.users.insert(username.to_owned(), Arc::clone(&user));
        }
        Ok(user)
    }
}
