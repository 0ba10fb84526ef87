//! Create, read, list, update and delete users, groups, folders, admins and roles, with the 400s that name the
//! offending field, 404s and 409s.

use serde_json::{Value, json};

use crate::{Api, Auth, ROOT_PASS, names, start, user};

/// Asserts that a list route pages and orders by name: all, ASC, DESC, offset/limit, and bad parameters.
#[track_caller]
fn check_paging(api: &Api, path: &str, field: &str, expected: &[&str]) {
    let all = api.get(path);
    assert_eq!(names(all.ok(200), field), expected, "{path}");
    let asc = api.get(&format!("{path}?order=ASC"));
    assert_eq!(names(asc.ok(200), field), expected, "{path} ASC");
    let mut rev: Vec<&str> = expected.to_vec();
    rev.reverse();
    let desc = api.get(&format!("{path}?order=DESC"));
    assert_eq!(names(desc.ok(200), field), rev, "{path} DESC");
    let page = api.get(&format!("{path}?offset=1&limit=1"));
    assert_eq!(names(page.ok(200), field), expected[1..2], "{path} page");
    let page = api.get(&format!("{path}?offset=1&limit=1&order=DESC"));
    assert_eq!(names(page.ok(200), field), rev[1..2], "{path} DESC page");
    let past = api.get(&format!("{path}?offset=100"));
    assert_eq!(past.ok(200), &json!([]), "{path} past the end");
    for bad in ["limit=0", "limit=501", "limit=x", "limit=-1"] {
        api.get(&format!("{path}?{bad}")).err(400, "\"limit\"");
    }
    api.get(&format!("{path}?offset=-1")).err(400, "\"offset\"");
    api.get(&format!("{path}?order=sideways"))
        .err(400, "\"order\"");
    for item in all.body.as_array().into_iter().flatten() {
        assert!(item.get("password").is_none(), "{path}: {item}");
    }
}

/// `obj` with `changes` merged in at the top level.
fn merged(obj: &Value, changes: &Value) -> Value {
    let mut out = obj.clone();
    for (k, v) in changes.as_object().expect("changes") {
        out[k] = v.clone();
    }
    out
}

