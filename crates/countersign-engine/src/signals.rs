//! Findings, each named by a policy signal (`countersign_policy::signals`).
//! One function per family; `collect` runs them all. Every finding carries
//! a sentence for the analyst and the evidence behind it.

use crate::identities::{ClaimKind, Identities, OrgClaim, claim_words, registrable};
use crate::introduction::{
    OPENING_WINDOW, from_it_department, introductions, names_only_of, presents,
};
use crate::people::PersonRole;
use crate::relay::relays_for_it;
use countersign_lookalike::brand_owning;
use countersign_model::auth::{AuthReport, AuthResult, DkimCheck, DmarcCheck, MessageDefect};
use countersign_model::verdict::Finding;
use countersign_risk::{MessageContent, RiskAssessment, RiskCategory, RiskFinding};

fn finding(signal: &str, summary: impl Into<String>, evidence: impl Into<String>) -> Finding {
    Finding {
        signal: signal.to_string(),
        summary: summary.into(),
        evidence: evidence.into(),
        target: None,
    }
}

/// A finding that names the identity it imitates.
/// The display name's claim names someone in particular (an organisation,
/// a vendor, a brand, an authority, a protected address), not only a role
/// ("IT Help Desk") another company's staff may honestly carry.
fn named_claim(named: &str) -> Finding {
    finding(
        "impersonation.named_claim",
        format!("the display name names {named}"),
        named.to_owned(),
    )
}

fn aimed(mut f: Finding, target: String) -> Finding {
    f.target = Some(target);
    f
}

/// The identity a lookalike imitates, from the owner it was protected for
/// (`Acme (organisation)`, `Contoso (vendor contoso)`, `Microsoft
/// (well-known brand)`), named as the other findings name it.
fn owner_identity(owner: &str) -> String {
    if let Some(name) = owner.strip_suffix(" (well-known brand)") {
        return format!("{name} (brand)");
    }
    if let Some((name, rest)) = owner.rsplit_once(" (vendor ")
        && rest.ends_with(')')
    {
        return format!("{name} (vendor)");
    }
    owner.to_owned()
}

/// The identity an organisation claim names.
fn claim_identity(claim: &crate::identities::OrgClaim) -> String {
    match claim.kind {
        ClaimKind::Organisation => claim
            .shown
            .strip_suffix(" (the organisation)")
            .map_or_else(|| claim.shown.clone(), |n| format!("{n} (organisation)")),
        ClaimKind::Brand => format!("{} (brand)", claim.shown),
        ClaimKind::Vendor | ClaimKind::Authority => claim.shown.clone(),
    }
}

/// The organisation or vendor whose protected domain `domain` is.
fn protected_domain_identity(ids: &Identities, domain: &str) -> Option<String> {
    let reg = registrable(domain);
    if let Some(v) = ids.vendors_by_domain.get(&reg) {
        return Some(format!("{} (vendor)", v.name));
    }
    if ids.org_domains.contains(&reg) {
        return ids
            .claims
            .iter()
            .find(|c| c.kind == ClaimKind::Organisation)
            .map(claim_identity);
    }
    None
}

/// The identity a person claim names.
fn person_identity(person: &crate::people::Person) -> String {
    match &person.role {
        PersonRole::Employee => format!("{} (employee)", person.name),
        PersonRole::ItStaff { .. } => format!("{} (IT staff)", person.name),
        PersonRole::VendorContact { vendor } => {
            format!("{} (contact of {vendor})", person.name)
        }
    }
}

fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .unwrap_or_default()
}

/// Every finding about one message, in a stable order. `raw` is the message
/// as received, when known (see [`unsigned_body`]).
pub(crate) fn collect(
    ids: &Identities,
    auth: &AuthReport,
    content: &MessageContent,
    risk: &RiskAssessment,
    mail_from: &str,
    raw: Option<&[u8]>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    message_defects(auth, content, &mut out);
    let authenticated = authentication(ids, auth, content, &mut out);
    unsigned_body(auth, content, raw, &mut out);
    links(ids, auth, content, authenticated, &mut out);
    sender(ids, content, authenticated, mail_from.is_empty(), &mut out);
    lookalikes(ids, auth, content, mail_from, &mut out);
    display_name(ids, content, authenticated, &mut out);
    self_introduction(ids, content, authenticated, &mut out);
    brand_claim_link(ids, content, &mut out);
    prefilled_link(ids, content, &mut out);
    active_page(content, &mut out);
    // A lookalike's own pages are the trap, however "usual" they are said
    // to be.
    let imitated = out.iter().any(|f| {
        f.signal == "impersonation.lookalike_domain" || f.signal == "impersonation.link_lookalike"
    });
    requests(
        risk,
        |hit| {
            !imitated && usual_page(ids, content, authenticated, hit)
                || directory_number_to_call(ids, hit)
        },
        &mut out,
    );
    support_claimed(content, &mut out);
    // `lure.callback_brand` (below) qualifies a callback lure the umbrella
    // already holds.
    umbrellas(&mut out);
    callback_brand(ids, content, risk, &mut out);
    delivery_report(content, risk, mail_from.is_empty(), &mut out);
    mailing_list(content, &mut out);
    trusted_list(ids, auth, content, &mut out);
    out
}

/// Someone who is not our IT claims to be IT or support (a sign-off, a
/// self-introduction, a role from free mail, a staff member's name) and
/// asks for what a help desk would need: a remote session, a password, a
/// code or an install. That is fake technical support, whatever the text
/// offers; the text alone cannot tell, since our own IT asks the same.
fn support_claimed(content: &MessageContent, out: &mut Vec<Finding>) {
    const CLAIMS: &[&str] = &[
        "impersonation.signature",
        "impersonation.self_introduction",
        "impersonation.free_mail_role",
        "impersonation.relays_it",
        "impersonation.staff_name",
    ];
    const SUPPORT_ASKS: &[&str] = &[
        "request.remote_access",
        "request.credential_reset",
        "request.mfa_reset",
        "request.software_install",
    ];
    if out.iter().any(|f| f.signal == "lure.fake_tech_support") {
        return;
    }
    // A display name found to be someone else's ("Soporte TI Kestrel"
    // from a free mailbox, "Acme Service Desk" from a lookalike) that
    // names support claims it too.
    let support_name = content
        .from
        .as_ref()
        .and_then(|f| f.name.as_deref())
        .is_some_and(|name| Identities::claims_it_support(name, true).is_some());
    let Some(claim) = out.iter().find(|f| {
        CLAIMS.contains(&f.signal.as_str())
            || support_name && f.signal == "impersonation.display_name"
    }) else {
        return;
    };
    let Some(ask) = out
        .iter()
        .find(|f| SUPPORT_ASKS.contains(&f.signal.as_str()))
    else {
        return;
    };
    let evidence = format!(
        "{} ({}); {} ({})",
        claim.evidence, claim.signal, ask.evidence, ask.signal
    );
    out.push(finding(
        "lure.fake_tech_support",
        RiskCategory::FakeTechSupport.description(),
        evidence,
    ));
}

/// Mail a list server passed on (RFC 2919 `List-Id`, RFC 2369 `List-*`
/// addresses, the older `Mailing-List`, `Precedence: list`): a discussion
/// among many, whose "please update" is advice to all, not an ask of us.
/// Anyone can write those headers, so it clears nothing by itself.
fn mailing_list(content: &MessageContent, out: &mut Vec<Finding>) {
    let list = &content.list;
    if !list.is_list() {
        return;
    }
    let evidence = list
        .id
        .clone()
        .or_else(|| list.addresses.first().cloned())
        .unwrap_or_else(|| "Precedence: list".to_owned());
    out.push(finding(
        "message.mailing_list",
        "passed on by a mailing list",
        evidence,
    ));
}

/// A post of a mailing list the directory trusts (a forwarder), signed by
/// the list itself: what it asks, it asks of every member, as advice or
/// as a warning quoting what attackers ask, not of us. Only the list's own
/// valid signature shows the list passed it on.
fn trusted_list(
    ids: &Identities,
    auth: &AuthReport,
    content: &MessageContent,
    out: &mut Vec<Finding>,
) {
    let Some(list_id) = content.list.id.as_deref() else {
        return;
    };
    let list_domain = registrable(list_id);
    if !ids.forwarders.iter().any(|f| registrable(f) == list_domain) {
        return;
    }
    if let Some(d) = auth
        .dkim
        .iter()
        .find(|d| d.result == AuthResult::Pass && registrable(&d.domain) == list_domain)
    {
        out.push(finding(
            "message.trusted_list",
            "posted to a mailing list the directory trusts, and signed by it",
            format!("list {list_id}, signed by {}", d.domain),
        ));
    }
}

