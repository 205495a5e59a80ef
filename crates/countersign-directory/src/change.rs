//! Change requests and the planner that turns approved changes into store
//! operations, checking them against the current directory.

use crate::error::DirectoryError;
use crate::model::{
    Contact, ContactStatus, Employee, EmployeeStatus, Forwarder, Organisation, Staff, StaffStatus,
    Vendor, VendorKey,
};
use crate::snapshot::DirectorySnapshot;
use crate::store::Op;
use crate::validate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use time::OffsetDateTime;

/// One proposed change. Each carries the complete new record, so that what the
/// approver sees is exactly what takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// Set the organisation's name, domains and review interval.
    SetOrganisation {
        /// The new organisation record.
        organisation: Organisation,
    },
    /// Enrol a vendor.
    AddVendor {
        /// The vendor.
        vendor: Vendor,
    },
    /// Change a vendor's fields (not its review dates).
    UpdateVendor {
        /// The vendor as it should become.
        vendor: Vendor,
    },
    /// Add a contact to a vendor.
    AddContact {
        /// The contact.
        contact: Contact,
    },
    /// Change a contact, possibly including its email.
    UpdateContact {
        /// The contact's current email.
        email: String,
        /// The contact as it should become.
        contact: Contact,
    },
    /// Add a member of IT staff.
    AddStaff {
        /// The staff member.
        staff: Staff,
    },
    /// Change a member of IT staff.
    UpdateStaff {
        /// As it should become.
        staff: Staff,
    },
    /// Add an employee.
    AddEmployee {
        /// The employee.
        employee: Employee,
    },
    /// Change an employee.
    UpdateEmployee {
        /// As it should become.
        employee: Employee,
    },
    /// Enrol a vendor signing key.
    AddKey {
        /// The key (its `key_id` is recomputed from the key).
        key: VendorKey,
    },
    /// Trust a forwarder's ARC seals.
    AddForwarder {
        /// The forwarder.
        forwarder: Forwarder,
    },
}

impl Change {
    /// The vendor this change concerns, if any: that vendor's relationship
    /// manager may approve it. Other changes need a security administrator.
    pub fn vendor(&self) -> Option<&str> {
        match self {
            Change::AddVendor { vendor } | Change::UpdateVendor { vendor } => Some(&vendor.id),
            Change::AddContact { contact } | Change::UpdateContact { contact, .. } => {
                Some(&contact.vendor)
            }
            Change::AddKey { key } => Some(&key.vendor),
            _ => None,
        }
    }

    /// The audit subject of the record changed, such as `contact:acme/bob@acme.com`.
    pub fn subject(&self) -> String {
        match self {
            Change::SetOrganisation { .. } => "organisation".into(),
            Change::AddVendor { vendor } | Change::UpdateVendor { vendor } => {
                format!("vendor:{}", vendor.id)
            }
            Change::AddContact { contact } => {
                format!("contact:{}/{}", contact.vendor, contact.email)
            }
            Change::UpdateContact { email, contact } => {
                format!("contact:{}/{email}", contact.vendor)
            }
            Change::AddStaff { staff } | Change::UpdateStaff { staff } => {
                format!("staff:{}", staff.staff_id)
            }
            Change::AddEmployee { employee } | Change::UpdateEmployee { employee } => {
                format!("employee:{}", employee.id)
            }
            Change::AddKey { key } => format!("key:{}/{}", key.vendor, key.key_id),
            Change::AddForwarder { forwarder } => format!("forwarder:{}", forwarder.domain),
        }
    }

