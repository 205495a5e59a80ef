//! Knowledge about who owns what: the well-known brands attackers borrow
//! (`data/brands.txt`) and the hosting platforms where anyone can publish a
//! site under a chosen name (`data/platforms.txt`).
//!
//! Both answer questions the directory cannot: that `amazon.de` is Amazon's
//! (so it is no lookalike of `amazon.com`), that `ravenmoor.atlassian.net`
//! is a tenant on Atlassian's own domain (so no imitation of
//! `ravenmoor.example`), that "Apple Support" writing from `icloud.com` is
//! not Apple, and that `acme-login.weebly.com` is a site an attacker named.

use countersign_model::psl;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const BRANDS: &str = include_str!("../data/brands.txt");
const PLATFORMS: &str = include_str!("../data/platforms.txt");

/// A well-known brand and the domains that are its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownBrand {
    /// How people write it (`PayPal`).
    pub name: &'static str,
    /// Product names that stand for it (`SharePoint` for Microsoft).
    pub aliases: Vec<&'static str>,
    /// Registrable domains defended against lookalikes.
    pub defended: Vec<&'static str>,
    /// Other domains it owns: never lookalikes, but not defended.
    pub owned: Vec<&'static str>,
    /// Whether it runs sites under country domains (`amazon.de`): its label
    /// under a country-code TLD is presumed its own.
    pub country_sites: bool,
}

impl KnownBrand {
    /// Every domain of the brand, defended first.
    pub fn domains(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.defended.iter().chain(&self.owned).copied()
    }
}

/// Parses `data/brands.txt`; see its header for the format.
fn parse_brands(text: &'static str) -> Result<Vec<KnownBrand>, String> {
    let mut brands = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        if fields.len() != 5 {
            return Err(format!(
                "brands.txt line {}: expected 5 fields separated by '|', found {}",
                number + 1,
                fields.len()
            ));
        }
        let list = |field: &'static str| -> Vec<&'static str> {
            field
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        };
        let brand = KnownBrand {
            name: fields[0],
            aliases: list(fields[1]),
            defended: list(fields[2]),
            owned: list(fields[3]),
            country_sites: match fields[4] {
                "*" => true,
                "" => false,
                other => {
                    return Err(format!(
                        "brands.txt line {}: countries is '*' or empty, not {other:?}",
                        number + 1
                    ));
                }
            },
        };
        if brand.name.is_empty() || brand.defended.is_empty() {
            return Err(format!(
                "brands.txt line {}: a brand needs a name and at least one defended domain",
                number + 1
            ));
        }
        for domain in brand.domains() {
            let registrable = psl::registrable_domain(domain);
            if registrable.as_deref() != Some(domain) {
                return Err(format!(
                    "brands.txt line {}: {domain} is not a registrable domain",
                    number + 1
                ));
            }
        }
        brands.push(brand);
    }
    Ok(brands)
}

static KNOWN: LazyLock<Vec<KnownBrand>> =
    LazyLock::new(|| parse_brands(BRANDS).expect("embedded brands.txt is checked by a unit test"));

/// Registrable domain → indexes into [`KNOWN`] of the brands owning it.
static BY_DOMAIN: LazyLock<HashMap<&'static str, Vec<usize>>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, Vec<usize>> = HashMap::new();
    for (i, brand) in KNOWN.iter().enumerate() {
        for domain in brand.domains() {
            let ids = map.entry(domain).or_default();
            if !ids.contains(&i) {
                ids.push(i);
            }
        }
    }
    map
});

static HOSTING: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    PLATFORMS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// The well-known brands, in file order.
pub fn known_brands() -> &'static [KnownBrand] {
    &KNOWN
}

/// Defended label → brands running country sites under it (`paypal`).
static COUNTRY_LABELS: LazyLock<HashMap<&'static str, Vec<usize>>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, Vec<usize>> = HashMap::new();
    for (i, brand) in KNOWN.iter().enumerate().filter(|(_, b)| b.country_sites) {
        for domain in &brand.defended {
            if let Some(label) = domain.split('.').next() {
                map.entry(label).or_default().push(i);
            }
        }
    }
    map
});

