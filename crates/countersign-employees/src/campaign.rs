//! Campaigns: two or more sightings (employee reports, gateway detections,
//! held cases) that share an indicator within a window. A new sighting
//! that shares an indicator with a campaign's sighting joins it; one that
//! bridges two campaigns merges them into the older; one that shares an
//! indicator only with sightings in no campaign forms a new one with them.
//!
//! The store finds the matches (an indexed look-up per indicator, bounded)
//! and persists what [`plan`] and [`Campaign`] decide.

use crate::indicators::Indicator;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::{Duration, OffsetDateTime};

/// Matches considered per indicator of a new sighting.
pub const MAX_MATCHES_PER_INDICATOR: usize = 50;
/// Timeline entries kept per campaign: the first half and the latest
/// half; those in between are counted. Keeps every campaign document (read
/// and written on each join) small whatever the campaign's size.
pub const MAX_TIMELINE: usize = 200;
/// Indicators kept per campaign (the most sighted); others are counted.
pub const MAX_CAMPAIGN_INDICATORS: usize = 200;
/// Distinct people counted per campaign; past it the count is a floor.
pub const MAX_TARGETS: usize = 500;
/// IDs of merged campaigns kept per campaign (the earliest); others are
/// counted. Merges chain without end in a long wave.
pub const MAX_MERGED: usize = 100;

/// What was sighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SightingKind {
    /// An employee's report.
    Report,
    /// A message the gateway quarantined, rejected or held.
    Message,
}

impl SightingKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SightingKind::Report => "report",
            SightingKind::Message => "message",
        }
    }
}

/// One sighting: a report or a detection, with its indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    /// The report or message ID.
    pub id: String,
    /// What it is.
    pub kind: SightingKind,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Its indicators.
    pub indicators: Vec<Indicator>,
    /// The team of the person targeted, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// An opaque key of the person targeted (never shown), to count targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// One line: the channel and what was claimed, or the subject.
    pub summary: String,
}

/// A stored sighting that shares an indicator with a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The sighting.
    pub sighting_id: String,
    /// The live (open or contained) campaign it belongs to.
    pub campaign_id: Option<String>,
    /// That campaign's sightings in all (0 without a campaign).
    pub campaign_size: u64,
    /// When it was sighted.
    pub at: OffsetDateTime,
    /// The indicator shared.
    pub shared: Indicator,
}

/// What a new sighting does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Shares nothing within the window.
    Alone,
    /// Forms a new campaign with these sightings (in no campaign yet).
    Form {
        /// The other sightings.
        with: Vec<String>,
        /// The indicators shared.
        shared: Vec<Indicator>,
    },
    /// Joins a campaign, merging others into it and taking along
    /// matching sightings in no campaign.
    Join {
        /// The campaign joined: the largest, so that merging moves the
        /// fewest sightings (ties: the one matched earliest).
        campaign: String,
        /// Campaigns merged into it.
        merge: Vec<String>,
        /// Sightings in no campaign that join too.
        with: Vec<String>,
        /// The indicators shared.
        shared: Vec<Indicator>,
    },
}

/// Decides what a sighting at `at` does, given the stored sightings that
/// share one of its indicators. Matches outside `window` before `at` (or
/// after it) do not count.
pub fn plan(id: &str, at: OffsetDateTime, matches: &[Match], window: Duration) -> Plan {
    let mut live: Vec<&Match> = matches
        .iter()
        .filter(|m| m.sighting_id != id && m.at <= at && at - m.at <= window)
        .collect();
    if live.is_empty() {
        return Plan::Alone;
    }
    live.sort_by(|a, b| a.at.cmp(&b.at).then(a.sighting_id.cmp(&b.sighting_id)));
    let shared: Vec<Indicator> = live
        .iter()
        .map(|m| m.shared.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut campaigns: Vec<(String, u64)> = Vec::new();
    let mut loose: Vec<String> = Vec::new();
    for m in &live {
        match &m.campaign_id {
            Some(c) if !campaigns.iter().any(|(id, _)| id == c) => {
                campaigns.push((c.clone(), m.campaign_size))
            }
            Some(_) => {}
            None if !loose.contains(&m.sighting_id) => loose.push(m.sighting_id.clone()),
            None => {}
        }
    }
    if campaigns.is_empty() {
        return Plan::Form {
            with: loose,
            shared,
        };
    }
    // Union by size: the largest survives. A stable sort keeps the
    // earliest-matched first among equals.
    campaigns.sort_by_key(|c| std::cmp::Reverse(c.1));
    let (campaign, _) = campaigns.remove(0);
    Plan::Join {
        campaign,
        merge: campaigns.into_iter().map(|(id, _)| id).collect(),
        with: loose,
        shared,
    }
}

/// A campaign's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Active: new sightings join.
    Open,
    /// Blocked or otherwise contained; sightings still join.
    Contained,
    /// Over: new sightings start a new campaign.
    Closed,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Contained => "contained",
            Status::Closed => "closed",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Status::Open),
            "contained" => Some(Status::Contained),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }
}

