//! The caching resolver behind every authentication check.
//!
//! mail-auth performs its lookups through a hickory [`TokioResolver`] and asks
//! caller-supplied caches first. [`DnsResolver`] owns both: hickory does the
//! wire work (UDP with TCP fallback, time-outs, its own positive and negative
//! cache keyed by TTL and SOA minimum), and [`TtlCache`] keeps mail-auth's
//! parsed records (SPF, DKIM keys, DMARC policies, addresses) until their TTL
//! runs out, so a busy gateway parses each record once per TTL.
//!
//! Failing closed: a lookup that times out or gets SERVFAIL surfaces from
//! mail-auth as `temperror`, never as `pass` or `none`. Nothing here
//! turns a transport failure into an answer.
//!
//! Offline runs (tests, demos, air-gapped evaluation) load RFC 1035 zone files
//! into a [`ZoneServer`] on loopback and point the same resolver at it, so the
//! code that runs in production is the code that is tested.

use crate::server::ZoneServer;
use crate::zone::ZoneSet;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use mail_auth::{
    DnsError, Error as AuthError, MX, MessageAuthenticator, Parameters, RecordSet, ResolverCache,
    Txt,
};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Errors building a resolver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolverError {
    /// The system resolver configuration (`/etc/resolv.conf`) could not be read.
    #[error("cannot read the system DNS configuration: {reason}")]
    SystemConfig {
        /// What hickory reported.
        reason: String,
    },
    /// hickory refused the configuration.
    #[error("cannot build the DNS resolver: {reason}")]
    Build {
        /// What hickory reported.
        reason: String,
    },
    /// The loopback zone server could not bind its sockets.
    #[error("cannot start the loopback zone server: {source}")]
    ZoneServer {
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
}

/// How the resolver reaches DNS and how long it waits.
#[derive(Debug, Clone)]
pub struct ResolverSettings {
    /// Name servers to ask; empty means the system configuration.
    pub servers: Vec<SocketAddr>,
    /// Time to wait for one answer before retrying or giving up.
    pub timeout: Duration,
    /// Attempts per query before the lookup is a temporary error.
    pub attempts: usize,
    /// Upper bound on records kept in each of mail-auth's caches.
    pub cache_capacity: usize,
}

impl Default for ResolverSettings {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            timeout: Duration::from_secs(3),
            attempts: 2,
            cache_capacity: 100_000,
        }
    }
}

/// mail-auth's parameter bundle with our caches plugged in.
pub type CachedParameters<'x, P> = Parameters<
    'x,
    P,
    TtlCache<Box<str>, Txt>,
    TtlCache<Box<str>, RecordSet<MX>>,
    TtlCache<Box<str>, RecordSet<Ipv4Addr>>,
    TtlCache<Box<str>, RecordSet<Ipv6Addr>>,
    TtlCache<IpAddr, RecordSet<Box<str>>>,
>;

/// [`CachedParameters`] whose TXT lookups draw from a [`LookupBudget`].
pub type BudgetedParameters<'x, P> = Parameters<
    'x,
    P,
    BudgetedTxt<'x>,
    TtlCache<Box<str>, RecordSet<MX>>,
    TtlCache<Box<str>, RecordSet<Ipv4Addr>>,
    TtlCache<Box<str>, RecordSet<Ipv6Addr>>,
    TtlCache<IpAddr, RecordSet<Box<str>>>,
>;

/// How many DNS TXT lookups one message may still cause (SPF records, DKIM
/// and ARC keys, DMARC policies): see [`DnsResolver::budgeted_parameters`].
pub struct LookupBudget<'r> {
    txt: BudgetedTxt<'r>,
}

impl LookupBudget<'_> {
    /// The allowance it started with.
    pub fn limit(&self) -> usize {
        self.txt.limit
    }

    /// Lookups asked for after the allowance was spent.
    pub fn refused(&self) -> usize {
        self.txt.refused.load(Ordering::Relaxed)
    }
}

/// The shared TXT cache seen through one message's [`LookupBudget`].
pub struct BudgetedTxt<'r> {
    inner: &'r TtlCache<Box<str>, Txt>,
    remaining: AtomicUsize,
    refused: AtomicUsize,
    limit: usize,
}