    /// The operation's name, such as `add_contact`.
    pub fn op_name(&self) -> &'static str {
        match self {
            Change::SetOrganisation { .. } => "set_organisation",
            Change::AddVendor { .. } => "add_vendor",
            Change::UpdateVendor { .. } => "update_vendor",
            Change::AddContact { .. } => "add_contact",
            Change::UpdateContact { .. } => "update_contact",
            Change::AddStaff { .. } => "add_staff",
            Change::UpdateStaff { .. } => "update_staff",
            Change::AddEmployee { .. } => "add_employee",
            Change::UpdateEmployee { .. } => "update_employee",
            Change::AddKey { .. } => "add_key",
            Change::AddForwarder { .. } => "add_forwarder",
        }
    }

    /// Checks and normalises every field without looking at the directory
    /// (lowercased emails, E.164 phones, derived key IDs).
    pub fn normalized(self) -> Result<Change, DirectoryError> {
        Ok(match self {
            Change::SetOrganisation { organisation: o } => {
                if !(1..=3650).contains(&o.review_interval_days) {
                    return Err(DirectoryError::invalid(
                        "review interval",
                        &o.review_interval_days.to_string(),
                        "must be 1 to 3650 days",
                    ));
                }
                Change::SetOrganisation {
                    organisation: Organisation {
                        name: validate::text("organisation name", &o.name)?,
                        domains: domains("organisation domain", &o.domains)?,
                        review_interval_days: o.review_interval_days,
                    },
                }
            }
            Change::AddVendor { vendor } => Change::AddVendor {
                vendor: norm_vendor(vendor)?,
            },
            Change::UpdateVendor { vendor } => Change::UpdateVendor {
                vendor: norm_vendor(vendor)?,
            },
            Change::AddContact { contact } => Change::AddContact {
                contact: norm_contact(contact)?,
            },
            Change::UpdateContact { email, contact } => Change::UpdateContact {
                email: validate::email("email", &email)?,
                contact: norm_contact(contact)?,
            },
            Change::AddStaff { staff } => Change::AddStaff {
                staff: norm_staff(staff)?,
            },
            Change::UpdateStaff { staff } => Change::UpdateStaff {
                staff: norm_staff(staff)?,
            },
            Change::AddEmployee { employee } => Change::AddEmployee {
                employee: norm_employee(employee)?,
            },
            Change::UpdateEmployee { employee } => Change::UpdateEmployee {
                employee: norm_employee(employee)?,
            },
            Change::AddKey { key } => {
                let (public_key, bytes) = validate::public_key(&key.public_key)?;
                if key.not_after.is_some_and(|end| end <= key.not_before) {
                    return Err(DirectoryError::invalid(
                        "key validity",
                        &public_key,
                        "not_after must be later than not_before",
                    ));
                }
                Change::AddKey {
                    key: VendorKey {
                        key_id: validate::key_id_for(&bytes),
                        vendor: validate::ident("vendor ID", &key.vendor)?,
                        public_key,
                        ..key
                    },
                }
            }
            Change::AddForwarder { forwarder } => Change::AddForwarder {
                forwarder: Forwarder {
                    domain: validate::domain("forwarder domain", &forwarder.domain)?,
                    description: forwarder.description.trim().to_owned(),
                },
            },
        })
    }
}

fn domains(field: &'static str, list: &[String]) -> Result<Vec<String>, DirectoryError> {
    let mut out = list
        .iter()
        .map(|d| validate::domain(field, d))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(DirectoryError::invalid(
            field,
            "",
            "at least one domain is required",
        ));
    }
    Ok(out)
}

fn norm_vendor(v: Vendor) -> Result<Vendor, DirectoryError> {
    Ok(Vendor {
        id: validate::ident("vendor ID", &v.id)?,
        name: validate::text("vendor name", &v.name)?,
        domains: domains("vendor domain", &v.domains)?,
        privileged: v.privileged,
        relationship_manager: validate::ident("relationship manager", &v.relationship_manager)?,
        status: v.status,
        // Review dates are the directory's to set, never the requester's.
        last_reviewed_at: None,
        review_due: None,
    })
}

fn norm_contact(c: Contact) -> Result<Contact, DirectoryError> {
    let mut phones = c
        .phones
        .iter()
        .map(|p| validate::phone("phone", p))
        .collect::<Result<Vec<_>, _>>()?;
    phones.dedup();
    Ok(Contact {
        vendor: validate::ident("vendor ID", &c.vendor)?,
        name: validate::text("contact name", &c.name)?,
        email: validate::email("email", &c.email)?,
        phones,
        role: c.role.trim().to_owned(),
        status: c.status,
    })
}

fn norm_staff(s: Staff) -> Result<Staff, DirectoryError> {
    Ok(Staff {
        staff_id: validate::ident("staff ID", &s.staff_id)?,
        name: validate::text("staff name", &s.name)?,
        photo: s
            .photo
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
        email: validate::email("email", &s.email)?,
        phone: validate::phone("phone", &s.phone)?,
        role: validate::text("role", &s.role)?,
        team: s.team.trim().to_owned(),
        status: s.status,
    })
}

