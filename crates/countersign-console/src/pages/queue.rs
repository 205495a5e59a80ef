//! The analyst queue (held cases oldest first; recent messages with
//! filters and keyset paging) and the message view.
//!
//! The message's own HTML is never rendered: its visible text is shown as
//! text (escaped by the template), and links as their real destinations.

use super::{param, query_pairs};
use crate::layout::{self, page, respond, time_el, verdict_badge};
use crate::{ConsoleState, Viewer};
use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use countersign_cases::Case;
use countersign_service::queue::{MessageQuery, VERDICTS};
use maud::{Markup, html};
use serde_json::Value;

/// Controls of a case still pending, in words.
pub fn open_controls(case: &Case) -> String {
    let open: Vec<&str> = case
        .controls
        .iter()
        .filter(|c| c.status == countersign_cases::ControlStatus::Pending)
        .map(|c| control_words(c.control))
        .collect();
    if open.is_empty() {
        "none".into()
    } else {
        open.join(", ")
    }
}

/// A control's name in words.
pub fn control_words(c: countersign_model::verdict::Control) -> &'static str {
    use countersign_model::verdict::Control;
    match c {
        Control::Callback => "call back",
        Control::OneTimeCode => "one-time code",
        Control::VendorSignature => "vendor signature",
        Control::DualApproval => "two approvals",
    }
}

/// Who the requester claims to be, in words.
pub fn claimed_words(case: &Case) -> String {
    let c = &case.claimed;
    let mut parts = Vec::new();
    if let Some(n) = &c.person_name {
        parts.push(n.clone());
    }
    if let Some(v) = &c.vendor_name {
        parts.push(v.clone());
    }
    if parts.is_empty() {
        c.claim.clone()
    } else {
        format!("{} ({})", parts.join(", "), c.claim)
    }
}

/// The held cases table.
pub fn held_table(cases: &[Case], now: time::OffsetDateTime, caption: &str) -> Markup {
    html! {
        div.scroll tabindex="0" {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { "Case" }
                    th scope="col" { "Waiting" }
                    th scope="col" { "Claims to be" }
                    th scope="col" { "Request" }
                    th scope="col" { "Still needed" }
                } }
                tbody {
                    @for c in cases {
                        tr {
                            td { a href={ "/console/cases/" (c.id) } { (c.id) } }
                            td { (layout::age(c.opened_at, now)) " (since " (time_el(c.opened_at)) ")" }
                            td { (claimed_words(c)) }
                            td { (c.request.summary) }
                            td { (open_controls(c)) }
                        }
                    }
                }
            }
        }
    }
}

