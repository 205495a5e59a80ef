//! The organisation's people (employees, executives, IT staff) and its
//! vendors' contacts, indexed by the ways a display name claims them.
//!
//! "Catherine Ashworth", "Ashworth, Catherine", "C. Ashworth", "Kate
//! Ashworth" (a nickname), "Catherine A." and "Jurgen"/"Juergen" for
//! "Jürgen" all claim the same person; so do names written with homoglyphs
//! (Cyrillic `а` for `a`), which are folded first. Words around the name
//! that claim a role ("CEO", "(IT)", "| Service Desk") are reported with
//! the claim: a role makes it a deliberate claim even for a common name.
//!
//! Common names are told apart (`data/common_names.txt`, or two directory
//! people sharing a name): "Robert Smith" writing from his own company is
//! most likely another Robert Smith.

use countersign_lookalike::fold;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const NICKNAMES: &str = include_str!("../data/nicknames.txt");
const COMMON_NAMES: &str = include_str!("../data/common_names.txt");

/// Given name → the names of every nickname group it belongs to.
static NICKNAME_GROUPS: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    for line in NICKNAMES.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let names: Vec<&str> = line.split_whitespace().collect();
        for &name in &names {
            let group = map.entry(name).or_default();
            for &other in &names {
                if !group.contains(&other) {
                    group.push(other);
                }
            }
        }
    }
    map
});

/// (common surnames, common given names).
static COMMON: LazyLock<(HashSet<&'static str>, HashSet<&'static str>)> = LazyLock::new(|| {
    let mut surnames = HashSet::new();
    let mut given = HashSet::new();
    let mut section = "";
    for line in COMMON_NAMES.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let target = if section == "[given]" {
            &mut given
        } else {
            &mut surnames
        };
        target.extend(line.split_whitespace());
    }
    (surnames, given)
});

/// Words that, next to a person's name in a display name, claim a role:
/// titles, departments, functions, in the four languages. Folded, lowercase.
const ROLE_WORDS: &[&str] = &[
    "ceo",
    "cfo",
    "coo",
    "cto",
    "cio",
    "ciso",
    "cso",
    "cmo",
    "chro",
    "cpo",
    "md",
    "vp",
    "evp",
    "svp",
    "president",
    "chairman",
    "chairwoman",
    "chair",
    "founder",
    "owner",
    "director",
    "directeur",
    "directrice",
    "directora",
    "head",
    "chief",
    "officer",
    "executive",
    "manager",
    "managing",
    "partner",
    "it",
    "ti",
    "helpdesk",
    "servicedesk",
    "service",
    "desk",
    "support",
    "informatique",
    "technique",
    "soporte",
    "tecnico",
    "sistemas",
    "systems",
    "admin",
    "administrator",
    "sysadmin",
    "security",
    "securite",
    "seguridad",
    "sicherheit",
    "hr",
    "rh",
    "rrhh",
    "personnel",
    "payroll",
    "paie",
    "nomina",
    "finance",
    "finances",
    "finanzas",
    "finanz",
    "finanzen",
    "finanzvorstand",
    "vorstand",
    "geschaftsfuhrer",
    "geschaeftsfuehrer",
    "geschaftsfuhrung",
    "gf",
    "pdg",
    "dg",
    "daf",
    "drh",
    "assistant",
    "assistante",
    "asistente",
    "ea",
    "pa",
    "office",
    "bureau",
    "oficina",
    "buro",
    "secretary",
    "secretaire",
    "secretaria",
    "legal",
    "counsel",
    "accounts",
    "accounting",
    "comptabilite",
    "contabilidad",
    "buchhaltung",
    "treasury",
    "tresorerie",
    "tesoreria",
    "procurement",
    "purchasing",
    "achats",
    "compras",
    "einkauf",
    "operations",
    "ops",
    "team",
    "equipe",
    "equipo",
    "direccion",
    "direction",
    "leitung",
    "abteilung",
    "department",
    "departement",
    "departamento",
    "controller",
    "controlling",
    "edv",
];

