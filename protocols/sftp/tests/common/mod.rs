//! Test harness: an in-memory reply sink, a client-side request encoder, a reply decoder, and a temporary
//! local-backend VFS in either I/O mode.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use ringway_backend_local::LocalBackend;
use ringway_core::{Permissions, UserView, VirtualPath};
use ringway_sftp::{ReplySink, SessionConfig, SftpSession, SinkClosed};
use ringway_sftp_proto::{Attrs, Reader, put_string, put_u32, put_u64};
use ringway_uring::{Io, IoConfig, IoMode};
use ringway_vfs::{Mount, UploadMode, Vfs, VfsOptions};
use tempfile::TempDir;
use tokio::sync::{Notify, Semaphore};

pub const MODES: [IoMode; 2] = [IoMode::Uring, IoMode::ThreadPool];

/// Collects reply packets; optionally slow (a sleep per packet) or gated (blocks until opened).
pub struct Sink {
    pub packets: Mutex<Vec<Bytes>>,
    notify: Notify,
    delay: Option<Duration>,
    gate: Semaphore,
}

impl Sink {
    pub fn new() -> Arc<Self> {
        Self::build(None, true)
    }

    pub fn slow(delay: Duration) -> Arc<Self> {
        Self::build(Some(delay), true)
    }

    /// Blocks every send until [`Sink::open`].
    pub fn gated() -> Arc<Self> {
        Self::build(None, false)
    }

    fn build(delay: Option<Duration>, open: bool) -> Arc<Self> {
        let gate = Semaphore::new(0);
        if open {
            gate.close();
        }
        Arc::new(Self {
            packets: Mutex::new(Vec::new()),
            notify: Notify::new(),
            delay,
            gate,
        })
    }

    pub fn open(&self) {
        self.gate.close();
    }

    pub fn take(&self) -> Vec<Bytes> {
        std::mem::take(&mut *self.packets.lock().unwrap())
    }

    pub fn len(&self) -> usize {
        self.packets.lock().unwrap().len()
    }

    /// Waits until at least `n` packets arrived.
    pub async fn wait_for(&self, n: usize) {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let notified = self.notify.notified();
                if self.len() >= n {
                    return;
                }
                notified.await;
            }
        })
        .await
        .expect("replies within 30 s");
    }
}

impl ReplySink for Sink {
    fn send(
        &self,
        packet: Bytes,
    ) -> Pin<Box<dyn Future<Output = Result<(), SinkClosed>> + Send + '_>> {
        Box::pin(async move {
            // A closed semaphore means "open": acquire fails immediately.
            let _ = self.gate.acquire().await;
            if let Some(d) = self.delay {
                tokio::time::sleep(d).await;
            }
            self.packets.lock().unwrap().push(packet);
            self.notify.notify_waiters();
            Ok(())
        })
    }
}

// ------------------------------------------------------------------------------------------------
// Requests
// ------------------------------------------------------------------------------------------------

/// One request packet: type, then the fields appended by the builder; `finish` adds the length.
pub struct Pkt(BytesMut);

impl Pkt {
    pub fn new(kind: u8, id: u32) -> Self {
        let mut b = BytesMut::new();
        b.put_u8(kind);
        put_u32(&mut b, id);
        Self(b)
    }

    pub fn ext(id: u32, name: &str) -> Self {
        Self::new(200, id).s(name)
    }

    pub fn s(mut self, s: impl AsRef<[u8]>) -> Self {
        put_string(&mut self.0, s.as_ref());
        self
    }

    pub fn u32(mut self, v: u32) -> Self {
        put_u32(&mut self.0, v);
        self
    }

    pub fn u64(mut self, v: u64) -> Self {
        put_u64(&mut self.0, v);
        self
    }

    pub fn attrs(mut self, a: &Attrs) -> Self {
        a.encode(&mut self.0);
        self
    }

    pub fn raw(mut self, b: &[u8]) -> Self {
        self.0.put_slice(b);
        self
    }

    pub fn finish(self) -> Vec<u8> {
        let mut v = u32::try_from(self.0.len()).unwrap().to_be_bytes().to_vec();
        v.extend_from_slice(&self.0);
        v
    }
}

