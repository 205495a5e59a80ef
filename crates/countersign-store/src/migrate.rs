//! Versioned migrations, embedded in the binary so a deployed `countersign`
//! needs no files beside it. sqlx's migrator records them in
//! `_sqlx_migrations`, refuses edited ones by checksum, and on PostgreSQL
//! takes an advisory lock so that nodes starting together migrate once.

use futures_core::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;

/// (version, description, SQLite SQL, PostgreSQL SQL), oldest first.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "directory and audit",
        include_str!("../migrations/sqlite/0001_directory_and_audit.sql"),
        include_str!("../migrations/postgres/0001_directory_and_audit.sql"),
    ),
    (
        2,
        "serve: accounts, messages, cases, webhooks",
        include_str!("../migrations/sqlite/0002_serve.sql"),
        include_str!("../migrations/postgres/0002_serve.sql"),
    ),
    (
        3,
        "posture",
        include_str!("../migrations/sqlite/0003_posture.sql"),
        include_str!("../migrations/postgres/0003_posture.sql"),
    ),
    (
        4,
        "employees: photos, caller verifications, tickets, reports, campaigns",
        include_str!("../migrations/sqlite/0004_employees.sql"),
        include_str!("../migrations/postgres/0004_employees.sql"),
    ),
    (
        5,
        "smtp: envelope digests, relay queue",
        include_str!("../migrations/sqlite/0005_smtp.sql"),
        include_str!("../migrations/postgres/0005_smtp.sql"),
    ),
    (
        6,
        "correlation: campaign sizes, queued sightings",
        include_str!("../migrations/sqlite/0006_correlation.sql"),
        include_str!("../migrations/postgres/0006_correlation.sql"),
    ),
    (
        7,
        "console: indexes for the queue's pages",
        include_str!("../migrations/sqlite/0007_console.sql"),
        include_str!("../migrations/postgres/0007_console.sql"),
    ),
    (
        8,
        "console: messages per day and impersonated identity",
        include_str!("../migrations/sqlite/0008_impersonation.sql"),
        include_str!("../migrations/postgres/0008_impersonation.sql"),
    ),
    (
        9,
        "console: sign-in challenges between password and TOTP",
        include_str!("../migrations/sqlite/0009_signin_challenges.sql"),
        include_str!("../migrations/postgres/0009_signin_challenges.sql"),
    ),
    (
        10,
        "posture: sources by domain and first report",
        include_str!("../migrations/sqlite/0010_posture_sources_index.sql"),
        include_str!("../migrations/postgres/0010_posture_sources_index.sql"),
    ),
    (
        11,
        "correlation: a generation count for planning outside the write lock",
        include_str!("../migrations/sqlite/0011_correlation_generation.sql"),
        include_str!("../migrations/postgres/0011_correlation_generation.sql"),
    ),
    (
        12,
        "messages: drop the indexes the console's indexes cover",
        include_str!("../migrations/sqlite/0012_messages_redundant_indexes.sql"),
        include_str!("../migrations/postgres/0012_messages_redundant_indexes.sql"),
    ),
];

/// Which dialect to take from [`MIGRATIONS`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug)]
struct Embedded(Dialect);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sqlite, pg)| {
                    let sql = match self.0 {
                        Dialect::Sqlite => sqlite,
                        Dialect::Postgres => pg,
                    };
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The migrator for `dialect`.
pub(crate) async fn migrator(dialect: Dialect) -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded(dialect)).await
}
