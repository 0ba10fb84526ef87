//! The built binary end to end: start, health check, configuration errors, CLI, SIGTERM.

use std::time::Duration;

use ringway_tests::{Server, free_port, http_get, run_ringway};

#[test]
fn serve_answers_healthz_and_stops_on_sigterm() {
    let mut server = Server::start(&[
        ("RINGWAY_ENGINE__GRACE_TIME", "3"),
        ("RINGWAY_ENGINE__WORKERS", "2"),
    ]);
    assert_eq!(
        http_get(server.http, "/healthz").unwrap(),
        (200, "ok".to_owned())
    );
    let (status, body) = http_get(server.http, "/api/v2/nothing-here").unwrap();
    assert_eq!(status, 404);
    assert!(body.contains("\"error\""), "{body}");
    // The embedded default: the SQLite database is created in the config dir.
    assert!(server.dir.path().join("ringway.db").exists());
    let log = server.log();
    assert!(log.contains("\"io\":\"uring\""), "{log}");
    assert!(log.contains("\"workers\":2"), "{log}");
    let (status, took) = server.terminate(Duration::from_secs(10));
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        server.log()
    );
    assert!(
        took < Duration::from_secs(3),
        "shutdown took {took:?}, longer than the grace time"
    );
    let log = server.log();
    assert!(
        log.contains("SIGTERM") && log.contains("ringway stopped"),
        "{log}"
    );
    // Every log line is JSON.
    for line in log.lines() {
        assert!(
            line.starts_with('{') && line.ends_with('}'),
            "not a JSON line: {line}"
        );
    }
}

#[test]
fn threadpool_mode_is_selected_by_config() {
    let mut server = Server::start(&[("RINGWAY_ENGINE__IO", "threadpool")]);
    let log = server.log();
    assert!(log.contains("\"io\":\"threadpool\""), "{log}");
    assert!(server.terminate(Duration::from_secs(20)).0.success());
}

#[test]
fn config_errors_name_the_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    std::fs::write(
        dir.path().join("ringway.toml"),
        "[sftpd]\nmax_auth_tries = 3\n\n[[sftpd.bindings]]\nprot = 22\n",
    )
    .unwrap();
    let (status, _, err) = run_ringway(&["serve", "--config-dir", d], dir.path(), &[]);
    assert!(!status.success());
    assert!(
        err.contains("sftpd.bindings[0]") && err.contains("prot"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("ringway.toml"),
        "[httpd]\ntoken_validity = \"long\"\n",
    )
    .unwrap();
    let (status, _, err) = run_ringway(&["serve", "--config-dir", d], dir.path(), &[]);
    assert!(!status.success());
    assert!(err.contains("httpd.token_validity"), "{err}");

    std::fs::remove_file(dir.path().join("ringway.toml")).unwrap();
    let (status, _, err) = run_ringway(
        &["serve", "--config-dir", d],
        dir.path(),
        &[("RINGWAY_SFTPD__NOPE", "1")],
    );
    assert!(!status.success());
    assert!(err.contains("RINGWAY_SFTPD__NOPE"), "{err}");

    let (status, _, err) = run_ringway(
        &["serve", "--config-dir", d],
        dir.path(),
        &[("RINGWAY_ENGINE__RING_ENTRIES", "100")],
    );
    assert!(!status.success());
    assert!(err.contains("engine.ring_entries"), "{err}");

    // A port already taken is a clear start-up error, not a hang.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let (status, _, err) = run_ringway(
        &["serve", "--config-dir", d],
        dir.path(),
        &[
            ("RINGWAY_HTTPD__BINDINGS__0__PORT", &port),
            ("RINGWAY_SFTPD__BINDINGS__0__PORT", &free_port().to_string()),
        ],
    );
    assert!(!status.success());
    assert!(err.contains(&port) && err.contains("httpd"), "{err}");
}

#[test]
fn cli_version_help_and_initprovider() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (status, out, _) = run_ringway(&["--version"], dir.path(), &[]);
    assert!(status.success());
    assert!(
        out.starts_with("ringway ") && out.contains(env!("CARGO_PKG_VERSION")),
        "{out}"
    );
    for sub in [
        &["--help"][..],
        &["serve", "--help"],
        &["initprovider", "--help"],
        &["resetprovider", "--help"],
    ] {
        let (status, out, _) = run_ringway(sub, dir.path(), &[]);
        assert!(status.success(), "{sub:?}");
        assert!(out.contains("Usage"), "{out}");
    }
    let (status, _, err) = run_ringway(&["initprovider", "--config-dir", d], dir.path(), &[]);
    assert!(status.success(), "{err}");
    assert!(err.contains("schema_version"), "{err}");
    assert!(dir.path().join("ringway.db").exists());
    // Idempotent.
    let (status, _, err) = run_ringway(&["initprovider", "--config-dir", d], dir.path(), &[]);
    assert!(status.success() && err.contains("\"applied\":0"), "{err}");
    // An unknown driver is refused with its name.
    let (status, _, err) = run_ringway(
        &["initprovider", "--config-dir", d],
        dir.path(),
        &[("RINGWAY_DATA_PROVIDER__DRIVER", "oracle")],
    );
    assert!(!status.success() && err.contains("oracle"), "{err}");
    // A database server that does not answer is a clear error naming it.
    let (status, _, err) = run_ringway(
        &["initprovider", "--config-dir", d],
        dir.path(),
        &[
            ("RINGWAY_DATA_PROVIDER__DRIVER", "postgresql"),
            ("RINGWAY_DATA_PROVIDER__PORT", "1"),
        ],
    );
    assert!(
        !status.success() && err.contains("postgresql") && err.contains("127.0.0.1:1"),
        "{err}"
    );
    // resetprovider needs --force, then empties the schema.
    let (status, _, err) = run_ringway(&["resetprovider", "--config-dir", d], dir.path(), &[]);
    assert!(!status.success() && err.contains("--force"), "{err}");
    let (status, _, err) = run_ringway(
        &["resetprovider", "--force", "--config-dir", d],
        dir.path(),
        &[],
    );
    assert!(
        status.success() && err.contains("data provider reset"),
        "{err}"
    );
}

/// A second server on a port another process listens on fails at start with "address in use", instead of
/// joining its SO_REUSEPORT listeners and taking half its connections.
#[test]
fn a_taken_ssh_port_is_a_start_up_error() {
    let first = Server::start(&[
        ("RINGWAY_DEFAULT_ADMIN_USERNAME", "admin"),
        ("RINGWAY_DEFAULT_ADMIN_PASSWORD", "pw-1"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let ssh_port = first.ssh.port().to_string();
    let http_port = ringway_tests::free_port().to_string();
    let (status, _, err) = run_ringway(
        &["serve", "--config-dir", d],
        dir.path(),
        &[
            ("RINGWAY_SFTPD__BINDINGS__0__ADDRESS", "127.0.0.1"),
            ("RINGWAY_SFTPD__BINDINGS__0__PORT", &ssh_port),
            ("RINGWAY_HTTPD__BINDINGS__0__PORT", &http_port),
        ],
    );
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("SSH listener") && err.contains("in use"),
        "{err}"
    );
}
