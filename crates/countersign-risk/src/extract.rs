//! Indicators pulled out of message text: link domains, email addresses and
//! phone numbers. Each extractor is one linear scan and keeps at most
//! [`MAX_ITEMS`] distinct items, so a hostile message cannot make them slow.
//! Links are counted in [`Links`]: at most [`MAX_LINKS`] are examined and
//! [`MAX_LINK_DOMAINS`] distinct hosts kept, and going past either is a
//! [`BoundHit`].

use std::collections::HashSet;

use countersign_model::bounds::{BoundHit, MAX_LINK_DOMAINS, MAX_LINKS, WorkBound};

/// The most distinct items of one kind kept per message.
pub const MAX_ITEMS: usize = 256;

/// Pushes `item` unless present or the list is full.
pub(crate) fn push_unique(list: &mut Vec<String>, item: String) {
    if list.len() < MAX_ITEMS && !list.contains(&item) {
        list.push(item);
    }
}

/// Every `http://` (0), `https://` (1) and `www.` (2), ASCII case
/// insensitive, as (which, start, end), in order. The three cannot overlap
/// one another, so this is every occurrence of each; each is found from
/// the `:` or `.` in it (rare bytes: one SIMD search for both) rather than
/// by an automaton reading every byte.
fn url_starts(text: &str) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let before = |at: usize, word: &[u8]| {
        at >= word.len() && bytes[at - word.len()..at].eq_ignore_ascii_case(word)
    };
    memchr::memchr2_iter(b':', b'.', bytes).filter_map(move |at| {
        if bytes[at] == b'.' {
            return before(at, b"www").then(|| (2, at - 3, at + 1));
        }
        if !bytes[at + 1..].starts_with(b"//") {
            return None;
        }
        if before(at, b"http") {
            Some((0, at - 4, at + 3))
        } else if before(at, b"https") {
            Some((1, at - 5, at + 3))
        } else {
            None
        }
    })
}

/// The links of one message: how many were found, and the distinct hosts of
/// those examined.
#[derive(Debug, Default)]
pub(crate) struct Links {
    /// Every link found, examined or not.
    seen: usize,
    /// The first [`MAX_LINK_DOMAINS`] distinct hosts, first occurrence first.
    pub(crate) hosts: Vec<String>,
    /// Every distinct host of an examined link.
    distinct: HashSet<String>,
    /// Email addresses written into a link's path or query
    /// (`?email=ana%40org.example`), lowercase, the first
    /// [`MAX_LINK_ADDRESSES`].
    pub(crate) addresses: Vec<String>,
}

/// The most addresses kept from links' paths and queries.
const MAX_LINK_ADDRESSES: usize = 8;

impl Links {
    /// Counts one more link; true while links may still be examined.
    pub(crate) fn admit(&mut self) -> bool {
        self.seen += 1;
        self.seen <= MAX_LINKS
    }

    /// Counts `n` links found but not even stored.
    pub(crate) fn skipped(&mut self, n: usize) {
        self.seen += n;
    }

    /// How many more links may be examined.
    pub(crate) fn left(&self) -> usize {
        MAX_LINKS.saturating_sub(self.seen)
    }

    /// Records the host of an examined link.
    /// Records the addresses written into the path or query of the URL
    /// whose text after `scheme://` is `rest`: a page prefilled with
    /// someone's address.
    pub(crate) fn add_addresses(&mut self, rest: &str) {
        if self.addresses.len() >= MAX_LINK_ADDRESSES {
            return;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | ')' | ']'))
            .unwrap_or(rest.len());
        let url = &rest[..end];
        let Some(tail) = url.find(['/', '?', '#']).map(|at| &url[at..]) else {
            return;
        };
        let encoded = tail
            .as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%40"));
        if !encoded && !tail.contains('@') {
            return;
        }
        let mut found = Vec::new();
        emails_in_text(&crate::content::percent_decode(tail), &mut found);
        for address in found {
            if self.addresses.len() < MAX_LINK_ADDRESSES && !self.addresses.contains(&address) {
                self.addresses.push(address);
            }
        }
    }

    pub(crate) fn add_host(&mut self, host: String) {
        if self.distinct.contains(&host) {
            return;
        }
        if self.hosts.len() < MAX_LINK_DOMAINS {
            self.hosts.push(host.clone());
        }
        self.distinct.insert(host);
    }

    /// The link bounds this message went past.
    pub(crate) fn bound_hits(&self) -> impl Iterator<Item = BoundHit> {
        [
            BoundHit::check(WorkBound::Links, self.seen),
            BoundHit::check(WorkBound::LinkDomains, self.distinct.len()),
        ]
        .into_iter()
        .flatten()
    }
}

