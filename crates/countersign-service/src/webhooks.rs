//! Webhook subscriptions and their delivery log.

use crate::{Principal, ServiceError, Services, event};
use countersign_accounts::{Role, token};
use countersign_cases::EventKind;
use countersign_store::Webhook;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

/// A subscription to create.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries go (http or https).
    pub url: String,
    /// Event types: case.opened, case.control_satisfied, case.verified,
    /// case.denied, case.expired, case.released, verification.failed,
    /// campaign.formed, campaign.grew, posture.alert.new_unaligned_source,
    /// posture.alert.new_unaligned_sources_more,
    /// posture.alert.aligned_share_drop, or `*` for all.
    pub events: Vec<String>,
}

/// A subscription as listed (without its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    /// Stable identifier.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// Event types.
    pub events: Vec<String>,
    /// Created (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// By whom.
    pub created_by: String,
    /// Disabled (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<OffsetDateTime>,
}

/// A new subscription with its signing secret, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    /// The subscription.
    pub webhook: WebhookView,
    /// The HMAC-SHA256 key deliveries are signed with.
    pub secret: String,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    /// The event (idempotency key).
    pub event_id: String,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub attempted_at: OffsetDateTime,
    /// The receiver's HTTP status.
    pub status: Option<u16>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
}

fn view(h: &Webhook) -> WebhookView {
    WebhookView {
        id: h.id.clone(),
        url: h.url.clone(),
        events: h.events.clone(),
        created_at: h.created_at,
        created_by: h.created_by.clone(),
        disabled_at: h.disabled_at,
    }
}

impl Services {
    /// Subscribes a help-desk tool to case events (administrators).
    pub async fn create_webhook(
        &self,
        principal: &Principal,
        input: NewWebhook,
    ) -> Result<CreatedWebhook, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        let url = input.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| ServiceError::invalid("url", "an http:// or https:// URL"))?;
        if rest.is_empty()
            || rest.starts_with('/')
            || url.len() > 2000
            || url.contains(char::is_whitespace)
        {
            return Err(ServiceError::invalid(
                "url",
                "an http:// or https:// URL with a host",
            ));
        }
        if input.events.is_empty() {
            return Err(ServiceError::invalid("events", "at least one event type"));
        }
        let mut events = Vec::new();
        for e in &input.events {
            if e == "*" {
                events.push("*".to_owned());
                continue;
            }
            if crate::employees::EVENT_TYPES.contains(&e.as_str())
                || countersign_posture::alerts::ACTIONS.contains(&e.as_str())
            {
                events.push(e.clone());
                continue;
            }
            match EventKind::from_name(e) {
                Some(kind) if kind.is_published() => events.push(kind.name().to_owned()),
                _ => {
                    return Err(ServiceError::invalid(
                        "events",
                        format!(
                            "{e:?}: one of {}, {}, {}",
                            EventKind::PUBLISHED.map(|k| k.name()).join(", "),
                            crate::employees::EVENT_TYPES.join(", "),
                            countersign_posture::alerts::ACTIONS.join(", ")
                        ),
                    ));
                }
            }
        }
        events.sort();
        events.dedup();
        let now = self.now();
        let hook = Webhook {
            id: token::random_id("wh"),
            url: url.to_owned(),
            secret: token::random_token("whsec"),
            events,
            created_at: now,
            created_by: principal.account.username.clone(),
            disabled_at: None,
        };
        self.inner
            .store
            .create_webhook(
                &hook,
                vec![event(
                    now,
                    &principal.actor(),
                    "webhook.created",
                    format!("webhook:{}", hook.id),
                    json!({ "url": hook.url, "events": hook.events }),
                )],
            )
            .await?;
        Ok(CreatedWebhook {
            webhook: view(&hook),
            secret: hook.secret,
        })
    }

    /// Every subscription (administrators).
    pub async fn list_webhooks(
        &self,
        principal: &Principal,
    ) -> Result<Vec<WebhookView>, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        Ok(self
            .inner
            .store
            .webhooks()
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// Stops a subscription (administrators).
    pub async fn disable_webhook(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(), ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        let now = self.now();
        if !self
            .inner
            .store
            .disable_webhook(
                id,
                now,
                vec![event(
                    now,
                    &principal.actor(),
                    "webhook.disabled",
                    format!("webhook:{id}"),
                    json!({}),
                )],
            )
            .await?
        {
            return Err(ServiceError::NotFound(format!("live webhook {id}")));
        }
        Ok(())
    }

    /// A subscription's latest delivery attempts (administrators).
    pub async fn webhook_deliveries(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<Vec<AttemptView>, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        if !self
            .inner
            .store
            .webhooks()
            .await?
            .iter()
            .any(|h| h.id == id)
        {
            return Err(ServiceError::NotFound(format!("webhook {id}")));
        }
        Ok(self
            .inner
            .store
            .delivery_attempts(id, 200)
            .await?
            .into_iter()
            .map(|a| AttemptView {
                event_id: a.event_id,
                attempted_at: a.attempted_at,
                status: a.status,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect())
    }
}
