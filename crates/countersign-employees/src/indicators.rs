//! Indicators: what two sightings of one campaign share. Extracted from a
//! report's fields and free text, or from a message's summary, and
//! normalised so that the same thing written two ways is one indicator:
//! phone numbers in E.164, addresses lowercased, domains reduced to their
//! registrable domain (by the Public Suffix List), URLs to scheme, host and
//! path, claimed names folded, claimed staff IDs uppercased.
//!
//! Bounded: at most [`MAX_INDICATORS`] per sighting; the rest are counted.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Indicators kept per sighting.
pub const MAX_INDICATORS: usize = 64;
/// Text read per field when scanning for indicators.
pub const MAX_SCAN_BYTES: usize = 64 * 1024;

/// What an indicator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// A phone number (E.164).
    Phone,
    /// An email address.
    Email,
    /// A registrable domain (sender, link or mentioned).
    Domain,
    /// A URL (scheme, host, path).
    Url,
    /// A name the person claimed, folded.
    ClaimedName,
    /// A staff ID the person claimed.
    ClaimedStaffId,
}

impl IndicatorKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Phone => "phone",
            IndicatorKind::Email => "email",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::ClaimedName => "claimed_name",
            IndicatorKind::ClaimedStaffId => "claimed_staff_id",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            IndicatorKind::Phone,
            IndicatorKind::Email,
            IndicatorKind::Domain,
            IndicatorKind::Url,
            IndicatorKind::ClaimedName,
            IndicatorKind::ClaimedStaffId,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// One indicator: a kind and a normalised value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Indicator {
    /// What it is.
    pub kind: IndicatorKind,
    /// The normalised value.
    pub value: String,
}

impl Indicator {
    /// `kind:value`, the form shown in lists.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.value)
    }
}

/// The indicators of one sighting, deduplicated and bounded, with notes
/// (e.g. "lookalike of northwind-health.example").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    /// The indicators, in the order found.
    pub list: Vec<Indicator>,
    /// Notes about some of them, by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<(String, String)>,
    /// How many more were found past the bound.
    #[serde(default)]
    pub dropped: usize,
}

/// What the extractor must know about the installation.
pub struct Context<'a> {
    /// Our own domains: never a campaign indicator (every report mentions them).
    pub own_domains: &'a [String],
    /// Shared mail providers and similar (gmail.com...): a domain everyone
    /// uses links nothing; addresses at it still do.
    pub is_shared_domain: fn(&str) -> bool,
    /// The calling code for national numbers (`44` turns `020 7946 0999`
    /// into `+442079460999`); without it only international numbers count.
    pub default_calling_code: Option<&'a str>,
}

impl Indicators {
    /// Adds an indicator unless present; counts it when past the bound.
    pub fn push(&mut self, kind: IndicatorKind, value: String) -> bool {
        if value.is_empty() || self.list.iter().any(|i| i.kind == kind && i.value == value) {
            return false;
        }
        if self.list.len() >= MAX_INDICATORS {
            self.dropped += 1;
            return false;
        }
        self.list.push(Indicator { kind, value });
        true
    }

    /// Adds a note about an indicator.
    pub fn note(&mut self, kind: IndicatorKind, value: &str, note: String) {
        let key = format!("{}:{value}", kind.as_str());
        if !self.notes.iter().any(|(k, n)| *k == key && *n == note) && self.notes.len() < 64 {
            self.notes.push((key, note));
        }
    }

    /// A phone number, given as such.
    pub fn phone(&mut self, text: &str, cx: &Context<'_>) {
        if let Some(p) = normalize_phone(text, cx.default_calling_code) {
            self.push(IndicatorKind::Phone, p);
        }
    }

    /// An email address, and its domain.
    pub fn email(&mut self, text: &str, cx: &Context<'_>) {
        if let Some(addr) = normalize_email(text) {
            let domain = addr.rsplit_once('@').map(|(_, d)| d.to_owned());
            self.push(IndicatorKind::Email, addr);
            if let Some(d) = domain {
                self.domain(&d, cx);
            }
        }
    }

