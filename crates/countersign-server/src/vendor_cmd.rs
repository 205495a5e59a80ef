//! `countersign vendor`: what a vendor runs to prove who it is, without
//! writing code. `keygen` makes an Ed25519 key (the public half is enrolled
//! in the directory); `sign` answers a case's challenge with a compact JWS.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use countersign_cases::signature::{ChallengePayload, SigningKey};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `countersign vendor`.
#[derive(Debug, Args)]
pub struct VendorArgs {
    #[command(subcommand)]
    command: VendorCommand,
}

#[derive(Debug, Subcommand)]
enum VendorCommand {
    /// Make a signing key: writes the private key (PEM, mode 0600) and
    /// prints the public key and key ID to enrol.
    Keygen {
        /// Where to write the private key (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a challenge (the JSON the help desk sends: case, nonce, digest,
    /// exp) read from a file or `-` for standard input; prints the JWS.
    Sign {
        /// The private key file from `keygen`.
        #[arg(long)]
        key: PathBuf,
        /// The challenge file, or `-`.
        #[arg(default_value = "-")]
        challenge: String,
    },
}

/// Runs the command.
pub fn run(args: VendorArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        VendorCommand::Keygen { out } => {
            if out.exists() {
                bail!("{} exists; refusing to overwrite a key", out.display());
            }
            let key = SigningKey::generate().map_err(|e| anyhow::anyhow!("{e}"))?;
            write_private(&out, key.to_pem().as_bytes())?;
            println!("private key: {} (keep it secret; mode 0600)", out.display());
            println!("key id:      {}", key.key_id());
            println!("public key:  {}", key.public_key_base64());
            println!(
                "enrol it:    countersign directory add key --vendor <VENDOR_ID> --public-key {} --reason \"...\"",
                key.public_key_base64()
            );
            Ok(ExitCode::SUCCESS)
        }
        VendorCommand::Sign { key, challenge } => {
            let pem = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read key {}", key.display()))?;
            let key = SigningKey::from_pem(&pem).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut text = String::new();
            if challenge == "-" {
                std::io::stdin().read_to_string(&mut text)?;
            } else {
                text = std::fs::read_to_string(&challenge)
                    .with_context(|| format!("cannot read challenge {challenge}"))?;
            }
            let payload: ChallengePayload = serde_json::from_str(text.trim()).with_context(|| {
                "the challenge must be the JSON the help desk sent: {\"case\", \"nonce\", \"digest\", \"exp\"}"
            })?;
            println!("{}", key.sign(&payload));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
