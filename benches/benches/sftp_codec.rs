//! The SFTP v3 codec of `ringway-sftp-proto`, one bench per packet type: [`parse`] of every request a client
//! sends, the reply encoders the engine calls, and the [`Framer`] plus [`parse`] over a whole request stream.
//!
//! Run: `cargo bench -p ringway-benches --bench sftp_codec`.
//!
//! - `sftp_decode`: one packet body (type byte onward, as [`Framer::next_packet`] returns it) into a
//!   [`Request`](ringway_sftp_proto::Request). Each iteration clones the body's [`Bytes`] (one reference-count
//!   increment, as the framer hands over a view) and drops the request. WRITE comes last with
//!   `Throughput::Bytes` of its packet; the payload is a view, not a copy, so its time does not depend on the
//!   size and the figure is nominal.
//! - `sftp_encode`: one reply appended to a reused [`BytesMut`], cleared each iteration, as the engine reuses
//!   its pooled buffers. NAME entries are built as READDIR builds them (`longname_into` + [`NameEncoder`]).
//!   DATA comes last with `Throughput::Bytes`; `DATA/header` is the zero-copy path the engine takes for READ
//!   (the payload is read into the buffer after the header).
//! - `sftp_frame_parse`: a recorded mixed session (metadata requests around 32 KiB WRITEs) pushed into a
//!   fresh [`Framer`] in one owned chunk (zero copy) or in 32 KiB SSH-channel-sized chunks (reassembly
//!   copies), then framed and parsed to the end.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringway_sftp_proto::{
    Attrs, FileType, Framer, Limits, NameEncoder, OpenFlags, SERVER_EXTENSIONS, SFTP_VERSION,
    StatVfs, StatusCode, encode_attrs, encode_data, encode_data_header, encode_handle,
    encode_limits_reply, encode_path_name, encode_status, encode_statvfs_reply, encode_version,
    ext, longname_into, packet_type as t, parse, put_string, put_u8, put_u32, put_u64,
};

/// OpenSSH's client default request size when the server states no limits.
const KIB_32: usize = 32 * 1024;
/// The largest READ/WRITE payload ringway advertises (`Limits::MAX_IO_LEN`).
const KIB_255: usize = 255 * 1024;

/// OpenSSH's sftp-server hands out 4-byte handles.
const HANDLE: &[u8] = &[0, 0, 0, 7];
const FILE_PATH: &[u8] = b"/home/alice/projects/ringway/reports/2024-q3-summary.pdf";
const DIR_PATH: &[u8] = b"/home/alice/projects/ringway/reports";
const NEW_PATH: &[u8] = b"/home/alice/projects/ringway/archive/2024-q3-summary.pdf";
/// Fixed "now" for long names (2024-06-01), so every run formats the same dates.
const NOW: i64 = 1_717_200_000;

/// Builds a request body: type byte, request id, then `fields`.
fn body(packet_type: u8, fields: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut b = BytesMut::new();
    put_u8(&mut b, packet_type);
    put_u32(&mut b, 42);
    fields(&mut b);
    b.freeze()
}

/// A request whose only field is one string (a path or a handle).
fn one_string(packet_type: u8, field: &[u8]) -> Bytes {
    body(packet_type, |b| put_string(b, field))
}

fn extended(name: &str, fields: impl FnOnce(&mut BytesMut)) -> Bytes {
    body(t::EXTENDED, |b| {
        put_string(b, name.as_bytes());
        fields(b);
    })
}

fn write_request(len: usize) -> Bytes {
    let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    body(t::WRITE, |b| {
        put_string(b, HANDLE);
        put_u64(b, 1 << 20);
        put_string(b, &payload);
    })
}

/// Attributes as a server reports a regular file.
fn file_attrs(size: u64) -> Attrs {
    Attrs {
        size: Some(size),
        uid_gid: Some((1000, 1000)),
        permissions: Some(FileType::Regular.mode_bits() | 0o644),
        atime_mtime: Some((1_717_000_000, 1_716_900_000)),
        extended: None,
    }
}

