//! The audit log in the database: appending under the chain-head lock,
//! signing checkpoints, streaming verification and export.

use crate::backend::{Db, Store, with_db};
use crate::error::{StoreError, q};
use crate::rows::{RowExt, time_from_ms};
use countersign_audit::{
    AuditEntry, AuditError, AuditEvent, AuditSink, Breach, ChainHead, ChainVerifier, Checkpoint,
    Hash, InstallationKey, VerifyReport, VerifyingKey,
};
use futures_util::TryStreamExt;
use std::io::Write;
use time::OffsetDateTime;

pub(crate) fn to_hash(table: &'static str, bytes: Vec<u8>) -> Result<Hash, StoreError> {
    bytes.try_into().map_err(|b: Vec<u8>| StoreError::Corrupt {
        table,
        reason: format!("hash of {} bytes", b.len()),
    })
}

pub(crate) fn entry_from<R: RowExt>(r: &R) -> Result<AuditEntry, StoreError> {
    let m = || q("read audit entry");
    let seq = r.int("seq").map_err(m())?;
    Ok(AuditEntry {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt {
            table: "audit_entries",
            reason: format!("negative seq {seq}"),
        })?,
        at: time_from_ms("audit_entries", r.int("at").map_err(m())?)?,
        actor: r.text("actor").map_err(m())?,
        action: r.text("action").map_err(m())?,
        subject: r.text("subject").map_err(m())?,
        details: r.text("details").map_err(m())?,
        prev_hash: to_hash("audit_entries", r.bytes("prev_hash").map_err(m())?)?,
        hash: to_hash("audit_entries", r.bytes("hash").map_err(m())?)?,
    })
}

fn checkpoint_from<R: RowExt>(r: &R) -> Result<Checkpoint, StoreError> {
    let m = || q("read checkpoint");
    Ok(Checkpoint {
        seq: r.int("seq").map_err(m())? as u64,
        entry_hash: r.bytes("entry_hash").map_err(m())?,
        at: time_from_ms("audit_checkpoints", r.int("at").map_err(m())?)?,
        key_id: r.text("key_id").map_err(m())?,
        signature: r.bytes("signature").map_err(m())?,
    })
}

/// Appends events inside an open write transaction `$tx`: locks the chain
/// head row (serialising every appender, in every process), chains the
/// entries after it, inserts them in batches, moves the head and, when due,
/// signs a checkpoint. Evaluates to the new entries.
macro_rules! append_in_tx {
    ($tx:expr, $events:expr, $signer:expr) => {{
        let events: Vec<countersign_audit::AuditEvent> = $events;
        let mut out: Vec<countersign_audit::AuditEntry> = Vec::with_capacity(events.len());
        if !events.is_empty() {
            use $crate::rows::RowExt as _;
            let n = events.len() as i64;
            let row = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(n)
                .fetch_one(&mut *$tx)
                .await
                .map_err($crate::error::q("lock audit head"))?;
            let new_seq = row.int("seq").map_err($crate::error::q("lock audit head"))?;
            let mut prev = $crate::audit::to_hash("audit_head", row.bytes("hash").map_err($crate::error::q("lock audit head"))?)?;
            let mut seq = (new_seq - n) as u64;
            for ev in &events {
                let e = countersign_audit::AuditEntry::chain(seq, prev, ev);
                seq = e.seq;
                prev = e.hash;
                out.push(e);
            }
            // 8 parameters a row; 500 rows stay far below both engines'
            // parameter limits while saving round trips.
            for chunk in out.chunks(500) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO audit_entries (seq, at, actor, action, subject, details, prev_hash, hash) ",
                );
                qb.push_values(chunk, |mut b, e| {
                    b.push_bind(e.seq as i64)
                        .push_bind($crate::rows::ms(e.at))
                        .push_bind(e.actor.clone())
                        .push_bind(e.action.clone())
                        .push_bind(e.subject.clone())
                        .push_bind(e.details.clone())
                        .push_bind(e.prev_hash.to_vec())
                        .push_bind(e.hash.to_vec());
                });
                qb.build().execute(&mut *$tx).await.map_err($crate::error::q("insert audit entries"))?;
            }
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(prev.to_vec())
                .execute(&mut *$tx)
                .await
                .map_err($crate::error::q("move audit head"))?;
            if let Some(key) = $signer {
                let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_checkpoints")
                    .fetch_one(&mut *$tx)
                    .await
                    .map_err($crate::error::q("read checkpoints"))?;
                if seq.saturating_sub(last.unwrap_or(0) as u64) >= $crate::CHECKPOINT_EVERY {
                    let cp = key.sign_checkpoint(seq, &prev, time::OffsetDateTime::now_utc());
                    $crate::audit::insert_checkpoint!($tx, cp);
                }
            }
        }
        out
    }};
}
pub(crate) use append_in_tx;

