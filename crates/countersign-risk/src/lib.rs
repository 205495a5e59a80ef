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
mod normalize;
mod rulebook;

pub use category::RiskCategory;
pub use content::{
    Attachment, LinkMismatch, MAX_MESSAGE_DEPTH, MAX_MIME_DEPTH, Mailbox, MessageContent,
};
pub use error::RulebookError;
pub use extract::MAX_ITEMS;
pub use rulebook::{DEFAULT_ORIGIN, Guard, MAX_GAP_WORDS, Rule, Rulebook};

use normalize::{SEGMENT_SEPARATOR, fold_into};

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
    /// The high-risk request categories found, each once, in category order.
    pub fn requests(&self) -> Vec<RiskCategory> {
        let mut v: Vec<RiskCategory> = self
            .findings
            .iter()
            .map(|f| f.category)
            .filter(|c| c.is_high_risk_request())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Every category found, each once, in category order.
    pub fn categories(&self) -> Vec<RiskCategory> {
        let mut v: Vec<RiskCategory> = self.findings.iter().map(|f| f.category).collect();
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
    let mut add = |buffer: &mut Vec<u8>, text: &str, location: Location| {
        fold_into(buffer, text);
        buffer.push(SEGMENT_SEPARATOR as u8);
        segments.push((buffer.len(), location));
    };
    if let Some(subject) = &content.subject {
        add(&mut buffer, subject, Location::Subject);
    }
    for text in content.text_parts.iter().chain(&content.html_parts) {
        add(&mut buffer, text, Location::Body);
    }
    for name in content.attachments.iter().filter_map(|a| a.name.as_deref()) {
        add(&mut buffer, name, Location::AttachmentName);
    }
    for domain in &content.link_domains {
        add(&mut buffer, domain, Location::LinkDomain);
    }
    // `fold_into` appends whole characters only, so this cannot fail; an
    // empty buffer would merely mean no findings.
    let buffer = String::from_utf8(buffer).unwrap_or_default();

    let rules = rulebook.rules();
    let mut fired = vec![false; rules.len()];
    let mut assessment = RiskAssessment::default();
    for hit in rulebook.scan(&buffer) {
        let rule = &rules[hit.rule];
        if fired[hit.rule] {
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
    assessment.lures.sort_unstable();
    assessment
}
