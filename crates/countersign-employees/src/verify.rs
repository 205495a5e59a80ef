//! Caller verification in both directions, one mechanism:
//!
//! - an employee verifies a caller who claims to be IT: the code goes to
//!   the claimed staff member's directory email;
//! - the help desk verifies a caller who claims to be an employee: the code
//!   goes to that employee's directory email.
//!
//! Never to anything the caller supplies. The caller must read the code
//! back; it is stored only as a hash, valid for a few minutes and a few
//! tries. An unknown, suspended or departed ID is a verification that
//! failed at once (recorded, and announced like any failure).

use countersign_directory::{DirectorySnapshot, EmployeeStatus, StaffStatus};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Wrong codes allowed before a verification fails.
pub const MAX_ATTEMPTS: u32 = 3;

/// Who verifies whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// An employee verifies a caller who claims to be IT staff.
    CallerClaimsIt,
    /// The help desk verifies a caller who claims to be an employee.
    CallerClaimsEmployee,
}

impl Direction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::CallerClaimsIt => "caller_claims_it",
            Direction::CallerClaimsEmployee => "caller_claims_employee",
        }
    }
}

/// The person the caller claims to be, as the directory knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Staff ID or employee ID.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Role (for staff) or "employee".
    pub role: String,
    /// Team, when known.
    #[serde(default)]
    pub team: String,
    /// The directory email the code goes to.
    pub email: String,
}

/// Why the claimed identity cannot be verified at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// No such ID in the directory.
    UnknownId,
    /// The ID belongs to someone suspended or departed.
    NotCurrent,
    /// The code read back was wrong too often.
    TooManyAttempts,
    /// The code was not read back in time.
    Expired,
    /// The code could not be delivered.
    Undeliverable,
}

impl Failure {
    /// Words for the person verifying.
    pub fn describe(self, direction: Direction) -> &'static str {
        match (self, direction) {
            (Failure::UnknownId, Direction::CallerClaimsIt) => "no member of IT has this staff ID",
            (Failure::UnknownId, Direction::CallerClaimsEmployee) => "no employee has this ID",
            (Failure::NotCurrent, Direction::CallerClaimsIt) => "not a current member of IT",
            (Failure::NotCurrent, Direction::CallerClaimsEmployee) => "not a current employee",
            (Failure::TooManyAttempts, _) => "the code read back was wrong too many times",
            (Failure::Expired, _) => "the code was not read back in time",
            (Failure::Undeliverable, _) => "the code could not be sent to the directory channel",
        }
    }
}

/// The IT staff member a caller claims to be.
pub fn staff_subject(snapshot: &DirectorySnapshot, id: &str) -> Result<Subject, Failure> {
    let wanted = crate::reference::normalize_staff_id(id);
    let s = snapshot
        .staff
        .iter()
        .find(|s| crate::reference::normalize_staff_id(&s.staff_id) == wanted)
        .ok_or(Failure::UnknownId)?;
    if s.status != StaffStatus::Active {
        return Err(Failure::NotCurrent);
    }
    Ok(Subject {
        id: s.staff_id.clone(),
        name: s.name.clone(),
        role: s.role.clone(),
        team: s.team.clone(),
        email: s.email.clone(),
    })
}

/// The employee a caller claims to be.
pub fn employee_subject(snapshot: &DirectorySnapshot, id: &str) -> Result<Subject, Failure> {
    let wanted = id.trim().to_uppercase();
    let e = snapshot
        .employees
        .iter()
        .find(|e| e.id.to_uppercase() == wanted)
        .ok_or(Failure::UnknownId)?;
    if e.status != EmployeeStatus::Active {
        return Err(Failure::NotCurrent);
    }
    Ok(Subject {
        id: e.id.clone(),
        name: e.name.clone(),
        role: "employee".into(),
        team: String::new(),
        email: e.email.clone(),
    })
}

/// Where a verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Code sent, waiting for it to be read back.
    Pending,
    /// The caller read back the right code in time.
    Verified,
    /// Not verified; see the failure.
    Failed,
}

impl State {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Verified => "verified",
            State::Failed => "failed",
        }
    }
}

/// An open ticket or case IT could be calling about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTicket {
    /// `ticket` (pushed by the help-desk tool) or `case` (a Countersign case).
    pub source: String,
    /// Its identifier.
    pub id: String,
    /// What it is about.
    pub summary: String,
    /// The staff member assigned, when the tool says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_staff_id: Option<String>,
}

