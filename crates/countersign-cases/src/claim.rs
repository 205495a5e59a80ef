//! Who a requester claims to be, resolved against the directory, and the
//! channels through which that claim may be verified.
//!
//! Channels come only from the directory's live, approved records, judged
//! at the moment of use: a contact who left, a vendor overdue for review or
//! a pending change never yields a number to call.

use countersign_directory::{
    ContactStatus, DirectoryError, DirectorySnapshot, EmployeeStatus, StaffStatus, normalize_phone,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What kind of identity is claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// A named, approved contact of an enrolled vendor.
    VendorContact,
    /// An enrolled vendor, but no approved contact of it.
    Vendor,
    /// A member of IT staff.
    Staff,
    /// An employee.
    Employee,
    /// Nobody the directory knows.
    Unknown,
}

/// How the claim was matched to the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The sender's address is the record's address.
    Address,
    /// The sender's domain belongs to the vendor.
    Domain,
    /// Only the display name matches the record's name: the address is not theirs.
    DisplayName,
    /// Named by the analyst who opened the case.
    Analyst,
    /// Nothing matched.
    Nothing,
}

/// A requester's claimed identity as resolved in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedIdentity {
    /// What kind of identity.
    pub kind: ClaimKind,
    /// How it was matched.
    pub matched_by: MatchedBy,
    /// What the requester said or sent, as given (e.g. `"Dana" <d@x>`).
    pub claim: String,
    /// The vendor, for vendor claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// The vendor's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_name: Option<String>,
    /// The person's name in the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
    /// The person's directory email (contact, staff or employee).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The IT staff ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// The employee ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
}

impl ClaimedIdentity {
    fn new(kind: ClaimKind, matched_by: MatchedBy, claim: &str) -> Self {
        Self {
            kind,
            matched_by,
            claim: claim.to_owned(),
            vendor_id: None,
            vendor_name: None,
            person_name: None,
            email: None,
            staff_id: None,
            employee_id: None,
        }
    }

    /// Nobody the directory knows.
    pub fn unknown(claim: &str) -> Self {
        Self::new(ClaimKind::Unknown, MatchedBy::Nothing, claim)
    }

    /// Words for an analyst: "Dana Reyes (Bluepeak Managed Services)".
    pub fn describe(&self) -> String {
        let who = self
            .person_name
            .clone()
            .unwrap_or_else(|| self.claim.clone());
        match (&self.vendor_name, self.kind) {
            (Some(vendor), ClaimKind::Vendor) => format!("someone at {vendor} ({})", self.claim),
            (Some(vendor), _) => format!("{who} ({vendor})"),
            (None, ClaimKind::Staff) => format!("{who} (IT staff)"),
            (None, ClaimKind::Employee) => format!("{who} (employee)"),
            _ => who,
        }
    }
}

/// The identity a message's sender claims: by exact address first (vendor
/// contact, IT staff, employee), then by the vendor owning the domain, then
/// by a display name equal to a known person's name (a claim the address
/// does not support; the callback then goes to the real person).
pub fn resolve_sender(
    snapshot: &DirectorySnapshot,
    address: Option<&str>,
    display_name: Option<&str>,
) -> ClaimedIdentity {
    let address = address.map(|a| a.trim().to_ascii_lowercase());
    let claim = match (display_name, address.as_deref()) {
        (Some(name), Some(addr)) if !name.trim().is_empty() => format!("{} <{addr}>", name.trim()),
        (_, Some(addr)) => addr.to_owned(),
        (Some(name), None) => name.trim().to_owned(),
        (None, None) => String::new(),
    };
    if let Some(addr) = address.as_deref() {
        if let Some(found) = by_address(snapshot, addr, &claim, MatchedBy::Address) {
            return found;
        }
        if let Some((_, domain)) = addr.rsplit_once('@')
            && let Some(vendor) = snapshot.vendor_for_domain(domain)
        {
            let mut id = ClaimedIdentity::new(ClaimKind::Vendor, MatchedBy::Domain, &claim);
            id.vendor_id = Some(vendor.id.clone());
            id.vendor_name = Some(vendor.name.clone());
            return id;
        }
    }
    if let Some(name) = display_name
        && let Some(found) = by_name(snapshot, name, &claim)
    {
        return found;
    }
    ClaimedIdentity::unknown(&claim)
}

fn by_address(
    snapshot: &DirectorySnapshot,
    addr: &str,
    claim: &str,
    how: MatchedBy,
) -> Option<ClaimedIdentity> {
    if let Some(c) = snapshot.contacts.iter().find(|c| c.email == addr) {
        let mut id = ClaimedIdentity::new(ClaimKind::VendorContact, how, claim);
        id.vendor_id = Some(c.vendor.clone());
        id.vendor_name = snapshot.vendor(&c.vendor).map(|v| v.name.clone());
        id.person_name = Some(c.name.clone());
        id.email = Some(c.email.clone());
        return Some(id);
    }
    if let Some(s) = snapshot.staff.iter().find(|s| s.email == addr) {
        let mut id = ClaimedIdentity::new(ClaimKind::Staff, how, claim);
        id.person_name = Some(s.name.clone());
        id.email = Some(s.email.clone());
        id.staff_id = Some(s.staff_id.clone());
        return Some(id);
    }
    if let Some(e) = snapshot.employees.iter().find(|e| e.email == addr) {
        let mut id = ClaimedIdentity::new(ClaimKind::Employee, how, claim);
        id.person_name = Some(e.name.clone());
        id.email = Some(e.email.clone());
        id.employee_id = Some(e.id.clone());
        return Some(id);
    }
    None
}

