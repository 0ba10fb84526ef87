//! The russh [`Handler`] of one connection: authentication through [`AuthClient`], then session channels.
//!
//! Follows the russh rules of ARCHITECTURE.md §2: the [`Channel`] given to `channel_open_session` is dropped
//! at once (rule 1), and every future is `Send` (rule 9).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use ringway_auth::AuthError;
use ringway_engine::Registry;
use ringway_model::User;
use ringway_sftp::{ActivityProbe, SessionConfig, SftpSession};
use ringway_uring::Io;
use russh::keys::{Algorithm, PublicKey};
use russh::server::{
    Auth, ChannelOpenHandle, Handler, PublicKeyOffer, Response, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, ChannelOpenFailure, MethodKind, MethodSet, Pty};

use crate::auth_client::{AuthClient, Credential};
use crate::commands::{self, Command};
use crate::hashsum;
use crate::scp::{self, ScpInput};
use crate::sftp::{self, VfsFactory};

/// Session channels one connection may open (OpenSSH's `MaxSessions` default is 10).
const MAX_CHANNELS: usize = 10;

/// What every connection of a server shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) auth: AuthClient,
    /// The methods advertised after a failure.
    pub(crate) methods: MethodSet,
    pub(crate) password: bool,
    pub(crate) keyboard_interactive: bool,
    /// Signature algorithms accepted for user keys.
    pub(crate) public_key_algorithms: Vec<Algorithm>,
    pub(crate) banner: Option<String>,
    pub(crate) enabled_commands: Vec<String>,
    pub(crate) registry: OnceLock<Arc<Registry>>,
    /// Builds a user's storage view for SFTP.
    pub(crate) vfs: VfsFactory,
    /// Budgets of each SFTP session.
    pub(crate) sftp_config: SessionConfig,
}

/// What a connection is doing, for a draining server: its SFTP sessions and running SCP transfers.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    sftp: std::sync::Mutex<Vec<ActivityProbe>>,
    scp: AtomicUsize,
    authenticated: std::sync::atomic::AtomicBool,
}

impl Activity {
    /// Whether the client has logged in.
    pub(crate) fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::Acquire)
    }

    /// True while an SFTP session has an open handle or a request in flight, or an SCP transfer runs.
    pub(crate) fn is_busy(&self) -> bool {
        if self.scp.load(Ordering::Acquire) > 0 {
            return true;
        }
        let mut probes = self
            .sftp
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        probes.retain(|p| !p.is_gone());
        probes.iter().any(ActivityProbe::is_busy)
    }

    fn track_sftp(&self, probe: ActivityProbe) {
        self.sftp
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(probe);
    }

    /// Counts an SCP transfer until the returned guard is dropped (at the end of the transfer's task).
    fn scp_started(self: &Arc<Self>) -> ScpBusy {
        self.scp.fetch_add(1, Ordering::AcqRel);
        ScpBusy(Arc::clone(self))
    }
}

/// A running SCP transfer, counted in its connection's [`Activity`].
#[derive(Debug)]
pub(crate) struct ScpBusy(Arc<Activity>);

