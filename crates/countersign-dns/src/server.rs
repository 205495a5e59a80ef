//! A loopback DNS server that answers from a [`ZoneSet`], so offline runs and tests
//! exercise the real resolver stack (UDP, truncation, TCP fallback, negative caching).
//!
//! It speaks plain RFC 1035 over UDP and TCP (RFC 7766 framing) on one ephemeral port of
//! 127.0.0.1, with EDNS(0) payload negotiation (RFC 6891). It is authoritative-only: no
//! recursion, no zone transfers, no DNSSEC.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, SOA, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record as WireRecord, RecordType as WireType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::{JoinHandle, JoinSet};

use crate::zone::{Answer, Record, RecordData, RecordType, ZoneSet};

/// Payload size we advertise in EDNS answers; loopback never fragments, so the usual
/// 1232-byte caution for the Internet does not apply.
const OUR_MAX_PAYLOAD: u16 = 4096;

/// RFC 1035 §4.2.1: the UDP limit for clients that do not use EDNS.
const CLASSIC_UDP_LIMIT: usize = 512;

/// A TCP connection idle this long is closed (RFC 7766 §6.2.3 lets servers do so), so
/// forgotten client connections do not pin tasks for the server's whole life.
const TCP_IDLE: Duration = Duration::from_secs(30);

/// A DNS server on 127.0.0.1 answering from a [`ZoneSet`]; it stops when dropped.
#[derive(Debug)]
pub struct ZoneServer {
    addr: SocketAddr,
    stats: Arc<Stats>,
    /// UDP loop and TCP accept loop; the accept loop owns the per-connection tasks.
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Stats {
    /// Complete responses sent.
    answered: AtomicU64,
    /// DNS messages received, answered or not.
    received: AtomicU64,
}

impl ZoneServer {
    /// Bind UDP and TCP on the same ephemeral port of 127.0.0.1 and serve `zones` until dropped.
    ///
    /// Must be called inside a tokio runtime.
    pub async fn start(zones: Arc<ZoneSet>) -> io::Result<ZoneServer> {
        let (udp, tcp) = bind_pair().await?;
        let addr = udp.local_addr()?;
        let stats = Arc::new(Stats::default());
        let tasks = vec![
            tokio::spawn(serve_udp(udp, Arc::clone(&zones), Arc::clone(&stats))),
            tokio::spawn(serve_tcp(tcp, zones, Arc::clone(&stats))),
        ];
        tracing::debug!(%addr, "zone server listening");
        Ok(ZoneServer { addr, stats, tasks })
    }

    /// The address both transports listen on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Number of queries answered so far (tests use it to prove caching works).
    ///
    /// Counts complete responses, negative and error ones included. A truncated UDP reply
    /// does not count (its TCP retry does, so a lookup that falls back counts once), nor
    /// does a query for a time-out name, which gets no reply.
    pub fn queries(&self) -> u64 {
        self.stats.answered.load(Ordering::Relaxed)
    }

