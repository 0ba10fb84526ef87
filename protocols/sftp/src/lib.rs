//! ringway's SFTP v3 executor: one [`SftpSession`] per SFTP channel, many requests in flight.
//!
//! The session is fed the channel's bytes ([`SftpSession::feed`]), reassembles and parses packets with
//! `ringway-sftp-proto`, and starts every request as its own tokio task on the current runtime; each task runs
//! its operation through the user's [`ringway_vfs::Vfs`] (permissions, patterns, confinement) and sends its
//! reply through the [`ReplySink`] as soon as it completes, so replies leave in completion order. It knows
//! nothing of SSH: the transport plugs in through [`ReplySink`] and the two calls on [`SftpSession`].
//!
//! Invariants (they implement the pipelining rules of ARCHITECTURE.md §2):
//!
//! - **`feed` awaits only the write budget.** A WRITE takes a permit of its payload length from the session's
//!   write budget before its task starts; the task releases it when the disk write completes, *before* its
//!   reply is sent. `feed` never awaits the sink, a lock held across IO, or the read budget, so the transport
//!   loop that calls it cannot deadlock with reply delivery.
//! - **Reads are bounded in the task.** A READ is clamped to 255 KiB (what `limits@openssh.com` advertises) and
//!   to what the file holds, takes that many bytes of the read budget inside its task and releases them only
//!   after `ReplySink::send` returns, so queued DATA replies never exceed the budget.
//! - **Non-write requests are capped, not blocked.** At most [`SessionConfig::max_pending`] non-write requests
//!   run as tasks; READs past that wait in a compact queue (a few dozen bytes each, up to
//!   [`SessionConfig::max_queued_reads`]) and start as running requests finish, because clients pipeline whole
//!   files of READs (paramiko's `get()` sends one per 32 KiB before reading a reply). Past both limits the
//!   session closes ([`SessionError::TooManyRequests`]): blocking would stop the transport from reading window
//!   adjustments.
//! - **Handles are ordered.** A request on a handle takes a read guard on it in `feed`, in packet order; CLOSE
//!   removes the handle and then waits for the guards taken before it, so every operation sent before a CLOSE
//!   finishes before the upload is committed (atomic rename) or the file closed.
//! - **No allocation per packet on the data path** beyond the framer's reassembly buffer and the tokio task:
//!   WRITE payloads are zero-copy slices of the packet; small replies are split off a shared reply arena;
//!   READ data is read straight into a pooled buffer behind a reserved DATA header and sent as one `Bytes`.
//! - **Nothing a peer sends panics**; errors map to status codes in one function, [`status_for`].
#![forbid(unsafe_code)]

mod handles;
mod hash;
mod ops;
mod pool;
mod status;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use ringway_core::StorageError;
use ringway_sftp_proto::{
    FrameError, Framer, Limits, ParseError, Request, SERVER_EXTENSIONS, SFTP_VERSION, StatusCode,
    encode_status, encode_version, parse,
};
use ringway_vfs::Vfs;
use std::collections::{HashMap, VecDeque};

use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

use crate::handles::HandleTable;
pub use crate::status::{status_for, status_of};

/// Where reply packets go (an SSH channel). `send` resolves when the packet is handed to the transport; it may
/// wait (backpressure: the client's window is closed).
pub trait ReplySink: Send + Sync + 'static {
    /// Hands one complete SFTP packet (length prefix included) to the transport.
    ///
    /// # Errors
    /// [`SinkClosed`] when the channel is gone; the session then stops replying.
    fn send(
        &self,
        packet: Bytes,
    ) -> Pin<Box<dyn Future<Output = Result<(), SinkClosed>> + Send + '_>>;
}

/// The channel behind a [`ReplySink`] is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkClosed;

