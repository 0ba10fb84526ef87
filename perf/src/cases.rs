//! The benchmark cases: what each does with the OpenSSH client (or, for idle sessions, our own russh client),
//! and how its result is checked.
//!
//! A case runs against one started server at a time: [`Case::prepare`] puts the files it needs in place (not
//! timed), [`Case::run`] times the client work while sampling the server's CPU and memory, and the result is
//! verified (sha256 of every transferred file, entry counts) before it counts.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use sha2::{Digest as _, Sha256};

use crate::procfs;
use crate::servers::{PASSWORD, Running, USER};

pub(crate) const AES: &str = "aes128-gcm@openssh.com";
pub(crate) const CHACHA: &str = "chacha20-poly1305@openssh.com";

/// One benchmark case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Download(&'static str),
    Upload(&'static str),
    ScpDownload,
    ScpUpload,
    ParallelDownload,
    LoginKey,
    LoginPassword,
    PutManySmall,
    ListLarge,
    IdleSessions,
}

/// What a case's figures are per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Unit {
    /// Bytes moved: MB/s and CPU-seconds per GiB.
    Bytes,
    /// Operations (logins, files, listed entries): per second and CPU-milliseconds per operation.
    Ops,
    /// Idle sessions held: memory per session.
    Sessions,
}

/// Sizes of the cases; [`Sizes::full`] by default, [`Sizes::quick`] for `--quick`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Sizes {
    pub(crate) file_mib: u64,
    pub(crate) parallel: usize,
    pub(crate) parallel_mib: u64,
    pub(crate) logins: usize,
    pub(crate) small_files: usize,
    pub(crate) small_file_bytes: usize,
    pub(crate) list_entries: usize,
    pub(crate) idle_sessions: usize,
}

impl Sizes {
    pub(crate) fn full() -> Self {
        Self {
            file_mib: 1024,
            parallel: 8,
            parallel_mib: 256,
            logins: 50,
            small_files: 2000,
            small_file_bytes: 4096,
            list_entries: 10_000,
            idle_sessions: 1000,
        }
    }

    pub(crate) fn quick() -> Self {
        Self {
            file_mib: 64,
            parallel: 8,
            parallel_mib: 8,
            logins: 5,
            small_files: 100,
            small_file_bytes: 4096,
            list_entries: 500,
            idle_sessions: 20,
        }
    }
}

impl Case {
    /// Every case, in report order.
    pub(crate) const ALL: [Self; 12] = [
        Self::Download(AES),
        Self::Upload(AES),
        Self::Download(CHACHA),
        Self::Upload(CHACHA),
        Self::ScpDownload,
        Self::ScpUpload,
        Self::ParallelDownload,
        Self::LoginKey,
        Self::LoginPassword,
        Self::PutManySmall,
        Self::ListLarge,
        Self::IdleSessions,
    ];

