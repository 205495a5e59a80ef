//! The protected identities, indexed once from a directory snapshot: who the
//! organisation is, which vendors and contacts are enrolled, who works in IT,
//! which forwarders are trusted, and which brands attackers borrow (the
//! well-known brands of `countersign_lookalike::known_brands`).

use crate::people::{People, PersonRole};
use aho_corasick::AhoCorasick;
use countersign_directory::DirectorySnapshot;
use countersign_directory::{
    ContactStatus, DirectoryError, EmployeeStatus, NotTrustedReason, StaffStatus,
};
use countersign_lookalike::{
    KnownBrand, LookalikeFinding, ProtectedSet, ProtectedSetBuilder, brand_owning, is_english_word,
    is_public_body_domain, known_brands,
};
use countersign_model::psl::{self, registrable_domain};
use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};
use time::OffsetDateTime;

/// Words by which a display name claims to be an organisation's internal
/// IT: a claim from any domain that is not ours or a vendor's.
const IT_SUPPORT_WORDS: &[&str] = &[
    "it support",
    "it-support",
    "it service desk",
    "it servicedesk",
    "service desk",
    "servicedesk",
    "help desk",
    "helpdesk",
    "it helpdesk",
    "it help desk",
    "it department",
    "it team",
    "it admin",
    "it administrator",
    "it administration",
    "system administrator",
    "sysadmin",
    "it security",
    "it-abteilung",
    "it abteilung",
    "it-service",
    "it service",
    "edv",
    "edv-abteilung",
    "support informatique",
    "service informatique",
    "departamento de ti",
    "departamento de it",
    "soporte it",
    "soporte ti",
    "soporte informatico",
    "soporte informático",
    "departamento de sistemas",
    "equipo de sistemas",
    "soporte de sistemas",
    "equipo de ti",
    "equipo ti",
    "equipo de it",
    "equipo it",
    "équipe informatique",
    "équipe it",
    "service it",
];

/// Words that claim support in general ("Technical Support", "Support
/// Team", "Administrator"): a company's own product support uses them
/// from its own domain, so they are a claim only from a free mailbox.
const GENERIC_SUPPORT_WORDS: &[&str] = &[
    "tech support",
    "technical support",
    "support team",
    "security team",
    "administrator",
    "admin team",
    "soporte técnico",
    "soporte tecnico",
    "support technique",
    "technischer support",
    "kundendienst",
];

/// Mailbox providers anyone can sign up to.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "ymail.com",
    "rocketmail.com",
    "aol.com",
    "aim.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "gmx.at",
    "gmx.ch",
    "gmx.fr",
    "web.de",
    "freenet.de",
    "mail.de",
    "posteo.de",
    "mail.com",
    "email.com",
    "usa.com",
    "zoho.com",
    "zohomail.com",
    "yandex.ru",
    "yandex.com",
    "mail.ru",
    "inbox.ru",
    "list.ru",
    "bk.ru",
    "rambler.ru",
    "tutanota.com",
    "tutanota.de",
    "tuta.io",
    "tuta.com",
    "fastmail.com",
    "fastmail.fm",
    "hushmail.com",
    "mailfence.com",
    "t-online.de",
    "orange.fr",
    "wanadoo.fr",
    "laposte.net",
    "free.fr",
    "sfr.fr",
    "neuf.fr",
    "bbox.fr",
    "libero.it",
    "virgilio.it",
    "tiscali.it",
    "telefonica.net",
    "movistar.es",
    "btinternet.com",
    "sky.com",
    "virginmedia.com",
    "ntlworld.com",
    "talktalk.net",
    "comcast.net",
    "verizon.net",
    "att.net",
    "sbcglobal.net",
    "bellsouth.net",
    "cox.net",
    "earthlink.net",
    "juno.com",
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "naver.com",
    "hanmail.net",
    "rediffmail.com",
];

