//! A single pass over the raw header section that records what is wrong
//! with the message itself, before any protocol looks at it.

use countersign_model::auth::MessageDefect;
use countersign_model::bounds::{BoundHit, WorkBound};

/// Sizes beyond which a header is a defect. Real mail stays far below them;
/// attackers and broken software do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// Longest accepted header field (name, value and folding), in bytes.
    pub max_field: usize,
    /// Longest accepted header section, in bytes.
    pub max_section: usize,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        Self {
            max_field: 64 * 1024,
            max_section: 1024 * 1024,
        }
    }
}

/// What the header scan found.
#[derive(Debug, Clone, Default)]
pub struct HeaderScan {
    /// Defects, in the order found.
    pub defects: Vec<MessageDefect>,
    /// Number of From header fields.
    pub from_headers: usize,
    /// The first From value (truncated), for error messages.
    pub first_from_value: String,
    /// Number of header fields.
    pub fields: usize,
    /// Number of ARC sets: the most of ARC-Seal, ARC-Message-Signature and
    /// ARC-Authentication-Results fields.
    pub arc_sets: usize,
}

const SHOWN: usize = 200;

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Scans the header section of `raw`: field sizes, From count, and
/// Authentication-Results fields that claim our `authserv_id`.
///
/// Incoming Authentication-Results are never trusted; one that carries our
/// own authserv-id can only be a forgery (RFC 8601 section 5) and is reported.
pub fn scan_headers(raw: &[u8], authserv_id: &str, limits: &HeaderLimits) -> HeaderScan {
    let mut scan = HeaderScan::default();
    let mut arc = [0usize; 3];
    let mut pos = 0;
    let mut saw_field = false;
    while pos < raw.len() {
        // End of the header section: an empty line.
        if raw[pos..].starts_with(b"\r\n") || raw[pos] == b'\n' {
            break;
        }
        let start = pos;
        // A field runs to the first line break not followed by folding whitespace.
        let mut end = pos;
        loop {
            match memchr_newline(&raw[end..]) {
                Some(nl) => {
                    end += nl + 1;
                    if end < raw.len() && (raw[end] == b' ' || raw[end] == b'\t') {
                        continue;
                    }
                    break;
                }
                None => {
                    end = raw.len();
                    break;
                }
            }
        }
        pos = end;
        let field = &raw[start..end];
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            if !saw_field {
                scan.defects.push(MessageDefect::Unparsable {
                    reason: format!("first line is not a header field: {:?}", shown(field)),
                });
                return scan;
            }
            // A stray line inside the header section; mail-auth skips it too.
            continue;
        };
        saw_field = true;
        scan.fields += 1;
        let name = &field[..colon];
        let value = &field[colon + 1..];
        if field.len() > limits.max_field {
            scan.defects.push(MessageDefect::OversizedHeader {
                name: shown(name),
                length: field.len(),
            });
        }
        let trimmed = name.trim_ascii();
        if let Some(kind) = [
            &b"arc-seal"[..],
            b"arc-message-signature",
            b"arc-authentication-results",
        ]
        .iter()
        .position(|arc_name| trimmed.eq_ignore_ascii_case(arc_name))
        {
            arc[kind] += 1;
        }
        if name.trim_ascii().eq_ignore_ascii_case(b"from") {
            scan.from_headers += 1;
            if scan.from_headers == 1 {
                scan.first_from_value = shown(value);
            }
        } else if name
            .trim_ascii()
            .eq_ignore_ascii_case(b"authentication-results")
            && claims_authserv_id(value, authserv_id)
        {
            scan.defects
                .push(MessageDefect::ForgedAuthenticationResults {
                    value: shown(value),
                });
        }
    }
    if pos > limits.max_section {
        scan.defects
            .push(MessageDefect::OversizedHeaderSection { length: pos });
    }
    if scan.from_headers > 1 {
        scan.defects.push(MessageDefect::MultipleFromHeaders {
            count: scan.from_headers,
        });
    }
    if let Some(hit) = BoundHit::check(WorkBound::HeaderFields, scan.fields) {
        scan.defects.push(MessageDefect::WorkBound(hit));
    }
    scan.arc_sets = arc.into_iter().max().unwrap_or(0);
    scan
}

fn memchr_newline(haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == b'\n')
}

/// The authserv-id is the first token of the value, before `;` (RFC 8601
/// section 2.2), possibly preceded by comments and followed by a version.
fn claims_authserv_id(value: &[u8], authserv_id: &str) -> bool {
    let value = String::from_utf8_lossy(value);
    let mut rest = value.trim_start();
    // Skip leading comments such as "(from relay)".
    while let Some(stripped) = rest.strip_prefix('(') {
        match stripped.find(')') {
            Some(close) => rest = stripped[close + 1..].trim_start(),
            None => return false,
        }
    }
    let id = rest
        .split(|c: char| c == ';' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    id.eq_ignore_ascii_case(authserv_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(scan: &HeaderScan) -> Vec<String> {
        scan.defects.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn forged_results_for_our_id_only() {
        let msg = b"Authentication-Results: mx.countersign.example; dkim=pass\r\n\
Authentication-Results: (relay) MX.COUNTERSIGN.EXAMPLE 1; spf=pass\r\n\
Authentication-Results: other.example; spf=pass\r\nFrom: a@b.example\r\n\r\nbody";
        let scan = scan_headers(msg, "mx.countersign.example", &HeaderLimits::default());
        assert_eq!(scan.defects.len(), 2, "{:?}", kinds(&scan));
        assert_eq!(scan.from_headers, 1);
    }

    #[test]
    fn several_from_and_oversized_fields() {
        let long = format!("Subject: {}\r\n", "x".repeat(100));
        let msg = format!("From: a@b.example\r\nFrom: c@d.example\r\n{long}\r\nbody");
        let limits = HeaderLimits {
            max_field: 50,
            max_section: 120,
        };
        let scan = scan_headers(msg.as_bytes(), "id", &limits);
        let found = kinds(&scan);
        assert!(
            found.iter().any(|d| d.contains("2 From headers")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|d| d.contains("header Subject")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|d| d.contains("header section")),
            "{found:?}"
        );
    }

    #[test]
    fn garbage_is_unparsable() {
        let scan = scan_headers(b"\x00\x01 not a message", "id", &HeaderLimits::default());
        assert!(matches!(scan.defects[0], MessageDefect::Unparsable { .. }));
    }
}
