//! The protected set: identities to defend, indexed once so that checking a
//! candidate costs a handful of hash lookups however many identities there
//! are.
//!
//! Indexes, all keyed on the registrable label (via the Public Suffix List):
//!
//! * `registrable` / `hosts`: exact protection (a protected domain and its
//!   own subdomains are never lookalikes);
//! * `by_label`: the folded label, for TLD swaps, IDN folds and brands used as
//!   subdomains;
//! * `by_skeleton`: the UTS #39 skeleton, for homoglyphs;
//! * `deletions`: the symmetric-delete neighbourhood (every string obtained
//!   by deleting up to one or two characters), hashed, for edit distance;
//! * `tokens`: brand tokens (labels without hyphens, brand names, whole
//!   domains without dots), for combosquats and dot/dash changes.

use crate::brands;
use crate::edit::{self, EditPath};
use crate::error::LookalikeError;
use crate::finding::{Assessment, LookalikeFinding, Technique};
use crate::keywords::{self, KEYWORDS};
use crate::unicode;
use aho_corasick::AhoCorasick;
use countersign_model::psl;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Brand tokens shorter than this match too much to be useful.
const MIN_TOKEN_CHARS: usize = 3;
/// Labels of at most this many characters are "tiny": every variant of them
/// is somebody's name, so only homoglyphs and typo TLDs count, and typos
/// only from three characters on.
const TINY_LABEL: usize = 3;
/// Labels of at most this many characters are "short": only plausible
/// single edits on the same suffix count as typos.
const SHORT_LABEL: usize = 4;
/// Labels of at most this many characters may have an implausible edit only
/// on the same suffix.
const MEDIUM_LABEL: usize = 6;
/// Labels of at least this many characters tolerate two edits.
const LONG_LABEL: usize = 9;
/// A protected label that is also a keyword (`office`) is a brand token only
/// from this length on.
const MIN_KEYWORD_BRAND: usize = 5;
/// A brand fused into a hosted site name with arbitrary letters
/// (`<brand>bis`) must be at least this long to mean it.
const MIN_FUSED_BRAND: usize = 5;

/// Top-level domains that are help-desk or sign-in words: under them a
/// brand's label reads as a combosquat (`ing.support`), not as someone's
/// plain name.
const THEMED_TLDS: &[&str] = &[
    "support", "help", "login", "secure", "security", "services", "tech", "verify",
];
/// A subdomain label must be at least this long to be read as a brand on its
/// own (`acme.attacker.example`), unless it is an explicit brand.
const MIN_SUBDOMAIN_BRAND: usize = 4;

/// What a protected entry is.
#[derive(Debug, Clone)]
enum EntryKind {
    /// A registrable domain: ASCII name and public suffix.
    Domain { ascii: String, suffix: String },
    /// A brand name without a domain of its own in this set.
    Brand,
}

#[derive(Debug, Clone)]
struct Entry {
    /// What findings name: the domain (Unicode form) or the brand as given.
    target: String,
    owner: String,
    kind: EntryKind,
    /// The label as registered (Unicode form), or the brand token.
    raw_label: String,
    /// The folded label (see [`unicode::fold`]).
    label: String,
    chars: Vec<char>,
    /// The well-known brand (index into `brands::known_brands()`) whose
    /// domain this is, if it is one: its country variants are its own.
    brand: Option<usize>,
    /// The first word of a multi-word name, folded (see [`TokenKind::Part`]).
    first_word: Option<String>,
    /// The other words of its owner's name ("Nordhafen Logistik & Zoll":
    /// `logistik`, `zoll`), folded: added to its label, they still name it.
    name_words: Vec<String>,
}

/// The words of an owner's name (before its parenthesised role), folded,
/// of four letters or more, less `label`'s own.
fn name_words(owner: &str, label: &str) -> Vec<String> {
    let name = owner.rsplit_once(" (").map_or(owner, |(name, _)| name);
    let mut words: Vec<String> = unicode::fold(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4 && !label.contains(*w))
        .map(str::to_owned)
        .collect();
    words.sort();
    words.dedup();
    words
}

impl Entry {
    fn suffix(&self) -> Option<&str> {
        match &self.kind {
            EntryKind::Domain { suffix, .. } => Some(suffix),
            EntryKind::Brand => None,
        }
    }
}

/// How a brand token was derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    /// The label (or brand) without hyphens.
    Label,
    /// A distinctive part of a longer name: the first word of a brand
    /// (`northgate` of "Northgate Managed IT") or the first segment of a
    /// hyphenated label (`northgate` of `northgate-it`). Only counts with
    /// a strong added word (`northgate-helpdesk`).
    Part,
    /// The whole registrable domain without dots (`circllu`).
    Dotless,
}

/// `domain` split at its public suffix, with its registrable part: an
/// error for a malformed name or one that is itself a public suffix.
fn registrable_split(domain: &str) -> Result<(psl::DomainSplit, String), LookalikeError> {
    let split = psl::split(domain).ok_or_else(|| LookalikeError::InvalidDomain {
        input: domain.to_owned(),
    })?;
    let registrable = split
        .registrable()
        .ok_or_else(|| LookalikeError::NotRegistrable {
            input: domain.to_owned(),
        })?
        .to_owned();
    Ok((split, registrable))
}

/// Collects protected identities; [`ProtectedSetBuilder::build`] indexes them.
#[derive(Debug, Clone, Default)]
pub struct ProtectedSetBuilder {
    entries: Vec<Entry>,
    hosts: Vec<(String, String, String)>,
}

impl ProtectedSetBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Protects `domain` and its subdomains on behalf of `owner` (free text
    /// shown in findings, e.g. `Acme Corp (vendor)`).
    ///
    /// A registrable domain (`acme.com`, or `www.acme.com`, which stands for
    /// it) is defended against lookalikes. A deeper name such as a tenant on
    /// a shared platform (`acme.zendesk.com`) is only allow-listed: it and its
    /// subdomains are never reported, but `zendesk.com` is not defended.
    pub fn add_domain(&mut self, domain: &str, owner: &str) -> Result<&mut Self, LookalikeError> {
        let (split, registrable) = registrable_split(domain)?;
        let subdomain = split.subdomain();
        if !subdomain.is_empty() && subdomain != "www" {
            return Ok(self.push_host(&split, owner));
        }
        let ascii_label = split.registrable_label().unwrap_or_default();
        let raw_label = display_name(ascii_label);
        let label = unicode::fold(&raw_label);
        self.entries.push(Entry {
            target: display_name(&registrable),
            owner: owner.to_owned(),
            kind: EntryKind::Domain {
                ascii: registrable,
                suffix: split.suffix().to_owned(),
            },
            chars: label.chars().collect(),
            first_word: label.split_once('-').map(|(first, _)| first.to_owned()),
            name_words: name_words(owner, &label),
            raw_label,
            label,
            brand: None,
        });
        Ok(self)
    }

    /// Allow-lists `domain` and its subdomains on behalf of `owner` without
    /// defending it: it is never reported as a lookalike, but names that
    /// resemble it are not reported either (a trusted mailing list's host,
    /// whose name may carry a vendor's and may be made of common words).
    pub fn allow_domain(&mut self, domain: &str, owner: &str) -> Result<&mut Self, LookalikeError> {
        let (split, _) = registrable_split(domain)?;
        Ok(self.push_host(&split, owner))
    }

    /// Allow-lists a name and its subdomains (see [`Self::allow_domain`]).
    fn push_host(&mut self, split: &psl::DomainSplit, owner: &str) -> &mut Self {
        self.hosts.push((
            split.name().to_owned(),
            display_name(split.name()),
            owner.to_owned(),
        ));
        self
    }

    /// Protects the well-known brands of `data/brands.txt`: their defended
    /// domains, and their names and product names (`SharePoint`) as brand
    /// tokens, each owned by `"<brand> (well-known brand)"`.
    pub fn add_known_brands(&mut self) -> &mut Self {
        for brand in brands::known_brands() {
            let owner = format!("{} (well-known brand)", brand.name);
            for domain in &brand.defended {
                // The data is checked by a unit test: every domain is
                // registrable.
                let _ = self.add_domain(domain, &owner);
            }
            for name in std::iter::once(&brand.name).chain(&brand.aliases) {
                // A name too short to be a token (`HP`) is covered by its
                // domain alone.
                let _ = self.add_brand_with_owner(name, &owner);
            }
        }
        self
    }

    /// Protects a brand name (`Microsoft`, `Acme Corp`) that is not tied to
    /// one domain here: its homoglyphs, typos and combosquats are reported
    /// on every suffix, but a domain whose label *is* the brand is not (it
    /// may well be the brand's own).
    pub fn add_brand(&mut self, name: &str) -> Result<&mut Self, LookalikeError> {
        self.add_brand_with_owner(name, name)
    }

    /// As [`ProtectedSetBuilder::add_brand`], naming an owner other than the
    /// brand itself.
    pub fn add_brand_with_owner(
        &mut self,
        name: &str,
        owner: &str,
    ) -> Result<&mut Self, LookalikeError> {
        // Spaces and punctuation vanish in domain labels ("Acme Corp" is
        // registered as acmecorp or acme-corp; the token ignores hyphens).
        let folded = unicode::fold(name);
        let token: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut words = folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty());
        let first_word = words
            .next()
            .filter(|_| words.next().is_some())
            .map(str::to_owned);
        if token.chars().count() < MIN_TOKEN_CHARS {
            return Err(LookalikeError::BrandTooShort {
                input: name.to_owned(),
                min: MIN_TOKEN_CHARS,
            });
        }
        self.entries.push(Entry {
            target: name.trim().to_owned(),
            owner: owner.to_owned(),
            kind: EntryKind::Brand,
            chars: token.chars().collect(),
            name_words: name_words(owner, &token),
            raw_label: token.clone(),
            label: token,
            brand: None,
            first_word,
        });
        Ok(self)
    }

    /// Number of identities added so far.
    pub fn len(&self) -> usize {
        self.entries.len() + self.hosts.len()
    }

    /// Whether nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds the indexes.
    pub fn build(self) -> ProtectedSet {
        ProtectedSet::index(self)
    }
}

