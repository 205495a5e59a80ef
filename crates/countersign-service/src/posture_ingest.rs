//! The report ingest pipeline: inputs (files, folders, mailbox messages)
//! parsed on a thread of their own and stored by the async side as the
//! records arrive, through a bounded channel: memory stays at a few
//! batches whatever the size of a report, and parsing and storing overlap.
//!
//! Used by `countersign dmarc ingest` and by the API's report upload
//! ([`crate::Services::ingest_posture_reports`]).

use countersign_posture::alerts::{Alert, AlertPolicy};
use countersign_posture::{
    AggregateError, AggregateReader, ExtractError, ExtractLimits, FailureReport, Found, Record,
    ReportHeader, ReportSummary, TlsReportSummary, extract,
};
use countersign_store::{PostureBatch, Store, StoreError, Stored};
use serde::Serialize;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// Records per message on the channel.
const BATCH: usize = 1000;
/// Messages in flight on the channel.
const IN_FLIGHT: usize = 3;

/// Something to read reports from.
#[derive(Debug)]
pub enum Input {
    /// A file (XML, gzip, zip, JSON or a mail message).
    Path(PathBuf),
    /// A raw RFC 5322 message fetched from a mailbox; `origin` names it.
    Message {
        /// Where it came from (maildir file, IMAP UID).
        origin: String,
        /// The message.
        raw: Vec<u8>,
    },
}

impl Input {
    /// How the input is named in results.
    pub fn origin(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Message { origin, .. } => origin.clone(),
        }
    }
}

/// What happened to one report (or to an input without one).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Index of the input in the list given.
    #[serde(skip)]
    pub input: usize,
    /// The input's name.
    pub file: String,
    /// `aggregate`, `failure`, `tls`, or `none` when nothing was read.
    pub kind: &'static str,
    /// How the report was packed (`mail/zip/xml`, ...).
    pub via: String,
    /// Reporting organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// The reporter's report ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// Our domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Records read.
    pub records: u64,
    /// Messages they count.
    pub messages: u64,
    /// `stored`, `duplicate`, `parsed` (dry run) or `error`.
    pub status: &'static str,
    /// Row id when stored or duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// What went wrong, naming the input and the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the parser recovered from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Outcome {
    fn new(input: usize, file: &str, kind: &'static str, via: &[&str]) -> Self {
        Self {
            input,
            file: file.to_owned(),
            kind,
            via: via.join("/"),
            reporter: None,
            report_id: None,
            domain: None,
            records: 0,
            messages: 0,
            status: "error",
            id: None,
            error: None,
            warnings: Vec::new(),
        }
    }
}

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Parse only; store nothing.
    pub dry_run: bool,
    /// Who the audit entries name.
    pub actor: String,
    /// Evaluate alerts after storing (`None`: do not).
    pub alerts: Option<AlertPolicy>,
    /// Bounds on inputs.
    pub limits: ExtractLimits,
    /// Sign a checkpoint of the audit chain's head with the store's key in
    /// the run's last transaction ([`IngestRun::sealed`]).
    pub seal: bool,
}

/// What an ingest run did.
#[derive(Debug, Default)]
pub struct IngestRun {
    /// One per report (or per input that held none).
    pub outcomes: Vec<Outcome>,
    /// Alerts raised.
    pub alerts: Vec<Alert>,
    /// Whether anything was written (the audit head then wants sealing).
    pub wrote: bool,
    /// Whether the run's last transaction signed a checkpoint of the audit
    /// head (asked with [`IngestOptions::seal`]; not when the run's last
    /// write was a failure or TLS report, stored on its own).
    pub sealed: bool,
}

/// Why an ingest run stopped. A report that fails to parse is not an
/// error of the run: it is an [`Outcome`] with status `error`.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The store refused a write; the reports of the transaction being
    /// written (none of them yet told as stored) were not kept.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The parser thread could not be started.
    #[error("cannot start the report parser: {0}")]
    Spawn(std::io::Error),
    /// The parser thread panicked.
    #[error("the report parser stopped unexpectedly")]
    ParserStopped,
}

