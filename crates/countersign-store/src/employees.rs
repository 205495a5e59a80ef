//! The employees' side: staff photos, caller verifications, tickets pushed
//! by the help-desk tool, employees' reports, sightings and campaigns, and
//! per-account rate counters.
//!
//! Every write carries its audit entries (and webhook events) in the same
//! transaction. Correlation writes inside one transaction that locks a
//! single row first (`campaign_lock`), so two nodes correlating at once
//! serialise and never build two campaigns from the same sightings; on
//! SQLite it plans on a snapshot first and writes only if that row's
//! generation has not moved (see `correlate_batch`).

use crate::audit::append_in_tx;
use crate::backend::{Db, Store, with_db};
use crate::cases::{PublishedEvent, enqueue_in_tx};
use crate::error::{StoreError, q};
use crate::rows::{RowExt, ms, time_from_ms};
use countersign_audit::AuditEvent;
use countersign_employees::campaign::{self, Campaign, Match, Plan, Sighting, Status};
use countersign_employees::indicators::{Indicator, IndicatorKind};
use countersign_employees::verify::CallerVerification;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::{Duration, OffsetDateTime};

fn corrupt(table: &'static str, reason: String) -> StoreError {
    StoreError::Corrupt { table, reason }
}

fn from_doc<T: serde::de::DeserializeOwned>(
    table: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(table, format!("document: {e}")))
}

fn to_doc<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A stored staff photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffPhoto {
    /// The staff ID.
    pub staff_id: String,
    /// The type sniffed at upload.
    pub content_type: String,
    /// The image.
    pub bytes: Vec<u8>,
    /// When.
    pub uploaded_at: OffsetDateTime,
}

/// A ticket as the help-desk tool pushed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The tool's ticket ID.
    pub id: String,
    /// The employee who opened it (directory employee ID).
    pub employee_id: String,
    /// The staff member working it, when known.
    pub assignee_staff_id: Option<String>,
    /// What it is about.
    pub summary: String,
    /// `open` or `closed`.
    pub status: String,
    /// Opened.
    pub opened_at: OffsetDateTime,
    /// Last pushed.
    pub updated_at: OffsetDateTime,
    /// The account that pushed it.
    pub pushed_by: String,
}

/// An employee's report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    /// Stable identifier.
    pub id: String,
    /// The reporting account.
    pub reporter_id: String,
    /// Received.
    pub received_at: OffsetDateTime,
    /// `received` or `triaged`.
    pub status: String,
    /// Kept but not analysed: the reporter was over their rate.
    pub deferred: bool,
    /// The forwarded message, when one came with it.
    pub message_id: Option<String>,
    /// The report (JSON).
    pub document: String,
}

/// Probes (a sighting's indicator) looked up per statement: four
/// parameters each, far below both engines' limits.
const PROBES_PER_STATEMENT: usize = 128;

/// What one correlation batch has changed so far; written at its end.
#[derive(Default)]
struct BatchState {
    /// Campaigns read, formed or grown in this batch, as they are now.
    campaigns: HashMap<String, Campaign>,
    /// Of those, the ones formed in this batch (not stored yet).
    fresh: HashSet<String>,
    /// Stored campaigns merged into another in this batch.
    merged: Vec<String>,
    /// A merged campaign and the one it went into.
    redirect: HashMap<String, String>,
    /// A sighting and the campaign this batch put it in.
    assigned: HashMap<String, String>,
}

impl BatchState {
    /// The campaign that `campaign` is now (after merges).
    fn resolve(&self, campaign: &str) -> String {
        let mut id = campaign;
        // Each merge removes a campaign, so the chain is shorter than the map.
        for _ in 0..=self.redirect.len() {
            match self.redirect.get(id) {
                Some(next) => id = next,
                None => break,
            }
        }
        id.to_owned()
    }

    /// The campaign this batch put a sighting in.
    fn campaign_of(&self, sighting: &str) -> Option<String> {
        self.assigned.get(sighting).map(|c| self.resolve(c))
    }

    /// Stored sightings this batch took into a campaign, by campaign.
    fn stored_moves(&self, batch: &[Sighting]) -> BTreeMap<String, Vec<&str>> {
        let mut out: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (id, c) in &self.assigned {
            if !batch.iter().any(|s| &s.id == id) {
                out.entry(self.resolve(c)).or_default().push(id.as_str());
            }
        }
        out
    }

