//! The data-plane bridge: per-core usage shards committed in batches lose no increment under concurrency,
//! per-core user caches serve snapshots until a change bumps the generation, and password logins go through
//! status, protocol and credential checks with the hash upgraded after an old-format login.

use std::sync::Arc;

use ringway_auth::usage::{Delta, Usage};
use ringway_auth::{Accounts, AuthError, Protocol, snapshot::UserCache};
use ringway_model::User;
use ringway_password::{Argon2Params, HashParams, Hasher};
use ringway_provider::{AddMode, Driver, ObjectKind, Provider};
use serde_json::json;

async fn accounts() -> Accounts {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    std::mem::forget(dir); // lives until the process ends
    let (p, _) = Provider::open(&Driver::Sqlite { path }, "", 0)
        .await
        .unwrap();
    let h = Hasher::new(HashParams::Argon2id(Argon2Params {
        memory_kib: 8192,
        iterations: 1,
        parallelism: 1,
    }))
    .unwrap();
    Accounts::new(p, h, 100)
}

fn user(name: &str, password: &str) -> User {
    serde_json::from_value(json!({
        "username": name, "status": 1, "home_dir": format!("/srv/{name}"),
        "permissions": {"/": ["*"]}, "password": password,
        "filters": {"denied_protocols": ["FTP"]}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_from_two_cores_loses_nothing() {
    let acc = accounts().await;
    let p = acc.provider().clone();
    p.add::<User>(ObjectKind::User, &user("u", "x"), AddMode::New)
        .await
        .unwrap();
    let usage = Usage::new(p.clone(), 2);
    let mut cores = Vec::new();
    for core in 0..2 {
        let u = usage.clone();
        cores.push(std::thread::spawn(move || {
            for _ in 0..5000 {
                u.shard(core).add(
                    ObjectKind::User,
                    "u",
                    Delta {
                        size: 3,
                        files: 1,
                        uploaded: 3,
                        downloaded: 0,
                    },
                );
            }
        }));
    }
    // Flushes race with the writers.
    let mut flushes = 0;
    while cores.iter().any(|c| !c.is_finished()) {
        usage.flush().await.unwrap();
        flushes += 1;
    }
    for c in cores {
        c.join().unwrap();
    }
    usage.flush().await.unwrap();
    let u: User = p.get(ObjectKind::User, "u").await.unwrap().unwrap();
    assert_eq!(
        (u.used_quota_size, u.used_quota_files),
        (30_000, 10_000),
        "after {flushes} flushes"
    );
    assert_eq!(u.used_upload_data_transfer, 30_000);
    // A deleted user's pending usage is dropped, not retried forever.
    usage.shard(0).add(
        ObjectKind::User,
        "gone",
        Delta {
            size: 1,
            ..Delta::default()
        },
    );
    assert_eq!(usage.flush().await.unwrap(), 0);
    assert_eq!(usage.flush().await.unwrap(), 0);
}

#[tokio::test]
async fn user_cache_follows_the_generation() {
    let acc = accounts().await;
    let p = acc.provider().clone();
    p.add::<User>(ObjectKind::User, &user("c", "x"), AddMode::New)
        .await
        .unwrap();
    let mut cache = UserCache::new(acc.clone(), 10);
    let a = cache.get("c").await.unwrap();
    let mut changed = (*a).clone();
    changed.description = "v2".into();
    let _: User = p.update(ObjectKind::User, &changed).await.unwrap();
    let b = cache.get("c").await.unwrap();
    assert!(
        Arc::ptr_eq(&a, &b),
        "served from the cache until the generation moves"
    );
    acc.generation().bump();
    let c = cache.get("c").await.unwrap();
    assert_eq!(c.description, "v2");
    assert!(matches!(
        cache.get("nobody").await,
        Err(AuthError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn password_login_checks_and_upgrades() {
    let acc = accounts().await;
    let p = acc.provider().clone();
    // sha512-crypt of "bob-secret-2", as imported from the reference.
    let legacy = "$6$saltsalt$uE62LoS9qAxOncpt2ZTc4xRDbUp.9lCm/zpwv8GlIEPnQeJptz1pmvmZ1gxbgVN4w6Etifvp.hKzyvxIHtWLD1";
    let hashed = acc.hash_if_plain(legacy).await.unwrap();
    assert_eq!(hashed, legacy, "a hash is stored as it is");
    p.add::<User>(ObjectKind::User, &user("bob", legacy), AddMode::New)
        .await
        .unwrap();
    let ip = "127.0.0.1".parse().unwrap();
    acc.check_user_password("bob", "bob-secret-2", ip, Protocol::Ssh, "password")
        .await
        .unwrap();
    let stored: User = p.get(ObjectKind::User, "bob").await.unwrap().unwrap();
    assert!(
        stored
            .password
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$"),
        "rehashed after login"
    );
    // The new hash verifies too (through the cache or not).
    acc.check_user_password("bob", "bob-secret-2", ip, Protocol::Ssh, "password")
        .await
        .unwrap();
    assert!(matches!(
        acc.check_user_password("bob", "wrong", ip, Protocol::Ssh, "password")
            .await,
        Err(AuthError::InvalidCredentials)
    ));
    assert!(matches!(
        acc.check_user_password("bob", "bob-secret-2", ip, Protocol::Ftp, "password")
            .await,
        Err(AuthError::ProtocolDenied("FTP"))
    ));
    assert!(matches!(
        acc.check_user_password("nobody", "x", ip, Protocol::Ssh, "password")
            .await,
        Err(AuthError::InvalidCredentials)
    ));
    let plain = acc.hash_if_plain("fresh").await.unwrap();
    assert!(plain.starts_with("$argon2id$"));
}
