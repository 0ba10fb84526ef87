//! The data plane's skeleton: one pinned worker thread per core, each with its own tokio `current_thread`
//! runtime and io_uring engine, serving connections from its own `SO_REUSEPORT` listeners.
//!
//! - **Balance.** The kernel hashes connections over reuseport sockets unevenly for small counts, so a worker
//!   that accepts a connection hands it to the least-loaded worker (by live connections) when that is not
//!   itself. A connection then lives on one worker from accept to close: no cross-core locks on its hot path.
//! - **Shutdown.** [`Engine::shutdown`] stops every accept loop, tells sessions to drain (through
//!   [`Connection::draining`]), waits up to the grace time for them to end, then drops whatever is left (which
//!   closes their sockets and aborts their uploads), and joins the worker threads.
//! - **Registry.** Every live connection is listed in the [`Registry`] with its worker, protocol and peer, and
//!   can be closed from the control plane.
#![forbid(unsafe_code)]

mod registry;
mod worker;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ringway_uring::{Io, IoConfig, IoMode};
use tokio::net::TcpStream;
use tokio::sync::watch;

pub use registry::{ConnectionInfo, ConnectionLimits, Refused, Registry};

/// A protocol server: turns an accepted connection into a session.
pub trait Service: Send + Sync + 'static {
    /// Protocol name for logs and the registry (`SFTP`, `FTP`, `DAV`...).
    fn name(&self) -> &'static str;

    /// Serves one connection until it ends. The future runs on the connection's worker; it is dropped (closing
    /// the socket) when the connection is closed from the registry or when the shutdown grace time runs out.
    fn serve(
        self: Arc<Self>,
        stream: TcpStream,
        conn: Connection,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// What a session knows about where it runs.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Registry id.
    pub id: u64,
    /// Client address.
    pub peer: SocketAddr,
    /// Index of the worker serving it.
    pub worker: usize,
    /// The worker's file-I/O engine.
    pub io: Io,
    draining: watch::Receiver<bool>,
}

impl Connection {
    /// True once shutdown has begun: finish the current transfer, accept no new ones.
    #[must_use]
    pub fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Resolves when shutdown begins.
    pub async fn draining(&mut self) {
        // An error means the engine is gone, which is a shutdown too.
        let _ = self.draining.wait_for(|d| *d).await;
    }
}

/// A listening address and the service behind it.
#[derive(Clone)]
pub struct ListenerSpec {
    /// Address to bind; port 0 picks a free port (shared by every worker's socket).
    pub addr: SocketAddr,
    /// The protocol served there.
    pub service: Arc<dyn Service>,
}

impl std::fmt::Debug for ListenerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerSpec")
            .field("addr", &self.addr)
            .field("service", &self.service.name())
            .finish()
    }
}

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Worker threads; 0 means one per online CPU.
    pub workers: usize,
    /// Pin worker `i` to CPU `i mod cpus`.
    pub pin_workers: bool,
    /// The requested file-I/O engine (falls back to the pool when io_uring is unavailable).
    pub io_mode: IoMode,
    /// Ring size.
    pub io_config: IoConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 0,
            pin_workers: true,
            io_mode: IoMode::Uring,
            io_config: IoConfig::default(),
        }
    }
}

/// Live-connection counts per worker, used to place new connections.
#[derive(Debug)]
pub(crate) struct Load {
    live: Vec<AtomicUsize>,
}

impl Load {
    /// The worker with the fewest live connections, preferring `me` on a tie.
    pub(crate) fn pick(&self, me: usize) -> usize {
        let mut best = me;
        let mut best_load = self.live[me].load(Ordering::Relaxed);
        for (i, l) in self.live.iter().enumerate() {
            let l = l.load(Ordering::Relaxed);
            if l < best_load {
                best = i;
                best_load = l;
            }
        }
        best
    }
}

/// What [`Engine::shutdown`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Connections that ended on their own within the grace time.
    pub drained: usize,
    /// Connections closed when the grace time ran out.
    pub forced: usize,
}

/// The running data plane.
#[derive(Debug)]
pub struct Engine {
    workers: Vec<worker::WorkerHandle>,
    load: Arc<Load>,
    registry: Arc<Registry>,
    drain_tx: watch::Sender<bool>,
    force_tx: watch::Sender<bool>,
    local_addrs: Vec<(&'static str, SocketAddr)>,
    io_mode: IoMode,
}

impl Engine {
    /// Binds every listener on every worker and starts the workers.
    ///
    /// # Errors
    /// When a socket cannot be bound or a worker thread or runtime cannot start.
    pub fn start(config: EngineConfig, listeners: &[ListenerSpec]) -> io::Result<Self> {
        Self::start_with_limits(config, listeners, ConnectionLimits::default())
    }