impl ResolverCache<Box<str>, Txt> for BudgetedTxt<'_> {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(hit) = self.inner.get(name) {
            return Some(hit);
        }
        // A miss is a lookup about to be made: draw it from the allowance.
        let granted = self
            .remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if granted {
            None
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            Some(Txt::Error(AuthError::Dns(DnsError::Resolver(format!(
                "not looked up: the message already caused {} DNS lookups, its bound",
                self.limit
            )))))
        }
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.remove(name)
    }

    fn insert(&self, key: Box<str>, value: Txt, valid_until: Instant) {
        self.inner.insert(key, value, valid_until);
    }
}

/// A caching DNS resolver in the shape mail-auth consumes.
pub struct DnsResolver {
    authenticator: MessageAuthenticator,
    txt: TtlCache<Box<str>, Txt>,
    mx: TtlCache<Box<str>, RecordSet<MX>>,
    ipv4: TtlCache<Box<str>, RecordSet<Ipv4Addr>>,
    ipv6: TtlCache<Box<str>, RecordSet<Ipv6Addr>>,
    ptr: TtlCache<IpAddr, RecordSet<Box<str>>>,
    /// Keeps the loopback server of an offline resolver alive as long as the resolver.
    zone_server: Option<ZoneServer>,
}

impl DnsResolver {
    /// A resolver over live DNS: the given servers, or the system's when none are given.
    ///
    /// Must be called inside a tokio runtime.
    pub fn new(settings: &ResolverSettings) -> Result<Self, ResolverError> {
        let config = if settings.servers.is_empty() {
            let (config, _) = hickory_resolver::system_conf::read_system_conf().map_err(|e| {
                ResolverError::SystemConfig {
                    reason: e.to_string(),
                }
            })?;
            config
        } else {
            ResolverConfig::from_name_servers(settings.servers.iter().map(name_server).collect())
        };
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(options(settings))
            .build()
            .map_err(|e| ResolverError::Build {
                reason: e.to_string(),
            })?;
        let capacity = settings.cache_capacity;
        Ok(Self {
            authenticator: MessageAuthenticator(resolver),
            txt: TtlCache::new(capacity),
            mx: TtlCache::new(capacity),
            ipv4: TtlCache::new(capacity),
            ipv6: TtlCache::new(capacity),
            ptr: TtlCache::new(capacity),
            zone_server: None,
        })
    }

    /// An offline resolver: serves `zones` from a loopback server and resolves through it.
    ///
    /// Names outside the zones are NXDOMAIN, exactly as an authoritative
    /// server for them would say. Must be called inside a tokio runtime.
    pub async fn from_zones(
        zones: ZoneSet,
        settings: &ResolverSettings,
    ) -> Result<Self, ResolverError> {
        let server = ZoneServer::start(Arc::new(zones))
            .await
            .map_err(|source| ResolverError::ZoneServer { source })?;
        let settings = ResolverSettings {
            servers: vec![server.addr()],
            ..settings.clone()
        };
        let mut resolver = Self::new(&settings)?;
        resolver.zone_server = Some(server);
        Ok(resolver)
    }

    /// The mail-auth entry point that performs checks through this resolver.
    pub fn authenticator(&self) -> &MessageAuthenticator {
        &self.authenticator
    }

    /// Wraps check parameters with this resolver's caches.
    pub fn parameters<P>(&self, params: P) -> CachedParameters<'_, P> {
        Parameters::new(params)
            .with_txt_cache(&self.txt)
            .with_mx_cache(&self.mx)
            .with_ipv4_cache(&self.ipv4)
            .with_ipv6_cache(&self.ipv6)
            .with_ptr_cache(&self.ptr)
    }

    /// As [`DnsResolver::parameters`], with TXT lookups drawn from `budget`:
    /// one message's allowance. Answers already cached cost nothing; once
    /// the budget is spent, every further lookup answers as a DNS failure
    /// (`temperror` to the protocols), never as an empty answer that could
    /// turn into a pass.
    pub fn budgeted_parameters<'x, P>(
        &'x self,
        params: P,
        budget: &'x LookupBudget<'x>,
    ) -> BudgetedParameters<'x, P> {
        Parameters::new(params)
            .with_txt_cache(&budget.txt)
            .with_mx_cache(&self.mx)
            .with_ipv4_cache(&self.ipv4)
            .with_ipv6_cache(&self.ipv6)
            .with_ptr_cache(&self.ptr)
    }

    /// A fresh allowance of `limit` TXT lookups over this resolver's cache.
    pub fn budget(&self, limit: usize) -> LookupBudget<'_> {
        LookupBudget {
            txt: BudgetedTxt {
                inner: &self.txt,
                remaining: AtomicUsize::new(limit),
                refused: AtomicUsize::new(0),
                limit,
            },
        }
    }

    /// Queries answered by the loopback zone server so far (offline resolvers only).
    pub fn zone_server_queries(&self) -> Option<u64> {
        self.zone_server.as_ref().map(ZoneServer::queries)
    }
}

