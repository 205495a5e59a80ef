//! Finding the reports inside an input: plain XML, gzip, zip, JSON, or an
//! RFC 5322 message carrying any of those as an attachment (or a failure
//! report).
//!
//! The kind is decided by content (magic bytes, the first character, the
//! MIME structure), not by file name. Decompression streams: an aggregate
//! report inside gzip or zip reaches the caller as a `BufRead` that inflates
//! as it is read, bounded by [`ExtractLimits::max_inflated`]. Only what must
//! be whole is read whole, each under its own bound: a mail message (its
//! attachment is decoded in memory), a TLS report's JSON.

use crate::failure::{FailureReport, parse_failure};
use crate::tls::{TlsReportError, TlsReportSummary, parse_tls_json};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek};

/// Bounds on what one input may make us read.
#[derive(Debug, Clone)]
pub struct ExtractLimits {
    /// Largest e-mail message read into memory.
    pub max_message: u64,
    /// Largest TLS report JSON.
    pub max_json: u64,
    /// Most bytes one compressed report may inflate to.
    pub max_inflated: u64,
    /// Most entries read from one zip archive.
    pub max_zip_entries: usize,
    /// Most reports taken from one message.
    pub max_reports_per_message: usize,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_message: 64 * 1024 * 1024,
            max_json: 16 * 1024 * 1024,
            max_inflated: 4 * 1024 * 1024 * 1024,
            max_zip_entries: 16,
            max_reports_per_message: 16,
        }
    }
}

/// Why no report could be taken from an input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// Zero bytes.
    #[error("the input is empty")]
    Empty,
    /// Not a report in any form we read.
    #[error("not a report: {what}")]
    NotAReport {
        /// What it was instead.
        what: String,
    },
    /// Larger than its bound.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The bound.
        limit: u64,
    },
    /// A zip archive that cannot be read.
    #[error("broken zip archive: {reason}")]
    Zip {
        /// What the zip reader said.
        reason: String,
    },
    /// A TLS report that cannot be read.
    #[error(transparent)]
    Tls(#[from] TlsReportError),
    /// Reading failed (including a broken gzip stream).
    #[error("cannot read the input: {source}")]
    Read {
        /// The read error.
        #[from]
        source: io::Error,
    },
}

/// How a report was packed, outermost first (`mail`, `zip`, `gzip`, `xml`, `json`).
pub type Via = Vec<&'static str>;

/// A report found in an input.
pub enum Found<'a> {
    /// A DMARC aggregate report: XML to read with
    /// [`crate::AggregateReader`], inflating as it is read.
    Aggregate {
        /// The XML.
        xml: &'a mut dyn BufRead,
        /// How it was packed.
        via: Via,
    },
    /// A DMARC failure report.
    Failure {
        /// The report.
        report: Box<FailureReport>,
        /// How it was packed.
        via: Via,
    },
    /// An SMTP TLS report.
    Tls {
        /// The report.
        report: Box<TlsReportSummary>,
        /// How it was packed.
        via: Via,
    },
}

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Empty,
    Gzip,
    Zip,
    Xml,
    Json,
    Other,
}

fn sniff(head: &[u8]) -> Sniffed {
    if head.is_empty() {
        return Sniffed::Empty;
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniffed::Gzip;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Sniffed::Xml,
        Some(b'{') => Sniffed::Json,
        // Blanks only: empty, unless the peek window was full.
        None if head.len() < 512 => Sniffed::Empty,
        _ => Sniffed::Other,
    }
}

