/*
 * SPDX-FileCopyrightText: 2020 Stalwart Labs LLC <hello@stalw.art>
 *
 * SPDX-License-Identifier: Apache-2.0 OR MIT
 */

use super::{ArcError, ChainValidation, Results, Seal, Signature};
use crate::common::parse::*;
use crate::{
    Error,
    common::{crypto::Algorithm, parse::TagParser},
    dkim::{Canonicalization, DkimError, parse::SignatureParser},
};

pub(crate) const CV: u64 = (b'c' as u64) | ((b'v' as u64) << 8);

impl Signature {
    #[allow(clippy::while_let_on_iterator)]
    pub fn parse(header: &'_ [u8]) -> crate::Result<Self> {
        let mut signature = Signature {
            a: Algorithm::RsaSha256,
            d: "".into(),
            s: "".into(),
            b: Vec::with_capacity(0),
            bh: Vec::with_capacity(0),
            h: Vec::with_capacity(0),
            z: Vec::with_capacity(0),
            l: 0,
            x: 0,
            t: 0,
            i: 0,
            ch: Canonicalization::Simple,
            cb: Canonicalization::Simple,
        };
        let mut header = header.iter();
        let mut has_a = false;

        while let Some(key) = header.key() {
            match key {
                I => {
                    signature.i = header.number().unwrap_or(0) as u32;
                    if !(1..=50).contains(&signature.i) {
                        return Err(Error::Arc(ArcError::InvalidInstance(signature.i)));
                    }
                }
                A => {
                    signature.a = header.algorithm()?;
                    has_a = true;
                }
                B => signature.b = header.base64().ok_or(Error::Base64)?,
                BH => signature.bh = header.base64().ok_or(Error::Base64)?,
                C => {
                    let (ch, cb) = header.canonicalization(Canonicalization::Simple)?;
                    signature.ch = ch;
                    signature.cb = cb;
                }
                D => signature.d = header.text(true),
                H => signature.h = header.items(),
                L => signature.l = header.number().unwrap_or(0),
                S => signature.s = header.text(true),
                T => signature.t = header.number().unwrap_or(0),
                X => signature.x = header.number().unwrap_or(0),
                Z => signature.z = header.headers_qp(),
                _ => header.ignore(),
            }
        }

        // COUNTERSIGN PATCH (PATCHES.md #8): a= is required (RFC 6376 3.5,
        // RFC 8617 4.1.2; it defaulted to rsa-sha256), rsa-sha1 is not
        // acceptable (RFC 8301 3.1), and ARC-Seal must not be signed by
        // the AMS (RFC 8617 4.1.2): any of these makes the chain fail.
        if !has_a {
            return Err(Error::MissingParameters);
        }
        if signature.a == Algorithm::RsaSha1 {
            return Err(Error::Dkim(DkimError::UnsupportedAlgorithm));
        }
        if signature
            .h
            .iter()
            .any(|h| h.trim().eq_ignore_ascii_case("arc-seal"))
        {
            return Err(Error::Arc(ArcError::BrokenChain));
        }

        if !signature.d.is_empty()
            && !signature.s.is_empty()
            && !signature.b.is_empty()
            && !signature.bh.is_empty()
            && !signature.h.is_empty()
        {
            Ok(signature)
        } else {
            Err(Error::MissingParameters)
        }
    }
}

