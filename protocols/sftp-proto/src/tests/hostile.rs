//! Hostile packets: truncations, lying lengths and counts, unknown types. Never a panic; errors carry the
//! request id whenever it was readable.

use bytes::{BufMut, Bytes, BytesMut};

use super::encode::{encode, samples};
use crate::request::packet_type as t;
use crate::{Attrs, Framer, ParseError, Request, WireError, parse};

fn body(req: &Request) -> Vec<u8> {
    encode(req)[4..].to_vec()
}

/// Requests whose last field runs to the end of the packet, so a cut can still be a valid request.
fn runs_to_end(req: &Request) -> bool {
    matches!(req, Request::Init { .. } | Request::Extended { .. })
}

#[test]
fn truncated_at_every_byte_of_every_request() {
    for req in samples() {
        let full = body(&req);
        for cut in 0..full.len() {
            let result = parse(Bytes::copy_from_slice(&full[..cut]));
            if runs_to_end(&req) && result.is_ok() {
                continue;
            }
            let err = result.expect_err("a truncated request must not parse");
            match cut {
                0 => assert_eq!(err, ParseError::Empty),
                _ => {
                    let ParseError::Malformed {
                        packet_type, id, ..
                    } = &err
                    else {
                        panic!("{req:?} cut at {cut}: {err:?}");
                    };
                    assert_eq!(*packet_type, full[0]);
                    // The id is reported once its 4 bytes are there (INIT has none).
                    let expect_id = if cut >= 5 { req.id() } else { None };
                    assert_eq!(*id, expect_id, "{req:?} cut at {cut}");
                    assert_eq!(err.id(), expect_id);
                }
            }
        }
    }
}

#[test]
fn truncated_packets_through_the_framer() {
    // The same cuts, framed with an honest length: the framer hands them over, parse rejects them.
    for req in samples() {
        let full = body(&req);
        for cut in 1..full.len() {
            let mut wire = BytesMut::new();
            wire.put_u32(u32::try_from(cut).unwrap());
            wire.put_slice(&full[..cut]);
            let mut framer = Framer::new();
            framer.push(&wire);
            let packet = framer.next_packet().unwrap().unwrap();
            assert!(runs_to_end(&req) || parse(packet).is_err());
        }
    }
}

#[test]
fn lying_lengths_anywhere() {
    // Overwrite every 4-byte window of every request with huge or off-by-one lengths.
    for req in samples() {
        let full = body(&req);
        for at in 0..full.len().saturating_sub(3) {
            for lie in [u32::MAX, 0x8000_0000, 0x7fff_ffff, 0x0004_0000] {
                let mut bad = full.clone();
                bad[at..at + 4].copy_from_slice(&lie.to_be_bytes());
                let _ = parse(Bytes::from(bad));
            }
        }
    }
}

#[test]
fn string_past_the_end_is_malformed_with_id() {
    let mut b = vec![t::STAT, 0, 0, 0, 42, 0xff, 0xff, 0xff, 0xff];
    b.extend_from_slice(b"short");
    let err = parse(Bytes::from(b)).unwrap_err();
    assert!(matches!(
        err,
        ParseError::Malformed {
            packet_type: t::STAT,
            id: Some(42),
            source: WireError::Truncated {
                needed: 0xffff_ffff,
                available: 5,
                ..
            },
        }
    ));
}

#[test]
fn unknown_types_report_the_id() {
    for ty in 0..=u8::MAX {
        let known = ty == t::INIT || (t::OPEN..=t::SYMLINK).contains(&ty) || ty == t::EXTENDED;
        let with_id = parse(Bytes::from(vec![ty, 0, 0, 1, 2, 0xaa]));
        let bare = parse(Bytes::from(vec![ty]));
        if known {
            assert!(!matches!(with_id, Err(ParseError::UnknownType { .. })));
            assert!(matches!(bare, Err(ParseError::Malformed { .. })));
        } else {
            assert_eq!(
                with_id,
                Err(ParseError::UnknownType {
                    packet_type: ty,
                    id: Some(258)
                })
            );
            assert_eq!(
                bare,
                Err(ParseError::UnknownType {
                    packet_type: ty,
                    id: None
                })
            );
        }
    }
    // Server-to-client types are not requests.
    assert!(matches!(
        parse(Bytes::from_static(&[t::VERSION, 0, 0, 0, 3])),
        Err(ParseError::UnknownType { .. })
    ));
}

#[test]
fn attrs_with_every_flag_bit() {
    // SETSTAT whose attrs claim every bit: the known fields must all be present.
    let mut b = vec![
        t::SETSTAT,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        1,
        b'p',
        0xff,
        0xff,
        0xff,
        0xff,
    ];
    let err = parse(Bytes::from(b.clone())).unwrap_err();
    assert_eq!(err.id(), Some(1));
    // Size, uid, gid, permissions, atime, mtime, then an extended count of zero: unknown bits ignored.
    b.extend_from_slice(&[0; 8 + 4 + 4 + 4 + 4 + 4 + 4]);
    let Ok(Request::Setstat { attrs, .. }) = parse(Bytes::from(b)) else {
        panic!("known fields present");
    };
    assert_eq!(attrs.size, Some(0));
    assert_eq!(attrs.extended.map(|e| e.len()), Some(0));
    // Only unknown bits: an empty attrs.
    let b = vec![t::MKDIR, 0, 0, 0, 2, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xf0];
    assert!(matches!(
        parse(Bytes::from(b)),
        Ok(Request::Mkdir { attrs, .. }) if attrs == Attrs::EMPTY
    ));
}

#[test]
fn extended_attr_count_of_u32_max() {
    let mut b = vec![
        t::FSETSTAT,
        0,
        0,
        0,
        9,
        0,
        0,
        0,
        1,
        b'h',
        0x80,
        0,
        0,
        0,
        0xff,
        0xff,
        0xff,
        0xff,
    ];
    // A few real pairs, then the packet ends.
    for _ in 0..1000 {
        b.extend_from_slice(&[0, 0, 0, 1, b'n', 0, 0, 0, 0]);
    }
    let started = std::time::Instant::now();
    let err = parse(Bytes::from(b)).unwrap_err();
    assert_eq!(err.id(), Some(9));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn init_extension_pairs_cut_in_half() {
    // version, then a name with no data string.
    let b = vec![t::INIT, 0, 0, 0, 3, 0, 0, 0, 1, b'x'];
    assert!(matches!(
        parse(Bytes::from(b)),
        Err(ParseError::Malformed {
            packet_type: t::INIT,
            id: None,
            ..
        })
    ));
}

#[test]
fn id_lists_must_be_whole_u32s() {
    let name = b"users-groups-by-id@openssh.com";
    let mut b = vec![t::EXTENDED, 0, 0, 0, 4, 0, 0, 0, 30];
    b.extend_from_slice(name);
    b.extend_from_slice(&[0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0]);
    assert!(matches!(
        parse(Bytes::from(b)),
        Err(ParseError::Malformed {
            id: Some(4),
            source: WireError::Invalid { .. },
            ..
        })
    ));
}

#[test]
fn known_extension_with_missing_fields() {
    let mut b = vec![t::EXTENDED, 0, 0, 0, 6, 0, 0, 0, 9];
    b.extend_from_slice(b"copy-data");
    b.extend_from_slice(&[0, 0, 0, 1, b'h']);
    let err = parse(Bytes::from(b)).unwrap_err();
    assert_eq!(err.id(), Some(6));
    assert!(err.to_string().contains("read offset"), "{err}");
}
