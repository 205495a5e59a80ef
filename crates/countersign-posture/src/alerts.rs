//! Posture alerts: a new source sending as our domain without aligning,
//! and a drop in the share of our mail that aligns.
//!
//! Pure decisions over numbers the store supplies. Each alert has a stable
//! action name ([`NEW_UNALIGNED_SOURCE`], [`ALIGNED_SHARE_DROP`]) under which
//! it is written to the audit log; that is the seam a webhook subscribes to.
//! Each also has a key, so that the same alert is raised once.

use crate::model::Volume;
use serde::Serialize;
use std::net::IpAddr;

/// Audit action of a new source sending unaligned mail as our domain.
pub const NEW_UNALIGNED_SOURCE: &str = "posture.alert.new_unaligned_source";
/// Audit action of more new unaligned sources than are raised one by one.
pub const NEW_UNALIGNED_SOURCES_MORE: &str = "posture.alert.new_unaligned_sources_more";
/// Audit action of a drop in the aligned share of a domain's mail.
pub const ALIGNED_SHARE_DROP: &str = "posture.alert.aligned_share_drop";
/// Every alert action, as webhook subscribers name them.
pub const ACTIONS: [&str; 3] = [
    NEW_UNALIGNED_SOURCE,
    NEW_UNALIGNED_SOURCES_MORE,
    ALIGNED_SHARE_DROP,
];

/// When to raise alerts.
#[derive(Debug, Clone, Serialize)]
pub struct AlertPolicy {
    /// Unaligned messages a new source must send to be raised.
    pub min_unaligned_messages: u64,
    /// New sources raised one by one per domain and run (the rest are summed
    /// in one alert).
    pub max_source_alerts: usize,
    /// Days of reports that count as recent for the share comparison.
    pub recent_days: u32,
    /// Days before those that form the baseline.
    pub baseline_days: u32,
    /// Drop in aligned share (0.10 = ten percentage points) that raises.
    pub share_drop: f64,
    /// Messages each window needs before shares are compared.
    pub min_messages: u64,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        Self {
            min_unaligned_messages: 1,
            max_source_alerts: 20,
            recent_days: 7,
            baseline_days: 28,
            share_drop: 0.10,
            min_messages: 100,
        }
    }
}

/// A source seen for the first time for a domain in this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSource {
    /// Its address.
    pub ip: IpAddr,
    /// Its messages so far.
    pub messages: u64,
    /// Of which passed DMARC.
    pub dmarc_pass: u64,
    /// First report period start it appears in (Unix seconds).
    pub first_seen: i64,
}

/// An alert to raise.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alert {
    /// A source never seen before sends as our domain, not aligned.
    NewUnalignedSource {
        /// Our domain.
        domain: String,
        /// The source.
        ip: IpAddr,
        /// Its messages.
        messages: u64,
        /// Of which did not pass DMARC.
        unaligned: u64,
        /// When it was first seen (Unix seconds).
        first_seen: i64,
    },
    /// More new unaligned sources than raised one by one.
    NewUnalignedSourcesMore {
        /// Our domain.
        domain: String,
        /// How many more sources.
        sources: u64,
        /// Their unaligned messages.
        unaligned: u64,
    },
    /// The aligned share of the domain's mail dropped.
    AlignedShareDrop {
        /// Our domain.
        domain: String,
        /// Recent window (Unix seconds, start inclusive, end exclusive).
        recent_from: i64,
        /// End of the recent window.
        recent_to: i64,
        /// Aligned share in the recent window.
        recent_share: f64,
        /// Aligned share in the baseline window.
        baseline_share: f64,
        /// Messages in the recent window.
        recent_messages: u64,
        /// Messages in the baseline window.
        baseline_messages: u64,
    },
}

