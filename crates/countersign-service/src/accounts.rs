//! Signing in, sessions, passwords, TOTP, accounts and API tokens.

use crate::{Principal, ServiceError, Services, Via, event, metrics::labels};
use countersign_accounts::signin::{self, Decision, Refusal, Stage};
use countersign_accounts::{
    Account, AccountError, Role, RoleSet, TotpEnrolment, password, token, totp,
};
use countersign_store::{ApiTokenRecord, NewSession, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "cs_sess";
/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "cs_api";

/// An account as others see it (no secrets).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    /// Stable identifier.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Roles.
    #[schema(value_type = Vec<String>)]
    pub roles: RoleSet,
    /// The IT staff record this account belongs to.
    pub staff_id: Option<String>,
    /// The employee record this account belongs to.
    pub employee_id: Option<String>,
    /// TOTP enrolled and confirmed.
    pub totp_enrolled: bool,
    /// The one-time password must still be changed.
    pub must_change_password: bool,
    /// Locked until (RFC 3339), if locked.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub locked_until: Option<OffsetDateTime>,
    /// Disabled by an administrator.
    pub disabled: bool,
    /// Created (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.clone(),
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            roles: a.roles,
            staff_id: a.staff_id.clone(),
            employee_id: a.employee_id.clone(),
            totp_enrolled: a.totp.as_ref().is_some_and(|t| t.confirmed),
            must_change_password: a.must_change_password,
            locked_until: a.locked_until,
            disabled: a.disabled,
            created_at: a.created_at,
        }
    }
}

/// A fresh session.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    /// The bearer token: send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    /// `full`, or `setup` (only password change and TOTP enrolment allowed).
    #[schema(value_type = String)]
    pub stage: Stage,
    /// The session ends at the latest then (RFC 3339); earlier when idle.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// Who signed in.
    pub account: AccountView,
}

/// A new account: the one-time password is shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedAccount {
    /// The account.
    pub account: AccountView,
    /// The one-time password, to change at first sign-in.
    pub one_time_password: String,
}

/// What is needed to create an account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Sign-in name (letters, digits, `.`, `_`, `-`, `@`).
    pub username: String,
    /// Name shown to others (default: the username).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Roles: analyst, approver, relationship_manager, security_admin, employee, integration.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<String>,
    /// The IT staff record (directory staff ID) this account belongs to.
    #[serde(default)]
    pub staff_id: Option<String>,
    /// The employee record (directory employee ID) this account belongs to.
    #[serde(default)]
    pub employee_id: Option<String>,
}

/// TOTP enrolment material, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// The `otpauth://` URI for an authenticator app (render it as a QR code).
    pub otpauth_uri: String,
    /// The secret in base32, to type by hand.
    pub secret_base32: String,
}

/// A new API token, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    /// The token's record.
    pub record: TokenView,
    /// The bearer token itself: shown once, stored only as a digest.
    pub token: String,
}

/// An API token as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    /// Stable identifier.
    pub id: String,
    /// The account it acts as.
    pub account_id: String,
    /// What it is for.
    pub name: String,
    /// The roles it may use.
    #[schema(value_type = Vec<String>)]
    pub roles: RoleSet,
    /// Created (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// By whom.
    pub created_by: String,
    /// Revoked (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
    /// Last used, to the minute (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<&ApiTokenRecord> for TokenView {
    fn from(r: &ApiTokenRecord) -> Self {
        Self {
            id: r.id.clone(),
            account_id: r.account_id.clone(),
            name: r.name.clone(),
            roles: r.roles,
            created_at: r.created_at,
            created_by: r.created_by.clone(),
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        }
    }
}

fn account_error(field: &str, err: AccountError) -> ServiceError {
    ServiceError::invalid(field, err.to_string())
}

fn subject(account: &Account) -> String {
    format!("account:{}", account.username)
}

/// Tokens of sign-in challenges (password passed, TOTP code next).
const CHALLENGE_PREFIX: &str = "cs_mfa";
/// How long the TOTP step may take after the password.
const TOTP_STEP_LIFETIME: time::Duration = time::Duration::minutes(5);
/// Wrong codes that end a sign-in challenge.
const MAX_TOTP_STEP_FAILURES: u32 = 3;

