//! DKIM conformance: Mail::DKIM's verifier corpus, dkimpy's test data and
//! mail-auth's DKIM resources, verified through `Authenticator::authenticate`
//! with keys served from a loopback zone.
//!
//! RFC 8301: rsa-sha1 signatures and RSA keys under 1024 bits never pass here.
//! Where a corpus expects them to, the driver asserts our non-pass and lists
//! the case as an "RFC 8301 departure".
//!
//! Run with `cargo test -p countersign-auth --test dkim_corpora -- --nocapture`.

mod common;

use common::{Exclusion, Tally};
use countersign_dns::zone::ZoneSet;
use countersign_model::auth::{AuthResult, DkimCheck};
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mail_parser::decoders::base64::base64_decode;
use std::collections::BTreeMap;

const MAIL_DKIM: &str = "dkim-perl-mail-dkim-corpus";
const DKIMPY: &str = "dkim-dkimpy-testdata";
const STALWART_DKIM: &str = "stalwartlabs-mail-auth/resources/dkim";

/// The "now" mail-auth's own DKIM test uses for its resources (Unix seconds).
const STALWART_NOW: u64 = 1_667_843_664;

const MAIL_DKIM_EXCLUSIONS: &[Exclusion] = &[];

/// ring (mail-auth's only backend here) signs with RSA keys of 2048 bits or
/// more; dkimpy's test.private is 1024 bits, so its sign-then-verify cases
/// cannot be made. The 1024-bit public half is still verified through
/// rfc6376.signed.msg (selector "test").
const RING_NO_1024_SIGNING: &str = "ring refuses to sign with the 1024-bit test.private (TooSmall); verification of that key is covered by rfc6376.signed.msg";

const DKIMPY_EXCLUSIONS: &[Exclusion] = &[
    (
        "sign test.message (rsa-sha256), key test.txt",
        RING_NO_1024_SIGNING,
    ),
    (
        "sign test.message (rsa-sha256), key test2.txt",
        RING_NO_1024_SIGNING,
    ),
    (
        "sign test.message (rsa-sha256), key badversion.txt",
        RING_NO_1024_SIGNING,
    ),
    (
        "sign test.message (rsa-sha256), key badk.txt",
        RING_NO_1024_SIGNING,
    ),
    (
        "sign test.message (rsa-sha256), key test_bad.txt",
        RING_NO_1024_SIGNING,
    ),
    (
        "sign test.message (rsa-sha256), key test_tlsrpt.txt",
        RING_NO_1024_SIGNING,
    ),
    (
        "sign message.mbox (all headers), key test.txt",
        RING_NO_1024_SIGNING,
    ),
    (
        "sign test_extra.message (all headers), key test.txt",
        RING_NO_1024_SIGNING,
    ),
    (
        "sign test_nofrom.message (ed25519-sha256), key ed25519test.dns",
        "mail-auth signs and verifies a message without From (h=From signs its absence); RFC 6376 5.4/6.1.1 only demand From in h=, dkimpy refuses to sign; Countersign still reports the NoFrom defect and DMARC has no author: see report",
    ),
];

/// mail-auth's resources, verified at the corpus's fixed time
/// `STALWART_NOW` (as upstream does): nothing is excluded.
const STALWART_DKIM_EXCLUSIONS: &[Exclusion] = &[];

fn rank(result: AuthResult) -> u8 {
    match result {
        AuthResult::Pass => 6,
        AuthResult::Fail => 5,
        AuthResult::TempError => 4,
        AuthResult::PermError => 3,
        AuthResult::Neutral => 2,
        AuthResult::Policy => 1,
        AuthResult::SoftFail | AuthResult::None => 0,
    }
}

/// The message's overall DKIM verdict, Mail::DKIM style: the best signature
/// wins (pass, then fail, then the errors), `none` without signatures.
fn overall(checks: &[DkimCheck]) -> AuthResult {
    checks
        .iter()
        .map(|c| c.result)
        .max_by_key(|r| rank(*r))
        .unwrap_or(AuthResult::None)
}

