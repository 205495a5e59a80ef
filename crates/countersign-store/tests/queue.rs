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
    audit_search_filters_and_pages,
    quarantine_pages_by_keyset,
    impersonated_identities_counted_per_day,
    signin_challenges_are_single_use_and_bounded,
    sessions_read_back_see_every_write
);

/// A store at `loc` holding `account`.
async fn store_with(loc: &str, account: countersign_accounts::Account) -> Store {
    let store = Store::open(loc).await.unwrap();
    store.create_account(&account, vec![]).await.unwrap();
    store
}

/// An enabled account with one role and no second factor.
fn account(
    id: &str,
    username: &str,
    role: countersign_accounts::Role,
) -> countersign_accounts::Account {
    countersign_accounts::Account {
        id: id.into(),
        username: username.into(),
        display_name: username.into(),
        roles: countersign_accounts::RoleSet::of(&[role]),
        password_hash: "x".into(),
        must_change_password: false,
        totp: None,
        staff_id: None,
        employee_id: None,
        failed_attempts: 0,
        locked_until: None,
        disabled: false,
        created_at: t0(),
    }
}

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

/// A message held in quarantine by SMTP ingress (what the list shows).
fn quarantined(i: usize, at: OffsetDateTime) -> RecordedMessage {
    let mut m = message(
        i,
        at,
        ["quarantine", "reject", "deliver"][i % 3],
        "q@x.example",
    );
    m.message.source = "smtp".into();
    m.message.raw = Some(b"Subject: x\r\n\r\nbody\r\n".to_vec());
    m.envelope_digest = Some(format!("env-{i}").into_bytes());
    m
}

async fn quarantine_pages_by_keyset(loc: String) {
    let store = Store::open(&loc).await.unwrap();
    // 240 messages, pairs sharing a millisecond: 160 quarantined or rejected.
    let batch: Vec<_> = (0..240)
        .map(|i| quarantined(i, t0() + Duration::seconds((i / 2) as i64)))
        .collect();
    store.record_messages(batch).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let page = store.quarantine_page(25, cursor.as_ref()).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 25);
        cursor = page.last().map(|m| m.cursor());
        seen.extend(page);
    }
    assert_eq!(seen.len(), 160, "every quarantined message exactly once");
    assert!(seen.iter().all(|m| m.verdict != "deliver"));
    assert!(
        seen.windows(2)
            .all(|w| (w[0].received_at, &w[0].id) > (w[1].received_at, &w[1].id)),
        "newest first, no repeats"
    );
    assert_eq!(store.quarantine(10).await.unwrap(), seen[..10].to_vec());
    // A released message leaves the list.
    assert!(store.delete_quarantined(&seen[0].id, vec![]).await.unwrap());
    assert_eq!(store.quarantine(1).await.unwrap()[0].id, seen[1].id);
}

async fn impersonated_identities_counted_per_day(loc: String) {
    let store = Store::open(&loc).await.unwrap();
    let doc = |targets: &[&str]| {
        let findings: Vec<_> = targets
            .iter()
            .map(|t| serde_json::json!({"signal": "impersonation.display_name", "summary": "s", "target": t}))
            .chain([serde_json::json!({"signal": "request.credentials", "summary": "s", "target": "ignored"})])
            .collect();
        serde_json::json!({"verdict": "quarantine", "findings": findings}).to_string()
    };
    let mut batch = Vec::new();
    for i in 0..30 {
        let mut m = message(
            i,
            t0() + Duration::hours(i as i64),
            "quarantine",
            "a@x.example",
        );
        m.message.document = match i % 3 {
            // The same identity twice in one message counts once.
            0 => doc(&["Contoso (vendor)", "Contoso (vendor)", "Ann Lee (IT staff)"]),
            1 => doc(&["Contoso (vendor)"]),
            _ => doc(&[]),
        };
        batch.push(m);
    }
    // Two transactions: counts add up across recordings.
    let second = batch.split_off(15);
    store.record_messages(batch).await.unwrap();
    store.record_messages(second).await.unwrap();
    let top = store.top_impersonated(t0(), 10).await.unwrap();
    assert_eq!(
        top,
        vec![
            ("Contoso (vendor)".to_owned(), 20),
            ("Ann Lee (IT staff)".to_owned(), 10)
        ]
    );
    assert_eq!(store.top_impersonated(t0(), 1).await.unwrap().len(), 1);
    // Only the days asked for: messages 24..30 fall on the next day.
    let later = store
        .top_impersonated(t0() + Duration::days(1), 10)
        .await
        .unwrap();
    let next_day = (0..30)
        .filter(|i| {
            (t0() + Duration::hours(*i as i64)).unix_timestamp() / 86_400
                > t0().unix_timestamp() / 86_400
        })
        .filter(|i| i % 3 != 2)
        .count() as i64;
    assert_eq!(
        later
            .iter()
            .find(|t| t.0 == "Contoso (vendor)")
            .map(|t| t.1),
        Some(next_day)
    );
}

