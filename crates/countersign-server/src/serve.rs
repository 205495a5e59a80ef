//! `countersign serve`: the HTTP API on one port, the webhook outbox
//! worker, the case expiry sweeper and the directory refresher, all on one
//! runtime. SIGTERM or Ctrl-C stops accepting, lets in-flight requests
//! finish, commits every recorded verdict and signs an audit checkpoint.

use anyhow::Context;
use clap::Args;
use countersign_auth::Authenticator;
use countersign_dns::resolver::{DnsResolver, ResolverSettings};
use countersign_dns::zone::ZoneSet;
use countersign_notify::codes::CodeSender;
use countersign_notify::webhook::{OutboxWorker, RetryPolicy};
use countersign_pipeline::{Pipeline, Rules};
use countersign_service::metrics::{Metrics, labels};
use countersign_service::{Services, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `countersign serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// HTTP listen address [default: the configuration's `serve.listen`, else 127.0.0.1:8080].
    #[arg(long, env = "COUNTERSIGN_LISTEN")]
    listen: Option<String>,
    /// RFC 1035 zone file answering all DNS offline (repeatable; demos,
    /// tests, air-gapped evaluation). Without it, live DNS.
    #[arg(long = "zone", value_name = "FILE")]
    zones: Vec<PathBuf>,
    /// DNS server to query instead of the system's (repeatable, `IP[:port]`).
    #[arg(long = "dns-server", value_name = "ADDR")]
    dns_servers: Vec<SocketAddr>,
    /// DNS time-out in seconds; a time-out is temperror, never a pass.
    #[arg(long, default_value_t = 5.0)]
    dns_timeout: f64,
    /// The authserv-id written in Authentication-Results.
    #[arg(long, env = "COUNTERSIGN_AUTHSERV_ID")]
    authserv_id: Option<String>,
    /// Policy file (TOML); the shipped default when absent.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Request-risk rulebook (TOML); the shipped default when absent.
    #[arg(long)]
    rulebook: Option<PathBuf>,
    /// The installation's audit signing key (created on first use, mode 0600).
    #[arg(long, env = "COUNTERSIGN_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    /// SMTP relay for one-time codes (`smtp://host:port`, `smtps://host`).
    #[arg(long, env = "COUNTERSIGN_SMTP_RELAY")]
    smtp_relay: Option<String>,
    /// HTTP adapter for SMS and voice codes.
    #[arg(long, env = "COUNTERSIGN_PHONE_ADAPTER_URL")]
    phone_adapter_url: Option<String>,
    /// HMAC key for the phone adapter (prefer the environment variable).
    #[arg(long, env = "COUNTERSIGN_PHONE_ADAPTER_SECRET", hide_env_values = true)]
    phone_adapter_secret: Option<String>,
    /// Delay before the first webhook retry (e.g. `5s`); later ones double.
    #[arg(long)]
    webhook_retry: Option<String>,
    /// SMTP ingress listen address [default: the configuration's
    /// `smtp.listen`; without either, no SMTP listener].
    #[arg(long, env = "COUNTERSIGN_SMTP_LISTEN")]
    smtp_listen: Option<String>,
    /// The downstream help-desk SMTP server (`host:port`) SMTP ingress
    /// relays to [default: the configuration's `smtp.relay`].
    #[arg(long, env = "COUNTERSIGN_SMTP_DOWNSTREAM")]
    smtp_downstream: Option<String>,
    /// The SMTP spool folder [default: `smtp.spool_dir`, else `spool`
    /// beside a SQLite database or in the working folder].
    #[arg(long, env = "COUNTERSIGN_SPOOL_DIR")]
    spool_dir: Option<PathBuf>,
}

impl ServeArgs {
    /// Fills what the command line left open from the configuration file.
    pub(crate) fn apply_config(&mut self, config: &crate::config::Config) {
        let serve = &config.serve;
        self.listen = self.listen.take().or(serve.listen.clone());
        self.authserv_id = self.authserv_id.take().or(config.authserv_id.clone());
        self.policy = self.policy.take().or(config.policy.clone());
        self.rulebook = self.rulebook.take().or(config.rulebook.clone());
        self.audit_key = self.audit_key.take().or(config.audit_key.clone());
        self.smtp_relay = self.smtp_relay.take().or(serve.smtp_relay.clone());
        self.phone_adapter_url = self
            .phone_adapter_url
            .take()
            .or(serve.phone_adapter_url.clone());
        self.phone_adapter_secret = self
            .phone_adapter_secret
            .take()
            .or(serve.phone_adapter_secret.clone());
        self.webhook_retry = self.webhook_retry.take().or(serve.webhook_retry.clone());
        self.smtp_listen = self.smtp_listen.take().or(config.smtp.listen.clone());
        self.smtp_downstream = self.smtp_downstream.take().or(config.smtp.relay.clone());
        self.spool_dir = self.spool_dir.take().or(config.smtp.spool_dir.clone());
    }
}