pub fn init() -> Vec<u8> {
    let mut b = vec![0, 0, 0, 5, 1];
    b.extend_from_slice(&3u32.to_be_bytes());
    b
}

pub const READ: u32 = 1;
pub const WRITE: u32 = 2;
pub const APPEND: u32 = 4;
pub const CREAT: u32 = 8;
pub const TRUNC: u32 = 0x10;
pub const EXCL: u32 = 0x20;

pub fn open(id: u32, path: &str, flags: u32) -> Vec<u8> {
    Pkt::new(3, id)
        .s(path)
        .u32(flags)
        .attrs(&Attrs::EMPTY)
        .finish()
}
pub fn close(id: u32, h: &[u8]) -> Vec<u8> {
    Pkt::new(4, id).s(h).finish()
}
pub fn read(id: u32, h: &[u8], off: u64, len: u32) -> Vec<u8> {
    Pkt::new(5, id).s(h).u64(off).u32(len).finish()
}
pub fn write(id: u32, h: &[u8], off: u64, data: &[u8]) -> Vec<u8> {
    Pkt::new(6, id).s(h).u64(off).s(data).finish()
}
pub fn path_req(kind: u8, id: u32, path: &str) -> Vec<u8> {
    Pkt::new(kind, id).s(path).finish()
}
pub fn handle_req(kind: u8, id: u32, h: &[u8]) -> Vec<u8> {
    Pkt::new(kind, id).s(h).finish()
}

// ------------------------------------------------------------------------------------------------
// Replies
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Version(u32, Vec<(String, String)>),
    Status(u32, u32, String),
    Handle(u32, Bytes),
    Data(u32, Bytes),
    Name(u32, Vec<(String, String, Attrs)>),
    Attrs(u32, Attrs),
    Extended(u32, Bytes),
}

impl Reply {
    pub fn id(&self) -> u32 {
        match self {
            Self::Version(..) => u32::MAX,
            Self::Status(id, ..)
            | Self::Handle(id, _)
            | Self::Data(id, _)
            | Self::Name(id, _)
            | Self::Attrs(id, _)
            | Self::Extended(id, _) => *id,
        }
    }

    pub fn status(&self) -> u32 {
        match self {
            Self::Status(_, code, _) => *code,
            other => panic!("expected a status, got {other:?}"),
        }
    }

    pub fn handle(&self) -> Bytes {
        match self {
            Self::Handle(_, h) => h.clone(),
            other => panic!("expected a handle, got {other:?}"),
        }
    }
}

pub fn decode(packet: &Bytes) -> Reply {
    let len = u32::from_be_bytes(packet[..4].try_into().unwrap()) as usize;
    assert_eq!(len + 4, packet.len(), "one whole packet per send");
    let mut r = Reader::new(packet.slice(4..));
    let kind = r.u8("type").unwrap();
    if kind == 2 {
        let v = r.u32("version").unwrap();
        let mut ext = Vec::new();
        while !r.is_empty() {
            let n = r.string("n").unwrap();
            let d = r.string("d").unwrap();
            ext.push((
                String::from_utf8(n.to_vec()).unwrap(),
                String::from_utf8(d.to_vec()).unwrap(),
            ));
        }
        return Reply::Version(v, ext);
    }
    let id = r.u32("id").unwrap();
    match kind {
        101 => {
            let code = r.u32("code").unwrap();
            let msg = r.string("msg").unwrap();
            Reply::Status(id, code, String::from_utf8(msg.to_vec()).unwrap())
        }
        102 => Reply::Handle(id, r.string("h").unwrap()),
        103 => Reply::Data(id, r.string("d").unwrap()),
        104 => {
            let n = r.u32("count").unwrap();
            let mut v = Vec::new();
            for _ in 0..n {
                let f = r.string("f").unwrap();
                let l = r.string("l").unwrap();
                let a = Attrs::decode(&mut r).unwrap();
                v.push((
                    String::from_utf8(f.to_vec()).unwrap(),
                    String::from_utf8(l.to_vec()).unwrap(),
                    a,
                ));
            }
            Reply::Name(id, v)
        }
        105 => Reply::Attrs(id, Attrs::decode(&mut r).unwrap()),
        201 => Reply::Extended(id, r.rest()),
        other => panic!("unexpected reply type {other}"),
    }
}

