//! The message pipeline: authentication (SPF, DKIM, ARC, DMARC through
//! [`Authenticator`]), then the engine's verdict. One pipeline, one place:
//! `countersign analyze`, the HTTP API and SMTP ingress all judge a message
//! through [`Pipeline::analyze`], so the same bytes and envelope get the same
//! verdict everywhere.
//!
//! The message is decoded once here and the decoded content is shared by
//! the engine and by the [`MessageSummary`] that callers record.

use countersign_auth::{Authenticator, Envelope};
use countersign_directory::DirectorySnapshot;
use countersign_engine::{Engine, Identities};
use countersign_model::auth::AuthReport;
use countersign_model::verdict::Verdict;
use countersign_policy::Policy;
use countersign_risk::{MessageContent, Rulebook};
use futures_util::FutureExt;
use serde::Serialize;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

/// Why a pipeline could not be built or a message could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The policy file is unreadable or invalid.
    #[error(transparent)]
    Policy(#[from] countersign_policy::PolicyError),
    /// The rulebook file is unreadable.
    #[error("cannot read rulebook {path}: {source}")]
    RulebookIo {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The rulebook is invalid.
    #[error(transparent)]
    Rulebook(#[from] countersign_risk::RulebookError),
    /// Analysing the message panicked; the bug is logged, the message is
    /// reported as unanalysed rather than lost.
    #[error("analysis failed internally")]
    Panicked,
}

/// The parts of the engine that do not change with the directory: loaded
/// once, reused whenever the directory changes and identities are rebuilt.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The policy deciding verdicts.
    pub policy: Policy,
    /// The rulebook reading requests and lures.
    pub rulebook: Rulebook,
}

impl Rules {
    /// Loads the policy and rulebook files, or the shipped defaults.
    pub fn load(policy: Option<&Path>, rulebook: Option<&Path>) -> Result<Self, PipelineError> {
        let policy = match policy {
            Some(path) => Policy::load(path)?,
            None => Policy::default_policy(),
        };
        let rulebook = match rulebook {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| PipelineError::RulebookIo {
                        path: path.display().to_string(),
                        source,
                    })?;
                Rulebook::from_toml(&text, &path.display().to_string())?
            }
            None => Rulebook::default_rules(),
        };
        Ok(Self { policy, rulebook })
    }

    /// An engine protecting the identities of `directory` as they stand at
    /// `now` (none: only borrowed brands are protected). Names the directory
    /// holds but the lookalike index cannot protect are logged.
    pub fn engine(
        &self,
        directory: Option<&DirectorySnapshot>,
        now: time::OffsetDateTime,
    ) -> Engine {
        let identities = match directory {
            Some(snapshot) => Identities::from_snapshot(snapshot, now),
            None => Identities::empty(),
        };
        for name in identities.unprotected() {
            tracing::warn!(%name, "not protected against lookalikes");
        }
        Engine::new(self.policy.clone(), self.rulebook.clone(), identities)
    }
}

/// What a caller keeps about a message besides its verdict: who it claims
/// to be from, what it is about, and what it points to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageSummary {
    /// The From address, lowercase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_address: Option<String>,
    /// The From display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// The Subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Reply-To addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reply_to: Vec<String>,
    /// Phone numbers found in the text: never to be used for a callback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<String>,
    /// Domains the message links to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_domains: Vec<String>,
}

impl MessageSummary {
    fn of(content: &MessageContent) -> Self {
        let from = content.from.as_ref();
        Self {
            from_address: from
                .and_then(|m| m.address.as_ref())
                .map(|a| a.to_ascii_lowercase()),
            from_name: from.and_then(|m| m.name.clone()),
            subject: content.subject.clone(),
            reply_to: content.reply_to.clone(),
            phone_numbers: content.phone_numbers.clone(),
            link_domains: content.link_domains.clone(),
        }
    }
}

/// The result of one message.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Authentication results.
    pub report: AuthReport,
    /// The verdict, unless the pipeline authenticates only.
    pub verdict: Option<Verdict>,
    /// What the message claims and contains (with the verdict).
    pub summary: Option<MessageSummary>,
}

/// The verdict document: the same JSON object `analyze --json`, the HTTP
/// API and the audit log show for a message (`file` aside).
#[derive(Debug, Serialize)]
pub struct VerdictDocument<'a> {
    /// Authentication results, flattened (`spf`, `dkim`, `arc`, `dmarc`,
    /// `authentication_results`, `errors`).
    #[serde(flatten)]
    pub report: &'a AuthReport,
    /// The verdict, flattened (`verdict`, `reasons`, `required_controls`,
    /// `rules`, `findings`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<&'a Verdict>,
}

impl Analysis {
    /// The verdict document of this analysis.
    pub fn document(&self) -> VerdictDocument<'_> {
        VerdictDocument {
            report: &self.report,
            verdict: self.verdict.as_ref(),
        }
    }
}

/// Authentication, then (unless authenticating only) the engine's verdict.
/// Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Pipeline {
    authenticator: Authenticator,
    engine: Option<Arc<Engine>>,
}

impl Pipeline {
    /// A pipeline judging with `engine`; `None` authenticates only.
    pub fn new(authenticator: Authenticator, engine: Option<Arc<Engine>>) -> Self {
        Self {
            authenticator,
            engine,
        }
    }

    /// The same authenticator with another engine (after the directory changed).
    pub fn with_engine(&self, engine: Arc<Engine>) -> Self {
        Self {
            authenticator: self.authenticator.clone(),
            engine: Some(engine),
        }
    }

    /// The engine, if any.
    pub fn engine(&self) -> Option<&Arc<Engine>> {
        self.engine.as_ref()
    }

    /// The authenticator.
    pub fn authenticator(&self) -> &Authenticator {
        &self.authenticator
    }

    /// Judges one message. Never fails: anything wrong with the message is
    /// a defect in the report, and the policy decides what that means.
    pub async fn analyze(&self, raw: &[u8], envelope: &Envelope) -> Analysis {
        let report = self.authenticator.authenticate(raw, envelope).await;
        let Some(engine) = &self.engine else {
            return Analysis {
                report,
                verdict: None,
                summary: None,
            };
        };
        let content = MessageContent::parse(raw);
        let evaluation = engine.evaluate_content(&content, &report, &envelope.mail_from);
        Analysis {
            report,
            verdict: Some(evaluation.verdict),
            summary: Some(MessageSummary::of(&content)),
        }
    }

    /// As [`Pipeline::analyze`], but a panic caused by one message is
    /// contained to it: logged, and reported as [`PipelineError::Panicked`]
    /// so the caller can keep the message instead of losing it.
    pub async fn analyze_isolated(
        &self,
        raw: &[u8],
        envelope: &Envelope,
    ) -> Result<Analysis, PipelineError> {
        AssertUnwindSafe(self.analyze(raw, envelope))
            .catch_unwind()
            .await
            .map_err(|_| {
                tracing::error!("analysis panicked");
                PipelineError::Panicked
            })
    }
}
