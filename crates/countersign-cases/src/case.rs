//! A verification case and its state machine.
//!
//! ```text
//!            every required control satisfied            release
//! pending ─────────────────────────────────────► verified ───────► released
//!    │  \                                            │
//!    │   \ deny (analyst) / callback denied          │ deny
//!    │    ▼                                          ▼
//!    │   denied ◄────────────────────────────────────┘
//!    ▼
//! expired (not verified in time)
//! ```
//!
//! Every command either is refused with no change ([`CaseError`]), or
//! changes the case and returns the [`CaseEvent`]s to audit and publish.
//! A failed attempt (a wrong code, a bad signature) also changes the case:
//! attempts are counted, and the refusal comes back with the events in
//! [`Applied::refusal`].

use crate::claim::{ClaimedIdentity, TrustedChannels, Untrusted, trusted_channels};
use crate::code;
use crate::signature::{self, ChallengePayload, SignatureError};
use countersign_accounts::{Role, RoleSet};
use countersign_directory::DirectorySnapshot;
use countersign_model::verdict::Control;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Waiting for its controls.
    Pending,
    /// Every required control passed: the request may be released for action.
    Verified,
    /// Released for action after verification.
    Released,
    /// Refused: nobody acts on the request.
    Denied,
    /// Not verified in time.
    Expired,
}

impl CaseState {
    /// The snake_case word.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Pending => "pending",
            CaseState::Verified => "verified",
            CaseState::Released => "released",
            CaseState::Denied => "denied",
            CaseState::Expired => "expired",
        }
    }

    /// Parses the word.
    pub fn parse(text: &str) -> Option<Self> {
        [
            CaseState::Pending,
            CaseState::Verified,
            CaseState::Released,
            CaseState::Denied,
            CaseState::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// How the request reached the help desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// An email (the gateway opened the case).
    Email,
    /// A phone call.
    Phone,
    /// A chat message.
    Chat,
    /// In person.
    InPerson,
    /// A ticket in the help-desk tool.
    Ticket,
}

/// What opened the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A message the policy held.
    Message {
        /// The recorded message.
        message_id: String,
    },
    /// An analyst, for a request that came by phone, chat or in person.
    Manual {
        /// The account that opened it: the case's requester for the
        /// purpose of approvals.
        opened_by: String,
    },
}

/// What is being asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    /// Request kinds (`credential_reset`, `access_grant`, ...).
    pub kinds: Vec<String>,
    /// In words: the subject, or what the analyst wrote.
    pub summary: String,
}

/// The outcome of a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    /// Reached the person, who confirmed the request.
    Confirmed,
    /// Reached the person, who did not make the request.
    Denied,
    /// Nobody answered.
    NoAnswer,
}

/// One callback made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAttempt {
    /// The directory number called.
    pub number: String,
    /// Whose number it is.
    pub name: String,
    /// What happened.
    pub outcome: CallbackOutcome,
    /// Who called.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Where a one-time code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeChannel {
    /// The directory email, through the SMTP relay.
    Email,
    /// The directory phone, by SMS through the configured adapter.
    Sms,
    /// The directory phone, by a voice call through the configured adapter.
    Voice,
}

/// A code that was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    /// Argon2id hash of the code; empty in views.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
    /// How it was sent.
    pub channel: CodeChannel,
    /// Where, masked.
    pub destination: String,
    /// Until when it can be used.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Tries left.
    pub attempts_left: u32,
    /// Used (successfully): never again.
    pub used: bool,
}

/// A signature challenge that was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// What the vendor must sign.
    pub payload: ChallengePayload,
    /// Answered successfully: a second answer is a replay.
    pub used: bool,
}

/// In which capacity someone approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// Technical lead (role `approver`).
    Approver,
    /// The vendor's relationship manager (role `relationship_manager`).
    RelationshipManager,
}

impl Capacity {
    fn role(self) -> Role {
        match self {
            Capacity::Approver => Role::Approver,
            Capacity::RelationshipManager => Role::RelationshipManager,
        }
    }
}

