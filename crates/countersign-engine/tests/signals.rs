//! The engine's findings and verdicts on hand-built inputs: one test per
//! promise the default policy makes.

use countersign_directory::DirectorySnapshot;
use countersign_engine::{Engine, Identities};
use countersign_model::auth::{ArcCheck, AuthReport, AuthResult, DkimCheck, DmarcCheck, SpfCheck};
use countersign_model::verdict::{Action, Control};
use countersign_policy::Policy;
use countersign_risk::Rulebook;

const DIRECTORY: &str = r#"{
  "format": "countersign-directory/1",
  "organisation": { "name": "Acme", "domains": ["acme.example"], "review_interval_days": 90 },
  "vendors": [
    { "id": "contoso", "name": "Contoso Services", "domains": ["contoso.example"], "privileged": true,
      "relationship_manager": "S1", "status": "active",
      "last_reviewed_at": "2026-11-01T00:00:00Z", "review_due": "2099-01-01T00:00:00Z" }
  ],
  "contacts": [
    { "vendor": "contoso", "name": "Dana Whitfield", "email": "dana@contoso.example",
      "phones": ["+15555550142"], "role": "account manager", "status": "active" }
  ],
  "staff": [
    { "staff_id": "S1", "name": "Sam Okafor", "email": "sam@acme.example", "phone": "+15555550101",
      "role": "analyst", "team": "IT", "status": "active" }
  ],
  "forwarders": [ { "domain": "lists.example.org", "description": "staff list" } ]
}"#;

fn engine() -> Engine {
    engine_with(str::to_owned)
}

/// An authentication report for mail from `from_domain`: `passes` decides
/// whether SPF, DKIM and DMARC pass for it.
fn auth(from_domain: &str, passes: bool) -> AuthReport {
    let result = if passes {
        AuthResult::Pass
    } else {
        AuthResult::Fail
    };
    AuthReport {
        spf: SpfCheck {
            result,
            domain: from_domain.into(),
            identity: "mailfrom",
            explanation: None,
        },
        spf_helo: None,
        dkim: vec![DkimCheck {
            domain: from_domain.into(),
            selector: "s1".into(),
            algorithm: "rsa-sha256".into(),
            result,
            reason: None,
            body_length: None,
            unsigned_body_bytes: 0,
        }],
        arc: ArcCheck {
            result: AuthResult::None,
            instances: 0,
            sealers: Vec::new(),
            upstream_results: None,
            reason: None,
        },
        dmarc: DmarcCheck {
            result,
            policy: "reject".into(),
            from_domain: from_domain.into(),
            spf_aligned: passes,
            dkim_aligned: passes,
            reason: None,
        },
        dmarc_other_authors: Vec::new(),
        authentication_results: String::new(),
        errors: Vec::new(),
    }
}

fn message(from: &str, subject: &str, body: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: desk@acme.example\r\nSubject: {subject}\r\n\r\n{body}\r\n")
        .into_bytes()
}

fn signals(verdict: &countersign_model::verdict::Verdict) -> Vec<&str> {
    verdict.findings.iter().map(|f| f.signal.as_str()).collect()
}

#[test]
fn approved_contact_with_benign_mail_is_delivered() {
    let raw = message(
        "Dana Whitfield <dana@contoso.example>",
        "Maintenance window",
        "Our quarterly maintenance is planned for Saturday as agreed in the change ticket.",
    );
    let verdict = engine()
        .evaluate(&raw, &auth("contoso.example", true), "dana@contoso.example")
        .verdict;
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);
    assert!(signals(&verdict).contains(&"sender.vendor_contact"));
}

/// The engine over the directory with Contoso's record changed by `edit`.
fn engine_with(edit: impl Fn(&str) -> String) -> Engine {
    let snapshot = DirectorySnapshot::from_json(&edit(DIRECTORY)).unwrap();
    let now = time::OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
    Engine::new(
        Policy::default_policy(),
        Rulebook::default_rules(),
        Identities::from_snapshot(&snapshot, now),
    )
}

