//! The data provider: the database that holds users, groups, folders, admins and their settings.
//!
//! This crate owns the schema and its migrations (`migrations/<dialect>/`, embedded at build time and applied
//! at start-up and by `ringway initprovider`). SQLite is the embedded default: the database file is created in
//! the config directory on first start. The in-memory driver keeps nothing. PostgreSQL and MySQL/MariaDB are
//! accepted by the configuration but refused here with a clear error until their dialects land.
//!
//! Invariant: migrations only move forward, each in a transaction, so a crash mid-migration leaves the previous
//! schema intact (SQLite runs in WAL mode with full synchronous writes for the same reason).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Which database holds the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driver {
    /// An SQLite file.
    Sqlite {
        /// Path of the database file.
        path: PathBuf,
    },
    /// Nothing persisted.
    Memory,
    /// Recognised but not available in this build.
    Unsupported {
        /// The configured driver name.
        name: String,
    },
}

impl Driver {
    /// Maps `data_provider.driver` and `data_provider.name` (resolved against the config directory).
    #[must_use]
    pub fn from_config(driver: &str, name: &str, config_dir: &std::path::Path) -> Self {
        match driver {
            "sqlite" => {
                let p = PathBuf::from(name);
                Self::Sqlite {
                    path: if p.is_absolute() {
                        p
                    } else {
                        config_dir.join(p)
                    },
                }
            }
            "memory" => Self::Memory,
            other => Self::Unsupported {
                name: other.to_owned(),
            },
        }
    }
}

/// Why the provider could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The driver is not available.
    #[error(
        "data_provider.driver {0:?} is not available in this build yet (supported: sqlite, memory)"
    )]
    Unsupported(String),
    /// The database could not be opened.
    #[error("cannot open the {what} database: {source}")]
    Open {
        /// Which database.
        what: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed; the schema is left at its previous version.
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

/// What initialisation found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// Schema version after migrating (0 for the memory driver).
    pub schema_version: i64,
    /// Migrations applied by this call.
    pub applied: usize,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// An open provider.
#[derive(Debug, Clone)]
pub enum Provider {
    /// SQLite.
    Sqlite(SqlitePool),
    /// In memory.
    Memory,
}

impl Provider {
    /// Opens the database (creating an SQLite file if missing) and applies pending migrations.
    ///
    /// # Errors
    /// [`ProviderError`] when the driver is unsupported, the database cannot be opened or a migration fails.
    pub async fn open(driver: &Driver) -> Result<(Self, InitReport), ProviderError> {
        match driver {
            Driver::Memory => Ok((
                Self::Memory,
                InitReport {
                    schema_version: 0,
                    applied: 0,
                },
            )),
            Driver::Unsupported { name } => Err(ProviderError::Unsupported(name.clone())),
            Driver::Sqlite { path } => {
                let what = path.display().to_string();
                let opts = SqliteConnectOptions::from_str("sqlite://")
                    .map_err(|source| ProviderError::Open {
                        what: what.clone(),
                        source,
                    })?
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(opts)
                    .await
                    .map_err(|source| ProviderError::Open { what, source })?;
                let before: i64 = applied_count(&pool).await;
                SQLITE_MIGRATIONS.run(&pool).await?;
                let after: i64 = applied_count(&pool).await;
                let (version,): (i64,) =
                    sqlx::query_as("SELECT version FROM schema_version WHERE id = 1")
                        .fetch_one(&pool)
                        .await?;
                let applied = usize::try_from(after - before).unwrap_or(0);
                Ok((
                    Self::Sqlite(pool),
                    InitReport {
                        schema_version: version,
                        applied,
                    },
                ))
            }
        }
    }

    /// Closes connections cleanly.
    pub async fn close(&self) {
        if let Self::Sqlite(pool) = self {
            pool.close().await;
        }
    }
}

async fn applied_count(pool: &SqlitePool) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map_or(0, |(n,)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_is_created_migrated_and_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let driver = Driver::from_config("sqlite", "ringway.db", dir.path());
        let (p, report) = Provider::open(&driver).await.unwrap();
        assert_eq!(
            report,
            InitReport {
                schema_version: 1,
                applied: 1
            }
        );
        p.close().await;
        assert!(dir.path().join("ringway.db").exists());
        let (p, report) = Provider::open(&driver).await.unwrap();
        assert_eq!(
            report,
            InitReport {
                schema_version: 1,
                applied: 0
            }
        );
        p.close().await;
    }

    #[tokio::test]
    async fn unsupported_driver_is_named() {
        let err = Provider::open(&Driver::from_config(
            "postgresql",
            "x",
            std::path::Path::new("/"),
        ))
        .await
        .unwrap_err();
        assert!(err.to_string().contains("postgresql"), "{err}");
    }
}