/// One verification of one caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerVerification {
    /// Stable identifier.
    pub id: String,
    /// Who verifies whom.
    pub direction: Direction,
    /// The account verifying.
    pub requested_by: String,
    /// The ID the caller gave, as given.
    pub claimed_id: String,
    /// The directory person, when the ID is current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// Where the code went, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_to: Option<String>,
    /// Argon2id hash of the code (never shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_hash: Option<String>,
    /// Opened.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// The code's deadline.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Wrong codes so far.
    pub attempts: u32,
    /// Wrong codes allowed.
    pub max_attempts: u32,
    /// Where it stands.
    pub state: State,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// When it ended.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub closed_at: Option<OffsetDateTime>,
    /// For a caller claiming IT: the employee's open tickets and cases at
    /// the start. Empty means IT has nothing open to call about.
    #[serde(default)]
    pub open_tickets: Vec<OpenTicket>,
}

/// What reading back a code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The code matched: verified.
    Verified,
    /// Wrong; this many tries remain.
    Wrong {
        /// Tries left.
        remaining: u32,
    },
    /// The verification failed now (too many tries, or expired).
    Failed(Failure),
    /// It had already ended; nothing changed.
    Closed,
}

impl CallerVerification {
    /// Opens a verification. With a subject, the caller sends a code
    /// (whose hash is given) to `subject.email`; without one (`Err`), it
    /// has failed already.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        id: String,
        direction: Direction,
        requested_by: String,
        claimed_id: &str,
        subject: Result<Subject, Failure>,
        code_hash: Option<String>,
        now: OffsetDateTime,
        lifetime: Duration,
    ) -> Self {
        let mut v = CallerVerification {
            id,
            direction,
            requested_by,
            claimed_id: claimed_id.trim().to_owned(),
            subject: None,
            sent_to: None,
            code_hash: None,
            opened_at: now,
            expires_at: now + lifetime,
            attempts: 0,
            max_attempts: MAX_ATTEMPTS,
            state: State::Pending,
            failure: None,
            closed_at: None,
            open_tickets: Vec::new(),
        };
        match (subject, code_hash) {
            (Ok(subject), Some(hash)) => {
                v.sent_to = Some(countersign_cases::code::mask(&subject.email));
                v.subject = Some(subject);
                v.code_hash = Some(hash);
            }
            (Ok(subject), None) => {
                v.subject = Some(subject);
                v.fail(Failure::Undeliverable, now);
            }
            (Err(failure), _) => v.fail(failure, now),
        }
        v
    }

    fn fail(&mut self, failure: Failure, now: OffsetDateTime) {
        self.state = State::Failed;
        self.failure = Some(failure);
        self.closed_at = Some(now);
        self.code_hash = None;
    }

    /// Marks the code undeliverable (the relay failed after opening).
    pub fn undeliverable(&mut self, now: OffsetDateTime) {
        if self.state == State::Pending {
            self.fail(Failure::Undeliverable, now);
        }
    }

    /// Expires a pending verification past its deadline; true when it did.
    pub fn expire_if_due(&mut self, now: OffsetDateTime) -> bool {
        if self.state == State::Pending && now >= self.expires_at {
            self.fail(Failure::Expired, now);
            return true;
        }
        false
    }

    /// The code the caller read back, as typed by the person verifying.
    pub fn submit(&mut self, given: &str, now: OffsetDateTime) -> Attempt {
        if self.state != State::Pending {
            return Attempt::Closed;
        }
        if self.expire_if_due(now) {
            return Attempt::Failed(Failure::Expired);
        }
        let matches = self
            .code_hash
            .as_deref()
            .is_some_and(|h| countersign_cases::code::verify(h, given));
        if matches {
            self.state = State::Verified;
            self.closed_at = Some(now);
            self.code_hash = None;
            return Attempt::Verified;
        }
        self.attempts += 1;
        if self.attempts >= self.max_attempts {
            self.fail(Failure::TooManyAttempts, now);
            return Attempt::Failed(Failure::TooManyAttempts);
        }
        Attempt::Wrong {
            remaining: self.max_attempts - self.attempts,
        }
    }

    /// The copy shown to people and webhooks: no code hash.
    pub fn redacted(&self) -> Self {
        let mut v = self.clone();
        v.code_hash = None;
        v
    }

    /// The one-line answer for the person verifying.
    pub fn answer(&self) -> String {
        match (self.state, &self.subject) {
            (State::Verified, Some(s)) => format!("verified: this is {}, {}", s.name, s.role),
            (State::Pending, Some(s)) => format!(
                "code sent to {}'s own directory channel ({}); ask the caller to read it back",
                s.name,
                self.sent_to.as_deref().unwrap_or("email")
            ),
            _ => format!(
                "not verified: {}",
                self.failure
                    .map_or("the caller could not be verified", |f| f
                        .describe(self.direction))
            ),
        }
    }

    /// "IT never cold-calls": the warning when a caller claiming IT has no
    /// open ticket or case of this employee to call about.
    pub fn cold_call_warning(&self) -> Option<String> {
        (self.direction == Direction::CallerClaimsIt && self.open_tickets.is_empty()).then(|| {
            "no open ticket: you have no open ticket or case IT could be calling about. IT never cold-calls; treat this call as suspicious even if the code matches.".to_owned()
        })
    }

    /// What to do now.
    pub fn next_steps(&self) -> Vec<String> {
        let mut steps = Vec::new();
        match (self.state, self.direction) {
            (State::Pending, _) => steps.push(
                "Ask the caller to read the code back; never read a code to them.".to_owned(),
            ),
            (State::Verified, Direction::CallerClaimsIt) => {
                steps.push("The caller is who they say. Still never give them your password or an MFA code: IT never asks for them.".to_owned());
            }
            (State::Verified, Direction::CallerClaimsEmployee) => {
                steps.push(
                    "The caller is who they say. Go on with the request under the usual controls."
                        .to_owned(),
                );
            }
            (State::Failed, Direction::CallerClaimsIt) => {
                steps.push("Hang up. Do not do or give anything the caller asked for.".to_owned());
                steps.push("Call the IT help desk yourself on its number in the IT reference, never on a number the caller gave.".to_owned());
                steps.push("Report the call in one step (POST /api/v1/reports): reporting is never held against you.".to_owned());
            }
            (State::Failed, Direction::CallerClaimsEmployee) => {
                steps.push("Do not act on the request.".to_owned());
                steps.push("Call the employee back on their directory number, or ask them to come in person.".to_owned());
                steps.push("Report the call to the security team.".to_owned());
            }
        }
        if self.state != State::Failed
            && let Some(w) = self.cold_call_warning()
        {
            steps.insert(0, w);
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::tests::snapshot;

    fn open(subject: Result<Subject, Failure>, code: &str) -> CallerVerification {
        CallerVerification::open(
            "v1".into(),
            Direction::CallerClaimsIt,
            "acct".into(),
            "S-2",
            subject,
            Some(countersign_cases::code::hash(code)),
            OffsetDateTime::UNIX_EPOCH,
            Duration::minutes(10),
        )
    }

    #[test]
    fn the_right_code_in_time_verifies() {
        let snap = snapshot();
        let mut v = open(staff_subject(&snap, "s-2"), "12345678");
        assert_eq!(v.state, State::Pending);
        assert_eq!(v.sent_to.as_deref(), Some("d***@corp.example"));
        assert!(v.cold_call_warning().is_some());
        let t = OffsetDateTime::UNIX_EPOCH + Duration::minutes(1);
        assert_eq!(v.submit("1234 5678", t), Attempt::Verified);
        assert_eq!(
            v.answer(),
            "verified: this is Daniel Okoye, service desk analyst"
        );
        assert!(v.code_hash.is_none());
        assert_eq!(v.submit("12345678", t), Attempt::Closed);
    }

    #[test]
    fn wrong_codes_expiry_and_departed_ids_fail() {
        let snap = snapshot();
        let t = OffsetDateTime::UNIX_EPOCH + Duration::minutes(1);
        let mut v = open(staff_subject(&snap, "S-2"), "12345678");
        assert_eq!(v.submit("00000000", t), Attempt::Wrong { remaining: 2 });
        assert_eq!(v.submit("00000001", t), Attempt::Wrong { remaining: 1 });
        assert_eq!(
            v.submit("12345678x", t),
            Attempt::Failed(Failure::TooManyAttempts)
        );
        assert_eq!(v.state, State::Failed);
        assert!(v.answer().starts_with("not verified"));
        assert!(v.next_steps()[0].starts_with("Hang up"));

        let mut late = open(staff_subject(&snap, "S-2"), "12345678");
        let after = OffsetDateTime::UNIX_EPOCH + Duration::minutes(10);
        assert_eq!(
            late.submit("12345678", after),
            Attempt::Failed(Failure::Expired)
        );

        assert_eq!(staff_subject(&snap, "S-3"), Err(Failure::NotCurrent));
        assert_eq!(staff_subject(&snap, "S-4"), Err(Failure::NotCurrent));
        let gone = open(staff_subject(&snap, "S-3"), "12345678");
        assert_eq!(gone.state, State::Failed);
        assert_eq!(gone.answer(), "not verified: not a current member of IT");
        assert!(gone.subject.is_none() && gone.code_hash.is_none());
        assert_eq!(staff_subject(&snap, "S-404"), Err(Failure::UnknownId));
        assert_eq!(employee_subject(&snap, "e-1").unwrap().name, "Priya Nair");
    }
}
