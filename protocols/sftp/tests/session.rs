//! The SFTP executor end to end over a real local backend, in both I/O modes.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use ringway_sftp::{SessionConfig, SessionError};
use ringway_sftp_proto::Attrs;
use ringway_uring::IoMode;
use ringway_vfs::UploadMode;
use sha2::{Digest, Sha256};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn init_and_version() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
        let sink = Sink::new();
        let dyn_sink: std::sync::Arc<dyn ringway_sftp::ReplySink> = sink.clone();
        let mut s = ringway_sftp::SftpSession::new(vfs, dyn_sink, SessionConfig::default());
        s.feed(&init()).await.unwrap();
        sink.wait_for(1).await;
        let Reply::Version(3, ext) = decode(&sink.take()[0]) else {
            panic!("no version")
        };
        let names: Vec<&str> = ext.iter().map(|(n, _)| n.as_str()).collect();
        for want in [
            "posix-rename@openssh.com",
            "limits@openssh.com",
            "copy-data",
            "check-file",
        ] {
            assert!(names.contains(&want), "{want} advertised");
        }
        // A second INIT closes the session.
        assert!(matches!(
            s.feed(&init()).await,
            Err(SessionError::DuplicateInit)
        ));
        s.finish().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn request_before_init_closes() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
        let mut s = ringway_sftp::SftpSession::new(vfs, Sink::new(), SessionConfig::default());
        let err = s.feed(&path_req(17, 1, "/")).await.unwrap_err();
        assert!(matches!(err, SessionError::NotInitialized), "{err}");
        s.finish().await;
    }
}

/// 64 concurrent writes at different offsets (sent in reverse order in one feed), then read back.
#[tokio::test(flavor = "current_thread")]
async fn concurrent_writes_then_read_back() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let mut c = Client::full(&fx).await;
        let h = c.open("/f.bin", WRITE | CREAT | TRUNC).await;
        let data = pattern(64 * 4096, 7);
        let mut stream = Vec::new();
        for i in (0..64u32).rev() {
            let off = i as usize * 4096;
            stream.extend(write(100 + i, &h, off as u64, &data[off..off + 4096]));
        }
        c.session.feed(&stream).await.unwrap();
        c.sink.wait_for(64).await;
        let mut ids: Vec<u32> = c
            .sink
            .take()
            .iter()
            .map(|p| match decode(p) {
                Reply::Status(id, 0, _) => id,
                other => panic!("{other:?}"),
            })
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (100..164).collect::<Vec<_>>());
        assert_eq!(c.status(close(2, &h)).await, OK);
        assert_eq!(fx.get("/f.bin"), data);

        // Read back through the session with pipelined READs.
        let h = c.open("/f.bin", READ).await;
        let mut stream = Vec::new();
        for i in 0..8u32 {
            stream.extend(read(200 + i, &h, u64::from(i) * 32768, 32768));
        }
        c.session.feed(&stream).await.unwrap();
        let mut back = vec![0u8; data.len()];
        for i in 0..8u32 {
            let Reply::Data(_, d) = c.reply(200 + i).await else {
                panic!("data")
            };
            assert_eq!(d.len(), 32768);
            back[i as usize * 32768..][..32768].copy_from_slice(&d);
        }
        assert_eq!(back, data);
        assert_eq!(
            c.call(read(300, &h, data.len() as u64, 10)).await.status(),
            EOF
        );
        // A read past what is left is clamped to the file.
        let Reply::Data(_, d) = c.call(read(301, &h, data.len() as u64 - 10, 4096)).await else {
            panic!("data")
        };
        assert_eq!(&d[..], &data[data.len() - 10..]);
        assert_eq!(c.status(close(3, &h)).await, OK);
        c.session.finish().await;
    }
}

