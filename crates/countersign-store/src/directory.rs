//! [`DirectoryStore`] over SQL: live records, change requests, and commits
//! that write records, decisions and audit entries in one transaction.

use crate::audit::append_in_tx;
use crate::backend::{Store, with_db};
use crate::error::{StoreError, q};
use crate::rows::{RowExt, json_list, ms, time_from_ms, to_json_list};
use countersign_audit::AuditEvent;
use countersign_directory::{
    Change, ChangeRequest, Commit, Contact, ContactStatus, DirectoryError, DirectorySnapshot,
    DirectoryStore, Employee, EmployeeStatus, Forwarder, NewChangeRequest, Op, Organisation,
    RequestStatus, Staff, StaffStatus, Vendor, VendorKey, VendorStatus,
};

fn corrupt(table: &'static str, reason: String) -> StoreError {
    StoreError::Corrupt { table, reason }
}

fn status<T>(
    table: &'static str,
    text: String,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(&text).ok_or_else(|| corrupt(table, format!("unknown status {text:?}")))
}

fn opt_time(
    table: &'static str,
    v: Option<i64>,
) -> Result<Option<time::OffsetDateTime>, StoreError> {
    v.map(|m| time_from_ms(table, m)).transpose()
}

fn org_from<R: RowExt>(r: &R) -> Result<Organisation, StoreError> {
    let m = || q("read organisation");
    Ok(Organisation {
        name: r.text("name").map_err(m())?,
        domains: json_list("organisation", &r.text("domains").map_err(m())?)?,
        review_interval_days: r.int("review_interval_days").map_err(m())? as u32,
    })
}

fn vendor_from<R: RowExt>(r: &R) -> Result<Vendor, StoreError> {
    let m = || q("read vendor");
    Ok(Vendor {
        id: r.text("id").map_err(m())?,
        name: r.text("name").map_err(m())?,
        domains: json_list("vendors", &r.text("domains").map_err(m())?)?,
        privileged: r.int("privileged").map_err(m())? != 0,
        relationship_manager: r.text("relationship_manager").map_err(m())?,
        status: status(
            "vendors",
            r.text("status").map_err(m())?,
            VendorStatus::parse,
        )?,
        last_reviewed_at: opt_time("vendors", r.opt_int("last_reviewed_at").map_err(m())?)?,
        review_due: opt_time("vendors", r.opt_int("review_due").map_err(m())?)?,
    })
}

fn contact_from<R: RowExt>(r: &R) -> Result<Contact, StoreError> {
    let m = || q("read contact");
    Ok(Contact {
        vendor: r.text("vendor_id").map_err(m())?,
        name: r.text("name").map_err(m())?,
        email: r.text("email").map_err(m())?,
        phones: json_list("vendor_contacts", &r.text("phones").map_err(m())?)?,
        role: r.text("role").map_err(m())?,
        status: status(
            "vendor_contacts",
            r.text("status").map_err(m())?,
            ContactStatus::parse,
        )?,
    })
}

fn staff_from<R: RowExt>(r: &R) -> Result<Staff, StoreError> {
    let m = || q("read staff");
    Ok(Staff {
        staff_id: r.text("staff_id").map_err(m())?,
        name: r.text("name").map_err(m())?,
        photo: r.opt_text("photo").map_err(m())?,
        email: r.text("email").map_err(m())?,
        phone: r.text("phone").map_err(m())?,
        role: r.text("role").map_err(m())?,
        team: r.text("team").map_err(m())?,
        status: status("staff", r.text("status").map_err(m())?, StaffStatus::parse)?,
    })
}

fn employee_from<R: RowExt>(r: &R) -> Result<Employee, StoreError> {
    let m = || q("read employee");
    Ok(Employee {
        id: r.text("id").map_err(m())?,
        name: r.text("name").map_err(m())?,
        email: r.text("email").map_err(m())?,
        phone: r.opt_text("phone").map_err(m())?,
        manager: r.opt_text("manager").map_err(m())?,
        status: status(
            "employees",
            r.text("status").map_err(m())?,
            EmployeeStatus::parse,
        )?,
    })
}

fn key_from<R: RowExt>(r: &R) -> Result<VendorKey, StoreError> {
    let m = || q("read vendor key");
    Ok(VendorKey {
        key_id: r.text("key_id").map_err(m())?,
        vendor: r.text("vendor_id").map_err(m())?,
        public_key: r.text("public_key").map_err(m())?,
        not_before: time_from_ms("vendor_keys", r.int("not_before").map_err(m())?)?,
        not_after: opt_time("vendor_keys", r.opt_int("not_after").map_err(m())?)?,
        revoked_at: opt_time("vendor_keys", r.opt_int("revoked_at").map_err(m())?)?,
        revoked_reason: r.opt_text("revoked_reason").map_err(m())?,
    })
}

