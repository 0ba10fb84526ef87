//! Backups: restoring the reference-format fixture (and logging in with its bcrypt and sha512-crypt hashes,
//! which are then upgraded to argon2id), the lossless dump → load → dump round trip between two servers, restore
//! modes, backup files in the backups directory, and the sections ringway refuses.

use serde_json::{Value, json};

use crate::{Api, Auth, ROOT_PASS, json_diff, names, start, user};

/// The fixture, exactly as the reference writes it.
pub(crate) fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../admin/model/tests/fixtures/sftpgo-backup.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("read the fixture"))
        .expect("fixture JSON")
}

/// Sections ringway does not manage yet and refuses when non-empty.
const UNMANAGED: [&str; 5] = [
    "shares",
    "event_actions",
    "event_rules",
    "ip_lists",
    "configs",
];

/// The fixture without the sections ringway refuses.
pub(crate) fn restorable() -> Value {
    let mut v = fixture();
    for s in UNMANAGED {
        v[s] = if s == "configs" {
            Value::Null
        } else {
            json!([])
        };
    }
    v
}

/// Sorts every section of a backup by its key, so dumps compare independently of list order.
fn sorted(mut backup: Value) -> Value {
    for (section, key) in [
        ("users", "username"),
        ("admins", "username"),
        ("groups", "name"),
        ("folders", "name"),
        ("roles", "name"),
        ("api_keys", "id"),
    ] {
        if let Some(list) = backup[section].as_array_mut() {
            list.sort_by(|a, b| a[key].as_str().cmp(&b[key].as_str()));
        }
    }
    backup
}

fn dump(api: &Api) -> Value {
    sorted(api.get("/api/v2/dumpdata?output-data=1").ok(200).clone())
}

/// Drops the admin `name` from a dump.
fn without_admin(mut backup: Value, name: &str) -> Value {
    if let Some(list) = backup["admins"].as_array_mut() {
        list.retain(|a| a["username"] != name);
    }
    backup
}

