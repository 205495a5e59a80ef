//! SMTP ingress throughput: sends a corpus through a running SMTP listener
//! over several sessions and prints messages per second and the
//! end-of-DATA-to-reply latency (p50, p99). Against `countersign serve`
//! durability is on (every 250 follows an fdatasync of the spool). It also
//! plays the downstream: a loopback sink that counts what is relayed and
//! which messages arrived.
//!
//! The client is not specific to Countersign: `bench/smtp_compare.sh` points
//! the same client, corpus and concurrency at Postfix with rspamd as its
//! milter, then at Countersign.
//!
//! `bench/smtp_bench.sh` starts the server and runs it; by hand:
//!
//! ```sh
//! cargo run --release -p countersign-server --example smtp_bench -- \
//!     --smtp 127.0.0.1:2525 --sink 127.0.0.1:2526 --manifest eval/manifest.jsonl \
//!     --messages 2000 --sessions 16
//! ```
//!
//! Options: `--no-xclient` (the client's own address, not the manifest's,
//! reaches the server), `--label L` (each message carries
//! `X-Bench-Seq: L-N`, unique per run: the same bytes and envelope twice
//! would be one message to a server that recognises duplicates),
//! `--acked FILE` (the sequence labels answered 250, one a line),
//! `--sink-out FILE` (the labels that arrived at the sink, one a line per
//! arrival, so a duplicate shows), `--drain-until-acked` (wait until every
//! acknowledged message arrived downstream, not only until the sink is
//! quiet), `--drain-quiet SECS` (default 0.5), `--drain-timeout SECS`
//! (default 60), `--json FILE` (the figures as one JSON object).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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

fn flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

fn secs(args: &[String], name: &str, default: f64) -> Duration {
    Duration::from_secs_f64(
        arg(args, name)
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name}: not a number of seconds: {v}"))
            })
            .unwrap_or(default),
    )
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
        .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()))
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", manifest.display(), i + 1));
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            let file = base.join(s("file"));
            Message {
                data: wire(
                    &std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
                ),
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

/// The value of an `X-Bench-Seq:` header line, if `line` is one.
fn bench_seq(line: &[u8]) -> Option<String> {
    const NAME: &[u8] = b"x-bench-seq:";
    if line.len() < NAME.len() || !line[..NAME.len()].eq_ignore_ascii_case(NAME) {
        return None;
    }
    Some(
        String::from_utf8_lossy(&line[NAME.len()..])
            .trim()
            .to_owned(),
    )
}

/// The downstream: accepts everything, counts messages and notes the
/// `X-Bench-Seq` of each (`-` when it has none). Reads bytes, not text: a
/// message need not be UTF-8.
async fn sink(listener: TcpListener, arrived: Arc<Mutex<Vec<String>>>) {
    while let Ok((stream, _)) = listener.accept().await {
        let arrived = arrived.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            let _ = w.write_all(b"220 sink ESMTP\r\n").await;
            let mut line = Vec::new();
            loop {
                line.clear();
                if r.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let up = line.to_ascii_uppercase();
                let out: &[u8] = if up.starts_with(b"EHLO") {
                    b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
                } else if up.starts_with(b"DATA") {
                    let _ = w.write_all(b"354 go\r\n").await;
                    let mut seq = None;
                    let mut header = true;
                    loop {
                        line.clear();
                        if r.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.strip_suffix(b"\n").unwrap_or(&line);
                        let l = l.strip_suffix(b"\r").unwrap_or(l);
                        if l == b"." {
                            break;
                        }
                        if header {
                            if l.is_empty() {
                                header = false;
                            } else if seq.is_none() {
                                seq = bench_seq(l);
                            }
                        }
                    }
                    arrived
                        .lock()
                        .expect("sink list")
                        .push(seq.unwrap_or_else(|| "-".into()));
                    b"250 ok\r\n"
                } else if up.starts_with(b"QUIT") {
                    let _ = w.write_all(b"221 bye\r\n").await;
                    return;
                } else {
                    b"250 ok\r\n"
                };
                if w.write_all(out).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// This process's CPU time so far (user and system, in clock ticks), from
/// /proc; 0 where there is none.
fn own_cpu_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let fields: Vec<u64> = s
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|v| v.parse().ok())
                .collect();
            Some(fields.iter().sum())
        })
        .unwrap_or(0)
}

