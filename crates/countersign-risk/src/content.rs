//! What a message says, decoded once: the headers that name its senders, the
//! text of its parts, its attachments and the indicators in its text.
//!
//! [`MessageContent::parse`] never fails and never panics: whatever
//! `mail-parser` cannot make sense of is kept as raw text where possible and
//! described in [`MessageContent::defects`], so the policy can quarantine a
//! broken message instead of losing it.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

use countersign_model::bounds::{BoundHit, MAX_MIME_PARTS, MAX_REPLY_TO_ADDRESSES, WorkBound};
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::extract::{
    Links, bare_domain, emails_in_text, first_url_host, phones_in_text, push_unique, url_host,
    url_hosts_in_text,
};
use crate::html;
use crate::report;

/// MIME nesting deeper than this is a work bound hit (see
/// [`countersign_model::bounds`]).
pub use countersign_model::bounds::MAX_MIME_DEPTH;

/// Messages attached inside messages deeper than this are not opened, and
/// that is a work bound hit.
pub use countersign_model::bounds::MAX_MESSAGE_DEPTH;

/// A mailbox from a header: display name and address, either may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Mailbox {
    /// The display name, decoded (`"Microsoft Support"`).
    pub name: Option<String>,
    /// The address (`support@example.com`).
    pub address: Option<String>,
}

/// A part of the message that is not body text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Attachment {
    /// The file name from `Content-Disposition` or `Content-Type`.
    pub name: Option<String>,
    /// The media type, lowercase (`application/pdf`).
    pub content_type: String,
    /// For an attached web page (HTML, XHTML, SVG): what it does when
    /// opened, if anything beyond showing itself.
    pub page: Option<ActivePage>,
}

/// What an attached web page does beyond showing itself. Opened from the
/// disk, a page is out of reach of every link check on the way, which is
/// why sign-in traps travel as attachments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ActivePage {
    /// It has a password field.
    pub password_field: bool,
    /// It has a form that sends what is typed to a web site.
    pub form_to_site: bool,
    /// A script or a refresh sends the browser to another page as it opens.
    pub redirects: bool,
    /// A script decodes content it carries hidden (`atob`, `fromCharCode`,
    /// a blob it saves or opens): the page builds itself out of sight.
    pub decodes_hidden: bool,
}

impl ActivePage {
    /// The most telling thing the page does, in words.
    pub fn describe(&self) -> &'static str {
        if self.password_field {
            "has a password field"
        } else if self.form_to_site {
            "sends a form to a web site"
        } else if self.redirects {
            "sends the browser to another page as it opens"
        } else {
            "decodes hidden content with a script"
        }
    }

    /// Whether it asks for what the reader types in: a sign-in page.
    pub fn asks_sign_in(&self) -> bool {
        self.password_field || self.form_to_site
    }

    /// Reads the markup of an attached page (the first
    /// [`MAX_PAGE_BYTES`]) in one pass, so the work over a message's pages
    /// is linear in their size, as decoding them was; `None` when it only
    /// shows itself.
    pub fn of(markup: &[u8]) -> Option<Self> {
        // What each marker shows, in the order of `PAGE_MARKERS`.
        const PASSWORD: usize = 0;
        const FORM: usize = 1;
        const ACTIONS: std::ops::Range<usize> = 2..4;
        const REDIRECTS: std::ops::Range<usize> = 4..12;
        const SCRIPT: usize = 12;
        const DECODERS: std::ops::Range<usize> = 13..18;
        const PAGE_MARKERS: [&str; 18] = [
            "type=password",
            "<form",
            "action=http",
            "action=//",
            "window.location",
            "document.location",
            "top.location",
            "self.location",
            "location.href=",
            "location.replace(",
            "location.assign(",
            "http-equiv=refresh",
            "<script",
            "atob(",
            "unescape(",
            "fromcharcode(",
            "createobjecturl(",
            "mssaveoropenblob(",
        ];
        static MARKERS: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
        let markers = MARKERS.get_or_init(|| {
            aho_corasick::AhoCorasick::new(PAGE_MARKERS).expect("page markers build an automaton")
        });
        let head = &markup[..markup.len().min(MAX_PAGE_BYTES)];
        // Case, spaces and quotes folded away, so that `type = 'password'`
        // and `TYPE=password` read alike.
        let compact: Vec<u8> = head
            .iter()
            .filter(|b| !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\'' | b'`'))
            .map(u8::to_ascii_lowercase)
            .collect();
        let mut seen = [false; PAGE_MARKERS.len()];
        for m in markers.find_overlapping_iter(&compact) {
            seen[m.pattern().as_usize()] = true;
        }
        let any = |r: std::ops::Range<usize>| seen[r].iter().any(|&s| s);
        let page = Self {
            password_field: seen[PASSWORD],
            form_to_site: seen[FORM] && any(ACTIONS),
            redirects: any(REDIRECTS),
            decodes_hidden: seen[SCRIPT] && any(DECODERS),
        };
        (page != Self::default()).then_some(page)
    }
}

