//! The configuration file: what an installation sets once instead of on
//! every command. Command-line flags and environment variables win over it;
//! it wins over the built-in defaults.
//!
//! Read from `--config FILE` (or `COUNTERSIGN_CONFIG`), else from
//! `./countersign.toml` when that exists. Relative paths in it are relative
//! to the file. Unknown keys are refused, so a typo cannot go unnoticed.

use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file read when no `--config` is given, if it exists.
pub const DEFAULT_CONFIG: &str = "countersign.toml";

/// Every setting the file may hold.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Database: a SQLite file path or a `postgres://` URL.
    pub db: Option<String>,
    /// The installation's audit signing key (kept outside the database).
    pub audit_key: Option<PathBuf>,
    /// The name written as authserv-id in Authentication-Results.
    pub authserv_id: Option<String>,
    /// Policy file for `analyze`.
    pub policy: Option<PathBuf>,
    /// Request-risk rulebook for `analyze`.
    pub rulebook: Option<PathBuf>,
    /// Directory snapshot for `analyze` and `lookalike`.
    pub directory: Option<PathBuf>,
    /// Settings of `countersign serve` (the `[serve]` table).
    #[serde(default)]
    pub serve: ServeConfig,
    /// SMTP ingress inside `countersign serve` (the `[smtp]` table); off
    /// unless `listen` is set here or by `--smtp-listen`.
    #[serde(default)]
    pub smtp: SmtpConfig,
}

/// The `[smtp]` table: Countersign in the mail path.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Listen address, e.g. `127.0.0.1:2525`.
    pub listen: Option<String>,
    /// Our host name in the greeting, Received and bounces.
    pub hostname: Option<String>,
    /// Downstream help-desk server, `host:port`: where delivered, flagged
    /// and held messages (and bounces) go.
    pub relay: Option<String>,
    /// TLS to the downstream server: `opportunistic` (STARTTLS when
    /// offered; the default), `required`, `implicit` (SMTPS) or `off`. The
    /// certificate is always verified when TLS is used.
    pub relay_tls: Option<String>,
    /// The name the downstream certificate must carry (default: the host
    /// of `relay`), e.g. when `relay` is an address.
    pub relay_tls_name: Option<String>,
    /// Extra trusted CA certificate (PEM) for the downstream server.
    pub relay_tls_ca: Option<PathBuf>,
    /// The spool folder (default: `spool` beside the database).
    pub spool_dir: Option<PathBuf>,
    /// Most bytes the spool may hold (default 4 GiB); past it, 452.
    pub max_spool_bytes: Option<u64>,
    /// Largest message in bytes (default 25 MiB).
    pub max_message_bytes: Option<usize>,
    /// Recipients per message (default 100).
    pub max_recipients: Option<usize>,
    /// Sessions at once (default 200).
    pub max_connections: Option<usize>,
    /// Sessions at once from one address (default 20).
    pub max_connections_per_ip: Option<usize>,
    /// Waiting for a command (default `5m`).
    pub command_timeout: Option<String>,
    /// Receiving one DATA (default `10m`).
    pub data_timeout: Option<String>,
    /// Bad commands before the session is closed (default 10).
    pub max_bad_commands: Option<usize>,
    /// Addresses allowed to send XCLIENT (the MTA in front).
    pub xclient_from: Option<Vec<String>>,
    /// PEM certificate chain for STARTTLS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for STARTTLS.
    pub tls_key: Option<PathBuf>,
    /// Refuse MAIL FROM before STARTTLS (default false).
    pub require_tls: Option<bool>,
    /// Answer 550 5.7.1 for reject verdicts (default true).
    pub reject: Option<bool>,
    /// How long end of DATA waits for a verdict (default `10s`).
    pub verdict_timeout: Option<String>,
    /// Parallel downstream deliveries (default 8).
    pub relay_concurrency: Option<usize>,
    /// First retry delay downstream (default `30s`); later ones double.
    pub relay_retry: Option<String>,
    /// Bounce what is undelivered after this long (default `5d`).
    pub relay_max_age: Option<String>,
    /// Workers recording spooled messages (default 8).
    pub workers: Option<usize>,
}

/// The `[serve]` table: what `countersign serve` listens on, where codes
/// go out, and how long sessions, codes and cases live.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// HTTP listen address, e.g. `127.0.0.1:8080`.
    pub listen: Option<String>,
    /// The URL people and tools reach this installation at (shown in
    /// messages and the OpenAPI document).
    pub public_url: Option<String>,
    /// SMTP relay for one-time codes: `smtp://host:port`, `smtps://host`,
    /// `smtp://host:587?tls=required`.
    pub smtp_relay: Option<String>,
    /// The From of code messages, e.g. `IT Security <noreply@example.com>`.
    pub code_sender: Option<String>,
    /// HTTP adapter for SMS and voice codes (receives signed JSON).
    pub phone_adapter_url: Option<String>,
    /// The HMAC key the phone adapter checks.
    pub phone_adapter_secret: Option<String>,
    /// A session ends after this long without a request (default `30m`).
    /// Durations are a number and a unit: `45s`, `10m`, `12h`, `3d`.
    pub session_idle: Option<String>,
    /// A session ends this long after sign-in (default `12h`).
    pub session_lifetime: Option<String>,
    /// How long a one-time code is valid (default `10m`).
    pub code_lifetime: Option<String>,
    /// How long a signature challenge is valid (default `30m`).
    pub challenge_lifetime: Option<String>,
    /// How long a case has to be verified before it expires (default `72h`).
    pub case_lifetime: Option<String>,
    /// The delay before the first webhook retry; later ones double (default `5s`).
    pub webhook_retry: Option<String>,
    /// Largest message accepted over HTTP, in bytes (default 25 MiB).
    pub max_message_bytes: Option<usize>,
    /// The report mailbox as a maildir: suspicious messages employees
    /// forward (as attachments) become their reports.
    pub report_maildir: Option<PathBuf>,
    /// The report mailbox over IMAP (`imaps://user@host/INBOX`; plain
    /// `imap://` on loopback only). Password from `report_imap_password_file`
    /// or `COUNTERSIGN_REPORT_IMAP_PASSWORD`.
    pub report_imap: Option<String>,
    /// File holding the report mailbox's IMAP password.
    pub report_imap_password_file: Option<PathBuf>,
    /// Extra CA certificate (PEM) for the report mailbox's IMAP server.
    pub report_imap_ca: Option<PathBuf>,
    /// How often the report mailbox is read (default `30s`).
    pub report_poll: Option<String>,
}

