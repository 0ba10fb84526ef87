//! Reply encoders: golden bytes and structure, read back with the crate's own [`Reader`].

use bytes::{Bytes, BytesMut};

use crate::request::packet_type as t;
use crate::*;

/// Splits one framed packet off `buf`, checks its length prefix, returns a reader after its type byte.
fn packet(buf: &mut Bytes, expect_type: u8) -> Reader {
    let mut r = Reader::new(buf.clone());
    let len = r.u32("len").unwrap() as usize;
    assert!(len <= r.remaining(), "length prefix past the end");
    let body = r.bytes("body", len).unwrap();
    *buf = r.rest();
    let mut body = Reader::new(body);
    assert_eq!(body.u8("type").unwrap(), expect_type);
    body
}

#[test]
fn version_advertises_openssh_extensions() {
    let mut buf = BytesMut::new();
    encode_version(&mut buf, SFTP_VERSION, SERVER_EXTENSIONS);
    let mut wire = buf.freeze();
    assert_eq!(&wire[4..9], &[t::VERSION, 0, 0, 0, 3]);
    let mut r = packet(&mut wire, t::VERSION);
    assert_eq!(r.u32("version").unwrap(), 3);
    let mut pairs = Vec::new();
    while !r.is_empty() {
        let name = r.string("n").unwrap();
        let data = r.string("d").unwrap();
        pairs.push((
            as_utf8(&name).unwrap().to_owned(),
            as_utf8(&data).unwrap().to_owned(),
        ));
    }
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("posix-rename@openssh.com"), Some("1"));
    assert_eq!(get("statvfs@openssh.com"), Some("2"));
    assert_eq!(get("fstatvfs@openssh.com"), Some("2"));
    assert_eq!(get("limits@openssh.com"), Some("1"));
    assert_eq!(get("copy-data"), Some("1"));
    assert_eq!(get("check-file"), Some("1"));
    assert_eq!(pairs.len(), 10);
    assert!(wire.is_empty());
}

#[test]
fn status_golden() {
    let mut buf = BytesMut::new();
    encode_status(&mut buf, 7, StatusCode::Eof, StatusCode::Eof.message());
    #[rustfmt::skip]
    let expect: &[u8] = &[
        0, 0, 0, 28, 101, 0, 0, 0, 7, 0, 0, 0, 1,
        0, 0, 0, 11, b'E', b'n', b'd', b' ', b'o', b'f', b' ', b'f', b'i', b'l', b'e',
        0, 0, 0, 0,
    ];
    assert_eq!(&buf[..], expect);
}

#[test]
fn status_codes_numbers() {
    for code in 0..=8 {
        let status = StatusCode::from_code(code).unwrap();
        assert_eq!(status.code(), code);
        assert!(!status.message().is_empty());
    }
    assert_eq!(StatusCode::OpUnsupported.code(), 8);
    assert_eq!(StatusCode::BadMessage.code(), 5);
    assert_eq!(StatusCode::from_code(9), None);
}

#[test]
fn handle_and_data() {
    let mut buf = BytesMut::new();
    encode_handle(&mut buf, 1, b"\x00\x00\x00\x01");
    encode_data(&mut buf, 2, b"abc");
    assert_eq!(
        &buf[..],
        &[
            0, 0, 0, 13, 102, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, //
            0, 0, 0, 12, 103, 0, 0, 0, 2, 0, 0, 0, 3, b'a', b'b', b'c',
        ][..]
    );
}

#[test]
fn data_header_matches_full_data_packet() {
    let payload = vec![9u8; 261_120];
    let mut full = BytesMut::new();
    encode_data(&mut full, 77, &payload);
    let mut header = BytesMut::new();
    encode_data_header(&mut header, 77, u32::try_from(payload.len()).unwrap());
    assert_eq!(header.len(), DATA_HEADER_LEN);
    assert_eq!(&header[..], &full[..DATA_HEADER_LEN]);
    // And the header + payload frames and... is not a request.
    let mut framer = Framer::new();
    framer.push(&header);
    framer.push(&payload);
    let packet = framer.next_packet().unwrap().unwrap();
    assert_eq!(packet.len(), 9 + payload.len());
}

