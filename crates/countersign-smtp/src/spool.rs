//! The durable spool: a message is acknowledged only once it and its
//! envelope are on disk.
//!
//! Messages are appended to segment files (`seg-<n>.spool`) by one writer
//! thread, which takes every message waiting, writes them with one write
//! and makes them durable with one `fdatasync` (group commit): many
//! sessions share a sync, none is answered before it. A new segment's
//! directory entry is synced before anything in it is acknowledged.
//!
//! A record is `CSP1`, the header and body lengths, the header (JSON
//! envelope), the message, and the SHA-256 of header and message. On start
//! every segment left is read back; a record cut short by a crash (never
//! acknowledged: its sync had not returned) ends its segment. A segment is
//! deleted once every record in it is done (recorded in the store) and the
//! store has made those commits durable.

use ring::digest::{SHA256, digest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::sync::oneshot;

const MAGIC: &[u8; 4] = b"CSP1";
/// A segment takes no new records past this size.
const SEGMENT_BYTES: u64 = 8 << 20;
/// At most this many records share one sync.
const MAX_BATCH: usize = 512;

/// The envelope kept with a spooled message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SpooledEnvelope {
    /// Queue ID shown in the 250 reply and the Received field.
    pub queue_id: String,
    /// When it was received (Unix milliseconds).
    pub received_at: i64,
    /// The client's address (from the connection or XCLIENT).
    pub client_ip: String,
    /// The client's reverse name when XCLIENT gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// HELO/EHLO.
    pub helo: String,
    /// MAIL FROM (empty: the null sender).
    pub mail_from: String,
    /// RCPT TO.
    pub rcpt: Vec<String>,
    /// `ESMTP`, `ESMTPS` (after STARTTLS), `SMTP`.
    pub protocol: String,
    /// SHA-256 of envelope and content, hex: duplicates share it.
    pub digest: String,
}

/// SHA-256 over the envelope sender, the recipients and the message.
pub fn envelope_digest(mail_from: &str, rcpt: &[String], raw: &[u8]) -> Vec<u8> {
    let mut ctx = ring::digest::Context::new(&SHA256);
    ctx.update(mail_from.to_ascii_lowercase().as_bytes());
    ctx.update(b"\n");
    for r in rcpt {
        ctx.update(r.to_ascii_lowercase().as_bytes());
        ctx.update(b",");
    }
    ctx.update(b"\n");
    ctx.update(raw);
    ctx.finish().as_ref().to_vec()
}

/// Where a record is: its segment and its place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId {
    /// Segment number.
    pub segment: u64,
    /// Record index in the segment.
    pub index: u32,
}

/// A spooled message.
#[derive(Debug, Clone)]
pub struct SpoolEntry {
    /// Where it is.
    pub id: EntryId,
    /// Its envelope.
    pub envelope: SpooledEnvelope,
    /// The message.
    pub raw: Arc<Vec<u8>>,
}

/// Why a message could not be spooled.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The spool holds as much as it may (452 4.3.1).
    #[error("the spool is full ({used} of {limit} bytes)")]
    Full {
        /// Bytes in use.
        used: u64,
        /// The configured limit.
        limit: u64,
    },
    /// Writing or syncing failed (451 4.3.0).
    #[error("spool {path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The writer has stopped (shutting down).
    #[error("the spool is closed")]
    Closed,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[derive(Debug, Default)]
struct Segment {
    records: u32,
    done: u32,
    bytes: u64,
    sealed: bool,
}

#[derive(Debug, Default)]
struct Table {
    segments: BTreeMap<u64, Segment>,
}

struct Job {
    header: Vec<u8>,
    raw: Arc<Vec<u8>>,
    ack: oneshot::Sender<Result<EntryId, SpoolError>>,
}

struct Shared {
    dir: PathBuf,
    table: Mutex<Table>,
    used: AtomicU64,
    limit: u64,
}

/// The spool of one node.
#[derive(Clone)]
pub struct Spool {
    shared: Arc<Shared>,
    tx: Arc<Mutex<Option<mpsc::Sender<Job>>>>,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("dir", &self.shared.dir)
            .finish_non_exhaustive()
    }
}

fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("seg-{n:016}.spool"))
}

fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Reads the records of one segment; stops at the first incomplete or
/// damaged one (a write a crash cut short, never acknowledged).
pub fn read_segment(path: &Path, segment: u64) -> Result<Vec<SpoolEntry>, SpoolError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut index = 0u32;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        if rest.len() < 16 || &rest[..4] != MAGIC {
            tracing::warn!(path = %path.display(), offset = pos, "spool segment ends in an incomplete record");
            break;
        }
        let hlen = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let rlen = u64::from_le_bytes(rest[8..16].try_into().unwrap_or([0; 8])) as usize;
        let total = 16usize
            .checked_add(hlen)
            .and_then(|n| n.checked_add(rlen))
            .and_then(|n| n.checked_add(32));
        let Some(total) = total.filter(|&t| t <= rest.len()) else {
            tracing::warn!(path = %path.display(), offset = pos, "spool segment ends in an incomplete record");
            break;
        };
        let body = &rest[16..16 + hlen + rlen];
        if digest(&SHA256, body).as_ref() != &rest[16 + hlen + rlen..total] {
            tracing::warn!(path = %path.display(), offset = pos, "spool record checksum mismatch: segment ends here");
            break;
        }
        let envelope: SpooledEnvelope =
            serde_json::from_slice(&body[..hlen]).map_err(|e| SpoolError::Io {
                path: path.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
        out.push(SpoolEntry {
            id: EntryId { segment, index },
            envelope,
            raw: Arc::new(body[hlen..].to_vec()),
        });
        index += 1;
        pos += total;
    }
    Ok(out)
}

