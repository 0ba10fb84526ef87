//! The local backend end to end, in both I/O modes (`io_uring` and the blocking pool).
//!
//! Every scenario is one `async fn(IoMode)`; the `scenarios!` macro at the bottom turns each into two tests,
//! `uring::<name>` and `threadpool::<name>`. Each test gets its own temporary directory holding `root` (the
//! backend's root) and `outside` (somewhere to escape to), and checks what the backend reports against what
//! `std::fs` sees on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use ringway_backend_local::{LocalBackend, UPLOAD_TEMP_PREFIX};
use ringway_core::{
    Backend, DirEntry, ErrorKind, FileKind, FileWriter, PathError, Result, SetAttrs, StorageError,
    VirtualPath, WriteMode, WriteOptions, list_all,
};
use ringway_uring::{Io, IoConfig, IoMode};
use tempfile::TempDir;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

// ------------------------------------------------------------------------------------------------
// Fixture and helpers
// ------------------------------------------------------------------------------------------------

/// A backend rooted at `<tmp>/root`, next to `<tmp>/outside`.
struct Fixture {
    root: PathBuf,
    outside: PathBuf,
    backend: LocalBackend,
    _tmp: TempDir,
}

impl Fixture {
    async fn new(mode: IoMode) -> Self {
        let tmp = tempfile::tempdir().expect("create tempdir");
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).expect("create outside dir");
        let io = Io::new(mode, IoConfig::default()).expect("start the I/O engine");
        assert_eq!(io.mode(), mode, "the engine must not silently fall back");
        // `create = true`: the root does not exist yet and is made by `open`.
        let backend = LocalBackend::open(io, &root, true)
            .await
            .expect("open the backend");
        assert!(root.is_dir(), "open(create) must create the root");
        assert_eq!(backend.root_path(), root.as_path());
        Self {
            root,
            outside,
            backend,
            _tmp: tmp,
        }
    }

    /// The host path of a virtual path.
    fn host(&self, virtual_path: &str) -> PathBuf {
        self.root.join(virtual_path.trim_start_matches('/'))
    }

    /// Writes a file directly on disk (setup, not through the backend).
    fn put(&self, virtual_path: &str, data: &[u8]) {
        std::fs::write(self.host(virtual_path), data).expect("setup: write file");
    }

    /// Reads a file directly from disk.
    fn disk(&self, virtual_path: &str) -> Vec<u8> {
        std::fs::read(self.host(virtual_path)).expect("read file from disk")
    }

    /// Names of atomic-upload temporaries in a directory of the root.
    fn temps(&self, virtual_dir: &str) -> Vec<String> {
        std::fs::read_dir(self.host(virtual_dir))
            .expect("read_dir")
            .map(|e| {
                e.expect("read_dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|n| n.starts_with(UPLOAD_TEMP_PREFIX))
            .collect()
    }

    fn b(&self) -> &dyn Backend {
        &self.backend
    }
}

/// Parses a virtual path (test input, always valid).
fn vp(s: &str) -> VirtualPath {
    VirtualPath::parse(s).expect("valid virtual path")
}

fn opts(mode: WriteMode, atomic: bool) -> WriteOptions {
    WriteOptions {
        mode,
        atomic,
        create_mode: 0o644,
    }
}

/// Only the mode changes.
fn chmod(mode: u32) -> SetAttrs {
    SetAttrs {
        mode: Some(mode),
        ..SetAttrs::default()
    }
}

/// Only the size changes.
fn resize(size: u64) -> SetAttrs {
    SetAttrs {
        size: Some(size),
        ..SetAttrs::default()
    }
}

/// Only the modification time changes.
fn touch(mtime: SystemTime) -> SetAttrs {
    SetAttrs {
        mtime: Some(mtime),
        ..SetAttrs::default()
    }
}

/// Asserts that `res` failed with exactly `kind`.
#[track_caller]
fn assert_kind<T: Debug>(res: Result<T>, kind: ErrorKind, what: &str) {
    match res {
        Ok(v) => panic!("{what}: expected {kind:?}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.kind(), kind, "{what}: got error `{e}`"),
    }
}

/// Asserts that `res` was refused for leaving the root.
#[track_caller]
fn assert_outside<T: Debug>(res: Result<T>, what: &str) {
    assert_kind(res, ErrorKind::OutsideRoot, what);
}

/// Writes `data` at `offset`, checking the write succeeded and the buffer came back whole.
async fn write(w: &dyn FileWriter, data: &[u8], offset: u64) {
    let (res, back) = w.write_at(Bytes::copy_from_slice(data), offset).await;
    res.expect("write_at");
    assert_eq!(back.as_ref(), data, "write_at must hand the buffer back");
}

/// Uploads `data` in one write and commits.
async fn upload(fx: &Fixture, path: &str, data: &[u8], o: WriteOptions) {
    let w = fx.b().open_write(&vp(path), o).await.expect("open_write");
    write(w.as_ref(), data, 0).await;
    w.commit().await.expect("commit");
}

/// Reads a whole file through the backend with `read_at`, in chunks that do not divide the upload chunk size.
async fn read_all(fx: &Fixture, path: &str) -> Vec<u8> {
    let reader = fx.b().open_read(&vp(path)).await.expect("open_read");
    let mut out = Vec::new();
    loop {
        let (res, buf) = reader
            .read_at(BytesMut::with_capacity(100_000), out.len() as u64)
            .await;
        let n = res.expect("read_at");
        assert_eq!(n, buf.len(), "read_at must append exactly what it reports");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf);
    }
    reader.close().await.expect("close reader");
    out
}

/// Deterministic, non-repeating test data (xorshift), so that misplaced chunks are detected.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[3]
        })
        .collect()
}

