//! Recorded messages, verification cases, webhook subscriptions and the
//! durable outbox.
//!
//! A case is stored as its JSON document plus the columns queries need.
//! Writers compare-and-set its `version`, so of two concurrent transitions
//! planned on the same version exactly one is written. Every write carries
//! its audit entries and its outbox rows (one per subscribed webhook) in the
//! same transaction: a restart can lose neither the change, nor its record,
//! nor its announcement.

use crate::audit::append_in_tx;
use crate::backend::{Db, Store, with_db};
use crate::error::{StoreError, q};
use crate::rows::{RowExt, json_list, ms, time_from_ms, to_json_list};
use countersign_audit::{AuditEntry, AuditEvent};
use countersign_cases::{Case, CaseState};
use time::OffsetDateTime;

fn corrupt(table: &'static str, reason: String) -> StoreError {
    StoreError::Corrupt { table, reason }
}

/// An event to announce to the webhooks subscribed to its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedEvent {
    /// Unique ID, the receivers' idempotency key.
    pub event_id: String,
    /// E.g. `case.verified`.
    pub event_type: String,
    /// The JSON body delivered.
    pub payload: String,
}

/// A message as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// Stable identifier.
    pub id: String,
    /// When it was judged.
    pub received_at: OffsetDateTime,
    /// `api` or `smtp`.
    pub source: String,
    /// Envelope: client address.
    pub client_ip: String,
    /// Envelope: HELO.
    pub helo: String,
    /// Envelope: MAIL FROM (empty for the null sender).
    pub mail_from: String,
    /// Envelope: recipients.
    pub rcpt: Vec<String>,
    /// The From address.
    pub from_address: Option<String>,
    /// The Subject.
    pub subject: Option<String>,
    /// The verdict word.
    pub verdict: String,
    /// The verdict document (JSON).
    pub document: String,
    /// The message summary (JSON).
    pub summary: String,
    /// SHA-256 of the raw message.
    pub digest: Vec<u8>,
    /// The raw message, kept unless it was delivered.
    pub raw: Option<Vec<u8>>,
    /// The case it opened.
    pub case_id: Option<String>,
}

/// One message to record, with the case it opens and what to audit and announce.
#[derive(Debug, Clone)]
pub struct RecordedMessage {
    /// The message.
    pub message: MessageRecord,
    /// The case its verdict opened.
    pub case: Option<Case>,
    /// Audit entries.
    pub audit: Vec<AuditEvent>,
    /// Events to announce.
    pub published: Vec<PublishedEvent>,
    /// SMTP ingress: the digest of envelope and content. A message whose
    /// digest is already recorded is a duplicate and recorded not again.
    pub envelope_digest: Option<Vec<u8>>,
    /// What to relay downstream, committed with the verdict.
    pub relay: Option<crate::relay::NewRelay>,
    /// A held-back message's sighting, queued with the verdict for
    /// [`Store::correlate_pending`] (campaigns), so correlation never
    /// holds up the answer and is never lost to a crash.
    pub sighting: Option<countersign_employees::campaign::Sighting>,
}

/// A webhook subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Stable identifier.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The HMAC-SHA256 key.
    pub secret: String,
    /// Event types subscribed (`case.opened`, ...).
    pub events: Vec<String>,
    /// Created.
    pub created_at: OffsetDateTime,
    /// By whom.
    pub created_by: String,
    /// Disabled at.
    pub disabled_at: Option<OffsetDateTime>,
}

/// A delivery claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The outbox row.
    pub outbox_id: i64,
    /// The event's idempotency key.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// The body.
    pub payload: String,
    /// Attempts including this one.
    pub attempts: u32,
    /// The subscription.
    pub webhook_id: String,
    /// Its URL.
    pub url: String,
    /// Its key.
    pub secret: String,
}

/// One delivery attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// The event.
    pub event_id: String,
    /// When.
    pub attempted_at: OffsetDateTime,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
}

