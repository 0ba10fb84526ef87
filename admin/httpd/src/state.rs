//! What every handler shares: the authentication service, the token key, live sessions and settings.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ringway_auth::Accounts;
use ringway_engine::Registry;
use ringway_provider::Provider;

/// Settings of the admin API (from the `httpd` and `data_provider` sections).
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Lifetime of tokens from `/api/v2/token`.
    pub token_ttl: Duration,
    /// Where `/dumpdata` writes and `/loaddata?input-file=` reads backups.
    pub backups_dir: PathBuf,
    /// A user created without a home directory gets this directory joined with the username (empty: the
    /// home directory is required).
    pub users_base_dir: String,
    /// Names of the protocol servers and whether each is serving, for `/status`.
    pub services: Vec<(&'static str, bool)>,
    /// Data provider driver name, for `/status`.
    pub driver: String,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(20 * 60),
            backups_dir: PathBuf::from("backups"),
            users_base_dir: String::new(),
            services: Vec::new(),
            driver: "sqlite".to_owned(),
        }
    }
}

/// A background quota scan.
#[derive(Debug, Clone)]
pub(crate) struct ScanInfo {
    pub(crate) started_at: i64,
    /// Role of the scanned user (empty for folders and users without a role), so role admins see only theirs.
    pub(crate) role: String,
}

/// Shared state of the admin API.
#[derive(Debug)]
pub struct ApiState {
    pub(crate) accounts: Accounts,
    pub(crate) jwt_key: Vec<u8>,
    pub(crate) settings: ApiSettings,
    pub(crate) sessions: Arc<Registry>,
    pub(crate) user_scans: Mutex<HashMap<String, ScanInfo>>,
    pub(crate) folder_scans: Mutex<HashMap<String, ScanInfo>>,
    pub(crate) started: SystemTime,
}

impl ApiState {
    /// State for the API: `jwt_key` signs tokens (at least 32 bytes), `sessions` is the engine's registry.
    #[must_use]
    pub fn new(
        accounts: Accounts,
        jwt_key: Vec<u8>,
        sessions: Arc<Registry>,
        settings: ApiSettings,
    ) -> Arc<Self> {
        Arc::new(Self {
            accounts,
            jwt_key,
            settings,
            sessions,
            user_scans: Mutex::new(HashMap::new()),
            folder_scans: Mutex::new(HashMap::new()),
            started: SystemTime::now(),
        })
    }

    pub(crate) fn provider(&self) -> &Provider {
        self.accounts.provider()
    }

    /// The running quota scans of users or of folders.
    pub(crate) fn scans(
        &self,
        kind: ringway_provider::ObjectKind,
    ) -> &Mutex<HashMap<String, ScanInfo>> {
        if kind == ringway_provider::ObjectKind::User {
            &self.user_scans
        } else {
            &self.folder_scans
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