impl Spool {
    /// Opens (creating) the spool in `dir`, holding at most `limit` bytes.
    /// Returns the spool and the segments left by the previous run, oldest
    /// first, to be read with [`read_segment`] and processed.
    pub fn open(dir: &Path, limit: u64) -> Result<(Spool, Vec<(u64, PathBuf)>), SpoolError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut old = Vec::new();
        let mut used = 0u64;
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            let name = entry.file_name();
            let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_prefix("seg-"))
                .and_then(|n| n.strip_suffix(".spool"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            used += entry.metadata().map(|m| m.len()).unwrap_or(0);
            old.push((n, entry.path()));
        }
        old.sort();
        let next = old.last().map_or(1, |(n, _)| n + 1);
        let shared = Arc::new(Shared {
            dir: dir.to_owned(),
            table: Mutex::new(Table::default()),
            used: AtomicU64::new(used),
            limit,
        });
        {
            let mut table = shared.table.lock().unwrap_or_else(|e| e.into_inner());
            for (n, path) in &old {
                table.segments.insert(
                    *n,
                    Segment {
                        records: 0,
                        done: 0,
                        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
                        // Records are counted as they are read back.
                        sealed: false,
                    },
                );
            }
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("spool-writer".into())
            .spawn(move || writer_loop(writer, rx, next))
            .map_err(io(dir))?;
        Ok((
            Spool {
                shared,
                tx: Arc::new(Mutex::new(Some(tx))),
            },
            old,
        ))
    }

    /// Marks an old segment as read back with `records` records: once they
    /// are all done it is deleted.
    pub fn recovered(&self, segment: u64, records: u32) {
        let mut table = self.table();
        if let Some(s) = table.segments.get_mut(&segment) {
            s.records = records;
            s.sealed = true;
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.shared.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a message; answers once it is durable.
    pub async fn append(
        &self,
        envelope: &SpooledEnvelope,
        raw: Arc<Vec<u8>>,
    ) -> Result<EntryId, SpoolError> {
        let header = serde_json::to_vec(envelope).map_err(|e| SpoolError::Io {
            path: self.shared.dir.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        let size = (16 + header.len() + raw.len() + 32) as u64;
        // Reserve the space first, so concurrent sessions cannot overrun.
        let used = self.shared.used.fetch_add(size, Ordering::SeqCst);
        if used + size > self.shared.limit {
            self.shared.used.fetch_sub(size, Ordering::SeqCst);
            return Err(SpoolError::Full {
                used,
                limit: self.shared.limit,
            });
        }
        let (ack, done) = oneshot::channel();
        let sent = self
            .tx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|tx| tx.send(Job { header, raw, ack }).is_ok())
            .unwrap_or(false);
        if !sent {
            self.shared.used.fetch_sub(size, Ordering::SeqCst);
            return Err(SpoolError::Closed);
        }
        match done.await {
            Ok(result) => result,
            Err(_) => Err(SpoolError::Closed),
        }
    }

    /// Marks a record done: recorded in the store (or found a duplicate).
    pub fn done(&self, id: EntryId) {
        let mut table = self.table();
        if let Some(s) = table.segments.get_mut(&id.segment) {
            s.done += 1;
        }
    }

    /// Segments whose records are all done.
    pub fn finished(&self) -> Vec<u64> {
        self.table()
            .segments
            .iter()
            .filter(|(_, s)| s.sealed && s.done >= s.records)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Deletes finished segments. Call only after the store made the
    /// commits of their records durable.
    pub fn forget(&self, segments: &[u64]) -> Result<(), SpoolError> {
        for n in segments {
            let removed = self.table().segments.remove(n);
            if let Some(s) = removed {
                let path = segment_path(&self.shared.dir, *n);
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(&path)(e)),
                }
                self.shared.used.fetch_sub(s.bytes, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    /// Messages spooled and not yet done.
    pub fn depth(&self) -> u64 {
        self.table()
            .segments
            .values()
            .map(|s| u64::from(s.records.saturating_sub(s.done)))
            .sum()
    }

    /// Bytes the spool holds.
    pub fn used(&self) -> u64 {
        self.shared.used.load(Ordering::SeqCst)
    }

    /// Stops the writer once what was sent is written.
    pub fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

struct Active {
    n: u64,
    file: Option<File>,
    bytes: u64,
}

fn writer_loop(shared: Arc<Shared>, rx: mpsc::Receiver<Job>, mut next: u64) {
    let mut active = Active {
        n: next,
        file: None,
        bytes: 0,
    };
    next += 1;
    loop {
        let first = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(job) => Some(job),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let idle = first.is_none();
        if let Some(first) = first {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let failed = write_batch(&shared, &mut active, jobs);
            if failed {
                // Nothing more goes after a possibly torn record.
                seal(&shared, &mut active, &mut next);
            }
        }
        // Rotate a full segment, or (after half a second without a message)
        // one whose records are all done, so it can be deleted.
        let rotate = active.file.is_some() && {
            let table = shared.table.lock().unwrap_or_else(|e| e.into_inner());
            table
                .segments
                .get(&active.n)
                .is_some_and(|s| s.bytes >= SEGMENT_BYTES || (idle && s.done >= s.records))
        };
        if rotate {
            seal(&shared, &mut active, &mut next);
        }
    }
}

fn seal(shared: &Shared, active: &mut Active, next: &mut u64) {
    if active.file.take().is_some() {
        let mut table = shared.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = table.segments.get_mut(&active.n) {
            s.sealed = true;
        }
    }
    active.n = *next;
    active.bytes = 0;
    *next += 1;
}

/// Writes and syncs a batch; acknowledges each job. Returns whether it
/// failed (the segment must then be sealed).
fn write_batch(shared: &Shared, active: &mut Active, jobs: Vec<Job>) -> bool {
    let path = segment_path(&shared.dir, active.n);
    let mut created = false;
    if active.file.is_none() {
        match OpenOptions::new().create_new(true).append(true).open(&path) {
            Ok(f) => {
                active.file = Some(f);
                created = true;
                let mut table = shared.table.lock().unwrap_or_else(|e| e.into_inner());
                table.segments.insert(active.n, Segment::default());
            }
            Err(e) => {
                let msg = e.to_string();
                for job in jobs {
                    let _ = job.ack.send(Err(SpoolError::Io {
                        path: path.display().to_string(),
                        source: std::io::Error::other(msg.clone()),
                    }));
                }
                return true;
            }
        }
    }
    let mut buf = Vec::with_capacity(jobs.iter().map(|j| j.raw.len() + j.header.len() + 48).sum());
    for job in &jobs {
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&(job.header.len() as u32).to_le_bytes());
        buf.extend_from_slice(&(job.raw.len() as u64).to_le_bytes());
        let start = buf.len();
        buf.extend_from_slice(&job.header);
        buf.extend_from_slice(&job.raw);
        let sum = digest(&SHA256, &buf[start..]);
        buf.extend_from_slice(sum.as_ref());
    }
    let file = active.file.as_mut().expect("segment open");
    let result = file
        .write_all(&buf)
        .and_then(|()| file.sync_data())
        .map_err(|e| e.to_string())
        .and_then(|()| {
            if created {
                sync_dir(&shared.dir).map_err(|e| e.to_string())
            } else {
                Ok(())
            }
        });
    match result {
        Ok(()) => {
            let mut table = shared.table.lock().unwrap_or_else(|e| e.into_inner());
            let seg = table.segments.entry(active.n).or_default();
            let first = seg.records;
            seg.records += jobs.len() as u32;
            seg.bytes += buf.len() as u64;
            active.bytes += buf.len() as u64;
            drop(table);
            for (i, job) in jobs.into_iter().enumerate() {
                let _ = job.ack.send(Ok(EntryId {
                    segment: active.n,
                    index: first + i as u32,
                }));
            }
            false
        }
        Err(msg) => {
            tracing::error!(path = %path.display(), error = %msg, "spool write failed");
            let mut table = shared.table.lock().unwrap_or_else(|e| e.into_inner());
            // The space stays counted against the segment until it goes.
            table.segments.entry(active.n).or_default().bytes += buf.len() as u64;
            drop(table);
            for job in jobs {
                let _ = job.ack.send(Err(SpoolError::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::other(msg.clone()),
                }));
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(n: usize) -> SpooledEnvelope {
        SpooledEnvelope {
            queue_id: format!("q{n}"),
            received_at: 1,
            client_ip: "192.0.2.1".into(),
            client_name: None,
            helo: "mx.example".into(),
            mail_from: "a@example".into(),
            rcpt: vec!["b@example".into()],
            protocol: "ESMTP".into(),
            digest: String::new(),
        }
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cs-spool-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[tokio::test]
    async fn appended_records_are_read_back_and_a_torn_tail_is_ignored() {
        let d = dir("torn");
        let (spool, old) = Spool::open(&d, 1 << 30).unwrap();
        assert!(old.is_empty());
        let mut ids = Vec::new();
        for n in 0..5 {
            let raw = Arc::new(format!("Subject: {n}\r\n\r\nbody {n}\r\n").into_bytes());
            ids.push(spool.append(&envelope(n), raw).await.unwrap());
        }
        assert_eq!(ids[4].index, 4);
        spool.close();
        // A crash in the middle of the next write.
        let path = segment_path(&d, ids[0].segment);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"CSP1\x10\x00\x00\x00garbage").unwrap();
        drop(f);
        let (spool, old) = Spool::open(&d, 1 << 30).unwrap();
        assert_eq!(old.len(), 1);
        let entries = read_segment(&old[0].1, old[0].0).unwrap();
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[3].envelope.queue_id, "q3");
        assert_eq!(entries[3].raw.as_slice(), b"Subject: 3\r\n\r\nbody 3\r\n");
        spool.recovered(old[0].0, entries.len() as u32);
        assert!(spool.finished().is_empty());
        for e in &entries {
            spool.done(e.id);
        }
        assert_eq!(spool.finished(), vec![old[0].0]);
        spool.forget(&[old[0].0]).unwrap();
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn a_full_spool_refuses_and_keeps_what_it_has() {
        let d = dir("full");
        let (spool, _) = Spool::open(&d, 600).unwrap();
        let raw = Arc::new(vec![b'x'; 300]);
        spool.append(&envelope(0), raw.clone()).await.unwrap();
        let err = spool.append(&envelope(1), raw).await.unwrap_err();
        assert!(matches!(err, SpoolError::Full { .. }), "{err}");
        assert_eq!(spool.depth(), 1);
    }

    #[tokio::test]
    async fn concurrent_appends_share_syncs_and_all_land() {
        let d = dir("group");
        let (spool, _) = Spool::open(&d, 1 << 30).unwrap();
        let mut tasks = Vec::new();
        for n in 0..200 {
            let spool = spool.clone();
            tasks.push(tokio::spawn(async move {
                spool
                    .append(&envelope(n), Arc::new(vec![b'y'; 1000]))
                    .await
                    .unwrap()
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap());
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 200);
        assert_eq!(spool.depth(), 200);
    }
}
