//! Working verification cases: open by hand, view, call back, send and
//! check codes, challenge and verify vendor signatures, approve, deny,
//! release, expire. Every command is checked against the case's state and
//! the directory as it stands now, written with compare-and-set (one of two
//! concurrent transitions wins), audited with who, when and from where, and
//! announced to webhooks in the same transaction.

use crate::{Principal, ServiceError, Services, event, metrics::labels};
use countersign_accounts::{Role, RoleSet};
use countersign_cases::claim::{ChannelEntry, resolve_named};
use countersign_cases::signature::ChallengePayload;
use countersign_cases::{
    Actor, CallbackOutcome, Capacity, Case, CaseError, CaseState, Channel, CodeChannel, Command,
    EventKind, NewCase, Origin, RequestSummary, Untrusted, code,
};
use countersign_model::verdict::Action;
use countersign_risk::RiskCategory;
use countersign_store::PublishedEvent;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

/// How many times a command is re-planned when another node changed the
/// case in between.
const MAX_ATTEMPTS: usize = 5;

/// A new event ID (webhook idempotency key).
pub(crate) fn new_event_id() -> String {
    countersign_accounts::token::random_id("evt")
}

/// The JSON delivered to webhooks for a case event.
pub(crate) fn case_event_payload(
    event_id: &str,
    kind: EventKind,
    case: &Case,
    at: OffsetDateTime,
) -> String {
    json!({
        "id": event_id,
        "type": kind.name(),
        "occurred_at": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "case": case.redacted(),
    })
    .to_string()
}

/// How the claimed identity can be verified now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// Whether the directory holds a trusted channel for the claim.
    pub can_verify: bool,
    /// Directory numbers to call back (and for SMS/voice codes).
    #[schema(value_type = Vec<Object>)]
    pub call: Vec<ChannelEntry>,
    /// Directory addresses for email codes.
    #[schema(value_type = Vec<Object>)]
    pub email: Vec<ChannelEntry>,
    /// Numbers found in the request: never call these.
    pub do_not_call: Vec<String>,
    /// Why the claim cannot be verified, and what would fix it.
    #[schema(value_type = Option<Object>)]
    pub untrusted: Option<Untrusted>,
}

/// A case as an analyst or integration sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    /// The case: state, claimed identity, request, controls with their
    /// progress, reasons, closure (code hashes removed).
    #[schema(value_type = Object)]
    pub case: Case,
    /// How to verify it now.
    pub verification: Verification,
}

/// A page of cases for polling.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    /// Cases changed after the cursor, oldest change first.
    #[schema(value_type = Vec<Object>)]
    pub cases: Vec<Case>,
    /// Pass as `since` to get what changes next.
    pub next_since: String,
}

/// A case opened by an analyst for a phone, chat or in-person request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewManualCase {
    /// phone, chat, in_person, email or ticket.
    pub channel: String,
    /// What the requester said about themselves, as said.
    pub claim: String,
    /// The vendor they claim to be from (directory vendor ID).
    #[serde(default)]
    pub vendor_id: Option<String>,
    /// The vendor contact they claim to be (directory email).
    #[serde(default)]
    pub contact_email: Option<String>,
    /// The IT staff member they claim to be (directory staff ID).
    #[serde(default)]
    pub staff_id: Option<String>,
    /// The employee they claim to be (directory employee ID).
    #[serde(default)]
    pub employee_id: Option<String>,
    /// What they ask: credential_reset, mfa_reset, access_grant,
    /// remote_access, software_install, payment_change, data_export.
    #[serde(default)]
    pub request_kinds: Vec<String>,
    /// What they ask, in words.
    pub summary: String,
    /// Numbers the requester gave: recorded as "do not call".
    #[serde(default)]
    pub numbers_given: Vec<String>,
}

/// A callback's outcome.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackInput {
    /// The directory number called.
    pub number: String,
    /// confirmed, denied or no_answer.
    #[schema(value_type = String)]
    pub outcome: CallbackOutcome,
}

