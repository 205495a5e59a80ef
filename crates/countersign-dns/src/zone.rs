//! RFC 1035 master files parsed into a [`ZoneSet`] that answers lookups like an authoritative server.
//!
//! The parser is our own rather than a zone-parsing crate: test corpora are small,
//! hand-written files, and errors must point at `file:line` with a readable reason so
//! a broken fixture is fixed in seconds. Only the record types mail authentication
//! needs are modelled (A, AAAA, MX, TXT, PTR, CNAME, NS, SOA).
//!
//! Lookups follow RFC 1034 §4.3.2 closely enough for resolvers to behave as they do
//! against real servers: exact match, then RFC 4592 wildcards, CNAME chasing, and
//! NXDOMAIN distinguished from NODATA (empty non-terminals included), with the SOA of
//! the enclosing zone attached to negative answers for RFC 2308 negative caching.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hickory_proto::rr::RecordType as WireType;

/// Longest CNAME chain followed by [`ZoneSet::lookup`]; real resolvers give up around here too,
/// and a bound keeps a misconfigured (looping) zone from hanging a lookup.
const MAX_CNAME_HOPS: usize = 8;

/// Largest TTL accepted from a file: RFC 2181 §8 says values with the top bit set mean zero,
/// so refusing them catches typos instead of silently serving a TTL of 0.
const MAX_TTL: u64 = i32::MAX as u64;

/// Record types a [`ZoneSet`] stores and answers for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Mail exchanger.
    Mx,
    /// Text strings (SPF, DKIM, DMARC, ...).
    Txt,
    /// Reverse-mapping pointer.
    Ptr,
    /// Canonical name (alias).
    Cname,
    /// Name server.
    Ns,
    /// Start of authority.
    Soa,
    /// Query-only: every record at the name (no CNAME chasing), like QTYPE `*`.
    Any,
}

impl RecordType {
    /// The mnemonic used in master files and in `dig` output (`"AAAA"`, `"TXT"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::Aaaa => "AAAA",
            Self::Mx => "MX",
            Self::Txt => "TXT",
            Self::Ptr => "PTR",
            Self::Cname => "CNAME",
            Self::Ns => "NS",
            Self::Soa => "SOA",
            Self::Any => "ANY",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record type this module does not model, by name or from the wire.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported record type {0}")]
pub struct UnsupportedType(pub String);

impl FromStr for RecordType {
    type Err = UnsupportedType;

    /// Parses a mnemonic, case-insensitively (`"txt"`, `"AAAA"`, `"*"` for ANY).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "A" => Self::A,
            "AAAA" => Self::Aaaa,
            "MX" => Self::Mx,
            "TXT" => Self::Txt,
            "PTR" => Self::Ptr,
            "CNAME" => Self::Cname,
            "NS" => Self::Ns,
            "SOA" => Self::Soa,
            "ANY" | "*" => Self::Any,
            _ => return Err(UnsupportedType(s.to_owned())),
        })
    }
}

impl From<RecordType> for WireType {
    fn from(t: RecordType) -> Self {
        match t {
            RecordType::A => Self::A,
            RecordType::Aaaa => Self::AAAA,
            RecordType::Mx => Self::MX,
            RecordType::Txt => Self::TXT,
            RecordType::Ptr => Self::PTR,
            RecordType::Cname => Self::CNAME,
            RecordType::Ns => Self::NS,
            RecordType::Soa => Self::SOA,
            RecordType::Any => Self::ANY,
        }
    }
}

impl TryFrom<WireType> for RecordType {
    type Error = UnsupportedType;

    fn try_from(t: WireType) -> Result<Self, Self::Error> {
        Ok(match t {
            WireType::A => Self::A,
            WireType::AAAA => Self::Aaaa,
            WireType::MX => Self::Mx,
            WireType::TXT => Self::Txt,
            WireType::PTR => Self::Ptr,
            WireType::CNAME => Self::Cname,
            WireType::NS => Self::Ns,
            WireType::SOA => Self::Soa,
            WireType::ANY => Self::Any,
            other => return Err(UnsupportedType(other.to_string())),
        })
    }
}

/// The data of one resource record. Domain names inside are absolute, lowercase, with a trailing dot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RecordData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Mail exchanger.
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// Host name of the exchanger.
        exchange: String,
    },
    /// The character-strings, unjoined: consumers such as SPF and DKIM concatenate them.
    Txt(Vec<Vec<u8>>),
    /// Reverse-mapping target.
    Ptr(String),
    /// Alias target.
    Cname(String),
    /// Name server host.
    Ns(String),
    /// Start of authority.
    Soa {
        /// Primary name server.
        mname: String,
        /// Mailbox of the person responsible, as a name.
        rname: String,
        /// Zone version.
        serial: u32,
        /// Seconds between secondary refreshes.
        refresh: u32,
        /// Seconds between retries of a failed refresh.
        retry: u32,
        /// Seconds after which a secondary stops answering.
        expire: u32,
        /// Negative-caching TTL (RFC 2308).
        minimum: u32,
    },
}

impl RecordData {
    /// The type of this data (never [`RecordType::Any`]).
    pub fn record_type(&self) -> RecordType {
        match self {
            Self::A(_) => RecordType::A,
            Self::Aaaa(_) => RecordType::Aaaa,
            Self::Mx { .. } => RecordType::Mx,
            Self::Txt(_) => RecordType::Txt,
            Self::Ptr(_) => RecordType::Ptr,
            Self::Cname(_) => RecordType::Cname,
            Self::Ns(_) => RecordType::Ns,
            Self::Soa { .. } => RecordType::Soa,
        }
    }

    /// Same data with every embedded domain name made absolute and lowercase, so that
    /// programmatic inserts compare equal to parsed records.
    fn normalized(self) -> Self {
        match self {
            Self::Mx {
                preference,
                exchange,
            } => Self::Mx {
                preference,
                exchange: normalize_name(&exchange),
            },
            Self::Ptr(n) => Self::Ptr(normalize_name(&n)),
            Self::Cname(n) => Self::Cname(normalize_name(&n)),
            Self::Ns(n) => Self::Ns(normalize_name(&n)),
            Self::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => Self::Soa {
                mname: normalize_name(&mname),
                rname: normalize_name(&rname),
                serial,
                refresh,
                retry,
                expire,
                minimum,
            },
            other => other,
        }
    }
}

/// Presentation (master-file) format, which [`ZoneSet::load_str`] parses back.
impl fmt::Display for RecordData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::A(ip) => write!(f, "{ip}"),
            Self::Aaaa(ip) => write!(f, "{ip}"),
            Self::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {exchange}"),
            Self::Txt(strings) => {
                for (i, s) in strings.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    f.write_str("\"")?;
                    for &b in s {
                        match b {
                            b'"' | b'\\' => write!(f, "\\{}", b as char)?,
                            0x20..=0x7e => write!(f, "{}", b as char)?,
                            _ => write!(f, "\\{b:03}")?,
                        }
                    }
                    f.write_str("\"")?;
                }
                Ok(())
            }
            Self::Ptr(n) | Self::Cname(n) | Self::Ns(n) => f.write_str(n),
            Self::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => write!(
                f,
                "{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}"
            ),
        }
    }
}

