//! Webhook deliveries.
//!
//! Each delivery is a `POST` of the event's JSON with:
//!
//! - `Countersign-Event-Id`: the event ID (idempotency key; redeliveries repeat it),
//! - `Countersign-Event-Type`: e.g. `case.verified`,
//! - `Countersign-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//!
//! A receiver recomputes the HMAC with its secret, compares in constant
//! time, and refuses timestamps older than a few minutes ([`verify_signature`]).

use countersign_store::{Delivery, DeliveryAttempt, DeliveryOutcome, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::watch;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "Countersign-Signature";
/// The event ID header.
pub const EVENT_ID_HEADER: &str = "Countersign-Event-Id";
/// The event type header.
pub const EVENT_TYPE_HEADER: &str = "Countersign-Event-Type";

/// The signature header's value for `body` sent at `unix_time`.
pub fn sign(secret: &str, unix_time: i64, body: &[u8]) -> String {
    let mut message = format!("{unix_time}.").into_bytes();
    message.extend_from_slice(body);
    format!(
        "t={unix_time},v1={}",
        crate::hmac_hex(secret.as_bytes(), &message)
    )
}

/// Why a received delivery's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=...,v1=...`.
    #[error("malformed signature header")]
    Malformed,
    /// Older (or newer) than the tolerance: possibly replayed.
    #[error("signature timestamp outside the accepted window")]
    Stale,
    /// The HMAC does not match.
    #[error("signature does not match")]
    Mismatch,
}

/// Checks a delivery's signature header, as a receiver should.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(SignatureError::Malformed);
    };
    if (now_unix - t).abs() > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    let expected = sign(secret, t, body);
    let expected_v1 = expected.rsplit_once("v1=").map_or("", |(_, v)| v);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"compare");
    // Comparing HMACs of both values keeps the comparison constant-time.
    let a = ring::hmac::sign(&key, expected_v1.as_bytes());
    let b = ring::hmac::sign(&key, v1.as_bytes());
    if a.as_ref() == b.as_ref() {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// How the worker retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's delay; each later one doubles it.
    pub base: Duration,
    /// The longest delay between attempts.
    pub max_delay: Duration,
    /// Attempts before a delivery is given up (kept as `dead`).
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            max_attempts: 20,
            timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The delay after the `attempts`-th failure: base·2^(attempts-1),
    /// capped, with up to 10 % jitter so retries of many deliveries spread.
    pub fn delay(&self, attempts: u32, jitter_seed: u64) -> Duration {
        let exp = attempts.saturating_sub(1).min(20);
        let raw = self.base.saturating_mul(1u32 << exp).min(self.max_delay);
        let jitter_ms = (raw.as_millis() as u64 / 10).max(1);
        raw + Duration::from_millis(jitter_seed % jitter_ms)
    }
}

/// Delivers the outbox: claims due deliveries, posts them, records each
/// attempt. Any number of workers (on any number of nodes) may run.
pub struct OutboxWorker {
    store: Store,
    client: reqwest::Client,
    policy: RetryPolicy,
    /// Called after each attempt (for metrics): event type, whether delivered.
    observer: Observer,
}

/// What a worker calls after each attempt: event type, whether delivered.
pub type Observer = Arc<dyn Fn(&str, bool) + Send + Sync>;

