//! The gatekeeper's decision. [`Engine::evaluate`] takes what is known about
//! one message (its authentication report, its decoded content, the
//! envelope sender) and the protected identities from the directory, names
//! every finding with a policy signal, and lets the policy decide.
//!
//! Deterministic and free of IO: the same inputs give the same verdict, so
//! any verdict can be replayed from recorded inputs.

mod identities;
mod introduction;
mod people;
mod relay;
mod signals;

pub use identities::{Identities, protect_directory};

use countersign_model::auth::AuthReport;
use countersign_model::verdict::Verdict;
use countersign_policy::Policy;
use countersign_risk::{MessageContent, RiskAssessment, Rulebook};

/// Everything needed to judge messages; cheap to share across threads.
#[derive(Debug)]
pub struct Engine {
    policy: Policy,
    rulebook: Rulebook,
    identities: Identities,
}

/// The verdict on one message, with the risk assessment behind it.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// What happens and why.
    pub verdict: Verdict,
    /// What the message asks for, rule by rule.
    pub risk: RiskAssessment,
}

impl Engine {
    /// An engine deciding with `policy`, reading requests with `rulebook`,
    /// protecting `identities`.
    pub fn new(policy: Policy, rulebook: Rulebook, identities: Identities) -> Self {
        Self {
            policy,
            rulebook,
            identities,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The protected identities.
    pub fn identities(&self) -> &Identities {
        &self.identities
    }

    /// Judges one message: `raw` is the message as received, `mail_from` the
    /// envelope sender (empty for the null sender).
    pub fn evaluate(&self, raw: &[u8], auth: &AuthReport, mail_from: &str) -> Evaluation {
        let content = MessageContent::parse(raw);
        self.judge(&content, auth, mail_from, Some(raw))
    }

    /// As [`Engine::evaluate`], for content already decoded. Without the raw
    /// message, what a DKIM signature leaves unsigned (`l=`) cannot be read
    /// and is assumed to add content.
    pub fn evaluate_content(
        &self,
        content: &MessageContent,
        auth: &AuthReport,
        mail_from: &str,
    ) -> Evaluation {
        self.judge(content, auth, mail_from, None)
    }

    fn judge(
        &self,
        content: &MessageContent,
        auth: &AuthReport,
        mail_from: &str,
        raw: Option<&[u8]>,
    ) -> Evaluation {
        let risk = countersign_risk::assess(content, &self.rulebook);
        let findings = signals::collect(&self.identities, auth, content, &risk, mail_from, raw);
        let decision = self.policy.decide(&findings);
        Evaluation {
            verdict: Verdict {
                verdict: decision.verdict,
                reasons: decision.reasons,
                required_controls: decision.required_controls,
                rules: decision.fired,
                findings,
            },
            risk,
        }
    }
}
