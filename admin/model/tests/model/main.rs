//! Tests of `ringway-model` against a hand-written backup in the reference format.

mod errors;
mod fixture;
mod redaction;
mod validation;

use ringway_model::{BackupData, from_json};

/// The fixture as bytes.
const FIXTURE: &[u8] = include_bytes!("../fixtures/sftpgo-backup.json");

/// The fixture, decoded.
fn backup() -> BackupData {
    from_json(FIXTURE).expect("fixture decodes")
}
