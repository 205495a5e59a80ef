//! General lookups through the same resolver: TXT, MX, A, AAAA and PTR
//! answers as they are, for checks of published records and for reverse
//! DNS. Nothing is interpreted here; an answer says what DNS said, and a
//! failure is a failure, never "no record".

use crate::resolver::DnsResolver;
use hickory_proto::rr::{Name, RData};
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// What one DNS question got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// The records of the asked type.
    Records(Vec<T>),
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has no record of this type.
    NoData,
    /// No answer: time-out, SERVFAIL, refused, unreadable name.
    Failed(String),
}

impl<T> Answer<T> {
    /// The records, or an empty list for NXDOMAIN, NODATA and failures.
    pub fn records(&self) -> &[T] {
        match self {
            Answer::Records(r) => r,
            _ => &[],
        }
    }

    /// NXDOMAIN or NODATA: a "void lookup" in RFC 7208's words (4.6.4).
    pub fn is_void(&self) -> bool {
        matches!(self, Answer::NxDomain | Answer::NoData)
    }

    /// Converts the records.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Answer<U> {
        match self {
            Answer::Records(r) => Answer::Records(r.into_iter().map(f).collect()),
            Answer::NxDomain => Answer::NxDomain,
            Answer::NoData => Answer::NoData,
            Answer::Failed(e) => Answer::Failed(e),
        }
    }
}

fn query_name(name: &str) -> Result<Name, String> {
    let mut n = Name::from_str_relaxed(name).map_err(|e| format!("{name:?}: {e}"))?;
    n.set_fqdn(true);
    Ok(n)
}

fn failure<T>(err: NetError) -> Answer<T> {
    match &err {
        NetError::Dns(DnsError::NoRecordsFound(nr))
            if nr.response_code == ResponseCode::NXDomain =>
        {
            Answer::NxDomain
        }
        NetError::Dns(DnsError::NoRecordsFound(nr))
            if nr.response_code == ResponseCode::NoError =>
        {
            Answer::NoData
        }
        _ => Answer::Failed(err.to_string()),
    }
}

/// A name in text: its labels, lower case, with the root's dot.
fn name_text(name: &Name) -> String {
    let mut text = String::with_capacity(name.len() + 1);
    for label in name.iter() {
        text.push_str(&String::from_utf8_lossy(label));
        text.push('.');
    }
    text.make_ascii_lowercase();
    text
}

