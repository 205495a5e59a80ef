//! Aligned versus unaligned volume over time, as a self-contained SVG
//! document (server-side: no script, no external resources).

use crate::model::Volume;
use std::fmt::Write as _;

/// One bar: a period and its volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Start of the period, Unix seconds.
    pub start: i64,
    /// Messages in it.
    pub volume: Volume,
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 56.0;
const BOTTOM: f64 = 72.0;
const ALIGNED: &str = "#2e7d32";
const UNALIGNED: &str = "#c62828";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn date(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        Err(_) => secs.to_string(),
    }
}

/// A round step for about `ticks` ticks up to `max`.
fn nice_step(max: u64, ticks: u64) -> u64 {
    let raw = (max / ticks.max(1)).max(1);
    let mut magnitude = 1u64;
    while magnitude.saturating_mul(10) <= raw {
        magnitude *= 10;
    }
    for m in [1, 2, 5, 10] {
        if magnitude.saturating_mul(m) >= raw {
            return magnitude.saturating_mul(m);
        }
    }
    magnitude.saturating_mul(10)
}

/// Renders stacked bars, one per bucket (in the order given): messages that
/// passed DMARC (aligned through SPF or DKIM) below, the rest above.
pub fn volume_chart(title: &str, buckets: &[Bucket]) -> String {
    let mut svg = String::with_capacity(4096 + buckets.len() * 400);
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<title>{}</title>"#, escape(title));
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{}</text>"#,
        escape(title)
    );
    // Legend.
    let _ = writeln!(
        svg,
        r#"<rect x="{}" y="34" width="12" height="12" fill="{ALIGNED}"/><text x="{}" y="44">aligned (DMARC pass)</text><rect x="{}" y="34" width="12" height="12" fill="{UNALIGNED}"/><text x="{}" y="44">not aligned</text>"#,
        LEFT,
        LEFT + 16.0,
        LEFT + 170.0,
        LEFT + 186.0
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let max = buckets.iter().map(|b| b.volume.messages).max().unwrap_or(0);
    if buckets.is_empty() || max == 0 {
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">no reports in this period</text>"##,
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
        svg.push_str("</svg>\n");
        return svg;
    }
    let step = nice_step(max, 5);
    let top = max.div_ceil(step) * step;
    let y = |v: u64| TOP + plot_h - (v as f64 / top as f64) * plot_h;
    // Grid and y labels.
    let mut v = 0;
    while v <= top {
        let yy = y(v);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#333">{v}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            yy + 4.0
        );
        v += step;
    }
    let slot = plot_w / buckets.len() as f64;
    let bar = (slot * 0.8).max(1.0);
    let label_every = (buckets.len() as f64 / 12.0).ceil().max(1.0) as usize;
    for (i, b) in buckets.iter().enumerate() {
        let x = LEFT + i as f64 * slot + (slot - bar) / 2.0;
        let aligned = b.volume.dmarc_pass.min(b.volume.messages);
        let unaligned = b.volume.messages - aligned;
        let ya = y(aligned);
        let yt = y(b.volume.messages);
        let share = b
            .volume
            .aligned_share()
            .map_or("-".to_string(), |s| format!("{:.1}%", s * 100.0));
        let _ = writeln!(
            svg,
            r#"<g><title>{}: {} messages, {aligned} aligned, {unaligned} not ({share} aligned)</title><rect x="{x:.1}" y="{ya:.1}" width="{bar:.1}" height="{:.1}" fill="{ALIGNED}"/><rect x="{x:.1}" y="{yt:.1}" width="{bar:.1}" height="{:.1}" fill="{UNALIGNED}"/></g>"#,
            date(b.start),
            b.volume.messages,
            (TOP + plot_h - ya).max(0.0),
            (ya - yt).max(0.0),
        );
        if i % label_every == 0 {
            let lx = x + bar / 2.0;
            let ly = TOP + plot_h + 14.0;
            let _ = writeln!(
                svg,
                r##"<text x="{lx:.1}" y="{ly:.1}" text-anchor="end" transform="rotate(-40 {lx:.1} {ly:.1})" fill="#333">{}</text>"##,
                date(b.start)
            );
        }
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{:.1}" stroke="#333"/>"##,
        TOP + plot_h,
        LEFT + plot_w,
        TOP + plot_h,
        TOP + plot_h
    );
    let _ = writeln!(
        svg,
        r##"<text x="16" y="{:.1}" transform="rotate(-90 16 {:.1})" text-anchor="middle" fill="#333">messages</text>"##,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_well_formed_svg_with_escaped_title() {
        let buckets: Vec<Bucket> = (0..30)
            .map(|d| Bucket {
                start: 1_700_000_000 + d * 86_400,
                volume: Volume {
                    messages: 100 + d as u64 * 7,
                    dmarc_pass: 90,
                    ..Volume::default()
                },
            })
            .collect();
        let svg = volume_chart("example.com <&> posture", &buckets);
        assert!(svg.contains("example.com &lt;&amp;&gt; posture"));
        assert_eq!(svg.matches("<rect x=").count(), 2 + 30 * 2);
        assert!(svg.contains("2023-11-14"));
        // Parses as XML from start to end.
        let mut r = quick_xml::Reader::from_str(&svg);
        while r.read_event().unwrap() != quick_xml::events::Event::Eof {}
        let empty = volume_chart("nothing", &[]);
        assert!(empty.contains("no reports in this period"));
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(1000, 5), 200);
        assert_eq!(nice_step(7, 5), 1);
        assert_eq!(nice_step(130, 5), 50);
        assert_eq!(nice_step(0, 5), 1);
    }
}
