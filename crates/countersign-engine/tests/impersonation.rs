//! Impersonation as real mail carries it: the organisation's people claimed
//! in display names, brands and authorities, mailing lists and newsletters
//! that are not impersonation, and a colleague's mailbox relaying for IT.
//! Every name, domain and message here is invented for these tests.

use countersign_directory::DirectorySnapshot;
use countersign_engine::{Engine, Identities};
use countersign_model::auth::{ArcCheck, AuthReport, AuthResult, DkimCheck, DmarcCheck, SpfCheck};
use countersign_model::verdict::{Action, Verdict};
use countersign_policy::Policy;
use countersign_risk::Rulebook;

const DIRECTORY: &str = r#"{
  "format": "countersign-directory/1",
  "organisation": { "name": "Brackwater Logistics", "domains": ["brackwater.example"] },
  "vendors": [
    { "id": "tallyfox", "name": "Tallyfox Accounting", "domains": ["tallyfox.example"], "privileged": false,
      "relationship_manager": "S1", "status": "active",
      "last_reviewed_at": "2026-11-01T00:00:00Z", "review_due": "2099-01-01T00:00:00Z" },
    { "id": "deskline", "name": "Deskline Ticketing", "domains": ["deskline.example"], "privileged": true,
      "relationship_manager": "S1", "status": "active",
      "last_reviewed_at": "2026-11-01T00:00:00Z", "review_due": "2099-01-01T00:00:00Z" }
  ],
  "contacts": [
    { "vendor": "tallyfox", "name": "Priscilla Ferreira-Holm", "email": "priscilla@tallyfox.example",
      "phones": ["+15555550142"], "role": "account manager", "status": "active" }
  ],
  "staff": [
    { "staff_id": "S1", "name": "Oswin Thackeray", "email": "oswin.thackeray@brackwater.example",
      "phone": "+15555550101", "role": "service desk lead", "team": "IT", "status": "active" }
  ],
  "employees": [
    { "id": "E1", "name": "Rosalind Achterberg", "email": "rosalind.achterberg@brackwater.example" },
    { "id": "E2", "name": "Jürgen Wolkenstein", "email": "juergen.wolkenstein@brackwater.example" },
    { "id": "E3", "name": "John Smith", "email": "john.smith@brackwater.example" },
    { "id": "E4", "name": "Ivo Pennington", "email": "ivo.pennington@brackwater.example", "status": "departed" },
    { "id": "E5", "name": "Maud Kerrigan", "email": "maud.kerrigan@brackwater.example" }
  ],
  "forwarders": []
}"#;

fn engine() -> Engine {
    let snapshot = DirectorySnapshot::from_json(DIRECTORY).unwrap();
    let now = time::OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
    Engine::new(
        Policy::default_policy(),
        Rulebook::default_rules(),
        Identities::from_snapshot(&snapshot, now),
    )
}

/// A report in which SPF, DKIM (one signature per `signers`) and DMARC pass
/// for `from_domain`.
fn passing(from_domain: &str, signers: &[&str]) -> AuthReport {
    AuthReport {
        spf: SpfCheck {
            result: AuthResult::Pass,
            domain: from_domain.into(),
            identity: "mailfrom",
            explanation: None,
        },
        spf_helo: None,
        dkim: signers
            .iter()
            .map(|d| DkimCheck {
                domain: (*d).into(),
                selector: "s1".into(),
                algorithm: "rsa-sha256".into(),
                result: AuthResult::Pass,
                reason: None,
                body_length: None,
                unsigned_body_bytes: 0,
            })
            .collect(),
        arc: ArcCheck {
            result: AuthResult::None,
            instances: 0,
            sealers: Vec::new(),
            upstream_results: None,
            reason: None,
        },
        dmarc: DmarcCheck {
            result: AuthResult::Pass,
            policy: "reject".into(),
            from_domain: from_domain.into(),
            spf_aligned: true,
            dkim_aligned: true,
            reason: None,
        },
        dmarc_other_authors: Vec::new(),
        authentication_results: String::new(),
        errors: Vec::new(),
    }
}

fn judge(headers: &str, body: &str) -> Verdict {
    let raw = format!("{headers}\r\nTo: someone@brackwater.example\r\n\r\n{body}\r\n");
    let from = headers
        .lines()
        .find_map(|l| l.strip_prefix("From:"))
        .and_then(|f| f.rsplit_once('@'))
        .map(|(_, d)| d.trim_end_matches('>').trim().to_owned())
        .unwrap();
    engine()
        .evaluate(
            raw.as_bytes(),
            &passing(&from, &[&from]),
            &format!("x@{from}"),
        )
        .verdict
}

fn signals(verdict: &Verdict) -> Vec<&str> {
    verdict.findings.iter().map(|f| f.signal.as_str()).collect()
}

