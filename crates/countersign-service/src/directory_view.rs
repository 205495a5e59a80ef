//! This node's copy of the directory and the pipeline that judges with it.
//! Reloaded when the store's directory revision moves, so an approved
//! change reaches every node within the refresh interval, and a case
//! command always checks first (a callback must never use a number the
//! directory no longer trusts).

use countersign_directory::{Directory, DirectorySnapshot, SystemClock};
use countersign_pipeline::{Pipeline, Rules};
use countersign_store::{Store, StoreError};
use std::sync::{Arc, RwLock};

/// One consistent state: the snapshot, its revision, and the pipeline
/// whose engine protects exactly these identities.
pub struct Current {
    /// The directory revision this copy reflects.
    pub revision: i64,
    /// The live records.
    pub snapshot: DirectorySnapshot,
    /// The pipeline judging with them.
    pub pipeline: Pipeline,
}

/// The shared, reloadable view.
pub struct DirectoryView {
    store: Store,
    rules: Rules,
    base: Pipeline,
    current: RwLock<Arc<Current>>,
    reload: tokio::sync::Mutex<()>,
}

impl DirectoryView {
    pub(crate) async fn load(
        store: Store,
        rules: Rules,
        base: Pipeline,
    ) -> Result<Self, StoreError> {
        let current = build(&store, &rules, &base).await?;
        Ok(Self {
            store,
            rules,
            base,
            current: RwLock::new(Arc::new(current)),
            reload: tokio::sync::Mutex::new(()),
        })
    }

    /// The state now (no database access).
    pub fn current(&self) -> Arc<Current> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reloads if the store's revision moved; returns the fresh state.
    pub async fn refresh(&self) -> Result<Arc<Current>, StoreError> {
        let revision = self.store.directory_revision().await?;
        if self.current().revision == revision {
            return Ok(self.current());
        }
        let _one_at_a_time = self.reload.lock().await;
        if self.current().revision == revision {
            return Ok(self.current());
        }
        let fresh = Arc::new(build(&self.store, &self.rules, &self.base).await?);
        tracing::info!(revision = fresh.revision, "directory reloaded");
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        Ok(fresh)
    }
}

async fn build(store: &Store, rules: &Rules, base: &Pipeline) -> Result<Current, StoreError> {
    // Revision first: a change committed while loading makes the next
    // refresh reload again rather than be missed.
    let revision = store.directory_revision().await?;
    let snapshot = Directory::new(store, &SystemClock)
        .snapshot()
        .await
        .map_err(|e| StoreError::Corrupt {
            table: "directory",
            reason: e.to_string(),
        })?;
    let engine = rules.engine(Some(&snapshot), time::OffsetDateTime::now_utc());
    Ok(Current {
        revision,
        pipeline: base.with_engine(Arc::new(engine)),
        snapshot,
    })
}
