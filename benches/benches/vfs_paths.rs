//! The per-request policy work of the VFS, none of which touches storage: client path normalisation, the
//! permission lookup, the file-name pattern filter and mount resolution.
//!
//! Run: `cargo bench -p ringway-benches --bench vfs_paths`.
//!
//! The functions are the ones the data plane calls at runtime: [`VirtualPath::parse_bytes`] (SFTP's `vpath`)
//! and [`VirtualPath::join`] (a path relative to a working directory) from `ringway-core`; the user's
//! [`Permissions`] and [`FilePatterns`] as `admin/auth` builds them at login and [`Vfs`] consults them before
//! every operation; [`Vfs::resolve`] for the mount.
//!
//! - `vfs_path_normalise`: clean, messy (`//`, `.`, `..`, trailing slash), relative, deep and refused paths.
//! - `vfs_permissions`: [`Permissions::has`] on a small map (3 directories, as in the brief's example) and a
//!   large one (the same 3 plus 197 more), for a path that is a configured directory, a deep path below one
//!   (the lookup walks up the parents) and a path only `/` covers; plus building the large map.
//! - `vfs_patterns`: [`FilePatterns::decide`] with no rules (the common fast path), 3 rules and 200 rules, for
//!   an allowed deep file and a denied one; [`FilePatterns::is_listed`] over a 100-entry directory.
//! - `vfs_resolve`: [`Vfs::resolve`] with the home alone and with 16 virtual folders.
//! - `vfs_request_checks`: everything [`Vfs::open_read`] does before it calls the backend (parse the wire path,
//!   patterns, permission on the parent, mount), composed from the same public calls.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ringway_backend_local::LocalBackend;
use ringway_core::{
    DenyPolicy, FilePatterns, PatternDecision, PatternRule, PermissionSet, Permissions, UserView,
    VirtualPath,
};
use ringway_uring::{Io, IoConfig, IoMode};
use ringway_vfs::{Mount, Vfs, VfsOptions};

/// A directory configured in both permission maps, four levels down.
const CONFIGURED_DIR: &str = "/a/b/c/d";
/// Nine levels down: the lookup walks up five parents to [`CONFIGURED_DIR`].
const DEEP_FILE: &str = "/a/b/c/d/e/f/g/h/report.txt";
/// Covered by `/` only: the lookup walks all the way up.
const ROOT_ONLY_FILE: &str = "/home/alice/docs/2024/q3/report.pdf";

