//! Posture of our own domains in the database: DMARC aggregate reports and
//! their records, failure and TLS reports, the sources seen sending as each
//! domain, a reverse DNS cache, and the alerts raised.
//!
//! Writing an aggregate report is one transaction ([`AggregateIngest`]): the
//! report row, its records in batches as they are parsed, its sources, and
//! its audit entry. A report that fails to parse half-way is rolled back:
//! nothing of it is stored. `(reporter, report_id)` makes a report delivered
//! twice a duplicate, reported as such.
//!
//! The read side ([`PostureQuery`] and the `posture_*` methods) returns the
//! domain types of `countersign-posture`, for the CLI today and an HTTP
//! layer later.

use crate::backend::{Store, with_db};
use crate::error::{StoreError, q};
use crate::rows::{RowExt, ms};
use countersign_audit::{AuditEvent, InstallationKey};
use countersign_posture::alerts::{self, Alert, AlertPolicy, NewSource};
use countersign_posture::chart::Bucket;
use countersign_posture::{
    Aligned, Disposition, DkimAuth, DkimResult, FailureReport, OverrideReason, Reason, Record,
    ReportHeader, ReportSummary, SourceAggregator, SourceReport, SpfAuth, SpfResult, SpfScope,
    TlsReportSummary, Volume,
};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, QueryBuilder, Sqlite};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Records per stored chunk (one row of `posture_record_chunks`).
const RECORD_BATCH: usize = 1000;
/// Sources per upsert statement.
const SOURCE_BATCH: usize = 2000;
/// Sources held before they are written mid-report (bounds memory).
const SOURCE_FLUSH: usize = 50_000;

/// The audit action of a stored aggregate report.
pub const AGGREGATE_INGEST: &str = "posture.report.ingest";
/// The audit action of a stored failure report.
pub const FAILURE_INGEST: &str = "posture.failure.ingest";
/// The audit action of a stored TLS report.
pub const TLS_INGEST: &str = "posture.tls.ingest";

/// Which reports a query looks at: one domain (all by default), and report
/// periods starting in `[since, until)` (Unix seconds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostureQuery {
    /// Our domain, as published (the report's `policy_published/domain`).
    pub domain: Option<String>,
    /// Reports whose period begins at or after this time.
    pub since: Option<i64>,
    /// Reports whose period begins before this time.
    pub until: Option<i64>,
}

impl PostureQuery {
    /// Appends `WHERE ...` over the reports table aliased `alias`.
    fn push_where<'q, DB: sqlx::Database>(&'q self, qb: &mut QueryBuilder<'q, DB>, alias: &str)
    where
        String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        qb.push(" WHERE 1 = 1");
        if let Some(d) = &self.domain {
            qb.push(format!(" AND {alias}.domain = "))
                .push_bind(d.to_ascii_lowercase());
        }
        if let Some(s) = self.since {
            qb.push(format!(" AND {alias}.begin_at >= "))
                .push_bind(s.saturating_mul(1000));
        }
        if let Some(u) = self.until {
            qb.push(format!(" AND {alias}.begin_at < "))
                .push_bind(u.saturating_mul(1000));
        }
    }
}

/// A stored aggregate report, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredReport {
    /// Row id.
    pub id: i64,
    /// Who reported (deduplication key with `report_id`).
    pub reporter: String,
    /// The reporter's report ID.
    pub report_id: String,
    /// Our domain.
    pub domain: String,
    /// Period start, Unix seconds.
    pub begin: i64,
    /// Period end, Unix seconds.
    pub end: i64,
    /// Totals.
    pub volume: Volume,
    /// Warnings kept with the report (what was recovered from).
    pub warnings: Vec<String>,
    /// Where it came from (file, maildir message, IMAP UID).
    pub origin: String,
}

/// Totals for one of our domains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainSummary {
    /// The domain.
    pub domain: String,
    /// Aggregate reports stored.
    pub reports: u64,
    /// Earliest period start (Unix seconds).
    pub first: i64,
    /// Latest period end (Unix seconds).
    pub last: i64,
    /// Totals.
    pub volume: Volume,
}

/// What storing a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Stored {
    /// Stored under this row id.
    Stored {
        /// Row id.
        id: i64,
    },
    /// Already stored (same reporter and report ID, or same failure report).
    Duplicate {
        /// Row id of the stored one.
        id: i64,
    },
}

/// A stored failure report, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFailure {
    /// Row id.
    pub id: i64,
    /// Arrival of the failing message, Unix seconds.
    pub arrival: Option<i64>,
    /// The report.
    pub report: FailureReport,
}

/// A stored TLS report, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredTls {
    /// Row id.
    pub id: i64,
    /// Reporting organisation.
    pub organization: String,
    /// Its report ID.
    pub report_id: String,
    /// Period start, Unix seconds.
    pub begin: i64,
    /// Period end, Unix seconds.
    pub end: i64,
    /// Successful sessions.
    pub successful: u64,
    /// Failed sessions.
    pub failed: u64,
    /// Per-policy results (JSON as stored).
    pub policies: serde_json::Value,
}

/// The DKIM and SPF results and override reasons of a record, as stored:
/// `{"d":[[domain,selector,result,human]],"s":[[domain,scope,result,human]],
/// "r":[[type,comment]]}`, empty lists left out. Compact, because a large
/// report writes it once per record.
#[derive(Deserialize, Default)]
struct AuthStored {
    #[serde(default)]
    d: Vec<(String, Option<String>, String, Option<String>)>,
    #[serde(default)]
    s: Vec<(String, Option<String>, String, Option<String>)>,
    #[serde(default)]
    r: Vec<(String, Option<String>)>,
}