/// One indicator of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignIndicator {
    /// The indicator.
    pub indicator: Indicator,
    /// Sightings that carry it.
    pub sightings: u32,
    /// First seen.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// Last seen.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}

/// One entry of a campaign's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineItem {
    /// When it was sighted.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The sighting.
    pub sighting_id: String,
    /// What it is.
    pub kind: SightingKind,
    /// Its one-line summary.
    pub summary: String,
    /// The indicators it shared with the campaign when it joined.
    pub shared: Vec<String>,
}

/// A campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Stable identifier.
    pub id: String,
    /// Status.
    pub status: Status,
    /// When it formed.
    #[serde(with = "time::serde::rfc3339")]
    pub formed_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Its sightings, oldest first.
    pub timeline: Vec<TimelineItem>,
    /// Timeline entries left out past [`MAX_TIMELINE`], counted.
    #[serde(default)]
    pub timeline_dropped: u64,
    /// Indicators left out past [`MAX_CAMPAIGN_INDICATORS`], counted.
    #[serde(default)]
    pub indicators_dropped: u64,
    /// Sightings in all.
    pub sightings: u64,
    /// Its indicators, most sighted first.
    pub indicators: Vec<CampaignIndicator>,
    /// Teams targeted, with how many sightings each.
    pub teams: BTreeMap<String, u32>,
    /// How many different people were targeted (names are never listed);
    /// at least this many when `people_targeted_capped`.
    pub people_targeted: u32,
    /// The count stopped at [`MAX_TARGETS`].
    #[serde(default)]
    pub people_targeted_capped: bool,
    /// Opaque target keys, to count people (not shown).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub target_keys: BTreeSet<String>,
    /// Campaigns merged into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<String>,
    /// Merged campaigns left out past [`MAX_MERGED`], counted.
    #[serde(default)]
    pub merged_dropped: u64,
}

impl Campaign {
    /// A campaign formed by `sightings` (oldest first after sorting).
    pub fn form(id: String, mut sightings: Vec<Sighting>, now: OffsetDateTime) -> Self {
        sightings.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        let mut c = Campaign {
            id,
            status: Status::Open,
            formed_at: now,
            updated_at: now,
            timeline: Vec::new(),
            timeline_dropped: 0,
            indicators_dropped: 0,
            sightings: 0,
            indicators: Vec::new(),
            teams: BTreeMap::new(),
            people_targeted: 0,
            people_targeted_capped: false,
            target_keys: BTreeSet::new(),
            merged: Vec::new(),
            merged_dropped: 0,
        };
        for s in &sightings {
            c.add(s, now);
        }
        c
    }

    /// Adds a sighting (once); answers the indicators it shared.
    pub fn add(&mut self, s: &Sighting, now: OffsetDateTime) -> Vec<String> {
        if self.timeline.iter().any(|t| t.sighting_id == s.id) {
            return Vec::new();
        }
        let mut shared = Vec::new();
        for ind in &s.indicators {
            if self.count_indicator(ind, 1, s.at, s.at) {
                shared.push(ind.key());
            }
        }
        self.sort_indicators();
        if let Some(team) = &s.team {
            *self.teams.entry(team.clone()).or_default() += 1;
        }
        if let Some(t) = &s.target {
            self.count_target(t);
        }
        self.sightings += 1;
        self.push_timeline(TimelineItem {
            at: s.at,
            sighting_id: s.id.clone(),
            kind: s.kind,
            summary: s.summary.clone(),
            shared: shared.clone(),
        });
        self.updated_at = now;
        shared
    }