#[test]
fn an_overdue_review_weighs_on_requests_not_on_routine_mail() {
    let from_dana = |engine: &Engine, raw: &[u8]| {
        engine
            .evaluate(raw, &auth("contoso.example", true), "dana@contoso.example")
            .verdict
    };
    let overdue = engine_with(|d| d.replace("2099-01-01T00:00:00Z", "2026-01-01T00:00:00Z"));
    let routine = message(
        "Dana Whitfield <dana@contoso.example>",
        "Delivery note",
        "The spare disks ship on Monday; the delivery note is attached.",
    );
    let verdict = from_dana(&overdue, &routine);
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);
    assert!(signals(&verdict).contains(&"sender.vendor_review_overdue"));
    // Asking for something still needs proof, which the lapsed record
    // cannot give by callback.
    let asking = message(
        "Dana Whitfield <dana@contoso.example>",
        "Access",
        "Could you create a VPN account for our new engineer this week?",
    );
    let verdict = from_dana(&overdue, &asking);
    assert_eq!(verdict.verdict, Action::Hold, "{:?}", verdict.reasons);
    // A suspended vendor still writing is worth a banner on any mail.
    let suspended = engine_with(|d| {
        d.replace(
            "\"status\": \"active\",\n      \"last",
            "\"status\": \"suspended\",\n      \"last",
        )
    });
    let verdict = from_dana(&suspended, &routine);
    assert_eq!(verdict.verdict, Action::Flag, "{:?}", verdict.reasons);
    assert!(signals(&verdict).contains(&"sender.vendor_untrusted"));
}

#[test]
fn high_risk_request_from_an_approved_contact_is_held() {
    let raw = message(
        "Dana Whitfield <dana@contoso.example>",
        "Password",
        "Could you please reset the password for our service account today?",
    );
    let verdict = engine()
        .evaluate(&raw, &auth("contoso.example", true), "dana@contoso.example")
        .verdict;
    assert_eq!(verdict.verdict, Action::Hold);
    assert!(verdict.required_controls.contains(&Control::Callback));
    assert!(verdict.required_controls.contains(&Control::OneTimeCode));
}

#[test]
fn privileged_vendor_asking_for_access_needs_signature_and_dual_approval() {
    let raw = message(
        "Dana Whitfield <dana@contoso.example>",
        "Access",
        "Please add me to the domain admins group so I can finish the migration.",
    );
    let verdict = engine()
        .evaluate(&raw, &auth("contoso.example", true), "dana@contoso.example")
        .verdict;
    assert_eq!(verdict.verdict, Action::Hold, "{:?}", verdict.findings);
    assert!(
        verdict
            .required_controls
            .contains(&Control::VendorSignature)
    );
    assert!(verdict.required_controls.contains(&Control::DualApproval));
}

#[test]
fn unknown_address_at_a_vendor_is_held_only_when_it_asks() {
    let judge = |body: &str| {
        let raw = message("New Person <new.person@contoso.example>", "Hello", body);
        engine()
            .evaluate(
                &raw,
                &auth("contoso.example", true),
                "new.person@contoso.example",
            )
            .verdict
    };
    // Named, but nothing to verify yet.
    let intro = judge("I am your new account manager.");
    assert_eq!(intro.verdict, Action::Deliver);
    assert!(signals(&intro).contains(&"sender.vendor_unapproved_contact"));
    let ask = judge("I am your new account manager. Could you please reset my VPN password?");
    assert_eq!(ask.verdict, Action::Hold, "{:?}", ask.findings);
    assert!(ask.required_controls.contains(&Control::Callback));
}

#[test]
fn spoofed_protected_domain_is_quarantined() {
    let raw = message("IT Support <it@acme.example>", "Notice", "Hello.");
    let verdict = engine()
        .evaluate(&raw, &auth("acme.example", false), "it@acme.example")
        .verdict;
    assert_eq!(verdict.verdict, Action::Quarantine);
    assert!(signals(&verdict).contains(&"auth.protected_domain_spoofed"));
    assert!(targets(&verdict).contains(&"Acme (organisation)"));
}

