//! SFTP with third-party clients and hostile input, against the real `ringway` binary: Python paramiko (the
//! script `clients/paramiko_client.py`), rclone's sftp backend, lftp's sftp:// and OpenSSH `sftp` killed in the
//! middle of an upload. Users are created through the REST API; trees and files are compared byte for byte.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ringway_tests::client::{Admin, content, env, keygen, log_tail, ok, text, user};
use ringway_tests::{Server, http_get};
use serde_json::{Value, json};

/// A server, a user `name` with password `<name>-pass-1` and an Ed25519 key, and the user's home on disk (made
/// with a read-write `rw/` and a `readonly.txt`). `permissions` replaces the default `{"/": ["*"]}`.
struct Fixture {
    server: Server,
    name: String,
    password: String,
    key: PathBuf,
    home: PathBuf,
}

impl Fixture {
    fn new(name: &str, permissions: Option<Value>) -> Self {
        let server = Server::start(&env("admin"));
        let dir = server.dir.path().to_owned();
        let admin = Admin::login(&server, "admin");
        let (key, public) = keygen(&dir, &format!("{name}_key"));
        let password = format!("{name}-pass-1");
        let mut u = user(name, &password, &[&public], &dir);
        if let Some(p) = permissions {
            u["permissions"] = p;
        }
        admin.create_user(&u);
        let home = dir.join("homes").join(name);
        std::fs::create_dir_all(home.join("rw")).unwrap();
        std::fs::write(home.join("readonly.txt"), b"read only\n").unwrap();
        Self {
            server,
            name: name.to_owned(),
            password,
            key,
            home,
        }
    }

    fn dir(&self) -> &Path {
        self.server.dir.path()
    }

    fn scratch(&self, name: &str) -> PathBuf {
        let p = self.dir().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// Runs the paramiko script in `mode` with the connection settings plus `extra`.
    fn paramiko(&self, mode: &str, extra: &Value) -> Output {
        let mut cfg = json!({
            "host": "127.0.0.1",
            "port": self.server.ssh.port(),
            "user": self.name,
            "password": self.password,
            "key": self.key,
            "work": self.scratch(&format!("paramiko-{mode}")),
        });
        for (k, v) in extra.as_object().into_iter().flatten() {
            cfg[k] = v.clone();
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/paramiko_client.py");
        Command::new("timeout")
            .args(["120", "python3"])
            .arg(script)
            .arg(mode)
            .arg(cfg.to_string())
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null())
            .output()
            .expect("run python3 (is paramiko installed?)")
    }

    #[track_caller]
    fn assert_alive(&self) {
        assert_eq!(
            http_get(self.server.http, "/healthz").map(|r| r.0).ok(),
            Some(200),
            "healthz; log:\n{}",
            log_tail(&self.server)
        );
        let log = self.server.log();
        assert!(!log.contains("panicked"), "a panic in the log:\n{log}");
    }
}

fn restricted() -> Value {
    json!({"/": ["list", "download"], "/rw": ["*"]})
}

/// Every file and directory under `root` (relative path to content; directories as `None`), symlinks as their
/// target.
fn tree(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_owned();
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(rel, Some(t.as_os_str().as_encoded_bytes().to_vec()));
            } else if ft.is_dir() {
                out.insert(rel, None);
                walk(root, &p, out);
            } else {
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Nested directories with 200 small files and two of a few MiB.
fn make_tree(root: &Path) {
    for i in 0..200u64 {
        let d = root.join(format!("d{}/e{}", i % 5, i % 3));
        std::fs::create_dir_all(&d).unwrap();
        let len = usize::try_from(i * 37 % 5000).unwrap();
        std::fs::write(d.join(format!("f{i}.txt")), content(len, i + 1)).unwrap();
    }
    std::fs::write(root.join("big1.bin"), content(3 << 20, 1001)).unwrap();
    std::fs::write(root.join("d1/big2.bin"), content((5 << 20) + 123, 1002)).unwrap();
}

#[track_caller]
fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        tb.keys().collect::<Vec<_>>(),
        "{} vs {}",
        a.display(),
        b.display()
    );
    for (k, v) in &ta {
        assert!(tb[k] == *v, "{} differs", k.display());
    }
}

#[test]
fn paramiko_functional() {
    let f = Fixture::new("pia", Some(restricted()));
    let out = f.paramiko("functional", &json!({}));
    let stdout = ok(&out, "paramiko functional", &f.server);
    eprintln!("{stdout}");
    assert!(stdout.contains("error codes: ok"), "{stdout}");
    // Nothing was written where the user may not write.
    assert!(!f.home.join("denied.bin").exists());
    assert!(!f.home.join("denied-dir").exists());
    assert_eq!(
        std::fs::read(f.home.join("readonly.txt")).unwrap(),
        b"read only\n"
    );
    f.assert_alive();
}