/// What the password step of a two-step sign-in answers.
#[derive(Debug)]
pub enum SignInStep {
    /// Signed in (no TOTP enrolled).
    Done(SignedIn),
    /// The password is right; the TOTP code is asked next with this
    /// challenge (single use, until `expires_at`).
    Totp {
        /// The challenge token (secret: keep it like a session token).
        challenge: String,
        /// When it ends.
        expires_at: OffsetDateTime,
    },
}

impl Services {
    /// Signs in with a password (and a TOTP code where the account has one)
    /// from `address`. Every attempt is audited; failures count towards the
    /// account's lock and the address's throttle.
    pub async fn sign_in(
        &self,
        username: &str,
        password_given: &str,
        code: Option<&str>,
        address: &str,
    ) -> Result<SignedIn, ServiceError> {
        let store = &self.inner.store;
        let rules = &self.inner.settings.signin;
        let now = self.now();
        let username = username.trim().to_lowercase();
        let account = store.account_by_username(&username).await?;
        let address_failures = store
            .address_failures(address, now, rules.address_window)
            .await?;
        let decision = signin::decide(
            account.as_ref(),
            password_given,
            code,
            address_failures,
            now,
            rules,
        );
        self.settle_sign_in(&username, account, decision, address, now)
            .await
    }

    /// Applies a sign-in decision: the session and its audit entry, or the
    /// failure counted and audited (and the account locked when due).
    async fn settle_sign_in(
        &self,
        username: &str,
        account: Option<Account>,
        decision: Decision,
        address: &str,
        now: OffsetDateTime,
    ) -> Result<SignedIn, ServiceError> {
        let store = &self.inner.store;
        let rules = &self.inner.settings.signin;
        match decision {
            Decision::Accepted { stage, totp_step } => {
                let account = account
                    .ok_or_else(|| ServiceError::Unauthenticated("sign-in failed".into()))?;
                let token_text = token::random_token(SESSION_PREFIX);
                let expires_at = now + self.inner.settings.session_absolute;
                let session = NewSession {
                    token_hash: token::digest(&token_text),
                    stage,
                    created_at: now,
                    expires_at,
                    address: Some(address.to_owned()),
                };
                let audit = vec![event(
                    now,
                    &account.username,
                    "signin.success",
                    subject(&account),
                    json!({ "address": address, "stage": stage.as_str(), "mfa": totp_step.is_some() }),
                )];
                if !store
                    .signin_succeeded(&account.id, totp_step, &session, audit)
                    .await?
                {
                    return Err(ServiceError::Unauthenticated(
                        "the TOTP code was already used; wait for the next one".into(),
                    ));
                }
                self.inner
                    .metrics
                    .signins
                    .get_or_create(&labels(&[("outcome", "success")]))
                    .inc();
                let mut view = AccountView::from(&account);
                view.locked_until = None;
                Ok(SignedIn {
                    token: token_text,
                    stage,
                    expires_at,
                    account: view,
                })
            }
            Decision::Refused {
                refusal,
                count_failure,
                lock_until,
            } => {
                let outcome = match &refusal {
                    Refusal::Locked { .. } => "locked",
                    Refusal::AddressThrottled => "throttled",
                    Refusal::Disabled => "disabled",
                    _ => "failure",
                };
                let mut audit = vec![event(
                    now,
                    username,
                    "signin.failure",
                    format!("account:{username}"),
                    json!({ "address": address, "reason": refusal.to_string(), "known_account": account.is_some() }),
                )];
                if let (Some(until), Some(a)) = (lock_until, account.as_ref()) {
                    audit.push(event(
                        now,
                        "countersign",
                        "account.locked",
                        subject(a),
                        json!({ "until": until.unix_timestamp(), "after_failures": a.failed_attempts + 1 }),
                    ));
                }
                store
                    .signin_failed(
                        &countersign_store::SigninFailure {
                            account_id: account.as_ref().map(|a| a.id.as_str()),
                            address,
                            count_against_account: count_failure,
                            lock_until,
                            now,
                            window: rules.address_window,
                        },
                        audit,
                    )
                    .await?;
                self.inner
                    .metrics
                    .signins
                    .get_or_create(&labels(&[("outcome", outcome)]))
                    .inc();
                Err(match refusal {
                    Refusal::Locked { .. } | Refusal::AddressThrottled => {
                        ServiceError::Throttled(refusal.to_string())
                    }
                    other => ServiceError::Unauthenticated(other.to_string()),
                })
            }
        }
    }