/// A delivery status notification (a bounce): null envelope sender, written
/// by a mail system (`Auto-Submitted`, a `message/delivery-status` part, or
/// the mailer-daemon's address), with no link, request, lure or file of its
/// own. Many mail systems neither sign nor publish SPF for their bounces, so
/// genuine ones fail DMARC; one that links or asks for something is not
/// this signal, whatever it looks like.
fn delivery_report(
    content: &MessageContent,
    risk: &RiskAssessment,
    null_sender: bool,
    out: &mut Vec<Finding>,
) {
    if !null_sender {
        return;
    }
    let from = content
        .from
        .as_ref()
        .and_then(|m| m.address.as_deref())
        .unwrap_or("")
        .to_ascii_lowercase();
    let local = from.rsplit_once('@').map_or("", |(l, _)| l);
    let daemon = matches!(local, "mailer-daemon" | "postmaster");
    let auto = content
        .list
        .auto_submitted
        .as_deref()
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    let report_part = content
        .attachments
        .iter()
        .any(|a| a.content_type == "message/delivery-status");
    // What a report may carry besides its text: the status and the
    // returned message or its headers.
    let only_returned = content.attachments.iter().all(|a| {
        matches!(
            a.content_type.as_str(),
            "message/delivery-status"
                | "message/global-delivery-status"
                | "message/rfc822"
                | "message/global"
                | "text/rfc822-headers"
                | "message/global-headers"
        )
    });
    if !(daemon || auto || report_part)
        || !content.link_domains.is_empty()
        || !only_returned
        || risk.high_risk
        || !risk.lures.is_empty()
    {
        return;
    }
    out.push(finding(
        "message.delivery_report",
        "a delivery report from a mail system: null sender, no link, no request, no file",
        if from.is_empty() {
            "<>".to_owned()
        } else {
            from
        },
    ));
}

