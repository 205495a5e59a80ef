//! The page shell (skip link, header, navigation by role, sign-out form),
//! shared bits (verdict and state badges that say their meaning in words,
//! times, notices) and the mapping of use-case errors to pages.

use crate::{APPROVERS, CSRF_FIELD, EMPLOYEE, QUEUE, Viewer};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use countersign_service::ServiceError;
use maud::{DOCTYPE, Markup, html};
use time::OffsetDateTime;

/// A whole page: `title` is both the document title and the `h1`.
pub fn page(viewer: Option<&Viewer>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Countersign" }
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "Countersign" }
                    @if let Some(v) = viewer {
                        (nav(v))
                        div.who {
                            span { (v.principal.account.display_name) }
                            form method="post" action="/console/signout" {
                                (csrf(v))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn nav(v: &Viewer) -> Markup {
    let mut links: Vec<(&str, &str)> = Vec::new();
    if v.can(QUEUE) {
        links.push(("/console/overview", "Overview"));
        links.push(("/console/queue", "Queue"));
        links.push(("/console/quarantine", "Quarantine"));
        links.push(("/console/triage", "Reports"));
    }
    if v.can(&[countersign_accounts::Role::Analyst]) {
        links.push(("/console/callers", "Verify a caller"));
    }
    if v.can(&[countersign_accounts::Role::SecurityAdmin]) {
        links.push(("/console/directory", "Directory"));
        links.push(("/console/campaigns", "Campaigns"));
        links.push(("/console/audit", "Audit log"));
        links.push(("/console/posture", "Posture"));
    }
    if v.can(APPROVERS) {
        links.push(("/console/approvals", "Approvals"));
    }
    if v.can(EMPLOYEE) {
        links.push(("/console/it", "Is this really IT?"));
    }
    if v.can(countersign_service::employees::PEOPLE) {
        links.push(("/console/report", "Report a suspicious offer"));
        links.push(("/console/reports", "My reports"));
    }
    html! {
        nav aria-label="Main" {
            ul {
                @for (href, label) in links {
                    li { a href=(href) { (label) } }
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(v: &Viewer) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(v.csrf); }
}

/// Renders `markup` with `status`.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A page that says what went wrong.
pub fn error_page(
    viewer: Option<&Viewer>,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    respond(
        status,
        page(
            viewer,
            title,
            html! {
                p.notice.error role="alert" { (text) }
                p { a href="/console" { "Back to the console" } }
            },
        ),
    )
}

/// The status a use-case error answers with.
pub fn status_of(err: &ServiceError) -> StatusCode {
    match err {
        ServiceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
        ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
        ServiceError::Invalid { .. } | ServiceError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Conflict(_) => StatusCode::CONFLICT,
        ServiceError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        ServiceError::Upstream(_) => StatusCode::BAD_GATEWAY,
        ServiceError::Store(_) | ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A use-case error as a page (internal details are logged, not shown).
pub fn service_error(viewer: Option<&Viewer>, err: ServiceError) -> Response {
    match &err {
        ServiceError::Store(e) => tracing::error!(error = %e, "console: store error"),
        ServiceError::Internal(e) => tracing::error!(error = %e, "console: internal error"),
        _ => {}
    }
    let title = match &err {
        ServiceError::NotFound(_) => "Not found",
        ServiceError::Forbidden(_) => "Not allowed",
        _ => "Could not do that",
    };
    error_page(viewer, status_of(&err), title, &err.to_string())
}

/// A notice (success) or alert (refusal) paragraph.
pub fn notice(text: &str, error: bool) -> Markup {
    html! {
        @if error {
            p.notice.error role="alert" { strong { "Refused: " } (text) }
        } @else {
            p.notice.ok role="status" { strong { "Done: " } (text) }
        }
    }
}

/// `2026-12-04 16:55 UTC`.
pub fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2026-12-04T16:55:00Z`, for `<time datetime>`.
pub fn iso(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A time element.
pub fn time_el(t: OffsetDateTime) -> Markup {
    html! { time datetime=(iso(t)) { (when(t)) } }
}

/// A verdict badge: the word is always written; colour only repeats it.
pub fn verdict_badge(verdict: &str) -> Markup {
    let (class, icon) = match verdict {
        "deliver" => ("badge ok", "✓"),
        "flag" => ("badge warn", "!"),
        "hold" => ("badge hold", "‖"),
        "quarantine" => ("badge bad", "×"),
        "reject" => ("badge bad", "✕"),
        _ => ("badge", "?"),
    };
    html! { span class=(class) { span aria-hidden="true" { (icon) " " } (verdict) } }
}

/// A state badge for cases, controls and verifications.
pub fn state_badge(state: &str) -> Markup {
    let class = match state {
        "verified" | "released" | "satisfied" => "badge ok",
        "pending" | "received" => "badge hold",
        "denied" | "expired" | "failed" => "badge bad",
        _ => "badge",
    };
    html! { span class=(class) { (state.replace('_', " ")) } }
}

/// How long ago, in words (`3 h 20 min`).
pub fn age(since: OffsetDateTime, now: OffsetDateTime) -> String {
    let d = now - since;
    let minutes = d.whole_minutes().max(0);
    if minutes < 60 {
        format!("{minutes} min")
    } else if minutes < 48 * 60 {
        format!("{} h {} min", minutes / 60, minutes % 60)
    } else {
        format!("{} days", minutes / (24 * 60))
    }
}
