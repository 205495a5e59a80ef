//! The employees' pages: "Is this really IT?" (the staff card with its
//! photo, then the caller-verification code flow with the open-ticket
//! answer), "Report a suspicious offer", and "My reports".

use super::{param, query_pairs};
use crate::layout::{self, csrf, notice, page, respond, state_badge};
use crate::{ConsoleState, Form, Viewer, client_address};
use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use countersign_employees::report::ReportForm;
use countersign_service::employees::{CallerCodeInput, ReportInput, StaffQuery, VerifyCallerInput};
use maud::html;

/// Look up IT staff by the staff ID a caller gave, or by name.
pub async fn it_reference(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let pairs = query_pairs(req.uri().query());
    let (staff_id, name) = (
        param(&pairs, "staff_id").trim(),
        param(&pairs, "name").trim(),
    );
    let asked = !staff_id.is_empty() || !name.is_empty();
    let answer = if asked {
        Some(
            state
                .services
                .staff_lookup(
                    &v.principal,
                    StaffQuery {
                        staff_id: Some(staff_id.to_owned()).filter(|s| !s.is_empty()),
                        name: Some(name.to_owned())
                            .filter(|s| !s.is_empty() && staff_id.is_empty()),
                    },
                )
                .await,
        )
    } else {
        None
    };
    let status = match &answer {
        Some(Err(e)) => layout::status_of(e),
        _ => StatusCode::OK,
    };
    let body = html! {
        p { "Someone says they are from IT? Ask for their staff ID and look it up here. IT never cold-calls: if you did not open a ticket, be careful." }
        form.filters method="get" action="/console/it" {
            div.field {
                label for="staff_id" { "Staff ID they gave" }
                input #staff_id name="staff_id" type="text" autocomplete="off" value=(staff_id);
            }
            div.field {
                label for="name" { "Or their name" }
                input #name name="name" type="text" autocomplete="off" value=(name);
            }
            button type="submit" { "Look up" }
        }
        @match &answer {
            Some(Ok(a)) => {
                @if a.current {
                    p.notice.ok role="status" { strong { "Current member of IT: " } (a.message) }
                } @else {
                    p.notice.error role="alert" { strong { "Not found: " } (a.message) " Hang up and call the help desk on its known number." }
                }
                @for s in &a.staff {
                    article.card.staff aria-label={ "Staff card of " (s.name) } {
                        @if s.photo_url.is_some() {
                            img.photo src={ "/console/staff/" (s.staff_id) "/photo" } alt={ "Photo of " (s.name) } width="96" height="96";
                        } @else {
                            p.nophoto { "No photo on file." }
                        }
                        div {
                            h2 { (s.name) }
                            dl.facts {
                                dt { "Staff ID" } dd { (s.staff_id) }
                                dt { "Role" } dd { (s.role) }
                                dt { "Team" } dd { (s.team) }
                                dt { "Email" } dd { (s.email) }
                                dt { "Phone" } dd { (s.phone) }
                            }
                            form method="post" action="/console/it/verify" {
                                (csrf(&v))
                                input type="hidden" name="staff_id" value=(s.staff_id);
                                button type="submit" { "Verify the caller: send a code to " (s.name) }
                            }
                        }
                    }
                }
            }
            Some(Err(e)) => { (notice(&e.to_string(), true)) }
            None => {}
        }
    };
    respond(status, page(Some(&v), "Is this really IT?", body))
}

/// A staff member's photo.
pub async fn photo(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    match state.services.staff_photo(&v.principal, &id).await {
        Ok((content_type, bytes)) => {
            let mut resp = bytes.into_response();
            if let Ok(ct) = HeaderValue::from_str(&content_type) {
                resp.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=300"),
            );
            resp
        }
        Err(err) => layout::service_error(Some(&v), err),
    }
}

/// Starts a caller verification: a code to the staff member's directory email.
pub async fn start_verify(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    match state
        .services
        .verify_caller(
            &v.principal,
            VerifyCallerInput {
                staff_id: Some(form.get("staff_id").to_owned()),
                employee_id: None,
            },
        )
        .await
    {
        Ok(view) => Redirect::to(&format!("/console/it/verify/{}", view.id)).into_response(),
        Err(err) => layout::service_error(Some(&v), err),
    }
}

/// Where an employee's verifications live.
const IT_BASE: &str = "/console/it/verify";
/// Where an analyst's verifications of callers claiming to be employees live.
const CALLER_BASE: &str = "/console/callers";

async fn render_verification(
    state: &ConsoleState,
    v: &Viewer,
    id: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    render_verification_at(state, v, IT_BASE, id, error, status).await
}

