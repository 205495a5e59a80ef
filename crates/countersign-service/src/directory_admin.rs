//! The directory as security administrators work it in the console: the
//! live records, the change requests waiting for a second person, vendors
//! overdue for review, and requesting, approving or rejecting a change.
//! Every rule (who may author or approve what, never one's own request,
//! validation) is `countersign_directory::Directory`'s; the actor is the
//! account's directory staff ID, as on the command line.

use crate::{Principal, ServiceError, Services};
use countersign_accounts::Role;
use countersign_directory::{
    Change, ChangeRequest, Contact, ContactStatus, Directory, DirectoryError, DirectorySnapshot,
    ImportFormat, ImportIssue, RecordKind, RequestStatus, SystemClock, Vendor,
};

/// The largest CSV an administrator may import from the console.
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;
/// The most data lines one console import may carry.
pub const MAX_IMPORT_LINES: usize = 5_000;

/// What a CSV import would request, shown before anything is applied.
#[derive(Debug, Clone, Default)]
pub struct ImportPreview {
    /// Data lines read (the header not counted).
    pub lines: usize,
    /// Each change it would request: the line it came from, the operation
    /// (`add_contact`, ...) and what it changes.
    pub changes: Vec<(Option<u64>, &'static str, String)>,
    /// Records that already match the directory.
    pub unchanged: usize,
    /// Every bad line: line, field, what is wrong. Nothing can be
    /// requested while there is one.
    pub issues: Vec<ImportIssue>,
}

/// The record kinds a console import accepts, by their form value.
pub fn record_kind(name: &str) -> Result<RecordKind, ServiceError> {
    match name {
        "vendors" => Ok(RecordKind::Vendors),
        "contacts" => Ok(RecordKind::Contacts),
        "staff" => Ok(RecordKind::Staff),
        "employees" => Ok(RecordKind::Employees),
        _ => Err(ServiceError::invalid(
            "kind",
            "one of vendors, contacts, staff, employees",
        )),
    }
}

fn bounded_csv(csv: &str) -> Result<(), ServiceError> {
    if csv.trim().is_empty() {
        return Err(ServiceError::invalid("csv", "the file is empty"));
    }
    if csv.len() > MAX_IMPORT_BYTES {
        return Err(ServiceError::invalid(
            "csv",
            format!(
                "{} bytes; at most {MAX_IMPORT_BYTES} in one import",
                csv.len()
            ),
        ));
    }
    let lines = csv.lines().count();
    if lines > MAX_IMPORT_LINES + 1 {
        return Err(ServiceError::invalid(
            "csv",
            format!(
                "{} data lines; at most {MAX_IMPORT_LINES} in one import",
                lines - 1
            ),
        ));
    }
    Ok(())
}

/// What the directory page shows.
#[derive(Debug, Clone)]
pub struct DirectoryOverview {
    /// The live records.
    pub snapshot: DirectorySnapshot,
    /// Change requests waiting for approval, newest first.
    pub pending: Vec<ChangeRequest>,
    /// Vendors whose review is overdue (their contacts are not trusted).
    pub overdue: Vec<Vendor>,
}

/// A new vendor contact, as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct NewContact {
    /// The vendor ID.
    pub vendor: String,
    /// Full name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Phone numbers (E.164 or national, normalised by the directory).
    pub phones: Vec<String>,
    /// Role at the vendor.
    pub role: String,
    /// Why.
    pub reason: String,
}

fn directory_error(err: DirectoryError) -> ServiceError {
    match err {
        DirectoryError::NotFound { .. } => ServiceError::NotFound(err.to_string()),
        DirectoryError::SelfApproval { .. }
        | DirectoryError::Forbidden { .. }
        | DirectoryError::UnknownActor { .. } => ServiceError::Forbidden(err.to_string()),
        DirectoryError::Invalid { field, .. } => ServiceError::invalid(field, err.to_string()),
        DirectoryError::Import { .. } => ServiceError::invalid("csv", err.to_string()),
        DirectoryError::Storage { .. } => {
            tracing::error!(%err, "directory storage");
            ServiceError::Conflict("the directory could not be read or written; try again".into())
        }
        other => ServiceError::Conflict(other.to_string()),
    }
}

fn staff_actor(p: &Principal) -> Result<String, ServiceError> {
    p.require(&[Role::SecurityAdmin])?;
    p.account.staff_id.clone().ok_or_else(|| {
        ServiceError::Forbidden(
            "directory changes are made as a member of IT staff: this account has no staff ID"
                .into(),
        )
    })
}

impl Services {
    /// The directory, its pending requests and overdue vendors.
    pub async fn directory_overview(
        &self,
        p: &Principal,
    ) -> Result<DirectoryOverview, ServiceError> {
        p.require(&[Role::SecurityAdmin])?;
        let store = &self.inner.store;
        let clock = SystemClock;
        let dir = Directory::new(store, &clock);
        let snapshot = dir.snapshot().await.map_err(directory_error)?;
        let overdue = dir.overdue().await.map_err(directory_error)?;
        let pending =
            countersign_directory::DirectoryStore::requests(store, Some(RequestStatus::Pending))
                .await
                .map_err(directory_error)?;
        Ok(DirectoryOverview {
            snapshot,
            pending,
            overdue,
        })
    }

