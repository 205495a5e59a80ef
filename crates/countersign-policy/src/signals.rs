//! The signals a policy can test: every finding the engine emits carries
//! one of these names. A policy naming anything else is refused, so a typo
//! cannot silently disable a rule.

/// Every signal name with what it means, as shown by `countersign policy signals`.
pub const SIGNALS: &[(&str, &str)] = &[
    (
        "message.unparsable",
        "the bytes are not a mail message (no header section)",
    ),
    (
        "message.defect",
        "the header section is malformed: no From, several From headers, an oversized field",
    ),
    (
        "message.forged_auth_results",
        "an Authentication-Results header claims our own authserv-id",
    ),
    (
        "message.work_bound",
        "the message asks for more work than a bound allows (author domains, DKIM signatures, ARC sets, DNS lookups, header fields, MIME parts or nesting, links, link domains, Reply-To addresses): what lies past the bound was not analysed",
    ),
    (
        "message.mailing_list",
        "passed on by a mailing list (List-Id, List-Post and the other List-* addresses, Mailing-List, Precedence: list); anyone can write these headers",
    ),
    (
        "message.trusted_list",
        "a post of a mailing list that the directory lists as a trusted forwarder, with the list's own valid DKIM signature",
    ),
    (
        "message.delivery_report",
        "a delivery report (bounce) written by a mail system: null envelope sender, Auto-Submitted, a delivery-status part or the mailer-daemon's address, and no link, request, lure or file of its own",
    ),
    (
        "content.broken_mime",
        "the MIME structure could not be fully decoded",
    ),
    (
        "content.reported_message",
        "the writer forwards or attaches a message and calls it into doubt (a report of suspicious mail): what the reported message asks, its links and numbers are not read as the writer's",
    ),
    (
        "content.link_text_mismatch",
        "a link's visible text names another domain than its target",
    ),
    (
        "content.active_page_attached",
        "an attached web page (HTML, XHTML, SVG) has a password field, sends a form to a web site, sends the browser elsewhere as it opens, or decodes hidden content with a script",
    ),
    (
        "content.link_prefilled_address",
        "a link to a page outside the organisation and its vendors carries one of the organisation's addresses in its path or query: a page set up for the reader, the shape of a sign-in harvest",
    ),
    ("auth.dmarc_fail", "DMARC failed for an author domain"),
    (
        "auth.dmarc_enforced",
        "the failing author domain asks for quarantine or reject",
    ),
    (
        "auth.protected_domain_spoofed",
        "the From domain is the organisation's or an enrolled vendor's, and the message is not authenticated for it",
    ),
    (
        "auth.temperror",
        "a DNS lookup failed temporarily: authentication is incomplete",
    ),
    (
        "auth.forwarded_trusted",
        "a trusted forwarder's valid ARC chain vouches for an upstream pass",
    ),
    (
        "auth.list_resigned",
        "a trusted mailing list re-signed a post by an outside author whose own DMARC fails",
    ),
    (
        "auth.dkim_unsigned_body",
        "a passing DKIM signature covers only part of the body (l=): bytes were added after the signed length",
    ),
    (
        "auth.unsigned_body_content",
        "an author domain is authenticated only by DKIM signatures that leave part of the body unsigned, and that part adds text, links or attachments a reader sees",
    ),
    (
        "sender.internal",
        "authenticated mail from the organisation's own domain",
    ),
    (
        "sender.vendor_contact",
        "authenticated mail from an approved, active contact of an enrolled vendor",
    ),
    (
        "sender.vendor_unapproved_contact",
        "authenticated mail from a vendor's domain, but not from an approved active contact",
    ),
    (
        "sender.vendor_untrusted",
        "the vendor is suspended or offboarded: its contacts cannot satisfy a callback",
    ),
    (
        "sender.vendor_review_overdue",
        "the vendor's review is overdue: its contacts cannot satisfy a callback until it is reviewed",
    ),
    (
        "sender.privileged_vendor",
        "the sender's vendor is flagged privileged",
    ),
    (
        "sender.reply_to_divergent",
        "Reply-To points to another registrable domain than the sender, and not to the mailing list that sent the message",
    ),
    (
        "sender.free_mail",
        "the From address is at a mailbox provider anyone can sign up to (gmail.com, gmx.de, yahoo.fr...)",
    ),
    (
        "sender.automated",
        "authenticated vendor mail from an automated or role mailbox (no-reply, newsletter, billing) or with list/bulk headers: not a person",
    ),
    (
        "sender.brand_owner",
        "authenticated mail from a well-known brand's own domain (microsoft.com writing as Microsoft), not a free-mail account",
    ),
    (
        "sender.inactive_person",
        "authenticated mail from the mailbox of a person the directory lists as departed or suspended",
    ),
    (
        "impersonation.lookalike_domain",
        "the From domain imitates a protected identity",
    ),
    (
        "impersonation.reply_to_lookalike",
        "a Reply-To domain imitates a protected identity",
    ),
    (
        "impersonation.return_path_lookalike",
        "the envelope sender's domain imitates a protected identity",
    ),
    (
        "impersonation.link_lookalike",
        "a link points to a domain imitating a protected identity",
    ),
    (
        "impersonation.display_name",
        "the display name claims a protected brand, the organisation, a vendor or IT support, from an address that is not theirs",
    ),
    (
        "impersonation.named_claim",
        "the display name's false claim names someone in particular (the organisation, a vendor, a brand, an authority, a protected address), not only a role such as IT support",
    ),
    (
        "impersonation.person",
        "the display name claims one of the directory's people (employee, executive, IT staff, vendor contact: full name, nickname, initials, transliteration), from an address that is not theirs; the name is not a common one, or a role is claimed with it",
    ),
    (
        "impersonation.person_role",
        "the claim on one of our people comes with a role (CEO, IT, HR...) in the display name or in the address: a deliberate claim of their authority",
    ),
    (
        "impersonation.namesake",
        "the display name matches a directory person whose name is common, from an address that is not theirs, without claiming a role: likely someone else of that name",
    ),
    (
        "impersonation.relays_it",
        "an internal mailbox that is not IT's relays a request for codes, passwords, approvals or installs on IT's behalf",
    ),
    (
        "impersonation.link_text",
        "a link shows a protected party's or a well-known brand's domain and leads elsewhere, not through the message's own sending provider",
    ),
    (
        "impersonation.free_mail_role",
        "a free-mail address poses as an organisation's role mailbox (support, billing, notifications...) in its local part",
    ),
    (
        "impersonation.signature",
        "the sign-off claims our IT or organisation from an address that is not ours, a vendor or brand by a line of its name and team words from an address that is not theirs, or a vendor, brand or IT from a free mailbox",
    ),
    (
        "impersonation.self_introduction",
        "the message's opening introduces it as our IT, our organisation, a vendor, a brand or an authority, from an address that is not theirs",
    ),
    (
        "impersonation.brand_link",
        "the message claims to be a well-known brand from an address that is not the brand's, and links to a domain the brand does not own",
    ),
    (
        "impersonation.staff_name",
        "the display name is an IT staff member's name, from an address that is not theirs",
    ),
    (
        "impersonation.contact_name",
        "the display name is a known vendor contact's name, from an address that is not theirs",
    ),
    (
        "request.any",
        "the message asks for a high-risk action (any of request.*)",
    ),
    (
        "request.credential_reset",
        "asks for a password or credential reset",
    ),
    ("request.mfa_reset", "asks to reset, disable or enrol MFA"),
    (
        "request.access_grant",
        "asks for access, a role or a group membership",
    ),
    (
        "request.remote_access",
        "asks to install or run a remote-access tool",
    ),
    (
        "request.software_install",
        "asks to install software or an update",
    ),
    (
        "request.payment_change",
        "asks to change payment or bank details",
    ),
    ("request.data_export", "asks to export or send data"),
    ("lure.any", "a classic lure is present (any of lure.*)"),
    (
        "lure.fake_tech_support",
        "unsolicited technical support offer",
    ),
    (
        "lure.urgent_patch",
        "a vendor's urgent patch or security update",
    ),
    ("lure.reward_lure", "a survey, gift card or prize"),
    ("lure.job_offer", "a job offer"),
    ("lure.free_upgrade", "a free upgrade"),
    ("lure.urgency", "urgency pressure"),
    ("lure.secrecy", "secrecy pressure"),
    (
        "lure.callback_bait",
        "a phone number supplied in the message, with a request to call",
    ),
    (
        "lure.callback_brand",
        "a callback lure naming a brand (protected or commonly borrowed) the sender's domain does not belong to",
    ),
    (
        "lure.scare",
        "the reader is told their account, device or money is at risk (compromised, infected, an unauthorised charge)",
    ),
];

/// True when `name` is a known signal, or a `prefix.*` pattern matching at least one.
pub fn is_known(name: &str) -> bool {
    match name.strip_suffix(".*") {
        Some(prefix) => SIGNALS
            .iter()
            .any(|(s, _)| s.strip_prefix(prefix).is_some_and(|r| r.starts_with('.'))),
        None => SIGNALS.iter().any(|(s, _)| *s == name),
    }
}

/// True when the signal `name` is matched by a policy `pattern` (exact or `prefix.*`).
pub fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(prefix) => name
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.')),
        None => pattern == name,
    }
}
