//! What goes downstream: a message as the help desk receives it from us,
//! and the delivery status notification a permanent failure sends back.
//!
//! Headers a sender could forge to impersonate our decision (every
//! `X-Countersign-*` field, and `Authentication-Results` carrying our
//! authserv-id, RFC 8601 section 5) are removed before ours are added.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// Our header fields on a relayed message.
#[derive(Debug, Clone, Default)]
pub struct RelayHeaders {
    /// `Received:` trace field value, when we received it over SMTP.
    pub received: Option<String>,
    /// The `Authentication-Results` value (`authserv-id; ...`).
    pub authentication_results: String,
    /// The verdict word.
    pub verdict: String,
    /// Why.
    pub reasons: Vec<String>,
    /// The verification case a hold opened.
    pub case_id: Option<String>,
    /// Who released it from quarantine.
    pub released_by: Option<String>,
}

/// At most this many header fields are examined for forged ones; past it
/// the rest of the header section is kept as it is (the message was
/// judged with its own bound already).
const MAX_FIELDS_SCANNED: usize = 10_000;

/// Folds `text` into a header value of lines under 78 octets, without CR
/// or LF of its own.
fn fold(name: &str, text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = format!("{name}:");
    let mut line_len = out.len();
    for word in clean.split(' ').filter(|w| !w.is_empty()) {
        if line_len + 1 + word.len() > 76 && line_len > name.len() + 1 {
            out.push_str("\r\n\t");
            line_len = 1;
        } else {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out.push_str("\r\n");
    out
}

/// The authserv-id at the start of an `Authentication-Results` value.
pub fn authserv_id(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}

/// Whether a header field (name and value, unfolded or not) is one of ours
/// that a sender must not be able to set.
fn forged(field: &[u8], our_id: &str) -> bool {
    let Some(colon) = field.iter().position(|&b| b == b':') else {
        return false;
    };
    let name = String::from_utf8_lossy(&field[..colon])
        .trim()
        .to_ascii_lowercase();
    if name.starts_with("x-countersign-") {
        return true;
    }
    if name == "authentication-results" && !our_id.is_empty() {
        let value = String::from_utf8_lossy(&field[colon + 1..]);
        let id = value
            .split(|c: char| c == ';' || c.is_whitespace())
            .find(|w| !w.is_empty())
            .unwrap_or_default();
        return id.eq_ignore_ascii_case(our_id);
    }
    false
}

/// The message with forged fields removed and ours prepended.
pub fn compose(raw: &[u8], headers: &RelayHeaders) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 512);
    if let Some(received) = &headers.received {
        out.extend_from_slice(fold("Received", received).as_bytes());
    }
    out.extend_from_slice(
        fold("Authentication-Results", &headers.authentication_results).as_bytes(),
    );
    out.extend_from_slice(fold("X-Countersign-Verdict", &headers.verdict).as_bytes());
    if !headers.reasons.is_empty() {
        out.extend_from_slice(
            fold("X-Countersign-Reasons", &headers.reasons.join("; ")).as_bytes(),
        );
    }
    if let Some(case) = &headers.case_id {
        out.extend_from_slice(fold("X-Countersign-Case", case).as_bytes());
        out.extend_from_slice(
            fold(
                "X-Countersign-Notice",
                "Do not act on this request until it is verified (see the case)",
            )
            .as_bytes(),
        );
    }
    if let Some(by) = &headers.released_by {
        out.extend_from_slice(fold("X-Countersign-Released-By", by).as_bytes());
    }
    let our_id = authserv_id(&headers.authentication_results);
    // The header section ends at the first empty line; fields continue on
    // lines that start with white space.
    let mut pos = 0;
    let mut fields = 0;
    while pos < raw.len() {
        let line_end = |from: usize| {
            raw[from..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(raw.len(), |i| from + i + 1)
        };
        let first = line_end(pos);
        let line = &raw[pos..first];
        if line == b"\r\n" || line == b"\n" || fields >= MAX_FIELDS_SCANNED {
            break;
        }
        let mut end = first;
        while end < raw.len() && (raw[end] == b' ' || raw[end] == b'\t') {
            end = line_end(end);
        }
        fields += 1;
        if !forged(&raw[pos..end], our_id) {
            out.extend_from_slice(&raw[pos..end]);
        }
        pos = end;
    }
    out.extend_from_slice(&raw[pos..]);
    out
}

/// What a bounce says about the failed delivery.
#[derive(Debug, Clone)]
pub struct Bounce<'a> {
    /// Our host name (Reporting-MTA).
    pub reporting_mta: &'a str,
    /// The downstream host that refused it.
    pub remote_mta: &'a str,
    /// The recipients it failed for.
    pub recipients: &'a [String],
    /// The downstream reply (`550 5.1.1 ...`).
    pub diagnostic: &'a str,
    /// The status code (`5.0.0` unless the reply gave one).
    pub status: &'a str,
    /// The original message (its header section is returned).
    pub original: &'a [u8],
    /// When.
    pub now: OffsetDateTime,
    /// A Message-ID for the report.
    pub message_id: &'a str,
}

