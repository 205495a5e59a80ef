//! The case view (each required control with its action, approvals with
//! who and when, the audited timeline), its forms, and the approvals page.

use super::queue::{claimed_words, control_words, held_table};
use super::{param, query_pairs};
use crate::layout::{self, csrf, notice, page, respond, state_badge, time_el};
use crate::{ANALYST, APPROVERS, ConsoleState, Form, QUEUE, Viewer};
use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_accounts::Role;
use countersign_cases::{CaseState, ControlStatus, Origin};
use countersign_model::verdict::Control;
use countersign_service::ServiceError;
use countersign_service::cases::{
    ApprovalInput, CallbackInput, CaseView, CodeInput, DenyInput, SendCodeInput, SignatureInput,
};
use maud::{Markup, html};
use serde::de::DeserializeOwned;

fn done_text(key: &str) -> Option<&'static str> {
    Some(match key {
        "callback" => "the callback is recorded.",
        "code-sent" => {
            "a code was sent to the directory channel; ask the requester to read it back."
        }
        "code-checked" => "the code was checked.",
        "approved" => "your approval is recorded.",
        "denied" => "the request is denied; nobody acts on it.",
        "released" => "the request is released for action.",
        "challenge" => "a challenge was issued; send it to the vendor.",
        "signed" => "the vendor's signature was checked.",
        _ => return None,
    })
}

fn word<T: DeserializeOwned>(field: &str, text: &str) -> Result<T, ServiceError> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned())).map_err(|_| {
        ServiceError::Invalid {
            field: field.to_owned(),
            message: format!("{text:?} is not one of the choices"),
        }
    })
}

fn control_section(v: &Viewer, view: &CaseView, index: usize) -> Markup {
    let case = &view.case;
    let c = &case.controls[index];
    let id = &case.id;
    let pending = case.state == CaseState::Pending && c.status == ControlStatus::Pending;
    let analyst = v.can(ANALYST);
    let heading = format!("h-ctl-{index}");
    html! {
        section.control aria-labelledby=(heading) {
            h3 #(heading) { (control_words(c.control)) " " (state_badge(match c.status {
                ControlStatus::Pending => "pending",
                ControlStatus::Satisfied => "satisfied",
                ControlStatus::Failed => "failed",
            })) }
            @match c.control {
                Control::Callback => {
                    p { "Call the requester back on a number from the directory, never on one from the request." }
                    @if !view.verification.call.is_empty() {
                        ul.numbers {
                            @for e in &view.verification.call {
                                li { strong { "Call: " } span.number { (e.address) } " (" (e.name) ", directory)" }
                            }
                        }
                    }
                    @if !view.verification.do_not_call.is_empty() {
                        ul.numbers.dnc {
                            @for n in &view.verification.do_not_call {
                                li { strong { "Do not use: " } s { (n) } " (taken from the message)" }
                            }
                        }
                    }
                    @if !c.callbacks.is_empty() {
                        ul { @for a in &c.callbacks {
                            li { (a.number) " (" (a.name) "): " (format!("{:?}", a.outcome).to_lowercase()) " by " (a.by) ", " (time_el(a.at)) }
                        } }
                    }
                    @if pending && analyst && !view.verification.call.is_empty() {
                        form method="post" action={ "/console/cases/" (id) "/callback" } {
                            (csrf(v))
                            div.field {
                                label for="cb-number" { "Number called" }
                                select #cb-number name="number" {
                                    @for e in &view.verification.call { option value=(e.address) { (e.address) " (" (e.name) ")" } }
                                }
                            }
                            fieldset {
                                legend { "Outcome" }
                                label { input type="radio" name="outcome" value="confirmed" required; " Confirmed the request" }
                                label { input type="radio" name="outcome" value="denied"; " Did not make the request" }
                                label { input type="radio" name="outcome" value="no_answer"; " No answer" }
                            }
                            button type="submit" { "Record callback" }
                        }
                    }
                }
                Control::OneTimeCode => {
                    p { "A one-time code goes to a directory channel; the requester reads it back." }
                    @if let Some(code) = &c.code {
                        p { "Code sent by " (format!("{:?}", code.channel).to_lowercase()) " to " (code.destination)
                            "; valid until " (time_el(code.expires_at)) "; "
                            @if code.used { "used." } @else { (code.attempts_left) " tries left." } }
                    }
                    @if pending && analyst {
                        @let dests: Vec<(&str, &str, &str)> = view.verification.email.iter().map(|e| ("email", e.address.as_str(), e.name.as_str()))
                            .chain(view.verification.call.iter().map(|e| ("sms", e.address.as_str(), e.name.as_str()))).collect();
                        @if !dests.is_empty() {
                            form method="post" action={ "/console/cases/" (id) "/code" } {
                                (csrf(v))
                                div.field {
                                    label for="code-dest" { "Send to (directory)" }
                                    select #code-dest name="target" {
                                        @for (ch, addr, name) in &dests {
                                            option value={ (ch) ":" (addr) } { (addr) " (" (name) ", " (ch) ")" }
                                        }
                                    }
                                }
                                button type="submit" { "Send code" }
                            }
                        }
                        @if c.code.as_ref().is_some_and(|k| !k.used) {
                            form method="post" action={ "/console/cases/" (id) "/code/verify" } {
                                (csrf(v))
                                div.field {
                                    label for="code-in" { "Code read back by the requester" }
                                    input #code-in name="code" type="text" inputmode="numeric" autocomplete="off" required;
                                }
                                button type="submit" { "Check code" }
                            }
                        }
                    }
                }
                Control::VendorSignature => {
                    p { "The vendor signs a challenge with its enrolled key." }
                    @if let Some(k) = &c.signed_by_key { p { "Signed by key " code { (k) } "." } }
                    @else if let Some(ch) = c.challenge.as_ref().filter(|ch| !ch.used) {
                        p { "Send this challenge to the vendor's directory contact; they answer with "
                            code { "countersign vendor sign" } " (or their own tool):" }
                        pre.wrap.challenge { (serde_json::to_string(&ch.payload).unwrap_or_default()) }
                        @if pending && analyst {
                            form method="post" action={ "/console/cases/" (id) "/signature" } {
                                (csrf(v))
                                div.field {
                                    label for="sig-jws" { "Signed answer from the vendor (JWS)" }
                                    textarea #sig-jws name="jws" rows="3" required {}
                                }
                                button type="submit" { "Check signature" }
                            }
                        }
                    } @else {
                        p { "No challenge issued yet." }
                    }
                    @if pending && analyst && c.signed_by_key.is_none() {
                        form method="post" action={ "/console/cases/" (id) "/challenge" } {
                            (csrf(v))
                            button type="submit" { @if c.challenge.is_some() { "Issue a new challenge" } @else { "Issue a challenge" } }
                        }
                    }
                }
                Control::DualApproval => {
                    p { "Two different people approve: a technical approver and the vendor's relationship manager, each with a fresh authenticator code." }
                    @if c.approvals.is_empty() { p { "No approval yet." } } @else {
                        ul { @for a in &c.approvals {
                            li { (a.name) " as " (match a.capacity { countersign_cases::Capacity::Approver => "approver", countersign_cases::Capacity::RelationshipManager => "relationship manager" }) ", " (time_el(a.at)) }
                        } }
                    }
                    @if pending && v.can(APPROVERS) {
                        form method="post" action={ "/console/cases/" (id) "/approve" } {
                            (csrf(v))
                            div.field {
                                label for="ap-cap" { "Approve as" }
                                select #ap-cap name="capacity" {
                                    @if v.principal.roles.contains(Role::Approver) { option value="approver" { "approver" } }
                                    @if v.principal.roles.contains(Role::RelationshipManager) { option value="relationship_manager" { "relationship manager" } }
                                }
                            }
                            div.field {
                                label for="ap-totp" { "Fresh authenticator code" }
                                input #ap-totp name="totp" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required;
                            }
                            button type="submit" { "Approve" }
                        }
                    }
                }
            }
        }
    }
}