/// The text after the start of every `http(s)://` or `www.` URL in `text`.
fn url_rests(text: &str) -> impl Iterator<Item = &str> {
    url_starts(text).filter_map(|(pattern, start, end)| {
        if pattern == 2 {
            // `www.` inside a word or right after `//` was already handled.
            let inside = text[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '.');
            (!inside).then(|| &text[start..])
        } else {
            Some(&text[end..])
        }
    })
}

/// Records every `http(s)://` or `www.` URL in `text` in `links`.
pub(crate) fn url_hosts_in_text(text: &str, links: &mut Links) {
    for rest in url_rests(text) {
        if links.admit()
            && let Some(host) = host_of_authority(rest)
        {
            links.add_host(host);
            links.add_addresses(rest);
        }
    }
}

/// The host of the first `http(s)://` or `www.` URL in `text`.
pub(crate) fn first_url_host(text: &str) -> Option<String> {
    url_rests(text).find_map(host_of_authority)
}

/// The host of an absolute URL as found in an `href` or `src`: `http(s)`,
/// protocol-relative `//host`, or a bare `www.` name. Other schemes and
/// relative references have none.
pub(crate) fn url_host(url: &str) -> Option<String> {
    let url = url.trim();
    let lower_prefix = |p: &str| {
        url.len() >= p.len() && url.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    let rest = if lower_prefix("https://") {
        &url[8..]
    } else if lower_prefix("http://") {
        &url[7..]
    } else if let Some(rest) = url.strip_prefix("//") {
        rest
    } else if lower_prefix("www.") {
        url
    } else {
        return None;
    };
    host_of_authority(rest)
}

/// The host at the start of `rest` (the text after `scheme://`), lowercased
/// and as an IDNA A-label (`xn--...`); `None` if it is not a plausible domain
/// name or IP address.
fn host_of_authority(rest: &str) -> Option<String> {
    let end = rest
        .find(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '/' | '?' | '#' | '\\' | '<' | '>' | '"' | '\'' | ')' | ']' | ','
                )
        })
        .unwrap_or(rest.len());
    let mut authority = &rest[..end];
    if let Some(at) = authority.rfind('@') {
        // `https://microsoft.com@evil.example/`: the host is after the `@`.
        authority = &authority[at + 1..];
    }
    let host = match authority.rfind(':') {
        Some(colon) if authority[colon + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &authority[..colon]
        }
        _ => authority,
    };
    let host = host.trim_end_matches(['.', ';', ':', '!']);
    if host.is_empty() || !host.contains('.') || host.len() > 253 {
        return None;
    }
    if !host
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
    {
        return None;
    }
    if host.is_ascii() {
        return Some(host.to_ascii_lowercase());
    }
    // Internationalised names are kept as their A-label so they compare
    // with what DNS and the lookalike checks see.
    idna::domain_to_ascii(host).ok().filter(|h| !h.is_empty())
}

/// A bare domain name written as visible text (`paypal.com`), if the whole
/// of `text` is one.
pub(crate) fn bare_domain(text: &str) -> Option<String> {
    let t = text.trim().trim_end_matches('/');
    if t.is_empty() || t.contains(char::is_whitespace) {
        return None;
    }
    let host = host_of_authority(t)?;
    let tld = host.rsplit('.').next()?;
    (tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()) || tld.starts_with("xn--"))
        .then_some(host)
}