#[test]
fn an_executive_claimed_from_free_mail() {
    for from in [
        "From: Rosalind Achterberg <r.achterberg.office@gmail.example.com>",
        "From: Rosalind Achterberg <rosalind.achterberg77@gmail.com>",
        "From: \"Achterberg, Rosalind\" <ra1962@outlook.com>",
        "From: \"R. Achterberg\" <achterberg.r@yahoo.fr>",
        "From: Roz Achterberg <roz.a@icloud.com>",
    ] {
        let verdict = judge(
            &format!("{from}\r\nSubject: quick one"),
            "Are you at your desk? I need a small favour.",
        );
        if from.contains("gmail.example.com") {
            // Not a free-mail domain and no role claimed: a rare name from a
            // company domain is still a claim on our person.
            assert!(
                signals(&verdict).contains(&"impersonation.person"),
                "{from}"
            );
            continue;
        }
        assert!(
            signals(&verdict).contains(&"impersonation.person"),
            "{from}: {:?}",
            verdict.findings
        );
        assert!(verdict.verdict >= Action::Flag, "{from}");
    }
}

#[test]
fn a_claim_with_a_request_is_quarantined() {
    let verdict = judge(
        "From: \"Jurgen Wolkenstein (CFO)\" <jw.finance@gmx.de>\r\nSubject: Zahlung",
        "Please change the bank details of our supplier to the new IBAN today and confirm.",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.person"),
        "{:?}",
        verdict.findings
    );
    if signals(&verdict).contains(&"request.any") {
        assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
    }
}

#[test]
fn common_names_need_a_role_claim() {
    // Another John Smith writing about his own business.
    let verdict = judge(
        "From: John Smith <john@smith-joinery.example>\r\nSubject: Quote",
        "Here is the quote for the new shelving in your warehouse.",
    );
    assert!(!signals(&verdict).contains(&"impersonation.person"));
    assert!(signals(&verdict).contains(&"impersonation.namesake"));
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);
    // The same name claiming a role, or a role in the address, is a claim.
    for from in [
        "From: \"John Smith, CEO\" <jsmith4421@gmail.com>",
        "From: John Smith <john.smith.ceo@gmail.com>",
    ] {
        let verdict = judge(&format!("{from}\r\nSubject: hi"), "Are you free?");
        assert!(
            signals(&verdict).contains(&"impersonation.person"),
            "{from}"
        );
        assert!(
            signals(&verdict).contains(&"impersonation.person_role"),
            "{from}"
        );
        assert_eq!(verdict.verdict, Action::Hold, "{from}");
    }
}

