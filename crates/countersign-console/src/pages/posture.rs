//! Our own domains' posture (security administrators): who sends mail as
//! our domains according to the DMARC aggregate reports `countersign dmarc
//! ingest` stored, aligned or not. The chart is countersign-posture's SVG
//! (the one `countersign dmarc report --svg` writes), served as an image;
//! the tables beside it carry the same numbers.

use super::{param, query_pairs};
use crate::layout::{self, page, respond};
use crate::{ConsoleState, Viewer};
use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;

/// Sources listed by name; the rest are counted.
const SHOWN: usize = 50;

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

/// The period and domain asked for.
fn selection(req: &Request) -> (Option<String>, u32) {
    let pairs = query_pairs(req.uri().query());
    let domain = Some(param(&pairs, "domain").trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty() && d.len() <= 253);
    let days = match param(&pairs, "days") {
        "7" => 7,
        "90" => 90,
        _ => 30,
    };
    (domain, days)
}

/// The posture page.
pub async fn posture(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let (domain, days) = selection(&req);
    let domains = match state.services.posture_domains(&v.principal).await {
        Ok(d) => d,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let report = match state
        .services
        .posture_sources(&v.principal, domain.clone(), Some(days))
        .await
    {
        Ok(r) => r,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let timeline = match state
        .services
        .posture_timeline(&v.principal, domain.clone(), days)
        .await
    {
        Ok(t) => t,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let chart_query = format!(
        "days={days}{}",
        domain
            .as_deref()
            .map(|d| format!(
                "&domain={}",
                form_urlencoded::byte_serialize(d.as_bytes()).collect::<String>()
            ))
            .unwrap_or_default()
    );
    let scope = domain.as_deref().unwrap_or("all our domains");
    let total = report.total;
    let body = html! {
        form.filters method="get" action="/console/posture" {
            div.field {
                label for="pd" { "Domain" }
                select #pd name="domain" {
                    option value="" selected[domain.is_none()] { "All domains" }
                    @for d in &domains {
                        option value=(d.domain) selected[domain.as_deref() == Some(d.domain.as_str())] { (d.domain) }
                    }
                }
            }
            div.field {
                label for="pdays" { "Period" }
                select #pdays name="days" {
                    @for (n, label) in [(7, "last 7 days"), (30, "last 30 days"), (90, "last 90 days")] {
                        option value=(n) selected[n == days] { (label) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        @if domains.is_empty() {
            p { "No DMARC aggregate report is stored yet. Ingest them with " code { "countersign dmarc ingest" } " (files, a maildir or an IMAP mailbox)." }
        }
        section aria-labelledby="h-volume" {
            h2 #h-volume { "Aligned and unaligned mail, " (scope) ", last " (days) " days" }
            p {
                (total.messages) " message(s) reported; " (total.dmarc_pass) " aligned (DMARC pass, "
                (share(total.dmarc_pass, total.messages)) "), " (total.messages - total.dmarc_pass.min(total.messages)) " not aligned; "
                (total.quarantined) " quarantined and " (total.rejected) " rejected by receivers."
            }
            figure.chart-box {
                img.chart src={ "/console/posture/chart.svg?" (chart_query) } width="960" height="420"
                    alt={ "Bar chart of aligned and unaligned messages per day for " (scope) "; the table below gives the same numbers." };
            }
            div.scroll tabindex="0" { table {
                caption { "Messages per day (the chart's numbers)" }
                thead { tr { th scope="col" { "Day" } th scope="col" { "Messages" } th scope="col" { "Aligned" } th scope="col" { "Not aligned" } th scope="col" { "Aligned share" } } }
                tbody { @for b in timeline.iter().filter(|b| b.volume.messages > 0) {
                    tr {
                        th scope="row" { (time::OffsetDateTime::from_unix_timestamp(b.start).map(|t| t.date().to_string()).unwrap_or_default()) }
                        td { (b.volume.messages) } td { (b.volume.dmarc_pass) }
                        td { (b.volume.messages.saturating_sub(b.volume.dmarc_pass)) }
                        td { (share(b.volume.dmarc_pass, b.volume.messages)) }
                    }
                } }
            } }
        }
        section aria-labelledby="h-sources" {
            h2 #h-sources { "Sending sources" }
            p { "Every address receivers saw sending as " (scope) ", most mail first. A source with unaligned mail is either a service to set up (SPF include, DKIM key) or someone spoofing us." }
            div.scroll tabindex="0" { table {
                caption { "Sources by messages, with how much of their mail aligned" }
                thead { tr { th scope="col" { "Source address" } th scope="col" { "As (header From)" } th scope="col" { "Messages" }
                    th scope="col" { "DMARC pass" } th scope="col" { "DKIM aligned" } th scope="col" { "SPF aligned" } th scope="col" { "Verdict" } } }
                tbody { @for s in report.sources.iter().take(SHOWN) {
                    @let unaligned = s.volume.messages.saturating_sub(s.volume.dmarc_pass);
                    tr {
                        th scope="row" { code { (s.source_ip) } }
                        td { (s.header_from.keys().cloned().collect::<Vec<_>>().join(", ")) }
                        td { (s.volume.messages) }
                        td { (share(s.volume.dmarc_pass, s.volume.messages)) }
                        td { (share(s.volume.dkim_aligned, s.volume.messages)) }
                        td { (share(s.volume.spf_aligned, s.volume.messages)) }
                        td { @if unaligned == 0 { span.badge.ok { span aria-hidden="true" { "✓ " } "aligned" } }
                             @else if s.volume.dmarc_pass == 0 { span.badge.bad { span aria-hidden="true" { "× " } "never aligned" } }
                             @else { span.badge.warn { span aria-hidden="true" { "! " } "partly aligned" } } }
                    }
                } }
            } }
            @let more = report.sources.len().saturating_sub(SHOWN) as u64 + report.other_sources;
            @if more > 0 { p { (more) " more source(s) with fewer messages; " code { "countersign dmarc report" } " lists them all." } }
        }
    };
    respond(
        StatusCode::OK,
        page(Some(&v), "Posture of our domains", body),
    )
}

/// The chart, as the SVG image countersign-posture draws.
pub async fn chart(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    req: Request,
) -> Response {
    let (domain, days) = selection(&req);
    let timeline = match state
        .services
        .posture_timeline(&v.principal, domain.clone(), days)
        .await
    {
        Ok(t) => t,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let title = format!(
        "{}: aligned and unaligned messages per day, last {days} days",
        domain.as_deref().unwrap_or("all domains")
    );
    let mut resp = countersign_posture::chart::volume_chart(&title, &timeline).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    resp
}
