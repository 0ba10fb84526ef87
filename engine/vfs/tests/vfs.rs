//! The VFS end to end over real local backends: permissions per operation, name patterns, mounts, upload modes,
//! the upload size limit and symlinks that lead out of the home.
//!
//! Every test builds its own temporary directory holding `home` (the backend mounted at `/`), `outside`
//! (somewhere to escape to) and, for the mount tests, `docs` (a second backend). Each refusal is checked for its
//! exact [`ErrorKind`], and the disk is checked with `std::fs` afterwards: a refused operation must leave it as it
//! was, an accepted one must have done exactly what it says.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use ringway_backend_local::{LocalBackend, UPLOAD_TEMP_PREFIX};
use ringway_core::{
    Backend, DenyPolicy, ErrorKind, FileKind, FilePatterns, PatternRule, Permissions, Result,
    SetAttrs, UserView, VirtualPath, WriteMode,
};
use ringway_uring::{Io, IoConfig, IoMode};
use ringway_vfs::{Mount, Upload, UploadMode, UploadRequest, Vfs, VfsOptions};
use tempfile::TempDir;

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/// Permission entries as in the user's JSON: (path, names).
type PermSpec<'a> = &'a [(&'a str, &'a [&'a str])];

/// Everything everywhere.
const FULL: PermSpec<'static> = &[("/", &["*"])];

/// A temporary directory with `home` and `outside`, and one I/O engine for its backends.
struct Fx {
    tmp: TempDir,
    home: PathBuf,
    outside: PathBuf,
    io: Io,
}

impl Fx {
    /// Must run inside the tokio runtime (the I/O engine starts there).
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("create tempdir");
        let home = tmp.path().join("home");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&home).expect("create home");
        std::fs::create_dir(&outside).expect("create outside");
        let io = Io::new(IoMode::Uring, IoConfig::default()).expect("start the I/O engine");
        Self {
            tmp,
            home,
            outside,
            io,
        }
    }

    /// A local backend rooted at `dir` (created if missing).
    async fn backend(&self, dir: &Path) -> Arc<dyn Backend> {
        Arc::new(
            LocalBackend::open(self.io.clone(), dir, true)
                .await
                .expect("open local backend"),
        )
    }

    /// A VFS with only the home mounted at `/`.
    async fn vfs(&self, user: UserView, upload_mode: UploadMode) -> Vfs {
        let home = self.backend(&self.home).await;
        Vfs::new(
            Arc::new(user),
            vec![Mount {
                path: VirtualPath::root(),
                backend: home,
            }],
            VfsOptions { upload_mode },
        )
        .expect("build the VFS")
    }

    /// A user of this home.
    fn user(
        &self,
        perms: PermSpec<'_>,
        rules: Vec<PatternRule>,
        max_upload_file_size: u64,
    ) -> UserView {
        UserView {
            username: "alice".to_owned(),
            home_dir: self.home.clone(),
            permissions: Permissions::from_entries(
                perms.iter().map(|(p, names)| (*p, names.iter().copied())),
            )
            .expect("valid permissions"),
            patterns: FilePatterns::new(rules),
            max_upload_file_size,
        }
    }

    /// The host path of a virtual path of the home.
    fn host(&self, virtual_path: &str) -> PathBuf {
        self.home.join(virtual_path.trim_start_matches('/'))
    }

    /// Writes a file in the home directly on disk (setup), creating its parents.
    fn put(&self, virtual_path: &str, data: &[u8]) {
        let p = self.host(virtual_path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("setup: create parents");
        std::fs::write(p, data).expect("setup: write file");
    }

    /// Creates a directory (and its parents) in the home directly on disk.
    fn mkdirs(&self, virtual_path: &str) {
        std::fs::create_dir_all(self.host(virtual_path)).expect("setup: create dirs");
    }

    /// Reads a file of the home from disk.
    fn disk(&self, virtual_path: &str) -> Vec<u8> {
        std::fs::read(self.host(virtual_path))
            .unwrap_or_else(|e| panic!("read {virtual_path} from disk: {e}"))
    }

    /// True when something (even a dangling symlink) is at `virtual_path` on disk.
    fn exists(&self, virtual_path: &str) -> bool {
        self.host(virtual_path).symlink_metadata().is_ok()
    }

    /// Permission bits of a file of the home, from disk.
    fn mode(&self, virtual_path: &str) -> u32 {
        std::fs::metadata(self.host(virtual_path))
            .expect("metadata")
            .permissions()
            .mode()
            & 0o7777
    }
}

/// Parses a virtual path (test input, always valid).
fn vp(s: &str) -> VirtualPath {
    VirtualPath::parse(s).expect("valid virtual path")
}

/// A pattern rule from string slices.
fn rule(path: &str, allowed: &[&str], denied: &[&str], policy: DenyPolicy) -> PatternRule {
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    PatternRule::new(path, &owned(allowed), &owned(denied), policy).expect("valid pattern rule")
}

fn req(mode: WriteMode) -> UploadRequest {
    UploadRequest {
        mode,
        create_mode: 0o644,
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

/// Writes `data` at `offset` through the upload, checking that it succeeded and the buffer came back whole.
async fn write(up: &Upload, data: &[u8], offset: u64) {
    let (res, back) = up.write_at(Bytes::copy_from_slice(data), offset).await;
    res.unwrap_or_else(|e| panic!("write_at {offset}: {e}"));
    assert_eq!(back.as_ref(), data, "write_at must hand the buffer back");
}

/// Opens an upload, writes `data` where the upload starts (`initial_size`) and commits.
async fn upload(vfs: &Vfs, path: &str, mode: WriteMode, data: &[u8]) -> Result<()> {
    let up = vfs.open_write(&vp(path), req(mode)).await?;
    let offset = up.initial_size;
    let (res, _) = up.write_at(Bytes::copy_from_slice(data), offset).await;
    if let Err(e) = res {
        up.abort().await.expect("abort after a failed write");
        return Err(e);
    }
    up.commit().await
}

/// Reads a whole file through the VFS.
async fn read_all(vfs: &Vfs, path: &str) -> Result<Vec<u8>> {
    let reader = vfs.open_read(&vp(path)).await?;
    let mut out = Vec::new();
    loop {
        let offset = u64::try_from(out.len()).expect("small file");
        let (res, buf) = reader.read_at(BytesMut::with_capacity(4096), offset).await;
        if res? == 0 {
            break;
        }
        out.extend_from_slice(&buf);
    }
    reader.close().await?;
    Ok(out)
}

/// Lists a directory through the VFS in small pages (so paging and filtering interact), name → kind. A name
/// reported twice fails the test.
async fn listing(vfs: &Vfs, path: &str) -> Result<BTreeMap<String, FileKind>> {
    let mut lister = vfs.list(&vp(path)).await?;
    let mut out = BTreeMap::new();
    loop {
        let page = lister.next_page(2).await?;
        if page.is_empty() {
            return Ok(out);
        }
        for e in page {
            let name = e.name.clone();
            assert!(
                out.insert(e.name, e.metadata.kind).is_none(),
                "{path}: {name} listed twice"
            );
        }
    }
}

/// The expected listing.
fn entries(items: &[(&str, FileKind)]) -> BTreeMap<String, FileKind> {
    items.iter().map(|(n, k)| ((*n).to_owned(), *k)).collect()
}

/// Names of atomic-upload temporaries in a host directory.
fn temps(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
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

/// Waits (up to 2 s) for the background cleanup of a dropped upload to remove every temporary of `dir`.
async fn wait_no_temps(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !temps(dir).is_empty() {
        assert!(
            Instant::now() < deadline,
            "temporary upload files left behind: {:?}",
            temps(dir)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn chmod(mode: u32) -> SetAttrs {
    SetAttrs {
        mode: Some(mode),
        ..SetAttrs::default()
    }
}

fn resize(size: u64) -> SetAttrs {
    SetAttrs {
        size: Some(size),
        ..SetAttrs::default()
    }
}

fn touch(mtime: SystemTime) -> SetAttrs {
    SetAttrs {
        mtime: Some(mtime),
        ..SetAttrs::default()
    }
}

// ------------------------------------------------------------------------------------------------
// 1. Permissions per operation
// ------------------------------------------------------------------------------------------------

/// One directory per permission set, so each operation can be tried where it is missing and where it is granted.
const PERMS: PermSpec<'static> = &[
    ("/", &["list", "download"]),
    ("/in", &["list", "upload"]),
    ("/ro", &["list"]),
    ("/ow", &["list", "upload", "overwrite"]),
    ("/nolist", &["download"]),
    ("/del", &["list", "delete"]),
    ("/delf", &["list", "delete_files"]),
    ("/deld", &["list", "delete_dirs"]),
    ("/mk", &["list", "create_dirs"]),
    ("/rf", &["list", "rename_files"]),
    ("/rd", &["list", "rename_dirs"]),
    ("/rfo", &["list", "rename", "overwrite"]),
    ("/attrs", &["list", "chmod", "chtimes"]),
    ("/trunc", &["list", "overwrite"]),
    ("/ln", &["list", "create_symlinks"]),
];

/// The [`PERMS`] user over a home holding a few files and directories in each of its directories.
async fn perm_fixture() -> (Fx, Vfs) {
    let fx = Fx::new();
    fx.put("/f", b"root file");
    fx.put("/in/existing", b"old in");
    fx.mkdirs("/in/sub/deeper");
    fx.put("/in/sub/deeper/g", b"deep");
    fx.put("/ro/f", b"read only");
    fx.mkdirs("/ro/d");
    fx.put("/ow/existing", b"old ow");
    fx.put("/nolist/f", b"unlisted");
    for d in ["/del", "/delf", "/deld"] {
        fx.put(&format!("{d}/f"), b"victim");
        fx.mkdirs(&format!("{d}/d"));
    }
    fx.mkdirs("/mk");
    for d in ["/rf", "/rd", "/rfo"] {
        fx.put(&format!("{d}/a"), b"source");
        fx.put(&format!("{d}/existing"), b"target");
        fx.mkdirs(&format!("{d}/d"));
        fx.mkdirs(&format!("{d}/e"));
    }
    fx.put("/attrs/f", b"attributes");
    fx.put("/trunc/f", b"truncate me");
    fx.mkdirs("/ln");
    let vfs = fx
        .vfs(fx.user(PERMS, Vec::new(), 0), UploadMode::Atomic)
        .await;
    (fx, vfs)
}

#[tokio::test(flavor = "current_thread")]
async fn perm_stat_and_list() {
    let (_fx, vfs) = perm_fixture().await;
    // stat needs `list` on the containing directory.
    assert_eq!(vfs.stat(&vp("/ro/f")).await.expect("stat /ro/f").size, 9);
    assert!(vfs.lstat(&vp("/ro/d")).await.expect("lstat /ro/d").is_dir());
    assert_kind(
        vfs.stat(&vp("/nolist/f")).await,
        ErrorKind::PermissionDenied,
        "stat without list on the parent",
    );
    assert_kind(
        vfs.lstat(&vp("/nolist/f")).await,
        ErrorKind::PermissionDenied,
        "lstat without list on the parent",
    );
    // /nolist itself is an entry of /, which has `list`.
    assert!(
        vfs.stat(&vp("/nolist"))
            .await
            .expect("stat /nolist")
            .is_dir()
    );

    // list needs `list` on the directory itself.
    assert_eq!(
        listing(&vfs, "/ro").await.expect("list /ro"),
        entries(&[("d", FileKind::Dir), ("f", FileKind::File)])
    );
    assert_kind(
        vfs.list(&vp("/nolist")).await,
        ErrorKind::PermissionDenied,
        "list without list",
    );

    // Inheritance: /in/sub/deeper has no entry of its own and gets /in's set (list, upload).
    assert_eq!(
        listing(&vfs, "/in/sub/deeper").await.expect("list deeper"),
        entries(&[("g", FileKind::File)])
    );
    assert_eq!(
        vfs.stat(&vp("/in/sub/deeper/g"))
            .await
            .expect("stat deeper/g")
            .size,
        4
    );
}

#[tokio::test(flavor = "current_thread")]
async fn perm_open_read() {
    let (_fx, vfs) = perm_fixture().await;
    assert_eq!(
        read_all(&vfs, "/f").await.expect("download /f"),
        b"root file"
    );
    assert_kind(
        read_all(&vfs, "/ro/f").await,
        ErrorKind::PermissionDenied,
        "download without download",
    );
    assert_kind(
        read_all(&vfs, "/in/existing").await,
        ErrorKind::PermissionDenied,
        "download in upload-only dir",
    );
    // `download` without `list` is enough to read a file whose name is known.
    assert_eq!(
        read_all(&vfs, "/nolist/f")
            .await
            .expect("download /nolist/f"),
        b"unlisted"
    );
    // Inheritance: / grants download, but /in (and so /in/sub/deeper) does not.
    assert_kind(
        read_all(&vfs, "/in/sub/deeper/g").await,
        ErrorKind::PermissionDenied,
        "inherited: no download",
    );
}

#[tokio::test(flavor = "current_thread")]
async fn perm_open_write() {
    let (fx, vfs) = perm_fixture().await;
    // New file: `upload`.
    assert_kind(
        upload(&vfs, "/ro/new", WriteMode::Truncate, b"x").await,
        ErrorKind::PermissionDenied,
        "upload",
    );
    assert!(!fx.exists("/ro/new"));
    upload(&vfs, "/in/new", WriteMode::Truncate, b"fresh")
        .await
        .expect("upload to /in");
    assert_eq!(fx.disk("/in/new"), b"fresh");

    // Existing file: `upload` and `overwrite`.
    assert_kind(
        upload(&vfs, "/in/existing", WriteMode::Truncate, b"clobber").await,
        ErrorKind::PermissionDenied,
        "overwrite without overwrite",
    );
    assert_eq!(fx.disk("/in/existing"), b"old in");
    assert!(temps(&fx.host("/in")).is_empty());
    assert_kind(
        upload(&vfs, "/trunc/f", WriteMode::Truncate, b"clobber").await,
        ErrorKind::PermissionDenied,
        "overwrite without upload",
    );
    assert_eq!(fx.disk("/trunc/f"), b"truncate me");
    upload(&vfs, "/ow/existing", WriteMode::Truncate, b"new ow")
        .await
        .expect("overwrite in /ow");
    assert_eq!(fx.disk("/ow/existing"), b"new ow");

    // Inheritance: /in/sub/deeper may upload new files but not overwrite them.
    upload(&vfs, "/in/sub/deeper/new", WriteMode::Truncate, b"deep new")
        .await
        .expect("inherited upload");
    assert_eq!(fx.disk("/in/sub/deeper/new"), b"deep new");
    assert_kind(
        upload(&vfs, "/in/sub/deeper/new", WriteMode::Truncate, b"again").await,
        ErrorKind::PermissionDenied,
        "inherited: no overwrite",
    );
    assert_eq!(fx.disk("/in/sub/deeper/new"), b"deep new");
}

#[tokio::test(flavor = "current_thread")]
async fn perm_mkdir() {
    let (fx, vfs) = perm_fixture().await;
    assert_kind(
        vfs.mkdir(&vp("/ro/x"), 0o755).await,
        ErrorKind::PermissionDenied,
        "mkdir without create_dirs",
    );
    assert!(!fx.exists("/ro/x"));
    assert_kind(
        vfs.mkdir(&vp("/in/sub/deeper/x"), 0o755).await,
        ErrorKind::PermissionDenied,
        "inherited mkdir",
    );
    assert!(!fx.exists("/in/sub/deeper/x"));
    vfs.mkdir(&vp("/mk/x"), 0o755).await.expect("mkdir in /mk");
    assert!(fx.host("/mk/x").is_dir());
    assert_kind(
        vfs.mkdir(&vp("/mk/x"), 0o755).await,
        ErrorKind::AlreadyExists,
        "mkdir twice",
    );
}

#[tokio::test(flavor = "current_thread")]
async fn perm_remove_file() {
    let (fx, vfs) = perm_fixture().await;
    assert_kind(
        vfs.remove_file(&vp("/ro/f")).await,
        ErrorKind::PermissionDenied,
        "remove without delete",
    );
    assert!(fx.exists("/ro/f"));
    assert_kind(
        vfs.remove_file(&vp("/deld/f")).await,
        ErrorKind::PermissionDenied,
        "remove with delete_dirs only",
    );
    assert!(fx.exists("/deld/f"));
    vfs.remove_file(&vp("/delf/f"))
        .await
        .expect("remove with delete_files");
    assert!(!fx.exists("/delf/f"));
    vfs.remove_file(&vp("/del/f"))
        .await
        .expect("remove with delete");
    assert!(!fx.exists("/del/f"));
}

#[tokio::test(flavor = "current_thread")]
async fn perm_remove_dir() {
    let (fx, vfs) = perm_fixture().await;
    assert_kind(
        vfs.remove_dir(&vp("/ro/d")).await,
        ErrorKind::PermissionDenied,
        "rmdir without delete",
    );
    assert!(fx.host("/ro/d").is_dir());
    assert_kind(
        vfs.remove_dir(&vp("/delf/d")).await,
        ErrorKind::PermissionDenied,
        "rmdir with delete_files only",
    );
    assert!(fx.host("/delf/d").is_dir());
    vfs.remove_dir(&vp("/deld/d"))
        .await
        .expect("rmdir with delete_dirs");
    assert!(!fx.exists("/deld/d"));
    vfs.remove_dir(&vp("/del/d"))
        .await
        .expect("rmdir with delete");
    assert!(!fx.exists("/del/d"));
}

#[tokio::test(flavor = "current_thread")]
async fn perm_rename() {
    let (fx, vfs) = perm_fixture().await;
    let rename = |from: &'static str, to: &'static str| {
        let vfs = vfs.clone();
        async move { vfs.rename(&vp(from), &vp(to)).await }
    };

    // The source's type decides between rename_files and rename_dirs.
    assert_kind(
        rename("/rd/a", "/rd/b").await,
        ErrorKind::PermissionDenied,
        "file with rename_dirs only",
    );
    assert!(fx.exists("/rd/a") && !fx.exists("/rd/b"));
    assert_kind(
        rename("/rf/d", "/rf/d2").await,
        ErrorKind::PermissionDenied,
        "dir with rename_files only",
    );
    assert!(fx.host("/rf/d").is_dir() && !fx.exists("/rf/d2"));

    // Both parents need it.
    assert_kind(
        rename("/rf/a", "/ro/a").await,
        ErrorKind::PermissionDenied,
        "target parent lacks rename",
    );
    assert_kind(
        rename("/ro/f", "/rf/f").await,
        ErrorKind::PermissionDenied,
        "source parent lacks rename",
    );
    assert!(fx.exists("/rf/a") && fx.exists("/ro/f") && !fx.exists("/ro/a") && !fx.exists("/rf/f"));

    // Replacing an existing target needs `overwrite` on its parent, for files and for directories alike.
    assert_kind(
        rename("/rf/a", "/rf/existing").await,
        ErrorKind::PermissionDenied,
        "file onto file, no overwrite",
    );
    assert_eq!(fx.disk("/rf/existing"), b"target");
    assert_kind(
        rename("/rd/d", "/rd/e").await,
        ErrorKind::PermissionDenied,
        "dir onto empty dir, no overwrite",
    );
    assert!(fx.host("/rd/d").is_dir() && fx.host("/rd/e").is_dir());

    // Granted.
    rename("/rf/a", "/rf/b")
        .await
        .expect("rename a file with rename_files");
    assert!(!fx.exists("/rf/a"));
    assert_eq!(fx.disk("/rf/b"), b"source");
    rename("/rd/d", "/rd/d2")
        .await
        .expect("rename a dir with rename_dirs");
    assert!(!fx.exists("/rd/d") && fx.host("/rd/d2").is_dir());
    rename("/rfo/a", "/rfo/existing")
        .await
        .expect("replace a file with rename + overwrite");
    assert!(!fx.exists("/rfo/a"));
    assert_eq!(fx.disk("/rfo/existing"), b"source");
    rename("/rfo/d", "/rfo/e")
        .await
        .expect("replace an empty dir with rename + overwrite");
    assert!(!fx.exists("/rfo/d") && fx.host("/rfo/e").is_dir());
}

#[tokio::test(flavor = "current_thread")]
async fn perm_set_attrs() {
    let (fx, vfs) = perm_fixture().await;
    let mode_ro = fx.mode("/ro/f");
    let mode_attrs = fx.mode("/attrs/f");
    assert_ne!(
        mode_attrs, 0o600,
        "setup: the chmod below must change something"
    );
    let then = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let mtime = |v: &str| {
        std::fs::metadata(fx.host(v))
            .expect("metadata")
            .modified()
            .expect("mtime")
    };

    // chmod
    assert_kind(
        vfs.set_attrs(&vp("/ro/f"), chmod(0o600)).await,
        ErrorKind::PermissionDenied,
        "chmod",
    );
    assert_eq!(fx.mode("/ro/f"), mode_ro);
    // chtimes
    assert_kind(
        vfs.set_attrs(&vp("/ro/f"), touch(then)).await,
        ErrorKind::PermissionDenied,
        "chtimes",
    );
    assert_ne!(mtime("/ro/f"), then);
    // size needs overwrite, and a request is all or nothing: the granted chmod is not applied either.
    assert_kind(
        vfs.set_attrs(&vp("/attrs/f"), resize(2)).await,
        ErrorKind::PermissionDenied,
        "truncate",
    );
    let both = SetAttrs {
        mode: Some(0o600),
        size: Some(2),
        ..SetAttrs::default()
    };
    assert_kind(
        vfs.set_attrs(&vp("/attrs/f"), both).await,
        ErrorKind::PermissionDenied,
        "chmod + truncate",
    );
    assert_eq!(fx.disk("/attrs/f"), b"attributes");
    assert_eq!(fx.mode("/attrs/f"), mode_attrs);

    // Granted.
    vfs.set_attrs(&vp("/attrs/f"), chmod(0o600))
        .await
        .expect("chmod with chmod");
    assert_eq!(fx.mode("/attrs/f"), 0o600);
    vfs.set_attrs(&vp("/attrs/f"), touch(then))
        .await
        .expect("chtimes with chtimes");
    assert_eq!(mtime("/attrs/f"), then);
    vfs.set_attrs(&vp("/trunc/f"), resize(2))
        .await
        .expect("truncate with overwrite");
    assert_eq!(fx.disk("/trunc/f"), b"tr");
}

#[tokio::test(flavor = "current_thread")]
async fn perm_symlink_and_hard_link() {
    let (fx, vfs) = perm_fixture().await;
    // symlink: create_symlinks on the link's parent.
    assert_kind(
        vfs.symlink("/f", &vp("/ro/s")).await,
        ErrorKind::PermissionDenied,
        "symlink",
    );
    assert!(!fx.exists("/ro/s"));
    assert_kind(
        vfs.symlink("/f", &vp("/in/sub/deeper/s")).await,
        ErrorKind::PermissionDenied,
        "inherited symlink",
    );
    assert!(!fx.exists("/in/sub/deeper/s"));
    vfs.symlink("/f", &vp("/ln/s"))
        .await
        .expect("symlink with create_symlinks");
    assert_eq!(
        std::fs::read_link(fx.host("/ln/s")).expect("read_link"),
        Path::new("../f")
    );
    assert_eq!(vfs.readlink(&vp("/ln/s")).await.expect("readlink"), "/f");

    // hard link: create_symlinks on the new name's parent, download on the source's parent.
    assert_kind(
        vfs.hard_link(&vp("/f"), &vp("/ro/h")).await,
        ErrorKind::PermissionDenied,
        "link into /ro",
    );
    assert!(!fx.exists("/ro/h"));
    assert_kind(
        vfs.hard_link(&vp("/ro/f"), &vp("/ln/h")).await,
        ErrorKind::PermissionDenied,
        "link from /ro",
    );
    assert!(!fx.exists("/ln/h"));
    vfs.hard_link(&vp("/f"), &vp("/ln/h"))
        .await
        .expect("hard link");
    let ino = |v: &str| {
        std::fs::symlink_metadata(fx.host(v))
            .expect("metadata")
            .ino()
    };
    assert_eq!(ino("/ln/h"), ino("/f"));
    assert_eq!(
        std::fs::metadata(fx.host("/f")).expect("metadata").nlink(),
        2
    );
}

// ------------------------------------------------------------------------------------------------
// 2. Name patterns
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "current_thread")]
async fn patterns_deny_visible_and_hidden() {
    let fx = Fx::new();
    fx.put("/x.exe", b"binary");
    fx.mkdirs("/bin.exe");
    fx.put("/bin.exe/inner.txt", b"inside a denied dir");
    fx.put("/photos/notes.txt", b"secret notes");
    fx.put("/photos/a.jpg", b"jpeg");
    fx.put("/photos/album/b.png", b"png data");
    fx.put("/photos/album/c.txt", b"hidden too");
    let rules = vec![
        rule("/", &[], &["*.exe"], DenyPolicy::Visible),
        rule("/photos", &["*.jpg", "*.png"], &[], DenyPolicy::Hidden),
    ];
    let vfs = fx.vfs(fx.user(FULL, rules, 0), UploadMode::Atomic).await;

    // Visible denial: refused, case-insensitively, and nothing is written.
    assert_kind(
        upload(&vfs, "/a.EXE", WriteMode::Truncate, b"MZ").await,
        ErrorKind::PermissionDenied,
        "upload .EXE",
    );
    assert!(!fx.exists("/a.EXE"));
    assert!(temps(&fx.home).is_empty());
    // ... listed, but every operation on it is refused.
    assert_eq!(
        listing(&vfs, "/").await.expect("list /"),
        entries(&[
            ("bin.exe", FileKind::Dir),
            ("photos", FileKind::Dir),
            ("x.exe", FileKind::File)
        ])
    );
    assert_kind(
        read_all(&vfs, "/x.exe").await,
        ErrorKind::PermissionDenied,
        "download x.exe",
    );
    assert_kind(
        vfs.stat(&vp("/x.exe")).await,
        ErrorKind::PermissionDenied,
        "stat x.exe",
    );
    assert_kind(
        vfs.remove_file(&vp("/x.exe")).await,
        ErrorKind::PermissionDenied,
        "remove x.exe",
    );
    assert_eq!(fx.disk("/x.exe"), b"binary");
    // A denied directory cannot be entered by naming something inside it.
    assert_kind(
        vfs.list(&vp("/bin.exe")).await,
        ErrorKind::PermissionDenied,
        "list a denied dir",
    );
    assert_kind(
        read_all(&vfs, "/bin.exe/inner.txt").await,
        ErrorKind::PermissionDenied,
        "read in a denied dir",
    );

    // Hidden denial: an existing file looks exactly like a missing one, whatever is tried.
    assert_kind(
        vfs.stat(&vp("/photos/notes.txt")).await,
        ErrorKind::NotFound,
        "stat hidden",
    );
    assert_kind(
        vfs.stat(&vp("/photos/missing.txt")).await,
        ErrorKind::NotFound,
        "stat missing",
    );
    assert_kind(
        vfs.lstat(&vp("/photos/notes.txt")).await,
        ErrorKind::NotFound,
        "lstat hidden",
    );
    assert_kind(
        read_all(&vfs, "/photos/notes.txt").await,
        ErrorKind::NotFound,
        "download hidden",
    );
    assert_kind(
        vfs.remove_file(&vp("/photos/notes.txt")).await,
        ErrorKind::NotFound,
        "remove hidden",
    );
    assert_kind(
        vfs.rename(&vp("/photos/notes.txt"), &vp("/photos/n.jpg"))
            .await,
        ErrorKind::NotFound,
        "rename hidden",
    );
    assert_kind(
        vfs.set_attrs(&vp("/photos/notes.txt"), resize(0)).await,
        ErrorKind::NotFound,
        "truncate hidden",
    );
    assert_kind(
        vfs.set_attrs(&vp("/photos/notes.txt"), chmod(0o600)).await,
        ErrorKind::NotFound,
        "chmod hidden",
    );
    assert_eq!(fx.disk("/photos/notes.txt"), b"secret notes");
    assert_ne!(fx.mode("/photos/notes.txt"), 0o600);
    // Nor can an allowed file be renamed to, or uploaded under, a hidden name (the VFS reports hidden names as
    // missing for every operation, uploads included).
    assert_kind(
        vfs.rename(&vp("/photos/a.jpg"), &vp("/photos/a.txt")).await,
        ErrorKind::NotFound,
        "rename to hidden",
    );
    assert_kind(
        upload(&vfs, "/photos/c.gif", WriteMode::Truncate, b"GIF").await,
        ErrorKind::NotFound,
        "upload gif",
    );
    assert!(
        fx.exists("/photos/a.jpg") && !fx.exists("/photos/a.txt") && !fx.exists("/photos/c.gif")
    );
    // The allow-list is case-insensitive too.
    upload(&vfs, "/photos/UP.JPG", WriteMode::Truncate, b"jpeg 2")
        .await
        .expect("upload .JPG");
    assert_eq!(fx.disk("/photos/UP.JPG"), b"jpeg 2");

    // Listings leave hidden names out but keep allowed files and subdirectories.
    assert_eq!(
        listing(&vfs, "/photos").await.expect("list /photos"),
        entries(&[
            ("UP.JPG", FileKind::File),
            ("a.jpg", FileKind::File),
            ("album", FileKind::Dir)
        ])
    );
    // The /photos rule applies below it too.
    assert_eq!(
        listing(&vfs, "/photos/album").await.expect("list album"),
        entries(&[("b.png", FileKind::File)])
    );
    assert_eq!(
        read_all(&vfs, "/photos/album/b.png")
            .await
            .expect("download b.png"),
        b"png data"
    );
    assert_kind(
        read_all(&vfs, "/photos/album/c.txt").await,
        ErrorKind::NotFound,
        "download album/c.txt",
    );
}

// ------------------------------------------------------------------------------------------------
// 3. Mounts
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "current_thread")]
async fn mounts_virtual_folder() {
    let fx = Fx::new();
    let docs = fx.tmp.path().join("docs");
    let home_backend = fx.backend(&fx.home).await;
    let docs_backend = fx.backend(&docs).await;
    // Listed root last: `new` must not depend on the order.
    let mounts = vec![
        Mount {
            path: vp("/shared/docs"),
            backend: docs_backend,
        },
        Mount {
            path: VirtualPath::root(),
            backend: home_backend,
        },
    ];
    let opts = VfsOptions {
        upload_mode: UploadMode::Atomic,
    };
    let vfs =
        Vfs::new(Arc::new(fx.user(FULL, Vec::new(), 0)), mounts, opts).expect("build the VFS");
    assert!(vfs.is_mount_point(&vp("/shared/docs")) && !vfs.is_mount_point(&vp("/shared")));
    assert_eq!(vfs.resolve(&vp("/shared/docs/x/y")).inner, vp("/x/y"));
    assert!(
        vfs.resolve(&vp("/shared/docsx")).mount.path.is_root(),
        "component-wise prefix"
    );

    // Files under the mount land in its backend, not in the home.
    upload(&vfs, "/shared/docs/f", WriteMode::Truncate, b"in docs")
        .await
        .expect("upload into the mount");
    assert_eq!(
        std::fs::read(docs.join("f")).expect("docs/f on disk"),
        b"in docs"
    );
    assert!(!fx.exists("/shared"), "nothing may be written to the home");
    assert_eq!(
        listing(&vfs, "/shared/docs").await.expect("list the mount"),
        entries(&[("f", FileKind::File)])
    );
    assert_eq!(
        read_all(&vfs, "/shared/docs/f")
            .await
            .expect("download from the mount"),
        b"in docs"
    );

    // A mount point is injected only into the listing of its direct parent. /shared does not exist in the home,
    // so / does not show it and /shared cannot be listed: creating the parents of virtual folders is the job of
    // whoever sets the session up (the reference creates them at login), not of the VFS.
    assert_eq!(listing(&vfs, "/").await.expect("list /"), entries(&[]));
    assert_kind(
        vfs.list(&vp("/shared")).await,
        ErrorKind::NotFound,
        "list the missing parent of a mount",
    );
    // Once the home has /shared (here with a stale shadowed `docs` of its own), the mount shows up, once, and
    // hides what the home has under that name.
    fx.put("/shared/docs/ghost", b"shadowed");
    assert_eq!(
        listing(&vfs, "/").await.expect("list /"),
        entries(&[("shared", FileKind::Dir)])
    );
    assert_eq!(
        listing(&vfs, "/shared").await.expect("list /shared"),
        entries(&[("docs", FileKind::Dir)])
    );
    assert_eq!(
        listing(&vfs, "/shared/docs").await.expect("list the mount"),
        entries(&[("f", FileKind::File)])
    );
    assert_kind(
        vfs.stat(&vp("/shared/docs/ghost")).await,
        ErrorKind::NotFound,
        "stat a shadowed file",
    );
    upload(&vfs, "/shared/docsx", WriteMode::Truncate, b"home")
        .await
        .expect("upload next to the mount");
    assert_eq!(fx.disk("/shared/docsx"), b"home");

    // No rename across mounts, either way.
    fx.put("/a", b"home file");
    assert_kind(
        vfs.rename(&vp("/a"), &vp("/shared/docs/a")).await,
        ErrorKind::Unsupported,
        "rename into mount",
    );
    assert_kind(
        vfs.rename(&vp("/shared/docs/f"), &vp("/f")).await,
        ErrorKind::Unsupported,
        "rename out of mount",
    );
    assert_eq!(fx.disk("/a"), b"home file");
    assert!(!docs.join("a").exists() && !fx.exists("/f") && docs.join("f").exists());

    // The mount point itself cannot be removed, renamed or re-created.
    assert_kind(
        vfs.remove_dir(&vp("/shared/docs")).await,
        ErrorKind::PermissionDenied,
        "rmdir the mount point",
    );
    assert_kind(
        vfs.rename(&vp("/shared/docs"), &vp("/d2")).await,
        ErrorKind::PermissionDenied,
        "rename mount point",
    );
    assert_kind(
        vfs.mkdir(&vp("/shared/docs"), 0o755).await,
        ErrorKind::AlreadyExists,
        "mkdir the mount point",
    );
    assert!(docs.join("f").exists() && !fx.exists("/d2"));
    // Nor can a directory holding it (as the reference): the mount would stay behind, unreachable by listing,
    // and the shadowed content would surface under the new name.
    assert_kind(
        vfs.rename(&vp("/shared"), &vp("/moved")).await,
        ErrorKind::PermissionDenied,
        "rename mount parent",
    );
    assert!(fx.exists("/shared/docs/ghost") && !fx.exists("/moved"));
    std::fs::remove_dir_all(fx.host("/shared")).expect("setup: empty the home's /shared");
    fx.mkdirs("/shared");
    assert_kind(
        vfs.remove_dir(&vp("/shared")).await,
        ErrorKind::PermissionDenied,
        "rmdir mount parent",
    );
    assert!(fx.host("/shared").is_dir());

    // A symlink in the home cannot point into the mount, whichever way the target is spelt ...
    assert_kind(
        vfs.symlink("/shared/docs/f", &vp("/lnk")).await,
        ErrorKind::OutsideRoot,
        "absolute into mount",
    );
    assert_kind(
        vfs.symlink("shared/docs/f", &vp("/lnk")).await,
        ErrorKind::OutsideRoot,
        "relative into mount",
    );
    assert!(!fx.exists("/lnk"));
    // ... and one made on disk is not followed there by the home backend.
    symlink(&docs, fx.host("/esc_docs")).expect("setup: symlink to the docs dir");
    assert_kind(
        vfs.stat(&vp("/esc_docs")).await,
        ErrorKind::OutsideRoot,
        "follow a host link into the mount",
    );
    assert_kind(
        read_all(&vfs, "/esc_docs/f").await,
        ErrorKind::OutsideRoot,
        "read through a host link",
    );
    // Inside one mount, links work and read back as virtual paths.
    vfs.symlink("f", &vp("/shared/docs/l"))
        .await
        .expect("symlink inside the mount");
    assert_eq!(
        vfs.readlink(&vp("/shared/docs/l")).await.expect("readlink"),
        "/shared/docs/f"
    );
    assert_eq!(
        read_all(&vfs, "/shared/docs/l")
            .await
            .expect("read via link"),
        b"in docs"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn vfs_new_validates_mounts() {
    let fx = Fx::new();
    let user = Arc::new(fx.user(FULL, Vec::new(), 0));
    let opts = VfsOptions::default();
    let home = fx.backend(&fx.home).await;
    let docs = fx.backend(&fx.tmp.path().join("docs")).await;
    let mount = |path: &str, backend: &Arc<dyn Backend>| Mount {
        path: vp(path),
        backend: Arc::clone(backend),
    };

    let no_root = Vfs::new(Arc::clone(&user), vec![mount("/docs", &docs)], opts);
    assert_kind(no_root, ErrorKind::InvalidInput, "no mount at /");
    assert_kind(
        Vfs::new(Arc::clone(&user), Vec::new(), opts),
        ErrorKind::InvalidInput,
        "no mounts at all",
    );
    let twice = Vfs::new(
        Arc::clone(&user),
        vec![
            mount("/", &home),
            mount("/docs", &docs),
            mount("/docs", &home),
        ],
        opts,
    );
    assert_kind(twice, ErrorKind::InvalidInput, "two mounts at /docs");
    let ok =
        Vfs::new(user, vec![mount("/docs", &docs), mount("/", &home)], opts).expect("valid mounts");
    assert_eq!(ok.options(), opts);
}

// ------------------------------------------------------------------------------------------------
// 4. Upload modes
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "current_thread")]
async fn atomic_upload_keeps_the_target_until_commit() {
    let fx = Fx::new();
    fx.put("/f", b"original complete file");
    let vfs = fx
        .vfs(fx.user(FULL, Vec::new(), 0), UploadMode::Atomic)
        .await;

    // While the upload runs, the target is untouched and the data sits in a hidden temporary.
    let up = vfs
        .open_write(&vp("/f"), req(WriteMode::Truncate))
        .await
        .expect("open upload");
    write(&up, b"half", 0).await;
    assert_eq!(fx.disk("/f"), b"original complete file");
    assert_eq!(
        temps(&fx.home).len(),
        1,
        "an atomic upload writes a temporary"
    );
    assert_eq!(
        listing(&vfs, "/").await.expect("list /"),
        entries(&[("f", FileKind::File)]),
        "temporary listed"
    );
    // Abort: target intact, temporary gone.
    up.abort().await.expect("abort");
    assert_eq!(fx.disk("/f"), b"original complete file");
    assert!(
        temps(&fx.home).is_empty(),
        "abort left {:?}",
        temps(&fx.home)
    );

    // Drop (a connection dying mid-upload): the same, once the background cleanup has run.
    let up = vfs
        .open_write(&vp("/f"), req(WriteMode::Truncate))
        .await
        .expect("open upload");
    write(&up, b"half again", 0).await;
    assert_eq!(temps(&fx.home).len(), 1);
    drop(up);
    wait_no_temps(&fx.home).await;
    assert_eq!(fx.disk("/f"), b"original complete file");

    // Commit replaces it.
    let up = vfs
        .open_write(&vp("/f"), req(WriteMode::Truncate))
        .await
        .expect("open upload");
    write(&up, b"replacement", 0).await;
    up.commit().await.expect("commit");
    assert_eq!(fx.disk("/f"), b"replacement");
    assert!(temps(&fx.home).is_empty());

    // A new file appears only on commit.
    let up = vfs
        .open_write(&vp("/new"), req(WriteMode::Truncate))
        .await
        .expect("open upload");
    write(&up, b"brand new", 0).await;
    assert!(!fx.exists("/new"));
    up.commit().await.expect("commit");
    assert_eq!(fx.disk("/new"), b"brand new");
}

#[tokio::test(flavor = "current_thread")]
async fn resume_depends_on_the_upload_mode() {
    // Atomic: refused, the file is not touched.
    let fx = Fx::new();
    fx.put("/r", b"0123456789");
    let vfs = fx
        .vfs(fx.user(FULL, Vec::new(), 0), UploadMode::Atomic)
        .await;
    for mode in [WriteMode::ResumeAt(4), WriteMode::Append] {
        assert_kind(
            vfs.open_write(&vp("/r"), req(mode)).await,
            ErrorKind::Unsupported,
            &format!("{mode:?}"),
        );
        assert_kind(
            vfs.open_write(&vp("/nx"), req(mode)).await,
            ErrorKind::Unsupported,
            &format!("new {mode:?}"),
        );
    }
    assert_eq!(fx.disk("/r"), b"0123456789");
    assert!(temps(&fx.home).is_empty() && !fx.exists("/nx"));

    // Atomic with resume, and direct: the kept prefix plus the new data.
    for upload_mode in [UploadMode::AtomicWithResume, UploadMode::Direct] {
        let fx = Fx::new();
        fx.put("/r", b"0123456789");
        fx.put("/a", b"hello");
        let vfs = fx.vfs(fx.user(FULL, Vec::new(), 0), upload_mode).await;

        let up = vfs
            .open_write(&vp("/r"), req(WriteMode::ResumeAt(4)))
            .await
            .expect("resume");
        assert_eq!(up.initial_size, 4, "{upload_mode:?}");
        write(&up, b"abc", 4).await;
        up.commit().await.expect("commit resume");
        assert_eq!(
            fx.disk("/r"),
            b"0123abc",
            "{upload_mode:?}: resume keeps the prefix and drops the rest"
        );

        let up = vfs
            .open_write(&vp("/a"), req(WriteMode::Append))
            .await
            .expect("append");
        assert_eq!(up.initial_size, 5, "{upload_mode:?}");
        write(&up, b" world", 5).await;
        up.commit().await.expect("commit append");
        assert_eq!(fx.disk("/a"), b"hello world", "{upload_mode:?}");
        assert!(temps(&fx.home).is_empty(), "{upload_mode:?}");
    }

    // Atomic with resume: an interrupted resume puts what it has back under the name, so it can be resumed again.
    let fx = Fx::new();
    fx.put("/p", b"0123456789");
    let vfs = fx
        .vfs(fx.user(FULL, Vec::new(), 0), UploadMode::AtomicWithResume)
        .await;
    let up = vfs
        .open_write(&vp("/p"), req(WriteMode::ResumeAt(4)))
        .await
        .expect("resume");
    write(&up, b"ab", 4).await;
    up.abort().await.expect("abort");
    assert_eq!(fx.disk("/p"), b"0123ab");
    assert!(temps(&fx.home).is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn resume_past_the_end_is_invalid() {
    for upload_mode in [UploadMode::AtomicWithResume, UploadMode::Direct] {
        let fx = Fx::new();
        fx.put("/r", b"0123456789");
        let vfs = fx.vfs(fx.user(FULL, Vec::new(), 0), upload_mode).await;
        let what = format!("{upload_mode:?}");

        assert_kind(
            vfs.open_write(&vp("/r"), req(WriteMode::ResumeAt(11)))
                .await,
            ErrorKind::InvalidInput,
            &what,
        );
        assert_eq!(fx.disk("/r"), b"0123456789", "{what}");
        // A missing file has nothing to resume from: any offset past 0 is past its end too.
        assert_kind(
            vfs.open_write(&vp("/nx"), req(WriteMode::ResumeAt(3)))
                .await,
            ErrorKind::InvalidInput,
            &what,
        );
        assert!(
            !fx.exists("/nx"),
            "{what}: a refused resume must not create the file"
        );
        assert!(temps(&fx.home).is_empty(), "{what}");

        // Exactly at the end, and at 0 of a missing file, are fine.
        upload(&vfs, "/r", WriteMode::ResumeAt(10), b"X")
            .await
            .expect("resume at the end");
        assert_eq!(fx.disk("/r"), b"0123456789X", "{what}");
        upload(&vfs, "/nx", WriteMode::ResumeAt(0), b"new")
            .await
            .expect("resume at 0 of a missing file");
        assert_eq!(fx.disk("/nx"), b"new", "{what}");
    }
}

/// Direct mode writes the target in place: what an aborted or dropped upload wrote stays there, and the old
/// content is gone as soon as the upload opens. That is what direct mode trades for speed (the reference's
/// `upload_mode` 0); atomic modes exist for the opposite.
#[tokio::test(flavor = "current_thread")]
async fn direct_upload_abort_leaves_a_partial_file() {
    let fx = Fx::new();
    fx.put("/f", b"original content");
    let vfs = fx
        .vfs(fx.user(FULL, Vec::new(), 0), UploadMode::Direct)
        .await;

    let up = vfs
        .open_write(&vp("/f"), req(WriteMode::Truncate))
        .await
        .expect("open upload");
    assert_eq!(
        fx.disk("/f"),
        b"",
        "direct mode truncates the target on open"
    );
    write(&up, b"par", 0).await;
    assert_eq!(fx.disk("/f"), b"par", "direct mode writes in place");
    up.abort().await.expect("abort");
    assert_eq!(fx.disk("/f"), b"par", "the partial file stays");

    let up = vfs
        .open_write(&vp("/g"), req(WriteMode::Truncate))
        .await
        .expect("open upload");
    write(&up, b"half", 0).await;
    drop(up);
    assert_eq!(
        fx.disk("/g"),
        b"half",
        "a dropped direct upload leaves its partial file"
    );
    assert!(
        temps(&fx.home).is_empty(),
        "direct mode never writes temporaries"
    );
}

// ------------------------------------------------------------------------------------------------
// 5. Maximum upload size
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "current_thread")]
async fn max_upload_file_size_is_enforced() {
    let fx = Fx::new();
    fx.put("/big", &[b'x'; 20]);
    let vfs = fx
        .vfs(fx.user(FULL, Vec::new(), 10), UploadMode::AtomicWithResume)
        .await;

    let up = vfs
        .open_write(&vp("/f"), req(WriteMode::Truncate))
        .await
        .expect("open upload");
    write(&up, b"12345678", 0).await;
    let (res, back) = up.write_at(Bytes::from_static(b"9ab"), 8).await;
    assert_kind(res, ErrorKind::QuotaExceeded, "write crossing 10 bytes");
    assert_eq!(
        back.as_ref(),
        b"9ab",
        "a refused write hands the buffer back"
    );
    let (res, _) = up.write_at(Bytes::from_static(b"z"), 100).await;
    assert_kind(res, ErrorKind::QuotaExceeded, "write far past the limit");
    write(&up, b"9a", 8).await; // exactly 10 bytes is allowed
    up.commit().await.expect("commit");
    assert_eq!(fx.disk("/f"), b"123456789a");

    assert_kind(
        upload(&vfs, "/g", WriteMode::Truncate, &[b'y'; 11]).await,
        ErrorKind::QuotaExceeded,
        "11 bytes",
    );
    assert!(!fx.exists("/g") && temps(&fx.home).is_empty());

    // Resuming or appending where the file is already over the limit is refused at open, file untouched.
    assert_kind(
        vfs.open_write(&vp("/big"), req(WriteMode::ResumeAt(11)))
            .await,
        ErrorKind::QuotaExceeded,
        "resume",
    );
    assert_kind(
        vfs.open_write(&vp("/big"), req(WriteMode::Append)).await,
        ErrorKind::QuotaExceeded,
        "append",
    );
    assert_eq!(fx.disk("/big"), [b'x'; 20]);
    assert!(temps(&fx.home).is_empty());

    // The same in direct mode, which would otherwise truncate the file in place on open.
    let direct = fx
        .vfs(fx.user(FULL, Vec::new(), 10), UploadMode::Direct)
        .await;
    assert_kind(
        direct
            .open_write(&vp("/big"), req(WriteMode::ResumeAt(11)))
            .await,
        ErrorKind::QuotaExceeded,
        "direct",
    );
    assert_eq!(fx.disk("/big"), [b'x'; 20]);
}

// ------------------------------------------------------------------------------------------------
// 6. Symlinks leading out of the home
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "current_thread")]
async fn symlinks_out_of_the_home_are_refused() {
    let fx = Fx::new();
    let secret = fx.outside.join("secret");
    std::fs::write(&secret, b"s3cret").expect("setup: outside file");
    let secret_mode = std::fs::metadata(&secret)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777;
    fx.put("/f", b"inside");
    fx.mkdirs("/d");
    // home = <tmp>/home, so `../outside` climbs out of it.
    symlink("../outside", fx.host("/rel_dir")).expect("setup: link");
    symlink(&fx.outside, fx.host("/abs_dir")).expect("setup: link");
    symlink("../../outside", fx.host("/d/deep_dir")).expect("setup: link");
    symlink("../outside/secret", fx.host("/rel_file")).expect("setup: link");
    symlink(&secret, fx.host("/abs_file")).expect("setup: link");
    // A link that stays inside, as a control.
    symlink("f", fx.host("/ok_link")).expect("setup: link");

    for upload_mode in [UploadMode::Atomic, UploadMode::Direct] {
        let vfs = fx.vfs(fx.user(FULL, Vec::new(), 0), upload_mode).await;
        assert_eq!(
            read_all(&vfs, "/ok_link")
                .await
                .expect("read via an inside link"),
            b"inside"
        );
        assert!(
            vfs.stat(&vp("/ok_link"))
                .await
                .expect("stat via an inside link")
                .is_file()
        );

        for dir in ["/rel_dir", "/abs_dir", "/d/deep_dir"] {
            let what = |op: &str| format!("{upload_mode:?} {op} {dir}");
            // The link itself is an entry of the home ...
            assert_eq!(
                vfs.lstat(&vp(dir)).await.expect("lstat the link").kind,
                FileKind::Symlink
            );
            // ... but nothing may follow it.
            assert_kind(
                vfs.stat(&vp(dir)).await,
                ErrorKind::OutsideRoot,
                &what("stat"),
            );
            assert_kind(
                vfs.list(&vp(dir)).await,
                ErrorKind::OutsideRoot,
                &what("list"),
            );
            let inner = format!("{dir}/secret");
            assert_kind(
                vfs.stat(&vp(&inner)).await,
                ErrorKind::OutsideRoot,
                &what("stat inside"),
            );
            assert_kind(
                read_all(&vfs, &inner).await,
                ErrorKind::OutsideRoot,
                &what("read inside"),
            );
            let new = format!("{dir}/new");
            assert_kind(
                upload(&vfs, &new, WriteMode::Truncate, b"x").await,
                ErrorKind::OutsideRoot,
                &what("upload"),
            );
            let sub = format!("{dir}/newdir");
            assert_kind(
                vfs.mkdir(&vp(&sub), 0o755).await,
                ErrorKind::OutsideRoot,
                &what("mkdir"),
            );
            assert_kind(
                vfs.remove_file(&vp(&inner)).await,
                ErrorKind::OutsideRoot,
                &what("remove inside"),
            );
        }
        for file in ["/rel_file", "/abs_file"] {
            let what = |op: &str| format!("{upload_mode:?} {op} {file}");
            assert_kind(
                vfs.stat(&vp(file)).await,
                ErrorKind::OutsideRoot,
                &what("stat"),
            );
            assert_kind(
                read_all(&vfs, file).await,
                ErrorKind::OutsideRoot,
                &what("read"),
            );
            assert_kind(
                upload(&vfs, file, WriteMode::Truncate, b"pwn").await,
                ErrorKind::OutsideRoot,
                &what("upload"),
            );
            assert_kind(
                vfs.set_attrs(&vp(file), chmod(0o777)).await,
                ErrorKind::OutsideRoot,
                &what("chmod"),
            );
            assert_kind(
                vfs.set_attrs(&vp(file), resize(0)).await,
                ErrorKind::OutsideRoot,
                &what("truncate"),
            );
        }
        // Nothing outside changed, and the links are still links.
        assert_eq!(std::fs::read(&secret).expect("read secret"), b"s3cret");
        assert_eq!(
            std::fs::metadata(&secret)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o7777,
            secret_mode
        );
        let mut outside: Vec<_> = std::fs::read_dir(&fx.outside)
            .expect("read outside")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        outside.sort();
        assert_eq!(
            outside,
            ["secret"],
            "{upload_mode:?}: nothing may be created outside"
        );
        assert!(
            std::fs::symlink_metadata(fx.host("/abs_file"))
                .expect("link")
                .file_type()
                .is_symlink()
        );
        assert!(temps(&fx.home).is_empty());
    }

    // Removing a link removes the link, not what it points to.
    let vfs = fx
        .vfs(fx.user(FULL, Vec::new(), 0), UploadMode::Atomic)
        .await;
    vfs.remove_file(&vp("/abs_file"))
        .await
        .expect("remove the link");
    assert!(!fx.exists("/abs_file"));
    assert_eq!(std::fs::read(&secret).expect("read secret"), b"s3cret");
}

/// Records what the VFS reports, per mount.
#[derive(Debug, Default)]
struct Tally(std::sync::Mutex<BTreeMap<String, (i64, i64)>>);

impl ringway_vfs::UsageRecorder for Tally {
    fn record(&self, mount: &VirtualPath, size: i64, files: i64) {
        let mut t = self.0.lock().unwrap();
        let e = t.entry(mount.to_string()).or_default();
        *e = (e.0 + size, e.1 + files);
    }
}

impl Tally {
    fn of(&self, mount: &str) -> (i64, i64) {
        self.0
            .lock()
            .unwrap()
            .get(mount)
            .copied()
            .unwrap_or_default()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn usage_is_reported_per_mount() {
    let fx = Fx::new();
    let docs = fx.tmp.path().join("docs");
    let mounts = vec![
        Mount {
            path: VirtualPath::root(),
            backend: fx.backend(&fx.home).await,
        },
        Mount {
            path: vp("/docs"),
            backend: fx.backend(&docs).await,
        },
    ];
    let tally = Arc::new(Tally::default());
    for mode in [UploadMode::Atomic, UploadMode::Direct] {
        *tally.0.lock().unwrap() = BTreeMap::new();
        let vfs = Vfs::new(
            Arc::new(fx.user(FULL, Vec::new(), 0)),
            mounts.clone(),
            VfsOptions { upload_mode: mode },
        )
        .expect("build the VFS")
        .with_usage(tally.clone());
        // New file, overwrite (smaller), a file in the folder.
        upload(&vfs, "/a", WriteMode::Truncate, &[1; 100])
            .await
            .unwrap();
        upload(&vfs, "/a", WriteMode::Truncate, &[2; 40])
            .await
            .unwrap();
        upload(&vfs, "/docs/b", WriteMode::Truncate, &[3; 7])
            .await
            .unwrap();
        assert_eq!(
            (tally.of("/"), tally.of("/docs")),
            ((40, 1), (7, 1)),
            "{mode:?}"
        );
        // A hard link adds a name; a rename over a file drops the replaced one; a delete drops the file.
        vfs.hard_link(&vp("/a"), &vp("/a2")).await.unwrap();
        assert_eq!(tally.of("/"), (80, 2), "{mode:?}: hard link");
        upload(&vfs, "/c", WriteMode::Truncate, &[4; 5])
            .await
            .unwrap();
        vfs.rename(&vp("/c"), &vp("/a2")).await.unwrap();
        assert_eq!(tally.of("/"), (45, 2), "{mode:?}: rename over a file");
        vfs.remove_file(&vp("/a")).await.unwrap();
        vfs.remove_file(&vp("/docs/b")).await.unwrap();
        assert_eq!(
            (tally.of("/"), tally.of("/docs")),
            ((5, 1), (0, 0)),
            "{mode:?}: deletes"
        );
        // An abandoned upload: nothing in atomic mode, what it wrote in direct mode.
        let up = vfs
            .open_write(&vp("/half"), req(WriteMode::Truncate))
            .await
            .unwrap();
        write(&up, &[5; 9], 0).await;
        up.abort().await.unwrap();
        let want = if mode == UploadMode::Direct {
            (14, 2)
        } else {
            (5, 1)
        };
        assert_eq!(tally.of("/"), want, "{mode:?}: aborted upload");
        for f in ["/a2", "/half"] {
            let _ = vfs.remove_file(&vp(f)).await;
        }
    }
}
