//! ringway's SSH server: russh for the transport, with our host keys, algorithm policy and authentication.
//!
//! [`SshServer`] is an engine [`Service`]: each accepted connection runs as a russh session on the worker that
//! accepted it. Authentication never touches the provider from the data plane; it goes through an
//! [`AuthClient`] to the [`AuthService`] task on the control plane. After authentication the server accepts
//! session channels; the SFTP subsystem and SCP are not served yet, so a `sftp` subsystem request fails cleanly
//! and exec requests serve only `pwd`. Shells, ptys, agent/X11 and port forwarding are always refused.
//!
//! Invariants: the russh `Channel` objects are dropped as soon as they are accepted (ARCHITECTURE.md §2, rule
//! 1); handler futures are `Send` (rule 9); a client is told nothing about why a login failed, the log is.
#![forbid(unsafe_code)]

mod algorithms;
mod auth_client;
mod commands;
mod handler;
mod hashsum;
mod hostkeys;
mod scp;
mod scp_proto;
mod sftp;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ringway_config::SftpdConfig;
use ringway_engine::{Connection, Registry, Service};
use russh::{Disconnect, MethodKind, MethodSet, SshId};
use tokio::net::TcpStream;
use tracing::Instrument;

pub use algorithms::{host_key_allowed, preferred, public_key_algorithms};
pub use auth_client::{AuthClient, AuthService, Credential, Verdict};
pub use hostkeys::load_host_keys;
pub use sftp::{VfsFactory, VfsFuture};

use handler::{Shared, SshHandler};

/// Authentication attempts per connection when `sftpd.max_auth_tries` is 0 or less (OpenSSH's default).
const DEFAULT_MAX_AUTH_TRIES: usize = 6;
/// Time a client has to log in after connecting (OpenSSH's `LoginGraceTime` default), whatever the idle timeout.
const LOGIN_GRACE: Duration = Duration::from_secs(120);
/// How often a draining connection checks whether its transfers have finished.
const DRAIN_POLL: Duration = Duration::from_millis(100);
/// Wait before answering a failed login, so failures cost a guesser time; small enough to keep logins fast.
const AUTH_REJECTION_TIME: Duration = Duration::from_millis(250);

/// Why the SSH server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A host key file is missing, unreadable, encrypted or cannot be created.
    #[error("SSH host key {path}: {cause}")]
    HostKey {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        cause: String,
    },
    /// A configured algorithm is unknown or not implemented.
    #[error("sftpd.{setting}: unsupported algorithm {name:?}")]
    Algorithm {
        /// The setting that names it.
        setting: &'static str,
        /// The name.
        name: String,
    },
    /// No host key matches `sftpd.host_key_algorithms`.
    #[error("sftpd.host_key_algorithms: no host key of these types is configured")]
    NoHostKey,
    /// The login banner file cannot be read.
    #[error("sftpd.login_banner_file {path}: {cause}")]
    Banner {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        cause: std::io::Error,
    },
}

/// The SSH protocol server, shared by every worker.
pub struct SshServer {
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SshServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshServer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SshServer {
    /// Builds the server from the `sftpd` section: loads or generates the host keys in `config_dir`, reads the
    /// banner and validates the algorithm lists. A connection with no traffic for `idle_timeout` (from
    /// `common.idle_timeout`; `None` disables it) is closed; SFTP sessions get `sftp_config`'s budgets.
    ///
    /// # Errors
    /// [`SetupError`] naming the file or setting at fault.
    pub fn new(
        sftpd: &SftpdConfig,
        config_dir: &Path,
        idle_timeout: Option<Duration>,
        sftp_config: ringway_sftp::SessionConfig,
        auth: AuthClient,
        vfs: VfsFactory,
    ) -> Result<Self, SetupError> {
        let mut keys = Vec::new();
        for key in load_host_keys(&sftpd.host_keys, config_dir)? {
            if host_key_allowed(sftpd, &key)? {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(SetupError::NoHostKey);
        }
        let preferred = preferred(sftpd)?;
        let public_key_algorithms = public_key_algorithms(sftpd)?;
        let banner = if sftpd.login_banner_file.is_empty() {
            None
        } else {
            let path = if Path::new(&sftpd.login_banner_file).is_absolute() {
                PathBuf::from(&sftpd.login_banner_file)
            } else {
                config_dir.join(&sftpd.login_banner_file)
            };
            let text = std::fs::read_to_string(&path)
                .map_err(|cause| SetupError::Banner { path, cause })?;
            Some(if text.ends_with('\n') {
                text
            } else {
                format!("{text}\n")
            })
        };
        let mut methods = MethodSet::empty();
        methods.push(MethodKind::PublicKey);
        if sftpd.password_authentication {
            methods.push(MethodKind::Password);
        }
        if sftpd.keyboard_interactive_authentication {
            methods.push(MethodKind::KeyboardInteractive);
        }
        let config = russh::server::Config {
            server_id: SshId::Standard(
                concat!("SSH-2.0-ringway_", env!("CARGO_PKG_VERSION")).into(),
            ),
            methods: methods.clone(),
            auth_rejection_time: AUTH_REJECTION_TIME,
            // OpenSSH opens with a "none" probe to learn the methods; answering it at once saves a round of delay.
            auth_rejection_time_initial: Some(Duration::ZERO),
            keys,
            preferred,
            max_auth_attempts: usize::try_from(sftpd.max_auth_tries)
                .ok()
                .filter(|n| *n > 0)
                .unwrap_or(DEFAULT_MAX_AUTH_TRIES),
            nodelay: true,
            inactivity_timeout: idle_timeout,
            ..russh::server::Config::default()
        };
        let shared = Shared {
            auth,
            methods,
            password: sftpd.password_authentication,
            keyboard_interactive: sftpd.keyboard_interactive_authentication,
            public_key_algorithms,
            banner,
            enabled_commands: sftpd.enabled_ssh_commands.clone(),
            registry: OnceLock::new(),
            vfs,
            sftp_config,
        };
        Ok(Self {
            config: Arc::new(config),
            shared: Arc::new(shared),
        })
    }

    /// Gives the server the engine's connection registry, so the user of a session shows in the connection
    /// list once authenticated. Call once, after the engine has started; later calls are ignored.
    pub fn set_registry(&self, registry: Arc<Registry>) {
        let _ = self.shared.registry.set(registry);
    }
}

/// Disconnects a russh session whose serving future is dropped (closed from the registry or past the shutdown
/// grace time): russh runs the session in a task of its own, which dropping the future would not stop.
struct DisconnectOnDrop(Option<russh::server::Handle>);

impl Drop for DisconnectOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = handle
                    .disconnect(
                        Disconnect::ByApplication,
                        "connection closed by the server".into(),
                        String::new(),
                    )
                    .await;
            });
        }
    }
}