/// Passes pre-computed 64-bit hashes straight through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; this keeps the hasher total anyway.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashedMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// An indexed set of protected identities. Cheap to share; checking is
/// read-only.
#[derive(Debug, Clone)]
pub struct ProtectedSet {
    entries: Vec<Entry>,
    registrable: HashMap<String, u32>,
    hosts: HashMap<String, (String, String)>,
    by_label: HashMap<String, Vec<u32>>,
    by_skeleton: HashMap<String, Vec<u32>>,
    /// Deletion-neighbourhood hash → range in `postings`.
    deletions: HashedMap<(u32, u32)>,
    postings: Vec<u32>,
    /// Brand tokens; pattern `KEYWORDS.len() + i` of `vocabulary` is
    /// `tokens[i]`.
    tokens: Vec<Token>,
    /// Keywords then tokens, matched in one pass over a label.
    vocabulary: AhoCorasick,
    keywords: HashSet<&'static str>,
    /// For each keyword pattern, whether it is a weak (generic) word.
    weak_keywords: Vec<bool>,
    /// Protected labels of one or two characters (`hp`, `vk`): too short
    /// to be tokens, matched as whole hyphen-separated segments.
    tiny: HashMap<String, Vec<u32>>,
    max_label_chars: usize,
}

/// A brand token (in skeleton form) and the entries it stands for.
#[derive(Debug, Clone)]
struct Token {
    /// Each entry, how the token was derived from it, and the token's
    /// folded text for that entry.
    ids: Vec<(u32, TokenKind, String)>,
    /// Whether it may also serve as an added word next to another brand
    /// (`northwindhealth-okta`): labels and brands, not whole domains.
    is_word: bool,
    /// Whether the token is itself a keyword (`office.com`): it then counts
    /// as a brand only at the start of a label (`office365-update`), or
    /// every keyword-only name would match it.
    keyword: bool,
}

impl ProtectedSet {
    /// A builder.
    pub fn builder() -> ProtectedSetBuilder {
        ProtectedSetBuilder::new()
    }

    /// Number of identities (domains, brands and allow-listed hosts).
    pub fn len(&self) -> usize {
        self.entries.len() + self.hosts.len()
    }

    /// Whether the set protects nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn index(builder: ProtectedSetBuilder) -> ProtectedSet {
        let keywords: HashSet<&'static str> = KEYWORDS.iter().copied().collect();
        let mut set = ProtectedSet {
            entries: Vec::with_capacity(builder.entries.len()),
            registrable: HashMap::new(),
            hosts: HashMap::new(),
            by_label: HashMap::new(),
            by_skeleton: HashMap::new(),
            deletions: HashedMap::default(),
            postings: Vec::new(),
            tokens: Vec::new(),
            vocabulary: AhoCorasick::new(KEYWORDS).expect("keywords build an automaton"),
            keywords,
            weak_keywords: KEYWORDS
                .iter()
                .map(|k| keywords::WEAK_KEYWORDS.contains(k))
                .collect(),
            tiny: HashMap::new(),
            max_label_chars: 0,
        };
        for (name, display, owner) in builder.hosts {
            set.hosts.entry(name).or_insert((display, owner));
        }

        // A brand spelled like a protected domain's label adds nothing but a
        // second, weaker copy of every finding: the domain already covers it.
        let domain_labels: HashSet<String> = builder
            .entries
            .iter()
            .filter(|e| matches!(e.kind, EntryKind::Domain { .. }))
            .map(|e| e.label.replace('-', ""))
            .collect();
        let entries = builder.entries.into_iter().filter(|e| {
            matches!(e.kind, EntryKind::Domain { .. }) || !domain_labels.contains(&e.label)
        });

        let mut pairs: Vec<(u64, u32)> = Vec::new();
        // Skeleton -> (entry, kind, folded token).
        let mut tokens: HashMap<String, Vec<(u32, TokenKind, String)>> = HashMap::new();
        for mut entry in entries {
            if let EntryKind::Domain { ascii, .. } = &entry.kind {
                entry.brand = brands::brands_of(ascii).first().copied();
                if set.registrable.contains_key(ascii) {
                    // The first owner given for a domain keeps it.
                    continue;
                }
                set.registrable
                    .insert(ascii.clone(), set.entries.len() as u32);
            }
            let id = set.entries.len() as u32;
            set.max_label_chars = set.max_label_chars.max(entry.chars.len());
            set.by_label
                .entry(entry.label.clone())
                .or_default()
                .push(id);
            set.by_skeleton
                .entry(unicode::skeleton_of_fold(&entry.label))
                .or_default()
                .push(id);
            let depth = if entry.chars.len() >= LONG_LABEL {
                2
            } else {
                1
            };
            for_each_deletion(&entry.chars, depth, |hash| pairs.push((hash, id)));

            let token: String = entry.label.chars().filter(|&c| c != '-').collect();
            let chars = token.chars().count();
            // A keyword as a brand (`office`) needs some length to mean it.
            if chars >= MIN_TOKEN_CHARS
                && (!set.keywords.contains(token.as_str()) || chars >= MIN_KEYWORD_BRAND)
            {
                tokens
                    .entry(unicode::skeleton_of_fold(&token))
                    .or_default()
                    .push((id, TokenKind::Label, token));
            }
            if let Some(part) = &entry.first_word
                && part.chars().count() >= MIN_FUSED_BRAND
                && part.is_ascii()
                && !keywords::is_english_word(part)
                && !set.keywords.contains(part.as_str())
            {
                tokens
                    .entry(unicode::skeleton_of_fold(part))
                    .or_default()
                    .push((id, TokenKind::Part, part.clone()));
            }
            if entry.chars.len() < TINY_LABEL && matches!(entry.kind, EntryKind::Domain { .. }) {
                set.tiny.entry(entry.label.clone()).or_default().push(id);
            }
            if let EntryKind::Domain { suffix, .. } = &entry.kind {
                let dotless: String = entry
                    .label
                    .chars()
                    .chain(suffix.chars())
                    .filter(|&c| c != '-' && c != '.')
                    .collect();
                tokens
                    .entry(unicode::skeleton_of_fold(&dotless))
                    .or_default()
                    .push((id, TokenKind::Dotless, dotless));
            }
            set.entries.push(entry);
        }

