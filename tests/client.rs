//! Shared client helpers for the black-box tests: the REST API through `curl`, users, SSH keys, and the
//! OpenSSH client (`ssh`, `sshpass`) with the options every test uses.
#![allow(clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::Server;

pub const ROOT_PASS: &str = "root-pass-1";

/// A default admin and cheap argon2id hashing.
pub fn env(admin: &str) -> Vec<(&str, &str)> {
    vec![
        ("RINGWAY_DEFAULT_ADMIN_USERNAME", admin),
        ("RINGWAY_DEFAULT_ADMIN_PASSWORD", ROOT_PASS),
        (
            "RINGWAY_DATA_PROVIDER__PASSWORD_HASHING__ARGON2_OPTIONS__MEMORY",
            "8192",
        ),
    ]
}

pub fn curl(args: &[&str], body: Option<&Value>) -> (u16, Value) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "30", "-w", "\n%{http_code}"])
        .args(args);
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "--data-binary"])
            .arg(b.to_string());
    }
    let out = cmd.output().expect("run curl");
    assert!(out.status.success(), "curl {args:?}: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (text, code) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    (
        code.trim().parse().expect("status code"),
        serde_json::from_str(text).unwrap_or(Value::Null),
    )
}

/// A REST client logged in as the default admin.
#[derive(Debug)]
pub struct Admin {
    base: String,
    bearer: String,
}

impl Admin {
    /// Logs in as `admin` with [`ROOT_PASS`].
    ///
    /// # Panics
    /// When the token cannot be had.
    #[must_use]
    pub fn login(server: &Server, admin: &str) -> Self {
        let base = format!("http://{}", server.http);
        let (status, body) = curl(
            &[
                "-u",
                &format!("{admin}:{ROOT_PASS}"),
                &format!("{base}/api/v2/token"),
            ],
            None,
        );
        assert_eq!(status, 200, "{body}");
        let token = body["access_token"].as_str().expect("token");
        Self {
            bearer: format!("Authorization: Bearer {token}"),
            base,
        }
    }

    /// `GET path`.
    #[must_use]
    pub fn get(&self, path: &str) -> (u16, Value) {
        curl(&["-H", &self.bearer, &format!("{}{path}", self.base)], None)
    }

    /// `DELETE path`.
    #[must_use]
    pub fn delete(&self, path: &str) -> (u16, Value) {
        curl(
            &[
                "-X",
                "DELETE",
                "-H",
                &self.bearer,
                &format!("{}{path}", self.base),
            ],
            None,
        )
    }

    /// `POST /api/v2/users`, expecting 201.
    ///
    /// # Panics
    /// On any other answer.
    pub fn create_user(&self, user: &Value) {
        let (status, body) = curl(
            &[
                "-X",
                "POST",
                "-H",
                &self.bearer,
                &format!("{}/api/v2/users", self.base),
            ],
            Some(user),
        );
        assert_eq!(status, 201, "create {user}: {body}");
    }
}

pub fn user(name: &str, password: &str, keys: &[&str], dir: &Path) -> Value {
    json!({
        "username": name,
        "password": password,
        "public_keys": keys,
        "status": 1,
        "home_dir": dir.join("homes").join(name).to_string_lossy(),
        "permissions": {"/": ["*"]},
    })
}

/// Makes an Ed25519 key pair without a passphrase; returns the private key path and the public key line.
pub fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    keygen_type(dir, name, "ed25519")
}

/// As [`keygen`], with `ssh-keygen -t kind`.
pub fn keygen_type(dir: &Path, name: &str, kind: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .status()
        .expect("run ssh-keygen");
    assert!(st.success());
    let public = std::fs::read_to_string(path.with_extension("pub")).expect("public key");
    (path, public.trim().to_owned())
}

/// `-o` options every OpenSSH client (`ssh`, `scp`, `sftp`) in the tests gets: no known_hosts, only the given
/// identity, no agent.
pub const CLIENT_OPTIONS: [&str; 8] = [
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "IdentityAgent=none",
];

/// Deterministic content that is not all zeros (xorshift), for transfer checks.
#[must_use]
pub fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// The OpenSSH client options every test uses: no config file, no known_hosts, no agent, a time limit.
pub fn base_ssh(server: &Server) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args(["60", "ssh", "-F", "/dev/null", "-p"])
        .arg(server.ssh.port().to_string())
        .args(CLIENT_OPTIONS)
        .args(["-o", "ConnectTimeout=10"])
        .stdin(Stdio::null());
    cmd
}

/// `ssh -i key [extra] user@127.0.0.1 command...` in batch mode.
pub fn ssh_key(
    server: &Server,
    key: &Path,
    user: &str,
    extra: &[&str],
    command: &[&str],
) -> Output {
    let mut cmd = base_ssh(server);
    cmd.args([
        "-o",
        "BatchMode=yes",
        "-o",
        "PreferredAuthentications=publickey",
        "-i",
    ])
    .arg(key)
    .args(extra)
    .arg(format!("{user}@127.0.0.1"))
    .args(command);
    cmd.output().expect("run ssh")
}

/// `sshpass ssh` with one password try by `method` (`password` or `keyboard-interactive`).
pub fn ssh_password(
    server: &Server,
    user: &str,
    password: &str,
    method: &str,
    command: &[&str],
) -> Output {
    ssh_key_and_password(server, None, user, password, method, command)
}

/// `sshpass ssh` with `methods` (e.g. `publickey,password`), one password try, and `key` when given.
pub fn ssh_key_and_password(
    server: &Server,
    key: Option<&Path>,
    user: &str,
    password: &str,
    methods: &str,
    command: &[&str],
) -> Output {
    let mut cmd = Command::new("sshpass");
    cmd.arg("-e")
        .env("SSHPASS", password)
        .args(["timeout", "60", "ssh", "-F", "/dev/null", "-p"])
        .arg(server.ssh.port().to_string())
        .args(CLIENT_OPTIONS)
        .args(["-o", "NumberOfPasswordPrompts=1"])
        .arg("-o")
        .arg(format!("PreferredAuthentications={methods}"));
    match key {
        Some(k) => cmd.arg("-i").arg(k),
        None => cmd.args(["-o", "PubkeyAuthentication=no"]),
    };
    cmd.arg(format!("{user}@127.0.0.1"))
        .args(command)
        .stdin(Stdio::null());
    cmd.output().expect("run sshpass (is it installed?)")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The server log's last 80 lines, without russh's and sqlx's per-packet and per-query debug lines.
#[must_use]
pub fn log_tail(server: &Server) -> String {
    let log = server.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| !l.contains("\"russh::") && !l.contains("\"sqlx::"))
        .collect();
    lines[lines.len().saturating_sub(80)..].join("\n")
}

/// Asserts that a client command exited 0 (the failure shows its output and the server log's tail); returns
/// its stdout.
#[track_caller]
pub fn ok(out: &Output, what: &str, server: &Server) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: stdout {}\nstderr {}\nlog:\n{}",
        text(&out.stdout),
        text(&out.stderr),
        log_tail(server)
    );
    text(&out.stdout)
}

/// sha256 of a file, by `sha256sum`.
#[must_use]
pub fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    assert!(
        out.status.success(),
        "sha256sum {}: {out:?}",
        path.display()
    );
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned()
}
