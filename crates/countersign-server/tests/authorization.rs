//! Walks every operation of the served OpenAPI document with every role and
//! with no credentials, and checks each answer against the roles the
//! document states (`x-roles`). An operation without `x-roles` (a route
//! missing from the access table) fails the test.

mod support;

use serde_json::{Value, json};
use support::{Api, Install, Server};

const ROLES: [&str; 6] = [
    "analyst",
    "approver",
    "relationship_manager",
    "security_admin",
    "employee",
    "integration",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_by_the_documented_roles() {
    let install = Install::sqlite("authz");
    install.load_directory();
    let server = Server::start(&install, "", &[]);
    let api = Api::new(&server.base);
    let mut tokens: Vec<(&str, String)> = Vec::new();
    let mut admin = String::new();
    for role in ROLES.iter().filter(|r| **r != "integration") {
        let user = format!("only-{}", role.replace('_', "-"));
        let otp = install.add_user(&user, &[role], None);
        let mfa = matches!(
            *role,
            "approver" | "relationship_manager" | "security_admin"
        );
        let (token, _) = api.set_up(&user, &otp, mfa).await;
        if *role == "security_admin" {
            admin = token.clone();
        }
        tokens.push((role, token));
    }
    let tool = api
        .post(
            "/api/v1/accounts",
            Some(&admin),
            json!({"username": "only-integration", "roles": ["integration"]}),
        )
        .await
        .expect(201);
    let token = api
        .post(
            "/api/v1/tokens",
            Some(&admin),
            json!({"account_id": tool["account"]["id"], "name": "walk"}),
        )
        .await
        .expect(201);
    tokens.push(("integration", token["token"].as_str().unwrap().to_owned()));

    let doc = api.get("/api/v1/openapi.json", None).await.ok();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let roles = op
                .get("x-roles")
                .unwrap_or_else(|| {
                    panic!("{method} {path} has no x-roles: missing from the access table")
                })
                .clone();
            operations.push((method.to_uppercase(), path.clone(), roles));
        }
    }
    assert!(
        operations.len() >= 50,
        "only {} operations",
        operations.len()
    );
    // Signing out ends the session: walk it last.
    operations.sort_by_key(|(m, p, _)| (m == "DELETE" && p == "/api/v1/session", p.clone()));
    let mut checked = 0;
    for (method, path, roles) in &operations {
        let concrete = path.replace("{id}", "x_does_not_exist");
        let body = if method == "POST" {
            b"{}".to_vec()
        } else {
            Vec::new()
        };
        let ct = (method == "POST").then_some("application/json");
        let anonymous = api.send(method, &concrete, None, ct, body.clone()).await;
        let public = *roles == Value::String("public".into());
        if public {
            assert_ne!(
                anonymous.status, 401,
                "{method} {path} is public: {:?}",
                anonymous.body
            );
        } else {
            assert_eq!(
                anonymous.status, 401,
                "{method} {path} without credentials: {:?}",
                anonymous.body
            );
        }
        for (role, token) in &tokens {
            let answer = api
                .send(method, &concrete, Some(token), ct, body.clone())
                .await;
            let allowed = match roles {
                Value::String(s) => s == "public" || s == "signed-in",
                Value::Array(list) => list.iter().any(|r| r == role),
                other => panic!("{method} {path}: x-roles {other}"),
            };
            if allowed {
                assert!(
                    answer.status != 401 && answer.status != 403,
                    "{method} {path} documents {roles} but refused {role}: {} {:?}",
                    answer.status,
                    answer.body
                );
            } else {
                assert_eq!(
                    answer.status, 403,
                    "{method} {path} documents {roles} but {role} got {:?}",
                    answer.body
                );
            }
            assert!(
                answer.status < 500,
                "{method} {path} as {role}: {:?}",
                answer.body
            );
            checked += 1;
        }
    }
    eprintln!(
        "authorisation walk: {} operations x {} roles = {checked} calls",
        operations.len(),
        tokens.len()
    );
    assert!(server.stop());
}