fn forwarder_from<R: RowExt>(r: &R) -> Result<Forwarder, StoreError> {
    let m = || q("read forwarder");
    Ok(Forwarder {
        domain: r.text("domain").map_err(m())?,
        description: r.text("description").map_err(m())?,
    })
}

fn request_from<R: RowExt>(r: &R) -> Result<ChangeRequest, StoreError> {
    let m = || q("read change request");
    let changes: Vec<Change> = serde_json::from_str(&r.text("changes").map_err(m())?)
        .map_err(|e| corrupt("change_requests", e.to_string()))?;
    Ok(ChangeRequest {
        id: r.int("id").map_err(m())?,
        author: r.text("author").map_err(m())?,
        reason: r.text("reason").map_err(m())?,
        source: r.text("source").map_err(m())?,
        status: status(
            "change_requests",
            r.text("status").map_err(m())?,
            RequestStatus::parse,
        )?,
        created_at: time_from_ms("change_requests", r.int("created_at").map_err(m())?)?,
        decided_by: r.opt_text("decided_by").map_err(m())?,
        decided_at: opt_time("change_requests", r.opt_int("decided_at").map_err(m())?)?,
        decision_reason: r.opt_text("decision_reason").map_err(m())?,
        changes,
    })
}

const REQUEST_COLUMNS: &str = "id, author, reason, source, status, created_at, decided_by, decided_at, decision_reason, changes";

/// Loads a whole table through a row mapper.
macro_rules! load_all {
    ($exec:expr, $sql:expr, $map:ident) => {
        sqlx::query($sql)
            .fetch_all(&mut *$exec)
            .await
            .map_err(q("load directory"))?
            .iter()
            .map($map)
            .collect::<Result<Vec<_>, StoreError>>()?
    };
}

/// Applies one record operation inside the transaction `$tx`.
macro_rules! apply_op {
    ($tx:expr, $op:expr) => {
        match $op {
            Op::PutOrganisation(o) => {
                sqlx::query(
                    "INSERT INTO organisation (id, name, domains, review_interval_days) VALUES (1, $1, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, domains = excluded.domains, \
                     review_interval_days = excluded.review_interval_days",
                )
                .bind(o.name)
                .bind(to_json_list(&o.domains))
                .bind(i64::from(o.review_interval_days))
                .execute(&mut *$tx)
                .await
                .map_err(q("write organisation"))?;
            }
            Op::PutVendor(v) => {
                sqlx::query(
                    "INSERT INTO vendors (id, name, domains, privileged, relationship_manager, status, last_reviewed_at, review_due) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                     domains = excluded.domains, privileged = excluded.privileged, \
                     relationship_manager = excluded.relationship_manager, status = excluded.status, \
                     last_reviewed_at = excluded.last_reviewed_at, review_due = excluded.review_due",
                )
                .bind(v.id)
                .bind(v.name)
                .bind(to_json_list(&v.domains))
                .bind(i64::from(v.privileged))
                .bind(v.relationship_manager)
                .bind(v.status.as_str())
                .bind(v.last_reviewed_at.map(ms))
                .bind(v.review_due.map(ms))
                .execute(&mut *$tx)
                .await
                .map_err(q("write vendor"))?;
            }
            Op::PutContact(c) => {
                sqlx::query(
                    "INSERT INTO vendor_contacts (vendor_id, email, name, phones, role, status) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (vendor_id, email) DO UPDATE SET name = excluded.name, phones = excluded.phones, \
                     role = excluded.role, status = excluded.status",
                )
                .bind(c.vendor)
                .bind(c.email)
                .bind(c.name)
                .bind(to_json_list(&c.phones))
                .bind(c.role)
                .bind(c.status.as_str())
                .execute(&mut *$tx)
                .await
                .map_err(q("write contact"))?;
            }
            Op::DeleteContact { vendor, email } => {
                sqlx::query("DELETE FROM vendor_contacts WHERE vendor_id = $1 AND email = $2")
                    .bind(vendor)
                    .bind(email)
                    .execute(&mut *$tx)
                    .await
                    .map_err(q("delete contact"))?;
            }
            Op::PutStaff(s) => {
                sqlx::query(
                    "INSERT INTO staff (staff_id, name, photo, email, phone, role, team, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (staff_id) DO UPDATE SET name = excluded.name, photo = excluded.photo, email = excluded.email, \
                     phone = excluded.phone, role = excluded.role, team = excluded.team, status = excluded.status",
                )
                .bind(s.staff_id)
                .bind(s.name)
                .bind(s.photo)
                .bind(s.email)
                .bind(s.phone)
                .bind(s.role)
                .bind(s.team)
                .bind(s.status.as_str())
                .execute(&mut *$tx)
                .await
                .map_err(q("write staff"))?;
            }
            Op::PutEmployee(e) => {
                sqlx::query(
                    "INSERT INTO employees (id, name, email, phone, manager, status) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone, \
                     manager = excluded.manager, status = excluded.status",
                )
                .bind(e.id)
                .bind(e.name)
                .bind(e.email)
                .bind(e.phone)
                .bind(e.manager)
                .bind(e.status.as_str())
                .execute(&mut *$tx)
                .await
                .map_err(q("write employee"))?;
            }
            Op::PutKey(k) => {
                sqlx::query(
                    "INSERT INTO vendor_keys (key_id, vendor_id, public_key, not_before, not_after, revoked_at, revoked_reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key_id) DO UPDATE SET not_before = excluded.not_before, \
                     not_after = excluded.not_after, revoked_at = excluded.revoked_at, revoked_reason = excluded.revoked_reason",
                )
                .bind(k.key_id)
                .bind(k.vendor)
                .bind(k.public_key)
                .bind(ms(k.not_before))
                .bind(k.not_after.map(ms))
                .bind(k.revoked_at.map(ms))
                .bind(k.revoked_reason)
                .execute(&mut *$tx)
                .await
                .map_err(q("write vendor key"))?;
            }
            Op::PutForwarder(f) => {
                sqlx::query(
                    "INSERT INTO forwarders (domain, description) VALUES ($1, $2) \
                     ON CONFLICT (domain) DO UPDATE SET description = excluded.description",
                )
                .bind(f.domain)
                .bind(f.description)
                .execute(&mut *$tx)
                .await
                .map_err(q("write forwarder"))?;
            }
            Op::DeleteForwarder(domain) => {
                sqlx::query("DELETE FROM forwarders WHERE domain = $1")
                    .bind(domain)
                    .execute(&mut *$tx)
                    .await
                    .map_err(q("delete forwarder"))?;
            }
            other => {
                return Err(DirectoryError::Storage {
                    message: format!("operation not supported by this store: {other:?}"),
                })
            }
        }
    };
}

