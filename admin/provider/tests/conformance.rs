//! One provider conformance suite, run against every engine: an SQLite file, the in-memory driver, PostgreSQL
//! (127.0.0.1:5432) and MariaDB/MySQL (127.0.0.1:3306), each test on a throwaway database.
//!
//! Objects are plain JSON here: the provider stores whatever serialises to an object, so this suite checks
//! storage semantics (keys, relations, counters, transactions) independently of the REST model.

use std::path::PathBuf;

use ringway_provider::testing::TestDb;
use ringway_provider::{
    AddMode, Dialect, Driver, ObjectKind, Provider, ProviderError, QuotaUpdate,
};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    SqliteFile,
    Memory,
    Postgres,
    Mysql,
}

/// A database for one test, and how to reopen it.
struct Env {
    driver: Driver,
    _dir: Option<tempfile::TempDir>,
    server: Option<TestDb>,
}

impl Env {
    async fn new(engine: Engine) -> Self {
        match engine {
            Engine::SqliteFile => {
                let dir = tempfile::tempdir().unwrap();
                let path: PathBuf = dir.path().join("ringway.db");
                Self {
                    driver: Driver::Sqlite { path },
                    _dir: Some(dir),
                    server: None,
                }
            }
            Engine::Memory => Self {
                driver: Driver::Memory,
                _dir: None,
                server: None,
            },
            Engine::Postgres | Engine::Mysql => {
                let db = TestDb::create(if engine == Engine::Postgres {
                    Dialect::Postgres
                } else {
                    Dialect::Mysql
                })
                .await;
                Self {
                    driver: db.driver.clone(),
                    _dir: None,
                    server: Some(db),
                }
            }
        }
    }

    async fn open(&self) -> Provider {
        Provider::open(&self.driver, "", 0).await.unwrap().0
    }

    async fn finish(self, p: Provider) {
        p.close().await;
        if let Some(db) = self.server {
            db.drop_db().await;
        }
    }
}

fn user(name: &str) -> Value {
    json!({
        "username": name,
        "status": 1,
        "home_dir": format!("/srv/{name}"),
        "permissions": {"/": ["*"]},
        "password": "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHQ$aGFzaA",
    })
}

fn obj(v: &Value, f: &str) -> Value {
    v.get(f).cloned().unwrap_or(Value::Null)
}

