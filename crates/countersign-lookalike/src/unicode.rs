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

/// Letters no Unicode data links to a Latin letter although their lowercase
/// sans-serif glyph reads as one; see the file's header.
const TYPOGRAPHIC: &str = include_str!("../data/typographic_supplement.txt");

/// Non-ASCII character → its folded replacement (lowercase, marks removed).
static FOLD_TABLE: LazyLock<HashMap<char, Box<str>>> = LazyLock::new(build_fold_table);

/// Builds the fold table in four steps, each only filling what the previous
/// ones left without an ASCII reading:
///
/// 1. `confusables.txt` (UTS #39): every non-ASCII source → its prototype,
///    marks stripped and lowercased.
/// 2. `latin_supplement.txt`: Latin letters with hooks, curls, strokes and
///    small-capital forms, named after the ASCII letter they decorate
///    (`ʀ` LATIN LETTER SMALL CAPITAL R → `r`). It also wins over a
///    confusables prototype that is not ASCII itself (`ᴋ` → `ĸ` there).
/// 3. *Whole-script readings*, derived from Unicode data rather than typed
///    in: a lowercase letter whose single uppercase form is confusable with
///    an ASCII capital reads as that letter in lowercase (Cyrillic `к`:
///    `К` → `K`, so `к` → `k`; likewise `т`, `м`, `н`, `в`, Greek `κ`, `τ`,
///    `η`, `μ`). Then every confusables class (a prototype and the sources
///    mapped to it) whose members agree on one ASCII reading takes it as a
///    whole: `ĸ` (LATIN SMALL LETTER KRA), the prototype of `к`, `κ` and
///    `ᴋ`, reads `k`; `ᴛ`, the prototype of `т` and `τ`, reads `t`.
/// 4. `typographic_supplement.txt`: the few letters (`п`, `ц`, `π`) whose
///    glyph reads as a Latin letter although no Unicode data says so.
///
/// Targets are then resolved transitively, so a mapping onto a character
/// that itself has an ASCII reading ends in ASCII.
fn build_fold_table() -> HashMap<char, Box<str>> {
    let mut table: HashMap<char, String> = HashMap::with_capacity(7_000);
    // Step 1.
    for (source, target) in parse_mapping(CONFUSABLES) {
        if source.is_ascii() {
            // ASCII sources (`m`, `0`, `1`, `I`, `|`) belong to the skeleton
            // step, never to the fold.
            continue;
        }
        let folded = strip_marks_lower(&target);
        if !folded.is_empty() {
            table.insert(source, folded);
        }
    }
    let reads_ascii = |t: &HashMap<char, String>, c: char| {
        t.get(&c)
            .is_some_and(|m| !m.is_empty() && m.chars().all(|x| x.is_ascii_alphanumeric()))
    };
    // Step 2.
    for (source, target) in parse_mapping(LATIN_SUPPLEMENT) {
        if !reads_ascii(&table, source) {
            table.insert(source, strip_marks_lower(&target));
        }
    }
    // Step 3a: case closure, from every capital confusable with an ASCII
    // capital to its lowercase form.
    let mut derived: HashMap<char, Vec<String>> = HashMap::new();
    for (&capital, reading) in &table {
        let mut lower = capital.to_lowercase();
        let (Some(small), None) = (lower.next(), lower.next()) else {
            continue;
        };
        let mut letters = reading.chars();
        let (Some(letter), None) = (letters.next(), letters.next()) else {
            continue;
        };
        if small != capital
            && !small.is_ascii()
            && capital.is_uppercase()
            && letter.is_ascii_lowercase()
            && !reads_ascii(&table, small)
        {
            derived.entry(small).or_default().push(letter.to_string());
        }
    }
    for (c, mut readings) in derived {
        readings.sort();
        readings.dedup();
        // Two capitals with one lowercase form (Ω ohm sign, Ω omega) must
        // agree, or the letter is left alone.
        if let [reading] = readings.as_slice() {
            table.insert(c, reading.clone());
        }
    }
    // Step 3b: confusables classes that agree on one ASCII reading.
    let mut classes: HashMap<char, Vec<char>> = HashMap::new();
    for (source, target) in parse_mapping(CONFUSABLES) {
        let mut chars = target.chars();
        if let (Some(prototype), None) = (chars.next(), chars.next())
            && !prototype.is_ascii()
            && !source.is_ascii()
        {
            classes.entry(prototype).or_default().push(source);
        }
    }
    for (prototype, mut members) in classes {
        members.push(prototype);
        let mut readings: Vec<String> = members
            .iter()
            .filter(|&&m| reads_ascii(&table, m))
            .map(|m| table[m].clone())
            .collect();
        readings.sort();
        readings.dedup();
        if let [reading] = readings.as_slice() {
            let reading = reading.clone();
            for member in members {
                if !reads_ascii(&table, member) {
                    table.insert(member, reading.clone());
                }
            }
        }
    }
    // Step 4.
    for (source, target) in parse_mapping(TYPOGRAPHIC) {
        if !reads_ascii(&table, source) {
            table.insert(source, target);
        }
    }
    // Transitive resolution: `п` → `π` → `n`.
    for _ in 0..3 {
        let snapshot = table.clone();
        for target in table.values_mut() {
            if target.is_ascii() {
                continue;
            }
            let resolved: String = target
                .chars()
                .map(|c| match snapshot.get(&c) {
                    Some(m) if !c.is_ascii() && m.is_ascii() => m.clone(),
                    _ => c.to_string(),
                })
                .collect();
            *target = resolved;
        }
    }
    table
        .into_iter()
        .map(|(c, t)| (c, t.into_boxed_str()))
        .collect()
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
    fn whole_script_letters_read_as_latin() {
        // Case readings: Cyrillic к т м (capitals К Т М are confusables of
        // K T M), Greek κ τ (η is a confusable of n already).
        assert_eq!(fold("\u{043a}"), "k");
        assert_eq!(fold("\u{0442}"), "t");
        assert_eq!(fold("\u{043c}"), "m");
        assert_eq!(fold("\u{03ba}\u{03c4}\u{03b7}"), "ktn");
        // Class readings: kra and small capitals K, T.
        assert_eq!(fold("\u{0138}\u{1d0b}\u{1d1b}"), "kkt");
        // Typographic supplement: п ц π ω.
        assert_eq!(fold("\u{043f}\u{0446}\u{03c0}\u{03c9}"), "nunw");
        // Whole words of my own: Cyrillic "кит" (whale) reads "kit",
        // "тема" reads "tema", Greek "τεκ" reads "tek".
        assert_eq!(fold("\u{043a}\u{0438}\u{0442}").chars().next(), Some('k'));
        assert_eq!(fold("\u{0442}\u{0435}\u{043c}\u{0430}"), "tema");
        assert_eq!(fold("\u{03c4}\u{03b5}\u{03ba}").chars().last(), Some('k'));
        // Every derived reading is plain lowercase ASCII.
        for c in [
            '\u{043a}', '\u{0442}', '\u{043c}', '\u{043d}', '\u{0432}', '\u{03ba}', '\u{03c4}',
        ] {
            let folded = fold(&c.to_string());
            assert!(
                folded.bytes().all(|b| b.is_ascii_lowercase()),
                "{c}: {folded}"
            );
        }
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
