//! Chain verification: walks stored entries in order and reports the first
//! place where the record was tampered with.

use crate::checkpoint::Checkpoint;
use crate::entry::{AuditEntry, ChainHead, GENESIS_HASH, Hash};
use crate::key::VerifyingKey;
use data_encoding::HEXLOWER;
use std::collections::BTreeMap;

/// Where and how the stored log departs from an intact chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Breach {
    /// An entry is missing, duplicated or out of order.
    #[error(
        "entry {expected}: expected next, found entry {found} (entries deleted, inserted or reordered)"
    )]
    Sequence {
        /// The sequence number that should come next.
        expected: u64,
        /// The one that came.
        found: u64,
    },
    /// The entry does not link to its predecessor's hash.
    #[error(
        "entry {seq}: does not link to entry {prev} (its predecessor was changed, removed or replaced)"
    )]
    Link {
        /// The entry whose `prev_hash` is wrong.
        seq: u64,
        /// Its predecessor's sequence number.
        prev: u64,
    },
    /// The entry's contents do not hash to its stored hash.
    #[error("entry {seq}: contents do not match its hash (the entry was modified)")]
    Content {
        /// The modified entry.
        seq: u64,
    },
    /// A signed checkpoint names a different hash for this entry: the chain
    /// up to here was rewritten.
    #[error("entry {seq}: differs from the signed checkpoint (history up to here was rewritten)")]
    Checkpoint {
        /// The entry the checkpoint vouches for.
        seq: u64,
    },
    /// A checkpoint's signature does not verify with the installation key.
    #[error("checkpoint at entry {seq}: invalid signature (checkpoint forged or altered)")]
    Signature {
        /// The checkpoint's entry.
        seq: u64,
    },
    /// A checkpoint was signed by a key other than the installation key.
    #[error("checkpoint at entry {seq}: signed by unknown key {key_id}")]
    UnknownKey {
        /// The checkpoint's entry.
        seq: u64,
        /// The key it names.
        key_id: String,
    },
    /// The log ends before an entry that a checkpoint or the chain head
    /// records: the tail was deleted.
    #[error("entry {seq}: missing; the log ends at entry {last} (the tail was deleted)")]
    Truncated {
        /// The first missing entry.
        seq: u64,
        /// The last entry present.
        last: u64,
    },
    /// The recorded chain head names another latest entry.
    #[error("entry {seq}: the recorded chain head expects {expected}")]
    Head {
        /// The last entry present.
        seq: u64,
        /// What the head records, as `seq:hash`.
        expected: String,
    },
}

impl Breach {
    /// The sequence number of the first entry that cannot be trusted.
    pub fn first_broken_seq(&self) -> u64 {
        match self {
            Breach::Sequence { expected, .. } => *expected,
            Breach::Link { seq, .. }
            | Breach::Content { seq }
            | Breach::Checkpoint { seq }
            | Breach::Signature { seq }
            | Breach::UnknownKey { seq, .. }
            | Breach::Truncated { seq, .. }
            | Breach::Head { seq, .. } => *seq,
        }
    }
}

/// What an intact verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
    /// The last entry vouched for by a signed checkpoint (0 if none). Entries
    /// after it are chained but not yet signed: someone able to rewrite the
    /// database could still rewrite that tail undetected.
    pub last_checkpoint_seq: u64,
}

/// Streaming verifier: feed it entries in stored order with [`push`], then
/// call [`finish`]. Memory stays constant whatever the log's length.
///
/// [`push`]: ChainVerifier::push
/// [`finish`]: ChainVerifier::finish
#[derive(Debug)]
pub struct ChainVerifier {
    checkpoints: BTreeMap<u64, Checkpoint>,
    checkpoints_seen: u64,
    last_seq: u64,
    last_hash: Hash,
}

impl ChainVerifier {
    /// Starts a verification against the installation's public key and the
    /// stored checkpoints. Checkpoint signatures are checked here, so a forged
    /// checkpoint is reported before any entry is read.
    pub fn new(key: VerifyingKey, checkpoints: Vec<Checkpoint>) -> Result<Self, Breach> {
        let mut map = BTreeMap::new();
        for cp in checkpoints {
            if cp.key_id != key.key_id() {
                return Err(Breach::UnknownKey {
                    seq: cp.seq,
                    key_id: cp.key_id,
                });
            }
            if !key.verify(&cp) {
                return Err(Breach::Signature { seq: cp.seq });
            }
            map.insert(cp.seq, cp);
        }
        Ok(Self {
            checkpoints: map,
            checkpoints_seen: 0,
            last_seq: 0,
            last_hash: GENESIS_HASH,
        })
    }

