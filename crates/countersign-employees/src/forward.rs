//! A suspicious message an employee forwards to the report address: who
//! forwarded it (the wrapper's From), their note (the wrapper's own text),
//! and the suspicious message itself when it was attached whole
//! (`message/rfc822`, as "forward as attachment" sends it). An inline
//! forward keeps only its text: the original headers are gone, and what
//! is left is the employee's account of it.
//!
//! Whether the wrapper really comes from that employee is decided by the
//! service (DMARC of the wrapper, the directory); this only reads.

use crate::report::MAX_DETAILS;
use mail_parser::{Address, MessageParser, MimeHeaders, PartType};

/// What a forward holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// The forwarder's address (the wrapper's From), lowercase.
    pub from: String,
    /// The wrapper's subject.
    pub subject: String,
    /// The forwarder's note, or the inline forward's text, bounded.
    pub note: String,
    /// The first attached message, byte for byte.
    pub attached: Option<Vec<u8>>,
}

/// Why a forward cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// Not a mail message.
    #[error("not a mail message")]
    NotMail,
    /// No single From address to answer to.
    #[error("the forward has no single From address")]
    NoSender,
    /// Neither an attachment nor any text: nothing to report.
    #[error("the forward holds neither an attached message nor any text")]
    Empty,
}

/// Reads a forward.
pub fn read(raw: &[u8]) -> Result<Forward, ForwardError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(ForwardError::NotMail)?;
    let from = match message.from() {
        Some(Address::List(list)) if list.len() == 1 => list[0]
            .address()
            .map(str::to_ascii_lowercase)
            .ok_or(ForwardError::NoSender)?,
        _ => return Err(ForwardError::NoSender),
    };
    let attached = message.parts.iter().find_map(|part| match &part.body {
        PartType::Message(inner) => Some(inner.raw_message().to_vec()),
        // Some clients attach the message as a file, not as message/rfc822.
        PartType::Binary(bytes) | PartType::InlineBinary(bytes)
            if part
                .attachment_name()
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".eml")) =>
        {
            Some(bytes.to_vec())
        }
        _ => None,
    });
    let note: String = message
        .body_text(0)
        .map(|t| t.trim().chars().take(MAX_DETAILS).collect())
        .unwrap_or_default();
    if attached.is_none() && note.is_empty() {
        return Err(ForwardError::Empty);
    }
    Ok(Forward {
        from,
        subject: message
            .subject()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect(),
        note,
        attached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUSPICIOUS: &str = "From: \"IT Support\" <help@it-desk.example>\r\nTo: erin@org.example\r\n\
        Subject: Your mailbox\r\n\r\nCall +1 555 0100 now.\r\n";

    #[test]
    fn an_attached_message_is_kept_whole() {
        let raw = format!(
            "From: Erin <Erin@Org.example>\r\nTo: report@org.example\r\nSubject: Fwd: Your mailbox\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
             Content-Type: text/plain\r\n\r\nThis came this morning.\r\n--b\r\n\
             Content-Type: message/rfc822\r\n\r\n{SUSPICIOUS}\r\n--b--\r\n"
        );
        let f = read(raw.as_bytes()).unwrap();
        assert_eq!(f.from, "erin@org.example");
        assert_eq!(f.note, "This came this morning.");
        let attached = String::from_utf8(f.attached.unwrap()).unwrap();
        assert!(attached.starts_with("From: \"IT Support\" <help@it-desk.example>"));
        assert!(attached.contains("Call +1 555 0100 now."));
    }

    #[test]
    fn an_inline_forward_keeps_its_text() {
        let raw = "From: erin@org.example\r\nSubject: Fwd: x\r\n\r\n---------- Forwarded message ---------\r\nCall +1 555 0100\r\n";
        let f = read(raw.as_bytes()).unwrap();
        assert!(f.attached.is_none());
        assert!(f.note.contains("Call +1 555 0100"));
    }

    #[test]
    fn what_cannot_be_answered_or_holds_nothing_is_refused() {
        assert_eq!(
            read(b"Subject: x\r\n\r\nhello\r\n"),
            Err(ForwardError::NoSender)
        );
        assert_eq!(
            read(b"From: a@b.example, c@d.example\r\n\r\nhello\r\n"),
            Err(ForwardError::NoSender)
        );
        assert_eq!(
            read(b"From: a@b.example\r\nSubject: x\r\n\r\n\r\n"),
            Err(ForwardError::Empty)
        );
    }
}
