//! The authentication outcome of one message: SPF, DKIM, ARC and DMARC
//! results plus the defects found while reading it.

use crate::bounds::BoundHit;
use serde::Serialize;
use std::fmt;

/// A result word as the authentication RFCs and RFC 8601 spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthResult {
    /// The check succeeded.
    Pass,
    /// The check failed: the sender is not authorised / the signature is wrong.
    Fail,
    /// SPF: weak failure (`~all`).
    SoftFail,
    /// SPF or DKIM: no assertion either way.
    Neutral,
    /// Nothing to check (no record, no signature).
    None,
    /// A transient failure, typically DNS; the check may succeed later.
    TempError,
    /// A permanent error in the published records or the signature.
    PermError,
    /// The check passed but local policy refused it (RFC 8601 `policy`).
    Policy,
}

impl AuthResult {
    /// The lowercase RFC word.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthResult::Pass => "pass",
            AuthResult::Fail => "fail",
            AuthResult::SoftFail => "softfail",
            AuthResult::Neutral => "neutral",
            AuthResult::None => "none",
            AuthResult::TempError => "temperror",
            AuthResult::PermError => "permerror",
            AuthResult::Policy => "policy",
        }
    }
}

impl fmt::Display for AuthResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SPF (RFC 7208) for one identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfCheck {
    /// The result.
    pub result: AuthResult,
    /// The domain checked: the MAIL FROM domain, or the HELO name for the null sender.
    pub domain: String,
    /// Which identity was checked: `mailfrom` or `helo`.
    pub identity: &'static str,
    /// The explanation published by the domain (`exp=`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// One DKIM signature (RFC 6376) and its verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DkimCheck {
    /// Signing domain (`d=`).
    pub domain: String,
    /// Selector (`s=`).
    pub selector: String,
    /// Algorithm (`a=`), e.g. `rsa-sha256`, `ed25519-sha256`.
    pub algorithm: String,
    /// The result for this signature.
    pub result: AuthResult,
    /// Why it did not pass, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The body length count (`l=`, RFC 6376 3.5): only that many octets of
    /// the canonicalized body are signed. `None` when the whole body is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_length: Option<u64>,
    /// Bytes of the body after the signed length (`l=`), counted in the
    /// message as received: content anyone could have appended without
    /// breaking the signature. 0 without `l=`, and when what follows the
    /// signed length is only whitespace or empty lines.
    #[serde(skip_serializing_if = "is_zero")]
    pub unsigned_body_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// ARC chain validation (RFC 8617).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArcCheck {
    /// `pass`, `fail` or `none` (no ARC sets).
    pub result: AuthResult,
    /// Number of ARC sets in the chain.
    pub instances: u32,
    /// The sealing domains, oldest first.
    pub sealers: Vec<String>,
    /// What the first (oldest) ARC hop recorded on receipt: its
    /// ARC-Authentication-Results value. Only meaningful when `result` is
    /// `pass` and the sealer is trusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_results: Option<String>,
    /// Why it failed, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// DMARC (RFC 7489) for one author domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcCheck {
    /// `pass`, `fail`, `none` (no policy), `temperror` or `permerror`.
    pub result: AuthResult,
    /// The policy the domain owner requests for failing mail: `none`,
    /// `quarantine`, `reject`; `-` when no policy applies.
    pub policy: String,
    /// The RFC 5322 From domain evaluated.
    pub from_domain: String,
    /// True when an SPF pass is aligned with the From domain.
    pub spf_aligned: bool,
    /// True when a DKIM pass is aligned with the From domain.
    pub dkim_aligned: bool,
    /// Why it did not pass, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Something wrong with the message itself, found while reading it.
///
/// Defects are results, not errors: policy decides what happens (typically
/// quarantine), and nothing is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageDefect {
    /// The bytes do not form a message with a header section.
    Unparsable {
        /// What was wrong.
        reason: String,
    },
    /// No From header: there is no author to authenticate.
    NoFrom,
    /// Several From headers (RFC 5322 allows exactly one).
    MultipleFromHeaders {
        /// How many.
        count: usize,
    },
    /// A From header whose value holds no usable address.
    UnparsableFrom {
        /// The raw value, truncated.
        value: String,
    },
    /// A header field longer than any sane mail system produces.
    OversizedHeader {
        /// Field name.
        name: String,
        /// Its length in bytes.
        length: usize,
    },
    /// The header section as a whole is larger than accepted.
    OversizedHeaderSection {
        /// Its length in bytes.
        length: usize,
    },
    /// The MIME structure could not be read.
    BrokenMime {
        /// What was wrong.
        reason: String,
    },
    /// An Authentication-Results header carrying our own authserv-id arrived
    /// from outside: someone tried to forge our verdict (RFC 8601 section 5).
    ForgedAuthenticationResults {
        /// The header value, truncated.
        value: String,
    },
    /// The envelope given for the message is malformed (bad IP, bad MAIL FROM).
    BadEnvelope {
        /// What was wrong.
        reason: String,
    },
    /// The message asks for more work than a bound allows
    /// ([`crate::bounds`]): it was not fully authenticated.
    WorkBound(BoundHit),
}

impl fmt::Display for MessageDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageDefect::Unparsable { reason } => write!(f, "unparsable message: {reason}"),
            MessageDefect::NoFrom => f.write_str("no From header"),
            MessageDefect::MultipleFromHeaders { count } => {
                write!(f, "{count} From headers (exactly one allowed)")
            }
            MessageDefect::UnparsableFrom { value } => {
                write!(f, "From header without a usable address: {value:?}")
            }
            MessageDefect::OversizedHeader { name, length } => {
                write!(f, "header {name} is {length} bytes long")
            }
            MessageDefect::OversizedHeaderSection { length } => {
                write!(f, "header section is {length} bytes long")
            }
            MessageDefect::BrokenMime { reason } => write!(f, "broken MIME: {reason}"),
            MessageDefect::ForgedAuthenticationResults { value } => write!(
                f,
                "forged Authentication-Results claiming our authserv-id: {value:?}"
            ),
            MessageDefect::BadEnvelope { reason } => write!(f, "bad envelope: {reason}"),
            MessageDefect::WorkBound(hit) => hit.fmt(f),
        }
    }
}

/// Everything authentication found out about one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthReport {
    /// SPF for MAIL FROM (or HELO when MAIL FROM is null).
    pub spf: SpfCheck,
    /// SPF for the HELO identity (RFC 7208 section 2.3), when a HELO name was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spf_helo: Option<SpfCheck>,
    /// Every DKIM signature, oldest first (the reverse of header order, as
    /// each signer prepends its own).
    pub dkim: Vec<DkimCheck>,
    /// ARC chain validation.
    pub arc: ArcCheck,
    /// DMARC for the (first) author domain.
    pub dmarc: DmarcCheck,
    /// DMARC for every further author domain of a multi-author From.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dmarc_other_authors: Vec<DmarcCheck>,
    /// The RFC 8601 header value we would add (without the field name).
    pub authentication_results: String,
    /// What was wrong with the message itself.
    pub errors: Vec<MessageDefect>,
}

impl AuthReport {
    /// DMARC results for every author domain, first author first.
    pub fn dmarc_all(&self) -> impl Iterator<Item = &DmarcCheck> {
        std::iter::once(&self.dmarc).chain(self.dmarc_other_authors.iter())
    }
}
