//! Scores the held-out probes in `probes/*.test` (same format as
//! `test_data/*.test`), which no rule was written from: message-level
//! precision and recall of requests and of lures, and recall by kind.
//! Unlike `tests/cases.rs` it never fails; it measures.
//!
//! ```text
//! cargo run -p countersign-risk --example probe -- probes/dev.test [--misses]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use countersign_risk::{MessageContent, RiskCategory, Rulebook, assess};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let misses = args.iter().any(|a| a == "--misses");
    let rules = Rulebook::default_rules();
    // (tp, fp, fn) for requests and lures; by kind: (found, expected).
    let mut req = [0usize; 3];
    let mut lure = [0usize; 3];
    let mut kinds: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let mut exact = 0;
    let mut total = 0;
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for chunk in text.split("<!-- NEXT TEST -->\n") {
            let mut lines: Vec<&str> = chunk.lines().collect();
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            let name = lines
                .iter()
                .find(|l| l.starts_with('#'))
                .map(|l| l.trim_start_matches('#').trim().to_owned())
                .unwrap_or_default();
            let expect = lines.pop().unwrap_or_default();
            let expected: BTreeSet<RiskCategory> = expect
                .strip_prefix("expect:")
                .unwrap_or_else(|| panic!("{path}: {name}: no expect line"))
                .split_whitespace()
                .filter(|w| *w != "none")
                .map(|w| RiskCategory::from_name(w).expect("known category"))
                .filter(|c| *c != RiskCategory::Scare)
                .collect();
            let body: Vec<&str> = lines.into_iter().filter(|l| !l.starts_with('#')).collect();
            let message = body.join("\n") + "\n";
            let risk = assess(&MessageContent::parse(message.as_bytes()), &rules);
            let found: BTreeSet<RiskCategory> = risk
                .categories()
                .into_iter()
                .filter(|c| *c != RiskCategory::Scare)
                .collect();
            total += 1;
            exact += usize::from(found == expected);
            for (tally, is) in [
                (
                    &mut req,
                    RiskCategory::is_high_risk_request as fn(RiskCategory) -> bool,
                ),
                (&mut lure, RiskCategory::is_lure),
            ] {
                let want = expected.iter().any(|c| is(*c));
                let got = found.iter().any(|c| is(*c));
                match (want, got) {
                    (true, true) => tally[0] += 1,
                    (false, true) => tally[1] += 1,
                    (true, false) => tally[2] += 1,
                    (false, false) => {}
                }
            }
            for c in &expected {
                let e = kinds.entry(c.as_str()).or_default();
                e.1 += 1;
                e.0 += usize::from(found.contains(c));
            }
            if misses && found != expected {
                let show = |s: &BTreeSet<RiskCategory>| {
                    s.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
                };
                println!(
                    "MISS {name}\n  expected: {}\n  found:    {}",
                    show(&expected),
                    show(&found)
                );
            }
        }
    }
    let pr = |t: [usize; 3]| {
        let p = t[0] as f64 / (t[0] + t[1]).max(1) as f64;
        let r = t[0] as f64 / (t[0] + t[2]).max(1) as f64;
        (100.0 * p, 100.0 * r)
    };
    let (rp, rr) = pr(req);
    let (lp, lr) = pr(lure);
    println!("cases {total}, exactly right {exact}");
    println!(
        "requests P {rp:.0}% R {rr:.0}% (tp {} fp {} fn {})",
        req[0], req[1], req[2]
    );
    println!(
        "lures    P {lp:.0}% R {lr:.0}% (tp {} fp {} fn {})",
        lure[0], lure[1], lure[2]
    );
    for (k, (f, e)) in kinds {
        println!("  {k:<18} {f}/{e}");
    }
}
