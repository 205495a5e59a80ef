//! `countersign dmarc`: the posture of our own domains (feature 17).
//!
//! - `ingest`: DMARC aggregate, failure and SMTP TLS reports from files,
//!   folders, a maildir or an IMAP mailbox, into the store;
//! - `report`: who sends as our domains, aligned or not, with reverse DNS
//!   and the service recognised; a chart of aligned versus unaligned volume
//!   as SVG;
//! - `check`: our published SPF, DMARC, DKIM and MX records.

use crate::db_cmd::{self, print_table};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use countersign_dns::resolver::{DnsResolver, ResolverSettings};
use countersign_dns::zone::ZoneSet;
use countersign_posture::alerts::AlertPolicy;
use countersign_posture::checks::{CheckRequest, DomainReport, Severity};
use countersign_posture::{ExtractLimits, ServiceCatalog, SourceStats, Volume};
use countersign_service::posture_dns;
use countersign_service::posture_ingest::{self, IngestOptions, Input, Outcome};
use countersign_store::PostureQuery;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Arguments of `countersign dmarc`.
#[derive(Debug, Args)]
pub struct DmarcArgs {
    /// One JSON object per line instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// The installation's audit signing key (created on first use, mode 0600).
    #[arg(long, global = true, env = "COUNTERSIGN_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Read DMARC aggregate (XML, gzip, zip, mail), failure (ARF) and SMTP TLS
    /// reports and store them; a report already stored is a duplicate.
    Ingest(IngestArgs),
    /// Who sends as our domains, how much, aligned through SPF and DKIM or not.
    Report(ReportArgs),
    /// Check our published SPF, DMARC, DKIM and MX records.
    Check(CheckArgs),
}

/// Where DNS answers come from.
#[derive(Debug, Args)]
struct DnsArgs {
    /// RFC 1035 zone file answering all DNS offline (repeatable). Without
    /// it, live DNS is used.
    #[arg(long = "zone", value_name = "FILE")]
    zones: Vec<PathBuf>,
    /// DNS server to ask instead of the system's (repeatable).
    #[arg(long = "dns", value_name = "ADDR", conflicts_with = "zones")]
    dns_servers: Vec<SocketAddr>,
    /// Seconds to wait for one DNS answer.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    dns_timeout: f64,
}

