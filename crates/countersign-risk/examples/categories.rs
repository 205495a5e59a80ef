//! The categories `assess` finds in each message of a manifest, one JSON
//! line per message: a fast loop for recogniser work that does not need the
//! whole pipeline (no authentication, no policy).
//!
//! ```text
//! cargo run --release -p countersign-risk --example categories -- S/manifest.jsonl > cats.jsonl
//! ```

use std::path::Path;

use countersign_risk::{MessageContent, Rulebook, assess};

fn main() {
    let rules = Rulebook::default_rules();
    for manifest in std::env::args().skip(1) {
        let dir = Path::new(&manifest).parent().unwrap_or(Path::new("."));
        let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{manifest}: {e}"));
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let file = line
                .split("\"file\"")
                .nth(1)
                .and_then(|rest| rest.split('"').nth(1))
                .unwrap_or_else(|| panic!("{manifest}:{}: no \"file\"", n + 1));
            let raw = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let risk = assess(&MessageContent::parse(&raw), &rules);
            let cats: Vec<String> = risk
                .categories()
                .into_iter()
                .map(|c| format!("\"{c}\""))
                .collect();
            println!(
                "{{\"file\": \"{file}\", \"categories\": [{}]}}",
                cats.join(", ")
            );
        }
    }
}
