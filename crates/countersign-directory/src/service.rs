//! The directory's rules: who may ask for, approve and make which changes,
//! and what a change does to trust.

use crate::change::{Change, ChangeRequest, NewChangeRequest, RequestStatus, State};
use crate::clock::Clock;
use crate::error::{DirectoryError, ImportIssue};
use crate::import::ImportRecord;
use crate::model::{
    CallbackNumber, ContactStatus, EmployeeStatus, Organisation, SECURITY_ADMIN_ROLE, Staff,
    StaffStatus, Vendor, VendorStatus,
};
use crate::snapshot::{self, DirectorySnapshot};
use crate::store::{Commit, Decision, DirectoryStore, Op};
use countersign_audit::AuditEvent;
use serde_json::json;

/// How many times an act is re-planned when other writers keep committing.
const MAX_ATTEMPTS: u32 = 5;

/// A status change. Statuses other than active take effect at once, because
/// they only remove trust; a return to active is a change request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusTarget {
    /// A vendor.
    Vendor {
        /// Vendor ID.
        id: String,
        /// New status.
        status: VendorStatus,
    },
    /// A vendor contact.
    Contact {
        /// Vendor ID.
        vendor: String,
        /// Contact email.
        email: String,
        /// New status.
        status: ContactStatus,
    },
    /// A member of IT staff.
    Staff {
        /// Staff ID.
        id: String,
        /// New status.
        status: StaffStatus,
    },
    /// An employee.
    Employee {
        /// Employee ID.
        id: String,
        /// New status.
        status: EmployeeStatus,
    },
}

/// What [`Directory::set_status`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusOutcome {
    /// Trust was removed immediately.
    Applied,
    /// Restoring trust needs approval: this change request was opened.
    Requested(i64),
}

/// The directory service over a store and a clock.
pub struct Directory<'a> {
    store: &'a dyn DirectoryStore,
    clock: &'a dyn Clock,
}

impl<'a> Directory<'a> {
    /// A service over `store`, telling time by `clock`.
    pub fn new(store: &'a dyn DirectoryStore, clock: &'a dyn Clock) -> Self {
        Self { store, clock }
    }

    async fn state(&self) -> Result<(u64, State), DirectoryError> {
        let (rev, snap) = self.store.load().await?;
        Ok((rev, State::from(snap)))
    }

    /// The whole live directory, stamped with the time of export.
    pub async fn snapshot(&self) -> Result<DirectorySnapshot, DirectoryError> {
        let (_, mut snap) = self.store.load().await?;
        snap.exported_at = Some(self.clock.now());
        Ok(snap)
    }

