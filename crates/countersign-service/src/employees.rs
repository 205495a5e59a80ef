//! The employees' side: the IT identification reference, caller
//! verification in both directions, "IT never cold-calls", one-step
//! reports, and campaigns for the security team.
//!
//! The rules live in `countersign-employees`; this module checks who may
//! act, bounds how often, and writes each step with its audit entries and
//! webhook events in one transaction.

use crate::cases::new_event_id;
use crate::messages::{IncomingMessage, Judged};
use crate::{Principal, ServiceError, Services, event};
use countersign_accounts::Role;
use countersign_audit::AuditEvent;
use countersign_employees::campaign::{Campaign, Sighting, SightingKind, Status};
use countersign_employees::indicators::{Context, IndicatorKind, Indicators, request_of_signal};
use countersign_employees::reference::{self, Lookup, StaffCard};
use countersign_employees::report::{self, Outcome, ReportForm};
use countersign_employees::verify::{
    self, Attempt, CallerVerification, Direction, Failure, OpenTicket, State,
};
use countersign_store::{Correlation, PublishedEvent, ReportRecord, StaffPhoto, Ticket};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// Webhook event types of this module.
pub const EVENT_TYPES: [&str; 3] = ["verification.failed", "campaign.formed", "campaign.grew"];

/// People who sign in: everyone but help-desk tools.
pub const PEOPLE: &[Role] = &[
    Role::Employee,
    Role::Analyst,
    Role::Approver,
    Role::RelationshipManager,
    Role::SecurityAdmin,
];

/// Limits of the employees' side.
#[derive(Debug, Clone)]
pub struct EmployeeSettings {
    /// Staff look-ups per account per window (the reference cannot be scraped).
    pub lookups_per_window: u32,
    /// Caller verifications per account per window.
    pub verifications_per_window: u32,
    /// Reports per account per window; past it reports are kept, deferred.
    pub reports_per_window: u32,
    /// The window of those counts.
    pub rate_window: Duration,
    /// Sightings sharing an indicator within this long form a campaign.
    pub campaign_window: Duration,
    /// The calling code for national phone numbers in reports (`44`).
    pub default_calling_code: Option<String>,
}

impl Default for EmployeeSettings {
    fn default() -> Self {
        Self {
            lookups_per_window: 30,
            verifications_per_window: 10,
            reports_per_window: 20,
            rate_window: Duration::minutes(10),
            campaign_window: Duration::days(14),
            default_calling_code: None,
        }
    }
}

/// A staff look-up: by staff ID, or by name.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StaffQuery {
    /// The staff ID the caller gave.
    pub staff_id: Option<String>,
    /// Words of the name.
    pub name: Option<String>,
}

/// A member of IT as the reference shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffEntry {
    /// Staff ID.
    pub staff_id: String,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Team.
    pub team: String,
    /// Work email.
    pub email: String,
    /// Work phone (E.164).
    pub phone: String,
    /// The photo, served by Countersign, when one was uploaded.
    pub photo_url: Option<String>,
}

/// The answer to a look-up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffAnswer {
    /// Whether the ID (or name) belongs to a current member of IT.
    pub current: bool,
    /// In words: who it is, or "not a current member of IT".
    pub message: String,
    /// The matching staff (active only).
    pub staff: Vec<StaffEntry>,
}

/// Start a caller verification: give exactly one ID.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyCallerInput {
    /// The staff ID a caller claiming to be IT gave (employees).
    #[serde(default)]
    pub staff_id: Option<String>,
    /// The employee ID a caller claiming to be an employee gave (analysts).
    #[serde(default)]
    pub employee_id: Option<String>,
}

/// The code the caller read back.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerCodeInput {
    /// The code as read back.
    pub code: String,
}

/// A caller verification as the person verifying sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerificationView {
    /// Stable identifier.
    pub id: String,
    /// pending, verified or failed.
    pub state: String,
    /// In one line: "verified: this is <name>, <role>", or "not verified: ...".
    pub answer: String,
    /// "No open ticket" and other warnings.
    pub warnings: Vec<String>,
    /// What to do now.
    pub next_steps: Vec<String>,
    /// Tries left for the code.
    pub attempts_left: u32,
    /// The verification (code hash removed).
    #[schema(value_type = Object)]
    pub verification: CallerVerification,
}

/// A ticket pushed by the help-desk tool.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    /// The tool's ticket ID (repeat it to update the ticket).
    pub id: String,
    /// The employee who opened it (directory employee ID).
    pub employee_id: String,
    /// The staff member working it (directory staff ID).
    #[serde(default)]
    pub assignee_staff_id: Option<String>,
    /// What it is about.
    pub summary: String,
    /// open or closed.
    pub status: String,
}

/// A report: the form, and optionally the suspicious message itself.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// The form.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub form: ReportForm,
    /// The suspicious message (RFC 5322 text), forwarded as it came.
    #[serde(default)]
    pub message: Option<String>,
    /// The suspicious message in base64, for anything else.
    #[serde(default)]
    pub message_base64: Option<String>,
}

/// What became of a forwarded message.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ForwardOutcome {
    /// Filed as the forwarder's report.
    Filed {
        /// The forwarder's account.
        reporter: String,
        /// As the API would have answered.
        ack: ReportAck,
    },
    /// Not filed; audited and left for a person.
    Refused {
        /// Why, in words.
        reason: String,
    },
}

/// The acknowledgement of a report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportAck {
    /// The report.
    pub report_id: String,
    /// received (or deferred when the reporter sent very many).
    pub status: String,
    /// Thanks, and what happens next.
    pub acknowledgement: String,
    /// Indicators found (`kind:value`).
    pub indicators: Vec<String>,
    /// The analysis of the forwarded message, when one came.
    #[schema(value_type = Option<Object>)]
    pub message: Option<serde_json::Value>,
}

