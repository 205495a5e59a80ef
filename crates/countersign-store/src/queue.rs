//! The console's lists: recorded messages a page at a time, newest first,
//! filtered by verdict, sender and time; pending cases oldest first.
//!
//! Pages are keyset pages: the cursor is the last row's `(received_at,
//! id)`, so page 1,000 costs what page 1 costs. Each filter combination
//! has an index serving its order (migration 0006), and the SQL names only
//! the filters in use so the planner can pick that index.

use crate::backend::{Store, with_db};
use crate::error::{StoreError, q};
use crate::rows::{RowExt, ms, time_from_ms};
use countersign_cases::Case;
use time::OffsetDateTime;

/// Which messages a page lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Only this verdict word (`hold`, `quarantine`, ...).
    pub verdict: Option<String>,
    /// Only this From address (lowercase).
    pub sender: Option<String>,
    /// Received at or after.
    pub since: Option<OffsetDateTime>,
    /// Received before.
    pub until: Option<OffsetDateTime>,
}

/// Where a page starts: strictly before this `(received_at ms, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCursor {
    /// `received_at` in Unix milliseconds.
    pub received_ms: i64,
    /// The message ID.
    pub id: String,
}

/// A message as the queue lists it (no document, no raw bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageListing {
    /// Stable identifier.
    pub id: String,
    /// When it was judged.
    pub received_at: OffsetDateTime,
    /// `api` or `smtp`.
    pub source: String,
    /// The From address.
    pub from_address: Option<String>,
    /// The Subject.
    pub subject: Option<String>,
    /// The verdict word.
    pub verdict: String,
    /// The case it opened.
    pub case_id: Option<String>,
}

impl MessageListing {
    /// The cursor of the page that follows this row.
    pub fn cursor(&self) -> MessageCursor {
        MessageCursor {
            received_ms: ms(self.received_at),
            id: self.id.clone(),
        }
    }
}