    /// Number of DNS messages received so far, whether answered, truncated or ignored
    /// (e.g. queries for time-out names).
    pub fn received(&self) -> u64 {
        self.stats.received.load(Ordering::Relaxed)
    }
}

impl Drop for ZoneServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// UDP first (its ephemeral port is the one we want), then TCP on the same port; if another
/// process holds that TCP port, try another.
async fn bind_pair() -> io::Result<(UdpSocket, TcpListener)> {
    let mut last_err = None;
    for _ in 0..32 {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = udp.local_addr()?.port();
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no free port for UDP and TCP")))
}

async fn serve_udp(socket: UdpSocket, zones: Arc<ZoneSet>, stats: Arc<Stats>) {
    // Largest possible datagram, so an oversized query is decoded (and refused) rather than cut.
    let mut buf = vec![0u8; 65_535];
    loop {
        let (len, peer) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                // Typically an ICMP "port unreachable" for an earlier reply to a client that
                // went away; not fatal. Pause briefly so a persistent error cannot spin a core.
                tracing::debug!(error = %e, "zone server: UDP receive failed");
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        if let Some(reply) = respond(&buf[..len], &zones, Transport::Udp, &stats)
            && let Err(e) = socket.send_to(&reply, peer).await
        {
            tracing::debug!(error = %e, %peer, "zone server: UDP send failed");
        }
    }
}

async fn serve_tcp(listener: TcpListener, zones: Arc<ZoneSet>, stats: Arc<Stats>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // E.g. out of file descriptors: wait for some to be released.
                tracing::debug!(error = %e, "zone server: TCP accept failed");
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        // Reap finished connections so the set only holds live ones.
        while connections.try_join_next().is_some() {}
        connections.spawn(serve_connection(
            stream,
            Arc::clone(&zones),
            Arc::clone(&stats),
        ));
    }
}

/// Serves length-prefixed queries (RFC 1035 §4.2.2) until the peer closes or goes idle.
async fn serve_connection(mut stream: TcpStream, zones: Arc<ZoneSet>, stats: Arc<Stats>) {
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut query)).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        let Some(reply) = respond(&query, &zones, Transport::Tcp, &stats) else {
            continue;
        };
        let Ok(reply_len) = u16::try_from(reply.len()) else {
            continue;
        };
        let mut framed = Vec::with_capacity(reply.len() + 2);
        framed.extend_from_slice(&reply_len.to_be_bytes());
        framed.extend_from_slice(&reply);
        if stream.write_all(&framed).await.is_err() {
            return;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    Udp,
    Tcp,
}

/// The wire reply to one wire query, or `None` when nothing must be sent.
fn respond(query: &[u8], zones: &ZoneSet, transport: Transport, stats: &Stats) -> Option<Vec<u8>> {
    stats.received.fetch_add(1, Ordering::Relaxed);
    let request = match Message::from_vec(query) {
        Ok(request) => request,
        Err(e) => {
            tracing::debug!(error = %e, "zone server: undecodable query");
            let reply = format_error(query)?;
            stats.answered.fetch_add(1, Ordering::Relaxed);
            return Some(reply);
        }
    };
    if request.metadata.message_type != MessageType::Query {
        // Answering responses could set up a loop between two servers.
        return None;
    }
    let response = build_response(&request, zones)?;
    let bytes = response.to_vec().ok().or_else(|| {
        // Records the encoder refuses (e.g. a name the zone accepted but DNS cannot carry).
        let mut failed = Message::new(0, MessageType::Response, OpCode::Query);
        failed.metadata = response.metadata;
        failed.metadata.response_code = ResponseCode::ServFail;
        failed.queries.clone_from(&response.queries);
        failed.edns.clone_from(&response.edns);
        failed.to_vec().ok()
    })?;
    let limit = match (transport, &request.edns) {
        (Transport::Tcp, _) => usize::from(u16::MAX),
        (Transport::Udp, None) => CLASSIC_UDP_LIMIT,
        (Transport::Udp, Some(edns)) => usize::from(edns.max_payload()).max(CLASSIC_UDP_LIMIT),
    };
    if bytes.len() <= limit {
        stats.answered.fetch_add(1, Ordering::Relaxed);
        return Some(bytes);
    }
    // Header, question and OPT only, with TC set: the client retries over TCP.
    response.truncate().to_vec().ok()
}

/// FORMERR for a query that does not decode, if at least its header is there to answer.
fn format_error(query: &[u8]) -> Option<Vec<u8>> {
    if query.len() < 12 || query[2] & 0x80 != 0 {
        // No complete header (nothing to echo), or a response: stay silent.
        return None;
    }
    let id = u16::from_be_bytes([query[0], query[1]]);
    let op_code = OpCode::from_u8((query[2] >> 3) & 0x0f);
    Message::error_msg(id, op_code, ResponseCode::FormErr)
        .to_vec()
        .ok()
}

