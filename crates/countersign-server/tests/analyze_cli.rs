//! `countersign analyze` end to end: the real binary on the bundled samples,
//! DNS from the samples' zone file served on loopback.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn countersign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_countersign"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the countersign binary runs")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

fn analyze_samples() -> Vec<Value> {
    let output = countersign(&[
        "analyze",
        "--zone",
        "samples/samples.zone",
        "--manifest",
        "samples/manifest.jsonl",
        "--json",
    ]);
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    json_lines(&output)
}

fn by_file<'a>(results: &'a [Value], file: &str) -> &'a Value {
    results
        .iter()
        .find(|r| r["file"] == format!("messages/{file}"))
        .unwrap_or_else(|| panic!("no result for {file}"))
}

#[test]
fn samples_authenticate_as_their_scenarios_say() {
    let results = analyze_samples();
    assert_eq!(results.len(), 8, "one result per manifest line, in order");
    assert_eq!(results[0]["file"], "messages/01-vendor-authentic.eml");

    let vendor = by_file(&results, "01-vendor-authentic.eml");
    assert_eq!(vendor["spf"]["result"], "pass");
    assert_eq!(vendor["dkim"][0]["result"], "pass");
    assert_eq!(vendor["dkim"][0]["algorithm"], "rsa-sha256");
    assert_eq!(vendor["dmarc"]["result"], "pass");
    assert_eq!(vendor["dmarc"]["dkim_aligned"], true);
    let header = vendor["authentication_results"].as_str().unwrap();
    assert!(header.starts_with("countersign.local;"), "{header}");
    assert!(vendor["errors"].as_array().unwrap().is_empty());

    let spoof = by_file(&results, "02-spoofed-it-support.eml");
    assert_eq!(spoof["spf"]["result"], "fail");
    assert_eq!(spoof["dmarc"]["result"], "fail");
    assert_eq!(spoof["dmarc"]["policy"], "reject");
    assert_eq!(spoof["dmarc"]["from_domain"], "acme.example");

    let list = by_file(&results, "04-list-forward-arc.eml");
    assert_eq!(list["arc"]["result"], "pass");
    assert_eq!(list["arc"]["sealers"][0], "lists.forum.example");
    assert_eq!(list["dmarc"]["result"], "fail");

    let ed = by_file(&results, "05-vendor-ed25519.eml");
    assert_eq!(ed["dkim"][0]["algorithm"], "ed25519-sha256");
    assert_eq!(ed["dkim"][0]["result"], "pass");

    let tampered = by_file(&results, "06-vendor-body-tampered.eml");
    assert_eq!(tampered["dkim"][0]["result"], "fail");
    assert!(
        tampered["dkim"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("body hash")
    );

    let broken = by_file(&results, "07-unparsable.eml");
    assert_eq!(broken["errors"][0]["kind"], "unparsable");

    let bounce = by_file(&results, "08-null-sender-bounce.eml");
    assert_eq!(bounce["spf"]["identity"], "helo");
    assert_eq!(bounce["spf"]["domain"], "mx1.contoso-it.example");
}

#[test]
fn human_output_has_one_line_per_message() {
    let output = countersign(&[
        "analyze",
        "--zone",
        "samples/samples.zone",
        "--manifest",
        "samples/manifest.jsonl",
    ]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    // One line per message; the reasons for a verdict follow, indented.
    assert_eq!(
        text.lines().filter(|l| !l.starts_with(' ')).count(),
        8,
        "{text}"
    );
    assert!(
        text.contains("02-spoofed-it-support.eml: QUARANTINE: spf=fail"),
        "{text}"
    );
    assert!(text.contains("\n    - "), "reasons are listed: {text}");
}

#[test]
fn single_message_with_envelope_flags() {
    let output = countersign(&[
        "analyze",
        "--zone",
        "samples/samples.zone",
        "--ip",
        "203.0.113.9",
        "--helo",
        "mail.bulk-sender.example",
        "--mail-from",
        "it-support@acme.example",
        "--json",
        "samples/messages/02-spoofed-it-support.eml",
    ]);
    assert!(output.status.success());
    let results = json_lines(&output);
    assert_eq!(results[0]["spf"]["result"], "fail");
}

#[test]
fn unreadable_input_exits_1_and_keeps_the_others() {
    let output = countersign(&[
        "analyze",
        "--zone",
        "samples/samples.zone",
        "--ip",
        "198.51.100.5",
        "--json",
        "samples/messages/01-vendor-authentic.eml",
        "samples/messages/does-not-exist.eml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let results = json_lines(&output);
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["dkim"][0]["result"], "pass");
    assert!(
        results[1]["error"]
            .as_str()
            .unwrap()
            .contains("cannot read")
    );
}

#[test]
fn bad_usage_exits_2() {
    // No input at all.
    assert_eq!(countersign(&["analyze"]).status.code(), Some(2));
    // A message without the client IP SPF needs.
    let output = countersign(&["analyze", "samples/messages/01-vendor-authentic.eml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--ip"));
}

#[test]
fn malformed_zone_is_refused_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("cs-zone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zone = dir.join("bad.zone");
    std::fs::write(
        &zone,
        "$ORIGIN example.\n$TTL 300\nok IN A 192.0.2.1\nbad IN A 300.1.2.3\n",
    )
    .unwrap();
    let output = countersign(&[
        "analyze",
        "--zone",
        zone.to_str().unwrap(),
        "--manifest",
        "samples/manifest.jsonl",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.zone:4"), "{stderr}");
}

#[test]
fn malformed_manifest_line_is_named() {
    let dir = std::env::temp_dir().join(format!("cs-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("m.jsonl");
    std::fs::write(
        &manifest,
        "{\"file\": \"a.eml\", \"ip\": \"192.0.2.1\"}\n{\"file\": \"b.eml\", \"ip\": \"not-an-ip\"}\n",
    )
    .unwrap();
    let output = countersign(&["analyze", "--manifest", manifest.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("m.jsonl:2"), "{stderr}");
}

#[test]
fn samples_get_the_verdicts_their_manifest_expects() {
    let output = countersign(&[
        "analyze",
        "--zone",
        "samples/samples.zone",
        "--directory",
        "samples/directory.json",
        "--manifest",
        "samples/manifest.jsonl",
        "--json",
    ]);
    assert!(output.status.success());
    let results = json_lines(&output);
    let manifest = std::fs::read_to_string(repo().join("samples/manifest.jsonl")).unwrap();
    for (line, result) in manifest.lines().zip(&results) {
        let expected: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            result["verdict"], expected["expected_verdict"],
            "{}: reasons {}",
            expected["file"], result["reasons"]
        );
        let reasons = result["reasons"].as_array().unwrap();
        if result["verdict"] != "deliver" {
            assert!(!reasons.is_empty(), "every verdict explains itself");
        }
    }
    let lookalike = by_file(&results, "03-lookalike-authenticated.eml");
    assert!(
        lookalike["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["signal"] == "impersonation.lookalike_domain")
    );
    let tampered = by_file(&results, "06-vendor-body-tampered.eml");
    assert_eq!(
        tampered["required_controls"],
        serde_json::json!(["callback", "one_time_code"])
    );
}

#[test]
fn policy_check_names_the_line() {
    let dir = std::env::temp_dir().join(format!("cs-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("p.toml");
    std::fs::write(
        &policy,
        "[[rule]]\nname = \"x\"\nwhen = [\"request.teleport\"]\nverdict = \"flag\"\nreason = \"r\"\n",
    )
    .unwrap();
    let output = countersign(&["policy", "check", policy.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("p.toml:3") && stderr.contains("request.teleport"),
        "{stderr}"
    );
    let ok = countersign(&[
        "policy",
        "check",
        "crates/countersign-policy/data/default-policy.toml",
    ]);
    assert!(ok.status.success());
}

#[test]
fn recorded_verdicts_are_in_the_audit_log() {
    let dir = std::env::temp_dir().join(format!("cs-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("countersign.db");
    let db = db.to_str().unwrap();
    let output = countersign(&[
        "--db",
        db,
        "analyze",
        "--record",
        "--zone",
        "samples/samples.zone",
        "--directory",
        "samples/directory.json",
        "--manifest",
        "samples/manifest.jsonl",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verify = countersign(&["--db", db, "audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let export = countersign(&["--db", db, "audit", "export"]);
    let entries = json_lines(&export);
    std::fs::remove_dir_all(&dir).ok();
    let verdicts: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "message.verdict")
        .collect();
    assert_eq!(verdicts.len(), 8, "one entry per message");
    assert!(
        verdicts
            .iter()
            .any(|e| e["details"]["verdict"] == "quarantine"
                && !e["details"]["reasons"].as_array().unwrap().is_empty())
    );
}
