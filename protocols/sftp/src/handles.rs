//! The handle table: small integers on our side, 8 opaque bytes on the wire.
//!
//! Each open object sits behind its own [`tokio::sync::RwLock`]. Every request on a handle takes a read guard
//! *in `feed`, in packet order*, before its task is spawned, and holds it until its storage operation is done;
//! CLOSE removes the entry from the table (later requests see an invalid handle) and then takes the write lock,
//! which therefore waits for exactly the operations the client sent before the CLOSE. The object is taken out
//! under the write lock, so commit/close run with nothing else touching it.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use ringway_core::{FileReader, SetAttrs, VirtualPath};
use ringway_vfs::{Upload, VfsLister};
use slab::Slab;
use tokio::sync::{OwnedRwLockReadGuard, RwLock};

/// Wire length of a handle: slot index then generation, both big-endian `u32`.
pub(crate) const HANDLE_LEN: usize = 8;

/// A file open for reading.
#[derive(Debug)]
pub(crate) struct FileHandle {
    pub(crate) reader: Box<dyn FileReader>,
    pub(crate) path: VirtualPath,
    /// The size last seen (at open, refreshed at end of file), to size read buffers.
    pub(crate) size_hint: AtomicU64,
}

/// A file open for writing.
#[derive(Debug)]
pub(crate) struct UploadHandle {
    pub(crate) upload: Upload,
    pub(crate) path: VirtualPath,
    /// FSETSTAT on an upload, applied to the final name after commit (an atomic upload has no final name yet).
    pub(crate) pending_attrs: std::sync::Mutex<Option<SetAttrs>>,
}

/// A directory being listed.
#[derive(Debug)]
pub(crate) struct DirHandle {
    pub(crate) path: VirtualPath,
    pub(crate) state: tokio::sync::Mutex<DirState>,
}

/// Progress of a listing.
#[derive(Debug)]
pub(crate) struct DirState {
    pub(crate) lister: VfsLister,
    /// `.` and `..` are sent with the first page, as OpenSSH's sftp-server (readdir(3)) does.
    pub(crate) dots_sent: bool,
    pub(crate) done: bool,
}

/// What a handle refers to.
#[derive(Debug)]
pub(crate) enum Object {
    File(FileHandle),
    Upload(UploadHandle),
    Dir(DirHandle),
}

impl Object {
    pub(crate) const fn path(&self) -> &VirtualPath {
        match self {
            Self::File(f) => &f.path,
            Self::Upload(u) => &u.path,
            Self::Dir(d) => &d.path,
        }
    }
}

/// One slot: `None` once CLOSE has taken the object out.
pub(crate) type Entry = Arc<RwLock<Option<Object>>>;
/// What a request on a handle holds while it runs.
pub(crate) type Guard = OwnedRwLockReadGuard<Option<Object>>;

/// The open handles of a session.
#[derive(Debug)]
pub(crate) struct HandleTable {
    slots: Slab<(u32, Entry)>,
    next_generation: u32,
    max: usize,
}

impl HandleTable {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            slots: Slab::new(),
            next_generation: 1,
            max,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Stores `object` and returns its wire handle, or gives it back when the table is full.
    pub(crate) fn insert(&mut self, object: Object) -> Result<[u8; HANDLE_LEN], Box<Object>> {
        if self.slots.len() >= self.max {
            return Err(Box::new(object));
        }
        let Ok(index) = u32::try_from(self.slots.vacant_key()) else {
            return Err(Box::new(object));
        };
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1).max(1);
        self.slots
            .insert((generation, Arc::new(RwLock::new(Some(object)))));
        let mut wire = [0; HANDLE_LEN];
        wire[..4].copy_from_slice(&index.to_be_bytes());
        wire[4..].copy_from_slice(&generation.to_be_bytes());
        Ok(wire)
    }

    fn key(&self, wire: &[u8]) -> Option<usize> {
        let wire: &[u8; HANDLE_LEN] = wire.try_into().ok()?;
        let index =
            usize::try_from(u32::from_be_bytes([wire[0], wire[1], wire[2], wire[3]])).ok()?;
        let generation = u32::from_be_bytes([wire[4], wire[5], wire[6], wire[7]]);
        (self.slots.get(index)?.0 == generation).then_some(index)
    }

    /// A read guard on the handle's object, `None` for an unknown or closing handle.
    pub(crate) fn guard(&self, wire: &[u8]) -> Option<Guard> {
        let key = self.key(wire)?;
        self.slots[key].1.clone().try_read_owned().ok()
    }

    /// Takes the handle out of the table (CLOSE).
    pub(crate) fn remove(&mut self, wire: &[u8]) -> Option<Entry> {
        let key = self.key(wire)?;
        Some(self.slots.remove(key).1)
    }

    /// Empties the table (end of session).
    pub(crate) fn drain(&mut self) -> Vec<Entry> {
        self.slots.drain().map(|(_, e)| e).collect()
    }
}
