//! Findings, each named by a policy signal (`countersign_policy::signals`).
//! One function per family; `collect` runs them all. Every finding carries
//! a sentence for the analyst and the evidence behind it.

use crate::identities::{Identities, normalise_name, registrable};
use countersign_model::auth::{AuthReport, AuthResult, DkimCheck, DmarcCheck, MessageDefect};
use countersign_model::verdict::Finding;
use countersign_risk::{MessageContent, RiskAssessment};

fn finding(signal: &str, summary: impl Into<String>, evidence: impl Into<String>) -> Finding {
    Finding {
        signal: signal.to_string(),
        summary: summary.into(),
        evidence: evidence.into(),
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
    let authenticated = authentication(ids, auth, &mut out);
    unsigned_body(auth, content, raw, &mut out);
    sender(ids, content, authenticated, mail_from.is_empty(), &mut out);
    lookalikes(ids, auth, content, mail_from, &mut out);
    display_name(ids, content, &mut out);
    requests(risk, &mut out);
    callback_brand(ids, content, risk, &mut out);
    out
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
    if let Some(defect) = content.defects.first() {
        out.push(finding(
            "content.broken_mime",
            "part of the message could not be decoded",
            defect.clone(),
        ));
    }
    for mismatch in &content.link_mismatches {
        if registrable(&mismatch.visible) != registrable(&mismatch.target) {
            out.push(finding(
                "content.link_text_mismatch",
                "a link shows one domain and leads to another",
                format!("shows {}, leads to {}", mismatch.visible, mismatch.target),
            ));
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
    let sealer = auth
        .arc
        .sealers
        .iter()
        .rev()
        .find(|s| ids.forwarders.contains(s.as_str()))?;
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

fn authentication(ids: &Identities, auth: &AuthReport, out: &mut Vec<Finding>) -> bool {
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
            out.push(finding(
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
            ));
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
        c.text_parts
            .iter()
            .chain(&c.html_parts)
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
    if authenticated {
        if ids.org_domains.contains(&from_reg) {
            out.push(finding(
                "sender.internal",
                "authenticated mail from the organisation",
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
                    "sender.vendor_untrusted",
                    format!("{}'s record cannot be relied on", vendor.name),
                    why.clone(),
                ));
            }
        }
    }
    for reply_to in &content.reply_to {
        let reply_reg = registrable(domain_of(reply_to));
        if !reply_reg.is_empty() && reply_reg != from_reg && !ids.org_domains.contains(&reply_reg) {
            out.push(finding(
                "sender.reply_to_divergent",
                format!("replies go to {reply_reg}, not to the sender's {from_reg}"),
                reply_to.clone(),
            ));
            break;
        }
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
                out.push(finding(
                    signal,
                    format!(
                        "{what} {domain} imitates {} ({}) by {}",
                        hit.target, hit.owner, hit.technique
                    ),
                    hit.evidence,
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

fn display_name(ids: &Identities, content: &MessageContent, out: &mut Vec<Finding>) {
    let Some(from) = &content.from else { return };
    let (Some(name), Some(address)) = (&from.name, &from.address) else {
        return;
    };
    let address = address.to_ascii_lowercase();
    let from_reg = registrable(domain_of(&address));
    let normalised = normalise_name(name);
    if normalised.is_empty() {
        return;
    }
    let padded = format!(" {normalised} ");
    // A brand named in the display name, sent from outside the brand's domains.
    for (brand, domains) in &ids.brands {
        if brand.is_empty() || !padded.contains(&format!(" {brand} ")) {
            continue;
        }
        // A free-mail mailbox never speaks for a brand, whatever lists say.
        if Identities::is_free_mail(&from_reg) || !domains.contains(&from_reg) {
            out.push(finding(
                "impersonation.display_name",
                format!("display name {name:?} claims {brand}, but the address is at {from_reg}"),
                address.clone(),
            ));
            return;
        }
    }
    // "IT Support" from free mail, or from any domain that is not ours.
    if let Some(words) = Identities::claims_it_support(name)
        && !ids.org_domains.contains(&from_reg)
        && (Identities::is_free_mail(&from_reg) || !ids.vendors_by_domain.contains_key(&from_reg))
    {
        out.push(finding(
            "impersonation.display_name",
            format!("display name {name:?} claims to be {words} from outside the organisation"),
            address.clone(),
        ));
        return;
    }
    if let Some(staff) = ids.staff_by_name.get(&normalised)
        && !staff.emails.contains(&address)
    {
        out.push(finding(
            "impersonation.staff_name",
            format!("{} works in IT, but not at this address", staff.name),
            address.clone(),
        ));
    }
    if let Some(contact) = ids.contacts_by_name.get(&normalised)
        && !contact.emails.contains(&address)
    {
        out.push(finding(
            "impersonation.contact_name",
            format!(
                "{} is a known vendor contact, but not at this address",
                contact.name
            ),
            address,
        ));
    }
}

fn requests(risk: &RiskAssessment, out: &mut Vec<Finding>) {
    let mut requests: Vec<(&str, String)> = Vec::new();
    let mut lures: Vec<(&str, String)> = Vec::new();
    for hit in &risk.findings {
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
            requests.push((hit.category.as_str(), evidence.clone()));
            "request"
        } else {
            lures.push((hit.category.as_str(), evidence.clone()));
            "lure"
        };
        out.push(finding(
            &format!("{family}.{}", hit.category.as_str()),
            hit.category.description(),
            evidence,
        ));
    }
    // The umbrella signals repeat what was found, so a rule on `request.any`
    // still explains itself.
    for (signal, found) in [("request.any", requests), ("lure.any", lures)] {
        if found.is_empty() {
            continue;
        }
        let mut kinds: Vec<&str> = found.iter().map(|(kind, _)| *kind).collect();
        kinds.dedup();
        out.push(finding(
            signal,
            format!("asks for or offers: {}", kinds.join(", ").replace('_', " ")),
            found
                .iter()
                .map(|(_, evidence)| evidence.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
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
    let Some(bait) = risk
        .findings
        .iter()
        .find(|f| f.category == countersign_risk::RiskCategory::CallbackBait)
    else {
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
    for part in content
        .subject
        .iter()
        .chain(content.from.as_ref().and_then(|m| m.name.as_ref()))
        .chain(&content.text_parts)
        .chain(&content.html_parts)
    {
        let mut end = part.len().min(16 * 1024);
        while !part.is_char_boundary(end) {
            end -= 1;
        }
        text.push(' ');
        text.push_str(&part[..end]);
    }
    let padded = format!(" {} ", normalise_name(&text));
    for (brand, domains) in &ids.brands {
        if brand.is_empty() || !padded.contains(&format!(" {brand} ")) {
            continue;
        }
        if Identities::is_free_mail(&from_reg) || !domains.contains(&from_reg) {
            out.push(finding(
                "lure.callback_brand",
                format!("a number to call in the name of {brand}, sent from {from_reg}"),
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