async fn render_case(
    state: &ConsoleState,
    v: &Viewer,
    id: &str,
    message: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let services = &state.services;
    let view = match services.case_view(&v.principal, id).await {
        Ok(view) => view,
        Err(err) => return layout::service_error(Some(v), err),
    };
    let timeline = match services.case_timeline(&v.principal, id).await {
        Ok(t) => t,
        Err(err) => return layout::service_error(Some(v), err),
    };
    let case = &view.case;
    let body = html! {
        @if let Some((text, error)) = &message { (notice(text, *error)) }
        p.lead { (state_badge(case.state.as_str())) " opened " (time_el(case.opened_at))
            @if case.state == CaseState::Pending { ", must be verified by " (time_el(case.expires_at)) } }
        dl.facts {
            dt { "Claims to be" } dd { (claimed_words(case)) }
            dt { "Asks for" } dd { (case.request.summary)
                @if !case.request.kinds.is_empty() { " (" (case.request.kinds.join(", ").replace('_', " ")) ")" } }
            dt { "Came by" } dd { (format!("{:?}", case.channel).to_lowercase())
                @if let Origin::Message { message_id } = &case.origin {
                    @if v.can(QUEUE) { ": " a href={ "/console/messages/" (message_id) } { "the message" } }
                } }
            @if !case.reasons.is_empty() {
                dt { "Why it is held" } dd { ul { @for r in &case.reasons { li { (r) } } } }
            }
            @if let Some(cl) = &case.closure {
                dt { "Closed" } dd { (cl.reason) " — " (time_el(cl.at)) }
            }
        }
        @if let Some(u) = &view.verification.untrusted {
            p.notice.error role="alert" { strong { "Cannot verify through the directory: " } (u.reason) ". To fix: " (u.fix) }
        }
        section aria-labelledby="h-controls" {
            h2 #h-controls { "Required controls" }
            @for i in 0..case.controls.len() { (control_section(v, &view, i)) }
        }
        @if case.state == CaseState::Verified && v.can(ANALYST) {
            form method="post" action={ "/console/cases/" (case.id) "/release" } {
                (csrf(v))
                button type="submit" { "Release for action" }
            }
        }
        @if matches!(case.state, CaseState::Pending | CaseState::Verified) && v.can(QUEUE) {
            details {
                summary { "Deny the request" }
                form method="post" action={ "/console/cases/" (case.id) "/deny" } {
                    (csrf(v))
                    div.field {
                        label for="deny-reason" { "Reason" }
                        textarea #deny-reason name="reason" rows="2" maxlength="2000" required {}
                    }
                    button.danger type="submit" { "Deny" }
                }
            }
        }
        section aria-labelledby="h-timeline" {
            h2 #h-timeline { "Timeline" }
            div.scroll tabindex="0" { table {
                caption { "Audited events about this case, oldest first" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Detail" } } }
                tbody { @for e in &timeline {
                    tr {
                        td { (time_el(e.at)) }
                        td { (e.actor) }
                        td { (e.action.replace(['.', '_'], " ")) }
                        td { (e.details.get("detail").and_then(|d| d.as_str()).map(str::to_owned)
                                .or_else(|| e.details.get("reason").and_then(|d| d.as_str()).map(str::to_owned))
                                .unwrap_or_default()) }
                    }
                } }
            } }
        }
    };
    respond(status, page(Some(v), &format!("Case {}", case.id), body))
}

/// The case page.
pub async fn case_page(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let pairs = query_pairs(req.uri().query());
    let message = done_text(param(&pairs, "done")).map(|t| (t.to_owned(), false));
    render_case(&state, &v, &id, message, StatusCode::OK).await
}

async fn after(
    state: &ConsoleState,
    v: &Viewer,
    id: &str,
    done: &str,
    result: Result<CaseView, ServiceError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/console/cases/{id}?done={done}")).into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render_case(state, v, id, Some((err.to_string(), true)), status).await
        }
    }
}