        let mut tokens: Vec<(String, Token)> = tokens
            .into_iter()
            .map(|(skeleton, ids)| {
                let keyword = ids
                    .iter()
                    .any(|(_, _, text)| set.keywords.contains(text.as_str()));
                // Another brand may stand beside a brand as an added word
                // (`acme-okta`), if it is a name and not a short word that
                // occurs inside ordinary words (`ing`).
                let is_word = !keyword
                    && ids.iter().any(|(_, kind, text)| {
                        *kind == TokenKind::Label
                            && text.chars().count() > TINY_LABEL
                            && !keywords::is_english_word(text)
                    });
                (
                    skeleton,
                    Token {
                        ids,
                        is_word,
                        keyword,
                    },
                )
            })
            .collect();
        tokens.sort_by(|a, b| a.0.cmp(&b.0));
        // Patterns are skeletons, so `rnicrosoft-support` still contains
        // `microsoft` and `supp0rt` still reads `support`.
        set.vocabulary = AhoCorasick::new(
            KEYWORDS
                .iter()
                .map(|k| unicode::skeleton_of_fold(k))
                .chain(tokens.iter().map(|(skeleton, _)| skeleton.clone())),
        )
        .expect("keywords and tokens build an automaton");
        set.tokens = tokens.into_iter().map(|(_, token)| token).collect();

        // Flatten the deletion neighbourhoods: sorted (hash, id) pairs become
        // one posting list per hash, so the map holds two u32s per key
        // instead of a vector.
        pairs.sort_unstable();
        pairs.dedup();
        set.postings = Vec::with_capacity(pairs.len());
        set.deletions.reserve(pairs.len());
        let mut start = 0;
        while start < pairs.len() {
            let hash = pairs[start].0;
            let mut end = start;
            while end < pairs.len() && pairs[end].0 == hash {
                end += 1;
            }
            let offset = set.postings.len() as u32;
            set.postings
                .extend(pairs[start..end].iter().map(|&(_, id)| id));
            set.deletions.insert(hash, (offset, (end - start) as u32));
            start = end;
        }
        set
    }

    /// The strongest way `candidate` imitates a protected identity, or
    /// `None` when it does not (or is protected itself, or is not a domain).
    pub fn check(&self, candidate: &str) -> Option<LookalikeFinding> {
        match self.assess(candidate) {
            Assessment::Lookalike(mut findings) => Some(findings.swap_remove(0)),
            _ => None,
        }
    }

    /// Every protected identity `candidate` imitates, strongest first (at
    /// most one finding per identity).
    pub fn check_all(&self, candidate: &str) -> Vec<LookalikeFinding> {
        match self.assess(candidate) {
            Assessment::Lookalike(findings) => findings,
            _ => Vec::new(),
        }
    }

    /// Whether `candidate` is a protected domain or one of its subdomains.
    pub fn is_protected(&self, candidate: &str) -> bool {
        matches!(
            self.assess_protection(candidate),
            Some(Assessment::Protected { .. })
        )
    }

    /// The full answer for one candidate name.
    pub fn assess(&self, candidate: &str) -> Assessment {
        let Some(split) = psl::split(candidate) else {
            return Assessment::NotADomain;
        };
        if let Some(protected) = self.protection_of(&split) {
            return protected;
        }
        // A listed public suffix (`co.uk`, `github.io`) is nobody's to
        // register; an unlisted bare label (`circl-lu`) or a name under a
        // wildcard rule (`circl.ck` under `*.ck`) is still read.
        if split.registrable().is_none()
            && split.rule_source() != psl::RuleSource::Default
            && !split.by_wildcard()
        {
            return Assessment::Unrelated;
        }
        // Only public bodies register under `.gov`, `.edu`, `ac.uk`...
        if let Some(label) = split.registrable_label()
            && brands::is_institutional(split.suffix(), label)
        {
            return Assessment::Unrelated;
        }
        let mut findings = Vec::new();
        Checker::new(self, &split).run(&mut findings);
        if findings.is_empty() {
            return Assessment::Unrelated;
        }
        // One finding per identity, the strongest; then strongest first.
        findings.sort_by_key(|f| (f.entry, f.rank));
        findings.dedup_by_key(|f| f.entry);
        findings.sort_by_key(|f| (f.rank, f.entry));
        Assessment::Lookalike(
            findings
                .into_iter()
                .map(|f| {
                    let entry = &self.entries[f.entry as usize];
                    LookalikeFinding {
                        candidate: split.name().to_owned(),
                        target: entry.target.clone(),
                        owner: entry.owner.clone(),
                        technique: f.technique,
                        evidence: f.evidence,
                    }
                })
                .collect(),
        )
    }

    fn assess_protection(&self, candidate: &str) -> Option<Assessment> {
        let split = psl::split(candidate)?;
        self.protection_of(&split)
    }

    fn protection_of(&self, split: &psl::DomainSplit) -> Option<Assessment> {
        if let Some(&id) = split.registrable().and_then(|r| self.registrable.get(r)) {
            let entry = &self.entries[id as usize];
            return Some(Assessment::Protected {
                target: entry.target.clone(),
                owner: entry.owner.clone(),
            });
        }
        // A well-known brand's own domain imitates nobody: its tenants
        // (`acme.atlassian.net`) and hosts are the brand's to name.
        if let Some(registrable) = split.registrable()
            && let Some(&brand) = brands::brands_of(registrable).first()
        {
            return Some(Assessment::Protected {
                target: display_name(registrable),
                owner: format!("{} (well-known brand)", brands::brand(brand).name),
            });
        }
        // A well-known brand's label under a country suffix it is presumed
        // to own (`amazon.de` for a protected `amazon.com`).
        if let (Some(label), Some(registrable)) = (split.registrable_label(), split.registrable()) {
            let label = display_name(label);
            for &id in self
                .by_label
                .get(&unicode::fold(&label))
                .into_iter()
                .flatten()
            {
                let entry = &self.entries[id as usize];
                let Some(brand) = entry.brand.filter(|&b| brands::brand(b).country_sites) else {
                    continue;
                };
                let own = brands::own_suffixes(brand);
                if entry.raw_label == label && brands::presumed_owned_suffix(split.suffix(), own) {
                    return Some(Assessment::Protected {
                        target: display_name(registrable),
                        owner: format!(
                            "{} (presumed: the brand runs sites under country domains)",
                            entry.owner
                        ),
                    });
                }
            }
        }
        if !self.hosts.is_empty() {
            let mut name = split.name();
            loop {
                if let Some((display, owner)) = self.hosts.get(name) {
                    return Some(Assessment::Protected {
                        target: display.clone(),
                        owner: owner.clone(),
                    });
                }
                match name.split_once('.') {
                    Some((_, parent)) => name = parent,
                    None => break,
                }
            }
        }
        None
    }
}

/// A finding before it is tied to its entry's strings.
struct RawFinding {
    entry: u32,
    /// Lower is stronger.
    rank: u8,
    technique: Technique,
    evidence: String,
}

// Strength order: an exact visual match first, then whole-domain tricks,
// then edits, then added words.
const RANK_HOMOGLYPH: u8 = 0;
const RANK_DOMAIN_IN_SUBDOMAIN: u8 = 1;
const RANK_TLD_SWAP: u8 = 2;
const RANK_DOT_DASH: u8 = 3;
const RANK_TYPO_1: u8 = 4;
const RANK_COMBOSQUAT: u8 = 5;
const RANK_BRAND_IN_SUBDOMAIN: u8 = 6;
const RANK_TYPO_2: u8 = 7;

/// One candidate, decomposed once.
struct Checker<'a> {
    set: &'a ProtectedSet,
    /// ASCII labels, left to right.
    ascii: Vec<&'a str>,
    /// Unicode (U-label) form of each label.
    unicode: Vec<String>,
    /// Folded form of each label.
    folded: Vec<String>,
    /// Index of the registrable label.
    reg: usize,
    /// The public suffix (ASCII), empty for a bare label; for a site on a
    /// hosting platform, the platform (`weebly.com`).
    suffix: String,
    /// Whether the registrable label is a site name on a hosting platform
    /// (`acme-login.weebly.com`, `acme-login.web.app`).
    hosted: bool,
    /// Whether the registrable label is written wholly in another script
    /// than Latin (every letter Cyrillic, Greek...).
    foreign_script: bool,
}