/// The known brand owning `domain` (any name; its registrable domain is
/// looked up), if any: one of its listed domains, or its label under a
/// country suffix it is presumed to own (`paypal.de`).
pub fn brand_owning(domain: &str) -> Option<&'static KnownBrand> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let split = psl::split(&domain)?;
    let registrable = split.registrable()?;
    if let Some(&i) = BY_DOMAIN.get(registrable).and_then(|ids| ids.first()) {
        return Some(&KNOWN[i]);
    }
    let label = split.registrable_label()?;
    COUNTRY_LABELS
        .get(label)
        .into_iter()
        .flatten()
        .find(|&&i| presumed_owned_suffix(split.suffix(), own_suffixes(i)))
        .map(|&i| &KNOWN[i])
}

impl KnownBrand {
    /// Whether `domain` is this brand's (see [`brand_owning`]).
    pub fn owns(&self, domain: &str) -> bool {
        brand_owning(domain).is_some_and(|b| b.name == self.name)
    }
}

/// The brands owning `registrable` (exact registrable domain).
pub(crate) fn brands_of(registrable: &str) -> &'static [usize] {
    BY_DOMAIN.get(registrable).map_or(&[], Vec::as_slice)
}

/// The public suffixes of each brand's defended domains, by brand index.
static SUFFIXES: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
    KNOWN
        .iter()
        .map(|brand| {
            let mut suffixes: Vec<&'static str> = brand
                .defended
                .iter()
                .filter_map(|d| {
                    let label = psl::split(d)?.registrable_label()?.len();
                    d.get(label + 1..)
                })
                .collect();
            suffixes.sort_unstable();
            suffixes.dedup();
            suffixes
        })
        .collect()
});

/// The public suffixes of a brand's defended domains (`com`, `us`).
pub(crate) fn own_suffixes(index: usize) -> &'static [&'static str] {
    &SUFFIXES[index]
}

/// The brand at an index from [`brands_of`].
pub(crate) fn brand(index: usize) -> &'static KnownBrand {
    &KNOWN[index]
}

/// Whether `name` (a registrable domain or a public suffix, lowercase
/// ASCII) is a hosting platform where anyone names a site.
pub fn is_hosting_platform(name: &str) -> bool {
    HOSTING.contains(name)
}

/// Top-level domains handed out free or nearly free, where squatting on a
/// brand's name is cheap; a brand is not presumed to own its label there.
const FREE_TLDS: &[&str] = &["tk", "ml", "ga", "cf", "gq"];

/// Country codes sold worldwide as generic names (`.io`, `.cc`, `.tv`,
/// `.me`): a brand's country sites are not there, anyone's vanity names
/// are.
const VANITY_TLDS: &[&str] = &[
    "ac", "ai", "am", "cc", "cx", "fm", "gg", "io", "la", "ly", "me", "ms", "nu", "pw", "sh", "so",
    "su", "to", "tv", "vc", "ws",
];

/// Whether a brand running country sites is presumed to own its label
/// under `suffix`, given the suffixes of its defended domains: country-code
/// suffixes (`de`, `co.uk`, `com.au`), unless the suffix is one edit away
/// from one of the brand's own (`co`, `cm` for `com`: the typo TLDs
/// attackers register) or a free-registration TLD.
pub(crate) fn presumed_owned_suffix(suffix: &str, own_suffixes: &[&str]) -> bool {
    if suffix.is_empty() || own_suffixes.contains(&suffix) {
        return false;
    }
    let last = suffix.rsplit('.').next().unwrap_or(suffix);
    // A vanity code as the whole suffix (`linkedin.cc`); under a platform
    // (`github.io`) the platform's naming rules apply.
    if FREE_TLDS.contains(&last) || suffix == last && VANITY_TLDS.contains(&last) {
        return false;
    }
    let country = last.len() == 2 && last.bytes().all(|b| b.is_ascii_lowercase());
    country && !own_suffixes.iter().any(|own| within_one_edit(own, suffix))
}

/// Whether two short ASCII strings differ by at most one insertion,
/// deletion or substitution.
pub(crate) fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() == long.len() {
        return short.iter().zip(long).filter(|(x, y)| x != y).count() <= 1;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    short[prefix..] == long[prefix + 1..]
}

/// Top-level domains only public bodies can register under.
const INSTITUTIONAL_TLDS: &[&str] = &["gov", "edu", "mil", "int"];

/// Second-level labels of country domains reserved for public bodies and
/// schools (`gov.uk`, `ac.uk`, `edu.au`, `gob.es`, `gouv.fr`, `govt.nz`).
const INSTITUTIONAL_SECOND_LEVELS: &[&str] = &[
    "gov", "govt", "gob", "gouv", "gv", "edu", "ac", "mil", "sch", "k12",
];

