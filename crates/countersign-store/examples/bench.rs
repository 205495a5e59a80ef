//! Prints throughput figures for the two bulk paths the issue sets targets
//! for: importing 10,000 contacts (parse, validate, open the change request,
//! approve and apply) and verifying a 1,000,000-entry audit log.
//!
//! `cargo run --release -p countersign-store --example bench -- [DB] [CONTACTS] [ENTRIES]`
//! DB defaults to a fresh SQLite file; pass a `postgres://` URL for PostgreSQL
//! (an empty database). Figures go to stdout; nothing here is a test.

use countersign_audit::{AuditEvent, AuditSink, InstallationKey};
use countersign_directory::{
    Change, Directory, ImportFormat, ManualClock, Organisation, RecordKind, Staff, StaffStatus,
    Vendor, VendorStatus, parse_import,
};
use countersign_store::Store;
use std::fmt::Write;
use std::time::Instant;

fn admin(id: &str) -> Staff {
    Staff {
        staff_id: id.into(),
        name: format!("Admin {id}"),
        photo: None,
        email: format!("{}@example.com", id.to_lowercase()),
        phone: "+442079460000".into(),
        role: "security-admin".into(),
        team: "Security".into(),
        status: StaffStatus::Active,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tmp = std::env::temp_dir().join(format!("cs-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let db = args
        .first()
        .cloned()
        .unwrap_or_else(|| tmp.join("bench.db").display().to_string());
    let contacts: usize = args.get(1).map_or(Ok(10_000), |s| s.parse())?;
    let entries: u64 = args.get(2).map_or(Ok(1_000_000), |s| s.parse())?;
    let key = std::sync::Arc::new(InstallationKey::load_or_create(&tmp.join("audit.key"))?);
    let store = Store::open(&db).await?.with_signer(key.clone());
    println!("backend: {:?}", store.backend());

    // Directory: 100 vendors, `contacts` contacts spread over them.
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let dir = Directory::new(&store, &clock);
    dir.bootstrap(
        Some(Organisation {
            name: "Bench".into(),
            domains: vec!["example.com".into()],
            review_interval_days: 90,
        }),
        admin("A1"),
    )
    .await?;
    dir.bootstrap(None, admin("A2")).await?;
    let vendors: Vec<Change> = (0..100)
        .map(|i| Change::AddVendor {
            vendor: Vendor {
                id: format!("v{i}"),
                name: format!("Vendor {i}"),
                domains: vec![format!("vendor{i}.example")],
                privileged: false,
                relationship_manager: "A1".into(),
                status: VendorStatus::Active,
                last_reviewed_at: None,
                review_due: None,
            },
        })
        .collect();
    let id = dir.request("A1", vendors, "bench", "bench").await?;
    dir.approve("A2", id, "bench").await?;
    let mut csv = String::from("vendor,name,email,phones,role,status\n");
    for i in 0..contacts {
        writeln!(
            csv,
            "v{},Contact {i},c{i}@vendor{}.example,+1555{:07},support,active",
            i % 100,
            i % 100,
            i
        )?;
    }
    let bar = indicatif::ProgressBar::new(contacts as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "checking [{bar:40}] {pos}/{len}",
    )?);
    let started = Instant::now();
    let records = parse_import(ImportFormat::Csv, Some(RecordKind::Contacts), &csv)?;
    let id = dir
        .import("A1", records, "bench", "bench.csv", &|i| {
            bar.set_position(i)
        })
        .await?
        .ok_or("no changes")?;
    bar.finish_and_clear();
    let import = started.elapsed();
    let started = Instant::now();
    dir.approve("A2", id, "bench").await?;
    let approve = started.elapsed();
    println!(
        "import {contacts} contacts: parse+validate+request {import:.2?}, approve+apply {approve:.2?}, total {:.2?}",
        import + approve
    );

    // Audit: fill to `entries`, then verify.
    let head = store.audit_head().await?.seq;
    let started = Instant::now();
    let mut left = entries.saturating_sub(head);
    let at = time::OffsetDateTime::now_utc();
    while left > 0 {
        let n = left.min(10_000);
        let batch = (0..n)
            .map(|i| {
                AuditEvent::new(
                    at,
                    "bench",
                    "bench.event",
                    format!("thing:{i}"),
                    serde_json::json!({ "i": i }),
                )
            })
            .collect();
        store.append(batch).await?;
        left -= n;
    }
    store.checkpoint(&key, at).await?;
    println!(
        "append {} audit entries: {:.2?}",
        entries.saturating_sub(head),
        started.elapsed()
    );
    let started = Instant::now();
    let report = store
        .verify_audit(key.verifying_key())
        .await?
        .map_err(|b| b.to_string())?;
    let took = started.elapsed();
    println!(
        "verify {} entries, {} checkpoints: {took:.2?} ({:.0} entries/s)",
        report.entries,
        report.checkpoints,
        report.entries as f64 / took.as_secs_f64()
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
