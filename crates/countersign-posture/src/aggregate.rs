//! Streaming reader of DMARC aggregate reports (RFC 7489 appendix C, and the
//! DMARCbis `urn:ietf:params:xml:ns:dmarc-2.0` schema).
//!
//! [`AggregateReader`] reads the report's header, then hands out one
//! [`Record`] at a time: memory stays at a bounded input window and one
//! record, whatever the report's size. Every text field, list and nesting
//! level is bounded by [`Limits`].
//!
//! Two paths share one parser. Records, the bulk of a report, are located
//! by their end tag in the input window and parsed in place with quick-xml's
//! slice reader (no copy, no allocation per element). The header and
//! anything unusual (comments or CDATA inside a record, stray elements,
//! bytes that are not UTF-8) go through quick-xml's buffered reader, event
//! by event, with the same parser.
//!
//! Real reports are not always well-formed. The reader recovers, and notes a
//! [`Warning`], where the intent is unambiguous: a `<` that should have been
//! escaped inside a text field (`<email><bad@example.net></email>`), bytes
//! that are not UTF-8, values in the wrong case (`Pass`), a missing end tag
//! closed by its parent's, a report wrapped in another element. Anything
//! else is an [`AggregateError`] naming the line and what was wrong; a caller
//! storing records must then discard what it stored of this report (see
//! `countersign-store`).

use crate::input::{Input, Lines};
use crate::model::*;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::VecDeque;
use std::io::Read;
use std::net::IpAddr;

/// The DMARCbis aggregate report namespace.
pub const DMARCBIS_NAMESPACE: &str = "urn:ietf:params:xml:ns:dmarc-2.0";

/// Bounds on the work one report may cause.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest text field, in bytes.
    pub max_text: usize,
    /// Largest single record (and largest header), in bytes.
    pub max_record_bytes: usize,
    /// Most records in one report.
    pub max_records: u64,
    /// Most DKIM plus SPF results in one record.
    pub max_auth_results: usize,
    /// Most override reasons in one record.
    pub max_reasons: usize,
    /// Most `error` entries in the metadata.
    pub max_errors: usize,
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Warnings kept (more are counted, not kept).
    pub max_warnings: usize,
    /// Records held while waiting for metadata that comes after them.
    pub max_early_records: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_text: 8 * 1024,
            max_record_bytes: 1024 * 1024,
            max_records: 50_000_000,
            max_auth_results: 100,
            max_reasons: 20,
            max_errors: 100,
            max_depth: 64,
            max_warnings: 100,
            max_early_records: 10_000,
        }
    }
}

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AggregateError {
    /// The document is not an aggregate report, or misses what one must hold.
    #[error("line {line}: {message}")]
    Invalid {
        /// Line of the report.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// The XML itself is broken beyond recovery.
    #[error("line {line}: malformed XML: {message}")]
    Xml {
        /// Line of the report.
        line: u64,
        /// What quick-xml reported.
        message: String,
    },
    /// The input could not be read (including a broken gzip or zip stream).
    #[error("line {line}: cannot read the input: {message}")]
    Read {
        /// Line reached.
        line: u64,
        /// The read error.
        message: String,
    },
    /// The report ended before `</feedback>`.
    #[error(
        "line {line}: the report ends before </feedback> (truncated?) after {records} record(s)"
    )]
    Truncated {
        /// Last line.
        line: u64,
        /// Records read before the end.
        records: u64,
    },
    /// A bound of [`Limits`] was exceeded.
    #[error("line {line}: {what} exceeds the limit of {limit}")]
    Limit {
        /// Line of the report.
        line: u64,
        /// What grew too large.
        what: &'static str,
        /// The bound.
        limit: u64,
    },
}

impl AggregateError {
    /// The line of the report the error was found at.
    pub fn line(&self) -> u64 {
        match self {
            Self::Invalid { line, .. }
            | Self::Xml { line, .. }
            | Self::Read { line, .. }
            | Self::Truncated { line, .. }
            | Self::Limit { line, .. } => *line,
        }
    }
}

macro_rules! tags {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// Element names the reader knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Tag { $($variant,)+ Other }

        impl Tag {
            fn exact(name: &str) -> Tag {
                match name { $($name => Tag::$variant,)+ _ => Tag::Other }
            }
            fn name(self) -> &'static str {
                match self { $(Tag::$variant => $name,)+ Tag::Other => "?" }
            }
        }
    };
}

tags!(
    Feedback => "feedback",
    Version => "version",
    ReportMetadata => "report_metadata",
    OrgName => "org_name",
    Email => "email",
    ExtraContactInfo => "extra_contact_info",
    ReportId => "report_id",
    DateRange => "date_range",
    Begin => "begin",
    End => "end",
    Error => "error",
    Generator => "generator",
    PolicyPublished => "policy_published",
    Domain => "domain",
    Adkim => "adkim",
    Aspf => "aspf",
    P => "p",
    Sp => "sp",
    Np => "np",
    Pct => "pct",
    Fo => "fo",
    Testing => "testing",
    DiscoveryMethod => "discovery_method",
    Record => "record",
    Row => "row",
    SourceIp => "source_ip",
    Count => "count",
    PolicyEvaluated => "policy_evaluated",
    Disposition => "disposition",
    Dkim => "dkim",
    Spf => "spf",
    Reason => "reason",
    Type => "type",
    Comment => "comment",
    Identifiers => "identifiers",
    HeaderFrom => "header_from",
    EnvelopeFrom => "envelope_from",
    EnvelopeTo => "envelope_to",
    AuthResults => "auth_results",
    Selector => "selector",
    Scope => "scope",
    Result => "result",
    HumanResult => "human_result",
);

/// The known tag of an element name: namespace prefix dropped, case ignored.
fn tag_of(name: &str) -> Tag {
    let t = Tag::exact(name);
    if t != Tag::Other || name.len() > 48 {
        return t;
    }
    let local = name.rsplit_once(':').map_or(name, |(_, l)| l);
    let t = Tag::exact(local);
    if t != Tag::Other || !local.bytes().any(|b| b.is_ascii_uppercase()) {
        return t;
    }
    Tag::exact(&local.to_ascii_lowercase())
}

/// An open element: its tag, and its name only when the tag is unknown.
#[derive(Debug, Clone)]
struct Open {
    tag: Tag,
    name: Option<Box<str>>,
}

impl Open {
    fn of(name: &str) -> Self {
        let tag = tag_of(name);
        Open {
            tag,
            name: (tag == Tag::Other).then(|| name.into()),
        }
    }

    fn matches(&self, name: &str) -> bool {
        match &self.name {
            None => tag_of(name) == self.tag,
            Some(n) => **n == *name,
        }
    }

    fn shown(&self) -> &str {
        self.name.as_deref().unwrap_or(self.tag.name())
    }
}

/// A child element found by [`Parser::next_child`]: not yet entered.
struct Child {
    open: Open,
    empty: bool,
}

/// What [`AggregateReader`] knows once the report is read to its end.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportSummary {
    /// Totals over every record.
    pub volume: Volume,
    /// What was recovered from (at most [`Limits::max_warnings`]).
    pub warnings: Vec<Warning>,
    /// Warnings beyond the kept ones.
    pub warnings_dropped: u64,
}

/// Where XML events come from: the buffered reader over the input, or the
/// slice reader over one record in the window.
trait Source {
    fn event(&mut self) -> Result<Event<'_>, quick_xml::Error>;
    fn line(&mut self) -> u64;
}

struct Buffered<'a, R: Read> {
    xml: Reader<&'a mut Input<R>>,
    buf: &'a mut Vec<u8>,
}

impl<R: Read> Source for Buffered<'_, R> {
    fn event(&mut self) -> Result<Event<'_>, quick_xml::Error> {
        self.buf.clear();
        self.xml.read_event_into(self.buf)
    }
    fn line(&mut self) -> u64 {
        self.xml.get_mut().line()
    }
}

