//! One message cannot make authentication do unbounded work: author
//! domains, DKIM signatures, ARC sets, header fields and DNS lookups each
//! stop at their bound (`countersign_model::bounds`), and every bound hit is
//! reported as a `MessageDefect::WorkBound` naming the bound and the count.

mod common;

use countersign_auth::Authenticator;
use countersign_dns::zone::ZoneSet;
use countersign_model::auth::{AuthReport, AuthResult, MessageDefect};
use countersign_model::bounds::{
    BoundHit, MAX_ARC_SETS, MAX_AUTHOR_DOMAINS, MAX_DKIM_SIGNATURES, MAX_DNS_LOOKUPS,
    MAX_HEADER_FIELDS, WorkBound,
};
use data_encoding::BASE64;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use std::fmt::Write as _;

const TAIL: &str = "To: helpdesk@acme.example\r\nSubject: Hello\r\n\r\nPlease call me back.\r\n";

fn hits(report: &AuthReport) -> Vec<BoundHit> {
    report
        .errors
        .iter()
        .filter_map(|d| match d {
            MessageDefect::WorkBound(hit) => Some(*hit),
            _ => None,
        })
        .collect()
}

fn hit(report: &AuthReport, bound: WorkBound) -> BoundHit {
    hits(report)
        .into_iter()
        .find(|h| h.bound == bound)
        .unwrap_or_else(|| panic!("no {bound} bound hit in {:?}", report.errors))
}

