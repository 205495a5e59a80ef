//! The posture features that need DNS, wired to `countersign-dns`: record
//! checks (the check asks, we answer, until it is done) and reverse DNS of
//! sending sources (cached in the store, bounded in time).

use countersign_dns::lookup::Answer as DnsAnswer;
use countersign_dns::resolver::DnsResolver;
use countersign_posture::checks::{
    self, Answer, CheckRequest, DomainReport, Facts, MAX_QUERIES, Outcome, Query,
};
use countersign_posture::{ServiceCatalog, SourceReport};
use countersign_store::{Store, StoreError};
use futures_util::StreamExt;
use std::time::Duration;
use time::OffsetDateTime;

/// Questions asked at once.
const PARALLEL: usize = 16;
/// Rounds of questions before the check finishes with what it has.
const MAX_ROUNDS: usize = 32;
/// How long a cached reverse DNS answer is used.
pub const RDNS_MAX_AGE_SECS: i64 = 7 * 86_400;

fn convert<T: ToString>(a: DnsAnswer<T>) -> Answer {
    match a {
        DnsAnswer::Records(r) => Answer::Records(r.into_iter().map(|x| x.to_string()).collect()),
        DnsAnswer::NxDomain => Answer::NxDomain,
        DnsAnswer::NoData => Answer::NoData,
        DnsAnswer::Failed(e) => Answer::Failed(e),
    }
}

async fn ask(resolver: &DnsResolver, q: &Query) -> Answer {
    match q {
        Query::Txt(n) => convert(resolver.lookup_txt(n).await),
        Query::Mx(n) => convert(
            resolver
                .lookup_mx(n)
                .await
                .map(|(pref, host)| format!("{pref} {host}")),
        ),
        Query::A(n) => convert(resolver.lookup_a(n).await),
        Query::Aaaa(n) => convert(resolver.lookup_aaaa(n).await),
    }
}

/// Checks one domain's records through `resolver`: at most
/// [`MAX_QUERIES`] questions, [`PARALLEL`] at a time.
pub async fn check_domain(resolver: &DnsResolver, req: &CheckRequest) -> DomainReport {
    let mut facts = Facts::default();
    for _ in 0..MAX_ROUNDS {
        match checks::check_domain(req, &facts, false) {
            Outcome::Done(report) => return *report,
            Outcome::Need(queries) => {
                let room = MAX_QUERIES.saturating_sub(facts.len());
                if room == 0 {
                    break;
                }
                let answers: Vec<(Query, Answer)> =
                    futures_util::stream::iter(queries.into_iter().take(room))
                        .map(|q| async move {
                            let a = ask(resolver, &q).await;
                            (q, a)
                        })
                        .buffer_unordered(PARALLEL)
                        .collect()
                        .await;
                for (q, a) in answers {
                    facts.insert(q, a);
                }
            }
        }
    }
    // The bound was reached: finish with what was answered.
    match checks::check_domain(req, &facts, true) {
        Outcome::Done(report) => *report,
        Outcome::Need(_) => empty_report(req),
    }
}

/// `check_domain` with `final_run` always finishes; this keeps the match
/// total without a panic path.
fn empty_report(req: &CheckRequest) -> DomainReport {
    DomainReport {
        domain: req.domain.clone(),
        findings: Vec::new(),
        spf: None,
        dmarc: None,
        dkim: Vec::new(),
        mx: Vec::new(),
        queries: 0,
    }
}

/// Names the first `top` sources: reverse DNS (from the store's cache, else
/// asked, all within `deadline`) and the service they belong to.
pub async fn enrich_sources(
    store: &Store,
    resolver: Option<&DnsResolver>,
    report: &mut SourceReport,
    catalog: &ServiceCatalog,
    top: usize,
    deadline: Duration,
) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    let ips: Vec<std::net::IpAddr> = report
        .sources
        .iter()
        .take(top)
        .map(|s| s.source_ip)
        .collect();
    let mut names = store.rdns_cached(&ips, RDNS_MAX_AGE_SECS, now).await?;
    if let Some(resolver) = resolver {
        let missing: Vec<std::net::IpAddr> = ips
            .iter()
            .copied()
            .filter(|ip| !names.contains_key(ip))
            .collect();
        if !missing.is_empty() {
            let answers = resolver.lookup_ptrs(&missing, PARALLEL, deadline).await;
            let mut remember = Vec::new();
            for (ip, answer) in answers {
                let name = match answer {
                    DnsAnswer::Records(r) => r.into_iter().next(),
                    DnsAnswer::NxDomain | DnsAnswer::NoData => None,
                    // Not answered: neither cached nor shown as "no name".
                    DnsAnswer::Failed(_) => continue,
                };
                remember.push((ip, name.clone()));
                names.insert(ip, name);
            }
            store.rdns_remember(&remember, now).await?;
        }
    }
    for s in report.sources.iter_mut() {
        s.ptr = names.get(&s.source_ip).cloned().flatten();
        s.recognise(catalog);
    }
    Ok(())
}
