//! The servers under test: how each is installed, configured, started on loopback and stopped.
//!
//! Every server gets its own directory under the work dir (config, host key, logs, and the `home` its user sees as
//! the login directory), a free port picked at start, and one user, [`USER`], who logs in with the harness's
//! client key or with [`PASSWORD`]. A new protocol's peers (vsftpd, nginx WebDAV) are further [`Peer`]s with
//! their [`Protocol`]; the cases ask [`Peer::supports`] before they run.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::cases::Case;

/// The login name on every server.
pub(crate) const USER: &str = "ringwayperf";
/// The password of [`USER`] on every server.
pub(crate) const PASSWORD: &str = "perf-Passw0rd-1";

/// The protocol a peer serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// SFTP and SCP over SSH.
    Sftp,
}

/// What every server needs from the harness.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The harness's scratch directory.
    pub(crate) work: PathBuf,
    /// The ringway binary to run.
    pub(crate) ringway_bin: PathBuf,
    /// The client's private key (Ed25519, no passphrase) and its public line.
    pub(crate) key: PathBuf,
    pub(crate) public_key: String,
}

/// A server the harness can run.
pub(crate) trait Peer {
    /// Short name used in tables and on the command line.
    fn name(&self) -> &'static str;
    /// Whether it can run `case` (rclone serves no legacy SCP, for one).
    fn supports(&self, case: &Case) -> bool;
    /// Its version, as it reports it.
    fn version(&self, ctx: &Ctx) -> String;
    /// Starts it and waits until it accepts connections.
    fn start(&self, ctx: &Ctx) -> Result<Running>;
}

/// A started server; stopped (SIGTERM, then SIGKILL after 5 s) when dropped.
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) name: &'static str,
    pub(crate) child: Child,
    pub(crate) port: u16,
    /// Where the user's login directory is on disk.
    pub(crate) home: PathBuf,
    /// Owner to give files the harness puts into `home` (the OpenSSH peer logs in as a system user).
    pub(crate) owner: Option<(u32, u32)>,
    /// Processes in the server's tree when it is idle (sshd's listener alone, one ringway process...).
    pub(crate) idle_procs: usize,
    /// How long the server may take to see files the harness puts into `home` behind its back (rclone caches
    /// directory listings).
    pub(crate) sees_changes_after: Duration,
    /// Where its CPU time is read.
    pub(crate) meter: crate::procfs::CpuMeter,
}

impl Running {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU seconds the server has used so far.
    pub(crate) fn cpu(&self) -> f64 {
        self.meter.cpu(self.pid())
    }

    /// Gives `path` (in `home`) to the login user, recursively.
    pub(crate) fn chown(&self, path: &Path) -> Result<()> {
        if let Some((uid, gid)) = self.owner {
            let status = Command::new("chown")
                .arg("-R")
                .arg(format!("{uid}:{gid}"))
                .arg(path)
                .status()
                .context("run chown")?;
            if !status.success() {
                bail!("chown {} failed", path.display());
            }
        }
        Ok(())
    }