/// Providers that run the same free mailbox service under many country
/// suffixes (`yahoo.fr`, `hotmail.es`, `outlook.de`): the registrable label
/// alone says free mail.
const FREE_MAIL_LABELS: &[&str] = &["yahoo", "hotmail", "outlook", "live", "gmx", "ymail", "aol"];

/// A vendor as the engine needs it.
#[derive(Debug, Clone)]
pub(crate) struct VendorFacts {
    pub name: String,
    pub privileged: bool,
    /// Why its records cannot be relied on, if they cannot.
    pub untrusted: Option<String>,
    /// Only because its review is overdue: the relationship stands, and the
    /// lapse matters when something must be verified, not on routine mail.
    pub review_overdue: bool,
}

/// Whose name a display name can claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimKind {
    /// The organisation itself.
    Organisation,
    /// An enrolled vendor.
    Vendor,
    /// A well-known brand (`countersign_lookalike::known_brands`).
    Brand,
    /// A public authority (`data/authorities.txt`): also legitimate from
    /// any public-body namespace (`.gov`, `.gouv.fr`).
    Authority,
}

const AUTHORITIES: &str = include_str!("../data/authorities.txt");

/// A name (as folded words) by which a display name claims an organisation.
#[derive(Debug, Clone)]
pub(crate) struct Phrase {
    pub words: Vec<String>,
    /// The first word of a longer name (`halvorsen` of "Halvorsen Medical
    /// Imaging"): it claims the organisation only at the start of a display
    /// name or among claim words ("Halvorsen Support"), not as a person's
    /// surname ("Marit Halvorsen").
    pub leading: bool,
    /// A single ordinary English word (`apple`, `keystone`): it claims the
    /// organisation only where nothing but claim words surround it
    /// ("Apple Support", not "Adam Apple"), or where the address repeats it.
    pub plain_word: bool,
}

/// An organisation whose name a display name may claim, and the registrable
/// domains it legitimately writes from.
#[derive(Debug, Clone)]
pub(crate) struct OrgClaim {
    pub shown: String,
    pub kind: ClaimKind,
    pub phrases: Vec<Phrase>,
    pub domains: HashSet<String>,
    /// For a well-known brand, the brand (it also owns country variants).
    pub brand: Option<&'static KnownBrand>,
}

impl OrgClaim {
    /// Whether the registrable domain `from_reg` is this organisation's.
    pub fn owns(&self, from_reg: &str) -> bool {
        self.owns_given(from_reg, || brand_owning(from_reg))
    }

    /// [`OrgClaim::owns`] with the brand owning `from_reg` looked up by the
    /// caller: a loop over every claim looks it up once, not per claim.
    pub fn owns_given(
        &self,
        from_reg: &str,
        owner: impl FnOnce() -> Option<&'static KnownBrand>,
    ) -> bool {
        self.domains.contains(from_reg)
            || self
                .brand
                .is_some_and(|b| owner().is_some_and(|o| o.name == b.name))
            || (self.kind == ClaimKind::Authority && is_public_body_domain(from_reg))
    }
}

/// The authorities of `data/authorities.txt` as claims.
fn authority_claims() -> Vec<OrgClaim> {
    AUTHORITIES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let [name, names, domains] = fields.as_slice() else {
                return None;
            };
            let aliases: Vec<&str> = names.split(',').map(str::trim).collect();
            let mut phrases = org_phrases(name, &[], &aliases);
            // Authorities are named in full; their first word alone ("Agencia",
            // "Deutsche") claims nothing.
            let first_words: Vec<Vec<String>> = std::iter::once(*name)
                .chain(aliases.iter().copied())
                .map(claim_words)
                .filter(|w| w.len() > 1)
                .map(|w| vec![w[0].clone()])
                .collect();
            phrases.retain(|p| {
                !first_words.contains(&p.words) || aliases.iter().any(|a| claim_words(a) == p.words)
            });
            Some(OrgClaim {
                shown: format!("{name} (public authority)"),
                kind: ClaimKind::Authority,
                phrases,
                domains: domains
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(registrable)
                    .collect(),
                brand: None,
            })
        })
        .collect()
}

