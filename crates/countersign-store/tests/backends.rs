//! One test suite, run against every backend: SQLite always, PostgreSQL when
//! `COUNTERSIGN_TEST_PG_URL` is set (see `scripts/postgres.sh`). Each scenario
//! is an `async fn(location)`; the `suite!` macro makes one test per backend.

use countersign_audit::{AuditEvent, AuditSink, Breach, InstallationKey};
use countersign_directory::{
    Change, Contact, ContactStatus, Directory, DirectoryError, DirectoryStore, ImportFormat,
    ManualClock, NotTrustedReason, Organisation, RecordKind, RequestStatus, Staff, StaffStatus,
    StatusTarget, Vendor, VendorStatus, parse_import,
};
use countersign_store::Store;
use sqlx::Connection;
use std::sync::Arc;
use time::macros::datetime;

/// A fresh SQLite file for one test.
fn sqlite_location(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("cs-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("countersign.db").display().to_string()
}

/// A fresh PostgreSQL database for one test, or `None` (loudly) when no
/// server is configured. In CI a missing server is a failure.
async fn pg_location(name: &str) -> Option<String> {
    let Ok(base) = std::env::var("COUNTERSIGN_TEST_PG_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "COUNTERSIGN_TEST_PG_URL is not set but CI is: PostgreSQL tests must run in CI (see scripts/postgres.sh)"
            );
        }
        // Written straight to stderr, past the test harness's capture, so the
        // skip is visible even though the test passes.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED: PostgreSQL tests (set COUNTERSIGN_TEST_PG_URL, see scripts/postgres.sh) [{name}]\n").as_bytes(),
        );
        return None;
    };
    let db = format!("cs_{name}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to COUNTERSIGN_TEST_PG_URL");
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {db}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
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
    migrations_are_idempotent,
    change_control_needs_a_second_person,
    pending_channels_are_never_used,
    review_cadence_removes_and_restores_trust,
    bad_imports_change_nothing,
    duplicate_staff_id_is_refused,
    json_snapshot_round_trips,
    tampering_is_detected,
    concurrent_appenders_never_fork,
    racing_approvals_apply_once,
);

fn t0() -> time::OffsetDateTime {
    datetime!(2025-03-01 09:00 UTC)
}

fn staff(id: &str, role: &str) -> Staff {
    Staff {
        staff_id: id.into(),
        name: format!("Person {id}"),
        photo: Some(format!("https://intranet.example.com/photos/{id}.jpg")),
        email: format!("{}@example.com", id.to_lowercase()),
        phone: "+44 20 7946 0000".into(),
        role: role.into(),
        team: "IT".into(),
        status: StaffStatus::Active,
    }
}

fn vendor(id: &str, rm: &str) -> Vendor {
    Vendor {
        id: id.into(),
        name: format!("{id} Ltd"),
        domains: vec![format!("{id}.example")],
        privileged: true,
        relationship_manager: rm.into(),
        status: VendorStatus::Active,
        last_reviewed_at: None,
        review_due: None,
    }
}

fn contact(vendor: &str, email: &str, phone: &str) -> Contact {
    Contact {
        vendor: vendor.into(),
        name: "Vera Vendor".into(),
        email: email.into(),
        phones: vec![phone.into()],
        role: "account manager".into(),
        status: ContactStatus::Active,
    }
}

