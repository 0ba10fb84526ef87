//! Every request variant survives encode → frame → parse unchanged, and its slices point into the packet.

use std::collections::HashSet;
use std::mem::discriminant;

use bytes::Bytes;

use super::encode::{encode, samples};
use crate::{Framer, Request, parse};

fn body(req: &Request) -> Bytes {
    let mut framed = encode(req);
    let _ = framed.split_to(4);
    framed.freeze()
}

#[test]
fn every_request_round_trips() {
    for req in samples() {
        assert_eq!(parse(body(&req)).as_ref(), Ok(&req), "{req:?}");
    }
}

#[test]
fn samples_cover_every_variant() {
    let variants: HashSet<_> = samples().iter().map(discriminant).collect();
    // INIT, the 18 other v3 requests, 11 extensions (CheckFile covers two names) and Extended.
    assert_eq!(variants.len(), 31);
}

#[test]
fn ids_are_carried() {
    for req in samples() {
        let parsed = parse(body(&req)).unwrap();
        assert_eq!(parsed.id(), req.id());
        assert_eq!(parsed.id().is_none(), matches!(req, Request::Init { .. }));
    }
}

#[test]
fn a_stream_of_all_samples_frames_and_parses() {
    let mut stream = Vec::new();
    for req in samples() {
        stream.extend_from_slice(&encode(&req));
    }
    let mut framer = Framer::new();
    framer.push(&stream);
    let mut parsed = Vec::new();
    while let Some(packet) = framer.next_packet().unwrap() {
        parsed.push(parse(packet).unwrap());
    }
    assert_eq!(parsed, samples());
}

#[test]
fn write_data_and_paths_are_views_of_the_packet() {
    let req = Request::Write {
        id: 1,
        handle: Bytes::from_static(b"h"),
        offset: 0,
        data: Bytes::from(vec![7u8; 1000]),
    };
    let packet = body(&req);
    let range = packet.as_ptr() as usize..packet.as_ptr() as usize + packet.len();
    let Ok(Request::Write { handle, data, .. }) = parse(packet.clone()) else {
        panic!("not a write");
    };
    assert!(range.contains(&(data.as_ptr() as usize)));
    assert!(range.contains(&(handle.as_ptr() as usize)));
    assert_eq!(data.as_ptr() as usize + data.len(), range.end);
}

#[test]
fn trailing_bytes_are_ignored() {
    for req in samples() {
        if matches!(req, Request::Init { .. } | Request::Extended { .. }) {
            continue; // these run to the end of the packet by definition
        }
        let mut framed = encode(&req);
        framed.extend_from_slice(b"junk");
        let _ = framed.split_to(4);
        assert_eq!(parse(framed.freeze()), Ok(req));
    }
}

#[test]
fn utf8_helper() {
    assert_eq!(crate::as_utf8(b"/home/\xc3\xa9"), Some("/home/é"));
    assert_eq!(crate::as_utf8(b"\xff"), None);
}