/// What became of a delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted (2xx).
    Delivered,
    /// Failed; try again at this time.
    Retry(OffsetDateTime),
    /// Failed too often: kept, never retried automatically.
    GiveUp,
}

fn case_from_doc(text: &str) -> Result<Case, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("cases", format!("case document: {e}")))
}

/// 1 when `case` is pending and its dual approval still waits (the
/// `approval_pending` column the approvers' page lists by).
pub(crate) fn approval_pending(case: &Case) -> i64 {
    i64::from(
        case.state == CaseState::Pending
            && case.controls.iter().any(|c| {
                c.control == countersign_model::verdict::Control::DualApproval
                    && c.status == countersign_cases::ControlStatus::Pending
            }),
    )
}

fn case_doc(case: &Case) -> String {
    serde_json::to_string(case).unwrap_or_default()
}

fn message_from<R: RowExt>(r: &R) -> Result<MessageRecord, StoreError> {
    let m = || q("read message");
    Ok(MessageRecord {
        id: r.text("id").map_err(m())?,
        received_at: time_from_ms("messages", r.int("received_at").map_err(m())?)?,
        source: r.text("source").map_err(m())?,
        client_ip: r.text("client_ip").map_err(m())?,
        helo: r.text("helo").map_err(m())?,
        mail_from: r.text("mail_from").map_err(m())?,
        rcpt: json_list("messages", &r.text("rcpt").map_err(m())?)?,
        from_address: r.opt_text("from_address").map_err(m())?,
        subject: r.opt_text("subject").map_err(m())?,
        verdict: r.text("verdict").map_err(m())?,
        document: r.text("document").map_err(m())?,
        summary: r.text("summary").map_err(m())?,
        digest: r.bytes("digest").map_err(m())?,
        raw: r.opt_bytes("raw").map_err(m())?,
        case_id: r.opt_text("case_id").map_err(m())?,
    })
}

fn webhook_from<R: RowExt>(r: &R) -> Result<Webhook, StoreError> {
    let m = || q("read webhook");
    Ok(Webhook {
        id: r.text("id").map_err(m())?,
        url: r.text("url").map_err(m())?,
        secret: r.text("secret").map_err(m())?,
        events: json_list("webhooks", &r.text("events").map_err(m())?)?,
        created_at: time_from_ms("webhooks", r.int("created_at").map_err(m())?)?,
        created_by: r.text("created_by").map_err(m())?,
        disabled_at: r
            .opt_int("disabled_at")
            .map_err(m())?
            .map(|t| time_from_ms("webhooks", t))
            .transpose()?,
    })
}

/// Inserts outbox rows for `$published` inside transaction `$tx`: one per
/// live subscription whose event list names the type (or `*`).
macro_rules! enqueue_in_tx {
    ($tx:expr, $published:expr, $now:expr) => {{
        let published: &[$crate::cases::PublishedEvent] = $published;
        if !published.is_empty() {
            let hooks = sqlx::query("SELECT id, events FROM webhooks WHERE disabled_at IS NULL")
                .fetch_all(&mut *$tx)
                .await
                .map_err(q("read webhooks"))?;
            let mut rows: Vec<(String, &$crate::cases::PublishedEvent)> = Vec::new();
            for row in &hooks {
                let id = row.text("id").map_err(q("read webhooks"))?;
                let events = $crate::rows::json_list(
                    "webhooks",
                    &row.text("events").map_err(q("read webhooks"))?,
                )?;
                for event in published {
                    if events.iter().any(|e| e == "*" || *e == event.event_type) {
                        rows.push((id.clone(), event));
                    }
                }
            }
            // One statement for the batch: each round trip to the database
            // costs more than the rows it carries.
            for chunk in rows.chunks($crate::cases::ROWS_PER_STATEMENT) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO outbox (event_id, webhook_id, event_type, payload, created_at, \
                     state, attempts, next_attempt_at) ",
                );
                qb.push_values(chunk, |mut b, (hook, event)| {
                    b.push_bind(event.event_id.clone())
                        .push_bind(hook.clone())
                        .push_bind(event.event_type.clone())
                        .push_bind(event.payload.clone())
                        .push_bind(ms($now))
                        .push("'pending'")
                        .push("0")
                        .push_bind(ms($now));
                });
                qb.push(" ON CONFLICT (event_id, webhook_id) DO NOTHING");
                qb.build()
                    .execute(&mut *$tx)
                    .await
                    .map_err(q("enqueue event"))?;
            }
        }
    }};
}