/// Parser thread to store side.
enum Msg {
    Begin {
        input: usize,
        via: Vec<&'static str>,
        header: Box<ReportHeader>,
    },
    Records(Vec<Record>),
    End(Box<ReportSummary>),
    /// The current aggregate report broke: discard it.
    Abort(String),
    Failure {
        input: usize,
        via: Vec<&'static str>,
        report: Box<FailureReport>,
    },
    Tls {
        input: usize,
        via: Vec<&'static str>,
        report: Box<TlsReportSummary>,
    },
    /// An input is done; `error` when it failed outside a report.
    Done {
        input: usize,
        reports: usize,
        error: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
enum ParseError {
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
    #[error("stopped")]
    Closed,
}

/// Counts bytes read, for the progress bar.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// The parser thread: every input, every report in it, records in batches.
/// `skip` holds the sequence number of a report the store side found to be
/// a duplicate: its remaining records are not read.
fn parse_all(
    inputs: &[Input],
    limits: &ExtractLimits,
    tx: &mpsc::Sender<Msg>,
    read: &Arc<AtomicU64>,
    skip: &AtomicU64,
) {
    let mut report_seq = 0u64;
    for (i, input) in inputs.iter().enumerate() {
        let origin = input.origin();
        let mut reports = 0;
        let mut visit = |found: Found<'_>| -> Result<(), ParseError> {
            reports += 1;
            match found {
                Found::Aggregate { xml, via } => {
                    report_seq += 1;
                    aggregate(i, xml, via, tx, report_seq, skip)
                }
                Found::Failure { report, via } => tx
                    .blocking_send(Msg::Failure {
                        input: i,
                        via,
                        report,
                    })
                    .map_err(|_| ParseError::Closed),
                Found::Tls { report, via } => tx
                    .blocking_send(Msg::Tls {
                        input: i,
                        via,
                        report,
                    })
                    .map_err(|_| ParseError::Closed),
            }
        };
        let result = match input {
            Input::Path(path) => match std::fs::File::open(path) {
                Ok(file) => extract(
                    BufReader::with_capacity(
                        256 * 1024,
                        Counted {
                            inner: file,
                            read: read.clone(),
                        },
                    ),
                    limits,
                    &mut visit,
                ),
                Err(e) => Err(ParseError::Extract(ExtractError::Read { source: e })),
            },
            Input::Message { raw, .. } => {
                read.fetch_add(raw.len() as u64, Ordering::Relaxed);
                extract(Cursor::new(raw.as_slice()), limits, &mut visit)
            }
        };
        let error = match result {
            Ok(_) => None,
            Err(ParseError::Closed) => return,
            Err(e) => Some(format!("{origin}: {e}")),
        };
        if tx
            .blocking_send(Msg::Done {
                input: i,
                reports,
                error,
            })
            .is_err()
        {
            return;
        }
    }
}

fn aggregate(
    input: usize,
    xml: &mut dyn BufRead,
    via: Vec<&'static str>,
    tx: &mpsc::Sender<Msg>,
    seq: u64,
    skip: &AtomicU64,
) -> Result<(), ParseError> {
    let send = |m: Msg| tx.blocking_send(m).map_err(|_| ParseError::Closed);
    let mut reader = AggregateReader::new(xml);
    let header = match reader.header() {
        Ok(h) => h.clone(),
        Err(e) => return Err(e.into()),
    };
    send(Msg::Begin {
        input,
        via,
        header: Box::new(header),
    })?;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        match reader.next_record() {
            Ok(Some(r)) => {
                batch.push(r);
                if batch.len() == BATCH {
                    send(Msg::Records(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(BATCH),
                    )))?;
                    if skip.load(Ordering::Relaxed) == seq {
                        // A duplicate: the rest need not be read.
                        return send(Msg::End(Box::default()));
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                send(Msg::Abort(e.to_string()))?;
                return Err(e.into());
            }
        }
    }
    if !batch.is_empty() {
        send(Msg::Records(batch))?;
    }
    match reader.finish() {
        Ok(summary) => send(Msg::End(Box::new(summary))),
        Err(e) => {
            send(Msg::Abort(e.to_string()))?;
            Err(e.into())
        }
    }
}

/// A write transaction of the store side is committed at the end of the
/// report that kept it open this long (it holds the database's write lock,
/// which other writers wait for) ...
const COMMIT_AFTER: Duration = Duration::from_millis(200);
/// ... or that brought it to this many reports.
const COMMIT_REPORTS: usize = 500;

/// The aggregate report being stored.
struct Current {
    outcome: Outcome,
    header: Box<ReportHeader>,
    /// Its sequence number (see `skip`).
    seq: u64,
    /// The first part of its records, held until it is known whether more
    /// come: a report read whole is written in one go, without a savepoint.
    held: Vec<Record>,
    /// Written in parts, inside a savepoint of the batch.
    started: bool,
    duplicate: bool,
}

/// The store side: reports go into a [`PostureBatch`] (one transaction for
/// many reports), and their outcomes are told (`progress`, `run.outcomes`)
/// only once the batch that holds them is committed, so nothing is ever
/// reported stored that a failing commit would lose.
struct Writer<'s, P> {
    store: Option<&'s Store>,
    batch: Option<PostureBatch>,
    /// Outcomes in input order, with the row id of a stored aggregate
    /// report, and whether `progress` hears of it.
    pending: Vec<(Outcome, Option<i64>, bool)>,
    run: IngestRun,
    /// Aggregate reports written in this run (committed or not).
    written_ids: Vec<i64>,
    progress: P,
    read: Arc<AtomicU64>,
}