async fn authenticate(auth: &Authenticator, raw: &str) -> AuthReport {
    auth.authenticate(raw.as_bytes(), &common::quiet_envelope())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_message_hits_no_bound() {
    let auth = common::authenticator(ZoneSet::new()).await;
    let report = authenticate(&auth, &format!("From: dana@one.example\r\n{TAIL}")).await;
    assert!(hits(&report).is_empty(), "{:?}", report.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn author_domains_past_the_bound_are_counted_not_evaluated() {
    let auth = common::authenticator(ZoneSet::new()).await;
    let from: Vec<String> = (0..40).map(|i| format!("a{i}@d{i}.example")).collect();
    let report = authenticate(&auth, &format!("From: {}\r\n{TAIL}", from.join(", "))).await;
    assert_eq!(report.dmarc_all().count(), MAX_AUTHOR_DOMAINS);
    assert_eq!(report.dmarc.from_domain, "d0.example");
    let hit = hit(&report, WorkBound::AuthorDomains);
    assert_eq!((hit.count, hit.limit), (40, MAX_AUTHOR_DOMAINS));
    assert!(hit.to_string().contains("40 author domains"), "{hit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dkim_signatures_past_the_bound_are_counted_not_examined() {
    let pkcs8 = Ed25519Key::generate_pkcs8().unwrap();
    let public = Ed25519Key::from_pkcs8_der(&pkcs8).unwrap().public_key();
    let mut zones = ZoneSet::new();
    let count = MAX_DKIM_SIGNATURES + 4;
    for i in 0..count {
        zones.insert(
            &format!("s{i}._domainkey.signer.example"),
            300,
            common::txt(format!("v=DKIM1; k=ed25519; p={}", BASE64.encode(&public)).as_bytes()),
        );
    }
    let auth = common::authenticator(zones).await;
    let raw = format!("From: dana@signer.example\r\n{TAIL}");
    let mut signed = String::new();
    for i in 0..count {
        let signature = DkimSigner::from_key(Ed25519Key::from_pkcs8_der(&pkcs8).unwrap())
            .domain("signer.example")
            .selector(format!("s{i}"))
            .headers(["From", "To", "Subject"])
            .sign(raw.as_bytes())
            .unwrap();
        signed.push_str(&signature.to_header());
    }
    signed.push_str(&raw);
    let report = authenticate(&auth, &signed).await;
    assert_eq!(report.dkim.len(), MAX_DKIM_SIGNATURES, "{:?}", report.dkim);
    assert!(report.dkim.iter().all(|d| d.result == AuthResult::Pass));
    // The first signatures in header order are the ones examined.
    assert!(report.dkim.iter().any(|d| d.selector == "s0"));
    assert!(
        !report
            .dkim
            .iter()
            .any(|d| d.selector == format!("s{}", count - 1))
    );
    let hit = hit(&report, WorkBound::DkimSignatures);
    assert_eq!((hit.count, hit.limit), (count, MAX_DKIM_SIGNATURES));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_longer_than_rfc_8617_allows_is_a_bound_hit() {
    let auth = common::authenticator(ZoneSet::new()).await;
    let sets = MAX_ARC_SETS + 1;
    let mut raw = String::new();
    for i in (1..=sets).rev() {
        let cv = if i == 1 { "none" } else { "pass" };
        let _ = write!(
            raw,
            "ARC-Seal: i={i}; a=rsa-sha256; cv={cv}; d=relay.example; s=arc; b=c2ln\r\n\
ARC-Message-Signature: i={i}; a=rsa-sha256; c=relaxed/relaxed; d=relay.example; s=arc; h=from; bh=Ym9keQ==; b=c2ln\r\n\
ARC-Authentication-Results: i={i}; relay.example; spf=pass smtp.mailfrom=one.example\r\n"
        );
    }
    raw.push_str(&format!("From: dana@one.example\r\n{TAIL}"));
    let report = authenticate(&auth, &raw).await;
    assert_eq!(report.arc.result, AuthResult::Fail);
    let hit = hit(&report, WorkBound::ArcSets);
    assert_eq!((hit.count, hit.limit), (sets, MAX_ARC_SETS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_fields_past_the_bound_are_a_bound_hit() {
    let auth = common::authenticator(ZoneSet::new()).await;
    let mut raw = String::new();
    for i in 0..MAX_HEADER_FIELDS {
        let _ = write!(raw, "X-Filler: {i}\r\n");
    }
    raw.push_str(&format!("From: dana@one.example\r\n{TAIL}"));
    let report = authenticate(&auth, &raw).await;
    let hit = hit(&report, WorkBound::HeaderFields);
    assert_eq!(hit.count, MAX_HEADER_FIELDS + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_lookups_past_the_budget_are_temperror_not_answers() {
    let auth = common::authenticator(ZoneSet::new()).await;
    // Sixteen author domains eight labels deep: each DMARC tree walk asks
    // up to eight names, far more than the budget allows in all.
    let from: Vec<String> = (0..MAX_AUTHOR_DOMAINS)
        .map(|i| format!("a@h.g.f.e.d.c.b{i}.example"))
        .collect();
    let report = authenticate(&auth, &format!("From: {}\r\n{TAIL}", from.join(", "))).await;
    let hit = hit(&report, WorkBound::DnsLookups);
    assert_eq!(hit.limit, MAX_DNS_LOOKUPS);
    assert!(hit.count > MAX_DNS_LOOKUPS, "{hit}");
    // The lookups refused are DNS failures, never answers: the authors
    // they concern are temperror, not none.
    let last = report.dmarc_all().last().unwrap();
    assert_eq!(last.result, AuthResult::TempError, "{last:?}");
    assert!(
        last.reason
            .as_deref()
            .unwrap_or_default()
            .contains("DNS lookups"),
        "{last:?}"
    );
}

/// mail-auth PATCHES.md #13: `h=` is resolved with one pass over the header
/// fields. The RFC 6376 5.4.2 semantics stay: each listed name takes the next
/// instance from the bottom, names listed beyond the instances present sign
/// their absence, and an instance added later breaks the signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_signed_header_lists_keep_their_meaning() {
    let pkcs8 = Ed25519Key::generate_pkcs8().unwrap();
    let public = Ed25519Key::from_pkcs8_der(&pkcs8).unwrap().public_key();
    let mut zones = ZoneSet::new();
    zones.insert(
        "k._domainkey.signer.example",
        300,
        common::txt(format!("v=DKIM1; k=ed25519; p={}", BASE64.encode(&public)).as_bytes()),
    );
    let auth = common::authenticator(zones).await;
    let raw = format!(
        "Received: one\r\nReceived: two\r\nX-Tag: a\r\nFrom: dana@signer.example\r\nX-tag: b\r\n{TAIL}"
    );
    // Absent names (more than the linear-search threshold), repeated
    // names, both cases of one name, and more instances asked for than exist.
    let mut names: Vec<String> = (0..300).map(|i| format!("X-Absent-{i}")).collect();
    names.extend(
        [
            "from", "From", "x-tag", "X-TAG", "x-tag", "received", "Received", "Subject", "To",
        ]
        .map(String::from),
    );
    let signature = DkimSigner::from_key(Ed25519Key::from_pkcs8_der(&pkcs8).unwrap())
        .domain("signer.example")
        .selector("k")
        .headers(names)
        .sign(raw.as_bytes())
        .unwrap();
    let signed = format!("{}{raw}", signature.to_header());
    let report = authenticate(&auth, &signed).await;
    assert_eq!(report.dkim[0].result, AuthResult::Pass, "{:?}", report.dkim);

    // A third X-Tag instance fills a slot the signature signed as absent.
    let added = signed.replace("X-tag: b\r\n", "X-tag: b\r\nX-Tag: c\r\n");
    let report = authenticate(&auth, &added).await;
    assert_eq!(report.dkim[0].result, AuthResult::Fail, "{:?}", report.dkim);
    // An unlisted header may be added freely.
    let unlisted = signed.replace("X-tag: b\r\n", "X-tag: b\r\nX-Other: c\r\n");
    let report = authenticate(&auth, &unlisted).await;
    assert_eq!(report.dkim[0].result, AuthResult::Pass, "{:?}", report.dkim);
}
