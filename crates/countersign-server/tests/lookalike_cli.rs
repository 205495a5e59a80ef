//! `countersign lookalike` end to end: the real binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn countersign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_countersign"))
        .args(args)
        .output()
        .expect("the countersign binary runs")
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cs-lookalike-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_refused_protect_file_line_is_a_warning_not_the_end_of_the_run() {
    let file = temp_file(
        "protect.txt",
        "# protected names\nacme.example,Acme\nco.uk\na..b,Nobody\ncontoso.com,Contoso\n",
    );
    let file_text = file.display().to_string();
    let output = countersign(&[
        "lookalike",
        "--protect-file",
        &file_text,
        "--json",
        "acme-helpdesk.example",
        "c0ntoso.com",
        "example.org",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {stderr}",
        output.status
    );
    // Each refused line is named by file and line, with the reason.
    assert!(
        stderr.contains(&format!("{file_text}:3: \"co.uk\" is a public suffix")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file_text}:4: ")) && stderr.contains("not a valid domain name"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("line skipped").count(),
        2,
        "only the refused lines are reported: {stderr}"
    );
    // The lines before and after the refused ones still protect.
    let answers: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(answers.len(), 3, "{stdout}");
    assert_eq!(answers[0]["lookalike"], true, "{stdout}");
    assert_eq!(answers[0]["target"], "acme.example", "{stdout}");
    assert_eq!(answers[1]["lookalike"], true, "{stdout}");
    assert_eq!(answers[1]["target"], "contoso.com", "{stdout}");
    assert_eq!(answers[2]["status"], "unrelated", "{stdout}");
}

#[test]
fn a_protect_file_with_nothing_protectable_still_fails() {
    let file = temp_file("suffixes.txt", "co.uk\ngithub.io\n");
    let file_text = file.display().to_string();
    let output = countersign(&["lookalike", "--protect-file", &file_text, "example.org"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "stderr: {stderr}");
    assert!(stderr.contains(&format!("{file_text}:1: ")), "{stderr}");
    assert!(stderr.contains(&format!("{file_text}:2: ")), "{stderr}");
    assert!(stderr.contains("nothing to protect"), "{stderr}");
}

#[test]
fn a_refused_protect_argument_is_an_error() {
    let output = countersign(&["lookalike", "--protect", "co.uk", "example.org"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "stderr: {stderr}");
    assert!(stderr.contains("public suffix"), "{stderr}");
}
