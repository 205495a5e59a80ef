//! The handlers: each parses its input, calls one use case and answers
//! JSON. Authorisation already happened in the router's middleware (and
//! the use case checks again).

use crate::AppState;
use crate::extract::{ApiJson, ClientAddress};
use crate::problem::{ApiResult, Problem};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use countersign_service::Principal;
use countersign_service::accounts::{
    AccountView, CreatedAccount, CreatedToken, NewAccount, SignedIn, TokenView, TotpSetup,
};
use countersign_service::cases::{
    ApprovalInput, CallbackInput, CasePage, CaseView, CodeInput, DenyInput, NewManualCase,
    SendCodeInput, SignatureInput, TimelineEntry,
};
use countersign_service::messages::IncomingMessage;
use countersign_service::posture::UploadResult;
use countersign_service::webhooks::{AttemptView, CreatedWebhook, NewWebhook, WebhookView};
use serde::{Deserialize, Serialize};

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "alive", body = String)))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready", body = String),
              (status = 503, description = "not ready", body = Problem)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.services.store().ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(err) => {
            tracing::warn!(%err, "not ready");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-ready",
                "the database does not answer",
            )
            .into_response()
        }
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "metrics", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(depth) = state.services.store().outbox_depth().await {
        state.services.metrics().outbox_depth.set(depth);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.services.metrics().render(),
    )
        .into_response()
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object)))]
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

/// Sign-in credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInInput {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// TOTP code, required once the account has TOTP.
    #[serde(default)]
    pub totp: Option<String>,
}

/// Signs in; answers a bearer token.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignInInput,
    responses((status = 201, description = "signed in", body = SignedIn),
              (status = 401, description = "wrong credentials", body = Problem),
              (status = 429, description = "locked or throttled", body = Problem)))]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(input): ApiJson<SignInInput>,
) -> ApiResult<(StatusCode, Json<SignedIn>)> {
    if input.password.len() > 1024 || input.username.len() > 256 {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "credentials too long",
        ));
    }
    let signed = state
        .services
        .sign_in(
            &input.username,
            &input.password,
            input.totp.as_deref(),
            &address,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(signed)))
}

/// Signs out (ends this session).
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "signed out")))]
pub async fn sign_out(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> ApiResult<StatusCode> {
    state.services.sign_out(&p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who am I, and what may I do.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The account.
    pub account: AccountView,
    /// `full`, or `setup` until the password is changed and TOTP enrolled.
    pub stage: String,
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "the account", body = Me)))]
pub async fn me(Extension(p): Extension<Principal>) -> Json<Me> {
    Json(Me {
        account: AccountView::from(&p.account),
        stage: p.stage.as_str().to_owned(),
    })
}

/// A password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    /// The current password.
    pub current_password: String,
    /// The new password (at least 12 characters).
    pub new_password: String,
}

/// Changes the caller's password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", request_body = PasswordInput,
    responses((status = 204, description = "changed"), (status = 422, description = "refused", body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiJson(input): ApiJson<PasswordInput>,
) -> ApiResult<StatusCode> {
    state
        .services
        .change_password(&p, &input.current_password, &input.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts TOTP enrolment.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "session",
    responses((status = 201, description = "enrolment material, shown once", body = TotpSetup)))]
pub async fn start_totp(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> ApiResult<(StatusCode, Json<TotpSetup>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.start_totp(&p).await?),
    ))
}

/// A TOTP code.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpInput {
    /// Six digits from the authenticator app.
    pub code: String,
}

/// Confirms TOTP enrolment with a first code.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "session", request_body = TotpInput,
    responses((status = 204, description = "enrolled"), (status = 422, description = "wrong code", body = Problem)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiJson(input): ApiJson<TotpInput>,
) -> ApiResult<StatusCode> {
    state.services.confirm_totp(&p, &input.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A message with its envelope, as JSON.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// The connecting client's IP address.
    pub client_ip: String,
    /// HELO/EHLO name.
    #[serde(default)]
    pub helo: String,
    /// MAIL FROM; empty for the null sender.
    #[serde(default)]
    pub mail_from: String,
    /// RCPT TO addresses.
    #[serde(default)]
    pub rcpt: Vec<String>,
    /// The message text (RFC 5322), when it is valid UTF-8.
    #[serde(default)]
    pub message: Option<String>,
    /// The message bytes in base64, for anything else.
    #[serde(default)]
    pub message_base64: Option<String>,
}

/// The envelope as query parameters (with a `message/rfc822` body).
#[derive(Debug, Default)]
struct EnvelopeQuery {
    client_ip: Option<String>,
    helo: String,
    mail_from: String,
    rcpt: Vec<String>,
}

fn envelope_query(query: Option<&str>) -> Result<EnvelopeQuery, Problem> {
    let mut out = EnvelopeQuery::default();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "client_ip" => out.client_ip = Some(value.into_owned()),
            "helo" => out.helo = value.into_owned(),
            "mail_from" => out.mail_from = value.into_owned(),
            "rcpt" => out.rcpt.push(value.into_owned()),
            other => {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("unknown query parameter {other:?} (client_ip, helo, mail_from, rcpt)"),
                )
                .with_field(other.to_owned()));
            }
        }
    }
    Ok(out)
}

