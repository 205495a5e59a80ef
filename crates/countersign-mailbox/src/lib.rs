//! Mailboxes Countersign reads: raw RFC 5322 messages fetched from a
//! maildir or an IMAP mailbox, then marked seen, flagged (could not be
//! processed) or moved to a folder. What the messages are is the caller's
//! business: DMARC report mailboxes today, the mailbox employees forward
//! suspicious mail to tomorrow.
//!
//! IMAP goes through async-imap over TLS (rustls, ring provider), or plain
//! text to a server on loopback only.

mod imap;
mod maildir;

pub use imap::{ImapConfig, ImapMailbox, ImapMessage, Security};
pub use maildir::{Maildir, MaildirMessage};

use std::path::PathBuf;

/// What went wrong with a mailbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailboxError {
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The folder is not a maildir.
    #[error("{path} is not a maildir: it has no {missing}/ folder")]
    NotAMaildir {
        /// The folder.
        path: PathBuf,
        /// The subfolder missing.
        missing: &'static str,
    },
    /// A folder name that would leave the maildir.
    #[error("{folder:?} is not a folder name (no '/', '\\' or leading '.')")]
    BadFolder {
        /// The name given.
        folder: String,
    },
    /// A message over the size bound.
    #[error("{message} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Which message.
        message: String,
        /// Its size.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// The mailbox URL is not understood.
    #[error("bad mailbox URL: {reason}")]
    BadUrl {
        /// Why.
        reason: String,
    },
    /// Plain IMAP to a host that is not loopback.
    #[error(
        "plain IMAP to {host} is refused: it would send the password in clear over the network; use imaps://"
    )]
    PlainOffLoopback {
        /// The host.
        host: String,
    },
    /// Could not connect.
    #[error("cannot connect to {host}: {reason}")]
    Connect {
        /// The host.
        host: String,
        /// Why.
        reason: String,
    },
    /// TLS set-up or handshake failed.
    #[error("TLS: {reason}")]
    Tls {
        /// Why.
        reason: String,
    },
    /// The server refused the login.
    #[error("IMAP login as {user} refused: {reason}")]
    Login {
        /// The user.
        user: String,
        /// What the server said.
        reason: String,
    },
    /// A command failed.
    #[error("IMAP {context} failed: {reason}")]
    Imap {
        /// The command.
        context: &'static str,
        /// What the server or client said.
        reason: String,
    },
    /// The server did not answer in time.
    #[error("no answer from the IMAP server during {what}")]
    Timeout {
        /// What was waited for.
        what: &'static str,
    },
}
