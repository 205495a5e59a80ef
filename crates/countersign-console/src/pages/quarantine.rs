//! The quarantine: review (analysts and administrators), release and
//! delete with a reason (administrators).

use super::{param, query_pairs};
use crate::layout::{self, csrf, notice, page, respond, time_el, verdict_badge};
use crate::{ADMIN, ConsoleState, Form, Viewer};
use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

/// Messages listed at once: each carries two forms.
const PAGE: u32 = 50;

async fn render(
    state: &ConsoleState,
    v: &Viewer,
    after: &str,
    message: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let (list, next) = match state
        .services
        .quarantine_page(&v.principal, after, PAGE)
        .await
    {
        Ok(l) => l,
        Err(err) => return layout::service_error(Some(v), err),
    };
    let link = |after: &str| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("after", after);
        format!("/console/quarantine?{}", s.finish())
    };
    let admin = v.can(ADMIN);
    let body = html! {
        @if let Some((t, e)) = &message { (notice(t, *e)) }
        @if list.is_empty() {
            @if after.is_empty() { p { "The quarantine is empty." } } @else { p { "No older messages." } }
        } @else {
            p { (list.len()) " message(s), newest first" @if !after.is_empty() { ", older than the previous page" } ". Open one to read its findings before deciding." }
            @for (i, q) in list.iter().enumerate() {
                @let h = format!("q-{i}");
                article.card aria-labelledby=(h) {
                    h2 #(h) { a href={ "/console/messages/" (q.id) } { (q.subject.as_deref().filter(|s| !s.is_empty()).unwrap_or("(no subject)")) } }
                    p { (verdict_badge(&q.verdict)) " from " (q.from_address.as_deref().unwrap_or("(none)"))
                        " (envelope " @if q.mail_from.is_empty() { "<>" } @else { (q.mail_from) } "), to " (q.rcpt.join(", "))
                        ", " (time_el(q.received_at)) ", " (q.size) " bytes" }
                    @if admin {
                        div.actions {
                            form method="post" action={ "/console/quarantine/" (q.id) "/release" } {
                                (csrf(v))
                                div.field {
                                    label for={ "rel-" (i) } { "Why release it" }
                                    input id={ "rel-" (i) } name="reason" type="text" maxlength="500" required;
                                }
                                button type="submit" { "Release to the help desk" }
                            }
                            form method="post" action={ "/console/quarantine/" (q.id) "/delete" } {
                                (csrf(v))
                                div.field {
                                    label for={ "del-" (i) } { "Why delete it" }
                                    input id={ "del-" (i) } name="reason" type="text" maxlength="500" required;
                                }
                                button.danger type="submit" { "Delete content" }
                            }
                        }
                    }
                }
            }
        }
        @if !after.is_empty() || next.is_some() {
            nav.pager aria-label="Quarantine pages" {
                @if !after.is_empty() { a href="/console/quarantine" { "Newest" } " " }
                @if let Some(n) = &next { a href=(link(n)) rel="next" { "Older messages" } }
            }
        }
    };
    respond(status, page(Some(v), "Quarantine", body))
}

/// The quarantine list.
pub async fn list(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let pairs = query_pairs(req.uri().query());
    let message = match param(&pairs, "done") {
        "released" => Some((
            "the message was released and is relayed to the help desk.".to_owned(),
            false,
        )),
        "deleted" => Some((
            "the message's content was deleted; its record stays.".to_owned(),
            false,
        )),
        _ => None,
    };
    render(&state, &v, param(&pairs, "after"), message, StatusCode::OK).await
}

/// Releases a message (administrators).
pub async fn release(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    match state
        .services
        .release_quarantined(&v.principal, &id, form.get("reason"))
        .await
    {
        Ok(_) => Redirect::to("/console/quarantine?done=released").into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render(&state, &v, "", Some((err.to_string(), true)), status).await
        }
    }
}

/// Deletes a message's content (administrators).
pub async fn delete(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    match state
        .services
        .delete_quarantined(&v.principal, &id, form.get("reason"))
        .await
    {
        Ok(()) => Redirect::to("/console/quarantine?done=deleted").into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render(&state, &v, "", Some((err.to_string(), true)), status).await
        }
    }
}