/// Judges a message: authentication, impersonation, request risk and the
/// policy's verdict, recorded in the store and the audit log. A `hold`
/// opens a case (`case_id`). Send the raw message as `message/rfc822` with
/// the envelope in the query (`client_ip`, `helo`, `mail_from`, `rcpt`
/// repeatable), or as JSON.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages",
    params(
        ("client_ip" = Option<String>, Query, description = "client IP (with message/rfc822)"),
        ("helo" = Option<String>, Query, description = "HELO name"),
        ("mail_from" = Option<String>, Query, description = "MAIL FROM (empty: null sender)"),
        ("rcpt" = Option<Vec<String>>, Query, description = "RCPT TO, repeatable"),
    ),
    request_body(content((String = "message/rfc822"), (MessageInput = "application/json"))),
    responses((status = 200, description = "the verdict document of `analyze --json`, with message_id and case_id", body = Object),
              (status = 413, description = "too large", body = Problem),
              (status = 415, description = "wrong content type", body = Problem),
              (status = 422, description = "bad envelope", body = Problem)))]
pub async fn post_message(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> ApiResult<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let incoming = match content_type.as_str() {
        "message/rfc822" => {
            let env = envelope_query(uri.query())?;
            let client_ip = env.client_ip.ok_or_else(|| {
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "client_ip is required",
                )
                .with_field("client_ip")
            })?;
            IncomingMessage {
                raw: body.to_vec(),
                client_ip,
                helo: env.helo,
                mail_from: env.mail_from,
                rcpt: env.rcpt,
                source: "api",
                submitted_by: p.actor(),
            }
        }
        "application/json" => {
            if uri.query().is_some_and(|q| !q.is_empty()) {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "with a JSON body, put the envelope in the JSON, not the query",
                ));
            }
            let input: MessageInput = serde_json::from_slice(&body).map_err(|e| {
                let status = if e.is_syntax() || e.is_eof() {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                Problem::new(status, "invalid", format!("the body does not fit: {e}"))
            })?;
            let raw = match (input.message, input.message_base64) {
                (Some(text), None) => text.into_bytes(),
                (None, Some(b64)) => data_encoding::BASE64
                    .decode(b64.trim().as_bytes())
                    .map_err(|e| {
                        Problem::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid",
                            format!("message_base64: {e}"),
                        )
                        .with_field("message_base64")
                    })?,
                _ => {
                    return Err(Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid",
                        "give exactly one of message and message_base64",
                    )
                    .with_field("message"));
                }
            };
            IncomingMessage {
                raw,
                client_ip: input.client_ip,
                helo: input.helo,
                mail_from: input.mail_from,
                rcpt: input.rcpt,
                source: "api",
                submitted_by: p.actor(),
            }
        }
        other => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!(
                    "content type {other:?}: send message/rfc822 (envelope in the query) or application/json"
                ),
            ));
        }
    };
    if incoming.raw.is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "the message is empty",
        )
        .with_field("message"));
    }
    let judged = state.services.judge_message(incoming).await?;
    let body = serde_json::to_vec(&judged.document()).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// A recorded message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    /// Stable identifier.
    pub id: String,
    /// When it was judged (RFC 3339).
    pub received_at: String,
    /// `api` or `smtp`.
    pub source: String,
    /// Envelope.
    pub client_ip: String,
    /// Envelope.
    pub helo: String,
    /// Envelope.
    pub mail_from: String,
    /// Envelope.
    pub rcpt: Vec<String>,
    /// The verdict.
    pub verdict: String,
    /// The case it opened.
    pub case_id: Option<String>,
    /// Whether the raw message is kept (held back messages).
    pub raw_kept: bool,
    /// The verdict document.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// From, Subject, Reply-To, links, phone numbers.
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
}

/// A recorded message and its verdict.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "message ID")),
    responses((status = 200, description = "the message", body = MessageView),
              (status = 404, description = "no such message", body = Problem)))]
