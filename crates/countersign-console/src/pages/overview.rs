//! The overview: verdicts per day and pending cases by age, each drawn on
//! the server as SVG (no script, no chart library, no CDN) with the same
//! numbers as a table beside it, so nothing depends on seeing the colours.

use crate::layout::{self, page, respond};
use crate::{ConsoleState, Viewer};
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use countersign_service::queue::VERDICTS;
use maud::{Markup, html};

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;

fn nice_max(n: i64) -> i64 {
    // At least 4, so the five ticks (0, ¼, ½, ¾, max) are distinct whole numbers.
    let n = n.max(4);
    let mag = 10_i64.pow((n as f64).log10().floor() as u32);
    let step = [1, 2, 4, 8, 10]
        .into_iter()
        .find(|s| s * mag >= n)
        .unwrap_or(10);
    step * mag
}

fn axis(max: i64) -> Markup {
    let plot = H - BOTTOM - 8.0;
    html! {
        @for i in 0..=4 {
            @let y = 8.0 + plot - plot * f64::from(i) / 4.0;
            line.grid x1=(LEFT) x2=(W - 4.0) y1=(y) y2=(y) {}
            text.tick x=(LEFT - 6.0) y=(y + 4.0) text-anchor="end" { (max * i64::from(i) / 4) }
        }
    }
}

/// The stacked segments of day `d`: (verdict, top, height), bottom up.
fn segments(series: &[Vec<i64>], d: usize, max: i64, plot: f64) -> Vec<(usize, f64, f64)> {
    let mut y = 8.0 + plot;
    let mut out = Vec::new();
    for (v, s) in series.iter().enumerate() {
        if s[d] > 0 {
            let h = plot * s[d] as f64 / max as f64;
            y -= h;
            out.push((v, y, h));
        }
    }
    out
}

/// Stacked bars: one per day, one segment per verdict.
fn verdict_chart(days: &[time::Date], series: &[Vec<i64>]) -> Markup {
    let totals: Vec<i64> = (0..days.len())
        .map(|d| series.iter().map(|s| s[d]).sum())
        .collect();
    let max = nice_max(totals.iter().copied().max().unwrap_or(0));
    let plot = H - BOTTOM - 8.0;
    let slot = (W - LEFT - 4.0) / days.len().max(1) as f64;
    let bar = (slot * 0.7).max(2.0);
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby="vc-title vc-desc" {
            title #vc-title { "Messages per day by verdict" }
            desc #vc-desc { "Stacked bars, one per day; the table below gives the same numbers." }
            (axis(max))
            @for (d, day) in days.iter().enumerate() {
                @let x = LEFT + slot * d as f64 + (slot - bar) / 2.0;
                @for (v, top, h) in segments(series, d, max, plot) {
                    rect class={ "seg v-" (VERDICTS[v]) } x=(x) y=(top) width=(bar) height=(h) {
                        title { (day) ": " (series[v][d]) " " (VERDICTS[v]) }
                    }
                }
                @if days.len() <= 16 || d % 2 == 0 {
                    text.tick x=(x + bar / 2.0) y=(H - 10.0) text-anchor="middle" { (format!("{:02}-{:02}", u8::from(day.month()), day.day())) }
                }
            }
        }
        ul.legend aria-hidden="true" {
            @for w in VERDICTS { li { span class={ "swatch v-" (w) } {} (w) } }
        }
    }
}

fn age_chart(labels: &[&str; 4], counts: &[i64; 4]) -> Markup {
    let max = nice_max(counts.iter().copied().max().unwrap_or(0));
    let plot = H - BOTTOM - 8.0;
    let slot = (W - LEFT - 4.0) / 4.0;
    let bar = slot * 0.6;
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby="ca-title ca-desc" {
            title #ca-title { "Pending cases by age" }
            desc #ca-desc { "One bar per age band; the table below gives the same numbers." }
            (axis(max))
            @for i in 0..4 {
                @let h = plot * counts[i] as f64 / max as f64;
                @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                rect class={ "seg age-" (i) } x=(x) y=(8.0 + plot - h) width=(bar) height=(h) {
                    title { (labels[i]) ": " (counts[i]) }
                }
                text.tick x=(x + bar / 2.0) y=(H - 10.0) text-anchor="middle" { (labels[i]) }
            }
        }
    }
}