/// Appends every email address in `text`, lowercased.
pub(crate) fn emails_in_text(text: &str, out: &mut Vec<String>) {
    let bytes = text.as_bytes();
    let is_local =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let is_domain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-');
    let mut from = 0;
    while let Some(p) = memchr_at(bytes, b'@', from) {
        from = p + 1;
        let mut s = p;
        while s > 0 && is_local(bytes[s - 1]) {
            s -= 1;
        }
        let mut e = p + 1;
        while e < bytes.len() && is_domain(bytes[e]) {
            e += 1;
        }
        let local = text[s..p].trim_start_matches('.');
        let domain = text[p + 1..e].trim_end_matches(['.', '-']);
        let Some(tld) = domain.rsplit('.').next().filter(|_| domain.contains('.')) else {
            continue;
        };
        if local.is_empty() || tld.len() < 2 || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
            continue;
        }
        push_unique(out, format!("{local}@{domain}").to_ascii_lowercase());
    }
}

fn memchr_at(bytes: &[u8], needle: u8, from: usize) -> Option<usize> {
    memchr::memchr(needle, bytes.get(from..)?).map(|p| p + from)
}

/// Appends every phone number in `text`, normalised: international numbers
/// (written with `+` or `00`) and North American numbers as `+` and digits;
/// other national numbers as the digits dialled, trunk `0` included, since
/// their country is unknown.
///
/// Conservative on purpose: a number must look like one (a `+`, a `00` or
/// trunk `0` prefix with separators, or the North American 3-3-4 shape) and
/// dates, times, IP addresses and long reference numbers are skipped. A
/// missed number costs one signal; a ticket number taken for a phone number
/// would raise false callback-bait alarms on every reply.
pub(crate) fn phones_in_text(text: &str, out: &mut Vec<String>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Most text has no digits; jump to the next possible start.
        match next_phone_start(bytes, i) {
            Some(p) => i = p,
            None => break,
        }
        let b = bytes[i];
        let starts = b.is_ascii_digit()
            || ((b == b'+' || b == b'(') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts || (i > 0 && !boundary_before(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let end = candidate_end(bytes, i);
        if !bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric())
            && digit_count(&bytes[i..end]) >= MIN_PHONE_DIGITS
            && let Some(number) = classify(&text[i..end])
        {
            push_unique(out, number);
        }
        i = end.max(i + 1);
        // Skip the rest of a digit run we refused, so its tail is not a start.
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
    }
}

/// The fewest digits any number `classify` accepts has (an international
/// number: 8); shorter candidates, the bulk of the digits in mail (dates,
/// times, counts), are refused without its allocations.
const MIN_PHONE_DIGITS: usize = 8;

fn digit_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| b.is_ascii_digit()).count()
}

/// The next byte at or after `from` that could start a phone number. Scans
/// 32-byte blocks with a branch-free test first, which the compiler
/// vectorises: most text has few digits.
fn next_phone_start(bytes: &[u8], from: usize) -> Option<usize> {
    let is_start = |b: u8| b.wrapping_sub(b'0') < 10 || b == b'+' || b == b'(';
    let mut i = from;
    while i + 32 <= bytes.len() {
        if bytes[i..i + 32]
            .iter()
            .fold(false, |any, &b| any | is_start(b))
        {
            break;
        }
        i += 32;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&b| is_start(b))
        .map(|p| p + i)
}

fn boundary_before(b: u8) -> bool {
    // 0xA0 ends a no-break space, the usual glue in "Tel.\u{a0}+49 ...".
    b == 0xA0
        || !(b.is_ascii_alphanumeric()
            || b >= 0x80
            || matches!(
                b,
                b'/' | b'.'
                    | b'_'
                    | b'-'
                    | b'='
                    | b'&'
                    | b'?'
                    | b'#'
                    | b'%'
                    | b'@'
                    | b'+'
                    | b'$'
                    | b'\\'
            ))
}

