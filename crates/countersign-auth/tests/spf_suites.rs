//! SPF conformance: the openspf RFC 7208 and RFC 4408 test suites (as kept by
//! pyspf) and mail-auth's own SPF resources, each served from a loopback zone
//! and checked through `Authenticator::check_spf`.
//!
//! Run with `cargo test -p countersign-auth --test spf_suites -- --nocapture`
//! to see the pass-count table.

mod common;

use common::{Exclusion, Tally};
use countersign_auth::{Authenticator, Envelope};
use countersign_dns::zone::{RecordData, ZoneSet};
use countersign_model::auth::AuthResult;
use serde::Deserialize;
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const OPENSPF: &str = "spf-openspf-rfc7208-pyspf";

/// RFC 7208 suite: nothing is excluded; a case that needs excluding goes
/// here with its reason.
const RFC7208_EXCLUSIONS: &[Exclusion] = &[];

/// RFC 4408 suite: nothing is excluded either.
const RFC4408_EXCLUSIONS: &[Exclusion] = &[];

/// mail-auth's SPF resources: where upstream's own tests encode its old
/// behaviour against RFC 7208 (and the openspf case that checks it), RFC
/// 7208 wins.
const STALWART_EXCLUSIONS: &[Exclusion] = &[
    (
        "all.yml:14",
        "upstream expects 'v=spf1 -all ip:10.0.0.1' to fail; 'ip' is no mechanism, and a syntax error anywhere, even after 'all', is a permerror (RFC 7208 4.6; openspf detect-errors-anywhere)",
    ),
    (
        "basic.yml:116",
        "upstream expects softfail after ten a: lookups of names that do not exist; RFC 7208 4.6.4 makes the third void lookup a permerror (openspf void-over-limit)",
    ),
    (
        "exists.yml:19",
        "upstream's 'exists' also asks for AAAA; RFC 7208 5.7 asks for A only, even for IPv6 clients (openspf exists-ip6only), and the name has only AAAA",
    ),
    (
        "ip.yml:55",
        "upstream lets IPv4 client 10.1.2.3 match ip6:::ffff:10.1.2.3; RFC 7208 5.6: ip6 never matches an IPv4 client (openspf cidr6-0-ip4, cidr6-ip4)",
    ),
    (
        "macro.yml:36",
        "upstream's 'exists' asks for AAAA for an IPv6 client; RFC 7208 5.7 asks for A only (openspf exists-ip6only), and the name has only AAAA",
    ),
];

/// A YAML string as the bytes of a DNS character-string. The suite's
/// "\xEF\xBB\xBF" escapes stand for bytes (the suite predates Unicode-aware
/// drivers), so code points up to U+00FF become one byte each; anything
/// beyond is UTF-8.
fn dns_bytes(text: &str) -> Vec<u8> {
    if text.chars().all(|c| (c as u32) <= 0xff) {
        text.chars().map(|c| c as u32 as u8).collect()
    } else {
        text.as_bytes().to_vec()
    }
}

/// An `SPF:`/`TXT:` value: one string (cut into <=255-byte character-strings)
/// or a list of character-strings of one record.
fn txt_strings(value: &Value) -> Vec<Vec<u8>> {
    match value {
        Value::String(s) => common::split_255(&dns_bytes(s)),
        Value::Sequence(parts) => parts
            .iter()
            .flat_map(|part| match part {
                Value::String(s) => common::split_255(&dns_bytes(s)),
                other => panic!("TXT part {other:?} is not a string"),
            })
            .collect(),
        other => panic!("TXT value {other:?} is neither a string nor a list"),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("{other:?} is not a scalar"),
    }
}

