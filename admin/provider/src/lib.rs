//! The data provider: the database that holds users, groups, virtual folders, admins, API keys and roles.
//!
//! One implementation serves every engine through sqlx's `Any` driver: SQLite (the embedded default, its file
//! created in the config directory on first start), PostgreSQL, MySQL/MariaDB, and `memory`, an SQLite
//! database that lives in memory only. The schema and its migrations live in `migrations/<dialect>/`, are
//! embedded at build time and applied at start-up and by `ringway initprovider`.
//!
//! Each object is stored as JSON with the reference product's field names, next to the columns that must be
//! queried or updated on their own (keys, relations, quota counters). Invariants:
//! - every write of an object and its relations is one transaction; relations are foreign keys, so a group
//!   or role in use cannot be deleted and deleting a user removes its mappings;
//! - counters change only through increments (`used_quota_size = used_quota_size + ?`), never by writing back
//!   a value read earlier, so concurrent updates from several cores lose nothing;
//! - SQLite runs in WAL mode with full synchronous commits: a crash loses at most the transaction in flight.
#![forbid(unsafe_code)]

mod apikeys;
mod db;
mod kinds;
mod quota;
mod store;
pub mod testing;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use apikeys::NewApiKey;
pub use db::{Dialect, Driver, SCHEMA_VERSION, Settings};
pub use quota::QuotaUpdate;

use crate::db::Db;
use crate::kinds::Kind;
use crate::store::{InsertOpts, Obj};

/// Why a provider operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider settings are wrong.
    #[error("{0}")]
    Config(String),
    /// The database could not be opened.
    #[error("cannot open the {what}: {source}")]
    Open {
        /// Which database.
        what: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed; the schema is left at its previous version.
    #[error("schema migration failed: {0}")]
    Migration(String),
    /// The object does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The object exists already, or is still referenced.
    #[error("{0}")]
    Conflict(String),
    /// The object is not acceptable.
    #[error("invalid field {field:?}: {message}")]
    Invalid {
        /// JSON path of the offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Something that should not happen (corrupt stored JSON, ...).
    #[error("internal provider error: {0}")]
    Internal(String),
}

impl ProviderError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The kinds of named objects the provider keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// Users (key: `username`).
    User,
    /// Groups (key: `name`).
    Group,
    /// Virtual folders (key: `name`).
    Folder,
    /// Admins (key: `username`).
    Admin,
    /// Roles (key: `name`).
    Role,
}

impl ObjectKind {
    fn kind(self) -> &'static Kind {
        match self {
            Self::User => &kinds::USERS,
            Self::Group => &kinds::GROUPS,
            Self::Folder => &kinds::FOLDERS,
            Self::Admin => &kinds::ADMINS,
            Self::Role => &kinds::ROLES,
        }
    }

    /// "user", "group", ...
    #[must_use]
    pub fn name(self) -> &'static str {
        self.kind().what
    }
}

/// What opening found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// Schema version after migrating.
    pub schema_version: i64,
    /// Migrations applied by this call.
    pub applied: usize,
}

/// How [`Provider::add`] treats counters and timestamps in the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddMode {
    /// A new object: counters start at zero, created now (the REST API).
    #[default]
    New,
    /// A restored object: counters and creation time come from the object (loading a backup).
    Restore,
}

/// An open provider. Cheap to clone (a connection pool inside).
#[derive(Debug, Clone)]
pub struct Provider {
    db: Db,
}

fn to_obj<T: Serialize>(v: &T) -> Result<Obj, ProviderError> {
    match serde_json::to_value(v) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(ProviderError::Internal(
            "object did not serialise to a JSON object".to_owned(),
        )),
        Err(e) => Err(ProviderError::Internal(e.to_string())),
    }
}

fn from_obj<T: DeserializeOwned>(o: Obj) -> Result<T, ProviderError> {
    serde_json::from_value(Value::Object(o))
        .map_err(|e| ProviderError::Internal(format!("stored object does not match its type: {e}")))
}

impl Provider {
    /// Opens the database (creating an SQLite file if missing) and applies pending migrations.
    ///
    /// # Errors
    /// [`ProviderError`] when the database cannot be reached or a migration fails.
    pub async fn open(
        driver: &Driver,
        table_prefix: &str,
        pool_size: u32,
    ) -> Result<(Self, InitReport), ProviderError> {
        let db = Db::connect(driver, table_prefix, pool_size).await?;
        let (schema_version, applied) = db.migrate().await?;
        Ok((
            Self { db },
            InitReport {
                schema_version,
                applied,
            },
        ))
    }

