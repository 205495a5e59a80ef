//! Bulk import and export: CSV (one record kind per file, as spreadsheets
//! hold them) and JSON (the whole-directory snapshot).
//!
//! Parsing reports every problem with its line; diffing against the directory
//! happens in [`crate::Directory::import`], which turns records into one
//! change request and never overwrites anything silently.

use crate::change::{Change, State};
use crate::error::{DirectoryError, ImportIssue};
use crate::model::{
    Contact, ContactStatus, Employee, EmployeeStatus, Forwarder, Organisation, Staff, StaffStatus,
    Vendor, VendorKey, VendorStatus,
};
use crate::snapshot::DirectorySnapshot;
use std::collections::HashMap;

/// File format of an import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// One record kind per file, with a header row.
    Csv,
    /// A whole-directory [`DirectorySnapshot`].
    Json,
}

/// Which records a CSV file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// `id,name,domains,privileged,relationship_manager,status`
    Vendors,
    /// `vendor,name,email,phones,role,status`
    Contacts,
    /// `staff_id,name,photo,email,phone,role,team,status`
    Staff,
    /// `id,name,email,phone,manager,status`
    Employees,
}

impl RecordKind {
    /// Column names in export order; the required ones come first.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            RecordKind::Vendors => &[
                "id",
                "name",
                "domains",
                "relationship_manager",
                "privileged",
                "status",
            ],
            RecordKind::Contacts => &["vendor", "name", "email", "phones", "role", "status"],
            RecordKind::Staff => &[
                "staff_id", "name", "email", "phone", "role", "photo", "team", "status",
            ],
            RecordKind::Employees => &["id", "name", "email", "phone", "manager", "status"],
        }
    }

    fn required(self) -> usize {
        match self {
            RecordKind::Vendors => 4,
            RecordKind::Contacts => 4,
            RecordKind::Staff => 5,
            RecordKind::Employees => 3,
        }
    }
}

/// A record read from an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    Organisation(Organisation),
    Vendor(Vendor),
    Contact(Contact),
    Staff(Staff),
    Employee(Employee),
    Key(VendorKey),
    Forwarder(Forwarder),
}

/// A record from an import file and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// Line in the file, for CSV.
    pub line: Option<u64>,
    /// Record path such as `contacts[3]`, for JSON.
    pub record: Option<String>,
    pub(crate) item: Record,
}

impl ImportRecord {
    /// A key naming the record, to catch the same record twice in one file.
    pub(crate) fn key(&self) -> String {
        match &self.item {
            Record::Organisation(_) => "organisation".into(),
            Record::Vendor(v) => format!("vendor {}", v.id.trim()),
            Record::Contact(c) => format!(
                "contact {}/{}",
                c.vendor.trim(),
                c.email.trim().to_ascii_lowercase()
            ),
            Record::Staff(s) => format!("staff ID {}", s.staff_id.trim()),
            Record::Employee(e) => format!("employee ID {}", e.id.trim()),
            Record::Key(k) => format!("key {}", k.public_key.trim()),
            Record::Forwarder(f) => format!("forwarder {}", f.domain.trim().to_ascii_lowercase()),
        }
    }

