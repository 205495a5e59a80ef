//! Countersign's web console: the pages analysts, approvers, security
//! administrators and employees work in, served by `countersign serve`
//! beside the API.
//!
//! It is a thin edge over [`countersign_service::Services`], like the API:
//! every page calls the same use cases (which check roles again), and no
//! business rule lives here. HTML is rendered on the server with compiled
//! `maud` templates; the one stylesheet is embedded in the binary; there is
//! no script at all, so the Content-Security-Policy forbids every script
//! and inline style.
//!
//! Access is one table, [`PAGES`], enforced by one middleware before any
//! handler runs; a route missing from it answers 500 (fail closed). The
//! session is the API's session (same token, same idle and absolute
//! expiry), carried in an HttpOnly, SameSite=Strict cookie (Secure when
//! the public URL is https). Every POST carries a CSRF token in its form:
//! derived from the session token (so any node can check it, and nothing
//! is stored), or, before sign-in, matched against a cookie. A POST
//! without it is refused before its handler runs.

mod layout;
mod pages;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use countersign_accounts::Role;
use countersign_accounts::signin::Stage;
use countersign_service::employees::PEOPLE;
use countersign_service::{Principal, Services};
use std::net::SocketAddr;

/// Who may open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in, the stylesheet).
    Public,
    /// Any signed-in account, even one still setting up.
    SignedIn,
    /// Holders of one of these roles, set up.
    Roles(&'static [Role]),
}

/// One page or form target and who may use it.
#[derive(Debug, Clone, Copy)]
pub struct PageSpec {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The route template.
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
}

const fn page(method: &'static str, path: &'static str, access: Access) -> PageSpec {
    PageSpec {
        method,
        path,
        access,
    }
}

const ANALYST: &[Role] = &[Role::Analyst];
const QUEUE: &[Role] = &[Role::Analyst, Role::SecurityAdmin];
const CASE_READERS: &[Role] = &[
    Role::Analyst,
    Role::Approver,
    Role::RelationshipManager,
    Role::SecurityAdmin,
];
const APPROVERS: &[Role] = &[Role::Approver, Role::RelationshipManager];
const ADMIN: &[Role] = &[Role::SecurityAdmin];
const EMPLOYEE: &[Role] = &[Role::Employee];

