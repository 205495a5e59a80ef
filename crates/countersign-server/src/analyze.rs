//! `countersign analyze`: the gatekeeper on messages named on the command
//! line or listed in a JSON-lines manifest: authentication, impersonation,
//! request risk and the policy verdict, in parallel, printed in input order.

use anyhow::{Context, bail};
use clap::Args;
use countersign_auth::{Authenticator, Envelope};
use countersign_directory::DirectorySnapshot;
use countersign_dns::resolver::{DnsResolver, ResolverSettings};
use countersign_dns::zone::ZoneSet;
use countersign_engine::Engine;
use countersign_model::verdict::{Action, Control};
use countersign_pipeline::{Analysis, Pipeline, Rules, VerdictDocument};
use serde::{Deserialize, Serialize};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of `countersign analyze`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["messages", "manifest"])))]
pub struct AnalyzeArgs {
    /// RFC 1035 zone file answering all DNS offline (repeatable). Without
    /// it, live DNS is used.
    #[arg(long = "zone", value_name = "FILE")]
    zones: Vec<PathBuf>,
    /// DNS server to ask instead of the system's (repeatable), e.g. 127.0.0.1:53.
    #[arg(long = "dns", value_name = "ADDR", conflicts_with = "zones")]
    dns_servers: Vec<std::net::SocketAddr>,
    /// Seconds to wait for one DNS answer before it is a temporary error.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    dns_timeout: f64,
    /// Client IP the messages came from (for SPF).
    #[arg(long, requires = "messages", value_name = "IP")]
    ip: Option<String>,
    /// HELO/EHLO name the client gave.
    #[arg(long, default_value = "", requires = "messages", value_name = "NAME")]
    helo: String,
    /// MAIL FROM address; empty for the null sender.
    #[arg(long, default_value = "", requires = "messages", value_name = "ADDR")]
    mail_from: String,
    /// JSON-lines manifest: {"file", "ip", "helo", "mail_from", "rcpt"} per line,
    /// file relative to the manifest.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "messages")]
    manifest: Option<PathBuf>,
    /// One JSON object per message instead of a line of text.
    #[arg(long)]
    json: bool,
    /// Messages analysed in parallel (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Directory snapshot (`countersign directory export --format json`)
    /// naming the protected identities; without it only authentication,
    /// borrowed brands and request risk are judged.
    #[arg(long, value_name = "FILE", conflicts_with = "directory_from_store")]
    directory: Option<PathBuf>,
    /// Judge at this time (RFC 3339), not now: signature expiry and the
    /// directory's reviews as they stood then. Replays a past verdict, or
    /// pins an evaluation set's dates.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<time::OffsetDateTime>,
    /// Take the protected identities from the directory in the database
    /// (`--db`) instead of a snapshot file.
    #[arg(long)]
    directory_from_store: bool,
    /// Policy file (TOML); the shipped default when absent.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Request-risk rulebook (TOML); the shipped default when absent.
    #[arg(long, value_name = "FILE")]
    rulebook: Option<PathBuf>,
    /// Record every verdict in the tamper-evident audit log of the database
    /// (`--db`), sealed with a signed checkpoint at the end.
    #[arg(long, conflicts_with_all = ["bench", "auth_only"])]
    record: bool,
    /// The installation's audit signing key (with --record; created on
    /// first use, mode 0600).
    #[arg(
        long,
        env = "COUNTERSIGN_AUDIT_KEY",
        value_name = "FILE",
        requires = "record"
    )]
    audit_key: Option<PathBuf>,
    /// Authentication only: skip impersonation, risk and policy.
    #[arg(long)]
    auth_only: bool,
    /// Name written as authserv-id in Authentication-Results
    /// [default: the configuration's, else countersign.local].
    #[arg(long, env = "COUNTERSIGN_AUTHSERV_ID")]
    authserv_id: Option<String>,
    /// Print a summary instead of one line per message: the verdict
    /// distribution, the rules that fired, and, when the manifest carries
    /// `expected_verdict`, a confusion matrix with precision and recall.
    #[arg(long, conflicts_with = "bench")]
    pub(crate) summary: bool,
    /// Measure instead of printing: a warm-up pass, then `--passes` timed
    /// passes; prints msgs/s, latency percentiles and CPU per message.
    #[arg(long)]
    bench: bool,
    /// Timed passes over the input with --bench.
    #[arg(long, default_value_t = 3, requires = "bench")]
    passes: usize,
    /// Message files (RFC 5322). Files with bare LF line ends are read as CRLF.
    #[arg(value_name = "MESSAGE")]
    messages: Vec<PathBuf>,
}