/// A secret from `file` (its first line) or, without one, from the
/// environment variable `env`; `what` names it in the error.
pub fn secret(file: Option<&Path>, env: &str, what: &str) -> anyhow::Result<String> {
    match file {
        Some(path) => Ok(std::fs::read_to_string(path)
            .with_context(|| format!("{what}: cannot read {}", path.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_owned()),
        None => {
            std::env::var(env).with_context(|| format!("{what}: give a password file or set {env}"))
        }
    }
}

/// Parses a duration: a number and a unit (`ms`, `s`, `m`, `h`, `d`),
/// e.g. `500ms`, `45s`, `10m`, `12h`, `3d`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?}: add a unit (ms, s, m, h, d)"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?}: not a number followed by a unit"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        other => return Err(format!("{text:?}: unknown unit {other:?} (ms, s, m, h, d)")),
    };
    if !(seconds > 0.0 && seconds < 1e9) {
        return Err(format!("{text:?}: must be positive"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

impl Config {
    /// Loads `explicit`, which must exist, or the default file if present.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Self> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None if Path::new(DEFAULT_CONFIG).is_file() => PathBuf::from(DEFAULT_CONFIG),
            None => return Ok(Self::default()),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read configuration {}", path.display()))?;
        Self::parse(&text, &path)
    }

    /// Parses configuration text read from `path`.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Self> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for file in [
            &mut config.audit_key,
            &mut config.policy,
            &mut config.rulebook,
            &mut config.directory,
            &mut config.smtp.spool_dir,
            &mut config.smtp.relay_tls_ca,
            &mut config.serve.report_maildir,
            &mut config.serve.report_imap_password_file,
            &mut config.serve.report_imap_ca,
            &mut config.smtp.tls_cert,
            &mut config.smtp.tls_key,
        ]
        .into_iter()
        .flatten()
        {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        if let Some(db) = &mut config.db {
            let is_url = db.contains("://");
            if !is_url && Path::new(db.as_str()).is_relative() {
                *db = base.join(db.as_str()).display().to_string();
            }
        }
        for (name, value) in [
            ("serve.session_idle", &config.serve.session_idle),
            ("serve.session_lifetime", &config.serve.session_lifetime),
            ("serve.code_lifetime", &config.serve.code_lifetime),
            ("serve.challenge_lifetime", &config.serve.challenge_lifetime),
            ("serve.case_lifetime", &config.serve.case_lifetime),
            ("serve.webhook_retry", &config.serve.webhook_retry),
            ("serve.report_poll", &config.serve.report_poll),
            ("smtp.command_timeout", &config.smtp.command_timeout),
            ("smtp.data_timeout", &config.smtp.data_timeout),
            ("smtp.verdict_timeout", &config.smtp.verdict_timeout),
            ("smtp.relay_retry", &config.smtp.relay_retry),
            ("smtp.relay_max_age", &config.smtp.relay_max_age),
        ] {
            if let Some(value) = value {
                parse_duration(value)
                    .map_err(|e| anyhow::anyhow!("{}: {name}: {e}", path.display()))?;
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_config_parses() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
        let mut seen = 0;
        for entry in std::fs::read_dir(&samples).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).unwrap();
                Config::parse(&text, &path).unwrap_or_else(|e| panic!("{e:#}"));
                seen += 1;
            }
        }
        assert!(seen > 0, "no sample configuration in {}", samples.display());
    }

    #[test]
    fn relative_paths_follow_the_file_and_typos_are_refused() {
        let config = Config::parse(
            "db = \"cs.db\"\npolicy = \"policy.toml\"\n",
            Path::new("/etc/countersign/countersign.toml"),
        )
        .unwrap();
        assert_eq!(config.db.as_deref(), Some("/etc/countersign/cs.db"));
        assert_eq!(
            config.policy,
            Some(PathBuf::from("/etc/countersign/policy.toml"))
        );
        let url = Config::parse("db = \"postgres://h/db\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(url.db.as_deref(), Some("postgres://h/db"));
        let err = Config::parse(
            "[serve]\ncase_lifetime = \"3 weeks\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("serve.case_lifetime"), "{err}");
        assert_eq!(
            parse_duration("10m"),
            Ok(std::time::Duration::from_secs(600))
        );
        assert_eq!(
            parse_duration("500ms"),
            Ok(std::time::Duration::from_millis(500))
        );
        assert!(parse_duration("10").is_err());
        let err = Config::parse("\npolcy = \"x\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:2:"), "{err}");
    }
}