/// Role words that, in a sender's domain label, claim the writer's role
/// (`helpdesk-tickets.example`, `ceo-office.example`).
const DOMAIN_ROLE_WORDS: &[&str] = &[
    "it",
    "helpdesk",
    "servicedesk",
    "itsupport",
    "support",
    "sysadmin",
    "admin",
    "security",
    "hr",
    "rh",
    "rrhh",
    "payroll",
    "paie",
    "nomina",
    "finance",
    "ceo",
    "cfo",
    "coo",
    "cto",
    "cio",
    "ciso",
    "executive",
    "direction",
    "direccion",
    "vorstand",
    "informatique",
    "soporte",
];

/// What a person is to the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PersonRole {
    /// An employee (executives included).
    Employee,
    /// IT staff.
    ItStaff {
        /// Their role in IT.
        role: String,
    },
    /// An approved contact of a vendor.
    VendorContact {
        /// The vendor's name.
        vendor: String,
    },
}

/// One person of the directory.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub name: String,
    pub emails: Vec<String>,
    pub role: PersonRole,
    /// Departed or suspended: their mailbox should no longer write.
    pub inactive: bool,
    /// The person's title, if the directory records one.
    pub title: Option<String>,
    /// Whether the name is common (see the module docs).
    pub common: bool,
}

impl Person {
    /// "Catherine Ashworth (Chief Executive Officer)", "Neil Grey (IT staff,
    /// service desk lead)", "Dana Lee (contact of Contoso)".
    pub fn describe(&self) -> String {
        let what = match (&self.role, &self.title) {
            (_, Some(title)) if !title.is_empty() => title.clone(),
            (PersonRole::Employee, _) => "employee".to_owned(),
            (PersonRole::ItStaff { role }, _) if role.is_empty() => "IT staff".to_owned(),
            (PersonRole::ItStaff { role }, _) => format!("IT staff, {role}"),
            (PersonRole::VendorContact { vendor }, _) => format!("contact of {vendor}"),
        };
        format!("{} ({what})", self.name)
    }
}

/// A display name's claim on directory people.
#[derive(Debug, Clone)]
pub(crate) struct PersonClaim {
    /// Indexes of the people claimed (several when names collide).
    pub people: Vec<usize>,
    /// The words of the display name that formed the name.
    pub matched: String,
    /// Role words around the name (`ceo`, `it`).
    pub roles: Vec<String>,
}

/// The people index.
#[derive(Debug, Default)]
pub(crate) struct People {
    pub persons: Vec<Person>,
    /// (given-name variant, surname variant) → people.
    by_names: HashMap<(String, String), Vec<usize>>,
    /// (initial of the given name, surname variant) → people.
    by_initial: HashMap<(char, String), Vec<usize>>,
    /// (given-name variant, initial of the surname) → people.
    by_surname_initial: HashMap<(String, char), Vec<usize>>,
    /// Lowercase address → people.
    by_email: HashMap<String, Vec<usize>>,
    /// Extra words that make a role claim (the organisation's name).
    org_words: Vec<String>,
    /// First names of active IT staff, folded ("Sam asked me to...").
    pub it_given_names: Vec<String>,
}

/// Splits a name into folded lowercase words: marks and homoglyphs folded
/// (`Jürgen` → `jurgen`, Cyrillic `а` → `a`), apostrophes dropped
/// (`O'Connor` → `oconnor`), anything else not a letter or digit separates.
pub(crate) fn name_words(text: &str) -> Vec<String> {
    let cleaned: String = text
        .replace('ß', "ss")
        .chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '`'))
        .collect();
    cleaned
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Variants of one word of a directory name: its fold and, for German
/// letters, the ae/oe/ue/ss transliteration (`Jürgen`: `jurgen`, `juergen`).
fn word_variants(word: &str) -> Vec<String> {
    let lower = word.to_lowercase();
    let mut variants = vec![fold(&lower.replace('ß', "ss"))];
    let german: String = lower
        .chars()
        .flat_map(|c| match c {
            'ä' => vec!['a', 'e'],
            'ö' => vec!['o', 'e'],
            'ü' => vec!['u', 'e'],
            'ß' => vec!['s', 's'],
            other => vec![other],
        })
        .collect();
    let german = fold(&german);
    if !variants.contains(&german) {
        variants.push(german);
    }
    // A name the directory spells transliterated (`Juergen`) is also
    // written with the letter (`Jürgen`, folded `jurgen`).
    let plain = variants[0]
        .replace("ae", "a")
        .replace("oe", "o")
        .replace("ue", "u");
    if !variants.contains(&plain) {
        variants.push(plain);
    }
    variants
}