/// Every request type, in packet-type order, with a realistic body (no WRITE: see [`bench_decode`]).
fn requests() -> Vec<(&'static str, Bytes)> {
    let create_mode = Attrs {
        permissions: Some(0o644),
        ..Attrs::EMPTY
    };
    let touch = Attrs {
        permissions: Some(0o600),
        atime_mtime: Some((1_717_000_000, 1_716_900_000)),
        ..Attrs::EMPTY
    };
    vec![
        ("INIT", {
            let mut b = BytesMut::new();
            put_u8(&mut b, t::INIT);
            put_u32(&mut b, SFTP_VERSION);
            b.freeze()
        }),
        (
            "OPEN",
            body(t::OPEN, |b| {
                put_string(b, FILE_PATH);
                put_u32(b, OpenFlags::WRITE | OpenFlags::CREAT | OpenFlags::TRUNC);
                create_mode.encode(b);
            }),
        ),
        ("CLOSE", one_string(t::CLOSE, HANDLE)),
        (
            "READ",
            body(t::READ, |b| {
                put_string(b, HANDLE);
                put_u64(b, 1 << 20);
                put_u32(b, KIB_32 as u32);
            }),
        ),
        ("LSTAT", one_string(t::LSTAT, FILE_PATH)),
        ("FSTAT", one_string(t::FSTAT, HANDLE)),
        (
            "SETSTAT",
            body(t::SETSTAT, |b| {
                put_string(b, FILE_PATH);
                touch.encode(b);
            }),
        ),
        (
            "FSETSTAT",
            body(t::FSETSTAT, |b| {
                put_string(b, HANDLE);
                touch.encode(b);
            }),
        ),
        ("OPENDIR", one_string(t::OPENDIR, DIR_PATH)),
        ("READDIR", one_string(t::READDIR, HANDLE)),
        ("REMOVE", one_string(t::REMOVE, FILE_PATH)),
        (
            "MKDIR",
            body(t::MKDIR, |b| {
                put_string(b, DIR_PATH);
                Attrs {
                    permissions: Some(0o755),
                    ..Attrs::EMPTY
                }
                .encode(b);
            }),
        ),
        ("RMDIR", one_string(t::RMDIR, DIR_PATH)),
        ("REALPATH", one_string(t::REALPATH, b".")),
        ("STAT", one_string(t::STAT, FILE_PATH)),
        (
            "RENAME",
            body(t::RENAME, |b| {
                put_string(b, FILE_PATH);
                put_string(b, NEW_PATH);
            }),
        ),
        ("READLINK", one_string(t::READLINK, FILE_PATH)),
        (
            "SYMLINK",
            body(t::SYMLINK, |b| {
                put_string(b, b"../reports/2024-q3-summary.pdf");
                put_string(b, NEW_PATH);
            }),
        ),
        (
            "EXTENDED/posix-rename",
            extended(ext::POSIX_RENAME, |b| {
                put_string(b, FILE_PATH);
                put_string(b, NEW_PATH);
            }),
        ),
        (
            "EXTENDED/statvfs",
            extended(ext::STATVFS, |b| put_string(b, DIR_PATH)),
        ),
        ("EXTENDED/limits", extended(ext::LIMITS, |_| {})),
        (
            "EXTENDED/unknown",
            extended("home-directory", |b| put_string(b, b"alice")),
        ),
    ]
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("sftp_decode");
    for (name, packet) in requests() {
        // Fail loudly on a fixture the parser refuses: a bench of the error path would be meaningless.
        parse(packet.clone()).unwrap_or_else(|e| panic!("{name} fixture does not parse: {e}"));
        group.bench_function(name, |b| b.iter(|| parse(black_box(packet.clone()))));
    }
    // Throughput applies to every bench added after it, so the data-bearing ones come last.
    for (name, len) in [("WRITE/32KiB", KIB_32), ("WRITE/255KiB", KIB_255)] {
        let packet = write_request(len);
        parse(packet.clone()).expect("WRITE fixture parses");
        group.throughput(Throughput::Bytes(packet.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse(black_box(packet.clone()))));
    }
    group.finish();
}

/// Directory entries as READDIR encodes them: `(file name, attrs)`.
fn dir_entries(n: usize) -> Vec<(String, Attrs)> {
    (0..n)
        .map(|i| {
            let mut attrs = file_attrs(4096 + 977 * i as u64);
            if i % 10 == 0 {
                attrs.permissions = Some(FileType::Directory.mode_bits() | 0o755);
            }
            (format!("report-{i:04}-final.pdf"), attrs)
        })
        .collect()
}

/// What `ops::dir` does per READDIR batch: a long name per entry, then the entry.
fn encode_dir_batch(buf: &mut BytesMut, long: &mut Vec<u8>, entries: &[(String, Attrs)]) {
    let mut name = NameEncoder::new(buf, 42);
    for (file, attrs) in entries {
        long.clear();
        longname_into(long, file.as_bytes(), attrs, None, None, NOW);
        name.push(file.as_bytes(), long, attrs);
    }
}

