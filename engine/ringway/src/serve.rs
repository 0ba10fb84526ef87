//! `ringway serve` and `ringway initprovider`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use ringway_config::Config;
use ringway_engine::{Engine, EngineConfig, ListenerSpec, Service};
use std::sync::Arc;

use ringway_admin::{ApiSettings, ApiState};
use ringway_auth::Accounts;
use ringway_password::{Argon2Params, BcryptParams, HashParams, Hasher};
use ringway_provider::{Driver, ObjectKind, Provider, Settings};
use ringway_ssh::{AuthService, SshServer};
use ringway_uring::{IoConfig, IoMode};

use crate::cli::CommonArgs;

fn load_config(args: &CommonArgs) -> anyhow::Result<Config> {
    let file = match &args.config_file {
        Some(f) => Some(args.in_config_dir(f)),
        None => ringway_config::find_config_file(&args.config_dir),
    };
    let env = ringway_config::process_env()?;
    ringway_config::load(file.as_deref(), env).map_err(|e| anyhow::anyhow!("configuration: {e}"))
}

fn setup(args: &CommonArgs) -> anyhow::Result<Config> {
    std::fs::create_dir_all(&args.config_dir)
        .with_context(|| format!("cannot create the config dir {}", args.config_dir.display()))?;
    let config = load_config(args)?;
    let log_file = args.log_file.as_deref().map(|f| args.in_config_dir(f));
    crate::logging::init(&args.log_level, log_file.as_deref())?;
    Ok(config)
}

fn control_runtime(config: &Config) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.engine.control_plane_threads)
        .thread_name("ringway-ctl")
        .enable_all()
        .build()
        .context("cannot start the control-plane runtime")
}

