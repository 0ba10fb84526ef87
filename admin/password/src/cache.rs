//! [`CredentialCache`]: remembers which (user, stored hash, password) triples were verified, so a repeated
//! login does not pay for argon2id again.
//!
//! Nothing secret is kept: each entry is an HMAC-SHA256 tag, under a random key made when the cache is created
//! and never leaving the process, of the username, the stored hash and the password. A tag cannot be turned
//! back into the password without the key, and a new stored hash (password change, rehash) gives another tag,
//! so stale entries simply miss. There is at most one entry per user; when the cache is full the least recently
//! used entry is evicted.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// HMAC-SHA256 key size (one SHA-256 block).
const KEY_LEN: usize = 64;
/// HMAC-SHA256 tag size.
const TAG_LEN: usize = 32;

/// A bounded, thread-safe cache of verified credentials. See the module docs for what it stores.
pub struct CredentialCache {
    key: [u8; KEY_LEN],
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Username to its entry.
    entries: HashMap<String, Entry>,
    /// Use sequence number to username; the first is the least recently used.
    by_use: BTreeMap<u64, String>,
    /// The next sequence number.
    next_use: u64,
}

struct Entry {
    tag: [u8; TAG_LEN],
    last_use: u64,
}

impl Inner {
    /// Gives `username`'s entry a fresh sequence number.
    fn touch(&mut self, username: &str) {
        let next_use = self.next_use;
        if let Some(entry) = self.entries.get_mut(username) {
            self.by_use.remove(&entry.last_use);
            entry.last_use = next_use;
            self.by_use.insert(next_use, username.to_owned());
            self.next_use += 1;
        }
    }

    fn remove(&mut self, username: &str) {
        if let Some(entry) = self.entries.remove(username) {
            self.by_use.remove(&entry.last_use);
        }
    }
}

impl CredentialCache {
    /// An empty cache holding at most `capacity` users; 0 disables it (nothing is stored, every check misses).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        Self {
            key,
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The largest number of users kept.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of users cached now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no user is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `plain` was verified against `stored_hash` for `username` (by [`insert`](Self::insert)) and not
    /// evicted since. A hit counts as a use for eviction.
    #[must_use]
    pub fn check(&self, username: &str, stored_hash: &str, plain: &str) -> bool {
        let tag = self.tag(username, stored_hash, plain);
        let mut inner = self.lock();
        let hit = inner
            .entries
            .get(username)
            .is_some_and(|entry| bool::from(entry.tag.ct_eq(&tag)));
        if hit {
            inner.touch(username);
        }
        hit
    }

    /// Records that `plain` is the right password for `username` whose stored hash is `stored_hash`, replacing
    /// any previous entry for `username` and evicting the least recently used user when full.
    pub fn insert(&self, username: &str, stored_hash: &str, plain: &str) {
        if self.capacity == 0 {
            return;
        }
        let tag = self.tag(username, stored_hash, plain);
        let mut inner = self.lock();
        inner.remove(username);
        while inner.entries.len() >= self.capacity {
            let Some((_, oldest)) = inner.by_use.pop_first() else {
                break;
            };
            inner.entries.remove(&oldest);
        }
        let last_use = inner.next_use;
        inner.next_use += 1;
        inner.by_use.insert(last_use, username.to_owned());
        inner
            .entries
            .insert(username.to_owned(), Entry { tag, last_use });
    }

    /// Forgets `username` (on password change, user update or deletion).
    pub fn remove(&self, username: &str) {
        self.lock().remove(username);
    }

