//! Posture storage, on SQLite always and on PostgreSQL when
//! `COUNTERSIGN_TEST_PG_URL` is set (see `scripts/postgres.sh`): aggregate
//! reports stored whole or not at all and once only, the per-source view and
//! timeline, alerts raised once into the audit log, failure and TLS
//! reports, the reverse DNS cache.

use countersign_audit::InstallationKey;
use countersign_posture::alerts::{AlertPolicy, NEW_UNALIGNED_SOURCE};
use countersign_posture::{
    AggregateReader, Aligned, Disposition, DkimAuth, DkimResult, FailureReport, PolicyPublished,
    Record, ReportHeader, ReportMetadata, ReportSummary, SpfAuth, SpfResult, Volume,
};
use countersign_store::posture::{AGGREGATE_INGEST, PostureQuery};
use countersign_store::{Begin, Store, Stored};
use sqlx::Connection;
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

fn sqlite_location(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("cs-posture-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("countersign.db").display().to_string()
}

async fn pg_location(name: &str) -> Option<String> {
    let Ok(base) = std::env::var("COUNTERSIGN_TEST_PG_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!("COUNTERSIGN_TEST_PG_URL is not set but CI is: PostgreSQL tests must run in CI");
        }
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED: PostgreSQL posture tests (set COUNTERSIGN_TEST_PG_URL) [{name}]\n")
                .as_bytes(),
        );
        return None;
    };
    let db = format!("csp_{name}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {db}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{db}"))
}

macro_rules! suite {
    ($($scenario:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::sqlite_location(stringify!($scenario))).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    if let Some(loc) = super::pg_location(stringify!($scenario)).await {
                        super::$scenario(loc).await;
                    }
                }
            )+
        }
    };
}

suite!(
    records_read_back_exactly,
    reports_are_stored_once_with_their_records,
    a_report_that_breaks_half_way_leaves_nothing,
    a_batch_keeps_its_whole_reports_and_drops_a_broken_one,
    sources_and_timeline,
    alerts_are_raised_once_after_a_baseline,
    failure_and_tls_reports,
    reverse_dns_cache_expires,
);

const DAY: i64 = 86_400;
const T0: i64 = 1_700_000_000 - 1_700_000_000 % DAY;

fn now() -> OffsetDateTime {
    datetime!(2024-01-01 00:00 UTC)
}

fn header(reporter: &str, id: &str, day: i64) -> ReportHeader {
    ReportHeader {
        version: None,
        dmarcbis: false,
        metadata: ReportMetadata {
            org_name: reporter.into(),
            email: format!("dmarc@{reporter}"),
            report_id: id.into(),
            begin: T0 + day * DAY,
            end: T0 + day * DAY + DAY - 1,
            ..ReportMetadata::default()
        },
        policy: PolicyPublished {
            domain: "example.com".into(),
            ..PolicyPublished::default()
        },
    }
}

fn record(ip: &str, count: u64, aligned: bool) -> Record {
    let (dkim, spf) = if aligned {
        (Aligned::Pass, Aligned::Pass)
    } else {
        (Aligned::Fail, Aligned::Fail)
    };
    Record {
        source_ip: ip.parse().unwrap(),
        count,
        disposition: if aligned {
            Disposition::None
        } else {
            Disposition::Quarantine
        },
        dkim,
        spf,
        reasons: vec![],
        header_from: "example.com".into(),
        envelope_from: Some("example.com".into()),
        envelope_to: None,
        dkim_auth: vec![DkimAuth {
            domain: if aligned {
                "example.com"
            } else {
                "evil.example"
            }
            .into(),
            selector: Some("s1".into()),
            result: if aligned {
                DkimResult::Pass
            } else {
                DkimResult::Fail
            },
            human_result: None,
        }],
        spf_auth: vec![SpfAuth {
            domain: "example.com".into(),
            scope: None,
            result: if aligned {
                SpfResult::Pass
            } else {
                SpfResult::SoftFail
            },
            human_result: None,
        }],
    }
}

fn summary(records: &[Record]) -> ReportSummary {
    let mut volume = Volume::default();
    for r in records {
        volume.add(r);
    }
    ReportSummary {
        volume,
        ..ReportSummary::default()
    }
}