async fn crud_and_relations(p: &Provider) {
    p.add(
        ObjectKind::Role,
        &json!({"name": "ops", "description": "operators"}),
        AddMode::New,
    )
    .await
    .unwrap();
    p.add(
        ObjectKind::Group,
        &json!({"name": "staff", "user_settings": {"max_sessions": 2}}),
        AddMode::New,
    )
    .await
    .unwrap();
    let mut u = user("alice");
    u["role"] = json!("ops");
    u["groups"] = json!([{"name": "staff", "type": 1}]);
    u["virtual_folders"] = json!([{"name": "shared", "mapped_path": "/data/shared", "virtual_path": "/shared", "quota_size": -1, "quota_files": -1}]);
    u["used_quota_size"] = json!(999); // ignored for a new object
    let got: Value = p.add(ObjectKind::User, &u, AddMode::New).await.unwrap();
    assert!(got["id"].as_i64().unwrap() > 0, "{got}");
    assert_eq!(got["used_quota_size"], json!(0));
    assert!(got["created_at"].as_i64().unwrap() > 0);
    assert_eq!(got["role"], json!("ops"));
    assert_eq!(got["groups"], json!([{"name": "staff", "type": 1}]));
    // The folder was created from the mapping and its definition is merged back in.
    let vf = &got["virtual_folders"][0];
    assert_eq!(vf["virtual_path"], json!("/shared"));
    assert_eq!(vf["mapped_path"], json!("/data/shared"));
    assert_eq!(vf["quota_size"], json!(-1));
    let folder: Value = p.get(ObjectKind::Folder, "shared").await.unwrap().unwrap();
    assert_eq!(folder["users"], json!(["alice"]));
    let group: Value = p.get(ObjectKind::Group, "staff").await.unwrap().unwrap();
    assert_eq!(group["users"], json!(["alice"]));
    let role: Value = p.get(ObjectKind::Role, "ops").await.unwrap().unwrap();
    assert_eq!(role["users"], json!(["alice"]));

    // Duplicate key.
    let e = p
        .add::<Value>(ObjectKind::User, &user("alice"), AddMode::New)
        .await
        .unwrap_err();
    assert!(matches!(e, ProviderError::Conflict(_)), "{e:?}");
    // Missing references name the field.
    let mut bad = user("bob");
    bad["groups"] = json!([{"name": "staff", "type": 2}, {"name": "nope", "type": 2}]);
    match p
        .add::<Value>(ObjectKind::User, &bad, AddMode::New)
        .await
        .unwrap_err()
    {
        ProviderError::Invalid { field, .. } => assert_eq!(field, "groups[1].name"),
        e => panic!("{e:?}"),
    }
    assert!(
        p.get::<Value>(ObjectKind::User, "bob")
            .await
            .unwrap()
            .is_none(),
        "the failed add left a row"
    );
    // A bare name of a folder that does not exist is a mistake, not a new folder.
    let mut bad = user("bob");
    bad["virtual_folders"] =
        json!([{"name": "typo", "virtual_path": "/t", "filesystem": {"provider": 0}}]);
    match p
        .add::<Value>(ObjectKind::User, &bad, AddMode::New)
        .await
        .unwrap_err()
    {
        ProviderError::Invalid { field, .. } => assert_eq!(field, "virtual_folders[0].name"),
        e => panic!("{e:?}"),
    }
    assert!(
        p.get::<Value>(ObjectKind::Folder, "typo")
            .await
            .unwrap()
            .is_none()
    );
    // A bare name of a folder that does not exist is a mistake, not a new folder.
    let mut bad = user("bob");
    bad["virtual_folders"] =
        json!([{"name": "typo", "virtual_path": "/t", "filesystem": {"provider": 0}}]);
    match p
        .add::<Value>(ObjectKind::User, &bad, AddMode::New)
        .await
        .unwrap_err()
    {
        ProviderError::Invalid { field, .. } => assert_eq!(field, "virtual_folders[0].name"),
        e => panic!("{e:?}"),
    }
    assert!(
        p.get::<Value>(ObjectKind::Folder, "typo")
            .await
            .unwrap()
            .is_none()
    );
    let mut bad = user("bob");
    bad["role"] = json!("ghost");
    match p
        .add::<Value>(ObjectKind::User, &bad, AddMode::New)
        .await
        .unwrap_err()
    {
        ProviderError::Invalid { field, .. } => assert_eq!(field, "role"),
        e => panic!("{e:?}"),
    }

    // In-use objects cannot be deleted.
    for (kind, key) in [(ObjectKind::Group, "staff"), (ObjectKind::Role, "ops")] {
        let e = p.delete(kind, key).await.unwrap_err();
        assert!(matches!(e, ProviderError::Conflict(_)), "{kind:?}: {e:?}");
    }

    // Update keeps id, counters and creation time; relations are replaced.
    p.update_quota(
        ObjectKind::User,
        "alice",
        QuotaUpdate {
            size: 10,
            files: 1,
            reset: false,
        },
    )
    .await
    .unwrap();
    let mut u2 = got.clone();
    u2["groups"] = json!([]);
    u2["role"] = Value::Null;
    u2["used_quota_size"] = json!(0); // counters are not writable through update
    u2["description"] = json!("changed");
    let upd: Value = p.update(ObjectKind::User, &u2).await.unwrap();
    assert_eq!(upd["id"], got["id"]);
    assert_eq!(upd["created_at"], got["created_at"]);
    assert_eq!(upd["used_quota_size"], json!(10));
    assert_eq!(upd["description"], json!("changed"));
    assert_eq!(upd["groups"], json!([]));
    p.delete(ObjectKind::Group, "staff").await.unwrap();
    p.delete(ObjectKind::Role, "ops").await.unwrap();
    let e = p
        .update::<Value>(ObjectKind::User, &user("nobody"))
        .await
        .unwrap_err();
    assert!(matches!(e, ProviderError::NotFound(_)), "{e:?}");

    // Deleting a folder drops it from its users.
    p.delete(ObjectKind::Folder, "shared").await.unwrap();
    let after: Value = p.get(ObjectKind::User, "alice").await.unwrap().unwrap();
    assert_eq!(after["virtual_folders"], json!([]));

    // Delete, then NotFound.
    p.delete(ObjectKind::User, "alice").await.unwrap();
    let e = p.delete(ObjectKind::User, "alice").await.unwrap_err();
    assert!(matches!(e, ProviderError::NotFound(_)), "{e:?}");
}