/// Words that may surround an organisation's name in a display name that
/// claims it: "PayPal Service", "Apple Support", "Zoom Video
/// Communications", "Amazon.co.uk". Folded, lowercase.
const CLAIM_CONTEXT: &[&str] = &[
    "support",
    "service",
    "services",
    "team",
    "security",
    "billing",
    "account",
    "accounts",
    "notification",
    "notifications",
    "notice",
    "id",
    "store",
    "alert",
    "alerts",
    "customer",
    "customers",
    "care",
    "help",
    "helpdesk",
    "desk",
    "noreply",
    "no",
    "reply",
    "verify",
    "verification",
    "express",
    "video",
    "communications",
    "inc",
    "ltd",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "sl",
    "bv",
    "corp",
    "corporation",
    "official",
    "online",
    "center",
    "centre",
    "web",
    "mail",
    "info",
    "news",
    "updates",
    "update",
    "admin",
    "it",
    "payments",
    "payment",
    "invoice",
    "invoices",
    "orders",
    "order",
    "delivery",
    "shipping",
    "tracking",
    "sign",
    "docs",
    "drive",
    "cloud",
    "business",
    "pay",
    "com",
    "co",
    "uk",
    "de",
    "fr",
    "es",
    "net",
    "org",
    "kundenservice",
    "kundendienst",
    "service",
    "sicherheit",
    "konto",
    "securite",
    "compte",
    "assistance",
    "seguridad",
    "cuenta",
    "soporte",
    "atencion",
    "cliente",
    "clientes",
    "the",
    "de",
    "la",
    "le",
    "el",
    "team",
    "group",
    "global",
];

/// The folded words of a name, as display names are compared.
pub(crate) fn claim_words(text: &str) -> Vec<String> {
    crate::people::name_words(text)
}

impl OrgClaim {
    /// Whether the folded words of a display name claim this organisation,
    /// given the local part of the From address.
    pub fn claimed_by(&self, words: &[String], local_part: &str) -> bool {
        self.phrases.iter().any(|phrase| {
            let n = phrase.words.len();
            if n == 0 || n > words.len() {
                return false;
            }
            (0..=words.len() - n).any(|start| {
                if words[start..start + n] != phrase.words[..] {
                    return false;
                }
                if !phrase.plain_word && (!phrase.leading || start == 0) {
                    return true;
                }
                let others: Vec<&String> = words
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k < start || k >= start + n)
                    .map(|(_, w)| w)
                    .collect();
                // The brand's own name standing alone ("Apple") claims it;
                // the first word of a longer name standing alone ("Best")
                // does not.
                let others_are_context = if others.is_empty() {
                    !phrase.leading
                } else {
                    others.iter().all(|w| CLAIM_CONTEXT.contains(&w.as_str()))
                };
                let local: String = local_part
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                others_are_context || local.contains(&phrase.words.concat())
            })
        })
    }
}

