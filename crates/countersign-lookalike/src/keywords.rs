//! Vocabulary: the words attackers add to a brand to build a combosquat
//! (`microsoft-helpdesk`, `secure-acme-login`, `acmeitsupport`), and the
//! ordinary English words that rule out a typo reading of a short label.
//!
//! The list is deliberately about *support, accounts and payment* — the
//! vocabulary of a fake help desk — and leaves out nouns that ordinary
//! companies put next to a word (`info`, `care`, `dental`, `solutions`,
//! `bank`), so that `zoominfo` or `deltadental` do not read as an attack on
//! `zoom` or `delta`.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Words that, added to a brand, make a combosquat. Lowercase ASCII, no
/// hyphens.
pub const KEYWORDS: &[&str] = &[
    // The help desk itself.
    "support",
    "helpdesk",
    "help",
    "desk",
    "servicedesk",
    "service",
    "services",
    "it",
    "itsupport",
    "ithelp",
    "tech",
    "techsupport",
    "technical",
    "assist",
    "assistance",
    "helpline",
    "hotline",
    "ticket",
    "tickets",
    "case",
    "cases",
    "team",
    "staff",
    "admin",
    "administrator",
    "sysadmin",
    "operations",
    "ops",
    "dept",
    "department",
    "center",
    "centre",
    "contact",
    "callback",
    "remote",
    "remotesupport",
    "agent",
    // Accounts and sign-in.
    "secure",
    "security",
    "login",
    "logon",
    "signin",
    "signon",
    "sso",
    "auth",
    "authentication",
    "authenticate",
    "verify",
    "verification",
    "verified",
    "validate",
    "validation",
    "confirm",
    "confirmation",
    "account",
    "accounts",
    "id",
    "identity",
    "password",
    "passwords",
    "passwd",
    "reset",
    "recovery",
    "recover",
    "unlock",
    "mfa",
    "2fa",
    "otp",
    "token",
    "access",
    "user",
    "users",
    "members",
    "member",
    // Software and updates.
    "update",
    "updates",
    "upgrade",
    "patch",
    "patches",
    "install",
    "download",
    "downloads",
    "software",
    "license",
    "licensing",
    "renewal",
    "renew",
    "activation",
    "activate",
    // Places a link points to.
    "portal",
    "online",
    "web",
    "webmail",
    "mail",
    "email",
    "inbox",
    "office",
    "cloud",
    "app",
    "apps",
    "mobile",
    "dashboard",
    "console",
    "intranet",
    "extranet",
    "vpn",
    "net",
    "network",
    "system",
    "systems",
    "server",
    "docs",
    "documents",
    "files",
    "share",
    "sharing",
    "drive",
    "storage",
    "sync",
    "backup",
    "hub",
    "status",
    // Money.
    "billing",
    "invoice",
    "invoices",
    "payment",
    "payments",
    "pay",
    "payroll",
    "payslip",
    "payslips",
    "salary",
    "benefits",
    "pension",
    "pensions",
    "refund",
    "refunds",
    "wallet",
    "order",
    "orders",
    "subscription",
    "subscriptions",
    // Meetings, documents and parcels, the classic lures.
    "meeting",
    "invite",
    "join",
    "webinar",
    "teams",
    "review",
    "document",
    "sign",
    "esign",
    "delivery",
    "tracking",
    "shipping",
    "parcel",
    // Notices and pressure.
    "alert",
    "alerts",
    "notice",
    "notification",
    "notifications",
    "message",
    "messages",
    "warning",
    "urgent",
    "important",
    "official",
    // Glue words and prefixes.
    "my",
    "get",
    "go",
    "the",
    "www",
    "corp",
    "inc",
    "global",
    "hr",
    "customer",
    "customers",
    "client",
    "clients",
    "employee",
    "employees",
    "safe",
    "protect",
    "protection",
    "scan",
    "new",
    // German, French and Spanish help-desk and billing words: cousin domains
    // are registered in the victim's language too.
    "kundendienst",
    "kundenservice",
    "hilfe",
    "sicherheit",
    "konto",
    "anmeldung",
    "rechnung",
    "zahlung",
    "verwaltung",
    "dienst",
    "technik",
    "wartung",
    "stoerung",
    "stoerungen",
    "aide",
    "securite",
    "compte",
    "connexion",
    "facture",
    "factures",
    "paiement",
    "facturation",
    "informatique",
    "depannage",
    "serviceclient",
    "soporte",
    "ayuda",
    "seguridad",
    "cuenta",
    "acceso",
    "factura",
    "facturas",
    "pago",
    "pagos",
    "soluciones",
    "servicio",
    "servicios",
    "tecnico",
    "clientes",
    "atencion",
    // Parcels and customs, in the four languages: delivery-fee scams.
    "track",
    "trace",
    "package",
    "packages",
    "shipment",
    "courier",
    "redelivery",
    "customs",
    "paket",
    "pakete",
    "sendung",
    "sendungen",
    "zoll",
    "colis",
    "livraison",
    "suivi",
    "douane",
    "envio",
    "envios",
    "entrega",
    "paquete",
    "paquetes",
    "seguimiento",
    "aduana",
    // Rewards and surveys: the prize that asks for a sign-in.
    "reward",
    "bonus",
    "gift",
    "prize",
    "promo",
    "offer",
    "loyalty",
    "cashback",
    "survey",
    // E-signature: what a signing service sends.
    "envelope",
    "signature",
    // Jobs and recruiting: job-offer lures.
    "careers",
    "career",
    "jobs",
    "job",
    "recruit",
    "recruiting",
    "recruitment",
    "hiring",
    "talent",
    "karriere",
    "emploi",
    "empleo",
    // Refunds, claims and disputes.
    "remboursement",
    "reembolso",
    "erstattung",
    "rueckerstattung",
    "rebate",
    "claim",
    "claims",
    "tax",
    "resolution",
    "resolve",
    "dispute",
    "disputes",
    "restore",
    "reactivate",
    "reactivation",
    "suspended",
    "locked",
    "blocked",
    "fraud",
    "safety",
    "receipt",
    "receipts",
    "purchase",
    "cancel",
    "cancellation",
    "charge",
    "membership",
    // Shared files, meetings and e-signature.
    "workspace",
    "view",
    "viewer",
    "doc",
    "shared",
    "meet",
    "recording",
    "recordings",
    "voicemail",
    "fax",
    "pdf",
    "attachment",
    "setup",
    "driver",
    "drivers",
    // German, French and Spanish account words.
    "kunden",
    "verifizierung",
    "bestaetigung",
    "aktualisierung",
    "gesperrt",
    "sperre",
    "anmelden",
    "mitteilung",
    "benachrichtigung",
    "postfach",
    "dokument",
    "dokumente",
    "identifiant",
    "espace",
    "dossier",
    "miseajour",
    "verificacion",
    "notificacion",
    "notificaciones",
    "actualizacion",
    "bloqueo",
    "tarjeta",
    "banca",
    "cliente",
    // Travel bookings.
    "reservation",
    "reservations",
    "itinerary",
    "checkin",
    "reserva",
    "reservas",
    "reservierung",
    "buchung",
    // An organisation's departments and lines of business in the four
    // languages: a cousin domain speaks for one of them (`acme-finance`,
    // `acme-rh`) to ask for what that department handles.
    "finance",
    "finances",
    "finanz",
    "finanzen",
    "finanzas",
    "accounting",
    "compta",
    "comptabilite",
    "buchhaltung",
    "contabilidad",
    "treasury",
    "tresorerie",
    "tesoreria",
    "rh",
    "rrhh",
    "personal",
    "personnel",
    "paie",
    "nomina",
    "nominas",
    "lohn",
    "procurement",
    "purchasing",
    "achats",
    "einkauf",
    "compras",
    "legal",
    "juridique",
    "juridico",
    "sales",
    "ventes",
    "vertrieb",
    "ventas",
    "business",
    "empresas",
    "entreprises",
    "unternehmen",
    "firmenkunden",
    "ext",
    "extern",
    "external",
    "externe",
    "externo",
    "intern",
    "internal",
    "interne",
    "compliance",
    "executive",
    "direction",
    "direccion",
    "vorstand",
    // Corporate suffixes: a cousin domain of a distinctive name
    // (`acmecorp-group`); weak, so an ordinary-word name needs more.
    "group",
    "groupe",
    "grupo",
    "gruppe",
    "holding",
    "holdings",
    "international",
    "intl",
    "ltd",
    "llc",
    "gmbh",
    "company",
    "partners",
    // Country and language codes: attackers localise a brand (`brand-de`).
    "de",
    "fr",
    "es",
    "uk",
    "us",
    "eu",
    "nl",
    "en",
    "at",
    "ch",
    "be",
];