async fn listing_and_paging(p: &Provider) {
    for n in ["carol", "alice", "bob", "dave"] {
        p.add::<Value>(ObjectKind::User, &user(n), AddMode::New)
            .await
            .unwrap();
    }
    let names = |v: Vec<Value>| {
        v.iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(p.list(ObjectKind::User, 0, 100, false).await.unwrap()),
        ["alice", "bob", "carol", "dave"]
    );
    assert_eq!(
        names(p.list(ObjectKind::User, 1, 2, false).await.unwrap()),
        ["bob", "carol"]
    );
    assert_eq!(
        names(p.list(ObjectKind::User, 0, 2, true).await.unwrap()),
        ["dave", "carol"]
    );
    assert_eq!(p.count(ObjectKind::User).await.unwrap(), 4);
    // Keys are case-sensitive and may hold any UTF-8.
    p.add::<Value>(ObjectKind::User, &user("Élodie"), AddMode::New)
        .await
        .unwrap();
    p.add::<Value>(ObjectKind::User, &user("ALICE"), AddMode::New)
        .await
        .unwrap();
    assert!(
        p.get::<Value>(ObjectKind::User, "Élodie")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(p.count(ObjectKind::User).await.unwrap(), 6);
}

async fn restore_keeps_counters(p: &Provider) {
    let mut u = user("restored");
    u["used_quota_size"] = json!(4096);
    u["used_quota_files"] = json!(3);
    u["created_at"] = json!(1_600_000_000_000_i64);
    u["last_login"] = json!(1_600_000_000_001_i64);
    let got: Value = p.add(ObjectKind::User, &u, AddMode::Restore).await.unwrap();
    assert_eq!(got["used_quota_size"], json!(4096));
    assert_eq!(got["used_quota_files"], json!(3));
    assert_eq!(got["created_at"], json!(1_600_000_000_000_i64));
    assert_eq!(got["last_login"], json!(1_600_000_000_001_i64));
}

async fn concurrent_quota_updates(p: &Provider) {
    p.add::<Value>(ObjectKind::User, &user("q"), AddMode::New)
        .await
        .unwrap();
    p.add::<Value>(
        ObjectKind::Folder,
        &json!({"name": "f", "mapped_path": "/f"}),
        AddMode::New,
    )
    .await
    .unwrap();
    // Two writers, as two cores committing their batches, interleaved.
    let mut tasks = Vec::new();
    for w in 0..2 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                let kind = if i % 2 == 0 {
                    ObjectKind::User
                } else {
                    ObjectKind::Folder
                };
                let key = if kind == ObjectKind::User { "q" } else { "f" };
                p.update_quota(
                    kind,
                    key,
                    QuotaUpdate {
                        size: 100 + w,
                        files: 1,
                        reset: false,
                    },
                )
                .await
                .unwrap();
                p.update_transfer_quota("q", 7, 3, false).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let u: Value = p.get(ObjectKind::User, "q").await.unwrap().unwrap();
    assert_eq!(u["used_quota_size"], json!(25 * 100 + 25 * 101));
    assert_eq!(u["used_quota_files"], json!(50));
    assert_eq!(u["used_upload_data_transfer"], json!(700));
    assert_eq!(u["used_download_data_transfer"], json!(300));
    let f: Value = p.get(ObjectKind::Folder, "f").await.unwrap().unwrap();
    assert_eq!(f["used_quota_files"], json!(50));
    p.update_quota(
        ObjectKind::User,
        "q",
        QuotaUpdate {
            size: 5,
            files: 1,
            reset: true,
        },
    )
    .await
    .unwrap();
    let u: Value = p.get(ObjectKind::User, "q").await.unwrap().unwrap();
    assert_eq!(
        (obj(&u, "used_quota_size"), obj(&u, "used_quota_files")),
        (json!(5), json!(1))
    );
    let e = p
        .update_quota(ObjectKind::User, "ghost", QuotaUpdate::default())
        .await
        .unwrap_err();
    assert!(matches!(e, ProviderError::NotFound(_)), "{e:?}");
}

async fn api_keys(p: &Provider) {
    p.add::<Value>(ObjectKind::User, &user("k"), AddMode::New)
        .await
        .unwrap();
    let key = json!({"id": "kid1", "key": "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA", "name": "ci", "scope": 2, "user": "k"});
    let got: Value = p.add_api_key(&key, AddMode::New).await.unwrap();
    assert_eq!(got["user"], json!("k"));
    assert_eq!(got["key"], key["key"]);
    let e = p
        .add_api_key::<Value>(&key, AddMode::New)
        .await
        .unwrap_err();
    assert!(matches!(e, ProviderError::Conflict(_)), "{e:?}");
    let mut upd = got.clone();
    upd["description"] = json!("rotated");
    let after: Value = p.update_api_key(&upd).await.unwrap();
    assert_eq!(after["description"], json!("rotated"));
    assert_eq!(
        after["key"], key["key"],
        "the secret never changes on update"
    );
    p.touch_api_key("kid1").await.unwrap();
    assert_eq!(
        p.list_api_keys::<Value>(0, 10, false).await.unwrap().len(),
        1
    );
    let mut orphan = key.clone();
    orphan["id"] = json!("kid2");
    orphan["user"] = json!("ghost");
    match p
        .add_api_key::<Value>(&orphan, AddMode::New)
        .await
        .unwrap_err()
    {
        ProviderError::Invalid { field, .. } => assert_eq!(field, "user"),
        e => panic!("{e:?}"),
    }
    // A key goes with its user.
    p.delete(ObjectKind::User, "k").await.unwrap();
    assert!(p.get_api_key::<Value>("kid1").await.unwrap().is_none());
    assert!(matches!(
        p.delete_api_key("kid1").await.unwrap_err(),
        ProviderError::NotFound(_)
    ));
}

async fn settings_and_fields(p: &Provider) {
    assert!(!p.is_token_revoked("j1").await.unwrap());
    p.revoke_token("j1", i64::MAX / 2).await.unwrap();
    p.revoke_token("j1", i64::MAX / 2).await.unwrap(); // twice is fine
    p.revoke_token("old", 1).await.unwrap();
    assert!(p.is_token_revoked("j1").await.unwrap());
    p.revoke_token("j2", i64::MAX / 2).await.unwrap(); // prunes the expired "old"
    assert!(!p.is_token_revoked("old").await.unwrap());
    let a = p
        .setting_or_init("jwt", || "first".to_owned())
        .await
        .unwrap();
    let b = p
        .setting_or_init("jwt", || "second".to_owned())
        .await
        .unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("first", "first"));
    p.add::<Value>(
        ObjectKind::Admin,
        &json!({"username": "root", "status": 1, "password": "h1", "permissions": ["*"]}),
        AddMode::New,
    )
    .await
    .unwrap();
    p.set_field(ObjectKind::Admin, "root", "password", Some(json!("h2")))
        .await
        .unwrap();
    p.set_last_login(ObjectKind::Admin, "root").await.unwrap();
    let adm: Value = p.get(ObjectKind::Admin, "root").await.unwrap().unwrap();
    assert_eq!(adm["password"], json!("h2"));
    assert!(adm["last_login"].as_i64().unwrap() > 0);
    assert!(matches!(
        p.set_field(ObjectKind::Admin, "ghost", "x", None)
            .await
            .unwrap_err(),
        ProviderError::NotFound(_)
    ));
}