    /// [`Engine::start`] with limits on live connections: past them a new connection is closed at accept (and
    /// logged).
    ///
    /// # Errors
    /// When a socket cannot be bound or a worker thread or runtime cannot start.
    pub fn start_with_limits(
        config: EngineConfig,
        listeners: &[ListenerSpec],
        limits: ConnectionLimits,
    ) -> io::Result<Self> {
        let n = if config.workers == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        } else {
            config.workers
        };
        let sockets = worker::bind_all(listeners, n)?;
        let local_addrs = sockets
            .first()
            .map(|per| {
                per.iter()
                    .map(|(spec, l)| (spec.service.name(), l.local_addr().ok()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, a)| a.map(|a| (name, a)))
            .collect();
        let load = Arc::new(Load {
            live: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        });
        let registry = Arc::new(Registry::with_limits(limits));
        let (drain_tx, drain_rx) = watch::channel(false);
        let (force_tx, force_rx) = watch::channel(false);
        let cores = if config.pin_workers {
            core_affinity::get_core_ids().unwrap_or_default()
        } else {
            Vec::new()
        };
        let shared = worker::Shared {
            load: Arc::clone(&load),
            registry: Arc::clone(&registry),
            drain: drain_rx,
            force: force_rx,
            peers: std::sync::OnceLock::new(),
        };
        let shared = Arc::new(shared);
        let mut workers = Vec::with_capacity(n);
        let mut handoff_senders = Vec::with_capacity(n);
        let (mode_tx, mode_rx) = std::sync::mpsc::channel();
        for (id, socks) in sockets.into_iter().enumerate() {
            let core = if cores.is_empty() {
                None
            } else {
                Some(cores[id % cores.len()])
            };
            let (w, tx) = worker::spawn(
                id,
                core,
                config,
                socks,
                Arc::clone(&shared),
                mode_tx.clone(),
            )?;
            workers.push(w);
            handoff_senders.push(tx);
        }
        drop(mode_tx);
        let _ = shared.peers.set(handoff_senders);
        let mut io_mode = config.io_mode;
        for _ in 0..n {
            match mode_rx.recv_timeout(Duration::from_secs(10)) {
                Ok(Ok(mode)) => {
                    if mode != config.io_mode {
                        io_mode = mode;
                    }
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::Error::other("a worker did not start in time")),
            }
        }
        tracing::info!(workers = n, io = %io_mode, pinned = !cores.is_empty(), "data plane started");
        Ok(Self {
            workers,
            load,
            registry,
            drain_tx,
            force_tx,
            local_addrs,
            io_mode,
        })
    }

    /// The bound address of each listener (with the real port when 0 was asked), by service name.
    #[must_use]
    pub fn local_addrs(&self) -> &[(&'static str, SocketAddr)] {
        &self.local_addrs
    }

    /// The file-I/O engine in use (after any fallback).
    #[must_use]
    pub fn io_mode(&self) -> IoMode {
        self.io_mode
    }

    /// Number of workers.
    #[must_use]
    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }

    /// Live connections per worker.
    #[must_use]
    pub fn live_per_worker(&self) -> Vec<usize> {
        self.load
            .live
            .iter()
            .map(|l| l.load(Ordering::Relaxed))
            .collect()
    }

    /// The live-session registry, shared with the control plane.
    #[must_use]
    pub fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry)
    }

    /// Stops accepting, lets sessions finish for up to `grace`, then closes the rest and joins the workers.
    pub async fn shutdown(self, grace: Duration) -> ShutdownReport {
        let before = self.registry.len();
        let _ = self.drain_tx.send(true);
        let deadline = tokio::time::Instant::now() + grace;
        while !self.registry.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let forced = self.registry.len();
        if forced > 0 {
            tracing::warn!(
                connections = forced,
                "grace time over, closing remaining connections"
            );
        }
        let _ = self.force_tx.send(true);
        let workers = self.workers;
        let _ = tokio::task::spawn_blocking(move || {
            for w in workers {
                w.join();
            }
        })
        .await;
        ShutdownReport {
            drained: before.saturating_sub(forced),
            forced,
        }
    }
}
