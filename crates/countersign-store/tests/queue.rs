//! The console's lists against every backend (SQLite always, PostgreSQL
//! when `COUNTERSIGN_TEST_PG_URL` is set): keyset pages of messages with
//! each filter, pending cases oldest first, and the cases awaiting an
//! approval, kept in step with every write of a case.

use countersign_cases::claim::MatchedBy;
use countersign_cases::{
    Actor, Case, Channel, ClaimKind, ClaimedIdentity, Command, NewCase, Origin, RequestSummary,
};
use countersign_model::verdict::Control;
use countersign_store::{MessageFilter, MessageRecord, RecordedMessage, Store};
use sqlx::Connection;
use time::{Duration, OffsetDateTime};

fn sqlite_location(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("cs-queue-{}-{name}", std::process::id()));
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
            format!("SKIPPED: PostgreSQL tests (set COUNTERSIGN_TEST_PG_URL) [{name}]\n")
                .as_bytes(),
        );
        return None;
    };
    let db = format!("cs_queue_{name}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    for sql in [
        format!("DROP DATABASE IF EXISTS {db}"),
        format!("CREATE DATABASE {db}"),
    ] {
        sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{db}"))
}

macro_rules! suite {
    ($($scenario:ident),+ $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() { super::$scenario(super::sqlite_location(stringify!($scenario))).await; }
        )+ }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                if let Some(loc) = super::pg_location(stringify!($scenario)).await { super::$scenario(loc).await; }
            }
        )+ }
    };
}

suite!(
    messages_page_by_keyset_and_filters,
    pending_and_approval_lists,
    audit_search_filters_and_pages
);

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_764_000_000).unwrap()
}

fn case(id: &str, at: OffsetDateTime, controls: Vec<Control>) -> Case {
    Case::open(
        NewCase {
            id: id.into(),
            origin: Origin::Manual {
                opened_by: "a_1".into(),
            },
            channel: Channel::Phone,
            claimed: ClaimedIdentity {
                kind: ClaimKind::Unknown,
                matched_by: MatchedBy::Nothing,
                claim: "someone".into(),
                vendor_id: None,
                vendor_name: None,
                person_name: None,
                email: None,
                staff_id: None,
                employee_id: None,
            },
            request: RequestSummary {
                kinds: vec![],
                summary: "help".into(),
            },
            request_digest: "00".into(),
            reasons: vec![],
            do_not_call: vec![],
            controls,
        },
        at,
        Duration::hours(72),
    )
    .0
}

fn message(i: usize, at: OffsetDateTime, verdict: &str, from: &str) -> RecordedMessage {
    RecordedMessage {
        message: MessageRecord {
            id: format!("m_{i:05}"),
            received_at: at,
            source: "api".into(),
            client_ip: "192.0.2.1".into(),
            helo: "h".into(),
            mail_from: from.into(),
            rcpt: vec!["desk@acme.example".into()],
            from_address: Some(from.into()),
            subject: Some(format!("s{i}")),
            verdict: verdict.into(),
            document: "{}".into(),
            summary: "{}".into(),
            digest: vec![0; 32],
            raw: None,
            case_id: None,
        },
        case: None,
        audit: vec![],
        published: vec![],
        envelope_digest: None,
        relay: None,
        sighting: None,
    }
}

