//! Dropping in-flight op futures must neither corrupt memory nor leak descriptors. One test per binary
//! process section: descriptor counts are only meaningful when nothing else in the process opens files, so this
//! file holds a single test that runs both modes in sequence.

use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ringway_uring::{Fd, Io, IoConfig, IoMode, OpenHow};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

async fn settle() {
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn drop_in_flight(mode: IoMode) {
    let io = Io::new(mode, IoConfig::default()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = Fd::from(OwnedFd::from(std::fs::File::open(tmp.path()).unwrap()));
    settle().await;
    let baseline = open_fds();

    // Pipes keep an op in the kernel for as long as we like. Only io_uring can read a pipe at an offset (the
    // blocking pool uses pread, which pipes refuse), so these two cases are uring-only; the pool's ops own their
    // buffers inside the blocking closure by construction.
    if mode == IoMode::Uring {
        // A read on an empty pipe stays in the kernel until data arrives. Drop its future, then feed the pipe: the
        // kernel writes into the buffer the driver still owns, and the driver frees it.
        let (rx, tx) = rustix::pipe::pipe().unwrap();
        let rx = Fd::from(rx);
        {
            let fut = io.read_at(&rx, BytesMut::with_capacity(64 * 1024), 0);
            let mut fut = Box::pin(fut);
            // Poll once so the op is queued (and, after a tick, in the kernel).
            assert!(futures_poll_once(fut.as_mut()).await.is_none());
            settle().await;
        }
        // The abandoned op still holds the read end, so the write finds a reader.
        drop(rx);
        assert_eq!(rustix::io::write(&tx, &[7u8; 4096]).unwrap(), 4096);
        drop(tx);

        // A write to a full pipe blocks in the kernel; drop it, then drain the pipe.
        let (rx2, tx2) = rustix::pipe::pipe().unwrap();
        let tx2 = Fd::from(tx2);
        let cap = rustix::pipe::fcntl_getpipe_size(&tx2).unwrap();
        let (res, _) = io.write_at(&tx2, Bytes::from(vec![1u8; cap]), 0).await;
        assert_eq!(res.unwrap(), cap);
        {
            let mut fut = Box::pin(io.write_at(&tx2, Bytes::from(vec![2u8; 65536]), 0));
            assert!(futures_poll_once(fut.as_mut()).await.is_none());
            settle().await;
        }
        drop(tx2);
        // Drain exactly what both writes put in (not until EOF: the abandoned op holds the write end until the
        // reaper, which runs on this thread, sees its completion).
        let mut sink = vec![0u8; 1 << 20];
        let mut left = cap + 65536;
        while left > 0 {
            let n = rustix::io::read(&rx2, &mut sink[..left.min(1 << 20)]).unwrap();
            assert!(n > 0);
            left -= n;
        }
        settle().await;
        drop(rx2);
    }

    // An open whose future is dropped before completion: the descriptor it produces is closed by the driver.
    std::fs::write(tmp.path().join("f"), b"x").unwrap();
    for _ in 0..32 {
        let mut fut = Box::pin(io.open_at(&root, Path::new("f"), OpenHow::read()));
        let _ = futures_poll_once(fut.as_mut()).await;
    }

    // Many reads on a file dropped at random points.
    let f = io
        .open_at(&root, Path::new("f"), OpenHow::read())
        .await
        .unwrap();
    for i in 0..64 {
        let mut fut = Box::pin(io.read_at(&f, BytesMut::with_capacity(4096), 0));
        if i % 2 == 0 {
            let _ = futures_poll_once(fut.as_mut()).await;
        }
    }
    io.close(f).await.unwrap();

    settle().await;
    assert_eq!(open_fds(), baseline, "descriptor leak in {mode} mode");
    // The driver still works after all that.
    let f = io
        .open_at(&root, Path::new("f"), OpenHow::read())
        .await
        .unwrap();
    let (res, buf) = io.read_at(&f, BytesMut::with_capacity(8), 0).await;
    assert_eq!(res.unwrap(), 1);
    assert_eq!(&buf[..], b"x");
}

async fn futures_poll_once<F: std::future::Future + Unpin>(fut: F) -> Option<F::Output> {
    let mut fut = fut;
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut fut).poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn dropped_futures_leak_nothing() {
    drop_in_flight(IoMode::Uring).await;
    drop_in_flight(IoMode::ThreadPool).await;
}