/// One message to analyse with its envelope.
#[derive(Debug, Clone)]
struct Job {
    /// Name shown in the output.
    label: String,
    path: PathBuf,
    envelope: Envelope,
    /// The verdict a labelled manifest expects.
    expected: Option<Expected>,
}

/// A labelled manifest line's expectation.
#[derive(Debug, Clone)]
struct Expected {
    verdict: Action,
    controls: Option<Vec<Control>>,
}

/// One manifest line.
#[derive(Debug, Deserialize)]
struct ManifestLine {
    file: String,
    ip: String,
    #[serde(default)]
    helo: String,
    #[serde(default)]
    mail_from: String,
    #[serde(default)]
    #[allow(dead_code)]
    rcpt: Option<String>,
    #[serde(default)]
    expected_verdict: Option<Action>,
    #[serde(default)]
    expected_controls: Option<Vec<Control>>,
}

/// What is printed for one message: the verdict document with its file.
#[derive(Debug, Serialize)]
struct Output<'a> {
    file: &'a str,
    #[serde(flatten)]
    document: VerdictDocument<'a>,
}

/// Where the protected identities come from.
pub(crate) enum DirectorySource<'a> {
    /// None: authentication, borrowed brands and request risk only.
    Nothing,
    /// A snapshot file.
    File(&'a Path),
    /// The live directory in a database.
    Store(&'a str),
}

fn load_directory(source: DirectorySource<'_>) -> anyhow::Result<Option<DirectorySnapshot>> {
    Ok(match source {
        DirectorySource::Nothing => None,
        DirectorySource::File(path) => Some(DirectorySnapshot::load(path)?),
        DirectorySource::Store(db) => Some(crate::db_cmd::runtime()?.block_on(async {
            let store = crate::db_cmd::open(db, None).await?;
            let snapshot =
                countersign_directory::Directory::new(&store, &countersign_directory::SystemClock)
                    .snapshot()
                    .await;
            store.close().await;
            anyhow::Ok(snapshot?)
        })?),
    })
}

/// An RFC 3339 time from the command line.
fn parse_time(text: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{e} (expected RFC 3339, e.g. 2026-11-24T12:00:00Z)"))
}

/// Loads the engine's inputs, naming the file at fault.
pub(crate) fn load_engine(
    directory: DirectorySource<'_>,
    policy: Option<&Path>,
    rulebook: Option<&Path>,
    at: Option<time::OffsetDateTime>,
) -> anyhow::Result<Engine> {
    let rules = Rules::load(policy, rulebook)?;
    let snapshot = load_directory(directory)?;
    Ok(rules.engine(
        snapshot.as_ref(),
        at.unwrap_or_else(time::OffsetDateTime::now_utc),
    ))
}

impl AnalyzeArgs {
    /// Fills what the command line left open from the configuration file.
    pub(crate) fn apply_config(&mut self, config: &crate::config::Config) {
        self.authserv_id = self.authserv_id.take().or(config.authserv_id.clone());
        self.policy = self.policy.take().or(config.policy.clone());
        self.rulebook = self.rulebook.take().or(config.rulebook.clone());
        self.audit_key = self.audit_key.take().or(config.audit_key.clone());
        if self.directory.is_none() && !self.directory_from_store {
            self.directory = config.directory.clone();
        }
    }
}

/// Runs the command; `db` is the global database location.
pub fn run(args: AnalyzeArgs, db: &str) -> anyhow::Result<ExitCode> {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let work = match load_jobs(&args) {
        Ok(work) => work,
        Err(err) => {
            eprintln!("countersign analyze: {err:#}");
            return Ok(ExitCode::from(crate::EXIT_USAGE));
        }
    };
    let engine = if args.auth_only {
        None
    } else {
        let directory = match (&args.directory, args.directory_from_store) {
            (Some(path), _) => DirectorySource::File(path),
            (None, true) => DirectorySource::Store(db),
            (None, false) => DirectorySource::Nothing,
        };
        match load_engine(
            directory,
            args.policy.as_deref(),
            args.rulebook.as_deref(),
            args.at,
        ) {
            Ok(engine) => Some(Arc::new(engine)),
            Err(err) => {
                eprintln!("countersign analyze: {err:#}");
                return Ok(ExitCode::from(crate::EXIT_USAGE));
            }
        }
    };
    let mut zones = ZoneSet::new();
    for path in &args.zones {
        if let Err(err) = zones.load_file(path) {
            eprintln!("countersign analyze: {err}");
            return Ok(ExitCode::from(crate::EXIT_USAGE));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(jobs)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let settings = ResolverSettings {
            servers: args.dns_servers.clone(),
            timeout: Duration::from_secs_f64(args.dns_timeout.max(0.01)),
            ..ResolverSettings::default()
        };
        let resolver = if args.zones.is_empty() {
            DnsResolver::new(&settings)?
        } else {
            DnsResolver::from_zones(zones, &settings).await?
        };
        let authenticator = Authenticator::new(
            Arc::new(resolver),
            args.authserv_id.as_deref().unwrap_or("countersign.local"),
        );
        let authenticator = match args.at {
            // Signature expiry is judged at the same moment as the directory.
            Some(at) => authenticator.at_time(at.unix_timestamp().max(0) as u64),
            None => authenticator,
        };
        let pipeline = Pipeline::new(authenticator, engine);
        if args.bench {
            bench(&pipeline, &work, args.passes, jobs).await
        } else if args.summary {
            summarise(&pipeline, &work, jobs).await
        } else {
            let recorder = if args.record {
                Some(Recorder::open(db, args.audit_key.as_deref()).await?)
            } else {
                None
            };
            analyze_all(&pipeline, &work, args.json, jobs, recorder).await
        }
    })
}

fn load_jobs(args: &AnalyzeArgs) -> anyhow::Result<Vec<Job>> {
    if let Some(manifest) = &args.manifest {
        return load_manifest(manifest);
    }
    let ip = args
        .ip
        .as_deref()
        .context("--ip is required with message files (SPF needs the client address)")?;
    let envelope = Envelope::parse(ip, &args.helo, &args.mail_from)?;
    Ok(args
        .messages
        .iter()
        .map(|path| Job {
            label: path.display().to_string(),
            path: path.clone(),
            envelope: envelope.clone(),
            expected: None,
        })
        .collect())
}

fn load_manifest(manifest: &Path) -> anyhow::Result<Vec<Job>> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read manifest {}", manifest.display()))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut jobs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", manifest.display(), index + 1);
        let entry: ManifestLine = serde_json::from_str(line).with_context(at)?;
        let envelope =
            Envelope::parse(&entry.ip, &entry.helo, &entry.mail_from).with_context(at)?;
        jobs.push(Job {
            path: base.join(&entry.file),
            label: entry.file,
            envelope,
            expected: entry.expected_verdict.map(|verdict| Expected {
                verdict,
                controls: entry.expected_controls,
            }),
        });
    }
    if jobs.is_empty() {
        bail!("manifest {} lists no messages", manifest.display());
    }
    Ok(jobs)
}

