//! The `sftp` subsystem: plugs ringway's SFTP engine into a russh session channel.
//!
//! Bytes the client sends arrive in `Handler::data` and go straight to [`SftpSession::feed`] (ARCHITECTURE.md
//! §2 rule 2), which awaits nothing but the write budget (rule 3). Replies leave through russh's `Handle::data`
//! from the engine's tasks (rule 4), so a client that stops reading slows the downloads, not the session loop.
//! When the channel ends, the session is finished in a task of its own: finishing waits for replies, which need
//! the loop the handler would otherwise block.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use ringway_model::User;
use ringway_sftp::{ReplySink, SessionConfig, SftpSession, SinkClosed};
use ringway_uring::Io;
use ringway_vfs::Vfs;
use russh::ChannelId;
use russh::server::Handle;

/// The future of a [`VfsFactory`].
pub type VfsFuture = Pin<Box<dyn Future<Output = Result<Vfs, ringway_core::StorageError>> + Send>>;

/// Builds a user's VFS on the worker's I/O engine (the binary supplies it: only it names concrete backends).
/// It opens the user's storage roots, which completes without the SSH loop's help (ARCHITECTURE.md rule 3).
#[derive(Clone)]
pub struct VfsFactory(Arc<dyn Fn(Arc<User>, Io) -> VfsFuture + Send + Sync>);

impl VfsFactory {
    /// Wraps the function that opens a user's storage.
    pub fn new(f: impl Fn(Arc<User>, Io) -> VfsFuture + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Opens `user`'s storage on `io`.
    pub(crate) fn open(&self, user: Arc<User>, io: Io) -> VfsFuture {
        (self.0)(user, io)
    }
}

impl std::fmt::Debug for VfsFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VfsFactory")
    }
}

/// Reply packets onto one channel.
struct ChannelSink {
    handle: Handle,
    channel: ChannelId,
}

impl ReplySink for ChannelSink {
    fn send(
        &self,
        packet: Bytes,
    ) -> Pin<Box<dyn Future<Output = Result<(), SinkClosed>> + Send + '_>> {
        Box::pin(async move {
            self.handle
                .data(self.channel, packet)
                .await
                .map_err(|_| SinkClosed)
        })
    }
}

/// Starts an SFTP session on `channel`.
pub(crate) fn start(
    vfs: Vfs,
    handle: Handle,
    channel: ChannelId,
    config: SessionConfig,
) -> SftpSession {
    SftpSession::new(vfs, Arc::new(ChannelSink { handle, channel }), config)
}

/// Ends a session off the loop: waits for its replies, then sends exit status 0 and closes the channel.
pub(crate) fn finish(session: SftpSession, handle: Handle, channel: ChannelId) {
    tokio::spawn(async move {
        session.finish().await;
        // OpenSSH's scp in SFTP mode fails unless the subsystem ends with exit status 0, as sftp-server does.
        let _ = handle.exit_status_request(channel, 0).await;
        let _ = handle.eof(channel).await;
        let _ = handle.close(channel).await;
    });
}
