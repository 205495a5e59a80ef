//! DNS for Countersign.
//!
//! Three parts, one concept each:
//! - [`zone`]: RFC 1035 master files parsed into a [`zone::ZoneSet`] that answers lookups;
//! - [`server`]: a loopback DNS server that serves a `ZoneSet`, so offline runs
//!   exercise the same resolver as production;
//! - [`resolver`]: the caching resolver that mail-auth's checks go through;
//! - [`lookup`]: general TXT, MX, A, AAAA and PTR questions through it.

pub mod lookup;
pub mod resolver;
pub mod server;
pub mod zone;
