//! Request risk: what a help-desk message asks for, and how it tries to get
//! it.
//!
//! Quid pro quo attacks wrap a *request* (reset my password, enrol my new
//! phone, install this tool, pay this new account) in a *lure* (free support,
//! a gift card, an urgent patch, a job offer, time pressure). This crate
//! decodes a message once ([`MessageContent::parse`]) and matches it against a
//! [`Rulebook`] of weighted phrases in English, German, French and Spanish in
//! a single pass ([`assess`]). The result names each rule that fired, its
//! category and the phrase that triggered it, so a verdict can say why.
//!
//! ```
//! use countersign_risk::{MessageContent, RiskCategory, Rulebook, assess};
//!
//! let rules = Rulebook::default_rules();
//! let raw = b"From: \"IT Support\" <it@help-desk.example>\r\n\
//!             Subject: Urgent: password expires today\r\n\r\n\
//!             Hi, reply with your current password so we can reset it.\r\n";
//! let content = MessageContent::parse(raw);
//! let risk = assess(&content, &rules);
//! assert!(risk.high_risk);
//! assert!(risk.findings.iter().any(|f| f.category == RiskCategory::CredentialReset));
//! assert!(risk.lures.contains(&RiskCategory::Urgency));
//! ```
//!
//! Architecture invariant: no IO. The default rulebook is compiled in; other
//! rulebooks are handed over as text.

mod category;
mod content;
mod error;
mod extract;
mod html;
mod lexicon;
mod normalize;
mod recognise;
mod report;
mod rulebook;

pub use category::RiskCategory;
pub use content::{
    ActivePage, Attachment, LinkMismatch, ListHeaders, MAX_MESSAGE_DEPTH, MAX_MIME_DEPTH, Mailbox,
    MessageContent, Reported,
};
pub use error::RulebookError;
pub use extract::MAX_ITEMS;
pub use recognise::own_words;
pub use report::disbelief;
pub use rulebook::{DEFAULT_ORIGIN, Guard, MAX_GAP_WORDS, Rule, Rulebook};

use std::ops::Range;

use normalize::{Marks, SEGMENT_SEPARATOR, fold_into, fold_into_marking};
use rulebook::{sentence_end, sentence_start};

/// Where in the message a phrase was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Location {
    /// The `Subject` header.
    Subject,
    /// A text or HTML body part.
    Body,
    /// The file name of an attachment.
    AttachmentName,
    /// The host name of a link.
    LinkDomain,
}

impl Location {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Subject => "subject",
            Location::Body => "body",
            Location::AttachmentName => "attachment_name",
            Location::LinkDomain => "link_domain",
        }
    }
}

/// Why a rule fired.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    /// The rule's pattern as written in the rulebook.
    pub phrase: String,
    /// The text that matched, in folded form (lowercase, accents and
    /// invisible characters removed).
    pub matched: String,
    /// Where it matched.
    pub location: Location,
    /// An indicator the finding depends on: the phone number a callback-bait
    /// finding refers to.
    pub indicator: Option<String>,
}

/// One rule that fired on a message. A rule fires at most once per message,
/// with the evidence of its first match.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RiskFinding {
    /// The rule's name.
    pub rule: String,
    /// The rule's category.
    pub category: RiskCategory,
    /// The rule's weight, 0 to 100.
    pub weight: u32,
    /// What matched, and where.
    pub evidence: Evidence,
}

impl RiskFinding {
    /// The rule of a sign-in "as usual" ("sign in with your usual
    /// credentials: https://..."): credentials typed into a linked page
    /// that the text says the reader already uses. Whether it is a request
    /// depends on the page: the organisation's own or a known party's is
    /// the usual one, any other is not. The caller, who knows the
    /// domains, decides.
    pub const SIGN_IN_AS_USUAL: &'static str = "grammar.credential_reset.as_usual";
}

/// The risk reading of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RiskAssessment {
    /// Every rule that fired, in order of first match (subject first).
    pub findings: Vec<RiskFinding>,
    /// Whether any finding is a high-risk request
    /// ([`RiskCategory::is_high_risk_request`]).
    pub high_risk: bool,
    /// The lure categories found, each once, in category order.
    pub lures: Vec<RiskCategory>,
    /// The sum of the weights of the rules that fired.
    pub score: u32,
}

