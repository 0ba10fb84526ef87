//! Quotas: manual usage updates (reset and add), transfer usage, and background scans of a user's home and a
//! folder's mapped path, checked against files written here.

use std::path::Path;

use serde_json::json;

use crate::{Api, ROOT_PASS, start, user, wait_empty};

/// Writes `files` (relative path, size) under `root`; returns (total bytes, number of files).
fn fill(root: &Path, files: &[(&str, usize)]) -> (i64, i64) {
    for (rel, size) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, vec![b'x'; *size]).expect("write");
    }
    std::fs::create_dir_all(root.join("empty/dir")).expect("mkdir");
    let total: usize = files.iter().map(|(_, s)| s).sum();
    (
        i64::try_from(total).expect("size"),
        i64::try_from(files.len()).expect("count"),
    )
}

#[test]
fn quota_usage_and_scans() {
    let server = start("admin");
    let dir = server.dir.path();
    let api = Api::new(&server).login("admin", ROOT_PASS);
    let mut q = user("quser", "quser-1", dir);
    q["quota_size"] = json!(1_000_000);
    q["quota_files"] = json!(100);
    api.post("/api/v2/users", &q).ok(201);
    let get = |name: &str| api.get(&format!("/api/v2/users/{name}")).body;

    // Manual usage: reset (the default), then add.
    api.put(
        "/api/v2/quotas/users/quser/usage",
        &json!({"used_quota_size": 500, "used_quota_files": 2}),
    )
    .msg(200, "Quota updated");
    let u = get("quser");
    assert_eq!(
        (
            u["used_quota_size"].as_i64(),
            u["used_quota_files"].as_i64()
        ),
        (Some(500), Some(2))
    );
    assert!(u["last_quota_update"].as_i64().unwrap_or(0) > 0, "{u}");
    api.put(
        "/api/v2/quotas/users/quser/usage?mode=add",
        &json!({"used_quota_size": 100, "used_quota_files": 1}),
    )
    .ok(200);
    let u = get("quser");
    assert_eq!(
        (
            u["used_quota_size"].as_i64(),
            u["used_quota_files"].as_i64()
        ),
        (Some(600), Some(3))
    );
    api.put(
        "/api/v2/quotas/users/quser/usage?mode=reset",
        &json!({"used_quota_size": 7}),
    )
    .ok(200);
    let u = get("quser");
    assert_eq!(
        (
            u["used_quota_size"].as_i64(),
            u["used_quota_files"].as_i64()
        ),
        (Some(7), None)
    );
    api.put(
        "/api/v2/quotas/users/quser/usage?mode=bogus",
        &json!({"used_quota_size": 1}),
    )
    .err(400, "\"mode\"");
    api.put(
        "/api/v2/quotas/users/quser/usage",
        &json!({"used_quota_size": -1}),
    )
    .err(400, "negative");
    api.put(
        "/api/v2/quotas/users/quser/usage",
        &json!({"used_quota_sise": 1}),
    )
    .err(400, "used_quota_sise");
    api.put(
        "/api/v2/quotas/users/quser/usage",
        &json!({"used_quota_size": "1"}),
    )
    .err(400, "used_quota_size");
    api.put(
        "/api/v2/quotas/users/ghost/usage",
        &json!({"used_quota_size": 1}),
    )
    .err(404, "ghost");
    assert_eq!(get("quser")["used_quota_size"], 7);
    // Updating the user keeps its usage, whatever the body says.
    let mut body = get("quser");
    body["used_quota_size"] = json!(0);
    body["description"] = json!("updated");
    api.put("/api/v2/users/quser", &body).ok(200);
    let u = get("quser");
    assert_eq!(
        (u["used_quota_size"].as_i64(), u["description"].as_str()),
        (Some(7), Some("updated"))
    );

    // Transfer usage.
    api.put(
        "/api/v2/quotas/users/quser/transfer-usage",
        &json!({"used_upload_data_transfer": 1000, "used_download_data_transfer": 2000}),
    )
    .msg(200, "Quota updated");
    api.put(
        "/api/v2/quotas/users/quser/transfer-usage?mode=add",
        &json!({"used_upload_data_transfer": 1, "used_download_data_transfer": 2}),
    )
    .ok(200);
    let u = get("quser");
    assert_eq!(u["used_upload_data_transfer"], 1001, "{u}");
    assert_eq!(u["used_download_data_transfer"], 2002, "{u}");
    api.put(
        "/api/v2/quotas/users/quser/transfer-usage?mode=x",
        &json!({}),
    )
    .err(400, "\"mode\"");
    api.put(
        "/api/v2/quotas/users/quser/transfer-usage",
        &json!({"used_upload": 1}),
    )
    .err(400, "used_upload");
    api.put(
        "/api/v2/quotas/users/quser/transfer-usage",
        &json!({"used_download_data_transfer": -1}),
    )
    .err(400, "negative");
    api.put(
        "/api/v2/quotas/users/ghost/transfer-usage",
        &json!({"used_upload_data_transfer": 1}),
    )
    .err(404, "ghost");

    // A scan counts the files in the home directory, nested ones included.
    let home = dir.join("homes").join("quser");
    let (size, files) = fill(
        &home,
        &[
            ("a.txt", 100),
            ("sub/b.bin", 2000),
            ("sub/deeper/c", 5),
            ("sub/deeper/zero", 0),
        ],
    );
    api.call("POST", "/api/v2/quotas/users/quser/scan", None)
        .msg(202, "Scan started");
    wait_empty(&api, "/api/v2/quotas/users/scans");
    let u = get("quser");
    assert_eq!(u["used_quota_size"].as_i64(), Some(size), "{u}");
    assert_eq!(u["used_quota_files"].as_i64(), Some(files), "{u}");
    // Transfer counters are not touched by a scan.
    assert_eq!(u["used_upload_data_transfer"], 1001, "{u}");
    api.call("POST", "/api/v2/quotas/users/ghost/scan", None)
        .err(404, "ghost");
    // A home directory that does not exist yet is empty.
    api.post("/api/v2/users", &user("fresh", "fresh-1", dir))
        .ok(201);
    api.put(
        "/api/v2/quotas/users/fresh/usage",
        &json!({"used_quota_size": 99, "used_quota_files": 9}),
    )
    .ok(200);
    api.call("POST", "/api/v2/quotas/users/fresh/scan", None)
        .ok(202);
    wait_empty(&api, "/api/v2/quotas/users/scans");
    let u = get("fresh");
    assert!(
        u.get("used_quota_size").is_none() && u.get("used_quota_files").is_none(),
        "{u}"
    );

    // Folders.
    let froot = dir.join("folders").join("qf");
    api.post(
        "/api/v2/folders",
        &json!({"name": "qf", "mapped_path": froot.to_string_lossy()}),
    )
    .ok(201);
    let folder = |name: &str| api.get(&format!("/api/v2/folders/{name}")).body;
    api.put(
        "/api/v2/quotas/folders/qf/usage",
        &json!({"used_quota_size": 10, "used_quota_files": 1}),
    )
    .msg(200, "Quota updated");
    api.put(
        "/api/v2/quotas/folders/qf/usage?mode=add",
        &json!({"used_quota_size": 5, "used_quota_files": 1}),
    )
    .ok(200);
    let f = folder("qf");
    assert_eq!(
        (
            f["used_quota_size"].as_i64(),
            f["used_quota_files"].as_i64()
        ),
        (Some(15), Some(2))
    );
    api.put(
        "/api/v2/quotas/folders/qf/usage?mode=nope",
        &json!({"used_quota_size": 1}),
    )
    .err(400, "\"mode\"");
    api.put(
        "/api/v2/quotas/folders/ghost/usage",
        &json!({"used_quota_size": 1}),
    )
    .err(404, "ghost");
    let (size, files) = fill(&froot, &[("x/one", 10), ("two", 20), ("x/y/z/three", 3)]);
    api.call("POST", "/api/v2/quotas/folders/qf/scan", None)
        .msg(202, "Scan started");
    wait_empty(&api, "/api/v2/quotas/folders/scans");
    let f = folder("qf");
    assert_eq!(f["used_quota_size"].as_i64(), Some(size), "{f}");
    assert_eq!(f["used_quota_files"].as_i64(), Some(files), "{f}");
    assert!(f["last_quota_update"].as_i64().unwrap_or(0) > 0, "{f}");
    api.call("POST", "/api/v2/quotas/folders/ghost/scan", None)
        .err(404, "ghost");
    // The user's own usage is untouched by the folder scan.
    assert_eq!(get("quser")["used_quota_size"].as_i64(), Some(2105));
}