fn norm_employee(e: Employee) -> Result<Employee, DirectoryError> {
    Ok(Employee {
        id: validate::ident("employee ID", &e.id)?,
        name: validate::text("employee name", &e.name)?,
        email: validate::email("email", &e.email)?,
        phone: e
            .phone
            .filter(|p| !p.trim().is_empty())
            .map(|p| validate::phone("phone", &p))
            .transpose()?,
        manager: e
            .manager
            .filter(|m| !m.trim().is_empty())
            .map(|m| validate::ident("manager", &m))
            .transpose()?,
        status: e.status,
    })
}

/// Where a change request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    /// Awaiting a decision; has no effect yet.
    Pending,
    /// Approved and applied.
    Approved,
    /// Rejected; never applied.
    Rejected,
}

impl RequestStatus {
    /// The lowercase name used in storage and output.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }

    /// Parses [`RequestStatus::as_str`]'s output.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(RequestStatus::Pending),
            "approved" => Some(RequestStatus::Approved),
            "rejected" => Some(RequestStatus::Rejected),
            _ => None,
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change request as submitted, before the store assigns its ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChangeRequest {
    /// Who asked.
    pub author: String,
    /// Why.
    pub reason: String,
    /// Where it came from, such as `cli` or `import:contacts.csv`.
    pub source: String,
    /// When.
    pub created_at: OffsetDateTime,
    /// The changes, applied together or not at all.
    pub changes: Vec<Change>,
}

/// A stored change request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// Its number.
    pub id: i64,
    /// Who asked.
    pub author: String,
    /// Why.
    pub reason: String,
    /// Where it came from.
    pub source: String,
    /// Status.
    pub status: RequestStatus,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who decided it.
    pub decided_by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    /// The approver's or rejecter's reason.
    pub decision_reason: Option<String>,
    /// The changes.
    pub changes: Vec<Change>,
}

/// The directory indexed by key, which the planner mutates as it goes so that
/// later changes in one request see the earlier ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    pub organisation: Option<Organisation>,
    pub vendors: BTreeMap<String, Vendor>,
    pub contacts: BTreeMap<(String, String), Contact>,
    pub staff: BTreeMap<String, Staff>,
    pub employees: BTreeMap<String, Employee>,
    pub keys: BTreeMap<String, VendorKey>,
    pub forwarders: BTreeMap<String, Forwarder>,
}

impl From<DirectorySnapshot> for State {
    fn from(s: DirectorySnapshot) -> Self {
        State {
            organisation: s.organisation,
            vendors: s.vendors.into_iter().map(|v| (v.id.clone(), v)).collect(),
            contacts: s
                .contacts
                .into_iter()
                .map(|c| ((c.vendor.clone(), c.email.clone()), c))
                .collect(),
            staff: s
                .staff
                .into_iter()
                .map(|x| (x.staff_id.clone(), x))
                .collect(),
            employees: s.employees.into_iter().map(|x| (x.id.clone(), x)).collect(),
            keys: s.keys.into_iter().map(|x| (x.key_id.clone(), x)).collect(),
            forwarders: s
                .forwarders
                .into_iter()
                .map(|x| (x.domain.clone(), x))
                .collect(),
        }
    }
}

impl State {
    /// Back to the serialisable form, in key order.
    pub fn to_snapshot(&self) -> DirectorySnapshot {
        DirectorySnapshot {
            format: crate::snapshot::SNAPSHOT_FORMAT.to_owned(),
            exported_at: None,
            organisation: self.organisation.clone(),
            vendors: self.vendors.values().cloned().collect(),
            contacts: self.contacts.values().cloned().collect(),
            staff: self.staff.values().cloned().collect(),
            employees: self.employees.values().cloned().collect(),
            keys: self.keys.values().cloned().collect(),
            forwarders: self.forwarders.values().cloned().collect(),
        }
    }

    fn interval(&self) -> time::Duration {
        let days = self
            .organisation
            .as_ref()
            .map_or(crate::model::DEFAULT_REVIEW_INTERVAL_DAYS, |o| {
                o.review_interval_days
            });
        time::Duration::days(i64::from(days))
    }

    /// Whether `id` names an active person (staff or employee).
    pub fn is_active_person(&self, id: &str) -> bool {
        self.staff
            .get(id)
            .is_some_and(|s| s.status == StaffStatus::Active)
            || self
                .employees
                .get(id)
                .is_some_and(|e| e.status == EmployeeStatus::Active)
    }

    /// Whether `id` is an active security administrator.
    pub fn is_security_admin(&self, id: &str) -> bool {
        self.staff.get(id).is_some_and(|s| {
            s.status == StaffStatus::Active && s.role == crate::model::SECURITY_ADMIN_ROLE
        })
    }

