//! The io_uring engine: one ring per worker, a reaper task on the worker's runtime, slot-owned resources.

use std::ffi::CString;
use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use io_uring::{IoUring, opcode, squeue, types};
use slab::Slab;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::Notify;

use crate::{Fd, FileStat, OpenHow};

/// What an op keeps alive until its completion arrives: everything the kernel may read or write.
#[derive(Debug)]
enum Keep {
    Fd(Fd),
    Read(Fd, BytesMut),
    Write(Fd, Bytes),
    Open(Fd, CString, Box<types::OpenHow>),
    Statx(Fd, CString, Box<MaybeUninit<libc::statx>>),
    Path(Fd, CString),
    Rename(Fd, CString, Fd, CString),
    Close,
}

#[derive(Debug)]
enum Lifecycle {
    /// In the ring; the future waits with this waker.
    Waiting(Option<Waker>),
    /// The kernel answered; the future has not collected the result yet.
    Done(i32),
    /// The future was dropped; the reaper frees the slot when the kernel answers.
    Abandoned,
}

#[derive(Debug)]
struct Slot {
    lifecycle: Lifecycle,
    keep: Keep,
}

struct State {
    // Declared first so it is dropped first: see `Drop for State`.
    ring: IoUring,
    slots: Slab<Slot>,
    /// Entries pushed but not yet handed to the kernel.
    unsubmitted: usize,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("in_flight", &self.slots.len())
            .field("unsubmitted", &self.unsubmitted)
            .finish()
    }
}

/// One ring and its bookkeeping, shared by the reaper task and every op future.
#[derive(Debug)]
pub(crate) struct Driver {
    state: Mutex<State>,
    /// Wakes the reaper when entries are waiting to be submitted.
    /// Shared with the reaper, which must not keep the driver alive while it waits.
    submit_needed: Arc<Notify>,
}

/// A duplicate of the ring's fd, registered with the reactor so completions wake the reaper. Owning a duplicate
/// keeps the registration valid for as long as the reaper holds it, whatever happens to the ring.
struct RingFd(OwnedFd);

impl AsRawFd for RingFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl Driver {
    /// Creates the ring and spawns its reaper on the current runtime.
    pub(crate) fn start(entries: u32) -> io::Result<Arc<Self>> {
        let ring = IoUring::builder().build(entries)?;
        // Probe that the kernel allows ops on this ring (seccomp filters can allow setup but refuse enter).
        ring.submitter().submit()?;
        // SAFETY: the ring's fd is open for the whole of this borrow (the ring is a local here).
        let ring_fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(ring.as_raw_fd()) };
        let dup = rustix::io::fcntl_dupfd_cloexec(ring_fd, 0)?;
        // SAFETY: `RingFd` owns the duplicated descriptor, so it stays open and refers to the same ring for the
        // whole life of the `AsyncFd`, and `as_raw_fd` always returns it.
        let fd = unsafe { AsyncFd::register_with_interest(RingFd(dup), Interest::READABLE) }
            .map_err(io::Error::from)?;
        let driver = Arc::new(Self {
            state: Mutex::new(State {
                ring,
                slots: Slab::new(),
                unsubmitted: 0,
            }),
            submit_needed: Arc::new(Notify::new()),
        });
        // The reaper holds only a weak reference between rounds, so dropping the last handle drops the ring
        // (whose `Drop` waits for in-flight ops) and wakes the reaper, which then ends.
        let weak = Arc::downgrade(&driver);
        let notify = Arc::clone(&driver.submit_needed);
        tokio::spawn(async move {
            loop {
                {
                    let Some(driver) = weak.upgrade() else { return };
                    driver.submit_and_reap();
                }
                tokio::select! {
                    () = notify.notified() => {}
                    guard = fd.readable() => match guard {
                        Ok(mut g) => g.clear_ready(),
                        Err(err) => {
                            tracing::error!(cause = %err, "io_uring reactor registration failed");
                            return;
                        }
                    },
                }
            }
        });
        Ok(driver)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the slab inconsistent (every mutation is one call), so a
        // poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Submits what is queued and completes what the kernel finished.
    fn submit_and_reap(&self) {
        let mut wake = Vec::new();
        {
            let mut st = self.lock();
            if st.unsubmitted > 0 {
                match st.ring.submit() {
                    Ok(_) => st.unsubmitted = 0,
                    Err(err) => tracing::warn!(cause = %err, "io_uring submit failed, will retry"),
                }
            }
            reap(&mut st, &mut wake);
        }
        for w in wake {
            w.wake();
        }
    }

