//! The data plane's door to the authentication service.
//!
//! [`Accounts`] queries the provider through sqlx, whose connections belong to the control-plane runtime; the
//! SSH sessions run on the workers' `current_thread` runtimes. So sessions never call [`Accounts`] directly: an
//! [`AuthClient`] sends each check over a tokio `mpsc` channel to [`AuthService`], a task on the control plane,
//! and awaits the answer on a `oneshot` (both work across runtimes). Each check runs in its own control-plane
//! task, so a slow password hash does not hold up other logins.

use std::net::IpAddr;

use ringway_auth::{Accounts, AuthError, Protocol};
use ringway_model::User;
use tokio::sync::{mpsc, oneshot};

/// Checks waiting for the control plane before senders have to wait.
const QUEUE: usize = 256;

/// What a client proves its identity with.
#[derive(Debug)]
pub enum Credential {
    /// A password, by the `password` or `keyboard-interactive` method.
    Password {
        /// The secret; never logged.
        password: String,
        /// The login method name as in `denied_login_methods`.
        method: &'static str,
    },
    /// A public key whose ownership russh verifies (or will verify) with a signature, as an OpenSSH line.
    PublicKey {
        /// `algorithm base64` form.
        key: String,
    },
}

/// A successful check.
#[derive(Debug)]
pub struct Verdict {
    /// The effective user (groups applied).
    pub user: User,
    /// Methods that must still succeed before the login is complete (`password`, `keyboard-interactive`):
    /// empty unless a public key was accepted as the first step of a multi-step login.
    pub next_methods: Vec<&'static str>,
}

struct Request {
    username: String,
    ip: IpAddr,
    credential: Credential,
    reply: oneshot::Sender<Result<Verdict, AuthError>>,
}

/// A cheap, `Send` handle that asks the control plane to check a login.
#[derive(Debug, Clone)]
pub struct AuthClient {
    tx: mpsc::Sender<Request>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("username", &self.username)
            .field("ip", &self.ip)
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// A client whose service is gone: every check fails with [`AuthError::Task`].
    #[cfg(test)]
    pub(crate) fn disconnected() -> Self {
        let (tx, _) = mpsc::channel(1);
        Self { tx }
    }

    /// Checks `credential` for `username` connecting over SSH from `ip`.
    ///
    /// # Errors
    /// [`AuthError`] with the reason; [`AuthError::Task`] when the control plane is gone.
    pub async fn check(
        &self,
        username: &str,
        ip: IpAddr,
        credential: Credential,
    ) -> Result<Verdict, AuthError> {
        let (reply, rx) = oneshot::channel();
        let request = Request {
            username: username.to_owned(),
            ip,
            credential,
            reply,
        };
        if self.tx.send(request).await.is_err() {
            return Err(AuthError::Task(
                "the authentication service has stopped".into(),
            ));
        }
        rx.await.unwrap_or_else(|_| {
            Err(AuthError::Task(
                "the authentication check was dropped".into(),
            ))
        })
    }
}

/// The control-plane side of [`AuthClient`].
#[derive(Debug)]
pub struct AuthService;

impl AuthService {
    /// Spawns the service on the current (control-plane) runtime and returns its client. The service ends when
    /// every client is dropped.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    #[must_use]
    pub fn spawn(accounts: Accounts) -> AuthClient {
        let (tx, mut rx) = mpsc::channel::<Request>(QUEUE);
        tokio::spawn(async move {
            while let Some(req) = rx.recv().await {
                let accounts = accounts.clone();
                tokio::spawn(async move {
                    let result = match req.credential {
                        Credential::Password { password, method } => accounts
                            .check_user_password(
                                &req.username,
                                &password,
                                req.ip,
                                Protocol::Ssh,
                                method,
                            )
                            .await
                            .map(|user| Verdict {
                                user,
                                next_methods: Vec::new(),
                            }),
                        Credential::PublicKey { key } => accounts
                            .check_user_public_key_steps(&req.username, &key, req.ip, Protocol::Ssh)
                            .await
                            .map(|(user, next_methods)| Verdict { user, next_methods }),
                    };
                    // The session may have gone away meanwhile; nothing to do then.
                    let _ = req.reply.send(result);
                });
            }
        });
        AuthClient { tx }
    }
}
