//! The directory (security administrators): vendors with their review
//! state (overdue highlighted in words), contacts, staff; change requests
//! waiting for a second administrator; a form to request a new contact.

use super::{param, query_pairs};
use crate::layout::{self, csrf, notice, page, respond, state_badge, time_el};
use crate::{ConsoleState, Form, Viewer};
use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_service::ServiceError;
use countersign_service::directory_admin::NewContact;
use maud::html;

async fn render(
    state: &ConsoleState,
    v: &Viewer,
    message: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let o = match state.services.directory_overview(&v.principal).await {
        Ok(o) => o,
        Err(err) => return layout::service_error(Some(v), err),
    };
    let me = v.principal.account.staff_id.clone().unwrap_or_default();
    let overdue = |id: &str| o.overdue.iter().any(|x| x.id == id);
    let body = html! {
        @if let Some((t, e)) = &message { (notice(t, *e)) }
        section aria-labelledby="h-req" {
            h2 #h-req { "Change requests waiting for a second administrator" }
            @if o.pending.is_empty() { p { "None." } }
            @for r in &o.pending {
                article.card aria-labelledby={ "req-" (r.id) } {
                    h3 id={ "req-" (r.id) } { "Request " (r.id) " by " (r.author) }
                    p { "Opened " (time_el(r.created_at)) " from " (r.source) ". Reason: " (r.reason) }
                    ul { @for c in &r.changes { li { (c.subject()) } } }
                    @if r.author == me {
                        p.help { "Your own request: another administrator approves it." }
                    } @else {
                        div.actions {
                            form method="post" action={ "/console/directory/requests/" (r.id) "/approve" } {
                                (csrf(v))
                                div.field {
                                    label for={ "ap-" (r.id) } { "Why approve" }
                                    input id={ "ap-" (r.id) } name="reason" type="text" maxlength="500" required;
                                }
                                button type="submit" { "Approve request " (r.id) }
                            }
                            form method="post" action={ "/console/directory/requests/" (r.id) "/reject" } {
                                (csrf(v))
                                div.field {
                                    label for={ "rj-" (r.id) } { "Why reject" }
                                    input id={ "rj-" (r.id) } name="reason" type="text" maxlength="500" required;
                                }
                                button.danger type="submit" { "Reject request " (r.id) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-vendors" {
            h2 #h-vendors { "Vendors" }
            div.scroll tabindex="0" { table {
                caption { "Enrolled vendors; an overdue review removes trust from their contacts" }
                thead { tr { th scope="col" { "Vendor" } th scope="col" { "Domains" } th scope="col" { "Privileged" }
                    th scope="col" { "Status" } th scope="col" { "Review due" } } }
                tbody { @for x in &o.snapshot.vendors {
                    tr {
                        td { (x.name) " (" (x.id) ")" }
                        td { (x.domains.join(", ")) }
                        td { @if x.privileged { "yes" } @else { "no" } }
                        td { (state_badge(&format!("{:?}", x.status).to_lowercase())) }
                        td { @if let Some(d) = x.review_due { (time_el(d)) } @else { "—" }
                             @if overdue(&x.id) { " " span.badge.bad { "overdue" } } }
                    }
                } }
            } }
        }
        section aria-labelledby="h-contacts" {
            h2 #h-contacts { "Vendor contacts" }
            div.scroll tabindex="0" { table {
                caption { "Contacts the help desk may call back" }
                thead { tr { th scope="col" { "Vendor" } th scope="col" { "Name" } th scope="col" { "Email" }
                    th scope="col" { "Phones" } th scope="col" { "Status" } } }
                tbody { @for c in &o.snapshot.contacts {
                    tr { td { (c.vendor) } td { (c.name) } td { (c.email) } td { (c.phones.join(", ")) }
                         td { (state_badge(&format!("{:?}", c.status).to_lowercase())) } }
                } }
            } }
            details {
                summary { "Request a new contact" }
                form method="post" action="/console/directory/contacts" {
                    (csrf(v))
                    div.field {
                        label for="nc-vendor" { "Vendor" }
                        select #nc-vendor name="vendor" required {
                            @for x in &o.snapshot.vendors { option value=(x.id) { (x.name) } }
                        }
                    }
                    div.field { label for="nc-name" { "Name" } input #nc-name name="name" type="text" required; }
                    div.field { label for="nc-email" { "Email" } input #nc-email name="email" type="email" required; }
                    div.field { label for="nc-phone" { "Phone" } input #nc-phone name="phone" type="text" required; }
                    div.field { label for="nc-role" { "Role at the vendor" } input #nc-role name="role" type="text"; }
                    div.field { label for="nc-reason" { "Why" } input #nc-reason name="reason" type="text" required; }
                    button type="submit" { "Request the change" }
                }
            }
        }
        section aria-labelledby="h-staff" {
            h2 #h-staff { "IT staff" }
            div.scroll tabindex="0" { table {
                caption { "Members of IT" }
                thead { tr { th scope="col" { "Staff ID" } th scope="col" { "Name" } th scope="col" { "Role" }
                    th scope="col" { "Email" } th scope="col" { "Phone" } th scope="col" { "Status" } } }
                tbody { @for s in &o.snapshot.staff {
                    tr { td { (s.staff_id) } td { (s.name) } td { (s.role) } td { (s.email) } td { (s.phone) }
                         td { (state_badge(&format!("{:?}", s.status).to_lowercase())) } }
                } }
            } }
        }
    };
    respond(status, page(Some(v), "Directory", body))
}

/// The directory page.
pub async fn overview(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let pairs = query_pairs(req.uri().query());
    let message = match param(&pairs, "done") {
        "requested" => Some((
            "the change is requested; another administrator approves it.".to_owned(),
            false,
        )),
        "approved" => Some(("the change is approved and applied.".to_owned(), false)),
        "rejected" => Some(("the change is rejected.".to_owned(), false)),
        _ => None,
    };
    render(&state, &v, message, StatusCode::OK).await
}

/// Requests a new vendor contact.
pub async fn request_contact(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let new = NewContact {
        vendor: form.get("vendor").to_owned(),
        name: form.get("name").to_owned(),
        email: form.get("email").to_owned(),
        phones: vec![form.get("phone").to_owned()],
        role: form.get("role").to_owned(),
        reason: form.get("reason").to_owned(),
    };
    match state.services.request_contact(&v.principal, new).await {
        Ok(_) => Redirect::to("/console/directory?done=requested").into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render(&state, &v, Some((err.to_string(), true)), status).await
        }
    }
}

async fn decide(state: ConsoleState, v: Viewer, form: Form, id: String, approve: bool) -> Response {
    let result = match id.parse::<i64>() {
        Ok(id) => {
            state
                .services
                .decide_change(&v.principal, id, approve, form.get("reason"))
                .await
        }
        Err(_) => Err(ServiceError::NotFound(format!("change request {id}"))),
    };
    match result {
        Ok(_) => Redirect::to(if approve {
            "/console/directory?done=approved"
        } else {
            "/console/directory?done=rejected"
        })
        .into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render(&state, &v, Some((err.to_string(), true)), status).await
        }
    }
}

/// Approves a change request (never one's own).
pub async fn approve(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    decide(state, v, form, id, true).await
}

/// Rejects a change request.
pub async fn reject(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    decide(state, v, form, id, false).await
}
