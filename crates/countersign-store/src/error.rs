//! The store's error type.

/// Failures of the storage layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database location is not a SQLite path or a `postgres://` URL.
    #[error("invalid database location {location:?}: {reason}")]
    Location {
        /// What was given (password removed).
        location: String,
        /// Why it was refused.
        reason: String,
    },
    /// Could not open or connect to the database.
    #[error("cannot open database {location}: {source}")]
    Connect {
        /// The database (password removed).
        location: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Applying the schema migrations failed.
    #[error("database migration failed: {source}")]
    Migrate {
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("database error during {context}: {source}")]
    Query {
        /// What the store was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A stored value could not be decoded: the database holds something
    /// this version never writes.
    #[error("corrupt stored data in {table}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A record with the same unique key exists.
    #[error("{what} already exists")]
    Duplicate {
        /// What (e.g. `username dana`).
        what: String,
    },
    /// Writing an export failed.
    #[error("export failed: {source}")]
    Export {
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
}

impl From<StoreError> for countersign_directory::DirectoryError {
    fn from(e: StoreError) -> Self {
        countersign_directory::DirectoryError::Storage {
            message: error_chain(&e),
        }
    }
}

impl From<StoreError> for countersign_audit::AuditError {
    fn from(e: StoreError) -> Self {
        countersign_audit::AuditError::Storage {
            message: error_chain(&e),
        }
    }
}

/// The error with its causes, since the directory and audit error types keep
/// only a message.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

/// Maps a unique-key violation to [`StoreError::Duplicate`], anything else
/// to a query error with context.
pub(crate) fn dup(context: &'static str, what: String) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match &source {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate { what },
        _ => StoreError::Query { context, source },
    }
}

/// Shorthand for mapping a driver error with context.
pub(crate) fn q(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}
