//! Visual normalisation of domain labels: the *fold* and the *skeleton*.
//!
//! UTS #39 §4 defines `skeleton(X) = NFD(map(NFD(X)))`, where `map` replaces
//! every character by its prototype from `confusables.txt`; two strings are
//! confusable when their skeletons are equal. Domain names need two
//! adjustments, both applied in the same single pass:
//!
//! * domains are case-insensitive and shown in lowercase, so the result is
//!   lowercased (UTS #39 maps `0` to `O`, which would otherwise not meet `o`);
//! * a diacritic or a hook is easy to miss in an address bar, so combining
//!   marks are dropped, and the Latin letters with hooks, curls or small-capital
//!   forms that neither NFD nor `confusables.txt` reduce (`ƈ`, `ʀ`, `ɾ`) come
//!   from a derived supplement (`data/latin_supplement.txt`).
//!
//! The result is split in two steps because they answer different questions:
//!
//! * [`fold`] maps every *non-ASCII* character to what it imitates and keeps
//!   ASCII as typed (`раураl` → `paypal`, `çirçl` → `circl`, `c0rcl` stays).
//!   Typo distances and brand tokens are computed on the fold, so an IDN
//!   homoglyph combined with a typo is still one edit away.
//! * [`skeleton`] additionally maps the ASCII confusables (`m` → `rn`,
//!   `0` → `o`, `1` → `l`, and, beyond UTS #39, `w` → `vv` and `d` → `cl`),
//!   so `rnicrosoft`, `micr0soft` and `microsoft` share one skeleton.

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::props::{GeneralCategory, Script};
use icu_properties::{CodePointMapData, PropertyNamesLong};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Unicode 17.0.0 `confusables.txt`, unchanged.
const CONFUSABLES: &str = include_str!("../data/confusables.txt");
/// Latin letters UTS #39 and NFD leave alone; see the file's header.
const LATIN_SUPPLEMENT: &str = include_str!("../data/latin_supplement.txt");

/// Non-ASCII character → its folded replacement (lowercase, marks removed).
static FOLD_TABLE: LazyLock<HashMap<char, Box<str>>> = LazyLock::new(build_fold_table);

fn build_fold_table() -> HashMap<char, Box<str>> {
    let mut table = HashMap::with_capacity(7_000);
    for (source, target) in parse_mapping(CONFUSABLES) {
        if source.is_ascii() {
            // ASCII sources (`m`, `0`, `1`, `I`, `|`) belong to the skeleton
            // step, never to the fold.
            continue;
        }
        let folded = strip_marks_lower(&target);
        if !folded.is_empty() {
            table.insert(source, folded.into_boxed_str());
        }
    }
    // The supplement only adds letters the confusables data leaves unmapped,
    // so it can be applied after it without overriding anything.
    for (source, target) in parse_mapping(LATIN_SUPPLEMENT) {
        table
            .entry(source)
            .or_insert_with(|| strip_marks_lower(&target).into_boxed_str());
    }
    table
}

/// Parses `SOURCE ; TARGET... ; ...  # comment` lines (the confusables.txt
/// format). Lines that do not parse are skipped: the data is embedded and
/// checked by a unit test, so a bad line is a build-time concern.
fn parse_mapping(text: &str) -> impl Iterator<Item = (char, String)> + '_ {
    text.lines().filter_map(|line| {
        let line = line.trim_start_matches('\u{feff}');
        let data = line.split('#').next()?.trim();
        if data.is_empty() {
            return None;
        }
        let mut fields = data.split(';');
        let source = parse_code_point(fields.next()?.trim())?;
        let target = fields
            .next()?
            .split_whitespace()
            .map(parse_code_point)
            .collect::<Option<String>>()?;
        Some((source, target))
    })
}

