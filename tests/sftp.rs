//! SFTP end to end: the real `ringway` binary and the real OpenSSH `sftp` client in batch mode, users created
//! through the REST API. Transfers are checked byte for byte; large ones under both AEAD ciphers.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use ringway_tests::Server;
use ringway_tests::client::{Admin, CLIENT_OPTIONS, content, env, keygen, text, user};

/// Runs `sftp -b -` with `batch` on stdin as `name` with `key`; `extra` adds client options.
fn sftp(server: &Server, key: &Path, name: &str, extra: &[&str], batch: &str) -> Output {
    let mut cmd = Command::new("timeout");
    cmd.args(["300", "sftp", "-F", "/dev/null", "-b", "-", "-P"])
        .arg(server.ssh.port().to_string())
        .args(CLIENT_OPTIONS)
        .args(["-o", "BatchMode=yes", "-i"])
        .arg(key)
        .args(extra)
        .arg(format!("{name}@127.0.0.1"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run sftp");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(batch.as_bytes())
        .expect("write batch");
    child.wait_with_output().expect("sftp output")
}

#[track_caller]
fn ok(out: &Output, what: &str, server: &Server) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: stdout {}\nstderr {}\nlog:\n{}",
        text(&out.stdout),
        text(&out.stderr),
        server.log()
    );
    text(&out.stdout)
}

#[test]
fn sftp_batch_commands_and_integrity() {
    let server = Server::start(&env("admin"));
    let dir = server.dir.path();
    let admin = Admin::login(&server, "admin");
    let (key, public) = keygen(dir, "alice_key");
    admin.create_user(&user("alice", "alice-pass-1", &[&public], dir));
    let home = dir.join("homes").join("alice");
    let local = dir.join("local");
    std::fs::create_dir_all(&local).unwrap();
    let small = content(100_000, 7);
    std::fs::write(local.join("small.bin"), &small).unwrap();

    let l = local.display();
    let batch = format!(
        "put {l}/small.bin /small.bin\n\
         get /small.bin {l}/small.back\n\
         mkdir /d\n\
         rename /small.bin /d/moved.bin\n\
         chmod 600 /d/moved.bin\n\
         ls -l /d\n\
         ln -s /d/moved.bin /link\n\
         ls -l /\n\
         df /\n\
         pwd\n"
    );
    let out = ok(&sftp(&server, &key, "alice", &[], &batch), "batch", &server);
    assert_eq!(std::fs::read(local.join("small.back")).unwrap(), small);
    assert_eq!(std::fs::read(home.join("d/moved.bin")).unwrap(), small);
    assert!(out.contains("moved.bin"), "{out}");
    assert!(out.contains("-rw-------"), "chmod shows in ls -l: {out}");
    assert!(
        home.join("link")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(out.contains("Remote working directory: /"), "{out}");

    // Removal, and errors reported per command.
    let out = ok(
        &sftp(
            &server,
            &key,
            "alice",
            &[],
            "rm /link\nrm /d/moved.bin\nrmdir /d\nls /\n",
        ),
        "cleanup",
        &server,
    );
    let listed: Vec<&str> = out.lines().filter(|l| !l.starts_with("sftp>")).collect();
    assert!(
        listed
            .iter()
            .all(|l| !l.contains("moved.bin") && !l.contains("link")),
        "{out}"
    );
    assert!(!home.join("d").exists());
    let out = sftp(&server, &key, "alice", &[], "get /nope.bin /tmp/x\n");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("not found") || text(&out.stderr).contains("No such file"),
        "{out:?}"
    );

    // Escapes stay inside the home.
    let out = sftp(
        &server,
        &key,
        "alice",
        &[],
        &format!("get /../../../../etc/passwd {l}/leak\n"),
    );
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(!local.join("leak").exists());

    // In the default atomic mode an upload cannot resume a partial file: refused, the file untouched.
    std::fs::write(local.join("part.bin"), content(300_000, 11)).unwrap();
    std::fs::write(home.join("part.bin"), b"partial").unwrap();
    let out = sftp(
        &server,
        &key,
        "alice",
        &[],
        &format!("reput {l}/part.bin /part.bin\n"),
    );
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(text(&out.stderr).contains("unsupported"), "{out:?}");
    assert_eq!(std::fs::read(home.join("part.bin")).unwrap(), b"partial");
}

#[test]
fn resume_in_atomic_with_resume_mode() {
    let mut vars = env("admin");
    vars.push(("RINGWAY_COMMON__UPLOAD_MODE", "2"));
    let server = Server::start(&vars);
    let dir = server.dir.path();
    let admin = Admin::login(&server, "admin");
    let (key, public) = keygen(dir, "carol_key");
    admin.create_user(&user("carol", "carol-pass-1", &[&public], dir));
    let home = dir.join("homes").join("carol");
    let local = dir.join("local");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let l = local.display();
    // reput and reget append the missing tail.
    let big = content(3_000_000, 11);
    std::fs::write(local.join("part.bin"), &big).unwrap();
    std::fs::write(home.join("part.bin"), &big[..1_000_000]).unwrap();
    ok(
        &sftp(
            &server,
            &key,
            "carol",
            &[],
            &format!("reput {l}/part.bin /part.bin\n"),
        ),
        "reput",
        &server,
    );
    assert_eq!(std::fs::read(home.join("part.bin")).unwrap(), big);
    std::fs::write(local.join("part.back"), &big[..123_456]).unwrap();
    ok(
        &sftp(
            &server,
            &key,
            "carol",
            &[],
            &format!("reget /part.bin {l}/part.back\n"),
        ),
        "reget",
        &server,
    );
    assert_eq!(std::fs::read(local.join("part.back")).unwrap(), big);
}

#[test]
fn large_transfers_under_both_aead_ciphers() {
    let server = Server::start(&env("admin"));
    let dir = server.dir.path();
    let admin = Admin::login(&server, "admin");
    let (key, public) = keygen(dir, "bob_key");
    admin.create_user(&user("bob", "bob-pass-1", &[&public], dir));
    let home = dir.join("homes").join("bob");
    let local = dir.join("local");
    std::fs::create_dir_all(&local).unwrap();
    let data = content(128 << 20, 3);
    std::fs::write(local.join("big.bin"), &data).unwrap();
    let l = local.display();
    for cipher in ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"] {
        let out = sftp(
            &server,
            &key,
            "bob",
            &["-c", cipher],
            &format!("put {l}/big.bin /big.bin\nget /big.bin {l}/big.back\n"),
        );
        ok(&out, cipher, &server);
        assert!(
            std::fs::read(home.join("big.bin")).unwrap() == data,
            "{cipher}: upload differs"
        );
        assert!(
            std::fs::read(local.join("big.back")).unwrap() == data,
            "{cipher}: download differs"
        );
        std::fs::remove_file(local.join("big.back")).unwrap();
    }
}