/// The end of the phone-number-shaped run starting at `start`: digits and
/// single separators (space, `-`, `.`, `/`) and parentheses.
fn candidate_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    let mut last_digit_end = start;
    let mut separators_in_row = 0;
    let mut digits = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            separators_in_row = 0;
            digits += 1;
            i += 1;
            last_digit_end = i;
        } else if b == b'(' && digits >= MIN_PHONE_DIGITS {
            // "+44 20 3808 7715 (24/7)": a whole number already; the
            // parenthesis opens a remark, not an area code.
            break;
        } else if (i == start && b == b'+') || b == b'(' || b == b')' {
            i += 1;
        } else if matches!(b, b' ' | b'-' | b'.' | b'/')
            || (b == 0xC2 && bytes.get(i + 1) == Some(&0xA0))
        {
            separators_in_row += 1;
            if separators_in_row > 1 {
                break;
            }
            i += if b == 0xC2 { 2 } else { 1 };
        } else {
            break;
        }
    }
    // A closing parenthesis right after the last digit belongs to it.
    last_digit_end
}

/// Every number this accepts has at least [`MIN_PHONE_DIGITS`] digits in
/// `raw` (8 to 15 after `+`, 10 or more for `00`, 9 to 12 with a trunk `0`,
/// 10 or 11 in North American shape, 9 in Spanish shape).
fn classify(raw: &str) -> Option<String> {
    let plus = raw.starts_with('+');
    // "+49 (0) 30 ...": the bracketed trunk zero is not dialled from abroad.
    let cleaned = raw.replace("(0)", "");
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    let groups: Vec<&str> = raw
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let separated = groups.len() > 1;
    if plus {
        return (8..=15)
            .contains(&digits.len())
            .then(|| format!("+{digits}"));
    }
    if looks_like_date_or_address(raw, &groups) {
        return None;
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return (separated && (8..=15).contains(&rest.len()) && !rest.starts_with('0'))
            .then(|| format!("+{rest}"));
    }
    if digits.starts_with('0') {
        return (separated && (9..=12).contains(&digits.len())).then_some(digits);
    }
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let nanp = match lens.as_slice() {
        [3, 3, 4] => Some(digits.as_str()),
        [1, 3, 3, 4] if digits.starts_with('1') => Some(&digits[1..]),
        _ => None,
    };
    if let Some(ten) = nanp
        && matches!(ten.as_bytes()[0], b'2'..=b'9')
        && !raw.contains('/')
    {
        return Some(format!("+1{ten}"));
    }
    // Spanish national numbers have no trunk zero, nine digits grouped
    // "912 345 678", "900 83 41 27" or "91 234 56 78".
    let spanish_grouping = matches!(lens.as_slice(), [3, 3, 3] | [3, 2, 2, 2] | [2, 3, 2, 2]);
    if spanish_grouping && matches!(digits.as_bytes()[0], b'6'..=b'9') && raw.contains(' ') {
        return Some(digits);
    }
    None
}

