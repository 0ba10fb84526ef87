//! API keys: stored like the reference, the public key id in clear and the secret as a password hash.
//!
//! The hash is computed by the caller (the provider stores what it is given); a key bound to a user or an
//! admin is deleted with them.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::Row;

use crate::store::{Obj, now_ms};
use crate::{AddMode, Provider, ProviderError, from_obj, to_obj};

/// A freshly generated key: what the client sees once, and what is stored.
#[derive(Clone)]
pub struct NewApiKey {
    /// Public identifier (the `id` field).
    pub id: String,
    /// The secret part, shown once.
    pub secret: String,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl NewApiKey {
    /// The value a client sends in `X-SFTPGO-API-KEY`: `id.secret`.
    #[must_use]
    pub fn display(&self) -> String {
        format!("{}.{}", self.id, self.secret)
    }
}

const COLS: &str = "id, key_id, key_hash, data, last_use_at, created_at, updated_at";

fn str_field<'a>(o: &'a Obj, f: &str) -> Option<&'a str> {
    o.get(f).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn row_to_obj(row: &sqlx::any::AnyRow) -> Result<Obj, ProviderError> {
    let key_id: String = row.try_get(1)?;
    let hash: String = row.try_get(2)?;
    let data: String = row.try_get(3)?;
    let mut o: Obj = serde_json::from_str(&data)
        .map_err(|e| ProviderError::Internal(format!("stored API key is not valid JSON: {e}")))?;
    o.insert("id".to_owned(), Value::String(key_id));
    o.insert("key".to_owned(), Value::String(hash));
    for (i, f) in ["last_use_at", "created_at", "updated_at"]
        .iter()
        .enumerate()
    {
        let v: i64 = row.try_get(4 + i)?;
        o.insert((*f).to_owned(), Value::from(v));
    }
    Ok(o)
}

impl Provider {
    async fn owner_ids(&self, o: &Obj) -> Result<(Option<i64>, Option<i64>), ProviderError> {
        let mut ids = (None, None);
        for (field, table, slot) in [("user", "users", 0), ("admin", "admins", 1)] {
            if let Some(name) = str_field(o, field) {
                let q = self
                    .db
                    .sql(&format!("SELECT id FROM {{p}}{table} WHERE username = ?"));
                let r: Option<(i64,)> = sqlx::query_as(q)
                    .bind(name)
                    .fetch_optional(&self.db.pool)
                    .await?;
                let Some((id,)) = r else {
                    return Err(ProviderError::invalid(
                        field,
                        format!("{field} {name:?} does not exist"),
                    ));
                };
                if slot == 0 {
                    ids.0 = Some(id);
                } else {
                    ids.1 = Some(id);
                }
            }
        }
        Ok(ids)
    }

    /// Stores an API key. `key` must already hold the hash of the secret, `id` the public identifier.
    ///
    /// # Errors
    /// `Conflict` when the id is taken, `Invalid` when the bound user or admin does not exist.
    pub async fn add_api_key<T: Serialize + DeserializeOwned>(
        &self,
        key: &T,
        mode: AddMode,
    ) -> Result<T, ProviderError> {
        let o = to_obj(key)?;
        let id = str_field(&o, "id")
            .ok_or_else(|| ProviderError::invalid("id", "an API key needs an id"))?
            .to_owned();
        let hash = str_field(&o, "key")
            .ok_or_else(|| ProviderError::invalid("key", "an API key needs a key"))?
            .to_owned();
        let (user_id, admin_id) = self.owner_ids(&o).await?;
        let now = now_ms();
        let keep = |f: &str| {
            if mode == AddMode::Restore {
                o.get(f).and_then(Value::as_i64).filter(|v| *v > 0)
            } else {
                None
            }
        };
        let created = keep("created_at").unwrap_or(now);
        let last_use = keep("last_use_at").unwrap_or(0);
        let q = self.db.sql(
            "INSERT INTO {p}api_keys (key_id, key_hash, data, user_id, admin_id, last_use_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        );
        sqlx::query(q)
            .bind(&id)
            .bind(&hash)
            .bind(data_of(&o)?)
            .bind(user_id)
            .bind(admin_id)
            .bind(last_use)
            .bind(created)
            .bind(now)
            .execute(&self.db.pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation => {
                    ProviderError::Conflict(format!("API key {id:?} already exists"))
                }
                _ => e.into(),
            })?;
        self.get_api_key(&id)
            .await?
            .ok_or_else(|| ProviderError::Internal("inserted API key vanished".to_owned()))
    }