    /// Forgets every user.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.by_use.clear();
    }

    /// HMAC of the three strings, each preceded by its length so no two triples share an input.
    fn tag(&self, username: &str, stored_hash: &str, plain: &str) -> [u8; TAG_LEN] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&self.key.into());
        for part in [username, stored_hash, plain] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// The state; a panic while holding the lock cannot leave it inconsistent in a harmful way (at worst an
    /// entry misses), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_A: &str = "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$aaaa";
    const HASH_B: &str = "$argon2id$v=19$m=65536,t=1,p=2$b3RoZXJzYWx0b3RoZXJzYQ$bbbb";

    #[test]
    fn hit_after_insert_only_for_the_same_triple() {
        let cache = CredentialCache::new(10);
        assert!(!cache.check("alice", HASH_A, "secret"));
        cache.insert("alice", HASH_A, "secret");
        assert!(cache.check("alice", HASH_A, "secret"));
        assert!(!cache.check("alice", HASH_A, "Secret"));
        assert!(!cache.check("alice", HASH_A, ""));
        assert!(!cache.check("bob", HASH_A, "secret"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_new_stored_hash_misses() {
        let cache = CredentialCache::new(10);
        cache.insert("alice", HASH_A, "secret");
        // The password changed (or was rehashed): the provider now holds HASH_B.
        assert!(!cache.check("alice", HASH_B, "secret"));
        cache.insert("alice", HASH_B, "secret");
        assert!(cache.check("alice", HASH_B, "secret"));
        assert!(!cache.check("alice", HASH_A, "secret"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        let cache = CredentialCache::new(10);
        cache.insert("alice", "ab", "c");
        assert!(!cache.check("alice", "a", "bc"));
        assert!(cache.check("alice", "ab", "c"));
    }

    #[test]
    fn remove_and_clear() {
        let cache = CredentialCache::new(10);
        cache.insert("alice", HASH_A, "secret");
        cache.insert("bob", HASH_B, "hunter2");
        cache.remove("alice");
        cache.remove("nobody");
        assert!(!cache.check("alice", HASH_A, "secret"));
        assert!(cache.check("bob", HASH_B, "hunter2"));
        cache.clear();
        assert!(cache.is_empty());
        assert!(!cache.check("bob", HASH_B, "hunter2"));
    }

    #[test]
    fn bounded_with_least_recently_used_eviction() {
        let cache = CredentialCache::new(3);
        for user in ["u0", "u1", "u2"] {
            cache.insert(user, HASH_A, "pw");
        }
        // u0 is used again, so u1 is now the least recently used.
        assert!(cache.check("u0", HASH_A, "pw"));
        cache.insert("u3", HASH_A, "pw");
        assert_eq!(cache.len(), 3);
        assert!(!cache.check("u1", HASH_A, "pw"));
        for user in ["u0", "u2", "u3"] {
            assert!(cache.check(user, HASH_A, "pw"), "{user}");
        }
        for i in 0..1000 {
            cache.insert(&format!("user{i}"), HASH_A, "pw");
            assert!(cache.len() <= 3);
        }
        let inner = cache.lock();
        assert_eq!(inner.entries.len(), inner.by_use.len());
    }

    #[test]
    fn zero_capacity_disables() {
        let cache = CredentialCache::new(0);
        cache.insert("alice", HASH_A, "secret");
        assert!(cache.is_empty());
        assert!(!cache.check("alice", HASH_A, "secret"));
    }

    #[test]
    fn keys_differ_between_caches_and_debug_hides_them() {
        let one = CredentialCache::new(1);
        let two = CredentialCache::new(1);
        assert_ne!(one.key, two.key);
        one.insert("alice", HASH_A, "secret");
        let debug = format!("{one:?}");
        assert!(debug.contains("capacity: 1"), "{debug}");
        assert!(!debug.contains("secret"));
    }

    #[test]
    fn shared_between_threads() {
        for capacity in [1000, 50] {
            let cache = std::sync::Arc::new(CredentialCache::new(capacity));
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let cache = std::sync::Arc::clone(&cache);
                    std::thread::spawn(move || {
                        for i in 0..50 {
                            let user = format!("t{t}u{i}");
                            cache.insert(&user, HASH_A, "pw");
                            let _ = cache.check(&user, HASH_A, "pw");
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().expect("thread panicked");
            }
            assert_eq!(cache.len(), capacity.min(200));
            let inner = cache.lock();
            assert_eq!(inner.entries.len(), inner.by_use.len());
            drop(inner);
            if capacity >= 200 {
                for t in 0..4 {
                    for i in 0..50 {
                        assert!(cache.check(&format!("t{t}u{i}"), HASH_A, "pw"));
                    }
                }
            }
        }
    }
}
