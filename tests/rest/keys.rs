//! API keys: creation (the key is shown once), use in `X-SFTPGO-API-KEY` / `X-RINGWAY-API-KEY`, the admin's
//! `allow_api_key_auth` opt-in, wrong secrets, expiry, impersonation, and what keys may not do.

use serde_json::{Value, json};

use crate::{Api, Auth, ROOT_PASS, start, user};

/// Creates a key and returns (id, "id.secret").
#[track_caller]
fn new_key(api: &Api, body: &Value) -> (String, String) {
    let r = api.post("/api/v2/apikeys", body);
    let b = r.ok(201);
    let key = b["key"].as_str().unwrap_or_default().to_owned();
    let (id, secret) = key.split_once('.').unwrap_or_default();
    assert!(
        !id.is_empty() && !secret.is_empty() && !secret.contains('.'),
        "{}",
        r.text
    );
    assert!(
        b["message"]
            .as_str()
            .is_some_and(|m| m.contains("only time")),
        "{}",
        r.text
    );
    (id.to_owned(), key)
}

#[test]
fn api_keys() {
    let server = start("admin");
    let dir = server.dir.path();
    let anon = Api::new(&server);
    let root = anon.login("admin", ROOT_PASS);
    root.post("/api/v2/users", &user("ku", "ku-1", dir)).ok(201);
    root.post(
        "/api/v2/admins",
        &json!({"username": "keyadmin", "password": "keyadmin-1", "status": 1,
                "permissions": ["view_users", "view_status"]}),
    )
    .ok(201);

    let (id, key) = new_key(
        &root,
        &json!({"name": "k", "scope": 1, "admin": "keyadmin", "description": "test key"}),
    );
    let got = root.get(&format!("/api/v2/apikeys/{id}"));
    let got = got.ok(200).clone();
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["name"], "k");
    assert_eq!(got["scope"], 1);
    assert_eq!(got["admin"], "keyadmin");
    assert!(got["created_at"].as_i64().unwrap_or(0) > 0, "{got}");
    assert!(got.get("key").is_none(), "{got}");

    // The admin has not opted in to API key authentication.
    anon.api_key(&key)
        .get("/api/v2/users")
        .err(403, "allow_api_key_auth");
    let mut ka = root.get("/api/v2/admins/keyadmin").body;
    ka["filters"]["allow_api_key_auth"] = json!(true);
    root.put("/api/v2/admins/keyadmin", &ka).ok(200);
    let by_key = anon.api_key(&key);
    by_key.get("/api/v2/users").ok(200);
    by_key.get("/api/v2/status").ok(200);
    anon.with(Auth::Header(format!("X-RINGWAY-API-KEY: {key}")))
        .get("/api/v2/users")
        .ok(200);
    // The key acts with its admin's permissions.
    by_key
        .post("/api/v2/users", &user("nope", "nope-1", dir))
        .err(403, "add_users");
    by_key.get("/api/v2/admins").err(403, "\"*\"");
    by_key.get("/api/v2/logout").err(400, "token");

    // Wrong secrets and malformed keys.
    for bad in [
        format!("{id}.wrongsecret"),
        format!("{id}."),
        format!("{id}.{}", &key[id.len() + 1..key.len() - 1]),
        "unknownid.secret".to_owned(),
        id.clone(),
        String::new(),
    ] {
        anon.api_key(&bad)
            .get("/api/v2/users")
            .err(401, "authentication required");
    }

    // A key of a "*" admin still cannot manage keys or credentials.
    root.put(
        "/api/v2/admin/profile",
        &json!({"allow_api_key_auth": true}),
    )
    .msg(200, "Profile updated");
    let (_, root_key) = new_key(&root, &json!({"name": "rk", "scope": 1, "admin": "admin"}));
    let rk = anon.api_key(&root_key);
    rk.get("/api/v2/dumpdata?output-data=1").ok(200);
    rk.get("/api/v2/apikeys").err(403, "API key");
    rk.get(&format!("/api/v2/apikeys/{id}")).err(403, "API key");
    rk.post("/api/v2/apikeys", &json!({"name": "k2", "scope": 1}))
        .err(403, "API key");
    rk.delete(&format!("/api/v2/apikeys/{id}"))
        .err(403, "API key");
    rk.put(
        "/api/v2/admin/changepwd",
        &json!({"current_password": ROOT_PASS, "new_password": "x"}),
    )
    .err(403, "API key");
    rk.put("/api/v2/admin/profile", &json!({}))
        .err(403, "API key");
    anon.token("admin", ROOT_PASS);

    // List, update, the key never shown.
    let list = root.get("/api/v2/apikeys");
    let list = list.ok(200);
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    for k in list.as_array().into_iter().flatten() {
        assert!(k.get("key").is_none(), "{k}");
    }
    root.put(
        &format!("/api/v2/apikeys/{id}"),
        &json!({"name": "k-renamed", "scope": 1, "admin": "keyadmin", "description": "renamed"}),
    )
    .msg(200, "API key updated");
    let got = root.get(&format!("/api/v2/apikeys/{id}")).body;
    assert_eq!(got["name"], "k-renamed");
    assert_eq!(got["description"], "renamed");
    assert!(got.get("key").is_none(), "{got}");
    by_key.get("/api/v2/users").ok(200);
    root.put(
        &format!("/api/v2/apikeys/{id}"),
        &json!({"name": "k", "scope": 1, "nmae": "x"}),
    )
    .err(400, "nmae");
    root.put(
        "/api/v2/apikeys/unknownid",
        &json!({"name": "k", "scope": 1}),
    )
    .err(404, "unknownid");
    root.get("/api/v2/apikeys/unknownid").err(404, "unknownid");

    // Refused keys.
    root.post(
        "/api/v2/apikeys",
        &json!({"name": "k3", "scope": 1, "admin": "ghost"}),
    )
    .err(400, "admin");
    root.post(
        "/api/v2/apikeys",
        &json!({"name": "k3", "scope": 1, "user": "ku"}),
    )
    .err(400, "user");
    root.post("/api/v2/apikeys", &json!({"name": "k3", "scope": "1"}))
        .err(400, "scope");

    // Expired keys and user-scope keys do not open the admin API.
    let (_, old) = new_key(
        &root,
        &json!({"name": "old", "scope": 1, "admin": "keyadmin", "expires_at": 1000}),
    );
    anon.api_key(&old).get("/api/v2/users").err(401, "");
    let (_, user_key) = new_key(&root, &json!({"name": "uk", "scope": 2, "user": "ku"}));
    anon.api_key(&user_key).get("/api/v2/users").err(401, "");

    // A key bound to no admin impersonates the admin named after it.
    let (_, any) = new_key(&root, &json!({"name": "any", "scope": 1}));
    anon.api_key(&any).get("/api/v2/users").err(401, "");
    anon.api_key(&format!("{any}.keyadmin"))
        .get("/api/v2/users")
        .ok(200);
    anon.api_key(&format!("{any}.keyadmin"))
        .get("/api/v2/admins")
        .err(403, "\"*\"");
    anon.api_key(&format!("{any}.admin"))
        .get("/api/v2/admins")
        .ok(200);
    anon.api_key(&format!("{any}.ghost"))
        .get("/api/v2/users")
        .err(401, "");
    // A disabled admin's keys stop working.
    ka["status"] = json!(0);
    root.put("/api/v2/admins/keyadmin", &ka).ok(200);
    by_key.get("/api/v2/users").err(401, "");
    anon.api_key(&format!("{any}.keyadmin"))
        .get("/api/v2/users")
        .err(401, "");
    ka["status"] = json!(1);
    root.put("/api/v2/admins/keyadmin", &ka).ok(200);
    by_key.get("/api/v2/users").ok(200);

    // Delete.
    root.delete(&format!("/api/v2/apikeys/{id}"))
        .msg(200, "API key deleted");
    root.get(&format!("/api/v2/apikeys/{id}")).err(404, &id);
    root.delete(&format!("/api/v2/apikeys/{id}")).err(404, &id);
    by_key.get("/api/v2/users").err(401, "");
}