    /// Drops every table and recreates the schema (`ringway resetprovider --force`).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn reset(&self) -> Result<InitReport, ProviderError> {
        self.db.drop_all().await?;
        let (schema_version, applied) = self.db.migrate().await?;
        Ok(InitReport {
            schema_version,
            applied,
        })
    }

    /// The SQL engine behind this provider.
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        self.db.dialect
    }

    /// Checks that the database answers (for `/status`).
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<(), ProviderError> {
        sqlx::query("SELECT 1").execute(&self.db.pool).await?;
        Ok(())
    }

    /// Closes connections cleanly.
    pub async fn close(&self) {
        self.db.pool.close().await;
    }

    /// Adds an object. Missing virtual folders named by a user's or group's mappings are created from the
    /// definition the mapping carries.
    ///
    /// # Errors
    /// `Conflict` when the key is taken, `Invalid` when a referenced role or group does not exist.
    pub async fn add<T: Serialize + DeserializeOwned>(
        &self,
        kind: ObjectKind,
        obj: &T,
        mode: AddMode,
    ) -> Result<T, ProviderError> {
        let opts = InsertOpts {
            keep_counters: mode == AddMode::Restore,
        };
        from_obj(store::insert(&self.db, kind.kind(), &to_obj(obj)?, opts).await?)
    }

    /// Replaces an object, keyed by the key inside it; keeps its id, counters and creation time.
    ///
    /// # Errors
    /// `NotFound` when it does not exist, `Invalid` as for [`Provider::add`].
    pub async fn update<T: Serialize + DeserializeOwned>(
        &self,
        kind: ObjectKind,
        obj: &T,
    ) -> Result<T, ProviderError> {
        from_obj(store::update(&self.db, kind.kind(), &to_obj(obj)?).await?)
    }

    /// Reads an object by key.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn get<T: DeserializeOwned>(
        &self,
        kind: ObjectKind,
        key: &str,
    ) -> Result<Option<T>, ProviderError> {
        store::get(&self.db, kind.kind(), key)
            .await?
            .map(from_obj)
            .transpose()
    }

    /// Lists objects ordered by key.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn list<T: DeserializeOwned>(
        &self,
        kind: ObjectKind,
        offset: u64,
        limit: u64,
        descending: bool,
    ) -> Result<Vec<T>, ProviderError> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        store::list(&self.db, kind.kind(), offset, limit, descending)
            .await?
            .into_iter()
            .map(from_obj)
            .collect()
    }

    /// Every object of a kind (for dumps).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        kind: ObjectKind,
    ) -> Result<Vec<T>, ProviderError> {
        self.list(kind, 0, i64::MAX as u64, false).await
    }

    /// Number of objects of a kind.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn count(&self, kind: ObjectKind) -> Result<u64, ProviderError> {
        Ok(u64::try_from(store::count(&self.db, kind.kind()).await?).unwrap_or(0))
    }

    /// Deletes an object.
    ///
    /// # Errors
    /// `NotFound`, or `Conflict` when other objects still refer to it.
    pub async fn delete(&self, kind: ObjectKind, key: &str) -> Result<(), ProviderError> {
        store::delete(&self.db, kind.kind(), key).await
    }

    /// Reads a named setting (e.g. the generated JWT signing key), creating it with `init` when missing.
    /// Concurrent first calls agree on one value.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn setting_or_init(
        &self,
        name: &str,
        init: impl FnOnce() -> String,
    ) -> Result<String, ProviderError> {
        let select = || self.db.sql("SELECT value FROM {p}settings WHERE name = ?");
        if let Some((v,)) = sqlx::query_as::<_, (String,)>(select())
            .bind(name)
            .fetch_optional(&self.db.pool)
            .await?
        {
            return Ok(v);
        }
        let value = init();
        let ins = self
            .db
            .sql("INSERT INTO {p}settings (name, value) VALUES (?, ?)");
        match sqlx::query(ins)
            .bind(name)
            .bind(&value)
            .execute(&self.db.pool)
            .await
        {
            Ok(_) => Ok(value),
            Err(sqlx::Error::Database(d))
                if d.kind() == sqlx::error::ErrorKind::UniqueViolation =>
            {
                let (v,): (String,) = sqlx::query_as(select())
                    .bind(name)
                    .fetch_one(&self.db.pool)
                    .await?;
                Ok(v)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Revokes a token id until `expires_at` (seconds since the epoch); forgets revocations that expired.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn revoke_token(&self, jti: &str, expires_at: i64) -> Result<(), ProviderError> {
        let now = store::now_ms() / 1000;
        let prune = self
            .db
            .sql("DELETE FROM {p}revoked_tokens WHERE expires_at < ?");
        sqlx::query(prune).bind(now).execute(&self.db.pool).await?;
        let ins = self
            .db
            .sql("INSERT INTO {p}revoked_tokens (jti, expires_at) VALUES (?, ?)");
        match sqlx::query(ins)
            .bind(jti)
            .bind(expires_at)
            .execute(&self.db.pool)
            .await
        {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(d))
                if d.kind() == sqlx::error::ErrorKind::UniqueViolation =>
            {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether a token id was revoked.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn is_token_revoked(&self, jti: &str) -> Result<bool, ProviderError> {
        let q = self
            .db
            .sql("SELECT COUNT(*) FROM {p}revoked_tokens WHERE jti = ?");
        let (n,): (i64,) = sqlx::query_as(q).bind(jti).fetch_one(&self.db.pool).await?;
        Ok(n > 0)
    }

    /// Rewrites one top-level JSON field of a stored object without touching anything else (used to store a
    /// rehashed password or a profile change). `value` of `None` removes the field.
    ///
    /// # Errors
    /// `NotFound` when the object does not exist.
    pub async fn set_field(
        &self,
        kind: ObjectKind,
        key: &str,
        field: &str,
        value: Option<Value>,
    ) -> Result<(), ProviderError> {
        store::set_field(&self.db, kind.kind(), key, field, value).await
    }
}