struct Slice<'a> {
    xml: Reader<&'a [u8]>,
    /// The buffer the slice lies in, and where it starts, for line numbers.
    buf: &'a [u8],
    start: usize,
    lines: &'a mut Lines,
}

impl Source for Slice<'_> {
    fn event(&mut self) -> Result<Event<'_>, quick_xml::Error> {
        self.xml.read_event()
    }
    fn line(&mut self) -> u64 {
        let at = self.start + self.xml.buffer_position() as usize;
        self.lines.line_at(self.buf, at)
    }
}

fn configure<R>(xml: &mut Reader<R>) {
    let config = xml.config_mut();
    config.trim_text(false);
    // End names are checked by the parser, so that a misplaced end tag
    // can be recovered from instead of failing the whole report.
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.expand_empty_elements = false;
}

fn xml_error(e: quick_xml::Error, line: u64) -> AggregateError {
    match e {
        quick_xml::Error::Io(io) => AggregateError::Read {
            line,
            message: io.to_string(),
        },
        other => AggregateError::Xml {
            line,
            message: other.to_string(),
        },
    }
}

/// The parser's state, shared by both event sources.
struct Parser {
    text: String,
    /// The open elements above the current position.
    open: Vec<Open>,
    /// An end tag that closes an element further up (recovery), waiting to
    /// be seen by that element's reader: the index in `open`.
    pending_end: Option<usize>,
    header: ReportHeader,
    saw_metadata: bool,
    saw_policy: bool,
    early: VecDeque<Record>,
    summary: ReportSummary,
    limits: Limits,
}

impl Parser {
    fn warn(&mut self, line: u64, message: impl Into<String>) {
        if self.summary.warnings.len() < self.limits.max_warnings {
            self.summary.warnings.push(Warning {
                line,
                message: message.into(),
            });
        } else {
            self.summary.warnings_dropped += 1;
        }
    }

    fn limit(line: u64, what: &'static str, limit: usize) -> AggregateError {
        AggregateError::Limit {
            line,
            what,
            limit: limit as u64,
        }
    }

    /// The next child element of the innermost open element, or `None` at
    /// its end tag. Text between elements is ignored.
    fn next_child(&mut self, src: &mut impl Source) -> Result<Option<Child>, AggregateError> {
        let depth = self.open.len();
        if let Some(target) = self.pending_end {
            // An end tag further up closed this element implicitly.
            if target + 1 < depth {
                self.open.pop();
                return Ok(None);
            }
            self.pending_end = None;
            if target + 1 == depth {
                self.open.pop();
                return Ok(None);
            }
        }
        loop {
            let ev = match src.event() {
                Ok(ev) => ev,
                Err(e) => return Err(xml_error(e, src.line())),
            };
            match ev {
                Event::Start(s) | Event::Empty(s) if depth >= self.limits.max_depth => {
                    let _ = s;
                    return Err(Self::limit(
                        src.line(),
                        "element nesting",
                        self.limits.max_depth,
                    ));
                }
                Event::Start(s) => {
                    return Ok(Some(Child {
                        open: Open::of(s.name().as_ref()),
                        empty: false,
                    }));
                }
                Event::Empty(s) => {
                    return Ok(Some(Child {
                        open: Open::of(s.name().as_ref()),
                        empty: true,
                    }));
                }
                Event::End(e) => {
                    let name = e.name();
                    let name = name.as_ref();
                    if self.open.last().is_some_and(|top| top.matches(name)) {
                        self.open.pop();
                        return Ok(None);
                    }
                    if let Some(pos) = self.open.iter().rposition(|o| o.matches(name)) {
                        let message = format!(
                            "missing </{}>: closed by </{name}>",
                            self.open.last().map_or("", |o| o.shown())
                        );
                        self.warn(src.line(), message);
                        self.pending_end = Some(pos);
                        self.open.pop();
                        return Ok(None);
                    }
                    let message = format!("ignored an end tag </{name}> that closes nothing");
                    self.warn(src.line(), message);
                }
                Event::Eof => {
                    return Err(AggregateError::Truncated {
                        line: src.line(),
                        records: self.summary.volume.records,
                    });
                }
                Event::Text(t) if !t.trim_ascii().is_empty() => {
                    let message = format!(
                        "ignored text inside <{}>",
                        self.open.last().map_or("", |o| o.shown())
                    );
                    self.warn(src.line(), message);
                }
                _ => {} // comments, processing instructions, CDATA between elements
            }
        }
    }

    /// Enters a child container; false when it is empty (`<x/>`).
    fn enter(&mut self, child: Child) -> bool {
        if child.empty {
            return false;
        }
        self.open.push(child.open);
        true
    }

    /// Skips a child and everything in it.
    fn skip(&mut self, child: Child, src: &mut impl Source) -> Result<(), AggregateError> {
        if self.enter(child) {
            while let Some(c) = self.next_child(src)? {
                self.skip(c, src)?;
            }
        }
        Ok(())
    }

    /// Reads the text of a leaf child into `self.text`, trimmed. Recovers
    /// from an unescaped `<` in the text.
    fn leaf(&mut self, child: &Child, src: &mut impl Source) -> Result<(), AggregateError> {
        self.text.clear();
        if child.empty {
            return Ok(());
        }
        let leaf = &child.open;
        loop {
            let ev = match src.event() {
                Ok(ev) => ev,
                Err(e) => return Err(xml_error(e, src.line())),
            };
            match ev {
                Event::Text(t) => self.text.push_str(&t),
                Event::CData(c) => self.text.push_str(&c),
                Event::GeneralRef(r) => match r.resolve_char_ref() {
                    Ok(Some(c)) => self.text.push(c),
                    _ => match &*r {
                        "amp" => self.text.push('&'),
                        "lt" => self.text.push('<'),
                        "gt" => self.text.push('>'),
                        "quot" => self.text.push('"'),
                        "apos" => self.text.push('\''),
                        other => {
                            let message = format!(
                                "unknown entity &{other}; in <{}> kept as written",
                                leaf.shown()
                            );
                            self.text.push('&');
                            self.text.push_str(other);
                            self.text.push(';');
                            self.warn(src.line(), message);
                        }
                    },
                },
                ev @ (Event::Start(_) | Event::Empty(_)) => {
                    // A '<' the writer did not escape: `<email><a@b></email>`
                    // or `<header_from>bad<xml.net</header_from>`.
                    let (raw, close): (&str, &str) = match &ev {
                        Event::Start(s) => (s, ">"),
                        Event::Empty(s) => (s, "/>"),
                        _ => ("", ""),
                    };
                    self.text.push('<');
                    self.text.push_str(raw);
                    let closing = format!("</{}", leaf.shown());
                    let done = match self.text.find(&closing) {
                        Some(cut) => {
                            self.text.truncate(cut);
                            true
                        }
                        None => {
                            self.text.push_str(close);
                            false
                        }
                    };
                    let message = format!(
                        "unescaped '<' in the text of <{}>: read as text",
                        leaf.shown()
                    );
                    drop(ev);
                    self.warn(src.line(), message);
                    if done {
                        break;
                    }
                }
                Event::End(e) => {
                    let end = e.name();
                    let end = end.as_ref();
                    if leaf.matches(end) {
                        break;
                    }
                    if let Some(pos) = self.open.iter().rposition(|o| o.matches(end)) {
                        let message = format!("missing </{}>: closed by </{end}>", leaf.shown());
                        self.pending_end = Some(pos);
                        self.warn(src.line(), message);
                        break;
                    }
                    let message = format!("stray </{end}> inside <{}>: read as text", leaf.shown());
                    self.text.push_str("</");
                    self.text.push_str(end);
                    self.text.push('>');
                    self.warn(src.line(), message);
                }
                Event::Eof => {
                    return Err(AggregateError::Truncated {
                        line: src.line(),
                        records: self.summary.volume.records,
                    });
                }
                _ => {} // comments, processing instructions
            }
            if self.text.len() > self.limits.max_text {
                return Err(Self::limit(
                    src.line(),
                    "a text field",
                    self.limits.max_text,
                ));
            }
        }
        let trimmed = self.text.trim();
        if trimmed.len() != self.text.len() {
            let start = self.text.len() - self.text.trim_start().len();
            let len = trimmed.len();
            self.text.drain(..start);
            self.text.truncate(len);
        }
        Ok(())
    }

