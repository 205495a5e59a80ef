//! The verified directory: who the organisation's vendors, vendor contacts, IT
//! staff and employees really are, and how that record may change.
//!
//! Callbacks and approvals are only as strong as this record, so every change
//! that could add trust (a new vendor, a contact channel, a key) is a
//! [`ChangeRequest`] that takes effect only once someone other than its author,
//! holding the right role, approves it; changes that only remove trust (a
//! contact departing, a key revoked) take effect at once. Every act is an
//! audit event, written in the same transaction as the change it describes.
//!
//! Domain logic lives in [`Directory`]; storage is behind [`DirectoryStore`]
//! and time behind [`Clock`], so the logic is tested without a database or a
//! wall clock ([`MemoryStore`], [`ManualClock`]).

mod change;
mod clock;
mod error;
mod import;
mod memory;
mod model;
mod service;
pub mod snapshot;
mod store;
mod validate;

pub use change::{Change, ChangeRequest, NewChangeRequest, RequestStatus};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DirectoryError, ImportIssue, NotTrustedReason};
pub use import::{ImportFormat, ImportRecord, RecordKind, export_csv, parse_import, read_csv};
pub use memory::MemoryStore;
pub use model::{
    CallbackNumber, Contact, ContactStatus, DEFAULT_REVIEW_INTERVAL_DAYS, Employee, EmployeeStatus,
    Forwarder, Organisation, SECURITY_ADMIN_ROLE, Staff, StaffStatus, Vendor, VendorKey,
    VendorStatus,
};
pub use service::{Directory, ImportPlan, StatusOutcome, StatusTarget};
pub use snapshot::DirectorySnapshot;
pub use store::{Commit, Decision, DirectoryStore, Op};
pub use validate::{key_id_for, normalize_phone};
