//! What happens to a message, and why: the verdict, the controls a held
//! request needs, and the findings that led there.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What happens to a message, from mildest to strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Deliver to the queue.
    Deliver,
    /// Deliver with a visible warning for the analyst.
    Flag,
    /// Deliver, but nobody may act on it until the required controls pass;
    /// a verification case is opened.
    Hold,
    /// Keep out of the queue for a security administrator's review.
    Quarantine,
    /// Refuse at the gateway.
    Reject,
}

impl Action {
    /// Every action, mildest first.
    pub const ALL: [Action; 5] = [
        Action::Deliver,
        Action::Flag,
        Action::Hold,
        Action::Quarantine,
        Action::Reject,
    ];

    /// The lowercase word.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deliver => "deliver",
            Action::Flag => "flag",
            Action::Hold => "hold",
            Action::Quarantine => "quarantine",
            Action::Reject => "reject",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A proof of identity a held request needs before anyone acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// Call the requester back on the number in the directory, never one
    /// taken from the request.
    Callback,
    /// A one-time code sent over a separate channel from the directory.
    OneTimeCode,
    /// A request token signed with the vendor's enrolled key.
    VendorSignature,
    /// Two distinct people approve: technical staff and the vendor's
    /// relationship manager.
    DualApproval,
}

impl Control {
    /// The snake_case word used in policy files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Control::Callback => "callback",
            Control::OneTimeCode => "one_time_code",
            Control::VendorSignature => "vendor_signature",
            Control::DualApproval => "dual_approval",
        }
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observation about a message, named by the signal policy rules test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The signal, e.g. `impersonation.lookalike_domain`, `request.remote_access`.
    pub signal: String,
    /// What was seen, in words an analyst understands.
    pub summary: String,
    /// The evidence, e.g. `skeleton(rnicrosoft.example) = microsoft.example`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub evidence: String,
    /// For an impersonation (and a spoof of a protected domain), the
    /// identity imitated, named with its kind:
    /// `Contoso (vendor)`, `Microsoft (brand)`, `Ann Lee (IT staff)`,
    /// `Acme (organisation)`. The overview counts messages per target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The decision on one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// What happens to the message.
    pub verdict: Action,
    /// Why, one sentence per policy rule that fired, strongest first.
    pub reasons: Vec<String>,
    /// What must pass before anyone acts on a held request.
    pub required_controls: Vec<Control>,
    /// Names of the policy rules that fired, strictest first.
    pub rules: Vec<String>,
    /// Everything observed, whether or not a rule used it.
    pub findings: Vec<Finding>,
}
