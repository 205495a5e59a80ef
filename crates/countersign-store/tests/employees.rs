//! The employees' tables on every backend (SQLite always, PostgreSQL when
//! `COUNTERSIGN_TEST_PG_URL` is set): campaigns that form, grow and merge
//! through `Store::correlate`, concurrent correlations that serialise,
//! per-account rate windows, and compare-and-set on caller verifications.

use countersign_employees::campaign::{Sighting, SightingKind};
use countersign_employees::indicators::{Indicator, IndicatorKind};
use countersign_employees::verify::{self, CallerVerification, Direction, Failure};
use countersign_store::{Correlation, Store};
use sqlx::Connection;
use time::{Duration, OffsetDateTime};

fn sqlite_location(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("cs-store-emp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("countersign.db").display().to_string()
}

async fn pg_location(name: &str) -> Option<String> {
    let Ok(base) = std::env::var("COUNTERSIGN_TEST_PG_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!("COUNTERSIGN_TEST_PG_URL is not set but CI is (see scripts/postgres.sh)");
        }
        eprintln!("SKIPPED: PostgreSQL tests (set COUNTERSIGN_TEST_PG_URL) [{name}]");
        return None;
    };
    let db = format!("cs_emp_{name}_{}", std::process::id());
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

fn phone(v: &str) -> Indicator {
    Indicator {
        kind: IndicatorKind::Phone,
        value: v.into(),
    }
}

fn sighting(id: &str, minutes: i64, phones: &[&str]) -> Sighting {
    Sighting {
        id: id.into(),
        kind: SightingKind::Report,
        at: OffsetDateTime::now_utc() - Duration::hours(5) + Duration::minutes(minutes),
        indicators: phones.iter().map(|p| phone(p)).collect(),
        team: Some("Finance".into()),
        target: Some(format!("t-{id}")),
        summary: "call".into(),
    }
}

async fn correlate(store: &Store, s: &Sighting) -> Correlation {
    store
        .correlate(s, Duration::days(1), format!("k-{}", s.id), |_| {
            (Vec::new(), Vec::new())
        })
        .await
        .unwrap()
}

async fn campaigns_form_grow_and_merge(location: String) {
    let store = Store::open(&location).await.unwrap();
    assert_eq!(
        correlate(&store, &sighting("a", 0, &["+1000000001"])).await,
        Correlation::Alone
    );
    let Correlation::Formed(c1) = correlate(&store, &sighting("b", 1, &["+1000000001"])).await
    else {
        panic!("no campaign formed");
    };
    assert_eq!(c1.sightings, 2);
    assert_eq!(
        correlate(&store, &sighting("c", 2, &["+2000000002"])).await,
        Correlation::Alone
    );
    let Correlation::Formed(c2) = correlate(&store, &sighting("d", 3, &["+2000000002"])).await
    else {
        panic!("no second campaign");
    };
    // E shares one number with each: the older campaign takes in the other.
    let Correlation::Grew {
        campaign, merged, ..
    } = correlate(&store, &sighting("e", 4, &["+1000000001", "+2000000002"])).await
    else {
        panic!("did not join");
    };
    assert_eq!(campaign.id, c1.id);
    assert_eq!(merged, vec![c2.id.clone()]);
    assert_eq!(campaign.sightings, 5);
    assert_eq!(campaign.people_targeted, 5);
    assert!(store.campaign(&c2.id).await.unwrap().is_none());
    let listed = store.campaigns(None, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    // A closed campaign takes no new sightings: they start a new one.
    store
        .set_campaign_status(
            &c1.id,
            countersign_employees::campaign::Status::Closed,
            OffsetDateTime::now_utc(),
            Vec::new(),
        )
        .await
        .unwrap();
    let Correlation::Formed(c3) = correlate(&store, &sighting("f", 5, &["+1000000001"])).await
    else {
        panic!("a closed campaign absorbed a sighting");
    };
    assert_ne!(c3.id, c1.id);
    // Outside the window, nothing links.
    let mut late = sighting("g", 0, &["+3000000003"]);
    late.at -= Duration::days(3);
    correlate(&store, &late).await;
    assert_eq!(
        correlate(&store, &sighting("h", 6, &["+3000000003"])).await,
        Correlation::Alone
    );
    assert_eq!(store.sighting_indicators("e").await.unwrap().len(), 2);
}

/// A held-back message as the recorder writes it, with its sighting queued.
fn held_message(s: &Sighting) -> countersign_store::RecordedMessage {
    countersign_store::RecordedMessage {
        message: countersign_store::MessageRecord {
            id: s.id.clone(),
            received_at: s.at,
            source: "api".into(),
            client_ip: "192.0.2.1".into(),
            helo: "mx.example".into(),
            mail_from: "x@example.net".into(),
            rcpt: vec!["desk@example.com".into()],
            from_address: Some("x@example.net".into()),
            subject: Some("reset".into()),
            verdict: "quarantine".into(),
            document: "{}".into(),
            summary: "{}".into(),
            digest: s.id.as_bytes().to_vec(),
            raw: Some(b"Subject: reset\r\n\r\nhi\r\n".to_vec()),
            case_id: None,
        },
        case: None,
        audit: Vec::new(),
        published: Vec::new(),
        envelope_digest: None,
        relay: None,
        sighting: Some(s.clone()),
    }
}

async fn queued_sightings_correlate_in_batches(location: String) {
    let store = Store::open(&location).await.unwrap();
    // A small campaign first, a larger one later.
    correlate(&store, &sighting("a1", 0, &["+5000000001"])).await;
    let Correlation::Formed(small) = correlate(&store, &sighting("a2", 1, &["+5000000001"])).await
    else {
        panic!("no small campaign");
    };
    correlate(&store, &sighting("b1", 2, &["+6000000001"])).await;
    let Correlation::Formed(large) = correlate(&store, &sighting("b2", 3, &["+6000000001"])).await
    else {
        panic!("no large campaign");
    };
    for n in 0..3 {
        correlate(
            &store,
            &sighting(&format!("b{}", n + 3), 4 + n, &["+6000000001"]),
        )
        .await;
    }
    // Messages recorded with their sightings: nothing correlated yet.
    let bridge = sighting("m1", 10, &["+5000000001", "+6000000001"]);
    let lone = sighting("m2", 11, &["+7000000001"]);
    let follower = sighting("m3", 12, &["+6000000001"]);
    let recorded = store
        .record_messages(vec![
            held_message(&bridge),
            held_message(&lone),
            held_message(&follower),
        ])
        .await
        .unwrap();
    assert_eq!(recorded, vec![true, true, true]);
    assert!(store.sighting_indicators("m1").await.unwrap().is_empty());
    // One bad row in the queue is removed and audited, never a blockage.
    store
        .execute_raw(
            "INSERT INTO pending_sightings (id, queued_at, document) VALUES ('broken', 0, 'not json')",
        )
        .await
        .unwrap();
    let mut announced = Vec::new();
    let outcomes = store
        .correlate_pending(
            10,
            Duration::days(1),
            || "k-new".into(),
            |s, o| {
                announced.push((s.id.clone(), matches!(o, Correlation::Alone)));
                (Vec::new(), Vec::new())
            },
        )
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert_eq!(
        announced,
        vec![
            ("m1".to_owned(), false),
            ("m2".to_owned(), true),
            ("m3".to_owned(), false)
        ]
    );
    // The bridge joins the larger campaign, which takes in the smaller one
    // (union by size), even though the smaller matched earlier.
    let Correlation::Grew {
        campaign, merged, ..
    } = &outcomes[0].1
    else {
        panic!("the bridge did not join: {:?}", outcomes[0]);
    };
    assert_eq!(campaign.id, large.id);
    assert_eq!(merged, &vec![small.id.clone()]);
    assert_eq!(campaign.sightings, 8);
    assert_eq!(store.sighting_indicators("m1").await.unwrap().len(), 2);
    // The follower joined the same campaign in the same batch: the stored
    // document (written once, at the batch's end) has both.
    let Correlation::Grew {
        campaign: after, ..
    } = &outcomes[2].1
    else {
        panic!("the follower did not join: {:?}", outcomes[2]);
    };
    assert_eq!((after.id.as_str(), after.sightings), (large.id.as_str(), 9));
    let stored = store.campaign(&large.id).await.unwrap().unwrap();
    assert_eq!(stored.sightings, 9);
    assert!(stored.timeline.iter().any(|t| t.sighting_id == "m1"));
    assert!(stored.timeline.iter().any(|t| t.sighting_id == "m3"));
    let log = store.audit_entries(0, 100).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "campaign.sighting_unreadable" && e.subject == "sighting:broken"),
        "the unreadable queued sighting is audited"
    );
    // The queue is empty now.
    let again = store
        .correlate_pending(
            10,
            Duration::days(1),
            || "k-x".into(),
            |_, _| (Vec::new(), Vec::new()),
        )
        .await
        .unwrap();
    assert!(again.is_empty());
}

