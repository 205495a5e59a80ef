//! The SMTP edge's metrics, registered with the service's registry so
//! `/metrics` shows them beside the rest.

use countersign_service::metrics::{Metrics, labels};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

type Labels = Vec<(String, String)>;

/// SMTP metrics.
#[derive(Clone)]
pub struct SmtpMetrics {
    /// Sessions accepted.
    pub sessions: Counter,
    /// Sessions open now.
    pub sessions_active: Gauge,
    /// Messages acknowledged with 250 (durably spooled).
    pub accepted: Counter,
    /// Messages refused with 550 5.7.1 at end of DATA.
    pub rejected: Counter,
    /// Spooled messages recognised as duplicates.
    pub duplicates: Counter,
    /// Limits that refused something, by limit.
    pub limits: Family<Labels, Counter>,
    /// Messages spooled and not yet recorded.
    pub spool_depth: Gauge,
    /// Relay attempts, by outcome (delivered, retry, bounced).
    pub relay_attempts: Family<Labels, Counter>,
    /// From the end of DATA to our reply, seconds.
    pub data_to_reply: Histogram,
}

impl SmtpMetrics {
    /// Creates the metrics and registers them with `registry`.
    pub fn register(registry: &Metrics) -> Self {
        let m = SmtpMetrics {
            sessions: Counter::default(),
            sessions_active: Gauge::default(),
            accepted: Counter::default(),
            rejected: Counter::default(),
            duplicates: Counter::default(),
            limits: Family::default(),
            spool_depth: Gauge::default(),
            relay_attempts: Family::default(),
            data_to_reply: Histogram::new(exponential_buckets(0.000_25, 2.0, 16)),
        };
        registry.register(
            "smtp_sessions",
            "SMTP sessions accepted",
            m.sessions.clone(),
        );
        registry.register(
            "smtp_sessions_active",
            "SMTP sessions open",
            m.sessions_active.clone(),
        );
        registry.register(
            "smtp_accepted",
            "Messages acknowledged after durable spooling",
            m.accepted.clone(),
        );
        registry.register(
            "smtp_rejected",
            "Messages refused with 550 5.7.1 by policy",
            m.rejected.clone(),
        );
        registry.register(
            "smtp_duplicates",
            "Spooled messages recognised as duplicates by envelope digest",
            m.duplicates.clone(),
        );
        registry.register(
            "smtp_limits",
            "Requests refused by a limit, by limit",
            m.limits.clone(),
        );
        registry.register(
            "smtp_spool_depth",
            "Messages spooled and not yet recorded",
            m.spool_depth.clone(),
        );
        registry.register(
            "smtp_relay_attempts",
            "Downstream relay attempts, by outcome",
            m.relay_attempts.clone(),
        );
        registry.register(
            "smtp_data_to_reply_seconds",
            "From the end of DATA to the reply",
            m.data_to_reply.clone(),
        );
        m
    }
}

/// Counts a limit that refused something.
pub(crate) fn limit_hit(m: &SmtpMetrics, limit: &str) {
    m.limits.get_or_create(&labels(&[("limit", limit)])).inc();
}

/// Counts a relay attempt.
pub(crate) fn relay_attempt(m: &SmtpMetrics, outcome: &str) {
    m.relay_attempts
        .get_or_create(&labels(&[("outcome", outcome)]))
        .inc();
}