    /// The text of a leaf child, owned.
    fn text_of(&mut self, child: Child, src: &mut impl Source) -> Result<String, AggregateError> {
        self.leaf(&child, src)?;
        Ok(self.text.clone())
    }

    /// The text of a leaf child, or `None` when empty.
    fn opt_text(
        &mut self,
        child: Child,
        src: &mut impl Source,
    ) -> Result<Option<String>, AggregateError> {
        self.leaf(&child, src)?;
        Ok((!self.text.is_empty()).then(|| self.text.clone()))
    }

    /// The text of a leaf child, lower-cased (domain names).
    fn lower_text(
        &mut self,
        child: Child,
        src: &mut impl Source,
    ) -> Result<String, AggregateError> {
        self.leaf(&child, src)?;
        self.text.make_ascii_lowercase();
        Ok(self.text.clone())
    }

    /// A vocabulary word; a word outside the schema is `None` with a warning.
    /// Case is normalised silently: many reporters write `Pass`.
    fn word<T>(
        &mut self,
        child: Child,
        src: &mut impl Source,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, AggregateError> {
        self.leaf(&child, src)?;
        if self.text.is_empty() {
            return Ok(None);
        }
        match parse(&self.text) {
            Some(v) => Ok(Some(v)),
            None => {
                let message = format!(
                    "<{}> {:?} is not a value the schema defines",
                    child.open.shown(),
                    self.text
                );
                self.warn(src.line(), message);
                Ok(None)
            }
        }
    }

    /// Handles a child of `<feedback>` (records after the header are taken
    /// by the caller).
    fn feedback_child(
        &mut self,
        child: Child,
        src: &mut impl Source,
    ) -> Result<(), AggregateError> {
        match child.open.tag {
            Tag::Version => self.header.version = self.opt_text(child, src)?,
            Tag::ReportMetadata if !self.saw_metadata => {
                self.saw_metadata = true;
                if self.enter(child) {
                    self.metadata(src)?;
                }
                if self.header.metadata.report_id.is_empty() {
                    return Err(invalid(src, "<report_metadata> has no <report_id>"));
                }
            }
            Tag::PolicyPublished if !self.saw_policy => {
                self.saw_policy = true;
                if self.enter(child) {
                    self.policy(src)?;
                }
                if self.header.policy.domain.is_empty() {
                    return Err(invalid(src, "<policy_published> has no <domain>"));
                }
            }
            Tag::ReportMetadata | Tag::PolicyPublished => {
                let line = src.line();
                self.warn(
                    line,
                    "a second <report_metadata> or <policy_published> was ignored",
                );
                self.skip(child, src)?;
            }
            Tag::Record => {
                // Before the metadata: hold it (bounded) until the header is known.
                if self.early.len() >= self.limits.max_early_records {
                    return Err(Self::limit(
                        src.line(),
                        "records before <report_metadata> and <policy_published>",
                        self.limits.max_early_records,
                    ));
                }
                if !self.enter(child) {
                    return Err(invalid(src, "an empty <record/>"));
                }
                let r = self.record_body(src)?;
                self.early.push_back(r);
            }
            _ => self.skip(child, src)?,
        }
        Ok(())
    }

    fn metadata(&mut self, src: &mut impl Source) -> Result<(), AggregateError> {
        let mut dates = false;
        while let Some(child) = self.next_child(src)? {
            match child.open.tag {
                Tag::OrgName => self.header.metadata.org_name = self.text_of(child, src)?,
                Tag::Email => self.header.metadata.email = self.text_of(child, src)?,
                Tag::ExtraContactInfo => {
                    self.header.metadata.extra_contact_info = self.opt_text(child, src)?
                }
                Tag::ReportId => self.header.metadata.report_id = self.text_of(child, src)?,
                Tag::Generator => self.header.metadata.generator = self.opt_text(child, src)?,
                Tag::Error => {
                    if self.header.metadata.errors.len() >= self.limits.max_errors {
                        return Err(Self::limit(
                            src.line(),
                            "<error> entries",
                            self.limits.max_errors,
                        ));
                    }
                    if let Some(e) = self.opt_text(child, src)? {
                        self.header.metadata.errors.push(e);
                    }
                }
                Tag::DateRange => {
                    if !self.enter(child) {
                        continue;
                    }
                    let mut begin = None;
                    let mut end = None;
                    while let Some(c) = self.next_child(src)? {
                        match c.open.tag {
                            Tag::Begin => begin = Some(self.timestamp(c, src)?),
                            Tag::End => end = Some(self.timestamp(c, src)?),
                            _ => self.skip(c, src)?,
                        }
                    }
                    let (Some(b), Some(e)) = (begin, end) else {
                        return Err(invalid(src, "<date_range> needs <begin> and <end>"));
                    };
                    if e < b {
                        let line = src.line();
                        self.warn(
                            line,
                            format!("<date_range> ends ({e}) before it begins ({b})"),
                        );
                    }
                    self.header.metadata.begin = b;
                    self.header.metadata.end = e;
                    dates = true;
                }
                _ => self.skip(child, src)?,
            }
        }
        if !dates {
            return Err(invalid(src, "<report_metadata> has no <date_range>"));
        }
        Ok(())
    }

    fn timestamp(&mut self, child: Child, src: &mut impl Source) -> Result<i64, AggregateError> {
        let field = child.open.shown().to_owned();
        self.leaf(&child, src)?;
        // Some reporters write a fractional part (`1538204542.0`).
        let t = &self.text;
        let int = t.split_once('.').map_or(t.as_str(), |(i, _)| i);
        match int.parse::<i64>().ok().filter(|v| *v >= 0) {
            Some(v) => Ok(v),
            None => {
                let message = format!("<{field}> {t:?} is not a Unix time");
                Err(invalid(src, message))
            }
        }
    }

    fn policy(&mut self, src: &mut impl Source) -> Result<(), AggregateError> {
        while let Some(child) = self.next_child(src)? {
            match child.open.tag {
                Tag::Domain => self.header.policy.domain = self.lower_text(child, src)?,
                Tag::Adkim => self.header.policy.adkim = self.word(child, src, alignment_mode)?,
                Tag::Aspf => self.header.policy.aspf = self.word(child, src, alignment_mode)?,
                Tag::P => self.header.policy.p = self.word(child, src, Policy::parse)?,
                Tag::Sp => self.header.policy.sp = self.word(child, src, Policy::parse)?,
                Tag::Np => self.header.policy.np = self.word(child, src, Policy::parse)?,
                Tag::Pct => {
                    self.leaf(&child, src)?;
                    if !self.text.is_empty() {
                        match self.text.parse::<u8>().ok().filter(|v| *v <= 100) {
                            Some(v) => self.header.policy.pct = Some(v),
                            None => {
                                let message =
                                    format!("<pct> {:?} is not 0 to 100: ignored", self.text);
                                self.warn(src.line(), message);
                            }
                        }
                    }
                }
                Tag::Fo => self.header.policy.fo = self.opt_text(child, src)?,
                Tag::Testing => self.header.policy.testing = self.word(child, src, yes_no)?,
                Tag::DiscoveryMethod => {
                    self.header.policy.discovery_method =
                        self.word(child, src, DiscoveryMethod::parse)?
                }
                _ => self.skip(child, src)?,
            }
        }
        Ok(())
    }

    /// Reads a record whose start tag was entered (it is on `open`).
    fn record_body(&mut self, src: &mut impl Source) -> Result<Record, AggregateError> {
        if self.summary.volume.records >= self.limits.max_records {
            return Err(AggregateError::Limit {
                line: src.line(),
                what: "records in one report",
                limit: self.limits.max_records,
            });
        }
        let start_line = src.line();
        let mut source_ip: Option<IpAddr> = None;
        let mut count: Option<u64> = None;
        let mut disposition = Disposition::Unknown;
        let mut dkim = Aligned::Unknown;
        let mut spf = Aligned::Unknown;
        let mut reasons = Vec::new();
        let mut header_from: Option<String> = None;
        let mut envelope_from = None;
        let mut envelope_to = None;
        let mut dkim_auth = Vec::new();
        let mut spf_auth = Vec::new();
        while let Some(child) = self.next_child(src)? {
            match child.open.tag {
                Tag::Row => {
                    if !self.enter(child) {
                        continue;
                    }
                    while let Some(c) = self.next_child(src)? {
                        match c.open.tag {
                            Tag::SourceIp => {
                                self.leaf(&c, src)?;
                                match parse_ip(&self.text) {
                                    Some(ip) => source_ip = Some(ip),
                                    None => {
                                        let m = format!(
                                            "<source_ip> {:?} is not an IP address",
                                            self.text
                                        );
                                        return Err(invalid(src, m));
                                    }
                                }
                            }
                            Tag::Count => {
                                self.leaf(&c, src)?;
                                match self.text.parse::<u64>() {
                                    Ok(n) => count = Some(n),
                                    Err(_) => {
                                        let m = format!("<count> {:?} is not a number", self.text);
                                        return Err(invalid(src, m));
                                    }
                                }
                            }
                            Tag::PolicyEvaluated => {
                                if !self.enter(c) {
                                    continue;
                                }
                                while let Some(pe) = self.next_child(src)? {
                                    match pe.open.tag {
                                        Tag::Disposition => {
                                            disposition = self
                                                .word(pe, src, Disposition::parse)?
                                                .unwrap_or(Disposition::Unknown)
                                        }
                                        Tag::Dkim => {
                                            dkim = self
                                                .word(pe, src, Aligned::parse)?
                                                .unwrap_or(Aligned::Unknown)
                                        }
                                        Tag::Spf => {
                                            spf = self
                                                .word(pe, src, Aligned::parse)?
                                                .unwrap_or(Aligned::Unknown)
                                        }
                                        Tag::Reason => {
                                            if reasons.len() >= self.limits.max_reasons {
                                                return Err(Self::limit(
                                                    src.line(),
                                                    "<reason> entries in one record",
                                                    self.limits.max_reasons,
                                                ));
                                            }
                                            if let Some(r) = self.reason(pe, src)? {
                                                reasons.push(r);
                                            }
                                        }
                                        _ => self.skip(pe, src)?,
                                    }
                                }
                            }
                            _ => self.skip(c, src)?,
                        }
                    }
                }
                Tag::Identifiers => {
                    if !self.enter(child) {
                        continue;
                    }
                    while let Some(c) = self.next_child(src)? {
                        match c.open.tag {
                            Tag::HeaderFrom => header_from = Some(self.lower_text(c, src)?),
                            Tag::EnvelopeFrom => envelope_from = self.opt_text(c, src)?.map(lower),
                            Tag::EnvelopeTo => envelope_to = self.opt_text(c, src)?.map(lower),
                            _ => self.skip(c, src)?,
                        }
                    }
                }
                Tag::AuthResults => {
                    if !self.enter(child) {
                        continue;
                    }
                    while let Some(c) = self.next_child(src)? {
                        let t = c.open.tag;
                        if matches!(t, Tag::Dkim | Tag::Spf)
                            && dkim_auth.len() + spf_auth.len() >= self.limits.max_auth_results
                        {
                            return Err(Self::limit(
                                src.line(),
                                "authentication results in one record",
                                self.limits.max_auth_results,
                            ));
                        }
                        match t {
                            Tag::Dkim => {
                                if let Some(d) = self.dkim_auth(c, src)? {
                                    dkim_auth.push(d);
                                }
                            }
                            Tag::Spf => {
                                if let Some(s) = self.spf_auth(c, src)? {
                                    spf_auth.push(s);
                                }
                            }
                            _ => self.skip(c, src)?,
                        }
                    }
                }
                _ => self.skip(child, src)?,
            }
        }
        let missing = |what: &str| AggregateError::Invalid {
            line: start_line,
            message: format!("a <record> has no {what}"),
        };
        let source_ip = source_ip.ok_or_else(|| missing("<source_ip>"))?;
        let count = count.ok_or_else(|| missing("<count>"))?;
        let header_from = header_from.ok_or_else(|| missing("<identifiers><header_from>"))?;
        if dkim == Aligned::Unknown || spf == Aligned::Unknown {
            self.warn(
                start_line,
                "a record's <policy_evaluated> lacks a DKIM or SPF outcome: counted as not aligned",
            );
        }
        let record = Record {
            source_ip,
            count,
            disposition,
            dkim,
            spf,
            reasons,
            header_from,
            envelope_from,
            envelope_to,
            dkim_auth,
            spf_auth,
        };
        self.summary.volume.add(&record);
        Ok(record)
    }

    fn reason(
        &mut self,
        child: Child,
        src: &mut impl Source,
    ) -> Result<Option<Reason>, AggregateError> {
        if !self.enter(child) {
            return Ok(None);
        }
        let mut kind = None;
        let mut comment = None;
        while let Some(c) = self.next_child(src)? {
            match c.open.tag {
                Tag::Type => kind = self.word(c, src, OverrideReason::parse)?,
                Tag::Comment => comment = self.opt_text(c, src)?,
                _ => self.skip(c, src)?,
            }
        }
        // An empty <reason><type></type></reason> says nothing.
        Ok(match (kind, comment) {
            (None, None) => None,
            (kind, comment) => Some(Reason {
                kind: kind.unwrap_or(OverrideReason::Unknown),
                comment,
            }),
        })
    }

    fn dkim_auth(
        &mut self,
        child: Child,
        src: &mut impl Source,
    ) -> Result<Option<DkimAuth>, AggregateError> {
        if !self.enter(child) {
            return Ok(None);
        }
        let mut d = DkimAuth {
            domain: String::new(),
            selector: None,
            result: DkimResult::Unknown,
            human_result: None,
        };
        while let Some(c) = self.next_child(src)? {
            match c.open.tag {
                Tag::Domain => d.domain = self.lower_text(c, src)?,
                Tag::Selector => d.selector = self.opt_text(c, src)?,
                Tag::Result => {
                    d.result = self
                        .word(c, src, DkimResult::parse)?
                        .unwrap_or(DkimResult::Unknown)
                }
                Tag::HumanResult => d.human_result = self.opt_text(c, src)?,
                _ => self.skip(c, src)?,
            }
        }
        Ok(Some(d))
    }

    fn spf_auth(
        &mut self,
        child: Child,
        src: &mut impl Source,
    ) -> Result<Option<SpfAuth>, AggregateError> {
        if !self.enter(child) {
            return Ok(None);
        }
        let mut s = SpfAuth {
            domain: String::new(),
            scope: None,
            result: SpfResult::Unknown,
            human_result: None,
        };
        while let Some(c) = self.next_child(src)? {
            match c.open.tag {
                Tag::Domain => s.domain = self.lower_text(c, src)?,
                Tag::Scope => s.scope = self.word(c, src, SpfScope::parse)?,
                Tag::Result => {
                    s.result = self.word(c, src, spf_result)?.unwrap_or(SpfResult::Unknown)
                }
                Tag::HumanResult => s.human_result = self.opt_text(c, src)?,
                _ => self.skip(c, src)?,
            }
        }
        Ok(Some(s))
    }
}

/// The common case, fast: one regular record (known elements only, each
/// text in one piece, every value valid), read in a single pass over its
/// events with the element path on a small stack. Anything else returns
/// `None`, and the record is read again by [`Parser::record_body`], whose
/// recovery rules and messages apply; for a regular record both give the
/// same [`Record`] (tested below).
fn lean_record(bytes: &[u8], limits: &Limits) -> Option<Record> {
    let mut xml = Reader::from_reader(bytes);
    configure(&mut xml);
    // Blanks between elements need no events here. Trimming is safe on this
    // path: leaf values are trimmed anyway, and text with an entity (where
    // trimming would eat a space next to it) is left to the careful reader.
    xml.config_mut().trim_text(true);
    let mut path = [Tag::Other; 6];
    let mut depth = 0usize;
    let mut text: std::borrow::Cow<'_, str> = std::borrow::Cow::Borrowed("");
    let mut source_ip = None;
    let mut count = None;
    let mut disposition = Disposition::Unknown;
    let mut dkim = Aligned::Unknown;
    let mut spf = Aligned::Unknown;
    let mut reasons: Vec<Reason> = Vec::new();
    let mut reason_kind: Option<OverrideReason> = None;
    let mut reason_comment: Option<String> = None;
    let mut header_from = None;
    let mut envelope_from = None;
    let mut envelope_to = None;
    let mut dkim_auth: Vec<DkimAuth> = Vec::new();
    let mut spf_auth: Vec<SpfAuth> = Vec::new();
    let mut domain = String::new();
    let mut selector = None;
    let mut human = None;
    let mut dkim_result = DkimResult::Unknown;
    let mut spf_res = SpfResult::Unknown;
    let mut scope = None;
    // Text is only taken inside a leaf: right after its start tag.
    let mut in_leaf = false;
    loop {
        let (tag, is_end, leaf_text) = match xml.read_event().ok()? {
            Event::Start(s) if text.is_empty() => (tag_of(s.name().as_ref()), false, None),
            Event::Empty(s) => (tag_of(s.name().as_ref()), true, Some("")),
            Event::End(e) => {
                let tag = tag_of(e.name().as_ref());
                if depth == 0 || path[depth - 1] != tag {
                    return None;
                }
                (tag, true, None)
            }
            Event::Text(t) => {
                if t.trim_ascii().is_empty() {
                    continue;
                }
                if !in_leaf || !text.is_empty() || t.len() > limits.max_text {
                    return None;
                }
                text = t.into_inner();
                continue;
            }
            _ => return None,
        };
        let parent = if depth == 0 {
            Tag::Other
        } else {
            path[depth - 1]
        };
        if let Some(t) = leaf_text {
            // `<x/>`: a start and an end with nothing between.
            if depth == path.len() {
                return None;
            }
            path[depth] = tag;
            depth += 1;
            text = std::borrow::Cow::Borrowed(t);
        } else if !is_end {
            // Only known elements, in their places.
            let allowed = matches!(
                (parent, tag),
                (Tag::Other, Tag::Record)
                    | (Tag::Record, Tag::Row | Tag::Identifiers | Tag::AuthResults)
                    | (Tag::Row, Tag::SourceIp | Tag::Count | Tag::PolicyEvaluated)
                    | (
                        Tag::PolicyEvaluated,
                        Tag::Disposition | Tag::Dkim | Tag::Spf | Tag::Reason
                    )
                    | (Tag::Reason, Tag::Type | Tag::Comment)
                    | (
                        Tag::Identifiers,
                        Tag::HeaderFrom | Tag::EnvelopeFrom | Tag::EnvelopeTo
                    )
                    | (Tag::AuthResults, Tag::Dkim | Tag::Spf)
                    | (
                        Tag::Dkim,
                        Tag::Domain | Tag::Selector | Tag::Result | Tag::HumanResult
                    )
                    | (
                        Tag::Spf,
                        Tag::Domain | Tag::Scope | Tag::Result | Tag::HumanResult
                    )
            ) && depth < path.len();
            if !allowed {
                return None;
            }
            path[depth] = tag;
            depth += 1;
            text = std::borrow::Cow::Borrowed("");
            in_leaf = true;
            continue;
        }
        in_leaf = false;
        // An element ends: `tag`, inside `path[depth - 2]`.
        depth -= 1;
        let parent = if depth == 0 {
            Tag::Other
        } else {
            path[depth - 1]
        };
        let grand = if depth < 2 {
            Tag::Other
        } else {
            path[depth - 2]
        };
        let v = text.trim();
        match (parent, tag) {
            (Tag::Row, Tag::SourceIp) => source_ip = Some(v.parse::<IpAddr>().ok()?),
            (Tag::Row, Tag::Count) => count = Some(v.parse::<u64>().ok()?),
            (Tag::PolicyEvaluated, Tag::Disposition) => disposition = Disposition::parse(v)?,
            (Tag::PolicyEvaluated, Tag::Dkim) => dkim = Aligned::parse(v)?,
            (Tag::PolicyEvaluated, Tag::Spf) => spf = Aligned::parse(v)?,
            (Tag::Reason, Tag::Type) if !v.is_empty() => {
                reason_kind = Some(OverrideReason::parse(v)?)
            }
            (Tag::Reason, Tag::Comment) if !v.is_empty() => reason_comment = Some(v.to_owned()),
            (Tag::Reason, _) => {}
            (Tag::PolicyEvaluated, Tag::Reason) => {
                if reasons.len() >= limits.max_reasons {
                    return None;
                }
                if reason_kind.is_some() || reason_comment.is_some() {
                    reasons.push(Reason {
                        kind: reason_kind.take().unwrap_or(OverrideReason::Unknown),
                        comment: reason_comment.take(),
                    });
                }
            }
            (Tag::Identifiers, Tag::HeaderFrom) => header_from = Some(v.to_ascii_lowercase()),
            (Tag::Identifiers, Tag::EnvelopeFrom) if !v.is_empty() => {
                envelope_from = Some(v.to_ascii_lowercase())
            }
            (Tag::Identifiers, Tag::EnvelopeTo) if !v.is_empty() => {
                envelope_to = Some(v.to_ascii_lowercase())
            }
            (Tag::Identifiers, _) => {}
            (Tag::Dkim | Tag::Spf, Tag::Domain) if grand == Tag::AuthResults => {
                domain = v.to_ascii_lowercase()
            }
            (Tag::Dkim | Tag::Spf, Tag::HumanResult) if grand == Tag::AuthResults => {
                human = (!v.is_empty()).then(|| v.to_owned())
            }
            (Tag::Dkim, Tag::Selector) if grand == Tag::AuthResults => {
                selector = (!v.is_empty()).then(|| v.to_owned())
            }
            (Tag::Dkim, Tag::Result) if grand == Tag::AuthResults => {
                dkim_result = DkimResult::parse(v)?
            }
            (Tag::Spf, Tag::Result) if grand == Tag::AuthResults => spf_res = spf_result(v)?,
            (Tag::Spf, Tag::Scope) if grand == Tag::AuthResults => {
                scope = if v.is_empty() {
                    None
                } else {
                    Some(SpfScope::parse(v)?)
                }
            }
            (Tag::AuthResults, Tag::Dkim | Tag::Spf) => {
                if dkim_auth.len() + spf_auth.len() >= limits.max_auth_results {
                    return None;
                }
                if tag == Tag::Dkim {
                    dkim_auth.push(DkimAuth {
                        domain: std::mem::take(&mut domain),
                        selector: selector.take(),
                        result: std::mem::replace(&mut dkim_result, DkimResult::Unknown),
                        human_result: human.take(),
                    });
                } else {
                    spf_auth.push(SpfAuth {
                        domain: std::mem::take(&mut domain),
                        scope: scope.take(),
                        result: std::mem::replace(&mut spf_res, SpfResult::Unknown),
                        human_result: human.take(),
                    });
                }
            }
            (Tag::Record, Tag::Row | Tag::Identifiers | Tag::AuthResults)
            | (Tag::Row, Tag::PolicyEvaluated) => {}
            (Tag::Other, Tag::Record) => break,
            _ => return None,
        }
        text = std::borrow::Cow::Borrowed("");
    }
    if dkim == Aligned::Unknown || spf == Aligned::Unknown {
        // The careful reader warns about this one.
        return None;
    }
    Some(Record {
        source_ip: source_ip?,
        count: count?,
        disposition,
        dkim,
        spf,
        reasons,
        header_from: header_from?,
        envelope_from,
        envelope_to,
        dkim_auth,
        spf_auth,
    })
}

fn invalid(src: &mut impl Source, message: impl Into<String>) -> AggregateError {
    AggregateError::Invalid {
        line: src.line(),
        message: message.into(),
    }
}

fn lower(mut s: String) -> String {
    s.make_ascii_lowercase();
    s
}

fn yes_no(t: &str) -> Option<bool> {
    match t.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "1" => Some(true),
        "n" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn namespace_is_dmarcbis(start: &BytesStart<'_>) -> bool {
    start.attributes().flatten().any(|a| {
        let key = a.key.as_ref();
        (key == "xmlns" || key.starts_with("xmlns:"))
            && a.value.as_ref().trim() == DMARCBIS_NAMESPACE
    })
}

fn alignment_mode(t: &str) -> Option<AlignmentMode> {
    AlignmentMode::parse(t).or_else(|| match t.trim().to_ascii_lowercase().as_str() {
        "relaxed" => Some(AlignmentMode::Relaxed),
        "strict" => Some(AlignmentMode::Strict),
        _ => None,
    })
}

/// SPF results, with the words of RFC 4408-era reporters.
fn spf_result(t: &str) -> Option<SpfResult> {
    SpfResult::parse(t).or_else(|| match t.trim().to_ascii_lowercase().as_str() {
        "error" => Some(SpfResult::TempError),
        "unknown" => Some(SpfResult::PermError),
        "hardfail" => Some(SpfResult::Fail),
        _ => None,
    })
}

fn parse_ip(t: &str) -> Option<IpAddr> {
    t.parse().ok().or_else(|| {
        // `[2001:db8::1]` is seen in the wild.
        t.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
    })
}

/// Where the reader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before `<feedback>`.
    Start,
    /// Inside `<feedback>`.
    Body,
    /// `</feedback>` read.
    Done,
}

/// Streaming reader of one aggregate report; see the module documentation.
pub struct AggregateReader<R: Read> {
    input: Input<R>,
    evbuf: Vec<u8>,
    p: Parser,
    state: State,
    /// `</record>` as this report writes it (with its namespace prefix).
    record_end: Vec<u8>,
    /// `<record` likewise.
    record_start: Vec<u8>,
    /// Finds `record_end`.
    record_finder: memchr::memmem::Finder<'static>,
    /// Whether regular records take [`lean_record`] (tests compare both).
    lean: bool,
}

impl<R: Read> AggregateReader<R> {
    /// A reader over `input` with the default [`Limits`].
    pub fn new(input: R) -> Self {
        Self::with_limits(input, Limits::default())
    }

