//! Countersign's HTTP API.
//!
//! [`app`] builds the whole router from [`AppState`], so tests drive it
//! without a port and `countersign serve` binds it to one. Every route is
//! listed once in [`ROUTES`] with who may call it; one middleware enforces
//! that table for every request (a route missing from it answers 500:
//! fail closed), and the OpenAPI document carries the same roles as
//! `x-roles`, so the authorisation test can walk the document.
//!
//! Errors are RFC 9457 problem documents (`application/problem+json`) that
//! name what was wrong and never leak internals.

mod api;
mod employees_api;
pub mod extract;
pub mod openapi;
pub mod problem;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use countersign_accounts::Role;
use countersign_accounts::signin::Stage;
use countersign_service::Services;
use countersign_service::employees::PEOPLE;
use countersign_service::metrics::labels;
use problem::Problem;
use std::time::Instant;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, unauthenticated (health, metrics, the document, sign-in).
    Public,
    /// Any signed-in account, even one still setting up (its own password,
    /// TOTP, sign-out).
    SignedIn,
    /// Holders of one of these roles, set up.
    Roles(&'static [Role]),
}

/// One route and who may call it.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: &'static str,
    /// Path template as in the OpenAPI document (`{id}` parameters).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

const READERS: &[Role] = &[
    Role::Analyst,
    Role::Approver,
    Role::RelationshipManager,
    Role::SecurityAdmin,
    Role::Integration,
];
const ANALYST: &[Role] = &[Role::Analyst];
const ADMIN: &[Role] = &[Role::SecurityAdmin];
const TRIAGE: &[Role] = &[Role::SecurityAdmin, Role::Analyst];
const VERIFIERS: &[Role] = &[Role::Employee, Role::Analyst];

const fn route(method: &'static str, path: &'static str, access: Access) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
    }
}

/// Every route, with who may call it. The single source of truth for
/// authorisation and for the document's `x-roles`.
pub const ROUTES: &[RouteSpec] = &[
    route("GET", "/healthz", Access::Public),
    route("GET", "/readyz", Access::Public),
    route("GET", "/metrics", Access::Public),
    route("GET", "/api/v1/openapi.json", Access::Public),
    route("POST", "/api/v1/session", Access::Public),
    route("DELETE", "/api/v1/session", Access::SignedIn),
    route("GET", "/api/v1/me", Access::SignedIn),
    route("POST", "/api/v1/me/password", Access::SignedIn),
    route("POST", "/api/v1/me/totp", Access::SignedIn),
    route("POST", "/api/v1/me/totp/confirm", Access::SignedIn),
    route(
        "POST",
        "/api/v1/messages",
        Access::Roles(&[Role::Integration, Role::Analyst, Role::SecurityAdmin]),
    ),
    route(
        "GET",
        "/api/v1/messages/{id}",
        Access::Roles(&[Role::Analyst, Role::SecurityAdmin]),
    ),
    route("GET", "/api/v1/cases", Access::Roles(READERS)),
    route("POST", "/api/v1/cases", Access::Roles(ANALYST)),
    route("GET", "/api/v1/cases/{id}", Access::Roles(READERS)),
    route("GET", "/api/v1/cases/{id}/timeline", Access::Roles(READERS)),
    route(
        "POST",
        "/api/v1/cases/{id}/callback",
        Access::Roles(ANALYST),
    ),
    route("POST", "/api/v1/cases/{id}/code", Access::Roles(ANALYST)),
    route(
        "POST",
        "/api/v1/cases/{id}/code/verify",
        Access::Roles(ANALYST),
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/challenge",
        Access::Roles(ANALYST),
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/signature",
        Access::Roles(&[Role::Analyst, Role::Integration]),
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/approvals",
        Access::Roles(&[Role::Approver, Role::RelationshipManager]),
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/deny",
        Access::Roles(&[Role::Analyst, Role::SecurityAdmin]),
    ),
    route("POST", "/api/v1/cases/{id}/release", Access::Roles(ANALYST)),
    route(
        "GET",
        "/api/v1/quarantine",
        Access::Roles(&[Role::Analyst, Role::SecurityAdmin]),
    ),
    route(
        "POST",
        "/api/v1/quarantine/{id}/release",
        Access::Roles(ADMIN),
    ),
    route(
        "POST",
        "/api/v1/quarantine/{id}/delete",
        Access::Roles(ADMIN),
    ),
    route("GET", "/api/v1/accounts", Access::Roles(ADMIN)),
    route("POST", "/api/v1/accounts", Access::Roles(ADMIN)),
    route("POST", "/api/v1/accounts/{id}/unlock", Access::Roles(ADMIN)),
    route(
        "POST",
        "/api/v1/accounts/{id}/disable",
        Access::Roles(ADMIN),
    ),
    route("GET", "/api/v1/tokens", Access::Roles(ADMIN)),
    route("POST", "/api/v1/tokens", Access::Roles(ADMIN)),
    route("DELETE", "/api/v1/tokens/{id}", Access::Roles(ADMIN)),
    route("GET", "/api/v1/posture/domains", Access::Roles(ADMIN)),
    route("POST", "/api/v1/posture/reports", Access::Roles(ADMIN)),
    route("GET", "/api/v1/posture/sources", Access::Roles(ADMIN)),
    route("GET", "/api/v1/webhooks", Access::Roles(ADMIN)),
    route("POST", "/api/v1/webhooks", Access::Roles(ADMIN)),
    route("DELETE", "/api/v1/webhooks/{id}", Access::Roles(ADMIN)),
    route(
        "GET",
        "/api/v1/webhooks/{id}/deliveries",
        Access::Roles(ADMIN),
    ),
    route("GET", "/api/v1/staff", Access::Roles(PEOPLE)),
    route("GET", "/api/v1/staff/{id}/photo", Access::Roles(PEOPLE)),
    route("PUT", "/api/v1/staff/{id}/photo", Access::Roles(ADMIN)),
    route("POST", "/api/v1/verifications", Access::Roles(VERIFIERS)),
    route(
        "GET",
        "/api/v1/verifications/{id}",
        Access::Roles(VERIFIERS),
    ),
    route(
        "POST",
        "/api/v1/verifications/{id}/code",
        Access::Roles(VERIFIERS),
    ),
    route(
        "POST",
        "/api/v1/tickets",
        Access::Roles(&[Role::Integration, Role::Analyst]),
    ),
    route("POST", "/api/v1/reports", Access::Roles(PEOPLE)),
    route("GET", "/api/v1/reports", Access::Roles(PEOPLE)),
    route("GET", "/api/v1/reports/{id}", Access::Roles(PEOPLE)),
    route("POST", "/api/v1/reports/{id}/triage", Access::Roles(TRIAGE)),
    route("GET", "/api/v1/triage/reports", Access::Roles(TRIAGE)),
    route("GET", "/api/v1/campaigns", Access::Roles(ADMIN)),
    route("GET", "/api/v1/campaigns/{id}", Access::Roles(ADMIN)),
    route(
        "POST",
        "/api/v1/campaigns/{id}/status",
        Access::Roles(ADMIN),
    ),
];

