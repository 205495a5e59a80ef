//! The protected identities, indexed once from a directory snapshot: who the
//! organisation is, which vendors and contacts are enrolled, who works in IT,
//! which forwarders are trusted, and which brands attackers borrow.

use countersign_directory::DirectorySnapshot;
use countersign_directory::{ContactStatus, StaffStatus};
use countersign_lookalike::{LookalikeFinding, ProtectedSet, ProtectedSetBuilder};
use countersign_model::psl::registrable_domain;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use time::OffsetDateTime;

/// Brands attackers borrow in display names, with the registrable domains
/// that legitimately send as them. Display-name checks only: these are not
/// lookalike targets unless the directory enrols them as vendors. Consumer
/// mailbox domains (outlook.com, gmail.com) are deliberately absent: anyone
/// can open a mailbox there, so they never make a brand name legitimate.
const BORROWED_BRANDS: &[(&str, &[&str])] = &[
    (
        "microsoft",
        &[
            "microsoft.com",
            "office.com",
            "office365.com",
            "microsoftonline.com",
            "sharepoint.com",
            "live.com",
            "outlook.com",
        ],
    ),
    (
        "office 365",
        &[
            "microsoft.com",
            "office.com",
            "office365.com",
            "microsoftonline.com",
        ],
    ),
    ("outlook", &["microsoft.com", "office.com"]),
    ("windows", &["microsoft.com"]),
    ("google", &["google.com", "youtube.com"]),
    ("apple", &["apple.com"]),
    ("okta", &["okta.com", "oktapreview.com"]),
    ("duo security", &["duo.com", "duosecurity.com"]),
    ("docusign", &["docusign.com", "docusign.net"]),
    ("dropbox", &["dropbox.com", "dropboxmail.com"]),
    ("zoom", &["zoom.us", "zoom.com"]),
    ("adobe", &["adobe.com"]),
    ("cisco", &["cisco.com", "webex.com"]),
    ("citrix", &["citrix.com", "cloud.com"]),
    ("salesforce", &["salesforce.com"]),
    ("servicenow", &["servicenow.com", "service-now.com"]),
    ("amazon", &["amazon.com", "amazonaws.com", "aws.com"]),
    ("paypal", &["paypal.com"]),
    ("teamviewer", &["teamviewer.com"]),
    ("anydesk", &["anydesk.com"]),
];

/// Words by which a display name claims to be IT support.
const IT_SUPPORT_WORDS: &[&str] = &[
    "it support",
    "it-support",
    "it service desk",
    "service desk",
    "servicedesk",
    "help desk",
    "helpdesk",
    "it helpdesk",
    "tech support",
    "technical support",
    "it department",
    "it team",
    "it admin",
    "system administrator",
    "sysadmin",
    "it security",
    "security team",
    "administrator",
    "support team",
    "it-abteilung",
    "it-service",
    "support informatique",
    "service informatique",
    "soporte técnico",
    "soporte tecnico",
    "departamento de ti",
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
    "yahoo.co.uk",
    "ymail.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "zoho.com",
    "yandex.ru",
    "yandex.com",
    "mail.ru",
    "tutanota.com",
    "tuta.io",
    "fastmail.com",
    "hushmail.com",
    "t-online.de",
    "orange.fr",
    "laposte.net",
    "free.fr",
    "libero.it",
    "qq.com",
    "163.com",
    "126.com",
];

/// A vendor as the engine needs it.
#[derive(Debug, Clone)]
pub(crate) struct VendorFacts {
    pub name: String,
    pub privileged: bool,
    /// Why its records cannot be relied on, if they cannot.
    pub untrusted: Option<String>,
}

/// A vendor contact or staff member known by name.
#[derive(Debug, Clone)]
pub(crate) struct KnownPerson {
    pub name: String,
    pub emails: Vec<String>,
}

/// Everything protected, indexed for per-message checks.
#[derive(Debug)]
pub struct Identities {
    pub(crate) org_name: String,
    pub(crate) org_domains: HashSet<String>,
    pub(crate) vendors_by_domain: HashMap<String, VendorFacts>,
    /// Active approved contacts, by lowercase address.
    pub(crate) active_contacts: HashSet<String>,
    pub(crate) contacts_by_name: HashMap<String, KnownPerson>,
    pub(crate) staff_by_name: HashMap<String, KnownPerson>,
    pub(crate) forwarders: HashSet<String>,
    pub(crate) brands: Vec<(String, Vec<String>)>,
    pub(crate) lookalikes: ProtectedSet,
    /// Names the lookalike index could not take, with why.
    unprotected: Vec<String>,
    /// Answers already computed: the same sender and link domains recur
    /// across a mail stream, and the answer depends only on the name.
    lookalike_answers: Mutex<HashMap<String, Option<LookalikeFinding>>>,
}

