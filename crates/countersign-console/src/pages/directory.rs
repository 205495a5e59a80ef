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
        (subnav())
        @if let Some((t, e)) = &message { (notice(t, *e)) }
        @if !o.overdue.is_empty() {
            p.notice.error role="status" { strong { (o.overdue.len()) " vendor(s) overdue for review: " }
                "their contacts cannot satisfy a callback. " a href="/console/directory/reviews" { "Record the reviews" } }
        }
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
        "imported" => Some((
            "the import is requested as one change request; another administrator approves it."
                .to_owned(),
            false,
        )),
        "nothing" => Some((
            "nothing to request: every record already matches the directory.".to_owned(),
            false,
        )),
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

/// The directory's sub-pages, linked from each of them.
fn subnav() -> maud::Markup {
    html! {
        nav.subnav aria-label="Directory" {
            ul {
                li { a href="/console/directory" { "Records and requests" } }
                li { a href="/console/directory/reviews" { "Reviews due" } }
                li { a href="/console/directory/keys" { "Vendor keys" } }
                li { a href="/console/directory/import" { "Import CSV" } }
            }
        }
    }
}

const KINDS: [(&str, &str); 4] = [
    ("contacts", "Vendor contacts"),
    ("vendors", "Vendors"),
    ("staff", "IT staff"),
    ("employees", "Employees"),
];

fn columns_help() -> maud::Markup {
    html! {
        details {
            summary { "Columns of each kind" }
            dl.facts {
                @for (k, label) in KINDS {
                    @if let Ok(kind) = countersign_service::directory_admin::record_kind(k) {
                        dt { (label) } dd { code { (kind.columns().join(",")) } }
                    }
                }
            }
            p.help { "Lists (domains, phones) are separated by ; or |. The first line names the columns." }
        }
    }
}

fn import_form(v: &Viewer, kind: &str, csv_text: &str, reason: &str) -> maud::Markup {
    html! {
        form method="post" action="/console/directory/import/preview" {
            (csrf(v))
            div.field {
                label for="im-kind" { "What the file holds" }
                select #im-kind name="kind" required {
                    @for (k, label) in KINDS {
                        option value=(k) selected[k == kind] { (label) }
                    }
                }
            }
            div.field {
                label for="im-csv" { "The CSV, with its header line" }
                textarea #im-csv name="csv" rows="10" required spellcheck="false" aria-describedby="im-help" { (csv_text) }
                p.help #im-help { "Paste the file's text. Nothing is changed until the preview is requested and another administrator approves it." }
            }
            div.field {
                label for="im-reason" { "Why (kept with the change request)" }
                input #im-reason name="reason" type="text" maxlength="500" value=(reason);
            }
            button type="submit" { "Preview" }
        }
        (columns_help())
    }
}

/// The CSV import form.
pub async fn import_page(Extension(v): Extension<Viewer>) -> Response {
    let body = html! {
        (subnav())
        p { "Import one kind of record from a spreadsheet. The preview names every bad line (line, field, what is wrong) before anything is applied; a clean import becomes one change request that another administrator approves." }
        (import_form(&v, "contacts", "", ""))
    };
    respond(
        StatusCode::OK,
        page(Some(&v), "Import directory records", body),
    )
}

