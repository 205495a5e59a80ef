//! DMARC (RFC 7489, with DMARCbis's additions): one record at `_dmarc`,
//! a policy that protects (p, sp, np, pct, t), and report addresses that
//! will actually receive reports, including the authorisation record an
//! external destination must publish (RFC 7489 7.1).

use super::{Answer, Ctx, Query, Severity, normalise, tag_list, versioned};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::dmarc::Dmarc;
use serde::Serialize;

/// The DMARC record of a domain, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcSummary {
    /// Where it was found (`_dmarc.<domain>`, or the organisational domain's).
    pub found_at: String,
    /// The record.
    pub record: String,
    /// `p`.
    pub p: Option<String>,
    /// `sp` (defaults to `p`).
    pub sp: Option<String>,
    /// `np` (DMARCbis).
    pub np: Option<String>,
    /// `pct` (RFC 7489; 100 when absent).
    pub pct: u8,
    /// Aggregate report addresses.
    pub rua: Vec<String>,
    /// Failure report addresses.
    pub ruf: Vec<String>,
}

const KNOWN_TAGS: &[&str] = &[
    "v", "p", "sp", "np", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri", "t", "psd",
];

fn strength(p: &str) -> u8 {
    match p {
        "reject" => 2,
        "quarantine" => 1,
        _ => 0,
    }
}

/// The mailbox domains of `mailto:` URIs in a `rua`/`ruf` value.
fn mailto_domains(ctx: &mut Ctx<'_>, tag: &str, value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for uri in value.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        // An optional size limit follows '!' (RFC 7489 6.2).
        let uri_only = uri.split('!').next().unwrap_or(uri);
        let Some(addr) = uri_only
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("mailto:"))
            .map(|_| &uri_only[7..])
        else {
            ctx.find(
                Severity::Warning,
                "dmarc",
                "dmarc.uri_scheme",
                format!(
                    "{tag}={uri:?} is not a mailto: address; receivers only send reports by mail"
                ),
                format!("use {tag}=mailto:dmarc-reports@<your domain>"),
            );
            continue;
        };
        match addr.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && domain.contains('.') => {
                out.push((addr.to_owned(), normalise(domain)));
            }
            _ => ctx.find(
                Severity::Error,
                "dmarc",
                "dmarc.uri_invalid",
                format!("{tag} address {addr:?} is not an e-mail address: no reports will arrive"),
                format!("use {tag}=mailto:dmarc-reports@<your domain>"),
            ),
        }
    }
    out
}