    /// The first step of the console's two-step sign-in: the password.
    /// Without TOTP enrolled it signs in as [`Services::sign_in`] does; with
    /// TOTP it opens a short-lived challenge (audited) and answers its token,
    /// which [`Services::sign_in_totp`] takes with the code. A wrong password
    /// is counted and audited as in [`Services::sign_in`].
    pub async fn sign_in_password(
        &self,
        username: &str,
        password_given: &str,
        address: &str,
    ) -> Result<SignInStep, ServiceError> {
        let store = &self.inner.store;
        let rules = &self.inner.settings.signin;
        let now = self.now();
        let username = username.trim().to_lowercase();
        let account = store.account_by_username(&username).await?;
        let address_failures = store
            .address_failures(address, now, rules.address_window)
            .await?;
        match signin::decide_password(
            account.as_ref(),
            password_given,
            address_failures,
            now,
            rules,
        ) {
            signin::PasswordStep::Decided(decision) => self
                .settle_sign_in(&username, account, decision, address, now)
                .await
                .map(SignInStep::Done),
            signin::PasswordStep::NeedsTotp => {
                let account = account
                    .ok_or_else(|| ServiceError::Unauthenticated("sign-in failed".into()))?;
                let challenge = token::random_token(CHALLENGE_PREFIX);
                let expires_at = now + TOTP_STEP_LIFETIME;
                let audit = vec![event(
                    now,
                    &account.username,
                    "signin.password_accepted",
                    subject(&account),
                    json!({ "address": address, "next": "totp" }),
                )];
                store
                    .create_signin_challenge(
                        &token::digest(&challenge),
                        &account.id,
                        address,
                        now,
                        expires_at,
                        audit,
                    )
                    .await?;
                Ok(SignInStep::Totp {
                    challenge,
                    expires_at,
                })
            }
        }
    }

    /// Whether a sign-in challenge is still open (not expired, not ended).
    pub async fn sign_in_challenge_open(&self, challenge: &str) -> Result<bool, ServiceError> {
        Ok(self
            .inner
            .store
            .signin_challenge(&token::digest(challenge.trim()), self.now())
            .await?
            .is_some())
    }

    /// The second step: the TOTP code for the challenge the password step
    /// opened, from the same address. A wrong code counts towards the
    /// account's lock; three end the challenge (start again).
    pub async fn sign_in_totp(
        &self,
        challenge: &str,
        code: &str,
        address: &str,
    ) -> Result<SignedIn, ServiceError> {
        let store = &self.inner.store;
        let rules = &self.inner.settings.signin;
        let now = self.now();
        let expired = || {
            ServiceError::Unauthenticated(
                "this sign-in has expired or ended; sign in again with your password".into(),
            )
        };
        let digest = token::digest(challenge.trim());
        let (account_id, bound_address) = store
            .signin_challenge(&digest, now)
            .await?
            .ok_or_else(expired)?;
        if bound_address != address {
            return Err(expired());
        }
        let account = store.account(&account_id).await?.ok_or_else(expired)?;
        let address_failures = store
            .address_failures(address, now, rules.address_window)
            .await?;
        let decision = signin::decide_totp(&account, code.trim(), address_failures, now, rules);
        match decision {
            Decision::Accepted { .. } => {
                if !store.end_signin_challenge(&digest).await? {
                    return Err(expired());
                }
            }
            Decision::Refused { .. } => {
                store
                    .fail_signin_challenge(&digest, MAX_TOTP_STEP_FAILURES)
                    .await?;
            }
        }
        let username = account.username.clone();
        self.settle_sign_in(&username, Some(account), decision, address, now)
            .await
    }

