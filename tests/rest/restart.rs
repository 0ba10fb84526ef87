//! Data and tokens survive a restart, on SQLite, PostgreSQL and MariaDB. The server databases come from
//! `ringway_provider::testing::TestDb` (127.0.0.1:5432 as `postgres`, 127.0.0.1:3306 as `root`); a server that
//! cannot be reached fails the test.

use std::panic::AssertUnwindSafe;

use ringway_provider::Dialect;
use ringway_provider::testing::TestDb;
use ringway_tests::Server;
use serde_json::{Value, json};

use crate::backups::restorable;
use crate::{Api, Auth, ROOT_PASS, env, start, user};

/// Creates a user with a group, a folder and a role; returns its JSON.
fn populate(api: &Api, dir: &std::path::Path) -> Value {
    api.post("/api/v2/roles", &json!({"name": "keepers"}))
        .ok(201);
    api.post(
        "/api/v2/folders",
        &json!({"name": "kept", "mapped_path": dir.join("kept").to_string_lossy()}),
    )
    .ok(201);
    api.post(
        "/api/v2/groups",
        &json!({"name": "team", "user_settings": {"max_sessions": 4}}),
    )
    .ok(201);
    let mut u = user("keep", "keep-pass", dir);
    u["role"] = json!("keepers");
    u["groups"] = json!([{"name": "team", "type": 1}]);
    u["virtual_folders"] = json!([{"name": "kept", "virtual_path": "/kept"}]);
    api.post("/api/v2/users", &u).ok(201);
    api.put(
        "/api/v2/quotas/users/keep/usage",
        &json!({"used_quota_size": 42, "used_quota_files": 2}),
    )
    .ok(200);
    api.get("/api/v2/users/keep").body
}

#[test]
fn sqlite_restart_keeps_data_and_tokens() {
    let server = start("admin");
    let anon = Api::new(&server);
    let token = anon.token("admin", ROOT_PASS);
    let keep = populate(&anon.bearer(&token), server.dir.path());
    let before = anon
        .bearer(&token)
        .get("/api/v2/dumpdata?output-data=1")
        .body;

    // A different default admin password at restart does not touch the existing admin.
    let mut e = env("admin");
    e[1].1 = "another-password";
    let server = server.restart(&e);
    let anon = Api::new(&server);
    let root = anon.bearer(&token);
    assert_eq!(root.get("/api/v2/users/keep").ok(200), &keep);
    assert_eq!(root.get("/api/v2/dumpdata?output-data=1").ok(200), &before);
    assert_eq!(anon.user_login("keep", "keep-pass"), 200);
    anon.token("admin", ROOT_PASS);
    anon.with(Auth::Basic("admin".into(), "another-password".into()))
        .get("/api/v2/token")
        .err(401, "");
}

/// After `/logout` a token must stay revoked, also once the server restarted (the signing key survives
/// restarts, so the token's signature is still valid then).
#[test]
fn logout_survives_restart() {
    let server = start("admin");
    let anon = Api::new(&server);
    let token = anon.token("admin", ROOT_PASS);
    anon.bearer(&token).get("/api/v2/logout").ok(200);
    anon.bearer(&token).get("/api/v2/version").err(401, "");
    let server = server.restart(&env("admin"));
    Api::new(&server)
        .bearer(&token)
        .get("/api/v2/version")
        .err(401, "");
}

/// Runs the restart checks on a throwaway database of `dialect`, dropping it afterwards even on failure.
fn restart_on(dialect: Dialect, driver: &str, port: &str, db_user: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let db = rt.block_on(TestDb::create(dialect));
    let name = db.name.clone();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut e = env("admin");
        e.extend([
            ("RINGWAY_DATA_PROVIDER__DRIVER", driver),
            ("RINGWAY_DATA_PROVIDER__NAME", name.as_str()),
            ("RINGWAY_DATA_PROVIDER__HOST", "127.0.0.1"),
            ("RINGWAY_DATA_PROVIDER__PORT", port),
            ("RINGWAY_DATA_PROVIDER__USERNAME", db_user),
        ]);
        let server = Server::start(&e);
        let anon = Api::new(&server);
        let token = anon.token("admin", ROOT_PASS);
        let api = anon.bearer(&token);
        let st = api.get("/api/v2/status");
        assert_eq!(st.ok(200)["data_provider"]["driver"], driver);
        assert_eq!(st.body["data_provider"]["is_active"], true);
        let keep = populate(&api, server.dir.path());
        api.post("/api/v2/loaddata", &restorable()).ok(200);
        assert_eq!(anon.user_login("bob", "bob-secret-2"), 200);
        let before = api.get("/api/v2/dumpdata?output-data=1").body;
        assert_eq!(
            before["users"].as_array().map(Vec::len),
            Some(3),
            "{before}"
        );

        let server = server.restart(&e);
        let anon = Api::new(&server);
        let api = anon.bearer(&token);
        assert_eq!(api.get("/api/v2/users/keep").ok(200), &keep);
        assert_eq!(api.get("/api/v2/dumpdata?output-data=1").ok(200), &before);
        assert_eq!(anon.user_login("keep", "keep-pass"), 200);
        assert_eq!(anon.user_login("alice", "alice-secret-1"), 200);
        api.delete("/api/v2/groups/team").err(409, "team");
        drop(server);
    }));
    rt.block_on(db.drop_db());
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn postgresql_restart_keeps_data_and_tokens() {
    restart_on(Dialect::Postgres, "postgresql", "5432", "postgres");
}

#[test]
fn mariadb_restart_keeps_data_and_tokens() {
    restart_on(Dialect::Mysql, "mysql", "3306", "root");
}
