//! Adversarial messages: each one multiplies a per-message fan-out far past
//! anything real mail does (author domains, DKIM signatures, ARC sets, links,
//! MIME parts and nesting, header fields, signed header names), together with
//! the DNS zone that makes their signatures verifiable, so the verifier does
//! the full work an attacker could make it do.
//!
//! Shared by `tests/adversarial_messages.rs` (every message gets a verdict, under a
//! hang guard) and `examples/adversarial.rs` (per-message times).

#![allow(dead_code)]

use data_encoding::BASE64;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use std::fmt::Write as _;

/// The signing domain of every adversarial DKIM signature.
pub const SIGNING_DOMAIN: &str = "adv.example";
/// How many DKIM-Signature headers the signature flood carries.
pub const DKIM_SIGNATURES: usize = 5_000;
/// How many From addresses (each at its own domain) the author flood carries.
pub const FROM_ADDRESSES: usize = 20_000;
/// How many ARC sets the ARC flood carries.
pub const ARC_SETS: usize = 1_000;
/// How many links (HTML anchors, each with its own host) the link flood carries.
pub const LINKS: usize = 100_000;
/// How deep the nested multipart message goes.
pub const MIME_DEPTH: usize = 5_000;
/// How deep the nested message/rfc822 message goes.
pub const MESSAGE_DEPTH: usize = 1_000;
/// How many sibling MIME parts the part flood carries.
pub const MIME_PARTS: usize = 20_000;
/// How many header fields the header flood carries.
pub const HEADER_FIELDS: usize = 20_000;
/// How many header names the h= flood's one signature lists.
pub const SIGNED_NAMES: usize = 5_000;
/// How many DKIM signatures with distinct body length counts (`l=`) the
/// body-length flood carries, each over a prefix of a large body.
pub const LENGTH_SIGNATURES: usize = 16;
/// The body-length flood's body size in bytes.
pub const LENGTH_BODY: usize = 4 << 20;

/// One adversarial message and the envelope sender it arrives with.
pub struct Adversarial {
    /// Short name, also the file name stem.
    pub name: &'static str,
    /// The message as received.
    pub raw: Vec<u8>,
    /// The envelope sender.
    pub mail_from: &'static str,
}

/// The fixed Ed25519 key every adversarial signature is made with.
fn seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    seed
}

fn public_key() -> Vec<u8> {
    key().public_key()
}

/// PKCS#8 v1 wrapping of the fixed seed (RFC 8410), so the key is the same on every run.
fn ring_pkcs8() -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed());
    der
}

fn key() -> Ed25519Key {
    Ed25519Key::from_pkcs8_maybe_unchecked_der(&ring_pkcs8()).expect("a valid PKCS#8 key")
}

/// DNS for the adversarial messages, as an RFC 1035 master file: the
/// signing domain's SPF, DMARC and one key record per selector.
pub fn zone_text() -> String {
    let p = BASE64.encode(&public_key());
    let mut zone = String::from(
        "$ORIGIN example.\n$TTL 3600\n@ IN SOA ns1.example. hostmaster.example. ( 1 3600 900 604800 300 )\n",
    );
    zone.push_str("adv IN TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n");
    zone.push_str("_dmarc.adv IN TXT \"v=DMARC1; p=reject\"\n");
    for i in 0..DKIM_SIGNATURES {
        let _ = writeln!(
            zone,
            "s{i}._domainkey.adv IN TXT \"v=DKIM1; k=ed25519; p={p}\""
        );
    }
    zone
}

const BASE_HEADERS: &str = "To: helpdesk@acme.example\r\nSubject: Password reset for your account\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <adv@adv.example>\r\n";

const BODY: &str = "Hello,\r\n\r\nPlease reset my password and send me the new one.\r\n";

fn plain(from: &str, body: &str) -> String {
    format!("From: {from}\r\n{BASE_HEADERS}\r\n{body}")
}

/// `raw` signed `count` times by SIGNING_DOMAIN, one selector per signature.
fn signed(raw: &str, count: usize, headers: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + count * 400);
    for i in 0..count {
        let signature = DkimSigner::from_key(key())
            .domain(SIGNING_DOMAIN)
            .selector(format!("s{i}"))
            .headers(headers.iter().copied())
            .sign(raw.as_bytes())
            .expect("mail-auth signs");
        out.extend_from_slice(signature.to_header().as_bytes());
    }
    out.extend_from_slice(raw.as_bytes());
    out
}

