//! What the detector reports: the technique, the protected identity it
//! imitates, and evidence an analyst can read.

use std::fmt;

/// How a candidate domain imitates a protected identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Technique {
    /// Looks the same: the UTS #39 skeletons are equal (IDN confusables such
    /// as Cyrillic `а` for Latin `a`, or ASCII tricks such as `rn` for `m`).
    Homoglyph,
    /// A typing-error variant of the registrable label: insertion, omission,
    /// substitution, transposition, repetition, keyboard neighbour, hyphen.
    Typo,
    /// Dots moved, removed or turned into hyphens (`c.ircl.lu`,
    /// `circl-lu.com`, `circllu.com`).
    DotDash,
    /// The brand plus words such as `helpdesk`, `support`, `login`
    /// (`microsoft-helpdesk.com`), on any suffix.
    Combosquat,
    /// The protected domain or brand used as a subdomain of somebody else's
    /// registrable domain (`vendor.com.attacker.example`).
    Subdomain,
    /// The same label under another public suffix (`acme.net` for `acme.com`).
    TldSwap,
}

impl Technique {
    /// Stable machine-readable name (used in JSON output).
    pub fn as_str(self) -> &'static str {
        match self {
            Technique::Homoglyph => "homoglyph",
            Technique::Typo => "typo",
            Technique::DotDash => "dot_dash",
            Technique::Combosquat => "combosquat",
            Technique::Subdomain => "subdomain",
            Technique::TldSwap => "tld_swap",
        }
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One way a candidate imitates one protected identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookalikeFinding {
    /// The candidate name as checked: lowercase, ASCII (A-label) form.
    pub candidate: String,
    /// The protected identity imitated: a protected domain (`acme.com`) or a
    /// brand name (`Microsoft`).
    pub target: String,
    /// Who the target belongs to, as given when it was protected.
    pub owner: String,
    /// The technique.
    pub technique: Technique,
    /// Why, in words: e.g. `skeleton(rnicrosoft.example) =
    /// skeleton(microsoft.example)` or `edit distance 1 (substitution
    /// 'l'->'1') from acme.test`.
    pub evidence: String,
}

/// The answer for one candidate name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assessment {
    /// The input is not a domain name.
    NotADomain,
    /// The name is a protected domain or one of its subdomains.
    Protected {
        /// The protected domain that covers it.
        target: String,
        /// Its owner.
        owner: String,
    },
    /// The name imitates one or more protected identities; never empty,
    /// strongest finding first.
    Lookalike(Vec<LookalikeFinding>),
    /// Nothing protected is imitated.
    Unrelated,
}

impl Assessment {
    /// The strongest finding, if the name is a lookalike.
    pub fn finding(&self) -> Option<&LookalikeFinding> {
        match self {
            Assessment::Lookalike(findings) => findings.first(),
            _ => None,
        }
    }
}
