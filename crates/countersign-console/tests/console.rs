//! The console's router driven without a port over real `Services` and a
//! real SQLite file: security headers, CSRF refusal, role refusal, the
//! access table, sign-in through the form, the queue's filters and pages,
//! and the case and message views.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use countersign_console::{CSP, PAGES};
use support::world;

fn location(h: &axum::http::HeaderMap) -> &str {
    h.get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn every_page_carries_a_strict_csp_and_no_inline_script_or_style() {
    let w = world("csp").await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 30, 3).await;
    for (who, path) in [
        (None, "/console/signin"),
        (Some(&analyst), "/console/queue"),
        (Some(&analyst), "/console/overview"),
        (Some(&analyst), "/console/quarantine"),
        (Some(&analyst), "/console/messages/m_bench_00000000"),
        (Some(&analyst), "/console/cases/c_bench_00000000"),
        (Some(&analyst), "/console/report"),
        (Some(&analyst), "/console/reports"),
    ] {
        let (status, h, body) = w.get(who, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(h["content-security-policy"], CSP, "{path}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(!CSP.contains("unsafe-inline") && CSP.contains("default-src 'none'"));
        let lower = body.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{path} has a script");
        assert!(!lower.contains(" style="), "{path} has an inline style");
        assert!(!lower.contains("<style"), "{path} has a style element");
        for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "url("] {
            assert!(
                !lower.contains(attr),
                "{path} refers to something remote ({attr})"
            );
        }
    }
    let (status, h, css) = w.get(None, "/console/assets/console.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.contains(":focus-visible"));
    assert!(!css.contains("@import") && !css.contains("url("));
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_every_route_has_a_rule() {
    let w = world("anon").await;
    for p in PAGES {
        let path = p.path.replace("{id}", "x_missing");
        let req = Request::builder()
            .method(p.method)
            .uri(&path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::empty())
            .unwrap();
        let (status, h, body) = w.send(req).await;
        match p.access {
            countersign_console::Access::Public => {
                assert_ne!(
                    status,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{} {path}",
                    p.method
                );
                assert_ne!(status, StatusCode::NOT_FOUND, "{} {path}", p.method);
            }
            _ => {
                assert_eq!(status, StatusCode::SEE_OTHER, "{} {path}: {body}", p.method);
                assert_eq!(location(&h), "/console/signin");
            }
        }
    }
}

#[tokio::test]
async fn a_route_missing_from_the_access_table_is_refused_not_served() {
    // Every form target the pages render is in PAGES (the guard answers 500
    // for one that is not): walk the forms of a case page and the queue.
    let w = world("table").await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 20, 2).await;
    // Case 0 needs two approvals, case 10 a vendor signature: their forms differ.
    for path in [
        "/console/cases/c_bench_00000000",
        "/console/cases/c_bench_00000010",
        "/console/queue",
        "/console/report",
    ] {
        let (_, _, body) = w.get(Some(&analyst), path).await;
        for action in body
            .split("action=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            let method = if body.contains(&format!("method=\"post\" action=\"{action}\"")) {
                "POST"
            } else {
                "GET"
            };
            let template = action
                .split('/')
                .map(|seg| if seg.starts_with("c_") { "{id}" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            assert!(
                countersign_console::page_spec(method, &template).is_some(),
                "{method} {template} (a form on {path}) has no access rule"
            );
        }
    }
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused() {
    let w = world("csrf").await;
    let analyst = w.person("ana", &["analyst"]).await;
    // No token: refused, and the session still works.
    let (status, _, body) = w.post(&analyst, "/console/signout", &[], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Form refused"), "{body}");
    // Another session's token: refused.
    let other = countersign_console::csrf_for_session("cs_sess_someone_else");
    let (status, _, _) = w
        .post(&analyst, "/console/signout", &[], Some(&other))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = w.get(Some(&analyst), "/console/queue").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused sign-out changed nothing"
    );
    // With it: signed out, and the session is over.
    let (status, h, _) = w
        .post(&analyst, "/console/signout", &[], Some(&analyst.csrf))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        h[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, h, _) = w.get(Some(&analyst), "/console/queue").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/console/signin");

    // Before sign-in: the form's token must match the pre-sign-in cookie.
    let form = "username=ana&password=x&csrf=abc";
    for cookie in [None, Some("cs_pre=zzz")] {
        let mut b = Request::post("/console/signin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        let (status, _, _) = w.send(b.body(Body::from(form)).unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "cookie {cookie:?}");
    }
}

#[tokio::test]
async fn a_page_of_one_role_opened_by_another_is_refused() {
    let w = world("roles").await;
    let analyst = w.person("ana", &["analyst"]).await;
    let employee = w.person("emma", &["employee"]).await;
    let approver = w.person("abe", &["approver"]).await;
    support::fill(w.services.store(), 20, 2).await;
    for (who, path) in [
        (&employee, "/console/queue"),
        (&employee, "/console/quarantine"),
        (&employee, "/console/cases/c_bench_00000000"),
        (&employee, "/console/messages/m_bench_00000000"),
        (&employee, "/console/approvals"),
        (&analyst, "/console/approvals"),
        (&analyst, "/console/directory"),
        (&approver, "/console/directory"),
        (&analyst, "/console/campaigns"),
        (&employee, "/console/audit"),
        (&employee, "/console/triage"),
        (&approver, "/console/triage"),
        (&analyst, "/console/it"),
        (&approver, "/console/queue"),
        (&approver, "/console/messages/m_bench_00000000"),
    ] {
        let (status, _, body) = w.get(Some(who), path).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{} opened {path}",
            who.username
        );
        assert!(body.contains("Not for your role"), "{body}");
    }
    // A form of another role, with a valid token, is refused too.
    let (status, _, _) = w
        .post(
            &analyst,
            "/console/quarantine/m_bench_00000003/release",
            &[("reason", "looks fine")],
            Some(&analyst.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = w
        .post(
            &employee,
            "/console/cases/c_bench_00000000/callback",
            &[("number", "+15550100"), ("outcome", "confirmed")],
            Some(&employee.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // And each role's own page opens.
    assert_eq!(
        w.get(Some(&analyst), "/console/queue").await.0,
        StatusCode::OK
    );
    assert_eq!(
        w.get(Some(&approver), "/console/approvals").await.0,
        StatusCode::OK
    );
    assert_eq!(
        w.get(Some(&employee), "/console/it").await.0,
        StatusCode::OK
    );
    assert_eq!(
        w.get(Some(&approver), "/console/cases/c_bench_00000000")
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_in_through_the_form_sets_a_strict_http_only_cookie() {
    let w = world("signin").await;
    let _ = w.person("ana", &["analyst"]).await;
    let (status, h, body) = w.get(None, "/console/signin").await;
    assert_eq!(status, StatusCode::OK);
    let pre = h[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Strict"));
    let pre_value = pre
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("cs_pre=")
        .unwrap()
        .to_owned();
    assert!(body.contains(&format!("value=\"{pre_value}\"")));
    let send = |password: &str| {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("username", "ana")
            .append_pair("password", password)
            .append_pair("csrf", &pre_value)
            .finish();
        Request::post("/console/signin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("cs_pre={pre_value}"))
            .body(Body::from(body))
            .unwrap()
    };
    let (status, _, body) = w.send(send("wrong-password-123")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Refused"), "{body}");
    let (status, h, _) = w.send(send(support::PASSWORD)).await;
    assert_eq!(status, StatusCode::SEE_OTHER,);
    assert_eq!(location(&h), "/console");
    let cookies: Vec<&str> = h
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("cs_session=cs_sess"))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
            && session.contains("Path=/console")
    );
    assert!(!session.contains("Secure"), "plain http in tests");
}

#[tokio::test]
async fn the_queue_filters_and_pages_and_lists_held_cases_oldest_first() {
    let w = world("queue").await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 230, 10).await;
    let (status, _, body) = w.get(Some(&analyst), "/console/queue").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("10 pending in all"), "{body}");
    let first = body.find("c_bench_00000000").unwrap();
    let later = body.find("c_bench_00000023").unwrap();
    assert!(first < later, "oldest case first");
    // Newest message first, 50 per page, and a next page.
    assert!(body.contains("m_bench_00000229"));
    assert!(!body.contains("m_bench_00000179\""));
    let next = body
        .split("rel=\"next\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("next link")
        .replace("&amp;", "&");
    let (status, _, page2) = w.get(Some(&analyst), &next).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page2.contains("m_bench_00000179") && !page2.contains("m_bench_00000229"));
    // By verdict: every row says hold.
    let (_, _, held) = w
        .get(Some(&analyst), "/console/queue?verdict=quarantine")
        .await;
    let rows = held.matches("/console/messages/").count();
    assert!(rows > 0);
    assert_eq!(
        held.matches("</span>quarantine</span>").count(),
        rows,
        "{held}"
    );
    // By sender.
    let (_, _, by_sender) = w
        .get(
            Some(&analyst),
            "/console/queue?sender=sender7%40vendor7.example",
        )
        .await;
    assert!(by_sender.contains("m_bench_00000007"));
    assert!(!by_sender.contains("m_bench_00000008\""));
    // A bad filter is named.
    let (status, _, bad) = w.get(Some(&analyst), "/console/queue?verdict=maybe").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("verdict: one of"), "{bad}");
}

#[tokio::test]
async fn the_case_and_message_views_show_controls_findings_and_numbers_not_to_use() {
    let w = world("case").await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 10, 1).await;
    let (status, _, body) = w
        .get(Some(&analyst), "/console/cases/c_bench_00000000")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Do not use: </strong><s>+15550100</s>"),
        "{body}"
    );
    assert!(body.contains("call back") && body.contains("one-time code"));
    assert!(body.contains("Cannot verify through the directory"));
    assert!(body.contains("Timeline"));
    let (status, _, msg) = w
        .get(Some(&analyst), "/console/messages/m_bench_00000000")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(msg.contains("asks to reset multi-factor authentication"));
    assert!(msg.contains("Do not call: </strong>+15550100"));
    // The message's link is shown as text with its real destination, never as a link.
    assert!(
        msg.contains("<code>login.vendor0.example.attacker.test</code>"),
        "{msg}"
    );
    assert!(!msg.contains("href=\"https://login"));
    assert!(
        msg.contains("&lt;a href="),
        "the HTML is shown escaped, as text"
    );
    // Refusals of the use case come back as a page that names them.
    let (status, _, refused) = w
        .post(
            &analyst,
            "/console/cases/c_bench_00000000/callback",
            &[("number", "+15550100"), ("outcome", "confirmed")],
            Some(&analyst.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(refused.contains("Refused: "));
}

#[tokio::test]
async fn the_audit_page_searches_verifies_the_chain_and_exports() {
    let w = world("audit").await;
    let admin = w.person("lee", &["security_admin"]).await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 40, 4).await;
    let (status, _, body) = w.get(Some(&admin), "/console/audit?action=account.").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("account.password_changed"), "{body}");
    assert!(!body.contains("<code>message.verdict</code>"));
    let (_, _, by_subject) = w
        .get(
            Some(&admin),
            "/console/audit?subject=message%3Am_bench_00000007",
        )
        .await;
    assert_eq!(
        by_subject.matches("<code>message.verdict</code>").count(),
        1
    );
    let (status, _, verified) = w
        .post(&admin, "/console/audit/verify", &[], Some(&admin.csrf))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(verified.contains("Chain intact: "), "{verified}");
    let (status, h, export) = w
        .post(&admin, "/console/audit/export", &[], Some(&admin.csrf))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/x-ndjson");
    assert!(export.lines().count() >= 40);
    assert!(
        export
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
    assert_eq!(
        w.get(Some(&analyst), "/console/audit").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _, _) = w.post(&admin, "/console/audit/export", &[], None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "export without the CSRF token"
    );
}

#[tokio::test]
async fn the_overview_draws_svg_charts_with_the_same_numbers_in_tables() {
    let w = world("overview").await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 50, 5).await;
    let (status, _, body) = w.get(Some(&analyst), "/console/overview").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Verdicts, case ages, and (every seventh message imitates a vendor)
    // the top impersonated identities.
    assert_eq!(body.matches("<svg class=\"chart\"").count(), 3, "{body}");
    assert!(body.contains("role=\"img\""));
    // 50 messages cycle through five verdicts (ten held with a case: every
    // tenth is held instead), all within the last minute: today's row sums to 50.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let row = body
        .split(&format!("<th scope=\"row\">{today}</th>"))
        .nth(1)
        .unwrap();
    let cells: Vec<i64> = row
        .split("</tr>")
        .next()
        .unwrap()
        .split("<td>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(cells.len(), 6);
    assert_eq!(cells[5], 50);
    assert_eq!(cells[..5].iter().sum::<i64>(), 50);
    // Five pending cases, all under an hour old.
    assert!(
        body.contains("<tbody><tr><td>5</td><td>0</td><td>0</td><td>0</td></tr></tbody>"),
        "{body}"
    );
}

#[tokio::test]
async fn an_administrator_releases_and_deletes_quarantined_messages_with_a_reason() {
    let w = world("quarantine").await;
    let admin = w.person("lee", &["security_admin"]).await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 20, 0).await;
    // Messages 3, 8, 13, 18 are quarantined (verdicts cycle), 4, 9, ... rejected.
    let (_, _, list) = w.get(Some(&analyst), "/console/quarantine").await;
    assert!(list.contains("/console/messages/m_bench_00000003"));
    assert!(
        !list.contains("Release to the help desk"),
        "analysts review, they do not release"
    );
    let (_, _, list) = w.get(Some(&admin), "/console/quarantine").await;
    assert!(list.contains("Release to the help desk") && list.contains("Delete content"));
    // No reason: refused, named, nothing changed.
    let (status, _, refused) = w
        .post(
            &admin,
            "/console/quarantine/m_bench_00000003/delete",
            &[("reason", " ")],
            Some(&admin.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("reason: say why it is deleted"),
        "{refused}"
    );
    let (status, h, _) = w
        .post(
            &admin,
            "/console/quarantine/m_bench_00000003/delete",
            &[("reason", "phishing, reported")],
            Some(&admin.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/console/quarantine?done=deleted");
    let (status, _, _) = w
        .post(
            &admin,
            "/console/quarantine/m_bench_00000008/release",
            &[("reason", "false positive")],
            Some(&admin.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, after) = w
        .get(Some(&admin), "/console/quarantine?done=deleted")
        .await;
    assert!(after.contains("content was deleted"));
    assert!(!after.contains("m_bench_00000003\"") && !after.contains("m_bench_00000008\""));
    assert!(after.contains("m_bench_00000013"));
    // Both decisions are in the audit log with who and why.
    let (_, _, audit) = w
        .get(Some(&admin), "/console/audit?action=message.quarantine")
        .await;
    assert!(
        audit.contains("message.quarantine.delete") && audit.contains("phishing, reported"),
        "{audit}"
    );
    assert!(audit.contains("false positive"), "{audit}");
    // Deleting twice: the message is no longer in quarantine.
    let (status, _, _) = w
        .post(
            &admin,
            "/console/quarantine/m_bench_00000003/delete",
            &[("reason", "again")],
            Some(&admin.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The audit entries with this action.
async fn audited(w: &support::World, action: &str) -> Vec<countersign_audit::AuditEntry> {
    w.services
        .store()
        .audit_search(Some(action), None, None, None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

#[tokio::test]
async fn a_csv_import_is_previewed_line_by_line_then_requested_and_approved_by_another() {
    let w = world("import").await;
    let (priya, lee) = w.two_admins().await;
    // Line 3 has a bad email and line 4 a status that does not exist; line 2 is fine.
    let bad = "staff_id,name,email,phone,role,team,status\n\
               S-2001,Sam Okafor,sam.okafor@acme.example,+15555550111,analyst,service desk,active\n\
               S-2002,Ann Lee,not-an-address,+15555550112,analyst,service desk,active\n\
               S-2003,Bo Chen,bo.chen@acme.example,+15555550113,analyst,service desk,retired\n";
    let (status, _, body) = w
        .post(
            &priya,
            "/console/directory/import/preview",
            &[("kind", "staff"), ("csv", bad), ("reason", "new hires")],
            Some(&priya.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Each bad line named with its field and what is wrong.
    assert!(
        body.contains("<tr><td>3</td><td>email</td><td>invalid email"),
        "{body}"
    );
    assert!(
        body.contains("<tr><td>4</td><td>status</td><td>status &quot;retired&quot;"),
        "{body}"
    );
    assert!(
        !body.contains("Request these"),
        "no request while lines are bad"
    );
    // Nothing was stored.
    assert!(audited(&w, "change.request").await.is_empty());

    // Fixed: the preview lists each change with its line and offers the request.
    let good = bad
        .replace("not-an-address", "ann.lee@acme.example")
        .replace(",retired", ",active");
    let (status, _, body) = w
        .post(
            &priya,
            "/console/directory/import/preview",
            &[("kind", "staff"), ("csv", &good), ("reason", "new hires")],
            Some(&priya.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("3 change(s)"), "{body}");
    assert!(body.contains("<tr><td>3</td><td>add staff</td>"), "{body}");
    assert!(body.contains("Request these 3 change(s)"));
    let (status, h, body) = w
        .post(
            &priya,
            "/console/directory/import",
            &[("kind", "staff"), ("csv", &good), ("reason", "new hires")],
            Some(&priya.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&h), "/console/directory?done=imported");
    assert_eq!(audited(&w, "change.request").await.len(), 1);
    // Not by its author.
    let id = w
        .services
        .directory_overview(&w.services.authenticate(&priya.session, "t").await.unwrap())
        .await
        .unwrap()
        .pending[0]
        .id;
    let (_, _, body) = w.get(Some(&priya), "/console/directory").await;
    assert!(body.contains("Your own request"));
    let (status, _, _) = w
        .post(
            &priya,
            &format!("/console/directory/requests/{id}/approve"),
            &[("reason", "mine")],
            Some(&priya.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = w
        .post(
            &lee,
            &format!("/console/directory/requests/{id}/approve"),
            &[("reason", "checked with HR")],
            Some(&lee.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, body) = w.get(Some(&lee), "/console/directory").await;
    assert!(body.contains("Ann Lee") && body.contains("Bo Chen"));
    assert_eq!(audited(&w, "change.approve").await.len(), 1);
    // The same file again: nothing to request.
    let (_, _, body) = w
        .post(
            &lee,
            "/console/directory/import/preview",
            &[("kind", "staff"), ("csv", &good), ("reason", "again")],
            Some(&lee.csrf),
        )
        .await;
    assert!(body.contains("Nothing to request"), "{body}");
    // A header that names an unknown column is the whole file's problem.
    let (status, _, body) = w
        .post(
            &lee,
            "/console/directory/import/preview",
            &[
                ("kind", "staff"),
                ("csv", "staff_id,nom\nS-1,x\n"),
                ("reason", "x"),
            ],
            Some(&lee.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("unknown column"), "{body}");
}

#[tokio::test]
async fn vendor_reviews_are_recorded_and_audited_and_keys_are_listed() {
    let w = world("reviews").await;
    let (priya, lee) = w.two_admins().await;
    let csv = "id,name,domains,relationship_manager,privileged\n\
               contoso,Contoso IT,contoso.example,S-1001,yes\n";
    w.post(
        &priya,
        "/console/directory/import",
        &[("kind", "vendors"), ("csv", csv), ("reason", "onboarding")],
        Some(&priya.csrf),
    )
    .await;
    let p = w.services.authenticate(&lee.session, "t").await.unwrap();
    let id = w.services.directory_overview(&p).await.unwrap().pending[0].id;
    w.services
        .decide_change(&p, id, true, "contract signed")
        .await
        .unwrap();
    let (status, _, body) = w.get(Some(&lee), "/console/directory/keys").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No vendor key is enrolled"), "{body}");
    let (status, _, body) = w.get(Some(&lee), "/console/directory/reviews").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A review needs a note.
    let (status, _, body) = w
        .post(
            &lee,
            "/console/directory/vendors/contoso/review",
            &[("notes", " ")],
            Some(&lee.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, h, _) = w
        .post(
            &lee,
            "/console/directory/vendors/contoso/review",
            &[("notes", "contacts and numbers checked with the vendor")],
            Some(&lee.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/console/directory/reviews?done=reviewed");
    let reviews = audited(&w, "directory.review").await;
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].actor, "S-1002");
    assert_eq!(reviews[0].subject, "vendor:contoso");
    // Other roles are refused, and a form without its token too.
    let analyst = w.person("ana", &["analyst"]).await;
    for path in [
        "/console/directory/keys",
        "/console/directory/reviews",
        "/console/directory/import",
        "/console/posture",
    ] {
        let (status, _, _) = w.get(Some(&analyst), path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _, _) = w
        .post(
            &lee,
            "/console/directory/vendors/contoso/review",
            &[("notes", "x")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_analyst_verifies_a_caller_claiming_to_be_an_employee() {
    let w = world("callers").await;
    let (priya, lee) = w.two_admins().await;
    let csv = "id,name,email\nE-3001,Jordan Blake,jordan.blake@acme.example\n";
    w.post(
        &priya,
        "/console/directory/import",
        &[("kind", "employees"), ("csv", csv), ("reason", "HR feed")],
        Some(&priya.csrf),
    )
    .await;
    let p = w.services.authenticate(&lee.session, "t").await.unwrap();
    let id = w.services.directory_overview(&p).await.unwrap().pending[0].id;
    w.services.decide_change(&p, id, true, "HR").await.unwrap();
    let analyst = w.person("ana", &["analyst"]).await;
    let (status, _, body) = w.get(Some(&analyst), "/console/callers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Employee ID the caller gave"));
    // There is no field for where to send the code: only the directory's.
    assert!(!body.contains("name=\"email\"") && !body.contains("name=\"phone\""));
    let (status, h, body) = w
        .post(
            &analyst,
            "/console/callers/verify",
            &[("employee_id", "E-3001")],
            Some(&analyst.csrf),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let page = location(&h).to_owned();
    assert!(page.starts_with("/console/callers/v"), "{page}");
    let (status, _, body) = w.get(Some(&analyst), &page).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let opened = audited(&w, "verification.opened").await;
    assert_eq!(opened.len(), 1);
    let details: serde_json::Value = serde_json::from_str(&opened[0].details).unwrap();
    assert_eq!(details["direction"], "caller_claims_employee");
    assert_eq!(details["claimed_id"], "E-3001");
    // An unknown ID fails at once and sends nothing.
    let (_, h, _) = w
        .post(
            &analyst,
            "/console/callers/verify",
            &[("employee_id", "E-9999")],
            Some(&analyst.csrf),
        )
        .await;
    let (_, _, body) = w.get(Some(&analyst), location(&h)).await;
    assert!(body.contains("not verified"), "{body}");
    // Employees and administrators do not use this page.
    let employee = w.person("emma", &["employee"]).await;
    assert_eq!(
        w.get(Some(&employee), "/console/callers").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(w.get(Some(&lee), &page).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_quarantine_pages_by_keyset_to_the_oldest_message() {
    let w = world("qpages").await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 300, 0).await;
    let mut seen = std::collections::HashSet::new();
    let mut path = "/console/quarantine".to_owned();
    for _ in 0..20 {
        let (status, _, body) = w.get(Some(&analyst), &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for id in body.split("href=\"/console/messages/").skip(1) {
            let id = id.split('"').next().unwrap().to_owned();
            assert!(seen.insert(id), "a message listed twice");
        }
        let Some(next) = body.split("rel=\"next\"").next().and_then(|b| {
            b.rsplit("href=\"")
                .next()
                .filter(|_| body.contains("rel=\"next\""))
        }) else {
            break;
        };
        path = next.split('"').next().unwrap().replace("&amp;", "&");
    }
    // Quarantine and reject are two verdicts of five: 120 of 300.
    assert_eq!(seen.len(), 120);
}

#[tokio::test]
async fn the_overview_names_the_most_impersonated_identities_in_a_chart_and_a_table() {
    let w = world("impersonated").await;
    let analyst = w.person("ana", &["analyst"]).await;
    support::fill(w.services.store(), 70, 0).await;
    let (status, _, body) = w.get(Some(&analyst), "/console/overview").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Top impersonated identities"));
    assert!(body.contains("<title id=\"ti-title\">"), "{body}");
    // Messages 0, 7, ..., 63 imitate Vendor 0..6 in turn, and the 8th to
    // 10th (49, 56, 63) Vendor 0 again: Vendor 0 four times, the others once.
    assert!(
        body.contains("<tr><th scope=\"row\">Vendor 0 (vendor)</th><td>4</td></tr>"),
        "{body}"
    );
}

#[tokio::test]
async fn the_posture_page_shows_the_chart_and_sources_to_administrators() {
    let w = world("posture").await;
    let admin = w.person("lee", &["security_admin"]).await;
    let (status, _, body) = w.get(Some(&admin), "/console/posture").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("No DMARC aggregate report is stored yet"));
    assert!(body.contains("src=\"/console/posture/chart.svg?days=30\""));
    let (status, h, svg) = w
        .get(Some(&admin), "/console/posture/chart.svg?days=7")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "image/svg+xml");
    assert!(svg.starts_with("<svg") && svg.contains("last 7 days"));
    assert!(!svg.contains("<script"));
}

#[tokio::test]
async fn with_totp_the_code_is_asked_on_its_own_page_after_the_password() {
    let w = world("totp-step").await;
    let abe = w.person("abe", &["approver"]).await;
    let secret = abe.totp_secret.clone().unwrap();
    let (_, h, _) = w.get(None, "/console/signin").await;
    let pre = h[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("cs_pre=")
        .unwrap()
        .to_owned();
    let post = |path: &str, fields: &[(&str, &str)], cookies: String| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            s.append_pair(k, v);
        }
        s.append_pair("csrf", &pre);
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookies)
            .body(Body::from(s.finish()))
            .unwrap()
    };
    // The sign-in form asks for no code.
    let (_, _, form) = w.get(None, "/console/signin").await;
    assert!(!form.contains("name=\"totp\""));
    // A wrong password never reaches the code page.
    let (status, h, body) = w
        .send(post(
            "/console/signin",
            &[("username", "abe"), ("password", "wrong-password-1")],
            format!("cs_pre={pre}"),
        ))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.contains("name=\"totp\"") && h.get(header::SET_COOKIE).is_none());
    // The right one: the code page, and a challenge cookie (no session yet).
    let (status, h, body) = w
        .send(post(
            "/console/signin",
            &[("username", "abe"), ("password", support::PASSWORD)],
            format!("cs_pre={pre}"),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("name=\"totp\"") && body.contains("/console/signin/totp"));
    let cookies: Vec<String> = h
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(cookies.iter().all(|c| !c.starts_with("cs_session=")));
    let mfa = cookies
        .iter()
        .find(|c| c.starts_with("cs_mfa="))
        .expect("challenge cookie");
    assert!(mfa.contains("HttpOnly") && mfa.contains("SameSite=Strict"));
    let mfa = mfa.split(';').next().unwrap().to_owned();
    assert_eq!(audited(&w, "signin.password_accepted").await.len(), 1);
    // A wrong code: asked again, counted.
    let both = format!("cs_pre={pre}; {mfa}");
    let (status, _, body) = w
        .send(post(
            "/console/signin/totp",
            &[("totp", "000000")],
            both.clone(),
        ))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("name=\"totp\""), "{body}");
    // The right code (the next step: setup used the current one) signs in.
    let code = countersign_accounts::totp::code_at(&secret, support::now_unix() + 30).unwrap();
    let (status, h, body) = w
        .send(post(
            "/console/signin/totp",
            &[("totp", &code)],
            both.clone(),
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&h), "/console");
    assert!(
        h.get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("cs_session=cs_sess"))
    );
    // The challenge was single use.
    let (status, _, body) = w
        .send(post("/console/signin/totp", &[("totp", &code)], both))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("sign in again with your password"), "{body}");
    // Without the page's CSRF token the step is refused before anything.
    let (status, _, _) = w
        .send(
            Request::post("/console/signin/totp")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("cs_pre={pre}; {mfa}"))
                .body(Body::from("totp=123456"))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
