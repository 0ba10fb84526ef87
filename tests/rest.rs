//! The admin REST API (`/api/v2`) end to end: the real `ringway` binary driven by the real `curl`.
//!
//! Each test starts one or two servers (on SQLite in a temporary config dir, or on a throwaway PostgreSQL or
//! MariaDB database) and groups many checks per server, so the suite stays fast on a small machine. Every check
//! looks at the status code and at the body: errors must be JSON `{"error", "message"}` and the message must
//! name what is wrong (the field, the query parameter).
//!
//! The checks live in `rest/*.rs`, one file per area; this file holds the `curl` client and shared helpers.
#![forbid(unsafe_code)]

#[path = "rest/auth.rs"]
mod auth;
#[path = "rest/backups.rs"]
mod backups;
#[path = "rest/crud.rs"]
mod crud;
#[path = "rest/keys.rs"]
mod keys;
#[path = "rest/permissions.rs"]
mod permissions;
#[path = "rest/quotas.rs"]
mod quotas;
#[path = "rest/restart.rs"]
mod restart;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ringway_tests::Server;
use serde_json::{Value, json};

/// Password of the default admin of every test server.
pub(crate) const ROOT_PASS: &str = "root-pass-1";

/// Environment shared by all test servers: a default admin (`name`) and cheap argon2id hashing.
pub(crate) fn env(name: &str) -> Vec<(&str, &str)> {
    vec![
        ("RINGWAY_DEFAULT_ADMIN_USERNAME", name),
        ("RINGWAY_DEFAULT_ADMIN_PASSWORD", ROOT_PASS),
        (
            "RINGWAY_DATA_PROVIDER__PASSWORD_HASHING__ARGON2_OPTIONS__MEMORY",
            "8192",
        ),
    ]
}

/// Starts a server on SQLite with the default admin `name`.
pub(crate) fn start(name: &str) -> Server {
    Server::start(&env(name))
}

/// How a request authenticates.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    None,
    Basic(String, String),
    Bearer(String),
    /// A raw header, `Name: value` (API keys).
    Header(String),
}

/// A `curl` answer: status, raw text and the text parsed as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) text: String,
    pub(crate) body: Value,
    what: String,
}

impl Resp {
    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub(crate) fn ok(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "{}: expected {status}, got {}: {}",
            self.what, self.status, self.text
        );
        &self.body
    }

    /// Asserts an error answer: the status, a JSON `{"error", "message"}` body, and a message containing
    /// `needle` (case-sensitive).
    #[track_caller]
    pub(crate) fn err(&self, status: u16, needle: &str) -> &str {
        self.ok(status);
        let (Some(error), Some(message)) =
            (self.body["error"].as_str(), self.body["message"].as_str())
        else {
            panic!(
                "{}: error body is not {{\"error\", \"message\"}}: {}",
                self.what, self.text
            );
        };
        assert!(
            !error.is_empty() && !message.is_empty(),
            "{}: {}",
            self.what,
            self.text
        );
        assert!(
            message.contains(needle),
            "{}: message {message:?} does not contain {needle:?}",
            self.what
        );
        message
    }

    /// Asserts a `{"message": ...}` success answer with `status` and a message containing `needle`.
    #[track_caller]
    pub(crate) fn msg(&self, status: u16, needle: &str) {
        let m = self.ok(status)["message"].as_str().unwrap_or_default();
        assert!(
            m.contains(needle),
            "{}: message {m:?} does not contain {needle:?}; body {}",
            self.what,
            self.text
        );
    }
}

/// A client of one server with one way of authenticating.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    base: String,
    auth: Auth,
}

impl Api {
    /// An unauthenticated client of `server`.
    pub(crate) fn new(server: &Server) -> Self {
        Self {
            base: format!("http://{}", server.http),
            auth: Auth::None,
        }
    }

    /// The same server with another authentication.
    pub(crate) fn with(&self, auth: Auth) -> Self {
        Self {
            base: self.base.clone(),
            auth,
        }
    }

    /// The same server with a Bearer token.
    pub(crate) fn bearer(&self, token: &str) -> Self {
        self.with(Auth::Bearer(token.to_owned()))
    }

    /// The same server with an API key in `X-SFTPGO-API-KEY`.
    pub(crate) fn api_key(&self, key: &str) -> Self {
        self.with(Auth::Header(format!("X-SFTPGO-API-KEY: {key}")))
    }