/// Keywords too generic to make a combosquat of a brand that is itself an
/// ordinary word: `chasecenter`, `zoomapp` and `applehub` are names in their
/// own right. A distinctive brand (`paypal-online`) still counts with them.
pub const WEAK_KEYWORDS: &[&str] = &[
    "my",
    "get",
    "go",
    "the",
    "www",
    "corp",
    "inc",
    "global",
    "new",
    "net",
    "web",
    "online",
    "center",
    "centre",
    "hub",
    "app",
    "apps",
    "mobile",
    "cloud",
    "team",
    "teams",
    "system",
    "systems",
    "network",
    "status",
    "view",
    "official",
    "group",
    "groupe",
    "grupo",
    "gruppe",
    "holding",
    "holdings",
    "international",
    "intl",
    "ltd",
    "llc",
    "gmbh",
    "company",
    "partners",
    "de",
    "fr",
    "es",
    "uk",
    "us",
    "eu",
    "nl",
    "en",
    "at",
    "ch",
    "be",
];

/// SCOWL's common English words of 3-8 letters; see the file's header.
const ENGLISH_WORDS: &str = include_str!("../data/english_words.txt");

static ENGLISH: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    ENGLISH_WORDS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// Whether `label` is a common English word. One edit away from a short
/// brand lie many real words (`black`, `stack` for `slack`; `acne` for
/// `acme`), and a domain named after a word is far more likely to be that
/// word than a typo of the brand.
pub fn is_english_word(label: &str) -> bool {
    ENGLISH.contains(label)
}

