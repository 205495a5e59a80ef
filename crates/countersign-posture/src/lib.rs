//! Posture of the organisation's own domains (product feature 17).
//!
//! No IO: everything here works on bytes and readers handed in, and on DNS
//! answers already fetched.
//!
//! - [`extract`]: finds the reports in an input (XML, gzip, zip, JSON, or
//!   an e-mail message carrying one);
//! - [`aggregate`]: streaming reader of DMARC aggregate reports (RFC 7489
//!   appendix C and DMARCbis), bounded memory whatever the report's size;
//! - [`failure`] and [`tls`]: failure reports (RFC 6591 ARF) and SMTP TLS
//!   reports (RFC 8460), read with mail-auth;
//! - [`sources`] and [`services`]: who sends as our domains, aggregated
//!   per source and named after known services;
//! - [`alerts`]: new unaligned sources and drops in the aligned share;
//! - [`checks`]: SPF, DMARC, DKIM and MX checks over fetched DNS answers;
//! - [`chart`]: aligned versus unaligned volume over time, as SVG;
//! - [`model`]: the report vocabulary.

pub mod aggregate;
pub mod alerts;
pub mod chart;
pub mod checks;
pub mod extract;
pub mod failure;
mod input;
pub mod model;
pub mod services;
pub mod sources;
pub mod tls;

pub use aggregate::{AggregateError, AggregateReader, Limits, ReportSummary};
pub use extract::{ExtractError, ExtractLimits, Found, extract};
pub use failure::{FailureReport, parse_failure};
pub use model::*;
pub use services::ServiceCatalog;
pub use sources::{SourceAggregator, SourceReport, SourceStats};
pub use tls::{TlsReportSummary, parse_tls_json};