/// The phrases by which a display name claims an organisation called
/// `name` with these domains: its full name, its first word when that is
/// distinctive (`vaultline` of "Vaultline Backup") or an ordinary word
/// (then only among claim words), and its domain labels (`northgate it`,
/// `northgateit`).
fn org_phrases(name: &str, domains: &[String], aliases: &[&str]) -> Vec<Phrase> {
    let mut phrases: Vec<Phrase> = Vec::new();
    let mut push = |words: Vec<String>, leading: bool| {
        if words.is_empty() || words.concat().chars().count() < 3 {
            return;
        }
        let plain_word = words.len() == 1 && is_english_word(&words[0]);
        if !phrases.iter().any(|p| p.words == words) {
            phrases.push(Phrase {
                words,
                leading,
                plain_word,
            });
        }
    };
    let words = claim_words(name);
    // Corporate suffixes are not part of the name people recognise.
    let words: Vec<String> = words
        .into_iter()
        .filter(|w| {
            !matches!(
                w.as_str(),
                "ltd"
                    | "limited"
                    | "inc"
                    | "llc"
                    | "plc"
                    | "gmbh"
                    | "ag"
                    | "sa"
                    | "sas"
                    | "sl"
                    | "bv"
                    | "corp"
                    | "corporation"
                    | "co"
                    | "company"
            )
        })
        .collect();
    push(words.clone(), false);
    // The first word alone ("Vaultline" of "Vaultline Backup"); an
    // ordinary word ("Best" of "Best Buy") only among claim words or when
    // the address repeats it (see `Phrase::plain_word`).
    if words.len() > 1 && words[0].chars().count() >= 4 {
        push(vec![words[0].clone()], true);
    }
    for alias in aliases {
        push(claim_words(alias), false);
    }
    for domain in domains {
        let Some(label) = psl::split(domain).and_then(|s| s.registrable_label().map(str::to_owned))
        else {
            continue;
        };
        let parts: Vec<String> = label.split('-').map(str::to_owned).collect();
        push(vec![parts.concat()], false);
        if parts.len() > 1 {
            push(parts, false);
        }
    }
    phrases
}

/// Everything protected, indexed for per-message checks.
#[derive(Debug)]
pub struct Identities {
    pub(crate) org_domains: HashSet<String>,
    pub(crate) vendors_by_domain: HashMap<String, VendorFacts>,
    /// Active approved contacts, by lowercase address.
    pub(crate) active_contacts: HashSet<String>,
    /// Employees, IT staff and vendor contacts, by the names they go by.
    pub(crate) people: People,
    /// Organisations a display name may claim: ours, the vendors, brands.
    pub(crate) claims: Vec<OrgClaim>,
    /// First word of every claim phrase → the claims having such a phrase.
    claims_by_word: HashMap<String, Vec<usize>>,
    pub(crate) forwarders: HashSet<String>,
    /// The numbers of the directory's current people (IT staff, employees,
    /// active vendor contacts), by [`phone_key`]: calling one reaches the
    /// person the directory vouches for.
    directory_phones: HashSet<String>,
    pub(crate) lookalikes: ProtectedSet,
    /// Names the lookalike index could not take, with why.
    unprotected: Vec<String>,
    /// Answers already computed: the same sender and link domains recur
    /// across a mail stream, and the answer depends only on the name.
    lookalike_answers: Mutex<HashMap<String, Option<LookalikeFinding>>>,
}

/// A phone number's last nine digits: the same number written
/// internationally ("+33 4 72 55 03 18") or nationally ("04 72 55 03 18")
/// has the same key. Shorter numbers (extensions) have none.
fn phone_key(number: &str) -> Option<String> {
    let digits: Vec<u8> = number.bytes().filter(u8::is_ascii_digit).collect();
    (digits.len() >= 9).then(|| String::from_utf8_lossy(&digits[digits.len() - 9..]).into_owned())
}

/// Bound on remembered lookalike answers; the memory is cleared when full.
const LOOKALIKE_MEMORY: usize = 50_000;

/// Lowercase, single-spaced, punctuation-free form of a person's name.
pub(crate) fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    push_normalised_name(&mut out, name);
    out
}

/// Appends [`normalise_name`] of `name` to `out`, in one pass without
/// intermediate strings: the words are the runs of alphanumeric characters,
/// each lowercased (the first character of its lowercase form), joined by
/// single spaces.
fn push_normalised_name(out: &mut String, name: &str) {
    let start = out.len();
    let mut gap = false;
    for c in name.chars() {
        let kept = if c.is_ascii() {
            c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase())
        } else if c.is_alphanumeric() {
            Some(c.to_lowercase().next().unwrap_or(c))
        } else {
            None
        };
        match kept {
            Some(k) => {
                if gap && out.len() > start {
                    out.push(' ');
                }
                gap = false;
                out.push(k);
            }
            None => gap = true,
        }
    }
}

/// The registrable domain of a name, or the name itself when it has none.
pub(crate) fn registrable(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    registrable_domain(&domain).unwrap_or(domain)
}