#[test]
fn an_unsigned_bounce_that_links_nowhere_is_only_flagged() {
    let bounce = |body: &str| {
        format!(
            "From: MAILER-DAEMON@acme.example\r\nTo: desk@acme.example\r\n\
             Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n\r\n{body}\r\n"
        )
        .into_bytes()
    };
    let plain =
        bounce("Your message to old@acme.example could not be delivered: user unknown (5.1.1).");
    let verdict = engine()
        .evaluate(&plain, &auth("acme.example", false), "")
        .verdict;
    assert_eq!(verdict.verdict, Action::Flag);
    assert!(signals(&verdict).contains(&"message.delivery_report"));
    // A "bounce" with a link to follow is no delivery report.
    let lure = bounce(
        "3 messages to you were held. Release them at https://mail-release.example/login today.",
    );
    let verdict = engine()
        .evaluate(&lure, &auth("acme.example", false), "")
        .verdict;
    assert_eq!(verdict.verdict, Action::Quarantine);
    // Nor is one with an envelope sender.
    let verdict = engine()
        .evaluate(&plain, &auth("acme.example", false), "it@acme.example")
        .verdict;
    assert_eq!(verdict.verdict, Action::Quarantine);
}

/// The identities the findings say were imitated.
fn targets(verdict: &countersign_model::verdict::Verdict) -> Vec<&str> {
    verdict
        .findings
        .iter()
        .filter_map(|f| f.target.as_deref())
        .collect()
}

#[test]
fn authenticated_lookalike_is_quarantined() {
    let raw = message("Contoso <help@contoso-helpdesk.example>", "Hi", "Hello.");
    let verdict = engine()
        .evaluate(
            &raw,
            &auth("contoso-helpdesk.example", true),
            "help@contoso-helpdesk.example",
        )
        .verdict;
    assert_eq!(verdict.verdict, Action::Quarantine);
    let finding = verdict
        .findings
        .iter()
        .find(|f| f.signal == "impersonation.lookalike_domain")
        .expect("lookalike finding");
    assert!(
        finding.summary.contains("contoso.example"),
        "{}",
        finding.summary
    );
    // The identity imitated, named as the overview counts it.
    assert_eq!(finding.target.as_deref(), Some("Contoso Services (vendor)"));
}