/// SMTP ingress settings from the command line and the `[smtp]` table;
/// `None` when no SMTP listen address is set.
fn smtp_settings(
    args: &ServeArgs,
    config: &crate::config::SmtpConfig,
    db: &str,
) -> anyhow::Result<Option<countersign_smtp::Settings>> {
    if args.smtp_listen.is_none() {
        return Ok(None);
    }
    let downstream = args.smtp_downstream.as_deref().ok_or_else(|| {
        anyhow::anyhow!("smtp.relay: SMTP ingress needs a downstream server (host:port)")
    })?;
    let (host, port) = downstream
        .rsplit_once(':')
        .and_then(|(h, p)| {
            Some((
                h.trim_matches(|c| c == '[' || c == ']'),
                p.parse::<u16>().ok()?,
            ))
        })
        .ok_or_else(|| anyhow::anyhow!("smtp.relay: {downstream:?} is not host:port"))?;
    let spool_dir = args.spool_dir.clone().unwrap_or_else(|| {
        if db.contains("://") {
            PathBuf::from("spool")
        } else {
            std::path::Path::new(db)
                .parent()
                .map_or_else(|| PathBuf::from("spool"), |p| p.join("spool"))
        }
    });
    let mut s = countersign_smtp::Settings::new(spool_dir, downstream_of(config, host, port)?);
    let duration = |name: &str, value: &Option<String>, default: Duration| {
        value.as_deref().map_or(Ok(default), |v| {
            crate::config::parse_duration(v).map_err(|e| anyhow::anyhow!("smtp.{name}: {e}"))
        })
    };
    s.hostname = config.hostname.clone().unwrap_or(s.hostname);
    s.max_spool_bytes = config.max_spool_bytes.unwrap_or(s.max_spool_bytes);
    s.max_message_bytes = config.max_message_bytes.unwrap_or(s.max_message_bytes);
    s.max_recipients = config.max_recipients.unwrap_or(s.max_recipients);
    s.max_connections = config.max_connections.unwrap_or(s.max_connections);
    s.max_connections_per_ip = config
        .max_connections_per_ip
        .unwrap_or(s.max_connections_per_ip);
    s.command_timeout = duration(
        "command_timeout",
        &config.command_timeout,
        s.command_timeout,
    )?;
    s.data_timeout = duration("data_timeout", &config.data_timeout, s.data_timeout)?;
    s.max_bad_commands = config.max_bad_commands.unwrap_or(s.max_bad_commands);
    s.require_tls = config.require_tls.unwrap_or(s.require_tls);
    s.reject = config.reject.unwrap_or(s.reject);
    s.verdict_timeout = duration(
        "verdict_timeout",
        &config.verdict_timeout,
        s.verdict_timeout,
    )?;
    s.relay_concurrency = config.relay_concurrency.unwrap_or(s.relay_concurrency);
    s.relay_retry = duration("relay_retry", &config.relay_retry, s.relay_retry)?;
    s.relay_max_age = duration("relay_max_age", &config.relay_max_age, s.relay_max_age)?;
    s.workers = config.workers.unwrap_or(s.workers);
    for addr in config.xclient_from.iter().flatten() {
        s.xclient_from
            .push(addr.parse().map_err(|_| {
                anyhow::anyhow!("smtp.xclient_from: {addr:?} is not an IP address")
            })?);
    }
    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => s.tls = Some(tls_config(cert, key)?),
        (None, None) => {
            if s.require_tls {
                anyhow::bail!("smtp.require_tls needs smtp.tls_cert and smtp.tls_key");
            }
        }
        _ => anyhow::bail!("smtp.tls_cert and smtp.tls_key go together"),
    }
    Ok(Some(s))
}

/// The downstream server with the TLS the `[smtp]` table asks for.
fn downstream_of(
    config: &crate::config::SmtpConfig,
    host: &str,
    port: u16,
) -> anyhow::Result<countersign_smtp::Downstream> {
    let mut d = countersign_smtp::Downstream::new(host, port);
    if let Some(text) = &config.relay_tls {
        d.tls = countersign_smtp::RelayTls::parse(text).ok_or_else(|| {
            anyhow::anyhow!(
                "smtp.relay_tls: {text:?} is not off, opportunistic, required or implicit"
            )
        })?;
    }
    d.tls_name = config.relay_tls_name.clone();
    if let Some(path) = &config.relay_tls_ca {
        d.tls_ca_pem = Some(
            std::fs::read(path).with_context(|| format!("smtp.relay_tls_ca {}", path.display()))?,
        );
    }
    Ok(d)
}

