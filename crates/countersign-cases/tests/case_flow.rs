//! The case state machine against a small directory: every promise of the
//! verification controls, including the refusals.

use countersign_accounts::{Role, RoleSet};
use countersign_cases::case::{ATTEMPTS_PER_CODE, Capacity};
use countersign_cases::claim::{MatchedBy, resolve_sender};
use countersign_cases::signature::SigningKey;
use countersign_cases::{
    Actor, CallbackOutcome, Case, CaseError, CaseState, Channel, ClaimKind, CodeChannel, Command,
    EventKind, NewCase, Origin, RequestSummary, code,
};
use countersign_directory::{DirectorySnapshot, VendorKey};
use countersign_model::verdict::Control;
use time::{Duration, OffsetDateTime, macros::datetime};

const NOW: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);

fn directory(key: &SigningKey) -> DirectorySnapshot {
    let mut snap = DirectorySnapshot::from_json(
        r#"{
      "format": "countersign-directory/1",
      "organisation": { "name": "Northwind", "domains": ["northwind.example"], "review_interval_days": 90 },
      "vendors": [
        { "id": "acme", "name": "Acme MSP", "domains": ["acme.example"], "privileged": true,
          "relationship_manager": "S2", "status": "active",
          "last_reviewed_at": "2026-11-01T09:00:00Z", "review_due": "2027-01-30T09:00:00Z" },
        { "id": "stale", "name": "Stale Print", "domains": ["stale.example"], "privileged": false,
          "relationship_manager": "S2", "status": "active",
          "last_reviewed_at": "2026-01-01T09:00:00Z", "review_due": "2026-04-01T09:00:00Z" }
      ],
      "contacts": [
        { "vendor": "acme", "name": "Vera Vendor", "email": "vera@acme.example",
          "phones": ["+15550100200"], "role": "account manager", "status": "active" },
        { "vendor": "acme", "name": "Gone Guy", "email": "gone@acme.example",
          "phones": ["+15550100299"], "role": "engineer", "status": "departed" },
        { "vendor": "stale", "name": "Sid Stale", "email": "sid@stale.example",
          "phones": ["+15550100300"], "role": "sales", "status": "active" }
      ],
      "staff": [
        { "staff_id": "S1", "name": "Ana Analyst", "email": "ana@northwind.example", "phone": "+442079460100",
          "role": "analyst", "team": "IT", "status": "active" },
        { "staff_id": "S2", "name": "Rita Manager", "email": "rita@northwind.example", "phone": "+442079460101",
          "role": "relationship manager", "team": "IT", "status": "active" }
      ],
      "employees": [],
      "keys": [],
      "forwarders": []
    }"#,
    )
    .unwrap();
    snap.keys.push(VendorKey {
        key_id: key.key_id(),
        vendor: "acme".into(),
        public_key: key.public_key_base64(),
        not_before: datetime!(2026-01-01 0:00 UTC),
        not_after: None,
        revoked_at: None,
        revoked_reason: None,
    });
    snap
}

fn actor(id: &str, roles: &[Role], staff: Option<&str>) -> Actor {
    Actor {
        account_id: id.into(),
        name: id.into(),
        roles: RoleSet::of(roles),
        staff_id: staff.map(Into::into),
    }
}

fn open(dir: &DirectorySnapshot, from: &str, controls: &[Control], origin: Origin) -> Case {
    let claimed = resolve_sender(dir, Some(from), None);
    Case::open(
        NewCase {
            id: "c_test".into(),
            origin,
            channel: Channel::Email,
            claimed,
            request: RequestSummary {
                kinds: vec!["access_grant".into()],
                summary: "grant admin on tenant".into(),
            },
            request_digest: countersign_cases::digest_hex(b"the message"),
            reasons: vec!["A privileged vendor asks for access".into()],
            do_not_call: vec!["+15559990000".into()],
            controls: controls.to_vec(),
        },
        NOW,
        Duration::hours(24),
    )
    .0
}

fn message() -> Origin {
    Origin::Message {
        message_id: "m_1".into(),
    }
}