/// Every console route with who may use it: the single source of truth.
pub const PAGES: &[PageSpec] = &[
    page("GET", "/console/assets/console.css", Access::Public),
    page("GET", "/console/signin", Access::Public),
    page("POST", "/console/signin", Access::Public),
    page("POST", "/console/signin/totp", Access::Public),
    page("POST", "/console/signout", Access::SignedIn),
    page("GET", "/console", Access::SignedIn),
    page("GET", "/console/setup", Access::SignedIn),
    page("POST", "/console/setup/password", Access::SignedIn),
    page("POST", "/console/setup/totp", Access::SignedIn),
    page("POST", "/console/setup/totp/confirm", Access::SignedIn),
    page("GET", "/console/overview", Access::Roles(QUEUE)),
    page("GET", "/console/triage", Access::Roles(QUEUE)),
    page("POST", "/console/triage/{id}", Access::Roles(QUEUE)),
    page("GET", "/console/queue", Access::Roles(QUEUE)),
    page("GET", "/console/messages/{id}", Access::Roles(QUEUE)),
    page("GET", "/console/cases/{id}", Access::Roles(CASE_READERS)),
    page(
        "POST",
        "/console/cases/{id}/callback",
        Access::Roles(ANALYST),
    ),
    page("POST", "/console/cases/{id}/code", Access::Roles(ANALYST)),
    page(
        "POST",
        "/console/cases/{id}/code/verify",
        Access::Roles(ANALYST),
    ),
    page(
        "POST",
        "/console/cases/{id}/challenge",
        Access::Roles(ANALYST),
    ),
    page(
        "POST",
        "/console/cases/{id}/signature",
        Access::Roles(ANALYST),
    ),
    page(
        "POST",
        "/console/cases/{id}/approve",
        Access::Roles(APPROVERS),
    ),
    page("POST", "/console/cases/{id}/deny", Access::Roles(QUEUE)),
    page(
        "POST",
        "/console/cases/{id}/release",
        Access::Roles(ANALYST),
    ),
    page("GET", "/console/approvals", Access::Roles(APPROVERS)),
    page("GET", "/console/quarantine", Access::Roles(QUEUE)),
    page(
        "POST",
        "/console/quarantine/{id}/release",
        Access::Roles(ADMIN),
    ),
    page(
        "POST",
        "/console/quarantine/{id}/delete",
        Access::Roles(ADMIN),
    ),
    page("GET", "/console/campaigns", Access::Roles(ADMIN)),
    page("GET", "/console/campaigns/{id}", Access::Roles(ADMIN)),
    page(
        "POST",
        "/console/campaigns/{id}/status",
        Access::Roles(ADMIN),
    ),
    page("GET", "/console/audit", Access::Roles(ADMIN)),
    page("POST", "/console/audit/verify", Access::Roles(ADMIN)),
    page("POST", "/console/audit/export", Access::Roles(ADMIN)),
    page("GET", "/console/posture", Access::Roles(ADMIN)),
    page("GET", "/console/posture/chart.svg", Access::Roles(ADMIN)),
    page("GET", "/console/directory", Access::Roles(ADMIN)),
    page("POST", "/console/directory/contacts", Access::Roles(ADMIN)),
    page(
        "POST",
        "/console/directory/requests/{id}/approve",
        Access::Roles(ADMIN),
    ),
    page(
        "POST",
        "/console/directory/requests/{id}/reject",
        Access::Roles(ADMIN),
    ),
    page("GET", "/console/directory/import", Access::Roles(ADMIN)),
    page(
        "POST",
        "/console/directory/import/preview",
        Access::Roles(ADMIN),
    ),
    page("POST", "/console/directory/import", Access::Roles(ADMIN)),
    page("GET", "/console/directory/keys", Access::Roles(ADMIN)),
    page("GET", "/console/directory/reviews", Access::Roles(ADMIN)),
    page(
        "POST",
        "/console/directory/vendors/{id}/review",
        Access::Roles(ADMIN),
    ),
    page("GET", "/console/callers", Access::Roles(ANALYST)),
    page("POST", "/console/callers/verify", Access::Roles(ANALYST)),
    page("GET", "/console/callers/{id}", Access::Roles(ANALYST)),
    page("POST", "/console/callers/{id}/code", Access::Roles(ANALYST)),
    page("GET", "/console/it", Access::Roles(EMPLOYEE)),
    page("GET", "/console/staff/{id}/photo", Access::Roles(PEOPLE)),
    page("POST", "/console/it/verify", Access::Roles(EMPLOYEE)),
    page("GET", "/console/it/verify/{id}", Access::Roles(EMPLOYEE)),
    page(
        "POST",
        "/console/it/verify/{id}/code",
        Access::Roles(EMPLOYEE),
    ),
    page("GET", "/console/report", Access::Roles(PEOPLE)),
    page("POST", "/console/report", Access::Roles(PEOPLE)),
    page("GET", "/console/reports", Access::Roles(PEOPLE)),
];

/// The access rule of `method path`, if the route exists.
pub fn page_spec(method: &str, path: &str) -> Option<&'static PageSpec> {
    PAGES
        .iter()
        .find(|p| p.method.eq_ignore_ascii_case(method) && p.path == path)
}

/// The session cookie.
pub const SESSION_COOKIE: &str = "cs_session";
/// The pre-sign-in CSRF cookie.
pub const PRE_COOKIE: &str = "cs_pre";
/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The Content-Security-Policy of every console response: nothing but our
/// own stylesheet and images; no script, no inline style, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

/// How the console is set up.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleConfig {
    /// Mark cookies Secure (the public URL is https).
    pub secure_cookies: bool,
    /// Largest form body (a report may carry a pasted message).
    pub max_form_bytes: usize,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            max_form_bytes: 2 * 1024 * 1024,
        }
    }
}

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    /// The use cases.
    pub services: Services,
    /// Settings.
    pub config: ConsoleConfig,
}

/// The signed-in person a page is rendered for.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Who, with roles and stage.
    pub principal: Principal,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

impl Viewer {
    /// Whether the viewer holds one of `roles` (and is set up).
    pub fn can(&self, roles: &[Role]) -> bool {
        self.principal.has_any(roles)
    }
}

/// A posted form, already checked for its CSRF token.
#[derive(Debug, Clone, Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    /// The first value of `name`, or empty.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name` (checkbox groups).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The client's address (the TCP peer).
pub(crate) fn client_address(req: &Request) -> String {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "local".to_owned())
}

/// A cookie's value from the request headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

