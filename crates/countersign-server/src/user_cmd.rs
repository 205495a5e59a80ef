//! `countersign user`: accounts from the host, for the operator who runs
//! the installation (bootstrapping the first administrator, unlocking an
//! administrator who locked themselves out). Everything is audited with
//! the operating-system user as actor.

use anyhow::Context;
use clap::{Args, Subcommand};
use countersign_directory::{Directory, SystemClock};
use countersign_service::accounts::{AccountView, NewAccount, create_account};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `countersign user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// The installation's audit signing key (created on first use, mode 0600).
    #[arg(long, global = true, env = "COUNTERSIGN_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account; prints a one-time password to change at first sign-in.
    Add {
        /// Username.
        name: String,
        /// Role (repeatable): admin (security_admin), analyst, approver,
        /// relationship_manager, employee, integration.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Name shown to others.
        #[arg(long)]
        display_name: Option<String>,
        /// The directory staff ID this account belongs to.
        #[arg(long)]
        staff_id: Option<String>,
        /// The directory employee ID this account belongs to.
        #[arg(long)]
        employee_id: Option<String>,
    },
    /// List accounts.
    List,
    /// Lift a lock.
    Unlock {
        /// Username.
        name: String,
    },
}

impl UserArgs {
    /// Fills what the command line left open from the configuration file.
    pub(crate) fn apply_config(&mut self, config: &crate::config::Config) {
        self.audit_key = self.audit_key.take().or(config.audit_key.clone());
    }
}

fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// Runs the command.
pub fn run(args: UserArgs, db: &str) -> anyhow::Result<ExitCode> {
    let key_path = args
        .audit_key
        .clone()
        .unwrap_or_else(|| crate::db_cmd::default_key_path(db));
    crate::db_cmd::runtime()?.block_on(async {
        let key = crate::db_cmd::signing_key(&key_path)?;
        let store = crate::db_cmd::open(db, Some(key)).await?;
        let outcome = match args.command {
            UserCommand::Add {
                name,
                roles,
                display_name,
                staff_id,
                employee_id,
            } => {
                let snapshot = Directory::new(&store, &SystemClock)
                    .snapshot()
                    .await
                    .context("reading the directory")?;
                let created = create_account(
                    &store,
                    &snapshot,
                    &operator(),
                    NewAccount {
                        username: name,
                        display_name,
                        roles,
                        staff_id,
                        employee_id,
                    },
                )
                .await;
                match created {
                    Ok(created) => {
                        if args.json {
                            println!("{}", serde_json::to_string(&created)?);
                        } else {
                            println!(
                                "created {} ({}); one-time password (change it at first sign-in):\n{}",
                                created.account.username,
                                created.account.roles.to_names(),
                                created.one_time_password
                            );
                        }
                        ExitCode::SUCCESS
                    }
                    Err(err) => {
                        eprintln!("countersign user add: {err}");
                        ExitCode::from(crate::EXIT_USAGE)
                    }
                }
            }
            UserCommand::List => {
                let accounts: Vec<AccountView> =
                    store.accounts().await?.iter().map(AccountView::from).collect();
                if args.json {
                    for a in &accounts {
                        println!("{}", serde_json::to_string(a)?);
                    }
                } else {
                    let rows: Vec<Vec<String>> = accounts
                        .iter()
                        .map(|a| {
                            vec![
                                a.username.clone(),
                                a.roles.to_names(),
                                if a.totp_enrolled { "yes" } else { "no" }.into(),
                                if a.disabled {
                                    "disabled".into()
                                } else if a.locked_until.is_some() {
                                    "locked".into()
                                } else {
                                    "active".into()
                                },
                                a.staff_id.clone().or(a.employee_id.clone()).unwrap_or_default(),
                            ]
                        })
                        .collect();
                    crate::db_cmd::print_table(&["username", "roles", "totp", "state", "directory"], &rows);
                }
                ExitCode::SUCCESS
            }
            UserCommand::Unlock { name } => {
                let Some(account) = store.account_by_username(&name.to_lowercase()).await? else {
                    eprintln!("countersign user unlock: no account {name}");
                    return Ok(ExitCode::from(1));
                };
                store
                    .set_lock(
                        &account.id,
                        None,
                        vec![countersign_audit::AuditEvent::new(
                            time::OffsetDateTime::now_utc(),
                            operator(),
                            "account.unlocked",
                            format!("account:{}", account.username),
                            serde_json::json!({ "from": "host" }),
                        )],
                    )
                    .await?;
                println!("unlocked {}", account.username);
                ExitCode::SUCCESS
            }
        };
        store.close().await;
        anyhow::Ok(outcome)
    })
}