/// One verification, in either direction (the same mechanism); `base` is
/// where its pages live.
async fn render_verification_at(
    state: &ConsoleState,
    v: &Viewer,
    base: &str,
    id: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let analyst = base == CALLER_BASE;
    let view = match state.services.caller_verification(&v.principal, id).await {
        Ok(view) => view,
        Err(err) => return layout::service_error(Some(v), err),
    };
    let body = html! {
        @if let Some(e) = &error { (notice(e, true)) }
        p.lead { (state_badge(&view.state)) " " strong { (view.answer) } }
        @if !view.warnings.is_empty() {
            ul.warnings { @for w in &view.warnings { li { strong { "Warning: " } (w) } } }
        }
        @if view.state == "pending" {
            @if let Some(to) = &view.verification.sent_to {
                p { "A code was sent to " (to) ", the directory email of the person the caller claims to be. Ask the caller to read it to you." }
            }
            form method="post" action={ (base) "/" (view.id) "/code" } {
                (csrf(v))
                div.field {
                    label for="caller-code" { "Code the caller read back" }
                    input #caller-code name="code" type="text" inputmode="numeric" autocomplete="off" required;
                }
                p.help { (view.attempts_left) " tries left." }
                button type="submit" { "Check" }
            }
        }
        @if !view.next_steps.is_empty() {
            h2 { "What to do now" }
            ul { @for s in &view.next_steps { li { (s) } } }
        }
        @if analyst {
            p { a href=(CALLER_BASE) { "Verify another caller" } }
        } @else {
            p { a href="/console/report" { "Report a suspicious call" } }
        }
    };
    respond(status, page(Some(v), "Caller verification", body))
}

/// Analysts: verify a caller who claims to be an employee. The code goes to
/// that employee's directory email, never to anything the caller gives.
pub async fn callers_page(Extension(v): Extension<Viewer>) -> Response {
    let body = html! {
        p { "Someone calls the help desk saying they are an employee? Ask for their employee ID. Countersign sends a code to that employee's own directory email; the caller must read it back to you. Never send a code to a number or address the caller gives." }
        form method="post" action="/console/callers/verify" {
            (csrf(&v))
            div.field {
                label for="employee_id" { "Employee ID the caller gave" }
                input #employee_id name="employee_id" type="text" autocomplete="off" maxlength="40" required;
            }
            button type="submit" { "Send a code to the employee's directory email" }
        }
    };
    respond(StatusCode::OK, page(Some(&v), "Verify a caller", body))
}

/// Starts verifying a caller claiming to be an employee.
pub async fn start_caller_verify(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    match state
        .services
        .verify_caller(
            &v.principal,
            VerifyCallerInput {
                staff_id: None,
                employee_id: Some(form.get("employee_id").to_owned()),
            },
        )
        .await
    {
        Ok(view) => Redirect::to(&format!("{CALLER_BASE}/{}", view.id)).into_response(),
        Err(err) => layout::service_error(Some(&v), err),
    }
}

/// An analyst's verification of a caller.
pub async fn caller_verification(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    render_verification_at(&state, &v, CALLER_BASE, &id, None, StatusCode::OK).await
}

/// The code the caller (claiming to be an employee) read back.
pub async fn submit_caller_code(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    submit_code_at(&state, &v, &form, &id, CALLER_BASE).await
}

/// Either direction's read-back code (one mechanism); `base` is where the
/// verification's pages live.
async fn submit_code_at(
    state: &ConsoleState,
    v: &Viewer,
    form: &Form,
    id: &str,
    base: &str,
) -> Response {
    match state
        .services
        .submit_caller_code(
            &v.principal,
            id,
            CallerCodeInput {
                code: form.get("code").trim().to_owned(),
            },
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("{base}/{id}")).into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render_verification_at(state, v, base, id, Some(err.to_string()), status).await
        }
    }
}

/// A verification's state and answer.
pub async fn verification(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    render_verification(&state, &v, &id, None, StatusCode::OK).await
}

/// The code the caller read back.
pub async fn submit_code(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    submit_code_at(&state, &v, &form, &id, IT_BASE).await
}

const OFFERS: &[(&str, &str)] = &[
    ("tech_support", "Tech support / fixing a problem"),
    ("survey_reward", "A survey with a reward or gift"),
    ("job_offer", "A job offer"),
    ("upgrade", "A free upgrade"),
    ("patch", "An urgent security patch"),
];
const ASKS: &[(&str, &str)] = &[
    ("credentials", "My password or login"),
    ("mfa", "An MFA code or reset"),
    ("access", "Access to something"),
    ("remote_tool", "To install or run a remote-access tool"),
    ("install", "To install software"),
    ("payment", "A payment or bank details"),
    ("data", "Data or files"),
];