fn describe(checks: &[DkimCheck]) -> String {
    let parts: Vec<String> = checks
        .iter()
        .map(|c| {
            format!(
                "{}/{} {} {}{}",
                c.domain,
                c.selector,
                c.algorithm,
                c.result.as_str(),
                c.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if parts.is_empty() {
        "no DKIM results".into()
    } else {
        parts.join("; ")
    }
}

async fn verify(auth: &countersign_auth::Authenticator, raw: &[u8]) -> Vec<DkimCheck> {
    auth.authenticate(raw, &common::quiet_envelope()).await.dkim
}

/// FAKE_DNS.dat as a zone: `name value`, with NXDOMAIN, time-out and
/// SERVFAIL markers. A zone cannot SERVFAIL, so that name times out instead:
/// both are temporary DNS errors (RFC 6376 section 6.1.2, `temperror`).
fn fake_dns_zone(text: &str) -> ZoneSet {
    let mut zones = ZoneSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once(char::is_whitespace)
            .unwrap_or_else(|| panic!("FAKE_DNS.dat line {line:?}"));
        match value.trim() {
            "NXDOMAIN" => {}
            "~~Query timed out~~" | "~~SERVFAIL~~" => zones.insert_timeout(name),
            "\"\"" => zones.insert(name, 300, common::txt(b"")),
            value => zones.insert(name, 300, common::txt(value.as_bytes())),
        }
    }
    zones
}

/// One signature of signature-inventory.tsv.
struct Inventory {
    kind: String,
    algorithm: String,
    key: String,
}

impl Inventory {
    /// Whether RFC 8301 lets this signature pass at all.
    fn acceptable(&self) -> bool {
        // Ed25519 is fine whatever the key record holds (missing, empty, bad
        // length: those are key errors, not RFC 8301 matters).
        let key_ok = self.algorithm.starts_with("ed25519")
            || self
                .key
                .strip_prefix("rsa")
                .is_some_and(|bits| bits.parse::<u32>().is_ok_and(|b| b >= 1024));
        self.kind == "DKIM" && self.algorithm != "rsa-sha1" && key_ok
    }

    fn words(&self) -> String {
        format!("{} {} key", self.algorithm, self.key)
    }
}

fn mail_dkim_verdict(
    file: &str,
    expected: &str,
    sigs: &[Inventory],
    checks: &[DkimCheck],
) -> (bool, Option<String>) {
    let got = overall(checks);
    let domain_keys_only = !sigs.is_empty() && sigs.iter().all(|s| s.kind == "DomainKey");
    if domain_keys_only {
        // RFC 4870 DomainKeys is historic: a DKIM verifier sees no signature.
        return (got == AuthResult::None, None);
    }
    let acceptable = sigs.iter().any(Inventory::acceptable);
    let departure = || {
        let list: Vec<String> = sigs.iter().map(Inventory::words).collect();
        format!(
            "corpus expects {expected}; we say {} ({})",
            got.as_str(),
            list.join(", ")
        )
    };
    match expected {
        "pass" if acceptable => (got == AuthResult::Pass, None),
        "pass" => (got != AuthResult::Pass, Some(departure())),
        "fail" if acceptable => (got == AuthResult::Fail, None),
        "invalid" if file == "badkey_14.txt" || file == "badkey_15.txt" => {
            (got == AuthResult::TempError, None)
        }
        "invalid" if acceptable => (
            matches!(
                got,
                AuthResult::Neutral | AuthResult::PermError | AuthResult::TempError
            ),
            None,
        ),
        // fail/invalid for a signature RFC 8301 rejects anyway: any non-pass
        // holds; a different word is listed.
        "fail" | "invalid" => {
            let word_matches = match expected {
                "fail" => got == AuthResult::Fail,
                _ => matches!(
                    got,
                    AuthResult::Neutral | AuthResult::PermError | AuthResult::TempError
                ),
            };
            (got != AuthResult::Pass, (!word_matches).then(departure))
        }
        other => panic!("{file}: unknown expectation {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_dkim_corpus() {
    let auth = common::authenticator(fake_dns_zone(&common::read_string(&format!(
        "{MAIL_DKIM}/FAKE_DNS.dat"
    ))))
    .await;
    let mut inventory: BTreeMap<String, Vec<Inventory>> = BTreeMap::new();
    for line in common::read_string(&format!("{MAIL_DKIM}/signature-inventory.tsv")).lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        inventory
            .entry(cols[0].to_string())
            .or_default()
            .push(Inventory {
                kind: cols[1].to_string(),
                algorithm: cols[2].to_string(),
                key: cols[4].to_string(),
            });
    }
    let mut tally = Tally::new("Mail::DKIM corpus", MAIL_DKIM_EXCLUSIONS)
        .with_departure_kind("RFC 8301 departures");
    let mut listed = Vec::new();
    for line in common::read_string(&format!("{MAIL_DKIM}/expected-results.tsv")).lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, expected) = (cols[0], cols[1]);
        listed.push(file.to_string());
        let raw = common::read(&format!("{MAIL_DKIM}/corpus/{file}"));
        let checks = verify(&auth, &raw).await;
        let sigs = inventory.get(file).map(Vec::as_slice).unwrap_or_default();
        let (ok, departure) = mail_dkim_verdict(file, expected, sigs, &checks);
        let detail = || format!("expected {expected}: {}", describe(&checks));
        match departure {
            Some(reason) => tally.depart(file, ok, reason, detail),
            None => tally.check(file, ok, detail),
        }
    }
    for file in common::list(&format!("{MAIL_DKIM}/corpus"), ".txt") {
        if !listed.contains(&file) {
            tally.note(format!("{file} has no expectation in expected-results.tsv"));
        }
    }
    common::finish("DKIM: Mail::DKIM verifier corpus", &[tally]);
}

/// dkimpy's DNS table, with `@file` values read from the folder.
fn dkimpy_records() -> Vec<(String, Vec<u8>)> {
    let text = common::read_string(&format!("{DKIMPY}/dns-records.txt"));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (name, value) = line.split_once(' ').expect("name value");
            let value = value.trim();
            let value = match value.strip_prefix('@') {
                Some(file) => dkimpy_key_file(file),
                None => value.as_bytes().to_vec(),
            };
            (name.to_string(), value)
        })
        .collect()
}

