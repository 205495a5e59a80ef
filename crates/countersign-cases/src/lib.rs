//! Verification before action: a held request becomes a [`Case`] that
//! cannot be released until every control the policy requires has passed,
//! each over a channel the requester does not control.
//!
//! - [`claim`]: who the requester claims to be, resolved in the directory,
//!   and the directory channels (numbers, addresses) that may verify it.
//! - [`case`]: the case, its controls (callback, one-time code, vendor
//!   signature, dual approval) and the state machine.
//! - [`code`]: one-time codes (random, hashed, single use).
//! - [`signature`]: vendor challenges as compact JWS with EdDSA.
//!
//! No IO and no clock: the caller passes the time, the directory snapshot
//! and the acting account; the store persists the case and its events.

pub mod case;
pub mod claim;
pub mod code;
pub mod signature;

pub use case::{
    Actor, Applied, CallbackOutcome, Capacity, Case, CaseError, CaseEvent, CaseState, Channel,
    CodeChannel, Command, ControlStatus, EventKind, NewCase, Origin, RequestSummary,
};
pub use claim::{ClaimKind, ClaimedIdentity, TrustedChannels, Untrusted};

use countersign_directory::DirectorySnapshot;
use countersign_model::verdict::Finding;
use time::OffsetDateTime;

/// The findings a policy sees for a request an analyst recorded by hand
/// (a phone call, a chat): who is claimed and what is asked. The policy
/// then names the controls, exactly as it would for an email.
pub fn manual_findings(
    claim: &ClaimedIdentity,
    request_kinds: &[String],
    directory: &DirectorySnapshot,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let finding = |signal: &str, summary: String| Finding {
        signal: signal.to_owned(),
        summary,
        evidence: String::new(),
        target: None,
    };
    let mut out = Vec::new();
    if let Some(vendor_id) = claim.vendor_id.as_deref() {
        let signal = if claim.kind == ClaimKind::VendorContact {
            "sender.vendor_contact"
        } else {
            "sender.vendor_unapproved_contact"
        };
        out.push(finding(
            signal,
            format!("claims to be {}", claim.describe()),
        ));
        if let Some(vendor) = directory.vendor(vendor_id) {
            if vendor.privileged {
                out.push(finding(
                    "sender.privileged_vendor",
                    format!("{} is a privileged vendor", vendor.name),
                ));
            }
            if let Err(err) = directory.vendor_trust(vendor_id, now) {
                out.push(finding("sender.vendor_untrusted", err.to_string()));
            }
        }
    } else if matches!(claim.kind, ClaimKind::Staff | ClaimKind::Employee) {
        out.push(finding(
            "sender.internal",
            format!("claims to be {}", claim.describe()),
        ));
    }
    for kind in request_kinds {
        out.push(finding(
            &format!("request.{kind}"),
            format!("the analyst recorded a {kind} request"),
        ));
    }
    if !request_kinds.is_empty() {
        out.push(finding(
            "request.any",
            "the analyst recorded a high-risk request".into(),
        ));
    }
    out
}

/// SHA-256 of `bytes`, lowercase hex: the request digest a signature binds to.
pub fn digest_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}