impl RiskAssessment {
    /// The high-risk request categories found, each once, in category
    /// order; a sign-in as usual is left to the caller.
    pub fn requests(&self) -> Vec<RiskCategory> {
        let mut v: Vec<RiskCategory> = self
            .findings
            .iter()
            .filter(|f| f.rule != RiskFinding::SIGN_IN_AS_USUAL)
            .map(|f| f.category)
            .filter(|c| c.is_high_risk_request())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Every category found, each once, in category order; a sign-in as
    /// usual is left to the caller.
    pub fn categories(&self) -> Vec<RiskCategory> {
        let mut v: Vec<RiskCategory> = self
            .findings
            .iter()
            .filter(|f| f.rule != RiskFinding::SIGN_IN_AS_USUAL)
            .map(|f| f.category)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Matches `content` against `rulebook` in one pass over its folded text
/// (subject, every body part, attachment names and link domains).
///
/// Callback-bait rules only count when the message also supplies a phone
/// number: "call us back" without a number is ordinary politeness.
pub fn assess(content: &MessageContent, rulebook: &Rulebook) -> RiskAssessment {
    let mut buffer = Vec::with_capacity(
        content.subject.as_ref().map_or(0, String::len)
            + content
                .text_parts
                .iter()
                .chain(&content.html_parts)
                .map(String::len)
                .sum::<usize>()
            + 64,
    );
    // Segment ends (exclusive) with their location, in buffer order.
    let mut segments: Vec<(usize, Location)> = Vec::new();
    let mut marks = Marks::default();
    let mut add = |buffer: &mut Vec<u8>, text: &str, location: Location| {
        let start = buffer.len();
        if location == Location::Body {
            fold_into_marking(buffer, text, &mut marks);
        } else {
            fold_into(buffer, text);
        }
        let end = buffer.len();
        buffer.push(SEGMENT_SEPARATOR as u8);
        segments.push((buffer.len(), location));
        start..end
    };
    if let Some(subject) = &content.subject {
        add(&mut buffer, subject, Location::Subject);
    }
    let text_parts: Vec<Range<usize>> = content
        .text_parts
        .iter()
        .map(|t| add(&mut buffer, t, Location::Body))
        .collect();
    // An HTML part whose text equals a plain part's but for its whitespace
    // folds to the same text (see `same_but_whitespace`): it can yield no
    // finding the plain part does not, so it is neither folded nor read.
    let html_parts: Vec<Range<usize>> = content
        .html_parts
        .iter()
        .filter(|h| {
            !content
                .text_parts
                .iter()
                .any(|t| same_but_whitespace(h.as_bytes(), t.as_bytes()))
        })
        .map(|t| add(&mut buffer, t, Location::Body))
        .collect();
    for name in content.attachments.iter().filter_map(|a| a.name.as_deref()) {
        add(&mut buffer, name, Location::AttachmentName);
    }
    for domain in &content.link_domains {
        add(&mut buffer, domain, Location::LinkDomain);
    }
    // `fold_into` appends whole characters only, so this cannot fail; an
    // empty buffer would merely mean no findings.
    let buffer = String::from_utf8(buffer).unwrap_or_default();
    let ranges = ranges_to_scan(
        &buffer,
        &text_parts,
        &html_parts,
        &marks.link_ends,
        rulebook.max_span(),
    );

    let reading = read_grammar(
        content,
        rulebook,
        &buffer,
        &segments,
        &marks,
        &text_parts,
        &html_parts,
        &ranges,
    );
    // A reply's subject repeats the message it answers: a request named
    // there was made (and is being dealt with) in that message, not in
    // this one. What this one asks stands in its body.
    let subject_echoes = content.subject.as_deref().is_some_and(is_reply_subject);
    let echoed = |at: usize, category: RiskCategory| {
        subject_echoes
            && category.is_high_risk_request()
            && segments
                .first()
                .is_some_and(|&(end, location)| location == Location::Subject && at < end)
    };
    let rules = rulebook.rules();
    let mut fired = vec![false; rules.len()];
    let mut assessment = RiskAssessment::default();
    for hit in rulebook.scan_ranges(&buffer, &ranges) {
        let rule = &rules[hit.rule];
        if fired[hit.rule] || echoed(hit.start, rule.category) {
            continue;
        }
        // A request's phrase inside a clause the grammar read as negated or
        // reported ("we will never ask you to install ...") asks nothing.
        if rule.category.is_high_risk_request()
            && (reading
                .muted
                .iter()
                .any(|m| m.start <= hit.start && hit.end <= m.end)
                || reading.scenes.iter().any(|m| m.contains(&hit.start)))
        {
            continue;
        }
        // A clause describing what someone else can do ("admins can now
        // reset a user's MFA without a ticket") asks nothing of the reader.
        if reading
            .described
            .iter()
            .any(|m| m.start <= hit.start && hit.end <= m.end)
        {
            continue;
        }
        let indicator = if rule.category == RiskCategory::CallbackBait {
            match content.phone_numbers.first() {
                Some(number) => Some(number.clone()),
                None => continue,
            }
        } else {
            None
        };
        fired[hit.rule] = true;
        let location = segments
            .iter()
            .find(|(end, _)| hit.start < *end)
            .map_or(Location::Body, |s| s.1);
        assessment.score += rule.weight;
        assessment.high_risk |= rule.category.is_high_risk_request();
        if rule.category.is_lure() && !assessment.lures.contains(&rule.category) {
            assessment.lures.push(rule.category);
        }
        assessment.findings.push(RiskFinding {
            rule: rule.name.clone(),
            category: rule.category,
            weight: rule.weight,
            evidence: Evidence {
                phrase: rule.patterns[hit.pattern].clone(),
                matched: buffer[hit.start..hit.end].to_owned(),
                location,
                indicator,
            },
        });
    }
    executables(content, &mut assessment);
    sign_in_pages(content, &mut assessment);
    sealed_archive(content, &mut assessment);
    let found = reading
        .found
        .into_iter()
        .filter(|f| !echoed(f.clause.start, f.category))
        .collect();
    add_recognised(found, &buffer, &segments, &mut assessment);
    assessment.lures.sort_unstable();
    assessment
}

/// What the grammar of requests saw in `content`: its clauses, the word
/// classes of their words and the request act of each. A diagnostic for
/// people asking why a message was or was not recognised; the output is
/// text for reading, not a stable format.
pub fn explain(content: &MessageContent, rulebook: &Rulebook) -> String {
    let mut buffer = Vec::new();
    let mut marks = Marks::default();
    let mut ranges = Vec::new();
    for text in content
        .subject
        .iter()
        .chain(&content.text_parts)
        .chain(&content.html_parts)
    {
        let start = buffer.len();
        fold_into_marking(&mut buffer, text, &mut marks);
        ranges.push(start..buffer.len());
        buffer.push(SEGMENT_SEPARATOR as u8);
    }
    let buffer = String::from_utf8(buffer).unwrap_or_default();
    rulebook.recogniser().explain(&buffer, &ranges, &marks)
}

/// File name endings of programs and scripts Windows runs on a double click,
/// of browser extensions and of macOS installers.
const EXECUTABLE_ENDINGS: &[&str] = &[
    ".exe", ".msi", ".scr", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".hta",
    ".lnk", ".jar", ".appx", ".msix", ".iso", ".img", ".com", ".pif", ".reg", ".dll", ".crx",
    ".xpi", ".dmg", ".pkg",
];

/// An attached program is an install waiting to happen: a finding whatever
/// the text says.
fn executables(content: &MessageContent, assessment: &mut RiskAssessment) {
    let Some(name) = content
        .attachments
        .iter()
        .filter_map(|a| a.name.as_deref())
        .find(|n| {
            let lower = n.trim().to_ascii_lowercase();
            EXECUTABLE_ENDINGS.iter().any(|e| lower.ends_with(e))
        })
    else {
        return;
    };
    push_program(
        assessment,
        "attachment.executable",
        "a program or script attached".to_owned(),
        name.to_owned(),
        Location::AttachmentName,
    );
}

/// An attached web page with a password field or a form that sends what is
/// typed to a web site asks for a sign-in, whatever the text around it
/// says ("open the attachment to play your message").
fn sign_in_pages(content: &MessageContent, assessment: &mut RiskAssessment) {
    let Some((name, page)) = content.attached_page(ActivePage::asks_sign_in) else {
        return;
    };
    push_structural(
        assessment,
        "attachment.sign_in_page",
        RiskCategory::CredentialReset,
        format!("an attached web page that {}", page.describe()),
        name.to_owned(),
        Location::AttachmentName,
    );
}

/// A program handed over whatever the text says: a software install,
/// found by the message's structure rather than its words.
fn push_program(
    assessment: &mut RiskAssessment,
    rule: &str,
    phrase: String,
    matched: String,
    location: Location,
) {
    let category = RiskCategory::SoftwareInstall;
    push_structural(assessment, rule, category, phrase, matched, location);
}

/// A request found by the message's structure (what it attaches or links),
/// not by its words.
fn push_structural(
    assessment: &mut RiskAssessment,
    rule: &str,
    category: RiskCategory,
    phrase: String,
    matched: String,
    location: Location,
) {
    let weight = recognised_weight(category);
    assessment.score += weight;
    assessment.high_risk = true;
    assessment.findings.push(RiskFinding {
        rule: rule.to_owned(),
        category,
        weight,
        evidence: Evidence {
            phrase,
            matched,
            location,
            indicator: None,
        },
    });
}

/// File name endings of archives that can be sealed with a password.
const ARCHIVE_ENDINGS: &[&str] = &[".zip", ".rar", ".7z"];

/// Words that name a password, as they stand before "password: ...".
const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passwort",
    "kennwort",
    "mot de passe",
    "contraseña",
    "contrasena",
    "pw",
    "pwd",
];

/// An archive, attached or linked, whose password the message gives
/// ("password: 2026"): what is inside was sealed from every scanner on the
/// way, and the reader holds the key. The program it hides is an install
/// waiting to happen, whatever the text calls it.
fn sealed_archive(content: &MessageContent, assessment: &mut RiskAssessment) {
    let texts = || content.text_parts.iter().chain(&content.html_parts);
    let archive = content
        .attachments
        .iter()
        .filter_map(|a| a.name.as_deref())
        .map(|n| n.trim().to_ascii_lowercase())
        .find(|n| ARCHIVE_ENDINGS.iter().any(|e| n.ends_with(e)))
        .or_else(|| texts().find_map(|t| archive_named_in(t)));
    let Some(archive) = archive else {
        return;
    };
    let Some(given) = texts().find_map(|t| password_given(t)) else {
        return;
    };
    push_program(
        assessment,
        "attachment.sealed_archive",
        format!("an archive sealed with the password the message gives: {given}"),
        archive,
        Location::Body,
    );
}

/// A file name or link in `text` that ends in an archive's ending.
fn archive_named_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    // Each dot is a candidate ending: most messages name no archive, and
    // this is read for every message.
    memchr::memchr_iter(b'.', bytes).find_map(|dot| {
        let ending = ARCHIVE_ENDINGS.iter().find(|e| {
            bytes
                .get(dot..dot + e.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(e.as_bytes()))
        })?;
        let end = dot + ending.len();
        // The ending ends the name: "x.zip", "x.zip?dl=1", not "x.zipper".
        if bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let start = text[..dot]
            .rfind(|c: char| c.is_whitespace() || matches!(c, '(' | '<' | '"' | '\''))
            .map_or(0, |i| i + 1);
        (dot > start).then(|| text[start..end].to_owned())
    })
}

/// "Password: luna2026", "mot de passe : 2026", "pw=xyz": a password
/// written out after its name and a colon or equals sign.
fn password_given(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b':', b'=', bytes).find_map(|sep| {
        // The name just before the sign, spaces between allowed.
        let before = text[..sep].trim_end_matches([' ', '\t']);
        let word = PASSWORD_WORDS.iter().find(|w| {
            before.len() >= w.len()
                && before.is_char_boundary(before.len() - w.len())
                && before[before.len() - w.len()..]
                    .chars()
                    .flat_map(char::to_lowercase)
                    .eq(w.chars())
                // A whole word: "pw" is not the end of "npw".
                && !before[..before.len() - w.len()]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        })?;
        let value: String = text[sep + 1..]
            .trim_start_matches([' ', '\t'])
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(40)
            .collect();
        let value = value.trim_end_matches(['.', ',', ';', ')']);
        (!value.is_empty() && value.chars().any(char::is_alphanumeric))
            .then(|| format!("{word}: {value}"))
    })
}