fn names(entries: &[DirEntry]) -> Vec<&str> {
    let mut v: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    v.sort_unstable();
    v
}

fn entry<'a>(entries: &'a [DirEntry], name: &str) -> &'a DirEntry {
    entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} missing from the listing"))
}

/// Polls `cond` for up to two seconds (work the backend hands to the blocking pool).
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What `std::fs` sees of one entry, for before/after comparisons.
#[derive(Debug, PartialEq, Eq)]
enum Snap {
    File {
        data: Vec<u8>,
        mode: u32,
        mtime: (i64, i64),
        ino: u64,
        nlink: u64,
    },
    Dir {
        mode: u32,
        mtime: (i64, i64),
    },
    Link(PathBuf),
}

/// Every entry below `dir` (not following links), by path relative to `dir`.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Snap> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Snap>) {
        for e in std::fs::read_dir(dir).expect("snapshot: read_dir") {
            let path = e.expect("snapshot: entry").path();
            let md = std::fs::symlink_metadata(&path).expect("snapshot: lstat");
            let rel = path.strip_prefix(base).expect("below base").to_owned();
            let mode = md.permissions().mode() & 0o7777;
            let mtime = (md.mtime(), md.mtime_nsec());
            if md.file_type().is_symlink() {
                out.insert(
                    rel,
                    Snap::Link(std::fs::read_link(&path).expect("snapshot: readlink")),
                );
            } else if md.is_dir() {
                out.insert(rel, Snap::Dir { mode, mtime });
                walk(base, &path, out);
            } else {
                let data = std::fs::read(&path).expect("snapshot: read");
                out.insert(
                    rel,
                    Snap::File {
                        data,
                        mode,
                        mtime,
                        ino: md.ino(),
                        nlink: md.nlink(),
                    },
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

// ------------------------------------------------------------------------------------------------
// 1. Round trip
// ------------------------------------------------------------------------------------------------

async fn round_trip(mode: IoMode) {
    let fx = Fixture::new(mode).await;
    let data = pattern(3 * MIB);
    let chunk = 256 * KIB;

    for atomic in [true, false] {
        let name = if atomic { "/big-atomic" } else { "/big-direct" };
        let w = fx
            .b()
            .open_write(&vp(name), opts(WriteMode::Truncate, atomic))
            .await
            .expect("open_write");
        for (i, part) in data.chunks(chunk).enumerate() {
            write(w.as_ref(), part, (i * chunk) as u64).await;
        }
        let md = w.metadata().await.expect("writer metadata");
        assert_eq!(md.size, data.len() as u64, "{name}: writer metadata size");
        assert_eq!(md.kind, FileKind::File);
        // An atomic upload is invisible under its final name until commit; a direct one is there at once.
        assert_eq!(
            fx.host(name).exists(),
            !atomic,
            "{name}: visibility before commit"
        );
        w.commit().await.expect("commit");
        assert!(
            fx.temps("/").is_empty(),
            "{name}: temporary left after commit"
        );
        assert_eq!(fx.disk(name), data, "{name}: content on disk");

        let reader = fx.b().open_read(&vp(name)).await.expect("open_read");
        let md = reader.metadata().await.expect("reader metadata");
        assert_eq!(md.size, data.len() as u64);
        assert!(md.is_file());
        // Past the end: 0 bytes, buffer untouched.
        let (res, buf) = reader
            .read_at(BytesMut::with_capacity(16), data.len() as u64)
            .await;
        assert_eq!(res.expect("read at EOF"), 0);
        assert!(buf.is_empty());
        // A read appends after what the buffer already holds.
        let mut pre = BytesMut::with_capacity(10);
        pre.extend_from_slice(b"xy");
        let (res, buf) = reader.read_at(pre, 5).await;
        assert_eq!(res.expect("read_at"), 8);
        assert_eq!(&buf[..2], b"xy");
        assert_eq!(&buf[2..], &data[5..13]);
        reader.close().await.expect("close");
        assert_eq!(read_all(&fx, name).await, data, "{name}: content read back");

        let md = fx.b().stat(&vp(name)).await.expect("stat");
        assert_eq!(
            (md.kind, md.size, md.nlink),
            (FileKind::File, data.len() as u64, 1)
        );
    }

    // stat follows a symlink, lstat does not.
    symlink("big-atomic", fx.host("/link")).expect("setup: symlink");
    let st = fx.b().stat(&vp("/link")).await.expect("stat link");
    assert_eq!((st.kind, st.size), (FileKind::File, data.len() as u64));
    let lst = fx.b().lstat(&vp("/link")).await.expect("lstat link");
    assert_eq!(lst.kind, FileKind::Symlink);
    assert_eq!(
        lst.size,
        "big-atomic".len() as u64,
        "a symlink's size is its target's length"
    );

    std::fs::create_dir(fx.host("/sub")).expect("setup: mkdir");
    fx.put("/sub/inner", b"inner");
    let all = list_all(fx.b(), &VirtualPath::root())
        .await
        .expect("list_all /");
    assert_eq!(names(&all), ["big-atomic", "big-direct", "link", "sub"]);
    for (name, kind, size) in [
        ("big-atomic", FileKind::File, Some(data.len() as u64)),
        ("big-direct", FileKind::File, Some(data.len() as u64)),
        ("link", FileKind::Symlink, Some("big-atomic".len() as u64)),
        ("sub", FileKind::Dir, None),
    ] {
        let e = entry(&all, name);
        assert_eq!(e.metadata.kind, kind, "{name}: kind in listing");
        if let Some(size) = size {
            assert_eq!(e.metadata.size, size, "{name}: size in listing");
        }
    }
    let sub = list_all(fx.b(), &vp("/sub")).await.expect("list_all /sub");
    assert_eq!(names(&sub), ["inner"]);
    assert_eq!(sub[0].metadata.size, 5);
    std::fs::create_dir(fx.host("/empty")).expect("setup: mkdir");
    assert!(
        list_all(fx.b(), &vp("/empty"))
            .await
            .expect("list empty dir")
            .is_empty(),
        "no . or .. entries"
    );
    assert_kind(
        fx.b().list(&vp("/big-atomic")).await,
        ErrorKind::NotADirectory,
        "list a file",
    );
    assert_kind(
        fx.b().list(&vp("/nope")).await,
        ErrorKind::NotFound,
        "list a missing dir",
    );
}

// ------------------------------------------------------------------------------------------------
// 2. Directory operations, links, attributes
// ------------------------------------------------------------------------------------------------

async fn dir_ops(mode: IoMode) {
    let fx = Fixture::new(mode).await;
    let b = fx.b();

    // mkdir
    b.mkdir(&vp("/d"), 0o755).await.expect("mkdir /d");
    assert!(fx.host("/d").is_dir());
    assert_kind(
        b.mkdir(&vp("/d"), 0o755).await,
        ErrorKind::AlreadyExists,
        "mkdir twice",
    );
    assert_kind(
        b.mkdir(&vp("/missing/x"), 0o755).await,
        ErrorKind::NotFound,
        "mkdir without parent",
    );
    b.mkdir(&vp("/d/nested"), 0o700)
        .await
        .expect("mkdir nested");
    assert!(fx.host("/d/nested").is_dir());
    b.remove_dir(&vp("/d/nested"))
        .await
        .expect("rmdir empty dir");
    assert!(!fx.host("/d/nested").exists());

    // remove_dir / remove_file on the wrong kind
    upload(&fx, "/d/f", b"payload", WriteOptions::default()).await;
    assert_kind(
        b.remove_dir(&vp("/d")).await,
        ErrorKind::DirectoryNotEmpty,
        "rmdir non-empty",
    );
    assert!(
        fx.host("/d/f").is_file(),
        "rmdir non-empty must not remove anything"
    );
    // Linux answers EISDIR for unlink(2) of a directory.
    let res = b.remove_file(&vp("/d")).await;
    assert_eq!(
        res.as_ref().err().and_then(StorageError::raw_os_error),
        Some(libc::EISDIR)
    );
    assert_kind(res, ErrorKind::IsADirectory, "remove_file of a directory");
    assert!(fx.host("/d").is_dir());
    assert_kind(
        b.remove_dir(&vp("/d/f")).await,
        ErrorKind::NotADirectory,
        "rmdir of a file",
    );
    assert_kind(
        b.remove_file(&vp("/d/nope")).await,
        ErrorKind::NotFound,
        "remove missing file",
    );
    assert_kind(
        b.remove_dir(&vp("/nope")).await,
        ErrorKind::NotFound,
        "rmdir missing dir",
    );

    // rename a file, then a directory
    b.rename(&vp("/d/f"), &vp("/d/g"))
        .await
        .expect("rename file");
    assert!(!fx.host("/d/f").exists());
    assert_eq!(fx.disk("/d/g"), b"payload");
    b.rename(&vp("/d"), &vp("/e")).await.expect("rename dir");
    assert!(!fx.host("/d").exists());
    assert_eq!(fx.disk("/e/g"), b"payload");
    assert_kind(
        b.rename(&vp("/nope"), &vp("/e/x")).await,
        ErrorKind::NotFound,
        "rename missing",
    );

    // rename over an existing file replaces it
    fx.put("/e/h", b"old target");
    b.rename(&vp("/e/g"), &vp("/e/h"))
        .await
        .expect("rename over a file");
    assert_eq!(fx.disk("/e/h"), b"payload");
    assert!(!fx.host("/e/g").exists());

    // hard link
    b.hard_link(&vp("/e/h"), &vp("/hl"))
        .await
        .expect("hard_link");
    let (a, l) = (
        std::fs::metadata(fx.host("/e/h")).expect("metadata"),
        std::fs::metadata(fx.host("/hl")).expect("metadata"),
    );
    assert_eq!(a.ino(), l.ino(), "a hard link shares the inode");
    assert_eq!(l.nlink(), 2);
    assert_eq!(b.stat(&vp("/hl")).await.expect("stat hard link").nlink, 2);
    assert_kind(
        b.hard_link(&vp("/e/h"), &vp("/hl")).await,
        ErrorKind::AlreadyExists,
        "hard_link onto existing",
    );

    // symlinks: a relative target and an absolute one (from the backend's root), in a subdirectory
    b.mkdir(&vp("/dir"), 0o755).await.expect("mkdir /dir");
    b.mkdir(&vp("/sub"), 0o755).await.expect("mkdir /sub");
    fx.put("/dir/file", b"linked");
    b.symlink("dir/file", &vp("/rel_link"))
        .await
        .expect("symlink relative");
    b.symlink("/dir/file", &vp("/sub/abs_link"))
        .await
        .expect("symlink absolute");
    // The absolute target is stored relative to the link, never as a host path.
    assert_eq!(
        std::fs::read_link(fx.host("/rel_link")).expect("read_link"),
        Path::new("dir/file")
    );
    assert_eq!(
        std::fs::read_link(fx.host("/sub/abs_link")).expect("read_link"),
        Path::new("../dir/file")
    );
    for link in ["/rel_link", "/sub/abs_link"] {
        let st = b.stat(&vp(link)).await.expect("stat through link");
        assert_eq!((st.kind, st.size), (FileKind::File, 6), "{link}: stat");
        assert_eq!(
            b.lstat(&vp(link)).await.expect("lstat").kind,
            FileKind::Symlink,
            "{link}: lstat"
        );
        assert_eq!(read_all(&fx, link).await, b"linked", "{link}: read through");
        assert_eq!(
            b.readlink(&vp(link)).await.expect("readlink"),
            "/dir/file",
            "{link}: readlink"
        );
    }
    assert_kind(
        b.symlink("dir/file", &vp("/rel_link")).await,
        ErrorKind::AlreadyExists,
        "symlink onto existing",
    );
    assert_kind(
        b.readlink(&vp("/dir/file")).await,
        ErrorKind::InvalidInput,
        "readlink of a file (EINVAL)",
    );
    // A link in a subdirectory whose target climbs to the root's level is still inside: writable in place.
    let w = b
        .open_write(&vp("/sub/abs_link"), opts(WriteMode::Truncate, false))
        .await
        .expect("write via link");
    write(w.as_ref(), b"rewritten", 0).await;
    w.commit().await.expect("commit via link");
    assert_eq!(fx.disk("/dir/file"), b"rewritten");
    assert!(
        std::fs::symlink_metadata(fx.host("/sub/abs_link"))
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    fx.put("/dir/file", b"linked");
    // An atomic upload renames over the name itself: the link is replaced by a file, its target is untouched.
    b.symlink("/dir/file", &vp("/sub/replaced"))
        .await
        .expect("symlink");
    upload(&fx, "/sub/replaced", b"own file", WriteOptions::default()).await;
    assert!(
        std::fs::symlink_metadata(fx.host("/sub/replaced"))
            .expect("lstat")
            .is_file()
    );
    assert_eq!(fx.disk("/sub/replaced"), b"own file");
    assert_eq!(fx.disk("/dir/file"), b"linked");
    // So is a dangling link inside the root.
    b.symlink("/nowhere", &vp("/sub/dangling"))
        .await
        .expect("symlink");
    upload(&fx, "/sub/dangling", b"now a file", WriteOptions::default()).await;
    assert_eq!(fx.disk("/sub/dangling"), b"now a file");

    // set_attrs: mode
    for m in [0o600, 0o751] {
        b.set_attrs(&vp("/dir/file"), chmod(m))
            .await
            .expect("chmod");
        let md = std::fs::metadata(fx.host("/dir/file")).expect("metadata");
        assert_eq!(md.permissions().mode() & 0o7777, m, "mode on disk");
        assert_eq!(
            b.stat(&vp("/dir/file")).await.expect("stat").mode,
            m,
            "mode via stat"
        );
    }
    // set_attrs: times, to the nanosecond
    let atime = UNIX_EPOCH + Duration::new(1_000_000_000, 123_456_789);
    let mtime = UNIX_EPOCH + Duration::new(1_200_000_000, 987_654_321);
    let times = SetAttrs {
        atime: Some(atime),
        mtime: Some(mtime),
        ..SetAttrs::default()
    };
    b.set_attrs(&vp("/dir/file"), times)
        .await
        .expect("set times");
    let md = std::fs::metadata(fx.host("/dir/file")).expect("metadata");
    assert_eq!(md.accessed().expect("atime"), atime);
    assert_eq!(md.modified().expect("mtime"), mtime);
    let st = b.stat(&vp("/dir/file")).await.expect("stat");
    assert_eq!((st.atime, st.mtime), (Some(atime), Some(mtime)));
    // Only mtime: atime stays.
    let mtime2 = UNIX_EPOCH + Duration::from_secs(1_300_000_000);
    b.set_attrs(&vp("/dir/file"), touch(mtime2))
        .await
        .expect("mtime");
    let md = std::fs::metadata(fx.host("/dir/file")).expect("metadata");
    assert_eq!(
        (md.accessed().expect("atime"), md.modified().expect("mtime")),
        (atime, mtime2)
    );
    // set_attrs: size truncates and extends
    b.set_attrs(&vp("/dir/file"), resize(3))
        .await
        .expect("truncate");
    assert_eq!(fx.disk("/dir/file"), b"lin");
    b.set_attrs(&vp("/dir/file"), resize(5))
        .await
        .expect("extend");
    assert_eq!(fx.disk("/dir/file"), b"lin\0\0");
    // set_attrs through a symlink changes the target
    b.set_attrs(&vp("/rel_link"), chmod(0o640))
        .await
        .expect("chmod link");
    let md = std::fs::metadata(fx.host("/dir/file")).expect("metadata");
    assert_eq!(md.permissions().mode() & 0o7777, 0o640);
    assert_kind(
        b.set_attrs(&vp("/nope"), chmod(0o600)).await,
        ErrorKind::NotFound,
        "set_attrs on a missing file",
    );

    // statvfs
    let vfs = b.statvfs(&VirtualPath::root()).await.expect("statvfs");
    assert!(vfs.blocks > 0, "statvfs blocks: {vfs:?}");
    assert!(
        vfs.block_size > 0 && vfs.max_name_len > 0,
        "statvfs: {vfs:?}"
    );
    assert!(vfs.blocks_free <= vfs.blocks);
}

// ------------------------------------------------------------------------------------------------
// 3. Confinement
// ------------------------------------------------------------------------------------------------

async fn confinement(mode: IoMode) {
    let fx = Fixture::new(mode).await;
    let b = fx.b();
    let secret = fx.outside.join("secret");
    let odir = fx.outside.join("odir");
    std::fs::write(&secret, b"top secret").expect("setup: secret");
    std::fs::create_dir(&odir).expect("setup: odir");
    std::fs::write(odir.join("x"), b"keep me").expect("setup: odir/x");
    symlink("../outside/secret", fx.host("/rel_out")).expect("setup: symlink");
    symlink(&secret, fx.host("/abs_out")).expect("setup: symlink");
    symlink(&odir, fx.host("/dir_out")).expect("setup: symlink");
    symlink("../outside/odir", fx.host("/rel_dir_out")).expect("setup: symlink");
    // Dangling links out: an O_CREAT through them would create a file outside.
    symlink("../outside/created", fx.host("/rel_new")).expect("setup: symlink");
    symlink(fx.outside.join("created"), fx.host("/abs_new")).expect("setup: symlink");
    fx.put("/a", b"inside");
    // A link made on disk with an absolute target inside the root reads back as a path from the root.
    symlink(fx.host("/a"), fx.host("/abs_in")).expect("setup: symlink");
    assert_eq!(b.readlink(&vp("/abs_in")).await.expect("readlink"), "/a");
    std::fs::remove_file(fx.host("/abs_in")).expect("setup: remove");
    let outside_before = snapshot(&fx.outside);
    let root_before = snapshot(&fx.root);

    let file_links = ["/rel_out", "/abs_out", "/rel_new", "/abs_new"];
    let dir_links = ["/dir_out", "/rel_dir_out"];
    let attrs = [chmod(0o777), resize(0), touch(UNIX_EPOCH)];
    let write_modes = [
        WriteMode::Truncate,
        WriteMode::CreateNew,
        WriteMode::Append,
        WriteMode::ResumeAt(0),
    ];

    for link in file_links.iter().chain(&dir_links) {
        let p = vp(link);
        // The link itself is inside the root.
        assert_eq!(
            b.lstat(&p).await.expect("lstat of the link").kind,
            FileKind::Symlink,
            "{link}"
        );
        assert_outside(b.stat(&p).await, &format!("stat {link}"));
        // readlink must not show where on the server's disk the link leads.
        assert_outside(b.readlink(&p).await, &format!("readlink {link}"));
        assert_outside(b.open_read(&p).await, &format!("open_read {link}"));
        assert_outside(b.list(&p).await, &format!("list {link}"));
        for a in attrs {
            assert_outside(b.set_attrs(&p, a).await, &format!("set_attrs {a:?} {link}"));
        }
    }
    for link in file_links {
        for atomic in [false, true] {
            for m in write_modes {
                // CreateNew on an existing name (the link) is refused before anything else.
                let want = if m == WriteMode::CreateNew {
                    ErrorKind::AlreadyExists
                } else {
                    ErrorKind::OutsideRoot
                };
                let res = b.open_write(&vp(link), opts(m, atomic)).await;
                assert_kind(
                    res,
                    want,
                    &format!("open_write {link} {m:?} atomic={atomic}"),
                );
            }
        }
    }
    for link in dir_links {
        let inner = |name: &str| vp(&format!("{link}/{name}"));
        let what = |op: &str| format!("{op} in {link}");
        assert_outside(b.stat(&inner("x")).await, &what("stat"));
        assert_outside(b.lstat(&inner("x")).await, &what("lstat"));
        assert_outside(b.open_read(&inner("x")).await, &what("open_read"));
        assert_outside(b.readlink(&inner("x")).await, &what("readlink"));
        for atomic in [false, true] {
            for m in write_modes {
                for name in ["x", "new"] {
                    let res = b.open_write(&inner(name), opts(m, atomic)).await;
                    assert_outside(res, &what(&format!("open_write {name} {m:?} {atomic}")));
                }
            }
        }
        assert_outside(b.mkdir(&inner("new"), 0o755).await, &what("mkdir"));
        assert_outside(b.remove_file(&inner("x")).await, &what("remove_file"));
        assert_outside(b.remove_dir(&inner("x")).await, &what("remove_dir"));
        assert_outside(b.rename(&vp("/a"), &inner("a")).await, &what("rename into"));
        assert_outside(
            b.rename(&inner("x"), &vp("/stolen")).await,
            &what("rename out of"),
        );
        assert_outside(
            b.hard_link(&vp("/a"), &inner("a")).await,
            &what("hard_link into"),
        );
        assert_outside(
            b.hard_link(&inner("x"), &vp("/stolen")).await,
            &what("hard_link from"),
        );
        assert_outside(b.symlink("x", &inner("ln")).await, &what("symlink"));
        assert_outside(
            b.set_attrs(&inner("x"), chmod(0o777)).await,
            &what("set_attrs"),
        );
        assert_outside(list_all(b, &inner("")).await, &what("list_all"));
    }

    // A symlink the backend is asked to create cannot aim above the root either.
    assert_outside(
        b.symlink("/../outside/secret", &vp("/ln")).await,
        "symlink /../ target",
    );
    assert_kind(
        b.symlink("a\0b", &vp("/ln")).await,
        ErrorKind::InvalidPath,
        "symlink NUL target",
    );
    assert!(
        std::fs::symlink_metadata(fx.host("/ln")).is_err(),
        "no link may be created"
    );

    // Nothing outside changed, nothing inside either (the links are still links, no temporaries left).
    assert_eq!(
        snapshot(&fx.outside),
        outside_before,
        "the outside area changed"
    );
    assert_eq!(snapshot(&fx.root), root_before, "the root changed");
    assert!(!fx.outside.join("created").exists());
    assert!(!fx.root.join("stolen").exists());
    assert_eq!(std::fs::read(&secret).expect("read secret"), b"top secret");
    assert_eq!(
        std::fs::read(odir.join("x")).expect("read odir/x"),
        b"keep me"
    );

    // Paths are checked before they reach the backend.
    let escape = VirtualPath::parse("/../x");
    assert_eq!(escape, Err(PathError::EscapesRoot));
    let e = StorageError::from(escape.expect_err("checked above"));
    assert_eq!(e.kind(), ErrorKind::OutsideRoot);
    let nul = VirtualPath::parse_bytes(b"/a\0b");
    assert_eq!(nul, Err(PathError::Nul));
    assert_eq!(
        StorageError::from(nul.expect_err("checked above")).kind(),
        ErrorKind::InvalidPath
    );

    // A symlink loop: the kernel answers ELOOP, which maps to OutsideRoot.
    symlink("loop", fx.host("/loop")).expect("setup: symlink loop");
    let res = b.stat(&vp("/loop")).await;
    assert_eq!(
        res.as_ref().err().and_then(StorageError::raw_os_error),
        Some(libc::ELOOP)
    );
    assert_outside(res, "stat of a symlink loop");
    assert_outside(
        b.open_read(&vp("/loop")).await,
        "open_read of a symlink loop",
    );
    assert_outside(
        b.open_write(&vp("/loop"), opts(WriteMode::Truncate, false))
            .await,
        "open_write of a symlink loop",
    );
    assert_eq!(
        b.lstat(&vp("/loop")).await.expect("lstat loop").kind,
        FileKind::Symlink
    );
}

// ------------------------------------------------------------------------------------------------
// 4. Atomic uploads
// ------------------------------------------------------------------------------------------------

async fn atomic_uploads(mode: IoMode) {
    let fx = Fixture::new(mode).await;
    let b = fx.b();
    let f = vp("/f");
    let truncate = opts(WriteMode::Truncate, true);
    fx.put("/f", b"original");

    // (a) abort leaves the target as it was and removes the temporary file
    let w = b.open_write(&f, truncate).await.expect("open_write");
    write(w.as_ref(), b"new data that is longer", 0).await;
    assert_eq!(
        fx.temps("/").len(),
        1,
        "the upload goes to one temporary file"
    );
    w.abort().await.expect("abort");
    assert_eq!(fx.disk("/f"), b"original", "(a) target after abort");
    assert!(fx.temps("/").is_empty(), "(a) temporary left after abort");

    // (b) dropping the writer is an abort, done on the blocking pool
    let w = b.open_write(&f, truncate).await.expect("open_write");
    write(w.as_ref(), b"new data that is longer", 0).await;
    assert_eq!(fx.temps("/").len(), 1);
    drop(w);
    wait_until("the dropped upload's cleanup", || fx.temps("/").is_empty()).await;
    assert_eq!(fx.disk("/f"), b"original", "(b) target after drop");

    // (d) while an upload is in flight the listing hides it and the target still reads as before
    let w = b.open_write(&f, truncate).await.expect("open_write");
    write(w.as_ref(), b"new data", 0).await;
    assert_eq!(fx.temps("/").len(), 1);
    let listing = list_all(b, &VirtualPath::root()).await.expect("list_all");
    assert_eq!(
        names(&listing),
        ["f"],
        "(d) the temporary file must be hidden"
    );
    assert_eq!(
        entry(&listing, "f").metadata.size,
        8,
        "(d) the listing shows the old size"
    );
    assert_eq!(
        read_all(&fx, "/f").await,
        b"original",
        "(d) target during upload"
    );
    assert_eq!(b.stat(&f).await.expect("stat").size, 8);

    // (c) commit replaces the content atomically and leaves no temporary file
    w.commit().await.expect("commit");
    assert_eq!(fx.disk("/f"), b"new data", "(c) target after commit");
    assert!(fx.temps("/").is_empty(), "(c) temporary left after commit");

    // (e) CreateNew on an existing file
    for atomic in [true, false] {
        let res = b.open_write(&f, opts(WriteMode::CreateNew, atomic)).await;
        assert_kind(
            res,
            ErrorKind::AlreadyExists,
            &format!("CreateNew atomic={atomic}"),
        );
        assert_eq!(fx.disk("/f"), b"new data", "(e) target unchanged");
        assert!(fx.temps("/").is_empty());
    }
    // CreateNew of a new name works; a target created meanwhile wins over the commit.
    upload(&fx, "/fresh", b"fresh", opts(WriteMode::CreateNew, true)).await;
    assert_eq!(fx.disk("/fresh"), b"fresh");
    let w = b
        .open_write(&vp("/raced"), opts(WriteMode::CreateNew, true))
        .await
        .expect("open_write");
    write(w.as_ref(), b"late", 0).await;
    fx.put("/raced", b"first");
    assert_kind(
        w.commit().await,
        ErrorKind::AlreadyExists,
        "CreateNew commit over a file created meanwhile",
    );
    assert_eq!(fx.disk("/raced"), b"first");
    assert!(
        fx.temps("/").is_empty(),
        "a failed commit removes its temporary file"
    );

    // (f) resume at an offset
    fx.put("/p", b"0123456789");
    let w = b
        .open_write(&vp("/p"), opts(WriteMode::ResumeAt(4), true))
        .await
        .expect("open_write resume");
    assert_eq!(
        w.metadata().await.expect("metadata").size,
        4,
        "resume keeps the first 4 bytes"
    );
    write(w.as_ref(), b"abc", 4).await;
    w.commit().await.expect("commit resume");
    assert_eq!(fx.disk("/p"), b"0123abc");
    assert!(fx.temps("/").is_empty());
    // Aborting a resume: the file set aside goes back under its name, cut at the resume point (the kept
    // prefix is intact; what the resumed upload wrote before the abort stays, as a partial upload).
    for (written, expected) in [(&b""[..], &b"0123"[..]), (b"xyz", b"0123xyz")] {
        fx.put("/p", b"0123456789");
        let w = b
            .open_write(&vp("/p"), opts(WriteMode::ResumeAt(4), true))
            .await
            .expect("open_write resume");
        if !written.is_empty() {
            write(w.as_ref(), written, 4).await;
        }
        w.abort().await.expect("abort resume");
        assert_eq!(
            fx.disk("/p"),
            expected,
            "(f) after aborting a resume that wrote {written:?}"
        );
        assert!(fx.temps("/").is_empty());
    }
    // Dropping a resume moves the file back too.
    fx.put("/p", b"0123456789");
    let w = b
        .open_write(&vp("/p"), opts(WriteMode::ResumeAt(4), true))
        .await
        .expect("open_write resume");
    drop(w);
    wait_until("the dropped resume's cleanup", || {
        fx.host("/p").exists() && fx.temps("/").is_empty()
    })
    .await;
    assert_eq!(fx.disk("/p"), b"0123");
    // Non-atomic resume cuts in place.
    fx.put("/p", b"0123456789");
    let w = b
        .open_write(&vp("/p"), opts(WriteMode::ResumeAt(4), false))
        .await
        .expect("open_write resume");
    write(w.as_ref(), b"ab", 4).await;
    w.commit().await.expect("commit");
    assert_eq!(fx.disk("/p"), b"0123ab");

    // (g) append writes after the existing content when the caller writes at offset = size
    for atomic in [false, true] {
        fx.put("/g", b"hello");
        let w = b
            .open_write(&vp("/g"), opts(WriteMode::Append, atomic))
            .await
            .expect("open_write append");
        let size = w.metadata().await.expect("metadata").size;
        assert_eq!(size, 5, "append keeps the existing bytes (atomic={atomic})");
        write(w.as_ref(), b" world", size).await;
        w.commit().await.expect("commit append");
        assert_eq!(fx.disk("/g"), b"hello world", "(g) atomic={atomic}");
        assert!(fx.temps("/").is_empty());
    }
    // Append to a missing file creates it.
    upload(&fx, "/new-append", b"start", opts(WriteMode::Append, false)).await;
    assert_eq!(fx.disk("/new-append"), b"start");
}

// ------------------------------------------------------------------------------------------------
// 5. Error kinds
// ------------------------------------------------------------------------------------------------

async fn error_kinds(mode: IoMode) {
    let fx = Fixture::new(mode).await;
    let b = fx.b();
    let root = VirtualPath::root();
    std::fs::create_dir(fx.host("/d")).expect("setup: mkdir");
    fx.put("/file", b"x");

    assert_kind(
        b.open_read(&vp("/d")).await,
        ErrorKind::IsADirectory,
        "open_read of a directory",
    );
    assert_kind(
        b.open_read(&root).await,
        ErrorKind::IsADirectory,
        "open_read of the root",
    );
    for atomic in [false, true] {
        for m in [
            WriteMode::Truncate,
            WriteMode::Append,
            WriteMode::ResumeAt(0),
        ] {
            let res = b.open_write(&vp("/d"), opts(m, atomic)).await;
            assert_kind(
                res,
                ErrorKind::IsADirectory,
                &format!("open_write {m:?} atomic={atomic} of a directory"),
            );
        }
    }
    // A link to a directory is refused the same way, atomic or not, and stays a link.
    symlink("d", fx.host("/dlink")).expect("setup: symlink");
    for atomic in [false, true] {
        let res = b
            .open_write(&vp("/dlink"), opts(WriteMode::Truncate, atomic))
            .await;
        assert_kind(
            res,
            ErrorKind::IsADirectory,
            &format!("open_write atomic={atomic} of a link to a directory"),
        );
    }
    assert!(
        std::fs::symlink_metadata(fx.host("/dlink"))
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    assert!(fx.host("/d").is_dir());
    assert!(fx.temps("/").is_empty());

    for p in ["/missing", "/d/missing"] {
        assert_kind(
            b.stat(&vp(p)).await,
            ErrorKind::NotFound,
            &format!("stat {p}"),
        );
        assert_kind(
            b.lstat(&vp(p)).await,
            ErrorKind::NotFound,
            &format!("lstat {p}"),
        );
        assert_kind(
            b.open_read(&vp(p)).await,
            ErrorKind::NotFound,
            &format!("open_read {p}"),
        );
        assert_kind(
            b.readlink(&vp(p)).await,
            ErrorKind::NotFound,
            &format!("readlink {p}"),
        );
    }
    assert_kind(
        b.open_write(&vp("/missing/f"), WriteOptions::default())
            .await,
        ErrorKind::NotFound,
        "open_write in a missing dir",
    );
    assert_kind(
        b.stat(&vp("/file/child")).await,
        ErrorKind::NotADirectory,
        "stat below a file",
    );

    // The root itself cannot be removed, renamed or replaced.
    assert_kind(
        b.remove_file(&root).await,
        ErrorKind::PermissionDenied,
        "remove_file /",
    );
    assert_kind(
        b.remove_dir(&root).await,
        ErrorKind::PermissionDenied,
        "remove_dir /",
    );
    assert_kind(
        b.mkdir(&root, 0o755).await,
        ErrorKind::PermissionDenied,
        "mkdir /",
    );
    assert_kind(
        b.rename(&root, &vp("/x")).await,
        ErrorKind::PermissionDenied,
        "rename /",
    );
    assert_kind(
        b.rename(&vp("/file"), &root).await,
        ErrorKind::PermissionDenied,
        "rename onto /",
    );
    assert_kind(
        b.open_write(&root, WriteOptions::default()).await,
        ErrorKind::PermissionDenied,
        "open_write /",
    );
    assert_kind(
        b.symlink("file", &root).await,
        ErrorKind::PermissionDenied,
        "symlink at /",
    );
    assert!(fx.root.is_dir() && fx.host("/file").is_file() && !fx.host("/x").exists());
    // ...but it can be looked at.
    assert_eq!(b.stat(&root).await.expect("stat /").kind, FileKind::Dir);
    assert_eq!(b.lstat(&root).await.expect("lstat /").kind, FileKind::Dir);
}

// ------------------------------------------------------------------------------------------------
// 6. Paged listing
// ------------------------------------------------------------------------------------------------

async fn paged_listing(mode: IoMode) {
    let fx = Fixture::new(mode).await;
    std::fs::create_dir(fx.host("/many")).expect("setup: mkdir");
    let expected: BTreeSet<String> = (0..2500).map(|i| format!("file-{i:05}")).collect();
    for name in &expected {
        std::fs::write(fx.host("/many").join(name), name.as_bytes()).expect("setup: write");
    }

    let mut lister = fx.b().list(&vp("/many")).await.expect("list");
    let mut seen = BTreeSet::new();
    let mut sizes = Vec::new();
    loop {
        let page = lister.next_page(1000).await.expect("next_page");
        sizes.push(page.len());
        if page.is_empty() {
            break;
        }
        assert!(sizes.len() <= 4, "listing does not end: pages {sizes:?}");
        for e in page {
            assert_eq!(e.metadata.kind, FileKind::File);
            assert_eq!(e.metadata.size, e.name.len() as u64, "{}: size", e.name);
            assert!(seen.insert(e.name.clone()), "{} listed twice", e.name);
        }
    }
    assert_eq!(sizes, [1000, 1000, 500, 0]);
    assert_eq!(seen, expected);
    // A finished lister stays finished.
    assert!(
        lister
            .next_page(1000)
            .await
            .expect("next_page after the end")
            .is_empty()
    );
}

// ------------------------------------------------------------------------------------------------
// Every scenario in both modes
// ------------------------------------------------------------------------------------------------

macro_rules! scenarios {
    ($($name:ident),+ $(,)?) => {
        scenarios!(@mode uring, Uring, $($name),+);
        scenarios!(@mode threadpool, ThreadPool, $($name),+);
    };
    (@mode $module:ident, $mode:ident, $($name:ident),+) => {
        mod $module {
            $(
                #[tokio::test(flavor = "current_thread")]
                async fn $name() {
                    super::$name(ringway_uring::IoMode::$mode).await;
                }
            )+
        }
    };
}

scenarios!(
    round_trip,
    dir_ops,
    confinement,
    atomic_uploads,
    error_kinds,
    paged_listing
);
