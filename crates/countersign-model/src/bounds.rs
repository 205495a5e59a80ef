//! How much work one message may cause, bound by bound.
//!
//! Every per-message fan-out has a named bound here: real mail stays far
//! below each, an attacker's message does not. Each crate enforces the bounds
//! of the work it does (authentication: author domains, DKIM signatures, ARC
//! sets, DNS lookups, header fields; content: MIME parts and nesting, links,
//! link domains, Reply-To addresses) and reports every bound hit as a
//! [`BoundHit`], which the engine turns into the `message.work_bound` finding:
//! a message past a bound was not fully analysed, and policy decides
//! (default: quarantine). Nothing past a bound is silently dropped.
//!
//! The bounds are fixed rather than configured: they protect the gateway,
//! not a site's taste, and a site that needs more has found a bug.

use serde::Serialize;
use std::fmt;

/// Distinct author domains (RFC 5322 From) evaluated for DMARC, in order of
/// appearance. Each costs a DNS tree walk; a From naming more is not mail a
/// person wrote.
pub const MAX_AUTHOR_DOMAINS: usize = 16;

/// DKIM-Signature fields examined (parsed, body hashed, key looked up,
/// verified), first in header order (the newest signer first). Each costs a
/// DNS lookup and a signature verification.
pub const MAX_DKIM_SIGNATURES: usize = 16;

/// ARC sets in a chain. RFC 8617 section 4.2.1 caps instances at 50 and a
/// longer chain fails; it is also reported as a bound hit.
pub const MAX_ARC_SETS: usize = 50;

/// DNS TXT lookups one message may cause (SPF records, DKIM and ARC keys,
/// DMARC policies and tree walks, ATPS and DKIM report records), answers
/// already cached not counted. Past it, lookups answer `temperror`. SPF's
/// address, MX and PTR lookups are bounded by RFC 7208 section 4.6.4 itself.
pub const MAX_DNS_LOOKUPS: usize = 64;

/// Header fields in the message's own header section.
pub const MAX_HEADER_FIELDS: usize = 1_000;

/// MIME parts read (attached messages' parts included); later parts are not
/// read.
pub const MAX_MIME_PARTS: usize = 1_000;

/// MIME nesting depth (multipart inside multipart). Real mail rarely goes
/// past five levels; deep nesting is a filter-evasion trick.
pub const MAX_MIME_DEPTH: usize = 16;

/// Messages attached inside messages opened; deeper ones are not read.
pub const MAX_MESSAGE_DEPTH: usize = 8;

/// Links (HTML `href`/`src`, URLs in text) examined; later ones are not.
pub const MAX_LINKS: usize = 10_000;

/// Distinct link domains kept, each checked against the protected
/// identities for lookalikes.
pub const MAX_LINK_DOMAINS: usize = 256;

/// Reply-To addresses kept, each checked for divergence and lookalikes.
pub const MAX_REPLY_TO_ADDRESSES: usize = 16;

/// One per-message bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkBound {
    /// [`MAX_AUTHOR_DOMAINS`].
    AuthorDomains,
    /// [`MAX_DKIM_SIGNATURES`].
    DkimSignatures,
    /// [`MAX_ARC_SETS`].
    ArcSets,
    /// [`MAX_DNS_LOOKUPS`].
    DnsLookups,
    /// [`MAX_HEADER_FIELDS`].
    HeaderFields,
    /// [`MAX_MIME_PARTS`].
    MimeParts,
    /// [`MAX_MIME_DEPTH`].
    MimeDepth,
    /// [`MAX_MESSAGE_DEPTH`].
    MessageDepth,
    /// [`MAX_LINKS`].
    Links,
    /// [`MAX_LINK_DOMAINS`].
    LinkDomains,
    /// [`MAX_REPLY_TO_ADDRESSES`].
    ReplyToAddresses,
}

impl WorkBound {
    /// Every bound.
    pub const ALL: [WorkBound; 11] = [
        WorkBound::AuthorDomains,
        WorkBound::DkimSignatures,
        WorkBound::ArcSets,
        WorkBound::DnsLookups,
        WorkBound::HeaderFields,
        WorkBound::MimeParts,
        WorkBound::MimeDepth,
        WorkBound::MessageDepth,
        WorkBound::Links,
        WorkBound::LinkDomains,
        WorkBound::ReplyToAddresses,
    ];