    /// The principal behind a bearer token (session or API token).
    pub async fn authenticate(
        &self,
        bearer: &str,
        address: &str,
    ) -> Result<Principal, ServiceError> {
        let bad = || ServiceError::Unauthenticated("invalid or expired credentials".into());
        let now = self.now();
        let digest = token::digest(bearer.trim());
        if bearer.starts_with(SESSION_PREFIX) {
            let (session, account) = self.inner.store.session(&digest).await?.ok_or_else(bad)?;
            let idle_end = session.last_seen_at + self.inner.settings.session_idle;
            if session.revoked || now >= session.expires_at || now >= idle_end || account.disabled {
                return Err(bad());
            }
            // Activity is written at most every 30 seconds per session.
            if now - session.last_seen_at > time::Duration::seconds(30) {
                self.inner.store.touch_session(&digest, now).await?;
            }
            let stage = if account.needs_setup() {
                Stage::Setup
            } else {
                Stage::Full
            };
            Ok(Principal {
                roles: account.roles,
                account,
                stage,
                via: Via::Session(digest),
                address: address.to_owned(),
            })
        } else if bearer.starts_with(API_TOKEN_PREFIX) {
            let (record, account) = self.inner.store.api_token(&digest).await?.ok_or_else(bad)?;
            if record.revoked_at.is_some() || account.disabled {
                return Err(bad());
            }
            if record
                .last_used_at
                .is_none_or(|t| now - t > time::Duration::minutes(1))
            {
                self.inner.store.touch_api_token(&record.id, now).await?;
            }
            Ok(Principal {
                roles: record.roles.intersect(account.roles),
                account,
                stage: Stage::Full,
                via: Via::ApiToken(record.id),
                address: address.to_owned(),
            })
        } else {
            Err(bad())
        }
    }

    /// Ends the caller's session.
    pub async fn sign_out(&self, principal: &Principal) -> Result<(), ServiceError> {
        let Via::Session(digest) = &principal.via else {
            return Err(ServiceError::Conflict(
                "API tokens are revoked, not signed out".into(),
            ));
        };
        let now = self.now();
        self.inner
            .store
            .revoke_session(
                digest,
                now,
                vec![event(
                    now,
                    &principal.actor(),
                    "signout",
                    subject(&principal.account),
                    json!({ "address": principal.address }),
                )],
            )
            .await?;
        Ok(())
    }

