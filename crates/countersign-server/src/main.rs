//! The `countersign` binary: parses the command line, wires the crates
//! together and turns outcomes into exit codes. No domain logic lives here.

mod analyze;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Countersign: help-desk protection against quid pro quo social engineering.
#[derive(Debug, Parser)]
#[command(name = "countersign", version, about)]
struct Cli {
    /// Log filter (tracing EnvFilter syntax); logs go to stderr.
    #[arg(long, global = true, env = "COUNTERSIGN_LOG", default_value = "warn")]
    log: String,
    /// Emit logs as JSON lines.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Authenticate messages (SPF, DKIM, ARC, DMARC) and print the results.
    Analyze(analyze::AnalyzeArgs),
}

/// Exit status for bad usage, as clap uses.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log, cli.log_json);
    let outcome = match cli.command {
        Command::Analyze(args) => analyze::run(args),
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
