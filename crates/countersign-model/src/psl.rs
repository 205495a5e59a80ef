//! The Public Suffix List: which part of a domain name is a public suffix
//! (`com`, `co.uk`, `github.io`) and which is the registrable domain
//! (`example.co.uk`), the unit an organisation actually controls.
//!
//! DMARC's organizational domain (RFC 7489 §3.2) and the lookalike detector
//! both reason about registrable domains, so they share this one parser.
//! The list is a pinned copy (`data/public_suffix_list.dat`, MPL-2.0) embedded
//! at compile time and parsed once, on first use; lookups after that do not
//! allocate for the rule matching itself.
//!
//! Matching follows the algorithm on publicsuffix.org:
//!
//! ```text
//! rule      = normal / wildcard / exception
//! normal    = label *("." label)          ; "co.uk"
//! wildcard  = "*." normal                 ; "*.ck": any label under ck
//! exception = "!" normal                  ; "!www.ck": not a suffix after all
//! ```
//!
//! The longest matching rule prevails, an exception beats every other rule,
//! and when no rule matches the implicit rule `*` makes the top-level label a
//! public suffix. Both the ICANN and the PRIVATE sections count, as the
//! official test vectors assume: `attacker.github.io` is its own registrable
//! domain, not a subdomain of `github.io`.
//!
//! Names are compared in their ASCII (A-label, `xn--`) form after UTS #46
//! mapping (via the `idna` crate), so `食狮.公司.cn`, `xn--85x722f.xn--55qx5d.cn`
//! and `WWW.Example.COM.` are all understood. The string-returning helpers
//! answer in the form they were asked in: Unicode in, Unicode out.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The pinned list, embedded so that lookups never touch the file system.
const EMBEDDED_LIST: &str = include_str!("../data/public_suffix_list.dat");

static EMBEDDED: LazyLock<PublicSuffixList> =
    LazyLock::new(|| PublicSuffixList::parse(EMBEDDED_LIST));

/// Which section of the list the prevailing rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleSource {
    /// A rule from the ICANN section (delegated by a registry).
    Icann,
    /// A rule from the PRIVATE section (a company that hands out subdomains,
    /// such as `github.io` or `blogspot.com`).
    Private,
    /// No rule matched; the implicit `*` rule made the last label the suffix.
    Default,
}

// Rule kinds stored per key, as bits so that one map lookup answers all three.
const NORMAL: u8 = 1;
const WILDCARD: u8 = 2; // key is the part after "*."
const EXCEPTION: u8 = 4; // key is the rule without "!"
// The same three kinds, from the PRIVATE section.
const PRIVATE_SHIFT: u8 = 3;

/// A parsed Public Suffix List.
#[derive(Debug, Clone, Default)]
pub struct PublicSuffixList {
    rules: HashMap<Box<str>, u8>,
}

/// A domain name split by the Public Suffix List, in ASCII (A-label) form.
///
/// `a.b.example.co.uk` has the suffix `co.uk`, the registrable domain
/// `example.co.uk`, the registrable label `example` and the subdomain `a.b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSplit {
    ascii: String,
    suffix_start: usize,
    registrable_start: Option<usize>,
    source: RuleSource,
    wildcard: bool,
}

impl DomainSplit {
    /// The whole name: lowercase ASCII, no leading or trailing dot.
    pub fn name(&self) -> &str {
        &self.ascii
    }

    /// The public suffix (`co.uk`).
    pub fn suffix(&self) -> &str {
        &self.ascii[self.suffix_start..]
    }

    /// The registrable domain (`example.co.uk`), or `None` when the name is
    /// itself a public suffix (`co.uk`, or a bare unlisted label).
    pub fn registrable(&self) -> Option<&str> {
        self.registrable_start.map(|start| &self.ascii[start..])
    }

    /// The leftmost label of the registrable domain (`example`).
    pub fn registrable_label(&self) -> Option<&str> {
        // The suffix starts right after "label.", so the label ends one byte
        // before it.
        self.registrable_start
            .map(|start| &self.ascii[start..self.suffix_start - 1])
    }

    /// The labels left of the registrable domain (`a.b`), or `""` when
    /// there are none or the name has no registrable domain.
    pub fn subdomain(&self) -> &str {
        match self.registrable_start {
            Some(start) if start > 0 => &self.ascii[..start - 1],
            _ => "",
        }
    }

    /// Which section of the list decided the suffix.
    pub fn rule_source(&self) -> RuleSource {
        self.source
    }

    /// Whether a wildcard rule (`*.ck`) decided the suffix, so that its
    /// leftmost label is not itself listed (`anything.ck`).
    pub fn by_wildcard(&self) -> bool {
        self.wildcard
    }
}