/// paramiko's default `get()` prefetches a whole file at once: one READ per 32 KiB (1536 for 48 MiB) before
/// it reads any reply. Past `SessionConfig::max_pending` (1024) running requests the READs wait in the
/// session's queue and are served as slots free.
#[test]
fn paramiko_unbounded_prefetch_of_a_large_file() {
    let f = Fixture::new("pre", Some(restricted()));
    let out = f.paramiko("prefetch-unbounded", &json!({}));
    ok(&out, "paramiko get with unbounded prefetch", &f.server);
    f.assert_alive();
}

/// paramiko's `put()` pipelines its WRITEs and then waits for their acknowledgements strictly in request order
/// (it hangs if one arrives early): the engine keeps WRITE replies on a handle in order while the writes
/// themselves run concurrently. Three 20 MiB uploads in a row.
#[test]
fn paramiko_pipelined_put() {
    let f = Fixture::new("pip", Some(restricted()));
    let out = f.paramiko("pipelined-put", &json!({}));
    ok(&out, "paramiko pipelined put", &f.server);
    f.assert_alive();
}

#[test]
fn paramiko_malformed_packet_streams() {
    let f = Fixture::new("hob", Some(restricted()));
    let out = f.paramiko("hostile", &json!({}));
    let stdout = ok(&out, "paramiko hostile", &f.server);
    eprintln!("{stdout}");
    assert!(stdout.contains("concurrent session:"), "{stdout}");
    f.assert_alive();
}

/// Every request type through `..` and through symlinks placed in the home that lead out of it: nothing outside
/// is read, written or listed, and READLINK of such a link is refused rather than showing the server's disk.
#[test]
fn paramiko_path_escapes_on_every_request() {
    path_escapes(true);
}

fn path_escapes(strict_readlink: bool) {
    let f = Fixture::new("eve", Some(restricted()));
    // Beside the home: homes/eve/../../outside = <config dir>/outside.
    let outside = f.dir().join("outside");
    std::fs::create_dir_all(outside.join("subdir")).unwrap();
    std::fs::write(outside.join("secret.txt"), b"SECRET").unwrap();
    let rw = f.home.join("rw");
    std::fs::write(rw.join("mine.txt"), b"mine").unwrap();
    let link =
        |target: &Path, name: &str| std::os::unix::fs::symlink(target, rw.join(name)).unwrap();
    link(&outside.join("secret.txt"), "abs_file");
    link(&outside, "abs_dir");
    link(Path::new("../../../outside/secret.txt"), "rel_file");
    link(Path::new("../../../outside"), "rel_dir");
    let before_outside = tree(&outside);
    let before_config: Vec<PathBuf> = tree(f.dir())
        .into_keys()
        .filter(|p| !p.starts_with("homes") && !p.starts_with("paramiko-escapes"))
        .collect();

    let out = f.paramiko(
        "escapes",
        &json!({
            "outside_on_disk": outside,
            "dotdot": "/../../outside",
            "file_links": ["/rw/abs_file", "/rw/rel_file"],
            "dir_links": ["/rw/abs_dir", "/rw/rel_dir", "/rw/../../../outside"],
            "escaping_targets": [
                "/../../outside/secret.txt",
                "../../../outside/secret.txt",
                "../../../../../../../../etc/passwd",
                outside.join("secret.txt"),
            ],
            "strict_readlink": strict_readlink,
        }),
    );
    eprintln!("{}", text(&out.stdout));
    let report = text(&out.stdout);

    // Nothing outside the home was read or written.
    assert_eq!(tree(&outside), before_outside, "the outside dir changed");
    let after_config: Vec<PathBuf> = tree(f.dir())
        .into_keys()
        .filter(|p| !p.starts_with("homes") && !p.starts_with("paramiko-escapes"))
        .collect();
    assert_eq!(after_config, before_config, "new files beside the home");
    // Links the server made resolve inside the home.
    for i in 0..4 {
        let made = rw.join(format!("made{i}"));
        if let Ok(t) = std::fs::read_link(&made) {
            let resolved = lexical(&rw.join(t));
            assert!(
                resolved.starts_with(&f.home),
                "made{i} -> {} escapes the home",
                resolved.display()
            );
        }
    }
    assert!(!report.contains("SECRET"), "{report}");
    ok(&out, "paramiko escapes", &f.server);
    f.assert_alive();
}

/// `path` with `.` and `..` resolved lexically.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

