//! The `countersign` binary: parses the command line, wires the crates
//! together and turns outcomes into exit codes. No domain logic lives here.

mod analyze;
mod audit_cmd;
mod config;
mod db_cmd;
mod directory_cmd;
mod dmarc_cmd;
mod dmarc_mailbox;
mod lookalike_cmd;
mod policy_cmd;
mod report_mailbox;
mod serve;
mod user_cmd;
mod vendor_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

// glibc's malloc spent a tenth of the server's CPU under load (arena
// contention and consolidation between the runtime's threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Countersign: help-desk protection against quid pro quo social engineering.
#[derive(Debug, Parser)]
#[command(
    name = "countersign",
    version,
    about = "Countersign: help-desk protection against quid pro quo social engineering"
)]
struct Cli {
    /// Log filter (tracing EnvFilter syntax); logs go to stderr.
    #[arg(long, global = true, env = "COUNTERSIGN_LOG", default_value = "warn")]
    log: String,
    /// Emit logs as JSON lines.
    #[arg(long, global = true)]
    log_json: bool,
    /// Configuration file (TOML; see samples/countersign.toml). Default:
    /// ./countersign.toml when it exists.
    #[arg(long, global = true, env = "COUNTERSIGN_CONFIG", value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Database: a SQLite file path (created on first use) or a postgres:// URL
    /// [default: the configuration's `db`, else ./countersign.db].
    #[arg(long, global = true, env = "COUNTERSIGN_DB")]
    db: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Judge messages: authentication (SPF, DKIM, ARC, DMARC), impersonation,
    /// request risk, and the policy's verdict with its reasons.
    Analyze(analyze::AnalyzeArgs),
    /// The verified directory: vendors, contacts, IT staff, change control, reviews.
    Directory(directory_cmd::DirectoryArgs),
    /// The tamper-evident audit log: verify, export, checkpoint.
    Audit(audit_cmd::AuditArgs),
    /// Does a domain imitate a protected identity (typo, homoglyph, combosquat, ...)?
    Lookalike(lookalike_cmd::LookalikeArgs),
    /// Check a policy file, list its signals, or try it on a corpus.
    Policy(policy_cmd::PolicyArgs),
    /// Run the HTTP API: verdicts, verification cases, accounts, webhooks.
    Serve(serve::ServeArgs),
    /// Accounts from the host: bootstrap the first administrator, unlock.
    User(user_cmd::UserArgs),
    /// For vendors: make a signing key, sign a help desk's challenge.
    Vendor(vendor_cmd::VendorArgs),
    /// Our own domains' posture: ingest DMARC aggregate, failure and TLS
    /// reports, see who sends as us, check SPF, DMARC, DKIM and MX.
    Dmarc(dmarc_cmd::DmarcArgs),
}

/// Exit status for bad usage, as clap uses.
const EXIT_USAGE: u8 = 2;

/// The database used when neither flag, environment nor configuration names one.
const DEFAULT_DB: &str = "./countersign.db";

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log, cli.log_json);
    let config = match config::Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("countersign: {err:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let db = cli
        .db
        .clone()
        .or_else(|| config.db.clone())
        .unwrap_or_else(|| DEFAULT_DB.to_string());
    let outcome = match cli.command {
        Command::Analyze(mut args) => {
            args.apply_config(&config);
            analyze::run(args, &db)
        }
        Command::Directory(mut args) => {
            args.apply_config(&config);
            directory_cmd::check_db(&db).and_then(|()| directory_cmd::run(&db, args))
        }
        Command::Audit(mut args) => {
            args.apply_config(&config);
            audit_cmd::run(&db, args)
        }
        Command::Lookalike(mut args) => {
            args.apply_config(&config);
            lookalike_cmd::run(args)
        }
        Command::Policy(args) => policy_cmd::run(args, &db, &config),
        Command::Serve(mut args) => {
            args.apply_config(&config);
            serve::run(args, &db, &config)
        }
        Command::User(mut args) => {
            args.apply_config(&config);
            user_cmd::run(args, &db)
        }
        Command::Vendor(args) => vendor_cmd::run(args),
        Command::Dmarc(mut args) => {
            args.apply_config(&config);
            dmarc_cmd::run(&db, args)
        }
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("countersign: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn init_tracing(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
