//! End to end on the real `countersign serve` (SQLite; PostgreSQL when
//! `COUNTERSIGN_TEST_PG_URL` is set): the IT reference and its photos,
//! employees verifying callers who claim to be IT (real, unknown,
//! departed, wrong code; with and without an open ticket pushed by the
//! help-desk tool), an analyst verifying a caller who claims to be an
//! employee, reports that form a campaign announced to a webhook receiver
//! on loopback, a forwarded suspicious email whose sender domain becomes an
//! indicator, and the rate limit of look-ups.

mod support;

use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use serde_json::{Value, json};
use std::time::Duration;
use support::{Api, Install, Receiver, Server, SmtpSink};

struct People {
    admin: String,
    analyst: String,
    priya: String,
    jonas: String,
    lena: String,
    tool: String,
}

async fn people(install: &Install, api: &Api) -> People {
    let admin = install.add_user("daniel", &["admin"], Some("S-1002"));
    let analyst = install.add_user("marta", &["analyst"], Some("S-1001"));
    let priya = install.add_person("priya", &["employee"], None, Some("E-3001"));
    let jonas = install.add_person("jonas", &["employee"], None, Some("E-3002"));
    let lena = install.add_person("lena", &["employee"], None, None);
    let (admin, _) = api.set_up("daniel", &admin, true).await;
    let (analyst, _) = api.set_up("marta", &analyst, false).await;
    let (priya, _) = api.set_up("priya", &priya, false).await;
    let (jonas, _) = api.set_up("jonas", &jonas, false).await;
    let (lena, _) = api.set_up("lena", &lena, false).await;
    let created = api
        .post(
            "/api/v1/accounts",
            Some(&admin),
            json!({"username": "itsm", "roles": ["integration"]}),
        )
        .await
        .expect(201);
    let token = api
        .post(
            "/api/v1/tokens",
            Some(&admin),
            json!({"account_id": created["account"]["id"], "name": "itsm"}),
        )
        .await
        .expect(201);
    People {
        admin,
        analyst,
        priya,
        jonas,
        lena,
        tool: token["token"].as_str().unwrap().to_owned(),
    }
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend((0..200u32).map(|i| (i * 7 % 251) as u8));
    v
}

async fn verify(api: &Api, token: &str, body: Value) -> Value {
    api.post("/api/v1/verifications", Some(token), body)
        .await
        .expect(201)
}

async fn read_back(api: &Api, token: &str, id: &str, code: &str) -> Value {
    api.post(
        &format!("/api/v1/verifications/{id}/code"),
        Some(token),
        json!({ "code": code }),
    )
    .await
    .expect(200)
}

