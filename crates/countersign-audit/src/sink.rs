//! The seam through which the rest of Countersign records audit events.

use crate::entry::{AuditEntry, AuditEvent};
use crate::error::AuditError;

/// Somewhere audit events are appended to the chain. Implementations must
/// serialise appenders so that concurrent writers (several processes on one
/// database) never fork the chain: each new entry links to the true latest.
#[async_trait::async_trait]
pub trait AuditSink: Send + Sync {
    /// Appends `events` in order, atomically, and returns the chained entries.
    async fn append(&self, events: Vec<AuditEvent>) -> Result<Vec<AuditEntry>, AuditError>;
}