/// Per-session limits. Size the budgets from a global memory budget: worst case a session holds about the
/// reassembly buffer + `write_budget` + `read_budget`.
#[derive(Debug, Clone, Copy)]
pub struct SessionConfig {
    /// Bytes of WRITE payload in flight (received, not yet on disk). Default 4 MiB.
    pub write_budget: usize,
    /// Bytes of READ data read and not yet handed to the transport. Default 4 MiB.
    pub read_budget: usize,
    /// Outstanding non-write requests allowed; one more closes the session. Default 1024: clients pipeline
    /// READs (rclone/pkg/sftp keeps 64 per file in flight beside its other requests, paramiko's prefetch up to
    /// one per 32 KiB of the file), and a waiting READ holds only its task until it gets read budget.
    pub max_pending: usize,
    /// READs waiting for a running slot once `max_pending` requests run; one more closes the session. Default
    /// 262,144 (about 10 MiB): a client prefetching a whole 8 GiB file in 32 KiB READs fits.
    pub max_queued_reads: usize,
    /// Open handles per session; OPEN/OPENDIR past it fail with `FAILURE`. Default 256.
    pub max_handles: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            write_budget: 4 << 20,
            read_budget: 4 << 20,
            max_pending: 1024,
            max_queued_reads: 256 * 1024,
            max_handles: 256,
        }
    }
}

/// Why a session must close. The caller closes the channel.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The byte stream cannot be framed (zero or oversized length).
    #[error("SFTP framing: {0}")]
    Framing(#[from] FrameError),
    /// A packet that cannot be answered (INIT or a request without a readable id).
    #[error("malformed SFTP packet: {0}")]
    Malformed(#[source] ParseError),
    /// A request arrived before INIT.
    #[error("SFTP request before INIT")]
    NotInitialized,
    /// A second INIT.
    #[error("second SFTP INIT")]
    DuplicateInit,
    /// More outstanding non-write requests than allowed (running, plus queued READs).
    #[error("more than {limit} outstanding SFTP requests")]
    TooManyRequests {
        /// [`SessionConfig::max_pending`].
        limit: usize,
    },
    /// The reply sink reported the channel closed.
    #[error("SFTP reply channel closed")]
    SinkClosed,
}

/// Counters of a session, for metrics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// WRITE bytes holding budget now.
    pub write_in_flight: usize,
    /// Highest `write_in_flight` seen.
    pub peak_write_in_flight: usize,
    /// READ bytes holding budget now.
    pub read_in_flight: usize,
    /// Highest `read_in_flight` seen.
    pub peak_read_in_flight: usize,
    /// Non-write requests outstanding.
    pub pending: usize,
    /// Open handles.
    pub open_handles: usize,
}

/// Largest reply arena chunk: small replies are split off it, one allocation per many replies. A session's first
/// chunk is [`ARENA_FIRST`] and each next one doubles up to this, so an idle session holds 2 KiB, not 64.
const ARENA_CHUNK: usize = 64 * 1024;
/// First reply arena chunk of a session.
const ARENA_FIRST: usize = 2 * 1024;
/// Room below which the arena is refilled before encoding a reply.
const ARENA_LOW: usize = 1024;
/// 255 KiB: the largest READ served and WRITE expected (`limits@openssh.com`).
pub(crate) const MAX_IO: usize = 255 * 1024;

/// State shared by the session and its request tasks.
pub(crate) struct Shared {
    pub(crate) vfs: Vfs,
    sink: Arc<dyn ReplySink>,
    pub(crate) config: SessionConfig,
    write_budget: Arc<Semaphore>,
    write_total: u32,
    read_budget: Semaphore,
    read_total: u32,
    peak_write: AtomicUsize,
    peak_read: AtomicUsize,
    pending: AtomicUsize,
    /// READs waiting for a running slot, in arrival order.
    queued_reads: Mutex<VecDeque<QueuedRead>>,
    pub(crate) handles: Mutex<HandleTable>,
    /// The reply arena and the size of its next chunk.
    arena: Mutex<(BytesMut, usize)>,
    /// Read buffers, returned after the transport let go of them.
    pub(crate) pool: pool::ReadPool,
    sink_closed: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

/// Locks a std mutex, ignoring poisoning (no lock here is held across a panic-prone section that leaves
/// broken state).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn permits(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX).max(1)
}

impl Shared {
    /// Encodes one reply into the arena and splits it off as its own `Bytes`.
    pub(crate) fn encode(&self, f: impl FnOnce(&mut BytesMut)) -> Bytes {
        let mut guard = lock(&self.arena);
        let (arena, next) = &mut *guard;
        if arena.capacity() - arena.len() < ARENA_LOW {
            arena.reserve(*next);
            *next = (*next * 2).min(ARENA_CHUNK);
        }
        f(arena);
        arena.split().freeze()
    }

