//! The authentication service: the one place where admin and user credentials are checked.
//!
//! The REST API asks it about admins; the protocol servers ask it about users. A user login checks, in order:
//! the account exists and is enabled, is not expired, the client's address is allowed, the protocol and the
//! login method are not denied, and finally the credential. Only then is the effective user computed (settings
//! inherited from groups, see [`inherit`]). Every refusal reaches the client as the same "invalid credentials"
//! so that nothing about the account leaks; the precise reason is in [`AuthError`] for the server's log.
//!
//! Password checks run on the blocking pool (argon2id costs tens of milliseconds of CPU) and are remembered in
//! a bounded [`CredentialCache`], so repeated logins pay the hash once. Hashes in older formats are replaced
//! with the configured algorithm after a successful login.
#![forbid(unsafe_code)]

pub mod inherit;
pub mod snapshot;
pub mod usage;
pub mod view;

use std::net::IpAddr;
use std::sync::Arc;

use ringway_model::{Admin, Group, IpNet, User};
use ringway_password::{CredentialCache, Hasher, PasswordError, is_hashed};
use ringway_provider::{ObjectKind, Provider, ProviderError};

/// A protocol as named in `denied_protocols`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// SFTP, SCP and SSH commands.
    Ssh,
    /// FTP and FTPS.
    Ftp,
    /// WebDAV.
    Dav,
    /// The HTTP web client and REST user API.
    Http,
}

impl Protocol {
    /// The name used in `denied_protocols`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ssh => "SSH",
            Self::Ftp => "FTP",
            Self::Dav => "DAV",
            Self::Http => "HTTP",
        }
    }
}

/// Why a login was refused. Show clients only [`AuthError::client_message`].
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown account or wrong credential.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The account is disabled.
    #[error("account disabled")]
    Disabled,
    /// The account has expired.
    #[error("account expired")]
    Expired,
    /// The client's address is not allowed.
    #[error("login from {0} not allowed")]
    IpDenied(IpAddr),
    /// The protocol is denied to this account.
    #[error("protocol {0} denied")]
    ProtocolDenied(&'static str),
    /// The login method is denied to this account.
    #[error("login method {0} denied")]
    MethodDenied(&'static str),
    /// The stored hash cannot be checked.
    #[error("stored password cannot be checked: {0}")]
    Hash(#[from] PasswordError),
    /// The provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A hashing task did not complete (the runtime is shutting down).
    #[error("password task failed: {0}")]
    Task(String),
}

/// Runs CPU-heavy hashing off the IO threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
) -> Result<T, AuthError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => Ok(r?),
        Err(e) => Err(AuthError::Task(e.to_string())),
    }
}

impl AuthError {
    /// What a client is told: nothing that distinguishes an unknown user from a wrong password.
    #[must_use]
    pub fn client_message(&self) -> &'static str {
        match self {
            Self::Provider(_) | Self::Task(_) => "authentication is temporarily unavailable",
            _ => "invalid credentials",
        }
    }
}

/// The authentication service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Accounts {
    provider: Provider,
    hasher: Hasher,
    cache: Option<Arc<CredentialCache>>,
    generation: snapshot::Generation,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Whether `ip` passes an allow list and a deny list (the deny list wins; an empty allow list allows all).
#[must_use]
pub fn ip_allowed(ip: IpAddr, allowed: &[String], denied: &[String]) -> bool {
    let hit = |list: &[String]| {
        list.iter()
            .filter_map(|n| IpNet::parse(n).ok())
            .any(|n| n.contains(ip))
    };
    if hit(denied) {
        return false;
    }
    allowed.is_empty() || hit(allowed)
}

/// The (algorithm, base64 key) part of an OpenSSH public key line, without options or comment.
fn key_core(line: &str) -> Option<(&str, &str)> {
    let mut it = line.split_whitespace();
    let mut first = it.next()?;
    // Skip an options prefix (authorized_keys style) if present.
    while !(first.starts_with("ssh-") || first.starts_with("ecdsa-") || first.starts_with("sk-")) {
        first = it.next()?;
    }
    Some((first, it.next()?))
}

impl Accounts {
    /// A service over `provider`, hashing new passwords with `hasher`; `cache_capacity` of 0 disables the
    /// credential cache.
    #[must_use]
    pub fn new(provider: Provider, hasher: Hasher, cache_capacity: usize) -> Self {
        Self {
            provider,
            hasher,
            cache: (cache_capacity > 0).then(|| Arc::new(CredentialCache::new(cache_capacity))),
            generation: snapshot::Generation::default(),
        }
    }

    /// The generation counter that per-core [`snapshot::UserCache`]s watch; bump it after changing a user
    /// or a group.
    #[must_use]
    pub fn generation(&self) -> &snapshot::Generation {
        &self.generation
    }

