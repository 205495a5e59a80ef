//! The relay worker: sends the relay queue downstream with lettre, retries
//! temporary failures with exponential backoff, and bounces permanent ones
//! (RFC 3464) to the envelope sender unless it is null. Nothing leaves the
//! queue without an outcome written in the store.

use crate::metrics::relay_attempt;
use crate::{RelayTls, Settings, Shared};
use countersign_audit::AuditEvent;
use countersign_service::relay::{Bounce, dsn};
use countersign_store::{NewRelay, RelayJob, RelayOutcome};
use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

/// The retry delay after `attempts` failures: `base` doubled each time,
/// at most an hour.
pub(crate) fn backoff(base: Duration, attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(16);
    (base * factor).min(Duration::from_secs(3600))
}

/// The transport to the downstream server, TLS as configured.
pub(crate) fn transport(s: &Settings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let d = &s.downstream;
    let tls = if d.tls == RelayTls::Off {
        Tls::None
    } else {
        let name = d.tls_name.clone().unwrap_or_else(|| d.host.clone());
        let mut params = TlsParameters::builder(name);
        if let Some(pem) = &d.tls_ca_pem {
            let cert =
                Certificate::from_pem(pem).map_err(|e| format!("the CA certificate: {e}"))?;
            params = params.add_root_certificate(cert);
        }
        let params = params.build_rustls().map_err(|e| e.to_string())?;
        match d.tls {
            RelayTls::Opportunistic => Tls::Opportunistic(params),
            RelayTls::Required => Tls::Required(params),
            RelayTls::Implicit => Tls::Wrapper(params),
            RelayTls::Off => Tls::None,
        }
    };
    // One connection per delivery: lettre's pool would change how the
    // code sender (same crate, same features) must be built.
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&d.host)
            .port(d.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(60)))
            .hello_name(ClientId::Domain(s.hostname.clone()))
            .build(),
    )
}

pub(crate) async fn run(
    shared: Arc<Shared>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    mut stop: watch::Receiver<bool>,
) {
    let s = &shared.settings;
    let permits = Arc::new(Semaphore::new(s.relay_concurrency.max(1)));
    let wake = shared.services.relay_wake();
    // This node's leases: its host name and spool, which a restart keeps.
    let owner = format!("{}:{}", s.hostname, s.spool_dir.display());
    match shared.services.store().release_relay_leases(&owner).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            deliveries = n,
            "deliveries in flight at the last stop taken back"
        ),
        Err(err) => tracing::warn!(%err, "taking back relay leases failed"),
    }
    // Outcomes are committed by one task, many per transaction: a commit
    // per delivery made the store's writer the relay's bottleneck.
    let (done, outcomes) = mpsc::channel(s.relay_concurrency.max(1) * 8);
    let recorder = tokio::spawn(record_outcomes(shared.clone(), outcomes));
    'claim: loop {
        if *stop.borrow() {
            break;
        }
        let claimed = shared
            .services
            .store()
            .claim_relays(
                &owner,
                OffsetDateTime::now_utc(),
                time::Duration::minutes(5),
                (s.relay_concurrency * 4) as u32,
            )
            .await;
        let jobs = match claimed {
            Ok(jobs) => jobs,
            Err(err) => {
                tracing::warn!(%err, "claiming relay jobs failed");
                Vec::new()
            }
        };
        if jobs.is_empty() {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => break 'claim,
            }
            continue;
        }
        for job in jobs {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break 'claim;
            };
            let shared = shared.clone();
            let transport = transport.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let id = job.id.clone();
                let outcome = attempt(&shared, &transport, job).await;
                // The permit goes with the outcome and is released once it
                // is committed: deliveries sent but not yet recorded (what a
                // crash sends twice) stay within the relay's concurrency.
                if done.send((id, outcome, permit)).await.is_err() {
                    tracing::error!(
                        "the relay's outcome recorder is gone; the delivery is tried again when its lease runs out"
                    );
                }
            });
        }
    }
    // Deliveries in flight still record their outcome; past the wait, their
    // leases run out and they are tried again.
    drop(done);
    let _ = tokio::time::timeout(OUTCOME_DRAIN, recorder).await;
}

