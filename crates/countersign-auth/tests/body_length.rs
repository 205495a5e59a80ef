//! DKIM body length counts (`l=`, RFC 6376 3.5): the signed part is that
//! many octets of the *canonicalized* body, a signature whose count exceeds
//! the body fails, and whatever follows the count is reported as unsigned
//! bytes for policy to judge (mail-auth PATCHES.md #11).
//!
//! The checklist of ValiMail's DKIM test plan (`dkim_suite.txt` in the ARC
//! corpus, "l, body length") is covered here; no conformance corpus carries
//! an `l=` case.

mod common;

use countersign_auth::Authenticator;
use countersign_dns::zone::ZoneSet;
use countersign_model::auth::{AuthResult, DkimCheck};
use data_encoding::BASE64;
use mail_auth::common::crypto::{Ed25519Key, HashAlgorithm};
use mail_auth::common::headers::{HeaderWriter, Writable};
use mail_auth::dkim::canonicalize::{CanonicalPrefix, SignedLength};
use mail_auth::dkim::{Canonicalization, DkimSigner};

/// RFC 6376 3.4.3 and 3.4.4, written for clarity rather than speed; CRLF
/// line ends only.
fn rfc_body(body: &[u8], cb: Canonicalization) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).expect("generated bodies are ASCII");
    let mut lines: Vec<String> = text
        .split("\r\n")
        .map(|line| match cb {
            Canonicalization::Simple => line.to_string(),
            Canonicalization::Relaxed => {
                let mut out = String::new();
                let mut in_wsp = false;
                for ch in line.chars() {
                    if ch == ' ' || ch == '\t' {
                        in_wsp = true;
                    } else {
                        if in_wsp {
                            out.push(' ');
                        }
                        in_wsp = false;
                        out.push(ch);
                    }
                }
                out
            }
        })
        .collect();
    // The piece after a final CRLF is empty; every trailing empty line goes.
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let mut out = Vec::new();
    for line in &lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if out.is_empty() && cb == Canonicalization::Simple {
        // An empty body is one CRLF under simple (3.4.3).
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn prefix(body: &[u8], cb: Canonicalization, limit: u64) -> (Vec<u8>, SignedLength) {
    let mut signed = SignedLength::default();
    let mut out = Vec::new();
    CanonicalPrefix {
        canonicalization: cb,
        body,
        limit,
        out: &mut signed,
    }
    .write(&mut out);
    (out, signed)
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn the_signed_prefix_is_counted_in_canonical_octets() {
    const TOKENS: [&[u8]; 6] = [b"a", b"bc", b" ", b"\t", b"\r\n", b"  "];
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for case in 0..3_000 {
        let len = (rng.next() % 20) as usize;
        let mut body = Vec::new();
        for _ in 0..len {
            body.extend_from_slice(TOKENS[(rng.next() % TOKENS.len() as u64) as usize]);
        }
        for cb in [Canonicalization::Relaxed, Canonicalization::Simple] {
            let canonical = rfc_body(&body, cb);
            let mut last_end = 0;
            for limit in 0..=canonical.len() as u64 + 2 {
                let (signed, info) = prefix(&body, cb, limit);
                let want = &canonical[..(limit as usize).min(canonical.len())];
                assert_eq!(
                    signed, want,
                    "case {case} {cb:?} l={limit}: the hashed octets are the canonical prefix of {body:?}"
                );
                assert_eq!(info.canonical_len, canonical.len() as u64, "case {case}");
                assert!(info.signed_end <= body.len(), "case {case}");
                assert!(
                    info.signed_end >= last_end,
                    "case {case} {cb:?} l={limit}: the signed end never moves back"
                );
                last_end = info.signed_end;
                // Where the count ends a line (as signers set it), the raw
                // part before the signed end is exactly the signed part:
                // the shortest raw prefix made of whole lines whose
                // canonical form it is.
                // (A count ending on an empty line has no such prefix: an
                // empty line only exists before content.)
                let at_line_end = limit == 0
                    || (want.ends_with(b"\r\n") && want != b"\r\n" && !want.ends_with(b"\r\n\r\n"));
                if limit as usize <= canonical.len() && at_line_end {
                    let expected = if limit == 0 {
                        0
                    } else {
                        (0..=body.len())
                            .filter(|&p| p == body.len() || body[..p].ends_with(b"\n"))
                            .find(|&p| rfc_body(&body[..p], cb) == want)
                            .unwrap_or_else(|| {
                                panic!("case {case} {cb:?} l={limit}: no raw prefix of {body:?}")
                            })
                    };
                    assert_eq!(
                        info.signed_end, expected,
                        "case {case} {cb:?} l={limit}: signed end in {body:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_count_ending_inside_a_line_ends_inside_that_line() {
    let body = b"Hello  world\r\nSecond line\r\n";
    for cb in [Canonicalization::Relaxed, Canonicalization::Simple] {
        let (signed, info) = prefix(body, cb, 5);
        assert_eq!(signed, b"Hello");
        assert_eq!(info.signed_end, 5, "{cb:?}");
    }
    // Relaxed "Hello world" is 11 canonical octets; raw it is 12.
    let (signed, info) = prefix(body, Canonicalization::Relaxed, 11);
    assert_eq!(signed, b"Hello world");
    assert_eq!(info.signed_end, 12);
}

/// The key, its DNS record, and an authenticator that finds it.
async fn signer_and_authenticator() -> (Vec<u8>, Authenticator) {
    let pkcs8 = Ed25519Key::generate_pkcs8().expect("ring makes a key");
    let public = Ed25519Key::from_pkcs8_der(&pkcs8)
        .expect("its own key")
        .public_key();
    let mut zones = ZoneSet::new();
    zones.insert(
        "len._domainkey.sender.example",
        300,
        common::txt(format!("v=DKIM1; k=ed25519; p={}", BASE64.encode(&public)).as_bytes()),
    );
    (pkcs8, common::authenticator(zones).await)
}

const HEADERS: &str = "From: Dana <dana@sender.example>\r\nTo: helpdesk@acme.example\r\nSubject: Quarterly report\r\n\r\n";

/// `body` under HEADERS, signed with a body length count. mail-auth's signer
/// writes the raw body's length as `l=`; the bodies here are their own
/// canonical form, so that is the canonical count too.
fn signed_with_length(pkcs8: &[u8], cb: Canonicalization, body: &str) -> String {
    let raw = format!("{HEADERS}{body}");
    let signature = DkimSigner::from_key(Ed25519Key::from_pkcs8_der(pkcs8).unwrap())
        .domain("sender.example")
        .selector("len")
        .headers(["From", "To", "Subject"])
        .body_canonicalization(cb)
        .body_length(true)
        .sign(raw.as_bytes())
        .expect("mail-auth signs");
    assert_eq!(signature.l, body.len() as u64);
    format!("{}{raw}", signature.to_header())
}

async fn check(auth: &Authenticator, raw: &str) -> DkimCheck {
    let mut checks = auth
        .authenticate(raw.as_bytes(), &common::quiet_envelope())
        .await
        .dkim;
    assert_eq!(checks.len(), 1, "{checks:?}");
    checks.remove(0)
}

const BODY: &str = "Hello,\r\nthe report is attached.\r\nDana\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_over_part_of_the_body_passes_and_names_the_rest() {
    let (key, auth) = signer_and_authenticator().await;
    for cb in [Canonicalization::Relaxed, Canonicalization::Simple] {
        let original = signed_with_length(&key, cb, BODY);

        // As signed: the count covers the whole body.
        let dkim = check(&auth, &original).await;
        assert_eq!(dkim.result, AuthResult::Pass, "{cb:?}: {dkim:?}");
        assert_eq!(dkim.body_length, Some(BODY.len() as u64));
        assert_eq!(dkim.unsigned_body_bytes, 0, "{cb:?}");

        // Replayed with content appended: still a pass (RFC 6376 3.5), and
        // the appended bytes are named.
        let appended =
            "\r\nUpdate: your password expires today, reset it at https://evil.example/reset\r\n";
        let replay = format!("{original}{appended}");
        let dkim = check(&auth, &replay).await;
        assert_eq!(dkim.result, AuthResult::Pass, "{cb:?}: {dkim:?}");
        assert_eq!(
            dkim.unsigned_body_bytes,
            appended.len() as u64,
            "{cb:?}: every appended byte is unsigned"
        );

        // Missing data: a body shorter than its count fails.
        let cut = original.strip_suffix("Dana\r\n").unwrap();
        let dkim = check(&auth, cut).await;
        assert_eq!(dkim.result, AuthResult::Fail, "{cb:?}: {dkim:?}");
        assert!(
            dkim.reason
                .as_deref()
                .unwrap_or_default()
                .contains("exceeds"),
            "{dkim:?}"
        );

        // A change inside the signed part still fails.
        let altered = original.replace("the report is attached", "the report is attacked");
        let dkim = check(&auth, &altered).await;
        assert_eq!(dkim.result, AuthResult::Fail, "{cb:?}: {dkim:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_empty_lines_after_the_count_are_not_unsigned_content() {
    let (key, auth) = signer_and_authenticator().await;
    let original = signed_with_length(&key, Canonicalization::Relaxed, BODY);
    let dkim = check(&auth, &format!("{original}\r\n \r\n\t\r\n")).await;
    assert_eq!(dkim.result, AuthResult::Pass, "{dkim:?}");
    assert_eq!(
        dkim.unsigned_body_bytes, 0,
        "whitespace-only lines are nothing once canonicalized"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_count_makes_the_signature_malformed() {
    let (key, auth) = signer_and_authenticator().await;
    let original = signed_with_length(&key, Canonicalization::Relaxed, BODY);
    let count = format!("l={};", BODY.len());
    assert!(original.contains(&count), "{original}");
    let garbled = original.replacen(&count, "l=12x;", 1);
    let dkim = check(&auth, &garbled).await;
    assert_eq!(dkim.result, AuthResult::PermError, "{dkim:?}");
    assert!(
        dkim.reason
            .as_deref()
            .unwrap_or_default()
            .contains("malformed"),
        "{dkim:?}"
    );
}

#[test]
fn a_zero_count_signs_no_body_at_all() {
    for cb in [Canonicalization::Relaxed, Canonicalization::Simple] {
        let (signed, info) = prefix(BODY.as_bytes(), cb, 0);
        assert!(signed.is_empty());
        assert_eq!(info.signed_end, 0, "{cb:?}: the whole body is unsigned");
        // The hash of nothing, as a signer of l=0 computes it.
        let empty: &[u8] = b"";
        assert_eq!(
            HashAlgorithm::Sha256
                .hash(CanonicalPrefix {
                    canonicalization: cb,
                    body: BODY.as_bytes(),
                    limit: 0,
                    out: &mut SignedLength::default(),
                })
                .as_ref(),
            HashAlgorithm::Sha256.hash(empty).as_ref()
        );
    }
}

#[test]
fn several_counts_are_served_by_one_pass() {
    use mail_auth::dkim::canonicalize::{PrefixTarget, canonical_prefixes};
    const TOKENS: [&[u8]; 6] = [b"a", b"bc", b" ", b"\t", b"\r\n", b"  "];
    let mut rng = XorShift(0x1234_5678_9ABC_DEF1);
    for case in 0..1_000 {
        let len = (rng.next() % 20) as usize;
        let mut body = Vec::new();
        for _ in 0..len {
            body.extend_from_slice(TOKENS[(rng.next() % TOKENS.len() as u64) as usize]);
        }
        for cb in [Canonicalization::Relaxed, Canonicalization::Simple] {
            let canonical = rfc_body(&body, cb).len() as u64;
            let limits: Vec<u64> = (0..6).map(|_| rng.next() % (canonical + 3)).collect();
            let mut targets: Vec<PrefixTarget> =
                limits.iter().map(|&l| PrefixTarget::new(l)).collect();
            let prefixes = canonical_prefixes(cb, &body, Vec::new(), &mut targets);
            for (target, written) in targets.iter().zip(prefixes) {
                let (alone, signed) = prefix(&body, cb, target.limit);
                assert_eq!(written, alone, "case {case} {cb:?} l={}", target.limit);
                assert_eq!(
                    target.signed, signed,
                    "case {case} {cb:?} l={}",
                    target.limit
                );
            }
        }
    }
}
