//! Signed checkpoints: the installation key's statement that the chain, up to
//! a given entry, had a given hash.

use crate::entry::{Hash, unix_millis};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A signed statement "entry `seq` had hash `entry_hash`". Because each hash
/// covers every earlier entry, one checkpoint vouches for the whole prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The entry vouched for.
    pub seq: u64,
    /// That entry's hash.
    #[serde(with = "hex_bytes")]
    pub entry_hash: Vec<u8>,
    /// When the checkpoint was signed (milliseconds precision).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Identifies the signing key, see [`crate::VerifyingKey::key_id`].
    pub key_id: String,
    /// Ed25519 signature over [`checkpoint_message`].
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
}

/// The bytes a checkpoint signature covers; a domain-separation tag keeps the
/// signature from being valid for anything else the key might sign.
pub fn checkpoint_message(seq: u64, entry_hash: &Hash, at: OffsetDateTime) -> Vec<u8> {
    let mut msg = Vec::with_capacity(80);
    msg.extend_from_slice(b"countersign-audit-checkpoint-v1\0");
    msg.extend_from_slice(&seq.to_be_bytes());
    msg.extend_from_slice(entry_hash);
    msg.extend_from_slice(&unix_millis(at).to_be_bytes());
    msg
}

/// Hex encoding for byte fields in JSON exports.
mod hex_bytes {
    use data_encoding::HEXLOWER;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&HEXLOWER.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        HEXLOWER
            .decode(text.as_bytes())
            .map_err(|e| D::Error::custom(format!("bad hex: {e}")))
    }
}