/// A report as its reporter (or the security team) sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    /// Stable identifier.
    pub id: String,
    /// When (RFC 3339).
    pub received_at: String,
    /// received or triaged.
    pub status: String,
    /// Kept without analysis: the reporter was over the rate.
    pub deferred: bool,
    /// The security team's conclusion, once triaged.
    pub outcome: Option<String>,
    /// What the reporter is told about it.
    pub outcome_message: Option<String>,
    /// The report (form, kinds, indicators, message analysis, triage).
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// The security team's triage of a report.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageInput {
    /// malicious, suspicious, legitimate or spam.
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// A note for the reporter (plain text).
    #[serde(default)]
    pub note: String,
}

/// A campaign's new status.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignStatusInput {
    /// open, contained or closed.
    pub status: String,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn verification_view(v: &CallerVerification) -> VerificationView {
    let mut warnings = Vec::new();
    if let Some(w) = v.cold_call_warning() {
        warnings.push(w);
    }
    VerificationView {
        id: v.id.clone(),
        state: v.state.as_str().to_owned(),
        answer: v.answer(),
        warnings,
        next_steps: v.next_steps(),
        attempts_left: if v.state == State::Pending {
            v.max_attempts.saturating_sub(v.attempts)
        } else {
            0
        },
        verification: v.redacted(),
    }
}

fn failed_event(v: &CallerVerification, now: OffsetDateTime) -> PublishedEvent {
    let event_id = new_event_id();
    PublishedEvent {
        payload: json!({
            "id": event_id,
            "type": "verification.failed",
            "occurred_at": rfc3339(now),
            "verification": {
                "id": v.id,
                "direction": v.direction,
                "claimed_id": v.claimed_id,
                "failure": v.failure,
                "requested_by": v.requested_by,
                "open_tickets": v.open_tickets.len(),
            },
        })
        .to_string(),
        event_id,
        event_type: "verification.failed".into(),
    }
}

/// Queued sightings correlated per transaction.
const CORRELATION_BATCH: usize = 64;

/// The audit entries and webhook events of a correlation's outcome.
fn announce(
    outcome: &Correlation,
    actor: &str,
    sighting_id: &str,
) -> (Vec<AuditEvent>, Vec<countersign_store::PublishedEvent>) {
    let now = OffsetDateTime::now_utc();
    match outcome {
        Correlation::Alone => (Vec::new(), Vec::new()),
        Correlation::Formed(c) => (
            vec![event(
                now,
                actor,
                "campaign.formed",
                format!("campaign:{}", c.id),
                json!({ "sightings": c.timeline.iter().map(|t| &t.sighting_id).collect::<Vec<_>>(),
                        "indicators": c.indicators.iter().filter(|i| i.sightings > 1).map(|i| i.indicator.key()).collect::<Vec<_>>() }),
            )],
            vec![campaign_event(
                "campaign.formed",
                c,
                json!({ "sighting": sighting_id }),
            )],
        ),
        Correlation::Grew {
            campaign: c,
            merged,
            shared,
        } => (
            vec![event(
                now,
                actor,
                "campaign.grew",
                format!("campaign:{}", c.id),
                json!({ "sighting": sighting_id, "merged": merged,
                        "shared": shared.iter().map(|i| i.key()).collect::<Vec<_>>() }),
            )],
            vec![campaign_event(
                "campaign.grew",
                c,
                json!({ "sighting": sighting_id, "merged": merged }),
            )],
        ),
    }
}

fn campaign_event(kind: &str, c: &Campaign, extra: serde_json::Value) -> PublishedEvent {
    let event_id = new_event_id();
    // Only these fields leave: never the targets' keys, so there is nothing
    // to redact, and no copy of the campaign per announced sighting.
    PublishedEvent {
        payload: json!({
            "id": event_id,
            "type": kind,
            "occurred_at": rfc3339(c.updated_at),
            "campaign": {
                "id": c.id, "status": c.status, "sightings": c.sightings,
                "indicators": c.indicators.iter().take(20).map(|i| i.indicator.key()).collect::<Vec<_>>(),
                "teams": c.teams, "people_targeted": c.people_targeted,
            },
            "detail": extra,
        })
        .to_string(),
        event_id,
        event_type: kind.to_owned(),
    }
}

impl Services {
    fn employee_settings(&self) -> &EmployeeSettings {
        &self.inner.settings.employees
    }

    /// Counts one use; refuses (and audits) past the allowance.
    async fn within_rate(
        &self,
        p: &Principal,
        action: &str,
        allowed: u32,
    ) -> Result<bool, ServiceError> {
        let now = self.now();
        let n = self
            .inner
            .store
            .bump_rate(
                &p.account.id,
                action,
                self.employee_settings().rate_window,
                now,
            )
            .await?;
        if n > allowed {
            if n == allowed + 1 {
                self.audit(vec![event(
                    now,
                    &p.actor(),
                    "employee.rate_limited",
                    format!("account:{}", p.account.id),
                    json!({ "action": action, "allowed": allowed, "address": p.address }),
                )])
                .await?;
            }
            return Ok(false);
        }
        Ok(true)
    }

    fn entry(&self, card: StaffCard, photos: &[String]) -> StaffEntry {
        let photo_url = photos
            .contains(&card.staff_id)
            .then(|| format!("/api/v1/staff/{}/photo", card.staff_id));
        StaffEntry {
            staff_id: card.staff_id,
            name: card.name,
            role: card.role,
            team: card.team,
            email: card.email,
            phone: card.phone,
            photo_url,
        }
    }