impl OutboxWorker {
    /// A worker over `store`.
    pub fn new(
        store: Store,
        policy: RetryPolicy,
        observer: Observer,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("countersign/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            store,
            client,
            policy,
            observer,
        })
    }

    /// Runs until `stop` turns true: polls every `interval` (sooner when
    /// `wake` is notified), delivering what is due.
    pub async fn run(
        self,
        interval: Duration,
        wake: Arc<tokio::sync::Notify>,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            if *stop.borrow() {
                return;
            }
            match self.deliver_due().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "outbox: cannot read deliveries"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One round: claims up to 32 due deliveries and attempts them
    /// concurrently. Returns how many were attempted.
    pub async fn deliver_due(&self) -> Result<usize, countersign_store::StoreError> {
        let lease = time::Duration::try_from(self.policy.timeout * 3)
            .unwrap_or(time::Duration::seconds(30));
        let batch = self
            .store
            .claim_deliveries(OffsetDateTime::now_utc(), lease, 32)
            .await?;
        let n = batch.len();
        let mut set = tokio::task::JoinSet::new();
        for delivery in batch {
            let client = self.client.clone();
            set.spawn(async move {
                let attempt = post(&client, &delivery).await;
                (delivery, attempt)
            });
        }
        while let Some(joined) = set.join_next().await {
            let Ok((delivery, attempt)) = joined else {
                continue;
            };
            let delivered = attempt.error.is_none();
            let outcome = if delivered {
                DeliveryOutcome::Delivered
            } else if delivery.attempts >= self.policy.max_attempts {
                tracing::warn!(event = %delivery.event_id, webhook = %delivery.webhook_id,
                    "giving up a webhook delivery after {} attempts", delivery.attempts);
                DeliveryOutcome::GiveUp
            } else {
                let delay = self
                    .policy
                    .delay(delivery.attempts, delivery.outbox_id as u64 * 7919);
                DeliveryOutcome::Retry(
                    OffsetDateTime::now_utc()
                        + time::Duration::try_from(delay).unwrap_or(time::Duration::HOUR),
                )
            };
            (self.observer)(&delivery.event_type, delivered);
            self.store
                .finish_delivery(&delivery, &attempt, outcome)
                .await?;
        }
        Ok(n)
    }
}

async fn post(client: &reqwest::Client, delivery: &Delivery) -> DeliveryAttempt {
    let attempted_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    let body = delivery.payload.clone().into_bytes();
    let signature = sign(&delivery.secret, attempted_at.unix_timestamp(), &body);
    let result = client
        .post(&delivery.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_ID_HEADER, &delivery.event_id)
        .header(EVENT_TYPE_HEADER, &delivery.event_type)
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await;
    let duration_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(resp) if resp.status().is_success() => DeliveryAttempt {
            event_id: delivery.event_id.clone(),
            attempted_at,
            status: Some(resp.status().as_u16()),
            error: None,
            duration_ms,
        },
        Ok(resp) => DeliveryAttempt {
            event_id: delivery.event_id.clone(),
            attempted_at,
            status: Some(resp.status().as_u16()),
            error: Some(format!("receiver answered {}", resp.status())),
            duration_ms,
        },
        Err(err) => DeliveryAttempt {
            event_id: delivery.event_id.clone(),
            attempted_at,
            status: None,
            error: Some(describe(err)),
            duration_ms,
        },
    }
}

/// A transport error in words, without the URL's query (it may hold a token).
fn describe(err: reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        "connection failed".into()
    } else {
        let mut text = err.without_url().to_string();
        text.truncate(300);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_refuse_tampering() {
        let header = sign("s3cret", 1_800_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1800000000,v1="));
        assert_eq!(
            verify_signature("s3cret", &header, b"{\"a\":1}", 1_800_000_010, 300),
            Ok(())
        );
        assert_eq!(
            verify_signature("s3cret", &header, b"{\"a\":2}", 1_800_000_010, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("other", &header, b"{\"a\":1}", 1_800_000_010, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("s3cret", &header, b"{\"a\":1}", 1_800_009_999, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature("s3cret", "garbage", b"", 0, 300),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert!(p.delay(1, 0) >= Duration::from_secs(5) && p.delay(1, 0) < Duration::from_secs(6));
        assert!(p.delay(2, 0) >= Duration::from_secs(10));
        assert!(p.delay(4, 0) >= Duration::from_secs(40));
        assert!(p.delay(30, 123) <= Duration::from_secs(3600 + 360));
    }
}