    /// `sighting`'s matches as if the batch's earlier sightings and changes
    /// were stored: the stored matches plus the earlier ones that share an
    /// indicator within the window, the most recent
    /// [`campaign::MAX_MATCHES_PER_INDICATOR`] per indicator, each with
    /// its campaign as it is now.
    fn matches(
        &self,
        sighting: &Sighting,
        earlier: &[Sighting],
        stored: &[Match],
        window: Duration,
    ) -> Vec<Match> {
        let since = sighting.at - window;
        let mut all: Vec<Match> = stored.to_vec();
        for e in earlier {
            if e.id == sighting.id || e.at < since {
                continue;
            }
            for ind in &sighting.indicators {
                if e.indicators.contains(ind) {
                    all.push(Match {
                        sighting_id: e.id.clone(),
                        campaign_id: None,
                        campaign_size: 0,
                        at: e.at,
                        shared: ind.clone(),
                    });
                }
            }
        }
        all.sort_by(|a, b| a.shared.cmp(&b.shared).then(b.at.cmp(&a.at)));
        let mut kept: Vec<Match> = Vec::with_capacity(all.len());
        for m in all {
            let same = kept
                .iter()
                .rev()
                .take_while(|k| k.shared == m.shared)
                .count();
            if same < campaign::MAX_MATCHES_PER_INDICATOR {
                kept.push(m);
            }
        }
        for m in &mut kept {
            if let Some(c) = self.assigned.get(&m.sighting_id) {
                m.campaign_id = Some(c.clone());
            }
            m.campaign_id = m.campaign_id.as_deref().map(|c| self.resolve(c));
            if let Some(c) = m.campaign_id.as_ref().and_then(|c| self.campaigns.get(c)) {
                m.campaign_size = c.sightings;
            }
        }
        kept
    }
}

/// Which sightings one correlation transaction takes.
enum Batch<'a> {
    /// This one (an employee's report, answered with its outcome).
    One(&'a Sighting),
    /// Up to this many queued sightings of held-back messages.
    Pending(usize),
}

/// What correlating a sighting did.
#[derive(Debug, Clone, PartialEq)]
pub enum Correlation {
    /// It shares nothing within the window.
    Alone,
    /// It formed a campaign.
    Formed(Campaign),
    /// It joined a campaign (merging these others into it).
    Grew {
        /// The campaign after it grew.
        campaign: Campaign,
        /// Campaigns merged into it.
        merged: Vec<String>,
        /// The indicators shared.
        shared: Vec<Indicator>,
    },
}

fn report_from<R: RowExt>(r: &R) -> Result<ReportRecord, StoreError> {
    let m = || q("read report");
    Ok(ReportRecord {
        id: r.text("id").map_err(m())?,
        reporter_id: r.text("reporter_id").map_err(m())?,
        received_at: time_from_ms("reports", r.int("received_at").map_err(m())?)?,
        status: r.text("status").map_err(m())?,
        deferred: r.int("deferred").map_err(m())? != 0,
        message_id: r.opt_text("message_id").map_err(m())?,
        document: r.text("document").map_err(m())?,
    })
}

fn ticket_from<R: RowExt>(r: &R) -> Result<Ticket, StoreError> {
    let m = || q("read ticket");
    Ok(Ticket {
        id: r.text("id").map_err(m())?,
        employee_id: r.text("employee_id").map_err(m())?,
        assignee_staff_id: r.opt_text("assignee_staff_id").map_err(m())?,
        summary: r.text("summary").map_err(m())?,
        status: r.text("status").map_err(m())?,
        opened_at: time_from_ms("tickets", r.int("opened_at").map_err(m())?)?,
        updated_at: time_from_ms("tickets", r.int("updated_at").map_err(m())?)?,
        pushed_by: r.text("pushed_by").map_err(m())?,
    })
}

