//! Campaigns (security administrators): reports and gateway detections
//! that share indicators, with their timeline, indicators and the teams
//! targeted (a count of people, never their names); open, contain, close.

use crate::layout::{self, csrf, notice, page, respond, state_badge, time_el};
use crate::{ConsoleState, Form, Viewer};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_service::employees::CampaignStatusInput;
use maud::html;

/// The list of campaigns.
pub async fn list(State(state): State<ConsoleState>, Extension(v): Extension<Viewer>) -> Response {
    let campaigns = match state.services.campaigns(&v.principal, None).await {
        Ok(c) => c,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let body = html! {
        @if campaigns.is_empty() { p { "No campaign: no two reports or detections share an indicator yet." } } @else {
            div.scroll tabindex="0" { table {
                caption { "Campaigns, most recently changed first" }
                thead { tr { th scope="col" { "Campaign" } th scope="col" { "Status" } th scope="col" { "Sightings" }
                    th scope="col" { "People targeted" } th scope="col" { "Formed" } th scope="col" { "Last change" } } }
                tbody { @for c in &campaigns {
                    tr {
                        td { a href={ "/console/campaigns/" (c.id) } { (c.id) } }
                        td { (state_badge(c.status.as_str())) }
                        td { (c.sightings) }
                        td { (c.people_targeted) @if c.people_targeted_capped { "+" } }
                        td { (time_el(c.formed_at)) }
                        td { (time_el(c.updated_at)) }
                    }
                } }
            } }
        }
    };
    respond(StatusCode::OK, page(Some(&v), "Campaigns", body))
}

async fn render(
    state: &ConsoleState,
    v: &Viewer,
    id: &str,
    message: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let c = match state.services.campaign(&v.principal, id).await {
        Ok(c) => c,
        Err(err) => return layout::service_error(Some(v), err),
    };
    let body = html! {
        @if let Some((t, e)) = &message { (notice(t, *e)) }
        p.lead { (state_badge(c.status.as_str())) " " (c.sightings) " sightings; " (c.people_targeted) " people targeted; formed " (time_el(c.formed_at)) }
        form.filters method="post" action={ "/console/campaigns/" (c.id) "/status" } {
            (csrf(v))
            div.field {
                label for="c-status" { "Status" }
                select #c-status name="status" {
                    @for s in ["open", "contained", "closed"] { option value=(s) selected[c.status.as_str() == s] { (s) } }
                }
            }
            button type="submit" { "Set status" }
        }
        section aria-labelledby="h-ind" {
            h2 #h-ind { "Indicators" }
            div.scroll tabindex="0" { table {
                caption { "Shared indicators, with how often each was seen" }
                thead { tr { th scope="col" { "Indicator" } th scope="col" { "Sightings" } th scope="col" { "First seen" } th scope="col" { "Last seen" } } }
                tbody { @for i in &c.indicators {
                    tr { td { code { (i.indicator.key()) } } td { (i.sightings) } td { (time_el(i.first_seen)) } td { (time_el(i.last_seen)) } }
                } }
            } }
            @if c.indicators_dropped > 0 { p { (c.indicators_dropped) " more indicators not kept." } }
        }
        section aria-labelledby="h-teams" {
            h2 #h-teams { "Teams targeted" }
            @if c.teams.is_empty() { p { "Not known." } } @else {
                ul { @for (team, n) in &c.teams { li { (team) ": " (n) } } }
            }
        }
        section aria-labelledby="h-tl" {
            h2 #h-tl { "Timeline" }
            div.scroll tabindex="0" { table {
                caption { "Sightings, oldest first" }
                thead { tr { th scope="col" { "When" } th scope="col" { "What" } th scope="col" { "Shared indicators" } } }
                tbody { @for t in &c.timeline {
                    tr { td { (time_el(t.at)) } td { (t.summary) } td { (t.shared.join(", ")) } }
                } }
            } }
        }
    };
    respond(status, page(Some(v), &format!("Campaign {}", c.id), body))
}

/// One campaign.
pub async fn detail(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    render(&state, &v, &id, None, StatusCode::OK).await
}

/// Sets a campaign's status.
pub async fn set_status(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
    Path(id): Path<String>,
) -> Response {
    let input = CampaignStatusInput {
        status: form.get("status").to_owned(),
    };
    match state
        .services
        .set_campaign_status(&v.principal, &id, input)
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/campaigns/{id}")).into_response(),
        Err(err) => {
            let status = layout::status_of(&err);
            render(&state, &v, &id, Some((err.to_string(), true)), status).await
        }
    }
}
