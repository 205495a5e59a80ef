//! SMTP ingress: Countersign in the mail path in front of the help desk.
//!
//! A listener inside `countersign serve` speaks ESMTP (PIPELINING, SIZE,
//! 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, STARTTLS with rustls and ring,
//! XCLIENT from configured addresses). At the end of DATA a message is
//! judged within a time limit: a reject verdict is answered `550 5.7.1`
//! (when configured); anything else is written to the [`spool::Spool`]
//! and answered `250` only once that write is durable.
//!
//! Spooled messages are recorded by worker tasks through
//! `Services::record_judged`: verdict, case, audit entries, and what goes
//! downstream, in one transaction; a digest of envelope and content makes
//! a message spooled twice a duplicate. Only then is its spool record
//! done. The relay worker ([`relay`]) sends the relay queue downstream,
//! retries with exponential backoff, and bounces (RFC 3464) on a
//! permanent failure unless the sender is null.

pub mod metrics;
mod relay;
mod session;
pub mod spool;

use countersign_model::verdict::Action;
use countersign_pipeline::Analysis;
use countersign_service::relay::{RelayHeaders, compose};
use countersign_service::{IncomingMessage, Ingress, Judged, Services};
use countersign_store::NewRelay;
use metrics::SmtpMetrics;
use spool::{Spool, SpoolEntry, SpoolError, SpooledEnvelope};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};

/// The downstream SMTP server (the help desk's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downstream {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// How the connection is protected.
    pub tls: RelayTls,
    /// The name the server's certificate must carry (default: `host`).
    pub tls_name: Option<String>,
    /// Extra trusted root certificates (PEM), e.g. a private CA; the
    /// system's roots are trusted too.
    pub tls_ca_pem: Option<Vec<u8>>,
}

impl Downstream {
    /// A downstream server with STARTTLS when offered (certificate checked).
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: RelayTls::Opportunistic,
            tls_name: None,
            tls_ca_pem: None,
        }
    }
}

/// TLS towards the downstream server. Whenever TLS is used, the server's
/// certificate is verified (against its name and the trusted roots): a
/// failed check is a failed delivery, retried, never a silent downgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayTls {
    /// Plain SMTP (a downstream on the same host or a trusted link).
    Off,
    /// STARTTLS when the server offers it (the default).
    Opportunistic,
    /// STARTTLS always; a server without it is a failed delivery.
    Required,
    /// TLS from the first byte (SMTPS, port 465).
    Implicit,
}

impl RelayTls {
    /// From the configuration's words: `off`, `opportunistic`,
    /// `required`, `implicit`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Some(Self::Off),
            "opportunistic" => Some(Self::Opportunistic),
            "required" | "starttls" => Some(Self::Required),
            "implicit" | "smtps" => Some(Self::Implicit),
            _ => None,
        }
    }
}

/// Why SMTP ingress could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The spool could not be opened.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// The downstream TLS settings are unusable (e.g. a bad CA file).
    #[error("smtp relay TLS: {0}")]
    RelayTls(String),
}

/// What an installation sets for SMTP ingress.
#[derive(Clone)]
pub struct Settings {
    /// Our host name (greeting, Received, Reporting-MTA).
    pub hostname: String,
    /// The spool folder.
    pub spool_dir: PathBuf,
    /// Most bytes the spool may hold; past it, `452 4.3.1`.
    pub max_spool_bytes: u64,
    /// Largest message (SIZE); past it, `552 5.3.4`.
    pub max_message_bytes: usize,
    /// Recipients per message; past it, `452 4.5.3`.
    pub max_recipients: usize,
    /// Sessions at once; past it, `421 4.7.0` at connect.
    pub max_connections: usize,
    /// Sessions at once from one client address.
    pub max_connections_per_ip: usize,
    /// Waiting for a command (RFC 5321: 5 minutes).
    pub command_timeout: Duration,
    /// Receiving a whole DATA (RFC 5321 suggests 10 minutes).
    pub data_timeout: Duration,
    /// Bad commands before `421 4.7.0`.
    pub max_bad_commands: usize,
    /// Addresses allowed to use XCLIENT (the MTA in front).
    pub xclient_from: Vec<IpAddr>,
    /// STARTTLS, when a certificate is configured.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Refuse MAIL FROM before STARTTLS.
    pub require_tls: bool,
    /// Answer `550 5.7.1` when the verdict is reject (and ready in time).
    pub reject: bool,
    /// How long end of DATA waits for the verdict before accepting.
    pub verdict_timeout: Duration,
    /// Where delivered, flagged and held messages go.
    pub downstream: Downstream,
    /// Parallel downstream deliveries.
    pub relay_concurrency: usize,
    /// First retry delay; later ones double, up to an hour.
    pub relay_retry: Duration,
    /// After this long undelivered, a message is bounced.
    pub relay_max_age: Duration,
    /// Workers recording spooled messages.
    pub workers: usize,
}