fn fold_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn by_name(snapshot: &DirectorySnapshot, name: &str, claim: &str) -> Option<ClaimedIdentity> {
    let wanted = fold_name(name);
    if wanted.is_empty() {
        return None;
    }
    let email = snapshot
        .contacts
        .iter()
        .find(|c| fold_name(&c.name) == wanted)
        .map(|c| c.email.clone())
        .or_else(|| {
            snapshot
                .staff
                .iter()
                .find(|s| fold_name(&s.name) == wanted)
                .map(|s| s.email.clone())
        })
        .or_else(|| {
            snapshot
                .employees
                .iter()
                .find(|e| fold_name(&e.name) == wanted)
                .map(|e| e.email.clone())
        })?;
    by_address(snapshot, &email, claim, MatchedBy::DisplayName)
}

/// The identity an analyst names when opening a case by hand: a vendor (and
/// optionally one of its contacts by email), a staff ID or an employee ID.
/// Unknown references are refused so a typo cannot create an "unknown"
/// claim that nobody can verify.
pub fn resolve_named(
    snapshot: &DirectorySnapshot,
    vendor_id: Option<&str>,
    contact_email: Option<&str>,
    staff_id: Option<&str>,
    employee_id: Option<&str>,
    claim: &str,
) -> Result<ClaimedIdentity, String> {
    if let Some(email) = contact_email {
        let email = email.trim().to_ascii_lowercase();
        let mut id = by_address(snapshot, &email, claim, MatchedBy::Analyst)
            .filter(|id| id.kind == ClaimKind::VendorContact)
            .ok_or_else(|| format!("no vendor contact with email {email} in the directory"))?;
        if let Some(v) = vendor_id
            && id.vendor_id.as_deref() != Some(v)
        {
            return Err(format!("{email} is not a contact of vendor {v}"));
        }
        id.matched_by = MatchedBy::Analyst;
        return Ok(id);
    }
    if let Some(v) = vendor_id {
        let vendor = snapshot
            .vendor(v)
            .ok_or_else(|| format!("no vendor {v:?} in the directory"))?;
        let mut id = ClaimedIdentity::new(ClaimKind::Vendor, MatchedBy::Analyst, claim);
        id.vendor_id = Some(vendor.id.clone());
        id.vendor_name = Some(vendor.name.clone());
        return Ok(id);
    }
    if let Some(s) = staff_id {
        let staff = snapshot
            .staff
            .iter()
            .find(|x| x.staff_id == s)
            .ok_or_else(|| format!("no IT staff member {s:?} in the directory"))?;
        let mut id = ClaimedIdentity::new(ClaimKind::Staff, MatchedBy::Analyst, claim);
        id.person_name = Some(staff.name.clone());
        id.email = Some(staff.email.clone());
        id.staff_id = Some(staff.staff_id.clone());
        return Ok(id);
    }
    if let Some(e) = employee_id {
        let emp = snapshot
            .employees
            .iter()
            .find(|x| x.id == e)
            .ok_or_else(|| format!("no employee {e:?} in the directory"))?;
        let mut id = ClaimedIdentity::new(ClaimKind::Employee, MatchedBy::Analyst, claim);
        id.person_name = Some(emp.name.clone());
        id.email = Some(emp.email.clone());
        id.employee_id = Some(emp.id.clone());
        return Ok(id);
    }
    Ok(ClaimedIdentity::unknown(claim))
}

/// One directory channel: whose it is and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelEntry {
    /// The person it belongs to.
    pub name: String,
    /// An E.164 phone number or an email address.
    pub address: String,
}

/// The channels through which a claim may be verified now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedChannels {
    /// Numbers to call back, or to send a code by SMS or voice.
    pub phones: Vec<ChannelEntry>,
    /// Addresses to send a code to.
    pub emails: Vec<ChannelEntry>,
}

impl TrustedChannels {
    /// Whether `number` (any formatting) is one of the trusted phones.
    pub fn has_phone(&self, number: &str) -> Option<&ChannelEntry> {
        let wanted = normalize_phone(number)?;
        self.phones.iter().find(|p| p.address == wanted)
    }

    /// Whether `email` is one of the trusted addresses.
    pub fn has_email(&self, email: &str) -> Option<&ChannelEntry> {
        let wanted = email.trim().to_ascii_lowercase();
        self.emails.iter().find(|e| e.address == wanted)
    }
}

/// Why a claim cannot be verified through the directory, and what would fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason}; {fix}")]
pub struct Untrusted {
    /// Why there is no trusted channel.
    pub reason: String,
    /// What would make verification possible.
    pub fix: String,
}