/// Reads a message; bare-LF files (as saved by many tools) become CRLF,
/// the form signatures were computed over.
fn read_message(path: &Path) -> std::io::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if raw.contains(&b'\n') && !raw.windows(2).any(|w| w == b"\r\n") {
        let mut crlf = Vec::with_capacity(raw.len() + raw.len() / 40);
        for &byte in &raw {
            if byte == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(byte);
        }
        return Ok(crlf);
    }
    Ok(raw)
}

type Outcome = Result<Analysis, String>;

/// Analyses every job with at most `jobs * 8` in flight, calling `emit` in input order.
async fn run_ordered(
    pipeline: &Pipeline,
    work: &[Job],
    jobs: usize,
    mut emit: impl FnMut(usize, Outcome, Duration),
) {
    // Messages travel in small batches: one task per message spent a
    // noticeable share of the CPU on waking threads. Batches stay small so
    // results still stream out in order.
    const BATCH: usize = 16;
    let in_flight = jobs * 4;
    let mut pending: Vec<Option<(Outcome, Duration)>> = (0..work.len()).map(|_| None).collect();
    let mut next_to_emit = 0;
    let mut next_to_start = 0;
    let mut set = tokio::task::JoinSet::new();
    while next_to_emit < work.len() {
        while next_to_start < work.len() && set.len() < in_flight {
            let first = next_to_start;
            let batch: Vec<Job> = work[first..(first + BATCH).min(work.len())].to_vec();
            next_to_start += batch.len();
            let pipeline = pipeline.clone();
            set.spawn(async move {
                let mut results = Vec::with_capacity(batch.len());
                for (offset, job) in batch.iter().enumerate() {
                    let started = Instant::now();
                    let outcome = match read_message(&job.path) {
                        Ok(raw) => {
                            // A bug triggered by one message must not cost
                            // its batch-mates their results.
                            pipeline
                                .analyze_isolated(&raw, &job.envelope)
                                .await
                                .map_err(|err| {
                                    tracing::error!(file = %job.label, "{err}");
                                    err.to_string()
                                })
                        }
                        Err(err) => Err(format!("cannot read {}: {err}", job.path.display())),
                    };
                    results.push((first + offset, outcome, started.elapsed()));
                }
                results
            });
        }
        match set.join_next().await {
            Some(Ok(results)) => {
                for (index, outcome, elapsed) in results {
                    pending[index] = Some((outcome, elapsed));
                }
            }
            Some(Err(join_error)) => {
                // A panic in one analysis must not hide the others' results;
                // the affected message is reported as unanalysed below.
                tracing::error!(%join_error, "analysis task failed");
            }
            None => {}
        }
        while next_to_emit < work.len() {
            match pending[next_to_emit].take() {
                Some((outcome, elapsed)) => {
                    emit(next_to_emit, outcome, elapsed);
                    next_to_emit += 1;
                }
                None if set.is_empty() && next_to_start == work.len() => {
                    emit(
                        next_to_emit,
                        Err("analysis failed internally".into()),
                        Duration::ZERO,
                    );
                    next_to_emit += 1;
                }
                None => break,
            }
        }
    }
}

