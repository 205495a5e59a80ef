//! An in-memory store with the same semantics as the database ones, for
//! testing domain logic without a database.

use crate::change::{ChangeRequest, NewChangeRequest, RequestStatus, State};
use crate::error::DirectoryError;
use crate::model::{Contact, Vendor};
use crate::snapshot::DirectorySnapshot;
use crate::store::{Commit, DirectoryStore, Op};
use countersign_audit::{AuditEntry, AuditError, AuditEvent, AuditSink, GENESIS_HASH};
use std::sync::Mutex;

#[derive(Debug, Default)]
struct Inner {
    revision: u64,
    state: State,
    requests: Vec<ChangeRequest>,
    audit: Vec<AuditEntry>,
}

impl Inner {
    fn append(&mut self, events: Vec<AuditEvent>) -> Vec<AuditEntry> {
        let mut out = Vec::with_capacity(events.len());
        for ev in events {
            let (seq, prev) = self
                .audit
                .last()
                .map_or((0, GENESIS_HASH), |e| (e.seq, e.hash));
            let entry = AuditEntry::chain(seq, prev, &ev);
            self.audit.push(entry.clone());
            out.push(entry);
        }
        out
    }
}

/// A [`DirectoryStore`] and [`AuditSink`] kept in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the audit chain, for assertions.
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        self.lock().audit.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl DirectoryStore for MemoryStore {
    async fn load(&self) -> Result<(u64, DirectorySnapshot), DirectoryError> {
        let inner = self.lock();
        Ok((inner.revision, inner.state.to_snapshot()))
    }

    async fn vendor_with_contacts(
        &self,
        vendor: &str,
    ) -> Result<Option<(Vendor, Vec<Contact>)>, DirectoryError> {
        let inner = self.lock();
        Ok(inner.state.vendors.get(vendor).map(|v| {
            let contacts = inner
                .state
                .contacts
                .values()
                .filter(|c| c.vendor == vendor)
                .cloned()
                .collect();
            (v.clone(), contacts)
        }))
    }

    async fn commit(&self, commit: Commit) -> Result<(), DirectoryError> {
        let mut inner = self.lock();
        if let Some(rev) = commit.expected_revision
            && rev != inner.revision
        {
            return Err(DirectoryError::Conflict { attempts: 1 });
        }
        if let Some(d) = &commit.decision {
            let req = inner
                .requests
                .iter()
                .find(|r| r.id == d.request_id)
                .ok_or_else(|| DirectoryError::NotFound {
                    kind: "change request",
                    key: d.request_id.to_string(),
                })?;
            if req.status != RequestStatus::Pending {
                return Err(DirectoryError::NotPending {
                    id: req.id,
                    status: req.status,
                });
            }
        }
        // Validation done; from here on nothing can fail, which is what makes
        // this in-memory commit atomic.
        if let Some(d) = commit.decision
            && let Some(req) = inner.requests.iter_mut().find(|r| r.id == d.request_id)
        {
            req.status = d.status;
            req.decided_by = Some(d.by);
            req.decided_at = Some(d.at);
            req.decision_reason = Some(d.reason);
        }
        if !commit.ops.is_empty() {
            inner.revision += 1;
        }
        let s = &mut inner.state;
        for op in commit.ops {
            match op {
                Op::PutOrganisation(o) => s.organisation = Some(o),
                Op::PutVendor(v) => {
                    s.vendors.insert(v.id.clone(), v);
                }
                Op::PutContact(c) => {
                    s.contacts.insert((c.vendor.clone(), c.email.clone()), c);
                }
                Op::DeleteContact { vendor, email } => {
                    s.contacts.remove(&(vendor, email));
                }
                Op::PutStaff(x) => {
                    s.staff.insert(x.staff_id.clone(), x);
                }
                Op::PutEmployee(x) => {
                    s.employees.insert(x.id.clone(), x);
                }
                Op::PutKey(x) => {
                    s.keys.insert(x.key_id.clone(), x);
                }
                Op::PutForwarder(x) => {
                    s.forwarders.insert(x.domain.clone(), x);
                }
                Op::DeleteForwarder(d) => {
                    s.forwarders.remove(&d);
                }
            }
        }
        inner.append(commit.audit);
        Ok(())
    }

    async fn create_request(
        &self,
        request: NewChangeRequest,
        mut audit: AuditEvent,
    ) -> Result<i64, DirectoryError> {
        let mut inner = self.lock();
        let id = inner.requests.len() as i64 + 1;
        inner.requests.push(ChangeRequest {
            id,
            author: request.author,
            reason: request.reason,
            source: request.source,
            status: RequestStatus::Pending,
            created_at: request.created_at,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            changes: request.changes,
        });
        audit.subject = format!("change:{id}");
        inner.append(vec![audit]);
        Ok(id)
    }

    async fn request(&self, id: i64) -> Result<Option<ChangeRequest>, DirectoryError> {
        Ok(self.lock().requests.iter().find(|r| r.id == id).cloned())
    }

    async fn requests(
        &self,
        status: Option<RequestStatus>,
    ) -> Result<Vec<ChangeRequest>, DirectoryError> {
        let inner = self.lock();
        Ok(inner
            .requests
            .iter()
            .rev()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .cloned()
            .collect())
    }
}

#[async_trait::async_trait]
impl AuditSink for MemoryStore {
    async fn append(&self, events: Vec<AuditEvent>) -> Result<Vec<AuditEntry>, AuditError> {
        Ok(self.lock().append(events))
    }
}
