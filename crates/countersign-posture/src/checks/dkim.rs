//! DKIM keys at our selectors (RFC 6376 3.6.1): present, not revoked, a
//! key type receivers verify, and an RSA modulus of at least 1024 bits
//! (RFC 8301 3.2; 2048 recommended). Ed25519 keys (RFC 8463) are 32 bytes.

use super::{Answer, Ctx, Query, Severity, normalise, tag_list};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use serde::Serialize;

/// A DKIM key found at a selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DkimKey {
    /// The selector.
    pub selector: String,
    /// `rsa` or `ed25519` (other values as written).
    pub key_type: String,
    /// Key size in bits (RSA modulus; 256 for Ed25519), when readable.
    pub bits: Option<u32>,
    /// `p=` is empty: the key is revoked.
    pub revoked: bool,
    /// `t=y`: testing.
    pub testing: bool,
}

/// Reads one DER TLV at the start of `der`: (tag, content, rest).
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The modulus size of an RSA public key in SubjectPublicKeyInfo or bare
/// RSAPublicKey (PKCS#1) DER, as DKIM records carry either.
pub(crate) fn rsa_bits(der: &[u8]) -> Option<u32> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const BIT_STRING: u8 = 0x03;
    let (tag, body, _) = tlv(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (first_tag, _, rest) = tlv(body)?;
    let rsa_key = match first_tag {
        // SubjectPublicKeyInfo: AlgorithmIdentifier, then the key as bits.
        SEQUENCE => {
            let (bt, bits, _) = tlv(rest)?;
            if bt != BIT_STRING || bits.first() != Some(&0) {
                return None;
            }
            let (t, key, _) = tlv(&bits[1..])?;
            if t != SEQUENCE {
                return None;
            }
            key
        }
        // RSAPublicKey: the modulus comes first.
        INTEGER => body,
        _ => return None,
    };
    let (t, modulus, _) = tlv(rsa_key)?;
    if t != INTEGER {
        return None;
    }
    let significant: &[u8] = {
        let skip = modulus.iter().take_while(|b| **b == 0).count();
        &modulus[skip..]
    };
    let (&top, _) = significant.split_first()?;
    Some((significant.len() as u32 - 1) * 8 + (8 - top.leading_zeros()))
}

