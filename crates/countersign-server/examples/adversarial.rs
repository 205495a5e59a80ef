//! Per-message cost of adversarial messages: each multiplies one fan-out
//! (author domains, DKIM signatures, ARC sets, links, MIME parts and nesting,
//! header fields, signed header names) far past real mail. Prints, for each,
//! its size, the time of the first run (DNS cache cold), the median time of
//! authentication and of the verdict over the next runs, and the verdict
//! with the work bounds it hit; an ordinary signed message comes first as
//! the yardstick.
//!
//! ```text
//! cargo run --release -p countersign-server --example adversarial [-- RUNS [NAME]]
//! ```
//!
//! `NAME` keeps only the messages whose name contains it (for profiling).
//!
//! DNS is answered from a loopback zone server holding every key the
//! messages are signed with, so signatures verify and the verifier does the
//! whole work an attacker could ask of it.

#[path = "../tests/adversarial/mod.rs"]
mod adversarial;

use countersign_auth::{Authenticator, Envelope};
use countersign_directory::DirectorySnapshot;
use countersign_dns::resolver::{DnsResolver, ResolverSettings};
use countersign_dns::zone::ZoneSet;
use countersign_engine::{Engine, Identities};
use countersign_policy::Policy;
use countersign_risk::Rulebook;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    let only = std::env::args().nth(2).unwrap_or_default();
    let build = Instant::now();
    let mut messages = adversarial::all();
    messages.retain(|m| m.name.contains(&only));
    eprintln!(
        "built {} messages in {:.0} ms",
        messages.len(),
        ms(build.elapsed())
    );

    let mut zones = ZoneSet::new();
    zones
        .load_str(&adversarial::zone_text(), "adversarial.zone")
        .expect("the generated zone parses");
    let resolver = DnsResolver::from_zones(zones, &ResolverSettings::default())
        .await
        .expect("the loopback zone server starts");
    let authenticator = Authenticator::new(Arc::new(resolver), "countersign.local");
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/directory.json");
    let snapshot = DirectorySnapshot::load(&directory).expect("the sample directory loads");
    let engine = Engine::new(
        Policy::default_policy(),
        Rulebook::default_rules(),
        Identities::from_snapshot(&snapshot, time::OffsetDateTime::now_utc()),
    );

    println!(
        "{:<20} {:>9} {:>10} {:>10} {:>10} {:>10}  verdict (work bounds hit)",
        "message", "bytes", "cold ms", "auth ms", "verdict ms", "total ms"
    );
    for message in &messages {
        let envelope = Envelope::parse("203.0.113.7", "mx.adv.example", message.mail_from)
            .expect("a valid envelope");
        let (mut auth_times, mut verdict_times) = (Vec::new(), Vec::new());
        let mut cold = Duration::ZERO;
        let mut last = None;
        // One warm-up run fills the DNS caches, as a running gateway's are.
        for run in 0..=runs {
            let start = Instant::now();
            let report = authenticator.authenticate(&message.raw, &envelope).await;
            let authenticated = start.elapsed();
            let start = Instant::now();
            let evaluation = engine.evaluate(&message.raw, &report, message.mail_from);
            let judged = start.elapsed();
            if run > 0 {
                auth_times.push(authenticated);
                verdict_times.push(judged);
            } else {
                cold = authenticated + judged;
            }
            last = Some(evaluation.verdict);
        }
        let verdict = last.expect("at least one run");
        let bounds: Vec<String> = verdict
            .findings
            .iter()
            .filter(|f| f.signal == "message.work_bound")
            .map(|f| f.evidence.clone())
            .collect();
        let (auth, judged) = (median(auth_times), median(verdict_times));
        println!(
            "{:<20} {:>9} {:>10.2} {:>10.2} {:>10.2} {:>10.2}  {} ({})",
            message.name,
            message.raw.len(),
            ms(cold),
            ms(auth),
            ms(judged),
            ms(auth + judged),
            verdict.verdict,
            if bounds.is_empty() {
                "none".to_string()
            } else {
                bounds.join("; ")
            }
        );
    }
}