/// One resource record (class IN is implied).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// Owner name: absolute, lowercase, trailing dot.
    pub name: String,
    /// Time to live in seconds.
    pub ttl: u32,
    /// Type and data.
    pub data: RecordData,
}

impl Record {
    /// The record's type.
    pub fn record_type(&self) -> RecordType {
        self.data.record_type()
    }

    /// Copy of this record under another owner, for wildcard synthesis (RFC 4592 §3.3.1).
    fn renamed(&self, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ttl: self.ttl,
            data: self.data.clone(),
        }
    }
}

/// One master-file line: `name ttl IN TYPE data`.
impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} IN {} {}",
            self.name,
            self.ttl,
            self.record_type(),
            self.data
        )
    }
}

/// The answer an authoritative server gives for one query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Matching records; `cnames` holds the CNAME chain followed to reach them (in order).
    Records {
        /// CNAME records followed, first hop first.
        cnames: Vec<Record>,
        /// The records of the requested type at the end of the chain.
        records: Vec<Record>,
    },
    /// The name exists (or a CNAME chain ended at an existing name) but has no record of that type.
    NoData {
        /// CNAME records followed, first hop first.
        cnames: Vec<Record>,
        /// SOA of the zone enclosing the last name, for negative caching.
        soa: Option<Record>,
    },
    /// The name does not exist in any loaded zone (also any name outside the loaded zones).
    NxDomain {
        /// CNAME records followed, first hop first.
        cnames: Vec<Record>,
        /// SOA of the zone enclosing the last name, for negative caching.
        soa: Option<Record>,
    },
    /// The name was marked with [`ZoneSet::insert_timeout`]: do not answer.
    Timeout,
}

/// Why a master file was refused.
///
/// `Display` reads like a compiler diagnostic: `test.zone:12: bad IPv4 address "300.1.2.3"`.
// Display and Error are written by hand: thiserror treats any field named `source` as the
// error's cause, and `Syntax::source` is a file name, not an error.
#[derive(Debug)]
#[non_exhaustive]
pub enum ZoneError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The text is not a valid master file; nothing from it was added.
    Syntax {
        /// Names the text: the file path, or what the caller passed to [`ZoneSet::load_str`].
        source: String,
        /// 1-based line of the offending token (for unterminated constructs, where they start).
        line: usize,
        /// What is wrong, quoting the offending text.
        reason: String,
    },
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Syntax {
                source,
                line,
                reason,
            } => write!(f, "{source}:{line}: {reason}"),
        }
    }
}

impl std::error::Error for ZoneError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Syntax { .. } => None,
        }
    }
}

/// Records from any number of zones, answering queries like their authoritative server.
///
/// Every query is a handful of `HashMap` probes (one per label at most), never a scan.
#[derive(Clone, Debug, Default)]
pub struct ZoneSet {
    /// Owner name -> its records (all types).
    nodes: HashMap<String, Vec<Record>>,
    /// Proper ancestors of owner names (root excluded): the names that exist even without
    /// records of their own ("empty non-terminals", RFC 4592 §2.2.2).
    interior: HashSet<String>,
    /// Zone apexes: every `$ORIGIN` and every SOA owner. A name below none of them is
    /// outside the loaded zones.
    apexes: HashSet<String>,
    /// Apex -> its SOA record, for negative answers.
    soas: HashMap<String, Record>,
    /// Names that never get an answer.
    timeouts: HashSet<String>,
}

/// What a name is, once wildcards have been applied.
enum Node<'a> {
    /// Records at the name, or at the wildcard that covers it.
    Records(&'a [Record]),
    /// The name exists only as an ancestor of other names.
    Empty,
    /// The name does not exist.
    Missing,
}

impl ZoneSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse and add one master file. Errors name file, line and reason.
    pub fn load_file(&mut self, path: &Path) -> Result<(), ZoneError> {
        let text = std::fs::read_to_string(path).map_err(|source| ZoneError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.load_str(&text, &path.display().to_string())
    }

    /// Same from text; `source` names it in errors (e.g. a file name).
    ///
    /// All or nothing: when the text has an error, no record from it is added.
    pub fn load_str(&mut self, text: &str, source: &str) -> Result<(), ZoneError> {
        let parsed = Parser::new(source).parse(text)?;
        for origin in parsed.origins {
            self.apexes.insert(origin);
        }
        for record in parsed.records {
            self.add(record);
        }
        Ok(())
    }

    /// Add one record programmatically (used by test drivers that build zones from YAML).
    /// `name` is absolute, with or without trailing dot, any case. An SOA makes its owner a zone apex.
    pub fn insert(&mut self, name: &str, ttl: u32, data: RecordData) {
        self.add(Record {
            name: normalize_name(name),
            ttl,
            data: data.normalized(),
        });
    }

    /// Mark a name as unresponsive: the server never answers queries for it (simulates a DNS time-out).
    ///
    /// Applies to that exact name, for every type, and to CNAME chains that reach it.
    pub fn insert_timeout(&mut self, name: &str) {
        self.timeouts.insert(normalize_name(name));
    }

    /// True when no record and no time-out name has been added.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.timeouts.is_empty()
    }

    /// Number of records held.
    pub fn len(&self) -> usize {
        self.nodes.values().map(Vec::len).sum()
    }

    /// Answer a query the way an authoritative server for all loaded zones would.
    ///
    /// `name` is absolute, with or without trailing dot, any case.
    pub fn lookup(&self, name: &str, rtype: RecordType) -> Answer {
        self.resolve(name, Some(rtype))
    }

    /// [`Self::lookup`] for a type this module does not model (`None`): such a type never
    /// matches, but the name's existence and CNAMEs still shape the answer, as on a real server.
    pub(crate) fn resolve(&self, name: &str, rtype: Option<RecordType>) -> Answer {
        let mut current = normalize_name(name);
        let mut cnames: Vec<Record> = Vec::new();
        loop {
            if self.timeouts.contains(&current) {
                return Answer::Timeout;
            }
            let records = match self.node(&current) {
                Node::Records(records) => records,
                Node::Empty => {
                    let soa = self.soa_for(&current);
                    return Answer::NoData { cnames, soa };
                }
                Node::Missing => {
                    let soa = self.soa_for(&current);
                    return Answer::NxDomain { cnames, soa };
                }
            };
            // Owners are rewritten to `current` so wildcard answers carry the queried name.
            let matching: Vec<Record> = records
                .iter()
                .filter(|r| match rtype {
                    Some(RecordType::Any) => true,
                    Some(t) => r.record_type() == t,
                    None => false,
                })
                .map(|r| r.renamed(&current))
                .collect();
            if !matching.is_empty() {
                return Answer::Records {
                    cnames,
                    records: matching,
                };
            }
            let alias = records.iter().find_map(|r| match &r.data {
                RecordData::Cname(target) => Some((r, target)),
                _ => None,
            });
            let Some((cname, target)) = alias else {
                let soa = self.soa_for(&current);
                return Answer::NoData { cnames, soa };
            };
            // Querying for CNAME or ANY matched above, so only other types get here.
            cnames.push(cname.renamed(&current));
            let looped = cnames.iter().any(|c| &c.name == target);
            if looped || cnames.len() >= MAX_CNAME_HOPS {
                // Like a real server: hand back the chain so far and let the resolver give up.
                let soa = self.soa_for(&current);
                return Answer::NoData { cnames, soa };
            }
            current.clone_from(target);
        }
    }

    /// Exact match, else empty non-terminal, else RFC 4592 wildcard at the closest encloser.
    fn node(&self, name: &str) -> Node<'_> {
        if let Some(records) = self.nodes.get(name) {
            return Node::Records(records);
        }
        if self.interior.contains(name) {
            // An ancestor outside every loaded zone (e.g. `com.` above `example.com.`) is not
            // ours to vouch for; with no zones at all (programmatic inserts) everything is ours.
            return if self.apexes.is_empty() || self.in_zone(name) {
                Node::Empty
            } else {
                Node::Missing
            };
        }
        let mut ancestor = parent(name);
        while let Some(encloser) = ancestor {
            if self.nodes.contains_key(encloser) || self.interior.contains(encloser) {
                // Only the closest encloser's wildcard applies: a wildcard higher up is
                // blocked by the existing name in between (RFC 4592 §2.2.2).
                let wildcard = if encloser == "." {
                    "*.".to_owned()
                } else {
                    format!("*.{encloser}")
                };
                return match self.nodes.get(&wildcard) {
                    Some(records) => Node::Records(records),
                    None => Node::Missing,
                };
            }
            ancestor = parent(encloser);
        }
        Node::Missing
    }

    /// True when `name` is at or below a loaded zone apex.
    fn in_zone(&self, name: &str) -> bool {
        self_and_ancestors(name).any(|n| self.apexes.contains(n))
    }

    /// SOA of the closest enclosing zone that has one.
    fn soa_for(&self, name: &str) -> Option<Record> {
        self_and_ancestors(name).find_map(|n| self.soas.get(n).cloned())
    }

    fn add(&mut self, record: Record) {
        if matches!(record.data, RecordData::Soa { .. }) {
            self.apexes.insert(record.name.clone());
            // The first SOA wins, as a zone has exactly one.
            self.soas
                .entry(record.name.clone())
                .or_insert_with(|| record.clone());
        }
        let mut ancestor = parent(&record.name);
        while let Some(name) = ancestor {
            // Once an ancestor is known, all of its own ancestors are too.
            if name == "." || !self.interior.insert(name.to_owned()) {
                break;
            }
            ancestor = parent(name);
        }
        let rrs = self.nodes.entry(record.name.clone()).or_default();
        // An RRset is a set (RFC 2181 §5): a duplicate line adds nothing.
        if !rrs.iter().any(|r| r.data == record.data) {
            rrs.push(record);
        }
    }
}

