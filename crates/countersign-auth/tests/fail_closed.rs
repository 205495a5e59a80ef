//! DNS failures must hold, never pass: time-outs are `temperror`, and the
//! caching resolver answers repeated questions without asking again.

use countersign_auth::{Authenticator, Envelope};
use countersign_dns::resolver::{DnsResolver, ResolverSettings};
use countersign_dns::zone::{RecordData, ZoneSet};
use countersign_model::auth::AuthResult;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MESSAGE: &[u8] = b"From: Pat <pat@vendor.example>\r\nTo: desk@acme.example\r\n\
Subject: hello\r\n\r\nHello.\r\n";

fn settings() -> ResolverSettings {
    ResolverSettings {
        timeout: Duration::from_millis(200),
        attempts: 1,
        ..ResolverSettings::default()
    }
}

fn envelope() -> Envelope {
    Envelope::parse("192.0.2.10", "mx.vendor.example", "pat@vendor.example").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spf_time_out_is_temperror() {
    let mut zones = ZoneSet::new();
    zones.insert_timeout("vendor.example");
    zones.insert_timeout("_dmarc.vendor.example");
    let resolver = DnsResolver::from_zones(zones, &settings()).await.unwrap();
    let auth = Authenticator::new(Arc::new(resolver), "countersign.test");
    let report = auth.authenticate(MESSAGE, &envelope()).await;
    assert_eq!(report.spf.result, AuthResult::TempError);
    assert_eq!(
        report.dmarc.result,
        AuthResult::TempError,
        "{:?}",
        report.dmarc
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_is_temperror_not_none() {
    // A socket that receives and never answers: a dead or filtered resolver.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let settings = ResolverSettings {
        servers: vec![silent.local_addr().unwrap()],
        ..settings()
    };
    let resolver = DnsResolver::new(&settings).unwrap();
    let auth = Authenticator::new(Arc::new(resolver), "countersign.test");
    let started = Instant::now();
    let (spf, _) = auth.check_spf(&envelope()).await;
    assert_eq!(spf.result, AuthResult::TempError);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_cached_by_ttl() {
    let mut zones = ZoneSet::new();
    // The SOA minimum is what lets resolvers cache negative answers (RFC 2308).
    zones.insert(
        "example",
        3600,
        RecordData::Soa {
            mname: "ns.example.".into(),
            rname: "hostmaster.example.".into(),
            serial: 1,
            refresh: 3600,
            retry: 600,
            expire: 86400,
            minimum: 300,
        },
    );
    zones.insert(
        "vendor.example",
        3600,
        RecordData::Txt(vec![b"v=spf1 ip4:192.0.2.0/24 -all".to_vec()]),
    );
    let resolver = Arc::new(DnsResolver::from_zones(zones, &settings()).await.unwrap());
    let auth = Authenticator::new(resolver.clone(), "countersign.test");
    let first = auth.authenticate(MESSAGE, &envelope()).await;
    assert_eq!(first.spf.result, AuthResult::Pass);
    let asked = resolver.zone_server_queries().unwrap();
    let second = auth.authenticate(MESSAGE, &envelope()).await;
    assert_eq!(second, first);
    assert_eq!(
        resolver.zone_server_queries().unwrap(),
        asked,
        "the second message is answered from the caches"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_spf_records_are_permerror() {
    let mut zones = ZoneSet::new();
    for record in ["v=spf1 ip4:192.0.2.0/24 -all", "v=spf1 -all"] {
        zones.insert(
            "vendor.example",
            300,
            RecordData::Txt(vec![record.as_bytes().to_vec()]),
        );
    }
    let resolver = DnsResolver::from_zones(zones, &settings()).await.unwrap();
    let auth = Authenticator::new(Arc::new(resolver), "countersign.test");
    let (spf, _) = auth.check_spf(&envelope()).await;
    assert_eq!(spf.result, AuthResult::PermError);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_author_from_is_evaluated_per_domain() {
    let mut zones = ZoneSet::new();
    zones.insert(
        "vendor.example",
        300,
        RecordData::Txt(vec![b"v=spf1 ip4:192.0.2.0/24 -all".to_vec()]),
    );
    zones.insert(
        "_dmarc.vendor.example",
        300,
        RecordData::Txt(vec![b"v=DMARC1; p=none".to_vec()]),
    );
    zones.insert(
        "_dmarc.acme.example",
        300,
        RecordData::Txt(vec![b"v=DMARC1; p=reject".to_vec()]),
    );
    let resolver = DnsResolver::from_zones(zones, &settings()).await.unwrap();
    let auth = Authenticator::new(Arc::new(resolver), "countersign.test");
    let message = b"From: pat@vendor.example, ceo@acme.example\r\nSubject: x\r\n\r\nbody\r\n";
    let report = auth.authenticate(message, &envelope()).await;
    assert_eq!(report.dmarc.from_domain, "vendor.example");
    assert_eq!(report.dmarc.result, AuthResult::Pass);
    assert_eq!(report.dmarc_other_authors.len(), 1);
    assert_eq!(report.dmarc_other_authors[0].from_domain, "acme.example");
    assert_eq!(report.dmarc_other_authors[0].result, AuthResult::Fail);
    assert_eq!(report.dmarc_other_authors[0].policy, "reject");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_results_header_is_reported() {
    let resolver = DnsResolver::from_zones(ZoneSet::new(), &settings())
        .await
        .unwrap();
    let auth = Authenticator::new(Arc::new(resolver), "countersign.test");
    let message = b"Authentication-Results: countersign.test; dmarc=pass\r\n\
From: pat@vendor.example\r\n\r\nbody\r\n";
    let report = auth.authenticate(message, &envelope()).await;
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.to_string().contains("forged Authentication-Results")),
        "{:?}",
        report.errors
    );
    assert_ne!(report.dmarc.result, AuthResult::Pass);
}
