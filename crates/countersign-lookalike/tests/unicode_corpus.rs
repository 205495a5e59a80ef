//! False positives on the Unicode Consortium's IDNA conformance vectors
//! (`IdnaTestV2.txt`, Unicode 17.0.0, loaded unchanged from the shared
//! corpora): thousands of internationalised names in every script, none of
//! them written to imitate anybody. Every valid name is checked against the
//! well-known brands of `data/brands.txt` plus a few organisation-like
//! domains; the share reported as lookalikes is printed and bounded.
//!
//! A handful of vectors are visual twins by construction (the file tests
//! mappings such as `ß` → `ss`), so the bound is not zero; each one found is
//! printed so a reader can judge it.

use countersign_lookalike::{Assessment, ProtectedSet};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn corpus() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/unicode-uts39-confusables-17.0.0/IdnaTestV2.txt");
    std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read {}: {err}; the shared corpora folder must sit beside the repository",
            path.display()
        )
    })
}

/// Decodes the file's `\uXXXX` and `\x{X...}` escapes.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let (hex, len) = if let Some(h) = tail.strip_prefix("\\u") {
            (h.get(..4)?, 6)
        } else if let Some(h) = tail.strip_prefix("\\x{") {
            let end = h.find('}')?;
            (&h[..end], end + 4)
        } else {
            return None;
        };
        out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
        rest = &tail[len..];
    }
    out.push_str(rest);
    Some(out)
}

/// Names from the file: the source and the toUnicode column of every line,
/// escapes decoded. Lines that test invalid input are kept too: their
/// labels are still ordinary strings in many scripts, and whatever the
/// domain-name parser refuses is skipped when checking. A single label is
/// read under `.com`, as a name registered there would be.
fn valid_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let data = line.split('#').next().unwrap_or("").trim();
        if data.is_empty() {
            continue;
        }
        let fields: Vec<&str> = data.split(';').map(str::trim).collect();
        if fields.len() < 6 {
            continue;
        }
        for name in [fields[0], fields[1]] {
            let Some(name) = unescape(name) else { continue };
            let name = name.trim_end_matches('.').to_lowercase();
            if name.is_empty() || name.split('.').any(str::is_empty) {
                continue;
            }
            if name.contains('.') {
                names.insert(name);
            } else {
                names.insert(format!("{name}.com"));
            }
        }
    }
    names
}

#[test]
fn idna_conformance_vectors_are_not_lookalikes() {
    // Names the domain-name parser refuses are not counted.
    let names = valid_names(&corpus());
    assert!(names.len() > 2_000, "only {} names parsed", names.len());
    let mut builder = ProtectedSet::builder();
    builder.add_known_brands();
    for domain in [
        "ravenholt.example",
        "meridian-logistics.example",
        "acme.test",
    ] {
        builder.add_domain(domain, "organisation-like").unwrap();
    }
    let set = builder.build();
    let mut flagged = Vec::new();
    let mut checked = 0usize;
    for name in &names {
        match set.assess(name) {
            Assessment::NotADomain | Assessment::Protected { .. } => continue,
            Assessment::Lookalike(findings) => {
                flagged.push(format!("{name} -> {}", findings[0].target));
            }
            Assessment::Unrelated => {}
        }
        checked += 1;
    }
    let rate = flagged.len() as f64 / checked.max(1) as f64;
    println!(
        "IdnaTestV2 names: {checked} checked, {} reported ({:.2} %)",
        flagged.len(),
        rate * 100.0
    );
    for f in &flagged {
        println!("  {f}");
    }
    assert!(
        rate <= 0.005,
        "{} of {checked} reported: {flagged:?}",
        flagged.len()
    );
}
