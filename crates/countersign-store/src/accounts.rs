//! Accounts, sessions, API tokens and sign-in throttling. Tokens are
//! looked up by their SHA-256 digest; the tokens themselves are never
//! stored. Every change is written with its audit entries in one
//! transaction.

use crate::audit::append_in_tx;
use crate::backend::{Store, with_db};
use crate::error::{StoreError, dup, q};
use crate::rows::{RowExt, ms, time_from_ms};
use countersign_accounts::signin::Stage;
use countersign_accounts::{Account, RoleSet, TotpEnrolment};
use countersign_audit::AuditEvent;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.display_name, a.roles, a.password_hash, \
     a.must_change_password, a.totp_secret, a.totp_confirmed, a.totp_last_step, a.staff_id, \
     a.employee_id, a.failed_attempts, a.locked_until, a.disabled, a.created_at";

fn corrupt(table: &'static str, reason: String) -> StoreError {
    StoreError::Corrupt { table, reason }
}

fn account_from<R: RowExt>(r: &R) -> Result<Account, StoreError> {
    let m = || q("read account");
    let totp = match r.opt_bytes("totp_secret").map_err(m())? {
        Some(secret) => Some(TotpEnrolment {
            secret,
            confirmed: r.int("totp_confirmed").map_err(m())? != 0,
            last_step: r.int("totp_last_step").map_err(m())? as u64,
        }),
        None => None,
    };
    Ok(Account {
        id: r.text("id").map_err(m())?,
        username: r.text("username").map_err(m())?,
        display_name: r.text("display_name").map_err(m())?,
        roles: RoleSet::parse(&r.text("roles").map_err(m())?)
            .map_err(|e| corrupt("accounts", e.to_string()))?,
        password_hash: r.text("password_hash").map_err(m())?,
        must_change_password: r.int("must_change_password").map_err(m())? != 0,
        totp,
        staff_id: r.opt_text("staff_id").map_err(m())?,
        employee_id: r.opt_text("employee_id").map_err(m())?,
        failed_attempts: r.int("failed_attempts").map_err(m())? as u32,
        locked_until: r
            .opt_int("locked_until")
            .map_err(m())?
            .map(|t| time_from_ms("accounts", t))
            .transpose()?,
        disabled: r.int("disabled").map_err(m())? != 0,
        created_at: time_from_ms("accounts", r.int("created_at").map_err(m())?)?,
    })
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The account signed in.
    pub account_id: String,
    /// What the session was granted at sign-in.
    pub stage: Stage,
    /// Signed in at.
    pub created_at: OffsetDateTime,
    /// Last request.
    pub last_seen_at: OffsetDateTime,
    /// Absolute end.
    pub expires_at: OffsetDateTime,
    /// The client address at sign-in.
    pub address: Option<String>,
    /// Signed out or revoked.
    pub revoked: bool,
}

/// An API token as stored (its digest aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// Stable identifier (shown in lists, used to revoke).
    pub id: String,
    /// The account the token acts as.
    pub account_id: String,
    /// What it is for.
    pub name: String,
    /// The roles it may use (a subset of the account's).
    pub roles: RoleSet,
    /// Created.
    pub created_at: OffsetDateTime,
    /// By whom.
    pub created_by: String,
    /// Revoked at.
    pub revoked_at: Option<OffsetDateTime>,
    /// Last used (to the minute).
    pub last_used_at: Option<OffsetDateTime>,
}

fn token_from<R: RowExt>(r: &R) -> Result<ApiTokenRecord, StoreError> {
    let m = || q("read api token");
    Ok(ApiTokenRecord {
        id: r.text("tid").map_err(m())?,
        account_id: r.text("t_account_id").map_err(m())?,
        name: r.text("t_name").map_err(m())?,
        roles: RoleSet::parse(&r.text("t_roles").map_err(m())?)
            .map_err(|e| corrupt("api_tokens", e.to_string()))?,
        created_at: time_from_ms("api_tokens", r.int("t_created_at").map_err(m())?)?,
        created_by: r.text("t_created_by").map_err(m())?,
        revoked_at: r
            .opt_int("t_revoked_at")
            .map_err(m())?
            .map(|t| time_from_ms("api_tokens", t))
            .transpose()?,
        last_used_at: r
            .opt_int("t_last_used_at")
            .map_err(m())?
            .map(|t| time_from_ms("api_tokens", t))
            .transpose()?,
    })
}

