//! `countersign audit`: verify, export and seal the tamper-evident log.

use crate::db_cmd::{self, fmt_time, print_table};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use countersign_audit::{InstallationKey, VerifyingKey};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status of `audit verify` when the log was tampered with, distinct
/// from 1 (the check itself could not run).
const EXIT_BROKEN: u8 = 3;

/// Arguments of `countersign audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The installation's audit signing key.
    #[arg(long, global = true, env = "COUNTERSIGN_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Check the whole chain and every signed checkpoint. Exits 0 when intact,
    /// 3 naming the first broken entry when not.
    Verify {
        /// Verify with this base64 public key instead of the key file (for an
        /// auditor who holds only the public key).
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Write every entry as JSON lines (for a SIEM).
    Export {
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Sign a checkpoint for the latest entry now.
    Checkpoint,
    /// Print the installation's public key (base64) and key ID.
    PublicKey,
    /// Show the latest entries.
    Log {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
}

impl AuditArgs {
    /// Fills what the command line left open from the configuration file.
    pub(crate) fn apply_config(&mut self, config: &crate::config::Config) {
        self.audit_key = self.audit_key.take().or(config.audit_key.clone());
    }
}

/// Runs `countersign audit` against the database at `db`.
pub fn run(db: &str, args: AuditArgs) -> Result<ExitCode> {
    let key_path = args
        .audit_key
        .clone()
        .unwrap_or_else(|| db_cmd::default_key_path(db));
    db_cmd::runtime()?.block_on(async {
        match args.verb {
            Verb::Verify { public_key } => {
                // Never create a key while verifying: a fresh key would make
                // every genuine checkpoint look forged.
                let key = match public_key {
                    Some(text) => VerifyingKey::from_base64(&text)?,
                    None => InstallationKey::load(&key_path)
                        .with_context(|| "verification needs the installation key (or --public-key)")?
                        .verifying_key(),
                };
                let store = db_cmd::open(db, None).await?;
                let started = std::time::Instant::now();
                let outcome = store.verify_audit(key).await?;
                store.close().await;
                match outcome {
                    Ok(report) => {
                        println!(
                            "audit log intact: {} entries, {} signed checkpoint(s), verified in {:.2?}",
                            report.entries,
                            report.checkpoints,
                            started.elapsed()
                        );
                        if report.entries > report.last_checkpoint_seq {
                            println!(
                                "note: entries after {} are chained but not yet covered by a signed checkpoint",
                                report.last_checkpoint_seq
                            );
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(breach) => {
                        eprintln!("audit log BROKEN at entry {}: {breach}", breach.first_broken_seq());
                        Ok(ExitCode::from(EXIT_BROKEN))
                    }
                }
            }
            Verb::Export { output } => {
                let store = db_cmd::open(db, None).await?;
                let n = match &output {
                    Some(path) => {
                        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
                        let mut w = std::io::BufWriter::new(file);
                        let n = store.export_audit(&mut w).await?;
                        w.flush()?;
                        n
                    }
                    None => {
                        let mut w = std::io::BufWriter::new(std::io::stdout());
                        let n = store.export_audit(&mut w).await?;
                        w.flush()?;
                        n
                    }
                };
                store.close().await;
                eprintln!("exported {n} audit entries");
                Ok(ExitCode::SUCCESS)
            }
            Verb::Checkpoint => {
                let key = db_cmd::signing_key(&key_path)?;
                let store = db_cmd::open(db, Some(key.clone())).await?;
                match store.checkpoint(&key, time::OffsetDateTime::now_utc()).await? {
                    Some(cp) => println!("signed checkpoint at entry {}", cp.seq),
                    None => println!("latest entry is already covered by a checkpoint"),
                }
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
            Verb::PublicKey => {
                let key = db_cmd::signing_key(&key_path)?;
                let vk = key.verifying_key();
                println!("{}  (key id {}, file {})", vk.to_base64(), vk.key_id(), key.path().display());
                Ok(ExitCode::SUCCESS)
            }
            Verb::Log { limit, json } => {
                let store = db_cmd::open(db, None).await?;
                let head = store.audit_head().await?;
                let from = head.seq.saturating_sub(limit.saturating_sub(1)).max(1);
                let entries = store.audit_entries(from, limit).await?;
                store.close().await;
                if json {
                    for e in &entries {
                        println!("{}", serde_json::to_string(e)?);
                    }
                } else {
                    let rows: Vec<Vec<String>> = entries
                        .iter()
                        .map(|e| vec![e.seq.to_string(), fmt_time(Some(e.at)), e.actor.clone(), e.action.clone(), e.subject.clone()])
                        .collect();
                    print_table(&["seq", "at", "actor", "action", "subject"], &rows);
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