impl<P: FnMut(u64, &Outcome)> Writer<'_, P> {
    /// The open batch, opened when needed (`None` on a dry run).
    async fn batch(&mut self) -> Result<Option<&mut PostureBatch>, IngestError> {
        if self.batch.is_none()
            && let Some(store) = self.store
        {
            self.batch = Some(store.posture_batch().await?);
        }
        Ok(self.batch.as_mut())
    }

    /// An outcome, told now or when its batch commits.
    fn done(&mut self, outcome: Outcome, stored: Option<i64>) {
        self.written_ids.extend(stored);
        self.pending.push((outcome, stored, true));
        if self.batch.is_none() {
            self.tell();
        }
    }

    /// An outcome kept in the run only (an input without any report).
    fn quiet(&mut self, outcome: Outcome) {
        self.pending.push((outcome, None, false));
        if self.batch.is_none() {
            self.tell();
        }
    }

    fn tell(&mut self) {
        for (outcome, stored, told) in std::mem::take(&mut self.pending) {
            if stored.is_some() {
                self.run.wrote = true;
            }
            if told {
                (self.progress)(self.read.load(Ordering::Relaxed), &outcome);
            }
            self.run.outcomes.push(outcome);
        }
    }

    /// Commits the open batch, then tells its outcomes.
    async fn commit(&mut self) -> Result<(), IngestError> {
        if let Some(batch) = self.batch.take() {
            batch.commit().await?;
        }
        self.tell();
        Ok(())
    }

    /// Commits when the batch has held the write lock long enough.
    async fn commit_if_due(&mut self) -> Result<(), IngestError> {
        match &self.batch {
            Some(b) if b.age() >= COMMIT_AFTER || b.written() >= COMMIT_REPORTS => {
                self.commit().await
            }
            _ => Ok(()),
        }
    }

    /// Whether an error was told (or is waiting to be) for `input`.
    fn reported_error(&self, input: usize) -> bool {
        self.run
            .outcomes
            .iter()
            .chain(self.pending.iter().map(|(o, _, _)| o))
            .any(|o| o.input == input && o.error.is_some())
    }
}