    /// Waits until the server's process tree is back to its idle size (sshd reaps its per-connection
    /// processes after the client is gone), at most `limit`.
    pub(crate) fn settle(&self, limit: Duration) {
        let until = Instant::now() + limit;
        while crate::procfs::tree(self.pid()).len() > self.idle_procs && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: sending a signal to our own child.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let until = Instant::now() + Duration::from_secs(5);
        let mut exited = false;
        while !exited && Instant::now() < until {
            exited = matches!(self.child.try_wait(), Ok(Some(_)));
            if !exited {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.meter.remove();
    }
}

/// A free TCP port on loopback (bound and released; the server binds it right after).
pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `port` on loopback sends an SSH identification line.
fn wait_ssh(port: u16, child: &mut Child, log: &Path) -> Result<()> {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("exited at start ({status}); log: {}", tail(log));
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            let mut buf = [0u8; 4];
            if s.read_exact(&mut buf).is_ok() && &buf == b"SSH-" {
                return Ok(());
            }
        }
        if Instant::now() > until {
            bail!(
                "no SSH banner on port {port} after 60 s; log: {}",
                tail(log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last lines of a log file, for error messages.
fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// A fresh directory (removed first), world-readable so a system user can reach files under it.
pub(crate) fn fresh_dir(path: &Path) -> Result<()> {
    if path.exists() {
        fs::remove_dir_all(path).with_context(|| format!("remove {}", path.display()))?;
    }
    fs::create_dir_all(path).with_context(|| format!("create {}", path.display()))?;
    set_mode(path, 0o755)
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

/// The first line a command prints (stdout, else stderr), or why it could not run.
fn version_line(cmd: &str, args: &[&str]) -> String {
    match Command::new(cmd).args(args).output() {
        Ok(out) => {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        }
        Err(e) => format!("{cmd}: {e}"),
    }
}

fn keygen(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .context("run ssh-keygen (is openssh-client installed?)")?;
    if !status.success() {
        bail!("ssh-keygen failed for {}", path.display());
    }
    Ok(())
}

/// Creates the client key pair under the work dir (kept between runs).
pub(crate) fn client_key(work: &Path) -> Result<(PathBuf, String)> {
    let key = work.join("client_ed25519");
    keygen(&key)?;
    let public = fs::read_to_string(key.with_extension("pub"))?
        .trim()
        .to_owned();
    Ok((key, public))
}

// ---------------------------------------------------------------------------------------------------------------
// ringway

/// ringway from a release build, on the embedded default (SQLite, local disk), its user made through the REST API.
#[derive(Debug)]
pub(crate) struct Ringway;

impl Peer for Ringway {
    fn name(&self) -> &'static str {
        "ringway"
    }

    fn supports(&self, _case: &Case) -> bool {
        true
    }

    fn version(&self, ctx: &Ctx) -> String {
        version_line(&ctx.ringway_bin.to_string_lossy(), &["--version"])
    }

    fn start(&self, ctx: &Ctx) -> Result<Running> {
        let base = ctx.work.join("ringway");
        let config = base.join("config");
        let home = base.join("home");
        fresh_dir(&config)?;
        fresh_dir(&home)?;
        let ssh_port = free_port()?;
        let http_port = free_port()?;
        let log = config.join("ringway.log");
        let admin_password = "perf-admin-pw";
        let child = Command::new(&ctx.ringway_bin)
            .args([
                "serve",
                "--log-level",
                "warn",
                "--log-file",
                "ringway.log",
                "--config-dir",
            ])
            .arg(&config)
            .env("RINGWAY_DEFAULT_ADMIN_USERNAME", "admin")
            .env("RINGWAY_DEFAULT_ADMIN_PASSWORD", admin_password)
            .env("RINGWAY_SFTPD__BINDINGS__0__ADDRESS", "127.0.0.1")
            .env("RINGWAY_SFTPD__BINDINGS__0__PORT", ssh_port.to_string())
            .env("RINGWAY_HTTPD__BINDINGS__0__ADDRESS", "127.0.0.1")
            .env("RINGWAY_HTTPD__BINDINGS__0__PORT", http_port.to_string())
            .env("RINGWAY_COMMON__MAX_PER_HOST_CONNECTIONS", "0")
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("start {}", ctx.ringway_bin.display()))?;
        let meter = crate::procfs::CpuMeter::attach(child.id(), self.name());
        // Built at once so that any failure below stops the server (Drop).
        let mut running = Running {
            name: self.name(),
            child,
            port: ssh_port,
            home: home.clone(),
            owner: None,
            idle_procs: 1,
            sees_changes_after: Duration::ZERO,
            meter,
        };
        wait_ssh(ssh_port, &mut running.child, &log)?;
        let http: SocketAddr = ([127, 0, 0, 1], http_port).into();
        let token = http_request(
            http,
            "GET",
            "/api/v2/token",
            &Auth::Basic("admin", admin_password),
            None,
        )?;
        let token: serde_json::Value = serde_json::from_str(&token)?;
        let bearer = token["access_token"]
            .as_str()
            .context("no access_token in the token reply")?
            .to_owned();
        let user = serde_json::json!({
            "username": USER,
            "password": PASSWORD,
            "status": 1,
            "home_dir": home,
            "public_keys": [ctx.public_key],
            "permissions": {"/": ["*"]},
        });
        http_request(
            http,
            "POST",
            "/api/v2/users",
            &Auth::Bearer(&bearer),
            Some(&user.to_string()),
        )?;
        Ok(running)
    }
}

enum Auth<'a> {
    Basic(&'a str, &'a str),
    Bearer(&'a str),
}

/// One HTTP/1.1 request with `Connection: close`; the body of a 2xx reply, an error otherwise.
fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: &Auth<'_>,
    body: Option<&str>,
) -> Result<String> {
    use base64::Engine as _;
    let mut s = TcpStream::connect(addr).with_context(|| format!("connect to {addr}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    match auth {
        Auth::Basic(u, p) => {
            let cred = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            let _ = write!(req, "Authorization: Basic {cred}\r\n");
        }
        Auth::Bearer(t) => {
            let _ = write!(req, "Authorization: Bearer {t}\r\n");
        }
    }
    let body = body.unwrap_or("");
    let _ = write!(
        req,
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    let status: u16 = reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    if !(200..300).contains(&status) {
        bail!("{method} {path}: HTTP {status}: {body}");
    }
    Ok(body)
}

// ---------------------------------------------------------------------------------------------------------------
// OpenSSH

/// OpenSSH's sshd with its sftp-server, on a high port with its own sshd_config and host key. It logs in a
/// system user, [`USER`], which the harness creates (or updates) with `useradd`/`chpasswd`; so it needs root.
#[derive(Debug)]
pub(crate) struct OpenSsh;

const SFTP_SERVER_PATHS: [&str; 3] = [
    "/usr/lib/openssh/sftp-server",
    "/usr/libexec/openssh/sftp-server",
    "/usr/libexec/sftp-server",
];

impl Peer for OpenSsh {
    fn name(&self) -> &'static str {
        "openssh"
    }

    fn supports(&self, _case: &Case) -> bool {
        true
    }

    fn version(&self, _ctx: &Ctx) -> String {
        version_line("ssh", &["-V"])
    }

    fn start(&self, ctx: &Ctx) -> Result<Running> {
        if !crate::procfs::is_root() {
            bail!(
                "the OpenSSH peer needs root: sshd switches to the login user (run the harness as root)"
            );
        }
        let sshd = Path::new("/usr/sbin/sshd");
        if !sshd.exists() {
            install_debian("openssh-server")?;
        }
        let sftp_server = SFTP_SERVER_PATHS
            .iter()
            .map(Path::new)
            .find(|p| p.exists())
            .context("sftp-server not found (openssh-sftp-server)")?;
        let base = ctx.work.join("openssh");
        let home = base.join("home");
        fs::create_dir_all(&base)?;
        set_mode(&base, 0o755)?;
        fresh_dir(&home)?;
        let (uid, gid) = system_user(&home)?;
        let hostkey = base.join("host_ed25519");
        keygen(&hostkey)?;
        let authorized = base.join("authorized_keys");
        fs::write(&authorized, format!("{}\n", ctx.public_key))?;
        set_mode(&authorized, 0o644)?;
        fs::create_dir_all("/run/sshd")?;
        let port = free_port()?;
        let log = base.join("sshd.log");
        let config = base.join("sshd_config");
        fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hostkey}\nAuthorizedKeysFile {authorized}\n\
                 PasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
                 PermitRootLogin no\nAllowUsers {USER}\nMaxStartups 100:30:200\nMaxSessions 20\nUseDNS no\n\
                 PidFile {pid}\nLogLevel ERROR\nSubsystem sftp {sftp}\n",
                hostkey = hostkey.display(),
                authorized = authorized.display(),
                pid = base.join("sshd.pid").display(),
                sftp = sftp_server.display(),
            ),
        )?;
        let child = Command::new(sshd)
            .arg("-D")
            .arg("-f")
            .arg(&config)
            .arg("-E")
            .arg(&log)
            .stdin(Stdio::null())
            .spawn()
            .context("start sshd")?;
        let meter = crate::procfs::CpuMeter::attach(child.id(), self.name());
        let mut running = Running {
            name: self.name(),
            child,
            port,
            home,
            owner: Some((uid, gid)),
            idle_procs: 1,
            sees_changes_after: Duration::ZERO,
            meter,
        };
        wait_ssh(port, &mut running.child, &log)?;
        running.settle(Duration::from_secs(5));
        Ok(running)
    }
}

/// Creates or updates the system user [`USER`] with `home` and [`PASSWORD`]; returns its uid and gid.
fn system_user(home: &Path) -> Result<(u32, u32)> {
    let exists = Command::new("id")
        .arg(USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?
        .success();
    let status = if exists {
        Command::new("usermod")
            .arg("-d")
            .arg(home)
            .args(["-s", "/bin/sh", USER])
            .status()
    } else {
        Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/bin/sh",
                "--home-dir",
            ])
            .arg(home)
            .arg(USER)
            .status()
    }
    .context("run useradd/usermod")?;
    if !status.success() {
        bail!("cannot create the system user {USER}");
    }
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .context("run chpasswd")?;
    chpasswd
        .stdin
        .take()
        .context("chpasswd stdin")?
        .write_all(format!("{USER}:{PASSWORD}\n").as_bytes())?;
    if !chpasswd.wait()?.success() {
        bail!("chpasswd failed for {USER}");
    }
    let id = |flag: &str| -> Result<u32> {
        let out = Command::new("id").arg(flag).arg(USER).output()?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
    };
    let (uid, gid) = (id("-u")?, id("-g")?);
    let status = Command::new("chown")
        .arg(format!("{uid}:{gid}"))
        .arg(home)
        .status()?;
    if !status.success() {
        bail!("chown {}", home.display());
    }
    Ok((uid, gid))
}

