//! Report mailboxes for `countersign dmarc ingest`: messages fetched from
//! a maildir and/or an IMAP mailbox become ingest inputs; once stored (or
//! found to be duplicates) they are marked seen or moved, and a message
//! that could not be read is flagged for a person, so none is taken twice
//! and none is lost silently. A dry run touches nothing.

use anyhow::Result;
use countersign_mailbox::{ImapConfig, ImapMailbox, Maildir, MaildirMessage};
use countersign_service::posture_ingest::{Input, Outcome};
use std::collections::HashMap;

/// Largest message taken from a mailbox.
const MAX_MESSAGE: u64 = 64 * 1024 * 1024;

/// An IMAP mailbox, the messages taken (origin, UID), and those too large.
type ImapTaken = (ImapMailbox, Vec<(String, u32)>, Vec<u32>);

/// The mailboxes of one ingest run.
pub struct Mailboxes {
    maildir: Option<(Maildir, Vec<(String, MaildirMessage)>)>,
    imap: Option<ImapTaken>,
    move_to: Option<String>,
    /// A dry run changes nothing in the mailboxes.
    dry_run: bool,
}

/// Opens the mailboxes the arguments name, if any.
pub async fn open(a: &crate::dmarc_cmd::IngestArgs) -> Result<Option<Mailboxes>> {
    if a.maildir.is_none() && a.imap.is_none() {
        return Ok(None);
    }
    let maildir = match &a.maildir {
        Some(path) => Some((Maildir::open(path)?, Vec::new())),
        None => None,
    };
    let imap = match &a.imap {
        Some(url) => {
            let password = crate::config::secret(
                a.imap_password_file.as_deref(),
                "COUNTERSIGN_IMAP_PASSWORD",
                "the IMAP password (--imap-password-file)",
            )?;
            let config = ImapConfig::from_url(url, password, a.imap_ca.clone())?;
            Some((ImapMailbox::connect(config).await?, Vec::new(), Vec::new()))
        }
        None => None,
    };
    Ok(Some(Mailboxes {
        maildir,
        imap,
        move_to: a.move_to.clone(),
        dry_run: a.dry_run,
    }))
}

impl Mailboxes {
    /// Unseen messages, at most `max` from each mailbox, as ingest inputs.
    pub async fn fetch(&mut self, max: usize) -> Result<Vec<Input>> {
        let mut inputs = Vec::new();
        if let Some((md, taken)) = self.maildir.as_mut() {
            for msg in md.unseen(max)? {
                let origin = format!("maildir:{}", msg.path.display());
                match md.read(&msg, MAX_MESSAGE) {
                    Ok(raw) => {
                        inputs.push(Input::Message {
                            origin: origin.clone(),
                            raw,
                        });
                        taken.push((origin, msg));
                    }
                    Err(e) if self.dry_run => eprintln!("countersign dmarc ingest: {e}"),
                    Err(e) => {
                        eprintln!("countersign dmarc ingest: {e}; flagged for a person");
                        md.mark_failed(&msg)?;
                    }
                }
            }
        }
        if let Some((mb, taken, too_large)) = self.imap.as_mut() {
            let uids = mb.unseen(max).await?;
            let (messages, large) = mb.fetch(&uids, MAX_MESSAGE).await?;
            let name = mb.mailbox().to_owned();
            for m in messages {
                let origin = format!("imap:{name}/{}", m.uid);
                inputs.push(Input::Message {
                    origin: origin.clone(),
                    raw: m.raw,
                });
                taken.push((origin, m.uid));
            }
            for uid in &large {
                eprintln!(
                    "countersign dmarc ingest: imap:{name}/{uid} is larger than {MAX_MESSAGE} bytes; flagged for a person"
                );
            }
            *too_large = large;
        }
        Ok(inputs)
    }

    /// Marks what the run did: done messages seen (or moved), failed ones
    /// flagged. Nothing changes in a dry run.
    pub async fn finish(self, outcomes: &[Outcome]) -> Result<()> {
        let dry_run = self.dry_run;
        let mut failed: HashMap<&str, bool> = HashMap::new();
        for o in outcomes {
            let bad = o.status == "error";
            let e = failed.entry(o.file.as_str()).or_insert(false);
            *e |= bad;
        }
        // A message with no outcome at all was not reached: leave it.
        let done = |origin: &str| failed.get(origin).copied();
        if let Some((md, taken)) = self.maildir {
            for (origin, msg) in taken {
                match (done(&origin), dry_run) {
                    (_, true) | (None, _) => {}
                    (Some(true), _) => {
                        md.mark_failed(&msg)?;
                    }
                    (Some(false), _) => {
                        match &self.move_to {
                            Some(folder) => md.move_to(&msg, folder)?,
                            None => md.mark_seen(&msg)?,
                        };
                    }
                }
            }
        }
        if let Some((mut mb, taken, too_large)) = self.imap {
            if !dry_run {
                let mut ok = Vec::new();
                let mut bad = too_large;
                for (origin, uid) in taken {
                    match done(&origin) {
                        Some(true) => bad.push(uid),
                        Some(false) => ok.push(uid),
                        None => {}
                    }
                }
                mb.mark_failed(&bad).await?;
                match &self.move_to {
                    Some(folder) => mb.move_to(&ok, folder).await?,
                    None => mb.mark_seen(&ok).await?,
                }
            }
            mb.logout().await?;
        }
        Ok(())
    }
}