#[test]
fn users_crud_and_validation() {
    let server = start("admin");
    let dir = server.dir.path();
    let anon = Api::new(&server);
    let api = anon.login("admin", ROOT_PASS);

    for (name, pass) in [("carol", "carol-1"), ("alice", "alice-1"), ("bob", "bob-1")] {
        let r = api.post("/api/v2/users", &user(name, pass, dir));
        let u = r.ok(201);
        assert_eq!(u["username"], name);
        assert_eq!(u["has_password"], true, "{u}");
        assert!(u.get("password").is_none(), "password in the response: {u}");
        assert!(u["id"].as_i64().unwrap_or(0) > 0, "{u}");
        assert!(u["created_at"].as_i64().unwrap_or(0) > 0, "{u}");
        assert_eq!(u["permissions"], json!({"/": ["*"]}));
        assert_eq!(
            api.get(&format!("/api/v2/users/{name}")).ok(200),
            u,
            "GET differs from the POST answer"
        );
    }
    check_paging(
        &api,
        "/api/v2/users",
        "username",
        &["alice", "bob", "carol"],
    );

    // Update: visible; an empty or missing password keeps the old one.
    let before = api.get("/api/v2/users/alice").body;
    let changed = merged(
        &before,
        &json!({"description": "changed", "quota_size": 4096, "password": ""}),
    );
    api.put("/api/v2/users/alice", &changed)
        .msg(200, "User updated");
    let after = api.get("/api/v2/users/alice").body;
    assert_eq!(after["description"], "changed");
    assert_eq!(after["quota_size"], 4096);
    assert_eq!(after["created_at"], before["created_at"]);
    assert_eq!(after["has_password"], true);
    assert_eq!(anon.user_login("alice", "alice-1"), 200);
    let mut no_pass = after.clone();
    no_pass
        .as_object_mut()
        .expect("user")
        .remove("has_password");
    no_pass["max_sessions"] = json!(2);
    api.put("/api/v2/users/alice", &no_pass)
        .msg(200, "User updated");
    assert_eq!(api.get("/api/v2/users/alice").body["max_sessions"], 2);
    assert_eq!(anon.user_login("alice", "alice-1"), 200);
    api.put(
        "/api/v2/users/alice",
        &merged(&after, &json!({"password": "alice-2"})),
    )
    .ok(200);
    assert_eq!(anon.user_login("alice", "alice-1"), 401);
    assert_eq!(anon.user_login("alice", "alice-2"), 200);
    // The key comes from the path, not the body.
    api.put(
        "/api/v2/users/bob",
        &merged(
            &user("mallory", "", dir),
            &json!({"description": "via path"}),
        ),
    )
    .ok(200);
    assert_eq!(api.get("/api/v2/users/bob").body["description"], "via path");
    api.get("/api/v2/users/mallory").err(404, "mallory");
    // A disabled user cannot log in.
    api.put(
        "/api/v2/users/bob",
        &merged(&user("bob", "", dir), &json!({"status": 0})),
    )
    .ok(200);
    assert_eq!(anon.user_login("bob", "bob-1"), 401);
    // The other login restrictions: expiry, IP lists, denied protocols and login methods.
    for (changes, why) in [
        (json!({"expiration_date": 1000}), "expired"),
        (
            json!({"filters": {"denied_ip": ["127.0.0.0/8"]}}),
            "denied address",
        ),
        (
            json!({"filters": {"allowed_ip": ["10.0.0.0/8"]}}),
            "address not allowed",
        ),
        (
            json!({"filters": {"denied_protocols": ["HTTP"]}}),
            "HTTP denied",
        ),
        (
            json!({"filters": {"denied_login_methods": ["password"]}}),
            "password denied",
        ),
    ] {
        api.put(
            "/api/v2/users/bob",
            &merged(&user("bob", "", dir), &changes),
        )
        .ok(200);
        assert_eq!(anon.user_login("bob", "bob-1"), 401, "{why}");
    }
    api.put("/api/v2/users/bob", &user("bob", "", dir)).ok(200);
    assert_eq!(anon.user_login("bob", "bob-1"), 200);

    // Delete.
    api.delete("/api/v2/users/carol").msg(200, "User deleted");
    api.get("/api/v2/users/carol").err(404, "carol");
    api.delete("/api/v2/users/carol").err(404, "carol");
    api.put("/api/v2/users/carol", &user("carol", "x", dir))
        .err(404, "carol");
    assert_eq!(anon.user_login("carol", "carol-1"), 401);

    // Refusals, each naming the field; none of them stores anything.
    api.post("/api/v2/users", &user("alice", "again", dir))
        .err(409, "alice");
    let bad = |changes: Value, needle: &str| {
        api.post(
            "/api/v2/users",
            &merged(&user("newbie", "newbie-1", dir), &changes),
        )
        .err(400, needle);
        api.put(
            "/api/v2/users/alice",
            &merged(&user("alice", "", dir), &changes),
        )
        .err(400, needle);
    };
    bad(json!({"quota_sizee": 1}), "quota_sizee");
    bad(json!({"quota_size": "x"}), "quota_size");
    bad(
        json!({"filters": {"denied_protocols": [1]}}),
        "filters.denied_protocols[0]",
    );
    bad(
        json!({"filters": {"denied_protocols": ["GOPHER"]}}),
        "filters.denied_protocols",
    );
    bad(json!({"permissions": {"/dir": ["*"]}}), "permissions");
    bad(json!({"permissions": {"/": ["fly"]}}), "permissions./[0]");
    bad(json!({"status": 7}), "status");
    bad(json!({"quota_files": -1}), "quota_files");
    bad(json!({"email": "not an address"}), "email");
    bad(json!({"home_dir": "relative/home"}), "home_dir");
    bad(json!({"home_dir": ""}), "home_dir");
    bad(
        json!({"groups": [{"name": "nogroup", "type": 1}]}),
        "groups[0].name",
    );
    bad(json!({"role": "norole"}), "role");
    api.call("POST", "/api/v2/users", Some("{\"username\": "))
        .err(400, "EOF");
    api.call("POST", "/api/v2/users", Some("\"just a string\""))
        .err(400, "invalid document");
    assert_eq!(
        names(api.get("/api/v2/users").ok(200), "username"),
        ["alice", "bob"]
    );
    assert_eq!(anon.user_login("alice", "alice-2"), 200);
    assert_eq!(
        api.get("/api/v2/users/alice").body["description"],
        "changed"
    );
}