    /// Changes the caller's password (allowed in setup stage).
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
    ) -> Result<(), ServiceError> {
        let account = &principal.account;
        if !password::verify(&account.password_hash, current) {
            return Err(ServiceError::Refused(
                AccountError::WrongPassword.to_string(),
            ));
        }
        password::check_strength(new, &account.username)
            .map_err(|e| account_error("new_password", e))?;
        if password::verify(&account.password_hash, new) {
            return Err(ServiceError::invalid(
                "new_password",
                "must differ from the current password",
            ));
        }
        let hash = password::hash(new).map_err(|e| account_error("new_password", e))?;
        let now = self.now();
        self.inner
            .store
            .set_password(
                &account.id,
                &hash,
                false,
                vec![event(
                    now,
                    &principal.actor(),
                    "account.password_changed",
                    subject(account),
                    json!({ "address": principal.address }),
                )],
            )
            .await?;
        Ok(())
    }

    /// Starts TOTP enrolment: a new secret, unconfirmed until a first code.
    /// Refused once TOTP is confirmed (an administrator resets it).
    pub async fn start_totp(&self, principal: &Principal) -> Result<TotpSetup, ServiceError> {
        let account = &principal.account;
        if account.totp.as_ref().is_some_and(|t| t.confirmed) {
            return Err(ServiceError::Conflict(
                "TOTP is already enrolled; a security administrator can reset it".into(),
            ));
        }
        let secret = totp::new_secret();
        let uri = totp::otpauth_uri(&secret, &self.inner.settings.totp_issuer, &account.username)
            .map_err(|e| ServiceError::invalid("totp", e.to_string()))?;
        let now = self.now();
        self.inner
            .store
            .set_totp(
                &account.id,
                Some(&TotpEnrolment {
                    secret: secret.clone(),
                    confirmed: false,
                    last_step: 0,
                }),
                vec![event(
                    now,
                    &principal.actor(),
                    "account.totp_started",
                    subject(account),
                    json!({}),
                )],
            )
            .await?;
        Ok(TotpSetup {
            otpauth_uri: uri,
            secret_base32: totp::secret_base32(&secret),
        })
    }

    /// Confirms TOTP enrolment with a first valid code.
    pub async fn confirm_totp(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<(), ServiceError> {
        let account = &principal.account;
        let enrolment = account
            .totp
            .as_ref()
            .filter(|t| !t.confirmed)
            .ok_or_else(|| {
                ServiceError::Conflict("no TOTP enrolment is waiting to be confirmed".into())
            })?;
        let now = self.now();
        let step = totp::verify(
            &enrolment.secret,
            code,
            now.unix_timestamp().max(0) as u64,
            0,
        )
        .map_err(|e| ServiceError::Refused(e.to_string()))?;
        self.inner
            .store
            .set_totp(
                &account.id,
                Some(&TotpEnrolment {
                    secret: enrolment.secret.clone(),
                    confirmed: true,
                    last_step: step,
                }),
                vec![event(
                    now,
                    &principal.actor(),
                    "account.totp_enrolled",
                    subject(account),
                    json!({}),
                )],
            )
            .await?;
        Ok(())
    }

    /// Checks a fresh TOTP code of the caller and uses its step, so the same
    /// code can never confirm a second action (approvals).
    pub(crate) async fn fresh_totp(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<(), ServiceError> {
        let enrolment = principal
            .account
            .totp
            .as_ref()
            .filter(|t| t.confirmed)
            .ok_or_else(|| ServiceError::Forbidden("enrol TOTP before approving".into()))?;
        let now = self.now().unix_timestamp().max(0) as u64;
        let step = totp::verify(&enrolment.secret, code, now, enrolment.last_step)
            .map_err(|e| ServiceError::Refused(e.to_string()))?;
        if !self
            .inner
            .store
            .consume_totp_step(&principal.account.id, step)
            .await?
        {
            return Err(ServiceError::Refused(totp::TotpError::Replayed.to_string()));
        }
        Ok(())
    }

    /// Creates an account with a one-time password. `actor` is the
    /// administrator.
    pub async fn create_account(
        &self,
        actor: &str,
        new: NewAccount,
    ) -> Result<CreatedAccount, ServiceError> {
        let directory = self.inner.directory.refresh().await?;
        create_account(&self.inner.store, &directory.snapshot, actor, new).await
    }

    /// Every account (administrators).
    pub async fn list_accounts(
        &self,
        principal: &Principal,
    ) -> Result<Vec<AccountView>, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        Ok(self
            .inner
            .store
            .accounts()
            .await?
            .iter()
            .map(AccountView::from)
            .collect())
    }

    async fn account_or_404(&self, id: &str) -> Result<Account, ServiceError> {
        self.inner
            .store
            .account(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("account {id}")))
    }

    /// Lifts a lock (administrators).
    pub async fn unlock_account(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<AccountView, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        let account = self.account_or_404(id).await?;
        let now = self.now();
        self.inner
            .store
            .set_lock(
                id,
                None,
                vec![event(
                    now,
                    &principal.actor(),
                    "account.unlocked",
                    subject(&account),
                    json!({}),
                )],
            )
            .await?;
        Ok(AccountView::from(&self.account_or_404(id).await?))
    }

    /// Disables an account and ends its sessions (administrators; not oneself).
    pub async fn disable_account(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<AccountView, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        if principal.account.id == id {
            return Err(ServiceError::Conflict(
                "you cannot disable your own account".into(),
            ));
        }
        let account = self.account_or_404(id).await?;
        let now = self.now();
        self.inner
            .store
            .set_disabled(
                id,
                true,
                now,
                vec![event(
                    now,
                    &principal.actor(),
                    "account.disabled",
                    subject(&account),
                    json!({}),
                )],
            )
            .await?;
        Ok(AccountView::from(&self.account_or_404(id).await?))
    }

    /// Issues an API token for `account_id` limited to `roles` (a subset of
    /// the account's; default all of them). Administrators only.
    pub async fn create_api_token(
        &self,
        principal: &Principal,
        account_id: &str,
        name: &str,
        roles: Option<&[String]>,
    ) -> Result<CreatedToken, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        let account = self.account_or_404(account_id).await?;
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(ServiceError::invalid("name", "1 to 100 characters"));
        }
        let scope = match roles {
            Some(list) => {
                let mut set = RoleSet::EMPTY;
                for r in list {
                    set = set.with(Role::from_name(r).ok_or_else(|| {
                        account_error("roles", AccountError::UnknownRole { name: r.clone() })
                    })?);
                }
                if !account.roles.includes(set) {
                    return Err(ServiceError::invalid(
                        "roles",
                        "a token cannot have roles its account does not hold",
                    ));
                }
                set
            }
            None => account.roles,
        };
        if scope.requires_mfa() {
            return Err(ServiceError::invalid(
                "roles",
                "tokens cannot carry roles that require MFA (approver, relationship_manager, security_admin)",
            ));
        }
        let text = token::random_token(API_TOKEN_PREFIX);
        let now = self.now();
        let record = ApiTokenRecord {
            id: token::random_id("t"),
            account_id: account.id.clone(),
            name: name.to_owned(),
            roles: scope,
            created_at: now,
            created_by: principal.account.username.clone(),
            revoked_at: None,
            last_used_at: None,
        };
        self.inner
            .store
            .create_api_token(
                &record,
                &token::digest(&text),
                vec![event(
                    now,
                    &principal.actor(),
                    "token.created",
                    format!("token:{}", record.id),
                    json!({ "account": account.username, "roles": scope.to_names(), "name": name }),
                )],
            )
            .await?;
        Ok(CreatedToken {
            record: TokenView::from(&record),
            token: text,
        })
    }

    /// Every API token (administrators).
    pub async fn list_api_tokens(
        &self,
        principal: &Principal,
    ) -> Result<Vec<TokenView>, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        Ok(self
            .inner
            .store
            .api_tokens()
            .await?
            .iter()
            .map(TokenView::from)
            .collect())
    }

    /// Revokes a token (administrators).
    pub async fn revoke_api_token(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(), ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        let now = self.now();
        if !self
            .inner
            .store
            .revoke_api_token(
                id,
                now,
                vec![event(
                    now,
                    &principal.actor(),
                    "token.revoked",
                    format!("token:{id}"),
                    json!({}),
                )],
            )
            .await?
        {
            return Err(ServiceError::NotFound(format!("live token {id}")));
        }
        Ok(())
    }
}