    /// A domain, reduced to its registrable domain; not ours, not shared.
    pub fn domain(&mut self, text: &str, cx: &Context<'_>) {
        if let Some(d) = normalize_domain(text)
            && !cx.own_domains.iter().any(|o| o.eq_ignore_ascii_case(&d))
            && !(cx.is_shared_domain)(&d)
        {
            self.push(IndicatorKind::Domain, d);
        }
    }

    /// A URL and its domain.
    pub fn url(&mut self, text: &str, cx: &Context<'_>) {
        if let Some((url, host)) = normalize_url(text) {
            let ours = normalize_domain(&host)
                .is_some_and(|d| cx.own_domains.iter().any(|o| o.eq_ignore_ascii_case(&d)));
            if !ours {
                self.push(IndicatorKind::Url, url);
            }
            self.domain(&host, cx);
        }
    }

    /// A claimed name.
    pub fn claimed_name(&mut self, text: &str) {
        if let Some(n) = normalize_name(text) {
            self.push(IndicatorKind::ClaimedName, n);
        }
    }

    /// A claimed staff ID.
    pub fn claimed_staff_id(&mut self, text: &str) {
        let id = crate::reference::normalize_staff_id(text);
        if !id.is_empty()
            && id.len() <= 32
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.push(IndicatorKind::ClaimedStaffId, id);
        }
    }

    /// Scans free text for phone numbers, addresses, URLs and domains.
    pub fn scan(&mut self, text: &str, cx: &Context<'_>) {
        let text = cut(text, MAX_SCAN_BYTES);
        for raw in text.split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']' | ',' | ';'
                )
        }) {
            let token = raw.trim_matches(|c: char| matches!(c, '.' | ':' | '!' | '?'));
            if token.is_empty() {
                continue;
            }
            let lower = token.to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") {
                self.url(token, cx);
            } else if lower.starts_with("www.") {
                self.url(&format!("https://{token}"), cx);
            } else if token.contains('@') {
                self.email(token.trim_start_matches("mailto:"), cx);
            } else if token.contains('.')
                && token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && token.chars().any(|c| c.is_ascii_alphabetic())
                && token.split('.').all(|l| !l.is_empty())
            {
                self.domain(token, cx);
            }
        }
        for candidate in phone_runs(text) {
            self.phone(&candidate, cx);
        }
    }
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Runs of characters that can make up a written phone number.
fn phone_runs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut Vec<String>| {
        let trimmed = run.trim();
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        if (8..=15).contains(&digits) && out.len() < MAX_INDICATORS {
            out.push(trimmed.to_owned());
        }
        run.clear();
    };
    for c in text.chars() {
        let part = c.is_ascii_digit()
            || (c == '+' && run.trim().is_empty())
            || (!run.is_empty() && matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'));
        if part {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A phone number in E.164: `+` and 8 to 15 digits; `00` counts as `+`;
/// a national number (leading `0`) takes `default_calling_code`.
pub fn normalize_phone(text: &str, default_calling_code: Option<&str>) -> Option<String> {
    // "+44 (0)20 ...": the national trunk prefix in parentheses is not dialled
    // from abroad.
    let t = text.trim().replace("(0)", "");
    let t = t.as_str();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let international = if t.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let (Some(rest), Some(cc)) = (digits.strip_prefix('0'), default_calling_code) {
        format!("{cc}{rest}")
    } else {
        return None;
    };
    if !(8..=15).contains(&international.len()) || international.starts_with('0') {
        return None;
    }
    countersign_directory::normalize_phone(&format!("+{international}"))
}

/// An address, lowercased; `None` unless it has one `@`, a local part and
/// a domain with a dot.
pub fn normalize_email(text: &str) -> Option<String> {
    let t = text
        .trim()
        .trim_matches(|c| c == '<' || c == '>')
        .to_lowercase();
    let (local, domain) = t.split_once('@')?;
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || normalize_domain(domain).is_none()
        || t.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    Some(t)
}

/// The registrable domain of a host name (Public Suffix List).
pub fn normalize_domain(text: &str) -> Option<String> {
    let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
    if t.is_empty() || t.len() > 253 || !t.contains('.') {
        return None;
    }
    countersign_model::psl::registrable_domain(&t)
}

/// A URL as `scheme://host/path` (no query, fragment, port or user) and
/// its host; `None` for anything but http and https.
pub fn normalize_url(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("https://") {
        ("https", &t[8..])
    } else if lower.starts_with("http://") {
        ("http", &t[7..])
    } else {
        return None;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .split(':')
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host.is_empty() || !host.contains('.') {
        return None;
    }
    let path_end = rest[end..].find(['?', '#']).map_or(rest.len(), |p| end + p);
    let path = rest[end..path_end].trim_end_matches('/');
    let path = cut(path, 200);
    Some((format!("{scheme}://{host}{path}"), host))
}

/// A claimed name, folded: lowercase words separated by one space, titles
/// dropped; `None` when nothing is left.
pub fn normalize_name(text: &str) -> Option<String> {
    const TITLES: [&str; 6] = ["mr", "mrs", "ms", "dr", "miss", "prof"];
    let words: Vec<String> = cut(text, 200)
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !TITLES.contains(&w.as_str()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// What was offered (the "quid").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// Help with a (real or invented) computer problem.
    TechSupport,
    /// A reward for a survey, a gift card, a prize.
    SurveyReward,
    /// A job.
    JobOffer,
    /// A free upgrade (laptop, licence, plan).
    Upgrade,
    /// A patch or security update.
    Patch,
}

/// What was asked for in return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A password or sign-in details.
    Credentials,
    /// An MFA code, a push approval, a new MFA device.
    Mfa,
    /// Access or permissions.
    Access,
    /// Installing or running a remote-control tool.
    RemoteTool,
    /// Installing software.
    Install,
    /// A payment or bank details.
    Payment,
    /// Data: files, lists, records.
    Data,
}

const OFFER_WORDS: &[(OfferKind, &[&str])] = &[
    (
        OfferKind::TechSupport,
        &[
            "tech support",
            "it support",
            "help desk",
            "helpdesk",
            "service desk",
            "technical support",
            "virus",
            "infected",
            "fix your",
            "slow computer",
        ],
    ),
    (
        OfferKind::SurveyReward,
        &["survey", "gift card", "voucher", "reward", "prize", "bonus"],
    ),
    (
        OfferKind::JobOffer,
        &[
            "job offer",
            "position",
            "recruit",
            "interview",
            "vacancy",
            "salary",
        ],
    ),
    (
        OfferKind::Upgrade,
        &["upgrade", "new laptop", "new phone", "licence", "license"],
    ),
    (
        OfferKind::Patch,
        &["patch", "security update", "hotfix", "critical update"],
    ),
];

const REQUEST_WORDS: &[(RequestKind, &[&str])] = &[
    (
        RequestKind::Credentials,
        &[
            "password",
            "passcode",
            "credentials",
            "username and",
            "log in details",
            "login details",
        ],
    ),
    (
        RequestKind::Mfa,
        &[
            "mfa",
            "2fa",
            "authenticator",
            "one-time code",
            "verification code",
            "the code",
            "push notification",
            "approve the prompt",
        ],
    ),
    (
        RequestKind::Access,
        &[
            "access to",
            "admin rights",
            "permission",
            "vpn",
            "add me to",
        ],
    ),
    (
        RequestKind::RemoteTool,
        &[
            "anydesk",
            "teamviewer",
            "quick assist",
            "quickassist",
            "screenconnect",
            "logmein",
            "remote access",
            "remote session",
            "share your screen",
            "screen share",
        ],
    ),
    (
        RequestKind::Install,
        &[
            "install",
            "download",
            "run this",
            "run the file",
            ".exe",
            ".msi",
        ],
    ),
    (
        RequestKind::Payment,
        &[
            "payment",
            "bank details",
            "invoice",
            "wire transfer",
            "iban",
            "buy gift cards",
            "pay ",
        ],
    ),
    (
        RequestKind::Data,
        &[
            "spreadsheet",
            "export",
            "customer list",
            "employee list",
            "patient records",
            "send me the file",
        ],
    ),
];

/// Offer and request kinds the words of `text` name (English).
pub fn kinds_in(text: &str) -> (BTreeSet<OfferKind>, BTreeSet<RequestKind>) {
    let lower = cut(text, MAX_SCAN_BYTES).to_lowercase();
    let offers = OFFER_WORDS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| lower.contains(w)))
        .map(|(k, _)| *k)
        .collect();
    let requests = REQUEST_WORDS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| lower.contains(w)))
        .map(|(k, _)| *k)
        .collect();
    (offers, requests)
}