fn bench_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("sftp_encode");
    let mut buf = BytesMut::with_capacity(KIB_255 + 1024);

    let mut bench = |name: &str, encode: &mut dyn FnMut(&mut BytesMut)| {
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                encode(&mut buf);
                black_box(&buf);
            });
        });
    };
    bench("VERSION", &mut |b| {
        encode_version(b, SFTP_VERSION, black_box(SERVER_EXTENSIONS));
    });
    bench("STATUS/ok", &mut |b| {
        encode_status(b, black_box(42), StatusCode::Ok, StatusCode::Ok.message());
    });
    bench("STATUS/no_such_file", &mut |b| {
        encode_status(b, black_box(42), StatusCode::NoSuchFile, "No such file");
    });
    bench("HANDLE", &mut |b| {
        encode_handle(b, black_box(42), black_box(HANDLE))
    });
    bench("DATA/header", &mut |b| {
        encode_data_header(b, black_box(42), black_box(KIB_32 as u32));
    });
    let attrs = file_attrs(1_234_567);
    bench("ATTRS", &mut |b| {
        encode_attrs(b, black_box(42), black_box(&attrs))
    });
    bench("NAME/realpath", &mut |b| {
        encode_path_name(b, black_box(42), black_box(DIR_PATH));
    });
    let mut long = Vec::with_capacity(128);
    for n in [1, 100] {
        let entries = dir_entries(n);
        bench(&format!("NAME/readdir_{n}"), &mut |b| {
            encode_dir_batch(b, &mut long, black_box(&entries));
        });
    }
    let statvfs = StatVfs {
        bsize: 4096,
        frsize: 4096,
        blocks: 1 << 28,
        bfree: 1 << 27,
        bavail: 1 << 27,
        files: 1 << 24,
        ffree: 1 << 23,
        favail: 1 << 23,
        fsid: 0xfeed,
        flag: StatVfs::NOSUID,
        namemax: 255,
    };
    bench("EXTENDED_REPLY/statvfs", &mut |b| {
        encode_statvfs_reply(b, black_box(42), black_box(&statvfs));
    });
    let limits = Limits::default();
    bench("EXTENDED_REPLY/limits", &mut |b| {
        encode_limits_reply(b, black_box(42), black_box(&limits));
    });

    // Throughput applies to every bench added after it, so the data-bearing ones come last.
    for (name, len) in [("DATA/32KiB", KIB_32), ("DATA/255KiB", KIB_255)] {
        let payload = vec![0x5au8; len];
        group.throughput(Throughput::Bytes(payload.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                encode_data(&mut buf, black_box(42), black_box(&payload));
                black_box(&buf);
            });
        });
    }
    group.finish();
}

/// A recorded upload session as on the wire (length prefixes included): INIT, OPEN, 16 WRITEs of 32 KiB,
/// FSTAT, CLOSE, then a directory listing (OPENDIR, two READDIRs, CLOSE). Returns the stream and its packet
/// count.
fn session_stream() -> (Bytes, usize) {
    let mut packets: Vec<Bytes> = requests()
        .into_iter()
        .filter(|(name, _)| matches!(*name, "INIT" | "OPEN"))
        .map(|(_, p)| p)
        .collect();
    let write = write_request(KIB_32);
    packets.extend(std::iter::repeat_n(write, 16));
    packets.extend([
        one_string(t::FSTAT, HANDLE),
        one_string(t::CLOSE, HANDLE),
        one_string(t::OPENDIR, DIR_PATH),
        one_string(t::READDIR, HANDLE),
        one_string(t::READDIR, HANDLE),
        one_string(t::CLOSE, HANDLE),
    ]);
    let mut stream = BytesMut::new();
    for p in &packets {
        put_string(&mut stream, p);
    }
    (stream.freeze(), packets.len())
}

/// Frames and parses every packet of `chunks`; returns the number of requests.
fn frame_and_parse(chunks: &[Bytes]) -> usize {
    let mut framer = Framer::new();
    let mut n = 0;
    for chunk in chunks {
        framer.push_bytes(chunk.clone());
        while let Some(packet) = framer.next_packet().expect("valid stream") {
            black_box(parse(packet).expect("valid request"));
            n += 1;
        }
    }
    n
}

fn bench_frame_parse(c: &mut Criterion) {
    let (stream, count) = session_stream();
    let mut group = c.benchmark_group("sftp_frame_parse");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    let whole = vec![stream.clone()];
    let chunked: Vec<Bytes> = stream.chunks(KIB_32).map(Bytes::copy_from_slice).collect();
    for (name, chunks) in [
        ("session/one_chunk", whole),
        ("session/32KiB_chunks", chunked),
    ] {
        assert_eq!(frame_and_parse(&chunks), count);
        group.bench_function(name, |b| b.iter(|| frame_and_parse(black_box(&chunks))));
    }
    group.finish();
}

criterion_group!(benches, bench_decode, bench_encode, bench_frame_parse);
criterion_main!(benches);