/// One approval given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The approving account.
    pub account_id: String,
    /// Their name.
    pub name: String,
    /// In which capacity.
    pub capacity: Capacity,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Where a control stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    /// Not yet passed.
    Pending,
    /// Passed.
    Satisfied,
    /// Failed for good (the callback was denied).
    Failed,
}

/// One required control and its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlProgress {
    /// Which control.
    pub control: Control,
    /// Where it stands.
    pub status: ControlStatus,
    /// Callbacks made (callback).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callbacks: Vec<CallbackAttempt>,
    /// The current code (one_time_code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<IssuedCode>,
    /// Codes sent so far (one_time_code).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub codes_sent: u32,
    /// The current challenge (vendor_signature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<Challenge>,
    /// The key that signed (vendor_signature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by_key: Option<String>,
    /// Approvals given (dual_approval).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl ControlProgress {
    fn new(control: Control) -> Self {
        Self {
            control,
            status: ControlStatus::Pending,
            callbacks: Vec::new(),
            code: None,
            codes_sent: 0,
            challenge: None,
            signed_by_key: None,
            approvals: Vec::new(),
        }
    }
}

/// How a case ended (denied, expired or released), by whom and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// Account ID, or `countersign` for expiry.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Why, in words.
    pub reason: String,
}

/// A verification case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Stable identifier.
    pub id: String,
    /// Where it stands.
    pub state: CaseState,
    /// Opened.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Expires unless verified by then.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// What opened it.
    pub origin: Origin,
    /// How the request came in.
    pub channel: Channel,
    /// Who the requester claims to be.
    pub claimed: ClaimedIdentity,
    /// What is asked.
    pub request: RequestSummary,
    /// SHA-256 (hex) of the request: the message, or the analyst's record.
    pub request_digest: String,
    /// Why the case was opened (the policy's reasons).
    pub reasons: Vec<String>,
    /// Phone numbers found in the request: never call these.
    pub do_not_call: Vec<String>,
    /// The controls required, with their progress.
    pub controls: Vec<ControlProgress>,
    /// Accounts that worked the case as analysts (callbacks, codes,
    /// challenges): none of them may approve it.
    pub analysts: Vec<String>,
    /// How it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<Closure>,
}

/// Who acts, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Account ID (`countersign` for the system itself).
    pub account_id: String,
    /// Name shown in timelines.
    pub name: String,
    /// The account's roles.
    pub roles: RoleSet,
    /// The directory staff record the account belongs to.
    pub staff_id: Option<String>,
}

/// A command on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Record a callback to a directory number.
    RecordCallback {
        /// The number called.
        number: String,
        /// What happened.
        outcome: CallbackOutcome,
    },
    /// Record that a code was generated for sending (the hash only).
    IssueCode {
        /// How it goes.
        channel: CodeChannel,
        /// The directory address or number it goes to (checked).
        destination: String,
        /// Its hash.
        code_hash: String,
        /// Its lifetime.
        lifetime: Duration,
    },
    /// Check a code read back by the requester.
    SubmitCode {
        /// The code as typed.
        code: String,
    },
    /// Issue a signature challenge.
    IssueChallenge {
        /// Its lifetime.
        lifetime: Duration,
    },
    /// Check a signed challenge.
    SubmitSignature {
        /// The compact JWS.
        jws: String,
    },
    /// Give one of the two approvals.
    Approve {
        /// In which capacity.
        capacity: Capacity,
        /// Whether the approver confirmed with a fresh TOTP code just now
        /// (checked by the caller, which holds the secret).
        fresh_mfa: bool,
    },
    /// Refuse the request.
    Deny {
        /// Why.
        reason: String,
    },
    /// Release a verified request for action.
    Release,
    /// The sweeper: expire if due.
    Expire,
}

impl Command {
    /// The command's name in audit entries.
    pub fn name(&self) -> &'static str {
        match self {
            Command::RecordCallback { .. } => "callback",
            Command::IssueCode { .. } => "issue_code",
            Command::SubmitCode { .. } => "submit_code",
            Command::IssueChallenge { .. } => "issue_challenge",
            Command::SubmitSignature { .. } => "submit_signature",
            Command::Approve { .. } => "approve",
            Command::Deny { .. } => "deny",
            Command::Release => "release",
            Command::Expire => "expire",
        }
    }
}

