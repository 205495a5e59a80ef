//! The DMARC aggregate report vocabulary (RFC 7489 appendix C and the
//! DMARCbis schema, `urn:ietf:params:xml:ns:dmarc-2.0`), as read from reports.
//!
//! Values are normalised to the schema's lower-case words; a value outside
//! the schema is kept as `Unknown` and noted as a [`Warning`], never guessed.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value the schema does not define (kept out of the
            /// statistics, noted as a warning).
            Unknown,
        }

        impl $name {
            /// The schema's word for this value (`unknown` for [`Self::Unknown`]).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                    Self::Unknown => "unknown",
                }
            }

            /// Reads a schema word, ignoring ASCII case and surrounding
            /// blanks; `None` when it is not one.
            pub fn parse(text: &str) -> Option<Self> {
                let t = text.trim();
                $(if t.eq_ignore_ascii_case($word) { return Some(Self::$variant); })+
                None
            }

            /// Reads a stored word back; unrecognised words are `Unknown`.
            pub fn from_stored(text: &str) -> Self {
                if text == "unknown" { Self::Unknown } else { Self::parse(text).unwrap_or(Self::Unknown) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
                Ok(Self::from_stored(&text))
            }
        }
    };
}

vocabulary!(
    /// Published or applied DMARC policy (`p`, `sp`, `np`).
    Policy {
        /// `none`: monitor only.
        None => "none",
        /// `quarantine`.
        Quarantine => "quarantine",
        /// `reject`.
        Reject => "reject",
    }
);

vocabulary!(
    /// What the receiver did with the messages of a record.
    Disposition {
        /// Delivered (RFC 7489 `none`).
        None => "none",
        /// DMARCbis: delivered because DMARC passed.
        Pass => "pass",
        /// Quarantined.
        Quarantine => "quarantine",
        /// Rejected.
        Reject => "reject",
    }
);

vocabulary!(
    /// The DMARC-aligned outcome of DKIM or SPF in `policy_evaluated`.
    Aligned {
        /// Passed and aligned with the header From domain.
        Pass => "pass",
        /// Did not pass aligned.
        Fail => "fail",
    }
);

vocabulary!(
    /// Identifier alignment mode (`adkim`, `aspf`).
    AlignmentMode {
        /// Relaxed: organisational domains match.
        Relaxed => "r",
        /// Strict: exact match.
        Strict => "s",
    }
);

vocabulary!(
    /// A DKIM verification result in `auth_results`.
    DkimResult {
        /// No signature.
        None => "none",
        /// Verified.
        Pass => "pass",
        /// Failed.
        Fail => "fail",
        /// Not acceptable by policy.
        Policy => "policy",
        /// Neutral.
        Neutral => "neutral",
        /// Temporary error.
        TempError => "temperror",
        /// Permanent error.
        PermError => "permerror",
    }
);

vocabulary!(
    /// An SPF result in `auth_results`.
    SpfResult {
        /// No record.
        None => "none",
        /// Neutral.
        Neutral => "neutral",
        /// Authorised.
        Pass => "pass",
        /// Not authorised.
        Fail => "fail",
        /// Weakly not authorised.
        SoftFail => "softfail",
        /// Temporary error (also written `error` by old reporters).
        TempError => "temperror",
        /// Permanent error (also written `unknown` by old reporters).
        PermError => "permerror",
    }
);

vocabulary!(
    /// Which identity SPF checked.
    SpfScope {
        /// The HELO/EHLO name.
        Helo => "helo",
        /// The MAIL FROM domain.
        MailFrom => "mfrom",
    }
);

vocabulary!(
    /// Why the receiver overrode the published policy.
    OverrideReason {
        /// Forwarded.
        Forwarded => "forwarded",
        /// Sampled out by `pct`.
        SampledOut => "sampled_out",
        /// Trusted forwarder.
        TrustedForwarder => "trusted_forwarder",
        /// Mailing list.
        MailingList => "mailing_list",
        /// Local policy.
        LocalPolicy => "local_policy",
        /// Other.
        Other => "other",
        /// DMARCbis: policy in test mode (`t=y`).
        PolicyTestMode => "policy_test_mode",
    }
);

vocabulary!(
    /// DMARCbis: how the receiver found the policy.
    DiscoveryMethod {
        /// Public Suffix List.
        Psl => "psl",
        /// DNS tree walk.
        Treewalk => "treewalk",
    }
);

/// `report_metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMetadata {
    /// The reporting organisation (`org_name`).
    pub org_name: String,
    /// Its contact address.
    pub email: String,
    /// More contact information.
    pub extra_contact_info: Option<String>,
    /// The reporter's identifier for this report.
    pub report_id: String,
    /// Start of the period, Unix seconds.
    pub begin: i64,
    /// End of the period, Unix seconds.
    pub end: i64,
    /// Errors the reporter listed (`error`).
    pub errors: Vec<String>,
    /// DMARCbis: the software that wrote the report.
    pub generator: Option<String>,
}

/// `policy_published`: the policy the reporter found for the domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyPublished {
    /// The domain the policy was found at.
    pub domain: String,
    /// DKIM alignment mode, when given.
    pub adkim: Option<AlignmentMode>,
    /// SPF alignment mode, when given.
    pub aspf: Option<AlignmentMode>,
    /// Requested policy.
    pub p: Option<Policy>,
    /// Subdomain policy.
    pub sp: Option<Policy>,
    /// DMARCbis: policy for non-existent subdomains.
    pub np: Option<Policy>,
    /// RFC 7489: percentage of messages the policy applied to.
    pub pct: Option<u8>,
    /// Failure reporting options (`fo`).
    pub fo: Option<String>,
    /// DMARCbis: the policy was in test mode (`t=y`).
    pub testing: Option<bool>,
    /// DMARCbis: how the policy was found.
    pub discovery_method: Option<DiscoveryMethod>,
}

