//! Shared plumbing for the database-backed verbs (`directory`, `audit`):
//! opening the store, finding the installation key, printing tables.

use anyhow::{Context, Result};
use countersign_audit::InstallationKey;
use countersign_store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the installation's audit key lives unless `--audit-key` says: next
/// to a SQLite database, else in the working directory. Never inside the
/// database, so a database administrator cannot use it to re-sign history.
pub fn default_key_path(db: &str) -> PathBuf {
    let is_pg = db.starts_with("postgres://") || db.starts_with("postgresql://");
    let dir = if is_pg {
        None
    } else {
        let path = db.strip_prefix("sqlite:").unwrap_or(db);
        Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
    };
    dir.unwrap_or_else(|| PathBuf::from("."))
        .join("countersign-audit.key")
}

/// A current-thread runtime is enough for a CLI verb and starts instantly.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Opens the store; with `key`, appends also sign periodic checkpoints.
pub async fn open(db: &str, key: Option<Arc<InstallationKey>>) -> Result<Store> {
    let store = Store::open(db)
        .await
        .with_context(|| format!("opening database {}", redact(db)))?;
    Ok(match key {
        Some(k) => store.with_signer(k),
        None => store,
    })
}

/// The key used to sign checkpoints, created (0600) on first use.
pub fn signing_key(path: &Path) -> Result<Arc<InstallationKey>> {
    Ok(Arc::new(InstallationKey::load_or_create(path)?))
}

fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(s), Some(a)) if a > s => format!("{}***{}", &db[..s + 3], &db[a..]),
        _ => db.to_owned(),
    }
}

/// Prints rows as an aligned text table.
pub fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(c);
            } else {
                out.push_str(&format!("{c:<w$}  "));
            }
        }
        println!("{}", out.trim_end());
    };
    line(headers.iter().map(|h| h.to_uppercase()).collect());
    for r in rows {
        line(r.clone());
    }
}

/// RFC 3339 for output.
pub fn fmt_time(t: Option<time::OffsetDateTime>) -> String {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_else(|| "-".into())
}
