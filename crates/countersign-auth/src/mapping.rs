//! mail-auth's outputs in Countersign's vocabulary.
//!
//! Departures from mail-auth's own words, all toward the RFCs: see
//! [`normalise_dkim`]; and a DKIM-Signature that cannot be parsed is still
//! listed, as `permerror` with whatever `d=`/`s=`/`a=` it carries (mail-auth
//! drops some of those silently).

use countersign_model::auth::{ArcCheck, AuthResult, DkimCheck, DmarcCheck, SpfCheck};
use mail_auth::common::crypto::Algorithm;
use mail_auth::dkim::{DkimError, Signature};
use mail_auth::dmarc::Policy;
use mail_auth::{
    ArcOutput, AuthenticatedMessage, DkimOutput, DkimResult, DmarcOutput, DmarcResult, Error,
    SpfOutput, SpfResult,
};

pub(crate) fn spf(output: &SpfOutput, identity: &'static str) -> SpfCheck {
    SpfCheck {
        result: match output.result() {
            SpfResult::Pass => AuthResult::Pass,
            SpfResult::Fail => AuthResult::Fail,
            SpfResult::SoftFail => AuthResult::SoftFail,
            SpfResult::Neutral => AuthResult::Neutral,
            SpfResult::TempError => AuthResult::TempError,
            SpfResult::PermError => AuthResult::PermError,
            SpfResult::None => AuthResult::None,
        },
        domain: output.domain().to_ascii_lowercase(),
        identity,
        explanation: output.explanation().map(str::to_string),
    }
}

pub(crate) fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::RsaSha1 => "rsa-sha1",
        Algorithm::RsaSha256 => "rsa-sha256",
        Algorithm::Ed25519Sha256 => "ed25519-sha256",
    }
}

/// Brings mail-auth's DKIM outputs in line with the RFCs before DMARC and
/// Authentication-Results see them: a SHA-1 pass is not a pass (RFC 8301
/// section 3.1), and a body-hash mismatch is `fail`, not `neutral` (RFC 6376
/// section 6.1.3).
pub(crate) fn normalise_dkim<'x>(
    outputs: Vec<DkimOutput<'x>>,
    message: &'x AuthenticatedMessage<'x>,
) -> Vec<DkimOutput<'x>> {
    outputs
        .into_iter()
        .map(|out| {
            let replacement = match (out.result(), out.signature()) {
                (DkimResult::Pass, Some(sig)) if sig.a == Algorithm::RsaSha1 => {
                    DkimOutput::perm_err(Error::Dkim(DkimError::UnsupportedAlgorithm))
                }
                (DkimResult::Neutral(err @ Error::Dkim(DkimError::FailedBodyHashMatch)), _) => {
                    DkimOutput::fail(err.clone())
                }
                _ => return out,
            };
            // Re-attach the signature borrowed for the message's lifetime.
            let signature = message
                .dkim_headers
                .iter()
                .map(|h| &h.header)
                .find(|sig| out.signature().is_some_and(|s| std::ptr::eq(*sig, s)));
            match signature {
                Some(sig) => replacement.with_signature(sig),
                None => replacement,
            }
        })
        .collect()
}

fn dkim_result(result: &DkimResult, algorithm: Option<Algorithm>) -> (AuthResult, Option<String>) {
    match result {
        DkimResult::Pass => (AuthResult::Pass, None),
        DkimResult::None => (AuthResult::None, None),
        DkimResult::Fail(err) => (AuthResult::Fail, Some(err.to_string())),
        DkimResult::Neutral(err) => (AuthResult::Neutral, Some(err.to_string())),
        DkimResult::PermError(Error::Dkim(DkimError::UnsupportedAlgorithm))
            if algorithm == Some(Algorithm::RsaSha1) =>
        {
            (
                AuthResult::PermError,
                Some("rsa-sha1 signatures are not accepted (RFC 8301)".into()),
            )
        }
        DkimResult::PermError(err) => (AuthResult::PermError, Some(err.to_string())),
        DkimResult::TempError(err) => (AuthResult::TempError, Some(err.to_string())),
    }
}

/// Offset of a header value inside the raw message, to list results in header order.
fn offset_in(raw: &[u8], value: &[u8]) -> usize {
    (value.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize)
}

/// One value of a `tag=value` list, for signatures mail-auth could not parse.
fn tag_value(value: &[u8], tag: &str) -> String {
    let text = String::from_utf8_lossy(value);
    text.split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(tag))
        .map(|(_, v)| v.split_whitespace().collect::<String>())
        .unwrap_or_default()
}