pub async fn get_message(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageView>> {
    let m = state.services.message(&p, &id).await?;
    Ok(Json(MessageView {
        received_at: m
            .received_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        id: m.id,
        source: m.source,
        client_ip: m.client_ip,
        helo: m.helo,
        mail_from: m.mail_from,
        rcpt: m.rcpt,
        verdict: m.verdict,
        case_id: m.case_id,
        raw_kept: m.raw.is_some(),
        document: serde_json::from_str(&m.document).unwrap_or_default(),
        summary: serde_json::from_str(&m.summary).unwrap_or_default(),
    }))
}

/// Polling parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// A cursor from `next_since`, or an RFC 3339 time.
    pub since: Option<String>,
    /// pending, verified, released, denied or expired.
    pub state: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<u32>,
}

/// Cases changed since a cursor, oldest change first (polling).
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, description = "a page of cases", body = CasePage)))]
pub async fn list_cases(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    query: Result<Query<CaseQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<CasePage>> {
    let Query(q) = query
        .map_err(|e| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.body_text()))?;
    Ok(Json(
        state
            .services
            .list_cases(&p, q.since.as_deref(), q.state.as_deref(), q.limit)
            .await?,
    ))
}

/// Opens a case for a request that came by phone, chat or in person.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewManualCase,
    responses((status = 201, description = "the case", body = CaseView),
              (status = 422, description = "invalid", body = Problem)))]
pub async fn open_case(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiJson(input): ApiJson<NewManualCase>,
) -> ApiResult<(StatusCode, Json<CaseView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.open_case(&p, input).await?),
    ))
}

/// A case: verdict reasons, claimed identity, controls with their state,
/// the directory numbers to call and the numbers not to call.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "the case", body = CaseView),
              (status = 404, description = "no such case", body = Problem)))]
pub async fn get_case(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.services.case_view(&p, &id).await?))
}

/// The case's timeline: every audited event about it.
#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", tag = "cases",
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "audited events, oldest first", body = Vec<TimelineEntry>)))]
pub async fn case_timeline(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TimelineEntry>>> {
    Ok(Json(state.services.case_timeline(&p, &id).await?))
}

/// Records a callback to a directory number.
#[utoipa::path(post, path = "/api/v1/cases/{id}/callback", tag = "cases", request_body = CallbackInput,
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "the case", body = CaseView),
              (status = 409, description = "no trusted channel, or not pending", body = Problem),
              (status = 422, description = "not a directory number", body = Problem)))]
pub async fn callback(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CallbackInput>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.services.record_callback(&p, &id, input).await?))
}

/// Sends a one-time code to a directory channel of the claimed identity.
#[utoipa::path(post, path = "/api/v1/cases/{id}/code", tag = "cases", request_body = SendCodeInput,
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "sent", body = CaseView),
              (status = 502, description = "the relay failed", body = Problem)))]
pub async fn send_code(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SendCodeInput>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.services.send_code(&p, &id, input).await?))
}

/// Checks the code the requester read back.
#[utoipa::path(post, path = "/api/v1/cases/{id}/code/verify", tag = "cases", request_body = CodeInput,
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "accepted", body = CaseView),
              (status = 422, description = "wrong, expired or used code", body = Problem)))]
pub async fn verify_code(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CodeInput>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.services.verify_code(&p, &id, input).await?))
}

/// The challenge a vendor signs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChallengeView {
    /// The case.
    pub case: String,
    /// Random nonce.
    pub nonce: String,
    /// SHA-256 of the request.
    pub digest: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

/// Issues a signature challenge for the vendor (`countersign vendor sign`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/challenge", tag = "cases",
    params(("id" = String, Path, description = "case ID")),
    responses((status = 201, description = "the challenge to sign", body = ChallengeView)))]
pub async fn challenge(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<ChallengeView>)> {
    let c = state.services.issue_challenge(&p, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ChallengeView {
            case: c.case,
            nonce: c.nonce,
            digest: c.digest,
            exp: c.exp,
        }),
    ))
}

/// Checks the vendor's signed challenge (compact JWS, EdDSA).
#[utoipa::path(post, path = "/api/v1/cases/{id}/signature", tag = "cases", request_body = SignatureInput,
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "accepted", body = CaseView),
              (status = 422, description = "refused", body = Problem)))]
pub async fn signature(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SignatureInput>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.services.submit_signature(&p, &id, input).await?))
}