macro_rules! insert_checkpoint {
    ($tx:expr, $cp:expr) => {{
        let cp: countersign_audit::Checkpoint = $cp;
        // Two nodes may sign the same entry at once; one checkpoint suffices.
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, entry_hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (seq) DO NOTHING",
        )
        .bind(cp.seq as i64)
        .bind(cp.entry_hash.clone())
        .bind($crate::rows::ms(cp.at))
        .bind(cp.key_id.clone())
        .bind(cp.signature.clone())
        .execute(&mut *$tx)
        .await
        .map_err($crate::error::q("insert checkpoint"))?;
    }};
}
pub(crate) use insert_checkpoint;

#[async_trait::async_trait]
impl AuditSink for Store {
    async fn append(&self, events: Vec<AuditEvent>) -> Result<Vec<AuditEntry>, AuditError> {
        let signer = self.signer.as_deref();
        let entries = with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let out = append_in_tx!(tx, events, signer);
            tx.commit().await.map_err(q("commit audit append"))?;
            out
        });
        Ok(entries)
    }
}

/// Chain verification over one consistent read of the log.
macro_rules! verify_in_tx {
    ($tx:expr, $key:expr) => {{
        let head_row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *$tx)
            .await
            .map_err(q("read audit head"))?;
        let head = ChainHead {
            seq: head_row.int("seq").map_err(q("read audit head"))? as u64,
            hash: to_hash("audit_head", head_row.bytes("hash").map_err(q("read audit head"))?)?,
        };
        let cps = sqlx::query("SELECT seq, entry_hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq")
            .fetch_all(&mut *$tx)
            .await
            .map_err(q("read checkpoints"))?
            .iter()
            .map(checkpoint_from)
            .collect::<Result<Vec<_>, _>>()?;
        match ChainVerifier::new($key, cps) {
            Err(breach) => Err(breach),
            Ok(mut verifier) => {
                let mut rows = sqlx::query(
                    "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_entries ORDER BY seq",
                )
                .fetch(&mut *$tx);
                let mut broken = None;
                while let Some(row) = rows.try_next().await.map_err(q("read audit entries"))? {
                    if let Err(b) = verifier.push(&entry_from(&row)?) {
                        broken = Some(b);
                        break;
                    }
                }
                drop(rows);
                match broken {
                    Some(b) => Err(b),
                    None => verifier.finish(head),
                }
            }
        }
    }};
}

