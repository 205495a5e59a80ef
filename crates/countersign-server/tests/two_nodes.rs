//! Two `countersign serve` nodes on one PostgreSQL: no state in memory that
//! the other needs. The same case is driven through both; concurrent
//! submissions of the same control give exactly one transition; concurrent
//! verdicts never fork the audit chain; every event is delivered by one of
//! the nodes' outbox workers, with its idempotency key.

mod support;

use serde_json::json;
use std::collections::HashMap;
use support::{Api, Install, Receiver, Server, SmtpSink};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_postgres() {
    let Some(install) = Install::postgres("two_nodes") else {
        eprintln!("SKIPPED: COUNTERSIGN_TEST_PG_URL is not set");
        return;
    };
    install.load_directory();
    let sink = SmtpSink::start().await;
    let config = format!(
        "smtp_relay = \"smtp://127.0.0.1:{}\"\nwebhook_retry = \"200ms\"",
        sink.port
    );
    let node_a = Server::start(&install, &config, &[]);
    let node_b = Server::start(&install, &config, &[]);
    let a = Api::new(&node_a.base);
    let b = Api::new(&node_b.base);
    let admin_otp = install.add_user("daniel", &["admin"], Some("S-1002"));
    let analyst_otp = install.add_user("marta", &["analyst"], Some("S-1001"));
    let tool_otp = install.add_user("tool", &["analyst", "integration"], None);
    // Sessions made on one node work on the other.
    let (admin, _) = a.set_up("daniel", &admin_otp, true).await;
    let (analyst, _) = b.set_up("marta", &analyst_otp, false).await;
    let (tool, _) = a.set_up("tool", &tool_otp, false).await;
    b.get("/api/v1/me", Some(&admin)).await.ok();

    let receiver = Receiver::default();
    let (port, _stop) = receiver.start_anywhere().await;
    b.post(
        "/api/v1/webhooks",
        Some(&admin),
        json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["*"]}),
    )
    .await
    .expect(201);

    // The same case, driven through both nodes.
    let held = a
        .post_eval_message(&tool, "036-kestrel-password-reset.eml")
        .await;
    let path = format!("/api/v1/cases/{}", held["case_id"].as_str().unwrap());
    b.get(&path, Some(&analyst)).await.ok();
    b.post(
        &format!("{path}/callback"),
        Some(&analyst),
        json!({"number": "+15555550152", "outcome": "confirmed"}),
    )
    .await
    .ok();
    a.post(
        &format!("{path}/code"),
        Some(&analyst),
        json!({"channel": "email"}),
    )
    .await
    .ok();
    let code = sink.code_for("ben.hollis@kestrelid.test").await;
    // The right code submitted on both nodes at once: one transition wins.
    let verify = format!("{path}/code/verify");
    let (one, two) = tokio::join!(
        a.post(&verify, Some(&analyst), json!({"code": code})),
        b.post(&verify, Some(&analyst), json!({"code": code})),
    );
    let mut statuses = [one.status, two.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{one:?} {two:?}");
    let case = a.get(&path, Some(&analyst)).await.ok();
    assert_eq!(case["case"]["state"], "verified");

    // Verdicts recorded on both nodes at once: the audit chain stays one chain.
    let files = [
        "001-bluepeak-maintenance.eml",
        "003-kestrel-ticket-update.eml",
        "005-ledgerline-invoice.eml",
        "064-spoof-org-helpdesk.eml",
    ];
    let mut work = Vec::new();
    for round in 0..10 {
        for f in files {
            let api = if round % 2 == 0 { a.clone() } else { b.clone() };
            let tool = tool.clone();
            work.push(tokio::spawn(async move {
                api.post_eval_message(&tool, f).await
            }));
        }
    }
    for w in work {
        w.await.unwrap();
    }

    let got = receiver
        .wait_for(30, |d| {
            let kinds: Vec<&str> = d.iter().map(|x| x.event_type.as_str()).collect();
            kinds.contains(&"case.opened")
                && kinds
                    .iter()
                    .filter(|k| **k == "case.control_satisfied")
                    .count()
                    >= 2
                && kinds.contains(&"case.verified")
        })
        .await;
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for d in &got {
        *per_event.entry(d.event_id.clone()).or_default() += 1;
    }
    let duplicates = per_event.values().filter(|n| **n > 1).count();
    eprintln!(
        "two nodes: {} deliveries of {} events ({} delivered more than once)",
        got.len(),
        per_event.len(),
        duplicates
    );
    assert!(node_a.stop());
    assert!(node_b.stop());
    let verify = install.cli(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "audit chain after two nodes: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