/// The preview: every change with its line, every bad line with its field.
pub async fn import_preview(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let (kind_name, csv_text, reason) = (form.get("kind"), form.get("csv"), form.get("reason"));
    let preview = match countersign_service::directory_admin::record_kind(kind_name) {
        Ok(kind) => {
            state
                .services
                .preview_import(&v.principal, kind, csv_text)
                .await
        }
        Err(e) => Err(e),
    };
    let p = match preview {
        Ok(p) => p,
        Err(err) => {
            let status = layout::status_of(&err);
            let body = html! {
                (subnav())
                (notice(&err.to_string(), true))
                (import_form(&v, kind_name, csv_text, reason))
            };
            return respond(status, page(Some(&v), "Import directory records", body));
        }
    };
    let status = if p.issues.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        (subnav())
        p.lead {
            (p.lines) " line(s) read: " (p.changes.len()) " change(s), "
            (p.unchanged) " already as in the directory, " (p.issues.len()) " problem(s)."
        }
        @if !p.issues.is_empty() {
            section aria-labelledby="h-issues" {
                h2 #h-issues { "Bad lines: nothing can be requested until they are fixed" }
                p.notice.error role="alert" { strong { "Refused: " } (p.issues.len()) " problem(s) in the file; nothing was changed." }
                div.scroll tabindex="0" { table.issues {
                    caption { "Each problem, in file order" }
                    thead { tr { th scope="col" { "Line" } th scope="col" { "Field" } th scope="col" { "What is wrong" } } }
                    tbody { @for i in &p.issues {
                        tr {
                            td { @if let Some(l) = i.line { (l) } @else { "whole file" } }
                            td { (i.field.as_deref().unwrap_or("—")) }
                            td { (i.message) }
                        }
                    } }
                } }
            }
        }
        @if !p.changes.is_empty() {
            section aria-labelledby="h-changes" {
                h2 #h-changes { "Changes the import would request" }
                div.scroll tabindex="0" { table {
                    caption { "Each change with the line it comes from" }
                    thead { tr { th scope="col" { "Line" } th scope="col" { "Change" } th scope="col" { "Record" } } }
                    tbody { @for (line, op, subject) in &p.changes {
                        tr { td { @if let Some(l) = line { (l) } @else { "—" } } td { (op.replace('_', " ")) } td { (subject) } }
                    } }
                } }
            }
        }
        @if p.issues.is_empty() && !p.changes.is_empty() {
            form method="post" action="/console/directory/import" {
                (csrf(&v))
                input type="hidden" name="kind" value=(kind_name);
                input type="hidden" name="csv" value=(csv_text);
                div.field {
                    label for="ap-reason" { "Why (kept with the change request)" }
                    input #ap-reason name="reason" type="text" maxlength="500" required value=(reason);
                }
                button type="submit" { "Request these " (p.changes.len()) " change(s)" }
                p.help { "Another administrator approves the request on the directory page; you cannot approve your own." }
            }
        } @else if p.issues.is_empty() {
            p { "Nothing to request: every record already matches the directory." }
        }
        h2 { "Edit and preview again" }
        (import_form(&v, kind_name, csv_text, reason))
    };
    respond(status, page(Some(&v), "Import preview", body))
}

/// Requests a previewed import as one change request.
pub async fn import_request(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let result = match countersign_service::directory_admin::record_kind(form.get("kind")) {
        Ok(kind) => {
            state
                .services
                .request_import(&v.principal, kind, form.get("csv"), form.get("reason"))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(_)) => Redirect::to("/console/directory?done=imported").into_response(),
        Ok(None) => Redirect::to("/console/directory?done=nothing").into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            let body = html! {
                (subnav())
                (notice(&err.to_string(), true))
                (import_form(&v, form.get("kind"), form.get("csv"), form.get("reason")))
            };
            respond(status, page(Some(&v), "Import directory records", body))
        }
    }
}

