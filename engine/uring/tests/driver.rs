//! Every op of the driver, in both modes.

use std::os::fd::OwnedFd;
use std::path::Path;

use bytes::{Bytes, BytesMut};
use ringway_uring::{Fd, Io, IoConfig, IoMode, OpenHow, rename_flags};

fn dir_fd(path: &Path) -> Fd {
    Fd::from(OwnedFd::from(std::fs::File::open(path).unwrap()))
}

fn modes() -> [IoMode; 2] {
    [IoMode::Uring, IoMode::ThreadPool]
}

async fn exercise(mode: IoMode) {
    let io = Io::new(mode, IoConfig::default()).unwrap();
    assert_eq!(io.mode(), mode);
    let tmp = tempfile::tempdir().unwrap();
    let root = dir_fd(tmp.path());

    // create + write + fsync + read back
    let how = OpenHow {
        flags: libc::O_RDWR | libc::O_CREAT | libc::O_EXCL,
        mode: 0o640,
        resolve: OpenHow::CONFINED,
    };
    let f = io.open_at(&root, Path::new("a.bin"), how).await.unwrap();
    let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let (res, back) = io.write_all_at(&f, Bytes::from(data.clone()), 0).await;
    res.unwrap();
    assert_eq!(back.len(), data.len());
    io.sync(&f, false).await.unwrap();
    io.sync(&f, true).await.unwrap();
    let st = io.fstat(&f).await.unwrap();
    assert!(st.is_file());
    assert_eq!(st.size, data.len() as u64);
    assert_eq!(st.mode & 0o777, 0o640 & !umask());

    let mut got = Vec::new();
    let mut off = 0u64;
    loop {
        let (res, buf) = io
            .read_at(&f, BytesMut::with_capacity(256 * 1024), off)
            .await;
        let n = res.unwrap();
        if n == 0 {
            break;
        }
        assert_eq!(buf.len(), n);
        got.extend_from_slice(&buf);
        off += n as u64;
    }
    assert_eq!(got, data);
    // A read appends after what the buffer already holds.
    let mut pre = BytesMut::with_capacity(16);
    pre.extend_from_slice(b"xy");
    let (res, buf) = io.read_at(&f, pre, 1).await;
    assert_eq!(res.unwrap(), 14);
    assert_eq!(&buf[..2], b"xy");
    assert_eq!(&buf[2..], &data[1..15]);
    io.close(f).await.unwrap();

    // EXCL refuses an existing file
    let err = io
        .open_at(&root, Path::new("a.bin"), how)
        .await
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EEXIST));

    // mkdir, statx with and without following, rename, unlink
    io.mkdir_at(&root, Path::new("d"), 0o755).await.unwrap();
    assert!(
        io.statx(&root, Path::new("d"), true)
            .await
            .unwrap()
            .is_dir()
    );
    std::os::unix::fs::symlink("a.bin", tmp.path().join("lnk")).unwrap();
    assert!(
        io.statx(&root, Path::new("lnk"), false)
            .await
            .unwrap()
            .is_symlink()
    );
    assert!(
        io.statx(&root, Path::new("lnk"), true)
            .await
            .unwrap()
            .is_file()
    );
    io.rename_at(&root, Path::new("a.bin"), &root, Path::new("d/b.bin"), 0)
        .await
        .unwrap();
    assert!(!tmp.path().join("a.bin").exists());
    std::fs::write(tmp.path().join("c.bin"), b"c").unwrap();
    let err = io
        .rename_at(
            &root,
            Path::new("c.bin"),
            &root,
            Path::new("d/b.bin"),
            rename_flags::NOREPLACE,
        )
        .await
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EEXIST));
    let err = io.unlink_at(&root, Path::new("d"), true).await.unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTEMPTY));
    io.unlink_at(&root, Path::new("d/b.bin"), false)
        .await
        .unwrap();
    io.unlink_at(&root, Path::new("d"), true).await.unwrap();
    let err = io.statx(&root, Path::new("d"), true).await.unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT));

    // Confinement is the kernel's: '..', absolute paths and symlinks out are refused with EXDEV.
    let sub = tmp.path().join("jail");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(tmp.path().join("secret"), b"s").unwrap();
    std::os::unix::fs::symlink("../secret", sub.join("rel")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret"), sub.join("abs")).unwrap();
    let jail = dir_fd(&sub);
    for p in ["../secret", "rel", "abs", "/etc/passwd"] {
        let err = io
            .open_at(&jail, Path::new(p), OpenHow::read())
            .await
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EXDEV), "{p} in {mode}");
    }
    // A NUL byte never reaches the kernel.
    let err = io
        .open_at(&jail, Path::new("a\0b"), OpenHow::read())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

fn umask() -> u32 {
    let old = rustix::process::umask(rustix::fs::Mode::empty());
    rustix::process::umask(old);
    old.bits()
}

#[tokio::test(flavor = "current_thread")]
async fn all_ops_uring() {
    exercise(modes()[0]).await;
}

#[tokio::test(flavor = "current_thread")]
async fn all_ops_threadpool() {
    exercise(modes()[1]).await;
}

/// Many ops in flight at once from one task: they are batched and all complete.
#[tokio::test(flavor = "current_thread")]
async fn concurrent_reads_complete() {
    for mode in modes() {
        let io = Io::new(mode, IoConfig { ring_entries: 8 }).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(tmp.path().join("f"), &data).unwrap();
        let root = dir_fd(tmp.path());
        let f = io
            .open_at(&root, Path::new("f"), OpenHow::read())
            .await
            .unwrap();
        // 64 reads with an 8-entry ring: the submission queue fills and must be flushed inline.
        let futs =
            (0..64u64).map(|i| io.read_at(&f, BytesMut::with_capacity(16 * 1024), i * 16 * 1024));
        let results = futures_join_all(futs).await;
        for (i, (res, buf)) in results.into_iter().enumerate() {
            assert_eq!(res.unwrap(), 16 * 1024);
            assert_eq!(
                &buf[..],
                &data[i * 16 * 1024..(i + 1) * 16 * 1024],
                "{mode}"
            );
        }
    }
}

async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

/// The driver is usable from a task on another runtime (russh spawns its own tasks), since op futures are Send.
#[test]
fn ops_are_send_and_work_across_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let io = rt.block_on(async { Io::new(IoMode::Uring, IoConfig::default()).unwrap() });
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f"), b"hello").unwrap();
    let root = dir_fd(tmp.path());
    // Keep the ring's runtime turning on its own thread while another thread waits on an op.
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        rt.block_on(async {
            while stop_rx.try_recv().is_err() {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        });
    });
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = other.block_on(async {
        let fut = io.open_at(&root, Path::new("f"), OpenHow::read());
        assert_send(&fut);
        let f = fut.await.unwrap();
        let (res, buf) = io.read_at(&f, BytesMut::with_capacity(64), 0).await;
        res.unwrap();
        buf
    });
    assert_eq!(&got[..], b"hello");
    stop_tx.send(()).unwrap();
    handle.join().unwrap();
}
