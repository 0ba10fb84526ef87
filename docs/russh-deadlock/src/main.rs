//! Minimal reproducer of a russh 0.65.1 server deadlock.
//!
//! An "amplifying echo" SSH server: every chunk of channel data the client sends is answered with a
//! reply `AMPLIFY` times larger (the shape of an SFTP server answering READ requests).
//!
//! * Default (buggy) mode: `Handler::data` sends the reply itself, awaiting
//!   `Handle::data(..).await`. russh awaits `Handler::data` inside its session loop, and that loop
//!   is the only thing that drains the `Handle` queue and reads WINDOW_ADJUST from the socket, so
//!   once the client's window is exhausted and the queue is full the session hangs for good.
//! * `--fixed`: `Handler::data` only hands the chunk to a per-channel task (unbounded queue) and
//!   returns at once; the task sends the replies through the `Handle`.
//!
//! Run: `cargo run -- [--fixed] [--port 2222]`, then drive it with OpenSSH (see README.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use russh::keys::{Algorithm, PrivateKey};
use russh::server::{Auth, ChannelOpenHandle, Config, Handle, Msg, Server, Session};
use russh::{Channel, ChannelId};
use tokio::sync::mpsc;

/// Each received chunk is answered with a reply this many times larger.
const AMPLIFY: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `Handler::data` awaits `Handle::data` (deadlocks).
    Buggy,
    /// `Handler::data` hands the chunk to a task and returns (works).
    Fixed,
}

/// Progress counters, printed once a second by a ticker task.
#[derive(Debug, Default)]
struct Stats {
    received: AtomicU64,
    replied: AtomicU64,
    /// True while `Handler::data` is awaiting `Handle::data` (buggy mode).
    in_handler_send: AtomicBool,
}

#[derive(Clone, Debug)]
struct App {
    mode: Mode,
    stats: Arc<Stats>,
}

impl Server for App {
    type Handler = Conn;

    fn new_client(&mut self, peer: Option<std::net::SocketAddr>) -> Conn {
        eprintln!("client connected from {peer:?} ({:?} mode)", self.mode);
        Conn {
            mode: self.mode,
            stats: self.stats.clone(),
            handle: None,
            worker: None,
        }
    }

    fn handle_session_error(&mut self, error: russh::Error) {
        eprintln!("session error: {error:?}");
    }
}

#[derive(Debug)]
struct Conn {
    mode: Mode,
    stats: Arc<Stats>,
    handle: Option<Handle>,
    /// Fixed mode: the queue feeding the channel's reply task.
    worker: Option<mpsc::UnboundedSender<Vec<u8>>>,
}

impl Conn {
    /// Both `subsystem` and `exec` requests start the amplifying echo.
    fn start(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), russh::Error> {
        let handle = session.handle();
        if self.mode == Mode::Fixed {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(reply_task(handle.clone(), channel, rx, self.stats.clone()));
            self.worker = Some(tx);
        }
        self.handle = Some(handle);
        session.channel_success(channel)
    }
}

/// Fixed mode: sends the replies for one channel, in order, then EOF and close.
async fn reply_task(
    handle: Handle,
    channel: ChannelId,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    stats: Arc<Stats>,
) {
    while let Some(chunk) = rx.recv().await {
        let reply = chunk.repeat(AMPLIFY);
        let len = reply.len() as u64;
        if handle.data(channel, reply).await.is_err() {
            return;
        }
        stats.replied.fetch_add(len, Ordering::Relaxed);
    }
    finish(&handle, channel).await;
}

async fn finish(handle: &Handle, channel: ChannelId) {
    // Through the same queue as the data, so they go out after it.
    let _ = handle.exit_status_request(channel, 0).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::Accept)
    }

    async fn auth_password(&mut self, _user: &str, _password: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::Accept)
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        _key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(Auth::Accept)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Drop the `Channel`: nobody reads it, and dropping it keeps russh from awaiting its
        // bounded per-channel queue before each `Handler::data` call (a second, separate stall).
        drop(channel);
        reply.accept().await;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.start(channel, session)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _command: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.start(channel, session)
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.stats
            .received
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        match self.mode {
            Mode::Buggy => {
                // THE BUG: awaiting the session's own loop from inside a handler it is awaiting.
                let Some(handle) = &self.handle else {
                    return Ok(());
                };
                let reply = data.repeat(AMPLIFY);
                let len = reply.len() as u64;
                self.stats.in_handler_send.store(true, Ordering::Relaxed);
                let sent = handle.data(channel, reply).await;
                self.stats.in_handler_send.store(false, Ordering::Relaxed);
                sent.map_err(|_| russh::Error::SendError)?;
                self.stats.replied.fetch_add(len, Ordering::Relaxed);
            }
            Mode::Fixed => {
                // Never blocks: the reply task does the sending.
                if let Some(worker) = &self.worker {
                    let _ = worker.send(data.to_vec());
                }
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.mode {
            // The reply task drains its queue, then sends EOF and close.
            Mode::Fixed => drop(self.worker.take()),
            // Every reply was already queued by `data`; don't await the loop from here either.
            Mode::Buggy => {
                if let Some(handle) = self.handle.clone() {
                    tokio::spawn(async move { finish(&handle, channel).await });
                }
            }
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut mode = Mode::Buggy;
    let mut port: u16 = 2222;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fixed" => mode = Mode::Fixed,
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("--port needs a number");
            }
            other => panic!("unknown argument {other:?} (usage: [--fixed] [--port N])"),
        }
    }

    let host_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).expect("host key");
    let config = Arc::new(Config {
        keys: vec![host_key],
        auth_rejection_time_initial: Some(Duration::ZERO),
        ..Config::default()
    });
    eprintln!(
        "listening on 127.0.0.1:{port}, {mode:?} mode, replies {AMPLIFY}x; russh defaults: \
         window_size={} maximum_packet_size={} event_buffer_size={}",
        config.window_size, config.maximum_packet_size, config.event_buffer_size
    );

    let stats = Arc::new(Stats::default());
    tokio::spawn(ticker(stats.clone()));
    let mut app = App { mode, stats };
    app.run_on_address(config, ("127.0.0.1", port)).await
}

/// Prints the counters once a second while they change, and says so when they stop.
async fn ticker(stats: Arc<Stats>) {
    let mut last = (0, 0);
    let mut still = 0u32;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = (
            stats.received.load(Ordering::Relaxed),
            stats.replied.load(Ordering::Relaxed),
        );
        if now == last {
            still += 1;
            if now != (0, 0) && [1, 5, 20, 60].contains(&still) {
                eprintln!(
                    "  no progress for {still}s (received={} replied={}; Handler::data blocked in \
                     Handle::data: {})",
                    now.0,
                    now.1,
                    stats.in_handler_send.load(Ordering::Relaxed)
                );
            }
        } else {
            still = 0;
            eprintln!("  received={} replied={}", now.0, now.1);
        }
        last = now;
    }
}