#[test]
fn brand_display_name_from_free_mail_is_quarantined() {
    let raw = message(
        "Microsoft Account Team <ms.account.team@outlook.com>",
        "Notice",
        "Hello.",
    );
    let verdict = engine()
        .evaluate(
            &raw,
            &auth("outlook.com", true),
            "ms.account.team@outlook.com",
        )
        .verdict;
    // A free mailbox never speaks for a brand, not even the brand's own
    // consumer mail service.
    assert_eq!(
        verdict.verdict,
        Action::Quarantine,
        "{:?}",
        verdict.findings
    );
    assert!(signals(&verdict).contains(&"impersonation.display_name"));
    assert!(signals(&verdict).contains(&"sender.free_mail"));
    assert!(
        targets(&verdict).contains(&"Microsoft (brand)"),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn an_establishment_named_like_a_product_claims_no_brand() {
    let claims_a_brand = |from: &str, address: &str, domain: &str| {
        let raw = message(from, "Update", "Your table for six is booked for Friday.");
        let verdict = engine()
            .evaluate(&raw, &auth(domain, true), address)
            .verdict;
        signals(&verdict).contains(&"impersonation.display_name")
    };
    // A café that shares its name with a task-board product.
    assert!(!claims_a_brand(
        "Café Trello <bonjour@cafe-trello.example>",
        "bonjour@cafe-trello.example",
        "cafe-trello.example",
    ));
    // The product's name with nothing of its own still claims the brand.
    assert!(claims_a_brand(
        "Trello Notifications <alerts@wiki-alerts.example>",
        "alerts@wiki-alerts.example",
        "wiki-alerts.example",
    ));
}

#[test]
fn staff_name_from_another_address_is_flagged() {
    let raw = message("Sam Okafor <sam.okafor.home@gmail.com>", "Hi", "Hello.");
    let verdict = engine()
        .evaluate(&raw, &auth("gmail.com", true), "sam.okafor.home@gmail.com")
        .verdict;
    assert!(signals(&verdict).contains(&"impersonation.staff_name"));
    assert_eq!(verdict.verdict, Action::Flag);
    assert_eq!(targets(&verdict), ["Sam Okafor (IT staff)"]);

    // "it" in the address claims the role with the name: held.
    let raw = message("Sam Okafor <sam.okafor.it@gmail.com>", "Hi", "Hello.");
    let verdict = engine()
        .evaluate(&raw, &auth("gmail.com", true), "sam.okafor.it@gmail.com")
        .verdict;
    assert!(signals(&verdict).contains(&"impersonation.person_role"));
    assert_eq!(verdict.verdict, Action::Hold);
}

/// A post by an outside author that the directory's list re-signed: the
/// author's DMARC fails because the list changed the message.
fn list_post(author: &str, list_id: &str, list_signer: &str) -> (Vec<u8>, AuthReport) {
    list_post_saying(
        author,
        list_id,
        list_signer,
        "Has anyone found a good way to share the new printers?",
    )
}

fn list_post_saying(
    author: &str,
    list_id: &str,
    list_signer: &str,
    body: &str,
) -> (Vec<u8>, AuthReport) {
    let domain = author.rsplit_once('@').unwrap().1;
    let raw = format!(
        "From: Pat Reyes <{author}>\r\nTo: staff@lists.example.org\r\nSubject: [staff] Printer tips\r\n\
         List-Id: Staff talk <{list_id}>\r\nList-Unsubscribe: <mailto:leave@lists.example.org>\r\n\r\n\
         {body}\r\n"
    )
    .into_bytes();
    let mut report = auth(domain, false);
    report.dmarc.policy = "none".into();
    report.dkim.push(DkimCheck {
        domain: list_signer.into(),
        selector: "list".into(),
        algorithm: "rsa-sha256".into(),
        result: AuthResult::Pass,
        reason: None,
        body_length: None,
        unsigned_body_bytes: 0,
    });
    (raw, report)
}

#[test]
fn a_trusted_list_re_signing_an_outside_authors_post_is_not_flagged() {
    let engine = engine();
    let judge = |author: &str, list_id: &str, signer: &str| {
        let (raw, report) = list_post(author, list_id, signer);
        engine
            .evaluate(&raw, &report, &format!("bounces@{signer}"))
            .verdict
    };
    let verdict = judge(
        "pat@partner.example",
        "staff.lists.example.org",
        "lists.example.org",
    );
    assert!(signals(&verdict).contains(&"auth.list_resigned"));
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);

    // Also when the author's domain asks receivers to reject what fails:
    // the trusted list vouches for the passage, as a trusted ARC sealer.
    let (raw, mut report) = list_post(
        "pat@partner.example",
        "staff.lists.example.org",
        "lists.example.org",
    );
    report.dmarc.policy = "reject".into();
    let verdict = engine
        .evaluate(&raw, &report, "bounces@lists.example.org")
        .verdict;
    assert!(signals(&verdict).contains(&"auth.dmarc_enforced"));
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);

    // A list nobody trusts, or a List-Id the signer does not own, is a
    // plain DMARC failure.
    let verdict = judge(
        "pat@partner.example",
        "staff.lists.elsewhere.example",
        "lists.elsewhere.example",
    );
    assert_eq!(verdict.verdict, Action::Flag, "{:?}", verdict.reasons);
    let verdict = judge(
        "pat@partner.example",
        "staff.lists.elsewhere.example",
        "lists.example.org",
    );
    assert!(!signals(&verdict).contains(&"auth.list_resigned"));

    // An author in a protected domain is left to the spoofing rules.
    let verdict = judge(
        "dana@contoso.example",
        "staff.lists.example.org",
        "lists.example.org",
    );
    assert!(!signals(&verdict).contains(&"auth.list_resigned"));
    assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
}

