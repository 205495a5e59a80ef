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
    assert_eq!(body.matches("<svg class=\"chart\"").count(), 2, "{body}");
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