impl<'a> Checker<'a> {
    fn new(set: &'a ProtectedSet, split: &'a psl::DomainSplit) -> Self {
        let ascii: Vec<&str> = split.name().split('.').collect();
        let unicode: Vec<String> = ascii.iter().map(|l| display_name(l)).collect();
        let folded = unicode.iter().map(|l| unicode::fold(l)).collect();
        let (mut reg, mut suffix) = match split.registrable() {
            Some(_) => {
                let suffix_labels = split.suffix().split('.').count();
                (ascii.len() - suffix_labels - 1, split.suffix().to_owned())
            }
            // A public suffix or a bare label (`circl-lu`): read the first
            // label as the one that was meant to be registered.
            None => (0, ascii[1..].join(".")),
        };
        // A site on a hosting platform the Public Suffix List does not list:
        // the site name is what the attacker chose, read it as the label.
        if let Some(registrable) = split.registrable()
            && reg > 0
            && brands::is_hosting_platform(registrable)
        {
            reg -= 1;
            suffix = registrable.to_owned();
        }
        let hosted = brands::is_hosting_platform(&suffix);
        let raw = &unicode[reg];
        let foreign_script = !raw.is_ascii()
            && raw.chars().any(char::is_alphabetic)
            && !raw.chars().any(|c| c.is_ascii_alphabetic())
            && !unicode::scripts(raw).contains(&"Latin");
        Checker {
            set,
            ascii,
            unicode,
            folded,
            reg,
            suffix,
            hosted,
            foreign_script,
        }
    }

    /// The registrable domain as a person would read it.
    fn registrable_display(&self) -> String {
        self.unicode[self.reg..].join(".")
    }

    fn run(&self, out: &mut Vec<RawFinding>) {
        self.check_registrable_label(out);
        self.check_subdomains(out);
    }

    fn check_registrable_label(&self, out: &mut Vec<RawFinding>) {
        let set = self.set;
        let raw = &self.unicode[self.reg];
        let folded = &self.folded[self.reg];
        let shown = self.registrable_display();
        let mut matched: Vec<u32> = Vec::new();
        // A label wholly in another script under a top-level domain of that
        // script (`пике.рф`) is a native name, not a disguise: nobody reads
        // it as a Latin brand next to a Cyrillic suffix.
        if self.foreign_script && self.ascii.last().is_some_and(|l| l.starts_with("xn--")) {
            return;
        }

        // Same folded label: a TLD swap, or an IDN that folds onto the label.
        for &id in set.by_label.get(folded.as_str()).into_iter().flatten() {
            let entry = &set.entries[id as usize];
            let same_raw = *raw == entry.raw_label;
            match entry.suffix() {
                Some(_) if same_raw && self.hosted => {
                    matched.push(id);
                    out.push(RawFinding {
                        entry: id,
                        rank: RANK_TLD_SWAP,
                        technique: Technique::Subdomain,
                        evidence: format!(
                            "site '{raw}' on the hosting platform {} is named after {}",
                            self.suffix_shown(),
                            entry.target
                        ),
                    });
                }
                Some(suffix) if same_raw && suffix != self.suffix => {
                    matched.push(id);
                    // Every short name is taken under most suffixes by
                    // someone else (`ask.fm`, `ups.edu`), and so is a
                    // well-known brand's name that is an ordinary word or
                    // up to four letters (`slack.net`, `uber.nu`): only a
                    // typo of the suffix itself (`.co` for `.com`) imitates
                    // it.
                    let common_name = entry.chars.len() <= TINY_LABEL
                        || (entry.brand.is_some()
                            && (entry.chars.len() <= SHORT_LABEL
                                || keywords::is_english_word(&entry.label)));
                    let typo_tld = brands::within_one_edit(suffix, &self.suffix)
                        || entry.brand.is_some_and(|b| {
                            brands::own_suffixes(b)
                                .iter()
                                .any(|own| brands::within_one_edit(own, &self.suffix))
                        });
                    // A top-level domain that is itself a help-desk or
                    // sign-in word (`.support`, `.help`, `.login`) is the
                    // added word of a combosquat: nobody's plain name.
                    let themed_tld = THEMED_TLDS.contains(&self.suffix.as_str());
                    if common_name && !typo_tld && !themed_tld {
                        continue;
                    }
                    out.push(RawFinding {
                        entry: id,
                        rank: RANK_TLD_SWAP,
                        technique: Technique::TldSwap,
                        evidence: format!(
                            "same label '{raw}' as {}, under {} instead of {suffix}",
                            entry.target,
                            self.suffix_shown()
                        ),
                    });
                }
                _ if !same_raw => {
                    matched.push(id);
                    out.push(self.homoglyph(id, &shown));
                }
                // The brand's own label on some domain: maybe the brand's
                // own, so not reported.
                _ => matched.push(id),
            }
        }

        // Same skeleton.
        let skeleton = unicode::skeleton_of_fold(folded);
        for &id in set.by_skeleton.get(skeleton.as_str()).into_iter().flatten() {
            if !matched.contains(&id) {
                matched.push(id);
                out.push(self.homoglyph(id, &shown));
            }
        }

        self.check_tiny(&matched, out);
        self.check_typos(&mut matched, &shown, out);
        self.check_tokens(self.reg, &matched, out);
    }