#[test]
fn callback_goes_only_to_directory_numbers() {
    let key = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let mut case = open(&dir, "vera@acme.example", &[Control::Callback], message());
    assert_eq!(case.claimed.kind, ClaimKind::VendorContact);
    assert_eq!(case.claimed.matched_by, MatchedBy::Address);
    let ana = actor("ana", &[Role::Analyst], Some("S1"));
    let err = case
        .apply(
            Command::RecordCallback {
                number: "+15559990000".into(),
                outcome: CallbackOutcome::Confirmed,
            },
            &ana,
            &dir,
            NOW,
        )
        .unwrap_err();
    assert!(matches!(err, CaseError::NumberNotInDirectory(_)), "{err}");
    let applied = case
        .apply(
            Command::RecordCallback {
                number: "+1 555 010 0200".into(),
                outcome: CallbackOutcome::NoAnswer,
            },
            &ana,
            &dir,
            NOW,
        )
        .unwrap();
    assert_eq!(applied.events[0].kind, EventKind::CallbackRecorded);
    assert_eq!(case.state, CaseState::Pending);
    let applied = case
        .apply(
            Command::RecordCallback {
                number: "+15550100200".into(),
                outcome: CallbackOutcome::Confirmed,
            },
            &ana,
            &dir,
            NOW,
        )
        .unwrap();
    let kinds: Vec<EventKind> = applied.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::CallbackRecorded,
            EventKind::ControlSatisfied,
            EventKind::Verified
        ]
    );
    assert_eq!(case.state, CaseState::Verified);
    // Only verified cases are released; released cases are final.
    case.apply(Command::Release, &ana, &dir, NOW).unwrap();
    assert_eq!(case.state, CaseState::Released);
    assert!(case.apply(Command::Release, &ana, &dir, NOW).is_err());
}

#[test]
fn a_denied_callback_denies_the_case() {
    let key = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let mut case = open(&dir, "vera@acme.example", &[Control::Callback], message());
    let ana = actor("ana", &[Role::Analyst], None);
    case.apply(
        Command::RecordCallback {
            number: "+15550100200".into(),
            outcome: CallbackOutcome::Denied,
        },
        &ana,
        &dir,
        NOW,
    )
    .unwrap();
    assert_eq!(case.state, CaseState::Denied);
    assert!(case.closure.unwrap().reason.contains("did not make"));
}

#[test]
fn untrusted_identities_cannot_be_verified_by_callback() {
    let key = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let ana = actor("ana", &[Role::Analyst], None);
    let call = |case: &mut Case, number: &str| {
        case.apply(
            Command::RecordCallback {
                number: number.into(),
                outcome: CallbackOutcome::Confirmed,
            },
            &ana,
            &dir,
            NOW,
        )
    };
    // Overdue vendor.
    let mut stale = open(&dir, "sid@stale.example", &[Control::Callback], message());
    let Err(CaseError::Untrusted(why)) = call(&mut stale, "+15550100300") else {
        panic!()
    };
    assert!(why.reason.contains("overdue"), "{why}");
    assert!(why.fix.contains("review"), "{why}");
    // Departed contact.
    let mut gone = open(&dir, "gone@acme.example", &[Control::Callback], message());
    let Err(CaseError::Untrusted(why)) = call(&mut gone, "+15550100299") else {
        panic!()
    };
    assert!(why.reason.contains("departed"), "{why}");
    // Unknown sender.
    let mut unknown = open(
        &dir,
        "mallory@evil.example",
        &[Control::Callback],
        message(),
    );
    assert_eq!(unknown.claimed.kind, ClaimKind::Unknown);
    assert!(matches!(
        call(&mut unknown, "+15550100200"),
        Err(CaseError::Untrusted(_))
    ));
    // Wrong role.
    let mut case = open(&dir, "vera@acme.example", &[Control::Callback], message());
    let approver = actor("appr", &[Role::Approver], None);
    assert!(matches!(
        case.apply(
            Command::RecordCallback {
                number: "+15550100200".into(),
                outcome: CallbackOutcome::Confirmed
            },
            &approver,
            &dir,
            NOW
        ),
        Err(CaseError::MissingRole(Role::Analyst))
    ));
}

#[test]
fn one_time_codes_pass_once_and_count_tries() {
    let key = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let ana = actor("ana", &[Role::Analyst], None);
    let mut case = open(
        &dir,
        "vera@acme.example",
        &[Control::OneTimeCode],
        message(),
    );
    // Only directory destinations.
    let secret = code::generate();
    let issue = |dest: &str| Command::IssueCode {
        channel: CodeChannel::Email,
        destination: dest.into(),
        code_hash: code::hash(&secret),
        lifetime: Duration::minutes(10),
    };
    assert!(matches!(
        case.apply(issue("attacker@evil.example"), &ana, &dir, NOW),
        Err(CaseError::DestinationNotInDirectory(_))
    ));
    case.apply(issue("vera@acme.example"), &ana, &dir, NOW)
        .unwrap();
    let wrong = if secret == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let applied = case
        .apply(Command::SubmitCode { code: wrong.into() }, &ana, &dir, NOW)
        .unwrap();
    assert!(matches!(
        applied.refusal,
        Some(CaseError::CodeWrong(n)) if n == ATTEMPTS_PER_CODE - 1
    ));
    // Expired codes are refused.
    assert_eq!(
        case.apply(
            Command::SubmitCode {
                code: secret.clone()
            },
            &ana,
            &dir,
            NOW + Duration::minutes(11)
        ),
        Err(CaseError::CodeExpired)
    );
    let applied = case
        .apply(
            Command::SubmitCode {
                code: secret.clone(),
            },
            &ana,
            &dir,
            NOW,
        )
        .unwrap();
    assert!(applied.refusal.is_none());
    assert_eq!(case.state, CaseState::Verified);
    // The code hash never leaves in a view.
    let view = serde_json::to_string(&case.redacted()).unwrap();
    assert!(!view.contains("argon2"), "{view}");
    assert!(view.contains("v***@acme.example"), "{view}");
}