    /// The change that brings the directory to this record, or `None` when
    /// it already matches. Fields are normalised before comparing.
    pub(crate) fn into_change(self, state: &State) -> Result<Option<Change>, DirectoryError> {
        Ok(match self.item {
            Record::Organisation(o) => {
                let Change::SetOrganisation { organisation } =
                    (Change::SetOrganisation { organisation: o }).normalized()?
                else {
                    unreachable!("normalising keeps the variant")
                };
                (state.organisation.as_ref() != Some(&organisation))
                    .then_some(Change::SetOrganisation { organisation })
            }
            Record::Vendor(v) => {
                let Change::AddVendor { vendor } =
                    (Change::AddVendor { vendor: v }).normalized()?
                else {
                    unreachable!("normalising keeps the variant")
                };
                match state.vendors.get(&vendor.id) {
                    None => Some(Change::AddVendor { vendor }),
                    Some(old) => {
                        let mut old = old.clone();
                        old.last_reviewed_at = None;
                        old.review_due = None;
                        (old != vendor).then_some(Change::UpdateVendor { vendor })
                    }
                }
            }
            Record::Contact(c) => {
                let Change::AddContact { contact } =
                    (Change::AddContact { contact: c }).normalized()?
                else {
                    unreachable!("normalising keeps the variant")
                };
                match state
                    .contacts
                    .get(&(contact.vendor.clone(), contact.email.clone()))
                {
                    None => Some(Change::AddContact { contact }),
                    Some(old) if *old == contact => None,
                    Some(_) => Some(Change::UpdateContact {
                        email: contact.email.clone(),
                        contact,
                    }),
                }
            }
            Record::Staff(s) => {
                let Change::AddStaff { staff } = (Change::AddStaff { staff: s }).normalized()?
                else {
                    unreachable!("normalising keeps the variant")
                };
                match state.staff.get(&staff.staff_id) {
                    None => Some(Change::AddStaff { staff }),
                    Some(old) if *old == staff => None,
                    Some(_) => Some(Change::UpdateStaff { staff }),
                }
            }
            Record::Employee(e) => {
                let Change::AddEmployee { employee } =
                    (Change::AddEmployee { employee: e }).normalized()?
                else {
                    unreachable!("normalising keeps the variant")
                };
                match state.employees.get(&employee.id) {
                    None => Some(Change::AddEmployee { employee }),
                    Some(old) if *old == employee => None,
                    Some(_) => Some(Change::UpdateEmployee { employee }),
                }
            }
            Record::Key(k) => {
                let Change::AddKey { key } = (Change::AddKey { key: k }).normalized()? else {
                    unreachable!("normalising keeps the variant")
                };
                // Keys are never edited by import: existing ones are left as
                // they are (revocation is its own, immediate act).
                (!state.keys.contains_key(&key.key_id)).then_some(Change::AddKey { key })
            }
            Record::Forwarder(f) => {
                let Change::AddForwarder { forwarder } =
                    (Change::AddForwarder { forwarder: f }).normalized()?
                else {
                    unreachable!("normalising keeps the variant")
                };
                (!state.forwarders.contains_key(&forwarder.domain))
                    .then_some(Change::AddForwarder { forwarder })
            }
        })
    }
}

/// Reads an import file. CSV needs `kind`; JSON is a whole snapshot. Every
/// syntax problem is collected with its line before anything is returned.
pub fn parse_import(
    format: ImportFormat,
    kind: Option<RecordKind>,
    text: &str,
) -> Result<Vec<ImportRecord>, DirectoryError> {
    match format {
        ImportFormat::Json => parse_json(text),
        ImportFormat::Csv => {
            let kind = kind.ok_or_else(|| DirectoryError::Import {
                issues: vec![ImportIssue {
                    line: None,
                    record: None,
                    field: None,
                    message: "CSV import needs a record kind (vendors, contacts, staff, employees)"
                        .into(),
                }],
            })?;
            let (records, issues) = read_csv(kind, text)?;
            if !issues.is_empty() {
                return Err(DirectoryError::Import { issues });
            }
            Ok(records)
        }
    }
}

/// Reads a CSV import file for a preview: the records that could be read,
/// and every problem with its line and field, in file order. Only a
/// header that cannot be used is an error (no line could be read then).
pub fn read_csv(
    kind: RecordKind,
    text: &str,
) -> Result<(Vec<ImportRecord>, Vec<ImportIssue>), DirectoryError> {
    parse_csv(kind, text)
}

