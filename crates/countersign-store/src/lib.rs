//! Countersign's storage: one [`Store`] over SQLite (a single file, the
//! embedded default) or PostgreSQL (shared by several `countersign`
//! processes), with versioned migrations applied on open.
//!
//! The store implements [`countersign_directory::DirectoryStore`] and
//! [`countersign_audit::AuditSink`]. Directory changes and the audit entries
//! describing them are written in one transaction, so the log can never miss
//! a change that happened, nor record one that did not.
//!
//! Both backends run the same SQL text (`$1` placeholders work in both); the
//! per-backend code is generated from one source by the `with_db!` macro, so
//! the two cannot drift apart. Only the migrations differ, in
//! `migrations/sqlite` and `migrations/postgres`.

mod accounts;
mod audit;
mod backend;
mod cases;
mod directory;
mod employees;
mod error;
mod migrate;
pub mod posture;
mod queue;
pub mod relay;
mod rows;

pub use accounts::{
    ApiTokenRecord, CREDENTIAL_CACHE_TTL, NewSession, SessionRecord, SigninFailure,
};
pub use backend::{Backend, Store};
pub use cases::{
    Delivery, DeliveryAttempt, DeliveryOutcome, MessageRecord, PublishedEvent, RecordedMessage,
    Webhook,
};
pub use employees::{Correlation, ReportRecord, StaffPhoto, Ticket};
pub use error::StoreError;
pub use posture::{AggregateIngest, Begin, PostureBatch, PostureQuery, Stored};
pub use queue::{MessageCursor, MessageFilter, MessageListing};
pub use relay::{NewRelay, QuarantinedMessage, RelayCounts, RelayJob, RelayOutcome};

/// How many audit entries may accumulate before an append signs a new
/// checkpoint by itself (when the store has the installation key).
pub const CHECKPOINT_EVERY: u64 = 1000;
