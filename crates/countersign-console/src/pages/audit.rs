//! The audit log (security administrators): search by action prefix,
//! actor and subject, newest first; the chain's state (intact, or where it
//! breaks); export as JSON lines. Verifying and exporting are forms (they
//! are themselves audited).

use super::{param, query_pairs};
use crate::layout::{self, csrf, page, respond, time_el};
use crate::{ConsoleState, Viewer};
use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use countersign_service::audit_view::{AuditQuery, ChainState};
use maud::{Markup, html};

async fn render(
    state: &ConsoleState,
    v: &Viewer,
    query: AuditQuery,
    chain: Option<ChainState>,
) -> Response {
    let (result, error) = match state.services.audit_search(&v.principal, &query).await {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    let status = error.as_ref().map_or(StatusCode::OK, layout::status_of);
    let next_link = |before: u64| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, val) in [
            ("action", &query.action),
            ("actor", &query.actor),
            ("subject", &query.subject),
        ] {
            if !val.is_empty() {
                s.append_pair(k, val);
            }
        }
        s.append_pair("before", &before.to_string());
        format!("/console/audit?{}", s.finish())
    };
    let chain_markup: Markup = match &chain {
        Some(ChainState::Intact {
            entries,
            checkpoints,
        }) => html! {
            p.notice.ok role="status" { strong { "Chain intact: " } (entries) " entries link, " (checkpoints) " signed checkpoint(s) verify." }
        },
        Some(ChainState::Broken(why)) => html! {
            p.notice.error role="alert" { strong { "Chain broken: " } (why) }
        },
        Some(ChainState::NoKey) => html! {
            p.notice.error role="alert" { strong { "Cannot verify: " } "this server has no installation key." }
        },
        None => html! {},
    };
    let body = html! {
        (chain_markup)
        div.actions {
            form method="post" action="/console/audit/verify" {
                (csrf(v))
                button type="submit" { "Verify the whole chain" }
            }
            form method="post" action="/console/audit/export" {
                (csrf(v))
                button type="submit" { "Export (JSON lines)" }
            }
        }
        form.filters method="get" action="/console/audit" {
            div.field { label for="a-action" { "Action starts with" } input #a-action name="action" type="text" value=(query.action); }
            div.field { label for="a-actor" { "Actor" } input #a-actor name="actor" type="text" value=(query.actor); }
            div.field { label for="a-subject" { "Subject" } input #a-subject name="subject" type="text" value=(query.subject); }
            button type="submit" { "Search" }
            " " a href="/console/audit" { "Clear" }
        }
        @if let Some(e) = &error { (layout::notice(&e.to_string(), true)) }
        @if let Some(p) = &result {
            @if p.entries.is_empty() { p { "No entry matches." } } @else {
                div.scroll tabindex="0" { table {
                    caption { "Audit entries, newest first" }
                    thead { tr { th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "Actor" }
                        th scope="col" { "Action" } th scope="col" { "Subject" } th scope="col" { "Details" } } }
                    tbody { @for e in &p.entries {
                        tr { td { (e.seq) } td { (time_el(e.at)) } td { (e.actor) } td { code { (e.action) } }
                             td { (e.subject) } td.details { (e.details.chars().take(300).collect::<String>()) } }
                    } }
                } }
                @if let Some(n) = p.next { nav.pager aria-label="Pages" { a rel="next" href=(next_link(n)) { "Older entries" } } }
            }
        }
    };
    respond(status, page(Some(v), "Audit log", body))
}

/// Search.
pub async fn search(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let pairs = query_pairs(req.uri().query());
    let query = AuditQuery {
        action: param(&pairs, "action").to_owned(),
        actor: param(&pairs, "actor").to_owned(),
        subject: param(&pairs, "subject").to_owned(),
        before: param(&pairs, "before").parse().ok(),
    };
    render(&state, &v, query, None).await
}

/// Verifies the chain and shows the answer above the newest entries.
pub async fn verify(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
) -> Response {
    match state.services.audit_chain(&v.principal).await {
        Ok(chain) => render(&state, &v, AuditQuery::default(), Some(chain)).await,
        Err(err) => layout::service_error(Some(&v), err),
    }
}

/// The whole log as a JSON-lines download.
pub async fn export(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
) -> Response {
    match state.services.audit_export(&v.principal).await {
        Ok(bytes) => {
            let mut resp = bytes.into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"countersign-audit.jsonl\""),
            );
            resp
        }
        Err(err) => layout::service_error(Some(&v), err),
    }
}