/// Records a callback.
pub async fn callback(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let result = match word("outcome", form.get("outcome")) {
        Ok(outcome) => {
            state
                .services
                .record_callback(
                    &v.principal,
                    &id,
                    CallbackInput {
                        number: form.get("number").to_owned(),
                        outcome,
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &v, &id, "callback", result).await
}

/// Sends a one-time code to the chosen directory channel.
pub async fn send_code(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let (channel, destination) = form.get("target").split_once(':').unwrap_or(("", ""));
    let result = match word("channel", channel) {
        Ok(channel) => {
            state
                .services
                .send_code(
                    &v.principal,
                    &id,
                    SendCodeInput {
                        channel,
                        destination: Some(destination.to_owned()).filter(|d| !d.is_empty()),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &v, &id, "code-sent", result).await
}

/// Checks the code the requester read back.
pub async fn verify_code(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let result = state
        .services
        .verify_code(
            &v.principal,
            &id,
            CodeInput {
                code: form.get("code").trim().to_owned(),
            },
        )
        .await;
    after(&state, &v, &id, "code-checked", result).await
}

/// Issues a signature challenge for the vendor.
pub async fn challenge(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    match state.services.issue_challenge(&v.principal, &id).await {
        Ok(_) => Redirect::to(&format!("/console/cases/{id}?done=challenge")).into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render_case(&state, &v, &id, Some((err.to_string(), true)), status).await
        }
    }
}

/// Checks the vendor's signed answer.
pub async fn signature(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let result = state
        .services
        .submit_signature(
            &v.principal,
            &id,
            SignatureInput {
                jws: form.get("jws").trim().to_owned(),
            },
        )
        .await;
    after(&state, &v, &id, "signed", result).await
}

/// Gives an approval with a fresh TOTP code.
pub async fn approve(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let result = match word("capacity", form.get("capacity")) {
        Ok(capacity) => {
            state
                .services
                .approve(
                    &v.principal,
                    &id,
                    ApprovalInput {
                        capacity,
                        totp: form.get("totp").trim().to_owned(),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &v, &id, "approved", result).await
}

/// Denies the request.
pub async fn deny(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let result = state
        .services
        .deny_case(
            &v.principal,
            &id,
            DenyInput {
                reason: form.get("reason").to_owned(),
            },
        )
        .await;
    after(&state, &v, &id, "denied", result).await
}

/// Releases a verified request.
pub async fn release(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let result = state.services.release_case(&v.principal, &id).await;
    after(&state, &v, &id, "released", result).await
}

/// What awaits this approver or relationship manager.
pub async fn approvals(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
) -> Response {
    let cases = match state.services.awaiting_approval(&v.principal, 100).await {
        Ok(c) => c,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let now = time::OffsetDateTime::now_utc();
    let body = html! {
        @if cases.is_empty() {
            p { "Nothing awaits your approval." }
        } @else {
            p { "Open a case, check what is asked and who asks, then approve with a fresh code from your authenticator app." }
            (held_table(&cases, now, "Cases awaiting your approval, oldest first"))
        }
    };
    respond(StatusCode::OK, page(Some(&v), "Approvals", body))
}