/// A batch correlates among itself as it would one by one: sightings
/// earlier in the batch are matched, campaigns formed in it grow and merge
/// in it, and only the end state is stored.
async fn a_batch_correlates_within_itself(location: String) {
    let store = Store::open(&location).await.unwrap();
    let batch = [
        sighting("w1", 0, &["+3000000001"]),
        sighting("w2", 1, &["+3000000001"]),
        sighting("w3", 2, &["+3000000002"]),
        sighting("w4", 3, &["+3000000002"]),
        sighting("w5", 4, &["+3000000002"]),
        // Bridges the two campaigns this batch formed.
        sighting("w6", 5, &["+3000000001", "+3000000002"]),
    ];
    let held: Vec<_> = batch.iter().map(held_message).collect();
    store.record_messages(held).await.unwrap();
    let mut next = 0;
    let outcomes = store
        .correlate_pending(
            10,
            Duration::days(1),
            || {
                next += 1;
                format!("k-batch-{next}")
            },
            |_, _| (Vec::new(), Vec::new()),
        )
        .await
        .unwrap();
    let shapes: Vec<String> = outcomes
        .iter()
        .map(|(s, o)| match o {
            Correlation::Alone => format!("{} alone", s.id),
            Correlation::Formed(c) => format!("{} formed {} of {}", s.id, c.id, c.sightings),
            Correlation::Grew {
                campaign, merged, ..
            } => format!(
                "{} grew {} to {} merging {merged:?}",
                s.id, campaign.id, campaign.sightings
            ),
        })
        .collect();
    assert_eq!(
        shapes,
        vec![
            "w1 alone",
            "w2 formed k-batch-1 of 2",
            "w3 alone",
            "w4 formed k-batch-2 of 2",
            "w5 grew k-batch-2 to 3 merging []",
            "w6 grew k-batch-2 to 6 merging [\"k-batch-1\"]",
        ]
    );
    // Only the survivor is stored, with every sighting; the merged
    // campaign never was.
    let stored = store.campaigns(None, 10).await.unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        (stored[0].id.as_str(), stored[0].sightings),
        ("k-batch-2", 6)
    );
    for s in &batch {
        assert!(
            stored[0].timeline.iter().any(|t| t.sighting_id == s.id),
            "{} in the timeline",
            s.id
        );
        assert_eq!(
            store.sighting_indicators(&s.id).await.unwrap().len(),
            s.indicators.len()
        );
    }
    // A later sighting finds them stored: it joins the survivor.
    let Correlation::Grew { campaign, .. } =
        correlate(&store, &sighting("w7", 6, &["+3000000001"])).await
    else {
        panic!("w7 did not join");
    };
    assert_eq!((campaign.id.as_str(), campaign.sightings), ("k-batch-2", 7));
}