/// Stores a whole report; returns its id, or panics on a duplicate.
async fn put(store: &Store, h: &ReportHeader, records: &[Record]) -> i64 {
    let Begin::Started(mut ingest) = store.begin_aggregate(h, "test", now()).await.unwrap() else {
        panic!("unexpected duplicate");
    };
    for chunk in records.chunks(700) {
        ingest.add(chunk).await.unwrap();
    }
    ingest
        .commit(&summary(records), "test:ingest", now())
        .await
        .unwrap()
}

async fn open(location: &str) -> (Store, InstallationKey) {
    let key_path = std::path::Path::new(location)
        .parent()
        .filter(|p| p.exists())
        .map(|p| p.join("key"))
        .unwrap_or_else(|| {
            // One key file per store: tests run in parallel, and one test
            // must never read a key another is still writing.
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::env::temp_dir().join(format!("cs-posture-key-{}-{n}", std::process::id()))
        });
    let key = InstallationKey::load_or_create(&key_path).unwrap();
    let store = Store::open(location)
        .await
        .unwrap()
        .with_signer(Arc::new(InstallationKey::load(&key_path).unwrap()));
    (store, key)
}

async fn reports_are_stored_once_with_their_records(location: String) {
    let (store, key) = open(&location).await;
    let records: Vec<Record> = (0..1234)
        .map(|i| record(&format!("192.0.2.{}", i % 200), 1 + i % 3, i % 5 != 0))
        .collect();
    let h = header("Reporter.Example", "r-1", 0);
    let id = put(&store, &h, &records).await;
    // Same reporter (case aside) and report ID: a duplicate, nothing written.
    let mut again = h.clone();
    again.metadata.org_name = "reporter.example".into();
    match store.begin_aggregate(&again, "test", now()).await.unwrap() {
        Begin::Duplicate { id: dup } => assert_eq!(dup, id),
        Begin::Started(_) => panic!("a duplicate was accepted"),
    }
    let listed = store
        .posture_reports(&PostureQuery::default(), 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reporter, "reporter.example");
    assert_eq!(listed[0].volume, summary(&records).volume);
    let view = store
        .posture_sources(&PostureQuery::default(), 1000)
        .await
        .unwrap();
    assert_eq!(view.total, summary(&records).volume);
    assert_eq!(view.sources.len(), 200);
    // Stored records read back exactly.
    let domains = store.posture_domains().await.unwrap();
    assert_eq!(domains.len(), 1);
    assert_eq!(domains[0].reports, 1);
    assert_eq!(domains[0].volume.records, 1234);
    // The ingest is in the audit log, and the log verifies.
    let entries = store.audit_entries(1, 100).await.unwrap();
    assert!(entries.iter().any(|e| e.action == AGGREGATE_INGEST));
    assert!(
        store
            .verify_audit(key.verifying_key())
            .await
            .unwrap()
            .is_ok()
    );
}

async fn records_read_back_exactly(location: String) {
    use countersign_posture::{OverrideReason, Reason, SpfScope};
    let (store, _key) = open(&location).await;
    let mut odd = record("2001:db8::1", u64::from(u32::MAX) + 7, false);
    odd.header_from = "quote\"back\\slash.example".into();
    odd.envelope_to = Some("tab\there\u{1}.example".into());
    odd.dkim_auth.push(DkimAuth {
        domain: "ünïcode.example".into(),
        selector: None,
        result: DkimResult::TempError,
        human_result: Some("{\"json\": [1, 2]}".into()),
    });
    odd.spf_auth[0].scope = Some(SpfScope::Helo);
    odd.reasons = vec![
        Reason {
            kind: OverrideReason::Forwarded,
            comment: Some("looks forwarded; see \"list\"".into()),
        },
        Reason {
            kind: OverrideReason::Unknown,
            comment: None,
        },
    ];
    let mut plain = record("192.0.2.44", 1, true);
    plain.envelope_from = None;
    plain.dkim_auth.clear();
    plain.spf_auth.clear();
    let records = vec![odd, plain];
    let id = put(&store, &header("odd.example", "odd-1", 0), &records).await;
    let back = store.posture_report_records(id, 0, 10).await.unwrap();
    assert_eq!(back, records);
    assert_eq!(
        store.posture_report_records(id, 1, 10).await.unwrap(),
        records[1..]
    );
}