/// The STARTTLS configuration: rustls with the ring provider.
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<Arc<tokio_rustls::rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("smtp.tls_cert {}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("smtp.tls_cert {}: no certificate in it", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("smtp.tls_key {}: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("smtp.tls_cert and smtp.tls_key do not form a certificate and its key")?;
    Ok(Arc::new(config))
}

fn settings(config: &crate::config::ServeConfig) -> anyhow::Result<Settings> {
    let d = Settings::default();
    let pick = |name: &str,
                value: &Option<String>,
                default: time::Duration|
     -> anyhow::Result<time::Duration> {
        match value {
            None => Ok(default),
            Some(text) => {
                let std = crate::config::parse_duration(text)
                    .map_err(|e| anyhow::anyhow!("serve.{name}: {e}"))?;
                Ok(time::Duration::try_from(std)?)
            }
        }
    };
    Ok(Settings {
        session_idle: pick("session_idle", &config.session_idle, d.session_idle)?,
        session_absolute: pick(
            "session_lifetime",
            &config.session_lifetime,
            d.session_absolute,
        )?,
        code_lifetime: pick("code_lifetime", &config.code_lifetime, d.code_lifetime)?,
        challenge_lifetime: pick(
            "challenge_lifetime",
            &config.challenge_lifetime,
            d.challenge_lifetime,
        )?,
        case_lifetime: pick("case_lifetime", &config.case_lifetime, d.case_lifetime)?,
        ..d
    })
}