/// A store with two security admins (A1, A2), an IT analyst (S1) and vendor
/// `acme` managed by A1 with one contact.
async fn seeded(location: &str, clock: &ManualClock) -> Store {
    let store = Store::open(location).await.unwrap();
    let dir = Directory::new(&store, clock);
    let org = Organisation {
        name: "Example".into(),
        domains: vec!["example.com".into()],
        review_interval_days: 90,
    };
    dir.bootstrap(Some(org), staff("A1", "security-admin"))
        .await
        .unwrap();
    dir.bootstrap(None, staff("A2", "security-admin"))
        .await
        .unwrap();
    let id = dir
        .request(
            "A1",
            vec![
                Change::AddStaff {
                    staff: staff("S1", "analyst"),
                },
                Change::AddVendor {
                    vendor: vendor("acme", "A1"),
                },
            ],
            "enrol",
            "test",
        )
        .await
        .unwrap();
    dir.approve("A2", id, "ok").await.unwrap();
    let id = dir
        .request(
            "S1",
            vec![Change::AddContact {
                contact: contact("acme", "vera@acme.example", "+1 555 0100 200"),
            }],
            "new contact",
            "test",
        )
        .await
        .unwrap();
    dir.approve("A1", id, "checked with vendor").await.unwrap();
    store
}

async fn migrations_are_idempotent(loc: String) {
    let a = Store::open(&loc).await.unwrap();
    let b = Store::open(&loc).await.unwrap();
    assert_eq!(a.audit_head().await.unwrap().seq, 0);
    assert_eq!(b.load().await.unwrap().0, 0);
}

async fn change_control_needs_a_second_person(loc: String) {
    let clock = ManualClock::new(t0());
    let store = seeded(&loc, &clock).await;
    let dir = Directory::new(&store, &clock);
    let before = store.load().await.unwrap();
    let head = store.audit_head().await.unwrap();
    let id = dir
        .request(
            "A1",
            vec![Change::AddVendor {
                vendor: vendor("globex", "A1"),
            }],
            "new vendor",
            "test",
        )
        .await
        .unwrap();
    // Pending: not in the directory.
    assert!(store.load().await.unwrap().1.vendor("globex").is_none());
    // Its author cannot approve it, and trying changes nothing.
    let err = dir.approve("A1", id, "self").await.unwrap_err();
    assert!(
        matches!(err, DirectoryError::SelfApproval { request, .. } if request == id),
        "{err}"
    );
    // An analyst lacks the role.
    let err = dir.approve("S1", id, "me").await.unwrap_err();
    assert!(matches!(err, DirectoryError::Forbidden { .. }), "{err}");
    // An unknown actor is refused.
    assert!(matches!(
        dir.approve("nobody", id, "x").await.unwrap_err(),
        DirectoryError::UnknownActor { .. }
    ));
    assert_eq!(
        store.audit_head().await.unwrap().seq,
        head.seq + 1,
        "only the request itself was audited"
    );
    assert_eq!(store.load().await.unwrap().0, before.0);
    let req = dir.approve("A2", id, "looks right").await.unwrap();
    assert_eq!(req.status, RequestStatus::Approved);
    assert_eq!(req.decided_by.as_deref(), Some("A2"));
    assert!(store.load().await.unwrap().1.vendor("globex").is_some());
    // Decided requests cannot be decided again.
    assert!(matches!(
        dir.reject("A2", id, "late").await.unwrap_err(),
        DirectoryError::NotPending { .. }
    ));
    // Rejection is audited with who and why.
    let id2 = dir
        .request(
            "S1",
            vec![Change::AddVendor {
                vendor: vendor("initech", "A2"),
            }],
            "maybe",
            "test",
        )
        .await
        .unwrap();
    dir.reject("A1", id2, "not a real vendor").await.unwrap();
    let entries = store.audit_entries(1, 1000).await.unwrap();
    let last = entries.last().unwrap();
    assert_eq!(
        (
            last.actor.as_str(),
            last.action.as_str(),
            last.subject.as_str()
        ),
        ("A1", "change.reject", &*format!("change:{id2}"))
    );
    assert!(last.details.contains("not a real vendor"));
    assert!(entries.iter().any(|e| e.action == "directory.add_vendor"
        && e.subject == "vendor:globex"
        && e.actor == "A2"));
}

