//! The labelled evaluation set in `eval/` (see eval/README.md), scored by
//! the real binary: the product's promises, stated as assertions.

use std::path::Path;
use std::process::Command;

/// The evaluation set's directory is judged as of the day it was labelled,
/// so review dates do not drift into "overdue" as the calendar moves.
const LABELLED_AT: &str = "2026-11-24T12:00:00Z";

fn summary() -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO_BIN_EXE_countersign"))
        .args([
            "analyze",
            "--zone",
            "eval/zone/eval.zone",
            "--directory",
            "eval/directory.json",
            "--manifest",
            "eval/manifest.jsonl",
            "--at",
            LABELLED_AT,
            "--summary",
        ])
        .current_dir(repo)
        .output()
        .expect("the countersign binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The number pair in a line such as `label: 39/39`.
fn fraction(summary: &str, label: &str) -> (usize, usize) {
    let line = summary
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{summary}"));
    let pair = line.rsplit(' ').next().unwrap();
    let (a, b) = pair.split_once('/').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

#[test]
fn evaluation_set_meets_the_product_targets() {
    let summary = summary();
    println!("{summary}");
    let (held, must_hold) = fraction(&summary, "expected hold that were held or stricter:");
    assert_eq!(held, must_hold, "every high-risk request is held");
    let (quarantined, benign) = fraction(
        &summary,
        "expected deliver that were quarantined or rejected:",
    );
    assert!(benign > 0);
    assert_eq!(quarantined, 0, "no benign message is quarantined");
    let (controls_right, labelled) = fraction(&summary, "required controls right:");
    assert_eq!(
        controls_right, labelled,
        "held requests name the right controls"
    );
    let accuracy = summary
        .lines()
        .find(|l| l.starts_with("accuracy:"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap();
    assert!(accuracy >= 0.95, "verdict accuracy {accuracy}");
}

#[test]
fn lookalike_pairs_meet_precision_and_recall_targets() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pairs = std::fs::read_to_string(repo.join("eval/lookalike_pairs.tsv")).unwrap();
    let labelled: Vec<(&str, bool)> = pairs
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            (fields[0], fields[2] == "yes")
        })
        .collect();
    let candidates = std::env::temp_dir().join(format!("cs-pairs-{}.txt", std::process::id()));
    let list: Vec<&str> = labelled.iter().map(|(c, _)| *c).collect();
    std::fs::write(&candidates, list.join("\n")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_countersign"))
        .args(["lookalike", "--directory", "eval/directory.json", "--json"])
        .arg("--candidates")
        .arg(&candidates)
        .current_dir(&repo)
        .output()
        .expect("the countersign binary runs");
    std::fs::remove_file(&candidates).ok();
    assert!(output.status.success());
    let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), labelled.len());
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for ((candidate, expected), answer) in labelled.iter().zip(&answers) {
        assert_eq!(answer["candidate"], *candidate);
        match (*expected, answer["lookalike"] == true) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "eval lookalike pairs: tp {tp} fp {fp} fn {fn_}, precision {precision:.3}, recall {recall:.3}"
    );
    assert!(
        precision >= 0.98 && recall >= 0.98,
        "precision {precision}, recall {recall}"
    );
}
