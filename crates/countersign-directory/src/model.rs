//! Directory records. These are the *live*, approved records: pending changes
//! live only inside change requests and never here, which is what keeps
//! pending channels out of every verification.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The staff role that administers the directory and approves any change.
pub const SECURITY_ADMIN_ROLE: &str = "security-admin";

/// Reviews are due this many days after the last one unless the
/// organisation record says otherwise.
pub const DEFAULT_REVIEW_INTERVAL_DAYS: u32 = 90;

fn default_interval() -> u32 {
    DEFAULT_REVIEW_INTERVAL_DAYS
}

/// The organisation itself: the domains it owns, which lookalike detection
/// protects, and its review policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Display name.
    pub name: String,
    /// Domains the organisation sends mail from, lowercase ASCII (A-labels).
    pub domains: Vec<String>,
    /// Days between required vendor reviews.
    #[serde(default = "default_interval")]
    pub review_interval_days: u32,
}

/// Lifecycle of a vendor relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VendorStatus {
    /// Vendor may be dealt with.
    Active,
    /// Temporarily not trusted (e.g. under investigation).
    Suspended,
    /// The relationship has ended.
    Offboarded,
}

/// A vendor that may contact the help desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// Short stable identifier (lowercase letters, digits, `-`, `_`, `.`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Domains the vendor legitimately sends from.
    pub domains: Vec<String>,
    /// Whether the vendor has privileged access (stricter verification).
    #[serde(default)]
    pub privileged: bool,
    /// ID of the staff member or employee who owns the relationship.
    pub relationship_manager: String,
    /// Lifecycle status.
    pub status: VendorStatus,
    /// When the record was last reviewed (set by the directory, not by input).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_reviewed_at: Option<OffsetDateTime>,
    /// When the next review is due; an overdue vendor is not trusted.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub review_due: Option<OffsetDateTime>,
}

/// Status of a person in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactStatus {
    /// May be called back.
    Active,
    /// Temporarily not to be trusted.
    Suspended,
    /// Has left the vendor.
    Departed,
}

/// A person at a vendor whom the help desk may call back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// The vendor's ID.
    pub vendor: String,
    /// Full name.
    pub name: String,
    /// Email address, lowercase; with `vendor`, the contact's key.
    pub email: String,
    /// Phone numbers in E.164 form (`+` and digits).
    pub phones: Vec<String>,
    /// Role at the vendor (free text, e.g. "account manager").
    #[serde(default)]
    pub role: String,
    /// Status.
    pub status: ContactStatus,
}

/// Status of a member of IT staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaffStatus {
    /// Currently works in IT.
    Active,
    /// Temporarily not to be trusted.
    Suspended,
    /// Has left.
    Departed,
}

/// A member of IT staff, as employees may look them up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// The staff ID a caller claiming to be IT is asked for.
    pub staff_id: String,
    /// Full name.
    pub name: String,
    /// Photo, as a URL or a file path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
    /// Email address, lowercase.
    pub email: String,
    /// Phone number in E.164 form.
    pub phone: String,
    /// Role; [`SECURITY_ADMIN_ROLE`] administers the directory.
    pub role: String,
    /// Team name.
    #[serde(default)]
    pub team: String,
    /// Status.
    pub status: StaffStatus,
}

/// Status of an employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmployeeStatus {
    /// Currently employed.
    Active,
    /// Has left.
    Departed,
}

/// An employee of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Employee {
    /// Employee ID.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Email address, lowercase.
    pub email: String,
    /// Phone number in E.164 form, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The manager's employee ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// Status.
    #[serde(default = "active_employee")]
    pub status: EmployeeStatus,
}

fn active_employee() -> EmployeeStatus {
    EmployeeStatus::Active
}

/// A vendor's Ed25519 signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorKey {
    /// First 16 hex digits of the SHA-256 of the key bytes; derived, not chosen.
    pub key_id: String,
    /// The vendor's ID.
    pub vendor: String,
    /// The raw 32-byte public key, standard base64.
    pub public_key: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity, if any.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_after: Option<OffsetDateTime>,
    /// When it was revoked, if it was.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub revoked_at: Option<OffsetDateTime>,
    /// Why it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_reason: Option<String>,
}

impl VendorKey {
    /// Whether the key may verify a signature made at `now`.
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none_or(|r| r > now)
            && self.not_before <= now
            && self.not_after.is_none_or(|end| now < end)
    }
}

/// A mailing list or relay whose ARC seals are honoured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forwarder {
    /// The ARC sealing domain (`d=` of ARC-Seal).
    pub domain: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
}

/// A number the help desk may call to verify a vendor's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackNumber {
    /// The contact's name.
    pub contact: String,
    /// The contact's email.
    pub email: String,
    /// The number, E.164.
    pub phone: String,
}

/// `as_str` / `parse` for the status enums, whose stored and printed form is
/// their lowercase serde name.
macro_rules! status_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The lowercase name used in storage, files and output.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }

            /// Parses the lowercase name.
            pub fn parse(text: &str) -> Option<Self> {
                match text.trim().to_ascii_lowercase().as_str() {
                    $($name => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_names!(VendorStatus { Active => "active", Suspended => "suspended", Offboarded => "offboarded" });
status_names!(ContactStatus { Active => "active", Suspended => "suspended", Departed => "departed" });
status_names!(StaffStatus { Active => "active", Suspended => "suspended", Departed => "departed" });
status_names!(EmployeeStatus { Active => "active", Departed => "departed" });