/// Adds a directory's protected identities to a lookalike index: the
/// organisation's domains and name, every vendor's domains and name; the
/// domains of the mailing lists it trusts (forwarders) are allowed.
/// Suspended and offboarded vendors stay protected: attackers imitate
/// whoever staff still recognise. Returns the names the index could not take (a
/// two-letter brand, a public suffix), with why, for the caller to log.
pub fn protect_directory(
    builder: &mut ProtectedSetBuilder,
    snapshot: &DirectorySnapshot,
) -> Vec<String> {
    let mut skipped = Vec::new();
    let mut note = |what: String, err: countersign_lookalike::LookalikeError| {
        skipped.push(format!("{what}: {err}"));
    };
    if let Some(org) = &snapshot.organisation {
        let owner = format!("{} (organisation)", org.name);
        for domain in &org.domains {
            if let Err(err) = builder.add_domain(domain, &owner) {
                note(format!("organisation domain {domain}"), err);
            }
        }
        if let Err(err) = builder.add_brand_with_owner(&org.name, &owner) {
            note(format!("organisation name {}", org.name), err);
        }
    }
    for vendor in &snapshot.vendors {
        let owner = format!("{} (vendor {})", vendor.name, vendor.id);
        for domain in &vendor.domains {
            if let Err(err) = builder.add_domain(domain, &owner) {
                note(format!("vendor {} domain {domain}", vendor.id), err);
            }
        }
        if let Err(err) = builder.add_brand_with_owner(&vendor.name, &owner) {
            note(format!("vendor name {}", vendor.name), err);
        }
    }
    // A mailing list the organisation trusts is nobody's lookalike, even
    // when its name carries a vendor's (a product's user group). Its
    // operator's domain is allowed, not defended: list names are often
    // made of common words ("humanitarian-it") that other names share.
    for forwarder in &snapshot.forwarders {
        let domain = registrable(&forwarder.domain);
        let owner = format!("{} (trusted mailing list)", forwarder.domain);
        if let Err(err) = builder.allow_domain(&domain, &owner) {
            note(format!("forwarder {}", forwarder.domain), err);
        }
    }
    skipped
}

impl Identities {
    /// No directory: only the well-known brands are known.
    pub fn empty() -> Self {
        Self::from_snapshot(&DirectorySnapshot::default(), OffsetDateTime::UNIX_EPOCH)
    }