    /// Hands a packet to the sink; a closed sink is remembered so `feed` can end the session.
    pub(crate) async fn send(&self, packet: Bytes) {
        if self.sink.send(packet).await.is_err() {
            self.sink_closed.store(true, Ordering::Relaxed);
        }
    }

    pub(crate) async fn status(&self, id: u32, code: StatusCode, message: &str) {
        let p = self.encode(|b| encode_status(b, id, code, message));
        self.send(p).await;
    }

    pub(crate) async fn ok(&self, id: u32) {
        self.status(id, StatusCode::Ok, StatusCode::Ok.message())
            .await;
    }

    pub(crate) async fn error(&self, id: u32, err: &StorageError) {
        let (code, message) = status_of(err);
        tracing::debug!(id, cause = %err, code = code.code(), "sftp request failed");
        self.status(id, code, message).await;
    }

    pub(crate) async fn invalid_handle(&self, id: u32) {
        self.status(id, StatusCode::Failure, "invalid handle").await;
    }

    /// Takes `n` bytes of the read budget (clamped to the whole budget).
    pub(crate) async fn read_permit(&self, n: usize) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let p = self
            .read_budget
            .acquire_many(permits(n).min(self.read_total))
            .await
            .ok()?;
        let used = (self.read_total as usize).saturating_sub(self.read_budget.available_permits());
        self.peak_read.fetch_max(used, Ordering::Relaxed);
        Some(p)
    }
}

/// A READ waiting for a running slot: its handle guard is taken in packet order, like a running request's.
struct QueuedRead {
    id: u32,
    guard: Option<handles::Guard>,
    offset: u64,
    len: u32,
}

/// Running slots kept for requests other than READ: a client with a long READ queue can still CLOSE, STAT...
const RESERVED_SLOTS: usize = 64;

/// One running request's slot among `max_pending`. A request's task ends with [`PendingGuard::release`], which
/// serves queued READs in the same slot (and task) before giving it back; dropped instead (task aborted with
/// its session), it only gives the slot back.
pub(crate) struct PendingGuard {
    sh: Arc<Shared>,
    armed: bool,
}

impl PendingGuard {
    /// Serves queued READs while there are any, then frees the slot. Popping the last one and freeing the slot
    /// happen under the queue lock, and `dispatch` queues a READ under the same lock only while slots are
    /// taken, so a queued READ always has a running task that will serve it, and every such task is in the
    /// session's `JoinSet` (aborted with it, awaited by `finish`).
    pub(crate) async fn release(mut self) {
        loop {
            let next = {
                let mut queue = lock(&self.sh.queued_reads);
                let next = queue.pop_front();
                if next.is_none() {
                    self.sh.pending.fetch_sub(1, Ordering::AcqRel);
                    self.armed = false;
                }
                next
            };
            match next {
                Some(q) => {
                    ops::file::read(Arc::clone(&self.sh), q.id, q.guard, q.offset, q.len).await
                }
                None => return,
            }
        }
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if self.armed {
            self.sh.pending.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Tells whether a session has work in progress: an open handle or a request still running. A draining server
/// waits for sessions to become idle before closing them.
#[derive(Debug, Clone)]
pub struct ActivityProbe(std::sync::Weak<Shared>);

impl ActivityProbe {
    /// True once the session has ended and been dropped.
    #[must_use]
    pub fn is_gone(&self) -> bool {
        self.0.strong_count() == 0
    }

    /// True while a file or directory is open or a request is being served; false once the session is gone.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        self.0.upgrade().is_some_and(|s| {
            s.pending.load(Ordering::Acquire) > 0
                || !lock(&s.queued_reads).is_empty()
                || lock(&s.handles).len() > 0
        })
    }
}