/// The access rule of `method path`, if the route exists.
pub fn route_spec(method: &str, path: &str) -> Option<&'static RouteSpec> {
    ROUTES
        .iter()
        .find(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
}

/// Limits of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest message accepted by `POST /api/v1/messages`.
    pub max_message_bytes: usize,
    /// Largest JSON body elsewhere.
    pub max_json_bytes: usize,
    /// Largest report (with a forwarded message) or staff photo upload.
    pub max_report_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 25 * 1024 * 1024,
            max_json_bytes: 64 * 1024,
            max_report_bytes: 2 * 1024 * 1024,
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub services: Services,
    /// Limits.
    pub limits: Limits,
}

/// The router for `state`: API, health, metrics and document.
pub fn app(state: AppState) -> Router {
    let limits = state.limits;
    let messages = Router::new()
        .route("/api/v1/messages", post(api::post_message))
        .layer(DefaultBodyLimit::max(limits.max_message_bytes));
    let posture_uploads = Router::new()
        .route("/api/v1/posture/reports", post(api::upload_posture_reports))
        .layer(DefaultBodyLimit::max(
            countersign_service::posture::MAX_UPLOAD_BYTES,
        ));
    let reports = Router::new()
        .route(
            "/api/v1/reports",
            post(employees_api::submit_report).get(employees_api::my_reports),
        )
        .route(
            "/api/v1/staff/{id}/photo",
            get(employees_api::staff_photo).put(employees_api::upload_staff_photo),
        )
        .layer(DefaultBodyLimit::max(limits.max_report_bytes));
    let rest = Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/api/v1/openapi.json", get(api::openapi_json))
        .route("/api/v1/session", post(api::sign_in).delete(api::sign_out))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/me/password", post(api::change_password))
        .route("/api/v1/me/totp", post(api::start_totp))
        .route("/api/v1/me/totp/confirm", post(api::confirm_totp))
        .route("/api/v1/messages/{id}", get(api::get_message))
        .route("/api/v1/cases", get(api::list_cases).post(api::open_case))
        .route("/api/v1/cases/{id}", get(api::get_case))
        .route("/api/v1/cases/{id}/timeline", get(api::case_timeline))
        .route("/api/v1/cases/{id}/callback", post(api::callback))
        .route("/api/v1/cases/{id}/code", post(api::send_code))
        .route("/api/v1/cases/{id}/code/verify", post(api::verify_code))
        .route("/api/v1/cases/{id}/challenge", post(api::challenge))
        .route("/api/v1/cases/{id}/signature", post(api::signature))
        .route("/api/v1/cases/{id}/approvals", post(api::approve))
        .route("/api/v1/cases/{id}/deny", post(api::deny))
        .route("/api/v1/cases/{id}/release", post(api::release))
        .route("/api/v1/quarantine", get(api::list_quarantine))
        .route(
            "/api/v1/quarantine/{id}/release",
            post(api::release_quarantined),
        )
        .route(
            "/api/v1/quarantine/{id}/delete",
            post(api::delete_quarantined),
        )
        .route(
            "/api/v1/accounts",
            get(api::list_accounts).post(api::create_account),
        )
        .route("/api/v1/accounts/{id}/unlock", post(api::unlock_account))
        .route("/api/v1/accounts/{id}/disable", post(api::disable_account))
        .route(
            "/api/v1/tokens",
            get(api::list_tokens).post(api::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(api::revoke_token))
        .route(
            "/api/v1/webhooks",
            get(api::list_webhooks).post(api::create_webhook),
        )
        .route("/api/v1/webhooks/{id}", delete(api::disable_webhook))
        .route("/api/v1/posture/domains", get(api::posture_domains))
        .route("/api/v1/posture/sources", get(api::posture_sources))
        .route(
            "/api/v1/webhooks/{id}/deliveries",
            get(api::webhook_deliveries),
        )
        .route("/api/v1/staff", get(employees_api::staff_lookup))
        .route("/api/v1/verifications", post(employees_api::verify_caller))
        .route(
            "/api/v1/verifications/{id}",
            get(employees_api::get_verification),
        )
        .route(
            "/api/v1/verifications/{id}/code",
            post(employees_api::submit_caller_code),
        )
        .route("/api/v1/tickets", post(employees_api::push_ticket))
        .route("/api/v1/reports/{id}", get(employees_api::get_report))
        .route(
            "/api/v1/reports/{id}/triage",
            post(employees_api::triage_report),
        )
        .route("/api/v1/triage/reports", get(employees_api::all_reports))
        .route("/api/v1/campaigns", get(employees_api::campaigns))
        .route("/api/v1/campaigns/{id}", get(employees_api::campaign))
        .route(
            "/api/v1/campaigns/{id}/status",
            post(employees_api::campaign_status),
        )
        .layer(DefaultBodyLimit::max(limits.max_json_bytes));
    messages
        .merge(posture_uploads)
        .merge(reports)
        .merge(rest)
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "not-found", "no such route") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this route does not accept that method",
            )
        })
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Enforces [`ROUTES`]: authenticates the bearer token and checks roles
/// and stage before any handler runs.
async fn authorize(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = matched.as_ref().map_or("", |m| m.as_str()).to_owned();
    let Some(spec) = route_spec(req.method().as_str(), &path) else {
        tracing::error!(method = %req.method(), %path, "route without an access rule");
        return Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "this route has no access rule",
        )
        .into_response();
    };
    if spec.access == Access::Public {
        return next.run(req).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .map(str::to_owned);
    let Some(bearer) = bearer else {
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send Authorization: Bearer <session or API token>",
        )
        .into_response();
    };
    let (parts, body) = req.into_parts();
    let address = extract::client_address(&parts);
    req = Request::from_parts(parts, body);
    let principal = match state.services.authenticate(&bearer, &address).await {
        Ok(p) => p,
        Err(err) => return Problem::from(err).into_response(),
    };
    if let Access::Roles(roles) = spec.access {
        if principal.stage != Stage::Full {
            return Problem::new(
                StatusCode::FORBIDDEN,
                "setup-required",
                "finish setting up the account first: change the one-time password and enrol TOTP",
            )
            .into_response();
        }
        if !principal.roles.any_of(roles) {
            return Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "needs one of the roles: {}",
                    roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .into_response();
        }
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// Counts requests and their latency by route; adds security headers.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let mut resp = next.run(req).await;
    let metrics = state.services.metrics();
    let status = resp.status().as_u16().to_string();
    metrics
        .http_requests
        .get_or_create(&labels(&[
            ("route", &route),
            ("method", &method),
            ("status", &status),
        ]))
        .inc();
    metrics
        .http_latency
        .get_or_create(&labels(&[("route", &route)]))
        .observe(started.elapsed().as_secs_f64());
    let headers = resp.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_table_and_the_document_name_the_same_routes() {
        let doc = openapi::document();
        let paths = doc["paths"].as_object().expect("paths");
        let mut documented = 0;
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("path item") {
                documented += 1;
                assert!(
                    route_spec(method, path).is_some(),
                    "{method} {path} is documented but has no access rule"
                );
                assert!(op.get("x-roles").is_some(), "{method} {path} lacks x-roles");
            }
        }
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
            assert!(
                op.is_object(),
                "{} {} has an access rule but is not documented",
                r.method,
                r.path
            );
        }
        assert_eq!(documented, ROUTES.len());
    }
}