/// How much of an attached page is read for what it does.
pub const MAX_PAGE_BYTES: usize = 512 * 1024;

/// Whether a part is a web page, by its media type or its file name.
fn is_page(content_type: &str, name: Option<&str>) -> bool {
    matches!(
        content_type,
        "text/html" | "application/xhtml+xml" | "image/svg+xml"
    ) || name.is_some_and(|n| {
        let lower = n.trim().to_ascii_lowercase();
        [".htm", ".html", ".shtml", ".xhtml", ".svg"]
            .iter()
            .any(|e| lower.ends_with(e))
    })
}

/// An HTML anchor whose visible text names one domain while its link goes to
/// another: the classic "the link says microsoft.com" trick.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkMismatch {
    /// The domain the reader sees.
    pub visible: String,
    /// The domain the link goes to.
    pub target: String,
}

/// What a message says about being list or bulk mail (RFC 2369 and 2919
/// `List-*`, the older `Mailing-List`, `Precedence`, RFC 3834
/// `Auto-Submitted`). Empty for ordinary person-to-person mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ListHeaders {
    /// The `List-Id` identifier, lowercase, without angle brackets
    /// (`staff.lists.example.org`).
    pub id: Option<String>,
    /// Addresses the list names for itself, lowercase: the `mailto:` targets
    /// of `List-Post`, `List-Help`, `List-Subscribe`, `List-Unsubscribe` and
    /// `List-Owner`, the `Mailing-List` address, `Errors-To`.
    pub addresses: Vec<String>,
    /// Whether the message offers `List-Unsubscribe` (bulk senders do).
    pub unsubscribe: bool,
    /// The `Precedence` value, lowercase (`list`, `bulk`).
    pub precedence: Option<String>,
    /// The `Auto-Submitted` value, lowercase, unless `no`.
    pub auto_submitted: Option<String>,
}

impl ListHeaders {
    /// Whether the message says it was sent by a mailing list.
    pub fn is_list(&self) -> bool {
        self.id.is_some()
            || !self.addresses.is_empty()
            || self.precedence.as_deref() == Some("list")
    }

    /// Whether the message says it is bulk or automated mail.
    pub fn is_bulk(&self) -> bool {
        self.is_list()
            || self.unsubscribe
            || self.auto_submitted.is_some()
            || matches!(self.precedence.as_deref(), Some("bulk" | "junk"))
    }
}