/// One SFTP session: feed it the channel's bytes, call [`SftpSession::finish`] when the channel ends.
#[derive(Debug)]
pub struct SftpSession {
    framer: Framer,
    initialized: bool,
    shared: Arc<Shared>,
    tasks: JoinSet<()>,
    /// Per handle, the signal that the latest WRITE's reply has been sent. WRITE replies on one handle go out
    /// in request order even though the writes run concurrently: paramiko's pipelined upload waits for its
    /// acknowledgements strictly in order and hangs if one arrives early (OpenSSH's sftp-server is sequential).
    write_order: HashMap<Vec<u8>, oneshot::Receiver<()>>,
}

impl SftpSession {
    /// A session for `vfs` replying through `sink`.
    #[must_use]
    pub fn new(vfs: Vfs, sink: Arc<dyn ReplySink>, config: SessionConfig) -> Self {
        let write_total = permits(config.write_budget.min(Semaphore::MAX_PERMITS));
        let read_total = permits(config.read_budget.min(Semaphore::MAX_PERMITS));
        let shared = Shared {
            vfs,
            sink,
            config,
            write_budget: Arc::new(Semaphore::new(write_total as usize)),
            write_total,
            read_budget: Semaphore::new(read_total as usize),
            read_total,
            peak_write: AtomicUsize::new(0),
            peak_read: AtomicUsize::new(0),
            pending: AtomicUsize::new(0),
            queued_reads: Mutex::new(VecDeque::new()),
            handles: Mutex::new(HandleTable::new(config.max_handles)),
            arena: Mutex::new((BytesMut::new(), ARENA_FIRST)),
            pool: pool::ReadPool::new(config.read_budget),
            sink_closed: AtomicBool::new(false),
        };
        Self {
            framer: Framer::new(),
            initialized: false,
            shared: Arc::new(shared),
            tasks: JoinSet::new(),
            write_order: HashMap::new(),
        }
    }

    /// A probe of whether this session is busy, usable from another task.
    #[must_use]
    pub fn activity(&self) -> ActivityProbe {
        ActivityProbe(Arc::downgrade(&self.shared))
    }

    /// The limits advertised in reply to `limits@openssh.com`.
    #[must_use]
    pub fn limits(&self) -> Limits {
        ops::limits(&self.shared.config)
    }

    /// Current counters.
    #[must_use]
    pub fn stats(&self) -> SessionStats {
        let s = &self.shared;
        SessionStats {
            write_in_flight: (s.write_total as usize)
                .saturating_sub(s.write_budget.available_permits()),
            peak_write_in_flight: s.peak_write.load(Ordering::Relaxed),
            read_in_flight: (s.read_total as usize)
                .saturating_sub(s.read_budget.available_permits()),
            peak_read_in_flight: s.peak_read.load(Ordering::Relaxed),
            pending: s.pending.load(Ordering::Relaxed),
            open_handles: lock(&s.handles).len(),
        }
    }

    /// Feeds bytes received on the channel. Parses packets and starts each request; awaits ONLY the write
    /// budget (released when the disk write completes, before the reply is sent).
    ///
    /// Not cancel-safe: dropping the future while it waits for write budget loses the WRITE being started
    /// (its packet is already out of the framer). Await it to completion, as `Handler::data` does.
    ///
    /// # Errors
    /// When the session must be closed: malformed framing, a packet without an answerable id, a request before
    /// INIT or a second INIT, more than `max_pending` outstanding non-write requests, or a closed sink. The
    /// caller then closes the channel (and still calls [`SftpSession::finish`]).
    pub async fn feed(&mut self, data: &[u8]) -> Result<(), SessionError> {
        while let Some(done) = self.tasks.try_join_next() {
            if let Err(e) = done {
                tracing::error!(cause = %e, "sftp request task failed");
            }
        }
        if self.shared.sink_closed.load(Ordering::Relaxed) {
            return Err(SessionError::SinkClosed);
        }
        self.framer.push(data);
        while let Some(packet) = self.framer.next_packet()? {
            self.dispatch(packet).await?;
        }
        Ok(())
    }