#[test]
fn a_request_in_a_trusted_lists_post_asks_every_member_and_is_not_held() {
    let engine = engine();
    let judge = |signer: &str| {
        let (raw, report) = list_post_saying(
            "pat@partner.example",
            "staff.lists.example.org",
            signer,
            "Heads-up: please install the 4.2 client update on your laptops this week.",
        );
        engine
            .evaluate(&raw, &report, "bounces@lists.example.org")
            .verdict
    };
    let verdict = judge("lists.example.org");
    assert!(signals(&verdict).contains(&"message.trusted_list"));
    assert!(signals(&verdict).contains(&"request.software_install"));
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);
    // The analyst still sees why it was not held.
    assert!(
        verdict
            .reasons
            .iter()
            .any(|r| r.contains("trusted mailing list")),
        "{:?}",
        verdict.reasons
    );
    // Without the list's own signature the same post is held.
    let verdict = judge("lists.elsewhere.example");
    assert!(!signals(&verdict).contains(&"message.trusted_list"));
    assert!(verdict.verdict >= Action::Hold, "{:?}", verdict.reasons);
}

#[test]
fn a_lure_in_a_trusted_lists_post_by_a_free_mail_author_is_flagged() {
    let engine = engine();
    let judge = |author: &str| {
        let (raw, report) = list_post_saying(
            author,
            "staff.lists.example.org",
            "lists.example.org",
            "Members get a free upgrade to the premium plan this month: claim yours on the page below.",
        );
        engine
            .evaluate(&raw, &report, "bounces@lists.example.org")
            .verdict
    };
    // A member writing from a company domain: the list's talk, delivered.
    let verdict = judge("pat@partner.example");
    assert!(
        signals(&verdict).contains(&"lure.free_upgrade"),
        "{:?}",
        verdict.findings
    );
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);
    // The same offer from a personal free-mail address is the author's.
    let verdict = judge("pat.reyes.77@gmail.com");
    assert!(
        signals(&verdict).contains(&"sender.free_mail"),
        "{:?}",
        verdict.findings
    );
    assert_eq!(verdict.verdict, Action::Flag, "{:?}", verdict.reasons);
}

fn forwarded(sealer: &str, upstream: &str) -> AuthReport {
    let mut report = auth("contoso.example", false);
    report.arc = ArcCheck {
        result: AuthResult::Pass,
        instances: 1,
        sealers: vec![sealer.into()],
        upstream_results: Some(upstream.into()),
        reason: None,
    };
    report
}

#[test]
fn trusted_forwarder_vouching_for_a_pass_is_not_punished() {
    let raw = message(
        "Dana Whitfield <dana@contoso.example>",
        "Maintenance window",
        "Our quarterly maintenance is planned for Saturday.",
    );
    let engine = engine();
    let vouched = forwarded(
        "lists.example.org",
        "i=1; lists.example.org; dkim=pass header.d=contoso.example; dmarc=pass header.from=contoso.example",
    );
    let verdict = engine
        .evaluate(&raw, &vouched, "bounce@lists.example.org")
        .verdict;
    assert!(signals(&verdict).contains(&"auth.forwarded_trusted"));
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);

    // The list's organisation seals with its own domain, not the host the
    // directory names.
    let org_sealed = forwarded(
        "example.org",
        "i=1; lists.example.org; dkim=pass header.d=contoso.example",
    );
    let verdict = engine
        .evaluate(&raw, &org_sealed, "bounce@lists.example.org")
        .verdict;
    assert!(signals(&verdict).contains(&"auth.forwarded_trusted"));
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);

    // The same chain from a sealer nobody trusts changes nothing.
    let untrusted = forwarded(
        "lists.elsewhere.example",
        "i=1; lists.elsewhere.example; dmarc=pass header.from=contoso.example",
    );
    let verdict = engine
        .evaluate(&raw, &untrusted, "bounce@lists.elsewhere.example")
        .verdict;
    assert_eq!(verdict.verdict, Action::Quarantine);

    // A trusted forwarder that saw a failure upstream vouches for nothing.
    let failed = forwarded(
        "lists.example.org",
        "i=1; lists.example.org; dkim=fail header.d=contoso.example; dmarc=fail header.from=contoso.example",
    );
    let verdict = engine
        .evaluate(&raw, &failed, "bounce@lists.example.org")
        .verdict;
    assert_eq!(verdict.verdict, Action::Quarantine);
}

#[test]
fn same_inputs_same_verdict() {
    let raw = message(
        "IT Support <support@contoso-support.example>",
        "Urgent",
        "Install AnyDesk now and send me the code.",
    );
    let engine = engine();
    let report = auth("contoso-support.example", true);
    let first = engine.evaluate(&raw, &report, "x@contoso-support.example");
    let second = engine.evaluate(&raw, &report, "x@contoso-support.example");
    assert_eq!(first.verdict, second.verdict);
}

