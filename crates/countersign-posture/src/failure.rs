//! DMARC failure reports (RFC 6591 authentication failure reports in the
//! Abuse Reporting Format, RFC 5965), read with mail-auth's ARF parser.
//!
//! Some receivers send failure reports as plain text without the
//! `message/feedback-report` part (Exim's "DMARC Forensic Report", for
//! one). Those are recognised by their wording and read from their
//! `Name: value` lines; the report says it came from plain text.

use mail_auth::report::{AuthFailureType, DeliveryResult, Feedback, FeedbackType};
use mail_parser::MessageParser;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One failure report: what failed, from where, for which message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReport {
    /// `Feedback-Type` (`auth-failure` for DMARC).
    pub feedback_type: String,
    /// `Auth-Failure` (`dmarc`, `spf`, `dkim`, `bodyhash`, ...), when given.
    pub auth_failure: Option<String>,
    /// When the failing message arrived, Unix seconds.
    pub arrival_date: Option<i64>,
    /// The IP address that sent the failing message.
    pub source_ip: Option<IpAddr>,
    /// `Reported-Domain`: our domain, as the reporter saw it.
    pub reported_domain: Option<String>,
    /// The failing message's envelope sender.
    pub original_mail_from: Option<String>,
    /// Its envelope recipient.
    pub original_rcpt_to: Option<String>,
    /// What the receiver did (`delivered`, `spam`, `policy`, `reject`, `other`).
    pub delivery_result: Option<String>,
    /// `DKIM-Domain` of the failing signature.
    pub dkim_domain: Option<String>,
    /// `DKIM-Selector` of the failing signature.
    pub dkim_selector: Option<String>,
    /// The receiver's MTA.
    pub reporting_mta: Option<String>,
    /// The reporting software.
    pub user_agent: Option<String>,
    /// `Authentication-Results` the receiver recorded.
    pub authentication_results: Vec<String>,
    /// Incidents the report stands for.
    pub incidents: u32,
    /// From of the failing message, when its headers were included.
    pub original_from: Option<String>,
    /// Subject of the failing message, when included.
    pub original_subject: Option<String>,
    /// Message-ID of the failing message, when included.
    pub original_message_id: Option<String>,
    /// Who sent the report (its From address).
    pub reporter: Option<String>,
    /// Message-ID of the report itself.
    pub report_message_id: Option<String>,
    /// Read from a plain-text report without an ARF part.
    pub plain_text: bool,
}

/// Reads a failure report from a whole RFC 5322 message; `None` when the
/// message is not one.
pub fn parse_failure(message: &[u8]) -> Option<FailureReport> {
    let parsed = MessageParser::new().parse(message)?;
    let reporter = parsed
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_ascii_lowercase);
    let report_message_id = parsed.message_id().map(str::to_owned);
    let mut report = match Feedback::parse_rfc5322(message) {
        Ok(fb) => from_arf(&fb),
        Err(_) => plain_text(&parsed)?,
    };
    report.reporter = reporter;
    report.report_message_id = report_message_id;
    Some(report)
}

fn from_arf(fb: &Feedback<'_>) -> FailureReport {
    let opt = |c: &Option<std::borrow::Cow<'_, str>>| c.as_ref().map(|s| s.trim().to_owned());
    let mut r = FailureReport {
        feedback_type: feedback_type(fb.feedback_type).into(),
        auth_failure: auth_failure(fb.auth_failure).map(str::to_owned),
        arrival_date: fb.arrival_date,
        source_ip: fb.source_ip,
        reported_domain: fb
            .reported_domain
            .first()
            .map(|d| d.trim().to_ascii_lowercase()),
        original_mail_from: opt(&fb.original_mail_from).map(|s| strip_angle(&s)),
        original_rcpt_to: opt(&fb.original_rcpt_to).map(|s| strip_angle(&s)),
        delivery_result: delivery_result(fb.delivery_result).map(str::to_owned),
        dkim_domain: opt(&fb.dkim_domain),
        dkim_selector: opt(&fb.dkim_selector),
        reporting_mta: opt(&fb.reporting_mta),
        user_agent: opt(&fb.user_agent),
        authentication_results: fb
            .authentication_results
            .iter()
            .map(|s| s.trim().to_owned())
            .collect(),
        incidents: fb.incidents.max(1),
        ..Default::default()
    };
    let headers = fb.headers.as_deref().or(fb.message.as_deref());
    if let Some(h) = headers {
        original_headers(&mut r, h.as_bytes());
    }
    r
}

