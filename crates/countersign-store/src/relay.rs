//! The relay queue: what SMTP ingress sends downstream, kept until it is
//! delivered or bounced, and the quarantine an administrator works on.
//!
//! A relay row is written in the same transaction as the verdict that
//! causes it (or the release, or the bounce), so a crash loses neither.
//! Workers on any node claim due rows under a lease, like the webhook
//! outbox; a worker that dies mid-delivery only delays its rows.

use crate::audit::append_in_tx;
use crate::backend::{Db, Store, with_db};
use crate::error::{StoreError, q};
use crate::rows::{RowExt, json_list, ms, time_from_ms};
use countersign_audit::AuditEvent;
use time::OffsetDateTime;

/// Something to send downstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelay {
    /// Stable identifier.
    pub id: String,
    /// The recorded message it comes from.
    pub message_id: String,
    /// `message` (after the verdict), `release` (from quarantine) or `dsn`
    /// (a bounce to the original sender).
    pub kind: String,
    /// Envelope sender (empty: the null sender).
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
    /// The bytes to send, our headers included.
    pub data: Vec<u8>,
}

/// A due relay row, claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayJob {
    /// Identifier.
    pub id: String,
    /// The recorded message it comes from.
    pub message_id: String,
    /// `message`, `release` or `dsn`.
    pub kind: String,
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
    /// The bytes to send.
    pub data: Vec<u8>,
    /// Attempts, this one included.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: OffsetDateTime,
}

/// What became of a relay attempt.
#[derive(Debug, Clone)]
pub enum RelayOutcome {
    /// Downstream accepted it.
    Delivered,
    /// A temporary failure: try again at this time.
    Retry {
        /// When.
        at: OffsetDateTime,
        /// What went wrong.
        error: String,
    },
    /// A permanent failure (or too old to retry): not tried again. The
    /// bounce to the sender, if any, and the audit entries are written in
    /// the same transaction.
    Bounced {
        /// What went wrong.
        error: String,
        /// The delivery status notification to send.
        dsn: Option<NewRelay>,
        /// Audit entries.
        audit: Vec<AuditEvent>,
    },
}

/// How many relay rows are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayCounts {
    /// Waiting (or being sent).
    pub pending: i64,
    /// Accepted downstream.
    pub delivered: i64,
    /// Refused permanently.
    pub bounced: i64,
}

/// A quarantined message as the quarantine list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedMessage {
    /// The recorded message.
    pub id: String,
    /// When it was judged.
    pub received_at: OffsetDateTime,
    /// The verdict (`quarantine`, or `reject` accepted too late to refuse).
    pub verdict: String,
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
    /// The From address.
    pub from_address: Option<String>,
    /// The Subject.
    pub subject: Option<String>,
    /// Its size in bytes.
    pub size: i64,
}

impl QuarantinedMessage {
    /// The cursor of the page that follows this row.
    pub fn cursor(&self) -> crate::queue::MessageCursor {
        crate::queue::MessageCursor {
            received_ms: crate::rows::ms(self.received_at),
            id: self.id.clone(),
        }
    }
}

/// Inserts a relay row inside transaction `$tx`.
macro_rules! insert_relays_in_tx {
    ($tx:expr, $relays:expr, $now:expr) => {{
        let relays: &[&$crate::relay::NewRelay] = $relays;
        for chunk in relays.chunks($crate::cases::ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO relay_queue (id, message_id, kind, mail_from, rcpt, data, state, attempts, \
                 created_at, next_attempt_at) ",
            );
            qb.push_values(chunk, |mut b, relay| {
                b.push_bind(relay.id.clone())
                    .push_bind(relay.message_id.clone())
                    .push_bind(relay.kind.clone())
                    .push_bind(relay.mail_from.clone())
                    .push_bind($crate::rows::to_json_list(&relay.rcpt))
                    .push_bind(relay.data.clone())
                    .push("'pending'")
                    .push("0")
                    .push_bind($crate::rows::ms($now))
                    .push_bind($crate::rows::ms($now));
            });
            qb.build()
                .execute(&mut *$tx)
                .await
                .map_err($crate::error::q("queue relay"))?;
        }
    }};
}
pub(crate) use insert_relays_in_tx;

/// Messages SMTP ingress accepted and kept: quarantined, or rejected when
/// the verdict came too late to refuse them (a message refused at the
/// SMTP level was never accepted, and API submissions never were either).
const QUARANTINE: &str = "source = 'smtp' AND envelope_digest IS NOT NULL \
    AND verdict IN ('quarantine', 'reject') AND disposition IS NULL AND raw IS NOT NULL";