fn message_defects(auth: &AuthReport, content: &MessageContent, out: &mut Vec<Finding>) {
    let mut bounds = Vec::new();
    for defect in &auth.errors {
        let signal = match defect {
            MessageDefect::Unparsable { .. } => "message.unparsable",
            MessageDefect::ForgedAuthenticationResults { .. } => "message.forged_auth_results",
            MessageDefect::WorkBound(hit) => {
                bounds.push(hit);
                continue;
            }
            _ => "message.defect",
        };
        out.push(finding(signal, defect.to_string(), ""));
    }
    // Every bound hit in one finding, so the verdict's reason names them all.
    bounds.extend(&content.work_bounds);
    if !bounds.is_empty() {
        out.push(finding(
            "message.work_bound",
            bounds
                .iter()
                .map(|hit| hit.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            bounds
                .iter()
                .map(|hit| hit.bound.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if let Some(reported) = &content.reported {
        out.push(finding(
            "content.reported_message",
            "the writer reports a forwarded or attached message as suspicious; what it asks is not read as the writer's request",
            format!("'{}'", reported.doubt),
        ));
    }
    if let Some(defect) = content.defects.first() {
        out.push(finding(
            "content.broken_mime",
            "part of the message could not be decoded",
            defect.clone(),
        ));
    }
}

/// Links whose visible text names one domain and whose target is another.
///
/// Not the sender's own tracked links: an email service provider rewrites
/// every link of a newsletter through its click-tracking host, so a link
/// that shows the authenticated sender's own domain and leads to the
/// infrastructure that sent this very message (a DKIM signer or the SPF
/// domain, or another domain of the same provider) is the sender's. Nor a
/// link between two domains of one well-known brand (`paypal.com` shown,
/// `paypal.me` linked).
///
/// A link that shows a protected party's or a well-known brand's domain
/// and leads elsewhere, not through the message's own sending
/// infrastructure, borrows that name: `impersonation.link_text`.
fn links(
    ids: &Identities,
    auth: &AuthReport,
    content: &MessageContent,
    authenticated: bool,
    out: &mut Vec<Finding>,
) {
    if content.link_mismatches.is_empty() {
        return;
    }
    let from_reg = content
        .from
        .as_ref()
        .and_then(|m| m.address.as_deref())
        .map(|a| registrable(domain_of(a)))
        .unwrap_or_default();
    let senders: Vec<String> = auth
        .dkim
        .iter()
        .filter(|d| d.result == AuthResult::Pass)
        .map(|d| registrable(&d.domain))
        .chain((auth.spf.result == AuthResult::Pass).then(|| registrable(&auth.spf.domain)))
        .collect();
    let infrastructure = |target: &str| {
        senders.iter().any(|s| s == target)
            || brand_owning(target).is_some_and(|provider| senders.iter().any(|s| provider.owns(s)))
    };
    let mut mismatch_reported = false;
    for mismatch in &content.link_mismatches {
        let (visible, target) = (
            registrable(&mismatch.visible),
            registrable(&mismatch.target),
        );
        if visible == target {
            continue;
        }
        let visible_brand = brand_owning(&visible);
        if visible_brand.is_some_and(|b| b.owns(&target)) {
            continue;
        }
        let tracked = infrastructure(&target);
        if authenticated && !from_reg.is_empty() && visible == from_reg && tracked {
            continue;
        }
        let named = ids.is_protected_domain(&visible) || visible_brand.is_some();
        if named && !tracked && !ids.is_protected_domain(&target) {
            out.push(finding(
                "impersonation.link_text",
                format!(
                    "a link shows {} but leads to {}",
                    mismatch.visible, mismatch.target
                ),
                format!("shows {}, leads to {}", mismatch.visible, mismatch.target),
            ));
        }
        if !mismatch_reported {
            out.push(finding(
                "content.link_text_mismatch",
                "a link shows one domain and leads to another",
                format!("shows {}, leads to {}", mismatch.visible, mismatch.target),
            ));
            mismatch_reported = true;
        }
        if named && !tracked {
            break;
        }
    }
}

/// True when the From domain is authenticated: DMARC passed, or (no DMARC
/// policy) an aligned DKIM or SPF pass exists.
fn from_authenticated(auth: &AuthReport) -> bool {
    let from = registrable(&auth.dmarc.from_domain);
    match auth.dmarc.result {
        AuthResult::Pass => true,
        AuthResult::None => {
            auth.dkim
                .iter()
                .any(|d| d.result == AuthResult::Pass && registrable(&d.domain) == from)
                || (auth.spf.result == AuthResult::Pass && registrable(&auth.spf.domain) == from)
        }
        _ => false,
    }
}

/// A trusted forwarder's valid ARC chain whose first hop saw a pass for the
/// From domain (RFC 8617 section 7.2's use case; rspamd issue 2246).
fn forwarded_by_trusted(ids: &Identities, auth: &AuthReport) -> Option<String> {
    if auth.arc.result != AuthResult::Pass {
        return None;
    }
    // The directory names a list's host ("lists.example.org"); its seal
    // signs with the organisation's domain (d=example.org), whose key the
    // same organisation holds.
    let sealer = auth.arc.sealers.iter().rev().find(|s| {
        ids.forwarders.contains(s.as_str())
            || ids
                .forwarders
                .iter()
                .any(|f| registrable(f) == registrable(s.as_str()))
    })?;
    let upstream = auth.arc.upstream_results.as_deref()?.to_ascii_lowercase();
    let from = registrable(&auth.dmarc.from_domain);
    let vouches = upstream.split(';').any(|clause| {
        let clause = clause.trim();
        let passed = clause.starts_with("dmarc=pass")
            || clause.starts_with("dkim=pass")
            || clause.starts_with("spf=pass");
        passed
            && clause.split_whitespace().any(|prop| {
                prop.split_once('=').is_some_and(|(k, v)| {
                    matches!(k, "header.from" | "header.d" | "header.i" | "smtp.mailfrom")
                        && registrable(v.rsplit_once('@').map_or(v, |(_, domain)| domain)) == from
                })
            })
    });
    vouches.then(|| format!("sealed by {sealer}: {upstream}"))
}

/// A post that a trusted mailing list (a forwarder of the directory)
/// re-signed: lists add subject tags and footers, so an outside author's
/// own signature breaks and DMARC fails without any spoofing. The list's
/// valid signature and its `List-Id` in the same domain show who passed it
/// on. It vouches for nothing upstream, so an author in a protected domain
/// (ours, a vendor's) is left to the spoofing rules.
fn resigned_by_trusted_list(
    ids: &Identities,
    auth: &AuthReport,
    content: &MessageContent,
) -> Option<String> {
    let list_id = content.list.id.as_deref()?;
    if ids.is_protected_domain(&auth.dmarc.from_domain) {
        return None;
    }
    let list_domain = registrable(list_id);
    if !ids.forwarders.iter().any(|f| registrable(f) == list_domain) {
        return None;
    }
    auth.dkim
        .iter()
        .find(|d| d.result == AuthResult::Pass && registrable(&d.domain) == list_domain)
        .map(|d| format!("signed by {} for list {list_id}", d.domain))
}

fn authentication(
    ids: &Identities,
    auth: &AuthReport,
    content: &MessageContent,
    out: &mut Vec<Finding>,
) -> bool {
    if auth.dmarc.result == AuthResult::Fail
        && let Some(evidence) = resigned_by_trusted_list(ids, auth, content)
    {
        out.push(finding(
            "auth.list_resigned",
            "a trusted mailing list re-signed the post; lists break their authors' signatures",
            evidence,
        ));
    }
    let forwarded = forwarded_by_trusted(ids, auth);
    if let Some(evidence) = &forwarded {
        out.push(finding(
            "auth.forwarded_trusted",
            "a trusted forwarder vouches that the original message authenticated",
            evidence.clone(),
        ));
    }
    for dmarc in auth.dmarc_all() {
        match dmarc.result {
            AuthResult::Fail => {
                out.push(finding(
                    "auth.dmarc_fail",
                    format!("DMARC failed for {}", dmarc.from_domain),
                    dmarc.reason.clone().unwrap_or_default(),
                ));
                if dmarc.policy == "quarantine" || dmarc.policy == "reject" {
                    out.push(finding(
                        "auth.dmarc_enforced",
                        format!("{} publishes p={}", dmarc.from_domain, dmarc.policy),
                        "",
                    ));
                }
            }
            AuthResult::TempError => out.push(finding(
                "auth.temperror",
                format!("DMARC for {} could not be evaluated", dmarc.from_domain),
                dmarc.reason.clone().unwrap_or_default(),
            )),
            _ => {}
        }
    }
    if auth.spf.result == AuthResult::TempError
        || auth.dkim.iter().any(|d| d.result == AuthResult::TempError)
    {
        out.push(finding(
            "auth.temperror",
            "a DNS lookup timed out or failed",
            format!("spf={}", auth.spf.result),
        ));
    }
    let authenticated = from_authenticated(auth);
    for dmarc in auth.dmarc_all() {
        if ids.is_protected_domain(&dmarc.from_domain)
            && !(authenticated && dmarc.result != AuthResult::Fail)
        {
            let spoofed = finding(
                "auth.protected_domain_spoofed",
                format!(
                    "mail in the name of protected domain {} is not authenticated",
                    dmarc.from_domain
                ),
                format!(
                    "dmarc={} spf={} ({}) dkim={}",
                    dmarc.result,
                    auth.spf.result,
                    auth.spf.domain,
                    if auth.dkim.is_empty() {
                        "none".to_string()
                    } else {
                        auth.dkim
                            .iter()
                            .map(|d| format!("{}:{}", d.domain, d.result))
                            .collect::<Vec<_>>()
                            .join(",")
                    }
                ),
            );
            out.push(match protected_domain_identity(ids, &dmarc.from_domain) {
                Some(target) => aimed(spoofed, target),
                None => spoofed,
            });
        }
    }
    authenticated
}

/// DKIM signatures that cover only part of the body (`l=`): each passing one
/// with bytes after its signed length is pointed out; when an author
/// domain's authentication rests on such signatures alone (no aligned SPF
/// pass, no aligned signature over the whole body) and the unsigned part adds
/// text, links or attachments, that is the replay of a signed message with
/// content appended.
fn unsigned_body(
    auth: &AuthReport,
    content: &MessageContent,
    raw: Option<&[u8]>,
    out: &mut Vec<Finding>,
) {
    let partial = |d: &&DkimCheck| d.result == AuthResult::Pass && d.unsigned_body_bytes > 0;
    for dkim in auth.dkim.iter().filter(partial) {
        out.push(finding(
            "auth.dkim_unsigned_body",
            format!(
                "a passing DKIM signature of {} covers only part of the body: {} bytes were added after the signed length",
                dkim.domain, dkim.unsigned_body_bytes
            ),
            format!(
                "d={} s={} l={}",
                dkim.domain,
                dkim.selector,
                dkim.body_length.unwrap_or_default()
            ),
        ));
    }
    if !auth.dkim.iter().any(|d| partial(&d)) {
        return;
    }
    // The author domain whose authentication rests on partial signatures
    // only, and the fewest bytes any of them leaves unsigned (past those,
    // no signature speaks for the content).
    let Some((dmarc, unsigned)) = auth
        .dmarc_all()
        .find_map(|dmarc| relies_on_partial_signatures(auth, dmarc).map(|n| (dmarc, n)))
    else {
        return;
    };
    let added = match raw {
        Some(raw) => added_content(raw, unsigned, content),
        // Without the message the unsigned part cannot be read: assume the worst.
        None => Some("content that could not be examined".to_string()),
    };
    if let Some(added) = added {
        out.push(finding(
            "auth.unsigned_body_content",
            format!(
                "{} is authenticated only by DKIM signatures that leave the last {unsigned} bytes of the body unsigned, and they add {added}",
                dmarc.from_domain
            ),
            added,
        ));
    }
}

/// When `dmarc`'s author domain is authenticated (DMARC pass, or without a
/// DMARC record an aligned pass) only through passing DKIM signatures with
/// unsigned bytes, the fewest unsigned bytes among those aligned ones.
fn relies_on_partial_signatures(auth: &AuthReport, dmarc: &DmarcCheck) -> Option<u64> {
    let from = registrable(&dmarc.from_domain);
    if from.is_empty() {
        return None;
    }
    let aligned_spf = match dmarc.result {
        AuthResult::Pass => dmarc.spf_aligned,
        AuthResult::None => {
            auth.spf.result == AuthResult::Pass && registrable(&auth.spf.domain) == from
        }
        _ => return None,
    };
    let aligned = || {
        auth.dkim
            .iter()
            .filter(|d| d.result == AuthResult::Pass && registrable(&d.domain) == from)
    };
    if aligned_spf || aligned().any(|d| d.unsigned_body_bytes == 0) {
        return None;
    }
    aligned().map(|d| d.unsigned_body_bytes).min()
}

/// What the last `unsigned` bytes of `raw` add to what a reader sees, in
/// words, or `None` when they add nothing visible (whitespace, a MIME
/// epilogue). Compares the content of the signed part alone with `content`.
fn added_content(raw: &[u8], unsigned: u64, content: &MessageContent) -> Option<String> {
    let cut = raw
        .len()
        .saturating_sub(usize::try_from(unsigned).unwrap_or(usize::MAX));
    let signed = MessageContent::parse(&raw[..cut]);
    let mut added = Vec::new();
    let new_links: Vec<&str> = content
        .link_domains
        .iter()
        .filter(|d| !signed.link_domains.contains(d))
        .map(String::as_str)
        .collect();
    if !new_links.is_empty() {
        added.push(format!("links to {}", new_links.join(", ")));
    }
    let visible = |c: &MessageContent| -> usize {
        c.shown_parts()
            .map(|t| t.chars().filter(|ch| !ch.is_whitespace()).count())
            .sum()
    };
    let (before, after) = (visible(&signed), visible(content));
    if after > before {
        added.push(format!("{} characters of text", after - before));
    }
    if content.attachments.len() > signed.attachments.len() {
        added.push(format!(
            "{} attachments",
            content.attachments.len() - signed.attachments.len()
        ));
    }
    (!added.is_empty()).then(|| added.join(", "))
}

/// Local parts of addresses no person writes from: automated senders
/// (`no-reply@`, `newsletter@`, `notifications@`, `invoices@`). Mailboxes
/// people answer (`support@`, `sales@`, `security@`) are not among them: a
/// person there asking for something risky is an unapproved contact.
const ROLE_MAILBOXES: &[&str] = &[
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "do_not_reply",
    "notifications",
    "notification",
    "notify",
    "alerts",
    "alert",
    "news",
    "newsletter",
    "newsletters",
    "updates",
    "update",
    "marketing",
    "mailer",
    "mailer-daemon",
    "postmaster",
    "billing",
    "invoices",
    "invoice",
    "statements",
    "system",
    "automated",
    "auto",
    "bounce",
    "bounces",
    "events",
    "webinars",
    "digest",
    "status",
    "releases",
    "release-notes",
    "announcements",
    "reports",
    "reminders",
    "communications",
    "comms",
    "tickets",
    "ticket",
    "feedback",
    "survey",
    "surveys",
    "academy",
    "training",
    "learning",
    "product-updates",
    "receipts",
    "orders",
    // German, French, Spanish.
    "rechnung",
    "rechnungen",
    "benachrichtigung",
    "mitteilung",
    "neuigkeiten",
    "factures",
    "facture",
    "facturation",
    "actualites",
    "nouvelles",
    "factura",
    "facturas",
    "facturacion",
    "noticias",
    "notificaciones",
    "notificacion",
];

/// Whether the local part names a role or an automated sender: a listed
/// word, or one of them followed by digits or a separator (`no-reply-2847`,
/// `news.eu`).
fn is_role_mailbox(local: &str) -> bool {
    let local = local.to_ascii_lowercase();
    ROLE_MAILBOXES.iter().any(|role| {
        local == *role
            || local.strip_prefix(role).is_some_and(|rest| {
                rest.starts_with(['-', '_', '.', '+']) || rest.bytes().all(|b| b.is_ascii_digit())
            })
    })
}

/// Words of a free-mail local part by which it poses as an organisation's
/// mailbox: organisations send notices, invoices and support from their
/// own domains, not from a free mailbox (`paypal.service.de@`,
/// `bank-info@`, `notificaciones.envios@`). Also matched at the start or
/// end of a longer word (`applesupport`, `m365support`).
const FREE_MAIL_ROLES: &[&str] = &[
    "support",
    "service",
    "services",
    "info",
    "noreply",
    "notification",
    "notifications",
    "notify",
    "alerts",
    "alert",
    "billing",
    "invoice",
    "invoices",
    "security",
    "helpdesk",
    "servicedesk",
    "admin",
    "administrator",
    "team",
    "verify",
    "verification",
    "account",
    "accounts",
    "customer",
    "customerservice",
    "payroll",
    "refund",
    "refunds",
    "delivery",
    "tracking",
    "kundenservice",
    "kundendienst",
    "rechnung",
    "rechnungen",
    "konto",
    "sicherheit",
    "benachrichtigung",
    "notificacion",
    "notificaciones",
    "soporte",
    "factura",
    "facturas",
    "cuenta",
    "seguridad",
    "facture",
    "factures",
    "compte",
    "securite",
    "assistance",
    "informatique",
    "reservations",
    "recruitment",
    "recruiting",
    "hr",
    "rrhh",
];

fn free_mail_role(local: &str) -> Option<&'static str> {
    local
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .find_map(|word| {
            let word = word.to_ascii_lowercase();
            FREE_MAIL_ROLES.iter().copied().find(|role| {
                word == *role
                    || (role.len() >= 6 && (word.starts_with(role) || word.ends_with(role)))
            })
        })
}

/// Words of the local parts of the organisation's own IT mailboxes
/// (`it@`, `it-announce@`, `servicedesk@`, `helpdesk.emea@`).
const IT_MAILBOX_WORDS: &[&str] = &[
    "it",
    "itsupport",
    "ithelp",
    "itservice",
    "itservices",
    "itsec",
    "helpdesk",
    "servicedesk",
    "support",
    "sysadmin",
    "sysadmins",
    "admin",
    "security",
    "infosec",
    "edv",
    "informatique",
    "informatica",
    "sistemas",
    "noc",
    "soc",
];

fn is_it_mailbox(local: &str) -> bool {
    local
        .split(['-', '.', '_', '+'])
        .any(|word| IT_MAILBOX_WORDS.contains(&word))
}

fn sender(
    ids: &Identities,
    content: &MessageContent,
    authenticated: bool,
    null_sender: bool,
    out: &mut Vec<Finding>,
) {
    let Some(address) = content
        .from
        .as_ref()
        .and_then(|m| m.address.as_deref())
        .map(str::to_ascii_lowercase)
    else {
        return;
    };
    let from_reg = registrable(domain_of(&address));
    let local = address.rsplit_once('@').map_or("", |(l, _)| l);
    if Identities::is_free_mail(&from_reg) {
        out.push(finding(
            "sender.free_mail",
            format!("{from_reg} is a mailbox provider anyone can sign up to"),
            address.clone(),
        ));
        if let Some(role) = free_mail_role(local) {
            out.push(finding(
                "impersonation.free_mail_role",
                format!(
                    "{address} poses as an organisation's {role} mailbox on a free-mail provider"
                ),
                format!("'{role}' in the local part"),
            ));
        }
    }
    let automated = is_role_mailbox(local) || content.list.is_bulk();
    if authenticated {
        if ids.org_domains.contains(&from_reg) {
            out.push(finding(
                "sender.internal",
                "authenticated mail from the organisation",
                address.clone(),
            ));
            internal_sender(ids, content, &address, local, out);
        }
        // A brand writing from its own domain is that brand: its sign-in
        // notices lead to its own site.
        if !Identities::is_free_mail(&from_reg)
            && !ids.org_domains.contains(&from_reg)
            && !ids.vendors_by_domain.contains_key(&from_reg)
            && let owner = brand_owning(&from_reg)
            && let Some(brand) = ids
                .claims
                .iter()
                .find(|c| c.kind == ClaimKind::Brand && c.owns_given(&from_reg, || owner))
        {
            out.push(finding(
                "sender.brand_owner",
                format!("{from_reg} is {}'s own domain", brand.shown),
                address.clone(),
            ));
        }
        if let Some(vendor) = ids.vendors_by_domain.get(&from_reg) {
            if ids.active_contacts.contains(&address) {
                out.push(finding(
                    "sender.vendor_contact",
                    format!("approved contact of {}", vendor.name),
                    address.clone(),
                ));
            } else if !null_sender {
                // Delivery reports (null sender) come from the vendor's
                // mail system, not a person; nobody replies to them.
                out.push(finding(
                    "sender.vendor_unapproved_contact",
                    format!(
                        "{address} writes from {}'s domain but is not an approved active contact",
                        vendor.name
                    ),
                    address.clone(),
                ));
                if automated {
                    out.push(finding(
                        "sender.automated",
                        format!(
                            "{address} is an automated or role mailbox of {}, not a person",
                            vendor.name
                        ),
                        if content.list.is_bulk() {
                            "list or bulk headers (List-Unsubscribe, Precedence, Auto-Submitted)"
                                .to_owned()
                        } else {
                            format!("role local part '{local}'")
                        },
                    ));
                }
            }
            for &id in ids.people.at_address(&address) {
                let person = &ids.people.persons[id];
                if person.inactive {
                    out.push(finding(
                        "sender.inactive_person",
                        format!(
                            "{} is departed or suspended in the directory, yet their mailbox writes",
                            person.describe()
                        ),
                        address.clone(),
                    ));
                    break;
                }
            }
            if vendor.privileged {
                out.push(finding(
                    "sender.privileged_vendor",
                    format!("{} is a privileged vendor", vendor.name),
                    "",
                ));
            }
            if let Some(why) = &vendor.untrusted {
                out.push(finding(
                    if vendor.review_overdue {
                        "sender.vendor_review_overdue"
                    } else {
                        "sender.vendor_untrusted"
                    },
                    format!("{}'s record cannot be relied on", vendor.name),
                    why.clone(),
                ));
            }
        }
    }
    reply_to(ids, content, &from_reg, out);
}

/// Authenticated mail from the organisation's own domain: a departed or
/// suspended person's mailbox, and a colleague relaying a request for IT.
fn internal_sender(
    ids: &Identities,
    content: &MessageContent,
    address: &str,
    local: &str,
    out: &mut Vec<Finding>,
) {
    let people = ids.people.at_address(address);
    for &id in people {
        let person = &ids.people.persons[id];
        if person.inactive {
            out.push(finding(
                "sender.inactive_person",
                format!(
                    "{} is departed or suspended in the directory, yet their mailbox writes",
                    person.describe()
                ),
                address.to_owned(),
            ));
            break;
        }
    }
    // The help desk's own ticket system ("Aeris Service Desk"
    // <noreply@...>) speaks as IT; it relays nothing.
    let it_system = local.split(['-', '.', '_', '+']).any(is_role_mailbox)
        && content
            .from
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .is_some_and(crate::relay::names_it);
    let is_it = is_it_mailbox(local)
        || it_system
        || people.iter().any(|&id| {
            matches!(ids.people.persons[id].role, PersonRole::ItStaff { .. })
                && !ids.people.persons[id].inactive
        });
    if is_it {
        return;
    }
    // A reply relays nothing its quoted history says: that was IT writing.
    let shown: Vec<_> = content.shown_parts().collect();
    let texts: Vec<&str> = content
        .subject
        .iter()
        .map(String::as_str)
        .chain(shown.iter().map(|t| countersign_risk::own_words(t)))
        .collect();
    // IT staff by first name ("Sam asked me to...") count as IT.
    let Some(evidence) = relays_for_it(texts.iter().copied(), &ids.people.it_given_names) else {
        return;
    };
    // Someone who tells of a caller claiming IT and disbelieves him ("said he
    // was from IT and wanted my code; I hung up") reports, not relays. Read
    // only when a relay was found: the fold costs a pass over the text.
    if content.reported.is_some()
        || texts
            .iter()
            .any(|t| countersign_risk::disbelief(t).is_some())
    {
        return;
    }
    out.push(finding(
        "impersonation.relays_it",
        format!("{address} is not IT, yet relays a request for secrets or actions on IT's behalf"),
        evidence,
    ));
}

/// The registrable domains a mailing list names for itself: its `List-Id`,
/// the addresses of its `List-*` fields, and its `Sender`.
fn list_domains(content: &MessageContent) -> Vec<String> {
    let list = &content.list;
    let mut domains: Vec<String> = list
        .addresses
        .iter()
        .map(|a| registrable(domain_of(a)))
        .collect();
    if let Some(id) = &list.id {
        // A List-Id is `name.domain`; its registrable domain is the list's.
        domains.push(registrable(id));
    }
    if let Some(sender) = &content.sender
        && list.is_list()
    {
        domains.push(registrable(domain_of(sender)));
    }
    domains
}

/// Reply-To on another domain than the sender's, unless the message comes
/// from a mailing list and replies go to the list (RFC 2369 `List-Post`,
/// RFC 2919 `List-Id`, the older `Mailing-List`), or the list rewrote From
/// to its own address and replies go to the author.
fn reply_to(ids: &Identities, content: &MessageContent, from_reg: &str, out: &mut Vec<Finding>) {
    let list = &content.list;
    let list_domains = list_domains(content);
    let from_is_list = list.is_list() && list_domains.iter().any(|d| d == from_reg);
    for reply_to in &content.reply_to {
        let reply_reg = registrable(domain_of(reply_to));
        if reply_reg.is_empty() || reply_reg == from_reg || ids.org_domains.contains(&reply_reg) {
            continue;
        }
        let to_list = list.is_list() && list_domains.contains(&reply_reg);
        if to_list || from_is_list {
            continue;
        }
        out.push(finding(
            "sender.reply_to_divergent",
            format!("replies go to {reply_reg}, not to the sender's {from_reg}"),
            reply_to.clone(),
        ));
        break;
    }
}

fn lookalikes(
    ids: &Identities,
    auth: &AuthReport,
    content: &MessageContent,
    mail_from: &str,
    out: &mut Vec<Finding>,
) {
    if ids.lookalikes.is_empty() {
        return;
    }
    let mut check = |signal: &str, what: &str, domain: &str| {
        if domain.is_empty() {
            return false;
        }
        match ids.check_lookalike(domain) {
            Some(hit) => {
                let target = owner_identity(&hit.owner);
                out.push(aimed(
                    finding(
                        signal,
                        format!(
                            "{what} {domain} imitates {} ({}) by {}",
                            hit.target, hit.owner, hit.technique
                        ),
                        hit.evidence,
                    ),
                    target,
                ));
                true
            }
            None => false,
        }
    };
    let from_domain = content
        .from
        .as_ref()
        .and_then(|m| m.address.as_deref())
        .map(domain_of)
        .unwrap_or(auth.dmarc.from_domain.as_str())
        .to_ascii_lowercase();
    check(
        "impersonation.lookalike_domain",
        "sender domain",
        &from_domain,
    );
    for reply_to in &content.reply_to {
        if check(
            "impersonation.reply_to_lookalike",
            "Reply-To domain",
            domain_of(reply_to),
        ) {
            break;
        }
    }
    let envelope = domain_of(mail_from).to_ascii_lowercase();
    if registrable(&envelope) != registrable(&from_domain) {
        check(
            "impersonation.return_path_lookalike",
            "envelope sender domain",
            &envelope,
        );
    }
    for link in &content.link_domains {
        if check("impersonation.link_lookalike", "link domain", link) {
            break;
        }
    }
}

/// Nouns that name an establishment (folded): a display name holding one
/// names a hotel, a clinic or a school of its own.
const ESTABLISHMENTS: &[&str] = &[
    "hotel",
    "hostel",
    "restaurant",
    "cafe",
    "bistro",
    "brasserie",
    "clinic",
    "klinik",
    "clinique",
    "clinica",
    "hospital",
    "krankenhaus",
    "hopital",
    "school",
    "schule",
    "ecole",
    "escuela",
    "colegio",
    "museum",
    "musee",
    "museo",
    "theatre",
    "theater",
    "teatro",
    "pharmacy",
    "apotheke",
    "pharmacie",
    "farmacia",
    "bakery",
    "backerei",
    "boulangerie",
    "panaderia",
];

fn names_an_establishment(words: &[String]) -> bool {
    words.iter().any(|w| ESTABLISHMENTS.contains(&w.as_str()))
}

/// What the display name claims: an organisation (ours, a vendor, a
/// well-known brand), IT support, an address at a protected domain, or one
/// of the directory's people; each from an address that is not theirs.
fn display_name(
    ids: &Identities,
    content: &MessageContent,
    authenticated: bool,
    out: &mut Vec<Finding>,
) {
    let Some(from) = &content.from else { return };
    let (Some(name), Some(address)) = (&from.name, &from.address) else {
        return;
    };
    let address = address.to_ascii_lowercase();
    let from_reg = registrable(domain_of(&address));
    let local = address.rsplit_once('@').map_or("", |(l, _)| l);
    let free_mail = Identities::is_free_mail(&from_reg);
    // "Ann Lee via DocuSign", "Acme via Okta": a service writing on
    // someone's behalf names itself after "via".
    let claimant = split_via(name).map_or(name.as_str(), |(claimant, _)| claimant);
    // A well-known service (its own domain, authenticated) that sends on
    // behalf of its customers: the names it shows are its customers'.
    let service_sender = authenticated && !free_mail && brand_owning(&from_reg).is_some();
    // "Ann Lee via Service Desk Practitioners" from the list's own address:
    // a mailing list that rewrote From names itself after "via"; only the
    // author's part can claim anyone.
    let list_rewrite = content.list.is_list()
        && list_domains(content).contains(&from_reg)
        && split_via(name).is_some();
    let claim_name = if list_rewrite {
        claimant
    } else {
        name.as_str()
    };
    let words = claim_words(claim_name);
    if words.is_empty() {
        return;
    }

    let mut claimed = false;
    for claim in ids.claimed_by(&words, local) {
        // "Café Trello", "Clinique du Parc Azure": a place of its own
        // that shares a word with a product's name claims no brand.
        if claim.kind == ClaimKind::Brand && names_an_establishment(&words) {
            continue;
        }
        // A free-mail mailbox never speaks for an organisation, whatever
        // lists say (Apple's own icloud.com included).
        let theirs = !free_mail && claim.owns(&from_reg);
        // A well-known service, or for the organisation's own name one of
        // its enrolled vendors (an outsourced service desk's ticketing),
        // writing on the organisation's or a vendor's behalf.
        let on_behalf = claim.kind != ClaimKind::Brand
            && (service_sender
                || (claim.kind == ClaimKind::Organisation
                    && authenticated
                    && ids.vendors_by_domain.contains_key(&from_reg)));
        if theirs || on_behalf {
            claimed = true;
            continue;
        }
        out.push(aimed(
            finding(
                "impersonation.display_name",
                format!(
                    "display name {name:?} claims {}, but the address is at {from_reg}",
                    claim.shown
                ),
                address.clone(),
            ),
            claim_identity(claim),
        ));
        out.push(named_claim(&claim.shown));
        // The claimed name inside the sender's own domain
        // (`McAfee` <billing@mcafee-renewals.example>): a domain made to
        // carry the name, by someone who is not its owner.
        if !free_mail && let Some(part) = carries_name(claim, &from_reg) {
            out.push(aimed(
                finding(
                    "impersonation.lookalike_domain",
                    format!(
                        "sender domain {from_reg} carries the name of {}, which its display name claims",
                        claim.shown
                    ),
                    format!("'{part}' in {from_reg}"),
                ),
                claim_identity(claim),
            ));
        }
        return;
    }

    // "IT Support" from free mail, or from any domain that is not ours.
    if let Some(words) = Identities::claims_it_support(claim_name, free_mail)
        && !ids.org_domains.contains(&from_reg)
        && (free_mail || !ids.vendors_by_domain.contains_key(&from_reg))
        && !service_sender
    {
        out.push(aimed(
            finding(
                "impersonation.display_name",
                format!("display name {name:?} claims to be {words} from outside the organisation"),
                address.clone(),
            ),
            "IT support (our IT)".to_owned(),
        ));
        return;
    }

    // An address or domain shown in the display name
    // ("ceo@acme.example" <someone@elsewhere.example>).
    if let Some(shown) = shown_domain(name)
        && shown != from_reg
        && (ids.is_protected_domain(&shown) || brand_owning(&shown).is_some())
    {
        out.push(finding(
            "impersonation.display_name",
            format!("display name {name:?} shows {shown}, but the address is at {from_reg}"),
            address.clone(),
        ));
        out.push(named_claim(&shown));
        return;
    }
    if claimed {
        return;
    }
    let before = out.len();
    // "Ann Lee via <e-signature vendor>" from an enrolled vendor's own
    // authenticated domain: the vendor's platform sends on her behalf.
    let vendor_via = authenticated
        && !free_mail
        && ids.vendors_by_domain.contains_key(&from_reg)
        && split_via(name).is_some();
    person_claim(
        ids,
        claimant,
        &address,
        &from_reg,
        free_mail,
        authenticated,
        service_sender,
        vendor_via.then_some(content.reply_to.as_slice()),
        out,
    );
    if out.len() == before {
        signature_claim(
            ids,
            content,
            &address,
            &from_reg,
            free_mail,
            authenticated,
            out,
        );
    }
}

/// The name of a claimed organisation (one of its phrases, four letters or
/// more, joined) opening a hyphen-separated part of the registrable label.
fn carries_name(claim: &OrgClaim, from_reg: &str) -> Option<String> {
    let split = countersign_model::psl::split(from_reg)?;
    let label = split.registrable_label()?;
    let names: Vec<String> = claim
        .phrases
        .iter()
        .map(|p| p.words.concat())
        .filter(|n| n.len() >= 4)
        .collect();
    label
        .split('-')
        .find(|part| names.iter().any(|n| part.starts_with(n.as_str())))
        .map(str::to_owned)
}

/// The directory person a display name claims, from an address that is not
/// theirs. Strong (`impersonation.person`) when the name is not a common
/// one or the display name claims a role with it ("Bob Smith, CEO");
/// otherwise the weaker `impersonation.namesake`.
#[allow(clippy::too_many_arguments)]
fn person_claim(
    ids: &Identities,
    claimant: &str,
    address: &str,
    from_reg: &str,
    free_mail: bool,
    authenticated: bool,
    service_sender: bool,
    vendor_via_replies: Option<&[String]>,
    out: &mut Vec<Finding>,
) {
    let Some(claim) = ids.people.claimed_by(claimant) else {
        return;
    };
    let persons: Vec<&crate::people::Person> = claim
        .people
        .iter()
        .map(|&i| &ids.people.persons[i])
        .collect();
    // The person themself, or a namesake in the directory at this address.
    if persons
        .iter()
        .any(|p| p.emails.iter().any(|e| e == address))
        || !ids.people.at_address(address).is_empty() && persons.iter().any(|p| p.common)
    {
        return;
    }
    // Colleagues' mail from the organisation is judged by authentication
    // and by what it asks; a service sending on someone's behalf names
    // them (`via`); a vendor contact writing from the vendor's own domain
    // is an unapproved contact, reported as such.
    if (authenticated && ids.org_domains.contains(from_reg)) || service_sender {
        return;
    }
    // An enrolled vendor's platform names whom it sends for; it speaks for
    // them only while replies go back to them (no Reply-To, or theirs).
    if let Some(replies) = vendor_via_replies
        && replies.iter().all(|r| {
            persons
                .iter()
                .any(|p| p.emails.iter().any(|e| e.eq_ignore_ascii_case(r)))
        })
    {
        return;
    }
    let contact_at_own_vendor = persons.iter().all(|p| {
        matches!(p.role, PersonRole::VendorContact { .. })
            && p.emails
                .iter()
                .any(|e| registrable(domain_of(e)) == from_reg)
    });
    if contact_at_own_vendor {
        return;
    }
    let person = persons[0];
    let common = persons.iter().all(|p| p.common);
    // Roles claimed around the name, or in the address itself
    // (`j.smith.cfo@`, `rsmith@helpdesk-tickets.example`).
    let local = address.rsplit_once('@').map_or("", |(l, _)| l);
    let label = (!free_mail).then(|| from_reg.split('.').next()).flatten();
    let mut roles = claim.roles.clone();
    for role in ids.people.roles_in_address(local, label) {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    let role = (!roles.is_empty()).then(|| roles.join(" "));
    let evidence = format!(
        "\"{}\"{} from {address}{}",
        claim.matched,
        role.as_deref()
            .map(|r| format!(" with \"{r}\""))
            .unwrap_or_default(),
        if free_mail { " (free mail)" } else { "" }
    );
    if common && role.is_none() {
        out.push(finding(
            "impersonation.namesake",
            format!(
                "display name matches {}, a common name; the address is not theirs",
                person.describe()
            ),
            evidence,
        ));
        return;
    }
    out.push(aimed(
        finding(
            "impersonation.person",
            format!(
                "display name claims {}, who does not write from {address}",
                person.describe()
            ),
            evidence.clone(),
        ),
        person_identity(person),
    ));
    if let Some(role) = &role {
        out.push(finding(
            "impersonation.person_role",
            format!(
                "the claim on {} comes with a role (\"{role}\") from an address that is not theirs",
                person.name
            ),
            evidence.clone(),
        ));
    }
    match &person.role {
        PersonRole::ItStaff { .. } => out.push(finding(
            "impersonation.staff_name",
            format!("{} works in IT, but not at this address", person.name),
            evidence,
        )),
        PersonRole::VendorContact { .. } => out.push(finding(
            "impersonation.contact_name",
            format!(
                "{} is a known vendor contact, but not at this address",
                person.name
            ),
            evidence,
        )),
        PersonRole::Employee => {}
    }
}

/// Endings of reply-header lines ("On ... wrote:", "Am ... schrieb:",
/// "Le ... a écrit :", "El ... escribió:"), lowercase.
const REPLY_HEADER_ENDS: &[&str] = &[
    " wrote:",
    " schrieb:",
    " a écrit :",
    " a écrit:",
    " escribió:",
];

/// Forwarded or quoted message separators, lowercase, without dashes.
const QUOTE_SEPARATORS: &[&str] = &[
    "original message",
    "ursprüngliche nachricht",
    "message d'origine",
    "mensaje original",
    "forwarded message",
    "weitergeleitete nachricht",
    "message transféré",
    "mensaje reenviado",
];

/// Where the message's own text ends: the start of the first reply-header
/// line or quote separator. Only lines ending in ':' and lines with a run
/// of dashes are looked at, found with the standard library's byte search.
fn own_text_end(text: &str) -> usize {
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |n| n + 1);
    let mut end = text.len();
    for (at, _) in text.match_indices(':') {
        if at >= end {
            break;
        }
        // Only a ':' that ends its line ("... wrote:"), not "https:".
        let rest = &text[at + 1..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        if !rest[..line_end].trim().is_empty() {
            continue;
        }
        let start = line_start(at);
        // The endings are short: compare the line's last few characters.
        let tail_from = text[start..=at]
            .char_indices()
            .rev()
            .nth(11)
            .map_or(start, |(i, _)| start + i);
        let tail = text[tail_from..=at].to_lowercase();
        if REPLY_HEADER_ENDS.iter().any(|e| tail.ends_with(e)) {
            end = start;
            break;
        }
    }
    if let Some(at) = text[..end].find("-----") {
        let start = line_start(at);
        let stop = text[at..].find('\n').map_or(text.len(), |n| at + n);
        let line = text[start..stop].to_lowercase();
        if QUOTE_SEPARATORS.iter().any(|s| line.contains(s)) {
            end = end.min(start);
        }
    }
    end
}

/// Bytes of a message's text searched for its sign-off.
const SIGN_OFF_WINDOW: usize = 4096;

/// The largest char boundary of `text` at or below `max`.
fn floor_boundary(text: &str, max: usize) -> usize {
    if max >= text.len() {
        return text.len();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// The sign-off of the message's own text: its last non-empty lines
/// before any quoted earlier message, greetings and quoted lines left out.
fn sign_off(content: &MessageContent) -> Vec<String> {
    let Some(text) = content.shown_parts().next() else {
        return Vec::new();
    };
    // A sign-off written after the first few kilobytes is not read: the
    // work per message stays bounded whatever the body's size.
    let head = &text[..floor_boundary(&text, SIGN_OFF_WINDOW)];
    let own = &head[..own_text_end(head)];
    let mut lines: Vec<String> = own
        .lines()
        .rev()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('>'))
        .take(8)
        .filter(|line| !is_salutation(&line.to_lowercase()))
        .take(6)
        .map(str::to_owned)
        .collect();
    lines.reverse();
    lines
}

/// Whether a line opens a message ("Hi service desk,", "Sehr geehrte
/// Damen und Herren"): it names the reader, not the writer.
fn is_salutation(lower: &str) -> bool {
    const OPENINGS: &[&str] = &[
        "hi",
        "hello",
        "hey",
        "dear",
        "good morning",
        "good afternoon",
        "hallo",
        "liebe",
        "lieber",
        "sehr geehrte",
        "guten tag",
        "moin",
        "bonjour",
        "bonsoir",
        "salut",
        "cher",
        "chère",
        "madame",
        "monsieur",
        "hola",
        "buenos días",
        "buenos dias",
        "buenas tardes",
        "estimado",
        "estimada",
        "querido",
        "querida",
    ];
    OPENINGS.iter().any(|o| {
        lower.starts_with(o)
            && lower[o.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// A sign-off that claims to be our IT or our organisation ("IT Service
/// Desk", "Acme IT"), a vendor or a brand, from a free mailbox; or our
/// organisation's IT from any address that is not ours.
fn signature_claim(
    ids: &Identities,
    content: &MessageContent,
    address: &str,
    from_reg: &str,
    free_mail: bool,
    authenticated: bool,
    out: &mut Vec<Finding>,
) {
    if ids.org_domains.contains(from_reg)
        || (authenticated && ids.vendors_by_domain.contains_key(from_reg))
        || (!free_mail && brand_owning(from_reg).is_some())
    {
        return;
    }
    let lines = sign_off(content);
    for line in &lines {
        // Sign-off lines are short; a long line is body text.
        if line.chars().count() > 60 {
            continue;
        }
        let it = Identities::claims_it_support(line, free_mail);
        // From any other address only our IT, named with our organisation,
        // is a claim: without IT words the line says nothing.
        let words = claim_words(line);
        if !free_mail && it.is_none() {
            // Except a line that is nothing but a vendor's or a brand's
            // name with team words ("The DocuSign Team", "Microsoft 365
            // Security"): that presents the message as theirs.
            if let Some(claim) = ids.claimed_by(&words, "").find(|c| {
                c.kind != ClaimKind::Organisation
                    && !c.owns(from_reg)
                    && names_only_of(&words, &c.phrases)
            }) {
                out.push(aimed(
                    finding(
                        "impersonation.signature",
                        format!(
                            "the message is signed as {}, but comes from {address}",
                            claim.shown
                        ),
                        format!("\"{line}\""),
                    ),
                    claim_identity(claim),
                ));
                return;
            }
            continue;
        }
        let org = ids
            .claimed_by(&words, "")
            .find(|c| c.kind == ClaimKind::Organisation);
        let claim = match (it, org) {
            (Some(it), Some(org)) => Some(format!("{it} of {}", org.shown)),
            (Some(it), None) if free_mail => Some(it.to_owned()),
            // "Your IT team", "Ihr IT-Service", "votre service
            // informatique": the reader's own IT, which is ours.
            (Some(it), None) if addressed_to_reader(line) => Some(format!("{it} (ours)")),
            (None, Some(org)) if free_mail => Some(org.shown.clone()),
            (None, None) if free_mail && words.len() <= 4 => ids
                .claimed_by(&words, "")
                .find(|c| c.kind != ClaimKind::Organisation)
                .map(|c| c.shown.clone()),
            _ => None,
        };
        if let Some(claim) = claim {
            out.push(finding(
                "impersonation.signature",
                format!("the message is signed as {claim}, but comes from {address}"),
                format!("\"{line}\""),
            ));
            return;
        }
    }
}

/// A sign-off line that opens with the reader's possessive ("Your IT
/// team", "Ihr IT-Team", "Votre service informatique", "Su equipo de TI"):
/// the writer signs as the reader's own.
fn addressed_to_reader(line: &str) -> bool {
    let first = line
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_lowercase();
    matches!(
        first.as_str(),
        "your" | "ihr" | "euer" | "dein" | "votre" | "ton" | "su" | "tu" | "vuestro"
    )
}

/// The opening self-introduction ("This is the Microsoft 365 security
/// team", "hier meldet sich Ihr IT-Service", "Ici le service informatique",
/// "Le escribe el departamento ... de DHL Express") that presents the
/// message as our IT, our organisation, a vendor, a brand or an authority,
/// from an address that is not theirs. Our own mail (awareness notes
/// quoting a phish, a colleague forwarding one), an enrolled vendor's
/// authenticated mail, a well-known service's own authenticated mail and
/// authenticated list mail claim nothing here; a claim already found in
/// the display name or sign-off is not repeated.
fn self_introduction(
    ids: &Identities,
    content: &MessageContent,
    authenticated: bool,
    out: &mut Vec<Finding>,
) {
    if out.iter().any(|f| {
        matches!(
            f.signal.as_str(),
            "impersonation.display_name" | "impersonation.signature" | "impersonation.person"
        )
    }) {
        return;
    }
    let Some(address) = content.from.as_ref().and_then(|m| m.address.as_deref()) else {
        return;
    };
    let address = address.to_ascii_lowercase();
    let from_reg = registrable(domain_of(&address));
    let free_mail = Identities::is_free_mail(&from_reg);
    if ids.org_domains.contains(&from_reg)
        || (authenticated && ids.vendors_by_domain.contains_key(&from_reg))
        || (authenticated && !free_mail && brand_owning(&from_reg).is_some())
        || (authenticated && content.list.is_list())
    {
        return;
    }
    let Some(text) = content.shown_parts().next() else {
        return;
    };
    let head = &text[..floor_boundary(&text, OPENING_WINDOW)];
    let own = &head[..own_text_end(head)];
    for span in introductions(own) {
        let words = claim_words(&span);
        let claim = ids
            .claimed_by(&words, "")
            .find(|c| {
                (free_mail || !c.owns(&from_reg))
                    && c.phrases.iter().any(|p| presents(&words, &p.words))
            })
            .map(|c| (c.shown.clone(), claim_identity(c)));
        let claim = claim.or_else(|| {
            Identities::claims_it_support(&span, false)
                .filter(|_| presents(&words, &[]))
                .map(|it| (it.to_owned(), "IT support (our IT)".to_owned()))
                .or_else(|| {
                    from_it_department(&words)
                        .then(|| (span.clone(), "IT support (our IT)".to_owned()))
                })
        });
        if let Some((shown, target)) = claim {
            out.push(aimed(
                finding(
                    "impersonation.self_introduction",
                    format!("the message introduces itself as {shown}, but comes from {address}"),
                    format!("\"{span}\""),
                ),
                target,
            ));
            return;
        }
    }
}

/// A link that carries one of our addresses in its path or query
/// (`https://sign.example/d/7?email=ana%40org.example`) to a page that is
/// neither ours nor a vendor's: the page is set up for the reader, as
/// harvest pages are, so that only a password is left to type. Lists and
/// bulk mail put the subscriber's address in their links for every reader
/// and are left out.
fn prefilled_link(ids: &Identities, content: &MessageContent, out: &mut Vec<Finding>) {
    if content.list.is_list() || content.list.is_bulk() {
        return;
    }
    let Some(address) = content
        .link_addresses
        .iter()
        .find(|a| ids.org_domains.contains(&registrable(domain_of(a))))
    else {
        return;
    };
    let Some(page) = content
        .link_domains
        .iter()
        .find(|d| !ids.is_protected_domain(d))
    else {
        return;
    };
    out.push(finding(
        "content.link_prefilled_address",
        "a link opens an outside page already filled in with one of our addresses",
        format!("{address} in a link; page on {page}"),
    ));
}

/// An attached web page that asks for a password, sends a form to a web
/// site, sends the browser elsewhere as it opens, or builds itself from
/// hidden content: opened from the disk, it is out of reach of every link
/// check, which is why sign-in traps and smuggled files travel so.
fn active_page(content: &MessageContent, out: &mut Vec<Finding>) {
    let Some((name, page)) = content.attached_page(|_| true) else {
        return;
    };
    out.push(finding(
        "content.active_page_attached",
        format!("an attached web page {}", page.describe()),
        name.to_owned(),
    ));
}

/// A message that claims to be a well-known brand (display name, sign-off
/// or self-introduction, from an address that is not the brand's) and
/// links somewhere the brand does not own: the shape of brand phishing,
/// whatever words the request is put in. The first such link is evidence.
fn brand_claim_link(ids: &Identities, content: &MessageContent, out: &mut Vec<Finding>) {
    let Some(target) = out
        .iter()
        .filter(|f| {
            matches!(
                f.signal.as_str(),
                "impersonation.display_name"
                    | "impersonation.signature"
                    | "impersonation.self_introduction"
            )
        })
        .find_map(|f| f.target.clone().filter(|t| t.ends_with(" (brand)")))
    else {
        return;
    };
    let Some(claim) = ids
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Brand && claim_identity(c) == target)
    else {
        return;
    };
    let Some(link) = content
        .link_domains
        .iter()
        .map(|d| registrable(&d.to_ascii_lowercase()))
        .find(|d| !d.is_empty() && !claim.owns(d))
    else {
        return;
    };
    out.push(aimed(
        finding(
            "impersonation.brand_link",
            format!(
                "the message claims to be {} and links to {link}, which is not theirs",
                claim.shown
            ),
            link.clone(),
        ),
        target,
    ));
}

/// "Ann Lee via DocuSign" → ("Ann Lee", "DocuSign").
fn split_via(name: &str) -> Option<(&str, &str)> {
    let lower = name.to_ascii_lowercase();
    let at = lower.rfind(" via ")?;
    let (claimant, service) = (name[..at].trim(), name[at + 5..].trim());
    (!claimant.is_empty() && !service.is_empty()).then_some((claimant, service))
}

/// The registrable domain of an address or domain name written in a
/// display name, if any.
fn shown_domain(name: &str) -> Option<String> {
    name.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '<' | '>' | '(' | ')' | '"' | '\'' | ',' | ';' | '[' | ']'
            )
    })
    .filter_map(|word| {
        let domain = word.rsplit_once('@').map_or(word, |(_, d)| d);
        let domain = domain
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let valid = labels.len() >= 2
            && labels
                .iter()
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !valid {
            return None;
        }
        countersign_model::psl::registrable_domain(&domain)
    })
    .next()
}

/// A sign-in "as usual" from an authenticated company, or that links to a
/// usual page (the organisation's or a vendor's): it asks nothing new. One
/// from free mail or an unauthenticated sender whose every link goes
/// elsewhere sends the reader to a page he has never signed in to, and is
/// a credential request like any other.
fn usual_page(
    ids: &Identities,
    content: &MessageContent,
    authenticated: bool,
    hit: &RiskFinding,
) -> bool {
    if hit.rule != RiskFinding::SIGN_IN_AS_USUAL {
        return false;
    }
    let on_our_pages = content
        .link_domains
        .iter()
        .any(|d| ids.is_protected_domain(d));
    // "Sign in with your usual Kestrel account" on a page that is not ours:
    // our account, typed into someone else's page.
    if !on_our_pages && names_organisation(ids, &hit.evidence.matched) {
        return false;
    }
    let from = content
        .from
        .as_ref()
        .and_then(|m| m.address.as_deref())
        .map(|a| registrable(domain_of(a)))
        .filter(|_| authenticated);
    // "Your usual company account" on a stranger's page: only our vendors
    // have pages that take our work accounts (single sign-on).
    let vendor = from
        .as_deref()
        .is_some_and(|f| ids.vendors_by_domain.contains_key(f));
    if !on_our_pages && !vendor && names_work_account(&hit.evidence.matched) {
        return false;
    }
    // A company writing from its own authenticated domain names its own
    // site, whatever domain that has ("db.com" links "deutsche-bank.de");
    // a free-mail account has no site of its own.
    if from
        .as_deref()
        .is_some_and(|f| !Identities::is_free_mail(f))
    {
        return true;
    }
    // A free-mail sender may still point at its provider's own site.
    on_our_pages
        || content.link_domains.is_empty()
        || from.is_some_and(|f| content.link_domains.iter().any(|d| registrable(d) == f))
}

/// Whether `text` names the reader's work account ("your work login",
/// "Ihr Firmenkonto", "votre compte professionnel").
fn names_work_account(text: &str) -> bool {
    const WORK: &[&str] = &[
        "work",
        "company",
        "corporate",
        "office",
        "firmen",
        "dienstlich",
        "arbeit",
        "professionnel",
        "entreprise",
        "corporativ",
        "institucional",
        "empresa",
        "trabajo",
    ];
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| WORK.iter().any(|p| w.starts_with(p)))
}

/// Whether `text` names the organisation by one of the phrases a display
/// name would claim it by ("kestrel", "kestrel aero technics").
fn names_organisation(ids: &Identities, text: &str) -> bool {
    let words = claim_words(text);
    ids.claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Organisation)
        .flat_map(|c| &c.phrases)
        .any(|p| !p.words.is_empty() && words.windows(p.words.len()).any(|w| w == &p.words[..]))
}

fn requests(risk: &RiskAssessment, usual: impl Fn(&RiskFinding) -> bool, out: &mut Vec<Finding>) {
    for hit in risk.findings.iter().filter(|h| !usual(h)) {
        let mut evidence = match &hit.evidence.indicator {
            Some(indicator) => format!(
                "\"{}\" in {} ({indicator})",
                hit.evidence.matched,
                hit.evidence.location.as_str()
            ),
            None => format!(
                "\"{}\" in {}",
                hit.evidence.matched,
                hit.evidence.location.as_str()
            ),
        };
        // The grammar's findings say which words made them.
        if hit.rule.starts_with("grammar.") {
            evidence.push_str(": ");
            evidence.push_str(&hit.evidence.phrase);
        }
        let family = if hit.category.is_high_risk_request() {
            "request"
        } else {
            "lure"
        };
        out.push(finding(
            &format!("{family}.{}", hit.category.as_str()),
            hit.category.description(),
            evidence,
        ));
    }
}

/// The umbrella signals repeat what was found, so a rule on `request.any`
/// or `lure.any` still explains itself: every kind, and each one's evidence.
fn umbrellas(out: &mut Vec<Finding>) {
    for family in ["request", "lure"] {
        let any = format!("{family}.any");
        let found: Vec<(&str, &str)> = out
            .iter()
            .filter_map(|f| {
                let kind = f.signal.strip_prefix(family)?.strip_prefix('.')?;
                (kind != "any").then_some((kind, f.evidence.as_str()))
            })
            .collect();
        if found.is_empty() {
            continue;
        }
        let mut kinds: Vec<&str> = found.iter().map(|(kind, _)| *kind).collect();
        kinds.dedup();
        let umbrella = finding(
            &any,
            format!("asks for or offers: {}", kinds.join(", ").replace('_', " ")),
            found
                .iter()
                .map(|(_, evidence)| *evidence)
                .collect::<Vec<_>>()
                .join("; "),
        );
        out.push(umbrella);
    }
}

/// A number to call that is the directory's own (the IT desk's, a vendor
/// contact's): calling it is the callback the product itself asks for, no
/// bait ("hang up and call the service desk on 04 72 ...").
fn directory_number_to_call(ids: &Identities, hit: &RiskFinding) -> bool {
    hit.category == countersign_risk::RiskCategory::CallbackBait
        && hit
            .evidence
            .indicator
            .as_deref()
            .is_some_and(|number| ids.is_directory_phone(number))
}

/// A callback lure that names a brand (a protected or borrowed identity) the
/// sender's domain does not belong to: the number to call is the attacker's,
/// dressed as the brand's.
fn callback_brand(
    ids: &Identities,
    content: &MessageContent,
    risk: &RiskAssessment,
    out: &mut Vec<Finding>,
) {
    let Some(bait) = risk.findings.iter().find(|f| {
        f.category == countersign_risk::RiskCategory::CallbackBait
            && !directory_number_to_call(ids, f)
    }) else {
        return;
    };
    let from_reg = content
        .from
        .as_ref()
        .and_then(|m| m.address.as_deref())
        .map(|a| registrable(domain_of(&a.to_ascii_lowercase())))
        .unwrap_or_default();
    // The text the reader sees first: subject, display name and the start
    // of each part (a bounded read).
    let mut text = String::new();
    let shown: Vec<_> = content.shown_parts().collect();
    for part in content
        .subject
        .iter()
        .chain(content.from.as_ref().and_then(|m| m.name.as_ref()))
        .map(String::as_str)
        .chain(shown.iter().map(|t| t.as_ref()))
    {
        let mut end = part.len().min(16 * 1024);
        while !part.is_char_boundary(end) {
            end -= 1;
        }
        text.push(' ');
        text.push_str(&part[..end]);
    }
    let words = claim_words(&text);
    for claim in &ids.claims {
        // A full name anywhere in the text: the display-name rules about
        // surrounding words do not apply to prose.
        let named = claim.phrases.iter().any(|phrase| {
            let n = phrase.words.len();
            !phrase.leading
                && n > 0
                && n <= words.len()
                && words.windows(n).any(|w| w == &phrase.words[..])
        });
        if !named {
            continue;
        }
        if Identities::is_free_mail(&from_reg) || !claim.owns(&from_reg) {
            let shown = &claim.shown;
            out.push(finding(
                "lure.callback_brand",
                format!("a number to call in the name of {shown}, sent from {from_reg}"),
                format!(
                    "{} ({})",
                    bait.evidence.indicator.as_deref().unwrap_or(""),
                    bait.evidence.phrase
                ),
            ));
            return;
        }
    }
}
