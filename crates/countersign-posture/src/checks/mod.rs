//! Checks of our domains' published records: SPF (RFC 7208), DMARC
//! (RFC 7489 and DMARCbis), DKIM keys (RFC 6376, 8301, 8463) and MX.
//!
//! No IO. A check runs over DNS answers already fetched ([`Facts`]); when
//! it needs an answer it does not have, it says which ([`Outcome::Need`]),
//! the caller asks DNS and runs it again. The walk is bounded (include depth,
//! queries per domain), so a hostile record cannot make it ask without end.
//! Every [`Finding`] says what is wrong and how to fix it, in words.

mod dkim;
mod dmarc;
mod mx;
mod spf;

use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

pub use dkim::DkimKey;
pub use dmarc::DmarcSummary;
pub use spf::SpfSummary;

/// A DNS question a check needs answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "name", rename_all = "UPPERCASE")]
pub enum Query {
    /// TXT records at a name.
    Txt(String),
    /// MX records at a name.
    Mx(String),
    /// A records at a name.
    A(String),
    /// AAAA records at a name.
    Aaaa(String),
}

impl Query {
    /// The name asked about.
    pub fn name(&self) -> &str {
        match self {
            Query::Txt(n) | Query::Mx(n) | Query::A(n) | Query::Aaaa(n) => n,
        }
    }
}

/// What DNS answered. MX records are `"<preference> <exchange>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The records.
    Records(Vec<String>),
    /// The name does not exist.
    NxDomain,
    /// The name exists, without records of the type.
    NoData,
    /// No answer (time-out, SERVFAIL, ...).
    Failed(String),
}

impl Answer {
    fn records(&self) -> &[String] {
        match self {
            Answer::Records(r) => r,
            _ => &[],
        }
    }

    /// NXDOMAIN or no records: a "void lookup" (RFC 7208 4.6.4).
    fn is_void(&self) -> bool {
        match self {
            Answer::NxDomain | Answer::NoData => true,
            Answer::Records(r) => r.is_empty(),
            Answer::Failed(_) => false,
        }
    }
}

/// Normalises a name for [`Facts`]: lower case, no trailing dot.
pub fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// DNS answers gathered so far.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    answers: HashMap<Query, Answer>,
}

impl Facts {
    /// Records an answer.
    pub fn insert(&mut self, query: Query, answer: Answer) {
        self.answers.insert(query, answer);
    }

    /// Number of answers held.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// True when none are held.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Receivers will not apply what you meant, or attackers can use it.
    Error,
    /// Weakens protection or risks breaking legitimate mail.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// One thing found about a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// Which record: `spf`, `dmarc`, `dkim:<selector>`, `mx`.
    pub record: String,
    /// Stable identifier, e.g. `spf.too_many_lookups`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it (empty for information).
    pub fix: String,
}

/// What to check for one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    /// The domain.
    pub domain: String,
    /// DKIM selectors we sign with.
    pub selectors: Vec<String>,
}

/// Everything found about one domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainReport {
    /// The domain.
    pub domain: String,
    /// Findings, worst first.
    pub findings: Vec<Finding>,
    /// The SPF record and its counts, when there is one.
    pub spf: Option<SpfSummary>,
    /// The DMARC record, when there is one.
    pub dmarc: Option<DmarcSummary>,
    /// The DKIM keys found.
    pub dkim: Vec<DkimKey>,
    /// MX records (preference, host).
    pub mx: Vec<(u16, String)>,
    /// DNS questions answered for this report.
    pub queries: usize,
}

impl DomainReport {
    /// The worst severity found, `None` when nothing was found.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }
}

/// The result of one run over the facts.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Everything needed was answered.
    Done(Box<DomainReport>),
    /// Ask these and run again.
    Need(Vec<Query>),
}

/// Most DNS questions for one domain: RFC 7208's ten lookups, with their
/// nested includes, MX and DKIM, fit well within it.
pub const MAX_QUERIES: usize = 200;

/// The state of one run: the facts, what is missing, what was found.
pub(crate) struct Ctx<'f> {
    facts: &'f Facts,
    missing: BTreeSet<Query>,
    /// Treat unanswered questions as failed (the query bound was reached).
    final_run: bool,
    findings: Vec<Finding>,
}

impl<'f> Ctx<'f> {
    /// The answer to `q`, or `None` after noting it as missing.
    pub(crate) fn ask(&mut self, q: Query) -> Option<&'f Answer> {
        match self.facts.answers.get(&q) {
            Some(a) => Some(a),
            None if self.final_run => None,
            None => {
                self.missing.insert(q);
                None
            }
        }
    }

    /// Whether an unanswered question means "stop here for now".
    pub(crate) fn incomplete(&self) -> bool {
        !self.missing.is_empty()
    }

    pub(crate) fn find(
        &mut self,
        severity: Severity,
        record: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.findings.push(Finding {
            severity,
            record: record.into(),
            code,
            message: message.into(),
            fix: fix.into(),
        });
    }
}

/// Runs every check for `req` over `facts`. With `final_run`, questions
/// still unanswered (the caller stopped asking) count as failed lookups.
pub fn check_domain(req: &CheckRequest, facts: &Facts, final_run: bool) -> Outcome {
    let domain = normalise(&req.domain);
    let mut ctx = Ctx {
        facts,
        missing: BTreeSet::new(),
        final_run,
        findings: Vec::new(),
    };
    let spf = spf::check(&mut ctx, &domain);
    let dmarc = dmarc::check(&mut ctx, &domain);
    let dkim = dkim::check(&mut ctx, &domain, &req.selectors);
    let mx = mx::check(&mut ctx, &domain);
    if !ctx.missing.is_empty() && !final_run {
        return Outcome::Need(ctx.missing.into_iter().collect());
    }
    let mut findings = ctx.findings;
    // Worst first, then by record; stable for equal ones.
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.record.cmp(&b.record)));
    Outcome::Done(Box::new(DomainReport {
        domain,
        findings,
        spf,
        dmarc,
        dkim,
        mx,
        queries: facts.len(),
    }))
}

/// TXT records at `name` that start with `prefix` (a version tag), as the
/// relevant RFC reads them: `v=spf1` case-insensitively followed by a space
/// or the end, `v=DMARC1` followed by `;`, space or the end.
pub(crate) fn versioned<'a>(records: &'a [String], prefix: &str) -> Vec<&'a str> {
    records
        .iter()
        .map(String::as_str)
        .filter(|r| {
            let t = r.trim_start();
            t.len() >= prefix.len()
                && t[..prefix.len()].eq_ignore_ascii_case(prefix)
                && t[prefix.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == ' ' || c == ';' || c == '\t')
        })
        .collect()
}

/// `tag=value` pairs of a DKIM or DMARC record (RFC 6376 3.2), in order.
/// Returns the pairs and the pieces that are not `tag=value`.
pub(crate) fn tag_list(record: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut tags = Vec::new();
    let mut bad = Vec::new();
    for part in record.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        match part.split_once('=') {
            Some((t, v)) if !t.trim().is_empty() => {
                tags.push((t.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
            _ => bad.push(part.to_owned()),
        }
    }
    (tags, bad)
}

#[cfg(test)]
mod tests;
