//! The sans-IO core of the legacy scp protocol (`scp -t` / `scp -f`, what OpenSSH's `scp -O` speaks).
//!
//! Control messages are lines: `C<mode> <size> <name>` (a file follows, then one status byte),
//! `D<mode> 0 <name>` (enter a directory), `E` (leave it), `T<mtime> <usec> <atime> <usec>` (times of the
//! next entry). Every message is answered by a status: `\0` (ok), `\1<message>\n` (error, go on) or
//! `\2<message>\n` (fatal). This module turns bytes into typed events and checks everything a peer sends
//! (numbers, names, line lengths); it never panics and does no IO. The driver is in `scp.rs`.

use bytes::{Bytes, BytesMut};

/// The longest control or status line accepted (OpenSSH's own limit is 2048 for the header).
pub(crate) const MAX_LINE: usize = 8192;
/// The largest size or time accepted (`off_t` / `time_t` are signed 64-bit).
const MAX_NUMBER: u64 = i64::MAX as u64;

/// A protocol violation: the session ends with a fatal status carrying this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ProtoError(pub(crate) &'static str);

/// One control message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Control {
    /// Times of the next file or directory, in seconds since the epoch.
    Time { mtime: u64, atime: u64 },
    /// A file of `size` bytes follows.
    File { mode: u32, size: u64, name: String },
    /// Enter a directory.
    Dir { mode: u32, name: String },
    /// Leave the current directory.
    End,
}

/// What the receiving side (`scp -t`) gets from the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SinkEvent {
    /// A control message.
    Control(Control),
    /// Bytes of the current file.
    Data(Bytes),
    /// The status after a file's bytes: `None` when the sender read it whole, else its error.
    DataEnd(Option<String>),
    /// The peer reports an error and goes on (`\1`).
    Warning(String),
    /// The peer gives up (`\2`).
    Fatal(String),
}

/// A status from the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ack {
    Ok,
    Warning(String),
    Fatal(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Control,
    Data { left: u64 },
    DataStatus,
}

/// Parses what the sending peer writes to a sink.
#[derive(Debug)]
pub(crate) struct SinkParser {
    state: State,
}

impl Default for SinkParser {
    fn default() -> Self {
        Self {
            state: State::Control,
        }
    }
}

impl SinkParser {
    /// The next event at the front of `buf`, consuming its bytes; `Ok(None)` when more input is needed.
    ///
    /// # Errors
    /// A malformed message.
    pub(crate) fn next(&mut self, buf: &mut BytesMut) -> Result<Option<SinkEvent>, ProtoError> {
        match self.state {
            State::Control => {
                let Some(line) = take_line(buf)? else {
                    return Ok(None);
                };
                if let Some(status) = status_line(&line) {
                    return Ok(Some(status));
                }
                let control = parse_control(&line)?;
                if let Control::File { size, .. } = control {
                    self.state = if size == 0 {
                        State::DataStatus
                    } else {
                        State::Data { left: size }
                    };
                }
                Ok(Some(SinkEvent::Control(control)))
            }
            State::Data { left } => {
                if buf.is_empty() {
                    return Ok(None);
                }
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                let left = left - n as u64;
                self.state = if left == 0 {
                    State::DataStatus
                } else {
                    State::Data { left }
                };
                Ok(Some(SinkEvent::Data(buf.split_to(n).freeze())))
            }
            State::DataStatus => match buf.first() {
                None => Ok(None),
                Some(0) => {
                    let _ = buf.split_to(1);
                    self.state = State::Control;
                    Ok(Some(SinkEvent::DataEnd(None)))
                }
                Some(1 | 2) => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(None);
                    };
                    self.state = State::Control;
                    Ok(Some(SinkEvent::DataEnd(Some(text(&line[1..])))))
                }
                Some(_) => Err(ProtoError("bad status after file data")),
            },
        }
    }

    /// The file just announced was refused (a `\1` answer): its bytes will not come.
    pub(crate) fn skip_file(&mut self) {
        self.state = State::Control;
    }
}

/// Parses one status at the front of `buf` (what a sink answers a source).
///
/// # Errors
/// A byte other than 0, 1 or 2, or an overlong message.
pub(crate) fn next_ack(buf: &mut BytesMut) -> Result<Option<Ack>, ProtoError> {
    match buf.first() {
        None => Ok(None),
        Some(0) => {
            let _ = buf.split_to(1);
            Ok(Some(Ack::Ok))
        }
        Some(1 | 2) => {
            let Some(line) = take_line(buf)? else {
                return Ok(None);
            };
            let msg = text(&line[1..]);
            Ok(Some(if line[0] == 1 {
                Ack::Warning(msg)
            } else {
                Ack::Fatal(msg)
            }))
        }
        Some(_) => Err(ProtoError("unexpected answer from the client")),
    }
}