/// Lowercase, absolute form with exactly one trailing dot; `""` and `"."` are the root.
fn normalize_name(name: &str) -> String {
    let trimmed = name.trim().trim_end_matches('.');
    if trimmed.is_empty() {
        return ".".to_owned();
    }
    let mut out = trimmed.to_ascii_lowercase();
    out.push('.');
    out
}

/// `a.b.` -> `b.` -> `.` -> None.
fn parent(name: &str) -> Option<&str> {
    if name == "." {
        return None;
    }
    match name.find('.') {
        Some(i) if i + 1 < name.len() => Some(&name[i + 1..]),
        _ => Some("."),
    }
}

fn self_and_ancestors(name: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(name), |n| parent(n))
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/// One lexical token of a master file.
#[derive(Debug)]
struct Token {
    /// Bytes after unescaping.
    text: Vec<u8>,
    /// Came from a `"..."` string.
    quoted: bool,
    /// Contained a backslash escape.
    escaped: bool,
    line: usize,
}

impl Token {
    /// For messages: the token as the author wrote it, near enough.
    fn show(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }
}

/// One logical line (parentheses joined).
#[derive(Debug)]
struct Entry {
    line: usize,
    /// The line began with white space: the owner is the previous record's.
    blank_owner: bool,
    tokens: Vec<Token>,
}

/// What one text contributes, applied to the set only when the whole text parsed.
struct Parsed {
    records: Vec<Record>,
    origins: Vec<String>,
}

struct Parser<'s> {
    source: &'s str,
    origin: Option<String>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<String>,
    out: Parsed,
}

type PResult<T> = Result<T, ZoneError>;

impl<'s> Parser<'s> {
    fn new(source: &'s str) -> Self {
        Self {
            source,
            origin: None,
            default_ttl: None,
            last_ttl: None,
            last_owner: None,
            out: Parsed {
                records: Vec::new(),
                origins: Vec::new(),
            },
        }
    }

    fn err(&self, line: usize, reason: impl Into<String>) -> ZoneError {
        ZoneError::Syntax {
            source: self.source.to_owned(),
            line,
            reason: reason.into(),
        }
    }

    fn parse(mut self, text: &str) -> PResult<Parsed> {
        for entry in self.lex(text)? {
            self.entry(&entry)?;
        }
        Ok(self.out)
    }

    /// Splits the text into logical lines of tokens: comments dropped, parentheses joined,
    /// quotes and escapes resolved (RFC 1035 §5.1).
    fn lex(&self, text: &str) -> PResult<Vec<Entry>> {
        let b = text.as_bytes();
        let mut entries = Vec::new();
        let mut current: Option<Entry> = None;
        let mut paren_line: Option<usize> = None;
        let mut line = 1;
        let mut line_starts_blank = matches!(b.first(), Some(b' ' | b'\t'));
        let mut i = 0;

        // Starts the entry lazily so comment-only and blank lines make none.
        fn entry_at(current: &mut Option<Entry>, line: usize, blank: bool) -> &mut Entry {
            current.get_or_insert_with(|| Entry {
                line,
                blank_owner: blank,
                tokens: Vec::new(),
            })
        }

        while i < b.len() {
            match b[i] {
                b'\n' => {
                    if paren_line.is_none() {
                        entries.extend(current.take());
                    }
                    line += 1;
                    i += 1;
                    line_starts_blank = matches!(b.get(i), Some(b' ' | b'\t'));
                }
                b' ' | b'\t' | b'\r' => i += 1,
                b';' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'(' => {
                    if let Some(open) = paren_line {
                        return Err(self.err(
                            line,
                            format!("nested '(' (the one on line {open} is still open)"),
                        ));
                    }
                    entry_at(&mut current, line, line_starts_blank);
                    paren_line = Some(line);
                    i += 1;
                }
                b')' => {
                    if paren_line.take().is_none() {
                        return Err(self.err(line, "')' without a matching '('"));
                    }
                    i += 1;
                }
                b'"' => {
                    let start = line;
                    let mut text = Vec::new();
                    let mut escaped = false;
                    i += 1;
                    loop {
                        match b.get(i) {
                            None | Some(b'\n') => {
                                return Err(self.err(start, "unterminated quoted string"));
                            }
                            Some(b'"') => {
                                i += 1;
                                break;
                            }
                            Some(b'\\') => {
                                escaped = true;
                                i = self.escape(b, i, line, &mut text)?;
                            }
                            Some(&c) => {
                                text.push(c);
                                i += 1;
                            }
                        }
                    }
                    entry_at(&mut current, start, line_starts_blank)
                        .tokens
                        .push(Token {
                            text,
                            quoted: true,
                            escaped,
                            line: start,
                        });
                }
                _ => {
                    let mut text = Vec::new();
                    let mut escaped = false;
                    while i < b.len() {
                        match b[i] {
                            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' => break,
                            b'\\' => {
                                escaped = true;
                                i = self.escape(b, i, line, &mut text)?;
                            }
                            c => {
                                text.push(c);
                                i += 1;
                            }
                        }
                    }
                    entry_at(&mut current, line, line_starts_blank)
                        .tokens
                        .push(Token {
                            text,
                            quoted: false,
                            escaped,
                            line,
                        });
                }
            }
        }
        if let Some(open) = paren_line {
            return Err(self.err(open, "'(' is never closed"));
        }
        entries.extend(current);
        Ok(entries)
    }