#[test]
fn the_person_themself_and_their_colleagues_are_not_claims() {
    let verdict = judge(
        "From: Rosalind Achterberg <rosalind.achterberg@brackwater.example>\r\nSubject: Board pack",
        "The board pack is on the shared drive.",
    );
    assert!(
        !signals(&verdict)
            .iter()
            .any(|s| s.starts_with("impersonation."))
    );
    // A service writing on someone's behalf names them.
    let verdict = judge(
        "From: \"Rosalind Achterberg via DocuSign\" <dse@docusign.net>\r\nSubject: Please sign",
        "Rosalind Achterberg sent you a document to review and sign.",
    );
    assert!(
        !signals(&verdict)
            .iter()
            .any(|s| s.starts_with("impersonation.")),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn an_enrolled_vendors_platform_sends_for_one_of_our_people() {
    // An e-signature vendor's platform names whom it sends for; replies
    // go back to her.
    let verdict = judge(
        "From: \"Rosalind Achterberg via Tallyfox\" <sign@tallyfox.example>\r\n\
         Reply-To: Rosalind Achterberg <rosalind.achterberg@brackwater.example>\r\n\
         Subject: Engagement letter to sign",
        "Rosalind Achterberg sent you a document to sign.",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.person"),
        "{:?}",
        verdict.findings
    );
    // Replies that go elsewhere make the name a claim again.
    let verdict = judge(
        "From: \"Rosalind Achterberg via Tallyfox\" <sign@tallyfox.example>\r\n\
         Reply-To: <rosalind.office@mailbox.example>\r\n\
         Subject: Engagement letter to sign",
        "Rosalind Achterberg sent you a document to sign.",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.person"),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn a_vendor_and_a_brand_claimed_from_elsewhere() {
    let verdict = judge(
        "From: Tallyfox Billing <billing.tallyfox@outlook.com>\r\nSubject: Invoice",
        "Your invoice is attached.",
    );
    assert!(signals(&verdict).contains(&"impersonation.display_name"));
    assert_eq!(verdict.verdict, Action::Quarantine);

    // Naming a brand one is not is a lie about who writes, ask or not.
    let verdict = judge(
        "From: PayPal <service@harbour-bakery.example>\r\nSubject: Account",
        "Your account has a new notice.",
    );
    assert!(signals(&verdict).contains(&"impersonation.named_claim"));
    assert_eq!(verdict.verdict, Action::Quarantine);

    // A role alone may be another company's honest staff: held.
    let verdict = judge(
        "From: IT Service Desk <servicedesk@harbour-bakery.example>\r\nSubject: Wi-Fi",
        "Our guest Wi-Fi is down on Saturday.",
    );
    assert!(signals(&verdict).contains(&"impersonation.display_name"));
    assert!(!signals(&verdict).contains(&"impersonation.named_claim"));
    assert_eq!(verdict.verdict, Action::Hold);

    // The brand's own country domain is the brand.
    let verdict = judge(
        "From: PayPal <service@paypal.de>\r\nSubject: Konto",
        "Ihre E-Mail-Adresse wurde geändert.",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.display_name"),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn a_public_authority_claimed_from_a_private_domain() {
    let verdict = judge(
        "From: HMRC <refunds@cornerstone-dental.example>\r\nSubject: Tax refund",
        "You are eligible for a tax refund.",
    );
    assert!(signals(&verdict).contains(&"impersonation.display_name"));
    let verdict = judge(
        "From: HMRC <noreply@notifications.hmrc.gov.uk>\r\nSubject: Your tax account",
        "There is a new message in your tax account.",
    );
    assert!(!signals(&verdict).contains(&"impersonation.display_name"));
}

#[test]
fn our_service_desk_through_an_enrolled_ticketing_vendor() {
    let verdict = judge(
        "From: Brackwater Service Desk <noreply@deskline.example>\r\nSubject: Ticket resolved",
        "Your ticket 4411 was resolved.",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.display_name"),
        "{:?}",
        verdict.findings
    );
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);
}

#[test]
fn free_mail_posing_as_an_organisation() {
    let verdict = judge(
        "From: Parcel Desk <parcels.notifications@gmail.com>\r\nSubject: Delivery",
        "Your parcel is waiting.",
    );
    assert!(signals(&verdict).contains(&"impersonation.free_mail_role"));
    let verdict = judge(
        "From: Hannelore Quist <hannelore.quist1980@gmail.com>\r\nSubject: Hello",
        "Thank you for the meeting.",
    );
    assert!(!signals(&verdict).contains(&"impersonation.free_mail_role"));
}

#[test]
fn mailing_list_replies_go_to_the_list() {
    let headers = "From: Ann Example <ann@members.example>\r\n\
                   Reply-To: forum@lists.riverside.example\r\n\
                   List-Id: <forum.lists.riverside.example>\r\n\
                   List-Post: <mailto:forum@lists.riverside.example>\r\n\
                   Subject: meeting notes";
    let verdict = judge(headers, "Notes from Tuesday attached.");
    assert!(!signals(&verdict).contains(&"sender.reply_to_divergent"));
    // The same Reply-To without list headers diverges.
    let verdict = judge(
        "From: Ann Example <ann@members.example>\r\nReply-To: forum@lists.riverside.example\r\nSubject: x",
        "Notes from Tuesday attached.",
    );
    assert!(signals(&verdict).contains(&"sender.reply_to_divergent"));
}

#[test]
fn a_list_that_rewrote_from_names_itself_after_via() {
    // The list's own name ("... Service Desk ...") is no claim of IT.
    let headers = "From: \"Ann Example via Help Desk Peers\" <peers@lists.riverside.example>\r\n\
                   Reply-To: Ann Example <ann@members.example>\r\n\
                   List-Id: <peers.lists.riverside.example>\r\n\
                   List-Post: <mailto:peers@lists.riverside.example>\r\n\
                   Subject: self-service tools";
    let verdict = judge(headers, "How do you all handle self-service resets?");
    assert!(
        !signals(&verdict).contains(&"impersonation.display_name"),
        "{:?}",
        verdict.findings
    );
    // The same name without the list's headers claims to be the help desk.
    let verdict = judge(
        "From: \"Ann Example via Help Desk Peers\" <peers@lists.riverside.example>\r\nSubject: x",
        "How do you all handle self-service resets?",
    );
    assert!(signals(&verdict).contains(&"impersonation.display_name"));
}

#[test]
fn vendor_newsletter_through_an_email_provider() {
    let raw = "From: Tallyfox <news@tallyfox.example>\r\nTo: a@brackwater.example\r\n\
               Subject: What's new\r\nList-Unsubscribe: <https://u1.ct.sendgrid.net/u>\r\n\
               Content-Type: text/html\r\n\r\n\
               <p>Read <a href=\"https://u1.ct.sendgrid.net/ls/click?x=1\">www.tallyfox.example</a></p>\r\n";
    let report = passing("tallyfox.example", &["tallyfox.example", "sendgrid.net"]);
    let verdict = engine()
        .evaluate(raw.as_bytes(), &report, "bounce@sendgrid.net")
        .verdict;
    assert!(
        !signals(&verdict).contains(&"content.link_text_mismatch"),
        "{:?}",
        verdict.findings
    );
    assert!(signals(&verdict).contains(&"sender.automated"));
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);

    // A link that shows a brand's domain and leads elsewhere borrows it.
    let raw = "From: Notices <notices@harbour-bakery.example>\r\nTo: a@brackwater.example\r\n\
               Subject: Parcel\r\nContent-Type: text/html\r\n\r\n\
               <p>Track at <a href=\"https://parcel-fee.example/track\">www.dhl.com</a></p>\r\n";
    let report = passing("harbour-bakery.example", &["harbour-bakery.example"]);
    let verdict = engine()
        .evaluate(raw.as_bytes(), &report, "x@harbour-bakery.example")
        .verdict;
    assert!(
        signals(&verdict).contains(&"impersonation.link_text"),
        "{:?}",
        verdict.findings
    );
    assert_eq!(verdict.verdict, Action::Quarantine);
}

#[test]
fn a_colleague_relaying_for_it() {
    let verdict = judge(
        "From: Maud Kerrigan <maud.kerrigan@brackwater.example>\r\nSubject: scanners",
        "Hi, Oswin asked me to collect everyone's codes today. When the text with your code arrives, reply with it.",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.relays_it"),
        "{:?}",
        verdict.findings
    );
    assert!(verdict.verdict >= Action::Hold);
    // IT itself says so: not a relay.
    let verdict = judge(
        "From: Oswin Thackeray <oswin.thackeray@brackwater.example>\r\nSubject: codes",
        "IT asked me to remind you: never share the code you receive.",
    );
    assert!(!signals(&verdict).contains(&"impersonation.relays_it"));
    // Telling of a caller who claimed IT, and not believing him, is a report.
    let verdict = judge(
        "From: Maud Kerrigan <maud.kerrigan@brackwater.example>\r\nSubject: odd call",
        "Someone rang saying he was from IT and needed the code from my phone. I hung up.",
    );
    assert!(!signals(&verdict).contains(&"impersonation.relays_it"));
    // The help desk's own ticket system speaks as IT; it relays nothing.
    let verdict = judge(
        "From: Brackwater Service Desk <noreply@brackwater.example>\r\nSubject: [REQ-1] received",
        "Your request has been logged. Requests for external accounts need approval from IT security; please don't send passwords by email.",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.relays_it"),
        "{:?}",
        verdict.findings
    );
    // IT greeted is the reader: "Hallo Servicedesk, ... für ...".
    let verdict = judge(
        "From: Maud Kerrigan <maud.kerrigan@brackwater.example>\r\nSubject: Konto",
        "Hallo Servicedesk, bitte richtet ein Konto für Frau Yilmaz ein, dazu die Gruppen für das Labor und das Passwort per Brief.",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.relays_it"),
        "{:?}",
        verdict.findings
    );
    // ... a few words after the greeting too: "Hola equipo de TI".
    let verdict = judge(
        "From: Maud Kerrigan <maud.kerrigan@brackwater.example>\r\nSubject: Cuentas",
        "Hola equipo de TI,\r\nPara la feria de enero necesitamos tres cuentas de invitado con acceso al portal de prensa.",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.relays_it"),
        "{:?}",
        verdict.findings
    );
    // A colleague's own mailbox under the same name still relays.
    let verdict = judge(
        "From: Brackwater Service Desk <maud.kerrigan@brackwater.example>\r\nSubject: codes",
        "Oswin asked me to collect everyone's codes today. Reply with the code you receive.",
    );
    assert!(signals(&verdict).contains(&"impersonation.relays_it"));
    // A reply quoting IT under a mail client's header relays nothing.
    let verdict = judge(
        "From: Maud Kerrigan <maud.kerrigan@brackwater.example>\r\nSubject: RE: [REQ-7] share",
        "All fine now, I can open the share again. Thank you for sorting it out.\r\n\r\nFrom: Ida Brenner <ida.brenner@brackwater.example>\r\nSent: Monday, 30 November 2026 10:41\r\nSubject: [REQ-7] share\r\n\r\nOswin asked me to collect everyone's codes today. Reply with the code you receive.",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.relays_it"),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn a_departed_persons_mailbox() {
    let verdict = judge(
        "From: Ivo Pennington <ivo.pennington@brackwater.example>\r\nSubject: access",
        "Could you share the folder again?",
    );
    assert!(signals(&verdict).contains(&"sender.inactive_person"));
    assert_eq!(verdict.verdict, Action::Hold);
}

#[test]
fn a_sign_off_that_claims_our_it() {
    let verdict = judge(
        "From: Desk Team <desk.helper.4410@gmail.com>\r\nSubject: Mailbox quota",
        "Hello,\r\n\r\nYour mailbox is almost full. We will extend it today.\r\n\r\nRegards,\r\nBrackwater IT Service Desk",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.signature"),
        "{:?}",
        verdict.findings
    );
    // A customer's own IT signing from the customer's domain claims nothing.
    let verdict = judge(
        "From: Lee Park <lee.park@harbour-foods.example>\r\nSubject: Delivery slots",
        "Hi,\r\n\r\nCan we move Friday's delivery to 9am?\r\n\r\nLee Park\r\nIT Support, Harbour Foods",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.signature"),
        "{:?}",
        verdict.findings
    );
    // "Your IT team" from any outside domain signs as the reader's own IT.
    let verdict = judge(
        "From: Printer Poll <poll@printer-poll.example>\r\nSubject: Two questions",
        "Hello,\r\n\r\nTwo questions about the new printers take a minute.\r\n\r\nThanks,\r\nYour IT team",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.signature"),
        "{:?}",
        verdict.findings
    );
    // Spanish IT words from a free mailbox.
    let verdict = judge(
        "From: Encuestas <encuestas.rapidas.77@gmail.com>\r\nSubject: Dos preguntas",
        "Hola,\r\n\r\nSon dos preguntas sobre las impresoras nuevas.\r\n\r\nGracias,\r\nEquipo de TI",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.signature"),
        "{:?}",
        verdict.findings
    );
    // A greeting names the reader, not the writer.
    let verdict = judge(
        "From: Nadia Brook <nadia.brook1990@gmail.com>\r\nSubject: Locked out",
        "Hi service desk,\r\nI cannot log in to my laptop since this morning.\r\nNadia",
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.signature"),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn a_claimed_brand_inside_the_senders_domain() {
    let verdict = judge(
        "From: Norton Billing <renewals@norton-autorenew-desk.example>\r\nSubject: Your plan",
        "Your plan renews today.",
    );
    assert!(signals(&verdict).contains(&"impersonation.display_name"));
    assert!(
        signals(&verdict).contains(&"impersonation.lookalike_domain"),
        "{:?}",
        verdict.findings
    );
    assert_eq!(verdict.verdict, Action::Quarantine);
}

#[test]
fn a_quoted_sign_off_is_not_the_writers() {
    let body = "Thanks, that fixed it.\r\nJo\r\n\r\n\
                On Mon, 1 Dec 2026 at 09:12, Brackwater IT Service Desk wrote:\r\n\
                Please restart your laptop.\r\n\r\nBrackwater IT Service Desk\r\n";
    let verdict = judge(
        "From: Jo Marsh <jo.marsh.1987@gmail.com>\r\nSubject: Re: laptop",
        body,
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.signature"),
        "{:?}",
        verdict.findings
    );
    let forwarded = "See below.\r\nJo\r\n\r\n-----Original Message-----\r\n\
                     From: desk\r\n\r\nBrackwater IT Service Desk\r\n";
    let verdict = judge(
        "From: Jo Marsh <jo.marsh.1987@gmail.com>\r\nSubject: Fwd: laptop",
        forwarded,
    );
    assert!(
        !signals(&verdict).contains(&"impersonation.signature"),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn a_self_introduction_claims_who_is_writing() {
    // EN brand, DE our IT, FR our IT with our name, ES a parcel brand; each
    // from an ordinary authenticated domain that is not the party's.
    for (from, body) in [
        (
            "From: \"Notifications\" <alerts@fernhollow.example>",
            "Hello,\r\n\r\nThis is the Microsoft 365 security team. Please sign in with your work account and re-register your MFA method at https://fernhollow.example/mfa today.",
        ),
        (
            "From: \"Wartung\" <desk@kiesgrube-ost.example>",
            "Guten Tag,\r\n\r\nhier meldet sich Ihr IT-Service. Bitte installieren Sie das Fernwartungsprogramm und teilen Sie uns die Sitzungs-ID mit.",
        ),
        (
            "From: \"Support\" <contact@atelier-morel.example>",
            "Bonjour,\r\n\r\nIci le service informatique de Brackwater. Merci de nous envoyer votre identifiant et votre mot de passe.",
        ),
        (
            "From: \"Avisos\" <avisos@academia-sur.example>",
            "Estimado cliente:\r\n\r\nLe escribe el departamento de atención al cliente de DHL Express. Su paquete está retenido: pague la tasa con su tarjeta en https://academia-sur.example/pago o será devuelto.",
        ),
    ] {
        let verdict = judge(&format!("{from}\r\nSubject: notice"), body);
        assert!(
            signals(&verdict).contains(&"impersonation.self_introduction"),
            "{from}: {:?}",
            verdict.findings
        );
        if signals(&verdict).contains(&"request.any") {
            assert_eq!(
                verdict.verdict,
                Action::Quarantine,
                "{from}: {:?}",
                verdict.reasons
            );
        }
    }
}

#[test]
fn a_sign_off_of_a_brands_name_and_team_words() {
    let verdict = judge(
        "From: \"Document Center\" <noreply@lindqvist-bygg.example>\r\nSubject: review",
        "A document was sent to you for signature. To view it, sign in with your email password at https://lindqvist-bygg.example/ds\r\n\r\nThank you,\r\nThe DocuSign Team",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.signature"),
        "{:?}",
        verdict.findings
    );
    if signals(&verdict).contains(&"request.any") {
        assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
    }
}

#[test]
fn a_sign_off_of_a_brands_name_and_its_products_name() {
    // "Microsoft OneDrive": the brand and one of its products, nothing else.
    let verdict = judge(
        "From: Harbour Joinery <office@harbour-joinery.example>\r\nSubject: Harbour Joinery shared a file with you",
        "Harbour Joinery shared \"Quote 2027.pdf\" with you.\r\n\r\nOpen: https://files-view.example/d/31\r\n\r\nMicrosoft OneDrive",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.signature")
            && signals(&verdict).contains(&"impersonation.brand_link"),
        "{:?}",
        verdict.findings
    );
    assert!(verdict.verdict >= Action::Hold, "{:?}", verdict.reasons);
}

#[test]
fn honest_introductions_claim_nothing() {
    // Our own colleague quoting a phish to warn everyone, and forwarding one.
    for body in [
        "Hi all,\r\n\r\nThis is a phish, do not click:\r\n\r\n> This is the Microsoft 365 security team. Please sign in and re-register your MFA.\r\n\r\nOswin",
        "Looks like a phish, forwarding it.\r\n\r\n---------- Forwarded message ---------\r\nThis is the Microsoft 365 team. Confirm your password here.\r\n\r\nMicrosoft 365 Admin Center",
    ] {
        let verdict = judge(
            "From: Oswin Thackeray <oswin.thackeray@brackwater.example>\r\nSubject: phish",
            body,
        );
        assert!(
            !signals(&verdict).contains(&"impersonation.self_introduction")
                && !signals(&verdict).contains(&"impersonation.signature"),
            "{:?}",
            verdict.findings
        );
        assert!(
            verdict.verdict < Action::Quarantine,
            "{:?}",
            verdict.reasons
        );
    }
    // An enrolled vendor introducing itself, and a brand from its own domain.
    for (from, body) in [
        (
            "From: Priscilla Ferreira-Holm <priscilla@tallyfox.example>",
            "Hi,\r\n\r\nThis is the Tallyfox accounts team with your monthly statement. Nothing is needed from you.",
        ),
        (
            "From: \"DocuSign\" <news@docusign.com>",
            "Hello from the DocuSign team! Our new release brings faster signing.\r\n\r\nThe DocuSign Team",
        ),
        (
            "From: \"Maren Fjell\" <maren@fjell-consulting.example>",
            "Hi,\r\n\r\nI am writing about the Microsoft licence renewal we discussed. This is the quote.\r\n\r\nMaren",
        ),
    ] {
        let verdict = judge(&format!("{from}\r\nSubject: hello"), body);
        assert!(
            !signals(&verdict).contains(&"impersonation.self_introduction")
                && !signals(&verdict).contains(&"impersonation.signature"),
            "{from}: {:?}",
            verdict.findings
        );
    }
}

#[test]
fn a_brand_claimed_with_a_link_elsewhere_is_quarantined() {
    let verdict = judge(
        "From: PayPal <service@quorn-notices.example>\r\nSubject: You received money",
        "<p>Someone sent you money. <a href=\"https://quorn-notices.example/accept\">Accept payment</a></p>",
    );
    assert!(
        signals(&verdict).contains(&"impersonation.brand_link"),
        "{:?}",
        verdict.findings
    );
    assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
    // The brand's own mail links to its own site and claims nothing.
    let own = judge(
        "From: PayPal <service@paypal.com>\r\nSubject: Your statement",
        "Your monthly statement is ready at https://www.paypal.com/activity",
    );
    assert!(!signals(&own).contains(&"impersonation.brand_link"));
}

#[test]
fn a_brand_asking_to_sign_in_on_its_own_site() {
    // Microsoft's own notice, from microsoft.com: held, not quarantined.
    let verdict = judge(
        "From: Microsoft <microsoft-noreply@microsoft.com>\r\nSubject: Your subscription was renewed",
        "No action is required. To view your invoice, sign in to the Microsoft 365 admin center: https://admin.microsoft.com/billing",
    );
    assert!(
        signals(&verdict).contains(&"sender.brand_owner"),
        "{:?}",
        verdict.findings
    );
    assert!(signals(&verdict).contains(&"request.credential_reset"));
    assert_eq!(verdict.verdict, Action::Hold, "{:?}", verdict.reasons);
    // The same words from a stranger's domain are phishing.
    let verdict = judge(
        "From: Microsoft <billing@ms365-renewals.example>\r\nSubject: Your subscription was renewed",
        "No action is required. To view your invoice, sign in to the Microsoft 365 admin center: https://ms365-renewals.example/billing",
    );
    assert!(!signals(&verdict).contains(&"sender.brand_owner"));
    assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
}

#[test]
fn a_strangers_page_prefilled_with_our_address() {
    // A "please review" notice whose link fills in the reader's address:
    // a page set up for the reader to type a password into.
    let verdict = judge(
        "From: Inkwell Docs <notice@inkwell-docs.example>\r\nSubject: A document is waiting",
        "Maud, you have a document to review.\r\nOpen it: https://view.inkwell-docs.example/d/41?user=maud.kerrigan%40brackwater.example",
    );
    assert!(
        signals(&verdict).contains(&"content.link_prefilled_address"),
        "{:?}",
        verdict.findings
    );
    assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
    // A list puts each subscriber's address in its links for everyone.
    let list = judge(
        "From: Freight Weekly <news@freightweekly.example>\r\nList-Id: <weekly.freightweekly.example>\r\nList-Unsubscribe: <https://freightweekly.example/u>\r\nSubject: This week",
        "Read online: https://freightweekly.example/read?m=maud.kerrigan%40brackwater.example",
    );
    assert!(!signals(&list).contains(&"content.link_prefilled_address"));
    // Someone else's address in a link, or ours on our own site, is no
    // page set up for us.
    let other = judge(
        "From: Inkwell Docs <notice@inkwell-docs.example>\r\nSubject: Contact",
        "Write to https://inkwell-docs.example/contact?to=sales%40inkwell-docs.example",
    );
    assert!(!signals(&other).contains(&"content.link_prefilled_address"));
}

#[test]
fn a_sign_in_as_usual_is_a_request_only_off_the_usual_pages() {
    // A free-mail account has no site of its own: "your usual details"
    // on a page it links to is a harvest.
    let verdict = judge(
        "From: Service Desk <brackwater.servicedesk@gmail.com>\r\nSubject: Mailbox full",
        "Your mailbox is full. Sign in on the page below with your usual Brackwater details and the extra space is added tonight: https://quota-extend.example/brackwater",
    );
    assert!(
        signals(&verdict).contains(&"request.credential_reset"),
        "{:?}",
        verdict.findings
    );
    // A company names its own site, whatever its domain.
    let verdict = judge(
        "From: Harbour Bank <notices@harbourbank.example>\r\nSubject: New statement",
        "A new statement is ready. Please sign in as usual at www.harbour-bank-online.example.",
    );
    assert!(
        !signals(&verdict).contains(&"request.credential_reset"),
        "{:?}",
        verdict.findings
    );
    // Our organisation's account, "as usual", on a stranger's page: a
    // harvest, however well the stranger authenticates.
    let verdict = judge(
        "From: Staff Survey <survey@opinion-rewards.example>\r\nSubject: Quick survey",
        "Tell us about your year. To answer only once, sign in with your usual Brackwater account: https://opinion-rewards.example/brackwater",
    );
    assert!(
        signals(&verdict).contains(&"request.credential_reset"),
        "{:?}",
        verdict.findings
    );
    // A lookalike of our own domain, on its own pages: its "usual" is the
    // trap, however well it authenticates.
    let verdict = judge(
        "From: Canteen Poll <poll@brackwater-staff.example>\r\nSubject: Lunch menu",
        "Vote for next month's menu. Sign in the normal way with your staff account: https://brackwater-staff.example/menu",
    );
    assert!(
        signals(&verdict).contains(&"request.credential_reset"),
        "{:?}",
        verdict.findings
    );
    // Our work account, "as usual", on the page of a sender who is no
    // vendor of ours: no single sign-on of ours lives there.
    let verdict = judge(
        "From: Staff Perks <perks@benefit-points.example>\r\nSubject: Your points",
        "Your year-end points are waiting. Sign in with your regular company account to redeem them: https://benefit-points.example/redeem",
    );
    assert!(
        signals(&verdict).contains(&"request.credential_reset"),
        "{:?}",
        verdict.findings
    );
    // And free mail pointing at our own site asks nothing new.
    let verdict = judge(
        "From: Maud <maud.kerrigan.home@gmail.com>\r\nSubject: Rota",
        "The new rota is on the intranet; sign in as usual at https://intranet.brackwater.example/rota",
    );
    assert!(
        !signals(&verdict).contains(&"request.credential_reset"),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn a_bounce_quoting_a_relay_is_not_one() {
    // Our own mail system returns a colleague's message: what it quotes
    // is nobody's request.
    let raw = "From: Mail Delivery System <mailer-daemon@brackwater.example>\r\n\
               To: maud.kerrigan@brackwater.example\r\n\
               Subject: Undelivered Mail Returned to Sender\r\n\
               Auto-Submitted: auto-replied\r\n\
               MIME-Version: 1.0\r\n\
               Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
               --b\r\nContent-Type: text/plain\r\n\r\n\
               This is the mail system. Your message about the login codes IT asked for\r\n\
               could not be delivered to ivo@partner.example.\r\n\
               --b\r\nContent-Type: message/delivery-status\r\n\r\n\
               Reporting-MTA: dns; mx.brackwater.example\r\n\r\n\
               Final-Recipient: rfc822; ivo@partner.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\
               --b\r\nContent-Type: message/rfc822\r\n\r\n\
               From: Maud Kerrigan <maud.kerrigan@brackwater.example>\r\n\
               Subject: codes\r\n\r\n\
               Hi, IT asked me to collect the codes from everyone's phone today.\r\n\
               --b--\r\n";
    let verdict = engine()
        .evaluate(
            raw.as_bytes(),
            &passing("brackwater.example", &["brackwater.example"]),
            "",
        )
        .verdict;
    assert!(
        signals(&verdict).contains(&"message.delivery_report"),
        "{:?}",
        verdict.findings
    );
    assert!(
        signals(&verdict).contains(&"impersonation.relays_it"),
        "{:?}",
        verdict.findings
    );
    assert!(verdict.verdict < Action::Hold, "{:?}", verdict.reasons);
}

#[test]
fn an_attached_page_that_asks_or_leaves() {
    let attached = |markup: &str| {
        format!(
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
             Your scanned document is attached.\r\n--b\r\nContent-Type: text/html\r\n\
             Content-Disposition: attachment; filename=\"Scan_2291.html\"\r\n\r\n{markup}\r\n--b--"
        )
    };
    // A stranger's page that redirects as it opens: quarantined, though
    // the text asks nothing.
    let headers = "From: Scan Centre <scan@scan-centre.example>\r\nSubject: Scanned document\r\nMIME-Version: 1.0";
    let raw = attached("<script>location.replace('https://scan-centre.example/v')</script>");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let verdict = judge(&format!("{headers}\r\n{head}"), body);
    assert!(
        signals(&verdict).contains(&"content.active_page_attached"),
        "{:?}",
        verdict.findings
    );
    assert_eq!(verdict.verdict, Action::Quarantine, "{:?}", verdict.reasons);
    // A page that only shows itself is a document like any other.
    let raw = attached("<html><p>Scanned 2 pages</p></html>");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let verdict = judge(&format!("{headers}\r\n{head}"), body);
    assert!(!signals(&verdict).contains(&"content.active_page_attached"));
    assert_eq!(verdict.verdict, Action::Deliver, "{:?}", verdict.reasons);
}

#[test]
fn support_claimed_with_a_support_ask_is_fake_tech_support() {
    // Signed as our IT from a free mailbox, asking for the password: the
    // text offers nothing, the claim and the ask make it fake support.
    let verdict = judge(
        "From: Desk Team <desk.helper.4410@gmail.com>\r\nSubject: Mailbox move",
        "Hello,\r\n\r\nPlease reply with your network password so that we can finish moving your mailbox tonight.\r\n\r\nRegards,\r\nBrackwater IT Service Desk",
    );
    let found = signals(&verdict);
    assert!(found.contains(&"impersonation.signature"), "{found:?}");
    assert!(found.contains(&"lure.fake_tech_support"), "{found:?}");
    assert!(found.contains(&"lure.any"), "{found:?}");
    // Our own service desk asking the same claims nothing false.
    let verdict = judge(
        "From: Brackwater Service Desk <maud.kerrigan@brackwater.example>\r\nSubject: Mailbox move",
        "Hello,\r\n\r\nPlease reply with your network password so that we can finish moving your mailbox tonight.\r\n\r\nRegards,\r\nBrackwater IT Service Desk",
    );
    assert!(
        !signals(&verdict).contains(&"lure.fake_tech_support"),
        "{:?}",
        verdict.findings
    );
    // The claim alone, asking for nothing, is no lure.
    let verdict = judge(
        "From: Desk Team <desk.helper.4410@gmail.com>\r\nSubject: New printers",
        "Hello,\r\n\r\nThe new printers arrive on the second floor on Monday.\r\n\r\nRegards,\r\nBrackwater IT Service Desk",
    );
    assert!(
        !signals(&verdict).contains(&"lure.fake_tech_support"),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn a_support_name_that_is_not_the_sender_claims_support() {
    // "Brackwater Service Desk" shown by a free mailbox: the display name
    // is found false, and it names support; with a password asked for,
    // that is fake support. And a Spanish writer "from Sistemas".
    for (from, body) in [
        (
            "From: Brackwater Service Desk <brackwater.desk.91@gmail.com>\r\nSubject: Mailbox move",
            "Hello,\r\n\r\nPlease reply with your network password so that we can finish moving your mailbox tonight.\r\n\r\nThanks",
        ),
        (
            "From: Rafa <rafa.m.1990@gmail.com>\r\nSubject: buzón",
            "Hola, soy de sistemas. Mándame tu usuario y tu contraseña para terminar el cambio de buzón.\r\n\r\nRafa",
        ),
    ] {
        let verdict = judge(from, body);
        let found = signals(&verdict);
        assert!(found.contains(&"lure.fake_tech_support"), "{found:?}");
    }
}
