//! Countersign's tamper-evident audit log: hash-chained entries, Ed25519-signed
//! checkpoints and the verification of both.
//!
//! Every entry carries the SHA-256 hash of its predecessor, so changing,
//! removing, inserting or reordering a stored entry breaks the chain. A database
//! administrator could still recompute the whole chain after editing it; the
//! signed [`Checkpoint`]s stop that, because the signing key lives in a file
//! outside the database ([`InstallationKey`]).
//!
//! This crate does no database IO: storage implements [`AuditSink`] and feeds
//! stored rows to a [`ChainVerifier`]. The only IO here is reading and creating
//! the installation key file.

mod checkpoint;
mod entry;
mod error;
mod key;
mod sink;
mod verify;

pub use checkpoint::{Checkpoint, checkpoint_message};
pub use entry::{AuditEntry, AuditEvent, ChainHead, GENESIS_HASH, Hash, entry_hash, unix_millis};
pub use error::AuditError;
pub use key::{InstallationKey, VerifyingKey};
pub use sink::AuditSink;
pub use verify::{Breach, ChainVerifier, VerifyReport};