#[test]
fn name_encoder_is_consistent_after_every_push() {
    let attrs = Attrs {
        size: Some(5),
        permissions: Some(0o100_644),
        ..Attrs::EMPTY
    };
    let mut buf = BytesMut::from(&b"prev"[..]);
    let mut name = NameEncoder::new(&mut buf, 3);
    assert_eq!(name.packet_len(), 13);
    for i in 0..3u8 {
        let before = name.packet_len();
        let entry = NameEncoder::entry_len(&[b'f', i], b"long", &attrs);
        name.push(&[b'f', i], b"long", &attrs);
        assert_eq!(name.packet_len(), before + entry);
        assert_eq!(name.count(), u32::from(i) + 1);
    }
    let mut wire = buf.freeze().split_off(4);
    let mut r = packet(&mut wire, t::NAME);
    assert_eq!(r.u32("id").unwrap(), 3);
    assert_eq!(r.u32("count").unwrap(), 3);
    for i in 0..3u8 {
        assert_eq!(&r.string("filename").unwrap()[..], &[b'f', i]);
        assert_eq!(&r.string("longname").unwrap()[..], b"long");
        assert_eq!(Attrs::decode(&mut r).unwrap(), attrs);
    }
    assert!(r.is_empty() && wire.is_empty());
}

#[test]
fn realpath_reply_and_empty_name() {
    let mut buf = BytesMut::new();
    encode_path_name(&mut buf, 4, b"/home/u");
    encode_name(&mut buf, 5, []);
    let mut wire = buf.freeze();
    let mut r = packet(&mut wire, t::NAME);
    assert_eq!((r.u32("id").unwrap(), r.u32("n").unwrap()), (4, 1));
    assert_eq!(&r.string("f").unwrap()[..], b"/home/u");
    assert_eq!(&r.string("l").unwrap()[..], b"/home/u");
    assert_eq!(Attrs::decode(&mut r).unwrap(), Attrs::EMPTY);
    let mut r = packet(&mut wire, t::NAME);
    assert_eq!((r.u32("id").unwrap(), r.u32("n").unwrap()), (5, 0));
    assert!(r.is_empty() && wire.is_empty());
}

#[test]
fn attrs_reply() {
    let attrs = Attrs {
        size: Some(1),
        uid_gid: Some((2, 3)),
        permissions: Some(0o40_755),
        atime_mtime: Some((4, 5)),
        extended: None,
    };
    let mut buf = BytesMut::new();
    encode_attrs(&mut buf, 6, &attrs);
    let mut wire = buf.freeze();
    let mut r = packet(&mut wire, t::ATTRS);
    assert_eq!(r.u32("id").unwrap(), 6);
    assert_eq!(Attrs::decode(&mut r).unwrap(), attrs);
    assert_eq!(attrs.file_type(), Some(FileType::Directory));
}

#[test]
fn extended_replies() {
    let mut buf = BytesMut::new();
    let statvfs = StatVfs {
        bsize: 1,
        frsize: 2,
        blocks: 3,
        bfree: 4,
        bavail: 5,
        files: 6,
        ffree: 7,
        favail: 8,
        fsid: 9,
        flag: StatVfs::RDONLY,
        namemax: 255,
    };
    encode_statvfs_reply(&mut buf, 1, &statvfs);
    encode_limits_reply(&mut buf, 2, &Limits::default());
    encode_check_file_reply(&mut buf, 3, "md5", &[0xaa; 32]);
    encode_users_groups_reply(&mut buf, 4, &[b"root", b""], &[b"wheel"]);
    encode_extended_reply(&mut buf, 5, b"raw");
    let mut wire = buf.freeze();

    let mut r = packet(&mut wire, t::EXTENDED_REPLY);
    assert_eq!(r.u32("id").unwrap(), 1);
    let fields: Vec<u64> = (0..11).map(|_| r.u64("f").unwrap()).collect();
    assert_eq!(fields, [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 255]);
    assert!(r.is_empty());

    let mut r = packet(&mut wire, t::EXTENDED_REPLY);
    assert_eq!(r.u32("id").unwrap(), 2);
    let limits: Vec<u64> = (0..4).map(|_| r.u64("l").unwrap()).collect();
    assert_eq!(limits, [262_144, 261_120, 261_120, 0]);

    let mut r = packet(&mut wire, t::EXTENDED_REPLY);
    assert_eq!(r.u32("id").unwrap(), 3);
    assert_eq!(&r.string("ext").unwrap()[..], b"check-file");
    assert_eq!(&r.string("alg").unwrap()[..], b"md5");
    assert_eq!(&r.rest()[..], &[0xaa; 32]);

    let mut r = packet(&mut wire, t::EXTENDED_REPLY);
    assert_eq!(r.u32("id").unwrap(), 4);
    let mut users = Reader::new(r.string("users").unwrap());
    assert_eq!(&users.string("u0").unwrap()[..], b"root");
    assert_eq!(&users.string("u1").unwrap()[..], b"");
    assert!(users.is_empty());
    let mut groups = Reader::new(r.string("groups").unwrap());
    assert_eq!(&groups.string("g0").unwrap()[..], b"wheel");
    assert!(groups.is_empty() && r.is_empty());

    let mut r = packet(&mut wire, t::EXTENDED_REPLY);
    assert_eq!(r.u32("id").unwrap(), 5);
    assert_eq!(&r.rest()[..], b"raw");
    assert!(wire.is_empty());
}
