//! MX: the domain says where its mail goes (or, with a null MX, RFC 7505,
//! that it takes none), and every exchange resolves.

use super::{Answer, Ctx, Query, Severity, normalise};

pub(super) fn check(ctx: &mut Ctx<'_>, domain: &str) -> Vec<(u16, String)> {
    let Some(answer) = ctx.ask(Query::Mx(domain.to_owned())) else {
        return Vec::new();
    };
    let records: Vec<(u16, String)> = match answer {
        Answer::Failed(e) => {
            ctx.find(
                Severity::Error,
                "mx",
                "mx.unreachable",
                format!("the MX records of {domain} could not be read: {e}"),
                format!("check that the name servers of {domain} answer"),
            );
            return Vec::new();
        }
        Answer::NxDomain => {
            ctx.find(
                Severity::Error,
                "mx",
                "mx.no_domain",
                format!("{domain} does not exist in DNS"),
                "check the spelling, or register and delegate the domain",
            );
            return Vec::new();
        }
        a => a
            .records()
            .iter()
            .filter_map(|r| {
                let (pref, host) = r.split_once(' ')?;
                Some((pref.parse().ok()?, host.trim().to_owned()))
            })
            .collect(),
    };
    if records.is_empty() {
        ctx.find(
            Severity::Warning,
            "mx",
            "mx.missing",
            format!("{domain} has no MX record: mail to it goes to its address record, if any, and bounces and DMARC reports for it may go nowhere"),
            format!("publish MX records for {domain}, or a null MX (\"0 .\", RFC 7505) if it takes no mail"),
        );
        return records;
    }
    let null = records.iter().any(|(_, h)| h == "." || h.is_empty());
    if null {
        if records.len() > 1 {
            ctx.find(
                Severity::Error,
                "mx",
                "mx.null_with_others",
                "a null MX (\".\") sits beside other MX records (RFC 7505 3: it must be alone)",
                "keep either the null MX or the real exchanges",
            );
        } else {
            ctx.find(
                Severity::Info,
                "mx",
                "mx.null",
                format!("{domain} publishes a null MX: it accepts no mail (RFC 7505)"),
                "",
            );
        }
        return records;
    }
    let mut sorted = records.clone();
    sorted.sort();
    for (_, host) in &sorted {
        let h = normalise(host);
        if h.parse::<std::net::IpAddr>().is_ok() {
            ctx.find(
                Severity::Error,
                "mx",
                "mx.address",
                format!("MX {host} is an IP address; MX records must name a host"),
                "publish an A record for a host name and point the MX at it",
            );
            continue;
        }
        let a = ctx.ask(Query::A(h.clone()));
        let aaaa = ctx.ask(Query::Aaaa(h.clone()));
        if let (Some(a), Some(aaaa)) = (a, aaaa)
            && a.records().is_empty()
            && aaaa.records().is_empty()
            && !matches!(a, Answer::Failed(_))
        {
            ctx.find(
                Severity::Error,
                "mx",
                "mx.unresolvable",
                format!(
                    "MX host {host} has no address: mail to {domain} cannot be delivered there"
                ),
                format!("publish A/AAAA records for {host} or remove the MX"),
            );
        }
    }
    sorted
}