/// A key record file of dkimpy's: one record, possibly over several lines.
fn dkimpy_key_file(file: &str) -> Vec<u8> {
    let text = common::read_string(&format!("{DKIMPY}/{file}"));
    text.lines().map(str::trim).collect::<String>().into_bytes()
}

fn zone_of(records: &[(String, Vec<u8>)]) -> ZoneSet {
    let mut zones = ZoneSet::new();
    for (name, value) in records {
        zones.insert(name, 300, common::txt(value));
    }
    zones
}

/// dkimpy's records with `name` answered by `value` instead (its variant zones).
fn with_key(name: &str, value: Vec<u8>) -> ZoneSet {
    let mut records: Vec<(String, Vec<u8>)> = dkimpy_records()
        .into_iter()
        .filter(|(n, _)| n != name)
        .collect();
    records.push((name.to_string(), value));
    zone_of(&records)
}

/// Header names of a message, in order, for "sign every header".
fn header_names(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut names = Vec::new();
    for line in text.split("\r\n") {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((name, _)) = line.split_once(':') {
            names.push(name.trim().to_string());
        }
    }
    names
}

/// `raw` with a DKIM-Signature by `key` for `domain`/`selector` prepended.
fn sign<T: SigningKey>(
    key: T,
    domain: &str,
    selector: &str,
    headers: Vec<String>,
    raw: &[u8],
) -> Result<Vec<u8>, String> {
    let signature = DkimSigner::from_key(key)
        .domain(domain)
        .selector(selector)
        .headers(headers)
        .sign(raw)
        .map_err(|e| format!("mail-auth refused to sign: {e}"))?;
    let mut signed = signature.to_header().into_bytes();
    signed.extend_from_slice(raw);
    Ok(signed)
}