/// The decoded content of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MessageContent {
    /// The first mailbox of the first `From` header.
    pub from: Option<Mailbox>,
    /// The `Reply-To` addresses (the first [`MAX_REPLY_TO_ADDRESSES`]).
    pub reply_to: Vec<String>,
    /// The `Return-Path` address, without angle brackets (empty for `<>`).
    pub return_path: Option<String>,
    /// The `Sender` address.
    pub sender: Option<String>,
    /// The decoded `Subject`.
    pub subject: Option<String>,
    /// The decoded text of every text part that is not an attachment,
    /// including those of attached messages.
    pub text_parts: Vec<String>,
    /// The visible text of every HTML part that is not an attachment: tags,
    /// scripts and styles removed, entities decoded, U+E000 after the text
    /// of each link to a web page (the recogniser reads a link there; see
    /// [`MessageContent::shown_parts`] for text to show a person).
    pub html_parts: Vec<String>,
    /// Every other part: files, inline images, attached messages.
    pub attachments: Vec<Attachment>,
    /// The host of every link (HTML `href`/`src`, and `http(s)://` or `www.`
    /// URLs in text), lowercase, internationalised names as A-labels
    /// (`xn--...`), first occurrence first, without duplicates; the first
    /// `MAX_LINK_DOMAINS` hosts of the first `MAX_LINKS` links.
    pub link_domains: Vec<String>,
    /// Anchors whose visible domain differs from their target's.
    pub link_mismatches: Vec<LinkMismatch>,
    /// Email addresses written into links' paths or queries
    /// (`https://sign.example/d/7?email=ana%40org.example`), lowercase:
    /// pages prefilled with someone's address.
    pub link_addresses: Vec<String>,
    /// Phone numbers written in the text; see `extract.rs` for the forms
    /// recognised. International numbers are `+` and digits.
    pub phone_numbers: Vec<String>,
    /// Email addresses written in the text (and `mailto:` links), lowercase.
    pub body_emails: Vec<String>,
    /// Mailing-list and bulk headers.
    pub list: ListHeaders,
    /// What was wrong with the message's structure: broken MIME, undecodable
    /// parts, unknown charsets, missing headers. Empty for a well-formed
    /// message.
    pub defects: Vec<String>,
    /// The work bounds the message went past (MIME parts and nesting, links,
    /// link domains, Reply-To addresses): what lies past them was not read.
    pub work_bounds: Vec<BoundHit>,
    /// A message forwarded or attached to be reported as suspicious (see
    /// `report.rs`), kept apart from the writer's own words: what it asks
    /// is not the writer's request, and its links and numbers are not his.
    pub reported: Option<Reported>,
}

/// The reported message of a report, and why the message reads as one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reported {
    /// The writer's words that call the reported message into doubt.
    pub doubt: String,
    /// The reported message's text, as it was set apart.
    pub text: Vec<String>,
}

/// The first mailbox of a From header. A display name with an unquoted
/// comma (`From: Doe, Jane <jane@example.org>`, which some clients and many
/// attackers write) parses as an address-less "Doe" followed by "Jane
/// <jane@example.org>": the pieces are joined back into "Doe, Jane".
fn first_mailbox(address: &mail_parser::Address<'_>) -> Option<Mailbox> {
    let mut names: Vec<&str> = Vec::new();
    for addr in address.iter() {
        if let Some(email) = addr.address() {
            names.extend(addr.name());
            let name = (!names.is_empty()).then(|| names.join(", "));
            return Some(Mailbox {
                name,
                address: Some(email.to_owned()),
            });
        }
        match addr.name() {
            // Only bare words before the first address are name pieces.
            Some(name) if !name.contains('@') && names.len() < 4 => names.push(name),
            _ => break,
        }
    }
    address.first().map(|a| Mailbox {
        name: a.name().map(str::to_owned),
        address: a.address().map(str::to_owned),
    })
}

/// Email addresses in a list header: `mailto:` URLs (query dropped) and
/// bare addresses (`Mailing-List: list staff@example.org; contact ...`).
fn list_header_addresses(value: &str) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '(' | ')'))
        .filter_map(|word| {
            let word = word.strip_prefix("mailto:").unwrap_or(word);
            let word = word.split('?').next().unwrap_or(word);
            let (local, domain) = word.split_once('@')?;
            (!local.is_empty() && domain.contains('.')).then(|| word.to_ascii_lowercase())
        })
        .collect()
}

fn parser() -> &'static MessageParser {
    static PARSER: OnceLock<MessageParser> = OnceLock::new();
    PARSER.get_or_init(MessageParser::default)
}