async fn pending_channels_are_never_used(loc: String) {
    let clock = ManualClock::new(t0());
    let store = seeded(&loc, &clock).await;
    let dir = Directory::new(&store, &clock);
    let mut changed = contact("acme", "vera@acme.example", "+1 555 0199 999");
    changed.name = "Vera Vendor".into();
    let id = dir
        .request(
            "S1",
            vec![Change::UpdateContact {
                email: "vera@acme.example".into(),
                contact: changed,
            }],
            "vendor called to update number",
            "test",
        )
        .await
        .unwrap();
    let numbers = dir.verified_callback_numbers("acme").await.unwrap();
    assert_eq!(
        numbers.iter().map(|n| n.phone.as_str()).collect::<Vec<_>>(),
        ["+15550100200"]
    );
    dir.approve("A1", id, "confirmed via known number")
        .await
        .unwrap();
    let numbers = dir.verified_callback_numbers("acme").await.unwrap();
    assert_eq!(
        numbers.iter().map(|n| n.phone.as_str()).collect::<Vec<_>>(),
        ["+15550199999"]
    );
}

async fn review_cadence_removes_and_restores_trust(loc: String) {
    let clock = ManualClock::new(t0());
    let store = seeded(&loc, &clock).await;
    let dir = Directory::new(&store, &clock);
    assert!(dir.overdue().await.unwrap().is_empty());
    clock.advance(time::Duration::days(91));
    let overdue = dir.overdue().await.unwrap();
    assert_eq!(
        overdue.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        ["acme"]
    );
    let err = dir.verified_callback_numbers("acme").await.unwrap_err();
    assert!(
        matches!(
            err,
            DirectoryError::NotTrusted {
                reason: NotTrustedReason::ReviewOverdue { .. },
                ..
            }
        ),
        "{err}"
    );
    // An analyst may not review; the relationship manager may.
    assert!(matches!(
        dir.record_review("S1", "acme", "x").await.unwrap_err(),
        DirectoryError::Forbidden { .. }
    ));
    let v = dir
        .record_review("A1", "acme", "quarterly review")
        .await
        .unwrap();
    assert_eq!(
        v.review_due,
        Some(clock.now_for_test() + time::Duration::days(90))
    );
    assert_eq!(
        dir.verified_callback_numbers("acme").await.unwrap().len(),
        1
    );
    // A second contact departs: a personnel change makes the review due now.
    let id = dir
        .request(
            "S1",
            vec![Change::AddContact {
                contact: contact("acme", "bob@acme.example", "+1 555 0100 300"),
            }],
            "x",
            "t",
        )
        .await
        .unwrap();
    dir.approve("A2", id, "ok").await.unwrap();
    let outcome = dir
        .set_status(
            "A1",
            StatusTarget::Contact {
                vendor: "acme".into(),
                email: "bob@acme.example".into(),
                status: ContactStatus::Departed,
            },
            "left the vendor",
        )
        .await
        .unwrap();
    assert_eq!(outcome, countersign_directory::StatusOutcome::Applied);
    assert!(matches!(
        dir.verified_callback_numbers("acme").await.unwrap_err(),
        DirectoryError::NotTrusted { .. }
    ));
    dir.record_review("A2", "acme", "after departure")
        .await
        .unwrap();
    let numbers = dir.verified_callback_numbers("acme").await.unwrap();
    assert_eq!(numbers.len(), 1, "the departed contact is not offered");
    // Bringing the contact back needs approval.
    let outcome = dir
        .set_status(
            "S1",
            StatusTarget::Contact {
                vendor: "acme".into(),
                email: "bob@acme.example".into(),
                status: ContactStatus::Active,
            },
            "back",
        )
        .await
        .unwrap();
    assert!(matches!(
        outcome,
        countersign_directory::StatusOutcome::Requested(_)
    ));
    assert_eq!(
        dir.verified_callback_numbers("acme").await.unwrap().len(),
        1
    );
}

/// `ManualClock` has no getter besides the trait; this keeps the call short.
trait NowForTest {
    fn now_for_test(&self) -> time::OffsetDateTime;
}
impl NowForTest for ManualClock {
    fn now_for_test(&self) -> time::OffsetDateTime {
        countersign_directory::Clock::now(self)
    }
}

