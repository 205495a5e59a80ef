//! The installation's Ed25519 key, kept in a file outside the database.

use crate::checkpoint::{Checkpoint, checkpoint_message};
use crate::entry::{Hash, unix_millis};
use crate::error::AuditError;
use data_encoding::{BASE64, HEXLOWER};
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// The signing key of one installation. Whoever can read this file can forge
/// checkpoints, so it lives outside the database and is created owner-only.
pub struct InstallationKey {
    pair: Ed25519KeyPair,
    path: PathBuf,
}

impl std::fmt::Debug for InstallationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material, even by accident in a log line.
        f.debug_struct("InstallationKey")
            .field("path", &self.path)
            .field("key_id", &self.verifying_key().key_id())
            .finish()
    }
}

impl InstallationKey {
    /// Loads the key at `path`, creating it (mode 0600) if there is none yet.
    pub fn load_or_create(path: &Path) -> Result<Self, AuditError> {
        match Self::load(path) {
            Err(AuditError::KeyIo { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Self::create(path)
            }
            other => other,
        }
    }

    /// Loads an existing key. Refuses a file that group or others can read.
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let io = |source| AuditError::KeyIo {
            path: path.to_owned(),
            source,
        };
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AuditError::KeyPermissions {
                path: path.to_owned(),
                mode,
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let format = |reason: &str| AuditError::KeyFormat {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let body: String = text
            .lines()
            .map(str::trim)
            .skip_while(|l| *l != PEM_BEGIN)
            .skip(1)
            .take_while(|l| *l != PEM_END)
            .collect();
        if body.is_empty() {
            return Err(format("no PEM PRIVATE KEY block"));
        }
        let der = BASE64
            .decode(body.as_bytes())
            .map_err(|_| format("PEM body is not base64"))?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| format(&format!("not an Ed25519 PKCS#8 key: {e}")))?;
        Ok(Self {
            pair,
            path: path.to_owned(),
        })
    }

    fn create(path: &Path) -> Result<Self, AuditError> {
        let io = |source| AuditError::KeyIo {
            path: path.to_owned(),
            source,
        };
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| AuditError::KeyFormat {
            path: path.to_owned(),
            reason: "the system random generator failed".into(),
        })?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut pem = String::from(PEM_BEGIN);
        pem.push('\n');
        let b64 = BASE64.encode(pkcs8.as_ref());
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str(PEM_END);
        pem.push('\n');
        // create_new: two processes racing to create the key must not
        // overwrite each other's; the loser loads the winner's key below.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match file {
            Ok(mut file) => {
                file.write_all(pem.as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Self::load(path)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(io(e)),
        }
    }

    /// The file this key was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The public half, which is all verification needs.
    pub fn verifying_key(&self) -> VerifyingKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.pair.public_key().as_ref());
        VerifyingKey { bytes }
    }

    /// Signs a checkpoint for entry `seq` with hash `entry_hash`.
    pub fn sign_checkpoint(&self, seq: u64, entry_hash: &Hash, at: OffsetDateTime) -> Checkpoint {
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_millis(at)) * 1_000_000)
            .unwrap_or(at);
        let sig = self.pair.sign(&checkpoint_message(seq, entry_hash, at));
        Checkpoint {
            seq,
            entry_hash: entry_hash.to_vec(),
            at,
            key_id: self.verifying_key().key_id(),
            signature: sig.as_ref().to_vec(),
        }
    }
}

/// An Ed25519 public key that checks checkpoint signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey {
    bytes: [u8; 32],
}

impl VerifyingKey {
    /// Parses 32 raw key bytes encoded as standard base64.
    pub fn from_base64(text: &str) -> Result<Self, AuditError> {
        let bytes = BASE64
            .decode(text.trim().as_bytes())
            .map_err(|e| AuditError::PublicKey {
                reason: e.to_string(),
            })?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| AuditError::PublicKey {
            reason: "an Ed25519 public key is 32 bytes".into(),
        })?;
        Ok(Self { bytes })
    }

    /// The key as standard base64, the form `from_base64` reads.
    pub fn to_base64(&self) -> String {
        BASE64.encode(&self.bytes)
    }

    /// A short stable name for the key: the first 16 hex digits of the
    /// SHA-256 of its bytes.
    pub fn key_id(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.bytes);
        HEXLOWER.encode(&digest.as_ref()[..8])
    }

    /// Whether `checkpoint` carries this key's valid signature.
    pub fn verify(&self, checkpoint: &Checkpoint) -> bool {
        let Ok(hash) = <Hash>::try_from(checkpoint.entry_hash.as_slice()) else {
            return false;
        };
        let msg = checkpoint_message(checkpoint.seq, &hash, checkpoint.at);
        UnparsedPublicKey::new(&ED25519, &self.bytes)
            .verify(&msg, &checkpoint.signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cs-audit-key-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("audit.key")
    }

    #[test]
    fn created_owner_only_and_reloads_to_same_key() {
        let path = temp_path("create");
        let key = InstallationKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = InstallationKey::load_or_create(&path).unwrap();
        assert_eq!(key.verifying_key(), again.verifying_key());
        let cp = key.sign_checkpoint(7, &[1u8; 32], OffsetDateTime::now_utc());
        assert!(again.verifying_key().verify(&cp));
        let mut forged = cp.clone();
        forged.seq = 8;
        assert!(!key.verifying_key().verify(&forged));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn world_readable_key_is_refused() {
        let path = temp_path("perm");
        InstallationKey::load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            InstallationKey::load(&path),
            Err(AuditError::KeyPermissions { mode: 0o644, .. })
        ));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn public_key_round_trips_through_base64() {
        let path = temp_path("b64");
        let key = InstallationKey::load_or_create(&path).unwrap();
        let vk = key.verifying_key();
        assert_eq!(VerifyingKey::from_base64(&vk.to_base64()).unwrap(), vk);
        assert!(VerifyingKey::from_base64("AAAA").is_err());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