impl PublicSuffixList {
    /// The list embedded in this crate, parsed on first use.
    pub fn embedded() -> &'static PublicSuffixList {
        &EMBEDDED
    }

    /// Parses a list in the publicsuffix.org format. Lines that are not rules
    /// (comments, blanks) are skipped, as are rules that cannot be mapped to
    /// ASCII; the format has no other way to be malformed.
    pub fn parse(text: &str) -> PublicSuffixList {
        let mut rules: HashMap<Box<str>, u8> = HashMap::with_capacity(10_000);
        let mut private = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("// ===BEGIN PRIVATE DOMAINS===") {
                private = true;
                continue;
            }
            if line.starts_with("// ===BEGIN ICANN DOMAINS===") {
                private = false;
                continue;
            }
            // A rule is the first whitespace-delimited token on its line.
            let Some(token) = line.split_whitespace().next() else {
                continue;
            };
            if token.starts_with("//") {
                continue;
            }
            let (kind, body) = if let Some(rest) = token.strip_prefix('!') {
                (EXCEPTION, rest)
            } else if let Some(rest) = token.strip_prefix("*.") {
                (WILDCARD, rest)
            } else {
                (NORMAL, token)
            };
            let Ok(ascii) = idna::domain_to_ascii(body) else {
                continue;
            };
            if ascii.is_empty() {
                continue;
            }
            let bit = if private { kind << PRIVATE_SHIFT } else { kind };
            *rules.entry(ascii.into_boxed_str()).or_insert(0) |= bit;
        }
        rules.shrink_to_fit();
        PublicSuffixList { rules }
    }

    /// Number of distinct rule keys, for diagnostics.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the list holds no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Splits `name` into subdomain, registrable domain and public suffix.
    ///
    /// Returns `None` for names that are not domain names: empty, an empty
    /// label (`.example.com`, `a..b`), or rejected by UTS #46 mapping. One
    /// trailing dot (the DNS root) is accepted and dropped.
    pub fn split(&self, name: &str) -> Option<DomainSplit> {
        let ascii = to_ascii(name)?;
        let (suffix_labels, source, wildcard) = self.suffix_label_count(&ascii);
        let starts = label_starts(&ascii);
        let n = starts.len();
        let suffix_start = starts[n - suffix_labels];
        let registrable_start = (n > suffix_labels).then(|| starts[n - suffix_labels - 1]);
        Some(DomainSplit {
            ascii,
            suffix_start,
            registrable_start,
            source,
            wildcard,
        })
    }

    /// The public suffix of `name`, in the form `name` was given in
    /// (Unicode in, Unicode out), or `None` when `name` is not a domain name.
    pub fn public_suffix(&self, name: &str) -> Option<String> {
        let split = self.split(name)?;
        Some(in_form_of(name, split.suffix()))
    }

    /// The registrable domain (eTLD+1) of `name`, in the form `name` was given
    /// in, or `None` when `name` is a public suffix or not a domain name.
    pub fn registrable_domain(&self, name: &str) -> Option<String> {
        let split = self.split(name)?;
        split.registrable().map(|r| in_form_of(name, r))
    }

    /// How many labels, counted from the right, the prevailing rule covers.
    fn suffix_label_count(&self, ascii: &str) -> (usize, RuleSource, bool) {
        let starts = label_starts(ascii);
        let n = starts.len();
        // The implicit "*" rule.
        let mut best = (1, RuleSource::Default, false);
        for (i, &start) in starts.iter().enumerate() {
            let Some(&bits) = self.rules.get(&ascii[start..]) else {
                continue;
            };
            let icann = bits & 0b111;
            let private = bits >> PRIVATE_SHIFT;
            let source_of = |kind: u8| {
                if icann & kind != 0 {
                    RuleSource::Icann
                } else {
                    RuleSource::Private
                }
            };
            let has = |kind: u8| (icann | private) & kind != 0;
            if has(EXCEPTION) {
                // An exception prevails over every other rule: the suffix is
                // the exception minus its leftmost label.
                return (n - i - 1, source_of(EXCEPTION), false);
            }
            if has(NORMAL) && n - i > best.0 {
                best = (n - i, source_of(NORMAL), false);
            }
            // "*.key" needs one more label left of the key.
            if has(WILDCARD) && i >= 1 && n - i + 1 > best.0 {
                best = (n - i + 1, source_of(WILDCARD), true);
            }
        }
        best
    }
}

/// The public suffix of `name` by the embedded list; see
/// [`PublicSuffixList::public_suffix`].
pub fn public_suffix(name: &str) -> Option<String> {
    PublicSuffixList::embedded().public_suffix(name)
}