/// Send a one-time code.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendCodeInput {
    /// email, sms or voice.
    #[schema(value_type = String)]
    pub channel: CodeChannel,
    /// One of the case's directory channels (default: the first).
    #[serde(default)]
    pub destination: Option<String>,
}

/// A code read back by the requester.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    /// The code as read back.
    pub code: String,
}

/// A signed challenge.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureInput {
    /// The compact JWS (EdDSA) the vendor returned.
    pub jws: String,
}

/// An approval.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    /// approver or relationship_manager.
    #[schema(value_type = String)]
    pub capacity: Capacity,
    /// A fresh TOTP code of the approver.
    pub totp: String,
}

/// A denial.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DenyInput {
    /// Why.
    pub reason: String,
}

/// One entry of a case's timeline (from the audit log).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// Audit log position.
    pub seq: u64,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// What (e.g. `case.callback_recorded`).
    pub action: String,
    /// Details.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

fn refusal(err: CaseError) -> ServiceError {
    match err {
        CaseError::WrongState(..)
        | CaseError::Expired(_)
        | CaseError::AlreadySatisfied(_)
        | CaseError::NotRequired(_)
        | CaseError::NoVendor
        | CaseError::NoCode
        | CaseError::NoChallenge
        | CaseError::TooManyCodes(_) => ServiceError::Conflict(err.to_string()),
        CaseError::Untrusted(u) => ServiceError::Conflict(format!(
            "cannot verify through the directory: {}. To fix: {}",
            u.reason, u.fix
        )),
        CaseError::NumberNotInDirectory(_) => ServiceError::invalid("number", err.to_string()),
        CaseError::DestinationNotInDirectory(_) => {
            ServiceError::invalid("destination", err.to_string())
        }
        CaseError::ReasonRequired => ServiceError::invalid("reason", err.to_string()),
        CaseError::MissingRole(_)
        | CaseError::MfaRequired
        | CaseError::ConflictOfInterest(..)
        | CaseError::AlreadyApproved(_)
        | CaseError::CapacityFilled(_)
        | CaseError::NotRelationshipManager(..) => ServiceError::Forbidden(err.to_string()),
        CaseError::CodeExpired
        | CaseError::CodeUsed
        | CaseError::CodeWrong(_)
        | CaseError::CodeExhausted
        | CaseError::ChallengeExpired
        | CaseError::ChallengeUsed
        | CaseError::Signature(_) => ServiceError::Refused(err.to_string()),
    }
}

fn actor_of(p: &Principal) -> Actor {
    Actor {
        account_id: p.account.id.clone(),
        name: p.account.display_name.clone(),
        roles: p.roles,
        staff_id: p.account.staff_id.clone(),
    }
}

const READERS: &[Role] = &[
    Role::Analyst,
    Role::Approver,
    Role::RelationshipManager,
    Role::SecurityAdmin,
    Role::Integration,
];

impl Services {
    fn view(&self, case: &Case, snapshot: &countersign_directory::DirectorySnapshot) -> CaseView {
        let channels = case.channels(snapshot, self.now());
        let (call, email, untrusted) = match channels {
            Ok(c) => (c.phones, c.emails, None),
            Err(u) => (Vec::new(), Vec::new(), Some(u)),
        };
        CaseView {
            verification: Verification {
                can_verify: untrusted.is_none(),
                call,
                email,
                do_not_call: case.do_not_call.clone(),
                untrusted,
            },
            case: case.redacted(),
        }
    }

    /// A case with how to verify it now.
    pub async fn case_view(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<CaseView, ServiceError> {
        principal.require(READERS)?;
        let current = self.inner.directory.refresh().await?;
        let (case, _) = self
            .inner
            .store
            .case(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))?;
        Ok(self.view(&case, &current.snapshot))
    }

