//! The record checks over literal DNS answers: what each finding catches
//! and that a sound domain passes clean.

use super::*;

const KEY768: &str = "MHwwDQYJKoZIhvcNAQEBBQADawAwaAJhAKFjg4UpDr7zISD6rQhaAoPNz8p6GmmjkZkgCIICQ1ZvU7Lo+zyktrCb7wurkSKfZcwIG9cL/cPCMi9r4sDM7E7MKEw5QEXsr1X5vLSMItFHmHV1IA2ZWLHcRMoRDVxW+QIDAQAB";
const KEY1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDYmjVx1gIvMR8tNrKhITuYcsyAiPkhJImclA1IJF/mDW0RQp0CRcZckEl4JRH1ntxw1auNhX9RTHEZ8zCsf2+IR6KVKsPph/iq1uB/1B7lIsOlgjKJHCvO1brZ7iv0yV2DT5XoAQS0Gd2rjcJnY1PMn7DVlDq1ojcP7oq5xpuxNQIDAQAB";
const KEY2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApeymjMmSdZ2ljidfWLMSx3gnpsmq6NkQ7zPxWajxttfpz0pwjKW43C803LUbe5b9tWJCwGGWc7f+oIHUHdFikpSLqUKX7d+Ph+sURLFI6MyeDyr2n09asvONHuMaLGhO30YBkc/73SkTrwsVyArnk01hJC9WQycPX4vXflrR3dfBFEC9q1jhaQ/jey9PiqeQg3yyrHvERQNevR7N+4NxBazwW2Pk5tOgZuR0e2GxnXr2MR7bDjoKq9kjel1B/pejUJCgh2iF+qIzblq/KJyGTqKfhZMxXdNzrEM/ceLe5a0+z3v7S3XurFX+ufI1yjojN6E3U41IJ+p9gKc8aSmIAQIDAQAB";
const ED25519: &str = "OlULgDJwwaL4vnJctJEbZVI5HFVK0x1LjGsFh5zQbOo=";

/// A DNS made of literal records: `(type, name, value)`; names absent are
/// NXDOMAIN, names present without the type are NODATA.
struct Dns(Vec<(&'static str, String, String)>);

impl Dns {
    fn answer(&self, q: &Query) -> Answer {
        let (ty, name) = match q {
            Query::Txt(n) => ("TXT", n),
            Query::Mx(n) => ("MX", n),
            Query::A(n) => ("A", n),
            Query::Aaaa(n) => ("AAAA", n),
        };
        if name.contains("fail.") {
            return Answer::Failed("SERVFAIL".into());
        }
        let records: Vec<String> = self
            .0
            .iter()
            .filter(|(t, n, _)| *t == ty && n == name)
            .map(|(_, _, v)| v.clone())
            .collect();
        if !records.is_empty() {
            Answer::Records(records)
        } else if self.0.iter().any(|(_, n, _)| n == name) {
            Answer::NoData
        } else {
            Answer::NxDomain
        }
    }

    fn check(&self, domain: &str, selectors: &[&str]) -> DomainReport {
        let req = CheckRequest {
            domain: domain.into(),
            selectors: selectors.iter().map(|s| s.to_string()).collect(),
        };
        let mut facts = Facts::default();
        for _ in 0..30 {
            match check_domain(&req, &facts, false) {
                Outcome::Done(r) => return *r,
                Outcome::Need(qs) => {
                    assert!(!qs.is_empty());
                    for q in qs {
                        let a = self.answer(&q);
                        facts.insert(q, a);
                    }
                }
            }
        }
        panic!("the check did not finish in 30 rounds");
    }
}

fn rr(t: &'static str, n: &str, v: &str) -> (&'static str, String, String) {
    (t, n.to_string(), v.to_string())
}

fn sound() -> Vec<(&'static str, String, String)> {
    vec![
        rr(
            "TXT",
            "example.com",
            "v=spf1 ip4:192.0.2.0/24 include:_spf.provider.example -all",
        ),
        rr("TXT", "example.com", "google-site-verification=abc"),
        rr(
            "TXT",
            "_spf.provider.example",
            "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 -all",
        ),
        rr(
            "TXT",
            "_dmarc.example.com",
            "v=DMARC1; p=reject; rua=mailto:dmarc@example.com",
        ),
        rr(
            "TXT",
            "s1._domainkey.example.com",
            &format!("v=DKIM1; k=rsa; p={KEY2048}"),
        ),
        rr("MX", "example.com", "10 mx1.example.com."),
        rr("A", "mx1.example.com", "192.0.2.25"),
    ]
}

fn codes(r: &DomainReport) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code).collect()
}

