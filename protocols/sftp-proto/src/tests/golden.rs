//! Golden packets, byte for byte as the OpenSSH sftp client (sftp-client.c) sends them.

use bytes::Bytes;

use crate::{Attrs, CheckTarget, Framer, OpenFlags, Request, parse};

/// Frames `wire` (which must be exactly one packet) and parses it.
fn parse_framed(wire: &[u8]) -> Request {
    let mut framer = Framer::new();
    framer.push(wire);
    let packet = framer.next_packet().unwrap().expect("one whole packet");
    assert_eq!(framer.buffered(), 0);
    parse(packet).unwrap()
}

#[test]
fn init_v3_without_extensions() {
    // do_init(): SSH2_FXP_INIT, SSH2_FILEXFER_VERSION; the client sends no extension pairs.
    let wire = [0, 0, 0, 5, 1, 0, 0, 0, 3];
    let Request::Init {
        version,
        extensions,
    } = parse_framed(&wire)
    else {
        panic!("not INIT");
    };
    assert_eq!(version, 3);
    assert!(extensions.is_empty());
}

#[test]
fn open_for_reading_with_empty_attrs() {
    // `get /tmp/f`: OPEN id 5, path, SSH2_FXF_READ, attrs with flags 0.
    #[rustfmt::skip]
    let wire = [
        0, 0, 0, 0x17, 3, 0, 0, 0, 5,
        0, 0, 0, 6, b'/', b't', b'm', b'p', b'/', b'f',
        0, 0, 0, 1,
        0, 0, 0, 0,
    ];
    assert_eq!(
        parse_framed(&wire),
        Request::Open {
            id: 5,
            path: Bytes::from_static(b"/tmp/f"),
            pflags: OpenFlags(OpenFlags::READ),
            attrs: Attrs::EMPTY,
        }
    );
}

#[test]
fn write_of_32_kib() {
    // `put`: WRITE id 7 on OpenSSH's 4-byte handle "\0\0\0\0", offset 64 KiB, 32 KiB of data (the
    // client's default request size when the server sends no limits).
    #[rustfmt::skip]
    let mut wire = vec![
        0, 0, 0x80, 0x19, 6, 0, 0, 0, 7,
        0, 0, 0, 4, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 1, 0, 0,
        0, 0, 0x80, 0,
    ];
    let header_len = wire.len();
    wire.extend((0..32_768u32).map(|i| (i % 251) as u8));
    let mut framer = Framer::new();
    framer.push(&wire);
    let packet = framer.next_packet().unwrap().unwrap();
    let packet_start = packet.as_ptr() as usize;
    let Request::Write {
        id,
        handle,
        offset,
        data,
    } = parse(packet).unwrap()
    else {
        panic!("not WRITE");
    };
    assert_eq!((id, &handle[..], offset), (7, &[0u8, 0, 0, 0][..], 65_536));
    assert_eq!(&data[..], &wire[header_len..]);
    // The payload is the packet's own bytes: 4 bytes of length prefix were stripped by the framer.
    assert_eq!(data.as_ptr() as usize, packet_start + header_len - 4);
}

#[test]
fn limits_request() {
    // Sent right after VERSION when the server advertises limits@openssh.com.
    let mut wire = vec![0, 0, 0, 0x1b, 200, 0, 0, 0, 1, 0, 0, 0, 18];
    wire.extend_from_slice(b"limits@openssh.com");
    assert_eq!(parse_framed(&wire), Request::Limits { id: 1 });
}

#[test]
fn symlink_in_openssh_order() {
    // `ln -s target link` sends SYMLINK with the target first, the new link second.
    #[rustfmt::skip]
    let wire = [
        0, 0, 0, 0x13, 20, 0, 0, 0, 9,
        0, 0, 0, 3, b't', b'g', b't',
        0, 0, 0, 3, b'l', b'n', b'k',
    ];
    assert_eq!(
        parse_framed(&wire),
        Request::Symlink {
            id: 9,
            target: Bytes::from_static(b"tgt"),
            link_path: Bytes::from_static(b"lnk"),
        }
    );
}

#[test]
fn check_file_name_request() {
    // draft-ietf-secsh-filexfer-extensions-00 §3: name, path, algorithm list, start, length, block size.
    let mut wire = vec![0, 0, 0, 0];
    wire.extend_from_slice(&[200, 0, 0, 0, 3, 0, 0, 0, 15]);
    wire.extend_from_slice(b"check-file-name");
    wire.extend_from_slice(&[0, 0, 0, 2, b'/', b'f', 0, 0, 0, 3, b'm', b'd', b'5']);
    wire.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let len = u32::try_from(wire.len() - 4).unwrap();
    wire[..4].copy_from_slice(&len.to_be_bytes());
    assert_eq!(
        parse_framed(&wire),
        Request::CheckFile {
            id: 3,
            target: CheckTarget::Name(Bytes::from_static(b"/f")),
            algorithms: Bytes::from_static(b"md5"),
            start: 0,
            length: 0,
            block_size: 0,
        }
    );
}