/// An ordinary signed message, the yardstick for the others.
pub fn baseline() -> Adversarial {
    let raw = plain("Dana <dana@adv.example>", BODY);
    Adversarial {
        name: "baseline",
        raw: signed(&raw, 1, &["From", "To", "Subject"]),
        mail_from: "dana@adv.example",
    }
}

/// One From header naming FROM_ADDRESSES authors, each at its own domain.
pub fn from_flood() -> Adversarial {
    let mut from = String::from("a0@d0.adv.example");
    for i in 1..FROM_ADDRESSES {
        let _ = write!(from, ",\r\n a{i}@d{i}.adv.example");
    }
    Adversarial {
        name: "from-20000",
        raw: plain(&from, BODY).into_bytes(),
        mail_from: "a0@d0.adv.example",
    }
}

/// DKIM_SIGNATURES valid Ed25519 signatures, each under its own selector.
pub fn dkim_flood() -> Adversarial {
    let raw = plain("Dana <dana@adv.example>", BODY);
    Adversarial {
        name: "dkim-5000",
        raw: signed(&raw, DKIM_SIGNATURES, &["From", "To", "Subject"]),
        mail_from: "dana@adv.example",
    }
}

/// ARC_SETS well-formed ARC sets (newest first), as a long forwarding chain would add.
pub fn arc_flood() -> Adversarial {
    let mut headers = String::new();
    for i in (1..=ARC_SETS).rev() {
        let cv = if i == 1 { "none" } else { "pass" };
        let _ = write!(
            headers,
            "ARC-Seal: i={i}; a=rsa-sha256; cv={cv}; d=relay{i}.example; s=arc; t=1700000000;\r\n b=c2lnbmF0dXJl\r\n\
ARC-Message-Signature: i={i}; a=rsa-sha256; c=relaxed/relaxed; d=relay{i}.example;\r\n s=arc; t=1700000000; h=from:to:subject; bh=Ym9keWhhc2g=; b=c2lnbmF0dXJl\r\n\
ARC-Authentication-Results: i={i}; relay{i}.example; spf=pass smtp.mailfrom=adv.example\r\n"
        );
    }
    headers.push_str(&plain("Dana <dana@adv.example>", BODY));
    Adversarial {
        name: "arc-1000",
        raw: headers.into_bytes(),
        mail_from: "dana@adv.example",
    }
}

/// LINKS anchors, each to its own host and each showing another domain.
pub fn link_flood() -> Adversarial {
    let mut html = String::with_capacity(LINKS * 48);
    html.push_str("<html><body><p>Please sign in to keep your account:</p>\r\n");
    for i in 0..LINKS {
        let _ = write!(html, "<a href=https://l{i}.example>s{i}.example</a>\r\n");
    }
    html.push_str("</body></html>\r\n");
    let raw = format!(
        "From: Dana <dana@adv.example>\r\n{BASE_HEADERS}MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}"
    );
    Adversarial {
        name: "links-100000",
        raw: raw.into_bytes(),
        mail_from: "dana@adv.example",
    }
}

/// Multipart inside multipart, MIME_DEPTH levels deep.
pub fn mime_nesting() -> Adversarial {
    let mut body = String::new();
    for i in 0..MIME_DEPTH {
        let _ = write!(
            body,
            "--b{i}\r\nContent-Type: multipart/mixed; boundary=\"b{}\"\r\n\r\n",
            i + 1
        );
    }
    let _ = write!(
        body,
        "--b{MIME_DEPTH}\r\nContent-Type: text/plain\r\n\r\n{BODY}\r\n--b{MIME_DEPTH}--\r\n"
    );
    for i in (0..MIME_DEPTH).rev() {
        let _ = write!(body, "--b{i}--\r\n");
    }
    let raw = format!(
        "From: Dana <dana@adv.example>\r\n{BASE_HEADERS}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n{body}"
    );
    Adversarial {
        name: "mime-depth-5000",
        raw: raw.into_bytes(),
        mail_from: "dana@adv.example",
    }
}