    /// Looks up IT staff by staff ID or by name (any signed-in person).
    pub async fn staff_lookup(
        &self,
        p: &Principal,
        query: StaffQuery,
    ) -> Result<StaffAnswer, ServiceError> {
        p.require(PEOPLE)?;
        let (id, name) = (
            query.staff_id.filter(|s| !s.trim().is_empty()),
            query.name.filter(|s| !s.trim().is_empty()),
        );
        let text = match (&id, &name) {
            (Some(t), None) | (None, Some(t)) => t,
            _ => return Err(invalid("staff_id", "give exactly one of staff_id and name")),
        };
        if text.len() > reference::MAX_QUERY {
            return Err(invalid(
                if id.is_some() { "staff_id" } else { "name" },
                format!("at most {} characters", reference::MAX_QUERY),
            ));
        }
        if !self
            .within_rate(
                p,
                "staff_lookup",
                self.employee_settings().lookups_per_window,
            )
            .await?
        {
            return Err(ServiceError::Throttled(
                "too many look-ups; try again in a few minutes".into(),
            ));
        }
        let current = self.inner.directory.refresh().await?;
        let photos = self.inner.store.staff_with_photos().await?;
        let now = self.now();
        let Some(id) = id else {
            let found = reference::by_name(&current.snapshot, text);
            return Ok(StaffAnswer {
                current: !found.is_empty(),
                message: if found.is_empty() {
                    "no current member of IT has that name".into()
                } else {
                    format!("{} current member(s) of IT", found.len())
                },
                staff: found.into_iter().map(|c| self.entry(c, &photos)).collect(),
            });
        };
        let (answer, action, details) = match reference::by_id(&current.snapshot, &id) {
            Lookup::Current(card) => (
                StaffAnswer {
                    current: true,
                    message: format!("{} is {}, {}", card.staff_id, card.name, card.role),
                    staff: vec![self.entry(card, &photos)],
                },
                "staff.lookup",
                json!({ "staff_id": reference::normalize_staff_id(&id) }),
            ),
            Lookup::NotCurrent { staff_id, status } => (
                StaffAnswer {
                    current: false,
                    message: "not a current member of IT".into(),
                    staff: Vec::new(),
                },
                "staff.lookup_not_current",
                json!({ "staff_id": staff_id, "status": status }),
            ),
            Lookup::Unknown => (
                StaffAnswer {
                    current: false,
                    message: "not a current member of IT: no one in IT has this staff ID".into(),
                    staff: Vec::new(),
                },
                "staff.lookup_unknown",
                json!({ "staff_id": id.trim().chars().take(40).collect::<String>() }),
            ),
        };
        let mut details = details;
        details["address"] = json!(p.address);
        self.audit(vec![event(
            now,
            &p.actor(),
            action,
            format!(
                "staff:{}",
                reference::normalize_staff_id(&id)
                    .chars()
                    .take(40)
                    .collect::<String>()
            ),
            details,
        )])
        .await?;
        Ok(answer)
    }

    /// Stores a staff member's photo (administrators); type sniffed from the bytes.
    pub async fn upload_staff_photo(
        &self,
        p: &Principal,
        staff_id: &str,
        bytes: Vec<u8>,
        declared: Option<&str>,
    ) -> Result<(), ServiceError> {
        p.require(&[Role::SecurityAdmin])?;
        let current = self.inner.directory.refresh().await?;
        let Some(staff) = current.snapshot.staff.iter().find(|s| {
            reference::normalize_staff_id(&s.staff_id) == reference::normalize_staff_id(staff_id)
        }) else {
            return Err(ServiceError::NotFound(format!("staff ID {staff_id}")));
        };
        let content_type = countersign_employees::photo::check(&bytes, declared)
            .map_err(|e| invalid("photo", e.to_string()))?;
        let now = self.now();
        let photo = StaffPhoto {
            staff_id: staff.staff_id.clone(),
            content_type: content_type.to_owned(),
            bytes,
            uploaded_at: now,
        };
        let digest = countersign_cases::digest_hex(&photo.bytes);
        self.inner
            .store
            .put_staff_photo(
                &photo,
                &p.account.username,
                vec![event(
                    now,
                    &p.actor(),
                    "staff.photo_uploaded",
                    format!("staff:{}", staff.staff_id),
                    json!({ "content_type": content_type, "bytes": photo.bytes.len(), "sha256": digest, "address": p.address }),
                )],
            )
            .await?;
        Ok(())
    }

