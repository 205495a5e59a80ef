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
//! `{a|b|c}` expands, as text, into one pattern per alternative (an
//! alternative may be empty or contain spaces; groups do not nest; at most
//! 4096 expansions per pattern): `{send|give} me {the|your} code`.
//!
//! Only one piece of a wildcard pattern, its rarest (longest, and never a
//! common word such as "to" or "password"), goes into the automaton; the
//! other pieces are looked for in the few words before and after each of
//! its matches. A page full of "password" therefore costs one automaton
//! match per occurrence of the anchor, not bookkeeping for every piece.
//!
//! A guard is a benign phrase ("do not share your password with anyone")
//! that switches off findings of the listed categories overlapping it or
//! following it in the same sentence. Guards live in the same automaton, so
//! they cost nothing extra.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
use memchr::memmem;
use serde::Deserialize;
use toml::Spanned;

use std::sync::{Arc, OnceLock};

use crate::category::RiskCategory;
use crate::error::RulebookError;
use crate::lexicon::Lexicon;
use crate::normalize::{SEGMENT_SEPARATOR, fold, is_word_char};
use crate::recognise::Recogniser;

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
    /// The grammar of requests and lures over the shipped lexicon; shared,
    /// it is built once.
    recogniser: Arc<Recogniser>,
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
            recogniser: default_recogniser(),
        })
    }

    /// The grammar of requests and lures that runs beside the phrases.
    pub(crate) fn recogniser(&self) -> &Recogniser {
        &self.recogniser
    }

    /// Where the rulebook came from, as given to [`Rulebook::from_toml`].
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// An upper bound, in bytes, on the text one match covers, including
    /// the characters its boundary checks read: a range of text this much
    /// longer on both sides than a region finds every match overlapping it.
    pub(crate) fn max_span(&self) -> usize {
        self.matcher.max_span
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
    #[cfg(test)]
    pub(crate) fn scan(&self, buffer: &str) -> Vec<RuleHit> {
        let whole = 0..buffer.len();
        self.scan_ranges(buffer, std::slice::from_ref(&whole))
    }

    /// Like [`Rulebook::scan`], but the automaton only runs over `ranges`
    /// (sorted, disjoint): a match is found when the rarest piece of its
    /// pattern (its anchor) lies inside a range. The words around an anchor
    /// and the guards' sentences are still read from the whole buffer.
    pub(crate) fn scan_ranges(&self, buffer: &str, ranges: &[Range<usize>]) -> Vec<RuleHit> {
        self.matcher.scan(buffer, ranges, &self.guards, &self.rules)
    }
}

/// The recogniser over the shipped lexicon, built once per process (the
/// lexicon is compiled in and checked by this crate's tests).
fn default_recogniser() -> Arc<Recogniser> {
    static SHARED: OnceLock<Arc<Recogniser>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            Arc::new(Recogniser::new(
                Lexicon::default_lexicon().expect("the shipped lexicon is valid"),
            ))
        })
        .clone()
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
    /// The piece the automaton looks for; the others are verified in the
    /// few words around each of its matches.
    anchor: usize,
}

/// The most patterns one written pattern may expand to through `{a|b}`
/// alternatives.
const MAX_EXPANSIONS: usize = 4096;

/// Words too common to anchor a wildcard pattern on: every message has
/// them, so the automaton would report them all the time.
const COMMON_WORDS: &[&str] = &[
    "a",
    "access",
    "account",
    "add",
    "and",
    "change",
    "code",
    "contrasena",
    "de",
    "des",
    "die",
    "el",
    "en",
    "for",
    "from",
    "give",
    "ihr",
    "ihre",
    "in",
    "install",
    "kennwort",
    "la",
    "le",
    "les",
    "los",
    "me",
    "mot de passe",
    "my",
    "new",
    "of",
    "on",
    "open",
    "our",
    "password",
    "passwort",
    "please",
    "reset",
    "run",
    "send",
    "sie",
    "su",
    "sus",
    "the",
    "this",
    "to",
    "update",
    "us",
    "votre",
    "vos",
    "we",
    "with",
    "you",
    "your",
];