    /// A reader over `input` with explicit bounds.
    pub fn with_limits(input: R, limits: Limits) -> Self {
        Self {
            input: Input::new(input),
            evbuf: Vec::with_capacity(512),
            p: Parser {
                text: String::with_capacity(256),
                open: Vec::with_capacity(8),
                pending_end: None,
                header: ReportHeader::default(),
                saw_metadata: false,
                saw_policy: false,
                early: VecDeque::new(),
                summary: ReportSummary::default(),
                limits,
            },
            state: State::Start,
            record_end: b"</record>".to_vec(),
            record_start: b"<record".to_vec(),
            record_finder: memchr::memmem::Finder::new(b"</record>").into_owned(),
            lean: true,
        }
    }

    /// Line of the report the reader has reached.
    pub fn line(&mut self) -> u64 {
        self.input.line()
    }

    fn buffered(&mut self) -> (Buffered<'_, R>, &mut Parser) {
        let mut xml = Reader::from_reader(&mut self.input);
        configure(&mut xml);
        (
            Buffered {
                xml,
                buf: &mut self.evbuf,
            },
            &mut self.p,
        )
    }

    /// Reads up to the first record: who reports, for which domain and
    /// period, under which policy. Fails when the document is not a DMARC
    /// aggregate report or misses its metadata or policy.
    pub fn header(&mut self) -> Result<&ReportHeader, AggregateError> {
        if self.state == State::Start {
            self.open_feedback()?;
        }
        while !(self.p.saw_metadata && self.p.saw_policy) && self.state == State::Body {
            let (mut src, p) = self.buffered();
            match p.next_child(&mut src)? {
                None => self.state = State::Done,
                Some(child) => p.feedback_child(child, &mut src)?,
            }
        }
        if !self.p.saw_metadata {
            let line = self.line();
            return Err(AggregateError::Invalid {
                line,
                message: "the report has no <report_metadata>".into(),
            });
        }
        if !self.p.saw_policy {
            let line = self.line();
            return Err(AggregateError::Invalid {
                line,
                message: "the report has no <policy_published>".into(),
            });
        }
        Ok(&self.p.header)
    }

