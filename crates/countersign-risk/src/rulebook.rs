//! The rulebook: named, weighted phrase rules per category, and the one
//! automaton that finds all of their phrases in a single pass.
//!
//! A rulebook is TOML (see `data/rulebook.toml` for the shipped defaults):
//!
//! ```toml
//! [[rule]]
//! name = "credential_reset_en"
//! category = "credential_reset"
//! weight = 60
//! languages = ["en"]
//! patterns = ["reset my password", "reset * password", "send me your passw*"]
//!
//! [[guard]]
//! name = "never_share_password_en"
//! suppresses = ["credential_reset"]
//! patterns = ["never share your password"]
//! ```
//!
//! Patterns are matched case-insensitively on folded text (see
//! `normalize.rs`), on word boundaries. Two wildcards exist, both on word
//! granularity so that no regex engine is needed:
//!
//! - a lone `*` stands for up to [`MAX_GAP_WORDS`] words (zero included):
//!   `reset * password` matches "reset password", "reset my password" and
//!   "reset my windows password";
//! - `*` at the end or start of a word drops that word boundary:
//!   `passw*` matches "password", "passwort", "passwords".
//!
//! A guard is a benign phrase ("do not share your password with anyone")
//! that switches off findings of the listed categories overlapping it or
//! following it in the same sentence. Guards live in the same automaton, so
//! they cost nothing extra.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Deserialize;
use toml::Spanned;

use crate::category::RiskCategory;
use crate::error::RulebookError;
use crate::normalize::{SEGMENT_SEPARATOR, fold, is_word_char};

/// How many words a lone `*` in a pattern may stand for.
pub const MAX_GAP_WORDS: usize = 3;

/// The longest word, in bytes, a wildcard gap is measured with; longer
/// "words" are not prose.
const MAX_GAP_WORD_BYTES: usize = 48;

/// The name reported as the origin of the shipped default rulebook.
pub const DEFAULT_ORIGIN: &str = "<default rulebook>";

const DEFAULT_RULEBOOK: &str = include_str!("../data/rulebook.toml");

/// One rule: if any of its patterns occurs, the message earns a finding of
/// its category with its weight.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    /// Unique name, shown in findings.
    pub name: String,
    /// What a match means.
    pub category: RiskCategory,
    /// Contribution to the score, 0 to 100.
    pub weight: u32,
    /// The phrases as written in the rulebook.
    pub patterns: Vec<String>,
    /// ISO 639-1 codes of the languages the phrases are in; informational,
    /// every rule is matched against every message.
    pub languages: Vec<String>,
}

/// A benign phrase that cancels findings of some categories around it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Guard {
    /// Unique name (shared namespace with rules).
    pub name: String,
    /// The categories whose findings it cancels.
    pub suppresses: Vec<RiskCategory>,
    /// The phrases as written in the rulebook.
    pub patterns: Vec<String>,
    /// ISO 639-1 codes of the languages the phrases are in.
    pub languages: Vec<String>,
}

/// A loaded, compiled rulebook. Build it once and share it: compiling the
/// automaton is the expensive part, matching is cheap.
#[derive(Debug, Clone)]
pub struct Rulebook {
    origin: String,
    rules: Vec<Rule>,
    guards: Vec<Guard>,
    matcher: Matcher,
}

/// A match of a rule's pattern in a scanned buffer, after guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RuleHit {
    /// Index into [`Rulebook::rules`].
    pub rule: usize,
    /// Index into that rule's patterns.
    pub pattern: usize,
    /// Byte range of the match in the scanned buffer.
    pub start: usize,
    /// End of the match (exclusive).
    pub end: usize,
}

impl Rulebook {
    /// The rulebook shipped with Countersign (`data/rulebook.toml`, embedded
    /// at compile time). Compiles the automaton on every call; keep the
    /// result.
    pub fn default_rules() -> Rulebook {
        // The shipped file is checked by this crate's tests, so failing here
        // would be a build defect, not an input problem.
        Rulebook::from_toml(DEFAULT_RULEBOOK, DEFAULT_ORIGIN)
            .expect("the shipped rulebook is valid")
    }