    /// Counts an indicator; true when the campaign had it already.
    fn count_indicator(
        &mut self,
        ind: &Indicator,
        n: u32,
        first: OffsetDateTime,
        last: OffsetDateTime,
    ) -> bool {
        let full = self.indicators.len() >= MAX_CAMPAIGN_INDICATORS;
        match self.indicators.iter_mut().find(|c| c.indicator == *ind) {
            Some(c) => {
                c.sightings += n;
                c.first_seen = c.first_seen.min(first);
                c.last_seen = c.last_seen.max(last);
                true
            }
            None if !full => {
                self.indicators.push(CampaignIndicator {
                    indicator: ind.clone(),
                    sightings: n,
                    first_seen: first,
                    last_seen: last,
                });
                false
            }
            None => {
                self.indicators_dropped += 1;
                false
            }
        }
    }

    fn sort_indicators(&mut self) {
        self.indicators.sort_by(|a, b| {
            b.sightings
                .cmp(&a.sightings)
                .then(a.indicator.cmp(&b.indicator))
        });
    }

    fn count_target(&mut self, key: &str) {
        if self.target_keys.len() < MAX_TARGETS {
            self.target_keys.insert(key.to_owned());
        } else if !self.target_keys.contains(key) {
            self.people_targeted_capped = true;
        }
        self.people_targeted = self.target_keys.len() as u32;
    }

    fn push_timeline(&mut self, item: TimelineItem) {
        let at = self.timeline.partition_point(|t| t.at <= item.at);
        self.timeline.insert(at, item);
        if self.timeline.len() > MAX_TIMELINE {
            // Keep the beginning and the latest; count what falls between.
            self.timeline.remove(MAX_TIMELINE / 2);
            self.timeline_dropped += 1;
        }
    }

    /// Takes in another campaign: its counts, timeline, teams and people,
    /// from its document alone (bounded, whatever its size).
    pub fn merge(&mut self, other: Campaign, now: OffsetDateTime) {
        for i in &other.indicators {
            self.count_indicator(&i.indicator, i.sightings, i.first_seen, i.last_seen);
        }
        self.indicators_dropped += other.indicators_dropped;
        self.sort_indicators();
        for (team, n) in other.teams {
            *self.teams.entry(team).or_default() += n;
        }
        for t in &other.target_keys {
            self.count_target(t);
        }
        self.people_targeted_capped |= other.people_targeted_capped;
        self.sightings += other.sightings;
        self.timeline_dropped += other.timeline_dropped;
        for item in other.timeline {
            if !self
                .timeline
                .iter()
                .any(|t| t.sighting_id == item.sighting_id)
            {
                self.push_timeline(item);
            }
        }
        self.formed_at = self.formed_at.min(other.formed_at);
        self.merged_dropped += other.merged_dropped;
        for id in std::iter::once(other.id).chain(other.merged) {
            if self.merged.len() < MAX_MERGED {
                self.merged.push(id);
            } else {
                self.merged_dropped += 1;
            }
        }
        self.updated_at = now;
    }