impl Store {
    /// The latest entry's position and hash.
    pub async fn audit_head(&self) -> Result<ChainHead, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await
                .map_err(q("read audit head"))?;
            Ok(ChainHead {
                seq: row.int("seq").map_err(q("read audit head"))? as u64,
                hash: to_hash(
                    "audit_head",
                    row.bytes("hash").map_err(q("read audit head"))?,
                )?,
            })
        })
    }

    /// Signs a checkpoint for the latest entry unless one exists already.
    /// Called after every command that wrote to the log, so that history is
    /// sealed as soon as it is made.
    pub async fn checkpoint(
        &self,
        key: &InstallationKey,
        now: OffsetDateTime,
    ) -> Result<Option<Checkpoint>, StoreError> {
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await
                .map_err(q("read audit head"))?;
            let seq = row.int("seq").map_err(q("read audit head"))? as u64;
            let hash = to_hash(
                "audit_head",
                row.bytes("hash").map_err(q("read audit head"))?,
            )?;
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM audit_checkpoints WHERE seq = $1")
                    .bind(seq as i64)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(q("read checkpoints"))?;
            if seq == 0 || exists.is_some() {
                return Ok(None);
            }
            let cp = key.sign_checkpoint(seq, &hash, now);
            insert_checkpoint!(tx, cp.clone());
            tx.commit().await.map_err(q("commit checkpoint"))?;
            Ok(Some(cp))
        })
    }

    /// All signed checkpoints, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(
                "SELECT seq, entry_hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq",
            )
            .fetch_all(pool)
            .await
            .map_err(q("read checkpoints"))?
            .iter()
            .map(checkpoint_from)
            .collect()
        })
    }

    /// Entries with `seq >= from`, at most `limit`, in order.
    pub async fn audit_entries(
        &self,
        from: u64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(
                "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_entries \
                 WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(from as i64)
            .bind(limit as i64)
            .fetch_all(pool)
            .await
            .map_err(q("read audit entries"))?
            .iter()
            .map(entry_from)
            .collect()
        })
    }

    /// Entries matching the filters (each optional: an action prefix, an
    /// exact actor, an exact subject), newest first, strictly before
    /// `before` (a sequence number), at most `limit`.
    pub async fn audit_search(
        &self,
        action_prefix: Option<&str>,
        actor: Option<&str>,
        subject: Option<&str>,
        before: Option<u64>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql = String::from(
            "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_entries WHERE 1 = 1",
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if action_prefix.is_some() {
            sql += &format!(" AND action LIKE {}", next());
        }
        if actor.is_some() {
            sql += &format!(" AND actor = {}", next());
        }
        if subject.is_some() {
            sql += &format!(" AND subject = {}", next());
        }
        if before.is_some() {
            sql += &format!(" AND seq < {}", next());
        }
        sql += &format!(" ORDER BY seq DESC LIMIT {}", next());
        // `%` is dropped from the prefix; `_` still matches any one
        // character, which only widens a prefix search slightly.
        let prefix = action_prefix.map(|p| format!("{}%", p.replace('%', "")));
        with_db!(&self.db, |pool, _begin| {
            let mut query = sqlx::query(&sql);
            if let Some(p) = &prefix {
                query = query.bind(p);
            }
            if let Some(a) = actor {
                query = query.bind(a);
            }
            if let Some(s) = subject {
                query = query.bind(s);
            }
            if let Some(b) = before {
                query = query.bind(b as i64);
            }
            query
                .bind(limit as i64)
                .fetch_all(pool)
                .await
                .map_err(q("search audit entries"))?
                .iter()
                .map(entry_from)
                .collect()
        })
    }

    /// The key that verifies this installation's checkpoints, when the
    /// store was opened with it.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        self.signer.as_ref().map(|k| k.verifying_key())
    }

    /// Walks the whole chain against the checkpoints and the chain head, in
    /// one consistent read, with constant memory. The outer `Result` is the
    /// database failing; the inner one is the answer: intact, or the first
    /// breach.
    pub async fn verify_audit(
        &self,
        key: VerifyingKey,
    ) -> Result<Result<VerifyReport, Breach>, StoreError> {
        match &self.db {
            Db::Sqlite(pool, _) => {
                // A deferred transaction reads one WAL snapshot throughout.
                let mut tx = pool.begin().await.map_err(q("begin"))?;
                let out = verify_in_tx!(tx, key);
                tx.rollback().await.map_err(q("end read"))?;
                Ok(out)
            }
            Db::Postgres(pool) => {
                let mut tx = pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
                    .map_err(q("begin"))?;
                let out = verify_in_tx!(tx, key);
                tx.rollback().await.map_err(q("end read"))?;
                Ok(out)
            }
        }
    }

    /// Writes every entry as one JSON object per line (details as JSON, hashes
    /// as hex), for a SIEM. Returns the number of entries written.
    pub async fn export_audit(&self, out: &mut (dyn Write + Send)) -> Result<u64, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let mut rows = sqlx::query(
                "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_entries ORDER BY seq",
            )
            .fetch(pool);
            let mut n = 0u64;
            while let Some(row) = rows.try_next().await.map_err(q("read audit entries"))? {
                let e = entry_from(&row)?;
                let details: serde_json::Value = serde_json::from_str(&e.details)
                    .unwrap_or(serde_json::Value::String(e.details.clone()));
                let line = serde_json::json!({
                    "seq": e.seq,
                    "at": e.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "details": details,
                    "prev_hash": data_hex(&e.prev_hash),
                    "hash": data_hex(&e.hash),
                });
                writeln!(out, "{line}").map_err(|source| StoreError::Export { source })?;
                n += 1;
            }
            Ok(n)
        })
    }
}

fn data_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
