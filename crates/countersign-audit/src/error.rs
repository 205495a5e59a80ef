//! The audit crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while recording or checking the audit log.
///
/// A broken chain is not an error: it is the answer of a verification, a
/// [`crate::Breach`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The installation key file could not be read or created.
    #[error("audit key file {path}: {source}")]
    KeyIo {
        /// The key file.
        path: PathBuf,
        /// The underlying IO error.
        #[source]
        source: std::io::Error,
    },
    /// The installation key file exists but does not hold a usable key.
    #[error("audit key file {path}: {reason}")]
    KeyFormat {
        /// The key file.
        path: PathBuf,
        /// What is wrong with its contents.
        reason: String,
    },
    /// The key file can be read by other users, so the key may be known to
    /// someone else and the checkpoints it signs prove nothing.
    #[error(
        "audit key file {path} has mode {mode:o}; it must not be readable by group or others (chmod 600)"
    )]
    KeyPermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A public key given as text is not 32 bytes of base64.
    #[error("invalid Ed25519 public key: {reason}")]
    PublicKey {
        /// Why it was refused.
        reason: String,
    },
    /// The storage behind an [`crate::AuditSink`] failed.
    #[error("audit storage: {message}")]
    Storage {
        /// The backend's description of the failure.
        message: String,
    },
}
