//! The SSH server end to end: the real `ringway` binary driven by the real OpenSSH client (`ssh`,
//! `ssh-keygen`, `ssh-keyscan`) and by `sshpass` for password and keyboard-interactive logins. Users are created
//! through the REST API with `curl`.
//!
//! These tests cover the transport, host keys, authentication and the channel policy (`pwd`, `cd`, the hash
//! commands and scp run; unknown subsystems, shells and other commands are refused). SFTP itself is in `sftp.rs`.
#![forbid(unsafe_code)]

use std::process::{Command, Output, Stdio};

use ringway_tests::client::{
    Admin, base_ssh, env, keygen, keygen_type, ssh_key, ssh_key_and_password, ssh_password, text,
    user,
};
use ringway_tests::{Server, run_ringway};
use serde_json::json;

#[track_caller]
fn assert_pwd(out: &Output, what: &str, server: &Server) {
    assert_eq!(
        (out.status.code(), text(&out.stdout).as_str()),
        (Some(0), "/\n"),
        "{what}: stderr {}\nlog:\n{}",
        text(&out.stderr),
        server.log()
    );
}

#[track_caller]
fn assert_refused(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(255), "{what}: {out:?}");
    assert!(
        text(&out.stderr).contains("Permission denied"),
        "{what}: {}",
        text(&out.stderr)
    );
}