    /// Indexes a directory snapshot as it stands at `now`.
    pub fn from_snapshot(snapshot: &DirectorySnapshot, now: OffsetDateTime) -> Self {
        let org_name = snapshot
            .organisation
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let mut ids = Identities {
            people: People::new(&org_name),
            org_domains: HashSet::new(),
            vendors_by_domain: HashMap::new(),
            active_contacts: HashSet::new(),
            claims: Vec::new(),
            claims_by_word: HashMap::new(),
            forwarders: HashSet::new(),
            directory_phones: HashSet::new(),
            lookalikes: ProtectedSetBuilder::new().build(),
            unprotected: Vec::new(),
            lookalike_answers: Mutex::new(HashMap::new()),
        };
        let mut lookalikes = ProtectedSetBuilder::new();
        if let Some(org) = &snapshot.organisation {
            for domain in &org.domains {
                ids.org_domains.insert(registrable(domain));
            }
            ids.claims.push(OrgClaim {
                shown: format!("{} (the organisation)", org.name),
                kind: ClaimKind::Organisation,
                phrases: org_phrases(&org.name, &org.domains, &[]),
                domains: ids.org_domains.clone(),
                brand: None,
            });
        }
        // A name the lookalike index refuses (too short, a public suffix) is
        // still protected from exact spoofing above. The directory goes
        // first, so a vendor that is also a well-known brand keeps its
        // vendor record as the owner.
        ids.unprotected = protect_directory(&mut lookalikes, snapshot);
        lookalikes.add_known_brands();
        for vendor in &snapshot.vendors {
            let trust = snapshot.vendor_trust(&vendor.id, now);
            let review_overdue = matches!(
                &trust,
                Err(DirectoryError::NotTrusted {
                    reason: NotTrustedReason::ReviewOverdue { .. },
                    ..
                })
            );
            let facts = VendorFacts {
                name: vendor.name.clone(),
                privileged: vendor.privileged,
                untrusted: trust.err().map(|e| e.to_string()),
                review_overdue,
            };
            for domain in &vendor.domains {
                ids.vendors_by_domain
                    .insert(registrable(domain), facts.clone());
            }
            ids.claims.push(OrgClaim {
                shown: format!("{} (vendor)", vendor.name),
                kind: ClaimKind::Vendor,
                phrases: org_phrases(&vendor.name, &vendor.domains, &[]),
                domains: vendor.domains.iter().map(|d| registrable(d)).collect(),
                brand: None,
            });
        }
        for brand in known_brands() {
            let defended: Vec<String> = brand.defended.iter().map(|d| (*d).to_owned()).collect();
            ids.claims.push(OrgClaim {
                shown: brand.name.to_owned(),
                kind: ClaimKind::Brand,
                phrases: org_phrases(brand.name, &defended, &brand.aliases),
                domains: brand.domains().map(str::to_owned).collect(),
                brand: Some(brand),
            });
        }
        ids.claims.extend(authority_claims());
        for employee in &snapshot.employees {
            ids.people.add(
                &employee.name,
                vec![employee.email.clone()],
                PersonRole::Employee,
                employee.status == EmployeeStatus::Departed,
                None,
            );
        }
        for staff in &snapshot.staff {
            ids.people.add(
                &staff.name,
                vec![staff.email.clone()],
                PersonRole::ItStaff {
                    role: staff.role.clone(),
                },
                staff.status != StaffStatus::Active,
                None,
            );
        }
        for contact in &snapshot.contacts {
            let email = contact.email.to_ascii_lowercase();
            if contact.status == ContactStatus::Active {
                ids.active_contacts.insert(email.clone());
            }
            let vendor = snapshot
                .vendor(&contact.vendor)
                .map_or_else(|| contact.vendor.clone(), |v| v.name.clone());
            ids.people.add(
                &contact.name,
                vec![email],
                PersonRole::VendorContact { vendor },
                contact.status != ContactStatus::Active,
                None,
            );
        }
        let current_staff = snapshot
            .staff
            .iter()
            .filter(|s| s.status == StaffStatus::Active)
            .map(|s| s.phone.as_str());
        let current_employees = snapshot
            .employees
            .iter()
            .filter(|e| e.status != EmployeeStatus::Departed)
            .filter_map(|e| e.phone.as_deref());
        let active_contacts = snapshot
            .contacts
            .iter()
            .filter(|c| c.status == ContactStatus::Active)
            .flat_map(|c| c.phones.iter().map(String::as_str));
        ids.directory_phones = current_staff
            .chain(current_employees)
            .chain(active_contacts)
            .filter_map(phone_key)
            .collect();
        ids.people.finish();
        for (i, claim) in ids.claims.iter().enumerate() {
            for phrase in &claim.phrases {
                if let Some(first) = phrase.words.first() {
                    let list = ids.claims_by_word.entry(first.clone()).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        for forwarder in &snapshot.forwarders {
            ids.forwarders
                .insert(forwarder.domain.trim_end_matches('.').to_ascii_lowercase());
        }
        ids.lookalikes = lookalikes.build();
        ids
    }

    /// Whether `number` (as written in a message) is the number of one of
    /// the directory's current people.
    pub(crate) fn is_directory_phone(&self, number: &str) -> bool {
        phone_key(number).is_some_and(|k| self.directory_phones.contains(&k))
    }

    /// The organisations the folded words of a display name (or a
    /// sign-off line) claim, in the order of `claims`: ours, vendors,
    /// brands, authorities.
    pub(crate) fn claimed_by<'a>(
        &'a self,
        words: &'a [String],
        local_part: &'a str,
    ) -> impl Iterator<Item = &'a OrgClaim> + 'a {
        let mut candidates: Vec<usize> = words
            .iter()
            .filter_map(|w| self.claims_by_word.get(w))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| &self.claims[i])
            .filter(move |claim| claim.claimed_by(words, local_part))
    }

    /// Directory names the lookalike index could not take (a two-letter
    /// brand, a public suffix), with why: the caller logs them.
    pub fn unprotected(&self) -> &[String] {
        &self.unprotected
    }

    /// The lookalike index's answer for `domain`, remembered per name.
    pub(crate) fn check_lookalike(&self, domain: &str) -> Option<LookalikeFinding> {
        let mut answers = self
            .lookalike_answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(answer) = answers.get(domain) {
            return answer.clone();
        }
        let answer = self.lookalikes.check(domain);
        if answers.len() >= LOOKALIKE_MEMORY {
            answers.clear();
        }
        answers.insert(domain.to_string(), answer.clone());
        answer
    }

    /// The lookalike index over the protected identities.
    pub fn lookalikes(&self) -> &ProtectedSet {
        &self.lookalikes
    }

    /// True when `domain` belongs to the organisation or an enrolled vendor.
    pub(crate) fn is_protected_domain(&self, domain: &str) -> bool {
        let reg = registrable(domain);
        self.org_domains.contains(&reg) || self.vendors_by_domain.contains_key(&reg)
    }

    /// True when `domain` is a free mail provider anyone can sign up at
    /// (an address there proves nothing about an organisation).
    pub fn is_free_mail(domain: &str) -> bool {
        let reg = registrable(domain);
        FREE_MAIL.contains(&reg.as_str())
            || reg
                .split_once('.')
                .is_some_and(|(label, _)| FREE_MAIL_LABELS.contains(&label))
    }

    /// The words by which a display name claims IT support: internal-IT
    /// words always, general support words only when `free_mail`.
    pub(crate) fn claims_it_support(display: &str, free_mail: bool) -> Option<&'static str> {
        /// The words as written, then whether each is a generic one, and
        /// one automaton over their normalised forms padded with spaces.
        static WORDS: LazyLock<(Vec<(&'static str, bool)>, AhoCorasick)> = LazyLock::new(|| {
            let words: Vec<(&'static str, bool)> = IT_SUPPORT_WORDS
                .iter()
                .map(|w| (*w, false))
                .chain(GENERIC_SUPPORT_WORDS.iter().map(|w| (*w, true)))
                .collect();
            let automaton = AhoCorasick::new(
                words
                    .iter()
                    .map(|(w, _)| format!(" {} ", normalise_name(w))),
            )
            .expect("support words build an automaton");
            (words, automaton)
        });
        let (words, automaton) = &*WORDS;
        let mut padded = String::with_capacity(display.len() + 2);
        padded.push(' ');
        push_normalised_name(&mut padded, display);
        padded.push(' ');
        automaton
            .find_overlapping_iter(&padded)
            .map(|m| m.pattern().as_usize())
            .filter(|&i| free_mail || !words[i].1)
            .min()
            .map(|i| words[i].0)
    }
}

#[cfg(test)]
mod tests {
    use super::normalise_name;

    /// The definition `normalise_name` is a faster form of.
    fn reference(name: &str) -> String {
        name.chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_lowercase().next().unwrap_or(c)
                } else {
                    ' '
                }
            })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn normalise_name_is_its_definition() {
        for name in [
            "",
            "   ",
            "IT Support",
            "  Service-Desk  (Helpdesk)  ",
            "Ärger & Söhne GmbH",
            "İstanbul ΣΟΦΙΑ Kelvin\u{212a}",
            "Team\u{a0}IT\u{2003}Desk",
            "a_b.c/d",
            "Москва ８０ ①②",
        ] {
            assert_eq!(normalise_name(name), reference(name), "{name:?}");
        }
    }
}