pub(crate) use enqueue_in_tx;

/// Rows per multi-row `INSERT`: far below both engines' limits on bound
/// parameters (16 a row at most here), while one statement carries a whole
/// group commit.
pub(crate) const ROWS_PER_STATEMENT: usize = 256;

/// Inserts cases, each with the message that opened it (if any).
macro_rules! insert_cases_in_tx {
    ($tx:expr, $cases:expr) => {{
        let cases: &[(&Case, Option<&str>)] = $cases;
        for chunk in cases.chunks($crate::cases::ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO cases (id, state, opened_at, updated_at, expires_at, vendor_id, message_id, \
                 version, document, approval_pending) ",
            );
            qb.push_values(chunk, |mut b, (case, message_id)| {
                b.push_bind(case.id.clone())
                    .push_bind(case.state.as_str())
                    .push_bind(ms(case.opened_at))
                    .push_bind(ms(case.updated_at))
                    .push_bind(ms(case.expires_at))
                    .push_bind(case.vendor_id().map(str::to_owned))
                    .push_bind(message_id.map(str::to_owned))
                    .push("1")
                    .push_bind(case_doc(case))
                    .push_bind($crate::cases::approval_pending(case));
            });
            qb.build().execute(&mut *$tx).await.map_err(q("insert case"))?;
        }
    }};
}

