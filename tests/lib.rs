//! Helpers for black-box tests: find the built `ringway` binary, pick free ports, run a server in a temporary
//! config dir, and speak just enough HTTP to probe it.
//!
//! The binary is `$RINGWAY_BIN` when set, else `ringway` next to the test executable's `deps/` directory (the
//! same Cargo target dir). The test command builds it first.
#![forbid(unsafe_code)]

pub mod client;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Path of the `ringway` binary under test.
///
/// # Panics
/// When it cannot be found: build it with `cargo build -p ringway` (the README test command does).
#[must_use]
pub fn ringway_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("RINGWAY_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let bin = profile_dir.join("ringway");
    assert!(
        bin.exists(),
        "{} not found: run `cargo build -p ringway` first or set RINGWAY_BIN",
        bin.display()
    );
    bin
}

/// A TCP port that was free a moment ago on 127.0.0.1.
///
/// # Panics
/// When no port can be bound.
#[must_use]
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind port 0")
        .port()
}

/// A `ringway serve` process in its own config dir, killed on drop.
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    /// The config dir (removed on drop).
    pub dir: tempfile::TempDir,
    /// Admin HTTP address.
    pub http: SocketAddr,
    /// SSH address (`sftpd.bindings[0]`, on 127.0.0.1 unless `env` moves it).
    pub ssh: SocketAddr,
}

impl Server {
    /// Starts `ringway serve` with the admin listener on a free port, extra `RINGWAY_*` variables, and logs in
    /// `<dir>/ringway.log`; waits until `/healthz` answers.
    ///
    /// # Panics
    /// When the server does not come up within 20 seconds (the log is printed).
    #[must_use]
    pub fn start(env: &[(&str, &str)]) -> Self {
        Self::start_in(tempfile::tempdir().expect("tempdir"), env)
    }

    /// Stops the server with SIGTERM (it must exit 0 within 20 s) and starts it again in the same config dir
    /// with `env`, so its database and keys carry over.
    ///
    /// # Panics
    /// As [`Server::terminate`] and [`Server::start`], or when the first run did not exit with 0.
    #[must_use]
    pub fn restart(mut self, env: &[(&str, &str)]) -> Self {
        let (status, _) = self.terminate(Duration::from_secs(20));
        assert!(
            status.success(),
            "exit status {status}; log:\n{}",
            self.log()
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let old = std::mem::replace(&mut self.dir, dir);
        Self::start_in(old, env)
    }

    /// As [`Server::start`], in an existing config dir.
    ///
    /// # Panics
    /// As [`Server::start`].
    #[must_use]
    pub fn start_in(dir: tempfile::TempDir, env: &[(&str, &str)]) -> Self {
        let mut dir = dir;
        // A port picked free can be taken by a parallel test before the server binds it: start again with new
        // ports when the server stops with "address in use".
        for _ in 0..4 {
            match Self::try_start_in(dir, env) {
                Ok(server) => return server,
                Err(d) => dir = d,
            }
        }
        Self::try_start_in(dir, env).unwrap_or_else(|_| panic!("no free ports after 5 tries"))
    }

    fn try_start_in(
        dir: tempfile::TempDir,
        env: &[(&str, &str)],
    ) -> Result<Self, tempfile::TempDir> {
        let port = free_port();
        let ssh_port = env
            .iter()
            .find(|(k, _)| *k == "RINGWAY_SFTPD__BINDINGS__0__PORT")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or_else(free_port);
        let mut cmd = Command::new(ringway_bin());
        cmd.args(["serve", "--config-dir"])
            .arg(dir.path())
            .args(["--log-file", "ringway.log", "--log-level", "debug"])
            .env("RINGWAY_HTTPD__BINDINGS__0__PORT", port.to_string())
            .env("RINGWAY_HTTPD__BINDINGS__0__ADDRESS", "127.0.0.1")
            .env("RINGWAY_SFTPD__BINDINGS__0__PORT", ssh_port.to_string())
            .env("RINGWAY_SFTPD__BINDINGS__0__ADDRESS", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn ringway");
        let mut server = Self {
            child: Some(child),
            dir,
            http: SocketAddr::from(([127, 0, 0, 1], port)),
            ssh: SocketAddr::from(([127, 0, 0, 1], ssh_port)),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok((200, _)) = http_get(server.http, "/healthz") {
                return Ok(server);
            }
            let exited = server
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
                .is_some();
            if exited {
                let mut stderr = String::new();
                if let Some(err) = server.child.as_mut().and_then(|c| c.stderr.as_mut()) {
                    use std::io::Read as _;
                    let _ = err.read_to_string(&mut stderr);
                }
                if stderr.contains("in use") || server.log().contains("in use") {
                    server.child = None;
                    let dir =
                        std::mem::replace(&mut server.dir, tempfile::tempdir().expect("tempdir"));
                    return Err(dir);
                }
            }
            assert!(
                Instant::now() < deadline,
                "server did not come up; log:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's log so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ringway.log")).unwrap_or_default()
    }

    /// The process id.
    ///
    /// # Panics
    /// After [`Server::terminate`].
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the status and how long it took.
    ///
    /// # Panics
    /// When the process does not exit in time (it is then killed).
    pub fn terminate(&mut self, timeout: Duration) -> (ExitStatus, Duration) {
        let mut child = self.child.take().expect("running");
        let pid =
            rustix::process::Pid::from_raw(i32::try_from(child.id()).expect("pid")).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("send SIGTERM");
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return (status, start.elapsed());
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                panic!("ringway did not exit within {timeout:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A minimal HTTP/1.1 GET: returns the status code and the body.
///
/// # Errors
/// When the connection fails or the answer is not HTTP.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out.get(9..12).and_then(|c| c.parse().ok()).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not HTTP: {out:?}"),
        )
    })?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Runs `ringway` with `args` in `dir` and a clean `RINGWAY_*` environment plus `env`; returns (status,
/// stdout, stderr).
///
/// # Panics
/// When the binary cannot be run.
#[must_use]
pub fn run_ringway(
    args: &[&str],
    dir: &Path,
    env: &[(&str, &str)],
) -> (ExitStatus, String, String) {
    let mut cmd = Command::new(ringway_bin());
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("RINGWAY_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run ringway");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