/// The `Set-Cookie` value for `name`: HttpOnly, SameSite=Strict, scoped
/// to the console, Secure when configured. `max_age` 0 deletes it.
pub(crate) fn set_cookie(config: &ConsoleConfig, name: &str, value: &str, max_age: i64) -> String {
    format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

/// The CSRF token of a session: a digest of its token under a fixed
/// label. Only someone holding the (HttpOnly) session cookie can know it,
/// every node computes the same one, and nothing is stored.
pub fn csrf_for_session(session_token: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"countersign console csrf v1\0");
    ctx.update(session_token.as_bytes());
    data_encoding::HEXLOWER.encode(ctx.finish().as_ref())
}

fn csrf_matches(given: &str, expected: &str) -> bool {
    !given.is_empty()
        && !expected.is_empty()
        && countersign_accounts::token::ct_eq(given.as_bytes(), expected.as_bytes())
}

/// The console's router: pages, forms and the stylesheet. Merge it with
/// the API's router; it sets no fallback of its own.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/console/assets/console.css", get(pages::stylesheet))
        .route(
            "/console/signin",
            get(pages::auth::signin_page).post(pages::auth::signin),
        )
        .route("/console/signin/totp", post(pages::auth::signin_totp))
        .route("/console/signout", post(pages::auth::signout))
        .route("/console", get(pages::auth::home))
        .route("/console/setup", get(pages::auth::setup_page))
        .route(
            "/console/setup/password",
            post(pages::auth::change_password),
        )
        .route("/console/setup/totp", post(pages::auth::start_totp))
        .route(
            "/console/setup/totp/confirm",
            post(pages::auth::confirm_totp),
        )
        .route("/console/overview", get(pages::overview::overview))
        .route("/console/triage", get(pages::triage::list))
        .route("/console/triage/{id}", post(pages::triage::triage))
        .route("/console/queue", get(pages::queue::queue))
        .route("/console/messages/{id}", get(pages::queue::message))
        .route("/console/cases/{id}", get(pages::cases::case_page))
        .route("/console/cases/{id}/callback", post(pages::cases::callback))
        .route("/console/cases/{id}/code", post(pages::cases::send_code))
        .route(
            "/console/cases/{id}/code/verify",
            post(pages::cases::verify_code),
        )
        .route(
            "/console/cases/{id}/challenge",
            post(pages::cases::challenge),
        )
        .route(
            "/console/cases/{id}/signature",
            post(pages::cases::signature),
        )
        .route("/console/cases/{id}/approve", post(pages::cases::approve))
        .route("/console/cases/{id}/deny", post(pages::cases::deny))
        .route("/console/cases/{id}/release", post(pages::cases::release))
        .route("/console/approvals", get(pages::cases::approvals))
        .route("/console/quarantine", get(pages::quarantine::list))
        .route(
            "/console/quarantine/{id}/release",
            post(pages::quarantine::release),
        )
        .route(
            "/console/quarantine/{id}/delete",
            post(pages::quarantine::delete),
        )
        .route("/console/campaigns", get(pages::campaigns::list))
        .route("/console/campaigns/{id}", get(pages::campaigns::detail))
        .route(
            "/console/campaigns/{id}/status",
            post(pages::campaigns::set_status),
        )
        .route("/console/audit", get(pages::audit::search))
        .route("/console/audit/verify", post(pages::audit::verify))
        .route("/console/audit/export", post(pages::audit::export))
        .route("/console/posture", get(pages::posture::posture))
        .route("/console/posture/chart.svg", get(pages::posture::chart))
        .route("/console/directory", get(pages::directory::overview))
        .route(
            "/console/directory/contacts",
            post(pages::directory::request_contact),
        )
        .route(
            "/console/directory/requests/{id}/approve",
            post(pages::directory::approve),
        )
        .route(
            "/console/directory/requests/{id}/reject",
            post(pages::directory::reject),
        )
        .route(
            "/console/directory/import",
            get(pages::directory::import_page).post(pages::directory::import_request),
        )
        .route(
            "/console/directory/import/preview",
            post(pages::directory::import_preview),
        )
        .route("/console/directory/keys", get(pages::directory::keys))
        .route("/console/directory/reviews", get(pages::directory::reviews))
        .route(
            "/console/directory/vendors/{id}/review",
            post(pages::directory::record_review),
        )
        .route("/console/callers", get(pages::employees::callers_page))
        .route(
            "/console/callers/verify",
            post(pages::employees::start_caller_verify),
        )
        .route(
            "/console/callers/{id}",
            get(pages::employees::caller_verification),
        )
        .route(
            "/console/callers/{id}/code",
            post(pages::employees::submit_caller_code),
        )
        .route("/console/it", get(pages::employees::it_reference))
        .route("/console/staff/{id}/photo", get(pages::employees::photo))
        .route("/console/it/verify", post(pages::employees::start_verify))
        .route(
            "/console/it/verify/{id}",
            get(pages::employees::verification),
        )
        .route(
            "/console/it/verify/{id}/code",
            post(pages::employees::submit_code),
        )
        .route(
            "/console/report",
            get(pages::employees::report_page).post(pages::employees::submit_report),
        )
        .route("/console/reports", get(pages::employees::my_reports))
        .route_layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn(headers))
        .with_state(state)
}