#[test]
fn groups_folders_roles_admins_crud() {
    let server = start("admin");
    let dir = server.dir.path();
    let anon = Api::new(&server);
    let api = anon.login("admin", ROOT_PASS);

    // Groups.
    let g = api.post(
        "/api/v2/groups",
        &json!({"name": "devs", "description": "Developers",
                "user_settings": {"max_sessions": 3, "permissions": {"/projects": ["list", "download"]}}}),
    );
    let g = g.ok(201);
    assert_eq!(g["name"], "devs");
    assert_eq!(g["user_settings"]["max_sessions"], 3);
    assert_eq!(api.get("/api/v2/groups/devs").ok(200), g);
    api.post("/api/v2/groups", &json!({"name": "ops"})).ok(201);
    check_paging(&api, "/api/v2/groups", "name", &["devs", "ops"]);
    api.put(
        "/api/v2/groups/devs",
        &merged(g, &json!({"description": "Dev team"})),
    )
    .msg(200, "Group updated");
    assert_eq!(
        api.get("/api/v2/groups/devs").body["description"],
        "Dev team"
    );
    api.post("/api/v2/groups", &json!({"name": "devs"}))
        .err(409, "devs");
    api.post(
        "/api/v2/groups",
        &json!({"name": "g2", "descriptionn": "x"}),
    )
    .err(400, "descriptionn");
    api.post(
        "/api/v2/groups",
        &json!({"name": "g2", "user_settings": {"max_sessions": "x"}}),
    )
    .err(400, "user_settings.max_sessions");
    api.post(
        "/api/v2/groups",
        &json!({"name": "g2", "user_settings": {"max_sessions": -1}}),
    )
    .err(400, "user_settings.max_sessions");
    api.post("/api/v2/groups", &json!({"name": "a/b"}))
        .err(400, "name");
    // A group in use cannot be deleted.
    api.post(
        "/api/v2/users",
        &merged(
            &user("dan", "dan-1", dir),
            &json!({"groups": [{"name": "devs", "type": 1}, {"name": "ops", "type": 2}]}),
        ),
    )
    .ok(201);
    assert_eq!(api.get("/api/v2/groups/devs").body["users"], json!(["dan"]));
    api.delete("/api/v2/groups/devs").err(409, "devs");
    api.delete("/api/v2/users/dan").ok(200);
    api.delete("/api/v2/groups/devs").msg(200, "Group deleted");
    api.get("/api/v2/groups/devs").err(404, "devs");
    api.delete("/api/v2/groups/devs").err(404, "devs");
    api.put("/api/v2/groups/devs", &json!({"name": "devs"}))
        .err(404, "devs");

    // Folders.
    let path = dir.join("folders").join("shared");
    let path = path.to_string_lossy();
    let f = api.post(
        "/api/v2/folders",
        &json!({"name": "shared", "mapped_path": path, "description": "Team files"}),
    );
    let f = f.ok(201);
    assert_eq!(f["mapped_path"], *path);
    assert_eq!(f["used_quota_size"], 0);
    assert_eq!(api.get("/api/v2/folders/shared").ok(200), f);
    api.post(
        "/api/v2/folders",
        &json!({"name": "tmp", "mapped_path": "/tmp/ringway-rest-tmp"}),
    )
    .ok(201);
    check_paging(&api, "/api/v2/folders", "name", &["shared", "tmp"]);
    api.put(
        "/api/v2/folders/shared",
        &merged(f, &json!({"description": "Shared"})),
    )
    .msg(200, "Folder updated");
    assert_eq!(
        api.get("/api/v2/folders/shared").body["description"],
        "Shared"
    );
    api.post(
        "/api/v2/folders",
        &json!({"name": "shared", "mapped_path": "/x"}),
    )
    .err(409, "shared");
    api.post(
        "/api/v2/folders",
        &json!({"name": "rel", "mapped_path": "not/absolute"}),
    )
    .err(400, "mapped_path");
    api.post(
        "/api/v2/folders",
        &json!({"name": "rel", "mapped_pth": "/x"}),
    )
    .err(400, "mapped_pth");
    api.post(
        "/api/v2/folders",
        &json!({"name": "rel", "mapped_path": "/x", "filesystem": {"provider": 42}}),
    )
    .err(400, "filesystem.provider");
    // A mapping shows the folder's definition; deleting the folder removes the mapping (as the reference does).
    api.post(
        "/api/v2/users",
        &merged(
            &user("erin", "erin-1", dir),
            &json!({"virtual_folders": [{"name": "shared", "virtual_path": "/team"}]}),
        ),
    )
    .ok(201);
    let erin = api.get("/api/v2/users/erin").body;
    assert_eq!(erin["virtual_folders"][0]["virtual_path"], "/team");
    assert_eq!(erin["virtual_folders"][0]["mapped_path"], *path);
    assert_eq!(erin["virtual_folders"][0]["description"], "Shared");
    assert_eq!(
        api.get("/api/v2/folders/shared").body["users"],
        json!(["erin"])
    );
    api.delete("/api/v2/folders/shared")
        .msg(200, "Folder deleted");
    api.get("/api/v2/folders/shared").err(404, "shared");
    assert!(
        api.get("/api/v2/users/erin")
            .body
            .get("virtual_folders")
            .is_none()
    );
    api.delete("/api/v2/folders/shared").err(404, "shared");

    // Roles.
    let r = api.post(
        "/api/v2/roles",
        &json!({"name": "r1", "description": "Role one"}),
    );
    let r = r.ok(201);
    assert_eq!(r["name"], "r1");
    assert_eq!(api.get("/api/v2/roles/r1").ok(200), r);
    api.post("/api/v2/roles", &json!({"name": "r2"})).ok(201);
    check_paging(&api, "/api/v2/roles", "name", &["r1", "r2"]);
    api.put(
        "/api/v2/roles/r1",
        &json!({"name": "r1", "description": "First role"}),
    )
    .msg(200, "Role updated");
    assert_eq!(
        api.get("/api/v2/roles/r1").body["description"],
        "First role"
    );
    api.post("/api/v2/roles", &json!({"name": "r1"}))
        .err(409, "r1");
    api.post("/api/v2/roles", &json!({"name": "r3", "descr": "x"}))
        .err(400, "descr");
    api.post("/api/v2/roles", &json!({"name": ""}))
        .err(400, "name");
    api.post(
        "/api/v2/users",
        &merged(&user("fay", "fay-1", dir), &json!({"role": "r1"})),
    )
    .ok(201);
    assert_eq!(api.get("/api/v2/users/fay").body["role"], "r1");
    assert_eq!(api.get("/api/v2/roles/r1").body["users"], json!(["fay"]));
    api.delete("/api/v2/roles/r1").err(409, "r1");
    api.delete("/api/v2/users/fay").ok(200);
    api.delete("/api/v2/roles/r1").msg(200, "Role deleted");
    api.get("/api/v2/roles/r1").err(404, "r1");
    api.delete("/api/v2/roles/r1").err(404, "r1");
    api.put("/api/v2/roles/r1", &json!({"name": "r1"}))
        .err(404, "r1");

    // Admins.
    let a = api.post(
        "/api/v2/admins",
        &json!({"username": "helper", "password": "helper-1", "status": 1,
                "permissions": ["view_users"], "email": "helper@example.com"}),
    );
    let a = a.ok(201);
    assert_eq!(a["username"], "helper");
    assert_eq!(a["permissions"], json!(["view_users"]));
    assert!(a.get("password").is_none(), "{a}");
    assert_eq!(api.get("/api/v2/admins/helper").ok(200), a);
    check_paging(&api, "/api/v2/admins", "username", &["admin", "helper"]);
    api.put(
        "/api/v2/admins/helper",
        &merged(
            a,
            &json!({"description": "helps", "password": "", "permissions": ["view_users", "view_conns"]}),
        ),
    )
    .msg(200, "Admin updated");
    let a2 = api.get("/api/v2/admins/helper").body;
    assert_eq!(a2["description"], "helps");
    assert_eq!(a2["permissions"], json!(["view_users", "view_conns"]));
    anon.token("helper", "helper-1");
    api.put(
        "/api/v2/admins/helper",
        &merged(&a2, &json!({"password": "helper-2"})),
    )
    .ok(200);
    anon.with(Auth::Basic("helper".into(), "helper-1".into()))
        .get("/api/v2/token")
        .err(401, "");
    anon.token("helper", "helper-2");
    let new_admin = |changes: Value| {
        merged(
            &json!({"username": "other", "password": "other-1", "status": 1, "permissions": ["view_users"]}),
            &changes,
        )
    };
    api.post("/api/v2/admins", &new_admin(json!({"username": "helper"})))
        .err(409, "helper");
    api.post("/api/v2/admins", &new_admin(json!({"password": ""})))
        .err(400, "password");
    api.post(
        "/api/v2/admins",
        &new_admin(json!({"permissions": ["view_users", "fly"]})),
    )
    .err(400, "permissions[1]");
    api.post("/api/v2/admins", &new_admin(json!({"permissions": []})))
        .err(400, "permissions");
    api.post("/api/v2/admins", &new_admin(json!({"permissions": "x"})))
        .err(400, "permissions");
    api.post(
        "/api/v2/admins",
        &new_admin(json!({"permissions": ["*"], "role": "r2"})),
    )
    .err(400, "permissions[0]");
    api.post("/api/v2/admins", &new_admin(json!({"rolee": "r2"})))
        .err(400, "rolee");
    api.post(
        "/api/v2/admins",
        &new_admin(json!({"filters": {"allow_list": ["not-a-net"]}})),
    )
    .err(400, "filters.allow_list");
    // Nobody can lock themselves out.
    api.delete("/api/v2/admins/admin").err(400, "yourself");
    let me = api.get("/api/v2/admins/admin").body;
    api.put("/api/v2/admins/admin", &merged(&me, &json!({"status": 0})))
        .err(400, "yourself");
    api.put(
        "/api/v2/admins/admin",
        &merged(&me, &json!({"permissions": ["view_users"]})),
    )
    .err(400, "yourself");
    // A disabled admin gets no token.
    api.post(
        "/api/v2/admins",
        &new_admin(json!({"username": "sleepy", "status": 0})),
    )
    .ok(201);
    anon.with(Auth::Basic("sleepy".into(), "other-1".into()))
        .get("/api/v2/token")
        .err(401, "");
    // An allow list without the client's address refuses the token.
    api.post(
        "/api/v2/admins",
        &new_admin(json!({"username": "fenced", "filters": {"allow_list": ["10.0.0.0/8"]}})),
    )
    .ok(201);
    anon.with(Auth::Basic("fenced".into(), "other-1".into()))
        .get("/api/v2/token")
        .err(401, "");
    // Deleting an admin ends its sessions.
    let helper = anon.login("helper", "helper-2");
    helper.get("/api/v2/version").ok(200);
    api.delete("/api/v2/admins/helper")
        .msg(200, "Admin deleted");
    helper.get("/api/v2/version").err(401, "");
    api.get("/api/v2/admins/helper").err(404, "helper");
    api.delete("/api/v2/admins/helper").err(404, "helper");
    api.put("/api/v2/admins/helper", &new_admin(json!({})))
        .err(404, "helper");
    anon.with(Auth::Basic("helper".into(), "helper-2".into()))
        .get("/api/v2/token")
        .err(401, "");
}

#[test]
fn mapping_an_unknown_folder_is_refused() {
    let server = start("admin");
    let dir = server.dir.path();
    let api = Api::new(&server).login("admin", ROOT_PASS);
    let mapping = json!({"virtual_folders": [{"name": "typo", "virtual_path": "/v"}]});
    api.post("/api/v2/users", &merged(&user("u", "u-1", dir), &mapping))
        .err(400, "virtual_folders[0].name");
    api.post("/api/v2/groups", &merged(&json!({"name": "g"}), &mapping))
        .err(400, "virtual_folders[0].name");
    api.get("/api/v2/folders/typo").err(404, "typo");
}
