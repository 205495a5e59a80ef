//! Adversarial messages (tests/adversarial/mod.rs: 20,000 From addresses,
//! 5,000 DKIM signatures, 1,000 ARC sets, 100,000 links, MIME nested 5,000
//! deep, ...) are each analysed and get a verdict that names the work bound
//! they hit; the one that stays within the bounds (sixteen `l=` signatures
//! over a 4 MB body) gets its verdict in time too.
//!
//! The wall-clock limits here only guard against a hang; the per-message
//! figures come from `cargo run --release -p countersign-server --example
//! adversarial`.

mod adversarial;

use countersign_auth::{Authenticator, Envelope};
use countersign_directory::DirectorySnapshot;
use countersign_dns::resolver::{DnsResolver, ResolverSettings};
use countersign_dns::zone::ZoneSet;
use countersign_engine::{Engine, Identities};
use countersign_model::verdict::Action;
use countersign_policy::Policy;
use countersign_risk::Rulebook;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Generous: a hang guard, not a benchmark.
const PER_MESSAGE: Duration = Duration::from_secs(2);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The work bound each adversarial message must report (by evidence name);
/// `None` for those whose work stays within the bounds.
fn expected_bound(name: &str) -> Option<&'static str> {
    Some(match name {
        // Sixteen l= signatures over 4 MB: within the bounds, one pass and
        // one hash of the body serve them all.
        "baseline" | "dkim-l-16x4mb" => return None,
        "from-20000" => "author_domains",
        "dkim-5000" => "dkim_signatures",
        "arc-1000" => "arc_sets",
        "links-100000" => "links",
        "mime-depth-5000" => "mime_depth",
        "rfc822-depth-1000" => "message_depth",
        "parts-20000" => "mime_parts",
        "headers-20000" => "header_fields",
        "signed-names-5000" => "header_fields",
        other => panic!("no expectation for {other}"),
    })
}

fn engine() -> Engine {
    let snapshot = DirectorySnapshot::load(&repo().join("samples/directory.json")).unwrap();
    Engine::new(
        Policy::default_policy(),
        Rulebook::default_rules(),
        Identities::from_snapshot(&snapshot, time::OffsetDateTime::now_utc()),
    )
}

/// In process, then through the binary: one test, so the two do not compete
/// for the machine's cores while the hang guard runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_adversarial_message_gets_a_verdict_naming_its_bound() {
    let messages = adversarial::all();
    in_process(&messages).await;
    through_the_binary(&messages);
}

async fn in_process(messages: &[adversarial::Adversarial]) {
    let mut zones = ZoneSet::new();
    zones
        .load_str(&adversarial::zone_text(), "adversarial.zone")
        .unwrap();
    let resolver = DnsResolver::from_zones(zones, &ResolverSettings::default())
        .await
        .unwrap();
    let authenticator = Authenticator::new(Arc::new(resolver), "countersign.test");
    let engine = engine();
    for message in messages {
        let envelope = Envelope::parse("203.0.113.7", "mx.adv.example", message.mail_from).unwrap();
        let start = Instant::now();
        let report = authenticator.authenticate(&message.raw, &envelope).await;
        let verdict = engine
            .evaluate(&message.raw, &report, message.mail_from)
            .verdict;
        let elapsed = start.elapsed();
        println!(
            "{:<20} {:>9} bytes {elapsed:>12.2?}",
            message.name,
            message.raw.len()
        );
        assert!(
            elapsed < PER_MESSAGE,
            "{}: {elapsed:?} (hang guard {PER_MESSAGE:?})",
            message.name
        );
        let bounds: Vec<&str> = verdict
            .findings
            .iter()
            .filter(|f| f.signal == "message.work_bound")
            .flat_map(|f| f.evidence.split(", "))
            .collect();
        match expected_bound(message.name) {
            None => {
                assert!(bounds.is_empty(), "{}: {bounds:?}", message.name);
                assert_eq!(report.dkim[0].result.as_str(), "pass", "{:?}", report.dkim);
            }
            Some(bound) => {
                assert!(
                    bounds.contains(&bound),
                    "{}: expected the {bound} bound, found {bounds:?}",
                    message.name
                );
                assert_eq!(
                    verdict.verdict,
                    Action::Quarantine,
                    "{}: {:?}",
                    message.name,
                    verdict.reasons
                );
                assert!(
                    verdict.rules.iter().any(|r| r == "work-bound"),
                    "{}: {:?}",
                    message.name,
                    verdict.rules
                );
            }
        }
    }
}

/// The real binary on the same messages: one JSON verdict per message, each
/// quarantined with the work bound in its reasons.
fn through_the_binary(messages: &[adversarial::Adversarial]) {
    let dir = std::env::temp_dir().join(format!("cs-adversarial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = String::new();
    for message in messages {
        let file = format!("{}.eml", message.name);
        std::fs::write(dir.join(&file), &message.raw).unwrap();
        manifest.push_str(
            &serde_json::json!({
                "file": file,
                "ip": "203.0.113.7",
                "helo": "mx.adv.example",
                "mail_from": message.mail_from,
            })
            .to_string(),
        );
        manifest.push('\n');
    }
    std::fs::write(dir.join("manifest.jsonl"), manifest).unwrap();
    std::fs::write(dir.join("adversarial.zone"), adversarial::zone_text()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_countersign"))
        .args(["analyze", "--json", "--zone"])
        .arg(dir.join("adversarial.zone"))
        .arg("--manifest")
        .arg(dir.join("manifest.jsonl"))
        .arg("--directory")
        .arg(repo().join("samples/directory.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the countersign binary runs");
    // Start-up plus the hang guard for every message; the child is ended
    // (by its own handle) if it overruns.
    let deadline = Instant::now() + Duration::from_secs(10) + PER_MESSAGE * messages.len() as u32;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("countersign analyze did not finish the adversarial messages in time");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(results.len(), messages.len(), "stderr: {stderr}");
    for (message, result) in messages.iter().zip(&results) {
        assert_eq!(result["file"], format!("{}.eml", message.name));
        let Some(bound) = expected_bound(message.name) else {
            continue;
        };
        assert_eq!(
            result["verdict"], "quarantine",
            "{}: {result}",
            message.name
        );
        let reasons = result["reasons"].to_string();
        assert!(
            reasons.contains(&format!("work bound {bound}")),
            "{}: {reasons}",
            message.name
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