impl Alert {
    /// The stable audit action name.
    pub fn action(&self) -> &'static str {
        match self {
            Alert::NewUnalignedSource { .. } => NEW_UNALIGNED_SOURCE,
            Alert::NewUnalignedSourcesMore { .. } => NEW_UNALIGNED_SOURCES_MORE,
            Alert::AlignedShareDrop { .. } => ALIGNED_SHARE_DROP,
        }
    }

    /// The domain concerned.
    pub fn domain(&self) -> &str {
        match self {
            Alert::NewUnalignedSource { domain, .. }
            | Alert::NewUnalignedSourcesMore { domain, .. }
            | Alert::AlignedShareDrop { domain, .. } => domain,
        }
    }

    /// The audit subject: `domain:<name>`.
    pub fn subject(&self) -> String {
        format!("domain:{}", self.domain())
    }

    /// What makes this alert the same as one raised before: a source is
    /// raised once per domain, a share drop once per domain and day.
    pub fn key(&self) -> String {
        match self {
            Alert::NewUnalignedSource { ip, .. } => format!("source:{ip}"),
            Alert::NewUnalignedSourcesMore {
                sources, unaligned, ..
            } => format!("more:{sources}:{unaligned}"),
            Alert::AlignedShareDrop { recent_to, .. } => format!("share:{}", recent_to / 86_400),
        }
    }

    /// The alert in words, for a person.
    pub fn message(&self) -> String {
        match self {
            Alert::NewUnalignedSource {
                domain,
                ip,
                messages,
                unaligned,
                ..
            } => format!(
                "new source {ip} sent {messages} message(s) as {domain}, {unaligned} of them not aligned (neither SPF nor DKIM passed for {domain}): if it is yours, authorise it in SPF or have it sign with DKIM for {domain}; if not, someone is spoofing {domain}"
            ),
            Alert::NewUnalignedSourcesMore {
                domain,
                sources,
                unaligned,
            } => format!(
                "{sources} more new source(s) sent {unaligned} unaligned message(s) as {domain}: see `countersign dmarc report --domain {domain}`"
            ),
            Alert::AlignedShareDrop {
                domain,
                recent_share,
                baseline_share,
                recent_messages,
                ..
            } => format!(
                "the aligned share of mail from {domain} dropped to {:.1}% ({recent_messages} messages) from {:.1}% before: a sender lost its SPF or DKIM alignment, or spoofing rose",
                recent_share * 100.0,
                baseline_share * 100.0
            ),
        }
    }

    /// Structured details for the audit entry.
    pub fn details(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.insert("message".into(), self.message().into());
        }
        v
    }
}

/// Alerts for sources first seen for `domain` in this run. `had_baseline`
/// says whether the domain had reports before: the first reports of a
/// domain establish what is normal and raise nothing one by one.
pub fn new_source_alerts(
    domain: &str,
    had_baseline: bool,
    candidates: &[NewSource],
    policy: &AlertPolicy,
) -> Vec<Alert> {
    if !had_baseline {
        return Vec::new();
    }
    let mut unaligned: Vec<&NewSource> = candidates
        .iter()
        .filter(|s| s.messages.saturating_sub(s.dmarc_pass) >= policy.min_unaligned_messages)
        .collect();
    unaligned.sort_by(|a, b| {
        let ua = a.messages - a.dmarc_pass.min(a.messages);
        let ub = b.messages - b.dmarc_pass.min(b.messages);
        ub.cmp(&ua).then(a.ip.cmp(&b.ip))
    });
    let mut out: Vec<Alert> = unaligned
        .iter()
        .take(policy.max_source_alerts)
        .map(|s| Alert::NewUnalignedSource {
            domain: domain.to_owned(),
            ip: s.ip,
            messages: s.messages,
            unaligned: s.messages - s.dmarc_pass.min(s.messages),
            first_seen: s.first_seen,
        })
        .collect();
    if unaligned.len() > policy.max_source_alerts {
        let rest = &unaligned[policy.max_source_alerts..];
        out.push(Alert::NewUnalignedSourcesMore {
            domain: domain.to_owned(),
            sources: rest.len() as u64,
            unaligned: rest
                .iter()
                .map(|s| s.messages - s.dmarc_pass.min(s.messages))
                .sum(),
        });
    }
    out
}