fn untrusted(reason: impl Into<String>, fix: impl Into<String>) -> Untrusted {
    Untrusted {
        reason: reason.into(),
        fix: fix.into(),
    }
}

/// The directory channels of `claim` at `now`, or why there are none.
pub fn trusted_channels(
    snapshot: &DirectorySnapshot,
    claim: &ClaimedIdentity,
    now: OffsetDateTime,
) -> Result<TrustedChannels, Untrusted> {
    let vendor_fix = |err: &DirectoryError| match err {
        DirectoryError::NotTrusted { reason, .. } => match reason {
            countersign_directory::NotTrustedReason::ReviewOverdue { .. } => {
                "a security administrator or the relationship manager records the vendor's review"
                    .to_owned()
            }
            countersign_directory::NotTrustedReason::Status(_) => {
                "the vendor must be active again (a change request, approved by a second person)"
                    .to_owned()
            }
            countersign_directory::NotTrustedReason::NoActiveContact => {
                "add an approved contact with a phone number (change request)".to_owned()
            }
            _ => "ask a security administrator to restore the vendor's trust".to_owned(),
        },
        _ => "enrol the vendor through a change request".to_owned(),
    };
    match claim.kind {
        ClaimKind::VendorContact => {
            let vendor_id = claim.vendor_id.as_deref().unwrap_or_default();
            snapshot
                .vendor_trust(vendor_id, now)
                .map_err(|e| untrusted(format!("vendor {vendor_id}: {e}"), vendor_fix(&e)))?;
            let email = claim.email.as_deref().unwrap_or_default();
            let contact = snapshot
                .contacts
                .iter()
                .find(|c| c.email == email)
                .ok_or_else(|| {
                    untrusted(
                        format!("{email} is no longer an approved contact"),
                        "verify through another approved contact of the vendor",
                    )
                })?;
            if contact.status != ContactStatus::Active {
                return Err(untrusted(
                    format!("contact {} is {:?}", contact.name, contact.status).to_lowercase(),
                    "verify through another approved contact of the vendor, or deny",
                ));
            }
            Ok(TrustedChannels {
                phones: contact
                    .phones
                    .iter()
                    .map(|p| ChannelEntry {
                        name: contact.name.clone(),
                        address: p.clone(),
                    })
                    .collect(),
                emails: vec![ChannelEntry {
                    name: contact.name.clone(),
                    address: contact.email.clone(),
                }],
            })
        }
        ClaimKind::Vendor => {
            let vendor_id = claim.vendor_id.as_deref().unwrap_or_default();
            let numbers = snapshot
                .verified_callback_numbers(vendor_id, now)
                .map_err(|e| untrusted(format!("vendor {vendor_id}: {e}"), vendor_fix(&e)))?;
            let mut channels = TrustedChannels::default();
            for n in numbers {
                channels.phones.push(ChannelEntry {
                    name: n.contact.clone(),
                    address: n.phone,
                });
                if !channels.emails.iter().any(|e| e.address == n.email) {
                    channels.emails.push(ChannelEntry {
                        name: n.contact,
                        address: n.email,
                    });
                }
            }
            Ok(channels)
        }
        ClaimKind::Staff => {
            let id = claim.staff_id.as_deref().unwrap_or_default();
            let staff = snapshot
                .staff
                .iter()
                .find(|s| s.staff_id == id)
                .ok_or_else(|| {
                    untrusted(
                        format!("IT staff member {id} is not in the directory"),
                        "deny the case",
                    )
                })?;
            if staff.status != StaffStatus::Active {
                return Err(untrusted(
                    format!(
                        "{} is not a current member of IT ({:?})",
                        staff.name, staff.status
                    )
                    .to_lowercase(),
                    "deny the case: departed or suspended staff cannot be verified",
                ));
            }
            Ok(TrustedChannels {
                phones: vec![ChannelEntry {
                    name: staff.name.clone(),
                    address: staff.phone.clone(),
                }],
                emails: vec![ChannelEntry {
                    name: staff.name.clone(),
                    address: staff.email.clone(),
                }],
            })
        }
        ClaimKind::Employee => {
            let id = claim.employee_id.as_deref().unwrap_or_default();
            let emp = snapshot
                .employees
                .iter()
                .find(|e| e.id == id)
                .ok_or_else(|| {
                    untrusted(
                        format!("employee {id} is not in the directory"),
                        "deny the case",
                    )
                })?;
            if emp.status != EmployeeStatus::Active {
                return Err(untrusted(
                    format!("{} has left the organisation", emp.name),
                    "deny the case",
                ));
            }
            Ok(TrustedChannels {
                phones: emp
                    .phone
                    .iter()
                    .map(|p| ChannelEntry {
                        name: emp.name.clone(),
                        address: p.clone(),
                    })
                    .collect(),
                emails: vec![ChannelEntry {
                    name: emp.name.clone(),
                    address: emp.email.clone(),
                }],
            })
        }
        ClaimKind::Unknown => Err(untrusted(
            "the claimed identity is not in the directory's approved records (a pending change is not trusted until approved)",
            "if this requester should be trusted, add them through a change request approved by a second person; otherwise deny the case",
        )),
    }
}