    /// The provider behind the service.
    #[must_use]
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// Hashes `password` unless it is already a hash in a supported format (backups carry hashes).
    ///
    /// # Errors
    /// When hashing fails.
    pub async fn hash_if_plain(&self, password: &str) -> Result<String, AuthError> {
        if is_hashed(password) {
            return Ok(password.to_owned());
        }
        let hasher = self.hasher.clone();
        let plain = password.to_owned();
        blocking(move || hasher.hash(&plain)).await
    }

    /// Forgets cached verifications of `username` (after a password change).
    pub fn invalidate(&self, username: &str) {
        if let Some(c) = &self.cache {
            c.remove(username);
        }
    }

    /// Checks a secret that is never rehashed (an API key) against its stored hash, through the cache;
    /// `cache_key` names the credential (e.g. `apikey:<id>`).
    ///
    /// # Errors
    /// When the stored hash is in no supported format.
    pub async fn verify_secret(
        &self,
        cache_key: &str,
        stored: &str,
        plain: &str,
    ) -> Result<bool, AuthError> {
        if stored.is_empty() {
            return Ok(false);
        }
        if let Some(c) = &self.cache
            && c.check(cache_key, stored, plain)
        {
            return Ok(true);
        }
        let hasher = self.hasher.clone();
        let (s, p) = (stored.to_owned(), plain.to_owned());
        let ok = blocking(move || hasher.verify(&s, &p)).await?.is_match();
        if ok && let Some(c) = &self.cache {
            c.insert(cache_key, stored, plain);
        }
        Ok(ok)
    }

    /// Checks `plain` against `stored`; rehashes into the provider when the format is outdated.
    async fn check_password(
        &self,
        kind: ObjectKind,
        username: &str,
        stored: &str,
        plain: &str,
    ) -> Result<bool, AuthError> {
        let key = format!("{}:{username}", kind.name());
        if let Some(c) = &self.cache
            && c.check(&key, stored, plain)
        {
            return Ok(true);
        }
        let hasher = self.hasher.clone();
        let (s, p) = (stored.to_owned(), plain.to_owned());
        let verdict = blocking(move || hasher.verify(&s, &p)).await?;
        if !verdict.is_match() {
            return Ok(false);
        }
        let mut stored_now = stored.to_owned();
        if verdict.needs_rehash() {
            match self.hash_if_plain(plain).await {
                Ok(h) => {
                    self.provider
                        .set_field(kind, username, "password", Some(h.clone().into()))
                        .await?;
                    tracing::info!(
                        kind = kind.name(),
                        user = username,
                        "password hash upgraded"
                    );
                    stored_now = h;
                }
                Err(e) => {
                    tracing::warn!(cause = %e, user = username, "cannot upgrade the password hash")
                }
            }
        }
        if let Some(c) = &self.cache {
            c.insert(&key, &stored_now, plain);
        }
        Ok(true)
    }

    /// Checks an admin's username and password (for `/api/v2/token`), and the admin's allow list.
    ///
    /// # Errors
    /// [`AuthError`] with the reason.
    pub async fn check_admin_password(
        &self,
        username: &str,
        password: &str,
        ip: Option<IpAddr>,
    ) -> Result<Admin, AuthError> {
        let admin: Admin = self
            .provider
            .get(ObjectKind::Admin, username)
            .await?
            .ok_or(AuthError::InvalidCredentials)?;
        let stored = admin.password.as_deref().unwrap_or_default().to_owned();
        if stored.is_empty()
            || !self
                .check_password(ObjectKind::Admin, username, &stored, password)
                .await?
        {
            return Err(AuthError::InvalidCredentials);
        }
        if admin.status != 1 {
            return Err(AuthError::Disabled);
        }
        if let Some(ip) = ip
            && !ip_allowed(ip, &admin.filters.allow_list, &[])
        {
            return Err(AuthError::IpDenied(ip));
        }
        Ok(admin)
    }

    /// Checks what every user login checks before the credential.
    fn precheck(
        user: &User,
        ip: IpAddr,
        protocol: Protocol,
        method: &'static str,
    ) -> Result<(), AuthError> {
        if user.status != 1 {
            return Err(AuthError::Disabled);
        }
        if user.expiration_date > 0 && user.expiration_date < now_ms() {
            return Err(AuthError::Expired);
        }
        let f = &user.filters;
        if !ip_allowed(ip, &f.allowed_ip, &f.denied_ip) {
            return Err(AuthError::IpDenied(ip));
        }
        if f.denied_protocols.iter().any(|p| p == protocol.as_str()) {
            return Err(AuthError::ProtocolDenied(protocol.as_str()));
        }
        if f.denied_login_methods.iter().any(|m| m == method) {
            return Err(AuthError::MethodDenied(method));
        }
        Ok(())
    }

    async fn load_effective(&self, username: &str) -> Result<User, AuthError> {
        let user: User = self
            .provider
            .get(ObjectKind::User, username)
            .await?
            .ok_or(AuthError::InvalidCredentials)?;
        self.effective(user).await
    }

