//! The official Public Suffix List test vectors (`tests/tests.txt` from the
//! publicsuffix/list repository), loaded unchanged from the shared corpora.
//!
//! Each line is `<input> <expected registrable domain | null>`; `//` starts a
//! comment. The literal input `null` stands for "no name at all", which this
//! API spells as the empty string.

use countersign_model::psl;
use std::path::PathBuf;

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/dmarc-orgdomain-publicsuffix-list/tests.txt")
}

#[test]
fn official_registrable_domain_vectors() {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read the PSL test vectors at {}: {err}; the shared corpora \
             folder must sit beside the repository (CI always has it)",
            path.display()
        )
    });

    let mut total = 0;
    let mut failures = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(input), Some(expected)) = (fields.next(), fields.next()) else {
            panic!("line {}: malformed vector {line:?}", number + 1);
        };
        let input = if input == "null" { "" } else { input };
        let expected = (expected != "null").then_some(expected);
        total += 1;
        let got = psl::registrable_domain(input);
        if got.as_deref() != expected {
            failures.push(format!(
                "line {}: registrable_domain({input:?}) = {got:?}, expected {expected:?}",
                number + 1
            ));
        }
    }

    println!("psl vectors: {}/{total} passed", total - failures.len());
    assert!(
        total >= 70,
        "expected the 78 official vectors, found {total}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