async fn signin_challenges_are_single_use_and_bounded(loc: String) {
    let store = store_with(
        &loc,
        account("a_1", "dana", countersign_accounts::Role::Approver),
    )
    .await;
    let (a, b) = ([1u8; 32], [2u8; 32]);
    for h in [&a, &b] {
        store
            .create_signin_challenge(
                h,
                "a_1",
                "192.0.2.9",
                t0(),
                t0() + Duration::minutes(5),
                vec![],
            )
            .await
            .unwrap();
    }
    assert_eq!(
        store.signin_challenge(&a, t0()).await.unwrap(),
        Some(("a_1".to_owned(), "192.0.2.9".to_owned()))
    );
    // Expired: not found.
    assert_eq!(
        store
            .signin_challenge(&a, t0() + Duration::minutes(5))
            .await
            .unwrap(),
        None
    );
    // Single use.
    assert!(store.end_signin_challenge(&a).await.unwrap());
    assert!(!store.end_signin_challenge(&a).await.unwrap());
    assert_eq!(store.signin_challenge(&a, t0()).await.unwrap(), None);
    // Three wrong codes end it.
    assert!(store.fail_signin_challenge(&b, 3).await.unwrap());
    assert!(store.fail_signin_challenge(&b, 3).await.unwrap());
    assert!(!store.fail_signin_challenge(&b, 3).await.unwrap());
    assert_eq!(store.signin_challenge(&b, t0()).await.unwrap(), None);
    // Opening another drops the expired ones on the way.
    store
        .create_signin_challenge(
            &[3u8; 32],
            "a_1",
            "192.0.2.9",
            t0() + Duration::hours(1),
            t0() + Duration::hours(2),
            vec![],
        )
        .await
        .unwrap();
}

/// Sessions are kept in memory for a moment after they are read; a
/// revocation or a disable through the same store is seen at once, and
/// one made by another process within the cache's lifetime.
async fn sessions_read_back_see_every_write(loc: String) {
    use countersign_accounts::signin::Stage;
    use countersign_store::NewSession;
    let store = store_with(
        &loc,
        account("a_s", "sam", countersign_accounts::Role::Analyst),
    )
    .await;
    let now = OffsetDateTime::now_utc();
    let session = |n: u8| NewSession {
        token_hash: [n; 32],
        stage: Stage::Full,
        created_at: now,
        expires_at: now + Duration::hours(8),
        address: None,
    };
    for n in 1..=2 {
        assert!(
            store
                .signin_succeeded("a_s", None, &session(n), vec![])
                .await
                .unwrap()
        );
    }
    // Read (and so kept), then revoked through the same store: seen at once.
    assert!(!store.session(&[1; 32]).await.unwrap().unwrap().0.revoked);
    store.revoke_session(&[1; 32], now, vec![]).await.unwrap();
    assert!(store.session(&[1; 32]).await.unwrap().unwrap().0.revoked);
    // Disabled by another process (a second store on the same database):
    // seen once the cache's lifetime has passed.
    assert!(!store.session(&[2; 32]).await.unwrap().unwrap().1.disabled);
    let other = Store::open(&loc).await.unwrap();
    assert!(other.set_disabled("a_s", true, now, vec![]).await.unwrap());
    tokio::time::sleep(
        countersign_store::CREDENTIAL_CACHE_TTL + std::time::Duration::from_millis(50),
    )
    .await;
    let (session, account) = store.session(&[2; 32]).await.unwrap().unwrap();
    assert!(account.disabled && session.revoked);
}
