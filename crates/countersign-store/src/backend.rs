//! Opening a database and dispatching to the backend that holds it.

use crate::error::{StoreError, q};
use crate::migrate::{Dialect, migrator};
use countersign_audit::InstallationKey;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Database, Postgres, Sqlite, Transaction};
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Which database engine a [`Store`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

/// SQLite admits one writer at a time. Left to SQLite, a writer that finds
/// the lock taken polls it with sleeps of 1 to 100 ms (its busy handler), so
/// under load two writers of this process (the verdict recorder and the
/// campaign correlator, say) lose milliseconds to each other per commit.
/// Writers of one store queue here instead, in arrival order, and each is
/// woken the moment the previous one ends. Other processes on the same file
/// still meet SQLite's own lock and busy timeout.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteGate(Arc<Mutex<()>>);

impl WriteGate {
    /// Waits for this store's writers to be done, and keeps others out
    /// until the guard is dropped.
    pub(crate) async fn hold(&self) -> Result<OwnedMutexGuard<()>, StoreError> {
        tokio::time::timeout(WRITE_GATE_TIMEOUT, self.0.clone().lock_owned())
            .await
            .map_err(|_| {
                q("begin")(sqlx::Error::Protocol(
                    "another writer of this store held it past the busy timeout".into(),
                ))
            })
    }
}

/// How long a writer waits for the gate: SQLite's busy timeout, so a writer
/// stuck behind another fails as it would have at SQLite's lock.
const WRITE_GATE_TIMEOUT: Duration = Duration::from_secs(30);

/// A write transaction, holding the store's [`WriteGate`] on SQLite until it
/// ends. Dereferences to the connection, as a `sqlx::Transaction` does.
pub(crate) struct WriteTx<DB: Database> {
    tx: Transaction<'static, DB>,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl<DB: Database> WriteTx<DB> {
    /// Commits, then lets the next writer in.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls back, then lets the next writer in.
    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl<DB: Database> Deref for WriteTx<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl<DB: Database> DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Runs the same body against whichever pool the store holds. The body is
/// compiled once per backend, so the SQL text and row mapping are shared
/// while the types stay native. `$begin` names a function opening a *write*
/// transaction for that backend.
macro_rules! with_db {
    ($db:expr, |$pool:ident, $begin:ident| $body:expr) => {
        match $db {
            $crate::backend::Db::Sqlite($pool, gate) => {
                #[allow(unused_variables)]
                let $begin = |pool: &sqlx::SqlitePool| {
                    $crate::backend::begin_sqlite(pool.clone(), gate.clone())
                };
                $body
            }
            $crate::backend::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $begin = $crate::backend::begin_pg;
                $body
            }
        }
    };
}
pub(crate) use with_db;

/// SQLite: the store's [`WriteGate`] first, then `BEGIN IMMEDIATE` takes the
/// write lock up front (waiting up to the busy timeout for other processes),
/// so a transaction never fails half-way when it turns from reading to
/// writing while another process writes.
pub(crate) async fn begin_sqlite(
    pool: SqlitePool,
    gate: WriteGate,
) -> Result<WriteTx<Sqlite>, StoreError> {
    let gate = gate.hold().await?;
    let tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(q("begin"))?;
    Ok(WriteTx {
        tx,
        _gate: Some(gate),
    })
}

/// PostgreSQL: READ COMMITTED; writers serialise on the rows they lock first
/// (`directory_meta`, `audit_head`).
pub(crate) async fn begin_pg(pool: &PgPool) -> Result<WriteTx<Postgres>, StoreError> {
    let tx = pool.begin().await.map_err(q("begin"))?;
    Ok(WriteTx { tx, _gate: None })
}

/// Page cache per SQLite connection: negative means KiB (8 MiB each).
const SQLITE_CACHE_KIB: i64 = -8192;

/// The part of a SQLite file read through a memory map (256 MiB).
const SQLITE_MMAP_BYTES: u64 = 256 << 20;

/// How often the SQLite write-ahead log is checkpointed in the background.
/// Each checkpoint ends with an fsync of the database file, and on ext4
/// that fsync commits the file system's journal, which stalls the writer's
/// appends to the log until it is done: the more the checkpoint copied,
/// the longer. Small, frequent copies keep each stall short (`serve` at
/// 1,000 messages/s, campaign correlation off: p99 about 60 ms with 500 ms,
/// 20 ms with 100 ms, 10 ms with 20 ms). On an idle log a checkpoint has
/// nothing to copy and costs one query.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(20);

/// Log pages after which a commit checkpoints by itself after all (SQLite's
/// default is 1,000; the background checkpointer keeps the log far below).
const WAL_BACKSTOP_PAGES: u32 = 20_000;

/// SQLite: copies the write-ahead log into the database from a background
/// task (PASSIVE: never waits for, nor blocks, a writer). With SQLite's
/// automatic checkpoints, every ~1,000 pages one unlucky commit did the
/// copy and the sync itself: that was the p99 of every write path (campaign
/// correlation: 15 ms p99 with them, 4.4 ms without). Stops when the pool
/// closes or every copy of the store is dropped.
fn spawn_checkpointer(pool: SqlitePool) -> Arc<()> {
    let alive = Arc::new(());
    let watch = Arc::downgrade(&alive);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            // The first copy is due one interval after opening, not at once:
            // a short command (one `dmarc ingest`) would otherwise start by
            // checkpointing an empty log, on a second connection opened for it.
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::now() + CHECKPOINT_INTERVAL,
                CHECKPOINT_INTERVAL,
            );
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if watch.strong_count() == 0 || pool.is_closed() {
                    return;
                }
                if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    if pool.is_closed() {
                        return;
                    }
                    tracing::warn!(%err, "background checkpoint failed; retried");
                }
            }
        });
    }
    alive
}