/// How good `literal` is as an anchor: longer is rarer, common words are
/// the worst.
fn anchor_score(literal: &str) -> usize {
    if COMMON_WORDS.contains(&literal) {
        0
    } else {
        1 + literal.len()
    }
}

/// Expands `{a|b|c}` alternatives into every combination, in order. An
/// alternative may be empty (`{|please }install`); groups do not nest.
fn expand_alternatives(pattern: &str) -> Result<Vec<String>, &'static str> {
    let mut out = vec![String::new()];
    let mut rest = pattern;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("a `}` without its `{`");
        }
        let close = rest[open + 1..]
            .find(['{', '}'])
            .map(|c| open + 1 + c)
            .filter(|&c| rest.as_bytes()[c] == b'}')
            .ok_or("a `{` must be closed by `}` before the next `{`")?;
        let prefix = &rest[..open];
        let options: Vec<&str> = rest[open + 1..close].split('|').collect();
        if out.len() * options.len() > MAX_EXPANSIONS {
            return Err("the alternatives expand to more than 4096 patterns");
        }
        out = out
            .iter()
            .flat_map(|head| options.iter().map(move |o| format!("{head}{prefix}{o}")))
            .collect();
        rest = &rest[close + 1..];
    }
    for head in &mut out {
        head.push_str(rest);
    }
    Ok(out)
}

#[derive(Default)]
struct MatcherBuilder {
    literals: Vec<String>,
    literal_ids: HashMap<String, u32>,
    patterns: Vec<CompiledPattern>,
}

impl MatcherBuilder {
    fn add(&mut self, owner: Owner, index: usize, pattern: &str) -> Result<(), &'static str> {
        for expanded in expand_alternatives(pattern)? {
            self.add_one(owner, index, &expanded)?;
        }
        Ok(())
    }

    fn add_one(&mut self, owner: Owner, index: usize, pattern: &str) -> Result<(), &'static str> {
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
        // The rarest piece anchors the pattern; ties go to the first.
        let mut anchor = 0;
        for (i, piece) in pieces.iter().enumerate() {
            let score = |p: &Piece| anchor_score(&self.literals[p.literal as usize]);
            if score(piece) > score(&pieces[anchor]) {
                anchor = i;
            }
        }
        self.patterns.push(CompiledPattern {
            owner,
            index,
            pieces,
            anchor,
        });
        Ok(())
    }

    fn build(self) -> Result<Matcher, aho_corasick::BuildError> {
        // Only anchors go into the automaton: the other pieces of a wildcard
        // pattern are looked for next to an anchor match, so a common word
        // such as "to" or "password" does not turn into thousands of matches
        // per message.
        let mut automaton_ids: HashMap<u32, usize> = HashMap::new();
        let mut anchors: Vec<&str> = Vec::new();
        let mut users: Vec<Vec<u32>> = Vec::new();
        for (p, pattern) in self.patterns.iter().enumerate() {
            let literal = pattern.pieces[pattern.anchor].literal;
            let id = *automaton_ids.entry(literal).or_insert_with(|| {
                anchors.push(&self.literals[literal as usize]);
                users.push(Vec::new());
                anchors.len() - 1
            });
            users[id].push(p as u32);
        }
        // A full DFA: a few MiB for the default phrases, and the fastest
        // overlapping search, which is what every message pays for. It is
        // walked by hand (see `match_states`), so it needs no anchored start
        // state and no prefilter.
        let automaton = DFA::builder()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&anchors)?;
        let finders = self
            .literals
            .iter()
            .map(|l| memmem::Finder::new(l.as_bytes()).into_owned())
            .collect();
        // The longest text one match can cover: its literals and the widest
        // gaps the verification accepts, plus the characters around it that
        // the boundary checks read.
        let max_span = self
            .patterns
            .iter()
            .map(|p| {
                p.pieces
                    .iter()
                    .enumerate()
                    .map(|(i, piece)| {
                        let gap = if i == 0 {
                            0
                        } else {
                            (piece.max_gap + 1) * MAX_GAP_WORD_BYTES
                        };
                        self.literals[piece.literal as usize].len() + gap
                    })
                    .sum::<usize>()
            })
            .max()
            .unwrap_or(0)
            + 8;
        Ok(Matcher {
            automaton,
            users,
            finders,
            patterns: self.patterns,
            max_span,
        })
    }
}

