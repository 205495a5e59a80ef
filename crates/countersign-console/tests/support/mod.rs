//! What the console's router tests and its page benchmark share: real
//! `Services` over a real SQLite file (no port, no mock), accounts set up
//! through the real use cases (one-time password changed, TOTP enrolled
//! with codes computed from the secret), and messages and cases written
//! through the store's own insert paths, in batches.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use countersign_accounts::totp;
use countersign_audit::AuditEvent;
use countersign_cases::{
    Case, Channel, ClaimKind, ClaimedIdentity, NewCase, Origin, RequestSummary, claim::MatchedBy,
};
use countersign_console::{ConsoleConfig, ConsoleState, csrf_for_session};
use countersign_model::verdict::Control;
use countersign_service::accounts::NewAccount;
use countersign_service::{Services, Settings};
use countersign_store::{MessageRecord, RecordedMessage, Store};
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

/// A console over a fresh store.
pub struct World {
    /// The use cases.
    pub services: Services,
    /// The console's router.
    pub app: Router,
    /// Where the database lives.
    pub dir: PathBuf,
}

/// A fresh SQLite store and the console over it.
pub async fn world(name: &str) -> World {
    let dir = std::env::temp_dir().join(format!("cs-console-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("countersign.db").display().to_string();
    world_at(&db, dir).await
}

/// The console over the store at `db`.
pub async fn world_at(db: &str, dir: PathBuf) -> World {
    let key = Arc::new(
        countersign_audit::InstallationKey::load_or_create(&dir.join("audit.key")).unwrap(),
    );
    let store = Store::open(db).await.unwrap().with_signer(key);
    let rules = countersign_pipeline::Rules::load(None, None).unwrap();
    let resolver =
        countersign_dns::resolver::DnsResolver::new(&countersign_dns::resolver::ResolverSettings {
            servers: vec!["127.0.0.1:9".parse().unwrap()],
            ..countersign_dns::resolver::ResolverSettings::default()
        })
        .unwrap();
    let pipeline = countersign_pipeline::Pipeline::new(
        countersign_auth::Authenticator::new(Arc::new(resolver), "countersign.test"),
        None,
    );
    let services = Services::new(
        store,
        rules,
        pipeline,
        countersign_notify::codes::CodeSender::new(None, None, None, None).unwrap(),
        Settings::default(),
        Arc::new(countersign_service::metrics::Metrics::default()),
    )
    .await
    .unwrap();
    let app = countersign_console::router(ConsoleState {
        services: services.clone(),
        config: ConsoleConfig::default(),
    });
    World { services, app, dir }
}

/// A signed-in, set-up account: its session token and CSRF token.
pub struct Person {
    pub username: String,
    pub session: String,
    pub csrf: String,
    pub totp_secret: Option<Vec<u8>>,
}

impl World {
    /// Creates `username` with `roles`, changes its one-time password,
    /// enrols TOTP when the role needs it, and signs in.
    pub async fn person(&self, username: &str, roles: &[&str]) -> Person {
        self.person_with(username, roles, None, None).await
    }

    /// As [`World::person`], tied to a directory staff ID or employee ID.
    pub async fn person_with(
        &self,
        username: &str,
        roles: &[&str],
        staff_id: Option<&str>,
        employee_id: Option<&str>,
    ) -> Person {
        let s = &self.services;
        let created = s
            .create_account(
                "test",
                NewAccount {
                    username: username.into(),
                    display_name: None,
                    roles: roles.iter().map(|r| r.to_string()).collect(),
                    staff_id: staff_id.map(str::to_owned),
                    employee_id: employee_id.map(str::to_owned),
                },
            )
            .await
            .unwrap();
        let first = s
            .sign_in(username, &created.one_time_password, None, "127.0.0.1")
            .await
            .unwrap();
        let p = s.authenticate(&first.token, "127.0.0.1").await.unwrap();
        let password = PASSWORD.to_owned();
        s.change_password(&p, &created.one_time_password, &password)
            .await
            .unwrap();
        let mut totp_secret = None;
        if p.roles.requires_mfa() {
            let p = s.authenticate(&first.token, "127.0.0.1").await.unwrap();
            let setup = s.start_totp(&p).await.unwrap();
            let secret = data_encoding::BASE32_NOPAD
                .decode(setup.secret_base32.trim_end_matches('=').as_bytes())
                .unwrap();
            let p = s.authenticate(&first.token, "127.0.0.1").await.unwrap();
            let code = totp::code_at(&secret, now_unix()).unwrap();
            s.confirm_totp(&p, &code).await.unwrap();
            totp_secret = Some(secret);
        }
        // The setup session becomes a full one once set up.
        let session = first.token;
        Person {
            username: username.into(),
            csrf: csrf_for_session(&session),
            session,
            totp_secret,
        }
    }

    /// The first two security administrators (S-1001, S-1002) written into
    /// the directory as `countersign directory init` does, and their
    /// console accounts.
    pub async fn two_admins(&self) -> (Person, Person) {
        let clock = countersign_directory::SystemClock;
        let dir = countersign_directory::Directory::new(self.services.store(), &clock);
        for (id, name) in [("S-1001", "Priya Raman"), ("S-1002", "Lee Hart")] {
            dir.bootstrap(
                Some(countersign_directory::Organisation {
                    name: "Acme".into(),
                    domains: vec!["acme.example".into()],
                    review_interval_days: 90,
                }),
                countersign_directory::Staff {
                    staff_id: id.into(),
                    name: name.into(),
                    photo: None,
                    email: format!("{}@acme.example", id.to_ascii_lowercase()),
                    phone: "+15555550102".into(),
                    role: countersign_directory::SECURITY_ADMIN_ROLE.into(),
                    team: "security".into(),
                    status: countersign_directory::StaffStatus::Active,
                },
            )
            .await
            .unwrap();
        }
        (
            self.person_with("priya", &["security_admin"], Some("S-1001"), None)
                .await,
            self.person_with("lee", &["security_admin"], Some("S-1002"), None)
                .await,
        )
    }

    /// Sends a request to the console; answers status, headers, body.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
            .await
            .unwrap();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    /// GET `path` as `who`.
    pub async fn get(
        &self,
        who: Option<&Person>,
        path: &str,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut b = Request::get(path);
        if let Some(p) = who {
            b = b.header(header::COOKIE, format!("cs_session={}", p.session));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// POST a form to `path` as `who`; `csrf` is added unless `None`.
    pub async fn post(
        &self,
        who: &Person,
        path: &str,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            s.append_pair(k, v);
        }
        if let Some(c) = csrf {
            s.append_pair("csrf", c);
        }
        self.send(
            Request::post(path)
                .header(header::COOKIE, format!("cs_session={}", who.session))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(s.finish()))
                .unwrap(),
        )
        .await
    }
}

/// The password every test account ends up with.
pub const PASSWORD: &str = "Correct-Horse-Battery-2026";

pub fn now_unix() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp() as u64
}

const VERDICTS: [&str; 5] = ["deliver", "flag", "hold", "quarantine", "reject"];

/// A recorded message `i` (deterministic), received at `at`; every tenth
/// is held and opens a case (when `cases` still allows).
pub fn synthetic(i: usize, at: time::OffsetDateTime, open_case: bool) -> RecordedMessage {
    let verdict = if open_case {
        "hold"
    } else {
        VERDICTS[i % VERDICTS.len()]
    };
    let id = format!("m_bench_{i:08}");
    let from = format!("sender{}@vendor{}.example", i % 500, i % 50);
    let subject = format!("Request {i}: please reset the MFA of user {}", i % 977);
    let (from, subject) = (from.as_str(), subject.as_str());
    let mut findings = vec![
        serde_json::json!({"signal": "request.mfa_reset", "summary": "asks to reset multi-factor authentication", "evidence": "reset the MFA"}),
    ];
    // Every seventh imitates someone: one of 12 vendors, most often the first.
    if i.is_multiple_of(7) {
        let who = (i / 7) % 12;
        let who = if who > 6 { 0 } else { who };
        findings.push(
            serde_json::json!({"signal": "impersonation.lookalike_domain",
            "summary": format!("sender domain imitates vendor{who}.example"),
            "target": format!("Vendor {who} (vendor)")}),
        );
    }
    let document = serde_json::json!({
        "spf": {"result": "pass", "domain": format!("vendor{}.example", i % 50), "identity": "mailfrom"},
        "dkim": [{"domain": format!("vendor{}.example", i % 50), "selector": "s1", "algorithm": "ed25519-sha256", "result": "pass"}],
        "arc": {"result": "none", "instances": 0, "sealers": []},
        "dmarc": {"result": "pass", "policy": "reject", "from_domain": format!("vendor{}.example", i % 50), "spf_aligned": true, "dkim_aligned": true},
        "authentication_results": "countersign.test; spf=pass; dkim=pass; dmarc=pass",
        "errors": [],
        "verdict": verdict,
        "reasons": ["a high-risk request (MFA reset) needs verification before action"],
        "required_controls": if open_case { vec!["callback", "one_time_code"] } else { vec![] },
        "rules": ["high-risk-request"],
        "findings": findings,
    });
    let summary = serde_json::json!({"from_address": from, "subject": subject, "phone_numbers": ["+15550100"]});
    let case = open_case.then(|| {
        let (case, _) = Case::open(
            NewCase {
                id: format!("c_bench_{i:08}"),
                origin: Origin::Message {
                    message_id: id.clone(),
                },
                channel: Channel::Email,
                claimed: ClaimedIdentity {
                    kind: ClaimKind::Unknown,
                    matched_by: MatchedBy::Nothing,
                    claim: from.to_owned(),
                    vendor_id: None,
                    vendor_name: None,
                    person_name: None,
                    email: None,
                    staff_id: None,
                    employee_id: None,
                },
                request: RequestSummary {
                    kinds: vec!["mfa_reset".into()],
                    summary: subject.to_owned(),
                },
                request_digest: format!("{i:064x}"),
                reasons: vec!["a high-risk request needs verification".into()],
                do_not_call: vec!["+15550100".into()],
                // Every third also needs two approvals (the approvers' page).
                controls: if i.is_multiple_of(3) {
                    vec![
                        Control::Callback,
                        Control::OneTimeCode,
                        Control::DualApproval,
                    ]
                } else {
                    vec![
                        Control::Callback,
                        Control::OneTimeCode,
                        Control::VendorSignature,
                    ]
                },
            },
            at,
            time::Duration::hours(72),
        );
        case
    });
    RecordedMessage {
        message: MessageRecord {
            id: id.clone(),
            received_at: at,
            source: "smtp".into(),
            client_ip: "192.0.2.1".into(),
            helo: "mx.vendor.example".into(),
            mail_from: from.to_owned(),
            rcpt: vec!["helpdesk@acme.example".into()],
            from_address: Some(from.to_owned()),
            subject: Some(subject.to_owned()),
            verdict: verdict.into(),
            document: document.to_string(),
            summary: summary.to_string(),
            digest: vec![0; 32],
            // Kept for what is held back, as the service keeps it.
            raw: matches!(verdict, "hold" | "quarantine" | "reject").then(|| {
                format!(
                    "From: Support <{from}>\r\nTo: helpdesk@acme.example\r\nSubject: {subject}\r\n\r\n\
                     Please reset the MFA of user {}. Call +1 555 0100 or see\r\n\
                     <a href=\"https://login.vendor{}.example.attacker.test/x\">https://login.vendor{}.example</a>\r\n",
                    i % 977,
                    i % 50,
                    i % 50
                )
                .into_bytes()
            }),
            case_id: case.as_ref().map(|c| c.id.clone()),
        },
        audit: vec![AuditEvent::new(
            at,
            "bench",
            "message.verdict",
            format!("message:{id}"),
            serde_json::json!({ "verdict": verdict }),
        )],
        case,
        published: Vec::new(),
        // Recorded through SMTP ingress: what is quarantined is listed.
        envelope_digest: Some(format!("bench-envelope-{i:020}").into_bytes()),
        relay: None,
        sighting: None,
    }
}

/// Writes `messages` messages (every `messages / cases`-th held with a
/// case), spread one second apart ending now, in batches of 2,000.
pub async fn fill(store: &Store, messages: usize, cases: usize) {
    let start = time::OffsetDateTime::now_utc() - time::Duration::seconds(messages as i64);
    let every = messages.checked_div(cases).map_or(usize::MAX, |n| n.max(1));
    let mut batch = Vec::with_capacity(2000);
    for i in 0..messages {
        let at = start + time::Duration::seconds(i as i64);
        batch.push(synthetic(i, at, i % every == 0 && i / every < cases));
        if batch.len() == 2000 {
            store
                .record_messages(std::mem::take(&mut batch))
                .await
                .unwrap();
        }
    }
    if !batch.is_empty() {
        store.record_messages(batch).await.unwrap();
    }
}
