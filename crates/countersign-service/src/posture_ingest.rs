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
use countersign_store::{Begin, Store, StoreError, Stored};
use serde::Serialize;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
}

/// Why an ingest run stopped. A report that fails to parse is not an
/// error of the run: it is an [`Outcome`] with status `error`.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The store refused a write; the report being stored was not kept.
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

/// The report being stored.
struct Current {
    outcome: Outcome,
    ingest: Option<Box<countersign_store::AggregateIngest>>,
}

/// Reads `inputs` and stores their reports in `store` (or only parses them,
/// `dry_run`). `progress` is called with the bytes read so far. Alerts are
/// evaluated over the reports stored, when asked.
pub async fn ingest(
    store: Option<&Store>,
    inputs: Vec<Input>,
    options: &IngestOptions,
    mut progress: impl FnMut(u64, &Outcome),
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
    let mut run = IngestRun::default();
    let mut stored_ids = Vec::new();
    let mut current: Option<Current> = None;
    let mut report_seq = 0u64;
    let now = OffsetDateTime::now_utc;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Begin { input, via, header } => {
                report_seq += 1;
                let mut outcome = Outcome::new(input, &names[input], "aggregate", &via);
                outcome.reporter = Some(header.reporter());
                outcome.report_id = Some(header.metadata.report_id.clone());
                outcome.domain = Some(header.policy.domain.clone());
                let ingest = match store {
                    None => None,
                    Some(store) => {
                        match store.begin_aggregate(&header, &names[input], now()).await? {
                            Begin::Started(ingest) => Some(ingest),
                            Begin::Duplicate { id } => {
                                outcome.status = "duplicate";
                                outcome.id = Some(id);
                                skip.store(report_seq, Ordering::Relaxed);
                                None
                            }
                        }
                    }
                };
                current = Some(Current { outcome, ingest });
            }
            Msg::Records(records) => {
                if let Some(c) = current.as_mut()
                    && c.outcome.status != "duplicate"
                {
                    if let Some(ingest) = c.ingest.as_mut() {
                        ingest.add(&records).await?;
                    }
                    c.outcome.records += records.len() as u64;
                    c.outcome.messages += records.iter().map(|r| r.count).sum::<u64>();
                }
            }
            Msg::End(summary) => {
                if let Some(mut c) = current.take() {
                    if c.outcome.status != "duplicate" {
                        c.outcome.warnings =
                            summary.warnings.iter().map(|w| w.to_string()).collect();
                        match c.ingest.take() {
                            Some(ingest) => {
                                let id = ingest.commit(&summary, &options.actor, now()).await?;
                                stored_ids.push(id);
                                run.wrote = true;
                                c.outcome.status = "stored";
                                c.outcome.id = Some(id);
                            }
                            None => c.outcome.status = "parsed",
                        }
                    }
                    progress(read.load(Ordering::Relaxed), &c.outcome);
                    run.outcomes.push(c.outcome);
                }
            }
            Msg::Abort(error) => {
                if let Some(mut c) = current.take() {
                    if let Some(ingest) = c.ingest.take() {
                        ingest.abort().await?;
                    }
                    // Nothing of the report is kept; say so, naming the input.
                    c.outcome.status = "error";
                    c.outcome.records = 0;
                    c.outcome.messages = 0;
                    c.outcome.error = Some(format!(
                        "{}: {error} (nothing of this report was stored)",
                        c.outcome.file
                    ));
                    progress(read.load(Ordering::Relaxed), &c.outcome);
                    run.outcomes.push(c.outcome);
                }
            }
            Msg::Failure { input, via, report } => {
                let mut o = Outcome::new(input, &names[input], "failure", &via);
                o.domain = report.reported_domain.clone();
                o.reporter = report.reporter.clone();
                o.records = 1;
                o.messages = u64::from(report.incidents);
                match store {
                    None => o.status = "parsed",
                    Some(store) => {
                        match store
                            .store_failure(&report, &names[input], &options.actor, now())
                            .await?
                        {
                            Stored::Stored { id } => {
                                run.wrote = true;
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
                progress(read.load(Ordering::Relaxed), &o);
                run.outcomes.push(o);
            }
            Msg::Tls { input, via, report } => {
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
                            .store_tls(&report, &names[input], &options.actor, now())
                            .await?
                        {
                            Stored::Stored { id } => {
                                run.wrote = true;
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
                progress(read.load(Ordering::Relaxed), &o);
                run.outcomes.push(o);
            }
            Msg::Done {
                input,
                reports,
                error,
            } => {
                // An error outside a report (or before its header), or an
                // input without any report: one line for the input.
                let reported = run
                    .outcomes
                    .iter()
                    .any(|o| o.input == input && o.error.is_some());
                if let Some(error) = error
                    && !reported
                {
                    let mut o = Outcome::new(input, &names[input], "none", &[]);
                    o.error = Some(error);
                    progress(read.load(Ordering::Relaxed), &o);
                    run.outcomes.push(o);
                } else if reports == 0 {
                    let mut o = Outcome::new(input, &names[input], "none", &[]);
                    o.error = Some(format!("{}: no report found", names[input]));
                    run.outcomes.push(o);
                }
            }
        }
    }
    if parser.join().is_err() {
        return Err(IngestError::ParserStopped);
    }
    if let (Some(store), Some(policy)) = (store, &options.alerts) {
        run.alerts = store
            .raise_posture_alerts(&stored_ids, policy, &options.actor, now())
            .await?;
        run.wrote |= !run.alerts.is_empty();
    }
    Ok(run)
}
