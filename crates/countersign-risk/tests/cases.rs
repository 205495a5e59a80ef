//! Runs every data-driven case in `test_data/*.test` against the default
//! rulebook.
//!
//! A `.test` file holds cases separated by a line `<!-- NEXT TEST -->`. A
//! case is optional `#` comment lines (the first names the case), a raw
//! message (headers, blank line, body), and a last line
//! `expect: CATEGORY ...` listing every category the assessment must find,
//! no more and no fewer, or `expect: none`. All failures are printed before
//! the test fails, so one run shows every regression.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use countersign_risk::{MessageContent, RiskCategory, Rulebook, assess};

struct Case {
    file: String,
    line: usize,
    name: String,
    message: String,
    expected: BTreeSet<RiskCategory>,
}

fn load_cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("test_data exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).expect("test file is UTF-8");
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut line = 1;
        for chunk in text.split("<!-- NEXT TEST -->\n") {
            let chunk_lines = chunk.lines().count();
            let mut lines: Vec<&str> = chunk.lines().collect();
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            let mut start = 0;
            while start < lines.len() && lines[start].trim().is_empty() {
                start += 1;
            }
            let mut name = String::new();
            while start < lines.len() && lines[start].starts_with('#') {
                if name.is_empty() {
                    name = lines[start].trim_start_matches('#').trim().to_owned();
                }
                start += 1;
            }
            let expect = lines.pop().unwrap_or_default();
            let spec = expect.strip_prefix("expect:").unwrap_or_else(|| {
                panic!("{file}:{line}: case must end with an `expect:` line, got {expect:?}")
            });
            let expected = spec
                .split_whitespace()
                .filter(|w| *w != "none")
                .map(|w| {
                    RiskCategory::from_name(w)
                        .unwrap_or_else(|| panic!("{file}:{line}: unknown category {w}"))
                })
                .collect();
            cases.push(Case {
                file: file.clone(),
                line: line + start,
                name,
                message: lines[start.min(lines.len())..].join("\n") + "\n",
                expected,
            });
            line += chunk_lines + 1;
        }
    }
    cases
}

#[test]
fn data_driven_cases() {
    let rules = Rulebook::default_rules();
    let cases = load_cases();
    let mut failures = Vec::new();
    for case in &cases {
        let content = MessageContent::parse(case.message.as_bytes());
        let risk = assess(&content, &rules);
        let found: BTreeSet<RiskCategory> = risk.categories().into_iter().collect();
        if found != case.expected {
            let show = |s: &BTreeSet<RiskCategory>| {
                if s.is_empty() {
                    "none".to_owned()
                } else {
                    s.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
                }
            };
            let evidence: Vec<String> = risk
                .findings
                .iter()
                .map(|f| {
                    format!(
                        "{} ({}: {:?} in {})",
                        f.rule,
                        f.category,
                        f.evidence.matched,
                        f.evidence.location.as_str()
                    )
                })
                .collect();
            failures.push(format!(
                "{}:{} {}\n    expected: {}\n    found:    {}\n    findings: {}\n    defects:  {:?}",
                case.file,
                case.line,
                case.name,
                show(&case.expected),
                show(&found),
                evidence.join("; "),
                content.defects,
            ));
        }
    }
    for failure in &failures {
        eprintln!("FAIL {failure}");
    }
    eprintln!(
        "{} cases, {} passed, {} failed",
        cases.len(),
        cases.len() - failures.len(),
        failures.len()
    );
    assert!(
        cases.len() >= 40,
        "expected at least 40 cases, found {}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed",
        failures.len(),
        cases.len()
    );
}

#[test]
fn benign_cases_hold_no_request() {
    // The benign file's purpose in one line: nothing in it may be held.
    let rules = Rulebook::default_rules();
    for case in load_cases().iter().filter(|c| c.file.starts_with("benign")) {
        let risk = assess(&MessageContent::parse(case.message.as_bytes()), &rules);
        assert!(
            !risk.high_risk,
            "{}:{} {} was marked high risk: {:?}",
            case.file, case.line, case.name, risk.findings
        );
    }
}