#[test]
fn logins_commands_and_channel_policy() {
    let server = Server::start(&env("root"));
    let admin = Admin::login(&server, "root");
    let keys = tempfile::tempdir().unwrap();
    let (alice_key, alice_pub) = keygen(keys.path(), "alice");
    let (stranger_key, _) = keygen(keys.path(), "stranger");
    let dir = server.dir.path();
    admin.create_user(&user("alice", "alice-pass-1", &[&alice_pub], dir));
    let mut bob = user("bob", "bob-pass-1", &[&alice_pub], dir);
    bob["status"] = json!(0);
    admin.create_user(&bob);
    let mut carol = user("carol", "carol-pass-1", &[&alice_pub], dir);
    carol["filters"] = json!({"denied_protocols": ["SSH"]});
    admin.create_user(&carol);
    let mut dave = user("dave", "dave-pass-1", &[], dir);
    dave["filters"] = json!({"denied_login_methods": ["keyboard-interactive"]});
    admin.create_user(&dave);

    // Public key.
    assert_pwd(
        &ssh_key(&server, &alice_key, "alice", &[], &["pwd"]),
        "alice by key",
        &server,
    );
    assert_refused(
        &ssh_key(&server, &stranger_key, "alice", &[], &["pwd"]),
        "a key alice does not own",
    );
    assert_refused(
        &ssh_key(&server, &alice_key, "bob", &[], &["pwd"]),
        "disabled bob",
    );
    assert_refused(
        &ssh_key(&server, &alice_key, "carol", &[], &["pwd"]),
        "carol, SSH denied",
    );
    assert_refused(
        &ssh_key(&server, &alice_key, "nobody", &[], &["pwd"]),
        "an unknown user",
    );

    // ECDSA and RSA user keys (RSA signs with rsa-sha2-512, advertised in server-sig-algs).
    let (ecdsa_key, ecdsa_pub) = keygen_type(keys.path(), "gina-ecdsa", "ecdsa");
    let (rsa_key, rsa_pub) = keygen_type(keys.path(), "gina-rsa", "rsa");
    admin.create_user(&user("gina", "gina-pass-1", &[&ecdsa_pub, &rsa_pub], dir));
    assert_pwd(
        &ssh_key(&server, &ecdsa_key, "gina", &[], &["pwd"]),
        "gina by ECDSA key",
        &server,
    );
    assert_pwd(
        &ssh_key(&server, &rsa_key, "gina", &[], &["pwd"]),
        "gina by RSA key",
        &server,
    );

    // Password and keyboard-interactive.
    for method in ["password", "keyboard-interactive"] {
        assert_pwd(
            &ssh_password(&server, "alice", "alice-pass-1", method, &["pwd"]),
            &format!("alice by {method}"),
            &server,
        );
        let out = ssh_password(&server, "alice", "wrong-pass", method, &["pwd"]);
        assert_ne!(
            out.status.code(),
            Some(0),
            "wrong password by {method}: {out:?}"
        );
    }
    assert_pwd(
        &ssh_password(&server, "dave", "dave-pass-1", "password", &["pwd"]),
        "dave by password",
        &server,
    );
    let out = ssh_password(
        &server,
        "dave",
        "dave-pass-1",
        "keyboard-interactive",
        &["pwd"],
    );
    assert_ne!(
        out.status.code(),
        Some(0),
        "dave by keyboard-interactive (denied): {out:?}"
    );

    // Commands not served, unknown subsystems and shells are refused cleanly.
    let out = ssh_key(&server, &alice_key, "alice", &[], &["ls", "-l"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr).contains("\"ls\" is not allowed"),
        "{out:?}"
    );
    let out = ssh_key(&server, &alice_key, "alice", &[], &["md5sum", "/x"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr).contains("md5sum: /x: no such file"),
        "{out:?}"
    );
    // Not in the default enabled_ssh_commands.
    let out = ssh_key(&server, &alice_key, "alice", &[], &["sha512sum", "/x"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("not allowed"), "{out:?}");
    let out = ssh_key(
        &server,
        &alice_key,
        "alice",
        &["-s"],
        &["no-such-subsystem"],
    );
    assert_eq!(out.status.code(), Some(255), "{out:?}");
    assert!(
        text(&out.stderr).contains("subsystem request failed"),
        "{out:?}"
    );
    let out = ssh_key(&server, &alice_key, "alice", &["-T"], &[]);
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(
        text(&out.stderr).contains("shell request failed"),
        "{out:?}"
    );
    // With -tt a refused pty is fatal to the OpenSSH client.
    let out = ssh_key(&server, &alice_key, "alice", &["-tt"], &["pwd"]);
    assert!(
        text(&out.stderr).contains("PTY allocation request failed"),
        "{out:?}"
    );

    // The client's cipher choice: a modern one connects, one the server does not offer is refused.
    for (cipher, mac) in [
        ("aes128-ctr", "hmac-sha2-256-etm@openssh.com"),
        ("aes256-ctr", "hmac-sha2-512-etm@openssh.com"),
        (
            "chacha20-poly1305@openssh.com",
            "hmac-sha2-256-etm@openssh.com",
        ),
        ("aes256-gcm@openssh.com", "hmac-sha2-256-etm@openssh.com"),
    ] {
        let out = ssh_key(
            &server,
            &alice_key,
            "alice",
            &["-c", cipher, "-m", mac],
            &["pwd"],
        );
        assert_pwd(&out, cipher, &server);
    }
    let out = ssh_key(&server, &alice_key, "alice", &["-c", "3des-cbc"], &["pwd"]);
    assert_eq!(out.status.code(), Some(255), "{out:?}");
    assert!(text(&out.stderr).contains("no matching cipher"), "{out:?}");
    let out = ssh_key(
        &server,
        &alice_key,
        "alice",
        &["-m", "hmac-sha1", "-c", "aes128-ctr"],
        &["pwd"],
    );
    assert!(text(&out.stderr).contains("no matching MAC"), "{out:?}");

    // An authenticated session (`ssh -N` opens no channel) is listed with its user, and closing it from the
    // REST API ends the client.
    let mut held = base_ssh(&server);
    held.args(["-N", "-o", "BatchMode=yes", "-i"])
        .arg(&alice_key)
        .arg("alice@127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut held = held.spawn().expect("run ssh -N");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let id = loop {
        let (status, body) = admin.get("/api/v2/connections");
        assert_eq!(status, 200, "{body}");
        let found = body
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["username"] == json!("alice") && c["protocol"] == json!("SSH"));
        if let Some(c) = found {
            break c["connection_id"].as_str().unwrap_or_default().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "alice never listed: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let (status, body) = admin.delete(&format!("/api/v2/connections/{id}"));
    assert_eq!(status, 200, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while held.try_wait().expect("wait ssh").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = held.kill();
            panic!("ssh -N still running after its connection was closed");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // The status page shows the SSH service.
    let (status, body) = admin.get("/api/v2/status");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ssh"]["is_active"], json!(true), "{body}");

    // Every refusal is logged with its reason; passwords never are.
    let log = server.log();
    for needle in [
        "SSH login refused",
        "account disabled",
        "protocol SSH denied",
        "login method keyboard-interactive denied",
        "unknown subsystem refused",
        "SSH login",
    ] {
        assert!(log.contains(needle), "log lacks {needle:?}:\n{log}");
    }
    for secret in ["alice-pass-1", "wrong-pass", "dave-pass-1"] {
        assert!(!log.contains(secret), "the log shows a password");
    }
}

/// `ssh-keyscan` lines (`type base64`), sorted.
fn scan(server: &Server) -> Vec<String> {
    let out = Command::new("timeout")
        .args([
            "30",
            "ssh-keyscan",
            "-T",
            "10",
            "-t",
            "ed25519,ecdsa,rsa",
            "-p",
        ])
        .arg(server.ssh.port().to_string())
        .arg("127.0.0.1")
        .stdin(Stdio::null())
        .output()
        .expect("run ssh-keyscan");
    let mut keys: Vec<String> = text(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' ').map(|(_, k)| k.to_owned()))
        .collect();
    keys.sort();
    keys
}

#[test]
fn host_keys_are_generated_once_and_survive_a_restart() {
    let server = Server::start(&env("root"));
    let before = scan(&server);
    let types: Vec<&str> = before.iter().filter_map(|k| k.split(' ').next()).collect();
    assert_eq!(
        types,
        ["ecdsa-sha2-nistp256", "ssh-ed25519", "ssh-rsa"],
        "{before:?}\nlog:\n{}",
        server.log()
    );
    for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(server.dir.path().join(name)).expect(name);
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
    let server = server.restart(&env("root"));
    assert_eq!(scan(&server), before, "host keys changed across a restart");
    // The log file carries over too: the keys were generated by the first run only.
    assert_eq!(server.log().matches("generated SSH host key").count(), 3);
}

#[test]
fn configured_algorithms_banner_and_start_up_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("banner.txt"), "Welcome to ringway tests\n").unwrap();
    std::fs::write(
        dir.path().join("ringway.toml"),
        "[sftpd]\nciphers = [\"aes256-ctr\"]\nlogin_banner_file = \"banner.txt\"\nmax_auth_tries = 2\n\
         kex_algorithms = [\"curve25519-sha256\"]\nhost_key_algorithms = [\"ssh-ed25519\"]\n\
         public_key_algorithms = [\"rsa-sha2-512\", \"rsa-sha2-256\"]\npassword_authentication = false\n",
    )
    .unwrap();
    let server = Server::start_in(dir, &env("root"));
    let admin = Admin::login(&server, "root");
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = keygen_type(keys.path(), "erin", "rsa");
    let (ed_key, ed_public) = keygen(keys.path(), "erin-ed");
    admin.create_user(&user(
        "erin",
        "erin-pass-1",
        &[&public, &ed_public],
        server.dir.path(),
    ));
    let out = ssh_key(&server, &key, "erin", &["-v"], &["pwd"]);
    assert_pwd(&out, "default client against aes256-ctr only", &server);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cipher: aes256-ctr"), "{stderr}");
    assert!(
        stderr.contains("kex: algorithm: curve25519-sha256"),
        "{stderr}"
    );
    assert!(
        stderr.contains("host key algorithm: ssh-ed25519"),
        "{stderr}"
    );
    assert_eq!(
        scan(&server).len(),
        1,
        "only the Ed25519 host key is offered"
    );
    // public_key_algorithms leaves Ed25519 user keys out; password_authentication = false.
    assert_refused(
        &ssh_key(&server, &ed_key, "erin", &[], &["pwd"]),
        "an Ed25519 user key",
    );
    let out = ssh_password(&server, "erin", "erin-pass-1", "password", &["pwd"]);
    assert_ne!(out.status.code(), Some(0), "password disabled: {out:?}");
    let out = ssh_password(
        &server,
        "erin",
        "erin-pass-1",
        "keyboard-interactive",
        &["pwd"],
    );
    assert_pwd(&out, "keyboard-interactive still enabled", &server);
    let log = server.log();
    assert!(
        log.contains("public key algorithm ssh-ed25519 not allowed"),
        "{log}"
    );
    assert!(
        stderr.contains("Welcome to ringway tests"),
        "banner: {stderr}"
    );
    let out = ssh_key(
        &server,
        &key,
        "erin",
        &["-c", "aes128-gcm@openssh.com"],
        &["pwd"],
    );
    assert!(text(&out.stderr).contains("no matching cipher"), "{out:?}");
    drop(server);

    // Unknown algorithms and missing host keys stop the server at start-up, naming the culprit.
    for (toml, needle) in [
        (
            "[sftpd]\nciphers = [\"aes128-ctr\", \"rot13-cbc\"]\n",
            "rot13-cbc",
        ),
        (
            "[sftpd]\nkex_algorithms = [\"kex-by-magic\"]\n",
            "kex-by-magic",
        ),
        (
            "[sftpd]\nhost_keys = [\"missing_host_key\"]\n",
            "missing_host_key",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        std::fs::write(dir.path().join("ringway.toml"), toml).unwrap();
        let port = ringway_tests::free_port().to_string();
        let http = ringway_tests::free_port().to_string();
        let (status, _, err) = run_ringway(
            &["serve", "--config-dir", d],
            dir.path(),
            &[
                ("RINGWAY_SFTPD__BINDINGS__0__PORT", &port),
                ("RINGWAY_HTTPD__BINDINGS__0__PORT", &http),
            ],
        );
        assert!(!status.success(), "{toml}");
        assert!(err.contains(needle), "{toml}: {err}");
    }
}

#[test]
fn multi_step_login_public_key_then_password() {
    let server = Server::start(&env("root"));
    let admin = Admin::login(&server, "root");
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = keygen(keys.path(), "frank");
    let (other_key, _) = keygen(keys.path(), "other");
    let mut frank = user("frank", "frank-pass-1", &[&public], server.dir.path());
    // Neither the key nor the password alone; both together, by either password method.
    frank["filters"] =
        json!({"denied_login_methods": ["publickey", "password", "keyboard-interactive"]});
    admin.create_user(&frank);

    for methods in ["publickey,password", "publickey,keyboard-interactive"] {
        let out = ssh_key_and_password(
            &server,
            Some(&key),
            "frank",
            "frank-pass-1",
            methods,
            &["pwd"],
        );
        assert_pwd(&out, methods, &server);
        // OpenSSH reports the partial success only with -v; the server log below shows it.
    }
    assert_refused(
        &ssh_key(&server, &key, "frank", &[], &["pwd"]),
        "frank's key alone",
    );
    let out = ssh_password(&server, "frank", "frank-pass-1", "password", &["pwd"]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "frank's password alone: {out:?}"
    );
    let out = ssh_key_and_password(
        &server,
        Some(&key),
        "frank",
        "wrong-pass",
        "publickey,password",
        &["pwd"],
    );
    assert_ne!(
        out.status.code(),
        Some(0),
        "frank's key and a wrong password: {out:?}"
    );
    let out = ssh_key_and_password(
        &server,
        Some(&other_key),
        "frank",
        "frank-pass-1",
        "publickey,password",
        &["pwd"],
    );
    assert_ne!(
        out.status.code(),
        Some(0),
        "another key and frank's password: {out:?}"
    );

    let log = server.log();
    assert!(log.contains("a second step is required"), "{log}");
    assert!(log.contains("publickey+password"), "{log}");
}

/// `ssh -N` with a key: logs in and holds the connection open without a channel, until killed.
fn hold_connection(server: &Server, key: &std::path::Path, user: &str) -> std::process::Child {
    // Not `base_ssh`: its 60-second time limit would end the connection before the server's idle timeout.
    let mut cmd = Command::new("ssh");
    cmd.args(["-F", "/dev/null", "-p"])
        .arg(server.ssh.port().to_string())
        .args(ringway_tests::client::CLIENT_OPTIONS)
        .args(["-N", "-o", "BatchMode=yes", "-i"])
        .arg(key)
        .arg(format!("{user}@127.0.0.1"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.spawn().expect("run ssh -N")
}

/// Waits until the server lists `n` connections of `user` (the REST connection list).
fn wait_connections(admin: &Admin, user: &str, n: usize) {
    for _ in 0..200 {
        let (_, list) = admin.get("/api/v2/connections");
        let live = list
            .as_array()
            .map_or(0, |a| a.iter().filter(|c| c["username"] == user).count());
        if live == n {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "{user} never had {n} connection(s): {:?}",
        admin.get("/api/v2/connections")
    );
}

#[test]
fn max_sessions_per_user_and_idle_timeout() {
    // A one-minute idle timeout (the setting is in minutes, as in the reference product).
    let mut vars = env("root");
    vars.push(("RINGWAY_COMMON__IDLE_TIMEOUT", "1"));
    let server = Server::start(&vars);
    let admin = Admin::login(&server, "root");
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = keygen(keys.path(), "gina");
    let mut gina = user("gina", "gina-pass-1", &[&public], server.dir.path());
    gina["max_sessions"] = json!(2);
    admin.create_user(&gina);
    admin.create_user(&user("hank", "hank-pass-1", &[&public], server.dir.path()));

    let started = std::time::Instant::now();
    let mut first = hold_connection(&server, &key, "gina");
    wait_connections(&admin, "gina", 1);
    let mut second = hold_connection(&server, &key, "gina");
    wait_connections(&admin, "gina", 2);
    // A third login is one too many for gina; hank, with no limit, is not affected.
    assert_refused(
        &ssh_key(&server, &key, "gina", &[], &["pwd"]),
        "gina's third session",
    );
    assert!(
        server.log().contains("too many sessions"),
        "the log names the reason:\n{}",
        server.log()
    );
    assert_pwd(
        &ssh_key(&server, &key, "hank", &[], &["pwd"]),
        "hank",
        &server,
    );
    // A place frees when a session ends.
    second.kill().unwrap();
    second.wait().unwrap();
    wait_connections(&admin, "gina", 1);
    assert_pwd(
        &ssh_key(&server, &key, "gina", &[], &["pwd"]),
        "gina after one left",
        &server,
    );

    // The held connection sends nothing: the server closes it after the idle timeout.
    let status = first.wait().unwrap();
    let idle = started.elapsed();
    assert!(
        idle >= std::time::Duration::from_secs(55)
            && idle < std::time::Duration::from_secs(59 + 30),
        "closed after {idle:?} ({status})"
    );
    wait_connections(&admin, "gina", 0);
}

#[test]
fn connection_limits_per_host_and_in_total() {
    for (var, what) in [
        ("RINGWAY_COMMON__MAX_PER_HOST_CONNECTIONS", "per host"),
        ("RINGWAY_COMMON__MAX_TOTAL_CONNECTIONS", "in total"),
    ] {
        let mut vars = env("root");
        vars.push((var, "2"));
        if what == "in total" {
            vars.push(("RINGWAY_COMMON__MAX_PER_HOST_CONNECTIONS", "0"));
        }
        let server = Server::start(&vars);
        let admin = Admin::login(&server, "root");
        let keys = tempfile::tempdir().unwrap();
        let (key, public) = keygen(keys.path(), "ivy");
        admin.create_user(&user("ivy", "ivy-pass-1", &[&public], server.dir.path()));
        let mut held = vec![
            hold_connection(&server, &key, "ivy"),
            hold_connection(&server, &key, "ivy"),
        ];
        wait_connections(&admin, "ivy", 2);
        // The third connection is closed before the SSH handshake.
        let out = ssh_key(&server, &key, "ivy", &[], &["pwd"]);
        assert_eq!(out.status.code(), Some(255), "{what}: {out:?}");
        assert!(
            server.log().contains("connection refused")
                && server.log().contains("too many connections"),
            "{what}: the log says why:\n{}",
            server.log()
        );
        // A place frees when a connection ends.
        let mut first = held.remove(0);
        first.kill().unwrap();
        first.wait().unwrap();
        wait_connections(&admin, "ivy", 1);
        assert_pwd(&ssh_key(&server, &key, "ivy", &[], &["pwd"]), what, &server);
        for mut h in held {
            h.kill().unwrap();
            h.wait().unwrap();
        }
    }
}