impl Store {
    /// At most `limit` messages matching `filter`, newest first, strictly
    /// after `cursor` in that order.
    pub async fn messages_page(
        &self,
        filter: &MessageFilter,
        cursor: Option<&MessageCursor>,
        limit: u32,
    ) -> Result<Vec<MessageListing>, StoreError> {
        let mut sql = String::from(
            "SELECT id, received_at, source, from_address, subject, verdict, case_id FROM messages WHERE 1 = 1",
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.verdict.is_some() {
            sql += &format!(" AND verdict = {}", next());
        }
        if filter.sender.is_some() {
            sql += &format!(" AND from_address = {}", next());
        }
        if filter.since.is_some() {
            sql += &format!(" AND received_at >= {}", next());
        }
        if filter.until.is_some() {
            sql += &format!(" AND received_at < {}", next());
        }
        if cursor.is_some() {
            let (a, b, c) = (next(), next(), next());
            sql += &format!(" AND (received_at < {a} OR (received_at = {b} AND id < {c}))");
        }
        sql += &format!(" ORDER BY received_at DESC, id DESC LIMIT {}", next());
        with_db!(&self.db, |pool, _begin| {
            let mut query = sqlx::query(&sql);
            if let Some(v) = &filter.verdict {
                query = query.bind(v);
            }
            if let Some(s) = &filter.sender {
                query = query.bind(s);
            }
            if let Some(t) = filter.since {
                query = query.bind(ms(t));
            }
            if let Some(t) = filter.until {
                query = query.bind(ms(t));
            }
            if let Some(c) = cursor {
                query = query.bind(c.received_ms).bind(c.received_ms).bind(&c.id);
            }
            let rows = query
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(q("list messages"))?;
            rows.iter()
                .map(|r| {
                    let m = || q("read message listing");
                    Ok(MessageListing {
                        id: r.text("id").map_err(m())?,
                        received_at: time_from_ms("messages", r.int("received_at").map_err(m())?)?,
                        source: r.text("source").map_err(m())?,
                        from_address: r.opt_text("from_address").map_err(m())?,
                        subject: r.opt_text("subject").map_err(m())?,
                        verdict: r.text("verdict").map_err(m())?,
                        case_id: r.opt_text("case_id").map_err(m())?,
                    })
                })
                .collect()
        })
    }

    /// Pending cases, oldest opened first, at most `limit`.
    pub async fn pending_cases_oldest(&self, limit: u32) -> Result<Vec<Case>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT document FROM cases WHERE state = 'pending' ORDER BY opened_at, id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("list pending cases"))?;
            rows.iter()
                .map(|r| {
                    let text = r.text("document").map_err(q("list pending cases"))?;
                    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                        table: "cases",
                        reason: format!("case document: {e}"),
                    })
                })
                .collect()
        })
    }

    /// Pending cases whose dual approval still waits, oldest opened
    /// first, at most `limit`.
    pub async fn approval_pending_cases(&self, limit: u32) -> Result<Vec<Case>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT document FROM cases WHERE approval_pending = 1 ORDER BY opened_at, id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("list cases awaiting approval"))?;
            rows.iter()
                .map(|r| {
                    let text = r
                        .text("document")
                        .map_err(q("list cases awaiting approval"))?;
                    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                        table: "cases",
                        reason: format!("case document: {e}"),
                    })
                })
                .collect()
        })
    }

    /// Messages per (verdict, day) on the UTC day of `since` and after;
    /// days are counted in whole UTC days since the epoch. Read from the
    /// per-day counts every recording keeps, not by counting messages.
    pub async fn verdicts_by_day(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT verdict, day, n FROM message_day_counts WHERE day >= $1 ORDER BY day, verdict",
            )
            .bind(ms(since).div_euclid(86_400_000))
            .fetch_all(pool)
            .await
            .map_err(q("count verdicts by day"))?;
            rows.iter()
                .map(|r| {
                    let m = || q("read verdict counts");
                    Ok((
                        r.text("verdict").map_err(m())?,
                        r.int("day").map_err(m())?,
                        r.int("n").map_err(m())?,
                    ))
                })
                .collect()
        })
    }

    /// The identities most impersonated in messages recorded on the UTC
    /// day of `since` and after, most messages first: `(identity,
    /// messages)`. Read from the per-day counts every recording keeps.
    pub async fn top_impersonated(
        &self,
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT target, CAST(SUM(n) AS BIGINT) AS total FROM impersonation_day_counts \
                 WHERE day >= $1 GROUP BY target ORDER BY total DESC, target LIMIT $2",
            )
            .bind(ms(since).div_euclid(86_400_000))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(q("count impersonated identities"))?;
            rows.iter()
                .map(|r| {
                    let m = || q("read impersonation counts");
                    Ok((r.text("target").map_err(m())?, r.int("total").map_err(m())?))
                })
                .collect()
        })
    }

    /// Pending cases opened before each of `bounds` (ascending times), and
    /// in all: `[before bounds[0], before bounds[1], ..., all]`.
    pub async fn pending_cases_opened_before(
        &self,
        bounds: &[OffsetDateTime; 3],
    ) -> Result<[i64; 4], StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let r = sqlx::query(
                "SELECT \
                 COALESCE(SUM(CASE WHEN opened_at < $1 THEN 1 ELSE 0 END), 0) AS a, \
                 COALESCE(SUM(CASE WHEN opened_at < $2 THEN 1 ELSE 0 END), 0) AS b, \
                 COALESCE(SUM(CASE WHEN opened_at < $3 THEN 1 ELSE 0 END), 0) AS c, \
                 COUNT(*) AS n FROM cases WHERE state = 'pending'",
            )
            .bind(ms(bounds[0]))
            .bind(ms(bounds[1]))
            .bind(ms(bounds[2]))
            .fetch_one(pool)
            .await
            .map_err(q("count pending cases by age"))?;
            let m = || q("read pending case ages");
            Ok([
                r.int("a").map_err(m())?,
                r.int("b").map_err(m())?,
                r.int("c").map_err(m())?,
                r.int("n").map_err(m())?,
            ])
        })
    }

    /// How many pending cases there are.
    pub async fn pending_case_count(&self) -> Result<i64, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE state = 'pending'")
                .fetch_one(pool)
                .await
                .map_err(q("count pending cases"))
        })
    }
}