/// 1024 pipelined WRITEs of an 8 MiB file under a 256 KiB write budget.
#[tokio::test(flavor = "current_thread")]
async fn pipelined_upload_respects_write_budget() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
        let budget = 256 * 1024;
        let config = SessionConfig {
            write_budget: budget,
            ..SessionConfig::default()
        };
        let mut c = Client::start(vfs, Sink::new(), config).await;
        let h = c.open("/big.bin", WRITE | CREAT | TRUNC).await;
        let data = pattern(8 << 20, 3);
        let chunk = 8192;
        let mut stream = Vec::new();
        for (i, part) in data.chunks(chunk).enumerate() {
            stream.extend(write(i as u32, &h, (i * chunk) as u64, part));
        }
        // Delivered in 32 KiB pieces, as a transport would.
        for piece in stream.chunks(32 * 1024) {
            c.session.feed(piece).await.unwrap();
            assert!(c.session.stats().write_in_flight <= budget);
        }
        let n = data.len() / chunk;
        for i in 0..n as u32 {
            assert_eq!(c.reply(i).await.status(), OK);
        }
        let stats = c.session.stats();
        assert!(stats.peak_write_in_flight <= budget, "{stats:?}");
        assert!(stats.peak_write_in_flight > 0);
        assert_eq!(c.status(close(u32::MAX - 1, &h)).await, OK);
        let on_disk = fx.get("/big.bin");
        assert_eq!(Sha256::digest(&on_disk), Sha256::digest(&data));
        c.session.finish().await;
    }
}

