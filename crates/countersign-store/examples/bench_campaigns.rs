//! Campaign correlation at realistic volume: loads 10,000 reports carrying
//! 100,000 indicators (10 each, drawn from pools so that some are shared)
//! through the same `Store::correlate` the service uses, then times the
//! correlation of 1,000 new reports (each: one transaction that looks up
//! every indicator, plans, writes the sighting and its campaign) and
//! prints p50, p99 and max, with the campaigns formed and the process's
//! peak memory; then queues 2,000 held-back messages' sightings (as the
//! recorder does) and times their correlation in batches.
//!
//! `cargo run --release -p countersign-store --example bench_campaigns -- [DB] [REPORTS] [PER_REPORT]`
//! DB defaults to a fresh SQLite file; pass a `postgres://` URL (an empty
//! database) for PostgreSQL. Figures go to stdout; nothing here is a test.

use countersign_employees::campaign::{Sighting, SightingKind};
use countersign_employees::indicators::{Indicator, IndicatorKind};
use countersign_store::{Correlation, MessageRecord, RecordedMessage, Store};
use std::time::Instant;
use time::{Duration, OffsetDateTime};

/// A deterministic generator (xorshift64*), so runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn indicator(rng: &mut Rng) -> Indicator {
    // Pools: most values are rare; 3% come from a few hundred values that
    // recur (a campaign's number, domain or claimed name).
    let hot = rng.below(100) < 3;
    match rng.below(5) {
        0 => Indicator {
            kind: IndicatorKind::Phone,
            value: format!(
                "+4420794{:05}",
                if hot {
                    rng.below(20)
                } else {
                    rng.below(90_000)
                }
            ),
        },
        1 => Indicator {
            kind: IndicatorKind::Domain,
            value: format!(
                "d{}.example",
                if hot {
                    rng.below(20)
                } else {
                    rng.below(60_000)
                }
            ),
        },
        2 => Indicator {
            kind: IndicatorKind::Email,
            value: format!("u{}@m{}.example", rng.below(1_000_000), rng.below(60_000)),
        },
        3 => Indicator {
            kind: IndicatorKind::Url,
            value: format!(
                "https://l{}.example/p/{}",
                rng.below(60_000),
                rng.below(1_000_000)
            ),
        },
        _ => Indicator {
            kind: IndicatorKind::ClaimedName,
            value: format!(
                "name {}",
                if hot {
                    rng.below(20)
                } else {
                    rng.below(80_000)
                }
            ),
        },
    }
}

fn sighting(rng: &mut Rng, n: usize, per: usize, at: OffsetDateTime) -> Sighting {
    let mut indicators: Vec<Indicator> = Vec::with_capacity(per);
    while indicators.len() < per {
        let i = indicator(rng);
        if !indicators.contains(&i) {
            indicators.push(i);
        }
    }
    Sighting {
        id: format!("r{n:07}"),
        kind: SightingKind::Report,
        at,
        indicators,
        team: Some(format!("team {}", rng.below(40))),
        target: Some(format!("t{}", rng.below(5_000))),
        summary: "phone report".into(),
    }
}