/// Splits off one line without its `\n`.
fn take_line(buf: &mut BytesMut) -> Result<Option<BytesMut>, ProtoError> {
    match buf.iter().position(|&b| b == b'\n') {
        Some(pos) if pos <= MAX_LINE => {
            let mut line = buf.split_to(pos + 1);
            line.truncate(pos);
            Ok(Some(line))
        }
        Some(_) => Err(ProtoError("control line too long")),
        None if buf.len() > MAX_LINE => Err(ProtoError("control line too long")),
        None => Ok(None),
    }
}

fn status_line(line: &[u8]) -> Option<SinkEvent> {
    match line.first() {
        Some(1) => Some(SinkEvent::Warning(text(&line[1..]))),
        Some(2) => Some(SinkEvent::Fatal(text(&line[1..]))),
        _ => None,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parses a control line (without its newline).
///
/// # Errors
/// Unknown type, bad numbers (negative, too large, missing), bad mode, or a name that is empty, `.`, `..`,
/// holds a `/` or a NUL, or is not UTF-8.
pub(crate) fn parse_control(line: &[u8]) -> Result<Control, ProtoError> {
    let Some((&kind, rest)) = line.split_first() else {
        return Err(ProtoError("empty control line"));
    };
    match kind {
        b'E' if rest.is_empty() => Ok(Control::End),
        b'E' => Err(ProtoError("unexpected text after E")),
        b'T' => {
            let mut it = rest.split(|&b| b == b' ');
            let mtime = number(it.next(), "bad mtime")?;
            let mtime_usec = number(it.next(), "bad mtime")?;
            let atime = number(it.next(), "bad atime")?;
            let atime_usec = number(it.next(), "bad atime")?;
            if it.next().is_some() || mtime_usec > 999_999 || atime_usec > 999_999 {
                return Err(ProtoError("bad time message"));
            }
            Ok(Control::Time { mtime, atime })
        }
        b'C' | b'D' => {
            let mut it = rest.splitn(3, |&b| b == b' ');
            let mode = mode(it.next())?;
            let size = number(it.next(), "bad size")?;
            let name = name(it.next())?;
            if kind == b'C' {
                Ok(Control::File { mode, size, name })
            } else {
                Ok(Control::Dir { mode, name })
            }
        }
        _ => Err(ProtoError("unknown control message")),
    }
}

fn number(field: Option<&[u8]>, what: &'static str) -> Result<u64, ProtoError> {
    let f = field.ok_or(ProtoError(what))?;
    if f.is_empty() || f.len() > 19 || !f.iter().all(u8::is_ascii_digit) {
        return Err(ProtoError(what));
    }
    let n = f
        .iter()
        .try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or(ProtoError(what))?;
    if n > MAX_NUMBER {
        return Err(ProtoError(what));
    }
    Ok(n)
}

fn mode(field: Option<&[u8]>) -> Result<u32, ProtoError> {
    let f = field.ok_or(ProtoError("bad mode"))?;
    if f.is_empty() || f.len() > 5 || !f.iter().all(|d| (b'0'..=b'7').contains(d)) {
        return Err(ProtoError("bad mode"));
    }
    let m = f.iter().fold(0u32, |m, &d| (m << 3) | u32::from(d - b'0'));
    if m > 0o7777 {
        return Err(ProtoError("bad mode"));
    }
    Ok(m)
}

fn name(field: Option<&[u8]>) -> Result<String, ProtoError> {
    let f = field.ok_or(ProtoError("missing file name"))?;
    let s = std::str::from_utf8(f).map_err(|_| ProtoError("file name is not UTF-8"))?;
    if s.is_empty() || s == "." || s == ".." || s.contains('/') || s.contains('\0') {
        return Err(ProtoError("unexpected file name"));
    }
    Ok(s.to_owned())
}

/// `T<mtime> 0 <atime> 0\n`.
pub(crate) fn time_line(mtime: u64, atime: u64) -> String {
    format!("T{mtime} 0 {atime} 0\n")
}

/// `C<mode> <size> <name>\n`, or `None` for a name the protocol cannot carry (a newline in it).
pub(crate) fn file_line(mode: u32, size: u64, name: &str) -> Option<String> {
    (!name.contains('\n')).then(|| format!("C{:04o} {size} {name}\n", mode & 0o7777))
}

/// `D<mode> 0 <name>\n`, or `None` for a name with a newline.
pub(crate) fn dir_line(mode: u32, name: &str) -> Option<String> {
    (!name.contains('\n')).then(|| format!("D{:04o} 0 {name}\n", mode & 0o7777))
}

/// An error status: `\1scp: <msg>\n` or, when fatal, `\2...`. Newlines in `msg` are replaced.
pub(crate) fn error_line(fatal: bool, msg: &str) -> Vec<u8> {
    let mut out = vec![if fatal { 2 } else { 1 }];
    out.extend_from_slice(b"scp: ");
    out.extend(msg.bytes().map(|b| if b == b'\n' { b' ' } else { b }));
    out.push(b'\n');
    out
}

/// Which way an scp exec goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `-t`: the client uploads to us.
    Sink,
    /// `-f`: the client downloads from us.
    Source,
}

/// The arguments of `scp -t`/`scp -f`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScpArgs {
    pub(crate) direction: Direction,
    pub(crate) recursive: bool,
    pub(crate) preserve: bool,
    /// `-d`: the target must be a directory.
    pub(crate) target_dir: bool,
    pub(crate) paths: Vec<String>,
}

