//! Crate-level tests: request round trips through a test-only encoder, golden packets, hostile input and
//! reply encoders. Stream-level tests (framer splits, random bytes) live in `tests/`.

mod encode;
mod golden;
mod hostile;
mod responses;
mod roundtrip;
