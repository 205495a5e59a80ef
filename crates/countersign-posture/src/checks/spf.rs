//! SPF (RFC 7208): one record, that parses (with mail-auth, the parser
//! Countersign verifies with), within the ten DNS lookups and two void
//! lookups of 4.6.4 across its includes, ending in a restrictive `all`.

use super::{Answer, Ctx, Query, Severity, normalise, versioned};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::spf::{Macro, Mechanism, Qualifier, Spf};
use serde::Serialize;

/// RFC 7208 4.6.4: mechanisms and modifiers that query DNS, per evaluation.
pub const LOOKUP_LIMIT: u32 = 10;
/// RFC 7208 4.6.4: lookups that find nothing, per evaluation.
pub const VOID_LIMIT: u32 = 2;
/// Include and redirect nesting followed before giving up.
const MAX_DEPTH: usize = 20;

/// The SPF record of a domain and what evaluating it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfSummary {
    /// The record.
    pub record: String,
    /// DNS lookups a full evaluation makes (includes followed).
    pub lookups: u32,
    /// Of which find nothing (NXDOMAIN or no records).
    pub void_lookups: u32,
    /// The top-level `all` term (`-all`, `~all`, `?all`, `+all`), if any.
    pub all: Option<String>,
    /// Domains included (directly or not).
    pub includes: Vec<String>,
}

fn qualifier(q: &Qualifier) -> &'static str {
    match q {
        Qualifier::Pass => "+",
        Qualifier::Fail => "-",
        Qualifier::SoftFail => "~",
        Qualifier::Neutral => "?",
    }
}

/// The name a mechanism targets, when it holds no macro.
fn target(m: &Macro, domain: &str) -> Option<String> {
    match m {
        Macro::None => Some(domain.to_owned()),
        Macro::Literal(b) => Some(normalise(&String::from_utf8_lossy(b))),
        _ => None,
    }
}

struct Walk {
    lookups: u32,
    voids: u32,
    /// Domains on the current include path (loop detection).
    path: Vec<String>,
    includes: Vec<String>,
    macros: bool,
}

/// Parses with mail-auth, and checks each term against RFC 7208's grammar
/// (stricter than mail-auth in places, e.g. an octet over 255); on either
/// refusal, names the first bad term.
fn parse(ctx: &mut Ctx<'_>, record: &str, domain: &str, top: bool) -> Option<Spf> {
    let parsed = Spf::parse(record.as_bytes()).ok();
    let why = match (&parsed, diagnose(record)) {
        (Some(_), None) => return parsed,
        (_, Some(why)) => why,
        (None, None) => "mail-auth refuses it; check each term against RFC 7208 section 12".into(),
    };
    if top {
        ctx.find(
            Severity::Error,
            "spf",
            "spf.syntax",
            format!("the SPF record of {domain} does not parse ({why}): receivers return permerror, as if there were none"),
            format!("correct the record at {domain}: {why}"),
        );
    } else {
        ctx.find(
            Severity::Error,
            "spf",
            "spf.include_syntax",
            format!("the SPF record of {domain}, which yours includes, does not parse ({why}): receivers return permerror for your mail"),
            format!("ask the owner of {domain} to correct it, or stop including it"),
        );
    }
    None
}

/// `Some(format!(...))`, for [`diagnose`]'s early returns.
macro_rules! why {
    ($($t:tt)*) => {
        Some(format!($($t)*))
    };
}

