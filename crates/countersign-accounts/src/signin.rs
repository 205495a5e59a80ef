//! The sign-in decision. The store counts failures and keeps locks; this
//! module decides, so the rule lives in one place and is tested without a
//! database.

use crate::totp::{self, TotpError};
use crate::{Account, password};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// Throttling settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInRules {
    /// Consecutive failures on one account before it locks.
    pub max_failures: u32,
    /// How long an account stays locked after `max_failures`.
    pub lockout: Duration,
    /// The window over which failures from one address are counted.
    pub address_window: Duration,
    /// Failures from one address within the window before it is refused.
    pub address_max_failures: u32,
}

impl Default for SignInRules {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: Duration::minutes(15),
            address_window: Duration::minutes(15),
            address_max_failures: 20,
        }
    }
}

/// What a fresh session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Everything the account's roles allow.
    Full,
    /// Only change the password and enrol TOTP: the account must finish
    /// setting up first (one-time password, or MFA role without TOTP).
    Setup,
}

impl Stage {
    /// The storage word.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Full => "full",
            Stage::Setup => "setup",
        }
    }

    /// Parses the storage word.
    pub fn parse(text: &str) -> Option<Stage> {
        match text {
            "full" => Some(Stage::Full),
            "setup" => Some(Stage::Setup),
            _ => None,
        }
    }
}

/// Why a sign-in was refused; the words are safe to show the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Unknown user or wrong password (never says which).
    #[error("wrong username or password")]
    BadCredentials,
    /// Locked after failures or by an administrator.
    #[error("the account is locked until {until}; an administrator can unlock it")]
    Locked {
        /// Until when.
        until: OffsetDateTime,
    },
    /// Disabled by an administrator.
    #[error("the account is disabled")]
    Disabled,
    /// The password was right but the account requires a TOTP code.
    #[error("{0}")]
    Totp(TotpError),
    /// Too many failures from this address recently.
    #[error("too many failed sign-ins from this address; try again later")]
    AddressThrottled,
}

/// The outcome the store applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Signed in: reset the failure count, store `totp_step` if any.
    Accepted {
        /// What the session may do.
        stage: Stage,
        /// The TOTP step used, to store as the account's last step.
        totp_step: Option<u64>,
    },
    /// Refused. `count_failure`: add one to the account's failures;
    /// `lock_until`: lock the account (the failure that reached the limit).
    Refused {
        /// Why.
        refusal: Refusal,
        /// Whether this attempt counts as a failure.
        count_failure: bool,
        /// Lock the account until then.
        lock_until: Option<OffsetDateTime>,
    },
}

/// Decides a sign-in for `account` (None: no such user) with `password` and
/// an optional TOTP `code`. `address_failures` is the recent failure count
/// from the caller's address.
pub fn decide(
    account: Option<&Account>,
    password_given: &str,
    code: Option<&str>,
    address_failures: u32,
    now: OffsetDateTime,
    rules: &SignInRules,
) -> Decision {
    let refuse = |refusal, count_failure, lock_until| Decision::Refused {
        refusal,
        count_failure,
        lock_until,
    };
    if address_failures >= rules.address_max_failures {
        return refuse(Refusal::AddressThrottled, false, None);
    }
    let Some(account) = account else {
        // Same cost as a real check, so timing does not reveal usernames.
        password::verify(password::decoy_hash(), password_given);
        return refuse(Refusal::BadCredentials, true, None);
    };
    if account.disabled {
        return refuse(Refusal::Disabled, false, None);
    }
    if let Some(until) = account.locked_until
        && until > now
    {
        // Not checking the password while locked: a correct guess must not
        // be distinguishable from a wrong one.
        return refuse(Refusal::Locked { until }, false, None);
    }
    let lock_if_due =
        |failures_after: u32| (failures_after >= rules.max_failures).then(|| now + rules.lockout);
    if !password::verify(&account.password_hash, password_given) {
        let failures = account.failed_attempts + 1;
        return refuse(Refusal::BadCredentials, true, lock_if_due(failures));
    }
    let mut totp_step = None;
    if let Some(enrolment) = account.totp.as_ref().filter(|t| t.confirmed) {
        let unix = now.unix_timestamp().max(0) as u64;
        let outcome = match code {
            None => Err(TotpError::Missing),
            Some(code) => totp::verify(&enrolment.secret, code, unix, enrolment.last_step),
        };
        match outcome {
            Ok(step) => totp_step = Some(step),
            Err(err) => {
                let failures = account.failed_attempts + 1;
                return refuse(Refusal::Totp(err), true, lock_if_due(failures));
            }
        }
    }
    Decision::Accepted {
        stage: if account.needs_setup() {
            Stage::Setup
        } else {
            Stage::Full
        },
        totp_step,
    }
}