    /// A current staff member's photo: (content type, bytes).
    pub async fn staff_photo(
        &self,
        p: &Principal,
        staff_id: &str,
    ) -> Result<(String, Vec<u8>), ServiceError> {
        p.require(PEOPLE)?;
        let current = self.inner.directory.current();
        let Lookup::Current(card) = reference::by_id(&current.snapshot, staff_id) else {
            return Err(ServiceError::NotFound(format!(
                "photo of current staff {staff_id}"
            )));
        };
        let photo = self
            .inner
            .store
            .staff_photo(&card.staff_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("photo of {}", card.staff_id)))?;
        Ok((photo.content_type, photo.bytes))
    }

    /// What IT could be calling this employee about: open tickets pushed by
    /// the help-desk tool and pending cases in their name.
    async fn open_tickets_of(&self, employee_id: &str) -> Result<Vec<OpenTicket>, ServiceError> {
        let mut out: Vec<OpenTicket> = self
            .inner
            .store
            .open_tickets(employee_id)
            .await?
            .into_iter()
            .map(|t| OpenTicket {
                source: "ticket".into(),
                id: t.id,
                summary: t.summary,
                assignee_staff_id: t.assignee_staff_id,
            })
            .collect();
        for case in self
            .inner
            .store
            .pending_cases_about_employee(employee_id)
            .await?
        {
            out.push(OpenTicket {
                source: "case".into(),
                id: case.id.clone(),
                summary: case.request.summary.clone(),
                assignee_staff_id: None,
            });
        }
        Ok(out)
    }

    /// Starts verifying a caller: an employee gives the staff ID a caller
    /// claiming IT gave; an analyst gives the employee ID a caller claiming
    /// to be an employee gave. The code goes to the directory email of that
    /// person only.
    pub async fn verify_caller(
        &self,
        p: &Principal,
        input: VerifyCallerInput,
    ) -> Result<VerificationView, ServiceError> {
        let (direction, claimed) = match (&input.staff_id, &input.employee_id) {
            (Some(s), None) if !s.trim().is_empty() => {
                p.require(&[Role::Employee])?;
                (Direction::CallerClaimsIt, s.trim().to_owned())
            }
            (None, Some(e)) if !e.trim().is_empty() => {
                p.require(&[Role::Analyst])?;
                (Direction::CallerClaimsEmployee, e.trim().to_owned())
            }
            _ => {
                p.require(&[Role::Employee, Role::Analyst])?;
                return Err(invalid(
                    "staff_id",
                    "give exactly one of staff_id and employee_id",
                ));
            }
        };
        if claimed.len() > 40 {
            return Err(invalid("staff_id", "at most 40 characters"));
        }
        if !self
            .within_rate(
                p,
                "verify_caller",
                self.employee_settings().verifications_per_window,
            )
            .await?
        {
            return Err(ServiceError::Throttled(
                "too many verifications; call the help desk on its directory number".into(),
            ));
        }
        let current = self.inner.directory.refresh().await?;
        let subject = match direction {
            Direction::CallerClaimsIt => verify::staff_subject(&current.snapshot, &claimed),
            Direction::CallerClaimsEmployee => {
                verify::employee_subject(&current.snapshot, &claimed)
            }
        };
        let email_works = self
            .inner
            .codes
            .supports(countersign_cases::CodeChannel::Email);
        let secret = countersign_cases::code::generate();
        let hash = (subject.is_ok() && email_works).then(|| countersign_cases::code::hash(&secret));
        let now = self.now();
        let mut v = CallerVerification::open(
            countersign_accounts::token::random_id("v"),
            direction,
            p.account.id.clone(),
            &claimed,
            subject,
            hash,
            now,
            self.inner.settings.code_lifetime,
        );
        if direction == Direction::CallerClaimsIt
            && let Some(emp) = &p.account.employee_id
        {
            v.open_tickets = self.open_tickets_of(emp).await?;
        }
        let subject_key = format!("verification:{}", v.id);
        let mut audit = vec![event(
            now,
            &p.actor(),
            "verification.opened",
            subject_key.clone(),
            json!({
                "direction": direction, "claimed_id": v.claimed_id, "state": v.state,
                "failure": v.failure, "sent_to": v.sent_to, "address": p.address,
                "open_tickets": v.open_tickets.iter().map(|t| format!("{}:{}", t.source, t.id)).collect::<Vec<_>>(),
            }),
        )];
        if direction == Direction::CallerClaimsIt && v.open_tickets.is_empty() {
            audit.push(event(
                now,
                &p.actor(),
                "verification.no_open_ticket",
                subject_key.clone(),
                json!({ "claimed_staff_id": v.claimed_id, "employee_id": p.account.employee_id }),
            ));
        }
        let mut published = Vec::new();
        if v.state == State::Failed {
            audit.push(event(
                now,
                &p.actor(),
                "verification.failed",
                subject_key.clone(),
                json!({ "failure": v.failure, "claimed_id": v.claimed_id }),
            ));
            published.push(failed_event(&v, now));
        }
        self.inner
            .store
            .insert_verification(&v, audit, published.clone())
            .await?;
        if !published.is_empty() {
            self.inner.outbox_wake.notify_one();
            return Ok(verification_view(&v));
        }
        let Some(subject) = v.subject.clone() else {
            return Ok(verification_view(&v));
        };
        let sent = self
            .inner
            .codes
            .send_caller_code(
                &subject.email,
                &secret,
                &v.id,
                &p.account.display_name,
                self.inner.settings.code_lifetime.whole_minutes(),
            )
            .await;
        if let Err(err) = sent {
            tracing::warn!(%err, verification = %v.id, "caller code not sent");
            return self
                .change_verification(p, &v.id, |v, now| {
                    v.undeliverable(now);
                    Ok(json!({ "error": err.to_string() }))
                })
                .await;
        }
        Ok(verification_view(&v))
    }

    /// Applies a change to a verification with compare-and-set; audits each
    /// step, announces a failure.
    async fn change_verification(
        &self,
        p: &Principal,
        id: &str,
        change: impl Fn(
            &mut CallerVerification,
            OffsetDateTime,
        ) -> Result<serde_json::Value, ServiceError>,
    ) -> Result<VerificationView, ServiceError> {
        for _ in 0..5 {
            let (mut v, version) = self
                .inner
                .store
                .verification(id)
                .await?
                .filter(|(v, _)| v.requested_by == p.account.id || p.account.id == "countersign")
                .ok_or_else(|| ServiceError::NotFound(format!("verification {id}")))?;
            let before = v.state;
            let now = self.now();
            let details = change(&mut v, now)?;
            let subject = format!("verification:{id}");
            let action = match (before, v.state) {
                (State::Pending, State::Verified) => "verification.verified",
                (State::Pending, State::Failed) => "verification.failed",
                (State::Pending, State::Pending) => "verification.code_rejected",
                _ => "verification.refused",
            };
            let mut details = details;
            details["attempts"] = json!(v.attempts);
            details["failure"] = json!(v.failure);
            details["address"] = json!(p.address);
            let audit: Vec<AuditEvent> = vec![event(now, &p.actor(), action, subject, details)];
            let published = if before == State::Pending && v.state == State::Failed {
                vec![failed_event(&v, now)]
            } else {
                Vec::new()
            };
            let announce = !published.is_empty();
            if before != State::Pending {
                self.audit(audit).await?;
                return Ok(verification_view(&v));
            }
            if self
                .inner
                .store
                .update_verification(&v, version, audit, published)
                .await?
            {
                if announce {
                    self.inner.outbox_wake.notify_one();
                }
                return Ok(verification_view(&v));
            }
        }
        Err(ServiceError::Conflict(
            "the verification kept changing under this request; reload it".into(),
        ))
    }

    /// The code the caller read back, typed by the person verifying.
    pub async fn submit_caller_code(
        &self,
        p: &Principal,
        id: &str,
        input: CallerCodeInput,
    ) -> Result<VerificationView, ServiceError> {
        p.require(&[Role::Employee, Role::Analyst])?;
        if input.code.len() > 64 {
            return Err(invalid("code", "too long"));
        }
        self.change_verification(p, id, |v, now| {
            let outcome = v.submit(&input.code, now);
            Ok(json!({ "outcome": match outcome {
                Attempt::Verified => "verified",
                Attempt::Wrong { .. } => "wrong_code",
                Attempt::Failed(Failure::Expired) => "expired",
                Attempt::Failed(_) => "too_many_attempts",
                Attempt::Closed => "already_closed",
            }}))
        })
        .await
    }

    /// A verification, to its requester.
    pub async fn caller_verification(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<VerificationView, ServiceError> {
        p.require(&[Role::Employee, Role::Analyst])?;
        let (v, _) = self
            .inner
            .store
            .verification(id)
            .await?
            .filter(|(v, _)| v.requested_by == p.account.id)
            .ok_or_else(|| ServiceError::NotFound(format!("verification {id}")))?;
        Ok(verification_view(&v))
    }

    /// Fails pending verifications past their deadline; returns how many.
    pub async fn expire_due_verifications(&self) -> Result<usize, ServiceError> {
        let system = crate::Principal {
            account: countersign_accounts::Account {
                id: "countersign".into(),
                username: "countersign".into(),
                display_name: "countersign".into(),
                roles: countersign_accounts::RoleSet::EMPTY,
                password_hash: String::new(),
                must_change_password: false,
                totp: None,
                staff_id: None,
                employee_id: None,
                failed_attempts: 0,
                locked_until: None,
                disabled: false,
                created_at: self.now(),
            },
            roles: countersign_accounts::RoleSet::EMPTY,
            stage: countersign_accounts::signin::Stage::Full,
            via: crate::Via::ApiToken("system".into()),
            address: String::new(),
        };
        let mut n = 0;
        for id in self.inner.store.due_verifications(self.now(), 200).await? {
            let view = self
                .change_verification(&system, &id, |v, now| {
                    v.expire_if_due(now);
                    Ok(json!({ "outcome": "expired" }))
                })
                .await?;
            if view.state == "failed" {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Creates or updates a ticket pushed by the help-desk tool.
    pub async fn push_ticket(&self, p: &Principal, input: TicketInput) -> Result<(), ServiceError> {
        p.require(&[Role::Integration, Role::Analyst])?;
        let id = input.id.trim();
        if id.is_empty() || id.len() > 100 {
            return Err(invalid("id", "1 to 100 characters"));
        }
        if input.summary.len() > 500 {
            return Err(invalid("summary", "at most 500 characters"));
        }
        let status = match input.status.as_str() {
            "open" | "closed" => input.status.clone(),
            other => return Err(invalid("status", format!("{other:?}: open or closed"))),
        };
        let current = self.inner.directory.refresh().await?;
        let Some(employee) = current
            .snapshot
            .employees
            .iter()
            .find(|e| e.id.eq_ignore_ascii_case(input.employee_id.trim()))
        else {
            return Err(invalid("employee_id", "not an employee in the directory"));
        };
        if let Some(s) = &input.assignee_staff_id
            && !matches!(reference::by_id(&current.snapshot, s), Lookup::Current(_))
        {
            return Err(invalid("assignee_staff_id", "not a current member of IT"));
        }
        let now = self.now();
        let ticket = Ticket {
            id: id.to_owned(),
            employee_id: employee.id.clone(),
            assignee_staff_id: input
                .assignee_staff_id
                .map(|s| reference::normalize_staff_id(&s)),
            summary: input.summary.trim().to_owned(),
            status,
            opened_at: now,
            updated_at: now,
            pushed_by: p.account.username.clone(),
        };
        self.inner
            .store
            .upsert_ticket(
                &ticket,
                vec![event(
                    now,
                    &p.actor(),
                    "ticket.pushed",
                    format!("ticket:{}", ticket.id),
                    json!({ "employee_id": ticket.employee_id, "status": ticket.status, "assignee": ticket.assignee_staff_id }),
                )],
            )
            .await?;
        Ok(())
    }

    fn indicator_context<'a>(&'a self, own: &'a [String]) -> Context<'a> {
        Context {
            own_domains: own,
            is_shared_domain: countersign_engine::Identities::is_free_mail,
            default_calling_code: self.employee_settings().default_calling_code.as_deref(),
        }
    }

    /// Indicators of a judged message: sender address and domain, Reply-To,
    /// links' domains, phone numbers, a claimed name when the engine found
    /// impersonation; lookalike findings become notes.
    fn message_indicators(&self, judged: &Judged, into: &mut Indicators, cx: &Context<'_>) {
        let Some(summary) = judged.analysis.summary.as_ref() else {
            return;
        };
        if let Some(from) = &summary.from_address {
            into.email(from, cx);
        }
        for r in &summary.reply_to {
            into.email(r, cx);
        }
        for d in &summary.link_domains {
            into.domain(d, cx);
        }
        for n in &summary.phone_numbers {
            into.phone(n, cx);
        }
        if let Some(v) = &judged.analysis.verdict {
            let impersonation = v.findings.iter().any(|f| {
                f.signal.starts_with("impersonation.")
                    || f.signal.starts_with("sender.display_name")
            });
            if impersonation && let Some(name) = &summary.from_name {
                into.claimed_name(name);
            }
            for f in &v.findings {
                if f.signal.starts_with("lookalike.")
                    && let Some(from) = &summary.from_address
                    && let Some((_, d)) = from.rsplit_once('@')
                    && let Some(reg) = countersign_employees::indicators::normalize_domain(d)
                {
                    into.note(IndicatorKind::Domain, &reg, f.summary.clone());
                }
            }
        }
    }

    /// The sighting of a message the gateway held back: its indicators,
    /// queued with the verdict and correlated into campaigns by
    /// [`Services::correlate_pending`]. `None` when it carries none.
    pub(crate) fn message_sighting(&self, judged: &Judged) -> Option<Sighting> {
        let current = self.inner.directory.current();
        let own = current
            .snapshot
            .organisation
            .as_ref()
            .map(|o| o.domains.clone())
            .unwrap_or_default();
        let cx = self.indicator_context(&own);
        let mut ind = Indicators::default();
        self.message_indicators(judged, &mut ind, &cx);
        if ind.list.is_empty() {
            return None;
        }
        let summary = judged.analysis.summary.clone().unwrap_or_default();
        Some(Sighting {
            id: judged.message_id.clone(),
            kind: SightingKind::Message,
            at: self.now(),
            indicators: ind.list,
            team: None,
            target: None,
            summary: format!(
                "{} message: {}",
                judged.action().as_str(),
                summary
                    .subject
                    .unwrap_or_else(|| "(no subject)".into())
                    .chars()
                    .take(120)
                    .collect::<String>()
            ),
        })
    }

    /// Correlates the queued sightings of held-back messages, a batch per
    /// transaction, until none waits (or `max_batches` ran); answers how
    /// many were correlated. Run by the correlator task after each recorded
    /// batch that queued one, at start (what a crash left) and at shutdown.
    pub async fn correlate_pending(&self, max_batches: usize) -> Result<usize, ServiceError> {
        let window = self.employee_settings().campaign_window;
        let mut done = 0;
        for _ in 0..max_batches {
            let outcomes = self
                .inner
                .store
                .correlate_pending(
                    CORRELATION_BATCH,
                    window,
                    || countersign_accounts::token::random_id("k"),
                    |sighting, outcome| announce(outcome, "countersign", &sighting.id),
                )
                .await?;
            for (sighting, outcome) in &outcomes {
                self.count_correlation(sighting, outcome);
            }
            if outcomes
                .iter()
                .any(|(_, o)| !matches!(o, Correlation::Alone))
            {
                self.inner.outbox_wake.notify_one();
            }
            done += outcomes.len();
            if outcomes.len() < CORRELATION_BATCH {
                break;
            }
        }
        Ok(done)
    }

    async fn correlate(
        &self,
        sighting: Sighting,
        actor: &str,
    ) -> Result<Correlation, ServiceError> {
        let window = self.employee_settings().campaign_window;
        let outcome = self
            .inner
            .store
            .correlate(
                &sighting,
                window,
                countersign_accounts::token::random_id("k"),
                |outcome| announce(outcome, actor, &sighting.id),
            )
            .await?;
        self.count_correlation(&sighting, &outcome);
        if !matches!(outcome, Correlation::Alone) {
            self.inner.outbox_wake.notify_one();
        }
        Ok(outcome)
    }

    fn count_correlation(&self, sighting: &Sighting, outcome: &Correlation) {
        let outcome = match outcome {
            Correlation::Alone => "alone",
            Correlation::Formed(_) => "formed",
            Correlation::Grew { .. } => "grew",
        };
        self.inner
            .metrics
            .correlations
            .get_or_create(&crate::metrics::labels(&[
                ("kind", sighting.kind.as_str()),
                ("outcome", outcome),
            ]))
            .inc();
    }

    /// A suspicious message forwarded to the report mailbox (`origin` names
    /// where it was read). It becomes the forwarder's report only when the
    /// forward itself passes DMARC (so no one can report in an employee's
    /// name) and its From is an active employee's or IT staff member's
    /// directory address with an account; otherwise it is refused,
    /// audited, and left for a person.
    pub async fn report_forwarded(
        &self,
        origin: &str,
        raw: Vec<u8>,
    ) -> Result<ForwardOutcome, ServiceError> {
        let refuse = |reason: String| ForwardOutcome::Refused { reason };
        let outcome = match countersign_employees::forward::read(&raw) {
            Err(e) => refuse(e.to_string()),
            Ok(forward) => {
                let wrapper = self
                    .analyze(&IncomingMessage::without_envelope(
                        raw,
                        "report",
                        "mailbox".into(),
                    ))
                    .await?;
                let authenticated = wrapper.report.dmarc_all().next().is_some()
                    && countersign_auth::dmarc_passed(&wrapper.report);
                match (authenticated, self.forwarder(&forward.from).await?) {
                    (false, _) => refuse(format!(
                        "the forward from {} did not pass DMARC: it cannot be told from a forgery",
                        forward.from
                    )),
                    (true, None) => refuse(format!(
                        "{} is not an active employee or IT staff member with an account",
                        forward.from
                    )),
                    (true, Some(account)) => {
                        let principal = Principal {
                            roles: account.roles,
                            account,
                            stage: countersign_accounts::signin::Stage::Full,
                            via: crate::Via::Mail(origin.to_owned()),
                            address: String::new(),
                        };
                        let details = if forward.note.is_empty() {
                            format!("Forwarded: {}", forward.subject)
                        } else {
                            forward.note
                        };
                        let input = ReportInput {
                            form: ReportForm {
                                channel: "email".into(),
                                claimed_name: None,
                                claimed_staff_id: None,
                                claimed_organisation: None,
                                contact: None,
                                offered: Vec::new(),
                                asked: Vec::new(),
                                details,
                            },
                            message: None,
                            message_base64: forward
                                .attached
                                .map(|m| data_encoding::BASE64.encode(&m)),
                        };
                        match self.submit_report(&principal, input, "mailbox").await {
                            Ok(ack) => ForwardOutcome::Filed {
                                reporter: principal.account.username,
                                ack,
                            },
                            Err(ServiceError::Invalid { field, message }) => {
                                refuse(format!("{field}: {message}"))
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
        };
        if let ForwardOutcome::Refused { reason } = &outcome {
            self.audit(vec![event(
                self.now(),
                "countersign",
                "report.forward_refused",
                format!("mailbox:{}", origin.chars().take(200).collect::<String>()),
                json!({ "reason": reason }),
            )])
            .await?;
        }
        Ok(outcome)
    }

    /// The account of the active employee or IT staff member whose
    /// directory address is `email`.
    async fn forwarder(
        &self,
        email: &str,
    ) -> Result<Option<countersign_accounts::Account>, ServiceError> {
        let current = self.inner.directory.refresh().await?;
        let snapshot = &current.snapshot;
        let employee = snapshot
            .employees
            .iter()
            .find(|e| {
                e.email.eq_ignore_ascii_case(email)
                    && e.status == countersign_directory::EmployeeStatus::Active
            })
            .map(|e| e.id.clone());
        let staff = snapshot
            .staff
            .iter()
            .find(|s| {
                s.email.eq_ignore_ascii_case(email)
                    && s.status == countersign_directory::StaffStatus::Active
            })
            .map(|s| s.staff_id.clone());
        if employee.is_none() && staff.is_none() {
            return Ok(None);
        }
        Ok(self.inner.store.accounts().await?.into_iter().find(|a| {
            !a.disabled
                && ((employee.is_some() && a.employee_id == employee)
                    || (staff.is_some() && a.staff_id == staff))
        }))
    }

    /// One-step report of a suspicious offer (any signed-in person). A
    /// forwarded message goes through the analysis and its findings join
    /// the report; the indicators are correlated into campaigns. Past the
    /// reporter's rate the report is kept but deferred.
    pub async fn submit_report(
        &self,
        p: &Principal,
        input: ReportInput,
        client_ip: &str,
    ) -> Result<ReportAck, ServiceError> {
        p.require(PEOPLE)?;
        let raw = match (input.message, input.message_base64) {
            (None, None) => None,
            (Some(t), None) => Some(t.into_bytes()),
            (None, Some(b)) => Some(
                data_encoding::BASE64
                    .decode(b.trim().as_bytes())
                    .map_err(|e| invalid("message_base64", e.to_string()))?,
            ),
            _ => {
                return Err(invalid(
                    "message",
                    "give at most one of message and message_base64",
                ));
            }
        };
        if raw.as_ref().is_some_and(|r| r.is_empty()) {
            return Err(invalid("message", "the message is empty"));
        }
        let current = self.inner.directory.refresh().await?;
        let own = current
            .snapshot
            .organisation
            .as_ref()
            .map(|o| o.domains.clone())
            .unwrap_or_default();
        let cx = self.indicator_context(&own);
        let mut body = report::check(input.form, raw.is_some(), &cx)
            .map_err(|e| invalid(e.field, e.message))?;
        let deferred = !self
            .within_rate(p, "report", self.employee_settings().reports_per_window)
            .await?;
        let now = self.now();
        let id = countersign_accounts::token::random_id("r");
        let mut message_doc = None;
        let mut message_id = None;
        let mut raw_kept = None;
        if let Some(raw) = raw {
            if deferred {
                raw_kept = Some(data_encoding::BASE64.encode(&raw));
            } else {
                let judged = self
                    .judge(
                        IncomingMessage::without_envelope(raw, "report", p.actor()),
                        false,
                    )
                    .await?;
                self.message_indicators(&judged, &mut body.indicators, &cx);
                if let Some(v) = &judged.analysis.verdict {
                    body.asked.extend(
                        v.findings
                            .iter()
                            .filter_map(|f| request_of_signal(&f.signal)),
                    );
                }
                let summary = judged.analysis.summary.clone().unwrap_or_default();
                message_doc = Some(json!({
                    "message_id": judged.message_id,
                    "verdict": judged.action(),
                    "from": summary.from_address,
                    "subject": summary.subject,
                    "reasons": judged.analysis.verdict.as_ref().map(|v| v.reasons.clone()).unwrap_or_default(),
                    "findings": judged.analysis.verdict.as_ref().map(|v| v.findings.iter().map(|f| json!({"signal": f.signal, "summary": f.summary})).collect::<Vec<_>>()).unwrap_or_default(),
                }));
                message_id = Some(judged.message_id);
            }
        }
        let indicators: Vec<String> = body.indicators.list.iter().map(|i| i.key()).collect();
        let document = json!({
            "id": id,
            "channel": body.channel,
            "form": body.form,
            "offered": body.offered,
            "asked": body.asked,
            "indicators": body.indicators,
            "message": message_doc,
            "message_kept_base64": raw_kept,
            "triage": null,
        });
        let record = ReportRecord {
            id: id.clone(),
            reporter_id: p.account.id.clone(),
            received_at: now,
            status: "received".into(),
            deferred,
            message_id: message_id.clone(),
            document: document.to_string(),
        };
        self.inner
            .store
            .insert_report(
                &record,
                vec![event(
                    now,
                    &p.actor(),
                    if deferred {
                        "report.deferred"
                    } else {
                        "report.received"
                    },
                    format!("report:{id}"),
                    json!({ "channel": body.channel, "offered": body.offered, "asked": body.asked,
                            "indicators": indicators, "message": message_id, "address": p.address,
                            "client": client_ip }),
                )],
            )
            .await?;
        if !deferred && !body.indicators.list.is_empty() {
            let team = match &p.account.staff_id {
                Some(s) => current
                    .snapshot
                    .staff
                    .iter()
                    .find(|x| x.staff_id == *s)
                    .map(|x| x.team.clone())
                    .filter(|t| !t.is_empty()),
                None => None,
            };
            let claimed = body
                .form
                .claimed_name
                .clone()
                .or(body.form.claimed_organisation.clone())
                .unwrap_or_else(|| "someone".into());
            let sighting = Sighting {
                id: id.clone(),
                kind: SightingKind::Report,
                at: now,
                indicators: body.indicators.list.clone(),
                team: team.or_else(|| Some("employees".into())),
                target: Some(countersign_cases::digest_hex(p.account.id.as_bytes())),
                summary: format!(
                    "{} report: {} claiming to be {}",
                    serde_json::to_value(body.channel)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    if body.offered.is_empty() {
                        "a contact".to_owned()
                    } else {
                        format!(
                            "an offer ({})",
                            body.offered
                                .iter()
                                .map(|o| serde_json::to_value(o)
                                    .ok()
                                    .and_then(|v| v.as_str().map(str::to_owned))
                                    .unwrap_or_default())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                    claimed.chars().take(80).collect::<String>()
                ),
            };
            self.correlate(sighting, &p.actor()).await?;
        }
        Ok(ReportAck {
            report_id: id,
            status: if deferred { "deferred" } else { "received" }.into(),
            acknowledgement: if deferred {
                "Thank you. Your report is kept; you have sent many reports in a short time, so the security team will look at this one by hand.".into()
            } else {
                "Thank you for reporting this. The security team will look at it, and you will see the outcome here. Reporting is never held against you.".into()
            },
            indicators,
            message: message_doc,
        })
    }

    fn report_view(r: &ReportRecord, full: bool) -> ReportView {
        let mut doc: serde_json::Value =
            serde_json::from_str(&r.document).unwrap_or(serde_json::Value::Null);
        let outcome = doc["triage"]["outcome"].as_str().map(str::to_owned);
        let outcome_message = outcome.as_ref().map(|o| {
            let note = doc["triage"]["note"].as_str().unwrap_or_default();
            let base = serde_json::from_value::<Outcome>(json!(o))
                .map(|o| o.message())
                .unwrap_or_default();
            if note.is_empty() {
                base.to_owned()
            } else {
                format!("{base} {note}")
            }
        });
        if !full {
            // The reporter sees their report and the outcome; not who triaged it.
            if let Some(t) = doc.get_mut("triage").and_then(|t| t.as_object_mut()) {
                t.remove("by");
            }
            if let Some(o) = doc.as_object_mut() {
                o.remove("message_kept_base64");
            }
        } else if let Some(o) = doc.as_object_mut() {
            o.insert("reporter_id".into(), json!(r.reporter_id));
        }
        ReportView {
            id: r.id.clone(),
            received_at: rfc3339(r.received_at),
            status: r.status.clone(),
            deferred: r.deferred,
            outcome,
            outcome_message,
            report: doc,
        }
    }

    /// The caller's own reports, newest first.
    pub async fn my_reports(&self, p: &Principal) -> Result<Vec<ReportView>, ServiceError> {
        p.require(PEOPLE)?;
        Ok(self
            .inner
            .store
            .reports(Some(&p.account.id), 200)
            .await?
            .iter()
            .map(|r| Self::report_view(r, false))
            .collect())
    }

    /// Every report, newest first (the security team).
    pub async fn all_reports(&self, p: &Principal) -> Result<Vec<ReportView>, ServiceError> {
        p.require(&[Role::SecurityAdmin, Role::Analyst])?;
        Ok(self
            .inner
            .store
            .reports(None, 500)
            .await?
            .iter()
            .map(|r| Self::report_view(r, true))
            .collect())
    }

    /// A report: its reporter's own, or any to the security team.
    pub async fn report(&self, p: &Principal, id: &str) -> Result<ReportView, ServiceError> {
        p.require(PEOPLE)?;
        let team = p.has_any(&[Role::SecurityAdmin, Role::Analyst]);
        let r = self
            .inner
            .store
            .report(id)
            .await?
            .filter(|r| team || r.reporter_id == p.account.id)
            .ok_or_else(|| ServiceError::NotFound(format!("report {id}")))?;
        Ok(Self::report_view(&r, team))
    }

    /// Records the outcome of a report; the reporter sees it.
    pub async fn triage_report(
        &self,
        p: &Principal,
        id: &str,
        input: TriageInput,
    ) -> Result<ReportView, ServiceError> {
        p.require(&[Role::SecurityAdmin, Role::Analyst])?;
        if input.note.chars().count() > 2000 {
            return Err(invalid("note", "at most 2000 characters"));
        }
        let mut r = self
            .inner
            .store
            .report(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("report {id}")))?;
        if r.reporter_id == p.account.id {
            return Err(ServiceError::Forbidden(
                "nobody triages their own report".into(),
            ));
        }
        let now = self.now();
        let mut doc: serde_json::Value =
            serde_json::from_str(&r.document).unwrap_or(serde_json::Value::Null);
        doc["triage"] = json!({ "outcome": input.outcome, "note": input.note.trim(), "by": p.account.username, "at": rfc3339(now) });
        r.document = doc.to_string();
        r.status = "triaged".into();
        self.inner
            .store
            .update_report(
                &r,
                vec![event(
                    now,
                    &p.actor(),
                    "report.triaged",
                    format!("report:{id}"),
                    json!({ "outcome": input.outcome, "address": p.address }),
                )],
                Vec::new(),
            )
            .await?;
        Ok(Self::report_view(&r, true))
    }

    /// Campaigns, most recently changed first (security administrators).
    pub async fn campaigns(
        &self,
        p: &Principal,
        status: Option<&str>,
    ) -> Result<Vec<Campaign>, ServiceError> {
        p.require(&[Role::SecurityAdmin])?;
        let status = match status {
            None | Some("") => None,
            Some(s) => Some(
                Status::parse(s).ok_or_else(|| invalid("status", "open, contained or closed"))?,
            ),
        };
        Ok(self
            .inner
            .store
            .campaigns(status, 200)
            .await?
            .iter()
            .map(Campaign::redacted)
            .collect())
    }

    /// One campaign (security administrators).
    pub async fn campaign(&self, p: &Principal, id: &str) -> Result<Campaign, ServiceError> {
        p.require(&[Role::SecurityAdmin])?;
        self.inner
            .store
            .campaign(id)
            .await?
            .map(|c| c.redacted())
            .ok_or_else(|| ServiceError::NotFound(format!("campaign {id}")))
    }

    /// Marks a campaign open, contained or closed (security administrators).
    pub async fn set_campaign_status(
        &self,
        p: &Principal,
        id: &str,
        input: CampaignStatusInput,
    ) -> Result<Campaign, ServiceError> {
        p.require(&[Role::SecurityAdmin])?;
        let status = Status::parse(&input.status)
            .ok_or_else(|| invalid("status", "open, contained or closed"))?;
        let now = self.now();
        if !self
            .inner
            .store
            .set_campaign_status(
                id,
                status,
                now,
                vec![event(
                    now,
                    &p.actor(),
                    "campaign.status_changed",
                    format!("campaign:{id}"),
                    json!({ "status": status, "address": p.address }),
                )],
            )
            .await?
        {
            return Err(ServiceError::NotFound(format!("campaign {id}")));
        }
        self.campaign(p, id).await
    }
}