/// A connection pool to the Countersign database, migrated and ready.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
    pub(crate) signer: Option<Arc<InstallationKey>>,
    /// SQLite: keeps the background checkpointer running while any copy
    /// of this store lives.
    _checkpointer: Option<Arc<()>>,
    /// Sessions and API tokens as last read, shared by every copy.
    pub(crate) credentials: Arc<crate::accounts::CredentialCache>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("signs_checkpoints", &self.signer.is_some())
            .finish()
    }
}

/// Removes a password from a URL before it goes into a message.
pub(crate) fn redact(location: &str) -> String {
    match (location.find("://"), location.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &location[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:***{}", &location[..scheme + 3], &location[at..])
                }
                None => location.to_owned(),
            }
        }
        _ => location.to_owned(),
    }
}

impl Store {
    /// Opens `location`: a `postgres://` or `postgresql://` URL, or a SQLite
    /// file path (optionally prefixed `sqlite:`), created on first use. Applies
    /// pending migrations.
    pub async fn open(location: &str) -> Result<Self, StoreError> {
        let shown = redact(location);
        let connect = |source| StoreError::Connect {
            location: shown.clone(),
            source,
        };
        let db = if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(location).map_err(connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await
                .map_err(connect)?;
            migrator(Dialect::Postgres)
                .await
                .map_err(|source| StoreError::Migrate { source })?
                .run(&pool)
                .await
                .map_err(|source| StoreError::Migrate { source })?;
            Db::Postgres(pool)
        } else {
            let path = location
                .strip_prefix("sqlite://")
                .or_else(|| location.strip_prefix("sqlite:"))
                .unwrap_or(location);
            if path.is_empty() || path.contains("://") {
                return Err(StoreError::Location {
                    location: shown,
                    reason: "expected a SQLite file path or a postgres:// URL".into(),
                });
            }
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                // WAL lets readers proceed while one process writes, and the
                // busy timeout makes concurrent writers queue instead of fail.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                // Checkpoints run in the background (`spawn_checkpointer`);
                // this only bounds the log should that ever fall behind.
                .pragma("wal_autocheckpoint", WAL_BACKSTOP_PAGES.to_string())
                // Pages read through a memory map and a larger page cache
                // per connection, instead of a copy per read of a 2 MiB
                // cache's misses (SQLite's defaults): the correlator's
                // lookups and the queue's pages reread the same indexes.
                .pragma("cache_size", SQLITE_CACHE_KIB.to_string())
                .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string());
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await
                .map_err(connect)?;
            migrator(Dialect::Sqlite)
                .await
                .map_err(|source| StoreError::Migrate { source })?
                .run(&pool)
                .await
                .map_err(|source| StoreError::Migrate { source })?;
            Db::Sqlite(pool, WriteGate::default())
        };
        let checkpointer = match &db {
            Db::Sqlite(pool, _) => Some(spawn_checkpointer(pool.clone())),
            Db::Postgres(_) => None,
        };
        Ok(Self {
            db,
            signer: None,
            _checkpointer: checkpointer,
            credentials: Arc::default(),
        })
    }

    /// Lets appends sign a checkpoint every [`crate::CHECKPOINT_EVERY`]
    /// entries with the installation key.
    pub fn with_signer(mut self, key: Arc<InstallationKey>) -> Self {
        self.signer = Some(key);
        self
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs SQL statements unchecked, outside every rule of this crate. For
    /// maintenance and for tests that play a database administrator
    /// tampering with the audit log.
    pub async fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        with_db!(&self.db, |pool, _begin| {
            sqlx::raw_sql(sql)
                .execute(pool)
                .await
                .map_err(q("raw SQL"))?;
        });
        Ok(())
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        with_db!(&self.db, |pool, _begin| pool.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5/db"),
            "postgres://u:***@h:5/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("./countersign.db"), "./countersign.db");
    }
}
