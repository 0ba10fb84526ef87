//! The `md5sum`, `sha1sum`, `sha256sum`, `sha384sum` and `sha512sum` exec commands: hash files read through
//! the user's [`Vfs`] (so `download` is needed) and print `<hex>  <path>` lines as coreutils does.
//!
//! The work runs in a task of its own and answers through `Handle` (ARCHITECTURE.md §2 rule 4): hashing a
//! large file must not hold the session loop.

use bytes::BytesMut;
use md5::Md5;
use ringway_core::{StorageError, VirtualPath};
use ringway_vfs::Vfs;
use russh::ChannelId;
use russh::server::Handle;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Read size while hashing.
const CHUNK: usize = 256 * 1024;

/// A hash command's algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlgorithm {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    /// From the command name (`sha256sum`...).
    pub(crate) fn from_command(name: &str) -> Option<Self> {
        Some(match name {
            "md5sum" => Self::Md5,
            "sha1sum" => Self::Sha1,
            "sha256sum" => Self::Sha256,
            "sha384sum" => Self::Sha384,
            "sha512sum" => Self::Sha512,
            _ => return None,
        })
    }

    /// The command name.
    pub(crate) const fn command(self) -> &'static str {
        match self {
            Self::Md5 => "md5sum",
            Self::Sha1 => "sha1sum",
            Self::Sha256 => "sha256sum",
            Self::Sha384 => "sha384sum",
            Self::Sha512 => "sha512sum",
        }
    }
}

async fn digest<D: Digest + Send>(vfs: &Vfs, path: &VirtualPath) -> Result<String, StorageError> {
    let reader = vfs.open_read(path).await?;
    let mut hasher = D::new();
    let mut offset = 0u64;
    let mut buf = BytesMut::with_capacity(CHUNK);
    loop {
        buf.clear();
        let (res, filled) = reader.read_at(buf, offset).await;
        buf = filled;
        let n = res?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n.min(buf.len())]);
        offset += n as u64;
    }
    let _ = reader.close().await;
    Ok(hex::encode(&hasher.finalize()[..]))
}

async fn hash(
    vfs: &Vfs,
    algorithm: HashAlgorithm,
    path: &VirtualPath,
) -> Result<String, StorageError> {
    match algorithm {
        HashAlgorithm::Md5 => digest::<Md5>(vfs, path).await,
        HashAlgorithm::Sha1 => digest::<Sha1>(vfs, path).await,
        HashAlgorithm::Sha256 => digest::<Sha256>(vfs, path).await,
        HashAlgorithm::Sha384 => digest::<Sha384>(vfs, path).await,
        HashAlgorithm::Sha512 => digest::<Sha512>(vfs, path).await,
    }
}

/// Hashes `paths` and answers on `channel`: output, exit status (1 if any file failed), EOF and close.
pub(crate) fn spawn(
    vfs: Vfs,
    handle: Handle,
    channel: ChannelId,
    algorithm: HashAlgorithm,
    paths: Vec<String>,
) {
    tokio::spawn(async move {
        let command = algorithm.command();
        let mut stdout = String::new();
        let mut stderr = String::new();
        for raw in &paths {
            let result = match VirtualPath::parse(raw) {
                Ok(p) => hash(&vfs, algorithm, &p)
                    .await
                    .map_err(|e| e.kind().as_str()),
                Err(_) => Err(ringway_core::ErrorKind::InvalidPath.as_str()),
            };
            match result {
                Ok(hex) => stdout.push_str(&format!("{hex}  {raw}\n")),
                Err(msg) => stderr.push_str(&format!("{command}: {raw}: {msg}\n")),
            }
        }
        let status = u32::from(!stderr.is_empty());
        tracing::info!(user = %vfs.user().username, command, status, "SSH command");
        if !stdout.is_empty() {
            let _ = handle.data(channel, stdout.into_bytes()).await;
        }
        if !stderr.is_empty() {
            let _ = handle.extended_data(channel, 1, stderr.into_bytes()).await;
        }
        let _ = handle.exit_status_request(channel, status).await;
        let _ = handle.eof(channel).await;
        let _ = handle.close(channel).await;
    });
}
