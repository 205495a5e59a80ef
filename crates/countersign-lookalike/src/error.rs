//! Errors from building a protected set. Checking a candidate never fails:
//! a name that is not a domain name is simply not a lookalike.

/// Why an identity could not be added to a [`crate::ProtectedSetBuilder`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookalikeError {
    /// The protected domain is not a valid domain name (empty label, a
    /// character UTS #46 rejects, ...).
    #[error("{input:?} is not a valid domain name")]
    InvalidDomain {
        /// The name as given.
        input: String,
    },
    /// The protected domain is a public suffix (`co.uk`, `github.io`), which
    /// no single organisation owns.
    #[error("{input:?} is a public suffix, not a registrable domain")]
    NotRegistrable {
        /// The name as given.
        input: String,
    },
    /// The brand name has too few letters or digits to be recognised in a
    /// domain name without matching everything.
    #[error("brand {input:?} needs at least {min} letters or digits")]
    BrandTooShort {
        /// The brand as given.
        input: String,
        /// The minimum number of letters or digits.
        min: usize,
    },
}
