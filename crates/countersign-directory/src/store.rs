//! The storage seam: what the directory needs from a database.

use crate::change::{ChangeRequest, NewChangeRequest, RequestStatus};
use crate::error::DirectoryError;
use crate::model::{Contact, Employee, Forwarder, Organisation, Staff, Vendor, VendorKey};
use crate::snapshot::DirectorySnapshot;
use countersign_audit::AuditEvent;
use time::OffsetDateTime;

/// One write to a live record. Records are written whole (upsert by key).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// Insert or replace the organisation.
    PutOrganisation(Organisation),
    /// Insert or replace a vendor.
    PutVendor(Vendor),
    /// Insert or replace a contact, keyed by vendor and email.
    PutContact(Contact),
    /// Remove a contact record (its email changed).
    DeleteContact {
        /// The vendor.
        vendor: String,
        /// The old email.
        email: String,
    },
    /// Insert or replace a staff member.
    PutStaff(Staff),
    /// Insert or replace an employee.
    PutEmployee(Employee),
    /// Insert or replace a key.
    PutKey(VendorKey),
    /// Insert or replace a forwarder.
    PutForwarder(Forwarder),
    /// Stop trusting a forwarder.
    DeleteForwarder(String),
}

/// The decision on a change request, recorded with the ops it releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The request.
    pub request_id: i64,
    /// `Approved` or `Rejected`.
    pub status: RequestStatus,
    /// Who decided.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
    /// Why.
    pub reason: String,
}

/// Everything one directory act writes, applied in a single transaction:
/// the record operations, the decision on a request, and the audit entries
/// that describe them. Either all of it is stored or none of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The directory revision the ops were planned against. The store refuses
    /// the commit with [`DirectoryError::Conflict`] if another writer has
    /// committed since; the caller then re-plans. `None` skips the check,
    /// for commits without record operations.
    pub expected_revision: Option<u64>,
    /// The decision on a pending request; refused with
    /// [`DirectoryError::NotPending`] if it is no longer pending.
    pub decision: Option<Decision>,
    /// Record writes, in order.
    pub ops: Vec<Op>,
    /// Audit events, appended to the chain in order.
    pub audit: Vec<AuditEvent>,
}

/// Storage for the directory. Implementations must make [`commit`] atomic and
/// must bump the revision on every commit with ops, so that two processes
/// planning against the same revision cannot both succeed.
///
/// [`commit`]: DirectoryStore::commit
#[async_trait::async_trait]
pub trait DirectoryStore: Send + Sync {
    /// All live records and the revision they were read at. The revision is
    /// read first, so a commit racing with the read shows up as a conflict.
    async fn load(&self) -> Result<(u64, DirectorySnapshot), DirectoryError>;

    /// One vendor and its contacts, for the callback query.
    async fn vendor_with_contacts(
        &self,
        vendor: &str,
    ) -> Result<Option<(Vendor, Vec<Contact>)>, DirectoryError>;

    /// Applies a [`Commit`] atomically.
    async fn commit(&self, commit: Commit) -> Result<(), DirectoryError>;

    /// Stores a new pending request and its audit event in one transaction,
    /// and returns the request's ID. The store sets the event's subject to
    /// `change:<id>`, since the ID is not known before.
    async fn create_request(
        &self,
        request: NewChangeRequest,
        audit: AuditEvent,
    ) -> Result<i64, DirectoryError>;

    /// One request.
    async fn request(&self, id: i64) -> Result<Option<ChangeRequest>, DirectoryError>;

    /// Requests, newest first, optionally only those with `status`.
    async fn requests(
        &self,
        status: Option<RequestStatus>,
    ) -> Result<Vec<ChangeRequest>, DirectoryError>;
}