fn parse_json(text: &str) -> Result<Vec<ImportRecord>, DirectoryError> {
    let snap = DirectorySnapshot::from_json(text).map_err(|e| match e {
        DirectoryError::SnapshotFormat { line, message, .. } => DirectoryError::Import {
            issues: vec![ImportIssue {
                line: Some(line as u64),
                record: None,
                field: None,
                message,
            }],
        },
        other => other,
    })?;
    let mut out = Vec::new();
    let mut push = |record: String, item: Record| {
        out.push(ImportRecord {
            line: None,
            record: Some(record),
            item,
        })
    };
    // People first: vendors name their relationship manager.
    if let Some(o) = snap.organisation {
        push("organisation".into(), Record::Organisation(o));
    }
    for (i, x) in snap.staff.into_iter().enumerate() {
        push(format!("staff[{i}]"), Record::Staff(x));
    }
    for (i, x) in snap.employees.into_iter().enumerate() {
        push(format!("employees[{i}]"), Record::Employee(x));
    }
    for (i, x) in snap.vendors.into_iter().enumerate() {
        push(format!("vendors[{i}]"), Record::Vendor(x));
    }
    for (i, x) in snap.contacts.into_iter().enumerate() {
        push(format!("contacts[{i}]"), Record::Contact(x));
    }
    for (i, x) in snap.keys.into_iter().enumerate() {
        push(format!("keys[{i}]"), Record::Key(x));
    }
    for (i, x) in snap.forwarders.into_iter().enumerate() {
        push(format!("forwarders[{i}]"), Record::Forwarder(x));
    }
    Ok(out)
}

fn list(field: &str) -> Vec<String> {
    field
        .split([';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opt(field: &str) -> Option<String> {
    Some(field.trim().to_owned()).filter(|s| !s.is_empty())
}

fn status<T>(
    field: &str,
    parse: fn(&str) -> Option<T>,
    default: T,
    names: &str,
) -> Result<T, (&'static str, String)> {
    if field.trim().is_empty() {
        return Ok(default);
    }
    parse(field).ok_or_else(|| ("status", format!("status {field:?} is not one of {names}")))
}

fn boolean(field: &str) -> Result<bool, (&'static str, String)> {
    match field.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "n" | "0" => Ok(false),
        "true" | "yes" | "y" | "1" => Ok(true),
        other => Err((
            "privileged",
            format!("privileged {other:?} is not true/false"),
        )),
    }
}

fn parse_csv(
    kind: RecordKind,
    text: &str,
) -> Result<(Vec<ImportRecord>, Vec<ImportIssue>), DirectoryError> {
    // Spreadsheets and browsers end lines with CRLF; the reader's line
    // numbers count them right only as plain line feeds.
    let text = if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut issues = Vec::new();
    let issue = |line: Option<u64>, message: String| ImportIssue {
        line,
        record: None,
        field: None,
        message,
    };
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(DirectoryError::Import {
                issues: vec![issue(Some(1), format!("unreadable header: {e}"))],
            });
        }
    };
    let columns = kind.columns();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}');
        match columns.iter().find(|c| c.eq_ignore_ascii_case(h)) {
            Some(c) if index.contains_key(c) => {
                issues.push(issue(Some(1), format!("column {c:?} appears twice")))
            }
            Some(c) => {
                index.insert(c, i);
            }
            None => issues.push(issue(
                Some(1),
                format!("unknown column {h:?}; expected {}", columns.join(",")),
            )),
        }
    }
    for c in &columns[..kind.required()] {
        if !index.contains_key(c) {
            issues.push(issue(Some(1), format!("missing required column {c:?}")));
        }
    }
    if !issues.is_empty() {
        return Err(DirectoryError::Import { issues });
    }
    let mut out = Vec::new();
    for result in reader.records() {
        let row = match result {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                issues.push(issue(line, format!("malformed CSV: {e}")));
                continue;
            }
        };
        let line = row.position().map(|p| p.line());
        let get = |c: &str| index.get(c).and_then(|&i| row.get(i)).unwrap_or("");
        let item = match kind {
            RecordKind::Vendors => boolean(get("privileged")).and_then(|privileged| {
                Ok(Record::Vendor(Vendor {
                    id: get("id").into(),
                    name: get("name").into(),
                    domains: list(get("domains")),
                    privileged,
                    relationship_manager: get("relationship_manager").into(),
                    status: status(
                        get("status"),
                        VendorStatus::parse,
                        VendorStatus::Active,
                        "active, suspended, offboarded",
                    )?,
                    last_reviewed_at: None,
                    review_due: None,
                }))
            }),
            RecordKind::Contacts => status(
                get("status"),
                ContactStatus::parse,
                ContactStatus::Active,
                "active, suspended, departed",
            )
            .map(|status| {
                Record::Contact(Contact {
                    vendor: get("vendor").into(),
                    name: get("name").into(),
                    email: get("email").into(),
                    phones: list(get("phones")),
                    role: get("role").into(),
                    status,
                })
            }),
            RecordKind::Staff => status(
                get("status"),
                StaffStatus::parse,
                StaffStatus::Active,
                "active, suspended, departed",
            )
            .map(|status| {
                Record::Staff(Staff {
                    staff_id: get("staff_id").into(),
                    name: get("name").into(),
                    photo: opt(get("photo")),
                    email: get("email").into(),
                    phone: get("phone").into(),
                    role: get("role").into(),
                    team: get("team").into(),
                    status,
                })
            }),
            RecordKind::Employees => status(
                get("status"),
                EmployeeStatus::parse,
                EmployeeStatus::Active,
                "active, departed",
            )
            .map(|status| {
                Record::Employee(Employee {
                    id: get("id").into(),
                    name: get("name").into(),
                    email: get("email").into(),
                    phone: opt(get("phone")),
                    manager: opt(get("manager")),
                    status,
                })
            }),
        };
        match item {
            Ok(item) => out.push(ImportRecord {
                line,
                record: None,
                item,
            }),
            Err((field, message)) => issues.push(ImportIssue {
                field: Some(field.to_owned()),
                ..issue(line, message)
            }),
        }
    }
    Ok((out, issues))
}