impl Store {
    /// Records judged messages in one transaction: the messages, the cases
    /// their verdicts opened, their audit entries and outbox rows. Many
    /// requests share one commit (group commit); none is answered before it.
    /// Answers, for each message, whether it was recorded: `false` for a
    /// duplicate (its envelope digest was already recorded).
    pub async fn record_messages(
        &self,
        batch: Vec<RecordedMessage>,
    ) -> Result<Vec<bool>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let signer = self.signer.as_deref();
        let now = OffsetDateTime::now_utc();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            // A digest already recorded (by this node before a crash, or by
            // another, or earlier in this batch) makes a message a
            // duplicate: nothing of it is written. The insert answers the
            // IDs it wrote.
            let mut written = std::collections::HashSet::with_capacity(batch.len());
            for chunk in batch.chunks(ROWS_PER_STATEMENT) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO messages (id, received_at, source, client_ip, helo, mail_from, rcpt, \
                     from_address, subject, verdict, document, summary, digest, raw, case_id, \
                     envelope_digest) ",
                );
                qb.push_values(chunk, |mut b, item| {
                    let m = &item.message;
                    b.push_bind(&m.id)
                        .push_bind(ms(m.received_at))
                        .push_bind(&m.source)
                        .push_bind(&m.client_ip)
                        .push_bind(&m.helo)
                        .push_bind(&m.mail_from)
                        .push_bind(to_json_list(&m.rcpt))
                        .push_bind(&m.from_address)
                        .push_bind(&m.subject)
                        .push_bind(&m.verdict)
                        .push_bind(&m.document)
                        .push_bind(&m.summary)
                        .push_bind(&m.digest)
                        .push_bind(&m.raw)
                        .push_bind(&m.case_id)
                        .push_bind(&item.envelope_digest);
                });
                qb.push(" ON CONFLICT (envelope_digest) DO NOTHING RETURNING id");
                for row in qb
                    .build()
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(q("insert message"))?
                {
                    written.insert(row.text("id").map_err(q("insert message"))?);
                }
            }
            let recorded: Vec<bool> = batch
                .iter()
                .map(|i| written.contains(&i.message.id))
                .collect();
            let new: Vec<&RecordedMessage> = batch
                .iter()
                .zip(&recorded)
                .filter_map(|(item, &w)| w.then_some(item))
                .collect();
            let mut day_counts = std::collections::BTreeMap::<(i64, &str), i64>::new();
            let mut target_counts = std::collections::BTreeMap::<(i64, String), i64>::new();
            for item in &new {
                let m = &item.message;
                let day = ms(m.received_at).div_euclid(86_400_000);
                *day_counts.entry((day, m.verdict.as_str())).or_insert(0) += 1;
                for target in impersonated_in(&m.document) {
                    *target_counts.entry((day, target)).or_insert(0) += 1;
                }
            }
            let cases: Vec<(&Case, Option<&str>)> = new
                .iter()
                .filter_map(|i| i.case.as_ref().map(|c| (c, Some(i.message.id.as_str()))))
                .collect();
            insert_cases_in_tx!(tx, &cases);
            let relays: Vec<&crate::relay::NewRelay> =
                new.iter().filter_map(|i| i.relay.as_ref()).collect();
            crate::relay::insert_relays_in_tx!(tx, &relays, now);
            let sightings: Vec<_> = new.iter().filter_map(|i| i.sighting.as_ref()).collect();
            for chunk in sightings.chunks(ROWS_PER_STATEMENT) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO pending_sightings (id, queued_at, document) ",
                );
                qb.push_values(chunk, |mut b, sighting| {
                    b.push_bind(sighting.id.clone())
                        .push_bind(ms(now))
                        .push_bind(serde_json::to_string(sighting).unwrap_or_default());
                });
                qb.build()
                    .execute(&mut *tx)
                    .await
                    .map_err(q("queue sighting"))?;
            }
            if !day_counts.is_empty() {
                let mut qb =
                    sqlx::QueryBuilder::new("INSERT INTO message_day_counts (day, verdict, n) ");
                qb.push_values(&day_counts, |mut b, ((day, verdict), n)| {
                    b.push_bind(*day)
                        .push_bind(verdict.to_string())
                        .push_bind(*n);
                });
                qb.push(" ON CONFLICT (day, verdict) DO UPDATE SET n = message_day_counts.n + excluded.n");
                qb.build()
                    .execute(&mut *tx)
                    .await
                    .map_err(q("count messages by day"))?;
            }
            if !target_counts.is_empty() {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO impersonation_day_counts (day, target, n) ",
                );
                qb.push_values(&target_counts, |mut b, ((day, target), n)| {
                    b.push_bind(*day).push_bind(target.clone()).push_bind(*n);
                });
                qb.push(" ON CONFLICT (day, target) DO UPDATE SET n = impersonation_day_counts.n + excluded.n");
                qb.build()
                    .execute(&mut *tx)
                    .await
                    .map_err(q("count impersonations by day"))?;
            }
            let published: Vec<PublishedEvent> = new
                .iter()
                .flat_map(|i| i.published.iter().cloned())
                .collect();
            let audit: Vec<AuditEvent> = new.iter().flat_map(|i| i.audit.iter().cloned()).collect();
            enqueue_in_tx!(tx, &published, now);
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit messages"))?;
            Ok(recorded)
        })
    }

    /// The recorded message with this ID.
    pub async fn message(&self, id: &str) -> Result<Option<MessageRecord>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let row = sqlx::query("SELECT * FROM messages WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(q("read message"))?;
            row.as_ref().map(message_from).transpose()
        })
    }

    /// Opens a case (by hand) with its audit entries and announcements.
    pub async fn insert_case(
        &self,
        case: &Case,
        audit: Vec<AuditEvent>,
        published: Vec<PublishedEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        let now = OffsetDateTime::now_utc();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            insert_cases_in_tx!(tx, &[(case, None)]);
            enqueue_in_tx!(tx, &published, now);
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit case"))?;
        });
        Ok(())
    }

    /// The case with this ID and its version.
    pub async fn case(&self, id: &str) -> Result<Option<(Case, i64)>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let row = sqlx::query("SELECT version, document FROM cases WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(q("read case"))?;
            match row {
                Some(r) => {
                    let version = r.int("version").map_err(q("read case"))?;
                    let case = case_from_doc(&r.text("document").map_err(q("read case"))?)?;
                    Ok(Some((case, version)))
                }
                None => Ok(None),
            }
        })
    }

    /// Writes a case planned on `version`, with its audit entries and
    /// announcements. False (nothing written) when another writer changed
    /// the case first: the caller reloads and decides again.
    pub async fn update_case(
        &self,
        case: &Case,
        version: i64,
        audit: Vec<AuditEvent>,
        published: Vec<PublishedEvent>,
    ) -> Result<bool, StoreError> {
        let signer = self.signer.as_deref();
        let now = OffsetDateTime::now_utc();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let done = sqlx::query(
                "UPDATE cases SET state = $3, updated_at = $4, expires_at = $5, version = version + 1, \
                 document = $6, approval_pending = $7 WHERE id = $1 AND version = $2",
            )
            .bind(&case.id)
            .bind(version)
            .bind(case.state.as_str())
            .bind(ms(case.updated_at))
            .bind(ms(case.expires_at))
            .bind(case_doc(case))
            .bind(approval_pending(case))
            .execute(&mut *tx)
            .await
            .map_err(q("update case"))?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            enqueue_in_tx!(tx, &published, now);
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit case"))?;
        });
        Ok(true)
    }

    /// Cases changed after the cursor (`updated_at` ms, then ID), oldest
    /// change first, optionally in one state; at most `limit`.
    pub async fn cases_since(
        &self,
        after: Option<(i64, String)>,
        state: Option<CaseState>,
        limit: u32,
    ) -> Result<Vec<Case>, StoreError> {
        let (at, id) = after.unwrap_or((i64::MIN, String::new()));
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT document FROM cases WHERE (updated_at > $1 OR (updated_at = $1 AND id > $2)) \
                 AND ($3 = '' OR state = $3) ORDER BY updated_at, id LIMIT $4",
            )
            .bind(at)
            .bind(&id)
            .bind(state.map_or("", |s| s.as_str()))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("list cases"))?;
            rows.iter()
                .map(|r| case_from_doc(&r.text("document").map_err(q("list cases"))?))
                .collect()
        })
    }

    /// IDs of pending cases whose deadline has passed.
    pub async fn due_cases(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query_scalar(
                "SELECT id FROM cases WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
            )
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("read due cases"))
        })
    }

    /// The audit entries about `subject` (e.g. `case:c_...`), in order.
    pub async fn audit_entries_about(&self, subject: &str) -> Result<Vec<AuditEntry>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(
                "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_entries \
                 WHERE subject = $1 ORDER BY seq",
            )
            .bind(subject)
            .fetch_all(pool)
            .await
            .map_err(q("read timeline"))?
            .iter()
            .map(crate::audit::entry_from)
            .collect()
        })
    }

    /// Subscribes a webhook.
    pub async fn create_webhook(
        &self,
        hook: &Webhook,
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "INSERT INTO webhooks (id, url, secret, events, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&hook.id)
            .bind(&hook.url)
            .bind(&hook.secret)
            .bind(to_json_list(&hook.events))
            .bind(ms(hook.created_at))
            .bind(&hook.created_by)
            .execute(&mut *tx)
            .await
            .map_err(q("create webhook"))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit webhook"))?;
        });
        Ok(())
    }

    /// Every subscription, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query("SELECT * FROM webhooks ORDER BY created_at, id")
                .fetch_all(pool)
                .await
                .map_err(q("list webhooks"))?
                .iter()
                .map(webhook_from)
                .collect()
        })
    }

    /// Stops a subscription (its queued deliveries stop too); false when
    /// there is no such live subscription.
    pub async fn disable_webhook(
        &self,
        id: &str,
        now: OffsetDateTime,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let done = sqlx::query(
                "UPDATE webhooks SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
            )
            .bind(id)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(q("disable webhook"))?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit webhook"))?;
        });
        Ok(true)
    }

    /// Claims up to `limit` due deliveries for `lease`: no other worker
    /// (on any node) takes them until the lease ends, so a worker that
    /// dies mid-delivery only delays them.
    pub async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease: time::Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        // PostgreSQL skips rows another node is claiming; SQLite's write
        // transaction already excludes every other writer.
        let lock = match &self.db {
            Db::Postgres(_) => " FOR UPDATE OF o SKIP LOCKED",
            Db::Sqlite(..) => "",
        };
        let select = format!(
            "SELECT o.id, o.event_id, o.event_type, o.payload, o.attempts, o.webhook_id, w.url, w.secret \
             FROM outbox o JOIN webhooks w ON w.id = o.webhook_id \
             WHERE o.state = 'pending' AND o.next_attempt_at <= $1 \
             AND (o.lease_until IS NULL OR o.lease_until <= $1) AND w.disabled_at IS NULL \
             ORDER BY o.id LIMIT $2{lock}"
        );
        with_db!(&self.db, |pool, begin| {
            // Most wakes find nothing due (no webhook subscribed, or not
            // yet): a read says so without taking the write lock that
            // every recorded verdict waits for.
            let due: Option<i64> = sqlx::query_scalar(
                "SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $1 \
                 AND (o.lease_until IS NULL OR o.lease_until <= $1) LIMIT 1",
            )
            .bind(ms(now))
            .fetch_optional(pool)
            .await
            .map_err(q("find due deliveries"))?;
            if due.is_none() {
                return Ok(Vec::new());
            }
            let mut tx = begin(pool).await?;
            let rows = sqlx::query(&select)
                .bind(ms(now))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await
                .map_err(q("claim deliveries"))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let m = || q("claim deliveries");
                let d = Delivery {
                    outbox_id: r.int("id").map_err(m())?,
                    event_id: r.text("event_id").map_err(m())?,
                    event_type: r.text("event_type").map_err(m())?,
                    payload: r.text("payload").map_err(m())?,
                    attempts: r.int("attempts").map_err(m())? as u32 + 1,
                    webhook_id: r.text("webhook_id").map_err(m())?,
                    url: r.text("url").map_err(m())?,
                    secret: r.text("secret").map_err(m())?,
                };
                sqlx::query(
                    "UPDATE outbox SET lease_until = $2, attempts = attempts + 1 WHERE id = $1",
                )
                .bind(d.outbox_id)
                .bind(ms(now + lease))
                .execute(&mut *tx)
                .await
                .map_err(q("lease delivery"))?;
                out.push(d);
            }
            tx.commit().await.map_err(q("commit claim"))?;
            Ok(out)
        })
    }

    /// Records a delivery attempt and what follows from it.
    pub async fn finish_delivery(
        &self,
        delivery: &Delivery,
        attempt: &DeliveryAttempt,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError> {
        let (state, next, delivered_at) = match outcome {
            DeliveryOutcome::Delivered => ("delivered", None, Some(ms(attempt.attempted_at))),
            DeliveryOutcome::Retry(at) => ("pending", Some(ms(at)), None),
            DeliveryOutcome::GiveUp => ("dead", None, None),
        };
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "UPDATE outbox SET state = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
                 lease_until = NULL, delivered_at = $4, last_error = $5 WHERE id = $1",
            )
            .bind(delivery.outbox_id)
            .bind(state)
            .bind(next)
            .bind(delivered_at)
            .bind(&attempt.error)
            .execute(&mut *tx)
            .await
            .map_err(q("finish delivery"))?;
            sqlx::query(
                "INSERT INTO webhook_attempts (outbox_id, webhook_id, event_id, attempted_at, status, \
                 error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(delivery.outbox_id)
            .bind(&delivery.webhook_id)
            .bind(&delivery.event_id)
            .bind(ms(attempt.attempted_at))
            .bind(attempt.status.map(i64::from))
            .bind(&attempt.error)
            .bind(attempt.duration_ms as i64)
            .execute(&mut *tx)
            .await
            .map_err(q("log delivery"))?;
            tx.commit().await.map_err(q("commit delivery"))?;
        });
        Ok(())
    }

    /// The latest delivery attempts of a subscription, newest first.
    pub async fn delivery_attempts(
        &self,
        webhook_id: &str,
        limit: u32,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT event_id, attempted_at, status, error, duration_ms FROM webhook_attempts \
                 WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(webhook_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("read delivery log"))?;
            rows.iter()
                .map(|r| {
                    let m = || q("read delivery log");
                    Ok(DeliveryAttempt {
                        event_id: r.text("event_id").map_err(m())?,
                        attempted_at: time_from_ms(
                            "webhook_attempts",
                            r.int("attempted_at").map_err(m())?,
                        )?,
                        status: r.opt_int("status").map_err(m())?.map(|s| s as u16),
                        error: r.opt_text("error").map_err(m())?,
                        duration_ms: r.int("duration_ms").map_err(m())?.max(0) as u64,
                    })
                })
                .collect()
        })
    }

    /// Deliveries waiting (pending), for metrics.
    pub async fn outbox_depth(&self) -> Result<i64, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
                .fetch_one(pool)
                .await
                .map_err(q("count outbox"))
        })
    }

    /// The directory's revision: changes whenever a change is committed, so
    /// a node can tell cheaply whether to reload its copy.
    pub async fn directory_revision(&self) -> Result<i64, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query_scalar("SELECT revision FROM directory_meta WHERE id = 1")
                .fetch_one(pool)
                .await
                .map_err(q("read directory revision"))
        })
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query_scalar::<_, i64>("SELECT 1")
                .fetch_one(pool)
                .await
                .map_err(q("ping"))?;
        });
        Ok(())
    }
}