async fn reset_empties(p: &Provider) {
    p.add::<Value>(ObjectKind::User, &user("gone"), AddMode::New)
        .await
        .unwrap();
    let r = p.reset().await.unwrap();
    assert_eq!(r.schema_version, ringway_provider::SCHEMA_VERSION);
    assert_eq!(p.count(ObjectKind::User).await.unwrap(), 0);
}

macro_rules! suite {
    ($engine:ident, $module:ident) => {
        mod $module {
            use super::*;
            async fn run<F: AsyncFn(&Provider)>(f: F) {
                let env = Env::new(Engine::$engine).await;
                let p = env.open().await;
                f(&p).await;
                env.finish(p).await;
            }
            #[tokio::test]
            async fn crud_and_relations() {
                run(super::crud_and_relations).await
            }
            #[tokio::test]
            async fn listing_and_paging() {
                run(super::listing_and_paging).await
            }
            #[tokio::test]
            async fn restore_keeps_counters() {
                run(super::restore_keeps_counters).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_quota_updates() {
                run(super::concurrent_quota_updates).await
            }
            #[tokio::test]
            async fn api_keys() {
                run(super::api_keys).await
            }
            #[tokio::test]
            async fn settings_and_fields() {
                run(super::settings_and_fields).await
            }
            #[tokio::test]
            async fn reset_empties() {
                run(super::reset_empties).await
            }
            #[tokio::test]
            async fn restart_keeps_data() {
                let env = Env::new(Engine::$engine).await;
                let p = env.open().await;
                p.add::<Value>(ObjectKind::User, &user("persist"), AddMode::New)
                    .await
                    .unwrap();
                p.close().await;
                let (p, report) = Provider::open(&env.driver, "", 0).await.unwrap();
                // A new in-memory database gets every migration again; a persisted one none.
                let expected = if Engine::$engine == Engine::Memory {
                    usize::try_from(ringway_provider::SCHEMA_VERSION).unwrap()
                } else {
                    0
                };
                assert_eq!(report.applied, expected, "migrations on reopen");
                let found = p.get::<Value>(ObjectKind::User, "persist").await.unwrap();
                if Engine::$engine == Engine::Memory {
                    assert!(found.is_none(), "the memory driver persisted something");
                } else {
                    assert!(found.is_some(), "data lost across a restart");
                }
                env.finish(p).await;
            }
        }
    };
}

suite!(SqliteFile, sqlite);
suite!(Memory, memory);
suite!(Postgres, postgresql);
suite!(Mysql, mysql);
