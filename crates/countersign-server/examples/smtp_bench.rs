//! SMTP ingress throughput: sends a corpus through a running
//! `countersign serve` SMTP listener over several sessions and prints
//! messages per second and the end-of-DATA-to-reply latency (p50, p99),
//! with durability on (every 250 follows an fdatasync of the spool).
//! It also plays the downstream: a loopback sink that counts what is
//! relayed.
//!
//! `bench/smtp_bench.sh` starts the server and runs it; by hand:
//!
//! ```sh
//! cargo run --release -p countersign-server --example smtp_bench -- \
//!     --smtp 127.0.0.1:2525 --sink 127.0.0.1:2526 --manifest eval/manifest.jsonl \
//!     --messages 2000 --sessions 16
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

struct Message {
    ip: String,
    helo: String,
    from: String,
    rcpt: String,
    data: Vec<u8>,
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// CRLF line ends, dot-stuffed, ending in CRLF . CRLF.
fn wire(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 64);
    let mut prev = b'\n';
    for &b in raw {
        if prev == b'\n' && b == b'.' {
            out.push(b'.');
        }
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

fn load(manifest: &Path) -> Vec<Message> {
    let base = manifest.parent().unwrap_or(Path::new("."));
    std::fs::read_to_string(manifest)
        .expect("manifest")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("manifest line");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            Message {
                data: wire(&std::fs::read(base.join(s("file"))).expect("message file")),
                ip: s("ip"),
                helo: s("helo"),
                from: s("mail_from"),
                rcpt: v["rcpt"]
                    .as_str()
                    .unwrap_or("servicedesk@northwind-health.example")
                    .to_owned(),
            }
        })
        .collect()
}

async fn reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return all;
        }
        all.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            return all;
        }
    }
}

/// The downstream: accepts everything, counts messages.
async fn sink(listener: TcpListener, count: Arc<AtomicUsize>) {
    while let Ok((stream, _)) = listener.accept().await {
        let count = count.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut lines = BufReader::new(r).lines();
            let _ = w.write_all(b"220 sink ESMTP\r\n").await;
            while let Ok(Some(line)) = lines.next_line().await {
                let up = line.to_ascii_uppercase();
                let out: &[u8] = if up.starts_with("EHLO") {
                    b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
                } else if up.starts_with("DATA") {
                    let _ = w.write_all(b"354 go\r\n").await;
                    while let Ok(Some(l)) = lines.next_line().await {
                        if l == "." {
                            break;
                        }
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                    b"250 ok\r\n"
                } else if up.starts_with("QUIT") {
                    let _ = w.write_all(b"221 bye\r\n").await;
                    break;
                } else {
                    b"250 ok\r\n"
                };
                if w.write_all(out).await.is_err() {
                    break;
                }
            }
        });
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smtp = arg(&args, "--smtp").unwrap_or_else(|| "127.0.0.1:2525".into());
    let manifest =
        PathBuf::from(arg(&args, "--manifest").unwrap_or_else(|| "eval/manifest.jsonl".into()));
    let total: usize = arg(&args, "--messages")
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let sessions: usize = arg(&args, "--sessions")
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let relayed = Arc::new(AtomicUsize::new(0));
    if let Some(addr) = arg(&args, "--sink") {
        let listener = TcpListener::bind(&addr).await.expect("bind sink");
        tokio::spawn(sink(listener, relayed.clone()));
    }
    let corpus = Arc::new(load(&manifest));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..sessions {
        let (corpus, next, smtp) = (corpus.clone(), next.clone(), smtp.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut refused = 0usize;
            let stream = TcpStream::connect(&smtp).await.expect("connect");
            stream.set_nodelay(true).ok();
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            reply(&mut r).await;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let m = &corpus[n % corpus.len()];
                // The original client through XCLIENT, then the envelope
                // pipelined.
                let head = format!("XCLIENT ADDR={} HELO={}\r\n", m.ip, m.helo);
                w.write_all(head.as_bytes()).await.unwrap();
                reply(&mut r).await;
                let env = format!(
                    "EHLO {}\r\nMAIL FROM:<{}>\r\nRCPT TO:<{}>\r\nDATA\r\n",
                    m.helo, m.from, m.rcpt
                );
                w.write_all(env.as_bytes()).await.unwrap();
                for _ in 0..4 {
                    reply(&mut r).await;
                }
                // Unique per message: the same bytes and envelope twice
                // would be one message (recognised by digest).
                w.write_all(format!("X-Bench-Seq: {n}\r\n").as_bytes())
                    .await
                    .unwrap();
                w.write_all(&m.data).await.unwrap();
                let sent = Instant::now();
                let answer = reply(&mut r).await;
                latencies.push(sent.elapsed());
                if !answer.starts_with("250") {
                    refused += 1;
                }
            }
            let _ = w.write_all(b"QUIT\r\n").await;
            (latencies, refused)
        }));
    }
    let mut latencies = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (l, r) = t.await.expect("session");
        latencies.extend(l);
        refused += r;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "smtp: {} messages over {sessions} sessions in {:.2}s: {:.0} msgs/s; end of DATA to reply p50 {:.2} ms, p99 {:.2} ms; {refused} refused",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
    );
    if arg(&args, "--sink").is_some() {
        // Let the relay drain, then say how much arrived downstream.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = 0;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let now = relayed.load(Ordering::Relaxed);
            if now == last && now > 0 {
                break;
            }
            last = now;
        }
        println!(
            "relayed downstream: {} (the rest quarantined or refused), all in {:.2}s",
            relayed.load(Ordering::Relaxed),
            started.elapsed().as_secs_f64()
        );
    }
}
