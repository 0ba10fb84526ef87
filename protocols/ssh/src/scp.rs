//! The scp driver: runs `scp -t` (the client uploads) or `scp -f` (the client downloads) on an exec channel,
//! over the user's [`Vfs`], with the protocol core of `scp_proto.rs`.
//!
//! Follows ARCHITECTURE.md §2. `Handler::data` only hands the client's bytes to the driver task through a
//! small bounded queue ([`ScpInput::feed`]). When receiving, that queue is drained by disk writes alone: the
//! acknowledgements go out through a writer task of their own, so the loop never waits on something that
//! needs the loop (rule 3); too many unsent acknowledgements close the session (rule 7). When sending, the
//! client only answers our messages, so a full queue means a misbehaving client and closes the session; file
//! data goes out through `Handle::data` from the driver task (rule 4), which gives backpressure. Uploads go
//! through `Vfs::open_write` and are committed only once complete; an error or a lost connection aborts them.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use ringway_core::{SetAttrs, StorageError, VirtualPath, WriteMode};
use ringway_vfs::{Upload, UploadRequest, Vfs};
use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::mpsc;

use crate::scp_proto::{self, Ack, Control, Direction, ProtoError, ScpArgs, SinkEvent, SinkParser};

/// Chunks read from storage and sent in one `Handle::data` call, and the size of coalesced writes.
const CHUNK: usize = 256 * 1024;
/// Client data messages queued between `Handler::data` and the driver.
const INPUT_QUEUE: usize = 16;
/// Acknowledgements waiting for the client to read them before the session is closed.
const MAX_PENDING_ACKS: usize = 1024;
/// Entries fetched per listing page.
const LIST_PAGE: usize = 256;

/// The `Handler::data` side of an scp session.
#[derive(Debug)]
pub(crate) struct ScpInput {
    tx: mpsc::Sender<Bytes>,
    direction: Direction,
}

impl ScpInput {
    /// Hands the client's bytes to the driver. Returns false when the session must be closed.
    pub(crate) async fn feed(&self, data: &[u8]) -> bool {
        let bytes = Bytes::copy_from_slice(data);
        match self.direction {
            // Drained by disk writes only (rule 3).
            Direction::Sink => self.tx.send(bytes).await.is_ok(),
            // The client sends a status per message of ours: a full queue is a client that floods.
            Direction::Source => self.tx.try_send(bytes).is_ok(),
        }
    }
}

/// Starts the driver; dropping the returned input (EOF, close, disconnect) ends it.
pub(crate) fn start(
    vfs: Vfs,
    handle: Handle,
    channel: ChannelId,
    args: ScpArgs,
    busy: crate::handler::ScpBusy,
) -> ScpInput {
    let (tx, rx) = mpsc::channel(INPUT_QUEUE);
    let direction = args.direction;
    tokio::spawn(async move {
        let user = vfs.user().username.clone();
        let ok = match args.direction {
            Direction::Sink => run_sink(vfs, &handle, channel, args, rx).await,
            Direction::Source => {
                let mut s = Source {
                    vfs,
                    handle: handle.clone(),
                    channel,
                    input: Input::new(rx),
                    args,
                    errors: false,
                };
                s.run().await
            }
        };
        tracing::info!(user = %user, ?direction, ok, "SCP finished");
        let _ = handle.exit_status_request(channel, u32::from(!ok)).await;
        let _ = handle.eof(channel).await;
        let _ = handle.close(channel).await;
        drop(busy);
    });
    ScpInput { tx, direction }
}

/// Whether a path component holds shell wildcard characters.
fn has_wildcard(name: &str) -> bool {
    name.contains(['*', '?', '['])
}

/// The one place that words storage errors for scp clients.
fn error_text(path: &str, e: &StorageError) -> String {
    format!("{path}: {}", e.kind().as_str())
}

