//! End to end: the real `countersign serve` on loopback with a real SQLite
//! file (and the same journeys on PostgreSQL when `COUNTERSIGN_TEST_PG_URL`
//! is set), driven over HTTP: verdicts, cases verified by callback, code,
//! vendor signature and dual approval, every refusal the controls promise,
//! expiry, webhooks delivered with valid signatures (including those queued
//! while the receiver was down), bad input and sign-in lockout.

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{Api, Install, Receiver, Server, SmtpSink, code_now};

struct People {
    admin: String,
    analyst: String,
    analyst_secret: Vec<u8>,
    lead: String,
    lead_secret: Vec<u8>,
    rm: String,
    rm_secret: Vec<u8>,
    employee: String,
    integration: String,
}

async fn set_up_people(install: &Install, api: &Api) -> People {
    let admin_otp = install.add_user("daniel", &["admin"], Some("S-1002"));
    let analyst_otp = install.add_user("marta", &["analyst", "approver"], Some("S-1001"));
    let lead_otp = install.add_user("hannah", &["approver"], Some("S-1003"));
    let rm_otp = install.add_user(
        "greta",
        &["approver", "relationship_manager"],
        Some("S-1007"),
    );
    let employee_otp = install.add_user("priya", &["employee"], None);
    let (admin, _) = api.set_up("daniel", &admin_otp, true).await;
    let (analyst, analyst_secret) = api.set_up("marta", &analyst_otp, true).await;
    let (lead, lead_secret) = api.set_up("hannah", &lead_otp, true).await;
    let (rm, rm_secret) = api.set_up("greta", &rm_otp, true).await;
    let (employee, _) = api.set_up("priya", &employee_otp, false).await;
    let created = api
        .post(
            "/api/v1/accounts",
            Some(&admin),
            json!({"username": "helpdesk-tool", "roles": ["integration"]}),
        )
        .await
        .expect(201);
    let tool = created["account"]["id"].as_str().unwrap();
    let token = api
        .post(
            "/api/v1/tokens",
            Some(&admin),
            json!({"account_id": tool, "name": "ticketing"}),
        )
        .await
        .expect(201);
    People {
        admin,
        analyst,
        analyst_secret: analyst_secret.unwrap(),
        lead,
        lead_secret: lead_secret.unwrap(),
        rm,
        rm_secret: rm_secret.unwrap(),
        employee,
        integration: token["token"].as_str().unwrap().to_owned(),
    }
}

