//! The top-level [`Config`] and the small sections: `common`, `engine` and `telemetry`.

use serde::{Deserialize, Serialize};

use crate::provider::DataProviderConfig;
use crate::servers::{FtpdConfig, HttpdConfig, SftpdConfig, WebdavdConfig};

/// The whole ringway configuration, one field per section of the configuration file.
///
/// Every section and key is optional in the file; what is missing takes the default documented on the field.
/// Unknown sections and keys are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Settings shared by every protocol: timeouts, upload mode, connection limits.
    pub common: CommonConfig,
    /// The I/O engine: worker threads, io_uring, shutdown. Specific to ringway, SFTPGo has no such section.
    pub engine: EngineConfig,
    /// The SFTP/SCP server.
    pub sftpd: SftpdConfig,
    /// The FTP/FTPS server, disabled by default.
    pub ftpd: FtpdConfig,
    /// The WebDAV server, disabled by default.
    pub webdavd: WebdavdConfig,
    /// The admin REST API, web admin and web client.
    pub httpd: HttpdConfig,
    /// Where users, admins and quotas are stored, and how passwords are hashed.
    pub data_provider: DataProviderConfig,
    /// The metrics and health endpoint, disabled by default.
    pub telemetry: TelemetryConfig,
}

#[expect(
    clippy::derivable_impls,
    reason = "project rule: every configuration struct has a hand-written Default"
)]
impl Default for Config {
    fn default() -> Self {
        Self {
            common: CommonConfig::default(),
            engine: EngineConfig::default(),
            sftpd: SftpdConfig::default(),
            ftpd: FtpdConfig::default(),
            webdavd: WebdavdConfig::default(),
            httpd: HttpdConfig::default(),
            data_provider: DataProviderConfig::default(),
            telemetry: TelemetryConfig::default(),
        }
    }
}

/// The `common` section: settings shared by every protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommonConfig {
    /// Minutes without activity after which a client connection is closed; 0 disables the timeout.
    /// Default: 15.
    pub idle_timeout: u64,
    /// How uploads reach their final name: 0 writes the target file directly, 1 (atomic) writes a temporary file
    /// and renames it over the target when the upload completes, 2 is atomic and additionally keeps the temporary
    /// file of an interrupted upload so the client can resume it.
    ///
    /// Default: 1. SFTPGo defaults to 0; ringway deliberately defaults to atomic because an interrupted upload must
    /// never leave a half-written file where a complete one stood.
    pub upload_mode: u8,
    /// Maximum number of simultaneous client connections over all protocols; 0 means unlimited. Default: 0.
    pub max_total_connections: u32,
    /// Maximum number of simultaneous client connections from one IP address; 0 means unlimited. Default: 20.
    pub max_per_host_connections: u32,
    /// Octal umask applied to created files and directories, e.g. `"022"`; empty keeps the process umask.
    /// Default: `""`.
    pub umask: String,
    /// Version string announced to clients (SSH banner, FTP greeting); empty uses the built-in one.
    /// Default: `""`.
    pub server_version: String,
}

impl Default for CommonConfig {
    fn default() -> Self {
        Self {
            idle_timeout: 15,
            upload_mode: 1,
            max_total_connections: 0,
            max_per_host_connections: 20,
            umask: String::new(),
            server_version: String::new(),
        }
    }
}

/// The `engine` section: the per-core I/O engine. Specific to ringway, SFTPGo has no equivalent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Number of data-plane worker threads; 0 starts one per online CPU. Default: 0.
    pub workers: usize,
    /// Pin each worker thread to its own CPU. Default: `true`.
    pub pin_workers: bool,
    /// How file I/O is performed: `"uring"` (one io_uring per worker) or `"threadpool"` (blocking system calls on
    /// a thread pool, for kernels without io_uring). Default: `"uring"`.
    pub io: IoMode,
    /// Submission queue entries of each io_uring; a power of two between 8 and 32768. Default: 256.
    pub ring_entries: u32,
    /// Threads for the control plane (admin API, data provider, housekeeping); between 1 and 4. Default: 2.
    pub control_plane_threads: usize,
    /// Seconds a graceful shutdown waits for running transfers before closing them. Default: 15.
    pub grace_time: u64,
    /// MiB that the transfer buffers of all sessions may use together. With `common.max_total_connections` set,
    /// each SFTP session's write and read budgets are this divided by twice that many connections, between
    /// 256 KiB and 4 MiB; 0 means a quarter of the machine's memory. Without a connection limit every session
    /// gets 4 MiB each way. Default: 0.
    pub transfer_memory: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 0,
            pin_workers: true,
            io: IoMode::default(),
            ring_entries: 256,
            control_plane_threads: 2,
            grace_time: 15,
            transfer_memory: 0,
        }
    }
}

/// How file I/O is performed, written in lowercase in the configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IoMode {
    /// `"uring"`: one io_uring per worker thread. The default.
    #[default]
    Uring,
    /// `"threadpool"`: blocking system calls on a thread pool.
    ThreadPool,
}

/// The `telemetry` section: the metrics and health-check endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// TCP port of the telemetry endpoint; 0 disables it. Default: 0.
    pub bind_port: u16,
    /// Address the telemetry endpoint listens on; empty means all addresses. Default: `"127.0.0.1"`.
    pub bind_address: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            bind_port: 0,
            bind_address: "127.0.0.1".to_owned(),
        }
    }
}