/// Appends `text` as a JSON string.
fn json_str(out: &mut String, text: &str) {
    out.push('"');
    if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        // The common case: nothing to escape.
        out.push_str(text);
    } else {
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

fn json_opt(out: &mut String, text: Option<&str>) {
    match text {
        Some(t) => json_str(out, t),
        None => out.push_str("null"),
    }
}

/// The auth column of a record (see [`AuthStored`]).
fn auth_json(out: &mut String, r: &Record) {
    out.push('{');
    let mut first = true;
    let mut key = |out: &mut String, k: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        let _ = write!(out, "\"{k}\":[");
    };
    if !r.dkim_auth.is_empty() {
        key(out, "d");
        for (i, d) in r.dkim_auth.iter().enumerate() {
            out.push_str(if i == 0 { "[" } else { ",[" });
            json_str(out, &d.domain);
            out.push(',');
            json_opt(out, d.selector.as_deref());
            out.push(',');
            json_str(out, d.result.as_str());
            out.push(',');
            json_opt(out, d.human_result.as_deref());
            out.push(']');
        }
        out.push(']');
    }
    if !r.spf_auth.is_empty() {
        key(out, "s");
        for (i, p) in r.spf_auth.iter().enumerate() {
            out.push_str(if i == 0 { "[" } else { ",[" });
            json_str(out, &p.domain);
            out.push(',');
            json_opt(out, p.scope.map(|x| x.as_str()));
            out.push(',');
            json_str(out, p.result.as_str());
            out.push(',');
            json_opt(out, p.human_result.as_deref());
            out.push(']');
        }
        out.push(']');
    }
    if !r.reasons.is_empty() {
        key(out, "r");
        for (i, x) in r.reasons.iter().enumerate() {
            out.push_str(if i == 0 { "[" } else { ",[" });
            json_str(out, x.kind.as_str());
            out.push(',');
            json_opt(out, x.comment.as_deref());
            out.push(']');
        }
        out.push(']');
    }
    out.push('}');
}

/// A record as stored in a chunk's `data`: the JSON array `[ip, count,
/// disposition, dkim, spf, header_from, envelope_from, envelope_to, auth]`.
fn record_json(out: &mut String, r: &Record) {
    let _ = write!(
        out,
        "[\"{}\",{},\"{}\",\"{}\",\"{}\",",
        r.source_ip,
        i64::try_from(r.count).unwrap_or(i64::MAX),
        r.disposition.as_str(),
        r.dkim.as_str(),
        r.spf.as_str()
    );
    json_str(out, &r.header_from);
    out.push(',');
    json_opt(out, r.envelope_from.as_deref());
    out.push(',');
    json_opt(out, r.envelope_to.as_deref());
    out.push(',');
    auth_json(out, r);
    out.push(']');
}

/// An open write transaction of either engine.
enum Tx {
    Sqlite(WriteTx<Sqlite>),
    Postgres(WriteTx<Postgres>),
}

macro_rules! with_tx {
    ($tx:expr, |$t:ident| $body:expr) => {
        match $tx {
            Tx::Sqlite($t) => $body,
            Tx::Postgres($t) => $body,
        }
    };
}

/// How [`Store::begin_aggregate`] went.
pub enum Begin {
    /// Write the records with [`AggregateIngest::add`], then commit.
    Started(Box<AggregateIngest>),
    /// The report is stored already: nothing to write.
    Duplicate {
        /// Row id of the stored report.
        id: i64,
    },
}

/// One aggregate report being written in a transaction of its own; see the
/// module documentation. Dropping it without [`Self::commit`] rolls
/// everything back.
pub struct AggregateIngest {
    batch: PostureBatch,
}

/// The report of a [`PostureBatch`] being written.
struct OpenReport {
    id: i64,
    seq: i64,
    domain: String,
    reporter: String,
    report_id: String,
    begin_ms: i64,
    end_ms: i64,
    sources: HashMap<IpAddr, (u64, u64)>,
    origin: String,
    /// Opened with a savepoint (records arrive in several parts): undone
    /// alone by [`PostureBatch::abort_report`].
    savepoint: bool,
}

/// Several aggregate reports written in one write transaction: one commit
/// (and one append to the audit chain, in the same transaction) for all of
/// them instead of one per report. A report whose records arrive in parts
/// is written inside a savepoint ([`Self::begin_report`]), so a report that
/// breaks half-way is undone alone while the others of the batch stay; a
/// report read whole is written in one go ([`Self::store_aggregate`]).
/// Nothing is stored until [`Self::commit`]; dropping the batch rolls all
/// of it back.
pub struct PostureBatch {
    tx: Tx,
    signer: Option<Arc<InstallationKey>>,
    /// Audit entries of the reports written, appended at commit.
    events: Vec<AuditEvent>,
    opened: Instant,
    report: Option<OpenReport>,
    /// The JSON batch buffer, reused.
    payload: String,
}

/// Outcome of inserting a report's row.
enum Inserted {
    New(i64),
    Duplicate(i64),
}

const INSERT_REPORT: &str = "INSERT INTO posture_reports (reporter, report_id, org_name, email, domain, begin_at, end_at, header, \
     records, messages, dmarc_pass, dkim_aligned, spf_aligned, quarantined, rejected, warnings, origin, ingested_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
     ON CONFLICT (reporter, report_id) DO NOTHING RETURNING id";
const EXISTING_REPORT: &str =
    "SELECT id FROM posture_reports WHERE reporter = $1 AND report_id = $2";
const SAVEPOINT: &str = "SAVEPOINT posture_report";
const RELEASE: &str = "RELEASE SAVEPOINT posture_report";
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT posture_report";