impl Seal {
    #[allow(clippy::while_let_on_iterator)]
    pub fn parse(header: &'_ [u8]) -> crate::Result<Self> {
        let mut seal = Seal {
            a: Algorithm::RsaSha256,
            d: "".into(),
            s: "".into(),
            b: Vec::with_capacity(0),
            t: 0,
            i: 0,
            cv: ChainValidation::None,
        };
        // COUNTERSIGN PATCH (PATCHES.md #8): the tag-list must be well
        // formed (RFC 6376 3.2), which the shared tag reader does not check.
        if !strict_tag_list(header) {
            return Err(Error::Arc(ArcError::BrokenChain));
        }
        let mut header = header.iter();
        let mut cv = None;
        let mut has_a = false;

        while let Some(key) = header.key() {
            match key {
                I => {
                    seal.i = header.number().unwrap_or(0) as u32;
                }
                A => {
                    seal.a = header.algorithm()?;
                    has_a = true;
                }
                B => seal.b = header.base64().ok_or(Error::Base64)?,
                D => seal.d = header.text(true),
                S => seal.s = header.text(true),
                T => seal.t = header.number().unwrap_or(0),
                CV => {
                    match header.next_skip_whitespaces().unwrap_or(0) {
                        b'n' | b'N' if header.match_bytes(b"one") => {
                            cv = ChainValidation::None.into();
                        }
                        b'f' | b'F' if header.match_bytes(b"ail") => {
                            cv = ChainValidation::Fail.into();
                        }
                        b'p' | b'P' if header.match_bytes(b"ass") => {
                            cv = ChainValidation::Pass.into();
                        }
                        _ => return Err(Error::Arc(ArcError::InvalidCV)),
                    }
                    if !header.seek_tag_end() {
                        return Err(Error::Arc(ArcError::InvalidCV));
                    }
                }
                H => {
                    return Err(Error::Arc(ArcError::HasHeaderTag));
                }
                _ => header.ignore(),
            }
        }
        seal.cv = cv.ok_or(Error::Arc(ArcError::InvalidCV))?;
        // COUNTERSIGN PATCH (PATCHES.md #8): a= required, no rsa-sha1 (as for the AMS).
        if !has_a {
            return Err(Error::MissingParameters);
        }
        if seal.a == Algorithm::RsaSha1 {
            return Err(Error::Dkim(DkimError::UnsupportedAlgorithm));
        }

        if !(1..=50).contains(&seal.i) {
            Err(Error::Arc(ArcError::InvalidInstance(seal.i)))
        } else if !seal.d.is_empty() && !seal.s.is_empty() && !seal.b.is_empty() {
            Ok(seal)
        } else {
            Err(Error::MissingParameters)
        }
    }
}

/// COUNTERSIGN PATCH (PATCHES.md #8): RFC 6376 3.2 `tag-list`: every
/// `;`-separated tag-spec (a trailing `;` allowed) is `tag-name "=" value`
/// with tag-name = ALPHA *( ALPHA / DIGIT / "_" ), no name twice. Tag names
/// are case-sensitive, but the shared reader folds case, so an upper-case
/// spelling of an ARC-Seal tag (`S=`) is refused rather than read as `s=`.
fn strict_tag_list(value: &[u8]) -> bool {
    let mut seen: Vec<&[u8]> = Vec::with_capacity(8);
    let mut specs = value.split(|&ch| ch == b';').peekable();
    while let Some(spec) = specs.next() {
        let spec = spec.trim_ascii();
        if spec.is_empty() {
            if specs.peek().is_none() {
                break;
            }
            return false;
        }
        let Some(eq) = spec.iter().position(|&ch| ch == b'=') else {
            return false;
        };
        let name = spec[..eq].trim_ascii_end();
        if !name.first().is_some_and(u8::is_ascii_alphabetic)
            || !name
                .iter()
                .all(|&ch| ch.is_ascii_alphanumeric() || ch == b'_')
            || seen.contains(&name)
            || (name.iter().any(u8::is_ascii_uppercase)
                && [&b"a"[..], b"b", b"cv", b"d", b"h", b"i", b"s", b"t"]
                    .iter()
                    .any(|tag| tag.eq_ignore_ascii_case(name)))
        {
            return false;
        }
        seen.push(name);
    }
    true
}

impl Results {
    #[allow(clippy::while_let_on_iterator)]
    pub fn parse(header: &'_ [u8]) -> crate::Result<Self> {
        let mut results = Results { i: 0 };
        let mut header = header.iter();

        while let Some(key) = header.key() {
            match key {
                I => {
                    results.i = header.number().unwrap_or(0) as u32;
                    break;
                }
                _ => header.ignore(),
            }
        }

        if (1..=50).contains(&results.i) {
            Ok(results)
        } else {
            Err(Error::Arc(ArcError::InvalidInstance(results.i)))
        }
    }
}
