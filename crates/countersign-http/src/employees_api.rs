//! Handlers of the employees' side: the IT reference and staff photos,
//! caller verification, tickets pushed by help-desk tools, reports and
//! campaigns.

use crate::AppState;
use crate::extract::{ApiJson, ClientAddress};
use crate::problem::{ApiResult, Problem};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use countersign_service::Principal;
use countersign_service::employees::{
    CallerCodeInput, CampaignStatusInput, ReportAck, ReportInput, ReportView, StaffAnswer,
    StaffQuery, TicketInput, TriageInput, VerificationView, VerifyCallerInput,
};
use serde::Deserialize;

fn query<T>(q: Result<Query<T>, axum::extract::rejection::QueryRejection>) -> ApiResult<T> {
    q.map(|Query(v)| v)
        .map_err(|e| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.body_text()))
}

/// Looks up IT staff by staff ID or by name: only current staff are shown;
/// a suspended or departed ID answers "not a current member of IT" (and
/// the look-up is recorded). Rate-limited per account.
#[utoipa::path(get, path = "/api/v1/staff", tag = "employees", params(StaffQuery),
    responses((status = 200, description = "the answer", body = StaffAnswer),
              (status = 422, description = "give staff_id or name", body = Problem),
              (status = 429, description = "too many look-ups", body = Problem)))]
pub async fn staff_lookup(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<StaffQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<StaffAnswer>> {
    Ok(Json(state.services.staff_lookup(&p, query(q)?).await?))
}

/// A current staff member's photo, with the type its bytes show.
#[utoipa::path(get, path = "/api/v1/staff/{id}/photo", tag = "employees",
    params(("id" = String, Path, description = "staff ID")),
    responses((status = 200, description = "the image", content_type = "image/*"),
              (status = 404, description = "no photo, or not current staff", body = Problem)))]
pub async fn staff_photo(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (content_type, bytes) = state.services.staff_photo(&p, &id).await?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    Ok(resp)
}

/// Uploads a staff member's photo (JPEG, PNG or WebP, at most 512 KiB;
/// the type is read from the bytes and must match the Content-Type).
#[utoipa::path(put, path = "/api/v1/staff/{id}/photo", tag = "employees",
    params(("id" = String, Path, description = "staff ID")),
    request_body(content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
    responses((status = 204, description = "stored"),
              (status = 404, description = "no such staff ID", body = Problem),
              (status = 422, description = "not an accepted image", body = Problem)))]
pub async fn upload_staff_photo(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    state
        .services
        .upload_staff_photo(&p, &id, body.to_vec(), declared)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts verifying a caller. An employee gives the staff ID a caller
/// claiming to be IT gave; an analyst gives the employee ID a caller
/// claiming to be an employee gave. A code goes to that person's own
/// directory email; the caller must read it back. For a caller claiming
/// IT, the answer warns when the employee has no open ticket or case.
#[utoipa::path(post, path = "/api/v1/verifications", tag = "employees", request_body = VerifyCallerInput,
    responses((status = 201, description = "code sent, or failed at once (unknown or departed ID)", body = VerificationView),
              (status = 422, description = "give exactly one ID", body = Problem),
              (status = 429, description = "too many verifications", body = Problem)))]
pub async fn verify_caller(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiJson(input): ApiJson<VerifyCallerInput>,
) -> ApiResult<(StatusCode, Json<VerificationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.verify_caller(&p, input).await?),
    ))
}

/// A caller verification (to the person who started it).
#[utoipa::path(get, path = "/api/v1/verifications/{id}", tag = "employees",
    params(("id" = String, Path, description = "verification ID")),
    responses((status = 200, description = "the verification", body = VerificationView),
              (status = 404, description = "no such verification of yours", body = Problem)))]
pub async fn get_verification(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<VerificationView>> {
    Ok(Json(state.services.caller_verification(&p, &id).await?))
}

/// The code the caller read back: verified, wrong (with tries left), or failed.
#[utoipa::path(post, path = "/api/v1/verifications/{id}/code", tag = "employees", request_body = CallerCodeInput,
    params(("id" = String, Path, description = "verification ID")),
    responses((status = 200, description = "the verification after the attempt", body = VerificationView),
              (status = 404, description = "no such verification of yours", body = Problem)))]