    /// Updates an API key's name, description, scope, expiry and owner; the secret never changes.
    ///
    /// # Errors
    /// `NotFound` when the key does not exist.
    pub async fn update_api_key<T: Serialize + DeserializeOwned>(
        &self,
        key: &T,
    ) -> Result<T, ProviderError> {
        let o = to_obj(key)?;
        let id = str_field(&o, "id")
            .ok_or_else(|| ProviderError::invalid("id", "an API key needs an id"))?
            .to_owned();
        let (user_id, admin_id) = self.owner_ids(&o).await?;
        let q = self.db.sql(
            "UPDATE {p}api_keys SET data = ?, user_id = ?, admin_id = ?, updated_at = ? WHERE key_id = ?",
        );
        let r = sqlx::query(q)
            .bind(data_of(&o)?)
            .bind(user_id)
            .bind(admin_id)
            .bind(now_ms())
            .bind(&id)
            .execute(&self.db.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(ProviderError::NotFound(format!(
                "API key {id:?} does not exist"
            )));
        }
        self.get_api_key(&id)
            .await?
            .ok_or_else(|| ProviderError::Internal("updated API key vanished".to_owned()))
    }

    /// Reads an API key, its hash included in `key`.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn get_api_key<T: DeserializeOwned>(
        &self,
        id: &str,
    ) -> Result<Option<T>, ProviderError> {
        let q = self.db.sql(&format!(
            "SELECT {COLS} FROM {{p}}api_keys WHERE key_id = ?"
        ));
        match sqlx::query(q)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
        {
            Some(row) => Ok(Some(from_obj(row_to_obj(&row)?)?)),
            None => Ok(None),
        }
    }

    /// Lists API keys ordered by id.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn list_api_keys<T: DeserializeOwned>(
        &self,
        offset: u64,
        limit: u64,
        descending: bool,
    ) -> Result<Vec<T>, ProviderError> {
        let q = self.db.sql(&format!(
            "SELECT {COLS} FROM {{p}}api_keys ORDER BY key_id {} LIMIT ? OFFSET ?",
            if descending { "DESC" } else { "ASC" }
        ));
        let rows = sqlx::query(q)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|r| row_to_obj(r).and_then(from_obj))
            .collect()
    }

    /// Deletes an API key.
    ///
    /// # Errors
    /// `NotFound` when it does not exist.
    pub async fn delete_api_key(&self, id: &str) -> Result<(), ProviderError> {
        let q = self.db.sql("DELETE FROM {p}api_keys WHERE key_id = ?");
        let r = sqlx::query(q).bind(id).execute(&self.db.pool).await?;
        if r.rows_affected() == 0 {
            return Err(ProviderError::NotFound(format!(
                "API key {id:?} does not exist"
            )));
        }
        Ok(())
    }

    /// Records the use of an API key.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn touch_api_key(&self, id: &str) -> Result<(), ProviderError> {
        let q = self
            .db
            .sql("UPDATE {p}api_keys SET last_use_at = ? WHERE key_id = ?");
        sqlx::query(q)
            .bind(now_ms())
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}

fn data_of(o: &Obj) -> Result<String, ProviderError> {
    let mut d = o.clone();
    for f in ["id", "key", "last_use_at", "created_at", "updated_at"] {
        d.remove(f);
    }
    serde_json::to_string(&d).map_err(|e| ProviderError::Internal(e.to_string()))
}