    /// Creates the first security administrators (and optionally the
    /// organisation) without approval. Allowed only while fewer than two
    /// active security administrators exist: two people are needed before
    /// anyone can approve anything, and after that every change is governed.
    pub async fn bootstrap(
        &self,
        organisation: Option<Organisation>,
        admin: Staff,
    ) -> Result<(), DirectoryError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let now = self.clock.now();
            let (rev, mut state) = self.state().await?;
            let admins = state
                .staff
                .values()
                .filter(|s| state.is_security_admin(&s.staff_id))
                .count();
            if admins >= 2 {
                return Err(DirectoryError::Bootstrap {
                    reason: "two security administrators already exist; use change requests".into(),
                });
            }
            if admin.role != SECURITY_ADMIN_ROLE || admin.status != StaffStatus::Active {
                return Err(DirectoryError::Bootstrap {
                    reason: format!("the bootstrap person must be an active {SECURITY_ADMIN_ROLE}"),
                });
            }
            let mut changes = vec![
                Change::AddStaff {
                    staff: admin.clone(),
                }
                .normalized()?,
            ];
            if let Some(org) = organisation.clone() {
                changes.push(Change::SetOrganisation { organisation: org }.normalized()?);
            }
            let ops = state.plan(&changes, now)?;
            let audit = changes
                .iter()
                .map(|c| {
                    AuditEvent::new(
                        now,
                        "bootstrap",
                        format!("directory.{}", c.op_name()),
                        c.subject(),
                        json!({ "change": c }),
                    )
                })
                .collect();
            match self
                .commit(
                    Commit {
                        expected_revision: Some(rev),
                        decision: None,
                        ops,
                        audit,
                    },
                    attempt,
                )
                .await?
            {
                true => return Ok(()),
                false => continue,
            }
        }
        Err(DirectoryError::Conflict {
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Commits; `Ok(false)` means "conflict, re-plan and try again".
    async fn commit(&self, commit: Commit, attempt: u32) -> Result<bool, DirectoryError> {
        match self.store.commit(commit).await {
            Ok(()) => Ok(true),
            Err(DirectoryError::Conflict { .. }) if attempt < MAX_ATTEMPTS => Ok(false),
            Err(DirectoryError::Conflict { .. }) => {
                Err(DirectoryError::Conflict { attempts: attempt })
            }
            Err(e) => Err(e),
        }
    }

    fn require_actor(state: &State, actor: &str) -> Result<(), DirectoryError> {
        if state.is_active_person(actor) {
            Ok(())
        } else {
            Err(DirectoryError::UnknownActor {
                actor: actor.to_owned(),
            })
        }
    }

    /// The vendor's relationship manager, as recorded (or as proposed, for a
    /// vendor not yet enrolled).
    fn manager_of<'s>(state: &'s State, change: &'s Change) -> Option<&'s str> {
        let vendor = change.vendor()?;
        match state.vendors.get(vendor) {
            Some(v) => Some(&v.relationship_manager),
            None => match change {
                Change::AddVendor { vendor } => Some(&vendor.relationship_manager),
                _ => None,
            },
        }
    }

    /// Authors are active IT staff, or a vendor's relationship manager for
    /// changes to that vendor.
    fn may_author(state: &State, actor: &str, change: &Change) -> Result<(), DirectoryError> {
        Self::require_actor(state, actor)?;
        let staff = state
            .staff
            .get(actor)
            .is_some_and(|s| s.status == StaffStatus::Active);
        if staff || Self::manager_of(state, change) == Some(actor) {
            return Ok(());
        }
        Err(DirectoryError::Forbidden {
            actor: actor.to_owned(),
            action: format!("request {}", change.subject()),
            reason: "requests come from IT staff or the vendor's relationship manager".into(),
        })
    }

    /// Approvers (and immediate trust-removing acts) need a security
    /// administrator, or the vendor's relationship manager for vendor changes.
    fn may_govern(
        state: &State,
        actor: &str,
        change: &Change,
        action: &str,
    ) -> Result<(), DirectoryError> {
        Self::require_actor(state, actor)?;
        if state.is_security_admin(actor) || Self::manager_of(state, change) == Some(actor) {
            return Ok(());
        }
        let reason = if change.vendor().is_some() {
            "needs the vendor's relationship manager or a security administrator"
        } else {
            "needs a security administrator"
        };
        Err(DirectoryError::Forbidden {
            actor: actor.to_owned(),
            action: format!("{action} {}", change.subject()),
            reason: reason.into(),
        })
    }

    /// Opens a change request after checking every change against the current
    /// directory, so that unknown vendors or duplicate IDs are refused now
    /// rather than at approval. Returns the request's ID.
    pub async fn request(
        &self,
        actor: &str,
        changes: Vec<Change>,
        reason: &str,
        source: &str,
    ) -> Result<i64, DirectoryError> {
        let (_, mut state) = self.state().await?;
        let changes = changes
            .into_iter()
            .map(Change::normalized)
            .collect::<Result<Vec<_>, _>>()?;
        if changes.is_empty() {
            return Err(DirectoryError::NoChanges);
        }
        for c in &changes {
            Self::may_author(&state, actor, c)?;
        }
        let now = self.clock.now();
        state.plan(&changes, now)?;
        self.open(actor, changes, reason, source).await
    }

    async fn open(
        &self,
        actor: &str,
        changes: Vec<Change>,
        reason: &str,
        source: &str,
    ) -> Result<i64, DirectoryError> {
        let now = self.clock.now();
        let summary: Vec<String> = changes.iter().take(100).map(Change::subject).collect();
        let audit = AuditEvent::new(
            now,
            actor,
            "change.request",
            "change:?",
            json!({ "reason": reason, "source": source, "count": changes.len(), "subjects": summary }),
        );
        self.store
            .create_request(
                NewChangeRequest {
                    author: actor.to_owned(),
                    reason: reason.to_owned(),
                    source: source.to_owned(),
                    created_at: now,
                    changes,
                },
                audit,
            )
            .await
    }

    async fn pending(&self, id: i64) -> Result<ChangeRequest, DirectoryError> {
        let req = self
            .store
            .request(id)
            .await?
            .ok_or_else(|| DirectoryError::NotFound {
                kind: "change request",
                key: id.to_string(),
            })?;
        if req.status != RequestStatus::Pending {
            return Err(DirectoryError::NotPending {
                id,
                status: req.status,
            });
        }
        Ok(req)
    }

    /// Approves a pending request and applies it, all or nothing. The approver
    /// must not be the author and must hold the right role for every change.
    pub async fn approve(
        &self,
        actor: &str,
        id: i64,
        reason: &str,
    ) -> Result<ChangeRequest, DirectoryError> {
        for attempt in 1..=MAX_ATTEMPTS {
            // State before request: an approval committed in between then
            // shows as "not pending" here, or as a revision conflict at
            // commit, never as a plan against a directory it already changed.
            let (rev, mut state) = self.state().await?;
            let req = self.pending(id).await?;
            if req.author == actor {
                return Err(DirectoryError::SelfApproval {
                    request: id,
                    actor: actor.to_owned(),
                });
            }
            for c in &req.changes {
                Self::may_govern(&state, actor, c, "approve")?;
            }
            let now = self.clock.now();
            let ops = state.plan(&req.changes, now)?;
            let mut audit = vec![AuditEvent::new(
                now,
                actor,
                "change.approve",
                format!("change:{id}"),
                json!({ "reason": reason, "author": req.author, "count": req.changes.len() }),
            )];
            audit.extend(req.changes.iter().map(|c| {
                AuditEvent::new(
                    now,
                    actor,
                    format!("directory.{}", c.op_name()),
                    c.subject(),
                    json!({ "change_request": id, "change": c }),
                )
            }));
            let decision = Decision {
                request_id: id,
                status: RequestStatus::Approved,
                by: actor.to_owned(),
                at: now,
                reason: reason.to_owned(),
            };
            if self
                .commit(
                    Commit {
                        expected_revision: Some(rev),
                        decision: Some(decision),
                        ops,
                        audit,
                    },
                    attempt,
                )
                .await?
            {
                return self.pending_or_decided(id).await;
            }
        }
        Err(DirectoryError::Conflict {
            attempts: MAX_ATTEMPTS,
        })
    }

    async fn pending_or_decided(&self, id: i64) -> Result<ChangeRequest, DirectoryError> {
        self.store
            .request(id)
            .await?
            .ok_or_else(|| DirectoryError::NotFound {
                kind: "change request",
                key: id.to_string(),
            })
    }

    /// Rejects a pending request. Its author may withdraw it; anyone else needs
    /// the role that could have approved it.
    pub async fn reject(
        &self,
        actor: &str,
        id: i64,
        reason: &str,
    ) -> Result<ChangeRequest, DirectoryError> {
        let req = self.pending(id).await?;
        let (_, state) = self.state().await?;
        if req.author != actor {
            for c in &req.changes {
                Self::may_govern(&state, actor, c, "reject")?;
            }
        } else {
            Self::require_actor(&state, actor)?;
        }
        let now = self.clock.now();
        let audit = vec![AuditEvent::new(
            now,
            actor,
            "change.reject",
            format!("change:{id}"),
            json!({ "reason": reason, "author": req.author, "count": req.changes.len() }),
        )];
        let decision = Decision {
            request_id: id,
            status: RequestStatus::Rejected,
            by: actor.to_owned(),
            at: now,
            reason: reason.to_owned(),
        };
        self.store
            .commit(Commit {
                expected_revision: None,
                decision: Some(decision),
                ops: vec![],
                audit,
            })
            .await?;
        self.pending_or_decided(id).await
    }

    /// Changes a status. Anything but `active` takes effect at once (it only
    /// removes trust) and makes the vendor's review due when a person leaves;
    /// returning to `active` opens a change request.
    pub async fn set_status(
        &self,
        actor: &str,
        target: StatusTarget,
        reason: &str,
    ) -> Result<StatusOutcome, DirectoryError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let (rev, mut state) = self.state().await?;
            let not_found = |kind: &'static str, key: &str| DirectoryError::NotFound {
                kind,
                key: key.to_owned(),
            };
            let (change, restores) = match &target {
                StatusTarget::Vendor { id, status } => {
                    let mut v = state
                        .vendors
                        .get(id)
                        .cloned()
                        .ok_or_else(|| not_found("vendor", id))?;
                    v.status = *status;
                    (
                        Change::UpdateVendor { vendor: v },
                        *status == VendorStatus::Active,
                    )
                }
                StatusTarget::Contact {
                    vendor,
                    email,
                    status,
                } => {
                    let email = email.trim().to_ascii_lowercase();
                    let mut c = state
                        .contacts
                        .get(&(vendor.clone(), email.clone()))
                        .cloned()
                        .ok_or_else(|| not_found("contact", &format!("{vendor}/{email}")))?;
                    c.status = *status;
                    (
                        Change::UpdateContact { email, contact: c },
                        *status == ContactStatus::Active,
                    )
                }
                StatusTarget::Staff { id, status } => {
                    let mut s = state
                        .staff
                        .get(id)
                        .cloned()
                        .ok_or_else(|| not_found("staff ID", id))?;
                    s.status = *status;
                    (
                        Change::UpdateStaff { staff: s },
                        *status == StaffStatus::Active,
                    )
                }
                StatusTarget::Employee { id, status } => {
                    let mut e = state
                        .employees
                        .get(id)
                        .cloned()
                        .ok_or_else(|| not_found("employee ID", id))?;
                    e.status = *status;
                    (
                        Change::UpdateEmployee { employee: e },
                        *status == EmployeeStatus::Active,
                    )
                }
            };
            if restores {
                Self::may_author(&state, actor, &change)?;
                return Ok(StatusOutcome::Requested(
                    self.open(actor, vec![change], reason, "cli:set-status")
                        .await?,
                ));
            }
            Self::may_govern(&state, actor, &change, "change the status of")?;
            let now = self.clock.now();
            let ops = state.plan(std::slice::from_ref(&change), now)?;
            let audit = vec![AuditEvent::new(
                now,
                actor,
                "directory.status",
                change.subject(),
                json!({ "reason": reason, "change": change }),
            )];
            if self
                .commit(
                    Commit {
                        expected_revision: Some(rev),
                        decision: None,
                        ops,
                        audit,
                    },
                    attempt,
                )
                .await?
            {
                return Ok(StatusOutcome::Applied);
            }
        }
        Err(DirectoryError::Conflict {
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Revokes a vendor key at once.
    pub async fn revoke_key(
        &self,
        actor: &str,
        key_id: &str,
        reason: &str,
    ) -> Result<(), DirectoryError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let (rev, state) = self.state().await?;
            let mut key =
                state
                    .keys
                    .get(key_id)
                    .cloned()
                    .ok_or_else(|| DirectoryError::NotFound {
                        kind: "vendor key",
                        key: key_id.to_owned(),
                    })?;
            let probe = Change::AddKey { key: key.clone() };
            Self::may_govern(&state, actor, &probe, "revoke")?;
            let now = self.clock.now();
            if key.revoked_at.is_some() {
                return Ok(());
            }
            key.revoked_at = Some(now);
            key.revoked_reason = Some(reason.to_owned());
            let audit = vec![AuditEvent::new(
                now,
                actor,
                "directory.revoke_key",
                probe.subject(),
                json!({ "reason": reason }),
            )];
            if self
                .commit(
                    Commit {
                        expected_revision: Some(rev),
                        decision: None,
                        ops: vec![Op::PutKey(key)],
                        audit,
                    },
                    attempt,
                )
                .await?
            {
                return Ok(());
            }
        }
        Err(DirectoryError::Conflict {
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Stops trusting a forwarder's seals at once.
    pub async fn remove_forwarder(
        &self,
        actor: &str,
        domain: &str,
        reason: &str,
    ) -> Result<(), DirectoryError> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        for attempt in 1..=MAX_ATTEMPTS {
            let (rev, state) = self.state().await?;
            let f =
                state
                    .forwarders
                    .get(&domain)
                    .cloned()
                    .ok_or_else(|| DirectoryError::NotFound {
                        kind: "forwarder",
                        key: domain.clone(),
                    })?;
            let probe = Change::AddForwarder { forwarder: f };
            Self::may_govern(&state, actor, &probe, "remove")?;
            let now = self.clock.now();
            let audit = vec![AuditEvent::new(
                now,
                actor,
                "directory.remove_forwarder",
                probe.subject(),
                json!({ "reason": reason }),
            )];
            if self
                .commit(
                    Commit {
                        expected_revision: Some(rev),
                        decision: None,
                        ops: vec![Op::DeleteForwarder(domain.clone())],
                        audit,
                    },
                    attempt,
                )
                .await?
            {
                return Ok(());
            }
        }
        Err(DirectoryError::Conflict {
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Records that a vendor's record was reviewed: trust is restored until
    /// the next review is due.
    pub async fn record_review(
        &self,
        actor: &str,
        vendor: &str,
        notes: &str,
    ) -> Result<Vendor, DirectoryError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let (rev, state) = self.state().await?;
            let mut v =
                state
                    .vendors
                    .get(vendor)
                    .cloned()
                    .ok_or_else(|| DirectoryError::NotFound {
                        kind: "vendor",
                        key: vendor.to_owned(),
                    })?;
            Self::may_govern(
                &state,
                actor,
                &Change::UpdateVendor { vendor: v.clone() },
                "review",
            )?;
            if !state.is_active_person(&v.relationship_manager) {
                return Err(DirectoryError::Forbidden {
                    actor: actor.to_owned(),
                    action: format!("review vendor:{vendor}"),
                    reason: format!(
                        "its relationship manager {} is no longer active; request a new one first",
                        v.relationship_manager
                    ),
                });
            }
            let now = self.clock.now();
            let days = state
                .organisation
                .as_ref()
                .map_or(crate::model::DEFAULT_REVIEW_INTERVAL_DAYS, |o| {
                    o.review_interval_days
                });
            let previous_due = v.review_due;
            v.last_reviewed_at = Some(now);
            v.review_due = Some(now + time::Duration::days(i64::from(days)));
            let audit = vec![AuditEvent::new(
                now,
                actor,
                "directory.review",
                format!("vendor:{vendor}"),
                json!({ "notes": notes, "previous_due": previous_due.map(|d| d.to_string()), "next_due": v.review_due.map(|d| d.to_string()) }),
            )];
            if self
                .commit(
                    Commit {
                        expected_revision: Some(rev),
                        decision: None,
                        ops: vec![Op::PutVendor(v.clone())],
                        audit,
                    },
                    attempt,
                )
                .await?
            {
                return Ok(v);
            }
        }
        Err(DirectoryError::Conflict {
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Active vendors whose review is due now or earlier.
    pub async fn overdue(&self) -> Result<Vec<Vendor>, DirectoryError> {
        let (_, snap) = self.store.load().await?;
        Ok(snap
            .overdue(self.clock.now())
            .into_iter()
            .cloned()
            .collect())
    }

    /// The numbers a callback to `vendor` may use: approved, active contacts
    /// of an active, reviewed vendor. Otherwise [`DirectoryError::NotTrusted`]
    /// (or [`DirectoryError::NotFound`] for an unknown vendor).
    pub async fn verified_callback_numbers(
        &self,
        vendor: &str,
    ) -> Result<Vec<CallbackNumber>, DirectoryError> {
        let (v, contacts) = self
            .store
            .vendor_with_contacts(vendor)
            .await?
            .ok_or_else(|| DirectoryError::NotFound {
                kind: "vendor",
                key: vendor.to_owned(),
            })?;
        snapshot::vendor_trust(&v, self.clock.now())?;
        snapshot::callback_numbers(&v, contacts.iter())
    }

    /// Turns imported records into one change request: new records become
    /// additions, differing ones updates, identical ones are skipped. Every
    /// problem is reported with its line; if there is any, nothing is stored.
    /// `progress` is called with the number of records checked so far.
    pub async fn import(
        &self,
        actor: &str,
        records: Vec<ImportRecord>,
        reason: &str,
        source: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Option<i64>, DirectoryError> {
        let plan = self.plan_import(actor, records, progress).await?;
        if !plan.issues.is_empty() {
            return Err(DirectoryError::Import {
                issues: plan.issues,
            });
        }
        if plan.changes.is_empty() {
            return Ok(None);
        }
        self.open(actor, plan.changes, reason, source)
            .await
            .map(Some)
    }

    /// What importing `records` would request, without storing anything:
    /// the changes (each with the line it came from) and every problem with
    /// its line and field. [`Directory::import`] opens the request only
    /// when there is no problem.
    pub async fn plan_import(
        &self,
        actor: &str,
        records: Vec<ImportRecord>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportPlan, DirectoryError> {
        let (_, mut state) = self.state().await?;
        Self::require_actor(&state, actor)?;
        let now = self.clock.now();
        let mut issues = Vec::new();
        let mut changes = Vec::new();
        let mut lines = Vec::new();
        let mut unchanged = 0;
        let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for (i, rec) in records.into_iter().enumerate() {
            let (line, record) = (rec.line, rec.record.clone());
            let here = line.map_or_else(
                || record.clone().unwrap_or_default(),
                |l| format!("line {l}"),
            );
            if let Some(first) = seen.insert(rec.key(), here) {
                issues.push(ImportIssue {
                    line,
                    record,
                    field: None,
                    message: format!("duplicate {} in this file (first at {first})", rec.key()),
                });
                progress(i as u64 + 1);
                continue;
            }
            let issue = |e: DirectoryError| ImportIssue {
                line,
                record: record.clone(),
                field: match &e {
                    DirectoryError::Invalid { field, .. } => Some((*field).to_owned()),
                    // A contact's vendor (the only reference a record's
                    // own column names).
                    DirectoryError::NotFound { kind: "vendor", .. } => Some("vendor".to_owned()),
                    _ => None,
                },
                message: e.to_string(),
            };
            let planned = rec
                .into_change(&state)
                .and_then(|c| c.map(Change::normalized).transpose())
                .and_then(|c| match c {
                    None => Ok(None),
                    Some(c) => {
                        Self::may_author(&state, actor, &c)?;
                        state.apply(&c, now)?;
                        Ok(Some(c))
                    }
                });
            match planned {
                Ok(Some(c)) => {
                    changes.push(c);
                    lines.push(line);
                }
                Ok(None) => unchanged += 1,
                Err(e) => issues.push(issue(e)),
            }
            progress(i as u64 + 1);
        }
        if let Err(e) = state.check_references() {
            issues.push(ImportIssue {
                line: None,
                record: None,
                field: None,
                message: e.to_string(),
            });
        }
        Ok(ImportPlan {
            changes,
            lines,
            unchanged,
            issues,
        })
    }
}

/// What an import would request: see [`Directory::plan_import`].
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// The changes, in file order.
    pub changes: Vec<Change>,
    /// The line each change came from (CSV), index for index.
    pub lines: Vec<Option<u64>>,
    /// Records that already match the directory.
    pub unchanged: usize,
    /// Every problem, in file order.
    pub issues: Vec<ImportIssue>,
}
