//! Authentication: tokens, every documented route behind authentication, tampered tokens, logout; the admin's
//! own account (profile, password change), `/version`, `/status` and `/connections`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::{Api, Auth, ROOT_PASS, start, user};

/// Routes that authenticate with HTTP Basic credentials instead of a token.
const BASIC_ROUTES: [&str; 2] = ["/api/v2/token", "/api/v2/user/token"];

#[test]
fn tokens_and_unauthenticated_access() {
    let server = start("admin");
    let anon = Api::new(&server);

    // A token for the right credentials; the same refusal for a wrong password and an unknown admin.
    let token = anon.token("admin", ROOT_PASS);
    let root = anon.bearer(&token);
    root.get("/api/v2/version").ok(200);
    let wrong = anon
        .with(Auth::Basic("admin".into(), "not-it".into()))
        .get("/api/v2/token");
    let wrong = wrong.err(401, "").to_owned();
    let ghost = anon
        .with(Auth::Basic("ghost".into(), "not-it".into()))
        .get("/api/v2/token");
    assert_eq!(
        ghost.err(401, ""),
        wrong,
        "an unknown admin must look like a wrong password"
    );
    anon.get("/api/v2/token").err(401, "Basic");
    // A Bearer token is not a way to get a token.
    root.get("/api/v2/token").err(401, "Basic");

    // Health and unknown routes need no credentials; errors are JSON.
    let health = anon.get("/healthz");
    health.ok(200);
    assert_eq!(health.text, "ok");
    anon.get("/api/v2/no-such-thing").err(404, "no such route");
    root.get("/api/v2/no-such-thing").err(404, "no such route");
    anon.get("/nothing").err(404, "no such route");
    root.call("PATCH", "/api/v2/users", None).err(405, "");

    // Every documented operation needs authentication, and exists.
    let spec = anon.get("/openapi.json");
    let spec = spec.ok(200);
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().expect("paths");
    let mut swept = 0;
    for (path, ops) in paths {
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in ops.as_object().expect("operations").keys() {
            let method = method.to_uppercase();
            if BASIC_ROUTES.contains(&path.as_str()) {
                anon.call(&method, &concrete, None).err(401, "Basic");
                continue;
            }
            swept += 1;
            anon.call(&method, &concrete, None)
                .err(401, "authentication required");
            anon.bearer("not.a.token")
                .call(&method, &concrete, None)
                .err(401, "authentication required");
            anon.api_key("nokey.nosecret")
                .call(&method, &concrete, None)
                .err(401, "authentication required");
            if path == "/api/v2/logout" {
                continue; // would revoke the token; tested below
            }
            let r = root.call(&method, &concrete, None);
            assert!(
                r.status != 401
                    && r.status != 405
                    && !(r.status == 404 && r.text.contains("no such route")),
                "{method} {concrete} with a token: {} {}",
                r.status,
                r.text
            );
        }
    }
    assert!(swept >= 48, "only {swept} documented operations");
    // The user token route, documented or not, is Basic-only too.
    anon.get("/api/v2/user/token").err(401, "Basic");

    // Tampered and forged tokens.
    let other = anon.token("admin", ROOT_PASS);
    let t: Vec<&str> = token.split('.').collect();
    let o: Vec<&str> = other.split('.').collect();
    for bad in [
        format!("{}.{}.{}", t[0], t[1], o[2]), // another token's signature
        format!("{}.{}.{}", t[0], o[1], t[2]), // another token's claims
        format!("{}.{}.{}", t[0], t[1], &t[2][..t[2].len() - 4]),
        format!("{}.{}", t[0], t[1]),
        forged(&json!({"alg": "none", "typ": "JWT"}), 4_000_000_000, ""),
        forged(&json!({"alg": "HS256", "typ": "JWT"}), 1000, t[2]), // expired claims
        forged(&json!({"alg": "HS256", "typ": "JWT"}), 4_000_000_000, t[2]),
    ] {
        anon.bearer(&bad)
            .get("/api/v2/version")
            .err(401, "authentication required");
    }
    // A user's token is not an admin token.
    root.post(
        "/api/v2/users",
        &user("tina", "tina-pass", server.dir.path()),
    )
    .ok(201);
    let ut = crate::check_token_body(
        &anon
            .with(Auth::Basic("tina".into(), "tina-pass".into()))
            .get("/api/v2/user/token"),
    );
    anon.bearer(&ut).get("/api/v2/users").err(401, "");

    // Logout revokes that token only.
    let doomed = anon.login("admin", ROOT_PASS);
    doomed.get("/api/v2/version").ok(200);
    doomed.get("/api/v2/logout").msg(200, "invalidated");
    doomed
        .get("/api/v2/version")
        .err(401, "authentication required");
    doomed.get("/api/v2/logout").err(401, "");
    root.get("/api/v2/version").ok(200);
}