/// The response message for a decoded query, or `None` for a time-out name.
fn build_response(request: &Message, zones: &ZoneSet) -> Option<Message> {
    let mut response = Message::new(0, MessageType::Response, OpCode::Query);
    response.metadata = Metadata::response_from_request(&request.metadata);
    if request.edns.is_some() {
        // RFC 6891 §6.1.1: a query with OPT gets an OPT back (version 0, no DNSSEC).
        let mut edns = Edns::new();
        edns.set_max_payload(OUR_MAX_PAYLOAD);
        response.set_edns(edns);
    }
    let rcode = |mut r: Message, code| {
        r.metadata.response_code = code;
        Some(r)
    };
    if request.metadata.op_code != OpCode::Query {
        return rcode(response, ResponseCode::NotImp);
    }
    let [query] = request.queries.as_slice() else {
        // RFC 9619: exactly one question.
        return rcode(response, ResponseCode::FormErr);
    };
    response.add_query(query.clone());
    if !matches!(query.query_class(), DNSClass::IN | DNSClass::ANY) {
        return rcode(response, ResponseCode::Refused);
    }
    let qtype = query.query_type();
    if matches!(qtype, WireType::AXFR | WireType::IXFR) {
        return rcode(response, ResponseCode::Refused);
    }
    if qtype == WireType::OPT {
        return rcode(response, ResponseCode::FormErr);
    }
    let qname = query.name();
    let qname_text = raw_text(qname);
    let answer = zones.resolve(&qname_text, RecordType::try_from(qtype).ok());
    response.metadata.authoritative = true;
    let (answers, soa, code) = match answer {
        Answer::Timeout => return None,
        Answer::Records { cnames, records } => (
            cnames.into_iter().chain(records),
            None,
            ResponseCode::NoError,
        ),
        Answer::NoData { cnames, soa } => (
            cnames.into_iter().chain(Vec::new()),
            soa,
            ResponseCode::NoError,
        ),
        Answer::NxDomain { cnames, soa } => (
            cnames.into_iter().chain(Vec::new()),
            soa,
            ResponseCode::NXDomain,
        ),
    };
    let converted: Result<Vec<WireRecord>, _> = answers
        .map(|r| to_wire(&r, qname, &qname_text, r.ttl))
        .collect();
    let negative = soa.map(|soa| {
        // RFC 2308 §5: negative answers live for min(SOA TTL, SOA MINIMUM).
        let ttl = match soa.data {
            RecordData::Soa { minimum, .. } => soa.ttl.min(minimum),
            _ => soa.ttl,
        };
        to_wire(&soa, qname, &qname_text, ttl)
    });
    match (converted, negative.transpose()) {
        (Ok(answers), Ok(authority)) => {
            response.answers = answers;
            response.authorities = authority.into_iter().collect();
            rcode(response, code)
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, name = %qname_text, "zone server: record not encodable");
            response.metadata.authoritative = false;
            rcode(response, ResponseCode::ServFail)
        }
    }
}

/// A zone record in hickory's form. The owner equal to the query name reuses the query's
/// spelling, so clients that randomise case (DNS 0x20) see their own name echoed.
fn to_wire(
    record: &Record,
    qname: &Name,
    qname_text: &str,
    ttl: u32,
) -> Result<WireRecord, hickory_proto::ProtoError> {
    let owner = if record.name == qname_text {
        qname.clone()
    } else {
        raw_name(&record.name)?
    };
    Ok(WireRecord::from_rdata(owner, ttl, to_rdata(&record.data)?))
}

/// The query name as the zone stores names: raw label bytes, lowercase,
/// dot-joined with a trailing dot. hickory's text form would escape bytes
/// such as `:` `/` or a space (`\:`), which zone names keep as they are.
fn raw_text(name: &Name) -> String {
    let mut text = String::with_capacity(name.len() + 1);
    for label in name.iter() {
        text.push_str(&String::from_utf8_lossy(label).to_ascii_lowercase());
        text.push('.');
    }
    if text.is_empty() {
        text.push('.');
    }
    text
}

/// A wire name from a zone name, label by label, so that bytes hickory's
/// text parser would treat as escapes travel unchanged.
fn raw_name(text: &str) -> Result<Name, hickory_proto::ProtoError> {
    let mut name = Name::from_labels(
        text.trim_end_matches('.')
            .split('.')
            .filter(|label| !label.is_empty())
            .map(str::as_bytes),
    )?;
    name.set_fqdn(true);
    Ok(name)
}