#[derive(Default)]
struct SessionResult {
    latencies: Vec<Duration>,
    acked: Vec<String>,
    temp: usize,
    perm: usize,
    other: usize,
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
    let xclient = !flag(&args, "--no-xclient");
    let label = arg(&args, "--label").unwrap_or_else(|| "bench".into());
    let arrived = Arc::new(Mutex::new(Vec::<String>::new()));
    if let Some(addr) = arg(&args, "--sink") {
        let listener = TcpListener::bind(&addr).await.expect("bind sink");
        tokio::spawn(sink(listener, arrived.clone()));
    }
    let corpus = Arc::new(load(&manifest));
    assert!(!corpus.is_empty(), "{}: no messages", manifest.display());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..sessions {
        let (corpus, next, smtp, label) =
            (corpus.clone(), next.clone(), smtp.clone(), label.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = SessionResult::default();
            let stream = TcpStream::connect(&smtp)
                .await
                .unwrap_or_else(|e| panic!("connect to {smtp}: {e}"));
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
                if xclient {
                    // The original client through XCLIENT (both Postfix
                    // and Countersign answer with a new greeting).
                    let head = format!("XCLIENT ADDR={} HELO={}\r\n", m.ip, m.helo);
                    w.write_all(head.as_bytes()).await.unwrap();
                    let answer = reply(&mut r).await;
                    assert!(
                        answer.starts_with('2'),
                        "XCLIENT refused by {smtp}: {}",
                        answer.trim()
                    );
                }
                // The envelope, pipelined.
                let env = format!(
                    "EHLO {}\r\nMAIL FROM:<{}>\r\nRCPT TO:<{}>\r\nDATA\r\n",
                    m.helo, m.from, m.rcpt
                );
                w.write_all(env.as_bytes()).await.unwrap();
                let mut answers = Vec::new();
                for _ in 0..4 {
                    answers.push(reply(&mut r).await);
                }
                if !answers[3].starts_with("354") {
                    // Not accepted before DATA: a refusal, no message sent.
                    let refused = answers.iter().find(|a| !a.starts_with(['2', '3']));
                    match refused.and_then(|a| a.chars().next()) {
                        Some('4') => out.temp += 1,
                        Some('5') => out.perm += 1,
                        _ => out.other += 1,
                    }
                    let _ = w.write_all(b"RSET\r\n").await;
                    reply(&mut r).await;
                    continue;
                }
                let seq = format!("{label}-{n}");
                w.write_all(format!("X-Bench-Seq: {seq}\r\n").as_bytes())
                    .await
                    .unwrap();
                w.write_all(&m.data).await.unwrap();
                let sent = Instant::now();
                let answer = reply(&mut r).await;
                out.latencies.push(sent.elapsed());
                match answer.chars().next() {
                    Some('2') => out.acked.push(seq),
                    Some('4') => out.temp += 1,
                    Some('5') => out.perm += 1,
                    _ => out.other += 1,
                }
            }
            let _ = w.write_all(b"QUIT\r\n").await;
            out
        }));
    }
    let mut all = SessionResult::default();
    for t in tasks {
        let s = t.await.expect("session");
        all.latencies.extend(s.latencies);
        all.acked.extend(s.acked);
        all.temp += s.temp;
        all.perm += s.perm;
        all.other += s.other;
    }
    let elapsed = started.elapsed();
    let mut latencies = all.latencies;
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3
    };
    let acked = all.acked.len();
    let rate = acked as f64 / elapsed.as_secs_f64();
    let refused = all.temp + all.perm + all.other;
    println!(
        "smtp: {total} messages over {sessions} sessions in {:.2}s: {acked} acknowledged, {rate:.0} msgs/s; end of DATA to reply p50 {:.2} ms, p99 {:.2} ms; {refused} refused ({} 4xx, {} 5xx)",
        elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        all.temp,
        all.perm,
    );
    if let Some(path) = arg(&args, "--acked") {
        std::fs::write(&path, all.acked.join("\n") + "\n").expect("write --acked");
    }
    let mut json = serde_json::json!({
        "label": label,
        "sent": total,
        "sessions": sessions,
        "xclient": xclient,
        "acknowledged": acked,
        "refused_4xx": all.temp,
        "refused_5xx": all.perm,
        "refused_other": all.other,
        "elapsed_s": elapsed.as_secs_f64(),
        "msgs_per_s": rate,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        "client_cpu_ticks": own_cpu_ticks(),
    });
    if arg(&args, "--sink").is_some() {
        // Let the relay drain, then say how much arrived downstream.
        let until_acked = flag(&args, "--drain-until-acked");
        let quiet = secs(&args, "--drain-quiet", 0.5);
        let deadline = Instant::now() + secs(&args, "--drain-timeout", 60.0);
        let prefix = format!("{label}-");
        let own = || {
            arrived
                .lock()
                .expect("sink list")
                .iter()
                .filter(|s| s.starts_with(&prefix))
                .count()
        };
        let (mut last, mut since) = (own(), Instant::now());
        while Instant::now() < deadline {
            if until_acked && own() >= acked {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = own();
            if now != last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() >= quiet {
                break;
            }
        }
        let list = arrived.lock().expect("sink list").clone();
        let mine: Vec<&String> = list.iter().filter(|s| s.starts_with(&prefix)).collect();
        let mut distinct = mine.clone();
        distinct.sort();
        distinct.dedup();
        let acked_set: std::collections::HashSet<&String> = all.acked.iter().collect();
        let missing = all
            .acked
            .iter()
            .filter(|s| distinct.binary_search(s).is_err())
            .count();
        let unacked = distinct.iter().filter(|s| !acked_set.contains(*s)).count();
        println!(
            "sink: {} of this run's messages arrived ({} distinct, {} duplicates, {} not acknowledged), {missing} acknowledged not here (quarantined, or lost), all in {:.2}s",
            mine.len(),
            distinct.len(),
            mine.len() - distinct.len(),
            unacked,
            started.elapsed().as_secs_f64()
        );
        if let Some(path) = arg(&args, "--sink-out") {
            let text: String = list.iter().map(|s| format!("{s}\n")).collect();
            std::fs::write(&path, text).expect("write --sink-out");
        }
        json["sink_arrived"] = mine.len().into();
        json["sink_distinct"] = distinct.len().into();
        json["sink_duplicates"] = (mine.len() - distinct.len()).into();
        json["sink_not_acknowledged"] = unacked.into();
        json["acknowledged_not_at_sink"] = missing.into();
        json["drained_s"] = started.elapsed().as_secs_f64().into();
        json["client_cpu_ticks"] = own_cpu_ticks().into();
    }
    if let Some(path) = arg(&args, "--json") {
        std::fs::write(&path, json.to_string() + "\n").expect("write --json");
    }
}