/// Vendor signing keys and their status.
pub async fn keys(State(state): State<ConsoleState>, Extension(v): Extension<Viewer>) -> Response {
    let o = match state.services.directory_overview(&v.principal).await {
        Ok(o) => o,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let now = time::OffsetDateTime::now_utc();
    let vendor_name = |id: &str| {
        o.snapshot
            .vendors
            .iter()
            .find(|x| x.id == id)
            .map_or_else(|| id.to_owned(), |x| format!("{} ({id})", x.name))
    };
    let body = html! {
        (subnav())
        p { "Keys vendors sign their requests with (Ed25519). Only a valid key verifies a signature; revoking one takes effect at once, adding one needs a second administrator." }
        @if o.snapshot.keys.is_empty() { p { "No vendor key is enrolled." } } @else {
            div.scroll tabindex="0" { table {
                caption { "Enrolled vendor signing keys" }
                thead { tr { th scope="col" { "Vendor" } th scope="col" { "Key ID" } th scope="col" { "Valid from" }
                    th scope="col" { "Valid until" } th scope="col" { "Status" } } }
                tbody { @for k in &o.snapshot.keys {
                    @let (word, class) = if k.revoked_at.is_some_and(|r| r <= now) { ("revoked", "badge bad") }
                        else if k.not_after.is_some_and(|e| e <= now) { ("expired", "badge bad") }
                        else if k.not_before > now { ("not yet valid", "badge hold") }
                        else { ("valid", "badge ok") };
                    tr {
                        td { (vendor_name(&k.vendor)) }
                        td { code { (k.key_id) } }
                        td { (time_el(k.not_before)) }
                        td { @if let Some(e) = k.not_after { (time_el(e)) } @else { "no end" } }
                        td { span class=(class) { (word) }
                             @if let (Some(r), Some(why)) = (k.revoked_at, &k.revoked_reason) { " " (layout::when(r)) ": " (why) } }
                    }
                } }
            } }
        }
    };
    respond(StatusCode::OK, page(Some(&v), "Vendor keys", body))
}

async fn render_reviews(
    state: &ConsoleState,
    v: &Viewer,
    message: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let o = match state.services.directory_overview(&v.principal).await {
        Ok(o) => o,
        Err(err) => return layout::service_error(Some(v), err),
    };
    let now = time::OffsetDateTime::now_utc();
    let soon = now + time::Duration::days(30);
    let mut due: Vec<_> = o
        .snapshot
        .vendors
        .iter()
        .filter(|x| x.status == countersign_directory::VendorStatus::Active)
        .filter(|x| x.review_due.is_none_or(|d| d <= soon))
        .collect();
    due.sort_by_key(|x| x.review_due);
    let body = html! {
        (subnav())
        @if let Some((t, e)) = &message { (notice(t, *e)) }
        p { "Vendor records are reviewed at least every quarter and after any personnel change. An overdue vendor's contacts cannot satisfy a callback until its review is recorded." }
        @if due.is_empty() { p { "No active vendor is due for review in the next 30 days." } }
        @for (i, x) in due.iter().enumerate() {
            @let overdue = x.review_due.is_none_or(|d| d <= now);
            @let h = format!("rv-{i}");
            article.card.overdue[overdue] aria-labelledby=(h) {
                h2 #(h) { (x.name) " (" (x.id) ")" }
                p {
                    @if overdue { span.badge.bad { span aria-hidden="true" { "× " } "overdue" } " " }
                    @else { span.badge.hold { "due soon" } " " }
                    "Review due " @if let Some(d) = x.review_due { (time_el(d)) } @else { "now (never reviewed)" }
                    @if let Some(l) = x.last_reviewed_at { "; last reviewed " (time_el(l)) }
                    ". Relationship manager: " (x.relationship_manager) "."
                }
                form method="post" action={ "/console/directory/vendors/" (x.id) "/review" } {
                    (csrf(v))
                    div.field {
                        label for={ "rvn-" (i) } { "What was checked (contacts, numbers, keys, people who left)" }
                        input id={ "rvn-" (i) } name="notes" type="text" maxlength="2000" required;
                    }
                    button type="submit" { "Record the review of " (x.name) }
                }
            }
        }
    };
    respond(status, page(Some(v), "Vendor reviews", body))
}

/// Vendor reviews due in the next 30 days, overdue first.
pub async fn reviews(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let pairs = query_pairs(req.uri().query());
    let message = (param(&pairs, "done") == "reviewed").then(|| {
        (
            "the review is recorded; the vendor's contacts are trusted until the next one is due."
                .to_owned(),
            false,
        )
    });
    render_reviews(&state, &v, message, StatusCode::OK).await
}

/// Records a vendor review (audited).
pub async fn record_review(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    match state
        .services
        .record_vendor_review(&v.principal, &id, form.get("notes"))
        .await
    {
        Ok(_) => Redirect::to("/console/directory/reviews?done=reviewed").into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render_reviews(&state, &v, Some((err.to_string(), true)), status).await
        }
    }
}