/// How much of each part the grammar reads: a bound on the work one message
/// can cause. Requests and lures stand in the first screens of a message;
/// the phrase rulebook still scans the whole of it.
pub const GRAMMAR_BYTES: usize = 6 * 1024;

/// `end`, or `start + limit` moved back to a character boundary if sooner.
fn cut_at_char(buffer: &str, start: usize, end: usize, limit: usize) -> usize {
    if end - start <= limit {
        return end;
    }
    let mut at = start + limit;
    while !buffer.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The weight of a finding of the recogniser, by category.
fn recognised_weight(category: RiskCategory) -> u32 {
    match category {
        RiskCategory::CredentialReset | RiskCategory::MfaReset | RiskCategory::PaymentChange => 70,
        c if c.is_high_risk_request() => 60,
        RiskCategory::Secrecy | RiskCategory::FakeTechSupport | RiskCategory::UrgentPatch => 30,
        RiskCategory::Urgency | RiskCategory::JobOffer => 15,
        _ => 25,
    }
}

/// Adds what the grammar of requests and lures finds (see `recognise.rs`)
/// to `assessment`: the subject, every text part and every HTML part that
/// is not a plain part's twin, each up to its quoted history.
#[allow(clippy::too_many_arguments)]
fn read_grammar(
    content: &MessageContent,
    rulebook: &Rulebook,
    buffer: &str,
    segments: &[(usize, Location)],
    marks: &Marks,
    text_parts: &[Range<usize>],
    html_parts: &[Range<usize>],
    scanned: &[Range<usize>],
) -> recognise::Reading {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let subject_end = match (content.subject.is_some(), segments.first()) {
        (true, Some(&(end, _))) => end,
        _ => 0,
    };
    if content.subject.is_some()
        && let Some(&(end, _)) = segments.first()
    {
        ranges.push(0..end.saturating_sub(1));
    }
    // The quoted history under the writer's own words: a request found
    // there was asked before, of someone else, and is not asked again.
    let mut history: Vec<Range<usize>> = Vec::new();
    for (n, part) in text_parts.iter().chain(html_parts).enumerate() {
        let text = &buffer[part.clone()];
        // The writer's own words end where the quoted history starts, unless
        // there are none above it (a bare forward is read whole).
        let end = match recognise::history_cut(text) {
            Some(at) => {
                history.push(part.start + at..part.end);
                part.start + at
            }
            None => part.end,
        };
        // The grammar reads the first `GRAMMAR_BYTES` of each part's own
        // words (requests come first; the phrase scan reads everything).
        let end = cut_at_char(buffer, part.start, end, GRAMMAR_BYTES);
        if n < text_parts.len() {
            ranges.push(part.start..end);
            continue;
        }
        // An HTML alternative is read where it differs from its plain twin
        // (the same regions the phrase scan reads, margins included): what
        // both say is read once, in the plain part.
        for r in scanned {
            let (a, b) = (r.start.max(part.start), r.end.min(end));
            if a < b {
                ranges.push(a..b);
            }
        }
    }
    let mut reading = rulebook.recogniser().recognise(
        buffer,
        &ranges,
        marks,
        &content.phone_numbers,
        subject_end,
    );
    reading.muted.extend(history);
    reading
}

/// "RE: ...", "AW: [INC-1] ...", "Antw: ...": the subject of a reply, after
/// any ticket tags in brackets.
fn is_reply_subject(subject: &str) -> bool {
    let mut rest = subject.trim_start();
    while let Some(tagged) = rest.strip_prefix('[') {
        match tagged.split_once(']') {
            Some((_, after)) => rest = after.trim_start(),
            None => return false,
        }
    }
    let Some((prefix, _)) = rest.split_once(':') else {
        return false;
    };
    ["re", "aw", "antw", "antwort", "sv", "r", "rif", "res"]
        .iter()
        .any(|p| prefix.trim().eq_ignore_ascii_case(p))
}

/// Adds the grammar's findings to `assessment`.
fn add_recognised(
    found: Vec<recognise::Recognised>,
    buffer: &str,
    segments: &[(usize, Location)],
    assessment: &mut RiskAssessment,
) {
    for found in found {
        let category = found.category;
        let location = segments
            .iter()
            .find(|(end, _)| found.clause.start < *end)
            .map_or(Location::Body, |s| s.1);
        let weight = recognised_weight(category);
        assessment.score += weight;
        // A sign-in as usual is a request only where the caller says so.
        assessment.high_risk |= category.is_high_risk_request() && !found.as_usual;
        if category.is_lure() && !assessment.lures.contains(&category) {
            assessment.lures.push(category);
        }
        let mut matched = buffer[found.clause.clone()].to_owned();
        if matched.len() > 240 {
            let mut cut = 240;
            while !matched.is_char_boundary(cut) {
                cut -= 1;
            }
            matched.truncate(cut);
            matched.push('…');
        }
        assessment.findings.push(RiskFinding {
            rule: if found.as_usual {
                RiskFinding::SIGN_IN_AS_USUAL.to_owned()
            } else {
                format!("grammar.{}", category.as_str())
            },
            category,
            weight,
            evidence: Evidence {
                phrase: found.why,
                matched,
                location,
                indicator: found.indicator,
            },
        });
    }
}

/// The parts of `buffer` the automaton must read: all of it, except the
/// text an HTML part shares with a plain-text part.
///
/// A `multipart/alternative` message says everything twice, and the two
/// versions usually fold to the same text. They need not (an attacker can
/// put the request in only one), so nothing is assumed: the folded HTML is
/// compared byte for byte with each plain part, and only its common prefix
/// and common suffix with the closest one are skipped, less margins that
/// keep every finding the skipped text could produce:
///
/// - before the first difference, `2 * span` bytes are kept, so a match
///   reaching into the difference, and a guard straddling it together with
///   the findings it covers, are read in the HTML itself;
/// - after the last difference, the text is kept up to the end of the
///   sentence that is still open `span` bytes later, plus `span`: a guard
///   that starts in the differing text cancels findings only up to the end
///   of its sentence, so later findings are cancelled (or not) exactly as in
///   the plain part, which is scanned in full.
///
/// Every match in the skipped text, with the characters around it and the
/// guards that apply to it, is therefore also in the plain part, whose
/// findings count the same (a rule fires once per message, and both are
/// [`Location::Body`]). Identical parts are skipped entirely, but for the
/// links the fold keeps apart from the text (`link_ends`): where the HTML
/// makes a link the plain part does not, the sentence before it and its own
/// are read in the HTML, so that an ask pointing at it is read with it.
fn ranges_to_scan(
    buffer: &str,
    text_parts: &[Range<usize>],
    html_parts: &[Range<usize>],
    link_ends: &[usize],
    span: usize,
) -> Vec<Range<usize>> {
    let bytes = buffer.as_bytes();
    let mut skipped: Vec<Range<usize>> = Vec::new();
    // `link_ends` is in buffer order: a part's links are one slice of it.
    let links_in = |r: &Range<usize>| {
        &link_ends[link_ends.partition_point(|&p| p < r.start)
            ..link_ends.partition_point(|&p| p <= r.end)]
    };
    for html in html_parts {
        let h = &bytes[html.clone()];
        let best = text_parts
            .iter()
            .map(|t| {
                let text = &bytes[t.clone()];
                let prefix = common_prefix(h, text);
                let room = h.len().min(text.len()) - prefix;
                let suffix = common_suffix(&h[h.len() - room..], &text[text.len() - room..]);
                (t, prefix, suffix)
            })
            .max_by_key(|&(_, prefix, suffix)| prefix + suffix);
        let Some((text, prefix, suffix)) = best else {
            continue;
        };
        let mut keep: Vec<Range<usize>> = Vec::new();
        if prefix + suffix < h.len() || h.len() != text.len() {
            let from = html.start + prefix.saturating_sub(2 * span);
            let differs_to = html.end - suffix;
            let to = sentence_end(buffer, (differs_to + span).min(html.end))
                .saturating_add(span)
                .min(html.end);
            keep.push(from..to);
        }
        // The same words may still differ in their links, which the fold
        // keeps apart from the text ("Update now" made a link only in the
        // HTML): the sentence before such a link, which points the reader
        // at it, and the link's own are read in the HTML.
        for &p in links_in(html) {
            let at = p - html.start;
            let from_end = html.end - p;
            let matched = links_in(text).iter().any(|&q| {
                q - text.start == at
                    || text.len() >= from_end && q - text.start == text.len() - from_end
            });
            if !matched {
                let from = sentence_start(buffer, html.start, p, 2);
                let to = sentence_end(buffer, p).saturating_add(span).min(html.end);
                keep.push(from..to);
            }
        }
        keep.sort_unstable_by_key(|r| r.start);
        let mut at = html.start;
        for k in keep {
            if k.start > at {
                skipped.push(at..k.start);
            }
            at = at.max(k.end);
        }
        if at < html.end {
            skipped.push(at..html.end);
        }
    }
    skipped.sort_unstable_by_key(|r| r.start);
    let mut ranges = Vec::with_capacity(skipped.len() + 1);
    let mut at = 0;
    for r in skipped {
        if r.start > at {
            ranges.push(at..r.start);
        }
        at = at.max(r.end);
    }
    if at < bytes.len() {
        ranges.push(at..bytes.len());
    }
    ranges
}

/// Whether `a` and `b` are the same words: equal once every run of ASCII
/// whitespace and control bytes is taken as one space and leading and
/// trailing runs are dropped. `fold_into` treats such a run exactly like
/// one space (and only drops or adds a space at the ends), so two such
/// texts fold to the same words and the same matches.
fn same_but_whitespace(a: &[u8], b: &[u8]) -> bool {
    let space = |c: u8| c <= b' ' || c == 0x7f;
    let skip = |s: &[u8], mut i: usize| {
        while i < s.len() && space(s[i]) {
            i += 1;
        }
        i
    };
    let (mut i, mut j) = (skip(a, 0), skip(b, 0));
    loop {
        let n = common_prefix(&a[i..], &b[j..]);
        i += n;
        j += n;
        let a_space = i < a.len() && space(a[i]);
        let b_space = j < b.len() && space(b[j]);
        // A run may have been partly consumed as common bytes.
        let after_space = |s: &[u8], k: usize| k > 0 && space(s[k - 1]);
        if a_space && (b_space || after_space(b, j) || j == b.len()) {
            i = skip(a, i);
            if b_space {
                j = skip(b, j);
            }
        } else if b_space && (after_space(a, i) || i == a.len()) {
            j = skip(b, j);
        } else {
            return i == a.len() && j == b.len();
        }
        if i == a.len() && j == b.len() {
            return true;
        }
    }
}

/// The length of the longest common prefix of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 32 <= n && a[i..i + 32] == b[i..i + 32] {
        i += 32;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// The length of the longest common suffix of `a` and `b`.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + 32 <= n && a[n - i - 32..n - i] == b[n - i - 32..n - i] {
        i += 32;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_only_differences() {
        let same = |a: &str, b: &str| same_but_whitespace(a.as_bytes(), b.as_bytes());
        assert!(same("Hello,\r\n  world.\n", "Hello, world."));
        assert!(same(" a\tb ", "a b"));
        assert!(same("", "  \n"));
        assert!(!same("ab", "a b"));
        assert!(!same("a b", "ab"));
        assert!(!same("reset my password", "reset my"));
        assert!(!same("reset my", "reset my password"));
        assert!(!same("a\u{a0}b", "a b"));
        assert!(!same("Pass", "pass"));
    }

    #[test]
    fn a_request_only_in_the_html_alternative_is_found() {
        let rules = Rulebook::default_rules();
        let filler = "We are still looking into the sync problem. ".repeat(200);
        for (plain, html) in [
            (
                format!("{filler}Thanks."),
                format!("<p>{filler}Please reset my password. Thanks.</p>"),
            ),
            (
                format!("Thanks. {filler}"),
                format!("<p>Please reset my password. Thanks. {filler}</p>"),
            ),
            (
                filler.clone(),
                format!("<p>{filler}</p><p>{filler}Please reset my password.</p>"),
            ),
        ] {
            let content = MessageContent {
                text_parts: vec![plain],
                html_parts: vec![html],
                ..MessageContent::default()
            };
            assert!(assess(&content, &rules).high_risk);
        }
        // And the other way round.
        let content = MessageContent {
            text_parts: vec![format!("{filler}Please reset my password.")],
            html_parts: vec![format!("<p>{filler}</p>")],
            ..MessageContent::default()
        };
        assert!(assess(&content, &rules).high_risk);
    }

    #[test]
    fn a_link_only_the_html_alternative_carries_is_followed() {
        // The same words in both parts; only the HTML makes the last line
        // a link (U+E000 after its text, as `html::strip` leaves it).
        let rules = Rulebook::default_rules();
        let plain =
            "Your storage is almost full.\n\nPlease confirm your account:\n\nRaise the limit";
        let content = |html: &str| MessageContent {
            text_parts: vec![plain.to_owned()],
            html_parts: vec![html.to_owned()],
            ..MessageContent::default()
        };
        let linked = content(&format!("{plain}\u{E000}"));
        assert!(
            assess(&linked, &rules)
                .categories()
                .contains(&RiskCategory::CredentialReset)
        );
        // Without the link the two parts are one text, asking nothing.
        assert!(
            !assess(&content(plain), &rules)
                .categories()
                .contains(&RiskCategory::CredentialReset)
        );
    }

    #[test]
    fn a_request_quoted_under_a_reply_is_not_asked_again() {
        let rules = Rulebook::default_rules();
        let reply = |own: &str| MessageContent {
            text_parts: vec![format!(
                "{own}\n\nOn Mon, 30 Nov 2026 at 09:12, Ann <ann@org.example> wrote:\n\
                 > I am locked out, please reset my password.\n"
            )],
            ..MessageContent::default()
        };
        let done = reply(
            "Hi Ann, done: the temporary one is with your manager, change it when you sign in.",
        );
        assert!(!assess(&done, &rules).high_risk);
        // The writer's own words still ask.
        let asks = reply("Before I can do that, please send me your current password and the PIN.");
        assert!(assess(&asks, &rules).high_risk);
    }

    #[test]
    fn an_html_button_points_at_a_page() {
        let rules = Rulebook::default_rules();
        let message = |href: &str| {
            format!(
                "From: Voice <vm@calls.example>\r\nTo: ann@org.example\r\nSubject: New message\r\n\
                 Content-Type: text/html\r\n\r\n<p>You have a new voice message (0:32).</p>\
                 <p>Sign in with your work account to listen.</p>\
                 <a href=\"{href}\">Listen now</a>\r\n"
            )
        };
        let content = MessageContent::parse(message("https://calls.example/vm?u=ann").as_bytes());
        assert!(assess(&content, &rules).high_risk);
        // Without a page to go to, the sign-in is the usual one.
        let content = MessageContent::parse(message("mailto:vm@calls.example").as_bytes());
        assert!(!assess(&content, &rules).high_risk);
    }

    #[test]
    fn a_guard_in_the_plain_part_does_not_hide_the_html_request() {
        // The plain part cancels the request with a guard in the same
        // sentence; the HTML part asks without it.
        let rules = Rulebook::default_rules();
        let filler = "We are still looking into the sync problem. ".repeat(100);
        let content = MessageContent {
            text_parts: vec![format!(
                "{filler}We will never ask you to reset my password and call back."
            )],
            html_parts: vec![format!(
                "{filler}Tell them to reset my password and call back."
            )],
            ..MessageContent::default()
        };
        assert!(assess(&content, &rules).high_risk);
    }

    #[test]
    fn a_reported_message_asks_nothing_of_the_reader() {
        let rules = Rulebook::default_rules();
        let forward = "\r\n\r\n---------- Forwarded message ---------\r\n\
            From: IT Helpdesk <it@helpdesk-desk.example>\r\nSubject: Mailbox upgrade\r\n\r\n\
            Please send us your password and read us the code from your authenticator app.\r\n";
        let message = |own: &str| {
            format!(
                "From: Ann <ann@org.example>\r\nTo: desk@org.example\r\nSubject: Fw: mailbox\r\n\
                 Content-Type: text/plain\r\n\r\n{own}{forward}"
            )
        };
        // Doubted: the forward is set apart and read as nobody's request.
        let report =
            MessageContent::parse(message("Hi desk, this looks fake, I didn't click.").as_bytes());
        assert!(report.reported.is_some());
        assert!(!assess(&report, &rules).high_risk);
        // Passed on without doubt ("see below"): read whole, as a fake
        // thread must be.
        let relay =
            MessageContent::parse(message("Hi desk, please see below and handle it.").as_bytes());
        assert!(relay.reported.is_none());
        assert!(assess(&relay, &rules).high_risk);
        // An attached message with a doubting note is set apart too.
        let attached = "From: Ann <ann@org.example>\r\nTo: desk@org.example\r\n\
            Subject: Phishing report\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
            Content-Type: text/plain\r\n\r\nLooks suspicious to me.\r\n--b\r\n\
            Content-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\nSubject: quota\r\n\r\n\
            Please send us your password to keep your mailbox.\r\n--b--\r\n";
        let content = MessageContent::parse(attached.as_bytes());
        assert_eq!(
            content.reported.as_ref().map(|r| r.doubt.as_str()),
            Some("suspic")
        );
        assert!(!assess(&content, &rules).high_risk);
    }
}