fn name_server(addr: &SocketAddr) -> NameServerConfig {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
}

fn options(settings: &ResolverSettings) -> ResolverOpts {
    let mut opts = ResolverOpts::default();
    opts.timeout = settings.timeout;
    opts.attempts = settings.attempts.max(1);
    opts.edns0 = true;
    // Only fully qualified names are asked; never append search domains.
    opts.ndots = 0;
    // /etc/hosts has no say in mail authentication.
    opts.use_hosts_file = ResolveHosts::Never;
    opts.cache_size = settings.cache_capacity as u64;
    // Bound how long a negative answer is trusted, so a record published
    // after a miss is seen within minutes.
    opts.negative_max_ttl = Some(Duration::from_secs(300));
    opts.positive_max_ttl = Some(Duration::from_secs(86_400));
    opts
}

const SHARDS: usize = 16;

/// One lock's worth of entries: value and the instant it stops being valid.
type Shard<K, V> = Mutex<HashMap<K, (V, Instant)>>;

/// A bounded, TTL-respecting cache shared by all tasks, in the form mail-auth asks for.
///
/// Entries expire at the `valid_until` mail-auth passes (the record's TTL).
/// When a shard is full, expired entries go first, then arbitrary ones: a
/// cache miss only costs a lookup, never a wrong answer.
pub struct TtlCache<K, V> {
    shards: Box<[Shard<K, V>]>,
    hasher: RandomState,
    shard_capacity: usize,
}

impl<K: Hash + Eq, V: Clone> TtlCache<K, V> {
    /// A cache holding at most about `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            shard_capacity: capacity.div_ceil(SHARDS).max(1),
        }
    }

    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> &Shard<K, V> {
        // Borrow guarantees Hash of K and of its borrowed form agree.
        &self.shards[self.hasher.hash_one(key) as usize % SHARDS]
    }

    /// Number of live and expired entries held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a HashMap half-updated in a
    // way that matters to a cache: keep serving.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for TtlCache<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut shard = lock(self.shard(name));
        match shard.get(name) {
            Some((value, valid_until)) if *valid_until > Instant::now() => Some(value.clone()),
            Some(_) => {
                shard.remove(name);
                None
            }
            None => None,
        }
    }

    fn remove<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        lock(self.shard(name)).remove(name).map(|(value, _)| value)
    }

    fn insert(&self, key: K, value: V, valid_until: Instant) {
        let mut shard = lock(self.shard(&key));
        if shard.len() >= self.shard_capacity {
            let now = Instant::now();
            shard.retain(|_, (_, until)| *until > now);
            if shard.len() >= self.shard_capacity {
                shard.clear();
            }
        }
        shard.insert(key, (value, valid_until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_entries_are_not_served() {
        let cache: TtlCache<Box<str>, u32> = TtlCache::new(10);
        let past = Instant::now() - Duration::from_secs(1);
        let future = Instant::now() + Duration::from_secs(60);
        cache.insert("old.example.".into(), 1, past);
        cache.insert("new.example.".into(), 2, future);
        assert_eq!(cache.get("old.example."), None);
        assert_eq!(cache.get("new.example."), Some(2));
        assert_eq!(cache.len(), 1, "the expired entry is evicted on read");
    }

    #[test]
    fn capacity_is_bounded() {
        let cache: TtlCache<Box<str>, u32> = TtlCache::new(32);
        let future = Instant::now() + Duration::from_secs(60);
        for i in 0..1000 {
            cache.insert(format!("n{i}.example.").into(), i, future);
        }
        assert!(cache.len() <= 32 + SHARDS, "len {}", cache.len());
    }
}
