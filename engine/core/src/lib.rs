//! Core vocabulary of ringway, shared by every protocol, backend and the admin side.
//!
//! This crate owns the types that cross crate boundaries and depends on nothing else of ours:
//!
//! - [`VirtualPath`]: a normalised absolute path as a user sees it. Every constructor rejects NUL bytes,
//!   `..` above the root and over-long names, so a `VirtualPath` that exists is always safe to join under a
//!   root (the kernel still confines the final resolution, see the local backend).
//! - [`Permissions`] and [`FilePatterns`]: the per-path policy of a user, inherited by the longest matching path.
//! - [`StorageError`]: a protocol-neutral error kind plus its source; each protocol maps [`ErrorKind`] to its
//!   wire codes in one exhaustive `match`.
//! - [`Backend`]: the storage trait, with owned buffers at every async boundary, capability flags, paged
//!   listing and atomic uploads.
//! - [`UserView`]: what a session needs of a user once authenticated.
#![forbid(unsafe_code)]

mod backend;
mod error;
mod path;
mod pattern;
mod perm;
mod user;

pub use backend::{
    Backend, Capabilities, DirEntry, DirLister, FileKind, FileReader, FileWriter, ListCursor,
    ListPage, Metadata, SetAttrs, StatVfs, WriteMode, WriteOptions, list_all,
};
pub use error::{ErrorKind, Result, StorageError};
pub use path::{MAX_NAME_LEN, MAX_PATH_LEN, PathError, VirtualPath};
pub use pattern::{DenyPolicy, FilePatterns, PatternDecision, PatternRule};
pub use perm::{Permission, PermissionSet, Permissions};
pub use user::UserView;