impl Drop for ScpBusy {
    fn drop(&mut self) {
        self.0.scp.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One SSH connection.
#[derive(Debug)]
pub(crate) struct SshHandler {
    shared: Arc<Shared>,
    conn_id: u64,
    peer: SocketAddr,
    /// Set once authenticated.
    user: Option<String>,
    /// The login method that succeeded, for the log.
    method: &'static str,
    /// The key accepted when offered, so the signed request need not ask the provider again.
    offered: Option<Offered>,
    /// A first step (public key) that succeeded in a multi-step login.
    partial: Option<Partial>,
    channels: usize,
    /// The effective user of the last successful check, kept for the session once the login completes.
    candidate: Option<User>,
    /// The authenticated user.
    verified: Option<Arc<User>>,
    /// The worker's file I/O engine, for the user's VFS.
    io: Io,
    /// Open SFTP subsystems by channel.
    sftp: HashMap<ChannelId, SftpSession>,
    /// Running scp sessions by channel; dropping one ends its input.
    scp: HashMap<ChannelId, ScpInput>,
    /// Shared with the connection's serving future, which waits for it to go idle when the server drains.
    activity: Arc<Activity>,
}

#[derive(Debug)]
struct Offered {
    user: String,
    key: String,
    next_methods: Vec<&'static str>,
}

/// A public key accepted as the first step of a multi-step login.
#[derive(Debug)]
struct Partial {
    user: String,
    /// `password` and/or `keyboard-interactive`, the ones enabled on this server.
    next_methods: Vec<&'static str>,
}

fn method_set(names: &[&str]) -> MethodSet {
    let mut set = MethodSet::empty();
    for name in names {
        match *name {
            "password" => set.push(MethodKind::Password),
            "keyboard-interactive" => set.push(MethodKind::KeyboardInteractive),
            _ => {}
        }
    }
    set
}

impl SshHandler {
    pub(crate) fn new(
        shared: Arc<Shared>,
        conn_id: u64,
        peer: SocketAddr,
        io: Io,
        activity: Arc<Activity>,
    ) -> Self {
        Self {
            shared,
            conn_id,
            peer,
            user: None,
            method: "none",
            offered: None,
            partial: None,
            channels: 0,
            candidate: None,
            verified: None,
            io,
            sftp: HashMap::new(),
            scp: HashMap::new(),
            activity,
        }
    }

    /// A rejection that keeps every method open, so a client may retry (russh otherwise drops the method).
    /// During a multi-step login, only the methods that can complete it are listed.
    fn reject(&self) -> Auth {
        let methods = match &self.partial {
            Some(p) => method_set(&p.next_methods),
            None => self.shared.methods.clone(),
        };
        Auth::Reject {
            proceed_with_methods: Some(methods),
            partial_success: false,
        }
    }

    /// The method name to check a password under: the combined one (`publickey+password`) when it completes a
    /// multi-step login of `user`.
    fn password_step(&mut self, user: &str, method: &'static str) -> &'static str {
        if self.partial.as_ref().is_some_and(|p| p.user != user) {
            // A new user name restarts authentication (RFC 4252 §5).
            self.partial = None;
        }
        match (&self.partial, method) {
            (Some(p), "password") if p.next_methods.contains(&"password") => "publickey+password",
            (Some(p), "keyboard-interactive")
                if p.next_methods.contains(&"keyboard-interactive") =>
            {
                "publickey+keyboard-interactive"
            }
            _ => method,
        }
    }

    fn refuse(&self, user: &str, method: &'static str, reason: &dyn std::fmt::Display) -> Auth {
        tracing::warn!(user, ip = %self.peer.ip(), method, %reason, "SSH login refused");
        self.reject()
    }

    fn accept(&mut self, user: &str, method: &'static str) -> Auth {
        let verified = self.candidate.take().filter(|u| u.username == user);
        // The user's session limit counts their connections over every protocol; the registry counts and
        // records under one lock.
        if let Some(registry) = self.shared.registry.get() {
            let limit = verified
                .as_ref()
                .map_or(0, |u| usize::try_from(u.max_sessions).unwrap_or(0));
            if let Err(live) = registry.claim_user(self.conn_id, user, limit) {
                let reason = format!("too many sessions ({live} open, max_sessions {limit})");
                return self.refuse(user, method, &reason);
            }
        }
        self.verified = verified.map(Arc::new);
        self.user = Some(user.to_owned());
        self.method = method;
        Auth::Accept
    }

    async fn check_password(&mut self, user: &str, password: String, method: &'static str) -> Auth {
        let method = self.password_step(user, method);
        let credential = Credential::Password { password, method };
        match self
            .shared
            .auth
            .check(user, self.peer.ip(), credential)
            .await
        {
            Ok(v)
                if !method.starts_with("publickey+")
                    && v.user
                        .filters
                        .denied_login_methods
                        .iter()
                        .any(|m| m == "password-over-SSH") =>
            {
                self.refuse(user, method, &AuthError::MethodDenied("password-over-SSH"))
            }
            Ok(v) => {
                self.candidate = Some(v.user);
                self.accept(user, method)
            }
            Err(e) => self.refuse(user, method, &e),
        }
    }

    /// Checks a public key; on success returns its OpenSSH line and the methods still needed (enabled ones).
    async fn check_key(
        &mut self,
        user: &str,
        key: &PublicKey,
        algorithm: &Algorithm,
    ) -> Result<(String, Vec<&'static str>), Auth> {
        if !self.shared.public_key_algorithms.contains(algorithm) {
            return Err(self.refuse(
                user,
                "publickey",
                &format_args!("public key algorithm {} not allowed", algorithm.as_str()),
            ));
        }
        let line = key
            .to_openssh()
            .map_err(|e| self.refuse(user, "publickey", &e))?;
        let credential = Credential::PublicKey { key: line.clone() };
        match self
            .shared
            .auth
            .check(user, self.peer.ip(), credential)
            .await
        {
            Ok(v) if v.next_methods.is_empty() => {
                self.candidate = Some(v.user);
                Ok((line, Vec::new()))
            }
            Ok(v) => {
                self.candidate = Some(v.user.clone());
                let next: Vec<_> = v
                    .next_methods
                    .into_iter()
                    .filter(|m| match *m {
                        "password" => self.shared.password,
                        "keyboard-interactive" => self.shared.keyboard_interactive,
                        _ => false,
                    })
                    .collect();
                if next.is_empty() {
                    Err(self.refuse(
                        user,
                        "publickey",
                        &"the second login step is disabled on this server",
                    ))
                } else {
                    Ok((line, next))
                }
            }
            Err(e) => Err(self.refuse(user, "publickey", &e)),
        }
    }

    /// A verified key: the login is complete, or its first step is.
    fn key_verified(&mut self, user: &str, next_methods: Vec<&'static str>) -> Auth {
        if next_methods.is_empty() {
            return self.accept(user, "publickey");
        }
        tracing::info!(user, ip = %self.peer.ip(), next = ?next_methods, "SSH public key accepted; a second step is required");
        let methods = method_set(&next_methods);
        self.partial = Some(Partial {
            user: user.to_owned(),
            next_methods,
        });
        Auth::Reject {
            proceed_with_methods: Some(methods),
            partial_success: true,
        }
    }

    /// Sends `stdout`/`stderr`, the exit status, EOF and close: the end of a one-shot exec.
    fn finish_exec(
        session: &mut Session,
        channel: ChannelId,
        stdout: &str,
        stderr: &str,
        status: u32,
    ) -> Result<(), russh::Error> {
        if !stdout.is_empty() {
            session.data(channel, stdout.as_bytes().to_vec())?;
        }
        if !stderr.is_empty() {
            session.extended_data(channel, 1, stderr.as_bytes().to_vec())?;
        }
        session.exit_status_request(channel, status)?;
        session.eof(channel)?;
        session.close(channel)
    }

    /// The authenticated user's storage (opening it completes without the loop's help, rule 3).
    async fn open_vfs(&self) -> Option<ringway_vfs::Vfs> {
        let user = self.verified.clone()?;
        match self
            .shared
            .vfs
            .open(Arc::clone(&user), self.io.clone())
            .await
        {
            Ok(vfs) => Some(vfs),
            Err(e) => {
                tracing::warn!(user = %user.username, cause = %e, "cannot open the user's storage");
                None
            }
        }
    }

    fn user_for_log(&self) -> &str {
        self.user.as_deref().unwrap_or("")
    }
}

impl Handler for SshHandler {
    type Error = russh::Error;

    async fn authentication_banner(&mut self) -> Result<Option<String>, Self::Error> {
        Ok(self.shared.banner.clone())
    }

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        // OpenSSH probes with "none" to learn the methods: not a refusal worth logging.
        Ok(self.reject())
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if !self.shared.password {
            return Ok(self.refuse(user, "password", &"password authentication is disabled"));
        }
        Ok(self
            .check_password(user, password.to_owned(), "password")
            .await)
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        self.offered = None;
        Ok(
            match self
                .check_key(user, offer.public_key, offer.algorithm)
                .await
            {
                Ok((key, next_methods)) => {
                    self.offered = Some(Offered {
                        user: user.to_owned(),
                        key,
                        next_methods,
                    });
                    Auth::Accept
                }
                Err(refused) => refused,
            },
        )
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let line = key.public_key.to_openssh().ok();
        if let Some(offered) = self.offered.take()
            && offered.user == user
            && Some(&offered.key) == line.as_ref()
        {
            return Ok(self.key_verified(user, offered.next_methods));
        }
        // russh asks `auth_publickey_offered` before verifying, so this is only reached if that answer was lost.
        Ok(
            match self.check_key(user, key.public_key, key.algorithm).await {
                Ok((_, next_methods)) => self.key_verified(user, next_methods),
                Err(refused) => refused,
            },
        )
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        if !self.shared.keyboard_interactive {
            return Ok(self.refuse(
                user,
                "keyboard-interactive",
                &"keyboard-interactive authentication is disabled",
            ));
        }
        let Some(mut response) = response else {
            return Ok(Auth::Partial {
                name: "".into(),
                instructions: "".into(),
                prompts: vec![("Password: ".into(), false)].into(),
            });
        };
        let answer = response.next();
        let Some(password) = answer.and_then(|b| String::from_utf8(b.to_vec()).ok()) else {
            return Ok(self.refuse(
                user,
                "keyboard-interactive",
                &"no usable answer to the password prompt",
            ));
        };
        Ok(self
            .check_password(user, password, "keyboard-interactive")
            .await)
    }

    async fn auth_succeeded(&mut self, _session: &mut Session) -> Result<(), Self::Error> {
        let user = self.user_for_log().to_owned();
        tracing::info!(user = %user, ip = %self.peer.ip(), method = self.method, "SSH login");
        self.activity.authenticated.store(true, Ordering::Release);
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<russh::server::Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Rule 1: never hold the Channel, so russh's loop never waits on its queue.
        drop(channel);
        if self.channels >= MAX_CHANNELS {
            tracing::warn!(
                user = self.user_for_log(),
                "too many session channels; refusing another"
            );
            reply.reject(ChannelOpenFailure::ResourceShortage).await;
            return Ok(());
        }
        self.channels += 1;
        reply.accept().await;
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels = self.channels.saturating_sub(1);
        self.scp.remove(&channel);
        if let Some(s) = self.sftp.remove(&channel) {
            sftp::finish(s, session.handle(), channel);
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.scp.remove(&channel);
        if let Some(s) = self.sftp.remove(&channel) {
            sftp::finish(s, session.handle(), channel);
        }
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(input) = self.scp.get(&channel) {
            if !input.feed(data).await {
                tracing::info!(
                    user = self.user_for_log(),
                    "SCP session closed: the client floods"
                );
                self.scp.remove(&channel);
                session.close(channel)?;
            }
            return Ok(());
        }
        let Some(s) = self.sftp.get_mut(&channel) else {
            return Ok(());
        };
        if let Err(e) = s.feed(data).await {
            tracing::info!(user = self.user_for_log(), cause = %e, "SFTP session closed");
            if let Some(s) = self.sftp.remove(&channel) {
                sftp::finish(s, session.handle(), channel);
            }
        }
        Ok(())
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<russh::server::Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        drop(channel);
        tracing::info!(
            user = self.user_for_log(),
            host = host_to_connect,
            port = port_to_connect,
            "port forwarding refused"
        );
        reply
            .reject(ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn tcpip_forward(
        &mut self,
        address: &str,
        port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        tracing::info!(
            user = self.user_for_log(),
            address,
            port = *port,
            "remote port forwarding refused"
        );
        Ok(false)
    }

    async fn agent_request(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        tracing::debug!(user = self.user_for_log(), "agent forwarding refused");
        Ok(false)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        tracing::debug!(user = self.user_for_log(), "X11 forwarding refused");
        session.channel_failure(channel)
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        tracing::debug!(user = self.user_for_log(), "pty refused");
        session.channel_failure(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        tracing::info!(user = self.user_for_log(), "shell refused");
        session.channel_failure(channel)?;
        session.close(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if name == "sftp" {
            let Some(user) = self.verified.clone() else {
                tracing::warn!("SFTP requested before a complete login");
                session.channel_failure(channel)?;
                return session.close(channel);
            };
            match self
                .shared
                .vfs
                .open(Arc::clone(&user), self.io.clone())
                .await
            {
                Ok(vfs) => {
                    tracing::info!(user = %user.username, "SFTP session started");
                    let s = sftp::start(vfs, session.handle(), channel, self.shared.sftp_config);
                    self.activity.track_sftp(s.activity());
                    self.sftp.insert(channel, s);
                    return session.channel_success(channel);
                }
                Err(e) => {
                    tracing::warn!(user = %user.username, cause = %e, "cannot open the user's storage");
                }
            }
        } else {
            tracing::info!(
                user = self.user_for_log(),
                subsystem = name,
                "unknown subsystem refused"
            );
        }
        session.channel_failure(channel)?;
        session.close(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let command = commands::parse(data, &self.shared.enabled_commands);
        session.channel_success(channel)?;
        match command {
            Command::Pwd => {
                tracing::info!(user = self.user_for_log(), command = "pwd", "SSH command");
                Self::finish_exec(session, channel, "/\n", "", 0)
            }
            Command::Cd => Self::finish_exec(session, channel, "", "", 0),
            Command::Hash { algorithm, paths } => {
                let Some(vfs) = self.open_vfs().await else {
                    return Self::finish_exec(session, channel, "", "cannot open storage\n", 1);
                };
                hashsum::spawn(vfs, session.handle(), channel, algorithm, paths);
                Ok(())
            }
            Command::Scp(args) => {
                let Some(vfs) = self.open_vfs().await else {
                    return Self::finish_exec(session, channel, "", "cannot open storage\n", 1);
                };
                tracing::info!(user = self.user_for_log(), direction = ?args.direction, "SCP session started");
                let busy = self.activity.scp_started();
                let input = scp::start(vfs, session.handle(), channel, args, busy);
                self.scp.insert(channel, input);
                Ok(())
            }
            Command::Refused { name, message } => {
                tracing::info!(user = self.user_for_log(), command = %name, "SSH command refused");
                Self::finish_exec(session, channel, "", &message, 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    fn handler() -> SshHandler {
        let mut methods = MethodSet::empty();
        for m in [
            MethodKind::PublicKey,
            MethodKind::Password,
            MethodKind::KeyboardInteractive,
        ] {
            methods.push(m);
        }
        let shared = Shared {
            auth: AuthClient::disconnected(),
            methods,
            password: true,
            keyboard_interactive: true,
            public_key_algorithms: crate::algorithms::public_key_algorithms(
                &ringway_config::SftpdConfig::default(),
            )
            .unwrap(),
            banner: None,
            enabled_commands: Vec::new(),
            registry: OnceLock::new(),
            vfs: VfsFactory::new(|_, _| {
                Box::pin(async {
                    Err(ringway_core::StorageError::with_context(
                        ringway_core::ErrorKind::Unsupported,
                        "no storage in this test",
                    ))
                })
            }),
            sftp_config: SessionConfig::default(),
        };
        let io = Io::new(
            ringway_uring::IoMode::ThreadPool,
            ringway_uring::IoConfig::default(),
        )
        .unwrap();
        SshHandler::new(
            Arc::new(shared),
            1,
            "127.0.0.1:2222".parse().unwrap(),
            io,
            Arc::default(),
        )
    }

    fn listed(auth: &Auth) -> Vec<MethodKind> {
        match auth {
            Auth::Reject {
                proceed_with_methods: Some(m),
                ..
            } => m.to_vec(),
            other => panic!("not a rejection listing methods: {other:?}"),
        }
    }

    #[test]
    fn rejections_keep_methods_open_and_second_steps_use_combined_names() {
        let mut h = handler();
        assert_eq!(listed(&h.reject()).len(), 3);
        assert_eq!(h.password_step("frank", "password"), "password");
        let partial = h.key_verified("frank", vec!["password"]);
        assert!(matches!(
            partial,
            Auth::Reject {
                partial_success: true,
                ..
            }
        ));
        assert_eq!(listed(&h.reject()), [MethodKind::Password]);
        assert_eq!(h.password_step("frank", "password"), "publickey+password");
        assert_eq!(
            h.password_step("frank", "keyboard-interactive"),
            "keyboard-interactive"
        );
        // Another user name starts over.
        assert_eq!(h.password_step("eve", "password"), "password");
        assert!(h.partial.is_none());
        assert_eq!(h.key_verified("frank", Vec::new()), Auth::Accept);
        assert_eq!(h.user.as_deref(), Some("frank"));
    }

    #[test]
    fn logins_fail_when_the_control_plane_is_gone() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut h = handler();
        let auth = rt.block_on(h.check_password("alice", "secret".into(), "password"));
        assert!(matches!(
            auth,
            Auth::Reject {
                partial_success: false,
                ..
            }
        ));
        assert!(h.user.is_none());
    }

    /// Rule 9: russh spawns sessions with `tokio::spawn`, so the handler's futures must be `Send`.
    #[test]
    fn handler_is_send() {
        fn check<H: Handler + Send + 'static>() {}
        check::<SshHandler>();
        assert_send(MethodSet::from(&[MethodKind::PublicKey][..]));
    }
}