/// Writes one record kind of a snapshot as CSV, in the columns import reads.
pub fn export_csv(snapshot: &DirectorySnapshot, kind: RecordKind) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<Vec<String>> = Vec::new();
    match kind {
        RecordKind::Vendors => {
            for v in &snapshot.vendors {
                rows.push(vec![
                    v.id.clone(),
                    v.name.clone(),
                    v.domains.join(";"),
                    v.relationship_manager.clone(),
                    v.privileged.to_string(),
                    v.status.to_string(),
                ]);
            }
        }
        RecordKind::Contacts => {
            for c in &snapshot.contacts {
                rows.push(vec![
                    c.vendor.clone(),
                    c.name.clone(),
                    c.email.clone(),
                    c.phones.join(";"),
                    c.role.clone(),
                    c.status.to_string(),
                ]);
            }
        }
        RecordKind::Staff => {
            for s in &snapshot.staff {
                rows.push(vec![
                    s.staff_id.clone(),
                    s.name.clone(),
                    s.email.clone(),
                    s.phone.clone(),
                    s.role.clone(),
                    s.photo.clone().unwrap_or_default(),
                    s.team.clone(),
                    s.status.to_string(),
                ]);
            }
        }
        RecordKind::Employees => {
            for e in &snapshot.employees {
                rows.push(vec![
                    e.id.clone(),
                    e.name.clone(),
                    e.email.clone(),
                    e.phone.clone().unwrap_or_default(),
                    e.manager.clone().unwrap_or_default(),
                    e.status.to_string(),
                ]);
            }
        }
    }
    // Writing to a Vec cannot fail.
    let _ = w.write_record(kind.columns());
    for r in rows {
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn problems_name_the_line_and_field_whatever_the_line_ends() {
        for nl in ["\n", "\r\n"] {
            let text = [
                "vendor,name,email,phones,role,status",
                "acme,Ann,ann@acme.example,+15550100200,support,active",
                "acme,Bob,bob@acme.example,+15550100201,support,gone",
                "",
            ]
            .join(nl);
            let (records, issues) = read_csv(RecordKind::Contacts, &text).unwrap();
            assert_eq!(records.len(), 1);
            assert_eq!(records[0].line, Some(2), "{nl:?}");
            assert_eq!(issues.len(), 1);
            assert_eq!(issues[0].line, Some(3), "{nl:?}");
            assert_eq!(issues[0].field.as_deref(), Some("status"));
            assert!(
                issues[0]
                    .to_string()
                    .starts_with("line 3, field status: status \"gone\"")
            );
        }
    }
}