/// Honorifics and academic titles a directory writes before a name ("Dr.
/// Ulrich Bergmann", "Prof. Dr. Anne Roth", "Mme Claire Petit"): not the
/// given name. Lowercase, without their dot.
const HONORIFICS: &[&str] = &[
    "dr", "prof", "dipl", "ing", "mag", "herr", "frau", "mr", "mrs", "ms", "miss", "mx", "sir",
    "dame", "m", "mme", "mlle", "sr", "sra", "srta", "don", "dona", "doña", "dott", "dra",
];

/// A directory name's words before folding: "Last, First" turned around,
/// honorifics before it dropped.
fn raw_words(name: &str) -> Vec<String> {
    let mut words = ordered_words(name);
    while words.len() > 2 && HONORIFICS.contains(&words[0].to_lowercase().as_str()) {
        words.remove(0);
    }
    words
}

fn ordered_words(name: &str) -> Vec<String> {
    let ordered = match name.split_once(',') {
        Some((last, first)) if !first.trim().is_empty() => format!("{first} {last}"),
        _ => name.to_owned(),
    };
    ordered
        .split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '\'' && c != '-'))
        .map(|w| w.replace(['\'', '\u{2019}'], ""))
        .flat_map(|w| {
            // A hyphenated given name is also written with a space.
            w.split('-').map(str::to_owned).collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

impl People {
    /// An index that also reads the organisation's name next to a person's
    /// as a role claim ("Catherine Ashworth - Acme").
    pub fn new(org_name: &str) -> Self {
        let org_words = name_words(org_name)
            .into_iter()
            .filter(|w| w.len() >= 4)
            .collect();
        People {
            org_words,
            ..People::default()
        }
    }

    /// Adds a person.
    pub fn add(
        &mut self,
        name: &str,
        emails: Vec<String>,
        role: PersonRole,
        inactive: bool,
        title: Option<String>,
    ) {
        let words = raw_words(name);
        if words.len() < 2 {
            // A single name cannot be told from a word in a display name.
            return;
        }
        let id = self.persons.len();
        let given = &words[0];
        let mut surnames = vec![&words[words.len() - 1]];
        if words.len() >= 3 {
            // Spanish double surnames: the first one alone is common usage.
            surnames.push(&words[1]);
        }
        let mut given_variants: Vec<String> = Vec::new();
        for variant in word_variants(given) {
            for nick in NICKNAME_GROUPS.get(variant.as_str()).into_iter().flatten() {
                push_unique(&mut given_variants, (*nick).to_owned());
            }
            push_unique(&mut given_variants, variant);
        }
        for surname in surnames {
            for s in word_variants(surname) {
                for g in &given_variants {
                    push_id(self.by_names.entry((g.clone(), s.clone())).or_default(), id);
                    push_id(
                        self.by_surname_initial
                            .entry((g.clone(), first_char(&s)))
                            .or_default(),
                        id,
                    );
                }
                for initial in given_variants.iter().map(|g| first_char(g)) {
                    push_id(self.by_initial.entry((initial, s.clone())).or_default(), id);
                }
            }
        }
        for email in &emails {
            push_id(
                self.by_email.entry(email.to_ascii_lowercase()).or_default(),
                id,
            );
        }
        let (common_surnames, common_given) = &*COMMON;
        let surname = fold(&words[words.len() - 1].to_lowercase());
        let common = common_surnames.contains(surname.as_str())
            && given_variants
                .iter()
                .any(|g| common_given.contains(g.as_str()));
        if matches!(role, PersonRole::ItStaff { .. }) && !inactive {
            push_unique(&mut self.it_given_names, fold(&given.to_lowercase()));
        }
        self.persons.push(Person {
            name: name.trim().to_owned(),
            emails: emails.iter().map(|e| e.to_ascii_lowercase()).collect(),
            role,
            inactive,
            title: title.filter(|t| !t.trim().is_empty()),
            common,
        });
    }

    /// Marks names shared by two people with different addresses as common:
    /// the directory itself shows the name does not identify one person.
    pub fn finish(&mut self) {
        let mut by_name: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        for (i, person) in self.persons.iter().enumerate() {
            by_name.entry(name_words(&person.name)).or_default().push(i);
        }
        for ids in by_name.values().filter(|ids| ids.len() > 1) {
            let distinct: HashSet<&Vec<String>> =
                ids.iter().map(|&i| &self.persons[i].emails).collect();
            if distinct.len() > 1 {
                for &i in ids {
                    self.persons[i].common = true;
                }
            }
        }
    }

    /// The people whose directory address this is.
    pub fn at_address(&self, address: &str) -> &[usize] {
        self.by_email
            .get(&address.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// The directory people a display name claims, if any.
    pub fn claimed_by(&self, display: &str) -> Option<PersonClaim> {
        let words = name_words(display);
        if words.len() < 2 || self.persons.is_empty() {
            return None;
        }
        let n = words.len();
        let mut found: Option<(Vec<usize>, usize, usize)> = None;
        let mut consider = |ids: Option<&Vec<usize>>, from: usize, to: usize| {
            if let Some(ids) = ids
                && found.is_none()
            {
                found = Some((ids.clone(), from, to));
            }
        };
        for i in 0..n - 1 {
            let (a, b) = (&words[i], &words[i + 1]);
            consider(self.by_names.get(&(a.clone(), b.clone())), i, i + 1);
            // "Ashworth, Catherine" and "Ashworth Catherine".
            consider(self.by_names.get(&(b.clone(), a.clone())), i, i + 1);
            // "C. Ashworth" and "Catherine A.".
            if a.chars().count() == 1 && b.chars().count() > 1 {
                consider(self.by_initial.get(&(first_char(a), b.clone())), i, i + 1);
            }
            if b.chars().count() == 1 && a.chars().count() > 1 {
                consider(
                    self.by_surname_initial.get(&(a.clone(), first_char(b))),
                    i,
                    i + 1,
                );
            }
            // A middle initial: "Catherine M. Ashworth".
            if i + 2 < n && words[i + 1].chars().count() == 1 {
                consider(
                    self.by_names.get(&(a.clone(), words[i + 2].clone())),
                    i,
                    i + 2,
                );
            }
        }
        let (people, from, to) = found?;
        let roles: Vec<String> = words
            .iter()
            .enumerate()
            .filter(|&(k, _)| k < from || k > to)
            .map(|(_, w)| w)
            .filter(|w| is_role_word(w) || self.org_words.contains(w))
            .cloned()
            .collect();
        Some(PersonClaim {
            people,
            matched: words[from..=to].join(" "),
            roles,
        })
    }
}

/// Whether a word claims a role: a role word, or two run together
/// (`itdesk`, `ceooffice`).
pub(crate) fn is_role_word(word: &str) -> bool {
    ROLE_WORDS.contains(&word)
        || (1..word.len()).any(|cut| {
            word.is_char_boundary(cut)
                && ROLE_WORDS.contains(&&word[..cut])
                && ROLE_WORDS.contains(&&word[cut..])
        })
}

impl People {
    /// Role words in an address: its local part (`ceo.jsmith`,
    /// `bob.smith.itdesk`) and, unless it is a mailbox provider's, its
    /// domain label (`helpdesk-tickets.example`).
    pub fn roles_in_address(&self, local: &str, domain_label: Option<&str>) -> Vec<String> {
        let mut roles: Vec<String> = Vec::new();
        let local_words = local
            .split(|c: char| !c.is_ascii_alphabetic())
            .map(|w| (w.to_ascii_lowercase(), false));
        // In a company's domain, only words of IT, HR, finance and the
        // executive suite claim a role: "partners", "office" or "group"
        // name the company, not its writer.
        let domain_words = domain_label
            .into_iter()
            .flat_map(|l| l.split('-'))
            .map(|w| (w.to_ascii_lowercase(), true));
        for (word, in_domain) in local_words.chain(domain_words) {
            let role = if in_domain {
                DOMAIN_ROLE_WORDS.contains(&word.as_str()) || self.org_words.contains(&word)
            } else {
                is_role_word(&word) || self.org_words.contains(&word)
            };
            if word.len() >= 2 && role && !roles.contains(&word) {
                roles.push(word);
            }
        }
        roles
    }
}

fn first_char(word: &str) -> char {
    word.chars().next().unwrap_or(' ')
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn push_id(list: &mut Vec<usize>, id: usize) {
    if !list.contains(&id) {
        list.push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> People {
        let mut people = People::new("Harbourline Shipping");
        people.add(
            "Margaret Okonkwo-Reyes",
            vec!["m.okonkwo@harbourline.example".into()],
            PersonRole::Employee,
            false,
            Some("Chief Executive Officer".into()),
        );
        people.add(
            "Günther Ebersbach",
            vec!["g.ebersbach@harbourline.example".into()],
            PersonRole::Employee,
            false,
            None,
        );
        people.add(
            "William Jones",
            vec!["will.jones@harbourline.example".into()],
            PersonRole::ItStaff {
                role: "analyst".into(),
            },
            false,
            None,
        );
        people.add(
            "Siobhan O'Malley",
            vec!["siobhan@harbourline.example".into()],
            PersonRole::Employee,
            true,
            None,
        );
        people.add(
            "Prof. Dr. Anne-Marie Roth",
            vec!["a.roth@harbourline.example".into()],
            PersonRole::Employee,
            false,
            None,
        );
        people.finish();
        people
    }

    #[test]
    fn a_title_before_a_directory_name_is_no_given_name() {
        for display in [
            "Anne-Marie Roth",
            "Anne Roth",
            "A. Roth",
            "Dr. Anne-Marie Roth",
        ] {
            assert_eq!(
                claimed(display).as_deref(),
                Some("Prof. Dr. Anne-Marie Roth"),
                "{display}"
            );
        }
    }

    fn claimed(display: &str) -> Option<String> {
        let people = people();
        people
            .claimed_by(display)
            .map(|c| people.persons[c.people[0]].name.clone())
    }

    #[test]
    fn forms_of_a_name() {
        assert_eq!(
            claimed("Margaret Okonkwo-Reyes").as_deref(),
            Some("Margaret Okonkwo-Reyes")
        );
        assert_eq!(
            claimed("Maggie Reyes").as_deref(),
            Some("Margaret Okonkwo-Reyes")
        );
        assert_eq!(
            claimed("Okonkwo, Margaret").as_deref(),
            Some("Margaret Okonkwo-Reyes")
        );
        assert_eq!(
            claimed("M. Okonkwo").as_deref(),
            Some("Margaret Okonkwo-Reyes")
        );
        assert_eq!(
            claimed("Peggy O.").as_deref(),
            Some("Margaret Okonkwo-Reyes")
        );
        assert_eq!(
            claimed("Gunther Ebersbach").as_deref(),
            Some("Günther Ebersbach")
        );
        assert_eq!(
            claimed("Guenther Ebersbach").as_deref(),
            Some("Günther Ebersbach")
        );
        assert_eq!(claimed("Bill Jones (IT)").as_deref(), Some("William Jones"));
        assert_eq!(
            claimed("Siobhan OMalley").as_deref(),
            Some("Siobhan O'Malley")
        );
        // Cyrillic а and о inside a Latin name.
        assert_eq!(
            claimed("Margaret \u{041e}konkw\u{043e}-Reyes").as_deref(),
            Some("Margaret Okonkwo-Reyes")
        );
        assert_eq!(claimed("Margaret Reynolds"), None);
        assert_eq!(claimed("Margaret"), None);
        assert_eq!(claimed("Jones Logistics"), None);
    }

    #[test]
    fn roles_and_common_names() {
        let people = people();
        let claim = people.claimed_by("Margaret Okonkwo-Reyes, CEO").unwrap();
        assert_eq!(claim.roles, vec!["ceo".to_owned()]);
        let claim = people.claimed_by("Bill Jones | Harbourline").unwrap();
        assert_eq!(claim.roles, vec!["harbourline".to_owned()]);
        let jones = &people.persons[claim.people[0]];
        assert!(jones.common, "William Jones is a common name");
        assert!(!people.persons[0].common);
        assert_eq!(
            people.persons[0].describe(),
            "Margaret Okonkwo-Reyes (Chief Executive Officer)"
        );
    }

    #[test]
    fn shared_names_are_common() {
        let mut people = People::new("");
        for email in ["a@x.example", "b@x.example"] {
            people.add(
                "Ingrid Vasquez-Thorne",
                vec![email.into()],
                PersonRole::Employee,
                false,
                None,
            );
        }
        people.finish();
        assert!(people.persons.iter().all(|p| p.common));
        assert_eq!(people.at_address("A@x.example"), &[0]);
    }
}
