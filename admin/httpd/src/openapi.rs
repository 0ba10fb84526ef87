//! `/openapi.json`: the API description, generated from this crate's route table and the model types'
//! JSON schemas (derived from the same serde definitions that parse requests), so it cannot drift from
//! the code. A test checks that every documented route exists and requires authentication.

use axum::Json;
use schemars::JsonSchema;
use serde_json::{Map, Value, json};

/// One documented operation: method, path, tag, summary, admin permission, request and response schemas.
pub(crate) struct Op {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) tag: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) permission: Option<&'static str>,
    pub(crate) request: Option<&'static str>,
    pub(crate) response: Option<&'static str>,
    pub(crate) list: bool,
}

const fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    permission: Option<&'static str>,
) -> Op {
    Op {
        method,
        path,
        tag,
        summary,
        permission,
        request: None,
        response: None,
        list: false,
    }
}

const fn with(
    mut o: Op,
    request: Option<&'static str>,
    response: Option<&'static str>,
    list: bool,
) -> Op {
    o.request = request;
    o.response = response;
    o.list = list;
    o
}

macro_rules! crud_ops {
    ($plural:literal, $key:literal, $tag:literal, $schema:literal, $read:literal, $add:literal, $edit:literal, $del:literal) => {
        [
            with(
                op(
                    "get",
                    concat!("/api/v2/", $plural),
                    $tag,
                    concat!("List ", $plural),
                    Some($read),
                ),
                None,
                Some($schema),
                true,
            ),
            with(
                op(
                    "post",
                    concat!("/api/v2/", $plural),
                    $tag,
                    concat!("Add to ", $plural),
                    Some($add),
                ),
                Some($schema),
                Some($schema),
                false,
            ),
            with(
                op(
                    "get",
                    concat!("/api/v2/", $plural, "/{", $key, "}"),
                    $tag,
                    concat!("Get one of ", $plural),
                    Some($read),
                ),
                None,
                Some($schema),
                false,
            ),
            with(
                op(
                    "put",
                    concat!("/api/v2/", $plural, "/{", $key, "}"),
                    $tag,
                    concat!("Replace one of ", $plural),
                    Some($edit),
                ),
                Some($schema),
                None,
                false,
            ),
            op(
                "delete",
                concat!("/api/v2/", $plural, "/{", $key, "}"),
                $tag,
                concat!("Delete one of ", $plural),
                Some($del),
            ),
        ]
    };
}

/// Every operation of the REST API.
pub(crate) fn operations() -> Vec<Op> {
    let mut v = Vec::new();
    v.extend(crud_ops!(
        "users",
        "username",
        "users",
        "User",
        "view_users",
        "add_users",
        "edit_users",
        "del_users"
    ));
    v.extend(crud_ops!(
        "groups",
        "name",
        "groups",
        "Group",
        "manage_groups",
        "manage_groups",
        "manage_groups",
        "manage_groups"
    ));
    v.extend(crud_ops!(
        "folders",
        "name",
        "folders",
        "BaseVirtualFolder",
        "manage_folders",
        "manage_folders",
        "manage_folders",
        "manage_folders"
    ));
    v.extend(crud_ops!(
        "admins", "username", "admins", "Admin", "*", "*", "*", "*"
    ));
    v.extend(crud_ops!(
        "roles", "name", "roles", "Role", "*", "*", "*", "*"
    ));
    v.extend(crud_ops!(
        "apikeys", "id", "API keys", "ApiKey", "*", "*", "*", "*"
    ));
    v.extend([
        op(
            "get",
            "/api/v2/token",
            "token",
            "Get a token with HTTP Basic authentication",
            None,
        ),
        op(
            "get",
            "/api/v2/logout",
            "token",
            "Invalidate the token",
            None,
        ),
        op(
            "get",
            "/api/v2/user/token",
            "token",
            "Get a user token with HTTP Basic authentication (the user's credentials)",
            None,
        ),
        op(
            "put",
            "/api/v2/admin/changepwd",
            "admins",
            "Change your password",
            None,
        ),
        op(
            "get",
            "/api/v2/admin/profile",
            "admins",
            "Your profile",
            None,
        ),
        op(
            "put",
            "/api/v2/admin/profile",
            "admins",
            "Update your profile",
            None,
        ),
        op("get", "/api/v2/version", "maintenance", "Version", None),
        op(
            "get",
            "/api/v2/status",
            "maintenance",
            "Services status",
            Some("view_status"),
        ),
        with(
            op(
                "get",
                "/api/v2/dumpdata",
                "maintenance",
                "Dump the data as a backup",
                Some("*"),
            ),
            None,
            Some("BackupData"),
            false,
        ),
        op(
            "get",
            "/api/v2/loaddata",
            "maintenance",
            "Restore a backup from the backups directory",
            Some("*"),
        ),
        with(
            op(
                "post",
                "/api/v2/loaddata",
                "maintenance",
                "Restore a backup sent in the body",
                Some("*"),
            ),
            Some("BackupData"),
            None,
            false,
        ),
        op(
            "get",
            "/api/v2/connections",
            "connections",
            "List live sessions",
            Some("view_conns"),
        ),
        op(
            "delete",
            "/api/v2/connections/{connectionID}",
            "connections",
            "Close a session",
            Some("close_conns"),
        ),
        op(
            "get",
            "/api/v2/quotas/users/scans",
            "quota",
            "Running user quota scans",
            Some("quota_scans"),
        ),
        op(
            "post",
            "/api/v2/quotas/users/{username}/scan",
            "quota",
            "Start a user quota scan",
            Some("quota_scans"),
        ),
        op(
            "put",
            "/api/v2/quotas/users/{username}/usage",
            "quota",
            "Set or add to a user's used quota",
            Some("quota_scans"),
        ),
        op(
            "put",
            "/api/v2/quotas/users/{username}/transfer-usage",
            "quota",
            "Set or add to a user's transferred bytes",
            Some("quota_scans"),
        ),
        op(
            "get",
            "/api/v2/quotas/folders/scans",
            "quota",
            "Running folder quota scans",
            Some("quota_scans"),
        ),
        op(
            "post",
            "/api/v2/quotas/folders/{name}/scan",
            "quota",
            "Start a folder quota scan",
            Some("quota_scans"),
        ),
        op(
            "put",
            "/api/v2/quotas/folders/{name}/usage",
            "quota",
            "Set or add to a folder's used quota",
            Some("quota_scans"),
        ),
    ]);
    v
}