/// Horizontal bars, one per impersonated identity, most first; each bar
/// carries its number as text, so nothing depends on reading lengths.
fn impersonated_chart(rows: &[(String, i64)]) -> Markup {
    let row_h = 28.0;
    let label_w = 250.0;
    let h = row_h * rows.len().max(1) as f64 + 8.0;
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
    let bar_room = W - label_w - 60.0;
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (h) } role="img" aria-labelledby="ti-title ti-desc" {
            title #ti-title { "Top impersonated identities" }
            desc #ti-desc { "One bar per identity, the number of messages that imitated it at its end; the table below gives the same numbers." }
            @for (i, (who, n)) in rows.iter().enumerate() {
                @let y = 4.0 + row_h * i as f64;
                @let w = (bar_room * *n as f64 / max).max(2.0);
                @let label: String = if who.chars().count() > 34 { format!("{}…", who.chars().take(33).collect::<String>()) } else { who.clone() };
                text.tick x=(label_w - 8.0) y=(y + 18.0) text-anchor="end" { (label) }
                rect class="seg imp" x=(label_w) y=(y + 4.0) width=(w) height=(row_h - 10.0) {
                    title { (who) ": " (n) " message(s)" }
                }
                text.tick x=(label_w + w + 6.0) y=(y + 18.0) { (n) }
            }
        }
    }
}

/// The overview page.
pub async fn overview(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
) -> Response {
    let o = match state.services.overview(&v.principal, 14).await {
        Ok(o) => o,
        Err(err) => return layout::service_error(Some(&v), err),
    };
    let ages = ["under 1 h", "1–24 h", "1–3 days", "over 3 days"];
    let body = html! {
        section aria-labelledby="h-verdicts" {
            h2 #h-verdicts { "Verdicts, last 14 days" }
            figure.chart-box {
                (verdict_chart(&o.days, &o.verdicts))
            }
            div.scroll tabindex="0" { table {
                caption { "Messages per day by verdict (the chart's numbers)" }
                thead { tr { th scope="col" { "Day" } @for w in VERDICTS { th scope="col" { (w) } } th scope="col" { "total" } } }
                tbody { @for (d, day) in o.days.iter().enumerate() {
                    tr { th scope="row" { (day) } @for s in &o.verdicts { td { (s[d]) } } td { (o.verdicts.iter().map(|s| s[d]).sum::<i64>()) } }
                } }
            } }
        }
        section aria-labelledby="h-ages" {
            h2 #h-ages { "Held cases waiting, by age" }
            figure.chart-box { (age_chart(&ages, &o.case_ages)) }
            div.scroll tabindex="0" { table {
                caption { "Pending cases by age (the chart's numbers)" }
                thead { tr { @for a in ages { th scope="col" { (a) } } } }
                tbody { tr { @for n in o.case_ages { td { (n) } } } }
            } }
            p { a href="/console/queue" { "Work the oldest first in the queue" } }
        }
        section aria-labelledby="h-imp" {
            h2 #h-imp { "Top impersonated identities, last 14 days" }
            @if o.impersonated.is_empty() {
                p { "No message imitated one of our people, vendors or a known brand in these days." }
            } @else {
                p { "Which of our people, vendors, our organisation and well-known brands recent mail pretended to be, by the number of messages." }
                figure.chart-box { (impersonated_chart(&o.impersonated)) }
                div.scroll tabindex="0" { table {
                    caption { "Messages imitating each identity (the chart's numbers)" }
                    thead { tr { th scope="col" { "Identity" } th scope="col" { "Messages" } } }
                    tbody { @for (who, n) in &o.impersonated { tr { th scope="row" { (who) } td { (n) } } } }
                } }
            }
        }
    };
    respond(StatusCode::OK, page(Some(&v), "Overview", body))
}
