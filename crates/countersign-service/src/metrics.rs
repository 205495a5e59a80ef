//! Prometheus metrics every part of the service updates; `/metrics`
//! renders them in the text exposition format.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Mutex;

type Labels = Vec<(String, String)>;

/// The metrics of one process.
pub struct Metrics {
    registry: Mutex<Registry>,
    /// Messages judged, by verdict and source.
    pub messages: Family<Labels, Counter>,
    /// Case events, by kind.
    pub case_events: Family<Labels, Counter>,
    /// Sign-in attempts, by outcome.
    pub signins: Family<Labels, Counter>,
    /// Webhook delivery attempts, by outcome.
    pub webhook_deliveries: Family<Labels, Counter>,
    /// Codes sent, by channel and outcome.
    pub codes_sent: Family<Labels, Counter>,
    /// HTTP requests, by route, method and status.
    pub http_requests: Family<Labels, Counter>,
    /// HTTP request latency in seconds, by route.
    pub http_latency: Family<Labels, Histogram>,
    /// Time from receiving a message to its recorded verdict, seconds.
    pub judge_latency: Histogram,
    /// Deliveries waiting in the outbox.
    pub outbox_depth: Gauge,
    /// Sightings correlated into campaigns, by kind (message, report) and
    /// outcome (alone, formed, grew).
    pub correlations: Family<Labels, Counter>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("countersign");
        let messages = Family::<Labels, Counter>::default();
        let case_events = Family::<Labels, Counter>::default();
        let signins = Family::<Labels, Counter>::default();
        let webhook_deliveries = Family::<Labels, Counter>::default();
        let codes_sent = Family::<Labels, Counter>::default();
        let http_requests = Family::<Labels, Counter>::default();
        let http_latency = Family::<Labels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let judge_latency = latency_histogram();
        let outbox_depth = Gauge::default();
        let correlations = Family::<Labels, Counter>::default();
        registry.register(
            "messages",
            "Messages judged, by verdict and source",
            messages.clone(),
        );
        registry.register(
            "case_events",
            "Verification case events, by kind",
            case_events.clone(),
        );
        registry.register("signins", "Sign-in attempts, by outcome", signins.clone());
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome",
            webhook_deliveries.clone(),
        );
        registry.register(
            "codes_sent",
            "One-time codes sent, by channel and outcome",
            codes_sent.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests, by route, method and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by route",
            http_latency.clone(),
        );
        registry.register(
            "judge_duration_seconds",
            "From receiving a message to its recorded verdict",
            judge_latency.clone(),
        );
        registry.register(
            "outbox_depth",
            "Webhook deliveries waiting",
            outbox_depth.clone(),
        );
        registry.register(
            "campaign_correlations",
            "Sightings correlated into campaigns, by kind and outcome",
            correlations.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            messages,
            case_events,
            signins,
            webhook_deliveries,
            codes_sent,
            http_requests,
            http_latency,
            judge_latency,
            outbox_depth,
            correlations,
        }
    }
}

/// A label set from pairs.
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Metrics {
    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        if encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }

    /// Registers another metric (for edges that own theirs, e.g. SMTP).
    pub fn register(
        &self,
        name: &str,
        help: &str,
        metric: impl prometheus_client::registry::Metric,
    ) {
        let mut registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        registry.register(name, help, metric);
    }
}