/// Gives one of the two approvals, with a fresh TOTP code.
#[utoipa::path(post, path = "/api/v1/cases/{id}/approvals", tag = "cases", request_body = ApprovalInput,
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "recorded", body = CaseView),
              (status = 403, description = "not allowed to approve", body = Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ApprovalInput>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.services.approve(&p, &id, input).await?))
}

/// Refuses the request.
#[utoipa::path(post, path = "/api/v1/cases/{id}/deny", tag = "cases", request_body = DenyInput,
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "denied", body = CaseView)))]
pub async fn deny(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DenyInput>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.services.deny_case(&p, &id, input).await?))
}

/// Releases a verified request for action.
#[utoipa::path(post, path = "/api/v1/cases/{id}/release", tag = "cases",
    params(("id" = String, Path, description = "case ID")),
    responses((status = 200, description = "released", body = CaseView),
              (status = 409, description = "not verified", body = Problem)))]
pub async fn release(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.services.release_case(&p, &id).await?))
}

/// Every account.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts",
    responses((status = 200, description = "accounts", body = Vec<AccountView>)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<AccountView>>> {
    Ok(Json(state.services.list_accounts(&p).await?))
}

/// Creates an account with a one-time password.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = NewAccount,
    responses((status = 201, description = "created", body = CreatedAccount),
              (status = 409, description = "username taken", body = Problem)))]
pub async fn create_account(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiJson(input): ApiJson<NewAccount>,
) -> ApiResult<(StatusCode, Json<CreatedAccount>)> {
    p.require(&[countersign_accounts::Role::SecurityAdmin])?;
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_account(&p.actor(), input).await?),
    ))
}

/// Lifts a lock.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "accounts",
    params(("id" = String, Path, description = "account ID")),
    responses((status = 200, description = "unlocked", body = AccountView)))]
pub async fn unlock_account(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(state.services.unlock_account(&p, &id).await?))
}

/// Disables an account and ends its sessions.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/disable", tag = "accounts",
    params(("id" = String, Path, description = "account ID")),
    responses((status = 200, description = "disabled", body = AccountView)))]
pub async fn disable_account(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(state.services.disable_account(&p, &id).await?))
}

/// Every API token.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts",
    responses((status = 200, description = "tokens", body = Vec<TokenView>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(state.services.list_api_tokens(&p).await?))
}

/// A token to issue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenInput {
    /// The account it acts as (e.g. an integration account).
    pub account_id: String,
    /// What it is for.
    pub name: String,
    /// Roles (a subset of the account's; default all of them).
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

/// Issues an API token, shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = NewTokenInput,
    responses((status = 201, description = "the token", body = CreatedToken)))]
pub async fn create_token(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiJson(input): ApiJson<NewTokenInput>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .services
                .create_api_token(&p, &input.account_id, &input.name, input.roles.as_deref())
                .await?,
        ),
    ))
}

/// Revokes an API token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = String, Path, description = "token ID")),
    responses((status = 204, description = "revoked")))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.revoke_api_token(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every webhook subscription.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "subscriptions", body = Vec<WebhookView>)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Vec<WebhookView>>> {
    Ok(Json(state.services.list_webhooks(&p).await?))
}

/// Subscribes to case events; the signing secret is shown once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, description = "subscribed", body = CreatedWebhook)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiJson(input): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_webhook(&p, input).await?),
    ))
}

/// Stops a subscription.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "webhook ID")),
    responses((status = 204, description = "stopped")))]
pub async fn disable_webhook(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.disable_webhook(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subscription's delivery log, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "webhook ID")),
    responses((status = 200, description = "attempts", body = Vec<AttemptView>)))]
pub async fn webhook_deliveries(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AttemptView>>> {
    Ok(Json(state.services.webhook_deliveries(&p, &id).await?))
}

/// Our domains with DMARC aggregate reports, and their totals.
#[utoipa::path(get, path = "/api/v1/posture/domains", tag = "posture",
    responses((status = 200, description = "domains with their report and volume totals", body = Object)))]
pub async fn posture_domains(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<serde_json::Value>> {
    let domains = state.services.posture_domains(&p).await?;
    Ok(Json(serde_json::to_value(domains).unwrap_or_default()))
}

/// Which sources send as our domains.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PostureSourcesQuery {
    /// One of our domains (all when absent).
    pub domain: Option<String>,
    /// The last this many days (1–3650; all reports when absent).
    pub days: Option<u32>,
}

/// Who sends as our domains: each source's volume and whether SPF and DKIM
/// aligned, from the ingested DMARC aggregate reports.
#[utoipa::path(get, path = "/api/v1/posture/sources", tag = "posture", params(PostureSourcesQuery),
    responses((status = 200, description = "the per-source view", body = Object),
              (status = 422, description = "invalid", body = Problem)))]