fn vp(s: &str) -> VirtualPath {
    VirtualPath::parse(s).expect("valid fixture path")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// `(path, permission names)` as in the user's JSON: the brief's 3 directories, plus `extra` generated ones
/// under `/teams` at depths 3 and 5.
fn permission_entries(extra: usize) -> Vec<(String, Vec<&'static str>)> {
    let mut entries = vec![
        ("/".to_owned(), vec!["list", "download"]),
        ("/a/b".to_owned(), vec!["*"]),
        ("/a/b/c/d".to_owned(), vec!["list", "download", "upload"]),
    ];
    for i in 0..extra {
        let (team, project) = (i / 10, i % 10);
        let path = if i % 2 == 0 {
            format!("/teams/t{team:02}/p{project}")
        } else {
            format!("/teams/t{team:02}/p{project}/src/main")
        };
        entries.push((path, vec!["list", "download", "upload", "overwrite"]));
    }
    entries
}

fn permissions(extra: usize) -> Permissions {
    let entries = permission_entries(extra);
    Permissions::from_entries(
        entries
            .iter()
            .map(|(p, names)| (p.as_str(), names.iter().copied())),
    )
    .expect("valid permissions")
}

/// The brief's 3 pattern rules plus `extra` generated ones (a denied `*.log` per team project).
fn patterns(extra: usize) -> FilePatterns {
    let mut rules = vec![
        PatternRule::new("/", &[], &strings(&["*.exe", "*.bat"]), DenyPolicy::Visible),
        PatternRule::new(
            "/photos",
            &strings(&["*.jpg", "*.png", "*.gif"]),
            &[],
            DenyPolicy::Hidden,
        ),
        PatternRule::new("/a/b", &[], &strings(&[".*", "*.tmp"]), DenyPolicy::Hidden),
    ];
    for i in 0..extra {
        rules.push(PatternRule::new(
            &format!("/teams/t{:02}/p{}", i / 10, i % 10),
            &[],
            &strings(&["*.log"]),
            DenyPolicy::Visible,
        ));
    }
    FilePatterns::new(
        rules
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("valid patterns"),
    )
}

fn bench_normalise(c: &mut Criterion) {
    let mut group = c.benchmark_group("vfs_path_normalise");
    let deep: String = (0..32).map(|i| format!("/level{i:02}")).collect();
    let wire: [(&str, &[u8]); 5] = [
        (
            "parse_bytes/clean",
            b"/home/alice/projects/ringway/reports/2024-q3-summary.pdf",
        ),
        (
            "parse_bytes/messy",
            b"//home/./alice//projects/../projects/ringway/./reports//2024-q3-summary.pdf/",
        ),
        ("parse_bytes/relative", b"reports/2024-q3-summary.pdf"),
        ("parse_bytes/deep_32", deep.as_bytes()),
        ("parse_bytes/escapes_root", b"/home/../../etc/passwd"),
    ];
    for (name, raw) in wire {
        group.bench_function(name, |b| {
            b.iter(|| VirtualPath::parse_bytes(black_box(raw)));
        });
    }
    let cwd = vp("/home/alice/projects/ringway");
    for (name, rel) in [
        ("join_cwd/name", "Cargo.toml"),
        ("join_cwd/dotdot", "../shared/./docs//readme.md"),
        ("join_cwd/absolute", "/srv/data/export.csv"),
    ] {
        group.bench_function(name, |b| b.iter(|| black_box(&cwd).join(black_box(rel))));
    }
    group.finish();
}

fn bench_permissions(c: &mut Criterion) {
    let mut group = c.benchmark_group("vfs_permissions");
    for (size, perms) in [("small_3", permissions(0)), ("large_200", permissions(197))] {
        assert_eq!(
            perms.entries().count(),
            if size == "small_3" { 3 } else { 200 }
        );
        for (query, path, want) in [
            ("configured_dir", CONFIGURED_DIR, PermissionSet::LIST),
            ("deep", DEEP_FILE, PermissionSet::UPLOAD),
            ("root_only", ROOT_ONLY_FILE, PermissionSet::DOWNLOAD),
        ] {
            let path = vp(path);
            assert!(perms.has(&path, want), "{size}/{query}");
            group.bench_function(format!("has/{size}/{query}"), |b| {
                b.iter(|| black_box(&perms).has(black_box(&path), want));
            });
        }
    }
    let entries = permission_entries(197);
    group.bench_function("build/large_200", |b| {
        b.iter(|| {
            Permissions::from_entries(
                black_box(&entries)
                    .iter()
                    .map(|(p, names)| (p.as_str(), names.iter().copied())),
            )
        });
    });
    group.finish();
}

fn bench_patterns(c: &mut Criterion) {
    let mut group = c.benchmark_group("vfs_patterns");
    let allowed = vp(DEEP_FILE);
    let denied = vp("/photos/2024/summer/notes.txt");
    for (size, pats) in [
        ("none", FilePatterns::default()),
        ("small_3", patterns(0)),
        ("large_200", patterns(197)),
    ] {
        assert_eq!(pats.decide(&allowed, false), PatternDecision::Allowed);
        group.bench_function(format!("decide/{size}/allowed_deep"), |b| {
            b.iter(|| black_box(&pats).decide(black_box(&allowed), false));
        });
        if pats.is_empty() {
            continue;
        }
        assert_eq!(
            pats.decide(&denied, false),
            PatternDecision::Denied(DenyPolicy::Hidden)
        );
        group.bench_function(format!("decide/{size}/denied"), |b| {
            b.iter(|| black_box(&pats).decide(black_box(&denied), false));
        });
        let dir = vp("/photos/2024/summer");
        let names: Vec<String> = (0..100)
            .map(|i| format!("IMG_{i:04}.{}", ["jpg", "png", "txt", "mov"][i % 4]))
            .collect();
        group.bench_function(format!("is_listed/{size}/100_entries"), |b| {
            b.iter(|| {
                names
                    .iter()
                    .filter(|n| black_box(&pats).is_listed(&dir, n, false))
                    .count()
            });
        });
    }
    group.finish();
}

/// A view with the home at `/` plus `folders` virtual folders, every mount on the same local backend (the
/// benches never reach it).
fn vfs(backend: &Arc<LocalBackend>, user: UserView, folders: &[&str]) -> Vfs {
    let mut mounts = vec![Mount {
        path: VirtualPath::root(),
        backend: backend.clone(),
    }];
    mounts.extend(folders.iter().map(|f| Mount {
        path: vp(f),
        backend: backend.clone(),
    }));
    Vfs::new(Arc::new(user), mounts, VfsOptions::default()).expect("valid mounts")
}

fn user(permissions: Permissions, patterns: FilePatterns) -> UserView {
    UserView {
        username: "alice".to_owned(),
        home_dir: "/srv/ringway/alice".into(),
        permissions,
        patterns,
        max_upload_file_size: 0,
    }
}

/// What [`Vfs::open_read`] does before it reaches the backend, through the same public calls: the pattern
/// verdict, whether `download` is granted on the parent, and the path inside its mount.
fn open_read_checks(v: &Vfs, raw: &[u8]) -> (PatternDecision, bool, VirtualPath) {
    let path = VirtualPath::parse_bytes(raw).expect("valid path");
    let decision = v.user().patterns.decide(&path, false);
    let dir = path.parent().unwrap_or_else(VirtualPath::root);
    let allowed = v.user().permissions.has(&dir, PermissionSet::DOWNLOAD);
    (decision, allowed, v.resolve(&path).inner)
}

fn bench_vfs(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    let backend = rt.block_on(async {
        let io = Io::new(IoMode::ThreadPool, IoConfig::default()).expect("io engine");
        Arc::new(
            LocalBackend::open(io, tmp.path(), true)
                .await
                .expect("local backend"),
        )
    });
    let folder_names: Vec<String> = (0..16).map(|i| format!("/shared/f{i:02}/data")).collect();
    let folders: Vec<&str> = folder_names.iter().map(String::as_str).collect();

    let mut group = c.benchmark_group("vfs_resolve");
    for (mounts, folders) in [("home_only", &[][..]), ("16_folders", &folders[..])] {
        let v = vfs(
            &backend,
            user(Permissions::full(), FilePatterns::default()),
            folders,
        );
        for (query, path) in [
            ("home", ROOT_ONLY_FILE),
            ("last_folder", "/shared/f15/data/exports/2024/export.csv"),
        ] {
            let path = vp(path);
            group.bench_function(format!("{mounts}/{query}"), |b| {
                b.iter(|| black_box(&v).resolve(black_box(&path)).inner);
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("vfs_request_checks");
    let raw: &[u8] = b"/a/b/c/d/e/f/g/h/report.txt";
    for (size, extra) in [("small_3", 0), ("large_200", 197)] {
        let v = vfs(
            &backend,
            user(permissions(extra), patterns(extra)),
            &folders,
        );
        let (decision, allowed, _) = open_read_checks(&v, raw);
        assert!(decision == PatternDecision::Allowed && allowed, "{size}");
        group.bench_function(format!("open_read/{size}"), |b| {
            b.iter(|| open_read_checks(black_box(&v), black_box(raw)));
        });
    }
    group.finish();
    drop(backend);
    drop(tmp);
}

criterion_group!(
    benches,
    bench_normalise,
    bench_permissions,
    bench_patterns,
    bench_vfs
);
criterion_main!(benches);