fn clamp(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

/// The warnings kept with a report, as stored (JSON list).
fn warnings_of(summary: &ReportSummary) -> Vec<String> {
    let mut warnings: Vec<String> = summary.warnings.iter().map(|w| w.to_string()).collect();
    if summary.warnings_dropped > 0 {
        warnings.push(format!("{} more warning(s)", summary.warnings_dropped));
    }
    warnings
}

impl Store {
    /// Starts writing an aggregate report whose header was read, in a
    /// transaction of its own. Returns [`Begin::Duplicate`] when the same
    /// reporter's report ID is stored.
    pub async fn begin_aggregate(
        &self,
        header: &ReportHeader,
        origin: &str,
        now: OffsetDateTime,
    ) -> Result<Begin, StoreError> {
        let mut batch = self.posture_batch().await?;
        match batch.begin_report(header, origin, now).await? {
            Some(id) => {
                batch.rollback().await?;
                Ok(Begin::Duplicate { id })
            }
            None => Ok(Begin::Started(Box::new(AggregateIngest { batch }))),
        }
    }

    /// Opens a write transaction for several reports (see [`PostureBatch`]).
    pub async fn posture_batch(&self) -> Result<PostureBatch, StoreError> {
        let tx = match &self.db {
            crate::backend::Db::Sqlite(pool, gate) => {
                Tx::Sqlite(begin_sqlite(pool.clone(), gate.clone()).await?)
            }
            crate::backend::Db::Postgres(pool) => Tx::Postgres(begin_pg(pool).await?),
        };
        Ok(PostureBatch {
            tx,
            signer: self.signer.clone(),
            events: Vec::new(),
            opened: Instant::now(),
            report: None,
            payload: String::new(),
        })
    }
}

use crate::backend::{WriteTx, begin_pg, begin_sqlite};

impl AggregateIngest {
    /// Row id the report will have.
    pub fn id(&self) -> i64 {
        self.batch.report.as_ref().map_or(0, |r| r.id)
    }

    /// Writes records (in report order).
    pub async fn add(&mut self, records: &[Record]) -> Result<(), StoreError> {
        self.batch.add(records).await
    }

    /// Completes the report: its totals and warnings, its sources, and its
    /// audit entry by `actor`, then commits. Returns the row id.
    pub async fn commit(
        mut self,
        summary: &ReportSummary,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let id = self.batch.finish_report(summary, actor, now).await?;
        self.batch.commit().await?;
        Ok(id)
    }

    /// Discards everything written for this report.
    pub async fn abort(self) -> Result<(), StoreError> {
        self.batch.rollback().await
    }
}

impl PostureBatch {
    /// How long the transaction has been open (it holds the write lock).
    pub fn age(&self) -> Duration {
        self.opened.elapsed()
    }

    /// Reports written (whole) so far, awaiting [`Self::commit`].
    pub fn written(&self) -> usize {
        self.events.len()
    }

    /// Inserts the report's row (with its totals when known), or finds the
    /// stored one with the same reporter and report ID.
    async fn insert_report(
        &mut self,
        header: &ReportHeader,
        origin: &str,
        now: OffsetDateTime,
        summary: Option<&ReportSummary>,
    ) -> Result<Inserted, StoreError> {
        let reporter = header.reporter();
        let md = &header.metadata;
        let header_json = serde_json::to_string(header).unwrap_or_else(|_| "{}".into());
        let v = summary.map(|s| s.volume).unwrap_or_default();
        let warnings = crate::rows::to_json_list(&summary.map(warnings_of).unwrap_or_default());
        with_tx!(&mut self.tx, |tx| {
            let id: Option<i64> = sqlx::query_scalar(INSERT_REPORT)
                .bind(&reporter)
                .bind(&md.report_id)
                .bind(&md.org_name)
                .bind(&md.email)
                .bind(&header.policy.domain)
                .bind(md.begin.saturating_mul(1000))
                .bind(md.end.saturating_mul(1000))
                .bind(&header_json)
                .bind(clamp(v.records))
                .bind(clamp(v.messages))
                .bind(clamp(v.dmarc_pass))
                .bind(clamp(v.dkim_aligned))
                .bind(clamp(v.spf_aligned))
                .bind(clamp(v.quarantined))
                .bind(clamp(v.rejected))
                .bind(&warnings)
                .bind(origin)
                .bind(ms(now))
                .fetch_optional(&mut **tx)
                .await
                .map_err(q("insert aggregate report"))?;
            match id {
                Some(id) => Ok(Inserted::New(id)),
                None => {
                    let id: i64 = sqlx::query_scalar(EXISTING_REPORT)
                        .bind(&reporter)
                        .bind(&md.report_id)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err(q("find duplicate report"))?;
                    Ok(Inserted::Duplicate(id))
                }
            }
        })
    }

    fn open(&mut self, header: &ReportHeader, id: i64, origin: &str, savepoint: bool) {
        let md = &header.metadata;
        self.report = Some(OpenReport {
            id,
            seq: 0,
            domain: header.policy.domain.clone(),
            reporter: header.reporter(),
            report_id: md.report_id.clone(),
            begin_ms: md.begin.saturating_mul(1000),
            end_ms: md.end.saturating_mul(1000),
            sources: HashMap::new(),
            origin: origin.to_owned(),
            savepoint,
        });
    }

    async fn statement(&mut self, sql: &'static str) -> Result<(), StoreError> {
        with_tx!(&mut self.tx, |tx| {
            sqlx::query(sql)
                .execute(&mut **tx)
                .await
                .map_err(q("posture report savepoint"))?;
        });
        Ok(())
    }

    /// Stores a report read whole (its header, every record and its
    /// summary), unless the same reporter's report ID is stored already.
    pub async fn store_aggregate(
        &mut self,
        header: &ReportHeader,
        records: &[Record],
        summary: &ReportSummary,
        origin: &str,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Stored, StoreError> {
        debug_assert!(self.report.is_none(), "a report is open");
        let id = match self
            .insert_report(header, origin, now, Some(summary))
            .await?
        {
            Inserted::Duplicate(id) => return Ok(Stored::Duplicate { id }),
            Inserted::New(id) => id,
        };
        self.open(header, id, origin, false);
        self.add(records).await?;
        self.close_report(summary, actor, now, false).await?;
        Ok(Stored::Stored { id })
    }

    /// Starts a report whose records come in parts ([`Self::add`], then
    /// [`Self::finish_report`] or [`Self::abort_report`]), inside a
    /// savepoint. Returns the stored report's id when it is a duplicate.
    pub async fn begin_report(
        &mut self,
        header: &ReportHeader,
        origin: &str,
        now: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        debug_assert!(self.report.is_none(), "a report is open");
        self.statement(SAVEPOINT).await?;
        match self.insert_report(header, origin, now, None).await? {
            Inserted::Duplicate(id) => {
                self.statement(RELEASE).await?;
                Ok(Some(id))
            }
            Inserted::New(id) => {
                self.open(header, id, origin, true);
                Ok(None)
            }
        }
    }

    /// Writes records of the open report (in report order).
    pub async fn add(&mut self, records: &[Record]) -> Result<(), StoreError> {
        let Some(report) = self.report.as_mut() else {
            return Err(StoreError::Corrupt {
                table: "posture_reports",
                reason: "records without an open report".into(),
            });
        };
        let mut payload = std::mem::take(&mut self.payload);
        for chunk in records.chunks(RECORD_BATCH) {
            payload.clear();
            payload.push('[');
            for (i, r) in chunk.iter().enumerate() {
                if i > 0 {
                    payload.push(',');
                }
                record_json(&mut payload, r);
            }
            payload.push(']');
            let (id, first_seq, n) = (report.id, report.seq, chunk.len() as i64);
            let data = payload.as_str();
            with_tx!(&mut self.tx, |tx| {
                sqlx::query(
                    "INSERT INTO posture_record_chunks (report, first_seq, records, data) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(first_seq)
                .bind(n)
                .bind(data)
                .execute(&mut **tx)
                .await
                .map_err(q("insert report records"))?;
            });
            report.seq += n;
            for r in chunk {
                let e = report.sources.entry(r.source_ip).or_insert((0, 0));
                e.0 = e.0.saturating_add(r.count);
                if r.dmarc_pass() {
                    e.1 = e.1.saturating_add(r.count);
                }
            }
            if report.sources.len() >= SOURCE_FLUSH {
                Self::flush_sources(&mut self.tx, report, &mut payload).await?;
            }
        }
        self.payload = payload;
        Ok(())
    }

    /// Adds the sources held so far to `posture_sources` (one JSON
    /// parameter per batch, as for records).
    async fn flush_sources(
        tx: &mut Tx,
        report: &mut OpenReport,
        payload: &mut String,
    ) -> Result<(), StoreError> {
        const UPSERT: &str = " ON CONFLICT (domain, source_ip) DO UPDATE SET \
             first_seen = CASE WHEN excluded.first_seen < posture_sources.first_seen \
                 THEN excluded.first_seen ELSE posture_sources.first_seen END, \
             last_seen = CASE WHEN excluded.last_seen > posture_sources.last_seen \
                 THEN excluded.last_seen ELSE posture_sources.last_seen END, \
             messages = posture_sources.messages + excluded.messages, \
             dmarc_pass = posture_sources.dmarc_pass + excluded.dmarc_pass";
        let sources: Vec<(IpAddr, (u64, u64))> = report.sources.drain().collect();
        for chunk in sources.chunks(SOURCE_BATCH) {
            payload.clear();
            payload.push('[');
            for (i, (ip, (messages, pass))) in chunk.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(
                    payload,
                    "{sep}[\"{ip}\",{},{}]",
                    clamp(*messages),
                    clamp(*pass)
                );
            }
            payload.push(']');
            let (domain, begin, end, id) =
                (&report.domain, report.begin_ms, report.end_ms, report.id);
            match &mut *tx {
                Tx::Sqlite(tx) => {
                    sqlx::query(&format!(
                        "INSERT INTO posture_sources (domain, source_ip, first_seen, last_seen, first_report, \
                         messages, dmarc_pass) SELECT $1, value ->> 0, $2, $3, $4, value ->> 1, value ->> 2 \
                         FROM json_each($5) WHERE true{UPSERT}"
                    ))
                    .bind(domain.as_str())
                    .bind(begin)
                    .bind(end)
                    .bind(id)
                    .bind(payload.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(q("record report sources"))?;
                }
                Tx::Postgres(tx) => {
                    sqlx::query(&format!(
                        "INSERT INTO posture_sources (domain, source_ip, first_seen, last_seen, first_report, \
                         messages, dmarc_pass) SELECT $1, t.x ->> 0, $2, $3, $4, (t.x ->> 1)::BIGINT, \
                         (t.x ->> 2)::BIGINT FROM json_array_elements($5::JSON) AS t(x){UPSERT}"
                    ))
                    .bind(domain.as_str())
                    .bind(begin)
                    .bind(end)
                    .bind(id)
                    .bind(payload.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(q("record report sources"))?;
                }
            }
        }
        Ok(())
    }

    /// Completes the open report begun with [`Self::begin_report`]: its
    /// totals and warnings, its sources, and its audit entry by `actor`
    /// (appended at commit). Returns the row id.
    pub async fn finish_report(
        &mut self,
        summary: &ReportSummary,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        self.close_report(summary, actor, now, true).await
    }

    async fn close_report(
        &mut self,
        summary: &ReportSummary,
        actor: &str,
        now: OffsetDateTime,
        write_totals: bool,
    ) -> Result<i64, StoreError> {
        let Some(mut report) = self.report.take() else {
            return Err(StoreError::Corrupt {
                table: "posture_reports",
                reason: "no open report to complete".into(),
            });
        };
        let mut payload = std::mem::take(&mut self.payload);
        Self::flush_sources(&mut self.tx, &mut report, &mut payload).await?;
        self.payload = payload;
        let v = &summary.volume;
        let warnings = warnings_of(summary);
        let id = report.id;
        if write_totals {
            let warnings_json = crate::rows::to_json_list(&warnings);
            with_tx!(&mut self.tx, |tx| {
                sqlx::query(
                    "UPDATE posture_reports SET records = $1, messages = $2, dmarc_pass = $3, dkim_aligned = $4, \
                     spf_aligned = $5, quarantined = $6, rejected = $7, warnings = $8 WHERE id = $9",
                )
                .bind(clamp(v.records))
                .bind(clamp(v.messages))
                .bind(clamp(v.dmarc_pass))
                .bind(clamp(v.dkim_aligned))
                .bind(clamp(v.spf_aligned))
                .bind(clamp(v.quarantined))
                .bind(clamp(v.rejected))
                .bind(&warnings_json)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(q("complete aggregate report"))?;
            });
        }
        if report.savepoint {
            self.statement(RELEASE).await?;
        }
        self.events.push(AuditEvent::new(
            now,
            actor,
            AGGREGATE_INGEST,
            format!("domain:{}", report.domain),
            serde_json::json!({
                "report": id,
                "reporter": report.reporter,
                "report_id": report.report_id,
                "begin": report.begin_ms / 1000,
                "end": report.end_ms / 1000,
                "records": v.records,
                "messages": v.messages,
                "dmarc_pass": v.dmarc_pass,
                "warnings": warnings.len(),
                "origin": report.origin,
            }),
        ));
        Ok(id)
    }

    /// Undoes everything written for the open report (begun with
    /// [`Self::begin_report`]); the rest of the batch stays.
    pub async fn abort_report(&mut self) -> Result<(), StoreError> {
        if let Some(report) = self.report.take()
            && report.savepoint
        {
            self.statement(ROLLBACK_TO).await?;
            self.statement(RELEASE).await?;
        }
        Ok(())
    }

    /// Appends the audit entries of the reports written and commits them
    /// all. A report still open is rolled back first.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.finish(false).await.map(|_| ())
    }

    /// [`Self::commit`], and with the store's installation key also signs a
    /// checkpoint of the audit chain's new head in the same transaction
    /// (what `countersign audit checkpoint` would do next). Returns whether
    /// it signed one.
    pub async fn commit_sealed(self) -> Result<bool, StoreError> {
        self.finish(true).await
    }

    async fn finish(mut self, seal: bool) -> Result<bool, StoreError> {
        self.abort_report().await?;
        let signer = self.signer.clone();
        let events = std::mem::take(&mut self.events);
        let sealed = with_tx!(self.tx, |tx| {
            let mut tx = tx;
            let entries = crate::audit::append_in_tx!(tx, events, signer.as_deref());
            let mut sealed = false;
            if seal && let (Some(key), Some(last)) = (signer.as_deref(), entries.last()) {
                let cp = key.sign_checkpoint(last.seq, &last.hash, OffsetDateTime::now_utc());
                crate::audit::insert_checkpoint!(tx, cp);
                sealed = true;
            }
            tx.commit().await.map_err(q("commit aggregate reports"))?;
            sealed
        });
        Ok(sealed)
    }

    /// Discards the whole batch.
    pub async fn rollback(self) -> Result<(), StoreError> {
        with_tx!(self.tx, |tx| tx
            .rollback()
            .await
            .map_err(q("roll back aggregate reports")))
    }
}

/// A stored record: see [`record_json`].
type StoredRow = (
    String,
    u64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    AuthStored,
);

/// The records of a stored chunk, with the period of their report.
fn chunk_from<R: RowExt>(r: &R) -> Result<(Vec<Record>, i64, i64, i64), StoreError> {
    let m = || q("read report records");
    let corrupt = |reason: String| StoreError::Corrupt {
        table: "posture_record_chunks",
        reason,
    };
    let data = r.text("data").map_err(m())?;
    let rows: Vec<StoredRow> =
        serde_json::from_str(&data).map_err(|e| corrupt(format!("records: {e}")))?;
    let records = rows
        .into_iter()
        .map(|row| record_of(row).map_err(corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        records,
        r.int("first_seq").map_err(m())?,
        r.int("begin_at").map_err(m())? / 1000,
        r.int("end_at").map_err(m())? / 1000,
    ))
}

fn record_of(row: StoredRow) -> Result<Record, String> {
    let (ip, count, disposition, dkim, spf, header_from, envelope_from, envelope_to, auth) = row;
    let source_ip: IpAddr = ip.parse().map_err(|_| format!("source_ip {ip:?}"))?;
    Ok(Record {
        source_ip,
        count,
        disposition: Disposition::from_stored(&disposition),
        dkim: Aligned::from_stored(&dkim),
        spf: Aligned::from_stored(&spf),
        reasons: auth
            .r
            .into_iter()
            .map(|(kind, comment)| Reason {
                kind: OverrideReason::from_stored(&kind),
                comment,
            })
            .collect(),
        header_from,
        envelope_from,
        envelope_to,
        dkim_auth: auth
            .d
            .into_iter()
            .map(|(domain, selector, result, human_result)| DkimAuth {
                domain,
                selector,
                result: DkimResult::from_stored(&result),
                human_result,
            })
            .collect(),
        spf_auth: auth
            .s
            .into_iter()
            .map(|(domain, scope, result, human_result)| SpfAuth {
                domain,
                scope: scope.map(|x| SpfScope::from_stored(&x)),
                result: SpfResult::from_stored(&result),
                human_result,
            })
            .collect(),
    })
}

fn volume_from<R: RowExt>(r: &R, context: &'static str) -> Result<Volume, StoreError> {
    let g = |c: &str| -> Result<u64, StoreError> {
        Ok(u64::try_from(r.opt_int(c).map_err(q(context))?.unwrap_or(0)).unwrap_or(0))
    };
    Ok(Volume {
        records: g("records")?,
        messages: g("messages")?,
        dmarc_pass: g("dmarc_pass")?,
        dkim_aligned: g("dkim_aligned")?,
        spf_aligned: g("spf_aligned")?,
        quarantined: g("quarantined")?,
        rejected: g("rejected")?,
    })
}

/// SHA-256 of a failure report's JSON: what makes two deliveries the same.
fn fingerprint(report: &FailureReport) -> String {
    let json = serde_json::to_vec(report).unwrap_or_default();
    ring::digest::digest(&ring::digest::SHA256, &json)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Stores a failure report (with its audit entry), unless the same
    /// report is stored already.
    pub async fn store_failure(
        &self,
        report: &FailureReport,
        origin: &str,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Stored, StoreError> {
        let fp = fingerprint(report);
        let details = serde_json::to_string(report).unwrap_or_else(|_| "{}".into());
        let event = AuditEvent::new(
            now,
            actor,
            FAILURE_INGEST,
            format!(
                "domain:{}",
                report.reported_domain.as_deref().unwrap_or("unknown")
            ),
            serde_json::json!({
                "source_ip": report.source_ip.map(|i| i.to_string()),
                "auth_failure": report.auth_failure,
                "reporter": report.reporter,
                "origin": origin,
            }),
        );
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO posture_failures (fingerprint, reporter, reported_domain, source_ip, arrival_at, \
                 feedback_type, auth_failure, original_from, original_mail_from, original_subject, details, origin, ingested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
            )
            .bind(&fp)
            .bind(report.reporter.as_deref())
            .bind(report.reported_domain.as_deref())
            .bind(report.source_ip.map(|i| i.to_string()))
            .bind(report.arrival_date.map(|s| s.saturating_mul(1000)))
            .bind(&report.feedback_type)
            .bind(report.auth_failure.as_deref())
            .bind(report.original_from.as_deref())
            .bind(report.original_mail_from.as_deref())
            .bind(report.original_subject.as_deref())
            .bind(&details)
            .bind(origin)
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(q("insert failure report"))?;
            match id {
                Some(id) => {
                    let _ = crate::audit::append_in_tx!(tx, vec![event], signer);
                    tx.commit().await.map_err(q("commit failure report"))?;
                    Ok(Stored::Stored { id })
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "SELECT id FROM posture_failures WHERE fingerprint = $1",
                    )
                    .bind(&fp)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(q("find duplicate failure report"))?;
                    tx.rollback().await.map_err(q("end duplicate"))?;
                    Ok(Stored::Duplicate { id })
                }
            }
        })
    }

    /// Stores a TLS report (with its audit entry), unless the same
    /// organisation's report ID is stored already.
    pub async fn store_tls(
        &self,
        report: &TlsReportSummary,
        origin: &str,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Stored, StoreError> {
        let (ok, failed) = report.totals();
        let policies = serde_json::to_string(&report.policies).unwrap_or_else(|_| "[]".into());
        let whole = serde_json::to_string(&report.report).unwrap_or_else(|_| "{}".into());
        let domains: Vec<&str> = report
            .policies
            .iter()
            .map(|p| p.policy_domain.as_str())
            .collect();
        let event = AuditEvent::new(
            now,
            actor,
            TLS_INGEST,
            format!("domain:{}", domains.first().copied().unwrap_or("unknown")),
            serde_json::json!({
                "organization": report.organization,
                "report_id": report.report_id,
                "successful": ok,
                "failed": failed,
                "origin": origin,
            }),
        );
        let signer = self.signer.as_deref();
        let n = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO posture_tls_reports (organization, report_id, contact, begin_at, end_at, successful, failed, \
                 policies, report, origin, ingested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (organization, report_id) DO NOTHING RETURNING id",
            )
            .bind(&report.organization)
            .bind(&report.report_id)
            .bind(report.contact.as_deref())
            .bind(report.begin.saturating_mul(1000))
            .bind(report.end.saturating_mul(1000))
            .bind(n(ok))
            .bind(n(failed))
            .bind(&policies)
            .bind(&whole)
            .bind(origin)
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(q("insert TLS report"))?;
            match id {
                Some(id) => {
                    let _ = crate::audit::append_in_tx!(tx, vec![event], signer);
                    tx.commit().await.map_err(q("commit TLS report"))?;
                    Ok(Stored::Stored { id })
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "SELECT id FROM posture_tls_reports WHERE organization = $1 AND report_id = $2",
                    )
                    .bind(&report.organization)
                    .bind(&report.report_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(q("find duplicate TLS report"))?;
                    tx.rollback().await.map_err(q("end duplicate"))?;
                    Ok(Stored::Duplicate { id })
                }
            }
        })
    }

    /// Our domains with stored aggregate reports, and their totals.
    pub async fn posture_domains(&self) -> Result<Vec<DomainSummary>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(
                "SELECT domain, COUNT(*) AS reports, MIN(begin_at) AS first, MAX(end_at) AS last, \
                 CAST(SUM(records) AS BIGINT) AS records, CAST(SUM(messages) AS BIGINT) AS messages, \
                 CAST(SUM(dmarc_pass) AS BIGINT) AS dmarc_pass, CAST(SUM(dkim_aligned) AS BIGINT) AS dkim_aligned, \
                 CAST(SUM(spf_aligned) AS BIGINT) AS spf_aligned, CAST(SUM(quarantined) AS BIGINT) AS quarantined, \
                 CAST(SUM(rejected) AS BIGINT) AS rejected \
                 FROM posture_reports GROUP BY domain ORDER BY domain",
            )
            .fetch_all(pool)
            .await
            .map_err(q("list posture domains"))?
            .iter()
            .map(|r| {
                let m = || q("list posture domains");
                Ok(DomainSummary {
                    domain: r.text("domain").map_err(m())?,
                    reports: r.int("reports").map_err(m())? as u64,
                    first: r.int("first").map_err(m())? / 1000,
                    last: r.int("last").map_err(m())? / 1000,
                    volume: volume_from(r, "list posture domains")?,
                })
            })
            .collect()
        })
    }

    /// Stored aggregate reports, newest period first, at most `limit`.
    pub async fn posture_reports(
        &self,
        query: &PostureQuery,
        limit: u64,
    ) -> Result<Vec<StoredReport>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let mut qb = QueryBuilder::new(
                "SELECT p.id, p.reporter, p.report_id, p.domain, p.begin_at, p.end_at, p.records, p.messages, \
                 p.dmarc_pass, p.dkim_aligned, p.spf_aligned, p.quarantined, p.rejected, p.warnings, p.origin \
                 FROM posture_reports p",
            );
            query.push_where(&mut qb, "p");
            qb.push(" ORDER BY p.begin_at DESC, p.id DESC LIMIT ")
                .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
            qb.build()
                .fetch_all(pool)
                .await
                .map_err(q("list aggregate reports"))?
                .iter()
                .map(|r| {
                    let m = || q("list aggregate reports");
                    Ok(StoredReport {
                        id: r.int("id").map_err(m())?,
                        reporter: r.text("reporter").map_err(m())?,
                        report_id: r.text("report_id").map_err(m())?,
                        domain: r.text("domain").map_err(m())?,
                        begin: r.int("begin_at").map_err(m())? / 1000,
                        end: r.int("end_at").map_err(m())? / 1000,
                        volume: volume_from(r, "list aggregate reports")?,
                        warnings: crate::rows::json_list(
                            "posture_reports",
                            &r.text("warnings").map_err(m())?,
                        )?,
                        origin: r.text("origin").map_err(m())?,
                    })
                })
                .collect()
        })
    }

    /// Records of the stored report `id`, in report order, from `offset`,
    /// at most `limit`.
    pub async fn posture_report_records(
        &self,
        id: i64,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        let (offset, limit) = (
            i64::try_from(offset).unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX),
        );
        let mut out = Vec::new();
        with_db!(&self.db, |pool, _begin| {
            let mut rows = sqlx::query(
                "SELECT c.first_seq, c.data, p.begin_at, p.end_at FROM posture_record_chunks c \
                 JOIN posture_reports p ON p.id = c.report \
                 WHERE c.report = $1 AND c.first_seq + c.records > $2 AND c.first_seq < $2 + $3 \
                 ORDER BY c.first_seq",
            )
            .bind(id)
            .bind(offset)
            .bind(limit)
            .fetch(pool);
            while let Some(row) = rows.try_next().await.map_err(q("read report records"))? {
                let (records, first, _, _) = chunk_from(&row)?;
                for (i, r) in records.into_iter().enumerate() {
                    let seq = first + i as i64;
                    if seq >= offset && (out.len() as i64) < limit {
                        out.push(r);
                    }
                }
            }
        });
        Ok(out)
    }

    /// The per-source view of the selected reports, streamed from the
    /// records (memory: one entry per source, at most `max_sources`).
    pub async fn posture_sources(
        &self,
        query: &PostureQuery,
        max_sources: usize,
    ) -> Result<SourceReport, StoreError> {
        let mut agg = SourceAggregator::new(max_sources);
        with_db!(&self.db, |pool, _begin| {
            let mut qb = QueryBuilder::new(
                "SELECT c.first_seq, c.data, p.begin_at, p.end_at FROM posture_reports p \
                 JOIN posture_record_chunks c ON c.report = p.id",
            );
            query.push_where(&mut qb, "p");
            let mut rows = qb.build().fetch(pool);
            while let Some(row) = rows.try_next().await.map_err(q("read report records"))? {
                let (records, _, begin, end) = chunk_from(&row)?;
                for record in &records {
                    agg.add(record, begin, end);
                }
            }
        });
        Ok(agg.finish())
    }

    /// Volume per period of `bucket` seconds over the selected reports, by
    /// the start of each report's period; empty periods in between are
    /// included so that a chart shows gaps. At most 10,000 buckets.
    pub async fn posture_timeline(
        &self,
        query: &PostureQuery,
        bucket: i64,
    ) -> Result<Vec<Bucket>, StoreError> {
        let bucket = bucket.max(3600);
        let mut sums: std::collections::BTreeMap<i64, Volume> = std::collections::BTreeMap::new();
        with_db!(&self.db, |pool, _begin| {
            let mut qb = QueryBuilder::new(
                "SELECT p.begin_at, p.records, p.messages, p.dmarc_pass, p.dkim_aligned, p.spf_aligned, \
                 p.quarantined, p.rejected FROM posture_reports p",
            );
            query.push_where(&mut qb, "p");
            let mut rows = qb.build().fetch(pool);
            while let Some(row) = rows.try_next().await.map_err(q("read report totals"))? {
                let begin = row.int("begin_at").map_err(q("read report totals"))? / 1000;
                let v = volume_from(&row, "read report totals")?;
                sums.entry(begin.div_euclid(bucket) * bucket)
                    .or_default()
                    .merge(&v);
            }
        });
        let (Some(&first), Some(&last)) = (sums.keys().next(), sums.keys().next_back()) else {
            return Ok(Vec::new());
        };
        let span = (last - first) / bucket + 1;
        let out = if span <= 10_000 {
            (0..span)
                .map(|i| {
                    let start = first + i * bucket;
                    Bucket {
                        start,
                        volume: sums.get(&start).copied().unwrap_or_default(),
                    }
                })
                .collect()
        } else {
            sums.into_iter()
                .map(|(start, volume)| Bucket { start, volume })
                .collect()
        };
        Ok(out)
    }

    /// Stored failure reports for the query's domain (by reported domain)
    /// and arrival time, newest first.
    pub async fn posture_failures(
        &self,
        query: &PostureQuery,
        limit: u64,
    ) -> Result<Vec<StoredFailure>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let mut qb = QueryBuilder::new(
                "SELECT f.id, f.arrival_at, f.details FROM posture_failures f WHERE 1 = 1",
            );
            if let Some(d) = &query.domain {
                qb.push(" AND f.reported_domain = ")
                    .push_bind(d.to_ascii_lowercase());
            }
            if let Some(s) = query.since {
                qb.push(" AND f.arrival_at >= ")
                    .push_bind(s.saturating_mul(1000));
            }
            if let Some(u) = query.until {
                qb.push(" AND f.arrival_at < ")
                    .push_bind(u.saturating_mul(1000));
            }
            qb.push(" ORDER BY f.arrival_at DESC, f.id DESC LIMIT ")
                .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
            qb.build()
                .fetch_all(pool)
                .await
                .map_err(q("list failure reports"))?
                .iter()
                .map(|r| {
                    let m = || q("list failure reports");
                    let details = r.text("details").map_err(m())?;
                    Ok(StoredFailure {
                        id: r.int("id").map_err(m())?,
                        arrival: r.opt_int("arrival_at").map_err(m())?.map(|v| v / 1000),
                        report: serde_json::from_str(&details).map_err(|e| {
                            StoreError::Corrupt {
                                table: "posture_failures",
                                reason: e.to_string(),
                            }
                        })?,
                    })
                })
                .collect()
        })
    }

    /// Stored TLS reports by period start, newest first.
    pub async fn posture_tls(
        &self,
        query: &PostureQuery,
        limit: u64,
    ) -> Result<Vec<StoredTls>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let mut qb = QueryBuilder::new(
                "SELECT t.id, t.organization, t.report_id, t.begin_at, t.end_at, t.successful, t.failed, t.policies \
                 FROM posture_tls_reports t WHERE 1 = 1",
            );
            if let Some(s) = query.since {
                qb.push(" AND t.begin_at >= ")
                    .push_bind(s.saturating_mul(1000));
            }
            if let Some(u) = query.until {
                qb.push(" AND t.begin_at < ")
                    .push_bind(u.saturating_mul(1000));
            }
            if let Some(d) = &query.domain {
                // Policies are JSON; the domain appears as a quoted string.
                qb.push(" AND t.policies LIKE ").push_bind(format!(
                    "%\"policy_domain\":\"{}\"%",
                    d.to_ascii_lowercase()
                ));
            }
            qb.push(" ORDER BY t.begin_at DESC, t.id DESC LIMIT ")
                .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
            qb.build()
                .fetch_all(pool)
                .await
                .map_err(q("list TLS reports"))?
                .iter()
                .map(|r| {
                    let m = || q("list TLS reports");
                    let policies = r.text("policies").map_err(m())?;
                    Ok(StoredTls {
                        id: r.int("id").map_err(m())?,
                        organization: r.text("organization").map_err(m())?,
                        report_id: r.text("report_id").map_err(m())?,
                        begin: r.int("begin_at").map_err(m())? / 1000,
                        end: r.int("end_at").map_err(m())? / 1000,
                        successful: r.int("successful").map_err(m())? as u64,
                        failed: r.int("failed").map_err(m())? as u64,
                        policies: serde_json::from_str(&policies).map_err(|e| {
                            StoreError::Corrupt {
                                table: "posture_tls_reports",
                                reason: e.to_string(),
                            }
                        })?,
                    })
                })
                .collect()
        })
    }

    /// Cached reverse DNS answers younger than `max_age_secs`: `Some(None)`
    /// means "no PTR record", a missing key means "not cached".
    pub async fn rdns_cached(
        &self,
        ips: &[IpAddr],
        max_age_secs: i64,
        now: OffsetDateTime,
    ) -> Result<HashMap<IpAddr, Option<String>>, StoreError> {
        let oldest = ms(now) - max_age_secs.saturating_mul(1000);
        let mut out = HashMap::new();
        for chunk in ips.chunks(500) {
            with_db!(&self.db, |pool, _begin| {
                let mut qb =
                    QueryBuilder::new("SELECT ip, name FROM posture_rdns WHERE looked_up_at >= ");
                qb.push_bind(oldest).push(" AND ip IN (");
                let mut sep = qb.separated(", ");
                for ip in chunk {
                    sep.push_bind(ip.to_string());
                }
                qb.push(")");
                for r in qb
                    .build()
                    .fetch_all(pool)
                    .await
                    .map_err(q("read reverse DNS cache"))?
                {
                    let ip = r.text("ip").map_err(q("read reverse DNS cache"))?;
                    if let Ok(ip) = ip.parse::<IpAddr>() {
                        out.insert(ip, r.opt_text("name").map_err(q("read reverse DNS cache"))?);
                    }
                }
            });
        }
        Ok(out)
    }

    /// Remembers reverse DNS answers (`None`: the address has no name).
    pub async fn rdns_remember(
        &self,
        answers: &[(IpAddr, Option<String>)],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        for chunk in answers.chunks(500) {
            with_db!(&self.db, |pool, begin| {
                let mut tx = begin(pool).await?;
                let mut qb =
                    QueryBuilder::new("INSERT INTO posture_rdns (ip, name, looked_up_at) ");
                qb.push_values(chunk, |mut b, (ip, name)| {
                    b.push_bind(ip.to_string())
                        .push_bind(name.clone())
                        .push_bind(ms(now));
                });
                qb.push(
                    " ON CONFLICT (ip) DO UPDATE SET name = excluded.name, looked_up_at = excluded.looked_up_at",
                );
                qb.build()
                    .execute(&mut *tx)
                    .await
                    .map_err(q("write reverse DNS cache"))?;
                tx.commit().await.map_err(q("commit reverse DNS cache"))?;
            });
        }
        Ok(())
    }

    /// Evaluates the alerts after a run that stored the aggregate reports
    /// `report_ids`, for each domain they cover, and raises (audits) those
    /// not raised before, in one transaction. Returns the alerts raised.
    pub async fn raise_posture_alerts(
        &self,
        report_ids: &[i64],
        policy: &AlertPolicy,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        if report_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut batch = self.posture_batch().await?;
        let raised = batch.raise_alerts(report_ids, policy, actor, now).await?;
        batch.commit().await?;
        Ok(raised)
    }
}