/// A token with `header`, claims for admin `admin` expiring at `exp`, and `sig`.
fn forged(header: &Value, exp: i64, sig: &str) -> String {
    let claims = json!({"sub": "admin", "aud": "API", "iat": 1, "exp": exp, "jti": "forged"});
    format!(
        "{}.{}.{sig}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[test]
fn own_account_version_status_connections() {
    let server = start("admin");
    let anon = Api::new(&server);
    let root = anon.login("admin", ROOT_PASS);

    // Profile.
    assert_eq!(
        root.get("/api/v2/admin/profile").ok(200),
        &json!({"email": "", "description": "", "allow_api_key_auth": false})
    );
    let profile =
        json!({"email": "root@example.com", "description": "the root", "allow_api_key_auth": true});
    root.put("/api/v2/admin/profile", &profile)
        .msg(200, "Profile updated");
    assert_eq!(root.get("/api/v2/admin/profile").ok(200), &profile);
    let me = root.get("/api/v2/admins/admin");
    let me = me.ok(200);
    assert_eq!(me["email"], "root@example.com");
    assert_eq!(me["description"], "the root");
    assert_eq!(me["filters"]["allow_api_key_auth"], true);
    assert_eq!(me["permissions"], json!(["*"]));
    assert!(me.get("password").is_none(), "{me}");
    root.put("/api/v2/admin/profile", &json!({"emial": "x@example.com"}))
        .err(400, "emial");
    root.put("/api/v2/admin/profile", &json!({"email": "not an address"}))
        .err(400, "email");
    root.put(
        "/api/v2/admin/profile",
        &json!({"allow_api_key_auth": "yes"}),
    )
    .err(400, "allow_api_key_auth");
    // Unchanged by the refused updates.
    assert_eq!(root.get("/api/v2/admin/profile").ok(200), &profile);

    // Password change, on a second admin.
    root.post(
        "/api/v2/admins",
        &json!({"username": "second", "password": "second-1", "status": 1, "permissions": ["view_users"]}),
    )
    .ok(201);
    let second = anon.login("second", "second-1");
    let change = |cur: &str, new: &str| {
        second.put(
            "/api/v2/admin/changepwd",
            &json!({"current_password": cur, "new_password": new}),
        )
    };
    change("wrong", "second-2").err(400, "current_password");
    change("second-1", "second-1").err(400, "different");
    change("second-1", "").err(400, "new_password");
    second
        .put(
            "/api/v2/admin/changepwd",
            &json!({"current_password": "second-1", "new_pasword": "x"}),
        )
        .err(400, "new_pasword");
    anon.token("second", "second-1");
    change("second-1", "second-2").msg(200, "Password updated");
    anon.with(Auth::Basic("second".into(), "second-1".into()))
        .get("/api/v2/token")
        .err(401, "");
    anon.token("second", "second-2");

    // Version and status.
    let v = root.get("/api/v2/version");
    assert!(
        v.ok(200)["version"].as_str().is_some_and(|s| !s.is_empty()),
        "{}",
        v.text
    );
    let st = root.get("/api/v2/status");
    let st = st.ok(200);
    assert_eq!(st["data_provider"]["is_active"], true, "{st}");
    assert_eq!(st["data_provider"]["driver"], "sqlite", "{st}");

    // Connections: none yet.
    assert_eq!(root.get("/api/v2/connections").ok(200), &json!([]));
    root.delete("/api/v2/connections/999")
        .err(404, "does not exist");
    root.delete("/api/v2/connections/abc")
        .err(404, "does not exist");
}