    /// The bound's value.
    pub const fn limit(self) -> usize {
        match self {
            WorkBound::AuthorDomains => MAX_AUTHOR_DOMAINS,
            WorkBound::DkimSignatures => MAX_DKIM_SIGNATURES,
            WorkBound::ArcSets => MAX_ARC_SETS,
            WorkBound::DnsLookups => MAX_DNS_LOOKUPS,
            WorkBound::HeaderFields => MAX_HEADER_FIELDS,
            WorkBound::MimeParts => MAX_MIME_PARTS,
            WorkBound::MimeDepth => MAX_MIME_DEPTH,
            WorkBound::MessageDepth => MAX_MESSAGE_DEPTH,
            WorkBound::Links => MAX_LINKS,
            WorkBound::LinkDomains => MAX_LINK_DOMAINS,
            WorkBound::ReplyToAddresses => MAX_REPLY_TO_ADDRESSES,
        }
    }

    /// The snake_case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            WorkBound::AuthorDomains => "author_domains",
            WorkBound::DkimSignatures => "dkim_signatures",
            WorkBound::ArcSets => "arc_sets",
            WorkBound::DnsLookups => "dns_lookups",
            WorkBound::HeaderFields => "header_fields",
            WorkBound::MimeParts => "mime_parts",
            WorkBound::MimeDepth => "mime_depth",
            WorkBound::MessageDepth => "message_depth",
            WorkBound::Links => "links",
            WorkBound::LinkDomains => "link_domains",
            WorkBound::ReplyToAddresses => "reply_to_addresses",
        }
    }

    /// What is counted, in words, for a count of it.
    fn counted(self) -> &'static str {
        match self {
            WorkBound::AuthorDomains => "author domains in From",
            WorkBound::DkimSignatures => "DKIM signatures",
            WorkBound::ArcSets => "ARC sets",
            WorkBound::DnsLookups => "DNS lookups asked for",
            WorkBound::HeaderFields => "header fields",
            WorkBound::MimeParts => "MIME parts",
            WorkBound::MimeDepth => "levels of MIME nesting",
            WorkBound::MessageDepth => "levels of attached messages",
            WorkBound::Links => "links",
            WorkBound::LinkDomains => "distinct link domains",
            WorkBound::ReplyToAddresses => "Reply-To addresses",
        }
    }

    /// What happened past the bound.
    fn consequence(self) -> &'static str {
        match self {
            WorkBound::AuthorDomains => "DMARC evaluated for the first ones only",
            WorkBound::DkimSignatures => "only the first ones verified, the rest not examined",
            WorkBound::ArcSets => "the chain is not verified (RFC 8617 caps it)",
            WorkBound::DnsLookups => "later lookups answered temperror",
            WorkBound::HeaderFields => "the header section is not what any mail system writes",
            WorkBound::MimeParts => "later parts not read",
            WorkBound::MimeDepth => "the structure is built to evade filters",
            WorkBound::MessageDepth => "deeper attached messages not opened",
            WorkBound::Links => "later links not examined",
            WorkBound::LinkDomains => "later domains not checked for lookalikes",
            WorkBound::ReplyToAddresses => "later addresses not checked",
        }
    }
}

impl fmt::Display for WorkBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bound a message went past, and by how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BoundHit {
    /// Which bound.
    pub bound: WorkBound,
    /// How many the message had or asked for (at least this many where
    /// counting stopped, as for DNS lookups).
    pub count: usize,
    /// The bound's value.
    pub limit: usize,
}

impl BoundHit {
    /// `count` went past `bound`.
    pub const fn new(bound: WorkBound, count: usize) -> Self {
        Self {
            bound,
            count,
            limit: bound.limit(),
        }
    }

    /// A hit when `count` exceeds the bound.
    pub fn check(bound: WorkBound, count: usize) -> Option<Self> {
        (count > bound.limit()).then(|| Self::new(bound, count))
    }
}

impl fmt::Display for BoundHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "work bound {}: {} {} (bound {}); {}",
            self.bound,
            self.count,
            self.bound.counted(),
            self.limit,
            self.bound.consequence()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_names_its_bound_and_count() {
        assert_eq!(BoundHit::check(WorkBound::AuthorDomains, 16), None);
        let hit = BoundHit::check(WorkBound::AuthorDomains, 20_000).unwrap();
        assert_eq!(hit.limit, MAX_AUTHOR_DOMAINS);
        let text = hit.to_string();
        assert!(text.contains("author_domains"), "{text}");
        assert!(text.contains("20000 author domains"), "{text}");
        assert!(text.contains("bound 16"), "{text}");
    }

    #[test]
    fn every_bound_has_its_own_name() {
        let mut names: Vec<&str> = WorkBound::ALL.iter().map(|b| b.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), WorkBound::ALL.len());
    }
}
