//! Countersign's use cases, between the edges that receive requests (HTTP,
//! SMTP) and the domain and storage below. Each public method is one thing
//! a person or a help-desk tool does: judge a message, sign in, call back,
//! send a code, approve. Each checks who may do it, applies the domain
//! rules, and writes the change with its audit entries and webhook events
//! in one transaction.
//!
//! Nothing here is kept in memory that another node needs: sessions,
//! cases, codes, throttles and the outbox live in the store; the only
//! per-node state is a copy of the directory, reloaded when its revision
//! changes.

pub mod accounts;
pub mod audit_view;
pub mod cases;
pub mod directory_admin;
mod directory_view;
pub mod employees;
pub mod messages;
pub mod metrics;
pub mod posture;
pub mod posture_dns;
pub mod posture_ingest;
pub mod quarantine;
pub mod queue;
pub mod relay;
pub mod webhooks;

pub use directory_view::DirectoryView;
pub use messages::{IncomingMessage, Ingress, Judged};

use countersign_accounts::signin::{SignInRules, Stage};
use countersign_accounts::{Account, Role, RoleSet};
use countersign_audit::AuditEvent;
use countersign_notify::codes::CodeSender;
use countersign_pipeline::{Pipeline, Rules};
use countersign_store::{Store, StoreError};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Lifetimes and limits an installation may set.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, whatever happens.
    pub session_absolute: Duration,
    /// A one-time code is valid this long.
    pub code_lifetime: Duration,
    /// A signature challenge is valid this long.
    pub challenge_lifetime: Duration,
    /// A case must be verified within this long.
    pub case_lifetime: Duration,
    /// Sign-in throttling.
    pub signin: SignInRules,
    /// The TOTP issuer name shown in authenticator apps.
    pub totp_issuer: String,
    /// The employees' side: rates, campaign window.
    pub employees: employees::EmployeeSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_idle: Duration::minutes(30),
            session_absolute: Duration::hours(12),
            code_lifetime: Duration::minutes(10),
            challenge_lifetime: Duration::minutes(30),
            case_lifetime: Duration::hours(72),
            signin: SignInRules::default(),
            totp_issuer: "Countersign".into(),
            employees: employees::EmployeeSettings::default(),
        }
    }
}

/// Why a use case was refused or failed. The HTTP layer maps each to a
/// status and a problem document; the words are safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing (or not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// The input is wrong: which field, and why.
    #[error("{field}: {message}")]
    Invalid {
        /// The field (a JSON pointer or a name).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The request conflicts with the current state (e.g. case not pending).
    #[error("{0}")]
    Conflict(String),
    /// A verification attempt was refused (wrong code, bad signature...).
    #[error("{0}")]
    Refused(String),
    /// Too many attempts: slow down.
    #[error("{0}")]
    Throttled(String),
    /// Something outside failed (the SMTP relay, the SMS adapter).
    #[error("{0}")]
    Upstream(String),
    /// Storage failed; details are logged, not shown.
    #[error("internal error")]
    Store(#[from] StoreError),
    /// Something of ours failed (a worker thread); details are logged,
    /// not shown.
    #[error("internal error")]
    Internal(String),
}

impl ServiceError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Who is calling, as established from a session or an API token.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account.
    pub account: Account,
    /// The roles in force: the account's, narrowed to the token's scope.
    pub roles: RoleSet,
    /// Full, or setup only.
    pub stage: Stage,
    /// How the caller authenticated.
    pub via: Via,
    /// The client address.
    pub address: String,
}

/// How a principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A sign-in session (its token digest).
    Session([u8; 32]),
    /// An API token (its ID).
    ApiToken(String),
    /// A message the person sent to a mailbox Countersign reads (where it
    /// was read), authenticated by DMARC and matched to the directory.
    Mail(String),
}

impl Principal {
    /// Whether the caller holds any of `roles` (and has finished setup).
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.stage == Stage::Full && self.roles.any_of(roles)
    }

    /// Refuses unless the caller holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ServiceError> {
        if self.stage != Stage::Full {
            return Err(ServiceError::Forbidden(
                "finish setting up the account first: change the one-time password and enrol TOTP"
                    .into(),
            ));
        }
        if self.roles.any_of(roles) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "needs one of the roles: {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }

    /// The actor name written into audit entries.
    pub fn actor(&self) -> String {
        match &self.via {
            Via::Session(_) => self.account.username.clone(),
            Via::ApiToken(id) => format!("{} (token {id})", self.account.username),
            Via::Mail(_) => format!("{} (by mail)", self.account.username),
        }
    }
}

