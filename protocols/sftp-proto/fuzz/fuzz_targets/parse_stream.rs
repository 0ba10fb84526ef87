//! Fuzz target: arbitrary bytes as an SFTP stream, cut into chunks, through the Framer and then `parse`.
//!
//! The first input byte chooses the chunking (and whether chunks are pushed as slices or as owned `Bytes`)
//! and a small maximum packet size half of the time, so the limit path is exercised too. Every packet
//! the framer returns must parse or fail with an error, never panic; a parsed request's id must match the
//! one in the packet.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use ringway_sftp_proto::{Framer, ParseError, Request, parse};

fuzz_target!(|data: &[u8]| {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(control & 0x3f) + 1;
    let owned = control & 0x40 != 0;
    let mut framer = if control & 0x80 != 0 {
        Framer::with_max_packet(64)
    } else {
        Framer::new()
    };
    for piece in stream.chunks(chunk) {
        if owned {
            framer.push_bytes(Bytes::copy_from_slice(piece));
        } else {
            framer.push(piece);
        }
        loop {
            match framer.next_packet() {
                Ok(Some(packet)) => check(packet),
                Ok(None) => break,
                Err(_) => {
                    assert_eq!(framer.buffered(), 0);
                    return;
                }
            }
        }
        // What stays buffered is less than one maximal packet plus the last chunk.
        assert!(framer.buffered() < 4 + framer.max_packet() as usize + chunk);
    }
});

fn check(packet: Bytes) {
    let wire_id = packet
        .get(1..5)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    match parse(packet.clone()) {
        Ok(Request::Init { .. }) => assert_eq!(packet[0], 1),
        Ok(req) => assert_eq!(req.id(), wire_id),
        Err(ParseError::Empty) => panic!("the framer never yields an empty packet"),
        Err(err) => {
            if let Some(id) = err.id() {
                assert_eq!(Some(id), wire_id);
            }
        }
    }
}
