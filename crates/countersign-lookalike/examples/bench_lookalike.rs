//! Benchmark: index 10,000 protected domains, then check 100,000 candidates.
//!
//! `cargo run --release -p countersign-lookalike --example bench_lookalike`
//!
//! Names are generated deterministically (a fixed-seed xorshift) from
//! syllables, so they look like company names (`travelnora.com`,
//! `kelmo-systems.de`). Candidates mix unrelated names (most of real mail),
//! typos, homoglyphs, combosquats, subdomain tricks, TLD swaps and the
//! protected domains' own subdomains.

use countersign_lookalike::ProtectedSet;
use std::time::Instant;

const PROTECTED: usize = 10_000;
const CANDIDATES: usize = 100_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ner", "tra", "vel", "zen", "qua", "dro", "pex", "sol", "tek", "nova", "cor",
    "ban", "fin", "gal", "hy", "ion", "jus", "kel", "lum", "mo", "nex", "or", "pra", "ri", "sy",
    "tor", "ul", "ven", "wex", "xi", "yo", "zu", "bri", "cla", "dex", "fa", "gro",
];
const WORDS: &[&str] = &[
    "systems", "group", "labs", "data", "cloud", "health", "bank", "soft",
];
const SUFFIXES: &[&str] = &[
    "com", "com", "com", "net", "org", "io", "de", "co.uk", "fr", "nl",
];
const ADDED: &[&str] = &[
    "support", "helpdesk", "login", "secure", "it", "portal", "verify",
];

fn company(rng: &mut Rng) -> String {
    let mut name = String::new();
    for _ in 0..2 + rng.below(2) {
        name.push_str(rng.pick(SYLLABLES));
    }
    match rng.below(4) {
        0 => format!("{name}-{}", rng.pick(WORDS)),
        1 => format!("{name}{}", rng.pick(WORDS)),
        _ => name,
    }
}

fn typo(rng: &mut Rng, label: &str) -> String {
    let mut chars: Vec<char> = label.chars().collect();
    let i = rng.below(chars.len());
    match rng.below(4) {
        0 => {
            chars.remove(i);
        }
        1 => chars.insert(i, chars[i]),
        2 if i + 1 < chars.len() => chars.swap(i, i + 1),
        _ => chars[i] = (b'a' + rng.below(26) as u8) as char,
    }
    chars.into_iter().collect()
}

fn main() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut protected: Vec<(String, String)> = Vec::with_capacity(PROTECTED);
    let mut seen = std::collections::HashSet::new();
    while protected.len() < PROTECTED {
        let label = company(&mut rng);
        let suffix = rng.pick(SUFFIXES).to_owned();
        if seen.insert(format!("{label}.{suffix}")) {
            protected.push((label, suffix));
        }
    }

    let start = Instant::now();
    let mut builder = ProtectedSet::builder();
    for (label, suffix) in &protected {
        builder
            .add_domain(&format!("{label}.{suffix}"), "vendor")
            .expect("generated names are valid");
    }
    let set = builder.build();
    let build = start.elapsed();

    let candidates: Vec<String> = (0..CANDIDATES)
        .map(|_| {
            let (label, suffix) = &protected[rng.below(PROTECTED)];
            match rng.below(20) {
                // Unrelated names: most of what a gateway sees.
                0..=9 => format!("{}.{}", company(&mut rng), rng.pick(SUFFIXES)),
                10 | 11 => format!("{}.{suffix}", typo(&mut rng, label)),
                12 => format!(
                    "{}.{suffix}",
                    label.replacen('o', "0", 1).replacen('a', "\u{0430}", 1)
                ),
                13 => format!("{label}-{}.{}", rng.pick(ADDED), rng.pick(SUFFIXES)),
                14 => format!("{label}.{suffix}.{}.com", company(&mut rng)),
                15 => format!("{label}.{}", rng.pick(SUFFIXES)),
                _ => format!("mail.{label}.{suffix}"),
            }
        })
        .collect();

    let mut samples: Vec<u128> = Vec::with_capacity(CANDIDATES);
    let mut flagged = 0usize;
    let start = Instant::now();
    for candidate in &candidates {
        let t = Instant::now();
        let finding = set.check(candidate);
        samples.push(t.elapsed().as_nanos());
        flagged += usize::from(finding.is_some());
    }
    let total = start.elapsed();
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];

    println!("protected domains: {}", set.len());
    println!("index build:       {:.1} ms", build.as_secs_f64() * 1e3);
    println!("candidates:        {CANDIDATES} ({flagged} flagged)");
    println!(
        "check:             mean {:.2} us, p50 {:.2} us, p99 {:.2} us, max {:.1} us",
        total.as_secs_f64() * 1e6 / CANDIDATES as f64,
        pct(0.50) as f64 / 1e3,
        pct(0.99) as f64 / 1e3,
        pct(1.0) as f64 / 1e3
    );
    println!(
        "throughput:        {:.0} checks/s on one core",
        CANDIDATES as f64 / total.as_secs_f64()
    );
}