#[test]
fn fixture_restore_logins_and_hash_upgrade() {
    let server = start("root");
    let dir = server.dir.path();
    let anon = Api::new(&server);
    let api = anon.login("root", ROOT_PASS);

    // Sections ringway cannot restore are refused, naming them, and nothing is restored.
    let full = fixture();
    for section in UNMANAGED {
        let mut b = restorable();
        b[section] = full[section].clone();
        api.post("/api/v2/loaddata", &b).err(400, section);
    }
    assert_eq!(api.get("/api/v2/users").ok(200), &json!([]));

    api.post("/api/v2/loaddata", &restorable())
        .msg(200, "Data restored");
    // What was restored is what the backup holds.
    let mut diffs = Vec::new();
    json_diff(
        &sorted(restorable()),
        &without_admin(dump(&api), "root"),
        "",
        &|parent, key, _| {
            // Set by this restore; provider ids of admins (the server's own admin came first); an output-only
            // flag; read-only group member lists the hand-written fixture leaves out.
            key == "updated_at"
                || (key == "id" && parent.starts_with(".admins"))
                || key == "has_password"
                || (parent.starts_with(".groups[") && (key == "users" || key == "admins"))
        },
        &mut diffs,
    );
    assert!(diffs.is_empty(), "restore changed:\n{}", diffs.join("\n"));

    // Users and admins log in with their original passwords (bcrypt, sha512-crypt)...
    assert_eq!(anon.user_login("alice", "alice-secret-1"), 200);
    assert_eq!(anon.user_login("bob", "bob-secret-2"), 200);
    assert_eq!(anon.user_login("bob", "alice-secret-1"), 401);
    anon.token("admin", "admin-secret-3");
    anon.token("ops", "ops-secret-4");
    anon.with(Auth::Basic("ops".into(), "admin-secret-3".into()))
        .get("/api/v2/token")
        .err(401, "");
    // ... and the API key of the backup works.
    anon.api_key("VpF7hQx2JcT9mWnR4sLk8Y.Xq3vN8rT2kLm9PzW4bYcHd")
        .get("/api/v2/version")
        .ok(200);
    anon.api_key("VpF7hQx2JcT9mWnR4sLk8Y.Xq3vN8rT2kLm9PzW4bYcHX")
        .get("/api/v2/version")
        .err(401, "");
    // After those logins the stored hashes are argon2id; logins still work.
    let d = dump(&api);
    for (section, name) in [
        ("users", "alice"),
        ("users", "bob"),
        ("admins", "admin"),
        ("admins", "ops"),
        ("admins", "root"),
    ] {
        let obj = d[section]
            .as_array()
            .and_then(|l| l.iter().find(|o| o["username"] == name))
            .unwrap_or_else(|| panic!("{name} missing from the dump"));
        let hash = obj["password"].as_str().unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{name}: {hash}");
    }
    assert_eq!(anon.user_login("bob", "bob-secret-2"), 200);
    anon.token("admin", "admin-secret-3");

    // Restore modes: 1 adds missing objects and leaves existing ones alone; 0 updates them.
    let mut alice = api.get("/api/v2/users/alice").body;
    alice["description"] = json!("modified here");
    api.put("/api/v2/users/alice", &alice).ok(200);
    api.delete("/api/v2/users/bob").ok(200);
    api.post("/api/v2/loaddata?mode=1", &restorable())
        .msg(200, "Data restored");
    assert_eq!(
        api.get("/api/v2/users/alice").body["description"],
        "modified here"
    );
    assert_eq!(api.get("/api/v2/users/bob").body["role"], "ops");
    api.post("/api/v2/loaddata?mode=0", &restorable()).ok(200);
    assert_eq!(
        api.get("/api/v2/users/alice").body["description"],
        "Alice Example"
    );
    api.post("/api/v2/loaddata?mode=9", &restorable())
        .err(400, "\"mode\"");
    api.post("/api/v2/loaddata?scan-quota=1", &restorable())
        .err(400, "scan-quota");
    api.post("/api/v2/loaddata?mood=1", &restorable())
        .err(400, "mood");
    // Invalid backups name the object and the field.
    let mut b = restorable();
    b["users"][1]["quota_sizee"] = json!(1);
    api.post("/api/v2/loaddata", &b).err(400, "quota_sizee");
    let mut b = restorable();
    b["users"][0]["permissions"] = json!({"/": ["fly"]});
    api.post("/api/v2/loaddata", &b)
        .err(400, "users[0] (\"alice\")");
    api.call("POST", "/api/v2/loaddata", Some("{"))
        .err(400, "invalid document");

    // Backup files: written in the backups directory, restored by name.
    api.get("/api/v2/dumpdata?output-file=mybackup.json")
        .msg(200, "Data saved");
    let file = dir.join("backups").join("mybackup.json");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("backup file"))
        .expect("backup JSON");
    assert_eq!(sorted(saved), dump(&api), "file and output-data differ");
    api.get("/api/v2/dumpdata").msg(200, "Data saved");
    let written: Vec<String> = std::fs::read_dir(dir.join("backups"))
        .expect("backups dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        written
            .iter()
            .any(|n| n.starts_with("backup_") && n.ends_with(".json")),
        "{written:?}"
    );
    let pretty = api.get("/api/v2/dumpdata?output-data=1&indent=1");
    assert!(pretty.ok(200).is_object() && pretty.text.contains("\n  "));
    let scoped = api.get("/api/v2/dumpdata?output-data=1&scopes=users,roles");
    let scoped = scoped.ok(200);
    assert_eq!(names(&scoped["users"], "username"), ["alice", "bob"]);
    assert_eq!(names(&scoped["roles"], "name"), ["ops"]);
    assert_eq!(scoped["admins"], json!([]));
    assert_eq!(scoped["groups"], json!([]));

    api.delete("/api/v2/users/alice").ok(200);
    api.post("/api/v2/users", &user("extra", "extra-1", dir))
        .ok(201);
    api.get("/api/v2/loaddata?input-file=mybackup.json")
        .msg(200, "Data restored");
    assert_eq!(
        names(api.get("/api/v2/users").ok(200), "username"),
        ["alice", "bob", "extra"]
    );
    assert_eq!(anon.user_login("alice", "alice-secret-1"), 200);

    // File names stay inside the backups directory.
    for bad in ["../x.json", "/etc/passwd", "sub/x.json", "..", ""] {
        let q = bad.replace('/', "%2F");
        api.get(&format!("/api/v2/dumpdata?output-file={q}"))
            .err(400, "file name");
        api.get(&format!("/api/v2/loaddata?input-file={q}"))
            .err(400, "file name");
    }
    assert!(!dir.join("x.json").exists());
    api.get("/api/v2/loaddata?input-file=missing.json")
        .err(400, "missing.json");
    api.get("/api/v2/loaddata").err(400, "input-file");
}