const TOKEN_COLUMNS: &str = "t.id AS tid, t.account_id AS t_account_id, t.name AS t_name, \
     t.roles AS t_roles, t.created_at AS t_created_at, t.created_by AS t_created_by, \
     t.revoked_at AS t_revoked_at, t.last_used_at AS t_last_used_at";

/// A failed sign-in, as [`Store::signin_failed`] records it.
#[derive(Debug, Clone, Copy)]
pub struct SigninFailure<'a> {
    /// The account tried, if it exists.
    pub account_id: Option<&'a str>,
    /// The client address.
    pub address: &'a str,
    /// Whether the failure counts towards the account's lock.
    pub count_against_account: bool,
    /// Lock the account until then.
    pub lock_until: Option<OffsetDateTime>,
    /// Now.
    pub now: OffsetDateTime,
    /// The address throttle's window.
    pub window: time::Duration,
}

/// A session to create at sign-in.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the bearer token.
    pub token_hash: [u8; 32],
    /// What it may do.
    pub stage: Stage,
    /// Now.
    pub created_at: OffsetDateTime,
    /// Absolute end.
    pub expires_at: OffsetDateTime,
    /// Client address.
    pub address: Option<String>,
}

/// Every API request presents a session or token, and reading it back was
/// a database round trip per request (about a fifth of `serve`'s CPU per
/// message). What was read is kept for [`CREDENTIAL_CACHE_TTL`]; every
/// write through this store to an account, a session or a token forgets
/// it all at once, so this node sees its own sign-outs, revocations,
/// lockouts and disables at once. Another process's change is seen within
/// the TTL. Only found credentials are kept; expiry, idle time and
/// revocation are still checked by the caller on each request.
#[derive(Debug, Default)]
pub(crate) struct CredentialCache {
    entries: std::sync::Mutex<HashMap<[u8; 32], (std::time::Instant, Cached)>>,
    /// Moved by every write: a read that began before it keeps nothing.
    generation: AtomicU64,
}

/// How long a credential read from the database is trusted as read.
pub const CREDENTIAL_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// At most this many credentials are kept; past it, the cache starts over.
const CREDENTIAL_CACHE_ENTRIES: usize = 4_096;

#[derive(Debug, Clone)]
enum Cached {
    Session(SessionRecord, Account),
    Token(ApiTokenRecord, Account),
}

impl CredentialCache {
    fn get(&self, hash: &[u8; 32]) -> Option<Cached> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(hash)
            .filter(|(read, _)| read.elapsed() < CREDENTIAL_CACHE_TTL)
            .map(|(_, c)| c.clone())
    }

    /// What `read` finds for `hash`, from the cache while it is fresh;
    /// `from` and `into` say which kind of credential it is.
    async fn through<T: Clone>(
        &self,
        hash: &[u8; 32],
        from: fn(Cached) -> Option<T>,
        into: fn(T) -> Cached,
        read: impl std::future::Future<Output = Result<Option<T>, StoreError>>,
    ) -> Result<Option<T>, StoreError> {
        if let Some(found) = self.get(hash).and_then(from) {
            return Ok(Some(found));
        }
        // Taken before the read starts: a write meanwhile voids what it finds.
        let generation = self.generation();
        let found = read.await?;
        if let Some(found) = &found {
            self.put(*hash, into(found.clone()), generation);
        }
        Ok(found)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps what a read that began at `generation` found, unless a write
    /// began since.
    fn put(&self, hash: [u8; 32], cached: Cached, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation() != generation {
            return;
        }
        if entries.len() >= CREDENTIAL_CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(hash, (std::time::Instant::now(), cached));
    }

    fn forget(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }

    /// Forgets everything now and again when the guard drops: around a
    /// write, so no read overlapping it keeps what it found.
    fn writing(&self) -> ForgetOnDrop<'_> {
        self.forget();
        ForgetOnDrop(self)
    }
}

struct ForgetOnDrop<'a>(&'a CredentialCache);

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.forget();
    }
}