/// Reads `inputs` and stores their reports in `store` (or only parses them,
/// `dry_run`). `progress` is called with the bytes read so far, once per
/// report when it is stored (committed), found a duplicate or failed.
/// Alerts are evaluated over the reports stored, when asked.
pub async fn ingest(
    store: Option<&Store>,
    inputs: Vec<Input>,
    options: &IngestOptions,
    progress: impl FnMut(u64, &Outcome),
) -> Result<IngestRun, IngestError> {
    let store = if options.dry_run { None } else { store };
    let names: Vec<String> = inputs.iter().map(Input::origin).collect();
    let (tx, mut rx) = mpsc::channel::<Msg>(IN_FLIGHT);
    let read = Arc::new(AtomicU64::new(0));
    let skip = Arc::new(AtomicU64::new(0));
    let parser = {
        let (read, skip, limits) = (read.clone(), skip.clone(), options.limits.clone());
        std::thread::Builder::new()
            .name("dmarc-parse".into())
            .spawn(move || parse_all(&inputs, &limits, &tx, &read, &skip))
            .map_err(IngestError::Spawn)?
    };
    let mut w = Writer {
        store,
        batch: None,
        pending: Vec::new(),
        run: IngestRun::default(),
        written_ids: Vec::new(),
        progress,
        read: read.clone(),
    };
    let mut current: Option<Current> = None;
    let mut report_seq = 0u64;
    let now = OffsetDateTime::now_utc;
    let actor = options.actor.as_str();
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Begin { input, via, header } => {
                report_seq += 1;
                let mut outcome = Outcome::new(input, &names[input], "aggregate", &via);
                outcome.reporter = Some(header.reporter());
                outcome.report_id = Some(header.metadata.report_id.clone());
                outcome.domain = Some(header.policy.domain.clone());
                current = Some(Current {
                    outcome,
                    header,
                    seq: report_seq,
                    held: Vec::new(),
                    started: false,
                    duplicate: false,
                });
            }
            Msg::Records(records) => {
                let Some(c) = current.as_mut() else { continue };
                if c.duplicate {
                    continue;
                }
                c.outcome.records += records.len() as u64;
                c.outcome.messages += records.iter().map(|r| r.count).sum::<u64>();
                // The parser sends full batches while a report goes on and
                // a short one only at its end: a short first batch is the
                // whole report, held for one write at its end; a full one
                // starts the report in parts at once, so that storing
                // overlaps parsing.
                if !c.started && c.held.is_empty() && records.len() < BATCH {
                    c.held = records;
                    continue;
                }
                let Some(batch) = w.batch().await? else {
                    // Dry run: nothing kept.
                    c.held.clear();
                    continue;
                };
                if !c.started {
                    // In parts: written as they come, in a savepoint.
                    let origin = &names[c.outcome.input];
                    if let Some(id) = batch.begin_report(&c.header, origin, now()).await? {
                        c.duplicate = true;
                        c.outcome.status = "duplicate";
                        c.outcome.id = Some(id);
                        c.outcome.records = 0;
                        c.outcome.messages = 0;
                        c.held = Vec::new();
                        skip.store(c.seq, Ordering::Relaxed);
                        continue;
                    }
                    c.started = true;
                    let held = std::mem::take(&mut c.held);
                    batch.add(&held).await?;
                }
                batch.add(&records).await?;
            }
            Msg::End(summary) => {
                let Some(mut c) = current.take() else {
                    continue;
                };
                let mut stored = None;
                if !c.duplicate {
                    c.outcome.warnings = summary.warnings.iter().map(|w| w.to_string()).collect();
                    let origin = &names[c.outcome.input];
                    match w.batch().await? {
                        None => c.outcome.status = "parsed",
                        Some(batch) if c.started => {
                            let id = batch.finish_report(&summary, actor, now()).await?;
                            stored = Some(id);
                            c.outcome.status = "stored";
                            c.outcome.id = Some(id);
                        }
                        Some(batch) => match batch
                            .store_aggregate(&c.header, &c.held, &summary, origin, actor, now())
                            .await?
                        {
                            Stored::Stored { id } => {
                                stored = Some(id);
                                c.outcome.status = "stored";
                                c.outcome.id = Some(id);
                            }
                            Stored::Duplicate { id } => {
                                c.outcome.status = "duplicate";
                                c.outcome.id = Some(id);
                                c.outcome.records = 0;
                                c.outcome.messages = 0;
                                c.outcome.warnings.clear();
                            }
                        },
                    }
                }
                w.done(c.outcome, stored);
                w.commit_if_due().await?;
            }
            Msg::Abort(error) => {
                if let Some(mut c) = current.take() {
                    if c.started
                        && let Some(batch) = w.batch.as_mut()
                    {
                        batch.abort_report().await?;
                    }
                    // Nothing of the report is kept; say so, naming the input.
                    c.outcome.status = "error";
                    c.outcome.records = 0;
                    c.outcome.messages = 0;
                    c.outcome.error = Some(format!(
                        "{}: {error} (nothing of this report was stored)",
                        c.outcome.file
                    ));
                    w.done(c.outcome, None);
                }
            }
            Msg::Failure { input, via, report } => {
                // Stored in a transaction of its own: the batch first.
                w.commit().await?;
                let mut o = Outcome::new(input, &names[input], "failure", &via);
                o.domain = report.reported_domain.clone();
                o.reporter = report.reporter.clone();
                o.records = 1;
                o.messages = u64::from(report.incidents);
                match store {
                    None => o.status = "parsed",
                    Some(store) => {
                        match store
                            .store_failure(&report, &names[input], actor, now())
                            .await?
                        {
                            Stored::Stored { id } => {
                                w.run.wrote = true;
                                o.status = "stored";
                                o.id = Some(id);
                            }
                            Stored::Duplicate { id } => {
                                o.status = "duplicate";
                                o.id = Some(id);
                            }
                        }
                    }
                }
                w.done(o, None);
            }
            Msg::Tls { input, via, report } => {
                w.commit().await?;
                let mut o = Outcome::new(input, &names[input], "tls", &via);
                o.reporter = Some(report.organization.clone());
                o.report_id = Some(report.report_id.clone());
                o.domain = report.policies.first().map(|p| p.policy_domain.clone());
                o.records = report.policies.len() as u64;
                let (ok, failed) = report.totals();
                o.messages = ok + failed;
                match store {
                    None => o.status = "parsed",
                    Some(store) => {
                        match store
                            .store_tls(&report, &names[input], actor, now())
                            .await?
                        {
                            Stored::Stored { id } => {
                                w.run.wrote = true;
                                o.status = "stored";
                                o.id = Some(id);
                            }
                            Stored::Duplicate { id } => {
                                o.status = "duplicate";
                                o.id = Some(id);
                            }
                        }
                    }
                }
                w.done(o, None);
            }
            Msg::Done {
                input,
                reports,
                error,
            } => {
                // An error outside a report (or before its header), or an
                // input without any report: one line for the input.
                let reported = w.reported_error(input);
                if let Some(error) = error
                    && !reported
                {
                    let mut o = Outcome::new(input, &names[input], "none", &[]);
                    o.error = Some(error);
                    w.done(o, None);
                } else if reports == 0 {
                    let mut o = Outcome::new(input, &names[input], "none", &[]);
                    o.error = Some(format!("{}: no report found", names[input]));
                    w.quiet(o);
                }
            }
        }
    }
    let parsed = parser.join();
    // Alerts over the reports of the run, in the transaction of the last
    // of them: committed together.
    let mut alerts = Vec::new();
    let written = std::mem::take(&mut w.written_ids);
    if parsed.is_ok()
        && let Some(policy) = &options.alerts
        && !written.is_empty()
        && let Some(batch) = w.batch().await?
    {
        alerts = batch.raise_alerts(&written, policy, actor, now()).await?;
    }
    match w.batch.take() {
        Some(batch) if options.seal => w.run.sealed = batch.commit_sealed().await?,
        Some(batch) => batch.commit().await?,
        None => {}
    }
    w.tell();
    if parsed.is_err() {
        return Err(IngestError::ParserStopped);
    }
    let mut run = w.run;
    run.wrote |= !alerts.is_empty();
    run.alerts = alerts;
    Ok(run)
}