    /// Cases changed since a cursor (polling for help-desk tools).
    pub async fn list_cases(
        &self,
        principal: &Principal,
        since: Option<&str>,
        state: Option<&str>,
        limit: Option<u32>,
    ) -> Result<CasePage, ServiceError> {
        principal.require(READERS)?;
        let after = match since {
            None | Some("") => None,
            Some(text) => Some(parse_cursor(text)?),
        };
        let state = match state {
            None | Some("") => None,
            Some(s) => Some(CaseState::parse(s).ok_or_else(|| {
                ServiceError::invalid(
                    "state",
                    "one of pending, verified, released, denied, expired",
                )
            })?),
        };
        let limit = limit.unwrap_or(100).clamp(1, 500);
        let cases = self
            .inner
            .store
            .cases_since(after.clone(), state, limit)
            .await?;
        let next_since = match cases.last() {
            Some(c) => format!("{}.{}", countersign_audit::unix_millis(c.updated_at), c.id),
            None => since.unwrap_or_default().to_owned(),
        };
        Ok(CasePage {
            cases: cases.iter().map(Case::redacted).collect(),
            next_since,
        })
    }

    /// The audit entries about a case, oldest first.
    pub async fn case_timeline(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<Vec<TimelineEntry>, ServiceError> {
        principal.require(READERS)?;
        if self.inner.store.case(id).await?.is_none() {
            return Err(ServiceError::NotFound(format!("case {id}")));
        }
        Ok(self
            .inner
            .store
            .audit_entries_about(&format!("case:{id}"))
            .await?
            .into_iter()
            .map(|e| TimelineEntry {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    /// Opens a case for a request that came by phone, chat or in person.
    /// The policy names the controls from who is claimed and what is asked,
    /// exactly as it would for an email.
    pub async fn open_case(
        &self,
        principal: &Principal,
        input: NewManualCase,
    ) -> Result<CaseView, ServiceError> {
        principal.require(&[Role::Analyst])?;
        let channel = match input.channel.as_str() {
            "phone" => Channel::Phone,
            "chat" => Channel::Chat,
            "in_person" => Channel::InPerson,
            "email" => Channel::Email,
            "ticket" => Channel::Ticket,
            other => {
                return Err(ServiceError::invalid(
                    "channel",
                    format!("{other:?}: one of phone, chat, in_person, email, ticket"),
                ));
            }
        };
        if input.summary.trim().is_empty() || input.summary.len() > 4000 {
            return Err(ServiceError::invalid("summary", "1 to 4000 characters"));
        }
        if input.claim.trim().is_empty() || input.claim.len() > 500 {
            return Err(ServiceError::invalid("claim", "1 to 500 characters"));
        }
        let mut kinds = Vec::new();
        for k in &input.request_kinds {
            match RiskCategory::from_name(k) {
                Some(c) if c.is_high_risk_request() => kinds.push(c.as_str().to_owned()),
                _ => {
                    return Err(ServiceError::invalid(
                        "request_kinds",
                        format!(
                            "{k:?}: one of credential_reset, mfa_reset, access_grant, remote_access, software_install, payment_change, data_export"
                        ),
                    ));
                }
            }
        }
        kinds.sort();
        kinds.dedup();
        let mut do_not_call = Vec::new();
        for n in &input.numbers_given {
            do_not_call.push(
                countersign_directory::normalize_phone(n).unwrap_or_else(|| n.trim().to_owned()),
            );
        }
        let current = self.inner.directory.refresh().await?;
        let claimed = resolve_named(
            &current.snapshot,
            input.vendor_id.as_deref(),
            input.contact_email.as_deref(),
            input.staff_id.as_deref(),
            input.employee_id.as_deref(),
            input.claim.trim(),
        )
        .map_err(|m| ServiceError::invalid("claim", m))?;
        let now = self.now();
        let findings = countersign_cases::manual_findings(&claimed, &kinds, &current.snapshot, now);
        let decision = match current.pipeline.engine() {
            Some(engine) => engine.policy().decide(&findings),
            None => countersign_policy::Policy::default_policy().decide(&findings),
        };
        let controls = if decision.verdict == Action::Hold {
            decision.required_controls.clone()
        } else {
            Vec::new()
        };
        let record = json!({
            "channel": input.channel, "claim": input.claim, "kinds": kinds,
            "summary": input.summary, "by": principal.account.id, "at": now.unix_timestamp(),
        });
        let (case, opened) = Case::open(
            NewCase {
                id: countersign_accounts::token::random_id("c"),
                origin: Origin::Manual {
                    opened_by: principal.account.id.clone(),
                },
                channel,
                claimed,
                request: RequestSummary {
                    kinds,
                    summary: input.summary.trim().to_owned(),
                },
                request_digest: countersign_cases::digest_hex(record.to_string().as_bytes()),
                reasons: decision.reasons,
                do_not_call,
                controls,
            },
            now,
            self.inner.settings.case_lifetime,
        );
        let event_id = new_event_id();
        self.inner
            .store
            .insert_case(
                &case,
                vec![event(
                    now,
                    &principal.actor(),
                    opened.kind.name(),
                    format!("case:{}", case.id),
                    json!({ "detail": opened.detail, "address": principal.address, "controls": case.controls.iter().map(|c| c.control).collect::<Vec<_>>() }),
                )],
                vec![PublishedEvent {
                    payload: case_event_payload(&event_id, opened.kind, &case, now),
                    event_id,
                    event_type: opened.kind.name().to_owned(),
                }],
            )
            .await?;
        self.count_events(&[opened.kind]);
        self.inner.outbox_wake.notify_one();
        Ok(self.view(&case, &current.snapshot))
    }

    fn count_events(&self, kinds: &[EventKind]) {
        for kind in kinds {
            self.inner
                .metrics
                .case_events
                .get_or_create(&labels(&[("event", kind.name())]))
                .inc();
        }
    }

    /// Applies a command to a case: re-planned against fresh state when
    /// another writer won, refused commands audited too.
    async fn act(
        &self,
        actor: &Actor,
        actor_label: &str,
        address: &str,
        id: &str,
        make: impl Fn(&Case) -> Result<Command, ServiceError>,
    ) -> Result<Case, ServiceError> {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.inner.directory.refresh().await?;
            let (case, version) = self
                .inner
                .store
                .case(id)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))?;
            let command = make(&case)?;
            let command_name = command.name();
            let now = self.now();
            let mut next = case.clone();
            let applied = match next.apply(command, actor, &current.snapshot, now) {
                Ok(applied) => applied,
                Err(err) => {
                    self.audit(vec![event(
                        now,
                        actor_label,
                        "case.refused",
                        format!("case:{id}"),
                        json!({ "command": command_name, "reason": err.to_string(), "address": address }),
                    )])
                    .await?;
                    return Err(refusal(err));
                }
            };
            let mut audit = Vec::new();
            let mut published = Vec::new();
            for ev in &applied.events {
                audit.push(event(
                    now,
                    actor_label,
                    ev.kind.name(),
                    format!("case:{id}"),
                    json!({ "detail": ev.detail, "control": ev.control, "command": command_name, "address": address }),
                ));
                if ev.kind.is_published() {
                    let event_id = new_event_id();
                    published.push(PublishedEvent {
                        payload: case_event_payload(&event_id, ev.kind, &next, now),
                        event_id,
                        event_type: ev.kind.name().to_owned(),
                    });
                }
            }
            let any_published = !published.is_empty();
            if !self
                .inner
                .store
                .update_case(&next, version, audit, published)
                .await?
            {
                continue;
            }
            self.count_events(&applied.events.iter().map(|e| e.kind).collect::<Vec<_>>());
            if any_published {
                self.inner.outbox_wake.notify_one();
            }
            return match applied.refusal {
                Some(err) => Err(refusal(err)),
                None => Ok(next),
            };
        }
        Err(ServiceError::Conflict(
            "the case kept changing under this request; reload it and try again".into(),
        ))
    }

    async fn act_as(
        &self,
        principal: &Principal,
        id: &str,
        make: impl Fn(&Case) -> Result<Command, ServiceError>,
    ) -> Result<CaseView, ServiceError> {
        let case = self
            .act(
                &actor_of(principal),
                &principal.actor(),
                &principal.address,
                id,
                make,
            )
            .await?;
        Ok(self.view(&case, &self.inner.directory.current().snapshot))
    }

    /// Records a callback to a directory number.
    pub async fn record_callback(
        &self,
        principal: &Principal,
        id: &str,
        input: CallbackInput,
    ) -> Result<CaseView, ServiceError> {
        principal.require(&[Role::Analyst])?;
        self.act_as(principal, id, |_| {
            Ok(Command::RecordCallback {
                number: input.number.clone(),
                outcome: input.outcome,
            })
        })
        .await
    }

    /// Sends a one-time code to a directory channel of the claimed identity.
    pub async fn send_code(
        &self,
        principal: &Principal,
        id: &str,
        input: SendCodeInput,
    ) -> Result<CaseView, ServiceError> {
        principal.require(&[Role::Analyst])?;
        if !self.inner.codes.supports(input.channel) {
            return Err(ServiceError::invalid(
                "channel",
                match input.channel {
                    CodeChannel::Email => "no SMTP relay is configured (smtp_relay)",
                    _ => "no SMS/voice adapter is configured (phone_adapter_url)",
                },
            ));
        }
        let secret = code::generate();
        let hash = code::hash(&secret);
        let lifetime = self.inner.settings.code_lifetime;
        let chosen = std::sync::Mutex::new(String::new());
        let current = self.inner.directory.refresh().await?;
        let view = self
            .act_as(principal, id, |case| {
                let destination = match &input.destination {
                    Some(d) => d.trim().to_owned(),
                    None => {
                        let channels = case
                            .channels(&current.snapshot, OffsetDateTime::now_utc())
                            .map_err(|u| refusal(CaseError::Untrusted(u)))?;
                        let list = match input.channel {
                            CodeChannel::Email => &channels.emails,
                            _ => &channels.phones,
                        };
                        list.first().map(|e| e.address.clone()).ok_or_else(|| {
                            ServiceError::Conflict(
                                "the claimed identity has no directory channel of this kind".into(),
                            )
                        })?
                    }
                };
                *chosen.lock().unwrap_or_else(|e| e.into_inner()) = destination.clone();
                Ok(Command::IssueCode {
                    channel: input.channel,
                    destination,
                    code_hash: hash.clone(),
                    lifetime,
                })
            })
            .await?;
        let destination = chosen.into_inner().unwrap_or_else(|e| e.into_inner());
        let sent = self
            .inner
            .codes
            .send(
                input.channel,
                &destination,
                &secret,
                id,
                lifetime.whole_minutes(),
            )
            .await;
        let channel_name = match input.channel {
            CodeChannel::Email => "email",
            CodeChannel::Sms => "sms",
            CodeChannel::Voice => "voice",
        };
        self.inner
            .metrics
            .codes_sent
            .get_or_create(&labels(&[
                ("channel", channel_name),
                ("outcome", if sent.is_ok() { "sent" } else { "failed" }),
            ]))
            .inc();
        if let Err(err) = sent {
            self.audit(vec![event(
                self.now(),
                &principal.actor(),
                "case.code_delivery_failed",
                format!("case:{id}"),
                json!({ "channel": channel_name, "error": err.to_string(), "address": principal.address }),
            )])
            .await?;
            return Err(ServiceError::Upstream(format!(
                "the code could not be sent: {err}; send a new one when the channel works"
            )));
        }
        Ok(view)
    }

    /// Checks a code read back by the requester.
    pub async fn verify_code(
        &self,
        principal: &Principal,
        id: &str,
        input: CodeInput,
    ) -> Result<CaseView, ServiceError> {
        principal.require(&[Role::Analyst])?;
        if input.code.len() > 64 {
            return Err(ServiceError::invalid("code", "too long"));
        }
        self.act_as(principal, id, |_| {
            Ok(Command::SubmitCode {
                code: input.code.clone(),
            })
        })
        .await
    }

    /// Issues a signature challenge for the vendor to sign.
    pub async fn issue_challenge(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<ChallengePayload, ServiceError> {
        principal.require(&[Role::Analyst])?;
        let lifetime = self.inner.settings.challenge_lifetime;
        let view = self
            .act_as(principal, id, |_| Ok(Command::IssueChallenge { lifetime }))
            .await?;
        view.case
            .controls
            .iter()
            .find_map(|c| c.challenge.as_ref().map(|ch| ch.payload.clone()))
            .ok_or_else(|| ServiceError::Conflict("no challenge was issued".into()))
    }

    /// Checks a vendor's signed challenge.
    pub async fn submit_signature(
        &self,
        principal: &Principal,
        id: &str,
        input: SignatureInput,
    ) -> Result<CaseView, ServiceError> {
        principal.require(&[Role::Analyst, Role::Integration])?;
        self.act_as(principal, id, |_| {
            Ok(Command::SubmitSignature {
                jws: input.jws.clone(),
            })
        })
        .await
    }

    /// Gives one of the two approvals, confirmed with a fresh TOTP code.
    pub async fn approve(
        &self,
        principal: &Principal,
        id: &str,
        input: ApprovalInput,
    ) -> Result<CaseView, ServiceError> {
        principal.require(&[Role::Approver, Role::RelationshipManager])?;
        // Role and conflict checks happen in the domain before anything is
        // spent; the TOTP step is consumed only for an approval that can count.
        let current = self.inner.directory.refresh().await?;
        let (case, _) = self
            .inner
            .store
            .case(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))?;
        let mut probe = case.clone();
        if let Err(err) = probe.apply(
            Command::Approve {
                capacity: input.capacity,
                fresh_mfa: true,
            },
            &actor_of(principal),
            &current.snapshot,
            self.now(),
        ) {
            self.audit(vec![event(
                self.now(),
                &principal.actor(),
                "case.refused",
                format!("case:{id}"),
                json!({ "command": "approve", "reason": err.to_string(), "address": principal.address }),
            )])
            .await?;
            return Err(refusal(err));
        }
        if let Err(err) = self.fresh_totp(principal, &input.totp).await {
            self.audit(vec![event(
                self.now(),
                &principal.actor(),
                "case.refused",
                format!("case:{id}"),
                json!({ "command": "approve", "reason": err.to_string(), "address": principal.address }),
            )])
            .await?;
            return Err(err);
        }
        self.act_as(principal, id, |_| {
            Ok(Command::Approve {
                capacity: input.capacity,
                fresh_mfa: true,
            })
        })
        .await
    }

    /// Refuses the request.
    pub async fn deny_case(
        &self,
        principal: &Principal,
        id: &str,
        input: DenyInput,
    ) -> Result<CaseView, ServiceError> {
        principal.require(&[Role::Analyst, Role::SecurityAdmin])?;
        if input.reason.len() > 2000 {
            return Err(ServiceError::invalid("reason", "at most 2000 characters"));
        }
        self.act_as(principal, id, |_| {
            Ok(Command::Deny {
                reason: input.reason.clone(),
            })
        })
        .await
    }

    /// Releases a verified request for action.
    pub async fn release_case(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<CaseView, ServiceError> {
        principal.require(&[Role::Analyst])?;
        self.act_as(principal, id, |_| Ok(Command::Release)).await
    }

    /// Expires every pending case past its deadline; returns how many.
    pub async fn expire_due_cases(&self) -> Result<usize, ServiceError> {
        let system = Actor {
            account_id: "countersign".into(),
            name: "countersign".into(),
            roles: RoleSet::EMPTY,
            staff_id: None,
        };
        let mut expired = 0;
        for id in self.inner.store.due_cases(self.now(), 200).await? {
            match self
                .act(&system, "countersign", "", &id, |_| Ok(Command::Expire))
                .await
            {
                Ok(_) => expired += 1,
                // Another node expired it, or it changed state meanwhile.
                Err(ServiceError::Conflict(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(expired)
    }
}

fn parse_cursor(text: &str) -> Result<(i64, String), ServiceError> {
    let bad = || ServiceError::invalid("since", "a cursor from next_since, or an RFC 3339 time");
    if let Ok(t) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok((
            countersign_audit::unix_millis(t) - 1,
            String::from("\u{10FFFF}"),
        ));
    }
    let (ms, id) = text.split_once('.').ok_or_else(bad)?;
    Ok((ms.parse().map_err(|_| bad())?, id.to_owned()))
}