/// Whether a name in this namespace can only belong to a public body: its
/// public suffix is an institutional TLD (`ucla.edu`) or has an
/// institutional second level (`ed.ac.uk`, `am.gov.br`), or its registrable
/// label is such a second level under a country or unlisted top-level
/// domain (`gov.example`, which the suffix list does not know).
pub(crate) fn is_institutional(suffix: &str, registrable_label: &str) -> bool {
    let labels: Vec<&str> = suffix.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    if INSTITUTIONAL_TLDS.contains(tld)
        || rest.iter().any(|l| INSTITUTIONAL_SECOND_LEVELS.contains(l))
    {
        return true;
    }
    let generic = matches!(
        suffix,
        "com" | "net" | "org" | "info" | "biz" | "co" | "io" | "app" | "dev"
    );
    rest.is_empty() && !generic && INSTITUTIONAL_SECOND_LEVELS.contains(&registrable_label)
}

/// Whether `domain` lies in a namespace only public bodies can register
/// in (`irs.gov`, `hmrc.gov.uk`, `impots.gouv.fr`, `ucla.edu`).
pub fn is_public_body_domain(domain: &str) -> bool {
    psl::split(&domain.trim_end_matches('.').to_ascii_lowercase()).is_some_and(|split| {
        split
            .registrable_label()
            .is_some_and(|label| is_institutional(split.suffix(), label))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses() {
        let brands = parse_brands(BRANDS).unwrap();
        assert!(brands.len() >= 50, "{}", brands.len());
        assert!(HOSTING.len() >= 50);
        for host in HOSTING.iter() {
            assert!(
                host.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'.'
                    || b == b'-'),
                "{host}"
            );
        }
        let names: HashSet<&str> = brands.iter().map(|b| b.name).collect();
        assert_eq!(names.len(), brands.len(), "brand names are unique");
    }

    #[test]
    fn malformed_lines_are_named() {
        let err = parse_brands("Acme | | acme.test\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let err = parse_brands("Acme | | acme.test | | yes\n").unwrap_err();
        assert!(err.contains("countries"), "{err}");
        let err = parse_brands("# c\nAcme | | www.acme.test | |\n").unwrap_err();
        assert!(
            err.contains("line 2") && err.contains("www.acme.test"),
            "{err}"
        );
    }

    #[test]
    fn ownership() {
        assert_eq!(brand_owning("mail.paypal.com").unwrap().name, "PayPal");
        assert_eq!(
            brand_owning("login.microsoftonline.com").unwrap().name,
            "Microsoft"
        );
        assert!(brand_owning("paypal-secure.com").is_none());
        assert_eq!(brand_owning("www.paypal.de").unwrap().name, "PayPal");
        assert!(brand_owning("paypal.co").is_none());
        assert!(is_hosting_platform("weebly.com"));
        assert!(!is_hosting_platform("paypal.com"));
    }

    #[test]
    fn country_variants_but_not_typo_tlds() {
        assert!(presumed_owned_suffix("de", &["com"]));
        assert!(presumed_owned_suffix("co.uk", &["com"]));
        assert!(!presumed_owned_suffix("net", &["com"]));
        assert!(!presumed_owned_suffix("co", &["com"]));
        assert!(!presumed_owned_suffix("cm", &["com"]));
        assert!(!presumed_owned_suffix("om", &["com"]));
        assert!(!presumed_owned_suffix("tk", &["com"]));
        assert!(!presumed_owned_suffix("cc", &["com"]));
        assert!(!presumed_owned_suffix("io", &["com"]));
        assert!(!presumed_owned_suffix("xyz", &["com"]));
        assert!(!presumed_owned_suffix("com", &["com"]));
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("com", "co"));
        assert!(within_one_edit("com", "cm"));
        assert!(within_one_edit("com", "con"));
        assert!(within_one_edit("net", "ne"));
        assert!(!within_one_edit("com", "de"));
        assert!(!within_one_edit("com", "co.uk"));
    }

    #[test]
    fn institutions() {
        assert!(is_institutional("edu", "stateu"));
        assert!(is_institutional("ac.uk", "ed"));
        assert!(is_institutional("gov.br", "am"));
        assert!(is_institutional("example", "gov"));
        assert!(!is_institutional("com", "gov"));
        assert!(!is_institutional("com", "acme"));
        // .ac is Ascension Island's open registry, not an academic one.
        assert!(!is_institutional("ac", "acme"));
    }
}