    /// Requests a new vendor contact; another administrator approves it.
    pub async fn request_contact(
        &self,
        p: &Principal,
        new: NewContact,
    ) -> Result<i64, ServiceError> {
        let actor = staff_actor(p)?;
        if new.reason.trim().is_empty() {
            return Err(ServiceError::invalid("reason", "say why"));
        }
        let clock = SystemClock;
        Directory::new(&self.inner.store, &clock)
            .request(
                &actor,
                vec![Change::AddContact {
                    contact: Contact {
                        vendor: new.vendor.trim().to_owned(),
                        name: new.name.trim().to_owned(),
                        email: new.email.trim().to_owned(),
                        phones: new
                            .phones
                            .iter()
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect(),
                        role: new.role.trim().to_owned(),
                        status: ContactStatus::Active,
                    },
                }],
                new.reason.trim(),
                "console",
            )
            .await
            .map_err(directory_error)
    }

    /// Approves (and applies) or rejects a pending change request; never
    /// the author's own.
    pub async fn decide_change(
        &self,
        p: &Principal,
        id: i64,
        approve: bool,
        reason: &str,
    ) -> Result<ChangeRequest, ServiceError> {
        let actor = staff_actor(p)?;
        if reason.trim().is_empty() {
            return Err(ServiceError::invalid("reason", "say why"));
        }
        let clock = SystemClock;
        let dir = Directory::new(&self.inner.store, &clock);
        let decided = if approve {
            dir.approve(&actor, id, reason.trim()).await
        } else {
            dir.reject(&actor, id, reason.trim()).await
        }
        .map_err(directory_error)?;
        // This node judges with the new records at once (others within
        // their next refresh).
        self.inner.directory.refresh().await?;
        Ok(decided)
    }

    /// What importing `csv` (one record kind, with its header) would
    /// request, without storing anything: every change with its line, and
    /// every bad line with its field and what is wrong.
    pub async fn preview_import(
        &self,
        p: &Principal,
        kind: RecordKind,
        csv: &str,
    ) -> Result<ImportPreview, ServiceError> {
        let actor = staff_actor(p)?;
        bounded_csv(csv)?;
        let (records, mut issues) = match countersign_directory::read_csv(kind, csv) {
            Ok(read) => read,
            // The header could not be used: no line could be read.
            Err(DirectoryError::Import { issues }) => (Vec::new(), issues),
            Err(err) => return Err(directory_error(err)),
        };
        let lines = records.len()
            + issues
                .iter()
                .filter(|i| i.line.is_some_and(|l| l > 1))
                .count();
        let clock = SystemClock;
        let plan = Directory::new(&self.inner.store, &clock)
            .plan_import(&actor, records, &|_| {})
            .await
            .map_err(directory_error)?;
        issues.extend(plan.issues);
        issues.sort_by_key(|i| i.line.unwrap_or(u64::MAX));
        Ok(ImportPreview {
            lines,
            changes: plan
                .lines
                .iter()
                .zip(&plan.changes)
                .map(|(line, c)| (*line, c.op_name(), c.subject()))
                .collect(),
            unchanged: plan.unchanged,
            issues,
        })
    }

    /// Requests the changes of a CSV import as one change request (another
    /// administrator approves it, never its author); refused, with every
    /// bad line, if there is any. `None` when nothing differs.
    pub async fn request_import(
        &self,
        p: &Principal,
        kind: RecordKind,
        csv: &str,
        reason: &str,
    ) -> Result<Option<i64>, ServiceError> {
        let actor = staff_actor(p)?;
        bounded_csv(csv)?;
        if reason.trim().is_empty() {
            return Err(ServiceError::invalid("reason", "say why"));
        }
        let records = countersign_directory::parse_import(ImportFormat::Csv, Some(kind), csv)
            .map_err(directory_error)?;
        let clock = SystemClock;
        Directory::new(&self.inner.store, &clock)
            .import(&actor, records, reason.trim(), "console import", &|_| {})
            .await
            .map_err(directory_error)
    }

    /// Records that a vendor's record was reviewed (audited as
    /// `directory.review`): its contacts are trusted again until the next
    /// review falls due.
    pub async fn record_vendor_review(
        &self,
        p: &Principal,
        vendor: &str,
        notes: &str,
    ) -> Result<Vendor, ServiceError> {
        let actor = staff_actor(p)?;
        if notes.trim().is_empty() {
            return Err(ServiceError::invalid("notes", "say what was reviewed"));
        }
        if notes.len() > 2000 {
            return Err(ServiceError::invalid("notes", "at most 2000 characters"));
        }
        let clock = SystemClock;
        let reviewed = Directory::new(&self.inner.store, &clock)
            .record_review(&actor, vendor.trim(), notes.trim())
            .await
            .map_err(directory_error)?;
        self.inner.directory.refresh().await?;
        Ok(reviewed)
    }
}
