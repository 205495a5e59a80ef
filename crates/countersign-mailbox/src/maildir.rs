//! Maildir (and Maildir++ subfolders): messages not yet seen, read raw,
//! then marked seen, flagged, or moved to a subfolder.
//!
//! A message is "unseen" when it sits in `new/`, or in `cur/` without the
//! `S` flag in its `:2,` info. Renames within one file system are atomic,
//! so another reader never sees a message half-moved.

use crate::MailboxError;
use std::path::{Path, PathBuf};

/// A maildir on disk.
#[derive(Debug, Clone)]
pub struct Maildir {
    root: PathBuf,
}

/// One message in a maildir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirMessage {
    /// Its current path.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

impl MaildirMessage {
    /// The unique part of the file name (before `:2,`).
    pub fn unique(&self) -> String {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match name.split_once(":2,") {
            Some((u, _)) => u.to_owned(),
            None => name,
        }
    }

    fn flags(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .and_then(|n| n.split_once(":2,").map(|(_, f)| f.to_owned()))
            .unwrap_or_default()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MailboxError + '_ {
    move |source| MailboxError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Maildir {
    /// Opens the maildir at `root` (it must have `cur`, `new` and `tmp`).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, MailboxError> {
        let root = root.into();
        for sub in ["cur", "new", "tmp"] {
            let p = root.join(sub);
            if !p.is_dir() {
                return Err(MailboxError::NotAMaildir {
                    path: root,
                    missing: sub,
                });
            }
        }
        Ok(Self { root })
    }

    /// Creates a maildir at `root` (and its parents) if needed.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self, MailboxError> {
        let root = root.into();
        for sub in ["cur", "new", "tmp"] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).map_err(io(&p))?;
        }
        Ok(Self { root })
    }

    /// Its directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Messages not yet seen, oldest file name first, at most `limit`.
    pub fn unseen(&self, limit: usize) -> Result<Vec<MaildirMessage>, MailboxError> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.root.join(sub);
            for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
                let entry = entry.map_err(io(&dir))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let meta = entry.metadata().map_err(io(&entry.path()))?;
                if !meta.is_file() {
                    continue;
                }
                let msg = MaildirMessage {
                    path: entry.path(),
                    size: meta.len(),
                };
                if sub == "cur" && msg.flags().contains('S') {
                    continue;
                }
                out.push(msg);
            }
        }
        out.sort_by_key(MaildirMessage::unique);
        out.truncate(limit);
        Ok(out)
    }

    /// The raw message, refused when larger than `max_bytes`.
    pub fn read(&self, msg: &MaildirMessage, max_bytes: u64) -> Result<Vec<u8>, MailboxError> {
        if msg.size > max_bytes {
            return Err(MailboxError::TooLarge {
                message: msg.path.display().to_string(),
                size: msg.size,
                limit: max_bytes,
            });
        }
        std::fs::read(&msg.path).map_err(io(&msg.path))
    }

    /// Adds `flags` (maildir letters, e.g. `S`, `F`) and moves the message to
    /// `cur/` of `folder` (this maildir when `None`, else the Maildir++
    /// subfolder `.<folder>`, created if needed). Returns the new path.
    fn place(
        &self,
        msg: &MaildirMessage,
        flags: &str,
        folder: Option<&str>,
    ) -> Result<PathBuf, MailboxError> {
        let mut all: Vec<char> = msg.flags().chars().chain(flags.chars()).collect();
        all.sort_unstable();
        all.dedup();
        let flags: String = all.into_iter().collect();
        let target_root = match folder {
            None => self.root.clone(),
            Some(f) => {
                if f.is_empty() || f.contains(['/', '\\']) || f.starts_with('.') {
                    return Err(MailboxError::BadFolder {
                        folder: f.to_owned(),
                    });
                }
                Maildir::create(self.root.join(format!(".{f}")))?.root
            }
        };
        let target = target_root
            .join("cur")
            .join(format!("{}:2,{flags}", msg.unique()));
        std::fs::rename(&msg.path, &target).map_err(io(&msg.path))?;
        Ok(target)
    }

    /// Marks a message seen (`new/` to `cur/`, flag `S`).
    pub fn mark_seen(&self, msg: &MaildirMessage) -> Result<PathBuf, MailboxError> {
        self.place(msg, "S", None)
    }

    /// Marks a message seen and flagged (`S`, `F`): it could not be
    /// processed and should be looked at by a person.
    pub fn mark_failed(&self, msg: &MaildirMessage) -> Result<PathBuf, MailboxError> {
        self.place(msg, "FS", None)
    }

    /// Moves a message, marked seen, to the subfolder `folder`.
    pub fn move_to(&self, msg: &MaildirMessage, folder: &str) -> Result<PathBuf, MailboxError> {
        self.place(msg, "S", Some(folder))
    }

    /// Delivers a message into `new/` (the maildir protocol: write in `tmp/`,
    /// then rename). For tests and for tools that feed a maildir.
    pub fn deliver(&self, raw: &[u8]) -> Result<PathBuf, MailboxError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let unique = format!(
            "{}.M{}P{}Q{}.countersign",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let tmp = self.root.join("tmp").join(&unique);
        std::fs::write(&tmp, raw).map_err(io(&tmp))?;
        let new = self.root.join("new").join(&unique);
        std::fs::rename(&tmp, &new).map_err(io(&tmp))?;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("cs-maildir-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    #[test]
    fn unseen_messages_are_taken_and_marked_once() {
        let md = Maildir::create(temp("mark")).unwrap();
        let a = md.deliver(b"Subject: a\r\n\r\nA").unwrap();
        let b = md.deliver(b"Subject: b\r\n\r\nB").unwrap();
        md.deliver(b"Subject: c\r\n\r\nC").unwrap();
        // A message already seen in cur/ is not unseen.
        std::fs::write(md.root().join("cur").join("1.old:2,S"), b"seen").unwrap();
        let unseen = md.unseen(10).unwrap();
        assert_eq!(unseen.len(), 3);
        assert_eq!(unseen[0].path, a);
        assert_eq!(md.read(&unseen[0], 1000).unwrap(), b"Subject: a\r\n\r\nA");
        assert!(matches!(
            md.read(&unseen[1], 3),
            Err(MailboxError::TooLarge { .. })
        ));
        let seen = md.mark_seen(&unseen[0]).unwrap();
        assert!(seen.to_string_lossy().ends_with(":2,S"));
        assert!(seen.starts_with(md.root().join("cur")));
        let failed = md.mark_failed(&unseen[1]).unwrap();
        assert!(
            failed.to_string_lossy().ends_with(":2,FS"),
            "{}",
            failed.display()
        );
        let moved = md.move_to(&unseen[2], "Processed").unwrap();
        assert!(moved.starts_with(md.root().join(".Processed").join("cur")));
        assert!(md.unseen(10).unwrap().is_empty());
        assert!(!b.exists());
        assert!(md.move_to(&unseen[2], "../x").is_err());
        assert!(matches!(
            Maildir::open(temp("none")),
            Err(MailboxError::NotAMaildir { .. })
        ));
    }
}
