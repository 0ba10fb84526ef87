//! Throwaway databases for tests: one fresh database per call on the PostgreSQL and MariaDB servers the test
//! command provides (127.0.0.1:5432 as `postgres`, 127.0.0.1:3306 as `root`, overridable with
//! `RINGWAY_TEST_PG_URL` and `RINGWAY_TEST_MYSQL_URL`, URLs without a database name). A server that cannot be
//! reached is an error, never a skip.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AnyConnection, Connection, Executor};

use crate::{Dialect, Driver};

static SEQ: AtomicU32 = AtomicU32::new(0);

fn server_url(dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => std::env::var("RINGWAY_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned()),
        Dialect::Mysql => std::env::var("RINGWAY_TEST_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned()),
        Dialect::Sqlite => String::new(),
    }
}

/// A database created for one test; dropped by [`TestDb::drop_db`].
#[derive(Debug)]
pub struct TestDb {
    /// Driver pointing at the new database.
    pub driver: Driver,
    /// Its name.
    pub name: String,
    dialect: Dialect,
}

impl TestDb {
    /// Creates an empty database on the server of `dialect` (PostgreSQL or MySQL).
    ///
    /// # Panics
    /// When the server cannot be reached: the test command is responsible for starting it.
    pub async fn create(dialect: Dialect) -> Self {
        sqlx::any::install_default_drivers();
        let name = format!(
            "ringway_test_{}_{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            crate::store::now_ms() % 1_000_000
        );
        let base = server_url(dialect);
        let admin_db = if dialect == Dialect::Postgres {
            "/postgres"
        } else {
            "/"
        };
        let mut conn = AnyConnection::connect(&format!("{base}{admin_db}"))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot reach the {} test server at {base}: {e} (scripts/test.sh starts it)",
                    dialect.driver_name()
                )
            });
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        conn.close().await.ok();
        let host = base.rsplit('@').next().unwrap_or_default().to_owned();
        Self {
            driver: Driver::Server {
                dialect,
                url: format!("{base}/{name}"),
                database: name.clone(),
                host,
            },
            name,
            dialect,
        }
    }

    /// Drops the database (connections to it must be closed first).
    pub async fn drop_db(self) {
        let base = server_url(self.dialect);
        let admin_db = if self.dialect == Dialect::Postgres {
            "/postgres"
        } else {
            "/"
        };
        if let Ok(mut conn) = AnyConnection::connect(&format!("{base}{admin_db}")).await {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {}",
                    self.name
                )))
                .await;
            conn.close().await.ok();
        }
    }
}
