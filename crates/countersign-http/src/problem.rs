//! RFC 9457 problem details: the one shape every error takes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use countersign_service::ServiceError;
use serde::Serialize;

/// An error as the client sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:countersign:problem:<slug>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this case.
    pub detail: String,
    /// The field at fault, for invalid input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    /// A failure of ours: the client learns only that it was logged.
    fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }

    /// A problem of kind `slug` with `status`.
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:countersign:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
        }
    }

    /// The same problem naming the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"countersign\""),
            );
        }
        resp
    }
}

impl From<ServiceError> for Problem {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthenticated(m) => {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", m)
            }
            ServiceError::Forbidden(m) => Problem::new(StatusCode::FORBIDDEN, "forbidden", m),
            ServiceError::NotFound(m) => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", format!("{m} not found"))
            }
            ServiceError::Invalid { field, message } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {message}"),
            )
            .with_field(field),
            ServiceError::Conflict(m) => Problem::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Refused(m) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "verification-refused", m)
            }
            ServiceError::Throttled(m) => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "throttled", m)
            }
            ServiceError::Upstream(m) => Problem::new(StatusCode::BAD_GATEWAY, "upstream", m),
            ServiceError::Internal(e) => {
                tracing::error!(error = %e, "internal failure");
                Problem::internal()
            }
            ServiceError::Store(e) => {
                // The details go to the log, never to the client.
                tracing::error!(error = %e, "storage failure");
                Problem::internal()
            }
        }
    }
}

/// Handler results.
pub type ApiResult<T> = Result<T, Problem>;
