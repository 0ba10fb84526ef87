//! Generic create/read/update/delete of objects stored as JSON plus key, counter and relation columns.
//!
//! Every write runs in one transaction: the row, its role and its mappings change together or not at all.

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::ProviderError;
use crate::db::Db;
use crate::kinds::{FOLDER_FIELDS, FOLDERS, Kind, MAPPING_FIELDS, Mapping};

pub(crate) type Obj = Map<String, Value>;

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Options for [`insert`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InsertOpts {
    /// Keep counters and timestamps given in the object (restoring a backup) instead of starting from zero.
    pub(crate) keep_counters: bool,
}

fn key_of<'a>(kind: &Kind, obj: &'a Obj) -> Result<&'a str, ProviderError> {
    match obj.get(kind.key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(ProviderError::invalid(
            kind.key,
            format!("a {} needs a non-empty {}", kind.what, kind.key),
        )),
    }
}

fn int_field(obj: &Obj, field: &str) -> i64 {
    obj.get(field).and_then(Value::as_i64).unwrap_or(0)
}

/// The JSON kept in `data`: the object minus its column-backed fields, read-only lists and, for folder
/// mappings, the folder's own fields.
fn data_of(kind: &Kind, obj: &Obj) -> Result<String, ProviderError> {
    let mut data = obj.clone();
    data.remove("id");
    for c in kind.counters {
        data.remove(*c);
    }
    if kind.timestamps {
        data.remove("created_at");
        data.remove("updated_at");
    }
    for d in kind.derived {
        data.remove(d.field);
    }
    if let Some(m) = &kind.folders
        && let Some(Value::Array(items)) = data.get_mut(m.field)
    {
        for item in items.iter_mut() {
            if let Value::Object(o) = item {
                o.retain(|k, _| MAPPING_FIELDS.contains(&k.as_str()));
            }
        }
    }
    serde_json::to_string(&data).map_err(|e| ProviderError::Internal(e.to_string()))
}

async fn id_of(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    table: &str,
    key_col: &str,
    key: &str,
) -> Result<Option<i64>, ProviderError> {
    let q = db.sql(&format!("SELECT id FROM {{p}}{table} WHERE {key_col} = ?"));
    let r: Option<(i64,)> = sqlx::query_as(q)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(r.map(|(id,)| id))
}

async fn role_id(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    kind: &Kind,
    obj: &Obj,
) -> Result<Option<i64>, ProviderError> {
    if !kind.role {
        return Ok(None);
    }
    match obj.get("role") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => match id_of(db, tx, "roles", "name", s).await? {
            Some(id) => Ok(Some(id)),
            None => Err(ProviderError::invalid(
                "role",
                format!("role {s:?} does not exist"),
            )),
        },
        Some(_) => Err(ProviderError::invalid("role", "expected a role name")),
    }
}

fn mapping_names(m: &Mapping, obj: &Obj) -> Result<Vec<(String, Obj)>, ProviderError> {
    let Some(v) = obj.get(m.field) else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = v else {
        if v.is_null() {
            return Ok(Vec::new());
        }
        return Err(ProviderError::invalid(m.field, "expected an array"));
    };
    let mut out: Vec<(String, Obj)> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = item
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ProviderError::invalid(format!("{}[{i}].name", m.field), "a name is required")
            })?;
        if out.iter().any(|(n, _)| n == name) && m.field == "groups" {
            return Err(ProviderError::invalid(
                format!("{}[{i}].name", m.field),
                format!("{name:?} is listed twice"),
            ));
        }
        out.push((
            name.to_owned(),
            item.as_object().cloned().unwrap_or_default(),
        ));
    }
    Ok(out)
}