    /// The text of the shipped default rulebook, for administrators who want
    /// to start their own from it.
    pub fn default_toml() -> &'static str {
        DEFAULT_RULEBOOK
    }

    /// Parses and compiles a rulebook. `origin` (usually the file name) is
    /// repeated in errors, which carry 1-based line numbers.
    pub fn from_toml(text: &str, origin: &str) -> Result<Rulebook, RulebookError> {
        let raw: RawRulebook = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            RulebookError::Parse {
                origin: origin.to_owned(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        let at = |span: std::ops::Range<usize>| line_col(text, span.start).0;
        let mut names = HashSet::new();
        let mut check_name = |name: &Spanned<String>| {
            let line = at(name.span());
            if name.get_ref().trim().is_empty() {
                return Err(RulebookError::EmptyName {
                    origin: origin.to_owned(),
                    line,
                });
            }
            if !names.insert(name.get_ref().clone()) {
                return Err(RulebookError::DuplicateName {
                    origin: origin.to_owned(),
                    line,
                    name: name.get_ref().clone(),
                });
            }
            Ok(())
        };
        let check_languages = |rule: &str, langs: &[Spanned<String>]| {
            for lang in langs {
                let l = lang.get_ref();
                if !(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase())) {
                    return Err(RulebookError::InvalidLanguage {
                        origin: origin.to_owned(),
                        line: at(lang.span()),
                        rule: rule.to_owned(),
                        language: l.clone(),
                    });
                }
            }
            Ok(())
        };

        let mut builder = MatcherBuilder::default();
        let mut rules = Vec::with_capacity(raw.rule.len());
        for (index, r) in raw.rule.into_iter().enumerate() {
            check_name(&r.name)?;
            let name = r.name.get_ref().clone();
            let weight = *r.weight.get_ref();
            if !(0..=100).contains(&weight) {
                return Err(RulebookError::InvalidWeight {
                    origin: origin.to_owned(),
                    line: at(r.weight.span()),
                    rule: name,
                    weight,
                });
            }
            check_languages(&name, &r.languages)?;
            let patterns = compile_patterns(
                &mut builder,
                Owner::Rule(index),
                &name,
                &r.patterns,
                origin,
                &at,
            )?;
            rules.push(Rule {
                name,
                category: *r.category.get_ref(),
                weight: weight as u32,
                patterns,
                languages: r.languages.into_iter().map(Spanned::into_inner).collect(),
            });
        }
        let mut guards = Vec::with_capacity(raw.guard.len());
        for (index, g) in raw.guard.into_iter().enumerate() {
            check_name(&g.name)?;
            let name = g.name.get_ref().clone();
            if g.suppresses.is_empty() {
                return Err(RulebookError::EmptyGuard {
                    origin: origin.to_owned(),
                    line: at(g.name.span()),
                    guard: name,
                });
            }
            check_languages(&name, &g.languages)?;
            let patterns = compile_patterns(
                &mut builder,
                Owner::Guard(index),
                &name,
                &g.patterns,
                origin,
                &at,
            )?;
            guards.push(Guard {
                name,
                suppresses: g.suppresses,
                patterns,
                languages: g.languages.into_iter().map(Spanned::into_inner).collect(),
            });
        }
        let matcher = builder.build().map_err(|e| RulebookError::Automaton {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Rulebook {
            origin: origin.to_owned(),
            rules,
            guards,
            matcher,
        })
    }

    /// Where the rulebook came from, as given to [`Rulebook::from_toml`].
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The guards, in file order.
    pub fn guards(&self) -> &[Guard] {
        &self.guards
    }

    /// Every rule match in `buffer` (folded text, segments separated by
    /// [`SEGMENT_SEPARATOR`]) that no guard cancels, in order of position.
    pub(crate) fn scan(&self, buffer: &str) -> Vec<RuleHit> {
        self.matcher.scan(buffer, &self.guards, &self.rules)
    }
}

impl Default for Rulebook {
    fn default() -> Self {
        Rulebook::default_rules()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRulebook {
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    guard: Vec<RawGuard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    category: Spanned<RiskCategory>,
    weight: Spanned<i64>,
    patterns: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    languages: Vec<Spanned<String>>,
    /// Free text for administrators; not used.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuard {
    name: Spanned<String>,
    suppresses: Vec<RiskCategory>,
    patterns: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    languages: Vec<Spanned<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn compile_patterns(
    builder: &mut MatcherBuilder,
    owner: Owner,
    name: &str,
    patterns: &Spanned<Vec<Spanned<String>>>,
    origin: &str,
    at: &dyn Fn(std::ops::Range<usize>) -> usize,
) -> Result<Vec<String>, RulebookError> {
    if patterns.get_ref().is_empty() {
        return Err(RulebookError::NoPatterns {
            origin: origin.to_owned(),
            line: at(patterns.span()),
            rule: name.to_owned(),
        });
    }
    let mut out = Vec::with_capacity(patterns.get_ref().len());
    for (index, p) in patterns.get_ref().iter().enumerate() {
        builder
            .add(owner, index, p.get_ref())
            .map_err(|reason| RulebookError::InvalidPattern {
                origin: origin.to_owned(),
                line: at(p.span()),
                rule: name.to_owned(),
                pattern: p.get_ref().clone(),
                reason,
            })?;
        out.push(p.get_ref().clone());
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Rule(usize),
    Guard(usize),
}

/// A literal run of a pattern, between wildcards.
#[derive(Debug, Clone, Copy)]
struct Piece {
    literal: u32,
    /// The character before the match must not be a word character.
    left: bool,
    /// The character after the match must not be a word character.
    right: bool,
    /// Written with a leading `*`: the match may start inside a word.
    open_start: bool,
    /// Written with a trailing `*`: the match may end inside a word.
    open_end: bool,
    /// How many words may separate this piece from the previous one.
    max_gap: usize,
}

#[derive(Debug, Clone)]
struct CompiledPattern {
    owner: Owner,
    index: usize,
    pieces: Vec<Piece>,
}

#[derive(Default)]
struct MatcherBuilder {
    literals: Vec<String>,
    literal_ids: HashMap<String, u32>,
    patterns: Vec<CompiledPattern>,
}

impl MatcherBuilder {
    fn add(&mut self, owner: Owner, index: usize, pattern: &str) -> Result<(), &'static str> {
        let folded = fold(pattern);
        if folded.is_empty() {
            return Err("the pattern is empty");
        }
        let mut pieces = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        let mut left = true;
        let mut gap = 0usize;
        let mut close = |current: &mut Vec<&str>,
                         left: bool,
                         right: bool,
                         gap: usize,
                         pieces: &mut Vec<Piece>| {
            let literal = current.join(" ");
            current.clear();
            let first = literal.chars().next().is_some_and(is_word_char);
            let last = literal.chars().next_back().is_some_and(is_word_char);
            let id = match self.literal_ids.get(&literal) {
                Some(&id) => id,
                None => {
                    let id = self.literals.len() as u32;
                    self.literal_ids.insert(literal.clone(), id);
                    self.literals.push(literal);
                    id
                }
            };
            pieces.push(Piece {
                literal: id,
                left: left && first,
                right: right && last,
                open_start: !left,
                open_end: !right,
                max_gap: gap,
            });
        };
        for token in folded.split(' ') {
            if token.chars().all(|c| c == '*') {
                if !current.is_empty() {
                    close(&mut current, left, true, gap, &mut pieces);
                    gap = 0;
                } else if pieces.is_empty() {
                    return Err("a lone * must stand between two words");
                }
                left = true;
                gap += MAX_GAP_WORDS * token.len();
                continue;
            }
            let (start_wild, rest) = match token.strip_prefix('*') {
                Some(rest) => (true, rest),
                None => (false, token),
            };
            let (end_wild, word) = match rest.strip_suffix('*') {
                Some(word) => (true, word),
                None => (false, rest),
            };
            if word.contains('*') {
                return Err("* may only stand alone or at the start or end of a word");
            }
            if start_wild {
                if !current.is_empty() {
                    close(&mut current, left, true, gap, &mut pieces);
                    gap = 0;
                }
                left = false;
            }
            current.push(word);
            if end_wild {
                close(&mut current, left, false, gap, &mut pieces);
                left = true;
                gap = 0;
            }
        }
        if current.is_empty() {
            if gap > 0 || pieces.is_empty() {
                return Err("a lone * must stand between two words");
            }
        } else {
            close(&mut current, left, true, gap, &mut pieces);
        }
        self.patterns.push(CompiledPattern {
            owner,
            index,
            pieces,
        });
        Ok(())
    }

    fn build(self) -> Result<Matcher, aho_corasick::BuildError> {
        // A full DFA: a few MiB for the default phrases, and the fastest
        // overlapping search, which is what every message pays for.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&self.literals)?;
        let mut users = vec![Vec::new(); self.literals.len()];
        for (p, pattern) in self.patterns.iter().enumerate() {
            for (i, piece) in pattern.pieces.iter().enumerate() {
                users[piece.literal as usize].push((p as u32, i as u32));
            }
        }
        Ok(Matcher {
            automaton,
            users,
            patterns: self.patterns,
        })
    }
}

#[derive(Debug, Clone)]
struct Matcher {
    automaton: AhoCorasick,
    /// For each literal, the (pattern, piece) pairs that use it.
    users: Vec<Vec<(u32, u32)>>,
    patterns: Vec<CompiledPattern>,
}

impl Matcher {
    fn scan(&self, buffer: &str, guards: &[Guard], rules: &[Rule]) -> Vec<RuleHit> {
        // Complete pattern matches: (pattern, start, end).
        let mut complete: Vec<(u32, usize, usize)> = Vec::new();
        // Piece matches of wildcard patterns: (pattern, piece, start, end).
        let mut partial: Vec<(u32, u32, usize, usize)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(buffer) {
            let (start, end) = (m.start(), m.end());
            for &(p, i) in &self.users[m.pattern().as_usize()] {
                let pattern = &self.patterns[p as usize];
                let piece = pattern.pieces[i as usize];
                if !boundaries_ok(buffer, start, end, piece) {
                    continue;
                }
                if pattern.pieces.len() == 1 {
                    complete.push((p, start, end));
                } else {
                    partial.push((p, i, start, end));
                }
            }
        }
        if !partial.is_empty() {
            partial.sort_unstable();
            let mut rest = &partial[..];
            while let Some(&(p, ..)) = rest.first() {
                let len = rest.iter().take_while(|o| o.0 == p).count();
                let (group, tail) = rest.split_at(len);
                rest = tail;
                if let Some((start, end)) = chain(buffer, &self.patterns[p as usize], group) {
                    complete.push((p, start, end));
                }
            }
        }

        // Guards cancel the categories they name from their start to the end
        // of their sentence.
        let mut cancelled: Vec<(usize, usize, &[RiskCategory])> = Vec::new();
        let mut hits = Vec::new();
        for &(p, start, end) in &complete {
            if let Owner::Guard(g) = self.patterns[p as usize].owner {
                cancelled.push((start, sentence_end(buffer, end), &guards[g].suppresses));
            }
        }
        for &(p, start, end) in &complete {
            let pattern = &self.patterns[p as usize];
            let Owner::Rule(r) = pattern.owner else {
                continue;
            };
            let category = rules[r].category;
            let is_cancelled = cancelled
                .iter()
                .any(|&(gs, ge, cats)| end > gs && start < ge && cats.contains(&category));
            if !is_cancelled {
                hits.push(RuleHit {
                    rule: r,
                    pattern: pattern.index,
                    start,
                    end,
                });
            }
        }
        hits.sort_unstable_by_key(|h| (h.start, h.rule));
        hits
    }
}

fn boundaries_ok(buffer: &str, start: usize, end: usize, piece: Piece) -> bool {
    if piece.left
        && buffer[..start]
            .chars()
            .next_back()
            .is_some_and(is_word_char)
    {
        return false;
    }
    if piece.right && buffer[end..].chars().next().is_some_and(is_word_char) {
        return false;
    }
    true
}

/// Finds the first chain of piece matches that completes `pattern`, each
/// piece after the previous one within its word gap and inside one segment.
/// `group` holds the pattern's piece matches sorted by piece then start.
fn chain(
    buffer: &str,
    pattern: &CompiledPattern,
    group: &[(u32, u32, usize, usize)],
) -> Option<(usize, usize)> {
    let piece_matches = |i: u32| group.iter().filter(move |o| o.1 == i).map(|o| (o.2, o.3));
    'first: for (start, first_end) in piece_matches(0) {
        let mut end = first_end;
        for (i, piece) in pattern.pieces.iter().enumerate().skip(1) {
            let previous = pattern.pieces[i - 1];
            // The earliest fitting match is the best: matches of one piece all
            // have the same length, so it also ends first.
            // A gap of a few words is short; bounding it in bytes keeps a
            // page full of "password" from making this quadratic.
            let limit = end + (piece.max_gap + 1) * MAX_GAP_WORD_BYTES;
            let next = piece_matches(i as u32)
                .take_while(|&(s, _)| s <= limit)
                .find(|&(s, _)| {
                    s >= end && {
                        let mut between = &buffer[end..s];
                        if between.contains(SEGMENT_SEPARATOR) {
                            return false;
                        }
                        // The rest of a word opened by `word*` (or the start of
                        // one closed by `*word`) is not a gap word.
                        if previous.open_end {
                            between = between.trim_start_matches(is_word_char);
                        }
                        if piece.open_start {
                            between = between.trim_end_matches(is_word_char);
                        }
                        between.split(' ').filter(|w| !w.is_empty()).count() <= piece.max_gap
                    }
                });
            match next {
                Some((_, e)) => end = e,
                None => continue 'first,
            }
        }
        return Some((start, end));
    }
    None
}

/// The end of the sentence containing `from`: the next `.`, `!`, `?` or `;`
/// followed by a space, or the end of the segment.
fn sentence_end(buffer: &str, from: usize) -> usize {
    let bytes = buffer.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            1 => return i,
            b'.' | b'!' | b'?' | b';'
                if matches!(bytes.get(i + 1), None | Some(b' ') | Some(1)) =>
            {
                return i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold;

    fn book(text: &str) -> Rulebook {
        Rulebook::from_toml(text, "test.toml").unwrap()
    }

    fn names(book: &Rulebook, text: &str) -> Vec<String> {
        let buffer = fold(text);
        let mut v: Vec<String> = book
            .scan(&buffer)
            .iter()
            .map(|h| book.rules()[h.rule].name.clone())
            .collect();
        v.dedup();
        v
    }

    #[test]
    fn the_default_rulebook_loads() {
        let book = Rulebook::default_rules();
        assert!(book.rules().len() >= 60, "{}", book.rules().len());
        for lang in ["en", "de", "fr", "es"] {
            assert!(
                book.rules()
                    .iter()
                    .any(|r| r.languages.iter().any(|l| l == lang)),
                "{lang}"
            );
        }
        for c in RiskCategory::ALL {
            assert!(
                book.rules().iter().any(|r| r.category == c),
                "no rule for {c}"
            );
        }
    }

    #[test]
    fn words_wildcards_and_boundaries() {
        let b = book(
            r#"
[[rule]]
name = "r"
category = "credential_reset"
weight = 50
patterns = ["reset * password", "passw* expired", "*desk id"]
"#,
        );
        assert_eq!(names(&b, "Please reset my Windows password"), ["r"]);
        assert_eq!(names(&b, "reset password"), ["r"]);
        assert!(names(&b, "reset one two three four password").is_empty());
        assert!(names(&b, "preset my password").is_empty());
        assert_eq!(names(&b, "your passwort expired"), ["r"]);
        assert_eq!(names(&b, "send your anydesk id"), ["r"]);
        assert!(names(&b, "anydesk idea").is_empty());
    }

    #[test]
    fn guards_cancel_in_their_sentence_only() {
        let b = book(
            r#"
[[rule]]
name = "r"
category = "credential_reset"
weight = 50
patterns = ["share your password"]

[[guard]]
name = "g"
suppresses = ["credential_reset"]
patterns = ["never"]
"#,
        );
        assert!(names(&b, "never share your password with anyone").is_empty());
        assert_eq!(names(&b, "never mind. share your password now"), ["r"]);
    }

    #[test]
    fn errors_carry_line_numbers() {
        let e = Rulebook::from_toml(
            "[[rule]]\nname = \"a\"\ncategory = \"nope\"\nweight = 1\npatterns = [\"x\"]\n",
            "f.toml",
        )
        .unwrap_err();
        assert!(matches!(e, RulebookError::Parse { line: 3, .. }), "{e}");
        assert!(e.to_string().starts_with("f.toml:3:"), "{e}");

        let e = Rulebook::from_toml(
            "[[rule]]\nname = \"a\"\ncategory = \"urgency\"\nweight = 101\npatterns = [\"x\"]\n",
            "f",
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                RulebookError::InvalidWeight {
                    line: 4,
                    weight: 101,
                    ..
                }
            ),
            "{e}"
        );

        let e = Rulebook::from_toml(
            "[[rule]]\nname = \"a\"\ncategory = \"urgency\"\nweight = 1\npatterns = [\n  \"ok\",\n  \"* bad\",\n]\n",
            "f",
        )
        .unwrap_err();
        assert!(
            matches!(e, RulebookError::InvalidPattern { line: 7, .. }),
            "{e}"
        );

        let e = Rulebook::from_toml(
            "[[rule]]\nname = \"a\"\ncategory = \"urgency\"\nweight = 1\npatterns = [\"x\"]\n[[rule]]\nname = \"a\"\ncategory = \"urgency\"\nweight = 1\npatterns = [\"y\"]\n",
            "f",
        )
        .unwrap_err();
        assert!(
            matches!(e, RulebookError::DuplicateName { line: 7, .. }),
            "{e}"
        );

        let e = Rulebook::from_toml(
            "[[rule]]\nname = \"a\"\ncategory = \"urgency\"\nweight = 1\npatterns = []\n",
            "f",
        )
        .unwrap_err();
        assert!(
            matches!(e, RulebookError::NoPatterns { line: 5, .. }),
            "{e}"
        );

        let e = Rulebook::from_toml("[[rule]]\nname = \"a\"\nkategory = \"urgency\"\n", "f")
            .unwrap_err();
        assert!(matches!(e, RulebookError::Parse { .. }), "{e}");

        let e = Rulebook::from_toml(
            "[[rule]]\nname = \"a\"\ncategory = \"urgency\"\nweight = 1\npatterns = [\"x\"]\nlanguages = [\"English\"]\n",
            "f",
        )
        .unwrap_err();
        assert!(
            matches!(e, RulebookError::InvalidLanguage { line: 6, .. }),
            "{e}"
        );

        for bad in ["*", "a * ", "p*ss", " "] {
            let text = format!(
                "[[rule]]\nname = \"a\"\ncategory = \"urgency\"\nweight = 1\npatterns = [{bad:?}]\n"
            );
            assert!(Rulebook::from_toml(&text, "f").is_err(), "{bad:?}");
        }
    }
}