impl DnsArgs {
    async fn resolver(&self) -> Result<DnsResolver> {
        let settings = ResolverSettings {
            servers: self.dns_servers.clone(),
            timeout: Duration::from_secs_f64(self.dns_timeout.max(0.01)),
            ..ResolverSettings::default()
        };
        if self.zones.is_empty() {
            return Ok(DnsResolver::new(&settings)?);
        }
        let mut zones = ZoneSet::new();
        for path in &self.zones {
            zones.load_file(path)?;
        }
        Ok(DnsResolver::from_zones(zones, &settings).await?)
    }
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// Report files, or folders of them (read recursively).
    pub(crate) paths: Vec<PathBuf>,
    /// Also read every message in this maildir (new/ and cur/).
    #[arg(long, value_name = "DIR")]
    pub(crate) maildir: Option<PathBuf>,
    /// Also read unseen messages from an IMAP mailbox:
    /// imaps://USER@HOST[:PORT]/MAILBOX (TLS), or imap://... on loopback only.
    #[arg(long, value_name = "URL")]
    pub(crate) imap: Option<String>,
    /// File holding the IMAP password (else COUNTERSIGN_IMAP_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub(crate) imap_password_file: Option<PathBuf>,
    /// CA certificate (PEM) to trust for the IMAP server instead of the
    /// system's roots.
    #[arg(long, value_name = "FILE")]
    pub(crate) imap_ca: Option<PathBuf>,
    /// Move processed mailbox messages to this folder (maildir subfolder or
    /// IMAP mailbox) instead of only marking them seen.
    #[arg(long, value_name = "FOLDER")]
    pub(crate) move_to: Option<String>,
    /// Most mailbox messages taken in one run.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub(crate) max_messages: usize,
    /// Parse and report, store nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not evaluate alerts after storing.
    #[arg(long)]
    pub(crate) no_alerts: bool,
    /// Who the audit entries name (default: the ingest itself).
    #[arg(long, env = "COUNTERSIGN_ACTOR")]
    pub(crate) actor: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    /// Aggregate reports: the per-source view.
    Aggregate,
    /// Failure reports.
    Failure,
    /// SMTP TLS reports.
    Tls,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Period {
    Day,
    Week,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// Only this domain (as published in the reports).
    #[arg(long)]
    domain: Option<String>,
    /// Reports whose period starts on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Reports whose period starts before this date.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only the last N days (instead of --since).
    #[arg(long, value_name = "N", conflicts_with = "since")]
    days: Option<u32>,
    /// Which reports.
    #[arg(long, value_enum, default_value = "aggregate")]
    kind: Kind,
    /// Sources shown (and looked up in reverse DNS).
    #[arg(long, default_value_t = 25, value_name = "N")]
    top: usize,
    /// Write a chart of aligned versus unaligned volume over time (SVG).
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Period of one bar in the chart.
    #[arg(long, value_enum, default_value = "day")]
    bucket: Period,
    /// No reverse DNS lookups (cached names are still shown).
    #[arg(long)]
    no_rdns: bool,
    /// Extra known senders (TOML, as data/senders.toml of countersign-posture).
    #[arg(long, value_name = "FILE")]
    senders: Option<PathBuf>,
    #[command(flatten)]
    dns: DnsArgs,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Our domains.
    #[arg(required = true)]
    domains: Vec<String>,
    /// DKIM selectors we sign with (repeatable, or comma-separated).
    #[arg(long = "selector", value_delimiter = ',')]
    selectors: Vec<String>,
    #[command(flatten)]
    dns: DnsArgs,
}

impl DmarcArgs {
    /// Fills what the command line left open from the configuration file.
    pub(crate) fn apply_config(&mut self, config: &crate::config::Config) {
        self.audit_key = self.audit_key.take().or(config.audit_key.clone());
    }
}

/// Runs `countersign dmarc` against the database at `db`.
pub fn run(db: &str, args: DmarcArgs) -> Result<ExitCode> {
    match &args.verb {
        Verb::Ingest(a) => ingest(db, &args, a),
        Verb::Report(a) => db_cmd::runtime()?.block_on(report(db, &args, a)),
        Verb::Check(a) => db_cmd::runtime()?.block_on(check(&args, a)),
    }
}

/// Files under `path`: itself, or everything in it (recursively, sorted,
/// hidden entries skipped).
fn expand(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for e in entries {
        expand(&e, out)?;
    }
    Ok(())
}

fn ingest(db: &str, args: &DmarcArgs, a: &IngestArgs) -> Result<ExitCode> {
    if a.paths.is_empty() && a.maildir.is_none() && a.imap.is_none() {
        bail!("nothing to ingest: give report files or folders, --maildir or --imap");
    }
    let mut files = Vec::new();
    for p in &a.paths {
        expand(p, &mut files)?;
    }
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mut inputs: Vec<Input> = files.into_iter().map(Input::Path).collect();
    let key_path = args
        .audit_key
        .clone()
        .unwrap_or_else(|| db_cmd::default_key_path(db));
    let options = IngestOptions {
        dry_run: a.dry_run,
        actor: a
            .actor
            .clone()
            .unwrap_or_else(|| "system:dmarc-ingest".into()),
        alerts: (!a.no_alerts).then(AlertPolicy::default),
        limits: ExtractLimits::default(),
        // The audit head is sealed in the run's last transaction, not in
        // one more after it.
        seal: true,
    };
    let runtime = db_cmd::runtime()?;
    runtime.block_on(async {
        let mut mailbox = crate::dmarc_mailbox::open(a).await?;
        if let Some(mb) = mailbox.as_mut() {
            let messages = mb.fetch(a.max_messages).await?;
            inputs.extend(messages);
        }
        let store = if a.dry_run {
            None
        } else {
            let key = db_cmd::signing_key(&key_path)?;
            Some((db_cmd::open(db, Some(key.clone())).await?, key))
        };
        let bar = indicatif::ProgressBar::new(total_bytes.max(1));
        if std::io::stderr().is_terminal() {
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {bytes}/{total_bytes} {wide_bar} {msg} ({elapsed})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
        } else {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let started = Instant::now();
        let json = args.json;
        let mut reports = 0u64;
        let run = posture_ingest::ingest(
            store.as_ref().map(|(s, _)| s),
            inputs,
            &options,
            |read, outcome| {
                reports += 1;
                bar.set_position(read);
                bar.set_message(format!("{reports} report(s)"));
                if json {
                    bar.suspend(|| println!("{}", serde_json::to_string(outcome).unwrap_or_default()));
                }
            },
        )
        .await?;
        bar.finish_and_clear();
        let elapsed = started.elapsed();
        if let Some((store, key)) = &store
            && run.wrote
            && !run.sealed
        {
            store
                .checkpoint(key, time::OffsetDateTime::now_utc())
                .await?;
        }
        // Tell the mailbox which messages are done.
        if let Some(mb) = mailbox {
            mb.finish(&run.outcomes).await?;
        }
        if let Some((store, _)) = &store {
            store.close().await;
        }
        print_ingest(&run.outcomes, json);
        for alert in &run.alerts {
            if json {
                let mut v = alert.details();
                if let Some(o) = v.as_object_mut() {
                    o.insert("type".into(), "alert".into());
                    o.insert("action".into(), alert.action().into());
                }
                println!("{v}");
            } else {
                eprintln!("ALERT {}: {}", alert.action(), alert.message());
            }
        }
        let count = |s: &str| run.outcomes.iter().filter(|o| o.status == s).count();
        let records: u64 = run.outcomes.iter().map(|o| o.records).sum();
        let secs = elapsed.as_secs_f64().max(1e-9);
        eprintln!(
            "{} stored, {} duplicate, {} parsed only, {} failed; {records} records in {:.2} s ({:.0} records/s)",
            count("stored"),
            count("duplicate"),
            count("parsed"),
            count("error"),
            secs,
            records as f64 / secs
        );
        Ok(if count("error") > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    })
}

fn print_ingest(outcomes: &[Outcome], json: bool) {
    for o in outcomes.iter().filter(|o| o.error.is_some()) {
        eprintln!(
            "countersign dmarc ingest: {}",
            o.error.as_deref().unwrap_or("")
        );
    }
    if json {
        return;
    }
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            vec![
                o.file.clone(),
                o.kind.to_string(),
                o.reporter.clone().unwrap_or_default(),
                o.report_id.clone().unwrap_or_default(),
                o.domain.clone().unwrap_or_default(),
                o.records.to_string(),
                o.status.to_string(),
            ]
        })
        .collect();
    print_table(
        &[
            "file",
            "kind",
            "reporter",
            "report id",
            "domain",
            "records",
            "status",
        ],
        &rows,
    );
}

/// A date (`YYYY-MM-DD`, UTC midnight) or an RFC 3339 time, as Unix seconds.
fn parse_date(text: &str) -> Result<i64> {
    if let Ok(t) = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Ok(t.unix_timestamp());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(text, &format)
        .with_context(|| format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    Ok(d.midnight().assume_utc().unix_timestamp())
}

fn date(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_else(|_| secs.to_string())
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn volume_json(v: &Volume) -> serde_json::Value {
    serde_json::json!({
        "records": v.records,
        "messages": v.messages,
        "dmarc_pass": v.dmarc_pass,
        "dkim_aligned": v.dkim_aligned,
        "spf_aligned": v.spf_aligned,
        "quarantined": v.quarantined,
        "rejected": v.rejected,
        "aligned_share": v.aligned_share(),
    })
}

fn source_json(s: &SourceStats) -> serde_json::Value {
    serde_json::json!({
        "type": "source",
        "source_ip": s.source_ip.to_string(),
        "ptr": s.ptr,
        "service": s.service.as_ref().map(|(n, _)| n),
        "service_evidence": s.service.as_ref().map(|(_, e)| e),
        "header_from": s.header_from,
        "dkim_domains": s.dkim_domains,
        "spf_domains": s.spf_domains,
        "overridden": s.overridden,
        "first_seen": date(s.first_seen),
        "last_seen": date(s.last_seen),
        "volume": volume_json(&s.volume),
    })
}

async fn report(db: &str, args: &DmarcArgs, a: &ReportArgs) -> Result<ExitCode> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let query = PostureQuery {
        domain: a
            .domain
            .as_ref()
            .map(|d| d.trim_end_matches('.').to_ascii_lowercase()),
        since: match (&a.since, a.days) {
            (Some(s), _) => Some(parse_date(s)?),
            (None, Some(d)) => Some(now - i64::from(d) * 86_400),
            (None, None) => None,
        },
        until: a.until.as_deref().map(parse_date).transpose()?,
    };
    let store = db_cmd::open(db, None).await?;
    match a.kind {
        Kind::Failure => {
            let list = store.posture_failures(&query, a.top as u64).await?;
            if args.json {
                for f in &list {
                    println!(
                        "{}",
                        serde_json::json!({"type": "failure", "id": f.id, "report": f.report})
                    );
                }
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|f| {
                        vec![
                            f.arrival.map(date).unwrap_or_else(|| "-".into()),
                            f.report.reported_domain.clone().unwrap_or_default(),
                            f.report
                                .source_ip
                                .map(|i| i.to_string())
                                .unwrap_or_default(),
                            f.report.auth_failure.clone().unwrap_or_default(),
                            f.report.original_from.clone().unwrap_or_default(),
                            f.report.original_subject.clone().unwrap_or_default(),
                            f.report.reporter.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "arrived",
                        "domain",
                        "source ip",
                        "failure",
                        "from",
                        "subject",
                        "reporter",
                    ],
                    &rows,
                );
            }
            store.close().await;
            return Ok(ExitCode::SUCCESS);
        }
        Kind::Tls => {
            let list = store.posture_tls(&query, a.top as u64).await?;
            if args.json {
                for t in &list {
                    let mut v = serde_json::to_value(t)?;
                    if let Some(o) = v.as_object_mut() {
                        o.insert("type".into(), "tls".into());
                    }
                    println!("{v}");
                }
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|t| {
                        vec![
                            date(t.begin),
                            t.organization.clone(),
                            t.report_id.clone(),
                            t.successful.to_string(),
                            t.failed.to_string(),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "period",
                        "organization",
                        "report id",
                        "successful",
                        "failed",
                    ],
                    &rows,
                );
            }
            store.close().await;
            return Ok(ExitCode::SUCCESS);
        }
        Kind::Aggregate => {}
    }
    let domains = store.posture_domains().await?;
    let mut view = store.posture_sources(&query, 100_000).await?;
    let mut catalog = ServiceCatalog::embedded();
    if let Some(path) = &a.senders {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        catalog.extend_from_toml(&text, &path.display().to_string())?;
    }
    let resolver = if a.no_rdns {
        None
    } else {
        Some(a.dns.resolver().await?)
    };
    posture_dns::enrich_sources(
        &store,
        resolver.as_ref(),
        &mut view,
        &catalog,
        a.top,
        Duration::from_secs(10),
    )
    .await?;
    if let Some(path) = &a.svg {
        let bucket = match a.bucket {
            Period::Day => 86_400,
            Period::Week => 7 * 86_400,
        };
        let timeline = store.posture_timeline(&query, bucket).await?;
        let title = format!(
            "{}: aligned and unaligned messages per {}",
            query.domain.as_deref().unwrap_or("all domains"),
            match a.bucket {
                Period::Day => "day",
                Period::Week => "week",
            }
        );
        std::fs::write(
            path,
            countersign_posture::chart::volume_chart(&title, &timeline),
        )
        .with_context(|| format!("cannot write {}", path.display()))?;
        if !args.json {
            eprintln!("chart written to {}", path.display());
        }
    }
    store.close().await;
    let shown_domains: Vec<_> = domains
        .iter()
        .filter(|d| query.domain.as_ref().is_none_or(|q| *q == d.domain))
        .collect();
    if args.json {
        for d in &shown_domains {
            println!(
                "{}",
                serde_json::json!({
                    "type": "domain", "domain": d.domain, "reports": d.reports,
                    "first": date(d.first), "last": date(d.last), "volume": volume_json(&d.volume),
                })
            );
        }
        for s in view.sources.iter().take(a.top) {
            println!("{}", source_json(s));
        }
        println!(
            "{}",
            serde_json::json!({
                "type": "total", "volume": volume_json(&view.total),
                "sources": view.sources.len() as u64 + view.other_sources,
                "sources_not_shown": (view.sources.len().saturating_sub(a.top)) as u64 + view.other_sources,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = shown_domains
        .iter()
        .map(|d| {
            let v = &d.volume;
            vec![
                d.domain.clone(),
                d.reports.to_string(),
                format!("{} .. {}", date(d.first), date(d.last)),
                v.messages.to_string(),
                pct(v.dmarc_pass, v.messages),
                pct(v.dkim_aligned, v.messages),
                pct(v.spf_aligned, v.messages),
                v.quarantined.to_string(),
                v.rejected.to_string(),
            ]
        })
        .collect();
    print_table(
        &[
            "domain",
            "reports",
            "period",
            "messages",
            "dmarc pass",
            "dkim aligned",
            "spf aligned",
            "quarantined",
            "rejected",
        ],
        &rows,
    );
    println!();
    let rows: Vec<Vec<String>> = view
        .sources
        .iter()
        .take(a.top)
        .map(|s| {
            let v = &s.volume;
            vec![
                s.source_ip.to_string(),
                s.ptr.clone().unwrap_or_else(|| "-".into()),
                s.service.as_ref().map_or("-".into(), |(n, _)| n.clone()),
                s.header_from.keys().cloned().collect::<Vec<_>>().join(","),
                v.messages.to_string(),
                pct(v.dmarc_pass, v.messages),
                pct(v.dkim_aligned, v.messages),
                pct(v.spf_aligned, v.messages),
                if v.messages > v.dmarc_pass && v.dmarc_pass == 0 {
                    "UNALIGNED".into()
                } else if v.messages > v.dmarc_pass {
                    "partly".into()
                } else {
                    "aligned".into()
                },
            ]
        })
        .collect();
    print_table(
        &[
            "source ip",
            "reverse dns",
            "service",
            "header from",
            "messages",
            "dmarc pass",
            "dkim",
            "spf",
            "verdict",
        ],
        &rows,
    );
    let hidden = view.sources.len().saturating_sub(a.top) as u64 + view.other_sources;
    if hidden > 0 {
        println!("... and {hidden} more source(s) (--top N shows more)");
    }
    println!(
        "total: {} messages from {} source(s), {} passed DMARC",
        view.total.messages,
        view.sources.len() as u64 + view.other_sources,
        pct(view.total.dmarc_pass, view.total.messages)
    );
    Ok(ExitCode::SUCCESS)
}

async fn check(args: &DmarcArgs, a: &CheckArgs) -> Result<ExitCode> {
    let resolver = a.dns.resolver().await?;
    for domain in &a.domains {
        let req = CheckRequest {
            domain: domain.clone(),
            selectors: a.selectors.clone(),
        };
        let report = posture_dns::check_domain(&resolver, &req).await;
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print_check(&report);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_check(r: &DomainReport) {
    println!("== {}", r.domain);
    if let Some(spf) = &r.spf {
        println!(
            "SPF    {}  ({} of 10 DNS lookups, {} void)",
            spf.record, spf.lookups, spf.void_lookups
        );
    }
    if let Some(d) = &r.dmarc {
        println!("DMARC  {}  (at {})", d.record, d.found_at);
    }
    for k in &r.dkim {
        println!(
            "DKIM   {}: {}{}{}",
            k.selector,
            k.key_type,
            k.bits.map(|b| format!(" {b} bits")).unwrap_or_default(),
            if k.revoked { " (revoked)" } else { "" }
        );
    }
    if !r.mx.is_empty() {
        let mx: Vec<String> = r.mx.iter().map(|(p, h)| format!("{p} {h}")).collect();
        println!("MX     {}", mx.join(", "));
    }
    if r.findings.is_empty() {
        println!("no findings");
    } else {
        let rows: Vec<Vec<String>> = r
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.severity.to_string(),
                    f.record.clone(),
                    f.message.clone(),
                    if f.fix.is_empty() {
                        "-".into()
                    } else {
                        f.fix.clone()
                    },
                ]
            })
            .collect();
        print_table(&["severity", "record", "finding", "fix"], &rows);
    }
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    println!(
        "{errors} error(s), {warnings} warning(s), {} DNS question(s)\n",
        r.queries
    );
}
