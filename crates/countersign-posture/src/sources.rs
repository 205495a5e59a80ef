//! Who sends as our domains: records aggregated per source IP address,
//! with how much of their mail aligned through SPF and DKIM.
//!
//! [`SourceAggregator`] takes records one at a time (from the store, in any
//! order) and keeps one entry per source, up to a bound; sources beyond it
//! are counted together, never dropped silently.

use crate::model::{Aligned, DkimResult, Record, SpfResult, Volume};
use crate::services::{Evidence, ServiceCatalog};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Most distinct domains kept per list of one source.
const MAX_DOMAINS: usize = 8;

/// One sending source, aggregated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceStats {
    /// The sending IP address.
    pub source_ip: IpAddr,
    /// Messages and their outcomes.
    pub volume: Volume,
    /// Header From domains it sent as, with messages each.
    pub header_from: BTreeMap<String, u64>,
    /// DKIM signing domains that verified on its mail, with messages each.
    pub dkim_domains: BTreeMap<String, u64>,
    /// SPF domains (MAIL FROM or HELO) that passed for it, with messages each.
    pub spf_domains: BTreeMap<String, u64>,
    /// Messages whose DMARC evaluation the receiver overrode (forwarding,
    /// mailing lists, ...).
    pub overridden: u64,
    /// Earliest report period start it appears in (Unix seconds).
    pub first_seen: i64,
    /// Latest report period end it appears in (Unix seconds).
    pub last_seen: i64,
    /// Reverse DNS name, when looked up.
    pub ptr: Option<String>,
    /// The service it belongs to, when recognised, and the evidence.
    pub service: Option<(String, Evidence)>,
}

impl SourceStats {
    fn new(ip: IpAddr) -> Self {
        Self {
            source_ip: ip,
            volume: Volume::default(),
            header_from: BTreeMap::new(),
            dkim_domains: BTreeMap::new(),
            spf_domains: BTreeMap::new(),
            overridden: 0,
            first_seen: i64::MAX,
            last_seen: i64::MIN,
            ptr: None,
            service: None,
        }
    }

    /// Names the service from the reverse DNS name (set `ptr` first), else
    /// from a DKIM or SPF domain that covers at least half of the source's
    /// messages (most messages first): a signature on a few messages does
    /// not make the sender that service.
    pub fn recognise(&mut self, catalog: &ServiceCatalog) {
        let messages = self.volume.messages;
        let major = |map: &BTreeMap<String, u64>| -> Vec<String> {
            let mut v: Vec<(&String, &u64)> = map
                .iter()
                .filter(|(_, n)| n.saturating_mul(2) >= messages)
                .collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.into_iter().map(|(d, _)| d.clone()).collect()
        };
        let (dkim, spf) = (major(&self.dkim_domains), major(&self.spf_domains));
        self.service = catalog
            .recognise(
                self.ptr.as_deref(),
                dkim.iter().map(String::as_str),
                spf.iter().map(String::as_str),
            )
            .map(|(name, why)| (name.to_owned(), why));
    }
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    if key.is_empty() {
        return;
    }
    if let Some(v) = map.get_mut(key) {
        *v = v.saturating_add(n);
    } else if map.len() < MAX_DOMAINS {
        map.insert(key.to_owned(), n);
    }
}

/// The per-source view of a set of reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceReport {
    /// Sources, most messages first.
    pub sources: Vec<SourceStats>,
    /// Totals over every record.
    pub total: Volume,
    /// Sources beyond the bound, counted in `other` only.
    pub other_sources: u64,
    /// Their messages.
    pub other: Volume,
}

/// See the module documentation.
#[derive(Debug)]
pub struct SourceAggregator {
    map: HashMap<IpAddr, SourceStats>,
    max_sources: usize,
    total: Volume,
    other: Volume,
    other_ips: std::collections::HashSet<IpAddr>,
    other_ips_overflow: u64,
}

impl SourceAggregator {
    /// Keeps at most `max_sources` sources (in arrival order).
    pub fn new(max_sources: usize) -> Self {
        Self {
            map: HashMap::new(),
            max_sources,
            total: Volume::default(),
            other: Volume::default(),
            other_ips: std::collections::HashSet::new(),
            other_ips_overflow: 0,
        }
    }

