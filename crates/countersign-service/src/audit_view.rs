//! The audit log as security administrators read it in the console:
//! search, the chain's state (intact, or where it breaks), export.

use crate::{Principal, ServiceError, Services, event};
use countersign_accounts::Role;
use countersign_audit::AuditEntry;
use serde_json::json;

/// A search of the log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Actions starting with this (e.g. `case.`), or empty.
    pub action: String,
    /// This actor exactly, or empty.
    pub actor: String,
    /// This subject exactly (e.g. `case:c_...`), or empty.
    pub subject: String,
    /// Entries before this sequence number (the previous page's `next`).
    pub before: Option<u64>,
}

/// One page of the search, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page.
    pub next: Option<u64>,
}

/// The chain's state.
#[derive(Debug, Clone)]
pub enum ChainState {
    /// Every entry links and every checkpoint verifies.
    Intact {
        /// Entries walked.
        entries: u64,
        /// Checkpoints verified.
        checkpoints: u64,
    },
    /// The first breach, in words.
    Broken(String),
    /// This server has no key to verify with.
    NoKey,
}

fn bounded(field: &str, text: &str) -> Result<Option<String>, ServiceError> {
    let t = text.trim();
    if t.len() > 200 {
        return Err(ServiceError::invalid(field, "at most 200 characters"));
    }
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

impl Services {
    /// Searches the log (administrators), 100 entries a page.
    pub async fn audit_search(
        &self,
        p: &Principal,
        query: &AuditQuery,
    ) -> Result<AuditPage, ServiceError> {
        p.require(&[Role::SecurityAdmin])?;
        let (action, actor, subject) = (
            bounded("action", &query.action)?,
            bounded("actor", &query.actor)?,
            bounded("subject", &query.subject)?,
        );
        let mut entries = self
            .inner
            .store
            .audit_search(
                action.as_deref(),
                actor.as_deref(),
                subject.as_deref(),
                query.before,
                101,
            )
            .await?;
        let next = if entries.len() > 100 {
            entries.truncate(100);
            entries.last().map(|e| e.seq)
        } else {
            None
        };
        Ok(AuditPage { entries, next })
    }

    /// Walks the whole chain (administrators); the check is itself audited.
    pub async fn audit_chain(&self, p: &Principal) -> Result<ChainState, ServiceError> {
        p.require(&[Role::SecurityAdmin])?;
        let store = &self.inner.store;
        let Some(key) = store.verifying_key() else {
            return Ok(ChainState::NoKey);
        };
        let state = match store.verify_audit(key).await? {
            Ok(report) => ChainState::Intact {
                entries: report.entries,
                checkpoints: report.checkpoints,
            },
            Err(breach) => ChainState::Broken(breach.to_string()),
        };
        self.audit(vec![event(
            self.now(),
            &p.actor(),
            "audit.verified",
            "audit".into(),
            json!({ "intact": matches!(state, ChainState::Intact { .. }), "address": p.address }),
        )])
        .await?;
        Ok(state)
    }

    /// Every entry as JSON lines (administrators); the export is audited.
    pub async fn audit_export(&self, p: &Principal) -> Result<Vec<u8>, ServiceError> {
        p.require(&[Role::SecurityAdmin])?;
        let mut out = Vec::new();
        let n = self.inner.store.export_audit(&mut out).await?;
        self.audit(vec![event(
            self.now(),
            &p.actor(),
            "audit.exported",
            "audit".into(),
            json!({ "entries": n, "address": p.address }),
        )])
        .await?;
        Ok(out)
    }
}
