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
    }
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
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = listener.local_addr()?;
        // The one line on stdout: scripts and tests read the bound port here.
        println!("countersign serve: listening on http://{bound}");
        tracing::info!(%bound, "listening");
        let app = countersign_http::app(countersign_http::AppState {
            services: services.clone(),
            limits: countersign_http::Limits {
                max_message_bytes: config
                    .serve
                    .max_message_bytes
                    .unwrap_or(countersign_http::Limits::default().max_message_bytes),
                ..countersign_http::Limits::default()
            },
        });
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
        tracing::info!("shutting down: finishing background work");
        let _ = stop_tx.send(true);
        let _ = outbox.await;
        let _ = housekeeping.await;
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

/// Every 2 seconds: reloads the directory when it changed and expires
/// due cases, until stopped.
async fn housekeeping(services: Services, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
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