#[async_trait::async_trait]
impl DirectoryStore for Store {
    async fn load(&self) -> Result<(u64, DirectorySnapshot), DirectoryError> {
        let out: Result<(u64, DirectorySnapshot), StoreError> =
            with_db!(&self.db, |pool, _begin| {
                let mut conn = pool.acquire().await.map_err(q("connect"))?;
                // The revision first: a commit racing with the rest of this read
                // bumps it, and the caller's commit then fails and re-plans.
                let rev: i64 =
                    sqlx::query_scalar("SELECT revision FROM directory_meta WHERE id = 1")
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(q("read revision"))?;
                let org = load_all!(
                    conn,
                    "SELECT name, domains, review_interval_days FROM organisation",
                    org_from
                );
                let snap = DirectorySnapshot {
                    organisation: org.into_iter().next(),
                    vendors: load_all!(conn, "SELECT * FROM vendors ORDER BY id", vendor_from),
                    contacts: load_all!(
                        conn,
                        "SELECT * FROM vendor_contacts ORDER BY vendor_id, email",
                        contact_from
                    ),
                    staff: load_all!(conn, "SELECT * FROM staff ORDER BY staff_id", staff_from),
                    employees: load_all!(
                        conn,
                        "SELECT * FROM employees ORDER BY id",
                        employee_from
                    ),
                    keys: load_all!(conn, "SELECT * FROM vendor_keys ORDER BY key_id", key_from),
                    forwarders: load_all!(
                        conn,
                        "SELECT * FROM forwarders ORDER BY domain",
                        forwarder_from
                    ),
                    ..DirectorySnapshot::default()
                };
                Ok((rev as u64, snap))
            });
        let (rev, mut snap) = out?;
        snap.format = countersign_directory::snapshot::SNAPSHOT_FORMAT.to_owned();
        Ok((rev, snap))
    }