fn progress_bar(len: usize) -> indicatif::ProgressBar {
    if len < 50 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Writes verdicts to the audit log: every verdict is a decision someone
/// may have to account for later.
struct Recorder {
    store: countersign_store::Store,
    key: Arc<countersign_audit::InstallationKey>,
    events: Vec<countersign_audit::AuditEvent>,
}

impl Recorder {
    const ACTOR: &'static str = "countersign-analyze";
    const BATCH: usize = 1000;

    async fn open(db: &str, key: Option<&Path>) -> anyhow::Result<Self> {
        let key_path = key
            .map(Path::to_path_buf)
            .unwrap_or_else(|| crate::db_cmd::default_key_path(db));
        let key = crate::db_cmd::signing_key(&key_path)?;
        let store = crate::db_cmd::open(db, Some(key.clone())).await?;
        Ok(Self {
            store,
            key,
            events: Vec::new(),
        })
    }

    fn note(&mut self, job: &Job, analysis: &Analysis) {
        let Some(verdict) = &analysis.verdict else {
            return;
        };
        let report = &analysis.report;
        let details = serde_json::json!({
            "file": job.label,
            "client_ip": job.envelope.client_ip.to_string(),
            "mail_from": job.envelope.mail_from,
            "from_domain": report.dmarc.from_domain,
            "spf": report.spf.result,
            "dkim": report.dkim.iter().map(|d| format!("{}:{}", d.domain, d.result)).collect::<Vec<_>>(),
            "dmarc": report.dmarc.result,
            "verdict": verdict.verdict,
            "required_controls": verdict.required_controls,
            "rules": verdict.rules,
            "reasons": verdict.reasons,
        });
        self.events.push(countersign_audit::AuditEvent::new(
            time::OffsetDateTime::now_utc(),
            Self::ACTOR,
            "message.verdict",
            format!("message:{}", job.label),
            details,
        ));
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        use countersign_audit::AuditSink;
        while !self.events.is_empty() {
            let rest = self.events.split_off(self.events.len().min(Self::BATCH));
            let batch = std::mem::replace(&mut self.events, rest);
            self.store
                .append(batch)
                .await
                .context("recording verdicts in the audit log")?;
        }
        Ok(())
    }

    async fn finish(mut self) -> anyhow::Result<()> {
        self.flush().await?;
        self.store
            .checkpoint(&self.key, time::OffsetDateTime::now_utc())
            .await
            .context("signing an audit checkpoint")?;
        self.store.close().await;
        Ok(())
    }
}

async fn analyze_all(
    pipeline: &Pipeline,
    work: &[Job],
    json: bool,
    jobs: usize,
    mut recorder: Option<Recorder>,
) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let bar = progress_bar(work.len());
    let mut unreadable = 0usize;
    let mut write_error = None;
    run_ordered(pipeline, work, jobs, |index, outcome, _| {
        let label = &work[index].label;
        if let (Some(recorder), Ok(analysis)) = (recorder.as_mut(), &outcome) {
            recorder.note(&work[index], analysis);
        }
        let line = match &outcome {
            Ok(analysis) if json => serde_json::to_string(&Output {
                file: label,
                document: analysis.document(),
            })
            .unwrap_or_else(|e| format!("{{\"file\":{label:?},\"error\":\"{e}\"}}")),
            Ok(analysis) => human_line(label, analysis),
            Err(err) => {
                unreadable += 1;
                bar.suspend(|| eprintln!("countersign analyze: {err}"));
                if json {
                    serde_json::json!({ "file": label, "error": err }).to_string()
                } else {
                    format!("{label}: not analysed: {err}")
                }
            }
        };
        if write_error.is_none()
            && let Err(err) = writeln!(out, "{line}")
        {
            write_error = Some(err);
        }
        bar.inc(1);
    })
    .await;
    bar.finish_and_clear();
    out.flush().ok();
    if let Some(recorder) = recorder {
        recorder.finish().await?;
    }
    if let Some(err) = write_error
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(err).context("writing results");
    }
    Ok(if unreadable > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn human_line(label: &str, analysis: &Analysis) -> String {
    let report = &analysis.report;
    let mut line = match &analysis.verdict {
        Some(verdict) => format!("{label}: {}", verdict.verdict.as_str().to_uppercase()),
        None => label.to_string(),
    };
    if let Some(verdict) = &analysis.verdict
        && !verdict.required_controls.is_empty()
    {
        let controls: Vec<&str> = verdict
            .required_controls
            .iter()
            .map(|c| c.as_str())
            .collect();
        line.push_str(&format!(" [{}]", controls.join(", ")));
    }
    line.push_str(&format!(
        ": spf={} ({}) dkim=",
        report.spf.result, report.spf.domain
    ));
    if report.dkim.is_empty() {
        line.push_str("none");
    }
    for (i, sig) in report.dkim.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&format!("{} ({}/{})", sig.result, sig.domain, sig.selector));
    }
    line.push_str(&format!(" arc={}", report.arc.result));
    for dmarc in report.dmarc_all() {
        line.push_str(&format!(
            " dmarc={} ({}, policy {})",
            dmarc.result, dmarc.from_domain, dmarc.policy
        ));
    }
    if !report.errors.is_empty() {
        let defects: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        line.push_str(&format!(" defects: {}", defects.join("; ")));
    }
    if let Some(verdict) = &analysis.verdict {
        for reason in &verdict.reasons {
            line.push_str(&format!("\n    - {reason}"));
        }
    }
    line
}