/// The most identities one message is counted against.
const MAX_TARGETS_PER_MESSAGE: usize = 16;
/// The longest identity name kept.
const MAX_TARGET_CHARS: usize = 200;

/// The identities a verdict document's impersonation findings name (their
/// `target`), each once, bounded in number and length.
pub(crate) fn impersonated_in(document: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    // Cheap test first: most verdicts name no target.
    if !document.contains("\"target\"") {
        return out;
    }
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(document) else {
        return out;
    };
    for f in doc["findings"].as_array().into_iter().flatten() {
        let (Some(signal), Some(target)) = (f["signal"].as_str(), f["target"].as_str()) else {
            continue;
        };
        // Impersonation findings, and mail in the name of a protected
        // domain that does not authenticate (a spoof of it).
        let counted =
            signal.starts_with("impersonation.") || signal == "auth.protected_domain_spoofed";
        if !counted || target.trim().is_empty() {
            continue;
        }
        if out.len() >= MAX_TARGETS_PER_MESSAGE {
            break;
        }
        out.insert(target.trim().chars().take(MAX_TARGET_CHARS).collect());
    }
    out
}

#[cfg(test)]
mod impersonated_tests {
    use super::impersonated_in;

    #[test]
    fn targets_of_impersonation_findings_once_each() {
        let doc = r#"{"verdict":"quarantine","findings":[
            {"signal":"impersonation.lookalike_domain","summary":"s","target":"Contoso (vendor)"},
            {"signal":"impersonation.display_name","summary":"s","target":"Contoso (vendor)"},
            {"signal":"impersonation.person","summary":"s","target":"Ann Lee (IT staff)"},
            {"signal":"request.credentials","summary":"s","target":"not an impersonation"},
            {"signal":"auth.protected_domain_spoofed","summary":"s","target":"Acme (organisation)"},
            {"signal":"impersonation.link_text","summary":"s"}]}"#;
        let got: Vec<String> = impersonated_in(doc).into_iter().collect();
        assert_eq!(
            got,
            [
                "Acme (organisation)",
                "Ann Lee (IT staff)",
                "Contoso (vendor)"
            ]
        );
        assert!(impersonated_in(r#"{"findings":[]}"#).is_empty());
        assert!(impersonated_in("not json \"target\"").is_empty());
    }
}
