/*
 * SPDX-FileCopyrightText: 2020 Stalwart Labs LLC <hello@stalw.art>
 *
 * SPDX-License-Identifier: Apache-2.0 OR MIT
 */

use super::headers::{AuthenticatedHeader, Header, HeaderParser};
#[cfg(feature = "arc")]
use crate::arc;
use crate::{
    AuthenticatedMessage, BodyLengthHash, Error,
    common::crypto::{HashAlgorithm, HashContext, HashImpl, HashOutput, Sha1, Sha256},
    common::headers::Writer,
    dkim,
    dkim::canonicalize::{PrefixTarget, SignedLength, canonical_prefixes},
    dkim2,
};
use mail_parser::{Address, HeaderName, HeaderValue, Message, parsers::MessageStream};

const EXPECTED_HEADER_COUNT: usize = 32;

impl<'x> AuthenticatedMessage<'x> {
    pub fn parse(raw_message: &'x [u8]) -> Option<Self> {
        Self::parse_with_opts(raw_message, None, true)
    }

    /// COUNTERSIGN PATCH (PATCHES.md #12): as [`AuthenticatedMessage::parse`],
    /// examining at most `max_dkim_signatures` DKIM-Signature fields (the
    /// first in header order). Later ones are counted in
    /// `dkim_signatures_seen` but neither parsed, body hashed nor verified,
    /// so a message cannot make the verifier do unbounded work.
    pub fn parse_bounded(raw_message: &'x [u8], max_dkim_signatures: usize) -> Option<Self> {
        Self::parse_inner(raw_message, None, true, Some(max_dkim_signatures))
    }