fn report_form(v: &Viewer, error: Option<&str>) -> maud::Markup {
    html! {
        @if let Some(e) = error { (notice(e, true)) }
        p { "Tell us what happened. Only the security team sees your report; you will see its outcome under My reports." }
        form.card method="post" action="/console/report" {
            (csrf(v))
            div.field {
                label for="channel" { "How did they contact you?" }
                select #channel name="channel" required {
                    option value="phone" { "Phone call" }
                    option value="email" { "Email" }
                    option value="chat" { "Chat" }
                    option value="sms" { "Text message" }
                    option value="in_person" { "In person" }
                }
            }
            div.field { label for="claimed_name" { "Who did they say they were?" } input #claimed_name name="claimed_name" type="text" maxlength="200"; }
            div.field { label for="claimed_staff_id" { "Staff ID they gave (if any)" } input #claimed_staff_id name="claimed_staff_id" type="text" maxlength="64"; }
            div.field { label for="claimed_organisation" { "Whom did they say they represent?" } input #claimed_organisation name="claimed_organisation" type="text" maxlength="200"; }
            div.field { label for="contact" { "Their number or address" } input #contact name="contact" type="text" maxlength="320"; }
            fieldset {
                legend { "What did they offer?" }
                @for (val, text) in OFFERS { label { input type="checkbox" name="offered" value=(val); " " (text) } }
            }
            fieldset {
                legend { "What did they ask for?" }
                @for (val, text) in ASKS { label { input type="checkbox" name="asked" value=(val); " " (text) } }
            }
            div.field { label for="details" { "What happened, in your words" } textarea #details name="details" rows="4" maxlength="5000" {} }
            div.field {
                label for="message" { "The suspicious email (optional: paste it with its headers)" }
                textarea #message name="message" rows="4" {}
            }
            button type="submit" { "Send report" }
        }
    }
}

/// The report form.
pub async fn report_page(Extension(v): Extension<Viewer>) -> Response {
    respond(
        StatusCode::OK,
        page(Some(&v), "Report a suspicious offer", report_form(&v, None)),
    )
}

/// Files a report.
pub async fn submit_report(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    req: Request,
) -> Response {
    let opt = |name: &str| Some(form.get(name).trim().to_owned()).filter(|s| !s.is_empty());
    let input = ReportInput {
        form: ReportForm {
            channel: form.get("channel").to_owned(),
            claimed_name: opt("claimed_name"),
            claimed_staff_id: opt("claimed_staff_id"),
            claimed_organisation: opt("claimed_organisation"),
            contact: opt("contact"),
            offered: form.all("offered"),
            asked: form.all("asked"),
            details: form.get("details").to_owned(),
        },
        message: opt("message").map(|m| m.replace("\r\n", "\n").replace('\n', "\r\n")),
        message_base64: None,
    };
    let address = client_address(&req);
    match state
        .services
        .submit_report(&v.principal, input, &address)
        .await
    {
        Ok(ack) => respond(
            StatusCode::OK,
            page(
                Some(&v),
                "Report received",
                html! {
                    p.notice.ok role="status" { strong { "Thank you. " } (ack.acknowledgement) }
                    dl.facts {
                        dt { "Report" } dd { (ack.report_id) }
                        dt { "Status" } dd { (ack.status) }
                        @if !ack.indicators.is_empty() {
                            dt { "What we picked out" } dd { ul { @for i in &ack.indicators { li { (i) } } } }
                        }
                    }
                    p { a href="/console/reports" { "See my reports" } }
                },
            ),
        ),
        Err(err) => {
            let status = layout::status_of(&err);
            respond(
                status,
                page(
                    Some(&v),
                    "Report a suspicious offer",
                    report_form(&v, Some(&err.to_string())),
                ),
            )
        }
    }
}

/// The reporter's own reports and their outcomes.
pub async fn my_reports(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
) -> Response {
    let reports = match state.services.my_reports(&v.principal).await {
        Ok(r) => r,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let body = html! {
        @if reports.is_empty() {
            p { "You have not reported anything yet. " a href="/console/report" { "Report a suspicious offer" } }
        } @else {
            div.scroll tabindex="0" { table {
                caption { "Your reports, newest first" }
                thead { tr { th scope="col" { "Received" } th scope="col" { "Report" } th scope="col" { "Status" } th scope="col" { "Outcome" } } }
                tbody { @for r in &reports {
                    tr {
                        td { (r.received_at) }
                        td { (r.id) }
                        td { (state_badge(&r.status)) @if r.deferred { " (deferred)" } }
                        td { (r.outcome_message.as_deref().or(r.outcome.as_deref()).unwrap_or("Not yet reviewed")) }
                    }
                } }
            } }
        }
    };
    respond(StatusCode::OK, page(Some(&v), "My reports", body))
}