    /// Runs `curl -sS -X method ... URL` and parses the answer.
    ///
    /// # Panics
    /// When curl cannot be run or fails at the transport level.
    pub(crate) fn call(&self, method: &str, path: &str, body: Option<&str>) -> Resp {
        let url = format!("{}{path}", self.base);
        let mut cmd = Command::new("curl");
        cmd.args([
            "-sS",
            "--max-time",
            "30",
            "-X",
            method,
            "-w",
            "\n%{http_code}",
        ]);
        match &self.auth {
            Auth::None => {}
            Auth::Basic(u, p) => {
                cmd.arg("-u").arg(format!("{u}:{p}"));
            }
            Auth::Bearer(t) => {
                cmd.arg("-H").arg(format!("Authorization: Bearer {t}"));
            }
            Auth::Header(h) => {
                cmd.arg("-H").arg(h);
            }
        }
        if body.is_some() {
            cmd.args([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                "@-",
            ]);
        }
        cmd.arg(&url)
            .stdin(if body.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run curl (is it installed?)");
        if let Some(b) = body {
            let mut stdin = child.stdin.take().expect("curl stdin");
            stdin
                .write_all(b.as_bytes())
                .expect("write the body to curl");
        }
        let out = child.wait_with_output().expect("wait for curl");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "curl {method} {url} failed ({}): {}{stdout}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let (text, code) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
        let status = code
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("curl {method} {url}: no status code in {stdout:?}"));
        Resp {
            status,
            body: serde_json::from_str(text).unwrap_or(Value::Null),
            text: text.to_owned(),
            what: format!("{method} {path}"),
        }
    }

    pub(crate) fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None)
    }

    pub(crate) fn delete(&self, path: &str) -> Resp {
        self.call("DELETE", path, None)
    }

    pub(crate) fn post(&self, path: &str, body: &Value) -> Resp {
        self.call("POST", path, Some(&body.to_string()))
    }

    pub(crate) fn put(&self, path: &str, body: &Value) -> Resp {
        self.call("PUT", path, Some(&body.to_string()))
    }

    /// An admin token from `GET /api/v2/token` (asserting 200 and the body's shape).
    #[track_caller]
    pub(crate) fn token(&self, user: &str, pass: &str) -> String {
        let r = self
            .with(Auth::Basic(user.to_owned(), pass.to_owned()))
            .get("/api/v2/token");
        check_token_body(&r)
    }

    /// A client authenticated as admin `user` with a fresh token.
    #[track_caller]
    pub(crate) fn login(&self, user: &str, pass: &str) -> Self {
        self.bearer(&self.token(user, pass))
    }

    /// `GET /api/v2/user/token` with the user's credentials: the status code.
    pub(crate) fn user_login(&self, user: &str, pass: &str) -> u16 {
        let r = self
            .with(Auth::Basic(user.to_owned(), pass.to_owned()))
            .get("/api/v2/user/token");
        if r.status == 200 {
            check_token_body(&r);
        } else {
            r.err(401, "");
        }
        r.status
    }
}

/// Checks a token answer `{"access_token": "<jwt>", "expires_at": "<RFC 3339>"}` and returns the token.
#[track_caller]
pub(crate) fn check_token_body(r: &Resp) -> String {
    let body = r.ok(200);
    let token = body["access_token"].as_str().unwrap_or_default();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {}", r.text);
    let exp = body["expires_at"].as_str().unwrap_or_default();
    let b = exp.as_bytes();
    assert!(
        b.len() == 20 && b[4] == b'-' && b[10] == b'T' && b[19] == b'Z',
        "expires_at is not RFC 3339 UTC: {exp:?}"
    );
    token.to_owned()
}

/// A minimal valid user with a home directory under `dir`.
pub(crate) fn user(name: &str, password: &str, dir: &std::path::Path) -> Value {
    json!({
        "username": name,
        "password": password,
        "status": 1,
        "home_dir": dir.join("homes").join(name).to_string_lossy(),
        "permissions": {"/": ["*"]},
    })
}

/// The `field` of every object of a list answer, as strings.
#[track_caller]
pub(crate) fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a JSON array: {list}"))
        .iter()
        .map(|o| o[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Polls `path` (a list of running scans) until it is empty.
#[track_caller]
pub(crate) fn wait_empty(api: &Api, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = api.get(path);
        if r.ok(200).as_array().is_some_and(Vec::is_empty) {
            return;
        }
        assert!(Instant::now() < deadline, "{path} still busy: {}", r.text);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The differences between two JSON documents, as `path: left != right` lines; `skip(path, key, value)` drops
/// object members from the comparison.
pub(crate) fn json_diff(
    a: &Value,
    b: &Value,
    path: &str,
    skip: &dyn Fn(&str, &str, &Value) -> bool,
    out: &mut Vec<String>,
) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(l), Some(r)) => {
                        if !(skip(path, k, l) && skip(path, k, r)) {
                            json_diff(l, r, &p, skip, out);
                        }
                    }
                    (Some(v), None) | (None, Some(v)) => {
                        if !skip(path, k, v) {
                            out.push(format!(
                                "{p}: only in {}: {v}",
                                if x.contains_key(k) { "left" } else { "right" }
                            ));
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                json_diff(l, r, &format!("{path}[{i}]"), skip, out);
            }
        }
        _ => {
            if a != b {
                out.push(format!("{path}: {a} != {b}"));
            }
        }
    }
}
