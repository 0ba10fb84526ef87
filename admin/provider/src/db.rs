//! Connecting to the database, SQL dialects and the migration runner.
//!
//! All three engines go through sqlx's `Any` driver, so every query is written once. Queries use `?`
//! placeholders and `{p}` for the table prefix; [`Db::sql`] rewrites them for the connected dialect.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::ProviderError;

/// Which SQL engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (also the in-memory driver).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

impl Dialect {
    /// The migrations of this dialect, in order: (version, SQL with `{{prefix}}` placeholders).
    pub(crate) fn migrations(self) -> &'static [(i64, &'static str)] {
        match self {
            Self::Sqlite => &[
                (
                    1,
                    include_str!("../../../migrations/sqlite/0001_initial.sql"),
                ),
                (
                    2,
                    include_str!("../../../migrations/sqlite/0002_revoked_tokens.sql"),
                ),
            ],
            Self::Postgres => &[
                (
                    1,
                    include_str!("../../../migrations/postgresql/0001_initial.sql"),
                ),
                (
                    2,
                    include_str!("../../../migrations/postgresql/0002_revoked_tokens.sql"),
                ),
            ],
            Self::Mysql => &[
                (
                    1,
                    include_str!("../../../migrations/mysql/0001_initial.sql"),
                ),
                (
                    2,
                    include_str!("../../../migrations/mysql/0002_revoked_tokens.sql"),
                ),
            ],
        }
    }

    /// The name used in `data_provider.driver`.
    #[must_use]
    pub fn driver_name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgresql",
            Self::Mysql => "mysql",
        }
    }
}

/// The latest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 2;

/// How to reach the database: the `data_provider` settings, resolved.
#[derive(Clone, PartialEq, Eq)]
pub enum Driver {
    /// An SQLite file.
    Sqlite {
        /// Path of the database file.
        path: PathBuf,
    },
    /// An SQLite database that lives in memory only: nothing is persisted.
    Memory,
    /// A PostgreSQL or MySQL/MariaDB server.
    Server {
        /// Which engine.
        dialect: Dialect,
        /// Connection URL, with the password in it (never logged: see the `Debug` impl).
        url: String,
        /// Database name, for messages.
        database: String,
        /// `host:port`, for messages.
        host: String,
    },
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            Self::Memory => f.write_str("Memory"),
            Self::Server {
                dialect,
                database,
                host,
                ..
            } => f
                .debug_struct("Server")
                .field("dialect", dialect)
                .field("host", host)
                .field("database", database)
                .finish_non_exhaustive(),
        }
    }
}

/// The provider settings [`Driver::from_settings`] needs (mapped from `data_provider` by the binary).
#[derive(Clone, Default)]
pub struct Settings {
    /// `sqlite`, `postgresql`, `mysql` or `memory`.
    pub driver: String,
    /// SQLite file (relative to the config dir) or database name.
    pub name: String,
    /// Server host; empty means 127.0.0.1.
    pub host: String,
    /// Server port; 0 means the engine's default.
    pub port: u16,
    /// Database user.
    pub username: String,
    /// Database password (already read from `password_file` when that is set).
    pub password: String,
    /// A complete connection URL that replaces the fields above.
    pub connection_string: String,
    /// sslmode 0-5 as in the reference (0 disable, 1 require, 2 verify-ca, 3 verify-full, 4 prefer, 5 allow).
    pub sslmode: u8,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("driver", &self.driver)
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Driver {
    /// Resolves the settings; a relative SQLite path is taken from `config_dir`.
    ///
    /// # Errors
    /// [`ProviderError::Config`] for an unknown driver or an unsupported TLS mode.
    pub fn from_settings(
        s: &Settings,
        config_dir: &std::path::Path,
    ) -> Result<Self, ProviderError> {
        let dialect = match s.driver.as_str() {
            "sqlite" => {
                let p = PathBuf::from(&s.name);
                return Ok(Self::Sqlite {
                    path: if p.is_absolute() {
                        p
                    } else {
                        config_dir.join(p)
                    },
                });
            }
            "memory" => return Ok(Self::Memory),
            "postgresql" => Dialect::Postgres,
            "mysql" => Dialect::Mysql,
            other => {
                return Err(ProviderError::Config(format!(
                    "data_provider.driver {other:?} is unknown (expected sqlite, postgresql, mysql or memory)"
                )));
            }
        };
        if !s.connection_string.is_empty() {
            return Ok(Self::Server {
                dialect,
                url: s.connection_string.clone(),
                database: s.name.clone(),
                host: "(from connection_string)".to_owned(),
            });
        }
        if s.sslmode != 0 {
            return Err(ProviderError::Config(
                "data_provider.sslmode: TLS to the database server is not available in this build yet; use 0 \
                 (a database on loopback or a private network) or a connection_string"
                    .to_owned(),
            ));
        }
        let (scheme, default_port) = match dialect {
            Dialect::Postgres => ("postgres", 5432),
            Dialect::Mysql => ("mysql", 3306),
            Dialect::Sqlite => unreachable!("handled above"),
        };
        let host = if s.host.is_empty() {
            "127.0.0.1"
        } else {
            &s.host
        };
        let port = if s.port == 0 { default_port } else { s.port };
        let auth = match (s.username.is_empty(), s.password.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!("{}@", url_escape(&s.username)),
            (false, false) => format!("{}:{}@", url_escape(&s.username), url_escape(&s.password)),
        };
        let host_part = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let ssl = match dialect {
            Dialect::Postgres => "?sslmode=disable",
            _ => "?ssl-mode=DISABLED",
        };
        Ok(Self::Server {
            dialect,
            url: format!("{scheme}://{auth}{host_part}/{}{ssl}", url_escape(&s.name)),
            database: s.name.clone(),
            host: host_part,
        })
    }

    fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite { .. } | Self::Memory => Dialect::Sqlite,
            Self::Server { dialect, .. } => *dialect,
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("SQLite database {}", path.display()),
            Self::Memory => "in-memory database".to_owned(),
            Self::Server {
                dialect,
                database,
                host,
                ..
            } => format!("{} database {database:?} at {host}", dialect.driver_name()),
        }
    }
}