    /// Records that `vendor` needs a review now (a personnel change).
    pub fn review_due_now(&mut self, vendor: &str, now: OffsetDateTime) -> Option<Op> {
        let v = self.vendors.get_mut(vendor)?;
        if v.review_due.is_some_and(|d| d <= now) {
            return None;
        }
        v.review_due = Some(now);
        Some(Op::PutVendor(v.clone()))
    }

    /// Vendors managed by `person`, who just stopped being active.
    fn managed_by(&self, person: &str) -> Vec<String> {
        self.vendors
            .values()
            .filter(|v| v.relationship_manager == person)
            .map(|v| v.id.clone())
            .collect()
    }

    fn need_vendor(&self, id: &str) -> Result<&Vendor, DirectoryError> {
        self.vendors
            .get(id)
            .ok_or_else(|| DirectoryError::NotFound {
                kind: "vendor",
                key: id.to_owned(),
            })
    }

    fn check_manager(&self, rm: &str) -> Result<(), DirectoryError> {
        if self.is_active_person(rm) {
            Ok(())
        } else {
            Err(DirectoryError::NotFound {
                kind: "relationship manager (active staff or employee)",
                key: rm.to_owned(),
            })
        }
    }

    fn check_domains_free(&self, vendor: &str, domains: &[String]) -> Result<(), DirectoryError> {
        for d in domains {
            if let Some(other) = self
                .vendors
                .values()
                .find(|v| v.id != vendor && v.domains.contains(d))
            {
                return Err(DirectoryError::Duplicate {
                    kind: "vendor domain",
                    key: format!("{d} (vendor {})", other.id),
                });
            }
        }
        Ok(())
    }