pub async fn posture_sources(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    query: Result<Query<PostureSourcesQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let Query(q) = query
        .map_err(|e| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.body_text()))?;
    let report = state.services.posture_sources(&p, q.domain, q.days).await?;
    Ok(Json(serde_json::to_value(report).unwrap_or_default()))
}

/// Names an uploaded report file in results and the audit log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PostureUploadQuery {
    /// The file's name, as the uploader knows it.
    pub name: Option<String>,
}

/// Uploads DMARC aggregate (RFC 7489 / DMARCbis), failure (RFC 6591) or
/// SMTP TLS (RFC 8460) reports: XML, gzip, zip, JSON, or a mail message
/// carrying them. Each report is stored whole or not at all and
/// deduplicated by reporter and report ID; alerts it raises go to the
/// audit log and to webhook subscribers.
#[utoipa::path(post, path = "/api/v1/posture/reports", tag = "posture", params(PostureUploadQuery),
    request_body(content((Vec<u8> = "application/octet-stream"))),
    responses((status = 200, description = "one line per report found, and the alerts raised", body = UploadResult),
              (status = 413, description = "larger than 32 MiB", body = Problem),
              (status = 422, description = "invalid", body = Problem)))]
pub async fn upload_posture_reports(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    query: Result<Query<PostureUploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> ApiResult<Json<UploadResult>> {
    let Query(q) = query
        .map_err(|e| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.body_text()))?;
    Ok(Json(
        state
            .services
            .ingest_posture_reports(&p, q.name, body.to_vec())
            .await?,
    ))
}

/// A quarantined message in the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuarantineView {
    /// The recorded message (`GET /api/v1/messages/{id}` shows its verdict).
    pub id: String,
    /// When it was judged (RFC 3339).
    pub received_at: String,
    /// `quarantine`, or `reject` when the verdict came too late to refuse.
    pub verdict: String,
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
    /// The From address.
    pub from_address: Option<String>,
    /// The Subject.
    pub subject: Option<String>,
    /// Size in bytes.
    pub size: i64,
}

/// Paging of the quarantine.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QuarantineQuery {
    /// At most this many (1–500, default 100).
    pub limit: Option<u32>,
}

/// Why a quarantined message is released or deleted (audited).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarantineAction {
    /// The reason, written to the audit log.
    pub reason: String,
}

/// A release: the relay queued for the message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Released {
    /// The relay job sending it downstream.
    pub relay_id: String,
}

/// Messages SMTP ingress kept in quarantine, newest first.
#[utoipa::path(get, path = "/api/v1/quarantine", tag = "messages", params(QuarantineQuery),
    responses((status = 200, description = "quarantined messages", body = Vec<QuarantineView>)))]
pub async fn list_quarantine(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Query(query): Query<QuarantineQuery>,
) -> ApiResult<Json<Vec<QuarantineView>>> {
    let list = state
        .services
        .quarantine(&p, query.limit.unwrap_or(100))
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|q| QuarantineView {
                received_at: q
                    .received_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                id: q.id,
                verdict: q.verdict,
                mail_from: q.mail_from,
                rcpt: q.rcpt,
                from_address: q.from_address,
                subject: q.subject,
                size: q.size,
            })
            .collect(),
    ))
}

/// Releases a quarantined message: it is relayed to the help desk with our
/// verdict headers and who released it (audited).
#[utoipa::path(post, path = "/api/v1/quarantine/{id}/release", tag = "messages",
    request_body = QuarantineAction,
    params(("id" = String, Path, description = "message ID")),
    responses((status = 200, description = "queued for relay", body = Released),
              (status = 409, description = "not in quarantine", body = Problem)))]
pub async fn release_quarantined(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<QuarantineAction>,
) -> ApiResult<Json<Released>> {
    let relay_id = state
        .services
        .release_quarantined(&p, &id, &input.reason)
        .await?;
    Ok(Json(Released { relay_id }))
}

/// Deletes a quarantined message's content; its record and verdict stay
/// (audited with the reason).
#[utoipa::path(post, path = "/api/v1/quarantine/{id}/delete", tag = "messages",
    request_body = QuarantineAction,
    params(("id" = String, Path, description = "message ID")),
    responses((status = 204, description = "deleted"),
              (status = 404, description = "not in quarantine", body = Problem)))]
pub async fn delete_quarantined(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<QuarantineAction>,
) -> ApiResult<StatusCode> {
    state
        .services
        .delete_quarantined(&p, &id, &input.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
