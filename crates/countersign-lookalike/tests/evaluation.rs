//! Precision and recall on the labelled pairs of
//! `test_data/lookalike_pairs.tsv`: realistic lookalikes of an
//! organisation's and its vendors' domains, and benign near-misses (the
//! vendors' own subdomains, unrelated short names, ordinary words, real
//! brands that share a token, different companies with similar names).
//!
//! All protected identities of the file form one set, as in a directory; a
//! positive counts as found only when the expected identity is among the
//! findings, a negative counts as a false alarm when anything is reported.

use countersign_lookalike::{Assessment, ProtectedSet};
use std::collections::BTreeMap;

struct Pair {
    line: usize,
    candidate: String,
    protected: String,
    expected: bool,
    technique: String,
}

fn load() -> Vec<Pair> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/test_data/lookalike_pairs.tsv");
    let text = std::fs::read_to_string(path).expect("lookalike_pairs.tsv is part of the crate");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty())
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(
                fields.len() >= 4,
                "line {}: expected 4+ tab-separated fields",
                i + 1
            );
            let expected = match fields[2] {
                "yes" => true,
                "no" => false,
                other => panic!("line {}: expected yes or no, got {other:?}", i + 1),
            };
            Pair {
                line: i + 1,
                candidate: fields[0].to_owned(),
                protected: fields[1].to_owned(),
                expected,
                technique: fields[3].to_owned(),
            }
        })
        .collect()
}

fn build(pairs: &[Pair]) -> ProtectedSet {
    let mut builder = ProtectedSet::builder();
    for pair in pairs {
        match pair.protected.strip_prefix("brand:") {
            Some(brand) => builder.add_brand(brand).map(|_| ()),
            None => builder.add_domain(&pair.protected, "directory").map(|_| ()),
        }
        .unwrap_or_else(|err| panic!("line {}: {err}", pair.line));
    }
    builder.build()
}

/// The protected identity in the form findings name it.
fn target_name(protected: &str) -> String {
    match protected.strip_prefix("brand:") {
        Some(brand) => brand.to_owned(),
        None => countersign_model::psl::registrable_domain(protected)
            .map(|d| idna::domain_to_unicode(&d).0)
            .unwrap_or_else(|| protected.to_owned()),
    }
}

#[test]
fn precision_and_recall_on_labelled_pairs() {
    let pairs = load();
    let set = build(&pairs);
    let (mut tp, mut fp, mut tn, mut fn_) = (0usize, 0usize, 0usize, 0usize);
    let mut errors = Vec::new();
    // technique -> (found, total), and how often the reported technique agreed.
    let mut per_technique: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for pair in &pairs {
        let assessment = set.assess(&pair.candidate);
        let findings = match &assessment {
            Assessment::Lookalike(findings) => findings.as_slice(),
            _ => &[],
        };
        if pair.expected {
            let target = target_name(&pair.protected);
            let hit = findings.iter().find(|f| f.target == target);
            let row = per_technique.entry(pair.technique.as_str()).or_default();
            row.1 += 1;
            match hit {
                Some(finding) => {
                    tp += 1;
                    row.0 += 1;
                    if finding.technique.as_str() == pair.technique {
                        row.2 += 1;
                    }
                }
                None => {
                    fn_ += 1;
                    errors.push(format!(
                        "line {}: missed {} -> {target} ({}); got {assessment:?}",
                        pair.line, pair.candidate, pair.technique
                    ));
                }
            }
        } else if findings.is_empty() {
            tn += 1;
        } else {
            fp += 1;
            errors.push(format!(
                "line {}: false alarm {}: {} {} ({})",
                pair.line,
                pair.candidate,
                findings[0].technique,
                findings[0].target,
                findings[0].evidence
            ));
        }
    }

    let precision = tp as f64 / (tp + fp) as f64;
    let recall = tp as f64 / (tp + fn_) as f64;
    println!(
        "{:<12} {:>6} {:>6} {:>16}",
        "technique", "found", "total", "same technique"
    );
    for (technique, (found, total, same)) in &per_technique {
        println!("{technique:<12} {found:>6} {total:>6} {same:>16}");
    }
    println!(
        "lookalike pairs: {} lines, tp {tp} fp {fp} tn {tn} fn {fn_}, precision {precision:.3}, recall {recall:.3}",
        pairs.len()
    );
    for error in &errors {
        println!("{error}");
    }
    assert!(
        pairs.len() >= 300,
        "the evaluation set should have 300+ pairs"
    );
    assert!(
        precision >= 0.98,
        "precision {precision:.3} < 0.98:\n{}",
        errors.join("\n")
    );
    assert!(
        recall >= 0.98,
        "recall {recall:.3} < 0.98:\n{}",
        errors.join("\n")
    );
}