pub async fn submit_caller_code(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CallerCodeInput>,
) -> ApiResult<Json<VerificationView>> {
    Ok(Json(
        state.services.submit_caller_code(&p, &id, input).await?,
    ))
}

/// Creates or updates a ticket (help-desk tools): what IT may call an
/// employee about.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "employees", request_body = TicketInput,
    responses((status = 204, description = "stored"),
              (status = 422, description = "invalid", body = Problem)))]
pub async fn push_ticket(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiJson(input): ApiJson<TicketInput>,
) -> ApiResult<StatusCode> {
    state.services.push_ticket(&p, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reports a suspicious offer in one step: the form (channel, who they
/// claimed to be, what they offered and asked, free text) and optionally
/// the suspicious message itself, which is analysed. Acknowledged at once;
/// the outcome appears in the reporter's reports once triaged.
#[utoipa::path(post, path = "/api/v1/reports", tag = "employees", request_body = ReportInput,
    responses((status = 201, description = "received", body = ReportAck),
              (status = 422, description = "invalid", body = Problem)))]
pub async fn submit_report(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ClientAddress(address): ClientAddress,
    ApiJson(input): ApiJson<ReportInput>,
) -> ApiResult<(StatusCode, Json<ReportAck>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.submit_report(&p, input, &address).await?),
    ))
}

/// The caller's own reports and their outcomes, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "employees",
    responses((status = 200, description = "your reports", body = Vec<ReportView>)))]
pub async fn my_reports(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<ReportView>>> {
    Ok(Json(state.services.my_reports(&p).await?))
}

/// Every report (the security team), newest first.
#[utoipa::path(get, path = "/api/v1/triage/reports", tag = "employees",
    responses((status = 200, description = "reports", body = Vec<ReportView>)))]
pub async fn all_reports(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<ReportView>>> {
    Ok(Json(state.services.all_reports(&p).await?))
}

/// A report: your own, or any for the security team.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "employees",
    params(("id" = String, Path, description = "report ID")),
    responses((status = 200, description = "the report", body = ReportView),
              (status = 404, description = "no such report of yours", body = Problem)))]
pub async fn get_report(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReportView>> {
    Ok(Json(state.services.report(&p, &id).await?))
}

/// Records a report's outcome; its reporter sees it.
#[utoipa::path(post, path = "/api/v1/reports/{id}/triage", tag = "employees", request_body = TriageInput,
    params(("id" = String, Path, description = "report ID")),
    responses((status = 200, description = "the report", body = ReportView),
              (status = 404, description = "no such report", body = Problem)))]
pub async fn triage_report(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TriageInput>,
) -> ApiResult<Json<ReportView>> {
    Ok(Json(state.services.triage_report(&p, &id, input).await?))
}

/// Campaign filter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CampaignQuery {
    /// open, contained or closed.
    pub status: Option<String>,
}

/// Campaigns: sightings that share indicators, with their timeline,
/// indicators, teams targeted and status.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "employees", params(CampaignQuery),
    responses((status = 200, description = "campaigns, most recently changed first", body = Vec<Object>)))]
pub async fn campaigns(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<CampaignQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let q = query(q)?;
    Ok(Json(state.services.campaigns(&p, q.status.as_deref()).await?).into_response())
}

/// One campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "employees",
    params(("id" = String, Path, description = "campaign ID")),
    responses((status = 200, description = "the campaign", body = Object),
              (status = 404, description = "no such campaign", body = Problem)))]
pub async fn campaign(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(state.services.campaign(&p, &id).await?).into_response())
}

/// Marks a campaign open, contained or closed.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/status", tag = "employees", request_body = CampaignStatusInput,
    params(("id" = String, Path, description = "campaign ID")),
    responses((status = 200, description = "the campaign", body = Object),
              (status = 404, description = "no such campaign", body = Problem)))]
pub async fn campaign_status(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CampaignStatusInput>,
) -> ApiResult<Response> {
    Ok(Json(state.services.set_campaign_status(&p, &id, input).await?).into_response())
}