// ------------------------------------------------------------------------------------------------
// Fixture
// ------------------------------------------------------------------------------------------------

pub struct Fx {
    pub tmp: TempDir,
    pub home: PathBuf,
    pub outside: PathBuf,
    pub io: Io,
}

impl Fx {
    pub fn new(mode: IoMode) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&home).unwrap();
        std::fs::create_dir(&outside).unwrap();
        let io = Io::new(mode, IoConfig::default()).expect("I/O engine");
        Self {
            tmp,
            home,
            outside,
            io,
        }
    }

    pub async fn vfs(&self, perms: &[(&str, &[&str])], upload_mode: UploadMode) -> Vfs {
        let backend = LocalBackend::open(self.io.clone(), &self.home, true)
            .await
            .unwrap();
        let user = UserView {
            username: "alice".to_owned(),
            home_dir: self.home.clone(),
            permissions: Permissions::from_entries(
                perms.iter().map(|(p, n)| (*p, n.iter().copied())),
            )
            .unwrap(),
            patterns: ringway_core::FilePatterns::default(),
            max_upload_file_size: 0,
        };
        Vfs::new(
            Arc::new(user),
            vec![Mount {
                path: VirtualPath::root(),
                backend: Arc::new(backend),
            }],
            VfsOptions { upload_mode },
        )
        .unwrap()
    }

    pub fn host(&self, p: &str) -> PathBuf {
        self.home.join(p.trim_start_matches('/'))
    }

    pub fn put(&self, p: &str, data: &[u8]) {
        std::fs::write(self.host(p), data).unwrap();
    }

    pub fn get(&self, p: &str) -> Vec<u8> {
        std::fs::read(self.host(p)).unwrap()
    }

    pub fn names(&self, dir: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.host(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }
}

pub const FULL: &[(&str, &[&str])] = &[("/", &["*"])];

/// A session with its sink, and a request/response helper.
pub struct Client {
    pub session: SftpSession,
    pub sink: Arc<Sink>,
    seen: Vec<Reply>,
}

impl Client {
    /// A session past INIT.
    pub async fn start(vfs: Vfs, sink: Arc<Sink>, config: SessionConfig) -> Self {
        let dyn_sink: Arc<dyn ReplySink> = sink.clone();
        let mut session = SftpSession::new(vfs, dyn_sink, config);
        session.feed(&init()).await.unwrap();
        sink.wait_for(1).await;
        let v = decode(&sink.take()[0]);
        assert!(matches!(v, Reply::Version(3, _)), "{v:?}");
        Self {
            session,
            sink,
            seen: Vec::new(),
        }
    }

    pub async fn full(fx: &Fx) -> Self {
        let vfs = fx.vfs(FULL, UploadMode::Atomic).await;
        Self::start(vfs, Sink::new(), SessionConfig::default()).await
    }

    /// Waits for the reply to `id`.
    pub async fn reply(&mut self, id: u32) -> Reply {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                self.seen.extend(self.sink.take().iter().map(decode));
                if let Some(i) = self.seen.iter().position(|r| r.id() == id) {
                    return self.seen.remove(i);
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no reply to {id}"))
    }

    /// Sends one request and waits for its reply.
    pub async fn call(&mut self, packet: Vec<u8>) -> Reply {
        let id = u32::from_be_bytes(packet[5..9].try_into().unwrap());
        self.session.feed(&packet).await.unwrap();
        self.reply(id).await
    }

    pub async fn status(&mut self, packet: Vec<u8>) -> u32 {
        self.call(packet).await.status()
    }

    pub async fn open(&mut self, path: &str, flags: u32) -> Bytes {
        self.call(open(9999, path, flags)).await.handle()
    }
}

pub const OK: u32 = 0;
pub const EOF: u32 = 1;
pub const NO_SUCH_FILE: u32 = 2;
pub const PERMISSION_DENIED: u32 = 3;
pub const FAILURE: u32 = 4;
pub const BAD_MESSAGE: u32 = 5;
pub const OP_UNSUPPORTED: u32 = 8;