/// A report where DMARC passes for `from_domain` through a DKIM signature
/// that leaves `unsigned` bytes of the body unsigned (`l=`); SPF is not
/// aligned unless `spf_aligned`.
fn partial_dkim(from_domain: &str, unsigned: u64, spf_aligned: bool) -> AuthReport {
    let mut report = auth(from_domain, true);
    report.spf.domain = "bounces.mailer.example".into();
    report.spf.result = AuthResult::Pass;
    report.dmarc.spf_aligned = spf_aligned;
    report.dkim[0].body_length = Some(120);
    report.dkim[0].unsigned_body_bytes = unsigned;
    report
}

const SIGNED_PART: &str = "Thanks for the meeting notes, see you on Thursday.";

#[test]
fn content_appended_after_a_signed_length_is_quarantined() {
    let mut raw = message(
        "Dana Whitfield <dana@contoso.example>",
        "Notes",
        SIGNED_PART,
    );
    let appended = b"\r\nUpdate: our portal moved, sign in at https://contoso-portal.evil.example/login today.\r\n";
    raw.extend_from_slice(appended);
    let report = partial_dkim("contoso.example", appended.len() as u64, false);
    let verdict = engine()
        .evaluate(&raw, &report, "dana@contoso.example")
        .verdict;
    let found = signals(&verdict);
    assert!(found.contains(&"auth.dkim_unsigned_body"), "{found:?}");
    assert!(found.contains(&"auth.unsigned_body_content"), "{found:?}");
    assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
    assert_eq!(verdict.rules[0], "unsigned-content-authenticated");
    let finding = verdict
        .findings
        .iter()
        .find(|f| f.signal == "auth.unsigned_body_content")
        .unwrap();
    assert!(
        finding.evidence.contains("contoso-portal.evil.example"),
        "{finding:?}"
    );
    assert!(
        finding
            .summary
            .contains(&format!("last {} bytes", appended.len())),
        "{finding:?}"
    );
}

#[test]
fn an_unsigned_part_no_reader_sees_is_only_flagged() {
    // The unsigned bytes follow the closing MIME boundary: an epilogue,
    // which mail clients do not show.
    let signed = format!(
        "From: Dana Whitfield <dana@contoso.example>\r\nTo: desk@acme.example\r\nSubject: Notes\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\n{SIGNED_PART}\r\n--b--\r\n"
    );
    let epilogue = "tracking 3f2a9c\r\n";
    let raw = format!("{signed}{epilogue}").into_bytes();
    let report = partial_dkim("contoso.example", epilogue.len() as u64, false);
    let verdict = engine()
        .evaluate(&raw, &report, "dana@contoso.example")
        .verdict;
    let found = signals(&verdict);
    assert!(found.contains(&"auth.dkim_unsigned_body"), "{found:?}");
    assert!(!found.contains(&"auth.unsigned_body_content"), "{found:?}");
    assert_eq!(verdict.verdict, Action::Flag, "{:?}", verdict.reasons);
}

#[test]
fn appended_content_with_another_authentication_is_only_flagged() {
    let mut raw = message(
        "Dana Whitfield <dana@contoso.example>",
        "Notes",
        SIGNED_PART,
    );
    let appended = b"\r\nP.S. the slides are at https://docs.example.net/notes\r\n";
    raw.extend_from_slice(appended);
    // SPF passes aligned: DMARC does not rest on the partial signature.
    let report = partial_dkim("contoso.example", appended.len() as u64, true);
    let verdict = engine()
        .evaluate(&raw, &report, "dana@contoso.example")
        .verdict;
    let found = signals(&verdict);
    assert!(found.contains(&"auth.dkim_unsigned_body"), "{found:?}");
    assert!(!found.contains(&"auth.unsigned_body_content"), "{found:?}");
    assert_eq!(verdict.verdict, Action::Flag, "{:?}", verdict.reasons);
}