async fn a_report_that_breaks_half_way_leaves_nothing(location: String) {
    let (store, _key) = open(&location).await;
    // A real report, cut after its 1500th record.
    let mut xml = String::from(
        "<feedback><report_metadata><org_name>cut.example</org_name><email>a@cut.example</email>\
         <report_id>cut-1</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range>\
         </report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>",
    );
    for i in 0..2000 {
        xml.push_str(&format!(
            "<record><row><source_ip>198.51.100.{}</source_ip><count>1</count><policy_evaluated>\
             <disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>\
             <identifiers><header_from>example.com</header_from></identifiers><auth_results/></record>",
            i % 250
        ));
    }
    xml.push_str("</feedback>");
    let cut_at = xml.match_indices("<record>").nth(1500).unwrap().0 + 20;
    let broken = &xml[..cut_at];

    let mut reader = AggregateReader::new(broken.as_bytes());
    let header = reader.header().unwrap().clone();
    let Begin::Started(mut ingest) = store
        .begin_aggregate(&header, "cut.xml", now())
        .await
        .unwrap()
    else {
        panic!()
    };
    let mut batch = Vec::new();
    let mut stored_some = false;
    let outcome = loop {
        match reader.next_record() {
            Ok(Some(r)) => {
                batch.push(r);
                if batch.len() == 500 {
                    ingest.add(&batch).await.unwrap();
                    stored_some = true;
                    batch.clear();
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    let err = outcome.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("truncated") || msg.contains("end of input"),
        "{msg}"
    );
    assert!(stored_some, "records were written before the error");
    ingest.abort().await.unwrap();
    assert!(
        store
            .posture_reports(&PostureQuery::default(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let view = store
        .posture_sources(&PostureQuery::default(), 10)
        .await
        .unwrap();
    assert_eq!(view.total.records, 0, "no partial records");

    // Dropping an ingest without commit rolls back too; the whole report then goes in.
    {
        let Begin::Started(mut ingest) = store
            .begin_aggregate(&header, "cut.xml", now())
            .await
            .unwrap()
        else {
            panic!()
        };
        ingest.add(&[record("192.0.2.9", 1, true)]).await.unwrap();
    }
    let mut reader = AggregateReader::new(xml.as_bytes());
    let header = reader.header().unwrap().clone();
    let Begin::Started(mut ingest) = store
        .begin_aggregate(&header, "whole.xml", now())
        .await
        .unwrap()
    else {
        panic!("the aborted report must not count as stored")
    };
    let mut records = Vec::new();
    while let Some(r) = reader.next_record().unwrap() {
        records.push(r);
    }
    ingest.add(&records).await.unwrap();
    ingest
        .commit(&reader.finish().unwrap(), "test", now())
        .await
        .unwrap();
    let listed = store
        .posture_reports(&PostureQuery::default(), 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].volume.records, 2000);
}

async fn sources_and_timeline(location: String) {
    let (store, _key) = open(&location).await;
    put(
        &store,
        &header("a.example", "a-0", 0),
        &[record("192.0.2.1", 10, true), record("192.0.2.2", 4, false)],
    )
    .await;
    put(
        &store,
        &header("b.example", "b-3", 3),
        &[
            record("192.0.2.1", 6, true),
            record("2001:db8::7", 2, false),
        ],
    )
    .await;
    let view = store
        .posture_sources(&PostureQuery::default(), 100)
        .await
        .unwrap();
    assert_eq!(view.sources.len(), 3);
    let top = &view.sources[0];
    assert_eq!(top.source_ip.to_string(), "192.0.2.1");
    assert_eq!(top.volume.messages, 16);
    assert_eq!(top.volume.dmarc_pass, 16);
    assert_eq!(top.dkim_domains.get("example.com"), Some(&16));
    assert_eq!((top.first_seen, top.last_seen), (T0, T0 + 4 * DAY - 1));
    // Filters: a window and a domain.
    let later = PostureQuery {
        domain: Some("EXAMPLE.com".into()),
        since: Some(T0 + DAY),
        until: None,
    };
    let view = store.posture_sources(&later, 100).await.unwrap();
    assert_eq!(view.total.messages, 8);
    let none = PostureQuery {
        domain: Some("other.example".into()),
        ..PostureQuery::default()
    };
    assert_eq!(
        store
            .posture_sources(&none, 100)
            .await
            .unwrap()
            .total
            .messages,
        0
    );
    // One bucket per day, the empty days included.
    let timeline = store
        .posture_timeline(&PostureQuery::default(), DAY)
        .await
        .unwrap();
    assert_eq!(timeline.len(), 4);
    assert_eq!(timeline[0].start, T0);
    assert_eq!(timeline[0].volume.messages, 14);
    assert_eq!(timeline[1].volume.messages, 0);
    assert_eq!(timeline[3].volume.dmarc_pass, 6);
}

async fn alerts_are_raised_once_after_a_baseline(location: String) {
    let (store, key) = open(&location).await;
    let policy = AlertPolicy {
        min_messages: 10,
        ..AlertPolicy::default()
    };
    // Four weeks of good mail: the baseline. Its sources raise nothing.
    let mut ids = Vec::new();
    for day in 0..28 {
        ids.push(
            put(
                &store,
                &header("a.example", &format!("base-{day}"), day),
                &[
                    record("192.0.2.1", 100, true),
                    record("192.0.2.66", 1, false),
                ],
            )
            .await,
        );
    }
    let raised = store
        .raise_posture_alerts(&ids, &policy, "test:alerts", now())
        .await
        .unwrap();
    assert!(raised.is_empty(), "{raised:?}");
    // A week in which a new source spoofs us heavily.
    let mut ids = Vec::new();
    for day in 28..35 {
        ids.push(
            put(
                &store,
                &header("a.example", &format!("new-{day}"), day),
                &[
                    record("192.0.2.1", 100, true),
                    record("203.0.113.9", 60, false),
                ],
            )
            .await,
        );
    }
    let raised = store
        .raise_posture_alerts(&ids, &policy, "test:alerts", now())
        .await
        .unwrap();
    let actions: Vec<&str> = raised.iter().map(|a| a.action()).collect();
    assert_eq!(
        actions,
        [NEW_UNALIGNED_SOURCE, "posture.alert.aligned_share_drop"],
        "{raised:?}"
    );
    assert!(raised[0].message().contains("203.0.113.9"));
    // Raised once: evaluating the same run again raises nothing.
    let again = store
        .raise_posture_alerts(&ids, &policy, "test:alerts", now())
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
    let entries = store.audit_entries(1, 1000).await.unwrap();
    let alerts: Vec<_> = entries
        .iter()
        .filter(|e| e.action.starts_with("posture.alert."))
        .collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].subject, "domain:example.com");
    assert!(alerts[0].details.contains("203.0.113.9"));
    assert!(
        store
            .verify_audit(key.verifying_key())
            .await
            .unwrap()
            .is_ok()
    );
}

async fn failure_and_tls_reports(location: String) {
    let (store, _key) = open(&location).await;
    let report = FailureReport {
        feedback_type: "auth-failure".into(),
        auth_failure: Some("dmarc".into()),
        arrival_date: Some(T0 + 60),
        source_ip: Some("203.0.113.68".parse().unwrap()),
        reported_domain: Some("example.com".into()),
        original_subject: Some("Payment from your account.".into()),
        incidents: 1,
        ..FailureReport::default()
    };
    let first = store
        .store_failure(&report, "a.eml", "test", now())
        .await
        .unwrap();
    assert!(matches!(first, Stored::Stored { .. }));
    let again = store
        .store_failure(&report, "b.eml", "test", now())
        .await
        .unwrap();
    let (Stored::Stored { id: a }, Stored::Duplicate { id: b }) = (first, again) else {
        panic!("{first:?} {again:?}")
    };
    assert_eq!(a, b);
    let listed = store
        .posture_failures(
            &PostureQuery {
                domain: Some("example.com".into()),
                ..PostureQuery::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].report, report);
    assert_eq!(listed[0].arrival, Some(T0 + 60));

    let json = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpora/dmarc-parsedmarc-samples/smtp_tls/rfc8460.json"),
    )
    .unwrap();
    let tls = countersign_posture::parse_tls_json(&json).unwrap();
    assert!(matches!(
        store
            .store_tls(&tls, "rfc8460.json", "test", now())
            .await
            .unwrap(),
        Stored::Stored { .. }
    ));
    assert!(matches!(
        store
            .store_tls(&tls, "rfc8460.json", "test", now())
            .await
            .unwrap(),
        Stored::Duplicate { .. }
    ));
    let listed = store
        .posture_tls(
            &PostureQuery {
                domain: Some("company-y.example".into()),
                ..PostureQuery::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].successful, listed[0].failed), (5326, 303));
}

async fn reverse_dns_cache_expires(location: String) {
    let (store, _key) = open(&location).await;
    let a: std::net::IpAddr = "192.0.2.1".parse().unwrap();
    let b: std::net::IpAddr = "2001:db8::1".parse().unwrap();
    store
        .rdns_remember(&[(a, Some("mx.example.net.".into())), (b, None)], now())
        .await
        .unwrap();
    let cached = store.rdns_cached(&[a, b], 3600, now()).await.unwrap();
    assert_eq!(cached.get(&a), Some(&Some("mx.example.net.".to_string())));
    assert_eq!(cached.get(&b), Some(&None));
    let later = now() + time::Duration::hours(2);
    assert!(
        store
            .rdns_cached(&[a, b], 3600, later)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Several reports in one transaction: reports read whole, a duplicate of
/// one of them within the batch, a report in parts that breaks (undone
/// alone, by its savepoint), alerts in the same transaction, and a sealed
/// commit: the reports and their audit entries are there, nothing of the
/// broken one, and the chain verifies up to the checkpoint signed with it.
async fn a_batch_keeps_its_whole_reports_and_drops_a_broken_one(location: String) {
    let (store, key) = open(&location).await;
    let first = [record("192.0.2.1", 3, true), record("192.0.2.2", 2, false)];
    let second = [record("192.0.2.1", 5, true)];
    let mut batch = store.posture_batch().await.unwrap();
    let a = batch
        .store_aggregate(
            &header("a.example", "a-1", 0),
            &first,
            &summary(&first),
            "a.xml",
            "test",
            now(),
        )
        .await
        .unwrap();
    let Stored::Stored { id: a } = a else {
        panic!("{a:?}")
    };
    // The same report again, in the same transaction: a duplicate.
    let again = batch
        .store_aggregate(
            &header("A.example", "a-1", 0),
            &first,
            &summary(&first),
            "a-again.xml",
            "test",
            now(),
        )
        .await
        .unwrap();
    assert_eq!(again, Stored::Duplicate { id: a });
    // A report in parts that breaks half-way.
    assert_eq!(
        batch
            .begin_report(&header("c.example", "c-1", 1), "c.xml", now())
            .await
            .unwrap(),
        None
    );
    batch
        .add(&[
            record("198.51.100.1", 7, false),
            record("198.51.100.2", 1, false),
        ])
        .await
        .unwrap();
    batch.abort_report().await.unwrap();
    // A report in parts that completes.
    assert_eq!(
        batch
            .begin_report(&header("b.example", "b-1", 1), "b.xml", now())
            .await
            .unwrap(),
        None
    );
    batch.add(&second).await.unwrap();
    let b = batch
        .finish_report(&summary(&second), "test", now())
        .await
        .unwrap();
    assert_eq!(batch.written(), 2);
    let alerts = batch
        .raise_alerts(&[a, b], &AlertPolicy::default(), "test", now())
        .await
        .unwrap();
    assert!(alerts.is_empty(), "no baseline yet: {alerts:?}");
    // Nothing is visible to others before the commit.
    assert!(
        store
            .posture_reports(&PostureQuery::default(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(batch.commit_sealed().await.unwrap());
    let listed = store
        .posture_reports(&PostureQuery::default(), 10)
        .await
        .unwrap();
    let mut reporters: Vec<&str> = listed.iter().map(|r| r.reporter.as_str()).collect();
    reporters.sort();
    assert_eq!(reporters, ["a.example", "b.example"]);
    let view = store
        .posture_sources(&PostureQuery::default(), 100)
        .await
        .unwrap();
    assert_eq!(view.total.messages, 10, "no record of the broken report");
    assert_eq!(view.sources.len(), 2);
    let entries = store.audit_entries(1, 100).await.unwrap();
    let ingests = entries
        .iter()
        .filter(|e| e.action == AGGREGATE_INGEST)
        .count();
    assert_eq!(ingests, 2);
    let last = entries.last().unwrap().seq;
    assert!(
        store
            .checkpoints()
            .await
            .unwrap()
            .iter()
            .any(|c| c.seq == last),
        "the commit sealed the head"
    );
    assert!(
        store
            .verify_audit(key.verifying_key())
            .await
            .unwrap()
            .is_ok()
    );
    // Dropped without commit: nothing of it stays.
    {
        let mut batch = store.posture_batch().await.unwrap();
        batch
            .store_aggregate(
                &header("d.example", "d-1", 2),
                &second,
                &summary(&second),
                "d.xml",
                "test",
                now(),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .posture_reports(&PostureQuery::default(), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}