#[test]
fn a_sound_domain_passes_clean() {
    let r = Dns(sound()).check("example.com", &["s1"]);
    assert!(r.worst().is_none(), "{:#?}", r.findings);
    let spf = r.spf.unwrap();
    assert_eq!((spf.lookups, spf.void_lookups), (1, 0));
    assert_eq!(spf.all.as_deref(), Some("-all"));
    assert_eq!(spf.includes, ["_spf.provider.example"]);
    assert_eq!(r.dmarc.unwrap().p.as_deref(), Some("reject"));
    assert_eq!(r.dkim[0].bits, Some(2048));
    assert_eq!(r.mx, [(10, "mx1.example.com.".to_string())]);
}

#[test]
fn spf_lookup_and_void_limits() {
    let mut dns = sound();
    dns.retain(|(t, n, _)| !(*t == "TXT" && n == "example.com"));
    // Twelve includes chained: 12 lookups.
    dns.push(rr(
        "TXT",
        "example.com",
        "v=spf1 include:i1.example.net -all",
    ));
    for i in 1..12 {
        dns.push(rr(
            "TXT",
            &format!("i{i}.example.net"),
            &format!("v=spf1 include:i{}.example.net -all", i + 1),
        ));
    }
    dns.push(rr("TXT", "i12.example.net", "v=spf1 ip4:203.0.113.1 -all"));
    let r = Dns(dns.clone()).check("example.com", &[]);
    assert_eq!(r.spf.as_ref().unwrap().lookups, 12);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "spf.too_many_lookups")
        .unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message.contains("12 DNS lookups") && !f.fix.is_empty(),
        "{f:?}"
    );

    // Three names that do not exist: three void lookups.
    dns.retain(|(t, n, _)| !(*t == "TXT" && n == "example.com"));
    dns.push(rr(
        "TXT",
        "example.com",
        "v=spf1 a:gone1.example.com mx:gone2.example.com exists:gone3.example.com -all",
    ));
    let r = Dns(dns).check("example.com", &[]);
    assert_eq!(r.spf.as_ref().unwrap().void_lookups, 3);
    assert!(
        codes(&r).contains(&"spf.too_many_void_lookups"),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn spf_all_duplicates_syntax_and_loops() {
    let with = |spf: &[&str]| {
        let mut dns = sound();
        dns.retain(|(t, n, _)| !(*t == "TXT" && n == "example.com"));
        for s in spf {
            dns.push(rr("TXT", "example.com", s));
        }
        dns.push(rr(
            "TXT",
            "loop.example.net",
            "v=spf1 include:example.com -all",
        ));
        Dns(dns).check("example.com", &[])
    };
    assert!(codes(&with(&["v=spf1 +all"])).contains(&"spf.pass_all"));
    assert!(codes(&with(&["v=spf1 mx ?all"])).contains(&"spf.neutral_all"));
    assert!(codes(&with(&["v=spf1 mx"])).contains(&"spf.no_all"));
    assert!(codes(&with(&["v=spf1 -all", "v=spf1 mx -all"])).contains(&"spf.multiple"));
    assert!(codes(&with(&["v=spf1 mx mx -all"])).contains(&"spf.duplicate"));
    assert!(codes(&with(&["v=spf1 ptr -all"])).contains(&"spf.ptr"));
    assert!(codes(&with(&["v=spf1 -all mx"])).contains(&"spf.after_all"));
    assert!(codes(&with(&["v=spf1 include:loop.example.net -all"])).contains(&"spf.loop"));
    assert!(
        codes(&with(&["v=spf1 include:nothing.example.net -all"])).contains(&"spf.include_missing")
    );
    let r = with(&["v=spf1 inlcude:_spf.provider.example -all"]);
    let f = r.findings.iter().find(|f| f.code == "spf.syntax").unwrap();
    assert!(
        f.message
            .contains("'inlcude' is not an SPF mechanism (did you mean 'include'?)"),
        "{}",
        f.message
    );
    let r = with(&["v=spf1 ip4:192.0.2.300 -all"]);
    assert!(
        r.findings
            .iter()
            .any(|f| f.message.contains("not an IPv4 address")),
        "{:?}",
        r.findings
    );
    assert!(codes(&with(&[])).contains(&"spf.missing"));
}

#[test]
fn dmarc_policy_and_report_destinations() {
    let with = |dmarc: &str, extra: &[(&'static str, &str, &str)]| {
        let mut dns = sound();
        dns.retain(|(_, n, _)| n != "_dmarc.example.com");
        dns.push(rr("TXT", "_dmarc.example.com", dmarc));
        for (t, n, v) in extra {
            dns.push(rr(t, n, v));
        }
        Dns(dns).check("example.com", &[])
    };
    let r = with(
        "v=DMARC1; p=none; sp=none; pct=50; rua=mailto:reports@vendor.example.net",
        &[],
    );
    let c = codes(&r);
    for want in ["dmarc.policy_none", "dmarc.external_unauthorised"] {
        assert!(c.contains(&want), "{want} missing in {c:?}");
    }
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "dmarc.external_unauthorised")
        .unwrap();
    assert!(
        f.fix
            .contains("example.com._report._dmarc.vendor.example.net"),
        "{}",
        f.fix
    );
    // Authorised by the destination: fine.
    let r = with(
        "v=DMARC1; p=reject; rua=mailto:reports@vendor.example.net",
        &[(
            "TXT",
            "example.com._report._dmarc.vendor.example.net",
            "v=DMARC1",
        )],
    );
    assert!(r.worst().is_none(), "{:?}", r.findings);
    let c = codes(&with(
        "v=DMARC1; p=reject; sp=none; pct=20; rua=mailto:d@example.com",
        &[],
    ));
    assert!(
        c.contains(&"dmarc.weaker_subdomains") && c.contains(&"dmarc.partial_pct"),
        "{c:?}"
    );
    let c = codes(&with("v=DMARC1; p=rejekt; rua=mailto:d@example.com", &[]));
    assert!(c.contains(&"dmarc.bad_policy"), "{c:?}");
    let c = codes(&with("p=reject; v=DMARC1", &[]));
    assert!(
        c.contains(&"dmarc.missing"),
        "v= not first is no DMARC record: {c:?}"
    );
    let c = codes(&with("v=DMARC1; p=reject; pcct=100", &[]));
    assert!(
        c.contains(&"dmarc.unknown_tag") && c.contains(&"dmarc.no_rua"),
        "{c:?}"
    );
    // A subdomain inherits the organisational domain's record.
    let r = Dns(sound()).check("mail.example.com", &[]);
    assert!(codes(&r).contains(&"dmarc.inherited"), "{:?}", codes(&r));
    assert_eq!(r.dmarc.unwrap().found_at, "_dmarc.example.com");
}

#[test]
fn dkim_keys() {
    let mut dns = sound();
    dns.push(rr(
        "TXT",
        "old._domainkey.example.com",
        &format!("v=DKIM1; k=rsa; p={KEY1024}"),
    ));
    dns.push(rr(
        "TXT",
        "weak._domainkey.example.com",
        &format!("v=DKIM1; p={KEY768}"),
    ));
    dns.push(rr(
        "TXT",
        "gone._domainkey.example.com",
        "v=DKIM1; k=rsa; p=",
    ));
    dns.push(rr(
        "TXT",
        "ed._domainkey.example.com",
        &format!("v=DKIM1; k=ed25519; p={ED25519}"),
    ));
    dns.push(rr(
        "TXT",
        "sha1._domainkey.example.com",
        &format!("v=DKIM1; h=sha1; p={KEY2048}"),
    ));
    let r = Dns(dns).check(
        "example.com",
        &["s1", "old", "weak", "gone", "ed", "sha1", "missing"],
    );
    let by = |sel: &str| -> Vec<&str> {
        r.findings
            .iter()
            .filter(|f| f.record == format!("dkim:{sel}"))
            .map(|f| f.code)
            .collect()
    };
    assert!(by("s1").is_empty());
    assert_eq!(by("old"), ["dkim.short_key"]);
    assert_eq!(by("weak"), ["dkim.weak_key"]);
    assert_eq!(by("gone"), ["dkim.revoked"]);
    assert_eq!(by("ed"), ["dkim.ed25519"]);
    assert_eq!(by("sha1"), ["dkim.sha1_only"]);
    assert_eq!(by("missing"), ["dkim.missing"]);
    let bits: Vec<Option<u32>> = r.dkim.iter().map(|k| k.bits).collect();
    assert_eq!(
        bits,
        [
            Some(2048),
            Some(1024),
            Some(768),
            None,
            Some(256),
            Some(2048)
        ]
    );
}

#[test]
fn mx_presence_and_failures() {
    let mut dns = sound();
    dns.retain(|(t, _, _)| *t != "MX");
    let r = Dns(dns.clone()).check("example.com", &[]);
    assert!(codes(&r).contains(&"mx.missing"));
    dns.push(rr("MX", "example.com", "10 mx9.example.com."));
    let r = Dns(dns.clone()).check("example.com", &[]);
    assert!(codes(&r).contains(&"mx.unresolvable"), "{:?}", codes(&r));
    let mut null = dns.clone();
    null.retain(|(t, _, _)| *t != "MX");
    null.push(rr("MX", "example.com", "0 ."));
    assert!(codes(&Dns(null).check("example.com", &[])).contains(&"mx.null"));
    // A failing name server is never a pass.
    let r = Dns(vec![]).check("fail.example.org", &["s1"]);
    let c = codes(&r);
    for want in [
        "spf.unreachable",
        "dmarc.unreachable",
        "dkim.unreachable",
        "mx.unreachable",
    ] {
        assert!(c.contains(&want), "{want} missing in {c:?}");
    }
}

#[test]
fn rsa_sizes_from_der() {
    for (key, bits) in [(KEY768, 768), (KEY1024, 1024), (KEY2048, 2048)] {
        let der = data_encoding::BASE64.decode(key.as_bytes()).unwrap();
        assert_eq!(dkim::rsa_bits(&der), Some(bits));
    }
    assert_eq!(dkim::rsa_bits(b"\x30\x03\x02\x01\x05"), Some(3));
    assert_eq!(dkim::rsa_bits(b"\x30\x84\xff\xff\xff\xff"), None);
    assert_eq!(dkim::rsa_bits(b""), None);
}

#[test]
fn the_walk_is_bounded() {
    // Every include points at two new ones: the walk stops at the depth
    // bound instead of asking forever.
    let mut dns = sound();
    dns.retain(|(t, n, _)| !(*t == "TXT" && n == "example.com"));
    dns.push(rr(
        "TXT",
        "example.com",
        "v=spf1 include:n0.example.net -all",
    ));
    for i in 0..40 {
        dns.push(rr(
            "TXT",
            &format!("n{i}.example.net"),
            &format!("v=spf1 include:n{}.example.net -all", i + 1),
        ));
    }
    let r = Dns(dns).check("example.com", &[]);
    let c = codes(&r);
    assert!(
        c.contains(&"spf.too_deep") && c.contains(&"spf.too_many_lookups"),
        "{c:?}"
    );
    assert!(r.queries < MAX_QUERIES, "{} queries", r.queries);
}
