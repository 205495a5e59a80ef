//! The one-step report of a suspicious offer: one form or one API call.
//! Free text from anyone in the company, so every field is bounded; it is
//! stored and shown as text, never rendered as HTML.

use crate::indicators::{Context, Indicators, OfferKind, RequestKind, kinds_in};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Longest free-text field.
pub const MAX_DETAILS: usize = 10_000;
/// Longest short field.
pub const MAX_FIELD: usize = 300;

/// How the offer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportChannel {
    /// A phone call.
    Phone,
    /// An email.
    Email,
    /// A chat message.
    Chat,
    /// A text message.
    Sms,
    /// In person.
    InPerson,
}

/// The report as the employee gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportForm {
    /// phone, email, chat, sms or in_person.
    pub channel: String,
    /// Who the person claimed to be (a name).
    #[serde(default)]
    pub claimed_name: Option<String>,
    /// The staff ID they gave, if any.
    #[serde(default)]
    pub claimed_staff_id: Option<String>,
    /// Whom they claimed to represent ("IT", a vendor).
    #[serde(default)]
    pub claimed_organisation: Option<String>,
    /// The number or address they used or gave.
    #[serde(default)]
    pub contact: Option<String>,
    /// What they offered: tech_support, survey_reward, job_offer, upgrade, patch.
    #[serde(default)]
    pub offered: Vec<String>,
    /// What they asked for: credentials, mfa, access, remote_tool, install, payment, data.
    #[serde(default)]
    pub asked: Vec<String>,
    /// What happened, in the employee's words.
    #[serde(default)]
    pub details: String,
}

/// A report checked and classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportBody {
    /// How it came.
    pub channel: ReportChannel,
    /// The form as given (bounded).
    pub form: ReportForm,
    /// Offer kinds: chosen, or found in the words.
    pub offered: BTreeSet<OfferKind>,
    /// Request kinds: chosen, found in the words, or found by the engine.
    pub asked: BTreeSet<RequestKind>,
    /// Indicators extracted.
    pub indicators: Indicators,
}

/// What was wrong with a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FormError {
    /// The field.
    pub field: &'static str,
    /// Why.
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FormError {
    FormError {
        field,
        message: message.into(),
    }
}

fn short(field: &'static str, v: &Option<String>) -> Result<(), FormError> {
    match v {
        Some(t) if t.chars().count() > MAX_FIELD => {
            Err(err(field, format!("at most {MAX_FIELD} characters")))
        }
        Some(t) if t.chars().any(|c| c.is_control() && c != '\t') => {
            Err(err(field, "one line of text"))
        }
        _ => Ok(()),
    }
}

fn parse_enum<T>(
    field: &'static str,
    values: &[String],
    allowed: &str,
) -> Result<BTreeSet<T>, FormError>
where
    T: for<'de> Deserialize<'de> + Ord,
{
    if values.len() > 10 {
        return Err(err(field, "at most 10 entries"));
    }
    values
        .iter()
        .map(|v| {
            serde_json::from_value(serde_json::Value::String(v.trim().to_owned()))
                .map_err(|_| err(field, format!("{v:?}: one of {allowed}")))
        })
        .collect()
}