/// Everything a report says before its first record: who reports, for
/// which domain and period, under which published policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportHeader {
    /// `version` (DMARCbis), as written.
    pub version: Option<String>,
    /// Whether the document used the DMARCbis namespace.
    pub dmarcbis: bool,
    /// `report_metadata`.
    pub metadata: ReportMetadata,
    /// `policy_published`.
    pub policy: PolicyPublished,
}

impl ReportHeader {
    /// Who sent the report, for deduplication: the organisation name in
    /// lower case, or the contact address's domain when the name is empty.
    pub fn reporter(&self) -> String {
        let org = self.metadata.org_name.trim();
        if !org.is_empty() {
            return org.to_ascii_lowercase();
        }
        let email = self.metadata.email.trim();
        email
            .rsplit_once('@')
            .map_or(email, |(_, d)| d)
            .trim_end_matches('>')
            .to_ascii_lowercase()
    }
}

/// A `reason` in `policy_evaluated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// `type`.
    pub kind: OverrideReason,
    /// `comment`.
    pub comment: Option<String>,
}

/// One DKIM signature result in `auth_results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimAuth {
    /// `d=` of the signature.
    pub domain: String,
    /// `s=`, when reported.
    pub selector: Option<String>,
    /// The result.
    pub result: DkimResult,
    /// `human_result`.
    pub human_result: Option<String>,
}

/// One SPF result in `auth_results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfAuth {
    /// The domain checked.
    pub domain: String,
    /// Which identity, when reported.
    pub scope: Option<SpfScope>,
    /// The result.
    pub result: SpfResult,
    /// `human_result`.
    pub human_result: Option<String>,
}

/// One `record`: messages from one source with one set of outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The sending IP address.
    pub source_ip: IpAddr,
    /// How many messages.
    pub count: u64,
    /// What the receiver did.
    pub disposition: Disposition,
    /// DMARC-aligned DKIM outcome.
    pub dkim: Aligned,
    /// DMARC-aligned SPF outcome.
    pub spf: Aligned,
    /// Why the policy was overridden, if it was.
    pub reasons: Vec<Reason>,
    /// The RFC 5322 From domain.
    pub header_from: String,
    /// The RFC 5321 MAIL FROM domain, when reported.
    pub envelope_from: Option<String>,
    /// The recipient domain, when reported.
    pub envelope_to: Option<String>,
    /// DKIM results.
    pub dkim_auth: Vec<DkimAuth>,
    /// SPF results.
    pub spf_auth: Vec<SpfAuth>,
}

impl Record {
    /// DMARC passed: DKIM or SPF passed aligned.
    pub fn dmarc_pass(&self) -> bool {
        self.dkim == Aligned::Pass || self.spf == Aligned::Pass
    }
}

/// Something the parser recovered from. Kept with the report, so a reader
/// of the stored data knows what was repaired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Line of the report (1-based) where it was noticed.
    pub line: u64,
    /// What was wrong and what was done about it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Message totals of a report or of any set of records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// Records.
    pub records: u64,
    /// Messages (sum of `count`).
    pub messages: u64,
    /// Messages that passed DMARC (DKIM or SPF aligned).
    pub dmarc_pass: u64,
    /// Messages whose DKIM passed aligned.
    pub dkim_aligned: u64,
    /// Messages whose SPF passed aligned.
    pub spf_aligned: u64,
    /// Messages quarantined.
    pub quarantined: u64,
    /// Messages rejected.
    pub rejected: u64,
}

impl Volume {
    /// Adds one record.
    pub fn add(&mut self, r: &Record) {
        self.records += 1;
        self.messages = self.messages.saturating_add(r.count);
        if r.dmarc_pass() {
            self.dmarc_pass = self.dmarc_pass.saturating_add(r.count);
        }
        if r.dkim == Aligned::Pass {
            self.dkim_aligned = self.dkim_aligned.saturating_add(r.count);
        }
        if r.spf == Aligned::Pass {
            self.spf_aligned = self.spf_aligned.saturating_add(r.count);
        }
        match r.disposition {
            Disposition::Quarantine => self.quarantined = self.quarantined.saturating_add(r.count),
            Disposition::Reject => self.rejected = self.rejected.saturating_add(r.count),
            _ => {}
        }
    }

    /// Adds another volume.
    pub fn merge(&mut self, o: &Volume) {
        self.records += o.records;
        self.messages = self.messages.saturating_add(o.messages);
        self.dmarc_pass = self.dmarc_pass.saturating_add(o.dmarc_pass);
        self.dkim_aligned = self.dkim_aligned.saturating_add(o.dkim_aligned);
        self.spf_aligned = self.spf_aligned.saturating_add(o.spf_aligned);
        self.quarantined = self.quarantined.saturating_add(o.quarantined);
        self.rejected = self.rejected.saturating_add(o.rejected);
    }

    /// Share of messages that passed DMARC, 0.0 to 1.0 (`None` without messages).
    pub fn aligned_share(&self) -> Option<f64> {
        (self.messages > 0).then(|| self.dmarc_pass as f64 / self.messages as f64)
    }

    /// Messages that did not pass DMARC.
    pub fn unaligned(&self) -> u64 {
        self.messages - self.dmarc_pass.min(self.messages)
    }
}