/// A message attached inside a message, MESSAGE_DEPTH levels deep.
pub fn message_nesting() -> Adversarial {
    let mut raw = plain("Dana <dana@adv.example>", BODY);
    for _ in 0..MESSAGE_DEPTH {
        raw = format!(
            "From: Dana <dana@adv.example>\r\n{BASE_HEADERS}MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n{raw}"
        );
    }
    Adversarial {
        name: "rfc822-depth-1000",
        raw: raw.into_bytes(),
        mail_from: "dana@adv.example",
    }
}

/// MIME_PARTS sibling parts in one multipart.
pub fn part_flood() -> Adversarial {
    let mut body = String::with_capacity(MIME_PARTS * 64);
    for i in 0..MIME_PARTS {
        let _ = write!(
            body,
            "--p\r\nContent-Type: text/plain\r\n\r\nPart {i}: reset my password.\r\n"
        );
    }
    body.push_str("--p--\r\n");
    let raw = format!(
        "From: Dana <dana@adv.example>\r\n{BASE_HEADERS}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n{body}"
    );
    Adversarial {
        name: "parts-20000",
        raw: raw.into_bytes(),
        mail_from: "dana@adv.example",
    }
}

/// HEADER_FIELDS header fields before the usual ones, under one valid signature.
pub fn header_flood() -> Adversarial {
    let mut raw = String::with_capacity(HEADER_FIELDS * 24);
    for i in 0..HEADER_FIELDS {
        let _ = write!(raw, "X-Filler-{i}: {i}\r\n");
    }
    raw.push_str(&plain("Dana <dana@adv.example>", BODY));
    Adversarial {
        name: "headers-20000",
        raw: signed(&raw, 1, &["From", "To", "Subject"]),
        mail_from: "dana@adv.example",
    }
}

/// One valid signature whose h= lists SIGNED_NAMES header names, over a
/// message with many header fields: every name is looked up among them.
pub fn signed_names_flood() -> Adversarial {
    let mut raw = String::new();
    for i in 0..1_000 {
        let _ = write!(raw, "X-Filler-{i}: {i}\r\n");
    }
    raw.push_str(&plain("Dana <dana@adv.example>", BODY));
    let names: Vec<String> = (0..SIGNED_NAMES)
        .map(|i| format!("X-Absent-{i}"))
        .chain(["From".to_string()])
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    Adversarial {
        name: "signed-names-5000",
        raw: signed(&raw, 1, &names),
        mail_from: "dana@adv.example",
    }
}

/// LENGTH_SIGNATURES valid signatures over one LENGTH_BODY body, each with
/// its own body length count (`l=`): every count is a separate prefix to
/// canonicalize and hash.
pub fn body_length_flood() -> Adversarial {
    let line = "The quarterly figures are attached; please review them before Friday.\r\n";
    let body = line.repeat(LENGTH_BODY / line.len());
    let head = format!("From: Dana <dana@adv.example>\r\n{BASE_HEADERS}\r\n");
    let mut out = Vec::with_capacity(body.len() + LENGTH_SIGNATURES * 400);
    for i in 0..LENGTH_SIGNATURES {
        // A prefix of whole lines: raw and canonical lengths agree, so the
        // signer's l= (the raw length) is the canonical count.
        let prefix = &body[..body.len() - i * line.len()];
        let signature = DkimSigner::from_key(key())
            .domain(SIGNING_DOMAIN)
            .selector(format!("s{i}"))
            .headers(["From", "To", "Subject"])
            .body_length(true)
            .sign(format!("{head}{prefix}").as_bytes())
            .expect("mail-auth signs");
        out.extend_from_slice(signature.to_header().as_bytes());
    }
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body.as_bytes());
    Adversarial {
        name: "dkim-l-16x4mb",
        raw: out,
        mail_from: "dana@adv.example",
    }
}

/// Every adversarial message, the baseline first.
pub fn all() -> Vec<Adversarial> {
    vec![
        baseline(),
        from_flood(),
        dkim_flood(),
        arc_flood(),
        link_flood(),
        mime_nesting(),
        message_nesting(),
        part_flood(),
        header_flood(),
        signed_names_flood(),
        body_length_flood(),
    ]
}