/// Everything the use cases need; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) directory: DirectoryView,
    pub(crate) codes: CodeSender,
    pub(crate) settings: Settings,
    pub(crate) metrics: Arc<metrics::Metrics>,
    pub(crate) recorder: messages::Recorder,
    pub(crate) outbox_wake: Arc<tokio::sync::Notify>,
    pub(crate) relay_wake: Arc<tokio::sync::Notify>,
}

impl Services {
    /// Wires the services over `store`: loads the directory, builds the
    /// pipeline's engine from `rules`, starts the message recorder.
    pub async fn new(
        store: Store,
        rules: Rules,
        pipeline: Pipeline,
        codes: CodeSender,
        settings: Settings,
        metrics: Arc<metrics::Metrics>,
    ) -> Result<Self, StoreError> {
        let directory = DirectoryView::load(store.clone(), rules, pipeline).await?;
        let outbox_wake = Arc::new(tokio::sync::Notify::new());
        let correlate_wake = Arc::new(tokio::sync::Notify::new());
        let recorder =
            messages::Recorder::start(store.clone(), outbox_wake.clone(), correlate_wake.clone());
        let services = Self {
            inner: Arc::new(Inner {
                store,
                directory,
                codes,
                settings,
                metrics,
                recorder,
                outbox_wake,
                relay_wake: Arc::new(tokio::sync::Notify::new()),
            }),
        };
        tokio::spawn(correlator(Arc::downgrade(&services.inner), correlate_wake));
        Ok(services)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<metrics::Metrics> {
        &self.inner.metrics
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The directory copy and the pipeline judging with it.
    pub fn directory(&self) -> &DirectoryView {
        &self.inner.directory
    }

    /// Woken whenever something was queued for webhooks.
    pub fn outbox_wake(&self) -> Arc<tokio::sync::Notify> {
        self.inner.outbox_wake.clone()
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// Writes audit entries on their own (refusals, reads worth recording).
    pub(crate) async fn audit(&self, events: Vec<AuditEvent>) -> Result<(), ServiceError> {
        use countersign_audit::AuditSink;
        self.inner
            .store
            .append(events)
            .await
            .map_err(|e| ServiceError::Conflict(format!("audit log: {e}")))?;
        Ok(())
    }

    /// Waits until every recorded message so far is committed, then stops
    /// the recorder and correlates what it queued (graceful shutdown).
    pub async fn shutdown(&self) {
        self.inner.recorder.close().await;
        if let Err(err) = self.correlate_pending(usize::MAX).await {
            tracing::warn!(%err, "campaign correlation at shutdown failed; the queue is kept for the next start");
        }
    }
}

/// Correlates the sightings recorded messages queued, off the request
/// path: at start (what a crash left), whenever the recorder queued some,
/// and every few seconds in case a wake was missed. Ends with the services.
async fn correlator(inner: std::sync::Weak<Inner>, wake: Arc<tokio::sync::Notify>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let services = Services { inner };
        // Bounded per round, so a large backlog never starves the rest.
        if let Err(err) = services.correlate_pending(64).await {
            tracing::warn!(%err, "campaign correlation failed; retried on the next round");
        }
        drop(services);
        tokio::select! {
            _ = wake.notified() => {
                // Held messages come in waves: a moment's gathering lets one
                // transaction (one read and write of each campaign, one
                // commit) take many of them instead of a few.
                tokio::time::sleep(CORRELATION_GATHER).await;
            }
            _ = tick.tick() => {}
        }
    }
}

/// How long the correlator gathers sightings after a wake.
const CORRELATION_GATHER: std::time::Duration = std::time::Duration::from_millis(25);

/// An audit event at `now`.
pub(crate) fn event(
    now: OffsetDateTime,
    actor: &str,
    action: &str,
    subject: String,
    details: serde_json::Value,
) -> AuditEvent {
    AuditEvent::new(now, actor, action, subject, details)
}
