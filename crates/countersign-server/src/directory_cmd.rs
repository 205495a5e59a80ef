//! `countersign directory`: the verified directory from the command line.
//!
//! The acting person is given by `--actor` (or `COUNTERSIGN_ACTOR`) and must
//! be an active staff member or employee in the directory; their role there
//! decides what they may do. This CLI runs on a server with database access,
//! so it trusts the operator's claim of identity; the console and API
//! authenticate people (with MFA) before acting for them.

use crate::db_cmd::{self, fmt_time, print_table};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use countersign_directory::{
    Change, ChangeRequest, Clock, Contact, ContactStatus, Directory, DirectorySnapshot, Employee,
    EmployeeStatus, Forwarder, ImportFormat, Organisation, RecordKind, RequestStatus, Staff,
    StaffStatus, StatusOutcome, StatusTarget, SystemClock, Vendor, VendorKey, VendorStatus,
    export_csv, parse_import,
};
use countersign_store::Store;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `countersign directory`.
#[derive(Debug, Args)]
pub struct DirectoryArgs {
    /// Who is acting: a staff ID or employee ID in the directory.
    #[arg(long, global = true, env = "COUNTERSIGN_ACTOR")]
    actor: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// The installation's audit signing key (created on first use, mode 0600).
    #[arg(long, global = true, env = "COUNTERSIGN_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Bootstrap: set the organisation and add one of the first two security
    /// administrators (refused once two exist).
    Init(InitArgs),
    /// Request a new record (takes effect after approval).
    #[command(subcommand)]
    Add(AddVerb),
    /// Request a change to a record (takes effect after approval).
    #[command(subcommand)]
    Request(RequestVerb),
    /// Approve a pending change request (not your own).
    Approve {
        /// Change request number.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Reject (or, as its author, withdraw) a pending change request.
    Reject {
        /// Change request number.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Set a status. Anything but `active` applies at once; `active` is a request.
    SetStatus {
        /// Record kind.
        kind: StatusKind,
        /// Vendor ID, staff ID or employee ID; for contacts, `VENDOR/EMAIL`.
        key: String,
        /// New status.
        status: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Revoke a vendor key at once.
    RevokeKey {
        /// Key ID.
        key_id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Stop trusting a forwarder's ARC seals at once.
    RemoveForwarder {
        /// Sealing domain.
        domain: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Record a review of a vendor's record.
    Review {
        /// Vendor ID.
        vendor: String,
        /// What was checked.
        #[arg(long)]
        notes: String,
    },
    /// List vendors whose review is overdue (they are not trusted). Exits 1 if any.
    Overdue,
    /// The numbers a callback to this vendor may use, or why none may.
    CallbackNumbers {
        /// Vendor ID.
        vendor: String,
    },
    /// List records.
    List {
        /// What to list.
        what: ListKind,
        /// Only this vendor's contacts or keys.
        #[arg(long)]
        vendor: Option<String>,
        /// For requests: only this status (pending, approved, rejected).
        #[arg(long)]
        status: Option<String>,
    },
    /// Show one record.
    Show {
        /// Record kind.
        what: ShowKind,
        /// Its key (vendor ID, staff ID, employee ID or request number).
        key: String,
    },
    /// Import records as one change request (never a silent overwrite).
    Import {
        /// File format.
        #[arg(long, value_enum)]
        format: FileFormat,
        /// Record kind, for CSV.
        #[arg(long, value_enum)]
        kind: Option<CsvKind>,
        /// Why.
        #[arg(long, default_value = "bulk import")]
        reason: String,
        /// The file (`-` for standard input).
        file: PathBuf,
    },
    /// Export the directory: JSON is the whole snapshot, CSV one record kind.
    Export {
        /// File format.
        #[arg(long, value_enum)]
        format: FileFormat,
        /// Record kind, for CSV.
        #[arg(long, value_enum)]
        kind: Option<CsvKind>,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct InitArgs {
    /// Organisation name (sets the organisation when given).
    #[arg(long)]
    org_name: Option<String>,
    /// Organisation domain (repeatable).
    #[arg(long = "org-domain")]
    org_domains: Vec<String>,
    /// Days between vendor reviews.
    #[arg(long, default_value_t = countersign_directory::DEFAULT_REVIEW_INTERVAL_DAYS)]
    review_days: u32,
    /// The administrator's staff ID.
    #[arg(long)]
    staff_id: String,
    /// Name.
    #[arg(long)]
    name: String,
    /// Email.
    #[arg(long)]
    email: String,
    /// Phone (international form).
    #[arg(long)]
    phone: String,
    /// Team.
    #[arg(long, default_value = "Security")]
    team: String,
    /// Photo URL or path.
    #[arg(long)]
    photo: Option<String>,
}

#[derive(Debug, Subcommand)]
enum AddVerb {
    /// Enrol a vendor.
    Vendor {
        /// Vendor ID.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Domain (repeatable).
        #[arg(long = "domain", required = true)]
        domains: Vec<String>,
        /// Privileged access.
        #[arg(long)]
        privileged: bool,
        /// Relationship manager (staff or employee ID).
        #[arg(long)]
        relationship_manager: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Add a vendor contact.
    Contact {
        /// Vendor ID.
        #[arg(long)]
        vendor: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Email.
        #[arg(long)]
        email: String,
        /// Phone (repeatable, international form).
        #[arg(long = "phone", required = true)]
        phones: Vec<String>,
        /// Role at the vendor.
        #[arg(long, default_value = "")]
        role: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Add a member of IT staff.
    Staff {
        /// Staff ID.
        #[arg(long)]
        staff_id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Email.
        #[arg(long)]
        email: String,
        /// Phone.
        #[arg(long)]
        phone: String,
        /// Role (`security-admin` administers the directory).
        #[arg(long)]
        role: String,
        /// Team.
        #[arg(long, default_value = "")]
        team: String,
        /// Photo URL or path.
        #[arg(long)]
        photo: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Add an employee.
    Employee {
        /// Employee ID.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Email.
        #[arg(long)]
        email: String,
        /// Phone.
        #[arg(long)]
        phone: Option<String>,
        /// Manager's employee ID.
        #[arg(long)]
        manager: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Enrol a vendor's Ed25519 signing key.
    Key {
        /// Vendor ID.
        #[arg(long)]
        vendor: String,
        /// Raw 32-byte public key, base64.
        #[arg(long)]
        public_key: String,
        /// Valid from (RFC 3339); default now.
        #[arg(long)]
        not_before: Option<String>,
        /// Valid until (RFC 3339).
        #[arg(long)]
        not_after: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Trust a forwarder's ARC seals.
    Forwarder {
        /// Sealing domain.
        #[arg(long)]
        domain: String,
        /// What it is.
        #[arg(long, default_value = "")]
        description: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum RequestVerb {
    /// Change a vendor contact (name, email, phones, role).
    Contact {
        /// Vendor ID.
        #[arg(long)]
        vendor: String,
        /// The contact's current email.
        #[arg(long)]
        email: String,
        /// New email.
        #[arg(long)]
        new_email: Option<String>,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New phones (repeatable; replaces all).
        #[arg(long = "phone")]
        phones: Vec<String>,
        /// New role.
        #[arg(long)]
        role: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Change a vendor (name, domains, privileged flag, relationship manager).
    Vendor {
        /// Vendor ID.
        #[arg(long)]
        id: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New domains (repeatable; replaces all).
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// New privileged flag.
        #[arg(long)]
        privileged: Option<bool>,
        /// New relationship manager.
        #[arg(long)]
        relationship_manager: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Change a member of IT staff.
    Staff {
        /// Staff ID.
        #[arg(long)]
        staff_id: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New email.
        #[arg(long)]
        email: Option<String>,
        /// New phone.
        #[arg(long)]
        phone: Option<String>,
        /// New role.
        #[arg(long)]
        role: Option<String>,
        /// New team.
        #[arg(long)]
        team: Option<String>,
        /// New photo.
        #[arg(long)]
        photo: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Change an employee.
    Employee {
        /// Employee ID.
        #[arg(long)]
        id: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New email.
        #[arg(long)]
        email: Option<String>,
        /// New phone.
        #[arg(long)]
        phone: Option<String>,
        /// New manager.
        #[arg(long)]
        manager: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StatusKind {
    Vendor,
    Contact,
    Staff,
    Employee,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListKind {
    Vendors,
    Contacts,
    Staff,
    Employees,
    Keys,
    Forwarders,
    Requests,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ShowKind {
    Vendor,
    Staff,
    Employee,
    Request,
    Organisation,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FileFormat {
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CsvKind {
    Vendors,
    Contacts,
    Staff,
    Employees,
}

impl From<CsvKind> for RecordKind {
    fn from(k: CsvKind) -> Self {
        match k {
            CsvKind::Vendors => RecordKind::Vendors,
            CsvKind::Contacts => RecordKind::Contacts,
            CsvKind::Staff => RecordKind::Staff,
            CsvKind::Employees => RecordKind::Employees,
        }
    }
}

impl DirectoryArgs {
    /// Fills what the command line left open from the configuration file.
    pub(crate) fn apply_config(&mut self, config: &crate::config::Config) {
        self.audit_key = self.audit_key.take().or(config.audit_key.clone());
    }
}

/// Runs `countersign directory` against the database at `db`.
pub fn run(db: &str, args: DirectoryArgs) -> Result<ExitCode> {
    let key_path = args
        .audit_key
        .clone()
        .unwrap_or_else(|| db_cmd::default_key_path(db));
    db_cmd::runtime()?.block_on(async {
        let key = db_cmd::signing_key(&key_path)?;
        let store = db_cmd::open(db, Some(key.clone())).await?;
        let out = Cmd {
            store: &store,
            clock: SystemClock,
            args: &args,
        }
        .run()
        .await;
        // Seal what this command wrote, even if it then failed part-way.
        store
            .checkpoint(&key, SystemClock.now())
            .await
            .context("signing an audit checkpoint")?;
        store.close().await;
        out
    })
}

struct Cmd<'a> {
    store: &'a Store,
    clock: SystemClock,
    args: &'a DirectoryArgs,
}

fn parse_time(field: &str, text: &str) -> Result<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("{field}: expected RFC 3339 time such as 2025-01-31T00:00:00Z"))
}

impl Cmd<'_> {
    fn dir(&self) -> Directory<'_> {
        Directory::new(self.store, &self.clock)
    }

    fn actor(&self) -> Result<&str> {
        self.args
            .actor
            .as_deref()
            .context("this verb needs --actor ID (or COUNTERSIGN_ACTOR): who is acting")
    }

    fn print<T: serde::Serialize>(&self, value: &T, table: impl FnOnce()) -> Result<()> {
        if self.args.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            table();
        }
        Ok(())
    }

    async fn submit(&self, changes: Vec<Change>, reason: &str) -> Result<ExitCode> {
        let id = self
            .dir()
            .request(self.actor()?, changes, reason, "cli")
            .await?;
        self.print(&serde_json::json!({ "change_request": id, "status": "pending" }), || {
            println!("change request {id} opened; it takes effect once another authorised person approves it");
        })?;
        Ok(ExitCode::SUCCESS)
    }

    async fn snapshot(&self) -> Result<DirectorySnapshot> {
        Ok(self.dir().snapshot().await?)
    }

    async fn run(&self) -> Result<ExitCode> {
        match &self.args.verb {
            Verb::Init(a) => {
                let org = a.org_name.as_ref().map(|name| Organisation {
                    name: name.clone(),
                    domains: a.org_domains.clone(),
                    review_interval_days: a.review_days,
                });
                let staff = Staff {
                    staff_id: a.staff_id.clone(),
                    name: a.name.clone(),
                    photo: a.photo.clone(),
                    email: a.email.clone(),
                    phone: a.phone.clone(),
                    role: countersign_directory::SECURITY_ADMIN_ROLE.into(),
                    team: a.team.clone(),
                    status: StaffStatus::Active,
                };
                self.dir().bootstrap(org, staff).await?;
                println!("security administrator {} added", a.staff_id);
                Ok(ExitCode::SUCCESS)
            }
            Verb::Add(add) => self.add(add).await,
            Verb::Request(req) => self.request(req).await,
            Verb::Approve { id, reason } => {
                let req = self.dir().approve(self.actor()?, *id, reason).await?;
                self.print(&req, || {
                    println!(
                        "change request {id} approved: {} change(s) applied",
                        req.changes.len()
                    )
                })?;
                Ok(ExitCode::SUCCESS)
            }
            Verb::Reject { id, reason } => {
                let req = self.dir().reject(self.actor()?, *id, reason).await?;
                self.print(&req, || println!("change request {id} rejected"))?;
                Ok(ExitCode::SUCCESS)
            }
            Verb::SetStatus {
                kind,
                key,
                status,
                reason,
            } => {
                let bad = || anyhow::anyhow!("unknown status {status:?} for {kind:?}");
                let target = match kind {
                    StatusKind::Vendor => StatusTarget::Vendor {
                        id: key.clone(),
                        status: VendorStatus::parse(status).ok_or_else(bad)?,
                    },
                    StatusKind::Staff => StatusTarget::Staff {
                        id: key.clone(),
                        status: StaffStatus::parse(status).ok_or_else(bad)?,
                    },
                    StatusKind::Employee => StatusTarget::Employee {
                        id: key.clone(),
                        status: EmployeeStatus::parse(status).ok_or_else(bad)?,
                    },
                    StatusKind::Contact => {
                        let (vendor, email) = key
                            .split_once('/')
                            .context("contacts are named VENDOR/EMAIL")?;
                        StatusTarget::Contact {
                            vendor: vendor.into(),
                            email: email.into(),
                            status: ContactStatus::parse(status).ok_or_else(bad)?,
                        }
                    }
                };
                match self.dir().set_status(self.actor()?, target, reason).await? {
                    StatusOutcome::Applied => println!("status set to {status}"),
                    StatusOutcome::Requested(id) => {
                        println!("restoring trust needs approval: change request {id} opened")
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Verb::RevokeKey { key_id, reason } => {
                self.dir().revoke_key(self.actor()?, key_id, reason).await?;
                println!("key {key_id} revoked");
                Ok(ExitCode::SUCCESS)
            }
            Verb::RemoveForwarder { domain, reason } => {
                self.dir()
                    .remove_forwarder(self.actor()?, domain, reason)
                    .await?;
                println!("forwarder {domain} removed");
                Ok(ExitCode::SUCCESS)
            }
            Verb::Review { vendor, notes } => {
                let v = self
                    .dir()
                    .record_review(self.actor()?, vendor, notes)
                    .await?;
                self.print(&v, || {
                    println!(
                        "vendor {vendor} reviewed; next review due {}",
                        fmt_time(v.review_due)
                    )
                })?;
                Ok(ExitCode::SUCCESS)
            }
            Verb::Overdue => {
                let overdue = self.dir().overdue().await?;
                self.print(&overdue, || {
                    if overdue.is_empty() {
                        println!("no vendor review is overdue");
                    } else {
                        print_vendors(&overdue.iter().collect::<Vec<_>>());
                    }
                })?;
                Ok(if overdue.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            Verb::CallbackNumbers { vendor } => {
                let numbers = self.dir().verified_callback_numbers(vendor).await?;
                self.print(&numbers, || {
                    let rows: Vec<Vec<String>> = numbers
                        .iter()
                        .map(|n| vec![n.phone.clone(), n.contact.clone(), n.email.clone()])
                        .collect();
                    print_table(&["phone", "contact", "email"], &rows);
                })?;
                Ok(ExitCode::SUCCESS)
            }
            Verb::List {
                what,
                vendor,
                status,
            } => self.list(*what, vendor.as_deref(), status.as_deref()).await,
            Verb::Show { what, key } => self.show(*what, key).await,
            Verb::Import {
                format,
                kind,
                reason,
                file,
            } => self.import(*format, *kind, reason, file).await,
            Verb::Export {
                format,
                kind,
                output,
            } => {
                let snap = self.snapshot().await?;
                let text = match format {
                    FileFormat::Json => snap.to_json() + "\n",
                    FileFormat::Csv => {
                        export_csv(&snap, kind.context("CSV export needs --kind")?.into())
                    }
                };
                match output {
                    Some(path) => std::fs::write(path, text)
                        .with_context(|| format!("writing {}", path.display()))?,
                    None => print!("{text}"),
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }

    async fn add(&self, add: &AddVerb) -> Result<ExitCode> {
        let (change, reason) = match add {
            AddVerb::Vendor {
                id,
                name,
                domains,
                privileged,
                relationship_manager,
                reason,
            } => (
                Change::AddVendor {
                    vendor: Vendor {
                        id: id.clone(),
                        name: name.clone(),
                        domains: domains.clone(),
                        privileged: *privileged,
                        relationship_manager: relationship_manager.clone(),
                        status: VendorStatus::Active,
                        last_reviewed_at: None,
                        review_due: None,
                    },
                },
                reason,
            ),
            AddVerb::Contact {
                vendor,
                name,
                email,
                phones,
                role,
                reason,
            } => (
                Change::AddContact {
                    contact: Contact {
                        vendor: vendor.clone(),
                        name: name.clone(),
                        email: email.clone(),
                        phones: phones.clone(),
                        role: role.clone(),
                        status: ContactStatus::Active,
                    },
                },
                reason,
            ),
            AddVerb::Staff {
                staff_id,
                name,
                email,
                phone,
                role,
                team,
                photo,
                reason,
            } => (
                Change::AddStaff {
                    staff: Staff {
                        staff_id: staff_id.clone(),
                        name: name.clone(),
                        photo: photo.clone(),
                        email: email.clone(),
                        phone: phone.clone(),
                        role: role.clone(),
                        team: team.clone(),
                        status: StaffStatus::Active,
                    },
                },
                reason,
            ),
            AddVerb::Employee {
                id,
                name,
                email,
                phone,
                manager,
                reason,
            } => (
                Change::AddEmployee {
                    employee: Employee {
                        id: id.clone(),
                        name: name.clone(),
                        email: email.clone(),
                        phone: phone.clone(),
                        manager: manager.clone(),
                        status: EmployeeStatus::Active,
                    },
                },
                reason,
            ),
            AddVerb::Key {
                vendor,
                public_key,
                not_before,
                not_after,
                reason,
            } => (
                Change::AddKey {
                    key: VendorKey {
                        key_id: String::new(),
                        vendor: vendor.clone(),
                        public_key: public_key.clone(),
                        not_before: match not_before {
                            Some(t) => parse_time("--not-before", t)?,
                            None => self.clock.now(),
                        },
                        not_after: not_after
                            .as_deref()
                            .map(|t| parse_time("--not-after", t))
                            .transpose()?,
                        revoked_at: None,
                        revoked_reason: None,
                    },
                },
                reason,
            ),
            AddVerb::Forwarder {
                domain,
                description,
                reason,
            } => (
                Change::AddForwarder {
                    forwarder: Forwarder {
                        domain: domain.clone(),
                        description: description.clone(),
                    },
                },
                reason,
            ),
        };
        self.submit(vec![change], reason).await
    }

    async fn request(&self, req: &RequestVerb) -> Result<ExitCode> {
        let snap = self.snapshot().await?;
        let (change, reason) = match req {
            RequestVerb::Contact {
                vendor,
                email,
                new_email,
                name,
                phones,
                role,
                reason,
            } => {
                let key = email.trim().to_ascii_lowercase();
                let mut c = snap
                    .contacts
                    .iter()
                    .find(|c| c.vendor == *vendor && c.email == key)
                    .cloned()
                    .with_context(|| format!("unknown contact {vendor}/{email}"))?;
                if let Some(e) = new_email {
                    c.email = e.clone();
                }
                if let Some(n) = name {
                    c.name = n.clone();
                }
                if !phones.is_empty() {
                    c.phones = phones.clone();
                }
                if let Some(r) = role {
                    c.role = r.clone();
                }
                (
                    Change::UpdateContact {
                        email: key,
                        contact: c,
                    },
                    reason,
                )
            }
            RequestVerb::Vendor {
                id,
                name,
                domains,
                privileged,
                relationship_manager,
                reason,
            } => {
                let mut v = snap
                    .vendor(id)
                    .cloned()
                    .with_context(|| format!("unknown vendor {id:?}"))?;
                if let Some(n) = name {
                    v.name = n.clone();
                }
                if !domains.is_empty() {
                    v.domains = domains.clone();
                }
                if let Some(p) = privileged {
                    v.privileged = *p;
                }
                if let Some(rm) = relationship_manager {
                    v.relationship_manager = rm.clone();
                }
                (Change::UpdateVendor { vendor: v }, reason)
            }
            RequestVerb::Staff {
                staff_id,
                name,
                email,
                phone,
                role,
                team,
                photo,
                reason,
            } => {
                let mut s = snap
                    .staff
                    .iter()
                    .find(|s| s.staff_id == *staff_id)
                    .cloned()
                    .with_context(|| format!("unknown staff ID {staff_id:?}"))?;
                for (field, value) in [
                    (&mut s.name, name),
                    (&mut s.email, email),
                    (&mut s.phone, phone),
                    (&mut s.role, role),
                    (&mut s.team, team),
                ] {
                    if let Some(v) = value {
                        *field = v.clone();
                    }
                }
                if let Some(p) = photo {
                    s.photo = Some(p.clone());
                }
                (Change::UpdateStaff { staff: s }, reason)
            }
            RequestVerb::Employee {
                id,
                name,
                email,
                phone,
                manager,
                reason,
            } => {
                let mut e = snap
                    .employees
                    .iter()
                    .find(|e| e.id == *id)
                    .cloned()
                    .with_context(|| format!("unknown employee ID {id:?}"))?;
                if let Some(n) = name {
                    e.name = n.clone();
                }
                if let Some(v) = email {
                    e.email = v.clone();
                }
                if phone.is_some() {
                    e.phone = phone.clone();
                }
                if manager.is_some() {
                    e.manager = manager.clone();
                }
                (Change::UpdateEmployee { employee: e }, reason)
            }
        };
        self.submit(vec![change], reason).await
    }

    async fn list(
        &self,
        what: ListKind,
        vendor: Option<&str>,
        status: Option<&str>,
    ) -> Result<ExitCode> {
        if let ListKind::Requests = what {
            let status = match status {
                None | Some("all") => None,
                Some(s) => Some(
                    RequestStatus::parse(s)
                        .with_context(|| format!("unknown request status {s:?}"))?,
                ),
            };
            let reqs = countersign_directory::DirectoryStore::requests(self.store, status).await?;
            self.print(&reqs, || print_requests(&reqs))?;
            return Ok(ExitCode::SUCCESS);
        }
        let snap = self.snapshot().await?;
        let keep = |v: &str| vendor.is_none_or(|w| w == v);
        match what {
            ListKind::Vendors => self.print(&snap.vendors, || {
                print_vendors(&snap.vendors.iter().collect::<Vec<_>>())
            })?,
            ListKind::Contacts => {
                let cs: Vec<&Contact> = snap.contacts.iter().filter(|c| keep(&c.vendor)).collect();
                self.print(&cs, || {
                    let rows: Vec<Vec<String>> = cs
                        .iter()
                        .map(|c| {
                            vec![
                                c.vendor.clone(),
                                c.email.clone(),
                                c.name.clone(),
                                c.phones.join(" "),
                                c.role.clone(),
                                c.status.to_string(),
                            ]
                        })
                        .collect();
                    print_table(
                        &["vendor", "email", "name", "phones", "role", "status"],
                        &rows,
                    );
                })?
            }
            ListKind::Staff => self.print(&snap.staff, || {
                let rows: Vec<Vec<String>> = snap
                    .staff
                    .iter()
                    .map(|s| {
                        vec![
                            s.staff_id.clone(),
                            s.name.clone(),
                            s.email.clone(),
                            s.phone.clone(),
                            s.role.clone(),
                            s.team.clone(),
                            s.status.to_string(),
                            s.photo.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "staff id", "name", "email", "phone", "role", "team", "status", "photo",
                    ],
                    &rows,
                );
            })?,
            ListKind::Employees => self.print(&snap.employees, || {
                let rows: Vec<Vec<String>> = snap
                    .employees
                    .iter()
                    .map(|e| {
                        vec![
                            e.id.clone(),
                            e.name.clone(),
                            e.email.clone(),
                            e.phone.clone().unwrap_or_default(),
                            e.manager.clone().unwrap_or_default(),
                            e.status.to_string(),
                        ]
                    })
                    .collect();
                print_table(
                    &["id", "name", "email", "phone", "manager", "status"],
                    &rows,
                );
            })?,
            ListKind::Keys => {
                let ks: Vec<&VendorKey> = snap.keys.iter().filter(|k| keep(&k.vendor)).collect();
                self.print(&ks, || {
                    let rows: Vec<Vec<String>> = ks
                        .iter()
                        .map(|k| {
                            vec![
                                k.key_id.clone(),
                                k.vendor.clone(),
                                fmt_time(Some(k.not_before)),
                                fmt_time(k.not_after),
                                fmt_time(k.revoked_at),
                            ]
                        })
                        .collect();
                    print_table(
                        &["key id", "vendor", "not before", "not after", "revoked"],
                        &rows,
                    );
                })?
            }
            ListKind::Forwarders => self.print(&snap.forwarders, || {
                let rows: Vec<Vec<String>> = snap
                    .forwarders
                    .iter()
                    .map(|f| vec![f.domain.clone(), f.description.clone()])
                    .collect();
                print_table(&["domain", "description"], &rows);
            })?,
            ListKind::Requests => unreachable!("handled above"),
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn show(&self, what: ShowKind, key: &str) -> Result<ExitCode> {
        let value = match what {
            ShowKind::Request => {
                let id: i64 = key
                    .parse()
                    .context("a change request is named by its number")?;
                let req = countersign_directory::DirectoryStore::request(self.store, id)
                    .await?
                    .with_context(|| format!("unknown change request {id}"))?;
                serde_json::to_value(req)?
            }
            ShowKind::Vendor => {
                let snap = self.snapshot().await?;
                let v = snap
                    .vendor(key)
                    .with_context(|| format!("unknown vendor {key:?}"))?;
                let contacts: Vec<&Contact> =
                    snap.contacts.iter().filter(|c| c.vendor == key).collect();
                let keys: Vec<&VendorKey> = snap.keys.iter().filter(|k| k.vendor == key).collect();
                let trust = match snap.verified_callback_numbers(key, self.clock.now()) {
                    Ok(_) => "trusted".to_owned(),
                    Err(e) => e.to_string(),
                };
                serde_json::json!({ "vendor": v, "trust": trust, "contacts": contacts, "keys": keys })
            }
            ShowKind::Staff => {
                let snap = self.snapshot().await?;
                serde_json::to_value(
                    snap.staff
                        .iter()
                        .find(|s| s.staff_id == key)
                        .with_context(|| format!("unknown staff ID {key:?}"))?,
                )?
            }
            ShowKind::Employee => {
                let snap = self.snapshot().await?;
                serde_json::to_value(
                    snap.employees
                        .iter()
                        .find(|e| e.id == key)
                        .with_context(|| format!("unknown employee ID {key:?}"))?,
                )?
            }
            ShowKind::Organisation => serde_json::to_value(&self.snapshot().await?.organisation)?,
        };
        // One record reads best as indented JSON in either mode.
        println!("{}", serde_json::to_string_pretty(&value)?);
        Ok(ExitCode::SUCCESS)
    }

    async fn import(
        &self,
        format: FileFormat,
        kind: Option<CsvKind>,
        reason: &str,
        file: &PathBuf,
    ) -> Result<ExitCode> {
        let actor = self.actor()?;
        let text = if file.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).context("reading standard input")?
        } else {
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
        };
        let format = match format {
            FileFormat::Csv => ImportFormat::Csv,
            FileFormat::Json => ImportFormat::Json,
        };
        let records = parse_import(format, kind.map(Into::into), &text)?;
        let bar = indicatif::ProgressBar::new(records.len() as u64);
        if std::io::stderr().is_terminal() && !self.args.json {
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message("checking");
        } else {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let source = format!("import:{}", file.display());
        let n = records.len();
        let outcome = self
            .dir()
            .import(actor, records, reason, &source, &|i| bar.set_position(i))
            .await;
        bar.finish_and_clear();
        match outcome? {
            None => {
                self.print(
                    &serde_json::json!({ "change_request": null, "records": n }),
                    || println!("nothing to import: all {n} record(s) already match the directory"),
                )?;
            }
            Some(id) => {
                let req = countersign_directory::DirectoryStore::request(self.store, id)
                    .await?
                    .context("request vanished")?;
                self.print(&serde_json::json!({ "change_request": id, "records": n, "changes": req.changes.len() }), || {
                    println!("{n} record(s) checked; change request {id} opened with {} change(s), pending approval", req.changes.len())
                })?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn print_vendors(vs: &[&Vendor]) {
    let rows: Vec<Vec<String>> = vs
        .iter()
        .map(|v| {
            vec![
                v.id.clone(),
                v.name.clone(),
                v.domains.join(" "),
                if v.privileged {
                    "yes".into()
                } else {
                    "no".into()
                },
                v.relationship_manager.clone(),
                v.status.to_string(),
                fmt_time(v.last_reviewed_at),
                fmt_time(v.review_due),
            ]
        })
        .collect();
    print_table(
        &[
            "id",
            "name",
            "domains",
            "privileged",
            "manager",
            "status",
            "last reviewed",
            "review due",
        ],
        &rows,
    );
}

fn print_requests(reqs: &[ChangeRequest]) {
    let rows: Vec<Vec<String>> = reqs
        .iter()
        .map(|r| {
            let what = match r.changes.as_slice() {
                [one] => one.subject(),
                many => format!("{} changes", many.len()),
            };
            vec![
                r.id.to_string(),
                r.status.to_string(),
                r.author.clone(),
                r.decided_by.clone().unwrap_or_default(),
                what,
                r.reason.clone(),
            ]
        })
        .collect();
    print_table(
        &["id", "status", "author", "decided by", "changes", "reason"],
        &rows,
    );
}

/// Refuses an empty database location early with a usable message.
pub fn check_db(db: &str) -> Result<()> {
    if db.trim().is_empty() {
        bail!("--db is empty: give a SQLite file path or a postgres:// URL");
    }
    Ok(())
}