#[derive(Debug, Clone)]
struct Matcher {
    automaton: DFA,
    /// For each automaton pattern, the patterns anchored on it.
    users: Vec<Vec<u32>>,
    /// For each literal, its finder, to verify the pieces around an anchor
    /// (backwards with `rfind_short`).
    finders: Vec<memmem::Finder<'static>>,
    patterns: Vec<CompiledPattern>,
    /// An upper bound, in bytes, on the text a match (with the characters
    /// its boundary checks read) covers.
    max_span: usize,
}

impl Matcher {
    /// Every rule match in `buffer` that no guard cancels. The automaton
    /// runs over `ranges` only (in order, not overlapping); the pieces
    /// around an anchor and the guards' sentences are read from the whole
    /// buffer.
    fn scan(
        &self,
        buffer: &str,
        ranges: &[Range<usize>],
        guards: &[Guard],
        rules: &[Rule],
    ) -> Vec<RuleHit> {
        // Complete pattern matches: (pattern, start, end).
        let mut complete: Vec<(u32, usize, usize)> = Vec::new();
        let dfa = &self.automaton;
        let bytes = buffer.as_bytes();
        let mut states = Vec::new();
        for range in ranges {
            let Some(haystack) = bytes.get(range.clone()) else {
                continue;
            };
            states.clear();
            match_states(dfa, haystack, &mut states);
            for &(after, sid) in &states {
                let end = range.start + after;
                for index in 0..dfa.match_len(sid) {
                    let anchor = dfa.match_pattern(sid, index);
                    let start = end - dfa.pattern_len(anchor);
                    self.verify(buffer, anchor.as_usize(), start, end, &mut complete);
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

    /// Checks the patterns anchored on automaton pattern `anchor`, which
    /// matched at `start..end`, and records the complete matches.
    fn verify(
        &self,
        buffer: &str,
        anchor: usize,
        start: usize,
        end: usize,
        complete: &mut Vec<(u32, usize, usize)>,
    ) {
        for &p in &self.users[anchor] {
            let pattern = &self.patterns[p as usize];
            let a = pattern.anchor;
            if !boundaries_ok(buffer, start, end, pattern.pieces[a]) {
                continue;
            }
            if pattern.pieces.len() == 1 {
                complete.push((p, start, end));
                continue;
            }
            let Some(first) = self.extend_back(buffer, pattern, a, start) else {
                continue;
            };
            if let Some(last) = self.extend_forward(buffer, pattern, a, end) {
                complete.push((p, first, last));
            }
        }
    }

    /// Matches pieces `i + 1..` of `pattern` after `end` (where piece `i`
    /// ended); returns the end of the last piece. The nearest fitting match
    /// of each piece is tried first, then the others in the window, so a
    /// near match that leads nowhere does not hide a farther one that does.
    fn extend_forward(
        &self,
        buffer: &str,
        pattern: &CompiledPattern,
        i: usize,
        end: usize,
    ) -> Option<usize> {
        let Some(&piece) = pattern.pieces.get(i + 1) else {
            return Some(end);
        };
        let previous = pattern.pieces[i];
        let literal_len = self.finders[piece.literal as usize].needle().len();
        // A gap of a few words is short; bounding it in bytes keeps a page
        // full of one word from making this quadratic.
        let limit =
            (end + (piece.max_gap + 1) * MAX_GAP_WORD_BYTES + literal_len).min(buffer.len());
        let window = &buffer.as_bytes()[end..limit];
        for offset in self.finders[piece.literal as usize].find_iter(window) {
            let (s, e) = (end + offset, end + offset + literal_len);
            if boundaries_ok(buffer, s, e, piece)
                && gap_ok(buffer, previous, piece, end, s)
                && let Some(last) = self.extend_forward(buffer, pattern, i + 1, e)
            {
                return Some(last);
            }
        }
        None
    }

    /// Matches pieces `..i` of `pattern` before `start` (where piece `i`
    /// starts), nearest first; returns the start of the first piece.
    fn extend_back(
        &self,
        buffer: &str,
        pattern: &CompiledPattern,
        i: usize,
        start: usize,
    ) -> Option<usize> {
        if i == 0 {
            return Some(start);
        }
        let piece = pattern.pieces[i - 1];
        let next = pattern.pieces[i];
        let needle = self.finders[piece.literal as usize].needle();
        let literal_len = needle.len();
        let from = start.saturating_sub((next.max_gap + 1) * MAX_GAP_WORD_BYTES + literal_len);
        let window = &buffer.as_bytes()[from..start];
        // The occurrences `memmem::rfind_iter` yields (non-overlapping, from
        // the end): the window is a few hundred bytes, too short for a
        // substring searcher to pay off.
        let mut before = window.len();
        while let Some(offset) = rfind_short(&window[..before], needle) {
            before = offset;
            let (s, e) = (from + offset, from + offset + literal_len);
            if boundaries_ok(buffer, s, e, piece)
                && gap_ok(buffer, piece, next, e, start)
                && let Some(first) = self.extend_back(buffer, pattern, i - 1, s)
            {
                return Some(first);
            }
        }
        None
    }
}

/// The start of the last occurrence of `needle` in `haystack`, as
/// `memmem::rfind` finds it (an empty needle occurs at the end).
fn rfind_short(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(haystack.len());
    };
    let mut end = (haystack.len() + 1).checked_sub(needle.len())?;
    while let Some(p) = memchr::memrchr(first, &haystack[..end]) {
        if haystack[p + 1..p + needle.len()] == *rest {
            return Some(p);
        }
        end = p;
    }
    None
}

/// Below this many bytes a haystack is walked in one piece.
const MIN_LANE_BYTES: usize = 64;

/// Every match state the unanchored `dfa` reaches on `haystack`, walked from
/// its start, as (end of the match, state), in haystack order: the
/// overlapping search of `AhoCorasick::find_overlapping_iter`, whose matches
/// at one end are those of the state, in its order.
///
/// A long haystack is cut into four pieces walked in lockstep: one walk is a
/// chain of dependent table loads, four are independent and overlap. Each
/// piece but the first starts its walk `max_pattern_len` bytes early and
/// reports only what ends inside it. That is exact: the state of an
/// Aho-Corasick automaton is the longest suffix of the text read that is a
/// prefix of a pattern, never longer than the longest pattern, so once a walk
/// has read that many bytes its state is the one a walk from the start of the
/// haystack has at the same position.
fn match_states(dfa: &DFA, haystack: &[u8], out: &mut Vec<(usize, StateID)>) {
    // Unanchored, this cannot fail.
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let len = haystack.len();
    if len < 4 * MIN_LANE_BYTES {
        walk(dfa, haystack, 0, 0, start, out);
        return;
    }
    let warm = dfa.max_pattern_len();
    let piece = len / 4;
    // Piece j reports the match ends in (bounds[j], bounds[j + 1]] and walks
    // from from[j].
    let bounds = [0, piece, 2 * piece, 3 * piece, len];
    let from = [
        0,
        bounds[1].saturating_sub(warm),
        bounds[2].saturating_sub(warm),
        bounds[3].saturating_sub(warm),
    ];
    let mut found: [Vec<(usize, StateID)>; 4] = Default::default();
    let mut sids = [start; 4];
    let steps = lockstep(dfa, haystack, from, bounds, &mut sids, &mut found);
    for j in 0..4 {
        let rest = &haystack[..bounds[j + 1]];
        walk(
            dfa,
            rest,
            from[j] + steps,
            bounds[j],
            sids[j],
            &mut found[j],
        );
    }
    for f in &found {
        out.extend_from_slice(f);
    }
}

/// Walks `dfa` from state `sid` at `at` to the end of `haystack`, recording
/// the match states reached whose match ends after `report_after`.
#[inline(never)]
fn walk(
    dfa: &DFA,
    haystack: &[u8],
    at: usize,
    report_after: usize,
    mut sid: StateID,
    out: &mut Vec<(usize, StateID)>,
) {
    let Some(rest) = haystack.get(at..) else {
        return;
    };
    for (i, &byte) in rest.iter().enumerate() {
        sid = dfa.next_state(Anchored::No, sid, byte);
        if dfa.is_special(sid) && dfa.is_match(sid) && at + i + 1 > report_after {
            out.push((at + i + 1, sid));
        }
    }
}

/// Walks the four pieces of [`match_states`] in lockstep for as many bytes
/// as the shortest has (the first); returns that count and leaves each
/// walk's state in `sids`.
#[inline(never)]
fn lockstep(
    dfa: &DFA,
    haystack: &[u8],
    from: [usize; 4],
    bounds: [usize; 5],
    sids: &mut [StateID; 4],
    found: &mut [Vec<(usize, StateID)>; 4],
) -> usize {
    let steps = bounds[1] - from[0];
    let lane = |j: usize| &haystack[from[j]..from[j] + steps];
    let lanes = lane(0).iter().zip(lane(1)).zip(lane(2)).zip(lane(3));
    let mut s = *sids;
    for (k, (((&b0, &b1), &b2), &b3)) in lanes.enumerate() {
        let mut special = false;
        for (sid, byte) in s.iter_mut().zip([b0, b1, b2, b3]) {
            *sid = dfa.next_state(Anchored::No, *sid, byte);
            special |= dfa.is_special(*sid);
        }
        if special {
            for j in 0..4 {
                let end = from[j] + k + 1;
                if dfa.is_match(s[j]) && end > bounds[j] {
                    found[j].push((end, s[j]));
                }
            }
        }
    }
    *sids = s;
    steps
}

fn boundaries_ok(buffer: &str, start: usize, end: usize, piece: Piece) -> bool {
    // Pieces and buffers are valid UTF-8, so a literal's match starts and
    // ends on character boundaries; `get` keeps that an assumption, not a
    // panic.
    if piece.left
        && buffer
            .get(..start)
            .and_then(|b| b.chars().next_back())
            .is_some_and(is_word_char)
    {
        return false;
    }
    if piece.right
        && buffer.get(end..).is_some_and(|after| {
            after.chars().next().is_some_and(is_word_char) || negating_contraction(after)
        })
    {
        return false;
    }
    true
}

/// Whether `after` opens with the "'t" that makes "won", "can" and "ain"
/// the negations "won't", "can't", "ain't": "you won't" is no "you won".
fn negating_contraction(after: &str) -> bool {
    after
        .strip_prefix("'t")
        .is_some_and(|rest| !rest.chars().next().is_some_and(is_word_char))
}

/// Whether the text between a match of `previous` ending at `end` and a
/// match of `piece` starting at `start` is at most `piece.max_gap` words in
/// one segment.
fn gap_ok(buffer: &str, previous: Piece, piece: Piece, end: usize, start: usize) -> bool {
    let Some(mut between) = buffer.get(end..start) else {
        return false;
    };
    if between.contains(SEGMENT_SEPARATOR) {
        return false;
    }
    // The rest of a word opened by `word*` (or the start of one closed by
    // `*word`) is not a gap word.
    if previous.open_end {
        between = between.trim_start_matches(is_word_char);
    }
    if piece.open_start {
        between = between.trim_end_matches(is_word_char);
    }
    between.split(' ').filter(|w| !w.is_empty()).count() <= piece.max_gap
}

/// The end of the sentence containing `from`: the next `.`, `!`, `?` or `;`
/// followed by a space, or the end of the segment.
pub(crate) fn sentence_end(buffer: &str, from: usize) -> usize {
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

/// Where the sentence holding `at` starts, or the one `sentences - 1`
/// before it, not before `floor` (the mirror of [`sentence_end`]).
pub(crate) fn sentence_start(buffer: &str, floor: usize, at: usize, sentences: usize) -> usize {
    let bytes = buffer.as_bytes();
    let mut i = at.min(bytes.len());
    let mut left = sentences;
    while i > floor {
        let ends_before = match bytes[i - 1] {
            1 => true,
            b' ' if i >= 2 => matches!(bytes[i - 2], b'.' | b'!' | b'?' | b';' | b':') && i < at,
            _ => false,
        };
        if ends_before {
            left -= 1;
            if left == 0 {
                break;
            }
        }
        i -= 1;
    }
    // It stops after an ASCII byte or at `floor`: a character boundary.
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold;

    #[test]
    fn the_lockstep_walk_finds_what_the_overlapping_search_finds() {
        // Every anchor of the default rulebook, packed tightly (so that the
        // piece bounds fall inside matches) and spread over long filler.
        let rules = Rulebook::default_rules();
        let dfa = &rules.matcher.automaton;
        let mut phrases = String::new();
        for pattern in &rules.matcher.patterns {
            let literal = pattern.pieces[pattern.anchor].literal as usize;
            let needle = rules.matcher.finders[literal].needle();
            phrases.push_str(std::str::from_utf8(needle).unwrap());
            phrases.push(if phrases.len().is_multiple_of(3) {
                ' '
            } else {
                'x'
            });
        }
        // The longest anchor, back to back: with every cut, one of its
        // matches ends at each offset just after a piece bound.
        let longest = rules
            .matcher
            .patterns
            .iter()
            .map(|p| rules.matcher.finders[p.pieces[p.anchor].literal as usize].needle())
            .max_by_key(|n| n.len())
            .map(|n| std::str::from_utf8(n).unwrap())
            .unwrap();
        assert_eq!(longest.len(), dfa.max_pattern_len());
        let dense = format!("{longest} ").repeat(8000 / longest.len());
        let filler = "we are still looking into the sync problem. ";
        for text in [
            dense,
            phrases.repeat(3),
            format!("{}{phrases}{}", filler.repeat(50), filler.repeat(120)),
            format!("{phrases}{}{phrases}", filler.repeat(7)),
        ] {
            for cut in 0..=longest.len() + 1 {
                if cut % 5 != 0 && !text.starts_with(longest) {
                    continue;
                }
                let haystack = &text.as_bytes()[cut..];
                let mut expected = Vec::new();
                let mut state = aho_corasick::automaton::OverlappingState::start();
                let input = aho_corasick::Input::new(haystack);
                loop {
                    dfa.try_find_overlapping(&input, &mut state).unwrap();
                    let Some(m) = state.get_match() else { break };
                    expected.push((m.pattern(), m.start(), m.end()));
                }
                let mut states = Vec::new();
                match_states(dfa, haystack, &mut states);
                let mut got = Vec::new();
                for &(end, sid) in &states {
                    for index in 0..dfa.match_len(sid) {
                        let pid = dfa.match_pattern(sid, index);
                        got.push((pid, end - dfa.pattern_len(pid), end));
                    }
                }
                assert!(haystack.len() >= 4 * MIN_LANE_BYTES);
                assert!(!expected.is_empty());
                assert_eq!(got, expected, "cut {cut}");
            }
        }
    }

    #[test]
    fn short_reverse_search_finds_what_memmem_finds() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let hay: Vec<u8> = (0..next() % 60)
                .map(|_| b"ab "[next() as usize % 3])
                .collect();
            let needle: Vec<u8> = (0..1 + next() % 4)
                .map(|_| b"ab "[next() as usize % 3])
                .collect();
            let expected: Vec<usize> = memmem::rfind_iter(&hay, &needle).collect();
            let mut got = Vec::new();
            let mut before = hay.len();
            while let Some(offset) = rfind_short(&hay[..before], &needle) {
                got.push(offset);
                before = offset;
            }
            assert_eq!(got, expected, "{hay:?} {needle:?}");
        }
    }

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
        // Scares are read by the grammar only (`recognise.rs`).
        for c in RiskCategory::ALL
            .into_iter()
            .filter(|&c| c != RiskCategory::Scare)
        {
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
        // A negating contraction is part of the word it ends.
        let b = book(
            r#"
[[rule]]
name = "w"
category = "reward_lure"
weight = 25
patterns = ["you won"]
"#,
        );
        assert_eq!(names(&b, "Congratulations, you won!"), ["w"]);
        assert!(names(&b, "you won't be able to log in").is_empty());
        assert!(names(&b, "you won\u{2019}t be able to log in").is_empty());
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
