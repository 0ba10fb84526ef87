//! Paged directory listings, read on the blocking pool (io_uring has no `getdents`).

use std::path::Path;

use async_trait::async_trait;
use ringway_core::{DirEntry, DirLister, Result, StorageError, VirtualPath};
use ringway_uring::{Fd, Io};

use crate::{UPLOAD_TEMP_PREFIX, metadata_from};

/// A directory being listed. Each page reads up to `limit` names and `lstat`s them relative to the directory.
#[derive(Debug)]
pub(crate) struct LocalLister {
    io: Io,
    state: Option<(Fd, Option<rustix::fs::Dir>)>,
    path: VirtualPath,
}

impl LocalLister {
    pub(crate) fn new(io: Io, fd: Fd, path: VirtualPath) -> Self {
        Self {
            io,
            state: Some((fd, None)),
            path,
        }
    }
}

#[async_trait]
impl DirLister for LocalLister {
    async fn next_page(&mut self, limit: usize) -> Result<Vec<DirEntry>> {
        let Some((fd, dir)) = self.state.take() else {
            return Ok(Vec::new());
        };
        let limit = limit.max(1);
        let (fd, dir, page) = self
            .io
            .blocking(move || {
                let mut dir = match dir {
                    Some(d) => d,
                    None => rustix::fs::Dir::read_from(&fd)?,
                };
                let mut page = Vec::with_capacity(limit.min(1024));
                let mut finished = true;
                for entry in dir.by_ref() {
                    let entry = entry?;
                    let Ok(name) = entry.file_name().to_str() else {
                        continue;
                    };
                    if name == "." || name == ".." || name.starts_with(UPLOAD_TEMP_PREFIX) {
                        continue;
                    }
                    match Io::statx_blocking(&fd, Path::new(name), false) {
                        Ok(st) => page.push(DirEntry {
                            name: name.to_owned(),
                            metadata: metadata_from(&st),
                        }),
                        // Removed between readdir and lstat: skip it.
                        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue,
                        Err(e) => return Err(e),
                    }
                    if page.len() >= limit {
                        finished = false;
                        break;
                    }
                }
                Ok((fd, if finished { None } else { Some(dir) }, page))
            })
            .await
            .map_err(|e| StorageError::from_io(e, format!("list {}", self.path)))?;
        // A page that ended the directory leaves no state, so the next call returns the empty page.
        if let Some(dir) = dir {
            self.state = Some((fd, Some(dir)));
        }
        Ok(page)
    }
}