async fn scenario(install: Install) {
    install.load_directory();
    // S-1006 leaves IT: the ID is what a caller might still use.
    install.ok(&[
        "directory",
        "set-status",
        "staff",
        "S-1006",
        "departed",
        "--reason",
        "left",
        "--actor",
        "S-1002",
    ]);
    let sink = SmtpSink::start().await;
    // The webhook receiver holds its port before the server starts, which
    // binds ports of its own.
    let receiver = Receiver::default();
    let (hook_port, _stop) = receiver.start_anywhere().await;
    // The report mailbox (a maildir), and the organisation's mail system's
    // DKIM key for forwards (a selector of its own, in a zone beside the
    // evaluation zone).
    let report_box = install.dir.join("report-box");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(report_box.join(sub)).unwrap();
    }
    let forward_key = Ed25519Key::generate_pkcs8().unwrap();
    let public = Ed25519Key::from_pkcs8_der(&forward_key)
        .unwrap()
        .public_key();
    let forward_zone = install.dir.join("forward.zone");
    std::fs::write(
        &forward_zone,
        format!(
            "$TTL 300\nfwd._domainkey.northwind-health.example. IN TXT \"v=DKIM1; k=ed25519; p={}\"\n",
            data_encoding::BASE64.encode(&public)
        ),
    )
    .unwrap();
    let server = Server::start(
        &install,
        &format!(
            "smtp_relay = \"smtp://127.0.0.1:{}\"\nwebhook_retry = \"200ms\"\nreport_maildir = \"{}\"\nreport_poll = \"200ms\"",
            sink.port,
            report_box.display()
        ),
        &["--zone", forward_zone.to_str().unwrap()],
    );
    let api = Api::new(&server.base);
    let p = people(&install, &api).await;
    api.post(
        "/api/v1/webhooks",
        Some(&p.admin),
        json!({"url": format!("http://127.0.0.1:{hook_port}/hook"),
               "events": ["verification.failed", "campaign.formed", "campaign.grew"]}),
    )
    .await
    .expect(201);

    // The IT reference: by ID, by name; a departed ID is not current.
    let hannah = api
        .get("/api/v1/staff?staff_id=s-1003", Some(&p.priya))
        .await
        .ok();
    assert_eq!(hannah["current"], true, "{hannah}");
    assert_eq!(hannah["staff"][0]["name"], "Hannah Lindqvist");
    assert_eq!(hannah["staff"][0]["photo_url"], Value::Null);
    let by_name = api
        .get("/api/v1/staff?name=lind", Some(&p.priya))
        .await
        .ok();
    assert_eq!(by_name["staff"][0]["staff_id"], "S-1003", "{by_name}");
    let gone = api
        .get("/api/v1/staff?staff_id=S-1006", Some(&p.priya))
        .await
        .ok();
    assert_eq!(gone["current"], false);
    assert_eq!(gone["message"], "not a current member of IT");
    assert_eq!(gone["staff"], json!([]));
    api.get("/api/v1/staff", Some(&p.priya)).await.expect(422);

    // Photos: uploaded by an administrator, checked, served with their type.
    let photo = png();
    let up = api
        .send(
            "PUT",
            "/api/v1/staff/S-1003/photo",
            Some(&p.admin),
            Some("image/png"),
            photo.clone(),
        )
        .await;
    assert_eq!(up.status, 204, "{:?}", up.body);
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
    let refused = api
        .send(
            "PUT",
            "/api/v1/staff/S-1003/photo",
            Some(&p.admin),
            Some("image/png"),
            svg,
        )
        .await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    let mismatch = api
        .send(
            "PUT",
            "/api/v1/staff/S-1003/photo",
            Some(&p.admin),
            Some("image/jpeg"),
            photo.clone(),
        )
        .await;
    assert_eq!(mismatch.status, 422);
    let by_employee = api
        .send(
            "PUT",
            "/api/v1/staff/S-1003/photo",
            Some(&p.priya),
            Some("image/png"),
            photo.clone(),
        )
        .await;
    assert_eq!(by_employee.status, 403);
    let served = api.get("/api/v1/staff/S-1003/photo", Some(&p.jonas)).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.content_type, "image/png");
    let hannah = api
        .get("/api/v1/staff?staff_id=S-1003", Some(&p.priya))
        .await
        .ok();
    assert_eq!(
        hannah["staff"][0]["photo_url"],
        "/api/v1/staff/S-1003/photo"
    );

    // The help-desk tool pushes Priya's open ticket, assigned to Hannah.
    api.post(
        "/api/v1/tickets",
        Some(&p.tool),
        json!({"id": "INC-7001", "employee_id": "E-3001", "assignee_staff_id": "S-1003",
               "summary": "laptop will not dock", "status": "open"}),
    )
    .await
    .expect(204);
    api.post(
        "/api/v1/tickets",
        Some(&p.tool),
        json!({"id": "INC-7002", "employee_id": "E-9999", "summary": "x", "status": "open"}),
    )
    .await
    .expect(422);

    // A real IT caller, with an open ticket: code to Hannah's directory
    // email, read back, verified.
    let v = verify(&api, &p.priya, json!({"staff_id": "S-1003"})).await;
    assert_eq!(v["state"], "pending", "{v}");
    assert_eq!(v["warnings"], json!([]), "{v}");
    assert_eq!(v["verification"]["open_tickets"][0]["id"], "INC-7001");
    assert!(v["verification"].get("code_hash").is_none());
    let code = sink
        .code_for("hannah.lindqvist@northwind-health.example")
        .await;
    let done = read_back(&api, &p.priya, v["id"].as_str().unwrap(), &code).await;
    assert_eq!(done["state"], "verified", "{done}");
    assert_eq!(
        done["answer"],
        "verified: this is Hannah Lindqvist, service desk lead"
    );
    // Nobody else can read or use Priya's verification.
    api.get(
        &format!("/api/v1/verifications/{}", v["id"].as_str().unwrap()),
        Some(&p.jonas),
    )
    .await
    .expect(404);

    // The same real caller to Jonas, who has no open ticket: verified, but
    // warned that IT never cold-calls.
    let v = verify(&api, &p.jonas, json!({"staff_id": "S-1003"})).await;
    let warning = v["warnings"][0].as_str().unwrap_or_default().to_owned();
    assert!(warning.starts_with("no open ticket"), "{v}");
    let code = sink
        .code_for("hannah.lindqvist@northwind-health.example")
        .await;
    let done = read_back(&api, &p.jonas, v["id"].as_str().unwrap(), &code).await;
    assert_eq!(done["state"], "verified");
    assert!(
        done["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("no open ticket")
    );

    // Fakes: an unknown ID, a departed ID, the right ID with a wrong code.
    let sent_before = sink.messages.lock().unwrap().len();
    let unknown = verify(&api, &p.jonas, json!({"staff_id": "S-4040"})).await;
    assert_eq!(unknown["state"], "failed");
    assert_eq!(unknown["verification"]["failure"], "unknown_id");
    assert!(
        unknown["next_steps"][0]
            .as_str()
            .unwrap()
            .starts_with("Hang up")
    );
    let departed = verify(&api, &p.jonas, json!({"staff_id": "S-1006"})).await;
    assert_eq!(departed["state"], "failed");
    assert_eq!(
        departed["answer"],
        "not verified: not a current member of IT"
    );
    assert_eq!(
        sink.messages.lock().unwrap().len(),
        sent_before,
        "no code to a departed person"
    );
    let v = verify(&api, &p.jonas, json!({"staff_id": "S-1001"})).await;
    let real = sink
        .code_for("marta.kowalczyk@northwind-health.example")
        .await;
    let wrong = if real == "11111111" {
        "22222222"
    } else {
        "11111111"
    };
    let id = v["id"].as_str().unwrap().to_owned();
    let first = read_back(&api, &p.jonas, &id, wrong).await;
    assert_eq!(first["state"], "pending");
    assert_eq!(first["attempts_left"], 2);
    read_back(&api, &p.jonas, &id, wrong).await;
    let last = read_back(&api, &p.jonas, &id, wrong).await;
    assert_eq!(last["state"], "failed");
    assert_eq!(last["verification"]["failure"], "too_many_attempts");
    let after = read_back(&api, &p.jonas, &id, &real).await;
    assert_eq!(
        after["state"], "failed",
        "the right code after failure does not count"
    );

    // The help desk verifies a caller who claims to be Priya.
    api.post(
        "/api/v1/verifications",
        Some(&p.jonas),
        json!({"employee_id": "E-3001"}),
    )
    .await
    .expect(403);
    let v = verify(&api, &p.analyst, json!({"employee_id": "E-3001"})).await;
    assert_eq!(v["state"], "pending", "{v}");
    let code = sink.code_for("priya.nair@northwind-health.example").await;
    let done = read_back(&api, &p.analyst, v["id"].as_str().unwrap(), &code).await;
    assert_eq!(done["answer"], "verified: this is Priya Nair, employee");

    // Every failure reached the security team's webhook.
    receiver
        .wait_for(20, |d| {
            d.iter()
                .filter(|x| x.event_type == "verification.failed")
                .count()
                >= 3
        })
        .await;

    // Two employees report calls from the same number: a campaign forms.
    let first = api
        .post(
            "/api/v1/reports",
            Some(&p.priya),
            json!({"channel": "phone", "claimed_name": "Dan from IT", "claimed_staff_id": "S-1099",
                   "contact": "+44 20 7946 0999", "offered": ["tech_support"],
                   "details": "Said my laptop was infected and offered to fix it if I installed AnyDesk."}),
        )
        .await
        .expect(201);
    assert!(
        first["acknowledgement"]
            .as_str()
            .unwrap()
            .contains("Thank you")
    );
    assert!(
        first["indicators"]
            .as_array()
            .unwrap()
            .contains(&json!("phone:+442079460999"))
    );
    let second = api
        .post(
            "/api/v1/reports",
            Some(&p.jonas),
            json!({"channel": "chat", "details": "A man from the help desk asked me to call him back on +44 (0)20 7946-0999 about a free laptop upgrade and to read him the code I got."}),
        )
        .await
        .expect(201);
    assert!(
        second["indicators"]
            .as_array()
            .unwrap()
            .contains(&json!("phone:+442079460999")),
        "{second}"
    );
    let formed = receiver
        .wait_for(20, |d| d.iter().any(|x| x.event_type == "campaign.formed"))
        .await;
    let alert: Value = serde_json::from_str(
        &formed
            .iter()
            .find(|x| x.event_type == "campaign.formed")
            .unwrap()
            .body,
    )
    .unwrap();
    assert!(
        alert["campaign"]["indicators"]
            .as_array()
            .unwrap()
            .contains(&json!("phone:+442079460999")),
        "{alert}"
    );
    // Priya forwards a suspicious message to the report mailbox, as an
    // attachment, from her own mailbox (signed by our mail system): it is
    // analysed and filed as her report, and its sender domain is an
    // indicator. The same forward in Jonas's name, unsigned, is refused
    // and flagged for a person.
    let suspicious = "From: \"Northwind IT\" <helpdesk@northwlnd-health.example>\r\n\
        To: priya.nair@northwind-health.example\r\nSubject: Mailbox quota\r\n\
        Date: Tue, 01 Dec 2026 09:00:00 +0000\r\nMessage-ID: <q1@northwlnd-health.example>\r\n\r\n\
        Your mailbox is full. Please confirm your password at the link below today.\r\n";
    let forward = |from: &str| {
        format!(
            "From: {from}\r\nTo: report-phish@northwind-health.example\r\nSubject: Fwd: Mailbox quota\r\n\
             Date: Tue, 01 Dec 2026 09:05:00 +0000\r\nMessage-ID: <fwd-{}@northwind-health.example>\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n\
             Content-Type: text/plain\r\n\r\nThis looks like a fake IT message.\r\n--b1\r\n\
             Content-Type: message/rfc822\r\n\r\n{suspicious}\r\n--b1--\r\n",
            from.len()
        )
    };
    let wrapper = forward("Priya Nair <priya.nair@northwind-health.example>");
    let signature = DkimSigner::from_key(Ed25519Key::from_pkcs8_der(&forward_key).unwrap())
        .domain("northwind-health.example")
        .selector("fwd")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(wrapper.as_bytes())
        .unwrap();
    std::fs::write(
        report_box.join("new/1.signed.eml"),
        format!("{}{wrapper}", signature.to_header()),
    )
    .unwrap();
    std::fs::write(
        report_box.join("new/2.forged.eml"),
        forward("Jonas Weber <jonas.weber@northwind-health.example>"),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let filed = loop {
        let mine = api.get("/api/v1/reports", Some(&p.priya)).await.ok();
        if let Some(r) = mine
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["report"]["channel"] == "email")
        {
            break r.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the forwarded report was not filed: {mine}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let doc = filed["report"].to_string();
    assert!(
        doc.contains("northwlnd-health.example"),
        "the sender domain is not an indicator: {doc}"
    );
    assert!(
        filed["report"]["message"]["verdict"].is_string(),
        "the attached message was not analysed: {doc}"
    );
    let jonas_reports = api.get("/api/v1/reports", Some(&p.jonas)).await.ok();
    assert!(
        !jonas_reports.to_string().contains("Mailbox quota"),
        "a forged forward was filed: {jonas_reports}"
    );
    let flagged = |dir: &str| {
        std::fs::read_dir(report_box.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !flagged("cur")
        .iter()
        .any(|n| n.starts_with("2.forged") && n.contains('F'))
    {
        assert!(std::time::Instant::now() < deadline, "{:?}", flagged("cur"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(flagged("new").is_empty(), "{:?}", flagged("new"));

    let campaigns = api.get("/api/v1/campaigns", Some(&p.admin)).await.ok();
    let c = &campaigns[0];
    assert_eq!(c["sightings"], 2, "{campaigns}");
    let metrics = api.get("/metrics", None).await;
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains(
            r#"countersign_campaign_correlations_total{kind="report",outcome="formed"} 1"#
        ),
        "{text}"
    );
    assert_eq!(c["people_targeted"], 2);
    assert_eq!(c["status"], "open");
    assert!(c.get("target_keys").is_none(), "{c}");
    assert!(
        !c.to_string().contains("priya"),
        "no names in a campaign: {c}"
    );
    api.get("/api/v1/campaigns", Some(&p.priya))
        .await
        .expect(403);
    api.get("/api/v1/campaigns", Some(&p.analyst))
        .await
        .expect(403);

    // Reporters see only their own reports, and the outcome once triaged.
    // (Priya's: the phoned-in one and the forwarded one.)
    let mine = api.get("/api/v1/reports", Some(&p.priya)).await.ok();
    assert_eq!(mine.as_array().unwrap().len(), 2);
    let rid = first["report_id"].as_str().unwrap();
    api.get(&format!("/api/v1/reports/{rid}"), Some(&p.jonas))
        .await
        .expect(404);
    api.post(
        &format!("/api/v1/reports/{rid}/triage"),
        Some(&p.priya),
        json!({"outcome": "spam"}),
    )
    .await
    .expect(403);
    api.post(
        &format!("/api/v1/reports/{rid}/triage"),
        Some(&p.analyst),
        json!({"outcome": "malicious", "note": "We blocked the number."}),
    )
    .await
    .expect(200);
    let seen = api
        .get(&format!("/api/v1/reports/{rid}"), Some(&p.priya))
        .await
        .ok();
    assert_eq!(seen["outcome"], "malicious");
    assert!(
        seen["outcome_message"]
            .as_str()
            .unwrap()
            .contains("We blocked the number.")
    );
    assert!(seen["report"]["triage"].get("by").is_none(), "{seen}");

    // A forwarded suspicious email is analysed; its sender domain becomes
    // an indicator. The gateway then holds the same sender: a campaign.
    let raw = std::fs::read_to_string(
        support::repo().join("eval/messages/077-combosquat-support-org.eml"),
    )
    .unwrap();
    let forwarded = api
        .post(
            "/api/v1/reports",
            Some(&p.lena),
            json!({"channel": "email", "message": raw}),
        )
        .await
        .expect(201);
    let indicators = forwarded["indicators"].as_array().unwrap();
    assert!(
        indicators.contains(&json!("domain:northwind-health-support.example")),
        "{forwarded}"
    );
    assert!(indicators.contains(&json!("email:desk@northwind-health-support.example")));
    assert_ne!(forwarded["message"]["verdict"], "deliver", "{forwarded}");
    let gateway = api
        .post_eval_message(&p.tool, "077-combosquat-support-org.eml")
        .await;
    assert_ne!(gateway["verdict"], "deliver", "{gateway}");
    receiver
        .wait_for(20, |d| {
            d.iter()
                .filter(|x| x.event_type == "campaign.formed")
                .count()
                >= 2
        })
        .await;
    let campaigns = api.get("/api/v1/campaigns", Some(&p.admin)).await.ok();
    let mail = campaigns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["indicator"]["value"] == "northwind-health-support.example")
        })
        .unwrap_or_else(|| panic!("no campaign of the domain: {campaigns}"));
    let kinds: Vec<&str> = mail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["report", "message"]);

    // Contain it; an employee can mark nothing.
    let cid = mail["id"].as_str().unwrap();
    let contained = api
        .post(
            &format!("/api/v1/campaigns/{cid}/status"),
            Some(&p.admin),
            json!({"status": "contained"}),
        )
        .await
        .ok();
    assert_eq!(contained["status"], "contained");

    // The reference cannot be scraped: look-ups are rate-limited.
    let mut throttled = false;
    for n in 0..40 {
        let a = api
            .get(
                &format!("/api/v1/staff?staff_id=S-{}", 2000 + n),
                Some(&p.lena),
            )
            .await;
        if a.status == 429 {
            throttled = true;
            break;
        }
        assert_eq!(a.status, 200);
    }
    assert!(throttled, "40 look-ups were not rate-limited");

    assert!(server.stop());
    let verified = install.cli(&["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let log = install.ok(&["audit", "export"]);
    for action in [
        "staff.lookup_not_current",
        "staff.photo_uploaded",
        "verification.no_open_ticket",
        "verification.failed",
        "verification.verified",
        "ticket.pushed",
        "report.received",
        "report.triaged",
        "campaign.formed",
        "campaign.status_changed",
        "employee.rate_limited",
        "report.forward_refused",
    ] {
        assert!(
            log.contains(&format!("\"{action}\"")),
            "{action} not audited"
        );
    }
    assert!(
        log.contains("\"claimed_staff_id\":\"S-1003\""),
        "the claimed ID is recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employees_on_sqlite() {
    scenario(Install::sqlite("employees")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employees_on_postgres() {
    let Some(install) = Install::postgres("employees") else {
        eprintln!("SKIPPED: COUNTERSIGN_TEST_PG_URL is not set");
        return;
    };
    scenario(install).await;
}