/// The enhanced status code (RFC 3463) in a reply's text, if any.
fn enhanced_status(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')')
        .find(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3
                && matches!(parts[0], "2" | "4" | "5")
                && parts[1..]
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

fn envelope(job: &RelayJob) -> Result<Envelope, String> {
    let from = if job.mail_from.is_empty() {
        None
    } else {
        Some(
            job.mail_from
                .parse::<Address>()
                .map_err(|e| format!("sender {}: {e}", job.mail_from))?,
        )
    };
    let to = job
        .rcpt
        .iter()
        .map(|r| {
            r.parse::<Address>()
                .map_err(|e| format!("recipient {r}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(from, to).map_err(|e| e.to_string())
}

/// At most this many outcomes share one transaction.
const OUTCOMES_PER_COMMIT: usize = 256;

/// How long a stopping relay waits for deliveries in flight to record.
const OUTCOME_DRAIN: Duration = Duration::from_secs(10);

/// Commits relay outcomes as they come, many per transaction, until every
/// sender is gone.
async fn record_outcomes(shared: Arc<Shared>, mut outcomes: mpsc::Receiver<Finished>) {
    while let Some(first) = outcomes.recv().await {
        let mut batch = vec![first];
        while batch.len() < OUTCOMES_PER_COMMIT {
            match outcomes.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let n = batch.len();
        let (batch, permits): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|(id, outcome, permit)| ((id, outcome), permit))
            .unzip();
        let store = shared.services.store();
        let now = OffsetDateTime::now_utc();
        if let Err(err) = store.finish_relays(batch.clone(), now).await {
            // One bad outcome (or a passing error) must not cost the
            // others theirs: each is tried on its own before giving up.
            tracing::warn!(%err, deliveries = n, "recording relay outcomes together failed; one by one");
            for (id, outcome) in batch {
                if let Err(err) = store.finish_relay(&id, outcome, now).await {
                    // The lease runs out and the job is tried again.
                    tracing::warn!(%err, relay = %id, "recording a relay outcome failed");
                }
            }
        }
        drop(permits);
    }
}

/// A delivery's outcome, with the concurrency permit it holds until the
/// outcome is committed.
type Finished = (String, RelayOutcome, OwnedSemaphorePermit);

/// Tries one delivery and says what became of it.
async fn attempt(
    shared: &Shared,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    job: RelayJob,
) -> RelayOutcome {
    let now = OffsetDateTime::now_utc();
    let s = &shared.settings;
    match envelope(&job) {
        // An address downstream cannot take is a permanent failure.
        Err(err) => bounce(shared, &job, &format!("554 5.1.3 {err}"), "5.1.3"),
        Ok(env) => match transport.send_raw(&env, &job.data).await {
            Ok(_) => {
                relay_attempt(&shared.metrics, "delivered");
                RelayOutcome::Delivered
            }
            Err(err) if err.is_permanent() => {
                let text = err.to_string();
                let status = enhanced_status(&text).unwrap_or("5.0.0").to_owned();
                bounce(shared, &job, &text, &status)
            }
            Err(err) => {
                let age = now - job.created_at;
                if age > s.relay_max_age {
                    bounce(
                        shared,
                        &job,
                        &format!("undelivered for {age}: {err}"),
                        "4.4.7",
                    )
                } else {
                    relay_attempt(&shared.metrics, "retry");
                    let at = now + backoff(s.relay_retry, job.attempts);
                    tracing::info!(relay = %job.id, attempts = job.attempts, %err, "downstream failed; retrying");
                    RelayOutcome::Retry {
                        at,
                        error: err.to_string(),
                    }
                }
            }
        },
    }
}

fn bounce(shared: &Shared, job: &RelayJob, diagnostic: &str, status: &str) -> RelayOutcome {
    relay_attempt(&shared.metrics, "bounced");
    let s = &shared.settings;
    let now = OffsetDateTime::now_utc();
    let remote = format!("{}:{}", s.downstream.host, s.downstream.port);
    // No bounce for the null sender, nor for a bounce (RFC 5321 6.1).
    let dsn = (!job.mail_from.is_empty() && job.kind != "dsn").then(|| {
        let id = countersign_accounts::token::random_id("r");
        NewRelay {
            data: dsn(
                &Bounce {
                    reporting_mta: &s.hostname,
                    remote_mta: &remote,
                    recipients: &job.rcpt,
                    diagnostic,
                    status,
                    original: &job.data,
                    now,
                    message_id: &id,
                },
                &job.mail_from,
            ),
            id,
            message_id: job.message_id.clone(),
            kind: "dsn".into(),
            mail_from: String::new(),
            rcpt: vec![job.mail_from.clone()],
        }
    });
    tracing::warn!(relay = %job.id, %diagnostic, "downstream refused the message; bounced");
    let audit = vec![AuditEvent::new(
        now,
        "smtp",
        "message.relay.bounce",
        format!("message:{}", job.message_id),
        json!({
            "relay": job.id,
            "kind": job.kind,
            "diagnostic": diagnostic,
            "status": status,
            "dsn": dsn.as_ref().map(|d| d.id.clone()),
        }),
    )];
    RelayOutcome::Bounced {
        error: diagnostic.to_owned(),
        dsn,
        audit,
    }
}

#[cfg(test)]
mod tests {
    use super::{backoff, enhanced_status};

    #[test]
    fn enhanced_status_is_read_from_the_reply() {
        assert_eq!(
            enhanced_status("permanent error (550): 5.1.1 no such user"),
            Some("5.1.1")
        );
        assert_eq!(enhanced_status("permanent error (554): go away"), None);
    }
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let b = Duration::from_secs(30);
        assert_eq!(backoff(b, 1), Duration::from_secs(30));
        assert_eq!(backoff(b, 2), Duration::from_secs(60));
        assert_eq!(backoff(b, 4), Duration::from_secs(240));
        assert_eq!(backoff(b, 40), Duration::from_secs(3600));
    }
}