async fn bad_imports_change_nothing(loc: String) {
    let clock = ManualClock::new(t0());
    let store = seeded(&loc, &clock).await;
    let dir = Directory::new(&store, &clock);
    let before = store.load().await.unwrap();
    let head = store.audit_head().await.unwrap();
    let requests = store.requests(None).await.unwrap().len();
    let csv = "vendor,name,email,phones,role\n\
               acme,Ann,ann@acme.example,+1 555 0100 401,support\n\
               nosuch,Ben,ben@nosuch.example,+1 555 0100 402,support\n\
               acme,Cat,cat@acme.example,not a phone,support\n\
               acme,Dan,dan@acme.example,\"+1 555 0100 404\n";
    let err = match parse_import(ImportFormat::Csv, Some(RecordKind::Contacts), csv) {
        Err(e) => e,
        Ok(records) => dir
            .import("S1", records, "bulk", "test", &|_| {})
            .await
            .unwrap_err(),
    };
    let DirectoryError::Import { issues } = &err else {
        panic!("{err}")
    };
    assert!(issues.iter().all(|i| i.line.is_some()), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("line 5") || text.contains("line 6"),
        "malformed CSV row reported: {text}"
    );
    // Semantic problems are reported with their line once syntax is fine.
    let csv = "vendor,name,email,phones,role\n\
               acme,Ann,ann@acme.example,+1 555 0100 401,support\n\
               nosuch,Ben,ben@nosuch.example,+1 555 0100 402,support\n\
               acme,Cat,cat@acme.example,not a phone,support\n\
               acme,Ann again,ann@acme.example,+1 555 0100 401,support\n";
    let records = parse_import(ImportFormat::Csv, Some(RecordKind::Contacts), csv).unwrap();
    let err = dir
        .import("S1", records, "bulk", "test", &|_| {})
        .await
        .unwrap_err();
    let text = err.to_string();
    // Each problem names its line and, where one is at fault, the field.
    assert!(
        text.contains("line 3, field vendor: unknown vendor \"nosuch\""),
        "{text}"
    );
    assert!(
        text.contains("line 4, field phone: invalid phone"),
        "{text}"
    );
    assert!(
        text.contains(
            "line 5: duplicate contact acme/ann@acme.example in this file (first at line 2)"
        ),
        "{text}"
    );
    assert_eq!(store.load().await.unwrap(), before);
    assert_eq!(store.audit_head().await.unwrap(), head);
    assert_eq!(store.requests(None).await.unwrap().len(), requests);
    // A good import becomes one pending request, never a silent write.
    let csv = "vendor,name,email,phones,role,status\nacme,Ann,ann@acme.example,+1 555 0100 401;+1 555 0100 402,support,active\n";
    let records = parse_import(ImportFormat::Csv, Some(RecordKind::Contacts), csv).unwrap();
    let id = dir
        .import("S1", records, "bulk", "import:test.csv", &|_| {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.load().await.unwrap().1.contacts.len(), 1);
    dir.approve("A1", id, "ok").await.unwrap();
    assert_eq!(store.load().await.unwrap().1.contacts.len(), 2);
    // Importing the same file again is a no-op.
    let records = parse_import(ImportFormat::Csv, Some(RecordKind::Contacts), csv).unwrap();
    assert_eq!(
        dir.import("S1", records, "bulk", "again", &|_| {})
            .await
            .unwrap(),
        None
    );
}

async fn duplicate_staff_id_is_refused(loc: String) {
    let clock = ManualClock::new(t0());
    let store = seeded(&loc, &clock).await;
    let dir = Directory::new(&store, &clock);
    let head = store.audit_head().await.unwrap();
    let err = dir
        .request(
            "A1",
            vec![Change::AddStaff {
                staff: staff("S1", "analyst"),
            }],
            "dup",
            "test",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DirectoryError::Duplicate { kind: "staff ID", key } if key == "S1"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "duplicate staff ID \"S1\": already in the directory"
    );
    assert_eq!(store.audit_head().await.unwrap(), head);
    // Two pending requests for the same ID: the second approval fails whole.
    let a = dir
        .request(
            "A1",
            vec![Change::AddStaff {
                staff: staff("S9", "analyst"),
            }],
            "x",
            "t",
        )
        .await
        .unwrap();
    let b = dir
        .request(
            "S1",
            vec![
                Change::AddVendor {
                    vendor: vendor("umbrella", "A1"),
                },
                Change::AddStaff {
                    staff: staff("S9", "analyst"),
                },
            ],
            "x",
            "t",
        )
        .await
        .unwrap();
    dir.approve("A2", a, "ok").await.unwrap();
    let before = store.load().await.unwrap();
    assert!(matches!(
        dir.approve("A2", b, "ok").await.unwrap_err(),
        DirectoryError::Duplicate { .. }
    ));
    assert_eq!(
        store.load().await.unwrap(),
        before,
        "the vendor in the failed request was not created either"
    );
    assert_eq!(
        store.request(b).await.unwrap().unwrap().status,
        RequestStatus::Pending
    );
}

async fn json_snapshot_round_trips(loc: String) {
    let clock = ManualClock::new(t0());
    let store = seeded(&loc, &clock).await;
    let dir = Directory::new(&store, &clock);
    let snap = dir.snapshot().await.unwrap();
    let text = snap.to_json();
    // Into a second, fresh database (same backend) bootstrapped by A1 and A2.
    let other_loc = if loc.starts_with("postgres") {
        pg_location("json_snapshot_round_trips_b").await.unwrap()
    } else {
        sqlite_location("json_snapshot_round_trips_b")
    };
    let other = Store::open(&other_loc).await.unwrap();
    let odir = Directory::new(&other, &clock);
    odir.bootstrap(None, staff("A1", "security-admin"))
        .await
        .unwrap();
    odir.bootstrap(None, staff("A2", "security-admin"))
        .await
        .unwrap();
    let records = parse_import(ImportFormat::Json, None, &text).unwrap();
    let id = odir
        .import("A1", records, "migrate", "import:snapshot.json", &|_| {})
        .await
        .unwrap()
        .unwrap();
    odir.approve("A2", id, "ok").await.unwrap();
    let mut a = store.load().await.unwrap().1;
    let mut b = other.load().await.unwrap().1;
    for s in [&mut a, &mut b] {
        for v in &mut s.vendors {
            v.last_reviewed_at = None;
            v.review_due = None;
        }
    }
    assert_eq!(a, b);
    // Offline loading, as `analyze --directory` does.
    let path = std::env::temp_dir().join(format!(
        "cs-snap-{}-{}.json",
        std::process::id(),
        other_loc.len()
    ));
    std::fs::write(&path, &text).unwrap();
    let loaded = countersign_directory::DirectorySnapshot::load(&path).unwrap();
    assert_eq!(
        loaded.vendor_for_domain("mail.acme.example").unwrap().id,
        "acme"
    );
}

async fn tampering_is_detected(loc: String) {
    let dir = std::env::temp_dir().join(format!("cs-key-{}-{}", std::process::id(), loc.len()));
    let _ = std::fs::remove_dir_all(&dir);
    let key = Arc::new(InstallationKey::load_or_create(&dir.join("audit.key")).unwrap());
    let store = Store::open(&loc).await.unwrap().with_signer(key.clone());
    let events: Vec<AuditEvent> = (0..30)
        .map(|i| {
            AuditEvent::new(
                t0(),
                "tester",
                "test.event",
                format!("thing:{i}"),
                serde_json::json!({ "i": i }),
            )
        })
        .collect();
    store.append(events).await.unwrap();
    store.checkpoint(&key, t0()).await.unwrap().unwrap();
    assert!(
        store.checkpoint(&key, t0()).await.unwrap().is_none(),
        "already sealed"
    );
    store
        .append(vec![AuditEvent::new(
            t0(),
            "tester",
            "after",
            "x",
            serde_json::Value::Null,
        )])
        .await
        .unwrap();
    let report = store
        .verify_audit(key.verifying_key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            report.entries,
            report.checkpoints,
            report.last_checkpoint_seq
        ),
        (31, 1, 30)
    );
    // The triggers stop casual edits...
    assert!(
        store
            .execute_raw("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 7")
            .await
            .is_err()
    );
    // ...an administrator drops them and edits an entry.
    let drop = if loc.starts_with("postgres") {
        "DROP TRIGGER audit_entries_no_update ON audit_entries; DROP TRIGGER audit_entries_no_truncate ON audit_entries"
    } else {
        "DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete"
    };
    store.execute_raw(drop).await.unwrap();
    store
        .execute_raw("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 7")
        .await
        .unwrap();
    let breach = store
        .verify_audit(key.verifying_key())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(breach, Breach::Content { seq: 7 });
    store
        .execute_raw("UPDATE audit_entries SET actor = 'tester' WHERE seq = 7")
        .await
        .unwrap();
    store
        .verify_audit(key.verifying_key())
        .await
        .unwrap()
        .unwrap();
    // Deleting one entry.
    store
        .execute_raw("DELETE FROM audit_entries WHERE seq = 12")
        .await
        .unwrap();
    let breach = store
        .verify_audit(key.verifying_key())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(breach.first_broken_seq(), 12, "{breach}");
}