/// What happened to a case, for the audit log, the timeline and webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The case was opened.
    Opened,
    /// A callback was recorded.
    CallbackRecorded,
    /// A code was sent.
    CodeIssued,
    /// A wrong, expired or used code was given.
    CodeRejected,
    /// A challenge was issued.
    ChallengeIssued,
    /// A signature was refused.
    SignatureRejected,
    /// An approval was given.
    ApprovalGiven,
    /// A control passed.
    ControlSatisfied,
    /// A control failed for good.
    ControlFailed,
    /// Every control passed.
    Verified,
    /// The request was refused.
    Denied,
    /// The case expired.
    Expired,
    /// The verified request was released for action.
    Released,
}

impl EventKind {
    /// The event's name: `case.<kind>`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Opened => "case.opened",
            EventKind::CallbackRecorded => "case.callback_recorded",
            EventKind::CodeIssued => "case.code_issued",
            EventKind::CodeRejected => "case.code_rejected",
            EventKind::ChallengeIssued => "case.challenge_issued",
            EventKind::SignatureRejected => "case.signature_rejected",
            EventKind::ApprovalGiven => "case.approval_given",
            EventKind::ControlSatisfied => "case.control_satisfied",
            EventKind::ControlFailed => "case.control_failed",
            EventKind::Verified => "case.verified",
            EventKind::Denied => "case.denied",
            EventKind::Expired => "case.expired",
            EventKind::Released => "case.released",
        }
    }

    /// Events help-desk tools subscribe to (the rest are audit detail).
    pub const PUBLISHED: [EventKind; 6] = [
        EventKind::Opened,
        EventKind::ControlSatisfied,
        EventKind::Verified,
        EventKind::Denied,
        EventKind::Expired,
        EventKind::Released,
    ];

    /// Whether webhooks receive this event.
    pub fn is_published(self) -> bool {
        Self::PUBLISHED.contains(&self)
    }

    /// The kind named `name` (`case.verified` or `verified`).
    pub fn from_name(name: &str) -> Option<Self> {
        let short = name.strip_prefix("case.").unwrap_or(name);
        Self::PUBLISHED
            .into_iter()
            .chain([
                EventKind::CallbackRecorded,
                EventKind::CodeIssued,
                EventKind::CodeRejected,
                EventKind::ChallengeIssued,
                EventKind::SignatureRejected,
                EventKind::ApprovalGiven,
                EventKind::ControlFailed,
            ])
            .find(|k| k.name().strip_prefix("case.") == Some(short))
    }
}

/// One thing that happened to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseEvent {
    /// What.
    pub kind: EventKind,
    /// The control concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<Control>,
    /// In words.
    pub detail: String,
}

impl CaseEvent {
    fn new(kind: EventKind, control: Option<Control>, detail: impl Into<String>) -> Self {
        Self {
            kind,
            control,
            detail: detail.into(),
        }
    }
}