/// Parses the words after `scp`.
///
/// # Errors
/// A message for the client: unknown option, neither or both of `-t`/`-f`, wrong number of paths.
pub(crate) fn parse_args(words: &[String]) -> Result<ScpArgs, String> {
    let (mut to, mut from, mut recursive, mut preserve, mut target_dir) =
        (false, false, false, false, false);
    let mut paths = Vec::new();
    let mut options = true;
    for w in words {
        if options && w == "--" {
            options = false;
        } else if options && w.len() > 1 && w.starts_with('-') {
            for c in w.chars().skip(1) {
                match c {
                    't' => to = true,
                    'f' => from = true,
                    'r' => recursive = true,
                    'p' => preserve = true,
                    'd' => target_dir = true,
                    'v' | 'q' => {}
                    other => return Err(format!("unsupported option -{other}")),
                }
            }
        } else {
            options = false;
            paths.push(w.clone());
        }
    }
    let direction = match (to, from) {
        (true, false) => Direction::Sink,
        (false, true) => Direction::Source,
        _ => return Err("exactly one of -t and -f is required".to_owned()),
    };
    match (direction, paths.len()) {
        (_, 0) => return Err("missing path".to_owned()),
        (Direction::Sink, n) if n > 1 => return Err("one target path expected".to_owned()),
        _ => {}
    }
    Ok(ScpArgs {
        direction,
        recursive,
        preserve,
        target_dir,
        paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(input: &[u8]) -> Result<Vec<SinkEvent>, ProtoError> {
        let mut p = SinkParser::default();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(e) = p.next(&mut buf)? {
            out.push(e);
        }
        Ok(out)
    }

    #[test]
    fn a_file_with_times_and_a_directory() {
        let ev = events(
            b"T1700000000 0 1700000001 0\nC0640 5 a.txt\nhello\0D0755 0 sub\nC0600 0 e\n\0E\n",
        )
        .unwrap();
        assert_eq!(
            ev,
            vec![
                SinkEvent::Control(Control::Time {
                    mtime: 1_700_000_000,
                    atime: 1_700_000_001
                }),
                SinkEvent::Control(Control::File {
                    mode: 0o640,
                    size: 5,
                    name: "a.txt".into()
                }),
                SinkEvent::Data(Bytes::from_static(b"hello")),
                SinkEvent::DataEnd(None),
                SinkEvent::Control(Control::Dir {
                    mode: 0o755,
                    name: "sub".into()
                }),
                SinkEvent::Control(Control::File {
                    mode: 0o600,
                    size: 0,
                    name: "e".into()
                }),
                SinkEvent::DataEnd(None),
                SinkEvent::Control(Control::End),
            ]
        );
    }

    #[test]
    fn input_split_anywhere_gives_the_same_events() {
        let input: &[u8] = b"C0644 10 name with spaces\n0123456789\x01read error\nE\n";
        let whole = events(input).unwrap();
        for cut in 0..input.len() {
            let mut p = SinkParser::default();
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            for part in [&input[..cut], &input[cut..]] {
                buf.extend_from_slice(part);
                while let Some(e) = p.next(&mut buf).unwrap() {
                    got.push(e);
                }
            }
            // Data may arrive in two pieces: compare with the pieces joined.
            let mut joined: Vec<SinkEvent> = Vec::new();
            for e in got {
                if let (Some(SinkEvent::Data(prev)), SinkEvent::Data(more)) = (joined.last(), &e) {
                    let mut b = BytesMut::from(&prev[..]);
                    b.extend_from_slice(more);
                    *joined.last_mut().unwrap() = SinkEvent::Data(b.freeze());
                } else {
                    joined.push(e);
                }
            }
            assert_eq!(joined, whole, "cut at {cut}");
        }
        assert_eq!(whole[2], SinkEvent::DataEnd(Some("read error".into())));
    }

    #[test]
    fn hostile_input_is_refused() {
        for bad in [
            &b"C0644 99999999999999999999999 x\n"[..],
            b"C0644 9223372036854775808 x\n",
            b"C0644 -1 x\n",
            b"C0644 1 a/b\n",
            b"C0644 1 ..\n",
            b"C0644 1 .\n",
            b"C0644 1 \n",
            b"C0644 1\n",
            b"C0644  1 x\n",
            b"C99999 1 x\n",
            b"C0648 1 x\n",
            b"C-644 1 x\n",
            b"C77777 1 x\n",
            b"D0755 0 ../x\n",
            b"T-1 0 0 0\n",
            b"T1 0 1\n",
            b"T1 1000000 1 0\n",
            b"T1 0 1 0 9\n",
            b"Ex\n",
            b"X\n",
            b"\n",
            b"C0644 1 \xff\n",
        ] {
            assert!(events(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        // A missing newline waits, then fails once past the limit.
        assert_eq!(events(b"C0644 1 x").unwrap(), vec![]);
        let long = vec![b'C'; MAX_LINE + 2];
        assert_eq!(events(&long), Err(ProtoError("control line too long")));
        // A bad status byte after data.
        assert!(events(b"C0644 1 x\nz9").is_err());
        // The largest legal size is accepted (the storage limits it later).
        assert!(events(b"C0644 9223372036854775807 x\n").is_ok());
    }

    #[test]
    fn peer_statuses() {
        assert_eq!(
            events(b"\x01scp: nope\n\x02boom\n").unwrap(),
            vec![
                SinkEvent::Warning("scp: nope".into()),
                SinkEvent::Fatal("boom".into())
            ]
        );
        let mut buf = BytesMut::from(&b"\0\x01bad\n\x02worse\n\x01partial"[..]);
        assert_eq!(next_ack(&mut buf), Ok(Some(Ack::Ok)));
        assert_eq!(next_ack(&mut buf), Ok(Some(Ack::Warning("bad".into()))));
        assert_eq!(next_ack(&mut buf), Ok(Some(Ack::Fatal("worse".into()))));
        assert_eq!(next_ack(&mut buf), Ok(None));
        assert!(next_ack(&mut BytesMut::from(&b"x"[..])).is_err());
    }

    #[test]
    fn refused_files_skip_their_data_state() {
        let mut p = SinkParser::default();
        let mut buf = BytesMut::from(&b"C0644 100 x\nE\n"[..]);
        assert!(matches!(p.next(&mut buf), Ok(Some(SinkEvent::Control(_)))));
        p.skip_file();
        assert_eq!(p.next(&mut buf), Ok(Some(SinkEvent::Control(Control::End))));
    }

    #[test]
    fn encoders() {
        assert_eq!(time_line(5, 6), "T5 0 6 0\n");
        assert_eq!(file_line(0o100644, 3, "a b").unwrap(), "C0644 3 a b\n");
        assert_eq!(dir_line(0o755, "d").unwrap(), "D0755 0 d\n");
        assert!(file_line(0o644, 1, "a\nb").is_none());
        assert_eq!(error_line(false, "x\ny"), b"\x01scp: x y\n");
        assert_eq!(error_line(true, "z")[0], 2);
    }

    #[test]
    fn arguments() {
        let w = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let a = parse_args(&w("-r -p -d -t -- /x")).unwrap();
        assert_eq!(a.direction, Direction::Sink);
        assert!(a.recursive && a.preserve && a.target_dir);
        assert_eq!(a.paths, ["/x"]);
        let a = parse_args(&w("-prf a b")).unwrap();
        assert_eq!(a.direction, Direction::Source);
        assert_eq!(a.paths, ["a", "b"]);
        assert_eq!(parse_args(&w("-t -- -odd")).unwrap().paths, ["-odd"]);
        for bad in ["-t", "-t -f x", "x", "-t a b", "-tZ x", "-S prog -t x"] {
            assert!(parse_args(&w(bad)).is_err(), "{bad}");
        }
    }
}
