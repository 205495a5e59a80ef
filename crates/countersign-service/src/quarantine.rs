//! The quarantine: messages kept instead of delivered, which a security
//! administrator may release (they are relayed downstream, tagged) or
//! delete with a reason. Both are audited in the same transaction.

use crate::relay::{RelayHeaders, compose};
use crate::{Principal, ServiceError, Services, event};
use countersign_accounts::Role;
use countersign_store::{NewRelay, QuarantinedMessage};
use serde_json::json;

impl Services {
    /// Quarantined messages, newest first (analysts and administrators).
    pub async fn quarantine(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<QuarantinedMessage>, ServiceError> {
        principal.require(&[Role::Analyst, Role::SecurityAdmin])?;
        Ok(self.inner.store.quarantine(limit.clamp(1, 500)).await?)
    }

    /// A page of the quarantine, newest first, after the cursor `after`
    /// (`received_ms.id`, as the previous page's `next` gave it; empty for
    /// the first page), and the cursor of the next page if there is one.
    pub async fn quarantine_page(
        &self,
        principal: &Principal,
        after: &str,
        limit: u32,
    ) -> Result<(Vec<QuarantinedMessage>, Option<String>), ServiceError> {
        principal.require(&[Role::Analyst, Role::SecurityAdmin])?;
        let cursor = crate::queue::parse_after(after)?;
        let limit = limit.clamp(1, 500);
        // One more than asked tells whether a next page exists.
        let mut list = self
            .inner
            .store
            .quarantine_page(limit + 1, cursor.as_ref())
            .await?;
        let next = if list.len() > limit as usize {
            list.truncate(limit as usize);
            list.last().map(|m| {
                let c = m.cursor();
                format!("{}.{}", c.received_ms, c.id)
            })
        } else {
            None
        };
        Ok((list, next))
    }

    /// Releases a quarantined message to the help desk (administrators).
    /// It is relayed with our verdict headers and who released it.
    pub async fn release_quarantined(
        &self,
        principal: &Principal,
        id: &str,
        reason: &str,
    ) -> Result<String, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::invalid("reason", "say why it is released"));
        }
        let message = self
            .inner
            .store
            .message(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("message {id}")))?;
        let raw = message
            .raw
            .as_deref()
            .ok_or_else(|| ServiceError::Conflict(format!("message {id} is not in quarantine")))?;
        let document: serde_json::Value =
            serde_json::from_str(&message.document).unwrap_or_default();
        let reasons = document["reasons"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let headers = RelayHeaders {
            received: None,
            authentication_results: document["authentication_results"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            verdict: message.verdict.clone(),
            reasons,
            case_id: message.case_id.clone(),
            released_by: Some(principal.actor()),
        };
        let relay = NewRelay {
            id: countersign_accounts::token::random_id("r"),
            message_id: message.id.clone(),
            kind: "release".into(),
            mail_from: message.mail_from.clone(),
            rcpt: message.rcpt.clone(),
            data: compose(raw, &headers),
        };
        let now = self.now();
        let audit = vec![event(
            now,
            &principal.actor(),
            "message.quarantine.release",
            format!("message:{id}"),
            json!({ "reason": reason, "relay": relay.id, "verdict": message.verdict }),
        )];
        if !self
            .inner
            .store
            .release_quarantined(id, &relay, audit, now)
            .await?
        {
            return Err(ServiceError::Conflict(format!(
                "message {id} is not in quarantine"
            )));
        }
        self.inner.relay_wake.notify_one();
        Ok(relay.id)
    }

    /// Deletes a quarantined message's content, keeping its record and
    /// verdict (administrators).
    pub async fn delete_quarantined(
        &self,
        principal: &Principal,
        id: &str,
        reason: &str,
    ) -> Result<(), ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::invalid("reason", "say why it is deleted"));
        }
        let audit = vec![event(
            self.now(),
            &principal.actor(),
            "message.quarantine.delete",
            format!("message:{id}"),
            json!({ "reason": reason }),
        )];
        if !self.inner.store.delete_quarantined(id, audit).await? {
            return Err(ServiceError::NotFound(format!("quarantined message {id}")));
        }
        Ok(())
    }

    /// Woken when something is queued for relay (a release), so the relay
    /// worker need not wait for its next poll.
    pub fn relay_wake(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.inner.relay_wake.clone()
    }
}
