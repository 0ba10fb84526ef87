//! 1 MiB sequential reads and writes: the io_uring driver, the driver's blocking-pool mode, and plain `std::fs`
//! positional I/O on tokio's blocking pool (what a tokio server does without a ring).
//!
//! Run: `cargo bench -p ringway-benches --bench io_driver`. The file is small enough to stay in the page cache,
//! so this measures the per-operation overhead of each path, not the disk.

use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringway_uring::{Fd, Io, IoConfig, IoMode, OpenHow};

const CHUNK: usize = 1 << 20;
const FILE_CHUNKS: u64 = 64;

fn bench_io(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    let data: Vec<u8> = (0..CHUNK * FILE_CHUNKS as usize)
        .map(|i| (i % 251) as u8)
        .collect();
    std::fs::write(tmp.path().join("read.bin"), &data).expect("write fixture");
    std::fs::write(tmp.path().join("write.bin"), b"").expect("write fixture");
    let root = Fd::from(OwnedFd::from(
        std::fs::File::open(tmp.path()).expect("open dir"),
    ));
    let payload = Bytes::from(vec![0x5au8; CHUNK]);

    let mut group = c.benchmark_group("sequential_1MiB");
    group.throughput(Throughput::Bytes(CHUNK as u64));
    for mode in [IoMode::Uring, IoMode::ThreadPool] {
        let io = rt
            .block_on(async { Io::new(mode, IoConfig::default()) })
            .expect("io engine");
        let (rf, wf) = rt.block_on(async {
            let rf = io
                .open_at(&root, Path::new("read.bin"), OpenHow::read())
                .await
                .expect("open read");
            let how = OpenHow {
                flags: libc::O_WRONLY,
                mode: 0,
                resolve: OpenHow::CONFINED,
            };
            let wf = io
                .open_at(&root, Path::new("write.bin"), how)
                .await
                .expect("open write");
            (rf, wf)
        });
        let mut off = 0u64;
        let mut buf = Some(BytesMut::with_capacity(CHUNK));
        group.bench_function(format!("read/{mode}"), |b| {
            b.iter(|| {
                let mut bm = buf.take().unwrap_or_else(|| BytesMut::with_capacity(CHUNK));
                bm.clear();
                let (res, bm) =
                    rt.block_on(io.read_at(&rf, bm, (off % FILE_CHUNKS) * CHUNK as u64));
                assert_eq!(res.expect("read"), CHUNK);
                buf = Some(bm);
                off += 1;
            });
        });
        let mut woff = 0u64;
        group.bench_function(format!("write/{mode}"), |b| {
            b.iter(|| {
                let (res, _) = rt.block_on(io.write_all_at(
                    &wf,
                    payload.clone(),
                    (woff % FILE_CHUNKS) * CHUNK as u64,
                ));
                res.expect("write");
                woff += 1;
            });
        });
    }

    let rfile = Arc::new(std::fs::File::open(tmp.path().join("read.bin")).expect("open"));
    let wfile = Arc::new(
        std::fs::OpenOptions::new()
            .write(true)
            .open(tmp.path().join("write.bin"))
            .expect("open"),
    );
    let mut off = 0u64;
    let mut vbuf = Some(vec![0u8; CHUNK]);
    group.bench_function("read/std_fs_spawn_blocking", |b| {
        b.iter(|| {
            let f = Arc::clone(&rfile);
            let at = (off % FILE_CHUNKS) * CHUNK as u64;
            let mut v = vbuf.take().unwrap_or_else(|| vec![0u8; CHUNK]);
            let (n, v) = rt
                .block_on(rt.spawn_blocking(move || f.read_at(&mut v, at).map(|n| (n, v))))
                .expect("join")
                .expect("read");
            assert_eq!(n, CHUNK);
            vbuf = Some(v);
            off += 1;
        });
    });
    let mut woff = 0u64;
    group.bench_function("write/std_fs_spawn_blocking", |b| {
        b.iter(|| {
            let f = Arc::clone(&wfile);
            let p = payload.clone();
            let at = (woff % FILE_CHUNKS) * CHUNK as u64;
            rt.block_on(rt.spawn_blocking(move || f.write_all_at(&p, at)))
                .expect("join")
                .expect("write");
            woff += 1;
        });
    });
    group.finish();
}

criterion_group!(benches, bench_io);
criterion_main!(benches);