/// An open pool and what it talks to.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) dialect: Dialect,
    prefix: String,
}

impl Db {
    pub(crate) async fn connect(
        driver: &Driver,
        prefix: &str,
        pool_size: u32,
    ) -> Result<Self, ProviderError> {
        if !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(ProviderError::Config(format!(
                "data_provider.sql_tables_prefix {prefix:?} may only hold letters, digits and '_'"
            )));
        }
        sqlx::any::install_default_drivers();
        let what = driver.describe();
        let open_err = |source| ProviderError::Open {
            what: what.clone(),
            source,
        };
        let dialect = driver.dialect();
        let (url, max, min) = match driver {
            Driver::Sqlite { path } => {
                let p = path.to_str().ok_or_else(|| {
                    ProviderError::Config(format!(
                        "the SQLite path {} is not valid UTF-8",
                        path.display()
                    ))
                })?;
                let escaped: String = p.split('/').map(url_escape).collect::<Vec<_>>().join("/");
                (format!("sqlite://{escaped}?mode=rwc"), 4, 0)
            }
            // One connection that never closes: the database lives as long as it does.
            Driver::Memory => ("sqlite::memory:".to_owned(), 1, 1),
            Driver::Server { url, .. } => (url.clone(), 8, 0),
        };
        let max = if pool_size == 0 { max } else { pool_size };
        let opts: AnyConnectOptions = url.parse().map_err(open_err)?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(max)
            .min_connections(min)
            .acquire_timeout(Duration::from_secs(10));
        if matches!(driver, Driver::Memory) {
            pool = pool.idle_timeout(None).max_lifetime(None);
        }
        if dialect == Dialect::Sqlite {
            pool = pool.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL with full sync: a crash loses at most the transaction in flight, never the file.
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(opts).await.map_err(open_err)?;
        Ok(Self {
            pool,
            dialect,
            prefix: prefix.to_owned(),
        })
    }

    /// Rewrites a query written with `?` placeholders and `{p}` table prefixes for this dialect.
    ///
    /// Identifiers come from this crate's constants and the validated prefix, values are always bound: the
    /// result is safe to hand to sqlx.
    pub(crate) fn sql(&self, q: &str) -> sqlx::AssertSqlSafe<String> {
        let q = q.replace("{p}", &self.prefix);
        if self.dialect != Dialect::Postgres || !q.contains('?') {
            return sqlx::AssertSqlSafe(q);
        }
        let mut out = String::with_capacity(q.len() + 8);
        let mut n = 0;
        for c in q.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        sqlx::AssertSqlSafe(out)
    }

    /// The schema version recorded in the database (0 when there is no schema yet).
    pub(crate) async fn schema_version(&self) -> Result<i64, ProviderError> {
        let create = self.sql(
            "CREATE TABLE IF NOT EXISTS {p}schema_version (id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL)",
        );
        sqlx::query(create).execute(&self.pool).await?;
        let q = self.sql("SELECT version FROM {p}schema_version WHERE id = 1");
        let v: Option<(i64,)> = sqlx::query_as(q).fetch_optional(&self.pool).await?;
        Ok(v.map_or(0, |(v,)| v))
    }

