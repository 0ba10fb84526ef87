//! SCP and the SSH hash commands end to end: the real `ringway` binary and the real OpenSSH `scp` (legacy
//! protocol with `-O`, SFTP without) and `ssh`. Users are created through the REST API.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

use ringway_tests::Server;
use ringway_tests::client::{
    Admin, CLIENT_OPTIONS, content, env, keygen, ok, sha256, ssh_key, text, user,
};
use serde_json::json;

/// `scp` with the common client options, as `name` with `key`.
fn scp_cmd(server: &Server, key: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args(["300", "scp", "-F", "/dev/null", "-P"])
        .arg(server.ssh.port().to_string())
        .args(CLIENT_OPTIONS)
        .args(["-o", "BatchMode=yes", "-i"])
        .arg(key)
        .args(args)
        .stdin(Stdio::null());
    cmd
}

fn scp(server: &Server, key: &Path, args: &[&str]) -> Output {
    scp_cmd(server, key, args).output().expect("run scp")
}

/// Every file under `root` with its content, by relative path.
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.push((p.strip_prefix(root).unwrap().to_owned(), Vec::new()));
                walk(root, &p, out);
            } else {
                out.push((
                    p.strip_prefix(root).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn mtime(p: &Path) -> u64 {
    std::fs::metadata(p)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn scp_legacy_and_modern_transfers_and_hash_commands() {
    let server = Server::start(&env("admin"));
    let dir = server.dir.path();
    let admin = Admin::login(&server, "admin");
    let (key, public) = keygen(dir, "alice_key");
    admin.create_user(&user("alice", "alice-pass-1", &[&public], dir));
    let home = dir.join("homes").join("alice");
    let local = dir.join("local");
    std::fs::create_dir_all(&local).unwrap();
    let remote = |p: &str| format!("alice@127.0.0.1:{p}");

    // One file up and down, legacy protocol.
    let data = content(3_000_001, 5);
    let file = local.join("file.bin");
    std::fs::write(&file, &data).unwrap();
    let f = file.to_str().unwrap();
    ok(
        &scp(&server, &key, &["-O", f, &remote("/file.bin")]),
        "upload",
        &server,
    );
    assert_eq!(sha256(&home.join("file.bin")), sha256(&file));
    let back = local.join("file.back");
    let b = back.to_str().unwrap();
    ok(
        &scp(&server, &key, &["-O", &remote("/file.bin"), b]),
        "download",
        &server,
    );
    assert_eq!(sha256(&back), sha256(&file));
    // Into a directory target, and an empty file.
    std::fs::write(local.join("empty"), b"").unwrap();
    ok(
        &scp(
            &server,
            &key,
            &["-O", local.join("empty").to_str().unwrap(), &remote("/")],
        ),
        "empty file into /",
        &server,
    );
    assert_eq!(std::fs::read(home.join("empty")).unwrap(), b"");

    // A nested tree both ways.
    let src = local.join("tree");
    std::fs::create_dir_all(src.join("a/b/c")).unwrap();
    std::fs::create_dir_all(src.join("empty dir")).unwrap();
    std::fs::write(src.join("top.txt"), b"top").unwrap();
    std::fs::write(src.join("a/one.bin"), content(70_000, 1)).unwrap();
    std::fs::write(src.join("a/b/c/deep name.bin"), content(600_000, 2)).unwrap();
    ok(
        &scp(
            &server,
            &key,
            &["-O", "-r", src.to_str().unwrap(), &remote("/")],
        ),
        "recursive upload",
        &server,
    );
    assert_eq!(tree(&home.join("tree")), tree(&src));
    let down = local.join("down");
    std::fs::create_dir_all(&down).unwrap();
    ok(
        &scp(
            &server,
            &key,
            &["-O", "-r", &remote("/tree"), down.to_str().unwrap()],
        ),
        "recursive download",
        &server,
    );
    assert_eq!(tree(&down.join("tree")), tree(&src));

    // Remote wildcards, expanded by the server as a shell would (no shell runs): `*` skips dot files.
    std::fs::write(home.join("tree/a/two.bin"), b"two").unwrap();
    std::fs::write(home.join("tree/a/.hidden.bin"), b"hidden").unwrap();
    let wild = local.join("wild");
    std::fs::create_dir_all(&wild).unwrap();
    ok(
        &scp(
            &server,
            &key,
            &["-O", &remote("/tree/a/*.bin"), wild.to_str().unwrap()],
        ),
        "wildcard download",
        &server,
    );
    let mut got: Vec<String> = std::fs::read_dir(&wild)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    assert_eq!(got, ["one.bin", "two.bin"]);
    assert_eq!(std::fs::read(wild.join("two.bin")).unwrap(), b"two");
    let out = scp(
        &server,
        &key,
        &["-O", &remote("/tree/a/*.none"), wild.to_str().unwrap()],
    );
    assert_ne!(
        out.status.code(),
        Some(0),
        "a wildcard that matches nothing fails: {out:?}"
    );

    // -p keeps modification times, both ways.
    let old = local.join("old.txt");
    std::fs::write(&old, b"old").unwrap();
    let t = Command::new("touch")
        .args(["-m", "-d", "2001-02-03 04:05:06"])
        .arg(&old)
        .status()
        .unwrap();
    assert!(t.success());
    ok(
        &scp(
            &server,
            &key,
            &["-O", "-p", old.to_str().unwrap(), &remote("/old.txt")],
        ),
        "upload -p",
        &server,
    );
    assert_eq!(mtime(&home.join("old.txt")), mtime(&old));
    let old_back = local.join("old.back");
    ok(
        &scp(
            &server,
            &key,
            &["-O", "-p", &remote("/old.txt"), old_back.to_str().unwrap()],
        ),
        "download -p",
        &server,
    );
    assert_eq!(mtime(&old_back), mtime(&old));

    // Escapes and missing files are refused.
    let out = scp(&server, &key, &["-O", f, &remote("/../../escaped.bin")]);
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(!dir.join("escaped.bin").exists() && !dir.join("homes/escaped.bin").exists());
    let leak = local.join("leak");
    let out = scp(
        &server,
        &key,
        &[
            "-O",
            &remote("/../../../etc/passwd"),
            leak.to_str().unwrap(),
        ],
    );
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(!leak.exists());
    let out = scp(
        &server,
        &key,
        &["-O", &remote("/missing"), leak.to_str().unwrap()],
    );
    assert_ne!(out.status.code(), Some(0), "{out:?}");

    // Modern scp (SFTP) both ways.
    let modern = local.join("modern.back");
    ok(
        &scp(&server, &key, &[f, &remote("/modern.bin")]),
        "modern upload",
        &server,
    );
    ok(
        &scp(
            &server,
            &key,
            &[&remote("/modern.bin"), modern.to_str().unwrap()],
        ),
        "modern download",
        &server,
    );
    assert_eq!(std::fs::read(&modern).unwrap(), data);

    // Hash commands.
    let out = ssh_key(&server, &key, "alice", &[], &["sha256sum", "/file.bin"]);
    ok(&out, "sha256sum", &server);
    assert_eq!(text(&out.stdout), format!("{}  /file.bin\n", sha256(&file)));
    let out = ssh_key(&server, &key, "alice", &[], &["md5sum", "/file.bin"]);
    ok(&out, "md5sum", &server);
    let expected = Command::new("md5sum").arg(&file).output().unwrap();
    assert_eq!(
        text(&out.stdout).split_whitespace().next(),
        text(&expected.stdout).split_whitespace().next()
    );
    let out = ssh_key(&server, &key, "alice", &[], &["md5sum", "/missing"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("no such file"), "{out:?}");
    let out = ssh_key(&server, &key, "alice", &[], &["cd", "/tree"]);
    assert_eq!(
        (out.status.code(), text(&out.stdout).as_str()),
        (Some(0), "")
    );
}

#[test]
fn scp_refusals_and_interrupted_uploads() {
    let server = Server::start(&env("admin"));
    let dir = server.dir.path();
    let admin = Admin::login(&server, "admin");
    let (key, public) = keygen(dir, "key");
    admin.create_user(&user("bob", "bob-pass-1", &[&public], dir));
    let mut reader = user("rita", "rita-pass-1", &[&public], dir);
    reader["permissions"] = json!({"/": ["list", "download"]});
    admin.create_user(&reader);
    let local = dir.join("local");
    std::fs::create_dir_all(&local).unwrap();
    let small = local.join("small.txt");
    std::fs::write(&small, b"hello").unwrap();

    // No upload permission: refused, nothing written.
    let rita_home = dir.join("homes").join("rita");
    let out = scp(
        &server,
        &key,
        &["-O", small.to_str().unwrap(), "rita@127.0.0.1:/small.txt"],
    );
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(text(&out.stderr).contains("permission denied"), "{out:?}");
    assert!(!rita_home.join("small.txt").exists());

    // A client killed during a large upload leaves the old file and no temporary file.
    let home = dir.join("homes").join("bob");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("big.bin"), b"old content").unwrap();
    let big = local.join("big.bin");
    std::fs::write(&big, content(100 << 20, 9)).unwrap();
    let mut child = scp_cmd(
        &server,
        &key,
        &[
            "-O",
            "-l",
            "80000",
            big.to_str().unwrap(),
            "bob@127.0.0.1:/big.bin",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Wait until the upload is under way: a temporary file next to the target grows.
    let names = || -> Vec<String> {
        std::fs::read_dir(&home)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let start = Instant::now();
    while names().len() < 2 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(names().len(), 2, "no temporary file seen: {:?}", names());
    // `timeout` runs scp as its child: kill the whole process group of the client.
    let _ = Command::new("pkill")
        .args(["-KILL", "-P"])
        .arg(child.id().to_string())
        .status();
    let _ = child.kill();
    let _ = child.wait();
    let start = Instant::now();
    while names().len() > 1 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(names(), ["big.bin"], "log:\n{}", server.log());
    assert_eq!(std::fs::read(home.join("big.bin")).unwrap(), b"old content");
}