fn to_rdata(data: &RecordData) -> Result<RData, hickory_proto::ProtoError> {
    // SOA timers are signed in hickory; RFC 1035 says unsigned, so clamp rather than wrap.
    let signed = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(match data {
        RecordData::A(ip) => RData::A(A(*ip)),
        RecordData::Aaaa(ip) => RData::AAAA(AAAA(*ip)),
        RecordData::Mx {
            preference,
            exchange,
        } => RData::MX(MX::new(*preference, raw_name(exchange)?)),
        RecordData::Txt(strings) => {
            // A character-string holds at most 255 bytes. Programmatic inserts may carry
            // longer ones; consumers join the pieces, so splitting keeps the meaning.
            let mut pieces: Vec<&[u8]> = strings
                .iter()
                .flat_map(|s| {
                    if s.is_empty() {
                        vec![&s[..]]
                    } else {
                        s.chunks(255).collect()
                    }
                })
                .collect();
            if pieces.is_empty() {
                pieces.push(b"");
            }
            RData::TXT(TXT::from_bytes(pieces))
        }
        RecordData::Ptr(n) => RData::PTR(PTR(raw_name(n)?)),
        RecordData::Cname(n) => RData::CNAME(CNAME(raw_name(n)?)),
        RecordData::Ns(n) => RData::NS(NS(raw_name(n)?)),
        RecordData::Soa {
            mname,
            rname,
            serial,
            refresh,
            retry,
            expire,
            minimum,
        } => RData::SOA(SOA::new(
            Name::from_ascii(mname)?,
            Name::from_ascii(rname)?,
            *serial,
            signed(*refresh),
            signed(*retry),
            signed(*expire),
            *minimum,
        )),
    })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::time::Instant;

    use hickory_proto::op::Query;
    use hickory_resolver::config::{
        ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig,
    };
    use hickory_resolver::net::runtime::TokioRuntimeProvider;
    use hickory_resolver::{Resolver, TokioResolver};

    use super::*;

    /// A 2048-bit RSA DKIM key (~410 bytes of TXT: the reply still fits in 512 bytes).
    const DKIM_1: &str = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwCMzYIYUN0P9k9y0IYGyfHEdP+iaE+Gy6C+ijT6DRMAgLnmEfR5RPWKXINDTuQRi7vcTfnrpQJBb1uwuMK6jlTTjPd/FkgDKrPIlhbrahgwxKCU5oy30xEUhR/upg9jkFQh+zNxVVaWVHCrqHHapCxbed2MbR+bKj8Wl4mLQ62flycAA1oyohS55z7+A";
    const DKIM_2: &str = "Mti7IF+bdrl2bC8+dUuY4sk+HuFL5QU6/b1mTAQhPDyJ9xqYJXlWx+Asjd8sZ1SD9rb5CMrTEGUnocAr7HIoLrUd5d+CE35/n4MdS0loLdArU81GJD/dKMkIRVmJCGG6efSZrRIgPerrgzY2GzUUoCIa1QIDAQAB";

    /// The three strings of a 4096-bit-sized key record (~750 bytes): its reply exceeds the
    /// 512-byte classic UDP limit. Not a real key; only the size matters.
    fn big_key() -> [String; 3] {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let body: String = (0..720)
            .map(|i| char::from(alphabet[(i * 7 + i / 64) % 64]))
            .collect();
        let text = format!("v=DKIM1; k=rsa; p=MIICIjAN{body}IDAQAB");
        [
            text[..250].to_owned(),
            text[250..500].to_owned(),
            text[500..].to_owned(),
        ]
    }

    fn zones() -> Arc<ZoneSet> {
        let [b1, b2, b3] = big_key();
        let mut z = ZoneSet::new();
        z.load_str(
            &format!(
                "$ORIGIN example.test.\n$TTL 300\n\
                 @ IN SOA ns1 hostmaster ( 1 3600 900 604800 60 )\n\
                 @ IN NS ns1\n\
                 ns1 IN A 127.0.0.1\n\
                 @ IN MX 10 mx1\n\
                 @ IN MX 20 mx2.example.test.\n\
                 mx1 IN A 192.0.2.10\n\
                 @ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
                 sel._domainkey IN TXT ( \"{DKIM_1}\"\n   \"{DKIM_2}\" )\n\
                 big._domainkey IN TXT ( \"{b1}\"\n \"{b2}\"\n \"{b3}\" )\n\
                 www IN CNAME @\n"
            ),
            "server-test.zone",
        )
        .unwrap();
        z.insert_timeout("slow.example.test");
        Arc::new(z)
    }

    /// The resolver setup the crate's resolver uses: one name server, UDP then TCP, on the
    /// server's port; no search list, no hosts file, short time-out.
    fn resolver(addr: SocketAddr, edns: bool) -> TokioResolver {
        let mut udp = ConnectionConfig::udp();
        udp.port = addr.port();
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = addr.port();
        let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
        let config = ResolverConfig::from_name_servers(vec![server]);
        let mut builder = Resolver::builder_with_config(config, TokioRuntimeProvider::default());
        let opts = builder.options_mut();
        opts.timeout = Duration::from_millis(500);
        opts.attempts = 1;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.edns0 = edns;
        opts.ndots = 0;
        builder.build().unwrap()
    }

    fn txt_strings(lookup: &hickory_resolver::lookup::Lookup) -> Vec<String> {
        lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(String::from_utf8(txt.txt_data.concat()).unwrap()),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn resolver_gets_a_mx_txt_and_negative_answers() {
        let server = ZoneServer::start(zones()).await.unwrap();
        assert_eq!(server.addr().ip(), IpAddr::from(Ipv4Addr::LOCALHOST));
        let resolver = resolver(server.addr(), true);

        let a = resolver
            .lookup("mx1.example.test.", WireType::A)
            .await
            .unwrap();
        let ips: Vec<&RData> = a.answers().iter().map(|r| &r.data).collect();
        assert_eq!(ips, [&RData::A(A(Ipv4Addr::new(192, 0, 2, 10)))]);

        let mx = resolver
            .lookup("example.test.", WireType::MX)
            .await
            .unwrap();
        let mut exchanges: Vec<(u16, String)> = mx
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(mx) => Some((mx.preference, mx.exchange.to_ascii())),
                _ => None,
            })
            .collect();
        exchanges.sort();
        assert_eq!(
            exchanges,
            [
                (10, "mx1.example.test.".to_owned()),
                (20, "mx2.example.test.".to_owned())
            ]
        );

        let spf = resolver
            .lookup("Example.Test.", WireType::TXT)
            .await
            .unwrap();
        assert_eq!(txt_strings(&spf), ["v=spf1 ip4:192.0.2.0/24 -all"]);

        // Through the CNAME.
        let www = resolver
            .lookup("www.example.test.", WireType::TXT)
            .await
            .unwrap();
        assert_eq!(txt_strings(&www), ["v=spf1 ip4:192.0.2.0/24 -all"]);

        let nx = resolver
            .lookup("nope.example.test.", WireType::A)
            .await
            .unwrap_err();
        assert!(nx.is_nx_domain(), "{nx:?}");

        let nodata = resolver
            .lookup("mx1.example.test.", WireType::TXT)
            .await
            .unwrap_err();
        assert!(
            nodata.is_no_records_found() && !nodata.is_nx_domain(),
            "{nodata:?}"
        );

        // The resolver caches: asking again does not reach the server.
        let before = server.queries();
        resolver
            .lookup("mx1.example.test.", WireType::A)
            .await
            .unwrap();
        assert_eq!(server.queries(), before);
    }

    #[tokio::test]
    async fn long_txt_comes_back_whole() {
        let server = ZoneServer::start(zones()).await.unwrap();
        let plain = resolver(server.addr(), false);
        let edns = resolver(server.addr(), true);

        // A 2048-bit key in two strings, joined by the consumer.
        let dkim = plain
            .lookup("sel._domainkey.example.test.", WireType::TXT)
            .await
            .unwrap();
        assert_eq!(txt_strings(&dkim), [format!("{DKIM_1}{DKIM_2}")]);
        assert_eq!((server.received(), server.queries()), (1, 1));

        // Without EDNS the big record exceeds 512 bytes: truncated over UDP, then TCP.
        let big = big_key().concat();
        let got = plain
            .lookup("big._domainkey.example.test.", WireType::TXT)
            .await
            .unwrap();
        assert_eq!(txt_strings(&got), std::slice::from_ref(&big));
        assert_eq!(
            server.received(),
            3,
            "one truncated UDP reply, one TCP retry"
        );
        assert_eq!(server.queries(), 2, "the truncated reply is not counted");

        // With EDNS (hickory advertises 1232 bytes) it fits in one datagram.
        let got = edns
            .lookup("big._domainkey.example.test.", WireType::TXT)
            .await
            .unwrap();
        assert_eq!(txt_strings(&got), [big]);
        assert_eq!((server.received(), server.queries()), (4, 3));
    }

    #[tokio::test]
    async fn timeout_name_is_never_answered() {
        let server = ZoneServer::start(zones()).await.unwrap();
        let resolver = resolver(server.addr(), true);
        let started = Instant::now();
        let err = resolver
            .lookup("slow.example.test.", WireType::TXT)
            .await
            .unwrap_err();
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
        assert!(
            elapsed >= Duration::from_millis(400),
            "took {elapsed:?}: {err:?}"
        );
        assert!(!err.is_nx_domain() && !err.is_no_records_found(), "{err:?}");
        assert_eq!(server.queries(), 0);
    }

    fn query(name: &str, rtype: WireType, edns: Option<u16>) -> Message {
        let mut m = Message::query();
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
        m.metadata.recursion_desired = true;
        if let Some(size) = edns {
            let mut e = Edns::new();
            e.set_max_payload(size);
            m.set_edns(e);
        }
        m
    }

    async fn udp_exchange(addr: SocketAddr, bytes: &[u8]) -> Option<Message> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        socket.send_to(bytes, addr).await.unwrap();
        let mut buf = vec![0u8; 65_535];
        let got = tokio::time::timeout(Duration::from_millis(300), socket.recv(&mut buf)).await;
        let len = got.ok()?.unwrap();
        Some(Message::from_vec(&buf[..len]).unwrap())
    }

    #[tokio::test]
    async fn raw_udp_truncation_edns_and_errors() {
        let server = ZoneServer::start(zones()).await.unwrap();
        let addr = server.addr();

        let q = query("BIG._domainkey.example.test.", WireType::TXT, None);
        let reply = udp_exchange(addr, &q.to_vec().unwrap()).await.unwrap();
        assert_eq!(reply.metadata.id, q.metadata.id);
        assert!(reply.metadata.truncation);
        assert!(reply.answers.is_empty());
        assert!(reply.edns.is_none());

        let q = query("BIG._domainkey.example.test.", WireType::TXT, Some(1232));
        let reply = udp_exchange(addr, &q.to_vec().unwrap()).await.unwrap();
        assert!(!reply.metadata.truncation);
        assert!(reply.metadata.authoritative);
        assert!(reply.metadata.recursion_desired);
        assert_eq!(reply.edns.as_ref().unwrap().max_payload(), OUR_MAX_PAYLOAD);
        assert_eq!(reply.answers.len(), 1);
        // The owner echoes the query's spelling.
        assert_eq!(
            reply.answers[0].name.to_ascii(),
            "BIG._domainkey.example.test."
        );
        let RData::TXT(txt) = &reply.answers[0].data else {
            panic!()
        };
        assert_eq!(txt.txt_data.len(), 3);
        // A client advertising less than 512 still gets 512 (RFC 6891 §6.2.5).
        let q = query("sel._domainkey.example.test.", WireType::TXT, Some(100));
        let reply = udp_exchange(addr, &q.to_vec().unwrap()).await.unwrap();
        assert!(!reply.metadata.truncation);

        // CNAME chain first, then the records; NXDOMAIN carries the SOA.
        let q = query("www.example.test.", WireType::A, None);
        let reply = udp_exchange(addr, &q.to_vec().unwrap()).await.unwrap();
        assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
        assert_eq!(reply.answers.len(), 1);
        assert!(matches!(reply.answers[0].data, RData::CNAME(_)));
        assert_eq!(
            reply.authorities.len(),
            1,
            "NODATA at the target carries the SOA"
        );
        assert_eq!(reply.authorities[0].ttl, 60, "min(SOA TTL, MINIMUM)");

        let q = query("nope.example.test.", WireType::A, None);
        let reply = udp_exchange(addr, &q.to_vec().unwrap()).await.unwrap();
        assert_eq!(reply.metadata.response_code, ResponseCode::NXDomain);
        assert!(matches!(reply.authorities[0].data, RData::SOA(_)));

        // A type the zone module does not model is NODATA at an existing name.
        let q = query("example.test.", WireType::SRV, None);
        let reply = udp_exchange(addr, &q.to_vec().unwrap()).await.unwrap();
        assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
        assert!(reply.answers.is_empty());

        // Garbage after a valid header: FORMERR with the same id, no panic.
        let garbage = [
            0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
        ];
        let reply = udp_exchange(addr, &garbage).await.unwrap();
        assert_eq!(reply.metadata.id, 0x1234);
        assert_eq!(reply.metadata.response_code, ResponseCode::FormErr);
        // Too short to have a header: silence, and the server keeps serving.
        assert!(udp_exchange(addr, &[1, 2, 3]).await.is_none());
        // The time-out name: silence.
        let q = query("slow.example.test.", WireType::A, None);
        assert!(udp_exchange(addr, &q.to_vec().unwrap()).await.is_none());
        let q = query("example.test.", WireType::SOA, None);
        let reply = udp_exchange(addr, &q.to_vec().unwrap()).await.unwrap();
        assert_eq!(reply.answers.len(), 1);
    }

    #[tokio::test]
    async fn tcp_serves_several_queries_per_connection() {
        let server = ZoneServer::start(zones()).await.unwrap();
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        for (name, rtype, want) in [
            ("big._domainkey.example.test.", WireType::TXT, 1),
            ("example.test.", WireType::MX, 2),
            ("www.example.test.", WireType::A, 1),
        ] {
            let bytes = query(name, rtype, None).to_vec().unwrap();
            let len = u16::try_from(bytes.len()).unwrap().to_be_bytes();
            stream.write_all(&len).await.unwrap();
            stream.write_all(&bytes).await.unwrap();
            let mut len = [0u8; 2];
            stream.read_exact(&mut len).await.unwrap();
            let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
            stream.read_exact(&mut reply).await.unwrap();
            let reply = Message::from_vec(&reply).unwrap();
            assert!(!reply.metadata.truncation, "TCP is never truncated");
            assert_eq!(reply.answers.len(), want, "{name}");
        }
        assert_eq!(server.queries(), 3);
    }

    /// Corrupted queries (every prefix, and bit flips at every position) never panic and
    /// never get anything but a well-formed reply or silence.
    #[test]
    fn corrupted_queries_do_not_panic() {
        let zones = zones();
        let stats = Stats::default();
        let valid = query("sel._domainkey.example.test.", WireType::TXT, Some(1232))
            .to_vec()
            .unwrap();
        let mut inputs: Vec<Vec<u8>> = (0..valid.len()).map(|n| valid[..n].to_vec()).collect();
        for i in 0..valid.len() {
            for bit in 0..8 {
                let mut v = valid.clone();
                v[i] ^= 1 << bit;
                inputs.push(v);
            }
        }
        for input in &inputs {
            for transport in [Transport::Udp, Transport::Tcp] {
                if let Some(reply) = respond(input, &zones, transport, &stats) {
                    let reply = Message::from_vec(&reply).expect("replies decode");
                    assert_eq!(reply.metadata.message_type, MessageType::Response);
                }
            }
        }
    }

    #[tokio::test]
    async fn drop_stops_the_server() {
        let server = ZoneServer::start(zones()).await.unwrap();
        let addr = server.addr();
        let stream = TcpStream::connect(addr).await.unwrap();
        drop(server);
        // Let the aborted tasks unwind and release their sockets.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let q = query("example.test.", WireType::A, None);
        assert!(udp_exchange(addr, &q.to_vec().unwrap()).await.is_none());
        assert!(TcpStream::connect(addr).await.is_err());
        // The open connection was closed by the aborted handler.
        let mut stream = stream;
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0) | Err(_))), "{read:?}");
    }
}