/// Installs a Debian package (as root), for peers missing on a fresh machine.
fn install_debian(package: &str) -> Result<()> {
    eprintln!("installing {package} with apt-get");
    let ok = |c: &mut Command| {
        c.env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let install = || ok(Command::new("apt-get").args(["install", "-y", "-q", package]));
    let installed = install() || (ok(Command::new("apt-get").args(["update", "-q"])) && install());
    if !installed {
        bail!("apt-get install {package} failed");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// rclone

/// `rclone serve sftp`: the Go SSH (golang.org/x/crypto/ssh) and SFTP (pkg/sftp) stack that SFTPGo is built on,
/// serving a local directory with a user/password and an authorized key.
#[derive(Debug)]
pub(crate) struct Rclone;

impl Peer for Rclone {
    fn name(&self) -> &'static str {
        "rclone"
    }

    fn supports(&self, case: &Case) -> bool {
        // rclone's SFTP server runs a few exec commands (md5sum, df...) but not the legacy scp protocol.
        !matches!(case, Case::ScpDownload | Case::ScpUpload)
    }

    fn version(&self, _ctx: &Ctx) -> String {
        version_line("rclone", &["version"])
    }

    fn start(&self, ctx: &Ctx) -> Result<Running> {
        if Command::new("rclone").arg("version").output().is_err() {
            install_debian("rclone")?;
        }
        let base = ctx.work.join("rclone");
        let home = base.join("home");
        fs::create_dir_all(&base)?;
        fresh_dir(&home)?;
        let hostkey = base.join("host_ed25519");
        keygen(&hostkey)?;
        let authorized = base.join("authorized_keys");
        fs::write(&authorized, format!("{}\n", ctx.public_key))?;
        let conf = base.join("rclone.conf");
        fs::write(&conf, "")?;
        let port = free_port()?;
        let log = base.join("rclone.log");
        let _ = fs::remove_file(&log);
        let child = Command::new("rclone")
            .args(["serve", "sftp"])
            .arg(&home)
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .args(["--user", USER, "--pass", PASSWORD])
            .arg("--authorized-keys")
            .arg(&authorized)
            .arg("--key")
            .arg(&hostkey)
            .arg("--config")
            .arg(&conf)
            .arg("--log-file")
            .arg(&log)
            // Its VFS caches listings (5 minutes by default); the harness puts test files in place on disk.
            .args(["--dir-cache-time", "1s"])
            .stdin(Stdio::null())
            .spawn()
            .context("start rclone serve sftp")?;
        let meter = crate::procfs::CpuMeter::attach(child.id(), self.name());
        let mut running = Running {
            name: self.name(),
            child,
            port,
            home,
            owner: None,
            idle_procs: 1,
            sees_changes_after: Duration::from_millis(1500),
            meter,
        };
        wait_ssh(port, &mut running.child, &log)?;
        Ok(running)
    }
}

/// The peers for `protocol`, ringway first.
pub(crate) fn peers(protocol: Protocol) -> Vec<Box<dyn Peer>> {
    match protocol {
        Protocol::Sftp => vec![Box::new(Ringway), Box::new(OpenSsh), Box::new(Rclone)],
    }
}