impl Settings {
    /// Defaults around a spool folder and a downstream server.
    pub fn new(spool_dir: PathBuf, downstream: Downstream) -> Self {
        Self {
            hostname: "countersign.local".into(),
            spool_dir,
            max_spool_bytes: 4 << 30,
            max_message_bytes: 25 << 20,
            max_recipients: 100,
            max_connections: 200,
            max_connections_per_ip: 20,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            max_bad_commands: 10,
            xclient_from: Vec::new(),
            tls: None,
            require_tls: false,
            reject: true,
            verdict_timeout: Duration::from_secs(10),
            downstream,
            relay_concurrency: 8,
            relay_retry: Duration::from_secs(30),
            relay_max_age: Duration::from_secs(5 * 86400),
            workers: 8,
        }
    }
}

/// A message as one session received it.
pub(crate) struct Received {
    client_ip: String,
    client_name: Option<String>,
    helo: String,
    mail_from: String,
    rcpt: Vec<String>,
    protocol: String,
    raw: Arc<Vec<u8>>,
}

impl From<countersign_smtp_protocol::Transaction> for Received {
    fn from(t: countersign_smtp_protocol::Transaction) -> Self {
        Self {
            client_ip: t.client_ip,
            client_name: t.client_name,
            helo: t.helo,
            mail_from: t.mail_from,
            rcpt: t.rcpt,
            protocol: t.protocol.into(),
            raw: Arc::new(t.raw),
        }
    }
}

impl Received {
    fn incoming(&self, source: &'static str) -> IncomingMessage {
        IncomingMessage {
            raw: self.raw.as_ref().clone(),
            client_ip: self.client_ip.clone(),
            helo: self.helo.clone(),
            mail_from: self.mail_from.clone(),
            rcpt: self.rcpt.clone(),
            source,
            submitted_by: "smtp".into(),
        }
    }
}

/// One spooled message to record, with its analysis when the session
/// already ran it.
#[derive(Clone)]
struct Work {
    entry: SpoolEntry,
    analysis: Option<Analysis>,
}

pub(crate) struct Shared {
    settings: Settings,
    services: Services,
    spool: Spool,
    metrics: SmtpMetrics,
    work: mpsc::Sender<Work>,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    inflight: Mutex<HashSet<String>>,
}

impl Shared {
    /// Spools a message durably and hands it to the workers; the queue ID.
    async fn spool_and_queue(
        &self,
        received: Received,
        analysis: Option<Analysis>,
    ) -> Result<String, SpoolError> {
        let digest = spool::envelope_digest(&received.mail_from, &received.rcpt, &received.raw);
        let queue_id = countersign_accounts::token::random_id("q");
        let envelope = SpooledEnvelope {
            queue_id: queue_id.clone(),
            received_at: countersign_audit::unix_millis(time::OffsetDateTime::now_utc()),
            client_ip: received.client_ip,
            client_name: received.client_name,
            helo: received.helo,
            mail_from: received.mail_from,
            rcpt: received.rcpt,
            protocol: received.protocol,
            digest: data_encoding::HEXLOWER.encode(&digest),
        };
        let id = self.spool.append(&envelope, received.raw.clone()).await?;
        self.metrics.accepted.inc();
        let work = Work {
            entry: SpoolEntry {
                id,
                envelope,
                raw: received.raw,
            },
            analysis,
        };
        // Durable already: if the workers are gone (shutting down), the
        // next start processes it from the spool.
        let _ = self.work.send(work).await;
        Ok(queue_id)
    }
}