async fn concurrent_correlations_serialise(location: String) {
    let store = Store::open(&location).await.unwrap();
    correlate(&store, &sighting("seed", 0, &["+4000000004"])).await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            correlate(&store, &sighting(&format!("s{n}"), 1 + n, &["+4000000004"])).await
        }));
    }
    let mut formed = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Correlation::Formed(_)) {
            formed += 1;
        }
    }
    assert_eq!(formed, 1, "exactly one correlation forms the campaign");
    let all = store.campaigns(None, 10).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].sightings, 9);

    // A status change among correlations that grow the same campaign:
    // neither the new status nor any growth is lost.
    let id = all[0].id.clone();
    let mut tasks = Vec::new();
    for n in 0..8 {
        let correlating = store.clone();
        tasks.push(tokio::spawn(async move {
            correlate(
                &correlating,
                &sighting(&format!("t{n}"), 20 + n, &["+4000000004"]),
            )
            .await;
        }));
        if n == 3 {
            let store = store.clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                let changed = store
                    .set_campaign_status(
                        &id,
                        countersign_employees::campaign::Status::Contained,
                        OffsetDateTime::now_utc(),
                        Vec::new(),
                    )
                    .await
                    .unwrap();
                assert!(changed);
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let c = store.campaign(&id).await.unwrap().unwrap();
    assert_eq!(c.status, countersign_employees::campaign::Status::Contained);
    assert_eq!(
        c.sightings, 17,
        "every correlation's growth is in the document"
    );
}

async fn rates_and_verifications(location: String) {
    let store = Store::open(&location).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let w = Duration::minutes(10);
    for n in 1..=3 {
        assert_eq!(
            store
                .bump_rate("acct", "staff_lookup", w, now)
                .await
                .unwrap(),
            n
        );
    }
    assert_eq!(
        store
            .bump_rate("other", "staff_lookup", w, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .bump_rate("acct", "staff_lookup", w, now + w)
            .await
            .unwrap(),
        1
    );

    let v = CallerVerification::open(
        "v1".into(),
        Direction::CallerClaimsIt,
        "acct".into(),
        "S-9",
        Err(Failure::UnknownId),
        None,
        now,
        Duration::minutes(10),
    );
    assert_eq!(v.state, verify::State::Failed);
    store
        .insert_verification(&v, Vec::new(), Vec::new())
        .await
        .unwrap();
    let (back, version) = store.verification("v1").await.unwrap().unwrap();
    assert_eq!(back, v);
    assert!(
        store
            .update_verification(&back, version, Vec::new(), Vec::new())
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_verification(&back, version, Vec::new(), Vec::new())
            .await
            .unwrap(),
        "a write planned on an old version is refused"
    );
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
    campaigns_form_grow_and_merge,
    queued_sightings_correlate_in_batches,
    a_batch_correlates_within_itself,
    concurrent_correlations_serialise,
    rates_and_verifications,
);
