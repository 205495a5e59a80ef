//! ARC conformance (RFC 8617): ValiMail's validation suite and mail-auth's
//! ARC resources, validated through `Authenticator::authenticate`.
//!
//! The ValiMail signing suite is not run: Countersign validates ARC chains
//! but does not seal.
//!
//! Run with `cargo test -p countersign-auth --test arc_suite -- --nocapture`.

mod common;

use common::{Exclusion, Tally};
use countersign_dns::zone::ZoneSet;
use countersign_model::auth::AuthResult;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_yaml::Value;
use std::fmt;

const VALIMAIL: &str = "arc-valimail-test-suite";
const STALWART_ARC: &str = "stalwartlabs-mail-auth/resources/arc";

/// Cases where the suite (written against the ARC drafts) and RFC 8617 part
/// ways; RFC 8617 4.1.2 gives the AMS "the same syntax and semantics as the
/// DKIM-Signature field" apart from its name, v= and i=.
const VALIMAIL_EXCLUSIONS: &[Exclusion] = &[
    (
        "ams_fields_c_na",
        "RFC 8617 4.1.2 / RFC 6376 3.5: an AMS without c= is simple/simple; the suite signed the headers relaxed and then dropped c= (verified: it passes only when a relaxed default is assumed), so the signature does not verify and the chain fails, as the header claims",
    ),
    (
        "ams_fields_h_empty",
        "RFC 8617 4.1.2 / RFC 6376 3.5: h= needs at least one header name (sig-h-tag grammar) and 6.1.1 demands From in it; the suite accepts an empty h= (an AMS that signs no header at all): we refuse it and the chain fails",
    ),
];
const STALWART_ARC_EXCLUSIONS: &[Exclusion] = &[];

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => panic!("{other:?} is not a scalar"),
    }
}

/// A YAML mapping kept as its entries in order, duplicates included (the
/// suite repeats one test id; serde_yaml's `Value` refuses duplicate keys).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// One document of the validation suite.
#[derive(Deserialize)]
struct Scenario {
    tests: Entries,
    #[serde(rename = "txt-records")]
    txt_records: Option<Entries>,
}

/// The expected chain validation status. The suite's three `cv: ""` cases
/// came from its reference runner returning nothing; RFC 8617 section 5.2
/// (the newest seal says cv=fail) makes them `fail` (see SOURCE.md).
fn expected_cv(cv: &str) -> AuthResult {
    match cv.to_ascii_lowercase().as_str() {
        "pass" => AuthResult::Pass,
        "fail" | "" => AuthResult::Fail,
        "none" => AuthResult::None,
        other => panic!("unknown cv {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valimail_validation() {
    let yaml = common::read_string(&format!("{VALIMAIL}/arc-draft-validation-tests.yml"));
    let mut tally = Tally::new("arc-draft-validation-tests.yml", VALIMAIL_EXCLUSIONS);
    let mut blank_cv = 0;
    let (mut seen, mut duplicates) = (Vec::<String>::new(), Vec::<String>::new());
    for document in serde_yaml::Deserializer::from_str(&yaml) {
        let scenario = Scenario::deserialize(document).expect("valid YAML");
        let mut zones = ZoneSet::new();
        for (name, value) in scenario.txt_records.iter().flat_map(|r| &r.0) {
            zones.insert(name, 300, common::txt(text(value).as_bytes()));
        }
        let auth = common::authenticator(zones).await;
        for (id, case) in &scenario.tests.0 {
            // A repeated id (the reference runner, reading YAML into a dict,
            // only ever ran the last one) is run under a suffixed id.
            let mut id = id.clone();
            while seen.contains(&id) {
                duplicates.push(id.clone());
                id.push_str("#2");
            }
            seen.push(id.clone());
            let cv = case.get("cv").map(text).unwrap_or_default();
            if cv.is_empty() {
                blank_cv += 1;
            }
            let want = expected_cv(&cv);
            let message = case.get("message").map(text).unwrap_or_default();
            let raw = common::crlf(message.as_bytes());
            let report = auth.authenticate(&raw, &common::quiet_envelope()).await;
            let got = report.arc.result;
            tally.check(&id, got == want, || {
                format!(
                    "cv {cv:?}: expected {}, got {} ({} sets{})",
                    want.as_str(),
                    got.as_str(),
                    report.arc.instances,
                    report
                        .arc
                        .reason
                        .as_deref()
                        .map(|r| format!(", {r}"))
                        .unwrap_or_default()
                )
            });
        }
    }
    for id in duplicates {
        tally.note(format!(
            "test id {id} appears twice in the YAML; the second is run as {id}#2"
        ));
    }
    tally.note(format!(
        "{blank_cv} cases with cv \"\" judged as fail (RFC 8617 section 5.2; see SOURCE.md)"
    ));
    tally.note("arc-draft-sign-tests.yml (signing suite) skipped: Countersign validates ARC, it does not seal");
    common::finish("ARC: ValiMail validation suite", &[tally]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalwart_arc_resources() {
    let mut tally = Tally::new("stalwartlabs resources/arc/*.txt", STALWART_ARC_EXCLUSIONS);
    for file in common::list(STALWART_ARC, ".txt") {
        let (auth, raw) = common::records_then_message(&format!("{STALWART_ARC}/{file}")).await;
        let report = auth.authenticate(&raw, &common::quiet_envelope()).await;
        let dkim_pass = report.dkim.iter().any(|d| d.result == AuthResult::Pass);
        let ok = report.arc.result == AuthResult::Pass && dkim_pass;
        tally.check(&file, ok, || {
            format!(
                "expected ARC pass and a DKIM pass: ARC {} ({:?}), DKIM {:?}",
                report.arc.result.as_str(),
                report.arc.reason,
                report
                    .dkim
                    .iter()
                    .map(|d| format!("{} {} {:?}", d.domain, d.result.as_str(), d.reason))
                    .collect::<Vec<_>>()
            )
        });
    }
    common::finish("ARC: mail-auth resources", &[tally]);
}