    /// Decodes the escape starting at `b[i] == b'\\'` (`\X` or `\DDD`) into `out`; returns the
    /// index after it.
    fn escape(&self, b: &[u8], i: usize, line: usize, out: &mut Vec<u8>) -> PResult<usize> {
        let Some(&next) = b.get(i + 1) else {
            return Err(self.err(line, "'\\' at end of input"));
        };
        if next == b'\n' {
            // Escaped line breaks would shift every later line number; refuse them.
            return Err(self.err(line, "'\\' at end of line"));
        }
        if !next.is_ascii_digit() {
            out.push(next);
            return Ok(i + 2);
        }
        let digits = b.get(i + 1..i + 4).unwrap_or_default();
        let value = if digits.len() == 3 && digits.iter().all(u8::is_ascii_digit) {
            digits
                .iter()
                .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'))
        } else {
            u32::MAX
        };
        let byte = u8::try_from(value).map_err(|_| {
            let shown = String::from_utf8_lossy(&b[i..(i + 4).min(b.len())]).into_owned();
            self.err(
                line,
                format!("bad escape \"{shown}\" (expected \\DDD with DDD <= 255)"),
            )
        })?;
        out.push(byte);
        Ok(i + 4)
    }

    fn entry(&mut self, entry: &Entry) -> PResult<()> {
        // A line holding only "( )" has no tokens and says nothing.
        let Some(first) = entry.tokens.first() else {
            return Ok(());
        };
        if !entry.blank_owner && !first.quoted && first.text.first() == Some(&b'$') {
            return self.directive(entry);
        }
        let mut tokens = entry.tokens.iter();
        let owner = if entry.blank_owner {
            self.last_owner.clone().ok_or_else(|| {
                self.err(
                    entry.line,
                    "line starts with white space but there is no previous owner name",
                )
            })?
        } else {
            let token = tokens.next().unwrap_or(first);
            self.name(token)?
        };

        let mut ttl = None;
        let mut class_seen = false;
        let rtype = loop {
            let Some(token) = tokens.next() else {
                return Err(self.err(entry.line, "missing record type"));
            };
            if token.quoted {
                return Err(self.err(
                    token.line,
                    format!("expected a record type, found \"{}\"", token.show()),
                ));
            }
            let word = token.show();
            if ttl.is_none() && word.starts_with(|c: char| c.is_ascii_digit()) {
                ttl = Some(self.ttl(token)?);
                continue;
            }
            let upper = word.to_ascii_uppercase();
            if !class_seen && matches!(upper.as_str(), "IN" | "CH" | "CS" | "HS") {
                if upper != "IN" {
                    return Err(self.err(
                        token.line,
                        format!("unsupported class \"{word}\" (only IN)"),
                    ));
                }
                class_seen = true;
                continue;
            }
            match word.parse::<RecordType>() {
                Ok(RecordType::Any) | Err(_) => {
                    return Err(self.err(token.line, format!("unknown record type \"{word}\"")));
                }
                Ok(t) => break t,
            }
        };

        let rdata: Vec<&Token> = tokens.collect();
        let data = self.rdata(entry, rtype, &rdata)?;
        let ttl = match ttl {
            Some(t) => {
                self.last_ttl = Some(t);
                t
            }
            // RFC 2308 §4: $TTL, else (RFC 1035 §5.1) the last explicit TTL; an SOA
            // without either carries its own negative TTL, as BIND does.
            None => match (self.default_ttl, self.last_ttl, &data) {
                (Some(t), _, _) | (None, Some(t), _) => t,
                (None, None, RecordData::Soa { minimum, .. }) => *minimum,
                _ => {
                    return Err(self.err(entry.line, "no TTL on this record and no $TTL before it"));
                }
            },
        };
        self.last_owner = Some(owner.clone());
        self.out.records.push(Record {
            name: owner,
            ttl,
            data,
        });
        Ok(())
    }

    fn directive(&mut self, entry: &Entry) -> PResult<()> {
        let first = &entry.tokens[0];
        let word = first.show();
        let args = &entry.tokens[1..];
        let one_arg = |what: &str| -> PResult<&Token> {
            match args {
                [arg] => Ok(arg),
                [] => Err(self.err(first.line, format!("{word} needs {what}"))),
                [_, extra, ..] => Err(self.err(
                    extra.line,
                    format!("unexpected \"{}\" after {word}", extra.show()),
                )),
            }
        };
        match word.to_ascii_uppercase().as_str() {
            "$ORIGIN" => {
                let arg = one_arg("a domain name")?;
                let origin = self.name(arg)?;
                self.out.origins.push(origin.clone());
                self.origin = Some(origin);
            }
            "$TTL" => {
                let arg = one_arg("a TTL")?;
                self.default_ttl = Some(self.ttl(arg)?);
            }
            "$INCLUDE" => return Err(self.err(first.line, "$INCLUDE is not supported")),
            _ => return Err(self.err(first.line, format!("unknown directive \"{word}\""))),
        }
        Ok(())
    }