    /// Adds one record from a report covering `begin..end` (Unix seconds).
    pub fn add(&mut self, r: &Record, begin: i64, end: i64) {
        self.total.add(r);
        let full = self.map.len() >= self.max_sources;
        let Some(s) = (match self.map.get_mut(&r.source_ip) {
            Some(s) => Some(s),
            None if full => None,
            None => Some(
                self.map
                    .entry(r.source_ip)
                    .or_insert_with(|| SourceStats::new(r.source_ip)),
            ),
        }) else {
            self.other.add(r);
            // Counting distinct overflow sources is itself bounded.
            if self.other_ips.len() < self.max_sources {
                self.other_ips.insert(r.source_ip);
            } else if !self.other_ips.contains(&r.source_ip) {
                self.other_ips_overflow += 1;
            }
            return;
        };
        s.volume.add(r);
        s.first_seen = s.first_seen.min(begin);
        s.last_seen = s.last_seen.max(end);
        bump(&mut s.header_from, &r.header_from, r.count);
        for d in &r.dkim_auth {
            if d.result == DkimResult::Pass {
                bump(&mut s.dkim_domains, &d.domain, r.count);
            }
        }
        for p in &r.spf_auth {
            if p.result == SpfResult::Pass {
                bump(&mut s.spf_domains, &p.domain, r.count);
            }
        }
        if !r.reasons.is_empty() && r.dkim != Aligned::Pass && r.spf != Aligned::Pass {
            s.overridden = s.overridden.saturating_add(r.count);
        }
    }

    /// The view, most messages first (ties by address, so it is stable).
    pub fn finish(self) -> SourceReport {
        let mut sources: Vec<SourceStats> = self.map.into_values().collect();
        sources.sort_by(|a, b| {
            b.volume
                .messages
                .cmp(&a.volume.messages)
                .then(a.source_ip.cmp(&b.source_ip))
        });
        SourceReport {
            sources,
            total: self.total,
            other_sources: self.other_ips.len() as u64 + self.other_ips_overflow,
            other: self.other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn rec(ip: &str, count: u64, dkim: Aligned, spf: Aligned) -> Record {
        Record {
            source_ip: ip.parse().unwrap(),
            count,
            disposition: Disposition::None,
            dkim,
            spf,
            reasons: vec![],
            header_from: "example.com".into(),
            envelope_from: None,
            envelope_to: None,
            dkim_auth: vec![DkimAuth {
                domain: "sendgrid.net".into(),
                selector: None,
                result: if dkim == Aligned::Pass {
                    DkimResult::Pass
                } else {
                    DkimResult::Fail
                },
                human_result: None,
            }],
            spf_auth: vec![],
        }
    }

    #[test]
    fn aggregates_per_source_and_bounds_the_list() {
        let mut a = SourceAggregator::new(2);
        a.add(&rec("192.0.2.1", 5, Aligned::Pass, Aligned::Fail), 10, 20);
        a.add(&rec("192.0.2.1", 3, Aligned::Fail, Aligned::Fail), 30, 40);
        a.add(&rec("192.0.2.2", 10, Aligned::Fail, Aligned::Pass), 10, 20);
        a.add(&rec("192.0.2.3", 7, Aligned::Fail, Aligned::Fail), 10, 20);
        a.add(&rec("192.0.2.4", 1, Aligned::Fail, Aligned::Fail), 10, 20);
        let r = a.finish();
        assert_eq!(r.sources.len(), 2);
        assert_eq!(r.sources[0].source_ip.to_string(), "192.0.2.2");
        let s1 = &r.sources[1];
        assert_eq!(s1.volume.messages, 8);
        assert_eq!(s1.volume.dmarc_pass, 5);
        assert_eq!(s1.volume.dkim_aligned, 5);
        assert_eq!((s1.first_seen, s1.last_seen), (10, 40));
        assert_eq!(s1.dkim_domains.get("sendgrid.net"), Some(&5));
        assert_eq!(r.total.messages, 26);
        assert_eq!((r.other_sources, r.other.messages), (2, 8));
        let mut s = s1.clone();
        s.recognise(&ServiceCatalog::embedded());
        assert_eq!(
            s.service,
            Some(("SendGrid (Twilio)".to_string(), Evidence::Dkim))
        );
    }
}