/// A delivery status notification (RFC 3464) in a multipart/report
/// (RFC 6522), returning the original's header section.
pub fn dsn(bounce: &Bounce<'_>, to: &str) -> Vec<u8> {
    let boundary = format!("=_countersign_{}", bounce.message_id);
    let date = bounce.now.format(&Rfc2822).unwrap_or_default();
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    let header_end = bounce
        .original
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 2)
        .or_else(|| {
            bounce
                .original
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| i + 1)
        })
        .unwrap_or(bounce.original.len());
    let mut out = String::new();
    out.push_str(&format!(
        "From: Mail Delivery System <MAILER-DAEMON@{mta}>\r\n\
         To: <{to}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Date: {date}\r\n\
         Message-ID: <{id}@{mta}>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"{boundary}\"\r\n\r\n",
        mta = clean(bounce.reporting_mta),
        to = clean(to),
        id = clean(bounce.message_id),
    ));
    out.push_str(&format!(
        "--{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         Your message could not be delivered to the following recipients.\r\n\
         The server {remote} answered: {diag}\r\n\r\n",
        remote = clean(bounce.remote_mta),
        diag = clean(bounce.diagnostic),
    ));
    out.push_str(&format!(
        "--{boundary}\r\n\
         Content-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; {mta}\r\n\
         Arrival-Date: {date}\r\n",
        mta = clean(bounce.reporting_mta),
    ));
    for rcpt in bounce.recipients {
        out.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {rcpt}\r\n\
             Action: failed\r\n\
             Status: {status}\r\n\
             Remote-MTA: dns; {remote}\r\n\
             Diagnostic-Code: smtp; {diag}\r\n",
            rcpt = clean(rcpt),
            status = clean(bounce.status),
            remote = clean(bounce.remote_mta),
            diag = clean(bounce.diagnostic),
        ));
    }
    out.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&bounce.original[..header_end]);
    bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> RelayHeaders {
        RelayHeaders {
            received: None,
            authentication_results: "mx.example; spf=pass smtp.mailfrom=a.example".into(),
            verdict: "hold".into(),
            reasons: vec!["asks for an MFA reset".into()],
            case_id: Some("c-1".into()),
            released_by: None,
        }
    }

    #[test]
    fn forged_fields_are_removed_and_ours_added() {
        let raw = b"X-Countersign-Verdict: deliver\r\nAuthentication-Results: mx.example;\r\n dkim=pass\r\nAuthentication-Results: other.example; spf=pass\r\nFrom: a@a.example\r\nSubject: hi\r\n\r\nX-Countersign-Verdict: body text stays\r\n";
        let out = String::from_utf8(compose(raw, &headers())).unwrap();
        assert!(out.starts_with("Authentication-Results: mx.example; spf=pass"));
        assert_eq!(out.matches("X-Countersign-Verdict:").count(), 2, "{out}");
        assert!(out.contains("X-Countersign-Verdict: hold\r\n"));
        assert!(out.contains("X-Countersign-Case: c-1\r\n"));
        assert!(!out.contains("dkim=pass"), "{out}");
        assert!(out.contains("Authentication-Results: other.example; spf=pass\r\n"));
        assert!(out.ends_with("\r\n\r\nX-Countersign-Verdict: body text stays\r\n"));
    }

    #[test]
    fn reasons_are_folded_without_line_breaks_of_their_own() {
        let mut h = headers();
        h.reasons = vec![
            "a\r\nBcc: evil@x.example".into(),
            "x".repeat(30),
            "y".repeat(70),
        ];
        let out = String::from_utf8(compose(b"From: a@b\r\n\r\nbody", &h)).unwrap();
        assert!(!out.contains("\r\nBcc:"), "{out}");
        for line in out.lines() {
            assert!(line.len() < 90, "{line}");
        }
    }

    #[test]
    fn bounce_is_a_delivery_status_report() {
        let b = Bounce {
            reporting_mta: "mx.example",
            remote_mta: "helpdesk.example",
            recipients: &["desk@example".into()],
            diagnostic: "550 5.1.1 no such user",
            status: "5.1.1",
            original: b"From: a@b\r\nSubject: s\r\n\r\nsecret body",
            now: OffsetDateTime::UNIX_EPOCH,
            message_id: "r1",
        };
        let out = String::from_utf8(dsn(&b, "a@b")).unwrap();
        assert!(out.contains("report-type=delivery-status"));
        assert!(out.contains("Final-Recipient: rfc822; desk@example"));
        assert!(out.contains("Status: 5.1.1"));
        assert!(out.contains("Subject: s"));
        assert!(!out.contains("secret body"));
    }
}