/// Bound on remembered lookalike answers; the memory is cleared when full.
const LOOKALIKE_MEMORY: usize = 50_000;

/// Lowercase, single-spaced, punctuation-free form of a person's name.
pub(crate) fn normalise_name(name: &str) -> String {
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

/// The registrable domain of a name, or the name itself when it has none.
pub(crate) fn registrable(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    registrable_domain(&domain).unwrap_or(domain)
}

/// Adds a directory's protected identities to a lookalike index: the
/// organisation's domains and name, every vendor's domains and name.
/// Suspended and offboarded vendors stay protected: attackers imitate whoever
/// staff still recognise. Returns the names the index could not take (a
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
    skipped
}

impl Identities {
    /// No directory: only the borrowed brands are known.
    pub fn empty() -> Self {
        Self::from_snapshot(&DirectorySnapshot::default(), OffsetDateTime::UNIX_EPOCH)
    }

    /// Indexes a directory snapshot as it stands at `now`.
    pub fn from_snapshot(snapshot: &DirectorySnapshot, now: OffsetDateTime) -> Self {
        let mut ids = Identities {
            org_name: String::new(),
            org_domains: HashSet::new(),
            vendors_by_domain: HashMap::new(),
            active_contacts: HashSet::new(),
            contacts_by_name: HashMap::new(),
            staff_by_name: HashMap::new(),
            forwarders: HashSet::new(),
            brands: Vec::new(),
            lookalikes: ProtectedSetBuilder::new().build(),
            unprotected: Vec::new(),
            lookalike_answers: Mutex::new(HashMap::new()),
        };
        let mut lookalikes = ProtectedSetBuilder::new();
        if let Some(org) = &snapshot.organisation {
            ids.org_name = org.name.clone();
            for domain in &org.domains {
                ids.org_domains.insert(registrable(domain));
            }
        }
        // A name the lookalike index refuses (too short, a public suffix) is
        // still protected from exact spoofing above.
        ids.unprotected = protect_directory(&mut lookalikes, snapshot);
        for vendor in &snapshot.vendors {
            let untrusted = snapshot
                .vendor_trust(&vendor.id, now)
                .err()
                .map(|e| e.to_string());
            let facts = VendorFacts {
                name: vendor.name.clone(),
                privileged: vendor.privileged,
                untrusted,
            };
            for domain in &vendor.domains {
                ids.vendors_by_domain
                    .insert(registrable(domain), facts.clone());
            }
            ids.brands.push((
                normalise_name(&vendor.name),
                vendor.domains.iter().map(|d| registrable(d)).collect(),
            ));
        }
        if !ids.org_name.is_empty() {
            ids.brands.push((
                normalise_name(&ids.org_name),
                ids.org_domains.iter().cloned().collect(),
            ));
        }
        for (brand, domains) in BORROWED_BRANDS {
            ids.brands.push((
                (*brand).to_string(),
                domains.iter().map(|d| (*d).to_string()).collect(),
            ));
        }
        for contact in &snapshot.contacts {
            let email = contact.email.to_ascii_lowercase();
            if contact.status == ContactStatus::Active {
                ids.active_contacts.insert(email.clone());
            }
            ids.contacts_by_name
                .entry(normalise_name(&contact.name))
                .or_insert_with(|| KnownPerson {
                    name: contact.name.clone(),
                    emails: Vec::new(),
                })
                .emails
                .push(email);
        }
        for staff in &snapshot.staff {
            if staff.status == StaffStatus::Departed {
                continue;
            }
            ids.staff_by_name
                .entry(normalise_name(&staff.name))
                .or_insert_with(|| KnownPerson {
                    name: staff.name.clone(),
                    emails: Vec::new(),
                })
                .emails
                .push(staff.email.to_ascii_lowercase());
        }
        for forwarder in &snapshot.forwarders {
            ids.forwarders
                .insert(forwarder.domain.trim_end_matches('.').to_ascii_lowercase());
        }
        ids.lookalikes = lookalikes.build();
        ids
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

    pub(crate) fn is_free_mail(domain: &str) -> bool {
        FREE_MAIL.contains(&registrable(domain).as_str())
    }

    pub(crate) fn claims_it_support(display: &str) -> Option<&'static str> {
        let display = normalise_name(display);
        let padded = format!(" {display} ");
        IT_SUPPORT_WORDS
            .iter()
            .find(|w| padded.contains(&format!(" {} ", normalise_name(w))))
            .copied()
    }
}