#[test]
fn dump_load_round_trip_is_lossless() {
    // Server A: the fixture plus objects made through the API, used a little.
    let a = start("root");
    let dir = a.dir.path();
    let anon_a = Api::new(&a);
    let api_a = anon_a.login("root", ROOT_PASS);
    api_a.post("/api/v2/loaddata", &restorable()).ok(200);
    api_a
        .post(
            "/api/v2/roles",
            &json!({"name": "r9", "description": "nine"}),
        )
        .ok(201);
    let f9 = dir.join("f9");
    api_a
        .post(
            "/api/v2/folders",
            &json!({"name": "f9", "mapped_path": f9.to_string_lossy(), "description": "folder nine"}),
        )
        .ok(201);
    api_a
        .post(
            "/api/v2/groups",
            &json!({"name": "g9", "description": "group nine",
                    "user_settings": {"max_sessions": 2, "filters": {"denied_protocols": ["FTP"]}},
                    "virtual_folders": [{"name": "f9", "virtual_path": "/nine", "quota_files": 5}]}),
        )
        .ok(201);
    let mut zed = user("zed", "zed-pass", dir);
    for (k, v) in [
        ("role", json!("r9")),
        ("email", json!("zed@example.com")),
        ("expiration_date", json!(4_102_444_800_000_i64)),
        ("quota_size", json!(1 << 30)),
        (
            "groups",
            json!([{"name": "g9", "type": 1}, {"name": "engineering", "type": 2}]),
        ),
        (
            "virtual_folders",
            json!([{"name": "shared", "virtual_path": "/s", "quota_size": -1, "quota_files": -1}]),
        ),
        (
            "permissions",
            json!({"/": ["list", "download"], "/in": ["upload"]}),
        ),
        (
            "filters",
            json!({"allowed_ip": ["127.0.0.0/8"], "file_patterns": [{"path": "/in", "denied_patterns": ["*.exe"]}]}),
        ),
        (
            "public_keys",
            json!([
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFIe2ypQ2nLkEveE8AWg0xoMJ1GNR6fQcWKUNZoQO78U zed"
            ]),
        ),
    ] {
        zed[k] = v;
    }
    api_a.post("/api/v2/users", &zed).ok(201);
    api_a
        .post(
            "/api/v2/admins",
            &json!({"username": "zadmin", "password": "zadmin-pass", "status": 1, "role": "r9",
                    "permissions": ["view_users", "add_users"], "filters": {"allow_api_key_auth": true},
                    "groups": [{"name": "g9", "options": {"add_to_users_as": 1}}]}),
        )
        .ok(201);
    api_a
        .post(
            "/api/v2/apikeys",
            &json!({"name": "zkey", "scope": 1, "admin": "zadmin", "expires_at": 4_102_444_800_000_i64}),
        )
        .ok(201);
    api_a
        .put(
            "/api/v2/quotas/users/zed/usage",
            &json!({"used_quota_size": 123, "used_quota_files": 4}),
        )
        .ok(200);
    api_a
        .put(
            "/api/v2/quotas/users/zed/transfer-usage",
            &json!({"used_upload_data_transfer": 55, "used_download_data_transfer": 66}),
        )
        .ok(200);
    api_a
        .put(
            "/api/v2/quotas/folders/f9/usage",
            &json!({"used_quota_size": 77, "used_quota_files": 7}),
        )
        .ok(200);
    assert_eq!(anon_a.user_login("zed", "zed-pass"), 200);
    assert_eq!(anon_a.user_login("alice", "alice-secret-1"), 200);
    anon_a.token("zadmin", "zadmin-pass");
    anon_a
        .api_key("VpF7hQx2JcT9mWnR4sLk8Y.Xq3vN8rT2kLm9PzW4bYcHd")
        .get("/api/v2/version")
        .ok(200);
    let dump_a = dump(&api_a);
    assert_eq!(names(&dump_a["users"], "username"), ["alice", "bob", "zed"]);

    // Server B, fresh with its own admin: load A's dump, dump again.
    let b = start("b-root");
    let anon_b = Api::new(&b);
    let api_b = anon_b.login("b-root", ROOT_PASS);
    api_b
        .post("/api/v2/loaddata", &dump_a)
        .msg(200, "Data restored");
    let dump_b = without_admin(dump(&api_b), "b-root");
    let mut diffs = Vec::new();
    json_diff(
        &dump_a,
        &dump_b,
        "",
        &|_, key, value| {
            // `updated_at` records the restore itself. Numeric `id`s are provider row ids: nothing refers to
            // them (objects refer to each other by name), and a restore numbers rows in load order, as the
            // reference does. API key ids are strings and are compared.
            key == "updated_at" || (key == "id" && value.is_number())
        },
        &mut diffs,
    );
    assert!(
        diffs.is_empty(),
        "dump → load → dump changed {} value(s):\n{}",
        diffs.len(),
        diffs.join("\n")
    );

    // The restored credentials work on B.
    assert_eq!(anon_b.user_login("zed", "zed-pass"), 200);
    assert_eq!(anon_b.user_login("bob", "bob-secret-2"), 200);
    anon_b.token("root", ROOT_PASS);
    anon_b.token("admin", "admin-secret-3");
    anon_b
        .api_key("VpF7hQx2JcT9mWnR4sLk8Y.Xq3vN8rT2kLm9PzW4bYcHd")
        .get("/api/v2/users")
        .ok(200);
}