/// The zone of one scenario, following the reference driver's semantics
/// (see the suite's SOURCE.md).
fn scenario_zone(zonedata: Option<&Value>) -> (ZoneSet, Vec<String>) {
    let mut zones = ZoneSet::new();
    let mut notes = Vec::new();
    let Some(Value::Mapping(zonedata)) = zonedata else {
        return (zones, notes);
    };
    for (name, entries) in zonedata {
        let name = text(name);
        let entries = entries.as_sequence().expect("zonedata entries are a list");
        let (mut spf, mut txt) = (Vec::new(), Vec::new());
        let (mut explicit_txt, mut timeout) = (false, false);
        let mut other = Vec::new();
        for entry in entries {
            match entry {
                Value::String(s) if s == "TIMEOUT" => timeout = true,
                Value::Mapping(map) => {
                    for (rtype, value) in map {
                        match rtype.as_str().expect("record type is a string") {
                            "SPF" => spf.push(txt_strings(value)),
                            "TXT" => {
                                explicit_txt = true;
                                if value.as_str() != Some("NONE") {
                                    txt.push(txt_strings(value));
                                }
                            }
                            "A" => other
                                .push(RecordData::A(text(value).parse().expect("an IPv4 address"))),
                            "AAAA" => other.push(RecordData::Aaaa(
                                text(value).parse().expect("an IPv6 address"),
                            )),
                            "MX" => {
                                let pair = value.as_sequence().expect("MX is [pref, host]");
                                other.push(RecordData::Mx {
                                    preference: text(&pair[0]).parse().expect("MX preference"),
                                    exchange: text(&pair[1]),
                                });
                            }
                            "PTR" => other.push(RecordData::Ptr(text(value))),
                            "CNAME" => other.push(RecordData::Cname(text(value))),
                            unknown => panic!("zonedata {name}: unknown record type {unknown}"),
                        }
                    }
                }
                unknown => panic!("zonedata {name}: unknown entry {unknown:?}"),
            }
        }
        // SPF (type 99) entries are the policy and are served as TXT, unless
        // the name lists TXT itself (`TXT: NONE` = none at all).
        let served_txt = if explicit_txt { txt } else { spf };
        if timeout {
            if served_txt.is_empty() && other.is_empty() {
                zones.insert_timeout(&name);
                continue;
            }
            // The reference driver times out only the types with no record
            // listed before TIMEOUT; here that is type SPF, which RFC 7208
            // verifiers never ask. A zone times out whole names, so serve
            // the records and leave the name answering.
            notes.push(format!(
                "{name}: TIMEOUT applies to type SPF only (never queried); TXT served"
            ));
        }
        for strings in served_txt {
            zones.insert(&name, 300, RecordData::Txt(strings));
        }
        for data in other {
            zones.insert(&name, 300, data);
        }
    }
    (zones, notes)
}

fn expected_results(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.to_ascii_lowercase()],
        Value::Sequence(list) => list.iter().map(|v| text(v).to_ascii_lowercase()).collect(),
        other => panic!("result {other:?}"),
    }
}