    /// The user with the settings of their groups applied.
    ///
    /// # Errors
    /// When the provider fails.
    pub async fn effective(&self, user: User) -> Result<User, AuthError> {
        let mut groups = Vec::with_capacity(user.groups.len());
        for m in &user.groups {
            if let Some(g) = self
                .provider
                .get::<Group>(ObjectKind::Group, &m.name)
                .await?
            {
                groups.push((m.group_type, g));
            }
        }
        Ok(inherit::apply(user, &groups))
    }

    /// Checks a user's password for `protocol` from `ip` and returns the effective user.
    ///
    /// `method` is the login method name as in `denied_login_methods` (`password`, `password-over-SSH`,
    /// `keyboard-interactive`).
    ///
    /// # Errors
    /// [`AuthError`] with the reason.
    pub async fn check_user_password(
        &self,
        username: &str,
        password: &str,
        ip: IpAddr,
        protocol: Protocol,
        method: &'static str,
    ) -> Result<User, AuthError> {
        let user = self.load_effective(username).await?;
        Self::precheck(&user, ip, protocol, method)?;
        let stored = user.password.as_deref().unwrap_or_default().to_owned();
        if stored.is_empty()
            || !self
                .check_password(ObjectKind::User, username, &stored, password)
                .await?
        {
            return Err(AuthError::InvalidCredentials);
        }
        Ok(user)
    }

    /// Checks that `public_key` (an OpenSSH public key line) is one of the user's keys.
    ///
    /// # Errors
    /// [`AuthError`] with the reason.
    pub async fn check_user_public_key(
        &self,
        username: &str,
        public_key: &str,
        ip: IpAddr,
        protocol: Protocol,
    ) -> Result<User, AuthError> {
        let user = self.load_effective(username).await?;
        Self::precheck(&user, ip, protocol, "publickey")?;
        let wanted = key_core(public_key).ok_or(AuthError::InvalidCredentials)?;
        if user.public_keys.iter().any(|k| key_core(k) == Some(wanted)) {
            Ok(user)
        } else {
            Err(AuthError::InvalidCredentials)
        }
    }

    /// The first step of a possibly multi-step SSH login: checks that `public_key` is one of the user's keys,
    /// and returns the effective user with the methods that must complete the login. The list is empty when the
    /// key alone logs in; when the user denies `publickey` alone, it names `password` and/or
    /// `keyboard-interactive` as `publickey+password` and `publickey+keyboard-interactive` allow (check the
    /// second step with [`Accounts::check_user_password`] and those combined method names).
    ///
    /// # Errors
    /// [`AuthError`] with the reason, [`AuthError::MethodDenied`] when no method combination allows the key.
    pub async fn check_user_public_key_steps(
        &self,
        username: &str,
        public_key: &str,
        ip: IpAddr,
        protocol: Protocol,
    ) -> Result<(User, Vec<&'static str>), AuthError> {
        const STEPS: [(&str, &str); 2] = [
            ("publickey+password", "password"),
            ("publickey+keyboard-interactive", "keyboard-interactive"),
        ];
        let user = self.load_effective(username).await?;
        let denied = |m: &str| user.filters.denied_login_methods.iter().any(|d| d == m);
        let (method, next) = if denied("publickey") {
            let allowed: Vec<_> = STEPS.iter().filter(|(combo, _)| !denied(combo)).collect();
            // Check the rest of the policy under a combination the user allows (or fail on `publickey`).
            let method = allowed.first().map_or("publickey", |(combo, _)| *combo);
            (method, allowed.iter().map(|(_, m)| *m).collect())
        } else {
            ("publickey", Vec::new())
        };
        Self::precheck(&user, ip, protocol, method)?;
        let wanted = key_core(public_key).ok_or(AuthError::InvalidCredentials)?;
        if user.public_keys.iter().any(|k| key_core(k) == Some(wanted)) {
            Ok((user, next))
        } else {
            Err(AuthError::InvalidCredentials)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_lists() {
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(ip_allowed(ip, &[], &[]));
        assert!(ip_allowed(ip, &s(&["10.0.0.0/8"]), &[]));
        assert!(!ip_allowed(ip, &s(&["192.168.0.0/16"]), &[]));
        assert!(!ip_allowed(ip, &s(&["10.0.0.0/8"]), &s(&["10.1.2.3/32"])));
    }

    #[test]
    fn public_key_lines_compare_by_key() {
        let a = "ssh-ed25519 AAAAC3Nza alice@host";
        assert_eq!(key_core(a), Some(("ssh-ed25519", "AAAAC3Nza")));
        assert_eq!(key_core("no-pty ssh-ed25519 AAAAC3Nza"), key_core(a));
        assert_eq!(key_core("garbage"), None);
    }
}
