//! Audit events (what callers record) and chained entries (what is stored).

use ring::digest;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The `prev_hash` of the first entry: there is no predecessor to point at.
pub const GENESIS_HASH: Hash = [0u8; 32];

/// Something that happened and must be on record: who did what to what, and
/// why. The log assigns its position in the chain when it is appended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When it happened (milliseconds precision; finer parts are dropped so
    /// that what is hashed is exactly what is stored).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it: a staff ID, an employee ID or a system component.
    pub actor: String,
    /// What was done, as a dotted verb such as `change.approve`.
    pub action: String,
    /// What it was done to, such as `vendor:acme` or `change:42`.
    pub subject: String,
    /// Free-form structured details, including the reason given.
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// Builds an event, truncating the time to whole milliseconds.
    pub fn new(
        at: OffsetDateTime,
        actor: impl Into<String>,
        action: impl Into<String>,
        subject: impl Into<String>,
        details: serde_json::Value,
    ) -> Self {
        Self {
            at: truncate_millis(at),
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            details,
        }
    }
}

/// One stored link of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, starting at 1 with no gaps.
    pub seq: u64,
    /// When the event happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub subject: String,
    /// The details as the exact JSON text that was hashed; kept as text so that
    /// re-serialising can never change the hash.
    pub details: String,
    /// Hash of the previous entry ([`GENESIS_HASH`] for the first).
    #[serde(with = "hex_hash")]
    pub prev_hash: Hash,
    /// Hash of this entry, see [`entry_hash`].
    #[serde(with = "hex_hash")]
    pub hash: Hash,
}

impl AuditEntry {
    /// Chains `event` after an entry at `prev_seq` whose hash is `prev_hash`.
    pub fn chain(prev_seq: u64, prev_hash: Hash, event: &AuditEvent) -> Self {
        let seq = prev_seq + 1;
        let at = truncate_millis(event.at);
        let details = event.details.to_string();
        let hash = entry_hash(
            seq,
            &prev_hash,
            unix_millis(at),
            &event.actor,
            &event.action,
            &event.subject,
            &details,
        );
        Self {
            seq,
            at,
            actor: event.actor.clone(),
            action: event.action.clone(),
            subject: event.subject.clone(),
            details,
            prev_hash,
            hash,
        }
    }

    /// Recomputes the hash from the entry's contents, ignoring the stored one.
    pub fn computed_hash(&self) -> Hash {
        entry_hash(
            self.seq,
            &self.prev_hash,
            unix_millis(self.at),
            &self.actor,
            &self.action,
            &self.subject,
            &self.details,
        )
    }
}

/// The latest entry of a chain, as the store records it beside the entries so
/// that a deleted tail is noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// Sequence number of the latest entry (0 for an empty log).
    pub seq: u64,
    /// Its hash ([`GENESIS_HASH`] for an empty log).
    pub hash: Hash,
}

/// The hash of an entry: SHA-256 over a domain-separation tag and every field
/// in a fixed order, strings length-prefixed so that no two different entries
/// encode to the same bytes.
pub fn entry_hash(
    seq: u64,
    prev_hash: &Hash,
    at_millis: i64,
    actor: &str,
    action: &str,
    subject: &str,
    details: &str,
) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"countersign-audit-entry-v1\0");
    ctx.update(&seq.to_be_bytes());
    ctx.update(prev_hash);
    ctx.update(&at_millis.to_be_bytes());
    for field in [actor, action, subject, details] {
        ctx.update(&(field.len() as u64).to_be_bytes());
        ctx.update(field.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Milliseconds since the Unix epoch, the precision the log keeps.
pub fn unix_millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

fn truncate_millis(at: OffsetDateTime) -> OffsetDateTime {
    let ms = unix_millis(at);
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(at)
}

/// Serialises hashes as lowercase hex in JSON exports.
mod hex_hash {
    use super::Hash;
    use data_encoding::HEXLOWER;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&HEXLOWER.encode(hash))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = HEXLOWER
            .decode(text.as_bytes())
            .map_err(|e| D::Error::custom(format!("bad hex hash: {e}")))?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom("hash must be 32 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn chaining_links_hashes_and_truncates_time() {
        let at = datetime!(2025-01-02 03:04:05.123456 UTC);
        let first = AuditEntry::chain(
            0,
            GENESIS_HASH,
            &AuditEvent::new(at, "a", "x", "s", serde_json::json!({"k": 1})),
        );
        assert_eq!(first.seq, 1);
        assert_eq!(first.at, datetime!(2025-01-02 03:04:05.123 UTC));
        assert_eq!(first.hash, first.computed_hash());
        let second = AuditEntry::chain(
            first.seq,
            first.hash,
            &AuditEvent::new(at, "a", "x", "s", serde_json::Value::Null),
        );
        assert_eq!(second.prev_hash, first.hash);
        assert_ne!(second.hash, first.hash);
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        let a = entry_hash(1, &GENESIS_HASH, 0, "ab", "c", "", "");
        let b = entry_hash(1, &GENESIS_HASH, 0, "a", "bc", "", "");
        assert_ne!(a, b);
    }
}