    /// Queues an entry built by `build` for a new slot holding `keep`.
    ///
    /// # Safety
    /// `build` must produce an entry whose pointers all point into `keep` (or are otherwise valid until the
    /// completion arrives), and `keep`'s heap data must not move while the slot exists.
    unsafe fn submit(
        self: &Arc<Self>,
        keep: Keep,
        build: impl FnOnce(&Keep) -> squeue::Entry,
    ) -> Op {
        let mut st = self.lock();
        let entry = st.slots.vacant_entry();
        let id = entry.key();
        let slot = entry.insert(Slot {
            lifecycle: Lifecycle::Waiting(None),
            keep,
        });
        let sqe = build(&slot.keep).user_data(id as u64);
        loop {
            // SAFETY: the caller guarantees the entry's pointers stay valid until completion; the slot owns them.
            if unsafe { st.ring.submission().push(&sqe) }.is_ok() {
                break;
            }
            // The submission queue is full: hand it to the kernel now and retry.
            if let Err(err) = st.ring.submit() {
                tracing::warn!(cause = %err, "io_uring submit failed with a full queue");
            }
            st.unsubmitted = 0;
            let mut wake = Vec::new();
            reap(&mut st, &mut wake);
            drop(st);
            for w in wake {
                w.wake();
            }
            st = self.lock();
        }
        st.unsubmitted += 1;
        let first = st.unsubmitted == 1;
        drop(st);
        if first {
            self.submit_needed.notify_one();
        }
        Op {
            driver: Arc::clone(self),
            id,
            finished: false,
        }
    }