/// A held-back message as the recorder writes it, its sighting queued.
fn held_message(s: Sighting) -> RecordedMessage {
    RecordedMessage {
        message: MessageRecord {
            id: s.id.clone(),
            received_at: s.at,
            source: "api".into(),
            client_ip: "192.0.2.1".into(),
            helo: "mx.example".into(),
            mail_from: "x@example.net".into(),
            rcpt: vec!["desk@example.com".into()],
            from_address: Some("x@example.net".into()),
            subject: Some("reset".into()),
            verdict: "quarantine".into(),
            document: "{}".into(),
            summary: "{}".into(),
            digest: s.id.as_bytes().to_vec(),
            raw: None,
            case_id: None,
        },
        case: None,
        audit: Vec::new(),
        published: Vec::new(),
        envelope_digest: None,
        relay: None,
        sighting: Some(s),
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tmp = std::env::temp_dir().join(format!("cs-bench-campaigns-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let db = args
        .first()
        .cloned()
        .unwrap_or_else(|| tmp.join("bench.db").display().to_string());
    let reports: usize = args.get(1).map_or(Ok(10_000), |s| s.parse())?;
    let per: usize = args.get(2).map_or(Ok(10), |s| s.parse())?;
    let store = Store::open(&db).await?;
    let window = Duration::days(14);
    let start = OffsetDateTime::now_utc() - Duration::days(10);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let loading = Instant::now();
    let (mut formed, mut grew) = (0usize, 0usize);
    for n in 0..reports {
        if n % 1000 == 0 {
            eprintln!("loading: {n} of {reports} reports");
        }
        let at = start + Duration::seconds((n as i64) * 60);
        let s = sighting(&mut rng, n, per, at);
        match store
            .correlate(&s, window, format!("k{n:07}"), |_| (Vec::new(), Vec::new()))
            .await?
        {
            Correlation::Alone => {}
            Correlation::Formed(_) => formed += 1,
            Correlation::Grew { .. } => grew += 1,
        }
    }
    let load = loading.elapsed();
    println!(
        "loaded {reports} reports, {} indicators in {:.1} s ({:.0} reports/s): {formed} campaigns formed, {grew} joins",
        reports * per,
        load.as_secs_f64(),
        reports as f64 / load.as_secs_f64()
    );
    eprintln!("timing 1,000 new reports...");
    let mut times = Vec::with_capacity(1000);
    // What each of the slowest did, so the tail can be explained.
    let mut shapes: Vec<(std::time::Duration, String)> = Vec::with_capacity(1000);
    let (mut joined, mut alone) = (0usize, 0usize);
    for n in reports..reports + 1000 {
        let at = start + Duration::seconds((n as i64) * 60);
        let s = sighting(&mut rng, n, per, at);
        let t = Instant::now();
        let outcome = store
            .correlate(&s, window, format!("k{n:07}"), |_| (Vec::new(), Vec::new()))
            .await?;
        times.push(t.elapsed());
        shapes.push((
            t.elapsed(),
            match &outcome {
                Correlation::Alone => "alone".to_owned(),
                Correlation::Formed(c) => format!("formed from {} sightings", c.sightings),
                Correlation::Grew {
                    campaign, merged, ..
                } => format!(
                    "joined a campaign of {} sightings, merging {} others",
                    campaign.sightings,
                    merged.len()
                ),
            },
        ));
        match outcome {
            Correlation::Alone => alone += 1,
            _ => joined += 1,
        }
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "correlate one new report ({} indicators) against {} indicators ({:?}): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {joined} joined or formed a campaign, {alone} alone",
        per,
        reports * per,
        store.backend(),
        ms(times[times.len() / 2]),
        ms(times[times.len() * 99 / 100]),
        ms(times[times.len() - 1]),
    );
    // Held-back messages: their sightings queued with the verdicts (as the
    // recorder does), then correlated in batches by the background path.
    let queued = 2_000usize;
    let base = reports + 1000;
    let mut held = Vec::with_capacity(queued);
    for n in base..base + queued {
        let at = start + Duration::seconds((n as i64) * 60);
        let mut s = sighting(&mut rng, n, per, at);
        s.kind = SightingKind::Message;
        held.push(held_message(s));
    }
    for chunk in held.chunks(500) {
        store.record_messages(chunk.to_vec()).await?;
    }
    let t = Instant::now();
    let mut correlated = 0usize;
    let mut batches = 0usize;
    loop {
        let done = store
            .correlate_pending(
                64,
                window,
                || format!("q{}", rng.next()),
                |_, _| (Vec::new(), Vec::new()),
            )
            .await?;
        if done.is_empty() {
            break;
        }
        correlated += done.len();
        batches += 1;
    }
    let took = t.elapsed();
    println!(
        "queued held-back messages: {correlated} sightings correlated in {batches} batches of up to 64 in {:.2} s ({:.0} sightings/s, {:.2} ms per batch)",
        took.as_secs_f64(),
        correlated as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / batches.max(1) as f64
    );
    shapes.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (took, shape) in shapes.iter().take(5) {
        println!("  slow: {:.2} ms: {shape}", ms(*took));
    }
    let campaigns = store.campaigns(None, 100_000).await?;
    let largest = campaigns.iter().map(|c| c.sightings).max().unwrap_or(0);
    println!(
        "{} campaigns; the largest has {largest} sightings",
        campaigns.len()
    );
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak resident memory of the process: {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    if let Ok(meta) = std::fs::metadata(&db) {
        println!(
            "database file: {:.1} MiB",
            meta.len() as f64 / 1024.0 / 1024.0
        );
    }
    store.close().await;
    Ok(())
}