    async fn vendor_with_contacts(
        &self,
        vendor: &str,
    ) -> Result<Option<(Vendor, Vec<Contact>)>, DirectoryError> {
        let out: Result<_, StoreError> = with_db!(&self.db, |pool, _begin| {
            let mut conn = pool.acquire().await.map_err(q("connect"))?;
            let row = sqlx::query("SELECT * FROM vendors WHERE id = $1")
                .bind(vendor)
                .fetch_optional(&mut *conn)
                .await
                .map_err(q("read vendor"))?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let v = vendor_from(&row)?;
                    let contacts = sqlx::query(
                        "SELECT * FROM vendor_contacts WHERE vendor_id = $1 ORDER BY email",
                    )
                    .bind(vendor)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(q("read contacts"))?
                    .iter()
                    .map(contact_from)
                    .collect::<Result<Vec<_>, _>>()?;
                    Ok(Some((v, contacts)))
                }
            }
        });
        Ok(out?)
    }

    async fn commit(&self, commit: Commit) -> Result<(), DirectoryError> {
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            if let Some(rev) = commit.expected_revision {
                let n = sqlx::query("UPDATE directory_meta SET revision = revision + 1 WHERE id = 1 AND revision = $1")
                    .bind(rev as i64)
                    .execute(&mut *tx)
                    .await
                    .map_err(q("bump revision"))?
                    .rows_affected();
                if n != 1 {
                    // Dropping the transaction rolls it back.
                    return Err(DirectoryError::Conflict { attempts: 1 });
                }
            } else if !commit.ops.is_empty() {
                sqlx::query("UPDATE directory_meta SET revision = revision + 1 WHERE id = 1")
                    .execute(&mut *tx)
                    .await
                    .map_err(q("bump revision"))?;
            }
            if let Some(d) = commit.decision {
                let n = sqlx::query(
                    "UPDATE change_requests SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 \
                     WHERE id = $5 AND status = 'pending'",
                )
                .bind(d.status.as_str())
                .bind(d.by)
                .bind(ms(d.at))
                .bind(d.reason)
                .bind(d.request_id)
                .execute(&mut *tx)
                .await
                .map_err(q("decide change request"))?
                .rows_affected();
                if n != 1 {
                    let current: Option<String> =
                        sqlx::query_scalar("SELECT status FROM change_requests WHERE id = $1")
                            .bind(d.request_id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(q("read change request"))?;
                    return Err(match current.as_deref().and_then(RequestStatus::parse) {
                        Some(status) => DirectoryError::NotPending {
                            id: d.request_id,
                            status,
                        },
                        None => DirectoryError::NotFound {
                            kind: "change request",
                            key: d.request_id.to_string(),
                        },
                    });
                }
            }
            for op in commit.ops {
                apply_op!(tx, op);
            }
            let _ = append_in_tx!(tx, commit.audit, signer);
            tx.commit().await.map_err(q("commit"))?;
            Ok(())
        })
    }

    async fn create_request(
        &self,
        request: NewChangeRequest,
        mut audit: AuditEvent,
    ) -> Result<i64, DirectoryError> {
        let signer = self.signer.as_deref();
        let changes =
            serde_json::to_string(&request.changes).map_err(|e| DirectoryError::Storage {
                message: e.to_string(),
            })?;
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO change_requests (author, reason, source, status, created_at, changes) \
                 VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id",
            )
            .bind(&request.author)
            .bind(&request.reason)
            .bind(&request.source)
            .bind(ms(request.created_at))
            .bind(&changes)
            .fetch_one(&mut *tx)
            .await
            .map_err(q("insert change request"))?;
            audit.subject = format!("change:{id}");
            let _ = append_in_tx!(tx, vec![audit], signer);
            tx.commit().await.map_err(q("commit"))?;
            Ok(id)
        })
    }

    async fn request(&self, id: i64) -> Result<Option<ChangeRequest>, DirectoryError> {
        let out: Result<_, StoreError> = with_db!(&self.db, |pool, _begin| {
            sqlx::query(&format!(
                "SELECT {REQUEST_COLUMNS} FROM change_requests WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(q("read change request"))?
            .as_ref()
            .map(request_from)
            .transpose()
        });
        Ok(out?)
    }

    async fn requests(
        &self,
        status: Option<RequestStatus>,
    ) -> Result<Vec<ChangeRequest>, DirectoryError> {
        let out: Result<Vec<_>, StoreError> = with_db!(&self.db, |pool, _begin| {
            sqlx::query(&format!(
                "SELECT {REQUEST_COLUMNS} FROM change_requests WHERE ($1 = '' OR status = $1) ORDER BY id DESC"
            ))
            .bind(status.map_or("", |s| s.as_str()))
            .fetch_all(pool)
            .await
            .map_err(q("read change requests"))?
            .iter()
            .map(request_from)
            .collect()
        });
        Ok(out?)
    }
}
