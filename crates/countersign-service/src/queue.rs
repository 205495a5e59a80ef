//! What the console's lists need: the analyst queue (recorded messages a
//! page at a time, with filters), the held cases oldest first, and the
//! cases awaiting this approver's signature.

use crate::{Principal, ServiceError, Services};
use countersign_accounts::Role;
use countersign_cases::{Capacity, Case, ControlStatus};
use countersign_model::verdict::Control;
use countersign_store::{MessageCursor, MessageFilter, MessageListing};
use time::OffsetDateTime;

/// Verdict words a filter may name.
pub const VERDICTS: &[&str] = &["deliver", "flag", "hold", "quarantine", "reject"];

/// A queue request as the console receives it (all text, validated here).
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    /// A verdict word, or empty.
    pub verdict: String,
    /// A From address, or empty.
    pub sender: String,
    /// RFC 3339 or `YYYY-MM-DD`, or empty.
    pub since: String,
    /// RFC 3339 or `YYYY-MM-DD`, or empty.
    pub until: String,
    /// The `next` of the previous page, or empty.
    pub after: String,
    /// Rows per page (1..=200, default 50).
    pub limit: Option<u32>,
}

/// One page of the queue.
#[derive(Debug, Clone)]
pub struct MessagePage {
    /// The messages, newest first.
    pub messages: Vec<MessageListing>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

fn parse_time(field: &str, text: &str) -> Result<Option<OffsetDateTime>, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(Some(t));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map(|d| Some(d.midnight().assume_utc()))
        .map_err(|_| ServiceError::invalid(field, "a date (YYYY-MM-DD) or an RFC 3339 time"))
}

pub(crate) fn parse_after(text: &str) -> Result<Option<MessageCursor>, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || ServiceError::invalid("after", "a cursor from the previous page");
    let (ms, id) = text.split_once('.').ok_or_else(bad)?;
    if id.is_empty() || id.len() > 64 {
        return Err(bad());
    }
    Ok(Some(MessageCursor {
        received_ms: ms.parse().map_err(|_| bad())?,
        id: id.to_owned(),
    }))
}

impl Services {
    /// A page of recorded messages, newest first (analysts and
    /// administrators).
    pub async fn message_page(
        &self,
        principal: &Principal,
        query: &MessageQuery,
    ) -> Result<MessagePage, ServiceError> {
        principal.require(&[Role::Analyst, Role::SecurityAdmin])?;
        let verdict = query.verdict.trim().to_ascii_lowercase();
        if !verdict.is_empty() && !VERDICTS.contains(&verdict.as_str()) {
            return Err(ServiceError::invalid(
                "verdict",
                format!("one of {}", VERDICTS.join(", ")),
            ));
        }
        let sender = query.sender.trim().to_ascii_lowercase();
        if sender.len() > 320 {
            return Err(ServiceError::invalid("sender", "at most 320 characters"));
        }
        let filter = MessageFilter {
            verdict: (!verdict.is_empty()).then_some(verdict),
            sender: (!sender.is_empty()).then_some(sender),
            since: parse_time("since", &query.since)?,
            until: parse_time("until", &query.until)?,
        };
        let cursor = parse_after(&query.after)?;
        let limit = query.limit.unwrap_or(50).clamp(1, 200);
        // One more than asked tells whether a next page exists.
        let mut messages = self
            .inner
            .store
            .messages_page(&filter, cursor.as_ref(), limit + 1)
            .await?;
        let next = if messages.len() > limit as usize {
            messages.truncate(limit as usize);
            messages.last().map(|m| {
                let c = m.cursor();
                format!("{}.{}", c.received_ms, c.id)
            })
        } else {
            None
        };
        Ok(MessagePage { messages, next })
    }

    /// Pending cases, oldest first, and how many are pending in all.
    pub async fn held_cases(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<(Vec<Case>, i64), ServiceError> {
        principal.require(&[
            Role::Analyst,
            Role::Approver,
            Role::RelationshipManager,
            Role::SecurityAdmin,
        ])?;
        let store = &self.inner.store;
        let cases = store
            .pending_cases_oldest(limit.clamp(1, 500))
            .await?
            .iter()
            .map(Case::redacted)
            .collect();
        Ok((cases, store.pending_case_count().await?))
    }

    /// Pending cases whose dual approval still needs a signature this
    /// caller could give (in a capacity they hold, not yet given by them),
    /// oldest first. (Of the 500 oldest awaiting any approval: the domain
    /// decides who may sign each, so the rest is filtered here.)
    pub async fn awaiting_approval(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<Case>, ServiceError> {
        principal.require(&[Role::Approver, Role::RelationshipManager])?;
        let mut capacities = Vec::new();
        if principal.roles.contains(Role::Approver) {
            capacities.push(Capacity::Approver);
        }
        if principal.roles.contains(Role::RelationshipManager) {
            capacities.push(Capacity::RelationshipManager);
        }
        let cases = self.inner.store.approval_pending_cases(500).await?;
        Ok(cases
            .iter()
            .filter(|case| {
                case.controls.iter().any(|c| {
                    c.control == Control::DualApproval
                        && c.status == ControlStatus::Pending
                        && !c
                            .approvals
                            .iter()
                            .any(|a| a.account_id == principal.account.id)
                        && capacities
                            .iter()
                            .any(|cap| !c.approvals.iter().any(|a| a.capacity == *cap))
                })
            })
            .take(limit.clamp(1, 500) as usize)
            .map(Case::redacted)
            .collect())
    }
}

/// What the overview page charts.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The days charted, oldest first (UTC).
    pub days: Vec<time::Date>,
    /// Messages per verdict (in [`VERDICTS`] order) per day (in `days` order).
    pub verdicts: Vec<Vec<i64>>,
    /// Pending cases by age: under an hour, 1–24 hours, 1–3 days, over 3 days.
    pub case_ages: [i64; 4],
    /// The identities most impersonated over the same days, with the
    /// number of messages that imitated each, most first (at most 10).
    pub impersonated: Vec<(String, i64)>,
}

impl Services {
    /// Verdicts per day over the last `days` days and pending cases by age
    /// (analysts and administrators).
    pub async fn overview(
        &self,
        principal: &Principal,
        days: u8,
    ) -> Result<Overview, ServiceError> {
        principal.require(&[Role::Analyst, Role::SecurityAdmin])?;
        let days = i64::from(days.clamp(1, 60));
        let now = self.now();
        let today = now.date();
        let first = today - time::Duration::days(days - 1);
        let since = first.midnight().assume_utc();
        let counts = self.inner.store.verdicts_by_day(since).await?;
        let first_day = since.unix_timestamp() / 86_400;
        let mut verdicts = vec![vec![0i64; days as usize]; VERDICTS.len()];
        for (verdict, day, n) in counts {
            let (Some(v), Ok(d)) = (
                VERDICTS.iter().position(|w| *w == verdict),
                usize::try_from(day - first_day),
            ) else {
                continue;
            };
            if d < days as usize {
                verdicts[v][d] = n;
            }
        }
        let [over_3d, over_1d, over_1h, all] = self
            .inner
            .store
            .pending_cases_opened_before(&[
                now - time::Duration::days(3),
                now - time::Duration::days(1),
                now - time::Duration::hours(1),
            ])
            .await?;
        let impersonated = self.inner.store.top_impersonated(since, 10).await?;
        Ok(Overview {
            days: (0..days).map(|i| first + time::Duration::days(i)).collect(),
            verdicts,
            impersonated,
            case_ages: [all - over_1h, over_1h - over_1d, over_1d - over_3d, over_3d],
        })
    }
}
