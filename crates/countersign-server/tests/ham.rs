//! False alarms on real legitimate mail: the 2,500 messages of
//! `../shared/corpora/ham-spamassassin-easy-ham-1` (2002 mailing lists and
//! newsletters) go through the real binary against the evaluation
//! directory. They carry no authentication a resolver could check today,
//! so this measures content, impersonation and policy: the share of honest
//! mail that is held, quarantined or flagged. `eval/ham.py` prints the same
//! figures with the rules behind them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/ham-spamassassin-easy-ham-1/messages")
}

/// The From address of a raw message, for the envelope ("" when none).
fn from_address(raw: &[u8]) -> String {
    mail_parser::MessageParser::default()
        .parse_headers(raw)
        .and_then(|m| {
            m.from()
                .and_then(|f| f.first())
                .and_then(|a| a.address())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

#[test]
fn honest_mail_is_rarely_held_and_never_quarantined() {
    let corpus = corpus();
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        panic!("the ham corpus is missing at {}", corpus.display());
    };
    let work = std::env::temp_dir().join(format!("cs-ham-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let zone = work.join("empty.zone");
    std::fs::write(
        &zone,
        "$ORIGIN invalid.\n$TTL 300\n@ IN SOA ns.invalid. h.invalid. (1 3600 900 604800 300)\n",
    )
    .unwrap();
    let mut names: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    names.sort();
    let mut manifest = String::new();
    for path in &names {
        let mut raw = std::fs::read(path).unwrap();
        // mbox "From " separator lines are not part of the message.
        if raw.starts_with(b"From ") {
            let cut = raw
                .iter()
                .position(|&b| b == b'\n')
                .map_or(raw.len(), |p| p + 1);
            raw.drain(..cut);
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::write(work.join(&name), &raw).unwrap();
        let line = serde_json::json!({
            "file": name,
            "ip": "192.0.2.25",
            "helo": "mail.example.org",
            "mail_from": from_address(&raw),
        });
        manifest.push_str(&line.to_string());
        manifest.push('\n');
    }
    std::fs::write(work.join("manifest.jsonl"), manifest).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO_BIN_EXE_countersign"))
        .arg("analyze")
        .arg("--zone")
        .arg(&zone)
        .args(["--directory", "eval/directory.json", "--json"])
        .args(["--at", "2026-11-24T12:00:00Z"])
        .arg("--manifest")
        .arg(work.join("manifest.jsonl"))
        .current_dir(&repo)
        .output()
        .expect("the countersign binary runs");
    std::fs::remove_dir_all(&work).ok();
    let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let answer: serde_json::Value = serde_json::from_str(line).unwrap();
        let verdict = answer["verdict"].as_str().unwrap_or("error").to_owned();
        *verdicts.entry(verdict).or_default() += 1;
    }
    let total: usize = verdicts.values().sum();
    assert_eq!(total, names.len(), "one verdict per message: {verdicts:?}");
    let share = |v: &str| verdicts.get(v).copied().unwrap_or(0) as f64 / total as f64;
    println!(
        "ham: {total} messages; deliver {:.2}%, flag {:.2}%, hold {:.2}%, quarantine {:.2}%, reject {:.2}%, error {:.2}%",
        100.0 * share("deliver"),
        100.0 * share("flag"),
        100.0 * share("hold"),
        100.0 * share("quarantine"),
        100.0 * share("reject"),
        100.0 * share("error"),
    );
    assert_eq!(share("error"), 0.0, "{verdicts:?}");
    assert!(
        share("quarantine") + share("reject") <= 0.005,
        "{verdicts:?}"
    );
    assert!(share("hold") <= 0.005, "{verdicts:?}");
    assert!(share("flag") <= 0.05, "{verdicts:?}");
}
