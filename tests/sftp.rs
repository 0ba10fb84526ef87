//! SFTP end to end: the real `ringway` binary and the real OpenSSH `sftp` client in batch mode, users created
//! through the REST API. Transfers are checked byte for byte; large ones under both AEAD ciphers.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use ringway_tests::Server;
use ringway_tests::client::{Admin, CLIENT_OPTIONS, content, env, keygen, ok, sha256, text, user};

/// `sftp -b -` (commands on stdin) as `name` with `key`, `extra` client options, pipes for all three streams.
fn sftp_command(server: &Server, key: &Path, name: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new("sftp");
    cmd.args(["-F", "/dev/null", "-b", "-", "-P"])
        .arg(server.ssh.port().to_string())
        .args(CLIENT_OPTIONS)
        .args(["-o", "BatchMode=yes", "-i"])
        .arg(key)
        .args(extra)
        .arg(format!("{name}@127.0.0.1"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `sftp -b -` with `batch` on stdin as `name` with `key`; `extra` adds client options.
fn sftp(server: &Server, key: &Path, name: &str, extra: &[&str], batch: &str) -> Output {
    // At most 300 s, so a hung transfer fails the test instead of stalling the suite.
    let inner = sftp_command(server, key, name, extra);
    let mut child = Command::new("timeout")
        .arg("300")
        .arg(inner.get_program())
        .args(inner.get_args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sftp");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(batch.as_bytes())
        .expect("write batch");
    child.wait_with_output().expect("sftp output")
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

/// Writes `len` bytes of [`content`] to `path` in 1 MiB pieces (no gigabyte buffer in memory); returns their
/// sha256.
fn write_content(path: &Path, len: usize, seed: u64) -> String {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut left = len;
    let mut piece = 0;
    while left > 0 {
        let n = left.min(1 << 20);
        f.write_all(&content(n, seed.wrapping_add(piece))).unwrap();
        left -= n;
        piece += 1;
    }
    f.flush().unwrap();
    drop(f);
    sha256(path)
}

/// A user `name` with a key, and a local directory for the client's files.
fn transfer_fixture(
    name: &str,
) -> (
    Server,
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let server = Server::start(&env("admin"));
    let dir = server.dir.path().to_owned();
    let admin = Admin::login(&server, "admin");
    let (key, public) = keygen(&dir, &format!("{name}_key"));
    admin.create_user(&user(name, &format!("{name}-pass-1"), &[&public], &dir));
    let home = dir.join("homes").join(name);
    let local = dir.join("local");
    std::fs::create_dir_all(&local).unwrap();
    (server, key, home, local)
}

/// One put and one get of `file` with `extra` client options, both checked by sha256.
fn round_trip(
    server: &Server,
    key: &Path,
    name: &str,
    home: &Path,
    file: &Path,
    sum: &str,
    extra: &[&str],
) {
    let back = file.with_extension("back");
    let out = sftp(
        server,
        key,
        name,
        extra,
        &format!(
            "put {} /big.bin\nget /big.bin {}\n",
            file.display(),
            back.display()
        ),
    );
    ok(&out, &format!("{extra:?}"), server);
    assert_eq!(
        sha256(&home.join("big.bin")),
        sum,
        "{extra:?}: upload differs"
    );
    assert_eq!(sha256(&back), sum, "{extra:?}: download differs");
    std::fs::remove_file(&back).unwrap();
    std::fs::remove_file(home.join("big.bin")).unwrap();
}

#[test]
fn large_transfers_under_both_aead_ciphers() {
    let (server, key, home, local) = transfer_fixture("bob");
    let file = local.join("big.bin");
    let sum = write_content(&file, 1 << 30, 3);
    for cipher in ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"] {
        round_trip(&server, &key, "bob", &home, &file, &sum, &["-c", cipher]);
    }
}

/// The stall an earlier russh prototype hit: large transfers while the client forces a key exchange every few
/// MiB, repeated, then a client that reads and writes slowly (bandwidth-limited) with frequent rekeys. Each
/// transfer must complete and match.
#[test]
fn repeated_transfers_with_forced_rekeys_and_a_slow_client() {
    let (server, key, home, local) = transfer_fixture("rita");
    let file = local.join("big.bin");
    let sum = write_content(&file, 256 << 20, 11);
    for round in 0..3 {
        let cipher = if round % 2 == 0 {
            "aes128-gcm@openssh.com"
        } else {
            "chacha20-poly1305@openssh.com"
        };
        round_trip(
            &server,
            &key,
            "rita",
            &home,
            &file,
            &sum,
            &["-c", cipher, "-o", "RekeyLimit=4M"],
        );
    }
    let slow = local.join("slow.bin");
    let slow_sum = write_content(&slow, 48 << 20, 12);
    // -l is in Kbit/s: 80000 is 10 MB/s, about 5 s each way.
    round_trip(
        &server,
        &key,
        "rita",
        &home,
        &slow,
        &slow_sum,
        &["-l", "80000", "-o", "RekeyLimit=1M"],
    );
    ok(
        &sftp(&server, &key, "rita", &[], "pwd\n"),
        "a login after the soak",
        &server,
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

/// SIGTERM while an upload is running: the server stops accepting, lets the transfer finish (within
/// `engine.grace_time`), closes the idle connection at once, and exits 0; the uploaded file is complete.
#[test]
fn shutdown_lets_a_running_transfer_finish() {
    let mut server =
        Server::start(&[env("admin"), vec![("RINGWAY_ENGINE__GRACE_TIME", "60")]].concat());
    let dir = server.dir.path().to_owned();
    let admin = Admin::login(&server, "admin");
    let (key, public) = keygen(&dir, "sam_key");
    admin.create_user(&user("sam", "sam-pass-1", &[&public], &dir));
    let home = dir.join("homes").join("sam");
    let file = dir.join("up.bin");
    // 8 MiB at 16 Mbit/s: about 4 seconds.
    let sum = write_content(&file, 8 << 20, 21);
    let idle = sftp_command(&server, &key, "sam", &[])
        .spawn()
        .expect("run the idle sftp");
    let mut upload = sftp_command(&server, &key, "sam", &["-l", "16000"])
        .spawn()
        .expect("run the uploading sftp");
    upload
        .stdin
        .take()
        .unwrap()
        .write_all(format!("put {} /up.bin\n", file.display()).as_bytes())
        .unwrap();
    // Wait until the upload is under way (its temporary file exists), then stop the server.
    let started = std::time::Instant::now();
    while std::fs::read_dir(&home).map_or(0, Iterator::count) == 0 {
        assert!(
            started.elapsed().as_secs() < 30,
            "the upload never started:\n{}",
            server.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (status, took) = server.terminate(std::time::Duration::from_secs(60));
    let out = upload.wait_with_output().unwrap();
    assert!(status.success(), "exit status {status}");
    assert_eq!(out.status.code(), Some(0), "upload: {}", text(&out.stderr));
    assert_eq!(sha256(&home.join("up.bin")), sum, "the upload is complete");
    assert!(
        took.as_secs_f64() > 1.0,
        "the server waited for the transfer ({took:?})"
    );
    // The idle session (stdin still open) was closed by the server, not left to the grace time.
    let idle_out = idle.wait_with_output().unwrap();
    assert!(
        text(&idle_out.stderr).contains("server shutting down"),
        "{idle_out:?}"
    );
}

/// Bytes and files under `dir`, as a quota scan counts them (regular files, recursively).
fn disk_usage(dir: &Path) -> (i64, i64) {
    let mut total = (0, 0);
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let md = e.metadata().unwrap();
        if md.is_dir() {
            let (s, f) = disk_usage(&e.path());
            total = (total.0 + s, total.1 + f);
        } else if md.is_file() {
            total = (total.0 + i64::try_from(md.len()).unwrap(), total.1 + 1);
        }
    }
    total
}

/// Waits until the REST API reports `want` as the user's used quota (usage is committed in batches).
#[track_caller]
fn wait_usage(admin: &Admin, name: &str, want: (i64, i64), what: &str) {
    let mut last = (0, 0);
    for _ in 0..100 {
        let (_, u) = admin.get(&format!("/api/v2/users/{name}"));
        last = (
            u["used_quota_size"].as_i64().unwrap_or(-1),
            u["used_quota_files"].as_i64().unwrap_or(-1),
        );
        if last == want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what}: used quota {last:?}, expected {want:?}");
}

/// Uploads, overwrites, renames, deletes and an interrupted upload keep the user's used quota equal to what is
/// on disk.
#[test]
fn quota_usage_follows_uploads_overwrites_and_deletes() {
    let (server, key, home, local) = transfer_fixture("quinn");
    let admin = Admin::login(&server, "admin");
    let f = |name: &str, len: usize, seed: u64| {
        let p = local.join(name);
        std::fs::write(&p, content(len, seed)).unwrap();
        p.display().to_string()
    };
    let (a, b, c) = (f("a", 100_000, 1), f("b", 40_000, 2), f("c", 10_000, 3));
    let steps = [
        (format!("put {a} /a.bin\n"), "upload"),
        (format!("put {b} /a.bin\n"), "overwrite"),
        (
            format!("mkdir /d\nput {c} /d/c.bin\nrename /d/c.bin /d/moved.bin\n"),
            "rename",
        ),
        ("ln /d/moved.bin /hard.bin\n".to_owned(), "hard link"),
        ("rm /a.bin\n".to_owned(), "delete"),
    ];
    for (batch, what) in steps {
        ok(&sftp(&server, &key, "quinn", &[], &batch), what, &server);
        wait_usage(&admin, "quinn", disk_usage(&home), what);
    }
    let settled = disk_usage(&home);
    assert_eq!(settled, (20_000, 2), "what the steps leave on disk");

    // A client killed in the middle of an atomic upload changes nothing.
    let big = local.join("big.bin");
    write_content(&big, 8 << 20, 5);
    let mut upload = sftp_command(&server, &key, "quinn", &["-l", "8000"])
        .spawn()
        .expect("run sftp");
    upload
        .stdin
        .take()
        .unwrap()
        .write_all(format!("put {} /big.bin\n", big.display()).as_bytes())
        .unwrap();
    let started = std::time::Instant::now();
    while std::fs::read_dir(&home).unwrap().count() < 3 {
        assert!(started.elapsed().as_secs() < 30, "the upload never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    upload.kill().unwrap();
    upload.wait().unwrap();
    // The temporary file goes when the server sees the connection end.
    let started = std::time::Instant::now();
    while disk_usage(&home) != settled {
        assert!(
            started.elapsed().as_secs() < 30,
            "the temporary file stayed: {:?}",
            disk_usage(&home)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    wait_usage(&admin, "quinn", settled, "after the killed upload");
}