/// The registrable domain of `name` by the embedded list; see
/// [`PublicSuffixList::registrable_domain`].
pub fn registrable_domain(name: &str) -> Option<String> {
    PublicSuffixList::embedded().registrable_domain(name)
}

/// Splits `name` by the embedded list; see [`PublicSuffixList::split`].
pub fn split(name: &str) -> Option<DomainSplit> {
    PublicSuffixList::embedded().split(name)
}

/// Normalises a name to lowercase ASCII with no root dot, or `None` when it
/// is not a usable domain name.
fn to_ascii(name: &str) -> Option<String> {
    let name = name.trim();
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return None;
    }
    // Plain lowercase ASCII without A-labels needs no UTS #46 processing;
    // this is the common case on the mail path and saves the idna pass.
    let ascii = if name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.contains("xn--")
    {
        name.to_owned()
    } else {
        idna::domain_to_ascii(name).ok()?
    };
    // UTS #46 may map ideographic full stops to '.', so empty labels are
    // checked after mapping.
    if ascii.is_empty() || ascii.split('.').any(str::is_empty) {
        return None;
    }
    Some(ascii)
}

/// Byte offsets at which each label of a non-empty, dot-separated name starts.
fn label_starts(ascii: &str) -> Vec<usize> {
    let mut starts = Vec::with_capacity(6);
    starts.push(0);
    starts.extend(ascii.match_indices('.').map(|(i, _)| i + 1));
    starts
}

/// Renders an ASCII result in the form of the original input: Unicode
/// U-labels when the input had any non-ASCII character, ASCII otherwise.
fn in_form_of(input: &str, ascii: &str) -> String {
    if input.is_ascii() {
        ascii.to_owned()
    } else {
        idna::domain_to_unicode(ascii).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_plain_name() {
        let s = split("A.b.Example.CO.uk.").unwrap();
        assert_eq!(s.name(), "a.b.example.co.uk");
        assert_eq!(s.suffix(), "co.uk");
        assert_eq!(s.registrable(), Some("example.co.uk"));
        assert_eq!(s.registrable_label(), Some("example"));
        assert_eq!(s.subdomain(), "a.b");
        assert_eq!(s.rule_source(), RuleSource::Icann);
    }

    #[test]
    fn private_section_counts() {
        let s = split("login.attacker.github.io").unwrap();
        assert_eq!(s.registrable(), Some("attacker.github.io"));
        assert_eq!(s.rule_source(), RuleSource::Private);
    }

    #[test]
    fn wildcard_and_exception() {
        assert_eq!(
            registrable_domain("a.b.test.ck").as_deref(),
            Some("b.test.ck")
        );
        assert_eq!(registrable_domain("www.www.ck").as_deref(), Some("www.ck"));
        assert_eq!(public_suffix("www.ck").as_deref(), Some("ck"));
        assert_eq!(public_suffix("b.test.ck").as_deref(), Some("test.ck"));
        assert!(split("test.ck").unwrap().by_wildcard());
        assert!(!split("co.uk").unwrap().by_wildcard());
    }

    #[test]
    fn unlisted_tld_uses_default_rule() {
        let s = split("b.example.example").unwrap();
        assert_eq!(s.registrable(), Some("example.example"));
        assert_eq!(s.rule_source(), RuleSource::Default);
        assert_eq!(registrable_domain("example"), None);
        assert_eq!(public_suffix("example").as_deref(), Some("example"));
    }

    #[test]
    fn rejects_non_names() {
        assert_eq!(split(""), None);
        assert_eq!(split("."), None);
        assert_eq!(split(".example.com"), None);
        assert_eq!(split("a..example.com"), None);
    }

    #[test]
    fn idn_answers_in_the_form_asked() {
        assert_eq!(
            registrable_domain("www.食狮.公司.cn").as_deref(),
            Some("食狮.公司.cn")
        );
        assert_eq!(
            registrable_domain("www.xn--85x722f.xn--55qx5d.cn").as_deref(),
            Some("xn--85x722f.xn--55qx5d.cn")
        );
    }

    #[test]
    fn custom_list() {
        let list = PublicSuffixList::parse("// c\nexample\n*.wild.example\n!ok.wild.example\n");
        assert_eq!(list.len(), 3);
        assert_eq!(
            list.registrable_domain("a.b.wild.example").as_deref(),
            Some("a.b.wild.example")
        );
        assert_eq!(
            list.registrable_domain("x.ok.wild.example").as_deref(),
            Some("ok.wild.example")
        );
    }
}
