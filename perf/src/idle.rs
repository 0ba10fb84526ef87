//! The idle-sessions case: many authenticated SFTP sessions held open at once, to weigh what one costs the
//! server in memory.
//!
//! A thousand OpenSSH clients would cost the client side gigabytes, so the harness opens the sessions itself with
//! russh in one process: connect, authenticate with the client key, open a session channel, start the `sftp`
//! subsystem and exchange SSH_FXP_INIT/VERSION; then it holds them all and reads the server's memory (PSS of its
//! process tree, so forked servers are not charged their shared pages per connection).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate};

use crate::cases::{Data, Sample};
use crate::procfs;
use crate::servers::{Running, USER};

/// Sessions opened at the same time (OpenSSH's MaxStartups counts unauthenticated connections).
const CONCURRENCY: usize = 8;

struct Trusting;

impl client::Handler for Trusting {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One held session: the connection and its SFTP channel.
type Held = (client::Handle<Trusting>, russh::Channel<client::Msg>);

async fn open(
    config: Arc<client::Config>,
    port: u16,
    key: Arc<russh::keys::PrivateKey>,
) -> Result<Held> {
    let mut handle = client::connect(config, ("127.0.0.1", port), Trusting)
        .await
        .context("connect")?;
    let auth = handle
        .authenticate_publickey(USER, PrivateKeyWithHashAlg::new(key, None))
        .await
        .context("authenticate")?;
    ensure!(auth.success(), "public key login refused");
    let mut channel = handle
        .channel_open_session()
        .await
        .context("open a session channel")?;
    channel
        .request_subsystem(true, "sftp")
        .await
        .context("request the sftp subsystem")?;
    // SSH_FXP_INIT, version 3.
    channel
        .data_bytes(vec![0, 0, 0, 5, 1, 0, 0, 0, 3])
        .await
        .context("send SSH_FXP_INIT")?;
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            msg = channel.wait() => match msg {
                Some(russh::ChannelMsg::Data { data }) if data.len() >= 5 && data[4] == 2 => break,
                Some(russh::ChannelMsg::Data { .. } | russh::ChannelMsg::Success | russh::ChannelMsg::WindowAdjusted { .. }) => {}
                Some(other) => bail!("unexpected {other:?} before SSH_FXP_VERSION"),
                None => bail!("channel closed before SSH_FXP_VERSION"),
            },
            () = &mut deadline => bail!("no SSH_FXP_VERSION within 30 s"),
        }
    }
    Ok((handle, channel))
}

/// Opens `n` sessions to `port`, at most [`CONCURRENCY`] at a time.
async fn open_many(
    n: usize,
    port: u16,
    config: &Arc<client::Config>,
    key: &Arc<russh::keys::PrivateKey>,
) -> Result<Vec<Held>> {
    let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let permit = Arc::clone(&sem).acquire_owned().await?;
        let (config, key) = (Arc::clone(config), Arc::clone(key));
        tasks.push(tokio::spawn(async move {
            let r = open(config, port, key).await;
            drop(permit);
            r
        }));
    }
    let mut held = Vec::with_capacity(n);
    for (i, t) in tasks.into_iter().enumerate() {
        held.push(t.await?.with_context(|| format!("idle session {i}"))?);
    }
    Ok(held)
}

/// Opens `data.sizes.idle_sessions` sessions to `server` in two halves, weighs the server after each, and closes
/// them. Memory per session is the growth over the second half: the first half absorbs whatever free memory the
/// server's allocator kept from earlier cases, which would make a before/after difference read low.
pub(crate) fn run(server: &Running, data: &Data) -> Result<Sample> {
    let n = data.sizes.idle_sessions.max(2);
    let half = n / 2;
    let key =
        Arc::new(russh::keys::load_secret_key(&data.key, None).context("load the client key")?);
    let config = Arc::new(client::Config {
        nodelay: true,
        ..client::Config::default()
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    server.settle(Duration::from_secs(10));
    let cpu0 = server.cpu();
    let t0 = Instant::now();
    let port = server.port;
    let mut held = rt.block_on(open_many(half, port, &config, &key))?;
    let mut wall_s = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let pss_half = procfs::tree_pss(server.pid());
    let t1 = Instant::now();
    held.extend(rt.block_on(open_many(n - half, port, &config, &key))?);
    wall_s += t1.elapsed().as_secs_f64();
    // Let the server finish its per-session start-up work (sshd forks sftp-server) before weighing it.
    std::thread::sleep(Duration::from_secs(2));
    let pss_full = procfs::tree_pss(server.pid());
    let rss_full = procfs::tree_rss(server.pid());
    let server_cpu_s = server.cpu() - cpu0;
    rt.block_on(async {
        for (handle, channel) in held {
            drop(channel);
            let _ = handle
                .disconnect(russh::Disconnect::ByApplication, "", "")
                .await;
        }
    });
    drop(rt);
    server.settle(Duration::from_secs(60));
    Ok(Sample {
        wall_s,
        amount: n as f64,
        server_cpu_s,
        client_cpu_s: 0.0,
        peak_rss_bytes: rss_full,
        bytes_per_session: pss_full.saturating_sub(pss_half) as f64 / (n - half) as f64,
        pss_bytes: pss_full,
    })
}
