//! Server response time of each console page with a full store: fills a
//! fresh SQLite file with 100,000 messages and 10,000 cases through the
//! store's own insert path (batched, with their audit entries), then times
//! each page through the router (no port: the server's own work, from
//! request to the last byte of HTML), printing p50, p99 and max.
//!
//! ```sh
//! cargo run --release -p countersign-console --example pages [-- MESSAGES CASES REQUESTS]
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use axum::http::StatusCode;
use std::time::Instant;

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("MESSAGES CASES REQUESTS are numbers"))
        .collect();
    let messages = args.first().copied().unwrap_or(100_000);
    let cases = args.get(1).copied().unwrap_or(10_000);
    let requests = args.get(2).copied().unwrap_or(300);

    let w = support::world("bench").await;
    let started = Instant::now();
    support::fill(w.services.store(), messages, cases).await;
    println!(
        "filled {messages} messages and {cases} cases in {:.1} s ({:.0} messages/s), database {}",
        started.elapsed().as_secs_f64(),
        messages as f64 / started.elapsed().as_secs_f64(),
        w.dir.join("countersign.db").display()
    );
    let analyst = w.person("ana", &["analyst"]).await;
    let admin = w.person("lee", &["security_admin"]).await;
    let approver = w.person("abe", &["approver"]).await;
    let employee = w.person("emma", &["employee"]).await;

    // A cursor deep in the list: page 1,000 must cost what page 1 costs.
    let deep = w
        .services
        .message_page(
            &w.services
                .authenticate(&analyst.session, "bench")
                .await
                .unwrap(),
            &countersign_service::queue::MessageQuery {
                after: String::new(),
                limit: Some(200),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .next
        .unwrap();
    // A cursor deep in the quarantine (36,000 of 100,000 messages are
    // quarantined or rejected): about 20,000 messages in.
    let admin_principal = w
        .services
        .authenticate(&admin.session, "bench")
        .await
        .unwrap();
    let mut quarantine_deep = String::new();
    for _ in 0..(messages / 5000).max(1) {
        let (_, next) = w
            .services
            .quarantine_page(&admin_principal, &quarantine_deep, 500)
            .await
            .unwrap();
        match next {
            Some(n) => quarantine_deep = n,
            None => break,
        }
    }
    let mid_case = format!("c_bench_{:08}", (messages / cases.max(1)) * (cases / 2));
    let mid_message = format!("m_bench_{:08}", messages / 2);
    let pages: Vec<(&str, &support::Person, String)> = vec![
        ("sign-in form", &analyst, "/console/signin".into()),
        ("overview (charts)", &analyst, "/console/overview".into()),
        ("queue (newest)", &analyst, "/console/queue".into()),
        (
            "queue verdict=hold",
            &analyst,
            "/console/queue?verdict=hold".into(),
        ),
        (
            "queue sender filter",
            &analyst,
            "/console/queue?sender=sender7%40vendor7.example".into(),
        ),
        (
            "queue since date",
            &analyst,
            format!(
                "/console/queue?since={}",
                (time::OffsetDateTime::now_utc() - time::Duration::hours(3)).date()
            ),
        ),
        (
            "queue deep page",
            &analyst,
            format!("/console/queue?after={deep}"),
        ),
        (
            "message view",
            &analyst,
            format!("/console/messages/{mid_message}"),
        ),
        ("case view", &analyst, format!("/console/cases/{mid_case}")),
        ("approvals", &approver, "/console/approvals".into()),
        ("quarantine", &admin, "/console/quarantine".into()),
        (
            "quarantine deep page",
            &admin,
            format!("/console/quarantine?after={quarantine_deep}"),
        ),
        ("directory", &admin, "/console/directory".into()),
        (
            "directory reviews",
            &admin,
            "/console/directory/reviews".into(),
        ),
        ("directory keys", &admin, "/console/directory/keys".into()),
        ("import form", &admin, "/console/directory/import".into()),
        ("posture (no reports)", &admin, "/console/posture".into()),
        ("verify a caller form", &analyst, "/console/callers".into()),
        ("audit log", &admin, "/console/audit".into()),
        ("campaigns", &admin, "/console/campaigns".into()),
        ("is this really IT?", &employee, "/console/it".into()),
        ("report form", &employee, "/console/report".into()),
        ("my reports", &employee, "/console/reports".into()),
    ];
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>9}  (ms, {requests} requests each, through the router)",
        "page", "p50", "p99", "max", "bytes"
    );
    for (name, who, path) in &pages {
        let mut times = Vec::with_capacity(requests);
        let mut bytes = 0;
        for _ in 0..requests {
            let t = Instant::now();
            let (status, _, body) = if *name == "sign-in form" {
                w.get(None, path).await
            } else {
                w.get(Some(who), path).await
            };
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            bytes = body.len();
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{:<22} {:>9.2} {:>9.2} {:>9.2} {:>9}",
            name,
            pct(&times, 0.5),
            pct(&times, 0.99),
            times[times.len() - 1],
            bytes
        );
    }
}