    /// Checks one normalised change against the directory, applies it to this
    /// in-memory state and returns the store operations that enact it.
    pub fn apply(
        &mut self,
        change: &Change,
        now: OffsetDateTime,
    ) -> Result<Vec<Op>, DirectoryError> {
        let mut ops = Vec::new();
        match change.clone() {
            Change::SetOrganisation { organisation } => {
                self.organisation = Some(organisation.clone());
                ops.push(Op::PutOrganisation(organisation));
            }
            Change::AddVendor { mut vendor } => {
                if self.vendors.contains_key(&vendor.id) {
                    return Err(DirectoryError::Duplicate {
                        kind: "vendor",
                        key: vendor.id,
                    });
                }
                if let Some(other) = self.vendors.values().find(|v| v.name == vendor.name) {
                    return Err(DirectoryError::Duplicate {
                        kind: "vendor name",
                        key: format!("{} (vendor {})", vendor.name, other.id),
                    });
                }
                self.check_manager(&vendor.relationship_manager)?;
                self.check_domains_free(&vendor.id, &vendor.domains)?;
                // Approval of the enrolment is the first review.
                vendor.last_reviewed_at = Some(now);
                vendor.review_due = Some(now + self.interval());
                self.vendors.insert(vendor.id.clone(), vendor.clone());
                ops.push(Op::PutVendor(vendor));
            }
            Change::UpdateVendor { mut vendor } => {
                let old = self.need_vendor(&vendor.id)?.clone();
                self.check_manager(&vendor.relationship_manager)?;
                self.check_domains_free(&vendor.id, &vendor.domains)?;
                vendor.last_reviewed_at = old.last_reviewed_at;
                vendor.review_due = old.review_due;
                if old.relationship_manager != vendor.relationship_manager {
                    // A new relationship manager is a personnel change.
                    vendor.review_due = Some(old.review_due.map_or(now, |d| d.min(now)));
                }
                self.vendors.insert(vendor.id.clone(), vendor.clone());
                ops.push(Op::PutVendor(vendor));
            }
            Change::AddContact { contact } => {
                self.need_vendor(&contact.vendor)?;
                let key = (contact.vendor.clone(), contact.email.clone());
                if self.contacts.contains_key(&key) {
                    return Err(DirectoryError::Duplicate {
                        kind: "contact",
                        key: format!("{}/{}", key.0, key.1),
                    });
                }
                self.contacts.insert(key, contact.clone());
                ops.push(Op::PutContact(contact));
            }
            Change::UpdateContact { email, contact } => {
                self.need_vendor(&contact.vendor)?;
                let old_key = (contact.vendor.clone(), email.clone());
                let old =
                    self.contacts
                        .remove(&old_key)
                        .ok_or_else(|| DirectoryError::NotFound {
                            kind: "contact",
                            key: format!("{}/{}", old_key.0, old_key.1),
                        })?;
                let new_key = (contact.vendor.clone(), contact.email.clone());
                if new_key != old_key {
                    if self.contacts.contains_key(&new_key) {
                        self.contacts.insert(old_key, old);
                        return Err(DirectoryError::Duplicate {
                            kind: "contact",
                            key: format!("{}/{}", new_key.0, new_key.1),
                        });
                    }
                    ops.push(Op::DeleteContact {
                        vendor: old_key.0,
                        email: old_key.1,
                    });
                }
                if old.status == ContactStatus::Active && contact.status != ContactStatus::Active {
                    ops.extend(self.review_due_now(&contact.vendor, now));
                }
                self.contacts.insert(new_key, contact.clone());
                ops.push(Op::PutContact(contact));
            }
            Change::AddStaff { staff } => {
                if self.staff.contains_key(&staff.staff_id) {
                    return Err(DirectoryError::Duplicate {
                        kind: "staff ID",
                        key: staff.staff_id,
                    });
                }
                self.staff.insert(staff.staff_id.clone(), staff.clone());
                ops.push(Op::PutStaff(staff));
            }
            Change::UpdateStaff { staff } => {
                let old = self
                    .staff
                    .get(&staff.staff_id)
                    .ok_or_else(|| DirectoryError::NotFound {
                        kind: "staff ID",
                        key: staff.staff_id.clone(),
                    })?
                    .clone();
                self.staff.insert(staff.staff_id.clone(), staff.clone());
                ops.push(Op::PutStaff(staff.clone()));
                if old.status == StaffStatus::Active && staff.status != StaffStatus::Active {
                    for v in self.managed_by(&staff.staff_id) {
                        ops.extend(self.review_due_now(&v, now));
                    }
                }
            }
            Change::AddEmployee { employee } => {
                if self.employees.contains_key(&employee.id) {
                    return Err(DirectoryError::Duplicate {
                        kind: "employee ID",
                        key: employee.id,
                    });
                }
                self.employees.insert(employee.id.clone(), employee.clone());
                ops.push(Op::PutEmployee(employee));
            }
            Change::UpdateEmployee { employee } => {
                let old = self
                    .employees
                    .get(&employee.id)
                    .ok_or_else(|| DirectoryError::NotFound {
                        kind: "employee ID",
                        key: employee.id.clone(),
                    })?
                    .clone();
                self.employees.insert(employee.id.clone(), employee.clone());
                ops.push(Op::PutEmployee(employee.clone()));
                if old.status == EmployeeStatus::Active && employee.status != EmployeeStatus::Active
                {
                    for v in self.managed_by(&employee.id) {
                        ops.extend(self.review_due_now(&v, now));
                    }
                }
            }
            Change::AddKey { key } => {
                self.need_vendor(&key.vendor)?;
                if self.keys.contains_key(&key.key_id) {
                    return Err(DirectoryError::Duplicate {
                        kind: "vendor key",
                        key: key.key_id,
                    });
                }
                self.keys.insert(key.key_id.clone(), key.clone());
                ops.push(Op::PutKey(key));
            }
            Change::AddForwarder { forwarder } => {
                if self.forwarders.contains_key(&forwarder.domain) {
                    return Err(DirectoryError::Duplicate {
                        kind: "forwarder",
                        key: forwarder.domain,
                    });
                }
                self.forwarders
                    .insert(forwarder.domain.clone(), forwarder.clone());
                ops.push(Op::PutForwarder(forwarder));
            }
        }
        Ok(ops)
    }

    /// Checks that hold only for the batch as a whole: managers named by
    /// employees exist (they may be added later in the same request).
    pub fn check_references(&self) -> Result<(), DirectoryError> {
        for e in self.employees.values() {
            if let Some(m) = &e.manager
                && !self.employees.contains_key(m)
            {
                return Err(DirectoryError::NotFound {
                    kind: "manager (employee ID)",
                    key: format!("{m} (manager of {})", e.id),
                });
            }
        }
        Ok(())
    }

    /// Plans the whole change list, all or nothing.
    pub fn plan(
        &mut self,
        changes: &[Change],
        now: OffsetDateTime,
    ) -> Result<Vec<Op>, DirectoryError> {
        let mut ops = Vec::new();
        for c in changes {
            ops.extend(self.apply(c, now)?);
        }
        self.check_references()?;
        Ok(ops)
    }
}