impl Store {
    /// Creates an account; a taken username is [`StoreError::Duplicate`].
    pub async fn create_account(
        &self,
        account: &Account,
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let totp = account.totp.as_ref();
            sqlx::query(
                "INSERT INTO accounts (id, username, display_name, roles, password_hash, \
                 must_change_password, totp_secret, totp_confirmed, totp_last_step, staff_id, \
                 employee_id, failed_attempts, locked_until, disabled, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(&account.id)
            .bind(&account.username)
            .bind(&account.display_name)
            .bind(account.roles.to_names())
            .bind(&account.password_hash)
            .bind(i64::from(account.must_change_password))
            .bind(totp.map(|t| t.secret.clone()))
            .bind(i64::from(totp.is_some_and(|t| t.confirmed)))
            .bind(totp.map_or(0, |t| t.last_step as i64))
            .bind(&account.staff_id)
            .bind(&account.employee_id)
            .bind(i64::from(account.failed_attempts))
            .bind(account.locked_until.map(ms))
            .bind(i64::from(account.disabled))
            .bind(ms(account.created_at))
            .execute(&mut *tx)
            .await
            .map_err(dup(
                "create account",
                format!("username {}", account.username),
            ))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit account"))?;
        });
        Ok(())
    }

    /// The account with this ID.
    pub async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        self.account_where("a.id = $1", id).await
    }

    /// The account with this username (lowercase).
    pub async fn account_by_username(&self, username: &str) -> Result<Option<Account>, StoreError> {
        self.account_where("a.username = $1", username).await
    }

    async fn account_where(&self, cond: &str, value: &str) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {cond}");
        with_db!(&self.db, |pool, _begin| {
            let row = sqlx::query(&sql)
                .bind(value)
                .fetch_optional(pool)
                .await
                .map_err(q("read account"))?;
            row.as_ref().map(account_from).transpose()
        })
    }

    /// Every account, by username.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.username");
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(&sql)
                .fetch_all(pool)
                .await
                .map_err(q("list accounts"))?
                .iter()
                .map(account_from)
                .collect()
        })
    }

    /// Records a successful sign-in: resets the failure count, stores the
    /// TOTP step used and creates the session. Returns false (and changes
    /// nothing) when another sign-in used the same TOTP step first.
    pub async fn signin_succeeded(
        &self,
        account_id: &str,
        totp_step: Option<u64>,
        session: &NewSession,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        let _forget = self.credentials.writing();
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            if let Some(step) = totp_step {
                let done = sqlx::query(
                    "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
                )
                .bind(account_id)
                .bind(step as i64)
                .execute(&mut *tx)
                .await
                .map_err(q("store totp step"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
            }
            sqlx::query(
                "UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = $1",
            )
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .map_err(q("reset failures"))?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, account_id, stage, created_at, last_seen_at, \
                 expires_at, address) VALUES ($1, $2, $3, $4, $4, $5, $6)",
            )
            .bind(session.token_hash.to_vec())
            .bind(account_id)
            .bind(session.stage.as_str())
            .bind(ms(session.created_at))
            .bind(ms(session.expires_at))
            .bind(&session.address)
            .execute(&mut *tx)
            .await
            .map_err(q("create session"))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit sign-in"))?;
        });
        Ok(true)
    }

    /// Opens a sign-in challenge (password passed, TOTP code next) with its
    /// audit entries; challenges past their expiry are dropped on the way.
    pub async fn create_signin_challenge(
        &self,
        token_hash: &[u8],
        account_id: &str,
        address: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let _forget = self.credentials.writing();
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query("DELETE FROM signin_challenges WHERE expires_at <= $1")
                .bind(ms(now))
                .execute(&mut *tx)
                .await
                .map_err(q("drop expired sign-in challenges"))?;
            sqlx::query(
                "INSERT INTO signin_challenges (token_hash, account_id, address, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash.to_vec())
            .bind(account_id)
            .bind(address)
            .bind(ms(now))
            .bind(ms(expires_at))
            .execute(&mut *tx)
            .await
            .map_err(q("create sign-in challenge"))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit sign-in challenge"))?;
        });
        Ok(())
    }

    /// The account and address of a live sign-in challenge.
    pub async fn signin_challenge(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<(String, String)>, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let row = sqlx::query(
                "SELECT account_id, address FROM signin_challenges \
                 WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash.to_vec())
            .bind(ms(now))
            .fetch_optional(pool)
            .await
            .map_err(q("read sign-in challenge"))?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((
                    r.text("account_id").map_err(q("read sign-in challenge"))?,
                    r.text("address").map_err(q("read sign-in challenge"))?,
                ))),
            }
        })
    }

    /// Ends a sign-in challenge: `true` for the one caller that ended it
    /// (single use).
    pub async fn end_signin_challenge(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let _forget = self.credentials.writing();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let done = sqlx::query("DELETE FROM signin_challenges WHERE token_hash = $1")
                .bind(token_hash.to_vec())
                .execute(&mut *tx)
                .await
                .map_err(q("end sign-in challenge"))?;
            tx.commit().await.map_err(q("commit"))?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Counts a wrong code against a sign-in challenge; at `max` wrong codes
    /// the challenge is dropped. Returns whether it is still open.
    pub async fn fail_signin_challenge(
        &self,
        token_hash: &[u8],
        max: u32,
    ) -> Result<bool, StoreError> {
        let _forget = self.credentials.writing();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "UPDATE signin_challenges SET failures = failures + 1 WHERE token_hash = $1",
            )
            .bind(token_hash.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(q("count sign-in challenge failure"))?;
            let dropped = sqlx::query(
                "DELETE FROM signin_challenges WHERE token_hash = $1 AND failures >= $2",
            )
            .bind(token_hash.to_vec())
            .bind(i64::from(max))
            .execute(&mut *tx)
            .await
            .map_err(q("drop sign-in challenge"))?
            .rows_affected();
            tx.commit()
                .await
                .map_err(q("commit sign-in challenge failure"))?;
            Ok(dropped == 0)
        })
    }

    /// Records a failed sign-in: counts it against the account (if any) and
    /// the address (in a window of `failure.window`, restarted when older),
    /// and locks the account when `failure.lock_until` is given.
    pub async fn signin_failed(
        &self,
        failure: &SigninFailure<'_>,
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let _forget = self.credentials.writing();
        let SigninFailure {
            account_id,
            address,
            count_against_account,
            lock_until,
            now,
            window,
        } = *failure;
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            if let (Some(id), true) = (account_id, count_against_account) {
                sqlx::query(
                    "UPDATE accounts SET failed_attempts = failed_attempts + 1, \
                     locked_until = COALESCE($2, locked_until) WHERE id = $1",
                )
                .bind(id)
                .bind(lock_until.map(ms))
                .execute(&mut *tx)
                .await
                .map_err(q("count failure"))?;
            }
            sqlx::query(
                "INSERT INTO signin_failures (address, window_start, failures) VALUES ($1, $2, 1) \
                 ON CONFLICT (address) DO UPDATE SET \
                 failures = CASE WHEN signin_failures.window_start < $3 THEN 1 ELSE signin_failures.failures + 1 END, \
                 window_start = CASE WHEN signin_failures.window_start < $3 THEN $2 ELSE signin_failures.window_start END",
            )
            .bind(address)
            .bind(ms(now))
            .bind(ms(now - window))
            .execute(&mut *tx)
            .await
            .map_err(q("count address failure"))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit sign-in failure"))?;
        });
        Ok(())
    }

    /// Failed sign-ins from `address` in the window ending now.
    pub async fn address_failures(
        &self,
        address: &str,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> Result<u32, StoreError> {
        with_db!(&self.db, |pool, _begin| {
            let n: Option<i64> = sqlx::query_scalar(
                "SELECT failures FROM signin_failures WHERE address = $1 AND window_start >= $2",
            )
            .bind(address)
            .bind(ms(now - window))
            .fetch_optional(pool)
            .await
            .map_err(q("read address failures"))?;
            Ok(n.unwrap_or(0).max(0) as u32)
        })
    }

    /// Runs one account update (`sql` with `$1` = account ID and `extra`
    /// binds) and its audit entries in one transaction; false when no such account.
    async fn update_account(
        &self,
        context: &'static str,
        sql: &str,
        id: &str,
        binds: Vec<Bind>,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        let _forget = self.credentials.writing();
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let mut query = sqlx::query(sql).bind(id);
            for b in binds {
                query = match b {
                    Bind::Int(v) => query.bind(v),
                    Bind::OptInt(v) => query.bind(v),
                    Bind::Text(v) => query.bind(v),
                    Bind::OptBytes(v) => query.bind(v),
                };
            }
            let done = query.execute(&mut *tx).await.map_err(q(context))?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q(context))?;
        });
        Ok(true)
    }

    /// Replaces the password hash; `must_change` marks a one-time password.
    pub async fn set_password(
        &self,
        id: &str,
        hash: &str,
        must_change: bool,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        self.update_account(
            "set password",
            "UPDATE accounts SET password_hash = $2, must_change_password = $3 WHERE id = $1",
            id,
            vec![
                Bind::Text(hash.to_owned()),
                Bind::Int(i64::from(must_change)),
            ],
            audit,
        )
        .await
    }

    /// Starts (secret, unconfirmed), confirms, or removes (None) TOTP.
    pub async fn set_totp(
        &self,
        id: &str,
        enrolment: Option<&TotpEnrolment>,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        self.update_account(
            "set totp",
            "UPDATE accounts SET totp_secret = $2, totp_confirmed = $3, totp_last_step = $4 WHERE id = $1",
            id,
            vec![
                Bind::OptBytes(enrolment.map(|e| e.secret.clone())),
                Bind::Int(i64::from(enrolment.is_some_and(|e| e.confirmed))),
                Bind::Int(enrolment.map_or(0, |e| e.last_step as i64)),
            ],
            audit,
        )
        .await
    }

    /// Uses a TOTP step for an approval: succeeds only if no later or equal
    /// step was used before, atomically across nodes.
    pub async fn consume_totp_step(&self, id: &str, step: u64) -> Result<bool, StoreError> {
        let _forget = self.credentials.writing();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let done = sqlx::query(
                "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
            )
            .bind(id)
            .bind(step as i64)
            .execute(&mut *tx)
            .await
            .map_err(q("consume totp step"))?;
            tx.commit().await.map_err(q("commit"))?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Locks (until a time) or unlocks (None, failures reset) an account.
    pub async fn set_lock(
        &self,
        id: &str,
        locked_until: Option<OffsetDateTime>,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        self.update_account(
            "set lock",
            "UPDATE accounts SET locked_until = $2, failed_attempts = 0 WHERE id = $1",
            id,
            vec![Bind::OptInt(locked_until.map(ms))],
            audit,
        )
        .await
    }

    /// Disables or re-enables an account; disabling revokes its sessions.
    pub async fn set_disabled(
        &self,
        id: &str,
        disabled: bool,
        now: OffsetDateTime,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        let _forget = self.credentials.writing();
        if disabled {
            self.revoke_sessions_of(id, now).await?;
        }
        self.update_account(
            "set disabled",
            "UPDATE accounts SET disabled = $2 WHERE id = $1",
            id,
            vec![Bind::Int(i64::from(disabled))],
            audit,
        )
        .await
    }

    async fn revoke_sessions_of(&self, id: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(q("revoke sessions"))?;
            tx.commit().await.map_err(q("commit"))?;
        });
        Ok(())
    }

    /// The session with this token digest, with its account.
    pub async fn session(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(SessionRecord, Account)>, StoreError> {
        self.credentials
            .through(
                token_hash,
                |c| match c {
                    Cached::Session(s, a) => Some((s, a)),
                    Cached::Token(..) => None,
                },
                |(s, a)| Cached::Session(s, a),
                self.read_session(token_hash),
            )
            .await
    }

    async fn read_session(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(SessionRecord, Account)>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, s.stage, s.created_at AS s_created_at, s.last_seen_at, \
             s.expires_at, s.address, s.revoked_at FROM sessions s \
             JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1"
        );
        with_db!(&self.db, |pool, _begin| {
            let Some(r) = sqlx::query(&sql)
                .bind(token_hash.to_vec())
                .fetch_optional(pool)
                .await
                .map_err(q("read session"))?
            else {
                return Ok(None);
            };
            let m = || q("read session");
            let account = account_from(&r)?;
            let stage_text = r.text("stage").map_err(m())?;
            let session = SessionRecord {
                account_id: account.id.clone(),
                stage: Stage::parse(&stage_text)
                    .ok_or_else(|| corrupt("sessions", format!("stage {stage_text:?}")))?,
                created_at: time_from_ms("sessions", r.int("s_created_at").map_err(m())?)?,
                last_seen_at: time_from_ms("sessions", r.int("last_seen_at").map_err(m())?)?,
                expires_at: time_from_ms("sessions", r.int("expires_at").map_err(m())?)?,
                address: r.opt_text("address").map_err(m())?,
                revoked: r.opt_int("revoked_at").map_err(m())?.is_some(),
            };
            Ok(Some((session, account)))
        })
    }

    /// Notes activity on a session (for the idle timeout).
    pub async fn touch_session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let _forget = self.credentials.writing();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
                .bind(token_hash.to_vec())
                .bind(ms(now))
                .execute(&mut *tx)
                .await
                .map_err(q("touch session"))?;
            tx.commit().await.map_err(q("commit"))?;
        });
        Ok(())
    }

    /// Signs a session out.
    pub async fn revoke_session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let _forget = self.credentials.writing();
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(token_hash.to_vec())
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(q("revoke session"))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit sign-out"))?;
        });
        Ok(())
    }

    /// Stores a new API token's digest.
    pub async fn create_api_token(
        &self,
        record: &ApiTokenRecord,
        token_hash: &[u8; 32],
        audit: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query(
                "INSERT INTO api_tokens (id, token_hash, account_id, name, roles, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&record.id)
            .bind(token_hash.to_vec())
            .bind(&record.account_id)
            .bind(&record.name)
            .bind(record.roles.to_names())
            .bind(ms(record.created_at))
            .bind(&record.created_by)
            .execute(&mut *tx)
            .await
            .map_err(dup("create api token", format!("token {}", record.id)))?;
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit api token"))?;
        });
        Ok(())
    }

    /// The API token with this digest, with its account.
    pub async fn api_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(ApiTokenRecord, Account)>, StoreError> {
        self.credentials
            .through(
                token_hash,
                |c| match c {
                    Cached::Token(t, a) => Some((t, a)),
                    Cached::Session(..) => None,
                },
                |(t, a)| Cached::Token(t, a),
                self.read_api_token(token_hash),
            )
            .await
    }

    async fn read_api_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(ApiTokenRecord, Account)>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, {TOKEN_COLUMNS} FROM api_tokens t \
             JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1"
        );
        with_db!(&self.db, |pool, _begin| {
            let row = sqlx::query(&sql)
                .bind(token_hash.to_vec())
                .fetch_optional(pool)
                .await
                .map_err(q("read api token"))?;
            match row {
                Some(r) => Ok(Some((token_from(&r)?, account_from(&r)?))),
                None => Ok(None),
            }
        })
    }

    /// Every API token, newest first.
    pub async fn api_tokens(&self) -> Result<Vec<ApiTokenRecord>, StoreError> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t ORDER BY t.created_at DESC, t.id");
        with_db!(&self.db, |pool, _begin| {
            sqlx::query(&sql)
                .fetch_all(pool)
                .await
                .map_err(q("list api tokens"))?
                .iter()
                .map(token_from)
                .collect()
        })
    }

    /// Notes a token's use (callers throttle this to once a minute).
    pub async fn touch_api_token(&self, id: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        let _forget = self.credentials.writing();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(ms(now))
                .execute(&mut *tx)
                .await
                .map_err(q("touch api token"))?;
            tx.commit().await.map_err(q("commit"))?;
        });
        Ok(())
    }

    /// Revokes a token; false when there is no such live token.
    pub async fn revoke_api_token(
        &self,
        id: &str,
        now: OffsetDateTime,
        audit: Vec<AuditEvent>,
    ) -> Result<bool, StoreError> {
        let _forget = self.credentials.writing();
        let signer = self.signer.as_deref();
        with_db!(&self.db, |pool, begin| {
            let mut tx = begin(pool).await?;
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(q("revoke api token"))?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            append_in_tx!(tx, audit, signer);
            tx.commit().await.map_err(q("commit revoke"))?;
        });
        Ok(true)
    }
}

/// A value bound into an account update.
enum Bind {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptBytes(Option<Vec<u8>>),
}