/// The request kind of an engine finding's `request.<category>` signal.
pub fn request_of_signal(signal: &str) -> Option<RequestKind> {
    Some(match signal.strip_prefix("request.")? {
        "credential_reset" | "credentials" => RequestKind::Credentials,
        "mfa_reset" => RequestKind::Mfa,
        "access_grant" => RequestKind::Access,
        "remote_access" => RequestKind::RemoteTool,
        "software_install" => RequestKind::Install,
        "payment_change" => RequestKind::Payment,
        "data_export" => RequestKind::Data,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        static OWN: [String; 0] = [];
        Context {
            own_domains: &OWN,
            is_shared_domain: |d: &str| d == "gmail.com",
            default_calling_code: Some("44"),
        }
    }

    #[test]
    fn values_are_normalised() {
        assert_eq!(
            normalize_phone("+44 20 7946 0999", None).as_deref(),
            Some("+442079460999")
        );
        assert_eq!(
            normalize_phone("0044 (20) 7946-0999", None).as_deref(),
            Some("+442079460999")
        );
        assert_eq!(
            normalize_phone("020 7946 0999", Some("44")).as_deref(),
            Some("+442079460999")
        );
        assert_eq!(normalize_phone("020 7946 0999", None), None);
        assert_eq!(
            normalize_phone("+44 (0)20 7946-0999", None).as_deref(),
            Some("+442079460999")
        );
        assert_eq!(normalize_phone("12", None), None);
        assert_eq!(
            normalize_email("<Dana@Mail.Vendor.CO.UK>").as_deref(),
            Some("dana@mail.vendor.co.uk")
        );
        assert_eq!(normalize_email("not an address"), None);
        assert_eq!(
            normalize_domain("Login.Northwind-Support.com.").as_deref(),
            Some("northwind-support.com")
        );
        assert_eq!(
            normalize_url("HTTPS://user@Portal.Example.com:8443/reset/?t=1#x"),
            Some((
                "https://portal.example.com/reset".into(),
                "portal.example.com".into()
            ))
        );
        assert_eq!(
            normalize_name("Mr. DANIEL  okoye").as_deref(),
            Some("daniel okoye")
        );
    }

    #[test]
    fn free_text_is_scanned() {
        let mut ind = Indicators::default();
        ind.scan(
            "He said to call back on 020 7946 0999 or +1 (555) 010-0199, then visit https://nwh-helpdesk.com/fix?id=3 and mail it-desk@gmail.com. See e.g. the docs.",
            &cx(),
        );
        let keys: Vec<String> = ind.list.iter().map(Indicator::key).collect();
        assert!(keys.contains(&"phone:+442079460999".to_owned()), "{keys:?}");
        assert!(keys.contains(&"phone:+15550100199".to_owned()), "{keys:?}");
        assert!(
            keys.contains(&"url:https://nwh-helpdesk.com/fix".to_owned()),
            "{keys:?}"
        );
        assert!(
            keys.contains(&"domain:nwh-helpdesk.com".to_owned()),
            "{keys:?}"
        );
        assert!(
            keys.contains(&"email:it-desk@gmail.com".to_owned()),
            "{keys:?}"
        );
        assert!(!keys.contains(&"domain:gmail.com".to_owned()), "{keys:?}");
        let (offers, requests) =
            kinds_in("Free laptop upgrade if you install AnyDesk and read me the code");
        assert!(offers.contains(&OfferKind::Upgrade));
        assert!(requests.contains(&RequestKind::RemoteTool));
        assert!(requests.contains(&RequestKind::Install));
        assert!(requests.contains(&RequestKind::Mfa));
    }

    #[test]
    fn indicators_are_bounded() {
        let mut ind = Indicators::default();
        for n in 0..(MAX_INDICATORS + 10) {
            ind.push(IndicatorKind::Phone, format!("+4420794{n:05}"));
        }
        assert_eq!(ind.list.len(), MAX_INDICATORS);
        assert_eq!(ind.dropped, 10);
    }
}