#[test]
fn rclone_copy_and_check_a_tree() {
    let f = Fixture::new("rob", None);
    let local = f.scratch("rclone-up");
    make_tree(&local);
    let down = f.scratch("rclone-down");
    let conf = f.dir().join("rclone.conf");
    std::fs::write(&conf, "").unwrap();
    let rclone = |args: &[&Path]| {
        let mut cmd = Command::new("timeout");
        cmd.args(["120", "rclone", "--config"])
            .arg(&conf)
            .args(args)
            .args([
                "--sftp-host",
                "127.0.0.1",
                "--sftp-port",
                &f.server.ssh.port().to_string(),
                "--sftp-user",
                &f.name,
                "--sftp-key-file",
            ])
            .arg(&f.key)
            .args(["--sftp-key-use-agent=false", "--sftp-shell-type", "unix"])
            .args(["--transfers", "8", "--checkers", "8", "--retries", "1"])
            .args(["--low-level-retries", "1", "--contimeout", "10s"])
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null());
        cmd.output().expect("run rclone")
    };
    let remote = Path::new(":sftp:/tree");
    ok(
        &rclone(&["copy".as_ref(), &local, remote]),
        "rclone copy up",
        &f.server,
    );
    assert_same_tree(&local, &f.home.join("tree"));
    let out = rclone(&["check".as_ref(), &local, remote]);
    let msg = text(&out.stderr);
    ok(&out, "rclone check up", &f.server);
    assert!(msg.contains("202 matching files"), "{msg}");
    ok(
        &rclone(&["copy".as_ref(), remote, &down]),
        "rclone copy down",
        &f.server,
    );
    assert_same_tree(&local, &down);
    ok(
        &rclone(&["check".as_ref(), remote, &down]),
        "rclone check down",
        &f.server,
    );
    f.assert_alive();
}

#[test]
fn lftp_mirror_both_ways() {
    let f = Fixture::new("liv", None);
    let local = f.scratch("lftp-up");
    make_tree(&local);
    let back = f.dir().join("lftp-back");
    let script = format!(
        "set sftp:auto-confirm yes; \
         set sftp:connect-program \"ssh -a -x -F /dev/null -o UserKnownHostsFile=/dev/null \
         -o PubkeyAuthentication=no -o IdentityAgent=none\"; \
         set net:max-retries 1; set net:timeout 20; \
         mirror -R --parallel=4 {} /mirrored; mirror /mirrored {}; ls /; quit",
        local.display(),
        back.display()
    );
    let out = Command::new("timeout")
        .args(["120", "lftp", "-u"])
        .arg(format!("{},{}", f.name, f.password))
        .arg(format!("sftp://127.0.0.1:{}", f.server.ssh.port()))
        .args(["-e", &script])
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .output()
        .expect("run lftp");
    let listing = ok(&out, "lftp", &f.server);
    assert!(listing.contains("mirrored"), "{listing}");
    assert_same_tree(&local, &f.home.join("mirrored"));
    assert_same_tree(&local, &back);
    f.assert_alive();
}

#[test]
fn openssh_client_killed_mid_upload_leaves_no_torn_file() {
    let f = Fixture::new("kim", None);
    let old = content(1 << 20, 77);
    std::fs::write(f.home.join("target.bin"), &old).unwrap();
    let local = f.scratch("kill");
    {
        use std::io::Write;
        let block = content(1 << 20, 5);
        let mut w = std::fs::File::create(local.join("huge.bin")).unwrap();
        for i in 0..200u8 {
            w.write_all(&[i]).unwrap();
            w.write_all(&block[1..]).unwrap();
        }
    }
    let temps = || -> Vec<String> {
        std::fs::read_dir(&f.home)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".ringway-upload."))
            .collect()
    };
    let sftp = |batch: String| {
        let mut cmd = Command::new("sftp");
        cmd.args(["-F", "/dev/null", "-P", &f.server.ssh.port().to_string()])
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
            ])
            .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o"])
            .args(["IdentityAgent=none", "-i"])
            .arg(&f.key)
            .args(["-b", "-"])
            .arg(format!("{}@127.0.0.1", f.name))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().expect("run sftp");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(batch.as_bytes()).unwrap();
        }
        child
    };
    let child = sftp(format!("put {}/huge.bin /target.bin\n", local.display()));
    // Kill once the upload is under way (its temporary file exists), about 0.3 s in.
    let start = Instant::now();
    while temps().is_empty() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !temps().is_empty(),
        "no upload started; log:\n{}",
        log_tail(&f.server)
    );
    std::thread::sleep(Duration::from_millis(300));
    // SIGKILL to sftp and its ssh child at once: the connection drops with no goodbye.
    let pgid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "the upload finished before the kill");

    assert_eq!(
        std::fs::read(f.home.join("target.bin")).unwrap(),
        old,
        "atomic mode: the old content survives"
    );
    let start = Instant::now();
    while !temps().is_empty() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        temps(),
        Vec::<String>::new(),
        "log:\n{}",
        log_tail(&f.server)
    );
    assert_eq!(std::fs::read(f.home.join("target.bin")).unwrap(), old);

    // A new session works.
    std::fs::write(local.join("small.bin"), b"after the kill").unwrap();
    let l = local.display();
    let child = sftp(format!(
        "put {l}/small.bin /small.bin\nget /target.bin {l}/target.back\n"
    ));
    ok(&child.wait_with_output().unwrap(), "new session", &f.server);
    assert_eq!(
        std::fs::read(f.home.join("small.bin")).unwrap(),
        b"after the kill"
    );
    assert_eq!(std::fs::read(local.join("target.back")).unwrap(), old);
    f.assert_alive();
}