/// Checks a form, classifies it and extracts its indicators. `has_message`
/// says whether a forwarded message comes with it (then `details` may be empty).
pub fn check(
    form: ReportForm,
    has_message: bool,
    cx: &Context<'_>,
) -> Result<ReportBody, FormError> {
    let channel = match form.channel.trim() {
        "phone" => ReportChannel::Phone,
        "email" => ReportChannel::Email,
        "chat" => ReportChannel::Chat,
        "sms" => ReportChannel::Sms,
        "in_person" => ReportChannel::InPerson,
        other => {
            return Err(err(
                "channel",
                format!("{other:?}: one of phone, email, chat, sms, in_person"),
            ));
        }
    };
    short("claimed_name", &form.claimed_name)?;
    short("claimed_staff_id", &form.claimed_staff_id)?;
    short("claimed_organisation", &form.claimed_organisation)?;
    short("contact", &form.contact)?;
    if form.details.chars().count() > MAX_DETAILS {
        return Err(err("details", format!("at most {MAX_DETAILS} characters")));
    }
    if form.details.trim().is_empty() && !has_message {
        return Err(err("details", "say what happened (or attach the message)"));
    }
    let mut offered: BTreeSet<OfferKind> = parse_enum(
        "offered",
        &form.offered,
        "tech_support, survey_reward, job_offer, upgrade, patch",
    )?;
    let mut asked: BTreeSet<RequestKind> = parse_enum(
        "asked",
        &form.asked,
        "credentials, mfa, access, remote_tool, install, payment, data",
    )?;
    let (o, a) = kinds_in(&form.details);
    offered.extend(o);
    asked.extend(a);
    let mut indicators = Indicators::default();
    if let Some(id) = &form.claimed_staff_id {
        indicators.claimed_staff_id(id);
    }
    if let Some(name) = &form.claimed_name {
        indicators.claimed_name(name);
    }
    if let Some(contact) = &form.contact {
        if contact.contains('@') {
            indicators.email(contact, cx);
        } else if contact.contains("://") {
            indicators.url(contact, cx);
        } else {
            indicators.phone(contact, cx);
        }
    }
    indicators.scan(&form.details, cx);
    Ok(ReportBody {
        channel,
        form,
        offered,
        asked,
        indicators,
    })
}

/// The security team's conclusion, shown to the reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An attack: thank you, it has been acted on.
    Malicious,
    /// Suspicious, being watched.
    Suspicious,
    /// Legitimate after all.
    Legitimate,
    /// Unwanted but harmless.
    Spam,
}

impl Outcome {
    /// What the reporter is told.
    pub fn message(self) -> &'static str {
        match self {
            Outcome::Malicious => "It was an attack. Thank you: your report helped stop it.",
            Outcome::Suspicious => {
                "It looks suspicious and the security team is watching for more of it. Thank you."
            }
            Outcome::Legitimate => {
                "It was legitimate. Reporting it was still right: thank you for checking."
            }
            Outcome::Spam => {
                "It was unwanted mail, not an attack on you. Thank you for reporting it."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        static OWN: [String; 0] = [];
        Context {
            own_domains: &OWN,
            is_shared_domain: |_: &str| false,
            default_calling_code: None,
        }
    }

    #[test]
    fn forms_are_checked_and_classified() {
        let body = check(
            ReportForm {
                channel: "phone".into(),
                claimed_name: Some("Dan from IT".into()),
                claimed_staff_id: Some("s-1099".into()),
                contact: Some("+44 20 7946 0999".into()),
                offered: vec!["tech_support".into()],
                details: "Offered to fix my slow laptop if I installed AnyDesk.".into(),
                ..ReportForm::default()
            },
            false,
            &cx(),
        )
        .unwrap();
        assert_eq!(body.channel, ReportChannel::Phone);
        assert!(body.offered.contains(&OfferKind::TechSupport));
        assert!(body.asked.contains(&RequestKind::RemoteTool));
        let keys: Vec<String> = body.indicators.list.iter().map(|i| i.key()).collect();
        assert_eq!(
            keys,
            [
                "claimed_staff_id:S-1099",
                "claimed_name:dan from it",
                "phone:+442079460999"
            ]
        );
        let bad = |f: ReportForm| check(f, false, &cx()).unwrap_err().field;
        assert_eq!(
            bad(ReportForm {
                channel: "fax".into(),
                ..Default::default()
            }),
            "channel"
        );
        assert_eq!(
            bad(ReportForm {
                channel: "chat".into(),
                ..Default::default()
            }),
            "details"
        );
        assert_eq!(
            bad(ReportForm {
                channel: "chat".into(),
                details: "x".into(),
                asked: vec!["kidneys".into()],
                ..Default::default()
            }),
            "asked"
        );
        assert_eq!(
            bad(ReportForm {
                channel: "chat".into(),
                details: "x".repeat(MAX_DETAILS + 1),
                ..Default::default()
            }),
            "details"
        );
        assert!(
            check(
                ReportForm {
                    channel: "email".into(),
                    ..Default::default()
                },
                true,
                &cx()
            )
            .is_ok()
        );
    }
}
