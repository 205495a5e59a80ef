//! `countersign analyze`: authenticate messages given on the command line or in a manifest.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `countersign analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {}

/// Runs the command.
pub fn run(_args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