    fn rdata(&self, entry: &Entry, rtype: RecordType, fields: &[&Token]) -> PResult<RecordData> {
        let want = match rtype {
            RecordType::A
            | RecordType::Aaaa
            | RecordType::Ptr
            | RecordType::Cname
            | RecordType::Ns => 1,
            RecordType::Mx => 2,
            RecordType::Soa => 7,
            RecordType::Txt | RecordType::Any => 0,
        };
        if rtype == RecordType::Txt {
            if fields.is_empty() {
                return Err(self.err(entry.line, "TXT record needs at least one string"));
            }
            let mut strings = Vec::with_capacity(fields.len());
            for f in fields {
                if f.text.len() > 255 {
                    return Err(self.err(
                        f.line,
                        format!(
                            "TXT string of {} bytes is longer than 255: split it into several \"...\" strings",
                            f.text.len()
                        ),
                    ));
                }
                strings.push(f.text.clone());
            }
            return Ok(RecordData::Txt(strings));
        }
        if fields.len() < want {
            let line = fields.last().map_or(entry.line, |f| f.line);
            return Err(self.err(
                line,
                format!(
                    "{rtype} record needs {want} field{}, found {}",
                    if want == 1 { "" } else { "s" },
                    fields.len()
                ),
            ));
        }
        if let Some(extra) = fields.get(want) {
            return Err(self.err(
                extra.line,
                format!("unexpected \"{}\" after {rtype} data", extra.show()),
            ));
        }
        for f in fields {
            if f.quoted {
                return Err(self.err(
                    f.line,
                    format!("unexpected quoted string \"{}\" in {rtype} data", f.show()),
                ));
            }
        }
        Ok(match rtype {
            RecordType::A => {
                let f = fields[0];
                RecordData::A(
                    f.show().parse().map_err(|_| {
                        self.err(f.line, format!("bad IPv4 address \"{}\"", f.show()))
                    })?,
                )
            }
            RecordType::Aaaa => {
                let f = fields[0];
                RecordData::Aaaa(
                    f.show().parse().map_err(|_| {
                        self.err(f.line, format!("bad IPv6 address \"{}\"", f.show()))
                    })?,
                )
            }
            RecordType::Mx => {
                let f = fields[0];
                let preference = f
                    .show()
                    .parse()
                    .map_err(|_| self.err(f.line, format!("bad MX preference \"{}\"", f.show())))?;
                RecordData::Mx {
                    preference,
                    exchange: self.name(fields[1])?,
                }
            }
            RecordType::Ptr => RecordData::Ptr(self.name(fields[0])?),
            RecordType::Cname => RecordData::Cname(self.name(fields[0])?),
            RecordType::Ns => RecordData::Ns(self.name(fields[0])?),
            RecordType::Soa => {
                let f = fields[2];
                let serial = f
                    .show()
                    .parse()
                    .map_err(|_| self.err(f.line, format!("bad SOA serial \"{}\"", f.show())))?;
                RecordData::Soa {
                    mname: self.name(fields[0])?,
                    rname: self.name(fields[1])?,
                    serial,
                    refresh: self.ttl(fields[3])?,
                    retry: self.ttl(fields[4])?,
                    expire: self.ttl(fields[5])?,
                    minimum: self.ttl(fields[6])?,
                }
            }
            RecordType::Txt | RecordType::Any => unreachable!("handled above"),
        })
    }

    /// A domain name field: `@`, absolute (`a.b.`), or relative to `$ORIGIN`.
    fn name(&self, token: &Token) -> PResult<String> {
        let shown = token.show();
        if token.quoted {
            return Err(self.err(
                token.line,
                format!("expected a domain name, found quoted string \"{shown}\""),
            ));
        }
        if token.escaped {
            return Err(self.err(
                token.line,
                format!("escapes in domain names are not supported: \"{shown}\""),
            ));
        }
        let absolute = if shown == "@" {
            self.origin
                .clone()
                .ok_or_else(|| self.err(token.line, "\"@\" used before any $ORIGIN"))?
        } else if shown.ends_with('.') {
            shown.clone()
        } else {
            let origin = self.origin.as_deref().ok_or_else(|| {
                self.err(
                    token.line,
                    format!("relative name \"{shown}\" with no $ORIGIN"),
                )
            })?;
            if origin == "." {
                format!("{shown}.")
            } else {
                format!("{shown}.{origin}")
            }
        };
        if absolute == "." {
            return Ok(absolute);
        }
        if absolute.len() > 254 {
            return Err(self.err(
                token.line,
                format!("name \"{absolute}\" is longer than 255 bytes"),
            ));
        }
        for label in absolute[..absolute.len() - 1].split('.') {
            let problem = if label.is_empty() {
                Some("has an empty label")
            } else if label.len() > 63 {
                Some("has a label longer than 63 bytes")
            } else if !label.bytes().all(|c| c.is_ascii_graphic()) {
                Some("has a character that is not printable ASCII (use punycode)")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(self.err(token.line, format!("name \"{absolute}\" {problem}")));
            }
        }
        Ok(absolute.to_ascii_lowercase())
    }