/// The first step of a sign-in in two steps (the console): the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordStep {
    /// Decided already: refused, or accepted (no TOTP enrolled).
    Decided(Decision),
    /// The password is right and the account has TOTP: ask for the code
    /// next ([`decide_totp`]). Nothing is counted yet.
    NeedsTotp,
}

/// Decides the password step of a two-step sign-in, by the same rules as
/// [`decide`]: throttle, disabled, locked, password (failures count and
/// lock). An account with confirmed TOTP is not accepted here.
pub fn decide_password(
    account: Option<&Account>,
    password_given: &str,
    address_failures: u32,
    now: OffsetDateTime,
    rules: &SignInRules,
) -> PasswordStep {
    match decide(account, password_given, None, address_failures, now, rules) {
        Decision::Refused {
            refusal: Refusal::Totp(TotpError::Missing),
            ..
        } => PasswordStep::NeedsTotp,
        other => PasswordStep::Decided(other),
    }
}

/// Decides the TOTP step of a two-step sign-in for an account whose
/// password passed [`decide_password`] moments ago (the caller keeps that
/// proof): throttle, disabled and lock are checked again, then the code,
/// with the replay guard. A wrong code counts towards the lock, as in
/// [`decide`].
pub fn decide_totp(
    account: &Account,
    code: &str,
    address_failures: u32,
    now: OffsetDateTime,
    rules: &SignInRules,
) -> Decision {
    let refuse = |refusal, count_failure, lock_until| Decision::Refused {
        refusal,
        count_failure,
        lock_until,
    };
    if address_failures >= rules.address_max_failures {
        return refuse(Refusal::AddressThrottled, false, None);
    }
    if account.disabled {
        return refuse(Refusal::Disabled, false, None);
    }
    if let Some(until) = account.locked_until
        && until > now
    {
        return refuse(Refusal::Locked { until }, false, None);
    }
    let Some(enrolment) = account.totp.as_ref().filter(|t| t.confirmed) else {
        // Nothing to check a code against: this step does not apply.
        return refuse(Refusal::BadCredentials, false, None);
    };
    let unix = now.unix_timestamp().max(0) as u64;
    match totp::verify(&enrolment.secret, code, unix, enrolment.last_step) {
        Ok(step) => Decision::Accepted {
            stage: if account.needs_setup() {
                Stage::Setup
            } else {
                Stage::Full
            },
            totp_step: Some(step),
        },
        Err(err) => {
            let failures = account.failed_attempts + 1;
            refuse(
                Refusal::Totp(err),
                true,
                (failures >= rules.max_failures).then(|| now + rules.lockout),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, RoleSet, TotpEnrolment};

    fn account(roles: &[Role]) -> Account {
        Account {
            id: "a_1".into(),
            username: "dana".into(),
            display_name: "Dana".into(),
            roles: RoleSet::of(roles),
            password_hash: password::hash("violet-kettle-42-orbit").unwrap(),
            must_change_password: false,
            totp: None,
            staff_id: None,
            employee_id: None,
            failed_attempts: 0,
            locked_until: None,
            disabled: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[test]
    fn analyst_signs_in_with_password() {
        let a = account(&[Role::Analyst]);
        let rules = SignInRules::default();
        assert_eq!(
            decide(Some(&a), "violet-kettle-42-orbit", None, 0, now(), &rules),
            Decision::Accepted {
                stage: Stage::Full,
                totp_step: None
            }
        );
        assert!(matches!(
            decide(Some(&a), "wrong", None, 0, now(), &rules),
            Decision::Refused {
                refusal: Refusal::BadCredentials,
                count_failure: true,
                lock_until: None
            }
        ));
        assert!(matches!(
            decide(None, "wrong", None, 0, now(), &rules),
            Decision::Refused {
                refusal: Refusal::BadCredentials,
                ..
            }
        ));
    }

    #[test]
    fn fifth_failure_locks_and_lock_hides_the_password_check() {
        let mut a = account(&[Role::Analyst]);
        a.failed_attempts = 4;
        let rules = SignInRules::default();
        let Decision::Refused { lock_until, .. } = decide(Some(&a), "x", None, 0, now(), &rules)
        else {
            panic!()
        };
        assert_eq!(lock_until, Some(now() + rules.lockout));
        a.locked_until = lock_until;
        assert!(matches!(
            decide(Some(&a), "violet-kettle-42-orbit", None, 0, now(), &rules),
            Decision::Refused {
                refusal: Refusal::Locked { .. },
                count_failure: false,
                ..
            }
        ));
        // After the lock ends the right password works again.
        assert!(matches!(
            decide(
                Some(&a),
                "violet-kettle-42-orbit",
                None,
                0,
                now() + rules.lockout,
                &rules
            ),
            Decision::Accepted { .. }
        ));
        assert!(matches!(
            decide(Some(&a), "violet-kettle-42-orbit", None, 20, now(), &rules),
            Decision::Refused {
                refusal: Refusal::AddressThrottled,
                ..
            }
        ));
    }

    #[test]
    fn admins_need_setup_then_totp() {
        let mut a = account(&[Role::SecurityAdmin]);
        a.must_change_password = true;
        let rules = SignInRules::default();
        assert!(matches!(
            decide(Some(&a), "violet-kettle-42-orbit", None, 0, now(), &rules),
            Decision::Accepted {
                stage: Stage::Setup,
                ..
            }
        ));
        a.must_change_password = false;
        let secret = totp::new_secret();
        a.totp = Some(TotpEnrolment {
            secret: secret.clone(),
            confirmed: true,
            last_step: 0,
        });
        assert!(matches!(
            decide(Some(&a), "violet-kettle-42-orbit", None, 0, now(), &rules),
            Decision::Refused {
                refusal: Refusal::Totp(TotpError::Missing),
                ..
            }
        ));
        let unix = now().unix_timestamp() as u64;
        let code = totp::code_at(&secret, unix).unwrap();
        let Decision::Accepted { stage, totp_step } = decide(
            Some(&a),
            "violet-kettle-42-orbit",
            Some(&code),
            0,
            now(),
            &rules,
        ) else {
            panic!()
        };
        assert_eq!(stage, Stage::Full);
        a.totp.as_mut().unwrap().last_step = totp_step.unwrap();
        assert!(matches!(
            decide(
                Some(&a),
                "violet-kettle-42-orbit",
                Some(&code),
                0,
                now(),
                &rules
            ),
            Decision::Refused {
                refusal: Refusal::Totp(TotpError::Replayed),
                ..
            }
        ));
    }

    #[test]
    fn two_steps_ask_for_the_code_only_after_the_right_password() {
        let mut a = account(&[Role::Approver]);
        let secret = vec![7u8; 20];
        a.totp = Some(TotpEnrolment {
            secret: secret.clone(),
            confirmed: true,
            last_step: 0,
        });
        let rules = SignInRules::default();
        assert!(matches!(
            decide_password(Some(&a), "wrong", 0, now(), &rules),
            PasswordStep::Decided(Decision::Refused {
                refusal: Refusal::BadCredentials,
                count_failure: true,
                ..
            })
        ));
        assert_eq!(
            decide_password(Some(&a), "violet-kettle-42-orbit", 0, now(), &rules),
            PasswordStep::NeedsTotp
        );
        let unix = now().unix_timestamp() as u64;
        let code = totp::code_at(&secret, unix).unwrap();
        assert!(matches!(
            decide_totp(&a, &code, 0, now(), &rules),
            Decision::Accepted {
                stage: Stage::Full,
                totp_step: Some(_)
            }
        ));
        a.failed_attempts = 4;
        let Decision::Refused {
            count_failure,
            lock_until,
            ..
        } = decide_totp(&a, "000000", 0, now(), &rules)
        else {
            panic!("a wrong code is refused")
        };
        assert!(count_failure);
        assert_eq!(lock_until, Some(now() + rules.lockout));
        // Without TOTP the password alone decides.
        let b = account(&[Role::Analyst]);
        assert!(matches!(
            decide_password(Some(&b), "violet-kettle-42-orbit", 0, now(), &rules),
            PasswordStep::Decided(Decision::Accepted { .. })
        ));
    }
}