/// What a command did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The events to record (never empty: the case changed).
    pub events: Vec<CaseEvent>,
    /// Set when the attempt failed although the case changed (attempts
    /// counted, case expired): the caller reports it as a refusal.
    pub refusal: Option<CaseError>,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    /// The case is not pending (or, to release, not verified).
    #[error("the case is {0}, not {1}")]
    WrongState(&'static str, &'static str),
    /// The case expired before it was verified.
    #[error("the case expired at {0}")]
    Expired(OffsetDateTime),
    /// The control is not among those the case requires.
    #[error("this case does not require {0}")]
    NotRequired(Control),
    /// The control already passed.
    #[error("{0} has already passed")]
    AlreadySatisfied(Control),
    /// The claimed identity has no trusted channel.
    #[error("cannot verify through the directory: {0}")]
    Untrusted(Untrusted),
    /// A number that is not a directory number of the claimed identity.
    #[error(
        "{0} is not a directory number of the claimed identity: call only the numbers the case lists"
    )]
    NumberNotInDirectory(String),
    /// A code destination that is not a directory channel.
    #[error("{0} is not a directory channel of the claimed identity")]
    DestinationNotInDirectory(String),
    /// Too many codes sent for one case.
    #[error("too many codes sent for this case ({0}); deny it or ask a security administrator")]
    TooManyCodes(u32),
    /// No code was sent.
    #[error("no code has been sent for this case")]
    NoCode,
    /// The code expired.
    #[error("the code expired; send a new one")]
    CodeExpired,
    /// The code was already used.
    #[error("the code was already used")]
    CodeUsed,
    /// The code was wrong.
    #[error("the code is wrong ({0} tries left)")]
    CodeWrong(u32),
    /// No tries left on this code.
    #[error("no tries left on this code; send a new one")]
    CodeExhausted,
    /// The case has no vendor (signatures are for vendors).
    #[error("a vendor signature needs a vendor claim")]
    NoVendor,
    /// No challenge was issued.
    #[error("no signature challenge has been issued")]
    NoChallenge,
    /// The challenge expired.
    #[error("the signature challenge expired; issue a new one")]
    ChallengeExpired,
    /// The challenge was already answered: a replay.
    #[error("this challenge was already answered (replayed signature)")]
    ChallengeUsed,
    /// The signature itself was refused.
    #[error("{0}")]
    Signature(SignatureError),
    /// The actor lacks the role for this capacity or command.
    #[error("needs the {0} role")]
    MissingRole(Role),
    /// An approval without a fresh TOTP confirmation.
    #[error("an approval must be confirmed with a fresh TOTP code")]
    MfaRequired,
    /// The requester or one of the case's analysts tried to approve.
    #[error("{0} cannot approve this case: {1}")]
    ConflictOfInterest(String, &'static str),
    /// The same person tried to give both signatures.
    #[error(
        "{0} has already approved this case; the second approval must come from another person"
    )]
    AlreadyApproved(String),
    /// This capacity already approved.
    #[error("the {0:?} approval has already been given")]
    CapacityFilled(Capacity),
    /// Not the relationship manager of this case's vendor.
    #[error("{0} is not the relationship manager of {1}")]
    NotRelationshipManager(String, String),
    /// A reason is required.
    #[error("a reason is required")]
    ReasonRequired,
}

/// How many codes a case may send.
pub const MAX_CODES_PER_CASE: u32 = 5;
/// Tries per code.
pub const ATTEMPTS_PER_CODE: u32 = 5;

/// What is needed to open a case.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// Stable identifier (random, from the caller).
    pub id: String,
    /// What opened it.
    pub origin: Origin,
    /// How the request came in.
    pub channel: Channel,
    /// Who the requester claims to be.
    pub claimed: ClaimedIdentity,
    /// What is asked.
    pub request: RequestSummary,
    /// SHA-256 (hex) of the request.
    pub request_digest: String,
    /// The policy's reasons.
    pub reasons: Vec<String>,
    /// Numbers from the request: never to be called.
    pub do_not_call: Vec<String>,
    /// Controls required (at least one; callback when the policy named none).
    pub controls: Vec<Control>,
}

