//! Black-box stream tests through the public API: the framer under every split of a multi-packet stream,
//! hostile length prefixes, and deterministic random bytes into the framer and the parser.

use bytes::{BufMut, Bytes, BytesMut};
use ringway_sftp_proto::{
    Attrs, FrameError, Framer, ParseError, Request, packet_type as t, parse, put_string, put_u32,
    put_u64,
};

fn framed(ty: u8, fill: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
    let mut body = BytesMut::new();
    body.put_u8(ty);
    fill(&mut body);
    let mut out = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// INIT, OPEN, WRITE, READ, STAT, CLOSE, as a session starts, plus each packet's body.
fn session_stream() -> (Vec<u8>, Vec<Vec<u8>>) {
    let packets = [
        framed(t::INIT, |b| put_u32(b, 3)),
        framed(t::OPEN, |b| {
            put_u32(b, 1);
            put_string(b, b"/up/file");
            put_u32(b, 0x1a);
            Attrs::EMPTY.encode(b);
        }),
        framed(t::WRITE, |b| {
            put_u32(b, 2);
            put_string(b, b"h1");
            put_u64(b, 0);
            put_string(b, &[0x5a; 40]);
        }),
        framed(t::READ, |b| {
            put_u32(b, 3);
            put_string(b, b"h1");
            put_u64(b, 4096);
            put_u32(b, 32_768);
        }),
        framed(t::STAT, |b| {
            put_u32(b, 4);
            put_string(b, b".");
        }),
        framed(t::CLOSE, |b| {
            put_u32(b, 5);
            put_string(b, b"h1");
        }),
    ];
    let stream = packets.concat();
    let bodies = packets.iter().map(|p| p[4..].to_vec()).collect();
    (stream, bodies)
}

fn drain(framer: &mut Framer, out: &mut Vec<Bytes>) {
    while let Some(p) = framer.next_packet().expect("valid stream") {
        out.push(p);
    }
}

fn check(out: &[Bytes], bodies: &[Vec<u8>]) {
    assert_eq!(out.len(), bodies.len());
    for (got, want) in out.iter().zip(bodies) {
        assert_eq!(&got[..], &want[..]);
        let req = parse(got.clone()).expect("valid request");
        assert!(matches!(req, Request::Init { .. }) || req.id().is_some());
    }
}

#[test]
fn every_single_split() {
    let (stream, bodies) = session_stream();
    for at in 0..=stream.len() {
        for owned in [false, true] {
            let mut framer = Framer::new();
            let mut out = Vec::new();
            for chunk in [&stream[..at], &stream[at..]] {
                if owned {
                    framer.push_bytes(Bytes::copy_from_slice(chunk));
                } else {
                    framer.push(chunk);
                }
                drain(&mut framer, &mut out);
            }
            check(&out, &bodies);
            assert_eq!(framer.buffered(), 0);
        }
    }
}

#[test]
fn every_pair_of_splits_mixing_push_kinds() {
    let (stream, bodies) = session_stream();
    for a in 0..=stream.len() {
        for b in a..=stream.len() {
            let mut framer = Framer::new();
            let mut out = Vec::new();
            framer.push_bytes(Bytes::copy_from_slice(&stream[..a]));
            drain(&mut framer, &mut out);
            framer.push(&stream[a..b]);
            drain(&mut framer, &mut out);
            framer.push_bytes(Bytes::copy_from_slice(&stream[b..]));
            drain(&mut framer, &mut out);
            check(&out, &bodies);
        }
    }
}

#[test]
fn byte_by_byte_without_draining_until_the_end() {
    let (stream, bodies) = session_stream();
    let mut framer = Framer::new();
    for byte in &stream {
        framer.push(std::slice::from_ref(byte));
    }
    let mut out = Vec::new();
    drain(&mut framer, &mut out);
    check(&out, &bodies);
}

#[test]
fn hostile_prefixes_after_valid_packets() {
    let (stream, _) = session_stream();
    for (prefix, expect) in [
        ([0u8, 0, 0, 0], FrameError::ZeroLength),
        (
            [0xff, 0xff, 0xff, 0xff],
            FrameError::TooLong {
                len: u32::MAX,
                max: ringway_sftp_proto::DEFAULT_MAX_PACKET,
            },
        ),
        (
            (ringway_sftp_proto::DEFAULT_MAX_PACKET + 1).to_be_bytes(),
            FrameError::TooLong {
                len: ringway_sftp_proto::DEFAULT_MAX_PACKET + 1,
                max: ringway_sftp_proto::DEFAULT_MAX_PACKET,
            },
        ),
    ] {
        let mut framer = Framer::new();
        framer.push(&stream);
        framer.push(&prefix);
        let mut n = 0;
        let err = loop {
            match framer.next_packet() {
                Ok(Some(_)) => n += 1,
                Ok(None) => panic!("the prefix alone must fail"),
                Err(e) => break e,
            }
        };
        assert_eq!((n, err), (6, expect));
        // Poisoned: more data is dropped, the error repeats, nothing is held.
        framer.push(&stream);
        assert_eq!(framer.next_packet(), Err(expect));
        assert_eq!(framer.buffered(), 0);
    }
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> usize {
        usize::try_from(self.next() % n).unwrap()
    }
}

const TYPES: [u8; 23] = [
    1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 200, 2, 101, 0,
];

const EXT_NAMES: [&[u8]; 13] = [
    b"posix-rename@openssh.com",
    b"statvfs@openssh.com",
    b"fstatvfs@openssh.com",
    b"hardlink@openssh.com",
    b"fsync@openssh.com",
    b"limits@openssh.com",
    b"lsetstat@openssh.com",
    b"expand-path@openssh.com",
    b"copy-data",
    b"check-file-handle",
    b"check-file-name",
    b"users-groups-by-id@openssh.com",
    b"other@example.com",
];

/// A random body biased toward well-formed prefixes, so the parser gets past the type and id often.
fn random_body(rng: &mut Rng) -> Vec<u8> {
    let mut b = vec![TYPES[rng.below(TYPES.len() as u64)]];
    b.extend_from_slice(&u32::try_from(rng.below(1 << 20)).unwrap().to_be_bytes());
    if b[0] == t::EXTENDED && rng.below(4) != 0 {
        let name = EXT_NAMES[rng.below(EXT_NAMES.len() as u64)];
        b.extend_from_slice(&u32::try_from(name.len()).unwrap().to_be_bytes());
        b.extend_from_slice(name);
    }
    for _ in 0..rng.below(48) {
        // Small numbers make plausible lengths, flags and counts; 0xff bytes make hostile ones.
        b.push(match rng.below(4) {
            0 => 0,
            1 => 0xff,
            _ => rng.next() as u8 & 0x0f,
        });
    }
    b
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut malformed, mut unknown) = (0u32, 0u32, 0u32);
    let mut framer = Framer::with_max_packet(96);
    for _ in 0..100_000 {
        let body = random_body(&mut rng);
        match parse(Bytes::from(body.clone())) {
            Ok(_) => ok += 1,
            Err(ParseError::Malformed { .. }) => malformed += 1,
            Err(ParseError::UnknownType { .. }) => unknown += 1,
            Err(ParseError::Empty) => unreachable!("bodies have a type byte"),
        }
        // Into the framer: usually framed honestly, sometimes raw bytes that make a lying prefix,
        // in chunks of random size.
        let mut wire = if rng.below(8) == 0 {
            Vec::new()
        } else {
            u32::try_from(body.len()).unwrap().to_be_bytes().to_vec()
        };
        wire.extend_from_slice(&body);
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(1 + rng.below(rest.len() as u64));
            framer.push(chunk);
            rest = tail;
            loop {
                match framer.next_packet() {
                    Ok(Some(packet)) => {
                        let _ = parse(packet);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        framer = Framer::with_max_packet(96);
                        break;
                    }
                }
            }
            assert!(framer.buffered() <= 4 + 96 + wire.len());
        }
    }
    // The generator reaches every outcome.
    assert!(
        ok > 1_000 && malformed > 1_000 && unknown > 1_000,
        "{ok} {malformed} {unknown}"
    );
}