/// Reads `src` and calls `found` for each report in it; returns how many.
///
/// `src` must be seekable for zip archives (a file, or bytes in memory).
pub fn extract<S, E>(
    src: S,
    limits: &ExtractLimits,
    found: &mut dyn FnMut(Found<'_>) -> Result<(), E>,
) -> Result<usize, E>
where
    S: BufRead + Seek,
    E: From<ExtractError>,
{
    let mut src = src;
    let kind = sniff(peek(&mut src)?.as_slice());
    match kind {
        Sniffed::Zip => zip_entries(src, limits, Vec::new(), found),
        _ => stream(&mut src, kind, limits, Vec::new(), found, true),
    }
}

/// Up to 512 bytes from the start of `src`, not consumed.
fn peek<R: BufRead + ?Sized>(src: &mut R) -> Result<Vec<u8>, ExtractError> {
    let buf = src.fill_buf()?;
    Ok(buf[..buf.len().min(512)].to_vec())
}

/// Handles a non-seekable stream already sniffed as `kind`.
fn stream<E: From<ExtractError>>(
    src: &mut dyn BufRead,
    kind: Sniffed,
    limits: &ExtractLimits,
    mut via: Via,
    found: &mut dyn FnMut(Found<'_>) -> Result<(), E>,
    top: bool,
) -> Result<usize, E> {
    match kind {
        Sniffed::Empty => Err(ExtractError::Empty.into()),
        Sniffed::Xml => {
            via.push("xml");
            found(Found::Aggregate { xml: src, via })?;
            Ok(1)
        }
        Sniffed::Json => {
            via.push("json");
            let json = read_capped(src, limits.max_json, "a TLS report")?;
            let report = parse_tls_json(&json).map_err(ExtractError::from)?;
            found(Found::Tls {
                report: Box::new(report),
                via,
            })?;
            Ok(1)
        }
        Sniffed::Gzip => {
            via.push("gzip");
            let inflate = flate2::bufread::MultiGzDecoder::new(src);
            let mut inner =
                BufReader::with_capacity(64 * 1024, Bounded::new(inflate, limits.max_inflated));
            let head = peek(&mut inner)?;
            match sniff(&head) {
                k @ (Sniffed::Xml | Sniffed::Json) => {
                    stream(&mut inner, k, limits, via, found, false)
                }
                Sniffed::Empty => Err(ExtractError::Empty.into()),
                _ => Err(ExtractError::NotAReport {
                    what: "the gzip content is neither XML nor JSON".into(),
                }
                .into()),
            }
        }
        Sniffed::Zip => Err(ExtractError::NotAReport {
            what: "a zip archive inside a compressed stream".into(),
        }
        .into()),
        Sniffed::Other if top => {
            let raw = read_capped(src, limits.max_message, "an e-mail message")?;
            mail(&raw, limits, via, found)
        }
        Sniffed::Other => Err(ExtractError::NotAReport {
            what: "neither XML, JSON, gzip nor zip".into(),
        }
        .into()),
    }
}

fn zip_entries<S, E>(
    src: S,
    limits: &ExtractLimits,
    mut via: Via,
    found: &mut dyn FnMut(Found<'_>) -> Result<(), E>,
) -> Result<usize, E>
where
    S: Read + Seek,
    E: From<ExtractError>,
{
    via.push("zip");
    let zip_err = |e: zip::result::ZipError| ExtractError::Zip {
        reason: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(src).map_err(zip_err)?;
    let mut n = 0;
    for i in 0..archive.len().min(limits.max_zip_entries) {
        let entry = archive.by_index(i).map_err(zip_err)?;
        if entry.is_dir() {
            continue;
        }
        let mut inner =
            BufReader::with_capacity(64 * 1024, Bounded::new(entry, limits.max_inflated));
        let head = peek(&mut inner)?;
        let kind = sniff(&head);
        if matches!(kind, Sniffed::Xml | Sniffed::Json | Sniffed::Gzip) {
            n += stream(&mut inner, kind, limits, via.clone(), found, false)?;
        }
    }
    if n == 0 {
        return Err(ExtractError::NotAReport {
            what: "the zip archive holds no XML or JSON report".into(),
        }
        .into());
    }
    Ok(n)
}

/// Reports carried by an RFC 5322 message.
fn mail<E: From<ExtractError>>(
    raw: &[u8],
    limits: &ExtractLimits,
    mut via: Via,
    found: &mut dyn FnMut(Found<'_>) -> Result<(), E>,
) -> Result<usize, E> {
    if !looks_like_mail(raw) {
        return Err(ExtractError::NotAReport {
            what: "neither XML, JSON, gzip, zip nor an e-mail message".into(),
        }
        .into());
    }
    via.push("mail");
    let Some(message) = MessageParser::new().parse(raw) else {
        return Err(ExtractError::NotAReport {
            what: "an e-mail message that cannot be parsed".into(),
        }
        .into());
    };
    // A failure report is the whole message (ARF, RFC 5965).
    let is_arf = message
        .parts
        .iter()
        .any(|p| p.is_content_type("message", "feedback-report"));
    if is_arf {
        return match parse_failure(raw) {
            Some(report) => {
                via.push("arf");
                found(Found::Failure {
                    report: Box::new(report),
                    via,
                })?;
                Ok(1)
            }
            None => Err(ExtractError::NotAReport {
                what: "a feedback report (ARF) that cannot be read".into(),
            }
            .into()),
        };
    }
    let mut n = 0;
    let mut seen_types = Vec::new();
    for part in &message.parts {
        if n >= limits.max_reports_per_message {
            break;
        }
        let ct = part
            .content_type()
            .map(|c| {
                format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()).to_ascii_lowercase()
            })
            .unwrap_or_else(|| "text/plain".into());
        let name = part
            .attachment_name()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let body: &[u8] = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => b,
            PartType::Text(t) => {
                let reportish = ct.ends_with("/xml")
                    || ct.contains("tlsrpt")
                    || name.ends_with(".xml")
                    || name.ends_with(".json");
                if !reportish {
                    continue;
                }
                t.as_bytes()
            }
            PartType::Multipart(_) => continue,
            _ => {
                seen_types.push(ct);
                continue;
            }
        };
        seen_types.push(ct.clone());
        let kind = sniff(&body[..body.len().min(512)]);
        let attachment_like = matches!(kind, Sniffed::Gzip | Sniffed::Zip)
            || ct.contains("xml")
            || ct.contains("tlsrpt")
            || ct.contains("json")
            || name.ends_with(".xml")
            || name.ends_with(".json");
        if !attachment_like {
            continue;
        }
        n += match kind {
            Sniffed::Zip => zip_entries(Cursor::new(body), limits, via.clone(), found)?,
            k @ (Sniffed::Gzip | Sniffed::Xml | Sniffed::Json) => {
                let mut cur = Cursor::new(body);
                stream(&mut cur, k, limits, via.clone(), found, false)?
            }
            _ => 0,
        };
    }
    if n > 0 {
        return Ok(n);
    }
    if let Some(report) = parse_failure(raw) {
        via.push("text");
        found(Found::Failure {
            report: Box::new(report),
            via,
        })?;
        return Ok(1);
    }
    let parts = if seen_types.is_empty() {
        "no attachment".to_string()
    } else {
        format!("parts: {}", seen_types.join(", "))
    };
    Err(ExtractError::NotAReport {
        what: format!("no DMARC aggregate, failure or TLS report in this message ({parts})"),
    }
    .into())
}

/// A message starts with a header field (`Name: value`) or a `From ` line.
fn looks_like_mail(raw: &[u8]) -> bool {
    let first = raw.split(|b| *b == b'\n').next().unwrap_or_default();
    if first.starts_with(b"From ") {
        return true;
    }
    match first.iter().position(|b| *b == b':') {
        Some(colon) if colon > 0 => first[..colon]
            .iter()
            .all(|b| b.is_ascii_graphic() && *b != b':'),
        _ => false,
    }
}

fn read_capped(
    src: &mut dyn BufRead,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, ExtractError> {
    let mut out = Vec::new();
    src.take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(ExtractError::TooLarge { what, limit });
    }
    Ok(out)
}

/// A reader that fails once more than `limit` bytes came through: a bound
/// on what a compressed report may inflate to.
struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R> Bounded<R> {
    fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            left: limit,
            limit,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One probe byte tells a stream that ends here from one that goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(format!(
                    "the report inflates to more than {} bytes",
                    self.limit
                ))),
            };
        }
        let cap = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b""), Sniffed::Empty);
        assert_eq!(sniff(b"  \n"), Sniffed::Empty);
        assert_eq!(sniff(b"\x1f\x8b\x08"), Sniffed::Gzip);
        assert_eq!(sniff(b"PK\x03\x04"), Sniffed::Zip);
        assert_eq!(sniff(b"\xEF\xBB\xBF<?xml"), Sniffed::Xml);
        assert_eq!(sniff(b" {\"a\":1}"), Sniffed::Json);
        assert_eq!(sniff(b"From: a@b"), Sniffed::Other);
    }

    #[test]
    fn inflation_is_bounded() {
        let mut r = Bounded::new(&[7u8; 100][..], 10);
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert!(e.to_string().contains("more than 10 bytes"));
        let mut r = Bounded::new(&[7u8; 10][..], 10);
        let mut out = Vec::new();
        assert_eq!(r.read_to_end(&mut out).unwrap(), 10);
    }

    #[test]
    fn mail_detection() {
        assert!(looks_like_mail(b"Return-Path: <a@b>\r\n"));
        assert!(looks_like_mail(b"From a@b Mon Jan 1\n"));
        assert!(!looks_like_mail(b"hello world\n"));
        assert!(!looks_like_mail(b": nothing\n"));
    }
}