pub(super) fn check(ctx: &mut Ctx<'_>, domain: &str) -> Option<DmarcSummary> {
    let at = format!("_dmarc.{domain}");
    let answer = ctx.ask(Query::Txt(at.clone()))?;
    if let Answer::Failed(e) = answer {
        ctx.find(
            Severity::Error,
            "dmarc",
            "dmarc.unreachable",
            format!("the TXT records of {at} could not be read: {e}"),
            format!("check that the name servers of {domain} answer"),
        );
        return None;
    }
    let mut found_at = at.clone();
    let mut records: Vec<&str> = versioned(answer.records(), "v=DMARC1");
    if records.is_empty() {
        // A subdomain falls back to its organisational domain's record.
        let org = countersign_model::psl::registrable_domain(domain)
            .map(|d| normalise(&d))
            .filter(|org| org != domain);
        if let Some(org) = org {
            let org_at = format!("_dmarc.{org}");
            let org_answer = ctx.ask(Query::Txt(org_at.clone()))?;
            let org_records = versioned(org_answer.records(), "v=DMARC1");
            if org_records.len() == 1 {
                ctx.find(
                    Severity::Info,
                    "dmarc",
                    "dmarc.inherited",
                    format!("{domain} has no record of its own; receivers apply {org}'s (its sp= policy)"),
                    "",
                );
                found_at = org_at;
                records = org_records;
            }
        }
    }
    match records.len() {
        0 => {
            ctx.find(
                Severity::Error,
                "dmarc",
                "dmarc.missing",
                format!("{domain} publishes no DMARC record: receivers apply no policy to mail forged in its name, and you get no reports"),
                format!("publish a TXT record at _dmarc.{domain}: \"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}\", then tighten p= as the reports show your senders aligned"),
            );
            return None;
        }
        1 => {}
        n => {
            ctx.find(
                Severity::Error,
                "dmarc",
                "dmarc.multiple",
                format!(
                    "{found_at} holds {n} DMARC records: receivers then apply none (RFC 7489 6.6.3)"
                ),
                "keep a single v=DMARC1 record",
            );
            return None;
        }
    }
    let record = records[0].trim().to_owned();
    let (tags, bad) = tag_list(&record);
    for b in bad {
        ctx.find(
            Severity::Warning,
            "dmarc",
            "dmarc.malformed_tag",
            format!("{b:?} is not a tag=value pair and is ignored"),
            "write each setting as tag=value, separated by ';'",
        );
    }
    if tags.first().is_none_or(|(t, v)| t != "v" || v != "DMARC1") {
        ctx.find(
            Severity::Error,
            "dmarc",
            "dmarc.version",
            "the record must begin with exactly \"v=DMARC1\" (RFC 7489 6.4)",
            "start the record with v=DMARC1;",
        );
    }
    if Dmarc::parse(record.as_bytes()).is_err() {
        ctx.find(
            Severity::Error,
            "dmarc",
            "dmarc.syntax",
            "the record does not parse (mail-auth, Countersign's verifier, refuses it); receivers that agree apply no policy",
            "check each tag against RFC 7489 6.3",
        );
    }
    let get = |name: &str| -> Option<&str> {
        tags.iter()
            .find(|(t, _)| t == name)
            .map(|(_, v)| v.as_str())
    };
    for (i, (t, _)) in tags.iter().enumerate() {
        if !KNOWN_TAGS.contains(&t.as_str()) {
            ctx.find(
                Severity::Warning,
                "dmarc",
                "dmarc.unknown_tag",
                format!("unknown tag {t:?} is ignored (a typo?)"),
                format!("valid tags: {}", KNOWN_TAGS.join(", ")),
            );
        } else if tags[..i].iter().any(|(u, _)| u == t) {
            ctx.find(
                Severity::Warning,
                "dmarc",
                "dmarc.duplicate_tag",
                format!("tag {t:?} appears more than once"),
                "keep one",
            );
        }
    }
    let policy = |ctx: &mut Ctx<'_>, tag: &str| -> Option<String> {
        let v = get(tag)?.to_ascii_lowercase();
        if ["none", "quarantine", "reject"].contains(&v.as_str()) {
            Some(v)
        } else {
            ctx.find(
                Severity::Error,
                "dmarc",
                "dmarc.bad_policy",
                format!("{tag}={v:?} is not none, quarantine or reject"),
                format!("set {tag}=none, quarantine or reject"),
            );
            None
        }
    };
    let p = policy(ctx, "p");
    let sp = policy(ctx, "sp");
    let np = policy(ctx, "np");
    let pct = match get("pct") {
        None => 100,
        Some(v) => match v.parse::<u8>() {
            Ok(n) if n <= 100 => n,
            _ => {
                ctx.find(
                    Severity::Error,
                    "dmarc",
                    "dmarc.bad_pct",
                    format!("pct={v:?} is not a number from 0 to 100"),
                    "remove pct= (100 is the default) or set it to 0-100",
                );
                100
            }
        },
    };
    match p.as_deref() {
        None if get("p").is_none() => ctx.find(
            Severity::Error,
            "dmarc",
            "dmarc.no_policy",
            "the record has no p= policy",
            "add p=none to start monitoring, then quarantine, then reject",
        ),
        Some("none") => ctx.find(
            Severity::Warning,
            "dmarc",
            "dmarc.policy_none",
            format!("p=none: mail that fails DMARC is delivered as usual, so anyone can still send as {domain}"),
            "once the aggregate reports show every legitimate sender aligned, move to p=quarantine, then p=reject",
        ),
        Some("quarantine") => ctx.find(
            Severity::Info,
            "dmarc",
            "dmarc.policy_quarantine",
            "p=quarantine: forged mail lands in spam folders, not refused",
            "",
        ),
        _ => {}
    }
    let effective_p = p.as_deref().unwrap_or("none");
    if let Some(sp) = &sp
        && strength(sp) < strength(effective_p)
    {
        ctx.find(
            Severity::Warning,
            "dmarc",
            "dmarc.weaker_subdomains",
            format!("sp={sp} is weaker than p={effective_p}: attackers can send from invented subdomains of {domain}"),
            format!("set sp={effective_p} or remove sp="),
        );
    }
    if let Some(np) = &np
        && strength(np) < strength(sp.as_deref().unwrap_or(effective_p))
    {
        ctx.find(
            Severity::Warning,
            "dmarc",
            "dmarc.weaker_nonexistent",
            format!("np={np} is weaker than the subdomain policy: mail from subdomains that do not exist is treated more leniently"),
            "set np=reject: no one should send from a name that does not exist",
        );
    }
    if pct < 100 && strength(effective_p) > 0 {
        ctx.find(
            Severity::Warning,
            "dmarc",
            "dmarc.partial_pct",
            format!("pct={pct}: the policy is applied to {pct}% of failing mail only, the rest is treated one step more leniently"),
            "raise pct to 100 once the reports look right",
        );
    }
    if get("t").is_some_and(|t| t.eq_ignore_ascii_case("y")) {
        ctx.find(
            Severity::Warning,
            "dmarc",
            "dmarc.testing",
            "t=y: the policy is in test mode, receivers apply one step less",
            "remove t=y once the reports look right",
        );
    }
    for tag in ["adkim", "aspf"] {
        if let Some(v) = get(tag)
            && !v.eq_ignore_ascii_case("r")
            && !v.eq_ignore_ascii_case("s")
        {
            ctx.find(
                Severity::Warning,
                "dmarc",
                "dmarc.bad_alignment",
                format!("{tag}={v:?} is neither r (relaxed) nor s (strict); relaxed applies"),
                format!("set {tag}=r or {tag}=s"),
            );
        }
    }
    if let Some(fo) = get("fo")
        && !fo
            .split(':')
            .all(|o| ["0", "1", "d", "s"].contains(&o.trim()))
    {
        ctx.find(
            Severity::Warning,
            "dmarc",
            "dmarc.bad_fo",
            format!("fo={fo:?} holds options other than 0, 1, d and s"),
            "use fo=0, 1, d or s, separated by ':'",
        );
    }
    // Report destinations.
    let rua = get("rua")
        .map(|v| mailto_domains(ctx, "rua", v))
        .unwrap_or_default();
    let ruf = get("ruf")
        .map(|v| mailto_domains(ctx, "ruf", v))
        .unwrap_or_default();
    if get("rua").is_none() {
        ctx.find(
            Severity::Warning,
            "dmarc",
            "dmarc.no_rua",
            format!("no rua=: receivers send no aggregate reports, so you cannot see who sends as {domain}"),
            format!("add rua=mailto:dmarc-reports@{domain} and ingest the reports with `countersign dmarc ingest`"),
        );
    }
    if !ruf.is_empty() {
        ctx.find(
            Severity::Info,
            "dmarc",
            "dmarc.ruf",
            "ruf= asks for failure reports; few receivers send them, and they carry message content",
            "",
        );
    }
    // RFC 7489 7.1: a destination outside the domain's organisational
    // domain must authorise the reports.
    let own_org = countersign_model::psl::registrable_domain(domain).map(|d| normalise(&d));
    let policy_domain = found_at.trim_start_matches("_dmarc.").to_owned();
    let mut checked = Vec::new();
    for (tag, list) in [("rua", &rua), ("ruf", &ruf)] {
        for (addr, dest) in list.iter() {
            let dest_org = countersign_model::psl::registrable_domain(dest).map(|d| normalise(&d));
            if dest_org.is_some() && dest_org == own_org {
                continue;
            }
            if checked.contains(dest) {
                continue;
            }
            checked.push(dest.clone());
            let name = format!("{policy_domain}._report._dmarc.{dest}");
            let Some(answer) = ctx.ask(Query::Txt(name.clone())) else {
                continue;
            };
            match answer {
                Answer::Failed(e) => ctx.find(
                    Severity::Warning,
                    "dmarc",
                    "dmarc.external_unknown",
                    format!("could not read {name} to see whether {dest} accepts reports for {policy_domain}: {e}"),
                    format!("check that the name servers of {dest} answer"),
                ),
                a if versioned(a.records(), "v=DMARC1").is_empty() => ctx.find(
                    Severity::Error,
                    "dmarc",
                    "dmarc.external_unauthorised",
                    format!("{tag} sends reports to {addr}, outside {policy_domain}, but {dest} does not authorise them: receivers will not send these reports (RFC 7489 7.1)"),
                    format!("ask the operator of {dest} to publish TXT \"v=DMARC1\" at {name}, or use an address under {policy_domain}"),
                ),
                _ => {}
            }
        }
    }
    Some(DmarcSummary {
        found_at,
        record,
        p,
        sp,
        np,
        pct,
        rua: rua.into_iter().map(|(a, _)| a).collect(),
        ruf: ruf.into_iter().map(|(a, _)| a).collect(),
    })
}