#[test]
fn a_work_bound_hit_is_quarantined_with_its_bound_and_count() {
    use countersign_model::auth::MessageDefect;
    use countersign_model::bounds::{BoundHit, WorkBound};
    let raw = message(
        "Dana Whitfield <dana@contoso.example>",
        "Notes",
        SIGNED_PART,
    );
    let mut report = auth("contoso.example", true);
    report.errors.push(MessageDefect::WorkBound(BoundHit::new(
        WorkBound::AuthorDomains,
        20_000,
    )));
    let verdict = engine()
        .evaluate(&raw, &report, "dana@contoso.example")
        .verdict;
    assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
    assert_eq!(verdict.rules[0], "work-bound");
    let finding = verdict
        .findings
        .iter()
        .find(|f| f.signal == "message.work_bound")
        .unwrap();
    assert_eq!(finding.evidence, "author_domains");
    assert!(
        finding.summary.contains("20000 author domains"),
        "{finding:?}"
    );

    // Bounds of the content count as well: here, Reply-To addresses.
    let reply_to: Vec<String> = (0..40).map(|i| format!("r{i}@x{i}.example")).collect();
    let raw = format!(
        "From: Dana Whitfield <dana@contoso.example>\r\nReply-To: {}\r\nSubject: Notes\r\n\r\n{SIGNED_PART}\r\n",
        reply_to.join(", ")
    );
    let verdict = engine()
        .evaluate(
            raw.as_bytes(),
            &auth("contoso.example", true),
            "dana@contoso.example",
        )
        .verdict;
    assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
    assert!(
        verdict
            .findings
            .iter()
            .any(|f| f.signal == "message.work_bound" && f.evidence.contains("reply_to_addresses")),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn a_trusted_list_named_after_a_vendor_is_no_lookalike_of_it() {
    let engine = engine_with(|d| d.replace("lists.example.org", "lists.contoso-users.example"));
    let post = message(
        "Ravi via Contoso Users <users@lists.contoso-users.example>",
        "Exporting closed jobs to PDF?",
        "Has anyone found a way to export closed jobs to PDF in bulk? Our auditors want them.",
    );
    let verdict = engine
        .evaluate(
            &post,
            &auth("lists.contoso-users.example", true),
            "users-bounces@lists.contoso-users.example",
        )
        .verdict;
    assert!(
        !signals(&verdict).contains(&"impersonation.lookalike_domain"),
        "{:?}",
        verdict.findings
    );
    // The vendor itself is still defended.
    let imitation = message(
        "Contoso Support <help@contoso-helpdesk.example>",
        "Exporting closed jobs to PDF?",
        "Has anyone found a way to export closed jobs to PDF in bulk?",
    );
    let verdict = engine
        .evaluate(
            &imitation,
            &auth("contoso-helpdesk.example", true),
            "help@contoso-helpdesk.example",
        )
        .verdict;
    assert!(
        signals(&verdict).contains(&"impersonation.lookalike_domain"),
        "{:?}",
        verdict.findings
    );
}

/// Calling a number of the directory's own people is the callback the
/// product asks for: a warning that gives the service desk's number is no
/// callback bait, while the same text with a stranger's number is.
#[test]
fn a_number_to_call_from_the_directory_is_no_bait() {
    let body = |number: &str| {
        format!(
            "Several colleagues had calls this week from people claiming to be Microsoft \
             support. They talk about a virus and want you to install a program. If you are \
             unsure, hang up and call us on {number}."
        )
    };
    let verdict = |number: &str| {
        engine()
            .evaluate(
                &message(
                    "Sam Okafor <sam@acme.example>",
                    "Fake support calls",
                    &body(number),
                ),
                &auth("acme.example", true),
                "sam@acme.example",
            )
            .verdict
    };
    let stranger = verdict("+1 555 555 0199");
    assert!(
        signals(&stranger).contains(&"lure.callback_bait"),
        "{:?}",
        signals(&stranger)
    );
    let desk = verdict("+1 555 555 0101");
    assert!(
        !signals(&desk).contains(&"lure.callback_bait"),
        "{:?}",
        signals(&desk)
    );
    assert_eq!(desk.verdict, Action::Deliver, "{:?}", desk.reasons);
}