    /// The copy shown: target keys left out.
    pub fn redacted(&self) -> Self {
        let mut c = self.clone();
        c.target_keys.clear();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::IndicatorKind;

    fn ind(v: &str) -> Indicator {
        Indicator {
            kind: IndicatorKind::Phone,
            value: v.into(),
        }
    }

    fn m(id: &str, campaign: Option<&str>, mins: i64, v: &str) -> Match {
        sized(id, campaign, 2, mins, v)
    }

    fn sized(id: &str, campaign: Option<&str>, size: u64, mins: i64, v: &str) -> Match {
        Match {
            sighting_id: id.into(),
            campaign_id: campaign.map(str::to_owned),
            campaign_size: if campaign.is_some() { size } else { 0 },
            at: OffsetDateTime::UNIX_EPOCH + Duration::minutes(mins),
            shared: ind(v),
        }
    }

    #[test]
    fn plans_form_join_merge_and_respect_the_window() {
        let at = OffsetDateTime::UNIX_EPOCH + Duration::minutes(100);
        let w = Duration::minutes(60);
        assert_eq!(plan("n", at, &[], w), Plan::Alone);
        assert_eq!(plan("n", at, &[m("a", None, 10, "+1")], w), Plan::Alone);
        assert_eq!(
            plan(
                "n",
                at,
                &[m("a", None, 50, "+1"), m("a", None, 50, "+2")],
                w
            ),
            Plan::Form {
                with: vec!["a".into()],
                shared: vec![ind("+1"), ind("+2")]
            }
        );
        assert_eq!(
            plan(
                "n",
                at,
                &[
                    m("b", Some("c2"), 70, "+1"),
                    m("a", Some("c1"), 60, "+2"),
                    m("x", None, 80, "+2")
                ],
                w
            ),
            Plan::Join {
                campaign: "c1".into(),
                merge: vec!["c2".into()],
                with: vec!["x".into()],
                shared: vec![ind("+1"), ind("+2")]
            }
        );
        // The larger campaign survives whatever matched first, so a merge
        // moves the smaller one's sightings.
        assert_eq!(
            plan(
                "n",
                at,
                &[
                    sized("a", Some("small"), 2, 60, "+1"),
                    sized("b", Some("large"), 900, 70, "+2"),
                ],
                w
            ),
            Plan::Join {
                campaign: "large".into(),
                merge: vec!["small".into()],
                with: Vec::new(),
                shared: vec![ind("+1"), ind("+2")]
            }
        );
    }

    #[test]
    fn campaigns_count_indicators_teams_and_people() {
        let s = |id: &str, mins: i64, phones: &[&str], team: &str, who: &str| Sighting {
            id: id.into(),
            kind: SightingKind::Report,
            at: OffsetDateTime::UNIX_EPOCH + Duration::minutes(mins),
            indicators: phones.iter().map(|p| ind(p)).collect(),
            team: Some(team.into()),
            target: Some(who.into()),
            summary: "phone call claiming IT".into(),
        };
        let now = OffsetDateTime::UNIX_EPOCH + Duration::hours(5);
        let mut c = Campaign::form(
            "k1".into(),
            vec![
                s("b", 20, &["+1", "+9"], "Finance", "u2"),
                s("a", 10, &["+1"], "Finance", "u1"),
            ],
            now,
        );
        assert_eq!(c.timeline[0].sighting_id, "a");
        assert_eq!(c.timeline[1].shared, ["phone:+1"]);
        assert_eq!(c.indicators[0].indicator, ind("+1"));
        assert_eq!(c.indicators[0].sightings, 2);
        assert_eq!(c.people_targeted, 2);
        assert_eq!(
            c.add(&s("c", 30, &["+9"], "Nursing", "u1"), now),
            ["phone:+9"]
        );
        assert!(c.add(&s("c", 30, &["+9"], "Nursing", "u1"), now).is_empty());
        assert_eq!(c.sightings, 3);
        assert_eq!(c.people_targeted, 2);
        assert_eq!(c.teams["Finance"], 2);
        assert!(c.redacted().target_keys.is_empty());
    }

    #[test]
    fn merged_ids_are_capped_and_counted() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::hours(5);
        let one = |id: String| {
            Campaign::form(
                id.clone(),
                vec![Sighting {
                    id: format!("s-{id}"),
                    kind: SightingKind::Report,
                    at: now,
                    indicators: vec![ind("+1")],
                    team: None,
                    target: None,
                    summary: "call".into(),
                }],
                now,
            )
        };
        let mut big = one("k0".into());
        for n in 1..=(MAX_MERGED as u64 + 30) {
            big.merge(one(format!("k{n}")), now);
        }
        assert_eq!(big.merged.len(), MAX_MERGED);
        assert_eq!(big.merged_dropped, 30);
        // A merged campaign brings its own merged list and count along.
        let mut other = one("x".into());
        other.merge(one("y".into()), now);
        other.merged_dropped = 4;
        big.merge(other, now);
        assert_eq!(big.merged.len(), MAX_MERGED);
        assert_eq!(big.merged_dropped, 30 + 2 + 4);
    }
}