    /// Checks the next stored entry.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), Breach> {
        let expected = self.last_seq + 1;
        if entry.seq != expected {
            return Err(Breach::Sequence {
                expected,
                found: entry.seq,
            });
        }
        if entry.prev_hash != self.last_hash {
            return Err(Breach::Link {
                seq: entry.seq,
                prev: self.last_seq,
            });
        }
        if entry.computed_hash() != entry.hash {
            return Err(Breach::Content { seq: entry.seq });
        }
        if let Some(cp) = self.checkpoints.get(&entry.seq) {
            if cp.entry_hash.as_slice() != entry.hash.as_slice() {
                return Err(Breach::Checkpoint { seq: entry.seq });
            }
            self.checkpoints_seen += 1;
        }
        self.last_seq = entry.seq;
        self.last_hash = entry.hash;
        Ok(())
    }

    /// Ends the walk: every checkpoint must have been reached, and the last
    /// entry must be the one the store's chain head records.
    pub fn finish(self, head: ChainHead) -> Result<VerifyReport, Breach> {
        // A checkpoint or a head beyond the last entry means the tail was
        // deleted; the first missing entry is the one right after the last.
        let beyond = self.checkpoints.range(self.last_seq + 1..).next().is_some();
        if beyond || head.seq > self.last_seq {
            return Err(Breach::Truncated {
                seq: self.last_seq + 1,
                last: self.last_seq,
            });
        }
        if head.seq != self.last_seq || head.hash != self.last_hash {
            return Err(Breach::Head {
                seq: self.last_seq,
                expected: format!("{}:{}", head.seq, HEXLOWER.encode(&head.hash)),
            });
        }
        Ok(VerifyReport {
            entries: self.last_seq,
            checkpoints: self.checkpoints_seen,
            last_checkpoint_seq: self.checkpoints.keys().next_back().copied().unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::AuditEvent;
    use crate::key::InstallationKey;
    use proptest::prelude::*;
    use std::sync::OnceLock;
    use time::OffsetDateTime;

    fn key() -> &'static InstallationKey {
        static KEY: OnceLock<InstallationKey> = OnceLock::new();
        KEY.get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("cs-audit-verify-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            InstallationKey::load_or_create(&dir.join("k")).unwrap()
        })
    }

    /// A chain of `n` entries with checkpoints at each multiple of `every`.
    fn chain(n: u64, every: u64) -> (Vec<AuditEntry>, Vec<Checkpoint>, ChainHead) {
        let mut entries: Vec<AuditEntry> = Vec::new();
        let mut cps = Vec::new();
        let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        for i in 0..n {
            let (seq, prev) = entries
                .last()
                .map_or((0, GENESIS_HASH), |e| (e.seq, e.hash));
            let ev = AuditEvent::new(
                t0 + time::Duration::seconds(i as i64),
                format!("actor{}", i % 3),
                "test.act",
                format!("thing:{i}"),
                serde_json::json!({ "i": i }),
            );
            let e = AuditEntry::chain(seq, prev, &ev);
            if every > 0 && e.seq.is_multiple_of(every) {
                cps.push(key().sign_checkpoint(e.seq, &e.hash, t0));
            }
            entries.push(e);
        }
        let head = entries.last().map_or(
            ChainHead {
                seq: 0,
                hash: GENESIS_HASH,
            },
            |e| ChainHead {
                seq: e.seq,
                hash: e.hash,
            },
        );
        (entries, cps, head)
    }

    fn verify(
        entries: &[AuditEntry],
        cps: Vec<Checkpoint>,
        head: ChainHead,
    ) -> Result<VerifyReport, Breach> {
        let mut v = ChainVerifier::new(key().verifying_key(), cps)?;
        for e in entries {
            v.push(e)?;
        }
        v.finish(head)
    }

    #[test]
    fn intact_chain_verifies() {
        let (entries, cps, head) = chain(25, 10);
        let report = verify(&entries, cps, head).unwrap();
        assert_eq!(
            report,
            VerifyReport {
                entries: 25,
                checkpoints: 2,
                last_checkpoint_seq: 20
            }
        );
        let (entries, cps, head) = chain(0, 10);
        assert_eq!(verify(&entries, cps, head).unwrap().entries, 0);
    }

    #[test]
    fn full_rewrite_is_caught_by_checkpoint() {
        let (mut entries, cps, _) = chain(12, 5);
        // A database administrator edits entry 3 and recomputes every hash
        // after it, including the head: only the signed checkpoint notices.
        entries[2].subject = "thing:forged".into();
        let mut prev = entries[1].hash;
        for e in entries.iter_mut().skip(2) {
            e.prev_hash = prev;
            e.hash = e.computed_hash();
            prev = e.hash;
        }
        let head = ChainHead {
            seq: 12,
            hash: prev,
        };
        assert_eq!(
            verify(&entries, cps, head),
            Err(Breach::Checkpoint { seq: 5 })
        );
    }

    #[test]
    fn truncation_behind_a_checkpoint_is_caught_even_with_head_rewritten() {
        let (entries, cps, _) = chain(12, 5);
        let kept = &entries[..7];
        let head = ChainHead {
            seq: 7,
            hash: kept[6].hash,
        };
        assert_eq!(
            verify(kept, cps, head),
            Err(Breach::Truncated { seq: 8, last: 7 })
        );
    }

    #[test]
    fn forged_checkpoint_is_caught() {
        let (entries, mut cps, head) = chain(10, 5);
        cps[0].seq = 4;
        assert_eq!(
            verify(&entries, cps, head),
            Err(Breach::Signature { seq: 4 })
        );
    }

    /// One single tampering with the stored rows.
    #[derive(Debug, Clone)]
    enum Tamper {
        Modify { index: usize, field: u8, byte: u8 },
        Delete { index: usize },
        Insert { index: usize, copy_of: usize },
        Swap { a: usize, b: usize },
    }

    fn tamper_strategy() -> impl Strategy<Value = Tamper> {
        prop_oneof![
            (any::<usize>(), 0u8..8, 1u8..=255).prop_map(|(index, field, byte)| Tamper::Modify {
                index,
                field,
                byte
            }),
            any::<usize>().prop_map(|index| Tamper::Delete { index }),
            (any::<usize>(), any::<usize>())
                .prop_map(|(index, copy_of)| Tamper::Insert { index, copy_of }),
            (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Tamper::Swap { a, b }),
        ]
    }

    fn apply(entries: &mut Vec<AuditEntry>, t: &Tamper) -> bool {
        let n = entries.len();
        match *t {
            Tamper::Modify { index, field, byte } => {
                let e = &mut entries[index % n];
                let flip = |s: &mut String| {
                    // Appending keeps the string valid UTF-8 and always changes it.
                    s.push(char::from(b'a' + byte % 26));
                };
                match field {
                    0 => e.seq = e.seq.wrapping_add(u64::from(byte)),
                    1 => e.at += time::Duration::milliseconds(i64::from(byte)),
                    2 => flip(&mut e.actor),
                    3 => flip(&mut e.action),
                    4 => flip(&mut e.subject),
                    5 => flip(&mut e.details),
                    6 => e.prev_hash[usize::from(byte) % 32] ^= byte,
                    _ => e.hash[usize::from(byte) % 32] ^= byte,
                }
            }
            Tamper::Delete { index } => {
                entries.remove(index % n);
            }
            Tamper::Insert { index, copy_of } => {
                // A forged entry that is correctly chained to whatever
                // precedes it, the strongest single insertion an attacker
                // without the key can make.
                let at = index % (n + 1);
                let (seq, prev) = if at == 0 {
                    (0, GENESIS_HASH)
                } else {
                    (entries[at - 1].seq, entries[at - 1].hash)
                };
                let src = entries[copy_of % n].clone();
                let ev = AuditEvent {
                    at: src.at,
                    actor: "intruder".into(),
                    action: src.action,
                    subject: src.subject,
                    details: serde_json::Value::Null,
                };
                entries.insert(at, AuditEntry::chain(seq, prev, &ev));
            }
            Tamper::Swap { a, b } => {
                let (a, b) = (a % n, b % n);
                if a == b {
                    return false;
                }
                entries.swap(a, b);
            }
        }
        true
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_single_tampering_is_detected(n in 1u64..40, every in 0u64..8, t in tamper_strategy()) {
            let (mut entries, cps, head) = chain(n, every);
            if apply(&mut entries, &t) {
                prop_assert!(verify(&entries, cps, head).is_err(), "undetected: {t:?}");
            }
        }
    }
}