    /// Applies every migration newer than the recorded version; returns (version, applied count).
    ///
    /// SQLite and PostgreSQL apply each migration in a transaction with its version bump. MySQL cannot roll DDL
    /// back, so its statements are idempotent and the version is bumped after the last one: a crash in the
    /// middle is repaired by running the migration again.
    pub(crate) async fn migrate(&self) -> Result<(i64, usize), ProviderError> {
        let current = self.schema_version().await?;
        if current > SCHEMA_VERSION {
            return Err(ProviderError::Config(format!(
                "the database schema is at version {current}, newer than this build knows ({SCHEMA_VERSION}); \
                 upgrade ringway"
            )));
        }
        let mut applied = 0;
        let mut reached = current;
        for &(version, sql) in self.dialect.migrations() {
            if version <= current {
                continue;
            }
            let sql = sql.replace("{{prefix}}", &self.prefix);
            let statements: Vec<&str> = split_statements(&sql);
            let bump = if current == 0 && applied == 0 {
                self.sql("INSERT INTO {p}schema_version (id, version) VALUES (1, ?)")
            } else {
                self.sql("UPDATE {p}schema_version SET version = ? WHERE id = 1")
            };
            if self.dialect == Dialect::Mysql {
                for s in &statements {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(*s))
                        .execute(&self.pool)
                        .await
                        .map_err(|e| migration_error(version, s, e))?;
                }
                sqlx::query(bump).bind(version).execute(&self.pool).await?;
            } else {
                let mut tx = self.pool.begin().await?;
                for s in &statements {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(*s))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| migration_error(version, s, e))?;
                }
                sqlx::query(bump).bind(version).execute(&mut *tx).await?;
                tx.commit().await?;
            }
            applied += 1;
            reached = version;
            tracing::info!(version, "schema migration applied");
        }
        Ok((reached, applied))
    }

    /// Drops every table of the schema (for `resetprovider`).
    pub(crate) async fn drop_all(&self) -> Result<(), ProviderError> {
        for t in [
            "revoked_tokens",
            "api_keys",
            "admins_groups_mapping",
            "groups_folders_mapping",
            "users_folders_mapping",
            "users_groups_mapping",
            "admins",
            "users",
            "folders",
            "usergroups",
            "roles",
            "settings",
            "schema_version",
        ] {
            let q = format!("DROP TABLE IF EXISTS {}{t}", self.prefix);
            sqlx::raw_sql(sqlx::AssertSqlSafe(q))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

fn migration_error(version: i64, statement: &str, e: sqlx::Error) -> ProviderError {
    let head: String = statement
        .trim()
        .lines()
        .find(|l| !l.trim_start().starts_with("--"))
        .unwrap_or_default()
        .chars()
        .take(80)
        .collect();
    ProviderError::Migration(format!("version {version}, at `{head}`: {e}"))
}

/// Splits a migration file into statements at `;` ending a line (the files never put one inside a literal).
fn split_statements(sql: &str) -> Vec<&str> {
    sql.split(";\n")
        .map(str::trim)
        .filter(|s| {
            s.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_escape_credentials_and_never_debug_them() {
        let s = Settings {
            driver: "postgresql".into(),
            name: "db name".into(),
            username: "u@x".into(),
            password: "p:/@ss".into(),
            ..Settings::default()
        };
        let d = Driver::from_settings(&s, std::path::Path::new("/")).unwrap();
        let Driver::Server { url, .. } = &d else {
            panic!("{d:?}")
        };
        assert_eq!(
            url,
            "postgres://u%40x:p%3A%2F%40ss@127.0.0.1:5432/db%20name?sslmode=disable"
        );
        assert!(!format!("{d:?}{s:?}").contains("ss"), "{d:?} {s:?}");
    }

    #[test]
    fn unknown_driver_is_named() {
        let s = Settings {
            driver: "oracle".into(),
            ..Settings::default()
        };
        let e = Driver::from_settings(&s, std::path::Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("oracle"), "{e}");
    }

    #[test]
    fn statements_split_and_skip_comments() {
        let v = split_statements("-- a\nCREATE A (x);\n-- b\nCREATE B (\n y\n);\n");
        assert_eq!(v, ["-- a\nCREATE A (x)", "-- b\nCREATE B (\n y\n)"]);
    }
}