#[test]
fn codes_run_out_of_tries() {
    let key = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let ana = actor("ana", &[Role::Analyst], None);
    let mut case = open(
        &dir,
        "vera@acme.example",
        &[Control::OneTimeCode],
        message(),
    );
    let secret = "12345678";
    case.apply(
        Command::IssueCode {
            channel: CodeChannel::Sms,
            destination: "+15550100200".into(),
            code_hash: code::hash(secret),
            lifetime: Duration::minutes(10),
        },
        &ana,
        &dir,
        NOW,
    )
    .unwrap();
    for _ in 0..ATTEMPTS_PER_CODE {
        let applied = case
            .apply(
                Command::SubmitCode {
                    code: "87654321".into(),
                },
                &ana,
                &dir,
                NOW,
            )
            .unwrap();
        assert!(applied.refusal.is_some());
    }
    assert_eq!(
        case.apply(
            Command::SubmitCode {
                code: secret.into()
            },
            &ana,
            &dir,
            NOW
        ),
        Err(CaseError::CodeExhausted)
    );
}

#[test]
fn vendor_signatures_bind_to_the_challenge_and_refuse_replays() {
    let key = SigningKey::generate().unwrap();
    let other = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let ana = actor("ana", &[Role::Analyst], None);
    let mut case = open(
        &dir,
        "vera@acme.example",
        &[Control::VendorSignature],
        message(),
    );
    assert_eq!(
        case.apply(
            Command::SubmitSignature {
                jws: "x.y.z".into()
            },
            &ana,
            &dir,
            NOW
        ),
        Err(CaseError::NoChallenge)
    );
    case.apply(
        Command::IssueChallenge {
            lifetime: Duration::minutes(30),
        },
        &ana,
        &dir,
        NOW,
    )
    .unwrap();
    let payload = case.controls[0].challenge.clone().unwrap().payload;
    // Another vendor's (unenrolled) key is refused.
    let applied = case
        .apply(
            Command::SubmitSignature {
                jws: other.sign(&payload),
            },
            &ana,
            &dir,
            NOW,
        )
        .unwrap();
    assert!(matches!(applied.refusal, Some(CaseError::Signature(_))));
    // A signature over another nonce is refused.
    let mut wrong = payload.clone();
    wrong.nonce = countersign_cases::signature::new_nonce();
    let applied = case
        .apply(
            Command::SubmitSignature {
                jws: key.sign(&wrong),
            },
            &ana,
            &dir,
            NOW,
        )
        .unwrap();
    assert!(matches!(applied.refusal, Some(CaseError::Signature(_))));
    let jws = key.sign(&payload);
    let applied = case
        .apply(
            Command::SubmitSignature { jws: jws.clone() },
            &ana,
            &dir,
            NOW,
        )
        .unwrap();
    assert!(applied.refusal.is_none(), "{:?}", applied.refusal);
    assert_eq!(case.state, CaseState::Verified);
    // Replaying the same signature on a second case with its own challenge fails.
    let mut second = open(
        &dir,
        "vera@acme.example",
        &[Control::VendorSignature],
        message(),
    );
    second.id = "c_other".into();
    second
        .apply(
            Command::IssueChallenge {
                lifetime: Duration::minutes(30),
            },
            &ana,
            &dir,
            NOW,
        )
        .unwrap();
    let applied = second
        .apply(Command::SubmitSignature { jws }, &ana, &dir, NOW)
        .unwrap();
    assert!(matches!(applied.refusal, Some(CaseError::Signature(_))));
}