impl PostureBatch {
    /// [`Store::raise_posture_alerts`] inside this batch, which wrote (some
    /// of) `report_ids`: the alerts and their audit entries are committed
    /// with the reports, and their webhook events queued in the same
    /// transaction.
    pub async fn raise_alerts(
        &mut self,
        report_ids: &[i64],
        policy: &AlertPolicy,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        let (Some(&min), Some(&max)) = (report_ids.iter().min(), report_ids.iter().max()) else {
            return Ok(Vec::new());
        };
        let run: HashSet<i64> = report_ids.iter().copied().collect();
        let mut events = Vec::new();
        let raised = with_tx!(&mut self.tx, |tx| {
            let tx = &mut **tx;
            let domains: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT domain FROM posture_reports WHERE id >= $1 AND id <= $2 ORDER BY domain",
            )
            .bind(min)
            .bind(max)
            .fetch_all(&mut *tx)
            .await
            .map_err(q("read run domains"))?;
            let mut raised = Vec::new();
            let mut published = Vec::new();
            for domain in domains {
                // Whether the domain had reports before this run: one row
                // answers, however many there are.
                let earlier: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM posture_reports WHERE domain = $1 AND id < $2 LIMIT 1) AS t",
                )
                .bind(&domain)
                .bind(min)
                .fetch_one(&mut *tx)
                .await
                .map_err(q("read domain baseline"))?;
                let mut candidates = Vec::new();
                if earlier > 0 {
                    let mut rows = sqlx::query(
                        "SELECT source_ip, messages, dmarc_pass, first_seen, first_report FROM posture_sources \
                         WHERE domain = $1 AND first_report >= $2 AND first_report <= $3 AND messages > dmarc_pass",
                    )
                    .bind(&domain)
                    .bind(min)
                    .bind(max)
                    .fetch(&mut *tx);
                    while let Some(r) = rows.try_next().await.map_err(q("read new sources"))? {
                        let m = || q("read new sources");
                        if !run.contains(&r.int("first_report").map_err(m())?) {
                            continue;
                        }
                        let ip = r.text("source_ip").map_err(m())?;
                        let Ok(ip) = ip.parse::<IpAddr>() else {
                            continue;
                        };
                        candidates.push(NewSource {
                            ip,
                            messages: r.int("messages").map_err(m())? as u64,
                            dmarc_pass: r.int("dmarc_pass").map_err(m())? as u64,
                            first_seen: r.int("first_seen").map_err(m())? / 1000,
                        });
                    }
                }
                let mut alerts =
                    alerts::new_source_alerts(&domain, earlier > 0, &candidates, policy);
                let latest_end: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(end_at) FROM posture_reports WHERE domain = $1")
                        .bind(&domain)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(q("read latest report"))?;
                if let Some(latest_end) = latest_end {
                    let (recent_from, recent_to, baseline_from) =
                        alerts::share_windows(latest_end / 1000, policy);
                    let window = |from: i64, to: i64| {
                        sqlx::query(
                            "SELECT CAST(SUM(records) AS BIGINT) AS records, CAST(SUM(messages) AS BIGINT) AS messages, \
                             CAST(SUM(dmarc_pass) AS BIGINT) AS dmarc_pass, CAST(SUM(dkim_aligned) AS BIGINT) AS dkim_aligned, \
                             CAST(SUM(spf_aligned) AS BIGINT) AS spf_aligned, CAST(SUM(quarantined) AS BIGINT) AS quarantined, \
                             CAST(SUM(rejected) AS BIGINT) AS rejected FROM posture_reports \
                             WHERE domain = $1 AND begin_at >= $2 AND begin_at < $3",
                        )
                        .bind(domain.clone())
                        .bind(from * 1000)
                        .bind(to * 1000)
                    };
                    let recent = window(recent_from, recent_to)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(q("read recent volume"))?;
                    let recent = volume_from(&recent, "read recent volume")?;
                    let baseline = window(baseline_from, recent_from)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(q("read baseline volume"))?;
                    let baseline = volume_from(&baseline, "read baseline volume")?;
                    alerts.extend(alerts::share_drop_alert(
                        &domain,
                        (recent_from, recent_to),
                        &recent,
                        &baseline,
                        policy,
                    ));
                }
                for alert in alerts {
                    let fresh: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO posture_alerts (domain, action, alert_key, raised_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (domain, action, alert_key) DO NOTHING RETURNING raised_at",
                    )
                    .bind(&domain)
                    .bind(alert.action())
                    .bind(alert.key())
                    .bind(ms(now))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(q("record alert"))?;
                    if fresh.is_some() {
                        events.push(AuditEvent::new(
                            now,
                            actor,
                            alert.action(),
                            alert.subject(),
                            alert.details(),
                        ));
                        published.push(alert_event(&alert, now));
                        raised.push(alert);
                    }
                }
            }
            crate::cases::enqueue_in_tx!(tx, &published, now);
            Ok::<_, StoreError>(raised)
        })?;
        self.events.extend(events);
        Ok(raised)
    }
}

/// The webhook event for an alert. Its ID is derived from what makes the
/// alert unique (domain, action, key), so a receiver can deduplicate even
/// across nodes.
fn alert_event(alert: &Alert, now: OffsetDateTime) -> crate::cases::PublishedEvent {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{}\n{}\n{}", alert.domain(), alert.action(), alert.key()).as_bytes(),
    );
    let event_id = format!(
        "evt_posture_{}",
        digest.as_ref()[..16]
            .iter()
            .fold(String::with_capacity(32), |mut h, b| {
                let _ = write!(h, "{b:02x}");
                h
            })
    );
    let payload = serde_json::json!({
        "id": event_id,
        "type": alert.action(),
        "occurred_at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "domain": alert.domain(),
        "alert": alert.details(),
    })
    .to_string();
    crate::cases::PublishedEvent {
        event_id,
        event_type: alert.action().to_owned(),
        payload,
    }
}
