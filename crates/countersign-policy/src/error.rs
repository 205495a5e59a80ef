//! Why a policy file was refused.

/// A policy file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("{path}: {reason}")]
    Io {
        /// The path given.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// The file is not valid TOML or does not have the policy's shape.
    #[error("{file}:{line}: {reason}")]
    Syntax {
        /// The file name.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A rule is well-formed TOML but wrong (unknown signal, controls on a
    /// verdict that is not `hold`, duplicate name...).
    #[error("{file}:{line}: rule {rule:?}: {reason}")]
    Rule {
        /// The file name.
        file: String,
        /// 1-based line of the offending value.
        line: usize,
        /// The rule's name.
        rule: String,
        /// What is wrong.
        reason: String,
    },
}
