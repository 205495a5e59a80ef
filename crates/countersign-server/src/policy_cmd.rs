//! `countersign policy`: validate a policy, list the signals it can test,
//! and try it on a corpus before deploying it.

use crate::analyze::{self, AnalyzeArgs};
use clap::{Args, Subcommand};
use countersign_policy::{Policy, signals::SIGNALS};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `countersign policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Validate a policy file; errors name the line.
    Check {
        /// The policy file (TOML).
        file: PathBuf,
    },
    /// List the signals rules can test, with their meaning.
    Signals,
    /// Print the shipped default policy (a starting point to edit).
    Default,
    /// Run a policy over a corpus and print the verdict distribution (and,
    /// for a labelled manifest, a confusion matrix).
    Test(Box<AnalyzeArgs>),
}

/// Runs the command; `db` is the global database location.
pub fn run(args: PolicyArgs, db: &str, config: &crate::config::Config) -> anyhow::Result<ExitCode> {
    match args.command {
        PolicyCommand::Check { file } => match Policy::load(&file) {
            Ok(policy) => {
                println!("{}: ok, {} rules", file.display(), policy.rules.len());
                Ok(ExitCode::SUCCESS)
            }
            Err(err) => {
                eprintln!("{err}");
                Ok(ExitCode::from(1))
            }
        },
        PolicyCommand::Signals => {
            for (name, meaning) in SIGNALS {
                println!("{name:<38} {meaning}");
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Default => {
            print!("{}", countersign_policy::DEFAULT_POLICY);
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Test(mut args) => {
            args.summary = true;
            args.apply_config(config);
            analyze::run(*args, db)
        }
    }
}
