//! `countersign lookalike`: does a domain imitate a protected identity?
//!
//! Protected identities come from a directory snapshot (`--directory`, the
//! JSON `directory export` writes: the organisation's domains and name, every
//! vendor's domains and name) and/or from the command line (`--protect`,
//! `--protect-file`, `--brand`). Candidates are the positional arguments
//! and/or `--candidates FILE`, one per line.
//!
//! A `--protect-file` line the index refuses (a public suffix such as
//! `co.uk`, a malformed name) is a warning naming `file:line` on stderr and
//! is skipped; a refused `--protect` argument is an error.

use anyhow::{Context, bail};
use clap::Args;
use countersign_directory::DirectorySnapshot;
use countersign_lookalike::{Assessment, ProtectedSet, ProtectedSetBuilder};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `countersign lookalike`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["domains", "candidates"])))]
pub struct LookalikeArgs {
    /// Directory snapshot (JSON from `directory export`) whose organisation
    /// and vendor domains and names are protected.
    #[arg(long, value_name = "FILE")]
    directory: Option<PathBuf>,
    /// A domain to protect (repeatable), optionally `DOMAIN,OWNER`.
    #[arg(long = "protect", value_name = "DOMAIN[,OWNER]")]
    protect: Vec<String>,
    /// File of domains to protect, one per line, optionally `DOMAIN,OWNER`;
    /// `#` starts a comment. A line that cannot be protected (a public
    /// suffix, a malformed name) is reported as FILE:LINE on stderr and skipped.
    #[arg(long = "protect-file", value_name = "FILE")]
    protect_files: Vec<PathBuf>,
    /// A brand name to protect on every suffix (repeatable), e.g. "Microsoft".
    #[arg(long = "brand", value_name = "NAME")]
    brands: Vec<String>,
    /// File of candidate domains, one per line; `#` starts a comment.
    #[arg(long, value_name = "FILE")]
    candidates: Option<PathBuf>,
    /// One JSON object per domain: {"candidate", "lookalike", "target",
    /// "technique", "evidence", "owner", "status"}.
    #[arg(long)]
    json: bool,
    /// Candidate domains.
    #[arg(value_name = "DOMAIN")]
    domains: Vec<String>,
}

impl LookalikeArgs {
    /// Fills what the command line left open from the configuration file.
    pub(crate) fn apply_config(&mut self, config: &crate::config::Config) {
        self.directory = self.directory.take().or(config.directory.clone());
    }
}

/// Runs the command.
pub fn run(args: LookalikeArgs) -> anyhow::Result<ExitCode> {
    let mut builder = ProtectedSet::builder();
    if let Some(path) = &args.directory {
        let snapshot = DirectorySnapshot::load(path)
            .with_context(|| format!("reading directory snapshot {}", path.display()))?;
        for skipped in countersign_engine::protect_directory(&mut builder, &snapshot) {
            tracing::warn!(%skipped, "not protected against lookalikes");
        }
    }
    for spec in &args.protect {
        add_spec(&mut builder, spec).with_context(|| format!("--protect {spec}"))?;
    }
    // A file is a list kept by people: one line the lookalike index refuses
    // (a public suffix, a malformed name) is reported with its place and
    // skipped, so the rest of the list still protects.
    for path in &args.protect_files {
        for (number, line) in read_lines(path)? {
            if let Err(err) = add_spec(&mut builder, &line) {
                eprintln!(
                    "countersign lookalike: warning: {}:{number}: {err:#}; line skipped",
                    path.display()
                );
            }
        }
    }
    for brand in &args.brands {
        builder
            .add_brand(brand)
            .with_context(|| format!("--brand {brand}"))?;
    }
    if builder.is_empty() {
        bail!("nothing to protect: give --directory, --protect, --protect-file or --brand");
    }
    let set = builder.build();

    let mut candidates: Vec<String> = args.domains.clone();
    if let Some(path) = &args.candidates {
        candidates.extend(read_lines(path)?.into_iter().map(|(_, line)| line));
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for candidate in &candidates {
        let assessment = set.assess(candidate);
        if args.json {
            writeln!(out, "{}", json_line(candidate, &assessment))?;
        } else {
            write_human(&mut out, candidate, &assessment)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `DOMAIN` or `DOMAIN,OWNER`.
fn add_spec(builder: &mut ProtectedSetBuilder, spec: &str) -> anyhow::Result<()> {
    let (domain, owner) = match spec.split_once(',') {
        Some((domain, owner)) => (domain.trim(), owner.trim()),
        None => (spec.trim(), "protected"),
    };
    builder.add_domain(domain, owner)?;
    Ok(())
}

/// Non-empty lines without `#` comments, with their 1-based numbers.
fn read_lines(path: &Path) -> anyhow::Result<Vec<(usize, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.split('#').next().unwrap_or("").trim();
            (!line.is_empty()).then(|| (i + 1, line.to_owned()))
        })
        .collect())
}

fn json_line(candidate: &str, assessment: &Assessment) -> serde_json::Value {
    match assessment {
        Assessment::Lookalike(findings) => {
            let best = &findings[0];
            serde_json::json!({
                "candidate": candidate,
                "lookalike": true,
                "target": best.target,
                "technique": best.technique.as_str(),
                "evidence": best.evidence,
                "owner": best.owner,
                "status": "lookalike",
                "findings": findings.iter().map(|f| serde_json::json!({
                    "target": f.target,
                    "technique": f.technique.as_str(),
                    "evidence": f.evidence,
                    "owner": f.owner,
                })).collect::<Vec<_>>(),
            })
        }
        Assessment::Protected { target, owner } => serde_json::json!({
            "candidate": candidate,
            "lookalike": false,
            "target": target,
            "technique": null,
            "evidence": format!("{target} is protected; this is it or one of its subdomains"),
            "owner": owner,
            "status": "protected",
        }),
        Assessment::Unrelated => serde_json::json!({
            "candidate": candidate,
            "lookalike": false,
            "target": null,
            "technique": null,
            "evidence": null,
            "owner": null,
            "status": "unrelated",
        }),
        Assessment::NotADomain => serde_json::json!({
            "candidate": candidate,
            "lookalike": false,
            "target": null,
            "technique": null,
            "evidence": "not a domain name",
            "owner": null,
            "status": "not_a_domain",
        }),
    }
}

fn write_human(
    out: &mut impl Write,
    candidate: &str,
    assessment: &Assessment,
) -> std::io::Result<()> {
    match assessment {
        Assessment::Lookalike(findings) => {
            let best = &findings[0];
            writeln!(
                out,
                "{candidate}: LOOKALIKE of {} ({}) by {}: {}",
                best.target, best.owner, best.technique, best.evidence
            )?;
            for other in &findings[1..] {
                writeln!(
                    out,
                    "    also {} ({}) by {}: {}",
                    other.target, other.owner, other.technique, other.evidence
                )?;
            }
            Ok(())
        }
        Assessment::Protected { target, owner } => {
            writeln!(out, "{candidate}: protected ({target}, {owner})")
        }
        Assessment::Unrelated => writeln!(out, "{candidate}: no lookalike"),
        Assessment::NotADomain => writeln!(out, "{candidate}: not a domain name"),
    }
}