/// Writes the mapping rows of `owner_id` (after deleting the old ones when `replace`).
async fn write_mappings(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    kind: &Kind,
    owner_id: i64,
    obj: &Obj,
    replace: bool,
) -> Result<(), ProviderError> {
    if let Some(m) = &kind.groups {
        if replace {
            let q = db.sql(&format!(
                "DELETE FROM {{p}}{} WHERE {} = ?",
                m.table, m.owner_col
            ));
            sqlx::query(q).bind(owner_id).execute(&mut **tx).await?;
        }
        for (i, (name, item)) in mapping_names(m, obj)?.into_iter().enumerate() {
            let Some(gid) = id_of(db, tx, "usergroups", "name", &name).await? else {
                return Err(ProviderError::invalid(
                    format!("groups[{i}].name"),
                    format!("group {name:?} does not exist"),
                ));
            };
            if m.table == "users_groups_mapping" {
                let ty = int_field(&item, "type");
                let q = db.sql(
                    "INSERT INTO {p}users_groups_mapping (user_id, group_id, group_type) VALUES (?, ?, ?)",
                );
                sqlx::query(q)
                    .bind(owner_id)
                    .bind(gid)
                    .bind(ty)
                    .execute(&mut **tx)
                    .await?;
            } else {
                let q = db.sql(&format!(
                    "INSERT INTO {{p}}{} ({}, group_id) VALUES (?, ?)",
                    m.table, m.owner_col
                ));
                sqlx::query(q)
                    .bind(owner_id)
                    .bind(gid)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    if let Some(m) = &kind.folders {
        if replace {
            let q = db.sql(&format!(
                "DELETE FROM {{p}}{} WHERE {} = ?",
                m.table, m.owner_col
            ));
            sqlx::query(q).bind(owner_id).execute(&mut **tx).await?;
        }
        let mut seen = Vec::new();
        for (i, (name, item)) in mapping_names(m, obj)?.into_iter().enumerate() {
            let fid = match id_of(db, tx, "folders", "name", &name).await? {
                Some(id) => id,
                None => {
                    // As the reference does: a mapping may bring the folder's definition with it.
                    let mut folder = Obj::new();
                    for f in FOLDER_FIELDS {
                        if let Some(v) = item.get(*f) {
                            folder.insert((*f).to_owned(), v.clone());
                        }
                    }
                    // A serialised mapping always carries a (local, empty) filesystem: only a mapped path or a
                    // non-local backend counts as a definition; a bare name is a typo, not a new folder.
                    let has_path = folder
                        .get("mapped_path")
                        .and_then(Value::as_str)
                        .is_some_and(|p| !p.is_empty());
                    let remote = folder
                        .get("filesystem")
                        .and_then(|f| f.get("provider"))
                        .and_then(Value::as_i64)
                        .is_some_and(|p| p != 0);
                    if !has_path && !remote {
                        return Err(ProviderError::invalid(
                            format!("virtual_folders[{i}].name"),
                            format!("folder {name:?} does not exist"),
                        ));
                    }
                    Box::pin(insert_row(db, tx, &FOLDERS, &folder, InsertOpts::default())).await?
                }
            };
            // The same folder may be mapped more than once at different paths; one mapping row covers it.
            if seen.contains(&fid) {
                continue;
            }
            seen.push(fid);
            let q = db.sql(&format!(
                "INSERT INTO {{p}}{} ({}, folder_id) VALUES (?, ?)",
                m.table, m.owner_col
            ));
            sqlx::query(q)
                .bind(owner_id)
                .bind(fid)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Inserts the row of `obj` and its mappings inside `tx`; returns the new id.
async fn insert_row(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    kind: &Kind,
    obj: &Obj,
    opts: InsertOpts,
) -> Result<i64, ProviderError> {
    let key = key_of(kind, obj)?;
    if id_of(db, tx, kind.table, kind.key, key).await?.is_some() {
        return Err(ProviderError::Conflict(format!(
            "{} {key:?} already exists",
            kind.what
        )));
    }
    let data = data_of(kind, obj)?;
    let mut cols = vec![kind.key, "data"];
    let mut vals: Vec<i64> = Vec::new();
    let role = role_id(db, tx, kind, obj).await?;
    for c in kind.counters {
        cols.push(c);
        vals.push(if opts.keep_counters {
            int_field(obj, c)
        } else {
            0
        });
    }
    if kind.timestamps {
        let now = now_ms();
        let created = if opts.keep_counters {
            Some(int_field(obj, "created_at")).filter(|v| *v > 0)
        } else {
            None
        };
        cols.push("created_at");
        vals.push(created.unwrap_or(now));
        cols.push("updated_at");
        vals.push(now);
    }
    if kind.role {
        cols.push("role_id");
    }
    let marks = vec!["?"; cols.len()].join(", ");
    let q = db.sql(&format!(
        "INSERT INTO {{p}}{} ({}) VALUES ({marks})",
        kind.table,
        cols.join(", ")
    ));
    let mut query = sqlx::query(q).bind(key).bind(data);
    for v in vals {
        query = query.bind(v);
    }
    if kind.role {
        query = query.bind(role);
    }
    query
        .execute(&mut **tx)
        .await
        .map_err(|e| conflict(kind, key, e))?;
    let id = id_of(db, tx, kind.table, kind.key, key)
        .await?
        .ok_or_else(|| ProviderError::Internal("inserted row not found".to_owned()))?;
    write_mappings(db, tx, kind, id, obj, false).await?;
    Ok(id)
}

fn conflict(kind: &Kind, key: &str, e: sqlx::Error) -> ProviderError {
    match &e {
        sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            ProviderError::Conflict(format!("{} {key:?} already exists", kind.what))
        }
        _ => e.into(),
    }
}

/// Adds a new object; fails with `Conflict` if its key is taken.
pub(crate) async fn insert(
    db: &Db,
    kind: &Kind,
    obj: &Obj,
    opts: InsertOpts,
) -> Result<Obj, ProviderError> {
    let mut tx = db.pool.begin().await?;
    insert_row(db, &mut tx, kind, obj, opts).await?;
    tx.commit().await?;
    let key = key_of(kind, obj)?;
    get(db, kind, key)
        .await?
        .ok_or_else(|| ProviderError::Internal("inserted row vanished".to_owned()))
}

/// Replaces an existing object (keeping its id, counters and creation time).
pub(crate) async fn update(db: &Db, kind: &Kind, obj: &Obj) -> Result<Obj, ProviderError> {
    let key = key_of(kind, obj)?;
    let mut tx = db.pool.begin().await?;
    let Some(id) = id_of(db, &mut tx, kind.table, kind.key, key).await? else {
        return Err(ProviderError::NotFound(format!(
            "{} {key:?} does not exist",
            kind.what
        )));
    };
    let data = data_of(kind, obj)?;
    let role = role_id(db, &mut tx, kind, obj).await?;
    let mut sets = vec!["data = ?"];
    if kind.timestamps {
        sets.push("updated_at = ?");
    }
    if kind.role {
        sets.push("role_id = ?");
    }
    let q = db.sql(&format!(
        "UPDATE {{p}}{} SET {} WHERE id = ?",
        kind.table,
        sets.join(", ")
    ));
    let mut query = sqlx::query(q).bind(data);
    if kind.timestamps {
        query = query.bind(now_ms());
    }
    if kind.role {
        query = query.bind(role);
    }
    query.bind(id).execute(&mut *tx).await?;
    write_mappings(db, &mut tx, kind, id, obj, true).await?;
    tx.commit().await?;
    get(db, kind, key)
        .await?
        .ok_or_else(|| ProviderError::Internal("updated row vanished".to_owned()))
}

/// Deletes an object; `Conflict` when other objects still refer to it.
pub(crate) async fn delete(db: &Db, kind: &Kind, key: &str) -> Result<(), ProviderError> {
    let q = db.sql(&format!(
        "DELETE FROM {{p}}{} WHERE {} = ?",
        kind.table, kind.key
    ));
    let r = sqlx::query(q)
        .bind(key)
        .execute(&db.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if is_fk_violation(d.as_ref()) => {
                ProviderError::Conflict(format!(
                    "{} {key:?} is still in use (by users, admins or groups); remove those references first",
                    kind.what
                ))
            }
            _ => e.into(),
        })?;
    if r.rows_affected() == 0 {
        return Err(ProviderError::NotFound(format!(
            "{} {key:?} does not exist",
            kind.what
        )));
    }
    Ok(())
}

fn select_cols(kind: &Kind) -> String {
    let mut cols = vec!["id", "data"];
    cols.extend(kind.counters.iter().copied());
    if kind.timestamps {
        cols.push("created_at");
        cols.push("updated_at");
    }
    cols.join(", ")
}

/// The stored JSON of a row with its id, counters and timestamps merged back in; returns the id too.
fn decode_row(kind: &Kind, row: &AnyRow) -> Result<(i64, Obj), ProviderError> {
    let id: i64 = row.try_get(0)?;
    let data: String = row.try_get(1)?;
    let mut obj: Obj = serde_json::from_str(&data).map_err(|e| {
        ProviderError::Internal(format!("stored {} #{id} is not valid JSON: {e}", kind.what))
    })?;
    obj.insert("id".to_owned(), Value::from(id));
    let mut i = 2;
    for c in kind.counters {
        let v: i64 = row.try_get(i)?;
        obj.insert((*c).to_owned(), Value::from(v));
        i += 1;
    }
    if kind.timestamps {
        let c: i64 = row.try_get(i)?;
        let u: i64 = row.try_get(i + 1)?;
        obj.insert("created_at".to_owned(), Value::from(c));
        obj.insert("updated_at".to_owned(), Value::from(u));
    }
    Ok((id, obj))
}

async fn from_row(db: &Db, kind: &Kind, row: &AnyRow) -> Result<Obj, ProviderError> {
    let (id, mut obj) = decode_row(kind, row)?;
    for d in kind.derived {
        let rows: Vec<(String,)> = sqlx::query_as(db.sql(d.sql))
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
        if !rows.is_empty() {
            obj.insert(
                d.field.to_owned(),
                Value::Array(rows.into_iter().map(|(n,)| Value::String(n)).collect()),
            );
        }
    }
    if let Some(m) = &kind.folders
        && let Some(Value::Array(items)) = obj.remove(m.field)
    {
        // Mappings carry the folder's current definition; a mapping whose folder was deleted is dropped.
        let mut merged = Vec::with_capacity(items.len());
        for item in items {
            let Value::Object(mut map) = item else {
                continue;
            };
            let Some(name) = map.get("name").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            if let Some(folder) = get_plain(db, &FOLDERS, &name).await? {
                for (k, v) in folder {
                    if !MAPPING_FIELDS.contains(&k.as_str()) {
                        map.insert(k, v);
                    }
                }
                merged.push(Value::Object(map));
            }
        }
        obj.insert(m.field.to_owned(), Value::Array(merged));
    }
    Ok(obj)
}

/// A folder without its read-only lists (for merging into mappings).
async fn get_plain(db: &Db, kind: &Kind, key: &str) -> Result<Option<Obj>, ProviderError> {
    let q = db.sql(&format!(
        "SELECT {} FROM {{p}}{} WHERE {} = ?",
        select_cols(kind),
        kind.table,
        kind.key
    ));
    let Some(row) = sqlx::query(q).bind(key).fetch_optional(&db.pool).await? else {
        return Ok(None);
    };
    Ok(Some(decode_row(kind, &row)?.1))
}

/// Reads one object by key.
pub(crate) async fn get(db: &Db, kind: &Kind, key: &str) -> Result<Option<Obj>, ProviderError> {
    let q = db.sql(&format!(
        "SELECT {} FROM {{p}}{} WHERE {} = ?",
        select_cols(kind),
        kind.table,
        kind.key
    ));
    match sqlx::query(q).bind(key).fetch_optional(&db.pool).await? {
        Some(row) => Ok(Some(from_row(db, kind, &row).await?)),
        None => Ok(None),
    }
}

/// Lists objects ordered by key.
pub(crate) async fn list(
    db: &Db,
    kind: &Kind,
    offset: i64,
    limit: i64,
    descending: bool,
) -> Result<Vec<Obj>, ProviderError> {
    let q = db.sql(&format!(
        "SELECT {} FROM {{p}}{} ORDER BY {} {} LIMIT ? OFFSET ?",
        select_cols(kind),
        kind.table,
        kind.key,
        if descending { "DESC" } else { "ASC" }
    ));
    let rows = sqlx::query(q)
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(from_row(db, kind, r).await?);
    }
    Ok(out)
}

/// Number of objects of a kind.
pub(crate) async fn count(db: &Db, kind: &Kind) -> Result<i64, ProviderError> {
    let q = db.sql(&format!("SELECT COUNT(*) FROM {{p}}{}", kind.table));
    let (n,): (i64,) = sqlx::query_as(q).fetch_one(&db.pool).await?;
    Ok(n)
}

/// Rewrites one top-level field of the stored JSON in a transaction (the row is locked by the update).
pub(crate) async fn set_field(
    db: &Db,
    kind: &Kind,
    key: &str,
    field: &str,
    value: Option<Value>,
) -> Result<(), ProviderError> {
    let mut tx = db.pool.begin().await?;
    let q = db.sql(&format!(
        "SELECT id, data FROM {{p}}{} WHERE {} = ?",
        kind.table, kind.key
    ));
    let Some((id, data)): Option<(i64, String)> =
        sqlx::query_as(q).bind(key).fetch_optional(&mut *tx).await?
    else {
        return Err(ProviderError::NotFound(format!(
            "{} {key:?} does not exist",
            kind.what
        )));
    };
    let mut obj: Obj = serde_json::from_str(&data).map_err(|e| {
        ProviderError::Internal(format!("stored {} is not valid JSON: {e}", kind.what))
    })?;
    match value {
        Some(v) => obj.insert(field.to_owned(), v),
        None => obj.remove(field),
    };
    let data = serde_json::to_string(&obj).map_err(|e| ProviderError::Internal(e.to_string()))?;
    let q = db.sql(&format!(
        "UPDATE {{p}}{} SET data = ? WHERE id = ?",
        kind.table
    ));
    sqlx::query(q).bind(data).bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// SQLite reports a RESTRICT violation as a trigger constraint (1811), not a foreign-key one (787).
fn is_fk_violation(d: &dyn sqlx::error::DatabaseError) -> bool {
    d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation
        || d.message().contains("FOREIGN KEY constraint failed")
}