/// The `Received:` value of a spooled message.
fn received_line(env: &SpooledEnvelope, hostname: &str) -> String {
    let date =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(env.received_at) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc2822)
                    .ok()
            })
            .unwrap_or_default();
    let name = env.client_name.as_deref().unwrap_or("unknown");
    format!(
        "from {} ({name} [{}]) by {hostname} (Countersign) with {} id {}; {date}",
        env.helo, env.client_ip, env.protocol, env.queue_id
    )
}

/// Records one spooled message: its verdict, its case and what to relay.
async fn process(shared: &Shared, work: Work) -> Result<(), String> {
    let started = Instant::now();
    let env = &work.entry.envelope;
    let digest = data_encoding::HEXLOWER
        .decode(env.digest.as_bytes())
        .map_err(|e| format!("spool digest: {e}"))?;
    let store = shared.services.store();
    if store
        .message_by_envelope_digest(&digest)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        shared.metrics.duplicates.inc();
        return Ok(());
    }
    let incoming = IncomingMessage {
        raw: work.entry.raw.as_ref().clone(),
        client_ip: env.client_ip.clone(),
        helo: env.helo.clone(),
        mail_from: env.mail_from.clone(),
        rcpt: env.rcpt.clone(),
        source: "smtp",
        submitted_by: "smtp".into(),
    };
    let analysis = match work.analysis {
        Some(a) => a,
        None => match shared.services.analyze(&incoming).await {
            Ok(a) => a,
            Err(err) => countersign_service::messages::failed_analysis(&err.to_string()),
        },
    };
    let received = received_line(env, &shared.settings.hostname);
    let relay = Box::new(move |judged: &Judged, incoming: &IncomingMessage| {
        let action = judged.action();
        if !matches!(action, Action::Deliver | Action::Flag | Action::Hold) {
            return None;
        }
        let reasons = judged
            .analysis
            .verdict
            .as_ref()
            .map(|v| v.reasons.clone())
            .unwrap_or_default();
        let headers = RelayHeaders {
            received: Some(received),
            authentication_results: judged.analysis.report.authentication_results.clone(),
            verdict: action.as_str().to_owned(),
            reasons,
            case_id: judged.case_id.clone(),
            released_by: None,
        };
        Some(NewRelay {
            id: countersign_accounts::token::random_id("r"),
            message_id: judged.message_id.clone(),
            kind: "message".into(),
            mail_from: incoming.mail_from.clone(),
            rcpt: incoming.rcpt.clone(),
            data: compose(&incoming.raw, &headers),
        })
    });
    let recorded = shared
        .services
        .record_judged(
            incoming,
            analysis,
            started,
            Some(Ingress {
                envelope_digest: digest,
                relay,
            }),
            true,
        )
        .await
        .map_err(|e| e.to_string())?;
    match recorded {
        Some(_) => shared.services.relay_wake().notify_one(),
        None => {
            shared.metrics.duplicates.inc();
        }
    }
    Ok(())
}

fn requeue(shared: &Arc<Shared>, work: Work, delay: Duration) {
    let tx = shared.work.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = tx.send(work).await;
    });
}

async fn worker(
    shared: Arc<Shared>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Work>>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let work = {
            let mut rx = rx.lock().await;
            tokio::select! {
                w = rx.recv() => w,
                _ = stop.changed() => None,
            }
        };
        let Some(work) = work else { return };
        let digest = work.entry.envelope.digest.clone();
        let first = shared
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(digest.clone());
        if !first {
            // The same message is being recorded by another worker; once
            // it is, this one will be found a duplicate.
            requeue(&shared, work, Duration::from_millis(100));
            continue;
        }
        let id = work.entry.id;
        let result = process(&shared, work.clone()).await;
        shared
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&digest);
        match result {
            Ok(()) => shared.spool.done(id),
            Err(err) => {
                // Still in the spool: tried again, never dropped.
                tracing::warn!(%err, queue_id = %work.entry.envelope.queue_id, "recording a spooled message failed; retrying");
                requeue(&shared, work, Duration::from_secs(2));
            }
        }
    }
}

/// Deletes spool segments whose messages are all recorded, once the store
/// made those commits durable.
async fn reaper(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        shared.metrics.spool_depth.set(shared.spool.depth() as i64);
        let finished = shared.spool.finished();
        if finished.is_empty() {
            continue;
        }
        if let Err(err) = shared.services.store().make_durable().await {
            tracing::warn!(%err, "store sync before spool cleanup failed");
            continue;
        }
        if let Err(err) = shared.spool.forget(&finished) {
            tracing::warn!(%err, "spool cleanup failed");
        }
    }
}