async fn messages_page_by_keyset_and_filters(loc: String) {
    let store = Store::open(&loc).await.unwrap();
    // 300 messages; pairs share a millisecond so the ID breaks ties.
    let batch: Vec<_> = (0..300)
        .map(|i| {
            let verdict = ["deliver", "hold", "quarantine"][i % 3];
            let from = format!("s{}@x.example", i % 7);
            message(i, t0() + Duration::seconds((i / 2) as i64), verdict, &from)
        })
        .collect();
    store.record_messages(batch).await.unwrap();
    // Every message exactly once, newest first, across pages of 40.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .messages_page(&MessageFilter::default(), cursor.as_ref(), 40)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().map(|m| m.cursor());
        seen.extend(page);
    }
    assert_eq!(seen.len(), 300);
    assert_eq!(seen[0].id, "m_00299");
    assert!(
        seen.windows(2)
            .all(|w| (w[0].received_at, &w[0].id) > (w[1].received_at, &w[1].id))
    );
    // Each filter, alone and together.
    let hold = MessageFilter {
        verdict: Some("hold".into()),
        ..Default::default()
    };
    let held = store.messages_page(&hold, None, 500).await.unwrap();
    assert_eq!(held.len(), 100);
    assert!(held.iter().all(|m| m.verdict == "hold"));
    let sender = MessageFilter {
        sender: Some("s3@x.example".into()),
        ..Default::default()
    };
    let by_sender = store.messages_page(&sender, None, 500).await.unwrap();
    assert_eq!(by_sender.len(), (0..300).filter(|i| i % 7 == 3).count());
    let window = MessageFilter {
        since: Some(t0() + Duration::seconds(10)),
        until: Some(t0() + Duration::seconds(20)),
        verdict: Some("quarantine".into()),
        sender: None,
    };
    let in_window = store.messages_page(&window, None, 500).await.unwrap();
    assert_eq!(in_window.len(), (20..40).filter(|i| i % 3 == 2).count());
    // The overview's counts: every message once, by verdict and day.
    let counts = store.verdicts_by_day(t0()).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.2).sum::<i64>(), 300);
    let held: i64 = counts.iter().filter(|c| c.0 == "hold").map(|c| c.2).sum();
    assert_eq!(held, 100);
    let day = t0().unix_timestamp() / 86_400;
    assert!(
        counts.iter().all(|c| c.1 == day || c.1 == day + 1),
        "{counts:?}"
    );
    assert!(
        store
            .verdicts_by_day(t0() + Duration::days(2))
            .await
            .unwrap()
            .is_empty()
    );
    // A page after the last one is empty.
    let last = seen.last().unwrap().cursor();
    assert!(
        store
            .messages_page(&MessageFilter::default(), Some(&last), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn pending_and_approval_lists(loc: String) {
    let store = Store::open(&loc).await.unwrap();
    let plain = case("c_1", t0() + Duration::minutes(5), vec![Control::Callback]);
    let dual = case(
        "c_2",
        t0() + Duration::minutes(1),
        vec![Control::DualApproval],
    );
    let older_dual = case("c_3", t0(), vec![Control::Callback, Control::DualApproval]);
    for c in [&plain, &dual, &older_dual] {
        store.insert_case(c, vec![], vec![]).await.unwrap();
    }
    let ids = |cases: Vec<Case>| cases.into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.pending_cases_oldest(10).await.unwrap()),
        ["c_3", "c_2", "c_1"]
    );
    assert_eq!(store.pending_case_count().await.unwrap(), 3);
    assert_eq!(
        ids(store.approval_pending_cases(10).await.unwrap()),
        ["c_3", "c_2"]
    );
    // Denied, c_2 leaves the approvers' list and the pending one.
    let snapshot = countersign_directory::DirectorySnapshot::default();
    let (mut c2, version) = store.case("c_2").await.unwrap().unwrap();
    let analyst = Actor {
        account_id: "a_9".into(),
        name: "a_9".into(),
        roles: countersign_accounts::RoleSet::of(&[countersign_accounts::Role::Analyst]),
        staff_id: None,
    };
    c2.apply(
        Command::Deny {
            reason: "not them".into(),
        },
        &analyst,
        &snapshot,
        t0() + Duration::minutes(10),
    )
    .unwrap();
    assert!(
        store
            .update_case(&c2, version, vec![], vec![])
            .await
            .unwrap()
    );
    assert_eq!(
        ids(store.approval_pending_cases(10).await.unwrap()),
        ["c_3"]
    );
    assert_eq!(
        ids(store.pending_cases_oldest(10).await.unwrap()),
        ["c_3", "c_1"]
    );
}

async fn audit_search_filters_and_pages(loc: String) {
    use countersign_audit::{AuditEvent, AuditSink};
    let store = Store::open(&loc).await.unwrap();
    let events: Vec<AuditEvent> = (0..50)
        .map(|i| {
            AuditEvent::new(
                t0() + Duration::seconds(i),
                if i % 2 == 0 { "ann" } else { "bob" },
                if i % 5 == 0 {
                    "case.opened"
                } else {
                    "message.verdict"
                },
                format!("thing:{}", i % 10),
                serde_json::json!({ "i": i }),
            )
        })
        .collect();
    store.append(events).await.unwrap();
    let all = store
        .audit_search(None, None, None, None, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 50);
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let cases = store
        .audit_search(Some("case."), None, None, None, 100)
        .await
        .unwrap();
    assert_eq!(cases.len(), 10);
    assert!(cases.iter().all(|e| e.action == "case.opened"));
    let ann_thing4 = store
        .audit_search(None, Some("ann"), Some("thing:4"), None, 100)
        .await
        .unwrap();
    assert_eq!(ann_thing4.len(), 5);
    let page2 = store
        .audit_search(None, None, None, Some(all[19].seq), 20)
        .await
        .unwrap();
    assert_eq!(page2[0].seq, all[20].seq);
    // A `%` in the prefix is not a wildcard.
    assert!(
        store
            .audit_search(Some("%"), None, None, None, 10)
            .await
            .unwrap()
            .len()
            == 10
    );
    assert!(
        store
            .audit_search(Some("x%"), None, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