impl Case {
    /// Opens a case at `now`, expiring after `lifetime`.
    pub fn open(new: NewCase, now: OffsetDateTime, lifetime: Duration) -> (Case, CaseEvent) {
        let mut controls = new.controls;
        if controls.is_empty() {
            controls.push(Control::Callback);
        }
        controls.sort();
        controls.dedup();
        let event = CaseEvent::new(
            EventKind::Opened,
            None,
            format!(
                "opened for {} asking: {}; requires {}",
                new.claimed.describe(),
                if new.request.summary.is_empty() {
                    "(no summary)"
                } else {
                    new.request.summary.as_str()
                },
                controls
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        let case = Case {
            id: new.id,
            state: CaseState::Pending,
            opened_at: now,
            updated_at: now,
            expires_at: now + lifetime,
            origin: new.origin,
            channel: new.channel,
            claimed: new.claimed,
            request: new.request,
            request_digest: new.request_digest,
            reasons: new.reasons,
            do_not_call: new.do_not_call,
            controls: controls.into_iter().map(ControlProgress::new).collect(),
            analysts: Vec::new(),
            closure: None,
        };
        (case, event)
    }

    /// The vendor this case concerns, if any.
    pub fn vendor_id(&self) -> Option<&str> {
        self.claimed.vendor_id.as_deref()
    }

    /// The case as shown to people and integrations: code hashes removed.
    pub fn redacted(&self) -> Case {
        let mut case = self.clone();
        for c in &mut case.controls {
            if let Some(code) = &mut c.code {
                code.hash.clear();
            }
        }
        case
    }

    /// The directory channels for this case's claim at `now`.
    pub fn channels(
        &self,
        directory: &DirectorySnapshot,
        now: OffsetDateTime,
    ) -> Result<TrustedChannels, Untrusted> {
        trusted_channels(directory, &self.claimed, now)
    }

    fn control_mut(&mut self, control: Control) -> Result<&mut ControlProgress, CaseError> {
        let progress = self
            .controls
            .iter_mut()
            .find(|c| c.control == control)
            .ok_or(CaseError::NotRequired(control))?;
        if progress.status == ControlStatus::Satisfied {
            return Err(CaseError::AlreadySatisfied(control));
        }
        Ok(progress)
    }

    fn note_analyst(&mut self, actor: &Actor) {
        if !self.analysts.contains(&actor.account_id) {
            self.analysts.push(actor.account_id.clone());
        }
    }

    fn requester(&self) -> Option<&str> {
        match &self.origin {
            Origin::Manual { opened_by } => Some(opened_by),
            Origin::Message { .. } => None,
        }
    }

    /// After a control passed: verified when every control has.
    fn maybe_verified(&mut self, events: &mut Vec<CaseEvent>) {
        if self
            .controls
            .iter()
            .all(|c| c.status == ControlStatus::Satisfied)
        {
            self.state = CaseState::Verified;
            events.push(CaseEvent::new(
                EventKind::Verified,
                None,
                "every required control passed: the request may be released for action",
            ));
        }
    }

    fn close(&mut self, state: CaseState, by: &str, now: OffsetDateTime, reason: String) {
        self.state = state;
        self.closure = Some(Closure {
            by: by.to_owned(),
            at: now,
            reason,
        });
    }

    /// Applies `command` by `actor` at `now`, against the directory as it
    /// stands. Refused commands change nothing.
    pub fn apply(
        &mut self,
        command: Command,
        actor: &Actor,
        directory: &DirectorySnapshot,
        now: OffsetDateTime,
    ) -> Result<Applied, CaseError> {
        // A pending case past its expiry expires on first touch, whatever
        // the command: no control can pass after the deadline.
        if self.state == CaseState::Pending && now >= self.expires_at {
            let at = self.expires_at;
            self.close(
                CaseState::Expired,
                "countersign",
                now,
                format!("not verified by {at}"),
            );
            self.updated_at = now;
            let events = vec![CaseEvent::new(
                EventKind::Expired,
                None,
                format!("not verified before {at}"),
            )];
            return Ok(Applied {
                events,
                refusal: (command != Command::Expire).then_some(CaseError::Expired(at)),
            });
        }
        let applied = match command {
            Command::Expire => {
                return Err(CaseError::WrongState(self.state.as_str(), "due to expire"));
            }
            Command::Release => {
                if self.state != CaseState::Verified {
                    return Err(CaseError::WrongState(self.state.as_str(), "verified"));
                }
                self.close(
                    CaseState::Released,
                    &actor.account_id,
                    now,
                    "released for action".into(),
                );
                Applied {
                    events: vec![CaseEvent::new(
                        EventKind::Released,
                        None,
                        format!("released for action by {}", actor.name),
                    )],
                    refusal: None,
                }
            }
            Command::Deny { reason } => {
                if !matches!(self.state, CaseState::Pending | CaseState::Verified) {
                    return Err(CaseError::WrongState(
                        self.state.as_str(),
                        "pending or verified",
                    ));
                }
                let reason = reason.trim().to_owned();
                if reason.is_empty() {
                    return Err(CaseError::ReasonRequired);
                }
                self.close(CaseState::Denied, &actor.account_id, now, reason.clone());
                Applied {
                    events: vec![CaseEvent::new(
                        EventKind::Denied,
                        None,
                        format!("denied by {}: {reason}", actor.name),
                    )],
                    refusal: None,
                }
            }
            other => {
                if self.state != CaseState::Pending {
                    return Err(CaseError::WrongState(self.state.as_str(), "pending"));
                }
                self.apply_control(other, actor, directory, now)?
            }
        };
        self.updated_at = now;
        Ok(applied)
    }

    fn apply_control(
        &mut self,
        command: Command,
        actor: &Actor,
        directory: &DirectorySnapshot,
        now: OffsetDateTime,
    ) -> Result<Applied, CaseError> {
        let mut events = Vec::new();
        let mut refusal = None;
        match command {
            Command::RecordCallback { number, outcome } => {
                require_role(actor, Role::Analyst)?;
                let channels = self
                    .channels(directory, now)
                    .map_err(CaseError::Untrusted)?;
                let entry = channels
                    .has_phone(&number)
                    .cloned()
                    .ok_or_else(|| CaseError::NumberNotInDirectory(number.clone()))?;
                let progress = self.control_mut(Control::Callback)?;
                progress.callbacks.push(CallbackAttempt {
                    number: entry.address.clone(),
                    name: entry.name.clone(),
                    outcome,
                    by: actor.account_id.clone(),
                    at: now,
                });
                let said = match outcome {
                    CallbackOutcome::Confirmed => "confirmed the request",
                    CallbackOutcome::Denied => "did NOT make this request",
                    CallbackOutcome::NoAnswer => "no answer",
                };
                events.push(CaseEvent::new(
                    EventKind::CallbackRecorded,
                    Some(Control::Callback),
                    format!(
                        "{} called {} at the directory number {}: {said}",
                        actor.name, entry.name, entry.address
                    ),
                ));
                match outcome {
                    CallbackOutcome::Confirmed => {
                        progress.status = ControlStatus::Satisfied;
                        events.push(CaseEvent::new(
                            EventKind::ControlSatisfied,
                            Some(Control::Callback),
                            format!("callback confirmed by {}", entry.name),
                        ));
                        self.note_analyst(actor);
                        self.maybe_verified(&mut events);
                    }
                    CallbackOutcome::Denied => {
                        progress.status = ControlStatus::Failed;
                        events.push(CaseEvent::new(
                            EventKind::ControlFailed,
                            Some(Control::Callback),
                            format!("{} denies making the request", entry.name),
                        ));
                        self.note_analyst(actor);
                        let reason = format!(
                            "{} was called at the directory number and did not make this request",
                            entry.name
                        );
                        self.close(CaseState::Denied, &actor.account_id, now, reason.clone());
                        events.push(CaseEvent::new(EventKind::Denied, None, reason));
                    }
                    CallbackOutcome::NoAnswer => self.note_analyst(actor),
                }
            }
            Command::IssueCode {
                channel,
                destination,
                code_hash,
                lifetime,
            } => {
                require_role(actor, Role::Analyst)?;
                let channels = self
                    .channels(directory, now)
                    .map_err(CaseError::Untrusted)?;
                let known = match channel {
                    CodeChannel::Email => channels.has_email(&destination),
                    CodeChannel::Sms | CodeChannel::Voice => channels.has_phone(&destination),
                };
                if known.is_none() {
                    return Err(CaseError::DestinationNotInDirectory(destination));
                }
                let progress = self.control_mut(Control::OneTimeCode)?;
                if progress.codes_sent >= MAX_CODES_PER_CASE {
                    return Err(CaseError::TooManyCodes(progress.codes_sent));
                }
                progress.codes_sent += 1;
                let masked = code::mask(&destination);
                progress.code = Some(IssuedCode {
                    hash: code_hash,
                    channel,
                    destination: masked.clone(),
                    expires_at: now + lifetime,
                    attempts_left: ATTEMPTS_PER_CODE,
                    used: false,
                });
                self.note_analyst(actor);
                events.push(CaseEvent::new(
                    EventKind::CodeIssued,
                    Some(Control::OneTimeCode),
                    format!("{} sent a code by {channel:?} to {masked}", actor.name).to_lowercase(),
                ));
            }
            Command::SubmitCode { code: given } => {
                require_role(actor, Role::Analyst)?;
                let progress = self.control_mut(Control::OneTimeCode)?;
                let issued = progress.code.as_mut().ok_or(CaseError::NoCode)?;
                if issued.used {
                    return Err(CaseError::CodeUsed);
                }
                if now >= issued.expires_at {
                    return Err(CaseError::CodeExpired);
                }
                if issued.attempts_left == 0 {
                    return Err(CaseError::CodeExhausted);
                }
                if code::verify(&issued.hash, &given) {
                    issued.used = true;
                    progress.status = ControlStatus::Satisfied;
                    events.push(CaseEvent::new(
                        EventKind::ControlSatisfied,
                        Some(Control::OneTimeCode),
                        format!("the code sent to {} was read back", issued.destination),
                    ));
                    self.note_analyst(actor);
                    self.maybe_verified(&mut events);
                } else {
                    issued.attempts_left -= 1;
                    let left = issued.attempts_left;
                    events.push(CaseEvent::new(
                        EventKind::CodeRejected,
                        Some(Control::OneTimeCode),
                        format!("wrong code entered by {} ({left} tries left)", actor.name),
                    ));
                    refusal = Some(if left == 0 {
                        CaseError::CodeExhausted
                    } else {
                        CaseError::CodeWrong(left)
                    });
                }
            }
            Command::IssueChallenge { lifetime } => {
                require_role(actor, Role::Analyst)?;
                if self.vendor_id().is_none() {
                    return Err(CaseError::NoVendor);
                }
                // The vendor must be trusted now for its keys to count.
                self.channels(directory, now)
                    .map_err(CaseError::Untrusted)?;
                let case_id = self.id.clone();
                let digest = self.request_digest.clone();
                let progress = self.control_mut(Control::VendorSignature)?;
                progress.challenge = Some(Challenge {
                    payload: ChallengePayload {
                        case: case_id,
                        nonce: signature::new_nonce(),
                        digest,
                        exp: (now + lifetime).unix_timestamp(),
                    },
                    used: false,
                });
                self.note_analyst(actor);
                events.push(CaseEvent::new(
                    EventKind::ChallengeIssued,
                    Some(Control::VendorSignature),
                    format!("{} issued a signature challenge", actor.name),
                ));
            }
            Command::SubmitSignature { jws } => {
                if !actor.roles.any_of(&[Role::Analyst, Role::Integration]) {
                    return Err(CaseError::MissingRole(Role::Analyst));
                }
                let vendor = self.vendor_id().ok_or(CaseError::NoVendor)?.to_owned();
                let keys = directory.trusted_keys(&vendor, now).map_err(|e| {
                    CaseError::Untrusted(Untrusted {
                        reason: format!("vendor {vendor}: {e}"),
                        fix: "the vendor must be active and reviewed for its keys to count".into(),
                    })
                })?;
                let progress = self.control_mut(Control::VendorSignature)?;
                let challenge = progress.challenge.as_mut().ok_or(CaseError::NoChallenge)?;
                if challenge.used {
                    return Err(CaseError::ChallengeUsed);
                }
                if now.unix_timestamp() >= challenge.payload.exp {
                    return Err(CaseError::ChallengeExpired);
                }
                let verified = signature::verify(&jws, &keys).and_then(|(payload, kid)| {
                    let p = &challenge.payload;
                    if payload.case != p.case {
                        Err(SignatureError::WrongChallenge("case"))
                    } else if !countersign_accounts::token::ct_eq(
                        payload.nonce.as_bytes(),
                        p.nonce.as_bytes(),
                    ) {
                        Err(SignatureError::WrongChallenge("nonce"))
                    } else if payload.digest != p.digest {
                        Err(SignatureError::WrongChallenge("request digest"))
                    } else if payload.exp != p.exp {
                        Err(SignatureError::WrongChallenge("expiry"))
                    } else {
                        Ok(kid)
                    }
                });
                match verified {
                    Ok(kid) => {
                        challenge.used = true;
                        progress.status = ControlStatus::Satisfied;
                        progress.signed_by_key = Some(kid.clone());
                        events.push(CaseEvent::new(
                            EventKind::ControlSatisfied,
                            Some(Control::VendorSignature),
                            format!("challenge signed by {vendor}'s enrolled key {kid}"),
                        ));
                        self.maybe_verified(&mut events);
                    }
                    Err(err) => {
                        events.push(CaseEvent::new(
                            EventKind::SignatureRejected,
                            Some(Control::VendorSignature),
                            format!("signature refused: {err}"),
                        ));
                        refusal = Some(CaseError::Signature(err));
                    }
                }
            }
            Command::Approve {
                capacity,
                fresh_mfa,
            } => {
                if !actor.roles.contains(capacity.role()) {
                    return Err(CaseError::MissingRole(capacity.role()));
                }
                if !fresh_mfa {
                    return Err(CaseError::MfaRequired);
                }
                if self.requester() == Some(actor.account_id.as_str()) {
                    return Err(CaseError::ConflictOfInterest(
                        actor.name.clone(),
                        "they raised the request",
                    ));
                }
                if self.analysts.contains(&actor.account_id) {
                    return Err(CaseError::ConflictOfInterest(
                        actor.name.clone(),
                        "they worked the case as its analyst",
                    ));
                }
                if capacity == Capacity::RelationshipManager
                    && let Some(vendor_id) = self.vendor_id()
                {
                    let manager = directory
                        .vendor(vendor_id)
                        .map(|v| v.relationship_manager.clone())
                        .unwrap_or_default();
                    if actor.staff_id.as_deref() != Some(manager.as_str()) || manager.is_empty() {
                        return Err(CaseError::NotRelationshipManager(
                            actor.name.clone(),
                            vendor_id.to_owned(),
                        ));
                    }
                }
                let progress = self.control_mut(Control::DualApproval)?;
                if progress
                    .approvals
                    .iter()
                    .any(|a| a.account_id == actor.account_id)
                {
                    return Err(CaseError::AlreadyApproved(actor.name.clone()));
                }
                if progress.approvals.iter().any(|a| a.capacity == capacity) {
                    return Err(CaseError::CapacityFilled(capacity));
                }
                progress.approvals.push(Approval {
                    account_id: actor.account_id.clone(),
                    name: actor.name.clone(),
                    capacity,
                    at: now,
                });
                events.push(CaseEvent::new(
                    EventKind::ApprovalGiven,
                    Some(Control::DualApproval),
                    format!("{} approved as {capacity:?}", actor.name),
                ));
                if progress.approvals.len() == 2 {
                    progress.status = ControlStatus::Satisfied;
                    let names: Vec<&str> =
                        progress.approvals.iter().map(|a| a.name.as_str()).collect();
                    events.push(CaseEvent::new(
                        EventKind::ControlSatisfied,
                        Some(Control::DualApproval),
                        format!("approved by {} and {}", names[0], names[1]),
                    ));
                    self.maybe_verified(&mut events);
                }
            }
            Command::Deny { .. } | Command::Release | Command::Expire => {
                unreachable_command()?;
            }
        }
        Ok(Applied { events, refusal })
    }
}

/// Deny, release and expire are handled before controls; reaching here
/// would be a bug, refused rather than panicking.
fn unreachable_command() -> Result<(), CaseError> {
    Err(CaseError::WrongState("pending", "a control command"))
}

fn require_role(actor: &Actor, role: Role) -> Result<(), CaseError> {
    if actor.roles.contains(role) {
        Ok(())
    } else {
        Err(CaseError::MissingRole(role))
    }
}
