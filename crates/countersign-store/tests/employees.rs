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
    concurrent_correlations_serialise,
    rates_and_verifications,
);