/// Runs one openspf YAML file (RFC 7208 or RFC 4408 edition).
async fn openspf_suite(file: &str, exclusions: &'static [Exclusion]) -> Tally {
    let yaml = common::read_string(&format!("{OPENSPF}/{file}"));
    let mut tally = Tally::new(file, exclusions);
    let (mut explained, mut explanation_matches) = (0, 0);
    let mut explanation_mismatches = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&yaml) {
        let scenario = Value::deserialize(document).expect("valid YAML");
        let (zones, notes) = scenario_zone(scenario.get("zonedata"));
        for note in notes {
            tally.note(note);
        }
        let auth = common::authenticator(zones).await;
        let tests = scenario
            .get("tests")
            .and_then(Value::as_mapping)
            .expect("a scenario has tests");
        for (id, case) in tests {
            let id = text(id);
            let field = |key: &str| case.get(key).map(text).unwrap_or_default();
            let (host, helo, mailfrom) = (field("host"), field("helo"), field("mailfrom"));
            let expected = expected_results(case.get("result").expect("a case has a result"));
            let envelope = match Envelope::parse(&host, &helo, &mailfrom) {
                Ok(envelope) => envelope,
                Err(err) => {
                    tally.check(&id, false, || {
                        format!("Envelope::parse({host:?}, {helo:?}, {mailfrom:?}) refused: {err}")
                    });
                    continue;
                }
            };
            let (spf, _) = auth.check_spf(&envelope).await;
            let got = spf.result.as_str();
            let ok = expected.iter().any(|e| e == got);
            tally.check(&id, ok, || {
                format!(
                    "expected {expected:?}, got {got} (ip {host}, helo {helo:?}, mailfrom {mailfrom:?}, domain {})",
                    spf.domain
                )
            });
            if let Some(want) = case.get("explanation").map(text)
                && want != "DEFAULT"
                && ok
            {
                explained += 1;
                if spf.explanation.as_deref() == Some(want.as_str()) {
                    explanation_matches += 1;
                } else {
                    explanation_mismatches
                        .push(format!("{id} (want {want:?}, got {:?})", spf.explanation));
                }
            }
        }
    }
    tally.note(format!(
        "explanations (informational, not asserted): {explanation_matches}/{explained} match"
    ));
    for mismatch in explanation_mismatches {
        tally.note(format!("explanation differs: {mismatch}"));
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openspf_rfc7208() {
    let tally = openspf_suite("rfc7208-tests.yml", RFC7208_EXCLUSIONS).await;
    common::finish("SPF: openspf RFC 7208 suite", &[tally]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openspf_rfc4408() {
    let tally = openspf_suite("rfc4408-tests.yml", RFC4408_EXCLUSIONS).await;
    common::finish("SPF: openspf RFC 4408 suite", &[tally]);
}

/// The DNS of a mail-auth SPF resource, as its test feeds its caches: a later
/// line for the same name replaces the earlier one.
#[derive(Default, Clone)]
struct StalwartRecords {
    txt: BTreeMap<String, String>,
    a: BTreeMap<String, Vec<Ipv4Addr>>,
    aaaa: BTreeMap<String, Vec<Ipv6Addr>>,
    ptr: BTreeMap<IpAddr, Vec<String>>,
    mx: BTreeMap<String, Vec<IpAddr>>,
    timeouts: Vec<String>,
}

fn dns_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Host name standing for the `pos`th exchanger of an `mx:` line.
fn mx_host(ip: IpAddr, pos: usize) -> String {
    let label: String = ip
        .to_string()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("mx{pos}-{label}.mx-hosts.example")
}

impl StalwartRecords {
    fn zone(&self) -> ZoneSet {
        let mut zones = ZoneSet::new();
        for (name, value) in &self.txt {
            zones.insert(name, 300, common::txt(value.as_bytes()));
        }
        for (name, ips) in &self.a {
            for ip in ips {
                zones.insert(name, 300, RecordData::A(*ip));
            }
        }
        for (name, ips) in &self.aaaa {
            for ip in ips {
                zones.insert(name, 300, RecordData::Aaaa(*ip));
            }
        }
        for (ip, names) in &self.ptr {
            for name in names {
                zones.insert(
                    &common::reverse_name(*ip),
                    300,
                    RecordData::Ptr(name.clone()),
                );
            }
        }
        for (name, ips) in &self.mx {
            for (pos, ip) in ips.iter().enumerate() {
                let host = mx_host(*ip, pos);
                zones.insert(
                    name,
                    300,
                    RecordData::Mx {
                        preference: (pos + 1) as u16,
                        exchange: host.clone(),
                    },
                );
                zones.insert(
                    &host,
                    300,
                    match ip {
                        IpAddr::V4(v4) => RecordData::A(*v4),
                        IpAddr::V6(v6) => RecordData::Aaaa(*v6),
                    },
                );
            }
        }
        for name in &self.timeouts {
            zones.insert_timeout(name);
        }
        zones
    }
}

/// The combined verdict of mail-auth's `SpfParameters::verify` (what the
/// resources were written for): HELO first; a HELO `fail` stands, otherwise
/// the MAIL FROM result (RFC 7208 sections 2.3 and 2.4).
async fn combined_spf(auth: &Authenticator, envelope: &Envelope) -> (AuthResult, Option<String>) {
    let (main, helo) = auth.check_spf(envelope).await;
    match helo {
        Some(helo) if helo.result == AuthResult::Fail => (helo.result, helo.explanation),
        _ => (main.result, main.explanation),
    }
}

/// Runs one mail-auth SPF resource file, line by line as its upstream test does.
async fn stalwart_file(rel: &str, label: &str, tally: &mut Tally) {
    let content = common::read_string(rel);
    let mut line_no = 0usize;
    for (index, document) in content.split("---\n").enumerate() {
        if index > 0 {
            // The `---` line the split removed.
            line_no += 1;
        }
        let mut records = StalwartRecords::default();
        // Names under `_dns_error.` stand for a failing resolver upstream.
        for word in document.split_whitespace() {
            let name = word.rsplit([':', '@', '=']).next().unwrap_or(word);
            if name.contains("_dns_error.") && !records.timeouts.contains(&dns_name(name)) {
                records.timeouts.push(dns_name(name));
            }
        }
        let mut auth: Option<Authenticator> = None;
        let (mut name, mut helo, mut mail_from) = (String::new(), String::new(), String::new());
        let mut ip: IpAddr = "127.0.0.1".parse().expect("an address");
        for line in document.split('\n') {
            line_no += 1;
            let line = line.trim();
            let line = line.strip_prefix('-').map_or(line, str::trim);
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            let mut changed = true;
            match key {
                "name" => {
                    name = value.to_string();
                    changed = false;
                }
                "spf" | "exp" => {
                    let (owner, record) = value.split_once(' ').expect("name and record");
                    records
                        .txt
                        .insert(dns_name(owner), record.trim().to_string());
                }
                "a" | "aaaa" | "mx" | "ptr" => {
                    let (owner, list) = value.split_once(' ').expect("name and values");
                    let items = list.split(',').map(str::trim).filter(|s| !s.is_empty());
                    match key {
                        "a" => {
                            let ips = items.map(|s| s.parse().expect("IPv4")).collect();
                            records.a.insert(dns_name(owner), ips);
                        }
                        "aaaa" => {
                            let ips = items.map(|s| s.parse().expect("IPv6")).collect();
                            records.aaaa.insert(dns_name(owner), ips);
                        }
                        "mx" => {
                            let ips = items.map(|s| s.parse().expect("IP")).collect();
                            records.mx.insert(dns_name(owner), ips);
                        }
                        _ => {
                            let owner: IpAddr = owner.trim().parse().expect("PTR owner IP");
                            records
                                .ptr
                                .insert(owner, items.map(str::to_string).collect());
                        }
                    }
                }
                "domain" => {
                    helo = value.to_string();
                    changed = false;
                }
                "sender" => {
                    mail_from = value.to_string();
                    changed = false;
                }
                "ip" => {
                    ip = value.parse().expect("client IP");
                    changed = false;
                }
                "expect" => {
                    changed = false;
                    let (want, want_exp) = match value.split_once(' ') {
                        Some((result, exp)) => (result.trim(), Some(exp.trim())),
                        None => (value, None),
                    };
                    if auth.is_none() {
                        auth = Some(common::authenticator(records.zone()).await);
                    }
                    let auth = auth.as_ref().expect("built above");
                    let id = format!("{label}:{line_no}");
                    let envelope = match Envelope::parse(&ip.to_string(), &helo, &mail_from) {
                        Ok(envelope) => envelope,
                        Err(err) => {
                            tally.check(&id, false, || format!("{name}: envelope refused: {err}"));
                            continue;
                        }
                    };
                    let (got, explanation) = combined_spf(auth, &envelope).await;
                    let ok = got.as_str() == want
                        && want_exp.is_none_or(|e| explanation.as_deref() == Some(e));
                    tally.check(&id, ok, || {
                        format!(
                            "{name}: expected {want} {want_exp:?}, got {} {explanation:?} (ip {ip}, helo {helo:?}, sender {mail_from:?})",
                            got.as_str()
                        )
                    });
                }
                _ => changed = false,
            }
            if changed {
                // Records changed after cases ran: later cases see the new zone.
                auth = None;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalwart_spf_resources() {
    let mut tally = Tally::new("stalwartlabs resources/spf/*.yml", STALWART_EXCLUSIONS);
    for file in common::list("stalwartlabs-mail-auth/resources/spf", ".yml") {
        stalwart_file(
            &format!("stalwartlabs-mail-auth/resources/spf/{file}"),
            &file,
            &mut tally,
        )
        .await;
    }
    let mut extras = Tally::new("stalwartlabs crate-0.15.1 spf/identities.yml", &[]);
    stalwart_file(
        "stalwartlabs-mail-auth/crate-0.15.1-extras/spf/identities.yml",
        "identities.yml",
        &mut extras,
    )
    .await;
    common::finish("SPF: mail-auth resources", &[tally, extras]);
}
