//! One worker: a pinned thread, a current-thread runtime, an io engine, accept loops and hand-offs.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ringway_uring::{Io, IoMode};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::{Connection, EngineConfig, ListenerSpec, Load, Registry, Service};

/// State every worker sees.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) load: Arc<Load>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) drain: watch::Receiver<bool>,
    pub(crate) force: watch::Receiver<bool>,
    /// Each worker's hand-off queue, set once every worker has started.
    pub(crate) peers: OnceLock<Vec<mpsc::UnboundedSender<Handoff>>>,
}

/// Counts a connection against a worker's load until dropped.
#[derive(Debug)]
pub(crate) struct LiveGuard {
    load: Arc<Load>,
    worker: usize,
}

impl LiveGuard {
    fn new(load: &Arc<Load>, worker: usize) -> Self {
        load.live[worker].fetch_add(1, Ordering::Relaxed);
        Self {
            load: Arc::clone(load),
            worker,
        }
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.load.live[self.worker].fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection accepted by one worker for another.
pub(crate) struct Handoff {
    stream: std::net::TcpStream,
    peer: SocketAddr,
    service: Arc<dyn Service>,
    guard: LiveGuard,
}

impl std::fmt::Debug for Handoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handoff")
            .field("peer", &self.peer)
            .field("service", &self.service.name())
            .finish()
    }
}

/// A running worker thread.
#[derive(Debug)]
pub(crate) struct WorkerHandle {
    id: usize,
    thread: std::thread::JoinHandle<()>,
}

impl WorkerHandle {
    pub(crate) fn join(self) {
        if self.thread.join().is_err() {
            tracing::error!(worker = self.id, "worker thread panicked");
        }
    }
}

type Bound = Vec<(ListenerSpec, std::net::TcpListener)>;

/// Binds `n` reuseport sockets per listener. A port-0 listener gets its port from the first bind.
pub(crate) fn bind_all(listeners: &[ListenerSpec], n: usize) -> io::Result<Vec<Bound>> {
    use socket2::{Domain, Socket, Type};
    let mut per_worker: Vec<Bound> = (0..n).map(|_| Vec::new()).collect();
    for spec in listeners {
        let mut addr = spec.addr;
        // SO_REUSEPORT would let this process join another's listeners on the same port (same user) and split
        // its connections with it. A plain bind first fails if anything listens there.
        if addr.port() != 0 {
            let probe = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
            probe.set_reuse_address(true)?;
            probe.bind(&addr.into()).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("{} listener on {addr}: {e}", spec.service.name()),
                )
            })?;
        }
        for bound in &mut per_worker {
            let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
            sock.set_reuse_address(true)?;
            sock.set_reuse_port(true)?;
            sock.set_nonblocking(true)?;
            sock.bind(&addr.into()).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("{} listener on {addr}: {e}", spec.service.name()),
                )
            })?;
            sock.listen(1024)?;
            if addr.port() == 0 {
                addr = sock
                    .local_addr()?
                    .as_socket()
                    .ok_or_else(|| io::Error::other("listener has no address"))?;
            }
            bound.push((
                ListenerSpec {
                    addr,
                    service: Arc::clone(&spec.service),
                },
                sock.into(),
            ));
        }
    }
    Ok(per_worker)
}

pub(crate) fn spawn(
    id: usize,
    core: Option<core_affinity::CoreId>,
    config: EngineConfig,
    sockets: Bound,
    shared: Arc<Shared>,
    started: std::sync::mpsc::Sender<io::Result<IoMode>>,
) -> io::Result<(WorkerHandle, mpsc::UnboundedSender<Handoff>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let thread = std::thread::Builder::new()
        .name(format!("ringway-w{id}"))
        .spawn(move || {
            if let Some(core) = core
                && !core_affinity::set_for_current(core)
            {
                tracing::warn!(
                    worker = id,
                    core = core.id,
                    "could not pin worker to its core"
                );
            }
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .max_blocking_threads(16)
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = started.send(Err(e));
                    return;
                }
            };
            rt.block_on(run(id, config, sockets, shared, rx, started));
        })?;
    Ok((WorkerHandle { id, thread }, tx))
}

#[derive(Clone)]
struct Ctx {
    id: usize,
    io: Io,
    shared: Arc<Shared>,
}