fn controls(case: &Value) -> Vec<(String, String)> {
    case["case"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["control"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn state(case: &Value) -> &str {
    case["case"]["state"].as_str().unwrap()
}

async fn journeys(install: Install) {
    install.load_directory();
    let vendor_key = install.enrol_vendor_key("bluepeak", "bluepeak.key");
    let stranger_key = install.dir.join("stranger.key");
    install.ok(&["vendor", "keygen", "--out", stranger_key.to_str().unwrap()]);
    let sink = SmtpSink::start().await;
    let hook_port = Receiver::free_port();
    let server = Server::start(
        &install,
        &format!(
            "smtp_relay = \"smtp://127.0.0.1:{}\"\ncode_sender = \"Northwind IT <it-security@northwind-health.example>\"\nwebhook_retry = \"200ms\"",
            sink.port
        ),
        &[],
    );
    let api = Api::new(&server.base);
    let people = set_up_people(&install, &api).await;

    // A help-desk tool subscribes while its receiver is down: every event
    // must still arrive once it comes up.
    let hook = api
        .post(
            "/api/v1/webhooks",
            Some(&people.admin),
            json!({"url": format!("http://127.0.0.1:{hook_port}/hook"), "events": ["*"]}),
        )
        .await
        .expect(201);
    let hook_secret = hook["secret"].as_str().unwrap().to_owned();
    let hook_id = hook["webhook"]["id"].as_str().unwrap().to_owned();

    // A message spoofing our own domain is quarantined and kept; no case.
    let spoof = api
        .post_eval_message(&people.integration, "064-spoof-org-helpdesk.eml")
        .await;
    assert_eq!(spoof["verdict"], "quarantine", "{spoof}");
    assert!(spoof.get("case_id").is_none());
    assert!(
        spoof["authentication_results"]
            .as_str()
            .unwrap()
            .contains("dmarc=fail")
    );
    let kept = api
        .get(
            &format!("/api/v1/messages/{}", spoof["message_id"].as_str().unwrap()),
            Some(&people.analyst),
        )
        .await
        .ok();
    assert_eq!(kept["raw_kept"], true);
    assert_eq!(kept["verdict"], "quarantine");

    // An authentic high-risk request is held until callback and code pass.
    let held = api
        .post_eval_message(&people.integration, "036-kestrel-password-reset.eml")
        .await;
    assert_eq!(held["verdict"], "hold", "{held}");
    let case_id = held["case_id"].as_str().unwrap().to_owned();
    let case_path = format!("/api/v1/cases/{case_id}");
    let case = api.get(&case_path, Some(&people.integration)).await.ok();
    assert_eq!(state(&case), "pending");
    assert_eq!(
        controls(&case),
        [
            ("callback".into(), "pending".into()),
            ("one_time_code".into(), "pending".into())
        ]
    );
    assert_eq!(
        case["case"]["claimed"]["email"],
        "ben.hollis@kestrelid.test"
    );
    assert_eq!(case["verification"]["call"][0]["address"], "+15555550152");
    // Only the directory's number may be used for the callback.
    let refused = api
        .post(
            &format!("{case_path}/callback"),
            Some(&people.analyst),
            json!({"number": "+15555559999", "outcome": "confirmed"}),
        )
        .await
        .expect(422);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("directory number"),
        "{refused}"
    );
    // Nobody acts on a held request: release is refused until verified.
    api.post(
        &format!("{case_path}/release"),
        Some(&people.analyst),
        json!(null),
    )
    .await
    .expect(409);
    let after_call = api
        .post(
            &format!("{case_path}/callback"),
            Some(&people.analyst),
            json!({"number": "+1 555 555 0152", "outcome": "confirmed"}),
        )
        .await
        .ok();
    assert_eq!(controls(&after_call)[0].1, "satisfied");
    api.post(
        &format!("{case_path}/code"),
        Some(&people.analyst),
        json!({"channel": "email"}),
    )
    .await
    .ok();
    let code = sink.code_for("ben.hollis@kestrelid.test").await;
    assert_eq!(code.len(), 8);
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let refused = api
        .post(
            &format!("{case_path}/code/verify"),
            Some(&people.analyst),
            json!({"code": wrong}),
        )
        .await
        .expect(422);
    assert!(
        refused["detail"].as_str().unwrap().contains("wrong"),
        "{refused}"
    );
    let verified = api
        .post(
            &format!("{case_path}/code/verify"),
            Some(&people.analyst),
            json!({"code": code}),
        )
        .await
        .ok();
    assert_eq!(state(&verified), "verified");
    // A replayed code is refused.
    api.post(
        &format!("{case_path}/code/verify"),
        Some(&people.analyst),
        json!({"code": code}),
    )
    .await
    .expect(409);
    let released = api
        .post(
            &format!("{case_path}/release"),
            Some(&people.analyst),
            json!(null),
        )
        .await
        .ok();
    assert_eq!(state(&released), "released");

    // A privileged vendor asking for admin rights needs all four controls.
    let held = api
        .post_eval_message(&people.integration, "044-bluepeak-admin-rights.eml")
        .await;
    assert_eq!(held["verdict"], "hold", "{held}");
    let priv_path = format!("/api/v1/cases/{}", held["case_id"].as_str().unwrap());
    let case = api.get(&priv_path, Some(&people.analyst)).await.ok();
    let names: Vec<String> = controls(&case).into_iter().map(|c| c.0).collect();
    assert_eq!(
        names,
        [
            "callback",
            "one_time_code",
            "vendor_signature",
            "dual_approval"
        ]
    );
    api.post(
        &format!("{priv_path}/callback"),
        Some(&people.analyst),
        json!({"number": "+15555550142", "outcome": "confirmed"}),
    )
    .await
    .ok();
    api.post(
        &format!("{priv_path}/code"),
        Some(&people.analyst),
        json!({"channel": "email", "destination": "marcus.feld@bluepeak-ms.example"}),
    )
    .await
    .ok();
    let code = sink.code_for("marcus.feld@bluepeak-ms.example").await;
    api.post(
        &format!("{priv_path}/code/verify"),
        Some(&people.analyst),
        json!({"code": code}),
    )
    .await
    .ok();
    let challenge = api
        .post(
            &format!("{priv_path}/challenge"),
            Some(&people.analyst),
            json!(null),
        )
        .await
        .expect(201);
    let challenge_file = install.dir.join("challenge.json");
    std::fs::write(&challenge_file, challenge.to_string()).unwrap();
    let sign = |key: &std::path::Path| {
        install
            .ok(&[
                "vendor",
                "sign",
                "--key",
                key.to_str().unwrap(),
                challenge_file.to_str().unwrap(),
            ])
            .trim()
            .to_owned()
    };
    // A key the vendor never enrolled is refused.
    let refused = api
        .post(
            &format!("{priv_path}/signature"),
            Some(&people.integration),
            json!({"jws": sign(&stranger_key)}),
        )
        .await
        .expect(422);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("not a valid enrolled key"),
        "{refused}"
    );
    let jws = sign(&vendor_key);
    let signed = api
        .post(
            &format!("{priv_path}/signature"),
            Some(&people.integration),
            json!({"jws": jws}),
        )
        .await
        .ok();
    assert_eq!(controls(&signed)[2].1, "satisfied");
    // Replayed signature.
    let replay = api
        .post(
            &format!("{priv_path}/signature"),
            Some(&people.integration),
            json!({"jws": jws}),
        )
        .await;
    assert!(matches!(replay.status, 409 | 422), "{replay:?}");
    // Approvals: the analyst who worked the case cannot approve it.
    let refused = api
        .post(
            &format!("{priv_path}/approvals"),
            Some(&people.analyst),
            json!({"capacity": "approver", "totp": code_now(&people.analyst_secret, 0)}),
        )
        .await
        .expect(403);
    assert!(
        refused["detail"].as_str().unwrap().contains("analyst"),
        "{refused}"
    );
    // An employee may not approve at all.
    api.post(
        &format!("{priv_path}/approvals"),
        Some(&people.employee),
        json!({"capacity": "approver", "totp": "123456"}),
    )
    .await
    .expect(403);
    // A technical lead is not the vendor's relationship manager.
    api.post(
        &format!("{priv_path}/approvals"),
        Some(&people.lead),
        json!({"capacity": "relationship_manager", "totp": code_now(&people.lead_secret, 0)}),
    )
    .await
    .expect(403);
    // Without a valid TOTP code nothing counts.
    api.post(
        &format!("{priv_path}/approvals"),
        Some(&people.rm),
        json!({"capacity": "relationship_manager", "totp": "000000"}),
    )
    .await
    .expect(422);
    // Enrolment used the current step; the next one is still within the
    // accepted skew and has never been used.
    let rm_code = code_now(&people.rm_secret, 1);
    api.post(
        &format!("{priv_path}/approvals"),
        Some(&people.rm),
        json!({"capacity": "relationship_manager", "totp": rm_code}),
    )
    .await
    .ok();
    // One person never gives both signatures, whatever roles they hold.
    let refused = api
        .post(
            &format!("{priv_path}/approvals"),
            Some(&people.rm),
            json!({"capacity": "approver", "totp": code_now(&people.rm_secret, 1)}),
        )
        .await
        .expect(403);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("another person"),
        "{refused}"
    );
    let done = api
        .post(
            &format!("{priv_path}/approvals"),
            Some(&people.lead),
            json!({"capacity": "approver", "totp": code_now(&people.lead_secret, 1)}),
        )
        .await
        .ok();
    assert_eq!(state(&done), "verified", "{done}");
    let approvals = &done["case"]["controls"][3]["approvals"];
    assert_eq!(approvals.as_array().unwrap().len(), 2);

    // A replayed TOTP code never confirms a second approval.
    let second = api
        .post_eval_message(&people.integration, "045-bluepeak-remote-session.eml")
        .await;
    let second_path = format!("/api/v1/cases/{}", second["case_id"].as_str().unwrap());
    let refused = api
        .post(
            &format!("{second_path}/approvals"),
            Some(&people.rm),
            json!({"capacity": "relationship_manager", "totp": rm_code}),
        )
        .await
        .expect(422);
    assert!(
        refused["detail"].as_str().unwrap().contains("already used"),
        "{refused}"
    );
    // The analyst denies it.
    let denied = api
        .post(
            &format!("{second_path}/deny"),
            Some(&people.analyst),
            json!({"reason": "vendor did not request a session"}),
        )
        .await
        .ok();
    assert_eq!(state(&denied), "denied");

    // A phone request by hand: the policy names the controls; the number
    // the caller gave is marked "do not use" and refused for the callback.
    let manual = api
        .post(
            "/api/v1/cases",
            Some(&people.analyst),
            json!({
                "channel": "phone",
                "claim": "Lars from Halvorsen, calling from +1 555 999 0000",
                "vendor_id": "halvorsen",
                "contact_email": "lars.moe@halvorsen-imaging.example",
                "request_kinds": ["remote_access"],
                "summary": "wants a remote session on the imaging server tonight",
                "numbers_given": ["+1 555 999 0000"]
            }),
        )
        .await
        .expect(201);
    let names: Vec<String> = controls(&manual).into_iter().map(|c| c.0).collect();
    assert!(names.contains(&"vendor_signature".to_owned()), "{names:?}");
    assert!(names.contains(&"dual_approval".to_owned()), "{names:?}");
    assert_eq!(manual["verification"]["do_not_call"][0], "+15559990000");
    let manual_path = format!("/api/v1/cases/{}", manual["case"]["id"].as_str().unwrap());
    api.post(
        &format!("{manual_path}/callback"),
        Some(&people.analyst),
        json!({"number": "+15559990000", "outcome": "confirmed"}),
    )
    .await
    .expect(422);

    // An overdue vendor cannot be verified by callback: the case says why.
    let overdue = api
        .post(
            "/api/v1/cases",
            Some(&people.analyst),
            json!({
                "channel": "phone", "claim": "Nadia, Corvid Networks", "vendor_id": "corvid",
                "request_kinds": ["access_grant"], "summary": "VPN account for a new engineer"
            }),
        )
        .await
        .expect(201);
    assert_eq!(overdue["verification"]["can_verify"], false);
    assert!(
        overdue["verification"]["untrusted"]["reason"]
            .as_str()
            .unwrap()
            .contains("overdue"),
        "{overdue}"
    );
    let overdue_path = format!("/api/v1/cases/{}", overdue["case"]["id"].as_str().unwrap());
    let refused = api
        .post(
            &format!("{overdue_path}/callback"),
            Some(&people.analyst),
            json!({"number": "+15555550152", "outcome": "confirmed"}),
        )
        .await
        .expect(409);
    assert!(
        refused["detail"].as_str().unwrap().contains("review"),
        "{refused}"
    );

    // Timeline: every step audited with who and from where.
    let timeline = api
        .get(&format!("{case_path}/timeline"), Some(&people.analyst))
        .await
        .ok();
    let actions: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "case.opened",
        "case.refused",
        "case.callback_recorded",
        "case.code_issued",
        "case.code_rejected",
        "case.verified",
        "case.released",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }

    // Polling works as well as webhooks.
    let page = api
        .get("/api/v1/cases?limit=2", Some(&people.integration))
        .await
        .ok();
    assert_eq!(page["cases"].as_array().unwrap().len(), 2);
    let next = page["next_since"].as_str().unwrap();
    let rest = api
        .get(
            &format!("/api/v1/cases?since={next}"),
            Some(&people.integration),
        )
        .await
        .ok();
    assert_eq!(rest["cases"].as_array().unwrap().len(), 3);

    // Now the receiver comes up: everything queued arrives, signed.
    let receiver = Receiver::default();
    let stop = receiver.start(hook_port).await;
    let got = receiver
        .wait_for(30, |d| {
            let kinds: Vec<&str> = d.iter().map(|x| x.event_type.as_str()).collect();
            kinds.iter().filter(|k| **k == "case.opened").count() >= 5
                && kinds.contains(&"case.verified")
                && kinds.contains(&"case.released")
                && kinds.contains(&"case.denied")
                && kinds
                    .iter()
                    .filter(|k| **k == "case.control_satisfied")
                    .count()
                    >= 6
        })
        .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for d in &got {
        countersign_notify::webhook::verify_signature(
            &hook_secret,
            &d.signature,
            d.body.as_bytes(),
            now,
            300,
        )
        .unwrap_or_else(|e| panic!("delivery {} badly signed: {e}", d.event_id));
        let body: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["id"], d.event_id.as_str());
        assert_eq!(body["type"], d.event_type.as_str());
        assert!(
            !d.body.contains("argon2"),
            "a code hash leaked into a webhook"
        );
    }
    let log = api
        .get(
            &format!("/api/v1/webhooks/{hook_id}/deliveries"),
            Some(&people.admin),
        )
        .await
        .ok();
    let log = log.as_array().unwrap();
    assert!(log.iter().any(|a| a["status"] == 204));
    assert!(
        log.iter().any(|a| a["error"].is_string()),
        "attempts while the receiver was down are logged"
    );
    drop(stop);

    // Bad input: each gets a problem document naming what was wrong.
    let bad = api
        .send(
            "POST",
            "/api/v1/cases",
            Some(&people.analyst),
            Some("application/json"),
            b"{\"channel\": ".to_vec(),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.content_type, "application/problem+json");
    let bad = api
        .post(
            "/api/v1/cases",
            Some(&people.analyst),
            json!({"channel": "phone", "claim": "x", "summary": "y", "colour": "red"}),
        )
        .await
        .expect(422);
    assert!(bad["detail"].as_str().unwrap().contains("colour"), "{bad}");
    api.send(
        "POST",
        "/api/v1/cases",
        Some(&people.analyst),
        Some("text/plain"),
        b"hello".to_vec(),
    )
    .await
    .expect(415);
    api.send(
        "POST",
        "/api/v1/cases",
        Some(&people.analyst),
        Some("application/json"),
        vec![b' '; 200_000],
    )
    .await
    .expect(413);
    api.get("/api/v1/cases/c_nosuchcase", Some(&people.analyst))
        .await
        .expect(404);
    let bad = api
        .post(
            "/api/v1/cases",
            Some(&people.analyst),
            json!({"channel": "pigeon", "claim": "x", "summary": "y"}),
        )
        .await
        .expect(422);
    assert_eq!(bad["field"], "channel");
    // An unparsable message still gets its verdict and is kept.
    let junk = api
        .send(
            "POST",
            "/api/v1/messages?client_ip=203.0.113.7&helo=x&mail_from=",
            Some(&people.integration),
            Some("message/rfc822"),
            b"\x00\x01 not a message at all".to_vec(),
        )
        .await
        .ok();
    assert_eq!(junk["verdict"], "quarantine", "{junk}");
    let bad = api
        .send(
            "POST",
            "/api/v1/messages?client_ip=not-an-ip",
            Some(&people.integration),
            Some("message/rfc822"),
            b"From: a@b.example\r\n\r\nhi\r\n".to_vec(),
        )
        .await
        .expect(422);
    assert!(
        bad["detail"].as_str().unwrap().contains("not-an-ip"),
        "{bad}"
    );

    // Sign-in throttling: five failures lock the account; an administrator lifts it.
    for _ in 0..5 {
        api.post(
            "/api/v1/session",
            None,
            json!({"username": "priya", "password": "wrong-password-123"}),
        )
        .await
        .expect(401);
    }
    let locked = api
        .post(
            "/api/v1/session",
            None,
            json!({"username": "priya", "password": support::password_of("priya")}),
        )
        .await
        .expect(429);
    assert!(
        locked["detail"].as_str().unwrap().contains("locked"),
        "{locked}"
    );
    // Posture: a DMARC aggregate report ingested from the CLI is what
    // administrators read through the API; nobody else may.
    let sample = support::repo().join(
        "../shared/corpora/dmarc-parsedmarc-samples/aggregate/!example.com!1538204542!1538463818.xml",
    );
    install.ok(&["dmarc", "ingest", sample.to_str().unwrap()]);
    let domains = api
        .get("/api/v1/posture/domains", Some(&people.admin))
        .await
        .ok();
    assert!(
        domains
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["domain"] == "example.com"),
        "{domains}"
    );
    let sources = api
        .get(
            "/api/v1/posture/sources?domain=example.com",
            Some(&people.admin),
        )
        .await
        .ok();
    assert!(
        !sources["sources"].as_array().unwrap().is_empty()
            && sources["total"]["messages"].as_u64() > Some(0),
        "{sources}"
    );
    api.get("/api/v1/posture/sources?days=0", Some(&people.admin))
        .await
        .expect(422);
    api.get("/api/v1/posture/sources?colour=red", Some(&people.admin))
        .await
        .expect(422);
    api.get("/api/v1/posture/sources", Some(&people.analyst))
        .await
        .expect(403);
    // Reports uploaded through the API: packed ones too, each stored once,
    // a broken one named; a month of clean reports (the baseline of the
    // alert checked at the end).
    let upload = |name: &str, bytes: Vec<u8>, token: String| {
        let api = &api;
        let path = format!("/api/v1/posture/reports?name={name}");
        async move {
            api.send(
                "POST",
                &path,
                Some(&token),
                Some("application/octet-stream"),
                bytes,
            )
            .await
        }
    };
    let zipped = support::repo().join(
        "../shared/corpora/dmarc-parsedmarc-samples/aggregate/estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip",
    );
    let first = upload(
        "sample.zip",
        std::fs::read(&zipped).unwrap(),
        people.admin.clone(),
    )
    .await
    .ok();
    assert_eq!(first["reports"][0]["status"], "stored", "{first}");
    assert_eq!(first["reports"][0]["via"], "zip/xml", "{first}");
    let again = upload(
        "sample.zip",
        std::fs::read(&zipped).unwrap(),
        people.admin.clone(),
    )
    .await
    .ok();
    assert_eq!(again["reports"][0]["status"], "duplicate", "{again}");
    let broken = upload(
        "broken.xml",
        b"<feedback><report_metadata>".to_vec(),
        people.admin.clone(),
    )
    .await
    .ok();
    assert_eq!(broken["reports"][0]["status"], "error", "{broken}");
    assert!(
        broken["reports"][0]["error"]
            .as_str()
            .unwrap()
            .contains("upload:broken.xml"),
        "{broken}"
    );
    upload("x.xml", b"<feedback/>".to_vec(), people.analyst.clone())
        .await
        .expect(403);
    for day in 0..28 {
        let x = support::report_xml(
            "up.example",
            &format!("up-{day}"),
            day,
            &[("192.0.2.1", 100, true)],
        );
        let run = upload("base.xml", x.into_bytes(), people.admin.clone())
            .await
            .ok();
        assert_eq!(run["alerts"].as_array().unwrap().len(), 0, "{run}");
    }
    let accounts = api.get("/api/v1/accounts", Some(&people.admin)).await.ok();
    let priya = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "priya")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(
        &format!("/api/v1/accounts/{priya}/unlock"),
        Some(&people.admin),
        json!(null),
    )
    .await
    .ok();
    api.post(
        "/api/v1/session",
        None,
        json!({"username": "priya", "password": support::password_of("priya")}),
    )
    .await
    .expect(201);
    // Sign-out revokes the session.
    api.delete("/api/v1/session", Some(&people.employee))
        .await
        .expect(204);
    api.get("/api/v1/me", Some(&people.employee))
        .await
        .expect(401);

    let metrics = api.get("/metrics", None).await;
    let text = metrics.body.as_str().unwrap();
    assert!(text.contains("countersign_messages_total"), "{text}");
    assert!(text.contains("verdict=\"hold\""), "{text}");

    assert!(server.stop(), "graceful shutdown");
    let verify = install.cli(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "audit chain: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let log = install.ok(&["audit", "log", "--json", "--limit", "100000"]);
    for action in [
        "signin.failure",
        "account.locked",
        "account.unlocked",
        "message.verdict",
        "case.denied",
    ] {
        assert!(log.contains(action), "{action} not audited");
    }

    // A case nobody verifies in time expires, and says so to webhooks.
    let server = Server::start(
        &install,
        &format!(
            "case_lifetime = \"2s\"\nsmtp_relay = \"smtp://127.0.0.1:{}\"\nwebhook_retry = \"200ms\"",
            sink.port
        ),
        &[],
    );
    let api = Api::new(&server.base);
    let stop = receiver.start(hook_port).await;
    let held = api
        .post_eval_message(&people.integration, "036-kestrel-password-reset.eml")
        .await;
    let path = format!("/api/v1/cases/{}", held["case_id"].as_str().unwrap());
    tokio::time::sleep(Duration::from_secs(5)).await;
    let expired = api.get(&path, Some(&people.analyst)).await.ok();
    assert_eq!(state(&expired), "expired", "{expired}");
    api.post(
        &format!("{path}/callback"),
        Some(&people.analyst),
        json!({"number": "+15555550152", "outcome": "confirmed"}),
    )
    .await
    .expect(409);
    // A month of clean reports was uploaded above; now a new source fails
    // alignment: the alert is in the answer and goes to subscribers.
    let x = support::report_xml(
        "up.example",
        "up-28",
        28,
        &[("192.0.2.1", 100, true), ("203.0.113.66", 80, false)],
    );
    let run = api
        .send(
            "POST",
            "/api/v1/posture/reports?name=new.xml",
            Some(&people.admin),
            Some("application/xml"),
            x.into_bytes(),
        )
        .await
        .ok();
    assert!(
        run["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["message"].as_str().unwrap().contains("203.0.113.66")),
        "{run}"
    );
    let got = receiver
        .wait_for(20, |d| {
            d.iter().any(|x| x.event_type == "case.expired")
                && d.iter().any(|x| {
                    x.event_type == "posture.alert.new_unaligned_source"
                        && x.body.contains("203.0.113.66")
                })
        })
        .await;
    // Each alert reached the subscriber, under a stable event ID.
    let alerts: Vec<&support::Delivery> = got
        .iter()
        .filter(|d| d.event_type == "posture.alert.new_unaligned_source")
        .collect();
    assert!(
        alerts
            .iter()
            .all(|a| a.event_id.starts_with("evt_posture_"))
    );
    assert!(
        alerts.iter().any(|a| a.body.contains("203.0.113.66")),
        "{alerts:?}"
    );
    drop(stop);
    assert!(server.stop());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_journeys_on_sqlite() {
    journeys(Install::sqlite("journeys")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_journeys_on_postgres() {
    let Some(install) = Install::postgres("journeys") else {
        eprintln!("SKIPPED: COUNTERSIGN_TEST_PG_URL is not set");
        return;
    };
    journeys(install).await;
}