/// The queue.
pub async fn queue(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let pairs = query_pairs(req.uri().query());
    let query = MessageQuery {
        verdict: param(&pairs, "verdict").to_owned(),
        sender: param(&pairs, "sender").to_owned(),
        since: param(&pairs, "since").to_owned(),
        until: param(&pairs, "until").to_owned(),
        after: param(&pairs, "after").to_owned(),
        limit: None,
    };
    let services = &state.services;
    let (held, pending) = match services.held_cases(&v.principal, 20).await {
        Ok(h) => h,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let (page_result, error) = match services.message_page(&v.principal, &query).await {
        Ok(p) => (Some(p), None),
        Err(err) => (None, Some(err)),
    };
    let status = error.as_ref().map_or(StatusCode::OK, layout::status_of);
    let now = time::OffsetDateTime::now_utc();
    let filters: Vec<(&str, &str)> = [
        ("verdict", query.verdict.as_str()),
        ("sender", query.sender.as_str()),
        ("since", query.since.as_str()),
        ("until", query.until.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let link_with = |after: &str| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, val) in &filters {
            s.append_pair(k, val);
        }
        if !after.is_empty() {
            s.append_pair("after", after);
        }
        format!("/console/queue?{}", s.finish())
    };
    let body = html! {
        section aria-labelledby="held-h" {
            h2 #held-h { "Held cases awaiting verification" }
            p { (pending) " pending in all; the oldest first." }
            @if held.is_empty() {
                p { "No case is waiting." }
            } @else {
                (held_table(&held, now, "Held cases, oldest first"))
            }
        }
        section aria-labelledby="msg-h" {
            h2 #msg-h { "Recent messages" }
            form.filters method="get" action="/console/queue" {
                div.field {
                    label for="f-verdict" { "Verdict" }
                    select #f-verdict name="verdict" {
                        option value="" selected[query.verdict.is_empty()] { "any" }
                        @for w in VERDICTS {
                            option value=(w) selected[query.verdict == *w] { (w) }
                        }
                    }
                }
                div.field {
                    label for="f-sender" { "Sender address" }
                    input #f-sender name="sender" type="email" value=(query.sender);
                }
                div.field {
                    label for="f-since" { "From date" }
                    input #f-since name="since" type="date" value=(query.since);
                }
                div.field {
                    label for="f-until" { "Before date" }
                    input #f-until name="until" type="date" value=(query.until);
                }
                button type="submit" { "Filter" }
                " "
                a href="/console/queue" { "Clear filters" }
            }
            @if let Some(err) = &error {
                (layout::notice(&err.to_string(), true))
            }
            @if let Some(p) = &page_result {
                @if p.messages.is_empty() {
                    p { "No message matches." }
                } @else {
                    div.scroll tabindex="0" {
                        table {
                            caption { "Messages, newest first" }
                            thead { tr {
                                th scope="col" { "Received" }
                                th scope="col" { "Verdict" }
                                th scope="col" { "From" }
                                th scope="col" { "Subject" }
                                th scope="col" { "Case" }
                            } }
                            tbody {
                                @for m in &p.messages {
                                    tr {
                                        td { (time_el(m.received_at)) }
                                        td { (verdict_badge(&m.verdict)) }
                                        td { (m.from_address.as_deref().unwrap_or("(none)")) }
                                        td { a href={ "/console/messages/" (m.id) } { (m.subject.as_deref().filter(|s| !s.is_empty()).unwrap_or("(no subject)")) } }
                                        td { @if let Some(c) = &m.case_id { a href={ "/console/cases/" (c) } { (c) } } @else { "—" } }
                                    }
                                }
                            }
                        }
                    }
                }
                nav.pager aria-label="Pages" {
                    @if !query.after.is_empty() { a href=(link_with("")) { "Newest" } " " }
                    @if let Some(next) = &p.next { a rel="next" href=(link_with(next)) { "Older messages" } }
                }
            }
        }
    };
    respond(status, page(Some(&v), "Queue", body))
}

fn auth_row(name: &str, result: &Value, detail: String) -> Markup {
    let r = result.as_str().unwrap_or("none");
    let class = match r {
        "pass" => "badge ok",
        "fail" | "permerror" => "badge bad",
        _ => "badge warn",
    };
    html! {
        tr {
            th scope="row" { (name) }
            td { span class=(class) { (r) } }
            td { (detail) }
        }
    }
}