async fn run(
    id: usize,
    config: EngineConfig,
    sockets: Bound,
    shared: Arc<Shared>,
    mut handoffs: mpsc::UnboundedReceiver<Handoff>,
    started: std::sync::mpsc::Sender<io::Result<IoMode>>,
) {
    let io = Io::start(config.io_mode, config.io_config);
    let mut listeners = Vec::new();
    for (spec, l) in sockets {
        match TcpListener::from_std(l) {
            Ok(l) => listeners.push((spec, l)),
            Err(e) => {
                let _ = started.send(Err(e));
                return;
            }
        }
    }
    let _ = started.send(Ok(io.mode()));
    let ctx = Ctx {
        id,
        io,
        shared: Arc::clone(&shared),
    };
    for (spec, listener) in listeners {
        tokio::spawn(accept_loop(ctx.clone(), listener, spec.service));
    }
    let mut drain = shared.drain.clone();
    loop {
        tokio::select! {
            h = handoffs.recv() => match h {
                Some(h) => match TcpStream::from_std(h.stream) {
                    Ok(stream) => start_connection(&ctx, stream, h.peer, h.service, h.guard),
                    Err(e) => tracing::warn!(worker = id, cause = %e, "hand-off failed"),
                },
                None => break,
            },
            _ = drain.wait_for(|d| *d) => break,
        }
    }
    drop(handoffs);
    // Draining: let this worker's sessions end on their own until the engine forces the rest.
    let mut force = shared.force.clone();
    while shared.load.live[id].load(Ordering::Relaxed) > 0 {
        tokio::select! {
            _ = force.wait_for(|f| *f) => break,
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
    // Returning drops the runtime and with it every remaining session future, which closes their sockets.
}

async fn accept_loop(ctx: Ctx, listener: TcpListener, service: Arc<dyn Service>) {
    let mut drain = ctx.shared.drain.clone();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = drain.wait_for(|d| *d) => return,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(worker = ctx.id, cause = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let target = ctx.shared.load.pick(ctx.id);
        let guard = LiveGuard::new(&ctx.shared.load, target);
        if target == ctx.id {
            start_connection(&ctx, stream, peer, Arc::clone(&service), guard);
            continue;
        }
        let sent = stream.into_std().map(|stream| Handoff {
            stream,
            peer,
            service: Arc::clone(&service),
            guard,
        });
        match (sent, ctx.shared.peers.get()) {
            (Ok(h), Some(peers)) => {
                if let Err(mpsc::error::SendError(h)) = peers[target].send(h) {
                    tracing::debug!(worker = target, peer = %h.peer, "target worker stopped, dropping connection");
                }
            }
            (Err(e), _) => tracing::warn!(cause = %e, "could not detach an accepted socket"),
            (Ok(_), None) => tracing::warn!("connection accepted before every worker started"),
        }
    }
}

/// Removes a connection from the registry when its task ends, however it ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.remove(self.id);
    }
}

fn start_connection(
    ctx: &Ctx,
    stream: TcpStream,
    peer: SocketAddr,
    service: Arc<dyn Service>,
    guard: LiveGuard,
) {
    let registry = Arc::clone(&ctx.shared.registry);
    let (id, closed) = match registry.add(service.name(), peer, ctx.id) {
        Ok(added) => added,
        Err(refused) => {
            // Dropping the stream closes it; the client sees the connection end before the protocol starts.
            tracing::warn!(protocol = service.name(), %peer, %refused, "connection refused");
            drop(guard);
            return;
        }
    };
    let conn = Connection {
        id,
        peer,
        worker: ctx.id,
        io: ctx.io.clone(),
        draining: ctx.shared.drain.clone(),
    };
    let mut force = ctx.shared.force.clone();
    let span = tracing::info_span!("conn", id, protocol = service.name(), %peer, worker = ctx.id);
    // Made before the task, so the entry goes even if the task is dropped before it first runs (shutdown).
    let registered = Registered { registry, id };
    let session = async move {
        let _registered = registered;
        let _guard = guard;
        tracing::debug!("connection accepted");
        tokio::select! {
            () = service.serve(stream, conn) => tracing::debug!("connection ended"),
            _ = closed => tracing::info!("connection closed from the control plane"),
            _ = force.wait_for(|f| *f) => tracing::info!("connection closed at shutdown"),
        }
    };
    tokio::spawn(tracing::Instrument::instrument(session, span));
}
