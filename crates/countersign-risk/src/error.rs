//! Errors from loading a rulebook. Assessing a message never fails: a
//! message that cannot be parsed is described by `MessageContent::defects`.

/// Why a rulebook could not be loaded. Every variant names the rulebook
/// (`origin`, a file name or `"<default>"`) and the 1-based line the problem
/// is on, so an administrator can fix the file without guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RulebookError {
    /// The text is not valid TOML, or does not have the rulebook's shape
    /// (unknown key, unknown category, wrong type).
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        /// Where the rulebook came from.
        origin: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// A rule or guard has an empty name.
    #[error("{origin}:{line}: a rule or guard needs a non-empty name")]
    EmptyName {
        /// Where the rulebook came from.
        origin: String,
        /// 1-based line of the name.
        line: usize,
    },
    /// Two rules or guards share a name, so findings would be ambiguous.
    #[error("{origin}:{line}: the name {name:?} is used twice")]
    DuplicateName {
        /// Where the rulebook came from.
        origin: String,
        /// 1-based line of the second use.
        line: usize,
        /// The repeated name.
        name: String,
    },
    /// A weight outside 0–100.
    #[error("{origin}:{line}: rule {rule:?} has weight {weight}, expected 0 to 100")]
    InvalidWeight {
        /// Where the rulebook came from.
        origin: String,
        /// 1-based line of the weight.
        line: usize,
        /// The rule's name.
        rule: String,
        /// The weight as written.
        weight: i64,
    },
    /// A rule or guard without any pattern, which could never fire.
    #[error("{origin}:{line}: {rule:?} has no patterns")]
    NoPatterns {
        /// Where the rulebook came from.
        origin: String,
        /// 1-based line of the `patterns` key or of the rule.
        line: usize,
        /// The rule's or guard's name.
        rule: String,
    },
    /// A pattern that cannot be compiled (empty, only wildcards, a `*`
    /// inside a literal run).
    #[error("{origin}:{line}: pattern {pattern:?} of {rule:?}: {reason}")]
    InvalidPattern {
        /// Where the rulebook came from.
        origin: String,
        /// 1-based line of the pattern.
        line: usize,
        /// The rule's or guard's name.
        rule: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A language tag that is not a lowercase ISO 639-1 code.
    #[error(
        "{origin}:{line}: rule {rule:?} has language {language:?}, expected a code like \"en\""
    )]
    InvalidLanguage {
        /// Where the rulebook came from.
        origin: String,
        /// 1-based line of the tag.
        line: usize,
        /// The rule's name.
        rule: String,
        /// The tag as written.
        language: String,
    },
    /// A guard that suppresses no category would be dead weight.
    #[error("{origin}:{line}: guard {guard:?} suppresses no category")]
    EmptyGuard {
        /// Where the rulebook came from.
        origin: String,
        /// 1-based line of the guard's name.
        line: usize,
        /// The guard's name.
        guard: String,
    },
    /// The phrase automaton could not be built (it would be too large).
    #[error("{origin}: cannot build the phrase automaton: {message}")]
    Automaton {
        /// Where the rulebook came from.
        origin: String,
        /// The automaton builder's description.
        message: String,
    },
}
