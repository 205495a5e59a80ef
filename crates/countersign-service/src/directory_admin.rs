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
    RequestStatus, SystemClock, Vendor,
};

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
}