    /// The name used on the command line and in reports.
    pub(crate) fn id(&self) -> &'static str {
        match self {
            Self::Download(c) if *c == AES => "download-aes128-gcm",
            Self::Download(_) => "download-chacha20",
            Self::Upload(c) if *c == AES => "upload-aes128-gcm",
            Self::Upload(_) => "upload-chacha20",
            Self::ScpDownload => "scp-download",
            Self::ScpUpload => "scp-upload",
            Self::ParallelDownload => "parallel-download",
            Self::LoginKey => "login-pubkey",
            Self::LoginPassword => "login-password",
            Self::PutManySmall => "put-r-small-files",
            Self::ListLarge => "ls-l-large-dir",
            Self::IdleSessions => "idle-sessions",
        }
    }

    /// What the case does, for `list` and the report.
    pub(crate) fn describe(&self, s: &Sizes) -> String {
        match self {
            Self::Download(c) => format!("sftp get of a {} MiB file, {c}", s.file_mib),
            Self::Upload(c) => format!("sftp put of a {} MiB file, {c}", s.file_mib),
            Self::ScpDownload => format!("scp -O download of a {} MiB file, {AES}", s.file_mib),
            Self::ScpUpload => format!("scp -O upload of a {} MiB file, {AES}", s.file_mib),
            Self::ParallelDownload => {
                format!(
                    "{} parallel sftp gets of {} MiB files, {AES}",
                    s.parallel, s.parallel_mib
                )
            }
            Self::LoginKey => format!(
                "{} sequential sftp logins with an Ed25519 key, {AES}",
                s.logins
            ),
            Self::LoginPassword => {
                format!("{} sequential sftp logins with a password, {AES}", s.logins)
            }
            Self::PutManySmall => {
                format!(
                    "sftp put -r of {} files of {} B, {AES}",
                    s.small_files, s.small_file_bytes
                )
            }
            Self::ListLarge => format!("sftp ls -l of a {}-entry directory, {AES}", s.list_entries),
            Self::IdleSessions => {
                format!(
                    "{} idle authenticated SFTP sessions (russh client, Ed25519 key)",
                    s.idle_sessions
                )
            }
        }
    }

    pub(crate) fn unit(&self) -> Unit {
        match self {
            Self::Download(_)
            | Self::Upload(_)
            | Self::ScpDownload
            | Self::ScpUpload
            | Self::ParallelDownload => Unit::Bytes,
            Self::LoginKey | Self::LoginPassword | Self::PutManySmall | Self::ListLarge => {
                Unit::Ops
            }
            Self::IdleSessions => Unit::Sessions,
        }
    }

    pub(crate) fn cipher(&self) -> Option<&'static str> {
        match self {
            Self::Download(c) | Self::Upload(c) => Some(c),
            Self::IdleSessions => None,
            _ => Some(AES),
        }
    }

    pub(crate) fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// The figures of one run of one case against one server.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub(crate) struct Sample {
    pub(crate) wall_s: f64,
    /// Bytes moved (data cases) or operations done (logins, files, entries) or sessions held.
    pub(crate) amount: f64,
    pub(crate) server_cpu_s: f64,
    pub(crate) client_cpu_s: f64,
    pub(crate) peak_rss_bytes: u64,
    /// Idle sessions: server memory (PSS of the process tree) added per session, in bytes.
    pub(crate) bytes_per_session: f64,
    /// Idle sessions: the server tree's PSS with every session open, in bytes.
    pub(crate) pss_bytes: u64,
}

/// Test data shared by every server: the source files and their digests, made once per work dir.
#[derive(Debug)]
pub(crate) struct Data {
    pub(crate) dir: PathBuf,
    pub(crate) big: PathBuf,
    pub(crate) big_sha: String,
    pub(crate) medium: PathBuf,
    pub(crate) medium_sha: String,
    pub(crate) small_dir: PathBuf,
    pub(crate) downloads: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) sizes: Sizes,
}

impl Data {
    pub(crate) fn make(work: &Path, key: &Path, sizes: Sizes) -> Result<Self> {
        let dir = work.join("data");
        fs::create_dir_all(&dir)?;
        let big = dir.join(format!("src-{}m.bin", sizes.file_mib));
        let big_sha = generate(&big, sizes.file_mib << 20, 1)?;
        let medium = dir.join(format!("src-{}m.bin", sizes.parallel_mib));
        let medium_sha = generate(&medium, sizes.parallel_mib << 20, 1)?;
        let small_dir = dir.join(format!("small-{}", sizes.small_files));
        if !small_dir.exists() {
            let tmp = dir.join("small.tmp");
            let _ = fs::remove_dir_all(&tmp);
            fs::create_dir_all(&tmp)?;
            for i in 0..sizes.small_files {
                fs::write(
                    tmp.join(format!("f{i:05}")),
                    content(sizes.small_file_bytes, i as u64 + 7),
                )?;
            }
            fs::rename(&tmp, &small_dir)?;
        }
        let downloads = dir.join("downloads");
        crate::servers::fresh_dir(&downloads)?;
        Ok(Self {
            dir,
            big,
            big_sha,
            medium,
            medium_sha,
            small_dir,
            downloads,
            key: key.to_owned(),
            sizes,
        })
    }
}