    pub(crate) async fn open_at(
        self: &Arc<Self>,
        dir: Fd,
        path: CString,
        how: OpenHow,
    ) -> io::Result<Fd> {
        let h = Box::new(
            types::OpenHow::new()
                .flags(how.flags as u64)
                .mode(u64::from(how.mode))
                .resolve(how.resolve),
        );
        let keep = Keep::Open(dir, path, h);
        // SAFETY: the path and the open_how live in the slot until completion.
        let op = unsafe {
            self.submit(keep, |k| match k {
                Keep::Open(d, p, h) => {
                    opcode::OpenAt2::new(types::Fd(d.raw()), p.as_ptr(), &raw const **h).build()
                }
                _ => unreachable!("open_at builds from Keep::Open"),
            })
        };
        let (res, _) = op.await;
        let fd = result(res)?;
        // SAFETY: a non-negative result of openat2 is a new descriptor that nothing else owns.
        Ok(Fd::from(unsafe {
            <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd)
        }))
    }

    pub(crate) async fn read_at(
        self: &Arc<Self>,
        fd: Fd,
        buf: BytesMut,
        offset: u64,
    ) -> (io::Result<usize>, BytesMut) {
        let mut buf = buf;
        let spare = buf.capacity() - buf.len();
        let len = u32::try_from(spare).unwrap_or(u32::MAX);
        // SAFETY: the pointer is the start of `buf`'s spare capacity, `len` bytes long; the BytesMut moves into
        // the slot (its heap block does not move) and stays there until the kernel answers.
        let op = unsafe {
            let ptr = buf.as_mut_ptr().add(buf.len());
            self.submit(Keep::Read(fd, buf), move |k| match k {
                Keep::Read(f, _) => opcode::Read::new(types::Fd(f.raw()), ptr, len)
                    .offset(offset)
                    .build(),
                _ => unreachable!("read_at builds from Keep::Read"),
            })
        };
        let (res, keep) = op.await;
        let Keep::Read(_, mut buf) = keep else {
            unreachable!("read_at keeps Keep::Read")
        };
        match result(res) {
            Ok(n) => {
                let n = n as usize;
                // SAFETY: the kernel initialised `n` bytes of the spare capacity (n <= len).
                unsafe { buf.set_len(buf.len() + n) };
                (Ok(n), buf)
            }
            Err(e) => (Err(e), buf),
        }
    }

    pub(crate) async fn write_at(
        self: &Arc<Self>,
        fd: Fd,
        buf: Bytes,
        offset: u64,
    ) -> (io::Result<usize>, Bytes) {
        let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let ptr = buf.as_ptr();
        // SAFETY: `ptr`/`len` describe `buf`, whose storage is reference-counted and immutable; the slot holds a
        // reference until completion.
        let op = unsafe {
            self.submit(Keep::Write(fd, buf), move |k| match k {
                Keep::Write(f, _) => opcode::Write::new(types::Fd(f.raw()), ptr, len)
                    .offset(offset)
                    .build(),
                _ => unreachable!("write_at builds from Keep::Write"),
            })
        };
        let (res, keep) = op.await;
        let Keep::Write(_, buf) = keep else {
            unreachable!("write_at keeps Keep::Write")
        };
        (result(res).map(|n| n as usize), buf)
    }

    pub(crate) async fn sync(self: &Arc<Self>, fd: Fd, data_only: bool) -> io::Result<()> {
        let flags = if data_only {
            types::FsyncFlags::DATASYNC
        } else {
            types::FsyncFlags::empty()
        };
        // SAFETY: fsync takes no pointers; the fd is kept open by the slot.
        let op = unsafe {
            self.submit(Keep::Fd(fd), move |k| match k {
                Keep::Fd(f) => opcode::Fsync::new(types::Fd(f.raw())).flags(flags).build(),
                _ => unreachable!("sync builds from Keep::Fd"),
            })
        };
        result(op.await.0).map(drop)
    }

    pub(crate) async fn statx(
        self: &Arc<Self>,
        dir: Fd,
        path: CString,
        flags: i32,
    ) -> io::Result<FileStat> {
        let buf: Box<MaybeUninit<libc::statx>> = Box::new(MaybeUninit::zeroed());
        // SAFETY: the path and the statx block live in the slot (boxed, so they do not move) until completion.
        let op = unsafe {
            self.submit(Keep::Statx(dir, path, buf), move |k| match k {
                Keep::Statx(d, p, b) => opcode::Statx::new(
                    types::Fd(d.raw()),
                    p.as_ptr(),
                    b.as_ptr().cast_mut().cast::<types::statx>(),
                )
                .flags(flags)
                .mask(libc::STATX_BASIC_STATS)
                .build(),
                _ => unreachable!("statx builds from Keep::Statx"),
            })
        };
        let (res, keep) = op.await;
        result(res)?;
        let Keep::Statx(_, _, buf) = keep else {
            unreachable!("statx keeps Keep::Statx")
        };
        // SAFETY: the block was zero-initialised (a valid statx) and the kernel filled it on success.
        let st = unsafe { buf.assume_init_ref() };
        Ok(FileStat::from_libc(st))
    }

    pub(crate) async fn rename_at(
        self: &Arc<Self>,
        old_dir: Fd,
        old: CString,
        new_dir: Fd,
        new: CString,
        flags: u32,
    ) -> io::Result<()> {
        // SAFETY: both paths live in the slot until completion.
        let op = unsafe {
            self.submit(Keep::Rename(old_dir, old, new_dir, new), move |k| match k {
                Keep::Rename(od, o, nd, n) => opcode::RenameAt::new(
                    types::Fd(od.raw()),
                    o.as_ptr(),
                    types::Fd(nd.raw()),
                    n.as_ptr(),
                )
                .flags(flags)
                .build(),
                _ => unreachable!("rename_at builds from Keep::Rename"),
            })
        };
        result(op.await.0).map(drop)
    }

    pub(crate) async fn unlink_at(
        self: &Arc<Self>,
        dir: Fd,
        path: CString,
        is_dir: bool,
    ) -> io::Result<()> {
        let flags = if is_dir { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: the path lives in the slot until completion.
        let op = unsafe {
            self.submit(Keep::Path(dir, path), move |k| match k {
                Keep::Path(d, p) => opcode::UnlinkAt::new(types::Fd(d.raw()), p.as_ptr())
                    .flags(flags)
                    .build(),
                _ => unreachable!("unlink_at builds from Keep::Path"),
            })
        };
        result(op.await.0).map(drop)
    }

    pub(crate) async fn mkdir_at(
        self: &Arc<Self>,
        dir: Fd,
        path: CString,
        mode: u32,
    ) -> io::Result<()> {
        // SAFETY: the path lives in the slot until completion.
        let op = unsafe {
            self.submit(Keep::Path(dir, path), move |k| match k {
                Keep::Path(d, p) => opcode::MkDirAt::new(types::Fd(d.raw()), p.as_ptr())
                    .mode(mode)
                    .build(),
                _ => unreachable!("mkdir_at builds from Keep::Path"),
            })
        };
        result(op.await.0).map(drop)
    }

    pub(crate) async fn close(self: &Arc<Self>, fd: OwnedFd) -> io::Result<()> {
        let raw = fd.into_raw_fd();
        // SAFETY: we own `raw` (taken out of its OwnedFd); the kernel closes it and nothing else will.
        let op = unsafe {
            self.submit(Keep::Close, move |_| {
                opcode::Close::new(types::Fd(raw)).build()
            })
        };
        result(op.await.0).map(drop)
    }
}

