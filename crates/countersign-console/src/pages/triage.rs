//! Reports to triage (analysts and security administrators): every report,
//! newest first, with what the reporter said; the outcome and a note the
//! reporter then sees under "My reports".

use super::{param, query_pairs};
use crate::layout::{self, csrf, notice, page, respond, state_badge};
use crate::{ConsoleState, Form, Viewer};
use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_service::ServiceError;
use countersign_service::employees::TriageInput;
use maud::html;

async fn render(
    state: &ConsoleState,
    v: &Viewer,
    message: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let reports = match state.services.all_reports(&v.principal).await {
        Ok(r) => r,
        Err(err) => return layout::service_error(Some(v), err),
    };
    let body = html! {
        @if let Some((t, e)) = &message { (notice(t, *e)) }
        @if reports.is_empty() { p { "No report yet." } }
        @for (i, r) in reports.iter().enumerate() {
            @let form = &r.report["form"];
            @let h = format!("rep-{i}");
            article.card aria-labelledby=(h) {
                h2 #(h) { "Report " (r.id) " " (state_badge(&r.status)) @if r.deferred { " (deferred)" } }
                dl.facts {
                    dt { "Received" } dd { (r.received_at) }
                    dt { "By" } dd { (form["channel"].as_str().unwrap_or("")) }
                    @if let Some(n) = form["claimed_name"].as_str() { dt { "Claimed to be" } dd { (n) } }
                    @if let Some(c) = form["contact"].as_str() { dt { "Their contact" } dd { (c) } }
                    @if let Some(d) = form["details"].as_str().filter(|d| !d.is_empty()) { dt { "In their words" } dd { (d) } }
                    @if let Some(o) = &r.outcome { dt { "Outcome" } dd { (o) } }
                }
                form method="post" action={ "/console/triage/" (r.id) } {
                    (csrf(v))
                    div.field {
                        label for={ "out-" (i) } { "Outcome" }
                        select id={ "out-" (i) } name="outcome" {
                            @for o in ["malicious", "suspicious", "legitimate", "spam"] { option value=(o) selected[r.outcome.as_deref() == Some(o)] { (o) } }
                        }
                    }
                    div.field {
                        label for={ "note-" (i) } { "Note for the reporter" }
                        input id={ "note-" (i) } name="note" type="text" maxlength="1000";
                    }
                    button type="submit" { "Record outcome of " (r.id) }
                }
            }
        }
    };
    respond(status, page(Some(v), "Reports to triage", body))
}

/// Every report.
pub async fn list(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let pairs = query_pairs(req.uri().query());
    let message = (param(&pairs, "done") == "triaged").then(|| {
        (
            "the outcome is recorded; the reporter sees it.".to_owned(),
            false,
        )
    });
    render(&state, &v, message, StatusCode::OK).await
}

/// Records a report's outcome.
pub async fn triage(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let input = serde_json::from_value::<TriageInput>(serde_json::json!({
        "outcome": form.get("outcome"),
        "note": form.get("note"),
    }))
    .map_err(|_| ServiceError::Invalid {
        field: "outcome".into(),
        message: "one of malicious, suspicious, legitimate, spam".into(),
    });
    let result = match input {
        Ok(input) => state.services.triage_report(&v.principal, &id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to("/console/triage?done=triaged").into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render(&state, &v, Some((err.to_string(), true)), status).await
        }
    }
}