#[test]
fn dual_approval_needs_two_distinct_people_in_their_capacities() {
    let key = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let ana = actor("ana", &[Role::Analyst, Role::Approver], Some("S1"));
    let both = actor(
        "both",
        &[Role::Approver, Role::RelationshipManager],
        Some("S2"),
    );
    let lead = actor("lead", &[Role::Approver], None);
    let rm_other = actor("rm2", &[Role::RelationshipManager], Some("S9"));
    let mut case = open(
        &dir,
        "vera@acme.example",
        &[Control::Callback, Control::DualApproval],
        Origin::Manual {
            opened_by: "lead".into(),
        },
    );
    let approve = |capacity, fresh_mfa| Command::Approve {
        capacity,
        fresh_mfa,
    };
    // The analyst who worked the case cannot approve it.
    case.apply(
        Command::RecordCallback {
            number: "+15550100200".into(),
            outcome: CallbackOutcome::Confirmed,
        },
        &ana,
        &dir,
        NOW,
    )
    .unwrap();
    assert!(matches!(
        case.apply(approve(Capacity::Approver, true), &ana, &dir, NOW),
        Err(CaseError::ConflictOfInterest(..))
    ));
    // The requester cannot approve their own request.
    assert!(matches!(
        case.apply(approve(Capacity::Approver, true), &lead, &dir, NOW),
        Err(CaseError::ConflictOfInterest(..))
    ));
    // Without fresh MFA, or without the role, no approval.
    assert_eq!(
        case.apply(approve(Capacity::Approver, false), &both, &dir, NOW),
        Err(CaseError::MfaRequired)
    );
    assert_eq!(
        case.apply(
            approve(Capacity::RelationshipManager, true),
            &lead,
            &dir,
            NOW
        ),
        Err(CaseError::MissingRole(Role::RelationshipManager))
    );
    // Only this vendor's relationship manager.
    assert!(matches!(
        case.apply(
            approve(Capacity::RelationshipManager, true),
            &rm_other,
            &dir,
            NOW
        ),
        Err(CaseError::NotRelationshipManager(..))
    ));
    // One person holding both roles gives one signature, never two.
    case.apply(
        approve(Capacity::RelationshipManager, true),
        &both,
        &dir,
        NOW,
    )
    .unwrap();
    assert!(matches!(
        case.apply(approve(Capacity::Approver, true), &both, &dir, NOW),
        Err(CaseError::AlreadyApproved(_))
    ));
    assert_eq!(case.state, CaseState::Pending);
    let other_lead = actor("lead2", &[Role::Approver], None);
    let applied = case
        .apply(approve(Capacity::Approver, true), &other_lead, &dir, NOW)
        .unwrap();
    assert!(applied.events.iter().any(|e| e.kind == EventKind::Verified));
    assert_eq!(case.state, CaseState::Verified);
}

#[test]
fn cases_expire_and_nothing_passes_after() {
    let key = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let ana = actor("ana", &[Role::Analyst], None);
    let mut case = open(&dir, "vera@acme.example", &[Control::Callback], message());
    let late = NOW + Duration::hours(25);
    let applied = case
        .apply(
            Command::RecordCallback {
                number: "+15550100200".into(),
                outcome: CallbackOutcome::Confirmed,
            },
            &ana,
            &dir,
            late,
        )
        .unwrap();
    assert_eq!(applied.events[0].kind, EventKind::Expired);
    assert!(matches!(applied.refusal, Some(CaseError::Expired(_))));
    assert_eq!(case.state, CaseState::Expired);
    assert!(case.apply(Command::Release, &ana, &dir, late).is_err());
    // The sweeper expires a due case without a refusal.
    let mut due = open(&dir, "vera@acme.example", &[Control::Callback], message());
    let applied = due.apply(Command::Expire, &ana, &dir, late).unwrap();
    assert!(applied.refusal.is_none());
    assert_eq!(due.state, CaseState::Expired);
    // ...and leaves a case that is not due alone.
    let mut fresh = open(&dir, "vera@acme.example", &[Control::Callback], message());
    assert!(fresh.apply(Command::Expire, &ana, &dir, NOW).is_err());
}

#[test]
fn display_name_claims_resolve_to_the_real_person() {
    let key = SigningKey::generate().unwrap();
    let dir = directory(&key);
    let claim = resolve_sender(
        &dir,
        Some("vera.vendor@gmail.example"),
        Some("Vera  Vendor"),
    );
    assert_eq!(claim.kind, ClaimKind::VendorContact);
    assert_eq!(claim.matched_by, MatchedBy::DisplayName);
    assert_eq!(claim.email.as_deref(), Some("vera@acme.example"));
    let manual = countersign_cases::manual_findings(&claim, &["access_grant".into()], &dir, NOW);
    let signals: Vec<&str> = manual.iter().map(|f| f.signal.as_str()).collect();
    assert_eq!(
        signals,
        [
            "sender.vendor_contact",
            "sender.privileged_vendor",
            "request.access_grant",
            "request.any"
        ]
    );
}