/// Pipelined READs with a slow sink and a 64 KiB read budget: data intact, budget never exceeded.
#[tokio::test(flavor = "current_thread")]
async fn pipelined_reads_with_slow_sink() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let data = pattern(2 << 20, 9);
        fx.put("/r.bin", &data);
        let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
        let budget = 64 * 1024;
        let config = SessionConfig {
            read_budget: budget,
            ..SessionConfig::default()
        };
        let mut c = Client::start(vfs, Sink::slow(Duration::from_millis(1)), config).await;
        let h = c.open("/r.bin", READ).await;
        let len = 32 * 1024u32;
        let mut got = vec![0u8; data.len()];
        for batch in 0..(data.len() / (len as usize * 60)) + 1 {
            let mut stream = Vec::new();
            let mut ids = Vec::new();
            for j in 0..60u32 {
                let i = batch as u32 * 60 + j;
                let off = u64::from(i) * u64::from(len);
                if off >= data.len() as u64 {
                    break;
                }
                stream.extend(read(i, &h, off, len));
                ids.push(i);
            }
            c.session.feed(&stream).await.unwrap();
            for i in ids {
                match c.reply(i).await {
                    Reply::Data(_, d) => {
                        let off = i as usize * len as usize;
                        got[off..off + d.len()].copy_from_slice(&d);
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(got, data);
        let stats = c.session.stats();
        assert!(stats.peak_read_in_flight <= budget, "{stats:?}");
        assert!(stats.peak_read_in_flight >= len as usize);
        c.session.finish().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn path_requests() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let mut c = Client::full(&fx).await;
        // MKDIR, STAT, OPENDIR/READDIR with . and ..
        let mkdir = |id, p: &str| Pkt::new(14, id).s(p).attrs(&Attrs::EMPTY).finish();
        assert_eq!(c.status(mkdir(1, "/d")).await, OK);
        assert_eq!(c.status(mkdir(2, "/d")).await, FAILURE);
        fx.put("/d/a.txt", b"aaa");
        fx.put("/d/b.txt", b"bbbb");
        let Reply::Attrs(_, a) = c.call(path_req(17, 3, "d/a.txt")).await else {
            panic!()
        };
        assert_eq!(a.size, Some(3));
        assert_eq!(a.permissions.unwrap() & 0o170_000, 0o100_000);
        let h = c.call(path_req(11, 4, "/d")).await.handle();
        let Reply::Name(_, entries) = c.call(handle_req(12, 5, &h)).await else {
            panic!()
        };
        let mut names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, [".", "..", "a.txt", "b.txt"]);
        let long = &entries.iter().find(|e| e.0 == "b.txt").unwrap().1;
        assert!(
            long.starts_with("-rw") && long.ends_with(" b.txt"),
            "{long}"
        );
        assert_eq!(c.call(handle_req(12, 6, &h)).await.status(), EOF);
        assert_eq!(c.status(close(7, &h)).await, OK);
        assert_eq!(c.status(close(8, &h)).await, FAILURE, "closed handle");

        // REALPATH and expand-path
        for (raw, want) in [
            ("", "/"),
            (".", "/"),
            ("d/../d/./a.txt", "/d/a.txt"),
            ("/..", "/"),
        ] {
            let Reply::Name(_, n) = c.call(path_req(16, 9, raw)).await else {
                panic!()
            };
            assert_eq!(n[0].0, want, "realpath {raw:?}");
        }
        for (raw, want) in [("~", "/"), ("~/d", "/d"), ("~alice/d", "/d"), ("d", "/d")] {
            let Reply::Name(_, n) = c
                .call(Pkt::ext(10, "expand-path@openssh.com").s(raw).finish())
                .await
            else {
                panic!()
            };
            assert_eq!(n[0].0, want, "expand-path {raw:?}");
        }
        assert_eq!(
            c.status(Pkt::ext(11, "expand-path@openssh.com").s("~bob").finish())
                .await,
            NO_SUCH_FILE
        );

        // RENAME refuses an existing target; posix-rename replaces it.
        assert_eq!(
            c.status(Pkt::new(18, 12).s("/d/a.txt").s("/d/b.txt").finish())
                .await,
            FAILURE
        );
        assert_eq!(fx.get("/d/b.txt"), b"bbbb");
        assert_eq!(
            c.status(
                Pkt::ext(13, "posix-rename@openssh.com")
                    .s("/d/a.txt")
                    .s("/d/b.txt")
                    .finish()
            )
            .await,
            OK
        );
        assert_eq!(fx.get("/d/b.txt"), b"aaa");
        assert_eq!(
            c.status(Pkt::new(18, 14).s("/d/b.txt").s("/d/c.txt").finish())
                .await,
            OK
        );

        // SYMLINK (OpenSSH order: target, link), READLINK, LSTAT vs STAT, hardlink
        assert_eq!(
            c.status(Pkt::new(20, 15).s("c.txt").s("/d/link").finish())
                .await,
            OK
        );
        let Reply::Name(_, n) = c.call(path_req(19, 16, "/d/link")).await else {
            panic!()
        };
        // The VFS stores link targets as virtual paths.
        assert_eq!(n[0].0, "/d/c.txt");
        let Reply::Attrs(_, l) = c.call(path_req(7, 17, "/d/link")).await else {
            panic!()
        };
        assert_eq!(l.permissions.unwrap() & 0o170_000, 0o120_000);
        let Reply::Attrs(_, s) = c.call(path_req(17, 18, "/d/link")).await else {
            panic!()
        };
        assert_eq!(s.size, Some(3));
        assert_eq!(
            c.status(
                Pkt::ext(19, "hardlink@openssh.com")
                    .s("/d/c.txt")
                    .s("/d/hard")
                    .finish()
            )
            .await,
            OK
        );
        assert_eq!(fx.get("/d/hard"), b"aaa");

        // SETSTAT (chmod, times), lsetstat
        let attrs = Attrs {
            permissions: Some(0o600),
            atime_mtime: Some((1_000_000, 2_000_000)),
            ..Attrs::EMPTY
        };
        assert_eq!(
            c.status(Pkt::new(9, 20).s("/d/c.txt").attrs(&attrs).finish())
                .await,
            OK
        );
        let Reply::Attrs(_, a) = c.call(path_req(17, 21, "/d/c.txt")).await else {
            panic!()
        };
        assert_eq!(a.permissions.unwrap() & 0o7777, 0o600);
        assert_eq!(a.mtime(), Some(2_000_000));
        let attrs = Attrs {
            size: Some(1),
            ..Attrs::EMPTY
        };
        assert_eq!(
            c.status(
                Pkt::ext(22, "lsetstat@openssh.com")
                    .s("/d/c.txt")
                    .attrs(&attrs)
                    .finish()
            )
            .await,
            OK
        );
        assert_eq!(fx.get("/d/c.txt"), b"a");
        // lsetstat on a symlink changes neither the link nor its target.
        let chmod = Attrs {
            permissions: Some(0o644),
            ..Attrs::EMPTY
        };
        assert_eq!(
            c.status(
                Pkt::ext(27, "lsetstat@openssh.com")
                    .s("/d/link")
                    .attrs(&chmod)
                    .finish()
            )
            .await,
            OP_UNSUPPORTED
        );
        let Reply::Attrs(_, a) = c.call(path_req(17, 28, "/d/c.txt")).await else {
            panic!()
        };
        assert_eq!(
            a.permissions.unwrap() & 0o7777,
            0o600,
            "the target kept its mode"
        );

        // statvfs, limits, unknown extension, unknown packet type, malformed request
        let Reply::Extended(_, body) = c
            .call(Pkt::ext(23, "statvfs@openssh.com").s("/").finish())
            .await
        else {
            panic!()
        };
        assert_eq!(body.len(), 88);
        let Reply::Extended(_, body) = c.call(Pkt::ext(24, "limits@openssh.com").finish()).await
        else {
            panic!()
        };
        assert_eq!(&body[..8], &(256u64 * 1024).to_be_bytes());
        assert_eq!(&body[8..16], &(255u64 * 1024).to_be_bytes());
        assert_eq!(&body[24..32], &256u64.to_be_bytes());
        assert_eq!(
            c.status(Pkt::ext(25, "nope@example.com").finish()).await,
            OP_UNSUPPORTED
        );
        assert_eq!(c.status(Pkt::new(99, 26).finish()).await, OP_UNSUPPORTED);
        assert_eq!(
            c.status(Pkt::new(3, 27).raw(&[0, 0, 0]).finish()).await,
            BAD_MESSAGE
        );

        // REMOVE, RMDIR
        assert_eq!(c.status(path_req(15, 28, "/d")).await, FAILURE, "not empty");
        for (i, f) in ["/d/b.txt", "/d/c.txt", "/d/link", "/d/hard"]
            .iter()
            .enumerate()
        {
            let want = if *f == "/d/b.txt" { NO_SUCH_FILE } else { OK };
            assert_eq!(c.status(path_req(13, 30 + i as u32, f)).await, want, "{f}");
        }
        assert_eq!(c.status(path_req(15, 40, "/d")).await, OK);
        assert_eq!(fx.names("/"), Vec::<String>::new());
        c.session.finish().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn handle_requests_and_extensions() {
    for mode in MODES {
        let fx = Fx::new(mode);
        fx.put("/src.bin", &pattern(300_000, 1));
        let mut c = Client::full(&fx).await;
        // OPEN mapping: no CREAT on a missing file, EXCL on an existing one.
        assert_eq!(c.status(open(1, "/missing", WRITE)).await, NO_SUCH_FILE);
        assert_eq!(c.status(open(2, "/missing", READ)).await, NO_SUCH_FILE);
        assert_eq!(
            c.status(open(3, "/src.bin", WRITE | CREAT | EXCL)).await,
            FAILURE
        );

        // copy-data between handles, FSTAT, fstatvfs, fsync, FSETSTAT applied on close.
        let r = c.open("/src.bin", READ).await;
        let w = c.open("/dst.bin", WRITE | CREAT | TRUNC).await;
        let copy = Pkt::ext(4, "copy-data")
            .s(&r)
            .u64(1000)
            .u64(0)
            .s(&w)
            .u64(0)
            .finish();
        assert_eq!(c.status(copy).await, OK);
        let Reply::Attrs(_, a) = c.call(handle_req(8, 5, &r)).await else {
            panic!()
        };
        assert_eq!(a.size, Some(300_000));
        let Reply::Attrs(_, a) = c.call(handle_req(8, 6, &w)).await else {
            panic!()
        };
        assert_eq!(a.size, Some(299_000));
        assert!(matches!(
            c.call(Pkt::ext(7, "fstatvfs@openssh.com").s(&w).finish())
                .await,
            Reply::Extended(..)
        ));
        assert_eq!(
            c.status(Pkt::ext(8, "fsync@openssh.com").s(&w).finish())
                .await,
            OK
        );
        let attrs = Attrs {
            permissions: Some(0o640),
            ..Attrs::EMPTY
        };
        assert_eq!(
            c.status(Pkt::new(10, 9).s(&w).attrs(&attrs).finish()).await,
            OK
        );
        // Wrong handle kinds.
        assert_eq!(c.status(write(10, &r, 0, b"x")).await, FAILURE);
        assert_eq!(c.status(read(11, &w, 0, 10)).await, FAILURE);
        assert_eq!(c.status(read(12, b"bogus", 0, 10)).await, FAILURE);
        assert_eq!(c.status(close(13, &w)).await, OK);
        assert_eq!(fx.get("/dst.bin"), &pattern(300_000, 1)[1000..]);
        let mode_bits = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(fx.host("/dst.bin"))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode_bits & 0o7777, 0o640);

        assert_eq!(c.status(close(17, &r)).await, OK);
        // Atomic mode refuses append and resume (the VFS's rule).
        fx.put("/log", b"one,");
        assert_eq!(
            c.status(open(18, "/log", WRITE | APPEND)).await,
            OP_UNSUPPORTED
        );
        assert_eq!(c.status(open(19, "/log", WRITE)).await, OP_UNSUPPORTED);
        c.session.finish().await;

        // Atomic with resume: APPEND keeps the content, WRITE without TRUNC resumes at client offsets.
        let vfs = fx.vfs(FULL, UploadMode::AtomicWithResume).await;
        let mut c = Client::start(vfs, Sink::new(), SessionConfig::default()).await;
        let a = c.open("/log", WRITE | APPEND).await;
        assert_eq!(c.status(write(20, &a, 4, b"two,")).await, OK);
        assert_eq!(c.status(close(21, &a)).await, OK);
        assert_eq!(fx.get("/log"), b"one,two,");
        let a = c.open("/log", WRITE | CREAT).await;
        assert_eq!(c.status(write(22, &a, 8, b"three")).await, OK);
        assert_eq!(c.status(close(23, &a)).await, OK);
        assert_eq!(fx.get("/log"), b"one,two,three");
        c.session.finish().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn check_file_hashes() {
    for mode in MODES {
        let fx = Fx::new(mode);
        fx.put("/abc", b"abc");
        let mut blocks = vec![b'a'; 256];
        blocks.extend(vec![b'b'; 256]);
        fx.put("/blocks", &blocks);
        let mut c = Client::full(&fx).await;
        let known = [
            ("md5", "900150983cd24fb0d6963f7d28e17f72"),
            ("sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                "sha256",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                "sha512",
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ];
        let check = |id: u32, path: &str, algs: &str, block: u32| {
            Pkt::ext(id, "check-file-name")
                .s(path)
                .s(algs)
                .u64(0)
                .u64(0)
                .u32(block)
                .finish()
        };
        let parse = |r: Reply| -> (String, String) {
            let Reply::Extended(_, body) = r else {
                panic!("{r:?}")
            };
            let mut rd = ringway_sftp_proto::Reader::new(body);
            assert_eq!(&rd.string("n").unwrap()[..], b"check-file");
            let alg = String::from_utf8(rd.string("a").unwrap().to_vec()).unwrap();
            (alg, hex::encode(rd.rest()))
        };
        for (i, (alg, want)) in known.iter().enumerate() {
            let list = format!("sha384,{alg},md5");
            let (got_alg, got) = parse(c.call(check(i as u32, "/abc", &list, 0)).await);
            assert_eq!((got_alg.as_str(), got.as_str()), (*alg, *want));
        }
        // By handle, per 256-byte block.
        let h = c.open("/blocks", READ).await;
        let req = Pkt::ext(10, "check-file-handle")
            .s(&h)
            .s("sha256")
            .u64(0)
            .u64(0)
            .u32(256)
            .finish();
        let (_, got) = parse(c.call(req).await);
        let mut want = Sha256::digest(&blocks[..256]).to_vec();
        want.extend(Sha256::digest(&blocks[256..]));
        assert_eq!(got, hex::encode(want));
        // A sub-range.
        let req = Pkt::ext(11, "check-file-handle")
            .s(&h)
            .s("sha256")
            .u64(256)
            .u64(100)
            .u32(0)
            .finish();
        let (_, got) = parse(c.call(req).await);
        assert_eq!(got, hex::encode(Sha256::digest(&blocks[256..356])));
        assert_eq!(c.status(check(12, "/abc", "crc32", 0)).await, FAILURE);
        assert_eq!(c.status(check(13, "/nope", "md5", 0)).await, NO_SUCH_FILE);
        assert_eq!(c.status(close(14, &h)).await, OK);
        c.session.finish().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn errors_map_to_status() {
    for mode in MODES {
        let fx = Fx::new(mode);
        fx.put("/file", b"x");
        std::fs::write(fx.outside.join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(&fx.outside, fx.host("/out")).unwrap();
        let vfs = fx
            .vfs(&[("/", &["list", "download"])], UploadMode::Atomic)
            .await;
        let mut c = Client::start(vfs, Sink::new(), SessionConfig::default()).await;
        assert_eq!(c.status(path_req(17, 1, "/nothing")).await, NO_SUCH_FILE);
        assert_eq!(
            c.status(open(2, "/new", WRITE | CREAT | TRUNC)).await,
            PERMISSION_DENIED
        );
        assert_eq!(c.status(path_req(13, 3, "/file")).await, PERMISSION_DENIED);
        assert_eq!(
            c.status(path_req(17, 4, "/../etc/passwd")).await,
            PERMISSION_DENIED
        );
        assert_eq!(
            c.status(path_req(17, 5, "../../etc")).await,
            PERMISSION_DENIED
        );
        assert_eq!(
            c.status(path_req(17, 6, "/out/secret")).await,
            PERMISSION_DENIED
        );
        assert_eq!(
            c.status(open(7, "/out/secret", READ)).await,
            PERMISSION_DENIED
        );
        assert_eq!(c.status(path_req(11, 8, "/out")).await, PERMISSION_DENIED);
        assert_eq!(c.status(path_req(17, 9, "/a\0b")).await, BAD_MESSAGE);
        assert_eq!(c.status(path_req(17, 10, "/file/x")).await, NO_SUCH_FILE);
        // Status messages never carry host paths.
        let Reply::Status(_, _, msg) = c.call(path_req(17, 11, "/out/secret")).await else {
            panic!()
        };
        assert!(!msg.contains('/'), "{msg}");
        assert_eq!(fx.names("/"), ["file", "out"]);
        c.session.finish().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn max_pending_closes_the_session() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
        let sink = Sink::new();
        let config = SessionConfig {
            max_pending: 4,
            ..SessionConfig::default()
        };
        let mut c = Client::start(vfs, sink, config).await;
        // Four outstanding are fine, the fifth is a protocol violation.
        let mut stream = Vec::new();
        for i in 0..4 {
            stream.extend(path_req(17, i, "/"));
        }
        c.session.feed(&stream).await.unwrap();
        assert_eq!(c.session.stats().pending, 4);
        let err = c.session.feed(&path_req(17, 5, "/")).await.unwrap_err();
        assert!(
            matches!(err, SessionError::TooManyRequests { limit: 4 }),
            "{err}"
        );
        c.session.finish().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn gated_sink_holds_pending_until_delivered() {
    let fx = Fx::new(IoMode::ThreadPool);
    let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
    let sink = Sink::gated();
    let dyn_sink: std::sync::Arc<dyn ringway_sftp::ReplySink> = sink.clone();
    let config = SessionConfig {
        max_pending: 2,
        ..SessionConfig::default()
    };
    let mut s = ringway_sftp::SftpSession::new(vfs, dyn_sink, config);
    s.feed(&init()).await.unwrap();
    s.feed(&path_req(17, 1, "/")).await.unwrap();
    s.feed(&path_req(17, 2, "/")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The replies cannot be delivered, so both requests are still outstanding.
    assert_eq!(s.stats().pending, 2);
    assert!(s.feed(&path_req(17, 3, "/")).await.is_err());
    sink.open();
    s.finish().await;
    assert_eq!(sink.len(), 3);
}

#[tokio::test(flavor = "current_thread")]
async fn malformed_streams_close_without_panic() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let mut c = Client::full(&fx).await;
        let err = c.session.feed(&[0, 0, 0, 0]).await.unwrap_err();
        assert!(matches!(err, SessionError::Framing(_)), "{err}");
        c.session.finish().await;

        let mut c = Client::full(&fx).await;
        let err = c
            .session
            .feed(&[0xff, 0xff, 0xff, 0xff, 1])
            .await
            .unwrap_err();
        assert!(matches!(err, SessionError::Framing(_)), "{err}");
        c.session.finish().await;

        // A request cut inside its id cannot be answered.
        let mut c = Client::full(&fx).await;
        let err = c.session.feed(&[0, 0, 0, 3, 17, 0, 0]).await.unwrap_err();
        assert!(matches!(err, SessionError::Malformed(_)), "{err}");
        c.session.finish().await;

        // Pseudo-random garbage after INIT: any outcome but a panic or a hang.
        let mut seed = 0x1234_5678_u64;
        for _ in 0..50 {
            let mut c = Client::full(&fx).await;
            let mut garbage = Vec::new();
            for _ in 0..400 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                garbage.push(seed as u8);
            }
            // Small lengths so some garbage frames parse as requests.
            garbage[0] = 0;
            garbage[1] = 0;
            garbage[2] = 0;
            for piece in garbage.chunks(37) {
                if c.session.feed(piece).await.is_err() {
                    break;
                }
            }
            c.session.finish().await;
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn finish_aborts_open_atomic_uploads() {
    for mode in MODES {
        let fx = Fx::new(mode);
        fx.put("/keep.txt", b"previous content");
        let mut c = Client::full(&fx).await;
        let h = c.open("/keep.txt", WRITE | CREAT | TRUNC).await;
        assert_eq!(c.status(write(1, &h, 0, b"half an upload")).await, OK);
        let h2 = c.open("/new.txt", WRITE | CREAT | TRUNC).await;
        assert_eq!(c.status(write(2, &h2, 0, b"never committed")).await, OK);
        // Also a write still in flight when the channel ends.
        c.session.feed(&write(3, &h, 14, b" more")).await.unwrap();
        c.session.finish().await;
        assert_eq!(fx.get("/keep.txt"), b"previous content");
        assert_eq!(fx.names("/"), ["keep.txt"], "no temp file, no new file");
        let _: Bytes = h2;
    }
}

/// WRITEs and their CLOSE in one feed: the CLOSE waits for every earlier write, then commits.
#[tokio::test(flavor = "current_thread")]
async fn close_waits_for_in_flight_writes() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let mut c = Client::full(&fx).await;
        let h = c.open("/ordered.bin", WRITE | CREAT | TRUNC).await;
        let data = pattern(64 * 16384, 5);
        let mut stream = Vec::new();
        for (i, part) in data.chunks(16384).enumerate() {
            stream.extend(write(i as u32, &h, (i * 16384) as u64, part));
        }
        stream.extend(close(1000, &h));
        // Requests after the CLOSE see an invalid handle.
        stream.extend(write(1001, &h, 0, b"late"));
        c.session.feed(&stream).await.unwrap();
        assert_eq!(c.reply(1000).await.status(), OK);
        // Committed at the CLOSE reply, with every write in it.
        assert_eq!(fx.get("/ordered.bin"), data);
        assert_eq!(c.reply(1001).await.status(), FAILURE);
        for i in 0..64 {
            assert_eq!(c.reply(i).await.status(), OK);
        }
        c.session.finish().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn max_handles_is_enforced() {
    for mode in MODES {
        let fx = Fx::new(mode);
        fx.put("/f", b"f");
        let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
        let config = SessionConfig {
            max_handles: 3,
            ..SessionConfig::default()
        };
        let mut c = Client::start(vfs, Sink::new(), config).await;
        let mut handles = Vec::new();
        for _ in 0..3 {
            handles.push(c.open("/f", READ).await);
        }
        assert_eq!(c.status(open(1, "/f", READ)).await, FAILURE);
        assert_eq!(c.status(path_req(11, 2, "/")).await, FAILURE);
        assert_eq!(c.session.stats().open_handles, 3);
        assert_eq!(c.status(close(3, &handles[0])).await, OK);
        let h = c.open("/f", READ).await;
        assert_ne!(h, handles[0], "a reused slot gets a new generation");
        assert_eq!(c.status(read(4, &handles[0], 0, 1)).await, FAILURE);
        c.session.finish().await;
    }
}

/// READs past the running slots wait in the queue and are all answered, in the session's own tasks; other
/// requests keep their reserved slots meanwhile; a session that ends with READs queued drops them.
#[tokio::test(flavor = "current_thread")]
async fn queued_reads_are_served_and_other_requests_still_run() {
    for mode in MODES {
        let fx = Fx::new(mode);
        let data: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        fx.put("/big", &data);
        let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
        let config = SessionConfig {
            // One slot for READs (the rest are kept for other requests), a queue of 100.
            max_pending: 65,
            max_queued_reads: 100,
            ..SessionConfig::default()
        };
        let mut c = Client::start(vfs, Sink::new(), config).await;
        let h = c.open("/big", 1).await;
        // 64 READs of 1 KiB at once: one runs, the rest queue.
        let mut stream = Vec::new();
        for i in 0..64u32 {
            stream.extend(read(100 + i, &h, u64::from(i) * 1024, 1024));
        }
        c.session.feed(&stream).await.unwrap();
        // A STAT still gets a slot and an answer.
        let Reply::Attrs(..) = c.call(path_req(17, 50, "/big")).await else {
            panic!("STAT while READs are queued")
        };
        for i in 0..64u32 {
            let Reply::Data(_, d) = c.reply(100 + i).await else {
                panic!("READ {i}")
            };
            assert_eq!(
                &d[..],
                &data[i as usize * 1024..(i as usize + 1) * 1024],
                "READ {i}"
            );
        }
        assert_eq!(c.session.stats().pending, 0);
        // Past the queue's capacity the session closes.
        let mut flood = Vec::new();
        for i in 0..200u32 {
            flood.extend(read(1000 + i, &h, 0, 32 * 1024));
        }
        let err = c.session.feed(&flood).await.unwrap_err();
        assert!(matches!(err, SessionError::TooManyRequests { .. }), "{err}");
        c.session.finish().await;
    }
}
