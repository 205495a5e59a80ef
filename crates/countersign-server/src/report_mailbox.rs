//! The report mailbox: suspicious messages employees forward to an address
//! Countersign reads (a maildir, or an IMAP mailbox), polled by `serve`.
//! Each is handed to `Services::report_forwarded`; a filed one is marked
//! seen, a refused or unreadable one is flagged for a person, and one that
//! failed on our side (the store) stays unseen and is tried again: none is
//! taken twice and none is lost silently.

use anyhow::{Context, Result};
use countersign_mailbox::{ImapConfig, ImapMailbox, Maildir};
use countersign_service::Services;
use countersign_service::employees::ForwardOutcome;
use std::path::PathBuf;
use std::time::Duration;

/// Largest forward taken (a larger one is flagged for a person).
const MAX_MESSAGE: u64 = 25 * 1024 * 1024;
/// Messages taken per poll.
const BATCH: usize = 50;

/// Where forwarded reports arrive.
#[derive(Clone)]
pub enum Source {
    /// A maildir folder.
    Maildir(PathBuf),
    /// An IMAP mailbox (URL, password, extra CA).
    Imap {
        url: String,
        password: String,
        ca: Option<PathBuf>,
    },
}

impl std::fmt::Debug for Source {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Maildir(p) => write!(f, "maildir {}", p.display()),
            Source::Imap { url, .. } => write!(f, "imap {url}"),
        }
    }
}

/// Polls `source` every `every` until `stop` turns true.
pub async fn run(
    services: Services,
    source: Source,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while crate::serve::next_tick(&mut tick, &mut stop).await {
        if let Err(err) = poll(&services, &source).await {
            tracing::warn!(error = %format!("{err:#}"), "report mailbox: poll failed; trying again next time");
        }
    }
}

async fn poll(services: &Services, source: &Source) -> Result<()> {
    match source {
        Source::Maildir(path) => {
            let md = Maildir::open(path)?;
            for msg in md.unseen(BATCH)? {
                let origin = format!("maildir:{}", msg.unique());
                let raw = match md.read(&msg, MAX_MESSAGE) {
                    Ok(raw) => raw,
                    Err(e) => {
                        tracing::warn!(%origin, error = %e, "report mailbox: flagged for a person");
                        md.mark_failed(&msg)?;
                        continue;
                    }
                };
                match take(services, &origin, raw).await? {
                    true => md.mark_seen(&msg)?,
                    false => md.mark_failed(&msg)?,
                };
            }
        }
        Source::Imap { url, password, ca } => {
            let config = ImapConfig::from_url(url, password.clone(), ca.clone())?;
            let mut mb = ImapMailbox::connect(config).await?;
            let uids = mb.unseen(BATCH).await?;
            let (messages, too_large) = mb.fetch(&uids, MAX_MESSAGE).await?;
            let name = mb.mailbox().to_owned();
            let mut failed = too_large;
            let mut seen = Vec::new();
            for m in messages {
                let origin = format!("imap:{name}/{}", m.uid);
                match take(services, &origin, m.raw).await {
                    Ok(true) => seen.push(m.uid),
                    Ok(false) => failed.push(m.uid),
                    Err(e) => {
                        // Ours failed: leave it unseen, mark what is done.
                        mb.mark_seen(&seen).await?;
                        mb.mark_failed(&failed).await?;
                        return Err(e);
                    }
                }
            }
            mb.mark_seen(&seen).await?;
            mb.mark_failed(&failed).await?;
            mb.logout().await?;
        }
    }
    Ok(())
}

/// Files one forward; `false` when it was refused (audited by the service).
async fn take(services: &Services, origin: &str, raw: Vec<u8>) -> Result<bool> {
    match services
        .report_forwarded(origin, raw)
        .await
        .with_context(|| format!("{origin}: filing the forwarded report"))?
    {
        ForwardOutcome::Filed { reporter, ack } => {
            tracing::info!(%origin, %reporter, report = %ack.report_id, "report mailbox: report filed");
            Ok(true)
        }
        ForwardOutcome::Refused { reason } => {
            tracing::warn!(%origin, %reason, "report mailbox: not filed; flagged for a person");
            Ok(false)
        }
    }
}