/// Fills `buf` with xorshift64 output from state `x` (deterministic, incompressible enough for transfers).
fn fill(x: &mut u64, buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
}

/// `len` pseudo-random bytes from `seed`.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; len];
    fill(&mut (seed | 1), &mut v);
    v
}

/// Writes `len` pseudo-random bytes to `path` unless a file of that size is there; returns its sha256.
fn generate(path: &Path, len: u64, seed: u64) -> Result<String> {
    if fs::metadata(path).map(|m| m.len()).ok() != Some(len) {
        let tmp = path.with_extension("tmp");
        let mut f = fs::File::create(&tmp)?;
        let mut x = seed | 1;
        let mut buf = vec![0u8; 1 << 20];
        let mut left = len;
        while left > 0 {
            fill(&mut x, &mut buf);
            let n = usize::try_from(left.min(buf.len() as u64))?;
            f.write_all(&buf[..n])?;
            left -= n as u64;
        }
        f.sync_all()?;
        fs::rename(&tmp, path)?;
    }
    sha256(path)
}

pub(crate) fn sha256(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The OpenSSH client options every case uses: no config, no host key checks, one identity, a cipher.
fn ssh_options(cmd: &mut Command, cipher: &str) {
    cmd.args(["-F", "/dev/null", "-c", cipher])
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
        ])
        .args(["-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=30"]);
}

/// `sftp -b` with the client key, running `batch`.
fn sftp_key(server: &Running, data: &Data, cipher: &str, batch: &str) -> Command {
    let mut cmd = Command::new("sftp");
    ssh_options(&mut cmd, cipher);
    cmd.arg("-q")
        .arg("-P")
        .arg(server.port.to_string())
        .arg("-i")
        .arg(&data.key)
        .arg("-b")
        .arg(batch_file(data, batch))
        .arg(format!("{USER}@127.0.0.1"));
    cmd
}

fn batch_file(data: &Data, batch: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let path = data
        .dir
        .join(format!("batch-{}", N.fetch_add(1, Ordering::Relaxed)));
    fs::write(&path, batch).expect("write the sftp batch file");
    path
}

fn check(out: &Output, what: &str) -> Result<()> {
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    Ok(())
}

fn run_checked(mut cmd: Command, what: &str) -> Result<Output> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("run {what}"))?;
    check(&out, what)?;
    Ok(out)
}

/// Puts `src` into the server's home as `name` (a hard link when possible).
fn place(server: &Running, src: &Path, name: &str) -> Result<PathBuf> {
    let dst = server.home.join(name);
    let _ = fs::remove_file(&dst);
    if fs::hard_link(src, &dst).is_err() {
        fs::copy(src, &dst)?;
    }
    Ok(dst)
}

fn verify(path: &Path, expected: &str, what: &str) -> Result<()> {
    let got = sha256(path)?;
    ensure!(
        got == expected,
        "{what}: sha256 of {} is {got}, expected {expected}",
        path.display()
    );
    Ok(())
}

impl Case {
    /// Puts the files the case needs in place on `server` (not timed).
    pub(crate) fn prepare(&self, server: &Running, data: &Data) -> Result<()> {
        match self {
            Self::Download(_) | Self::ScpDownload => {
                place(server, &data.big, "big.bin")?;
            }
            Self::ParallelDownload => {
                for i in 0..data.sizes.parallel {
                    place(server, &data.medium, &format!("par-{i}.bin"))?;
                }
            }
            Self::Upload(_) | Self::ScpUpload => {
                let _ = fs::remove_file(server.home.join("up.bin"));
            }
            Self::PutManySmall => {
                let dir = server.home.join("small");
                if dir.exists() {
                    fs::remove_dir_all(&dir)?;
                }
            }
            Self::ListLarge => {
                let dir = server.home.join("large-dir");
                let have = fs::read_dir(&dir).map(Iterator::count).unwrap_or(0);
                if have != data.sizes.list_entries {
                    let _ = fs::remove_dir_all(&dir);
                    fs::create_dir_all(&dir)?;
                    for i in 0..data.sizes.list_entries {
                        fs::write(dir.join(format!("entry-{i:06}.dat")), b"x")?;
                    }
                    server.chown(&dir)?;
                }
            }
            Self::LoginKey | Self::LoginPassword | Self::IdleSessions => return Ok(()),
        }
        std::thread::sleep(server.sees_changes_after);
        Ok(())
    }