pub(super) fn check(ctx: &mut Ctx<'_>, domain: &str, selectors: &[String]) -> Vec<DkimKey> {
    let mut keys = Vec::new();
    for selector in selectors {
        let selector = normalise(selector);
        let record_name = format!("dkim:{selector}");
        let name = format!("{selector}._domainkey.{domain}");
        let Some(answer) = ctx.ask(Query::Txt(name.clone())) else {
            continue;
        };
        let records = match answer {
            Answer::Failed(e) => {
                ctx.find(
                    Severity::Error,
                    record_name,
                    "dkim.unreachable",
                    format!("the key at {name} could not be read: {e}"),
                    format!("check that the name servers of {domain} answer"),
                );
                continue;
            }
            a => a.records(),
        };
        // A key record has p=; other TXT records at the name are not keys.
        let candidates: Vec<&String> = records
            .iter()
            .filter(|r| tag_list(r).0.iter().any(|(t, _)| t == "p"))
            .collect();
        let record = match candidates.as_slice() {
            [] => {
                ctx.find(
                    Severity::Error,
                    record_name,
                    "dkim.missing",
                    format!("no DKIM key at {name}: mail signed with selector {selector:?} fails DKIM"),
                    format!("publish the selector's public key as TXT \"v=DKIM1; k=rsa; p=<base64 key>\" at {name}, or stop signing with it"),
                );
                continue;
            }
            [one] => one.as_str(),
            [first, ..] => {
                ctx.find(
                    Severity::Warning,
                    record_name.clone(),
                    "dkim.multiple",
                    format!(
                        "{name} holds {} key records; receivers may pick any",
                        candidates.len()
                    ),
                    "keep one key record per selector",
                );
                first.as_str()
            }
        };
        let (tags, _) = tag_list(record);
        let get = |n: &str| tags.iter().find(|(t, _)| t == n).map(|(_, v)| v.as_str());
        if let Some((t, v)) = tags.first()
            && tags.iter().any(|(t, _)| t == "v")
            && (t != "v" || v != "DKIM1")
        {
            ctx.find(
                Severity::Error,
                record_name.clone(),
                "dkim.version",
                "v= must come first and read DKIM1 (RFC 6376 3.6.1)",
                "start the record with v=DKIM1;",
            );
        }
        let key_type = get("k").unwrap_or("rsa").to_ascii_lowercase();
        let p: String = get("p")
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let testing = get("t").is_some_and(|t| t.split(':').any(|f| f.trim() == "y"));
        let revoked = p.is_empty();
        let mut bits = None;
        if revoked {
            ctx.find(
                Severity::Warning,
                record_name.clone(),
                "dkim.revoked",
                format!("the key at {name} is revoked (empty p=): mail signed with {selector:?} fails DKIM"),
                format!("if {selector:?} is still in use, publish its key; if not, remove it from the list of selectors"),
            );
        } else {
            match data_encoding::BASE64.decode(p.as_bytes()) {
                Err(_) => ctx.find(
                    Severity::Error,
                    record_name.clone(),
                    "dkim.bad_base64",
                    format!("p= of {name} is not valid base64: no receiver can use the key"),
                    "publish the key as base64 without line breaks or quotes inside",
                ),
                Ok(der) => match key_type.as_str() {
                    "rsa" => {
                        bits = rsa_bits(&der);
                        match bits {
                            None => ctx.find(
                                Severity::Error,
                                record_name.clone(),
                                "dkim.bad_key",
                                format!("p= of {name} is not an RSA public key"),
                                "publish the public key in SubjectPublicKeyInfo (PEM body) form",
                            ),
                            Some(b) if b < 1024 => ctx.find(
                                Severity::Error,
                                record_name.clone(),
                                "dkim.weak_key",
                                format!("the RSA key at {name} has {b} bits; receivers must not accept keys under 1024 bits (RFC 8301 3.2)"),
                                "generate a 2048-bit key, publish it under a new selector and sign with it",
                            ),
                            Some(b) if b < 2048 => ctx.find(
                                Severity::Warning,
                                record_name.clone(),
                                "dkim.short_key",
                                format!("the RSA key at {name} has {b} bits; 2048 is recommended (RFC 8301 3.2)"),
                                "rotate to a 2048-bit key under a new selector",
                            ),
                            _ => {}
                        }
                    }
                    "ed25519" => {
                        if der.len() == 32 {
                            bits = Some(256);
                            ctx.find(
                                Severity::Info,
                                record_name.clone(),
                                "dkim.ed25519",
                                format!("{selector:?} is an Ed25519 key (RFC 8463); receivers that do not verify Ed25519 need an RSA signature too"),
                                "",
                            );
                        } else {
                            ctx.find(
                                Severity::Error,
                                record_name.clone(),
                                "dkim.bad_key",
                                format!("the Ed25519 key at {name} is {} bytes; RFC 8463 wants the bare 32-byte key", der.len()),
                                "publish the 32-byte public key itself, base64-encoded",
                            );
                        }
                    }
                    other => ctx.find(
                        Severity::Error,
                        record_name.clone(),
                        "dkim.key_type",
                        format!("k={other:?} at {name} is a key type receivers do not verify"),
                        "use k=rsa (2048 bits) or k=ed25519 alongside an RSA key",
                    ),
                },
            }
            if DomainKey::parse(record.as_bytes()).is_err() && !ctx_has_error_for(ctx, &record_name)
            {
                ctx.find(
                    Severity::Error,
                    record_name.clone(),
                    "dkim.syntax",
                    format!("the key record at {name} does not parse (mail-auth, Countersign's verifier, refuses it)"),
                    "check the record against RFC 6376 3.6.1",
                );
            }
        }
        if let Some(h) = get("h")
            && !h
                .split(':')
                .any(|a| a.trim().eq_ignore_ascii_case("sha256"))
        {
            ctx.find(
                Severity::Error,
                record_name.clone(),
                "dkim.sha1_only",
                format!("h={h} allows no sha256: signatures with it cannot pass (RFC 8301 3.1 forbids sha1)"),
                "remove h= or set h=sha256",
            );
        }
        if testing {
            ctx.find(
                Severity::Warning,
                record_name.clone(),
                "dkim.testing",
                format!("t=y at {name}: receivers may treat signatures as unsigned"),
                "remove t=y once signing works",
            );
        }
        keys.push(DkimKey {
            selector,
            key_type,
            bits,
            revoked,
            testing,
        });
    }
    keys
}

fn ctx_has_error_for(ctx: &Ctx<'_>, record: &str) -> bool {
    ctx.findings
        .iter()
        .any(|f| f.record == record && f.severity == Severity::Error)
}