pub(crate) fn dkim(
    outputs: &[DkimOutput<'_>],
    message: &AuthenticatedMessage<'_>,
    raw: &[u8],
) -> Vec<DkimCheck> {
    let mut checks: Vec<(usize, DkimCheck)> = Vec::with_capacity(outputs.len());
    for header in &message.errors {
        if !header.name.eq_ignore_ascii_case(b"DKIM-Signature") {
            continue;
        }
        let (result, reason) = match &header.header {
            err @ Error::Dkim(DkimError::SignatureLength) => {
                (AuthResult::PermError, Some(err.to_string()))
            }
            err => (
                AuthResult::PermError,
                Some(format!("malformed signature: {err}")),
            ),
        };
        checks.push((
            offset_in(raw, header.value),
            DkimCheck {
                domain: tag_value(header.value, "d").to_ascii_lowercase(),
                selector: tag_value(header.value, "s"),
                algorithm: tag_value(header.value, "a").to_ascii_lowercase(),
                result,
                reason,
                body_length: None,
                unsigned_body_bytes: 0,
            },
        ));
    }
    for output in outputs {
        let Some(signature) = output.signature() else {
            // Parse failures without a signature were listed from message.errors.
            continue;
        };
        let offset = message
            .dkim_headers
            .iter()
            .find(|h| std::ptr::eq(&h.header, signature))
            .map_or(usize::MAX, |h| offset_in(raw, h.value));
        let (result, reason) = dkim_result(output.result(), Some(signature.a));
        let (body_length, unsigned_body_bytes) = unsigned_body(message, signature);
        checks.push((
            offset,
            DkimCheck {
                domain: signature.d.to_ascii_lowercase(),
                selector: signature.s.clone(),
                algorithm: algorithm_name(signature.a).into(),
                result,
                reason,
                body_length,
                unsigned_body_bytes,
            },
        ));
    }
    // Oldest signature first: signers prepend their header, so that is the
    // reverse of header order (and the order ARC lists its sealers in).
    checks.sort_by_key(|(offset, _)| std::cmp::Reverse(*offset));
    checks.into_iter().map(|(_, check)| check).collect()
}

/// A signature's body length count (`l=`) and the raw body bytes past it
/// (0 when what follows the count is canonically nothing: whitespace and
/// empty lines, or when the count exceeds the body and the signature fails).
fn unsigned_body(message: &AuthenticatedMessage<'_>, signature: &Signature) -> (Option<u64>, u64) {
    let Some(entry) = message.body_length_hash(signature) else {
        return (signature.body_length, 0);
    };
    let body_len = message.raw_body().len();
    let unsigned = if entry.l < entry.signed.canonical_len {
        body_len.saturating_sub(entry.signed.signed_end) as u64
    } else {
        0
    };
    (Some(entry.l), unsigned)
}

pub(crate) fn no_arc() -> ArcCheck {
    ArcCheck {
        result: AuthResult::None,
        instances: 0,
        sealers: Vec::new(),
        upstream_results: None,
        reason: None,
    }
}

pub(crate) fn arc(output: &ArcOutput<'_>) -> ArcCheck {
    let (result, reason) = dkim_result(output.result(), None);
    // RFC 8617 knows pass, fail and none; every error is a failed chain.
    let result = match result {
        AuthResult::Pass | AuthResult::None => result,
        _ => AuthResult::Fail,
    };
    let mut sets: Vec<_> = output.sets().iter().collect();
    sets.sort_by_key(|set| set.seal.header.i);
    ArcCheck {
        result,
        instances: sets.len() as u32,
        sealers: sets
            .iter()
            .map(|set| set.seal.header.d.to_ascii_lowercase())
            .collect(),
        upstream_results: sets.first().map(|set| {
            String::from_utf8_lossy(set.results.value)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        }),
        reason,
    }
}

pub(crate) fn no_dmarc(from_domain: String) -> DmarcCheck {
    DmarcCheck {
        result: AuthResult::None,
        policy: "-".into(),
        from_domain,
        spf_aligned: false,
        dkim_aligned: false,
        reason: None,
    }
}

fn policy_word(policy: Policy) -> &'static str {
    match policy {
        Policy::None => "none",
        Policy::Quarantine => "quarantine",
        Policy::Reject => "reject",
        Policy::Unspecified => "-",
    }
}

pub(crate) fn dmarc(output: &DmarcOutput, from_domain: String) -> DmarcCheck {
    let spf = output.spf_result();
    let dkim = output.dkim_result();
    let has_record = output.dmarc_record().is_some();
    let first_error = [spf, dkim].into_iter().find_map(|r| match r {
        DmarcResult::TempError(e) => Some((AuthResult::TempError, e.to_string())),
        DmarcResult::PermError(e) => Some((AuthResult::PermError, e.to_string())),
        _ => None,
    });
    let (result, reason) = if *spf == DmarcResult::Pass || *dkim == DmarcResult::Pass {
        (AuthResult::Pass, None)
    } else if let Some((result, reason)) = first_error {
        (result, Some(reason))
    } else if has_record {
        (
            AuthResult::Fail,
            Some("neither SPF nor DKIM passed in alignment with the From domain".into()),
        )
    } else {
        (AuthResult::None, None)
    };
    DmarcCheck {
        result,
        policy: if has_record {
            policy_word(output.policy()).into()
        } else {
            "-".into()
        },
        from_domain,
        spf_aligned: *spf == DmarcResult::Pass,
        dkim_aligned: *dkim == DmarcResult::Pass,
        reason,
    }
}
