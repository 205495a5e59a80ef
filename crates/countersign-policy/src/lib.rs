//! Policy as code. A policy is a TOML file of rules; each rule names the
//! findings (signals) it needs, the verdict it imposes and, for `hold`, the
//! controls that must pass before anyone acts on the request. The strictest
//! fired rule wins; every fired rule contributes a reason, so a verdict
//! always explains itself.
//!
//! ```toml
//! [[rule]]
//! name = "privileged-vendor-access"
//! when = ["sender.privileged_vendor", "request.access_grant"]   # all present
//! unless = []                                                      # none present
//! verdict = "hold"
//! controls = ["vendor_signature", "dual_approval"]
//! reason = "a privileged vendor asks for access"
//! ```
//!
//! Signal names are checked against [`signals::SIGNALS`]; `request.*`
//! matches any signal under `request.`.

mod error;
pub mod signals;

pub use error::PolicyError;

use countersign_model::verdict::{Action, Control, Finding};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// The policy shipped with Countersign, used when none is configured.
pub const DEFAULT_POLICY: &str = include_str!("../data/default-policy.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: Spanned<String>,
    when: Vec<Spanned<String>>,
    #[serde(default)]
    unless: Vec<Spanned<String>>,
    verdict: Spanned<Action>,
    #[serde(default)]
    controls: Vec<Spanned<Control>>,
    reason: String,
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique name, shown in explanations.
    pub name: String,
    /// Signal patterns that must all be present.
    pub when: Vec<String>,
    /// Signal patterns of which none may be present.
    pub unless: Vec<String>,
    /// The verdict imposed when the rule fires.
    pub verdict: Action,
    /// Controls required (only with `hold`).
    pub controls: Vec<Control>,
    /// The sentence an analyst reads.
    pub reason: String,
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Free text describing the policy.
    pub description: String,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

/// What a policy decided for one set of findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The strictest verdict among the fired rules; `deliver` when none fired.
    pub verdict: Action,
    /// One sentence per fired rule, strictest first, with the evidence that fired it.
    pub reasons: Vec<String>,
    /// The controls of the fired `hold` rules, when the verdict is `hold`.
    pub required_controls: Vec<Control>,
    /// Names of the fired rules, strictest first.
    pub fired: Vec<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Policy {
    /// The shipped default policy.
    pub fn default_policy() -> Self {
        Self::parse(DEFAULT_POLICY, "default-policy.toml")
            .expect("the shipped policy is validated by its tests")
    }

    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Validates policy text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, PolicyError> {
        let raw: PolicyFile = toml::from_str(text).map_err(|e| PolicyError::Syntax {
            file: file.to_string(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            reason: e.message().to_string(),
        })?;
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.rules.len());
        for rule in raw.rules {
            let name = rule.name.get_ref().clone();
            let err = |span: std::ops::Range<usize>, reason: String| PolicyError::Rule {
                file: file.to_string(),
                line: line_of(text, span.start),
                rule: name.clone(),
                reason,
            };
            if name.trim().is_empty() {
                return Err(err(rule.name.span(), "the name is empty".into()));
            }
            if rules.iter().any(|r| r.name == name) {
                return Err(err(rule.name.span(), "another rule has this name".into()));
            }
            if rule.when.is_empty() {
                return Err(err(
                    rule.name.span(),
                    "`when` names no signal, so the rule would fire on every message".into(),
                ));
            }
            for signal in rule.when.iter().chain(rule.unless.iter()) {
                if !signals::is_known(signal.get_ref()) {
                    return Err(err(
                        signal.span(),
                        format!(
                            "unknown signal {:?} (`countersign policy signals` lists them)",
                            signal.get_ref()
                        ),
                    ));
                }
            }
            let verdict = *rule.verdict.get_ref();
            if verdict != Action::Hold
                && let Some(control) = rule.controls.first()
            {
                return Err(err(
                    control.span(),
                    format!("controls apply to `hold` only, not to `{verdict}`"),
                ));
            }
            if verdict == Action::Hold && rule.controls.is_empty() {
                return Err(err(
                    rule.verdict.span(),
                    "a `hold` rule must name the controls that release it".into(),
                ));
            }
            rules.push(Rule {
                name,
                when: rule.when.into_iter().map(Spanned::into_inner).collect(),
                unless: rule.unless.into_iter().map(Spanned::into_inner).collect(),
                verdict,
                controls: rule.controls.into_iter().map(Spanned::into_inner).collect(),
                reason: rule.reason,
            });
        }
        Ok(Self {
            description: raw.description.unwrap_or_default(),
            rules,
        })
    }

    /// Decides on a message from its findings.
    pub fn decide(&self, findings: &[Finding]) -> Decision {
        let present = |pattern: &str| {
            findings
                .iter()
                .find(|f| signals::matches(pattern, &f.signal))
        };
        let mut fired: Vec<(&Rule, String)> = Vec::new();
        for rule in &self.rules {
            let evidence: Option<Vec<&Finding>> =
                rule.when.iter().map(|pattern| present(pattern)).collect();
            let Some(evidence) = evidence else { continue };
            if rule.unless.iter().any(|pattern| present(pattern).is_some()) {
                continue;
            }
            let detail: Vec<String> = evidence
                .iter()
                .map(|f| {
                    if f.evidence.is_empty() {
                        f.summary.clone()
                    } else {
                        format!("{} ({})", f.summary, f.evidence)
                    }
                })
                .collect();
            fired.push((rule, format!("{}: {}", rule.reason, detail.join("; "))));
        }
        // Strictest first; file order among equals.
        fired.sort_by_key(|(rule, _)| std::cmp::Reverse(rule.verdict));
        let verdict = fired.first().map_or(Action::Deliver, |(r, _)| r.verdict);
        let mut required_controls = Vec::new();
        if verdict == Action::Hold {
            for (rule, _) in &fired {
                for control in &rule.controls {
                    if !required_controls.contains(control) {
                        required_controls.push(*control);
                    }
                }
            }
            required_controls.sort();
        }
        Decision {
            verdict,
            fired: fired.iter().map(|(r, _)| r.name.clone()).collect(),
            reasons: fired.into_iter().map(|(_, reason)| reason).collect(),
            required_controls,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(signal: &str, evidence: &str) -> Finding {
        Finding {
            signal: signal.into(),
            summary: signal.replace('.', " "),
            evidence: evidence.into(),
            target: None,
        }
    }

    /// The verdict on `base` with one more finding, of `signal`.
    fn verdict_with(policy: &Policy, base: &[Finding], signal: &str) -> Action {
        let mut findings = base.to_vec();
        findings.push(finding(signal, ""));
        policy.decide(&findings).verdict
    }

    #[test]
    fn shipped_policy_is_valid() {
        let policy = Policy::default_policy();
        assert!(policy.rules.len() >= 10);
    }

    #[test]
    fn strictest_rule_wins_and_every_rule_explains() {
        let policy = Policy::default_policy();
        let decision = policy.decide(&[
            finding("request.remote_access", "install AnyDesk"),
            finding("request.any", ""),
            finding("impersonation.lookalike_domain", "acme-helpdesk.example"),
        ]);
        assert_eq!(decision.verdict, Action::Quarantine);
        assert!(decision.reasons[0].contains("acme-helpdesk.example"));
        assert!(decision.reasons.len() >= 2, "{:?}", decision.reasons);
        assert!(decision.required_controls.is_empty());
    }

    #[test]
    fn high_risk_request_is_held_with_controls() {
        let policy = Policy::default_policy();
        let decision = policy.decide(&[
            finding("request.credential_reset", "reset my password"),
            finding("request.any", ""),
            finding("sender.vendor_contact", "dana@vendor.example"),
        ]);
        assert_eq!(decision.verdict, Action::Hold);
        assert!(decision.required_controls.contains(&Control::Callback));
        assert!(decision.required_controls.contains(&Control::OneTimeCode));
    }

    #[test]
    fn bait_and_request_from_a_stranger_is_quarantined() {
        let policy = Policy::default_policy();
        let bait = [
            finding("lure.reward_lure", "you have won"),
            finding("lure.any", ""),
            finding("request.credential_reset", "sign in to claim"),
            finding("request.any", ""),
        ];
        assert_eq!(policy.decide(&bait).verdict, Action::Quarantine);
        // From our own people or an approved vendor contact, a callback can
        // settle it: held.
        for known in ["sender.internal", "sender.vendor_contact"] {
            assert_eq!(verdict_with(&policy, &bait, known), Action::Hold, "{known}");
        }
        // A vendor's security advisory ("urgent patch, please upgrade") is
        // no bait of a stranger's.
        let advisory = [
            finding("lure.urgent_patch", "critical security update"),
            finding("lure.any", ""),
            finding("request.software_install", "please upgrade"),
            finding("request.any", ""),
        ];
        assert_eq!(policy.decide(&advisory).verdict, Action::Hold);
    }

    #[test]
    fn a_stranger_asking_for_a_sign_in_an_install_or_our_data_is_quarantined() {
        let policy = Policy::default_policy();
        for kind in [
            "request.credential_reset",
            "request.software_install",
            "request.data_export",
        ] {
            let ask = [
                finding(kind, "sign in here / run this / send the staff list"),
                finding("request.any", ""),
            ];
            assert_eq!(policy.decide(&ask).verdict, Action::Quarantine, "{kind}");
            // One of our people writing from a personal account, or a
            // known vendor: a callback can settle it.
            for known in [
                "sender.free_mail",
                "sender.internal",
                "sender.vendor_contact",
            ] {
                assert_eq!(
                    verdict_with(&policy, &ask, known),
                    Action::Hold,
                    "{kind} {known}"
                );
            }
        }
        // "Please update" in a list discussion is advice to all.
        let advice = [
            finding("request.software_install", "please update from cvs"),
            finding("request.any", ""),
            finding("message.mailing_list", "spamassassin-talk.lists.example"),
        ];
        assert_eq!(policy.decide(&advice).verdict, Action::Hold);
    }

    #[test]
    fn a_number_to_call_from_a_stranger_is_quarantined() {
        let policy = Policy::default_policy();
        let bait = [
            finding("lure.callback_bait", "call +1 555 0100 to cancel"),
            finding("lure.any", ""),
        ];
        assert_eq!(policy.decide(&bait).verdict, Action::Quarantine);
        // From a vendor's own domain, though not an approved contact: held
        // for a callback on the directory's number.
        let mut vendor = bait.to_vec();
        vendor.push(finding(
            "sender.vendor_unapproved_contact",
            "billing@vendor.example",
        ));
        assert_eq!(policy.decide(&vendor).verdict, Action::Hold);
    }

    #[test]
    fn bait_words_alone_flag_strangers_not_vouched_senders() {
        let policy = Policy::default_policy();
        let urgent = [
            finding("lure.urgency", "by end of day"),
            finding("lure.any", ""),
        ];
        assert_eq!(policy.decide(&urgent).verdict, Action::Flag);
        for vouched in [
            "sender.internal",
            "sender.vendor_contact",
            "sender.brand_owner",
        ] {
            assert_eq!(
                verdict_with(&policy, &urgent, vouched),
                Action::Deliver,
                "{vouched}"
            );
        }
        let mut ours = urgent.to_vec();
        ours.push(finding("sender.internal", "it@org.example"));
        // With a risky ask our own people are still held.
        ours.push(finding("request.mfa_reset", "reset my token"));
        ours.push(finding("request.any", ""));
        assert_eq!(policy.decide(&ours).verdict, Action::Hold);
    }

    #[test]
    fn an_offer_from_a_stranger_is_quarantined() {
        let policy = Policy::default_policy();
        for kind in [
            "lure.job_offer",
            "lure.free_upgrade",
            "lure.fake_tech_support",
        ] {
            let offer = [
                finding(kind, "offered to the reader"),
                finding("lure.any", ""),
            ];
            assert_eq!(policy.decide(&offer).verdict, Action::Quarantine, "{kind}");
            // From a list or a personal account it is only flagged.
            for known in ["message.mailing_list", "sender.free_mail"] {
                assert_eq!(
                    verdict_with(&policy, &offer, known),
                    Action::Flag,
                    "{kind} {known}"
                );
            }
        }
        let prize = [
            finding("lure.reward_lure", "you won"),
            finding("lure.any", ""),
        ];
        assert_eq!(policy.decide(&prize).verdict, Action::Flag);
    }

    #[test]
    fn a_vendors_other_staff_are_held_only_for_a_risky_ask() {
        let policy = Policy::default_policy();
        // Release notes from the vendor's own authenticated domain, written
        // by someone not on the approved list: nothing to verify.
        let notes = [finding(
            "sender.vendor_unapproved_contact",
            "product-news@vendor.example",
        )];
        assert_eq!(policy.decide(&notes).verdict, Action::Deliver);
        let mut ask = notes.to_vec();
        ask.push(finding("request.remote_access", "let us connect"));
        ask.push(finding("request.any", ""));
        assert_eq!(policy.decide(&ask).verdict, Action::Hold);
    }

    #[test]
    fn nothing_fires_on_nothing() {
        let decision = Policy::default_policy().decide(&[]);
        assert_eq!(decision.verdict, Action::Deliver);
        assert!(decision.reasons.is_empty());
    }

    #[test]
    fn unless_suppresses() {
        let policy = Policy::default_policy();
        let spoof = finding("auth.protected_domain_spoofed", "vendor.example");
        let forwarded = finding("auth.forwarded_trusted", "lists.example");
        assert_eq!(
            policy.decide(std::slice::from_ref(&spoof)).verdict,
            Action::Quarantine
        );
        assert_ne!(
            policy.decide(&[spoof, forwarded]).verdict,
            Action::Quarantine
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "[[rule]]\nname = \"x\"\nwhen = [\"request.anything\"]\nverdict = \"flag\"\nreason = \"r\"\n",
                3,
                "unknown signal",
            ),
            (
                "[[rule]]\nname = \"x\"\nwhen = [\"request.any\"]\nverdict = \"flag\"\ncontrols = [\"callback\"]\nreason = \"r\"\n",
                5,
                "apply to `hold` only",
            ),
            (
                "[[rule]]\nname = \"x\"\nwhen = [\"request.any\"]\nverdict = \"hold\"\nreason = \"r\"\n",
                4,
                "must name the controls",
            ),
            (
                "[[rule]]\nname = \"x\"\nwhen = [\"request.any\"]\nverdict = \"destroy\"\nreason = \"r\"\n",
                4,
                "unknown variant",
            ),
            (
                "[[rule]]\nname = \"x\"\nwhen = [\"request.any\"]\nverdict = \"flag\"\nreason = \"r\"\ncolour = 1\n",
                6,
                "unknown field",
            ),
            ("[[rule]\n", 1, ""),
        ];
        for (text, line, needle) in cases {
            let err = Policy::parse(text, "p.toml").unwrap_err();
            let shown = err.to_string();
            assert!(shown.starts_with(&format!("p.toml:{line}:")), "{shown}");
            assert!(shown.contains(needle), "{shown}");
        }
    }

    #[test]
    fn wildcards_match_whole_segments() {
        assert!(signals::matches("request.*", "request.mfa_reset"));
        assert!(!signals::matches("request.*", "requests.x"));
        assert!(signals::is_known("lure.*"));
        assert!(!signals::is_known("nothing.*"));
    }
}