fn looks_like_date_or_address(raw: &str, groups: &[&str]) -> bool {
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let dotted_or_slashed = raw.contains('.') || raw.contains('/');
    let ip = raw.contains('.') && lens.len() == 4 && lens.iter().all(|&l| l <= 3);
    let date = match lens.as_slice() {
        [1 | 2, 1 | 2, 2 | 4, ..] | [4, 1 | 2, 1 | 2, ..] => dotted_or_slashed || raw.contains('-'),
        _ => false,
    };
    ip || date
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_starts_are_the_automatons_matches() {
        // What `url_starts` replaced: one case-insensitive automaton.
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["http://", "https://", "www."])
            .expect("three literals always build");
        const PIECES: [&str; 16] = [
            "http", "HTTPS", "s", "://", ":", "/", "//", "www", "wWw", ".", "w", " ", "\u{e9}",
            "hxxp", "ht", "tp",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for case in 0..20_000 {
            let mut text = String::new();
            for _ in 0..case % 40 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            }
            let want: Vec<(usize, usize, usize)> = automaton
                .find_iter(&text)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            assert_eq!(url_starts(&text).collect::<Vec<_>>(), want, "{text:?}");
        }
    }

    fn phones(text: &str) -> Vec<String> {
        let mut v = Vec::new();
        phones_in_text(text, &mut v);
        v
    }

    #[test]
    fn phone_numbers_in_many_formats() {
        assert_eq!(phones("Call us at +1 (800) 555-0199 now"), ["+18005550199"]);
        assert_eq!(phones("call 1-800-555-0199."), ["+18005550199"]);
        assert_eq!(phones("(888) 555 0123"), ["+18885550123"]);
        assert_eq!(phones("Tel. +49 (0) 30 1234 5678"), ["+493012345678"]);
        assert_eq!(phones("Rufen Sie 030 12345678 an"), ["03012345678"]);
        assert_eq!(phones("0171/1234567"), ["01711234567"]);
        assert_eq!(phones("appelez le 01 23 45 67 89"), ["0123456789"]);
        assert_eq!(phones("+33 6 12 34 56 78"), ["+33612345678"]);
        assert_eq!(phones("llame al 912 345 678"), ["912345678"]);
        assert_eq!(phones("llame al 900 12 34 56"), ["900123456"]);
        assert_eq!(phones("llame al 91 234 56 78"), ["912345678"]);
        assert_eq!(phones("0044 20 7946 0958"), ["+442079460958"]);
        assert_eq!(phones("+44\u{a0}20\u{a0}7946\u{a0}0958"), ["+442079460958"]);
        // A remark in parentheses after a whole number is not part of it.
        assert_eq!(phones("ring +44 20 7946 0958 (24/7)"), ["+442079460958"]);
        assert_eq!(phones("0800 555 0123 (free)"), ["08005550123"]);
    }

    #[test]
    fn too_few_digits_are_never_a_number() {
        let alphabet = b"0123456789+()-. /";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..50_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 16) as usize;
            let raw: String = (0..len)
                .map(|k| alphabet[(seed >> (4 * k)) as usize % alphabet.len()] as char)
                .collect();
            if digit_count(raw.as_bytes()) < MIN_PHONE_DIGITS {
                assert_eq!(classify(&raw), None, "{raw}");
            }
        }
    }

    #[test]
    fn not_phone_numbers() {
        for text in [
            "Meeting on 2024-05-14 at 10:00",
            "am 14.05.2024 um 10 Uhr",
            "le 01/02/2024",
            "server 192.168.100.200",
            "ticket INC0012345678",
            "order 12345678901",
            "version 10.0.19045.3803",
            "IBAN DE89 3704 0044 0532 0130 00",
            "https://example.com/0301234567/x",
            "invoice 2024/000123",
            "total 1 234 567 EUR",
        ] {
            assert!(phones(text).is_empty(), "{text}: {:?}", phones(text));
        }
    }

    #[test]
    fn hosts_and_emails() {
        let mut links = Links::default();
        url_hosts_in_text(
            "see https://Login.Example.COM/x, www.foo.org. and http://user@evil.test:8080/ or https://bücher.example/",
            &mut links,
        );
        assert_eq!(links.bound_hits().count(), 0);
        assert_eq!(
            links.hosts,
            [
                "login.example.com",
                "www.foo.org",
                "evil.test",
                "xn--bcher-kva.example"
            ]
        );
        assert_eq!(url_host("//cdn.example/x"), Some("cdn.example".into()));
        assert_eq!(url_host("mailto:a@b.c"), None);
        assert_eq!(url_host("/relative"), None);
        assert_eq!(bare_domain(" PayPal.com "), Some("paypal.com".into()));
        assert_eq!(bare_domain("click here"), None);
        let mut emails = Vec::new();
        emails_in_text(
            "write to IT.Support@Example.com, or x@y or a@b.co.",
            &mut emails,
        );
        assert_eq!(emails, ["it.support@example.com", "a@b.co"]);
    }
}