fn time(secs: u64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

fn secs(t: Option<SystemTime>) -> u64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// Modification and access times, in seconds since the epoch.
type Times = (u64, u64);

/// Why a session stops early.
#[derive(Debug)]
enum Stop {
    /// The channel or connection is gone.
    Gone,
    /// A protocol error: told to the client as fatal.
    Proto(ProtoError),
    /// The client gave up, or we did with this message.
    Fatal(String),
}

/// The client's bytes, buffered.
struct Input {
    rx: mpsc::Receiver<Bytes>,
    buf: BytesMut,
}

impl Input {
    fn new(rx: mpsc::Receiver<Bytes>) -> Self {
        Self {
            rx,
            buf: BytesMut::new(),
        }
    }

    /// Reads more; `Stop::Gone` at the end of input.
    async fn fill(&mut self) -> Result<(), Stop> {
        let more = self.rx.recv().await.ok_or(Stop::Gone)?;
        self.buf.extend_from_slice(&more);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------- sink

/// Acknowledgements, written to the client by a task of their own.
struct Acks(mpsc::Sender<Vec<u8>>);

impl Acks {
    fn send(&self, msg: Vec<u8>) -> Result<(), Stop> {
        self.0
            .try_send(msg)
            .map_err(|_| Stop::Fatal("the client does not read our answers".to_owned()))
    }
    fn ok(&self) -> Result<(), Stop> {
        self.send(vec![0])
    }
    fn error(&self, msg: &str) -> Result<(), Stop> {
        self.send(scp_proto::error_line(false, msg))
    }
}

/// A file being received.
struct Receiving {
    path: VirtualPath,
    upload: Option<Upload>,
    offset: u64,
    pending: BytesMut,
    failed: Option<String>,
    mode: u32,
    times: Option<(u64, u64)>,
}

struct Sink {
    vfs: Vfs,
    acks: Acks,
    args: ScpArgs,
    errors: bool,
}

async fn run_sink(
    vfs: Vfs,
    handle: &Handle,
    channel: ChannelId,
    args: ScpArgs,
    rx: mpsc::Receiver<Bytes>,
) -> bool {
    let (ack_tx, mut ack_rx) = mpsc::channel::<Vec<u8>>(MAX_PENDING_ACKS);
    let writer_handle = handle.clone();
    let writer = tokio::spawn(async move {
        while let Some(msg) = ack_rx.recv().await {
            if writer_handle.data(channel, msg).await.is_err() {
                break;
            }
        }
    });
    let mut sink = Sink {
        vfs,
        acks: Acks(ack_tx),
        args,
        errors: false,
    };
    let mut input = Input::new(rx);
    let mut current = None;
    let result = sink.run(&mut input, &mut current).await;
    if let Some(r) = current
        && let Some(upload) = r.upload
    {
        let _ = upload.abort().await;
        tracing::info!(path = %r.path, "SCP upload aborted");
    }
    let ok = match result {
        Ok(()) | Err(Stop::Gone) => !sink.errors,
        Err(Stop::Proto(e)) => {
            let _ = sink.acks.send(scp_proto::error_line(true, &e.to_string()));
            false
        }
        Err(Stop::Fatal(msg)) => {
            tracing::info!(cause = %msg, "SCP upload session failed");
            let _ = sink.acks.send(scp_proto::error_line(true, &msg));
            false
        }
    };
    drop(sink);
    let _ = writer.await;
    ok
}

impl Sink {
    async fn run(
        &mut self,
        input: &mut Input,
        current: &mut Option<Receiving>,
    ) -> Result<(), Stop> {
        let raw = self.args.paths.first().cloned().unwrap_or_default();
        let target = VirtualPath::parse(&raw).map_err(|_| {
            Stop::Fatal(format!(
                "{raw}: {}",
                ringway_core::ErrorKind::InvalidPath.as_str()
            ))
        })?;
        let target_is_dir = self.vfs.stat(&target).await.is_ok_and(|m| m.is_dir());
        if self.args.target_dir && !target_is_dir {
            return Err(Stop::Fatal(format!("{target}: not a directory")));
        }
        self.acks.ok()?;
        let mut parser = SinkParser::default();
        // The directory entries go into (None: the target names the file itself), and the directories entered.
        let mut cwd = target_is_dir.then(|| target.clone());
        let mut stack: Vec<(Option<VirtualPath>, Option<Times>)> = Vec::new();
        let mut times = None;
        loop {
            let event = loop {
                match parser.next(&mut input.buf).map_err(Stop::Proto)? {
                    Some(e) => break e,
                    None => match input.fill().await {
                        Ok(()) => {}
                        Err(Stop::Gone) if current.is_none() => return Ok(()),
                        Err(e) => return Err(e),
                    },
                }
            };
            match event {
                SinkEvent::Control(Control::Time { mtime, atime }) => {
                    times = Some((mtime, atime));
                    self.acks.ok()?;
                }
                SinkEvent::Control(Control::File { mode, size, name }) => {
                    let path = self.entry_path(cwd.as_ref(), &target, &name)?;
                    let t = times.take();
                    match self.open(&path, mode, size).await {
                        Ok(upload) => {
                            *current = Some(Receiving {
                                path,
                                upload: Some(upload),
                                offset: 0,
                                pending: BytesMut::new(),
                                failed: None,
                                mode,
                                times: t,
                            });
                            self.acks.ok()?;
                        }
                        Err(msg) => {
                            self.errors = true;
                            parser.skip_file();
                            self.acks.error(&msg)?;
                        }
                    }
                }
                SinkEvent::Data(bytes) => {
                    if let Some(r) = current.as_mut() {
                        r.pending.extend_from_slice(&bytes);
                        if r.pending.len() >= CHUNK {
                            flush(r).await;
                        }
                    }
                }
                SinkEvent::DataEnd(client_error) => {
                    let Some(r) = current.take() else {
                        return Err(Stop::Proto(ProtoError("file data without a file")));
                    };
                    self.finish_file(r, client_error).await?;
                }
                SinkEvent::Control(Control::Dir { mode, name }) => {
                    if !self.args.recursive {
                        return Err(Stop::Fatal("received a directory without -r".to_owned()));
                    }
                    let path = self.entry_path(cwd.as_ref(), &target, &name)?;
                    match self.enter_dir(&path, mode).await {
                        Ok(()) => {
                            stack.push((cwd.replace(path), times.take()));
                            self.acks.ok()?;
                        }
                        Err(msg) => {
                            times = None;
                            self.errors = true;
                            self.acks.error(&msg)?;
                        }
                    }
                }
                SinkEvent::Control(Control::End) => {
                    let Some((parent, t)) = stack.pop() else {
                        return Err(Stop::Proto(ProtoError("unexpected E")));
                    };
                    let dir = std::mem::replace(&mut cwd, parent);
                    if let (Some(dir), Some((mtime, atime)), true) = (dir, t, self.args.preserve) {
                        let attrs = SetAttrs {
                            mtime: time(mtime),
                            atime: time(atime),
                            ..SetAttrs::default()
                        };
                        if let Err(e) = self.vfs.set_attrs(&dir, attrs).await {
                            self.errors = true;
                            self.acks.error(&error_text(dir.as_str(), &e))?;
                            continue;
                        }
                    }
                    self.acks.ok()?;
                }
                SinkEvent::Warning(msg) => {
                    tracing::info!(message = %msg, "SCP client reported an error");
                    self.errors = true;
                }
                SinkEvent::Fatal(msg) => return Err(Stop::Fatal(msg)),
            }
        }
    }

    fn entry_path(
        &self,
        cwd: Option<&VirtualPath>,
        target: &VirtualPath,
        name: &str,
    ) -> Result<VirtualPath, Stop> {
        match cwd {
            Some(dir) => dir
                .join(name)
                .map_err(|_| Stop::Proto(ProtoError("unexpected file name"))),
            None => Ok(target.clone()),
        }
    }

    async fn open(&self, path: &VirtualPath, mode: u32, size: u64) -> Result<Upload, String> {
        let max = self.vfs.user().max_upload_file_size;
        if max > 0 && size > max {
            return Err(format!(
                "{path}: {}",
                ringway_core::ErrorKind::QuotaExceeded.as_str()
            ));
        }
        let req = UploadRequest {
            mode: WriteMode::Truncate,
            create_mode: mode & 0o777,
        };
        self.vfs
            .open_write(path, req)
            .await
            .map_err(|e| error_text(path.as_str(), &e))
    }

    async fn enter_dir(&self, path: &VirtualPath, mode: u32) -> Result<(), String> {
        match self.vfs.stat(path).await {
            Ok(md) if md.is_dir() => Ok(()),
            Ok(_) => Err(format!("{path}: not a directory")),
            Err(e) if e.kind() == ringway_core::ErrorKind::NotFound => self
                .vfs
                .mkdir(path, mode & 0o777)
                .await
                .map_err(|e| error_text(path.as_str(), &e)),
            Err(e) => Err(error_text(path.as_str(), &e)),
        }
    }

    async fn finish_file(
        &mut self,
        mut r: Receiving,
        client_error: Option<String>,
    ) -> Result<(), Stop> {
        flush(&mut r).await;
        let Some(upload) = r.upload.take() else {
            return Ok(());
        };
        if let Some(msg) = client_error {
            tracing::info!(path = %r.path, message = %msg, "SCP client could not send the whole file");
            let _ = upload.abort().await;
            self.errors = true;
            return self.acks.ok();
        }
        if let Some(msg) = r.failed {
            let _ = upload.abort().await;
            self.errors = true;
            return self.acks.error(&msg);
        }
        if let Err(e) = upload.commit().await {
            self.errors = true;
            return self.acks.error(&error_text(r.path.as_str(), &e));
        }
        tracing::info!(path = %r.path, size = r.offset, "SCP upload");
        if self.args.preserve {
            let mut attrs = SetAttrs {
                mode: Some(r.mode & 0o7777),
                ..SetAttrs::default()
            };
            if let Some((mtime, atime)) = r.times {
                attrs.mtime = time(mtime);
                attrs.atime = time(atime);
            }
            if let Err(e) = self.vfs.set_attrs(&r.path, attrs).await {
                self.errors = true;
                return self.acks.error(&error_text(r.path.as_str(), &e));
            }
        }
        self.acks.ok()
    }
}

/// Writes the coalesced bytes of `r` unless it already failed.
async fn flush(r: &mut Receiving) {
    if r.pending.is_empty() {
        return;
    }
    let data = r.pending.split().freeze();
    if r.failed.is_some() {
        return;
    }
    let Some(upload) = r.upload.as_ref() else {
        return;
    };
    let len = data.len() as u64;
    let (res, _) = upload.write_at(data, r.offset).await;
    match res {
        Ok(()) => r.offset += len,
        Err(e) => r.failed = Some(error_text(r.path.as_str(), &e)),
    }
}

// -------------------------------------------------------------------------------------------- source

struct Source {
    vfs: Vfs,
    handle: Handle,
    channel: ChannelId,
    input: Input,
    args: ScpArgs,
    errors: bool,
}

type Step<'a> = Pin<Box<dyn Future<Output = Result<(), Stop>> + Send + 'a>>;

impl Source {
    async fn run(&mut self) -> bool {
        let result = self.send_all().await;
        match result {
            Ok(()) => !self.errors,
            Err(Stop::Gone) => false,
            Err(Stop::Proto(e)) => {
                let _ = self.send(scp_proto::error_line(true, &e.to_string())).await;
                false
            }
            Err(Stop::Fatal(msg)) => {
                tracing::info!(message = %msg, "SCP download stopped by the client");
                false
            }
        }
    }

    async fn send_all(&mut self) -> Result<(), Stop> {
        // The sink speaks first.
        if !self.ack().await? {
            return Ok(());
        }
        for raw in self.args.paths.clone() {
            let Ok(path) = VirtualPath::parse(&raw) else {
                let msg = format!("{raw}: {}", ringway_core::ErrorKind::InvalidPath.as_str());
                self.warn(&msg).await?;
                continue;
            };
            // A pattern that matches nothing (or does not parse as one) is a literal name, as in a shell:
            // `a[1].txt` is a file name too.
            let paths = if has_wildcard(path.file_name().unwrap_or("")) {
                match self.expand(&path).await {
                    Ok(found) if !found.is_empty() => found,
                    Ok(_) => vec![path],
                    Err(e) if e.kind() == ringway_core::ErrorKind::InvalidPath => vec![path],
                    Err(e) => {
                        self.warn(&error_text(&raw, &e)).await?;
                        continue;
                    }
                }
            } else {
                vec![path]
            };
            for path in paths {
                match self.vfs.stat(&path).await {
                    Ok(md) => {
                        let name = path.file_name().unwrap_or("/").to_owned();
                        self.entry(path, md, name).await?;
                    }
                    Err(e) => self.warn(&error_text(path.as_str(), &e)).await?,
                }
            }
        }
        Ok(())
    }

    /// The entries of `pattern`'s directory whose names match its last component, sorted, as a shell would expand
    /// them for `scp -f` (legacy scp runs the remote command through a shell; ringway has none). `*`, `?` and
    /// `[...]` match within the name; a leading dot must be matched explicitly.
    async fn expand(&self, pattern: &VirtualPath) -> Result<Vec<VirtualPath>, StorageError> {
        let parent = pattern.parent().unwrap_or_else(VirtualPath::root);
        let glob = pattern.file_name().unwrap_or("");
        let matcher = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| {
                StorageError::with_context(ringway_core::ErrorKind::InvalidPath, e.to_string())
            })?
            .compile_matcher();
        let mut lister = self.vfs.list(&parent).await?;
        let mut names = Vec::new();
        loop {
            let page = lister.next_page(LIST_PAGE).await?;
            if page.is_empty() {
                break;
            }
            names.extend(
                page.into_iter().map(|e| e.name).filter(|n| {
                    (!n.starts_with('.') || glob.starts_with('.')) && matcher.is_match(n)
                }),
            );
        }
        names.sort();
        Ok(names
            .into_iter()
            .filter_map(|n| parent.join(&n).ok())
            .collect())
    }

    async fn send(&self, data: impl Into<Bytes>) -> Result<(), Stop> {
        self.handle
            .data(self.channel, data.into())
            .await
            .map_err(|_| Stop::Gone)
    }

    async fn warn(&mut self, msg: &str) -> Result<(), Stop> {
        self.errors = true;
        self.send(scp_proto::error_line(false, msg)).await
    }

    /// Waits for the client's status: true for ok, false for an error it reported (skip this entry).
    async fn ack(&mut self) -> Result<bool, Stop> {
        loop {
            match scp_proto::next_ack(&mut self.input.buf).map_err(Stop::Proto)? {
                Some(Ack::Ok) => return Ok(true),
                Some(Ack::Warning(msg)) => {
                    tracing::info!(message = %msg, "SCP client reported an error");
                    self.errors = true;
                    return Ok(false);
                }
                Some(Ack::Fatal(msg)) => return Err(Stop::Fatal(msg)),
                None => self.input.fill().await?,
            }
        }
    }

    fn entry(&mut self, path: VirtualPath, md: ringway_core::Metadata, name: String) -> Step<'_> {
        Box::pin(async move {
            if md.is_dir() {
                self.dir(path, md, name).await
            } else if md.is_file() {
                self.file(path, md, name).await
            } else {
                self.warn(&format!("{path}: not a regular file")).await
            }
        })
    }

    async fn times(&mut self, md: &ringway_core::Metadata) -> Result<bool, Stop> {
        if !self.args.preserve {
            return Ok(true);
        }
        self.send(scp_proto::time_line(secs(md.mtime), secs(md.atime)))
            .await?;
        self.ack().await
    }

    async fn dir(
        &mut self,
        path: VirtualPath,
        md: ringway_core::Metadata,
        name: String,
    ) -> Result<(), Stop> {
        if !self.args.recursive {
            return self.warn(&format!("{path}: not a regular file")).await;
        }
        let mut lister = match self.vfs.list(&path).await {
            Ok(l) => l,
            Err(e) => return self.warn(&error_text(path.as_str(), &e)).await,
        };
        let Some(line) = scp_proto::dir_line(md.mode, &name) else {
            return self.warn(&format!("{path}: unsupported name")).await;
        };
        if !self.times(&md).await? {
            return Ok(());
        }
        self.send(line).await?;
        if !self.ack().await? {
            return Ok(());
        }
        loop {
            let page = match lister.next_page(LIST_PAGE).await {
                Ok(p) => p,
                Err(e) => {
                    self.warn(&error_text(path.as_str(), &e)).await?;
                    break;
                }
            };
            if page.is_empty() {
                break;
            }
            for e in page {
                let Ok(child) = path.join(&e.name) else {
                    continue;
                };
                // Follow symlinks, as OpenSSH does.
                let md = if e.metadata.kind == ringway_core::FileKind::Symlink {
                    match self.vfs.stat(&child).await {
                        Ok(md) => md,
                        Err(err) => {
                            self.warn(&error_text(child.as_str(), &err)).await?;
                            continue;
                        }
                    }
                } else {
                    e.metadata
                };
                self.entry(child, md, e.name).await?;
            }
        }
        self.send(&b"E\n"[..]).await?;
        self.ack().await.map(|_| ())
    }

    async fn file(
        &mut self,
        path: VirtualPath,
        md: ringway_core::Metadata,
        name: String,
    ) -> Result<(), Stop> {
        let reader = match self.vfs.open_read(&path).await {
            Ok(r) => r,
            Err(e) => return self.warn(&error_text(path.as_str(), &e)).await,
        };
        let size = md.size;
        let Some(line) = scp_proto::file_line(md.mode, size, &name) else {
            return self.warn(&format!("{path}: unsupported name")).await;
        };
        if !self.times(&md).await? {
            return Ok(());
        }
        self.send(line).await?;
        if !self.ack().await? {
            return Ok(());
        }
        let mut offset = 0u64;
        let mut failure = None;
        while offset < size {
            let want = usize::try_from(size - offset).unwrap_or(CHUNK).min(CHUNK);
            if failure.is_none() {
                let buf = BytesMut::with_capacity(want);
                let (res, mut buf) = reader.read_at(buf, offset).await;
                match res {
                    Ok(n) if n > 0 => {
                        buf.truncate(n.min(want));
                        offset += buf.len() as u64;
                        self.send(buf.freeze()).await?;
                        continue;
                    }
                    Ok(_) => failure = Some(format!("{path}: file shrank while being sent")),
                    Err(e) => failure = Some(error_text(path.as_str(), &e)),
                }
            }
            // The header promised `size` bytes: pad, then report the error.
            offset += want as u64;
            self.send(vec![0u8; want]).await?;
        }
        let _ = reader.close().await;
        match failure {
            None => {
                self.send(&b"\0"[..]).await?;
                tracing::info!(path = %path, size, "SCP download");
            }
            Some(msg) => {
                self.errors = true;
                self.send(scp_proto::error_line(false, &msg)).await?;
            }
        }
        self.ack().await.map(|_| ())
    }
}