/// The first term of a record that is not valid SPF, in words; `None`
/// when every term follows the grammar.
pub(crate) fn diagnose(record: &str) -> Option<String> {
    if let Some(c) = record
        .chars()
        .find(|c| !c.is_ascii() || (c.is_ascii_control() && *c != ' '))
    {
        return why!("it contains the character {c:?}, and SPF records are printable ASCII");
    }
    let mut terms = record.split(' ').filter(|t| !t.is_empty());
    match terms.next() {
        Some(v) if v.eq_ignore_ascii_case("v=spf1") => {}
        Some(v) => return why!("it starts with {v:?} instead of \"v=spf1\""),
        None => return why!("it is empty"),
    }
    for term in terms {
        let body = term.strip_prefix(['+', '-', '~', '?']).unwrap_or(term);
        let mech_end = body.find([':', '/']).unwrap_or(body.len());
        if let Some(eq) = body.find('=')
            && eq < mech_end
        {
            let (name, value) = (&body[..eq], &body[eq + 1..]);
            let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !valid_name || body.len() != term.len() {
                return why!("{term:?} is not a valid modifier");
            }
            if (name.eq_ignore_ascii_case("redirect") || name.eq_ignore_ascii_case("exp"))
                && value.is_empty()
            {
                return why!("{term:?} needs a domain after '='");
            }
            continue;
        }
        let (mech, arg) = (&body[..mech_end], &body[mech_end..]);
        let domain_arg = arg.strip_prefix(':');
        match mech.to_ascii_lowercase().as_str() {
            "all" if !arg.is_empty() => return why!("{term:?}: 'all' takes no argument"),
            "all" => {}
            "include" | "exists" => match domain_arg {
                Some(d) if !d.is_empty() && d.contains('.') || d_has_macro(domain_arg) => {}
                _ => return why!("{term:?}: '{mech}' needs ':' and a domain"),
            },
            "a" | "mx" | "ptr" => {}
            "ip4" => match domain_arg.map(|a| a.split_once('/').unwrap_or((a, "32"))) {
                Some((ip, cidr))
                    if ip.parse::<std::net::Ipv4Addr>().is_ok()
                        && cidr.parse::<u8>().is_ok_and(|c| c <= 32)
                        && !(cidr.len() > 1 && cidr.starts_with('0')) => {}
                _ => {
                    return why!("{term:?} is not an IPv4 address with an optional /0-32 prefix");
                }
            },
            "ip6" => match domain_arg.map(|a| a.split_once('/').unwrap_or((a, "128"))) {
                Some((ip, cidr))
                    if ip.parse::<std::net::Ipv6Addr>().is_ok()
                        && cidr.parse::<u8>().is_ok_and(|c| c <= 128)
                        && !(cidr.len() > 1 && cidr.starts_with('0')) => {}
                _ => {
                    return why!("{term:?} is not an IPv6 address with an optional /0-128 prefix");
                }
            },
            other => {
                let hint = ["include", "all", "ip4", "ip6", "mx", "exists", "redirect"]
                    .iter()
                    .find(|k| close(other, k))
                    .map(|k| format!(" (did you mean '{k}'?)"))
                    .unwrap_or_default();
                return why!("{term:?}: '{other}' is not an SPF mechanism{hint}");
            }
        }
    }
    None
}

fn d_has_macro(arg: Option<&str>) -> bool {
    arg.is_some_and(|a| a.contains('%'))
}

/// Two words one edit (substitution, insertion, deletion, swap) apart.
fn close(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b || a.len().abs_diff(b.len()) > 1 || a.len() < 2 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    if ra.len() == rb.len() {
        ra[1..] == rb[1..]
            || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
    } else if ra.len() > rb.len() {
        ra[1..] == *rb
    } else {
        rb[1..] == *ra
    }
}

/// Modifier names of a record, as written (for duplicates).
fn modifiers(record: &str) -> Vec<String> {
    record
        .split(' ')
        .filter_map(|t| {
            let eq = t.find('=')?;
            let colon = t.find([':', '/']).unwrap_or(t.len());
            (eq < colon).then(|| t[..eq].to_ascii_lowercase())
        })
        .filter(|n| n != "v")
        .collect()
}