    /// The next record, or `None` after the last. Reads the header first if
    /// [`Self::header`] was not called.
    pub fn next_record(&mut self) -> Result<Option<Record>, AggregateError> {
        if !(self.p.saw_metadata && self.p.saw_policy) {
            self.header()?;
        }
        if let Some(r) = self.p.early.pop_front() {
            return Ok(Some(r));
        }
        while self.state == State::Body {
            if self.p.pending_end.is_none()
                && self.p.open.len() == 1
                && let Some(record) = self.record_in_window()?
            {
                return Ok(Some(record));
            }
            // Anything else, one child at a time through the event reader.
            let (mut src, p) = self.buffered();
            match p.next_child(&mut src)? {
                None => self.state = State::Done,
                Some(child) if child.open.tag == Tag::Record => {
                    if !p.enter(child) {
                        return Err(invalid(&mut src, "an empty <record/>"));
                    }
                    return Ok(Some(p.record_body(&mut src)?));
                }
                Some(child) => p.feedback_child(child, &mut src)?,
            }
        }
        Ok(None)
    }

    /// The fast path: when the window's next element is a `<record>` whose
    /// end tag can be found, parse it in place. `None` hands over to the
    /// event reader (something else comes next, or the record holds a
    /// comment or CDATA, whose content could hide an end tag).
    fn record_in_window(&mut self) -> Result<Option<Record>, AggregateError> {
        // Skip blanks between elements.
        loop {
            let w = self.input.window();
            let blanks = w.iter().take_while(|b| b.is_ascii_whitespace()).count();
            self.input.advance(blanks);
            if !self.input.window().is_empty() {
                break;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
        // Enough bytes to recognise `<record`.
        while self.input.window().len() <= self.record_start.len() && !self.input.at_eof() {
            self.fill()?;
        }
        let w = self.input.window();
        let is_record = w.starts_with(&self.record_start)
            && w.get(self.record_start.len())
                .is_some_and(|b| *b == b'>' || b.is_ascii_whitespace());
        if !is_record {
            return Ok(None);
        }
        let mut searched = 0;
        let end = loop {
            let w = self.input.window();
            if let Some(i) = self.record_finder.find(&w[searched..]) {
                break searched + i + self.record_end.len();
            }
            searched = w.len().saturating_sub(self.record_end.len());
            if w.len() > self.p.limits.max_record_bytes {
                let line = self.input.line();
                return Err(Parser::limit(
                    line,
                    "one record's size in bytes",
                    self.p.limits.max_record_bytes,
                ));
            }
            if !self.fill()? {
                // No end tag before the input ends: the event reader will
                // say where the report is cut.
                return Ok(None);
            }
        };
        let (buf, start, lines) = self.input.split();
        let bytes = &buf[start..start + end];
        let lean = if self.lean && self.p.summary.volume.records < self.p.limits.max_records {
            lean_record(bytes, &self.p.limits)
        } else {
            None
        };
        if let Some(record) = lean {
            self.p.summary.volume.add(&record);
            self.input.advance(end);
            return Ok(Some(record));
        }
        if memchr::memmem::find(bytes, b"<!").is_some()
            || memchr::memmem::find(&bytes[1..], &self.record_start).is_some()
        {
            return Ok(None);
        }
        self.p.open.push(Open {
            tag: Tag::Record,
            name: None,
        });
        let mut xml = Reader::from_reader(bytes);
        configure(&mut xml);
        let mut src = Slice {
            xml,
            buf,
            start,
            lines,
        };
        // The start tag.
        match src.event() {
            Ok(Event::Start(_)) => {}
            _ => {
                self.p.open.pop();
                return Ok(None);
            }
        }
        let result = self.p.record_body(&mut src);
        match result {
            Ok(record) if self.p.open.len() == 1 && self.p.pending_end.is_none() => {
                self.input.advance(end);
                Ok(Some(record))
            }
            Err(AggregateError::Xml { .. }) | Err(AggregateError::Truncated { .. }) | Ok(_) => {
                // Not UTF-8, or not what it seemed: read it again, event by
                // event, where the recovery rules apply.
                self.p.open.truncate(1);
                self.p.pending_end = None;
                if let Ok(record) = &result {
                    // Undo the count of a record that will be read again.
                    let mut undo = Volume::default();
                    undo.add(record);
                    self.p.summary.volume.records -= undo.records;
                    self.p.summary.volume.messages -= undo.messages;
                    self.p.summary.volume.dmarc_pass -= undo.dmarc_pass;
                    self.p.summary.volume.dkim_aligned -= undo.dkim_aligned;
                    self.p.summary.volume.spf_aligned -= undo.spf_aligned;
                    self.p.summary.volume.quarantined -= undo.quarantined;
                    self.p.summary.volume.rejected -= undo.rejected;
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn fill(&mut self) -> Result<bool, AggregateError> {
        let max = self.p.limits.max_record_bytes + 64 * 1024;
        match self.input.fill(max) {
            Ok(more) => Ok(more),
            Err(e) => {
                let line = self.input.line();
                Err(AggregateError::Read {
                    line,
                    message: e.to_string(),
                })
            }
        }
    }

    /// Reads every remaining record into `sink`, in batches of up to
    /// `batch` records, and returns the summary. The batch vector is reused.
    pub fn for_each_batch<E>(
        &mut self,
        batch: usize,
        mut sink: impl FnMut(&mut Vec<Record>) -> Result<(), E>,
    ) -> Result<ReportSummary, E>
    where
        E: From<AggregateError>,
    {
        let batch = batch.max(1);
        let mut records = Vec::with_capacity(batch);
        while let Some(r) = self.next_record()? {
            records.push(r);
            if records.len() >= batch {
                sink(&mut records)?;
                records.clear();
            }
        }
        if !records.is_empty() {
            sink(&mut records)?;
        }
        Ok(self.finish()?)
    }

    /// Totals and warnings; call after [`Self::next_record`] returned `None`.
    pub fn finish(&mut self) -> Result<ReportSummary, AggregateError> {
        if self.state != State::Done || !self.p.early.is_empty() {
            let line = self.line();
            return Err(AggregateError::Invalid {
                line,
                message: "finish() called before the last record was read".into(),
            });
        }
        let mut summary = std::mem::take(&mut self.p.summary);
        let (replaced, first) = self.input.replacements();
        if replaced > 0 {
            let at = first
                .map(|o| format!(", the first at byte {o}"))
                .unwrap_or_default();
            summary.warnings.insert(
                0,
                Warning {
                    line: 0,
                    message: format!(
                        "{replaced} byte sequence(s) that are not UTF-8 were replaced by U+FFFD{at}"
                    ),
                },
            );
        }
        Ok(summary)
    }

    /// Consumes the prologue and the `<feedback>` start tag. A report
    /// wrapped in another element (ikea.com's sit in an unclosed
    /// `<xs:schema>`) is found inside it, with a warning, if `<feedback>`
    /// comes within the first few elements.
    fn open_feedback(&mut self) -> Result<(), AggregateError> {
        const MAX_WRAPPER_ELEMENTS: usize = 16;
        let mut root: Option<String> = None;
        let mut elements = 0usize;
        let mut xml = Reader::from_reader(&mut self.input);
        configure(&mut xml);
        let failure = |xml: &mut Reader<&mut Input<R>>, message: String| AggregateError::Invalid {
            line: xml.get_mut().line(),
            message,
        };
        loop {
            self.evbuf.clear();
            let ev = match xml.read_event_into(&mut self.evbuf) {
                Ok(ev) => ev,
                Err(e) => {
                    let line = xml.get_mut().line();
                    return Err(xml_error(e, line));
                }
            };
            match ev {
                Event::Empty(s) if tag_of(s.name().as_ref()) == Tag::Feedback => {
                    return Err(failure(
                        &mut xml,
                        "<feedback/> is empty: no report in it".into(),
                    ));
                }
                Event::Start(s) if tag_of(s.name().as_ref()) == Tag::Feedback => {
                    let name = s.name().as_ref().to_owned();
                    self.p.header.dmarcbis = namespace_is_dmarcbis(&s);
                    if let Some(prefix) = name.rsplit_once(':').map(|(p, _)| p) {
                        // Records carry the same prefix.
                        self.record_start = format!("<{prefix}:record").into_bytes();
                        self.record_end = format!("</{prefix}:record>").into_bytes();
                        self.record_finder =
                            memchr::memmem::Finder::new(&self.record_end).into_owned();
                    }
                    drop(s);
                    if let Some(wrapper) = &root {
                        let line = xml.get_mut().line();
                        self.p.warn(
                            line,
                            format!("the report is wrapped in <{wrapper}>: read the <feedback> inside it"),
                        );
                    }
                    self.p.open.push(Open {
                        tag: Tag::Feedback,
                        name: None,
                    });
                    self.state = State::Body;
                    return Ok(());
                }
                Event::Start(s) | Event::Empty(s) => {
                    let name = s.name().as_ref().to_owned();
                    drop(s);
                    elements += 1;
                    if elements > MAX_WRAPPER_ELEMENTS {
                        let root = root.unwrap_or(name);
                        return Err(failure(
                            &mut xml,
                            format!(
                                "not a DMARC aggregate report: the root element is <{root}> and no <feedback> follows it"
                            ),
                        ));
                    }
                    root.get_or_insert(name);
                }
                Event::Text(t) if t.trim_ascii().is_empty() => {}
                Event::Text(_) | Event::GeneralRef(_) | Event::CData(_) if root.is_none() => {
                    return Err(failure(
                        &mut xml,
                        "text before the root element: not an XML report".into(),
                    ));
                }
                Event::End(_) => {}
                Event::Eof => {
                    let message = match root {
                        None if xml.get_mut().offset() == 0 => "the document is empty".to_string(),
                        None => "no element at all: not a DMARC aggregate report".to_string(),
                        Some(root) => format!(
                            "not a DMARC aggregate report: the root element is <{root}> and no <feedback> follows it"
                        ),
                    };
                    return Err(failure(&mut xml, message));
                }
                _ => {} // declaration, comments, processing instructions, DOCTYPE
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"<?xml version="1.0"?>
<feedback>
  <report_metadata><org_name>Acme</org_name><email>r@acme.example</email>
    <report_id>42</report_id><date_range><begin>100</begin><end>200</end></date_range></report_metadata>
  <policy_published><domain>Example.COM</domain><p>reject</p><pct>100</pct></policy_published>
  <record><row><source_ip>192.0.2.1</source_ip><count>3</count>
    <policy_evaluated><disposition>none</disposition><dkim>Pass</dkim><spf>fail</spf></policy_evaluated></row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>
      <spf><domain>bounce.example.com</domain><scope>mfrom</scope><result>softfail</result></spf></auth_results></record>
  <record><row><source_ip>2001:db8::1</source_ip><count>2</count>
    <policy_evaluated><disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>
    <identifiers><header_from>example.com</header_from></identifiers><auth_results/></record>
</feedback>"#;

    fn read_all(xml: &str) -> Result<(ReportHeader, Vec<Record>, ReportSummary), AggregateError> {
        let mut r = AggregateReader::new(xml.as_bytes());
        let header = r.header()?.clone();
        let mut records = Vec::new();
        while let Some(rec) = r.next_record()? {
            records.push(rec);
        }
        let summary = r.finish()?;
        Ok((header, records, summary))
    }

    #[test]
    fn reads_a_minimal_report() {
        let (h, records, summary) = read_all(MINIMAL).unwrap();
        assert_eq!(h.metadata.org_name, "Acme");
        assert_eq!(h.metadata.report_id, "42");
        assert_eq!((h.metadata.begin, h.metadata.end), (100, 200));
        assert_eq!(h.policy.domain, "example.com");
        assert_eq!(h.policy.p, Some(Policy::Reject));
        assert_eq!(h.policy.pct, Some(100));
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].dkim, Aligned::Pass);
        assert_eq!(records[0].spf_auth[0].result, SpfResult::SoftFail);
        assert_eq!(records[0].spf_auth[0].scope, Some(SpfScope::MailFrom));
        assert_eq!(
            records[1].source_ip,
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(summary.volume.messages, 5);
        assert_eq!(summary.volume.dmarc_pass, 3);
        assert_eq!(summary.volume.rejected, 2);
        assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    }

    #[test]
    fn truncation_is_an_error_naming_the_line() {
        let cut = &MINIMAL[..MINIMAL.find("<record><row><source_ip>2001").unwrap() + 30];
        let err = read_all(cut).unwrap_err();
        assert!(
            matches!(err, AggregateError::Truncated { records: 1, .. }),
            "{err}"
        );
        assert_eq!(err.line(), 11);
    }

    #[test]
    fn empty_and_foreign_documents_are_refused() {
        assert!(read_all("").unwrap_err().to_string().contains("empty"));
        let e = read_all("<html><body/></html>").unwrap_err().to_string();
        assert!(
            e.contains("the root element is <html> and no <feedback>"),
            "{e}"
        );
        let e = read_all("not xml at all").unwrap_err().to_string();
        assert!(e.contains("not an XML report"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let bad = MINIMAL.replace("<count>3</count>", "<count>three</count>");
        let e = read_all(&bad).unwrap_err().to_string();
        assert!(e.contains("<count> \"three\" is not a number"), "{e}");
        assert!(e.starts_with("line 6:"), "{e}");
        let bad = MINIMAL.replace("192.0.2.1", "192.0.2");
        let e = read_all(&bad).unwrap_err().to_string();
        assert!(e.contains("is not an IP address"), "{e}");
        let bad = MINIMAL.replace("<report_id>42</report_id>", "");
        let e = read_all(&bad).unwrap_err().to_string();
        assert!(e.contains("no <report_id>"), "{e}");
    }

    #[test]
    fn unescaped_angle_brackets_in_text_are_recovered() {
        let odd = MINIMAL
            .replace(
                "<email>r@acme.example</email>",
                "<email><r@acme.example></email>",
            )
            .replace(
                "<header_from>example.com</header_from></identifiers><auth_results/>",
                "<header_from>bad<xml.net</header_from></identifiers><auth_results/>",
            );
        let (h, records, summary) = read_all(&odd).unwrap();
        assert_eq!(h.metadata.email, "<r@acme.example>");
        assert_eq!(records[1].header_from, "bad<xml.net");
        assert_eq!(summary.warnings.len(), 2, "{:?}", summary.warnings);
    }

    #[test]
    fn dmarcbis_fields_and_namespace() {
        let bis = MINIMAL
            .replace("<feedback>", &format!("<feedback xmlns=\"{DMARCBIS_NAMESPACE}\"><version>1.0</version>"))
            .replace("<pct>100</pct>", "<np>quarantine</np><testing>n</testing><discovery_method>treewalk</discovery_method>")
            .replace("</report_id>", "</report_id><generator>Gen 1</generator>");
        let (h, _, _) = read_all(&bis).unwrap();
        assert!(h.dmarcbis);
        assert_eq!(h.version.as_deref(), Some("1.0"));
        assert_eq!(h.policy.np, Some(Policy::Quarantine));
        assert_eq!(h.policy.testing, Some(false));
        assert_eq!(h.policy.discovery_method, Some(DiscoveryMethod::Treewalk));
        assert_eq!(h.metadata.generator.as_deref(), Some("Gen 1"));
    }

    #[test]
    fn limits_bound_the_work() {
        let long = MINIMAL.replace("Acme", &"A".repeat(10_000));
        let e = read_all(&long).unwrap_err();
        assert!(
            matches!(
                e,
                AggregateError::Limit {
                    what: "a text field",
                    ..
                }
            ),
            "{e}"
        );
        let mut r = AggregateReader::with_limits(
            MINIMAL.as_bytes(),
            Limits {
                max_records: 1,
                ..Limits::default()
            },
        );
        assert!(r.next_record().unwrap().is_some());
        let e = r.next_record().unwrap_err();
        assert!(
            matches!(
                e,
                AggregateError::Limit {
                    what: "records in one report",
                    ..
                }
            ),
            "{e}"
        );
    }

    /// Every corpus report reads the same with and without the lean path.
    #[test]
    fn lean_and_careful_paths_agree_on_the_corpora() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
        let mut files = 0;
        let mut records = 0;
        for dir in [
            "dmarc-parsedmarc-samples/aggregate",
            "dmarc-parsedmarc-samples/aggregate_invalid",
            "dmarc-parsedmarc-samples/extract_report",
            "dmarc-rua-schema-and-fixtures-mail-dmarc",
            "stalwartlabs-mail-auth/resources/dmarc-feedback",
        ] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "xml") {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                let run = |lean: bool| {
                    let mut r = AggregateReader::new(&bytes[..]);
                    r.lean = lean;
                    let header = r.header().cloned();
                    let mut out = Vec::new();
                    while let Ok(Some(rec)) = r.next_record() {
                        out.push(rec);
                    }
                    (
                        header.map_err(|e| e.to_string()),
                        out,
                        r.finish().map_err(|e| e.to_string()),
                    )
                };
                let (a, b) = (run(true), run(false));
                assert_eq!(a, b, "{}", path.display());
                files += 1;
                records += a.1.len();
            }
        }
        assert!(
            files >= 20 && records > 2300,
            "{files} files, {records} records"
        );
    }

    #[test]
    fn lean_path_declines_what_it_does_not_know() {
        let odd = [
            MINIMAL.replace("<count>3</count>", "<count>3</count><!-- c -->"),
            MINIMAL.replace("<row>", "<row>junk"),
            MINIMAL.replace("<dkim>Pass</dkim>", "<dkim>maybe</dkim>"),
            MINIMAL.replace(
                "</identifiers>",
                "</identifiers><extensions><x>1</x></extensions>",
            ),
            MINIMAL.replace("192.0.2.1", "[192.0.2.1]"),
            MINIMAL.replace(
                "example.com</header_from>",
                "ex&amp;ample.com</header_from>",
            ),
        ];
        for doc in odd {
            let lean = read_all(&doc);
            let mut r = AggregateReader::new(doc.as_bytes());
            r.lean = false;
            let careful = (|| {
                let h = r.header()?.clone();
                let mut v = Vec::new();
                while let Some(x) = r.next_record()? {
                    v.push(x);
                }
                Ok::<_, AggregateError>((h, v, r.finish()?))
            })();
            assert_eq!(format!("{lean:?}"), format!("{careful:?}"), "{doc}");
        }
    }

    #[test]
    fn records_before_the_metadata_are_held() {
        let start = MINIMAL.find("<report_metadata>").unwrap();
        let end = MINIMAL.find("<record>").unwrap();
        let head = &MINIMAL[start..end];
        let moved = MINIMAL
            .replacen(head, "", 1)
            .replace("</feedback>", &format!("{head}</feedback>"));
        let (h, records, _) = read_all(&moved).unwrap();
        assert_eq!(h.metadata.report_id, "42");
        assert_eq!(records.len(), 2);
    }
}