fn provider_driver(config: &Config, args: &CommonArgs) -> anyhow::Result<Driver> {
    let dp = &config.data_provider;
    let password = if dp.password_file.is_empty() {
        dp.password.clone()
    } else {
        let f = args.in_config_dir(std::path::Path::new(&dp.password_file));
        std::fs::read_to_string(&f)
            .with_context(|| format!("cannot read data_provider.password_file {}", f.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_owned()
    };
    let settings = Settings {
        driver: dp.driver.clone(),
        name: dp.name.clone(),
        host: dp.host.clone(),
        port: dp.port,
        username: dp.username.clone(),
        password,
        connection_string: dp.connection_string.clone(),
        sslmode: dp.sslmode,
    };
    Ok(Driver::from_settings(&settings, &args.config_dir)?)
}

async fn open_provider(
    config: &Config,
    args: &CommonArgs,
) -> anyhow::Result<(Provider, ringway_provider::InitReport)> {
    let driver = provider_driver(config, args)?;
    Ok(Provider::open(
        &driver,
        &config.data_provider.sql_tables_prefix,
        config.data_provider.pool_size,
    )
    .await?)
}

/// `ringway initprovider`.
pub(crate) fn init_provider(args: &CommonArgs) -> anyhow::Result<()> {
    let config = setup(args)?;
    let rt = control_runtime(&config)?;
    rt.block_on(async {
        let (provider, report) = open_provider(&config, args).await?;
        provider.close().await;
        tracing::info!(
            driver = %config.data_provider.driver,
            schema_version = report.schema_version,
            applied = report.applied,
            "data provider initialised"
        );
        Ok(())
    })
}

/// `ringway resetprovider --force`.
pub(crate) fn reset_provider(args: &crate::cli::ResetArgs) -> anyhow::Result<()> {
    if !args.force {
        anyhow::bail!(
            "resetprovider deletes every user, group, folder, admin and API key; run it again with --force"
        );
    }
    let config = setup(&args.common)?;
    let rt = control_runtime(&config)?;
    rt.block_on(async {
        let (provider, _) = open_provider(&config, &args.common).await?;
        let report = provider.reset().await?;
        provider.close().await;
        tracing::warn!(
            driver = %config.data_provider.driver,
            schema_version = report.schema_version,
            "data provider reset: all data deleted"
        );
        Ok(())
    })
}

fn engine_config(config: &Config) -> EngineConfig {
    EngineConfig {
        workers: config.engine.workers,
        pin_workers: config.engine.pin_workers,
        io_mode: match config.engine.io {
            ringway_config::IoMode::Uring => IoMode::Uring,
            ringway_config::IoMode::ThreadPool => IoMode::ThreadPool,
        },
        io_config: IoConfig {
            ring_entries: config.engine.ring_entries,
        },
    }
}

/// How often pending quota usage is committed to the data provider.
const USAGE_FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Smallest per-session budget: one full 255 KiB READ or WRITE must fit.
const MIN_SESSION_BUDGET: usize = 256 << 10;
/// Largest per-session budget (measured: more does not speed up one transfer on loopback).
const MAX_SESSION_BUDGET: usize = 4 << 20;

/// Per-session SFTP budgets sized from `engine.transfer_memory` and `common.max_total_connections`.
fn sftp_session_config(config: &Config) -> ringway_sftp::SessionConfig {
    let defaults = ringway_sftp::SessionConfig::default();
    let sessions = usize::try_from(config.common.max_total_connections).unwrap_or(usize::MAX);
    if sessions == 0 {
        return defaults;
    }
    let total = if config.engine.transfer_memory > 0 {
        usize::try_from(config.engine.transfer_memory.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
    } else {
        physical_memory() / 4
    };
    let budget = (total / sessions / 2).clamp(MIN_SESSION_BUDGET, MAX_SESSION_BUDGET);
    ringway_sftp::SessionConfig {
        write_budget: budget,
        read_budget: budget,
        ..defaults
    }
}

/// The machine's memory in bytes (`MemTotal`), or 4 GiB when it cannot be read.
fn physical_memory() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .map_or(4 << 30, |kib| kib.saturating_mul(1024))
}

fn bind_addr(address: &str, port: u16) -> anyhow::Result<SocketAddr> {
    let host = if address.is_empty() {
        "0.0.0.0"
    } else {
        address
    };
    let text = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    text.parse()
        .with_context(|| format!("invalid listen address {address:?}"))
}

/// Notes the configured protocol servers that this build does not serve yet, so nobody wonders why a port is
/// closed.
fn report_unserved(config: &Config) {
    let ftp: Vec<u16> = config
        .ftpd
        .bindings
        .iter()
        .map(|b| b.port)
        .filter(|p| *p != 0)
        .collect();
    let dav: Vec<u16> = config
        .webdavd
        .bindings
        .iter()
        .map(|b| b.port)
        .filter(|p| *p != 0)
        .collect();
    for (name, ports) in [("ftpd", ftp), ("webdavd", dav)] {
        if !ports.is_empty() {
            tracing::warn!(
                section = name,
                ?ports,
                "this protocol is not implemented in this build yet; not listening"
            );
        }
    }
}

/// The SSH server and one listener per enabled `sftpd` binding; `None` when every binding is disabled.
fn ssh_listeners(
    config: &Config,
    args: &CommonArgs,
    accounts: &Accounts,
    usage: &ringway_auth::usage::Usage,
) -> anyhow::Result<Option<(Arc<SshServer>, Vec<ListenerSpec>)>> {
    let bindings: Vec<_> = config
        .sftpd
        .bindings
        .iter()
        .filter(|b| b.port != 0)
        .collect();
    if bindings.is_empty() {
        return Ok(None);
    }
    let auth = AuthService::spawn(accounts.clone());
    let server = Arc::new(
        SshServer::new(
            &config.sftpd,
            &args.config_dir,
            (config.common.idle_timeout > 0)
                .then(|| Duration::from_secs(config.common.idle_timeout.saturating_mul(60))),
            sftp_session_config(config),
            auth,
            crate::storage::vfs_factory(
                ringway_vfs::UploadMode::from_config(config.common.upload_mode)
                    .unwrap_or(ringway_vfs::UploadMode::Atomic),
                Some(usage.clone()),
            ),
        )
        .context("cannot start the SSH server")?,
    );
    let mut listeners = Vec::with_capacity(bindings.len());
    for b in bindings {
        let service: Arc<dyn Service> = server.clone();
        listeners.push(ListenerSpec {
            addr: bind_addr(&b.address, b.port)?,
            service,
        });
    }
    Ok(Some((server, listeners)))
}

fn hasher(config: &Config) -> anyhow::Result<Hasher> {
    let h = &config.data_provider.password_hashing;
    let params = if h.algo == "bcrypt" {
        HashParams::Bcrypt(BcryptParams {
            cost: h.bcrypt_options.cost,
        })
    } else {
        HashParams::Argon2id(Argon2Params {
            memory_kib: h.argon2_options.memory,
            iterations: h.argon2_options.iterations,
            parallelism: h.argon2_options.parallelism,
        })
    };
    Hasher::new(params).context("data_provider.password_hashing")
}

/// Creates the first admin from `RINGWAY_DEFAULT_ADMIN_USERNAME` / `RINGWAY_DEFAULT_ADMIN_PASSWORD` when the
/// provider has no admin yet.
async fn create_default_admin(accounts: &Accounts, required: bool) -> anyhow::Result<()> {
    let user = std::env::var("RINGWAY_DEFAULT_ADMIN_USERNAME").unwrap_or_default();
    let pass = std::env::var("RINGWAY_DEFAULT_ADMIN_PASSWORD").unwrap_or_default();
    if user.is_empty() || pass.is_empty() {
        if required {
            anyhow::bail!(
                "data_provider.create_default_admin is true but RINGWAY_DEFAULT_ADMIN_USERNAME or \
                 RINGWAY_DEFAULT_ADMIN_PASSWORD is not set"
            );
        }
        if accounts.provider().count(ObjectKind::Admin).await? == 0 {
            tracing::warn!(
                "no admin exists: set RINGWAY_DEFAULT_ADMIN_USERNAME and RINGWAY_DEFAULT_ADMIN_PASSWORD and \
                 restart to create the first one"
            );
        }
        return Ok(());
    }
    if ringway_admin::ensure_default_admin(accounts, &user, &pass).await? {
        tracing::info!(admin = %user, "default admin created");
    }
    Ok(())
}

/// `ringway serve`.
pub(crate) fn serve(args: &CommonArgs) -> anyhow::Result<()> {
    let config = setup(args)?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), config_dir = %args.config_dir.display(), "ringway starting");
    let rt = control_runtime(&config)?;
    rt.block_on(run(config, args))
}