    /// A TTL: seconds, or BIND-style units (`1h30m`, `2d`, `1w`).
    fn ttl(&self, token: &Token) -> PResult<u32> {
        let shown = token.show();
        let bad = || self.err(token.line, format!("bad TTL \"{shown}\""));
        if token.quoted || shown.is_empty() {
            return Err(bad());
        }
        let total: u64 = if shown.bytes().all(|c| c.is_ascii_digit()) {
            shown.parse().map_err(|_| bad())?
        } else {
            let mut total = 0u64;
            let mut number: Option<u64> = None;
            for c in shown.bytes() {
                if c.is_ascii_digit() {
                    let n = number.unwrap_or(0);
                    number = Some(
                        n.checked_mul(10)
                            .and_then(|n| n.checked_add(u64::from(c - b'0')))
                            .filter(|&n| n <= MAX_TTL)
                            .ok_or_else(bad)?,
                    );
                    continue;
                }
                let unit = match c.to_ascii_lowercase() {
                    b's' => 1,
                    b'm' => 60,
                    b'h' => 3600,
                    b'd' => 86_400,
                    b'w' => 604_800,
                    _ => return Err(bad()),
                };
                total += number.take().ok_or_else(bad)? * unit;
                if total > MAX_TTL {
                    break;
                }
            }
            if number.is_some() {
                // "1h30": a trailing number without its unit is ambiguous.
                return Err(bad());
            }
            total
        };
        if total > MAX_TTL {
            return Err(self.err(
                token.line,
                format!("TTL \"{shown}\" is larger than 2147483647 seconds"),
            ));
        }
        u32::try_from(total).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few lines in the shape of the benchmark corpus (`corpus/zone/test.zone`).
    const REALISTIC: &str = r#"$ORIGIN test.
$TTL 3600
@ IN SOA ns1.test. hostmaster.test. ( 2024010101 3600 900 604800 300 )
@ IN NS ns1.test.
ns1 IN A 127.0.0.1
mx1.vendor01                                  3600 IN A     198.51.100.1
vendor01                                      3600 IN MX    10 mx1.vendor01.test.
vendor01                                      3600 IN A     198.51.100.2
mx1.vendor01                                  3600 IN TXT   "v=spf1 a -all"
vendor01                                      3600 IN TXT   "v=spf1 ip4:198.51.100.0/29 include:_spf.helpdeskmail.test -all"
sel2024._domainkey.vendor01                   3600 IN TXT   ( "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwCMzYIYUN0P9k9y0IYGyfHEdP+iaE+Gy6C+ijT6DRMAgLnmEfR5RPWKXINDTuQRi7vcTfnrpQJBb1uwuMK6jlTTjPd/FkgDKrPIlhbrahgwxKCU5oy30xEUhR/upg9jkFQh+zNxVVaWVHCrqHHapCxbed2MbR+bKj8Wl4mLQ62flycAA1oyohS55z7+A" "Mti7IF+bdrl2bC8+dUuY4sk+HuFL5QU6/b1mTAQhPDyJ9xqYJXlWx+Asjd8sZ1SD9rb5CMrTEGUnocAr7HIoLrUd5d+CE35/n4MdS0loLdArU81GJD/dKMkIRVmJCGG6efSZrRIgPerrgzY2GzUUoCIa1QIDAQAB" )
_dmarc.vendor01                               3600 IN TXT   "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@vendor01.test; adkim=r; aspf=r; fo=1"
"#;

    fn load(text: &str) -> ZoneSet {
        let mut z = ZoneSet::new();
        z.load_str(text, "t.zone").unwrap();
        z
    }

    fn records(answer: Answer) -> Vec<Record> {
        match answer {
            Answer::Records { records, .. } => records,
            other => panic!("expected records, got {other:?}"),
        }
    }

    fn txt_joined(answer: Answer) -> Vec<String> {
        records(answer)
            .into_iter()
            .map(|r| match r.data {
                RecordData::Txt(strings) => String::from_utf8(strings.concat()).unwrap(),
                other => panic!("not TXT: {other:?}"),
            })
            .collect()
    }

    /// Parses `text`, expecting a syntax error; returns (line, reason).
    fn syntax_error(text: &str) -> (usize, String) {
        let mut z = ZoneSet::new();
        match z.load_str(text, "bad.zone") {
            Err(ZoneError::Syntax {
                source,
                line,
                reason,
            }) => {
                assert_eq!(source, "bad.zone");
                assert!(z.is_empty(), "a refused file must add nothing");
                (line, reason)
            }
            other => panic!("expected a syntax error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_realistic_file() {
        let z = load(REALISTIC);
        assert_eq!(z.len(), 10);
        let soa = records(z.lookup("test", RecordType::Soa));
        assert_eq!(
            soa[0].data,
            RecordData::Soa {
                mname: "ns1.test.".into(),
                rname: "hostmaster.test.".into(),
                serial: 2_024_010_101,
                refresh: 3600,
                retry: 900,
                expire: 604_800,
                minimum: 300,
            }
        );
        assert_eq!(soa[0].ttl, 3600);
        let a = records(z.lookup("ns1.test.", RecordType::A));
        assert_eq!(a[0].data, RecordData::A(Ipv4Addr::new(127, 0, 0, 1)));
        let mx = records(z.lookup("VENDOR01.Test.", RecordType::Mx));
        assert_eq!(
            mx,
            vec![Record {
                name: "vendor01.test.".into(),
                ttl: 3600,
                data: RecordData::Mx {
                    preference: 10,
                    exchange: "mx1.vendor01.test.".into()
                },
            }]
        );
        let spf = txt_joined(z.lookup("vendor01.test", RecordType::Txt));
        assert_eq!(
            spf,
            ["v=spf1 ip4:198.51.100.0/29 include:_spf.helpdeskmail.test -all"]
        );
        let dkim = records(z.lookup("sel2024._domainkey.vendor01.test", RecordType::Txt));
        let RecordData::Txt(strings) = &dkim[0].data else {
            panic!()
        };
        assert_eq!(strings.len(), 2, "strings are kept unjoined");
        assert_eq!(strings[0].len(), 250);
        let key = String::from_utf8(strings.concat()).unwrap();
        assert!(key.starts_with("v=DKIM1; k=rsa; p=MIIBIjAN"));
        assert!(key.ends_with("IDAQAB"));
        assert!(key.contains("z7+AMti7IF"), "joined without a separator");
    }

    #[test]
    fn multiple_zones_in_one_file() {
        let z = load(
            "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 60\n@ NS ns1\nns1 A 192.0.2.1\n\
             www A 192.0.2.2\n\
             $ORIGIN example.org.\n@ 600 IN SOA ns1.example.com. admin 7 2 3 4 120\nwww IN 900 A 192.0.2.3\n\
             mail A 192.0.2.4\n",
        );
        assert_eq!(
            records(z.lookup("www.example.com", RecordType::A))[0].ttl,
            300
        );
        let org = records(z.lookup("www.example.org", RecordType::A));
        assert_eq!(org[0].ttl, 900, "class and TTL in either order");
        // The relative names of each zone hang off its own origin.
        assert!(matches!(
            z.lookup("mail.example.org", RecordType::A),
            Answer::Records { .. }
        ));
        let Answer::NxDomain { soa, .. } = z.lookup("nope.example.org", RecordType::A) else {
            panic!()
        };
        assert_eq!(soa.unwrap().name, "example.org.");
        let Answer::NxDomain { soa, .. } = z.lookup("nope.example.com", RecordType::A) else {
            panic!()
        };
        let soa = soa.unwrap();
        assert_eq!(soa.name, "example.com.");
        let RecordData::Soa { rname, .. } = soa.data else {
            panic!()
        };
        assert_eq!(rname, "hostmaster.example.com.");
        assert_eq!(
            z.lookup("example.net", RecordType::A),
            Answer::NxDomain {
                cnames: vec![],
                soa: None
            }
        );
    }

    #[test]
    fn blank_owner_comments_escapes_and_units() {
        let z = load(concat!(
            "$ORIGIN Example.COM. ; comment after a directive\n",
            "$TTL 1h\n",
            "; a full-line comment\n",
            "\n",
            "txt   IN TXT \"a;b\" unquoted \"say \\\"hi\\\"\" \"back\\\\slash\" \"\\065\\066C\" ; trailing\n",
            "      IN A 192.0.2.7\n",
            "\t2d   AAAA 2001:db8::1\n",
            "long  1h30m TXT ( \"first\"\n",
            "                  \"second\" ) ; split over lines\n",
        ));
        let strings = match &records(z.lookup("txt.example.com", RecordType::Txt))[0].data {
            RecordData::Txt(s) => s.clone(),
            _ => panic!(),
        };
        let as_str: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
        assert_eq!(
            as_str,
            [
                &b"a;b"[..],
                b"unquoted",
                b"say \"hi\"",
                b"back\\slash",
                b"ABC"
            ]
        );
        let a = records(z.lookup("txt.example.com", RecordType::A));
        assert_eq!(a[0].ttl, 3600);
        let aaaa = records(z.lookup("txt.example.com", RecordType::Aaaa));
        assert_eq!(aaaa[0].ttl, 172_800);
        assert_eq!(aaaa[0].name, "txt.example.com.");
        let long = txt_joined(z.lookup("long.example.com", RecordType::Txt));
        assert_eq!(long, ["firstsecond"]);
        assert_eq!(
            records(z.lookup("long.example.com", RecordType::Txt))[0].ttl,
            5400
        );
    }

    #[test]
    fn soa_spanning_lines_and_ttl_inheritance() {
        let z = load(concat!(
            "$ORIGIN x.test.\n",
            "@ IN SOA ns hostmaster (\n",
            "      2024010101 ; serial\n",
            "      3600       ; refresh\n",
            "      900 604800\n",
            "      300 )\n",
            "a 42 A 192.0.2.1\n",
            "b A 192.0.2.2\n",
        ));
        let soa = records(z.lookup("x.test", RecordType::Soa));
        assert_eq!(soa[0].ttl, 300, "SOA without TTL or $TTL uses its minimum");
        assert_eq!(records(z.lookup("b.x.test", RecordType::A))[0].ttl, 42);
    }

    #[test]
    fn wildcards() {
        let z = load(concat!(
            "$ORIGIN example.com.\n$TTL 60\n",
            "@ SOA ns hm 1 2 3 4 5\n",
            "*       TXT \"wild\"\n",
            "*       MX 10 mx\n",
            "host    A 192.0.2.1\n",
            "sub.deep A 192.0.2.2\n",
            "*.blocked TXT \"deeper wild\"\n",
        ));
        let r = records(z.lookup("anything.example.com", RecordType::Txt));
        assert_eq!(
            r[0].name, "anything.example.com.",
            "owner is the query name"
        );
        assert_eq!(
            txt_joined(z.lookup("a.b.c.example.com", RecordType::Txt)),
            ["wild"]
        );
        // The wildcard node has MX and TXT only: other types are NODATA.
        assert!(matches!(
            z.lookup("anything.example.com", RecordType::A),
            Answer::NoData { .. }
        ));
        // Existing names are not covered by the wildcard.
        assert!(matches!(
            z.lookup("host.example.com", RecordType::Txt),
            Answer::NoData { .. }
        ));
        // Nor are empty non-terminals ("deep" exists as the parent of sub.deep).
        assert!(matches!(
            z.lookup("deep.example.com", RecordType::Txt),
            Answer::NoData { .. }
        ));
        // Below an existing name, only that name's own wildcard could apply: none here.
        assert!(matches!(
            z.lookup("x.host.example.com", RecordType::Txt),
            Answer::NxDomain { .. }
        ));
        assert!(matches!(
            z.lookup("x.deep.example.com", RecordType::Txt),
            Answer::NxDomain { .. }
        ));
        // A closer wildcard wins.
        assert_eq!(
            txt_joined(z.lookup("q.blocked.example.com", RecordType::Txt)),
            ["deeper wild"]
        );
        // Outside the zone nothing matches.
        assert!(matches!(
            z.lookup("example.net", RecordType::Txt),
            Answer::NxDomain { soa: None, .. }
        ));
    }

    #[test]
    fn cname_chain_loop_and_types() {
        let z = load(concat!(
            "$ORIGIN example.com.\n$TTL 60\n",
            "@ SOA ns hm 1 2 3 4 5\n",
            "a CNAME b\n",
            "b CNAME c.example.com.\n",
            "c A 192.0.2.9\n",
            "c TXT \"at c\"\n",
            "dangling CNAME nowhere\n",
            "out CNAME elsewhere.example.net.\n",
            "loop1 CNAME loop2\n",
            "loop2 CNAME loop1\n",
        ));
        let Answer::Records { cnames, records } = z.lookup("a.example.com", RecordType::A) else {
            panic!()
        };
        let chain: Vec<(&str, &RecordData)> =
            cnames.iter().map(|c| (c.name.as_str(), &c.data)).collect();
        assert_eq!(
            chain,
            [
                (
                    "a.example.com.",
                    &RecordData::Cname("b.example.com.".into())
                ),
                (
                    "b.example.com.",
                    &RecordData::Cname("c.example.com.".into())
                ),
            ]
        );
        assert_eq!(records[0].name, "c.example.com.");
        // Asking for the CNAME itself does not follow it.
        let r = records_of(z.lookup("a.example.com", RecordType::Cname));
        assert_eq!(r.len(), 1);
        // Chain ending at a name without the type: NODATA, with the chain.
        let Answer::NoData { cnames, soa } = z.lookup("a.example.com", RecordType::Mx) else {
            panic!()
        };
        assert_eq!(cnames.len(), 2);
        assert_eq!(soa.unwrap().name, "example.com.");
        // Chain ending at a missing name: NXDOMAIN, with the chain.
        let Answer::NxDomain { cnames, soa } = z.lookup("dangling.example.com", RecordType::A)
        else {
            panic!()
        };
        assert_eq!(cnames.len(), 1);
        assert!(soa.is_some());
        // Leaving the loaded zones: NXDOMAIN without SOA.
        assert!(matches!(
            z.lookup("out.example.com", RecordType::A),
            Answer::NxDomain { soa: None, ref cnames } if cnames.len() == 1
        ));
        // A loop ends (bounded) instead of hanging.
        let Answer::NoData { cnames, .. } = z.lookup("loop1.example.com", RecordType::A) else {
            panic!()
        };
        assert_eq!(cnames.len(), 2);
        // Types this module does not model still follow the alias.
        assert!(matches!(
            z.resolve("a.example.com", None),
            Answer::NoData { ref cnames, .. } if cnames.len() == 2
        ));
    }

    fn records_of(answer: Answer) -> Vec<Record> {
        records(answer)
    }

    #[test]
    fn nxdomain_vs_nodata_and_empty_non_terminals() {
        let z = load(REALISTIC);
        // Exists with other types.
        let Answer::NoData { cnames, soa } = z.lookup("ns1.test", RecordType::Txt) else {
            panic!()
        };
        assert!(cnames.is_empty());
        assert_eq!(soa.unwrap().name, "test.");
        // Empty non-terminal: `_domainkey.vendor01.test` only exists as a parent.
        assert!(matches!(
            z.lookup("_domainkey.vendor01.test", RecordType::Txt),
            Answer::NoData { soa: Some(_), .. }
        ));
        assert!(matches!(
            z.lookup("nope._domainkey.vendor01.test", RecordType::Txt),
            Answer::NxDomain { soa: Some(_), .. }
        ));
        assert!(matches!(
            z.lookup("vendor99.test", RecordType::A),
            Answer::NxDomain { soa: Some(_), .. }
        ));
        // ANY returns everything at the name.
        assert_eq!(records(z.lookup("vendor01.test", RecordType::Any)).len(), 3);
    }

    #[test]
    fn programmatic_inserts_and_timeouts() {
        let mut z = ZoneSet::new();
        assert!(z.is_empty());
        z.insert(
            "_DMARC.Example.COM",
            300,
            RecordData::Txt(vec![b"v=DMARC1; p=none".to_vec()]),
        );
        z.insert(
            "example.com.",
            300,
            RecordData::Mx {
                preference: 5,
                exchange: "MX.Example.com".into(),
            },
        );
        z.insert("slow.example.com", 300, RecordData::A(Ipv4Addr::LOCALHOST));
        z.insert_timeout("SLOW.example.com.");
        assert!(!z.is_empty());
        let mx = records(z.lookup("example.com", RecordType::Mx));
        assert_eq!(
            mx[0].data,
            RecordData::Mx {
                preference: 5,
                exchange: "mx.example.com.".into()
            }
        );
        assert_eq!(
            txt_joined(z.lookup("_dmarc.example.com.", RecordType::Txt)),
            ["v=DMARC1; p=none"]
        );
        assert_eq!(z.lookup("slow.example.com", RecordType::A), Answer::Timeout);
        // With no zone loaded, parents of inserted names exist (NODATA), others do not.
        assert!(matches!(
            z.lookup("com", RecordType::A),
            Answer::NoData { soa: None, .. }
        ));
        assert!(matches!(
            z.lookup("x.example.com", RecordType::A),
            Answer::NxDomain { soa: None, .. }
        ));
        // An alias into a timed-out name times out too.
        z.insert(
            "alias.example.com",
            60,
            RecordData::Cname("slow.example.com".into()),
        );
        assert_eq!(
            z.lookup("alias.example.com", RecordType::A),
            Answer::Timeout
        );
        // Duplicates collapse.
        z.insert("slow.example.com", 60, RecordData::A(Ipv4Addr::LOCALHOST));
        assert_eq!(z.len(), 4);
    }

    #[test]
    fn names_outside_zones_are_nxdomain() {
        let z = load("$ORIGIN example.com.\n@ 60 SOA ns hm 1 2 3 4 5\nwww 60 A 192.0.2.1\n");
        // `com.` is only an ancestor of the zone, not part of it.
        assert!(matches!(
            z.lookup("com", RecordType::A),
            Answer::NxDomain { soa: None, .. }
        ));
    }

    #[test]
    fn display_round_trips() {
        let z = load(REALISTIC);
        let mut text = String::new();
        let mut all: Vec<Record> = z.nodes.values().flatten().cloned().collect();
        all.sort_by_key(ToString::to_string);
        for r in &all {
            text.push_str(&r.to_string());
            text.push('\n');
        }
        let mut round = ZoneSet::new();
        // TXT strings stay within 255 bytes each, so the output is a valid file.
        round.load_str(&text, "display").unwrap();
        let mut again: Vec<Record> = round.nodes.values().flatten().cloned().collect();
        again.sort_by_key(ToString::to_string);
        assert_eq!(all, again);
        let bin = Record {
            name: "b.".into(),
            ttl: 1,
            data: RecordData::Txt(vec![vec![0, b'"', 200]]),
        };
        assert_eq!(bin.to_string(), "b. 1 IN TXT \"\\000\\\"\\200\"");
    }

    #[test]
    fn record_type_conversions() {
        for t in [
            RecordType::A,
            RecordType::Aaaa,
            RecordType::Mx,
            RecordType::Txt,
            RecordType::Ptr,
            RecordType::Cname,
            RecordType::Ns,
            RecordType::Soa,
            RecordType::Any,
        ] {
            let wire: WireType = t.into();
            assert_eq!(RecordType::try_from(wire), Ok(t));
            assert_eq!(t.as_str().to_lowercase().parse::<RecordType>(), Ok(t));
            assert_eq!(wire.to_string(), t.to_string());
        }
        assert!(RecordType::try_from(WireType::SRV).is_err());
        assert!("SRV".parse::<RecordType>().is_err());
    }

    #[test]
    fn load_file_errors_name_the_file() {
        let mut z = ZoneSet::new();
        let err = z
            .load_file(Path::new("/nonexistent/countersign/x.zone"))
            .unwrap_err();
        assert!(matches!(err, ZoneError::Io { .. }));
        assert!(
            err.to_string()
                .starts_with("/nonexistent/countersign/x.zone: ")
        );
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn malformed_files_report_line_and_reason() {
        let head = "$ORIGIN test.\n$TTL 60\n";
        let cases: &[(&str, usize, &str)] = &[
            ("a A 300.1.2.3\n", 3, "bad IPv4 address \"300.1.2.3\""),
            (
                "a AAAA 2001:db8::g\n",
                3,
                "bad IPv6 address \"2001:db8::g\"",
            ),
            (
                "a A 192.0.2.1\nb SRV 0 0 25 a\n",
                4,
                "unknown record type \"SRV\"",
            ),
            ("a TXT \"open\n", 3, "unterminated quoted string"),
            ("a TXT ( \"x\"\n\"y\"\n", 3, "'(' is never closed"),
            ("a TXT \"x\" )\n", 3, "')' without a matching '('"),
            ("a TXT ( ( \"x\" ) )\n", 3, "nested '('"),
            ("a MX mx.test.\n", 3, "MX record needs 2 fields, found 1"),
            ("a MX ten mx\n", 3, "bad MX preference \"ten\""),
            (
                "a A 192.0.2.1 192.0.2.2\n",
                3,
                "unexpected \"192.0.2.2\" after A data",
            ),
            ("a CH TXT \"x\"\n", 3, "unsupported class \"CH\""),
            ("a 1x A 192.0.2.1\n", 3, "bad TTL \"1x\""),
            ("a\n", 3, "missing record type"),
            ("a TXT \"\\300\"\n", 3, "bad escape"),
            ("a..b A 192.0.2.1\n", 3, "empty label"),
            ("$INCLUDE other.zone\n", 3, "$INCLUDE is not supported"),
            ("$FOO bar\n", 3, "unknown directive \"$FOO\""),
            ("a CNAME \"quoted\"\n", 3, "unexpected quoted string"),
            (
                "@ SOA ns hm (\n 1 2\n 3 4 )\n",
                5,
                "SOA record needs 7 fields, found 6",
            ),
        ];
        for (body, line, reason) in cases {
            let (got_line, got_reason) = syntax_error(&format!("{head}{body}"));
            assert_eq!(got_line, *line, "line for {body:?}: {got_reason}");
            assert!(
                got_reason.contains(reason),
                "reason for {body:?}: {got_reason:?} lacks {reason:?}"
            );
        }

        let long = format!("{head}a TXT \"{}\"\n", "x".repeat(256));
        assert!(syntax_error(&long).1.contains("longer than 255"));
        let (line, reason) = syntax_error("www A 192.0.2.1\n");
        assert_eq!(
            (line, reason.as_str()),
            (1, "relative name \"www\" with no $ORIGIN")
        );
        let (line, _) = syntax_error("@ 60 A 192.0.2.1\n");
        assert_eq!(line, 1);
        let (line, reason) = syntax_error("  60 A 192.0.2.1\n");
        assert_eq!(line, 1);
        assert!(reason.contains("no previous owner"));
        let (line, reason) = syntax_error("$ORIGIN test.\na A 192.0.2.1\n");
        assert_eq!(line, 2);
        assert!(reason.contains("no TTL"));
        // Display reads like a compiler diagnostic.
        let mut z = ZoneSet::new();
        let err = z
            .load_str(
                &format!("{head}\n\n\n\n\n\n\n\n\nx A 300.1.2.3\n"),
                "test.zone",
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.zone:12: bad IPv4 address \"300.1.2.3\""
        );
    }
}