async fn concurrent_appenders_never_fork(loc: String) {
    // Two pools, as two processes would have.
    let a = Store::open(&loc).await.unwrap();
    let b = Store::open(&loc).await.unwrap();
    let run = |store: Store, who: &'static str| {
        tokio::spawn(async move {
            for i in 0..40 {
                let evs = (0..3)
                    .map(|j| {
                        AuditEvent::new(
                            t0(),
                            who,
                            "race",
                            format!("{i}/{j}"),
                            serde_json::Value::Null,
                        )
                    })
                    .collect();
                store.append(evs).await.unwrap();
            }
        })
    };
    let (x, y) = (run(a.clone(), "a"), run(b.clone(), "b"));
    x.await.unwrap();
    y.await.unwrap();
    let head = a.audit_head().await.unwrap();
    assert_eq!(head.seq, 240);
    let entries = a.audit_entries(1, 1000).await.unwrap();
    assert_eq!(entries.len(), 240);
    let dir =
        std::env::temp_dir().join(format!("cs-key-race-{}-{}", std::process::id(), loc.len()));
    let _ = std::fs::remove_dir_all(&dir);
    let key = InstallationKey::load_or_create(&dir.join("k")).unwrap();
    a.verify_audit(key.verifying_key()).await.unwrap().unwrap();
}

async fn racing_approvals_apply_once(loc: String) {
    let clock = Arc::new(ManualClock::new(t0()));
    let store = seeded(&loc, &clock).await;
    let id = Directory::new(&store, &*clock)
        .request(
            "S1",
            vec![Change::AddVendor {
                vendor: vendor("hooli", "A1"),
            }],
            "x",
            "t",
        )
        .await
        .unwrap();
    let other = Store::open(&loc).await.unwrap();
    let go = |s: Store, who: &'static str, clock: Arc<ManualClock>| {
        tokio::spawn(async move {
            Directory::new(&s, &*clock)
                .approve(who, id, "race")
                .await
                .map(|r| r.id)
        })
    };
    let (x, y) = (
        go(store.clone(), "A1", clock.clone()),
        go(other, "A2", clock.clone()),
    );
    let results = [x.await.unwrap(), y.await.unwrap()];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(DirectoryError::NotPending { .. }))),
        "{results:?}"
    );
    let approvals = store
        .audit_entries(1, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "change.approve" && e.subject == format!("change:{id}"))
        .count();
    assert_eq!(approvals, 1);
}
