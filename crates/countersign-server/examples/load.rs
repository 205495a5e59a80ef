//! HTTP load on a message-checking endpoint, the same client for
//! `countersign serve` (`POST /api/v1/messages`) and for the peer a user
//! would pick instead (rspamd's `POST /checkv2`), so the two are compared
//! side by side (`bench/serve_compare.sh` runs both).
//!
//! ```text
//! cargo run --release -p countersign-server --example load -- \
//!     --target countersign --base http://127.0.0.1:8080 --token TOKEN \
//!     --manifest CORPUS/manifest.jsonl (--rate 1000 | --concurrency 32) [--seconds 10]
//! cargo run --release -p countersign-server --example load -- \
//!     --target rspamd --base http://127.0.0.1:11333 --manifest ... --concurrency 32
//! ```
//!
//! `--rate R` is an open loop: a request starts every 1/R s whatever the
//! answers do, and latency counts from when it was due, so a stall is not
//! hidden. `--concurrency C` is a closed loop: C requests in flight, the
//! throughput the server can sustain. Prints one JSON line.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone)]
struct Item {
    body: Vec<u8>,
    ip: String,
    helo: String,
    mail_from: String,
    rcpt: String,
}

struct Args {
    target: String,
    base: String,
    token: String,
    manifest: PathBuf,
    rate: Option<u64>,
    concurrency: Option<usize>,
    seconds: u64,
}

fn args() -> Args {
    let mut a = Args {
        target: "countersign".into(),
        base: "http://127.0.0.1:8080".into(),
        token: String::new(),
        manifest: PathBuf::new(),
        rate: None,
        concurrency: None,
        seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--target" => a.target = value,
            "--base" => a.base = value,
            "--token" => a.token = value,
            "--manifest" => a.manifest = value.into(),
            "--rate" => a.rate = Some(value.parse().expect("--rate: requests per second")),
            "--concurrency" => a.concurrency = Some(value.parse().expect("--concurrency: a count")),
            "--seconds" => a.seconds = value.parse().expect("--seconds: a count"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        a.target == "countersign" || a.target == "rspamd",
        "--target countersign|rspamd"
    );
    assert!(
        a.rate.is_some() != a.concurrency.is_some(),
        "one of --rate or --concurrency"
    );
    a
}

fn load(manifest: &Path) -> Vec<Item> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    std::fs::read_to_string(manifest)
        .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let m: serde_json::Value = serde_json::from_str(line).expect("a JSON manifest line");
            let field = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            Item {
                body: std::fs::read(dir.join(field("file"))).unwrap(),
                ip: field("ip"),
                helo: field("helo"),
                mail_from: field("mail_from"),
                rcpt: field("rcpt"),
            }
        })
        .collect()
}

/// One request; `Ok` when the endpoint gave a verdict.
async fn send(client: &reqwest::Client, args: &Args, item: &Item) -> Result<(), String> {
    let request = if args.target == "countersign" {
        client
            .post(format!("{}/api/v1/messages", args.base))
            .query(&[
                ("client_ip", &item.ip),
                ("helo", &item.helo),
                ("mail_from", &item.mail_from),
                ("rcpt", &item.rcpt),
            ])
            .bearer_auth(&args.token)
            .header("content-type", "message/rfc822")
    } else {
        client
            .post(format!("{}/checkv2", args.base))
            .header("IP", &item.ip)
            .header("Helo", &item.helo)
            .header("From", &item.mail_from)
            .header("Rcpt", &item.rcpt)
    };
    let response = request
        .body(item.body.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args = Arc::new(args());
    let items = Arc::new(load(&args.manifest));
    assert!(!items.is_empty(), "no messages in the manifest");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    // Warm-up: every connection and cache the measured run will use.
    for item in items.iter().take(200) {
        if let Err(e) = send(&client, &args, item).await {
            panic!("warm-up request failed: {e}");
        }
    }
    let run_for = Duration::from_secs(args.seconds);
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<f64, String>>();
    if let Some(rate) = args.rate {
        let interval = Duration::from_secs_f64(1.0 / rate as f64);
        let total = rate * args.seconds;
        for n in 0..total {
            let due = started + interval.mul_f64(n as f64);
            tokio::time::sleep_until(due.into()).await;
            let (client, args, items, tx) =
                (client.clone(), args.clone(), items.clone(), tx.clone());
            tokio::spawn(async move {
                let item = &items[n as usize % items.len()];
                let result = send(&client, &args, item).await;
                let _ = tx.send(result.map(|()| due.elapsed().as_secs_f64() * 1e3));
            });
        }
    } else {
        let workers = args.concurrency.unwrap_or(1);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for _ in 0..workers {
            let (client, args, items, tx, next) = (
                client.clone(),
                args.clone(),
                items.clone(),
                tx.clone(),
                next.clone(),
            );
            tokio::spawn(async move {
                while started.elapsed() < run_for {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let t = Instant::now();
                    let result = send(&client, &args, &items[n % items.len()]).await;
                    let _ = tx.send(result.map(|()| t.elapsed().as_secs_f64() * 1e3));
                }
            });
        }
    }
    drop(tx);
    let mut latencies = Vec::new();
    let mut errors = 0usize;
    let mut first_error = None;
    while let Some(result) = rx.recv().await {
        match result {
            Ok(ms) => latencies.push(ms),
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let out = serde_json::json!({
        "target": args.target,
        "mode": if args.rate.is_some() { "open" } else { "closed" },
        "rate": args.rate,
        "concurrency": args.concurrency,
        "requests": latencies.len() + errors,
        "errors": errors,
        "first_error": first_error,
        "msgs_per_s": latencies.len() as f64 / wall,
        "lat_ms": {
            "p50": percentile(&latencies, 0.50),
            "p90": percentile(&latencies, 0.90),
            "p99": percentile(&latencies, 0.99),
            "max": latencies.last().copied().unwrap_or(0.0),
        },
    });
    println!("{out}");
}