impl Store {
    /// Stores (or replaces) a staff member's photo.
    pub async fn put_staff_photo(
        &self,
        photo: &StaffPhoto,
        uploaded_by: &str,
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        let digest = ring::digest::digest(&ring::digest::SHA256, &photo.bytes);
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "INSERT INTO staff_photos (staff_id, content_type, bytes, sha256, uploaded_at, uploaded_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (staff_id) DO UPDATE SET \
                 content_type = $2, bytes = $3, sha256 = $4, uploaded_at = $5, uploaded_by = $6",
            )
            .bind(&photo.staff_id)
            .bind(&photo.content_type)
            .bind(&photo.bytes)
            .bind(digest.as_ref())
            .bind(ms(photo.uploaded_at))
            .bind(uploaded_by)
            .execute(&mut *tx)
            .await
            .map_err(q("store photo"))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit photo"))?;
        });
        Ok(())
    }

    /// A staff member's photo.
    pub async fn staff_photo(&self, staff_id: &str) -> Result<Option<StaffPhoto>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let row = sqlx::query(
                "SELECT staff_id, content_type, bytes, uploaded_at FROM staff_photos WHERE staff_id = $1",
            )
            .bind(staff_id)
            .fetch_optional(pool)
            .await
            .map_err(q("read photo"))?;
            row.map(|r| {
                let m = || q("read photo");
                Ok(StaffPhoto {
                    staff_id: r.text("staff_id").map_err(m())?,
                    content_type: r.text("content_type").map_err(m())?,
                    bytes: r.bytes("bytes").map_err(m())?,
                    uploaded_at: time_from_ms("staff_photos", r.int("uploaded_at").map_err(m())?)?,
                })
            })
            .transpose()
        })
    }

    /// Staff IDs that have a photo.
    pub async fn staff_with_photos(&self) -> Result<Vec<String>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query_scalar("SELECT staff_id FROM staff_photos ORDER BY staff_id")
                .fetch_all(pool)
                .await
                .map_err(q("list photos"))
        })
    }

    /// Counts one use of `action` by `account` in a fixed window of
    /// `window`; answers the count in the current window, this use included.
    pub async fn bump_rate(
        &self,
        account: &str,
        action: &str,
        window: Duration,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        let stale = ms(now - window);
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let count: i64 = sqlx::query_scalar(
                "INSERT INTO rate_counters (account_id, action, window_start, count) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (account_id, action) DO UPDATE SET \
                 count = CASE WHEN rate_counters.window_start <= $4 THEN 1 ELSE rate_counters.count + 1 END, \
                 window_start = CASE WHEN rate_counters.window_start <= $4 THEN $3 ELSE rate_counters.window_start END \
                 RETURNING count",
            )
            .bind(account)
            .bind(action)
            .bind(ms(now))
            .bind(stale)
            .fetch_one(&mut *tx)
            .await
            .map_err(q("rate counter"))?;
            tx.commit().await.map_err(q("commit rate counter"))?;
            Ok(count.clamp(0, i64::from(u32::MAX)) as u32)
        })
    }

    /// Writes audit entries and webhook events that belong to no other row
    /// (a look-up of a departed staff ID, a verification that failed at once).
    pub async fn record_events(
        &self,
        audit: Vec<AuditEvent>,
        published: Vec<PublishedEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        let now = OffsetDateTime::now_utc();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            enqueue_in_tx!(tx, &published, now);
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit events"))?;
        });
        Ok(())
    }

    /// Opens a caller verification with its audit entries and events.
    pub async fn insert_verification(
        &self,
        v: &CallerVerification,
        audit: Vec<AuditEvent>,
        published: Vec<PublishedEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        let now = OffsetDateTime::now_utc();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "INSERT INTO caller_verifications (id, direction, requested_by, claimed_id, state, \
                 opened_at, expires_at, version, document) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
            )
            .bind(&v.id)
            .bind(v.direction.as_str())
            .bind(&v.requested_by)
            .bind(&v.claimed_id)
            .bind(v.state.as_str())
            .bind(ms(v.opened_at))
            .bind(ms(v.expires_at))
            .bind(to_doc(v))
            .execute(&mut *tx)
            .await
            .map_err(q("insert verification"))?;
            enqueue_in_tx!(tx, &published, now);
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit verification"))?;
        });
        Ok(())
    }

    /// A caller verification and its version.
    pub async fn verification(
        &self,
        id: &str,
    ) -> Result<Option<(CallerVerification, i64)>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let row =
                sqlx::query("SELECT version, document FROM caller_verifications WHERE id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await
                    .map_err(q("read verification"))?;
            match row {
                Some(r) => Ok(Some((
                    from_doc(
                        "caller_verifications",
                        &r.text("document").map_err(q("read verification"))?,
                    )?,
                    r.int("version").map_err(q("read verification"))?,
                ))),
                None => Ok(None),
            }
        })
    }

    /// Writes a verification planned on `version`; false when another
    /// writer changed it first.
    pub async fn update_verification(
        &self,
        v: &CallerVerification,
        version: i64,
        audit: Vec<AuditEvent>,
        published: Vec<PublishedEvent>,
    ) -> Result<bool, StoreError> {
        let signer = self.signer.as_deref();
        let now = OffsetDateTime::now_utc();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let done = sqlx::query(
                "UPDATE caller_verifications SET state = $3, version = version + 1, document = $4 \
                 WHERE id = $1 AND version = $2",
            )
            .bind(&v.id)
            .bind(version)
            .bind(v.state.as_str())
            .bind(to_doc(v))
            .execute(&mut *tx)
            .await
            .map_err(q("update verification"))?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            enqueue_in_tx!(tx, &published, now);
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit verification"))?;
        });
        Ok(true)
    }

    /// IDs of pending verifications past their deadline.
    pub async fn due_verifications(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query_scalar(
                "SELECT id FROM caller_verifications WHERE state = 'pending' AND expires_at <= $1 \
                 ORDER BY expires_at LIMIT $2",
            )
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("read due verifications"))
        })
    }

    /// Creates or updates a ticket pushed by the help-desk tool.
    pub async fn upsert_ticket(
        &self,
        t: &Ticket,
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "INSERT INTO tickets (id, employee_id, assignee_staff_id, summary, status, opened_at, \
                 updated_at, pushed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET \
                 employee_id = $2, assignee_staff_id = $3, summary = $4, status = $5, updated_at = $7, pushed_by = $8",
            )
            .bind(&t.id)
            .bind(&t.employee_id)
            .bind(&t.assignee_staff_id)
            .bind(&t.summary)
            .bind(&t.status)
            .bind(ms(t.opened_at))
            .bind(ms(t.updated_at))
            .bind(&t.pushed_by)
            .execute(&mut *tx)
            .await
            .map_err(q("upsert ticket"))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit ticket"))?;
        });
        Ok(())
    }

    /// An employee's open tickets, newest first (at most 50).
    pub async fn open_tickets(&self, employee_id: &str) -> Result<Vec<Ticket>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(
                "SELECT * FROM tickets WHERE employee_id = $1 AND status = 'open' \
                 ORDER BY updated_at DESC LIMIT 50",
            )
            .bind(employee_id)
            .fetch_all(pool)
            .await
            .map_err(q("read tickets"))?
            .iter()
            .map(ticket_from)
            .collect()
        })
    }

    /// Pending cases whose claimed identity is this employee (at most 50):
    /// requests made in their name that IT may be calling about.
    pub async fn pending_cases_about_employee(
        &self,
        employee_id: &str,
    ) -> Result<Vec<countersign_cases::Case>, StoreError> {
        let needle = format!(
            "%\"employee_id\":{}%",
            serde_json::Value::String(employee_id.to_owned())
        );
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT document FROM cases WHERE state = 'pending' AND document LIKE $1 \
                 ORDER BY updated_at DESC LIMIT 50",
            )
            .bind(&needle)
            .fetch_all(pool)
            .await
            .map_err(q("read cases"))?;
            let mut out = Vec::new();
            for r in &rows {
                let case: countersign_cases::Case =
                    from_doc("cases", &r.text("document").map_err(q("read cases"))?)?;
                if case.claimed.employee_id.as_deref() == Some(employee_id) {
                    out.push(case);
                }
            }
            Ok(out)
        })
    }

    /// Records a report with its audit entries.
    pub async fn insert_report(
        &self,
        r: &ReportRecord,
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "INSERT INTO reports (id, reporter_id, received_at, status, deferred, message_id, document) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&r.id)
            .bind(&r.reporter_id)
            .bind(ms(r.received_at))
            .bind(&r.status)
            .bind(i64::from(r.deferred))
            .bind(&r.message_id)
            .bind(&r.document)
            .execute(&mut *tx)
            .await
            .map_err(q("insert report"))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit report"))?;
        });
        Ok(())
    }

    /// Replaces a report's status and document (triage, analysis added).
    pub async fn update_report(
        &self,
        r: &ReportRecord,
        audit: Vec<AuditEvent>,
        published: Vec<PublishedEvent>,
    ) -> Result<bool, StoreError> {
        let signer = self.signer.as_deref();
        let now = OffsetDateTime::now_utc();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let done = sqlx::query(
                "UPDATE reports SET status = $2, deferred = $3, message_id = $4, document = $5 WHERE id = $1",
            )
            .bind(&r.id)
            .bind(&r.status)
            .bind(i64::from(r.deferred))
            .bind(&r.message_id)
            .bind(&r.document)
            .execute(&mut *tx)
            .await
            .map_err(q("update report"))?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            enqueue_in_tx!(tx, &published, now);
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit report"))?;
        });
        Ok(true)
    }

    /// A report.
    pub async fn report(&self, id: &str) -> Result<Option<ReportRecord>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query("SELECT * FROM reports WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(q("read report"))?
                .as_ref()
                .map(report_from)
                .transpose()
        })
    }

    /// Reports, newest first: one reporter's, or everyone's (`None`).
    pub async fn reports(
        &self,
        reporter: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ReportRecord>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(
                "SELECT * FROM reports WHERE ($1 = '' OR reporter_id = $1) \
                 ORDER BY received_at DESC, id DESC LIMIT $2",
            )
            .bind(reporter.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("list reports"))?
            .iter()
            .map(report_from)
            .collect()
        })
    }

    /// Records a sighting and correlates it in one transaction: finds the
    /// stored sightings that share an indicator within `window` (at most
    /// [`campaign::MAX_MATCHES_PER_INDICATOR`] per indicator), lets
    /// [`campaign::plan`] decide, writes the campaign, and the audit entries
    /// and events `announce` makes of the outcome.
    pub async fn correlate(
        &self,
        sighting: &Sighting,
        window: Duration,
        new_campaign_id: String,
        mut announce: impl FnMut(&Correlation) -> (Vec<AuditEvent>, Vec<PublishedEvent>),
    ) -> Result<Correlation, StoreError> {
        // One sighting forms at most one campaign per attempt (a batch
        // planned on a snapshot may be planned again).
        self.correlate_batch(
            Batch::One(sighting),
            window,
            || new_campaign_id.clone(),
            |_, outcome| announce(outcome),
        )
        .await?
        .pop()
        .map(|(_, outcome)| outcome)
        .ok_or_else(|| corrupt("sightings", "a correlation answered nothing".into()))
    }

    /// Correlates up to `limit` queued sightings of held-back messages
    /// (queued with the message, see [`crate::RecordedMessage::sighting`]),
    /// oldest first, in one transaction: one lock, one audit append and one
    /// commit for the batch. Answers each with its outcome; empty when none
    /// waits. A queued sighting that cannot be read is removed and the
    /// removal audited, so one bad row never stops the queue.
    pub async fn correlate_pending(
        &self,
        limit: usize,
        window: Duration,
        new_campaign_id: impl FnMut() -> String,
        announce: impl FnMut(&Sighting, &Correlation) -> (Vec<AuditEvent>, Vec<PublishedEvent>),
    ) -> Result<Vec<(Sighting, Correlation)>, StoreError> {
        self.correlate_batch(Batch::Pending(limit), window, new_campaign_id, announce)
            .await
    }

    async fn correlate_batch(
        &self,
        batch: Batch<'_>,
        window: Duration,
        mut new_campaign_id: impl FnMut() -> String,
        mut announce: impl FnMut(&Sighting, &Correlation) -> (Vec<AuditEvent>, Vec<PublishedEvent>),
    ) -> Result<Vec<(Sighting, Correlation)>, StoreError> {
        let signer = self.signer.as_deref();
        let now = OffsetDateTime::now_utc();
        let lock = match &self.db {
            Db::Postgres(_) => "SELECT generation FROM campaign_lock WHERE id = 1 FOR UPDATE",
            Db::Sqlite(..) => "SELECT generation FROM campaign_lock WHERE id = 1",
        };
        // SQLite admits one writer at a time, and the verdict recorder waits
        // behind whoever holds the store's write gate. So on SQLite a batch
        // is first read and planned on a snapshot, outside the gate, and
        // written under it only if no correlation or campaign change
        // committed in between (the lock row's generation is unchanged and
        // the queued sightings are still there); otherwise it is read and
        // planned again under the gate. PostgreSQL plans under its row lock.
        let plan_on_snapshot = matches!(self.db, Db::Sqlite(..));
        // Round trips, not rows, are what a correlation costs: the batch
        // is read in a few statements, planned in memory (sightings earlier
        // in the batch count as stored ones), and written in a few more.
        with_db!(&self.db, |pool, begin| {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let on_snapshot = plan_on_snapshot && attempt == 1;
                let mut snapshot = match on_snapshot {
                    true => Some(pool.begin().await.map_err(q("begin"))?),
                    false => None,
                };
                let mut write = match on_snapshot {
                    true => None,
                    false => Some(begin(pool).await?),
                };
                let conn = match (&mut snapshot, &mut write) {
                    (Some(read), _) => &mut **read,
                    (None, Some(tx)) => &mut **tx,
                    (None, None) => unreachable!("one of the two transactions is open"),
                };
                let generation: i64 = sqlx::query_scalar(lock)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(q("lock campaigns"))?;
                let mut audit: Vec<AuditEvent> = Vec::new();
                let mut published: Vec<PublishedEvent> = Vec::new();
                let mut taken_ids: Vec<String> = Vec::new();
                let sightings: Vec<Sighting> = match batch {
                    Batch::One(s) => vec![s.clone()],
                    Batch::Pending(limit) => {
                        // On the snapshot the queue is only read; the rows are
                        // removed under the gate, and must all still be there.
                        let take = match on_snapshot {
                            true => {
                                "SELECT id, queued_at, document FROM pending_sightings \
                                 ORDER BY queued_at, id LIMIT $1"
                            }
                            false => {
                                "DELETE FROM pending_sightings WHERE id IN \
                                  (SELECT id FROM pending_sightings ORDER BY queued_at, id LIMIT $1) \
                                  RETURNING id, queued_at, document"
                            }
                        };
                        let rows = sqlx::query(take)
                            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                            .fetch_all(&mut *conn)
                            .await
                            .map_err(q("take pending sightings"))?;
                        let mut taken = Vec::with_capacity(rows.len());
                        for r in &rows {
                            let m = || q("take pending sightings");
                            taken.push((
                                r.int("queued_at").map_err(m())?,
                                r.text("id").map_err(m())?,
                                r.text("document").map_err(m())?,
                            ));
                        }
                        taken.sort();
                        taken_ids = taken.iter().map(|(_, id, _)| id.clone()).collect();
                        let mut out = Vec::with_capacity(taken.len());
                        for (_, id, doc) in taken {
                            match from_doc::<Sighting>("pending_sightings", &doc) {
                                Ok(s) => out.push(s),
                                Err(err) => audit.push(AuditEvent::new(
                                    now,
                                    "countersign",
                                    "campaign.sighting_unreadable",
                                    format!("sighting:{id}"),
                                    serde_json::json!({ "error": err.to_string() }),
                                )),
                            }
                        }
                        out
                    }
                };
                // The stored matches of every sighting of the batch.
                let probes: Vec<(usize, &Indicator)> = sightings
                    .iter()
                    .enumerate()
                    .flat_map(|(n, s)| s.indicators.iter().map(move |i| (n, i)))
                    .collect();
                let mut stored: Vec<Vec<Match>> = vec![Vec::new(); sightings.len()];
                for chunk in probes.chunks(PROBES_PER_STATEMENT) {
                    // A statement's text depends on how many probes it
                    // holds. Padded to a power of two with probes that match
                    // nothing, the few shapes stay in the prepared-statement
                    // cache instead of one being parsed and planned anew for
                    // nearly every batch.
                    let shape = chunk.len().next_power_of_two();
                    let mut qb = sqlx::QueryBuilder::new("");
                    for n in 0..shape {
                        if n > 0 {
                            qb.push(" UNION ALL ");
                        }
                        let (kind, value, since, own) = match chunk.get(n) {
                            Some((owner, ind)) => {
                                let s = &sightings[*owner];
                                (
                                    ind.kind.as_str(),
                                    ind.value.as_str(),
                                    ms(s.at - window),
                                    s.id.as_str(),
                                )
                            }
                            None => ("", "", i64::MAX, ""),
                        };
                        qb.push(format!(
                            "SELECT * FROM (SELECT CAST({n} AS BIGINT) AS n, s.id, s.at, \
                             CASE WHEN c.status IN ('open', 'contained') THEN s.campaign_id END AS campaign_id, \
                             CASE WHEN c.status IN ('open', 'contained') THEN c.sightings ELSE 0 END AS campaign_size \
                             FROM sighting_indicators i JOIN sightings s ON s.id = i.sighting_id \
                             LEFT JOIN campaigns c ON c.id = s.campaign_id WHERE i.kind = "
                        ));
                        qb.push_bind(kind)
                            .push(" AND i.value = ")
                            .push_bind(value)
                            .push(" AND i.at >= ")
                            .push_bind(since)
                            .push(" AND i.sighting_id <> ")
                            .push_bind(own)
                            .push(format!(
                                " ORDER BY i.at DESC LIMIT {}) AS m{n}",
                                campaign::MAX_MATCHES_PER_INDICATOR
                            ));
                    }
                    let rows = qb
                        .build()
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(q("find matches"))?;
                    for r in &rows {
                        let m = || q("find matches");
                        let n = usize::try_from(r.int("n").map_err(m())?).unwrap_or(usize::MAX);
                        let Some((owner, ind)) = chunk.get(n) else {
                            return Err(corrupt(
                                "sighting_indicators",
                                format!("match of indicator {n}"),
                            ));
                        };
                        stored[*owner].push(Match {
                            sighting_id: r.text("id").map_err(m())?,
                            campaign_id: r.opt_text("campaign_id").map_err(m())?,
                            campaign_size: u64::try_from(r.int("campaign_size").map_err(m())?)
                                .unwrap_or(0),
                            at: time_from_ms("sightings", r.int("at").map_err(m())?)?,
                            shared: (*ind).clone(),
                        });
                    }
                }
                let mut state = BatchState::default();
                // Members of a campaign: from the batch, or stored (one read).
                macro_rules! load_sightings {
                    ($ids:expr, $earlier:expr) => {{
                        let ids: &[String] = $ids;
                        let earlier: &[Sighting] = $earlier;
                        let missing: Vec<&String> = ids
                            .iter()
                            .filter(|id| !earlier.iter().any(|s| &s.id == *id))
                            .collect();
                        let mut found: std::collections::HashMap<String, Sighting> =
                            std::collections::HashMap::new();
                        if !missing.is_empty() {
                            let mut qb = sqlx::QueryBuilder::new(
                                "SELECT id, document FROM sightings WHERE id IN (",
                            );
                            let mut list = qb.separated(", ");
                            for id in &missing {
                                list.push_bind(id.as_str());
                            }
                            qb.push(")");
                            for r in qb
                                .build()
                                .fetch_all(&mut *conn)
                                .await
                                .map_err(q("read sighting"))?
                            {
                                let doc = r.text("document").map_err(q("read sighting"))?;
                                found.insert(
                                    r.text("id").map_err(q("read sighting"))?,
                                    from_doc("sightings", &doc)?,
                                );
                            }
                        }
                        let mut out: Vec<Sighting> = Vec::with_capacity(ids.len());
                        for id in ids {
                            match earlier.iter().find(|s| &s.id == id) {
                                Some(s) => out.push(s.clone()),
                                None => out.push(found.remove(id).ok_or_else(|| {
                                    corrupt(
                                        "sightings",
                                        format!("matched sighting {id} is not stored"),
                                    )
                                })?),
                            }
                        }
                        out
                    }};
                }
                // A campaign as this batch left it, else as stored.
                macro_rules! load_campaign {
                    ($id:expr) => {{
                        let id: &str = $id;
                        match state.campaigns.remove(id) {
                            Some(c) => c,
                            None => {
                                let doc: String = sqlx::query_scalar(
                                    "SELECT document FROM campaigns WHERE id = $1",
                                )
                                .bind(id)
                                .fetch_one(&mut *conn)
                                .await
                                .map_err(q("read campaign"))?;
                                from_doc::<Campaign>("campaigns", &doc)?
                            }
                        }
                    }};
                }
                let mut outcomes = Vec::with_capacity(sightings.len());
                for (n, sighting) in sightings.iter().enumerate() {
                    let matches = state.matches(sighting, &sightings[..n], &stored[n], window);
                    let plan = campaign::plan(&sighting.id, sighting.at, &matches, window);
                    let mut assigned: Vec<String> = vec![sighting.id.clone()];
                    let outcome = match plan {
                        Plan::Alone => Correlation::Alone,
                        Plan::Form { with, .. } => {
                            assigned.extend(with.iter().cloned());
                            let mut members = load_sightings!(&with, &sightings[..n]);
                            members.push(sighting.clone());
                            let c = Campaign::form(new_campaign_id(), members, now);
                            state.fresh.insert(c.id.clone());
                            state.campaigns.insert(c.id.clone(), c.clone());
                            Correlation::Formed(c)
                        }
                        Plan::Join {
                            campaign: id,
                            merge,
                            with,
                            shared,
                        } => {
                            let mut c = load_campaign!(&id);
                            for other_id in &merge {
                                let other = load_campaign!(other_id);
                                c.merge(other, now);
                                state.redirect.insert(other_id.clone(), id.clone());
                                if !state.fresh.remove(other_id) {
                                    state.merged.push(other_id.clone());
                                }
                            }
                            for s in load_sightings!(&with, &sightings[..n]) {
                                c.add(&s, now);
                            }
                            assigned.extend(with.iter().cloned());
                            c.add(sighting, now);
                            state.campaigns.insert(c.id.clone(), c.clone());
                            Correlation::Grew {
                                campaign: c,
                                merged: merge,
                                shared,
                            }
                        }
                    };
                    if let Correlation::Formed(c) | Correlation::Grew { campaign: c, .. } = &outcome
                    {
                        for id in assigned {
                            state.assigned.insert(id, c.id.clone());
                        }
                    }
                    outcomes.push(outcome);
                }
                if sightings.is_empty() && taken_ids.is_empty() {
                    if let Some(read) = snapshot.take() {
                        read.rollback().await.map_err(q("end snapshot"))?;
                    }
                    if let Some(tx) = write.take() {
                        tx.rollback().await.map_err(q("end correlation"))?;
                    }
                    break Ok(Vec::new());
                }
                // Planned on the snapshot: now under the gate, the plan stands
                // only if nothing it read has changed.
                let mut tx = match write {
                    Some(tx) => tx,
                    None => {
                        if let Some(read) = snapshot.take() {
                            read.rollback().await.map_err(q("end snapshot"))?;
                        }
                        let mut tx = begin(pool).await?;
                        let current: i64 = sqlx::query_scalar(lock)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(q("lock campaigns"))?;
                        let mut still_queued = true;
                        for chunk in taken_ids.chunks(crate::cases::ROWS_PER_STATEMENT) {
                            let mut qb = sqlx::QueryBuilder::new(
                                "DELETE FROM pending_sightings WHERE id IN (",
                            );
                            let mut list = qb.separated(", ");
                            for id in chunk {
                                list.push_bind(id.as_str());
                            }
                            qb.push(")");
                            let removed = qb
                                .build()
                                .execute(&mut *tx)
                                .await
                                .map_err(q("take pending sightings"))?;
                            still_queued &= removed.rows_affected() == chunk.len() as u64;
                        }
                        if current != generation || !still_queued {
                            tx.rollback().await.map_err(q("replan correlation"))?;
                            continue;
                        }
                        tx
                    }
                };
                sqlx::query("UPDATE campaign_lock SET generation = generation + 1 WHERE id = 1")
                    .execute(&mut *tx)
                    .await
                    .map_err(q("count correlation"))?;
                // Announced once the plan stands (a stale one is planned again).
                for (sighting, outcome) in sightings.iter().zip(&outcomes) {
                    let (a, p) = announce(sighting, outcome);
                    audit.extend(a);
                    published.extend(p);
                }
                // Campaigns first, then who belongs where: merged campaigns'
                // stored members move to the survivor, the batch's sightings
                // are stored with their campaign, stored ones taken along move.
                let (formed, grown): (Vec<&Campaign>, Vec<&Campaign>) = state
                    .campaigns
                    .values()
                    .partition(|c| state.fresh.contains(&c.id));
                for chunk in formed.chunks(crate::cases::ROWS_PER_STATEMENT) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO campaigns (id, status, formed_at, updated_at, version, document, sightings) ",
                    );
                    qb.push_values(chunk, |mut b, c| {
                        b.push_bind(c.id.as_str())
                            .push_bind(c.status.as_str())
                            .push_bind(ms(c.formed_at))
                            .push_bind(ms(c.updated_at))
                            .push("1")
                            .push_bind(to_doc(c))
                            .push_bind(i64::try_from(c.sightings).unwrap_or(i64::MAX));
                    });
                    qb.build()
                        .execute(&mut *tx)
                        .await
                        .map_err(q("insert campaign"))?;
                }
                for c in grown {
                    sqlx::query(
                    "UPDATE campaigns SET updated_at = $2, version = version + 1, document = $3, sightings = $4 WHERE id = $1",
                )
                .bind(&c.id)
                .bind(ms(c.updated_at))
                .bind(to_doc(c))
                .bind(i64::try_from(c.sightings).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await
                .map_err(q("update campaign"))?;
                }
                for old in &state.merged {
                    sqlx::query("UPDATE sightings SET campaign_id = $2 WHERE campaign_id = $1")
                        .bind(old)
                        .bind(state.resolve(old))
                        .execute(&mut *tx)
                        .await
                        .map_err(q("assign sighting"))?;
                    sqlx::query("DELETE FROM campaigns WHERE id = $1")
                        .bind(old)
                        .execute(&mut *tx)
                        .await
                        .map_err(q("merge campaign"))?;
                }
                for chunk in sightings.chunks(crate::cases::ROWS_PER_STATEMENT) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO sightings (id, kind, at, campaign_id, document) ",
                    );
                    qb.push_values(chunk, |mut b, s| {
                        b.push_bind(s.id.as_str())
                            .push_bind(s.kind.as_str())
                            .push_bind(ms(s.at))
                            .push_bind(state.campaign_of(&s.id))
                            .push_bind(to_doc(s));
                    });
                    qb.build()
                        .execute(&mut *tx)
                        .await
                        .map_err(q("insert sighting"))?;
                }
                for chunk in probes.chunks(crate::cases::ROWS_PER_STATEMENT) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO sighting_indicators (sighting_id, kind, value, at) ",
                    );
                    qb.push_values(chunk, |mut b, (owner, ind)| {
                        let s = &sightings[*owner];
                        b.push_bind(s.id.as_str())
                            .push_bind(ind.kind.as_str())
                            .push_bind(ind.value.as_str())
                            .push_bind(ms(s.at));
                    });
                    qb.push(" ON CONFLICT (sighting_id, kind, value) DO NOTHING");
                    qb.build()
                        .execute(&mut *tx)
                        .await
                        .map_err(q("insert indicator"))?;
                }
                for (campaign, ids) in state.stored_moves(&sightings) {
                    let mut qb = sqlx::QueryBuilder::new("UPDATE sightings SET campaign_id = ");
                    qb.push_bind(campaign).push(" WHERE id IN (");
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(id);
                    }
                    qb.push(")");
                    qb.build()
                        .execute(&mut *tx)
                        .await
                        .map_err(q("assign sighting"))?;
                }
                enqueue_in_tx!(tx, &published, now);
                append_in_tx!(tx, audit, signer);
                tx.commit().await.map_err(q("commit correlation"))?;
                break Ok(sightings.into_iter().zip(outcomes).collect());
            }
        })
    }

    /// Campaigns, most recently changed first, optionally in one status.
    pub async fn campaigns(
        &self,
        status: Option<Status>,
        limit: u32,
    ) -> Result<Vec<Campaign>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(
                "SELECT document FROM campaigns WHERE ($1 = '' OR status = $1) \
                 ORDER BY updated_at DESC, id LIMIT $2",
            )
            .bind(status.map_or("", |s| s.as_str()))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("list campaigns"))?
            .iter()
            .map(|r| {
                from_doc(
                    "campaigns",
                    &r.text("document").map_err(q("list campaigns"))?,
                )
            })
            .collect()
        })
    }

    /// One campaign.
    pub async fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query_scalar::<_, String>("SELECT document FROM campaigns WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(q("read campaign"))?
                .map(|d| from_doc("campaigns", &d))
                .transpose()
        })
    }

    /// Sets a campaign's status; false when there is no such campaign.
    pub async fn set_campaign_status(
        &self,
        id: &str,
        status: Status,
        now: OffsetDateTime,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            // Read under the correlation lock: a correlation committed
            // meanwhile may have grown this campaign's document.
            sqlx::query("UPDATE campaign_lock SET generation = generation + 1 WHERE id = 1")
                .execute(&mut *tx)
                .await
                .map_err(q("lock campaigns"))?;
            let doc: Option<String> =
                sqlx::query_scalar("SELECT document FROM campaigns WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(q("read campaign"))?;
            let Some(doc) = doc else {
                return Ok(false);
            };
            let mut c: Campaign = from_doc("campaigns", &doc)?;
            c.status = status;
            c.updated_at = now;
            let done = sqlx::query(
                "UPDATE campaigns SET status = $2, updated_at = $3, version = version + 1, document = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(ms(now))
            .bind(to_doc(&c))
            .execute(&mut *tx)
            .await
            .map_err(q("update campaign"))?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit campaign"))?;
        });
        Ok(true)
    }

    /// The indicators stored for a sighting.
    pub async fn sighting_indicators(&self, id: &str) -> Result<Vec<Indicator>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT kind, value FROM sighting_indicators WHERE sighting_id = $1 ORDER BY kind, value",
            )
            .bind(id)
            .fetch_all(pool)
            .await
            .map_err(q("read indicators"))?;
            rows.iter()
                .map(|r| {
                    let kind = r.text("kind").map_err(q("read indicators"))?;
                    Ok(Indicator {
                        kind: IndicatorKind::parse(&kind).ok_or_else(|| {
                            corrupt("sighting_indicators", format!("kind {kind:?}"))
                        })?,
                        value: r.text("value").map_err(q("read indicators"))?,
                    })
                })
                .collect()
        })
    }
}