impl DnsResolver {
    /// TXT records at `name`, each one's strings joined (RFC 7208 3.3).
    pub async fn lookup_txt(&self, name: &str) -> Answer<String> {
        let q = match query_name(name) {
            Ok(q) => q,
            Err(e) => return Answer::Failed(e),
        };
        match self.authenticator().0.txt_lookup(q).await {
            Ok(lookup) => Answer::Records(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|s| String::from_utf8_lossy(s))
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) => failure(e),
        }
    }

    /// MX records at `name`: (preference, exchange with its trailing dot).
    pub async fn lookup_mx(&self, name: &str) -> Answer<(u16, String)> {
        let q = match query_name(name) {
            Ok(q) => q,
            Err(e) => return Answer::Failed(e),
        };
        match self.authenticator().0.mx_lookup(q).await {
            Ok(lookup) => Answer::Records(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::MX(mx) => Some((mx.preference, name_text(&mx.exchange))),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) => failure(e),
        }
    }

    /// A records at `name`.
    pub async fn lookup_a(&self, name: &str) -> Answer<Ipv4Addr> {
        let q = match query_name(name) {
            Ok(q) => q,
            Err(e) => return Answer::Failed(e),
        };
        match self.authenticator().0.ipv4_lookup(q).await {
            Ok(lookup) => Answer::Records(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::A(a) => Some(a.0),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) => failure(e),
        }
    }

    /// AAAA records at `name`.
    pub async fn lookup_aaaa(&self, name: &str) -> Answer<Ipv6Addr> {
        let q = match query_name(name) {
            Ok(q) => q,
            Err(e) => return Answer::Failed(e),
        };
        match self.authenticator().0.ipv6_lookup(q).await {
            Ok(lookup) => Answer::Records(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::AAAA(a) => Some(a.0),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) => failure(e),
        }
    }

    /// PTR records for `ip` (reverse DNS), names with their trailing dot.
    pub async fn lookup_ptr(&self, ip: IpAddr) -> Answer<String> {
        match self.authenticator().0.reverse_lookup(Name::from(ip)).await {
            Ok(lookup) => Answer::Records(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::PTR(p) => Some(name_text(&p.0)),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) => failure(e),
        }
    }

    /// Reverse DNS for many addresses, at most `parallel` at a time, all
    /// within `deadline`: an address not answered by then is `Failed`.
    pub async fn lookup_ptrs(
        &self,
        ips: &[IpAddr],
        parallel: usize,
        deadline: Duration,
    ) -> Vec<(IpAddr, Answer<String>)> {
        use futures_util::StreamExt;
        let until = tokio::time::Instant::now() + deadline;
        futures_util::stream::iter(ips.iter().copied())
            .map(|ip| async move {
                let answer = match tokio::time::timeout_at(until, self.lookup_ptr(ip)).await {
                    Ok(a) => a,
                    Err(_) => Answer::Failed("no answer within the deadline".into()),
                };
                (ip, answer)
            })
            .buffered(parallel.max(1))
            .collect()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolver::ResolverSettings;
    use crate::zone::ZoneSet;

    const ZONE: &str = "\
$ORIGIN example.com.
$TTL 300
@       IN SOA ns.example.com. admin.example.com. 1 3600 600 86400 300
@       IN TXT \"v=spf1 ip4:192.0.2.0/24 \" \"include:_spf.example.net -all\"
@       IN MX 10 mx1.example.com.
@       IN MX 20 mx2.example.com.
mx1     IN A 192.0.2.25
mx1     IN AAAA 2001:db8::25
_dmarc  IN TXT \"v=DMARC1; p=reject\"
$ORIGIN 2.0.192.in-addr.arpa.
@       IN SOA ns.example.com. admin.example.com. 1 3600 600 86400 300
25      IN PTR mx1.example.com.
";

    #[tokio::test]
    async fn answers_say_what_dns_said() {
        let mut zones = ZoneSet::new();
        zones.load_str(ZONE, "test.zone").unwrap();
        let r = DnsResolver::from_zones(zones, &ResolverSettings::default())
            .await
            .unwrap();
        assert_eq!(
            r.lookup_txt("example.com").await,
            Answer::Records(vec![
                "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all".into()
            ])
        );
        assert_eq!(
            r.lookup_txt("_dmarc.example.com.").await.records(),
            ["v=DMARC1; p=reject"]
        );
        let mut mx = r.lookup_mx("example.com").await.records().to_vec();
        mx.sort();
        assert_eq!(
            mx,
            [
                (10, "mx1.example.com.".into()),
                (20, "mx2.example.com.".into())
            ]
        );
        assert_eq!(
            r.lookup_a("mx1.example.com").await,
            Answer::Records(vec![Ipv4Addr::new(192, 0, 2, 25)])
        );
        assert_eq!(r.lookup_aaaa("mx1.example.com").await.records().len(), 1);
        assert_eq!(r.lookup_a("mx2.example.com").await, Answer::NxDomain);
        assert_eq!(r.lookup_a("_dmarc.example.com").await, Answer::NoData);
        assert_eq!(r.lookup_txt("nothere.example.org").await, Answer::NxDomain);
        let ip: IpAddr = "192.0.2.25".parse().unwrap();
        assert_eq!(
            r.lookup_ptr(ip).await,
            Answer::Records(vec!["mx1.example.com.".into()])
        );
        let many = r
            .lookup_ptrs(
                &[ip, "192.0.2.26".parse().unwrap()],
                4,
                Duration::from_secs(5),
            )
            .await;
        assert_eq!(many[0].1.records(), ["mx1.example.com."]);
        assert!(many[1].1.is_void());
    }
}