impl Walk {
    fn terms(&mut self, ctx: &mut Ctx<'_>, spf: &Spf, domain: &str) {
        let has_all = spf.directives.iter().any(|d| d.mechanism == Mechanism::All);
        for d in spf.directives.iter() {
            match &d.mechanism {
                Mechanism::Include { macro_string } => {
                    self.lookups += 1;
                    match target(macro_string, domain) {
                        Some(t) => self.follow(ctx, &t, "include"),
                        None => self.macros = true,
                    }
                }
                Mechanism::A { macro_string, .. } => {
                    self.lookups += 1;
                    match target(macro_string, domain) {
                        Some(t) => {
                            let a = ctx.ask(Query::A(t.clone()));
                            let aaaa = ctx.ask(Query::Aaaa(t));
                            if let (Some(a), Some(aaaa)) = (a, aaaa)
                                && a.is_void()
                                && aaaa.is_void()
                            {
                                self.voids += 1;
                            }
                        }
                        None => self.macros = true,
                    }
                }
                Mechanism::Mx { macro_string, .. } => {
                    self.lookups += 1;
                    match target(macro_string, domain) {
                        Some(t) => {
                            if let Some(mx) = ctx.ask(Query::Mx(t.clone())) {
                                if mx.is_void() {
                                    self.voids += 1;
                                } else if mx.records().len() > 10 {
                                    ctx.find(
                                        Severity::Error,
                                        "spf",
                                        "spf.mx_too_many",
                                        format!("the 'mx' mechanism for {t} meets {} MX records; more than ten make it a permerror (RFC 7208 4.6.4)", mx.records().len()),
                                        format!("replace 'mx' with ip4:/ip6: ranges of the servers that send for {t}"),
                                    );
                                }
                            }
                        }
                        None => self.macros = true,
                    }
                }
                Mechanism::Ptr { .. } => self.lookups += 1,
                Mechanism::Exists { macro_string } => {
                    self.lookups += 1;
                    match target(macro_string, domain) {
                        Some(t) => {
                            if let Some(a) = ctx.ask(Query::A(t))
                                && a.is_void()
                            {
                                self.voids += 1;
                            }
                        }
                        None => self.macros = true,
                    }
                }
                Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } | Mechanism::All => {}
            }
        }
        if let Some(r) = &spf.redirect
            && !has_all
        {
            self.lookups += 1;
            match target(r, domain) {
                Some(t) => self.follow(ctx, &t, "redirect"),
                None => self.macros = true,
            }
        }
    }

    /// An include or redirect target: its record, checked and walked.
    fn follow(&mut self, ctx: &mut Ctx<'_>, target: &str, how: &str) {
        if self.path.iter().any(|p| p == target) {
            ctx.find(
                Severity::Error,
                "spf",
                "spf.loop",
                format!("SPF {how}s loop back to {target}: receivers return permerror"),
                format!("remove the {how} of {target} that closes the loop"),
            );
            return;
        }
        if self.path.len() > MAX_DEPTH {
            ctx.find(
                Severity::Error,
                "spf",
                "spf.too_deep",
                format!("SPF {how}s nest more than {MAX_DEPTH} deep at {target}"),
                "flatten the includes",
            );
            return;
        }
        if !self.includes.iter().any(|i| i == target) {
            self.includes.push(target.to_owned());
        }
        let Some(answer) = ctx.ask(Query::Txt(target.to_owned())) else {
            return;
        };
        let records = match answer {
            Answer::Failed(e) => {
                ctx.find(
                    Severity::Warning,
                    "spf",
                    "spf.include_unreachable",
                    format!("the SPF record of {target} ({how}d by yours) could not be read: {e}; receivers that fail the same way return temperror"),
                    format!("check that the name servers of {target} answer"),
                );
                return;
            }
            a => a.records(),
        };
        let spf = versioned(records, "v=spf1");
        if answer.is_void() {
            self.voids += 1;
        }
        match spf.len() {
            0 => {
                ctx.find(
                    Severity::Error,
                    "spf",
                    "spf.include_missing",
                    format!("{how}:{target} points at a name without an SPF record: receivers return permerror (RFC 7208 5.2, 6.1)"),
                    format!("correct the name (a typo?) or remove the {how}"),
                );
            }
            1 => {
                if let Some(parsed) = parse(ctx, spf[0], target, false) {
                    self.path.push(target.to_owned());
                    self.terms(ctx, &parsed, target);
                    self.path.pop();
                }
            }
            n => {
                ctx.find(
                    Severity::Error,
                    "spf",
                    "spf.include_multiple",
                    format!("{target} ({how}d by yours) publishes {n} SPF records: receivers return permerror"),
                    format!("ask the owner of {target} to publish one"),
                );
            }
        }
    }
}