    /// Runs the case once against `server`, timing the client work, then checks what it moved.
    pub(crate) fn run(&self, server: &Running, data: &Data) -> Result<Sample> {
        let s = data.sizes;
        let cipher = self.cipher().unwrap_or(AES);
        let dl = data
            .downloads
            .join(format!("{}-{}", server.name, self.id()));
        let _ = fs::remove_file(&dl);
        match self {
            Self::Download(_) => {
                let cmd = sftp_key(
                    server,
                    data,
                    cipher,
                    &format!("get big.bin {}\n", dl.display()),
                );
                let sample = measure(server, (s.file_mib << 20) as f64, || {
                    run_checked(cmd, "sftp get").map(drop)
                })?;
                verify(&dl, &data.big_sha, "download")?;
                fs::remove_file(&dl)?;
                Ok(sample)
            }
            Self::Upload(_) => {
                let cmd = sftp_key(
                    server,
                    data,
                    cipher,
                    &format!("put {} up.bin\n", data.big.display()),
                );
                let sample = measure(server, (s.file_mib << 20) as f64, || {
                    run_checked(cmd, "sftp put").map(drop)
                })?;
                verify(&server.home.join("up.bin"), &data.big_sha, "upload")?;
                fs::remove_file(server.home.join("up.bin"))?;
                Ok(sample)
            }
            Self::ScpDownload | Self::ScpUpload => {
                let mut cmd = Command::new("scp");
                ssh_options(&mut cmd, cipher);
                cmd.args(["-O", "-q", "-P"])
                    .arg(server.port.to_string())
                    .arg("-i")
                    .arg(&data.key);
                let (remote, target) = if *self == Self::ScpDownload {
                    cmd.arg(format!("{USER}@127.0.0.1:big.bin")).arg(&dl);
                    (false, dl.clone())
                } else {
                    cmd.arg(&data.big).arg(format!("{USER}@127.0.0.1:up.bin"));
                    (true, server.home.join("up.bin"))
                };
                let sample = measure(server, (s.file_mib << 20) as f64, || {
                    run_checked(cmd, "scp -O").map(drop)
                })?;
                verify(&target, &data.big_sha, "scp")?;
                if remote || target.exists() {
                    fs::remove_file(&target)?;
                }
                Ok(sample)
            }
            Self::ParallelDownload => {
                let targets: Vec<PathBuf> = (0..s.parallel)
                    .map(|i| data.downloads.join(format!("par-{i}.bin")))
                    .collect();
                let cmds: Vec<Command> = targets
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        sftp_key(
                            server,
                            data,
                            cipher,
                            &format!("get par-{i}.bin {}\n", t.display()),
                        )
                    })
                    .collect();
                let total = (s.parallel as u64 * (s.parallel_mib << 20)) as f64;
                let sample = measure(server, total, || {
                    let children = cmds
                        .into_iter()
                        .map(|mut c| {
                            c.stdin(Stdio::null())
                                .stdout(Stdio::piped())
                                .stderr(Stdio::piped())
                                .spawn()
                        })
                        .collect::<std::io::Result<Vec<_>>>()?;
                    for child in children {
                        check(&child.wait_with_output()?, "parallel sftp get")?;
                    }
                    Ok(())
                })?;
                for t in &targets {
                    verify(t, &data.medium_sha, "parallel download")?;
                    fs::remove_file(t)?;
                }
                Ok(sample)
            }
            Self::LoginKey => measure(server, s.logins as f64, || {
                for _ in 0..s.logins {
                    let out =
                        run_checked(sftp_key(server, data, cipher, "pwd\n"), "sftp login (key)")?;
                    ensure!(
                        String::from_utf8_lossy(&out.stdout).contains("Remote working directory"),
                        "no pwd reply"
                    );
                }
                Ok(())
            }),
            Self::LoginPassword => measure(server, s.logins as f64, || {
                for _ in 0..s.logins {
                    let mut cmd = Command::new("sshpass");
                    cmd.arg("-e").arg("sftp").env("SSHPASS", PASSWORD);
                    ssh_options(&mut cmd, cipher);
                    cmd.args(["-q", "-P"])
                        .arg(server.port.to_string())
                        .args([
                            "-o",
                            "PubkeyAuthentication=no",
                            "-o",
                            "PreferredAuthentications=password",
                        ])
                        .args(["-o", "NumberOfPasswordPrompts=1"])
                        .arg(format!("{USER}@127.0.0.1"));
                    let mut child = cmd
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .context("run sshpass sftp (is sshpass installed?)")?;
                    child
                        .stdin
                        .take()
                        .context("stdin")?
                        .write_all(b"pwd\nquit\n")?;
                    let out = child.wait_with_output()?;
                    check(&out, "sftp login (password)")?;
                    ensure!(
                        String::from_utf8_lossy(&out.stdout).contains("Remote working directory"),
                        "password login: no pwd reply: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                Ok(())
            }),
            Self::PutManySmall => {
                let cmd = sftp_key(
                    server,
                    data,
                    cipher,
                    &format!("put -r {} small\n", data.small_dir.display()),
                );
                let sample = measure(server, s.small_files as f64, || {
                    run_checked(cmd, "sftp put -r").map(drop)
                })?;
                let remote = server.home.join("small");
                let mut n = 0;
                for e in fs::read_dir(&data.small_dir)? {
                    let e = e?;
                    let want = fs::read(e.path())?;
                    let got = fs::read(remote.join(e.file_name())).with_context(|| {
                        format!("put -r: {:?} missing on the server", e.file_name())
                    })?;
                    ensure!(want == got, "put -r: {:?} differs", e.file_name());
                    n += 1;
                }
                ensure!(
                    n == s.small_files,
                    "put -r: {n} files, expected {}",
                    s.small_files
                );
                fs::remove_dir_all(&remote)?;
                Ok(sample)
            }
            Self::ListLarge => {
                let cmd = sftp_key(server, data, cipher, "ls -l large-dir\n");
                let mut listed = 0;
                let sample = measure(server, s.list_entries as f64, || {
                    let out = run_checked(cmd, "sftp ls -l")?;
                    listed = String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .filter(|l| l.contains("entry-"))
                        .count();
                    Ok(())
                })?;
                ensure!(
                    listed == s.list_entries,
                    "ls -l listed {listed} entries, expected {}",
                    s.list_entries
                );
                Ok(sample)
            }
            Self::IdleSessions => crate::idle::run(server, data),
        }
    }
}

/// Times `work` against `server`: wall time, the server tree's CPU (after its per-connection processes are
/// gone), the clients' CPU, and the server's peak RSS.
pub(crate) fn measure(
    server: &Running,
    amount: f64,
    work: impl FnOnce() -> Result<()>,
) -> Result<Sample> {
    server.settle(Duration::from_secs(10));
    let cpu0 = server.cpu();
    let client0 = procfs::children_cpu();
    let peak = procfs::PeakRss::start(server.pid());
    let t0 = Instant::now();
    let result = work();
    let wall_s = t0.elapsed().as_secs_f64();
    server.settle(Duration::from_secs(10));
    let peak_rss_bytes = peak.finish();
    result?;
    Ok(Sample {
        wall_s,
        amount,
        server_cpu_s: server.cpu() - cpu0,
        client_cpu_s: procfs::children_cpu() - client0,
        peak_rss_bytes,
        bytes_per_session: 0.0,
        pss_bytes: 0,
    })
}
