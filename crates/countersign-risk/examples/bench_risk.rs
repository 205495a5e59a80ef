//! Throughput of message parsing and risk assessment, measured separately.
//!
//! ```text
//! cargo run --release -p countersign-risk --example bench_risk -- [DIR_OR_FILE...]
//! ```
//!
//! Directories are read for `*.eml` files. Without arguments it uses
//! `/tmp/cs-bench/corpus` if present, else the cases in this crate's
//! `test_data/`. All messages are loaded first, so the figures exclude
//! disk IO; each stage is repeated until it has run for about a second.
//! `BENCH_ROUNDS=N` runs each stage exactly N rounds instead: with a fixed
//! amount of work, instruction counts (`perf stat -e instructions:u`, or
//! `valgrind --tool=callgrind` where a virtual machine has no counters)
//! compare two builds on a noisy machine better than time does.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use countersign_risk::{MessageContent, Rulebook, assess};

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let messages = if args.is_empty() {
        let corpus = Path::new("/tmp/cs-bench/corpus");
        if corpus.is_dir() {
            load(&[corpus.to_path_buf()])
        } else {
            test_data()
        }
    } else {
        load(&args)
    };
    if messages.is_empty() {
        eprintln!("no messages found");
        std::process::exit(1);
    }
    let bytes: usize = messages.iter().map(Vec::len).sum();
    println!(
        "{} messages, {:.1} MiB",
        messages.len(),
        bytes as f64 / (1024.0 * 1024.0)
    );

    let started = Instant::now();
    let rules = Rulebook::default_rules();
    println!(
        "rulebook: {} rules, {} guards, compiled in {:.1} ms",
        rules.rules().len(),
        rules.guards().len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    let (rounds, elapsed) = repeat(|| {
        for raw in &messages {
            black_box(MessageContent::parse(black_box(raw)));
        }
    });
    report("parse", messages.len() * rounds, elapsed);

    let contents: Vec<MessageContent> = messages
        .iter()
        .map(|raw| MessageContent::parse(raw))
        .collect();
    let (rounds, elapsed) = repeat(|| {
        for content in &contents {
            black_box(assess(black_box(content), &rules));
        }
    });
    report("assess", contents.len() * rounds, elapsed);

    let (rounds, elapsed) = repeat(|| {
        for raw in &messages {
            black_box(assess(&MessageContent::parse(black_box(raw)), &rules));
        }
    });
    report("both", messages.len() * rounds, elapsed);

    let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut high_risk, mut defective) = (0, 0);
    for content in &contents {
        let risk = assess(content, &rules);
        high_risk += usize::from(risk.high_risk);
        defective += usize::from(!content.defects.is_empty());
        for c in risk.categories() {
            *categories.entry(c.as_str()).or_default() += 1;
        }
    }
    println!(
        "high risk: {high_risk} of {}; with defects: {defective}",
        contents.len()
    );
    for (category, count) in categories {
        println!("  {category:<18} {count}");
    }
}

/// Runs `f` until about a second has passed (or `BENCH_ROUNDS` times);
/// returns rounds and time.
fn repeat(mut f: impl FnMut()) -> (usize, Duration) {
    let fixed: Option<usize> = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok());
    let start = Instant::now();
    let mut rounds = 0;
    while match fixed {
        Some(n) => rounds < n,
        None => rounds == 0 || start.elapsed() < Duration::from_secs(1),
    } {
        f();
        rounds += 1;
    }
    (rounds, start.elapsed())
}

fn report(stage: &str, messages: usize, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    println!(
        "{stage:<7} {:>10.0} msgs/s  {:>8.2} µs/msg  ({messages} messages in {secs:.2} s)",
        messages as f64 / secs,
        secs * 1e6 / messages as f64
    );
}

fn load(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).unwrap_or_else(|e| fail(path, e));
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "eml")),
            );
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| fail(p, e)))
        .collect()
}

fn fail(path: &Path, error: std::io::Error) -> ! {
    eprintln!("{}: {error}", path.display());
    std::process::exit(1)
}

/// The messages of the data-driven test cases, without their comment and
/// `expect:` lines.
fn test_data() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
    {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for case in text.split("<!-- NEXT TEST -->\n") {
            let message: Vec<&str> = case
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with("expect:"))
                .collect();
            out.push((message.join("\n") + "\n").into_bytes());
        }
    }
    out
}