pub(super) fn check(ctx: &mut Ctx<'_>, domain: &str) -> Option<SpfSummary> {
    let answer = ctx.ask(Query::Txt(domain.to_owned()))?;
    if let Answer::Failed(e) = answer {
        ctx.find(
            Severity::Error,
            "spf",
            "spf.unreachable",
            format!("the TXT records of {domain} could not be read: {e}"),
            format!(
                "check that the name servers of {domain} answer (receivers would return temperror)"
            ),
        );
        return None;
    }
    let records = versioned(answer.records(), "v=spf1");
    match records.len() {
        0 => {
            ctx.find(
                Severity::Error,
                "spf",
                "spf.missing",
                format!("{domain} publishes no SPF record: receivers cannot tell your servers from forgers"),
                format!("publish one TXT record at {domain} listing every service that sends as {domain}, e.g. \"v=spf1 mx include:<your provider> -all\"; if {domain} sends no mail, \"v=spf1 -all\""),
            );
            return None;
        }
        1 => {}
        n => {
            ctx.find(
                Severity::Error,
                "spf",
                "spf.multiple",
                format!("{domain} publishes {n} SPF records: receivers return permerror, as if there were none (RFC 7208 4.5)"),
                "merge them into one record and delete the others",
            );
            return None;
        }
    }
    let record = records[0].trim().to_owned();
    let parsed = parse(ctx, &record, domain, true)?;
    if record.len() > 450 {
        ctx.find(
            Severity::Info,
            "spf",
            "spf.long",
            format!("the SPF record is {} characters long; with other TXT records it may not fit a plain UDP answer", record.len()),
            "",
        );
    }
    // Modifiers that may appear once (RFC 7208 6).
    let mods = modifiers(&record);
    for m in ["redirect", "exp"] {
        if mods.iter().filter(|x| *x == m).count() > 1 {
            ctx.find(
                Severity::Error,
                "spf",
                "spf.duplicate_modifier",
                format!("'{m}=' appears more than once: receivers return permerror (RFC 7208 6)"),
                format!("keep a single '{m}='"),
            );
        }
    }
    // The terms themselves.
    let mut all = None;
    let mut seen: Vec<&mail_auth::spf::Directive> = Vec::new();
    let mut after_all = 0;
    for d in parsed.directives.iter() {
        if all.is_some() {
            after_all += 1;
        }
        if d.mechanism == Mechanism::All && all.is_none() {
            all = Some(format!("{}all", qualifier(&d.qualifier)));
        }
        if matches!(d.mechanism, Mechanism::Ptr { .. }) {
            ctx.find(
                Severity::Warning,
                "spf",
                "spf.ptr",
                "the record uses 'ptr', which is slow, unreliable and deprecated (RFC 7208 5.5); many receivers skip it",
                "replace 'ptr' with ip4:/ip6: ranges or 'a'/'include' of the sending hosts",
            );
        }
        if seen.contains(&d) {
            ctx.find(
                Severity::Warning,
                "spf",
                "spf.duplicate",
                "a mechanism appears twice; the second changes nothing but may cost a DNS lookup",
                "remove the repeated mechanism",
            );
        }
        seen.push(d);
    }
    if after_all > 0 {
        ctx.find(
            Severity::Warning,
            "spf",
            "spf.after_all",
            format!("{after_all} mechanism(s) after 'all' are never evaluated"),
            "move them before 'all' if they are meant to authorise senders, else remove them",
        );
    }
    match all.as_deref() {
        Some("+all") => ctx.find(
            Severity::Error,
            "spf",
            "spf.pass_all",
            "'+all' authorises every host on the Internet to send as you",
            "end the record with '-all' (or '~all' while you check your senders)",
        ),
        Some("?all") => ctx.find(
            Severity::Warning,
            "spf",
            "spf.neutral_all",
            "'?all' says nothing about hosts not listed: SPF gives no protection",
            "end the record with '-all' (or '~all' while you check your senders)",
        ),
        Some("~all") => ctx.find(
            Severity::Info,
            "spf",
            "spf.softfail_all",
            "'~all' (softfail): unlisted hosts are suspicious but not refused by SPF alone; DMARC decides",
            "",
        ),
        Some(_) => {}
        None if parsed.redirect.is_none() => ctx.find(
            Severity::Warning,
            "spf",
            "spf.no_all",
            "the record has neither 'all' nor 'redirect=': hosts not listed get 'neutral'",
            "end the record with '-all'",
        ),
        None => {}
    }
    if all.is_some() && parsed.redirect.is_some() {
        ctx.find(
            Severity::Info,
            "spf",
            "spf.redirect_ignored",
            "'redirect=' is ignored because the record has 'all' (RFC 7208 6.1)",
            "",
        );
    }
    let mut walk = Walk {
        lookups: 0,
        voids: 0,
        path: vec![domain.to_owned()],
        includes: Vec::new(),
        macros: false,
    };
    walk.terms(ctx, &parsed, domain);
    if ctx.incomplete() {
        return None;
    }
    if walk.macros {
        ctx.find(
            Severity::Info,
            "spf",
            "spf.macros",
            "some targets use macros (%{...}); their lookups are counted but their records were not checked",
            "",
        );
    }
    if walk.lookups > LOOKUP_LIMIT {
        ctx.find(
            Severity::Error,
            "spf",
            "spf.too_many_lookups",
            format!("evaluating the record takes {} DNS lookups; RFC 7208 4.6.4 allows {LOOKUP_LIMIT}, beyond which receivers return permerror and your mail fails SPF", walk.lookups),
            "remove includes of services you no longer use, replace 'a', 'mx' and 'ptr' with ip4:/ip6: ranges, or move senders to a subdomain with its own record",
        );
    } else if walk.lookups >= LOOKUP_LIMIT - 1 {
        ctx.find(
            Severity::Warning,
            "spf",
            "spf.near_lookup_limit",
            format!("evaluating the record takes {} of the {LOOKUP_LIMIT} DNS lookups allowed; one more include breaks SPF", walk.lookups),
            "make room: drop unused includes or use ip4:/ip6: ranges",
        );
    }
    if walk.voids > VOID_LIMIT {
        ctx.find(
            Severity::Error,
            "spf",
            "spf.too_many_void_lookups",
            format!("{} lookups find no record; RFC 7208 4.6.4 allows {VOID_LIMIT}, beyond which receivers return permerror", walk.voids),
            "remove mechanisms that point at names without records (old hosts, typos)",
        );
    }
    Some(SpfSummary {
        record,
        lookups: walk.lookups,
        void_lookups: walk.voids,
        all,
        includes: walk.includes,
    })
}