/// The component schemas: every model type, with nested types as their own components.
fn schemas() -> Map<String, Value> {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    register::<ringway_model::User>(&mut generator);
    register::<ringway_model::Group>(&mut generator);
    register::<ringway_model::BaseVirtualFolder>(&mut generator);
    register::<ringway_model::Admin>(&mut generator);
    register::<ringway_model::Role>(&mut generator);
    register::<ringway_model::ApiKey>(&mut generator);
    register::<ringway_model::BackupData>(&mut generator);
    generator.take_definitions(true)
}

fn register<T: JsonSchema>(generator: &mut schemars::SchemaGenerator) {
    // Registers T (and everything it contains) under its own name.
    let _ = generator.subschema_for::<T>();
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Builds the OpenAPI 3.1 document.
pub(crate) fn document() -> Value {
    let mut paths = Map::new();
    for o in operations() {
        let mut operation = json!({
            "tags": [o.tag],
            "summary": o.summary,
            "responses": {
                "400": {"description": "Bad request: the message names the offending field"},
                "401": {"description": "Authentication required"},
                "403": {"description": "Permission denied"},
                "404": {"description": "Not found"},
                "409": {"description": "Conflict"},
                "500": {"description": "Internal error"},
            },
        });
        if let Some(p) = o.permission {
            operation["description"] = json!(format!("Requires the admin permission `{p}`."));
        }
        let ok = match (o.response, o.list) {
            (Some(r), true) => {
                json!({"description": "OK", "content": {"application/json": {"schema": {"type": "array", "items": reference(r)}}}})
            }
            (Some(r), false) => {
                json!({"description": "OK", "content": {"application/json": {"schema": reference(r)}}})
            }
            (None, _) => json!({"description": "OK"}),
        };
        // Adding to a collection answers 201 with the object, starting a scan 202, everything else 200.
        let code = if o.method == "post" && o.request.is_some() && o.response.is_some() {
            "201"
        } else if o.path.ends_with("/scan") {
            "202"
        } else {
            "200"
        };
        operation["responses"][code] = ok;
        if let Some(r) = o.request {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": reference(r)}}});
        }
        if o.path.ends_with("/token") {
            operation["security"] = json!([{"BasicAuth": []}]);
        }
        let params: Vec<Value> = o
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            operation["parameters"] = Value::Array(params);
        }
        let entry = paths
            .entry(o.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[o.method] = operation;
    }
    let schemas = schemas();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ringway REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Admin API of ringway. Paths and JSON fields follow SFTPGo's /api/v2.",
        },
        "servers": [{"url": "/"}],
        "security": [{"BearerAuth": []}, {"APIKeyAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BasicAuth": {"type": "http", "scheme": "basic"},
                "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "APIKeyAuth": {"type": "apiKey", "in": "header", "name": "X-SFTPGO-API-KEY"},
            },
        },
    })
}

pub(crate) async fn spec() -> Json<Value> {
    Json(document())
}