#[allow(deprecated)] // from_rsa_pem: the PKCS#1 PEM reader without another dependency
fn rsa_test_key() -> Result<RsaKey<Sha256>, String> {
    RsaKey::<Sha256>::from_rsa_pem(&common::read_string(&format!("{DKIMPY}/test.private")))
        .map_err(|e| format!("mail-auth cannot load test.private for signing: {e}"))
}

fn ed25519_key(seed_file: &str, public_b64: &str) -> Ed25519Key {
    let seed = base64_decode(
        common::read_string(&format!("{DKIMPY}/{seed_file}"))
            .trim()
            .as_bytes(),
    )
    .expect("base64 seed");
    let public = base64_decode(public_b64.as_bytes()).expect("base64 public key");
    Ed25519Key::from_seed_and_public_key(&seed, &public).expect("an Ed25519 key pair")
}

/// The verdict for the signature by `domain`/`selector` (other signatures a
/// message carries, e.g. a real one whose key is not in the table, are ignored).
fn signature_result(checks: &[DkimCheck], domain: &str, selector: &str) -> AuthResult {
    checks
        .iter()
        .find(|c| c.domain == domain && c.selector == selector)
        .map_or(AuthResult::None, |c| c.result)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dkimpy_testdata() {
    let mut tally = Tally::new("dkimpy testdata", DKIMPY_EXCLUSIONS);
    let records = dkimpy_records();
    let auth = common::authenticator(zone_of(&records)).await;

    // Signed messages in the folder: every signature passes.
    for file in ["rfc6376.signed.msg", "ed25519test2.msg", "test2.message"] {
        let raw = common::crlf(&common::read(&format!("{DKIMPY}/{file}")));
        let checks = verify(&auth, &raw).await;
        let ok = !checks.is_empty() && checks.iter().all(|c| c.result == AuthResult::Pass);
        tally.check(&format!("verify {file}"), ok, || {
            format!("expected every signature to pass: {}", describe(&checks))
        });
    }

    // Sign with the suite's keys (mail-auth's signer), then verify.
    let test_message = common::crlf(&common::read(&format!("{DKIMPY}/test.message")));
    let basic = vec!["From".to_string(), "To".to_string(), "Subject".to_string()];
    let rsa_signed = rsa_test_key()
        .and_then(|key| sign(key, "example.com", "test", basic.clone(), &test_message));
    let key_name = "test._domainkey.example.com";
    for (key_file, want_pass) in [
        ("test.txt", true),
        ("test2.txt", true),
        ("badversion.txt", false),
        ("badk.txt", false),
        ("test_bad.txt", false),
        ("test_tlsrpt.txt", false),
    ] {
        let id = format!("sign test.message (rsa-sha256), key {key_file}");
        let signed = match &rsa_signed {
            Ok(signed) => signed,
            Err(err) => {
                tally.check(&id, false, || err.clone());
                continue;
            }
        };
        let auth = common::authenticator(with_key(key_name, dkimpy_key_file(key_file))).await;
        let checks = verify(&auth, signed).await;
        let got = signature_result(&checks, "example.com", "test");
        let ok = (got == AuthResult::Pass) == want_pass;
        tally.check(&id, ok, || {
            format!(
                "expected {}: {}",
                if want_pass { "pass" } else { "non-pass" },
                describe(&checks)
            )
        });
    }

    // Every header signed, on messages with extra or repeated headers.
    for file in ["message.mbox", "test_extra.message"] {
        let raw = common::crlf(&common::read(&format!("{DKIMPY}/{file}")));
        let id = format!("sign {file} (all headers), key test.txt");
        match rsa_test_key()
            .and_then(|key| sign(key, "example.com", "test", header_names(&raw), &raw))
        {
            Ok(signed) => {
                let checks = verify(&auth, &signed).await;
                let got = signature_result(&checks, "example.com", "test");
                tally.check(&id, got == AuthResult::Pass, || describe(&checks));
            }
            Err(err) => tally.check(&id, false, || err),
        }
    }

    // Ed25519 (RFC 8463): dkimpy's test key, and the RFC 8032 7.1 TEST 1 key
    // whose public half is the "brisbane" record.
    let ed_public = "yi50DjK5O9pqbFpNHklsv9lqaS0ArSYu02qp1S0DW1Y=";
    let auth_ed = common::authenticator(with_key(
        "test._domainkey.example.net",
        dkimpy_key_file("ed25519test.dns"),
    ))
    .await;
    let raw = common::crlf(&common::read(&format!("{DKIMPY}/ed25519test.msg")));
    let id = "sign ed25519test.msg (ed25519-sha256), key ed25519test.dns";
    match sign(
        ed25519_key("ed25519test.key", ed_public),
        "example.net",
        "test",
        basic.clone(),
        &raw,
    ) {
        Ok(signed) => {
            let checks = verify(&auth_ed, &signed).await;
            let got = signature_result(&checks, "example.net", "test");
            tally.check(id, got == AuthResult::Pass, || describe(&checks));
        }
        Err(err) => tally.check(id, false, || err),
    }

    // No From: signing may refuse; a signature made anyway must not pass
    // (RFC 6376 section 5.4: From is always signed). dkimpy uses its RSA
    // key; the property does not depend on the key, so the Ed25519 one
    // (which ring can sign with) stands in.
    {
        let raw = common::crlf(&common::read(&format!("{DKIMPY}/test_nofrom.message")));
        let id = "sign test_nofrom.message (ed25519-sha256), key ed25519test.dns";
        match sign(
            ed25519_key("ed25519test.key", ed_public),
            "example.net",
            "test",
            basic.clone(),
            &raw,
        ) {
            Ok(signed) => {
                let checks = verify(&auth_ed, &signed).await;
                let got = signature_result(&checks, "example.net", "test");
                tally.check(id, got != AuthResult::Pass, || {
                    format!("a message without From verified: {}", describe(&checks))
                });
            }
            Err(err) => {
                tally.note(format!("test_nofrom.message: signing refused ({err})"));
                tally.check(id, true, String::new);
            }
        }
    }

    let brisbane = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    let raw = common::crlf(&common::read(&format!("{DKIMPY}/rfc6376.msg")));
    let id = "sign rfc6376.msg (ed25519-sha256), RFC 8032 key, brisbane record";
    match sign(
        ed25519_key("rfc8032_7_1.key", brisbane),
        "football.example.com",
        "brisbane",
        basic,
        &raw,
    ) {
        Ok(signed) => {
            let checks = verify(&auth, &signed).await;
            let got = signature_result(&checks, "football.example.com", "brisbane");
            tally.check(id, got == AuthResult::Pass, || describe(&checks));
        }
        Err(err) => tally.check(id, false, || err),
    }
    common::finish("DKIM: dkimpy test data", &[tally]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalwart_dkim_resources() {
    let mut tally = Tally::new(
        "stalwartlabs resources/dkim/*.txt",
        STALWART_DKIM_EXCLUSIONS,
    );
    for file in common::list(STALWART_DKIM, ".txt") {
        let (auth, raw) = common::records_then_message(&format!("{STALWART_DKIM}/{file}")).await;
        // Real-world signatures in the corpus carry x= expiries that have
        // passed since; judge them at the corpus's own time.
        let auth = auth.at_time(STALWART_NOW);
        let checks = verify(&auth, &raw).await;
        let all_pass = !checks.is_empty() && checks.iter().all(|c| c.result == AuthResult::Pass);
        tally.check(&file, all_pass, || {
            format!("expected every signature to pass: {}", describe(&checks))
        });
    }
    common::finish("DKIM: mail-auth resources", &[tally]);
}
