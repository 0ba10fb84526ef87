//! The VFS: resolves virtual paths to backends and applies a user's permissions and patterns