    /// A one- or two-letter protected label as a whole hyphen-separated
    /// segment at either end, the other segments added words with at least
    /// one strong one (`hp-driver-setup`, `login-vk`).
    fn check_tiny(&self, matched: &[u32], out: &mut Vec<RawFinding>) {
        let set = self.set;
        if set.tiny.is_empty() {
            return;
        }
        let label = &self.folded[self.reg];
        let segments: Vec<&str> = label.split('-').collect();
        if segments.len() < 2 {
            return;
        }
        let added = |words: &[&str]| {
            words.iter().all(|w| {
                set.keywords.contains(w) || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
            }) && words
                .iter()
                .any(|w| set.keywords.contains(w) && !keywords::WEAK_KEYWORDS.contains(w))
        };
        let ends = [
            (segments[0], &segments[1..]),
            (
                segments[segments.len() - 1],
                &segments[..segments.len() - 1],
            ),
        ];
        for (brand, rest) in ends {
            let Some(ids) = set.tiny.get(brand) else {
                continue;
            };
            if !added(rest) {
                continue;
            }
            for &id in ids {
                if matched.contains(&id) {
                    continue;
                }
                let entry = &set.entries[id as usize];
                out.push(RawFinding {
                    entry: id,
                    rank: RANK_COMBOSQUAT,
                    technique: Technique::Combosquat,
                    evidence: format!(
                        "brand '{brand}' ({}) with added words {} in {}",
                        entry.target,
                        rest.iter()
                            .map(|w| format!("'{w}'"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        self.registrable_display()
                    ),
                });
            }
        }
    }

    fn suffix_shown(&self) -> String {
        if self.suffix.is_empty() {
            "no suffix".to_owned()
        } else {
            display_name(&self.suffix)
        }
    }

    fn homoglyph(&self, id: u32, shown: &str) -> RawFinding {
        let entry = &self.set.entries[id as usize];
        let raw = &self.unicode[self.reg];
        let mut evidence = format!("skeleton({shown}) = skeleton({})", entry.target);
        if !raw.is_ascii() {
            let ascii = self.ascii[self.reg..].join(".");
            let scripts = unicode::scripts(raw);
            evidence.push_str(&format!("; {ascii} decodes to {shown}"));
            if scripts.len() > 1 {
                evidence.push_str(&format!(", mixed scripts {}", scripts.join("+")));
            } else if let Some(script) = scripts.first() {
                evidence.push_str(&format!(", script {script}"));
            }
        }
        if let Some(suffix) = entry.suffix()
            && suffix != self.suffix
        {
            evidence.push_str(&format!(
                "; under {} instead of {suffix}",
                self.suffix_shown()
            ));
        }
        RawFinding {
            entry: id,
            rank: RANK_HOMOGLYPH,
            technique: Technique::Homoglyph,
            evidence,
        }
    }

    fn check_typos(&self, matched: &mut Vec<u32>, shown: &str, out: &mut Vec<RawFinding>) {
        let set = self.set;
        let chars: Vec<char> = self.folded[self.reg].chars().collect();
        if chars.is_empty() || chars.len() > set.max_label_chars + 2 {
            return;
        }
        // A whole word in another script may fold onto some Latin string;
        // only an exact fold (a homoglyph) is an imitation, not a string a
        // typo away from it.
        if self.foreign_script {
            return;
        }
        // Two deletions on this side only pay off against long labels, which
        // the candidate can only be within two edits of if it is long too.
        let depth = if chars.len() + 2 >= LONG_LABEL { 2 } else { 1 };
        let mut hits: Vec<u32> = Vec::new();
        for_each_deletion(&chars, depth, |hash| {
            if let Some(&(offset, len)) = set.deletions.get(&hash) {
                for &id in &set.postings[offset as usize..(offset + len) as usize] {
                    if !hits.contains(&id) && !matched.contains(&id) {
                        hits.push(id);
                    }
                }
            }
        });
        // A brand token has no hyphens; hyphens in the candidate are the
        // brand's own spelling (`acme-corp` for "Acme Corp"), not typos.
        let unhyphenated: Vec<char> = chars.iter().copied().filter(|&c| c != '-').collect();
        let word = keywords::is_english_word(&self.folded[self.reg]);
        for id in hits {
            let entry = &set.entries[id as usize];
            let compared = match entry.kind {
                EntryKind::Brand => &unhyphenated,
                EntryKind::Domain { .. } => &chars,
            };
            let Some(path) = edit::edit_path(&entry.chars, compared, 2) else {
                continue;
            };
            let same_suffix = entry.suffix() == Some(self.suffix.as_str());
            // Every other one-letter change of a two-letter name is another
            // company's name (`bp` and `hp`, `bk` and `vk`); a doubled letter
            // on the same suffix is the one typo left.
            if entry.chars.len() < TINY_LABEL
                && !(same_suffix
                    && matches!(path.edits.as_slice(),
                        [edit::Edit::Insertion { ch, before, after }]
                            if Some(*ch) == *before || Some(*ch) == *after))
            {
                continue;
            }
            // A letter added to a three-letter name makes a four-letter
            // name of someone else's (`asap`, `awsd`), unless it repeats a
            // neighbour.
            if entry.chars.len() == TINY_LABEL
                && path.edits.iter().any(|e| {
                    matches!(e, edit::Edit::Insertion { ch, before, after }
                        if Some(*ch) != *before && Some(*ch) != *after)
                })
            {
                continue;
            }
            if !typo_accepted(entry.chars.len(), &path, same_suffix, word) {
                continue;
            }
            // Two edits that make other words name something else; so does
            // one edit that turns a compound of full words into another
            // (`vault-line` and `vault-link`, `fleet-core` and `fleet-care`).
            // Words of three letters are left out of the second test: they
            // are often acronyms (`ail`), and one letter more or less makes
            // a classic squat (`mail-project`).
            // Only a deliberate change of letter counts here: a slip to a
            // neighbouring key or a look-alike is still the classic typo
            // (`people-lath`), and so is a letter added or dropped.
            let candidate = &self.folded[self.reg];
            let word_change = matches!(path.edits.as_slice(),
                [edit::Edit::Substitution { from, to }]
                    if !edit::keyboard_neighbours(*from, *to) && !edit::looks_alike(*from, *to));
            if (path.distance() == 2 && keywords::reads_as_words(candidate))
                || (word_change
                    && keywords::reads_as_words_of(candidate, 4)
                    && keywords::reads_as_words_of(&entry.label, 4))
            {
                continue;
            }
            // Swapping the vowel of a name of three letters or fewer makes
            // another name (`box` and `bax`).
            if entry.chars.len() <= TINY_LABEL
                && path.edits.iter().any(|e| {
                    matches!(e,
                    edit::Edit::Substitution { from, to } if edit::vowel_swap(*from, *to))
                })
            {
                continue;
            }
            matched.push(id);
            let distance = path.distance();
            let mut evidence = format!(
                "edit distance {distance} ({}) from {}",
                path.describe(),
                entry.target
            );
            if !self.unicode[self.reg].is_ascii() {
                evidence.push_str(&format!(
                    "; {} decodes to {shown}",
                    self.ascii[self.reg..].join(".")
                ));
            }
            if let Some(suffix) = entry.suffix()
                && !same_suffix
            {
                evidence.push_str(&format!(
                    "; under {} instead of {suffix}",
                    self.suffix_shown()
                ));
            }
            out.push(RawFinding {
                entry: id,
                rank: if distance == 1 {
                    RANK_TYPO_1
                } else {
                    RANK_TYPO_2
                },
                technique: Technique::Typo,
                evidence,
            });
        }
    }

    /// Brand tokens inside label `index`: combosquats and dot/dash changes
    /// on the registrable label, brand-as-subdomain on the others.
    fn check_tokens(&self, index: usize, matched: &[u32], out: &mut Vec<RawFinding>) {
        let set = self.set;
        let label = &self.folded[index];
        let in_subdomain = index < self.reg;
        let shown = self.unicode[index].as_str();
        let site = self.hosted && index == self.reg;
        for hit in self.token_hits(label) {
            let token = &set.tokens[hit.token];
            let whole = hit.prefix.is_empty() && hit.suffix.is_empty();
            if token.keyword && (whole || !hit.prefix.is_empty()) {
                continue;
            }
            // Most occurrences of a token are inside longer words with
            // nothing around them that makes a combosquat: only a hosted
            // site's name is read further.
            // A name set off by hyphens may be spelled out with words of its
            // owner's name (`acme-logistik` for "Acme Logistik").
            let spelled_out = !hit.composed
                && !site
                && !in_subdomain
                && (hit.prefix.is_empty() || hit.prefix.ends_with('-'))
                && (hit.suffix.is_empty() || hit.suffix.starts_with('-'))
                && !(hit.prefix.is_empty() && hit.suffix.is_empty());
            if !(hit.composed || (site && hit.prefix.is_empty()) || spelled_out) {
                continue;
            }
            for (id, kind, text) in &token.ids {
                let id = *id;
                if matched.contains(&id) {
                    continue;
                }
                let entry = &set.entries[id as usize];
                let chars = text.chars().count();
                // A short brand inside a longer word (`mailbox` for `box`) is
                // a coincidence; at the start or after a hyphen it is not.
                if !whole && chars <= SHORT_LABEL && !hit.starts_word {
                    continue;
                }
                let word_brand = !whole && keywords::is_english_word(text);
                if spelled_out && named_by_own_words(entry, &hit) {
                    out.push(RawFinding {
                        entry: id,
                        rank: RANK_COMBOSQUAT,
                        technique: Technique::Combosquat,
                        evidence: format!(
                            "brand '{text}' ({}) with words of its owner's own name {} in {}",
                            entry.target,
                            describe_added(&hit.prefix, &hit.suffix),
                            self.registrable_display()
                        ),
                    });
                    continue;
                }
                if !hit.composed {
                    // A distinctive brand opening a site name on a hosting
                    // platform, whatever follows (`<brand>bis.weebly.com`):
                    // brands publish under their own domains.
                    if site
                        && hit.prefix.is_empty()
                        && chars >= MIN_FUSED_BRAND
                        && !word_brand
                        && !token.keyword
                        && matches!(kind, TokenKind::Label)
                    {
                        out.push(RawFinding {
                            entry: id,
                            rank: RANK_COMBOSQUAT,
                            technique: Technique::Combosquat,
                            evidence: format!(
                                "brand '{text}' ({}) opens the site name '{shown}' on the hosting platform {}",
                                entry.target,
                                self.suffix_shown()
                            ),
                        });
                    }
                    continue;
                }
                // A brand that is an ordinary word (`chase`, `zoom`) next to
                // generic words only (`center`, `app`) is a name of its own.
                if word_brand && !whole && !hit.strong {
                    continue;
                }
                // Part of a name stands for it only beside a strong word.
                if *kind == TokenKind::Part && (whole || !hit.strong) {
                    continue;
                }
                let look_alike = hit.span != *text;
                let brand = if look_alike {
                    format!("'{}' (skeleton of '{text}', {})", hit.span, entry.target)
                } else {
                    format!("'{text}' ({})", entry.target)
                };
                let only_www = hit.prefix.trim_end_matches('-') == "www" && hit.suffix.is_empty();
                let (technique, rank, evidence) = match kind {
                    // The label itself, or a brand in its own spelling
                    // (`acme-corp` for "Acme Corp").
                    TokenKind::Label
                        if whole
                            && !look_alike
                            && (*label == entry.label
                                || matches!(entry.kind, EntryKind::Brand)) =>
                    {
                        // As a subdomain, the brand's own spelling is the
                        // trick (`acme-corp.attacker.example`); as the
                        // registrable label it is the brand's own domain.
                        let long_enough = entry.chars.len() >= MIN_SUBDOMAIN_BRAND
                            || matches!(entry.kind, EntryKind::Brand);
                        if !in_subdomain || !long_enough {
                            continue;
                        }
                        (
                            Technique::Subdomain,
                            RANK_BRAND_IN_SUBDOMAIN,
                            format!("'{shown}' is the brand {}", entry.target),
                        )
                    }
                    TokenKind::Label if whole && look_alike => (
                        Technique::Homoglyph,
                        RANK_HOMOGLYPH,
                        format!(
                            "skeleton('{shown}') = skeleton({}), hyphens aside",
                            entry.target
                        ),
                    ),
                    TokenKind::Label if whole => (
                        Technique::DotDash,
                        RANK_DOT_DASH,
                        format!(
                            "hyphens of '{}' ({}) changed: '{shown}'",
                            entry.label, entry.target
                        ),
                    ),
                    TokenKind::Dotless if whole || only_www => (
                        Technique::DotDash,
                        RANK_DOT_DASH,
                        format!(
                            "dots of {} removed or replaced by hyphens: '{shown}'",
                            entry.target
                        ),
                    ),
                    _ => (
                        Technique::Combosquat,
                        RANK_COMBOSQUAT,
                        format!(
                            "brand {brand} with added words {}",
                            describe_added(&hit.prefix, &hit.suffix)
                        ),
                    ),
                };
                if in_subdomain {
                    out.push(RawFinding {
                        entry: id,
                        rank: RANK_BRAND_IN_SUBDOMAIN,
                        technique: Technique::Subdomain,
                        evidence: format!(
                            "subdomain '{shown}' of {} imitates {}: {evidence}",
                            self.registrable_display(),
                            entry.target
                        ),
                    });
                } else {
                    out.push(RawFinding {
                        entry: id,
                        rank,
                        technique,
                        evidence: format!("{evidence} in {}", self.registrable_display()),
                    });
                }
            }
        }
    }

    /// Splits of `label` into added words + brand token + added words,
    /// where added words are keywords, digit runs and other brands' tokens,
    /// and hyphens are ignored. The label is turned into its skeleton, so
    /// homoglyphs inside a combosquat still match; one Aho-Corasick pass
    /// finds every keyword and token occurrence, and a forward and a
    /// backward sweep tell which positions are reachable through added
    /// words alone.
    fn token_hits(&self, label: &str) -> Vec<TokenHit> {
        let set = self.set;
        // The skeleton without hyphens; for each of its bytes, the folded
        // character it came from and whether it starts or ends that
        // character's expansion (`m` becomes `rn`: a match may not begin at
        // the `n`).
        let mut text: Vec<u8> = Vec::with_capacity(label.len() + 4);
        let mut source: Vec<(usize, usize)> = Vec::with_capacity(label.len() + 4);
        let mut starts: Vec<bool> = Vec::with_capacity(label.len() + 4);
        let mut ends: Vec<bool> = Vec::with_capacity(label.len() + 4);
        let mut digit: Vec<bool> = Vec::with_capacity(label.len() + 4);
        let mut buffer = [0u8; 4];
        for (offset, c) in label.char_indices() {
            if c == '-' {
                continue;
            }
            let expansion = unicode::skeleton_char(c).unwrap_or_else(|| c.encode_utf8(&mut buffer));
            let len = expansion.len();
            for (k, &b) in expansion.as_bytes().iter().enumerate() {
                text.push(b);
                source.push((offset, offset + c.len_utf8()));
                starts.push(k == 0);
                ends.push(k + 1 == len);
                digit.push(c.is_ascii_digit());
            }
        }
        let n = text.len();
        if n < MIN_TOKEN_CHARS {
            return Vec::new();
        }
        let aligned = |s: usize, e: usize| starts[s] && ends[e - 1];

        // Edges start -> end for every added word, and whether the word is
        // a strong one (see `keywords::WEAK_KEYWORDS`); brand occurrences
        // apart.
        let keyword_count = KEYWORDS.len();
        let mut edges: Vec<(usize, usize, bool)> = Vec::new();
        let mut brands: Vec<(usize, usize, usize)> = Vec::new();
        for m in set.vocabulary.find_overlapping_iter(&text) {
            let (s, e) = (m.start(), m.end());
            if !aligned(s, e) {
                continue;
            }
            let pattern = m.pattern().as_usize();
            if pattern < keyword_count {
                let strong = !set.weak_keywords[pattern];
                edges.push((s, e, strong));
                // Its plural in English, French or Spanish (`envelopes`,
                // `entregas`) is the same added word.
                if e < n && text[e] == b's' && aligned(s, e + 1) {
                    edges.push((s, e + 1, strong));
                }
            } else {
                let token = pattern - keyword_count;
                brands.push((s, e, token));
                if set.tokens[token].is_word {
                    edges.push((s, e, true));
                }
            }
        }
        if brands.is_empty() {
            return Vec::new();
        }
        let mut start = 0;
        while start < n {
            if digit[start] {
                let mut end = start;
                while end < n && digit[end] {
                    end += 1;
                }
                // Any tail of a digit run is a run too.
                edges.extend((start..end).filter(|&s| starts[s]).map(|s| (s, end, false)));
                start = end;
            } else {
                start += 1;
            }
        }
        edges.sort_unstable();

        // Reachability through added words from the start (`pw`: weak words
        // only, `ps`: at least one strong word) and to the end (`sw`, `ss`).
        let mut pw = vec![false; n + 1];
        let mut ps = vec![false; n + 1];
        pw[0] = true;
        for &(s, e, strong) in &edges {
            if pw[s] {
                if strong {
                    ps[e] = true;
                } else {
                    pw[e] = true;
                }
            }
            if ps[s] {
                ps[e] = true;
            }
        }
        let mut sw = vec![false; n + 1];
        let mut ss = vec![false; n + 1];
        sw[n] = true;
        for &(s, e, strong) in edges.iter().rev() {
            if sw[e] {
                if strong {
                    ss[s] = true;
                } else {
                    sw[s] = true;
                }
            }
            if ss[e] {
                ss[s] = true;
            }
        }

        brands
            .into_iter()
            .map(|(s, e, token)| {
                let (from, to) = (source[s].0, source[e - 1].1);
                let before = pw[s] || ps[s];
                let after = sw[e] || ss[e];
                TokenHit {
                    token,
                    span: label[from..to].chars().filter(|&c| c != '-').collect(),
                    prefix: label[..from].to_owned(),
                    suffix: label[to..].to_owned(),
                    starts_word: from == 0 || label.as_bytes()[from - 1] == b'-',
                    composed: before && after,
                    strong: (ps[s] && after) || (before && ss[e]),
                }
            })
            .collect()
    }

    fn check_subdomains(&self, out: &mut Vec<RawFinding>) {
        let set = self.set;
        let n = self.ascii.len();
        for i in 0..self.reg {
            // A protected domain inside the name: `acme.com.attacker.example`,
            // `circl.lu.zw`.
            for len in 2..=4.min(n - i) {
                let joined = self.ascii[i..i + len].join(".");
                if let Some(&id) = set.registrable.get(&joined) {
                    out.push(RawFinding {
                        entry: id,
                        rank: RANK_DOMAIN_IN_SUBDOMAIN,
                        technique: Technique::Subdomain,
                        evidence: format!(
                            "{} used as a subdomain of {}",
                            set.entries[id as usize].target,
                            self.registrable_display()
                        ),
                    });
                }
            }

            // A dot inserted into the label: `c.ircl.lu`, `ail-pro.ject.org`.
            let joined: String = self.folded[i..=self.reg].concat();
            for &id in set.by_label.get(joined.as_str()).into_iter().flatten() {
                let entry = &set.entries[id as usize];
                let Some(suffix) = entry.suffix() else {
                    continue;
                };
                if entry.chars.len() <= SHORT_LABEL && suffix != self.suffix {
                    continue;
                }
                out.push(RawFinding {
                    entry: id,
                    rank: RANK_DOT_DASH,
                    technique: Technique::DotDash,
                    evidence: format!(
                        "dot inserted into '{}' ({}): {}",
                        entry.raw_label,
                        entry.target,
                        self.unicode[i..].join(".")
                    ),
                });
            }

            // The brand as a subdomain label: `microsoft.attacker.example`,
            // `rnicrosoft.attacker.example`, `acme-support.attacker.example`.
            let folded = &self.folded[i];
            if set.keywords.contains(folded.as_str()) {
                continue;
            }
            let mut matched: Vec<u32> = Vec::new();
            let skeleton = unicode::skeleton_of_fold(folded);
            let by_label = set.by_label.get(folded.as_str()).into_iter().flatten();
            let by_skeleton = set.by_skeleton.get(skeleton.as_str()).into_iter().flatten();
            for &id in by_label.chain(by_skeleton) {
                let entry = &set.entries[id as usize];
                let long_enough = entry.chars.len() >= MIN_SUBDOMAIN_BRAND
                    || matches!(entry.kind, EntryKind::Brand);
                if matched.contains(&id) || !long_enough {
                    continue;
                }
                matched.push(id);
                let how = if *folded == entry.label {
                    "is the label of"
                } else {
                    "has the skeleton of"
                };
                out.push(RawFinding {
                    entry: id,
                    rank: RANK_BRAND_IN_SUBDOMAIN,
                    technique: Technique::Subdomain,
                    evidence: format!(
                        "subdomain '{}' of {} {how} {}",
                        self.unicode[i],
                        self.registrable_display(),
                        entry.target
                    ),
                });
            }
            self.check_tokens(i, &matched, out);
        }
    }
}

struct TokenHit {
    /// Index into [`ProtectedSet::tokens`].
    token: usize,
    /// The matched part of the label, folded, without hyphens.
    span: String,
    prefix: String,
    suffix: String,
    starts_word: bool,
    /// Whether everything around the brand is added words, digits and
    /// other brands (a combosquat).
    composed: bool,
    /// Whether those added words include a strong one.
    strong: bool,
}

/// Whether the words around `hit`, each set off by a hyphen, are all words
/// of the entry's owner's name ("nordhafen-logistik" for "Nordhafen Logistik
/// & Zoll"): the name spelled out, not somebody else's.
fn named_by_own_words(entry: &Entry, hit: &TokenHit) -> bool {
    if entry.name_words.is_empty()
        || !(hit.prefix.is_empty() || hit.prefix.ends_with('-'))
        || !(hit.suffix.is_empty() || hit.suffix.starts_with('-'))
    {
        return false;
    }
    let mut added = hit
        .prefix
        .split('-')
        .chain(hit.suffix.split('-'))
        .filter(|w| !w.is_empty())
        .peekable();
    added.peek().is_some() && added.all(|w| entry.name_words.iter().any(|n| n == w))
}

fn describe_added(prefix: &str, suffix: &str) -> String {
    let words: Vec<&str> = [prefix, suffix]
        .into_iter()
        .map(|s| s.trim_matches('-'))
        .filter(|s| !s.is_empty())
        .collect();
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Whether an edit path between a protected label of `target_chars`
/// characters and a candidate label reads as an imitation.
///
/// The shorter the label, the more real, unrelated names lie one edit away
/// (`ibm`: `abm`, `ibx`, `tbm`...), so the bar rises as labels shrink, and a
/// candidate that is an ordinary English word (`black` for `slack`) is not
/// read as a typo of a label of up to 8 characters:
///
/// * up to 4 characters: one plausible edit (see
///   [`edit::Edit::is_plausible`]) on the same suffix;
/// * 5-6: one edit; an implausible one only on the same suffix;
/// * 7-8: one edit of any kind;
/// * 9 and more: one edit, or two on the same suffix or two plausible ones.
fn typo_accepted(target_chars: usize, path: &EditPath, same_suffix: bool, word: bool) -> bool {
    let distance = path.distance();
    if distance == 0 {
        return false;
    }
    if target_chars < LONG_LABEL && (word || distance > 1) {
        return false;
    }
    if target_chars <= SHORT_LABEL {
        return same_suffix && path.all_plausible();
    }
    if target_chars <= MEDIUM_LABEL {
        return path.all_plausible() || same_suffix;
    }
    if target_chars < LONG_LABEL {
        return true;
    }
    distance == 1 || same_suffix || path.all_plausible()
}

/// Calls `f` with the hash of every string obtained from `chars` by deleting
/// at most `depth` (1 or 2) characters, the string itself included.
fn for_each_deletion(chars: &[char], depth: usize, mut f: impl FnMut(u64)) {
    let n = chars.len();
    f(hash_chars(chars.iter().copied()));
    for a in 0..n {
        f(hash_chars(
            chars
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != a)
                .map(|(_, &c)| c),
        ));
        if depth >= 2 {
            for b in a + 1..n {
                f(hash_chars(
                    chars
                        .iter()
                        .enumerate()
                        .filter(|&(k, _)| k != a && k != b)
                        .map(|(_, &c)| c),
                ));
            }
        }
    }
}

/// FNV-1a over the code points, finished with a SplitMix64 mix so the low
/// bits the hash table uses are well spread.
fn hash_chars(chars: impl Iterator<Item = char>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        h = (h ^ u64::from(c as u32)).wrapping_mul(0x100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The Unicode (U-label) form of an ASCII name, for people to read.
fn display_name(ascii: &str) -> String {
    if ascii.contains("xn--") {
        idna::domain_to_unicode(ascii).0
    } else {
        ascii.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> ProtectedSet {
        let mut builder = ProtectedSet::builder();
        builder.add_domain("acme.test", "Acme").unwrap();
        builder.add_domain("ibm.com", "IBM").unwrap();
        builder
            .add_domain("acme.deskhost.example", "Acme help centre")
            .unwrap();
        builder.add_brand("Globex Corporation").unwrap();
        builder.build()
    }

    fn technique(candidate: &str) -> Option<Technique> {
        set().check(candidate).map(|f| f.technique)
    }

    #[test]
    fn an_allowed_domain_is_never_reported_nor_defended() {
        let mut builder = ProtectedSet::builder();
        builder.add_domain("acme.test", "Acme").unwrap();
        builder
            .allow_domain("acme-users.test", "acme-users.test (trusted mailing list)")
            .unwrap();
        let set = builder.build();
        assert!(set.check("acme-users.test").is_none());
        assert!(set.check("lists.acme-users.test").is_none());
        assert!(set.is_protected("lists.acme-users.test"));
        // Acme is still defended; the list's name is not.
        assert!(set.check("acme-helpdesk.test").is_some());
        assert!(
            set.check("acme-user.test")
                .is_some_and(|f| f.target == "acme.test")
        );
        // A public suffix is nobody's to allow.
        assert!(ProtectedSet::builder().allow_domain("co.uk", "x").is_err());
    }

    #[test]
    fn words_of_the_owners_own_name_are_added_words() {
        let mut builder = ProtectedSet::builder();
        builder
            .add_domain(
                "corvanta.example",
                "Corvanta Spedition & Zoll (organisation)",
            )
            .unwrap();
        let set = builder.build();
        let finding = set
            .check("corvanta-spedition.example")
            .expect("its own name");
        assert_eq!(finding.technique, Technique::Combosquat);
        assert!(
            finding.evidence.contains("own name"),
            "{}",
            finding.evidence
        );
        // Another word is another name; a word fused on is not set off.
        assert!(set.check("corvanta-golf.example").is_none());
        assert!(set.check("corvantaspeditions.example").is_none());
    }

    #[test]
    fn departments_and_plurals_are_added_words() {
        let set = only(&["corvanta.example"]);
        for candidate in [
            "corvanta-finance.example",
            "corvanta-rh.example",
            "corvanta-empresas.example",
            "corvanta-ext.example",
            "corvanta-invoices.example",
            "corvanta-entregas.example",
            // What a fake HR portal adds: pay and benefits.
            "corvanta-benefits.example",
            "corvanta-payslips.example",
            "corvanta-pension.example",
        ] {
            let finding = set.check(candidate);
            assert_eq!(
                finding.map(|f| f.technique),
                Some(Technique::Combosquat),
                "{candidate}"
            );
        }
        // A word that is not an added word stays somebody else's name.
        assert!(set.check("corvanta-golf.example").is_none());
    }

    #[test]
    fn protected_names_and_their_subdomains_are_not_lookalikes() {
        let set = set();
        assert!(set.is_protected("acme.test"));
        assert!(set.is_protected("WWW.Acme.Test."));
        assert!(set.is_protected("eu.acme.deskhost.example"));
        assert!(!set.is_protected("deskhost.example"));
        assert_eq!(set.check("mail.acme.test"), None);
    }

    #[test]
    fn each_technique() {
        assert_eq!(technique("acrne.test"), Some(Technique::Homoglyph));
        assert_eq!(technique("xn--cme-5cd.test"), Some(Technique::Homoglyph));
        assert_eq!(technique("acmme.test"), Some(Technique::Typo));
        assert_eq!(technique("acme-helpdesk.com"), Some(Technique::Combosquat));
        assert_eq!(
            technique("acme.test.evil.example"),
            Some(Technique::Subdomain)
        );
        assert_eq!(technique("acme.net"), Some(Technique::TldSwap));
        assert_eq!(technique("acme-test.com"), Some(Technique::DotDash));
        assert_eq!(technique("ac.me.test"), Some(Technique::DotDash));
    }

    #[test]
    fn short_labels_need_a_plausible_edit_on_the_same_suffix() {
        assert_eq!(technique("ibn.com"), Some(Technique::Typo));
        assert_eq!(technique("ibn.net"), None);
        assert_eq!(technique("ibx.com"), None);
        assert_eq!(technique("acne.test"), None, "an English word");
    }

    #[test]
    fn bare_brands() {
        assert_eq!(technique("globexcorporation.com"), None);
        assert_eq!(
            technique("globex-corporation-login.com"),
            Some(Technique::Combosquat)
        );
        let finding = set().check("gl0bexcorporation.net").unwrap();
        assert_eq!(finding.target, "Globex Corporation");
    }

    #[test]
    fn evidence_reads_well() {
        let finding = set().check("acmme.test").unwrap();
        assert_eq!(
            finding.evidence,
            "edit distance 1 (repetition of 'm') from acme.test"
        );
        let finding = set().check("acrne.test").unwrap();
        assert_eq!(
            finding.evidence,
            "skeleton(acrne.test) = skeleton(acme.test)"
        );
    }

    fn only(protected: &[&str]) -> ProtectedSet {
        let mut builder = ProtectedSet::builder();
        for domain in protected {
            builder.add_domain(domain, "test").unwrap();
        }
        builder.build()
    }

    #[test]
    fn whole_script_homographs() {
        let set = only(&["mercato.test", "kettle.test"]);
        // Cyrillic м е г с а т о: every letter Cyrillic.
        let whole = "\u{043c}\u{0435}\u{0433}\u{0441}\u{0430}\u{0442}\u{043e}";
        let finding = set
            .check(&format!("{whole}.test"))
            .expect("whole-script Cyrillic");
        assert_eq!(finding.technique, Technique::Homoglyph);
        assert!(
            finding.evidence.contains("script Cyrillic"),
            "{}",
            finding.evidence
        );
        // Latin small letter kra for k.
        assert!(set.check("\u{0138}ettle.test").is_some());
        // The same word under a Cyrillic top-level domain is a native name.
        assert_eq!(set.check(&format!("{whole}.\u{0440}\u{0444}")), None);
        // A Cyrillic word a typo away from a protected label is not read as one.
        assert_eq!(set.check("\u{043a}\u{0435}\u{0442}\u{043e}.test"), None);
    }

    #[test]
    fn examples_named_in_the_issue() {
        let set = only(&[
            "ask.com", "nike.com", "vk.com", "aol.com", "att.com", "ft.com",
        ]);
        // Whole-script Cyrillic and small capitals.
        for (candidate, target) in [
            ("\u{0430}\u{0455}\u{043a}.com", "ask.com"),
            ("\u{043f}\u{0456}\u{043a}\u{0435}.com", "nike.com"),
            ("\u{1d20}\u{1d0b}.com", "vk.com"),
        ] {
            let finding = set.check(candidate).expect(candidate);
            assert_eq!(finding.target, target);
            assert_eq!(finding.technique, Technique::Homoglyph);
        }
        // Short names collide with other companies' names.
        for candidate in ["al.com", "art.com", "t.com"] {
            assert_eq!(set.check(candidate), None, "{candidate}");
        }
    }

    #[test]
    fn tiny_labels() {
        let set = only(&["qz.test"]);
        assert_eq!(set.check("qx.test"), None);
        assert_eq!(set.check("qz.org"), None);
        assert_eq!(
            set.check("qz.tes").map(|f| f.technique),
            Some(Technique::TldSwap)
        );
        assert_eq!(
            set.check("qzz.test").map(|f| f.technique),
            Some(Technique::Typo)
        );
        assert_eq!(
            set.check("qz-login.com").map(|f| f.technique),
            Some(Technique::Combosquat)
        );
        assert_eq!(set.check("qz-garden.com"), None);
        assert_eq!(set.check("qz-online.com"), None, "weak words only");
    }

    #[test]
    fn tld_swaps_onto_vanity_and_themed_suffixes() {
        let set = only(&["linkedin.com", "ing.com", "slack.com"]);
        // Country codes sold as generic names are no brand's country site.
        assert!(set.check("linkedin.cc").is_some());
        assert!(set.check("linkedin.io").is_some());
        assert!(set.is_protected("linkedin.de"));
        // A help-desk word as the TLD is the added word of a combosquat,
        // even for a short or ordinary-word brand.
        assert!(set.check("ing.support").is_some());
        assert!(set.check("slack.help").is_some());
        assert_eq!(set.check("slack.net"), None);
        assert_eq!(
            set.check("slack.jobs"),
            None,
            "a careers TLD is no help desk"
        );
        // A brand's pages on a hosting platform under a vanity code stay its own.
        assert!(set.check("linkedin.github.io").is_none());
    }

    #[test]
    fn known_owners_and_namespaces() {
        let set = only(&["paypal.com", "acme.test"]);
        assert!(set.is_protected("paypal.de"), "a brand with country sites");
        assert!(set.is_protected("www.paypal.co.uk"));
        assert!(set.check("paypal.co").is_some(), "typo TLD of .com");
        assert!(set.check("paypal.tk").is_some(), "free TLD");
        assert!(set.check("paypal.xyz").is_some());
        // Another well-known brand's own domain imitates nobody.
        assert!(set.is_protected("acme.atlassian.net"));
        assert_eq!(set.check("paypalobjects.com"), None);
        // Only public bodies register under these.
        assert_eq!(set.check("acme.gov.uk"), None);
        assert_eq!(set.check("acme.stateu.edu"), None);
        assert_eq!(set.check("acme.gov.test"), None);
        assert!(set.check("acme.ac").is_some(), ".ac is an open registry");
    }

    #[test]
    fn hosted_sites() {
        let set = only(&["acmecorp.test", "zeltrix.test"]);
        assert_eq!(
            set.check("acmecorp-login.weebly.com").map(|f| f.technique),
            Some(Technique::Combosquat)
        );
        assert_eq!(
            set.check("zeltrixbis.wixsite.com").map(|f| f.technique),
            Some(Technique::Combosquat)
        );
        assert!(set.check("zeltrix.netlify.app").is_some());
        assert_eq!(set.check("acme-gardening.weebly.com"), None);
        assert_eq!(set.check("myzeltrixfan.weebly.com"), None);
    }

    #[test]
    fn word_brands_and_name_parts() {
        let set = only(&["harbor.test", "brightwater-it.test", "copperline.test"]);
        assert_eq!(
            set.check("harborcenter.com"),
            None,
            "a word beside a generic word"
        );
        assert!(set.check("harbor-login.com").is_some());
        assert!(set.check("brightwater-helpdesk.com").is_some());
        assert_eq!(set.check("brightwater-dental.com"), None);
        assert_eq!(set.check("brightwater.com"), None, "part of a name alone");
        // One changed letter making other words names something else; a
        // dropped letter or a neighbouring key is still a typo.
        assert_eq!(set.check("copperlink.test"), None);
        assert!(set.check("coppeline.test").is_some());
        assert!(
            set.check("copperlone.test").is_some(),
            "vowel swap inside no word"
        );
    }

    #[test]
    fn builder_rejects_what_it_cannot_protect() {
        let mut builder = ProtectedSet::builder();
        assert!(matches!(
            builder.add_domain("co.uk", "x"),
            Err(LookalikeError::NotRegistrable { .. })
        ));
        assert!(matches!(
            builder.add_domain("a..b", "x"),
            Err(LookalikeError::InvalidDomain { .. })
        ));
        assert!(matches!(
            builder.add_brand("HP"),
            Err(LookalikeError::BrandTooShort { .. })
        ));
    }
}
