//! Admin permissions (403 for what an admin lacks, 2xx for what it has) and role admins, who only see and
//! manage the users of their role.

use serde_json::{Value, json};

use crate::{Api, ROOT_PASS, names, start, user};

fn admin(name: &str, perms: &[&str], role: &str) -> Value {
    json!({"username": name, "password": format!("{name}-pass"), "status": 1, "permissions": perms, "role": role})
}

#[test]
fn permissions_and_role_admins() {
    let server = start("admin");
    let dir = server.dir.path();
    let anon = Api::new(&server);
    let root = anon.login("admin", ROOT_PASS);
    root.post("/api/v2/users", &user("target", "target-1", dir))
        .ok(201);
    for a in [
        admin("viewer", &["view_users"], ""),
        admin("adder", &["add_users", "view_users"], ""),
        admin("watcher", &["view_status", "view_conns", "close_conns"], ""),
    ] {
        root.post("/api/v2/admins", &a).ok(201);
    }

    // Only view_users.
    let viewer = anon.login("viewer", "viewer-pass");
    viewer.get("/api/v2/users").ok(200);
    viewer.get("/api/v2/users/target").ok(200);
    viewer.get("/api/v2/version").ok(200);
    viewer.get("/api/v2/admin/profile").ok(200);
    let denied: [(&str, &str, Option<Value>, &str); 25] = [
        (
            "POST",
            "/api/v2/users",
            Some(user("new", "new-1", dir)),
            "add_users",
        ),
        (
            "PUT",
            "/api/v2/users/target",
            Some(user("target", "", dir)),
            "edit_users",
        ),
        ("DELETE", "/api/v2/users/target", None, "del_users"),
        ("GET", "/api/v2/admins", None, "\"*\""),
        ("GET", "/api/v2/admins/admin", None, "\"*\""),
        (
            "POST",
            "/api/v2/admins",
            Some(admin("x", &["view_users"], "")),
            "\"*\"",
        ),
        ("DELETE", "/api/v2/admins/adder", None, "\"*\""),
        ("GET", "/api/v2/roles", None, "\"*\""),
        ("POST", "/api/v2/roles", Some(json!({"name": "r"})), "\"*\""),
        ("GET", "/api/v2/apikeys", None, "\"*\""),
        (
            "POST",
            "/api/v2/apikeys",
            Some(json!({"name": "k", "scope": 1})),
            "\"*\"",
        ),
        ("GET", "/api/v2/dumpdata?output-data=1", None, "\"*\""),
        ("POST", "/api/v2/loaddata", Some(json!({})), "\"*\""),
        ("GET", "/api/v2/loaddata?input-file=x.json", None, "\"*\""),
        ("GET", "/api/v2/status", None, "view_status"),
        ("GET", "/api/v2/connections", None, "view_conns"),
        ("DELETE", "/api/v2/connections/x", None, "close_conns"),
        ("GET", "/api/v2/groups", None, "manage_groups"),
        (
            "POST",
            "/api/v2/groups",
            Some(json!({"name": "g"})),
            "manage_groups",
        ),
        ("GET", "/api/v2/folders", None, "manage_folders"),
        (
            "POST",
            "/api/v2/folders",
            Some(json!({"name": "f", "mapped_path": "/f"})),
            "manage_folders",
        ),
        ("GET", "/api/v2/quotas/users/scans", None, "quota_scans"),
        (
            "POST",
            "/api/v2/quotas/users/target/scan",
            None,
            "quota_scans",
        ),
        (
            "PUT",
            "/api/v2/quotas/users/target/usage",
            Some(json!({"used_quota_size": 1})),
            "quota_scans",
        ),
        (
            "PUT",
            "/api/v2/quotas/folders/f/usage",
            Some(json!({"used_quota_size": 1})),
            "quota_scans",
        ),
    ];
    for (method, path, body, perm) in &denied {
        let body = body.as_ref().map(Value::to_string);
        viewer.call(method, path, body.as_deref()).err(403, perm);
    }
    // Nothing changed.
    assert_eq!(
        names(root.get("/api/v2/users").ok(200), "username"),
        ["target"]
    );
    assert_eq!(
        names(root.get("/api/v2/admins").ok(200), "username"),
        ["adder", "admin", "viewer", "watcher"]
    );

    // add_users + view_users: can add, not edit or delete.
    let adder = anon.login("adder", "adder-pass");
    let added = adder.post("/api/v2/users", &user("added", "added-1", dir));
    assert_eq!(added.ok(201)["username"], "added");
    adder
        .put("/api/v2/users/added", &user("added", "", dir))
        .err(403, "edit_users");
    adder.delete("/api/v2/users/added").err(403, "del_users");
    adder.get("/api/v2/users/added").ok(200);

    // Status and connections.
    let watcher = anon.login("watcher", "watcher-pass");
    assert_eq!(
        watcher.get("/api/v2/status").ok(200)["data_provider"]["is_active"],
        true
    );
    assert_eq!(watcher.get("/api/v2/connections").ok(200), &json!([]));
    watcher.delete("/api/v2/connections/999").err(404, "999");
    watcher.get("/api/v2/users").err(403, "view_users");

    // A role admin sees and manages only the users of its role.
    root.post("/api/v2/roles", &json!({"name": "r1"})).ok(201);
    root.post("/api/v2/roles", &json!({"name": "r2"})).ok(201);
    let with_role = |name: &str, role: &str| {
        let mut u = user(name, &format!("{name}-1"), dir);
        u["role"] = json!(role);
        u
    };
    root.post("/api/v2/users", &with_role("r1-a", "r1")).ok(201);
    root.post("/api/v2/users", &with_role("r2-a", "r2")).ok(201);
    root.post(
        "/api/v2/admins",
        &admin(
            "radmin",
            &["add_users", "view_users", "edit_users", "del_users"],
            "r1",
        ),
    )
    .ok(201);
    root.post(
        "/api/v2/admins",
        &admin("rquota", &["view_users", "quota_scans"], "r1"),
    )
    .ok(201);
    let radmin = anon.login("radmin", "radmin-pass");
    assert_eq!(
        names(radmin.get("/api/v2/users").ok(200), "username"),
        ["r1-a"]
    );
    for other in ["r2-a", "target", "added"] {
        let path = format!("/api/v2/users/{other}");
        radmin.get(&path).err(404, other);
        radmin.put(&path, &user(other, "", dir)).err(404, other);
        radmin.delete(&path).err(404, other);
    }
    // Users it creates get its role, whatever the body says.
    let b = radmin.post("/api/v2/users", &with_role("r1-b", "r2"));
    assert_eq!(b.ok(201)["role"], "r1");
    let c = radmin.post("/api/v2/users", &user("r1-c", "r1-c-1", dir));
    assert_eq!(c.ok(201)["role"], "r1");
    assert_eq!(root.get("/api/v2/users/r1-c").body["role"], "r1");
    assert_eq!(
        names(radmin.get("/api/v2/users?order=DESC").ok(200), "username"),
        ["r1-c", "r1-b", "r1-a"]
    );
    assert_eq!(
        names(
            radmin.get("/api/v2/users?offset=1&limit=1").ok(200),
            "username"
        ),
        ["r1-b"]
    );
    // An update cannot move a user out of the role.
    radmin
        .put("/api/v2/users/r1-b", &with_role("r1-b", ""))
        .msg(200, "User updated");
    assert_eq!(root.get("/api/v2/users/r1-b").body["role"], "r1");
    radmin
        .put("/api/v2/users/r1-b", &with_role("r1-b", "r2"))
        .ok(200);
    assert_eq!(root.get("/api/v2/users/r1-b").body["role"], "r1");
    radmin.delete("/api/v2/users/r1-c").msg(200, "User deleted");
    radmin.get("/api/v2/users/r1-c").err(404, "r1-c");
    radmin.get("/api/v2/roles").err(403, "\"*\"");
    radmin.get("/api/v2/admins").err(403, "\"*\"");
    // Other roles' users stay untouched.
    let all = names(root.get("/api/v2/users").ok(200), "username");
    assert_eq!(all, ["added", "r1-a", "r1-b", "r2-a", "target"]);
    assert_eq!(root.get("/api/v2/users/r2-a").body["role"], "r2");

    // The quota routes respect the role too (as in the reference).
    let rquota = anon.login("rquota", "rquota-pass");
    rquota
        .put(
            "/api/v2/quotas/users/r1-a/usage",
            &json!({"used_quota_size": 10, "used_quota_files": 1}),
        )
        .msg(200, "Quota updated");
    for other in ["r2-a", "target"] {
        rquota
            .put(
                &format!("/api/v2/quotas/users/{other}/usage"),
                &json!({"used_quota_size": 10, "used_quota_files": 1}),
            )
            .err(404, other);
        rquota
            .put(
                &format!("/api/v2/quotas/users/{other}/transfer-usage"),
                &json!({"used_upload_data_transfer": 10}),
            )
            .err(404, other);
        rquota
            .call("POST", &format!("/api/v2/quotas/users/{other}/scan"), None)
            .err(404, other);
        let u = root.get(&format!("/api/v2/users/{other}")).body;
        assert!(u.get("used_quota_size").is_none(), "{u}");
        assert!(u.get("used_upload_data_transfer").is_none(), "{u}");
    }
}