/// Whether a session error is just the client going away (OpenSSH closes the socket without a disconnect message).
fn is_hang_up(e: &russh::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        russh::Error::Disconnect | russh::Error::HUP => true,
        russh::Error::IO(io) => matches!(
            io.kind(),
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ),
        _ => false,
    }
}

impl Service for SshServer {
    fn name(&self) -> &'static str {
        "SSH"
    }

    fn serve(
        self: Arc<Self>,
        stream: TcpStream,
        mut conn: Connection,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let span = tracing::info_span!("ssh", conn = conn.id, peer = %conn.peer);
        Box::pin(
            async move {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(cause = %e, "set_nodelay failed");
                }
                let activity = Arc::new(handler::Activity::default());
                let handler = SshHandler::new(
                    Arc::clone(&self.shared),
                    conn.id,
                    conn.peer,
                    conn.io.clone(),
                    Arc::clone(&activity),
                );
                let running = match russh::server::run_stream(
                    Arc::clone(&self.config),
                    stream,
                    handler,
                )
                .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::debug!(cause = %e, "SSH handshake failed");
                        return;
                    }
                };
                let handle = running.handle();
                let mut guard = DisconnectOnDrop(Some(handle.clone()));
                let mut running = std::pin::pin!(running);
                let ended = |result: Result<(), russh::Error>| match result {
                    Ok(()) => tracing::debug!("SSH connection closed"),
                    Err(e) if is_hang_up(&e) => {
                        tracing::debug!(cause = %e, "SSH connection closed by the client")
                    }
                    Err(e) => tracing::info!(cause = %e, "SSH connection ended with an error"),
                };
                // A connection that has not logged in within the grace time is closed, even with no idle timeout.
                let login_deadline = async {
                    tokio::time::sleep(LOGIN_GRACE).await;
                    if activity.is_authenticated() {
                        std::future::pending::<()>().await;
                    }
                };
                tokio::select! {
                    result = &mut running => {
                        guard.0 = None;
                        ended(result);
                        return;
                    }
                    () = login_deadline => {
                        tracing::info!("SSH login not completed within {LOGIN_GRACE:?}, closing");
                        guard.0 = None;
                        let _ = handle
                            .disconnect(Disconnect::ByApplication, "login grace time exceeded".into(), String::new())
                            .await;
                        let _ = tokio::time::timeout(Duration::from_secs(5), running).await;
                        return;
                    }
                    () = conn.draining() => {}
                }
                // The server is draining: let transfers in progress finish, and close the connection as soon as it
                // is idle. Past the grace time the engine drops this future and the guard disconnects.
                loop {
                    tokio::select! {
                        result = &mut running => {
                            guard.0 = None;
                            ended(result);
                            return;
                        }
                        () = tokio::time::sleep(DRAIN_POLL) => {
                            if !activity.is_busy() {
                                break;
                            }
                        }
                    }
                }
                guard.0 = None;
                let _ = handle
                    .disconnect(
                        Disconnect::ByApplication,
                        "server shutting down".into(),
                        String::new(),
                    )
                    .await;
                let _ = tokio::time::timeout(Duration::from_secs(5), running).await;
            }
            .instrument(span),
        )
    }
}
