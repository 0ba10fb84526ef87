//! Quota and usage counters: increments applied in SQL, so concurrent writers never lose an update.

use crate::store::now_ms;
use crate::{ObjectKind, Provider, ProviderError};

/// A change to an object's usage counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotaUpdate {
    /// Bytes to add (may be negative).
    pub size: i64,
    /// Files to add (may be negative).
    pub files: i64,
    /// Set the counters to `size` and `files` instead of adding them.
    pub reset: bool,
}

impl Provider {
    /// Applies a quota change to a user (`ObjectKind::User`) or a virtual folder (`ObjectKind::Folder`).
    ///
    /// # Errors
    /// `NotFound` when the object does not exist; `Invalid` for other kinds.
    pub async fn update_quota(
        &self,
        kind: ObjectKind,
        key: &str,
        change: QuotaUpdate,
    ) -> Result<(), ProviderError> {
        let (table, key_col) = match kind {
            ObjectKind::User => ("users", "username"),
            ObjectKind::Folder => ("folders", "name"),
            other => {
                return Err(ProviderError::invalid(
                    "kind",
                    format!("a {} has no quota", other.name()),
                ));
            }
        };
        let set = if change.reset {
            "used_quota_size = ?, used_quota_files = ?"
        } else {
            "used_quota_size = used_quota_size + ?, used_quota_files = used_quota_files + ?"
        };
        let q = self.db.sql(&format!(
            "UPDATE {{p}}{table} SET {set}, last_quota_update = ? WHERE {key_col} = ?"
        ));
        let r = sqlx::query(q)
            .bind(change.size)
            .bind(change.files)
            .bind(now_ms())
            .bind(key)
            .execute(&self.db.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(ProviderError::NotFound(format!(
                "{} {key:?} does not exist",
                kind.name()
            )));
        }
        Ok(())
    }

    /// Adds to (or, with `reset`, sets) a user's transferred bytes.
    ///
    /// # Errors
    /// `NotFound` when the user does not exist.
    pub async fn update_transfer_quota(
        &self,
        username: &str,
        upload: i64,
        download: i64,
        reset: bool,
    ) -> Result<(), ProviderError> {
        let set = if reset {
            "used_upload_data_transfer = ?, used_download_data_transfer = ?"
        } else {
            "used_upload_data_transfer = used_upload_data_transfer + ?, \
             used_download_data_transfer = used_download_data_transfer + ?"
        };
        let q = self.db.sql(&format!(
            "UPDATE {{p}}users SET {set}, last_quota_update = ? WHERE username = ?"
        ));
        let r = sqlx::query(q)
            .bind(upload)
            .bind(download)
            .bind(now_ms())
            .bind(username)
            .execute(&self.db.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(ProviderError::NotFound(format!(
                "user {username:?} does not exist"
            )));
        }
        Ok(())
    }

    /// Records a successful login (users and admins).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn set_last_login(
        &self,
        kind: ObjectKind,
        username: &str,
    ) -> Result<(), ProviderError> {
        let table = match kind {
            ObjectKind::User => "users",
            ObjectKind::Admin => "admins",
            other => {
                return Err(ProviderError::invalid(
                    "kind",
                    format!("a {} does not log in", other.name()),
                ));
            }
        };
        let q = self.db.sql(&format!(
            "UPDATE {{p}}{table} SET last_login = ? WHERE username = ?"
        ));
        sqlx::query(q)
            .bind(now_ms())
            .bind(username)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Stamps a user's first upload or download, once.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn set_first_transfer(
        &self,
        username: &str,
        upload: bool,
    ) -> Result<(), ProviderError> {
        let col = if upload {
            "first_upload"
        } else {
            "first_download"
        };
        let q = self.db.sql(&format!(
            "UPDATE {{p}}users SET {col} = ? WHERE username = ? AND {col} = 0"
        ));
        sqlx::query(q)
            .bind(now_ms())
            .bind(username)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}