/// CPU time of this process so far (user + system), from /proc.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports in USER_HZ, which is 100 on every supported platform.
    Some(Duration::from_millis(ticks * 10))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn bench(
    pipeline: &Pipeline,
    work: &[Job],
    passes: usize,
    jobs: usize,
) -> anyhow::Result<ExitCode> {
    // Warm-up: fills the DNS caches and the page cache, as the peer's harness does.
    let mut failed = 0usize;
    run_ordered(pipeline, work, jobs, |_, outcome, _| {
        failed += usize::from(outcome.is_err());
    })
    .await;
    if failed > 0 {
        bail!("{failed} messages could not be analysed; not measuring");
    }
    let mut rates = Vec::with_capacity(passes);
    let mut latencies = Vec::with_capacity(work.len() * passes);
    let cpu_before = process_cpu();
    let started = Instant::now();
    for pass in 0..passes.max(1) {
        let pass_started = Instant::now();
        run_ordered(pipeline, work, jobs, |_, _, elapsed| {
            latencies.push(elapsed);
        })
        .await;
        let seconds = pass_started.elapsed().as_secs_f64();
        let rate = work.len() as f64 / seconds;
        eprintln!("pass {}: {rate:.0} msgs/s", pass + 1);
        rates.push(rate);
    }
    let wall = started.elapsed();
    let cpu = match (cpu_before, process_cpu()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    latencies.sort_unstable();
    rates.sort_by(f64::total_cmp);
    let median_rate = rates[rates.len() / 2];
    let total = latencies.len();
    let summary = serde_json::json!({
        "messages": work.len(),
        "passes": rates.len(),
        "jobs": jobs,
        "msgs_per_s": (median_rate * 10.0).round() / 10.0,
        "msgs_per_s_runs": rates.iter().map(|r| r.round()).collect::<Vec<_>>(),
        "lat_ms": {
            "p50": ms(percentile(&latencies, 0.50)),
            "p90": ms(percentile(&latencies, 0.90)),
            "p99": ms(percentile(&latencies, 0.99)),
            "max": ms(latencies.last().copied().unwrap_or_default()),
        },
        "cpu_ms_per_msg": cpu.map(|c| (c.as_secs_f64() * 1000.0 / total as f64 * 1000.0).round() / 1000.0),
        "busy_cores": cpu.map(|c| (c.as_secs_f64() / wall.as_secs_f64() * 100.0).round() / 100.0),
    });
    println!("{summary}");
    eprintln!(
        "countersign: {median_rate:.0} msgs/s (median of {}), p50 {:.2} ms, p99 {:.2} ms, {jobs} threads",
        rates.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
    );
    Ok(ExitCode::SUCCESS)
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

/// Tallies verdicts and fired rules; scores them against labels if present.
async fn summarise(pipeline: &Pipeline, work: &[Job], jobs: usize) -> anyhow::Result<ExitCode> {
    if pipeline.engine().is_none() {
        bail!("--summary needs verdicts: drop --auth-only");
    }
    let bar = progress_bar(work.len());
    let mut by_verdict: std::collections::BTreeMap<Action, usize> = Default::default();
    let mut by_rule: std::collections::BTreeMap<String, usize> = Default::default();
    // confusion[expected][actual]
    let mut confusion = [[0usize; 5]; 5];
    let mut labelled = 0usize;
    let mut controls_right = 0usize;
    let mut controls_labelled = 0usize;
    let mut mismatches: Vec<String> = Vec::new();
    let mut unreadable = 0usize;
    run_ordered(pipeline, work, jobs, |index, outcome, _| {
        bar.inc(1);
        let job = &work[index];
        let verdict = match outcome {
            Ok(Analysis {
                verdict: Some(verdict),
                ..
            }) => verdict,
            Ok(_) => return,
            Err(err) => {
                unreadable += 1;
                bar.suspend(|| eprintln!("countersign: {err}"));
                return;
            }
        };
        *by_verdict.entry(verdict.verdict).or_default() += 1;
        for rule in &verdict.rules {
            *by_rule.entry(rule.clone()).or_default() += 1;
        }
        if let Some(expected) = &job.expected {
            labelled += 1;
            confusion[expected.verdict as usize][verdict.verdict as usize] += 1;
            let mut wrong = expected.verdict != verdict.verdict;
            if let Some(controls) = &expected.controls {
                controls_labelled += 1;
                let mut want = controls.clone();
                want.sort();
                if want == verdict.required_controls {
                    controls_right += 1;
                } else {
                    wrong = true;
                }
            }
            if wrong {
                mismatches.push(format!(
                    "{}: expected {}{}, got {}{} ({})",
                    job.label,
                    expected.verdict,
                    controls_text(expected.controls.as_deref().unwrap_or_default()),
                    verdict.verdict,
                    controls_text(&verdict.required_controls),
                    if verdict.rules.is_empty() {
                        "no rule fired".to_string()
                    } else {
                        verdict.rules.join(", ")
                    }
                ));
            }
        }
    })
    .await;
    bar.finish_and_clear();
    let total: usize = by_verdict.values().sum();
    println!("{total} messages");
    for action in Action::ALL {
        let n = by_verdict.get(&action).copied().unwrap_or(0);
        println!(
            "  {:<10} {n:>6}  {:>5.1}%",
            action.as_str(),
            100.0 * n as f64 / total.max(1) as f64
        );
    }
    println!("rules fired:");
    let mut rules: Vec<_> = by_rule.into_iter().collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (rule, n) in rules {
        println!("  {rule:<36} {n:>6}");
    }
    if labelled > 0 {
        print_confusion(&confusion, labelled);
        if controls_labelled > 0 {
            println!("required controls right: {controls_right}/{controls_labelled}");
        }
        for mismatch in &mismatches {
            println!("MISMATCH {mismatch}");
        }
    }
    Ok(if unreadable > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn controls_text(controls: &[Control]) -> String {
    if controls.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = controls.iter().map(|c| c.as_str()).collect();
    format!(" [{}]", names.join(", "))
}

fn print_confusion(confusion: &[[usize; 5]; 5], labelled: usize) {
    println!("confusion matrix (rows: expected, columns: actual), {labelled} labelled:");
    print!("  {:<11}", "");
    for action in Action::ALL {
        print!("{:>11}", action.as_str());
    }
    println!();
    for expected in Action::ALL {
        print!("  {:<11}", expected.as_str());
        for actual in Action::ALL {
            print!("{:>11}", confusion[expected as usize][actual as usize]);
        }
        println!();
    }
    let correct: usize = (0..5).map(|i| confusion[i][i]).sum();
    println!(
        "accuracy: {correct}/{labelled} = {:.3}",
        correct as f64 / labelled as f64
    );
    for action in Action::ALL {
        let i = action as usize;
        let predicted: usize = (0..5).map(|e| confusion[e][i]).sum();
        let actual: usize = confusion[i].iter().sum();
        if predicted + actual == 0 {
            continue;
        }
        println!(
            "  {:<10} precision {:.3}  recall {:.3}",
            action.as_str(),
            ratio(confusion[i][i], predicted),
            ratio(confusion[i][i], actual)
        );
    }
    // The two guarantees the product makes, stated directly.
    let held_or_stricter = |row: &[usize; 5]| row[Action::Hold as usize..].iter().sum::<usize>();
    let must_hold: usize = confusion[Action::Hold as usize].iter().sum();
    println!(
        "expected hold that were held or stricter: {}/{must_hold}",
        held_or_stricter(&confusion[Action::Hold as usize])
    );
    let benign = &confusion[Action::Deliver as usize];
    println!(
        "expected deliver that were quarantined or rejected: {}/{}",
        benign[Action::Quarantine as usize] + benign[Action::Reject as usize],
        benign.iter().sum::<usize>()
    );
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        return 1.0;
    }
    numerator as f64 / denominator as f64
}