impl Store {
    /// Whether a message with this envelope digest is recorded already.
    pub async fn message_by_envelope_digest(
        &self,
        digest: &[u8],
    ) -> Result<Option<String>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let row = sqlx::query("SELECT id FROM messages WHERE envelope_digest = $1")
                .bind(digest)
                .fetch_optional(pool)
                .await
                .map_err(q("find message by digest"))?;
            row.map(|r| r.text("id").map_err(q("find message by digest")))
                .transpose()
        })
    }

    /// Claims up to `limit` due relay rows for `lease`.
    pub async fn claim_relays(
        &self,
        owner: &str,
        now: OffsetDateTime,
        lease: time::Duration,
        limit: u32,
    ) -> Result<Vec<RelayJob>, StoreError> {
        let lock = match &self.db {
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Db::Sqlite(..) => "",
        };
        let select = format!(
            "SELECT id, message_id, kind, mail_from, rcpt, data, attempts, created_at FROM relay_queue \
             WHERE state = 'pending' AND next_attempt_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) \
             ORDER BY next_attempt_at LIMIT $2{lock}"
        );
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let rows = sqlx::query(&select)
                .bind(ms(now))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await
                .map_err(q("claim relays"))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let m = || q("claim relays");
                let job = RelayJob {
                    id: r.text("id").map_err(m())?,
                    message_id: r.text("message_id").map_err(m())?,
                    kind: r.text("kind").map_err(m())?,
                    mail_from: r.text("mail_from").map_err(m())?,
                    rcpt: json_list("relay_queue", &r.text("rcpt").map_err(m())?)?,
                    data: r.opt_bytes("data").map_err(m())?.unwrap_or_default(),
                    attempts: r.int("attempts").map_err(m())? as u32 + 1,
                    created_at: time_from_ms("relay_queue", r.int("created_at").map_err(m())?)?,
                };
                sqlx::query(
                    "UPDATE relay_queue SET lease_until = $2, lease_owner = $3, attempts = attempts + 1 \
                     WHERE id = $1",
                )
                .bind(&job.id)
                .bind(ms(now + lease))
                .bind(owner)
                .execute(&mut *tx)
                .await
                .map_err(q("lease relay"))?;
                out.push(job);
            }
            tx.commit().await.map_err(q("commit relay claim"))?;
            Ok(out)
        })
    }

    /// Ends the leases `owner` holds: a node restarting after a crash takes
    /// back the deliveries it had in flight instead of waiting for their
    /// leases to run out. Answers how many.
    pub async fn release_relay_leases(&self, owner: &str) -> Result<u64, StoreError> {
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let n = sqlx::query(
                "UPDATE relay_queue SET lease_until = NULL, lease_owner = NULL \
                 WHERE lease_owner = $1 AND state = 'pending'",
            )
            .bind(owner)
            .execute(&mut *tx)
            .await
            .map_err(q("release relay leases"))?
            .rows_affected();
            tx.commit().await.map_err(q("commit lease release"))?;
            Ok(n)
        })
    }

    /// Records what became of a relay attempt.
    pub async fn finish_relay(
        &self,
        id: &str,
        outcome: RelayOutcome,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.finish_relays(vec![(id.to_owned(), outcome)], now)
            .await
    }

    /// Records what became of many relay attempts, in one transaction (the
    /// relay's group commit: one commit for a wave of deliveries).
    pub async fn finish_relays(
        &self,
        outcomes: Vec<(String, RelayOutcome)>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let mut audit = Vec::new();
            for (id, outcome) in outcomes {
                match outcome {
                    RelayOutcome::Delivered => {
                        sqlx::query(
                            "UPDATE relay_queue SET state = 'delivered', data = NULL, lease_until = NULL, \
                             finished_at = $2, last_error = NULL WHERE id = $1",
                        )
                        .bind(&id)
                        .bind(ms(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(q("finish relay"))?;
                    }
                    RelayOutcome::Retry { at, error } => {
                        sqlx::query(
                            "UPDATE relay_queue SET next_attempt_at = $2, lease_until = NULL, \
                             last_error = $3 WHERE id = $1",
                        )
                        .bind(&id)
                        .bind(ms(at))
                        .bind(&error)
                        .execute(&mut *tx)
                        .await
                        .map_err(q("finish relay"))?;
                    }
                    RelayOutcome::Bounced {
                        error,
                        dsn,
                        audit: events,
                    } => {
                        sqlx::query(
                            "UPDATE relay_queue SET state = 'bounced', data = NULL, lease_until = NULL, \
                             finished_at = $2, last_error = $3 WHERE id = $1",
                        )
                        .bind(&id)
                        .bind(ms(now))
                        .bind(&error)
                        .execute(&mut *tx)
                        .await
                        .map_err(q("finish relay"))?;
                        if let Some(dsn) = &dsn {
                            insert_relays_in_tx!(tx, &[dsn], now);
                        }
                        audit.extend(events);
                    }
                }
            }
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit relay"))?;
        });
        Ok(())
    }

    /// How many relay rows are pending, delivered and bounced.
    pub async fn relay_counts(&self) -> Result<RelayCounts, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM relay_queue GROUP BY state")
                .fetch_all(pool)
                .await
                .map_err(q("count relays"))?;
            let mut counts = RelayCounts::default();
            for r in &rows {
                let n = r.int("n").map_err(q("count relays"))?;
                match r.text("state").map_err(q("count relays"))?.as_str() {
                    "pending" => counts.pending = n,
                    "delivered" => counts.delivered = n,
                    "bounced" => counts.bounced = n,
                    _ => {}
                }
            }
            Ok(counts)
        })
    }

    /// The newest `limit` quarantined messages (see [`Store::quarantine_page`]).
    pub async fn quarantine(&self, limit: u32) -> Result<Vec<QuarantinedMessage>, StoreError> {
        self.quarantine_page(limit, None).await
    }

    /// At most `limit` messages still in quarantine, newest first, strictly
    /// after `cursor` in that order: a keyset page, so a page deep in a
    /// quarantine of 100,000 costs what the first one costs.
    pub async fn quarantine_page(
        &self,
        limit: u32,
        cursor: Option<&crate::queue::MessageCursor>,
    ) -> Result<Vec<QuarantinedMessage>, StoreError> {
        // SQLite's planner, without statistics, prefers the verdict index
        // and sorts every quarantined message; the partial index on this
        // exact condition (migration 0007) reads the newest in order.
        // PostgreSQL's planner has statistics and needs no hint.
        let hint = match self.backend() {
            crate::Backend::Sqlite => "INDEXED BY messages_quarantine",
            crate::Backend::Postgres => "",
        };
        let after = if cursor.is_some() {
            " AND (received_at < $2 OR (received_at = $3 AND id < $4))"
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, received_at, verdict, mail_from, rcpt, from_address, subject, \
             CAST(LENGTH(raw) AS BIGINT) AS size FROM messages {hint} WHERE {QUARANTINE}{after} \
             ORDER BY received_at DESC, id DESC LIMIT $1"
        );
        with_db!(&self.db, |pool, _begin| {
            let mut query = sqlx::query(&sql).bind(i64::from(limit));
            if let Some(c) = cursor {
                query = query.bind(c.received_ms).bind(c.received_ms).bind(&c.id);
            }
            let rows = query.fetch_all(pool).await.map_err(q("read quarantine"))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let m = || q("read quarantine");
                out.push(QuarantinedMessage {
                    id: r.text("id").map_err(m())?,
                    received_at: time_from_ms("messages", r.int("received_at").map_err(m())?)?,
                    verdict: r.text("verdict").map_err(m())?,
                    mail_from: r.text("mail_from").map_err(m())?,
                    rcpt: json_list("messages", &r.text("rcpt").map_err(m())?)?,
                    from_address: r.opt_text("from_address").map_err(m())?,
                    subject: r.opt_text("subject").map_err(m())?,
                    size: r.opt_int("size").map_err(m())?.unwrap_or(0),
                });
            }
            Ok(out)
        })
    }

    /// Releases a quarantined message: marks it released and queues its
    /// relay, with the audit entries, in one transaction. `false` when it
    /// is not (or no longer) in quarantine.
    pub async fn release_quarantined(
        &self,
        id: &str,
        relay: &NewRelay,
        audit: Vec<AuditEvent>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let signer = self.signer.as_deref();
        let sql =
            format!("UPDATE messages SET disposition = 'released' WHERE id = $1 AND {QUARANTINE}");
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let changed = sqlx::query(&sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(q("release message"))?
                .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            insert_relays_in_tx!(tx, &[relay], now);
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit release"))?;
            Ok(true)
        })
    }

    /// Deletes a quarantined message's content (the record and its verdict
    /// stay), with the audit entries. `false` when it is not in quarantine.
    pub async fn delete_quarantined(
        &self,
        id: &str,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        let signer = self.signer.as_deref();
        let sql = format!(
            "UPDATE messages SET disposition = 'deleted', raw = NULL WHERE id = $1 AND {QUARANTINE}"
        );
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let changed = sqlx::query(&sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(q("delete message"))?
                .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit delete"))?;
            Ok(true)
        })
    }

    /// Makes every commit so far durable on disk: SQLite (WAL, synchronous
    /// NORMAL) syncs its log by a checkpoint; PostgreSQL commits are
    /// durable already. Called before the SMTP spool forgets messages.
    pub async fn make_durable(&self) -> Result<(), StoreError> {
        if let Db::Sqlite(pool, gate) = &self.db {
            // A full checkpoint waits out writers with SQLite's sleeping
            // busy handler; holding the gate means there are none.
            let _gate = gate.hold().await?;
            sqlx::query("PRAGMA wal_checkpoint(FULL)")
                .execute(pool)
                .await
                .map_err(q("checkpoint"))?;
        }
        Ok(())
    }
}
