//! The directory's error type.

use crate::change::RequestStatus;
use crate::model::VendorStatus;
use std::fmt;
use std::path::PathBuf;
use time::OffsetDateTime;

/// Why a vendor cannot be relied on right now. An answer for the callback
/// workflow, carried by [`DirectoryError::NotTrusted`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotTrustedReason {
    /// The vendor is suspended or offboarded.
    Status(VendorStatus),
    /// The periodic or personnel-change review is overdue.
    ReviewOverdue {
        /// When it was due.
        due: OffsetDateTime,
    },
    /// The vendor has no active contact with a phone number.
    NoActiveContact,
}

impl fmt::Display for NotTrustedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotTrustedReason::Status(s) => write!(f, "vendor status is {s:?}"),
            NotTrustedReason::ReviewOverdue { due } => write!(f, "review overdue since {due}"),
            NotTrustedReason::NoActiveContact => write!(f, "no active contact with a phone number"),
        }
    }
}

/// One problem in an import file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportIssue {
    /// Line number in the file (1-based), when known.
    pub line: Option<u64>,
    /// Record within the file, such as `vendors[2]`, for JSON input.
    pub record: Option<String>,
    /// The field (column) at fault, when one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ImportIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line, &self.record) {
            (Some(l), _) => write!(f, "line {l}")?,
            (None, Some(r)) => write!(f, "{r}")?,
            (None, None) => {}
        }
        match (&self.field, self.line.is_some() || self.record.is_some()) {
            (Some(field), true) => write!(f, ", field {field}: ")?,
            (Some(field), false) => write!(f, "field {field}: ")?,
            (None, true) => write!(f, ": ")?,
            (None, false) => {}
        }
        write!(f, "{}", self.message)
    }
}

fn list_issues(issues: &[ImportIssue]) -> String {
    const SHOWN: usize = 20;
    let mut out: Vec<String> = issues
        .iter()
        .take(SHOWN)
        .map(|i| format!("  {i}"))
        .collect();
    if issues.len() > SHOWN {
        out.push(format!("  ... and {} more", issues.len() - SHOWN));
    }
    out.join("\n")
}

/// Everything the directory refuses or fails at. Refusals change nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// A field value is malformed.
    #[error("invalid {field} {value:?}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An import file has problems; nothing was imported.
    #[error("import rejected, nothing changed ({} problem(s)):\n{}", issues.len(), list_issues(issues))]
    Import {
        /// Every problem found, in file order.
        issues: Vec<ImportIssue>,
    },
    /// A record that must exist does not.
    #[error("unknown {kind} {key:?}")]
    NotFound {
        /// Kind of record: "vendor", "contact", "staff ID", ...
        kind: &'static str,
        /// Its key.
        key: String,
    },
    /// A record with this key already exists.
    #[error("duplicate {kind} {key:?}: already in the directory")]
    Duplicate {
        /// Kind of record.
        kind: &'static str,
        /// The clashing key.
        key: String,
    },
    /// The acting identity is not an active person in the directory.
    #[error(
        "unknown actor {actor:?}: actors must be active IT staff or employees in the directory"
    )]
    UnknownActor {
        /// The identity given.
        actor: String,
    },
    /// The actor lacks the role for this act.
    #[error("{actor} may not {action}: {reason}")]
    Forbidden {
        /// Who tried.
        actor: String,
        /// What they tried.
        action: String,
        /// Which role it needs.
        reason: String,
    },
    /// The author of a change request tried to approve it.
    #[error(
        "change {request} cannot be approved by its own author {actor}: a second person must approve"
    )]
    SelfApproval {
        /// The request.
        request: i64,
        /// Its author.
        actor: String,
    },
    /// The change request was already decided.
    #[error("change {id} is {status}, not pending")]
    NotPending {
        /// The request.
        id: i64,
        /// Its status.
        status: RequestStatus,
    },
    /// Nothing to do: the input matches the directory.
    #[error("no changes: the input matches the directory")]
    NoChanges,
    /// A vendor cannot currently be relied on for verification.
    #[error("vendor {vendor} is not trusted: {reason}")]
    NotTrusted {
        /// The vendor.
        vendor: String,
        /// Why.
        reason: NotTrustedReason,
    },
    /// Bootstrapping is only possible until two security administrators exist.
    #[error("bootstrap refused: {reason}")]
    Bootstrap {
        /// Why.
        reason: String,
    },
    /// Other writers kept changing the directory; the operation was retried
    /// and then abandoned without effect.
    #[error("the directory changed concurrently {attempts} times; nothing was changed, try again")]
    Conflict {
        /// Attempts made.
        attempts: u32,
    },
    /// A snapshot file could not be read.
    #[error("directory snapshot {path}: {source}")]
    SnapshotIo {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A snapshot file is not a valid snapshot.
    #[error("directory snapshot {path}: line {line}, column {column}: {message}")]
    SnapshotFormat {
        /// The file.
        path: PathBuf,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The storage backend failed.
    #[error("directory storage: {message}")]
    Storage {
        /// The backend's description.
        message: String,
    },
}

impl DirectoryError {
    /// Shorthand for [`DirectoryError::Invalid`].
    pub(crate) fn invalid(field: &'static str, value: &str, reason: impl Into<String>) -> Self {
        DirectoryError::Invalid {
            field,
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}