/// Whether `label` (hyphens ignored) reads as a run of common English words
/// of 3 or more letters (`southwindhealth` = south + wind + health). Two
/// edits that turn one name into other real words make another name.
pub fn reads_as_words(label: &str) -> bool {
    reads_as_words_of(label, 3)
}

/// Whether `label` (hyphens ignored) reads as a run of common English words
/// of `min` or more letters each.
pub fn reads_as_words_of(label: &str, min: usize) -> bool {
    let text: Vec<u8> = label.bytes().filter(|&b| b != b'-').collect();
    if text.is_empty() || !text.is_ascii() {
        return false;
    }
    let n = text.len();
    let mut ok = vec![false; n + 1];
    ok[0] = true;
    for i in 0..n {
        if !ok[i] {
            continue;
        }
        for len in min..=8.min(n - i) {
            // ASCII was checked above, so any byte range is valid UTF-8.
            if let Ok(word) = std::str::from_utf8(&text[i..i + len])
                && ENGLISH.contains(word)
            {
                ok[i + len] = true;
            }
        }
    }
    ok[n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_list_loads() {
        assert!(ENGLISH.len() > 30_000, "{}", ENGLISH.len());
        assert!(is_english_word("black"));
        assert!(!is_english_word("okta"));
        assert!(!is_english_word(
            "# english_words.txt: common English words of 3 to 8 letters, lowercase ASCII,"
        ));
    }

    #[test]
    fn compounds_of_words() {
        assert!(reads_as_words("southwind-health"));
        assert!(!reads_as_words("northwindhelth"));
        assert!(!reads_as_words("ail-projcet"));
    }

    #[test]
    fn weak_keywords_are_keywords() {
        for word in WEAK_KEYWORDS {
            assert!(KEYWORDS.contains(word), "{word}");
        }
    }

    #[test]
    fn keywords_are_normalised_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for word in KEYWORDS {
            assert!(
                word.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{word}"
            );
            assert!(seen.insert(word), "duplicate keyword {word}");
        }
    }
}