fn parse_code_point(hex: &str) -> Option<char> {
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

/// NFD, drop combining marks, lowercase.
fn strip_marks_lower(text: &str) -> String {
    let nfd = DecomposingNormalizerBorrowed::new_nfd();
    nfd.normalize_iter(text.chars())
        .filter(|&c| !is_mark(c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_mark(c: char) -> bool {
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
    )
}

/// Maps every non-ASCII character of `label` to the ASCII (or simpler) text
/// it imitates, drops combining marks and lowercases; ASCII stays as typed.
pub fn fold(label: &str) -> String {
    if label.is_ascii() {
        return label.to_ascii_lowercase();
    }
    let table = &*FOLD_TABLE;
    let nfd = DecomposingNormalizerBorrowed::new_nfd();
    let mut out = String::with_capacity(label.len());
    for c in nfd.normalize_iter(label.chars()) {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if is_mark(c) {
            continue;
        } else if let Some(replacement) = table.get(&c) {
            out.push_str(replacement);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The skeleton of an already folded label: the fold with the ASCII
/// confusables mapped as well.
pub fn skeleton_of_fold(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len() + 4);
    for c in folded.chars() {
        out.push_str(skeleton_char(c).unwrap_or(c.encode_utf8(&mut [0; 4])));
    }
    out
}

/// The skeleton of one folded character when it differs from the character.
pub fn skeleton_char(c: char) -> Option<&'static str> {
    match c {
        // From UTS #39 confusables.txt.
        'm' => Some("rn"),
        '0' => Some("o"),
        '1' => Some("l"),
        // Not in UTS #39 (which maps single code points only), but the two
        // classic multi-letter tricks typosquatting tools generate.
        'w' => Some("vv"),
        'd' => Some("cl"),
        _ => None,
    }
}

/// The skeleton of a label: `skeleton_of_fold(fold(label))`.
pub fn skeleton(label: &str) -> String {
    skeleton_of_fold(&fold(label))
}

/// The scripts used by a label, in order of first use, ignoring characters
/// shared by all scripts (digits, hyphen, combining marks).
pub fn scripts(label: &str) -> Vec<&'static str> {
    let mut found: Vec<Script> = Vec::new();
    for c in label.chars() {
        let script = if c.is_ascii_alphabetic() {
            Script::Latin
        } else if c.is_ascii() {
            continue;
        } else {
            CodePointMapData::<Script>::new().get(c)
        };
        if script == Script::Common || script == Script::Inherited {
            continue;
        }
        if !found.contains(&script) {
            found.push(script);
        }
    }
    let names = PropertyNamesLong::<Script>::new();
    found
        .into_iter()
        .map(|s| names.get(s).unwrap_or("Unknown"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses() {
        // confusables.txt 17.0.0 has 6,565 mappings; most have non-ASCII
        // sources. A broken parser would yield far fewer.
        assert!(FOLD_TABLE.len() > 6_000, "{}", FOLD_TABLE.len());
        assert!(parse_mapping(LATIN_SUPPLEMENT).count() > 100);
    }

    #[test]
    fn fold_maps_foreign_letters_and_keeps_ascii() {
        // Cyrillic а, р, у.
        assert_eq!(fold("\u{0440}\u{0430}\u{0443}\u{0440}\u{0430}l"), "paypal");
        assert_eq!(fold("çirçl"), "circl");
        assert_eq!(fold("ƈircl"), "circl");
        assert_eq!(fold("ciʀcl"), "circl");
        // Greek omicron, Armenian oh.
        assert_eq!(fold("g\u{03bf}\u{0585}gle"), "google");
        assert_eq!(fold("c0rcl"), "c0rcl");
        assert_eq!(fold("ACME"), "acme");
    }

    #[test]
    fn skeleton_joins_ascii_confusables() {
        assert_eq!(skeleton("rnicrosoft"), skeleton("microsoft"));
        assert_eq!(skeleton("micr0soft"), skeleton("microsoft"));
        assert_eq!(skeleton("paypa1"), skeleton("paypal"));
        assert_eq!(skeleton("vvikipedia"), skeleton("wikipedia"));
        assert_eq!(skeleton("clropbox"), skeleton("dropbox"));
        assert_ne!(skeleton("circl"), skeleton("circa"));
    }

    #[test]
    fn scripts_are_reported_in_order() {
        assert_eq!(scripts("p\u{0430}ypal"), vec!["Latin", "Cyrillic"]);
        assert_eq!(scripts("acme-2"), vec!["Latin"]);
        assert_eq!(scripts("\u{03b1}\u{03b2}"), vec!["Greek"]);
    }
}