impl MessageContent {
    /// The first attached page that does what `wanted` asks of it, with
    /// its file name.
    pub fn attached_page(
        &self,
        wanted: impl Fn(&ActivePage) -> bool,
    ) -> Option<(&str, ActivePage)> {
        self.attachments.iter().find_map(|a| {
            a.page
                .filter(|p| wanted(p))
                .map(|p| (a.name.as_deref().unwrap_or("(unnamed page)"), p))
        })
    }

    /// The text and HTML parts as a person reads them, without the marks
    /// the recogniser reads.
    pub fn shown_parts(&self) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
        self.text_parts.iter().chain(&self.html_parts).map(|t| {
            if t.contains(crate::normalize::LINK_END) {
                std::borrow::Cow::Owned(t.replace(crate::normalize::LINK_END, ""))
            } else {
                std::borrow::Cow::Borrowed(t.as_str())
            }
        })
    }

    /// Parses a raw RFC 5322 message. Never fails: see the module docs.
    pub fn parse(raw: &[u8]) -> MessageContent {
        let mut content = MessageContent::default();
        let Some(message) = parser().parse(raw) else {
            content.defects.push("no message headers found".to_owned());
            // Keep whatever text there is, so a headerless request is still
            // read by the rules.
            let text = String::from_utf8_lossy(raw);
            if !text.trim().is_empty() {
                content.text_parts.push(text.into_owned());
            }
            content.extract_indicators(&[], &mut Links::default());
            return content;
        };
        content.read_headers(&message);
        let mut anchors = Vec::new();
        let mut links = Links::default();
        let (mut parts_seen, mut mime_depth, mut message_depth) = (0usize, 0usize, 0usize);
        // Attached messages are opened with a work list, not recursion, so
        // nesting depth cannot exhaust the stack.
        let mut work: Vec<(&Message<'_>, usize)> = vec![(&message, 0)];
        // Whether attached messages are reported ones: decided from the
        // outer message's words, which are all read before the first
        // attached message is opened.
        let mut attached_reported: Option<Option<&'static str>> = None;
        while let Some((msg, depth)) = work.pop() {
            mime_depth = mime_depth.max(deepest_part(msg));
            if depth > 0 && attached_reported.is_none() {
                let own: Vec<&str> = content
                    .text_parts
                    .iter()
                    .chain(&content.html_parts)
                    .map(String::as_str)
                    .collect();
                attached_reported = Some(report::reads_as_report(
                    content.subject.as_deref(),
                    &own.join("\n"),
                ));
            }
            let reported_doubt = attached_reported.flatten().filter(|_| depth > 0);
            for (index, part) in msg.parts.iter().enumerate() {
                parts_seen += 1;
                if parts_seen > MAX_MIME_PARTS {
                    // Counted, not read; attached messages in them neither.
                    continue;
                }
                content.check_part(index, part);
                match &part.body {
                    PartType::Text(text) | PartType::Html(text)
                        if !is_attachment(part)
                            && let Some(doubt) = reported_doubt =>
                    {
                        let text = match &part.body {
                            PartType::Html(source) => html::strip(source, 0).text,
                            _ => text.to_string(),
                        };
                        content
                            .reported
                            .get_or_insert_with(|| Reported {
                                doubt: doubt.to_owned(),
                                text: Vec::new(),
                            })
                            .text
                            .push(text);
                    }
                    PartType::Text(text) if !is_attachment(part) => {
                        content.text_parts.push(text.to_string());
                    }
                    PartType::Html(source) if !is_attachment(part) => {
                        let stripped = html::strip(source, links.left());
                        for url in &stripped.urls {
                            if links.admit() {
                                content.link_from_url(url, &mut links);
                            }
                        }
                        links.skipped(stripped.urls_seen - stripped.urls.len());
                        anchors.extend(stripped.anchors);
                        content.html_parts.push(stripped.text);
                    }
                    PartType::Multipart(_) => {}
                    PartType::Message(inner) => {
                        content.push_attachment(part);
                        if depth + 1 > MAX_MESSAGE_DEPTH {
                            message_depth = message_depth.max(depth + deepest_message(inner));
                        } else {
                            work.push((inner, depth + 1));
                        }
                    }
                    PartType::Binary(bytes) | PartType::InlineBinary(bytes)
                        if is_broken_container(part) =>
                    {
                        // A multipart whose boundary is missing is really
                        // text; reading it keeps its words in front of the
                        // rules.
                        content
                            .text_parts
                            .push(String::from_utf8_lossy(bytes).into_owned());
                    }
                    _ => content.push_attachment(part),
                }
            }
        }
        if content.reported.is_none() {
            content.set_apart_forwarded_report();
        }
        content.extract_indicators(&anchors, &mut links);
        content.work_bounds.extend(
            [
                BoundHit::check(WorkBound::MimeParts, parts_seen),
                BoundHit::check(WorkBound::MimeDepth, mime_depth),
                BoundHit::check(WorkBound::MessageDepth, message_depth),
            ]
            .into_iter()
            .flatten()
            .chain(links.bound_hits()),
        );
        content
    }

    /// Content for text that did not arrive as an email (a help-desk ticket,
    /// a chat message): the same indicators are extracted from it.
    pub fn from_text(subject: &str, body: &str) -> MessageContent {
        let mut content = MessageContent {
            subject: (!subject.is_empty()).then(|| subject.to_owned()),
            text_parts: vec![body.to_owned()],
            ..MessageContent::default()
        };
        content.extract_indicators(&[], &mut Links::default());
        content
    }

    fn defect(&mut self, defect: String) {
        if !self.defects.contains(&defect) {
            self.defects.push(defect);
        }
    }

    fn read_headers(&mut self, message: &Message<'_>) {
        self.from = message.from().and_then(first_mailbox);
        if self.from.as_ref().is_none_or(|m| m.address.is_none()) {
            self.defect("no usable From address".to_owned());
        }
        if let Some(reply_to) = message.reply_to() {
            let mut count = 0;
            for address in reply_to.iter().filter_map(|a| a.address()) {
                count += 1;
                if count <= MAX_REPLY_TO_ADDRESSES {
                    self.reply_to.push(address.to_owned());
                }
            }
            self.work_bounds
                .extend(BoundHit::check(WorkBound::ReplyToAddresses, count));
        }
        self.return_path = match message.return_path() {
            HeaderValue::Text(t) => Some(strip_angles(t)),
            HeaderValue::TextList(list) => list.last().map(|t| strip_angles(t)),
            HeaderValue::Address(a) => a.first().and_then(|a| a.address()).map(str::to_owned),
            _ => None,
        };
        self.sender = message
            .sender()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_owned);
        self.subject = message.subject().map(str::to_owned);
        self.read_list_headers(message);
    }

    fn read_list_headers(&mut self, message: &Message<'_>) {
        // One pass over the header section; most mail has none of these.
        let list = &mut self.list;
        for header in message.headers() {
            let name = header.name.as_str();
            let known = [
                "List-Id",
                "List-Post",
                "List-Help",
                "List-Subscribe",
                "List-Unsubscribe",
                "List-Owner",
                "Mailing-List",
                "Errors-To",
                "Precedence",
                "Auto-Submitted",
            ];
            let Some(&field) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
                continue;
            };
            let Some(value) = message
                .raw_message
                .get(header.offset_start as usize..header.offset_end as usize)
                .and_then(|raw| std::str::from_utf8(raw).ok())
                .map(str::trim)
            else {
                continue;
            };
            match field {
                "List-Id" => {
                    let id = match (value.rfind('<'), value.rfind('>')) {
                        (Some(a), Some(b)) if a < b => &value[a + 1..b],
                        _ => value,
                    };
                    let id = id.trim().to_ascii_lowercase();
                    if !id.is_empty() {
                        list.id = Some(id);
                    }
                }
                "Precedence" => list.precedence = Some(value.to_ascii_lowercase()),
                "Auto-Submitted" => {
                    let value = value.to_ascii_lowercase();
                    if !value.starts_with("no") {
                        list.auto_submitted = Some(value);
                    }
                }
                _ => {
                    if field == "List-Unsubscribe" {
                        list.unsubscribe = true;
                    }
                    for address in list_header_addresses(value) {
                        push_unique(&mut list.addresses, address);
                    }
                }
            }
        }
    }

    fn check_part(&mut self, index: usize, part: &MessagePart<'_>) {
        let content_type = part.content_type();
        let is_multipart =
            content_type.is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"));
        if is_multipart && !matches!(part.body, PartType::Multipart(_)) {
            let reason = if content_type.is_some_and(|ct| ct.attribute("boundary").is_none()) {
                "has no boundary"
            } else {
                "boundary never occurs"
            };
            self.defect(format!("part {index}: multipart {reason}; kept as text"));
        } else if part.is_encoding_problem {
            self.defect(format!(
                "part {index}: content could not be decoded; kept as raw text"
            ));
        }
        if let Some(cte) = part.content_transfer_encoding() {
            let known = ["7bit", "8bit", "binary", "base64", "quoted-printable"];
            if !known.iter().any(|k| cte.trim().eq_ignore_ascii_case(k)) {
                self.defect(format!(
                    "part {index}: unknown Content-Transfer-Encoding {:?}",
                    cte.trim()
                ));
            }
        }
        let text = match &part.body {
            PartType::Text(t) | PartType::Html(t) => t,
            _ => return,
        };
        if let Some(charset) = content_type.and_then(|ct| ct.attribute("charset")) {
            let c = charset.trim().to_ascii_lowercase().replace('_', "-");
            let utf8 = matches!(c.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii" | "");
            if !utf8 && charset_decoder(charset.trim().as_bytes()).is_none() {
                self.defect(format!(
                    "part {index}: unknown charset {:?}",
                    charset.trim()
                ));
                return;
            }
        }
        if text.contains('\u{FFFD}') {
            self.defect(format!("part {index}: text is not valid in its charset"));
        }
    }

    fn push_attachment(&mut self, part: &MessagePart<'_>) {
        let content_type = part.content_type().map_or_else(
            || "application/octet-stream".to_owned(),
            |ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            },
        );
        let content_type =
            if matches!(part.body, PartType::Message(_)) && part.content_type().is_none() {
                "message/rfc822".to_owned()
            } else {
                content_type
            };
        let name = part.attachment_name();
        let page = match &part.body {
            _ if !is_page(&content_type, name) => None,
            PartType::Html(markup) | PartType::Text(markup) => ActivePage::of(markup.as_bytes()),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => ActivePage::of(bytes),
            _ => None,
        };
        self.attachments.push(Attachment {
            name: name.map(str::to_owned),
            content_type,
            page,
        });
    }

    fn link_from_url(&mut self, url: &str, links: &mut Links) {
        let trimmed = url.trim();
        let scheme = |p: &str| {
            trimmed.len() > p.len()
                && trimmed.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
        };
        if scheme("mailto:") {
            let address = trimmed[7..].split(['?', ',']).next().unwrap_or_default();
            emails_in_text(&percent_decode(address), &mut self.body_emails);
        } else if scheme("tel:") || scheme("callto:") {
            let number = trimmed.split_once(':').map_or("", |(_, n)| n);
            phones_in_text(&percent_decode(number), &mut self.phone_numbers);
        } else if let Some(host) = url_host(trimmed) {
            links.add_host(host);
            if let Some((_, rest)) = trimmed.split_once("//") {
                links.add_addresses(rest);
            }
        }
    }

    /// A report forwarded inline: when the writer's words above a forward
    /// separator doubt what follows, the rest of each part is set apart as
    /// the reported message.
    fn set_apart_forwarded_report(&mut self) {
        let Some(first) = self.text_parts.first().or(self.html_parts.first()) else {
            return;
        };
        let Some(at) = report::forward_start(first) else {
            return;
        };
        let Some(doubt) = report::reads_as_report(self.subject.as_deref(), &first[..at]) else {
            return;
        };
        let mut text = Vec::new();
        for part in &mut self.text_parts {
            if let Some(at) = report::forward_start(part) {
                text.push(part.split_off(at));
            }
        }
        // An HTML twin whose separator did not survive the stripping of
        // its tags goes whole: its plain part keeps the writer's words.
        let twins = !self.text_parts.is_empty();
        let mut kept = Vec::new();
        for mut part in std::mem::take(&mut self.html_parts) {
            match report::forward_start(&part) {
                Some(at) => {
                    text.push(part.split_off(at));
                    kept.push(part);
                }
                None if twins => text.push(part),
                None => kept.push(part),
            }
        }
        self.html_parts = kept;
        self.reported = Some(Reported {
            doubt: doubt.to_owned(),
            text,
        });
    }

    /// Links, email addresses and phone numbers of the text, and the link
    /// mismatches of `anchors` (at most `MAX_LINKS` of them, see `parse`).
    fn extract_indicators(&mut self, anchors: &[(String, String)], links: &mut Links) {
        let texts: Vec<&str> = self
            .subject
            .iter()
            .chain(&self.text_parts)
            .chain(&self.html_parts)
            .map(String::as_str)
            .collect();
        let (mut emails, mut phones) = (Vec::new(), Vec::new());
        for text in texts {
            url_hosts_in_text(text, links);
            emails_in_text(text, &mut emails);
            phones_in_text(text, &mut phones);
        }
        // Hosts from hrefs first, then from text, as first seen.
        self.link_domains = std::mem::take(&mut links.hosts);
        self.link_addresses = std::mem::take(&mut links.addresses);
        for email in emails {
            push_unique(&mut self.body_emails, email);
        }
        for phone in phones {
            push_unique(&mut self.phone_numbers, phone);
        }
        let mut mismatches: HashSet<(String, String)> = HashSet::new();
        for (href, visible) in anchors {
            let Some(target) = url_host(href) else {
                continue;
            };
            let Some(shown) = first_url_host(visible).or_else(|| bare_domain(visible)) else {
                continue;
            };
            if !same_site(&shown, &target) && mismatches.insert((shown.clone(), target.clone())) {
                self.link_mismatches.push(LinkMismatch {
                    visible: shown,
                    target,
                });
            }
        }
    }
}

