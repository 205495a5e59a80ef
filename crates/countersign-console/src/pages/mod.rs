//! The pages, one module per area.

pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod cases;
pub mod directory;
pub mod employees;
pub mod overview;
pub mod posture;
pub mod quarantine;
pub mod queue;
pub mod triage;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The stylesheet, embedded in the binary.
const CSS: &str = include_str!("../../assets/console.css");

/// Serves the stylesheet (cached for an hour: it changes only with the binary).
pub async fn stylesheet() -> Response {
    let mut resp = CSS.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    resp
}

/// A query string's parameters.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `name` in a query, or empty.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}