/// One message: envelope and headers that matter, authentication, findings
/// in plain words, verdict and required controls, text and links as text.
pub async fn message(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let m = match state.services.message(&v.principal, &id).await {
        Ok(m) => m,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let doc: Value = serde_json::from_str(&m.document).unwrap_or(Value::Null);
    let summary: Value = serde_json::from_str(&m.summary).unwrap_or(Value::Null);
    let content = m
        .raw
        .as_deref()
        .map(countersign_risk::MessageContent::parse);
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let reasons = strs(&doc["reasons"]);
    let controls = strs(&doc["required_controls"]);
    let empty = Vec::new();
    let findings = doc["findings"].as_array().unwrap_or(&empty);
    let dkim = doc["dkim"].as_array().unwrap_or(&empty);
    let body = html! {
        p.lead { (verdict_badge(&m.verdict)) " "
            @if let Some(c) = &m.case_id { "Case " a href={ "/console/cases/" (c) } { (c) } }
        }
        section aria-labelledby="h-verdict" {
            h2 #h-verdict { "Verdict and why" }
            @if reasons.is_empty() { p { "No rule fired." } } @else {
                ul { @for r in &reasons { li { (r) } } }
            }
            @if !controls.is_empty() {
                p { strong { "Required before anyone acts: " } (controls.iter().map(|c| c.replace('_', " ")).collect::<Vec<_>>().join(", ")) }
            }
        }
        section aria-labelledby="h-headers" {
            h2 #h-headers { "Headers that matter" }
            dl.facts {
                dt { "Received" } dd { (time_el(m.received_at)) " via " (m.source) }
                dt { "From" } dd {
                    @if let Some(n) = summary["from_name"].as_str() { "“" (n) "” " }
                    (m.from_address.as_deref().unwrap_or("(none)"))
                }
                dt { "Subject" } dd { (m.subject.as_deref().unwrap_or("(none)")) }
                @let reply = strs(&summary["reply_to"]);
                @if !reply.is_empty() { dt { "Reply-To" } dd { (reply.join(", ")) } }
                dt { "Envelope sender" } dd { @if m.mail_from.is_empty() { "<> (null sender)" } @else { (m.mail_from) } }
                dt { "Recipients" } dd { (m.rcpt.join(", ")) }
                dt { "Client" } dd { (m.client_ip) " (HELO " (m.helo) ")" }
            }
        }
        section aria-labelledby="h-auth" {
            h2 #h-auth { "Authentication" }
            div.scroll tabindex="0" { table {
                caption { "Results" }
                thead { tr { th scope="col" { "Check" } th scope="col" { "Result" } th scope="col" { "Detail" } } }
                tbody {
                    (auth_row("SPF", &doc["spf"]["result"], format!("domain {}", doc["spf"]["domain"].as_str().unwrap_or(""))))
                    @for d in dkim {
                        (auth_row("DKIM", &d["result"], format!("d={} s={} {}", d["domain"].as_str().unwrap_or(""), d["selector"].as_str().unwrap_or(""), d["reason"].as_str().unwrap_or(""))))
                    }
                    (auth_row("DMARC", &doc["dmarc"]["result"], format!("From domain {}, policy {}", doc["dmarc"]["from_domain"].as_str().unwrap_or(""), doc["dmarc"]["policy"].as_str().unwrap_or(""))))
                    (auth_row("ARC", &doc["arc"]["result"], format!("{} set(s)", doc["arc"]["instances"].as_u64().unwrap_or(0))))
                }
            } }
            @if let Some(ar) = doc["authentication_results"].as_str() {
                details { summary { "Authentication-Results header" } pre.wrap { (ar) } }
            }
        }
        section aria-labelledby="h-findings" {
            h2 #h-findings { "Findings" }
            @if findings.is_empty() { p { "Nothing observed." } } @else {
                ul.findings {
                    @for f in findings {
                        li {
                            (f["summary"].as_str().unwrap_or(""))
                            @if let Some(e) = f["evidence"].as_str() { br; span.evidence { "Evidence: " (e) } }
                            br; span.signal { "Signal: " code { (f["signal"].as_str().unwrap_or("")) } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-body" {
            h2 #h-body { "Content (as text; nothing from the message is loaded)" }
            @let phones = strs(&summary["phone_numbers"]);
            @if !phones.is_empty() {
                p.notice.error { strong { "Do not call: " } (phones.join(", ")) " — numbers taken from the message; call only directory numbers." }
            }
            @match &content {
                Some(c) => {
                    @if !c.link_mismatches.is_empty() {
                        h3 { "Links whose text shows another destination" }
                        ul { @for l in &c.link_mismatches { li { "shows " code { (l.visible) } ", goes to " code { (l.target) } } } }
                    }
                    h3 { "Where the links really go" }
                    @if c.link_domains.is_empty() { p { "No links." } } @else {
                        ul { @for d in &c.link_domains { li { code { (d) } } } }
                    }
                    h3 { "Text" }
                    @for t in c.shown_parts().take(4) {
                        pre.wrap.body { (t.chars().take(20_000).collect::<String>()) }
                    }
                    @if !c.attachments.is_empty() {
                        p { (c.attachments.len()) " attachment(s), not opened here." }
                    }
                }
                None => {
                    h3 { "Where the links really go" }
                    @let domains = strs(&summary["link_domains"]);
                    @if domains.is_empty() { p { "No links." } } @else { ul { @for d in &domains { li { code { (d) } } } } }
                    p { "The message itself was delivered and not kept." }
                }
            }
        }
    };
    respond(StatusCode::OK, page(Some(&v), "Message", body))
}