/// How deep multiparts nest in `msg` (0 for a single part), walked with a
/// stack, not recursion.
fn deepest_part(msg: &Message<'_>) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(0usize, 0usize)];
    while let Some((index, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        if let Some(PartType::Multipart(children)) = msg.parts.get(index).map(|p| &p.body) {
            // Children always follow their parent; anything else would be a
            // cycle.
            stack.extend(
                children
                    .iter()
                    .map(|&c| c as usize)
                    .filter(|&c| c > index)
                    .map(|c| (c, depth + 1)),
            );
        }
    }
    deepest
}

/// How many levels of messages `msg` holds, itself included: 1 when it
/// attaches none.
fn deepest_message(msg: &Message<'_>) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(msg, 1usize)];
    while let Some((msg, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        for part in &msg.parts {
            if let PartType::Message(inner) = &part.body {
                stack.push((inner, depth + 1));
            }
        }
    }
    deepest
}

/// A part declared multipart that `mail-parser` could not split.
fn is_broken_container(part: &MessagePart<'_>) -> bool {
    part.content_type()
        .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
        && !is_attachment(part)
}

fn is_attachment(part: &MessagePart<'_>) -> bool {
    part.attachment_name().is_some()
        || part
            .content_disposition()
            .is_some_and(|d| d.is_attachment())
}

fn strip_angles(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

/// Whether two hosts belong together: equal, or one a subdomain of the other
/// (`www.` ignored). Registrable-domain comparison needs the Public Suffix
/// List and is left to the impersonation checks.
fn same_site(a: &str, b: &str) -> bool {
    let a = a.strip_prefix("www.").unwrap_or(a);
    let b = b.strip_prefix("www.").unwrap_or(b);
    a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"))
}

pub(crate) fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}