/// Runs the server until SIGTERM or Ctrl-C.
pub fn run(args: ServeArgs, db: &str, config: &crate::config::Config) -> anyhow::Result<ExitCode> {
    let mut zones = ZoneSet::new();
    for path in &args.zones {
        if let Err(err) = zones.load_file(path) {
            eprintln!("countersign serve: {err}");
            return Ok(ExitCode::from(crate::EXIT_USAGE));
        }
    }
    let rules = match Rules::load(args.policy.as_deref(), args.rulebook.as_deref()) {
        Ok(rules) => rules,
        Err(err) => {
            eprintln!("countersign serve: {err}");
            return Ok(ExitCode::from(crate::EXIT_USAGE));
        }
    };
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let smtp = match smtp_settings(&args, &config.smtp, db) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("countersign serve: {err:#}");
            return Ok(ExitCode::from(crate::EXIT_USAGE));
        }
    };
    let codes = CodeSender::new(
        args.smtp_relay.as_deref(),
        config.serve.code_sender.as_deref(),
        args.phone_adapter_url.as_deref(),
        args.phone_adapter_secret.as_deref(),
    )
    .context("code delivery")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let key_path = args
            .audit_key
            .clone()
            .unwrap_or_else(|| crate::db_cmd::default_key_path(db));
        let key = crate::db_cmd::signing_key(&key_path)?;
        let store = crate::db_cmd::open(db, Some(key.clone())).await?;
        let dns = ResolverSettings {
            servers: args.dns_servers.clone(),
            timeout: Duration::from_secs_f64(args.dns_timeout.max(0.01)),
            ..ResolverSettings::default()
        };
        let resolver = if args.zones.is_empty() {
            DnsResolver::new(&dns)?
        } else {
            DnsResolver::from_zones(zones, &dns).await?
        };
        let authenticator = Authenticator::new(
            Arc::new(resolver),
            args.authserv_id.as_deref().unwrap_or("countersign.local"),
        );
        let metrics = Arc::new(Metrics::default());
        let services = Services::new(
            store.clone(),
            rules,
            Pipeline::new(authenticator, None),
            codes,
            settings(&config.serve)?,
            metrics.clone(),
        )
        .await
        .context("loading the directory")?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut policy = RetryPolicy::default();
        if let Some(text) = &args.webhook_retry {
            policy.base = crate::config::parse_duration(text)
                .map_err(|e| anyhow::anyhow!("webhook retry: {e}"))?;
        }
        let observed = metrics.clone();
        let worker = OutboxWorker::new(
            store.clone(),
            policy,
            Arc::new(move |_kind: &str, delivered: bool| {
                observed
                    .webhook_deliveries
                    .get_or_create(&labels(&[(
                        "outcome",
                        if delivered { "delivered" } else { "failed" },
                    )]))
                    .inc();
            }),
        )
        .context("webhook client")?;
        let outbox = tokio::spawn(worker.run(
            Duration::from_millis(500),
            services.outbox_wake(),
            stop_rx.clone(),
        ));
        let housekeeping = tokio::spawn(housekeeping(services.clone(), stop_rx.clone()));
        let report_mailbox = match report_source(&config.serve)? {
            Some(source) => {
                let every = config
                    .serve
                    .report_poll
                    .as_deref()
                    .map(crate::config::parse_duration)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("serve.report_poll: {e}"))?
                    .unwrap_or(Duration::from_secs(30));
                tracing::info!(?source, ?every, "reading the report mailbox");
                Some(tokio::spawn(crate::report_mailbox::run(
                    services.clone(),
                    source,
                    every,
                    stop_rx.clone(),
                )))
            }
            None => None,
        };
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = listener.local_addr()?;
        // The one line on stdout: scripts and tests read the bound port here.
        println!("countersign serve: listening on http://{bound}");
        tracing::info!(%bound, "listening");
        let smtp_server = match (smtp, &args.smtp_listen) {
            (Some(settings), Some(addr)) => {
                let smtp_listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for SMTP on {addr}"))?;
                let smtp_bound = smtp_listener.local_addr()?;
                let server = countersign_smtp::SmtpServer::start(
                    settings,
                    services.clone(),
                    smtp_listener,
                    stop_rx.clone(),
                )
                .await
                .context("starting SMTP ingress")?;
                println!("countersign serve: smtp on {smtp_bound}");
                tracing::info!(%smtp_bound, "SMTP listening");
                Some(server)
            }
            _ => None,
        };
        let app = countersign_http::app(countersign_http::AppState {
            services: services.clone(),
            limits: countersign_http::Limits {
                max_message_bytes: config
                    .serve
                    .max_message_bytes
                    .unwrap_or(countersign_http::Limits::default().max_message_bytes),
                ..countersign_http::Limits::default()
            },
        })
        // The web console: the same Services, its own access table and CSRF
        // checks; cookies are Secure when people reach us over https.
        .merge(countersign_console::router(
            countersign_console::ConsoleState {
                services: services.clone(),
                config: countersign_console::ConsoleConfig {
                    secure_cookies: config
                        .serve
                        .public_url
                        .as_deref()
                        .is_some_and(|u| u.starts_with("https://")),
                    ..countersign_console::ConsoleConfig::default()
                },
            },
        ));
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
        tracing::info!("shutting down: finishing background work");
        let _ = stop_tx.send(true);
        if let Some(server) = smtp_server {
            server.wait().await;
        }
        let _ = outbox.await;
        let _ = housekeeping.await;
        if let Some(task) = report_mailbox {
            let _ = task.await;
        }
        services.shutdown().await;
        store
            .checkpoint(&key, time::OffsetDateTime::now_utc())
            .await
            .context("signing the closing audit checkpoint")?;
        store.close().await;
        eprintln!("countersign serve: stopped");
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// Waits for the next tick of a background task: `false` once `stop`
/// turned true (the task then ends).
pub(crate) async fn next_tick(
    tick: &mut tokio::time::Interval,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        _ = tick.tick() => {}
        _ = stop.changed() => return false,
    }
    !*stop.borrow()
}

/// The report mailbox the configuration names, if any.
fn report_source(
    serve: &crate::config::ServeConfig,
) -> anyhow::Result<Option<crate::report_mailbox::Source>> {
    use crate::report_mailbox::Source;
    match (&serve.report_maildir, &serve.report_imap) {
        (Some(_), Some(_)) => {
            anyhow::bail!("serve.report_maildir and serve.report_imap: give one report mailbox")
        }
        (Some(path), None) => Ok(Some(Source::Maildir(path.clone()))),
        (None, Some(url)) => {
            let password = crate::config::secret(
                serve.report_imap_password_file.as_deref(),
                "COUNTERSIGN_REPORT_IMAP_PASSWORD",
                "serve.report_imap",
            )?;
            Ok(Some(Source::Imap {
                url: url.clone(),
                password,
                ca: serve.report_imap_ca.clone(),
            }))
        }
        (None, None) => Ok(None),
    }
}

/// Every 2 seconds: reloads the directory when it changed and expires
/// due cases, until stopped.
async fn housekeeping(services: Services, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    while next_tick(&mut tick, &mut stop).await {
        if let Err(err) = services.directory().refresh().await {
            tracing::warn!(%err, "directory refresh failed");
        }
        // Expiry is an indexed query for due cases: cheap enough to run
        // every tick, so a case expires within seconds of its deadline.
        match services.expire_due_cases().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "cases expired"),
            Err(err) => tracing::warn!(%err, "case expiry failed"),
        }
        match services.expire_due_verifications().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "caller verifications expired"),
            Err(err) => tracing::warn!(%err, "caller verification expiry failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested");
}