/// From, Subject and Message-ID of the included original message.
fn original_headers(r: &mut FailureReport, headers: &[u8]) {
    let Some(orig) = MessageParser::new().parse_headers(headers) else {
        return;
    };
    r.original_from = orig
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_ascii_lowercase);
    r.original_subject = orig.subject().map(str::to_owned);
    r.original_message_id = orig.message_id().map(str::to_owned);
}

fn strip_angle(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

fn feedback_type(t: FeedbackType) -> &'static str {
    match t {
        FeedbackType::Abuse => "abuse",
        FeedbackType::AuthFailure => "auth-failure",
        FeedbackType::Fraud => "fraud",
        FeedbackType::NotSpam => "not-spam",
        FeedbackType::Other => "other",
        FeedbackType::Virus => "virus",
    }
}

fn auth_failure(t: AuthFailureType) -> Option<&'static str> {
    Some(match t {
        AuthFailureType::Adsp => "adsp",
        AuthFailureType::BodyHash => "bodyhash",
        AuthFailureType::Revoked => "revoked",
        AuthFailureType::Signature => "signature",
        AuthFailureType::Spf => "spf",
        AuthFailureType::Dmarc => "dmarc",
        AuthFailureType::Unspecified => return None,
    })
}

fn delivery_result(t: DeliveryResult) -> Option<&'static str> {
    Some(match t {
        DeliveryResult::Delivered => "delivered",
        DeliveryResult::Spam => "spam",
        DeliveryResult::Policy => "policy",
        DeliveryResult::Reject => "reject",
        DeliveryResult::Other => "other",
        DeliveryResult::Unspecified => return None,
    })
}

/// A plain-text DMARC failure report (no ARF part), recognised by its
/// subject or wording, read from its `Name: value` lines.
fn plain_text(msg: &mail_parser::Message<'_>) -> Option<FailureReport> {
    let subject = msg.subject().unwrap_or_default().to_ascii_lowercase();
    let body = msg.body_text(0)?;
    let lower = body.to_ascii_lowercase();
    let looks_like = (subject.contains("dmarc")
        && (subject.contains("forensic") || subject.contains("failure")))
        || lower.contains("failed the published dmarc policy");
    if !looks_like {
        return None;
    }
    let mut r = FailureReport {
        feedback_type: "auth-failure".into(),
        auth_failure: Some("dmarc".into()),
        incidents: 1,
        plain_text: true,
        ..Default::default()
    };
    let mut header_copy = None;
    for (i, line) in body.lines().enumerate() {
        let Some((name, value)) = line.split_once(':') else {
            if line.starts_with("------") && lower.contains("copy of the headers") {
                header_copy = Some(i + 1);
                break;
            }
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "sender domain" | "reported domain" => {
                r.reported_domain = Some(value.to_ascii_lowercase())
            }
            "sender ip address" | "source ip" | "source-ip" => r.source_ip = value.parse().ok(),
            "received date" => {
                r.arrival_date =
                    mail_parser::DateTime::parse_rfc822(value).map(|d| d.to_timestamp())
            }
            _ => {}
        }
    }
    if let Some(start) = header_copy {
        let rest: Vec<&str> = body.lines().skip(start).collect();
        let text = rest.join("\r\n");
        let trimmed = text.trim_start_matches(['\r', '\n']);
        original_headers(&mut r, trimmed.as_bytes());
    }
    // Without a domain and an address this is not a report we can use.
    (r.reported_domain.is_some() || r.source_ip.is_some()).then_some(r)
}