/// Reads back what the previous run left in the spool and queues it.
async fn recover(shared: Arc<Shared>, old: Vec<(u64, PathBuf)>) {
    let mut total = 0usize;
    for (n, path) in old {
        let read = tokio::task::spawn_blocking(move || spool::read_segment(&path, n)).await;
        match read {
            Ok(Ok(entries)) => {
                shared.spool.recovered(n, entries.len() as u32);
                total += entries.len();
                for entry in entries {
                    if shared
                        .work
                        .send(Work {
                            entry,
                            analysis: None,
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Ok(Err(err)) => tracing::error!(%err, "spool segment unreadable; kept for inspection"),
            Err(err) => tracing::error!(%err, "spool recovery failed"),
        }
    }
    if total > 0 {
        tracing::info!(
            messages = total,
            "spooled messages from the previous run queued"
        );
    }
}

/// The running SMTP ingress.
pub struct SmtpServer {
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SmtpServer {
    /// Opens the spool, queues what it holds, starts the workers, the relay
    /// and the listener. Everything stops when `stop` turns true.
    pub async fn start(
        settings: Settings,
        services: Services,
        listener: TcpListener,
        stop: watch::Receiver<bool>,
    ) -> Result<SmtpServer, StartError> {
        let transport = relay::transport(&settings).map_err(StartError::RelayTls)?;
        let (spool, old) = Spool::open(&settings.spool_dir, settings.max_spool_bytes)?;
        let metrics = SmtpMetrics::register(services.metrics());
        let (tx, rx) = mpsc::channel(1024);
        let shared = Arc::new(Shared {
            settings,
            services,
            spool,
            metrics,
            work: tx,
            per_ip: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashSet::new()),
        });
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let mut tasks = Vec::new();
        for _ in 0..shared.settings.workers.max(1) {
            tasks.push(tokio::spawn(worker(
                shared.clone(),
                rx.clone(),
                stop.clone(),
            )));
        }
        tasks.push(tokio::spawn(reaper(shared.clone(), stop.clone())));
        tasks.push(tokio::spawn(recover(shared.clone(), old)));
        tasks.push(tokio::spawn(relay::run(
            shared.clone(),
            transport,
            stop.clone(),
        )));
        tasks.push(tokio::spawn(accept_loop(shared.clone(), listener, stop)));
        Ok(SmtpServer { shared, tasks })
    }

    /// Waits for every task to stop, then closes the spool.
    pub async fn wait(self) {
        for t in self.tasks {
            let _ = t.await;
        }
        self.shared.spool.close();
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    let total = Arc::new(Semaphore::new(shared.settings.max_connections));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        let (mut stream, addr) = match accepted {
            Ok(a) => a,
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let ip = addr.ip();
        let refuse = |shared: &Arc<Shared>, limit: &str| {
            metrics::limit_hit(&shared.metrics, limit);
        };
        let Ok(permit) = total.clone().try_acquire_owned() else {
            refuse(&shared, "connections");
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let _ = stream
                    .write_all(b"421 4.7.0 Too many connections, try again later\r\n")
                    .await;
            });
            continue;
        };
        {
            let mut per_ip = shared.per_ip.lock().unwrap_or_else(|e| e.into_inner());
            let n = per_ip.entry(ip).or_default();
            if *n >= shared.settings.max_connections_per_ip {
                drop(per_ip);
                refuse(&shared, "connections_per_ip");
                tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt;
                    let _ = stream
                        .write_all(b"421 4.7.0 Too many connections from your address\r\n")
                        .await;
                });
                continue;
            }
            *n += 1;
        }
        let _ = stream.set_nodelay(true);
        shared.metrics.sessions.inc();
        shared.metrics.sessions_active.inc();
        let shared = shared.clone();
        tokio::spawn(async move {
            session::run(shared.clone(), stream, ip).await;
            {
                let mut per_ip = shared.per_ip.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(n) = per_ip.get_mut(&ip) {
                    *n -= 1;
                    if *n == 0 {
                        per_ip.remove(&ip);
                    }
                }
            }
            shared.metrics.sessions_active.dec();
            drop(permit);
        });
    }
}