/// The recent and baseline windows for a domain whose latest report ends
/// at `latest_end` (Unix seconds): `(recent_from, recent_to, baseline_from)`.
pub fn share_windows(latest_end: i64, policy: &AlertPolicy) -> (i64, i64, i64) {
    let day = 86_400;
    let recent_to = (latest_end.div_euclid(day) + 1) * day;
    let recent_from = recent_to - i64::from(policy.recent_days) * day;
    let baseline_from = recent_from - i64::from(policy.baseline_days) * day;
    (recent_from, recent_to, baseline_from)
}

/// An alert when the aligned share of the recent window is at least
/// `policy.share_drop` below the baseline's, both windows holding enough mail.
pub fn share_drop_alert(
    domain: &str,
    (recent_from, recent_to): (i64, i64),
    recent: &Volume,
    baseline: &Volume,
    policy: &AlertPolicy,
) -> Option<Alert> {
    if recent.messages < policy.min_messages || baseline.messages < policy.min_messages {
        return None;
    }
    let r = recent.aligned_share()?;
    let b = baseline.aligned_share()?;
    // A hair of tolerance: 0.95 - 0.85 is not quite 0.10 in floating point.
    (b - r + 1e-9 >= policy.share_drop).then(|| Alert::AlignedShareDrop {
        domain: domain.to_owned(),
        recent_from,
        recent_to,
        recent_share: r,
        baseline_share: b,
        recent_messages: recent.messages,
        baseline_messages: baseline.messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(ip: &str, messages: u64, pass: u64) -> NewSource {
        NewSource {
            ip: ip.parse().unwrap(),
            messages,
            dmarc_pass: pass,
            first_seen: 0,
        }
    }

    #[test]
    fn new_unaligned_sources_are_raised_after_a_baseline_only() {
        let p = AlertPolicy {
            max_source_alerts: 2,
            ..AlertPolicy::default()
        };
        let c = [
            src("192.0.2.1", 10, 10),
            src("192.0.2.2", 5, 0),
            src("192.0.2.3", 50, 20),
            src("192.0.2.4", 2, 1),
        ];
        assert!(new_source_alerts("example.com", false, &c, &p).is_empty());
        let a = new_source_alerts("example.com", true, &c, &p);
        assert_eq!(a.len(), 3);
        assert!(matches!(
            &a[0],
            Alert::NewUnalignedSource { unaligned: 30, .. }
        ));
        assert!(matches!(
            &a[1],
            Alert::NewUnalignedSource { unaligned: 5, .. }
        ));
        assert!(matches!(
            &a[2],
            Alert::NewUnalignedSourcesMore {
                sources: 1,
                unaligned: 1,
                ..
            }
        ));
        assert_eq!(a[0].action(), "posture.alert.new_unaligned_source");
        assert_eq!(a[0].key(), "source:192.0.2.3");
        assert!(
            a[0].message()
                .contains("192.0.2.3 sent 50 message(s) as example.com")
        );
        assert_eq!(a[0].details()["kind"], "new_unaligned_source");
    }

    #[test]
    fn share_drops_need_volume_and_a_real_drop() {
        let p = AlertPolicy::default();
        let v = |messages, dmarc_pass| Volume {
            messages,
            dmarc_pass,
            ..Volume::default()
        };
        let w = share_windows(86_400 * 100 + 5, &p);
        assert_eq!(w.1, 86_400 * 101);
        assert_eq!(w.0, 86_400 * 94);
        assert_eq!(w.2, 86_400 * 66);
        assert!(share_drop_alert("d", (w.0, w.1), &v(1000, 850), &v(1000, 950), &p).is_some());
        assert!(share_drop_alert("d", (w.0, w.1), &v(1000, 900), &v(1000, 950), &p).is_none());
        assert!(share_drop_alert("d", (w.0, w.1), &v(50, 0), &v(1000, 950), &p).is_none());
        let a = share_drop_alert("d", (w.0, w.1), &v(1000, 500), &v(1000, 950), &p).unwrap();
        assert_eq!(a.action(), ALIGNED_SHARE_DROP);
        assert!(a.message().contains("dropped to 50.0%"), "{}", a.message());
    }
}