    async fn dispatch(&mut self, packet: Bytes) -> Result<(), SessionError> {
        let request = match parse(packet) {
            Ok(r) => r,
            Err(e) => return self.unparsable(e),
        };
        if let Request::Init { version, .. } = request {
            if self.initialized {
                return Err(SessionError::DuplicateInit);
            }
            self.initialized = true;
            tracing::debug!(client_version = version, "sftp session initialised");
            let sh = self.shared.clone();
            self.tasks.spawn(async move {
                let p = sh.encode(|b| encode_version(b, SFTP_VERSION, SERVER_EXTENSIONS));
                sh.send(p).await;
            });
            return Ok(());
        }
        if !self.initialized {
            return Err(SessionError::NotInitialized);
        }
        if let Request::Write {
            id,
            handle,
            offset,
            data,
        } = request
        {
            let guard = lock(&self.shared.handles).guard(&handle);
            let permit = if data.is_empty() {
                None
            } else {
                let n = permits(data.len()).min(self.shared.write_total);
                let permit = self
                    .shared
                    .write_budget
                    .clone()
                    .acquire_many_owned(n)
                    .await
                    .ok();
                let used = (self.shared.write_total as usize)
                    .saturating_sub(self.shared.write_budget.available_permits());
                self.shared.peak_write.fetch_max(used, Ordering::Relaxed);
                permit
            };
            let (done, next) = oneshot::channel();
            let previous = self.write_order.insert(handle.to_vec(), next);
            let order = ops::file::ReplyOrder { previous, done };
            let sh = self.shared.clone();
            self.tasks
                .spawn(ops::file::write(sh, id, guard, offset, data, permit, order));
            return Ok(());
        }
        if let Request::Close { handle, .. } = &request {
            self.write_order.remove(handle.as_ref());
        }
        if let Request::Read {
            id,
            handle,
            offset,
            len,
        } = &request
        {
            let sh = &self.shared;
            let mut queue = lock(&sh.queued_reads);
            let threshold = sh.config.max_pending.saturating_sub(RESERVED_SLOTS).max(1);
            if !queue.is_empty() || sh.pending.load(Ordering::Acquire) >= threshold {
                if queue.len() >= sh.config.max_queued_reads {
                    return Err(SessionError::TooManyRequests {
                        limit: sh.config.max_pending + sh.config.max_queued_reads,
                    });
                }
                let guard = lock(&sh.handles).guard(handle);
                queue.push_back(QueuedRead {
                    id: *id,
                    guard,
                    offset: *offset,
                    len: *len,
                });
                return Ok(());
            }
        }
        let pending = self.pending_guard()?;
        let sh = self.shared.clone();
        ops::spawn(&mut self.tasks, sh, pending, request);
        Ok(())
    }

    fn pending_guard(&self) -> Result<PendingGuard, SessionError> {
        let limit = self.shared.config.max_pending;
        let now = self.shared.pending.fetch_add(1, Ordering::AcqRel) + 1;
        let guard = PendingGuard {
            sh: self.shared.clone(),
            armed: true,
        };
        if now > limit {
            return Err(SessionError::TooManyRequests { limit });
        }
        Ok(guard)
    }

    /// A packet that did not parse: answer it when it has an id, else close the session.
    fn unparsable(&mut self, err: ParseError) -> Result<(), SessionError> {
        let Some(id) = err.id().filter(|_| self.initialized) else {
            return Err(SessionError::Malformed(err));
        };
        let code = match err {
            ParseError::UnknownType { .. } => StatusCode::OpUnsupported,
            ParseError::Empty | ParseError::Malformed { .. } => StatusCode::BadMessage,
        };
        tracing::debug!(id, cause = %err, "unparsable sftp request");
        let pending = self.pending_guard()?;
        let sh = self.shared.clone();
        self.tasks.spawn(async move {
            sh.status(id, code, code.message()).await;
            pending.release().await;
        });
        Ok(())
    }

    /// The channel ended (EOF/close/disconnect): waits for in-flight requests, aborts uploads still open
    /// (atomic mode: the temp file is removed, the old file stays), closes every handle.
    pub async fn finish(self) {
        let Self {
            framer,
            mut tasks,
            shared,
            ..
        } = self;
        drop(framer);
        // Queued READs will not be answered; dropping them releases their handle guards.
        lock(&shared.queued_reads).clear();
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!(cause = %e, "sftp request task failed");
            }
        }
        let entries = lock(&shared.handles).drain();
        for entry in entries {
            let object = entry.write().await.take();
            ops::file::release(object).await;
        }
    }
}