    pub fn from_parsed<'y>(parsed: &'y Message<'x>, raw_message: &'x [u8], strict: bool) -> Self {
        let root = parsed.root_part();
        let mut message = AuthenticatedMessage {
            raw_message,
            body_offset: root.raw_body_offset(),
            headers: Vec::with_capacity(root.headers.len()),
            ..Default::default()
        };

        for header in root.headers() {
            let name = &raw_message[header.offset_field as usize..header.offset_start as usize - 1];
            let value = &raw_message[header.offset_start as usize..header.offset_end as usize];

            match &header.name {
                HeaderName::From => {
                    message.parse_from(&header.value);
                }
                HeaderName::Date => {
                    message.date_header_present = true;
                }
                HeaderName::Received => {
                    message.received_headers_count += 1;
                }
                HeaderName::MessageId => {
                    message.message_id_header_present = true;
                }
                HeaderName::DkimSignature => {
                    message.parse_dkim(name, value, strict);
                }
                #[cfg(feature = "arc")]
                HeaderName::ArcAuthenticationResults => {
                    message.parse_aar(name, value);
                }
                #[cfg(feature = "arc")]
                HeaderName::ArcSeal => {
                    message.parse_as(name, value);
                }
                #[cfg(feature = "arc")]
                HeaderName::ArcMessageSignature => {
                    message.parse_ams(name, value, strict);
                }
                HeaderName::Dkim2Signature => {
                    message.parse_dkim2_signature(name, value);
                }
                HeaderName::MessageInstance => {
                    message.parse_dkim2_instance(name, value);
                }
                _ => (),
            }

            message.headers.push((name, value))
        }

        message.finalize()
    }

    pub fn parse_with_opts(
        raw_message: &'x [u8],
        prepend_headers: Option<&'x [u8]>,
        strict: bool,
    ) -> Option<Self> {
        Self::parse_inner(raw_message, prepend_headers, strict, None)
    }

    fn parse_inner(
        raw_message: &'x [u8],
        prepend_headers: Option<&'x [u8]>,
        strict: bool,
        dkim_signature_limit: Option<usize>,
    ) -> Option<Self> {
        let mut message = AuthenticatedMessage {
            raw_message,
            headers: Vec::with_capacity(EXPECTED_HEADER_COUNT),
            dkim_signature_limit,
            ..Default::default()
        };

        if let Some(headers) = prepend_headers {
            message.parse_headers(headers, strict);
        }

        let body_offset = message.parse_headers(raw_message, strict);

        if !message.headers.is_empty() {
            // Obtain message body
            if let Some(offset) = body_offset {
                message.body_offset = offset as u32;
            } else {
                message.body_offset = raw_message.len() as u32;
            }
            Some(message.finalize())
        } else {
            None
        }
    }

    fn parse_headers(&mut self, headers: &'x [u8], strict: bool) -> Option<usize> {
        let mut headers = HeaderParser::new(headers);

        for (header, value) in &mut headers {
            let name = match header {
                AuthenticatedHeader::Ds(name) => {
                    self.parse_dkim(name, value, strict);
                    name
                }
                AuthenticatedHeader::D2s(name) => {
                    self.parse_dkim2_signature(name, value);
                    name
                }
                AuthenticatedHeader::D2i(name) => {
                    self.parse_dkim2_instance(name, value);
                    name
                }
                #[cfg(feature = "arc")]
                AuthenticatedHeader::Aar(name) => {
                    self.parse_aar(name, value);
                    name
                }
                #[cfg(feature = "arc")]
                AuthenticatedHeader::Ams(name) => {
                    self.parse_ams(name, value, strict);
                    name
                }
                #[cfg(feature = "arc")]
                AuthenticatedHeader::As(name) => {
                    self.parse_as(name, value);
                    name
                }
                AuthenticatedHeader::From(name) => {
                    self.parse_from(&MessageStream::new(value).parse_address());
                    name
                }
                AuthenticatedHeader::Other(name) => name,
            };

            self.headers.push((name, value));
        }

        // Update header counts
        self.received_headers_count += headers.num_received;
        self.message_id_header_present |= headers.has_message_id;
        self.date_header_present |= headers.has_date;

        headers.body_offset()
    }

    fn parse_dkim(&mut self, name: &'x [u8], value: &'x [u8], _strict: bool) {
        // COUNTERSIGN PATCH (PATCHES.md #12): past the limit a signature is
        // only counted.
        self.dkim_signatures_seen += 1;
        if self
            .dkim_signature_limit
            .is_some_and(|limit| self.dkim_signatures_seen > limit)
        {
            return;
        }
        match dkim::Signature::parse(value) {
            // COUNTERSIGN PATCH (PATCHES.md #11): a body length count is
            // verified as RFC 6376 3.5 says, over that many canonicalized
            // octets, whatever `strict` says; upstream refused the signature
            // in strict mode (permerror). What the count leaves unsigned is
            // reported by `AuthenticatedMessage::body_length_hash`, for policy
            // to judge.
            Ok(signature) => {
                let ha = HashAlgorithm::from(signature.a);
                match signature.body_length {
                    None => {
                        if !self
                            .body_hashes
                            .iter()
                            .any(|(c, h, l, _)| c == &signature.cb && h == &ha && *l == 0)
                        {
                            self.body_hashes.push((signature.cb, ha, 0, Vec::new()));
                        }
                    }
                    Some(length) => {
                        if !self
                            .body_length_hashes
                            .iter()
                            .any(|b| b.cb == signature.cb && b.ha == ha && b.l == length)
                        {
                            self.body_length_hashes.push(BodyLengthHash {
                                cb: signature.cb,
                                ha,
                                l: length,
                                hash: Vec::new(),
                                signed: SignedLength::default(),
                            });
                        }
                    }
                }
                self.dkim_headers.push(Header::new(name, value, signature));
            }
            Err(err) => self.push_dkim_error(name, value, err),
        }
    }

    fn parse_dkim2_signature(&mut self, name: &'x [u8], value: &'x [u8]) {
        match dkim2::Signature::parse(value) {
            Ok(signature) => self
                .dkim2_signatures
                .push(Header::new(name, value, signature)),
            Err(err) => self.push_dkim2_error(name, value, err),
        }
    }

    fn parse_dkim2_instance(&mut self, name: &'x [u8], value: &'x [u8]) {
        match dkim2::MessageInstance::parse(value) {
            Ok(instance) => self
                .dkim2_instances
                .push(Header::new(name, value, instance)),
            Err(err) => self.push_dkim2_error(name, value, err),
        }
    }

    #[cfg(feature = "arc")]
    fn parse_aar(&mut self, name: &'x [u8], value: &'x [u8]) {
        match arc::Results::parse(value) {
            Ok(results) => self.aar_headers.push(Header::new(name, value, results)),
            Err(err) => self.push_arc_error(name, value, err),
        }
    }

    #[cfg(feature = "arc")]
    fn parse_ams(&mut self, name: &'x [u8], value: &'x [u8], strict: bool) {
        match arc::Signature::parse(value) {
            Ok(signature) if signature.l == 0 || !strict => {
                let ha = HashAlgorithm::from(signature.a);
                if !self
                    .body_hashes
                    .iter()
                    .any(|(c, h, l, _)| c == &signature.cb && h == &ha && l == &signature.l)
                {
                    self.body_hashes
                        .push((signature.cb, ha, signature.l, Vec::new()));
                }
                self.ams_headers.push(Header::new(name, value, signature));
            }
            Ok(_) => {
                self.push_arc_error(name, value, Error::Arc(arc::ArcError::SignatureLength));
            }
            Err(err) => self.push_arc_error(name, value, err),
        }
    }

    #[cfg(feature = "arc")]
    fn parse_as(&mut self, name: &'x [u8], value: &'x [u8]) {
        match arc::Seal::parse(value) {
            Ok(seal) => self.as_headers.push(Header::new(name, value, seal)),
            Err(err) => self.push_arc_error(name, value, err),
        }
    }

    fn push_dkim_error(&mut self, name: &'x [u8], value: &'x [u8], err: Error) {
        self.has_dkim_errors = true;
        self.errors.push(Header::new(name, value, err));
    }

    fn push_dkim2_error(&mut self, name: &'x [u8], value: &'x [u8], err: Error) {
        self.has_dkim2_errors = true;
        self.errors.push(Header::new(name, value, err));
    }

    #[cfg(feature = "arc")]
    fn push_arc_error(&mut self, name: &'x [u8], value: &'x [u8], err: Error) {
        self.has_arc_errors = true;
        self.errors.push(Header::new(name, value, err));
    }

    fn parse_from(&mut self, value: &HeaderValue<'x>) {
        match value {
            HeaderValue::Address(Address::List(list)) => {
                self.from.extend(
                    list.iter()
                        .filter_map(|a| a.address.as_ref().map(|a| a.to_lowercase())),
                );
            }
            HeaderValue::Address(Address::Group(group_list)) => {
                self.from.extend(group_list.iter().flat_map(|group| {
                    group
                        .addresses
                        .iter()
                        .filter_map(|a| a.address.as_ref().map(|a| a.to_lowercase()))
                }))
            }
            _ => (),
        }
    }

    fn finalize(mut self) -> Self {
        let body = self
            .raw_message
            .get(self.body_offset as usize..)
            .unwrap_or_default();

        // Calculate body hashes
        for (cb, ha, l, bh) in &mut self.body_hashes {
            *bh = ha.hash(cb.canonical_body(body, *l)).as_ref().to_vec();
        }
        // COUNTERSIGN PATCH (PATCHES.md #11): every body length count of one
        // canonicalization and hash algorithm from a single pass and a
        // single hash of the body.
        for cb in [dkim::Canonicalization::Relaxed, dkim::Canonicalization::Simple] {
            for ha in [HashAlgorithm::Sha256, HashAlgorithm::Sha1] {
                let mut targets: Vec<PrefixTarget> = self
                    .body_length_hashes
                    .iter()
                    .filter(|entry| entry.cb == cb && entry.ha == ha)
                    .map(|entry| PrefixTarget::new(entry.l))
                    .collect();
                if targets.is_empty() {
                    continue;
                }
                let hashes = canonical_prefixes(cb, body, AnyHasher::new(ha), &mut targets);
                let entries = self
                    .body_length_hashes
                    .iter_mut()
                    .filter(|entry| entry.cb == cb && entry.ha == ha);
                for ((entry, target), hash) in entries.zip(targets).zip(hashes) {
                    entry.signed = target.signed;
                    entry.hash = hash.complete().as_ref().to_vec();
                }
            }
        }

        // Sort ARC headers
        #[cfg(feature = "arc")]
        if !self.as_headers.is_empty() && !self.has_arc_errors {
            self.as_headers.sort_unstable_by_key(|h| h.header.i);
            self.ams_headers.sort_unstable_by_key(|h| h.header.i);
            self.aar_headers.sort_unstable_by_key(|h| h.header.i);
        }

        // Sort DKIM2 signatures and instances
        if !self.has_dkim2_errors {
            self.dkim2_signatures.sort_unstable_by_key(|h| h.header.i);
            self.dkim2_instances.sort_unstable_by_key(|h| h.header.m);
        }

        self
    }

    pub fn received_headers_count(&self) -> usize {
        self.received_headers_count
    }

    pub fn has_message_id_header(&self) -> bool {
        self.message_id_header_present
    }

    pub fn has_date_header(&self) -> bool {
        self.date_header_present
    }

    pub fn raw_message(&self) -> &[u8] {
        self.raw_message
    }

    /// COUNTERSIGN PATCH (PATCHES.md #11): for a DKIM signature with a body
    /// length count (`l=`) parsed from this message, the hash of the signed
    /// part and where that part ends; `None` without `l=`.
    pub fn body_length_hash(&self, signature: &dkim::Signature) -> Option<&BodyLengthHash> {
        let length = signature.body_length?;
        let ha = HashAlgorithm::from(signature.a);
        self.body_length_hashes
            .iter()
            .find(|b| b.cb == signature.cb && b.ha == ha && b.l == length)
    }

    pub fn raw_headers(&self) -> &[u8] {
        self.raw_message
            .get(..self.body_offset as usize)
            .unwrap_or_default()
    }

    pub fn raw_parsed_headers(&self) -> &[(&[u8], &[u8])] {
        &self.headers
    }

    pub fn raw_body(&self) -> &[u8] {
        self.raw_message
            .get(self.body_offset as usize..)
            .unwrap_or_default()
    }

    pub fn body_offset(&self) -> usize {
        self.body_offset as usize
    }

    pub fn froms(&self) -> &[String] {
        &self.from
    }

    pub fn from(&self) -> &str {
        self.from.first().map_or("", |f| f.as_str())
    }
}

/// COUNTERSIGN PATCH (PATCHES.md #11): a hash context for either algorithm.
#[derive(Clone)]
enum AnyHasher {
    Sha1(<Sha1 as HashImpl>::Context),
    Sha256(<Sha256 as HashImpl>::Context),
}

impl AnyHasher {
    fn new(ha: HashAlgorithm) -> Self {
        match ha {
            HashAlgorithm::Sha1 => AnyHasher::Sha1(Sha1::hasher()),
            HashAlgorithm::Sha256 => AnyHasher::Sha256(Sha256::hasher()),
        }
    }

    fn complete(self) -> HashOutput {
        match self {
            AnyHasher::Sha1(context) => context.complete(),
            AnyHasher::Sha256(context) => context.complete(),
        }
    }
}

impl Writer for AnyHasher {
    fn write(&mut self, buf: &[u8]) {
        match self {
            AnyHasher::Sha1(context) => context.write(buf),
            AnyHasher::Sha256(context) => context.write(buf),
        }
    }
}