async fn run(config: Config, args: &CommonArgs) -> anyhow::Result<()> {
    let (provider, report) = open_provider(&config, args).await?;
    tracing::info!(
        driver = %config.data_provider.driver,
        schema_version = report.schema_version,
        applied = report.applied,
        "data provider ready"
    );

    // Authentication service and the first admin.
    let accounts = Accounts::new(
        provider.clone(),
        hasher(&config)?,
        if config.data_provider.password_caching {
            10_000
        } else {
            0
        },
    );
    create_default_admin(&accounts, config.data_provider.create_default_admin).await?;

    // Quota usage: the data plane adds to per-core shards, the control plane commits them in batches.
    let usage = ringway_auth::usage::Usage::new(provider.clone(), config.engine.workers.max(4));
    let (usage_stop_tx, usage_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let flusher = tokio::spawn(usage.clone().run_flusher(USAGE_FLUSH_EVERY, async move {
        let _ = usage_stop_rx.await;
    }));

    // Data plane.
    report_unserved(&config);
    let ssh = ssh_listeners(&config, args, &accounts, &usage)?;
    let listeners: Vec<ListenerSpec> = ssh.iter().flat_map(|(_, l)| l.iter().cloned()).collect();
    let engine = Engine::start_with_limits(
        engine_config(&config),
        &listeners,
        ringway_engine::ConnectionLimits {
            max_total: usize::try_from(config.common.max_total_connections).unwrap_or(usize::MAX),
            max_per_host: usize::try_from(config.common.max_per_host_connections)
                .unwrap_or(usize::MAX),
        },
    )
    .context("cannot start the data plane")?;
    if let Some((server, _)) = &ssh {
        server.set_registry(engine.registry());
    }
    for (service, addr) in engine.local_addrs() {
        tracing::info!(service, %addr, "listening");
    }
    if engine.io_mode() != engine_config(&config).io_mode {
        tracing::warn!(requested = ?config.engine.io, actual = %engine.io_mode(), "file I/O engine fell back");
    }

    // Admin HTTP and the REST API on the control plane.
    let jwt_key = ringway_admin::signing_key(&accounts, &config.httpd.signing_passphrase).await?;
    let settings = ApiSettings {
        token_ttl: Duration::from_secs(config.httpd.token_validity.max(1) * 60),
        backups_dir: args.in_config_dir(std::path::Path::new(&config.data_provider.backups_path)),
        users_base_dir: config.data_provider.users_base_dir.clone(),
        services: vec![("ssh", ssh.is_some()), ("ftp", false), ("webdav", false)],
        driver: config.data_provider.driver.clone(),
    };
    let state = ApiState::new(accounts, jwt_key, engine.registry(), settings);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut admin_tasks = Vec::new();
    for b in config.httpd.bindings.iter().filter(|b| b.port != 0) {
        let addr = bind_addr(&b.address, b.port)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (httpd)"))?;
        tracing::info!(%addr, "admin HTTP listening");
        let mut rx = stop_rx.clone();
        admin_tasks.push(tokio::spawn(ringway_admin::serve(
            listener,
            Arc::clone(&state),
            async move {
                let _ = rx.wait_for(|s| *s).await;
            },
        )));
    }

    let signal = wait_for_signal().await?;
    tracing::info!(
        signal,
        grace_secs = config.engine.grace_time,
        "shutting down"
    );
    let _ = stop_tx.send(true);
    let report = engine
        .shutdown(Duration::from_secs(config.engine.grace_time))
        .await;
    for t in admin_tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(cause = %e, "admin HTTP server ended with an error"),
            Err(e) => tracing::warn!(cause = %e, "admin HTTP task failed"),
        }
    }
    // Every session is gone: commit the last usage before closing the database.
    let _ = usage_stop_tx.send(());
    if let Err(e) = flusher.await {
        tracing::warn!(cause = %e, "quota usage flusher failed");
    }
    provider.close().await;
    tracing::info!(
        drained = report.drained,
        forced = report.forced,
        "ringway stopped"
    );
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn bind_addresses() {
        assert_eq!(
            super::bind_addr("", 2022).unwrap().to_string(),
            "0.0.0.0:2022"
        );
        assert_eq!(
            super::bind_addr("127.0.0.1", 8080).unwrap().to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            super::bind_addr("::1", 8080).unwrap().to_string(),
            "[::1]:8080"
        );
        assert!(super::bind_addr("nope", 1).is_err());
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    fn budgets(max_total: u32, transfer_memory: u64) -> (usize, usize) {
        let mut c = Config::default();
        c.common.max_total_connections = max_total;
        c.engine.transfer_memory = transfer_memory;
        let s = sftp_session_config(&c);
        (s.write_budget, s.read_budget)
    }

    #[test]
    fn session_budgets_come_from_the_global_transfer_memory() {
        // No connection limit: the full per-session budget.
        assert_eq!(budgets(0, 64), (4 << 20, 4 << 20));
        // 1 GiB over 1000 connections, two budgets each: 524 KiB.
        assert_eq!(budgets(1000, 1024), ((1 << 30) / 2000, (1 << 30) / 2000));
        // Never below one full READ/WRITE, never above 4 MiB.
        assert_eq!(budgets(10_000, 16), (256 << 10, 256 << 10));
        assert_eq!(budgets(2, 1 << 20), (4 << 20, 4 << 20));
        // 0 means a quarter of the machine's memory.
        let auto = budgets(100_000, 0).0;
        assert!((256 << 10..=4 << 20).contains(&auto), "{auto}");
    }
}