fn result(res: i32) -> io::Result<i32> {
    if res < 0 {
        Err(io::Error::from_raw_os_error(-res))
    } else {
        Ok(res)
    }
}

/// Moves completions from the ring to their slots; collects wakers to call after the lock is released.
fn reap(st: &mut State, wake: &mut Vec<Waker>) {
    let State { ring, slots, .. } = st;
    for cqe in ring.completion() {
        let id = cqe.user_data() as usize;
        let res = cqe.result();
        let Some(slot) = slots.get_mut(id) else {
            tracing::error!(id, "io_uring completion for an unknown slot");
            continue;
        };
        match std::mem::replace(&mut slot.lifecycle, Lifecycle::Done(res)) {
            Lifecycle::Waiting(w) => wake.extend(w),
            Lifecycle::Abandoned => release(slots.remove(id), res),
            Lifecycle::Done(_) => tracing::error!(id, "io_uring completion arrived twice"),
        }
    }
}

/// Frees an abandoned slot. An abandoned open that succeeded produced a descriptor nobody will use: close it.
fn release(slot: Slot, res: i32) {
    if let Keep::Open(..) = slot.keep
        && res >= 0
    {
        // SAFETY: `res` is a descriptor the kernel just created for this abandoned op; nobody else has it.
        unsafe { libc::close(res) };
    }
}

/// A submitted op. Resolves to the kernel's result and the resources it kept.
#[derive(Debug)]
struct Op {
    driver: Arc<Driver>,
    id: usize,
    finished: bool,
}

impl Future for Op {
    type Output = (i32, Keep);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let driver = Arc::clone(&self.driver);
        let mut st = driver.lock();
        let id = self.id;
        match &mut st.slots[id].lifecycle {
            Lifecycle::Done(res) => {
                let res = *res;
                let slot = st.slots.remove(id);
                self.finished = true;
                Poll::Ready((res, slot.keep))
            }
            Lifecycle::Waiting(w) => {
                if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *w = Some(cx.waker().clone());
                }
                Poll::Pending
            }
            Lifecycle::Abandoned => unreachable!("a live future's slot is never abandoned"),
        }
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut st = self.driver.lock();
        match st.slots[self.id].lifecycle {
            Lifecycle::Done(res) => {
                let slot = st.slots.remove(self.id);
                release(slot, res);
            }
            _ => st.slots[self.id].lifecycle = Lifecycle::Abandoned,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.submit_needed.notify_one();
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // Ops still in flight own buffers the kernel may write to: wait for them (bounded), and leak whatever is
        // left rather than free memory the kernel could still touch.
        let mut rounds = 0;
        while !self.slots.is_empty() && rounds < 100 {
            rounds += 1;
            if self.ring.submit_and_wait(1).is_err() {
                break;
            }
            let ids: Vec<(usize, i32)> = self
                .ring
                .completion()
                .map(|c| (c.user_data() as usize, c.result()))
                .collect();
            for (id, res) in ids {
                if self.slots.contains(id) {
                    release(self.slots.remove(id), res);
                }
            }
        }
        if !self.slots.is_empty() {
            tracing::warn!(
                in_flight = self.slots.len(),
                "io_uring dropped with ops in flight; leaking their buffers"
            );
            std::mem::forget(std::mem::take(&mut self.slots));
        }
    }
}
