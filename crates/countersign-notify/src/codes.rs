//! Sending one-time codes over a channel the requester does not control:
//! the directory's email through the SMTP relay, or the directory's phone
//! through an SMS/voice provider's HTTP adapter.

use countersign_cases::CodeChannel;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Why a code could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No transport is configured for this channel.
    #[error("no {0} channel is configured (set {1} in the configuration)")]
    NotConfigured(&'static str, &'static str),
    /// The relay or adapter refused or failed.
    #[error("sending failed: {0}")]
    Failed(String),
    /// A configuration value is wrong.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Where codes go out.
#[derive(Clone)]
pub struct CodeSender {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    phone: Option<PhoneAdapter>,
}

impl std::fmt::Debug for CodeSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeSender")
            .field("smtp", &self.smtp.is_some())
            .field("phone", &self.phone.is_some())
            .finish()
    }
}

#[derive(Clone)]
struct PhoneAdapter {
    url: String,
    secret: String,
    client: reqwest::Client,
}

/// What the code message says; plain, no links (a link in a code message
/// is what a phishing portal would send).
pub fn message_text(code: &str, case_id: &str, lifetime_minutes: i64) -> String {
    let spaced = format!("{} {}", &code[..code.len() / 2], &code[code.len() / 2..]);
    format!(
        "Your verification code is {spaced}.\r\n\r\n\
         The IT help desk is verifying a request made in your name (case {case_id}).\r\n\
         Read this code only to the analyst on a call you can trust, or through the\r\n\
         channel they named. It expires in {lifetime_minutes} minutes.\r\n\r\n\
         If you did not make a request, do not share the code: tell your security team.\r\n"
    )
}

/// What a caller-verification code message says; plain, no links.
pub fn caller_code_text(
    code: &str,
    verification_id: &str,
    verifier: &str,
    lifetime_minutes: i64,
) -> String {
    let spaced = format!("{} {}", &code[..code.len() / 2], &code[code.len() / 2..]);
    format!(
        "Your verification code is {spaced}.\r\n\r\n\
         {verifier} is verifying a phone call in which the caller says they are you\r\n\
         (verification {verification_id}). If you are on that call, read this code to\r\n\
         them. It expires in {lifetime_minutes} minutes.\r\n\r\n\
         If you are not on such a call, someone is impersonating you: do not share the\r\n\
         code, and tell your security team.\r\n"
    )
}

impl CodeSender {
    /// A sender with the relay `smtp_url` (`smtp://host:port`,
    /// `smtps://host`, `smtp://host:587?tls=required`) sending as `from`, and
    /// the phone adapter at `phone_url` (POSTs signed JSON).
    pub fn new(
        smtp_url: Option<&str>,
        from: Option<&str>,
        phone_url: Option<&str>,
        phone_secret: Option<&str>,
    ) -> Result<Self, SendError> {
        let smtp = match smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| SendError::Config(format!("smtp relay {url:?}: {e}")))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build();
                let from = from.unwrap_or("Countersign <countersign@localhost>");
                let mailbox: Mailbox = from
                    .parse()
                    .map_err(|e| SendError::Config(format!("code sender {from:?}: {e}")))?;
                Some((transport, mailbox))
            }
            None => None,
        };
        let phone = match phone_url {
            Some(url) => Some(PhoneAdapter {
                url: url.to_owned(),
                secret: phone_secret.unwrap_or_default().to_owned(),
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(15))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| SendError::Config(e.to_string()))?,
            }),
            None => None,
        };
        Ok(Self { smtp, phone })
    }

    /// Whether `channel` can be used.
    pub fn supports(&self, channel: CodeChannel) -> bool {
        match channel {
            CodeChannel::Email => self.smtp.is_some(),
            CodeChannel::Sms | CodeChannel::Voice => self.phone.is_some(),
        }
    }

    /// Sends `code` for `case_id` to `destination` (already checked to be a
    /// directory channel).
    pub async fn send(
        &self,
        channel: CodeChannel,
        destination: &str,
        code: &str,
        case_id: &str,
        lifetime_minutes: i64,
    ) -> Result<(), SendError> {
        let text = message_text(code, case_id, lifetime_minutes);
        self.send_text(
            channel,
            destination,
            "Your help-desk verification code",
            text,
        )
        .await
    }

    /// Sends a caller-verification code to the directory email of the
    /// person a caller claims to be: if they are on that call, they read it
    /// to the person verifying; if not, someone is impersonating them.
    pub async fn send_caller_code(
        &self,
        destination: &str,
        code: &str,
        verification_id: &str,
        verifier: &str,
        lifetime_minutes: i64,
    ) -> Result<(), SendError> {
        self.send_text(
            CodeChannel::Email,
            destination,
            "Caller verification code",
            caller_code_text(code, verification_id, verifier, lifetime_minutes),
        )
        .await
    }

    async fn send_text(
        &self,
        channel: CodeChannel,
        destination: &str,
        subject: &str,
        text: String,
    ) -> Result<(), SendError> {
        match channel {
            CodeChannel::Email => {
                let (transport, from) = self
                    .smtp
                    .as_ref()
                    .ok_or(SendError::NotConfigured("email", "smtp_relay"))?;
                let to: Mailbox = destination
                    .parse()
                    .map_err(|e| SendError::Failed(format!("address {destination:?}: {e}")))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(text)
                    .map_err(|e| SendError::Failed(e.to_string()))?;
                transport
                    .send(message)
                    .await
                    .map_err(|e| SendError::Failed(e.to_string()))?;
                Ok(())
            }
            CodeChannel::Sms | CodeChannel::Voice => {
                let adapter = self
                    .phone
                    .as_ref()
                    .ok_or(SendError::NotConfigured("SMS/voice", "phone_adapter_url"))?;
                let body = serde_json::json!({
                    "channel": if channel == CodeChannel::Sms { "sms" } else { "voice" },
                    "to": destination,
                    "text": text,
                })
                .to_string();
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let resp = adapter
                    .client
                    .post(&adapter.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(
                        crate::webhook::SIGNATURE_HEADER,
                        crate::webhook::sign(&adapter.secret, now, body.as_bytes()),
                    )
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| SendError::Failed(e.without_url().to_string()))?;
                if !resp.status().is_success() {
                    return Err(SendError::Failed(format!(
                        "the phone adapter answered {}",
                        resp.status()
                    )));
                }
                Ok(())
            }
        }
    }
}