/// Creates an account with a one-time password. `actor` is the
/// administrator, or `cli:<user>` when an operator on the host bootstraps
/// the first one (`countersign user add`).
pub async fn create_account(
    store: &countersign_store::Store,
    snapshot: &countersign_directory::DirectorySnapshot,
    actor: &str,
    new: NewAccount,
) -> Result<CreatedAccount, ServiceError> {
    let username = countersign_accounts::check_username(&new.username)
        .map_err(|e| account_error("username", e))?;
    let mut roles = RoleSet::EMPTY;
    for name in &new.roles {
        roles = roles.with(Role::from_name(name).ok_or_else(|| {
            account_error("roles", AccountError::UnknownRole { name: name.clone() })
        })?);
    }
    if roles.is_empty() {
        return Err(ServiceError::invalid("roles", "at least one role"));
    }
    if let Some(staff_id) = &new.staff_id
        && !snapshot.staff.iter().any(|s| &s.staff_id == staff_id)
    {
        return Err(ServiceError::invalid(
            "staff_id",
            format!("no IT staff member {staff_id} in the directory"),
        ));
    }
    if let Some(employee_id) = &new.employee_id
        && !snapshot.employees.iter().any(|e| &e.id == employee_id)
    {
        return Err(ServiceError::invalid(
            "employee_id",
            format!("no employee {employee_id} in the directory"),
        ));
    }
    let one_time = password::one_time_password();
    let now = OffsetDateTime::now_utc();
    let account = Account {
        id: token::random_id("a"),
        display_name: new
            .display_name
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| username.clone()),
        username,
        roles,
        password_hash: password::hash(&one_time).map_err(|e| account_error("password", e))?,
        must_change_password: true,
        totp: None,
        staff_id: new.staff_id,
        employee_id: new.employee_id,
        failed_attempts: 0,
        locked_until: None,
        disabled: false,
        created_at: now,
    };
    store
        .create_account(
            &account,
            vec![event(
                now,
                actor,
                "account.created",
                subject(&account),
                json!({ "roles": account.roles.to_names(), "staff_id": account.staff_id, "employee_id": account.employee_id }),
            )],
        )
        .await
        .map_err(|e| match e {
            StoreError::Duplicate { what } => ServiceError::Conflict(format!("{what} already exists")),
            other => other.into(),
        })?;
    Ok(CreatedAccount {
        account: AccountView::from(&account),
        one_time_password: one_time,
    })
}
