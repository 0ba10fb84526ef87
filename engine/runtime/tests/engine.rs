//! The engine with a tiny test protocol: each session writes its worker's index, then waits for the client to
//! hang up (or, if `polite`, for shutdown to begin).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringway_engine::{Connection, Engine, EngineConfig, ListenerSpec, Service};
use ringway_uring::IoMode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct WhoAmI {
    polite: bool,
}

impl Service for WhoAmI {
    fn name(&self) -> &'static str {
        "TEST"
    }

    fn serve(
        self: Arc<Self>,
        mut stream: tokio::net::TcpStream,
        mut conn: Connection,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async move {
            if stream.write_all(&[conn.worker as u8]).await.is_err() {
                return;
            }
            let mut buf = [0u8; 16];
            if self.polite {
                tokio::select! {
                    _ = stream.read(&mut buf) => {}
                    () = conn.draining() => {}
                }
            } else {
                let _ = stream.read(&mut buf).await;
            }
        })
    }
}

fn start(polite: bool, mode: IoMode) -> (tokio::runtime::Runtime, Engine, SocketAddr) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let spec = ListenerSpec {
        addr: "127.0.0.1:0".parse().unwrap(),
        service: Arc::new(WhoAmI { polite }),
    };
    let config = EngineConfig {
        workers: 2,
        pin_workers: true,
        io_mode: mode,
        ..EngineConfig::default()
    };
    let engine = rt
        .block_on(async { Engine::start(config, &[spec]) })
        .unwrap();
    assert_eq!(engine.io_mode(), mode);
    let addr = engine.local_addrs()[0].1;
    assert_ne!(addr.port(), 0);
    (rt, engine, addr)
}

fn connect(addr: SocketAddr) -> (TcpStream, u8) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut b = [0u8; 1];
    s.read_exact(&mut b).unwrap();
    (s, b[0])
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn twenty_connections_are_balanced_over_two_workers() {
    for mode in [IoMode::Uring, IoMode::ThreadPool] {
        let (rt, engine, addr) = start(false, mode);
        let mut per_worker = [0usize; 2];
        let mut conns = Vec::new();
        for _ in 0..20 {
            let (s, w) = connect(addr);
            per_worker[usize::from(w)] += 1;
            conns.push(s);
        }
        assert!(
            per_worker.iter().all(|&n| n <= 14),
            "unbalanced in {mode} mode: {per_worker:?}"
        );
        assert_eq!(engine.live_per_worker().iter().sum::<usize>(), 20);
        let listed = engine.registry().list();
        assert_eq!(listed.len(), 20);
        assert!(
            listed
                .iter()
                .all(|c| c.protocol == "TEST" && c.peer.ip().is_loopback())
        );
        drop(conns);
        let registry = engine.registry();
        wait_until("sessions to end", || registry.is_empty());
        let report = rt.block_on(engine.shutdown(Duration::from_secs(1)));
        assert_eq!(report.forced, 0);
    }
}

#[test]
fn registry_closes_a_connection() {
    let (rt, engine, addr) = start(false, IoMode::Uring);
    let (mut s, _) = connect(addr);
    let (_keep, _) = connect(addr);
    let registry = engine.registry();
    wait_until("both registered", || registry.len() == 2);
    let id = registry.list()[0].id;
    assert!(registry.close(id));
    let mut b = [0u8; 1];
    // The server side closed: the client reads EOF.
    assert_eq!(s.read(&mut b).unwrap(), 0);
    wait_until("entry removed", || registry.len() == 1);
    assert!(!registry.close(id));
    rt.block_on(engine.shutdown(Duration::from_secs(1)));
}

#[test]
fn shutdown_drains_polite_sessions_and_forces_the_rest() {
    // Polite sessions end as soon as draining starts.
    let (rt, engine, addr) = start(true, IoMode::Uring);
    let conns: Vec<_> = (0..4).map(|_| connect(addr).0).collect();
    let t = Instant::now();
    let report = rt.block_on(engine.shutdown(Duration::from_secs(5)));
    assert_eq!(report.forced, 0);
    assert_eq!(report.drained, 4);
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "drain took {:?}",
        t.elapsed()
    );
    // No longer accepting.
    assert!(
        TcpStream::connect(addr).is_err() || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut b = [0u8; 1];
            matches!(s.read(&mut b), Ok(0) | Err(_))
        }
    );
    drop(conns);

    // Stubborn sessions are closed when the grace time runs out.
    let (rt, engine, addr) = start(false, IoMode::ThreadPool);
    let mut conns: Vec<_> = (0..3).map(|_| connect(addr).0).collect();
    let t = Instant::now();
    let report = rt.block_on(engine.shutdown(Duration::from_millis(300)));
    assert_eq!(report.forced, 3);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let mut b = [0u8; 1];
    for s in &mut conns {
        assert_eq!(s.read(&mut b).unwrap(), 0, "forced sessions are closed");
        let _ = s.write(b"x");
    }
}