/// Enforces [`PAGES`] and the CSRF token before any handler runs.
async fn guard(
    State(state): State<ConsoleState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let path = matched.as_ref().map_or("", |m| m.as_str()).to_owned();
    let Some(spec) = page_spec(req.method().as_str(), &path) else {
        tracing::error!(method = %req.method(), %path, "console route without an access rule");
        return layout::error_page(
            None,
            StatusCode::INTERNAL_SERVER_ERROR,
            "This page has no access rule",
            "It is refused until one is written.",
        );
    };
    let is_post = req.method() == Method::POST;
    let address = client_address(&req);
    let session_token = cookie(req.headers(), SESSION_COOKIE);
    let pre_token = cookie(req.headers(), PRE_COOKIE);
    let (parts, body) = req.into_parts();
    let form = if is_post {
        match read_form(body, state.config.max_form_bytes).await {
            Ok(f) => Some(f),
            Err(resp) => return resp,
        }
    } else {
        None
    };
    let mut req = Request::from_parts(parts, Body::empty());

    if spec.access == Access::Public {
        if let Some(form) = form {
            let given = form.get(CSRF_FIELD);
            if !csrf_matches(given, pre_token.as_deref().unwrap_or("")) {
                return csrf_refused(None);
            }
            req.extensions_mut().insert(form);
        }
        return next.run(req).await;
    }

    let Some(token) = session_token else {
        return Redirect::to("/console/signin").into_response();
    };
    let principal = match state.services.authenticate(&token, &address).await {
        Ok(p) if matches!(p.via, countersign_service::Via::Session(_)) => p,
        _ => {
            let mut resp = Redirect::to("/console/signin").into_response();
            if let Ok(v) = HeaderValue::from_str(&set_cookie(&state.config, SESSION_COOKIE, "", 0))
            {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            return resp;
        }
    };
    let viewer = Viewer {
        csrf: csrf_for_session(&token),
        principal,
    };
    if let Some(form) = form {
        if !csrf_matches(form.get(CSRF_FIELD), &viewer.csrf) {
            return csrf_refused(Some(&viewer));
        }
        req.extensions_mut().insert(form);
    }
    if let Access::Roles(roles) = spec.access {
        if viewer.principal.stage != Stage::Full {
            return Redirect::to("/console/setup").into_response();
        }
        if !viewer.principal.roles.any_of(roles) {
            let needed = roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return layout::error_page(
                Some(&viewer),
                StatusCode::FORBIDDEN,
                "Not for your role",
                &format!("This page needs one of the roles: {needed}."),
            );
        }
    }
    req.extensions_mut().insert(viewer);
    next.run(req).await
}

fn csrf_refused(viewer: Option<&Viewer>) -> Response {
    layout::error_page(
        viewer,
        StatusCode::FORBIDDEN,
        "Form refused",
        "The form did not carry this session's security token (it may be old, or sent from another site). Open the page again and resend it.",
    )
}

async fn read_form(body: Body, limit: usize) -> Result<Form, Response> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        layout::error_page(
            None,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Form too large",
            &format!("A form may carry at most {} KiB.", limit / 1024),
        )
    })?;
    Ok(Form(
        form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    ))
}

/// Security headers on every console response.
async fn headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_differ_per_session_and_compare_exactly() {
        let a = csrf_for_session("cs_sess_a");
        let b = csrf_for_session("cs_sess_b");
        assert_ne!(a, b);
        assert!(csrf_matches(&a, &a));
        assert!(!csrf_matches(&b, &a));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("x_cs_session=no; cs_session=yes; cs_pre=p"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("yes"));
        assert_eq!(cookie(&h, PRE_COOKIE).as_deref(), Some("p"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn secure_flag_follows_the_configuration() {
        let mut c = ConsoleConfig::default();
        assert!(!set_cookie(&c, "a", "b", 1).contains("Secure"));
        c.secure_cookies = true;
        let v = set_cookie(&c, "a", "b", 1);
        assert!(v.contains("; Secure") && v.contains("HttpOnly") && v.contains("SameSite=Strict"));
    }
}
