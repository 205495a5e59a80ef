//! A whole-directory snapshot: what `countersign directory export --format
//! json` writes, what `import --format json` reads, and what offline tools
//! (`countersign analyze --directory FILE`) load without a database.
//!
//! The JSON shape is documented in the crate README. Only live, approved
//! records appear; pending change requests never do.

use crate::error::{DirectoryError, NotTrustedReason};
use crate::model::{
    CallbackNumber, Contact, ContactStatus, Employee, Forwarder, Organisation, Staff, Vendor,
    VendorKey, VendorStatus,
};
use serde::{Deserialize, Serialize};
use std::path::Path;
use time::OffsetDateTime;

/// The format tag written into every snapshot.
pub const SNAPSHOT_FORMAT: &str = "countersign-directory/1";

fn format_tag() -> String {
    SNAPSHOT_FORMAT.to_owned()
}

/// Every live directory record, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySnapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    #[serde(default = "format_tag")]
    pub format: String,
    /// When the snapshot was taken.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub exported_at: Option<OffsetDateTime>,
    /// The organisation, once set.
    #[serde(default)]
    pub organisation: Option<Organisation>,
    /// Vendors.
    #[serde(default)]
    pub vendors: Vec<Vendor>,
    /// Vendor contacts.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// IT staff.
    #[serde(default)]
    pub staff: Vec<Staff>,
    /// Employees.
    #[serde(default)]
    pub employees: Vec<Employee>,
    /// Vendor signing keys, including revoked ones.
    #[serde(default)]
    pub keys: Vec<VendorKey>,
    /// Trusted ARC forwarders.
    #[serde(default)]
    pub forwarders: Vec<Forwarder>,
}

impl DirectorySnapshot {
    /// Reads a snapshot file, with the line and column of any syntax error.
    pub fn load(path: &Path) -> Result<Self, DirectoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| DirectoryError::SnapshotIo {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| match e {
            DirectoryError::SnapshotFormat {
                line,
                column,
                message,
                ..
            } => DirectoryError::SnapshotFormat {
                path: path.to_owned(),
                line,
                column,
                message,
            },
            other => other,
        })
    }

    /// Parses a snapshot from JSON text.
    pub fn from_json(text: &str) -> Result<Self, DirectoryError> {
        let snap: Self =
            serde_json::from_str(text).map_err(|e| DirectoryError::SnapshotFormat {
                path: Default::default(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        if snap.format != SNAPSHOT_FORMAT {
            return Err(DirectoryError::SnapshotFormat {
                path: Default::default(),
                line: 1,
                column: 1,
                message: format!(
                    "unsupported format {:?}, expected {SNAPSHOT_FORMAT:?}",
                    snap.format
                ),
            });
        }
        Ok(snap)
    }

    /// Pretty JSON, the export format.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The vendor with this ID.
    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.id == id)
    }

    /// The vendor owning `domain` or a parent domain of it.
    pub fn vendor_for_domain(&self, domain: &str) -> Option<&Vendor> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.vendors.iter().find(|v| {
            v.domains
                .iter()
                .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
        })
    }

    /// Whether `domain` is the sealing domain of a trusted forwarder.
    pub fn is_trusted_forwarder(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.forwarders.iter().any(|f| f.domain == domain)
    }

    /// Active vendors whose review is due at or before `now`.
    pub fn overdue(&self, now: OffsetDateTime) -> Vec<&Vendor> {
        self.vendors
            .iter()
            .filter(|v| v.status == VendorStatus::Active && v.review_due.is_none_or(|d| d <= now))
            .collect()
    }

    /// Checks that a vendor may be relied on at `now`: active and reviewed.
    pub fn vendor_trust(
        &self,
        vendor: &str,
        now: OffsetDateTime,
    ) -> Result<&Vendor, DirectoryError> {
        let v = self
            .vendor(vendor)
            .ok_or_else(|| DirectoryError::NotFound {
                kind: "vendor",
                key: vendor.to_owned(),
            })?;
        vendor_trust(v, now)?;
        Ok(v)
    }

    /// The numbers the help desk may call to verify a request from `vendor`:
    /// only approved, active contacts of an active vendor whose review is not
    /// overdue. Pending channels are never here (they are not live records).
    pub fn verified_callback_numbers(
        &self,
        vendor: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<CallbackNumber>, DirectoryError> {
        let v = self.vendor_trust(vendor, now)?;
        callback_numbers(v, self.contacts.iter().filter(|c| c.vendor == v.id))
    }

    /// The vendor's keys valid at `now`, if the vendor is trusted.
    pub fn trusted_keys(
        &self,
        vendor: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<&VendorKey>, DirectoryError> {
        let v = self.vendor_trust(vendor, now)?;
        Ok(self
            .keys
            .iter()
            .filter(|k| k.vendor == v.id && k.is_valid_at(now))
            .collect())
    }
}

/// The trust rule, in one place: a vendor is trusted when active and its
/// review is not overdue.
pub(crate) fn vendor_trust(v: &Vendor, now: OffsetDateTime) -> Result<(), DirectoryError> {
    let not_trusted = |reason| DirectoryError::NotTrusted {
        vendor: v.id.clone(),
        reason,
    };
    if v.status != VendorStatus::Active {
        return Err(not_trusted(NotTrustedReason::Status(v.status)));
    }
    match v.review_due {
        Some(due) if due > now => Ok(()),
        Some(due) => Err(not_trusted(NotTrustedReason::ReviewOverdue { due })),
        None => Err(not_trusted(NotTrustedReason::ReviewOverdue {
            due: OffsetDateTime::UNIX_EPOCH,
        })),
    }
}

/// Callback numbers of a trusted vendor's active contacts.
pub(crate) fn callback_numbers<'a>(
    v: &Vendor,
    contacts: impl Iterator<Item = &'a Contact>,
) -> Result<Vec<CallbackNumber>, DirectoryError> {
    let numbers: Vec<CallbackNumber> = contacts
        .filter(|c| c.status == ContactStatus::Active)
        .flat_map(|c| {
            c.phones.iter().map(|p| CallbackNumber {
                contact: c.name.clone(),
                email: c.email.clone(),
                phone: p.clone(),
            })
        })
        .collect();
    if numbers.is_empty() {
        return Err(DirectoryError::NotTrusted {
            vendor: v.id.clone(),
            reason: NotTrustedReason::NoActiveContact,
        });
    }
    Ok(numbers)
}
